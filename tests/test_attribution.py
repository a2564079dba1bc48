"""Region as data: every row is attributed to the region it names, never assumed to be ours.

Small CSV files written here, read by the real reader against the whole country's reference."""

from __future__ import annotations

import pytest

from walidata.catalog import Dataset
from walidata.settings import PROJECT_ROOT
from walidata.sources.spreadsheet import SourceError
from walidata.standardise.records import standardise_files
from walidata.standardise.reference import IndeksWilayah

REF = PROJECT_ROOT / "include" / "reference"
META = {"konsep": "k", "definisi": "d", "satuan": "kejadian", "ukuran": "jumlah", "klasifikasi_penyajian": ["x"],
        "jadwal_pemutakhiran": "tahunan", "produsen_data": "p", "dimensi_smart_city": ["society"]}


def dataset(level: str, kolom: list[dict], **extra) -> Dataset:
    spec = {"id": "uji.data", "opd": "uji", "judul": "Uji", "deskripsi": "uji", "variabel": "jumlah",
            "tingkat_wilayah": level, "metadata": META,
            "sumber": {"kind": "spreadsheet", "pola_file": ["*.csv"], "periode": {"dari": "kolom"},
                       **extra.pop("sumber", {})}, "kolom": kolom, **extra}
    return Dataset.model_validate(spec)


def read(tmp_path, ds: Dataset, text: str, wilayah: str, name: str = "data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return standardise_files(ds, [(path, name)], IndeksWilayah(REF, wilayah))


KABKOTA = [
    {"name": "kode", "alias": ["kode_kabupaten_kota"], "peran": "kabupaten_kota"},
    {"name": "nama", "alias": ["nama_kabupaten_kota"], "peran": "kabupaten_kota"},
    {"name": "jumlah", "alias": ["jumlah"], "peran": "nilai"},
    {"name": "tahun", "alias": ["tahun"], "peran": "periode"},
]
PROVINCIAL = """kode_kabupaten_kota,nama_kabupaten_kota,jumlah,tahun
32,JAWA BARAT,60,2024
3204,KABUPATEN BANDUNG,17,2024
3217,KABUPATEN BANDUNG BARAT,2,2024
3273,KOTA BANDUNG,6,2024
3201,KABUPATEN BOGOR,35,2024
"""


@pytest.mark.parametrize("wilayah, value", [("32.73", 6), ("32.04", 17)])
def test_a_provincial_file_gives_each_kabupaten_kota_its_own_row(tmp_path, wilayah, value):
    out = read(tmp_path, dataset("kabupaten", KABKOTA), PROVINCIAL, wilayah)
    frame = out.frame()
    assert frame[["kode_wilayah", "nilai"]].values.tolist() == [[wilayah, value]]  # Kota ≠ Kabupaten Bandung
    assert out.lain.num_rows == 3  # the other kabupaten/kota: set aside, counted
    assert set(out.lain.column("kode_wilayah").to_pylist()) == {"32.04", "32.17", "32.73", "32.01"} - {wilayah}
    totals = out.totals.to_pandas()  # the province row leads; it is checked against the rows below it
    assert totals[totals.jenis == "total"].nilai_total.tolist() == [60]


def test_the_province_total_is_checked_against_every_kabupaten_row(tmp_path):
    import shutil

    from walidata.validate.outcome import validate

    ds = dataset("kabupaten", KABKOTA)
    gx = tmp_path / "gx"
    shutil.copytree(PROJECT_ROOT / "great_expectations", gx, ignore=shutil.ignore_patterns("uncommitted"))
    wilayah = IndeksWilayah(REF, "32.73")
    for text, ok in ((PROVINCIAL, True), (PROVINCIAL.replace("32,JAWA BARAT,60", "32,JAWA BARAT,61"), False)):
        out = read(tmp_path, ds, text, "32.73")
        outcome = validate(ds, out.frame(), out.totals.to_pandas(), wilayah, gx, "t", today=None)
        sums = [r for r in outcome.results if r["expectation"] == "walidata_jumlah_kecamatan_sama_dengan_total"]
        assert sums[0]["success"] is ok, sums


def test_a_code_and_a_name_that_disagree_are_a_problem_not_a_guess(tmp_path):
    text = "kode_kabupaten_kota,nama_kabupaten_kota,jumlah,tahun\n6206,KATINGAN,5,2024\n6209,KATINGAN,7,2024\n"
    frame = read(tmp_path, dataset("kabupaten", KABKOTA), text, "62.06").frame()
    # BPS 6206 is Sukamara, BPS 6209 is Katingan (Kemendagri 62.06).
    assert "'KATINGAN' (62.06) tidak sama dengan '6206' (62.08) di kolom A" in frame.masalah.iloc[0]
    # A code that contradicts its name may mean the period's rows are shifted: none of them is taken.
    assert "kode dan nama wilayah bertentangan pada baris lain periode 2024 (mulai baris 2;" in frame.masalah.iloc[1]
    other_year = text.replace("6209,KATINGAN,7,2024", "6209,KATINGAN,7,2023")
    frame = read(tmp_path, dataset("kabupaten", KABKOTA), other_year, "62.06").frame()
    assert frame[frame.masalah.isna()][["kode_wilayah", "periode", "nilai"]].values.tolist() == [["62.06", "2023", 7]]


def test_a_name_without_kota_or_kabupaten_is_not_guessed(tmp_path):
    kolom = [{"name": "nama", "alias": ["kabupaten/kota"], "peran": "kabupaten_kota"}, *KABKOTA[2:]]
    text = "kabupaten/kota,jumlah,tahun\nBandung,17,2024\nKota Bandung,6,2024\n"
    frame = read(tmp_path, dataset("kabupaten", kolom), text, "32.04").frame()
    assert "'Bandung' bisa Kabupaten Bandung (32.04) atau Kota Bandung (32.73)" in frame.masalah.iloc[0]
    # BPS tables write kabupaten without a prefix: the catalog can say so.
    kolom[0]["tanpa_awalan"] = "kabupaten"
    out = read(tmp_path, dataset("kabupaten", kolom), text, "32.04")
    assert out.frame()[["kode_wilayah", "nilai"]].values.tolist() == [["32.04", 17]] and out.lain.num_rows == 1


KECAMATAN = [{"name": "kecamatan", "alias": ["kecamatan"], "peran": "kecamatan"},
             {"name": "jumlah", "alias": ["jumlah"], "peran": "nilai"},
             {"name": "tahun", "alias": ["tahun"], "peran": "periode"}]


def test_unknown_and_elsewhere_kecamatan_are_reported_with_their_cause(tmp_path):
    text = "kecamatan,jumlah,tahun\nKatingan Hilirr,1,2024\nMentaya Hulu,2,2024\nKatingan Hilir,3,2024\n"
    out = read(tmp_path, dataset("kecamatan", KECAMATAN), text, "62.06")
    frame = out.frame()
    assert "tidak dikenal di Kabupaten Katingan (62.06); mungkin maksudnya: Katingan Hilir (62.06.02)" in \
        frame.masalah.iloc[0]
    # A kecamatan of another kabupaten is that kabupaten's row: set aside, with where it belongs.
    assert out.lain.column("alasan").to_pylist() == [
        "'Mentaya Hulu' adalah kecamatan di Kabupaten Kotawaringin Timur (62.02), bukan di Kabupaten Katingan (62.06)"]
    assert frame[frame.masalah.isna()].kode_wilayah.tolist() == ["62.06.02"]


def test_any_kabupaten_reads_its_kecamatan(tmp_path):
    text = "kecamatan,jumlah,tahun\nCoblong,1,2024\nKEC. ANDIR,2,2024\nAstanaanyar,3,2024\nKota Bandung,6,2024\n"
    out = read(tmp_path, dataset("kecamatan", KECAMATAN), text, "32.73")
    assert out.frame().kode_wilayah.tolist() == ["32.73.02", "32.73.05", "32.73.10"]
    assert out.totals.to_pandas().nilai_total.tolist() == [6]  # 'Kota Bandung' under its kecamatan: the total


def test_a_kecamatan_named_like_its_kabupaten_is_the_kecamatan(tmp_path):
    text = "kecamatan,jumlah,tahun\nBantul,1,2024\nSewon,2,2024\nKabupaten Bantul,3,2024\n"
    out = read(tmp_path, dataset("kecamatan", KECAMATAN), text, "34.02")
    assert out.frame().kode_wilayah.tolist() == ["34.02.08", "34.02.15"]
    assert out.totals.to_pandas().nilai_total.tolist() == [3]


def test_a_file_with_no_row_of_ours_is_refused(tmp_path):
    with pytest.raises(SourceError, match=r"tidak ada baris untuk Kabupaten Katingan \(62.06\) pada tingkat "
                                          r"kabupaten: 4 baris milik wilayah lain \(KABUPATEN BANDUNG \(32.04\): 1"):
        read(tmp_path, dataset("kabupaten", KABKOTA), PROVINCIAL, "62.06")


def test_province_level_takes_the_region_s_province(tmp_path):
    kolom = [{"name": "kode", "alias": ["kode_provinsi"], "peran": "provinsi"},
             {"name": "nama", "alias": ["nama_provinsi"], "peran": "provinsi"}, *KABKOTA[2:]]
    text = ("kode_provinsi,nama_provinsi,jumlah,tahun\n62,KALIMANTAN TENGAH,2700080,2021\n32,JAWA BARAT,48738810,2021\n"
            "94,PAPUA,4303707,2021\n,INDONESIA,272682500,2021\n")
    out = read(tmp_path, dataset("provinsi", kolom), text, "62.06")
    assert out.frame()[["kode_wilayah", "nilai"]].values.tolist() == [["62", 2700080]]
    assert set(out.lain.column("kode_wilayah").to_pylist()) == {"32", "91"}  # BPS 94 is Kemendagri 91 (Papua)


@pytest.mark.parametrize("peran", [None, "abaikan"])
def test_a_region_column_the_catalog_forgot_stops_the_file(tmp_path, peran):
    kolom = [*KABKOTA[2:]] + ([{"name": "kk", "alias": ["nama_kabupaten_kota"], "peran": peran}] if peran else [])
    ds = dataset("kabupaten", kolom)
    text = "nama_kabupaten_kota,jumlah,tahun\nKABUPATEN BOGOR,1,2024\nKOTA BOGOR,2,2024\nKABUPATEN BANDUNG,3,2024\n"
    with pytest.raises(SourceError) as exc:
        read(tmp_path, ds, text, "32.01")
    assert "kolom A: kolom ini berisi nama atau kode wilayah ('KABUPATEN BOGOR', 'KOTA BOGOR'" in str(exc.value)


def test_an_own_table_titled_for_another_region_is_refused(tmp_path):
    kolom = [{"name": "bulan", "alias": ["bulan"], "peran": "periode"}, {"name": "jumlah", "alias": ["jumlah"],
                                                                         "peran": "nilai"}]
    ds = dataset("kabupaten", kolom, sumber={"periode": {"dari": "kolom", "tahun_dari": "judul"}})
    own = "Timbulan Sampah Kabupaten Katingan 2024\n\nbulan,jumlah\nJanuari,5\n"
    assert read(tmp_path, ds, own, "62.06").frame().kode_wilayah.tolist() == ["62.06"]
    with pytest.raises(SourceError, match=r"judul tabel menyebut Jawa Barat \(32\), bukan Kota Bandung \(32.73\)"):
        read(tmp_path, ds, own.replace("Kabupaten Katingan", "Provinsi Jawa Barat"), "32.73")


def test_an_event_log_is_summed_per_code_not_per_spelling(tmp_path):
    kolom = [{"name": "tanggal", "alias": ["tanggal"], "peran": "tanggal"},
             {"name": "kecamatan", "alias": ["kecamatan"], "peran": "kecamatan"},
             {"name": "korban", "alias": ["korban"], "peran": "nilai", "variabel": "korban", "satuan": "jiwa"}]
    ds = dataset("kecamatan", kolom, sumber={"periode": {"dari": "tanggal", "granularitas": "bulan"},
                                             "agregasi": {"hitung": "jumlah_kasus", "satuan": "kasus"}})
    text = ("tanggal,kecamatan,korban\n03/01/2024,Katingan Hilir,2\n09/01/2024,KEC. KATINGAN HILIR,3\n"
            "12/01/2024,Kasongan,1\n")
    frame = read(tmp_path, ds, text, "62.06").frame()
    assert frame[["variabel", "kode_wilayah", "periode", "nilai", "satuan"]].values.tolist() == [
        ["jumlah_kasus", "62.06.02", "2024-01", 3, "kasus"], ["korban", "62.06.02", "2024-01", 6, "jiwa"]]


def test_a_code_settles_a_name_that_could_be_two_regions(tmp_path):
    text = "kode_kabupaten_kota,nama_kabupaten_kota,jumlah,tahun\n3204,BANDUNG,17,2024\n3273,KOTA BANDUNG,6,2024\n"
    out = read(tmp_path, dataset("kabupaten", KABKOTA), text, "32.04")
    assert out.frame()[["kode_wilayah", "nilai"]].values.tolist() == [["32.04", 17]] and out.lain.num_rows == 1


def test_a_bad_name_in_another_region_s_row_is_theirs_not_a_problem(tmp_path):
    kolom = [{"name": "kota", "alias": ["kota"], "peran": "kabupaten_kota"}, *KECAMATAN]
    text = ("kota,kecamatan,jumlah,tahun\nJakarta Utara,CILIINCING,5,2020\nJakarta Timur,Kramat Jati,7,2020\n"
            "Jakarta Timur,Kramatt Jati,1,2020\n")
    out = read(tmp_path, dataset("kecamatan", kolom), text, "31.75")
    frame = out.frame()
    assert frame.kode_wilayah.iloc[0] == "31.75.04" and frame.kode_wilayah.isna().iloc[1]  # ours; our own typo
    assert "mungkin maksudnya: Kramatjati (31.75.04)" in frame.masalah.iloc[1]  # the official spelling
    assert out.lain.column("kode_wilayah").to_pylist() == ["31.72"]  # theirs, whatever the kecamatan is
    assert "Kota Administrasi Jakarta Utara (31.72) di luar Kota Administrasi Jakarta Timur (31.75)" in \
        out.lain.column("alasan")[0].as_py()


def test_an_ambiguous_kabupaten_none_of_whose_readings_is_ours_sets_the_row_aside(tmp_path):
    """'SUKABUMI' (Kabupaten 32.02 or Kota 32.72), read for Kabupaten Bogor: not ours either way, so its kecamatan
    'CARINGIN' and desa 'CARINGIN' are never looked up among Bogor's, which has both (the DPMDes road survey of
    Jawa Barat gave Bogor 76 of Sukabumi's rows that way)."""
    kolom = [{"name": "kab", "alias": ["kabupaten"], "peran": "kabupaten_kota"},
             {"name": "kec", "alias": ["kecamatan"], "peran": "kecamatan"},
             {"name": "desa", "alias": ["desa"], "peran": "desa"},
             {"name": "n", "alias": ["panjang"], "peran": "nilai"}]
    ds = dataset("desa", kolom, sumber={"periode": {"dari": "tetap", "nilai": "2025"}})
    text = ("kabupaten,kecamatan,desa,panjang\nSUKABUMI,CARINGIN,CARINGIN,100\n"
            "KABUPATEN BOGOR,CARINGIN,CARINGIN,70\nSUKABUMI,CARINGIN,CARINGIN WETAN,40\nSUKABUMI,CIEMAS,MEKARJAYA,9\n")
    out = read(tmp_path, ds, text, "32.01")
    frame = out.frame()
    # Sukabumi's desa unknown in Bogor's Caringin, or its kecamatan unknown in Bogor: theirs, not our problem
    assert frame[["kode_wilayah", "nilai"]].values.tolist() == [["32.01.27.2004", 70]] and frame.masalah.isna().all()
    assert out.lain.column("sumber_baris").to_pylist() == [2, 4, 5]
