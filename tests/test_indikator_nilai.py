"""The Smart City indicators' values on the published sample, recomputed by hand.

Every indicator is computed once by the runner (`jalankan`) over a copy of the sample warehouse; each value in
mart.indikator_nilai is then checked against arithmetic done here in pandas straight from the published figures
(the `fact` views): kecamatan and desa summed to the kabupaten here, months summed to years here, divided here,
independently of the indicators' SQL and the staging templates. Checked for the kabupaten 62.06 in every year,
one kecamatan (62.06.01) where the indicator has a kecamatan level, and two months where it is monthly.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import yaml

from conftest import ROOT

KABUPATEN = "62.06"
KECAMATAN = "62.06.01"
KECAMATAN_SEMUA = [f"62.06.{i:02d}" for i in range(1, 14)]
TAHUN = ["2023", "2024", "2025"]
BULAN = ["2024-03", "2025-08"]
DIMENSI = {"governance", "branding", "economy", "living", "society", "environment"}
EKONOMI_BPS = ["pdrb_per_kapita", "tingkat_pengangguran_terbuka", "indeks_pembangunan_manusia",
               "persentase_penduduk_miskin"]
MS_IND_TEKS = ["nama", "konsep", "definisi", "interpretasi", "rumus", "ukuran", "satuan",
               "kegiatan_penghasil_variabel_pembangun"]
MS_IND_DAFTAR = ["klasifikasi_penyajian", "variabel_pembangun", "level_estimasi"]
NAN = float("nan")


def _decls():
    import sys

    sys.path.insert(0, str(ROOT / "include"))
    from walidata.serve.indikator.spec import load_indikator

    return load_indikator(ROOT / "include" / "indikator")


DECLS = {d.kode: d for d in _decls()}


# ----------------------------------------------------------------------------- the published figures, by hand


class Angka:
    """The published sample figures (fact views) and the hand arithmetic on them."""

    def __init__(self, con):
        self.con = con
        self._fakta: dict[str, object] = {}
        wil = con.execute("SELECT kode_kemendagri, tingkat, kode_induk FROM ref.wilayah "
                          "WHERE kode_kemendagri LIKE '62.06%'").fetchdf()
        self.kecamatan = wil[wil.tingkat == "kecamatan"]
        self.desa = wil[wil.tingkat.isin(["desa", "kelurahan"])]
        self.luas = con.execute("SELECT luas_km2 FROM ref.wilayah WHERE kode_kemendagri = ?", [KABUPATEN]).fetchone()[0]

    def fakta(self, dataset: str):
        if dataset not in self._fakta:
            table = dataset.replace(".", "__")
            self._fakta[dataset] = self.con.execute(f'SELECT * FROM fact."{table}"').fetchdf()
        return self._fakta[dataset]

    def _bagian(self, kode: str, panjang: int) -> int:
        """How many regions at the dataset's level (5 kabupaten, 8 kecamatan, 13 desa) make up `kode`."""
        if len(kode) == panjang:
            return 1
        if panjang == 8:
            return int((self.kecamatan.kode_induk == kode).sum())
        return int(self.desa.kode_kemendagri.str.startswith(kode + ".").sum())

    def total(self, dataset: str, variabel: str, kode: str, periode: str, jarang: bool = False, **rincian) -> float:
        """The sum of a variable over region `kode` (its own rows, or all its kecamatan/desa) in `periode` (a year
        sums its twelve months); NaN when a part, a month or a figure is missing (an event log: no row is zero)."""
        df = self.fakta(dataset)
        df = df[df.variabel == variabel]
        for col, val in rincian.items():
            df = df[df[col] == val]
        bulanan = df.periode.str.len().max() == 7
        if len(periode) == 4 and bulanan:
            semua_bulan = self.fakta(dataset)
            semua_bulan = semua_bulan[semua_bulan.periode.str.startswith(periode + "-")]
            if semua_bulan.periode.nunique() != 12:  # the year is not complete
                return NAN
            sel = df[df.periode.str.startswith(periode + "-")]
        else:
            if jarang and not (self.fakta(dataset).periode == periode).any():
                return NAN  # a period the event log never reported is missing, not zero
            sel = df[df.periode == periode]
        sel = sel[(sel.kode_wilayah == kode) | sel.kode_wilayah.str.startswith(kode + ".")]
        if sel.nilai.isna().any():
            return NAN
        if jarang:
            return float(sel.nilai.sum())
        panjang = int(df.kode_wilayah.str.len().max())
        if sel.kode_wilayah.nunique() != self._bagian(kode, panjang):
            return NAN
        if len(periode) == 4 and bulanan and sel.groupby("kode_wilayah").periode.nunique().min() != 12:
            return NAN
        return float(sel.nilai.sum())

    def penduduk(self, kode: str, periode: str, **rincian) -> float:
        return self.total("disdukcapil.penduduk_kecamatan", "jumlah_penduduk", kode, periode, **rincian)


def bagi(a: float, b: float) -> float:
    if math.isnan(a) or math.isnan(b):
        return NAN
    return math.inf if b == 0 else a / b


def _dokter(a: Angka, w: str, p: str) -> float:
    dokter = sum(a.total("dinkes.tenaga_kesehatan", v, w, p) for v in ("dokter_umum", "dokter_gigi",
                                                                        "dokter_spesialis"))
    return 100000 * bagi(dokter, a.penduduk(w, p))


def _kekerasan(a: Angka, w: str, p: str) -> float:
    korban = a.total("dp3ap2kb.kekerasan", "jumlah_korban", w, p)
    pembagi = a.penduduk(w, p, jenis_kelamin="P") + a.total("disdukcapil.akta_kelahiran", "anak_0_17", w, p)
    return 100000 * bagi(korban, pembagi)


def _laju(a: Angka, w: str, p: str) -> float:
    return 100 * (bagi(a.penduduk(w, p), a.penduduk(w, str(int(p) - 1))) - 1)


# kode → the value for (region, period) computed by hand from the published figures
HITUNG = {
    # governance
    "cakupan_akta_kelahiran": lambda a, w, p: 100 * bagi(a.total("disdukcapil.akta_kelahiran", "anak_berakta", w, p),
                                                         a.total("disdukcapil.akta_kelahiran", "anak_0_17", w, p)),
    "cakupan_ktp_el": lambda a, w, p: 100 * bagi(a.total("disdukcapil.ktp_el", "sudah_rekam", w, p),
                                                 a.total("disdukcapil.ktp_el", "wajib_ktp", w, p)),
    "layanan_publik_daring": lambda a, w, p: 100 * bagi(a.total("diskominfo.layanan_daring", "layanan_daring", w, p),
                                                        a.total("diskominfo.layanan_daring", "layanan_publik", w, p)),
    "desa_sinyal_4g": lambda a, w, p: 100 * bagi(a.total("diskominfo.sinyal_4g", "desa_4g", w, p),
                                                 a.total("diskominfo.sinyal_4g", "jumlah_desa", w, p)),
    "desa_tanpa_sinyal": lambda a, w, p: 100 * bagi(a.total("diskominfo.sinyal_4g", "desa_tanpa_sinyal", w, p),
                                                    a.total("diskominfo.sinyal_4g", "jumlah_desa", w, p)),
    # branding
    "jumlah_kunjungan_wisatawan": lambda a, w, p: a.total("disbudpar.kunjungan_wisata", "kunjungan_wisatawan", w, p),
    "kunjungan_wisatawan_per_1000_penduduk": lambda a, w, p: 1000 * bagi(
        a.total("disbudpar.kunjungan_wisata", "kunjungan_wisatawan", w, p), a.penduduk(w, p)),
    "persentase_wisatawan_mancanegara": lambda a, w, p: 100 * bagi(
        a.total("disbudpar.kunjungan_wisata", "kunjungan_wisatawan", w, p, asal="mancanegara"),
        a.total("disbudpar.kunjungan_wisata", "kunjungan_wisatawan", w, p, asal="mancanegara")
        + a.total("disbudpar.kunjungan_wisata", "kunjungan_wisatawan", w, p, asal="nusantara")),
    # living
    "kepadatan_penduduk": lambda a, w, p: bagi(a.penduduk(w, p), a.luas),
    "laju_pertumbuhan_penduduk": _laju,
    "dokter_per_100000_penduduk": _dokter,
    "tempat_tidur_rs_per_100000_penduduk": lambda a, w, p: 100000 * bagi(
        a.total("dinkes.fasilitas_kesehatan", "tempat_tidur_rs", w, p), a.penduduk(w, p)),
    "puskesmas_per_30000_penduduk": lambda a, w, p: bagi(a.total("dinkes.fasilitas_kesehatan", "puskesmas", w, p),
                                                         a.penduduk(w, p) / 30000),
    "prevalensi_stunting": lambda a, w, p: 100 * bagi(a.total("dinkes.stunting_desa", "balita_stunting", w, p),
                                                      a.total("dinkes.stunting_desa", "balita_diukur", w, p)),
    "angka_kematian_bayi": lambda a, w, p: 1000 * bagi(a.total("dinkes.kelahiran", "kematian_bayi", w, p),
                                                       a.total("dinkes.kelahiran", "lahir_hidup", w, p)),
    # society
    "rasio_jenis_kelamin": lambda a, w, p: 100 * bagi(a.penduduk(w, p, jenis_kelamin="L"),
                                                      a.penduduk(w, p, jenis_kelamin="P")),
    "kejadian_bencana_per_100000": lambda a, w, p: 100000 * bagi(
        a.total("bpbd.kejadian_bencana", "jumlah_kejadian", w, p, jarang=True), a.penduduk(w, p)),
    "korban_meninggal_bencana_per_100000": lambda a, w, p: 100000 * bagi(
        a.total("bpbd.kejadian_bencana", "korban_meninggal", w, p, jarang=True), a.penduduk(w, p)),
    "rasio_murid_guru": lambda a, w, p: bagi(a.total("disdik.sekolah", "murid", w, p),
                                             a.total("disdik.sekolah", "guru", w, p)),
    "kekerasan_perempuan_anak_per_100000": _kekerasan,
    "cakupan_kb_aktif": lambda a, w, p: 100 * bagi(a.total("dp3ap2kb.kb_aktif", "peserta_kb_aktif", w, p),
                                                   a.total("dp3ap2kb.kb_aktif", "pus", w, p)),
    # economy: BPS's own figures for the kabupaten (BPS WebAPI, through the sample server), as published
    "persentase_penduduk_miskin": lambda a, w, p: a.total("bps.kemiskinan", "persentase_penduduk_miskin", w, p),
    "pdrb_per_kapita": lambda a, w, p: a.total("bps.pdrb", "pdrb_per_kapita_adhb", w, p),
    "tingkat_pengangguran_terbuka": lambda a, w, p: a.total("bps.ketenagakerjaan", "tingkat_pengangguran_terbuka",
                                                            w, p),
    "indeks_pembangunan_manusia": lambda a, w, p: a.total("bps.ipm", "indeks_pembangunan_manusia", w, p),
    # environment
    "luas_karhutla": lambda a, w, p: a.total("bpbd.kejadian_bencana", "luas_terbakar", w, p, jarang=True,
                                             jenis_bencana="karhutla"),
    "jumlah_titik_panas": lambda a, w, p: a.total("dlh.titik_panas", "titik_panas", w, p),
    "sampah_terkelola": lambda a, w, p: 100 * bagi(a.total("dlh.sampah", "sampah_terkelola", w, p),
                                                   a.total("dlh.sampah", "timbulan_sampah", w, p)),
    "timbulan_sampah_per_kapita": lambda a, w, p: bagi(1000 * a.total("dlh.sampah", "timbulan_sampah", w, p),
                                                       a.penduduk(w, p)),
}


# ----------------------------------------------------------------------------- one run of the runner per module

_CACHE: dict[str, object] = {}


@pytest.fixture
def hasil(indikator_sandbox):
    """The mart after one `jalankan` over a copy of the published sample, and the figures it came from (the run
    happens once per module; later tests reuse its result)."""
    if not _CACHE:
        import duckdb
        from sqlalchemy.engine import make_url

        from walidata.serve.indikator.jalankan import jalankan

        ringkasan = jalankan(indikator_sandbox, "uji", paksa=True)
        con = duckdb.connect(make_url(indikator_sandbox.warehouse_url).database, read_only=True)
        try:
            mart = con.execute("SELECT indikator, kode_wilayah, periode, nilai, status, keterangan "
                               "FROM mart.indikator_nilai").fetchdf()
            angka = Angka(con)
            for ds in {m.dataset for d in DECLS.values() for m in d.indikator.masukan.values()}:
                angka.fakta(ds)  # read everything now: the connection closes below
        finally:
            con.close()
        angka.con = None
        _CACHE.update(ringkasan=ringkasan, mart=mart, angka=angka)
    return _CACHE


def sel(mart, kode: str, wilayah: str, periode: str) -> dict:
    rows = mart[(mart.indikator == kode) & (mart.kode_wilayah == wilayah) & (mart.periode == periode)]
    assert len(rows) == 1, f"{kode} {wilayah} {periode}: {len(rows)} cells in mart.indikator_nilai"
    return rows.iloc[0].to_dict()


def kosong(nilai) -> bool:
    return nilai is None or (isinstance(nilai, float) and math.isnan(nilai))


def kasus(kode: str) -> list[tuple[str, str]]:
    """The kabupaten and 62.06.01 in every year and the two months; the other kecamatan in every year too."""
    ind = DECLS[kode].indikator
    kec = "kecamatan" in ind.level_estimasi
    out = []
    if "tahun" in ind.periode:
        out += [(w, p) for w in [KABUPATEN] + (KECAMATAN_SEMUA if kec else []) for p in TAHUN]
    if "bulan" in ind.periode:
        out += [(w, p) for w in [KABUPATEN] + ([KECAMATAN] if kec else []) for p in BULAN]
    return out


# ----------------------------------------------------------------------------- the declarations


def test_at_least_24_indicators_cover_all_six_dimensions():
    assert len(DECLS) >= 24
    assert {d.indikator.dimensi for d in DECLS.values()} == DIMENSI
    for dim in DIMENSI:
        assert sum(d.indikator.dimensi == dim for d in DECLS.values()) >= 3, dim


def test_every_indicator_has_a_hand_computation():
    assert set(DECLS) == set(HITUNG) and set(EKONOMI_BPS) <= set(HITUNG)


@pytest.mark.parametrize("kode", sorted(DECLS))
def test_the_ms_ind_metadata_is_complete(kode):
    d = DECLS[kode]
    ind = d.indikator
    raw = yaml.safe_load(Path(d.path).read_text(encoding="utf-8"))
    for f in MS_IND_TEKS:
        assert isinstance(raw.get(f), str) and raw[f].strip(), f"{kode}: {f} is empty"
    for f in MS_IND_DAFTAR:
        assert raw.get(f) and all(str(x).strip() for x in raw[f]), f"{kode}: {f} is empty"
    for f in ("komposit", "dapat_diakses_umum"):  # Ya/Tidak in MS-Ind: stated, not left to a default
        assert isinstance(raw.get(f), bool), f"{kode}: {f} is not stated"
    assert ind.masukan and ind.periode
    # a population divisor states its source
    if any(m.dataset == "disdukcapil.penduduk_kecamatan" for m in ind.masukan.values()):
        assert ind.sumber_penduduk == "dukcapil", kode
    # a percentage is bounded by 0 and 100
    if ind.ukuran == "persentase" and kode != "laju_pertumbuhan_penduduk":
        assert (ind.rentang.min, ind.rentang.maks) == (0, 100), kode
    else:
        assert ind.rentang.lebih_dari_nol or ind.rentang.min is not None, kode
    # the SQL file exists beside it and is portable: no DuckDB-only shorthand
    sql = d.sql.lower()
    for bad in ("::", "//", "try_cast", "ifnull(", "list_", "struct_", "qualify"):
        assert bad not in sql, f"{kode}: {bad!r} is not portable to PostgreSQL"


# ----------------------------------------------------------------------------- the values


@pytest.mark.parametrize("kode", sorted(HITUNG))
def test_the_value_is_the_hand_computed_one(hasil, kode):
    mart, angka = hasil["mart"], hasil["angka"]
    for wilayah, periode in kasus(kode):
        c = sel(mart, kode, wilayah, periode)
        diharapkan = HITUNG[kode](angka, wilayah, periode)
        where = f"{kode} {wilayah} {periode}"
        if math.isnan(diharapkan):
            assert c["status"] == "tidak_tersedia" and kosong(c["nilai"]), (where, c)
        elif math.isinf(diharapkan):
            assert c["status"] == "tidak_terdefinisi" and kosong(c["nilai"]), (where, c)
        else:
            assert c["status"] == "tersedia", (where, c)
            assert c["nilai"] == pytest.approx(diharapkan, rel=1e-9), where


@pytest.mark.parametrize("kode", sorted(HITUNG))
def test_every_cell_in_scope_exists_and_values_are_available_for_the_sample(hasil, kode):
    """One cell for every region and period in scope, and values for every region (the sample holds every input)."""
    mart = hasil["mart"]
    ind = DECLS[kode].indikator
    rows = mart[mart.indikator == kode]
    kab = rows[rows.kode_wilayah == KABUPATEN]
    assert set(kab[kab.periode.str.len() == 4].periode) == (set(TAHUN) if "tahun" in ind.periode else set())
    if "bulan" in ind.periode:
        assert kab[kab.periode.str.len() == 7].periode.nunique() == 36
    kec = rows[rows.kode_wilayah.str.len() == 8]
    assert (kec.kode_wilayah.nunique() == 13) == ("kecamatan" in ind.level_estimasi)
    assert set(rows.status) <= {"tersedia", "tidak_tersedia"}, kode
    assert rows[rows.status == "tersedia"].nilai.notna().all() and rows[rows.status != "tersedia"].nilai.isna().all()
    # every region in scope has values in the sample
    assert rows[rows.status == "tersedia"].kode_wilayah.nunique() == rows.kode_wilayah.nunique(), kode


@pytest.mark.parametrize("kode", EKONOMI_BPS)
def test_economy_indicators_are_bps_figures_fetched_over_http(hasil, kode):
    """The four Smart Economy indicators come from BPS-shaped inputs (the sample BPS WebAPI): every year has
    BPS's value for the kabupaten, and the lineage names the bps.* dataset's load."""
    rows = hasil["mart"][hasil["mart"].indikator == kode]
    assert len(rows) == len(TAHUN) and set(rows.kode_wilayah) == {KABUPATEN}  # kabupaten only, every year
    assert set(rows.status) == {"tersedia"} and rows.nilai.notna().all()
    dataset = next(iter(DECLS[kode].indikator.masukan.values())).dataset
    assert dataset.startswith("bps.") and not hasil["angka"].fakta(dataset).empty


def test_growth_has_no_value_for_the_first_year(hasil):
    mart = hasil["mart"]
    c = sel(mart, "laju_pertumbuhan_penduduk", KABUPATEN, "2023")
    assert c["status"] == "tidak_tersedia" and (c["nilai"] is None or math.isnan(c["nilai"]))
    assert sel(mart, "laju_pertumbuhan_penduduk", KABUPATEN, "2024")["status"] == "tersedia"


def test_an_empty_published_figure_leaves_its_kecamatan_and_kabupaten_without_a_value(hasil):
    """Violence victims 2024: one kecamatan's figure (62.06.13, perempuan) is empty in the sample."""
    mart, angka = hasil["mart"], hasil["angka"]
    assert math.isnan(angka.total("dp3ap2kb.kekerasan", "jumlah_korban", "62.06.13", "2024"))
    for wilayah in ("62.06.13", KABUPATEN):
        c = sel(mart, "kekerasan_perempuan_anak_per_100000", wilayah, "2024")
        assert c["status"] == "tidak_tersedia", c
        assert "dp3ap2kb.kekerasan" in c["keterangan"]
    assert sel(mart, "kekerasan_perempuan_anak_per_100000", "62.06.12", "2024")["status"] == "tersedia"


def test_magnitudes_are_plausible(hasil):
    mart = hasil["mart"]
    kab = mart[(mart.kode_wilayah == KABUPATEN) & (mart.status == "tersedia")]
    bounds = {"cakupan_ktp_el": (80, 100), "prevalensi_stunting": (10, 40), "rasio_jenis_kelamin": (95, 120),
              "rasio_murid_guru": (5, 40), "angka_kematian_bayi": (1, 60), "kepadatan_penduduk": (5, 15),
              "dokter_per_100000_penduduk": (5, 200), "puskesmas_per_30000_penduduk": (0.5, 10),
              "timbulan_sampah_per_kapita": (50, 500), "kunjungan_wisatawan_per_1000_penduduk": (10, 1000),
              "sampah_terkelola": (20, 100), "cakupan_kb_aktif": (30, 90)}
    for kode, (lo, hi) in bounds.items():
        vals = kab[(kab.indikator == kode) & (kab.periode.str.len() == 4)].nilai
        assert len(vals) and vals.between(lo, hi).all(), (kode, list(vals))
