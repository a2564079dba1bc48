"""Versioned warehouse schema: each migration upgrades a warehouse in place, without data loss.

The only DDL of the fixed tables: `NNN_<name>.sql` beside this file (plain SQL that DuckDB and PostgreSQL both
accept), each followed, where data must move, by a Python step below (v002: ref.periode's rows and the
conversion of fact tables to history tables). Applied at the start of every write (`migrate`), recorded in
`audit.schema_version`. A migration is never edited once released: add the next one, so a warehouse migrated
from any older version ends in the same state as a new one. Per-dataset history tables are created from the
catalog (`schema.fact_table`); migrations reshape the ones that exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from walidata.publish import sqlfiles

FACT_FIXED = {"variabel", "kode_wilayah", "periode", "nilai", "satuan", "status", "load_id", "sumber_file",
              "sumber_sheet", "sumber_baris", "berlaku_mulai", "berlaku_sampai"}
TS = "TIMESTAMP WITH TIME ZONE"
HERE = Path(__file__).resolve().parent


def _x(conn: sa.Connection, sql: str, **params) -> None:
    conn.execute(sa.text(sql), params)


def columns_of(conn: sa.Connection, schema: str, table: str) -> list[str]:
    """Column names in order, through information_schema (the same on DuckDB and PostgreSQL)."""
    return list(conn.execute(sa.text(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = :s AND table_name = :t "
        "ORDER BY ordinal_position"), {"s": schema, "t": table}).scalars())


def _periode_rows(first: int = 2000, last: int = 2040) -> list[dict]:
    rows = []
    for y in range(first, last + 1):
        def add(p, jenis, mulai, selesai, semester=None, triwulan=None, bulan=None, y=y):
            rows.append({"periode": p, "jenis": jenis, "tahun": y, "semester": semester, "triwulan": triwulan,
                         "bulan": bulan, "mulai": mulai, "selesai": selesai})
        add(str(y), "tahun", dt.date(y, 1, 1), dt.date(y, 12, 31))
        for s in (1, 2):
            add(f"{y}-S{s}", "semester", dt.date(y, 6 * s - 5, 1),
                dt.date(y, 6, 30) if s == 1 else dt.date(y, 12, 31), semester=s)
        for q in (1, 2, 3, 4):
            end = dt.date(y + (q == 4), (3 * q) % 12 + 1, 1) - dt.timedelta(days=1)
            add(f"{y}-Q{q}", "triwulan", dt.date(y, 3 * q - 2, 1), end, semester=(q + 1) // 2, triwulan=q)
        for m in range(1, 13):
            end = dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)
            add(f"{y}-{m:02d}", "bulan", dt.date(y, m, 1), end, semester=1 if m <= 6 else 2,
                triwulan=(m - 1) // 3 + 1, bulan=m)
    return rows


def v002_data(conn: sa.Connection) -> None:
    """After 002's DDL: the ref.periode calendar, and each fact table becomes <name>__riwayat (all versions,
    with validity) and a view <name> (current rows)."""
    conn.execute(sa.text("DELETE FROM ref.periode"))
    conn.execute(sa.text("INSERT INTO ref.periode VALUES (:periode, :jenis, :tahun, :semester, :triwulan, :bulan, "
                         ":mulai, :selesai)"), _periode_rows())
    insp = sa.inspect(conn)
    for (table,) in conn.execute(sa.text("SELECT tabel_fakta FROM ref.dataset")).all():
        name = table.split(".", 1)[1]
        if not insp.has_table(name, schema="fact"):
            continue
        _x(conn, f'''CREATE TABLE fact."{name}__riwayat" AS
            SELECT f.*, CAST(COALESCE((SELECT MIN(l.selesai) FROM audit.load_log l WHERE l.load_id = f.load_id
                                       AND l.status = 'dimuat'), CURRENT_TIMESTAMP) AS {TS}) AS berlaku_mulai,
                   CAST(NULL AS {TS}) AS berlaku_sampai
            FROM fact."{name}" f''')
        _x(conn, f'DROP TABLE fact."{name}"')
        cols = columns_of(conn, "fact", f"{name}__riwayat")
        keep = ", ".join(f'"{c}"' for c in cols if c != "berlaku_sampai")
        _x(conn, f'CREATE VIEW fact."{name}" AS SELECT {keep} FROM fact."{name}__riwayat" '
                 f"WHERE berlaku_sampai IS NULL")


def v010_data(conn: sa.Connection) -> None:
    """After 010's comments: the ISO weeks of the calendar's years in ref.periode (2000-W01 to 2040-W52)."""
    rows = []
    for y in range(2000, 2041):
        for w in range(1, dt.date(y, 12, 28).isocalendar()[1] + 1):  # 28 December is always in the last week
            rows.append({"periode": f"{y}-W{w:02d}", "jenis": "minggu", "tahun": y,
                         "mulai": dt.date.fromisocalendar(y, w, 1), "selesai": dt.date.fromisocalendar(y, w, 7)})
    conn.execute(sa.text("INSERT INTO ref.periode (periode, jenis, tahun, mulai, selesai) VALUES (:periode, :jenis, "
                         ":tahun, :mulai, :selesai)"), rows)


# (version, description recorded in audit.schema_version, Python step run after the version's SQL file)
MIGRATIONS: list[tuple[int, str, Callable[[sa.Connection], None] | None]] = [
    (1, "skema awal: ref.wilayah, ref.dataset, audit.load_log", None),
    (2, "riwayat angka revisi, ref.opd, ref.periode, skema mart dan pribadi", v002_data),
    (3, "audit.hasil_validasi: hasil setiap pemeriksaan", None),
    (4, "ref.wilayah seluruh Indonesia dengan edisinya; baris wilayah lain yang disisihkan", None),
    (5, "unit terbit (dataset, kabupaten/kota, periode) di audit.load_log; angka yang dipertahankan", None),
    (6, "keterangan tabel dan kolom ref dan audit (kamus data) di gudang data", None),
    (7, "indikator Smart City: ref.indikator, mart.indikator_nilai dengan riwayat, audit.indikator_hitung", None),
    (8, "daftar tindak lanjut Walidata: audit.tindak_lanjut (dataset OPD yang terlambat)", None),
    (9, "akuntansi baris sumber di audit.load_log: setiap baris terisi dalam satu kelas", None),
    (10, "minggu ISO (YYYY-Wnn) di kalender ref.periode", v010_data),
    (11, "jurnal terbit: isi lake per unit dan urutan muat dari basis data", None),
]
LATEST = MIGRATIONS[-1][0]


def sql_file(version: int) -> Path:
    """The SQL file of a migration: `NNN_<name>.sql` beside this module."""
    (path,) = HERE.glob(f"{version:03d}_*.sql")
    return path


def current_version(conn: sa.Connection) -> int:
    insp = sa.inspect(conn)
    if insp.has_table("schema_version", schema="audit"):
        v = conn.execute(sa.text("SELECT MAX(versi) FROM audit.schema_version")).scalar()
        return int(v or 0)
    # A warehouse from before versioning: the first release's tables without the version table.
    return 1 if insp.has_table("dataset", schema="ref") else 0


def migrate(conn: sa.Connection, target: int | None = None) -> list[int]:
    """Bring the warehouse to `target` (the latest by default) inside the caller's transaction; returns the
    versions applied."""
    target = MIGRATIONS[-1][0] if target is None else target
    have = current_version(conn)
    sqlfiles.run(conn, sqlfiles.read("migrations/schema_version.sql"))
    if have and not conn.execute(sa.text("SELECT COUNT(*) FROM audit.schema_version")).scalar():
        _x(conn, "INSERT INTO audit.schema_version VALUES (1, :k, CURRENT_TIMESTAMP)", k=MIGRATIONS[0][1])
    applied = []
    for version, description, step in MIGRATIONS:
        if have < version <= target:
            sqlfiles.run(conn, sqlfiles.read(str(sql_file(version).relative_to(sqlfiles.HERE))))
            if step is not None:
                step(conn)
            _x(conn, "INSERT INTO audit.schema_version VALUES (:v, :k, CURRENT_TIMESTAMP)", v=version, k=description)
            applied.append(version)
    return applied
