"""Shared fixtures: an isolated project sandbox (lake, warehouse, GX context, inbox) per test."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_INBOX = ROOT / "include" / "sample_data" / "inbox"
SAMPLE_FILE = next((SAMPLE_INBOX / "disdukcapil" / "penduduk_kecamatan").glob("*.xlsx"))
DATASET = "disdukcapil.penduduk_kecamatan"

# Airflow reads its config at import: point it at the project's home unless the caller did.
os.environ.setdefault("AIRFLOW_HOME", str(ROOT / ".airflow"))
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(ROOT / "dags"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def copy_gx(target: Path) -> Path:
    """The project's GX context without its run outputs, so tests never touch the repo's copy."""
    shutil.copytree(ROOT / "great_expectations", target, ignore=shutil.ignore_patterns("uncommitted"))
    return target


@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """Settings for a throwaway lake, DuckDB warehouse, GX context and inbox (a copy of the sample)."""
    from walidata.settings import get_settings

    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLE_INBOX, inbox)
    env = {
        "WALIDATA_INBOX": str(inbox),
        "WALIDATA_LAKE": str(tmp_path / "lake"),
        "WALIDATA_WAREHOUSE_URL": f"duckdb:///{tmp_path / 'warehouse.duckdb'}",
        "WALIDATA_GX_ROOT": str(copy_gx(tmp_path / "gx")),
    }
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return get_settings()


def edit_workbook(src: Path, dst: Path, edits: dict[tuple[str, str], object]) -> Path:
    """A copy of a real workbook with some cells changed: {(sheet, 'B9'): value}."""
    from openpyxl import load_workbook

    wb = load_workbook(src)
    for (sheet, cell), value in edits.items():
        wb[sheet][cell] = value
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)
    return dst


def replace_inbox_file(settings, new_file: Path) -> Path:
    folder = Path(settings.inbox) / "disdukcapil" / "penduduk_kecamatan"
    for p in folder.iterdir():
        p.unlink()
    target = folder / new_file.name
    shutil.copyfile(new_file, target)
    return target


def _pg_admin_url() -> str:
    return os.environ.get("WALIDATA_TEST_POSTGRES_URL", DEFAULT_PG)


@pytest.fixture
def postgres_url():
    """A uniquely named PostgreSQL database, dropped afterwards. Skipped if no server, except under CI."""
    import sqlalchemy as sa

    admin = sa.create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as c:
            c.execute(sa.text("select 1"))
    except Exception as exc:
        msg = f"PostgreSQL not reachable at {admin.url.render_as_string(hide_password=True)}: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg + " (under CI an unreachable server is a failure)")
        pytest.skip(msg)
    name = f"walidata_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as c:
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["duckdb", pytest.param("postgresql", marks=pytest.mark.postgres)])
def warehouse(request, sandbox, monkeypatch):
    """Settings whose warehouse is DuckDB, then PostgreSQL (the same code against both)."""
    from walidata.settings import get_settings

    if request.param == "postgresql":
        monkeypatch.setenv("WALIDATA_WAREHOUSE_URL", request.getfixturevalue("postgres_url"))
        return get_settings()
    return sandbox


def query(url: str, sql: str) -> list[tuple]:
    """The rows of one query on a warehouse, through a short-lived engine (the DuckDB file is let go after)."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as c:
            return [tuple(r) for r in c.execute(sa.text(sql)).all()]
    finally:
        engine.dispose()


def published(url: str, ds) -> list[dict]:
    """The figures in force of a dataset (its `fact` view), as dicts; [] when it never published."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as c:
            if not sa.inspect(c).has_table(f"{ds.fact_table}__riwayat", schema="fact"):
                return []
            return [dict(r._mapping) for r in c.execute(sa.text(f'SELECT * FROM fact."{ds.fact_table}"'))]
    finally:
        engine.dispose()


def drop_database_and_roles(url: str, roles) -> None:
    """Clean-up of a PostgreSQL test that made roles: its database (forced) and the roles, from `postgres`."""
    import sqlalchemy as sa

    admin = sa.create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT",
                             poolclass=sa.pool.NullPool)
    try:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
            for role in roles:
                c.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
    finally:
        admin.dispose()


def snapshot(url: str, tables: list[str]) -> dict[str, list[tuple]]:
    """Every row of the named tables, sorted: for 'the warehouse did not change' comparisons."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    out = {}
    try:
        with engine.connect() as c:
            for t in tables:
                schema, name = t.split(".")
                if not sa.inspect(c).has_table(name, schema=schema):
                    out[t] = None
                    continue
                rows = c.execute(sa.text(f'SELECT * FROM {schema}."{name}"')).all()
                out[t] = sorted((tuple(r) for r in rows), key=repr)
    finally:
        engine.dispose()
    return out


def workbook_figures(path: Path) -> dict[tuple[str, str], float]:
    """{(sheet, kecamatan as written): (laki, perempuan)} read independently of the pipeline (openpyxl)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, data_only=True)
    out = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=7, max_row=19, values_only=True):
            if isinstance(row[0], int | float):
                parse = lambda v: float(str(v).replace(".", "")) if isinstance(v, str) else float(v)  # noqa: E731
                out[(ws.title, row[1])] = (parse(row[2]), parse(row[3]))
    return out
