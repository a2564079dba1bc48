"""The report's comparison view: per indicator, every kab/kota in scope side by side for one year, ranked, with
the province's own value (computed from components, walidata.serve.indikator.hitung) as a reference line.

Hand-written inline SVG, no script and nothing fetched: one bar per kab/kota with a value, largest first
(`data-peringkat`, `data-kode`, `data-nilai`), each labelled with its name and its value in Indonesian format; the
province value a dashed vertical line (`class="garis-provinsi"`) with its label. Kab/kota without a value are
listed under the chart with why (keterangan); a province without a value says why too. Every text is
HTML-escaped; no text is smaller than 11 px.
"""

from __future__ import annotations

import html

from walidata.serve.indikator.angka import angka

LEBAR, KIRI, KANAN, BARIS, ATAS, BAWAH = 640, 220, 70, 24, 34, 30
WARNA, WARNA_PROVINSI = "#1f6f8b", "#b3261e"
FONT = 'font-family="DejaVu Sans, Verdana, sans-serif"'
HALO = 'stroke="#fff" stroke-width="3" paint-order="stroke"'  # labels stay legible over the province line


def esc(x) -> str:
    return "" if x is None else html.escape(str(x), quote=True)


def _tersedia(r: dict | None) -> bool:
    return r is not None and r["status"] == "tersedia" and r["nilai"] is not None


def tahun_terakhir(rows: list[dict], kabkota: list[str]) -> str | None:
    """The latest year in which at least one kab/kota in scope has a value."""
    return max((r["periode"] for r in rows if r["kode_wilayah"] in kabkota and r["jenis_periode"] == "tahun"
                and _tersedia(r)), default=None)


def _skala(nilai: list[float]):
    lo, hi = min([0.0, *nilai]), max([0.0, *nilai])
    lebar = LEBAR - KIRI - KANAN
    rentang = (hi - lo) or 1.0
    return lambda v: KIRI + (v - lo) / rentang * lebar


def svg(batang: list[dict], provinsi: dict | None, satuan: str, d: int) -> str:
    """Ranked horizontal bars (`batang`: kode, nama, nilai, largest first) and the province line, as SVG."""
    x = _skala([b["nilai"] for b in batang] + ([provinsi["nilai"]] if provinsi else []))
    tinggi = ATAS + BARIS * len(batang) + BAWAH
    nol = x(0.0)
    isi = [f'<svg xmlns="http://www.w3.org/2000/svg" class="perbandingan" width="{LEBAR}" height="{tinggi}" '
           f'viewBox="0 0 {LEBAR} {tinggi}" {FONT}>']
    for i, b in enumerate(batang):
        y = ATAS + i * BARIS
        kiri, kanan = sorted((nol, x(b["nilai"])))
        teks = angka(b["nilai"], d)
        isi.append(f'<g class="batang" data-peringkat="{i + 1}" data-kode="{esc(b["kode"])}" '
                   f'data-nilai="{float(b["nilai"])!r}"><title>{esc(b["nama"])}: {esc(teks)} {esc(satuan)}</title>'
                   f'<text x="{KIRI - 6}" y="{y + 16}" text-anchor="end" font-size="12" fill="#1d2327">'
                   f'{esc(_pendek(b["nama"]))}</text>'
                   f'<rect x="{kiri:.1f}" y="{y + 4}" width="{max(kanan - kiri, 1):.1f}" height="{BARIS - 8}" '
                   f'fill="{WARNA}"/><text class="nilai" x="{max(kanan, nol) + 4:.1f}" y="{y + 16}" font-size="11" '
                   f'fill="#1d2327" {HALO}>{esc(teks)}</text></g>')
    isi.append(f'<line x1="{nol:.1f}" x2="{nol:.1f}" y1="{ATAS - 4}" y2="{tinggi - BAWAH + 4}" stroke="#555"/>')
    if provinsi:
        isi.append(_garis(x(provinsi["nilai"]), provinsi, tinggi, d))
    isi.append(f'<text x="{KIRI}" y="{tinggi - 8}" font-size="11" fill="#555">{esc(satuan)}</text></svg>')
    return "".join(isi)


def _pendek(nama: str, batas: int = 30) -> str:
    """A long name shortened for the bar's label (the full name stays in its <title> and the table)."""
    return nama if len(nama) <= batas else nama[:batas - 1] + "…"


def _garis(px: float, provinsi: dict, tinggi: int, d: int) -> str:
    teks = f"{provinsi['nama']}: {angka(provinsi['nilai'], d)}"
    anchor = "end" if px > LEBAR / 2 else "start"
    dx = -4 if anchor == "end" else 4
    return (f'<g class="garis-provinsi" data-kode="{esc(provinsi["kode"])}" data-nilai="{float(provinsi["nilai"])!r}">'
            f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{ATAS - 14}" y2="{tinggi - BAWAH + 4}" '
            f'stroke="{WARNA_PROVINSI}" stroke-width="2" stroke-dasharray="6 4"/>'
            f'<text x="{px + dx:.1f}" y="{ATAS - 18}" text-anchor="{anchor}" font-size="11" '
            f'fill="{WARNA_PROVINSI}" {HALO}>{esc(teks)}</text></g>')


def bagian(ind: dict, rows: list[dict], kabkota: dict[str, str], provinsi: dict[str, str], d: int) -> str:
    """The comparison block of one indicator: the chart of the latest year, what has no value and why."""
    tahun = tahun_terakhir(rows, list(kabkota))
    if tahun is None:
        return ('<div class="perbandingan"><h4>Perbandingan kabupaten/kota</h4><p class="kosong">Belum ada nilai '
                'kabupaten/kota yang dapat dibandingkan.</p></div>\n')
    sel = {r["kode_wilayah"]: r for r in rows if r["periode"] == tahun and r["jenis_periode"] == "tahun"}
    batang = sorted(({"kode": k, "nama": n, "nilai": sel[k]["nilai"]} for k, n in kabkota.items()
                     if _tersedia(sel.get(k))), key=lambda b: (-b["nilai"], b["nama"]))
    garis = next(({"kode": p, "nama": f"Provinsi {n}", "nilai": sel[p]["nilai"]} for p, n in provinsi.items()
                  if _tersedia(sel.get(p))), None)
    satuan = ind.get("satuan") or ""
    judul = f"{ind['nama']}: kabupaten/kota menurut peringkat, tahun {tahun}"
    return (f'<div class="perbandingan"><h4>Perbandingan kabupaten/kota</h4>'
            f'<figure class="perbandingan" data-indikator="{esc(ind["kode"])}" data-tahun="{esc(tahun)}" '
            f'role="img" aria-label="{esc(judul)}">{svg(batang, garis, satuan, d)}'
            f"<figcaption>{esc(judul)} ({esc(satuan)})</figcaption></figure>"
            f"{_catatan(kabkota, provinsi, sel)}</div>\n")


def _catatan(kabkota: dict[str, str], provinsi: dict[str, str], sel: dict[str, dict]) -> str:
    """The province's value or why there is none, and the kab/kota without a value, with why."""
    out = []
    for p, n in provinsi.items():
        r = sel.get(p)
        if r is None:
            out.append(f"<li>Provinsi {esc(n)}: nilai provinsi tidak dihitung (tidak semua kabupaten/kota provinsi "
                       f"ini ada dalam lingkup).</li>")
        elif not _tersedia(r):
            out.append(f'<li class="provinsi-tanpa-nilai">Provinsi {esc(n)}: tidak ada nilai; '
                       f"{esc(r['keterangan'])}</li>")
    for k, n in kabkota.items():
        r = sel.get(k)
        if not _tersedia(r):
            alasan = r["keterangan"] if r else "indikator belum dihitung untuk wilayah ini"
            out.append(f'<li class="tanpa-nilai" data-kode="{esc(k)}">{esc(n)}: tidak ada nilai; {esc(alasan)}</li>')
    return f'<ul class="catatan-perbandingan">{"".join(out)}</ul>' if out else ""
