"""The benchmark harness cannot rot: its smoke workload (Katingan, one year, two datasets, through the real
pipeline, DuckDB, GX and the indicator runner, beside every baseline) runs as `make bench-smoke` does.
Nothing here is timed: the figures are only checked to be there and to add up."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("extract", "standardise", "validate", "publish", "indicators")


def test_the_smoke_workload_runs_every_stage_and_baseline(tmp_path):
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "run.py"), "--smoke", "--hasil", str(tmp_path),
                           "--keep", str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    result = json.loads((tmp_path / "run_smoke.json").read_text())
    w = result["workloads"]["smoke"]
    assert w["failed"] == [] and w["mode"] == "single" and w["kabkota"] == ["62.06"]
    for s in STAGES:
        st = w["stages"][s]
        assert st["rows"] > 0 and st["seconds"] > 0 and st["cpu_seconds"] > 0 and st["peak_mb"] > 0, s
    # the tidy rows of the two datasets go through every file stage and are all published
    assert w["stages"]["extract"]["rows"] == w["stages"]["validate"]["rows"] == w["stages"]["publish"]["rows"]
    b = w["baselines"]
    assert b["cells"] > w["stages"]["standardise"]["rows"]  # every cell of the files, headers and footers too
    assert b["pandas_checks_failing_rows"] == 0  # the sample is clean, the hand-written checks agree with GX
    assert b["pg_copy"] is not None and b["duckdb_read_parquet"]["seconds"] > 0
    # the bare script reads the same population table: kecamatan × 2 sexes, as the pipeline's records of it
    assert b["bare_pandas_rows"] == 2 * 13
    assert w["indicators"]["bare_sql"]["seconds"] > 0
    table = (tmp_path / "run_smoke.md").read_text()
    assert "| publish |" in table and "bare pandas script" in table and table in proc.stdout
    assert not any(tmp_path.glob("walidata-bench-run-*")), "the workload's data is left behind"
