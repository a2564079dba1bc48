"""Feedback to the OPD (umpan balik): an xlsx in Indonesian listing what failed, so the producer can fix and
resend. Written to `<lake>/umpan_balik/opd=<opd>/<dataset>__<run>.xlsx` (share that folder with the OPDs)."""

from __future__ import annotations

import re
from pathlib import Path

from walidata.catalog import Dataset

_WHERE = re.compile(r"^(?:peringatan: )?file (?P<file>.+?), sheet '(?P<sheet>.*?)'(?:, row (?P<row>\d+))?"
                    r"(?:, column (?P<col>[A-Z]+))?: (?P<why>.*)$", re.S)
HEADERS = ["No", "Tingkat", "File", "Sheet", "Baris", "Kolom", "Wilayah", "Nilai", "Pemeriksaan", "Keterangan"]


def rows_of(outcome, records) -> list[list]:
    """One line per problem: where, what was found, which check, why."""
    out = []
    by_id = records.reset_index(drop=True)
    for i, reasons in sorted((int(k), v) for k, v in outcome.rejected.items()):
        rec = by_id.iloc[i]
        for exp, text in dict.fromkeys((e, t) for e, t in reasons):
            m = _WHERE.match(text)
            out.append(["error", *(_parts(m) if m else ["", "", "", ""]), rec["nama_wilayah"],
                        None if rec["nilai"] != rec["nilai"] else rec["nilai"], exp, m["why"] if m else text])
    rejected_texts = {t for v in outcome.rejected.values() for _, t in v}
    for text in outcome.problems:
        if text in rejected_texts:
            continue
        level = "peringatan" if text.startswith("peringatan: ") else "error"
        m = _WHERE.match(text)
        out.append([level, *(_parts(m) if m else ["", "", "", ""]), "", None, "",
                    m["why"] if m else text.removeprefix("peringatan: ")])
    # One line per place and reason; the checks that saw it are listed together.
    merged: dict[tuple, list] = {}
    for r in out:
        key = (r[0], r[1], r[2], r[3], r[4], r[8])
        if key in merged:
            checks = merged[key][7].split(", ")
            if r[7] and r[7] not in checks:
                merged[key][7] = ", ".join([c for c in checks if c] + [r[7]])
        else:
            merged[key] = r
    return [[n, *r] for n, r in enumerate(merged.values(), 1)]


def _parts(m) -> list:
    return [m["file"], m["sheet"], int(m["row"]) if m["row"] else None, m["col"] or ""]


def write_report(ds: Dataset, outcome, records, lake_root: Path, run_id: str) -> Path | None:
    """The OPD's feedback workbook, or None when there is nothing to report."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from walidata.lake import safe

    lines = rows_of(outcome, records)
    if not lines:
        return None
    wb = Workbook()
    ws = wb.active
    ws.title = "Ringkasan"
    verdict = {"lulus": "Diterima", "lulus dengan peringatan": "Diterima dengan catatan",
               "gagal": "Ditolak: perbaiki lalu kirim ulang"}[outcome.label]
    for k, v in [("Dataset", f"{ds.judul} ({ds.id})"), ("Produsen data", ds.metadata.produsen_data),
                 ("Run", run_id), ("Hasil", verdict), ("Baris dibaca", outcome.rows_in),
                 ("Baris ditolak", outcome.rows_rejected), ("Jumlah masalah", len(lines)),
                 ("Cara memeriksa sebelum mengirim", f"walidata check FILE --dataset {ds.id}")]:
        ws.append([k, v])
    ws["A1"].font = Font(bold=True)
    ws.column_dimensions["A"].width = 32
    ws.column_dimensions["B"].width = 70
    sheet = wb.create_sheet("Masalah")
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for line in lines:
        sheet.append(line)
    for col, width in zip("ABCDEFGHIJ", (5, 11, 30, 10, 7, 7, 24, 12, 42, 90), strict=True):
        sheet.column_dimensions[col].width = width
    sheet.freeze_panes = "A2"
    path = Path(lake_root) / "umpan_balik" / f"opd={ds.opd}" / f"{ds.name}__{safe(run_id)}.xlsx"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path
