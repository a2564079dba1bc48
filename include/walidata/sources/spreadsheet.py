"""Reading OPD files (xlsx, xls, ods via calamine; csv; HTML tables) into sheets of cells.

Checks a file before reading it (size, decompression bomb, password protection, what it really is) and reads
each declared sheet into a grid (`Sheet`). Finding the table inside a grid is `sources.table`. Every error
names the file, and the sheet, row and column where there is one.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from walidata.catalog import Dataset

INDEX_CELL = re.compile(r"^\(\d+\)$")  # the "(1) (2) (3)" column-index row under BPS headers
# Column-number cells: '(1)', '(3)=(4)+(5)', '3 = Σ (4-14)', '4+5' — column numbers and arithmetic, no words.
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")


class SourceError(ValueError):
    """A file the pipeline cannot read as declared; the message names file, sheet, row and column."""

    def __init__(self, file: str, message: str, sheet: str | None = None, row: int | None = None,
                 column: str | None = None):
        self.file, self.sheet, self.row, self.column, self.reason = file, sheet, row, column, message
        where = [f"file {file}"]
        if sheet is not None:
            where.append(f"sheet '{sheet}'")
        if row is not None:
            where.append(f"baris {row}")
        if column is not None:
            where.append(f"kolom {column}")
        super().__init__(", ".join(where) + ": " + message)


def col_letter(idx: int) -> str:
    """0-based column index → spreadsheet letter (0 → A, 27 → AB)."""
    s = ""
    idx += 1
    while idx:
        idx, r = divmod(idx - 1, 26)
        s = chr(65 + r) + s
    return s


class RecordProblem(NamedTuple):
    """One problem of a record: the sheet column it is in (its letter; None when it is the row's or the sheet's
    as a whole) and why, in Indonesian, without the place. Carried as is to `masalah_rinci`."""

    kolom: str | None
    alasan: str


def render_problems(problems) -> str | None:
    """The text form of a record's problems, as `masalah` shows them: 'column C: alasan; alasan lain'."""
    if not problems:
        return None
    return "; ".join(f"kolom {kolom}: {alasan}" if kolom else alasan for kolom, alasan in problems)


_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1 << 16)
def _norm_str(s: str) -> str:
    return _SPACES.sub(" ", s.replace("\xa0", " ")).strip().lower()


def norm(s) -> str:
    """Case- and space-folded text of a cell (labels repeat a lot: cached)."""
    return _norm_str(s if isinstance(s, str) else str(s))


@lru_cache(maxsize=1 << 14)
def _labels_str(t: str) -> frozenset[str]:
    t = _norm_str(t)
    if not t:
        return frozenset()
    return frozenset({t} | {p.strip() for p in t.split("/") if p.strip()})


def labels_of(text) -> frozenset[str]:
    return _labels_str(text if isinstance(text, str) else str(text))


@lru_cache(maxsize=4096)
def _alias_parts(alias: str) -> tuple[str, ...]:
    return tuple(_norm_str(part) for part in alias.split(">"))


def alias_matches(alias: str, labels) -> bool:
    if labels.__class__ is frozenset:  # headers repeat over sheets and files: decided once per (alias, labels)
        return _alias_matches(alias, labels)
    if alias.strip() == "*":
        return True
    return all(part in labels for part in _alias_parts(alias))


@lru_cache(maxsize=1 << 16)
def _alias_matches(alias: str, labels: frozenset) -> bool:
    if alias.strip() == "*":
        return True
    return all(part in labels for part in _alias_parts(alias))


# ---------------------------------------------------------------------------------------------- files

@dataclass
class Sheet:
    name: str
    grid: list[list]
    merged: list = field(default_factory=list)
    html: bool = False  # a table of an HTML page: pages hold layout tables too, which are skipped
    titles: list[str] = field(default_factory=list)  # HTML: the headings just before the table
    spans_lost: bool = False  # CSV: merged header cells were flattened, their label kept only in the first


# What a reader may be asked to build. Beyond these a file is refused before it is read, rather than read until the
# machine runs out of memory: calamine builds a sheet's whole used range (rows × columns) at once, and a 2 KB
# workbook naming cell XFD1048576 asks for 17 billion cells (the process aborts, taking the Airflow worker along).
MAX_CELL_CHARS = 32_767  # Excel's own limit for the text of one cell
MAX_COLUMNS = 16_384  # Excel's last column, XFD
MAX_CELLS = 20_000_000  # rows × columns of one sheet (1M rows × 20 columns)
ZIP_CHUNK = 1 << 20
LONGEST_TAG = 1 << 18  # an XML tag longer than 256 KB is not something a spreadsheet program writes
_DTD = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.I)
# <row r="7">, <c r="B7">: what calamine places. (The 'r' first, then the space before it looked back at: the same
# matches as \sr…, found twice as fast, since the search skips to each 'r' instead of trying every space.)
_CELL_REF = re.compile(rb"""r(?<=\sr)\s*=\s*["']([A-Z]*)(\d+)""")
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _ribuan(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def sniff_format(path: Path, label: str, max_mb: float, max_unzipped_mb: float) -> str:
    """'calamine', 'html' or 'csv' after checking size, zip contents and encryption; SourceError otherwise.
    What a file is comes from its bytes, not its name: a BPS download named .xls is often HTML."""
    size = path.stat().st_size
    if size > max_mb * 1e6:
        raise SourceError(label, f"ukuran file {size / 1e6:.2f} MB, melebihi batas {max_mb:g} MB untuk dataset ini")
    if size == 0:
        raise SourceError(label, "file kosong (0 byte)")
    with open(path, "rb") as f:
        start = f.read(65536)
    head = start[:8]
    if head == OLE_MAGIC:
        data = path.read_bytes()
        if ENCRYPTED_MARK in data:
            raise SourceError(label, "workbook dilindungi kata sandi; kirim tanpa kata sandi")
        return "calamine"  # legacy .xls
    if head.startswith(b"PK\x03\x04"):
        check_zip(path, label, size, max_unzipped_mb)
        return "calamine"
    from walidata.sources.html_tables import looks_like_html

    if b"urn:schemas-microsoft-com:office:spreadsheet" in start:
        raise SourceError(label, "file XML Spreadsheet 2003, bukan workbook yang dapat dibaca pipeline ini; buka di "
                                 "program spreadsheet lalu simpan sebagai .xlsx")
    if looks_like_html(start):
        return "html"
    if path.suffix.lower() in (".csv", ".txt"):
        return "csv"
    if path.suffix.lower() in (".html", ".htm"):
        raise SourceError(label, "file HTML tanpa tabel (tidak ada <table> di dalamnya)")
    raise SourceError(label, "bukan workbook yang dapat dibaca (bukan xlsx, xls, ods, csv, maupun tabel HTML)")


def check_zip(path: Path, label: str, size: int, max_unzipped_mb: float) -> None:
    """A workbook's zip, every part unpacked once before any reader opens it: declared sizes within the limits,
    each part no larger than it declares and matching its CRC, no DOCTYPE/ENTITY (billion laughs, XXE), no part
    named to land outside a folder, and no sheet whose used range is beyond MAX_CELLS."""
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise SourceError(label, f"bukan workbook yang dapat dibaca (zip rusak: {exc})") from None
    names = {i.filename for i in infos}
    unzipped = sum(i.file_size for i in infos)
    # Real workbooks pack 5–50×; a ratio far beyond that is a bomb, whatever its absolute size.
    if unzipped > max_unzipped_mb * 1e6 or unzipped / size > 250:
        raise SourceError(label, f"ditolak: terurai menjadi {unzipped / 1e6:.0f} MB dari {size / 1e6:.2f} MB "
                                 f"(batas {max_unzipped_mb:g} MB; bom dekompresi?)")
    if not ({"xl/workbook.xml", "xl/workbook.bin"} & names or "content.xml" in names):
        raise SourceError(label, "arsip zip, tetapi bukan workbook (tidak ada xl/workbook.xml atau content.xml di "
                                 "dalamnya)")
    odd = [n for n in names if n.startswith(("/", "\\")) or ".." in re.split(r"[/\\]", n) or ":" in n]
    if odd:
        raise SourceError(label, f"arsip ini berisi bagian bernama {odd[0][:80]!r}, yang akan tersimpan di luar "
                                 "foldernya: bukan workbook dari program spreadsheet; simpan ulang sebagai .xlsx")
    cells = "xl/workbook.xml" in names
    with open(path, "rb") as f:
        for info in infos:
            if not info.is_dir():
                _check_part(f, info, label, cells)


def _check_part(f, info: zipfile.ZipInfo, label: str, cells: bool) -> None:
    """One part: no DTD, not UTF-16 (calamine reads such a part as empty), and (xlsx) its used range."""
    part = info.filename[:80]
    carry, first, rows, cols = b"", True, 0, 0
    for chunk in _part_bytes(f, info, label):
        if first and _utf16_xml(chunk[:6]):
            raise SourceError(label, f"bagian {part!r} workbook ini ditulis dalam UTF-16, yang tidak terbaca; "
                                     "buka di program spreadsheet lalu simpan ulang sebagai .xlsx")
        first = False
        window = carry + chunk
        if _DTD.search(window):
            raise SourceError(label, f"bagian {part!r} workbook ini berisi deklarasi DOCTYPE/ENTITY (entitas XML), "
                                     "yang tidak pernah ditulis Excel atau LibreOffice dan dapat dipakai untuk "
                                     "serangan (billion laughs, XXE); berkas ditolak tanpa dibaca")
        if cells:
            refs = _CELL_REF.findall(window)
            if refs:
                rows = max(rows, max(map(int, {r for _, r in refs})))
                cols = max(cols, max(_col_number(c) for c in {c for c, _ in refs}))
                _refuse_used_range(label, part, rows, cols)
        carry = _carry(window, label, part)


def _utf16_xml(head: bytes) -> bool:
    """The part starts like UTF-16 XML: a byte-order mark and '<', or '<' and a character in UTF-16."""
    text = head[2:] if head[:2] in (b"\xff\xfe", b"\xfe\xff") else head
    return len(text) >= 4 and ((text[0:1] == b"<" and text[1] == 0 and text[2] != 0 and text[3] == 0)
                               or (text[0] == 0 and text[1:2] == b"<" and text[2] == 0 and text[3] != 0))


def _carry(window: bytes, label: str, part: str) -> bytes:
    """The end of `window` from its last '<': a tag cut by a chunk boundary is searched whole next time."""
    lt = window.rfind(b"<")
    if lt >= 0 and window.find(b">", lt) < 0:
        if len(window) - lt > LONGEST_TAG:
            raise SourceError(label, f"bagian {part!r} workbook ini berisi tag XML lebih dari "
                                     f"{LONGEST_TAG // 1024} KB: bukan workbook dari program spreadsheet")
        return window[lt:]
    return window[-64:]


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _refuse_used_range(label: str, part: str, rows: int, cols: int) -> None:
    if cols > MAX_COLUMNS or rows * cols > MAX_CELLS:
        raise SourceError(label, f"lembar kerja {part!r} meliputi {_ribuan(rows)} baris × {_ribuan(cols)} kolom "
                                 f"({_ribuan(rows * cols)} sel), lebih dari batas {_ribuan(MAX_CELLS)} sel (atau "
                                 f"{_ribuan(MAX_COLUMNS)} kolom) yang dapat dibaca; hapus isi sel yang jauh di luar "
                                 "tabel (Ctrl+End menunjukkan sel terakhir) lalu kirim ulang")


def _part_bytes(f, info: zipfile.ZipInfo, label: str):
    """A part's bytes as they unpack, read from its local header: never more than the size it declares (already
    within the limits), and refused unless it unpacks to exactly that size with that CRC."""
    def damaged(why: str):
        return SourceError(label, f"berkas rusak: bagian {info.filename[:80]!r} {why}; simpan ulang dari program "
                                  "spreadsheet lalu kirim ulang")

    if info.flag_bits & 1:
        raise SourceError(label, "workbook dilindungi kata sandi; kirim tanpa kata sandi")
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise damaged(f"dikompresi dengan metode {info.compress_type}, yang tidak dipakai program spreadsheet")
    f.seek(info.header_offset)
    local = f.read(30)
    if len(local) < 30 or local[:4] != b"PK\x03\x04":
        raise damaged("tidak ditemukan di tempat yang dinyatakan daftar isi arsip")
    f.seek(info.header_offset + 30 + int.from_bytes(local[26:28], "little") + int.from_bytes(local[28:30], "little"))
    import zlib

    total, crc = 0, 0
    for out in _unpacked(f, info, damaged):
        total += len(out)
        if total > info.file_size:
            raise damaged(f"berisi lebih dari {_ribuan(info.file_size)} byte yang dinyatakannya (bom dekompresi?)")
        crc = zlib.crc32(out, crc)
        yield out
    if total != info.file_size or crc != info.CRC:
        raise damaged("tidak cocok dengan ukuran atau CRC yang dinyatakannya (isinya berubah setelah disimpan)")


def _unpacked(f, info: zipfile.ZipInfo, damaged):
    import zlib

    inflate = zlib.decompressobj(-15) if info.compress_type == zipfile.ZIP_DEFLATED else None
    left = info.compress_size
    while left:
        data = f.read(min(ZIP_CHUNK, left))
        if not data:
            raise damaged("terpotong")
        left -= len(data)
        while data:
            try:
                out = inflate.decompress(data, ZIP_CHUNK) if inflate else data
            except zlib.error as exc:
                raise damaged(f"tidak dapat dibuka ({exc})") from None
            data = inflate.unconsumed_tail if inflate else b""
            if out:
                yield out
    while inflate and not inflate.eof and (out := inflate.decompress(b"", ZIP_CHUNK)):
        yield out
    if inflate and not inflate.eof:
        raise damaged("terpotong")


_BOMS = ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"), (b"\xef\xbb\xbf", "utf-8-sig"),
         (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16"))


def _decode(raw: bytes, encoding: str | None, label: str = "") -> str:
    """CSV bytes as text. A byte-order mark decides; then the catalog's `csv_encoding`; then UTF-16 without a mark
    (every other byte NUL); then UTF-8; then Windows-1252 (what Excel on Windows writes). A file that fits none, or
    mixes UTF-8 lines with other lines, is refused naming the line: mis-decoded text gives wrong names silently."""
    for bom, enc in _BOMS:
        if raw.startswith(bom):
            return _decode_as(raw, enc, label, "menurut tanda BOM di awal berkas")
    if encoding:
        return _decode_as(raw, encoding, label, f"menurut katalog (csv_encoding: {encoding})")
    utf16 = _utf16_without_bom(raw[:4096])
    if utf16:
        return _decode_as(raw, utf16, label, "UTF-16 tanpa tanda BOM")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        first_utf8 = _UTF8_MULTIBYTE.search(raw)
        if first_utf8:
            bad, good = raw[:exc.start].count(b"\n") + 1, raw[:first_utf8.start()].count(b"\n") + 1
            raise SourceError(label, f"teks CSV campuran: baris {good} ditulis dalam UTF-8, baris {bad} tidak "
                                     f"(byte 0x{raw[exc.start]:02X}, mis. Windows-1252); nama dan angka tidak dapat "
                                     "dibaca dengan pasti; simpan ulang seluruh berkas sebagai CSV UTF-8") from None
    return _decode_as(raw, "cp1252", label, "Windows-1252, karena bukan UTF-8")


def _utf16_without_bom(sample: bytes) -> str | None:
    even, odd = sample[0::2], sample[1::2]
    if len(odd) < 8:
        return None
    if odd.count(0) > 0.4 * len(odd) and even.count(0) <= 0.01 * len(even):
        return "utf-16-le"
    if even.count(0) > 0.4 * len(even) and odd.count(0) <= 0.01 * len(odd):
        return "utf-16-be"
    return None


def _decode_as(raw: bytes, encoding: str, label: str, why: str) -> str:
    try:
        return raw.decode(encoding)
    except LookupError:
        raise SourceError(label, f"pengodean {encoding!r} {why} tidak dikenal") from None
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].decode(encoding, "replace").count("\n") + 1
        raise SourceError(label, f"baris {line}: byte 0x{raw[exc.start]:02X} tidak dapat dibaca sebagai {encoding} "
                                 f"({why}); simpan ulang berkas sebagai CSV UTF-8", row=line) from None


def read_csv(path: Path, label: str, delimiter: str | None, encoding: str | None) -> Sheet:
    text = _decode(path.read_bytes(), encoding, label)
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:20000], delimiters=";,\t").delimiter
        except csv.Error:
            delimiter = ";" if text.count(";") > text.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    grid, cells = [], 0
    try:
        for row in reader:
            grid.append(row)
            cells += len(row)
            if len(row) > MAX_COLUMNS or cells > MAX_CELLS:
                raise SourceError(label, f"berkas melewati batas {_ribuan(MAX_COLUMNS)} kolom atau "
                                         f"{_ribuan(MAX_CELLS)} sel yang dapat dibaca", row=reader.line_num)
    except csv.Error as exc:
        why = (f"sel berisi teks lebih dari {_ribuan(MAX_CELL_CHARS)} karakter (batas Excel untuk satu sel)"
               if "field larger" in str(exc) else f"teks CSV tidak dapat diurai ({exc})")
        raise SourceError(label, why, row=reader.line_num) from None
    return Sheet(name=path.stem, grid=grid, spans_lost=True)


def check_grid(sheet: Sheet, label: str) -> Sheet:
    """A sheet as read: within MAX_COLUMNS and MAX_CELLS, and no cell longer than Excel allows (a 100,000-character
    'name' is not a name; it would only travel on into messages, logs and feedback)."""
    width = max(map(len, sheet.grid), default=0)
    if width > MAX_COLUMNS or width * len(sheet.grid) > MAX_CELLS:
        raise SourceError(label, f"lembar ini meliputi {_ribuan(len(sheet.grid))} baris × {_ribuan(width)} kolom, "
                                 f"lebih dari batas {_ribuan(MAX_CELLS)} sel (atau {_ribuan(MAX_COLUMNS)} kolom) yang "
                                 "dapat dibaca", sheet=sheet.name[:100])
    for r, row in enumerate(sheet.grid):
        for v in row:  # a plain loop: every cell of every sheet passes here
            if v.__class__ is str and len(v) > MAX_CELL_CHARS:
                break
        else:
            continue
        c = next(c for c, v in enumerate(row) if v.__class__ is str and len(v) > MAX_CELL_CHARS)
        raise SourceError(label, f"sel berisi teks {_ribuan(len(row[c]))} karakter, lebih dari "
                                 f"{_ribuan(MAX_CELL_CHARS)} (batas Excel untuk satu sel); periksa isi sel itu",
                          sheet=sheet.name[:100], row=r + 1, column=col_letter(c))
    return sheet


def read_sheets(path: Path, label: str, ds: Dataset) -> list[Sheet]:
    src = ds.sumber
    kind = sniff_format(Path(path), label, src.batas_ukuran_mb, src.batas_dekompresi_mb)
    if kind == "csv":
        return [check_grid(read_csv(Path(path), label, src.csv_pemisah, src.csv_encoding), label)]
    if kind == "html":
        try:
            return _read_html_sheets(Path(path), label, src.sheet)
        except SourceError as exc:
            raise as_html_refusal(exc, label) from None
    return _read_workbook(Path(path), label, src.sheet)


def _read_html_sheets(path: Path, label: str, sheet_pattern: str) -> list[Sheet]:
    from walidata.sources.html_tables import TableTooLarge, read_html

    pattern = re.compile(sheet_pattern)
    try:
        found = read_html(path)
    except TableTooLarge as exc:
        raise SourceError(label, exc.reason, sheet=exc.table) from None
    tables = [check_grid(Sheet(name=n, grid=g, merged=m, html=True, titles=t), label)
              for n, g, m, t in found if pattern.search(n)]
    if not found:
        raise SourceError(label, "file HTML (bukan workbook): tidak ada tabel (<table>) di dalamnya")
    if not tables:
        raise SourceError(label, f"file HTML (bukan workbook): tidak ada tabel yang cocok dengan {sheet_pattern!r}")
    return tables


def as_html_refusal(exc: SourceError, name: str) -> SourceError:
    """The refusal of a file whose bytes are HTML: when its name says .xls/.xlsx/.ods, the message says first that
    it is an HTML page under a workbook's name (whatever the refusal: no table, no header, too large)."""
    from walidata.sources.html_tables import disguise_reason

    reason = disguise_reason(name, exc.reason)
    if reason == exc.reason:
        return exc
    return SourceError(exc.file, reason, exc.sheet, exc.row, exc.column)


def _read_workbook(path: Path, label: str, sheet_pattern: str) -> list[Sheet]:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for corrupt/foreign files
        raise _calamine_error(label, exc) from None
    try:
        pattern = re.compile(sheet_pattern)
        names = [s for s in wb.sheet_names if pattern.search(s)]
        if not names:
            shown = [s[:40] for s in wb.sheet_names[:20]]
            raise SourceError(label, f"tidak ada sheet yang cocok dengan {sheet_pattern!r} (sheet yang ada: {shown})")
        sheets = []
        for name in names:
            try:
                sh = wb.get_sheet_by_name(name)
                sheet = Sheet(name=name, grid=sh.to_python(skip_empty_area=False), merged=sh.merged_cell_ranges or [])
            except Exception as exc:
                raise _calamine_error(label, exc, name[:100]) from None
            sheets.append(check_grid(sheet, label))
        return sheets
    finally:
        wb.close()


def _calamine_error(label: str, exc: Exception, sheet: str | None = None) -> SourceError:
    text = str(exc)[:300]
    if "Cell limit exceeded" in text:  # calamine's own guard (ODS): the table asks for more cells than it builds
        return SourceError(label, f"lembar kerja meliputi lebih dari {_ribuan(MAX_CELLS)} sel yang dapat dibaca "
                                  f"({text}); hapus isi sel yang jauh di luar tabel lalu kirim ulang", sheet=sheet)
    if sheet is None:
        return SourceError(label, f"bukan workbook yang dapat dibaca ({text})")
    return SourceError(label, f"sheet tidak dapat dibaca ({text})", sheet=sheet)


def formula_errors(path: Path, sheet: str) -> dict[tuple[int, int], str]:
    """{(row 1-based, col 0-based): '#REF!' or '=6+6+2'} — calamine shows an error cell, and a formula whose
    result was never stored (a file written by a program, not saved by Excel), as empty; openpyxl keeps both."""
    if Path(path).suffix.lower() not in (".xlsx", ".xlsm"):
        return {}
    from openpyxl import load_workbook

    out: dict[tuple[int, int], str] = {}
    empty: set[tuple[int, int]] = set()
    for data_only in (True, False):
        for cell in _cells_of(load_workbook, path, sheet, data_only):
            if not hasattr(cell, "row"):  # read-only mode's EmptyCell: nothing there
                continue
            kind = getattr(cell, "data_type", None)
            if data_only and kind == "e":
                out[(cell.row, cell.column - 1)] = str(cell.value)
            elif data_only and cell.value is None:
                empty.add((cell.row, cell.column - 1))
            elif not data_only and kind == "f" and (cell.row, cell.column - 1) in empty:
                out[(cell.row, cell.column - 1)] = str(cell.value)
        if not empty:
            break
    return out


def _cells_of(load_workbook, path: Path, sheet: str, data_only: bool):
    from walidata.sources.privacy import clean_text

    wb = load_workbook(path, read_only=True, data_only=data_only)
    try:
        # `sheet` is the name as read_tables reports it (NIKs masked, control characters escaped).
        names = [n for n in wb.sheetnames if n == sheet] or [n for n in wb.sheetnames if clean_text(n) == sheet]
        for row in (wb[names[0]].iter_rows() if names else ()):
            yield from row
    finally:
        wb.close()


# ---------------------------------------------------------------------------------------------- tables
