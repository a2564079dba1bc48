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

from walidata.catalog import Dataset, Kolom
from walidata.periode import parse_periode

INDEX_CELL = re.compile(r"^\(\d+\)$")  # the "(1) (2) (3)" column-index row under BPS headers
# Column-number cells: '(1)', '(3)=(4)+(5)', '3 = Σ (4-14)', '4+5' — column numbers and arithmetic, no words.
NUMBER_MARK = re.compile(r"^\(\d+\)$|^[\s()\d]*[=Σ∑+][\s()\d=+\-–−Σ∑x×*/:.,]*$")
ROW_NUMBER_LABELS = {"no", "no.", "nomor", "no urut", "no.urut", "#"}
HEADER_SCAN_ROWS = 40
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
            where.append(f"row {row}")
        if column is not None:
            where.append(f"column {column}")
        super().__init__(", ".join(where) + ": " + message)


def col_letter(idx: int) -> str:
    """0-based column index → spreadsheet letter (0 → A, 27 → AB)."""
    s = ""
    idx += 1
    while idx:
        idx, r = divmod(idx - 1, 26)
        s = chr(65 + r) + s
    return s


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


def sniff_format(path: Path, label: str, max_mb: float, max_unzipped_mb: float) -> str:
    """'calamine', 'html' or 'csv' after checking size, zip contents and encryption; SourceError otherwise.
    What a file is comes from its bytes, not its name: a BPS download named .xls is often HTML."""
    size = path.stat().st_size
    if size > max_mb * 1e6:
        raise SourceError(label, f"file is {size / 1e6:.2f} MB, over the limit of {max_mb:g} MB for this dataset")
    if size == 0:
        raise SourceError(label, "file is empty (0 bytes)")
    with open(path, "rb") as f:
        start = f.read(65536)
    head = start[:8]
    if head == OLE_MAGIC:
        data = path.read_bytes()
        if ENCRYPTED_MARK in data:
            raise SourceError(label, "workbook is password-protected; send it without a password")
        return "calamine"  # legacy .xls
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                infos = z.infolist()
                names = {i.filename for i in infos}
        except zipfile.BadZipFile as exc:
            raise SourceError(label, f"not a readable workbook (damaged zip: {exc})") from None
        unzipped = sum(i.file_size for i in infos)
        # Real workbooks pack 5–50×; a ratio far beyond that is a bomb, whatever its absolute size.
        if unzipped > max_unzipped_mb * 1e6 or unzipped / size > 250:
            raise SourceError(label, f"refused: unpacks to {unzipped / 1e6:.0f} MB from {size / 1e6:.2f} MB "
                                     f"(limit {max_unzipped_mb:g} MB; a decompression bomb?)")
        if not ({"xl/workbook.xml", "xl/workbook.bin"} & names or "content.xml" in names):
            raise SourceError(label, "a zip archive but not a workbook (no xl/workbook.xml or content.xml inside)")
        return "calamine"
    from walidata.html_tables import looks_like_html

    if b"urn:schemas-microsoft-com:office:spreadsheet" in start:
        raise SourceError(label, "an XML Spreadsheet 2003 file, not a workbook this pipeline reads; open it in a "
                                 "spreadsheet program and save it as .xlsx")
    if looks_like_html(start):
        return "html"
    if path.suffix.lower() in (".csv", ".txt"):
        return "csv"
    if path.suffix.lower() in (".html", ".htm"):
        raise SourceError(label, "an HTML file without a table (no <table> in it)")
    raise SourceError(label, "not a readable workbook (neither xlsx, xls, ods, csv nor an HTML table)")


def _decode(raw: bytes, encoding: str | None) -> str:
    if encoding:
        return raw.decode(encoding)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252")  # what Excel on Windows writes for "CSV (semicolon delimited)"


def read_csv(path: Path, label: str, delimiter: str | None, encoding: str | None) -> Sheet:
    try:
        text = _decode(path.read_bytes(), encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise SourceError(label, f"cannot decode the CSV text ({exc})") from None
    if delimiter is None:
        try:
            delimiter = csv.Sniffer().sniff(text[:20000], delimiters=";,\t").delimiter
        except csv.Error:
            delimiter = ";" if text.count(";") > text.count(",") else ","
    grid = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    return Sheet(name=path.stem, grid=grid, spans_lost=True)


def read_sheets(path: Path, label: str, ds: Dataset) -> list[Sheet]:
    src = ds.sumber
    kind = sniff_format(Path(path), label, src.batas_ukuran_mb, src.batas_dekompresi_mb)
    if kind == "csv":
        return [read_csv(Path(path), label, src.csv_pemisah, src.csv_encoding)]
    if kind == "html":
        from walidata.html_tables import read_html

        pattern = re.compile(src.sheet)
        tables = [Sheet(name=n, grid=g, merged=m, html=True, titles=t) for n, g, m, t in read_html(Path(path))
                  if pattern.search(n)]
        if not tables:
            raise SourceError(label, f"an HTML file (not a workbook) with no table matching {src.sheet!r}")
        return tables
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for corrupt/foreign files
        raise SourceError(label, f"not a readable workbook ({exc})") from None
    try:
        pattern = re.compile(src.sheet)
        names = [s for s in wb.sheet_names if pattern.search(s)]
        if not names:
            raise SourceError(label, f"no sheet matches {src.sheet!r} (sheets: {wb.sheet_names})")
        sheets = []
        for name in names:
            try:
                sh = wb.get_sheet_by_name(name)
                sheets.append(Sheet(name=name, grid=sh.to_python(skip_empty_area=False),
                                    merged=sh.merged_cell_ranges or []))
            except Exception as exc:
                raise SourceError(label, f"cannot read the sheet ({exc})", sheet=name) from None
        return sheets
    finally:
        wb.close()


def formula_errors(path: Path, sheet: str) -> dict[tuple[int, int], str]:
    """{(row 1-based, col 0-based): '#REF!'} — calamine shows error cells as empty, openpyxl keeps them."""
    if Path(path).suffix.lower() not in (".xlsx", ".xlsm"):
        return {}
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        out = {}
        for row in wb[sheet].iter_rows():
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
    extra_columns: list[str] = field(default_factory=list)
    extra_index: list[int] = field(default_factory=list)  # sheet columns the catalog does not declare
    total_columns: list[tuple[Kolom, int, str | None]] = field(default_factory=list)  # (kolom, column, periode)
    skipped: list[str] = field(default_factory=list)  # rows inside the table that are not data, and why
    cell_problems: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, col) → why
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
    raise SourceError(file, f"no header row naming any of {aliases} in the first {HEADER_SCAN_ROWS} rows",
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
                raise SourceError(file, f"required column '{k.name}' not found in the header (expected one of "
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
                    raise SourceError(file, f"the header does not say which {dim} column '{k.name}' is "
                                            f"(expected one of {sorted(mapping)})", sheet=name, row=start + 1,
                                      column=col_letter(c))
                rincian[dim] = found[0]
            values.append(ValueColumn(index=c, kolom=k, rincian=rincian, periode=header_periods.get(c)))
            used.add(c)
    dup = [n for n, c in columns.items() if list(columns.values()).count(c) > 1]
    if dup:
        raise SourceError(file, f"columns {dup} map to the same sheet column", sheet=name, row=start + 1,
                          column=col_letter(columns[dup[0]]))
    return columns, values, total_columns, used


def locate_table(sheet: Sheet, ds: Dataset, file: str, tahun: str | None = None) -> Table:
    src = ds.sumber
    grid, name = sheet.grid, sheet.name
    if not any(any(v not in ("", None) for v in row) for row in grid):
        raise SourceError(file, "the sheet is empty", sheet=name)
    start = _find_header(grid, ds, file, name)
    depth = src.tinggi_header
    if start + depth > len(grid):
        raise SourceError(file, "the sheet ends inside the header", sheet=name, row=start + 1)
    labels, cells = _header_labels(grid, start, depth, sheet.merged, sheet.spans_lost)
    titles = [*sheet.titles, *(" ".join(str(v).strip() for v in row if norm(v)) for row in grid[:start]
                                if any(norm(v) for v in row))]
    if src.periode.tahun_dari == "judul" and tahun is None:
        from walidata.periode import find_year

        tahun = next((y for t in titles if (y := find_year(t))), None)
    wide = src.periode.dari == "header"
    header_periods = {c: _header_periode(cells, c, tahun) for c in range(len(labels))} if wide else {}

    columns, values, total_columns, used = _map_columns(ds, labels, header_periods, file, name, start)
    extra, extra_index = [], []
    for c, lab in enumerate(labels):
        if c in used or not lab or lab <= ROW_NUMBER_LABELS:
            continue
        text = " / ".join(str(x).strip() for x in dict.fromkeys(r[c] for r in cells) if norm(x))
        extra.append(f"{col_letter(c)} ('{text}')")
        extra_index.append(c)
    if extra and src.kolom_lain == "tolak":
        raise SourceError(file, f"unexpected columns {', '.join(extra)}; this dataset accepts only its catalog "
                                f"columns", sheet=name, row=start + 1)

    table = Table(file=file, sheet=name, header_row=start + 1, columns=columns, values=values, titles=titles,
                  extra_columns=extra, extra_index=extra_index, total_columns=total_columns)
    first_data = start + depth
    _merged_data_cells(sheet, table, first_data)
    _data_rows(grid, table, first_data, [norm_row(grid[r]) for r in range(start, start + depth)],
               {norm(t) for t in titles}, tuple(norm(x) for x in src.label_catatan_kaki))
    return table


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
            table.footer += [" ".join(str(v).strip() for v in rr if norm(v))
                             for rr in grid[r:] if any(norm(v) for v in rr)]
            break
        why = _not_data(row, header, titles)
        if why:
            table.skipped.append(f"baris {r + 1}: {why}")
            continue
        rows.append((r + 1, row))


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


def read_tables(path: Path, ds: Dataset, label: str | None = None) -> list[Table]:
    """Every declared sheet of a file, as located tables."""
    from walidata.periode import find_year

    label = label or Path(path).name
    tables, skipped = [], []
    sheets = read_sheets(Path(path), label, ds)
    for sheet in sheets:
        tahun = find_year(sheet.name) if ds.sumber.periode.tahun_dari == "sheet" else None
        try:
            t = locate_table(sheet, ds, label, tahun)
        except SourceError as exc:
            if not sheet.html or "no header row" not in exc.reason:
                raise
            skipped.append(exc)  # a layout or navigation table of the page
            continue
        t.path = Path(path)
        tables.append(t)
    if skipped and not tables:
        raise SourceError(label, f"an HTML file (not a workbook): none of its {len(sheets)} tables has the header "
                                 f"this dataset expects ({skipped[0].reason})")
    return tables
