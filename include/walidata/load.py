"""Publish: the SQL warehouse (DuckDB or PostgreSQL through SQLAlchemy) and the lake's clean zone.

A publish replaces the periods it covers in one transaction: a failure leaves the warehouse as it was.
Rows go in bulk (Arrow into DuckDB, COPY into PostgreSQL), never row by row through the ORM.
"""

from __future__ import annotations

import datetime as dt
import uuid
from contextlib import contextmanager, suppress
from pathlib import Path

import sqlalchemy as sa

from walidata.catalog import Dataset
from walidata.reference import EDISI, Wilayah, all_wilayah, reference_fingerprint

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
    sa.Column("edisi", sa.String, comment="Edisi kode wilayah (Kepmendagri) dan sidik berkas referensi"),
    schema="ref", comment="Wilayah administrasi seluruh Indonesia: provinsi, kabupaten/kota, kecamatan, desa/kelurahan",
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

opd_table = sa.Table(
    "opd", metadata,
    sa.Column("kode", sa.String, primary_key=True),
    sa.Column("nama", sa.String, nullable=False),
    schema="ref", comment="Organisasi Perangkat Daerah produsen data",
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
    sa.Column("baris_berubah", sa.Integer, comment="Baris yang baru atau menggantikan angka sebelumnya"),
    sa.Column("baris_disisihkan", sa.Integer, comment="Baris milik wilayah lain: tidak dimuat, hanya dihitung"),
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
    """`fact.<opd>__<name>__riwayat`: every version of every figure, with when it was valid.

    Analysts read the view `fact.<opd>__<name>` (current rows) or `mart.<opd>__<name>` (with names)."""
    md = md if md is not None else sa.MetaData()
    m = ds.metadata
    return sa.Table(
        f"{ds.fact_table}__riwayat", md,
        sa.Column("variabel", sa.String, nullable=False, comment=f"Variabel: {', '.join(ds.variabel_list)}"),
        sa.Column("kode_wilayah", sa.String, nullable=False, comment="Kode Kemendagri, lihat ref.wilayah"),
        sa.Column("periode", sa.String, nullable=False,
                  comment="Tahun (YYYY) atau YYYY-Sn / YYYY-Qn / YYYY-MM, lihat ref.periode"),
        *(sa.Column(b, sa.String, comment=f"Rincian: {b} ({', '.join(ds.rincian[b])})") for b in ds.breakdowns),
        sa.Column("nilai", sa.Double, comment=f"{m.konsep} ({m.ukuran}, {m.satuan})"),
        sa.Column("satuan", sa.String),
        sa.Column("status", sa.String, comment="tetap, sementara, sangat_sementara, revisi, estimasi, nihil, ..."),
        sa.Column("load_id", sa.String, comment="Muatan yang membawa angka ini (audit.load_log)"),
        sa.Column("sumber_file", sa.String),
        sa.Column("sumber_sheet", sa.String),
        sa.Column("sumber_baris", sa.Integer),
        sa.Column("berlaku_mulai", sa.DateTime(timezone=True), nullable=False, comment="Sejak kapan angka ini terbit"),
        sa.Column("berlaku_sampai", sa.DateTime(timezone=True),
                  comment="Kapan angka ini digantikan (kosong: masih berlaku)"),
        schema="fact", comment=f"{ds.judul} ({ds.metadata.produsen_data}), dengan riwayat revisi",
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


def _q(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def ensure_schema(conn: sa.Connection, ds: Dataset | None = None) -> None:
    """Migrate to the latest schema; for a dataset, its history table, its views and the comments."""
    from walidata.migrations import migrate

    migrate(conn)
    if ds is None:
        return
    t = fact_table(ds)
    t.create(conn, checkfirst=True)
    name = ds.fact_table
    cols = [c.name for c in t.columns if c.name != "berlaku_sampai"]
    _x = conn.exec_driver_sql
    _x(f'DROP VIEW IF EXISTS fact."{name}"')
    _x(f'CREATE VIEW fact."{name}" AS SELECT {", ".join(cols)} FROM fact."{t.name}" WHERE berlaku_sampai IS NULL')
    rincian = "".join(f", f.{b}" for b in ds.breakdowns)
    _x(f'DROP VIEW IF EXISTS mart."{name}"')
    _x(f"""CREATE VIEW mart."{name}" AS
        SELECT f.variabel, f.kode_wilayah, w.nama AS nama_wilayah, w.tingkat AS tingkat_wilayah,
               w.kode_bps, k.nama AS nama_induk, f.periode, p.jenis AS jenis_periode, p.tahun{rincian},
               f.nilai, f.satuan, f.status, f.berlaku_mulai AS terbit_pada, f.load_id
        FROM fact."{t.name}" f
        LEFT JOIN ref.wilayah w ON w.kode_kemendagri = f.kode_wilayah
        LEFT JOIN ref.wilayah k ON k.kode_kemendagri = w.kode_induk
        LEFT JOIN ref.periode p ON p.periode = f.periode
        WHERE f.berlaku_sampai IS NULL""")
    _x(f'COMMENT ON TABLE fact."{t.name}" IS {_q(t.comment)}')
    for c in t.columns:
        if c.comment:
            _x(f'COMMENT ON COLUMN fact."{t.name}".{c.name} IS {_q(c.comment)}')
    _x(f'COMMENT ON VIEW fact."{name}" IS {_q(ds.judul + " — angka yang berlaku")}')
    _x(f'COMMENT ON VIEW mart."{name}" IS {_q(ds.judul + " — dengan nama wilayah dan periode")}')


def refresh_observasi(conn: sa.Connection) -> None:
    """`fact.observasi`: the current figures of every dataset in one long table, for indicators."""
    from walidata.migrations import FACT_FIXED, columns_of

    insp = sa.inspect(conn)
    parts = []
    for ds_id, table in conn.execute(sa.select(dataset_table.c.id, dataset_table.c.tabel_fakta)
                                     .order_by(dataset_table.c.id)).all():
        name = table.split(".", 1)[1] + "__riwayat"
        if not insp.has_table(name, schema="fact"):
            continue
        dims = [c for c in columns_of(conn, "fact", name) if c not in FACT_FIXED]
        rincian = " || ';' || ".join(f"'{d}=' || {d}" for d in dims) if dims else "''"
        parts.append(f"SELECT {_q(ds_id)} AS dataset, variabel, kode_wilayah, periode, {rincian} AS rincian, "
                     f"nilai, satuan, status, load_id, berlaku_mulai FROM fact.\"{name}\" "
                     f"WHERE berlaku_sampai IS NULL")
    conn.exec_driver_sql("DROP VIEW IF EXISTS fact.observasi")
    if parts:
        conn.exec_driver_sql("CREATE VIEW fact.observasi AS " + "\nUNION ALL ".join(parts))
        conn.exec_driver_sql("COMMENT ON VIEW fact.observasi IS 'Semua angka yang berlaku dari semua dataset, "
                             "satu baris per angka (rincian: dimensi=nilai;...)'")


def refresh_reference(conn: sa.Connection, reference_dir: Path, ds: Dataset) -> None:
    """ref.wilayah from the reference files (rewritten only when they changed) and this dataset's ref.dataset row."""
    import pyarrow as pa

    everything = all_wilayah(Path(reference_dir))
    edisi = f"{EDISI} (referensi {reference_fingerprint(Path(reference_dir))})"
    have = conn.execute(sa.text("SELECT COUNT(*), MIN(edisi), MAX(edisi) FROM ref.wilayah")).one()
    if tuple(have) != (len(everything), edisi, edisi):
        rows = sorted(everything.values())  # by Kemendagri code (the first field)
        columns = {f: list(v) for f, v in zip(Wilayah._fields, zip(*rows, strict=True), strict=True)}
        columns["edisi"] = [edisi] * len(rows)
        types = {"luas_km2": pa.float64(), "penduduk_laki": pa.int64(), "penduduk_perempuan": pa.int64(),
                 "penduduk_total": pa.int64()}
        conn.execute(wilayah.delete())
        bulk_insert(conn, wilayah, pa.table({f: pa.array(v, types.get(f, pa.string())) for f, v in columns.items()}))
    m = ds.metadata
    conn.execute(opd_table.delete().where(opd_table.c.kode == ds.opd))
    conn.execute(opd_table.insert(), [{"kode": ds.opd, "nama": m.produsen_data}])
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


def _stage(conn: sa.Connection, data, name: str) -> None:
    """Make `data` (Arrow) queryable as `name` inside the transaction: a registered view (DuckDB) or a
    temporary table filled by COPY (PostgreSQL)."""
    if conn.dialect.name == "duckdb":
        conn.connection.driver_connection.register(name, data)
        return
    types = {"double": "DOUBLE PRECISION", "int64": "BIGINT", "int32": "INTEGER"}
    cols = ", ".join(f'"{f.name}" {types.get(str(f.type), "TEXT")}' for f in data.schema)
    conn.exec_driver_sql(f"CREATE TEMP TABLE {name} ({cols}) ON COMMIT DROP")
    _copy(conn, name, data)


def _unstage(conn: sa.Connection, name: str) -> None:
    if conn.dialect.name == "duckdb":
        with suppress(Exception):  # in an aborted transaction this fails too; the view dies with the connection
            conn.connection.driver_connection.unregister(name)


def _copy(conn: sa.Connection, target: str, data) -> None:
    """PostgreSQL COPY of an Arrow table, as CSV written by Arrow (C++), not row by row."""
    import io

    import pyarrow.csv as pacsv

    buf = io.BytesIO()
    pacsv.write_csv(data, buf, write_options=pacsv.WriteOptions(include_header=False))
    cols = ", ".join(f'"{c}"' for c in data.column_names)
    raw = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f"COPY {target} ({cols}) FROM STDIN WITH (FORMAT csv)") as copy:
        copy.write(buf.getvalue())


def bulk_insert(conn: sa.Connection, table: sa.Table, data) -> int:
    """Insert an Arrow table in bulk inside the connection's transaction."""
    target = f'{table.schema}."{table.name}"'
    if conn.dialect.name == "duckdb":
        cols = ", ".join(f'"{c}"' for c in data.column_names)
        view = f"_walidata_{uuid.uuid4().hex}"
        _stage(conn, data, view)
        try:
            conn.exec_driver_sql(f"INSERT INTO {target} ({cols}) SELECT {cols} FROM {view}")
        finally:
            _unstage(conn, view)
    else:
        _copy(conn, target, data)
    return data.num_rows


def replace_partitions(conn: sa.Connection, ds: Dataset, data, when: dt.datetime) -> int:
    """Publish the periods the load covers, keeping history: a figure that changed or vanished is closed
    (`berlaku_sampai = when`), a new or changed one is added; an unchanged figure stays as it was, so the
    same file loaded twice changes nothing. Returns the number of rows added or closed."""
    import pyarrow as pa
    import pyarrow.compute as pc

    t = fact_table(ds)
    target = f'fact."{t.name}"'
    periods = set(pc.unique(data.column("periode")).to_pylist())
    # (A query with thousands of bound periods costs more than listing the few published ones.)
    published = set(conn.execute(sa.select(t.c.periode).where(t.c.berlaku_sampai.is_(None)).distinct()).scalars())
    if not periods & published:
        # Nothing published yet for these periods: a plain bulk insert (keys are unique: validation checked).
        # PostgreSQL gets the time as text: Arrow writes timestamps into CSV far slower than strings.
        stamp = pa.repeat(pa.scalar(when, pa.timestamp("us", tz="UTC")) if conn.dialect.name == "duckdb"
                          else pa.scalar(when.isoformat()), data.num_rows)
        bulk_insert(conn, t, data.append_column("berlaku_mulai", stamp))
        return data.num_rows
    stage = f"_walidata_{uuid.uuid4().hex}"
    keys = ["variabel", "kode_wilayah", "periode", *ds.breakdowns]
    same_key = " AND ".join(f"s.{k} = r.{k}" for k in keys)
    same_value = " AND ".join(f"s.{c} IS NOT DISTINCT FROM r.{c}" for c in ("nilai", "status", "satuan"))
    cols = ", ".join(data.column_names)
    _stage(conn, data, stage)
    try:
        conn.execute(sa.text(
            f"UPDATE {target} AS r SET berlaku_sampai = :when WHERE r.berlaku_sampai IS NULL "
            f"AND r.periode IN (SELECT DISTINCT periode FROM {stage}) "
            f"AND NOT EXISTS (SELECT 1 FROM {stage} s WHERE {same_key} AND {same_value})"), {"when": when})
        conn.execute(sa.text(
            f"INSERT INTO {target} ({cols}, berlaku_mulai) SELECT {', '.join('s.' + c for c in data.column_names)}, "
            f":when FROM {stage} s WHERE NOT EXISTS (SELECT 1 FROM {target} r WHERE r.berlaku_sampai IS NULL "
            f"AND {same_key})"), {"when": when})
        # One current figure per key: checked inside the transaction (DuckDB has no partial unique index).
        dup = conn.execute(sa.text(
            f"SELECT {', '.join(keys)}, COUNT(*) FROM {target} WHERE berlaku_sampai IS NULL AND periode IN "
            f"(SELECT DISTINCT periode FROM {stage}) GROUP BY {', '.join(keys)} HAVING COUNT(*) > 1 LIMIT 1")).first()
        if dup is not None:
            raise ValueError(f"{ds.id}: duplicate key {tuple(dup[:-1])} in the load; nothing published")
    finally:
        _unstage(conn, stage)
    return conn.execute(sa.text(f"SELECT COUNT(*) FROM {target} WHERE berlaku_mulai = :when OR "
                                f"berlaku_sampai = :when"), {"when": when}).scalar()


def published_on(conn: sa.Connection, ds: Dataset, when: dt.datetime):
    """What the warehouse published for a dataset as of `when` (rows valid at that moment)."""
    t = fact_table(ds)
    return conn.execute(sa.select(t).where(t.c.berlaku_mulai <= when, sa.or_(
        t.c.berlaku_sampai.is_(None), t.c.berlaku_sampai > when))).all()


def log_load(conn: sa.Connection, row: dict) -> None:
    """One audit row per (run, dataset); a retried task replaces its own row instead of adding one."""
    conn.execute(load_log.delete().where(load_log.c.run_id == row["run_id"], load_log.c.dataset == row["dataset"]))
    conn.execute(load_log.insert(), [row])


hasil_validasi = sa.Table(
    "hasil_validasi", metadata,
    sa.Column("run_id", sa.String, nullable=False),
    sa.Column("dataset", sa.String, nullable=False),
    sa.Column("pemeriksaan", sa.String, nullable=False),
    sa.Column("kolom", sa.String),
    sa.Column("tingkat", sa.String, nullable=False),
    sa.Column("sukses", sa.Boolean, nullable=False),
    sa.Column("jumlah_gagal", sa.Integer),
    sa.Column("contoh", sa.Text),
    sa.Column("diperiksa_pada", sa.DateTime(timezone=True), nullable=False),
    schema="audit",
)


def record_validation(url: str, run_id: str, dataset: str, results: list[dict]) -> None:
    """Every check's result for a run (a rerun of the same run replaces its rows)."""
    when = now()
    rows = [{"run_id": run_id, "dataset": dataset, "pemeriksaan": r["expectation"], "kolom": r["column"],
             "tingkat": r["severity"], "sukses": bool(r["success"]), "jumlah_gagal": r["unexpected_count"],
             "contoh": "\n".join(r["sample"][:5]) or None, "diperiksa_pada": when} for r in results]
    with transaction(url) as conn:
        ensure_schema(conn)
        conn.execute(hasil_validasi.delete().where(hasil_validasi.c.run_id == run_id,
                                                   hasil_validasi.c.dataset == dataset))
        if rows:
            conn.execute(hasil_validasi.insert(), rows)


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

