"""The report's comparison view (issue 22): every kab/kota of the scope side by side, ranked, with the province's
own value as a reference line; opened in chromium from file://.

The warehouse holds all 14 kab/kota of Kalimantan Tengah (Katingan's published sample copied under the other
codes, see test_indikator_provinsi), one of them renamed with markup, so the report must show the name as text.
The screenshot goes to <pytest tmp dir>/laporan_provinsi.png and tests/artifacts/laporan_provinsi.png.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil

import pytest
import sqlalchemy as sa
from test_indikator_provinsi import PROVINSI, satu_provinsi

from conftest import CHROMIUM, ROOT, needs_browser, query
from walidata.serve.indikator.laporan import Isi, render, tulis

HOSTILE = 'Kabupaten <script>alert("x")</script> & <b>Barat</b>'
ARTIFACTS = ROOT / "tests" / "artifacts"

PROBE = """() => {
  const fig = k => document.querySelector(`article[data-indikator="${k}"] figure.perbandingan`);
  const view = k => {
    const f = fig(k);
    if (!f) return null;
    const svg = f.querySelector('svg');
    const vb = svg.viewBox.baseVal;
    const line = f.querySelector('g.garis-provinsi');
    return {
      tahun: f.dataset.tahun, svgWidth: svg.getBoundingClientRect().width, viewBoxWidth: vb.width,
      bars: [...f.querySelectorAll('g.batang')].map(g => {
        const r = g.querySelector('rect').getBoundingClientRect();
        return {rank: +g.dataset.peringkat, kode: g.dataset.kode, nilai: +g.dataset.nilai, top: r.top,
                left: r.left, right: r.right, title: g.querySelector('title').textContent,
                label: g.querySelector('text').textContent};
      }),
      line: line ? {kode: line.dataset.kode, nilai: +line.dataset.nilai,
                    x: line.querySelector('line').getBoundingClientRect().left,
                    text: line.querySelector('text').textContent} : null,
      fonts: [...f.querySelectorAll('svg text')].map(t => parseFloat(getComputedStyle(t).fontSize)),
      markup: f.querySelectorAll('svg b, svg script').length,
      notes: [...f.parentElement.querySelectorAll('ul.catatan-perbandingan li')].map(li => li.textContent),
    };
  };
  return {
    h1: document.querySelector('h1').textContent,
    scripts: document.querySelectorAll('script').length,
    bold: document.querySelectorAll('b').length,
    dokter: view('dokter_per_100000_penduduk'),
    ktp: view('cakupan_ktp_el'),
    ipm: view('indeks_pembangunan_manusia'),
    body: document.body.innerText,
  };
}"""


def _open(url: str, shot) -> tuple[dict, list[str]]:
    from playwright.sync_api import sync_playwright

    requested = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND", "--disable-background-networking",
            "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("request", lambda r: requested.append(r.url))
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file://")
                       else route.abort())
            page.goto(url, wait_until="load")
            probe = page.evaluate(PROBE)
            page.screenshot(path=str(shot), full_page=True, timeout=120_000)
        finally:
            browser.close()
    return probe, requested


def _mart(url: str, kode: str, tahun: str) -> dict[str, tuple]:
    return {r[0]: r[1:] for r in query(url, f"SELECT kode_wilayah, nilai, status, keterangan FROM "
                                            f"mart.indikator_nilai WHERE indikator = '{kode}' AND periode = '{tahun}'")}


def _check_view(v: dict, url: str, kode: str, kabkota: dict[str, str]) -> None:
    """Every kab/kota's bar with its mart value, ranked largest first and drawn in that order; the province's
    line at its mart value, right of every smaller bar's end and left of every larger one's."""
    mart = _mart(url, kode, v["tahun"])
    assert {b["kode"] for b in v["bars"]} == set(kabkota) and len(v["bars"]) == 14
    assert [b["rank"] for b in v["bars"]] == list(range(1, 15))
    assert [b["nilai"] for b in v["bars"]] == sorted((b["nilai"] for b in v["bars"]), reverse=True)
    assert [b["top"] for b in v["bars"]] == sorted(b["top"] for b in v["bars"])
    for b in v["bars"]:
        assert b["nilai"] == pytest.approx(mart[b["kode"]][0], rel=1e-12) and mart[b["kode"]][1] == "tersedia"
    assert len({round(b["nilai"], 6) for b in v["bars"]}) > 5
    line = v["line"]
    assert line and line["kode"] == PROVINSI and line["nilai"] == pytest.approx(mart[PROVINSI][0], rel=1e-12)
    assert line["text"].startswith("Provinsi Kalimantan Tengah: ")
    for b in v["bars"]:
        if b["nilai"] > line["nilai"] * 1.01:
            assert b["right"] > line["x"], b
        elif b["nilai"] < line["nilai"] * 0.99:
            assert b["right"] < line["x"], b
    assert min(v["fonts"]) >= 11 and v["svgWidth"] >= v["viewBoxWidth"]  # readable: never scaled down


def test_the_comparison_view_in_chromium(indikator_sandbox, tmp_path, monkeypatch):
    from walidata.serve.indikator.jalankan import jalankan
    from walidata.settings import get_settings

    needs_browser()
    url = indikator_sandbox.warehouse_url
    kabkota = satu_provinsi(url)
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as c:
        c.execute(sa.text("UPDATE ref.wilayah SET nama = :n WHERE kode_kemendagri = '62.01'"), {"n": HOSTILE})
    engine.dispose()
    monkeypatch.setenv("WALIDATA_WILAYAH", PROVINSI)
    settings = get_settings()
    assert jalankan(settings, "uji-laporan-provinsi").validasi.startswith("lulus")
    page = tulis(settings)
    shot = tmp_path / "laporan_provinsi.png"
    probe, requested = _open(page.as_uri(), shot)
    assert requested == [page.as_uri()]
    assert probe["h1"] == "Laporan Indikator Smart City Provinsi Kalimantan Tengah"
    assert probe["scripts"] == 0 and probe["bold"] == 0  # the hostile name is text, never markup
    for kode in ("dokter_per_100000_penduduk", "cakupan_ktp_el"):
        _check_view(probe["dokter" if kode.startswith("dokter") else "ktp"], url, kode, kabkota)
    bar = next(b for b in probe["dokter"]["bars"] if b["kode"] == "62.01")
    assert HOSTILE in bar["title"] and probe["dokter"]["markup"] == 0 and HOSTILE in probe["body"]
    ipm = probe["ipm"]  # bars of every kab/kota, no province line: an index does not add up, and it says so
    assert ipm and len(ipm["bars"]) == 14 and ipm["line"] is None
    assert any(n.startswith("Provinsi Kalimantan Tengah: tidak ada nilai") and "IPM" in n for n in ipm["notes"])
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copyfile(shot, ARTIFACTS / "laporan_provinsi.png")


def _isi_banding(nama: str) -> Isi:
    base = {"indikator": "uji", "tingkat_wilayah": "kabupaten", "jenis_periode": "tahun", "tahun": 2024,
            "bulan": None, "satuan": "persen", "dihitung_pada": None, "periode": "2024", "keterangan": None}
    rows = [{**base, "kode_wilayah": "62.01", "nama_wilayah": nama, "nilai": 20.0, "status": "tersedia"},
            {**base, "kode_wilayah": "62.06", "nama_wilayah": "Kabupaten Katingan", "nilai": 40.0,
             "status": "tersedia"},
            {**base, "kode_wilayah": "62", "nama_wilayah": "Kalimantan Tengah", "tingkat_wilayah": "provinsi",
             "nilai": None, "status": "tidak_tersedia", "keterangan": f"kurang: {nama}"}]
    ind = {"kode": "uji", "nama": "Uji", "dimensi": "governance", "satuan": "persen", "masukan": ""}
    return Isi("62.01,62.06", "dua kabupaten", [ind], {"uji": rows[:2]}, {}, None, None,
               {"62.01": nama, "62.06": "Kabupaten Katingan"}, {"62": "Kalimantan Tengah"}, {"uji": rows})


def test_the_comparison_view_escapes_names_and_states_a_missing_province_value(tmp_path):
    html = render(_isi_banding(HOSTILE), tmp_path, dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    assert "<script" not in html.lower() and "<b>" not in html
    view = re.search(r'<figure class="perbandingan".*?</figure>', html, re.S).group(0)
    kodes = re.findall(r'<g class="batang" data-peringkat="(\d+)" data-kode="([^"]+)"', view)
    assert kodes == [("1", "62.06"), ("2", "62.01")]  # ranked, largest first
    assert "garis-provinsi" not in view and "Kabupaten &lt;script&gt;alert(&quot;x&quot;)" in view
    assert "Provinsi Kalimantan Tengah: tidak ada nilai; kurang: Kabupaten &lt;script&gt;" in html


def test_a_single_region_report_has_no_comparison_view(tmp_path):
    isi = _isi_banding("Kabupaten Kotawaringin Barat")
    single = Isi("62.06", "Kabupaten Katingan", isi.indikator, isi.nilai, {})
    assert "perbandingan" not in render(single, tmp_path, dt.datetime(2025, 1, 1, tzinfo=dt.UTC)).split("</style>")[1]
