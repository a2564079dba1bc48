"""The Airflow Assets of Walidata, importable by every DAG file (and by other projects' DAGs): one per catalog
dataset (updated when its publish task lands figures) and one for the indicator mart.

Data-aware scheduling: the `smart_city_indicators` DAG runs when any of its input datasets' assets is updated.
Only airflow.sdk here (cheap at parse time).
"""

from __future__ import annotations

from airflow.sdk import Asset

GROUP = "walidata"


def dataset_asset(dataset_id: str) -> Asset:
    """The asset of a catalog dataset's figures in force (fact."<opd>__<name>")."""
    return Asset(name=dataset_id, uri=f"walidata://dataset/{dataset_id}", group=GROUP)


def indikator_asset() -> Asset:
    """The asset of the indicator values in force (mart.indikator_nilai)."""
    return Asset(name="mart.indikator_nilai", uri="walidata://mart/indikator_nilai", group=GROUP)


# The Airflow pool of the tasks that write the warehouse (publish). Its slots follow the warehouse: 1 for DuckDB
# (one writer at a time), more for PostgreSQL (walidata.worker.slot_gudang). Created by `make airflow-db`, `make
# airflow` and `walidata nightly` (`python -m walidata.worker --kolam`); a scheduler leaves a task of a missing
# pool unscheduled, so a deployment creates it the same way.
GUDANG_POOL = "walidata_gudang"
