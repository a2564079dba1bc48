"""Walidata: the OPD statistics pipeline (extract → standardise → validate → publish).

Kept import-light: DAG files import `walidata.catalog` at parse time, so nothing here may pull in
pandas, pyarrow or Great Expectations.
"""

__version__ = "0.1.0"
