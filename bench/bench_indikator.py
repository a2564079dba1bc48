"""Indicator recompute time at Katingan ×10: the Walidata runner beside the same SQL run directly in DuckDB.

The bundled sample is published through the pipeline once (`walidata run`), then copied to nine more
kabupaten (codes 62.91-62.99 with their own kecamatan and desa in ref.wilayah, every fact row copied): ten
kabupaten, 10× the facts. Same warehouse, same run, median of --repeat:
- walidata: `jalankan(paksa=True, periksa=False)`: every indicator's staging, SQL, cells with status and
  lineage, fingerprints, and the history-keeping write to mart.indikator_nilai__riwayat; once on an empty mart
  (every cell written) and once over the values in force (every cell compared, none changed);
- bare SQL: the very same staging and indicator SQL (rendered by the runner's own functions) executed with the
  duckdb module directly, results fetched, nothing written;
- the Great Expectations check of the mart (`periksa`), timed apart.
Target: walidata within 1.5× of the bare SQL.

    python bench/bench_indikator.py [--repeat 3] [--kali 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "include"))
from _results import save  # noqa: E402


def publish_sample(tmp: Path) -> dict:
    import shutil

    env = {**os.environ, "WALIDATA_INBOX": str(tmp / "inbox"), "WALIDATA_LAKE": str(tmp / "lake"),
           "WALIDATA_WAREHOUSE_URL": f"duckdb:///{tmp / 'warehouse.duckdb'}", "WALIDATA_GX_ROOT": str(tmp / "gx")}
    shutil.copytree(ROOT / "include" / "sample_data" / "inbox", tmp / "inbox")
    shutil.copytree(ROOT / "great_expectations", tmp / "gx", ignore=shutil.ignore_patterns("uncommitted"))
    # the API datasets answer from the sample server (as `make run` does), so a fresh clone publishes every dataset
    subprocess.run([sys.executable, "-m", "walidata.cli", "run", "--api-contoh"], env=env, check=True,
                   capture_output=True)
    return env


def scale(path: Path, times: int) -> int:
    """Copy Katingan (62.06) to times-1 more kabupaten, regions and facts alike; return the fact rows."""
    import duckdb

    con = duckdb.connect(str(path))
    tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                                        "'fact' AND table_name LIKE '%__riwayat'").fetchall()]
    for k in range(1, times):
        code = f"62.{90 + k}"
        con.execute(f"""INSERT INTO ref.wilayah SELECT '{code}' || substr(kode_kemendagri, 6), NULL,
                        nama || ' {k}', tingkat, CASE WHEN tingkat = 'kabupaten' THEN kode_induk
                        ELSE '{code}' || substr(kode_induk, 6) END, luas_km2, penduduk_laki, penduduk_perempuan,
                        penduduk_total, edisi FROM ref.wilayah WHERE kode_kemendagri = '62.06'
                        OR kode_kemendagri LIKE '62.06.%'""")
        for t in tables:
            cols = [r[0] for r in con.execute(f"SELECT column_name FROM information_schema.columns WHERE "
                                              f"table_schema = 'fact' AND table_name = '{t}' ORDER BY "
                                              f"ordinal_position").fetchall()]
            sel = ", ".join(f"'{code}' || substr(kode_wilayah, 6)" if c == "kode_wilayah" else f'"{c}"' for c in cols)
            con.execute(f'INSERT INTO fact."{t}" SELECT {sel} FROM fact."{t}" WHERE kode_wilayah LIKE \'62.06%\'')
    n = sum(con.execute(f'SELECT COUNT(*) FROM fact."{t}"').fetchone()[0] for t in tables)
    con.close()
    return n


def empty_mart(path: Path) -> None:
    import duckdb

    con = duckdb.connect(str(path))
    con.execute("DELETE FROM mart.indikator_nilai__riwayat")
    con.execute("DELETE FROM audit.indikator_hitung")
    con.close()


def walidata_run(settings, i: int) -> float:
    from walidata.serve.indikator.jalankan import jalankan

    t = time.perf_counter()
    r = jalankan(settings, f"bench-{i}", paksa=True, periksa=False)
    assert r.dihitung, "nothing computed"
    return time.perf_counter() - t


def bare_sql(settings) -> float:
    """The runner's SQL, rendered by its own functions, through the duckdb module: no SQLAlchemy, no writes."""
    import duckdb

    from walidata.catalog import load_catalog
    from walidata.serve.indikator.hitung import _staging, indicator_query
    from walidata.serve.indikator.spec import load_indikator

    decls = load_indikator(settings.indikator)
    catalog = {d.id: d for d in load_catalog(settings.catalog)[0]}
    con = duckdb.connect(settings.warehouse_url.removeprefix("duckdb:///"), read_only=True)
    t = time.perf_counter()
    staged: dict[str, str] = {}
    for decl in decls:
        for jenis in decl.indikator.periode:
            if any(m.dataset not in catalog for m in decl.indikator.masukan.values()):
                continue
            tables = {}
            for name, m in decl.indikator.masukan.items():
                key = repr((m.model_dump(mode="json"), jenis))
                if key not in staged:
                    staged[key] = f"stg_{len(staged)}"
                    con.execute(f"CREATE TEMP TABLE {staged[key]} AS "
                                f"{_staging(settings.indikator, decl, name, catalog[m.dataset], jenis)}")
                tables[name] = staged[key]
                con.execute(f"SELECT * FROM {tables[name]}").fetchall()
            con.execute(indicator_query(decl, tables)).fetchall()
    elapsed = time.perf_counter() - t
    con.close()
    return elapsed


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--kali", type=int, default=10, help="how many kabupaten (Katingan and its copies)")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="walidata-bench-ind-") as tmp:
        tmp = Path(tmp)
        env = publish_sample(tmp)
        rows = scale(tmp / "warehouse.duckdb", a.kali)
        os.environ.update(env)
        from walidata.serve.indikator.jalankan import jalankan
        from walidata.settings import get_settings

        settings = get_settings()
        jalankan(settings, "bench-warm", paksa=True, periksa=False)  # imports, caches
        walidata, again, bare = [], [], []
        for i in range(a.repeat):
            empty_mart(tmp / "warehouse.duckdb")
            walidata.append(walidata_run(settings, i))  # first computation: every cell written
            again.append(walidata_run(settings, 100 + i))  # recompute over the mart in force: compared, none written
            bare.append(bare_sql(settings))
        cells = settings and __import__("duckdb").connect(str(tmp / "warehouse.duckdb"), read_only=True).execute(
            "SELECT COUNT(*) FROM mart.indikator_nilai").fetchone()[0]
        t = time.perf_counter()
        r = jalankan(settings, "bench-gx", paksa=True)
        gx = time.perf_counter() - t
    w, b, r2 = statistics.median(walidata), statistics.median(bare), statistics.median(again)
    print(f"Indicator benchmark: Katingan ×{a.kali} ({rows:,} fact rows, {cells:,} mart cells), median of {a.repeat}")
    print(f"  walidata, first computation (empty mart, every cell written): {w:6.2f} s  {w / b:5.2f}×")
    print(f"  walidata, recompute over the values in force (compared)    : {r2:6.2f} s  {r2 / b:5.2f}×")
    print(f"  bare SQL (duckdb)                                          : {b:6.2f} s   (target ≤ 1.5×)")
    print(f"  with GX check of the mart: {gx:6.2f} s ({r.validasi})")
    save("bench_indikator", {"kali": a.kali, "fact_rows": rows, "mart_cells": cells, "walidata_s": walidata,
                             "recompute_s": again, "bare_sql_s": bare, "ratio": w / b, "ratio_recompute": r2 / b,
                             "with_gx_s": gx})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
