"""Publishing to the warehouse and the lake, on DuckDB and on PostgreSQL (a throwaway database)."""

import duckdb
import pandas as pd
import pytest

from conftest import DATASET, SAMPLE_FILE, edit_workbook, query, replace_inbox_file, snapshot
from walidata import pipeline
from walidata.validate.outcome import ValidationFailed

FACT = "fact.disdukcapil__penduduk_kecamatan"
DATA_TABLES = [FACT, "ref.wilayah", "ref.dataset"]


def _lake_files(settings):
    root = settings.lake / "clean"
    return {p.relative_to(root): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_publish_fills_warehouse_and_lake(warehouse):
    out = pipeline.run_dataset(DATASET, "run-1", warehouse)
    assert out["rows_loaded"] == 78 and out["periods"] == ["2023", "2024", "2025"]
    url = warehouse.warehouse_url
    sums = dict(((p, jk), v) for p, jk, v in query(
        url, f"SELECT periode, jenis_kelamin, SUM(nilai) FROM {FACT} GROUP BY periode, jenis_kelamin"))
    assert sums[("2025", "L")] == 94401 and sums[("2025", "P")] == 87562
    assert query(url, f"SELECT COUNT(DISTINCT kode_wilayah) FROM {FACT}") == [(13,)]
    assert query(url, "SELECT COUNT(*) FROM ref.wilayah WHERE tingkat IN ('kabupaten', 'kota')") == [(514,)]
    assert query(url, "SELECT kode_bps, nama FROM ref.wilayah WHERE kode_kemendagri = '62.06.02'") == [
        ("6209050", "Katingan Hilir")]
    (ds_row,) = query(url, "SELECT produsen_data, satuan, jadwal_pemutakhiran, tabel_fakta FROM ref.dataset")
    assert ds_row == ("Dinas Kependudukan dan Pencatatan Sipil", "jiwa", "tahunan", FACT)
    (log,) = query(url, "SELECT run_id, dataset, status, hasil_validasi, baris_dibaca, baris_dimuat, baris_ditolak,"
                         " sumber_sha256 FROM audit.load_log")
    assert log[:7] == ("run-1", DATASET, "dimuat", "lulus", 78, 78, 0)
    assert log[7] == out["files"][0]["sha256"]
    # The lake's clean zone: hive partitions by dataset and period, readable straight from DuckDB.
    lake = duckdb.sql(f"""SELECT periode, SUM(nilai) FROM read_parquet('{warehouse.lake}/clean/**/*.parquet',
                          hive_partitioning = 1, hive_types_autocast = 0) GROUP BY ALL ORDER BY 1""").fetchall()
    assert lake == [("2023", 177148.0), ("2024", 179540.0), ("2025", 181963.0)]


def test_same_run_twice_gives_the_same_warehouse(warehouse):
    pipeline.run_dataset(DATASET, "run-1", warehouse)
    first, lake1 = snapshot(warehouse.warehouse_url, DATA_TABLES), _lake_files(warehouse)
    pipeline.run_dataset(DATASET, "run-2", warehouse, paksa=True)
    assert snapshot(warehouse.warehouse_url, DATA_TABLES) == first
    assert _lake_files(warehouse) == lake1
    logs = query(warehouse.warehouse_url, "SELECT run_id, load_id FROM audit.load_log ORDER BY run_id")
    assert [r[0] for r in logs] == ["run-1", "run-2"] and logs[0][1] == logs[1][1]


def test_already_published_file_is_skipped(warehouse):
    from walidata.sources.inbox import NoSourceFiles

    pipeline.run_dataset(DATASET, "run-1", warehouse)
    before = snapshot(warehouse.warehouse_url, DATA_TABLES + ["audit.load_log"])
    with pytest.raises(NoSourceFiles, match="tidak ada file baru .* 1 file sudah diterbitkan"):
        pipeline.run_dataset(DATASET, "run-2", warehouse)
    assert snapshot(warehouse.warehouse_url, DATA_TABLES + ["audit.load_log"]) == before


def test_bad_workbook_leaves_warehouse_unchanged_and_quarantines(warehouse, tmp_path):
    pipeline.run_dataset(DATASET, "good", warehouse)
    before, lake_before = snapshot(warehouse.warehouse_url, DATA_TABLES), _lake_files(warehouse)
    bad = edit_workbook(SAMPLE_FILE, tmp_path / "penduduk_rusak.xlsx",
                        {("2025", "B9"): "Antah Berantah", ("2025", "D11"): -40})
    replace_inbox_file(warehouse, bad)
    with pytest.raises(ValidationFailed) as exc:
        pipeline.run_dataset(DATASET, "bad", warehouse)
    msg = str(exc.value)
    assert "file penduduk_rusak.xlsx, sheet '2025', baris 9, kolom B: kecamatan 'Antah Berantah'" in msg
    assert "file penduduk_rusak.xlsx, sheet '2025', baris 11, kolom D: nilai=-40" in msg
    assert snapshot(warehouse.warehouse_url, DATA_TABLES) == before
    assert _lake_files(warehouse) == lake_before
    q = pd.read_parquet(warehouse.lake / "karantina" / f"dataset={DATASET}" / "run=bad" / "rejected.parquet")
    assert set(q.sumber_baris) == {9, 11} and q.alasan.str.contains("sheet '2025'").all()
    failed = query(warehouse.warehouse_url, "SELECT status, baris_ditolak, karantina, pesan FROM audit.load_log "
                                             "WHERE run_id = 'bad'")
    assert failed[0][:2] == ("gagal_validasi", len(q)) and "rejected.parquet" in failed[0][2]
    assert "baris 9, kolom B" in failed[0][3]


def test_failure_inside_the_publish_transaction_changes_nothing(warehouse):
    pipeline.run_dataset(DATASET, "good", warehouse)
    tables = DATA_TABLES + ["audit.load_log"]
    before, lake_before = snapshot(warehouse.warehouse_url, tables), _lake_files(warehouse)
    ref = pipeline.validate(pipeline.standardise(pipeline.extract(DATASET, "broken", warehouse, paksa=True),
                                                 warehouse), warehouse)
    # Changed figures and a duplicate key: the publish fails after old rows were already closed and new
    # ones inserted inside its transaction.
    records = pd.read_parquet(ref["records"])
    records.loc[:10, "nilai"] += 1
    pd.concat([records, records.iloc[[5]]]).to_parquet(ref["records"], index=False)
    with pytest.raises(pipeline.StageFailed, match="(?i)tahap publish.*duplicate") as err:
        pipeline.publish(ref, warehouse)
    assert "figures already published stay in force" in str(err.value)
    assert snapshot(warehouse.warehouse_url, DATA_TABLES) == {k: before[k] for k in DATA_TABLES}
    assert _lake_files(warehouse) == lake_before
    # The failed attempt leaves evidence: the good load's audit row as it was, and one row for the failure.
    audit = query(warehouse.warehouse_url, "SELECT run_id, status, baris_dimuat, pesan FROM audit.load_log "
                                            "ORDER BY selesai")
    assert [a[:3] for a in audit] == [("good", "dimuat", before["audit.load_log"][0][8]), ("broken", "gagal_muat", 0)]
    assert "tahap publish (terbitkan)" in audit[1][3] and "duplicate key" in audit[1][3]
    clean = warehouse.lake / "clean"
    assert not list(clean.rglob(".tmp-*")) and not list(clean.rglob(".*.staged"))


def test_resent_file_replaces_only_its_periods(warehouse, tmp_path):
    pipeline.run_dataset(DATASET, "v1", warehouse)
    f = edit_workbook(SAMPLE_FILE, tmp_path / "revisi_2025.xlsx", {})
    from openpyxl import load_workbook

    wb = load_workbook(f)
    for name in ("2023", "2024"):
        del wb[name]
    ws = wb["2025"]
    ws["C7"], ws["E7"], ws["C20"] = ws["C7"].value + 10, ws["E7"].value + 10, ws["C20"].value + 10
    wb.save(f)
    replace_inbox_file(warehouse, f)
    out = pipeline.run_dataset(DATASET, "v2", warehouse)
    assert out["periods"] == ["2025"]
    rows = dict(((p, jk), (v, lid)) for p, jk, v, lid in query(
        warehouse.warehouse_url,
        f"SELECT periode, jenis_kelamin, SUM(nilai), MIN(load_id) FROM {FACT} GROUP BY periode, jenis_kelamin"))
    assert rows[("2025", "L")][0] == 94411 and rows[("2024", "L")][0] == 93144
    assert out["rows_changed"] == 2  # the changed figure is added and its previous version closed
    assert rows[("2024", "L")][1] != out["load_id"]
    # History: the previous figure stays queryable with the load that brought it and when it was superseded.
    hist = query(warehouse.warehouse_url, f"""SELECT nilai, load_id, berlaku_sampai IS NULL FROM {FACT}__riwayat
        WHERE periode = '2025' AND jenis_kelamin = 'L' AND kode_wilayah = '62.06.01' ORDER BY berlaku_mulai""")
    assert [(h[1] == out["load_id"], h[2]) for h in hist] == [(False, False), (True, True)]
    assert hist[1][0] == hist[0][0] + 10


def test_publish_waits_for_another_process_holding_the_duckdb_file(sandbox, monkeypatch):
    """Another process holds the DuckDB file (one writer at a time): the run waits for it instead of failing,
    writes only after the holder let go, and publishes the right figures. Proven by timestamps the holder
    writes when it takes and lets go of the lock, and by watching the run blocked while the lock was held."""
    import json
    import subprocess
    import sys
    import threading
    import time

    import sqlalchemy as sa

    from conftest import published, workbook_figures
    from walidata.catalog import get_dataset

    def refused(attempts):
        return [a for a in attempts if a.get("ok") is False and "lock" in a["error"].lower()]

    path = sandbox.warehouse_url.removeprefix("duckdb:///")
    holder_code = (
        "import duckdb, json, sys, time\n"
        "con = duckdb.connect(sys.argv[1])\n"
        "print(json.dumps({'acquired': time.time()}), flush=True)\n"
        "sys.stdin.readline()\n"  # the test says when to let go
        "tables = con.execute('SELECT COUNT(*) FROM duckdb_tables()').fetchone()[0]\n"
        "released = time.time()\n"  # taken while the lock is still held: every later write is after it
        "con.close()\n"
        "print(json.dumps({'tables': tables, 'released': released, 'closed': time.time()}), flush=True)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", holder_code, path], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    # Every attempt to open a warehouse connection (SQLAlchemy's, below the pipeline's own waiting): when it
    # was made, when it came back, and whether it got a connection or was refused for the lock.
    attempts: list[dict] = []
    real_connect = sa.engine.Engine.connect

    def watched_connect(engine):
        attempt = {"asked": time.time(), "url": str(engine.url)}
        attempts.append(attempt)
        try:
            conn = real_connect(engine)
        except BaseException as exc:
            attempt.update(back=time.time(), ok=False, error=str(exc))
            raise
        attempt.update(back=time.time(), ok=True)
        return conn

    monkeypatch.setattr(sa.engine.Engine, "connect", watched_connect)
    result: dict = {}

    def run():
        try:
            result["out"] = pipeline.run_dataset(DATASET, "after-lock", sandbox)
        except BaseException as exc:  # re-raised in the test below
            result["error"] = exc

    worker = threading.Thread(target=run, daemon=True)
    try:
        acquired = json.loads(holder.stdout.readline())["acquired"]
        started = time.time()
        worker.start()
        # Checkpoint while the holder still holds the lock: the run is retrying, refused for the lock each time,
        # has been granted no connection, and has not ended.
        deadline = time.monotonic() + 60
        while len(refused(attempts)) < 3 and worker.is_alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)
        at_checkpoint = [dict(a) for a in attempts]
        assert len(refused(at_checkpoint)) >= 3, (at_checkpoint, result)
        assert not [a for a in at_checkpoint if a.get("ok")], at_checkpoint
        assert worker.is_alive() and not result, result
        assert not (sandbox.lake / "clean").exists()  # nothing published to the lake either
        holder.stdin.write("\n")
        holder.stdin.flush()
        done = json.loads(holder.stdout.readline())
        worker.join(300)
        assert not worker.is_alive()
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.wait(30)
    if "error" in result:
        raise result["error"]
    released = done["released"]
    assert acquired <= started < released
    assert done["tables"] == 0  # while the holder held the file, nobody wrote to it
    # It really waited: refused while the holder held the lock, granted only after it let go, and by retrying
    # (not by failing: the first connection granted is on the warehouse, after the last refusal).
    assert all(a["asked"] < done["closed"] for a in refused(attempts))
    granted = [a for a in attempts if a.get("ok") and path in a["url"]]
    assert granted and min(a["back"] for a in granted) >= released
    assert refused(attempts)[0]["asked"] < released
    # Its writes come after the release: the load's end, and the time its figures took effect.
    (log,) = query(sandbox.warehouse_url, "SELECT status, baris_dimuat, mulai, selesai FROM audit.load_log "
                                          "WHERE run_id = 'after-lock'")
    assert log[:2] == ("dimuat", 78)
    assert log[2].timestamp() < released <= log[3].timestamp()  # started before the release, ended after
    (first_effective,) = query(sandbox.warehouse_url, f"SELECT MIN(berlaku_mulai) FROM {FACT}__riwayat")[0]
    assert first_effective.timestamp() >= released
    # And the result is right: the published figures are the workbook's, sheet by sheet.
    assert result["out"]["rows_loaded"] == 78
    rows = published(sandbox.warehouse_url, get_dataset(sandbox.catalog, DATASET))
    truth = workbook_figures(SAMPLE_FILE)
    for periode in ("2023", "2024", "2025"):
        for jk, i in (("L", 0), ("P", 1)):
            want = sum(v[i] for (sheet, _), v in truth.items() if sheet == periode)
            assert sum(r["nilai"] for r in rows if r["periode"] == periode and r["jenis_kelamin"] == jk) == want
    assert len(rows) == 78


def test_unreadable_file_is_logged_and_changes_no_data(sandbox, tmp_path):
    from walidata.sources.spreadsheet import SourceError

    pipeline.run_dataset(DATASET, "good", sandbox)
    before = snapshot(sandbox.warehouse_url, DATA_TABLES)
    bad = edit_workbook(SAMPLE_FILE, tmp_path / "tanpa_kolom.xlsx", {("2024", "C5"): "Pria"})
    replace_inbox_file(sandbox, bad)
    with pytest.raises(SourceError, match="file tanpa_kolom.xlsx, sheet '2024', baris 4: kolom wajib 'laki_laki'"):
        pipeline.run_dataset(DATASET, "unreadable", sandbox)
    assert snapshot(sandbox.warehouse_url, DATA_TABLES) == before
    (row,) = query(sandbox.warehouse_url, "SELECT status, pesan FROM audit.load_log WHERE run_id = 'unreadable'")
    assert row[0] == "gagal_baca" and "tanpa_kolom.xlsx" in row[1]
