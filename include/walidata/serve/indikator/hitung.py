"""The indicator runner: each indicator's SQL over staging relations of complete inputs, for every region and
period in scope, into cells with a status, a reason and their lineage.

Like dbt's staging → marts, and small: an indicator's SQL (`marts/<dimensi>/<kode>.sql`) reads its inputs as
`{{ masukan('name') }}`; each becomes a CTE built from `staging/masukan.sql` (or `masukan_jarang.sql`) that holds
only complete figures. Every (region, period) in scope gets a cell: a value (`tersedia`), or the reason it has
none: an input incomplete for that period (`tidak_tersedia`), an input dataset not in the warehouse yet
(`input_belum_tersedia`), or a zero divisor (`tidak_terdefinisi`). The same SQL runs on DuckDB and PostgreSQL.
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
    """The regions and periods every indicator gets a cell for."""

    kabupaten: list[str]
    kecamatan: dict[str, list[str]]  # kabupaten → its kecamatan
    periode: dict[str, list[str]]  # 'tahun' / 'bulan' → periods

    def cells(self, decl: Deklarasi, jenis: str) -> list[tuple[str, str]]:
        regions = list(self.kabupaten)
        if "kecamatan" in decl.indikator.level_estimasi:
            regions += [k for kab in self.kabupaten for k in self.kecamatan.get(kab, [])]
        return [(r, p) for r in regions for p in self.periode[jenis]]


def fact_tables(conn: sa.Connection) -> set[str]:
    """The tables and views of the fact schema."""
    return set(conn.execute(sa.text(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'fact'")).scalars())


def fact_exists(conn: sa.Connection, table: str) -> bool:
    return table in fact_tables(conn)


def lingkup(conn: sa.Connection, wilayah: str) -> Lingkup:
    """The kabupaten/kota of the settings and every one with figures in the warehouse; the years with figures,
    and their months up to the latest month with figures."""
    kab, years, last_month = {wilayah}, [], None
    if fact_exists(conn, "observasi"):
        kab |= set(conn.execute(sa.text("SELECT DISTINCT substr(kode_wilayah, 1, 5) FROM fact.observasi")).scalars())
        rows = conn.execute(sa.text(
            "SELECT DISTINCT p.tahun, p.jenis, p.periode FROM fact.observasi o JOIN ref.periode p ON "
            "p.periode = o.periode")).all()
        years = sorted({r[0] for r in rows})
        months = sorted(r[2] for r in rows if r[1] == "bulan")
        last_month = months[-1] if months else None
    kab_list = sorted(k for k in kab if len(k) == 5)
    kec: dict[str, list[str]] = {k: [] for k in kab_list}
    for kode, induk in conn.execute(sa.text(
            "SELECT kode_kemendagri, kode_induk FROM ref.wilayah WHERE tingkat = 'kecamatan' ORDER BY 1")).all():
        if induk in kec:
            kec[induk].append(kode)
    bulan = [f"{y}-{m:02d}" for y in years for m in range(1, 13)]
    bulan = [b for b in bulan if last_month and b <= last_month]
    return Lingkup(kab_list, kec, {"tahun": [str(y) for y in years], "bulan": bulan})


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
    """Every cell of one indicator, for each kind of period it is declared for."""
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
        tables = {name: staging.table(decl, name, catalog[m.dataset], jenis) for name, m in ind.masukan.items()}
        for name, m in ind.masukan.items():
            _inputs_status(staging.rows(tables[name]), name, m, cells)
        values = staging.kotak.hasil(indicator_query(decl, tables))  # in the sandbox (kotak_pasir)
        _place_values(decl, values, cells)
        out += cells.values()
    return out


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
