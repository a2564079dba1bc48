"""The four stages of one dataset's run, as functions that take and return references (paths, ids).

Airflow tasks call these (and pass the returned dicts through XCom); so do the CLI and the benchmark.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

from walidata.catalog import Dataset, get_dataset
from walidata.lake import Lake, read_json, write_json, write_parquet
from walidata.reference import RegionIndex
from walidata.settings import Settings, get_settings

log = logging.getLogger(__name__)


def _ctx(settings: Settings | None, dataset_id: str) -> tuple[Settings, Dataset, Lake]:
    settings = settings or get_settings()
    return settings, get_dataset(settings.catalog, dataset_id), Lake(settings.lake)


def extract(dataset_id: str, run_id: str, settings: Settings | None = None, force: bool = False) -> dict:
    """New files of the dataset into the raw zone; `force` takes already published files again."""
    from walidata import extract as ex
    from walidata import load

    settings, ds, lake = _ctx(settings, dataset_id)
    started = load.now().isoformat()
    done = set() if force else load.published_sha256(settings.warehouse_url, ds.id)
    manifests = ex.extract(ds, settings.inbox_location, lake, skip_sha256=done)
    log.info("%s: %d file(s) in the raw zone: %s", ds.id, len(manifests), [m["raw_path"] for m in manifests])
    return {"dataset": ds.id, "run_id": run_id, "mulai": started, "files": manifests}


def standardise(ref: dict, settings: Settings | None = None) -> dict:
    from walidata.spreadsheet import SourceError
    from walidata.standardise import set_aside_summary, standardise_files

    settings, ds, lake = _ctx(settings, ref["dataset"])
    region = RegionIndex(settings.reference, settings.region)
    files = [(Path(m["raw_path"]), m["file"]) for m in ref["files"]]
    try:
        out = standardise_files(ds, files, region)
    except SourceError as exc:
        # A file that cannot be read as declared is evidence too: log the attempt, then stop.
        from walidata import load

        load.record_outcome(settings.warehouse_url, {
            "run_id": ref["run_id"], "dataset": ds.id, "status": "gagal_baca", "hasil_validasi": None,
            "sumber_file": ", ".join(m["file"] for m in ref["files"]),
            "sumber_sha256": ", ".join(m["sha256"] for m in ref["files"]), "baris_dibaca": 0, "baris_dimuat": 0,
            "baris_ditolak": 0, "baris_disisihkan": 0, "mulai": _ts(ref.get("mulai")), "selesai": load.now(),
            "pesan": str(exc)})
        raise
    stage = lake.staging_dir(ds.id, ref["run_id"])
    records = write_parquet(out.records, stage / "records.parquet")
    totals = write_parquet(out.totals, stage / "totals.parquet")
    lain = write_parquet(out.lain, stage / "lain.parquet")
    lineage = write_json(stage / "lineage.json", out.lineage)
    n_problem = out.records.num_rows - out.records.column("masalah").null_count
    log.info("%s: %d records from %d sheet(s), %d with problems", ds.id, out.records.num_rows, len(out.lineage),
             n_problem)
    set_aside = set_aside_summary(out.lain) if out.lain.num_rows else None
    if set_aside:
        log.warning("%s: %d row(s) of other regions set aside, not published: %s", ds.id, out.lain.num_rows,
                    set_aside)
    for item in out.lineage:
        if item["kolom_lain"]:
            log.warning("%s: file %s, sheet '%s': columns not in the catalog, ignored: %s", ds.id,
                        item["sumber_file"], item["sumber_sheet"], ", ".join(item["kolom_lain"]))
        if item["baris_dilewati"]:
            log.info("%s: file %s, sheet '%s': rows skipped (not data): %s", ds.id, item["sumber_file"],
                     item["sumber_sheet"], "; ".join(item["baris_dilewati"][:10]))
    return {**ref, "records": str(records), "totals": str(totals), "lain": str(lain), "lineage": str(lineage),
            "rows": out.records.num_rows, "rows_set_aside": out.lain.num_rows, "set_aside": set_aside}


def _ts(iso: str | None):
    import datetime as dt

    return dt.datetime.fromisoformat(iso) if iso else None


def _audit_row(ref: dict, ds: Dataset, outcome, status: str, **extra) -> dict:
    from walidata.load import now

    return {
        "run_id": ref["run_id"], "dataset": ds.id, "status": status, "hasil_validasi": outcome.label,
        "sumber_file": ", ".join(m["file"] for m in ref["files"]),
        "sumber_sha256": ", ".join(m["sha256"] for m in ref["files"]),
        "baris_dibaca": outcome.rows_in, "baris_ditolak": outcome.rows_rejected,
        "baris_disisihkan": ref.get("rows_set_aside", 0),
        "mulai": _ts(ref.get("mulai")), "selesai": now(), "data_docs": outcome.data_docs, **extra,
    }


def set_aside_note(ref: dict) -> list[str]:
    """The lineage line for rows set aside as other regions' (for load_log.pesan and the summary)."""
    n = ref.get("rows_set_aside") or 0
    return [f"{n} baris milik wilayah lain disisihkan (tidak dimuat): {ref['set_aside']}"] if n else []


def validate(ref: dict, settings: Settings | None = None) -> dict:
    """Run the suite; on a critical failure quarantine, log to audit and raise ValidationFailed."""
    import pandas as pd
    import pyarrow as pa

    from walidata import load
    from walidata.validate import ValidationFailed, quarantine_frame
    from walidata.validate import validate as run_suite

    settings, ds, lake = _ctx(settings, ref["dataset"])
    region = RegionIndex(settings.reference, settings.region)
    records = pd.read_parquet(ref["records"])
    totals = pd.read_parquet(ref["totals"])
    outcome = run_suite(ds, records, totals, region, settings.gx_root, ref["run_id"],
                        warehouse_url=settings.warehouse_url)
    quarantine = None
    if outcome.rejected:
        q = quarantine_frame(records, outcome)
        quarantine = str(write_parquet(pa.Table.from_pandas(q, preserve_index=False),
                                       lake.quarantine_dir(ds.id, ref["run_id"]) / "rejected.parquet"))
        outcome.quarantine = quarantine
    from walidata.umpan_balik import write_report

    report = write_report(ds, outcome, records, lake.root, ref["run_id"])
    if report:
        log.warning("%s: feedback for the OPD written to %s", ds.id, report)
    hasil = write_json(lake.staging_dir(ds.id, ref["run_id"]) / "validation.json", outcome.__dict__)
    load.record_validation(settings.warehouse_url, ref["run_id"], ds.id, outcome.results)
    from walidata.umpan_balik import group_texts

    for p in group_texts(outcome.problems, 50):
        log.warning("%s: %s", ds.id, p)
    out = {**ref, "validation": str(hasil), "valid": outcome.success, "rows_rejected": outcome.rows_rejected,
           "quarantine": quarantine, "data_docs": outcome.data_docs, "umpan_balik": str(report) if report else None}
    if not outcome.success:
        row = _audit_row(ref, ds, outcome, "gagal_validasi", baris_dimuat=0, karantina=quarantine,
                         pesan="\n".join([*set_aside_note(ref), *outcome.problems]))
        load.record_outcome(settings.warehouse_url, row)
        raise ValidationFailed(
            f"{ds.id}: validation failed, nothing published ({outcome.rows_rejected} row(s) quarantined"
            f"{' in ' + quarantine if quarantine else ''}; Data Docs: {outcome.data_docs}; feedback for the OPD: "
            f"{report}):\n  " + "\n  ".join(group_texts(outcome.problems, 20))
        )
    return out


def load_id_for(ds: Dataset, ref: dict) -> str:
    """Same inputs and same catalog entry → same load id, so a rerun gives an identical warehouse."""
    h = hashlib.sha256(ds.model_dump_json().encode())
    for sha in sorted(m["sha256"] for m in ref["files"]):
        h.update(sha.encode())
    return h.hexdigest()[:16]


def publish(ref: dict, settings: Settings | None = None) -> dict:
    """Replace the covered periods in the warehouse (one transaction) and in the lake's clean zone."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    from walidata import lake as lk
    from walidata import load
    from walidata.validate import Outcome

    settings, ds, lake = _ctx(settings, ref["dataset"])
    if not ref.get("valid"):
        raise RuntimeError(f"{ds.id}: refusing to publish a run that did not pass validation")
    outcome = Outcome(**read_json(ref["validation"]))
    records = pd.read_parquet(ref["records"])
    if outcome.rejected:
        records = records.drop(index=sorted(int(i) for i in outcome.rejected))
    load_id = load_id_for(ds, ref)
    keys = ["variabel", "kode_wilayah", "periode", *ds.breakdowns]
    facts = records.assign(load_id=load_id).sort_values(keys)
    cols = [*keys, "nilai", *load.FACT_COLUMNS_EXTRA]
    table = pa.Table.from_pandas(facts[cols], preserve_index=False)
    periods = sorted(set(table.column("periode").to_pylist()))

    # Lake files are written first under temporary names and swapped in only after the commit.
    lake_cols = [c for c in cols if c != "periode"]
    staged = lk.stage_partitions(lake, ds.id, {
        p: table.filter(pc.equal(table.column("periode"), p)).select(lake_cols) for p in periods})
    try:
        with load.transaction(settings.warehouse_url) as conn:
            load.ensure_schema(conn, ds)
            load.refresh_reference(conn, settings.reference, ds)
            changed = load.replace_partitions(conn, ds, table, load.now())
            load.refresh_observasi(conn)
            row = _audit_row(ref, ds, outcome, "dimuat", load_id=load_id, baris_dimuat=table.num_rows,
                             baris_berubah=changed,
                             periode=", ".join(periods), lake=str(lake.clean_dataset_dir(ds.id)),
                             karantina=ref.get("quarantine"),
                             pesan="\n".join([*set_aside_note(ref), *outcome.problems]) or None)
            load.log_load(conn, row)
    except BaseException:
        lk.discard_partitions(staged)
        raise
    lk.commit_partitions(staged)
    log.info("%s: %d rows published for periods %s (load %s)", ds.id, table.num_rows, periods, load_id)
    return {**ref, "load_id": load_id, "rows_loaded": table.num_rows, "rows_changed": changed, "periods": periods,
            "lake": str(lake.clean_dataset_dir(ds.id)), "warehouse": settings.redacted_url()}


def run_dataset(dataset_id: str, run_id: str, settings: Settings | None = None, force: bool = False) -> dict:
    """All four stages in this process (no Airflow): for the CLI, tests of the library and the benchmark."""
    settings = settings or get_settings()
    ref = extract(dataset_id, run_id, settings, force)
    ref = standardise(ref, settings)
    ref = validate(ref, settings)
    return publish(ref, settings)
