"""Validate: every check is a Great Expectations expectation, run through the project's GX context.

Stage 3 of the flow. `suite` builds the dataset's suite from the catalog, runs it and builds its Data Docs page
(`data_docs` makes the page work offline); `expectations` holds the Walidata's own expectations, whose logic is
in `checks`; `outcome` reads GX's result into the verdict, the rejected records and the `Problem`s;
`umpan_balik` writes the OPD's feedback workbook from them.
"""
