"""Locating the table inside a sheet's grid: the header (declared or detected), the columns mapped by alias,
merged label cells filled, the rows that hold data, titles and footers ("Sumber: …") kept as lineage.

`read_tables` is what the spreadsheet connector gives standardise: every declared sheet of a file, cleaned of
personal data as it is read (`privacy`), as located `Table`s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from pathlib import Path

from walidata.catalog import Dataset, Kolom
from walidata.sources.spreadsheet import (
    RecordProblem,
    Sheet,
    SourceError,
    alias_matches,
    col_letter,
    labels_of,
    norm,
    read_sheets,
)
from walidata.standardise.periode import parse_periode

NUMBER_MARK = re.compile(r"^\(\d+\)$|^[\s()\d]*[=Σ∑+][\s()\d=+\-–−Σ∑x×*/:.,]*$")
ROW_NUMBER_LABELS = {"no", "no.", "nomor", "no urut", "no.urut", "#"}
HEADER_SCAN_ROWS = 40
NO_HEADER = "tidak ada baris header"  # start of the reason when no header is found (an HTML page's other tables)
LABEL_ROLES = ("provinsi", "kabupaten_kota", "kecamatan", "desa", "rincian", "periode", "tahun", "tanggal")
# Row accounting: every non-empty row of a sheet ends in one class. The rows that hold no data, by reason (the keys
# of `Table.bukan_data`, shown to the OPD with these words).
BUKAN_DATA = {
    "judul": "judul di atas header",
    "header": "baris header",
    "nomor_kolom": "baris nomor kolom",
    "header_diulang": "header tabel diulang",
    "judul_diulang": "judul tabel diulang",
    "catatan": "catatan kaki",
    "lanjutan": "baris lanjutan (tanpa wilayah dan tanpa angka)",
    "judul_bagian": "judul bagian (teks rincian yang tidak dikenal, tanpa wilayah dan tanpa angka)",
}
_LEADING_NUMBER = re.compile(r"^\s*\(?\s*(\d{1,3})\b")
FOOTER_LINES_KEPT = 50  # lineage keeps the first footer lines; the rest are counted


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
    bukan_data: dict[str, int] = field(default_factory=dict)  # rows that hold no data, by reason (BUKAN_DATA)
    baris: int = 0  # non-empty rows of the sheet, counted on their own: the classes must add up to it
    merge_filled: set[tuple[int, int]] = field(default_factory=set)  # (row, col), 0-based: label cells a merge filled
    tanda: list[tuple[Kolom, int]] = field(default_factory=list)  # mark columns (peran: tanda) and their index
    rincian_dikenal: dict[int, set[str]] = field(default_factory=dict)  # breakdown column → its known texts (norm)

    def skip(self, rownum: int, reason: str) -> None:
        """A row inside the table that is not data: counted under its reason and listed in the lineage."""
        self.bukan_data[reason] = self.bukan_data.get(reason, 0) + 1
        self.skipped.append(f"baris {rownum}: {BUKAN_DATA[reason]}")


def _header_labels(grid: list[list], start: int, depth: int, merged: list,
                   spans_lost: bool = False) -> tuple[list[set[str]], list[list]]:
    width = max((len(r) for r in grid[start:start + depth]), default=0)
    cells = [[*row, *[""] * (width - len(row))] for row in grid[start:start + depth]]  # copies, padded to width
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
    if depth == 1:  # (one header row: its labels as they are)
        return [labels_of(v) for v in cells[0]], cells
    labels = [frozenset().union(*(labels_of(cells[r][c]) for r in range(depth))) for c in range(width)]
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
    aliases = [a for k in keys for a in [*k.alias, *(a for part in k.gabungan for a in part.alias)] if a.strip() != "*"]
    wanted = frozenset(aliases)  # (its hash is kept: the cache below is looked up once per cell)
    for r in range(min(len(grid), HEADER_SCAN_ROWS)):
        for v in grid[r]:
            if v != "" and _names_column(wanted, labels_of(v)):
                return r
    raise SourceError(file, f"{NO_HEADER} yang memuat salah satu dari {aliases} dalam {HEADER_SCAN_ROWS} baris pertama",
                      sheet=sheet)


def _header_periode(cells: list[list], c: int, tahun: str | None) -> tuple[str, str] | None:
    for r in range(len(cells) - 1, -1, -1):  # the lowest header row is the most specific
        v = cells[r][c] if c < len(cells[r]) else ""
        if v not in ("", None):
            p = _text_periode(v, tahun) if v.__class__ is str else parse_periode(v, tahun)
            if p:
                return p
    return None


@lru_cache(maxsize=1 << 14)
def _text_periode(v: str, tahun: str | None) -> tuple[str, str] | None:
    """`parse_periode` of a header text (headers repeat over sheets and files: parsed once)."""
    return parse_periode(v, tahun)


@lru_cache(maxsize=1 << 14)
def _names_column(aliases: frozenset[str], lab: frozenset[str]) -> bool:
    """A header cell's labels matched by one of `aliases` (decided once per labels and catalog)."""
    return bool(lab) and any(alias_matches(a, lab) for a in aliases)


@lru_cache(maxsize=1 << 12)
def _alias_hits(aliases: tuple[str, ...], labels: tuple[frozenset, ...]) -> tuple[int, ...]:
    """The columns whose labels one of `aliases` matches (headers repeat over sheets and files: found once)."""
    return tuple(c for c, lab in enumerate(labels) if lab and any(alias_matches(a, lab) for a in aliases))


def _most_specific(k: Kolom, hits: list[int], labels: list[set[str]], used: set[int], body: list[list], file: str,
                   sheet: str, start: int) -> list[int]:
    """The column a catalog column binds to among those its aliases hit: the most specific label; of columns
    labelled alike (a header merged over several columns, one variable stated twice), the one holding data. Two
    alike that both hold data are refused, never bound to the first by chance (one may be in kg, the other in ton)."""
    best = min(len(labels[c]) for c in hits)
    tied = [c for c in hits if len(labels[c]) == best and c not in used] or [
        min(hits, key=lambda c: (len(labels[c]), c))]
    if len(tied) == 1 or k.peran == "abaikan":
        return tied[:1]
    with_data = [c for c in tied if any(not blank(_cell_of(row, c)) for row in body[:500])]
    if len(with_data) == 1:
        return with_data
    shown = ", ".join(f"{col_letter(c)} ('{' / '.join(sorted(labels[c]))}')" for c in tied)
    raise SourceError(file, f"kolom '{k.name}' cocok dengan {len(tied)} kolom sheet yang sama-sama berisi data: "
                            f"{shown}; Walidata tidak memilih salah satunya: tulis alias yang lebih tepat di katalog "
                            f"(mis. dengan satuannya) atau hapus kolom ganda", sheet=sheet, row=start + 1,
                      column=col_letter(tied[0]))


def _join_code_parts(grid: list[list], k: Kolom, labels: list[set[str]], used: set[int], start: int, depth: int,
                     file: str, sheet: str) -> int:
    """A region code split over columns (NO_PROP 62, NO_KAB 6, NO_KEC 1, NO_KEL 2001) joined into one new column
    of each row: dotted for Kemendagri codes (62.06.01.2001), plain for BPS (6209030). A row with some parts
    empty gets '?' in their place, so that its code is reported as unknown, never shortened to a coarser one."""
    cols = []
    for part in k.gabungan:
        hits = list(_alias_hits(tuple(part.alias), tuple(labels)))
        if not hits:
            raise SourceError(file, f"bagian kode '{k.name}' tidak ada di header (diharapkan salah satu dari "
                                    f"{part.alias})", sheet=sheet, row=start + 1)
        cols.append(min(hits, key=lambda c: (len(labels[c]), c)))
    used.update(cols)
    at = max(len(row) for row in grid)
    sep = "." if k.sistem_kode == "kemendagri" else ""
    for r in range(start + depth, len(grid)):
        row = grid[r]
        cells = [_cell_of(row, c) for c in cols]
        row.extend([""] * (at + 1 - len(row)))
        if all(blank(v) for v in cells):
            continue
        texts = [_code_part(v, part.digit) for v, part in zip(cells, k.gabungan, strict=True)]
        row[at] = sep.join(texts)
    return at


def _code_part(v, digit: int) -> str:
    if blank(v):
        return "?" * digit
    if v.__class__ is float and v.is_integer():
        v = int(v)
    t = str(v).strip()
    return t.zfill(digit) if t.isdigit() else t


def _map_columns(ds: Dataset, labels: list[set[str]], header_periods: dict, file: str, name: str, start: int,
                 grid: list[list]):
    """Which sheet column each catalog column is (by alias); value columns with their breakdowns and period."""
    wide = ds.sumber.periode.dari == "header"
    columns: dict[str, int] = {}
    values: list[ValueColumn] = []
    total_columns: list[tuple[Kolom, int, str | None]] = []
    used: set[int] = set()
    all_labels = tuple(labels)
    for k in ds.kolom:
        if k.gabungan:  # a code split over several columns: joined by `_join_code_parts`
            continue
        hits = list(_alias_hits(tuple(k.alias), all_labels))
        if k.peran == "nilai" and wide:
            hits = [c for c in hits if header_periods.get(c)]
        if k.peran in ("nilai", "total") and (k.ganda or (wide and k.peran == "nilai")):
            chosen = hits
        else:
            # An alias may also hit a merged group label above; the most specific column wins.
            chosen = _most_specific(k, hits, labels, used, grid[start + ds.sumber.tinggi_header:], file, name,
                                    start) if hits else []
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
        by_dim = [(dim, mapping, [(norm(lab), v) for lab, v in mapping.items()])
                  for dim, mapping in k.rincian_header.items()] if chosen else ()
        for c in chosen:
            rincian = dict(k.rincian)
            for dim, mapping, normed in by_dim:
                found = [v for lab, v in normed if lab in labels[c]]
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
    titles = [*sheet.titles, *_title_lines(grid[:start])]
    if src.periode.tahun_dari == "judul" and tahun is None:
        from walidata.standardise.periode import find_year

        tahun = next((y for t in titles if (y := find_year(t))), None)
    wide = src.periode.dari == "header"
    header_periods = {c: _header_periode(cells, c, tahun) for c in range(len(labels))} if wide else {}

    columns, values, total_columns, used = _map_columns(ds, labels, header_periods, file, name, start, grid)
    for k in ds.kolom:
        if k.gabungan:
            columns[k.name] = _join_code_parts(grid, k, labels, used, start, depth, file, name)
    extra, extra_index = _extra_columns(labels, cells, used)
    if extra and src.kolom_lain == "tolak":
        raise SourceError(file, f"kolom tak terduga {', '.join(extra)}; dataset ini hanya menerima kolom yang "
                                f"tercantum di katalognya", sheet=name, row=start + 1)

    table = Table(file=file, sheet=name, header_row=start + 1, columns=columns, values=values, titles=titles,
                  extra_columns=extra, extra_index=extra_index, total_columns=total_columns)
    table.tanda = [(k, columns[k.name]) for k in ds.kolom_peran("tanda") if k.name in columns]
    if not values and ds.nilai_kolom:  # (a table that counts rows per category has no value column)
        names = [k.name for k in ds.nilai_kolom]
        raise SourceError(file, f"tidak satu pun kolom nilai ({', '.join(names)}) ada di header: tabel ini tidak "
                                f"memberi satu angka pun untuk diterbitkan (diharapkan salah satu dari "
                                f"{[a for k in ds.nilai_kolom for a in k.alias]})", sheet=name, row=start + 1)
    first_data = start + depth
    _merged_data_cells(sheet, table, first_data)
    for reason, rows in (("judul", range(start)), ("header", range(start, start + depth))):
        n = sum(1 for r in rows if filled(grid[r]))
        if n:
            table.bukan_data[reason] = n
    keys = [table.columns[k.name] for k in ds.kolom if k.peran in LABEL_ROLES and k.name in table.columns]
    table.rincian_dikenal = {table.columns[k.name]: set(_normed((*ds.rincian.get(k.dimensi, []), *k.sinonim)))
                             for k in ds.kolom_peran("rincian") if k.name in table.columns}
    _data_rows(grid, table, first_data, [norm_row(grid[r]) for r in range(start, start + depth)],
               {norm(t) for t in titles}, _footer_pattern(src.label_catatan_kaki), keys)
    table.baris += sum(1 for row in grid[:first_data] if filled(row))  # (the rows below: counted by _data_rows)
    if marks is not None:
        _mark_rows(grid, table, marks, ds)
    return table


@lru_cache(maxsize=1024)
def _normed(texts: tuple) -> frozenset[str]:
    """The normalised texts of a catalog list (the same list for every sheet of a dataset: normalised once)."""
    return frozenset(norm(x) for x in texts)


def _title_lines(rows: list[list]) -> list[str]:
    """The text of each non-empty row above the header (an empty cell is passed over unnormalised)."""
    out = []
    for row in rows:
        shown = [v for v in row if v != "" and norm(v)]
        if shown:
            out.append(" ".join(str(v).strip() for v in shown))
    return out


def blank(v) -> bool:
    """An empty cell: nothing, '' or only spaces."""
    return v is None or v == "" or (v.__class__ is str and v.isspace())


def filled(row: list) -> bool:
    """A row with at least one non-empty cell: a row that the accounting counts."""
    for v in row:
        if v is not None and v != "" and (v.__class__ is not str or not v.isspace()):
            return True
    return False


def _footer_pattern(labels: list[str]) -> re.Pattern:
    """A footer label as a whole word at the start of a text ('Sumber: BPS', 'Ket.'), never the start of another
    word ('Sumberjaya') or of a longer name ('Sumber Jaya' is told apart by its figures, see `_data_rows`)."""
    return _footer_pattern_of(tuple(labels))


@lru_cache(maxsize=256)
def _footer_pattern_of(labels: tuple[str, ...]) -> re.Pattern:
    words = "|".join(re.escape(norm(x)) for x in sorted(labels, key=len, reverse=True))
    return re.compile(rf"^(?:{words})(?![\w])")


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
    personal columns (`pribadi`) get their pseudonyms, in the data rows and in the footer. The data cells of
    identifier columns (`pengenal`) get back their value as read (no NIK there); nothing else does."""
    from walidata.sources.privacy import pseudonym

    personal = sorted({table.columns[k.name] for k in ds.kolom if k.pribadi and k.name in table.columns})
    ids = sorted({table.columns[k.name] for k in ds.kolom if k.pengenal and k.name in table.columns})
    for rownum, row in table.rows if ids and marks.originals else ():
        for c in ids:
            if (rownum - 1, c) in marks.originals and c < len(row):
                row[c] = marks.restore(rownum - 1, c)
    marks.forget_originals()
    # where a NIK may be a false alarm the catalog can settle: an undeclared column, or one declared `abaikan`
    may_be_id = set(table.extra_index) | {table.columns[k.name] for k in ds.kolom_peran("abaikan")
                                          if k.name in table.columns}
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
            for why in marks.problem(rownum - 1, c, c in personal, c in may_be_id):
                table.row_problems.setdefault(rownum, []).append(RecordProblem(col_letter(c), why))
    if footer:  # a footer label in a personal column cannot be told from a name ('Ketut …' starts like 'Ket')
        table.footer = _footer_lines([row for _, row in footer])


def norm_row(row: list) -> list[str]:
    return [norm(v) if v is not None else "" for v in row]


def _cell_of(row: list, c: int):
    return row[c] if c < len(row) else ""


def _data_rows(grid: list[list], table: Table, first_data: int, header: list[list[str]], titles: set[str],
               footer: re.Pattern, keys: list[int]) -> None:
    """The rows under the header that hold data; every other non-empty row is counted under its reason (see
    `Table.skip`). Column-number rows ('(1) (2)…', '3 = Σ (4-14)') are known by their value cells, whatever the
    label cells hold; the header printed again (every page of a long table), repeated titles and continuation
    rows (neither a region nor a figure) are skipped; a footer ('Sumber: …', value cells empty) ends the table and
    is kept as lineage. A row below the footer with a figure in a value column refuses the sheet: no rule says
    what it is, and leaving it out would drop a figure silently."""
    rows = table.rows
    labels = list(table.columns.values())
    figures = sorted({v.index for v in table.values} | {c for _, c, _ in table.total_columns} |
                     {c for _, c in table.tanda})
    unexplained: list[int] = []
    counted = 0
    # (the hot loop: the first filled cell found inline, and the value cells of a row as wide as the
    # table taken at once)
    last = figures[-1] if figures else -1
    pick = itemgetter(*figures) if len(figures) > 1 else None
    for r in range(first_data, len(grid)):
        row = grid[r]
        for first in row:
            if first is not None and first != "" and (first.__class__ is not str or not first.isspace()):
                break
        else:
            continue  # an empty row
        counted += 1  # counted before it is classified: the classes must add up to this count
        width = len(row)
        if width <= last:
            cells = [row[c] if c < width else "" for c in figures]
        elif pick is not None:
            cells = pick(row)
        else:
            cells = (row[last],) if figures else ()
        at = 0
        for f0 in cells:
            if f0 is not None and f0 != "" and (f0.__class__ is not str or not f0.isspace()):
                break
            at += 1
        else:
            at, f0 = -1, None
        has_figure = at >= 0
        if table.footer_row is not None:
            table.skip(r + 1, "catatan")
            if has_figure:
                unexplained.append(r + 1)
            continue
        # (a first figure that no column number is — 12,5, -3, 1234, or more than its column's place in the sheet,
        # since columns are numbered from the table's first — spares the test: most data rows)
        if has_figure and not (f0.__class__ is float and (f0 > figures[at] + 1 or f0 < 0 or not f0.is_integer())) \
                and _column_numbers(cells, figures):
            table.skip(r + 1, "nomor_kolom")
            continue
        if not has_figure and first.__class__ is str and footer.match(norm(first)):
            table.footer_row = r + 1
            table.skip(r + 1, "catatan")
            continue
        if first.__class__ is str:
            # (`_not_data` finds no reason in a row holding a non-empty cell that is no text: a figure that is none
            # spares the call, as it does on most data rows)
            why = None if has_figure and f0.__class__ is not str else _not_data(row, header, titles)
        else:  # '1 2 3 4' printed as numbers under the header, the label cells empty
            why = "nomor_kolom" if labels and all(blank(_cell_of(row, c)) for c in labels) and _counting(row) else None
        if why is None and not has_figure:
            why = _without_figure(table, r, row, keys)
        if why:
            table.skip(r + 1, why)
            continue
        rows.append((r + 1, row))
    table.baris += counted
    if table.footer_row is not None:
        table.footer = _footer_lines(grid[table.footer_row - 1:])
    if unexplained:
        _refuse_unexplained(table, unexplained)


def _without_figure(table: Table, r: int, row: list, keys: list[int]) -> str | None:
    """What a row without any figure is when it holds no region or period of its own (a cell filled from a merged
    cell above is not its own): a continuation row ('lanjutan': only text in other columns, notes or activities,
    carrying on the record above) or a section heading ('judul_bagian': a breakdown cell whose text the catalog
    does not know, '1. Rasio Polisi Pamong Praja …' over its indicators). None: a row of data with its problems."""
    own = [c for c in keys if not blank(_cell_of(row, c)) and (r, c) not in table.merge_filled]
    if not own:
        return "lanjutan"
    known = table.rincian_dikenal
    if all(c in known and norm(_cell_of(row, c)) not in known[c] for c in own):
        return "judul_bagian"
    return None


def _refuse_unexplained(table: Table, rows: list[int]) -> None:
    from walidata.validate.umpan_balik import ribuan, row_ranges

    raise SourceError(table.file, f"{ribuan(len(rows))} baris di bawah catatan kaki (mulai baris {table.footer_row}) "
                                  f"berisi angka di kolom nilai: baris {row_ranges(rows)}. Catatan kaki ('Sumber:', "
                                  f"'Catatan:') harus berada di bawah seluruh tabel; bila baris itu data, pindahkan "
                                  f"catatannya ke bawah tabel, bila bukan, hapus angkanya", sheet=table.sheet,
                      row=rows[0])


def _column_number(v) -> tuple[int, bool] | None:
    """The column number a cell prints (3, '3', '(3)', '3= Σ (4-14)') and whether it is written as a label, or
    None when the cell is something else."""
    if v.__class__ is int or (v.__class__ is float and v.is_integer()):
        return (int(v), False) if 0 <= v < 1000 else None
    if v.__class__ is not str:
        return None
    t = v.strip()
    if t.isdigit():
        return (int(t), False) if len(t) <= 3 else None
    m = _LEADING_NUMBER.match(t)
    return (int(m.group(1)), True) if m and NUMBER_MARK.match(t) else None


def _column_numbers(cells: list, figures: list[int]) -> bool:
    """A column-number row, known by its value cells (`cells`, at `figures`): each one the number of its column
    ('4', '(4)', '3= Σ (4-14)'), numbers rising as the columns do. Three cells at least (two when one is written
    as a label like '(3)' or '3= Σ …', which no figure is). Gives up at the first cell that breaks the pattern:
    this runs on every row."""
    prev, found, labelled, exact = None, 0, False, True
    for v, c in zip(cells, figures):  # noqa: B905 (same length: cells are read at figures)
        if v.__class__ is float:  # the common case, a figure: inline, no call
            if not (0 <= v < 1000 and v.is_integer()):
                return False
            n = int(v)
        elif v is None or v == "" or (v.__class__ is str and v.isspace()):
            continue
        else:
            got = _column_number(v)
            if got is None:
                return False
            n, labelled = got[0], labelled or got[1]
        if prev is not None:
            dn, dc = n - prev[0], c - prev[1]
            if not 0 < dn <= dc:
                return False
            exact = exact and dn == dc
        prev, found = (n, c), found + 1
    if found < (2 if labelled else 3):
        return False
    return labelled or exact


def _footer_lines(rows: list[list]) -> list[str]:
    lines = [" ".join(str(v).strip() for v in rr if norm(v)) for rr in rows if any(norm(v) for v in rr)]
    if len(lines) > FOOTER_LINES_KEPT:
        lines = [*lines[:FOOTER_LINES_KEPT], f"… dan {len(lines) - FOOTER_LINES_KEPT} baris catatan lain"]
    return lines


def _not_data(row: list, header: list[list[str]], titles: set[str]) -> str | None:
    """Why a text-only row inside the table is not data (None when it may be)."""
    cells = []
    for c, v in enumerate(row):
        if v is None or v == "" or (v.__class__ is str and v.isspace()):  # `blank`, inline: every data row
            continue
        if v.__class__ is not str:
            return None  # a number in the row: data
        cells.append((c, v))
    texts = [v for _, v in cells]
    if all(NUMBER_MARK.match(v.strip()) for v in texts) or _counting(texts):
        return "nomor_kolom"
    got = norm_row(row)
    for h in header:
        same = sum(1 for c, _ in cells if c < len(h) and h[c] and got[c] == h[c])
        if same and same >= max(2, (len(cells) + 1) // 2) or (same == len(cells) == 1 and len(h) > 1):
            return "header_diulang"
    if len(cells) == 1 and norm(texts[0]) in titles:
        return "judul_diulang"
    return None


def _counting(row: list) -> bool:
    """1 2 3 4 … (the plain column numbers some tables print under the header)."""
    nums = []
    for v in row:
        if blank(v):
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
                    table.merge_filled.add((r, c))
            elif c in value_cols:
                rng = f"{col_letter(c0)}{r0 + 1}:{col_letter(c1)}{r1 + 1}"
                for r in range(r0, r1 + 1):
                    table.cell_problems[(r + 1, c)] = f"sel gabungan {rng} melintasi baris data"


def read_tables(path: Path, ds: Dataset, label: str | None = None,
                nik_prefixes: frozenset[str] | None = None) -> list[Table]:
    """Every declared sheet of a file, as located tables. Each grid is scrubbed as soon as it is read (NIKs
    masked, control characters taken out, see `privacy`): nothing after this sees them."""
    from walidata.sources import privacy

    prefixes = nik_prefixes if nik_prefixes is not None else privacy.nik_prefixes()
    label = privacy.clean_text(label or Path(path).name, prefixes)
    try:
        sheets = read_sheets(Path(path), label, ds)
    except SourceError as exc:  # its text may quote sheet names
        raise SourceError(exc.file, privacy.clean_text(exc.reason, prefixes), exc.sheet and privacy.clean_text(
            exc.sheet, prefixes), exc.row, exc.column) from None
    try:
        return tables_of_sheets(sheets, ds, label, prefixes, Path(path))
    except SourceError as exc:  # an HTML page named .xls says so first, whatever the refusal
        if not any(s.html for s in sheets):
            raise
        from walidata.sources.spreadsheet import as_html_refusal

        raise as_html_refusal(exc, label) from None


def tables_of_sheets(sheets: list[Sheet], ds: Dataset, label: str, prefixes: frozenset[str],
                     path: Path | None = None) -> list[Table]:
    """Sheets read from a file or built from an API's records, scrubbed then located (see `read_tables`)."""
    from walidata.sources import privacy
    from walidata.standardise.periode import find_year

    key = privacy.pseudonym_key(ds)
    tables, skipped = [], []
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
        t.path = path  # for standardise, which reopens an xlsx for its formula errors (see formula_errors)
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
