"""Indicators for every kab/kota in scope and the province's own value from components (issue 22).

A warehouse holding all 14 kab/kota of Kalimantan Tengah (62) is built from the real published sample: Katingan's
fact rows (and its kecamatan and desa in ref.wilayah) copied under the other 13 codes, each with its own factors so
that every kab/kota has different figures. The test computes each expected value itself from the fact views: a
kab/kota's value from its own sums, the province's as sum(numerators) / sum(denominators) over the 14 kab/kota.
DuckDB (the published sample) and PostgreSQL (the same files published through the real pipeline).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from conftest import query
from walidata.serve import kamus
from walidata.serve import tindak_lanjut as tl
from walidata.serve.indikator import ekspor
from walidata.serve.indikator.jalankan import jalankan

PROVINSI = "62"
KATINGAN = "62.06"
# numerators scaled down per kab/kota (never above their denominator), every figure scaled up: ranks differ
PEMBILANG = ("dokter_umum", "sudah_rekam")


def kabkota_provinsi(url: str) -> dict[str, str]:
    return dict(query(url, "SELECT kode_kemendagri, nama FROM ref.wilayah WHERE kode_induk = '62' "
                           "AND tingkat IN ('kabupaten', 'kota') ORDER BY 1"))


def salin_katingan(url: str, kode: str, k: int) -> None:
    """Copy Katingan's kecamatan/desa (ref.wilayah) and its figures in force (every fact table) under `kode`:
    every count × (1 + k % 3) and the numerators in PEMBILANG × (1 - 0.04 k) on top (BPS rates unchanged)."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as c:
        cols = [r[0] for r in c.execute(sa.text(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = 'ref' AND table_name = "
            "'wilayah' ORDER BY ordinal_position")).all()]
        ganti = {"kode_kemendagri": f"'{kode}' || substr(kode_kemendagri, 6)", "kode_bps": "NULL",
                 "kode_induk": f"CASE WHEN tingkat = 'kecamatan' THEN '{kode}' "
                               f"ELSE '{kode}' || substr(kode_induk, 6) END"}
        c.execute(sa.text(f"DELETE FROM ref.wilayah WHERE kode_kemendagri LIKE '{kode}.%'"))
        c.execute(sa.text(f"INSERT INTO ref.wilayah ({', '.join(cols)}) SELECT "
                          f"{', '.join(ganti.get(x, x) for x in cols)} FROM ref.wilayah "
                          f"WHERE kode_kemendagri LIKE '62.06.%'"))
        tables = [r[0] for r in c.execute(sa.text(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'fact' AND table_name LIKE "
            "'%\\_\\_riwayat' ESCAPE '\\'")).all()]
        pembilang = ", ".join(f"'{v}'" for v in PEMBILANG)
        for t in tables:
            tcols = [r[0] for r in c.execute(sa.text(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = 'fact' AND table_name = "
                f"'{t}' ORDER BY ordinal_position")).all()]
            nilai = (f"ROUND(nilai * {1 + k % 3} * CASE WHEN variabel IN ({pembilang}) THEN {1 - 0.04 * k} "
                     f"ELSE 1 END)") if not t.startswith("bps__") else "nilai"  # BPS rates and indices as they are
            ganti = {"kode_wilayah": f"'{kode}' || substr(kode_wilayah, 6)", "nilai": nilai}
            sel = ", ".join(ganti.get(x, f'"{x}"') for x in tcols)
            c.execute(sa.text(f'INSERT INTO fact."{t}" SELECT {sel} FROM fact."{t}" WHERE kode_wilayah LIKE '
                              f"'62.06%' AND berlaku_sampai IS NULL"))
    engine.dispose()


def satu_provinsi(url: str, kecuali: tuple[str, ...] = ()) -> dict[str, str]:
    """Katingan copied to every other kab/kota of the province (except `kecuali`); {kode: nama}."""
    semua = kabkota_provinsi(url)
    for k, kode in enumerate(semua):
        if kode != KATINGAN and kode not in kecuali:
            salin_katingan(url, kode, k)
    return semua


def jumlah(url: str, fakta: str, variabel: tuple[str, ...]) -> dict[tuple[str, str], float]:
    """{(kab/kota, year): the sum of the variables' figures in force}, straight from the fact view."""
    names = ", ".join(f"'{v}'" for v in variabel)
    rows = query(url, f"SELECT substr(f.kode_wilayah, 1, 5), CAST(p.tahun AS VARCHAR), SUM(f.nilai) FROM "
                      f'fact."{fakta}" f JOIN ref.periode p ON p.periode = f.periode WHERE f.variabel IN ({names}) '
                      f"GROUP BY 1, 2")
    return {(r[0], r[1]): float(r[2]) for r in rows}


def mart(url: str, kode: str) -> dict[tuple[str, str], tuple]:
    rows = query(url, "SELECT kode_wilayah, periode, nilai, status, keterangan FROM mart.indikator_nilai "
                      f"WHERE indikator = '{kode}'")
    return {(r[0], r[1]): tuple(r[2:]) for r in rows}


def periksa_dokter(url: str, kabkota: dict[str, str]) -> str:
    """Each kab/kota's doctors per 100,000 and the province's sum(doctors) / sum(population); the year checked."""
    dokter = jumlah(url, "dinkes__tenaga_kesehatan", ("dokter_umum", "dokter_gigi", "dokter_spesialis"))
    penduduk = jumlah(url, "disdukcapil__penduduk_kecamatan", ("jumlah_penduduk",))
    nilai = mart(url, "dokter_per_100000_penduduk")
    tahun = max(p for (w, p), v in nilai.items() if w == KATINGAN and v[1] == "tersedia")
    for kode in kabkota:
        assert nilai[(kode, tahun)][0] == pytest.approx(1e5 * dokter[(kode, tahun)] / penduduk[(kode, tahun)],
                                                        rel=1e-9), kode
    harapan = 1e5 * sum(dokter[(k, tahun)] for k in kabkota) / sum(penduduk[(k, tahun)] for k in kabkota)
    rata = sum(nilai[(k, tahun)][0] for k in kabkota) / len(kabkota)
    assert nilai[(PROVINSI, tahun)][:2] == (pytest.approx(harapan, rel=1e-9), "tersedia")
    assert abs(harapan - rata) > 1e-6 * harapan  # the data tell a ratio of sums from an average of rates
    assert len({round(nilai[(k, tahun)][0], 6) for k in kabkota}) > 5  # the kab/kota really differ
    return tahun


def periksa_ktp(url: str, kabkota: dict[str, str]) -> None:
    rekam = jumlah(url, "disdukcapil__ktp_el", ("sudah_rekam",))
    wajib = jumlah(url, "disdukcapil__ktp_el", ("wajib_ktp",))
    nilai = mart(url, "cakupan_ktp_el")
    tahun = max(p for (w, p), v in nilai.items() if w == KATINGAN and v[1] == "tersedia")
    harapan = 100 * sum(rekam[(k, tahun)] for k in kabkota) / sum(wajib[(k, tahun)] for k in kabkota)
    assert nilai[(PROVINSI, tahun)][:2] == (pytest.approx(harapan, rel=1e-9), "tersedia")
    for kode in kabkota:
        assert nilai[(kode, tahun)][0] == pytest.approx(100 * rekam[(kode, tahun)] / wajib[(kode, tahun)], rel=1e-9)


def test_every_kabkota_and_the_province_from_summed_components(indikator_sandbox, monkeypatch):
    from walidata.settings import get_settings

    url = indikator_sandbox.warehouse_url
    kabkota = satu_provinsi(url)
    assert len(kabkota) == 14
    monkeypatch.setenv("WALIDATA_WILAYAH", PROVINSI)
    hasil = jalankan(get_settings(), "uji-provinsi")
    assert hasil.validasi.startswith("lulus")
    tahun = periksa_dokter(url, kabkota)
    periksa_ktp(url, kabkota)
    # kecamatan of the other kab/kota too, where the indicator has that level
    kec = mart(url, "dokter_per_100000_penduduk")
    assert any(w.startswith("62.71.") and v[1] == "tersedia" for (w, p), v in kec.items() if p == tahun)
    # an index does not add up: the province cell says why, never a number (never an average)
    ipm = mart(url, "indeks_pembangunan_manusia")
    prov = [v for (w, _), v in ipm.items() if w == PROVINSI]
    assert prov and all(v[0] is None and v[1] == "tidak_tersedia" and "IPM" in v[2] and "tidak dihitung" in v[2]
                        for v in prov)
    assert any(v[1] == "tersedia" for (w, _), v in ipm.items() if w == "62.01")
    # the open-data export carries the province's own rows (kab/kota columns empty) beside every kab/kota's
    settings = get_settings()
    ekspor.tulis(settings)
    kode = "dokter_per_100000_penduduk"
    recs = json.loads((Path(settings.terbuka) / kode / f"{kode}.json").read_text(encoding="utf-8"))
    prov = [r for r in recs if r["kode_kabupaten_kota"] is None]
    assert prov and all(r["kode_provinsi"] == PROVINSI and r["nama_provinsi"] == "Kalimantan Tengah" for r in prov)
    assert next(r["nilai"] for r in prov if r["tahun"] == int(tahun)) == pytest.approx(
        mart(url, kode)[(PROVINSI, tahun)][0])
    assert {r["kode_kabupaten_kota"] for r in recs} - {None} == set(kabkota)
    assert kamus.build(settings).startswith("# Kamus data Walidata — Kalimantan Tengah (62)\n")  # the scope named


def test_a_kabkota_without_inputs_leaves_the_province_uncomputed_and_named(indikator_sandbox, monkeypatch,
                                                                           tmp_path):
    from walidata.settings import get_settings

    url = indikator_sandbox.warehouse_url
    satu_provinsi(url, kecuali=("62.71",))  # Kota Palangkaraya has no figures at all
    monkeypatch.setenv("WALIDATA_WILAYAH", PROVINSI)
    assert jalankan(get_settings(), "uji-kurang").validasi.startswith("lulus")
    nilai = mart(url, "dokter_per_100000_penduduk")
    prov = {p: v for (w, p), v in nilai.items() if w == PROVINSI}
    assert prov and all(v[0] is None and v[1] == "tidak_tersedia" for v in prov.values())
    assert all("Kota Palangkaraya (62.71)" in v[2] and "1 dari 14 kabupaten/kota" in v[2] for v in prov.values())
    assert any(v[1] == "tersedia" for (w, _), v in nilai.items() if w == "62.01")
    # the follow-up list goes through every kab/kota in scope and says which are late
    settings = get_settings().model_copy(update={"lake": tmp_path / "lake"})
    rows, path = tl.jalankan(settings, dt.date(2026, 12, 8))
    assert rows and all(r.periode_terakhir is None and "Kota Palangkaraya (62.71): belum pernah terbit" in r.wilayah
                        for r in rows)
    assert "wilayah yang terlambat: " in tl.pesan(rows[0])
    sheet = load_workbook(path)[rows[0].opd]
    header, first = [list(r) for r in sheet.iter_rows(values_only=True, max_row=2)]
    assert header[-1] == "Wilayah terlambat" and "Kota Palangkaraya (62.71)" in first[-1]


def test_the_default_single_region_has_no_province_cell(indikator_sandbox):
    url = indikator_sandbox.warehouse_url
    salin_katingan(url, "62.01", 1)  # a second kab/kota with figures, not the whole province
    assert jalankan(indikator_sandbox, "uji-satu").validasi.startswith("lulus")
    wilayah = {r[0] for r in query(url, "SELECT DISTINCT kode_wilayah FROM mart.indikator_nilai")}
    assert PROVINSI not in wilayah and {"62.06", "62.01"} <= wilayah


@pytest.mark.postgres
def test_the_province_on_postgresql(sandbox, postgres_url, tmp_path, monkeypatch):
    """The same on PostgreSQL: the sample files published through the real pipeline, then copied."""
    from walidata.pipeline import run_dataset
    from walidata.settings import get_settings

    monkeypatch.setenv("WALIDATA_WAREHOUSE_URL", postgres_url)
    monkeypatch.setenv("WALIDATA_LAKE", str(tmp_path / "lake_pg"))
    settings = get_settings()
    for ds in ("disdukcapil.penduduk_kecamatan", "dinkes.tenaga_kesehatan", "disdukcapil.ktp_el"):
        run_dataset(ds, "uji-pg", settings)
    kabkota = satu_provinsi(postgres_url)
    monkeypatch.setenv("WALIDATA_WILAYAH", PROVINSI)
    assert jalankan(get_settings(), "uji-pg-provinsi").validasi.startswith("lulus")
    periksa_dokter(postgres_url, kabkota)
    periksa_ktp(postgres_url, kabkota)
