import datetime as dt

import pytest

from walidata.standardise.periode import parse_periode, parse_tanggal, periode_of_date


@pytest.mark.parametrize(
    "text, tahun, expected",
    [
        ("2024", None, ("2024", "tetap")),
        (2023.0, None, ("2023", "tetap")),
        ("2025*", None, ("2025", "sementara")),
        ("2025**", None, ("2025", "sangat_sementara")),
        ("2024 r", None, ("2024", "revisi")),
        ("2024e", None, ("2024", "estimasi")),
        ("Januari", "2024", ("2024-01", "tetap")),
        ("Agt", "2024", ("2024-08", "tetap")),
        ("Ags", "2024", ("2024-08", "tetap")),
        ("Agu 2023", None, ("2023-08", "tetap")),
        ("Mei*", "2025", ("2025-05", "sementara")),
        ("Desember 2025", None, ("2025-12", "tetap")),
        ("Januari/January", "2024", ("2024-01", "tetap")),
        ("Triwulan I", "2024", ("2024-Q1", "tetap")),
        ("Triwulan IV 2023", None, ("2023-Q4", "tetap")),
        ("TW 3", "2024", ("2024-Q3", "tetap")),
        ("Semester II", "2024", ("2024-S2", "tetap")),
        ("Semester I 2025", None, ("2025-S1", "tetap")),
        ("Tahunan", "2024", ("2024", "tetap")),
    ],
)
def test_periods(text, tahun, expected):
    assert parse_periode(text, tahun) == expected


@pytest.mark.parametrize("text", ["Kecamatan", "Jumlah", "", "13", "Januari"])
def test_not_periods_or_missing_year(text):
    assert parse_periode(text) is None


@pytest.mark.parametrize(
    "value, expected",
    [
        (45292.0, dt.date(2024, 1, 1)),  # Excel serial
        (dt.datetime(2024, 8, 17, 0, 0), dt.date(2024, 8, 17)),
        (dt.date(2024, 8, 17), dt.date(2024, 8, 17)),
        ("17 Agustus 2024", dt.date(2024, 8, 17)),
        ("3 Agt 2023", dt.date(2023, 8, 3)),
        ("17/08/2024", dt.date(2024, 8, 17)),
        ("17-08-2024", dt.date(2024, 8, 17)),
        ("2024-08-17", dt.date(2024, 8, 17)),
        ("31 Februari 2024", None),
        ("kemarin", None),
    ],
)
def test_dates(value, expected):
    assert parse_tanggal(value) == expected


def test_period_of_date():
    d = dt.date(2024, 8, 17)
    assert [periode_of_date(d, g) for g in ("tahun", "semester", "triwulan", "bulan")] == [
        "2024", "2024-S2", "2024-Q3", "2024-08"]


@pytest.mark.parametrize("written, want", [
    ("2013.0", ("2013", "tetap")), ("202001", ("2020-01", "tetap")), ("2020-01", ("2020-01", "tetap")),
    ("01/2020", ("2020-01", "tetap")), ("1/2020", ("2020-01", "tetap")),
    ("2023/2024", None),  # a school year is not a year: never silently the first one
    ("2020-13", None),
])
def test_periods_written_in_digits(written, want):
    from walidata.standardise.periode import parse_periode

    assert parse_periode(written) == want


# ------------------------------------------------------------------ issue 20: labels with extras, weeks, ranges

ISSUE_20_LABELS = {
    "Semester 1 (Maret) 2018": "2018-S1", "Semester I 2025": "2025-S1", "Semester 2 2024": "2024-S2",
    "Sem. II 2023": "2023-S2", "Semester II Tahun 2023": "2023-S2", "Semester I/2025": "2025-S1",
    "Semester I (2018)": "2018-S1", "Triwulan III 2024": "2024-Q3", "TW 3 2024": "2024-Q3",
    "Kuartal I 2025": "2025-Q1", "Triwulan ke-3 2024": "2024-Q3", "Maret 2025": "2025-03",
    "Minggu ke-1 2024": "2024-W01", "Minggu 39 2024": "2024-W39", "M39 2024": "2024-W39", "2024-W39": "2024-W39",
    "2026-W53": "2026-W53",  # 2026 has 53 ISO weeks
}


def test_semester_quarter_month_and_week_labels_with_their_extras():
    assert {t: parse_periode(t) for t in ISSUE_20_LABELS} == {t: (p, "tetap") for t, p in ISSUE_20_LABELS.items()}
    assert parse_periode("Minggu ke-3", "2024") == ("2024-W03", "tetap")  # the year from elsewhere


def test_ranges_impossible_weeks_and_units_are_no_periods():
    texts = ["2021-2023", "2021 - 2023", "2021/2023", "2021 s.d. 2023", "Semester I 2021/2022", "Tahun 2021-2023",
             "2024-W53",  # 2024 has 52 ISO weeks
             "Minggu ke-54 2024", "M2", "m3", "Luas (M2)"]  # square and cubic metres are no weeks
    assert {t: parse_periode(t, "2024") for t in texts} == dict.fromkeys(texts)


def test_a_range_of_years_never_gives_its_first_year():
    from walidata.standardise.periode import find_year, year_range

    assert [find_year(t) for t in ("Penduduk 2021-2023", "data 2021 - 2023.xlsx", "Rekap 2021/2023")] == [None] * 3
    assert find_year("Penduduk Tahun 2024") == "2024" and find_year("sd_2023_2024.csv") == "2023"
    assert year_range("Rekap 2021 - 2023 (final)") == "2021 - 2023"


def test_weeks_are_canonical_periods_everywhere_they_are_interpreted():
    from walidata.standardise.periode import PERIODE_RE
    from walidata.validate.checks import periode_end

    assert PERIODE_RE.match("2024-W39") and PERIODE_RE.match("2026-W53")
    assert not PERIODE_RE.match("2024-W54") and not PERIODE_RE.match("2024-W00") and not PERIODE_RE.match("2024-W9")
    assert periode_end("2024-W39") == dt.date(2024, 9, 29) and periode_end("2026-W53") == dt.date(2027, 1, 3)
    assert periode_of_date(dt.date(2024, 12, 30), "minggu") == "2025-W01"  # ISO year: 30 Dec 2024 is 2025's week 1


# Real CSV files read by the real reader (standardise_files), the year of the table from its name or title.
WEEKLY = [{"name": "kecamatan", "alias": ["kecamatan"], "peran": "kecamatan"},
          {"name": "jumlah", "alias": ["jumlah"], "peran": "nilai"},
          {"name": "minggu", "alias": ["minggu"], "peran": "periode"}]
BY_YEAR = [{"name": "kecamatan", "alias": ["kecamatan"], "peran": "kecamatan"},
           {"name": "jumlah", "alias": ["jumlah"], "peran": "nilai"}]


def test_a_weekly_table_is_read_into_iso_weeks(tmp_path):
    from test_attribution import dataset, read

    text = "kecamatan,jumlah,minggu\nKamipang,4,Minggu ke-1 2024\nKamipang,6,M39 2024\nKatingan Hilir,2,2024-W39\n"
    out = read(tmp_path, dataset("kecamatan", WEEKLY), text, "62.06")
    assert out.frame()[["kode_wilayah", "periode", "nilai"]].values.tolist() == [
        ["62.06.01", "2024-W01", 4], ["62.06.01", "2024-W39", 6], ["62.06.02", "2024-W39", 2]]


@pytest.mark.parametrize("periode, name, text, why", [
    ({"dari": "file"}, "penduduk_2021-2023.csv", "kecamatan,jumlah\nKamipang,4\n",
     "nama file memuat rentang tahun 2021-2023, bukan satu tahun"),
    ({"dari": "file"}, "penduduk 2021 - 2023.csv", "kecamatan,jumlah\nKamipang,4\n",
     "nama file memuat rentang tahun 2021 - 2023, bukan satu tahun"),
    ({"dari": "judul"}, "data.csv", "Jumlah Penduduk 2021/2023\nkecamatan,jumlah\nKamipang,4\n",
     "baris judul memuat rentang tahun 2021/2023, bukan satu tahun"),
    ({"dari": "kolom", "tahun_dari": "file"}, "bulanan_2021-2023.csv",
     "kecamatan,jumlah,bulan\nKamipang,4,Januari\n", "nama file memuat rentang tahun 2021-2023, bukan satu tahun"),
])
def test_a_name_or_title_holding_a_range_of_years_is_refused(tmp_path, periode, name, text, why):
    from test_attribution import dataset, read

    from walidata.sources.spreadsheet import SourceError

    kolom = BY_YEAR + ([{"name": "bulan", "alias": ["bulan"], "peran": "periode"}] if "bulan" in text else [])
    with pytest.raises(SourceError, match=why):
        read(tmp_path, dataset("kecamatan", kolom, sumber={"periode": periode}), text, "62.06", name=name)
    if periode["dari"] == "file":  # a catalog pattern that names the range on purpose takes the year it says
        pola = r"((?:19|20)\d{2})\s*-\s*(?:19|20)\d{2}"
        ds = dataset("kecamatan", BY_YEAR, sumber={"periode": {"dari": "file", "pola": pola}})
        assert read(tmp_path, ds, text, "62.06", name=name).frame().periode.tolist() == ["2021"]


@pytest.mark.parametrize("nilai, want", [("Semester 1 2025", "2025-S1"), ("Triwulan III 2024", "2024-Q3"),
                                         ("Maret 2025", "2025-03"), (2025, "2025")])
def test_a_fixed_period_is_read_by_the_same_parser(tmp_path, nilai, want):
    from test_attribution import dataset, read

    ds = dataset("kecamatan", BY_YEAR, sumber={"periode": {"dari": "tetap", "nilai": nilai}})
    assert read(tmp_path, ds, "kecamatan,jumlah\nKamipang,4\n", "62.06").frame().periode.tolist() == [want]
