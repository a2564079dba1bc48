"""Sources: where a dataset's data comes from, and reading it into cell grids.

Stage 1 of the flow (sources → standardise → validate → publish → serve). `inbox` copies an OPD's files into the
lake's raw zone; `spreadsheet` and `html_tables` read them into grids; `privacy` masks personal data as it is read.
"""
