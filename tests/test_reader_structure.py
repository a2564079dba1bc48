"""Structure inside the table, HTML tables, periods, plausibility against the population, feedback at size.

Small real files (CSV and HTML) written here and read by the real reader; checks on small frames."""

from __future__ import annotations

import shutil

import pytest
from test_attribution import KABKOTA, KECAMATAN, REF, dataset, read

from walidata.settings import PROJECT_ROOT
from walidata.sources.spreadsheet import SourceError
from walidata.standardise.records import parse_number
from walidata.standardise.reference import IndeksWilayah


@pytest.fixture
def gx(tmp_path):
    target = tmp_path / "gx"
    shutil.copytree(PROJECT_ROOT / "great_expectations", target, ignore=shutil.ignore_patterns("uncommitted"))
    return target


def _validate(ds, out, wilayah: str, gx):
    from walidata.validate.outcome import validate

    return validate(ds, out.frame(), out.totals.to_pandas(), IndeksWilayah(REF, wilayah), gx, "t")


# ------------------------------------------------------------------------------------- structure in the table

PAGED = """Tabel 3.1 Jumlah Penduduk Menurut Kecamatan
kecamatan,jumlah,tahun
(1),(2),(3)
Kamipang,100,2024
Katingan Hilir,200,2024
Tabel 3.1 Jumlah Penduduk Menurut Kecamatan
kecamatan,jumlah,tahun
1,2,3
Pulau Malan,300,2024
3 = Σ (4-14),,
"""


def test_repeated_headers_and_column_numbers_are_skipped_and_listed(tmp_path):
    out = read(tmp_path, dataset("kecamatan", KECAMATAN), PAGED, "62.06")
    frame = out.frame()
    assert frame.nilai.tolist() == [100, 200, 300] and frame.masalah.isna().all()
    assert out.lineage[0]["baris_dilewati"] == [
        "baris 3: baris nomor kolom", "baris 6: judul tabel diulang", "baris 7: header tabel diulang",
        "baris 8: baris nomor kolom", "baris 10: baris nomor kolom"]


# ------------------------------------------------------------------------------------------------- HTML

BPS_HTML = """<html><head><meta charset="utf-8"><title>BPS</title></head><body>
<table><tr><td>Beranda</td><td>Publikasi</td></tr></table>
<table border="1">
<tr><th rowspan="2">Kecamatan</th><th colspan="2">Jumlah Penduduk (Jiwa)</th></tr>
<tr><th>2023</th><th>2024</th></tr>
<tr><td>Kamipang</td><td>9 979</td><td>10.123</td></tr>
<tr><td>Katingan&nbsp;Hilir</td><td>44 551</td><td>45.002</td></tr>
<tr><td>Katingan</td><td>54 530</td><td>55.125</td></tr>
</table><p>Sumber: BPS Kabupaten Katingan</p></body></html>"""


def test_an_html_table_saved_as_xls_is_read_as_html(tmp_path):
    kolom = [KECAMATAN[0], {"name": "jumlah", "alias": ["*"], "peran": "nilai"}]
    ds = dataset("kecamatan", kolom, sumber={"pola_file": ["*.xls"], "periode": {"dari": "header"},
                                             "tinggi_header": 2})
    out = read(tmp_path, ds, BPS_HTML, "62.06", name="penduduk.xls")
    frame = out.frame().sort_values(["periode", "kode_wilayah"])
    assert frame[["kode_wilayah", "periode", "nilai"]].values.tolist() == [
        ["62.06.01", "2023", 9979], ["62.06.02", "2023", 44551], ["62.06.01", "2024", 10123],
        ["62.06.02", "2024", 45002]]
    assert out.totals.to_pandas().nilai_total.tolist() == [54530, 55125]  # 'Katingan': the kabupaten total
    assert out.lineage[0]["sumber_sheet"] == "tabel 2"  # the navigation table is not this dataset's table


def test_an_html_file_without_the_expected_table_says_it_is_html(tmp_path):
    ds = dataset("kecamatan", KECAMATAN, sumber={"pola_file": ["*.xls"]})
    with pytest.raises(SourceError, match="file ini halaman HTML yang dinamai .xls, bukan workbook Excel .*: tidak "
                                          "satu pun dari 2 tabelnya memiliki header"):
        read(tmp_path, ds, BPS_HTML.replace("Kecamatan", "Wilayah"), "62.06", name="penduduk.xls")


# ---------------------------------------------------------------------------------------------- periods

BULAN = [{"name": "bulan", "alias": ["bulan"], "peran": "periode"}, {"name": "jumlah", "alias": ["jumlah"],
                                                                    "peran": "nilai"}]


def test_a_year_column_beside_a_month_column(tmp_path):
    kolom = [*BULAN, {"name": "tahun", "alias": ["tahun"], "peran": "tahun"}]
    ds = dataset("kabupaten", kolom, sumber={"periode": {"dari": "kolom", "tahun_dari": "kolom"}})
    out = read(tmp_path, ds, "tahun,bulan,jumlah\n2024,Desember,5\n2025,JANUARI,7\n2025,Peb,2\n", "62.06")
    assert out.frame()[["periode", "nilai"]].values.tolist() == [["2024-12", 5], ["2025-01", 7], ["2025-02", 2]]


@pytest.mark.parametrize("periode, name, want", [
    ({"dari": "kolom", "tahun_dari": "tetap", "tahun": "2023"}, "sampah.csv", "2023-03"),
    ({"dari": "kolom", "tahun_dari": "file"}, "sampah_2022.csv", "2022-03"),
])
def test_a_fixed_year_or_the_year_in_the_file_name(tmp_path, periode, name, want):
    ds = dataset("kabupaten", BULAN, sumber={"periode": periode})
    assert read(tmp_path, ds, "bulan,jumlah\nMaret,4\n", "62.06", name=name).frame().periode.tolist() == [want]


def test_a_period_from_the_file_name(tmp_path):
    ds = dataset("kecamatan", KECAMATAN[:2], sumber={"periode": {"dari": "file"}})
    frame = read(tmp_path, ds, "kecamatan,jumlah\nKamipang,4\n", "62.06", name="rekap_2021.csv").frame()
    assert frame.periode.tolist() == ["2021"]


def test_months_without_a_year_are_one_clear_error_per_file(tmp_path):
    ds = dataset("kabupaten", BULAN)
    rows = "".join(f"JANUARI,{i}\n" for i in range(5000))
    with pytest.raises(SourceError) as exc:
        read(tmp_path, ds, "bulan,jumlah\n" + rows, "62.06")
    assert str(exc.value) == (
        "file data.csv, sheet 'data', baris 2, kolom A: 5.000 baris (baris 2–5.001) berisi bulan atau triwulan tanpa "
        "tahun, misalnya 'JANUARI'; katalog harus menyatakan dari mana tahunnya (sumber.periode.tahun_dari: kolom, "
        "judul, sheet, file atau tetap)")


def test_a_declared_year_source_that_has_no_year_stops_the_file(tmp_path):
    ds = dataset("kabupaten", BULAN, sumber={"periode": {"dari": "kolom", "tahun_dari": "file"}})
    with pytest.raises(SourceError, match="tidak ada tahun \\(19xx/20xx\\) di nama file"):
        read(tmp_path, ds, "bulan,jumlah\nMaret,4\n", "62.06", name="sampah.csv")


# ------------------------------------------------------------------------------------------ numbers

@pytest.mark.parametrize("raw, tipe, desimal, nilai, why", [
    ("1.016,00", "integer", "koma", 1016, None),
    ("2.77", "integer", "koma", None, "bukan bilangan bulat"),  # BPS total 2.770 that lost its last zero
    ("9.04", "decimal", "titik", 9.04, None),
    ("1,91", "decimal", "titik", None, "bukan angka"),
    ("1,234.5", "decimal", "titik", 1234.5, None),
    ("2701.0", "integer", "titik", 2701, None),
])
def test_decimal_marks_are_declared_per_column(raw, tipe, desimal, nilai, why):
    p = parse_number(raw, tipe, "nihil", desimal)
    assert p.nilai == nilai and (why is None) == (p.masalah is None) and (why is None or why in p.masalah)


def test_an_unreadable_total_cannot_vouch_for_its_rows(tmp_path, gx):
    ds = dataset("kecamatan", KECAMATAN)
    out = read(tmp_path, ds, "kecamatan,jumlah,tahun\nKamipang,1.500,2024\nMarikit,1.270,2024\nJumlah,2.77,2024\n",
               "62.06")
    outcome = _validate(ds, out, "62.06", gx)
    assert "baris 4, kolom B: baris jumlah: nilai '2.77' bukan bilangan bulat" in "\n".join(outcome.lines)
    assert not outcome.success


# ---------------------------------------------------------------------------------- population plausibility

def test_a_national_sum_taken_as_a_kabupaten_figure_is_an_error(tmp_path, gx):
    kolom = [KABKOTA[2] | {"satuan": "jiwa"}, KABKOTA[3]]
    ds = dataset("kabupaten", kolom)
    out = read(tmp_path, ds, "jumlah,tahun\n275773800,2022\n181000,2023\n", "62.06")
    outcome = _validate(ds, out, "62.06", gx)
    assert not outcome.success
    assert "baris 2, kolom A: jumlah = 275773800 melebihi penduduk Kabupaten Katingan (181963, Dukcapil) × 1.1" in \
        "\n".join(outcome.lines)
    assert list(outcome.rejected) == [0]


def test_kecamatan_that_add_up_to_more_than_their_kabupaten_are_an_error(tmp_path, gx):
    kolom = [KECAMATAN[0], KECAMATAN[1] | {"satuan": "jiwa"}, KECAMATAN[2]]
    ds = dataset("kecamatan", kolom, kesegaran=None)
    names = sorted(IndeksWilayah(REF, "62.06").kecamatan.values())
    rows = "".join(f"{w.nama},20000,2024\n" for w in names)  # 13 × 20.000 = 260.000 > 181.963 × 1.1
    outcome = _validate(ds, read(tmp_path, ds, "kecamatan,jumlah,tahun\n" + rows, "62.06"), "62.06", gx)
    assert "jumlah jumlah periode 2024 di Kabupaten Katingan = 260000 melebihi penduduk Kabupaten Katingan" in \
        "\n".join(outcome.lines)
    assert not outcome.success


# ---------------------------------------------------------------------------------- wide layouts, row totals

WIDE = """kecamatan,2023,2023,2023,2024,2024,2024
kecamatan,L,P,Jumlah,L,P,Jumlah
Kamipang,10,12,22,11,12,23
Marikit,5,6,11,5,6,12
"""


def test_row_totals_in_wide_layouts_are_checked_per_period(tmp_path):
    kolom = [KECAMATAN[0], {"name": "lk", "alias": ["l"], "peran": "nilai", "rincian": {"jk": "L"}},
             {"name": "pr", "alias": ["p"], "peran": "nilai", "rincian": {"jk": "P"}},
             {"name": "jumlah", "alias": ["jumlah"], "peran": "total", "ganda": True}]
    ds = dataset("kecamatan", kolom, rincian={"jk": ["L", "P"]},
                 sumber={"periode": {"dari": "header"}, "tinggi_header": 2})
    frame = read(tmp_path, ds, WIDE, "62.06").frame()
    bad = frame[frame.masalah.notna()]
    assert bad[["sumber_baris", "periode", "jk"]].values.tolist() == [[4, "2024", "L"], [4, "2024", "P"]]
    assert "kolom G: jumlah 2024 = 12 tidak sama dengan jumlah nilai yang dicakupnya di baris ini = 11" in \
        bad.masalah.iloc[0]


# ------------------------------------------------------------------------------------------ feedback at size

def test_identical_problems_are_one_line_with_row_ranges():
    from walidata.problems import Problem
    from walidata.validate.umpan_balik import group

    month = [Problem("bulan 'JANUARI' tanpa tahun", "expect_column_values_to_be_null", file="a.xlsx", sheet="S",
                     row=r, column="Q") for r in [*range(2, 53786), 60000]]
    name = Problem("kecamatan 'X' tidak dikenal", "expect_column_values_to_be_null", file="a.xlsx", sheet="S", row=9,
                   column="B")
    assert group([*month, name]) == [
        "file a.xlsx, sheet 'S', baris 2–53.785, 60.000 (53.785 baris), kolom Q: bulan 'JANUARI' tanpa tahun",
        "file a.xlsx, sheet 'S', baris 9, kolom B: kecamatan 'X' tidak dikenal"]
    # The same words in another column, or seen by another check, are another problem.
    other = Problem("bulan 'JANUARI' tanpa tahun", "expect_column_values_to_be_null", file="a.xlsx", sheet="S", row=3,
                    column="R")
    assert len(group([*month[:3], other])) == 2
    many = [Problem(f"why {r}", "c", file="a", sheet="S", row=r, column="B") for r in range(50)]
    assert group(many, 3)[-1] == "… dan 47 baris masalah lain"


def test_check_caps_the_console_and_writes_every_problem_to_the_workbook(tmp_path, capsys, monkeypatch):
    import pandas as pd

    from walidata import cli

    catalog = tmp_path / "catalog" / "uji"
    catalog.mkdir(parents=True)
    ds = dataset("kecamatan", KECAMATAN)
    (catalog / "data.yaml").write_text(ds.model_dump_json(), encoding="utf-8")
    monkeypatch.setenv("WALIDATA_CATALOG", str(tmp_path / "catalog"))
    monkeypatch.setenv("WALIDATA_WAREHOUSE_URL", f"duckdb:///{tmp_path / 'w.duckdb'}")
    monkeypatch.chdir(tmp_path)  # the feedback workbook goes to the current folder
    f = tmp_path / "kiriman.csv"
    f.write_text("kecamatan,jumlah,tahun\n" + "".join(f"Antah {i},{i},2024\n" for i in range(200)), encoding="utf-8")
    rc = cli.main(["check", str(f), "--dataset", "uji.data"])
    out = capsys.readouterr().out
    assert rc == 1
    assert len(out.splitlines()) <= cli.CHECK_LINES
    shown = out.count("tidak dikenal di Kabupaten Katingan")
    # 200 unknown names and the missing kecamatan: what the console has no room for is counted, and named where
    assert f"… {201 - shown} masalah lain: lihat {tmp_path / 'kiriman__masalah.xlsx'}" in out
    detail = pd.read_excel(tmp_path / "kiriman__masalah.xlsx", sheet_name="Rincian")
    assert detail.Keterangan.str.contains("tidak dikenal").sum() == 200


def test_an_empty_cell_is_a_problem_unless_the_dataset_says_it_means_not_given(tmp_path):
    text = "kecamatan,jumlah,tahun\nKamipang,,2024\nMarikit,5,2024\n"
    frame = read(tmp_path, dataset("kecamatan", KECAMATAN), text, "62.06").frame()
    assert frame.masalah.tolist()[0] == "kolom B: sel kosong"
    ds = dataset("kecamatan", KECAMATAN, sumber={"periode": {"dari": "kolom"}, "sel_kosong": "tidak_tersedia"})
    frame = read(tmp_path, ds, text, "62.06").frame()
    assert frame.masalah.isna().all() and frame.status.tolist() == ["tidak_tersedia", "tetap"]
    assert frame.nilai.isna().tolist() == [True, False]


def test_a_row_total_sums_only_the_columns_it_names(tmp_path):
    kolom = [KECAMATAN[0], KECAMATAN[2], {"name": "pil", "alias": ["pil"], "peran": "nilai", "variabel": "pil"},
             {"name": "iud", "alias": ["iud"], "peran": "nilai", "variabel": "iud"},
             {"name": "target", "alias": ["target"], "peran": "nilai", "variabel": "target"},
             {"name": "jumlah", "alias": ["jumlah"], "peran": "total", "jumlah_dari": ["pil", "iud"]}]
    text = "kecamatan,tahun,pil,iud,target,jumlah\nKamipang,2024,10,5,40,15\nMarikit,2024,3,4,30,8\n"
    frame = read(tmp_path, dataset("kecamatan", kolom), text, "62.06").frame()
    bad = frame[frame.masalah.notna()]
    # 3 + 4 ≠ 8 in baris 3; the target column is not part of the sum
    assert sorted(set(zip(bad.sumber_baris, bad.variabel, strict=True))) == [(3, "iud"), (3, "pil")]
    assert "jumlah = 8 tidak sama dengan jumlah nilai yang dicakupnya di baris ini = 7" in bad.masalah.iloc[0]


def test_a_csv_group_label_over_its_first_column_covers_the_group(tmp_path):
    kolom = [KECAMATAN[0], {"name": "baru", "alias": ["HIV > Kasus Baru"], "peran": "nilai", "variabel": "hiv_baru"},
             {"name": "kum", "alias": ["HIV > Kasus Kumulatif"], "peran": "nilai", "variabel": "hiv_kumulatif"},
             {"name": "aids", "alias": ["AIDS > Kasus Baru"], "peran": "nilai", "variabel": "aids_baru"}]
    ds = dataset("kecamatan", kolom, sumber={"periode": {"dari": "tetap", "nilai": "2020"}, "tinggi_header": 2})
    text = ("Kecamatan,HIV,,AIDS,\n,Kasus Baru,Kasus Kumulatif,Kasus Baru,Kasus Kumulatif\n"
            "Kamipang,1,7,0,2\n")
    frame = read(tmp_path, ds, text, "62.06").frame()
    assert dict(zip(frame.variabel, frame.nilai, strict=True)) == {"hiv_baru": 1, "hiv_kumulatif": 7, "aids_baru": 0}


def test_a_zero_before_a_sizeable_figure_is_not_plausible(tmp_path, gx):
    kolom = [*KABKOTA[:2], KABKOTA[2] | {"tipe": "decimal", "satuan": "ribu jiwa"}, KABKOTA[3]]
    ds = dataset("kabupaten", kolom, kewajaran={"persen": 100, "minimum": 10, "severity": "critical"}, kesegaran=None)
    text = ("kode_kabupaten_kota,nama_kabupaten_kota,jumlah,tahun\n3217,KABUPATEN BANDUNG BARAT,0,2006\n"
            "3217,KABUPATEN BANDUNG BARAT,261,2007\n3217,KABUPATEN BANDUNG BARAT,255,2008\n")
    outcome = _validate(ds, read(tmp_path, ds, text, "32.17"), "32.17", gx)
    assert not outcome.success
    assert "baris 2, kolom C: jumlah = 0 lalu 261 (2007): angka 0 tidak wajar" in "\n".join(outcome.lines)


def test_a_partial_load_that_would_publish_nothing_fails(tmp_path, gx):
    ds = dataset("kecamatan", KECAMATAN, kebijakan={"muat_sebagian": True}, kesegaran=None)
    out = read(tmp_path, ds, "kecamatan,jumlah,tahun\nAntah,1,2024\nBerantah,2,2024\n", "62.06")
    outcome = _validate(ds, out, "62.06", gx)
    assert not outcome.success and "semua 2 baris ditolak: tidak ada angka yang dapat dimuat" in outcome.lines


def test_text_from_a_file_is_never_a_formula_in_the_feedback_workbook(tmp_path, gx):
    from openpyxl import load_workbook

    from walidata.validate.umpan_balik import write_workbook

    ds = dataset("kecamatan", KECAMATAN)
    out = read(tmp_path, ds, 'kecamatan,jumlah,tahun\n"=HYPERLINK(""http://x"",""klik"")",1,2024\n', "62.06")
    outcome = _validate(ds, out, "62.06", gx)
    path = write_workbook(tmp_path / "umpan.xlsx", ds, outcome, "t")
    wb = load_workbook(path)
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert any(str(c.value).startswith("'=HYPERLINK") for c in cells)
