"""Great Expectations on mart.indikator_nilai, before the values are committed.

The suite `mart.indikator_nilai` checks, per indicator: its declared range (a percentage 0-100, a ratio above
zero), that every region and period in scope has exactly one cell (completeness: a missing cell is a value
silently dropped), that a value exists wherever the status says `tersedia` and nowhere else, and, as warnings,
year-over-year changes beyond the indicator's declared tolerance. A critical failure rolls the run back (the
values in force stay); warnings are recorded. Every check lands in audit.hasil_validasi, and the result gets a
Data Docs page like the datasets' (served offline by the plugin).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

import sqlalchemy as sa

from walidata.serve.indikator.hitung import Lingkup
from walidata.serve.indikator.spec import Deklarasi

NAME = "mart.indikator_nilai"
STATUS = ["tersedia", "tidak_tersedia", "input_belum_tersedia", "tidak_terdefinisi"]
RECORD_ID = "rekaman_id"


class MartGagal(RuntimeError):
    """A critical check of the mart failed: nothing of this run is published."""


@dataclass
class HasilMart:
    sukses: bool
    gagal: list[dict]  # failed checks: pemeriksaan, kolom, tingkat, jumlah_gagal, contoh
    data_docs: str | None
    semua: list[dict]  # every check, passed or not (for audit.hasil_validasi)


def frame(conn: sa.Connection, decls: list[Deklarasi], scope: Lingkup):
    """The values in force as the run would commit them, with one empty row for each cell in scope that has no
    row (completeness), each value's year-over-year change, and each indicator's declared bounds beside it (so
    one expectation checks every indicator's range, whatever their number)."""
    import pandas as pd

    df = pd.read_sql(sa.text("SELECT indikator, kode_wilayah, periode, nilai, status FROM "
                             "mart.indikator_nilai__riwayat WHERE berlaku_sampai IS NULL"), conn)
    expected = pd.DataFrame([(d.kode, r, p) for d in decls for j in d.indikator.periode for r, p in scope.cells(d, j)],
                            columns=["indikator", "kode_wilayah", "periode"])
    df = expected.merge(df, how="outer", on=["indikator", "kode_wilayah", "periode"])
    yearly = df[df.periode.str.len() == 4].copy()
    yearly["tahun_berikut"] = (yearly.periode.astype(int) + 1).astype(str)
    prev = yearly[["indikator", "kode_wilayah", "tahun_berikut", "nilai"]].rename(
        columns={"tahun_berikut": "periode", "nilai": "nilai_sebelumnya"})
    df = df.merge(prev, how="left", on=["indikator", "kode_wilayah", "periode"])
    df["perubahan_tahunan"] = (df.nilai / df.nilai_sebelumnya - 1).abs().where(df.nilai_sebelumnya > 0)
    bounds = pd.DataFrame([_bounds(d) for d in decls],
                          columns=["indikator", "batas_bawah", "batas_bawah_ketat", "batas_atas", "toleransi"])
    df = df.merge(bounds, how="left", on="indikator")
    df[RECORD_ID] = range(len(df))
    return df.drop(columns=["nilai_sebelumnya"])


def _bounds(d: Deklarasi) -> tuple:
    r = d.indikator.rentang
    strict = 0.0 if r.lebih_dari_nol and r.min is None else None
    return d.kode, r.min, strict, r.maks, d.indikator.toleransi_perubahan


def spec() -> list[dict]:
    def one(kind, severity, **kw):
        return {"expectation": kind, "kwargs": kw, "severity": severity}

    def pair(a, b, or_equal, severity="critical"):
        return one("expect_column_pair_values_a_to_be_greater_than_b", severity, column_A=a, column_B=b,
                   or_equal=or_equal, ignore_row_if="either_value_is_missing")

    return [one("expect_compound_columns_to_be_unique", "critical",
                column_list=["indikator", "kode_wilayah", "periode"]),
            one("expect_column_values_to_not_be_null", "critical", column="status"),
            one("expect_column_values_to_be_in_set", "critical", column="status", value_set=STATUS),
            one("expect_column_values_to_not_be_null", "critical", column="nilai", row_condition='status=="tersedia"',
                condition_parser="pandas"),
            one("expect_column_values_to_be_null", "critical", column="nilai", row_condition='status!="tersedia"',
                condition_parser="pandas"),
            pair("nilai", "batas_bawah", True),  # the declared range: a percentage 0-100, a count from 0
            pair("nilai", "batas_bawah_ketat", False),  # a ratio: above zero
            pair("batas_atas", "nilai", True),
            pair("toleransi", "perubahan_tahunan", True, "warning")]  # year-over-year jumps: warnings


def _checkpoint(ctx, checks: list[dict]):
    import great_expectations as gx
    from walidata.validate.suite import build_expectations, whole_frame_batch

    fingerprint = hashlib.sha256(json.dumps(checks, sort_keys=True, default=str).encode()).hexdigest()[:16]
    try:  # rewritten only when the checks change: the suite's files stay as committed
        if (ctx.suites.get(NAME).meta or {}).get("walidata_fingerprint") == fingerprint:
            return ctx.checkpoints.get(NAME)
    except Exception:  # GX raises DataContextError subclasses for a missing suite or checkpoint
        pass
    suite = ctx.suites.add_or_update(gx.ExpectationSuite(
        name=NAME, expectations=build_expectations(checks),
        meta={"walidata_fingerprint": fingerprint, "dibangun_dari": "include/indikator/marts/*/*.yaml"}))
    vd = ctx.validation_definitions.add_or_update(gx.ValidationDefinition(name=NAME, data=whole_frame_batch(ctx, NAME),
                                                                          suite=suite))
    return ctx.checkpoints.add_or_update(gx.Checkpoint(name=NAME, validation_definitions=[vd], actions=[]))


def _pair_failures(df, kw):
    a, b = df[kw["column_A"]], df[kw["column_B"]]
    bad = df[a.notna() & b.notna() & ~((a >= b) if kw.get("or_equal") else (a > b))]
    return bad[["indikator", "kode_wilayah", "periode", "nilai", "status"]].head(5)


def _failed(vr, df) -> list[dict]:
    out = []
    for r in vr.results:
        cfg = r.expectation_config
        kw = cfg.kwargs
        columns = kw.get("column_list") or [c for c in (kw.get("column_A"), kw.get("column_B")) if c]
        row = {"pemeriksaan": cfg.type, "kolom": kw.get("column") or ",".join(columns),
               "tingkat": str(getattr(cfg.severity, "value", cfg.severity) or "critical"), "sukses": bool(r.success),
               "kondisi": kw.get("row_condition"), "jumlah_gagal": None, "contoh": None}
        if not r.success:
            res = r.result or {}
            row["jumlah_gagal"] = res.get("unexpected_count")
            ids = [i.get(RECORD_ID) if isinstance(i, dict) else i for i in (res.get("unexpected_index_list") or [])][:5]
            sample = df[df[RECORD_ID].isin(ids)][["indikator", "kode_wilayah", "periode", "nilai", "status"]]
            if not ids and cfg.type.startswith("expect_column_pair"):  # GX lists pair failures by value only
                sample = _pair_failures(df, kw)
            row["contoh"] = sample.to_json(orient="records", force_ascii=False) if len(sample) else None
        out.append(row)
    return out


def periksa(conn: sa.Connection, decls: list[Deklarasi], scope: Lingkup, gx_root, run_id: str) -> HasilMart:
    """Validate the mart as this run's transaction holds it (before commit)."""
    from great_expectations.core.run_identifier import RunIdentifier

    from walidata.publish.lake import safe
    from walidata.validate.suite import data_docs, gx_context, validate

    df = frame(conn, decls, scope)
    ctx = gx_context(gx_root)
    checkpoint = _checkpoint(ctx, spec())
    vr = validate(checkpoint, df, {}, RunIdentifier(run_name=safe(run_id)))
    rows = _failed(vr, df)
    failed = [r for r in rows if not r["sukses"]]
    return HasilMart(not any(r["tingkat"] == "critical" for r in failed), failed, data_docs(ctx, vr), rows)


def catat(conn: sa.Connection, hasil: HasilMart, run_id: str) -> None:
    """Every check of the run in audit.hasil_validasi: the evidence, kept also when the run is rolled back."""
    when = dt.datetime.now(dt.UTC)
    conn.execute(sa.text(
        "INSERT INTO audit.hasil_validasi (run_id, dataset, pemeriksaan, kolom, tingkat, sukses, jumlah_gagal, contoh, "
        "diperiksa_pada) VALUES (:run_id, :dataset, :pemeriksaan, :kolom, :tingkat, :sukses, :jumlah_gagal, :contoh, "
        ":w)"), [{**{k: v for k, v in r.items() if k != "kondisi"}, "run_id": run_id, "dataset": NAME,
                  "pemeriksaan": r["pemeriksaan"] + (f" [{r['kondisi']}]" if r["kondisi"] else ""), "w": when}
                 for r in hasil.semua])


def pesan(hasil: HasilMart) -> str:
    return "pemeriksaan mart.indikator_nilai gagal: " + "; ".join(
        f"{r['pemeriksaan']} {r['kondisi'] or ''} ({r['jumlah_gagal']} baris, contoh {r['contoh']})"
        for r in hasil.gagal if r["tingkat"] == "critical")
