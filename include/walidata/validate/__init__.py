"""Validate: every check is a Great Expectations expectation, run through the project's GX context.

Stage 3 of the flow. `suite` builds and runs the dataset's suite and its Data Docs; `umpan_balik` writes the
OPD's feedback workbook.
"""
