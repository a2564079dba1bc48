"""The warehouse analysts query: schema, migrations, history, access, and loads under concurrency/crash.

Each test runs on DuckDB and on a throwaway PostgreSQL database (the `warehouse` fixture)."""

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest
import sqlalchemy as sa

from conftest import DATASET, SAMPLE_FILE, as_role, drop_database_and_roles, edit_workbook, replace_inbox_file, snapshot
from walidata import pipeline
from walidata.catalog import get_dataset
from walidata.publish import history
from walidata.publish.migrations import LATEST, migrate

FACT = "fact.disdukcapil__penduduk_kecamatan"


def _q(url, sql, **params):
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as c:
            return [tuple(r) for r in c.execute(sa.text(sql), params).all()]
    finally:
        engine.dispose()


def test_migrates_a_first_release_warehouse_in_place(warehouse):
    """A warehouse written by the first release (schema v1, no version table) is upgraded without loss."""
    url = warehouse.warehouse_url
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as c:
        migrate(c, target=1)
        c.exec_driver_sql("DROP TABLE audit.schema_version")  # v1 had no version table
        c.exec_driver_sql("""CREATE TABLE fact.disdukcapil__penduduk_kecamatan (
            variabel VARCHAR, kode_wilayah VARCHAR, periode VARCHAR, jenis_kelamin VARCHAR, nilai DOUBLE PRECISION,
            satuan VARCHAR, status VARCHAR, load_id VARCHAR, sumber_file VARCHAR, sumber_sheet VARCHAR,
            sumber_baris INTEGER, PRIMARY KEY (variabel, kode_wilayah, periode, jenis_kelamin))""")
        c.exec_driver_sql("""INSERT INTO fact.disdukcapil__penduduk_kecamatan VALUES
            ('jumlah_penduduk', '62.06.01', '2024', 'L', 4700, 'jiwa', 'tetap', 'lama1', 'f.xlsx', '2024', 7, ),
            ('jumlah_penduduk', '62.06.01', '2024', 'P', 4400, 'jiwa', 'tetap', 'lama1', 'f.xlsx', '2024', 7)"""
                          .replace(", )", ")"))
        c.exec_driver_sql("INSERT INTO ref.dataset (id, opd, tabel_fakta) VALUES "
                          "('disdukcapil.penduduk_kecamatan', 'disdukcapil', 'fact.disdukcapil__penduduk_kecamatan')")
        c.exec_driver_sql("INSERT INTO audit.load_log (run_id, load_id, dataset, status, selesai) VALUES "
                          "('r0', 'lama1', 'disdukcapil.penduduk_kecamatan', 'dimuat', '2025-01-02 03:04:05+00')")
    with engine.begin() as c:
        assert migrate(c) == list(range(2, LATEST + 1))
        assert migrate(c) == []  # idempotent
    engine.dispose()
    assert _q(url, "SELECT versi FROM audit.schema_version ORDER BY versi") == [(v,) for v in range(1, LATEST + 1)]
    assert _q(url, f"SELECT kode_wilayah, jenis_kelamin, nilai, load_id FROM {FACT} ORDER BY 2") == [
        ("62.06.01", "L", 4700.0, "lama1"), ("62.06.01", "P", 4400.0, "lama1")]
    (since,) = _q(url, f"SELECT MIN(berlaku_mulai) FROM {FACT}__riwayat")[0]
    assert since.astimezone(dt.UTC) == dt.datetime(2025, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    # The upgraded warehouse takes new loads: the old 2024 figures are superseded, history kept.
    pipeline.run_dataset(DATASET, "after-upgrade", warehouse)
    assert _q(url, f"SELECT COUNT(*) FROM {FACT}") == [(78,)]
    assert _q(url, f"SELECT COUNT(*) FROM {FACT}__riwayat WHERE load_id = 'lama1' AND berlaku_sampai IS NOT NULL") \
        == [(2,)]


SCHEMAS = "('ref', 'fact', 'mart', 'audit', 'pribadi')"


def _shape(url: str) -> dict:
    """Every table and view of the warehouse: columns in order with type and nullability, and every comment."""
    columns = _q(url, "SELECT table_schema, table_name, ordinal_position, column_name, data_type, is_nullable "
                      f"FROM information_schema.columns WHERE table_schema IN {SCHEMAS} ORDER BY 1, 2, 3")
    if url.startswith("duckdb"):
        comments = _q(url, "SELECT schema_name, table_name, column_name, comment FROM duckdb_columns() "
                           f"WHERE schema_name IN {SCHEMAS} AND comment IS NOT NULL ORDER BY 1, 2, 3")
        comments += _q(url, "SELECT schema_name, table_name, '', comment FROM duckdb_tables() "
                            f"WHERE schema_name IN {SCHEMAS} AND comment IS NOT NULL UNION ALL "
                            "SELECT schema_name, view_name, '', comment FROM duckdb_views() "
                            f"WHERE schema_name IN {SCHEMAS} AND comment IS NOT NULL ORDER BY 1, 2")
    else:
        comments = _q(url, "SELECT n.nspname, c.relname, COALESCE(a.attname, ''), "
                           "COALESCE(col_description(c.oid, a.attnum), obj_description(c.oid, 'pg_class')) "
                           "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                           "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
                           f"WHERE n.nspname IN {SCHEMAS} AND c.relkind IN ('r', 'v') ORDER BY 1, 2, 3")
        comments += _q(url, "SELECT n.nspname, c.relname, '', obj_description(c.oid, 'pg_class') FROM pg_class c "
                            "JOIN pg_namespace n ON n.oid = c.relnamespace "
                            f"WHERE n.nspname IN {SCHEMAS} AND c.relkind IN ('r', 'v') ORDER BY 1, 2")
        comments = [r for r in comments if r[3] is not None]
    return {"columns": columns, "comments": sorted(comments)}


def test_a_v5_warehouse_migrated_to_latest_equals_a_fresh_one(warehouse, tmp_path, monkeypatch):
    """A warehouse written by the release before the descriptions moved into migrations (v5, with data,
    views and history) ends, once migrated, exactly like a new one: same columns, same comments."""
    from walidata.publish import migrations
    from walidata.settings import get_settings

    released = migrations.MIGRATIONS
    monkeypatch.setattr(migrations, "MIGRATIONS", released[:5])
    pipeline.run_dataset(DATASET, "v5", warehouse)
    assert _q(warehouse.warehouse_url, "SELECT MAX(versi) FROM audit.schema_version") == [(5,)]
    monkeypatch.setattr(migrations, "MIGRATIONS", released)
    pipeline.run_dataset(DATASET, "latest", warehouse, paksa=True)  # migrates, then publishes on the new schema
    assert _q(warehouse.warehouse_url, "SELECT versi FROM audit.schema_version WHERE versi > 5") == [
        (v,) for v in range(6, LATEST + 1)]
    if warehouse.warehouse_url.startswith("duckdb"):
        fresh_url = f"duckdb:///{tmp_path / 'fresh.duckdb'}"
    else:
        fresh_url = warehouse.warehouse_url.rsplit("/", 1)[0] + f"/walidata_test_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(warehouse.warehouse_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
        with admin.connect() as c:
            c.exec_driver_sql(f'CREATE DATABASE "{fresh_url.rsplit("/", 1)[1]}"')
        admin.dispose()
    try:
        fresh = get_settings(warehouse_url=fresh_url, lake=tmp_path / "lake-fresh")
        pipeline.run_dataset(DATASET, "fresh", fresh)
        old, new = _shape(warehouse.warehouse_url), _shape(fresh_url)
    finally:
        if not fresh_url.startswith("duckdb"):
            drop_database_and_roles(fresh_url, ())
    assert old == new
    described = {(s, t, c): text for s, t, c, text in new["comments"]}
    assert described["ref", "wilayah", "kode_kemendagri"].startswith("Kode wilayah Kemendagri")
    assert described["audit", "load_log", "baris_dipertahankan"].startswith("Angka yang sudah terbit")
    assert described["ref", "periode", "jenis"].startswith("tahun, semester, triwulan, bulan, minggu")
    assert described["fact", "disdukcapil__penduduk_kecamatan__riwayat", "nilai"] == "Penduduk (jumlah, jiwa)"

def test_reference_calendar_names_views_and_comments(warehouse):
    url = warehouse.warehouse_url
    pipeline.run_dataset(DATASET, "r1", warehouse)
    pipeline.run_dataset("dinkes.kelahiran", "r1", warehouse)
    assert _q(url, "SELECT mulai, selesai, semester, triwulan FROM ref.periode WHERE periode = '2024-Q3'") == [
        (dt.date(2024, 7, 1), dt.date(2024, 9, 30), 2, 3)]
    assert _q(url, "SELECT jenis, tahun, mulai, selesai FROM ref.periode WHERE periode IN ('2024-W01', '2026-W53') "
                   "ORDER BY 1, 2") == [("minggu", 2024, dt.date(2024, 1, 1), dt.date(2024, 1, 7)),
                                        ("minggu", 2026, dt.date(2026, 12, 28), dt.date(2027, 1, 3))]
    assert _q(url, "SELECT nama FROM ref.opd WHERE kode = 'dinkes'") == [("Dinas Kesehatan",)]
    rows = _q(url, "SELECT nama_wilayah, kode_bps, nama_induk, tahun, jenis_kelamin, nilai FROM "
                   "mart.disdukcapil__penduduk_kecamatan WHERE kode_wilayah = '62.06.02' AND periode = '2025' "
                   "ORDER BY jenis_kelamin")
    assert [r[:5] for r in rows] == [("Katingan Hilir", "6209050", "Kabupaten Katingan", 2025, "L"),
                                     ("Katingan Hilir", "6209050", "Kabupaten Katingan", 2025, "P")]
    obs = dict(_q(url, "SELECT dataset, COUNT(*) FROM fact.observasi GROUP BY dataset"))
    assert obs == {DATASET: 78, "dinkes.kelahiran": 117}
    assert _q(url, "SELECT DISTINCT rincian FROM fact.observasi WHERE dataset = :d ORDER BY 1", d=DATASET) == [
        ("jenis_kelamin=L",), ("jenis_kelamin=P",)]
    if url.startswith("duckdb"):
        comment = _q(url, "SELECT comment FROM duckdb_tables() WHERE table_name = "
                          "'disdukcapil__penduduk_kecamatan__riwayat'")[0][0]
        col = _q(url, "SELECT comment FROM duckdb_columns() WHERE table_name = "
                      "'disdukcapil__penduduk_kecamatan__riwayat' AND column_name = 'nilai'")[0][0]
    else:
        comment = _q(url, "SELECT obj_description('fact.disdukcapil__penduduk_kecamatan__riwayat'::regclass)")[0][0]
        col = _q(url, "SELECT col_description('fact.disdukcapil__penduduk_kecamatan__riwayat'::regclass, "
                      "(SELECT attnum FROM pg_attribute WHERE attrelid = "
                      "'fact.disdukcapil__penduduk_kecamatan__riwayat'::regclass AND attname = 'nilai'))")[0][0]
    assert "Jumlah Penduduk" in comment and "Dinas Kependudukan" in comment
    assert col == "Penduduk (jumlah, jiwa)"


def test_what_was_published_on_a_date(warehouse, tmp_path):
    url = warehouse.warehouse_url
    pipeline.run_dataset(DATASET, "v1", warehouse)
    between = dt.datetime.now(dt.UTC)
    time.sleep(0.01)
    revised = edit_workbook(SAMPLE_FILE, tmp_path / "revisi.xlsx", {})
    from openpyxl import load_workbook

    wb = load_workbook(revised)
    ws = wb["2024"]  # baris 8 is Katingan Hilir: its male figure is revised by +7, flagged 'r'
    ws["C8"], ws["E8"], ws["C20"] = f"{ws['C8'].value + 7} r", ws["E8"].value + 7, ws["C20"].value + 7
    wb.save(revised)
    replace_inbox_file(warehouse, revised)
    out = pipeline.run_dataset(DATASET, "v2", warehouse)
    assert out["rows_changed"] == 2
    ds = get_dataset(warehouse.catalog, DATASET)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as c:
        then = {(r.kode_wilayah, r.periode, r.jenis_kelamin): (r.nilai, r.status) for r in
                history.published_on(c, ds, between)}
        now = {(r.kode_wilayah, r.periode, r.jenis_kelamin): (r.nilai, r.status) for r in
               history.published_on(c, ds, dt.datetime.now(dt.UTC))}
    engine.dispose()
    key = ("62.06.02", "2024", "L")
    assert len(then) == len(now) == 78
    assert now[key] == (then[key][0] + 7, "revisi") and then[key][1] == "tetap"
    assert {k for k in now if now[k] != then[k]} == {key}


def test_a_reader_during_a_load_sees_old_or_new_never_a_mix(warehouse, tmp_path):
    url = warehouse.warehouse_url
    pipeline.run_dataset(DATASET, "old", warehouse)
    old = _q(url, f"SELECT SUM(nilai), COUNT(*) FROM {FACT}")[0]
    bigger = edit_workbook(SAMPLE_FILE, tmp_path / "baru.xlsx", {})
    from openpyxl import load_workbook

    wb = load_workbook(bigger)
    for ws in wb.worksheets:  # every figure changes: +1 in every cell and total
        for r in range(7, 21):
            for col in "CDE":
                v = ws[f"{col}{r}"].value
                ws[f"{col}{r}"] = (int(str(v).replace(".", "")) if isinstance(v, str) else v) + (
                    13 if r == 20 else 2 if col == "E" else 1)
    wb.save(bigger)
    replace_inbox_file(warehouse, bigger)
    seen, stop = set(), threading.Event()
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)

    def reader():
        while not stop.is_set():
            try:
                with engine.connect() as c:
                    seen.add(tuple(c.execute(sa.text(f"SELECT SUM(nilai), COUNT(*) FROM {FACT}")).one()))
            except sa.exc.OperationalError:
                pass  # DuckDB: the file is held by the writer for a moment
            time.sleep(0.002)

    t = threading.Thread(target=reader)
    t.start()
    try:
        pipeline.run_dataset(DATASET, "new", warehouse)
    finally:
        stop.set()
        t.join()
        engine.dispose()
    new = _q(url, f"SELECT SUM(nilai), COUNT(*) FROM {FACT}")[0]
    assert new == (old[0] + 78, 78)
    assert seen and seen <= {old, new}, seen


KILL_SCRIPT = """
import os, sys
from walidata import pipeline
from walidata.publish import history
from walidata.settings import get_settings
settings = get_settings()
orig = history.replace_partitions
def slow(conn, ds, data, when, **kw):
    n = orig(conn, ds, data, when, **kw)
    print("INSIDE", flush=True)   # the new rows are in, the transaction is not committed
    import time; time.sleep(60)
    return n
history.replace_partitions = slow
pipeline.run_dataset(sys.argv[1], "killed", settings, paksa=True)
"""


def test_a_load_killed_mid_transaction_leaves_the_old_data_and_a_rerun_completes(warehouse, tmp_path):
    url = warehouse.warehouse_url
    pipeline.run_dataset(DATASET, "old", warehouse)
    tables = [FACT, f"{FACT}__riwayat", "ref.dataset", "audit.load_log"]
    before = snapshot(url, tables)
    from openpyxl import load_workbook

    ws = load_workbook(SAMPLE_FILE)["2025"]
    changed = edit_workbook(SAMPLE_FILE, tmp_path / "baru.xlsx", {
        ("2025", "C7"): 5000, ("2025", "E7"): None, ("2025", "C20"): ws["C20"].value + 5000 - ws["C7"].value})
    replace_inbox_file(warehouse, changed)
    env = {**os.environ, "WALIDATA_WAREHOUSE_URL": url, "WALIDATA_LAKE": str(warehouse.lake),
           "WALIDATA_GX_ROOT": str(warehouse.gx_root), "WALIDATA_INBOX": str(warehouse.inbox)}
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, DATASET], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "INSIDE", proc.stderr.read()
        proc.send_signal(signal.SIGKILL)  # no cleanup, no rollback: like a power cut
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert snapshot(url, tables) == before
    out = pipeline.run_dataset(DATASET, "rerun", warehouse)
    assert out["rows_changed"] == 2
    assert _q(url, f"SELECT nilai FROM {FACT} WHERE kode_wilayah = '62.06.01' AND periode = '2025' AND "
                   f"jenis_kelamin = 'L'") == [(5000.0,)]


@pytest.mark.postgres
def test_analyst_role_reads_but_cannot_write_create_or_see_personal_data(sandbox, postgres_url, monkeypatch):
    from walidata.publish.access import setup_roles
    from walidata.settings import get_settings

    monkeypatch.setenv("WALIDATA_WAREHOUSE_URL", postgres_url)
    settings = get_settings()
    pipeline.run_dataset(DATASET, "r1", settings)
    analyst, pipe = f"analis_{uuid.uuid4().hex[:8]}", f"pipa_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as c:
            c.exec_driver_sql("CREATE TABLE pribadi.penduduk_nik (nik VARCHAR, nama VARCHAR)")
        setup_roles(postgres_url, analyst, pipe)
        setup_roles(postgres_url, analyst, pipe)  # idempotent
        pipeline.run_dataset("dinkes.kelahiran", "r2", settings)  # tables and views created after the grants

        def as_analyst(sql):
            return as_role(engine, analyst, sql)

        assert as_analyst(f"SELECT COUNT(*) FROM {FACT}") == [(78,)]
        assert as_analyst("SELECT COUNT(*) FROM mart.dinkes__kelahiran") == [(117,)]
        assert as_analyst("SELECT COUNT(*) FROM fact.observasi")[0][0] == 78 + 117
        assert as_analyst("SELECT COUNT(*) FROM ref.wilayah")[0][0] > 700
        for sql in (f"INSERT INTO {FACT}__riwayat (variabel, kode_wilayah, periode, berlaku_mulai) "
                    f"VALUES ('x', 'x', '2020', now())",
                    "UPDATE ref.wilayah SET nama = 'x'", "DELETE FROM audit.load_log",
                    "CREATE TABLE fact.coba (a int)", "CREATE TABLE public.coba (a int)",
                    "SELECT * FROM pribadi.penduduk_nik", "DROP VIEW mart.dinkes__kelahiran"):
            with pytest.raises(sa.exc.ProgrammingError, match="permission denied|must be owner"):
                as_analyst(sql)
    finally:
        engine.dispose()
        drop_database_and_roles(postgres_url, (analyst, pipe))


def test_data_dictionary_from_catalog_and_live_schema(sandbox):
    from walidata import cli

    pipeline.run_dataset(DATASET, "r1", sandbox)
    out = sandbox.lake.parent / "kamus.md"
    assert cli.main(["kamus", "--keluar", str(out)]) == 0
    text = out.read_text()
    assert "# Kamus data Walidata — Kabupaten Katingan (62.06)" in text
    assert "### Jumlah Penduduk Menurut Kecamatan dan Jenis Kelamin (`disdukcapil.penduduk_kecamatan`)" in text
    assert "| nilai | double | Penduduk (jumlah, jiwa) |" in text
    assert "| berlaku_sampai | timestamp with time zone | Kapan angka ini digantikan" in text
    # The fixed tables' descriptions come from the warehouse itself (migration 6), not from Python code.
    assert "| kode_kemendagri | varchar | Kode wilayah Kemendagri (Kepmendagri 300.2.2-2138/2025) |" in text
    assert "| baris_dipertahankan | integer | Angka yang sudah terbit" in text
    assert ("| jenis | varchar | tahun, semester, triwulan, bulan, minggu (minggu ISO YYYY-Wnn, Senin sampai "
            "Minggu) |") in text
    # Datasets not loaded yet are listed from the catalog, with their tables marked as absent.
    assert "`fact.dinkes__kelahiran__riwayat`: belum ada di gudang data" in text
    rows = _q(sandbox.warehouse_url, "SELECT pemeriksaan, sukses FROM audit.hasil_validasi WHERE run_id = 'r1'")
    assert len(rows) >= 10 and all(ok for _, ok in rows)


@pytest.mark.parametrize("name", ['x; DROP TABLE fact.y; --', 'a"b', "Jenis_Kelamin", "a" * 64, "", "../x"])
def test_identifiers_from_the_catalog_are_checked_again_before_they_reach_sql(name):
    """Defence in depth: even a name the catalog let through (or a hand-made Dataset) never reaches SQL raw."""
    from walidata.publish.warehouse import ident

    with pytest.raises(ValueError, match="is not a safe SQL identifier"):
        ident(name)
    assert ident("jenis_kelamin") == '"jenis_kelamin"' and ident("a" * 63) == f'"{"a" * 63}"'


def test_view_files_take_only_quoted_identifiers_in_their_placeholders():
    """The view SQL files are filled only with names checked and quoted by ident(): anything else is refused."""
    from walidata.publish import sqlfiles
    from walidata.publish.warehouse import ident

    sql = sqlfiles.render("sql/fact_current.sql", view=ident("a__b"), history=ident("a__b__riwayat"),
                          columns=", ".join(ident(c) for c in ("variabel", "nilai")))
    assert sqlfiles.statements(sql) == [
        'DROP VIEW IF EXISTS fact."a__b"',
        'CREATE VIEW fact."a__b" AS\nSELECT "variabel", "nilai"\nFROM fact."a__b__riwayat"\n'
        'WHERE berlaku_sampai IS NULL']
    for bad in ('"a"; DROP TABLE ref.wilayah; --', "a__b", '"a" OR 1=1', '"A"'):
        with pytest.raises(ValueError, match="not built from quoted identifiers"):
            sqlfiles.render("sql/fact_current.sql", view=bad, history=ident("h"), columns=ident("c"))
    with pytest.raises(ValueError, match="placeholders"):
        sqlfiles.render("sql/fact_current.sql", view=ident("v"), history=ident("h"))
