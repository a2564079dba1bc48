"""The outcome of validating a dataset: whether it publishes, which rows are rejected and why.

Critical failures block publishing; warnings are recorded. Rows that fail a row-level critical check are
quarantined with the reason, and every problem is named by file, sheet, row and column.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from walidata.catalog import Dataset
from walidata.standardise.reference import RegionIndex
from walidata.validate.checks import (
    _fmt,
    _isna,
    _sum_check,
    consistency_checks,
    published_history,
    walidata_checks,
)
from walidata.validate.suite import MAX_LISTED, RECORD_ID, _checkpoint, gx_context, run_suite, suite_spec


class ValidationFailed(RuntimeError):
    """Critical checks failed: the dataset is not published in this run."""


@dataclass
class Outcome:
    dataset: str
    run_id: str
    success: bool
    rows_in: int
    rows_rejected: int
    results: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    data_docs: str | None = None
    quarantine: str | None = None
    rejected: dict[int, list[list[str]]] = field(default_factory=dict)  # row id → [[expectation, problem], …]

    @property
    def label(self) -> str:
        if self.success:
            return "lulus" if not any(not r["success"] for r in self.results) else "lulus dengan peringatan"
        return "gagal"


def _problem_text(exp: str, column: str | None, kwargs: dict, row) -> str:
    """'file F, sheet S, row R, column C: why' for one failing record."""
    where = f"file {row['sumber_file']}, sheet '{row['sumber_sheet']}', row {row['sumber_baris']}"
    # `masalah` already names its column; it also explains a missing kode_wilayah.
    keys = kwargs.get("column_list") or []
    if not _isna(row["masalah"]) and (column in ("masalah", "kode_wilayah") or any(_isna(row[c]) for c in keys)):
        return f"{where}, {row['masalah']}"
    letter = row["sumber_kolom_wilayah"] if column in ("kode_wilayah", "nama_wilayah") else row["sumber_kolom_nilai"]
    if "column_list" in kwargs:
        cols = kwargs["column_list"]
        key = ", ".join(f"{c}={_fmt(row[c])}" for c in cols)
        return f"{where}, column {letter}: baris ganda, ({key}) sudah ada di baris lain ({exp})"
    args = {k: v for k, v in kwargs.items() if k not in ("column", "batch_id")}
    value = row[column] if column in row.index else None
    return f"{where}, column {letter}: {column}={_fmt(value)} melanggar {exp} {json.dumps(args, default=str)}"


def validate(ds: Dataset, records, totals, region: RegionIndex, gx_root: Path, run_id: str,
             today=None, warehouse_url: str | None = None) -> Outcome:
    """Run the dataset's suite on its standardised records; Data Docs are built from an escaped copy."""
    from great_expectations.core.run_identifier import RunIdentifier

    from walidata.publish.lake import safe

    df = records.reset_index(drop=True).copy()
    if RECORD_ID not in df:  # records made by hand (tests); standardise numbers its records itself
        df.insert(0, RECORD_ID, range(len(df)))
    spec = suite_spec(ds, region, list(records.columns))
    ctx = gx_context(gx_root)
    vr, data_docs = run_suite(ctx, _checkpoint(ctx, ds, spec), df, RunIdentifier(run_name=safe(run_id)))

    results, row_reasons, warnings = [], {}, []
    by_id = df.set_index(RECORD_ID, drop=False)
    for r in vr.results:
        cfg = r.expectation_config
        column = cfg.kwargs.get("column")
        severity = str(getattr(cfg.severity, "value", cfg.severity) or "critical")
        ids = [d[RECORD_ID] for d in (r.result.get("unexpected_index_list") or []) if isinstance(d, dict)]
        entry = {"expectation": cfg.type, "column": column, "severity": severity, "success": bool(r.success),
                 "unexpected_count": r.result.get("unexpected_count"),
                 "sample": [str(v) for v in (r.result.get("partial_unexpected_list") or [])[:MAX_LISTED]],
                 "row_level": bool(ids)}
        if r.exception_info and r.exception_info.get("raised_exception"):
            entry["success"] = False
            entry["sample"] = [str(r.exception_info.get("exception_message"))]
        results.append(entry)
        if entry["success"]:
            continue
        for i in ids:
            row = by_id.loc[int(i)]
            text = _problem_text(cfg.type, column, cfg.kwargs, row)
            if severity == "critical":
                row_reasons.setdefault(int(i), []).append((cfg.type, text))
            else:
                warnings.append(text)
    results.append(_sum_check(records, totals))
    history = published_history(ds, warehouse_url) if ds.kewajaran else None
    for check in [*walidata_checks(ds, df, region, today, history), *consistency_checks(ds, df, warehouse_url)]:
        for i, why in check.pop("rows", {}).items():
            if check["severity"] == "critical":
                row_reasons.setdefault(i, []).append((check["expectation"], why))
            else:
                warnings.append(why)
        results.append(check)

    return _verdict(ds, run_id, len(df), results, row_reasons, warnings, data_docs)


def _verdict(ds: Dataset, run_id: str, rows_in: int, results: list[dict], row_reasons: dict, warnings: list[str],
             data_docs: str | None) -> Outcome:
    """Whether the dataset publishes, and every problem as text. Row-level failures block it unless its policy
    lets the other rows publish; a load that would publish nothing fails all the same."""
    partial = ds.kebijakan.muat_sebagian
    if partial and rows_in and len(row_reasons) == rows_in:
        results.append({"expectation": "walidata_ada_yang_dimuat", "column": None, "severity": "critical",
                        "success": False, "unexpected_count": rows_in, "row_level": False,
                        "sample": [f"semua {rows_in} baris ditolak: tidak ada angka yang dapat dimuat"]})
    problems = list(dict.fromkeys(text for _, reasons in sorted(row_reasons.items()) for _, text in reasons))
    for e in results:
        if not e["success"] and not e["row_level"] and e["severity"] == "critical":
            problems += e["sample"] or [f"{e['expectation']} ({e['column']}) gagal"]
        elif not e["success"] and not e["row_level"] and e["severity"] == "warning":
            warnings += e["sample"] or [f"{e['expectation']} ({e['column']}) gagal"]
    success = not any(not e["success"] and e["severity"] == "critical" and not (partial and e["row_level"])
                      for e in results)
    return Outcome(
        dataset=ds.id, run_id=run_id, success=success, rows_in=rows_in, rows_rejected=len(row_reasons),
        results=results, problems=problems + [f"peringatan: {w}" for w in warnings], data_docs=data_docs,
        rejected={i: [list(x) for x in v] for i, v in row_reasons.items()},
    )


def quarantine_frame(records, outcome: Outcome):
    """The rejected rows, each with the checks it failed and why (for the lake's quarantine zone)."""
    import pandas as pd

    rejected = {int(i): v for i, v in outcome.rejected.items()}  # JSON round trips turn keys into str
    ids = sorted(rejected)
    if RECORD_ID not in records:
        records = records.reset_index(drop=True).rename_axis(RECORD_ID).reset_index()
    q = records.set_index(RECORD_ID, drop=False).loc[ids].reset_index(drop=True)
    q["pemeriksaan"] = pd.array([", ".join(dict.fromkeys(e for e, _ in rejected[i])) for i in ids], dtype="string")
    q["alasan"] = pd.array(["; ".join(dict.fromkeys(t for _, t in rejected[i])) for i in ids], dtype="string")
    return q
