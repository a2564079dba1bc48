"""Benchmark of the sample run: time per stage, beside a minimal hand-written baseline in the same run.

Baseline = what a one-off script would do for the same file: pandas read (calamine engine) of every
sheet, a hand-coded reshape to tidy rows, a pyarrow Parquet write and a native DuckDB insert from
Arrow. It does none of the pipeline's checks, mapping or bookkeeping; the ratio shows what those cost.
The machine is small and noisy: read the ratios (medians of several repeats), not the absolute times.

    python bench/bench_pipeline.py [--repeat N] [--no-airflow]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import save  # noqa: E402

DATASET = "disdukcapil.penduduk_kecamatan"
DAG_ID = "opd__disdukcapil__penduduk_kecamatan"


def _settings(tmp: Path):
    from walidata.settings import get_settings

    gx = tmp / "gx"
    shutil.copytree(ROOT / "great_expectations", gx, ignore=shutil.ignore_patterns("uncommitted"))
    return get_settings(lake=tmp / "lake", warehouse_url=f"duckdb:///{tmp / 'warehouse.duckdb'}", gx_root=gx)


def pipeline_once(tmp: Path) -> dict[str, float]:
    from walidata import pipeline

    s = _settings(tmp)
    t = {}
    t0 = time.perf_counter()
    ref = pipeline.extract(DATASET, "bench", s)
    t["extract"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = pipeline.standardise(ref, s)
    t["standardise"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    ref = pipeline.validate(ref, s)
    t["validate"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    pipeline.publish(ref, s)
    t["publish"] = time.perf_counter() - t0
    return t


def baseline_once(tmp: Path, src: Path) -> dict[str, float]:
    import duckdb
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    t = {}
    t0 = time.perf_counter()
    sheets = pd.read_excel(src, sheet_name=None, header=None, engine="calamine")
    frames = []
    for name, df in sheets.items():
        body = df.iloc[6:19, 1:4]  # rows 7–19, columns B–D: hand-read from this one layout
        body.columns = ["kecamatan", "L", "P"]
        long = body.melt(id_vars="kecamatan", var_name="jenis_kelamin", value_name="nilai")
        long["nilai"] = long["nilai"].map(lambda v: float(str(v).replace(".", "")) if isinstance(v, str) else float(v))
        long["periode"] = name
        frames.append(long)
    tidy = pd.concat(frames, ignore_index=True)
    t["read"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    table = pa.Table.from_pandas(tidy, preserve_index=False)
    pq.write_table(table, tmp / "baseline.parquet")
    con = duckdb.connect(str(tmp / "baseline.duckdb"))
    con.register("tidy", table)
    con.execute("CREATE TABLE penduduk AS SELECT * FROM tidy")
    con.close()
    t["write"] = time.perf_counter() - t0
    assert len(tidy) == 78
    return t


def airflow_once(tmp: Path) -> float | None:
    airflow = shutil.which("airflow", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    if airflow is None or not (Path(os.environ.get("AIRFLOW_HOME", ROOT / ".airflow")) / "airflow.db").exists():
        return None
    gx = tmp / "gx-airflow"
    shutil.copytree(ROOT / "great_expectations", gx, ignore=shutil.ignore_patterns("uncommitted"))
    env = {**os.environ, "WALIDATA_LAKE": str(tmp / "lake-airflow"), "WALIDATA_GX_ROOT": str(gx),
           "WALIDATA_WAREHOUSE_URL": f"duckdb:///{tmp / 'airflow.duckdb'}"}
    t0 = time.perf_counter()
    rc = subprocess.run([airflow, "dags", "test", DAG_ID], env=env, capture_output=True).returncode
    return time.perf_counter() - t0 if rc == 0 else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--no-airflow", action="store_true")
    a = ap.parse_args()
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import logging

    logging.disable(logging.WARNING)
    src = next((ROOT / "include/sample_data/inbox/disdukcapil/penduduk_kecamatan").glob("*.xlsx"))
    runs, base = [], []
    with tempfile.TemporaryDirectory(prefix="walidata-bench-") as d:
        d = Path(d)
        pipeline_once(d / "warmup")  # imports (pandas, GX) and first-use caches are not what we measure
        baseline_once(d, src)
        for i in range(a.repeat):
            runs.append(pipeline_once(d / f"p{i}"))
            (d / f"b{i}").mkdir()
            base.append(baseline_once(d / f"b{i}", src))
        dag_seconds = None if a.no_airflow else airflow_once(d)

    med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    bmed = {k: statistics.median(r[k] for r in base) for k in base[0]}
    total, btotal = sum(med.values()), sum(bmed.values())
    rows = [
        ("extract (copy to raw zone + sha256)", med["extract"], None, None),
        ("standardise (read, map names, tidy)", med["standardise"], "baseline read+reshape", bmed["read"]),
        ("validate (GX suite, Data Docs)", med["validate"], None, None),
        ("publish (warehouse txn + lake)", med["publish"], "baseline parquet+duckdb", bmed["write"]),
        ("pipeline total (in process)", total, "baseline total", btotal),
    ]
    print(f"Walidata benchmark: sample run ({DATASET}, 78 rows, 3 sheets), median of {a.repeat} repeats")
    print(f"{'stage':40} {'seconds':>9}   {'baseline':24} {'seconds':>9} {'ratio':>7}")
    for name, v, bname, bv in rows:
        ratio = f"{v / bv:6.1f}x" if bv else ""
        print(f"{name:40} {v:9.4f}   {bname or '':24} {'' if bv is None else f'{bv:9.4f}'} {ratio:>7}")
    if dag_seconds is not None:
        label = "airflow dags test (whole DAG, 1 run)"
        print(f"{label:40} {dag_seconds:9.2f}   (includes Airflow start-up and task overhead)")
    result = {"stages": med, "baseline": bmed, "ratio_total": total / btotal, "airflow_dags_test_s": dag_seconds}
    save("bench_pipeline", result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
