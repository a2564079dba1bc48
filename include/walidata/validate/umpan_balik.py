"""Feedback to the OPD (umpan balik): an xlsx in Indonesian listing what failed, so the producer can fix and
resend. Written to `<lake>/umpan_balik/opd=<opd>/<dataset>__<run>.xlsx` (share that folder with the OPDs).

Identical problems are grouped into one line with their row ranges and a count (sheet *Masalah*); every single
problem is kept in sheet *Rincian*. The console and the task log show the grouped lines, capped.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from walidata.catalog import Dataset
from walidata.problems import LABEL, Problem
from walidata.safe_text import for_cell

DETAIL = ["No", "Tingkat", "File", "Sheet", "Baris", "Kolom", "Wilayah", "Nilai", "Pemeriksaan", "Keterangan"]
HEADERS = [*DETAIL, "Jumlah"]
MAX_DETAIL_ROWS = 1_000_000  # Excel's sheet holds 1,048,576 rows


def ribuan(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def row_ranges(rows: list[int]) -> str:
    """'2–5, 9, 12–40' for row numbers (sorted, duplicates dropped), with Indonesian thousands dots."""
    out, start, prev = [], None, None
    for r in [*sorted(set(rows)), None]:
        if r is not None and prev is not None and r == prev + 1:
            prev = r
            continue
        if start is not None:
            out.append(ribuan(start) if start == prev else f"{ribuan(start)}–{ribuan(prev)}")
        start = prev = r
    return ", ".join(out)


def _kind(p: Problem) -> tuple:
    """What makes two problems 'the same problem' in different rows."""
    return p.severity, p.file, p.sheet, p.column, p.check, p.reason


def group(problems: list[Problem], limit: int | None = None) -> list[str]:
    """Problems as lines, the same problem in many rows merged into one: 'file F, sheet S, baris 2–53.785
    (53.784 baris), column Q: why'. At most `limit` lines, then a count of the rest."""
    groups: dict[tuple, list[Problem]] = {}
    for p in problems:
        groups.setdefault(_kind(p) if p.row is not None else (id(p),), []).append(p)
    lines = []
    for members in groups.values():
        rows = sorted({m.row for m in members})
        first = members[0]
        if len(rows) <= 1:
            lines.append(first.render())
            continue
        shown = replace(first, row=None, column=None)
        where = shown.place()
        text = (f"{where + ', ' if where else ''}baris {row_ranges(rows)} ({ribuan(len(rows))} baris)"
                f"{f', kolom {first.column}' if first.column else ''}: {first.reason}")
        lines.append(f"peringatan: {text}" if first.severity == "warning" else text)
    if limit is not None and len(lines) > limit:
        return [*lines[:limit], f"… dan {ribuan(len(lines) - limit)} baris masalah lain"]
    return lines


def detail_rows(outcome) -> list[list]:
    """One line per problem and place (sheet Rincian): level, where, region, value, checks, why."""
    return [[n, LABEL.get(p.severity, p.severity), p.file, p.sheet, p.row, p.column or "", p.region, p.value,
             p.check, p.reason] for n, p in enumerate(outcome.problems, 1)]


def grouped(lines: list[list]) -> list[list]:
    """Lines of `detail_rows` with the same level, file, sheet, column, check and explanation merged: the rows as
    ranges, the regions and values shown when they are the same (or the first few), and a count."""
    groups: dict[tuple, list[list]] = {}
    for line in lines:
        _, level, file, sheet, _, col, _, _, check, why = line
        groups.setdefault((level, file, sheet, col, check, why), []).append(line)
    out = []
    for n, ((level, file, sheet, col, check, why), members) in enumerate(groups.items(), 1):
        rows = [m[4] for m in members if m[4] is not None]
        baris = rows[0] if len(set(rows)) == 1 else (row_ranges(rows) if rows else None)
        out.append([n, level, file, sheet, baris, col, _few(m[6] for m in members), _few(m[7] for m in members),
                    check, why, len(members)])
    return out


def _few(values, limit: int = 3):
    distinct = [v for v in dict.fromkeys(values) if v not in ("", None)]
    if len(distinct) <= 1:
        return distinct[0] if distinct else None
    return ", ".join(str(v) for v in distinct[:limit]) + (" …" if len(distinct) > limit else "")


AKUN_LABELS = {"rekaman": "angka terbaca (rekaman)", "masalah": "baris bermasalah", "disisihkan":
               "milik wilayah lain (disisihkan)", "total": "baris jumlah/total (untuk pemeriksaan)"}


def akuntansi_rows(akun: dict | None) -> list[tuple[str, object]]:
    """The row accounting as (label, count) lines for the summary sheet: every filled row of the file in one
    class, so the officer sees that nothing was dropped."""
    from walidata.sources.table import BUKAN_DATA

    if not akun:
        return []
    out = [("Baris terisi di file", akun["baris"])]
    out += [(f"  {label}", akun[k]) for k, label in AKUN_LABELS.items() if akun.get(k)]
    out += [(f"  bukan data: {BUKAN_DATA.get(k, k)}", n) for k, n in akun.get("bukan_data", {}).items()]
    return out


def write_workbook(path: Path, ds: Dataset, outcome, run_id: str, akuntansi: dict | None = None) -> Path | None:
    """The OPD's feedback workbook at `path`, or None when there is nothing to report."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    lines = detail_rows(outcome)
    if not lines:
        return None
    groups = grouped(lines)
    wb = Workbook()
    ws = wb.active
    ws.title = "Ringkasan"
    verdict = {"lulus": "Diterima", "lulus dengan peringatan": "Diterima dengan catatan",
               "gagal": "Ditolak: perbaiki lalu kirim ulang"}[outcome.label]
    for k, v in [("Dataset", f"{ds.judul} ({ds.id})"), ("Produsen data", ds.metadata.produsen_data),
                 ("Run", run_id), ("Hasil", verdict), ("Baris dibaca", outcome.rows_in),
                 ("Baris ditolak", outcome.rows_rejected), ("Jumlah masalah", len(lines)),
                 ("Jenis masalah (sheet Masalah)", len(groups)), *akuntansi_rows(akuntansi),
                 ("Cara memeriksa sebelum mengirim", f"walidata check FILE --dataset {ds.id}")]:
        ws.append([k, for_cell(v)])
    ws["A1"].font = Font(bold=True)
    ws.column_dimensions["A"].width = 32
    ws.column_dimensions["B"].width = 70
    _sheet(wb, "Masalah", HEADERS, groups, (5, 11, 30, 10, 16, 7, 24, 12, 42, 90, 8))
    _sheet(wb, "Rincian", DETAIL, lines[:MAX_DETAIL_ROWS], (7, 11, 30, 10, 7, 7, 24, 12, 42, 90))
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _sheet(wb, title: str, headers: list[str], lines: list[list], widths: tuple[int, ...]) -> None:
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    sheet = wb.create_sheet(title)
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for line in lines:
        sheet.append([for_cell(v) for v in line])
    for i, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A2"


def write_report(ds: Dataset, outcome, lake_root: Path, run_id: str, akuntansi: dict | None = None) -> Path | None:
    """The feedback workbook in the lake's umpan_balik zone, or None when there is nothing to report."""
    from walidata.publish.lake import safe

    path = Path(lake_root) / "umpan_balik" / f"opd={ds.opd}" / f"{ds.name}__{safe(run_id)}.xlsx"
    return write_workbook(path, ds, outcome, run_id, akuntansi)
