"""One DAG per OPD dataset in the catalog: extract → standardise → validate → publish.

Thin on purpose: the work lives in `walidata.pipeline`, imported inside the tasks, so parsing this
file loads only the catalog (pydantic + YAML), never pandas or Great Expectations. Tasks pass
references (paths, ids) through XCom, never data.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

import pendulum
from airflow.sdk import Param, dag, get_current_context, task

from walidata.assets import GUDANG_POOL, dataset_asset
from walidata.catalog import CatalogError, Dataset, load_catalog
from walidata.serve.pemberitahuan import saat_gagal  # a light module: alerts on failure (on_failure_callback)

log = logging.getLogger(__name__)

TZ = pendulum.timezone("Asia/Jakarta")
START = pendulum.datetime(2026, 1, 1, tz=TZ)
CATALOG = Path(os.environ.get("WALIDATA_CATALOG") or Path(__file__).resolve().parents[1] / "include" / "catalog")
# Set to 0 for demo and test runs (`walidata nightly` does), where a retry would only wait.
RETRIES = os.environ.get("WALIDATA_RETRIES")
# The first retry's wait in seconds (then exponential): 300 unless set (a test of a killed worker sets a few).
RETRY_DELAY = dt.timedelta(seconds=int(os.environ.get("WALIDATA_RETRY_DELAY") or 300))
# The longest one task may run, in seconds (Airflow's execution_timeout): 2 h unless set; a source that holds a
# task (a server dripping bytes) fails it instead of holding a worker forever.
EXECUTION_TIMEOUT = dt.timedelta(seconds=int(os.environ.get("WALIDATA_EXECUTION_TIMEOUT") or 7200))


def default_args(retries: int, owner: str) -> dict:
    return {"owner": owner, "retries": retries, "retry_delay": RETRY_DELAY,
            "retry_exponential_backoff": True, "execution_timeout": EXECUTION_TIMEOUT,
            "on_failure_callback": saat_gagal}



def _fail_fast(fn, *args):
    """Run a stage; errors that a retry cannot mend (bad settings, bad file, failed checks) fail at once."""
    from airflow.sdk.exceptions import AirflowFailException

    from walidata.pipeline import RunSuperseded
    from walidata.settings import SettingsError
    from walidata.sources.koneksi import KoneksiTidakAda
    from walidata.sources.spreadsheet import SourceError
    from walidata.validate.outcome import ValidationFailed

    # (an API that did not answer, ApiTidakTersedia, is not among them: the task's retries try it again later)
    try:
        return fn(*args)
    except (SettingsError, SourceError, KoneksiTidakAda, ValidationFailed, RunSuperseded) as exc:
        raise AirflowFailException(str(exc)) from None


def build_dag(ds: Dataset):
    @dag(
        dag_id=ds.dag_id,
        description=ds.judul,
        doc_md=ds.doc_md(),
        schedule=ds.jadwal,
        start_date=START,
        catchup=False,
        max_active_runs=1,  # the DuckDB warehouse has one writer at a time
        default_args=default_args(int(RETRIES) if RETRIES else ds.retries, ds.pemilik),
        params={"paksa": Param(False, type="boolean",
                               description="Muat ulang file yang sudah pernah dimuat (force a reload)"),
                "replay": Param(False, type="boolean",
                                description="Sumber API: pakai respons tersimpan terakhir, tanpa memanggil API")},
        tags=["opd", f"opd:{ds.opd}", *(f"smart-city:{d}" for d in ds.metadata.dimensi_smart_city)],
    )
    def opd_dataset():
        @task
        def extract(dataset_id: str) -> dict:
            from airflow.sdk.exceptions import DownstreamTasksSkipped

            from walidata.pipeline import extract as run
            from walidata.sources.inbox import NoSourceFiles

            ctx = get_current_context()
            try:
                return _fail_fast(run, dataset_id, ctx["run_id"], None, bool(ctx["params"].get("paksa")),
                                  bool(ctx["params"].get("replay")))
            except NoSourceFiles as exc:
                # Nothing new: the later stages are skipped at once (not one scheduling round each).
                log.info("Skipping: %s", exc)
                raise DownstreamTasksSkipped(tasks=sorted(ctx["task"].get_flat_relative_ids(upstream=False))) from None

        @task
        def standardise(ref: dict) -> dict:
            from walidata.pipeline import standardise as run

            return _fail_fast(run, ref)

        @task
        def validate(ref: dict) -> dict:
            from walidata.pipeline import validate as run

            return _fail_fast(run, ref)

        # In the warehouse's pool: one slot on DuckDB (a single writer across every dataset's DAG), several on
        # PostgreSQL; the other stages of many datasets run side by side.
        @task(outlets=[dataset_asset(ds.id)], pool=GUDANG_POOL)
        def publish(ref: dict) -> dict:
            from walidata.pipeline import publish as run

            out = _fail_fast(run, ref)
            keep = ("dataset", "load_id", "rows_loaded", "periods", "lake", "warehouse", "wilayah_terbit", "ditahan")
            return {k: out[k] for k in keep if k in out}

        # A run of several regions publishes the regions that passed; then this step fails the run, naming the
        # regions held back (their figures in force stay), after the publish's Asset event has gone out.
        @task
        def wilayah_ditahan(ref: dict) -> dict:
            from walidata.pipeline import raise_held_back

            return _fail_fast(raise_held_back, ref)

        wilayah_ditahan(publish(validate(standardise(extract(ds.id)))))

    return opd_dataset()


def broken_dag(err: CatalogError):
    """An invalid catalog file shows up as a failing DAG that says why; other datasets are unaffected."""

    @dag(
        dag_id=err.dag_id,
        description="Catalog file is invalid",
        doc_md=f"# Invalid catalog file\n\n`{err.path}`\n\n```\n{err.message}\n```\n",
        schedule="0 1 * * *",
        start_date=START,
        catchup=False,
        default_args=default_args(0, "walidata"),
        tags=["opd", "katalog-tidak-valid"],
    )
    def invalid_catalog():
        @task
        def catalog_error(message: str) -> None:
            from airflow.sdk.exceptions import AirflowFailException

            raise AirflowFailException(message)

        catalog_error(err.message)

    return invalid_catalog()


datasets, errors = load_catalog(CATALOG)
for _ds in datasets:
    globals()[_ds.dag_id] = build_dag(_ds)
for _err in errors:
    log.error("catalog: %s", _err.message)
    globals()[_err.dag_id] = broken_dag(_err)
