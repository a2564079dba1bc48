"""The baselines of bench/run.py, run on the same files in the same process as the pipeline's stages.

Each does the least a hand-written job would do, none of the pipeline's checks, mapping or bookkeeping:
- raw python-calamine (csv module for CSV) reading every cell of every inbox file (against standardise);
- native bulk loads of the standardised records: DuckDB `read_parquet` into a table, PostgreSQL `COPY`
  (against publish);
- hand-written pandas checks of the records (against validate);
- a bare pandas script doing one dataset's whole job (read every sheet, reshape, Parquet, DuckDB insert),
  against the pipeline's four stages for that dataset;
- the indicators' own SQL run directly in DuckDB (bench_indikator.bare_sql), against the indicator runner.
"""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

PG_DSN = os.environ.get("WALIDATA_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_COLUMNS = ["dataset", "variabel", "kode_wilayah", "periode", "nilai", "satuan", "status"]
META = {"rekaman_id", "nama_wilayah", "nilai", "satuan", "status", "masalah", "masalah_rinci", "sumber_file",
        "sumber_sheet", "sumber_baris", "sumber_kolom_wilayah", "sumber_kolom_nilai"}


def raw_cells(files: list[Path]) -> int:
    """Every cell of every file, the least work that turns a file into cells (bench_reader._raw)."""
    from bench_reader import _raw

    return sum(_raw(p) for p in files)


def duckdb_bulk(parquets: list[str], target: Path) -> int:
    import duckdb

    con = duckdb.connect(str(target))
    files = ", ".join(f"'{p}'" for p in parquets)
    con.execute(f"CREATE OR REPLACE TABLE records AS SELECT * FROM read_parquet([{files}], union_by_name = true)")
    n = con.execute("SELECT COUNT(*) FROM records").fetchone()[0]
    con.close()
    return n


def pg_copy(parquets: list[str]) -> int | None:
    """The same records through `COPY … FROM STDIN (FORMAT csv)`, into a scratch table dropped afterwards.
    None when no PostgreSQL answers at WALIDATA_BENCH_PG."""
    import psycopg
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    try:
        conn = psycopg.connect(PG_DSN, connect_timeout=3)
    except psycopg.OperationalError:
        return None
    table = f"bench_records_{os.getpid()}"
    n = 0
    with conn:
        conn.execute(f"CREATE TEMP TABLE {table} (dataset text, variabel text, kode_wilayah text, periode text, "
                     "nilai double precision, satuan text, status text)")
        with conn.cursor() as cur, cur.copy(f"COPY {table} FROM STDIN (FORMAT csv)") as copy:
            for p in parquets:
                t = pq.read_table(p, columns=PG_COLUMNS)
                buf = io.BytesIO()
                pacsv.write_csv(t, buf, pacsv.WriteOptions(include_header=False))
                copy.write(buf.getvalue())
                n += t.num_rows
        got = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        assert got == n, (got, n)
    return n


def pandas_checks(parquets: list[str], codes: set[str]) -> int:
    """Region code known, period present, value numeric and not negative, key unique: rows failing any."""
    import pandas as pd

    bad = 0
    for p in parquets:
        df = pd.read_parquet(p)
        key = [c for c in df.columns if c not in META]
        nilai = pd.to_numeric(df["nilai"], errors="coerce")
        fail = (~df["kode_wilayah"].isin(codes) | df["periode"].isna() | (nilai < 0)
                | df.duplicated(subset=key, keep=False))
        bad += int(fail.sum())
    return bad


def bare_pandas(files: list[Path], work: Path) -> int:
    """Disdukcapil's population table by a one-off script: every sheet, the rows numbered in column A, L/P
    melted to tidy rows, Indonesian thousands separators dropped, Parquet, DuckDB insert. Returns the rows."""
    import duckdb
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    frames = []
    for src in files:
        for name, df in pd.read_excel(src, sheet_name=None, header=None, engine="calamine").items():
            body = df[pd.to_numeric(df[0], errors="coerce").notna()].iloc[:, 1:4]
            body.columns = ["kecamatan", "L", "P"]
            long = body.melt(id_vars="kecamatan", var_name="jenis_kelamin", value_name="nilai")
            long["nilai"] = long["nilai"].map(lambda v: float(str(v).replace(".", "")) if isinstance(v, str)
                                              else float(v))
            long["periode"] = name
            long["sumber"] = src.name
            frames.append(long)
    tidy = pd.concat(frames, ignore_index=True)
    table = pa.Table.from_pandas(tidy, preserve_index=False)
    pq.write_table(table, work / "bare.parquet")
    con = duckdb.connect(str(work / "bare.duckdb"))
    con.register("tidy", table)
    con.execute("CREATE OR REPLACE TABLE penduduk AS SELECT * FROM tidy")
    con.close()
    return len(tidy)


def indicators_sql(settings) -> int:
    """The indicator runner's staging and indicator SQL (rendered by its own functions, as
    bench_indikator.bare_sql) run directly with the duckdb module, results fetched, nothing written; indicators
    whose input datasets have no fact table in this warehouse are left out. Returns the indicators run."""
    import duckdb

    from walidata.catalog import load_catalog
    from walidata.serve.indikator.hitung import _staging, indicator_query
    from walidata.serve.indikator.spec import load_indikator

    catalog = {d.id: d for d in load_catalog(settings.catalog)[0]}
    con = duckdb.connect(settings.warehouse_url.removeprefix("duckdb:///"), read_only=True)
    facts = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                       "WHERE table_schema = 'fact'").fetchall()}
    staged: dict[str, str] = {}
    n = 0
    for decl in load_indikator(settings.indikator):
        inputs = decl.indikator.masukan.values()
        if any(m.dataset not in catalog or m.dataset.replace(".", "__") not in facts for m in inputs):
            continue
        for jenis in decl.indikator.periode:
            tables = {}
            for name, m in decl.indikator.masukan.items():
                key = repr((m.model_dump(mode="json"), jenis))
                if key not in staged:
                    staged[key] = f"stg_{len(staged)}"
                    con.execute(f"CREATE TEMP TABLE {staged[key]} AS "
                                f"{_staging(settings.indikator, decl, name, catalog[m.dataset], jenis)}")
                tables[name] = staged[key]
            con.execute(indicator_query(decl, tables)).fetchall()
            n += 1
    con.close()
    return n
