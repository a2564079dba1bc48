"""The warehouse's schema: the per-dataset history table and its views, `fact.observasi`, the reference rows.

The fixed tables (ref.wilayah, ref.dataset, ref.opd, ref.periode, audit.load_log, audit.hasil_validasi) are
written once, by the migrations (`publish/migrations/*.sql`, with their column comments); code here and in
`audit` names only the columns it writes or reads (`table_of`), and reads the rest from the live warehouse.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from walidata.catalog import HISTORY_SUFFIX, Dataset
from walidata.publish import bulk, sqlfiles
from walidata.publish.warehouse import ident, literal
from walidata.standardise.reference import EDISI, Wilayah, all_wilayah, reference_fingerprint

FACT_COLUMNS_EXTRA = ["satuan", "status", "load_id", "sumber_file", "sumber_sheet", "sumber_baris"]


def table_of(schema: str, name: str, columns) -> sa.TableClause:
    """A lightweight handle on a migrated table, naming only the columns a statement touches."""
    return sa.table(name, *(sa.column(c) for c in columns), schema=schema)


def fact_table(ds: Dataset, md: sa.MetaData | None = None) -> sa.Table:
    """`fact.<opd>__<name>__riwayat`: every version of every figure, with when it was valid.

    Made from the catalog entry (one per dataset, so not a migration). Analysts read the view
    `fact.<opd>__<name>` (current rows) or `mart.<opd>__<name>` (with names)."""
    md = md if md is not None else sa.MetaData()
    m = ds.metadata
    return sa.Table(
        f"{ds.fact_table}{HISTORY_SUFFIX}", md,
        sa.Column("variabel", sa.String, nullable=False, comment=f"Variabel: {', '.join(ds.variabel_list)}"),
        sa.Column("kode_wilayah", sa.String, nullable=False, comment="Kode Kemendagri, lihat ref.wilayah"),
        sa.Column("periode", sa.String, nullable=False,
                  comment="Tahun (YYYY) atau YYYY-Sn / YYYY-Qn / YYYY-MM, lihat ref.periode"),
        *(sa.Column(b, sa.String, comment=f"Rincian: {b} ({', '.join(ds.rincian[b])})") for b in ds.kolom_rincian),
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


def ensure_schema(conn: sa.Connection, ds: Dataset | None = None) -> None:
    """Migrate to the latest schema; for a dataset, its history table, its views and the comments."""
    from walidata.publish.migrations import migrate

    migrate(conn)
    if ds is None:
        return
    t = fact_table(ds)
    t.create(conn, checkfirst=True)
    view, history = ident(ds.fact_table), ident(t.name)
    columns = ", ".join(ident(c.name) for c in t.columns if c.name != "berlaku_sampai")
    sqlfiles.run(conn, sqlfiles.render("sql/fact_current.sql", view=view, history=history, columns=columns))
    rincian = "".join(f", f.{ident(b)}" for b in ds.kolom_rincian)
    sqlfiles.run(conn, sqlfiles.render("sql/mart_named.sql", view=view, history=history, rincian_columns=rincian))
    _x = conn.exec_driver_sql
    _x(f"COMMENT ON TABLE fact.{history} IS {literal(t.comment)}")
    for c in t.columns:
        if c.comment:
            _x(f"COMMENT ON COLUMN fact.{history}.{ident(c.name)} IS {literal(c.comment)}")
    _x(f"COMMENT ON VIEW fact.{view} IS {literal(ds.judul + ' — angka yang berlaku')}")
    _x(f"COMMENT ON VIEW mart.{view} IS {literal(ds.judul + ' — dengan nama wilayah dan periode')}")


def _observasi_part(conn: sa.Connection, ds_id: str, history: str) -> str:
    from walidata.publish.migrations import FACT_FIXED, columns_of

    opd, _, name = ds_id.partition(".")
    ident(opd), ident(name)  # the id goes in as a literal: only one made of two checked names
    dims = [c for c in columns_of(conn, "fact", history) if c not in FACT_FIXED]
    rincian = " || ';' || ".join(f"{literal(d + '=')} || {ident(d)}" for d in dims) if dims else "''"
    return sqlfiles.render("sql/observasi_part.sql", dataset=literal(ds_id), rincian=rincian, history=ident(history))


def refresh_observasi(conn: sa.Connection) -> None:
    """`fact.observasi`: the current figures of every dataset in one long table, for indicators."""
    insp = sa.inspect(conn)
    dataset = table_of("ref", "dataset", ["id", "tabel_fakta"])
    parts = []
    for ds_id, table in conn.execute(sa.select(dataset.c.id, dataset.c.tabel_fakta).order_by(dataset.c.id)).all():
        name = table.split(".", 1)[1] + HISTORY_SUFFIX
        if insp.has_table(name, schema="fact"):
            parts.append(_observasi_part(conn, ds_id, name))
    conn.exec_driver_sql("DROP VIEW IF EXISTS fact.observasi")
    if parts:
        conn.exec_driver_sql("CREATE VIEW fact.observasi AS " + "\nUNION ALL\n".join(parts))
        conn.exec_driver_sql("COMMENT ON VIEW fact.observasi IS 'Semua angka yang berlaku dari semua dataset, "
                             "satu baris per angka (rincian: dimensi=nilai;...)'")


def refresh_reference(conn: sa.Connection, reference_dir: Path, ds: Dataset) -> None:
    """ref.wilayah from the reference files (rewritten only when they changed) and this dataset's ref.dataset row."""
    _refresh_wilayah(conn, Path(reference_dir))
    m = ds.metadata
    row = {
        "id": ds.id, "opd": ds.opd, "judul": ds.judul, "deskripsi": ds.deskripsi, "variabel": ds.variabel,
        "tingkat_wilayah": ds.tingkat_wilayah, "konsep": m.konsep, "definisi": m.definisi, "satuan": m.satuan,
        "ukuran": m.ukuran, "klasifikasi_penyajian": ", ".join(m.klasifikasi_penyajian),
        "jadwal_pemutakhiran": m.jadwal_pemutakhiran, "produsen_data": m.produsen_data,
        "klasifikasi_akses": m.klasifikasi_akses, "penanggung_jawab": m.penanggung_jawab,
        "referensi_waktu": m.referensi_waktu, "dimensi_smart_city": ", ".join(m.dimensi_smart_city),
        "tabel_fakta": f"fact.{ds.fact_table}", "metadata_json": ds.model_dump_json(),
    }
    _replace_row(conn, table_of("ref", "opd", ["kode", "nama"]), "kode", {"kode": ds.opd, "nama": m.produsen_data})
    _replace_row(conn, table_of("ref", "dataset", row), "id", row)


def _replace_row(conn: sa.Connection, t: sa.TableClause, key: str, row: dict) -> None:
    conn.execute(t.delete().where(t.c[key] == row[key]))
    conn.execute(t.insert(), [row])


def _refresh_wilayah(conn: sa.Connection, reference_dir: Path) -> None:
    import pyarrow as pa

    everything = all_wilayah(reference_dir)
    edisi = f"{EDISI} (referensi {reference_fingerprint(reference_dir)})"
    have = conn.execute(sa.text("SELECT COUNT(*), MIN(edisi), MAX(edisi) FROM ref.wilayah")).one()
    if tuple(have) == (len(everything), edisi, edisi):
        return
    rows = sorted(everything.values())  # by Kemendagri code (the first field)
    columns = {f: list(v) for f, v in zip(Wilayah._fields, zip(*rows, strict=True), strict=True)}
    columns["edisi"] = [edisi] * len(rows)
    types = bulk.arrow_types(conn, "ref", "wilayah")  # from the migrated table, not restated here
    conn.exec_driver_sql("DELETE FROM ref.wilayah")
    bulk.bulk_insert(conn, table_of("ref", "wilayah", columns),
                     pa.table({f: pa.array(v, types[f]) for f, v in columns.items()}))


def comments(conn: sa.Connection, schema: str, table: str) -> dict[str, str]:
    """The column comments of a table in the live warehouse (the data dictionary's descriptions)."""
    if conn.dialect.name == "duckdb":
        rows = conn.execute(sa.text(
            "SELECT column_name, comment FROM duckdb_columns() WHERE database_name = current_database() "
            "AND schema_name = :s AND table_name = :t"), {"s": schema, "t": table}).all()
    else:
        rows = conn.execute(sa.text(
            "SELECT a.attname, col_description(a.attrelid, a.attnum) FROM pg_attribute a "
            "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = :s AND c.relname = :t AND a.attnum > 0 AND NOT a.attisdropped"),
            {"s": schema, "t": table}).all()
    return {name: text for name, text in rows if text}
