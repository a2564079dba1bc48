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
