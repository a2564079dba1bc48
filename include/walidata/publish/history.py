"""History of published figures: the (kabupaten/kota, periode) units of publishing, and their replacement.

A figure that changes is closed (`berlaku_sampai`) and its new value added, so what was published on any date
stays answerable (`published_on`). Figures outside the units a load covers are never touched.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import sqlalchemy as sa

from walidata.catalog import Dataset
from walidata.publish import bulk
from walidata.publish.schema import FACT_COLUMNS_EXTRA, fact_table, table_of
from walidata.publish.warehouse import ident

UNIT_COLUMN = "wilayah"  # the kabupaten/kota (or province) a figure belongs to: the unit of publishing
LAKE_COLUMNS = ["variabel", "kode_wilayah", "nilai", *FACT_COLUMNS_EXTRA]


def unit_sql(alias: str) -> str:
    """SQL for the kabupaten/kota part of a region code ('62.06.01' → '62.06'; a province code stays as is)."""
    return f"substr({alias}.kode_wilayah, 1, 5)"


def publish_units(data):
    """The (periode, wilayah) pairs a load covers, as an Arrow table: the units it replaces, and nothing else."""
    import pyarrow as pa
    import pyarrow.compute as pc

    order = [("periode", "ascending"), (UNIT_COLUMN, "ascending")]
    daftar_wilayah = pc.unique(pc.utf8_slice_codeunits(pc.unique(data.column("kode_wilayah")), 0, 5))
    if len(daftar_wilayah) == 1:  # the usual load, one kabupaten/kota: its periods are the units (no pairing needed)
        periods = pc.unique(data.column("periode"))
        return pa.table({"periode": periods, UNIT_COLUMN: pa.repeat(daftar_wilayah[0], len(periods))}).sort_by(order)
    unit = pc.utf8_slice_codeunits(data.column("kode_wilayah"), 0, 5)
    pairs = pa.table({"periode": data.column("periode"), UNIT_COLUMN: unit})
    return pairs.group_by(["periode", UNIT_COLUMN]).aggregate([]).sort_by(order)


class Replaced(NamedTuple):
    changed: int  # rows added or closed
    kept: int  # current figures of the covered units that the load does not carry, left in force
    units: object  # Arrow table (periode, wilayah) the load covered


class _Sql(NamedTuple):
    """The SQL pieces of one replacement: `r` is the history table, `s` the staged load, `u` its units."""
    target: str
    stage: str
    keys: list[str]
    same_key: str
    same_value: str
    in_units: str
    cols: str
    s_cols: str


def _sql(t: sa.Table, ds: Dataset, data, stage: str, ustage: str) -> _Sql:
    keys = [ident(k) for k in ["variabel", "kode_wilayah", "periode", *ds.kolom_rincian]]
    return _Sql(
        target=f"fact.{ident(t.name)}", stage=stage, keys=keys,
        same_key=" AND ".join(f"s.{k} = r.{k}" for k in keys),
        same_value=" AND ".join(f"s.{c} IS NOT DISTINCT FROM r.{c}" for c in ("nilai", "status", "satuan")),
        in_units=(f"EXISTS (SELECT 1 FROM {ustage} u WHERE u.periode = r.periode "
                  f"AND u.{UNIT_COLUMN} = {unit_sql('r')})"),
        cols=", ".join(ident(c) for c in data.column_names),
        s_cols=", ".join("s." + ident(c) for c in data.column_names))


def replace_partitions(conn: sa.Connection, ds: Dataset, data, when: dt.datetime,
                       close_absent: bool = True, units=None) -> Replaced:
    """Publish the (kabupaten/kota, periode) units the load covers, keeping history.

    A figure that changed is closed (`berlaku_sampai = when`) and its new value added; an unchanged figure
    stays as it was, so the same file loaded twice changes nothing. A figure the load no longer carries is
    closed only when `close_absent` (a complete load): after a partial load, where rows were quarantined,
    it stays in force. Figures of other regions, and of periods the load does not cover, are never touched.
    `units` are the load's `publish_units`, when the caller has them already."""
    t = fact_table(ds)
    units = publish_units(data) if units is None else units
    stage, ustage = bulk.stage_name(), bulk.stage_name()
    q = _sql(t, ds, data, stage, ustage)
    bulk.stage(conn, units, ustage)
    try:
        # (.all(), not .first(): DuckDB keeps a half-read result open, and registering the stage would fail.)
        if not conn.execute(sa.text(f"SELECT 1 FROM {q.target} r WHERE r.berlaku_sampai IS NULL AND {q.in_units} "
                                    f"LIMIT 1")).all():
            return Replaced(_insert_new(conn, t, data, when), 0, units)
        bulk.stage(conn, data, stage)
        kept = 0 if close_absent else conn.execute(sa.text(
            f"SELECT COUNT(*) FROM {q.target} r WHERE r.berlaku_sampai IS NULL AND {q.in_units} "
            f"AND NOT EXISTS (SELECT 1 FROM {stage} s WHERE {q.same_key})")).scalar()
        _close_and_add(conn, q, when, close_absent)
        _check_one_current(conn, q, ds)
    finally:
        bulk.unstage(conn, stage)
        bulk.unstage(conn, ustage)
    changed = conn.execute(sa.text(f"SELECT COUNT(*) FROM {q.target} WHERE berlaku_mulai = :when OR "
                                   f"berlaku_sampai = :when"), {"when": when}).scalar()
    return Replaced(changed, kept, units)


def _close_and_add(conn: sa.Connection, q: _Sql, when: dt.datetime, close_absent: bool) -> None:
    """Close the figures the load replaces (or, when `close_absent`, no longer carries); add the new ones."""
    replaced = (f"NOT EXISTS (SELECT 1 FROM {q.stage} s WHERE {q.same_key} AND {q.same_value})" if close_absent
                else f"EXISTS (SELECT 1 FROM {q.stage} s WHERE {q.same_key} AND NOT ({q.same_value}))")
    conn.execute(sa.text(f"UPDATE {q.target} AS r SET berlaku_sampai = :when WHERE r.berlaku_sampai IS NULL "
                         f"AND {q.in_units} AND {replaced}"), {"when": when})
    conn.execute(sa.text(
        f"INSERT INTO {q.target} ({q.cols}, berlaku_mulai) SELECT {q.s_cols}, "
        f":when FROM {q.stage} s WHERE NOT EXISTS (SELECT 1 FROM {q.target} r WHERE r.berlaku_sampai IS NULL "
        f"AND {q.same_key})"), {"when": when})


def _check_one_current(conn: sa.Connection, q: _Sql, ds: Dataset) -> None:
    """One current figure per key: checked inside the transaction (DuckDB has no partial unique index)."""
    dup = conn.execute(sa.text(
        f"SELECT {', '.join(q.keys)}, COUNT(*) FROM {q.target} r WHERE r.berlaku_sampai IS NULL AND {q.in_units} "
        f"GROUP BY {', '.join(q.keys)} HAVING COUNT(*) > 1 LIMIT 1")).all()
    if dup:
        raise ValueError(f"{ds.id}: duplicate key {tuple(dup[0][:-1])} in the load; nothing published")


def _insert_new(conn: sa.Connection, t: sa.Table, data, when: dt.datetime) -> int:
    """Nothing in force yet for these units: a plain bulk insert (keys are unique: validation checked).
    PostgreSQL gets the time as text: Arrow writes timestamps into CSV far slower than strings."""
    import pyarrow as pa

    stamp = pa.repeat(pa.scalar(when, pa.timestamp("us", tz="UTC")) if conn.dialect.name == "duckdb"
                      else pa.scalar(when.isoformat()), data.num_rows)
    return bulk.bulk_insert(conn, t, data.append_column("berlaku_mulai", stamp))


def all_units(conn: sa.Connection, ds: Dataset):
    """Every (periode, wilayah) unit with figures in force, as Arrow (to rewrite a whole dataset's lake)."""
    import pyarrow as pa

    t = fact_table(ds)
    rows = conn.execute(sa.text(f"SELECT DISTINCT r.periode, {unit_sql('r')} FROM fact.{ident(t.name)} r "
                                f"WHERE r.berlaku_sampai IS NULL ORDER BY 1, 2")).all()
    return pa.table({"periode": pa.array([r[0] for r in rows], pa.string()),
                     UNIT_COLUMN: pa.array([r[1] for r in rows], pa.string())})


def current_units(conn: sa.Connection, ds: Dataset, units):
    """The figures in force for the given (periode, wilayah) units, as Arrow: what the lake's clean zone holds,
    so the lake always equals the warehouse (kept figures and the load ids of unchanged ones included)."""
    t = fact_table(ds)
    cols = ["periode", *LAKE_COLUMNS[:2], *ds.kolom_rincian, *LAKE_COLUMNS[2:]]
    ustage = bulk.stage_name()
    order = ", ".join("r." + ident(c) for c in ["variabel", "kode_wilayah", "periode", *ds.kolom_rincian])
    select = (f"SELECT {', '.join('r.' + ident(c) for c in cols)}, {unit_sql('r')} AS {UNIT_COLUMN} "
              f"FROM fact.{ident(t.name)} r JOIN {ustage} u ON u.periode = r.periode "
              f"AND u.{UNIT_COLUMN} = {unit_sql('r')} WHERE r.berlaku_sampai IS NULL "
              f"ORDER BY {order}")
    bulk.stage(conn, units, ustage)
    try:
        return bulk.query_arrow(conn, select, t, [*cols, UNIT_COLUMN])
    finally:
        bulk.unstage(conn, ustage)


def published_on(conn: sa.Connection, ds: Dataset, when: dt.datetime):
    """What the warehouse published for a dataset as of `when` (rows valid at that moment)."""
    t = fact_table(ds)
    return conn.execute(sa.select(t).where(t.c.berlaku_mulai <= when, sa.or_(
        t.c.berlaku_sampai.is_(None), t.c.berlaku_sampai > when))).all()


def lock_dataset(conn: sa.Connection, dataset: str) -> None:
    """Serialise publishes of one dataset: a PostgreSQL advisory lock held until the transaction ends.
    (DuckDB needs none: one process at a time holds the warehouse file.)"""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"walidata.publish.{dataset}"})


def published_since(conn: sa.Connection, dataset: str, daftar_wilayah: list[str], mark: int | None,
                    since: dt.datetime | None, run_id: str, load_id: str) -> dict | None:
    """Another run's successful load of the dataset for one of `daftar_wilayah`, published after this run read
    its files: numbered above `mark` by the database's load order (`audit.load_log.urutan`, read at extract), so a
    worker's slow or fast clock changes nothing. A run that read its files before the order existed (`mark` None)
    is compared by time, `selesai` after `since`. A load of the very same files and catalog entry (the same load
    id) is no newer: publishing it again changes nothing."""
    from walidata.publish.migrations import columns_of

    ordered = "urutan" in columns_of(conn, "audit", "load_log")  # not on a warehouse held at an older version
    log = table_of("audit", "load_log", ["run_id", "load_id", "dataset", "status", "wilayah", "selesai",
                                         *(["urutan"] if ordered else [])])
    if mark is not None and ordered:
        newer = log.c.urutan > mark
    elif since is not None:
        newer = log.c.selesai > since
    else:
        return None
    rows = conn.execute(sa.select(log.c.run_id, log.c.wilayah, log.c.selesai).where(
        log.c.dataset == dataset, log.c.status == "dimuat", log.c.run_id != run_id,
        log.c.load_id != load_id, newer).order_by(log.c.selesai)).all()
    for r in rows:
        theirs = {w.strip() for w in (r.wilayah or "").split(",") if w.strip()}
        if not theirs or theirs & set(daftar_wilayah):  # a row from before regions were logged: assume it overlaps
            return dict(r._mapping)
    return None
