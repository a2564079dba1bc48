"""The indicator report's charts: Altair specs rendered to inline SVG by vl_convert, with no JavaScript.

Three kinds: the kabupaten's yearly trend (`tren`), the kecamatan of one year side by side (`kecamatan`) and
the kabupaten's months (`bulanan`). Numbers on axes and labels use the Indonesian d3 locale of
walidata.serve.indikator.angka; months are Indonesian names. The font is pinned to "DejaVu Sans" in the chart
config: vl_convert measures text with it, and the browser draws the same font, so titles and labels fit.

A static SVG shows no hover tooltips, so each trend point and bar carries its value as a label.

`svg` checks the output before it goes into the page: nothing that would fetch (no http(s) URL but the XML
namespaces, no <image>, no href), no script, and its element ids are prefixed so that several charts inlined
in one HTML document never share an id.
"""

from __future__ import annotations

import re
import time

from walidata.serve.indikator.angka import LOKAL_ANGKA, LOKAL_WAKTU, pola

FONT = "DejaVu Sans"
LEBAR, TINGGI = 400, 210
WARNA, WARNA_KECAMATAN = "#1f6f8b", "#5b8c3a"
NAMESPACES = ("http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink")
_TERLARANG = re.compile(r"<\s*(?:script|image|foreignObject|iframe|use)\b|\bon[a-z]+\s*=|\bhref\s*=", re.I)
_URL = re.compile(r"(?:https?|ftp|file|data|javascript):[^\s\"'<>)]*|url\(\s*['\"]?(?!#)", re.I)

SUMBU = ",~f"  # axis ticks: grouped, as many decimals as the tick needs (d3 trims trailing zeros)
waktu_render: list[float] = []  # seconds per chart rendered in this process (the report logs the mean)


class SvgTidakAman(ValueError):
    """A rendered chart references something outside itself, or carries script."""


def _config(chart):
    return (chart.configure(font=FONT, aria=False)
            .configure_axis(labelFontSize=11, titleFontSize=11, labelLimit=180)
            .configure_title(fontSize=12, anchor="start")
            .configure_view(stroke=None))


def periksa(svg_text: str) -> str:
    """`svg_text` unchanged if it references nothing outside itself and runs nothing; else SvgTidakAman."""
    bersih = svg_text
    for ns in NAMESPACES:
        bersih = bersih.replace(f'"{ns}"', '""')
    if (m := _TERLARANG.search(bersih)) or (m := _URL.search(bersih)):
        raise SvgTidakAman(f"chart SVG references or runs something: {m.group(0)[:80]!r}")
    return svg_text


def _awalan_id(svg_text: str, awalan: str) -> str:
    """Prefix every id and its url(#…) references, so inlined charts never collide."""
    svg_text = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{awalan}-{m.group(1)}"', svg_text)
    return re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{awalan}-{m.group(1)})", svg_text)


def svg(chart, awalan: str) -> str:
    """One Altair chart as an inline <svg> element, checked and with ids prefixed by `awalan`."""
    import vl_convert

    mulai = time.perf_counter()
    teks = vl_convert.vegalite_to_svg(_config(chart).to_dict(), format_locale=LOKAL_ANGKA,
                                      time_format_locale=LOKAL_WAKTU)
    waktu_render.append(time.perf_counter() - mulai)
    teks = re.sub(r"^\s*<\?xml[^>]*>\s*", "", teks)
    return periksa(_awalan_id(teks, awalan))


def rentang(nilai: list[float]) -> list[float]:
    """The trend's value axis: around the values, but at least ±5% of their level, so a change of a few
    thousandths is not drawn as a collapse; never below zero for values that are not."""
    lo, hi = min(nilai), max(nilai)
    tengah = (lo + hi) / 2
    setengah = max((hi - lo) / 2 * 1.2, abs(tengah) * 0.05, 1e-9)
    bawah = tengah - setengah
    return [max(bawah, 0.0) if lo >= 0 else bawah, tengah + setengah]


def tren(baris: list[dict], tahun: list[str], satuan: str, d: int, tingkat: str = "kabupaten"):
    """The region's yearly values (`baris`: periode, nilai) over every year of the indicator (`tahun`); `tingkat`
    names the region's level in the title (kabupaten, provinsi)."""
    import altair as alt
    import pandas as pd

    data = pd.DataFrame(baris, columns=["periode", "nilai"])
    x = alt.X("periode:O", title="Tahun", scale=alt.Scale(domain=tahun), axis=alt.Axis(labelAngle=0))
    y = alt.Y("nilai:Q", title=satuan or None, axis=alt.Axis(format=SUMBU, tickCount=5),
              scale=alt.Scale(domain=rentang([b["nilai"] for b in baris]), nice=True))
    dasar = alt.Chart(data).encode(x=x, y=y)
    garis = dasar.mark_line(color=WARNA, strokeWidth=2, point=alt.OverlayMarkDef(color=WARNA, size=50))
    label = dasar.mark_text(dy=-10, fontSize=11, color="#222").encode(text=alt.Text("nilai:Q", format=pola(d)))
    return (garis + label).properties(width=LEBAR, height=TINGGI, title=f"Tren tahunan ({tingkat})")


def kecamatan(baris: list[dict], tahun: str, satuan: str, d: int):
    """The kecamatan of one year (`baris`: nama, nilai) as bars, largest first; each value labelled right of
    its bar (right of the zero line for a negative one)."""
    import altair as alt
    import pandas as pd

    data = pd.DataFrame(baris, columns=["nama", "nilai"])
    y = alt.Y("nama:N", title=None, sort=alt.EncodingSortField("nilai", order="descending"))
    x = alt.X("nilai:Q", title=satuan or None, axis=alt.Axis(format=SUMBU, tickCount=5))
    dasar = alt.Chart(data).encode(y=y, x=x)
    batang = dasar.mark_bar(color=WARNA_KECAMATAN)
    label = dasar.mark_text(align="left", dx=3, fontSize=10, color="#222").transform_calculate(
        ujung="max(datum.nilai, 0)").encode(x="ujung:Q", text=alt.Text("nilai:Q", format=pola(d)))
    tinggi = max(120, 18 * len(data))
    return (batang + label).properties(width=LEBAR - 80, height=tinggi, title=f"Per kecamatan, {tahun}")


def bulanan(baris: list[dict], satuan: str, tingkat: str = "kabupaten"):
    """The region's monthly values (`baris`: tanggal 'YYYY-MM-01', nilai) as a line."""
    import altair as alt
    import pandas as pd

    data = pd.DataFrame(baris, columns=["tanggal", "nilai"])
    x = alt.X("tanggal:T", title="Bulan", axis=alt.Axis(format="%b %Y", labelAngle=-40, grid=False))
    y = alt.Y("nilai:Q", title=satuan or None, axis=alt.Axis(format=SUMBU))
    garis = alt.Chart(data).mark_line(color=WARNA, strokeWidth=1.5, point=alt.OverlayMarkDef(size=18))
    return garis.encode(x=x, y=y).properties(width=LEBAR, height=TINGGI, title=f"Bulanan ({tingkat})")
