"""The Walidata's own checks on a dataset's records, in pandas: finite figures, completeness per period, totals,
parts ≤ wholes, plausibility, population, consistency across datasets, freshness.

Each check returns its findings (`temuan`): one dict per finding with the keys of `walidata.problems.Problem`
(`reason` without the place; `file`, `sheet`, `row`, `column`, `region`, `value`, and `record` for a finding that
rejects a record). The Great Expectations expectations of `validate.expectations` call these from their metric,
so the verdicts are the suite's."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from walidata.catalog import Dataset
from walidata.standardise.records import RECORD_ID
from walidata.standardise.reference import IndeksWilayah

LAG_DAYS = {"harian": 7, "mingguan": 21, "bulanan": 92, "triwulanan": 183, "semesteran": 365, "tahunan": 730}
MAX_MAGNITUDE = 2.0 ** 53  # beyond it a float64 no longer holds every whole number; no regional figure comes near
NO_VALUE = {"tidak_tersedia", "rahasia"}  # statuses that carry no number
POPULATION_UNITS = {"jiwa", "orang", "penduduk", "kk", "keluarga", "rumah tangga", "ruta", "murid", "siswa",
                    "peserta didik", "bayi", "balita", "anak", "pasangan", "pus", "akseptor", "peserta", "kelahiran"}
POPULATION_MARGIN = 1.1  # sources differ (Dukcapil vs BPS projection, later years): a margin, not a tolerance
TOTAL_WORDS = {"jumlah", "total", "semua", "jumlah total"}


@dataclass
class Konteks:
    """What a validation run needs beyond the batch: the dataset, its region, the total rows, the published
    history, the other datasets' figures ({dataset: {(kode_wilayah, periode): sum}}), and today."""

    ds: Dataset
    wilayah: IndeksWilayah
    totals: object = None
    history: object = None
    other: dict = field(default_factory=dict)
    today: dt.date | None = None
    _ok: object = None
    _codes: dict = field(default_factory=dict)

    def ok(self, df):
        """The records the checks judge: read without a problem, with a region and a period (computed once)."""
        if self._ok is None or self._ok[0] is not df:
            keep = (df["masalah"].isna() & df["kode_wilayah"].notna() & df["periode"].notna()).to_numpy(dtype=bool)
            self._ok = (df, df if keep.all() else df[keep])  # no copy of a clean load
            self._codes = {}
        return self._ok[1]

    def codes(self, df, col: str):
        """`ok(df)[col]` as integer codes, and the values they stand for (factorised once per run)."""
        import pandas as pd

        ok = self.ok(df)
        if col not in self._codes:
            self._codes[col] = pd.factorize(ok[col])
        return self._codes[col]


def hasil(temuan: list[dict], catatan: str | None = None, **extra) -> dict:
    return {"temuan": temuan, "catatan": catatan, **extra}


def _fmt(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v)) if abs(v) < 1e15 else f"{v:g}"  # 1e308 is not written with 309 digits
    return repr(v) if isinstance(v, str) else str(v)


def _isna(v) -> bool:
    import pandas as pd

    return v is None or bool(pd.isna(v))


def _value(v):
    """A figure as JSON can hold it: a whole number as int, a finite float, anything else as its text."""
    import math

    if v is None:
        return None
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(x) or math.isinf(x):
        return _fmt(x)
    return int(x) if x.is_integer() and abs(x) < 2 ** 53 else x


def _col(frame, name):
    return frame[name].tolist() if name in frame else [None] * len(frame)


def row_findings(rows, reasons: list[str]) -> list[dict]:
    """One finding per record in `rows` (a slice of the records), placed at its value cell."""
    names, codes = _col(rows, "nama_wilayah"), _col(rows, "kode_wilayah")
    out = []
    for why, f, s, r, c, n, k, v, rec in zip(reasons, _col(rows, "sumber_file"), _col(rows, "sumber_sheet"),
                                             _col(rows, "sumber_baris"), _col(rows, "sumber_kolom_nilai"), names,
                                             codes, _col(rows, "nilai"), rows[RECORD_ID].tolist(), strict=True):
        out.append({"reason": why, "file": f, "sheet": s, "row": None if _isna(r) else int(r),
                    "column": None if _isna(c) else c, "region": n if not _isna(n) else (None if _isna(k) else k),
                    "value": _value(v), "record": int(rec)})
    return out


def magnitude(df) -> dict:
    """A figure is a finite number of a size a statistic can have: infinity (a cell or a sum that overflowed),
    NaN where the status promises a number, or a size beyond ±2^53 is an error of its record."""
    import numpy as np

    scope = df[df["masalah"].isna()]
    v = scope["nilai"].to_numpy(dtype="float64", na_value=np.nan)
    promised = ~scope["status"].isin(NO_VALUE).to_numpy(dtype=bool)
    with np.errstate(invalid="ignore"):
        bad = np.isinf(v) | (np.abs(v) > MAX_MAGNITUDE) | (np.isnan(v) & promised)
    if not bad.any():
        return hasil([])
    limit = f"{int(MAX_MAGNITUDE):,}".replace(",", ".")
    rows = scope[bad]
    reasons = []
    for var, status, x in zip(rows["variabel"].tolist(), rows["status"].tolist(), v[bad], strict=True):
        if np.isnan(x):
            why = f"bukan angka (NaN) padahal berstatus {status}"
        elif np.isinf(x):
            why = "tak hingga: sel atau jumlahnya meluap, bukan angka yang dapat dimuat"
        else:
            why = f"melebihi batas ±{limit}: bukan angka yang mungkin untuk statistik wilayah"
        reasons.append(f"{var} = {_fmt(float(x))} {why}")
    return hasil(row_findings(rows, reasons))


def group_ids(frame, cols: list[str]):
    """One integer per distinct combination of `cols` (missing values are a value too), and how many there are:
    grouping on integers, not on the string columns, is what keeps the checks fast at a million records."""
    import pandas as pd

    return combine([(codes, len(uniques)) for codes, uniques in (pd.factorize(frame[c]) for c in cols)])


def combine(coded: list[tuple]):
    """`group_ids` from columns already factorised: [(codes, number of values)]."""
    import numpy as np
    import pandas as pd

    ids = np.zeros(len(coded[0][0]), dtype="int64")
    for codes, n in coded:
        ids = ids * (n + 1) + (codes + 1)
    out, uniques = pd.factorize(ids)
    return out, len(uniques)


def completeness(kx: Konteks, df, codes: list[str]) -> dict:
    """Every region of the dataset's level has a figure in every period, for every variable."""
    import numpy as np
    import pandas as pd

    ok = kx.ok(df)
    wilayah = kx.wilayah
    (cv, uv), (cp, up), (place, uk) = (kx.codes(df, c) for c in ("variabel", "periode", "kode_wilayah"))
    group, n = combine([(cv, len(uv)), (cp, len(up))])
    places = len(uk)
    inside = np.isin(np.asarray(uk, dtype=object), codes)[place]
    pairs = pd.unique(group[inside] * places + place[inside])  # pandas' hash table: numpy's unique is slower
    count = np.bincount(pairs // places, minlength=n)
    if not (count < len(codes)).any():
        return hasil([])
    first = np.zeros(n, dtype="int64")
    first[group[::-1]] = np.arange(len(group))[::-1]  # a record of each (variabel, periode)
    short = ok.iloc[first[count < len(codes)]]
    names = {**{k: w.nama for k, w in wilayah.kecamatan.items()}, **{k: w.nama for k, w in wilayah.desa.items()},
             wilayah.kode: wilayah.kabupaten.nama, wilayah.provinsi.kode_kemendagri: wilayah.provinsi.nama}
    out = []
    for var, per in sorted(zip(short["variabel"], short["periode"], strict=True)):
        have = set(ok.loc[(ok["variabel"] == var) & (ok["periode"] == per), "kode_wilayah"])
        read = set(df.loc[(df["variabel"] == var) & (df["periode"] == per), "kode_wilayah"].dropna())
        gone = sorted(set(codes) - have)
        # every one named up to 20 (the two desa missing among seven kelurahan), and whether its rows were in the
        # file but rejected: 'no figure' alone would blame a kecamatan whose numbers the OPD did send
        shown = ", ".join(f"{c} ({names.get(c, '?')}{', barisnya ditolak' if c in read else ''})" for c in gone[:20])
        out.append({"reason": f"periode {per}, variabel {var}: tidak ada angka untuk {len(gone)} wilayah: {shown}"
                              + (f" … dan {len(gone) - 20} lagi" if len(gone) > 20 else "")})
    return hasil(out)


def totals_match(df, totals) -> dict:
    """A total row ('Jumlah', 'Jumlah 2024', 'Kabupaten …', a province row in a kabupaten list) equals the sum of
    the rows above it in its column, back to the previous total row of that column (so yearly subtotals in one
    sheet work too), or of the rows below it when the table puts its totals first. Rows of other regions, set
    aside from publishing, count here too: they are part of what the total sums. Vectorised: each row is
    numbered by how many total rows of its column come before it, which names the segment it lies in."""
    import numpy as np

    if totals is None or not len(totals) or not (totals["jenis"] == "total").any():
        return hasil([])
    tot = totals[totals["jenis"] == "total"].reset_index(drop=True)
    lain = totals[totals["jenis"] == "lain"]
    group = _columns_of(df, lain, tot)
    both = {"sumber_baris": np.concatenate([df["sumber_baris"].to_numpy(dtype="int64"),
                                            lain["sumber_baris"].to_numpy(dtype="int64"),
                                            tot["sumber_baris"].to_numpy(dtype="int64")]),
            "nilai": np.concatenate([df["nilai"].to_numpy(dtype="float64", na_value=np.nan),
                                     lain["nilai_total"].to_numpy(dtype="float64", na_value=np.nan),
                                     np.full(len(tot), np.nan)])}
    is_total = np.zeros(len(group), dtype=bool)
    is_total[len(group) - len(tot):] = True
    rows = both["sumber_baris"] - both["sumber_baris"].min()
    order = np.argsort((group * (rows.max() + 1) + rows) * 2 + is_total, kind="stable")  # column, row, total last
    g, t = group[order], is_total[order]
    run = np.cumsum(t)
    start = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]  # where each column's rows begin
    before = np.repeat(run[start] - t[start], np.diff(np.r_[start, len(g)]))
    seg = run - before  # total rows of its column at or above this row
    width = int(seg.max()) + 2
    cell = g * width + seg
    v = both["nilai"][order]
    part = ~t
    size = np.bincount(cell[part], minlength=(g.max() + 1) * width)
    nan = np.bincount(cell[part], weights=np.isnan(v[part]), minlength=len(size))
    total = np.bincount(cell[part], weights=np.nan_to_num(v[part]), minlength=len(size))
    at = np.empty(len(tot), dtype="int64")
    at[order[t] - (len(group) - len(tot))] = cell[t]  # each total row's own segment number (counting itself)
    stats = np.stack([size, nan, total], axis=1)
    return hasil(_total_findings(tot, stats[at - 1], stats[at]))


def _columns_of(df, lain, tot):
    """The (file, sheet, column) of every record, then of every set-aside row, then of every total row, as one
    integer each. Only the records' columns are factorised at full length; the others are looked up."""
    import numpy as np
    import pandas as pd

    ids = np.zeros(len(df) + len(lain) + len(tot), dtype="int64")
    for rc, tc in (("sumber_file", "sumber_file"), ("sumber_sheet", "sumber_sheet"),
                   ("sumber_kolom_nilai", "sumber_kolom")):
        codes, uniq = pd.factorize(df[rc])
        more, every = pd.factorize(pd.concat([pd.Series(uniq, dtype=object), lain[tc].astype(object),
                                              tot[tc].astype(object)], ignore_index=True))
        ids = ids * (len(every) + 1) + 1 + np.concatenate([codes, more[len(uniq):]])
    return pd.factorize(ids)[0]


def _total_findings(tot, above, below) -> list[dict]:
    """The findings of the total rows: unreadable, or equal to neither the segment above nor the one below (a
    segment with a missing value, '…' or 'x', makes the sum uncheckable, not wrong). `above`/`below` hold each
    total row's segments as [rows, missing values, sum]."""
    import numpy as np

    unread = tot["masalah"].notna().to_numpy(dtype=bool)
    value = tot["nilai_total"].to_numpy(dtype="float64", na_value=np.nan)
    use_a, use_b = (above[:, 0] > 0) & (above[:, 1] == 0), (below[:, 0] > 0) & (below[:, 1] == 0)
    with np.errstate(invalid="ignore"):
        same_a = use_a & (np.abs(above[:, 2] - value) <= 1e-6 * np.maximum(1.0, np.abs(above[:, 2])))
        same_b = use_b & (np.abs(below[:, 2] - value) <= 1e-6 * np.maximum(1.0, np.abs(below[:, 2])))
    wrong = ~unread & ~np.isnan(value) & (use_a | use_b) & ~same_a & ~same_b
    out = []
    for i in np.flatnonzero(unread | wrong):
        t = tot.iloc[i]
        place = {"file": t["sumber_file"], "sheet": t["sumber_sheet"], "row": int(t["sumber_baris"]),
                 "column": t["sumber_kolom"]}
        if unread[i]:  # a total that cannot be read cannot vouch for the rows above it
            out.append({"reason": f"baris jumlah: {t['masalah']}", **place, "value": None})
            continue
        sums = [float(seg[i, 2]) for seg, use in ((above, use_a), (below, use_b)) if use[i]]
        out.append({"reason": f"total {value[i]:g} tidak sama dengan jumlah baris di atasnya {sums[0]:g}"
                              + (f" (di bawahnya {sums[1]:g})" if len(sums) > 1 else ""),
                    **place, "value": _value(value[i])})
    return out


def part_within_whole(kx: Konteks, df, bagian: str, keseluruhan: str) -> dict:
    """A part never exceeds its whole for the same region, period and breakdown (e.g. stunted ≤ measured)."""
    ok = kx.ok(df)
    keys = ["kode_wilayah", "periode", *kx.ds.kolom_rincian]
    part = ok[ok["variabel"] == bagian].set_index(keys)
    whole = ok[ok["variabel"] == keseluruhan].set_index(keys)["nilai"]
    joined = part.join(whole.rename("_whole"), how="inner")
    bad = joined[joined["nilai"] > joined["_whole"]].reset_index()
    reasons = [f"{bagian} = {_fmt(v)} melebihi {keseluruhan} = {_fmt(w)}"
               for v, w in zip(bad["nilai"].tolist(), bad["_whole"].tolist(), strict=True)]
    return hasil(row_findings(bad, reasons))


def plausibility(kx: Konteks, df) -> dict:
    """`kewajaran`: a figure that moves more than the tolerance from its previous period (in this load or
    already published), or a 0 just before a sizeable figure (a region not yet formed, 'no data' written 0)."""
    import numpy as np
    import pandas as pd

    ds, k = kx.ds, kx.ds.kewajaran
    ok = kx.ok(df)
    ok = ok[ok["variabel"].isin(k.variabel)] if k.variabel else ok
    keys = ["variabel", "kode_wilayah", *ds.kolom_rincian]
    scope = ok[[*keys, "periode", "nilai"]]
    if kx.history is not None and len(kx.history):
        # Published periods that this load does not cover are the 'previous period' of its first one.
        past = kx.history[~kx.history["periode"].isin(set(ok["periode"]))]
        past = past[past["variabel"].isin(k.variabel)] if k.variabel else past
        scope = pd.concat([scope, past[[*keys, "periode", "nilai"]]], ignore_index=True)
    mine = np.arange(len(scope)) < len(ok)
    group, per = _series(kx, df, scope, keys, ok)
    order = np.lexsort((per, group))
    g, v = group[order], scope["nilai"].to_numpy(dtype="float64", na_value=np.nan)[order]
    after = np.r_[False, g[1:] == g[:-1]]  # the row before is the same series' previous period
    prev = np.where(after, np.r_[np.nan, v[:-1]], np.nan)
    nxt = np.where(np.r_[after[1:], False], np.r_[v[1:], np.nan], np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        zero = mine[order] & (v == 0) & (nxt >= k.minimum)
        jump = mine[order] & (prev >= k.minimum) & (np.abs(v - prev) / prev * 100 > k.persen) & ~zero
    at, at0 = np.flatnonzero(jump), np.flatnonzero(zero)
    variabel, periode = ok["variabel"], scope["periode"]
    reasons = [f"{var} = {_fmt(float(x))} berubah {100 * (x - p) / p:+.0f}% dari {_fmt(float(p))} ({pp}), batas "
               f"{k.persen:g}%" for var, x, p, pp in zip(variabel.take(order[at]).tolist(), v[at], prev[at],
                                                          periode.take(order[at - 1]).tolist(), strict=True)]
    reasons += [f"{var} = 0 lalu {_fmt(float(n))} ({npp}): angka 0 tidak wajar (wilayah belum ada, atau data "
                "kosong ditulis 0?)" for var, n, npp in zip(variabel.take(order[at0]).tolist(), nxt[at0],
                                                          periode.take(order[at0 + 1]).tolist(), strict=True)]
    found = row_findings(ok.iloc[np.r_[order[at], order[at0]]], reasons)
    return hasil(sorted(found, key=lambda t: t["record"]))


def _series(kx: Konteks, df, scope, keys: list[str], ok):
    """Each row's series (variable, region, breakdowns, kind of period) and its period's rank in time order."""
    import numpy as np
    import pandas as pd

    if len(scope) == len(kx.ok(df)) and ok is kx.ok(df):  # this load alone: the run's factorised columns
        coded = [kx.codes(df, c) for c in [*keys, "periode"]]
        (cp, up) = coded[-1]
        rank = np.empty(len(up), dtype="int64")
        rank[np.argsort(np.asarray(up, dtype=object))] = np.arange(len(up))
        kind = pd.factorize(up.str.len())
        return combine([(c, len(u)) for c, u in coded[:-1]] + [(kind[0][cp], len(kind[1]))])[0], rank[cp]
    group, _ = group_ids(scope.assign(_jenis=scope["periode"].str.len()), [*keys, "_jenis"])
    return group, pd.factorize(scope["periode"], sort=True)[0]


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


def _norm_label(v: str) -> str:
    return " ".join(str(v).lower().replace("_", " ").split())


def population(kx: Konteks, df) -> dict:
    """People can not outnumber the population: a figure above its region's population (ref.wilayah, Dukcapil),
    a kecamatan or desa above its kabupaten, or the sum of a figure's breakdowns (or of all kecamatan) above it,
    is an error. This is what catches a national or provincial sum taken as one kabupaten's."""
    import numpy as np
    import pandas as pd

    ds, g = kx.ds, kx.wilayah.g
    bounds = population_bounds(ds)
    level = "provinsi" if ds.tingkat_wilayah == "provinsi" else "kabupaten"
    ok = kx.ok(df)
    (cv, uv), (ck, uk), (cp, up) = (kx.codes(df, c) for c in ("variabel", "kode_wilayah", "periode"))
    mask = np.isin(np.asarray(uv, dtype=object), list(bounds))[cv]
    if not mask.any():
        return hasil([])
    scoped, codes, vcodes = ok[mask], ck[mask], cv[mask]
    anc = [g.ancestor(c, level) for c in uk]
    # Each record's kabupaten (or province), as an index into `wide`; -1 where the code has none.
    wide_codes, wide = pd.factorize(pd.Series(anc, dtype=object))
    scope = wide_codes[codes]
    pop = np.array([g.w[a].penduduk_total if a in g.w else np.nan for a in anc], dtype="float64")[codes]
    limit = np.array([bounds.get(u, np.nan) for u in uv], dtype="float64")[vcodes] * pop
    value = scoped["nilai"].to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        over = np.flatnonzero(value > limit)
    rows = scoped.iloc[over]
    reasons = [f"{var} = {_fmt(float(value[i]))} melebihi penduduk {w.nama} ({_fmt(w.penduduk_total)}, Dukcapil) × "
               f"{bounds[var]:g}" for var, i, w in zip(rows["variabel"].tolist(), over,
                                                       [g.w[wide[scope[i]]] for i in over], strict=True)]
    found = row_findings(rows, reasons)
    if not any(_norm_label(v) in TOTAL_WORDS for vals in ds.rincian.values() for v in vals):
        group = combine([(vcodes, len(uv)), (cp[mask], len(up)), (scope, len(wide))])
        found += _population_sums(ds, bounds, scoped, [g.w.get(a) for a in wide], scope, group, value, limit,
                                  set(over))
    return hasil(sorted(found, key=lambda t: t["record"]))


def _population_sums(ds: Dataset, bounds: dict, scoped, places, scope, grouped, value, limit, seen: set) -> list[dict]:
    """The sum of an additive figure over its breakdowns and regions, per period and kabupaten, above the bound
    (`scope`: each record's kabupaten as an index into `places`; `grouped`: (variabel, periode, scope) ids)."""
    import numpy as np

    additive = {k.variabel or ds.variabel for k in ds.nilai_kolom if k.aditif} - {
        k.variabel or ds.variabel for k in ds.nilai_kolom if not k.aditif}
    use = scoped["variabel"].isin(additive).to_numpy(dtype=bool) & (scope >= 0)
    if not use.any():
        return []
    group, n = grouped
    sums = np.bincount(group[use], weights=np.nan_to_num(value[use]), minlength=n)
    bound = np.full(n, np.nan)
    bound[group[use]] = limit[use]
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(sums > bound)
    out = []
    for b in bad:
        at = np.flatnonzero((group == b) & use)
        grp = scoped.iloc[[i for i in at if i not in seen]]
        first = scoped.iloc[at[0]]
        var, w = first["variabel"], places[scope[at[0]]]
        why = (f"jumlah {var} periode {first['periode']} di {w.nama} = {_fmt(float(sums[b]))} melebihi penduduk "
               f"{w.nama} ({_fmt(w.penduduk_total)}, Dukcapil) × {bounds[var]:g}")
        out += row_findings(grp, [why] * len(grp))
        seen |= set(at.tolist())
    return out


def consistency(kx: Konteks, df, variabel: str, dataset: str, variabel_lain: str, toleransi_persen: float) -> dict:
    """`konsistensi`: this load against another dataset's current figures (from the warehouse, in `kx.other`),
    both summed per region and period. Nothing to compare with is not a failure: the result says so."""
    other = kx.other.get((dataset, variabel_lain)) or {}
    ok = df[df["masalah"].isna()]
    mine = ok[ok["variabel"] == variabel].groupby(["kode_wilayah", "periode"], observed=True)["nilai"].sum()
    common = [key for key in mine.index if key in other and other[key] is not None]
    out = []
    for key in common:
        theirs = float(other[key])
        if theirs and 100 * abs(mine[key] - theirs) / theirs > toleransi_persen:
            out.append({"reason": f"{key[0]} {key[1]}: {variabel} = {_fmt(float(mine[key]))} di sini, {variabel_lain} "
                                  f"= {_fmt(theirs)} di {dataset} (selisih "
                                  f"{100 * abs(mine[key] - theirs) / theirs:.1f}%, batas {toleransi_persen:g}%)",
                        "region": key[0], "value": _value(mine[key])})
    note = None if common else f"tidak ada angka {dataset} untuk dibandingkan"
    return hasil(out, note, dibandingkan=len(common))


def periode_end(p: str):
    """Last day of a canonical period (YYYY, YYYY-Sn, YYYY-Qn, YYYY-MM, YYYY-Wnn: the ISO week's Sunday)."""
    y = int(p[:4])
    if len(p) > 5 and p[5] == "W":
        return dt.date.fromisocalendar(y, int(p[6:8]), 7)
    if len(p) == 4:
        m = 12
    elif p[5] == "S":
        m = 6 * int(p[6])
    elif p[5] == "Q":
        m = 3 * int(p[6])
    else:
        m = int(p[5:7])
    return dt.date(y + (m == 12), m % 12 + 1, 1) - dt.timedelta(days=1)


def freshness(kx: Konteks, df, today) -> dict:
    """The latest period is within the update schedule: at most LAG_DAYS after its end."""
    ok = kx.ok(df)
    if not len(ok):
        return hasil([], "tidak ada periode untuk dinilai")
    today = dt.date.fromisoformat(str(today)[:10]) if today else dt.date.today()
    periods = kx.codes(df, "periode")[1]
    year = periods.str[:4].max()  # a period ends in its own year: the latest is among the last year's
    latest = max(periods[periods.str[:4] == year], key=periode_end)
    jadwal = kx.ds.metadata.jadwal_pemutakhiran
    lag = LAG_DAYS[jadwal]
    if periode_end(latest) + dt.timedelta(days=lag) >= today:
        return hasil([], f"periode terakhir {latest}, hari ini {today}")
    return hasil([{"reason": f"periode terakhir {latest} (berakhir {periode_end(latest)}) lebih tua dari jadwal "
                             f"{jadwal} (paling lama {lag} hari setelah akhir periode; hari ini {today})",
                   "value": latest}])


def published_history(ds: Dataset, warehouse_url: str | None):
    """The dataset's current figures in the warehouse (for plausibility against the previous period)."""
    import pandas as pd
    import sqlalchemy as sa

    cols = ["variabel", "kode_wilayah", "periode", *ds.kolom_rincian, "nilai"]
    if not warehouse_url:
        return pd.DataFrame(columns=cols)
    from walidata.publish import warehouse

    with warehouse.engine_for(warehouse_url) as engine, warehouse.connect(engine) as conn:
        try:
            rows = conn.execute(sa.text(f"SELECT {', '.join(warehouse.ident(c) for c in cols)} "
                                        f"FROM fact.{warehouse.ident(ds.fact_table)}")).all()
        except sa.exc.DBAPIError:  # not published yet
            rows = []
    return pd.DataFrame([tuple(r) for r in rows], columns=cols)


def other_figures(ds: Dataset, warehouse_url: str | None) -> dict:
    """{(dataset, variabel): {(kode_wilayah, periode): sum}}: the current figures `konsistensi` compares with."""
    import sqlalchemy as sa

    out: dict = {}
    if not ds.konsistensi or not warehouse_url:
        return out
    from walidata.publish import warehouse

    with warehouse.engine_for(warehouse_url) as engine, warehouse.connect(engine) as conn:
        for k in ds.konsistensi:
            try:
                rows = conn.execute(sa.text(
                    "SELECT kode_wilayah, periode, SUM(nilai) FROM fact.observasi WHERE dataset = :d AND "
                    "variabel = :v GROUP BY kode_wilayah, periode"), {"d": k.dataset, "v": k.variabel_lain})
                out[(k.dataset, k.variabel_lain)] = {(a, b): c for a, b, c in rows}
            except sa.exc.DBAPIError:  # a new warehouse has no fact.observasi yet
                out[(k.dataset, k.variabel_lain)] = {}
    return out
