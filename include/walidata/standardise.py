"""Standardise: located spreadsheet cells → tidy records with official region codes.

Nothing is dropped here. A value or name that cannot be read keeps its row, with the problem written
in `masalah`; validation then quarantines it, naming file, sheet, row and column.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from walidata.catalog import Dataset
from walidata.reference import RegionIndex
from walidata.spreadsheet import Table, col_letter, read_tables

# BPS symbols and flags (DOMAIN: '-' nihil, '…' not available, 'x' confidential, '*' preliminary…)
STATUS_TETAP = "tetap"
FLAGS = {"**": "sangat_sementara", "*": "sementara", "r": "revisi", "e": "estimasi"}
NOT_AVAILABLE = {"...", "…", "..", "n.a", "na"}
STATUSES = [STATUS_TETAP, "nihil", "tidak_tersedia", "rahasia", *FLAGS.values()]
_FLAG_RE = re.compile(r"^(.*?)\s*(\*\*|\*|r|e)$")
_INT_RE = re.compile(r"^-?\d{1,3}(\.\d{3})+$|^-?\d+$")
_DEC_RE = re.compile(r"^-?(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$")


@dataclass(frozen=True)
class Parsed:
    nilai: float | None
    status: str
    masalah: str | None = None


def parse_number(raw, tipe: str, tanda_strip: str = "nihil") -> Parsed:
    """One cell → value and status flag. Indonesian format; '1.234' is read from the declared type."""
    if raw is None or (isinstance(raw, float) and math.isnan(raw)):
        return Parsed(None, "tidak_tersedia", "sel kosong")
    if isinstance(raw, bool):
        return Parsed(None, STATUS_TETAP, f"nilai {raw!r} bukan angka")
    if isinstance(raw, int | float):
        v = float(raw)
        if tipe == "integer" and not v.is_integer():
            return Parsed(None, STATUS_TETAP, f"nilai {raw!r} bukan bilangan bulat")
        return Parsed(v, STATUS_TETAP)
    s = str(raw).replace("\xa0", " ").strip()
    if not s:
        return Parsed(None, "tidak_tersedia", "sel kosong")
    if s in ("-", "–", "—"):
        return Parsed(0.0, "nihil") if tanda_strip == "nihil" else Parsed(None, "tidak_tersedia")
    if s.lower() in NOT_AVAILABLE:
        return Parsed(None, "tidak_tersedia")
    if s.lower() == "x":
        return Parsed(None, "rahasia")
    status = STATUS_TETAP
    m = _FLAG_RE.match(s)
    if m and m.group(1):
        s, status = m.group(1).strip(), FLAGS[m.group(2)]
    s = re.sub(r"^rp\.?\s*|\s*%$", "", s, flags=re.I).replace(" ", "")
    if tipe == "integer":
        if not _INT_RE.match(s):
            return Parsed(None, status, f"nilai {raw!r} bukan bilangan bulat")
        return Parsed(float(s.replace(".", "")), status)
    if not _DEC_RE.match(s):
        return Parsed(None, status, f"nilai {raw!r} bukan angka")
    return Parsed(float(s.replace(".", "").replace(",", ".")), status)


def periode_of(ds: Dataset, table: Table) -> str:
    p = ds.sumber.periode
    if p.dari == "tetap":
        return str(p.nilai)
    m = re.search(p.pola, table.sheet)
    if not m:
        from walidata.spreadsheet import SourceError

        raise SourceError(table.file, f"sheet name does not give a period (pattern {p.pola!r})", sheet=table.sheet)
    return m.group(1)


def record_columns(ds: Dataset) -> list[str]:
    """The tidy record layout every later stage relies on."""
    return ["dataset", "variabel", "kode_wilayah", "nama_wilayah", "periode", *ds.breakdowns, "nilai", "satuan",
            "status", "masalah", "sumber_file", "sumber_sheet", "sumber_baris", "sumber_kolom_wilayah",
            "sumber_kolom_nilai"]


def total_columns(ds: Dataset) -> list[str]:
    return ["periode", *ds.breakdowns, "nilai_total", "sumber_file", "sumber_sheet", "sumber_baris", "sumber_kolom"]


def table_records(ds: Dataset, table: Table, region: RegionIndex, file_label: str) -> tuple[list[dict], list[dict]]:
    """Facts and file totals from one located table."""
    src = ds.sumber
    periode = periode_of(ds, table)
    wil_idx = table.columns[ds.wilayah_kolom.name]
    total_labels = {re.sub(r"\s+", " ", t.lower()) for t in src.label_total}
    facts, totals = [], []
    for rownum, row in table.rows:
        cell = row[wil_idx] if wil_idx < len(row) else ""
        name = re.sub(r"\s+", " ", str(cell).replace("\xa0", " ")).strip()
        labels = {name.lower(), *(p.strip() for p in name.lower().split("/"))}
        is_total = bool(labels & total_labels) or (bool(name) and region.is_kabupaten_total(name))
        wil_letter = col_letter(wil_idx)
        name_problem = None
        if not name:
            # A data row without a region name (e.g. a merged cell spilling over data rows).
            name_problem = f"column {wil_letter}: nama wilayah kosong"
        kode = None if is_total or not name else region.kecamatan_code(name)
        if name and not is_total and kode is None:
            name_problem = (f"column {wil_letter}: kecamatan '{name}' tidak dikenal di {region.kabupaten.nama} "
                            f"({region.region})")
        parsed_row = {}
        for k in ds.nilai_kolom + ds.total_kolom:
            c = table.columns[k.name]
            parsed_row[k.name] = (c, parse_number(row[c] if c < len(row) else None, k.tipe, src.tanda_strip))
        if is_total:
            for k in ds.nilai_kolom:
                c, p = parsed_row[k.name]
                totals.append({"periode": periode, **k.rincian, "nilai_total": p.nilai, "sumber_file": file_label,
                               "sumber_sheet": table.sheet, "sumber_baris": rownum, "sumber_kolom": col_letter(c)})
            continue
        # A row total column must equal the sum of the row's values (e.g. Jumlah = L + P).
        row_problem = None
        for k in ds.total_kolom:
            c, p = parsed_row[k.name]
            parts = [parsed_row[n.name][1].nilai for n in ds.nilai_kolom]
            if p.nilai is not None and None not in parts and not math.isclose(sum(parts), p.nilai, abs_tol=1e-6):
                row_problem = (f"column {col_letter(c)}: {k.name} = {p.nilai:g} tidak sama dengan jumlah "
                               f"{' + '.join(n.name for n in ds.nilai_kolom)} = {sum(parts):g}")
        for k in ds.nilai_kolom:
            c, p = parsed_row[k.name]
            value_problem = f"column {col_letter(c)}: {p.masalah}" if p.masalah else None
            problems = [x for x in (name_problem, value_problem, row_problem) if x]
            facts.append({
                "dataset": ds.id, "variabel": ds.variabel, "kode_wilayah": kode, "nama_wilayah": name,
                "periode": periode, **k.rincian, "nilai": p.nilai, "satuan": ds.metadata.satuan,
                "status": p.status, "masalah": "; ".join(problems) or None, "sumber_file": file_label,
                "sumber_sheet": table.sheet, "sumber_baris": rownum, "sumber_kolom_wilayah": col_letter(wil_idx),
                "sumber_kolom_nilai": col_letter(c),
            })
    return facts, totals


@dataclass
class Standardised:
    records: object  # pandas.DataFrame
    totals: object  # pandas.DataFrame
    lineage: list[dict]


def standardise_files(ds: Dataset, files: list[tuple[Path, str]], region: RegionIndex) -> Standardised:
    """Tidy records from workbook files, given as (path to read, name to report)."""
    import pandas as pd

    facts, totals, lineage = [], [], []
    for path, label in files:
        for table in read_tables(path, ds):
            f, t = table_records(ds, table, region, label)
            facts += f
            totals += t
            lineage.append({"sumber_file": label, "sumber_sheet": table.sheet, "baris_header": table.header_row,
                            "catatan": table.footer})
    records = pd.DataFrame(facts, columns=record_columns(ds))
    records["nilai"] = records["nilai"].astype("float64")
    records["sumber_baris"] = records["sumber_baris"].astype("int64")
    for c in records.columns:
        if c not in ("nilai", "sumber_baris"):
            records[c] = records[c].astype("string")
    tot = pd.DataFrame(totals, columns=total_columns(ds))
    tot["nilai_total"] = tot["nilai_total"].astype("float64")
    return Standardised(records=records, totals=tot, lineage=lineage)
