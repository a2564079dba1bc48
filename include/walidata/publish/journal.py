"""The publish protocol between the warehouse and the lake's clean zone, and its recovery step.

The warehouse is the truth; the lake's clean zone (`clean/dataset=<id>/wilayah=<kode>/periode=<p>/part-0.parquet`)
must equal its figures in force. One publish of a batch of units (dataset, wilayah, periode) goes:

1. **stage**: each unit's Parquet file and its checksum file are written inside the unit's folder under names no
   reader takes (`.part-0.parquet.<token>.staged`: hidden, and not `*.parquet`);
2. **commit**: in the warehouse transaction that replaces the units' figures, `audit.jurnal_terbit` gets each
   unit's file sha256 and row count (and `audit.load_log` its row, numbered by the database's sequence);
3. **swap**: after the commit, each staged file is renamed over `part-0.parquet`, then its checksum beside it
   (`_checksum.json`: dataset, wilayah, periode, sha256, rows; a restore without the warehouse checks it).

A crash in 1 or 2 leaves staged files nobody reads and the warehouse as it was; a crash in or before 3 leaves units
whose file is not the journal's. `reconcile` (run before anything else by every run of a dataset, a run that
finds nothing new included, and by `walidata pulihkan`) completes the swap with the staged file of the journal's
sha256, or rewrites the partition from the warehouse's figures in force, and removes leftover staged files.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import NamedTuple

import sqlalchemy as sa

from walidata.publish.lake import Lake, writing

log = logging.getLogger(__name__)

PART = "part-0.parquet"
CHECKSUM = "_checksum.json"
STAGED_SUFFIX = ".staged"
LEGACY_STAGED = ".tmp-"  # staged files before the journal (`.tmp-*.parquet`): a restore must never read them
JOURNAL_COLUMNS = ["dataset", "wilayah", "periode", "berkas", "sha256", "baris", "load_id", "run_id", "urutan",
                   "dicatat"]


class Staged(NamedTuple):
    """One unit's files written under staged names, ready to be swapped in after the commit."""
    wilayah: str
    periode: str
    parquet: Path
    checksum: Path
    sha256: str
    baris: int

    @property
    def folder(self) -> Path:
        return self.parquet.parent


def sha256_of(path: Path) -> str | None:
    try:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()
    except FileNotFoundError:
        return None


def is_staged(path: Path) -> bool:
    return path.name.endswith(STAGED_SUFFIX) or path.name.startswith(LEGACY_STAGED)


def _staged_file(folder: Path, final_name: str) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{final_name}.", suffix=STAGED_SUFFIX, dir=folder)
    os.close(fd)
    return Path(tmp)


def checksum_doc(dataset: str, wilayah: str, periode: str, sha256: str, baris: int) -> dict:
    return {"dataset": dataset, "wilayah": wilayah, "periode": periode, "berkas": PART, "sha256": sha256,
            "baris": baris}


def stage_unit(lake: Lake, dataset: str, wilayah: str, periode: str, table) -> Staged:
    """Write one unit's table and checksum under staged names inside its partition folder (same filesystem, so
    the swap is a rename); a failure leaves nothing behind."""
    import pyarrow.parquet as pq

    folder = lake.clean_partition(dataset, wilayah, periode)
    written: list[Path] = []
    with writing(folder):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            parquet = _staged_file(folder, PART)
            written.append(parquet)
            pq.write_table(table, parquet)
            sha = sha256_of(parquet)
            checksum = _staged_file(folder, CHECKSUM)
            written.append(checksum)
            checksum.write_text(json.dumps(checksum_doc(dataset, wilayah, periode, sha, table.num_rows)),
                                encoding="utf-8")
        except BaseException:
            for p in written:
                p.unlink(missing_ok=True)
            raise
    return Staged(wilayah, periode, parquet, checksum, sha, table.num_rows)


def stage(lake: Lake, dataset: str, parts: dict[tuple[str, str], object]) -> list[Staged]:
    """Stage every (wilayah, periode) unit of a batch; a failure discards what was staged."""
    staged: list[Staged] = []
    try:
        for (wilayah, periode), table in parts.items():
            staged.append(stage_unit(lake, dataset, wilayah, periode, table))
    except BaseException:
        discard(staged)
        raise
    return staged


def record(conn: sa.Connection, dataset: str, staged: list[Staged], run_id: str, load_id: str | None,
           urutan: int | None) -> None:
    """The journal rows of a batch, in the caller's (the publish's) transaction."""
    from walidata.publish.schema import table_of
    from walidata.publish.warehouse import now

    if not staged or not sa.inspect(conn).has_table("jurnal_terbit", schema="audit"):  # (an older warehouse)
        return
    t = table_of("audit", "jurnal_terbit", JOURNAL_COLUMNS)
    when = now()
    for s in staged:
        conn.execute(t.delete().where(t.c.dataset == dataset, t.c.wilayah == s.wilayah, t.c.periode == s.periode))
    conn.execute(t.insert(), [{"dataset": dataset, "wilayah": s.wilayah, "periode": s.periode, "berkas": PART,
                               "sha256": s.sha256, "baris": s.baris, "load_id": load_id, "run_id": run_id,
                               "urutan": urutan, "dicatat": when} for s in staged])


def swap(staged: list[Staged]) -> None:
    """After the commit: each staged file over its final name (Parquet first, then its checksum); any other file
    of a replaced partition is removed (the partition is replaced), staged files of other runs are left to
    recovery."""
    for s in staged:
        final = s.folder / PART
        with writing(final):
            _replace_or_done(s.parquet, final, lambda f=final, s=s: sha256_of(f) == s.sha256)
            _replace_or_done(s.checksum, s.folder / CHECKSUM,
                             lambda s=s: (read_checksum(s.folder) or {}).get("sha256") == s.sha256)
        for other in s.folder.iterdir():
            if other.name in (PART, CHECKSUM) or is_staged(other):
                continue
            if other.is_dir():
                shutil.rmtree(other)
            else:
                other.unlink()


def _replace_or_done(staged: Path, final: Path, done) -> None:
    """Rename a staged file over its final name; a staged file already gone is fine only if a recovery running
    beside this publish swapped it in (`done()`)."""
    try:
        os.replace(staged, final)
    except FileNotFoundError:
        if not done():
            raise


def discard(staged: list[Staged]) -> None:
    for s in staged:
        s.parquet.unlink(missing_ok=True)
        s.checksum.unlink(missing_ok=True)


def lake_parts(current) -> dict[tuple[str, str], object]:
    """The warehouse's figures in force (with `periode` and `wilayah` columns), split into the lake's (wilayah,
    periode) partitions without those two columns (the folder names carry them)."""
    import pyarrow.compute as pc

    from walidata.publish.history import UNIT_COLUMN

    cols = [c for c in current.column_names if c not in ("periode", UNIT_COLUMN)]
    units = current.select(["periode", UNIT_COLUMN]).group_by(["periode", UNIT_COLUMN]).aggregate([]).to_pylist()
    return {(u[UNIT_COLUMN], u["periode"]): current.filter(pc.and_(
        pc.equal(current.column("periode"), u["periode"]), pc.equal(current.column(UNIT_COLUMN), u[UNIT_COLUMN])))
        .select(cols) for u in units}


def read_checksum(folder: Path) -> dict | None:
    try:
        doc = json.loads((folder / CHECKSUM).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def entries(conn: sa.Connection, dataset: str) -> dict[tuple[str, str], dict]:
    """The journal of a dataset: {(wilayah, periode): row}; empty on a warehouse without one."""
    if not sa.inspect(conn).has_table("jurnal_terbit", schema="audit"):
        return {}
    rows = conn.execute(sa.text("SELECT wilayah, periode, sha256, baris FROM audit.jurnal_terbit "
                                "WHERE dataset = :d"), {"d": dataset}).all()
    return {(r.wilayah, r.periode): dict(r._mapping) for r in rows}


# ---------------------------------------------------------------- recovery


def _warehouse_exists(url: str) -> bool:
    """A DuckDB file that is not there yet has nothing to reconcile with (and is not created for it)."""
    u = sa.engine.make_url(url)
    return u.get_backend_name() != "duckdb" or u.database in (None, "", ":memory:") or Path(u.database).exists()


def _settle(lake: Lake, dataset: str, unit: tuple[str, str], entry: dict | None) -> str | None:
    """One unit against its journal row: '' when the lake holds the journal's file, a note when a staged file of
    the journal's sha256 was swapped in (a crash between commit and rename), None when the partition must be
    rewritten from the warehouse (no journal row yet, or neither file is the journal's)."""
    if entry is None:
        return None
    folder = lake.clean_partition(dataset, *unit)
    final = folder / PART
    if sha256_of(final) != entry["sha256"]:
        match = next((p for p in sorted(folder.glob(f".{PART}.*{STAGED_SUFFIX}"))
                      if sha256_of(p) == entry["sha256"]), None)
        if match is None:
            return None
        os.replace(match, final)
        note = f"wilayah {unit[0]}, periode {unit[1]}: berkas yang sudah diterbitkan dipasang (terhenti sebelum rename)"
    else:
        note = ""
    doc = checksum_doc(dataset, unit[0], unit[1], entry["sha256"], int(entry["baris"]))
    if read_checksum(folder) != doc:
        from walidata.publish.lake import write_json

        write_json(folder / CHECKSUM, doc)
    return note


def _leftovers(folder: Path) -> list[Path]:
    """Staged files still in a dataset's clean zone once every unit is settled: from a crash before a commit."""
    if not folder.is_dir():
        return []
    return [p for p in folder.glob("wilayah=*/periode=*/*") if p.is_file() and is_staged(p)]


def _strays(folder: Path, in_force: set[tuple[str, str]]) -> list[Path]:
    """Partitions on disk with no figures in force in the warehouse: left as they are, and named."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("wilayah=*/periode=*") if p.is_dir() and any(p.glob(PART)) and (
        p.parent.name.removeprefix("wilayah="), p.name.removeprefix("periode=")) not in in_force)


def reconcile(settings, ds) -> list[str]:
    """Make the dataset's clean zone agree with the warehouse's figures in force before anything else of a run:
    units settled from the journal, units without a journal row (a warehouse from before it) or with neither
    file rewritten from the warehouse (and journaled), leftover staged files removed. Returns notes for the log."""
    from walidata.publish import history, warehouse
    from walidata.publish.schema import fact_table

    lake, staged, notes = Lake(settings.lake), [], []
    if not _warehouse_exists(settings.warehouse_url):
        return notes
    try:
        with warehouse.transaction(settings.warehouse_url) as conn:
            insp = sa.inspect(conn)
            if not (insp.has_table("jurnal_terbit", schema="audit")
                    and insp.has_table(fact_table(ds).name, schema="fact")):
                return notes
            history.lock_dataset(conn, ds.id)
            journal, units = entries(conn, ds.id), history.all_units(conn, ds)
            in_force = {(u[history.UNIT_COLUMN], u["periode"]) for u in units.to_pylist()}
            fix = []
            for unit in sorted(in_force):
                note = _settle(lake, ds.id, unit, journal.get(unit))
                fix.extend([unit] if note is None else [])
                notes.extend([note] if note else [])
            if fix:
                chosen = units.filter(_in_units(units, fix))
                staged = stage(lake, ds.id, lake_parts(history.current_units(conn, ds, chosen)))
                record(conn, ds.id, staged, "rekonsiliasi", None, None)
    except BaseException:
        discard(staged)
        raise
    if staged:
        swap(staged)
    notes.extend(f"wilayah {s.wilayah}, periode {s.periode}: partisi ditulis ulang dari gudang data" for s in staged)
    folder = lake.clean_dataset_dir(ds.id)
    for p in _leftovers(folder):
        p.unlink(missing_ok=True)
        notes.append(f"berkas staging yang tertinggal dihapus: {p.relative_to(lake.root)}")
    for p in _strays(folder, in_force):
        log.warning("%s: partisi %s tidak punya angka berlaku di gudang data: dibiarkan, periksa (walidata "
                    "pulihkan?)", ds.id, p.relative_to(lake.root))
    for note in notes:
        log.warning("%s: lake diselaraskan dengan gudang data: %s", ds.id, note)
    return notes


def _in_units(units, chosen: list[tuple[str, str]]):
    import pyarrow as pa
    import pyarrow.compute as pc

    from walidata.publish.history import UNIT_COLUMN

    keys = pc.binary_join_element_wise(units.column(UNIT_COLUMN), units.column("periode"), "\x1f")
    return pc.is_in(keys, value_set=pa.array([f"{w}\x1f{p}" for w, p in chosen], pa.string()))
