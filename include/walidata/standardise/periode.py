"""Indonesian period and date expressions → canonical periods: YYYY, YYYY-Sn, YYYY-Qn, YYYY-MM, YYYY-Wnn.

YYYY-Wnn is an ISO week (01–53, Monday to Sunday; its year is the ISO year: 2024-W01 starts on 1 January 2024,
2026-W53 ends on 3 January 2027)."""

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
PERIODE_RE = re.compile(r"^\d{4}(?:-(?:S[12]|Q[1-4]|0[1-9]|1[0-2]|W(?:0[1-9]|[1-4]\d|5[0-3])))?$")
# What a catalog's `sumber.periode.nilai` (and a period label) may say, for messages.
BENTUK_PERIODE = ("2025", "Semester 1 2025 / Sem. II 2025", "Triwulan III 2024 / TW 3 2024 / Kuartal I 2025",
                  "Maret 2025", "Minggu ke-1 2024 / M39 2024 / 2024-W39")

_YEAR = r"((?:19|20)\d{2})"
_IN_YEAR = r"(?:\s+(?:tahun|thn|th)\.?)?\s+" + _YEAR  # ' 2024', ' tahun 2024'
_FLAG_RES = [re.compile(r"^(.*?)\s*(\*\*|\*)$"), re.compile(r"^(.*\d)\s*([re])$"), re.compile(r"^(.*?)\s+([re])$")]
_TRIWULAN = re.compile(r"^(?:triwulan|tw|trw|kuartal|quarter|q)\s*\.?\s*(?:ke\s*-?\s*)?(i{1,3}|iv|[1-4])(?:"
                       + _IN_YEAR + r")?$")
_SEMESTER = re.compile(r"^(?:semester|smt|sem|s)\s*\.?\s*(?:ke\s*-?\s*)?(i{1,2}|[12])(?:" + _IN_YEAR + r")?$")
# Weeks: 'Minggu ke-1 2024', 'Minggu 39', 'Mgg 3 2024', 'Week 39'; the bare 'M39', 'W39' only with their year (a
# unit row's 'M2' or 'M3' is square or cubic metres); ISO '2024-W39'.
_WEEK = re.compile(r"^(?:minggu|mgg|week|wk)\s*\.?\s*(?:ke\s*-?\s*)?(\d{1,2})(?:" + _IN_YEAR + r")?$"
                   r"|^[mw](\d{1,2})" + _IN_YEAR + r"$")
_ISO_WEEK = re.compile(r"^" + _YEAR + r"\s*-?\s*w\s*(\d{1,2})$")
_MONTH = re.compile(r"^([a-z]+)\.?(?:" + _IN_YEAR + r")?$")
# Two years joined as a range: '2021-2023', '2021 - 2023', '2021/2023', '2021 s.d. 2023', '2021 sampai 2023'. Never
# one year: neither is the period of one value ('2023_2024' in a file name is not taken for a range).
YEAR_RANGE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*(?:[-–—/]|s\.?\s*d\.?|sampai|hingga|to)\s*((?:19|20)\d{2})(?!\d)",
                        re.I)
_ASIDE = re.compile(r"\((?!\s*(?:19|20)\d{2}\s*\))[^()]*\)")  # '(Maret)' in 'Semester 1 (Maret) 2018'; not '(2018)'
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

    Years ('2023', '2023*'), months ('Januari', 'Agt 2024', 'Januari/January', 'Maret tahun 2025'), 'Triwulan I',
    'TW 3 2024', 'Kuartal I 2025', 'Semester II', 'Sem. II 2023', 'Semester 1 (Maret) 2018', weeks ('Minggu ke-1
    2024', 'M39 2024', '2024-W39'), 'Tahunan'. Labels without a year take `tahun`. A range of years ('2021-2023',
    'Semester I 2021/2022') is no period: never its first year.
    """
    if isinstance(value, float) and value.is_integer() and 1900 <= value <= 2100:
        return str(int(value)), "tetap"
    if isinstance(value, int) and 1900 <= value <= 2100:
        return str(value), "tetap"
    text = _clean(value)
    if not text or YEAR_RANGE.search(text):
        return None
    text, status = split_flag(text)
    numeric = _numeric_periode(text)
    if numeric is not False:
        return (numeric, status) if numeric else None
    plain = re.sub(r"\s+", " ", _ASIDE.sub(" ", text)).replace("(", "").replace(")", "").strip()
    if not re.fullmatch(_YEAR, plain):  # '2024 (angka sementara)' stays unread: its aside may be a status
        text = plain
    text = re.sub(r"\s*/\s*" + _YEAR + r"$", r" \1", text)  # 'Semester I/2025'
    for part in dict.fromkeys([text, *(p.strip() for p in text.split("/"))]):
        found = _periode_of_part(part, tahun)
        if found is not False:
            return (found, status) if found else None
    return None


def _periode_of_part(part: str, tahun: str | None) -> str | None | bool:
    """One label (one side of 'Januari/January') → its period; None when it is a period without a year (or an
    impossible week); False when it is no period at all."""
    if re.fullmatch(_YEAR, part):
        return part
    if part in ("tahunan", "setahun"):
        return tahun if tahun else False
    for pattern, fmt in ((_TRIWULAN, "Q"), (_SEMESTER, "S")):
        if m := pattern.match(part):
            year = m.group(2) or tahun
            return f"{year}-{fmt}{ROMAWI[m.group(1)]}" if year else None
    if m := _ISO_WEEK.match(part):
        return week_periode(m.group(1), int(m.group(2)))
    if m := _WEEK.match(part):
        year = (m.group(2) or tahun) if m.group(1) else m.group(4)
        return week_periode(year, int(m.group(1) or m.group(3))) if year else None
    m = _MONTH.match(part)
    if m and m.group(1) in BULAN:
        year = m.group(2) or tahun
        return f"{year}-{BULAN[m.group(1)]:02d}" if year else None
    return False


def week_periode(year: str, week: int) -> str | None:
    """'2024', 39 → '2024-W39'; None for a week the ISO year does not have (week 53 of 2024, week 0)."""
    try:
        dt.date.fromisocalendar(int(year), week, 1)
    except ValueError:
        return None
    return f"{year}-W{week:02d}"


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
    if granularitas == "minggu":
        year, week, _ = d.isocalendar()
        return f"{year}-W{week:02d}"
    if granularitas == "tahun":
        return str(d.year)
    if granularitas == "semester":
        return f"{d.year}-S{1 if d.month <= 6 else 2}"
    if granularitas == "triwulan":
        return f"{d.year}-Q{(d.month - 1) // 3 + 1}"
    return f"{d.year}-{d.month:02d}"


def find_year(text: str, pola: str = _YEAR) -> str | None:
    """The year a text names ('Tabel 3.1 Penduduk 2024' → '2024'); None when it names none, or when it holds a
    range of years ('2021-2023', '2021/2023'): a range is never read as its first year (see `year_range`)."""
    text = str(text)
    if year_range(text):
        return None
    m = re.search(pola, text)
    return m.group(1) if m else None


def year_range(text: str, taken: re.Match | None = None) -> str | None:
    """The range of years a text holds, as written ('2021 - 2023'), or None. With `taken` (a catalog pattern's
    match on the text), only a range its period (group 1) is part of, unless the whole match spans the range (a
    pattern that names the range on purpose, like '((?:19|20)\\d{2})-(?:19|20)\\d{2}')."""
    for r in YEAR_RANGE.finditer(str(text)):
        if taken is None:
            return r.group(0)
        inside = taken.start(1) < r.end() and taken.end(1) > r.start()
        if inside and not (taken.start() <= r.start() and taken.end() >= r.end()):
            return r.group(0)
    return None


def year_range_reason(where: str, rentang: str) -> str:
    """Why a name or title holding a range of years gives no period (for the OPD, in Indonesian)."""
    last = YEAR_RANGE.match(rentang).group(2)
    return (f"{where} memuat rentang tahun {rentang}, bukan satu tahun; Walidata tidak mengambil tahun pertamanya "
            f"begitu saja: tulis satu tahun data di {where} (misalnya {last}), atau kirim satu file per tahun")
