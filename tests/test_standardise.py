import pytest

from conftest import DATASET, SAMPLE_FILE, edit_workbook, workbook_figures
from walidata.catalog import get_dataset
from walidata.settings import PROJECT_ROOT
from walidata.sources.spreadsheet import SourceError, col_letter
from walidata.standardise.records import parse_number, record_columns, standardise_files
from walidata.standardise.reference import IndeksWilayah

REF = PROJECT_ROOT / "include" / "reference"
DS = get_dataset(PROJECT_ROOT / "include" / "catalog", DATASET)
REGION = IndeksWilayah(REF, "62.06")


@pytest.mark.parametrize(
    "raw, tipe, nilai, status, problem",
    [
        (1234.0, "integer", 1234, "tetap", None),
        ("1.234", "integer", 1234, "tetap", None),
        ("1.234.567", "integer", 1234567, "tetap", None),
        ("12,5", "decimal", 12.5, "tetap", None),
        ("1.234,75", "decimal", 1234.75, "tetap", None),
        ("1.234", "decimal", 1234, "tetap", None),
        ("\xa01.234\xa0", "integer", 1234, "tetap", None),
        ("-", "integer", 0, "nihil", None),
        ("…", "integer", None, "tidak_tersedia", None),
        ("...", "integer", None, "tidak_tersedia", None),
        ("x", "integer", None, "rahasia", None),
        ("1.234*", "integer", 1234, "sementara", None),
        ("1.234**", "integer", 1234, "sangat_sementara", None),
        ("1.234 r", "integer", 1234, "revisi", None),
        ("87,5 %", "decimal", 87.5, "tetap", None),
        ("Rp 1.500.000", "integer", 1500000, "tetap", None),
        ("12,5", "integer", None, "tetap", "bukan bilangan bulat"),
        (12.5, "integer", None, "tetap", "bukan bilangan bulat"),
        ("abc", "integer", None, "tetap", "bukan bilangan bulat"),
        ("1,234.5", "decimal", None, "tetap", "bukan angka"),
        (None, "integer", None, "tidak_tersedia", "sel kosong"),
    ],
)
def test_parse_number(raw, tipe, nilai, status, problem):
    p = parse_number(raw, tipe)
    assert p.nilai == nilai and p.status == status
    assert (p.masalah is None) if problem is None else (problem in p.masalah)


def test_dash_rule_is_per_dataset():
    assert parse_number("-", "integer", tanda_strip="kosong").nilai is None


def test_col_letter():
    assert [col_letter(i) for i in (0, 1, 25, 26, 27, 701, 702)] == ["A", "B", "Z", "AA", "AB", "ZZ", "AAA"]


def test_sample_workbook_to_tidy_records():
    out = standardise_files(DS, [(SAMPLE_FILE, SAMPLE_FILE.name)], REGION)
    r = out.frame()
    assert list(r.columns) == record_columns(DS)
    assert len(r) == 3 * 13 * 2 and r["masalah"].isna().all()
    assert set(r["kode_wilayah"]) == set(REGION.kecamatan)
    assert sorted(r["periode"].unique()) == ["2023", "2024", "2025"]
    # Dukcapil figures for Katingan (Kepmendagri 2025): 94,401 L and 87,562 P.
    s = r[r.periode == "2025"].groupby("jenis_kelamin")["nilai"].sum()
    assert s["L"] == 94401 and s["P"] == 87562
    # Every figure equals the cell in the workbook, read independently with openpyxl.
    truth = workbook_figures(SAMPLE_FILE)
    for (sheet, name), (laki, perempuan) in truth.items():
        rows = r[(r.sumber_sheet == sheet) & (r.nama_wilayah == name)].set_index("jenis_kelamin")["nilai"]
        assert (rows["L"], rows["P"]) == (laki, perempuan)
    # Spelling variants went through the synonym list.
    assert r[r.nama_wilayah == "SENAMAN MANTEKEI"]["kode_wilayah"].unique().tolist() == ["62.06.06"]
    # The total row is kept aside as a check, the footer as lineage.
    assert len(out.totals) == 6 and "Jumlah" not in set(r["nama_wilayah"])
    assert any(c.startswith("Sumber: Dinas Kependudukan") for c in out.lineage[0]["catatan"])
    first = r.iloc[0]
    assert (first.sumber_sheet, first.sumber_baris, first.sumber_kolom_wilayah, first.sumber_kolom_nilai) == (
        "2023", 7, "B", "C")


def test_unknown_name_and_bad_number_are_kept_with_their_problem(tmp_path):
    bad = edit_workbook(SAMPLE_FILE, tmp_path / "bad.xlsx", {("2024", "B9"): "Antah Berantah",
                                                              ("2024", "D10"): "12x"})
    r = standardise_files(DS, [(bad, "bad.xlsx")], REGION).frame()
    assert len(r) == 78  # nothing dropped
    p = r[r.masalah.notna()]
    row9 = p[p.sumber_baris == 9]
    assert row9.kode_wilayah.isna().all()
    assert "kolom B: kecamatan 'Antah Berantah' tidak dikenal" in row9.masalah.iloc[0]
    row10 = p[(p.sumber_baris == 10) & (p.jenis_kelamin == "P")]
    assert "kolom D: nilai '12x' bukan bilangan bulat" in row10.masalah.iloc[0]


def test_missing_column_names_file_sheet_row(tmp_path):
    bad = edit_workbook(SAMPLE_FILE, tmp_path / "nocol.xlsx", {("2023", "D5"): "Wanita?"})
    with pytest.raises(SourceError) as exc:
        standardise_files(DS, [(bad, "nocol.xlsx")], REGION)
    msg = str(exc.value)
    assert "file nocol.xlsx" in msg and "sheet '2023'" in msg and "baris 4" in msg and "'perempuan'" in msg


def test_english_only_header_is_read(tmp_path):
    f = edit_workbook(SAMPLE_FILE, tmp_path / "en.xlsx", {("2025", "B4"): "Subdistrict", ("2025", "C5"): "Male",
                                                          ("2025", "D5"): "Female", ("2025", "E4"): "Total"})
    r = standardise_files(DS, [(f, "en.xlsx")], REGION).frame()
    assert r[r.periode == "2025"].nilai.sum() == 181963


def test_not_a_workbook(tmp_path):
    f = tmp_path / "x.xlsx"
    f.write_bytes(b"PK\x03\x04 this is not a workbook")
    with pytest.raises(SourceError, match="file x.xlsx: bukan workbook yang dapat dibaca"):
        standardise_files(DS, [(f, "x.xlsx")], REGION)


def test_a_row_with_a_nik_is_set_aside_when_another_regions_and_reported_when_ours(tmp_path):
    """Region before privacy: a row of another kabupaten is set aside whatever it holds (its NIK masked, never
    shown), so a false NIK alarm in someone else's rows cannot block our figures; a marked row that is ours, or a
    total row, stays a record with its problem, so that validation rejects it and the OPD reads why."""
    edits = {("2025", "B19"): "Kab. Kotawaringin Timur", ("2025", "C19"): 6206015708900001,  # another kabupaten's
             ("2025", "B18"): "Katingan Hilir", ("2025", "C18"): 6206015708900001,  # ours, with a NIK
             ("2025", "B20"): "Jumlah/Total_x0007_"}  # the total row
    f = edit_workbook(SAMPLE_FILE, tmp_path / "ditandai.xlsx", edits)
    out = standardise_files(DS, [(f, f.name)], REGION)
    r = out.frame()
    marked = r[(r.periode == "2025") & r.sumber_baris.isin([18, 19, 20])]
    assert sorted(marked.sumber_baris) == [18, 18, 20, 20]
    assert marked[marked.sumber_baris == 18].masalah.str.contains(
        "kolom C: berisi NIK \\(nomor induk kependudukan\\), disamarkan: 620601\\*{6}0001").all()
    assert marked[marked.sumber_baris == 20].masalah.str.contains(
        "kolom B: sel berisi karakter kendali tak terlihat: 'Jumlah/Total\\\\x07'").all()
    lain = out.lain.to_pylist()
    assert [(x["sumber_baris"], x["kode_wilayah"]) for x in lain] == [(19, "62.02")]
    assert "6206015708900001" not in str(lain) and "6206015708900001" not in str(r.to_dict("records"))
    totals = out.totals.to_pandas()
    assert totals[totals.sumber_sheet == "2025"].empty
    akun = out.akuntansi
    assert akun["disisihkan"] == 1 and akun["masalah"] >= 2


# ------------------------------------------------------------------------- problems carried with their column

def _problems(rows) -> list[list[tuple]]:
    """`masalah_rinci` of each record as [(kolom, alasan), …] (None when the record has none)."""
    return [None if v is None else [(p["kolom"], p["alasan"]) for p in v] for v in rows["masalah_rinci"]]


def test_problems_are_carried_with_their_column_and_rendered_as_before(tmp_path):
    import pandas as pd
    import pyarrow as pa

    from walidata.sources.spreadsheet import render_problems

    bad = edit_workbook(SAMPLE_FILE, tmp_path / "rinci.xlsx", {("2024", "B9"): "Antah Berantah",
                                                                ("2025", "C9"): "#REF!"})
    out = standardise_files(DS, [(bad, "rinci.xlsx")], REGION)
    assert out.records.schema.field("masalah_rinci").type == pa.list_(
        pa.struct([("kolom", pa.string()), ("alasan", pa.string())]))
    r = out.frame()
    assert r[r.masalah.isna()].masalah_rinci.isna().all() and r[r.masalah.notna()].masalah_rinci.notna().all()
    name = r[(r.sumber_sheet == "2024") & (r.sumber_baris == 9)]
    assert [[k for k, _ in p] for p in _problems(name)] == [["B"], ["B"]]  # both value columns, the name's column
    assert all(p[0][1].startswith("kecamatan 'Antah Berantah' tidak dikenal") for p in _problems(name))
    assert name.masalah.tolist() == [f"kolom B: {p[0][1]}" for p in _problems(name)]
    ref = r[(r.sumber_sheet == "2025") & (r.sumber_baris == 9) & (r.jenis_kelamin == "L")]
    assert _problems(ref) == [[("C", "sel berisi galat rumus #REF!")]]
    assert ref.masalah.tolist() == ["kolom C: sel berisi galat rumus #REF!"]
    # `masalah` is the text form of `masalah_rinci`, for every record
    assert [None if pd.isna(t) else t for t in r.masalah] == [render_problems(p) for p in _problems(r)]


def test_a_row_total_mismatch_and_an_unreadable_period_name_their_columns(tmp_path):
    from test_attribution import KECAMATAN, dataset, read

    kolom = [KECAMATAN[0], KECAMATAN[2], {"name": "l", "alias": ["l"], "peran": "nilai", "variabel": "l"},
             {"name": "p", "alias": ["p"], "peran": "nilai", "variabel": "p"},
             {"name": "jumlah", "alias": ["jumlah"], "peran": "total"}]
    text = "kecamatan,tahun,l,p,jumlah\nKamipang,2024,10,5,15\nMarikit,2024,3,4,8\nPulau Malan,20x4,1,1,2\n"
    r = read(tmp_path, dataset("kecamatan", kolom), text, "62.06").frame()
    total = r[r.sumber_baris == 3]
    why = "jumlah = 8 tidak sama dengan jumlah nilai yang dicakupnya di baris ini = 7"
    assert _problems(total) == [[("E", why)]] * 2
    assert total.masalah.tolist() == ["kolom E: jumlah = 8 tidak sama dengan jumlah nilai yang dicakupnya di baris "
                                      "ini = 7"] * 2
    period = r[r.sumber_baris == 4]
    assert _problems(period) == [[("B", "periode '20x4' tidak terbaca")]] * 2
    assert period.masalah.tolist() == ["kolom B: periode '20x4' tidak terbaca"] * 2
    assert r[r.sumber_baris == 2].masalah_rinci.isna().all()


def test_a_problem_of_the_whole_row_has_no_column(tmp_path):
    from test_attribution import KABKOTA, dataset, read

    text = ("kode_kabupaten_kota,nama_kabupaten_kota,jumlah,tahun\n3204,KABUPATEN BANDUNG,17,2024\n"
            "3217,KABUPATEN BANDUNG,2,2024\n")
    r = read(tmp_path, dataset("kabupaten", KABKOTA), text, "32.04").frame()
    conflict = "'KABUPATEN BANDUNG' (32.04) tidak sama dengan '3217' (32.17) di kolom A"
    shifted = (f"kode dan nama wilayah bertentangan pada baris lain periode 2024 (mulai baris 3; baris 3: kolom B: "
               f"{conflict}): baris periode ini tidak dapat dipercaya")
    assert _problems(r) == [[(None, shifted)], [("B", conflict)]]  # the row as a whole; the name's column
    assert r.masalah.tolist() == [shifted, f"kolom B: {conflict}"]


def test_event_logs_keep_the_problems_of_their_bad_rows(tmp_path):
    from test_attribution import dataset, read

    from walidata.standardise.records import problems_type

    kolom = [{"name": "tanggal", "alias": ["tanggal"], "peran": "tanggal"},
             {"name": "kecamatan", "alias": ["kecamatan"], "peran": "kecamatan"},
             {"name": "korban", "alias": ["korban"], "peran": "nilai", "variabel": "korban", "satuan": "jiwa"}]
    ds = dataset("kecamatan", kolom, sumber={"periode": {"dari": "tanggal", "granularitas": "bulan"},
                                             "agregasi": {"hitung": "jumlah_kasus", "satuan": "kasus"}})
    text = "tanggal,kecamatan,korban\n03/01/2024,Katingan Hilir,2\n09/01/2024,Katingan Hilir,3\nkemarin,Kasongan,1\n"
    out = read(tmp_path, ds, text, "62.06")
    r = out.frame()
    assert out.records.schema.field("masalah_rinci").type == problems_type()
    sums = r[r.masalah.isna()]
    assert sorted(sums.variabel) == ["jumlah_kasus", "korban"] and sums.masalah_rinci.isna().all()
    bad = r[r.masalah.notna()]
    assert _problems(bad) == [[("A", "tanggal 'kemarin' tidak terbaca")]]
    assert bad.masalah.tolist() == ["kolom A: tanggal 'kemarin' tidak terbaca"]
