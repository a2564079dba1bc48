"""Numbers and dates in Indonesian format, for the indicator report's tables and charts.

Thousands are grouped with '.', decimals follow ',' (1.234,5), the minus sign is '-'. The same convention
drives the charts: `LOKAL_ANGKA` is a d3-format locale (vl_convert ships no "id-ID" locale, so it is given
as a dictionary) and `LOKAL_WAKTU` a d3-time-format one, with Indonesian month names.

The number of decimals is chosen per indicator from its values (`desimal`): none for whole numbers, one from
100 up, two from 1 up, three below, so every figure of one indicator is shown alike.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

KOSONG = "–"  # no value (None, NaN): a dash, never a number

BULAN = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
         "November", "Desember"]
BULAN_PENDEK = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]

LOKAL_ANGKA = {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["Rp", ""], "minus": "-"}
LOKAL_WAKTU = {
    "dateTime": "%A, %e %B %Y pukul %H.%M.%S", "date": "%d/%m/%Y", "time": "%H.%M.%S",
    "periods": ["AM", "PM"],
    "days": ["Minggu", "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu"],
    "shortDays": ["Min", "Sen", "Sel", "Rab", "Kam", "Jum", "Sab"],
    "months": BULAN, "shortMonths": BULAN_PENDEK,
}


def _ada(x) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def desimal(nilai: Iterable) -> int:
    """How many decimals suit a set of values: 0 for whole numbers, else 1 (≥ 100), 2 (≥ 1) or 3."""
    xs = [float(x) for x in nilai if _ada(x)]
    if not xs or all(x == round(x) for x in xs):
        return 0
    besar = max(abs(x) for x in xs)
    return 1 if besar >= 100 else 2 if besar >= 1 else 3


def angka(x, d: int | None = None) -> str:
    """1234.5 → '1.234,5'; -0.25 → '-0,25'; None or NaN → '–'. With `d`, exactly `d` decimals (a table's
    column); without, up to `desimal([x])` decimals, trailing zeros dropped."""
    if not _ada(x):
        return KOSONG
    x = float(x)
    teks = f"{abs(x):,.{desimal([x]) if d is None else d}f}".translate(str.maketrans(",.", ".,"))
    if d is None and "," in teks:
        teks = teks.rstrip("0").rstrip(",")
    nol = all(c in "0,." for c in teks)
    return teks if x >= 0 or nol else "-" + teks


def pola(d: int) -> str:
    """The d3-format pattern for `d` decimals with grouping (with LOKAL_ANGKA: the same text as `angka`)."""
    return f",.{d}f"


def periode_teks(periode: str) -> str:
    """'2024' → '2024'; '2024-03' → 'Maret 2024'."""
    tahun, _, bulan = str(periode).partition("-")
    if bulan.isdigit() and 1 <= int(bulan) <= 12:
        return f"{BULAN[int(bulan) - 1]} {tahun}"
    return str(periode)
