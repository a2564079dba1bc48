"""The data dictionary (kamus data): a Markdown page from the catalog and the live warehouse schema."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa

from walidata.catalog import load_catalog
from walidata.safe_text import for_markdown as md
from walidata.settings import Settings

SCHEMA_NOTES = {
    "ref": "kode referensi: wilayah (Kemendagri dan BPS), OPD, dataset (metadata Satu Data), kalender periode",
    "fact": "angka: `<opd>__<dataset>` (yang berlaku), `<opd>__<dataset>__riwayat` (semua versi), `observasi`",
    "mart": "tampilan untuk analis: angka yang berlaku dengan nama wilayah dan periode; `indikator_nilai`: nilai "
            "indikator Smart City yang berlaku (`indikator_nilai__riwayat`: semua versi)",
    "audit": "jejak: setiap muatan (`load_log`), setiap pemeriksaan (`hasil_validasi`), versi skema",
}

REFERENCE_TABLES = [("ref", "wilayah"), ("ref", "opd"), ("ref", "dataset"), ("audit", "load_log"),
                    ("audit", "hasil_validasi"), ("ref", "periode")]


def _columns(conn: sa.Connection, schema: str, table: str) -> list[tuple[str, str]]:
    return [tuple(r) for r in conn.execute(sa.text(
        "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = :s AND "
        "table_name = :t ORDER BY ordinal_position"), {"s": schema, "t": table}).all()]


def _table_md(conn, schema: str, table: str, comments: dict[str, str]) -> list[str]:
    cols = _columns(conn, schema, table)
    if not cols:
        return [f"`{schema}.{table}`: belum ada di gudang data (dataset belum pernah dimuat).", ""]
    out = [f"`{schema}.{table}`", "", "| kolom | tipe | keterangan |", "| --- | --- | --- |"]
    # names and types come from the warehouse (checked identifiers); descriptions may quote the catalog
    out += [f"| {c} | {t.lower()} | {md(comments.get(c, ''))} |" for c, t in cols]
    return out + [""]


def build(settings: Settings) -> str:
    from types import SimpleNamespace

    from walidata.publish.migrations import current_version
    from walidata.publish.schema import comments, fact_table
    from walidata.publish.warehouse import connect, engine_for
    from walidata.standardise.reference import IndeksWilayah, kabkota

    datasets, _ = load_catalog(settings.catalog)
    wilayah = (IndeksWilayah(settings.reference, settings.kabkota_tunggal) if settings.kabkota_tunggal else
               SimpleNamespace(kode=settings.wilayah, kabupaten=SimpleNamespace(nama=", ".join(  # a province, a list
                   kabkota(settings.reference)[k].nama for k in settings.wilayah.split(",")))))
    with engine_for(settings.warehouse_url) as engine, connect(engine) as conn:
        version = current_version(conn)
        out = [f"# Kamus data Walidata — {md(wilayah.kabupaten.nama)} ({md(wilayah.kode)})", "",
               f"Dibuat {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC dari katalog dan skema gudang data "
               f"(versi skema {version}, {md(settings.redacted_url())}).", "", "## Skema", ""]
        out += [f"- `{s}`: {note}" for s, note in SCHEMA_NOTES.items()] + ["", "## Dataset", ""]
        for ds in datasets:  # every catalog text through md(): shown as written, never run as HTML/Markdown
            m = ds.metadata
            t = fact_table(ds)
            rincian = md("; ".join(k + ": " + ", ".join(v) for k, v in ds.rincian.items()) or "-")
            out += [f"### {md(ds.judul)} (`{ds.id}`)", "", md(ds.deskripsi), "",
                    "| metadata | |", "| --- | --- |",
                    f"| produsen data | {md(m.produsen_data)} |", f"| konsep | {md(m.konsep)} |",
                    f"| definisi | {md(m.definisi)} |", f"| ukuran / satuan | {md(m.ukuran)} / {md(m.satuan)} |",
                    f"| variabel | {md(', '.join(ds.variabel_list))} |",
                    f"| rincian | {rincian} |",
                    f"| tingkat wilayah | {ds.tingkat_wilayah} |",
                    f"| jadwal pemutakhiran | {m.jadwal_pemutakhiran} |",
                    f"| klasifikasi akses | {m.klasifikasi_akses} |",
                    f"| tabel | `fact.{ds.fact_table}` (berlaku), `fact.{t.name}` (riwayat), "
                    f"`mart.{ds.fact_table}` (dengan nama) |", ""]
            described = {c.name: c.comment for c in t.columns if c.comment}  # a table not yet re-published
            out += _table_md(conn, "fact", t.name, {**described, **comments(conn, "fact", t.name)})
        out += _indikator_md(conn)
        out += ["## Tabel referensi dan audit", ""]
        for schema, table in REFERENCE_TABLES:  # descriptions from the warehouse (migration 006)
            out += _table_md(conn, schema, table, comments(conn, schema, table))
    out += ["## Contoh kueri", "", "```sql",
            "-- angka yang berlaku, dengan nama wilayah",
            "SELECT nama_wilayah, periode, jenis_kelamin, nilai FROM mart.disdukcapil__penduduk_kecamatan;",
            "-- apa yang diterbitkan pada tanggal D",
            "SELECT * FROM fact.disdukcapil__penduduk_kecamatan__riwayat",
            " WHERE berlaku_mulai <= TIMESTAMP '2026-01-01' AND (berlaku_sampai IS NULL OR berlaku_sampai > "
            "TIMESTAMP '2026-01-01');",
            "-- nilai indikator Smart City yang berlaku, dengan alasan bila tidak tersedia",
            "SELECT indikator, nama_wilayah, periode, nilai, satuan, status, keterangan FROM mart.indikator_nilai;",
            "-- semua dataset dalam satu tabel panjang",
            "SELECT dataset, variabel, kode_wilayah, periode, rincian, nilai FROM fact.observasi;", "```", ""]
    return "\n".join(out)


INDIKATOR_TABLES = [("mart", "indikator_nilai__riwayat"), ("ref", "indikator"), ("audit", "indikator_hitung")]


def _indikator_md(conn: sa.Connection) -> list[str]:
    """The Smart City indicators: what each is, and the tables that hold them."""
    from walidata.publish.schema import comments

    out = ["## Indikator Smart City", "",
           "Dideklarasikan di `include/indikator/marts/<dimensi>/<kode>.yaml` (metadata MS-Ind) dan `.sql` "
           "(rumus). `mart.indikator_nilai` memuat nilai yang berlaku (kolom seperti `indikator_nilai__riwayat`, "
           "ditambah nama wilayah, jenis periode, tahun dan bulan); status `tersedia`, `tidak_tersedia` (masukan "
           "periode itu tidak lengkap), `input_belum_tersedia` (dataset masukan belum ada), `tidak_terdefinisi` "
           "(pembagi nol), dengan `keterangan`.", ""]
    if _columns(conn, "ref", "indikator"):
        rows = conn.execute(sa.text("SELECT kode, nama, dimensi, satuan, level_estimasi, periode, masukan "
                                    "FROM ref.indikator ORDER BY dimensi, kode")).all()
        out += ["| kode | nama | dimensi | satuan | tingkat | periode | masukan |", "| --- | --- | --- | --- | --- | "
                "--- | --- |"] + [f"| {' | '.join(md(v or '') for v in r)} |" for r in rows] + [""]
    for schema, table in INDIKATOR_TABLES:
        out += _table_md(conn, schema, table, comments(conn, schema, table))
    return out


def write(settings: Settings, path: Path | None = None) -> Path:
    path = Path(path) if path else settings.lake.parent / "kamus_data.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(build(settings), encoding="utf-8")
    return path
