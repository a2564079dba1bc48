"""Deterministic sample OPD workbooks (seeded), written the way OPDs really send them.

`python -m walidata.sample` rewrites the bundled sample inbox. Figures are scaled to the reference
population of the region, so they are plausible for any kabupaten/kota with kecamatan reference data.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
from pathlib import Path

from walidata.settings import PROJECT_ROOT
from walidata.standardise.reference import IndeksWilayah, kabkota

# Rough shares of the population by kecamatan for Katingan (capital Kasongan in Katingan Hilir);
# other regions get seeded shares.
KATINGAN_SHARES = {
    "62.06.01": 5.2, "62.06.02": 24.5, "62.06.03": 7.1, "62.06.04": 5.0, "62.06.05": 11.8,
    "62.06.06": 6.3, "62.06.07": 4.6, "62.06.08": 5.9, "62.06.09": 5.1, "62.06.10": 11.6,
    "62.06.11": 4.3, "62.06.12": 3.2, "62.06.13": 5.4,
}
# Spellings OPDs actually use; the reader must map them through the synonym list.
VARIANTS = {"62.06.02": "Kec. Katingan Hilir", "62.06.06": "SENAMAN MANTEKEI", "62.06.12": "Petak Malay"}
GROWTH = 0.0135  # yearly, close to Katingan's recent growth


def _allocate(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Split an integer total by weights so that the parts sum exactly (largest remainder)."""
    s = sum(weights.values())
    raw = {k: total * w / s for k, w in weights.items()}
    out = {k: int(v) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: raw[k] - out[k], reverse=True)[: total - sum(out.values())]:
        out[k] += 1
    return out


def penduduk_figures(reference: Path, wilayah: str, years: list[int], seed: int = 6206) -> dict:
    """{year: {kode_kecamatan: (laki, perempuan)}} consistent with the reference population."""
    rnd = random.Random(f"{seed}:{wilayah}")
    idx = IndeksWilayah(reference, wilayah)
    kab = kabkota(reference)[wilayah]
    shares = {k: KATINGAN_SHARES.get(k, rnd.uniform(3, 12)) for k in sorted(idx.kecamatan)}
    last = max(years)
    out = {}
    for year in years:
        f = (1 + GROWTH) ** (year - last)
        laki = round(kab.penduduk_laki * f)
        perempuan = round(kab.penduduk_perempuan * f)
        jitter = {k: w * rnd.uniform(0.98, 1.02) for k, w in shares.items()}
        L, P = _allocate(laki, jitter), _allocate(perempuan, jitter)
        out[year] = {k: (L[k], P[k]) for k in shares}
    return out


def _id_number(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def write_penduduk_kecamatan(path: Path, reference: Path, wilayah: str = "62.06", years=(2023, 2024, 2025)) -> Path:
    """Disdukcapil's table: one sheet per year, two-row merged header, index row, total row, footer."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    idx = IndeksWilayah(reference, wilayah)
    kab = idx.kabupaten.nama
    figures = penduduk_figures(reference, wilayah, list(years))
    wb = Workbook()
    wb.remove(wb.active)
    for year in sorted(years):
        ws = wb.create_sheet(str(year))
        ws["A1"] = f"Tabel 3.1 Jumlah Penduduk Menurut Kecamatan dan Jenis Kelamin di {kab}, {year}"
        kab_en = kab.replace("Kabupaten", "").strip()
        ws["A2"] = f"Table 3.1 Population by Subdistrict and Sex in {kab_en} Regency, {year}"
        ws["A1"].font = Font(bold=True)
        ws.append([])
        ws.append(["No", "Kecamatan/Subdistrict", "Jenis Kelamin/Sex", None, "Jumlah/Total"])
        ws.append([None, None, "Laki-laki/Male", "Perempuan/Female", None])
        ws.append(["(1)", "(2)", "(3)", "(4)", "(5)"])
        for rng in ("A4:A5", "B4:B5", "C4:D4", "E4:E5"):
            ws.merge_cells(rng)
        for cell in ws[4] + ws[5]:
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
            cell.font = Font(bold=True)
        tl = tp = 0
        # The oldest sheet was typed by hand: numbers as text in Indonesian format, names as found.
        as_text = year == min(years)
        for no, code in enumerate(sorted(idx.kecamatan), start=1):
            name = idx.kecamatan[code].nama
            if year != min(years):
                name = VARIANTS.get(code, name)
            laki, perempuan = figures[year][code]
            tl, tp = tl + laki, tp + perempuan
            vals = [laki, perempuan, laki + perempuan]
            ws.append([no, name] + ([_id_number(v) for v in vals] if as_text else vals))
        ws.append([None, "Jumlah/Total", tl, tp, tl + tp])
        ws.append([])
        ws.append(["Sumber: Dinas Kependudukan dan Pencatatan Sipil " + kab + " (data konsolidasi semester I)"])
        ws.append(["Catatan: data per 30 Juni " + str(year)])
        ws.column_dimensions["B"].width = 28
        for col in "CDE":
            ws.column_dimensions[col].width = 16
    # Fixed document times, so the same figures give the same file (and the same sha256).
    stamp = dt.datetime(max(years), 7, 15, 8, 0, 0)
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = "Disdukcapil " + kab
    _save_xlsx(wb, path)
    return path



# ------------------------------------------------------------------------------------ the corpus
# Every further dataset below draws on one region profile (population by kecamatan and village), so
# figures agree across OPDs: KTP-el obligees, children, couples, toddlers, births all follow population.


class Profile:
    """Population by year, kecamatan and village for a region, and name spellings to vary."""

    def __init__(self, reference: Path, wilayah: str, years: list[int]):
        self.reference, self.wilayah, self.years = reference, wilayah, sorted(years)
        self.idx = IndeksWilayah(reference, wilayah)
        self.kab = self.idx.kabupaten.nama
        self.kec = sorted(self.idx.kecamatan)
        self.pop = penduduk_figures(reference, wilayah, self.years) if self.kec else {}
        rnd = random.Random(f"desa:{wilayah}")
        self.desa = {k: sorted(c for c, w in self.idx.desa.items() if w.kode_induk == k) for k in self.kec}
        self.desa_w = {d: rnd.uniform(0.4, 2.5) for k in self.kec for d in self.desa[k]}

    def total(self, year: int, kec: str) -> int:
        return sum(self.pop[year][kec])

    def kabupaten_total(self, year: int) -> int:
        """Population of the whole region (from the kecamatan figures, or scaled from the reference)."""
        if self.kec:
            return sum(self.total(year, k) for k in self.kec)
        w = self.idx.kabupaten
        return round(w.penduduk_total * (1 + GROWTH) ** (year - self.years[-1]))

    def desa_pop(self, year: int, kec: str) -> dict[str, int]:
        return _allocate(self.total(year, kec), {d: self.desa_w[d] for d in self.desa[kec]})

    def name(self, kec: str, style: str = "plain") -> str:
        n = self.idx.kecamatan[kec].nama
        if style == "variant":
            return VARIANTS.get(kec, n)
        if style == "upper":
            return VARIANTS.get(kec, n).upper()
        return n

    def rnd(self, *key) -> random.Random:
        return random.Random(":".join(str(k) for k in (self.wilayah, *key)))


def _fmt_id(v, decimals: int = 0) -> str:
    """Indonesian number format: 1.234.567 and 12,5."""
    if decimals:
        s = f"{v:,.{decimals}f}"
        return s.replace(",", "_").replace(".", ",").replace("_", ".")
    return f"{int(v):,}".replace(",", ".")


def _stamp(wb, year: int, creator: str) -> None:
    t = dt.datetime(year, 12, 31, 8, 0, 0)
    wb.properties.created = t
    wb.properties.modified = t
    wb.properties.creator = creator


def _xlsx(path: Path, sheets: list[dict], creator: str, year: int) -> Path:
    """sheets: [{name, rows (list of lists, None = empty), merges: ['A4:A5'], widths}] → one xlsx."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    wb.remove(wb.active)
    for sh in sheets:
        ws = wb.create_sheet(sh["name"])
        for row in sh["rows"]:
            ws.append(row if row is not None else [])
        for rng in sh.get("merges", []):
            ws.merge_cells(rng)
        ws["A1"].font = Font(bold=True)
        for r in sh.get("header_rows", []):
            for cell in ws[r]:
                cell.font = Font(bold=True)
                cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        for col, fmt in sh.get("number_formats", {}).items():
            for cell in ws[col]:
                if isinstance(cell.value, (int, float, dt.date)) and not isinstance(cell.value, bool):
                    cell.number_format = fmt
        ws.column_dimensions["B"].width = 26
    _stamp(wb, year, creator)
    _save_xlsx(wb, path)
    return path


def _save_xlsx(wb, path: Path) -> None:
    """openpyxl stamps zip entries with the current time: fix them, so output is reproducible."""
    buf = io.BytesIO()
    wb.save(buf)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_zip_fixed_times(buf.getvalue()))


def _xls(path: Path, sheets: list[dict]) -> Path:
    """Legacy Excel 97-2003 (.xls), as older OPD computers still save."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    for sh in sheets:
        ws = wb.add_sheet(sh["name"])
        merged = {}
        for rng in sh.get("merges", []):
            a, b = rng.split(":")
            r0, c0 = _cell_rc(a)
            r1, c1 = _cell_rc(b)
            merged[(r0, c0)] = (r1, c1)
        skip = {(r, c) for (r0, c0), (r1, c1) in merged.items() for r in range(r0, r1 + 1)
                for c in range(c0, c1 + 1)} - set(merged)
        for r, row in enumerate(sh["rows"]):
            for c, v in enumerate(row or []):
                if (r, c) in skip or v is None:
                    continue
                if (r, c) in merged:
                    r1, c1 = merged[(r, c)]
                    ws.write_merge(r, r1, c, c1, v)
                else:
                    ws.write(r, c, v)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(str(path))
    return path


def _cell_rc(ref: str) -> tuple[int, int]:
    letters = "".join(ch for ch in ref if ch.isalpha())
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return int(ref[len(letters):]) - 1, col - 1


def _ods(path: Path, sheets: list[dict]) -> Path:
    """OpenDocument spreadsheet (LibreOffice), written with odfpy; no merged cells."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    for sh in sheets:
        t = Table(name=sh["name"])
        for row in sh["rows"]:
            tr = TableRow()
            for v in row or []:
                if v is None or v == "":
                    tr.addElement(TableCell())
                elif isinstance(v, (int, float)) and not isinstance(v, bool):
                    cell = TableCell(valuetype="float", value=v)
                    cell.addElement(P(text=str(v)))
                    tr.addElement(cell)
                else:
                    cell = TableCell(valuetype="string")
                    cell.addElement(P(text=str(v)))
                    tr.addElement(cell)
            t.addElement(tr)
        doc.spreadsheet.addElement(t)
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    doc.write(buf)
    path.write_bytes(_zip_fixed_times(buf.getvalue()))
    return path


def _zip_fixed_times(data: bytes) -> bytes:
    """Rewrite a zip with fixed entry times and without volatile metadata, so output is reproducible."""
    import re
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":  # openpyxl sets 'modified' to now on save
                created = re.search(rb"<dcterms:created[^>]*>([^<]*)<", body)
                if created:
                    body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(<)", rb"\g<1>" + created.group(1) + rb"\g<2>",
                                  body)
            if info.filename == "meta.xml":
                body = re.sub(rb"<meta:(creation-date|generator|editing-duration|editing-cycles)>.*?</meta:\1>",
                              b"", body)
            zi = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0))
            zi.compress_type = zipfile.ZIP_STORED if info.filename == "mimetype" else zipfile.ZIP_DEFLATED
            dst.writestr(zi, body)
    return out.getvalue()


def _csv(path: Path, rows: list[list], delimiter: str, encoding: str) -> Path:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        w.writerow(["" if v is None else v for v in row])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def _folder(inbox: Path, ds_id: str) -> Path:
    opd, name = ds_id.split(".")
    return inbox / opd / name


def _sumber(opd: str, kab: str) -> str:
    return f"Sumber: {opd} {kab}"


# --- Disdukcapil --------------------------------------------------------------------------------

AGE_GROUPS = [f"{a}-{a + 4}" for a in range(0, 80, 5)] + ["80+"]  # 17 five-year groups
AGE_SHARE = [9.2, 9.0, 8.8, 8.6, 8.4, 8.2, 7.9, 7.6, 7.2, 6.6, 5.8, 4.8, 3.7, 2.5, 1.5, 0.9, 0.3]


def write_penduduk_umur(p: Profile, inbox: Path) -> list[Path]:
    """One file per year; one sheet per kecamatan (named by it); rows are age groups; year in the title."""
    groups = AGE_GROUPS
    shares = dict(zip(groups, AGE_SHARE, strict=True))
    files = []
    for year in p.years:
        sheets = []
        for kec in p.kec:
            laki, perempuan = p.pop[year][kec]
            L, P = _allocate(laki, shares), _allocate(perempuan, shares)
            rows = [[f"Jumlah Penduduk Menurut Kelompok Umur dan Jenis Kelamin, Kecamatan {p.name(kec)}"],
                    [f"Keadaan 31 Desember {year}"], None,
                    ["Kelompok Umur/Age Group", "Laki-laki/Male", "Perempuan/Female", "Jumlah/Total"]]
            rows += [[g, L[g], P[g], L[g] + P[g]] for g in groups]
            rows += [["Jumlah/Total", laki, perempuan, laki + perempuan], None,
                     [_sumber("Dinas Kependudukan dan Pencatatan Sipil", p.kab)]]
            sheets.append({"name": p.name(kec, "variant")[:31], "rows": rows, "header_rows": [4]})
        files.append(_xlsx(_folder(inbox, "disdukcapil.penduduk_umur") / f"penduduk_kelompok_umur_{year}.xlsx",
                           sheets, "Disdukcapil", year))
    return files


def write_ktp_el(p: Profile, inbox: Path) -> list[Path]:
    """ODS, one sheet, long: a row per kecamatan and year; upper-case names."""
    rows = [["REKAPITULASI PEREKAMAN KTP ELEKTRONIK"], [p.kab.upper()], None,
            ["No", "Kecamatan", "Tahun", "Wajib KTP-el", "Sudah Rekam", "Belum Rekam"]]
    no = 0
    for year in p.years:
        r = p.rnd("ktp", year)
        cover = 0.93 + 0.015 * (year - p.years[0])
        for kec in p.kec:
            no += 1
            wajib = round(p.total(year, kec) * r.uniform(0.70, 0.74))
            rekam = min(wajib, round(wajib * min(0.995, cover + r.uniform(-0.03, 0.03))))
            rows.append([no, p.name(kec, "upper"), year, wajib, rekam, wajib - rekam])
    rows += [None, ["Sumber: Dinas Kependudukan dan Pencatatan Sipil (SIAK terpusat)"]]
    return [_ods(_folder(inbox, "disdukcapil.ktp_el") / "rekap_ktp_el.ods", [{"name": "Rekap", "rows": rows}])]


def write_akta_kelahiran(p: Profile, inbox: Path) -> list[Path]:
    """CSV with ';' in Windows-1252, one per year; Indonesian numbers; year in the title line."""
    files = []
    for year in p.years:
        r = p.rnd("akta", year)
        rows = [[f"Cakupan Kepemilikan Akta Kelahiran Anak Usia 0–17 Tahun – Tahun {year}"], [],
                ["No", "Kecamatan", "Jumlah Anak 0-17 Tahun", "Memiliki Akta Kelahiran", "Persentase (%)"]]
        ta = tm = 0
        for no, kec in enumerate(p.kec, 1):
            anak = round(p.total(year, kec) * r.uniform(0.31, 0.35))
            akta = round(anak * r.uniform(0.84, 0.96))
            ta, tm = ta + anak, tm + akta
            rows.append([no, p.name(kec, "variant"), _fmt_id(anak), _fmt_id(akta), _fmt_id(100 * akta / anak, 2)])
        rows.append(["", p.kab, _fmt_id(ta), _fmt_id(tm), _fmt_id(100 * tm / ta, 2)])
        rows += [[], ["Sumber: Disdukcapil, data konsolidasi bersih (DKB) semester II"]]
        files.append(_csv(_folder(inbox, "disdukcapil.akta_kelahiran") / f"akta_kelahiran_{year}.csv", rows, ";",
                          "cp1252"))
    return files


# --- BPBD ---------------------------------------------------------------------------------------

BENCANA = [("Banjir", "banjir"), ("Kebakaran Hutan dan Lahan", "karhutla"), ("Angin Puting Beliung", "puting_beliung"),
           ("Tanah Longsor", "tanah_longsor"), ("Kebakaran Permukiman", "kebakaran_permukiman")]


def write_kejadian_bencana(p: Profile, inbox: Path) -> list[Path]:
    """Event log by village, one sheet per year. Dates: Excel serials, date cells, Indonesian text."""
    sheets = []
    for year in p.years:
        r = p.rnd("bencana", year)
        events = []
        all_desa = [(k, d) for k in p.kec for d in p.desa[k]]
        n = max(5, round(len(all_desa) * 0.35))
        for _ in range(n):
            kec, desa = r.choice(all_desa)
            label, kind = r.choices(BENCANA, weights=[35, 40, 12, 5, 8])[0]
            month = r.choice([8, 9, 10]) if kind == "karhutla" else r.choice([1, 2, 3, 4, 11, 12, 5, 6, 7])
            day = r.randint(1, 28)
            events.append((dt.date(year, month, day), label, kind, kec, desa))
        events.sort()
        rows = [[f"DATA KEJADIAN BENCANA DI {p.kab.upper()} TAHUN {year}"], None,
                ["No", "Tanggal Kejadian", "Jenis Bencana", "Desa/Kelurahan", "Kecamatan", "Meninggal", "Luka-luka",
                 "Mengungsi (jiwa)", "Rumah Rusak (unit)", "Luas Terbakar (Ha)"]]
        for no, (date, label, kind, kec, desa) in enumerate(events, 1):
            if year == p.years[0]:
                when = (date - dt.date(1899, 12, 30)).days  # typed as a bare Excel serial number
            elif year == p.years[-1]:
                when = f"{date.day} {MONTHS[date.month - 1]} {date.year}"
            else:
                when = date
            dead = r.choices([0, 0, 0, 0, 1, 2])[0] if kind in ("banjir", "tanah_longsor") else 0
            hurt = r.randint(0, 4) if kind != "banjir" else r.randint(0, 2)
            displaced = r.randint(20, 600) if kind == "banjir" else (r.randint(0, 30) if kind != "karhutla" else 0)
            houses = r.randint(1, 40) if kind in ("banjir", "puting_beliung", "kebakaran_permukiman") else 0
            burnt = _fmt_id(r.uniform(2, 180), 1) if kind == "karhutla" else "-"
            rows.append([no, when, label, p.idx.desa[desa].nama, p.name(kec, "variant"),
                         dead or "-", hurt or "-", displaced or "-", houses or "-", burnt])
        rows += [None, ["Sumber: Pusdalops BPBD " + p.kab]]
        sheets.append({"name": str(year), "rows": rows, "header_rows": [3], "number_formats": {"B": "dd/mm/yyyy"}
                       if year != p.years[0] else {}})
    return [_xlsx(_folder(inbox, "bpbd.kejadian_bencana") / "kejadian_bencana.xlsx", sheets, "BPBD", p.years[-1])]


MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember"]
MONTHS_SHORT = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agt", "Sep", "Okt", "Nov", "Des"]


# --- DP3AP2KB -----------------------------------------------------------------------------------

def write_kb_aktif(p: Profile, inbox: Path) -> list[Path]:
    """Sheet per year; PUS and active family-planning participants; one revised ('r') figure."""
    sheets = []
    for year in p.years:
        r = p.rnd("kb", year)
        rows = [[f"Jumlah Pasangan Usia Subur (PUS) dan Peserta KB Aktif Menurut Kecamatan, {year}"], None,
                ["Kecamatan", "Pasangan Usia Subur (PUS)", "Peserta KB Aktif", "Persentase"]]
        tp = ta = 0
        for i, kec in enumerate(p.kec):
            pus = round(p.total(year, kec) * r.uniform(0.16, 0.19))
            aktif = round(pus * r.uniform(0.58, 0.72))
            tp, ta = tp + pus, ta + aktif
            shown = f"{_fmt_id(aktif)} r" if (year == p.years[1] and i == 4) else aktif
            rows.append([p.name(kec), pus, shown, round(100 * aktif / pus, 2)])
        rows += [["Jumlah", tp, ta, round(100 * ta / tp, 2)], None, ["Sumber: DP3AP2KB, Sistem Informasi Keluarga"],
                 ["Catatan: r = angka diperbaiki"]]
        sheets.append({"name": str(year), "rows": rows, "header_rows": [3]})
    return [_xlsx(_folder(inbox, "dp3ap2kb.kb_aktif") / "pus_kb_aktif.xlsx", sheets, "DP3AP2KB", p.years[-1])]


def write_kekerasan(p: Profile, inbox: Path) -> list[Path]:
    """Wide by year under two merged groups; '-' for none; the latest year preliminary ('2025*')."""
    years = p.years
    ny = len(years)
    head1 = ["Kecamatan", "Korban Kekerasan terhadap Perempuan"] + [None] * (ny - 1) + [
        "Korban Kekerasan terhadap Anak"] + [None] * (ny - 1)
    ylabels = [str(y) for y in years[:-1]] + [f"{years[-1]}*"]
    rows = [["Jumlah Korban Kekerasan terhadap Perempuan dan Anak Menurut Kecamatan"], None, head1,
            [None] + ylabels + ylabels]
    tot = [0] * (2 * ny)
    for kec in p.kec:
        r = p.rnd("kekerasan", kec)
        scale = p.total(years[-1], kec) / 14000
        vals = [r.choices([0, 1, 2, 3, 4], weights=[4, 3, 2, 1, 1])[0] + round(scale * r.random()) for _ in
                range(2 * ny)]
        tot = [a + b for a, b in zip(tot, vals, strict=True)]
        shown = [v or "-" for v in vals]
        if kec == p.kec[-1] and vals[1]:
            shown[1] = "x"  # cases in a small kecamatan withheld (confidential); the total still counts them
        rows.append([p.name(kec, "variant")] + shown)
    rows += [["Jumlah"] + tot, None, ["Sumber: DP3AP2KB (SIMFONI-PPA)"],
             ["Catatan: * angka sementara; x dirahasiakan"]]
    merges = [f"B3:{_col(ny)}3", f"{_col(ny + 1)}3:{_col(2 * ny)}3", "A3:A4"]
    return [_xlsx(_folder(inbox, "dp3ap2kb.kekerasan") / "korban_kekerasan.xlsx",
                  [{"name": "Kekerasan", "rows": rows, "merges": merges, "header_rows": [3, 4]}], "DP3AP2KB",
                  years[-1])]


def _col(i: int) -> str:
    from walidata.sources.spreadsheet import col_letter

    return col_letter(i)


# --- Dinkes -------------------------------------------------------------------------------------

def write_fasilitas_kesehatan(p: Profile, inbox: Path) -> list[Path]:
    """Legacy .xls, sheet per year; hospitals only where the capital is."""
    sheets = []
    capital = p.idx.kecamatan_code("Kasongan") or p.kec[0]
    for year in p.years:
        r = p.rnd("faskes", year)
        rows = [[f"Jumlah Fasilitas Kesehatan Menurut Kecamatan di {p.kab}, {year}"], None,
                ["Kecamatan", "Rumah Sakit", "Puskesmas", "Puskesmas Pembantu", "Tempat Tidur RS"]]
        t = [0, 0, 0, 0]
        for kec in p.kec:
            rs = 1 if kec == capital else 0
            pkm = 2 if p.total(year, kec) > 25000 else 1
            pustu = max(1, round(len(p.desa[kec]) * r.uniform(0.4, 0.7)))
            beds = (110 + 10 * (year - p.years[0])) if rs else 0
            vals = [rs, pkm, pustu, beds]
            t = [a + b for a, b in zip(t, vals, strict=True)]
            rows.append([p.name(kec)] + vals)
        rows += [["Jumlah"] + t, None, ["Sumber: Dinas Kesehatan, Profil Kesehatan " + str(year)]]
        sheets.append({"name": str(year), "rows": rows})
    return [_xls(_folder(inbox, "dinkes.fasilitas_kesehatan") / "fasilitas_kesehatan.xls", sheets)]


def write_tenaga_kesehatan(p: Profile, inbox: Path) -> list[Path]:
    """Two-row header: 'Dokter' merged over Umum/Gigi/Spesialis; sheet per year."""
    sheets = []
    for year in p.years:
        r = p.rnd("nakes", year)
        rows = [[f"Jumlah Tenaga Kesehatan Menurut Kecamatan, {year}"], None,
                ["Kecamatan", "Dokter", None, None, "Perawat", "Bidan"],
                [None, "Umum", "Gigi", "Spesialis", None, None], ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"]]
        t = [0] * 5
        for kec in p.kec:
            big = p.total(year, kec) > 25000
            vals = [r.randint(4, 9) if big else r.randint(1, 3), r.randint(1, 3) if big else r.randint(0, 1),
                    r.randint(8, 14) if big else 0, round(p.total(year, kec) / r.uniform(700, 900)),
                    round(p.total(year, kec) / r.uniform(900, 1300))]
            t = [a + b for a, b in zip(t, vals, strict=True)]
            rows.append([p.name(kec, "variant")] + [v if v else "-" for v in vals])
        rows += [["Jumlah"] + t, None, ["Sumber: Dinas Kesehatan (SISDMK)"]]
        sheets.append({"name": str(year), "rows": rows, "merges": ["B3:D3", "A3:A4", "E3:E4", "F3:F4"],
                       "header_rows": [3, 4]})
    return [_xlsx(_folder(inbox, "dinkes.tenaga_kesehatan") / "tenaga_kesehatan.xlsx", sheets, "Dinkes",
                  p.years[-1])]


def write_stunting_desa(p: Profile, inbox: Path) -> list[Path]:
    """Village level; the kecamatan cell merged down over its villages; sheet per year."""
    sheets = []
    for year in p.years:
        r = p.rnd("stunting", year)
        rows = [[f"Hasil Pengukuran Balita (e-PPGBM) Menurut Desa/Kelurahan, {year}"], None,
                ["Kecamatan", "Desa/Kelurahan", "Jumlah Balita Diukur", "Balita Stunting", "Prevalensi (%)"]]
        merges, tm, ts = [], 0, 0
        prevalence = 0.27 - 0.02 * (year - p.years[0])
        for kec in p.kec:
            first = len(rows) + 1
            for d, pop in p.desa_pop(year, kec).items():
                measured = max(5, round(pop * r.uniform(0.075, 0.095)))
                stunted = round(measured * max(0.02, r.gauss(prevalence, 0.06)))
                tm, ts = tm + measured, ts + stunted
                rows.append([p.name(kec) if len(rows) + 1 == first else None, p.idx.desa[d].nama, measured, stunted,
                             round(100 * stunted / measured, 1)])
            if len(rows) >= first + 1:
                merges.append(f"A{first}:A{len(rows)}")
        rows += [[p.kab, None, tm, ts, round(100 * ts / tm, 1)], None, ["Sumber: Dinas Kesehatan, e-PPGBM"]]
        sheets.append({"name": str(year), "rows": rows, "merges": merges, "header_rows": [3]})
    return [_xlsx(_folder(inbox, "dinkes.stunting_desa") / "stunting_desa.xlsx", sheets, "Dinkes", p.years[-1])]


def write_kelahiran(p: Profile, inbox: Path) -> list[Path]:
    """CSV with ',' in UTF-8, long with a year column."""
    rows = [["tahun", "kecamatan", "lahir_hidup", "lahir_mati", "kematian_bayi"]]
    for year in p.years:
        r = p.rnd("lahir", year)
        for kec in p.kec:
            births = round(p.total(year, kec) * r.uniform(0.016, 0.020))
            rows.append([year, p.name(kec), births, r.randint(0, 3), round(births * r.uniform(0.008, 0.02))])
    return [_csv(_folder(inbox, "dinkes.kelahiran") / "kelahiran_kematian_bayi.csv", rows, ",", "utf-8")]


# --- Disdik -------------------------------------------------------------------------------------

JENJANG = [("SD", 0.145, 20, 160), ("SMP", 0.058, 15, 220), ("SMA", 0.032, 13, 300), ("SMK", 0.018, 12, 260)]


def write_sekolah(p: Profile, inbox: Path) -> list[Path]:
    """Two-row header: each level (SD, SMP, SMA, SMK) merged over Sekolah/Guru/Murid; sheet per year."""
    sheets = []
    for year in p.years:
        r = p.rnd("sekolah", year)
        head1, head2, merges = ["Kecamatan"], [None], ["A3:A4"]
        for j, (lvl, *_rest) in enumerate(JENJANG):
            head1 += [lvl, None, None]
            head2 += ["Sekolah", "Guru", "Murid"]
            merges.append(f"{_col(1 + 3 * j)}3:{_col(3 + 3 * j)}3")
        rows = [[f"Jumlah Sekolah, Guru, dan Murid Menurut Kecamatan dan Jenjang Pendidikan, {year}/{year + 1}"],
                None, head1, head2]
        for kec in p.kec:
            row = [p.name(kec, "variant")]
            for lvl, share, ratio, size in JENJANG:
                pupils = round(p.total(year, kec) * share * r.uniform(0.9, 1.1))
                if lvl in ("SMA", "SMK") and p.total(year, kec) < 9000 and r.random() < 0.4:
                    row += ["-", "-", "-"]
                    continue
                schools = max(1, round(pupils / size))
                row += [schools, max(schools, round(pupils / ratio)), pupils]
            rows.append(row)
        rows += [None, ["Sumber: Dinas Pendidikan (Dapodik)"]]
        sheets.append({"name": str(year), "rows": rows, "merges": merges, "header_rows": [3, 4]})
    return [_xlsx(_folder(inbox, "disdik.sekolah") / "sekolah_guru_murid.xlsx", sheets, "Disdik", p.years[-1])]


# --- Diskominfo ---------------------------------------------------------------------------------

def write_sinyal_4g(p: Profile, inbox: Path) -> list[Path]:
    """CSV ',' UTF-8 per year, title line with the year; one '…' (not available)."""
    files = []
    for year in p.years:
        r = p.rnd("4g", year)
        rows = [[f"Jumlah Desa Menurut Ketersediaan Sinyal Telepon Seluler, Tahun {year}"],
                ["Kecamatan", "Jumlah Desa", "Desa Terjangkau 4G", "Desa Hanya 3G/2G", "Desa Tanpa Sinyal"]]
        share4g = 0.45 + 0.1 * (year - p.years[0])
        for i, kec in enumerate(p.kec):
            n = len(p.desa[kec])
            g4 = min(n, round(n * min(1.0, r.uniform(share4g - 0.2, share4g + 0.2))))
            g3 = min(n - g4, round((n - g4) * r.uniform(0.3, 0.7)))
            none = n - g4 - g3
            rows.append([p.name(kec), n, g4, "…" if (i == 7 and year == p.years[0]) else g3, none])
        rows.append(["Sumber: Diskominfo, pendataan BTS dan sinyal"])
        files.append(_csv(_folder(inbox, "diskominfo.sinyal_4g") / f"sinyal_desa_{year}.csv", rows, ",", "utf-8"))
    return files


def write_layanan_daring(p: Profile, inbox: Path) -> list[Path]:
    """Kabupaten level, a row per year."""
    rows = [["Layanan Publik Pemerintah Kabupaten dan Layanan yang Tersedia Daring"], None,
            ["Tahun", "Jumlah Jenis Layanan Publik", "Layanan Tersedia Daring"]]
    for i, year in enumerate(p.years):
        total = round(120 + p.kabupaten_total(year) / 3000) + 12 * i
        rows.append([year, total, round(total * (0.35 + 0.08 * i))])
    rows += [None, ["Sumber: Diskominfo (katalog layanan SPBE)"]]
    return [_xlsx(_folder(inbox, "diskominfo.layanan_daring") / "layanan_daring.xlsx",
                  [{"name": "Layanan", "rows": rows, "header_rows": [3]}], "Diskominfo", p.years[-1])]


# --- DLH ----------------------------------------------------------------------------------------

def write_sampah(p: Profile, inbox: Path) -> list[Path]:
    """ODS, kabupaten level, a row per month (Indonesian names), tonnes as decimals; sheet per year."""
    sheets = []
    for year in p.years:
        r = p.rnd("sampah", year)
        pop = p.kabupaten_total(year)
        rows = [[f"Timbulan dan Pengelolaan Sampah {p.kab} Tahun {year}"], None,
                ["Bulan", "Timbulan Sampah (ton)", "Sampah Terkelola (ton)"]]
        tg = tk = 0.0
        for m, name in enumerate(MONTHS, 1):
            days = (dt.date(year + (m == 12), m % 12 + 1, 1) - dt.date(year, m, 1)).days
            gen = round(pop * 0.55 * days / 1000 * r.uniform(0.95, 1.05), 1)
            managed = round(gen * r.uniform(0.42 + 0.04 * (year - p.years[0]), 0.55 + 0.04 * (year - p.years[0])), 1)
            tg, tk = round(tg + gen, 1), round(tk + managed, 1)
            rows.append([name, gen, managed])
        rows += [["Jumlah", tg, tk], None, ["Sumber: DLH, SIPSN"]]
        sheets.append({"name": str(year), "rows": rows})
    return [_ods(_folder(inbox, "dlh.sampah") / "timbulan_sampah.ods", sheets)]


def write_titik_panas(p: Profile, inbox: Path) -> list[Path]:
    """Wide by month (Jan … Des, 'Agt'), year from the sheet; a row total column."""
    sheets = []
    for year in p.years:
        r = p.rnd("hotspot", year)
        rows = [[f"Jumlah Titik Panas (Hotspot) Menurut Kecamatan dan Bulan, {year}"], None,
                ["Kecamatan"] + MONTHS_SHORT + ["Jumlah"]]
        season = [0.1, 0.1, 0.2, 0.3, 0.5, 0.8, 2.0, 6.0, 9.0, 4.0, 0.8, 0.2]
        for kec in p.kec:
            base = r.uniform(0.5, 3.0)
            vals = [max(0, round(s * base * r.uniform(0.3, 1.7))) for s in season]
            rows.append([p.name(kec, "variant")] + [v or "-" for v in vals] + [sum(vals)])
        rows += [None, ["Sumber: DLH, olahan SiPongi (satelit NOAA/VIIRS, confidence ≥ 80%)"]]
        sheets.append({"name": str(year), "rows": rows, "header_rows": [3]})
    return [_xlsx(_folder(inbox, "dlh.titik_panas") / "titik_panas.xlsx", sheets, "DLH", p.years[-1])]


# --- Disbudpar ----------------------------------------------------------------------------------

def write_kunjungan_wisata(p: Profile, inbox: Path) -> list[Path]:
    """CSV ';' Windows-1252, kabupaten level, 'Januari 2025' month labels, a total row."""
    rows = [["Bulan", "Wisatawan Nusantara", "Wisatawan Mancanegara", "Jumlah"]]
    for year in p.years:
        r = p.rnd("wisata", year)
        tn = tm = 0
        for m, name in enumerate(MONTHS, 1):
            nus = round(p.kabupaten_total(year) * 0.006 * r.uniform(0.6, 1.6) * (1.6 if m in (6, 7, 12) else 1))
            man = r.randint(0, 12)
            tn, tm = tn + nus, tm + man
            rows.append([f"{name} {year}", _fmt_id(nus), man or "-", _fmt_id(nus + man)])
        rows.append([f"Jumlah {year}", _fmt_id(tn), _fmt_id(tm), _fmt_id(tn + tm)])
    rows += [[], ["Sumber: Disbudpar (buku tamu objek wisata)"]]
    return [_csv(_folder(inbox, "disbudpar.kunjungan_wisata") / "kunjungan_wisatawan.csv", rows, ";", "cp1252")]


WRITERS = {
    "disdukcapil.penduduk_umur": write_penduduk_umur,
    "disdukcapil.ktp_el": write_ktp_el,
    "disdukcapil.akta_kelahiran": write_akta_kelahiran,
    "bpbd.kejadian_bencana": write_kejadian_bencana,
    "dp3ap2kb.kb_aktif": write_kb_aktif,
    "dp3ap2kb.kekerasan": write_kekerasan,
    "dinkes.fasilitas_kesehatan": write_fasilitas_kesehatan,
    "dinkes.tenaga_kesehatan": write_tenaga_kesehatan,
    "dinkes.stunting_desa": write_stunting_desa,
    "dinkes.kelahiran": write_kelahiran,
    "disdik.sekolah": write_sekolah,
    "diskominfo.sinyal_4g": write_sinyal_4g,
    "diskominfo.layanan_daring": write_layanan_daring,
    "dlh.sampah": write_sampah,
    "dlh.titik_panas": write_titik_panas,
    "disbudpar.kunjungan_wisata": write_kunjungan_wisata,
}


KABUPATEN_LEVEL = {"diskominfo.layanan_daring", "dlh.sampah", "disbudpar.kunjungan_wisata"}


def write_inbox(inbox: Path, reference: Path, wilayah: str = "62.06", years=(2023, 2024, 2025),
                only: list[str] | None = None) -> list[Path]:
    """The sample inbox: `<inbox>/<opd>/<dataset>/<file>` for every dataset (or `only` these)."""
    years = tuple(sorted(years))
    slug = wilayah.replace(".", "")
    out = []
    profile = Profile(reference, wilayah, list(years))
    # Without kecamatan/village reference data for the region, only the kabupaten-level datasets can be made.
    only = [d for d in (only or ["disdukcapil.penduduk_kecamatan", *WRITERS]) if profile.kec or d in KABUPATEN_LEVEL]
    if "disdukcapil.penduduk_kecamatan" in only:
        out.append(write_penduduk_kecamatan(
            inbox / "disdukcapil" / "penduduk_kecamatan"
            / f"penduduk_kecamatan_jk_{slug}_{min(years)}-{max(years)}.xlsx", reference, wilayah, years))
    for ds_id, writer in WRITERS.items():
        if ds_id in only:
            out += writer(profile, inbox)
    return out


def write_region_inboxes(inbox: Path, reference: Path, codes, years=(2023, 2024, 2025),
                         only: list[str] | None = None) -> list[Path]:
    """The sample inbox of a deployment of several regions: each kabupaten/kota's files in its own subfolder,
    `<inbox>/<opd>/<dataset>/<kode>/<file>` (their tables name no kabupaten: the folder says whose they are)."""
    import shutil
    import tempfile

    out = []
    for kode in codes:
        with tempfile.TemporaryDirectory() as tmp:
            for path in write_inbox(Path(tmp), reference, kode, years, only):
                rel = path.relative_to(tmp)
                target = Path(inbox) / rel.parent / kode / rel.name
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(path), target)
                out.append(target)
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--inbox", type=Path, default=PROJECT_ROOT / "include/sample_data/inbox")
    p.add_argument("--wilayah", default="62.06")
    p.add_argument("--years", default="2023-2025", help="first-last, e.g. 2023-2025")
    a = p.parse_args(argv)
    first, last = (int(x) for x in a.years.split("-"))
    for path in write_inbox(a.inbox, PROJECT_ROOT / "include/reference", a.wilayah, tuple(range(first, last + 1))):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
