"""Restore the warehouse from the lake: the figures in force of every dataset, from the clean zone.

The clean zone (`clean/dataset=<id>/wilayah=<kode>/periode=<p>/`) always equals the warehouse's figures in force
(publish writes both in one step), so a lost or damaged warehouse is rebuilt from it: `walidata pulihkan`
migrates the target warehouse (WALIDATA_WAREHOUSE_URL, DuckDB or PostgreSQL), refreshes the reference tables,
and publishes each dataset's partitions through the same history-keeping replacement as a load (one transaction
per dataset; running it again changes nothing). What the lake cannot give back: the history of superseded
figures (`berlaku_sampai`), and the audit tables of past runs; each restored dataset gets one audit row
`dipulihkan`. The indicators are recomputed from the restored figures by `walidata indikator --paksa`.
"""

from __future__ import annotations

import logging
from pathlib import Path

from walidata.catalog import Dataset, load_catalog
from walidata.publish.lake import Lake
from walidata.settings import Settings

log = logging.getLogger(__name__)


def lake_table(lake: Lake, ds: Dataset):
    """Every clean partition of the dataset as one Arrow table in the load's column order, or None."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from walidata.publish.schema import FACT_COLUMNS_EXTRA

    parts = []
    for f in sorted(lake.clean_dataset_dir(ds.id).glob("wilayah=*/periode=*/*.parquet")):
        t = pq.read_table(f)
        periode = f.parent.name.removeprefix("periode=")
        parts.append(t.append_column("periode", pa.array([periode] * t.num_rows, pa.string())))
    if not parts:
        return None
    cols = ["variabel", "kode_wilayah", "periode", *ds.kolom_rincian, "nilai", *FACT_COLUMNS_EXTRA]
    return pa.concat_tables([p.select(cols) for p in parts], promote_options="permissive")


def pulihkan(settings: Settings, hanya: list[str] | None = None) -> dict[str, int]:
    """Publish every dataset's clean zone into the warehouse; {dataset: rows restored}."""
    from walidata.pipeline import new_run_id
    from walidata.publish import audit, history, schema, warehouse

    lake, run_id, out = Lake(settings.lake), new_run_id("pulihkan"), {}
    datasets, _ = load_catalog(settings.catalog)
    for ds in datasets:
        if hanya and ds.id not in hanya:
            continue
        table = lake_table(lake, ds)
        if table is None:
            continue
        started = warehouse.now()
        with warehouse.transaction(settings.warehouse_url) as conn:
            schema.ensure_schema(conn, ds)
            schema.refresh_reference(conn, settings.reference, ds)
            res = history.replace_partitions(conn, ds, table, warehouse.now())
            schema.refresh_observasi(conn)
            audit.log_load(conn, {
                "run_id": run_id, "dataset": ds.id, "status": "dipulihkan", "baris_dibaca": table.num_rows,
                "baris_dimuat": table.num_rows, "baris_berubah": res.changed, "mulai": started,
                "selesai": warehouse.now(), "lake": str(lake.clean_dataset_dir(ds.id)),
                "pesan": f"dipulihkan dari lake {Path(lake.clean_dataset_dir(ds.id))}"})
        out[ds.id] = table.num_rows
        log.info("%s: %d angka dipulihkan dari lake (%d berubah)", ds.id, table.num_rows, res.changed)
    return out
