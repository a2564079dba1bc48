"""Indonesian period and date expressions → canonical periods: YYYY, YYYY-Sn, YYYY-Qn, YYYY-MM."""

from __future__ import annotations

import datetime as dt
import re

BULAN = {
    "januari": 1, "jan": 1, "january": 1,
    "februari": 2, "pebruari": 2, "feb": 2, "peb": 2, "february": 2,
    "maret": 3, "mar": 3, "march": 3,
    "april": 4, "apr": 4,
    "mei": 5, "may": 5,
    "juni": 6, "jun": 6, "june": 6,
    "juli": 7, "jul": 7, "july": 7,
    "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "aug": 8, "august": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "oct": 10, "october": 10,
    "november": 11, "nov": 11, "nop": 11,
    "desember": 12, "des": 12, "dec": 12, "december": 12,
}
ROMAWI = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
FLAGS = {"**": "sangat_sementara", "*": "sementara", "r": "revisi", "e": "estimasi"}
PERIODE_RE = re.compile(r"^\d{4}(?:-(?:S[12]|Q[1-4]|0[1-9]|1[0-2]))?$")

_YEAR = r"((?:19|20)\d{2})"
_FLAG_RES = [re.compile(r"^(.*?)\s*(\*\*|\*)$"), re.compile(r"^(.*\d)\s*([re])$"), re.compile(r"^(.*?)\s+([re])$")]
_TRIWULAN = re.compile(r"^(?:triwulan|tw|trw|kuartal|quarter|q)\s*\.?\s*(i{1,3}|iv|[1-4])(?:\s+" + _YEAR + r")?$")
_SEMESTER = re.compile(r"^(?:semester|smt|sem|s)\s*\.?\s*(i{1,2}|[12])(?:\s+" + _YEAR + r")?$")
_MONTH = re.compile(r"^([a-z]+)\.?(?:\s+" + _YEAR + r")?$")
EXCEL_EPOCH = dt.date(1899, 12, 30)


def _clean(text) -> str:
    return re.sub(r"\s+", " ", str(text).replace("\xa0", " ")).strip().lower()


def split_flag(text: str) -> tuple[str, str]:
    """'2025*' → ('2025', 'sementara'); text without a flag → (text, 'tetap')."""
    text = text.strip()
    for pattern in _FLAG_RES:
        m = pattern.match(text)
        if m and m.group(1):
            return m.group(1).strip(), FLAGS[m.group(2)]
    return text, "tetap"


def parse_periode(value, tahun: str | None = None) -> tuple[str, str] | None:
    """A period label as written → (periode, status), or None when it is not a period.

    Years ('2023', '2023*'), months ('Januari', 'Agt 2024', 'Januari/January'), 'Triwulan I',
    'Semester II', 'Tahunan'. Labels without a year take `tahun`.
    """
    if isinstance(value, float) and value.is_integer() and 1900 <= value <= 2100:
        return str(int(value)), "tetap"
    if isinstance(value, int) and 1900 <= value <= 2100:
        return str(value), "tetap"
    text = _clean(value)
    if not text:
        return None
    text, status = split_flag(text)
    numeric = _numeric_periode(text)
    if numeric is not False:
        return (numeric, status) if numeric else None
    for part in dict.fromkeys([text, *(p.strip() for p in text.split("/"))]):
        if re.fullmatch(_YEAR, part):
            return part, status
        if part in ("tahunan", "setahun") and tahun:
            return tahun, status
        for pattern, fmt in ((_TRIWULAN, "Q"), (_SEMESTER, "S")):
            m = pattern.match(part)
            if m:
                year = m.group(2) or tahun
                return (f"{year}-{fmt}{ROMAWI[m.group(1)]}", status) if year else None
        m = _MONTH.match(part)
        if m and m.group(1) in BULAN:
            year = m.group(2) or tahun
            return (f"{year}-{BULAN[m.group(1)]:02d}", status) if year else None
    return None


_YEAR_FLOAT = re.compile(r"^" + _YEAR + r"\.0+$")  # '2013.0': a year cell exported through a float
_YEAR_MONTH = re.compile(r"^" + _YEAR + r"(?:[-/.]?)(0[1-9]|1[0-2])$|^" + _YEAR + r"[-/.]([1-9])$")
_MONTH_YEAR = re.compile(r"^(0?[1-9]|1[0-2])[-/.]" + _YEAR + r"$")


def _numeric_periode(text: str) -> str | None | bool:
    """Periods written only in digits: '2013.0' (a year), '202001', '2020-01', '01/2020' (months). None when the
    digits cannot be a period we know ('2023/2024', a school year, is not a year); False when not all digits."""
    if not re.fullmatch(r"[\d\s./-]+", text) or re.fullmatch(_YEAR, text):
        return False
    if m := _YEAR_FLOAT.match(text):
        return m.group(1)
    if m := _YEAR_MONTH.match(text):
        return f"{m.group(1) or m.group(3)}-{int(m.group(2) or m.group(4)):02d}"
    if m := _MONTH_YEAR.match(text):
        return f"{m.group(2)}-{int(m.group(1)):02d}"
    return None


_DATE_TEXT = re.compile(r"^(\d{1,2})\s+([a-z]+)\.?\s+" + _YEAR + r"$")
_DATE_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.]" + _YEAR + r"$")
_DATE_ISO = re.compile(r"^" + _YEAR + r"-(\d{1,2})-(\d{1,2})$")


def parse_tanggal(value) -> dt.date | None:
    """A date cell → date: Excel serials, date cells, '12 Januari 2024', '12/01/2024' (d/m/y), ISO."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # Excel's serial range (1900-01-01 … 9999-12-31)
            return EXCEL_EPOCH + dt.timedelta(days=int(value))
        return None
    text = _clean(value)
    try:
        if m := _DATE_TEXT.match(text):
            if m.group(2) not in BULAN:
                return None
            return dt.date(int(m.group(3)), BULAN[m.group(2)], int(m.group(1)))
        if m := _DATE_DMY.match(text):
            return dt.date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        if m := _DATE_ISO.match(text):
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:  # 31 Februari and friends
        return None
    return None


def periode_of_date(d: dt.date, granularitas: str) -> str:
    if granularitas == "tahun":
        return str(d.year)
    if granularitas == "semester":
        return f"{d.year}-S{1 if d.month <= 6 else 2}"
    if granularitas == "triwulan":
        return f"{d.year}-Q{(d.month - 1) // 3 + 1}"
    return f"{d.year}-{d.month:02d}"


def find_year(text: str, pola: str = _YEAR) -> str | None:
    m = re.search(pola, str(text))
    return m.group(1) if m else None
