"""HTML tables as sheets: BPS table downloads saved as `.xls` are HTML, and so are tables on portal pages.

Read with a real HTML parser (Lexbor, through selectolax), never with regular expressions. `rowspan` and
`colspan` become merged ranges, so a header spread over several columns and a label merged down over
several rows mean the same as in a workbook. Each `<table>` is one sheet, named 'tabel 1', 'tabel 2'…
"""

from __future__ import annotations

import re
from pathlib import Path

_SPACES = re.compile(r"\s+")
_CHARSET = re.compile(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_-]+)", re.I)
MAX_SPAN = 1000  # a colspan/rowspan beyond this is a broken (or hostile) page, not a table
MAX_TABLE_CELLS = 2_000_000  # cells of one table once spans are spread (a page with 40 cells of 1000 × 1000 spans
# asks for 40 million); real HTML tables hold thousands


class TableTooLarge(ValueError):
    """A table that would spread to more than MAX_TABLE_CELLS cells; refused before it is built."""

    def __init__(self, table: str, cells: int):
        self.table = table
        self.reason = (f"tabel HTML ini meliputi lebih dari {MAX_TABLE_CELLS:,} sel setelah rowspan/colspan "
                       f"direntangkan (sudah {cells:,}); bukan tabel statistik yang dapat dibaca").replace(",", ".")
        super().__init__(self.reason)


def looks_like_html(head: bytes) -> bool:
    """The first bytes of a file are HTML (whatever its extension says)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<!doctype html", b"<html", b"<table", b"<head", b"<body", b"<meta", b"<?xml")) and (
        b"<table" in head.lower() or b"<html" in head.lower())


# Names a spreadsheet program gives its workbooks: an HTML page under one of them (a BPS or portal download, a page
# "saved as" .xls) is read as the HTML it is, and any refusal says first what the file really is.
WORKBOOK_SUFFIXES = {".xls": "Excel", ".xlsx": "Excel", ".xlsm": "Excel", ".xlsb": "Excel", ".ods": "OpenDocument"}
_HTML_REFUSAL = re.compile(r"^file HTML \(bukan workbook\)[:,]?\s*")


def named_as_workbook(name: str) -> str | None:
    """The spreadsheet suffix an HTML file carries ('.xls'), or None when its name does not pretend."""
    suffix = Path(str(name)).suffix.lower()
    return suffix if suffix in WORKBOOK_SUFFIXES else None


def disguise_reason(name: str, reason: str) -> str:
    """The refusal of an HTML file named like a workbook, saying so first: 'file ini halaman HTML yang dinamai
    .xls, bukan workbook Excel: …' (the OPD believes it sent a workbook; it should save it as one)."""
    suffix = named_as_workbook(name)
    if suffix is None or reason.startswith("file ini halaman HTML"):
        return reason
    return (f"file ini halaman HTML yang dinamai {suffix}, bukan workbook {WORKBOOK_SUFFIXES[suffix]} (buka di "
            f"program spreadsheet lalu simpan sebagai .xlsx bila perlu): {_HTML_REFUSAL.sub('', reason)}")


def decode(raw: bytes) -> str:
    m = _CHARSET.search(raw[:4096])
    for enc in ([m.group(1).decode("ascii", "replace")] if m else []) + ["utf-8-sig", "cp1252"]:
        try:
            return raw.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    return raw.decode("utf-8", "replace")


def _span(cell, name: str) -> int:
    try:
        return max(1, min(int(cell.attributes.get(name) or 1), MAX_SPAN))
    except (TypeError, ValueError):
        return 1


def _owner(node):
    """The table a row belongs to (rows of nested tables belong to those)."""
    p = node.parent
    while p is not None and p.tag != "table":
        p = p.parent
    return p


def table_grid(table, name: str = "tabel") -> tuple[list[list], list]:
    """A `<table>` → (grid of cell texts, merged ranges [((r0, c0), (r1, c1))]) like calamine gives."""
    cells: dict[tuple[int, int], str] = {}
    filled = 0
    merged = []
    rows = [tr for tr in table.css("tr") if _owner(tr) is not None and _owner(tr).mem_id == table.mem_id]
    for r, tr in enumerate(rows):
        c = 0
        for cell in tr.iter():
            if cell.tag not in ("td", "th"):
                continue
            while (r, c) in cells:
                c += 1
            rs, cs = _span(cell, "rowspan"), _span(cell, "colspan")
            filled += rs * cs
            if filled > MAX_TABLE_CELLS:
                raise TableTooLarge(name, filled)
            text = _SPACES.sub(" ", cell.text(deep=True, separator=" ")).strip()
            for dr in range(rs):
                for dc in range(cs):
                    cells[(r + dr, c + dc)] = text if (dr, dc) == (0, 0) else ""
            if rs > 1 or cs > 1:
                merged.append(((r, c), (r + rs - 1, c + cs - 1)))
            c += cs
    height = max((r for r, _ in cells), default=-1) + 1
    width = max((c for _, c in cells), default=-1) + 1
    grid = [[cells.get((r, c), "") for c in range(width)] for r in range(height)]
    return grid, merged


TITLE_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "caption"}


def read_html(path: Path) -> list[tuple[str, list[list], list, list[str]]]:
    """Every table of an HTML file as (name, grid, merged ranges, titles), in document order. A table's titles
    are the headings, paragraphs and caption just before it (a page says there what and whose the table is)."""
    return html_text_tables(decode(Path(path).read_bytes()))


def html_text_tables(text: str) -> list[tuple[str, list[list], list, list[str]]]:
    """`read_html` of HTML text (a BPS static table travels as HTML inside a JSON response)."""
    from selectolax.lexbor import LexborHTMLParser

    doc = LexborHTMLParser(text)
    out, recent, n = [], [], 0
    for node in doc.root.traverse():
        if node.tag in TITLE_TAGS and (text := _SPACES.sub(" ", node.text(deep=True, separator=" ")).strip()):
            recent = [*recent[-5:], text]
        elif node.tag == "table":
            n += 1
            grid, merged = table_grid(node, f"tabel {n}")
            if grid:
                out.append((f"tabel {n}", grid, merged, recent))
            recent = []
    return out
