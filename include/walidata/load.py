"""Publish: the SQL warehouse (DuckDB or PostgreSQL through SQLAlchemy) and the lake's clean zone.

A publish replaces the periods it covers in one transaction: a failure leaves the warehouse as it was.
Rows go in bulk (Arrow into DuckDB, COPY into PostgreSQL), never row by row through the ORM.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from contextlib import contextmanager, suppress
from pathlib import Path

import sqlalchemy as sa

from walidata.catalog import Dataset
from walidata.reference import all_wilayah

SCHEMAS = ("ref", "fact", "audit")
metadata = sa.MetaData()

wilayah = sa.Table(
    "wilayah", metadata,
    sa.Column("kode_kemendagri", sa.String, primary_key=True,
              comment="Kode wilayah Kemendagri (Kepmendagri 300.2.2-2138/2025)"),
    sa.Column("kode_bps", sa.String, comment="Kode wilayah BPS (tidak selalu sejalan dengan Kemendagri)"),
    sa.Column("nama", sa.String, nullable=False),
    sa.Column("tingkat", sa.String, nullable=False, comment="provinsi, kabupaten, kota, kecamatan, desa, kelurahan"),
    sa.Column("kode_induk", sa.String),
    sa.Column("luas_km2", sa.Double, comment="Luas wilayah (BIG)"),
    sa.Column("penduduk_laki", sa.BigInteger, comment="Penduduk laki-laki (Dukcapil)"),
    sa.Column("penduduk_perempuan", sa.BigInteger, comment="Penduduk perempuan (Dukcapil)"),
    sa.Column("penduduk_total", sa.BigInteger, comment="Penduduk (Dukcapil)"),
    schema="ref", comment="Wilayah administrasi: provinsi, kabupaten/kota, dan kecamatan/desa wilayah terinci",
)

dataset_table = sa.Table(
    "dataset", metadata,
    sa.Column("id", sa.String, primary_key=True),
    *(sa.Column(c, sa.String) for c in (
        "opd", "judul", "deskripsi", "variabel", "tingkat_wilayah", "konsep", "definisi", "satuan", "ukuran",
        "klasifikasi_penyajian", "jadwal_pemutakhiran", "produsen_data", "klasifikasi_akses", "penanggung_jawab",
        "referensi_waktu", "dimensi_smart_city", "tabel_fakta", "metadata_json")),
    schema="ref", comment="Daftar data: metadata Satu Data setiap dataset OPD dari katalog",
)

load_log = sa.Table(
    "load_log", metadata,
    sa.Column("run_id", sa.String, nullable=False),
    sa.Column("load_id", sa.String),
    sa.Column("dataset", sa.String, nullable=False),
    sa.Column("status", sa.String, nullable=False, comment="dimuat, gagal_validasi"),
    sa.Column("hasil_validasi", sa.String, comment="lulus, lulus dengan peringatan, gagal"),
    sa.Column("sumber_file", sa.String),
    sa.Column("sumber_sha256", sa.String),
    sa.Column("baris_dibaca", sa.Integer),
    sa.Column("baris_dimuat", sa.Integer),
    sa.Column("baris_ditolak", sa.Integer),
    sa.Column("periode", sa.String),
    sa.Column("mulai", sa.DateTime(timezone=True)),
    sa.Column("selesai", sa.DateTime(timezone=True)),
    sa.Column("data_docs", sa.String),
    sa.Column("lake", sa.String),
    sa.Column("karantina", sa.String),
    sa.Column("pesan", sa.Text),
    schema="audit", comment="Satu baris per dataset per run: apa yang dibaca, dimuat, ditolak, dan hasil validasi",
)


def fact_table(ds: Dataset, md: sa.MetaData | None = None) -> sa.Table:
    md = md if md is not None else sa.MetaData()
    m = ds.metadata
    return sa.Table(
        ds.fact_table, md,
        sa.Column("variabel", sa.String, primary_key=True, comment=f"Variabel: {', '.join(ds.variabel_list)}"),
        sa.Column("kode_wilayah", sa.String, primary_key=True, comment="Kode Kemendagri, lihat ref.wilayah"),
        sa.Column("periode", sa.String, primary_key=True, comment="Tahun (YYYY) atau YYYY-Sn / YYYY-Qn / YYYY-MM"),
        *(sa.Column(b, sa.String, primary_key=True, comment=f"Rincian: {b}") for b in ds.breakdowns),
        sa.Column("nilai", sa.Double, comment=f"{m.konsep} ({m.ukuran}, {m.satuan})"),
        sa.Column("satuan", sa.String),
        sa.Column("status", sa.String, comment="tetap, sementara, sangat_sementara, revisi, estimasi, nihil, ..."),
        sa.Column("load_id", sa.String, comment="Muatan yang membawa baris ini (audit.load_log)"),
        sa.Column("sumber_file", sa.String),
        sa.Column("sumber_sheet", sa.String),
        sa.Column("sumber_baris", sa.Integer),
        schema="fact", comment=f"{ds.judul} ({ds.metadata.produsen_data})",
    )


FACT_COLUMNS_EXTRA = ["satuan", "status", "load_id", "sumber_file", "sumber_sheet", "sumber_baris"]


@contextmanager
def engine_for(url: str):
    """An engine that is disposed after use, so the DuckDB file lock is released for analysts."""
    u = sa.engine.make_url(url)
    if u.get_backend_name() == "duckdb" and u.database not in (None, "", ":memory:"):
        Path(u.database).parent.mkdir(parents=True, exist_ok=True)  # a first run creates the warehouse file
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        yield engine
    finally:
        engine.dispose()


LOCK_WAIT_SECONDS = 300.0


def connect(engine: sa.Engine, wait: float = LOCK_WAIT_SECONDS) -> sa.Connection:
    """A connection; while another process holds the DuckDB file (one writer at a time), wait for it."""
    import time

    deadline = time.monotonic() + wait
    delay = 0.2
    while True:
        try:
            return engine.connect()
        except sa.exc.OperationalError as exc:
            if "Could not set lock" not in str(exc) or time.monotonic() + delay > deadline:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 5.0)


@contextmanager
def transaction(url: str, wait: float = LOCK_WAIT_SECONDS):
    """One transaction on the warehouse: committed when the block ends, rolled back on any error."""
    with engine_for(url) as engine, connect(engine, wait) as conn, conn.begin():
        yield conn


def ensure_schema(conn: sa.Connection, ds: Dataset | None = None) -> None:
    for s in SCHEMAS:
        conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {s}"))
    metadata.create_all(conn, checkfirst=True)
    if ds is not None:
        fact_table(ds).create(conn, checkfirst=True)


def refresh_reference(conn: sa.Connection, reference_dir: Path, ds: Dataset) -> None:
    """ref.wilayah from the reference files and this dataset's row of ref.dataset."""
    import pyarrow as pa

    rows = [w.__dict__ for w in sorted(all_wilayah(Path(reference_dir)).values(), key=lambda w: w.kode_kemendagri)]
    conn.execute(wilayah.delete())
    bulk_insert(conn, wilayah, pa.Table.from_pylist(rows))
    m = ds.metadata
    conn.execute(dataset_table.delete().where(dataset_table.c.id == ds.id))
    conn.execute(dataset_table.insert(), [{
        "id": ds.id, "opd": ds.opd, "judul": ds.judul, "deskripsi": ds.deskripsi, "variabel": ds.variabel,
        "tingkat_wilayah": ds.tingkat_wilayah, "konsep": m.konsep, "definisi": m.definisi, "satuan": m.satuan,
        "ukuran": m.ukuran, "klasifikasi_penyajian": ", ".join(m.klasifikasi_penyajian),
        "jadwal_pemutakhiran": m.jadwal_pemutakhiran, "produsen_data": m.produsen_data,
        "klasifikasi_akses": m.klasifikasi_akses, "penanggung_jawab": m.penanggung_jawab,
        "referensi_waktu": m.referensi_waktu, "dimensi_smart_city": ", ".join(m.dimensi_smart_city),
        "tabel_fakta": f"fact.{ds.fact_table}", "metadata_json": ds.model_dump_json(),
    }])


def bulk_insert(conn: sa.Connection, table: sa.Table, data) -> int:
    """Insert an Arrow table in bulk inside the connection's transaction."""
    cols = ", ".join(f'"{c}"' for c in data.column_names)
    target = f'{table.schema}."{table.name}"'
    raw = conn.connection.driver_connection
    if conn.dialect.name == "duckdb":
        view = f"_walidata_{uuid.uuid4().hex}"
        raw.register(view, data)
        try:
            raw.execute(f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {view}")
        except Exception:
            # In an aborted transaction unregister fails too; keep the insert's own error.
            with suppress(Exception):
                raw.unregister(view)
            raise
        raw.unregister(view)
    else:
        with raw.cursor() as cur, cur.copy(f"COPY {target} ({cols}) FROM STDIN") as copy:
            for row in zip(*(data.column(c).to_pylist() for c in data.column_names), strict=True):
                copy.write_row(row)
    return data.num_rows


def replace_partitions(conn: sa.Connection, ds: Dataset, data) -> None:
    """Delete the periods the load covers, then insert the new rows (same transaction)."""
    t = fact_table(ds)
    periods = sorted(set(data.column("periode").to_pylist()))
    if periods:
        conn.execute(t.delete().where(t.c.periode.in_(periods)))
    bulk_insert(conn, t, data)


def log_load(conn: sa.Connection, row: dict) -> None:
    """One audit row per (run, dataset); a retried task replaces its own row instead of adding one."""
    conn.execute(load_log.delete().where(load_log.c.run_id == row["run_id"], load_log.c.dataset == row["dataset"]))
    conn.execute(load_log.insert(), [row])


def record_outcome(url: str, row: dict) -> None:
    """An audit row in its own transaction (used when a run stops before publishing)."""
    with transaction(url) as conn:
        ensure_schema(conn)
        log_load(conn, row)


def published_sha256(url: str, dataset: str) -> set[str]:
    """sha256 of every source file a successful load of the dataset has taken."""
    with engine_for(url) as engine, connect(engine) as conn:
        if not sa.inspect(conn).has_table("load_log", schema="audit"):
            return set()
        rows = conn.execute(sa.select(load_log.c.sumber_sha256).where(
            load_log.c.dataset == dataset, load_log.c.status == "dimuat")).scalars()
        return {s.strip() for r in rows if r for s in r.split(",")}


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def jsonable(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, default=str)
