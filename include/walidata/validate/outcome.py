"""The outcome of validating a dataset: whether it publishes, which records are rejected, and every problem.

Everything comes from the one Great Expectations result (`suite.run`): the same list of checks and verdicts is
what Data Docs show, what `audit.hasil_validasi` records, what `walidata check` prints and what the OPD's
feedback workbook lists. Critical failures block publishing (or, under `muat_sebagian`, reject their records);
warnings are recorded. Each problem is a `Problem` (file, sheet, row, column, region, value, check, reason).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from walidata.catalog import Dataset
from walidata.problems import Problem
from walidata.standardise.records import RECORD_ID
from walidata.standardise.reference import IndeksWilayah

MAX_LISTED = 20  # problems kept per check in audit.hasil_validasi.contoh and shown in Data Docs


class ValidationFailed(RuntimeError):
    """Critical checks failed: the dataset is not published in this run."""


@dataclass
class Outcome:
    dataset: str
    run_id: str
    success: bool
    rows_in: int
    rows_rejected: int
    results: list[dict] = field(default_factory=list)  # one per expectation, as audit.hasil_validasi has it
    problems: list[Problem] = field(default_factory=list)
    data_docs: str | None = None
    karantina: str | None = None
    rejected: list[int] = field(default_factory=list)  # record ids (standardise's RECORD_ID), sorted

    @property
    def label(self) -> str:
        if self.success:
            return "lulus" if not any(not r["success"] for r in self.results) else "lulus dengan peringatan"
        return "gagal"

    @property
    def lines(self) -> list[str]:
        """Every problem as one line of text (for the log, the terminal, audit.load_log.pesan)."""
        return [p.render() for p in self.problems]

    def to_dict(self) -> dict:
        return {**asdict(self), "problems": [p.as_dict() for p in self.problems]}

    @classmethod
    def from_dict(cls, d: dict) -> Outcome:
        return cls(**{**d, "problems": [Problem.from_dict(p) for p in d.get("problems", [])],
                      "rejected": [int(i) for i in d.get("rejected", [])]})


def validate(ds: Dataset, records, totals, wilayah: IndeksWilayah, gx_root: Path, run_id: str,
             today=None, warehouse_url: str | None = None) -> Outcome:
    """Run the dataset's suite on its standardised records and read the verdicts and problems from its result."""
    from walidata.validate.suite import run

    df = records.reset_index(drop=True)
    if RECORD_ID not in df:  # records made by hand (tests); standardise numbers its records itself
        df = df.rename_axis(RECORD_ID).reset_index()
    vr, data_docs = run(ds, df, totals, wilayah, gx_root, run_id, today=today, warehouse_url=warehouse_url)
    by_id = df.set_index(RECORD_ID, drop=False)
    results, problems = [], []
    for r in vr.results:
        entry, found = _read_result(r, by_id)
        results.append(entry)
        problems += found
    return _verdict(ds, run_id, len(df), results, problems, data_docs)


def _read_result(r, by_id) -> tuple[dict, list[Problem]]:
    """One expectation's result: its row for audit.hasil_validasi, and its problems."""
    cfg = r.expectation_config
    check, column = cfg.type, cfg.kwargs.get("column")
    severity = str(getattr(cfg.severity, "value", cfg.severity) or "critical")
    result = r.result or {}
    success = bool(r.success)
    found: list[Problem] = []
    if r.exception_info and r.exception_info.get("raised_exception"):
        success = False
        found.append(Problem(f"pemeriksaan tidak dapat dijalankan: {r.exception_info.get('exception_message')}",
                             check, severity))
    elif not success:
        temuan = (result.get("details") or {}).get("temuan")
        if temuan is not None:
            found = [Problem.from_dict({**t, "check": check, "severity": severity}) for t in temuan]
        else:
            ids = [d[RECORD_ID] for d in (result.get("unexpected_index_list") or []) if isinstance(d, dict)]
            for i in ids:
                found += record_problems(check, column, cfg.kwargs, by_id.loc[int(i)], severity)
        if not found:
            from walidata.validate.expectations import arti_terhitung

            arti = arti_terhitung((cfg.meta or {}).get("arti") or "", cfg.kwargs.get("value_set")) or None
            found.append(Problem(f"tidak terpenuhi: {arti}" if arti else f"{check} ({column or 'tabel'}) gagal",
                                 check, severity))
    sample = [p.render() for p in found[:MAX_LISTED]]
    entry = {"expectation": check, "column": column, "severity": severity, "success": success,
             "unexpected_count": result.get("unexpected_count", len(found) if found else 0), "sample": sample,
             "row_level": any(p.record is not None for p in found)}
    return entry, found


def record_problems(check: str, column: str | None, kwargs: dict, row, severity: str) -> list[Problem]:
    """The problems of one record that failed a built-in expectation, placed at its cell in the OPD's sheet."""
    def at(reason: str, letter) -> Problem:
        return Problem(reason, check, severity, file=row["sumber_file"], sheet=row["sumber_sheet"],
                       row=int(row["sumber_baris"]), column=None if _isna(letter) else letter,
                       region=None if _isna(row["nama_wilayah"]) else row["nama_wilayah"],
                       value=None if _isna(row["nilai"]) else float(row["nilai"]), record=int(row[RECORD_ID]))

    keys = kwargs.get("column_list") or []
    # What the reader found (an unknown name, an unreadable cell) also explains a missing code or key.
    if not _isna(row["masalah"]) and (column in ("masalah", "kode_wilayah") or any(_isna(row[c]) for c in keys)):
        parts = row.get("masalah_rinci")
        if parts is not None and len(parts):
            return [at(p["alasan"], p["kolom"]) for p in parts]
        return [at(row["masalah"], None)]
    letter = row["sumber_kolom_wilayah"] if column in ("kode_wilayah", "nama_wilayah") else row["sumber_kolom_nilai"]
    if keys:
        key = ", ".join(f"{c}={_fmt(row[c])}" for c in keys)
        return [at(f"baris ganda, ({key}) sudah ada di baris lain", letter)]
    args = {k: v for k, v in kwargs.items() if k not in ("column", "batch_id")}
    value = row[column] if column in row.index else None
    return [at(f"{column}={_fmt(value)} melanggar {check} {json.dumps(args, default=str)}", letter)]


def _fmt(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v)) if abs(v) < 1e15 else f"{v:g}"  # 1e308 is not written with 309 digits
    return repr(v) if isinstance(v, str) else str(v)


def _isna(v) -> bool:
    import pandas as pd

    if v is None or isinstance(v, str):
        return v is None
    return False if hasattr(v, "__len__") else bool(pd.isna(v))


def _verdict(ds: Dataset, run_id: str, rows_in: int, results: list[dict], problems: list[Problem],
             data_docs: str | None) -> Outcome:
    """Whether the dataset publishes. Row-level failures block it unless its policy lets the other rows publish;
    a load that would publish nothing fails all the same."""
    partial = ds.kebijakan.muat_sebagian
    rejected = sorted({p.record for p in problems if p.record is not None and p.severity == "critical"})
    if partial and rows_in and len(rejected) == rows_in:
        none = Problem(f"semua {rows_in} baris ditolak: tidak ada angka yang dapat dimuat", "walidata_ada_yang_dimuat")
        results.append({"expectation": none.check, "column": None, "severity": "critical", "success": False,
                        "unexpected_count": rows_in, "row_level": False, "sample": [none.render()]})
        problems = [*problems, none]
    success = not any(not e["success"] and e["severity"] == "critical" and not (partial and e["row_level"])
                      for e in results)
    return Outcome(dataset=ds.id, run_id=run_id, success=success, rows_in=rows_in, rows_rejected=len(rejected),
                   results=results, problems=in_order(problems), data_docs=data_docs, rejected=rejected)


def in_order(problems: list[Problem]) -> list[Problem]:
    """Problems of records first (by record), then the dataset's, then warnings; one per record, place and reason,
    the checks that saw it named together."""
    merged: dict[tuple, Problem] = {}
    for p in problems:
        key = (p.severity, p.record, p.file, p.sheet, p.row, p.column, p.reason)
        if key in merged:
            seen = merged[key]
            checks = seen.check.split(", ")
            if p.check and p.check not in checks:
                merged[key] = Problem(**{**seen.__dict__, "check": ", ".join([*checks, p.check])})
        else:
            merged[key] = p
    rank = {"critical": 0, "warning": 1}
    return sorted(merged.values(), key=lambda p: (rank.get(p.severity, 2), p.record is None,
                                                  p.record if p.record is not None else 0))


def karantina_frame(records, outcome: Outcome):
    """The rejected records, each with the checks it failed and why (for the lake's quarantine zone)."""
    import pandas as pd

    if RECORD_ID not in records:
        records = records.reset_index(drop=True).rename_axis(RECORD_ID).reset_index()
    ids = [int(i) for i in outcome.rejected]
    by_record: dict[int, list[Problem]] = {}
    for p in outcome.problems:
        if p.record is not None and p.severity == "critical":
            by_record.setdefault(p.record, []).append(p)
    q = records.set_index(RECORD_ID, drop=False).loc[ids].reset_index(drop=True)
    q["pemeriksaan"] = pd.array([", ".join(dict.fromkeys(c for p in by_record[i] for c in p.check.split(", ")))
                                 for i in ids], dtype="string")
    q["alasan"] = pd.array(["; ".join(dict.fromkeys(p.render() for p in by_record[i])) for i in ids], dtype="string")
    return q
