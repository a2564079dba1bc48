"""PostgreSQL roles: the pipeline (writes) and the analysts (read-only, no personal data).

`walidata peran` runs this; idempotent, so it can run after every deployment. DuckDB has no roles: there
analysts get a read-only file connection (`duckdb.connect(path, read_only=True)`).
"""

from __future__ import annotations

import re

READ_SCHEMAS = ("ref", "fact", "mart")
# audit: the history of loads and checks is evidence (EPSS) and analysts read it, except the columns that quote
# OPD files as written (samples of failing values, error messages): granted column by column, at each run.
AUDIT = "audit"
RAW_COLUMNS = ("contoh", "pesan")
WRITE_SCHEMAS = ("ref", "fact", "mart", "audit", "pribadi")
_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _ident(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"role name {name!r}: use lower-case letters, digits and _ only")
    return name


def setup_roles(url: str, analyst: str = "analyst", pipeline: str = "walidata_pipeline") -> None:
    """Create both roles if missing and (re)grant: analysts read ref/fact/mart, and audit without the columns
    that quote OPD files (RAW_COLUMNS), never pribadi; the pipeline writes everywhere. Default privileges make
    tables and views created later in ref/fact/mart readable too; a later audit table waits for the next run."""
    from walidata.publish.schema import ensure_schema
    from walidata.publish.warehouse import engine_for

    analyst, pipeline = _ident(analyst), _ident(pipeline)
    with engine_for(url) as engine, engine.begin() as conn:
        if conn.dialect.name != "postgresql":
            raise ValueError("roles exist on PostgreSQL only; a DuckDB warehouse is shared read-only as a file")
        ensure_schema(conn)  # the schemas must exist before they are granted
        x = conn.exec_driver_sql
        for role in (analyst, pipeline):
            x(f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{role}') "
              f"THEN CREATE ROLE {role} NOLOGIN; END IF; END $$")
        db = conn.exec_driver_sql("SELECT current_database()").scalar()
        x(f'GRANT CONNECT ON DATABASE "{db}" TO {analyst}, {pipeline}')
        for s in WRITE_SCHEMAS:
            x(f"GRANT USAGE, CREATE ON SCHEMA {s} TO {pipeline}")
            x(f"GRANT ALL ON ALL TABLES IN SCHEMA {s} TO {pipeline}")
            x(f"REVOKE ALL ON SCHEMA {s} FROM {analyst}")
            x(f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {analyst}")
        creators = list(dict.fromkeys([pipeline, conn.exec_driver_sql("SELECT current_user").scalar()]))
        for s in READ_SCHEMAS:
            x(f"GRANT USAGE ON SCHEMA {s} TO {analyst}")
            x(f"GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {analyst}")
            # Tables and views that the pipeline (or this admin) creates later are readable as well.
            for creator in creators:
                x(f"ALTER DEFAULT PRIVILEGES FOR ROLE {creator} IN SCHEMA {s} GRANT SELECT ON TABLES TO {analyst}")
        _grant_audit(conn, analyst, creators)
        x(f"REVOKE ALL ON SCHEMA public FROM {analyst}")


def _grant_audit(conn, analyst: str, creators: list[str]) -> None:
    """SELECT on every audit column except RAW_COLUMNS. No default privilege: a table created later (a rebuilt
    hasil_validasi) would otherwise be readable whole, samples included; earlier runs granted one, taken back."""
    x = conn.exec_driver_sql
    x(f"GRANT USAGE ON SCHEMA {AUDIT} TO {analyst}")
    for creator in creators:
        x(f"ALTER DEFAULT PRIVILEGES FOR ROLE {creator} IN SCHEMA {AUDIT} REVOKE SELECT ON TABLES FROM {analyst}")
    rows = conn.exec_driver_sql(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = %(s)s "
        "ORDER BY table_name, ordinal_position", {"s": AUDIT}).all()
    tables: dict[str, list[str]] = {}
    for table, column in rows:
        if column not in RAW_COLUMNS:
            tables.setdefault(table, []).append(_quoted(column))
    for table, columns in tables.items():
        x(f"GRANT SELECT ({', '.join(columns)}) ON {AUDIT}.{_quoted(table)} TO {analyst}")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
