"""`walidata nightly` (what `make run` runs) goes through Airflow: one Airflow process runs every catalog DAG, each
run lands in the Airflow metadata DB with its task logs where the UI reads them, and a second nightly with nothing
new does no work (no load, no new DAG run for a file dataset, no indicator run)."""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from conftest import ROOT, copy_gx
from walidata.catalog import load_catalog

pytestmark = pytest.mark.airflow

DATASETS, _ = load_catalog(ROOT / "include" / "catalog")
FILE_DAGS = {d.dag_id for d in DATASETS if d.sumber.kind == "spreadsheet"}
API_DAGS = {d.dag_id for d in DATASETS} - FILE_DAGS
INDIKATOR = "smart_city_indicators"

# Read in the test's Airflow home by Airflow's own log reader (the one behind the UI's log view): every task
# instance that ran, its state and the text the UI would show.
PROBE = """
import json
import sqlalchemy as sa
from airflow.models.taskinstance import TaskInstance
from airflow.utils.log.log_reader import TaskLogReader
from airflow.utils.session import create_session

reader, out = TaskLogReader(), {}
with create_session() as s:
    for ti in s.scalars(sa.select(TaskInstance).where(TaskInstance.try_number > 0)):
        text = "".join(reader.read_log_stream(ti, ti.try_number, {}))
        out[f"{ti.dag_id}/{ti.run_id}/{ti.task_id}"] = [str(ti.state), ti.try_number, text]
print(json.dumps(out))
"""


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
        "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        "WALIDATA_LAKE": str(base / "lake"),
        "WALIDATA_WAREHOUSE_URL": f"duckdb:///{base / 'warehouse.duckdb'}",
        "WALIDATA_GX_ROOT": str(base / "gx"),
        "WALIDATA_INBOX": str(base / "inbox"),
        "WALIDATA_TERBUKA": str(base / "terbuka"),
        "WALIDATA_LAPORAN": str(base / "laporan"),
    }


@pytest.fixture
def project(tmp_path) -> tuple[Path, dict]:
    """A migrated Airflow home, the sample inbox, an empty lake and warehouse: a fresh `make run`."""
    base = tmp_path / "malam"
    (base / "airflow").mkdir(parents=True)
    shutil.copytree(ROOT / "include" / "sample_data" / "inbox", base / "inbox")
    copy_gx(base / "gx")
    env = _env(base)
    subprocess.run(["airflow", "db", "migrate"], env=env, check=True, capture_output=True, timeout=600)
    return base, env


def _nightly(env: dict) -> subprocess.CompletedProcess:
    run = subprocess.run([sys.executable, "-m", "walidata.cli", "nightly", "--api-contoh"], env=env,
                         capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run


def _metadata(base: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(base / "airflow" / "airflow.db") as c:
        return c.execute(sql).fetchall()


def _runs(base: Path) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    for dag_id, run_id, state in _metadata(base, "SELECT dag_id, run_id, state FROM dag_run ORDER BY id"):
        out.setdefault(dag_id, []).append((run_id, state))
    return out


def _task_logs(env: dict) -> dict[str, list]:
    run = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=600,
                         check=True)
    return json.loads(run.stdout.strip().splitlines()[-1])


def _load_log(base: Path) -> list[tuple]:
    with duckdb.connect(str(base / "warehouse.duckdb"), read_only=True) as c:
        return c.execute("SELECT dataset, run_id, status, load_id FROM audit.load_log ORDER BY ALL").fetchall()


def _assert_first_night(base: Path, env: dict) -> dict[str, list[tuple]]:
    runs = _runs(base)
    every = FILE_DAGS | API_DAGS | {INDIKATOR}
    assert set(runs) == every, set(runs) ^ every
    assert all(r == [(r[0][0], "success")] for r in runs.values()), runs
    logs = _task_logs(env)
    for dag_id, [(run_id, _)] in runs.items():
        ran = {k.split("/")[-1]: v for k, v in logs.items() if k.startswith(f"{dag_id}/{run_id}/")}
        wanted = {"hitung", "ekspor", "portal", "laporan"} if dag_id == INDIKATOR else {
            "extract", "standardise", "validate", "publish", "wilayah_ditahan"}
        assert set(ran) == wanted, (dag_id, sorted(ran))
        for task_id, (state, attempt, text) in ran.items():
            # The UI's reader found the task's own file (not a "no log" notice) and it holds the task's output.
            assert f"/dag_id={dag_id}/run_id={run_id}/task_id={task_id}/attempt={attempt}.log" in text
            assert state == "skipped" or "Done. Returned value was" in text, (dag_id, task_id, text[-2000:])
        if dag_id != INDIKATOR:
            assert "rows published" in ran["publish"][2]
    pool = _metadata(base, "SELECT slots FROM slot_pool WHERE pool = 'walidata_gudang'")
    assert pool == [(1,)]  # DuckDB: one writer
    assert {d for d, *_ in _load_log(base)} == {d.id for d in DATASETS}
    return runs


def test_a_nightly_lands_every_dag_run_with_its_task_logs_and_a_second_one_skips_the_work(project):
    base, env = project
    first = _nightly(env)
    assert "gagal" not in first.stdout
    runs = _assert_first_night(base, env)
    loads = _load_log(base)
    assert all(status == "dimuat" for _, _, status, _ in loads)

    second = _nightly(env)
    assert _load_log(base) == loads  # nothing loaded, nothing logged again
    again = _runs(base)
    # A file dataset with nothing new starts no DAG run; an API dataset asks its API through its DAG, whose
    # extract finds nothing new and skips the later stages; the indicators are not recomputed.
    assert {d: again[d] for d in FILE_DAGS | {INDIKATOR}} == {d: runs[d] for d in FILE_DAGS | {INDIKATOR}}
    for dag_id in API_DAGS:
        (old, (run_id, state)) = again[dag_id]
        assert old == runs[dag_id][0] and state == "success"
        tasks = dict(_metadata(base, f"SELECT task_id, state FROM task_instance WHERE run_id = '{run_id}' "
                                     f"AND dag_id = '{dag_id}'"))
        assert tasks == {"extract": "success", "standardise": "skipped", "validate": "skipped",
                         "publish": "skipped", "wilayah_ditahan": "skipped"}
    ids = {d.id for d in DATASETS}
    rows = [ln.split() for ln in second.stdout.splitlines()]
    table = {r[0]: r[1] for r in rows if r and r[0] in ids}
    assert table == dict.fromkeys(ids, "dilewati")
    assert second.stdout.count("tidak ada file baru") >= len(DATASETS)
