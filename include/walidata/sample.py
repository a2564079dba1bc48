"""Deterministic sample OPD workbooks (seeded), written the way OPDs really send them.

`python -m walidata.sample` rewrites the bundled sample inbox. Figures are scaled to the reference
population of the region, so they are plausible for any kabupaten/kota with kecamatan reference data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
from pathlib import Path

from walidata.reference import RegionIndex, kabkota
from walidata.settings import PROJECT_ROOT

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


def penduduk_figures(reference: Path, region: str, years: list[int], seed: int = 6206) -> dict:
    """{year: {kode_kecamatan: (laki, perempuan)}} consistent with the reference population."""
    rnd = random.Random(f"{seed}:{region}")
    idx = RegionIndex(reference, region)
    kab = kabkota(reference)[region]
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


def write_penduduk_kecamatan(path: Path, reference: Path, region: str = "62.06", years=(2023, 2024, 2025)) -> Path:
    """Disdukcapil's table: one sheet per year, two-row merged header, index row, total row, footer."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    idx = RegionIndex(reference, region)
    kab = idx.kabupaten.nama
    figures = penduduk_figures(reference, region, list(years))
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
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_inbox(inbox: Path, reference: Path, region: str = "62.06", years=(2023, 2024, 2025)) -> list[Path]:
    """The bundled sample inbox: `<inbox>/<opd>/<dataset>/<file>`."""
    slug = region.replace(".", "")
    return [
        write_penduduk_kecamatan(
            inbox / "disdukcapil" / "penduduk_kecamatan"
            / f"penduduk_kecamatan_jk_{slug}_{min(years)}-{max(years)}.xlsx",
            reference, region, years,
        )
    ]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--inbox", type=Path, default=PROJECT_ROOT / "include/sample_data/inbox")
    p.add_argument("--region", default="62.06")
    p.add_argument("--years", default="2023-2025", help="first-last, e.g. 2023-2025")
    a = p.parse_args(argv)
    first, last = (int(x) for x in a.years.split("-"))
    for path in write_inbox(a.inbox, PROJECT_ROOT / "include/reference", a.region, tuple(range(first, last + 1))):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
