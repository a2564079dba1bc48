"""The name an Airflow worker records on the task instances it runs (`[core] hostname_callable`).

Several Celery workers on one machine (or containers that all answer to one host name) are told apart by
`WALIDATA_NAMA_PEKERJA`; without it, the machine's name as Airflow gives it by default.

    AIRFLOW__CORE__HOSTNAME_CALLABLE=walidata.worker.nama_pekerja
"""

from __future__ import annotations

import os
import socket


def nama_pekerja() -> str:
    return os.environ.get("WALIDATA_NAMA_PEKERJA") or socket.getfqdn()
