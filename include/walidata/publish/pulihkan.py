"""Restore the warehouse from the lake: the figures in force of every dataset, from the clean zone.

The clean zone (`clean/dataset=<id>/wilayah=<kode>/periode=<p>/part-0.parquet`) equals the warehouse's figures in
force (publish.journal), so a lost or damaged warehouse is rebuilt from it: `walidata pulihkan` migrates the
target warehouse (WALIDATA_WAREHOUSE_URL, DuckDB or PostgreSQL), refreshes the reference tables, first makes the
lake agree with whatever the target still knows (the journal's recovery step), then **verifies every partition
before it trusts it**:
- its checksum: the file's sha256 equals the target's journal row (`audit.jurnal_terbit`) when there is one, else
  the checksum written beside it at publish (`_checksum.json`, which must name this very dataset, region and
  period); a partition without either, in a dataset whose other partitions have one, is refused too;
- its unit: every region code exists in the reference (`ref.wilayah`) and lies in the partition's region;
- its keys: one figure per (variabel, kode_wilayah, rincian …).
A partition that fails is refused and named with its reason; the rest are published through the same
history-keeping replacement as a load (one transaction per dataset; running it again changes nothing) and
journaled. Staged files (`.….staged`, `.tmp-*`) are never read. What the lake cannot give back: the history of
superseded figures (`berlaku_sampai`), and the audit tables of past runs; each restored dataset gets one audit
row `dipulihkan`. The indicators are recomputed from the restored figures by `walidata indikator --paksa`.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import NamedTuple

from walidata.catalog import Dataset, load_catalog
from walidata.publish import journal
from walidata.publish.lake import Lake
from walidata.settings import Settings

log = logging.getLogger(__name__)


class Ditolak(NamedTuple):
    """A partition the restore refused, and why."""
    dataset: str
    partisi: str
    alasan: str


class Pemulihan(NamedTuple):
    angka: dict[str, int]  # dataset: figures restored
    ditolak: list[Ditolak]


def _partitions(lake: Lake, ds: Dataset) -> list[tuple[tuple[str, str], Path]]:
    folder = lake.clean_dataset_dir(ds.id)
    return [((f.parent.parent.name.removeprefix("wilayah="), f.parent.name.removeprefix("periode=")), f.parent)
            for f in sorted(folder.glob(f"wilayah=*/periode=*/{journal.PART}"))]


def _expected_sha(folder: Path, ds: Dataset, unit: tuple[str, str], entry: dict | None,
                  required: bool) -> tuple[str | None, str | None]:
    """(sha256 the file must have, reason to refuse) from the journal row, else the checksum beside the file."""
    if entry is not None:
        return entry["sha256"], None
    doc = journal.read_checksum(folder)
    if doc is None:
        return None, "checksum (_checksum.json) hilang, padahal partisi lain dataset ini punya" if required else None
    if (doc.get("dataset"), doc.get("wilayah"), doc.get("periode")) != (ds.id, *unit):
        return None, (f"checksum milik unit lain ({doc.get('dataset')}, {doc.get('wilayah')}, {doc.get('periode')}): "
                      f"berkas dipindah dari tempatnya")
    return str(doc.get("sha256")), None


def verify(folder: Path, ds: Dataset, unit: tuple[str, str], entry: dict | None, codes, required: bool):
    """(table, None) for a partition that holds; (None, reason) for one that does not."""
    import pyarrow.parquet as pq

    expected, reason = _expected_sha(folder, ds, unit, entry, required)
    if reason:
        return None, reason
    sha = journal.sha256_of(folder / journal.PART)
    if expected is not None and sha != expected:
        return None, (f"checksum tidak cocok (berkas {sha[:12]}…, tercatat saat terbit {expected[:12]}…): berkas "
                      f"diubah setelah diterbitkan")
    try:
        table = pq.read_table(folder / journal.PART)
    except Exception as exc:  # pyarrow raises several kinds for a damaged file
        return None, f"berkas Parquet tidak terbaca: {type(exc).__name__}: {str(exc)[:200]}"
    missing = [c for c in _columns(ds) if c not in table.column_names]
    if missing:
        return None, f"kolom hilang: {', '.join(missing)}"
    return (None, reason) if (reason := _content_problem(table, ds, unit[0], codes)) else (table, None)


def _content_problem(table, ds: Dataset, wilayah: str, codes) -> str | None:
    kode = set(table.column("kode_wilayah").to_pylist())
    unknown = sorted(str(k) for k in kode if k not in codes)
    if unknown:
        return f"kode wilayah yang tidak ada di referensi (ref.wilayah): {', '.join(unknown[:5])}"
    outside = sorted(k for k in kode if not (k == wilayah or k.startswith(wilayah + ".")))
    if outside:
        return f"kode wilayah di luar unit {wilayah}: {', '.join(outside[:5])}"
    keys = ["variabel", "kode_wilayah", *ds.kolom_rincian]
    counts = table.select(keys).group_by(keys).aggregate([([], "count_all")])
    dup = counts.filter(counts.column("count_all").to_numpy() > 1)
    if dup.num_rows:
        first = dup.to_pylist()[0]
        return (f"kunci ganda ({dup.num_rows} kunci), mis. "
                + ", ".join(f"{k}={first[k]}" for k in keys) + f" ({first['count_all']}×)")
    return None


def _columns(ds: Dataset) -> list[str]:
    from walidata.publish.schema import FACT_COLUMNS_EXTRA

    return ["variabel", "kode_wilayah", *ds.kolom_rincian, "nilai", *FACT_COLUMNS_EXTRA]


def lake_table(lake: Lake, ds: Dataset, entries: dict, codes) -> tuple[object, list[journal.Staged], list[Ditolak]]:
    """The dataset's verified partitions as one Arrow table in the load's column order (None if none), the units
    they are (for the journal), and the refused partitions."""
    import pyarrow as pa

    parts, units, refused = [], [], []
    found = _partitions(lake, ds)
    required = any((folder / journal.CHECKSUM).is_file() for _, folder in found)
    for unit, folder in found:
        table, reason = verify(folder, ds, unit, entries.get(unit), codes, required)
        if reason:
            refused.append(Ditolak(ds.id, str(folder.relative_to(lake.root)), reason))
            continue
        units.append(journal.Staged(*unit, folder / journal.PART, folder / journal.CHECKSUM,
                                    journal.sha256_of(folder / journal.PART), table.num_rows))
        parts.append(table.select(_columns(ds)).append_column("periode", pa.array([unit[1]] * table.num_rows,
                                                                                  pa.string())))
    if not parts:
        return None, units, refused
    from walidata.publish.schema import FACT_COLUMNS_EXTRA

    cols = ["variabel", "kode_wilayah", "periode", *ds.kolom_rincian, "nilai", *FACT_COLUMNS_EXTRA]
    return pa.concat_tables([p.select(cols) for p in parts], promote_options="permissive"), units, refused


def pulihkan(settings: Settings, hanya: list[str] | None = None) -> Pemulihan:
    """Publish every dataset's verified clean zone into the warehouse."""
    from walidata.pipeline import new_run_id
    from walidata.standardise.reference import all_wilayah

    lake, out, refused, run_id = Lake(settings.lake), {}, [], new_run_id("pulihkan")
    datasets, _ = load_catalog(settings.catalog)
    codes = all_wilayah(settings.reference)
    for ds in datasets:
        if hanya and ds.id not in hanya:
            continue
        if not lake.clean_dataset_dir(ds.id).is_dir():
            continue
        journal.reconcile(settings, ds)  # the target still knows some of it: the lake agrees with it first
        n, bad = _restore_dataset(settings, lake, ds, codes, run_id)
        refused.extend(bad)
        if n is not None:
            out[ds.id] = n
    return Pemulihan(out, refused)


def _restore_dataset(settings: Settings, lake: Lake, ds: Dataset, codes, run_id: str):
    from walidata.publish import audit, history, schema, warehouse

    started = warehouse.now()
    with warehouse.transaction(settings.warehouse_url) as conn:
        schema.ensure_schema(conn, ds)
        schema.refresh_reference(conn, settings.reference, ds)
        table, units, refused = lake_table(lake, ds, journal.entries(conn, ds.id), codes)
        for r in refused:
            log.error("%s: partisi %s ditolak, tidak dipulihkan: %s", ds.id, r.partisi, r.alasan)
        if table is None:
            return None, refused
        res = history.replace_partitions(conn, ds, table, warehouse.now())
        schema.refresh_observasi(conn)
        journal.record(conn, ds.id, units, run_id, None, None)
        audit.log_load(conn, {
            "run_id": run_id, "dataset": ds.id, "status": "dipulihkan", "baris_dibaca": table.num_rows,
            "baris_dimuat": table.num_rows, "baris_berubah": res.changed, "mulai": started,
            "selesai": warehouse.now(), "lake": str(lake.clean_dataset_dir(ds.id)),
            "pesan": "\n".join([f"dipulihkan dari lake {lake.clean_dataset_dir(ds.id)}",
                                *(f"partisi {r.partisi} ditolak: {r.alasan}" for r in refused)])})
    log.info("%s: %d angka dipulihkan dari lake (%d berubah)", ds.id, table.num_rows, res.changed)
    return table.num_rows, refused
