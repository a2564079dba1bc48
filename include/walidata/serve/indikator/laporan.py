"""The static report "Laporan Indikator Smart City <kabupaten>": settings.laporan/index.html.

`tulis(settings)` reads ref.indikator (MS-Ind metadata), mart.indikator_nilai (the values in force) and
audit.load_log (the data quality of each input dataset) and writes one self-contained HTML file, rebuilt on
every run: inline CSS, charts as inline SVG (walidata.serve.indikator.grafik), no JavaScript, no font, image or
stylesheet from anywhere, so it opens from file:// with no server and no network. One section per Smart City
dimension; per indicator its charts, its metadata, its table of values and the validation result of its
inputs. With several kab/kota in scope (a province, or a list), each indicator also gets a comparison view of
every kab/kota side by side, ranked, with the province's value (computed from components) as a reference line
(walidata.serve.indikator.perbandingan); the region's own part is then the province (or the listed kab/kota).
A value that is not `tersedia` is never shown as a number: the table says why (keterangan). Every
text from the warehouse is HTML-escaped. Numbers are Indonesian (1.234,5; walidata.serve.indikator.angka).

Links to Data Docs. audit.load_log.data_docs is a file:// URL of the validation page. In the file the report
links to it by a path relative to the report folder (os.path.relpath), so the link works wherever the report is
opened on the machine that ran the pipeline (and survives moving the whole data folder together). Each such
link is written in one fixed form, `<a class="data-docs" data-dataset="<id>" href="<relative path>">`.
The Airflow plugin (plugins/walidata_data_docs.py) serves the same file at /walidata/laporan/ and passes it
through `tautan_untuk_plugin`, which rewrites only links of that form: a path that resolves inside the Data
Docs site becomes `../data-docs/<path in the site>` (the plugin's own Data Docs route, relative so it also
works when Airflow is served under a base path), anything else `../data-docs-terbaru/<dataset>` (the latest
validation page of the dataset). A Data Docs URL that is not file:// (http/https) is linked as it is.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

import sqlalchemy as sa

from walidata.publish import warehouse
from walidata.serve.indikator.angka import BULAN, angka, desimal, periode_teks
from walidata.settings import Settings
from walidata.waktu import zona as zona_waktu

log = logging.getLogger(__name__)

JUDUL = "Laporan Indikator Smart City"
DIMENSI = [  # (kode in ref.indikator.dimensi, Indonesian title, the Smart City name)
    ("governance", "Tata Kelola Pemerintahan", "Smart Governance"),
    ("branding", "Pencitraan Daerah", "Smart Branding"),
    ("economy", "Ekonomi", "Smart Economy"),
    ("living", "Kualitas Hidup", "Smart Living"),
    ("society", "Masyarakat", "Smart Society"),
    ("environment", "Lingkungan", "Smart Environment"),
]
STATUS = {"tersedia": "tersedia", "tidak_tersedia": "tidak tersedia", "input_belum_tersedia": "input belum tersedia",
          "tidak_terdefinisi": "tidak terdefinisi"}
VALIDASI_KELAS = {"lulus": "lulus", "lulus dengan peringatan": "peringatan", "gagal": "gagal"}
SUMBER_PENDUDUK = {"dukcapil": "Dukcapil (administrasi kependudukan)", "proyeksi_bps": "Proyeksi penduduk BPS"}
METADATA = [  # (column of ref.indikator, label), in the order MS-Ind lists them
    ("kode", "Kode"), ("konsep", "Konsep"), ("definisi", "Definisi"), ("rumus", "Rumus"), ("ukuran", "Ukuran"),
    ("satuan", "Satuan"), ("interpretasi", "Interpretasi"), ("elemen", "Elemen Smart City"),
    ("klasifikasi_penyajian", "Klasifikasi penyajian"), ("level_estimasi", "Level estimasi"),
    ("periode", "Periode"), ("sumber_penduduk", "Sumber penduduk"), ("variabel_pembangun", "Variabel pembangun"),
    ("kegiatan_penghasil_variabel_pembangun", "Kegiatan penghasil variabel pembangun"),
    ("kode_kegiatan", "Kode kegiatan"), ("komposit", "Indikator komposit"),
    ("indikator_pembangun", "Indikator pembangun"),
    ("publikasi_ketersediaan_indikator_pembangun", "Publikasi ketersediaan indikator pembangun"),
    ("dapat_diakses_umum", "Dapat diakses umum"), ("masukan", "Dataset masukan"),
]
_TAUTAN = re.compile(r'<a class="data-docs" data-dataset="([^"]*)" href="([^"]*)"')


def esc(x) -> str:
    """Any text from the warehouse, escaped for HTML text and attribute values; None → ''."""
    return "" if x is None else html.escape(str(x), quote=True)


# --- reading the warehouse -------------------------------------------------------------------------------


@dataclass
class Isi:
    """What the report shows: the region in scope, its indicators (ref.indikator rows), their values in force
    (mart.indikator_nilai rows by indicator) and the latest load of each dataset (audit.load_log rows). With
    several kab/kota in scope, also each indicator's yearly values of every kab/kota and the province (`banding`)
    for the comparison view."""

    wilayah: str
    kabupaten: str
    indikator: list[dict]
    nilai: dict[str, list[dict]] = field(default_factory=dict)
    muat: dict[str, dict] = field(default_factory=dict)
    mart: dict | None = None  # the latest check of the mart: run_id, gagal (critical), peringatan, data_docs
    utama: str | None = None  # the region whose trend is drawn (the kab/kota, or the province); None: wilayah
    kabkota: dict[str, str] = field(default_factory=dict)  # kab/kota compared (kode → nama), when more than one
    provinsi: dict[str, str] = field(default_factory=dict)  # provinces of the scope (kode → nama)
    banding: dict[str, list[dict]] = field(default_factory=dict)

    @property
    def kode_utama(self) -> str:
        return self.utama or self.wilayah


def _rows(conn: sa.Connection, sql: str, **params) -> list[dict]:
    return [dict(r) for r in conn.execute(sa.text(sql), params).mappings().all()]


NILAI_SQL = ("SELECT indikator, kode_wilayah, nama_wilayah, tingkat_wilayah, periode, jenis_periode, tahun, bulan, "
             "nilai, satuan, status, keterangan, dihitung_pada FROM mart.indikator_nilai ")


def _in(kodes: list[str]) -> str:
    """An IN list of region codes (checked digits and dots) for the report's queries."""
    if not all(re.fullmatch(r"[0-9.]+", k) for k in kodes):
        raise ValueError(f"kode wilayah tidak sah: {kodes}")
    return ", ".join(f"'{k}'" for k in kodes) or "''"


def _lingkup(settings: Settings) -> tuple[list[str], list[str]]:
    """The kab/kota and provinces of the scope (settings.wilayah: a kab/kota, a province or a list)."""
    kabkota = list(getattr(settings, "daftar_kabkota", ()) or ()) or [settings.wilayah]
    provinsi = list(getattr(settings, "daftar_provinsi", ()) or ()) or [settings.wilayah[:2]]
    return kabkota, provinsi


def _judul(conn: sa.Connection, settings: Settings, kabkota: list[str]) -> tuple[str | None, str]:
    """The region the report is about (its code, None for a list of kab/kota) and its name for the title."""
    nama = dict(conn.execute(sa.text(f"SELECT kode_kemendagri, nama FROM ref.wilayah WHERE kode_kemendagri IN "
                                     f"({_in([*kabkota, settings.wilayah[:2]])})")).all())
    if getattr(settings, "provinsi", None):
        return settings.provinsi, f"Provinsi {nama.get(settings.provinsi, settings.provinsi)}"
    if len(kabkota) == 1:
        return kabkota[0], nama.get(kabkota[0]) or f"Kabupaten/Kota {kabkota[0]}"
    names = [nama.get(k, k) for k in kabkota]
    return None, ", ".join(names[:3]) + (f" dan {len(names) - 3} kabupaten/kota lain" if len(names) > 3 else "")


def _nilai_sendiri(conn: sa.Connection, utama: str | None, kabkota: list[str], provinsi: list[str]) -> list[dict]:
    """The values of the region's own report: one kab/kota and its kecamatan (as for a single region), or the
    province and its kab/kota in scope, or the listed kab/kota."""
    if utama is not None and len(utama) == 5:
        return _rows(conn, NILAI_SQL + "WHERE kode_wilayah = :w OR kode_wilayah LIKE :k "
                                       "ORDER BY indikator, kode_wilayah, periode", w=utama, k=f"{utama}.%")
    kodes = [*kabkota, *(provinsi if utama else [])]
    return _rows(conn, NILAI_SQL + f"WHERE kode_wilayah IN ({_in(kodes)}) ORDER BY indikator, kode_wilayah, periode")


def baca(settings: Settings) -> Isi:
    """Everything the report shows, read in one connection (DuckDB or PostgreSQL)."""
    kabkota, provinsi = _lingkup(settings)
    with warehouse.engine_for(settings.warehouse_url) as engine, warehouse.connect(engine) as conn:
        utama, judul = _judul(conn, settings, kabkota)
        indikator = _rows(conn, "SELECT * FROM ref.indikator ORDER BY nama, kode")
        nilai = _nilai_sendiri(conn, utama, kabkota, provinsi)
        muat = _rows(conn, "SELECT dataset, status, hasil_validasi, data_docs, selesai FROM audit.load_log "
                           "WHERE selesai IS NOT NULL ORDER BY selesai")
        mart = _rows(conn, "SELECT run_id, SUM(CASE WHEN NOT sukses AND tingkat = 'critical' THEN 1 ELSE 0 END) AS "
                           "gagal, SUM(CASE WHEN NOT sukses AND tingkat = 'warning' THEN 1 ELSE 0 END) AS peringatan, "
                           "MAX(diperiksa_pada) AS pada FROM audit.hasil_validasi WHERE dataset = "
                           "'mart.indikator_nilai' GROUP BY run_id ORDER BY pada DESC LIMIT 1")
        isi = Isi(settings.wilayah, judul, indikator, utama=utama)
        if len(kabkota) > 1:
            _baca_banding(conn, isi, kabkota, provinsi)
    if mart:
        isi.mart = {**mart[0], "data_docs": _halaman_mart(settings.gx_root, mart[0]["run_id"])}
    for r in nilai:
        isi.nilai.setdefault(r["indikator"], []).append(r)
    for r in muat:  # ordered by selesai: the last row of a dataset is its latest load
        isi.muat[r["dataset"]] = r
    return isi


def _baca_banding(conn: sa.Connection, isi: Isi, kabkota: list[str], provinsi: list[str]) -> None:
    """Every kab/kota and province of the scope, yearly values: the comparison view's data."""
    nama = dict(conn.execute(sa.text(f"SELECT kode_kemendagri, nama FROM ref.wilayah WHERE kode_kemendagri IN "
                                     f"({_in([*kabkota, *provinsi])})")).all())
    isi.kabkota = {k: nama.get(k) or k for k in kabkota}
    isi.provinsi = {p: nama.get(p) or p for p in provinsi}
    for r in _rows(conn, NILAI_SQL + f"WHERE jenis_periode = 'tahun' AND kode_wilayah IN "
                                     f"({_in([*kabkota, *provinsi])}) ORDER BY indikator, kode_wilayah, periode"):
        isi.banding.setdefault(r["indikator"], []).append(r)


def _halaman_mart(gx_root: Path, run_id: str) -> str | None:
    """The Data Docs page of the mart's check in that run (walidata.serve.indikator.validasi builds it)."""
    from walidata.publish.lake import safe

    folder = Path(gx_root) / "uncommitted" / "data_docs" / "local_site" / "validations" / "mart" / "indikator_nilai"
    pages = sorted((folder / safe(run_id)).glob("*/*.html"))
    return pages[-1].as_uri() if pages else None


# --- links to Data Docs -----------------------------------------------------------------------------------


def tautan_data_docs(url: str | None, folder_laporan: Path) -> str | None:
    """The href for a Data Docs URL from the report folder: a relative path for file://, else the URL."""
    if not url:
        return None
    parts = urlparse(url)
    if parts.scheme == "file":
        target = Path(unquote(parts.path))
        return quote(Path(os.path.relpath(target, folder_laporan)).as_posix())
    if parts.scheme in ("http", "https"):
        return url
    return None


def tautan_untuk_plugin(teks: str, folder_laporan: Path, site: Path) -> str:
    """The report as the plugin serves it at <prefix>/laporan/: its Data Docs links point at the plugin."""
    site = site.resolve()

    def ganti(m: re.Match) -> str:
        dataset, href = html.unescape(m.group(1)), html.unescape(m.group(2))
        if urlparse(href).scheme in ("http", "https"):
            return m.group(0)
        target = (folder_laporan / unquote(href)).resolve()
        if site in target.parents and target.is_file():
            baru = "../data-docs/" + quote(target.relative_to(site).as_posix())
        else:
            baru = "../data-docs-terbaru/" + quote(dataset, safe="")
        return f'<a class="data-docs" data-dataset="{m.group(1)}" href="{esc(baru)}"'

    return _TAUTAN.sub(ganti, teks)


# --- writing ----------------------------------------------------------------------------------------------


def waktu_teks(t: dt.datetime | None, wilayah: str, pendek: bool = False) -> str:
    """'28 November 2026 pukul 21.58 WIB' (`pendek`: '28/11/2026 21.58 WIB') in the kabupaten's local time."""
    if t is None:
        return "–"
    nama, zona = zona_waktu(wilayah)
    t = (t if t.tzinfo else t.replace(tzinfo=dt.UTC)).astimezone(zona)
    if pendek:
        return f"{t:%d/%m/%Y %H.%M} {nama}"
    return f"{t.day} {BULAN[t.month - 1]} {t.year} pukul {t:%H.%M} {nama}"


def tulis(settings: Settings) -> Path:
    """Write settings.laporan/index.html from the warehouse (replacing the previous report); its path."""
    from walidata.serve.indikator import grafik

    folder = Path(settings.laporan)
    folder.mkdir(parents=True, exist_ok=True)
    isi = baca(settings)
    sebelum = len(grafik.waktu_render)
    teks = render(isi, folder, warehouse.now())
    target = folder / "index.html"
    sementara = folder / ".index.html.baru"
    sementara.write_text(teks, encoding="utf-8")
    os.replace(sementara, target)  # readers see the old report or the new one, never half of it
    waktu = grafik.waktu_render[sebelum:]
    log.info("laporan indikator: %s (%d indikator, %d grafik, %.2f s per grafik)", target, len(isi.indikator),
             len(waktu), sum(waktu) / len(waktu) if waktu else 0.0)
    return target


def render(isi: Isi, folder: Path, dibuat: dt.datetime) -> str:
    """The whole HTML document."""
    judul = f"{JUDUL} {isi.kabupaten}"
    badan = "\n".join(bagian(isi, kode, nama, smart, folder) for kode, nama, smart in DIMENSI)
    return (f'<!DOCTYPE html>\n<html lang="id">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{esc(judul)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            f"<header><h1>{esc(judul)}</h1>\n"
            f'<p class="sub">Dibuat {esc(waktu_teks(dibuat, isi.wilayah))} dari gudang data Walidata.</p>\n'
            f"{ringkasan(isi)}{_mutu_mart(isi, folder)}{daftar_isi()}</header>\n<main>\n{badan}\n</main>\n"
            f"<footer>Metadata indikator mengikuti MS-Ind (Peraturan BPS Nomor 5 Tahun 2020). "
            f"Angka memakai format Indonesia: titik pemisah ribuan, koma pemisah desimal.</footer>\n"
            f"</body>\n</html>\n")



# --- the HTML parts ---------------------------------------------------------------------------------------

CSS = """
body{font-family:"DejaVu Sans",Verdana,sans-serif;margin:0;color:#1d2327;background:#f6f7f8;line-height:1.45}
header,main,footer{max-width:1180px;margin:0 auto;padding:0 20px}
header{padding-top:18px}h1{font-size:1.6em;margin:.3em 0}.sub{color:#555;margin:0 0 .6em}
nav ol{display:flex;flex-wrap:wrap;gap:6px 22px;list-style:none;padding:0;margin:.4em 0 0}
section.dimensi{margin:28px 0}h2{border-bottom:3px solid #1f6f8b;padding-bottom:4px;font-size:1.3em}
h2 small{color:#666;font-weight:normal}
article.indikator{background:#fff;border:1px solid #dcdfe3;border-radius:6px;padding:14px 18px;margin:16px 0}
h3{margin:0 0 8px;font-size:1.12em}h3 .satuan{color:#666;font-weight:normal;font-size:.85em}
.kolom{display:flex;flex-wrap:wrap;gap:18px}.kiri{flex:1 1 460px;min-width:0}.kanan{flex:1 1 340px;min-width:0}
figure.grafik{margin:0 0 12px;overflow-x:auto}figure.grafik svg{max-width:100%;height:auto;display:block}
figcaption{font-size:.8em;color:#555}
table{border-collapse:collapse;font-size:.85em;margin:6px 0 12px;width:100%}
th,td{border:1px solid #dcdfe3;padding:3px 6px;text-align:left;vertical-align:top}th{background:#eef1f3}
caption{text-align:left;color:#555;padding:2px 0}table.mutu code{word-break:break-all}
table.mutu td:nth-child(3){white-space:nowrap}
td.angka{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
td.tt{color:#8a4b08;background:#fff8ec}td.tt small{display:block;color:#6b5a40}
dl.metadata{display:grid;grid-template-columns:minmax(7em,11em) 1fr;gap:3px 10px;font-size:.85em;margin:0}
dl.metadata dt{font-weight:bold;color:#444}dl.metadata dd{margin:0}
.belum{background:#fff8ec;border-left:4px solid #d08a1a;padding:8px 12px;margin:6px 0 12px}
.kosong{color:#666;font-style:italic}
.lencana{display:inline-block;padding:1px 7px;border-radius:9px;font-size:.8em;white-space:nowrap}
.lulus{background:#dff3e3;color:#1e6b34}.peringatan{background:#fff1cc;color:#7a5400}
.gagal{background:#fbe0e0;color:#9b1c1c}.tidak-ada{background:#eceff1;color:#555}
details{margin:4px 0 10px}summary{cursor:pointer;color:#1f6f8b}
footer{color:#666;font-size:.8em;padding:20px}
div.perbandingan{margin:4px 0 12px}figure.perbandingan{margin:0 0 6px;overflow-x:auto}
figure.perbandingan svg{display:block;max-width:none}
ul.catatan-perbandingan{font-size:.85em;color:#6b5a40;margin:4px 0 10px;
padding-left:1.2em}
"""


def ringkasan(isi: Isi) -> str:
    """How many indicators have values, and how many still wait for an input dataset."""
    punya = sum(1 for i in isi.indikator if any(r["status"] == "tersedia" for r in isi.nilai.get(i["kode"], [])))
    belum = sum(1 for i in isi.indikator if _menunggu_input(isi.nilai.get(i["kode"], [])))
    return (f'<p class="sub">{len(isi.indikator)} indikator: {punya} dengan nilai tersedia, '
            f"{belum} menunggu dataset masukan.</p>\n")


def _mutu_mart(isi: Isi, folder: Path) -> str:
    """The latest Great Expectations check of the indicator values themselves, with its page."""
    if not isi.mart:
        return ""
    m = isi.mart
    hasil = "gagal" if m["gagal"] else "lulus dengan peringatan" if m["peringatan"] else "lulus"
    href = tautan_data_docs(m["data_docs"], folder)
    tautan = (f' (<a class="data-docs" data-dataset="mart.indikator_nilai" href="{esc(href)}">halaman validasi</a>)'
              if href else "")
    catatan = f", {m['peringatan']} peringatan" if m["peringatan"] else ""
    if m["gagal"]:  # the run was rolled back: what is shown is what was in force before it
        catatan += "; penghitungan terakhir dibatalkan, nilai di bawah adalah nilai yang berlaku sebelumnya"
    return (f'<p class="sub">Pemeriksaan nilai indikator: <span class="lencana {VALIDASI_KELAS[hasil]}">'
            f"{esc(hasil)}</span>{esc(catatan)}{tautan}</p>\n")


def daftar_isi() -> str:
    items = "".join(f'<li><a href="#dimensi-{k}">{esc(n)}</a></li>' for k, n, _ in DIMENSI)
    return f'<nav aria-label="Dimensi"><ol>{items}</ol></nav>\n'


def bagian(isi: Isi, kode: str, nama: str, smart: str, folder: Path) -> str:
    """One Smart City dimension: its indicators, or a note that it has none yet."""
    inds = [i for i in isi.indikator if i["dimensi"] == kode]
    isi_html = "".join(kartu(i, isi, folder) for i in inds) or \
        '<p class="kosong">Belum ada indikator untuk dimensi ini.</p>'
    return (f'<section class="dimensi" id="dimensi-{kode}" data-dimensi="{kode}">\n'
            f"<h2>{esc(nama)} <small>({esc(smart)})</small></h2>\n{isi_html}</section>")


def _menunggu_input(rows: list[dict]) -> bool:
    return (not any(r["status"] == "tersedia" for r in rows)
            and any(r["status"] == "input_belum_tersedia" for r in rows))


def _pilih(rows: list[dict], tingkat: str, jenis: str) -> list[dict]:
    return [r for r in rows if r["tingkat_wilayah"] == tingkat and r["jenis_periode"] == jenis]


def _keterangan_unik(rows: list[dict]) -> list[str]:
    return sorted({r["keterangan"] for r in rows if r["keterangan"]})


def kartu(ind: dict, isi: Isi, folder: Path) -> str:
    """One indicator: charts and tables (left), metadata and the data quality of its inputs (right)."""
    rows = isi.nilai.get(ind["kode"], [])
    if not rows:
        kiri = '<p class="belum">Indikator ini belum dihitung.</p>'
    elif _menunggu_input(rows):
        alasan = "; ".join(_keterangan_unik(rows)) or "dataset masukan belum ada"
        kiri = (f'<div class="belum status-input"><strong>Input belum tersedia.</strong> '
                f"{esc(alasan)}.</div>")
    else:
        d = desimal(r["nilai"] for r in rows if r["status"] == "tersedia")
        kiri = (_grafik_semua(ind, isi, rows, d) + _banding(ind, isi, d) + _tabel_tahunan(rows, d)
                + _tabel_bulanan(isi, rows, d))
    dihitung = max((r["dihitung_pada"] for r in rows if r["dihitung_pada"]), default=None)
    satuan = f' <span class="satuan">({esc(ind["satuan"])})</span>' if ind.get("satuan") else ""
    return (f'<article class="indikator" id="indikator-{esc(ind["kode"])}" data-indikator="{esc(ind["kode"])}">\n'
            f"<h3>{esc(ind['nama'])}{satuan}</h3>\n"
            f'<div class="kolom"><div class="kiri">{kiri}</div>\n<div class="kanan">'
            f"<h4>Metadata</h4>{_metadata(ind)}<h4>Mutu data masukan</h4>{_mutu(ind, isi, folder)}"
            f'<p class="sub"><small>Dihitung {esc(waktu_teks(dihitung, isi.wilayah))}</small></p>'
            f"</div></div>\n</article>\n")


def _figure(jenis: str, kode: str, svg_text: str, keterangan: str) -> str:
    return (f'<figure class="grafik" data-grafik="{jenis}" data-indikator="{esc(kode)}" role="img" '
            f'aria-label="{esc(keterangan)}">{svg_text}<figcaption>{esc(keterangan)}</figcaption></figure>\n')


def _sendiri(isi: Isi, rows: list[dict], jenis: str) -> list[dict]:
    """The report's own region's rows of one kind of period (the kab/kota, or the province)."""
    return [r for r in rows if r["kode_wilayah"] == isi.kode_utama and r["jenis_periode"] == jenis]


def _banding(ind: dict, isi: Isi, d: int) -> str:
    """The comparison of every kab/kota in scope (several of them only), with the province's line."""
    from walidata.serve.indikator import perbandingan

    if len(isi.kabkota) < 2:
        return ""
    rows = isi.banding.get(ind["kode"], [])
    d = max(d, desimal(r["nilai"] for r in rows if r["status"] == "tersedia"))
    return perbandingan.bagian(ind, rows, isi.kabkota, isi.provinsi, d)


def _grafik_semua(ind: dict, isi: Isi, rows: list[dict], d: int) -> str:
    """The trend, the latest year's kecamatan and the months, each where it has values."""
    from walidata.serve.indikator import grafik

    kode, satuan, out = ind["kode"], ind.get("satuan") or "", []
    tahunan = _sendiri(isi, rows, "tahun")
    ada = [r for r in tahunan if r["status"] == "tersedia" and r["nilai"] is not None]
    if ada:
        tahun = sorted({r["periode"] for r in tahunan})
        chart = grafik.tren([{"periode": r["periode"], "nilai": r["nilai"]} for r in ada], tahun, satuan, d,
                            _tingkat(isi))
        out.append(_figure("tren", kode, grafik.svg(chart, f"{kode}-tren"),
                           f"{ind['nama']}: tren tahunan {_tingkat(isi)} ({satuan})"))
    kec = [r for r in _pilih(rows, "kecamatan", "tahun") if r["status"] == "tersedia" and r["nilai"] is not None]
    if kec:
        akhir = max(r["periode"] for r in kec)
        baris = [{"nama": r["nama_wilayah"] or r["kode_wilayah"], "nilai": r["nilai"]} for r in kec
                 if r["periode"] == akhir]
        out.append(_figure("kecamatan", kode, grafik.svg(grafik.kecamatan(baris, akhir, satuan, d), f"{kode}-kec"),
                           f"{ind['nama']} per kecamatan, tahun {akhir} ({satuan})"))
    bulan = [r for r in _sendiri(isi, rows, "bulan") if r["status"] == "tersedia" and r["nilai"] is not None]
    if bulan:
        baris = [{"tanggal": f"{r['periode']}-01", "nilai": r["nilai"]} for r in bulan]
        out.append(_figure("bulanan", kode, grafik.svg(grafik.bulanan(baris, satuan, _tingkat(isi)), f"{kode}-bln"),
                           f"{ind['nama']}: nilai bulanan {_tingkat(isi)} ({satuan})"))
    if not out and not isi.kabkota:
        out.append('<p class="kosong">Belum ada nilai tersedia untuk digambarkan.</p>')
    return "".join(out)


def _tingkat(isi: Isi) -> str:
    return "provinsi" if len(isi.kode_utama) == 2 else "kabupaten"


def _sel(r: dict | None, d: int) -> str:
    """A table cell: the number when tersedia, else the status and why, never a number."""
    if r is None:
        return '<td class="angka">–</td>'
    if r["status"] == "tersedia" and r["nilai"] is not None:
        return f'<td class="angka">{angka(r["nilai"], d)}</td>'
    status = STATUS.get(r["status"], r["status"])
    return f'<td class="tt"><span class="status">{esc(status)}</span><small>{esc(r["keterangan"])}</small></td>'


def _tabel_tahunan(rows: list[dict], d: int) -> str:
    """Regions (the province, the kab/kota, then the kecamatan) by years."""
    tahunan = [r for r in rows if r["jenis_periode"] == "tahun"]
    if not tahunan:
        return ""
    tahun = sorted({r["periode"] for r in tahunan})
    sel = {(r["kode_wilayah"], r["periode"]): r for r in tahunan}
    urutan = {"provinsi": 0, "kabupaten": 1, "kota": 1}
    wilayah = sorted({(urutan.get(r["tingkat_wilayah"], 2), r["kode_wilayah"], _nama_baris(r)) for r in tahunan})
    kepala = "".join(f'<th scope="col">{esc(t)}</th>' for t in tahun)
    badan = "".join(f'<tr><th scope="row">{esc(nama or kode)}</th>'
                    + "".join(_sel(sel.get((kode, t)), d) for t in tahun) + "</tr>"
                    for _, kode, nama in wilayah)
    return (f'<table class="nilai tahunan"><caption>Nilai tahunan</caption>'
            f'<thead><tr><th scope="col">Wilayah</th>{kepala}</tr></thead><tbody>{badan}</tbody></table>')


def _nama_baris(r: dict) -> str:
    """A region's name in the table: a province is called one."""
    nama = r["nama_wilayah"] or ""
    return f"Provinsi {nama}" if nama and r["tingkat_wilayah"] == "provinsi" else nama


def _tabel_bulanan(isi: Isi, rows: list[dict], d: int) -> str:
    """The region's months, folded away (<details> needs no script)."""
    bulan = sorted(_sendiri(isi, rows, "bulan"), key=lambda r: r["periode"])
    if not bulan:
        return ""
    badan = "".join(f'<tr><th scope="row">{esc(periode_teks(r["periode"]))}</th>{_sel(r, d)}</tr>' for r in bulan)
    return (f'<details><summary>Nilai bulanan {_tingkat(isi)} ({len(bulan)} bulan)</summary>'
            f'<table class="nilai bulanan"><thead><tr><th scope="col">Bulan</th><th scope="col">Nilai</th></tr>'
            f"</thead><tbody>{badan}</tbody></table></details>")


def _nilai_metadata(kolom: str, nilai) -> str:
    if kolom == "sumber_penduduk":
        return SUMBER_PENDUDUK.get(nilai, nilai) if nilai else "tidak memakai angka penduduk"
    return nilai


def _metadata(ind: dict) -> str:
    """The MS-Ind fields that have a value, as a definition list."""
    items = []
    for kolom, label in METADATA:
        nilai = _nilai_metadata(kolom, ind.get(kolom))
        if nilai not in (None, ""):
            items.append(f"<dt>{esc(label)}</dt><dd>{esc(nilai)}</dd>")
    return f'<dl class="metadata">{"".join(items)}</dl>'


def _validasi(muat: dict | None) -> str:
    if muat is None:
        return '<span class="lencana tidak-ada">belum pernah dimuat</span>'
    hasil = muat["hasil_validasi"]
    if not hasil:
        return f'<span class="lencana tidak-ada">tidak divalidasi ({esc(muat["status"])})</span>'
    return f'<span class="lencana {VALIDASI_KELAS.get(hasil, "tidak-ada")}">{esc(hasil)}</span>'


def _mutu(ind: dict, isi: Isi, folder: Path) -> str:
    """Each input dataset: the validation result of its latest load and a link to its Data Docs page."""
    datasets = [s.strip() for s in (ind.get("masukan") or "").split(",") if s.strip()]
    if not datasets:
        return '<p class="kosong">Tidak ada dataset masukan.</p>'
    baris = []
    for ds in datasets:
        muat = isi.muat.get(ds)
        href = tautan_data_docs(muat and muat["data_docs"], folder)
        tautan = (f'<a class="data-docs" data-dataset="{esc(ds)}" href="{esc(href)}">halaman validasi</a>'
                  if href else "–")
        waktu = waktu_teks(muat["selesai"], isi.wilayah, pendek=True) if muat else "–"
        baris.append(f"<tr><td><code>{esc(ds)}</code></td><td>{_validasi(muat)}</td><td>{esc(waktu)}</td>"
                     f"<td>{tautan}</td></tr>")
    return (f'<table class="mutu"><thead><tr><th scope="col">Dataset</th><th scope="col">Hasil validasi</th>'
            f'<th scope="col">Dimuat</th><th scope="col">Data Docs</th></tr></thead>'
            f'<tbody>{"".join(baris)}</tbody></table>')
