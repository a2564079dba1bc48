"""Warehouse load throughput at 1M rows: the Walidata publish beside native bulk loads and DataFrame.to_sql.

Same rows, same run, fresh tables each repeat:
- walidata: `history.replace_partitions` (history-keeping publish of the covered periods) in one transaction;
- native: DuckDB `INSERT … SELECT` from a registered Arrow table; PostgreSQL `COPY … FROM STDIN` of
  Arrow-written CSV; both into a plain table of the same columns as the published table (the facts and
  their `berlaku_mulai` time), so the ratio shows what Walidata adds on top of the native mechanism;
- to_sql: `DataFrame.to_sql` (SQLAlchemy row inserts) on a 20,000-row slice, as rows/s.

    python bench/bench_warehouse.py [--rows 1000000] [--repeat 3] [--postgres URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pyarrow as pa
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import save  # noqa: E402

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def make_rows(n: int) -> pa.Table:
    """n distinct facts shaped like disdukcapil.penduduk_kecamatan (kecamatan × month × sex)."""
    import numpy as np

    codes = [f"62.06.{k:02d}" for k in range(1, 14)]
    per_period = len(codes) * 2
    i = np.arange(n)
    p = i // per_period
    periods = np.array([f"{1000 + j // 12}-{j % 12 + 1:02d}" for j in range(int(p.max()) + 1)])
    return pa.table({
        "variabel": pa.array(["jumlah_penduduk"] * n),
        "kode_wilayah": pa.array(np.array(codes)[(i // 2) % len(codes)]),
        "periode": pa.array(periods[p]),
        "jenis_kelamin": pa.array(np.where(i % 2 == 0, "L", "P")),
        "nilai": pa.array((i % 9973).astype("float64")),
        "satuan": pa.array(["jiwa"] * n), "status": pa.array(["tetap"] * n),
        "load_id": pa.array(["bench"] * n), "sumber_file": pa.array(["bench.xlsx"] * n),
        "sumber_sheet": pa.array(["1"] * n), "sumber_baris": pa.array(i % 1000 + 7, pa.int64()),
    })


def walidata_load(url: str, data: pa.Table) -> float:
    from walidata.catalog import get_dataset
    from walidata.publish import history, schema, warehouse

    ds = get_dataset(ROOT / "include" / "catalog", "disdukcapil.penduduk_kecamatan")
    with warehouse.engine_for(url) as engine:
        with engine.begin() as conn:
            schema.ensure_schema(conn, ds)
            conn.exec_driver_sql('TRUNCATE fact."disdukcapil__penduduk_kecamatan__riwayat"')
        t0 = time.perf_counter()
        with engine.begin() as conn:
            history.replace_partitions(conn, ds, data, dt.datetime.now(dt.UTC))
        return time.perf_counter() - t0


def native_load(url: str, data: pa.Table) -> float:
    when = dt.datetime.now(dt.UTC)
    if "duckdb" in url:
        data = data.append_column("berlaku_mulai", pa.repeat(pa.scalar(when, pa.timestamp("us", tz="UTC")),
                                                             data.num_rows))
    else:
        data = data.append_column("berlaku_mulai", pa.repeat(pa.scalar(when.isoformat()), data.num_rows))
    cols = ", ".join(data.column_names)
    with sa.create_engine(url, poolclass=sa.pool.NullPool).connect() as conn:
        raw = conn.connection.driver_connection
        name = f"native_{uuid.uuid4().hex[:8]}"
        if conn.dialect.name == "duckdb":
            raw.execute(f"CREATE TABLE {name} AS SELECT * FROM data LIMIT 0")
            conn.commit()
            t0 = time.perf_counter()
            raw.register("arrow_rows", data)
            raw.execute(f"INSERT INTO {name} SELECT * FROM arrow_rows")
            conn.commit()
            took = time.perf_counter() - t0
        else:
            import pyarrow.csv as pacsv

            raw.execute(f"CREATE TABLE {name} (variabel text, kode_wilayah text, periode text, jenis_kelamin text, "
                        f"nilai double precision, satuan text, status text, load_id text, sumber_file text, "
                        f"sumber_sheet text, sumber_baris bigint, berlaku_mulai timestamptz)")
            conn.commit()
            t0 = time.perf_counter()
            buf = io.BytesIO()
            pacsv.write_csv(data, buf, write_options=pacsv.WriteOptions(include_header=False))
            with raw.cursor() as cur, cur.copy(f"COPY {name} ({cols}) FROM STDIN WITH (FORMAT csv)") as copy:
                copy.write(buf.getvalue())
            conn.commit()
            took = time.perf_counter() - t0
        conn.exec_driver_sql(f"DROP TABLE {name}")
        conn.commit()
        return took


def to_sql_rate(url: str, data: pa.Table, n: int = 20_000) -> float:
    df = data.slice(0, n).to_pandas()
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    name = f"tosql_{uuid.uuid4().hex[:8]}"
    t0 = time.perf_counter()
    df.to_sql(name, engine, index=False)
    took = time.perf_counter() - t0
    with engine.begin() as c:
        c.exec_driver_sql(f"DROP TABLE {name}")
    engine.dispose()
    return n / took


def bench(label: str, url: str, data: pa.Table, repeat: int) -> dict:
    walidata_load(url, data.slice(0, 1000))  # warm-up and schema
    w, nat = [], []
    for _ in range(repeat):  # interleaved, so noise hits both alike
        nat.append(native_load(url, data))
        w.append(walidata_load(url, data))
    tosql = to_sql_rate(url, data)
    n = data.num_rows
    r = {"walidata_rows_s": n / statistics.median(w), "native_rows_s": n / statistics.median(nat),
         "to_sql_rows_s": tosql}
    print(f"{label:10} walidata {r['walidata_rows_s']:12,.0f} rows/s   native {r['native_rows_s']:12,.0f} rows/s   "
          f"to_sql {tosql:10,.0f} rows/s   → {r['walidata_rows_s'] / r['native_rows_s']:.2f}× native, "
          f"{r['walidata_rows_s'] / tosql:.0f}× to_sql")
    return r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--postgres", default=os.environ.get("WALIDATA_TEST_POSTGRES_URL", PG_DEFAULT))
    a = ap.parse_args()
    data = make_rows(a.rows)
    print(f"Warehouse load benchmark: {a.rows:,} rows, median of {a.repeat} (targets: ≥ 0.8× native, ≥ 20× to_sql)")
    results = {}
    with tempfile.TemporaryDirectory(prefix="walidata-bench-wh-") as tmp:
        results["duckdb"] = bench("DuckDB", f"duckdb:///{tmp}/bench.duckdb", data, a.repeat)
    admin = sa.create_engine(a.postgres, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    db = f"walidata_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.connect() as c:
            c.exec_driver_sql(f'CREATE DATABASE "{db}"')
        results["postgresql"] = bench("PostgreSQL", admin.url.set(database=db).render_as_string(False), data,
                                      a.repeat)
    except sa.exc.OperationalError as exc:
        print(f"PostgreSQL skipped: not reachable ({exc.orig})")
    finally:
        with admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        admin.dispose()
    save("bench_warehouse", results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
