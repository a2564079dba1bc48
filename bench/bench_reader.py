"""Reader throughput on generated OPD workbooks at Katingan ×10 size (30 years instead of 3).

Same files, same run: the Walidata reader (read + locate table + standardise to tidy Arrow records),
a raw python-calamine read of every sheet (`to_python`), and an openpyxl read-only pass over every cell.
Throughput is cells of the sheets' used ranges per second; medians of several repeats.

    python bench/bench_reader.py [--repeat N] [--years 1996-2025]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import save  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--years", default="1996-2025")
    a = ap.parse_args()
    logging.disable(logging.WARNING)
    from openpyxl import load_workbook
    from python_calamine import CalamineWorkbook

    from walidata.catalog import load_catalog
    from walidata.sample import write_inbox
    from walidata.sources.table import read_tables
    from walidata.standardise.records import Builder
    from walidata.standardise.reference import IndeksWilayah

    first, last = (int(x) for x in a.years.split("-"))
    ref = ROOT / "include" / "reference"
    wilayah = IndeksWilayah(ref, "62.06")
    datasets = {(d.opd, d.name): d for d in load_catalog(ROOT / "include" / "catalog")[0]}
    with tempfile.TemporaryDirectory(prefix="walidata-bench-reader-") as tmp:
        inbox = Path(tmp)
        files = [p for p in write_inbox(inbox, ref, "62.06", tuple(range(first, last + 1))) if p.suffix == ".xlsx"]
        jobs = [(p, datasets[(p.parent.parent.name, p.parent.name)]) for p in files]
        cells = 0
        for p, _ in jobs:
            wb = CalamineWorkbook.from_path(str(p))
            for s in wb.sheet_names:
                g = wb.get_sheet_by_name(s).to_python(skip_empty_area=False)
                cells += sum(len(r) for r in g)
            wb.close()
        size_mb = sum(p.stat().st_size for p, _ in jobs) / 1e6

        def walidata_reader():
            n = 0
            for p, ds in jobs:
                b = Builder(ds)
                for t in read_tables(p, ds, p.name):
                    b.add_table(t, wilayah)
                records, _, _ = b.arrow()
                n += records.num_rows
            return n

        def raw_calamine():
            for p, _ in jobs:
                wb = CalamineWorkbook.from_path(str(p))
                for s in wb.sheet_names:
                    wb.get_sheet_by_name(s).to_python(skip_empty_area=False)
                wb.close()

        def openpyxl_read():
            for p, _ in jobs:
                wb = load_workbook(p, read_only=True, data_only=True)
                for ws in wb.worksheets:
                    for _row in ws.iter_rows(values_only=True):
                        pass
                wb.close()

        def timed(fn, repeat):
            fn()  # warm-up: imports, caches
            out = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                fn()
                out.append(time.perf_counter() - t0)
            return statistics.median(out)

        # Interleave the contenders so machine noise hits them alike.
        t_w, t_c, t_o = [], [], []
        for _ in range(a.repeat):
            t_w.append(timed(walidata_reader, 1))
            t_c.append(timed(raw_calamine, 1))
        t_o.append(timed(openpyxl_read, max(1, a.repeat // 3)))
        records = walidata_reader()
    w, c, o = statistics.median(t_w), statistics.median(t_c), statistics.median(t_o)
    print(f"Reader benchmark: {len(jobs)} xlsx workbooks ({size_mb:.1f} MB), {cells:,} cells, years {a.years} "
          f"(Katingan ×10), {records:,} tidy records; median of {a.repeat}")
    print(f"{'reader':44} {'seconds':>9} {'cells/s':>12} {'vs calamine':>12} {'vs openpyxl':>12}")
    for name, t in (("walidata reader (read+locate+standardise)", w), ("raw python-calamine to_python", c),
                    ("openpyxl read_only iter_rows", o)):
        print(f"{name:44} {t:9.3f} {cells / t:12,.0f} {c / t:11.2f}x {o / t:11.2f}x")
    print(f"targets: walidata ≥ 0.8× calamine → {c / w:.2f}× ({'met' if c / w >= 0.8 else 'NOT met'}); "
          f"≥ 5× openpyxl → {o / w:.1f}× ({'met' if o / w >= 5 else 'NOT met'})")
    real = real_corpus(a.repeat)
    save("bench_reader", {
        "cells": cells, "records": records, "seconds": {"walidata": w, "calamine": c, "openpyxl": o},
        "ratio_vs_calamine": c / w, "ratio_vs_openpyxl": o / w, "real_corpus": real})
    return 0


def _raw(path: Path) -> int:
    """The least work that turns a file into cells: calamine for workbooks, the csv module for CSV, Lexbor
    (selectolax) for HTML tables. Returns the number of cells."""
    from walidata.sources.spreadsheet import sniff_format

    kind = sniff_format(path, path.name, 1e9, 1e9)
    if kind == "csv":
        import csv
        import io

        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252")
        delim = ";" if text.count(";") > text.count(",") else ","
        return sum(len(r) for r in csv.reader(io.StringIO(text), delimiter=delim))
    if kind == "html":
        from selectolax.lexbor import LexborHTMLParser

        return sum(1 for _ in (c.text() for c in LexborHTMLParser(path.read_text(errors="replace")).css("td, th")))
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    n = sum(sum(len(r) for r in wb.get_sheet_by_name(s).to_python()) for s in wb.sheet_names)
    wb.close()
    return n


def real_corpus(repeat: int) -> dict:
    """The reader on the real-file corpus (tests/real): every file that reads (published or refused at
    validation), beside the raw parse of the same files, in the same run."""
    import yaml

    from walidata.catalog import get_dataset
    from walidata.sources.spreadsheet import SourceError
    from walidata.sources.table import read_tables
    from walidata.standardise.records import Builder
    from walidata.standardise.reference import IndeksWilayah

    real = ROOT / "tests" / "real"
    jobs = []
    for spec_path in sorted((real / "expected").glob("*.yaml")):
        spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
        case = next((c for c in spec["kasus"] if c["hasil"] != "gagal_baca"), None)
        if case is None:
            continue
        ds = get_dataset(real / "catalog", case.get("dataset", spec["dataset"]))
        # the shared workbooks are read where they lie, beside the repository (as tests/test_real_corpus.py does)
        folder = ROOT.parent / "shared" / "real" if spec.get("lokasi") == "shared" else real / "files"
        if not (folder / spec["file"]).is_file():
            print(f"(real corpus: {spec['file']} not found in {folder}; left out)")
            continue
        jobs.append((folder / spec["file"], ds, IndeksWilayah(ROOT / "include" / "reference", case["wilayah"])))

    def walidata_reader():
        n = 0
        for p, ds, wilayah in jobs:
            b = Builder(ds)
            try:
                for t in read_tables(p, ds, p.name):
                    b.add_table(t, wilayah)
            except SourceError:
                continue
            n += b.arrow()[0].num_rows
        return n

    def raw():
        return sum(_raw(p) for p, _, _ in jobs)

    cells = raw()
    t_w, t_r = [], []
    walidata_reader(), raw()  # warm-up
    for _ in range(repeat):
        t0 = time.perf_counter()
        records = walidata_reader()
        t_w.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        raw()
        t_r.append(time.perf_counter() - t0)
    w, r = statistics.median(t_w), statistics.median(t_r)
    kinds = sorted({p.suffix for p, _, _ in jobs})
    size_mb = sum(p.stat().st_size for p, _, _ in jobs) / 1e6
    print(f"\nReal corpus (tests/real): {len(jobs)} files ({', '.join(kinds)}; {size_mb:.2f} MB), {cells:,} cells, "
          f"{records:,} tidy records; median of {repeat}")
    print(f"{'reader':44} {'seconds':>9} {'cells/s':>12} {'vs raw parse':>12}")
    for name, t in (("walidata reader (read+locate+standardise)", w), ("raw parse (csv / Lexbor / calamine)", r)):
        print(f"{name:44} {t:9.3f} {cells / t:12,.0f} {r / t:11.2f}x")
    return {"files": len(jobs), "cells": cells, "records": records, "seconds": {"walidata": w, "raw": r},
            "ratio_vs_raw": r / w}


if __name__ == "__main__":
    raise SystemExit(main())
