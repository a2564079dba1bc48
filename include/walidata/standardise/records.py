"""Standardise: located spreadsheet tables → tidy records with official region codes.

Nothing is dropped here. A value or name that cannot be read keeps its row, with its problems in
`masalah_rinci` (each one: the sheet column it is in, and why) and as text in `masalah` (made from them by
`render_problems`); validation then quarantines it, naming file, sheet, row and column.
Built column by column (lists, then Arrow): this is the hot path of every nightly run.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from walidata.catalog import Dataset
from walidata.sources.privacy import ascii_digits, mask, nik_of_number
from walidata.sources.spreadsheet import RecordProblem, SourceError, col_letter, formula_errors, norm, render_problems
from walidata.sources.table import Table
from walidata.standardise.periode import FLAGS, find_year, parse_periode, parse_tanggal, periode_of_date
from walidata.standardise.reference import IndeksWilayah, fold

STATUS_TETAP = "tetap"
NOT_AVAILABLE = {"...", "…", "..", "n.a", "na", "n/a"}
STATUSES = [STATUS_TETAP, "nihil", "tidak_tersedia", "rahasia", *FLAGS.values()]
_FLAG_RE = re.compile(r"^(.*?)\s*(\*\*|\*|r|e)$")
# Indonesian format (desimal: koma): 1.234.567 and 12,5; machine exports (desimal: titik): 1,234,567 and 12.5.
_NUMBER_RE = {
    "koma": (re.compile(r"^-?\d{1,3}(\.\d{3})+$|^-?\d+$"), re.compile(r"^-?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")),
    "titik": (re.compile(r"^-?\d{1,3}(,\d{3})+$|^-?\d+$"), re.compile(r"^-?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")),
}
_CURRENCY = re.compile(r"^rp\.?\s*|\s*%$", re.I)


@dataclass(frozen=True)
class Parsed:
    nilai: float | None
    status: str
    masalah: str | None = None


def parse_number(raw, tipe: str, tanda_strip: str = "nihil", desimal: str = "koma") -> Parsed:
    """One cell → value and status flag. '1.234' is read from the declared type and decimal mark."""
    if raw is None or raw == "":
        return Parsed(None, "tidak_tersedia", "sel kosong")
    if isinstance(raw, bool):
        return Parsed(None, STATUS_TETAP, f"nilai {raw!r} bukan angka")
    if isinstance(raw, int | float):
        v = float(raw)
        if math.isnan(v):
            return Parsed(None, "tidak_tersedia", "sel kosong")
        if tipe == "integer" and not v.is_integer():
            return Parsed(None, STATUS_TETAP, f"nilai {raw!r} bukan bilangan bulat")
        return Parsed(v, STATUS_TETAP)
    if not isinstance(raw, str):  # dates and times in a value column
        return Parsed(None, STATUS_TETAP, f"nilai {raw!r} bukan angka")
    # Unicode digits are read as ASCII ('１.２３４' → 1234), Unicode spaces and dashes as ' ' and '-' (ascii_digits)
    s = (raw if raw.isascii() else ascii_digits(raw)).replace("\xa0", " ").strip()
    if not s:
        return Parsed(None, "tidak_tersedia", "sel kosong")
    if s in ("-", "–", "—"):
        return Parsed(0.0, "nihil") if tanda_strip == "nihil" else Parsed(None, "tidak_tersedia")
    low = s.lower()
    if low in NOT_AVAILABLE:
        return Parsed(None, "tidak_tersedia")
    if low == "x":
        return Parsed(None, "rahasia")
    if s.startswith("#"):
        return Parsed(None, STATUS_TETAP, f"sel berisi galat rumus {s}")
    status = STATUS_TETAP
    m = _FLAG_RE.match(s)
    if m and m.group(1):
        s, status = m.group(1).strip(), FLAGS[m.group(2)]
    s = _CURRENCY.sub("", s).replace(" ", "")
    int_re, dec_re = _NUMBER_RE[desimal]
    group, point = (".", ",") if desimal == "koma" else (",", ".")
    if tipe == "integer" and int_re.match(s):
        return _not_nik(raw, Parsed(float(s.replace(group, "")), status))
    if not dec_re.match(s):
        return Parsed(None, status, f"nilai {raw!r} bukan {'bilangan bulat' if tipe == 'integer' else 'angka'}")
    v = float(s.replace(group, "").replace(point, "."))
    if v >= 1e15:
        return _not_nik(raw, Parsed(v, status))
    if tipe == "integer" and not v.is_integer():  # '1.016,00' is a whole number; '12,5' is not
        return Parsed(None, status, f"nilai {raw!r} bukan bilangan bulat")
    return Parsed(v, status)


def _not_nik(raw: str, got: Parsed) -> Parsed:
    """A figure written in other than ASCII digits ('６２０６…') is never a 16-digit integer: that is a NIK's shape,
    refused and masked (an ASCII one is masked by the reader, `privacy.scrub_grid`, before it gets here)."""
    if raw.isascii() or got.nilai is None or got.nilai < 1e15 or not nik_of_number(got.nilai):
        return got
    return Parsed(None, got.status, f"nilai 16 angka menyerupai NIK (nomor induk kependudukan), disamarkan: "
                                    f"{mask(nik_of_number(got.nilai))}")


PROBLEMS = "masalah_rinci"  # list<struct<kolom, alasan>>: a record's problems, one element each


def problems_type():
    """Arrow type of `masalah_rinci`: kolom is the sheet column's letter, null for the row's or sheet's problems."""
    import pyarrow as pa

    return pa.list_(pa.struct([("kolom", pa.string()), ("alasan", pa.string())]))


RECORD_ID = "rekaman_id"  # a record's number in its run, set once by standardise: validation rejects and publish
# drops records by it, never by their position in a frame


def record_columns(ds: Dataset) -> list[str]:
    """The tidy record layout every later stage relies on (the record id first)."""
    return [RECORD_ID, *cell_columns(ds)]


def cell_columns(ds: Dataset) -> list[str]:
    """What a record says about one value cell: the record layout without the record id."""
    return ["dataset", "variabel", "kode_wilayah", "nama_wilayah", "periode", *ds.kolom_rincian, "nilai", "satuan",
            "status", "masalah", "masalah_rinci", "sumber_file", "sumber_sheet", "sumber_baris", "sumber_kolom_wilayah",
            "sumber_kolom_nilai"]


TOTAL_COLUMNS = ["jenis", "nilai_total", "sumber_file", "sumber_sheet", "sumber_baris", "sumber_kolom", "masalah"]
LAIN_COLUMNS = ["kode_wilayah", "nama_wilayah", "alasan", "sumber_file", "sumber_sheet", "sumber_baris"]


def _cell(row: list, c: int):
    return row[c] if c < len(row) else ""


def _text(v) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return re.sub(r"\s+", " ", str(v).replace("\xa0", " ")).strip()


_TOTAL_CACHE: dict = {}
_TEXT_CACHE: dict = {}
_PERIODE_CACHE: dict = {}


def _total_label_test(totals: set[str]):
    """Whether a label cell marks a total row ('Jumlah', 'Jumlah/Total', 'Jumlah 2024'); labels repeat, so each
    distinct one is decided once per run."""
    if len(_TEXT_CACHE) > 200_000:  # bounded: a long-lived worker reads many files
        _TEXT_CACHE.clear(), _TOTAL_CACHE.clear(), _PERIODE_CACHE.clear()
    total_cache = _TOTAL_CACHE.setdefault(frozenset(totals), {})

    def is_total(v, exact: bool = False) -> bool:
        """`exact`: only a whole total label ('Jumlah', 'Total', 'Jumlah/Total'), as in a breakdown column, where
        'Jumlah Penduduk' is an indicator, not a total row."""
        hit = total_cache.get((v, exact))
        if hit is None:
            label = _text(v)
            parts = {norm(label), *(norm(p) for p in label.split("/"))}
            first_word = not exact and label and norm(label).split(" ", 1)[0] in totals
            hit = total_cache[(v, exact)] = bool(parts & totals or first_word)
        return hit

    return is_total


def _says_total(row: list, label_cols: list[tuple[int, bool]], is_total, known: dict[int, set[str]]) -> bool:
    """Whether a label cell of the row marks a total: in a breakdown column only a whole total label that is not
    one of its categories ('Total' under the hotel classes, never 'Jumlah Penduduk'). A plain loop: every row."""
    width = len(row)
    for c, breakdown in label_cols:
        v = row[c] if c < width else ""
        if v == "" or v is None:
            continue
        if breakdown:
            if is_total(v, True) and norm(v) not in known[c]:
                return True
        elif is_total(v):
            return True
    return False


class _Rows:
    """Per data row: whose row it is (attribution), period, breakdowns and problems."""

    def __init__(self, ds: Dataset, table: Table, wilayah: IndeksWilayah, tahun: str | None):
        n = len(table.rows)
        self.kind = ["milik"] * n  # milik, lain, total
        self.kode: list[str | None] = [None] * n
        self.nama: list[str] = [""] * n
        self.lain_why: list[str | None] = [None] * n
        self.periode: list[tuple[str, str] | None] = [None] * n
        self.rincian: dict[str, list[str | None]] = {k.dimensi: [None] * n for k in ds.kolom_peran("rincian")}
        self.problems: list[list[RecordProblem]] = [[] for _ in range(n)]
        self.conflicts: set[int] = set()  # rows (ours or not) whose code and name disagree
        self.conflict_why: tuple[int, str] | None = None  # the first of them: (row, why)
        cols = table.columns
        kolom_wilayah_ke = [cols[k.name] for k in ds.kolom_wilayah if k.name in cols]
        self.wil_letter = col_letter(kolom_wilayah_ke[-1]) if kolom_wilayah_ke else ""
        self._attribute_rows(ds, table, wilayah)
        self._periods(ds, table, tahun)
        self._rincian(ds, table)
        # Backward: a code/name conflict found in one row casts doubt on the rows of its period read before it,
        # so once every row's period is known, those rows get a problem too.
        self._misaligned(table, self.conflicts)

    def _attribute_rows(self, ds: Dataset, table: Table, wilayah: IndeksWilayah) -> None:
        """Each row: a total row (by its label), another region's, or ours (with its region's problem)."""
        from walidata.standardise.attribution import Attributor

        totals = {norm(t) for t in ds.sumber.label_total}
        cols = table.columns
        # every column that may say 'Jumlah': a region, a breakdown ('Total' under the hotel classes) or a period
        label_cols = [(cols[k.name], k.peran == "rincian") for k in ds.kolom
                      if k.peran in TOTAL_LABEL_ROLES and k.name in cols]
        known = table.rincian_dikenal
        single = label_cols[0][0] if len(label_cols) == 1 and not label_cols[0][1] else None
        attribute = Attributor(ds, table, wilayah, totals | {fold(t) for t in ds.sumber.label_total})
        is_total = _total_label_test(totals)
        marked = table.row_problems  # a NIK or a control character in the row: ours to report, never published
        for i, (rownum, row) in enumerate(table.rows):
            if marked and rownum in marked:
                a = attribute(row)
                if a.kind == "lain":  # region before privacy: another region's row is set aside, NIK masked
                    self.kind[i], self.kode[i], self.nama[i], self.lain_why[i] = a.kind, a.kode, a.nama, a.text()
                    continue
                self._marked(i, a, marked[rownum])
                continue
            if single is not None:  # the usual table: one label column that is not a breakdown, tested inline
                if single < len(row) and is_total(row[single]):
                    self.kind[i] = "total"
                    continue
            elif label_cols and _says_total(row, label_cols, is_total, known):
                self.kind[i] = "total"
                continue
            a = attribute(row)
            if a.conflict:
                self.conflicts.add(i)
                self.conflict_why = self.conflict_why or (table.rows[i][0], a.text())
            if a.kind in ("total", "lain"):
                self.kind[i], self.kode[i], self.nama[i], self.lain_why[i] = a.kind, a.kode, a.nama, a.text()
                continue
            self.kode[i], self.nama[i] = a.kode, a.nama
            if a.why:
                self.problems[i].append(a.problem())

    def _marked(self, i: int, a, problems: list[RecordProblem]) -> None:
        """A row holding a NIK or a control character is never published, nor taken as a total or as another
        region's: it stays a record of ours with its problems, so that validation rejects it and says why."""
        self.kode[i], self.nama[i] = (a.kode if a.kind == "milik" else None), a.nama
        self.problems[i] += [*problems, *([a.problem()] if a.kind == "masalah" and a.why else [])]

    def _misaligned(self, table: Table, conflicts: set[int]) -> None:
        """Codes that contradict their names in a period's rows mean the rows of that period (in this sheet) may
        be shifted against each other: none of them is taken, even where code and name happen to agree."""
        blocks = {self.periode[i][0] if self.periode[i] else None for i in conflicts}
        if not blocks:
            return
        first = {b: min(table.rows[i][0] for i in conflicts if (self.periode[i] or (None,))[0] == b) for b in blocks}
        row, why = self.conflict_why
        for i, kind in enumerate(self.kind):
            block = self.periode[i][0] if self.periode[i] else None
            if kind == "milik" and i not in conflicts and (block in blocks or None in blocks):
                key = block if block in blocks else None
                self.problems[i].append(RecordProblem(
                    None, f"kode dan nama wilayah bertentangan pada baris lain periode {key or 'ini'} (mulai baris "
                          f"{first[key]}; baris {row}: {why}): baris periode ini tidak dapat dipercaya"))

    def _periods(self, ds: Dataset, table: Table, tahun: str | None) -> None:
        """Period from a column (with the year from another column when it has none) or from a date."""
        cols = table.columns
        src = ds.sumber.periode
        per_col = next((cols[k.name] for k in ds.kolom_peran("periode") if k.name in cols), None)
        thn_col = next((cols[k.name] for k in ds.kolom_peran("tahun") if k.name in cols), None)
        tgl_col = next((cols[k.name] for k in ds.kolom_peran("tanggal") if k.name in cols), None)
        cache = _PERIODE_CACHE
        no_year: list[tuple[int, str]] = []
        for i, (rownum, row) in enumerate(table.rows):
            if self.kind[i] != "milik" and i not in self.conflicts:
                continue
            probs = self.problems[i]
            year = tahun
            if thn_col is not None:
                raw = _cell(row, thn_col)
                year = find_year(_text(raw), r"^((?:19|20)\d{2})$")
                if year is None:
                    probs.append(RecordProblem(col_letter(thn_col), f"tahun '{_text(raw)}' tidak terbaca"))
                    continue
            if per_col is not None:
                raw = _cell(row, per_col)
                key = (raw, year, src.granularitas if "granularitas" in src.model_fields_set else None)
                p = cache.get(key, False)
                if p is False:
                    p = cache[key] = parse_periode(raw, year) or _numbered(raw, year, src)
                self.periode[i] = p
                if p is None and year is None and parse_periode(raw, "2000") is not None:
                    no_year.append((rownum, _text(raw)))
                elif p is None:
                    probs.append(RecordProblem(col_letter(per_col), f"periode '{_text(raw)}' tidak terbaca"
                                                                    + _numbered_hint(raw, src)))
            elif tgl_col is not None:
                raw = _cell(row, tgl_col)
                d = parse_tanggal(raw)
                if d is None:
                    probs.append(RecordProblem(col_letter(tgl_col), f"tanggal '{_text(raw)}' tidak terbaca"))
                else:
                    self.periode[i] = (periode_of_date(d, src.granularitas), STATUS_TETAP)
        if no_year:
            rows = [r for r, _ in no_year]
            from walidata.validate.umpan_balik import ribuan, row_ranges

            raise SourceError(table.file, f"{ribuan(len(no_year))} baris (baris {row_ranges(rows)}) berisi bulan atau "
                                          f"triwulan tanpa tahun, misalnya '{no_year[0][1]}'"
                              + "; katalog harus menyatakan dari mana tahunnya (sumber.periode.tahun_dari: kolom, "
                                "judul, sheet, file atau tetap)", sheet=table.sheet, row=rows[0],
                              column=col_letter(per_col))

    def _rincian(self, ds: Dataset, table: Table) -> None:
        cols = table.columns
        rin = [(k, cols[k.name]) for k in ds.kolom_peran("rincian") if k.name in cols]
        for k, c in rin:
            allowed = {norm(a): a for a in ds.rincian[k.dimensi]} | {norm(s): v for s, v in k.sinonim.items()}
            values = self.rincian[k.dimensi]
            texts = _TEXT_CACHE
            for i, (_, row) in enumerate(table.rows):
                if self.kind[i] != "milik":
                    continue
                raw = row[c] if c < len(row) else ""
                text = texts.get(raw)
                if text is None:
                    text = texts[raw] = _text(raw)
                v = values[i] = allowed.get(norm(text))
                if v is None:
                    self.problems[i].append(RecordProblem(col_letter(c), f"{k.dimensi} '{text}' tidak dikenal "
                                                          f"(yang diakui: {', '.join(ds.rincian[k.dimensi])})"))


_NUMBERED = {"bulan": (12, "{y}-{n:02d}"), "triwulan": (4, "{y}-Q{n}"), "semester": (2, "{y}-S{n}")}


def _period_number(raw) -> int | None:
    t = _text(raw)
    return int(t) if t.isdigit() and len(t) <= 2 else None


def _numbered(raw, year: str | None, src) -> tuple[str, str] | None:
    """A bare number in a period column ('1' … '12') beside a year column: a month, quarter or semester only when
    the catalog says which (`sumber.periode.granularitas`, set explicitly): '3' alone is never guessed."""
    n = _period_number(raw)
    if n is None or year is None or "granularitas" not in src.model_fields_set or src.granularitas not in _NUMBERED:
        return None
    most, form = _NUMBERED[src.granularitas]
    return (form.format(y=year, n=n), STATUS_TETAP) if 1 <= n <= most else None


def _numbered_hint(raw, src) -> str:
    if _period_number(raw) is None or "granularitas" in src.model_fields_set:
        return ""
    return ("; angka saja bisa bulan, triwulan atau semester: nyatakan sumber.periode.granularitas (bulan, triwulan "
            "atau semester) di katalog")


TOTAL_LABEL_ROLES = ("provinsi", "kabupaten_kota", "kecamatan", "desa", "rincian", "periode")  # may say "Jumlah"


def _table_periode(ds: Dataset, table: Table) -> tuple[str, str] | None:
    """The one period of the whole table, when the catalog takes it from a fixed value, the sheet name, the title
    rows or the file name; read with the same parser as a period cell ('Semester 1 2025' → 2025-S1)."""
    from walidata.standardise.periode import year_range, year_range_reason

    p = ds.sumber.periode
    if p.dari == "tetap":
        return parse_periode(p.nilai) or (str(p.nilai), STATUS_TETAP)  # the catalog checked it reads at load
    if p.dari in ("sheet", "judul", "file"):
        texts = {"sheet": [table.sheet], "judul": table.titles, "file": [table.file]}[p.dari]
        where = {"sheet": "nama sheet", "judul": "baris judul", "file": "nama file"}[p.dari]
        for t in texts:
            m = re.search(p.pola, t)
            if m:
                if rentang := year_range(t, m):
                    raise SourceError(table.file, year_range_reason(where, rentang), sheet=table.sheet)
                parsed = parse_periode(m.group(1))
                return parsed or (m.group(1), STATUS_TETAP)
        raise SourceError(table.file, f"{where} tidak memuat periode (pola {p.pola!r})", sheet=table.sheet)
    return None


def table_year(ds: Dataset, table: Table) -> str | None:
    """The year for month/quarter labels, from where the catalog says; a missing one stops the file once, and so
    does a range of years ('2021-2023'), which is never read as its first year."""
    from walidata.standardise.periode import year_range, year_range_reason

    src = ds.sumber.periode
    if src.tahun_dari in (None, "kolom"):
        return None
    if src.tahun_dari == "tetap":
        return src.tahun
    texts = {"sheet": [table.sheet], "judul": table.titles, "file": [table.file]}[src.tahun_dari]
    where = {"sheet": "nama sheet", "judul": "baris judul", "file": "nama file"}[src.tahun_dari]
    year = None
    for t in texts:  # the first text that names a year, or a range of years, decides
        if rentang := year_range(t):
            raise SourceError(table.file, year_range_reason(where, rentang), sheet=table.sheet)
        if year := find_year(t):
            break
    if year is None:
        raise SourceError(table.file, f"tidak ada tahun (19xx/20xx) di {where}; bulan dan triwulan tabel ini "
                                      f"memerlukannya (sumber.periode.tahun_dari: {src.tahun_dari})",
                          sheet=table.sheet)
    return year


def _periods_and_flags(rows: _Rows, vc, data_idx: list[int], t_periode, status: list[str]):
    """The period of each record (from the header, the table or the row) and its status with the period's flag:
    '2025*' in the header (or the period cell) marks every value of that period."""
    n = len(data_idx)
    if vc.periode is not None:
        periode, flag = [vc.periode[0]] * n, vc.periode[1]
    elif t_periode is not None:
        periode, flag = [t_periode[0]] * n, t_periode[1]
    else:
        periode = [rows.periode[i][0] if rows.periode[i] else None for i in data_idx]
        flag = None
    if flag is None:
        for j, i in enumerate(data_idx):
            p = rows.periode[i]
            if p and p[1] != STATUS_TETAP and status[j] == STATUS_TETAP:
                status[j] = p[1]
    elif flag != STATUS_TETAP:
        status = [flag if s == STATUS_TETAP else s for s in status]
    return periode, status


def _formula_problem(found: str) -> str:
    if found.startswith("="):  # a formula whose result the file does not hold: never computed by us
        from walidata.safe_text import visible

        return (f"sel berisi rumus '{visible(found[:60])}' tanpa hasil tersimpan; buka file di Excel atau "
                f"LibreOffice lalu simpan ulang (atau tulis angkanya)")
    return f"sel berisi galat rumus {found}"


class _NoHeaderPeriod:
    periode = None


_NO_HEADER_PERIOD = _NoHeaderPeriod()
MARKS = {"√", "✓", "✔", "☑", "v", "x", "1", "ya", "ada", "y"}  # what a mark column holds for 'this one'


def _mark_categories(table: Table, rows: list[list]) -> dict[str, tuple[list, list]]:
    """Per breakdown given by mark columns: each row's category (the one column marked) and its problem (no mark,
    several marks, or a cell that is not a mark)."""
    by_dim: dict[str, list[tuple[str, int]]] = {}
    for k, c in table.tanda:
        ((dim, val),) = k.rincian.items()
        by_dim.setdefault(dim, []).append((val, c))
    out = {}
    for dim, cols in by_dim.items():
        values, problems = [], []
        letters = ", ".join(col_letter(c) for _, c in cols)
        for row in rows:
            hit, why = [], None
            for val, c in cols:
                v = _cell(row, c)
                t = _text(v).lower() if v is not None else ""
                if t in ("", "0", "-"):
                    continue
                if t in MARKS:
                    hit.append((val, c))
                else:
                    why = RecordProblem(col_letter(c), f"isi '{_text(v)}' bukan tanda (√) untuk {dim} {val}")
            if why is None and len(hit) != 1:
                why = RecordProblem(None, f"{'tidak ada tanda' if not hit else 'lebih dari satu tanda'} untuk {dim} "
                                          f"di kolom {letters}" + (f" ({', '.join(col_letter(c) for _, c in hit)})"
                                                                   if hit else ""))
            values.append(hit[0][0] if why is None else None)
            problems.append(why)
        out[dim] = (values, problems)
    return out


def _record_problems(table: Table, rows: _Rows, c: int, data_idx: list[int], rownums: list[int],
                     why: list[str | None]) -> list[list[RecordProblem] | None]:
    """Each record's problems (None when it has none): its row's, then its cell's (a merged cell, then the value)."""
    letter = col_letter(c)
    cell_problems = {r: p for (r, cc), p in table.cell_problems.items() if cc == c}
    out: list[list[RecordProblem] | None] = [None] * len(data_idx)
    for j, i in enumerate(data_idx):
        probs, cellp = rows.problems[i], cell_problems.get(rownums[j])
        if probs or why[j] or cellp:  # a list of the record's own: a row total may add to it later
            out[j] = [*probs, *([RecordProblem(letter, cellp)] if cellp else []),
                      *([RecordProblem(letter, why[j])] if why[j] else [])]
    return out


class Builder:
    """Column lists of tidy records, turned into one Arrow table at the end."""

    # Columns that stay the same over a whole value column of a table: kept as runs (value, count), built
    # as dictionary arrays, not as one Python string per record.
    RUNS = ("dataset", "variabel", "satuan", "sumber_file", "sumber_sheet", "sumber_kolom_wilayah",
            "sumber_kolom_nilai")

    def __init__(self, ds: Dataset):
        self.ds = ds
        # `masalah` is not kept: arrow() renders it from `masalah_rinci` (None, or that record's own list).
        self.cols: dict[str, list] = {c: [] for c in cell_columns(ds) if c not in (*self.RUNS, "masalah")}
        self.runs: dict[str, list[tuple[str, int]]] = {c: [] for c in self.RUNS}
        self.totals: dict[str, list] = {c: [] for c in TOTAL_COLUMNS}
        self.lain: dict[str, list] = {c: [] for c in LAIN_COLUMNS}
        self.lineage: list[dict] = []
        self.rows_by_file: dict[str, dict[str, int]] = {}  # file → {milik, lain, total}: rows of each kind
        self.akuntansi: dict = empty_akuntansi()  # every non-empty source row of the run, by class
        self._formula_errors: dict[tuple, dict[tuple[int, int], str]] = {}  # (path, sheet) → errors, read once

    def add_table(self, table: Table, wilayah: IndeksWilayah) -> None:
        from walidata.standardise.attribution import check_kolom_wilayah, check_titles, check_unit

        ds = self.ds
        check_kolom_wilayah(ds, table, wilayah)
        check_titles(ds, table, wilayah)
        check_unit(ds, table)
        rows = _Rows(ds, table, wilayah, table_year(ds, table))
        t_periode = _table_periode(ds, table)
        idx = {kind: [i for i, k in enumerate(rows.kind) if k == kind] for kind in ("milik", "lain", "total")}
        counts = self.rows_by_file.setdefault(table.file, {"milik": 0, "lain": 0, "total": 0})
        for kind, rows_of_kind in idx.items():
            counts[kind] += len(rows_of_kind)
        values = {}
        ours = [table.rows[i] for i in idx["milik"]]
        if not table.values:  # rows counted per category (sumber.agregasi without a value column)
            self._count_rows(table, rows, idx["milik"], t_periode)
        for vc in table.values:
            values[vc.index] = self._column(table, rows, vc, idx["milik"], ours, t_periode)
            self._parts_and_totals(table, vc, idx)
        # Backward: a row total can only be checked once every value column of the table is in, so its problem
        # is added afterwards to the records those columns already wrote.
        self._row_totals(table, ours, values)
        akuntansi = self._account(table, len(ours), len(idx["lain"]), len(idx["total"]))
        for i in idx["lain"]:
            for col, v in zip(LAIN_COLUMNS, (rows.kode[i], rows.nama[i], rows.lain_why[i], table.file, table.sheet,
                                             table.rows[i][0]), strict=True):
                self.lain[col].append(v)
        self.lineage.append({"sumber_file": table.file, "sumber_sheet": table.sheet, "baris_header": table.header_row,
                             "judul": table.titles, "catatan": table.footer, "kolom_lain": table.extra_columns,
                             "baris_dilewati": table.skipped, "baris_wilayah_lain": len(idx["lain"]),
                             "akuntansi": akuntansi,
                             "kolom": {n: col_letter(c) for n, c in table.columns.items()}
                             | {v.kolom.name: col_letter(v.index) for v in table.values}})

    def _account(self, table: Table, n_ours: int, n_lain: int, n_total: int) -> dict:
        """Every non-empty row of the table's sheet in one class; the classes must add up to the rows counted on
        their own (`Table.baris`), or the file is refused: a row nobody can account for may be a lost figure."""
        out, nv = self.cols, len(table.values) or 1
        first = len(out["sumber_baris"]) - nv * n_ours
        bad = {out["sumber_baris"][j] for j in range(first, len(out["sumber_baris"])) if out[PROBLEMS][j]}
        akun = {"baris": table.baris, "rekaman": n_ours - len(bad), "masalah": len(bad), "disisihkan": n_lain,
                "total": n_total, "bukan_data": dict(sorted(table.bukan_data.items()))}
        if akun_sum(akun) != table.baris:
            raise SourceError(table.file, f"baris yang terhitung ({akun_sum(akun)}) tidak sama dengan baris terisi "
                                          f"sheet ini ({table.baris}): {akun_text(akun)}; Walidata tidak menerbitkan "
                                          f"tabel yang barisnya tidak semua terjelaskan", sheet=table.sheet)
        merge_akuntansi(self.akuntansi, akun)
        return akun

    def _count_rows(self, table: Table, rows: _Rows, data_idx: list[int], t_periode) -> None:
        """One record per row of ours, worth 1, with its category (from a text column, or from the mark columns):
        `aggregate` then counts them per region, period and category."""
        ds, out, agg, n = self.ds, self.cols, self.ds.sumber.agregasi, len(data_idx)
        marks = _mark_categories(table, [table.rows[i][1] for i in data_idx])
        letter = col_letter(table.tanda[0][1]) if table.tanda else rows.wil_letter
        for col, value in (("dataset", ds.id), ("variabel", agg.hitung), ("satuan", agg.satuan),
                           ("sumber_file", table.file), ("sumber_sheet", table.sheet),
                           ("sumber_kolom_wilayah", rows.wil_letter), ("sumber_kolom_nilai", letter)):
            self.runs[col].append((value, n))
        out["kode_wilayah"] += [rows.kode[i] for i in data_idx]
        out["nama_wilayah"] += [rows.nama[i] for i in data_idx]
        periode, status = _periods_and_flags(rows, _NO_HEADER_PERIOD, data_idx, t_periode, [STATUS_TETAP] * n)
        out["periode"] += periode
        for dim in ds.kolom_rincian:
            out[dim] += marks[dim][0] if dim in marks else [rows.rincian[dim][i] for i in data_idx]
        out["nilai"] += [1.0] * n
        out["status"] += status
        for j, i in enumerate(data_idx):
            probs = [*rows.problems[i], *(p for dim in marks if (p := marks[dim][1][j]))]
            out[PROBLEMS].append(probs or None)
        out["sumber_baris"] += [table.rows[i][0] for i in data_idx]

    def _column(self, table: Table, rows: _Rows, vc, data_idx: list[int], ours: list, t_periode) -> list:
        """The records of one value column for our rows; returns the values (for row totals)."""
        ds, out = self.ds, self.cols
        k, letter, n = vc.kolom, col_letter(vc.index), len(data_idx)
        rownums = [r for r, _ in ours]
        nilai, status, why = self._values(table, vc, ours)
        periode, status = _periods_and_flags(rows, vc, data_idx, t_periode, status)
        for col, value in (("dataset", ds.id), ("variabel", k.variabel or ds.variabel),
                           ("satuan", k.satuan or ds.metadata.satuan), ("sumber_file", table.file),
                           ("sumber_sheet", table.sheet), ("sumber_kolom_wilayah", rows.wil_letter),
                           ("sumber_kolom_nilai", letter)):
            self.runs[col].append((value, n))
        out["kode_wilayah"] += [rows.kode[i] for i in data_idx]
        out["nama_wilayah"] += [rows.nama[i] for i in data_idx]
        out["periode"] += periode
        for dim in ds.kolom_rincian:
            out[dim] += [vc.rincian[dim]] * n if dim in vc.rincian else [rows.rincian[dim][i] for i in data_idx]
        out["nilai"] += nilai
        out["status"] += status
        out[PROBLEMS] += _record_problems(table, rows, vc.index, data_idx, rownums, why)
        out["sumber_baris"] += rownums
        return nilai

    def _values(self, table: Table, vc, ours: list) -> tuple[list, list[str], list[str | None]]:
        """Value, status and (cell's own) problem of each of our rows' cells in one value column."""
        ds, k, c = self.ds, vc.kolom, vc.index
        cells = [row[c] if c < len(row) else "" for _, row in ours]
        nilai = [v if v.__class__ is float else None for v in cells]
        status = [STATUS_TETAP] * len(cells)
        why: list[str | None] = [None] * len(cells)
        integer = k.tipe == "integer"
        errors = None
        for j, v in enumerate(cells):
            if v.__class__ is float and not (integer and not v.is_integer()):
                continue
            if v == "" and errors is None:
                # Backward: calamine (which read the grid) gives an empty string for a cell holding a formula
                # error; only openpyxl sees '#REF!'. So an xlsx is opened again, once per sheet, and only when an
                # empty value cell is met: '#REF!' is a broken formula to fix, not a figure left out.
                errors = self._errors_of(table)
            p = parse_number(v, k.tipe, ds.sumber.tanda_strip, k.desimal)
            if v == "" and errors and (ours[j][0], c) in errors:
                p = Parsed(None, STATUS_TETAP, _formula_problem(errors[(ours[j][0], c)]))
            elif p.masalah == "sel kosong" and ds.sumber.sel_kosong == "tidak_tersedia":
                p = Parsed(None, "tidak_tersedia")  # declared: an empty cell means 'not given' in these files
            elif p.masalah == "sel kosong" and ds.sumber.sel_kosong == "nihil":
                p = Parsed(0.0, "nihil")  # declared: an empty cell means nothing there, like '-'
            nilai[j], status[j], why[j] = p.nilai, p.status, p.masalah
        return nilai, status, why

    def _errors_of(self, table: Table) -> dict[tuple[int, int], str]:
        if table.path is None:
            return {}
        key = (table.path, table.sheet)
        if key not in self._formula_errors:
            self._formula_errors[key] = formula_errors(table.path, table.sheet)
        return self._formula_errors[key]

    def _parts_and_totals(self, table: Table, vc, idx: dict[str, list[int]]) -> None:
        """The table's own total rows ('Jumlah', a province row in a kabupaten list), and the rows of other
        regions above them, kept to check each total against the rows it sums."""
        k, c = vc.kolom, vc.index
        if not k.aditif or not idx["total"]:
            return
        tot, ds = self.totals, self.ds
        for jenis in ("total", "lain"):
            for i in idx[jenis]:
                rownum, row = table.rows[i]
                p = parse_number(_cell(row, c), k.tipe, ds.sumber.tanda_strip, k.desimal)
                why = p.masalah if p.masalah and p.masalah != "sel kosong" else None
                for col, v in zip(TOTAL_COLUMNS, (jenis, p.nilai, table.file, table.sheet, rownum, col_letter(c), why),
                                  strict=True):
                    tot[col].append(v)

    def _row_totals(self, table: Table, data_rows: list, values: dict[int, list]) -> None:
        """A row total column (Jumlah = L + P; in wide layouts one per period) equals the sum of the values it
        covers in that row: the value columns of its period, or all of them when its header gives none."""
        ds, out = self.ds, self.cols
        n = len(data_rows)
        first = len(out[PROBLEMS]) - len(table.values) * n  # records of this table: column after column
        position = {vc.index: p for p, vc in enumerate(table.values)}
        for k, c, per in table.total_columns:
            covered = [vc for vc in table.values if (vc.kolom.name in k.jumlah_dari if k.jumlah_dari else
                                                     vc.kolom.aditif) and (
                per is None or (vc.periode is not None and vc.periode[0] == per))]
            if not covered:
                continue
            columns = [values[vc.index] for vc in covered]
            for j, ((_, row), parts) in enumerate(zip(data_rows, zip(*columns, strict=True), strict=True)):
                if None in parts:
                    continue
                cell = row[c] if c < len(row) else ""
                p = parse_number(cell, k.tipe, ds.sumber.tanda_strip, k.desimal) if cell.__class__ is not float else (
                    Parsed(cell, STATUS_TETAP))
                if p.nilai is None and p.masalah and p.masalah != "sel kosong":  # never skipped: said
                    why = RecordProblem(col_letter(c), f"{k.name}{' ' + per if per else ''}: {p.masalah}; jumlah "
                                                       f"baris ini tidak dapat diperiksa")
                elif p.nilai is None or math.isclose(sum(parts), p.nilai, abs_tol=1e-6):
                    continue
                else:
                    why = RecordProblem(col_letter(c), f"{k.name}{' ' + per if per else ''} = {p.nilai:g} tidak "
                                                       f"sama dengan jumlah nilai yang dicakupnya di baris ini = "
                                                       f"{sum(parts):g}")
                for vc in covered:
                    at = first + position[vc.index] * n + j
                    out[PROBLEMS][at] = [*(out[PROBLEMS][at] or ()), why]

    def arrow(self):
        import numpy as np
        import pyarrow as pa

        ds = self.ds
        types = {"nilai": pa.float64(), "sumber_baris": pa.int64(), PROBLEMS: problems_type()}
        arrays = {}
        for c in cell_columns(ds):
            if c in self.runs:
                values = [v for v, _ in self.runs[c]]
                idx = np.repeat(np.arange(len(values), dtype=np.int32), [n for _, n in self.runs[c]])
                arrays[c] = pa.DictionaryArray.from_arrays(pa.array(idx), pa.array(values, pa.string())).cast(
                    pa.string())
            elif c == "masalah":  # the text form, made from the structured problems
                arrays[c] = pa.array([render_problems(p) if p else None for p in self.cols[PROBLEMS]], pa.string())
            else:
                arrays[c] = pa.array(self.cols[c], type=types.get(c, pa.string()))
        records = pa.table(arrays)
        if ds.sumber.agregasi:
            records = aggregate(records, ds)
        totals = pa.table({c: pa.array(v, type=types.get(c, pa.float64() if c == "nilai_total" else pa.string()))
                           for c, v in self.totals.items()})
        lain = pa.table({c: pa.array(v, type=types.get(c, pa.string())) for c, v in self.lain.items()})
        return records, totals, lain


def aggregate(records, ds: Dataset):
    """Event rows → sums per (variabel, region code, period, breakdowns), plus a count of events (in Arrow).

    Grouped by the code after mapping, never by the name as written: two spellings of one desa are one place.
    Rows with a problem stay as they are, so that validation quarantines them with their source row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ok = records.filter(pc.is_null(records["masalah"]))
    bad = records.filter(pc.is_valid(records["masalah"]))
    where = ["nama_wilayah", "sumber_file", "sumber_sheet", "sumber_kolom_wilayah"]
    keys = ["dataset", "variabel", "kode_wilayah", "periode", *ds.kolom_rincian, "satuan"]
    # Status of a sum: a flag (sementara, revisi…) on any part marks the sum; tetap/nihil parts do not.
    order = [s for s in STATUSES if s not in (STATUS_TETAP, "nihil")] + [STATUS_TETAP]
    rank = pc.fill_null(pc.index_in(ok["status"], value_set=pa.array(order)), len(order) - 1)
    # A sum with a part not given ('…', 'x', an empty cell read as not available) is not given either: never a
    # smaller number that looks complete.
    g = ok.append_column("_rank", rank).group_by(keys, use_threads=False).aggregate(
        [("nilai", "sum", pc.ScalarAggregateOptions(skip_nulls=False)), ("_rank", "min"), ("sumber_baris", "first"),
         ("sumber_kolom_nilai", "first"),
         *((c, "first") for c in where)])
    sums = {k: g[k] for k in keys} | {c: g[f"{c}_first"] for c in [*where, "sumber_kolom_nilai", "sumber_baris"]} | {
        "nilai": g["nilai_sum"], "status": pc.take(pa.array(order), g["_rank_min"]),
        "masalah": pa.nulls(g.num_rows, pa.string()), PROBLEMS: pa.nulls(g.num_rows, problems_type())}
    ev_keys = ["dataset", "kode_wilayah", "periode", *ds.kolom_rincian]
    per_row = ok.group_by([*ev_keys, "sumber_file", "sumber_sheet", "sumber_baris"], use_threads=False).aggregate(
        [(c, "first") for c in ("nama_wilayah", "sumber_kolom_wilayah")])
    events = per_row.group_by(ev_keys, use_threads=False).aggregate(
        [("sumber_baris", "count"), ("sumber_baris", "first"), ("sumber_file", "first"), ("sumber_sheet", "first"),
         ("nama_wilayah_first", "first"), ("sumber_kolom_wilayah_first", "first")])
    n = events.num_rows
    agg = ds.sumber.agregasi
    counts = {k: events[k] for k in ev_keys} | {
        "variabel": pa.array([agg.hitung] * n, pa.string()), "satuan": pa.array([agg.satuan] * n, pa.string()),
        "nilai": pc.cast(events["sumber_baris_count"], pa.float64()),
        "status": pa.array([STATUS_TETAP] * n, pa.string()), "masalah": pa.nulls(n, pa.string()),
        PROBLEMS: pa.nulls(n, problems_type()),
        "sumber_baris": events["sumber_baris_first"], "sumber_file": events["sumber_file_first"],
        "sumber_sheet": events["sumber_sheet_first"], "nama_wilayah": events["nama_wilayah_first_first"],
        "sumber_kolom_wilayah": events["sumber_kolom_wilayah_first_first"],
        "sumber_kolom_nilai": events["sumber_kolom_wilayah_first_first"]}
    cols = cell_columns(ds)
    parts = [pa.table({c: sums[c] for c in cols}).cast(records.schema),
             pa.table({c: counts[c] for c in cols}).cast(records.schema), bad]
    if not ds.nilai_kolom:  # rows counted per category: their records are the count's parts, not a variable
        parts = parts[1:]
    elif agg.hitung is None:  # sums only
        parts = [parts[0], bad]
    out = pa.concat_tables(parts)
    return out.sort_by([(k, "ascending") for k in ("variabel", "kode_wilayah", "periode", *ds.kolom_rincian)])


AKUN_CLASSES = ("rekaman", "masalah", "disisihkan", "total")  # the data rows' classes; bukan_data by reason


def empty_akuntansi() -> dict:
    return {"baris": 0, **{k: 0 for k in AKUN_CLASSES}, "bukan_data": {}}


def merge_akuntansi(into: dict, part: dict) -> dict:
    for k in ("baris", *AKUN_CLASSES):
        into[k] += part[k]
    for why, n in part["bukan_data"].items():
        into["bukan_data"][why] = into["bukan_data"].get(why, 0) + n
    return into


def akun_sum(akun: dict) -> int:
    return sum(akun[k] for k in AKUN_CLASSES) + sum(akun["bukan_data"].values())


def akun_text(akun: dict) -> str:
    """'120 baris = 95 rekaman + 3 masalah + 10 disisihkan + 2 total + 10 bukan data (judul 2, header 1, …)'."""
    from walidata.sources.table import BUKAN_DATA

    parts = [f"{akun[k]} {k}" for k in AKUN_CLASSES if akun[k]]
    nd = akun["bukan_data"]
    if nd:
        parts.append(f"{sum(nd.values())} bukan data (" + ", ".join(
            f"{BUKAN_DATA.get(k, k)} {n}" for k, n in nd.items()) + ")")
    return f"{akun['baris']} baris = " + (" + ".join(parts) or "0")


@dataclass
class Standardised:
    records: object  # pyarrow.Table: our rows (and rows with a problem), one record per value
    totals: object  # pyarrow.Table: the table's total rows, and the other regions' values they sum
    lain: object  # pyarrow.Table: rows set aside as another region's (never published), one per row
    lineage: list[dict]
    akuntansi: dict | None = None  # every non-empty source row by class (see Builder._account)

    def frame(self):
        return self.records.to_pandas(types_mapper=_string_mapper)


def _string_mapper(t):
    import pandas as pd
    import pyarrow as pa

    return pd.StringDtype() if t == pa.string() else None


def set_aside_summary(lain, limit: int = 5) -> str:
    """'Kota Bogor (32.71): 12, … ' — the regions whose rows were set aside, most rows first."""
    counts: dict[str, int] = {}
    for kode, nama in zip(lain.column("kode_wilayah").to_pylist(), lain.column("nama_wilayah").to_pylist(),
                          strict=True):
        key = f"{nama} ({kode})" if kode else f"'{nama}'"
        counts[key] = counts.get(key, 0) + 1
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    shown = ", ".join(f"{k}: {v}" for k, v in top[:limit])
    return shown + (f" dan {len(top) - limit} wilayah lain" if len(top) > limit else "")


def refuse_when_not_ours(b: Builder, ds: Dataset, wilayah: IndeksWilayah, label: str, lain_before: int) -> None:
    """A file with no row of the configured region (at the dataset's level) holds someone else's figures."""
    import pyarrow as pa

    from walidata.sources.privacy import clean_text

    label = clean_text(label)  # as read_tables reports the file
    counts = b.rows_by_file.get(label, {"milik": 0, "lain": 0, "total": 0})
    if counts["milik"]:
        return
    found = []
    if counts["lain"]:
        lain = pa.table({c: pa.array(v[lain_before:], pa.int64() if c == "sumber_baris" else pa.string())
                         for c, v in b.lain.items()})
        found.append(f"{counts['lain']} baris milik wilayah lain ({set_aside_summary(lain)})")
    if counts["total"]:
        found.append(f"{counts['total']} baris jumlah atau wilayah yang lebih luas")
    raise SourceError(label, f"tidak ada baris untuk {wilayah.kabupaten.label()} pada tingkat {ds.tingkat_wilayah}"
                             + (f": {'; '.join(found)}" if found else ": tidak ada baris data di bawah header"))


def refuse_two_versions(ds: Dataset, records) -> None:
    """Two sheets (or files) giving figures for the same variable, region, period and breakdowns are two versions of
    one table (a sheet kept after it was corrected, a file sent twice): which one holds is the OPD's to say."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if ds.sumber.agregasi or not records.num_rows:  # event logs are summed over their sheets
        return
    ok = records.filter(pc.is_null(records["masalah"]))
    where = pc.binary_join_element_wise(ok["sumber_file"], ok["sumber_sheet"], " / sheet ")
    keys = ["variabel", "kode_wilayah", "periode", *ds.kolom_rincian]
    g = ok.append_column("_asal", where).group_by(keys, use_threads=False).aggregate(
        [("_asal", "count_distinct"), ("_asal", "distinct")])
    dup = g.filter(pc.greater(g["_asal_count_distinct"], pa.scalar(1, pa.int64())))
    if dup.num_rows:
        first = dup.slice(0, 1).to_pylist()[0]
        places = " dan ".join(f"'{x}'" for x in sorted(first["_asal_distinct"])[:3])
        raise SourceError(ok["sumber_file"][0].as_py(), f"{places} memuat angka untuk {dup.num_rows} kunci yang sama "
                                                        f"(mis. {first['variabel']}, {first['kode_wilayah']}, periode "
                                                        f"{first['periode']}): dua versi satu tabel? Walidata tidak "
                                                        f"memilih; kirim satu versi saja, atau batasi sheet yang "
                                                        f"dibaca di katalog (sumber.sheet)")


def standardise_files(ds: Dataset, files: list[tuple], wilayah: IndeksWilayah,
                      tables: dict | None = None) -> Standardised:
    """Tidy records from the raw items of a source, given as (path to read, name to report[, shared]), read by the
    connector of the dataset's source kind. An item none of whose rows belong to the configured region is
    refused: its figures are someone else's. A shared item (a province-wide file read for each region in scope)
    need not hold rows of this region, but every table of it must name its rows' regions. `tables` keeps the
    items read (path → tables) for the next region's pass over the same files."""
    import pyarrow as pa

    from walidata.sources.base import connector_for
    from walidata.sources.privacy import clean_text, nik_prefixes_in

    b, connector = Builder(ds), connector_for(ds)
    prefixes = nik_prefixes_in(wilayah.g.w)
    tables = {} if tables is None else tables
    for path, label, *rest in files:
        shared = bool(rest and rest[0])
        label = clean_text(label, prefixes)  # a file name may hold a NIK too
        lain_before = len(b.lain["sumber_baris"])
        if (path, label) not in tables:
            tables[(path, label)] = connector.tables(ds, path, label, prefixes)
        for table in tables[(path, label)]:
            if shared:
                refuse_shared_without_region(ds, table)
            b.add_table(table, wilayah)
        if not shared:
            refuse_when_not_ours(b, ds, wilayah, label, lain_before)
    records, totals, lain = b.arrow()
    refuse_two_versions(ds, records)
    ids = pa.array(range(records.num_rows), pa.int64())  # the record's name in every later stage
    return Standardised(records=records.add_column(0, RECORD_ID, ids), totals=totals, lain=lain, lineage=b.lineage,
                        akuntansi=b.akuntansi)


def refuse_shared_without_region(ds: Dataset, table: Table) -> None:
    """A shared file (in the dataset folder of a deployment of several regions) whose table does not name its rows'
    regions could be anyone's: it is never taken as the province's, nor as any one kabupaten/kota's."""
    present = [k for k in ds.kolom_wilayah if k.name in table.columns]
    # A kecamatan or desa name alone may be in two kabupaten: the table must name the kabupaten/kota (or, for a
    # province-level dataset, the province).
    says = any(k.peran in ("provinsi", "kabupaten_kota") for k in present)
    if says and ds.sumber.wilayah_dari != "sheet":
        return
    why = ("wilayahnya dibaca dari nama sheet" if ds.sumber.wilayah_dari == "sheet" else
           "tabel ini tidak punya kolom wilayah" if not present else
           "tabel ini hanya menyebut " + ", ".join(k.peran for k in present) + " tanpa kolom kabupaten/kota")
    if ds.sumber.kind == "spreadsheet":
        fix = (f"Letakkan file di subfolder wilayahnya, mis. {ds.opd}/{ds.name}/62.06/ (kode Kemendagri "
               f"kabupaten/kota)")
    else:  # an API item asked once for the whole scope
        fix = ("Nyatakan sumbernya per wilayah di katalog ({wilayah} atau {wilayah_bps} di paket/url), agar setiap "
               "kabupaten/kota diambil sendiri")
    raise SourceError(table.file, f"{why}, padahal sumber ini dibaca bersama untuk beberapa wilayah: tidak jelas "
                                  f"milik kabupaten/kota mana. {fix}", sheet=table.sheet)
