"""The four stages of one dataset's run, as functions that take and return references (paths, ids).

Airflow tasks call these (and pass the returned dicts through XCom); so do the CLI and the benchmark.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
from contextlib import contextmanager
from pathlib import Path

from walidata.catalog import Dataset, get_dataset
from walidata.publish.lake import Lake, read_json, remove_partitions, write_json, write_parquet
from walidata.settings import Settings, get_settings
from walidata.standardise.reference import IndeksWilayah

log = logging.getLogger(__name__)


def _ctx(settings: Settings | None, dataset_id: str) -> tuple[Settings, Dataset, Lake]:
    settings = settings or get_settings()
    return settings, get_dataset(settings.catalog, dataset_id), Lake(settings.lake)


def extract(dataset_id: str, run_id: str, settings: Settings | None = None, paksa: bool = False,
            replay: bool = False) -> dict:
    """New files of the dataset into the raw zone; `paksa` takes already published files again; `replay` takes
    an API source's latest stored responses instead of calling it (for files: the inbox again, as `paksa`)."""
    from walidata.publish.warehouse import now
    from walidata.sources.klien import ApiError, ApiTidakTersedia
    from walidata.sources.koneksi import KoneksiTidakAda

    settings = settings or get_settings()
    ref = {"run_id": run_id, "mulai": now().isoformat()}
    try:
        settings, ds, _ = _ctx(settings, dataset_id)
    except ValueError as exc:  # the catalog entry itself is refused (too big, aliases, a bad field): say so
        _record_catalog_refusal(dataset_id, ref, settings, exc)
        raise
    with _failure_recorded("extract", ref, ds, settings):
        try:
            return _extract(dataset_id, run_id, settings, paksa or replay, replay)
        except (ApiError, ApiTidakTersedia, KoneksiTidakAda) as exc:
            # An API that refused, broke off or is not configured: evidence in the audit log, as an unreadable file
            _record_failure(ref, ds, settings, None, "gagal_ambil", str(exc))
            raise


def _record_catalog_refusal(dataset_id: str, ref: dict, settings: Settings, exc: Exception) -> None:
    """The audit row of a run stopped by its own catalog entry (status `gagal_katalog`), so the night's summary
    and the follow-up list show it; the message names the file and why."""
    from walidata.publish import audit, warehouse

    text = str(exc) or type(exc).__name__
    row = {"run_id": ref["run_id"], "dataset": dataset_id, "status": "gagal_katalog", "baris_dibaca": 0,
           "baris_dimuat": 0, "mulai": _ts(ref.get("mulai")), "selesai": warehouse.now(),
           "pesan": f"entri katalog ditolak, tidak ada yang dijalankan: {text}"}
    try:
        audit.record_outcome(settings.warehouse_url, row, wait=30.0)
    except Exception as err:  # the warehouse cannot take it either: the task log is the evidence
        log.error("%s: the audit row could not be written (%s); catalog refused: %s", dataset_id, _first_line(err),
                  text)


def standardise(ref: dict, settings: Settings | None = None) -> dict:
    """Read the run's files into tidy records in the staging zone."""
    settings, ds, _ = _ctx(settings, ref["dataset"])
    with _failure_recorded("standardise", ref, ds, settings):
        return _standardise(ref, settings)


def validate(ref: dict, settings: Settings | None = None) -> dict:
    """Run the suite; on a critical failure quarantine, log to audit and raise ValidationFailed."""
    settings, ds, _ = _ctx(settings, ref["dataset"])
    with _failure_recorded("validate", ref, ds, settings):
        return _validate(ref, settings)


def _extract(dataset_id: str, run_id: str, settings: Settings | None = None, paksa: bool = False,
             replay: bool = False) -> dict:
    """New files of the dataset into the raw zone; `paksa` takes already published files again."""
    from walidata.publish import audit, journal, warehouse
    from walidata.sources import inbox as ex
    from walidata.sources.base import connector_for

    settings, ds, lake = _ctx(settings, dataset_id)
    started = warehouse.now().isoformat()
    # Before anything else: the lake made to agree with the warehouse after a crash of an earlier publish (also
    # when this run finds nothing new), and the database's load order as this run reads its files.
    journal.reconcile(settings, ds)
    urutan_baca = audit.last_order(settings.warehouse_url, ds.id)
    # A backward flow, on purpose: extraction asks the audit log which files were already published, so that a
    # file left in the inbox is not loaded again every night, and which raw files still back figures in force,
    # so that the retention purge never removes the evidence of a published figure.
    from walidata.sources.base import Terbit

    scope = settings.daftar_kabkota
    done = Terbit.dari({k: set() for k in scope} if paksa else
                       audit.published_sha256_per_wilayah(settings.warehouse_url, ds.id, scope))
    if settings.raw_retention_days is not None:
        keep = audit.sha256_in_force(settings.warehouse_url, ds)
        for gone in ex.purge_raw(lake, ds.id, settings.raw_retention_days, keep):
            log.info("%s: raw file removed after %d days (WALIDATA_RAW_RETENTION_DAYS): %s", ds.id,
                     settings.raw_retention_days, gone)
    connector = connector_for(ds)
    location = connector.location(settings)
    if replay and hasattr(location, "replay"):
        location.replay = True
    gagal = {}
    try:
        manifests = connector.fetch(ds, location, lake, skip_sha256=done)
    except Exception as exc:  # an API that failed for some regions only: the others go on, those are held back
        manifests, gagal = _fetched_despite(exc, ds, run_id, started, settings)
    log.info("%s: %d file(s) in the raw zone: %s", ds.id, len(manifests), [m["raw_path"] for m in manifests])
    return {"dataset": ds.id, "run_id": run_id, "mulai": started, "urutan_baca": urutan_baca, "files": manifests,
            **({"gagal_ambil": gagal} if gagal else {})}


def _fetched_despite(exc: Exception, ds: Dataset, run_id: str, started: str, settings: Settings):
    """(manifests, {region: why}) when the fetch failed for some regions of the scope and not for others (an audit
    row `gagal_ambil` for each region that failed); any other failure is raised as it is."""
    from walidata.sources.api import WilayahGagalDiambil

    if not isinstance(exc, WilayahGagalDiambil) or not exc.manifests:
        raise exc
    gagal = {k: str(e) for k, e in exc.gagal.items()}
    for kode, why in gagal.items():
        _record_failure({"run_id": run_id, "mulai": started, "unit": kode}, ds, settings, None, "gagal_ambil", why)
    return exc.manifests, gagal


def _standardise(ref: dict, settings: Settings | None = None) -> dict:
    settings, ds, lake = _ctx(settings, ref["dataset"])
    if len(settings.daftar_kabkota) > 1:  # a province or a list: each region's pass over its files
        from walidata.per_wilayah import standardise_each

        return standardise_each(ref, settings, ds, lake)
    files = [(Path(m["raw_path"]), m["file"]) for m in ref["files"]]
    kode = settings.daftar_kabkota[0]
    return {**ref, **standardise_region(ref, settings, ds, lake, kode, files, lake.staging_dir(ds.id, ref["run_id"]))}


def standardise_region(ref: dict, settings: Settings, ds: Dataset, lake: Lake, kode: str, files: list[tuple],
                       stage: Path, tables: dict | None = None, unit: str | None = None) -> dict:
    """One region's records from its files (see records.standardise_files), written to `stage`; an unreadable
    file leaves an audit row (`gagal_baca`, for `unit` when the run holds several regions) and raises."""
    from walidata.sources.spreadsheet import SourceError
    from walidata.standardise.records import akun_text, set_aside_summary, standardise_files

    wilayah = IndeksWilayah(settings.reference, kode)
    try:
        out = standardise_files(ds, files, wilayah, tables)
    except SourceError as exc:
        # A file that cannot be read as declared is evidence too: log the attempt, then stop.
        from walidata.publish import audit, warehouse

        audit.record_outcome(settings.warehouse_url, {
            "run_id": ref["run_id"], "dataset": ds.id, "status": "gagal_baca", "hasil_validasi": None,
            "sumber_file": ", ".join(m["file"] for m in ref["files"]),
            "sumber_sha256": ", ".join(m["sha256"] for m in ref["files"]), "baris_dibaca": 0, "baris_dimuat": 0,
            "baris_ditolak": 0, "baris_disisihkan": 0, "mulai": _ts(ref.get("mulai")), "selesai": warehouse.now(),
            "pesan": str(exc), **({"wilayah": unit} if unit else {})})
        raise
    if unit:  # rows of the other regions in scope are theirs (read in their own pass), not set aside
        from walidata.per_wilayah import outside_scope

        out.lain = outside_scope(out.lain, wilayah.g, settings.daftar_kabkota)
    records = write_parquet(out.records, stage / "records.parquet")
    totals = write_parquet(out.totals, stage / "totals.parquet")
    lain = write_parquet(out.lain, stage / "lain.parquet")
    lineage = write_json(stage / "lineage.json", out.lineage)
    n_problem = out.records.num_rows - out.records.column("masalah").null_count
    log.info("%s%s: %d records from %d sheet(s), %d with problems; rows: %s", ds.id, f" [{unit}]" if unit else "",
             out.records.num_rows, len(out.lineage), n_problem, akun_text(out.akuntansi))
    set_aside = set_aside_summary(out.lain) if out.lain.num_rows else None
    if set_aside:
        log.warning("%s: %d row(s) of other regions set aside, not published: %s", ds.id, out.lain.num_rows,
                    set_aside)
    for item in out.lineage:
        if item["kolom_lain"]:
            log.warning("%s: file %s, sheet '%s': columns not in the catalog, ignored: %s", ds.id,
                        item["sumber_file"], item["sumber_sheet"], ", ".join(item["kolom_lain"]))
        if item["baris_dilewati"]:
            log.info("%s: file %s, sheet '%s': rows that hold no data: %s", ds.id, item["sumber_file"],
                     item["sumber_sheet"], akun_text(item["akuntansi"]))
    return {"records": str(records), "totals": str(totals), "lain": str(lain), "lineage": str(lineage),
            "rows": out.records.num_rows, "rows_set_aside": out.lain.num_rows, "set_aside": set_aside,
            "akuntansi": out.akuntansi}


def _ts(iso: str | None):
    import datetime as dt

    return dt.datetime.fromisoformat(iso) if iso else None


def _audit_row(ref: dict, ds: Dataset, outcome, status: str, **extra) -> dict:
    from walidata.publish.warehouse import now

    return {
        "run_id": ref["run_id"], "dataset": ds.id, "status": status, "hasil_validasi": outcome.label,
        "sumber_file": ", ".join(m["file"] for m in ref["files"]),
        "sumber_sha256": ", ".join(m["sha256"] for m in ref["files"]),
        "baris_dibaca": outcome.rows_in, "baris_ditolak": outcome.rows_rejected,
        "baris_disisihkan": ref.get("rows_set_aside", 0), "akuntansi": akuntansi_json(ref),
        "mulai": _ts(ref.get("mulai")), "selesai": now(), "data_docs": outcome.data_docs,
        **({"wilayah": ref["unit"]} if ref.get("unit") else {}), **extra,
    }


def akuntansi_json(ref: dict) -> str | None:
    import json

    return json.dumps(ref["akuntansi"], sort_keys=True) if ref.get("akuntansi") else None


def set_aside_note(ref: dict) -> list[str]:
    """The lineage line for rows set aside as other regions' (for load_log.pesan and the summary)."""
    n = ref.get("rows_set_aside") or 0
    return [f"{n} baris milik wilayah lain disisihkan (tidak dimuat): {ref['set_aside']}"] if n else []


def _validate(ref: dict, settings: Settings | None = None) -> dict:
    settings, ds, lake = _ctx(settings, ref["dataset"])
    if "per_wilayah" in ref:
        from walidata.per_wilayah import validate_each

        return validate_each(ref, settings, ds, lake)
    return validate_region(ref, settings, ds, lake, settings.daftar_kabkota[0])


def validate_region(ref: dict, settings: Settings, ds: Dataset, lake: Lake, kode: str) -> dict:
    """One region's records through the suite; a region of a run of several (`ref['unit']`) keeps its quarantine,
    feedback and verdict apart. A critical failure: quarantine, audit row, ValidationFailed."""
    import pandas as pd
    import pyarrow as pa

    from walidata.publish import audit
    from walidata.validate.outcome import ValidationFailed, karantina_frame
    from walidata.validate.outcome import validate as run_suite
    from walidata.validate.umpan_balik import group, write_report

    wilayah = IndeksWilayah(settings.reference, kode)
    unit = ref.get("unit")
    records = pd.read_parquet(ref["records"])
    totals = pd.read_parquet(ref["totals"])
    outcome = run_suite(ds, records, totals, wilayah, settings.gx_root, ref["run_id"],
                        warehouse_url=settings.warehouse_url)
    karantina = None
    if outcome.rejected:
        q = karantina_frame(records, outcome)
        name = f"rejected__{unit}.parquet" if unit else "rejected.parquet"
        karantina = str(write_parquet(pa.Table.from_pandas(q, preserve_index=False),
                                       lake.karantina_dir(ds.id, ref["run_id"]) / name))
        outcome.karantina = karantina
    report = write_report(ds, outcome, lake.root, f"{ref['run_id']}__{unit}" if unit else ref["run_id"],
                          ref.get("akuntansi"))
    if report:
        log.warning("%s: feedback for the OPD written to %s", ds.id, report)
    hasil = write_json(Path(ref["records"]).parent / "validation.json", outcome.to_dict())
    audit.record_validation(settings.warehouse_url, ref["run_id"], ds.id, outcome.results)
    where = f" [{unit}]" if unit else ""
    for p in group(outcome.problems, 50):
        log.warning("%s%s: %s", ds.id, where, p)
    out = {**ref, "validation": str(hasil), "valid": outcome.success, "rows_rejected": outcome.rows_rejected,
           "karantina": karantina, "data_docs": outcome.data_docs, "umpan_balik": str(report) if report else None}
    if not outcome.success:
        row = _audit_row(ref, ds, outcome, "gagal_validasi", baris_dimuat=0, karantina=karantina,
                         pesan="\n".join([*set_aside_note(ref), *outcome.lines]))
        audit.record_outcome(settings.warehouse_url, row)
        raise ValidationFailed(
            f"{ds.id}{where}: validation failed, nothing published{' for ' + unit if unit else ''} "
            f"({outcome.rows_rejected} row(s) quarantined{' in ' + karantina if karantina else ''}; Data Docs: "
            f"{outcome.data_docs}; feedback for the OPD: {report}):\n  " + "\n  ".join(group(outcome.problems, 20))
        )
    return out


def load_id_for(ds: Dataset, ref: dict) -> str:
    """Same inputs and same catalog entry → same load id, so a rerun gives an identical warehouse."""
    h = hashlib.sha256(ds.model_dump_json().encode())
    for sha in sorted(m["sha256"] for m in ref["files"]):
        h.update(sha.encode())
    return h.hexdigest()[:16]


class RunSuperseded(RuntimeError):
    """Another run published the same dataset and region after this run had read its files: publishing now
    would put older figures over newer ones. Nothing is published; run again."""


class StageFailed(RuntimeError):
    """A stage could not finish (storage full, warehouse unreachable, …): the message names the stage and the
    path or the service; the audit log has a row; what was published stays in force."""


def _facts(ds: Dataset, ref: dict, outcome, load_id: str):
    """The rows to publish, as Arrow: the run's records without the quarantined ones, sorted by key."""
    import pandas as pd
    import pyarrow as pa

    from walidata.publish import schema
    from walidata.standardise.records import RECORD_ID

    records = pd.read_parquet(ref["records"])
    if outcome.rejected:
        records = records[~records[RECORD_ID].isin([int(i) for i in outcome.rejected])]
    keys = ["variabel", "kode_wilayah", "periode", *ds.kolom_rincian]
    facts = records.assign(load_id=load_id).sort_values(keys)
    return pa.Table.from_pandas(facts[[*keys, "nilai", *schema.FACT_COLUMNS_EXTRA]], preserve_index=False)


def kept_note(kept: int, rejected: int) -> list[str]:
    return [f"{kept} angka yang sudah terbit tidak ada dalam muatan ini dan tetap berlaku, karena {rejected} baris "
            f"ditolak (muat sebagian): perbaiki baris itu lalu kirim ulang"] if kept else []


def publish(ref: dict, settings: Settings | None = None) -> dict:
    """Replace the (kabupaten/kota, periode) units the run covers in the warehouse (one transaction) and in
    the lake's clean zone; a failure leaves both as they were and an audit row that says why."""
    from walidata.validate.outcome import Outcome

    settings, ds, lake = _ctx(settings, ref["dataset"])
    if not ref.get("valid"):
        raise RuntimeError(f"{ds.id}: refusing to publish a run that did not pass validation")
    load_id = load_id_for(ds, ref)
    if "per_wilayah" in ref:  # the regions that passed, in one transaction; the others' figures stay in force
        from walidata.per_wilayah import merged

        ref, outcome, parts = merged(ref)
    else:
        outcome = Outcome.from_dict(read_json(ref["validation"]))
        parts = [(ref, outcome)]
    with _failure_recorded("publish", ref, ds, settings, outcome):
        import pyarrow as pa

        table = pa.concat_tables([_facts(ds, r, o, load_id) for r, o in parts], promote_options="permissive")
        res, row = _publish_units(ref, settings, ds, lake, outcome, table, load_id)
    log.info("%s: %d rows published for %s, periods %s (load %s)%s", ds.id, table.num_rows, row["wilayah"],
             row["periode"], row["load_id"], f"; {res.kept} figure(s) kept in force" if res.kept else "")
    out = {**ref, "load_id": load_id, "rows_loaded": table.num_rows, "rows_changed": res.changed,
           "wilayah_terbit": row["wilayah"],
            "rows_kept": res.kept, "periods": row["periode"].split(", "),
            "lake": str(lake.clean_dataset_dir(ds.id)), "warehouse": settings.redacted_url()}
    if ref.get("ditahan"):  # published what passed; `raise_held_back` fails the run after, naming the others
        log.warning("%s: held back (figures in force stay): %s", ds.id, ", ".join(sorted(ref["ditahan"])))
        out["ditahan"] = ref["ditahan"]
    return out


def raise_held_back(ref: dict) -> dict:
    """After publishing: a run that held regions back fails, naming them (the DAG's last step; `run_dataset`)."""
    if ref.get("ditahan"):
        from walidata.per_wilayah import WilayahDitahan

        raise WilayahDitahan(ref["dataset"], ref.get("wilayah_terbit") or "", ref["ditahan"])
    return ref


def _publish_units(ref: dict, settings: Settings, ds: Dataset, lake: Lake, outcome, table, load_id: str):
    """The publish protocol (publish.journal): the units' lake files staged, the figures, the journal and the
    audit row committed in one transaction, then the staged files swapped in."""
    from walidata.publish import audit, history, journal, schema, warehouse

    staged = []
    try:
        with warehouse.transaction(settings.warehouse_url) as conn:
            history.lock_dataset(conn, ds.id)  # PostgreSQL: one publish of a dataset at a time (DuckDB: one writer)
            schema.ensure_schema(conn, ds)
            schema.refresh_reference(conn, settings.reference, ds)
            units = history.publish_units(table)
            daftar_wilayah = sorted(set(units.column(history.UNIT_COLUMN).to_pylist()))
            _refuse_if_superseded(conn, ds, ref, daftar_wilayah, load_id)
            res = history.replace_partitions(conn, ds, table, warehouse.now(), close_absent=not outcome.rejected,
                                          units=units)
            schema.refresh_observasi(conn)
            # A lake of the layout before regions: rewrite the whole dataset in the new one, then drop the old.
            legacy = lake.legacy_partitions(ds.id)
            in_lake = history.all_units(conn, ds) if legacy else units
            staged = journal.stage(lake, ds.id, journal.lake_parts(history.current_units(conn, ds, in_lake)))
            urutan = audit.next_order(conn)
            journal.record(conn, ds.id, staged, ref["run_id"], load_id, urutan)
            row = _audit_row(ref, ds, outcome, "dimuat", load_id=load_id, baris_dimuat=table.num_rows,
                             baris_berubah=res.changed, baris_dipertahankan=res.kept, wilayah=", ".join(daftar_wilayah),
                             periode=", ".join(sorted(set(res.units.column("periode").to_pylist()))),
                             lake=str(lake.clean_dataset_dir(ds.id)), karantina=ref.get("karantina"), urutan=urutan,
                             pesan="\n".join([*set_aside_note(ref), *kept_note(res.kept, outcome.rows_rejected),
                                              *outcome.lines]) or None)
            audit.log_load(conn, row)
    except BaseException:
        journal.discard(staged)
        raise
    journal.swap(staged)
    remove_partitions(legacy)
    return res, row


def _refuse_if_superseded(conn, ds: Dataset, ref: dict, daftar_wilayah: list[str], load_id: str) -> None:
    """Another run published the dataset for one of these regions after this run read its files: ordered by the
    database's sequence (`urutan`, read at extract), never by the workers' clocks."""
    from walidata.publish import history

    newer = history.published_since(conn, ds.id, daftar_wilayah, ref.get("urutan_baca"), _ts(ref.get("mulai")),
                                    ref["run_id"], load_id)
    if newer:
        raise RunSuperseded(
            f"{ds.id}: run {newer['run_id']} published this dataset for {newer['wilayah']} at "
            f"{newer['selesai']:%Y-%m-%d %H:%M:%S}, after this run ({ref['run_id']}) had read its files; "
            f"nothing published by this run, so newer figures are not replaced by older ones. Run again.")


STAGE_NAMES = {"extract": "ambil", "standardise": "baca", "validate": "periksa", "publish": "terbitkan"}


STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS}


@contextmanager
def _failure_recorded(stage: str, ref: dict, ds: Dataset, settings: Settings, outcome=None):
    """A stage that fails for a reason other than the data (storage full, warehouse unreachable; at publish,
    anything) fails with a message naming the stage and the path or service, and leaves an audit row; the
    published figures stay in force."""
    from walidata.publish.lake import WriteFailed

    try:
        yield
    except Exception as exc:
        storage = isinstance(exc, WriteFailed) or (isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS)
        if stage != "publish" and not storage:
            raise  # the data's own errors (unreadable file, failed checks) are recorded where they arise
        status, text = _failure_text(stage, exc, settings, storage)
        _record_failure(ref, ds, settings, outcome, status, text)
        if isinstance(exc, RunSuperseded):
            raise
        raise StageFailed(f"{ds.id}: {text}; figures already published stay in force") from exc


def _failure_text(stage: str, exc: Exception, settings: Settings, storage: bool) -> tuple[str, str]:
    import sqlalchemy as sa

    where = f"tahap {stage} ({STAGE_NAMES[stage]})"
    if isinstance(exc, RunSuperseded):
        return "gagal_muat", str(exc)
    if storage:
        path = getattr(exc, "path", None) or getattr(exc, "filename", None) or "(path unknown)"
        reason = os.strerror(exc.errno) if exc.errno else _first_line(exc)
        return "gagal_tulis", f"{where}: cannot write {path}: {reason}"
    if isinstance(exc, sa.exc.SQLAlchemyError):
        return "gagal_muat", f"{where}: warehouse {settings.redacted_url()}: {_first_line(exc)}"
    return "gagal_muat", f"{where}: {type(exc).__name__}: {_first_line(exc)}"


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _record_failure(ref: dict, ds: Dataset, settings: Settings, outcome, status: str, text: str) -> None:
    """The audit row of a failed stage; if the warehouse itself cannot take it, the log says so."""
    from walidata.publish import audit, warehouse

    row = {"run_id": ref["run_id"], "dataset": ds.id, "status": status,
           "hasil_validasi": outcome.label if outcome is not None else None,
           "sumber_file": ", ".join(m["file"] for m in ref.get("files", [])),
           "sumber_sha256": ", ".join(m["sha256"] for m in ref.get("files", [])),
           "baris_dibaca": outcome.rows_in if outcome is not None else ref.get("rows"), "baris_dimuat": 0,
           "baris_ditolak": outcome.rows_rejected if outcome is not None else None, "akuntansi": akuntansi_json(ref),
           "mulai": _ts(ref.get("mulai")), "selesai": warehouse.now(), "pesan": text,
           **({"wilayah": ref["unit"]} if ref.get("unit") else {})}
    try:
        audit.record_outcome(settings.warehouse_url, row, wait=30.0)
    except Exception as exc:  # the warehouse is down or full too: the task log is the only evidence left
        log.error("%s: the audit row could not be written either (%s); failure: %s", ds.id, _first_line(exc), text)


def new_run_id(prefix: str = "cli") -> str:
    """A run id that no other run shares, even one started in the same second on another machine."""
    import datetime as dt
    import uuid

    return f"{prefix}__{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}__{uuid.uuid4().hex[:8]}"


@contextmanager
def dataset_lock(lake: Lake, dataset_id: str, run_id: str):
    """Hold the dataset's lock for a whole run in this process: a second run of the same dataset (another
    `walidata run`, the same machine or a shared lake) waits until the first has finished, never interleaves.
    The lock dies with the process, so a killed run never leaves a stale lock behind."""
    import fcntl

    path = lake.lock_path(dataset_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            log.warning("%s: another run holds the dataset (%s); waiting for it to finish", dataset_id,
                        f.read().strip() or "unknown")
            fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        f.truncate()
        f.write(f"{run_id} pid={os.getpid()}\n")
        f.flush()
        try:
            yield
        finally:
            f.truncate(0)
            fcntl.flock(f, fcntl.LOCK_UN)


def run_dataset(dataset_id: str, run_id: str, settings: Settings | None = None, paksa: bool = False,
                replay: bool = False) -> dict:
    """All four stages in this process (no Airflow): for the CLI, tests of the library and the benchmark.
    Runs of the same dataset wait for each other (`dataset_lock`)."""
    settings = settings or get_settings()
    with dataset_lock(Lake(settings.lake), dataset_id, run_id):
        ref = extract(dataset_id, run_id, settings, paksa, replay)
        ref = standardise(ref, settings)
        ref = validate(ref, settings)
        return raise_held_back(publish(ref, settings))
