"""The static report "Laporan Indikator Smart City": Indonesian numbers, escaping, the file opened offline in
chromium from file:// (every chart drawn, nothing fetched), and the Airflow plugin serving it with its menu link.

The browser test saves a full-page screenshot to <pytest tmp dir>/laporan.png and copies it to
tests/artifacts/laporan.png (git-ignored)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient

from conftest import CHROMIUM, ROOT, needs_browser, query
from walidata.serve.indikator import grafik
from walidata.serve.indikator.angka import angka, desimal
from walidata.serve.indikator.laporan import DIMENSI, Isi, render, tulis

sys.path.insert(0, str(ROOT / "plugins"))
import walidata_data_docs  # noqa: E402

ARTIFACTS = ROOT / "tests" / "artifacts"
HOSTILE = '<script>alert("x")</script>'
NAMESPACES = re.compile(r'xmlns(?::xlink)?="http://www\.w3\.org/(?:2000/svg|1999/xlink)"')


# --- numbers and escaping (no warehouse) ------------------------------------------------------------------


def test_numbers_are_written_the_indonesian_way():
    assert angka(1234.5) == "1.234,5"
    assert angka(1234.5, 2) == "1.234,50"
    assert angka(-1234.5) == "-1.234,5"
    assert angka(1234567) == "1.234.567"
    assert angka(1234567.891, 1) == "1.234.567,9"
    assert angka(-0.25) == "-0,25"
    assert angka(-0.0001, 2) == "0,00"  # no minus sign on a number that shows as zero
    assert angka(0) == "0"
    assert angka(None) == angka(float("nan")) == "–"
    assert desimal([1, 2, 3.0]) == 0 and desimal([2573.7, 1.5]) == 1 and desimal([88.5, 90.6]) == 2
    assert desimal([0.25]) == 3 and desimal([None, float("nan")]) == 0


def _hostile_isi() -> Isi:
    ind = {"kode": "uji", "nama": HOSTILE, "dimensi": "governance", "definisi": f"definisi {HOSTILE}",
           "rumus": "a < b & c > d", "satuan": "<b>persen</b>", "masukan": 'opd.data"><script>x</script>',
           "interpretasi": "<img src=x onerror=alert(1)>", "sumber_penduduk": "dukcapil"}
    base = {"indikator": "uji", "satuan": "persen", "dihitung_pada": dt.datetime(2025, 1, 1, tzinfo=dt.UTC)}
    nilai = [{**base, "kode_wilayah": "62.06", "nama_wilayah": "Kabupaten", "tingkat_wilayah": "kabupaten",
              "periode": "2024", "jenis_periode": "tahun", "tahun": 2024, "bulan": None, "nilai": 1234.5,
              "status": "tersedia", "keterangan": None},
             {**base, "kode_wilayah": "62.06", "nama_wilayah": "Kabupaten", "tingkat_wilayah": "kabupaten",
              "periode": "2023", "jenis_periode": "tahun", "tahun": 2023, "bulan": None, "nilai": None,
              "status": "tidak_tersedia", "keterangan": HOSTILE},
             {**base, "kode_wilayah": "62.06.01", "nama_wilayah": HOSTILE, "tingkat_wilayah": "kecamatan",
              "periode": "2024", "jenis_periode": "tahun", "tahun": 2024, "bulan": None, "nilai": 10.0,
              "status": "tersedia", "keterangan": None}]
    return Isi("62.06", f"Kabupaten {HOSTILE}", [ind], {"uji": nilai}, {})


def test_every_text_from_the_warehouse_is_escaped(tmp_path):
    html = render(_hostile_isi(), tmp_path, dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    assert "<script" not in html.lower() and "<img" not in html.lower() and "<b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html  # the name, shown as text
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "a &lt; b &amp; c &gt; d" in html
    assert html.count("<svg") == 2  # the trend and the kecamatan chart; the hostile kecamatan name is SVG text
    for svg in re.findall(r"<svg.*?</svg>", html, re.S):
        grafik.periksa(svg)
    with pytest.raises(grafik.SvgTidakAman):
        grafik.periksa('<svg><image href="https://example.org/a.png"/></svg>')


# --- the report of the published sample, in chromium from file:// ----------------------------------------

PROBE = """() => {
  const charts = [...document.querySelectorAll('figure.grafik')].map(f => {
    const svg = f.querySelector('svg');
    const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
    return {indikator: f.dataset.indikator, jenis: f.dataset.grafik, svg: !!svg, w: box.width, h: box.height,
            marks: svg ? svg.querySelectorAll('.role-mark path, .role-mark text').length : 0,
            text: svg ? svg.textContent : ''};
  });
  return {
    title: document.title,
    h1: document.querySelector('h1').textContent,
    sections: [...document.querySelectorAll('section.dimensi')].map(s => s.dataset.dimensi),
    charts,
    articles: Object.fromEntries([...document.querySelectorAll('article.indikator')].map(
      a => [a.dataset.indikator, a.innerText])),
    links: [...document.querySelectorAll('a.data-docs')].map(a => a.href),
    font: getComputedStyle(document.body).fontFamily,
  };
}"""


def _expected_charts(url: str) -> set[tuple[str, str]]:
    """(indicator, chart kind) that must be drawn, from mart.indikator_nilai independently of the report."""
    rows = query(url, "SELECT DISTINCT indikator, tingkat_wilayah, jenis_periode FROM mart.indikator_nilai "
                      "WHERE status = 'tersedia' AND nilai IS NOT NULL")
    kind = {("kabupaten", "tahun"): "tren", ("kecamatan", "tahun"): "kecamatan", ("kabupaten", "bulan"): "bulanan"}
    return {(i, kind[(t, j)]) for i, t, j in rows if (t, j) in kind}


def _open_file(url: str, screenshot: Path) -> tuple[dict, list[str], list[str]]:
    """The page's probe, every URL it requested, and its console errors; any request off file:// is aborted."""
    from playwright.sync_api import sync_playwright

    requested, errors = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--no-pings"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda r: requested.append(r.url))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://")
                       else route.abort())
            page.goto(url, wait_until="load")
            probe = page.evaluate(PROBE)
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    return probe, requested, errors


def _check_charts(probe: dict, expected: set[tuple[str, str]]) -> None:
    drawn = {(c["indikator"], c["jenis"]) for c in probe["charts"]}
    assert drawn == expected
    for c in probe["charts"]:
        assert c["svg"] and c["marks"] > 0 and c["w"] > 100 and c["h"] > 50, c


def _check_values(probe: dict, url: str) -> None:
    """A known value of the mart, formatted independently, is shown; unavailable cells show why, no number."""
    (nilai,) = query(url, "SELECT nilai FROM mart.indikator_nilai WHERE indikator = 'luas_karhutla' "
                          "AND tingkat_wilayah = 'kabupaten' AND periode = '2023'")[0]
    teks = f"{nilai:,.1f}".replace(",", "_").replace(".", ",").replace("_", ".")
    assert nilai > 1000 and re.fullmatch(r"\d{1,3}(\.\d{3})+,\d", teks)
    assert teks in probe["articles"]["luas_karhutla"]
    tren = next(c for c in probe["charts"] if c["indikator"] == "luas_karhutla" and c["jenis"] == "tren")
    assert teks in tren["text"]  # the chart's labels too
    assert re.search(r"\d\.\d{3}(?!\d)", tren["text"])  # and its axis: 1.800, 2.000, …
    miskin = probe["articles"]["persentase_penduduk_miskin"]  # BPS's figures, fetched from the (sample) WebAPI
    assert "Input belum tersedia" not in miskin and "bps.kemiskinan" in miskin
    assert any(c["indikator"] == "persentase_penduduk_miskin" and c["jenis"] == "tren" for c in probe["charts"])
    (ket,) = query(url, "SELECT DISTINCT keterangan FROM mart.indikator_nilai WHERE indikator = "
                        "'laju_pertumbuhan_penduduk' AND status = 'tidak_tersedia'")[0]
    assert "tidak tersedia" in probe["articles"]["laju_pertumbuhan_penduduk"]
    assert ket in probe["articles"]["laju_pertumbuhan_penduduk"]


def test_the_report_opens_offline_from_file_with_every_chart_drawn(indikator_sandbox, tmp_path):
    from walidata.serve.indikator.jalankan import jalankan

    needs_browser()
    settings = indikator_sandbox
    jalankan(settings, "uji-laporan", paksa=True)
    mulai = len(grafik.waktu_render)
    page = tulis(settings)
    waktu = grafik.waktu_render[mulai:]
    print(f"\n{len(waktu)} grafik, {sum(waktu) / len(waktu):.2f} s per grafik (maks {max(waktu):.2f} s)")
    html = page.read_text()
    assert re.findall(r"https?://", NAMESPACES.sub("", html)) == []  # no URL at all but the SVG namespaces
    assert not re.search(r"<(?:script|link|img|image|iframe|object)\b", html, re.I) and "@import" not in html

    shot = tmp_path / "laporan.png"
    probe, requested, errors = _open_file(page.as_uri(), shot)
    assert [u for u in requested if not u.startswith("file://")] == [] and requested == [page.as_uri()]
    assert errors == []
    assert probe["title"] == probe["h1"] == "Laporan Indikator Smart City Kabupaten Katingan"
    assert probe["sections"] == [k for k, _, _ in DIMENSI]
    assert "DejaVu Sans" in probe["font"]
    _check_charts(probe, _expected_charts(settings.warehouse_url))
    _check_values(probe, settings.warehouse_url)
    assert probe["links"] and all(Path(unquote(u.removeprefix("file://"))).is_file() for u in probe["links"])
    assert shot.stat().st_size > 50_000
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copyfile(shot, ARTIFACTS / "laporan.png")


# --- through the Airflow plugin ---------------------------------------------------------------------------


def test_the_plugin_serves_the_report_with_data_docs_links_it_can_follow(indikator_sandbox):
    from test_plugin import logged_in

    from walidata.serve.indikator.jalankan import jalankan

    assert TestClient(walidata_data_docs.app).get("/laporan/").status_code == 401  # behind Airflow's login
    client = logged_in()  # a token of the project's Airflow home, as the UI's session carries
    assert client.get("/laporan/").status_code == 404  # not written yet
    jalankan(indikator_sandbox, "uji-plugin", paksa=True)
    tulis(indikator_sandbox)
    assert client.get("/laporan", follow_redirects=False).headers["location"] == "laporan/"
    r = client.get("/laporan/")
    assert r.status_code == 200 and "Laporan Indikator Smart City Kabupaten Katingan" in r.text
    assert "'unsafe-inline'" not in r.headers["content-security-policy"].split("script-src")[1].split(";")[0]
    links = re.findall(r'<a class="data-docs" data-dataset="([^"]*)" href="([^"]*)"', r.text)
    assert {d for d, _ in links} >= {"disdukcapil.penduduk_kecamatan", "bpbd.kejadian_bencana"}
    for dataset, href in links:
        assert href.startswith("../data-docs/validations/"), href  # relative to /walidata/laporan/
        page = client.get("/" + href.removeprefix("../"))
        assert page.status_code == 200 and dataset in page.text


def test_the_airflow_menu_links_to_the_report():
    from airflow.api_fastapi.core_api.datamodels.plugins import ExternalViewResponse

    views = walidata_data_docs.WalidataPlugin.external_views
    (view,) = [v for v in views if v["name"] == "Laporan Indikator Smart City"]
    ExternalViewResponse.model_validate(view)  # what the Airflow 3 UI accepts as a menu entry
    assert view["href"] == walidata_data_docs.PREFIX + "/laporan/"
    assert any(getattr(r, "path", None) == "/laporan/" for r in walidata_data_docs.app.routes)
