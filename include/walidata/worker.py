"""Walidata's Airflow workers: the name a worker records on its task instances, the warehouse's pool, and the
nightly's one Airflow process.

`nama_pekerja` — the name an Airflow worker records on the task instances it runs (`[core] hostname_callable`).
Several Celery workers on one machine (or containers that all answer to one host name) are told apart by
`WALIDATA_NAMA_PEKERJA`; without it, the machine's name as Airflow gives it by default.

    AIRFLOW__CORE__HOSTNAME_CALLABLE=walidata.worker.nama_pekerja

`python -m walidata.worker [--paksa] [--indikator] --logdir DIR DAG_ID…` — what `walidata nightly` starts: ONE
Airflow process that parses the DAG folder once and runs each DAG with `dag.test()` (the same run as
`airflow dags test`: a DAG run and its task instances in the metadata DB, tasks through the Task SDK), one DAG
after another. Each task's output goes to the file Airflow's UI reads (`<base_log_folder>/dag_id=…/run_id=…/
task_id=…/attempt=N.log`), each DAG's whole output to `DIR/<dag_id>.log`; one JSON line per DAG on stdout says
how it went. `--kolam` only creates (or resizes) the warehouse's pool.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import sys
import traceback
from contextlib import contextmanager
from pathlib import Path

INDIKATOR_DAG = "smart_city_indicators"


def nama_pekerja() -> str:
    return os.environ.get("WALIDATA_NAMA_PEKERJA") or socket.getfqdn()


def slot_gudang(url: str | None = None) -> int:
    """The warehouse pool's slots: 1 for DuckDB (a single writer), WALIDATA_GUDANG_SLOT (default 4) for
    PostgreSQL, which takes parallel loads (each its own transaction)."""
    url = url if url is not None else os.environ.get("WALIDATA_WAREHOUSE_URL", "")
    if url.startswith("postgresql"):
        return max(1, int(os.environ.get("WALIDATA_GUDANG_SLOT") or 4))
    return 1


def pastikan_kolam() -> int:
    """Create or resize the pool the publish tasks run in (needs the Airflow metadata DB)."""
    from airflow.models.pool import Pool

    from walidata.assets import GUDANG_POOL

    slots = slot_gudang()
    Pool.create_or_update_pool(GUDANG_POOL, slots, "Walidata: tugas publish yang menulis gudang data "
                               "(DuckDB: satu penulis; PostgreSQL: WALIDATA_GUDANG_SLOT)", include_deferred=False)
    return slots


class _Salin(io.TextIOBase):
    """This process's output (Airflow's logging writes here): into the running DAG's log and, while a task runs,
    into that task's log file too. Not a terminal, so the lines carry no colour codes."""

    def __init__(self):
        self.dag = None
        self.tugas = None

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        for f in (self.dag, self.tugas):
            if f is not None:
                f.write(text)
        return len(text)

    def flush(self) -> None:
        for f in (self.dag, self.tugas):
            if f is not None:
                f.flush()


class _LogTugas:
    """An Airflow listener: while a task runs in this process, its output also goes to its own log file, at the
    path the UI reads (`[logging] base_log_folder` / `log_filename_template`)."""

    def __init__(self, salin: _Salin):
        from airflow.configuration import conf
        from airflow.utils.helpers import log_filename_template_renderer

        self.salin, self.base = salin, Path(conf.get("logging", "base_log_folder"))
        self.render = log_filename_template_renderer()

    def _tutup(self) -> None:
        if self.salin.tugas is not None:
            self.salin.tugas.close()
            self.salin.tugas = None

    def _hooks(self):
        from airflow.sdk._shared.listeners import hookimpl

        owner = self

        class Hooks:
            @hookimpl
            def on_task_instance_running(self, previous_state, task_instance):
                owner._tutup()
                path = owner.base / owner.render(ti=task_instance)
                path.parent.mkdir(parents=True, exist_ok=True)
                owner.salin.tugas = path.open("a", encoding="utf-8")

            @hookimpl
            def on_task_instance_success(self, previous_state, task_instance):
                owner._tutup()

            @hookimpl
            def on_task_instance_failed(self, previous_state, task_instance, error):
                owner._tutup()

            @hookimpl
            def on_task_instance_skipped(self, previous_state, task_instance):
                owner._tutup()

        return Hooks()


def _dag_folder_once():
    """The DAG folder's bundle parsed and written to the metadata DB once for the whole nightly."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db

    manager = DagBundlesManager()
    manager.sync_bundles_to_db()
    bundle = manager.get_bundle("dags-folder")
    if not bundle.is_initialized:
        bundle.initialize()
    bag = BundleDagBag(dag_folder=bundle.path, bundle_path=bundle.path, bundle_name=bundle.name)
    sync_bag_to_db(bag, bundle.name, bundle.version)
    return bag


@contextmanager
def _parsed_once(bag):
    """`dag.test()` parses the whole DAG folder again and writes it to the metadata DB before each run (so that
    sibling DAGs exist); within one nightly the files do not change, so the bag parsed at start stands for that
    parse (seconds per DAG otherwise). Airflow's own names are restored afterwards."""
    from airflow.dag_processing import dagbag as mod

    saved = mod.BundleDagBag, mod.sync_bag_to_db
    mod.BundleDagBag = lambda **_: bag
    mod.sync_bag_to_db = lambda *_, **__: None
    try:
        yield
    finally:
        mod.BundleDagBag, mod.sync_bag_to_db = saved


def _task_states(dag_id: str, run_id: str) -> dict[str, str]:
    import sqlalchemy as sa
    from airflow.models.taskinstance import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as s:
        rows = s.execute(sa.select(TaskInstance.task_id, TaskInstance.state)
                         .where(TaskInstance.dag_id == dag_id, TaskInstance.run_id == run_id)).all()
    return {t: str(st) if st is not None else "none" for t, st in rows}


def _run_one(bag, dag_id: str, conf: dict | None, salin: _Salin, logdir: Path) -> dict:
    """One DAG run through `dag.test()`; its output in `logdir/<dag_id>.log`."""
    import logging

    out = {"dag_id": dag_id, "state": "failed", "run_id": None, "tugas": {}}
    dag, outside = bag.dags.get(dag_id), salin.dag
    with (logdir / f"{dag_id}.log").open("w", encoding="utf-8") as f:
        salin.dag = f
        try:
            if dag is None:
                raise LookupError(f"DAG {dag_id} tidak ada di folder DAG: {bag.import_errors or 'tanpa galat impor'}")
            dr = dag.test(run_conf=conf)
            out.update(state=str(dr.state), run_id=dr.run_id, tugas=_task_states(dag_id, dr.run_id))
        except Exception:
            logging.getLogger(__name__).exception("Error: %s could not be run", dag_id)
        finally:
            salin.flush()
            salin.dag = outside
    return out


def _nightly(args, salin: _Salin, report) -> int:
    """The DAGs one after another in this process; the indicator DAG last, only when a dataset published."""
    from airflow.sdk.listener import get_listener_manager

    pastikan_kolam()
    get_listener_manager().add_listener(_LogTugas(salin)._hooks())
    bag = _dag_folder_once()
    conf = {"paksa": True} if args.paksa else None
    published = False
    with _parsed_once(bag):
        for dag_id in args.dag_id:
            report({"mulai": dag_id})
            out = _run_one(bag, dag_id, conf, salin, args.logdir)
            published |= out["tugas"].get("publish") == "success"
            report(out)
        if args.indikator and (published or args.paksa):
            report({"mulai": INDIKATOR_DAG})
            report(_run_one(bag, INDIKATOR_DAG, None, salin, args.logdir))
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m walidata.worker",
                                description="DAGs through dag.test() in one Airflow process (walidata nightly)")
    p.add_argument("dag_id", nargs="*")
    p.add_argument("--logdir", type=Path, default=Path(os.environ.get("AIRFLOW_HOME", ".")) / "logs" / "nightly")
    p.add_argument("--paksa", action="store_true")
    p.add_argument("--indikator", action="store_true", help=f"then {INDIKATOR_DAG}, when a dataset published")
    p.add_argument("--kolam", action="store_true", help="only create or resize the warehouse's pool")
    args = p.parse_args(argv)
    if args.kolam:
        print(f"pool walidata_gudang: {pastikan_kolam()} slot")
        return 0
    os.environ.setdefault("WALIDATA_RETRIES", "0")  # a demo run has no use for retries that only wait
    args.logdir.mkdir(parents=True, exist_ok=True)
    stdout, stderr = sys.stdout, sys.stderr

    def report(msg: dict) -> None:
        stdout.write(json.dumps(msg) + "\n")
        stdout.flush()

    salin = _Salin()
    sys.stdout = sys.stderr = salin  # before Airflow configures its logging, which keeps this stream
    try:
        with (args.logdir / "_airflow.log").open("w", encoding="utf-8") as proses:  # outside any DAG run
            salin.dag = proses
            return _nightly(args, salin, report)
    except Exception:
        traceback.print_exc(file=stderr)
        return 1
    finally:
        sys.stdout, sys.stderr = stdout, stderr


if __name__ == "__main__":
    raise SystemExit(main())
