"""The distributed run, proven here: Airflow with the CeleryExecutor (local Redis as broker, a PostgreSQL metadata
database of its own), api-server, scheduler, dag-processor, triggerer and two Celery workers as separate
processes, the warehouse on PostgreSQL, for a province deployment (WALIDATA_WILAYAH=62: Katingan's files and
Seruyan's in their region folders, the API datasets for all 14 kabupaten/kota). The nightly DAGs are triggered
through the REST API and all succeed; tasks ran on both workers; the warehouse equals an embedded run's from the
same inputs. Then a worker is killed
(SIGKILL, with its task processes) mid-task: the retry completes on the other worker, nothing duplicated."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa
from airflow_cluster import Cluster, create_database, drop_database

from conftest import ROOT, SAMPLE_INBOX, copy_gx, figures_in_force
from walidata.catalog import load_catalog
from walidata.sample import write_region_inboxes
from walidata.sample_server import serve

DATASETS = load_catalog(ROOT / "include" / "catalog")[0]
PROVINSI = "62"
SERUYAN = ["disdukcapil.penduduk_kecamatan", "dinkes.kelahiran"]  # a second region's own files, in its folder
BIG = "opd__disdukcapil__penduduk_kecamatan"


def facts(url: str) -> dict[str, list[tuple]]:
    return figures_in_force(url, DATASETS, mart=True)


def _walidata_env(base, warehouse: str) -> dict:
    return {"WALIDATA_WAREHOUSE_URL": warehouse, "WALIDATA_LAKE": str(base / "lake"),
            "WALIDATA_INBOX": str(base / "inbox"), "WALIDATA_GX_ROOT": str(base / "gx"),
            "WALIDATA_TERBUKA": str(base / "terbuka"), "WALIDATA_LAPORAN": str(base / "laporan"),
            "WALIDATA_RETRIES": "1", "WALIDATA_RETRY_DELAY": "5", "WALIDATA_WILAYAH": PROVINSI,
            "WALIDATA_CATALOG": str(base / "catalog")}


def _place(base) -> None:
    """A province's inbox: the sample (Katingan's) moved into its region folders, and Seruyan's own files."""
    base.mkdir(parents=True)
    inbox = base / "inbox"
    shutil.copytree(SAMPLE_INBOX, inbox)
    for f in [p for p in inbox.glob("*/*/*") if p.is_file()]:
        (f.parent / "62.06").mkdir(exist_ok=True)
        f.rename(f.parent / "62.06" / f.name)
    write_region_inboxes(inbox, ROOT / "include" / "reference", ["62.07"], only=SERUYAN)
    copy_gx(base / "gx")
    # The province's portal holds a package per kabupaten/kota: the catalog names it by region, so each is fetched
    # (and attributed) on its own.
    shutil.copytree(ROOT / "include" / "catalog", base / "catalog")
    umkm = base / "catalog" / "diskopukm" / "umkm_kecamatan.yaml"
    umkm.write_text(umkm.read_text().replace("paket: jumlah-umkm-menurut-kecamatan\n",
                                             "paket: jumlah-umkm-menurut-kecamatan-{wilayah_bps}\n"))


@pytest.fixture(scope="module")
def sample_api():
    with serve() as server:
        yield server


@pytest.fixture(scope="module")
def embedded(tmp_path_factory, sample_api):
    """The same inputs through `walidata run` and `walidata indikator` in one process, into PostgreSQL."""
    base = tmp_path_factory.mktemp("embedded") / "base"
    _place(base)
    url = create_database("walidata_uji_embedded")
    env = {**os.environ, **_walidata_env(base, url)}
    for cmd in (["run"], ["indikator"]):
        out = subprocess.run([sys.executable, "-m", "walidata.cli", *cmd], env=env, capture_output=True, text=True,
                             timeout=1200)
        assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    yield facts(url)
    drop_database(url)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, sample_api):
    base = tmp_path_factory.mktemp("celery") / "base"
    _place(base)
    url = create_database("walidata_uji_celery")
    c = Cluster(base, "CeleryExecutor", _walidata_env(base, url), workers=2)
    try:
        c.start()
        c.warehouse = url
        yield c
    finally:
        c.stop()
        drop_database(url)


def _all_runs(c: Cluster, dag_id: str) -> list[dict]:
    return c.api("GET", f"/dags/{dag_id}/dagRuns", params={"limit": 50})["dag_runs"]


def test_the_nightly_dags_run_on_both_celery_workers_and_equal_an_embedded_run(cluster, embedded):
    c = cluster
    dag_ids = [d.dag_id for d in DATASETS]
    c.wait_for_dags([*dag_ids, "smart_city_indicators"])
    runs = {d: c.trigger(d) for d in dag_ids}  # unpausing also starts each DAG's latest scheduled run
    states = c.wait_runs(runs, timeout=1500)
    for d in dag_ids:  # every run of every DAG, the scheduled ones too, finished successfully
        end = time.monotonic() + 600
        while any(r["state"] not in ("success", "failed") for r in _all_runs(c, d)) and time.monotonic() < end:
            time.sleep(3)
        states.update({f"{d} {r['dag_run_id']}": r["state"] for r in _all_runs(c, d)})
    assert set(states.values()) == {"success"}, {k: v for k, v in states.items() if v != "success"}
    ind = c.wait_runs({"smart_city_indicators": c.trigger("smart_city_indicators")}, timeout=900)
    assert ind == {"smart_city_indicators": "success"}
    hosts = [t["hostname"] for d in dag_ids for r in _all_runs(c, d) for t in c.task_instances(d, r["dag_run_id"])
             if t["state"] == "success"]
    assert {"pekerja-1", "pekerja-2"} <= set(hosts), sorted(set(hosts))
    assert facts(c.warehouse) == embedded


def test_a_worker_killed_mid_task_the_retry_completes_on_the_other_and_nothing_is_duplicated(cluster):
    c = cluster
    before = facts(c.warehouse)
    run_id = c.trigger(BIG, conf={"paksa": True})
    victim, task = None, None
    end = time.monotonic() + 300
    while victim is None and time.monotonic() < end:
        for t in c.task_instances(BIG, run_id):
            if t["state"] == "running" and t["hostname"] in ("pekerja-1", "pekerja-2") and t["task_id"] != "extract":
                victim, task = t["hostname"], t["task_id"]
                break
        time.sleep(0.2)
    assert victim, "no task seen running"
    c.kill(victim)
    assert c.wait_runs({BIG: run_id}, timeout=600) == {BIG: "success"}, c.log_tail("scheduler")
    ti = next(t for t in c.task_instances(BIG, run_id) if t["task_id"] == task)
    survivor = ({"pekerja-1", "pekerja-2"} - {victim}).pop()
    assert ti["try_number"] == 2 and ti["hostname"] == survivor, ti
    assert facts(c.warehouse) == before  # the same figures: nothing duplicated, nothing lost
    engine = sa.create_engine(c.warehouse, poolclass=sa.pool.NullPool)
    with engine.connect() as conn:
        dup = conn.execute(sa.text(
            'SELECT COUNT(*) FROM (SELECT variabel, kode_wilayah, periode, jenis_kelamin FROM '
            'fact."disdukcapil__penduduk_kecamatan__riwayat" WHERE berlaku_sampai IS NULL '
            'GROUP BY 1, 2, 3, 4 HAVING COUNT(*) > 1) d')).scalar()
        loads = conn.execute(sa.text("SELECT COUNT(*) FROM audit.load_log WHERE run_id = :r AND status = 'dimuat'"),
                             {"r": run_id}).scalar()
    engine.dispose()
    assert dup == 0 and loads == 1
