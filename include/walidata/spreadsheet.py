"""Reading OPD workbooks into located cells: find the header, map columns by alias."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from walidata.catalog import Dataset, Kolom

INDEX_CELL = re.compile(r"^\(\d+\)$")  # the "(1) (2) (3)" column-index row under BPS headers
HEADER_SCAN_ROWS = 40


class SourceError(ValueError):
    """A file the pipeline cannot read as declared; the message names file, sheet, row and column."""

    def __init__(self, file: str, message: str, sheet: str | None = None, row: int | None = None,
                 column: str | None = None):
        self.file, self.sheet, self.row, self.column = file, sheet, row, column
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


def _norm(s) -> str:
    return re.sub(r"\s+", " ", str(s).replace("\xa0", " ")).strip().lower()


def _labels(text) -> set[str]:
    """A header cell's labels: the whole text and each side of a bilingual 'Kecamatan/Subdistrict'."""
    t = _norm(text)
    if not t:
        return set()
    return {t} | {p.strip() for p in t.split("/") if p.strip()}


@dataclass
class Table:
    """One sheet's table: data rows with their 1-based sheet row numbers, and where each column is."""

    file: str
    sheet: str
    header_row: int  # 1-based, first header row
    columns: dict[str, int]  # catalog column name → 0-based index
    rows: list[tuple[int, list]] = field(default_factory=list)
    footer: list[str] = field(default_factory=list)  # "Sumber: …" etc., kept as lineage


def _header_labels(grid: list[list], start: int, depth: int, merged: list) -> list[set[str]]:
    width = max((len(r) for r in grid[start:start + depth]), default=0)
    cells = [[(grid[r][c] if c < len(grid[r]) else "") for c in range(width)] for r in range(start, start + depth)]
    # A merged header cell carries its text only in its top-left cell: spread it over the range.
    for (r0, c0), (r1, c1) in merged:
        if r0 < start or r0 >= start + depth:
            continue
        text = grid[r0][c0] if c0 < len(grid[r0]) else ""
        for r in range(r0, min(r1, start + depth - 1) + 1):
            for c in range(c0, min(c1, width - 1) + 1):
                cells[r - start][c] = text
    return [set().union(*(_labels(cells[r][c]) for r in range(depth))) for c in range(width)]


def _match(kolom: Kolom, labels: set[str]) -> bool:
    return any(_norm(a) in labels for a in kolom.alias)


def locate_table(grid: list[list], merged: list, ds: Dataset, file: str, sheet: str) -> Table:
    src = ds.sumber
    depth = src.tinggi_header
    wil = ds.wilayah_kolom
    if src.baris_header is not None:
        start = src.baris_header - 1
    else:
        start = next(
            (r for r in range(min(len(grid), HEADER_SCAN_ROWS)) if any(_match(wil, _labels(v)) for v in grid[r])),
            None,
        )
        if start is None:
            raise SourceError(file, f"no header row naming the wilayah column (any of {wil.alias}) in the "
                                    f"first {HEADER_SCAN_ROWS} rows", sheet=sheet)
    if start + depth > len(grid):
        raise SourceError(file, "the sheet ends inside the header", sheet=sheet, row=start + 1)
    labels = _header_labels(grid, start, depth, merged)
    columns: dict[str, int] = {}
    for k in ds.kolom:
        hits = [c for c, lab in enumerate(labels) if _match(k, lab)]
        if k.peran == "wilayah":
            hits = hits[:1]
        if not hits:
            raise SourceError(file, f"required column '{k.name}' not found in the header (expected one of "
                                    f"{k.alias})", sheet=sheet, row=start + 1)
        # A value column's aliases may also hit a merged group label; the most specific hit wins.
        columns[k.name] = min(hits, key=lambda c: (len(labels[c]), c))
    dup = {c for c in columns.values() if list(columns.values()).count(c) > 1}
    if dup:
        names = [n for n, c in columns.items() if c in dup]
        raise SourceError(file, f"columns {names} map to the same sheet column", sheet=sheet, row=start + 1,
                          column=col_letter(min(dup)))
    table = Table(file=file, sheet=sheet, header_row=start + 1, columns=columns)
    footers = tuple(_norm(x) for x in src.label_catatan_kaki)
    in_footer = False
    for r in range(start + depth, len(grid)):
        row = grid[r]
        texts = [_norm(v) for v in row if _norm(v)]
        if not texts:
            continue
        first = texts[0]
        if in_footer or first.startswith(footers):
            in_footer = True
            table.footer.append(" ".join(str(v).strip() for v in row if _norm(v)))
            continue
        if all(INDEX_CELL.match(t) for t in texts):
            continue
        table.rows.append((r + 1, row))
    return table


def read_tables(path: Path, ds: Dataset) -> list[Table]:
    """Every sheet of a workbook the dataset declares, as located tables."""
    from python_calamine import CalamineWorkbook

    name = Path(path).name
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for corrupt/foreign files
        raise SourceError(name, f"not a readable workbook ({exc})") from None
    try:
        pattern = re.compile(ds.sumber.sheet)
        sheets = [s for s in wb.sheet_names if pattern.search(s)]
        if not sheets:
            raise SourceError(name, f"no sheet matches {ds.sumber.sheet!r} (sheets: {wb.sheet_names})")
        tables = []
        for s in sheets:
            sh = wb.get_sheet_by_name(s)
            grid = sh.to_python(skip_empty_area=False)
            if not grid:
                raise SourceError(name, "the sheet is empty", sheet=s)
            tables.append(locate_table(grid, sh.merged_cell_ranges or [], ds, name, s))
        return tables
    finally:
        wb.close()
