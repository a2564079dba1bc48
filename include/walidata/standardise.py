"""Standardise: located spreadsheet tables → tidy records with official region codes.

Nothing is dropped here. A value or name that cannot be read keeps its row, with the problem written in
`masalah` (naming the column); validation then quarantines it, naming file, sheet, row and column.
Built column by column (lists, then Arrow): this is the hot path of every nightly run.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from walidata.catalog import Dataset
from walidata.periode import FLAGS, find_year, parse_periode, parse_tanggal, periode_of_date
from walidata.reference import RegionIndex
from walidata.spreadsheet import SourceError, Table, col_letter, formula_errors, norm, read_tables

STATUS_TETAP = "tetap"
NOT_AVAILABLE = {"...", "…", "..", "n.a", "na", "n/a"}
STATUSES = [STATUS_TETAP, "nihil", "tidak_tersedia", "rahasia", *FLAGS.values()]
_FLAG_RE = re.compile(r"^(.*?)\s*(\*\*|\*|r|e)$")
_INT_RE = re.compile(r"^-?\d{1,3}(\.\d{3})+$|^-?\d+$")
_DEC_RE = re.compile(r"^-?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")
_CURRENCY = re.compile(r"^rp\.?\s*|\s*%$", re.I)


@dataclass(frozen=True)
class Parsed:
    nilai: float | None
    status: str
    masalah: str | None = None


def parse_number(raw, tipe: str, tanda_strip: str = "nihil") -> Parsed:
    """One cell → value and status flag. Indonesian format; '1.234' is read from the declared type."""
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
    s = raw.replace("\xa0", " ").strip()
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
    if tipe == "integer":
        if not _INT_RE.match(s):
            return Parsed(None, status, f"nilai {raw!r} bukan bilangan bulat")
        return Parsed(float(s.replace(".", "")), status)
    if not _DEC_RE.match(s):
        return Parsed(None, status, f"nilai {raw!r} bukan angka")
    return Parsed(float(s.replace(".", "").replace(",", ".")), status)


def record_columns(ds: Dataset) -> list[str]:
    """The tidy record layout every later stage relies on."""
    return ["dataset", "variabel", "kode_wilayah", "nama_wilayah", "periode", *ds.breakdowns, "nilai", "satuan",
            "status", "masalah", "sumber_file", "sumber_sheet", "sumber_baris", "sumber_kolom_wilayah",
            "sumber_kolom_nilai"]


TOTAL_COLUMNS = ["nilai_total", "sumber_file", "sumber_sheet", "sumber_baris", "sumber_kolom"]


def _cell(row: list, c: int):
    return row[c] if c < len(row) else ""


def _text(v) -> str:
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return re.sub(r"\s+", " ", str(v).replace("\xa0", " ")).strip()


_TOTAL_CACHE: dict = {}
_TEXT_CACHE: dict = {}
_PERIODE_CACHE: dict = {}


class _Rows:
    """Per data row: region, period, breakdowns and problems, and whether it is a total row."""

    def __init__(self, ds: Dataset, table: Table, region: RegionIndex, tahun: str | None):
        src = ds.sumber
        cols = table.columns
        n = len(table.rows)
        self.kode: list[str | None] = [None] * n
        self.nama: list[str] = [""] * n
        self.periode: list[tuple[str, str] | None] = [None] * n
        self.rincian: dict[str, list[str | None]] = {k.dimensi: [None] * n for k in ds.kolom_peran("rincian")}
        self.problems: list[list[str]] = [[] for _ in range(n)]
        self.is_total = [False] * n
        wil_col = cols.get(ds.wilayah_kolom.name) if ds.wilayah_kolom else None
        desa_k = next(iter(ds.kolom_peran("desa")), None)
        desa_col = cols.get(desa_k.name) if desa_k else None
        self.wil_letter = col_letter(desa_col if desa_col is not None else wil_col) if (
            desa_col is not None or wil_col is not None) else ""
        label_col = next((cols[k.name] for k in ds.kolom if k.peran in ("wilayah", "desa", "rincian", "periode")
                          and k.name in cols), None)
        totals = {norm(t) for t in src.label_total}
        sheet_kec = region.resolve_kecamatan(table.sheet) if src.wilayah_dari == "sheet" else None
        per_col = next((cols[k.name] for k in ds.kolom_peran("periode") if k.name in cols), None)
        tgl_col = next((cols[k.name] for k in ds.kolom_peran("tanggal") if k.name in cols), None)
        rin = [(k, cols[k.name]) for k in ds.kolom_peran("rincian") if k.name in cols]
        allowed = {k.dimensi: {norm(a): a for a in ds.rincian[k.dimensi]} | {norm(s): v for s, v in k.sinonim.items()}
                   for k, _ in rin}
        if len(_TEXT_CACHE) > 200_000:  # bounded: a long-lived worker reads many files
            _TEXT_CACHE.clear(), _TOTAL_CACHE.clear(), _PERIODE_CACHE.clear()
        # Labels repeat (kecamatan names, periods, categories): decide each distinct one once per run.
        total_cache = _TOTAL_CACHE.setdefault((region.region, frozenset(totals), label_col in (wil_col, desa_col)), {})
        text_cache = _TEXT_CACHE
        periode_cache = _PERIODE_CACHE.setdefault(tahun, {})

        def text_of(v) -> str:
            t = text_cache.get(v)
            if t is None:
                t = text_cache[v] = _text(v)
            return t

        def is_total(v) -> bool:
            hit = total_cache.get(v)
            if hit is None:
                label = text_of(v)
                parts = {norm(label), *(norm(p) for p in label.split("/"))}
                first_word = norm(label).split(" ", 1)[0] if label else ""
                # 'Jumlah', 'Jumlah/Total', 'Jumlah 2024', 'Kabupaten Katingan' mark total rows.
                hit = total_cache[v] = bool(parts & totals or first_word in totals or (
                    label_col in (wil_col, desa_col) and label and region.is_kabupaten_total(label)))
            return hit

        _text_local = text_of
        for i, (_, row) in enumerate(table.rows):
            probs = self.problems[i]
            if label_col is not None and is_total(row[label_col] if label_col < len(row) else ""):
                self.is_total[i] = True
                continue
            # Region
            if ds.tingkat_wilayah == "kabupaten":
                self.kode[i], self.nama[i] = region.region, region.kabupaten.nama
            elif sheet_kec is not None:
                self.kode[i], self.nama[i] = sheet_kec[0], table.sheet
                if sheet_kec[1]:
                    probs.append(f"sheet: {sheet_kec[1]}")
            else:
                name = _text_local(_cell(row, wil_col))
                self.nama[i] = name
                if not name:
                    probs.append(f"column {col_letter(wil_col)}: nama kecamatan kosong")
                else:
                    code, why = region.resolve_kecamatan(name)
                    self.kode[i] = code
                    if why:
                        probs.append(f"column {col_letter(wil_col)}: {why}")
                if desa_col is not None:
                    desa = _text_local(_cell(row, desa_col))
                    self.nama[i] = desa
                    if self.kode[i] is not None:
                        if not desa:
                            self.kode[i] = None
                            probs.append(f"column {col_letter(desa_col)}: nama desa kosong")
                        else:
                            self.kode[i], why = region.resolve_desa(self.kode[i], desa)
                            if why:
                                probs.append(f"column {col_letter(desa_col)}: {why}")
            # Period from a column or a date
            if per_col is not None:
                raw = _cell(row, per_col)
                p = periode_cache.get(raw, False)
                if p is False:
                    p = periode_cache[raw] = parse_periode(raw, tahun)
                self.periode[i] = p
                if p is None:
                    probs.append(f"column {col_letter(per_col)}: periode '{_text(raw)}' tidak terbaca")
            elif tgl_col is not None:
                raw = _cell(row, tgl_col)
                d = parse_tanggal(raw)
                if d is None:
                    probs.append(f"column {col_letter(tgl_col)}: tanggal '{_text(raw)}' tidak terbaca")
                else:
                    self.periode[i] = (periode_of_date(d, src.periode.granularitas), STATUS_TETAP)
            # Breakdowns from columns
            for k, c in rin:
                text = _text_local(_cell(row, c))
                v = allowed[k.dimensi].get(norm(text))
                self.rincian[k.dimensi][i] = v
                if v is None:
                    probs.append(f"column {col_letter(c)}: {k.dimensi} '{text}' tidak dikenal "
                                 f"(yang diakui: {', '.join(ds.rincian[k.dimensi])})")


def _table_periode(ds: Dataset, table: Table) -> tuple[str, str] | None:
    p = ds.sumber.periode
    if p.dari == "tetap":
        return str(p.nilai), STATUS_TETAP
    if p.dari in ("sheet", "judul"):
        texts = [table.sheet] if p.dari == "sheet" else table.titles
        for t in texts:
            m = re.search(p.pola, t)
            if m:
                parsed = parse_periode(m.group(1))
                return parsed or (m.group(1), STATUS_TETAP)
        where = "sheet name" if p.dari == "sheet" else "title rows"
        raise SourceError(table.file, f"the {where} give no period (pattern {p.pola!r})", sheet=table.sheet)
    return None


def _tahun(ds: Dataset, table: Table) -> str | None:
    src = ds.sumber.periode
    if src.tahun_dari == "sheet":
        return find_year(table.sheet)
    if src.tahun_dari == "judul":
        return next((y for t in table.titles if (y := find_year(t))), None)
    return None


class Builder:
    """Column lists of tidy records, turned into one Arrow table at the end."""

    # Columns that stay the same over a whole value column of a table: kept as runs (value, count), built
    # as dictionary arrays, not as one Python string per record.
    RUNS = ("dataset", "variabel", "satuan", "sumber_file", "sumber_sheet", "sumber_kolom_wilayah",
            "sumber_kolom_nilai")

    def __init__(self, ds: Dataset):
        self.ds = ds
        self.cols: dict[str, list] = {c: [] for c in record_columns(ds) if c not in self.RUNS}
        self.runs: dict[str, list[tuple[str, int]]] = {c: [] for c in self.RUNS}
        self.totals: dict[str, list] = {c: [] for c in TOTAL_COLUMNS}
        self.lineage: list[dict] = []

    def add_table(self, table: Table, region: RegionIndex) -> None:
        ds, out = self.ds, self.cols
        tahun = _tahun(ds, table)
        rows = _Rows(ds, table, region, tahun)
        t_periode = _table_periode(ds, table)
        data_idx = [i for i, t in enumerate(rows.is_total) if not t]
        total_idx = [i for i, t in enumerate(rows.is_total) if t]
        rownums = [table.rows[i][0] for i in data_idx]
        raw_rows = [table.rows[i][1] for i in data_idx]
        n = len(data_idx)
        errors = None
        tanda = ds.sumber.tanda_strip
        row_sums = [0.0] * n
        row_has_none = [False] * n
        row_problem = [bool(rows.problems[i]) for i in data_idx]
        row_kode = [rows.kode[i] for i in data_idx]
        row_nama = [rows.nama[i] for i in data_idx]
        row_rincian = {dim: [vals[i] for i in data_idx] for dim, vals in rows.rincian.items()}
        runs = self.runs
        for vc in table.values:
            k, c = vc.kolom, vc.index
            letter = col_letter(c)
            cells = [row[c] if c < len(row) else "" for row in raw_rows]
            nilai = [v if v.__class__ is float else None for v in cells]
            status = [STATUS_TETAP] * n
            masalah = [None] * n
            integer = k.tipe == "integer"
            for j, v in enumerate(cells):
                if v.__class__ is float and not (integer and not v.is_integer()):
                    continue
                if v == "" and errors is None and table.path is not None:
                    errors = formula_errors(table.path, table.sheet)
                p = parse_number(v, k.tipe, tanda)
                if v == "" and errors and (rownums[j], c) in errors:
                    p = Parsed(None, STATUS_TETAP, f"sel berisi galat rumus {errors[(rownums[j], c)]}")
                nilai[j], status[j], masalah[j] = p.nilai, p.status, p.masalah
            for j in range(n if k.aditif else 0):
                if nilai[j] is None:
                    row_has_none[j] = True
                else:
                    row_sums[j] += nilai[j]
            if vc.periode is not None:
                periode = [vc.periode[0]] * n
                flag = vc.periode[1]
            elif t_periode is not None:
                periode = [t_periode[0]] * n
                flag = t_periode[1]
            else:
                periode = [rows.periode[i][0] if rows.periode[i] else None for i in data_idx]
                flag = None
            # '2025*' in the header (or the period cell) marks every value of that period.
            if flag is None:
                for j, i in enumerate(data_idx):
                    p = rows.periode[i]
                    if p and p[1] != STATUS_TETAP and status[j] == STATUS_TETAP:
                        status[j] = p[1]
            elif flag != STATUS_TETAP:
                status = [flag if s == STATUS_TETAP else s for s in status]
            cell_problems = {r: why for (r, cc), why in table.cell_problems.items() if cc == c}
            for j in [j for j in range(n) if masalah[j] or row_problem[j] or rownums[j] in cell_problems]:
                i = data_idx[j]
                probs = rows.problems[i]
                cellp = cell_problems.get(rownums[j])
                if probs or masalah[j] or cellp:
                    parts = list(probs)
                    if cellp:
                        parts.append(f"column {letter}: {cellp}")
                    if masalah[j]:
                        parts.append(f"column {letter}: {masalah[j]}")
                    masalah[j] = "; ".join(parts)
            for col, value in (("dataset", ds.id), ("variabel", k.variabel or ds.variabel),
                               ("satuan", k.satuan or ds.metadata.satuan), ("sumber_file", table.file),
                               ("sumber_sheet", table.sheet), ("sumber_kolom_wilayah", rows.wil_letter),
                               ("sumber_kolom_nilai", letter)):
                runs[col].append((value, n))
            out["kode_wilayah"] += row_kode
            out["nama_wilayah"] += row_nama
            out["periode"] += periode
            for dim in ds.breakdowns:
                out[dim] += [vc.rincian[dim]] * n if dim in vc.rincian else row_rincian[dim]
            out["nilai"] += nilai
            out["status"] += status
            out["masalah"] += masalah
            out["sumber_baris"] += rownums
            # The table's own total rows ("Jumlah"), checked later against this column's sum.
            for i in total_idx if k.aditif else ():
                rownum, row = table.rows[i]
                p = parse_number(_cell(row, c), k.tipe, tanda)
                tot = self.totals
                tot["nilai_total"].append(p.nilai)
                tot["sumber_file"].append(table.file)
                tot["sumber_sheet"].append(table.sheet)
                tot["sumber_baris"].append(rownum)
                tot["sumber_kolom"].append(letter)
        self._row_totals(table, raw_rows, rownums, row_sums, row_has_none)
        self.lineage.append({"sumber_file": table.file, "sumber_sheet": table.sheet, "baris_header": table.header_row,
                             "judul": table.titles, "catatan": table.footer, "kolom_lain": table.extra_columns})

    def _row_totals(self, table, raw_rows, rownums, row_sums, row_has_none) -> None:
        """A row total column (e.g. Jumlah = L + P) must equal the sum of the row's values."""
        ds = self.ds
        for k in ds.total_kolom:
            c = table.columns.get(k.name)
            if c is None:
                continue
            bad_rows = {}
            for j, row in enumerate(raw_rows):
                p = parse_number(_cell(row, c), k.tipe, ds.sumber.tanda_strip)
                if p.nilai is not None and not row_has_none[j] and not math.isclose(row_sums[j], p.nilai, abs_tol=1e-6):
                    bad_rows[rownums[j]] = (f"column {col_letter(c)}: {k.name} = {p.nilai:g} tidak sama dengan "
                                            f"jumlah nilai di baris ini = {row_sums[j]:g}")
            if not bad_rows:
                continue
            out = self.cols
            start = len(out["masalah"]) - len(table.values) * len(raw_rows)
            for idx in range(start, len(out["masalah"])):
                why = bad_rows.get(out["sumber_baris"][idx])  # same rows, value column after value column
                if why:
                    out["masalah"][idx] = f"{out['masalah'][idx]}; {why}" if out["masalah"][idx] else why

    def arrow(self):
        import numpy as np
        import pyarrow as pa

        ds = self.ds
        types = {"nilai": pa.float64(), "sumber_baris": pa.int64()}
        arrays = {}
        for c in record_columns(ds):
            if c in self.runs:
                values = [v for v, _ in self.runs[c]]
                idx = np.repeat(np.arange(len(values), dtype=np.int32), [n for _, n in self.runs[c]])
                arrays[c] = pa.DictionaryArray.from_arrays(pa.array(idx), pa.array(values, pa.string())).cast(
                    pa.string())
            else:
                arrays[c] = pa.array(self.cols[c], type=types.get(c, pa.string()))
        records = pa.table(arrays)
        if ds.sumber.agregasi:
            records = aggregate(records, ds)
        totals = pa.table({c: pa.array(v, type=types.get(c, pa.float64() if c == "nilai_total" else pa.string()))
                           for c, v in self.totals.items()})
        return records, totals


def aggregate(records, ds: Dataset):
    """Event rows → sums per (variabel, region, period, breakdowns), plus a count of events (in Arrow).

    Rows with a problem stay as they are, so that validation quarantines them with their source row."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ok = records.filter(pc.is_null(records["masalah"]))
    bad = records.filter(pc.is_valid(records["masalah"]))
    keys = ["dataset", "variabel", "kode_wilayah", "nama_wilayah", "periode", *ds.breakdowns, "satuan",
            "sumber_file", "sumber_sheet", "sumber_kolom_wilayah", "sumber_kolom_nilai"]
    # Status of a sum: a flag (sementara, revisi…) on any part marks the sum; tetap/nihil parts do not.
    order = [s for s in STATUSES if s not in (STATUS_TETAP, "nihil")] + [STATUS_TETAP]
    rank = pc.fill_null(pc.index_in(ok["status"], value_set=pa.array(order)), len(order) - 1)
    g = ok.append_column("_rank", rank).group_by(keys, use_threads=False).aggregate(
        [("nilai", "sum"), ("_rank", "min"), ("sumber_baris", "min")])
    sums = {k: g[k] for k in keys} | {
        "nilai": g["nilai_sum"], "status": pc.take(pa.array(order), g["_rank_min"]),
        "sumber_baris": g["sumber_baris_min"], "masalah": pa.nulls(g.num_rows, pa.string())}
    ev_keys = ["dataset", "kode_wilayah", "nama_wilayah", "periode", *ds.breakdowns, "sumber_file", "sumber_sheet",
               "sumber_kolom_wilayah"]
    events = ok.group_by([*ev_keys, "sumber_baris"], use_threads=False).aggregate([]).group_by(
        ev_keys, use_threads=False).aggregate([("sumber_baris", "count"), ("sumber_baris", "min")])
    n = events.num_rows
    counts = {k: events[k] for k in ev_keys} | {
        "variabel": pa.array([ds.sumber.agregasi.hitung] * n, pa.string()),
        "satuan": pa.array(["kejadian"] * n, pa.string()),
        "nilai": pc.cast(events["sumber_baris_count"], pa.float64()),
        "status": pa.array([STATUS_TETAP] * n, pa.string()), "masalah": pa.nulls(n, pa.string()),
        "sumber_baris": events["sumber_baris_min"], "sumber_kolom_nilai": events["sumber_kolom_wilayah"]}
    cols = record_columns(ds)
    parts = [pa.table({c: sums[c] for c in cols}).cast(records.schema),
             pa.table({c: counts[c] for c in cols}).cast(records.schema), bad]
    out = pa.concat_tables(parts)
    return out.sort_by([(k, "ascending") for k in ("variabel", "kode_wilayah", "periode", *ds.breakdowns)])


@dataclass
class Standardised:
    records: object  # pyarrow.Table
    totals: object  # pyarrow.Table
    lineage: list[dict]

    def frame(self):
        return self.records.to_pandas(types_mapper=_string_mapper)


def _string_mapper(t):
    import pandas as pd
    import pyarrow as pa

    return pd.StringDtype() if t == pa.string() else None


def standardise_files(ds: Dataset, files: list[tuple[Path, str]], region: RegionIndex) -> Standardised:
    """Tidy records from source files, given as (path to read, name to report)."""
    b = Builder(ds)
    for path, label in files:
        for table in read_tables(path, ds, label):
            b.add_table(table, region)
    records, totals = b.arrow()
    return Standardised(records=records, totals=totals, lineage=b.lineage)
