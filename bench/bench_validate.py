"""Validation throughput at 1M rows: the dataset's Great Expectations suite beside the same rules in pandas.

The suite is the one the pipeline builds for disdukcapil.penduduk_kecamatan: the built-in expectations (columns,
problems, codes, variable, period format, status, uniqueness, completeness, categories, value range) and the
Walidata's checks (finite figures, completeness per period, totals, plausibility, population, freshness), run
through `validate.suite.run` as the pipeline runs it (SUMMARY results, COMPLETE for failures, Data Docs built
from the HTML-escaped copy). The records are 1M plausible monthly figures with a synthetic 'Jumlah' row per
sheet and column. The baseline writes the built-in rules by hand in pandas and runs the Walidata's rules' pandas
code (validate.checks) directly. Median of repeats, same run.

    python bench/bench_validate.py [--rows 1000000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import save  # noqa: E402


def make_records(n: int) -> pd.DataFrame:
    """26 records per month (13 kecamatan × 2 sexes), figures that move a little from month to month."""
    codes = np.array([f"62.06.{k:02d}" for k in range(1, 14)])
    i = np.arange(n)
    p = i // 26
    periods = np.array([f"{1000 + j // 12}-{j % 12 + 1:02d}" for j in range(int(p.max()) + 1)])
    s = lambda v: pd.array(v, dtype="string")  # noqa: E731
    return pd.DataFrame({
        "dataset": s(np.full(n, "disdukcapil.penduduk_kecamatan")), "variabel": s(np.full(n, "jumlah_penduduk")),
        "kode_wilayah": s(codes[i % 13]), "nama_wilayah": s(np.full(n, "x")), "periode": s(periods[p]),
        "jenis_kelamin": s(np.where((i // 13) % 2 == 0, "L", "P")),
        "nilai": (3000 + 10 * (i % 26) + p % 7).astype("float64"),
        "satuan": s(np.full(n, "jiwa")), "status": s(np.full(n, "tetap")), "masalah": pd.array([None] * n,
                                                                                            dtype="string"),
        "sumber_file": s(np.full(n, "f.xlsx")), "sumber_sheet": s(periods[p]),
        "sumber_baris": (7 + i % 13).astype("int64"), "sumber_kolom_wilayah": s(np.full(n, "B")),
        "sumber_kolom_nilai": s(np.where((i // 13) % 2 == 0, "C", "D")),
    })


def make_totals(df: pd.DataFrame) -> pd.DataFrame:
    """A 'Jumlah' row under each sheet's 13 kecamatan, per value column, equal to their sum."""
    t = df.groupby(["sumber_file", "sumber_sheet", "sumber_kolom_nilai"], observed=True)["nilai"].sum().reset_index()
    return pd.DataFrame({"jenis": "total", "nilai_total": t["nilai"], "sumber_file": t["sumber_file"],
                         "sumber_sheet": t["sumber_sheet"], "sumber_baris": 20, "sumber_kolom": t["sumber_kolom_nilai"],
                         "masalah": pd.array([None] * len(t), dtype="string")})


def pandas_rules(df: pd.DataFrame, codes: list[str], allowed_status: list[str], kx) -> dict[str, int]:
    """The suite's rules, hand-written: counts of failing rows per rule. The Walidata's own rules are the pandas
    code the suite's expectations call (validate.checks), run directly."""
    from walidata.validate import checks

    keys = ["variabel", "kode_wilayah", "periode", "jenis_kelamin"]
    return {
        "columns": int(set(df.columns) != set(df.columns)),
        "masalah_null": int(df["masalah"].notna().sum()),
        "kode_not_null": int(df["kode_wilayah"].isna().sum()),
        "nilai_float": int(df["nilai"].dtype != "float64"),
        "kode_in_set": int((~df["kode_wilayah"].isin(codes)).sum()),
        "variabel_in_set": int((~df["variabel"].isin(["jumlah_penduduk"])).sum()),
        "periode_regex": int((~df["periode"].str.fullmatch(r"\d{4}(?:-(?:S[12]|Q[1-4]|0[1-9]|1[0-2]))?")).sum()),
        "status_in_set": int((~df["status"].isin(allowed_status)).sum()),
        "unique": int(df.duplicated(keys, keep=False).sum()),
        "all_codes": len(set(codes) - set(df["kode_wilayah"].unique())),
        "jk_in_set": int((~df["jenis_kelamin"].isin(["L", "P"])).sum()),
        "nilai_between": int(((df["nilai"] < 0) | (df["nilai"] > 1_000_000)).sum()),
        "magnitude": len(checks.magnitude(df)["temuan"]),
        "complete": len(checks.completeness(kx, df, codes)["temuan"]),
        "totals": len(checks.totals_match(df, kx.totals)["temuan"]),
        "plausible": len(checks.plausibility(kx, df)["temuan"]),
        "population": len(checks.population(kx, df)["temuan"]),
        "fresh": len(checks.freshness(kx, df, kx.today)["temuan"]),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    logging.disable(logging.WARNING)
    from walidata.catalog import get_dataset
    from walidata.standardise.records import STATUSES
    from walidata.standardise.reference import IndeksWilayah
    from walidata.validate import checks
    from walidata.validate.suite import RECORD_ID, run, suite_spec

    ds = get_dataset(ROOT / "include" / "catalog", "disdukcapil.penduduk_kecamatan")
    wilayah = IndeksWilayah(ROOT / "include" / "reference", "62.06")
    df = make_records(a.rows)
    totals = make_totals(df)
    df.insert(0, RECORD_ID, np.arange(len(df)))
    spec = suite_spec(ds, wilayah, list(df.columns))
    today = dt.date(1000 + len(df) // 26 // 12, 6, 1)  # the last month is fresh
    with tempfile.TemporaryDirectory(prefix="walidata-bench-gx-") as tmp:
        gx_root = Path(tmp) / "gx"
        shutil.copytree(ROOT / "great_expectations", gx_root, ignore=shutil.ignore_patterns("uncommitted"))
        run(ds, df.head(1000), totals.head(0), wilayah, gx_root, "opname", today=today)  # writes the suite once
        t_gx, t_pd = [], []
        for r in range(a.repeat):
            t0 = time.perf_counter()
            res, _ = run(ds, df, totals, wilayah, gx_root, f"bench{r}", today=today)  # as the pipeline runs it
            t_gx.append(time.perf_counter() - t0)
            assert res.success, [x.expectation_config.type for x in res.results if not x.success]
            t0 = time.perf_counter()
            kx = checks.Konteks(ds, wilayah, totals=totals, today=today)
            fails = pandas_rules(df, sorted(wilayah.kecamatan), STATUSES, kx)
            t_pd.append(time.perf_counter() - t0)
            assert not any(fails.values()), fails
    g, p = statistics.median(t_gx), statistics.median(t_pd)
    n = a.rows
    own = sum(s["expectation"].startswith("walidata_") for s in spec)
    print(f"Validation benchmark: {n:,} rows, {len(spec)} expectations ({own} Walidata checks), median of "
          f"{a.repeat} (targets: ≥ 1,000,000 rows/s, within 3× of pandas)")
    print(f"GX suite.run (all checks, Data Docs)        {g:7.2f} s  {n / g:12,.0f} rows/s")
    print(f"hand-written pandas rules                   {p:7.2f} s  {n / p:12,.0f} rows/s")
    print(f"GX / pandas time: {g / p:.1f}×")
    save("bench_validate", {"rows": n, "gx_s": g, "pandas_s": p, "gx_rows_s": n / g, "ratio": g / p,
                            "expectations": len(spec)})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
