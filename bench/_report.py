"""The Markdown tables of bench/run.py: one per workload, then the targets (measured, never asserted)."""

from __future__ import annotations

STAGES = ("extract", "standardise", "validate", "publish", "indicators")
NATIONAL = 514
BARE = "disdukcapil.penduduk_kecamatan"


def _f(v, fmt: str = ",.1f") -> str:
    return "–" if v is None else format(v, fmt)


def _ratio(a, b) -> str:
    return "–" if not a or not b else f"{a / b:.1f}×"


def stage_total(w: dict, key: str = "seconds") -> float:
    return sum(w["stages"][s].get(key) or 0 for s in STAGES)


def _both(wall: float, cpu: float | None, fmt: str = ".1f", unit: str = "") -> str:
    return f"{wall:{fmt}}{unit}" + ("" if cpu is None else f" (CPU {cpu:{fmt}}{unit})")


def _baseline_rows(w: dict) -> dict[str, tuple[str, float | None]]:
    b = w["baselines"]
    pg = b.get("pg_copy")
    return {
        "extract": ("–", None),
        "standardise": (f"raw python-calamine, {b['cells']:,} cells", b["calamine"]),
        "validate": ("hand-written pandas checks", b["pandas_checks"]),
        "publish": ("DuckDB read_parquet" + (f" (PostgreSQL COPY {pg['seconds']:.2f} s)" if pg else ""),
                    b["duckdb_read_parquet"]),
        "indicators": ("the indicators' SQL, bare DuckDB", (w.get("indicators") or {}).get("bare_sql")),
    }


def workload_table(w: dict) -> list[str]:
    if "error" in w:
        return [f"### {w['workload']}: FAILED ({w['error']})", ""]
    n = len(w["kabkota"])
    lines = [f"### {w['label']}", "",
             f"{n} kab/kota{' (' + ', '.join(w['kabkota']) + ')' if 1 < n <= 20 else ''}, years "
             f"{w['years'][0]}–{w['years'][1]}, {len(w['datasets'])} file datasets"
             f"{' (left out: ' + ', '.join(w['left_out']) + ')' if w.get('left_out') else ''}, {w['files']} files "
             f"({w['inbox_mb']:.1f} MB); run mode **{w['mode']}**"
             f"{' (' + w['mode_note'] + ')' if w['mode_note'] else ''}; warm-up (imports, first GX context) "
             f"{_f(w['warmup_s'])} s, not counted; process peak RSS {w['process_peak_mb']:,.0f} MB; "
             f"{len(w['failed'])} failure(s){': ' + '; '.join(w['failed'][:3]) if w['failed'] else ''}.", "",
             "| stage | wall s | CPU s | rows | rows/s (wall) | peak RSS MB | baseline (same process, same files) "
             "| baseline wall s (CPU) | pipeline ÷ baseline, wall (CPU) |", "|---|--:|--:|--:|--:|--:|---|--:|--:|"]
    base = _baseline_rows(w)
    for s in STAGES:
        st = w["stages"][s]
        rate = st["rows"] / st["seconds"] if st["seconds"] else None
        bname, b = base[s]
        bs, bc = (b or {}).get("seconds"), (b or {}).get("cpu_seconds")
        lines.append(f"| {s} | {st['seconds']:.2f} | {_f(st.get('cpu_seconds'), '.2f')} | {st['rows']:,} "
                     f"| {_f(rate, ',.0f')} | {st['peak_mb']:,.0f} | {bname} "
                     f"| {_f(bs, '.3f')} ({_f(bc, '.3f')}) | {_ratio(st['seconds'], bs)} "
                     f"({_ratio(st.get('cpu_seconds'), bc)}) |")
    lines.append(f"| **total, 5 stages** | **{stage_total(w):.1f}** | **{stage_total(w, 'cpu_seconds'):.1f}** "
                 f"| | | | | | |")
    b = w["baselines"]
    if "bare_pandas" in b:
        one, one_cpu = w["per_dataset_s"].get(BARE), w.get("per_dataset_cpu_s", {}).get(BARE)
        bp = b["bare_pandas"]
        lines.append(f"| one dataset ({BARE}), 4 stages | {_f(one, '.2f')} | {_f(one_cpu, '.2f')} "
                     f"| {b['bare_pandas_rows']:,} (bare) | | | bare pandas script (read, reshape, Parquet, DuckDB) "
                     f"| {bp['seconds']:.3f} ({_f(bp.get('cpu_seconds'), '.3f')}) | {_ratio(one, bp['seconds'])} "
                     f"({_ratio(one_cpu, bp.get('cpu_seconds'))}) |")
    return [*lines, ""]


def _met(ok: bool | None) -> str:
    return "–" if ok is None else ("met" if ok else "**missed**")


def _verdict(wall: float, cpu: float | None, limit: float, above: bool = False) -> str:
    """Met or missed on the wall time, and on the CPU time (what an idle machine's wall time would be near)."""
    def ok(v):
        return v >= limit if above else v <= limit
    return f"wall: {_met(ok(wall))}" + ("" if cpu is None else f"; CPU: {_met(ok(cpu))}")


def _one_dataset(w: dict) -> tuple[float, float | None]:
    b = w["baselines"]["bare_pandas"]
    cpu = w.get("per_dataset_cpu_s", {}).get(BARE)
    return w["per_dataset_s"][BARE] / b["seconds"], (cpu / b["cpu_seconds"] if cpu and b.get("cpu_seconds") else None)


def _times(w: dict, datasets: list[str], key: str) -> float:
    return sum(w.get(key, {}).get(d, 0) for d in datasets)


def targets(ws: dict) -> list[str]:
    ok = {k: w for k, w in ws.items() if "error" not in w}
    rows = []
    if "provinsi" in ok:
        w = ok["provinsi"]
        t, c = stage_total(w), stage_total(w, "cpu_seconds") or None
        rows.append(("province night in process ≤ 3 min", f"{_both(t / 60, c and c / 60, unit=' min')} "
                     f"({w['mode']} mode, 5 stages, warm-up not counted)", _verdict(t, c, 180)))
    if "katingan10" in ok and "bare_pandas" in ok["katingan10"]["baselines"]:
        r, rc = _one_dataset(ok["katingan10"])
        rows.append(("one dataset ≤ 3× the hand-written baseline at Katingan ×10",
                     f"{_both(r, rc, unit='×')} ({BARE})", _verdict(r, rc, 3)))
    if "katingan" in ok:
        w, st = ok["katingan"], ok["katingan"]["stages"]["standardise"]
        b = w["baselines"]["calamine"]
        r = b["seconds"] / st["seconds"]
        rc = b["cpu_seconds"] / st["cpu_seconds"] if st.get("cpu_seconds") and b.get("cpu_seconds") else None
        rows.append(("reader ≥ 0.5× raw calamine (cells/s) on the sample",
                     f"{_both(r, rc, '.2f', '×')} (whole standardise stage: read, locate, tidy, Parquet, lineage)",
                     _verdict(r, rc, 0.5, above=True)))
    if "nasional" in ok:
        rows += _national(ok["nasional"])
    if "katingan" in ok and "katingan10" in ok:
        one, ten = ok["katingan"], ok["katingan10"]
        common = sorted(set(one["per_dataset_s"]) & set(ten["per_dataset_s"]))
        r = _times(ten, common, "per_dataset_s") / _times(one, common, "per_dataset_s")
        c1 = _times(one, common, "per_dataset_cpu_s")
        rc = _times(ten, common, "per_dataset_cpu_s") / c1 if c1 else None
        ri = _ratio(ten["stages"]["indicators"]["seconds"], one["stages"]["indicators"]["seconds"])
        rows.append(("×10 data → ≤ ×11 time", f"{_both(r, rc, unit='×')} (Katingan ×10 / ×1, 4 file stages of the "
                     f"{len(common)} datasets in both; indicators ×{ri.rstrip('×')})", _verdict(r, rc, 11)))
    peak = max((w["process_peak_mb"] for w in ok.values()), default=None)
    if peak is not None:
        rows.append(("peak RSS of every workload process ≤ 2 GB", f"{peak:,.0f} MB (largest)", _met(peak <= 2048)))
    return ["| target | measured | verdict |", "|---|---|---|", *(f"| {a} | {b} | {c} |" for a, b, c in rows), ""]


def _national(w: dict) -> list[tuple[str, str, str]]:
    n = len(w["kabkota"])
    f = NATIONAL / n
    t, c = stage_total(w) * f, (stage_total(w, "cpu_seconds") * f) or None
    how = "measured" if n == NATIONAL else f"extrapolated ×{f:.0f} from {n} kab/kota"
    return [("national ≤ 90 min", f"{_both(t / 60, c and c / 60, '.0f', ' min')} ({how}, one process, {w['mode']} "
             "mode)", _verdict(t, c, 5400)),
            ("every process's peak RSS ≤ 2 GB (national)", f"{w['process_peak_mb']:,.0f} MB (measured on {n} "
             "kab/kota in one process; not measured at 514)", _met(w["process_peak_mb"] <= 2048))]


def markdown(result: dict) -> str:
    m = result["machine"]
    lines = [f"Run {result['started']} — `{result['command']}`; {m['cores']} cores, {m['mem_gb']} GB, Python "
             f"{m['python']}, load average at start {m['loadavg_at_start']}.", "", "### Targets", "",
             *targets(result["workloads"])]
    for w in result["workloads"].values():
        lines += workload_table(w)
    return "\n".join(lines)
