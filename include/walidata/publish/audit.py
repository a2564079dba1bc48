"""The audit trail: one `audit.load_log` row per dataset per run, every check in `audit.hasil_validasi`, and
which source files are behind what was published (for skipping seen files and for the raw zone's retention).

The tables are the migrations' (`publish/migrations/`); statements here name only the columns they touch.
"""

from __future__ import annotations

import sqlalchemy as sa

from walidata.catalog import HISTORY_SUFFIX, Dataset
from walidata.publish import warehouse
from walidata.publish.schema import ensure_schema, table_of
from walidata.publish.warehouse import LOCK_WAIT_SECONDS, ident, now, transaction


def log_load(conn: sa.Connection, row: dict) -> None:
    """One audit row per (run, dataset, status): a retried task replaces its own row of the same outcome, and
    the rows of its failed attempts stay as evidence."""
    from walidata.publish.migrations import columns_of

    have = set(columns_of(conn, "audit", "load_log"))  # a warehouse held at an older version by its operator
    row = {k: v for k, v in row.items() if k in have}
    log = table_of("audit", "load_log", {"run_id", "dataset", "status", *row})
    conn.execute(log.delete().where(log.c.run_id == row["run_id"], log.c.dataset == row["dataset"],
                                    log.c.status == row["status"]))
    conn.execute(log.insert(), [row])


def next_order(conn: sa.Connection) -> int | None:
    """The next number of the database's load order (a sequence: later loads get larger numbers, whatever the
    clocks of the workers that run them say); None on a warehouse held at a version before it."""
    from walidata.publish.migrations import columns_of

    if "urutan" not in columns_of(conn, "audit", "load_log"):
        return None
    return int(conn.execute(sa.text("SELECT nextval('audit.urutan_muat')")).scalar())


def last_order(url: str, dataset: str) -> int | None:
    """The load order of the dataset's latest successful load (0: none yet), read when a run reads its files: a
    load numbered above it at publish time was published after that (`history.published_since`). None on a
    warehouse without the order (not created, or older than migration 11): the comparison falls back to times."""
    with warehouse.engine_for(url) as engine, warehouse.connect(engine) as conn:
        from walidata.publish.migrations import columns_of

        if "urutan" not in columns_of(conn, "audit", "load_log"):
            return None if sa.inspect(conn).has_table("load_log", schema="audit") else 0
        return int(conn.execute(sa.text("SELECT COALESCE(MAX(urutan), 0) FROM audit.load_log WHERE dataset = :d "
                                        "AND status = 'dimuat'"), {"d": dataset}).scalar())


def record_validation(url: str, run_id: str, dataset: str, results: list[dict]) -> None:
    """Every check's result for a run (a rerun of the same run replaces its rows)."""
    when = now()
    rows = [{"run_id": run_id, "dataset": dataset, "pemeriksaan": r["expectation"], "kolom": r["column"],
             "tingkat": r["severity"], "sukses": bool(r["success"]), "jumlah_gagal": r["unexpected_count"],
             "contoh": "\n".join(r["sample"][:5]) or None, "diperiksa_pada": when} for r in results]
    checks = table_of("audit", "hasil_validasi", dict.fromkeys(["run_id", "dataset", *(rows[0] if rows else ())]))
    with transaction(url) as conn:
        ensure_schema(conn)
        conn.execute(checks.delete().where(checks.c.run_id == run_id, checks.c.dataset == dataset))
        if rows:
            conn.execute(checks.insert(), rows)


def record_outcome(url: str, row: dict, wait: float = LOCK_WAIT_SECONDS) -> None:
    """An audit row in its own transaction (used when a run stops before publishing, or publishing failed)."""
    with transaction(url, wait) as conn:
        ensure_schema(conn)
        log_load(conn, row)


def load_log(conn: sa.Connection) -> sa.TableClause:
    """`audit.load_log` with every column the live warehouse has (for reading whole rows)."""
    from walidata.publish.migrations import columns_of

    return table_of("audit", "load_log", columns_of(conn, "audit", "load_log"))


def published_sha256(url: str, dataset: str, wilayah: str | None = None) -> set[str]:
    """sha256 of every source file a successful load of the dataset has taken for the region `wilayah` (a
    kabupaten/kota code; None: for any region). A provincial file published for one kabupaten is still new for
    the next one: the skip is per (dataset, region)."""
    with warehouse.engine_for(url) as engine, warehouse.connect(engine) as conn:
        if not sa.inspect(conn).has_table("load_log", schema="audit"):
            return set()
        cols = ["sumber_sha256", "dataset", "status", "wilayah"]
        log = table_of("audit", "load_log", cols)
        rows = conn.execute(sa.select(log.c.sumber_sha256, log.c.wilayah).where(
            log.c.dataset == dataset, log.c.status == "dimuat")).all()
        return {s.strip() for sha, units in rows if sha and (wilayah is None or _covers(units, wilayah))
                for s in sha.split(",")}


def published_sha256_per_wilayah(url: str, dataset: str, codes: tuple[str, ...]) -> dict[str, set[str]]:
    """`published_sha256` for each kabupaten/kota of a scope, in one query."""
    with warehouse.engine_for(url) as engine, warehouse.connect(engine) as conn:
        if not sa.inspect(conn).has_table("load_log", schema="audit"):
            return {k: set() for k in codes}
        log = table_of("audit", "load_log", ["sumber_sha256", "dataset", "status", "wilayah"])
        rows = conn.execute(sa.select(log.c.sumber_sha256, log.c.wilayah).where(
            log.c.dataset == dataset, log.c.status == "dimuat")).all()
    return {k: {s.strip() for sha, units in rows if sha and _covers(units, k) for s in sha.split(",")} for k in codes}


def _covers(units: str | None, wilayah: str) -> bool:
    """Whether a load that published `units` ('62.06, 62.07') published region `wilayah` (a load of older
    warehouses without units is not assumed to: reading a file again is idempotent, skipping it wrongly is not)."""
    return bool(units) and any(u.strip() == wilayah or u.strip().startswith(wilayah + ".") for u in units.split(","))


def sha256_in_force(url: str, ds: Dataset) -> set[str]:
    """sha256 of the source files behind the dataset's figures in force (kept by the raw zone's retention)."""
    with warehouse.engine_for(url) as engine, warehouse.connect(engine) as conn:
        if not sa.inspect(conn).has_table(f"{ds.fact_table}{HISTORY_SUFFIX}", schema="fact"):
            return set()
        rows = conn.execute(sa.text(
            f"SELECT DISTINCT l.sumber_sha256 FROM audit.load_log l WHERE l.dataset = :d AND l.status = 'dimuat' "
            f"AND l.load_id IN (SELECT DISTINCT load_id FROM fact.{ident(ds.fact_table)})"), {"d": ds.id}).scalars()
        return {s.strip() for r in rows if r for s in r.split(",")}
