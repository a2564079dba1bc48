"""Every source row accounted for: each non-empty row of a sheet ends in exactly one class (rekaman, masalah,
disisihkan, total, or bukan_data with its reason), and the classes add up to the rows read.

Real xlsx/CSV files in the shapes the issue's held-back files had (issue 20, classes 1, 2, 4, 5, 8), written here
and read by the real reader; each test fails on the reader as it was before row accounting."""

from __future__ import annotations

import openpyxl
import pytest
from test_attribution import KABKOTA, REF, dataset, read

from walidata.sources.spreadsheet import SourceError
from walidata.standardise.records import AKUN_CLASSES, akun_sum, standardise_files
from walidata.standardise.reference import IndeksWilayah


def _xlsx(path, rows: list[list], merged: tuple[str, ...] = ()):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    for row in rows:
        ws.append(row)
    for rng in merged:
        ws.merge_cells(rng)
    wb.save(path)
    return path


def _read_xlsx(ds, path, wilayah="62.06"):
    return standardise_files(ds, [(path, path.name)], IndeksWilayah(REF, wilayah))


def _adds_up(akun: dict) -> None:
    assert akun_sum(akun) == akun["baris"], akun
    assert all(akun[k] >= 0 for k in AKUN_CLASSES)


# ------------------------------------------------------------- 1. column-number rows with the label cells filled

KB_KOLOM = [
    {"name": "bulan", "alias": ["bulan"], "peran": "periode"},
    {"name": "kabupaten", "alias": ["kabupaten"], "peran": "abaikan", "wajib": False},
    {"name": "kecamatan", "alias": ["kecamatan"], "peran": "kecamatan"},
    {"name": "tahun", "alias": ["tahun"], "peran": "tahun"},
    {"name": "jumlah", "alias": ["jumlah"], "peran": "total"},
    {"name": "peserta", "alias": ["iud", "implan", "suntik"], "peran": "nilai", "ganda": True,
     "rincian_header": {"metode": {"iud": "iud", "implan": "implan", "suntik": "suntik"}}},
]
KB_HEADER = ["BULAN", "KABUPATEN", "KECAMATAN", "TAHUN", "NO", "NAMA FASKES", "JUMLAH", "IUD", "IMPLAN", "SUNTIK"]
# the facilities of each block: (faskes, iud, implan, suntik); jumlah = the sum
KB_BLOCKS = {("Januari", "Katingan Hilir"): [("PKM Kasongan", 0, 3, 12), ("Klinik Bina", 0, 1, 7)],
             ("Januari", "Kamipang"): [("PKM Baun Bango", 0, 0, 5)],
             ("Februari", "Katingan Hilir"): [("PKM Kasongan", 0, 2, 10), ("Klinik Bina", 0, 0, 9)],
             ("Februari", "Kamipang"): [("PKM Baun Bango", 0, 1, 4)]}


def _kb_workbook(path, total_cell=None):
    rows = [["LAPORAN PESERTA KB BARU PER FASKES"], [], KB_HEADER]
    for (bulan, kec), faskes in KB_BLOCKS.items():
        # the column-number row of every block, its label cells filled like the data rows below it
        rows.append([bulan, "KATINGAN", kec, 2024, "1", "2", "3= Σ (4-6)", "4", "5", "6"])
        for no, (nama, *v) in enumerate(faskes, 1):
            rows.append([bulan, "KATINGAN", kec, 2024, no, nama, sum(v), *v])
    if total_cell is not None:
        rows[4][6] = total_cell
    return _xlsx(path, rows)


KB = dataset("kecamatan", KB_KOLOM, rincian={"metode": ["iud", "implan", "suntik"]},
             sumber={"pola_file": ["*.xlsx"], "tinggi_header": 1, "periode": {"dari": "kolom", "tahun_dari": "kolom"},
                     "agregasi": {}})  # facilities summed per kecamatan and month (a count per method would be refused)


def test_column_number_rows_inside_the_data_are_known_by_their_value_cells(tmp_path):
    out = _read_xlsx(KB, _kb_workbook(tmp_path / "kb.xlsx"))
    f = out.frame()
    assert f.masalah.isna().all(), f.masalah.dropna().tolist()
    got = {(r.periode, r.kode_wilayah, r.metode): r.nilai for r in f.itertuples() if r.variabel == "jumlah"}
    # by hand from KB_BLOCKS: the column-number rows ('4', '5', '6') are not facilities
    # Katingan Hilir is 62.06.02, Kamipang 62.06.01
    assert got[("2024-01", "62.06.02", "iud")] == 0 and got[("2024-01", "62.06.02", "suntik")] == 19
    assert got[("2024-02", "62.06.02", "implan")] == 2 and got[("2024-02", "62.06.01", "suntik")] == 4
    assert set(f.variabel) == {"jumlah"} and len(f) == 12  # 2 kecamatan × 2 months × 3 methods, nothing more
    akun = out.akuntansi
    _adds_up(akun)
    assert akun == {"baris": 12, "rekaman": 6, "masalah": 0, "disisihkan": 0, "total": 0,
                    "bukan_data": {"header": 1, "judul": 1, "nomor_kolom": 4}}
    assert out.lineage[0]["baris_dilewati"][0] == "baris 4: baris nomor kolom"


@pytest.mark.parametrize("cell, why", [("12 a", "nilai '12 a' bukan bilangan bulat"),
                                       ("dua belas", "nilai 'dua belas' bukan bilangan bulat")])
def test_an_unreadable_row_total_is_a_problem_never_skipped(tmp_path, cell, why):
    path = _kb_workbook(tmp_path / "kb.xlsx")
    wb = openpyxl.load_workbook(path)
    wb.active["G5"] = cell  # the first facility's JUMLAH
    wb.save(path)
    f = _read_xlsx(KB, path).frame()
    bad = f[f.sumber_baris == 5]
    assert len(bad) == 3 and bad.masalah.str.contains(f"kolom G: jumlah: {why}; jumlah baris ini tidak dapat "
                                                      f"diperiksa", regex=False).all()


# ------------------------------------------------------------------------------ 2. zero records, never clean

def test_a_table_without_any_value_column_is_refused_not_called_clean(tmp_path):
    kolom = [{"name": "kode", "alias": ["kode_kabupaten_kota"], "peran": "kabupaten_kota"},
             {"name": "jumlah", "alias": ["jumlah_desa"], "peran": "nilai", "wajib": False},
             {"name": "tahun", "alias": ["tahun"], "peran": "periode"}]
    text = "kode_kabupaten_kota,jumlah_penduduk,tahun\n3204,100,2024\n3273,200,2024\n"
    with pytest.raises(SourceError, match=r"tidak satu pun kolom nilai \(jumlah\) ada di header: tabel ini tidak "
                                          r"memberi satu angka pun"):
        read(tmp_path, dataset("kabupaten", kolom), text, "32.04")


# ---------------------------------------------------------------------- 4. a footer only where a row is a footer

AIR = [{"name": "kecamatan", "alias": ["kecamatan"], "peran": "kecamatan"},
       {"name": "sarana", "alias": ["jumlah sarana"], "peran": "nilai"},
       {"name": "tahun", "alias": ["tahun"], "peran": "periode"},
       {"name": "keterangan", "alias": ["keterangan"], "peran": "abaikan", "wajib": False}]


def test_a_notes_cell_that_starts_like_a_footer_does_not_end_the_table(tmp_path):
    text = ("Jumlah Sarana Air Minum\nketerangan,kecamatan,jumlah sarana,tahun\n"
            ",Kamipang,4,2024\n"
            "Sumber air minum berasal dari sungai,Katingan Hilir,7,2024\n"
            "Sumberjaya dan sekitarnya,Pulau Malan,3,2024\n"
            ",Tewang Sangalang Garing,2,2024\n"
            "Sumber: Dinas PUPR,,,\n")
    out = read(tmp_path, dataset("kecamatan", AIR), text, "62.06")
    f = out.frame()
    assert sorted(f.nilai.tolist()) == [2, 3, 4, 7] and f.masalah.isna().all()
    assert out.lineage[0]["catatan"] == ["Sumber: Dinas PUPR"]
    assert out.akuntansi == {"baris": 7, "rekaman": 4, "masalah": 0, "disisihkan": 0, "total": 0,
                             "bukan_data": {"catatan": 1, "header": 1, "judul": 1}}


def test_figures_below_a_footer_refuse_the_sheet_naming_the_rows(tmp_path):
    text = ("kecamatan,jumlah sarana,tahun\nKamipang,4,2024\nSumber: Dinas PUPR,,\n"
            "Katingan Hilir,7,2024\nPulau Malan,3,2024\n")
    with pytest.raises(SourceError, match=r"2 baris di bawah catatan kaki \(mulai baris 3\) berisi angka di kolom "
                                          r"nilai: baris 4–5"):
        read(tmp_path, dataset("kecamatan", AIR), text, "62.06")


# --------------------------------------------------------------- 5. continuation rows carry no figure of their own

KEGIATAN = [{"name": "kecamatan", "alias": ["kecamatan"], "peran": "kecamatan"},
            {"name": "peserta", "alias": ["peserta"], "peran": "nilai"},
            {"name": "kegiatan", "alias": ["kegiatan"], "peran": "abaikan", "wajib": False}]


def test_continuation_rows_under_a_merged_region_are_counted_as_such_not_as_records(tmp_path):
    rows = [["KECAMATAN", "KEGIATAN", "PESERTA"],
            ["Kamipang", "Penyuluhan", 30], [None, "- sesi pagi"], [None, "- sesi sore"],
            ["Katingan Hilir", "Posyandu", 12], [None, "- lanjutan"],
            ["Pulau Malan", "Penyuluhan", 9]]
    path = _xlsx(tmp_path / "kegiatan.xlsx", rows, merged=("A2:A4", "A5:A6"))
    ds = dataset("kecamatan", KEGIATAN, sumber={"pola_file": ["*.xlsx"], "periode": {"dari": "tetap", "nilai": "2024"},
                                                "agregasi": {"hitung": "jumlah_kegiatan", "satuan": "kegiatan"}})
    out = _read_xlsx(ds, path)
    f = out.frame()
    counts = {r.kode_wilayah: r.nilai for r in f.itertuples() if r.variabel == "jumlah_kegiatan"}
    assert counts == {"62.06.01": 1, "62.06.02": 1, "62.06.04": 1}, counts
    assert f.masalah.isna().all()
    assert out.akuntansi["bukan_data"] == {"header": 1, "lanjutan": 3} and out.akuntansi["rekaman"] == 3
    _adds_up(out.akuntansi)


# ----------------------------------------------------------------------------- the classes add up, everywhere

def test_every_row_of_a_provincial_file_is_in_one_class(tmp_path):
    text = ("Tabel 1. Jumlah\nkode_kabupaten_kota,nama_kabupaten_kota,jumlah,tahun\n(1),(2),(3),(4)\n"
            "32,JAWA BARAT,60,2024\n3204,KABUPATEN BANDUNG,17,2024\n3217,KABUPATEN BANDUNG BARAT,2,2024\n"
            "3273,KOTA BANDUNG,6,2024\n3201,KABUPATEN BOGOR,35,2024\n3204,KABUPATEN BANDUNG,tujuh,2024\n"
            "Sumber: BPS\nCatatan: angka sementara\n")
    out = read(tmp_path, dataset("kabupaten", KABKOTA), text, "32.04")
    # by hand: Kabupaten Bandung's row is read, its second row ('tujuh') is a problem; three rows of others; the
    # province row is a total; title, header, column numbers and two footer lines hold no data
    assert out.akuntansi == {"baris": 11, "rekaman": 1, "masalah": 1, "disisihkan": 3, "total": 1,
                             "bukan_data": {"catatan": 2, "header": 1, "judul": 1, "nomor_kolom": 1}}
    _adds_up(out.akuntansi)
    assert out.lineage[0]["akuntansi"] == out.akuntansi


def test_the_sample_workbooks_account_for_every_row():
    from conftest import SAMPLE_INBOX
    from walidata.catalog import load_catalog
    from walidata.settings import PROJECT_ROOT

    datasets, _ = load_catalog(PROJECT_ROOT / "include" / "catalog")
    checked = 0
    for ds in datasets:
        if ds.sumber.kind != "spreadsheet":
            continue
        files = sorted(p for pat in ds.sumber.pola_file for p in (SAMPLE_INBOX / ds.opd / ds.name).glob(pat))
        if not files:
            continue
        out = standardise_files(ds, [(p, p.name) for p in files], IndeksWilayah(REF, "62.06"))
        _adds_up(out.akuntansi)
        for item in out.lineage:
            _adds_up(item["akuntansi"])
        assert out.akuntansi["rekaman"] + out.akuntansi["masalah"] > 0, ds.id
        checked += 1
    assert checked >= 10


# ------------------------------------------------------------------ 8. a provincial file, one region after another

def test_a_provincial_file_published_for_one_region_is_still_new_for_the_next(tmp_path, monkeypatch):
    """The skip of already published files is per (dataset, region): Kota Bandung's night after Kabupaten
    Bandung's reads the same file again; the same region's next night skips it."""
    import shutil

    from test_real_corpus import CATALOG, FILES

    from conftest import copy_gx, published
    from walidata import pipeline
    from walidata.catalog import get_dataset
    from walidata.settings import get_settings
    from walidata.sources.inbox import NoSourceFiles

    ds = get_dataset(CATALOG, "bps_jabar.penduduk_miskin_kabkota")
    inbox = tmp_path / "inbox" / ds.opd / ds.name
    inbox.mkdir(parents=True)
    shutil.copyfile(FILES / "jabar_bps_penduduk_miskin_kabkota.csv", inbox / "jabar_bps_penduduk_miskin_kabkota.csv")
    for k, v in {"WALIDATA_INBOX": str(tmp_path / "inbox"), "WALIDATA_LAKE": str(tmp_path / "lake"),
                 "WALIDATA_WAREHOUSE_URL": f"duckdb:///{tmp_path / 'w.duckdb'}", "WALIDATA_CATALOG": str(CATALOG),
                 "WALIDATA_GX_ROOT": str(copy_gx(tmp_path / "gx"))}.items():
        monkeypatch.setenv(k, v)
    runs = {}
    for wilayah in ("32.04", "32.73"):
        monkeypatch.setenv("WALIDATA_WILAYAH", wilayah)
        runs[wilayah] = pipeline.run_dataset(ds.id, f"r{wilayah}", get_settings())
        assert runs[wilayah]["rows_loaded"] == 19
        _adds_up(runs[wilayah]["akuntansi"])
    rows = published(get_settings().warehouse_url, ds)
    assert {r["kode_wilayah"] for r in rows} == {"32.04", "32.73"}
    by = {(r["kode_wilayah"], r["periode"]): r["nilai"] for r in rows}
    assert by[("32.73", "2019")] == pytest.approx(84.67) and by[("32.04", "2019")] == pytest.approx(223.21)
    with pytest.raises(NoSourceFiles, match="1 file sudah diterbitkan"):  # Kota Bandung's next night: nothing new
        pipeline.run_dataset(ds.id, "lagi", get_settings())


# ---------------------------------------------------------------------------- 3. counts of categories, no figure

DESA = [{"name": "kecamatan", "alias": ["kecamatan"], "peran": "kecamatan"},
        {"name": "desa", "alias": ["desa/kelurahan", "desa"], "peran": "desa"}]


def test_a_categorical_column_is_counted_per_category(tmp_path):
    """'Pencemaran air: ADA / TIDAK ADA' per desa → desa per category (a rincian), no value column needed."""
    kolom = [*DESA, {"name": "pencemaran", "alias": ["pencemaran air"], "peran": "rincian", "dimensi": "pencemaran",
                     "sinonim": {"ADA": "ada", "TIDAK ADA": "tidak_ada", "Tidak": "tidak_ada"}}]
    ds = dataset("desa", kolom, rincian={"pencemaran": ["ada", "tidak_ada"]},
                 sumber={"pola_file": ["*.xlsx"], "periode": {"dari": "tetap", "nilai": "2024"},
                         "agregasi": {"hitung": "jumlah_desa", "satuan": "desa"}})
    rows = [["KECAMATAN", "DESA/KELURAHAN", "PENCEMARAN AIR"], ["Kamipang", "Galinggang", "ADA"],
            ["Kamipang", "Tampelas", "TIDAK ADA"], ["Kamipang", "Telaga", "Tidak"], ["Kamipang", "Parupuk", "ADA"],
            ["Kamipang", "Karuing", "mungkin"]]
    out = _read_xlsx(ds, _xlsx(tmp_path / "pencemaran.xlsx", rows))
    f = out.frame()
    ok = f[f.masalah.isna()]
    assert sorted(zip(ok.kode_wilayah, ok.pencemaran, ok.nilai, strict=True)) == [
        ("62.06.01.2001", "ada", 1), ("62.06.01.2002", "tidak_ada", 1), ("62.06.01.2003", "tidak_ada", 1),
        ("62.06.01.2004", "ada", 1)]
    assert set(ok.variabel) == {"jumlah_desa"}
    bad = f[f.masalah.notna()]
    assert bad.sumber_baris.tolist() == [6] and "pencemaran 'mungkin' tidak dikenal" in bad.masalah.iloc[0]
    assert out.akuntansi == {"baris": 6, "rekaman": 4, "masalah": 1, "disisihkan": 0, "total": 0,
                             "bukan_data": {"header": 1}}


def test_a_check_mark_in_one_of_several_condition_columns_is_the_rows_category(tmp_path):
    """A facility per row, its condition a √ in one of four columns (the DPMDes clean-water survey's shape):
    facilities per desa and condition; no mark, two marks or another text is a problem of that row."""
    kondisi = {"baik": "Baik", "rusak_ringan": "Rusak Ringan", "rusak_sedang": "Rusak Sedang",
               "rusak_berat": "Rusak Berat"}
    kolom = [*DESA, *({"name": k, "alias": [label], "peran": "tanda", "rincian": {"kondisi": k}}
                      for k, label in kondisi.items())]
    ds = dataset("desa", kolom, rincian={"kondisi": list(kondisi)},
                 sumber={"pola_file": ["*.xlsx"], "periode": {"dari": "tetap", "nilai": "2024"},
                         "agregasi": {"hitung": "jumlah_sarana", "satuan": "unit"}})
    rows = [["KECAMATAN", "DESA/KELURAHAN", "SUMBER", "Baik", "Rusak Ringan", "Rusak Sedang", "Rusak Berat"],
            ["Kamipang", "Galinggang", "Sumur", "√", None, None, None],
            ["Kamipang", "Galinggang", "PAH", " √", None, None, None],
            ["Kamipang", "Galinggang", "Sungai", None, None, None, "√"],
            ["Kamipang", "Tampelas", "Sumur", None, "√", None, None],
            ["Kamipang", "Tampelas", "Sumur", None, None, None, None],  # no mark
            ["Kamipang", "Telaga", "PAH", "√", "√", None, None],  # two marks
            ["Kamipang", "Telaga", "Sumur", "baik", None, None, None]]  # not a mark
    out = _read_xlsx(ds, _xlsx(tmp_path / "air.xlsx", rows))
    f = out.frame()
    ok = f[f.masalah.isna()]
    assert sorted(zip(ok.kode_wilayah, ok.kondisi, ok.nilai, strict=True)) == [
        ("62.06.01.2001", "baik", 2), ("62.06.01.2001", "rusak_berat", 1), ("62.06.01.2002", "rusak_ringan", 1)]
    why = dict(zip(f[f.masalah.notna()].sumber_baris, f[f.masalah.notna()].masalah, strict=True))
    assert why == {6: "tidak ada tanda untuk kondisi di kolom D, E, F, G",
                   7: "lebih dari satu tanda untuk kondisi di kolom D, E, F, G (D, E)",
                   8: "kolom D: isi 'baik' bukan tanda (√) untuk kondisi baik"}
    assert out.akuntansi["rekaman"] == 4 and out.akuntansi["masalah"] == 3


def test_the_catalog_says_what_a_count_of_categories_needs():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="peran: tanda .* needs sumber.agregasi"):
        dataset("desa", [*DESA, {"name": "baik", "alias": ["baik"], "peran": "tanda", "rincian": {"kondisi": "baik"}},
                         {"name": "n", "alias": ["n"], "peran": "nilai"}], rincian={"kondisi": ["baik"]})
    with pytest.raises(ValidationError, match="at least one column needs peran: nilai \\(or sumber.agregasi"):
        dataset("desa", DESA)


# --------------------------------------------- 10. a header over several columns, one variable stated twice

def test_a_header_merged_over_several_columns_binds_to_the_one_holding_data(tmp_path):
    rows = [["KECAMATAN", None, "JUMLAH SARANA", None, None, "TAHUN"],
            ["Kamipang", None, None, None, 4, 2024], ["Katingan Hilir", None, None, None, 7, 2024]]
    path = _xlsx(tmp_path / "gabung.xlsx", rows, merged=("C1:E1",))
    ds = dataset("kecamatan", AIR, sumber={"pola_file": ["*.xlsx"]})
    f = _read_xlsx(ds, path).frame()
    assert f.nilai.tolist() == [4, 7] and f.sumber_kolom_nilai.tolist() == ["E", "E"] and f.masalah.isna().all()


def test_one_variable_stated_twice_with_data_in_both_is_refused_not_bound_by_chance(tmp_path):
    text = ("kecamatan,jumlah sarana,tahun,jumlah sarana\nKamipang,4,2024,4000\nKatingan Hilir,7,2024,7000\n")
    with pytest.raises(SourceError, match=r"kolom 'sarana' cocok dengan 2 kolom sheet yang sama-sama berisi data: "
                                          r"B \('jumlah sarana'\), D \('jumlah sarana'\)"):
        read(tmp_path, dataset("kecamatan", AIR), text, "62.06")


# ------------------------------------------------------- 10. whose table: a reporting unit below the kabupaten

BULANAN = [{"name": "bulan", "alias": ["bulan"], "peran": "periode"},
           {"name": "kunjungan", "alias": ["kunjungan"], "peran": "nilai"}]
PKM = "Laporan Kunjungan Puskesmas Kasongan I Tahun 2024\nbulan,kunjungan\nJanuari 2024,310\nFebruari 2024,295\n"


def test_a_table_without_region_columns_that_names_a_puskesmas_is_not_the_kabupatens(tmp_path):
    with pytest.raises(SourceError, match=r"menyebut unit di bawah kabupaten \('puskesmas kasongan i tahun'\)"):
        read(tmp_path, dataset("kabupaten", BULANAN), PKM, "62.06", name="kunjungan.csv")
    with pytest.raises(SourceError, match=r"menyebut unit di bawah kabupaten \('upt puskesmas tumbang samba'\)"):
        read(tmp_path, dataset("kabupaten", BULANAN), PKM.split("\n", 1)[1], "62.06",
             name="rekap_UPT_Puskesmas_Tumbang_Samba.csv")


def test_a_declared_reporting_unit_is_published_as_a_breakdown(tmp_path):
    kolom = [BULANAN[0], {**BULANAN[1], "rincian": {"unit": "pkm_kasongan_1"}}]
    ds = dataset("kabupaten", kolom, rincian={"unit": ["pkm_kasongan_1"]}, sumber={"unit_pelapor": "unit"})
    f = read(tmp_path, ds, PKM, "62.06", name="kunjungan.csv").frame()
    assert f[["kode_wilayah", "periode", "unit", "nilai"]].values.tolist() == [
        ["62.06", "2024-01", "pkm_kasongan_1", 310], ["62.06", "2024-02", "pkm_kasongan_1", 295]]


# ---------------------------------------------------------- 9. a region code split over several columns

def test_a_code_split_over_columns_is_joined_into_one_code(tmp_path):
    prov, kab, kec, kel = ({"alias": ["no_prop"], "digit": 2}, {"alias": ["no_kab"], "digit": 2},
                           {"alias": ["no_kec"], "digit": 2}, {"alias": ["no_kel"], "digit": 4})
    kolom = [{"name": "kecamatan", "gabungan": [prov, kab, kec], "peran": "kecamatan", "sistem_kode": "kemendagri"},
             {"name": "desa", "gabungan": [prov, kab, kec, kel], "peran": "desa", "sistem_kode": "kemendagri"},
             {"name": "nama", "alias": ["nama_kel"], "peran": "abaikan"},
             {"name": "jumlah", "alias": ["jumlah_kk"], "peran": "nilai"}]
    text = ("NO_PROP,NO_KAB,NO_KEC,NO_KEL,NAMA_KEL,JUMLAH_KK\n62,6,1,2001,GALINGGANG,120\n62,06,01,2002,TAMPELAS,85\n"
            "62,6,,2003,TELAGA,40\n62,2,1,2001,DESA LAIN,9\n")
    ds = dataset("desa", kolom, sumber={"periode": {"dari": "tetap", "nilai": "2024"}})
    out = read(tmp_path, ds, text, "62.06")
    f = out.frame()
    ok = f[f.masalah.isna()]
    assert ok[["kode_wilayah", "nilai"]].values.tolist() == [["62.06.01.2001", 120], ["62.06.01.2002", 85]]
    assert f[f.masalah.notna()].sumber_baris.tolist() == [4]  # the kecamatan part is missing: never guessed
    assert out.akuntansi["disisihkan"] == 1 and out.akuntansi["rekaman"] == 2 and out.akuntansi["masalah"] == 1


# -------------------------------------------------------- 9. a formula typed as a value, its result not stored

def test_a_formula_without_a_stored_result_is_named_not_called_an_empty_cell(tmp_path):
    rows = [["KECAMATAN", "JUMLAH SARANA", "TAHUN"], ["Kamipang", 4, 2024], ["Katingan Hilir", "=6+6+2", 2024]]
    path = _xlsx(tmp_path / "rumus.xlsx", rows)  # openpyxl stores the formula, not its result: like a script's file
    f = _read_xlsx(dataset("kecamatan", AIR, sumber={"pola_file": ["*.xlsx"]}), path).frame()
    bad = f[f.masalah.notna()]
    assert bad.sumber_baris.tolist() == [3]
    assert bad.masalah.iloc[0] == ("kolom B: sel berisi rumus '=6+6+2' tanpa hasil tersimpan; buka file di Excel atau "
                                   "LibreOffice lalu simpan ulang (atau tulis angkanya)")


def test_two_sheets_with_two_versions_of_one_table_are_refused_naming_both(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.title = "DATA"
    for ws, values in ((wb.active, (4, 7)), (wb.create_sheet("DATA REVISI"), (4, 9))):
        ws.append(["KECAMATAN", "JUMLAH SARANA", "TAHUN"])
        ws.append(["Kamipang", values[0], 2024])
        ws.append(["Katingan Hilir", values[1], 2024])
    wb.save(tmp_path / "dua.xlsx")
    with pytest.raises(SourceError, match=r"'dua.xlsx / sheet DATA' dan 'dua.xlsx / sheet DATA REVISI' memuat angka "
                                          r"untuk 2 kunci yang sama .*dua versi satu tabel"):
        _read_xlsx(dataset("kecamatan", AIR, sumber={"pola_file": ["*.xlsx"]}), tmp_path / "dua.xlsx")


def test_a_section_heading_over_its_indicators_holds_no_data(tmp_path):
    """A kabupaten's indicator table ('Satu Data' template): numbered headings in the indicator column over the
    indicators they group, no figure on their rows. A heading is non-data; an unknown indicator with a figure is
    still a problem, never skipped."""
    kolom = [{"name": "indikator", "alias": ["indikator"], "peran": "rincian", "dimensi": "indikator",
              "sinonim": {"Jumlah Polisi Pamong Praja": "satpol_pp", "Jumlah Penduduk": "penduduk"}},
             {"name": "nilai", "alias": ["*"], "peran": "nilai", "ganda": True}]
    ds = dataset("kabupaten", kolom, rincian={"indikator": ["satpol_pp", "penduduk"]},
                 sumber={"periode": {"dari": "header"}})
    text = ("indikator,2022,2023\n1. Rasio Polisi Pamong Praja per 10.000 penduduk,,\n"
            "Jumlah Polisi Pamong Praja,41,44\nJumlah Penduduk,58933,60102\n2. Linmas,,\nJumlah Linmas,120,130\n")
    out = read(tmp_path, ds, text, "91.11", name="indikator_keerom.csv")
    f = out.frame()
    assert sorted(f[f.masalah.isna()].nilai.tolist()) == [41, 44, 58933, 60102]
    assert f[f.masalah.notna()].sumber_baris.unique().tolist() == [6]  # 'Jumlah Linmas': unknown, with figures
    assert out.akuntansi == {"baris": 6, "rekaman": 2, "masalah": 1, "disisihkan": 0, "total": 0,
                             "bukan_data": {"header": 1, "judul_bagian": 2}}


# ------------------------------------------------------------------ 9. a bare month number beside a year column

@pytest.mark.parametrize("granularitas, want", [(None, None), ("bulan", ["2023-01", "2023-12"]),
                                                ("triwulan", None)])
def test_a_bare_period_number_is_read_only_as_the_catalog_declares(tmp_path, granularitas, want):
    kolom = [{"name": "tahun", "alias": ["tahun"], "peran": "tahun"},
             {"name": "bulan", "alias": ["bulan"], "peran": "periode"},
             {"name": "n", "alias": ["produksi"], "peran": "nilai", "tipe": "decimal"}]
    periode = {"dari": "kolom", "tahun_dari": "kolom", **({"granularitas": granularitas} if granularitas else {})}
    ds = dataset("kabupaten", kolom, sumber={"periode": periode})
    f = read(tmp_path, ds, "tahun;bulan;produksi\n2023;1;63,15\n2023;12;101,73\n", "32.77").frame()
    if want:
        assert f.periode.tolist() == want and f.masalah.isna().all()
    elif granularitas is None:
        assert f.masalah.str.contains("angka saja bisa bulan, triwulan atau semester: nyatakan "
                                      "sumber.periode.granularitas", regex=False).all()
    else:  # 12 is no quarter
        assert f.periode.fillna("-").tolist() == ["2023-Q1", "-"] and f.masalah.isna().tolist() == [True, False]


# ------------------------------------------------------------- sums and counts of event rows say what they know

def test_a_count_of_rows_per_value_column_breakdown_is_refused_by_the_catalog():
    """A count of road segments 'per condition' when the condition comes from the value columns (baik, rusak…)
    would count every segment under each condition: the catalog says so instead."""
    from pydantic import ValidationError

    kolom = [*DESA, {"name": "baik", "alias": ["baik"], "peran": "nilai", "rincian": {"kondisi": "baik"}},
             {"name": "rusak", "alias": ["rusak"], "peran": "nilai", "rincian": {"kondisi": "rusak"}}]
    spec = {"rincian": {"kondisi": ["baik", "rusak"]}, "sumber": {"periode": {"dari": "tetap", "nilai": "2025"}}}
    with pytest.raises(ValidationError, match=r"\['kondisi'\] come from the value columns .* counted once under each"):
        dataset("desa", kolom, **{**spec, "sumber": {**spec["sumber"], "agregasi": {"hitung": "n", "satuan": "ruas"}}})
    dataset("desa", kolom, **{**spec, "sumber": {**spec["sumber"], "agregasi": {}}})  # sums only: fine


@pytest.mark.parametrize("sel_kosong, want", [("nihil", [250.0]), ("tidak_tersedia", [None])])
def test_a_sum_over_rows_with_a_blank_part_is_zero_or_not_given_as_declared(tmp_path, sel_kosong, want):
    """Two segments of one desa, the second's length blank: with sel_kosong nihil the blank is 0 and the sum 250;
    with tidak_tersedia the sum is not given (never 250 passed off as the whole)."""
    kolom = [*DESA, {"name": "panjang", "alias": ["panjang"], "peran": "nilai", "tipe": "decimal"}]
    ds = dataset("desa", kolom, sumber={"periode": {"dari": "tetap", "nilai": "2025"}, "agregasi": {},
                                        "sel_kosong": sel_kosong})
    text = "kecamatan,desa,panjang\nKamipang,Galinggang,250\nKamipang,Galinggang,\n"
    f = read(tmp_path, ds, text, "62.06").frame()
    assert [None if v != v else v for v in f.nilai.astype(object).tolist()] == want and f.masalah.isna().all()
