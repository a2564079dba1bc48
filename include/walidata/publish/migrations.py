"""Versioned warehouse schema: each migration upgrades a warehouse in place, without data loss.

Applied at the start of every write (`migrate`), recorded in `audit.schema_version`. Written as plain SQL
that DuckDB and PostgreSQL both accept. A migration is never edited once released: add the next one.
Per-dataset fact tables are created from the catalog (load.py); migrations reshape the ones that exist.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa

FACT_FIXED = {"variabel", "kode_wilayah", "periode", "nilai", "satuan", "status", "load_id", "sumber_file",
              "sumber_sheet", "sumber_baris", "berlaku_mulai", "berlaku_sampai"}
TS = "TIMESTAMP WITH TIME ZONE"


def _x(conn: sa.Connection, sql: str, **params) -> None:
    conn.execute(sa.text(sql), params)


def columns_of(conn: sa.Connection, schema: str, table: str) -> list[str]:
    """Column names in order, through information_schema (the same on DuckDB and PostgreSQL)."""
    return list(conn.execute(sa.text(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = :s AND table_name = :t "
        "ORDER BY ordinal_position"), {"s": schema, "t": table}).scalars())


def v001_initial(conn: sa.Connection) -> None:
    """ref.wilayah, ref.dataset, audit.load_log (the schema of the first release)."""
    for s in ("ref", "fact", "audit"):
        _x(conn, f"CREATE SCHEMA IF NOT EXISTS {s}")
    _x(conn, """CREATE TABLE IF NOT EXISTS ref.wilayah (
        kode_kemendagri VARCHAR PRIMARY KEY, kode_bps VARCHAR, nama VARCHAR NOT NULL, tingkat VARCHAR NOT NULL,
        kode_induk VARCHAR, luas_km2 DOUBLE PRECISION, penduduk_laki BIGINT, penduduk_perempuan BIGINT,
        penduduk_total BIGINT)""")
    cols = ", ".join(f"{c} VARCHAR" for c in (
        "opd", "judul", "deskripsi", "variabel", "tingkat_wilayah", "konsep", "definisi", "satuan", "ukuran",
        "klasifikasi_penyajian", "jadwal_pemutakhiran", "produsen_data", "klasifikasi_akses", "penanggung_jawab",
        "referensi_waktu", "dimensi_smart_city", "tabel_fakta", "metadata_json"))
    _x(conn, f"CREATE TABLE IF NOT EXISTS ref.dataset (id VARCHAR PRIMARY KEY, {cols})")
    _x(conn, f"""CREATE TABLE IF NOT EXISTS audit.load_log (
        run_id VARCHAR NOT NULL, load_id VARCHAR, dataset VARCHAR NOT NULL, status VARCHAR NOT NULL,
        hasil_validasi VARCHAR, sumber_file VARCHAR, sumber_sha256 VARCHAR, baris_dibaca INTEGER,
        baris_dimuat INTEGER, baris_ditolak INTEGER, periode VARCHAR, mulai {TS}, selesai {TS}, data_docs VARCHAR,
        lake VARCHAR, karantina VARCHAR, pesan TEXT)""")


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


def v002_history_and_marts(conn: sa.Connection) -> None:
    """History of revised figures, ref.opd and ref.periode, mart and pribadi schemas."""
    for s in ("mart", "pribadi"):
        _x(conn, f"CREATE SCHEMA IF NOT EXISTS {s}")
    _x(conn, "CREATE TABLE IF NOT EXISTS ref.opd (kode VARCHAR PRIMARY KEY, nama VARCHAR NOT NULL)")
    _x(conn, """CREATE TABLE IF NOT EXISTS ref.periode (
        periode VARCHAR PRIMARY KEY, jenis VARCHAR NOT NULL, tahun INTEGER NOT NULL, semester INTEGER,
        triwulan INTEGER, bulan INTEGER, mulai DATE NOT NULL, selesai DATE NOT NULL)""")
    conn.execute(sa.text("DELETE FROM ref.periode"))
    conn.execute(sa.text("INSERT INTO ref.periode VALUES (:periode, :jenis, :tahun, :semester, :triwulan, :bulan, "
                         ":mulai, :selesai)"), _periode_rows())
    _x(conn, "ALTER TABLE audit.load_log ADD COLUMN baris_berubah INTEGER")
    # Each fact table becomes <name>__riwayat (all versions, with validity) and a view <name> (current rows).
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


def v003_validation_results(conn: sa.Connection) -> None:
    """audit.hasil_validasi: every check of every run, the evidence of the Walidata's examination."""
    _x(conn, f"""CREATE TABLE IF NOT EXISTS audit.hasil_validasi (
        run_id VARCHAR NOT NULL, dataset VARCHAR NOT NULL, pemeriksaan VARCHAR NOT NULL, kolom VARCHAR,
        tingkat VARCHAR NOT NULL, sukses BOOLEAN NOT NULL, jumlah_gagal INTEGER, contoh TEXT,
        diperiksa_pada {TS} NOT NULL)""")


def v004_whole_country(conn: sa.Connection) -> None:
    """ref.wilayah for all Indonesia carries its edition; audit.load_log counts rows set aside as other regions'."""
    _x(conn, "ALTER TABLE ref.wilayah ADD COLUMN edisi VARCHAR")
    _x(conn, "ALTER TABLE audit.load_log ADD COLUMN baris_disisihkan INTEGER")


def v005_publish_units(conn: sa.Connection) -> None:
    """audit.load_log names the kabupaten/kota a load published (the unit of publishing, with the period) and
    counts the figures a partial load left in force."""
    _x(conn, "ALTER TABLE audit.load_log ADD COLUMN wilayah VARCHAR")
    _x(conn, "ALTER TABLE audit.load_log ADD COLUMN baris_dipertahankan INTEGER")


MIGRATIONS: list[tuple[int, str, Callable[[sa.Connection], None]]] = [
    (1, "skema awal: ref.wilayah, ref.dataset, audit.load_log", v001_initial),
    (2, "riwayat angka revisi, ref.opd, ref.periode, skema mart dan pribadi", v002_history_and_marts),
    (3, "audit.hasil_validasi: hasil setiap pemeriksaan", v003_validation_results),
    (4, "ref.wilayah seluruh Indonesia dengan edisinya; baris wilayah lain yang disisihkan", v004_whole_country),
    (5, "unit terbit (dataset, kabupaten/kota, periode) di audit.load_log; angka yang dipertahankan",
     v005_publish_units),
]
LATEST = MIGRATIONS[-1][0]


def current_version(conn: sa.Connection) -> int:
    insp = sa.inspect(conn)
    if insp.has_table("schema_version", schema="audit"):
        v = conn.execute(sa.text("SELECT MAX(versi) FROM audit.schema_version")).scalar()
        return int(v or 0)
    # A warehouse from before versioning: the first release's tables without the version table.
    return 1 if insp.has_table("dataset", schema="ref") else 0


def migrate(conn: sa.Connection, target: int = LATEST) -> list[int]:
    """Bring the warehouse to `target` inside the caller's transaction; returns the versions applied."""
    have = current_version(conn)
    _x(conn, "CREATE SCHEMA IF NOT EXISTS audit")
    _x(conn, f"""CREATE TABLE IF NOT EXISTS audit.schema_version (
        versi INTEGER PRIMARY KEY, keterangan VARCHAR NOT NULL, diterapkan_pada {TS} NOT NULL)""")
    if have and not conn.execute(sa.text("SELECT COUNT(*) FROM audit.schema_version")).scalar():
        _x(conn, "INSERT INTO audit.schema_version VALUES (1, :k, CURRENT_TIMESTAMP)", k=MIGRATIONS[0][1])
    applied = []
    for version, description, step in MIGRATIONS:
        if have < version <= target:
            step(conn)
            _x(conn, "INSERT INTO audit.schema_version VALUES (:v, :k, CURRENT_TIMESTAMP)", v=version, k=description)
            applied.append(version)
    return applied
