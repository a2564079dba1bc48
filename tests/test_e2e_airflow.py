"""End to end through Airflow: `airflow dags test` in a temporary Airflow home, lake and warehouse."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from openpyxl import load_workbook

from conftest import DATASET, ROOT, SAMPLE_FILE, copy_gx, edit_workbook, files_containing, workbook_figures
from walidata.sample_server import serve

DAG_ID = "opd__disdukcapil__penduduk_kecamatan"
FACT = "fact.disdukcapil__penduduk_kecamatan"
pytestmark = pytest.mark.airflow


# Every test gets its own Airflow home (a fresh copy of one migrated, never-run metadata DB: no DAG run, XCom or
# log of another test), its own lake, warehouse, GX context and inbox, so the tests pass in any order and alone.
# A test that needs figures already published starts from its own copy of a published baseline, made once by a
# fixture (never by another test) and only read afterwards.


def _airflow(env: dict) -> str:
    return shutil.which("airflow", path=env["PATH"])


def _env(base: Path) -> dict:
    home = base / "airflow"
    return {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Jakarta",
        "WALIDATA_RETRIES": "0",
        "WALIDATA_LAKE": str(base / "lake"),
        "WALIDATA_WAREHOUSE_URL": f"duckdb:///{base / 'warehouse.duckdb'}",
        "WALIDATA_GX_ROOT": str(base / "gx"),
        "WALIDATA_INBOX": str(base / "inbox"),
    }


@pytest.fixture(scope="module")
def migrated_airflow_db(tmp_path_factory) -> Path:
    """One `airflow db migrate`, done once; tests only copy the resulting file."""
    base = tmp_path_factory.mktemp("airflow-template")
    env = _env(base)
    (base / "airflow").mkdir()
    subprocess.run([_airflow(env), "db", "migrate"], env=env, check=True, capture_output=True)
    return base / "airflow" / "airflow.db"


def _new_base(base: Path, airflow_db: Path, data_from: Path | None = None) -> tuple[Path, dict]:
    """A test's own places: Airflow home with a copy of the migrated DB, inbox with the sample, and a lake,
    warehouse and GX context that are either empty or a copy of `data_from` (a published baseline)."""
    base.mkdir(parents=True)
    (base / "airflow").mkdir()
    shutil.copyfile(airflow_db, base / "airflow" / "airflow.db")
    shutil.copytree(ROOT / "include" / "sample_data" / "inbox", base / "inbox")
    if data_from is None:
        copy_gx(base / "gx")
    else:
        shutil.copytree(data_from / "gx", base / "gx")
        shutil.copytree(data_from / "lake", base / "lake")
        shutil.copyfile(data_from / "warehouse.duckdb", base / "warehouse.duckdb")
    return base, _env(base)


@pytest.fixture(scope="module")
def published_baseline(tmp_path_factory, migrated_airflow_db) -> Path:
    """Lake, warehouse and GX context after one successful `dags test` of the sample (made once, then only copied)."""
    base, env = _new_base(tmp_path_factory.mktemp("published") / "base", migrated_airflow_db)
    run = _dags_test(env)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return base


@pytest.fixture
def fresh(tmp_path, migrated_airflow_db):
    """Nothing published yet: empty lake and warehouse, the sample in the inbox."""
    return _new_base(tmp_path / "e2e", migrated_airflow_db)


@pytest.fixture
def published_once(tmp_path, migrated_airflow_db, published_baseline):
    """The sample already published once (this test's own copy), the same sample still in the inbox."""
    return _new_base(tmp_path / "e2e", migrated_airflow_db, data_from=published_baseline)


def _dags_test(env, *extra) -> subprocess.CompletedProcess:
    return subprocess.run([_airflow(env), "dags", "test", DAG_ID, *extra], env=env,
                          capture_output=True, text=True, timeout=600)


def _warehouse(base: Path):
    return duckdb.connect(str(base / "warehouse.duckdb"), read_only=True)


def _dump(base: Path, tables=(FACT, "ref.wilayah", "ref.dataset")) -> dict:
    with _warehouse(base) as c:
        return {t: c.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}


def test_dags_test_publishes_the_workbook_figures(fresh):
    base, env = fresh
    assert not (base / "warehouse.duckdb").exists()
    run = _dags_test(env)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    truth = workbook_figures(SAMPLE_FILE)
    with _warehouse(base) as c:
        rows = c.execute(f"""SELECT f.periode, f.jenis_kelamin, f.nilai, f.sumber_sheet, f.sumber_baris
                         FROM {FACT} f""").fetchall()
        assert len(rows) == len(truth) * 2 == 78
        # Each warehouse figure is the workbook cell it came from (read independently with openpyxl).
        wb = load_workbook(SAMPLE_FILE)
        for periode, jk, nilai, sheet, row in rows:
            assert sheet == periode
            laki, perempuan = truth[(sheet, wb[sheet].cell(row=row, column=2).value)]
            assert nilai == (laki if jk == "L" else perempuan)
        (log,) = c.execute("SELECT status, baris_dibaca, baris_dimuat, baris_ditolak, hasil_validasi "
                           "FROM audit.load_log").fetchall()
        assert log == ("dimuat", 78, 78, 0, "lulus")
        lake = c.execute(f"""SELECT COUNT(*), SUM(nilai) FROM read_parquet('{base}/lake/clean/**/*.parquet',
                         hive_partitioning = 1)""").fetchone()
        assert lake == (78, sum(a + b for a, b in truth.values()))
    assert sorted(p.name for p in (base / "lake" / "clean" / f"dataset={DATASET}" / "wilayah=62.06").iterdir()) == [
        "periode=2023", "periode=2024", "periode=2025"]


def test_second_run_gives_the_same_warehouse(published_once):
    base, env = published_once
    before = _dump(base)
    with_log = _dump(base, tables=(FACT, "audit.load_log"))
    # Nothing new in the inbox: the run succeeds and skips, nothing is reloaded or logged.
    run = _dags_test(env)
    assert run.returncode == 0, run.stdout[-3000:]
    assert "tidak ada file baru" in run.stdout + run.stderr
    assert _dump(base, tables=(FACT, "audit.load_log")) == with_log
    # Forced reload of the same files: the same warehouse again.
    run = _dags_test(env, "--conf", '{"paksa": true}')
    assert run.returncode == 0, run.stdout[-3000:]
    assert _dump(base) == before


def test_bad_workbook_fails_at_validation_and_changes_nothing(published_once, tmp_path, httpserver):
    base, env = published_once
    assert not (base / "lake" / "karantina").exists()
    before = _dump(base)
    inbox = tmp_path / "inbox" / "disdukcapil" / "penduduk_kecamatan"
    edit_workbook(SAMPLE_FILE, inbox / "kiriman_rusak.xlsx", {("2024", "B13"): "Kecamatan Entah", ("2024", "C15"): -3})
    # the alert goes to a webhook (an HTTP sink on loopback), from the failed task's callback
    httpserver.expect_request("/hooks/walidata", method="POST").respond_with_data("ok")
    hook = json.dumps({"conn_type": "http", "host": httpserver.url_for("/hooks/walidata")})
    run = _dags_test({**env, "WALIDATA_INBOX": str(tmp_path / "inbox"), "WALIDATA_PERINGATAN_WEBHOOK": "uji_webhook",
                      "AIRFLOW_CONN_UJI_WEBHOOK": hook})
    out = run.stdout + run.stderr
    assert run.returncode != 0
    alerts = [json.loads(r.get_data()) for r, _ in httpserver.log]
    assert len(alerts) == 1, alerts
    a = alerts[0]
    assert (a["jenis"], a["opd"], a["dataset"]) == ("validasi_gagal", "disdukcapil", DATASET)
    assert a["pesan"].startswith("tugas validate: ") and "validation failed" in a["pesan"] and "\n" not in a["pesan"]
    assert "Pemeriksaan data gagal" in a["text"] and "OPD disdukcapil" in a["text"]
    assert "/dags/opd__disdukcapil__penduduk_kecamatan/runs/" in a["tautan_log"] and "/tasks/validate" in a[
        "tautan_log"] and a["tautan_log"] in a["text"]  # the link to the task's log
    assert "validation failed, nothing published" in out
    assert "file kiriman_rusak.xlsx, sheet '2024', baris 13, kolom B: kecamatan 'Kecamatan Entah' tidak dikenal" in out
    assert "file kiriman_rusak.xlsx, sheet '2024', baris 15, kolom C: nilai=-3" in out
    assert _dump(base) == before
    (q,) = list((base / "lake" / "karantina" / f"dataset={DATASET}").glob("run=*/rejected.parquet"))
    rejected = pd.read_parquet(q)
    assert set(rejected.sumber_baris) == {13, 15}
    assert rejected.alasan.str.contains("kiriman_rusak.xlsx").all()
    with _warehouse(base) as c:
        assert c.execute("SELECT status FROM audit.load_log ORDER BY selesai DESC LIMIT 1").fetchone() == (
            "gagal_validasi",)


def test_an_airflow_run_and_a_cli_run_at_once_never_interleave(published_once, tmp_path):
    """`airflow dags test` and `walidata run` of one dataset started together on a revised file: each publishes
    or is refused (never a mix), and the warehouse and the lake end with the revision, row by row."""
    base, env = published_once
    inbox = tmp_path / "inbox"
    edit_workbook(SAMPLE_FILE, inbox / "disdukcapil" / "penduduk_kecamatan" / "revisi.xlsx", {
        ("2025", "C7"): 4942, ("2025", "E7"): 9517, ("2025", "C20"): 94411})
    env = {**env, "WALIDATA_INBOX": str(inbox)}
    with _warehouse(base) as c:
        since = c.execute("SELECT COALESCE(MAX(selesai), TIMESTAMPTZ '2000-01-01') FROM audit.load_log").fetchone()[0]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for cmd in (
        [_airflow(env), "dags", "test", DAG_ID],
        [sys.executable, "-m", "walidata.cli", "run", DATASET])]
    outs = [p.communicate(timeout=600)[0] for p in procs]
    for p, out in zip(procs, outs, strict=True):
        assert p.returncode == 0 or "Run again" in out, out[-3000:]  # published, or refused as superseded
    assert any(p.returncode == 0 for p in procs)
    with _warehouse(base) as c:
        log = c.execute("SELECT run_id, status, pesan FROM audit.load_log WHERE selesai > ? ORDER BY selesai",
                        [since]).fetchall()
        current = c.execute(f"SELECT variabel, kode_wilayah, periode, jenis_kelamin, nilai, load_id FROM {FACT} "
                            "ORDER BY ALL").fetchall()
        lake = c.execute(f"""SELECT variabel, kode_wilayah, periode, jenis_kelamin, nilai, load_id FROM read_parquet(
            '{base}/lake/clean/dataset={DATASET}/**/*.parquet', hive_partitioning = 1,
            hive_types = {{'periode': VARCHAR, 'wilayah': VARCHAR}}) ORDER BY ALL""").fetchall()
    published = [r for r in log if r[1] == "dimuat"]
    assert published and len({r[0] for r in published}) == len(published)
    assert all("Run again" in r[2] for r in log if r[1] == "gagal_muat")
    assert len(current) == 78 and lake == current
    assert [r[4] for r in current if r[1] == "62.06.01" and r[2] == "2025" and r[3] == "L"] == [4942.0]


def test_the_indicator_dag_computes_checks_exports_and_reports_then_skips_what_did_not_change(
        tmp_path, migrated_airflow_db, sample_loaded):
    """`airflow dags test smart_city_indicators` on the published sample; a second run recomputes nothing."""
    base = tmp_path / "ind"
    (base / "airflow").mkdir(parents=True)
    shutil.copyfile(migrated_airflow_db, base / "airflow" / "airflow.db")
    shutil.copytree(sample_loaded / "gx", base / "gx")
    shutil.copyfile(sample_loaded / "warehouse.duckdb", base / "warehouse.duckdb")
    env = {**_env(base), "WALIDATA_LAKE": str(sample_loaded / "lake"), "WALIDATA_INBOX": str(sample_loaded / "inbox"),
           "WALIDATA_TERBUKA": str(base / "terbuka"), "WALIDATA_LAPORAN": str(base / "laporan")}

    def run():
        r = subprocess.run([_airflow(env), "dags", "test", "smart_city_indicators"], env=env, capture_output=True,
                           text=True, timeout=600)
        assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]

    # the indicators are published back to the (sample) CKAN portal over real HTTP: datastore_create, then upserts
    with serve() as portal:
        env.update(portal.connections())
        run()
        with _warehouse(base) as c:
            n, kodes = c.execute("SELECT COUNT(*), COUNT(DISTINCT indikator) FROM mart.indikator_nilai").fetchone()
            runs = c.execute("SELECT DISTINCT run_id FROM audit.indikator_hitung").fetchall()
            checks = c.execute("SELECT COUNT(*) FROM audit.hasil_validasi "
                               "WHERE dataset = 'mart.indikator_nilai'").fetchone()
            per_indicator = dict(c.execute(
                "SELECT indikator, COUNT(*) FROM mart.indikator_nilai GROUP BY 1").fetchall())
        sent = {t["resource"]["name"]: len(t["records"]) for t in portal.upserts.values()}
        assert sent == per_indicator and len(sent) >= 24
        assert n > 1000 and kodes >= 24 and len(runs) == 1 and checks[0] > 0
        assert (base / "laporan" / "index.html").is_file() and (base / "terbuka" / "ms_ind.xlsx").is_file()
        assert (base / "terbuka" / "cakupan_akta_kelahiran" / "cakupan_akta_kelahiran.csv").is_file()
        run()  # nothing recomputed; sent again: the key replaces records, nothing duplicated or created twice
        assert {t["resource"]["name"]: len(t["records"]) for t in portal.upserts.values()} == sent
        assert len(portal.upserts) == len(sent)
    with _warehouse(base) as c:
        assert c.execute("SELECT DISTINCT run_id FROM audit.indikator_hitung").fetchall() == runs
        assert c.execute("SELECT COUNT(*) FROM mart.indikator_nilai__riwayat").fetchone()[0] == n


def test_a_bps_dag_fetches_over_http_under_airflow_and_no_log_holds_the_key(fresh):
    """`airflow dags test opd__bps__ipm` against the sample BPS WebAPI: the connection comes from the environment
    as an Airflow Connection would, the figures land, a second run skips (BPS says nothing changed), and neither
    the task logs nor any written file holds the key."""
    from walidata.sample_server import BPS_KEY

    base, env = fresh
    with serve() as server:
        env.update(server.connections())
        for _ in range(2):
            r = subprocess.run([_airflow(env), "dags", "test", "opd__bps__ipm"], env=env, capture_output=True,
                               text=True, timeout=600)
            assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "tidak berubah menurut BPS" in r.stdout + r.stderr  # the second run: skipped, nothing fetched again
    with _warehouse(base) as c:
        got = c.execute("SELECT nilai FROM fact.bps__ipm WHERE variabel = 'indeks_pembangunan_manusia' "
                        "AND periode = '2025'").fetchall()
        loads = c.execute("SELECT status FROM audit.load_log WHERE dataset = 'bps.ipm'").fetchall()
    assert got == [(69.14,)] and loads == [("dimuat",)]
    assert BPS_KEY not in r.stdout + r.stderr  # the task output (`dags test` logs there)
    # nor any file the run wrote: Airflow's home (its database, any log file), lake (raw items unpacked), GX,
    # warehouse
    assert any(base.rglob("respons.zip"))
    assert files_containing(base, [BPS_KEY.encode()], skip=("inbox",)) == []
