"""Publish: the SQL warehouse (DuckDB or PostgreSQL through SQLAlchemy) and the lake's clean zone.

A publish replaces the periods it covers in one transaction: a failure leaves the warehouse as it was.
Rows go in bulk (Arrow into DuckDB, COPY into PostgreSQL), never row by row through the ORM.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import NamedTuple

import sqlalchemy as sa

from walidata.catalog import HISTORY_SUFFIX, MAX_IDENTIFIER_BYTES, Dataset
from walidata.standardise.reference import EDISI, Wilayah, all_wilayah, reference_fingerprint

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
    sa.Column("status", sa.String, nullable=False,
              comment="dimuat, gagal_baca, gagal_validasi, gagal_muat (terbit gagal), gagal_tulis (penyimpanan)"),
    sa.Column("hasil_validasi", sa.String, comment="lulus, lulus dengan peringatan, gagal"),
    sa.Column("sumber_file", sa.String),
    sa.Column("sumber_sha256", sa.String),
    sa.Column("baris_dibaca", sa.Integer),
    sa.Column("baris_dimuat", sa.Integer),
    sa.Column("baris_ditolak", sa.Integer),
    sa.Column("baris_berubah", sa.Integer, comment="Baris yang baru atau menggantikan angka sebelumnya"),
    sa.Column("baris_disisihkan", sa.Integer, comment="Baris milik wilayah lain: tidak dimuat, hanya dihitung"),
    sa.Column("baris_dipertahankan", sa.Integer,
              comment="Angka yang sudah terbit, tidak ada dalam muatan sebagian, dan tetap berlaku"),
    sa.Column("wilayah", sa.String, comment="Kabupaten/kota (unit terbit) yang dimuat"),
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
        f"{ds.fact_table}{HISTORY_SUFFIX}", md,
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


IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


def ident(name: str) -> str:
    """A catalog-derived SQL identifier, checked and double-quoted (never pasted raw into SQL)."""
    if not IDENTIFIER.fullmatch(name or "") or len(name.encode()) > MAX_IDENTIFIER_BYTES:
        raise ValueError(f"{name!r} is not a safe SQL identifier (lower-case letters, digits and _, "
                         f"at most {MAX_IDENTIFIER_BYTES} bytes)")
    return f'"{name}"'


def ensure_schema(conn: sa.Connection, ds: Dataset | None = None) -> None:
    """Migrate to the latest schema; for a dataset, its history table, its views and the comments."""
    from walidata.publish.migrations import migrate

    migrate(conn)
    if ds is None:
        return
    t = fact_table(ds)
    t.create(conn, checkfirst=True)
    name, history = ident(ds.fact_table), ident(t.name)
    cols = [ident(c.name) for c in t.columns if c.name != "berlaku_sampai"]
    _x = conn.exec_driver_sql
    _x(f"DROP VIEW IF EXISTS fact.{name}")
    _x(f"CREATE VIEW fact.{name} AS SELECT {', '.join(cols)} FROM fact.{history} WHERE berlaku_sampai IS NULL")
    rincian = "".join(f", f.{ident(b)}" for b in ds.breakdowns)
    _x(f"DROP VIEW IF EXISTS mart.{name}")
    _x(f"""CREATE VIEW mart.{name} AS
        SELECT f.variabel, f.kode_wilayah, w.nama AS nama_wilayah, w.tingkat AS tingkat_wilayah,
               w.kode_bps, k.nama AS nama_induk, f.periode, p.jenis AS jenis_periode, p.tahun{rincian},
               f.nilai, f.satuan, f.status, f.berlaku_mulai AS terbit_pada, f.load_id
        FROM fact.{history} f
        LEFT JOIN ref.wilayah w ON w.kode_kemendagri = f.kode_wilayah
        LEFT JOIN ref.wilayah k ON k.kode_kemendagri = w.kode_induk
        LEFT JOIN ref.periode p ON p.periode = f.periode
        WHERE f.berlaku_sampai IS NULL""")
    _x(f"COMMENT ON TABLE fact.{history} IS {_q(t.comment)}")
    for c in t.columns:
        if c.comment:
            _x(f"COMMENT ON COLUMN fact.{history}.{ident(c.name)} IS {_q(c.comment)}")
    _x(f"COMMENT ON VIEW fact.{name} IS {_q(ds.judul + ' — angka yang berlaku')}")
    _x(f"COMMENT ON VIEW mart.{name} IS {_q(ds.judul + ' — dengan nama wilayah dan periode')}")


def refresh_observasi(conn: sa.Connection) -> None:
    """`fact.observasi`: the current figures of every dataset in one long table, for indicators."""
    from walidata.publish.migrations import FACT_FIXED, columns_of

    insp = sa.inspect(conn)
    parts = []
    for ds_id, table in conn.execute(sa.select(dataset_table.c.id, dataset_table.c.tabel_fakta)
                                     .order_by(dataset_table.c.id)).all():
        name = table.split(".", 1)[1] + HISTORY_SUFFIX
        if not insp.has_table(name, schema="fact"):
            continue
        dims = [c for c in columns_of(conn, "fact", name) if c not in FACT_FIXED]
        rincian = " || ';' || ".join(f"{_q(d + '=')} || {ident(d)}" for d in dims) if dims else "''"
        parts.append(f"SELECT {_q(ds_id)} AS dataset, variabel, kode_wilayah, periode, {rincian} AS rincian, "
                     f"nilai, satuan, status, load_id, berlaku_mulai FROM fact.{ident(name)} "
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


UNIT_COLUMN = "wilayah"  # the kabupaten/kota (or province) a figure belongs to: the unit of publishing


def unit_sql(alias: str) -> str:
    """SQL for the kabupaten/kota part of a region code ('62.06.01' → '62.06'; a province code stays as is)."""
    return f"substr({alias}.kode_wilayah, 1, 5)"


def publish_units(data):
    """The (periode, wilayah) pairs a load covers, as an Arrow table: the units it replaces, and nothing else."""
    import pyarrow as pa
    import pyarrow.compute as pc

    order = [("periode", "ascending"), (UNIT_COLUMN, "ascending")]
    regions = pc.unique(pc.utf8_slice_codeunits(pc.unique(data.column("kode_wilayah")), 0, 5))
    if len(regions) == 1:  # the usual load, one kabupaten/kota: its periods are the units (no pairing needed)
        periods = pc.unique(data.column("periode"))
        return pa.table({"periode": periods, UNIT_COLUMN: pa.repeat(regions[0], len(periods))}).sort_by(order)
    unit = pc.utf8_slice_codeunits(data.column("kode_wilayah"), 0, 5)
    pairs = pa.table({"periode": data.column("periode"), UNIT_COLUMN: unit})
    return pairs.group_by(["periode", UNIT_COLUMN]).aggregate([]).sort_by(order)


class Replaced(NamedTuple):
    changed: int  # rows added or closed
    kept: int  # current figures of the covered units that the load does not carry, left in force
    units: object  # Arrow table (periode, wilayah) the load covered


def replace_partitions(conn: sa.Connection, ds: Dataset, data, when: dt.datetime,
                       close_absent: bool = True, units=None) -> Replaced:
    """Publish the (kabupaten/kota, periode) units the load covers, keeping history.

    A figure that changed is closed (`berlaku_sampai = when`) and its new value added; an unchanged figure
    stays as it was, so the same file loaded twice changes nothing. A figure the load no longer carries is
    closed only when `close_absent` (a complete load): after a partial load, where rows were quarantined,
    it stays in force. Figures of other regions, and of periods the load does not cover, are never touched.
    `units` are the load's `publish_units`, when the caller has them already."""
    t = fact_table(ds)
    target = f"fact.{ident(t.name)}"
    units = publish_units(data) if units is None else units
    stage, ustage = f"_walidata_{uuid.uuid4().hex}", f"_walidata_{uuid.uuid4().hex}"
    keys = [ident(k) for k in ["variabel", "kode_wilayah", "periode", *ds.breakdowns]]
    same_key = " AND ".join(f"s.{k} = r.{k}" for k in keys)
    same_value = " AND ".join(f"s.{c} IS NOT DISTINCT FROM r.{c}" for c in ("nilai", "status", "satuan"))
    in_units = (f"EXISTS (SELECT 1 FROM {ustage} u WHERE u.periode = r.periode "
                f"AND u.{UNIT_COLUMN} = {unit_sql('r')})")
    cols = ", ".join(ident(c) for c in data.column_names)
    s_cols = ", ".join("s." + ident(c) for c in data.column_names)
    _stage(conn, units, ustage)
    try:
        # (.all(), not .first(): DuckDB keeps a half-read result open, and registering the stage would fail.)
        if not conn.execute(sa.text(f"SELECT 1 FROM {target} r WHERE r.berlaku_sampai IS NULL AND {in_units} "
                                    f"LIMIT 1")).all():
            return Replaced(_insert_new(conn, t, data, when), 0, units)
        _stage(conn, data, stage)
        kept = 0 if close_absent else conn.execute(sa.text(
            f"SELECT COUNT(*) FROM {target} r WHERE r.berlaku_sampai IS NULL AND {in_units} "
            f"AND NOT EXISTS (SELECT 1 FROM {stage} s WHERE {same_key})")).scalar()
        replaced = (f"NOT EXISTS (SELECT 1 FROM {stage} s WHERE {same_key} AND {same_value})" if close_absent
                    else f"EXISTS (SELECT 1 FROM {stage} s WHERE {same_key} AND NOT ({same_value}))")
        conn.execute(sa.text(f"UPDATE {target} AS r SET berlaku_sampai = :when WHERE r.berlaku_sampai IS NULL "
                             f"AND {in_units} AND {replaced}"), {"when": when})
        conn.execute(sa.text(
            f"INSERT INTO {target} ({cols}, berlaku_mulai) SELECT {s_cols}, "
            f":when FROM {stage} s WHERE NOT EXISTS (SELECT 1 FROM {target} r WHERE r.berlaku_sampai IS NULL "
            f"AND {same_key})"), {"when": when})
        # One current figure per key: checked inside the transaction (DuckDB has no partial unique index).
        dup = conn.execute(sa.text(
            f"SELECT {', '.join(keys)}, COUNT(*) FROM {target} r WHERE r.berlaku_sampai IS NULL AND {in_units} "
            f"GROUP BY {', '.join(keys)} HAVING COUNT(*) > 1 LIMIT 1")).all()
        if dup:
            dup = dup[0]
            raise ValueError(f"{ds.id}: duplicate key {tuple(dup[:-1])} in the load; nothing published")
    finally:
        _unstage(conn, stage)
        _unstage(conn, ustage)
    changed = conn.execute(sa.text(f"SELECT COUNT(*) FROM {target} WHERE berlaku_mulai = :when OR "
                                   f"berlaku_sampai = :when"), {"when": when}).scalar()
    return Replaced(changed, kept, units)


def _insert_new(conn: sa.Connection, t: sa.Table, data, when: dt.datetime) -> int:
    """Nothing in force yet for these units: a plain bulk insert (keys are unique: validation checked).
    PostgreSQL gets the time as text: Arrow writes timestamps into CSV far slower than strings."""
    import pyarrow as pa

    stamp = pa.repeat(pa.scalar(when, pa.timestamp("us", tz="UTC")) if conn.dialect.name == "duckdb"
                      else pa.scalar(when.isoformat()), data.num_rows)
    return bulk_insert(conn, t, data.append_column("berlaku_mulai", stamp))


LAKE_COLUMNS = ["variabel", "kode_wilayah", "nilai", *FACT_COLUMNS_EXTRA]


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
    cols = ["periode", *LAKE_COLUMNS[:2], *ds.breakdowns, *LAKE_COLUMNS[2:]]
    ustage = f"_walidata_{uuid.uuid4().hex}"
    select = (f"SELECT {', '.join('r.' + ident(c) for c in cols)}, {unit_sql('r')} AS {UNIT_COLUMN} "
              f"FROM fact.{ident(t.name)} r JOIN {ustage} u ON u.periode = r.periode "
              f"AND u.{UNIT_COLUMN} = {unit_sql('r')} WHERE r.berlaku_sampai IS NULL "
              f"ORDER BY {', '.join('r.' + ident(c) for c in ['variabel', 'kode_wilayah', 'periode', *ds.breakdowns])}")
    _stage(conn, units, ustage)
    try:
        return _query_arrow(conn, select, t, [*cols, UNIT_COLUMN])
    finally:
        _unstage(conn, ustage)


def _query_arrow(conn: sa.Connection, select: str, t: sa.Table, cols: list[str]):
    """Run a SELECT inside the transaction and return Arrow (DuckDB natively; PostgreSQL by COPY TO, as CSV)."""
    import io
    import warnings

    import pyarrow as pa
    import pyarrow.csv as pacsv

    types = {c.name: (pa.float64() if c.name == "nilai" else pa.int32() if c.name == "sumber_baris" else pa.string())
             for c in t.columns}
    schema = pa.schema([(c, types.get(c, pa.string())) for c in cols])
    if conn.dialect.name == "duckdb":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return conn.connection.driver_connection.execute(select).to_arrow_table().cast(schema)
    buf = io.BytesIO()
    with conn.connection.driver_connection.cursor() as cur, cur.copy(
            f"COPY ({select}) TO STDOUT WITH (FORMAT csv)") as copy:
        for chunk in copy:
            buf.write(chunk)
    buf.seek(0)
    return pacsv.read_csv(buf, read_options=pacsv.ReadOptions(column_names=cols),
                          convert_options=pacsv.ConvertOptions(column_types=schema, strings_can_be_null=True,
                                                               quoted_strings_can_be_null=False))


def published_on(conn: sa.Connection, ds: Dataset, when: dt.datetime):
    """What the warehouse published for a dataset as of `when` (rows valid at that moment)."""
    t = fact_table(ds)
    return conn.execute(sa.select(t).where(t.c.berlaku_mulai <= when, sa.or_(
        t.c.berlaku_sampai.is_(None), t.c.berlaku_sampai > when))).all()


def log_load(conn: sa.Connection, row: dict) -> None:
    """One audit row per (run, dataset, status): a retried task replaces its own row of the same outcome, and
    the rows of its failed attempts stay as evidence."""
    conn.execute(load_log.delete().where(load_log.c.run_id == row["run_id"], load_log.c.dataset == row["dataset"],
                                         load_log.c.status == row["status"]))
    conn.execute(load_log.insert(), [row])


def lock_dataset(conn: sa.Connection, dataset: str) -> None:
    """Serialise publishes of one dataset: a PostgreSQL advisory lock held until the transaction ends.
    (DuckDB needs none: one process at a time holds the warehouse file.)"""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"walidata.publish.{dataset}"})


def published_since(conn: sa.Connection, dataset: str, regions: list[str], since: dt.datetime | None,
                    run_id: str, load_id: str) -> dict | None:
    """Another run's successful load of the dataset for one of `regions`, finished after `since`: a run that
    read its files before that load must not publish over it. (A load of the very same files and catalog entry,
    the same load id, is no newer: publishing it again changes nothing.)"""
    if since is None:
        return None
    rows = conn.execute(sa.select(load_log.c.run_id, load_log.c.wilayah, load_log.c.selesai).where(
        load_log.c.dataset == dataset, load_log.c.status == "dimuat", load_log.c.run_id != run_id,
        load_log.c.load_id != load_id, load_log.c.selesai > since).order_by(load_log.c.selesai)).all()
    for r in rows:
        theirs = {w.strip() for w in (r.wilayah or "").split(",") if w.strip()}
        if not theirs or theirs & set(regions):  # a row from before regions were logged: assume it overlaps
            return dict(r._mapping)
    return None


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


def record_outcome(url: str, row: dict, wait: float = LOCK_WAIT_SECONDS) -> None:
    """An audit row in its own transaction (used when a run stops before publishing, or publishing failed)."""
    with transaction(url, wait) as conn:
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


def sha256_in_force(url: str, ds: Dataset) -> set[str]:
    """sha256 of the source files behind the dataset's figures in force (kept by the raw zone's retention)."""
    with engine_for(url) as engine, connect(engine) as conn:
        if not sa.inspect(conn).has_table(f"{ds.fact_table}{HISTORY_SUFFIX}", schema="fact"):
            return set()
        rows = conn.execute(sa.text(
            f"SELECT DISTINCT l.sumber_sha256 FROM audit.load_log l WHERE l.dataset = :d AND l.status = 'dimuat' "
            f"AND l.load_id IN (SELECT DISTINCT load_id FROM fact.{ident(ds.fact_table)})"), {"d": ds.id}).scalars()
        return {s.strip() for r in rows if r for s in r.split(",")}


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)

