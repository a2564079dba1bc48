"""Publish: the lake's clean zone and the SQL warehouse (DuckDB or PostgreSQL through SQLAlchemy).

Stage 4 of the flow. A failed publish leaves the warehouse and the lake as they were.
"""
