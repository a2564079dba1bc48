"""Validate: a Great Expectations suite built from the catalog, run through the project's GX file context.

Critical failures block publishing; warnings are recorded. Rows that fail a row-level critical check are
quarantined with the reason, and every problem is named by file, sheet, row and column.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from walidata.catalog import Dataset
from walidata.safe_text import visible
from walidata.standardise.periode import PERIODE_RE
from walidata.standardise.records import STATUSES
from walidata.standardise.reference import RegionIndex

log = logging.getLogger(__name__)

ROW_ID = "_baris_id"
DATASOURCE = "walidata"
BATCH = "seluruh"
SUM_CHECK = "walidata_jumlah_kecamatan_sama_dengan_total"
MAX_LISTED = 20


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


def _camel(name: str) -> str:
    return "".join(p.capitalize() for p in name.split("_"))


def region_codes(ds: Dataset, region: RegionIndex) -> list[str]:
    """The codes a dataset's rows may carry, at its tingkat_wilayah."""
    if ds.tingkat_wilayah in ("provinsi", "kabupaten"):
        return [region.ours(ds.tingkat_wilayah)]
    return sorted(region.desa if ds.tingkat_wilayah == "desa" else region.kecamatan)


def suite_spec(ds: Dataset, region: RegionIndex, columns: list[str]) -> list[dict]:
    """The expectations for a dataset: structural ones from its declaration, then its own `pemeriksaan`."""
    keys = ["variabel", "kode_wilayah", "periode", *ds.breakdowns]
    codes = region_codes(ds, region)
    spec = [
        {"expectation": "expect_table_columns_to_match_set", "kwargs": {"column_set": [ROW_ID, *columns],
                                                                          "exact_match": True}},
        {"expectation": "expect_column_values_to_be_null", "kwargs": {"column": "masalah"},
         "meta": {"arti": "sel terbaca sebagai angka dan nama wilayah dikenal"}},
        {"expectation": "expect_column_values_to_not_be_null", "kwargs": {"column": "kode_wilayah"}},
        {"expectation": "expect_column_values_to_be_in_type_list",
         "kwargs": {"column": "nilai", "type_list": ["float64", "Float64", "float"]}},
        {"expectation": "expect_column_values_to_be_in_set", "kwargs": {"column": "kode_wilayah", "value_set": codes}},
        {"expectation": "expect_column_values_to_be_in_set",
         "kwargs": {"column": "variabel", "value_set": ds.variabel_list}},
        {"expectation": "expect_column_values_to_match_regex",
         "kwargs": {"column": "periode", "regex": PERIODE_RE.pattern}},
        {"expectation": "expect_column_values_to_be_in_set", "kwargs": {"column": "status", "value_set": STATUSES}},
        {"expectation": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": keys}},
    ]
    if ds.sumber.agregasi is None:  # an event log covers only the places where something happened
        spec.append({"expectation": "expect_column_distinct_values_to_contain_set",
                     "kwargs": {"column": "kode_wilayah", "value_set": codes},
                     "meta": {"arti": f"semua {len(codes)} wilayah ({ds.tingkat_wilayah}) ada"}})
    for dim, allowed in ds.rincian.items():
        spec.append({"expectation": "expect_column_values_to_be_in_set",
                     "kwargs": {"column": dim, "value_set": allowed}})
    for c in spec:
        c.setdefault("severity", "critical")
    spec += [{"expectation": p.expectation, "kwargs": dict(p.kwargs), "severity": p.severity} for p in ds.pemeriksaan]
    return spec


def build_expectations(spec: list[dict]):
    import great_expectations as gx

    out = []
    for s in spec:
        cls = getattr(gx.expectations, _camel(s["expectation"]), None)
        if cls is None:
            raise ValueError(f"unknown Great Expectations expectation {s['expectation']!r}")
        out.append(cls(**s["kwargs"], severity=s["severity"], meta=s.get("meta")))
    return out


def gx_context(root: Path):
    import great_expectations as gx

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)  # its INFO lines drown the task log
    return gx.get_context(mode="file", context_root_dir=str(root))


def _checkpoint(ctx, ds: Dataset, spec: list[dict]):
    """The dataset's checkpoint; suite, validation definition and checkpoint are rewritten only on change."""
    import great_expectations as gx

    fingerprint = hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:16]
    try:
        source = ctx.data_sources.get(DATASOURCE)
    except (KeyError, ValueError):
        source = ctx.data_sources.add_pandas(name=DATASOURCE)
    try:
        asset = source.get_asset(ds.id)
    except LookupError:
        asset = source.add_dataframe_asset(name=ds.id)
    try:
        batch = asset.get_batch_definition(BATCH)
    except (KeyError, ValueError, LookupError):
        batch = asset.add_batch_definition_whole_dataframe(BATCH)
    try:
        suite = ctx.suites.get(ds.id)
        same = (suite.meta or {}).get("walidata_fingerprint") == fingerprint
    except Exception:  # GX raises DataContextError subclasses for a missing suite
        suite, same = None, False
    if same:
        try:
            return ctx.checkpoints.get(ds.id)
        except Exception:
            pass
    suite = ctx.suites.add_or_update(gx.ExpectationSuite(
        name=ds.id, expectations=build_expectations(spec),
        meta={"walidata_fingerprint": fingerprint, "dibangun_dari": f"include/catalog/{ds.opd}/{ds.name}.yaml"}))
    vd = ctx.validation_definitions.add_or_update(gx.ValidationDefinition(name=ds.id, data=batch, suite=suite))
    return ctx.checkpoints.add_or_update(gx.Checkpoint(
        name=ds.id, validation_definitions=[vd],
        actions=[gx.checkpoint.UpdateDataDocsAction(name="perbarui_data_docs")],
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_ID]},
    ))


def _fmt(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v)) if abs(v) < 1e15 else f"{v:g}"  # 1e308 is not written with 309 digits
    return repr(v) if isinstance(v, str) else str(v)


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


def _isna(v) -> bool:
    import pandas as pd

    return v is None or bool(pd.isna(v))


def _sum_check(records, totals) -> dict:
    """A total row ('Jumlah', 'Jumlah 2024', 'Kabupaten …', a province row in a kabupaten list) equals the sum of
    the rows above it in its column, back to the previous total row of that column (so yearly subtotals in one
    sheet work too), or of the rows below it when the table puts its totals first. Rows of other regions, set
    aside from publishing, count here too: they are part of what the total sums."""
    import numpy as np
    import pandas as pd

    failures = []
    keys = ["sumber_file", "sumber_sheet", "sumber_kolom_nilai"]
    parts = totals[totals["jenis"] == "lain"].rename(columns={"nilai_total": "nilai", "sumber_kolom": keys[2]})
    rows_of = pd.concat([records[[*keys, "sumber_baris", "nilai"]], parts[[*keys, "sumber_baris", "nilai"]]])
    groups = {k: g for k, g in rows_of.groupby(keys, dropna=False)}
    for key, tg in totals[totals["jenis"] == "total"].groupby(["sumber_file", "sumber_sheet", "sumber_kolom"],
                                                              dropna=False):
        g = groups.get(key)
        if g is None:
            continue
        rows = g["sumber_baris"].to_numpy()
        vals = g["nilai"].to_numpy(dtype="float64", na_value=np.nan)
        bounds = [0, *sorted(tg["sumber_baris"]), np.inf]
        for k, t in enumerate(tg.sort_values("sumber_baris").itertuples(index=False), start=1):
            if not _isna(t.masalah):  # a total that cannot be read cannot vouch for the rows above it
                failures.append(f"file {t.sumber_file}, sheet '{t.sumber_sheet}', row {t.sumber_baris}, column "
                                f"{t.sumber_kolom}: baris jumlah: {t.masalah}")
                continue
            if _isna(t.nilai_total):
                continue
            segments = [vals[(rows > bounds[k - 1]) & (rows < t.sumber_baris)],
                        vals[(rows > t.sumber_baris) & (rows < bounds[k + 1])]]
            checkable = [seg for seg in segments if len(seg) and not np.isnan(seg).any()]
            if not checkable:
                continue  # a missing value ('…', 'x') makes the sum uncheckable, not wrong
            sums = [float(seg.sum()) for seg in checkable]
            if not any(abs(got - float(t.nilai_total)) <= 1e-6 * max(1.0, abs(got)) for got in sums):
                failures.append(
                    f"file {t.sumber_file}, sheet '{t.sumber_sheet}', row {t.sumber_baris}, column "
                    f"{t.sumber_kolom}: total {t.nilai_total:g} tidak sama dengan jumlah baris di atasnya "
                    f"{sums[0]:g}" + (f" (di bawahnya {sums[1]:g})" if len(sums) > 1 else ""))
    return {"expectation": SUM_CHECK, "column": "nilai", "severity": "critical", "success": not failures,
            "unexpected_count": len(failures), "sample": failures[:MAX_LISTED], "row_level": False}


LAG_DAYS = {"harian": 7, "mingguan": 21, "bulanan": 92, "triwulanan": 183, "semesteran": 365, "tahunan": 730}


def periode_end(p: str):
    """Last day of a canonical period (YYYY, YYYY-Sn, YYYY-Qn, YYYY-MM)."""
    import datetime as dt

    y = int(p[:4])
    if len(p) == 4:
        m = 12
    elif p[5] == "S":
        m = 6 * int(p[6])
    elif p[5] == "Q":
        m = 3 * int(p[6])
    else:
        m = int(p[5:7])
    return dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)


def _where_row(row) -> str:
    return (f"file {row['sumber_file']}, sheet '{row['sumber_sheet']}', row {int(row['sumber_baris'])}, "
            f"column {row['sumber_kolom_nilai']}")


def published_history(ds: Dataset, warehouse_url: str | None):
    """The dataset's current figures in the warehouse (for plausibility against the previous period)."""
    import pandas as pd
    import sqlalchemy as sa

    cols = ["variabel", "kode_wilayah", "periode", *ds.breakdowns, "nilai"]
    if not warehouse_url:
        return pd.DataFrame(columns=cols)
    from walidata.publish import warehouse as load

    with load.engine_for(warehouse_url) as engine, load.connect(engine) as conn:
        try:
            rows = conn.execute(sa.text(f"SELECT {', '.join(load.ident(c) for c in cols)} "
                                        f"FROM fact.{load.ident(ds.fact_table)}")).all()
        except sa.exc.DBAPIError:  # not published yet
            rows = []
    return pd.DataFrame([tuple(r) for r in rows], columns=cols)


def walidata_checks(ds: Dataset, df, region: RegionIndex, today=None, history=None) -> list[dict]:
    """Checks GX has no expectation for: completeness per period, parts ≤ wholes, plausibility against the
    previous period, freshness against the update schedule. Row-level ones carry `rows`: {row id: why}."""
    import datetime as dt

    today = today or dt.date.today()
    out = [magnitude_check(df)]
    ok = df[df["masalah"].isna() & df["kode_wilayah"].notna() & df["periode"].notna()]
    keys = ["kode_wilayah", "periode", *ds.breakdowns]
    if ds.sumber.agregasi is None:
        codes = set(region_codes(ds, region))
        names = {**{k: w.nama for k, w in region.kecamatan.items()}, **{k: w.nama for k, w in region.desa.items()},
                 region.region: region.kabupaten.nama, region.provinsi.kode_kemendagri: region.provinsi.nama}
        missing = []
        for (var, per), g in ok.groupby(["variabel", "periode"], sort=True):
            gone = sorted(codes - set(g["kode_wilayah"]))
            if gone:
                shown = ", ".join(f"{c} ({names.get(c, '?')})" for c in gone[:5])
                missing.append(f"periode {per}, variabel {var}: tidak ada angka untuk {len(gone)} wilayah: {shown}"
                               + (" …" if len(gone) > 5 else ""))
        # With partial loads a quarantined row leaves a gap by design: reported, not blocking.
        out.append({"expectation": "walidata_lengkap_per_periode", "column": "kode_wilayah",
                    "severity": "warning" if ds.kebijakan.muat_sebagian else "critical", "success": not missing,
                    "unexpected_count": len(missing),
                    "sample": missing[:MAX_LISTED], "row_level": False})
    for b in ds.bagian_keseluruhan:
        part = ok[ok["variabel"] == b.bagian].set_index(keys)
        whole = ok[ok["variabel"] == b.keseluruhan].set_index(keys)["nilai"]
        joined = part.join(whole.rename("_whole"), how="inner")
        bad = joined[joined["nilai"] > joined["_whole"]]
        rows = {int(r[ROW_ID]): f"{_where_row(r)}: {b.bagian} = {_fmt(r['nilai'])} melebihi {b.keseluruhan} = "
                                f"{_fmt(r['_whole'])}" for _, r in bad.iterrows()}
        out.append({"expectation": f"walidata_{b.bagian}_tidak_melebihi_{b.keseluruhan}", "column": "nilai",
                    "severity": b.severity, "success": not rows, "unexpected_count": len(rows),
                    "sample": list(rows.values())[:MAX_LISTED], "row_level": bool(rows), "rows": rows})
    if ds.kewajaran is not None:
        out.append(plausibility_check(ds, ok, history))
    out.append(population_check(ds, ok, region))
    if ds.kesegaran is not None and len(ok):
        latest = max(ok["periode"], key=periode_end)
        lag = LAG_DAYS[ds.metadata.jadwal_pemutakhiran]
        stale = periode_end(latest) + dt.timedelta(days=lag) < today
        msg = (f"periode terakhir {latest} (berakhir {periode_end(latest)}) lebih tua dari jadwal "
               f"{ds.metadata.jadwal_pemutakhiran} (paling lama {lag} hari setelah akhir periode; hari ini {today})")
        out.append({"expectation": "walidata_data_mutakhir", "column": "periode", "severity": ds.kesegaran,
                    "success": not stale, "unexpected_count": int(stale), "sample": [msg] if stale else [],
                    "row_level": False})
    return out


MAX_MAGNITUDE = 2.0 ** 53  # beyond it a float64 no longer holds every whole number; no regional figure comes near
NO_VALUE = {"tidak_tersedia", "rahasia"}  # statuses that carry no number


def magnitude_check(df) -> dict:
    """A figure is a finite number of a size a statistic can have: infinity (a cell or a sum that overflowed),
    NaN where the status promises a number, or a size beyond ±2^53 is an error of its row, whatever the catalog
    declares."""
    import numpy as np

    scope = df[df["masalah"].isna()]
    v = scope["nilai"].to_numpy(dtype="float64", na_value=np.nan)
    promised = ~scope["status"].isin(NO_VALUE).to_numpy(dtype=bool)
    with np.errstate(invalid="ignore"):
        bad = np.isinf(v) | (np.abs(v) > MAX_MAGNITUDE) | (np.isnan(v) & promised)
    limit = f"{int(MAX_MAGNITUDE):,}".replace(",", ".")
    rows = {}
    for (_, r), x in zip(scope[bad].iterrows(), v[bad], strict=True):
        if np.isnan(x):
            why = f"bukan angka (NaN) padahal berstatus {r['status']}"
        elif np.isinf(x):
            why = "tak hingga: sel atau jumlahnya meluap, bukan angka yang dapat dimuat"
        else:
            why = f"melebihi batas ±{limit}: bukan angka yang mungkin untuk statistik wilayah"
        rows[int(r[ROW_ID])] = f"{_where_row(r)}: {r['variabel']} = {_fmt(float(x))} {why}"
    return {"expectation": "walidata_nilai_terhingga", "column": "nilai", "severity": "critical",
            "success": not rows, "unexpected_count": len(rows), "sample": list(rows.values())[:MAX_LISTED],
            "row_level": bool(rows), "rows": rows}


def plausibility_check(ds: Dataset, ok, history) -> dict:
    """`kewajaran`: a figure that moves more than the tolerance from its previous period (in this load or
    already published), or a 0 just before a sizeable figure (a region not yet formed, 'no data' written 0)."""
    import pandas as pd

    k = ds.kewajaran
    keys = ["kode_wilayah", "periode", *ds.breakdowns]
    scope = ok
    if history is not None and len(history):
        # Published periods that this load does not cover are the 'previous period' of its first one.
        past = history[~history["periode"].isin(set(ok["periode"]))].assign(**{ROW_ID: -1})
        scope = pd.concat([ok, past], ignore_index=True)
    scope = scope[scope["variabel"].isin(k.variabel)] if k.variabel else scope
    series = scope.assign(_jenis=scope["periode"].str.len()).sort_values([*keys[:1], "periode"])
    by = series.groupby(["variabel", "kode_wilayah", *ds.breakdowns, "_jenis"])
    series = series.assign(_prev=by["nilai"].shift(), _prev_per=by["periode"].shift(),
                           _next=by["nilai"].shift(-1), _next_per=by["periode"].shift(-1))
    change = (series["nilai"] - series["_prev"]).abs() / series["_prev"]
    bad = series[(series["_prev"] >= k.minimum) & (change * 100 > k.persen) & (series[ROW_ID] >= 0)]
    rows = {int(r[ROW_ID]): f"{_where_row(r)}: {r['variabel']} = {_fmt(r['nilai'])} berubah "
                            f"{100 * (r['nilai'] - r['_prev']) / r['_prev']:+.0f}% dari {_fmt(r['_prev'])} "
                            f"({r['_prev_per']}), batas {k.persen:g}%" for _, r in bad.iterrows()}
    zero = series[(series["nilai"] == 0) & (series["_next"] >= k.minimum) & (series[ROW_ID] >= 0)]
    rows |= {int(r[ROW_ID]): f"{_where_row(r)}: {r['variabel']} = 0 lalu {_fmt(r['_next'])} ({r['_next_per']}): "
                             f"angka 0 tidak wajar (wilayah belum ada, atau data kosong ditulis 0?)"
             for _, r in zero.iterrows()}
    return {"expectation": "walidata_perubahan_wajar", "column": "nilai", "severity": k.severity,
            "success": not rows, "unexpected_count": len(rows), "sample": list(rows.values())[:MAX_LISTED],
            "row_level": bool(rows), "rows": rows}


POPULATION_UNITS = {"jiwa", "orang", "penduduk", "kk", "keluarga", "rumah tangga", "ruta", "murid", "siswa",
                    "peserta didik", "bayi", "balita", "anak", "pasangan", "pus", "akseptor", "peserta", "kelahiran"}
POPULATION_MARGIN = 1.1  # sources differ (Dukcapil vs BPS projection, later years): a margin, not a tolerance
TOTAL_WORDS = {"jumlah", "total", "semua", "jumlah total"}


def population_bounds(ds: Dataset) -> dict[str, float]:
    """{variabel: ratio} for people-like quantities: a figure may not exceed ratio × its region's population."""
    out: dict[str, float] = {}
    for k in ds.nilai_kolom:
        satuan = (k.satuan or ds.metadata.satuan).strip().lower()
        ratio = k.batas_penduduk if k.batas_penduduk is not None else (
            POPULATION_MARGIN if satuan in POPULATION_UNITS else None)
        if isinstance(ratio, float | int) and not isinstance(ratio, bool):
            var = k.variabel or ds.variabel
            out[var] = min(out.get(var, ratio), float(ratio))
    return out


def population_check(ds: Dataset, ok, region: RegionIndex) -> dict:
    """People can not outnumber the population: a figure above its region's population (ref.wilayah, Dukcapil),
    a kecamatan or desa above its kabupaten, or the sum of a figure's breakdowns (or of all kecamatan) above it,
    is an error. This is what catches a national or provincial sum taken as one kabupaten's."""
    bounds = population_bounds(ds)
    g, level = region.g, ds.tingkat_wilayah
    scope_level = "provinsi" if level == "provinsi" else "kabupaten"
    rows: dict[int, str] = {}
    scoped = ok[ok["variabel"].isin(bounds)]
    if len(scoped):
        scope = scoped["kode_wilayah"].map(lambda c: g.ancestor(c, scope_level))
        pop = scope.map(lambda c: g.w[c].penduduk_total if c in g.w else None).astype("float64")
        limit = scoped["variabel"].map(bounds) * pop
        for _, r in scoped[scoped["nilai"] > limit].iterrows():
            w = g.w[g.ancestor(r["kode_wilayah"], scope_level)]
            rows[int(r[ROW_ID])] = (f"{_where_row(r)}: {r['variabel']} = {_fmt(r['nilai'])} melebihi penduduk "
                                    f"{w.nama} ({_fmt(w.penduduk_total)}, Dukcapil) × {bounds[r['variabel']]:g}")
        additive = {k.variabel or ds.variabel for k in ds.nilai_kolom if k.aditif} - {
            k.variabel or ds.variabel for k in ds.nilai_kolom if not k.aditif}
        if not any(_norm_label(v) in TOTAL_WORDS for vals in ds.rincian.values() for v in vals):
            summed = scoped.assign(_scope=scope, _limit=limit)
            summed = summed[summed["variabel"].isin(additive)]
            for (var, per, sc), grp in summed.groupby(["variabel", "periode", "_scope"]):
                total = grp["nilai"].sum()
                if total > grp["_limit"].iloc[0]:
                    w = g.w[sc]
                    why = (f"jumlah {var} periode {per} di {w.nama} = {_fmt(total)} melebihi penduduk "
                           f"{w.nama} ({_fmt(w.penduduk_total)}, Dukcapil) × {bounds[var]:g}")
                    for _, r in grp.iterrows():
                        rows.setdefault(int(r[ROW_ID]), f"{_where_row(r)}: {why}")
    return {"expectation": "walidata_tidak_melebihi_penduduk", "column": "nilai", "severity": "critical",
            "success": not rows, "unexpected_count": len(rows), "sample": list(rows.values())[:MAX_LISTED],
            "row_level": bool(rows), "rows": rows}


def _norm_label(v: str) -> str:
    return " ".join(str(v).lower().replace("_", " ").split())


def consistency_checks(ds: Dataset, df, warehouse_url: str | None) -> list[dict]:
    """`konsistensi`: this load against another dataset's current figures in the warehouse."""
    import sqlalchemy as sa

    out = []
    if not ds.konsistensi:
        return out
    ok = df[df["masalah"].isna()]
    for k in ds.konsistensi:
        name = f"walidata_konsisten_dengan_{k.dataset.replace('.', '__')}"
        other = {}
        if warehouse_url:
            from walidata.publish import warehouse as load

            with load.engine_for(warehouse_url) as engine, load.connect(engine) as conn:
                try:
                    rows = conn.execute(sa.text(
                        "SELECT kode_wilayah, periode, SUM(nilai) FROM fact.observasi WHERE dataset = :d AND "
                        "variabel = :v GROUP BY kode_wilayah, periode"), {"d": k.dataset, "v": k.variabel_lain})
                    other = {(a, b): c for a, b, c in rows}
                except sa.exc.DBAPIError:  # a new warehouse has no fact.observasi yet
                    other = {}
        mine = ok[ok["variabel"] == k.variabel].groupby(["kode_wilayah", "periode"])["nilai"].sum()
        common = [key for key in mine.index if key in other and other[key] is not None]
        bad = [f"{key[0]} {key[1]}: {k.variabel} = {_fmt(mine[key])} di sini, {k.variabel_lain} = "
               f"{_fmt(other[key])} di {k.dataset} (selisih {100 * abs(mine[key] - other[key]) / other[key]:.1f}%, "
               f"batas {k.toleransi_persen:g}%)"
               for key in common if other[key] and 100 * abs(mine[key] - other[key]) / other[key] > k.toleransi_persen]
        sample = bad[:MAX_LISTED] or ([] if common else [f"tidak ada angka {k.dataset} untuk dibandingkan"])
        out.append({"expectation": name, "column": "nilai", "severity": k.severity, "success": not bad,
                    "unexpected_count": len(bad), "sample": sample, "row_level": False,
                    "compared": len(common)})
    return out


def run_suite(ctx, checkpoint, df, run_id):
    """Run the checkpoint's validation definition on `df`; return the raw result and its Data Docs page.

    GX writes the failing values (names and text as the OPD wrote them) into Data Docs without escaping them,
    and the Airflow plugin serves those pages from Airflow's own origin. So the checkpoint's own docs action is
    not run: the stored copy of the result, from which the page is built, has its strings HTML-escaped. The
    verdicts and samples the Walidata records come from the raw result this returns."""
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    (vd,) = checkpoint.validation_definitions
    vr = vd.run(checkpoint_id=checkpoint.id, batch_parameters={"dataframe": df},
                result_format=checkpoint.result_format, run_id=run_id)
    suite_id = ExpectationSuiteIdentifier(name=vd.suite.name)
    vr_id = ValidationResultIdentifier(expectation_suite_identifier=suite_id, run_id=run_id,
                                       batch_identifier=vr.batch_id)
    ctx.validation_results_store.set(vr_id, _for_data_docs(vr))
    ctx.build_data_docs(resource_identifiers=[vr_id, suite_id])
    urls = ctx.get_docs_sites_urls(resource_identifier=vr_id)
    return vr, (urls[0]["site_url"] if urls else None)


def _for_data_docs(vr):
    """A copy of a suite result whose observed values, unexpected values and exception texts are HTML text."""
    import copy

    out = copy.copy(vr)
    out.results = []
    for r in vr.results:
        r = copy.copy(r)
        r.result, r.exception_info = _html_text(r.result), _html_text(r.exception_info)
        out.results.append(r)
    return out


def _html_text(v):
    """Every string inside `v` (dict keys too) escaped for HTML, control characters shown as \\xNN."""
    import html

    if isinstance(v, str):
        return html.escape(visible(v), quote=True)
    if isinstance(v, dict):
        return {_html_text(k): _html_text(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_html_text(x) for x in v]
    return v


def validate(ds: Dataset, records, totals, region: RegionIndex, gx_root: Path, run_id: str,
             today=None, warehouse_url: str | None = None) -> Outcome:
    """Run the dataset's suite on its standardised records; Data Docs are built from an escaped copy."""
    from great_expectations.core.run_identifier import RunIdentifier

    from walidata.publish.lake import safe

    df = records.reset_index(drop=True).copy()
    df.insert(0, ROW_ID, range(len(df)))
    spec = suite_spec(ds, region, list(records.columns))
    ctx = gx_context(gx_root)
    vr, data_docs = run_suite(ctx, _checkpoint(ctx, ds, spec), df, RunIdentifier(run_name=safe(run_id)))

    results, row_reasons, warnings = [], {}, []
    by_id = df.set_index(ROW_ID, drop=False)
    for r in vr.results:
        cfg = r.expectation_config
        column = cfg.kwargs.get("column")
        severity = str(getattr(cfg.severity, "value", cfg.severity) or "critical")
        ids = [d[ROW_ID] for d in (r.result.get("unexpected_index_list") or []) if isinstance(d, dict)]
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
    q = records.reset_index(drop=True).iloc[ids].copy()
    q["pemeriksaan"] = pd.array([", ".join(dict.fromkeys(e for e, _ in rejected[i])) for i in ids], dtype="string")
    q["alasan"] = pd.array(["; ".join(dict.fromkeys(t for _, t in rejected[i])) for i in ids], dtype="string")
    return q
