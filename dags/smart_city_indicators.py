"""The Smart City indicators: recomputed when an input dataset publishes, and daily as a fallback.

Scheduled on the Assets of the indicators' input datasets (walidata.assets, the same definitions the dataset
DAGs update) or at 06:00 WIB, whichever comes first. Thin: the work lives in walidata.serve.indikator, imported
inside the tasks; parsing reads only the indicator and catalog YAML. XCom carries summaries, never data.

hitung: recompute the indicators whose definition or inputs changed, validate the mart with Great Expectations,
        commit (a critical check failing rolls back: the values in force stay);
ekspor: the open-data files per indicator (CSV, JSON, Parquet, MS-Ind JSON and workbook);
laporan: the static HTML report, rebuilt each run.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from pathlib import Path

import pendulum
from airflow.sdk import AssetAny, AssetOrTimeSchedule, CronTriggerTimetable, Param, dag, get_current_context, task

from walidata.assets import dataset_asset, indikator_asset
from walidata.serve.indikator.spec import IndikatorError, load_indikator
from walidata.serve.pemberitahuan import saat_gagal  # a light module: alerts on failure (on_failure_callback)

log = logging.getLogger(__name__)

TZ = pendulum.timezone("Asia/Jakarta")
ROOT = Path(__file__).resolve().parents[1]
INDIKATOR = Path(os.environ.get("WALIDATA_INDIKATOR") or ROOT / "include" / "indikator")
RETRIES = int(os.environ.get("WALIDATA_RETRIES") or 2)
# The longest one task may run, in seconds (Airflow's execution_timeout): 2 h unless set.
EXECUTION_TIMEOUT = dt.timedelta(seconds=int(os.environ.get("WALIDATA_EXECUTION_TIMEOUT") or 7200))

try:
    DECLS = load_indikator(INDIKATOR)
    PROBLEM = None
except IndikatorError as exc:  # shown on the DAG, whose run then fails saying why
    DECLS, PROBLEM = [], str(exc)
    log.error("indikator: %s", exc)
INPUTS = sorted({d for decl in DECLS for d in decl.indikator.datasets})
DOC = f"""# Indikator Smart City

{len(DECLS)} indikator dari `include/indikator/marts/`, dihitung ulang ketika dataset masukannya terbit
(Asset) atau setiap hari pukul 06.00 WIB. Hanya indikator yang masukan atau definisinya berubah yang dihitung
ulang. Hasil: `mart.indikator_nilai` (dengan riwayat), `ref.indikator` (metadata MS-Ind), data terbuka per
indikator, dan *Laporan Indikator Smart City* (menu Walidata di Airflow).

Masukan: {", ".join(f"`{d}`" for d in INPUTS)}
""" + (f"\n**Deklarasi indikator tidak valid:**\n\n```\n{PROBLEM}\n```\n" if PROBLEM else "")



@dag(
    dag_id="smart_city_indicators",
    description="Indikator Smart City: hitung, validasi, ekspor data terbuka, laporan",
    doc_md=DOC,
    schedule=AssetOrTimeSchedule(timetable=CronTriggerTimetable("0 6 * * *", timezone=TZ),
                                 assets=AssetAny(*[dataset_asset(d) for d in INPUTS])),
    start_date=pendulum.datetime(2026, 1, 1, tz=TZ),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "walidata", "retries": RETRIES, "retry_delay": dt.timedelta(minutes=5),
                  "execution_timeout": EXECUTION_TIMEOUT, "on_failure_callback": saat_gagal},
    params={"paksa": Param(False, type="boolean", description="Hitung ulang semua indikator (force)")},
    tags=["smart-city", "indikator"],
)
def smart_city_indicators():
    @task(outlets=[indikator_asset()])
    def hitung() -> dict:
        from airflow.sdk.exceptions import AirflowFailException

        from walidata.serve.indikator.jalankan import jalankan
        from walidata.serve.indikator.spec import IndikatorError
        from walidata.serve.indikator.validasi import MartGagal
        from walidata.settings import get_settings

        ctx = get_current_context()
        try:
            return jalankan(get_settings(), ctx["run_id"], paksa=bool(ctx["params"].get("paksa"))).to_dict()
        except (IndikatorError, MartGagal) as exc:
            raise AirflowFailException(str(exc)) from None

    @task
    def ekspor(ringkasan: dict) -> list[str]:
        from walidata.serve.indikator.ekspor import tulis
        from walidata.settings import get_settings

        return [str(p) for p in tulis(get_settings())]

    @task
    def portal(berkas: list[str]) -> dict:
        """The indicators upserted into the configured CKAN portal (WALIDATA_PORTAL_*); skipped when unset."""
        from airflow.sdk.exceptions import AirflowSkipException

        from walidata.serve.indikator.portal import kirim
        from walidata.settings import get_settings

        sent = kirim(get_settings())
        if sent is None:
            raise AirflowSkipException("portal CKAN belum diatur (WALIDATA_PORTAL_KONEKSI, WALIDATA_PORTAL_PAKET)")
        return sent.to_dict()

    @task
    def laporan(ringkasan: dict) -> str:
        from walidata.serve.indikator.laporan import tulis
        from walidata.settings import get_settings

        return str(tulis(get_settings()))

    r = hitung()
    portal(ekspor(r))
    laporan(r)


smart_city_indicators()
