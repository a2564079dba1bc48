"""PostgreSQL roles: the pipeline (writes) and the analysts (read-only, no personal data).

`walidata peran` runs this; idempotent, so it can run after every deployment. DuckDB has no roles: there
analysts get a read-only file connection (`duckdb.connect(path, read_only=True)`).
"""

from __future__ import annotations

import re

READ_SCHEMAS = ("ref", "fact", "mart", "audit")  # audit: the history of loads and checks is evidence (EPSS)
WRITE_SCHEMAS = ("ref", "fact", "mart", "audit", "pribadi")
_IDENT = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _ident(name: str) -> str:
    if not _IDENT.match(name):
        raise ValueError(f"role name {name!r}: use lower-case letters, digits and _ only")
    return name


def setup_roles(url: str, analyst: str = "analyst", pipeline: str = "walidata_pipeline") -> None:
    """Create both roles if missing and (re)grant: analysts read ref/fact/mart/audit, never pribadi;
    the pipeline writes everywhere. Default privileges make tables and views created later readable too."""
    from walidata.load import engine_for, ensure_schema

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
        for s in READ_SCHEMAS:
            x(f"GRANT USAGE ON SCHEMA {s} TO {analyst}")
            x(f"GRANT SELECT ON ALL TABLES IN SCHEMA {s} TO {analyst}")
            # Tables and views that the pipeline (or this admin) creates later are readable as well.
            for creator in dict.fromkeys([pipeline, conn.exec_driver_sql("SELECT current_user").scalar()]):
                x(f"ALTER DEFAULT PRIVILEGES FOR ROLE {creator} IN SCHEMA {s} GRANT SELECT ON TABLES TO {analyst}")
        x(f"REVOKE ALL ON SCHEMA public FROM {analyst}")
