"""The Walidata's own checks on a dataset's records: completeness per period, totals, parts ≤ wholes,
plausibility, population, consistency across datasets, freshness, finite figures."""

from __future__ import annotations

from walidata.catalog import Dataset
from walidata.standardise.reference import RegionIndex
from walidata.validate.suite import MAX_LISTED, RECORD_ID, region_codes

SUM_CHECK = "walidata_jumlah_kecamatan_sama_dengan_total"
def _fmt(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v)) if abs(v) < 1e15 else f"{v:g}"  # 1e308 is not written with 309 digits
    return repr(v) if isinstance(v, str) else str(v)


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
        rows = {int(r[RECORD_ID]): f"{_where_row(r)}: {b.bagian} = {_fmt(r['nilai'])} melebihi {b.keseluruhan} = "
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
        rows[int(r[RECORD_ID])] = f"{_where_row(r)}: {r['variabel']} = {_fmt(float(x))} {why}"
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
        past = history[~history["periode"].isin(set(ok["periode"]))].assign(**{RECORD_ID: -1})
        scope = pd.concat([ok, past], ignore_index=True)
    scope = scope[scope["variabel"].isin(k.variabel)] if k.variabel else scope
    series = scope.assign(_jenis=scope["periode"].str.len()).sort_values([*keys[:1], "periode"])
    by = series.groupby(["variabel", "kode_wilayah", *ds.breakdowns, "_jenis"])
    series = series.assign(_prev=by["nilai"].shift(), _prev_per=by["periode"].shift(),
                           _next=by["nilai"].shift(-1), _next_per=by["periode"].shift(-1))
    change = (series["nilai"] - series["_prev"]).abs() / series["_prev"]
    bad = series[(series["_prev"] >= k.minimum) & (change * 100 > k.persen) & (series[RECORD_ID] >= 0)]
    rows = {int(r[RECORD_ID]): f"{_where_row(r)}: {r['variabel']} = {_fmt(r['nilai'])} berubah "
                            f"{100 * (r['nilai'] - r['_prev']) / r['_prev']:+.0f}% dari {_fmt(r['_prev'])} "
                            f"({r['_prev_per']}), batas {k.persen:g}%" for _, r in bad.iterrows()}
    zero = series[(series["nilai"] == 0) & (series["_next"] >= k.minimum) & (series[RECORD_ID] >= 0)]
    rows |= {int(r[RECORD_ID]): f"{_where_row(r)}: {r['variabel']} = 0 lalu {_fmt(r['_next'])} ({r['_next_per']}): "
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
            rows[int(r[RECORD_ID])] = (f"{_where_row(r)}: {r['variabel']} = {_fmt(r['nilai'])} melebihi penduduk "
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
                        rows.setdefault(int(r[RECORD_ID]), f"{_where_row(r)}: {why}")
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


