"""Shared fixtures: an isolated project sandbox (lake, warehouse, GX context, inbox) per test."""

from __future__ import annotations

import os
import shutil
import sys
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


def katingan_kecamatan() -> dict[str, str]:
    """{Kemendagri code: name} of Katingan's 13 kecamatan, read from the reference (62.06.xx)."""
    import csv

    with open(ROOT / "include" / "reference" / "wilayah_indonesia.csv", encoding="utf-8") as f:
        return {r["kode_kemendagri"]: r["nama"] for r in csv.DictReader(f)
                if r["tingkat"] == "kecamatan" and r["kode_induk"] == "62.06"}


@pytest.fixture
def other_host():
    """A second HTTP server on loopback (another host than `httpserver`'s, by its port): where credentials must
    never go."""
    from pytest_httpserver import HTTPServer

    server = HTTPServer(host="127.0.0.1")
    server.start()
    yield server
    server.clear()
    server.stop()


def files_containing(root: Path, needles: list[bytes], skip: tuple[str, ...] = ()) -> list[str]:
    """Files under root (except under folders named in `skip`) whose bytes, or for a zip any member's bytes,
    contain one of the needles: where a secret leaked."""
    import zipfile

    hits = []
    for p in root.rglob("*"):
        if not p.is_file() or any(part in skip for part in p.parts):
            continue
        data = [p.read_bytes()]
        if zipfile.is_zipfile(p):
            with zipfile.ZipFile(p) as z:
                data += [z.read(n) for n in z.namelist()]
        if any(n in d for n in needles for d in data):
            hits.append(str(p))
    return hits


def figures_in_force(url: str, datasets, mart: bool = False) -> dict[str, list[tuple]]:
    """Each dataset's figures in force (its fact view: keys, value, unit, status, load and source row), sorted;
    with `mart`, the indicator cells too. For comparing two warehouses."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    out = {}
    with engine.connect() as c:
        for ds in datasets:
            cols = ["variabel", "kode_wilayah", "periode", *ds.kolom_rincian, "nilai", "satuan", "status",
                    "load_id", "sumber_file", "sumber_baris"]
            rows = c.execute(sa.text(f'SELECT {", ".join(cols)} FROM fact."{ds.fact_table}"')).all()
            out[ds.id] = sorted(tuple("" if v is None else v for v in r) for r in rows)
        if mart:
            out["mart"] = sorted(tuple("" if v is None else v for v in r) for r in c.execute(sa.text(
                "SELECT indikator, kode_wilayah, periode, nilai, status FROM mart.indikator_nilai")).all())
    engine.dispose()
    return out


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


def as_role(engine, role: str, sql: str) -> list[tuple]:
    """The rows of `sql` run under a PostgreSQL role (SET ROLE), in a transaction rolled back afterwards."""
    with engine.connect() as c:
        c.exec_driver_sql(f"SET ROLE {role}")
        try:
            return c.exec_driver_sql(sql).all()
        finally:
            c.rollback()


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


# ----------------------------------------------------------------------------- test classes (markers)
# Every test is `unit`, `integration` or `e2e`, by its module (below), with a few single tests moved by name.
#   unit         pure functions and in-memory frames: no services, subprocesses or browser
#   integration  real files, DuckDB/PostgreSQL, Great Expectations runs, HTTP on loopback
#   e2e          `airflow dags test`/the Airflow CLI, the CLI or a script as a subprocess, the browser, faults injected
# A module missing here fails collection, so nothing runs unclassified: add a new module to TEST_CLASSES.
# `slow` marks whole suites `make test-fast` leaves out (they run in `make test`, which is what CI runs).
TEST_CLASSES = {
    "test_api_bps.py": "integration",
    "test_api_ckan.py": "integration",
    "test_api_klien.py": "integration",
    "test_api_pipeline.py": "integration",
    "test_api_rest.py": "integration",
    "test_api_wilayah.py": "integration",
    "test_airflow_ui.py": "e2e",
    "test_attribution.py": "integration",
    "test_bench_smoke.py": "e2e",
    "test_akuntansi.py": "integration",
    "test_browser.py": "e2e",
    "test_catalog.py": "unit",
    "test_celery.py": "e2e",
    "test_checks.py": "integration",
    "test_corpus.py": "integration",
    "test_dags.py": "integration",
    "test_data_docs_offline.py": "integration",
    "test_deploy_files.py": "unit",
    "test_e2e_airflow.py": "e2e",
    "test_extract.py": "integration",
    "test_faults.py": "e2e",
    "test_hostile_corpus.py": "integration",
    "test_hostile_inputs.py": "integration",
    "test_hostile_output.py": "integration",
    "test_hostile_servers.py": "integration",
    "test_indikator.py": "integration",
    "test_indikator_ekspor.py": "integration",
    "test_indikator_laporan.py": "e2e",
    "test_indikator_nilai.py": "integration",
    "test_nightly_airflow.py": "e2e",
    "test_indikator_provinsi.py": "integration",
    "test_laporan_provinsi.py": "e2e",
    "test_one_truth.py": "integration",
    "test_pemberitahuan.py": "integration",
    "test_periode.py": "unit",
    "test_provinsi.py": "integration",
    "test_plugin.py": "integration",
    "test_privacy.py": "integration",
    "test_publish.py": "integration",
    "test_publish_units.py": "integration",
    "test_pulihkan.py": "integration",
    "test_reader_bad_input.py": "integration",
    "test_reader_structure.py": "integration",
    "test_real_corpus.py": "integration",
    "test_reference.py": "unit",
    "test_region_context.py": "integration",
    "test_settings.py": "unit",
    "test_sources.py": "integration",
    "test_standardise.py": "integration",
    "test_tindak_lanjut.py": "integration",
    "test_validate.py": "integration",
    "test_warehouse.py": "integration",
}
# Single tests whose class is not their module's: "module::function" (every parametrised case of it).
TEST_CLASS_EXCEPTIONS = {
    "test_catalog.py::test_the_catalog_loads_without_pandas_pyarrow_or_gx": "integration",  # a fresh interpreter
    "test_data_docs_offline.py::test_the_manifest_check_passes_and_fails_on_a_tampered_file": "e2e",  # script run
    "test_data_docs_offline.py::test_a_validation_page_renders_offline_through_the_plugin": "e2e",  # browser
    "test_data_docs_offline.py::test_a_localised_page_also_works_opened_as_a_file": "e2e",  # browser
    "test_plugin.py::test_airflow_loads_the_plugin": "e2e",  # `airflow plugins`
    "test_warehouse.py::test_a_load_killed_mid_transaction_leaves_the_old_data_and_a_rerun_completes": "e2e",  # kill
}
SLOW_SUITES = {"test_real_corpus.py", "test_hostile_corpus.py", "test_corpus.py", "test_one_truth.py"}
TEST_CLASS_MARKERS = ("unit", "integration", "e2e")
# Modules that run Airflow (`airflow dags test`, the CLI's nightly, a LocalExecutor cluster) or the browser: one
# xdist worker runs them in turn. test_celery.py stays apart: its cluster has its own home, PostgreSQL metadata
# database, Redis database and ports, and it is the longest module, so it runs beside them.
SERIAL_AIRFLOW = {"test_airflow_ui.py", "test_dags.py", "test_deploy_files.py", "test_e2e_airflow.py",
                  "test_faults.py", "test_plugin.py", "test_one_truth.py", "test_browser.py", "test_pemberitahuan.py",
                  "test_tindak_lanjut.py", "test_indikator_laporan.py", "test_api_pipeline.py",
                  "test_nightly_airflow.py"}


def _test_module_key(item) -> str:
    return Path(str(item.path)).resolve().relative_to(Path(__file__).resolve().parent).as_posix()


def test_class_of(item) -> str:
    """unit, integration or e2e for a collected test (pytest.UsageError when its module is not classified)."""
    module = _test_module_key(item)
    if module not in TEST_CLASSES:
        raise pytest.UsageError(
            f"tests/{module} is not classified: add it to TEST_CLASSES in tests/conftest.py as one of "
            f"{', '.join(TEST_CLASS_MARKERS)} (unit: pure functions and in-memory frames; integration: real files, "
            f"DuckDB/PostgreSQL, GX runs, HTTP on loopback; e2e: Airflow, the CLI as a subprocess, the browser, "
            f"fault injection)")
    name = getattr(item, "originalname", None) or item.name.split("[")[0]
    return TEST_CLASS_EXCEPTIONS.get(f"{module}::{name}", TEST_CLASSES[module])


def pytest_collection_modifyitems(config, items):
    unknown = {v for v in [*TEST_CLASSES.values(), *TEST_CLASS_EXCEPTIONS.values()] if v not in TEST_CLASS_MARKERS}
    if unknown:
        raise pytest.UsageError(f"tests/conftest.py: unknown test class(es) {sorted(unknown)}")
    # An exception naming a test that no longer exists would silently stop applying: refuse it.
    modules = {_test_module_key(i): getattr(i, "module", None) for i in items}
    for key in TEST_CLASS_EXCEPTIONS:
        module, func = key.split("::")
        if modules.get(module) is not None and not hasattr(modules[module], func):
            raise pytest.UsageError(f"tests/conftest.py: TEST_CLASS_EXCEPTIONS names {key}, which does not exist")
    unclassified = sorted({_test_module_key(i) for i in items} - set(TEST_CLASSES))
    if unclassified:
        raise pytest.UsageError(
            f"test module(s) not classified: {', '.join('tests/' + m for m in unclassified)}. Add each to "
            f"TEST_CLASSES in tests/conftest.py as one of {', '.join(TEST_CLASS_MARKERS)} (unit: pure functions "
            f"and in-memory frames; integration: real files, DuckDB/PostgreSQL, GX runs, HTTP on loopback; e2e: "
            f"Airflow, the CLI as a subprocess, the browser, fault injection)")
    for item in items:
        item.add_marker(test_class_of(item))
        if _test_module_key(item) in SLOW_SUITES:
            item.add_marker("slow")
        # Under pytest-xdist (`make test` runs two workers, --dist loadgroup): a module stays on one worker (its
        # module fixtures are built once), and the modules that drive the project's Airflow (its one metadata
        # database, `airflow dags test`, clusters) share one worker, one after another.
        module = _test_module_key(item)
        item.add_marker(pytest.mark.xdist_group("airflow" if module in SERIAL_AIRFLOW else module))


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def needs_browser():
    """Skip without playwright or Debian's chromium, except under CI, where the browser tests must run."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        reason = "playwright is not installed"
    else:
        reason = None if CHROMIUM else "Debian's chromium is not installed (apt-get install chromium)"
    if reason and os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason + " (under CI the browser tests must run: .ci/run installs chromium)")
    if reason:
        pytest.skip(reason)


@pytest.fixture
def served(sandbox):
    """The plugin's FastAPI app under uvicorn on a free loopback port, reading the sandbox's Data Docs."""
    import socket
    import threading
    import time

    import uvicorn

    needs_browser()
    sys.path.insert(0, str(ROOT / "plugins"))
    import walidata_data_docs

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(walidata_data_docs.app, host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        t.join(10)


@pytest.fixture(scope="session")
def sample_loaded(tmp_path_factory):
    """The whole bundled sample published once per session (every catalog dataset through the four stages, the
    API datasets from the sample BPS/CKAN server over real HTTP, as `make run` does): a folder with
    warehouse.duckdb, lake/, gx/ and inbox/. Tests copy it (see `indikator_sandbox`)."""
    import subprocess

    base = tmp_path_factory.mktemp("sample_loaded")
    shutil.copytree(SAMPLE_INBOX, base / "inbox")
    copy_gx(base / "gx")
    env = {**os.environ, "WALIDATA_INBOX": str(base / "inbox"), "WALIDATA_LAKE": str(base / "lake"),
           "WALIDATA_WAREHOUSE_URL": f"duckdb:///{base / 'warehouse.duckdb'}", "WALIDATA_GX_ROOT": str(base / "gx")}
    out = subprocess.run([sys.executable, "-m", "walidata.cli", "run", "--api-contoh"], env=env, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    return base


@pytest.fixture
def indikator_sandbox(sample_loaded, tmp_path, monkeypatch):
    """Settings over a copy of the published sample, with open-data and report folders of its own; the
    indicators are not computed yet (`walidata.serve.indikator.jalankan.jalankan` does that)."""
    from walidata.settings import get_settings

    shutil.copy(sample_loaded / "warehouse.duckdb", tmp_path / "warehouse.duckdb")
    env = {"WALIDATA_INBOX": str(sample_loaded / "inbox"), "WALIDATA_LAKE": str(sample_loaded / "lake"),
           "WALIDATA_WAREHOUSE_URL": f"duckdb:///{tmp_path / 'warehouse.duckdb'}",
           "WALIDATA_GX_ROOT": str(sample_loaded / "gx"), "WALIDATA_TERBUKA": str(tmp_path / "terbuka"),
           "WALIDATA_LAPORAN": str(tmp_path / "laporan")}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return get_settings()
