"""Reading OPD files (xlsx, xls, ods via calamine; csv) into located tables.

Checks a file before reading it (size, decompression bomb, password protection, what it really is),
finds the header (declared or detected), maps columns by alias, fills merged label cells, and keeps
titles and footers ("Sumber: …") as lineage. Every error names the file, and the sheet, row and column
where there is one.
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

from walidata.catalog import Dataset, Kolom
from walidata.standardise.periode import parse_periode

INDEX_CELL = re.compile(r"^\(\d+\)$")  # the "(1) (2) (3)" column-index row under BPS headers
# Column-number cells: '(1)', '(3)=(4)+(5)', '3 = Σ (4-14)', '4+5' — column numbers and arithmetic, no words.
NUMBER_MARK = re.compile(r"^\(\d+\)$|^[\s()\d]*[=Σ∑+][\s()\d=+\-–−Σ∑x×*/:.,]*$")
ROW_NUMBER_LABELS = {"no", "no.", "nomor", "no urut", "no.urut", "#"}
HEADER_SCAN_ROWS = 40
NO_HEADER = "tidak ada baris header"  # start of the reason when no header is found (an HTML page's other tables)
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_MARK = "EncryptionInfo".encode("utf-16-le")
LABEL_ROLES = ("provinsi", "kabupaten_kota", "kecamatan", "desa", "rincian", "periode", "tahun", "tanggal")


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
_CELL_REF = re.compile(rb"""\sr\s*=\s*["']([A-Z]*)(\d+)""")  # <row r="7">, <c r="B7">: what calamine places
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
        if any(v.__class__ is str and len(v) > MAX_CELL_CHARS for v in row):
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
        from walidata.sources.html_tables import TableTooLarge, read_html

        pattern = re.compile(src.sheet)
        try:
            found = read_html(Path(path))
        except TableTooLarge as exc:
            raise SourceError(label, exc.reason, sheet=exc.table) from None
        tables = [check_grid(Sheet(name=n, grid=g, merged=m, html=True, titles=t), label)
                  for n, g, m, t in found if pattern.search(n)]
        if not tables:
            raise SourceError(label, f"file HTML (bukan workbook) tanpa tabel yang cocok dengan {src.sheet!r}")
        return tables
    return _read_workbook(Path(path), label, src.sheet)


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
    """{(row 1-based, col 0-based): '#REF!'} — calamine shows error cells as empty, openpyxl keeps them."""
    if Path(path).suffix.lower() not in (".xlsx", ".xlsm"):
        return {}
    from openpyxl import load_workbook

    from walidata.sources.privacy import clean_text

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        out = {}
        # `sheet` is the name as read_tables reports it (NIKs masked, control characters escaped).
        names = [n for n in wb.sheetnames if n == sheet] or [n for n in wb.sheetnames if clean_text(n) == sheet]
        for row in (wb[names[0]].iter_rows() if names else ()):
            for cell in row:
                if getattr(cell, "data_type", None) == "e":
                    out[(cell.row, cell.column - 1)] = str(cell.value)
        return out
    finally:
        wb.close()


# ---------------------------------------------------------------------------------------------- tables

@dataclass
class ValueColumn:
    """One sheet column holding values: which catalog column, variable, breakdowns and period it gives."""

    index: int
    kolom: Kolom
    rincian: dict[str, str]
    periode: tuple[str, str] | None = None  # (periode, status) when the header gives it


@dataclass
class Table:
    """One sheet's table: where each column is and which rows hold data (1-based row numbers)."""

    file: str
    sheet: str
    header_row: int
    columns: dict[str, int]  # label columns (wilayah, desa, rincian, periode, tanggal, total) → index
    values: list[ValueColumn]
    rows: list[tuple[int, list]] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    footer: list[str] = field(default_factory=list)
    footer_row: int | None = None  # where the footer starts (1-based)
    extra_columns: list[str] = field(default_factory=list)
    extra_index: list[int] = field(default_factory=list)  # sheet columns the catalog does not declare
    total_columns: list[tuple[Kolom, int, str | None]] = field(default_factory=list)  # (kolom, column, periode)
    skipped: list[str] = field(default_factory=list)  # rows inside the table that are not data, and why
    cell_problems: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) → why
    # Rows that may not be published whatever they hold (a NIK, a control character): row → [(column, why)]
    row_problems: dict[int, list[RecordProblem]] = field(default_factory=dict)
    path: Path | None = None


def _header_labels(grid: list[list], start: int, depth: int, merged: list,
                   spans_lost: bool = False) -> tuple[list[set[str]], list[list]]:
    width = max((len(r) for r in grid[start:start + depth]), default=0)
    cells = [[(grid[r][c] if c < len(grid[r]) else "") for c in range(width)] for r in range(start, start + depth)]
    if spans_lost:
        _spread_group_labels(cells)
    # A merged header cell carries its text only in its top-left cell: spread it over the range.
    for (r0, c0), (r1, c1) in merged:
        if r0 < start or r0 >= start + depth:
            continue
        text = grid[r0][c0] if c0 < len(grid[r0]) else ""
        for r in range(r0, min(r1, start + depth - 1) + 1):
            for c in range(c0, min(c1, width - 1) + 1):
                cells[r - start][c] = text
    labels = [set().union(*(labels_of(cells[r][c]) for r in range(depth))) for c in range(width)]
    return labels, cells


def _spread_group_labels(cells: list[list]) -> None:
    """A CSV keeps a merged group label ('HIV' over 'Kasus Baru' and 'Kasus Kumulatif') only in its first
    column: an empty upper header cell over a labelled lower cell belongs to the group on its left."""
    for r in range(len(cells) - 1):
        group = ""
        for c in range(len(cells[r])):
            here, below = cells[r][c], cells[r + 1][c]
            if here not in ("", None):
                group = here
            elif below in ("", None):
                group = ""
            elif group:
                cells[r][c] = group


def _key_columns(ds: Dataset) -> list[Kolom]:
    keys = [k for k in ds.kolom if k.peran in LABEL_ROLES]
    return keys or ds.nilai_kolom


def _find_header(grid: list[list], ds: Dataset, file: str, sheet: str) -> int:
    if ds.sumber.baris_header is not None:
        return ds.sumber.baris_header - 1
    keys = _key_columns(ds)
    aliases = [a for k in keys for a in k.alias if a.strip() != "*"]
    for r in range(min(len(grid), HEADER_SCAN_ROWS)):
        for v in grid[r]:
            lab = labels_of(v)
            if lab and any(alias_matches(a, lab) for a in aliases):
                return r
    raise SourceError(file, f"{NO_HEADER} yang memuat salah satu dari {aliases} dalam {HEADER_SCAN_ROWS} baris pertama",
                      sheet=sheet)


def _header_periode(cells: list[list], c: int, tahun: str | None) -> tuple[str, str] | None:
    for r in range(len(cells) - 1, -1, -1):  # the lowest header row is the most specific
        v = cells[r][c] if c < len(cells[r]) else ""
        if v not in ("", None):
            p = parse_periode(v, tahun)
            if p:
                return p
    return None


def _map_columns(ds: Dataset, labels: list[set[str]], header_periods: dict, file: str, name: str, start: int):
    """Which sheet column each catalog column is (by alias); value columns with their breakdowns and period."""
    wide = ds.sumber.periode.dari == "header"
    columns: dict[str, int] = {}
    values: list[ValueColumn] = []
    total_columns: list[tuple[Kolom, int, str | None]] = []
    used: set[int] = set()
    for k in ds.kolom:
        hits = [c for c, lab in enumerate(labels) if lab and any(alias_matches(a, lab) for a in k.alias)]
        if k.peran == "nilai" and wide:
            hits = [c for c in hits if header_periods.get(c)]
        if k.peran in ("nilai", "total") and (k.ganda or (wide and k.peran == "nilai")):
            chosen = hits
        else:
            # An alias may also hit a merged group label above; the most specific column wins.
            chosen = [min(hits, key=lambda c: (len(labels[c]), c))] if hits else []
        chosen = [c for c in chosen if c not in used] if k.peran == "nilai" else chosen
        if not chosen:
            if k.wajib and k.peran != "abaikan":
                raise SourceError(file, f"kolom wajib '{k.name}' tidak ada di header (diharapkan salah satu dari "
                                        f"{k.alias})", sheet=name, row=start + 1)
            continue
        if k.peran == "total":
            total_columns += [(k, c, (header_periods.get(c) or (None,))[0]) for c in chosen]
            used.update(chosen)
            continue
        if k.peran != "nilai":
            columns[k.name] = chosen[0]
            used.add(chosen[0])
            continue
        for c in chosen:
            rincian = dict(k.rincian)
            for dim, mapping in k.rincian_header.items():
                found = [v for lab, v in mapping.items() if norm(lab) in labels[c]]
                if len(set(found)) != 1:
                    raise SourceError(file, f"header tidak menyebut {dim} mana yang dimuat kolom '{k.name}' ini "
                                            f"(diharapkan salah satu dari {sorted(mapping)})", sheet=name,
                                      row=start + 1, column=col_letter(c))
                rincian[dim] = found[0]
            values.append(ValueColumn(index=c, kolom=k, rincian=rincian, periode=header_periods.get(c)))
            used.add(c)
    dup = [n for n, c in columns.items() if list(columns.values()).count(c) > 1]
    if dup:
        raise SourceError(file, f"kolom {dup} menunjuk ke kolom sheet yang sama", sheet=name, row=start + 1,
                          column=col_letter(columns[dup[0]]))
    return columns, values, total_columns, used


def locate_table(sheet: Sheet, ds: Dataset, file: str, tahun: str | None = None, marks=None) -> Table:
    """The table of a sheet; `marks` (privacy.Marks) are what `read_tables` took out of its grid."""
    src = ds.sumber
    grid, name = sheet.grid, sheet.name
    start = _header_start(grid, ds, file, name, marks)
    depth = src.tinggi_header
    labels, cells = _header_labels(grid, start, depth, sheet.merged, sheet.spans_lost)
    titles = [*sheet.titles, *(" ".join(str(v).strip() for v in row if norm(v)) for row in grid[:start]
                                if any(norm(v) for v in row))]
    if src.periode.tahun_dari == "judul" and tahun is None:
        from walidata.standardise.periode import find_year

        tahun = next((y for t in titles if (y := find_year(t))), None)
    wide = src.periode.dari == "header"
    header_periods = {c: _header_periode(cells, c, tahun) for c in range(len(labels))} if wide else {}

    columns, values, total_columns, used = _map_columns(ds, labels, header_periods, file, name, start)
    extra, extra_index = _extra_columns(labels, cells, used)
    if extra and src.kolom_lain == "tolak":
        raise SourceError(file, f"kolom tak terduga {', '.join(extra)}; dataset ini hanya menerima kolom yang "
                                f"tercantum di katalognya", sheet=name, row=start + 1)

    table = Table(file=file, sheet=name, header_row=start + 1, columns=columns, values=values, titles=titles,
                  extra_columns=extra, extra_index=extra_index, total_columns=total_columns)
    first_data = start + depth
    _merged_data_cells(sheet, table, first_data)
    _data_rows(grid, table, first_data, [norm_row(grid[r]) for r in range(start, start + depth)],
               {norm(t) for t in titles}, tuple(norm(x) for x in src.label_catatan_kaki))
    if marks is not None:
        _mark_rows(grid, table, marks, ds)
    return table


def _header_start(grid: list[list], ds: Dataset, file: str, name: str, marks) -> int:
    """The first header row (0-based) of a sheet that has one, whole and free of control characters."""
    if not any(any(v not in ("", None) for v in row) for row in grid):
        raise SourceError(file, "sheet kosong", sheet=name)
    try:
        start = _find_header(grid, ds, file, name)
    except SourceError:
        if marks is not None:  # a header label spoilt by a control character: say so
            _refuse_control_in_header(marks, 0, HEADER_SCAN_ROWS, file, name)
        raise
    depth = ds.sumber.tinggi_header
    if start + depth > len(grid):
        raise SourceError(file, "sheet berakhir di tengah header", sheet=name, row=start + 1)
    if marks is not None:
        _refuse_control_in_header(marks, start, depth, file, name)
    return start


def _extra_columns(labels: list[set[str]], cells: list[list], used: set[int]) -> tuple[list[str], list[int]]:
    """Labelled sheet columns the catalog does not declare (row numbers aside): "C ('label')" and their index."""
    extra, extra_index = [], []
    for c, lab in enumerate(labels):
        if c in used or not lab or lab <= ROW_NUMBER_LABELS:
            continue
        text = " / ".join(str(x).strip() for x in dict.fromkeys(r[c] for r in cells) if norm(x))
        extra.append(f"{col_letter(c)} ('{text}')")
        extra_index.append(c)
    return extra, extra_index


def _refuse_control_in_header(marks, start: int, depth: int, file: str, sheet: str) -> None:
    """A header cell with a control character is refused, not guessed at: it names what a column is."""
    found = sorted((r, c) for r, c in marks.control if start <= r < start + depth)
    if found:
        r, c = found[0]
        raise SourceError(file, f"sel header berisi karakter kendali tak terlihat: '{marks.control[(r, c)]}'; hapus "
                                f"karakter itu lalu kirim ulang", sheet=sheet, row=r + 1, column=col_letter(c))


def _mark_rows(grid: list[list], table: Table, marks, ds: Dataset) -> None:
    """Data rows holding a NIK or a control character get a problem (they are never published); the cells of
    personal columns (`pribadi`) get their pseudonyms, in the data rows and in the footer."""
    from walidata.sources.privacy import pseudonym

    personal = sorted({table.columns[k.name] for k in ds.kolom if k.pribadi and k.name in table.columns})
    marked: dict[int, list[int]] = {}
    for r, c in [*marks.nik, *marks.control]:
        marked.setdefault(r, []).append(c)
    footer = [(r, row) for r, row in enumerate(grid[table.footer_row - 1:], table.footer_row)] if (
        personal and table.footer_row) else []
    for rownum, row in [*table.rows, *footer] if personal else ():
        for c in personal:
            if c < len(row):
                row[c] = marks.pseudonyms.get((rownum - 1, c)) or pseudonym(row[c], marks.key)
    for rownum, _ in table.rows if marked else ():
        for c in sorted(set(marked.get(rownum - 1, ()))):
            for why in marks.problem(rownum - 1, c, c in personal):
                table.row_problems.setdefault(rownum, []).append(RecordProblem(col_letter(c), why))
    if footer:  # a footer label in a personal column cannot be told from a name ('Ketut …' starts like 'Ket')
        table.footer = _footer_lines([row for _, row in footer])


def norm_row(row: list) -> list[str]:
    return [norm(v) if v is not None else "" for v in row]


def _cell_of(row: list, c: int):
    return row[c] if c < len(row) else ""


def _data_rows(grid: list[list], table: Table, first_data: int, header: list[list[str]], titles: set[str],
               footers: tuple[str, ...]) -> None:
    """The rows under the header that hold data. Column-number rows ('(1) (2)…', '3 = Σ (4-14)'), the header
    printed again (every page of a long table) and repeated titles are skipped and listed in the lineage;
    a footer ('Sumber: …') ends the table and is kept as lineage."""
    rows = table.rows
    labels = list(table.columns.values())
    for r in range(first_data, len(grid)):
        row = grid[r]
        for first in row:
            if first != "" and first is not None:
                break
        else:
            continue
        if first.__class__ is not str:
            if labels and all(_cell_of(row, c) in ("", None) for c in labels) and _counting(row):
                table.skipped.append(f"baris {r + 1}: baris nomor kolom")
            else:
                rows.append((r + 1, row))
            continue
        if norm(first).startswith(footers):
            table.footer_row = r + 1
            table.footer += _footer_lines(grid[r:])
            break
        why = _not_data(row, header, titles)
        if why:
            table.skipped.append(f"baris {r + 1}: {why}")
            continue
        rows.append((r + 1, row))


def _footer_lines(rows: list[list]) -> list[str]:
    return [" ".join(str(v).strip() for v in rr if norm(v)) for rr in rows if any(norm(v) for v in rr)]


def _not_data(row: list, header: list[list[str]], titles: set[str]) -> str | None:
    """Why a text-only row inside the table is not data (None when it may be)."""
    cells = []
    for c, v in enumerate(row):
        if v == "" or v is None:
            continue
        if v.__class__ is not str:
            return None  # a number in the row: data
        cells.append((c, v))
    texts = [v for _, v in cells]
    if all(NUMBER_MARK.match(v.strip()) for v in texts) or _counting(texts):
        return "baris nomor kolom"
    got = norm_row(row)
    for h in header:
        same = sum(1 for c, _ in cells if c < len(h) and h[c] and got[c] == h[c])
        if same and same >= max(2, (len(cells) + 1) // 2) or (same == len(cells) == 1 and len(h) > 1):
            return "header tabel diulang"
    if len(cells) == 1 and norm(texts[0]) in titles:
        return "judul tabel diulang"
    return None


def _counting(row: list) -> bool:
    """1 2 3 4 … (the plain column numbers some tables print under the header)."""
    nums = []
    for v in row:
        if v in ("", None):
            continue
        if isinstance(v, str) and v.strip().isdigit():
            v = int(v.strip())
        if isinstance(v, bool) or not isinstance(v, int | float) or v != int(v):
            return False
        nums.append(int(v))
    return len(nums) >= 3 and nums == list(range(nums[0], nums[0] + len(nums))) and nums[0] <= 2


def _merged_data_cells(sheet: Sheet, table: Table, first_data: int) -> None:
    """Merged label cells over several data rows mean 'same as above': fill them. Merged value cells are a
    problem (one number cannot belong to two rows)."""
    label_cols = set(table.columns.values())
    value_cols = {v.index for v in table.values}
    grid = sheet.grid
    for (r0, c0), (r1, c1) in sheet.merged:
        if r0 < first_data or r1 == r0:
            continue
        for c in range(c0, c1 + 1):
            if c in label_cols:
                for r in range(r0 + 1, min(r1, len(grid) - 1) + 1):
                    while len(grid[r]) <= c:
                        grid[r].append("")
                    grid[r][c] = grid[r0][c0]
            elif c in value_cols:
                rng = f"{col_letter(c0)}{r0 + 1}:{col_letter(c1)}{r1 + 1}"
                for r in range(r0, r1 + 1):
                    table.cell_problems[(r + 1, c)] = f"sel gabungan {rng} melintasi baris data"


def read_tables(path: Path, ds: Dataset, label: str | None = None,
                nik_prefixes: frozenset[str] | None = None) -> list[Table]:
    """Every declared sheet of a file, as located tables. Each grid is scrubbed as soon as it is read (NIKs
    masked, control characters taken out, see `privacy`): nothing after this sees them."""
    from walidata.sources import privacy
    from walidata.standardise.periode import find_year

    prefixes = nik_prefixes if nik_prefixes is not None else privacy.nik_prefixes()
    label = privacy.clean_text(label or Path(path).name, prefixes)
    key = privacy.pseudonym_key(ds)
    tables, skipped = [], []
    try:
        sheets = read_sheets(Path(path), label, ds)
    except SourceError as exc:  # its text may quote sheet names
        raise SourceError(exc.file, privacy.clean_text(exc.reason, prefixes), exc.sheet and privacy.clean_text(
            exc.sheet, prefixes), exc.row, exc.column) from None
    for sheet in sheets:
        marks = _scrub(sheet, prefixes, key)
        tahun = find_year(sheet.name) if ds.sumber.periode.tahun_dari == "sheet" else None
        try:
            t = locate_table(sheet, ds, label, tahun, marks)
        except SourceError as exc:
            if not sheet.html or NO_HEADER not in exc.reason:
                raise
            skipped.append(exc)  # a layout or navigation table of the page
            continue
        t.path = Path(path)  # for standardise, which reopens an xlsx for its formula errors (see formula_errors)
        tables.append(t)
    if skipped and not tables:
        raise SourceError(label, f"file HTML (bukan workbook): tidak satu pun dari {len(sheets)} tabelnya memiliki "
                                 f"header yang diharapkan dataset ini ({skipped[0].reason})")
    return tables


def _scrub(sheet: Sheet, prefixes: frozenset[str], key: bytes | None):
    """The sheet's grid, name and titles with NIKs masked and control characters taken out (privacy.Marks)."""
    from walidata.sources import privacy

    marks = privacy.scrub_grid(sheet.grid, prefixes, key)
    privacy.spread_over_merged(marks, sheet.merged)
    sheet.name = privacy.clean_text(sheet.name, prefixes)
    sheet.titles = [privacy.clean_text(t, prefixes) for t in sheet.titles]
    return marks
