"""Rows in and out of the warehouse in bulk: Arrow into DuckDB, COPY into and out of PostgreSQL.

Never row by row through the ORM. Everything runs inside the caller's transaction.
"""

from __future__ import annotations

import uuid
from contextlib import suppress

import sqlalchemy as sa

PG_TYPES = {"double": "DOUBLE PRECISION", "int64": "BIGINT", "int32": "INTEGER"}


def stage_name() -> str:
    """A fresh name for a staged Arrow table (a registered view or a temporary table)."""
    return f"_walidata_{uuid.uuid4().hex}"


def stage(conn: sa.Connection, data, name: str) -> None:
    """Make `data` (Arrow) queryable as `name` inside the transaction: a registered view (DuckDB) or a
    temporary table filled by COPY (PostgreSQL)."""
    if conn.dialect.name == "duckdb":
        conn.connection.driver_connection.register(name, data)
        return
    cols = ", ".join(f'"{f.name}" {PG_TYPES.get(str(f.type), "TEXT")}' for f in data.schema)
    conn.exec_driver_sql(f"CREATE TEMP TABLE {name} ({cols}) ON COMMIT DROP")
    copy_in(conn, name, data)


def unstage(conn: sa.Connection, name: str) -> None:
    if conn.dialect.name == "duckdb":
        with suppress(Exception):  # in an aborted transaction this fails too; the view dies with the connection
            conn.connection.driver_connection.unregister(name)


def copy_in(conn: sa.Connection, target: str, data) -> None:
    """PostgreSQL COPY of an Arrow table, as CSV written by Arrow (C++), not row by row."""
    import io

    import pyarrow.csv as pacsv

    buf = io.BytesIO()
    pacsv.write_csv(data, buf, write_options=pacsv.WriteOptions(include_header=False))
    cols = ", ".join(f'"{c}"' for c in data.column_names)
    raw = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f"COPY {target} ({cols}) FROM STDIN WITH (FORMAT csv)") as copy:
        copy.write(buf.getvalue())


def bulk_insert(conn: sa.Connection, table: sa.TableClause, data) -> int:
    """Insert an Arrow table in bulk into `table` (a Table or a `sa.table()` handle: its schema and name)."""
    target = f'{table.schema}."{table.name}"'
    if conn.dialect.name == "duckdb":
        cols = ", ".join(f'"{c}"' for c in data.column_names)
        view = stage_name()
        stage(conn, data, view)
        try:
            conn.exec_driver_sql(f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {view}")
        finally:
            unstage(conn, view)
    else:
        copy_in(conn, target, data)
    return data.num_rows


def arrow_types(conn: sa.Connection, schema: str, table: str) -> dict:
    """The Arrow type of each column of a live table (floats, integers, else text), from information_schema."""
    import pyarrow as pa

    rows = conn.execute(sa.text("SELECT column_name, data_type FROM information_schema.columns "
                                "WHERE table_schema = :s AND table_name = :t"), {"s": schema, "t": table}).all()

    def arrow(sql_type: str):
        t = sql_type.lower()
        if t in ("double", "double precision", "real", "float"):
            return pa.float64()
        return pa.int64() if t in ("bigint", "integer", "int", "smallint") else pa.string()

    return {name: arrow(sql_type) for name, sql_type in rows}


def query_arrow(conn: sa.Connection, select: str, t: sa.Table, cols: list[str]):
    """Run a SELECT inside the transaction and return Arrow (DuckDB natively; PostgreSQL by COPY TO, as CSV)."""
    import io
    import warnings

    import pyarrow as pa
    import pyarrow.csv as pacsv

    types = {c.name: (pa.float64() if c.name == "nilai" else pa.int32() if c.name == "sumber_baris" else pa.string())
             for c in t.columns}
    schema = pa.schema([(c, types.get(c, pa.string())) for c in cols])
    if conn.dialect.name == "duckdb":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return conn.connection.driver_connection.execute(select).to_arrow_table().cast(schema)
    buf = io.BytesIO()
    with conn.connection.driver_connection.cursor() as cur, cur.copy(
            f"COPY ({select}) TO STDOUT WITH (FORMAT csv)") as copy:
        for chunk in copy:
            buf.write(chunk)
    buf.seek(0)
    return pacsv.read_csv(buf, read_options=pacsv.ReadOptions(column_names=cols),
                          convert_options=pacsv.ConvertOptions(column_types=schema, strings_can_be_null=True,
                                                               quoted_strings_can_be_null=False))
