"""What may not leave the raw zone: personal numbers (NIK), declared personal columns, invisible characters.

Applied at read, on each sheet's grid right after it is read and before anything else sees it (the table
finder, attribution, records, totals, the `lain` table, lineage, error messages, problems, staging):

- **NIK** (nomor induk kependudukan, 16 digits): a cell holding one (as a number, or as text, alone or inside a
  longer text such as "Budi 6206011234560001") is masked to `620601******0001` (first 6, six stars, last 4) and
  its row gets a problem, so it is never published. What counts as a NIK: exactly 16 digits, written together
  or in groups separated by single characters that are no letter or digit ("6206 0112 3456 0001",
  "62.06.01.123456.0001", and a non-breaking or other Unicode space, a tab, an en dash or other Unicode dash or
  minus, '/', '_', ',', an invisible format character), never part of a longer run of digits; the digits may be any
  Unicode decimal digits (fullwidth "６２０６…", Arabic-Indic, …: read as ASCII, `ascii_digits`), and the mask is
  ASCII; or a numeric cell whose integer value has 16 digits (Excel keeps 15
  significant digits, so the last one may have become 0), whose first 6 digits are a kecamatan code of the
  Kemendagri reference (all of Indonesia: 62.06.01 ↔ 620601) and whose next 6 a date of birth DDMMYY (DD 01–31,
  or 41–71 for a woman, MM 01–12). Not detected: a NIK issued under a kecamatan code that no longer exists in the
  reference. A column the catalog declares an identifier (`pengenal: true`, on `abaikan` columns: a disaster
  log's event number) holds no NIK: once the table is located, its data cells get back their value as read
  (`Marks.restore`), without a NIK problem; titles, sheet names, footers and every other column stay masked.
- **Control characters** (C0/C1 except tab, LF, CR): replaced by a space in the grid, so nothing downstream
  holds them; the cell is remembered with its value shown escaped (`\\x00`). A data row holding one gets a
  problem (so 'Katingan Hilir\\x00' is never taken silently for Katingan Hilir); a header cell holding one
  refuses the file (a header says what each column is: it is not guessed at); titles and footers are only
  cleaned (they are lineage); sheet and file names are shown escaped.
- A row with a NIK or a control character is never published, whoever's it looks like: it is neither set aside
  as another region's nor taken as a total row, but kept as a record with its problem, for validation to reject.
- **Personal columns** (`pribadi: true` in the catalog, on `abaikan` columns): every value in the data rows and
  the footer is replaced by a keyed HMAC-SHA256 pseudonym (`psd_` + 20 hex digits, of the value case-folded
  with its spacing normalised, so a person written a little differently gets the same pseudonym); the key comes
  from the environment (`WALIDATA_PSEUDONYM_KEY`) or, under Airflow, the connection `walidata_pseudonim` (its
  password), never from the repository; without one (or with one under 16 bytes) the dataset is refused. A
  plain hash would not do: every NIK (and most names) can be enumerated. A NIK in a personal column is expected
  there: pseudonymised (from its clear digits), not reported.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import unicodedata
from bisect import bisect_left
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from walidata.safe_text import visible

KEY_ENV = "WALIDATA_PSEUDONYM_KEY"
KEY_CONNECTION = "walidata_pseudonim"
MIN_KEY_BYTES = 16
PSEUDONYM_PREFIX = "psd_"
DEFAULT_REFERENCE = Path(__file__).resolve().parents[2] / "reference"

_CONTROL_CLASS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_CONTROL = re.compile(f"[{_CONTROL_CLASS}]")
# Digits are every Unicode decimal digit (\d: ASCII, fullwidth ６, Arabic-Indic ٦, …); a separator is any one
# character that is no letter or digit: space, tab, NBSP and every Unicode space, '.', ',', '/', '_', '-' and every
# Unicode dash or minus, a control or invisible format character, …
_SEP = r"[\W_]"
# A run of digit groups, each separated by one separator.
_RUN = re.compile(rf"\d+(?:{_SEP}\d+)*")
_GROUP = re.compile(r"\d+")
# A cell worth a closer look: a control character, or 16 digits with at most single separators.
_SUSPECT = re.compile(rf"[{_CONTROL_CLASS}]|\d(?:{_SEP}?\d){{15}}")


class PseudonymKeyMissing(RuntimeError):
    """A dataset declares personal columns but no pseudonymisation key is available (there is no default)."""


# ------------------------------------------------------------------------------------------------ NIK

@lru_cache(maxsize=8)
def _prefixes_of(reference_dir: Path) -> frozenset[str]:
    from walidata.standardise.reference import all_wilayah

    return nik_prefixes_in(all_wilayah(reference_dir))


def nik_prefixes(reference_dir: Path | None = None) -> frozenset[str]:
    """The 6-digit kecamatan codes a NIK may start with (every kecamatan of Indonesia in the reference)."""
    return _prefixes_of(Path(reference_dir or DEFAULT_REFERENCE).resolve())


_PREFIXES_OF: dict[int, tuple[dict, frozenset[str]]] = {}


def nik_prefixes_in(wilayah: dict) -> frozenset[str]:
    """The same, from a loaded reference ({kode_kemendagri: Wilayah}, e.g. a RegionIndex's `g.w`)."""
    hit = _PREFIXES_OF.get(id(wilayah))
    if hit is None or hit[0] is not wilayah:
        hit = _PREFIXES_OF[id(wilayah)] = (wilayah, frozenset(
            c.replace(".", "") for c, w in wilayah.items() if w.tingkat == "kecamatan"))
    return hit[1]


def is_nik(digits: str, prefixes: frozenset[str]) -> bool:
    """16 digits: a kecamatan code, a date of birth DDMMYY (DD 01–31, or 41–71 for a woman: day + 40; MM 01–12),
    a serial number. The year and the day of the month are not checked further (a false alarm costs a problem
    line, a missed NIK a leak); a disaster log's event number '1116 107 2020 02 07 1' (kecamatan 11.16.10, then
    day 72) is no NIK."""
    if len(digits) != 16 or digits[:6] not in prefixes or not digits.isdigit():
        return False
    day, month = int(digits[6:8]), int(digits[8:10])
    return (1 <= day <= 31 or 41 <= day <= 71) and 1 <= month <= 12


def mask(digits: str) -> str:
    """'6206011234560001' → '620601******0001'."""
    return f"{digits[:6]}******{digits[12:]}"


class _Fold(dict):
    """str.translate table of `ascii_digits`, filled as characters are met (a table of all Unicode is slow)."""

    def __missing__(self, code: int) -> int:
        ch = chr(code)
        if ch.isdecimal():  # every Unicode decimal digit (Nd): ６ ٦ ۶ ६ 𝟔 …
            out = ord("0") + unicodedata.decimal(ch)
        elif 0xFF01 <= code <= 0xFF5E:  # fullwidth ASCII forms: ． ， ／ ＿ －
            out = code - 0xFEE0
        elif code == 0x2212 or unicodedata.category(ch) == "Pd":  # minus sign, every dash
            out = ord("-")
        else:
            out = ord(" ") if unicodedata.category(ch) == "Zs" else code  # NBSP, U+202F, U+2007, U+3000 …
        self[code] = out
        return out


_FOLD = _Fold()


def ascii_digits(text: str) -> str:
    """`text` with its Unicode digits as ASCII digits ('６２０６' → '6206'), fullwidth punctuation as ASCII, Unicode
    dashes and minus signs as '-' and Unicode spaces as ' ': one character for one, so positions keep."""
    return text if text.isascii() else text.translate(_FOLD)


def _spans(text: str, prefixes: frozenset[str]) -> list[tuple[int, int, str]]:
    """(start, end, digits) of every NIK written in `text`: whole digit groups adding up to 16 digits (any Unicode
    decimal digits, `digits` in ASCII), separated by single characters that are no letter or digit."""
    out = []
    for run in _RUN.finditer(text):
        if run.end() - run.start() < 16:
            continue
        groups = [(run.start() + g.start(), run.start() + g.end()) for g in _GROUP.finditer(run.group())]
        # From each group, the fewest whole groups that reach 16 digits (`ends`: digits before each group, so
        # that only groups adding up to exactly 16, the length a NIK has, are joined and tested; a fold to ASCII
        # keeps the length).
        ends = [0]
        for a, b in groups:
            ends.append(ends[-1] + b - a)
        n, i = len(groups), 0
        while i < n:
            j = bisect_left(ends, ends[i] + 16, i + 1)
            if j <= n and ends[j] == ends[i] + 16:
                digits = ascii_digits("".join(text[a:b] for a, b in groups[i:j]))
                if is_nik(digits, prefixes):
                    out.append((groups[i][0], groups[j - 1][1], digits))
                    i = j
                    continue
            i += 1
    return out


def mask_text(text: str, prefixes: frozenset[str]) -> tuple[str, list[str]]:
    """`text` with every NIK in it masked, and the masked NIKs."""
    spans = _spans(text, prefixes)
    if not spans:
        return text, []
    parts, last = [], 0
    for start, end, digits in spans:
        parts += [text[last:start], mask(digits)]
        last = end
    parts.append(text[last:])
    return "".join(parts), [mask(d) for _, _, d in spans]


def mask_message(text: str, prefixes: frozenset[str] | None = None) -> str:
    """A message or a name as it may travel (a problem, a log line, a field name): its NIKs masked; `text` itself
    when it holds none (the test first is cheap: most messages hold no 16 digits)."""
    if len(text) < 16 or not _SUSPECT.search(text):
        return text
    masked, niks = mask_text(text, prefixes if prefixes is not None else nik_prefixes())
    return masked if niks else text


def nik_of_number(v) -> str | None:
    """The NIK a numeric cell holds (an integer value of 16 digits), unchecked; None otherwise."""
    if v.__class__ is bool or not 1e15 <= v < 1e16 or v != int(v):
        return None
    return str(int(v))


def clean_text(text: str, prefixes: frozenset[str] | None = None) -> str:
    """A name from a file (file name, sheet name, title) as it may travel: NIKs masked, control characters
    shown escaped."""
    masked, _ = mask_text(text, prefixes if prefixes is not None else nik_prefixes())
    return visible(masked)


# ------------------------------------------------------------------------------------------ pseudonyms

def pseudonym_key(ds) -> bytes | None:
    """The HMAC key for a dataset with personal columns (None when it has none); refused when missing."""
    personal = [k.name for k in ds.kolom if k.pribadi]
    if not personal:
        return None
    key, where = os.environ.get(KEY_ENV, ""), KEY_ENV
    problem = ""
    if not key:
        where = f"Airflow connection '{KEY_CONNECTION}'"
        try:
            from airflow.sdk import BaseHook

            key = BaseHook.get_connection(KEY_CONNECTION).password or ""
        except Exception as exc:  # not under Airflow, or no such connection: no key (there is no fallback)
            problem = f" ({type(exc).__name__}: {exc})"
    if not key:
        raise PseudonymKeyMissing(
            f"dataset {ds.id}: columns {personal} are declared pribadi (personal) but no pseudonymisation key is "
            f"available: set {KEY_ENV} or the password of the Airflow connection '{KEY_CONNECTION}' (at least "
            f"{MIN_KEY_BYTES} characters, kept out of the repository){problem}; there is no default key")
    if len(key.encode()) < MIN_KEY_BYTES:
        raise PseudonymKeyMissing(f"dataset {ds.id}: the pseudonymisation key from {where} is shorter than "
                                  f"{MIN_KEY_BYTES} bytes; use a long random secret")
    return key.encode()


def _normal(v) -> str:
    """The text a pseudonym is taken of: the same person written a little differently gets the same one."""
    if v.__class__ is float and v.is_integer():
        v = int(v)
    return " ".join(_CONTROL.sub(" ", str(v)).split()).casefold()


def pseudonym(v, key: bytes) -> str:
    """'psd_' + HMAC-SHA256 of the value under the key (first 80 bits, hex); empty cells stay empty."""
    text = _normal(v)
    if not text:
        return ""
    return PSEUDONYM_PREFIX + hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:20]


# ------------------------------------------------------------------------------------------ the grid

@dataclass
class Marks:
    """What was found in a sheet's grid (0-based row, column) and has already been taken out of it."""

    control: dict[tuple[int, int], str] = field(default_factory=dict)  # → the value, control characters escaped
    nik: dict[tuple[int, int], list[str]] = field(default_factory=dict)  # → the masked NIKs of the cell
    pseudonyms: dict[tuple[int, int], str] = field(default_factory=dict)  # NIK cells → pseudonym of the original
    key: bytes | None = field(default=None, repr=False)  # the pseudonymisation key (personal columns only)
    # NIK cells → the value as read, kept only until the table is located (see `restore`, `forget_originals`)
    originals: dict[tuple[int, int], object] = field(default_factory=dict, repr=False)

    def restore(self, r: int, c: int):
        """The cell's value as read (control characters still taken out and marked), for a column the catalog
        declares an identifier: its digits are no NIK, so its NIK marks are dropped."""
        v = self.originals.pop((r, c))
        self.nik.pop((r, c), None)
        self.pseudonyms.pop((r, c), None)
        self.control.pop((r, c), None)
        return _take_control(v, r, c, self) if v.__class__ is str else v

    def forget_originals(self) -> None:
        """Once the table is located, the cleartext of every masked cell is dropped."""
        self.originals.clear()

    def problem(self, r: int, c: int, personal: bool, hint: bool = False) -> list[str]:
        """The problems of one cell, in Indonesian. None for a personal column: its values are expected to be
        personal, and every one of them is replaced by its pseudonym. `hint`: the column may be declared an
        identifier (it is undeclared or `abaikan`), and the NIK problem says how."""
        if personal:
            return []
        out = []
        if (r, c) in self.nik:
            out.append(f"berisi NIK (nomor induk kependudukan), disamarkan: {', '.join(self.nik[(r, c)])}" + (
                "; bila kolom ini berisi nomor kejadian/ID dan bukan NIK, nyatakan kolom itu di katalog dengan "
                "peran: abaikan dan pengenal: true" if hint else ""))
        if (r, c) in self.control:
            out.append(f"sel berisi karakter kendali tak terlihat: '{self.control[(r, c)]}'; hapus karakter itu "
                       f"lalu kirim ulang")
        return out


def scrub_grid(grid: list[list], prefixes: frozenset[str], key: bytes | None = None) -> Marks:
    """Mask NIKs and take control characters out of every cell, in place; what was found is returned."""
    marks = Marks(key=key)
    search = _SUSPECT.search
    for r, row in enumerate(grid):  # every cell of every file: the cheap tests first
        for v in row:  # a row without a suspect cell (most rows) is passed over in this plain loop
            cls = v.__class__
            if cls is str:
                if (len(v) > 15 or not v.isprintable()) and search(v):
                    break
            elif (cls is float or cls is int) and 1e15 <= v < 1e16:
                break
        else:
            continue
        for c, v in enumerate(row):
            cls = v.__class__
            if cls is str:
                if (len(v) > 15 or not v.isprintable()) and search(v):
                    row[c] = _scrub_text(v, r, c, prefixes, key, marks)
            elif (cls is float or cls is int) and 1e15 <= v < 1e16:
                digits = nik_of_number(v)
                if digits and is_nik(digits, prefixes):
                    marks.originals[(r, c)] = v
                    row[c] = mask(digits)
                    marks.nik[(r, c)] = [mask(digits)]
                    if key is not None:
                        marks.pseudonyms[(r, c)] = pseudonym(v, key)
    return marks


def _scrub_text(v: str, r: int, c: int, prefixes: frozenset[str], key: bytes | None, marks: Marks) -> str:
    masked, niks = mask_text(v, prefixes)
    if niks:
        marks.nik[(r, c)] = niks
        marks.originals[(r, c)] = v
        if key is not None:
            marks.pseudonyms[(r, c)] = pseudonym(v, key)
    return _take_control(masked, r, c, marks)


def _take_control(text: str, r: int, c: int, marks: Marks) -> str:
    """`text` with its control characters replaced by spaces (empty when nothing else is left), marked."""
    if not _CONTROL.search(text):
        return text
    marks.control[(r, c)] = visible(text)
    text = _CONTROL.sub(" ", text)
    return text if text.strip() else ""


def spread_over_merged(marks: Marks, merged: list) -> None:
    """A merged cell's text stands for every cell of its range (filled in later): so do its marks."""
    for (r0, c0), (r1, c1) in merged:
        for found in (marks.control, marks.nik, marks.pseudonyms, marks.originals):
            if (r0, c0) in found:
                for r in range(r0, r1 + 1):
                    for c in range(c0, c1 + 1):
                        found.setdefault((r, c), found[(r0, c0)])
