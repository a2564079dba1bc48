"""Open-data exports of the Smart City indicators: one folder per indicator under `settings.terbuka`.

    <terbuka>/<kode>/<kode>.csv          tidy table (layout of Open Data Jabar), UTF-8 (no BOM), with a header
    <terbuka>/<kode>/<kode>.json         the same records: a JSON array of objects, nothing else
    <terbuka>/<kode>/<kode>.parquet      the same records, typed (nilai float64, tahun/bulan int32)
    <terbuka>/<kode>/<kode>.ms_ind.json  the indicator's MS-Ind metadata (Peraturan BPS 5/2020 field names)
    <terbuka>/ms_ind.xlsx                one row per indicator, the MS-Ind columns in the BPS order

The records are the values in force (`mart.indikator_nilai`), one per region and period, in the columns of
`KOLOM`. Region codes are Kemendagri codes as text ("62", "62.06", "62.06.01"), the codes of the warehouse;
names come from `ref.wilayah` (the province is the kabupaten's `kode_induk`). `nama_kecamatan` and
`kode_kecamatan` are empty on kabupaten rows (and the kabupaten/kota columns on a province's own rows, see
walidata.serve.indikator.hitung), `bulan` on yearly rows. A value that could not be computed has
an empty `nilai` (null in JSON and Parquet, never 0) and its `status` and `keterangan` say why.

Spreadsheet safety: every CSV field and workbook cell goes through `safe_text.for_cell`, which only touches
text. Numbers (`nilai`, `tahun`, `bulan`) are kept as Python numbers up to the writer, so a negative value
such as -1.5 is written as the number `-1.5` (in CSV Python's shortest round-trip form), never escaped; a text
such as a `keterangan` starting with `=`, `+`, `-`, `@`, tab or CR gets a leading apostrophe. JSON and
Parquet keep the original text: they are read by programs, not opened by spreadsheet programs, and a reader
must get the exact value.

An indicator whose MS-Ind says it is not public (Dapat Diakses Umum = Tidak) keeps only its metadata file:
its values are not open data. Every file is written under a temporary name and renamed into place, so a
failed run never leaves half a file; the files of indicators no longer declared are removed.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa

from walidata.publish import warehouse
from walidata.publish.lake import writing
from walidata.safe_text import for_cell
from walidata.settings import Settings

log = logging.getLogger(__name__)

KOLOM = ["kode_provinsi", "nama_provinsi", "kode_kabupaten_kota", "nama_kabupaten_kota", "kode_kecamatan",
         "nama_kecamatan", "kode_indikator", "nama_indikator", "nilai", "satuan", "tahun", "bulan", "status",
         "keterangan", "sumber_penduduk"]
# MS-Ind (Peraturan BPS 5/2020): field name -> column of ref.indikator, in the BPS order.
MS_IND = {
    "Nama Indikator": "nama", "Konsep": "konsep", "Definisi": "definisi", "Interpretasi": "interpretasi",
    "Metode/Rumus Penghitungan": "rumus", "Ukuran": "ukuran", "Satuan": "satuan",
    "Klasifikasi Penyajian": "klasifikasi_penyajian", "Indikator Komposit": "komposit",
    "Publikasi Ketersediaan Indikator Pembangun": "publikasi_ketersediaan_indikator_pembangun",
    "Nama Indikator Pembangun": "indikator_pembangun",
    "Kegiatan Penghasil Variabel Pembangun": "kegiatan_penghasil_variabel_pembangun",
    "Kode Kegiatan": "kode_kegiatan", "Nama Variabel Pembangun": "variabel_pembangun",
    "Level Estimasi": "level_estimasi", "Dapat Diakses Umum": "dapat_diakses_umum",
}
BERKAS_DATA = (".csv", ".json", ".parquet")
BERKAS_META = ".ms_ind.json"
WORKBOOK = "ms_ind.xlsx"
KODE = re.compile(r"[a-z0-9_]+")  # an indicator code is a folder name: nothing that climbs out of terbuka
TINGKAT_KABKOTA = ("kabupaten", "kota")
TEMP_LAMA_DETIK = 3600

_VALUES_SQL = """
SELECT indikator, kode_wilayah, tingkat_wilayah, tahun, bulan, nilai, satuan, status, keterangan, sumber_penduduk
FROM mart.indikator_nilai
ORDER BY indikator, tahun, bulan NULLS FIRST, kode_wilayah
"""
_WILAYAH_SQL = ("SELECT kode_kemendagri, nama, tingkat, kode_induk FROM ref.wilayah "
                "WHERE tingkat IN ('provinsi', 'kabupaten', 'kota', 'kecamatan')")


# ----------------------------------------------------------------------------------------------- reading

def baca(settings: Settings) -> tuple[list[dict], dict[str, dict], dict[str, list[dict]]]:
    """ref.indikator rows (by kode), the regions that can appear ({kode: row}) and the values in force of each
    indicator, read in one connection."""
    with warehouse.engine_for(settings.warehouse_url) as engine, warehouse.connect(engine) as conn:
        indikator = [dict(r._mapping) for r in conn.execute(sa.text("SELECT * FROM ref.indikator ORDER BY kode"))]
        wilayah = {r.kode_kemendagri: dict(r._mapping) for r in conn.execute(sa.text(_WILAYAH_SQL))}
        values: dict[str, list[dict]] = {}
        for r in conn.execute(sa.text(_VALUES_SQL)):
            values.setdefault(r.indikator, []).append(dict(r._mapping))
    for ind in indikator:
        if not KODE.fullmatch(ind["kode"] or ""):
            raise ValueError(f"indicator code {ind['kode']!r} cannot be a folder name (a-z, 0-9 and _ only)")
    return indikator, wilayah, values


def _wilayah_kolom(kode: str, tingkat: str, wilayah: dict[str, dict]) -> dict:
    """The province, kabupaten/kota and kecamatan columns of one region (kecamatan empty for a kabupaten, both
    empty for the province's own value, computed from its kab/kota's components)."""
    if tingkat == "provinsi":
        prov = wilayah.get(kode)
        if prov is None:
            raise ValueError(f"region {kode} is not in ref.wilayah")
        return {"kode_provinsi": kode, "nama_provinsi": prov["nama"], "kode_kabupaten_kota": None,
                "nama_kabupaten_kota": None, "kode_kecamatan": None, "nama_kecamatan": None}
    if tingkat not in (*TINGKAT_KABKOTA, "kecamatan"):
        raise ValueError(f"region {kode} is a {tingkat}: the open-data layout holds provinces, kabupaten/kota and "
                         f"kecamatan")
    kec = wilayah.get(kode) if tingkat == "kecamatan" else None
    kab_kode = kec["kode_induk"] if kec else kode
    kab = wilayah.get(kab_kode)
    if kab is None or (tingkat == "kecamatan" and kec is None):
        raise ValueError(f"region {kode} is not in ref.wilayah")
    prov = wilayah.get(kab["kode_induk"]) or {}
    return {"kode_provinsi": kab["kode_induk"], "nama_provinsi": prov.get("nama"),
            "kode_kabupaten_kota": kab_kode, "nama_kabupaten_kota": kab["nama"],
            "kode_kecamatan": kec and kode, "nama_kecamatan": kec and kec["nama"]}


def _angka(v) -> float | None:
    """A value as a float, or None when missing (NULL, NaN or infinite: never written as 0 or 'nan')."""
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def records(ind: dict, values: list[dict], wilayah: dict[str, dict]) -> list[dict]:
    """The open-data records of one indicator (original text, numbers as numbers, None when empty)."""
    out = []
    for v in values:
        out.append({**_wilayah_kolom(v["kode_wilayah"], v["tingkat_wilayah"], wilayah),
                    "kode_indikator": ind["kode"], "nama_indikator": ind["nama"], "nilai": _angka(v["nilai"]),
                    "satuan": v["satuan"], "tahun": int(v["tahun"]),
                    "bulan": None if v["bulan"] is None else int(v["bulan"]), "status": v["status"],
                    "keterangan": v["keterangan"], "sumber_penduduk": v["sumber_penduduk"]})
    return out


def ms_ind(ind: dict) -> dict:
    """The MS-Ind metadata of one indicator: the BPS field names, in order, with ref.indikator's values."""
    return {field: ind.get(column) for field, column in MS_IND.items()}


def terbuka_untuk_umum(ind: dict) -> bool:
    return (ind.get("dapat_diakses_umum") or "").strip().lower() == "ya"


# ----------------------------------------------------------------------------------------------- writing

def atomic(path: Path, write: Callable[[Path], None]) -> Path:
    """`write(tmp)` to a temporary file beside `path`, then rename it over `path`: all of it or nothing."""
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
        os.close(fd)
        try:
            write(Path(tmp))
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return path


def csv_text(rows: list[dict]) -> str:
    """The CSV: header, then each record with every field through `for_cell` (text only; numbers stay numbers,
    written by `csv` as `str(float)`; None is an empty field)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(KOLOM)
    for r in rows:
        w.writerow([for_cell(r[k]) for k in KOLOM])
    return buf.getvalue()


def _write_text(text: str) -> Callable[[Path], None]:
    return lambda tmp: tmp.write_text(text, encoding="utf-8", newline="")


def _json_text(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=2, allow_nan=False) + "\n"


def arrow_table(rows: list[dict]):
    """The records as an Arrow table: text columns string, nilai float64, tahun and bulan int32."""
    import pyarrow as pa

    types = {"nilai": pa.float64(), "tahun": pa.int32(), "bulan": pa.int32()}
    schema = pa.schema([(k, types.get(k, pa.string())) for k in KOLOM])
    return pa.Table.from_pylist([{k: r[k] for k in KOLOM} for r in rows], schema=schema)


def _write_parquet(rows: list[dict]) -> Callable[[Path], None]:
    import pyarrow.parquet as pq

    table = arrow_table(rows)
    return lambda tmp: pq.write_table(table, tmp)


def workbook(indikator: list[dict]):
    """The MS-Ind workbook: one row per indicator, the BPS columns in order, every cell through `for_cell`."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "MS-Ind"
    ws.append(list(MS_IND))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for ind in indikator:
        ws.append([for_cell(v) for v in ms_ind(ind).values()])
    for col in ws.iter_cols(min_row=1, max_row=1):
        ws.column_dimensions[col[0].column_letter].width = 28
    ws.freeze_panes = "A2"
    return wb


def tulis_indikator(root: Path, ind: dict, rows: list[dict]) -> list[Path]:
    """One indicator's folder: the metadata, and the data files when the indicator is public."""
    kode = ind["kode"]
    folder = root / kode
    written = [atomic(folder / f"{kode}{BERKAS_META}", _write_text(_json_text(ms_ind(ind))))]
    if not terbuka_untuk_umum(ind):
        for suffix in BERKAS_DATA:
            (folder / f"{kode}{suffix}").unlink(missing_ok=True)
        log.info("indikator %s: tidak dapat diakses umum, hanya metadata yang ditulis", kode)
        return written
    written.append(atomic(folder / f"{kode}.csv", _write_text(csv_text(rows))))
    written.append(atomic(folder / f"{kode}.json", _write_text(_json_text(rows))))
    written.append(atomic(folder / f"{kode}.parquet", _write_parquet(rows)))
    return written


def hapus_basi(root: Path, declared: set[str]) -> list[Path]:
    """Remove the export files of indicators no longer declared (only files this module writes, and their
    folder once empty) and temporary files a killed run left behind."""
    removed = []
    if not root.is_dir():
        return removed
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and KODE.fullmatch(p.name)):
        ours = [folder / f"{folder.name}{s}" for s in (*BERKAS_DATA, BERKAS_META)]
        stale = _temp_lama(folder) + ([p for p in ours if p.exists()] if folder.name not in declared else [])
        for p in stale:
            p.unlink(missing_ok=True)
            removed.append(p)
        if folder.name not in declared and not any(folder.iterdir()):
            shutil.rmtree(folder)
    for p in _temp_lama(root):
        p.unlink(missing_ok=True)
    return removed


def _temp_lama(folder: Path) -> list[Path]:
    """Temporary files of runs that died: older than TEMP_LAMA_DETIK (a running export's are left alone)."""
    cutoff = time.time() - TEMP_LAMA_DETIK
    return [p for p in folder.glob(".tmp-*") if p.is_file() and p.stat().st_mtime < cutoff]


def tulis(settings: Settings) -> list[Path]:
    """Write the open-data exports of every declared indicator and the MS-Ind workbook; return the files
    written. Files of indicators no longer declared are removed."""
    root = Path(settings.terbuka)
    indikator, wilayah, values = baca(settings)
    written: list[Path] = []
    for ind in indikator:
        rows = records(ind, values.get(ind["kode"], []), wilayah)
        written += tulis_indikator(root, ind, rows)
        log.info("indikator %s: %d baris diekspor ke %s", ind["kode"], len(rows), root / ind["kode"])
    written.append(atomic(root / WORKBOOK, lambda tmp: workbook(indikator).save(tmp)))
    removed = hapus_basi(root, {ind["kode"] for ind in indikator})
    if removed:
        log.info("ekspor terbuka: %d berkas lama dihapus", len(removed))
    return written
