"""The benchmark harness: workloads made by the sample generator, each in its own process, timed per stage
(extract, standardise, validate, publish, indicators) with rows/s and peak RSS, beside baselines run on the
same files in the same process (raw python-calamine, DuckDB read_parquet, PostgreSQL COPY, hand-written
pandas checks, a bare pandas script, the indicators' bare SQL). The machine is small and shared: compare the
ratios, not the seconds.

    python bench/run.py                      # Katingan ×1, Katingan ×10, Kalimantan Tengah, then the component benches
    python bench/run.py --smoke              # one tiny workload (a test runs it: tests/test_bench_smoke.py)
    python bench/run.py --nasional --sample 6   # add the national workload on 6 kab/kota, extrapolated to 514
    python bench/run.py --workload katingan --tanpa-komponen

Figures: bench/results/run.json and bench/results/run.md (git-ignored); docs/PERFORMANCE.md keeps the latest.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from _report import markdown  # noqa: E402
from _results import RESULTS  # noqa: E402

DEFAULT = ("katingan", "katingan10", "provinsi")
# The component benches, each with its embedded defaults; `--smoke` runs none of them (too slow for a test).
KOMPONEN = ("bench_pipeline.py", "bench_reader.py", "bench_warehouse.py", "bench_validate.py",
            "bench_indikator.py", "bench_api.py")


def run_workload(name: str, base: Path, mode: str, sample: int | None) -> dict:
    """One workload in a child process; its wall time and peak RSS as the kernel reports them (wait4)."""
    out = base / f"{name}.json"
    cmd = [sys.executable, str(HERE / "_workload.py"), name, str(base / name), "--mode", mode, "--out", str(out)]
    if sample:
        cmd += ["--sample", str(sample)]
    env = {**os.environ, "GX_ANALYTICS_ENABLED": "false"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    rc = os.waitstatus_to_exitcode(status)
    if rc != 0:
        return {"workload": name, "error": f"exit {rc}", "wall_s": wall}
    figures = json.loads(out.read_text())
    figures["process_wall_s"] = wall
    figures["process_peak_mb"] = usage.ru_maxrss / 1024
    return figures


def run_komponen(names: tuple[str, ...]) -> dict[str, dict]:
    """The component benches with their embedded defaults, one after the other; their own output goes to the
    terminal, their figures to bench/results/<name>.json."""
    out = {}
    for name in names:
        print(f"\n=== bench/{name} ===", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.run([sys.executable, str(HERE / name)], env={**os.environ, "GX_ANALYTICS_ENABLED": "false"},
                            cwd=ROOT).returncode
        out[name] = {"rc": rc, "wall_s": time.perf_counter() - t0}
        print(f"=== bench/{name}: exit {rc}, {out[name]['wall_s']:.0f} s ===", flush=True)
    return out


def machine() -> dict:
    import platform

    load = os.getloadavg()
    return {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "loadavg_at_start": [round(x, 2) for x in load],
            "mem_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)}


def parse(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--smoke", action="store_true", help="one tiny workload, no component benches (< 1 min)")
    ap.add_argument("--workload", action="append", help=f"only this workload (repeatable; default {DEFAULT})")
    ap.add_argument("--nasional", action="store_true", help="also the national workload (see --sample)")
    ap.add_argument("--sample", type=int, default=6,
                    help="national: this many kab/kota spread over the 514, extrapolated (0: all 514)")
    ap.add_argument("--mode", choices=("auto", "multi", "loop"), default="auto",
                    help="province/national: one multi-region run (multi), one run per kab/kota (loop), or "
                         "multi with loop as fallback (auto)")
    ap.add_argument("--tanpa-komponen", action="store_true", help="skip the component benches (bench_*.py)")
    ap.add_argument("--hasil", type=Path, default=RESULTS, help="where run.json and run.md go (default bench/results)")
    ap.add_argument("--tabel", type=Path, help="only print the tables of a saved run.json")
    ap.add_argument("--keep", type=Path, help="keep the workloads' data here (default: a temporary folder)")
    return ap.parse_args(argv)


def main(argv=None) -> int:
    a = parse(argv)
    if a.tabel:  # the tables again from a saved run.json (after a change to bench/_report.py)
        print(markdown(json.loads(a.tabel.read_text())))
        return 0
    names = ["smoke"] if a.smoke else list(a.workload or DEFAULT)
    if a.nasional and "nasional" not in names:
        names.append("nasional")
    result = {"machine": machine(), "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
              "command": " ".join(["python", "bench/run.py", *(argv if argv is not None else sys.argv[1:])]),
              "workloads": {}}
    with tempfile.TemporaryDirectory(prefix="walidata-bench-run-", dir=a.keep) as tmp:
        for name in names:
            sample = (a.sample or None) if name == "nasional" else None
            result["workloads"][name] = run_workload(name, Path(tmp), a.mode, sample)
    text = markdown(result)
    print(text)
    stem = "run_smoke" if a.smoke else "run"
    a.hasil.mkdir(parents=True, exist_ok=True)
    (a.hasil / f"{stem}.json").write_text(json.dumps(result, indent=2))
    (a.hasil / f"{stem}.md").write_text(text)
    failed = [n for n, w in result["workloads"].items() if "error" in w or w.get("failed")]
    if not (a.smoke or a.tanpa_komponen):
        result["komponen"] = run_komponen(KOMPONEN)
        (a.hasil / f"{stem}.json").write_text(json.dumps(result, indent=2))
        failed += [n for n, k in result["komponen"].items() if k["rc"] != 0]
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
