"""The indicator runner: each indicator's SQL over staging relations of complete inputs, for every region and
period in scope, into cells with a status, a reason and their lineage.

Like dbt's staging → marts, and small: an indicator's SQL (`marts/<dimensi>/<kode>.sql`) reads its inputs as
`{{ masukan('name') }}`; each becomes a CTE built from `staging/masukan.sql` (or `masukan_jarang.sql`) that holds
only complete figures. Every (region, period) in scope gets a cell: a value (`tersedia`), or the reason it has
none: an input incomplete for that period (`tidak_tersedia`), an input dataset not in the warehouse yet
(`input_belum_tersedia`), or a zero divisor (`tidak_terdefinisi`). The same SQL runs on DuckDB and PostgreSQL.

Several regions (issue 22): the scope holds every kab/kota of `WALIDATA_WILAYAH` (one, a province, or a list)
and their kecamatan. A province in scope gets its own value FROM COMPONENTS: each input summed over all the
province's kab/kota (only when every one of them has a complete figure), then the indicator's own SQL run on
those sums, so a ratio is sum(numerators) / sum(denominators), never an average of the kab/kota rates. Only an
indicator that declares `provinsi: {dari_komponen: true}` (its inputs are counts that add up) gets one; the
others (an index, a BPS rate) get a province cell without a value that says why, and a province missing
a kab/kota's figures gets a cell naming those kab/kota.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import sqlalchemy as sa

from walidata.catalog import Dataset
from walidata.publish.warehouse import ident, literal
from walidata.serve.indikator.spec import MASUKAN_CALL, Deklarasi, IndikatorError, Masukan

PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
# What a filled staging placeholder may contain: quoted checked names, literals of checked values, IN lists.
SAFE_VALUE = re.compile(
    r"""(?:\s+|,|\(|\)|AND|IN|f\.|fact\."[a-z_][a-z0-9_]*"|"[a-z_][a-z0-9_]*"|'[A-Za-z0-9_\-]*')*""")
TERSEDIA, TIDAK_TERSEDIA, BELUM, TIDAK_TERDEFINISI = ("tersedia", "tidak_tersedia", "input_belum_tersedia",
                                                      "tidak_terdefinisi")


def read_sql(path: Path) -> str:
    """A SQL file without its `--` comment lines (comments may hold braces and placeholders as examples)."""
    return "\n".join(ln for ln in path.read_text(encoding="utf-8").splitlines() if not ln.lstrip().startswith("--"))


def staging_text(root: Path) -> str:
    return "\n".join(read_sql(p) for p in sorted((root / "staging").glob("*.sql")))


def render_staging(root: Path, ds: Dataset, m: Masukan, jenis: str) -> str:
    """The staging SQL of one input for one kind of period, with every name checked against the catalog."""
    if m.variabel not in ds.variabel_list:
        raise ValueError(f"{ds.id} has no variable {m.variabel!r} (it has {', '.join(ds.variabel_list)})")
    saring = ""
    for col, vals in m.rincian.items():
        allowed = ds.rincian.get(col)
        vals = [vals] if isinstance(vals, str) else vals
        if allowed is None or not set(vals) <= set(allowed):
            raise ValueError(f"{ds.id}: rincian {col}={vals} is not among its breakdowns {ds.rincian}")
        saring += f" AND f.{ident(col)} IN ({', '.join(literal(v) for v in vals)})"
    if m.jarang and ds.tingkat_wilayah == "kabupaten":
        raise ValueError(f"{ds.id}: a sparse input (jarang) needs figures below the kabupaten/kota")
    values = {"fakta": f"fact.{ident(ds.fact_table)}", "variabel": literal(m.variabel), "saring": saring,
              "jenis": literal(jenis)}
    for key, value in values.items():
        if not SAFE_VALUE.fullmatch(value):
            raise ValueError(f"staging {{{{{key}}}}} = {value!r} is not built from checked names")
    sql = read_sql(root / "staging" / ("masukan_jarang.sql" if m.jarang else "masukan.sql"))
    return PLACEHOLDER.sub(lambda x: values[x.group(1)], sql)


def indicator_query(decl: Deklarasi, tables: dict[str, str]) -> str:
    """The indicator's SQL with each input as a CTE of its complete figures only."""
    ctes = [f"m_{name} AS (SELECT kode_wilayah, tingkat, periode, tahun, nilai FROM {t} WHERE lengkap = 1)"
            for name, t in tables.items()]
    body = MASUKAN_CALL.sub(lambda x: f"m_{x.group(1)}", decl.sql)
    return ("WITH " + ",\n".join(ctes)
            + f"\nSELECT hasil.kode_wilayah, hasil.periode, hasil.nilai FROM (\n{body}\n) hasil")


class Staging:
    """The staged inputs of one run, each (dataset, variable, breakdown, kind of period) computed once into a
    temporary table of the run's transaction: the population, input to a dozen indicators, is staged once."""

    def __init__(self, conn: sa.Connection, root: Path):
        from walidata.serve.indikator.kotak_pasir import Kotak

        self.conn, self.root, self.tables = conn, root, {}
        self.facts = fact_tables(conn)
        self.read: dict[str, dict] = {}
        self.kotak = Kotak(conn)  # before any indicator SQL: no files, no network, no lasting write

    def table(self, decl: Deklarasi, name: str, ds: Dataset, jenis: str) -> str:
        m = decl.indikator.masukan[name]
        key = json.dumps([m.model_dump(mode="json"), jenis], sort_keys=True)
        if key not in self.tables:
            sql = _staging(self.root, decl, name, ds, jenis)
            t = "_walidata_stg_" + hashlib.sha256(key.encode()).hexdigest()[:16]
            drop = " ON COMMIT DROP" if self.conn.dialect.name == "postgresql" else ""
            self.conn.exec_driver_sql(f"CREATE TEMPORARY TABLE {t}{drop} AS {sql}")
            self.kotak.izinkan(t)
            self.tables[key] = t
        return self.tables[key]

    def provinsi(self, table: str, provinces: dict[str, list[str]]) -> str:
        """The province figures of one staged input: the sum of its complete kab/kota figures, only where every
        kab/kota of the province (per the reference) is complete; presented to the indicator's SQL as one more
        top-level region (tingkat 'kabupaten'), so the SQL computes f(sum of components), never an average."""
        key = json.dumps(["provinsi", table, sorted(provinces)])
        if key not in self.tables:
            t = "_walidata_prv_" + hashlib.sha256(key.encode()).hexdigest()[:16]
            drop = " ON COMMIT DROP" if self.conn.dialect.name == "postgresql" else ""
            codes = ", ".join(literal(c) for c in provinces)
            self.conn.exec_driver_sql(
                f"CREATE TEMPORARY TABLE {t}{drop} AS "
                f"SELECT w.kode_induk AS kode_wilayah, 'kabupaten' AS tingkat, s.periode, s.tahun, "
                f"SUM(s.nilai) AS nilai, 1 AS lengkap FROM {table} s JOIN ref.wilayah w ON "
                f"w.kode_kemendagri = s.kode_wilayah AND w.tingkat IN ('kabupaten', 'kota') "
                f"WHERE s.tingkat = 'kabupaten' AND s.lengkap = 1 AND w.kode_induk IN ({codes}) "
                f"GROUP BY w.kode_induk, s.periode, s.tahun HAVING COUNT(DISTINCT s.kode_wilayah) = "
                f"(SELECT COUNT(*) FROM ref.wilayah r WHERE r.kode_induk = w.kode_induk "
                f"AND r.tingkat IN ('kabupaten', 'kota'))")
            self.kotak.izinkan(t)
            self.tables[key] = t
        return self.tables[key]

    def rows(self, table: str) -> dict[tuple[str, str], object]:
        """The staged rows of one input by (region, period), read once per run."""
        if table not in self.read:
            self.read[table] = {(r[0], r[1]): Masuk(*r[2:]) for r in self.conn.exec_driver_sql(
                f"SELECT kode_wilayah, periode, lengkap, ada, harus, bagian, load_id FROM {table}").fetchall()}
        return self.read[table]

    def drop(self) -> None:
        for t in self.tables.values():
            self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS {t}")
        self.tables.clear()


@dataclass
class Lingkup:
    """The regions and periods every indicator gets a cell for. `provinsi` holds the provinces whose own value is
    computed from components (the scope is the province, or all its kab/kota are in scope), each with all its
    kab/kota per the reference: a province value needs every one of them."""

    kabupaten: list[str]
    kecamatan: dict[str, list[str]]  # kabupaten → its kecamatan
    periode: dict[str, list[str]]  # 'tahun' / 'bulan' → periods
    provinsi: dict[str, list[str]] = field(default_factory=dict)  # province → all its kab/kota (ref.wilayah)
    nama: dict[str, str] = field(default_factory=dict)  # kab/kota and province names, for the reasons given

    def cells(self, decl: Deklarasi, jenis: str) -> list[tuple[str, str]]:
        regions = [*self.provinsi, *self.kabupaten]
        if "kecamatan" in decl.indikator.level_estimasi:
            regions += [k for kab in self.kabupaten for k in self.kecamatan.get(kab, [])]
        return [(r, p) for r in regions for p in self.periode[jenis]]

    def kunci(self) -> list:
        """What of the scope goes into an indicator's fingerprint (unchanged for a scope without a province)."""
        base = [self.kabupaten, self.kecamatan, self.periode]
        return [*base, self.provinsi] if self.provinsi else base


def fact_tables(conn: sa.Connection) -> set[str]:
    """The tables and views of the fact schema."""
    return set(conn.execute(sa.text(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'fact'")).scalars())


def fact_exists(conn: sa.Connection, table: str) -> bool:
    return table in fact_tables(conn)


def _kabkota_ref(conn: sa.Connection) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Every province's kab/kota in the reference, and the names of provinces and kab/kota."""
    per_prov: dict[str, list[str]] = {}
    nama: dict[str, str] = {}
    for kode, tingkat, induk, n in conn.execute(sa.text(
            "SELECT kode_kemendagri, tingkat, kode_induk, nama FROM ref.wilayah WHERE tingkat IN "
            "('provinsi', 'kabupaten', 'kota') ORDER BY 1")).all():
        nama[kode] = n
        if tingkat != "provinsi" and induk:
            per_prov.setdefault(induk, []).append(kode)
    return per_prov, nama


def _wilayah_lingkup(wilayah: str, per_prov: dict[str, list[str]]) -> tuple[set[str], set[str]]:
    """The kab/kota and provinces named by a scope: '62.06', a province '62' (it and all its kab/kota) or a
    comma list of either."""
    kab, prov = set(), set()
    for code in (c.strip() for c in wilayah.split(",") if c.strip()):
        if len(code) == 2:
            prov.add(code)
            kab |= set(per_prov.get(code, []))
        else:
            kab.add(code)
    return kab, prov


def lingkup(conn: sa.Connection, wilayah: str) -> Lingkup:
    """The kab/kota of the scope (settings.wilayah: one kab/kota, a province or a comma list) and every one with
    figures in the warehouse, their kecamatan; the provinces computed from components (the scope's province, or
    one whose kab/kota are all present); the years with figures, and their months up to the latest month."""
    per_prov, nama = _kabkota_ref(conn)
    kab, prov = _wilayah_lingkup(wilayah, per_prov)
    years, last_month = [], None
    if fact_exists(conn, "observasi"):
        kab |= set(conn.execute(sa.text("SELECT DISTINCT substr(kode_wilayah, 1, 5) FROM fact.observasi")).scalars())
        rows = conn.execute(sa.text(
            "SELECT DISTINCT p.tahun, p.jenis, p.periode FROM fact.observasi o JOIN ref.periode p ON "
            "p.periode = o.periode")).all()
        years = sorted({r[0] for r in rows})
        months = sorted(r[2] for r in rows if r[1] == "bulan")
        last_month = months[-1] if months else None
    kab_list = sorted(k for k in kab if len(k) == 5)
    prov |= {p for p, ks in per_prov.items() if ks and set(ks) <= set(kab_list)}
    kec: dict[str, list[str]] = {k: [] for k in kab_list}
    for kode, induk in conn.execute(sa.text(
            "SELECT kode_kemendagri, kode_induk FROM ref.wilayah WHERE tingkat = 'kecamatan' ORDER BY 1")).all():
        if induk in kec:
            kec[induk].append(kode)
    bulan = [f"{y}-{m:02d}" for y in years for m in range(1, 13)]
    bulan = [b for b in bulan if last_month and b <= last_month]
    return Lingkup(kab_list, kec, {"tahun": [str(y) for y in years], "bulan": bulan},
                   {p: per_prov[p] for p in sorted(prov) if per_prov.get(p)}, nama)


class Masuk(NamedTuple):
    """One staged figure of an input: complete or not, its parts present and expected, and its loads."""

    lengkap: int
    ada: int | None
    harus: int | None
    bagian: str
    load_id: str | None


@dataclass(slots=True)
class Sel:
    """One cell of the mart: an indicator's value (or why there is none) for a region and period."""

    kode_wilayah: str
    periode: str
    nilai: float | None = None
    status: str = TIDAK_TERSEDIA
    keterangan: list[str] = field(default_factory=list)
    loads: list[str] = field(default_factory=list)  # per input, in declaration order: its loads, comma-separated


def _reason(ds_id: str, m: Masukan, row) -> str:
    label = f"{ds_id} ({m.variabel})"
    if row is None:
        return f"{label}: tidak ada angka untuk wilayah dan periode ini"
    if row.bagian == "angka":
        return f"{label}: angka belum lengkap (ada bulan atau angka yang kosong)"
    return f"{label}: baru {row.ada or 0} dari {row.harus or '?'} {row.bagian} yang lengkap"


def compute(conn: sa.Connection, staging: Staging, decl: Deklarasi, catalog: dict[str, Dataset],
            scope: Lingkup) -> list[Sel]:
    """Every cell of one indicator, for each kind of period it is declared for: the kab/kota and kecamatan in
    scope, and the provinces in scope from the summed components of all their kab/kota."""
    ind = decl.indikator
    out: list[Sel] = []
    absent = [d for d in ind.datasets if d not in catalog or catalog[d].fact_table not in staging.facts]
    for jenis in ind.periode:
        cells = {c: Sel(*c) for c in scope.cells(decl, jenis)}
        if absent:
            for s in cells.values():
                s.status = BELUM
                s.keterangan = [f"dataset {d} belum ada di gudang data" for d in absent]
            out += cells.values()
            continue
        prov = {c: cells.pop(c) for c in list(cells) if c[0] in scope.provinsi}
        tables = {name: staging.table(decl, name, catalog[m.dataset], jenis) for name, m in ind.masukan.items()}
        for name, m in ind.masukan.items():
            _inputs_status(staging.rows(tables[name]), name, m, cells)
        values = staging.kotak.hasil(indicator_query(decl, tables))  # in the sandbox (kotak_pasir)
        _place_values(decl, values, cells)
        if prov:
            _provinsi(staging, decl, tables, scope, prov, _bukan_jumlah(decl, catalog))
        out += cells.values()
        out += prov.values()
    return out


def _bukan_jumlah(decl: Deklarasi, catalog: dict[str, Dataset]) -> str | None:
    """Why the inputs cannot be summed across kab/kota although the YAML says so: an input dataset measured as
    something other than a count (catalog metadata.ukuran: indeks, persentase, nilai per kapita…)."""
    bad = sorted({f"{m.dataset} ({catalog[m.dataset].metadata.ukuran})" for m in decl.indikator.masukan.values()
                  if catalog[m.dataset].metadata.ukuran != "jumlah"})
    if not bad:
        return None
    return f"masukan {', '.join(bad)} bukan jumlah, tidak dapat dijumlahkan antarkabupaten/kota"


def _provinsi(staging: Staging, decl: Deklarasi, tables: dict[str, str], scope: Lingkup, cells: dict,
              bukan_jumlah: str | None) -> None:
    """The province cells: the indicator's SQL over the sums of its inputs across every kab/kota of the province
    (sum of numerators, sum of denominators, then divide), or why there is no value: components that do not add
    up (declared in the YAML, or an input that is no count), or the kab/kota whose inputs are missing or
    incomplete, named."""
    ind = decl.indikator
    if not ind.provinsi.dari_komponen or bukan_jumlah:
        alasan = ind.provinsi.alasan if not ind.provinsi.dari_komponen else bukan_jumlah
        for cell in cells.values():
            cell.keterangan = [f"nilai provinsi tidak dihitung: {alasan}"]
            cell.loads = ["" for _ in ind.masukan]
        return
    for name, m in ind.masukan.items():
        rows = staging.rows(tables[name])
        for (kode, periode), cell in cells.items():
            kurang = [k for k in scope.provinsi[kode] if (r := rows.get((k, periode))) is None or r.lengkap != 1]
            cell.loads.append(",".join(sorted({x for k in scope.provinsi[kode]
                                               if (r := rows.get((k, periode))) is not None
                                               for x in (r.load_id or "").split(",") if x})))
            if kurang:
                cell.keterangan.append(_kurang(m, kurang, len(scope.provinsi[kode]), scope.nama))
    prov_tables = {name: staging.provinsi(t, scope.provinsi) for name, t in tables.items()}
    _place_values(decl, staging.kotak.hasil(indicator_query(decl, prov_tables)), cells)


def _kurang(m: Masukan, kurang: list[str], semua: int, nama: dict[str, str]) -> str:
    """Which kab/kota keep a province value from being computed, by name (the first ten)."""
    daftar = ", ".join(f"{nama.get(k, k)} ({k})" for k in kurang[:10]) + (" dan lainnya" if len(kurang) > 10 else "")
    return (f"{m.dataset} ({m.variabel}): nilai provinsi belum dihitung karena {len(kurang)} dari {semua} "
            f"kabupaten/kota belum punya angka lengkap: {daftar}")


def _staging(root: Path, decl: Deklarasi, name: str, ds: Dataset, jenis: str) -> str:
    try:
        return render_staging(root, ds, decl.indikator.masukan[name], jenis)
    except ValueError as exc:
        raise IndikatorError(f"{decl.path}: masukan {name}: {exc}") from None


def _inputs_status(rows: dict, name: str, m: Masukan, cells: dict) -> None:
    get = rows.get
    for key, cell in cells.items():
        row = get(key)
        if row is None:
            cell.keterangan.append(_reason(m.dataset, m, None))
            cell.loads.append("")
            continue
        if row.lengkap != 1:
            cell.keterangan.append(_reason(m.dataset, m, row))
        cell.loads.append(row.load_id or "")


def _place_values(decl: Deklarasi, values, cells: dict) -> None:
    seen: set = set()
    for kode, periode, nilai in values:
        if (kode, periode) in seen:
            raise IndikatorError(f"{decl.path.with_suffix('.sql')}: more than one value for {kode} {periode}")
        seen.add((kode, periode))
        cell = cells.get((kode, periode))
        if cell is None or cell.keterangan:  # outside the scope, or an input incomplete: never a value
            continue
        if nilai is None or not math.isfinite(float(nilai)):
            cell.status, cell.keterangan = TIDAK_TERDEFINISI, ["pembagi nol: nilai tidak terdefinisi"]
        else:
            cell.status, cell.nilai = TERSEDIA, float(nilai)
    for cell in cells.values():
        if cell.status == TIDAK_TERSEDIA and not cell.keterangan:
            cell.keterangan = [decl.indikator.keterangan_tanpa_nilai]


_LINEAGE: dict[tuple, str] = {}


def lineage_json(decl: Deklarasi, cell: Sel) -> str:
    """The cell's lineage as JSON: each input's dataset, variable, breakdown and loads, the reference tables and
    the population figure. Cells with the same loads share one text, built once."""
    key = (decl.kode, decl.sql, tuple(cell.loads))
    if key not in _LINEAGE:
        if len(_LINEAGE) > 100_000:
            _LINEAGE.clear()
        ind = decl.indikator
        masukan = [{"masukan": name, "dataset": m.dataset, "variabel": m.variabel,
                    **({"rincian": m.rincian} if m.rincian else {}),
                    "load_id": sorted({x for x in loads.split(",") if x})}
                   for (name, m), loads in zip(ind.masukan.items(), cell.loads, strict=False)]
        _LINEAGE[key] = json.dumps({"masukan": masukan, "referensi": ind.referensi,
                                    "sumber_penduduk": ind.sumber_penduduk}, ensure_ascii=False, sort_keys=True)
    return _LINEAGE[key]
