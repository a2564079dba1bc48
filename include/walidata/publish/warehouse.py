"""The SQL warehouse (DuckDB or PostgreSQL through SQLAlchemy): engines, connections, transactions, identifiers.

The rest of the warehouse code is split by job:
- `schema`: the per-dataset history table, its views (SQL files under `publish/sql/`), `fact.observasi`,
  the reference rows; the fixed tables themselves are written once, by `migrations`;
- `bulk`: staging, COPY and Arrow bulk inserts and reads;
- `history`: publish units and the history-keeping replacement of them;
- `audit`: the audit rows of loads and checks, and what was published from which source files.

A publish replaces the periods it covers in one transaction: a failure leaves the warehouse as it was.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from walidata.catalog import MAX_IDENTIFIER_BYTES

LOCK_WAIT_SECONDS = 300.0
IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


@contextmanager
def engine_for(url: str):
    """An engine that is disposed after use, so the DuckDB file lock is released for analysts."""
    u = sa.engine.make_url(url)
    if u.get_backend_name() == "duckdb" and u.database not in (None, "", ":memory:"):
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)  # a first run creates the warehouse file
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


def connect(engine: sa.Engine, wait: float = LOCK_WAIT_SECONDS) -> sa.Connection:
    """A connection; while another process holds the DuckDB file (one writer at a time), wait for it."""
    deadline = time.monotonic() + wait
    delay = 0.2
    while True:
        try:
            return engine.connect()
        except sa.exc.OperationalError as exc:
            if "Could not set lock" not in str(exc) or time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


@contextmanager
def transaction(url: str, wait: float = LOCK_WAIT_SECONDS):
    """One transaction on the warehouse: committed when the block ends, rolled back on any error."""
    with engine_for(url) as engine, connect(engine, wait) as conn, conn.begin():
        yield conn


def ident(name: str) -> str:
    """A catalog-derived SQL identifier, checked and double-quoted (never pasted raw into SQL)."""
    if not IDENTIFIER.fullmatch(name or "") or len(name.encode()) > MAX_IDENTIFIER_BYTES:
        raise ValueError(f"{name!r} is not a safe SQL identifier (lower-case letters, digits and _, "
                         f"at most {MAX_IDENTIFIER_BYTES} bytes)")
    return f'"{name}"'


def literal(text: str) -> str:
    """A SQL string literal (for COMMENT ON, which takes no bind parameters)."""
    return "'" + str(text).replace("'", "''") + "'"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
