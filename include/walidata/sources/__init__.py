"""Sources: where a dataset's data comes from, read into located tables.

Stage 1 of the flow (sources → standardise → validate → publish → serve). `base` is the interface every source
kind implements (a `Connector`); `files` is the connector of OPD files in the inbox: `inbox` copies them into
the lake's raw zone, `spreadsheet` and `html_tables` read them into sheets of cells, `table` locates the table
in each sheet, and `privacy` masks personal data as it is read.
"""
