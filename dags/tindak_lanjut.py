"""The Walidata's daily follow-up list: which OPD is late with which dataset, since when.

Thin: the work lives in walidata.serve.tindak_lanjut and walidata.serve.pemberitahuan, imported inside the
tasks. XCom carries the summary (counts, the workbook's path), never the list itself.

daftar: each catalog dataset's latest period against its update schedule → audit.tindak_lanjut (the day's rows)
        and the workbook `<lake>/tindak_lanjut/tindak_lanjut.xlsx`, one sheet per OPD;
kabari: one alert per late dataset through the configured channels (email, webhook).
"""

from __future__ import annotations

import datetime as dt
import os

import pendulum
from airflow.sdk import CronTriggerTimetable, dag, task

from walidata.serve.pemberitahuan import saat_gagal  # a light module: alerts on failure (on_failure_callback)

TZ = pendulum.timezone("Asia/Jakarta")
RETRIES = int(os.environ.get("WALIDATA_RETRIES") or 2)
# The longest one task may run, in seconds (Airflow's execution_timeout): 2 h unless set.
EXECUTION_TIMEOUT = dt.timedelta(seconds=int(os.environ.get("WALIDATA_EXECUTION_TIMEOUT") or 7200))
DOC = """# Daftar tindak lanjut Walidata

Setiap hari pukul 07.00 WIB: dataset OPD yang periode terakhirnya di gudang data sudah melewati jadwal
pemutakhirannya (atau belum pernah terbit). Hasil: tabel `audit.tindak_lanjut`, buku kerja
`tindak_lanjut/tindak_lanjut.xlsx` di lake (satu sheet per OPD, dengan umpan balik terakhir), dan pemberitahuan
per dataset lewat kanal yang diatur (`WALIDATA_PERINGATAN_EMAIL`, `WALIDATA_PERINGATAN_WEBHOOK`).
"""



@dag(
    dag_id="tindak_lanjut_walidata",
    description="Daftar tindak lanjut: dataset OPD yang terlambat menurut jadwal pemutakhirannya",
    doc_md=DOC,
    schedule=CronTriggerTimetable("0 7 * * *", timezone=TZ),
    start_date=pendulum.datetime(2026, 1, 1, tz=TZ),
    catchup=False,
    max_active_runs=1,
    default_args={"owner": "walidata", "retries": RETRIES, "retry_delay": dt.timedelta(minutes=5),
                  "execution_timeout": EXECUTION_TIMEOUT, "on_failure_callback": saat_gagal},
    tags=["walidata", "tindak-lanjut"],
)
def tindak_lanjut_walidata():
    @task
    def daftar() -> dict:
        from walidata.serve.tindak_lanjut import jalankan
        from walidata.settings import get_settings

        rows, path = jalankan(get_settings())
        return {"terlambat": [r.dataset for r in rows], "buku_kerja": str(path)}

    @task
    def kabari(ringkasan: dict) -> int:
        from walidata.serve.tindak_lanjut import kabari as run
        from walidata.settings import get_settings

        return run(get_settings())

    kabari(daftar())


tindak_lanjut_walidata()
