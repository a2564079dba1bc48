"""Faults on real components: a full disk at each stage, PostgreSQL restarted mid-publish, two runs of one
dataset at once, a source file replaced while it is read, links in the inbox. After each, nothing published is
lost: the warehouse and the lake are compared with the expected contents row by row."""

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from test_publish_units import _rows, current, lake_rows

from conftest import DATASET, SAMPLE_FILE, edit_workbook, replace_inbox_file, workbook_figures
from walidata import pipeline
from walidata.settings import get_settings
from walidata.sources.inbox import NoSourceFiles, SourceChanged


def _audit(settings, run_id: str) -> list[tuple]:
    return _rows(settings.warehouse_url, f"SELECT status, pesan FROM audit.load_log WHERE run_id = '{run_id}' "
                                         "ORDER BY selesai")


def _env(settings) -> dict:
    return {**os.environ, "WALIDATA_WAREHOUSE_URL": settings.warehouse_url, "WALIDATA_LAKE": str(settings.lake),
            "WALIDATA_GX_ROOT": str(settings.gx_root), "WALIDATA_INBOX": str(settings.inbox),
            "WALIDATA_CATALOG": str(settings.catalog)}


# ---------------------------------------------------------------- disk full

FULL_SCRIPT = r"""
import json, subprocess, sys
from pathlib import Path
from walidata import pipeline
from walidata.settings import get_settings

stage, run_id = sys.argv[1], sys.argv[2]
settings = get_settings()

def fill(path: Path) -> None:
    # A small tmpfs over `path` (this process's own mount namespace), holding what `path` held, then filled up.
    keep = {p.relative_to(path): p.read_bytes() for p in path.rglob("*") if p.is_file()} if path.exists() else {}
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(path)], check=True)
    for rel, data in keep.items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_bytes(data)
    with open(path / ".filler", "wb", buffering=0) as f:
        for size in (1 << 16, 512, 1):
            try:
                while True:
                    f.write(b"\0" * size)
            except OSError:
                pass

lake = settings.lake
ref = None
try:
    if stage == "extract":
        fill(lake / "raw")
    ref = pipeline.extract(sys.argv[3], run_id, settings)
    if stage == "standardise":
        fill(lake / "staging")
    if stage != "extract":
        ref = pipeline.standardise(ref, settings)
    if stage == "validate":
        fill(Path(ref["records"]).parent)
    if stage in ("validate", "publish"):
        ref = pipeline.validate(ref, settings)
    if stage == "publish":
        fill(lake / "clean")
        pipeline.publish(ref, settings)
    error = None
except pipeline.StageFailed as exc:
    error = str(exc)
partial = sorted(str(p) for p in lake.rglob("*") if ".tmp" in p.name or p.name.endswith(".staged"))
print(json.dumps({"error": error, "partial": partial}))
"""


def _can_mount() -> bool:
    return shutil.which("unshare") is not None and subprocess.run(
        ["unshare", "-m", "--propagation", "private", "mount", "-t", "tmpfs", "tmpfs", "/mnt"],
        capture_output=True).returncode == 0


@pytest.mark.skipif(not _can_mount(), reason="needs a private mount namespace (unshare -m) to fill a disk")
@pytest.mark.parametrize("stage, where", [
    ("extract", "raw/dataset="), ("standardise", "staging/dataset="), ("validate", "validation.json"),
    ("publish", "clean/dataset="),
])
def test_disk_full_at_each_stage_names_stage_and_path_and_a_rerun_completes(sandbox, stage, where):
    run_id = f"penuh-{stage}"
    proc = subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable, "-c", FULL_SCRIPT,
                           stage, run_id, DATASET], env=_env(sandbox), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["error"], f"the {stage} stage did not fail on a full disk"
    assert f"tahap {stage}" in out["error"] and where in out["error"] and "No space left" in out["error"]
    assert out["partial"] == []  # no truncated file, no .tmp left behind
    (status, pesan), = _audit(sandbox, run_id)
    assert status == "gagal_tulis" and f"tahap {stage}" in pesan and where in pesan
    assert _rows(sandbox.warehouse_url, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = "
                                        "'fact' AND table_name LIKE 'disdukcapil%'") in ([(0,)], [(2,)])
    assert not list((sandbox.lake / "clean").rglob("*.parquet")) if (sandbox.lake / "clean").exists() else True

    # Space is back (the namespace is gone): the rerun publishes everything.
    out = pipeline.run_dataset(DATASET, f"ulang-{stage}", sandbox, paksa=True)
    assert out["rows_loaded"] == 78
    rows = current(sandbox)
    assert sorted((r[2], r[3], r[4]) for r in rows) == sample_figures()  # every figure of the workbook
    assert lake_rows(sandbox) == rows


def sample_figures() -> list[tuple]:
    """(periode, jenis_kelamin, nilai) of every figure in the sample workbook, read with openpyxl."""
    return sorted(x for (sheet, _), (laki, perempuan) in workbook_figures(SAMPLE_FILE).items()
                  for x in ((sheet, "L", laki), (sheet, "P", perempuan)))


# ---------------------------------------------------------------- two runs at once

def _revised(tmp_path) -> Path:
    return edit_workbook(SAMPLE_FILE, tmp_path / "revisi_kamipang.xlsx", {
        ("2025", "C7"): 4942, ("2025", "E7"): 9517, ("2025", "C20"): 94411})


def test_two_cli_runs_of_one_dataset_at_once_serialise(sandbox, tmp_path):
    cmd = [sys.executable, "-m", "walidata.cli", "run", DATASET]
    env = _env(sandbox)
    first = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lock = sandbox.lake / "locks" / f"dataset={DATASET}.lock"
    deadline = time.monotonic() + 60
    while not (lock.exists() and lock.read_text().strip()) and time.monotonic() < deadline:
        time.sleep(0.01)
    replace_inbox_file(sandbox, _revised(tmp_path))  # the OPD sends a revision while the first run works
    second = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    outs = [p.communicate(timeout=300)[0] for p in (first, second)]
    assert [p.returncode for p in (first, second)] == [0, 0], outs

    runs = _rows(sandbox.warehouse_url, "SELECT run_id, status, load_id FROM audit.load_log ORDER BY selesai")
    assert len({r[0] for r in runs}) == len(runs) >= 1 and {r[1] for r in runs} == {"dimuat"}
    assert len({r[0] for r in runs}) == len(list((sandbox.lake / "staging" / f"dataset={DATASET}").iterdir()))
    rows = current(sandbox)
    kamipang = [r for r in rows if r[2] == "2025" and r[3] == "L" and r[4] == 4942]
    assert len(kamipang) == 1, "the revision sent during the first run was lost"
    assert lake_rows(sandbox) == rows  # the lake carries the same load ids as the warehouse
    assert {r[5] for r in rows} <= {r[2] for r in runs}


def test_a_run_that_read_its_files_before_another_published_is_refused(sandbox, tmp_path):
    """The interleaving of a CLI run and an Airflow run: the older read must not publish over the newer."""
    older = pipeline.validate(pipeline.standardise(pipeline.extract(DATASET, "airflow-run", sandbox), sandbox),
                              sandbox)
    replace_inbox_file(sandbox, _revised(tmp_path))
    pipeline.run_dataset(DATASET, "cli-run", sandbox)
    newer = current(sandbox)
    with pytest.raises(pipeline.RunSuperseded, match="cli-run published this dataset for 62.06"):
        pipeline.publish(older, sandbox)
    assert current(sandbox) == newer and lake_rows(sandbox) == newer
    (status, pesan), = _audit(sandbox, "airflow-run")
    assert status == "gagal_muat" and "Run again" in pesan


# ---------------------------------------------------------------- the source changes while it is read

def test_a_source_file_replaced_while_it_is_read_is_refused(sandbox, tmp_path):
    folder = Path(sandbox.inbox) / "disdukcapil" / "penduduk_kecamatan"
    for p in folder.iterdir():
        p.unlink()
    big = folder / "besar.xlsx"
    big.write_bytes(os.urandom(48 << 20))
    other = tmp_path / "pengganti.xlsx"
    other.write_bytes(os.urandom(48 << 20))
    raw = sandbox.lake / "raw" / f"dataset={DATASET}"

    def replace_when_copy_starts():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not (raw.exists() and any(raw.glob(".tmp-*"))):
            time.sleep(0.0005)
        os.replace(other, big)  # a new file under the same name, as an OPD's sync client does

    t = threading.Thread(target=replace_when_copy_starts)
    t.start()
    try:
        with pytest.raises(SourceChanged, match="berubah selama dibaca"):
            pipeline.extract(DATASET, "berubah", sandbox)
    finally:
        t.join()
    assert not list(raw.rglob("*.xlsx")) and not list(raw.glob(".tmp-*"))  # nothing mixed was kept


# ---------------------------------------------------------------- links in the inbox

def test_links_in_the_inbox_are_not_followed(sandbox, tmp_path, caplog):
    outside = tmp_path / "di_luar_inbox"
    outside.mkdir()
    shutil.copyfile(SAMPLE_FILE, outside / "rahasia.xlsx")
    folder = Path(sandbox.inbox) / "disdukcapil" / "penduduk_kecamatan"
    for p in folder.iterdir():
        p.unlink()
    (folder / "tautan.xlsx").symlink_to(outside / "rahasia.xlsx")
    with pytest.raises(NoSourceFiles):
        pipeline.extract(DATASET, "tautan-berkas", sandbox)
    assert "is a link, not a file: skipped" in caplog.text

    shutil.rmtree(folder)
    folder.symlink_to(outside, target_is_directory=True)  # the dataset folder itself leads out of the inbox
    with pytest.raises(NoSourceFiles, match="mengarah ke luar inbox"):
        pipeline.extract(DATASET, "tautan-folder", sandbox)
    assert not list((sandbox.lake / "raw").rglob("*.xlsx"))


def test_raw_zone_is_private_and_has_a_retention(sandbox, monkeypatch):
    pipeline.run_dataset(DATASET, "r1", sandbox)
    raw = sandbox.lake / "raw" / f"dataset={DATASET}"
    (folder,) = raw.glob("sha256=*")
    assert [oct(p.stat().st_mode & 0o777) for p in (raw, folder)] == ["0o700", "0o700"]
    assert {oct(p.stat().st_mode & 0o777) for p in folder.iterdir()} == {"0o600"}

    # An old original that no figure in force comes from is removed after the retention period; the one behind
    # the published figures stays.
    old = raw / "sha256=0000"
    old.mkdir()
    (old / "lama.xlsx").write_bytes(b"x")
    (old / "_manifest.json").write_text(json.dumps({"sha256": "0000", "arrived_at": "2020-01-01T00:00:00+00:00"}))
    monkeypatch.setenv("WALIDATA_RAW_RETENTION_DAYS", "30")
    with pytest.raises(NoSourceFiles):
        pipeline.extract(DATASET, "r2", get_settings())
    assert sorted(p.name for p in raw.iterdir()) == [folder.name]


# ---------------------------------------------------------------- PostgreSQL restarted mid-publish

PG_BIN = Path("/usr/lib/postgresql/15/bin")

SLOW_PUBLISH = r"""
import json, sys, time
from walidata import pipeline
from walidata.publish import history
from walidata.settings import get_settings

settings = get_settings()
ref = pipeline.validate(pipeline.standardise(pipeline.extract(sys.argv[1], "pg-restart", settings), settings),
                        settings)
open(sys.argv[2], "w").write(json.dumps(ref))
orig = history.replace_partitions
def slow(conn, ds, data, when, **kw):
    out = orig(conn, ds, data, when, **kw)
    print("INSIDE", flush=True)  # the rows are in, the transaction is open
    time.sleep(8)  # the server restarts meanwhile
    return out
history.replace_partitions = slow
try:
    pipeline.publish(ref, settings)
except pipeline.StageFailed as exc:
    print("FAILED " + str(exc).replace("\n", " "), flush=True)
"""


@pytest.fixture
def own_postgres():
    """A PostgreSQL server of this test's own (initdb on a free port), so it can be restarted freely."""
    import socket

    if not (PG_BIN / "initdb").exists() or shutil.which("runuser") is None:
        pytest.skip("PostgreSQL server binaries or runuser not found")
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="walidata-pg-"))  # outside pytest's folder, which postgres cannot enter
    data, sock = base / "pgdata", base / "pgsock"
    sock.mkdir()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for p in (base, sock):
        shutil.chown(p, "postgres")

    def pg(*args):
        subprocess.run(["runuser", "-u", "postgres", "--", *map(str, args)], check=True, capture_output=True,
                       timeout=120)

    pg(PG_BIN / "initdb", "-D", data, "-A", "trust", "-U", "postgres")
    ctl = [PG_BIN / "pg_ctl", "-D", data, "-l", base / "pg.log", "-w", "-o", f"-p {port} -k {sock}"]
    pg(*ctl, "start")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", lambda: pg(*ctl, "-m", "fast", "restart")
    finally:
        subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(data), "-m",
                        "immediate", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def test_postgres_restarted_during_publish_fails_clearly_and_the_retry_succeeds(sandbox, own_postgres, tmp_path,
                                                                                 monkeypatch):
    url, restart = own_postgres
    monkeypatch.setenv("WALIDATA_WAREHOUSE_URL", url)
    settings = get_settings()
    ref_file = tmp_path / "ref.json"
    proc = subprocess.Popen([sys.executable, "-c", SLOW_PUBLISH, DATASET, str(ref_file)], env=_env(settings),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "INSIDE", proc.stderr.read()[-3000:]
        restart()
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert out.startswith("FAILED"), err[-3000:]
    assert "tahap publish (terbitkan): warehouse postgresql+psycopg://postgres@127.0.0.1" in out
    assert "figures already published stay in force" in out
    assert not list((settings.lake / "clean").rglob("*.parquet"))

    # The task's retry: the same run, the same references, on the restarted server.
    done = pipeline.publish(json.loads(ref_file.read_text()), settings)
    assert done["rows_loaded"] == 78
    assert [s for s, _ in _audit(settings, "pg-restart")] == ["gagal_muat", "dimuat"]
    rows = current(settings)
    expected = tmp_path / "expected"
    monkeypatch.setenv("WALIDATA_WAREHOUSE_URL", f"duckdb:///{expected}.duckdb")
    monkeypatch.setenv("WALIDATA_LAKE", str(expected))
    pipeline.run_dataset(DATASET, "pg-restart", get_settings())
    assert rows == current(get_settings())  # the same as an undisturbed run, row by row
    assert lake_rows(settings) == rows


# ---------------------------------------------------------------- a kill at each boundary of publish

KILL_SCRIPT = r"""
import os, signal, sys
from walidata import pipeline
from walidata.publish import journal
from walidata.settings import get_settings

boundary, run_id, dataset = sys.argv[1], sys.argv[2], sys.argv[3]
settings = get_settings()

def die(*_, **__):
    os.kill(os.getpid(), signal.SIGKILL)

def after(fn):
    def wrapped(*a, **k):
        out = fn(*a, **k)
        die()
        return out
    return wrapped

calls = []
def nth(fn, n):
    def wrapped(*a, **k):
        calls.append(1)
        if len(calls) == n:
            die()
        return fn(*a, **k)
    return wrapped

if boundary == "sebelum_commit":        # the journal written, the transaction not committed
    journal.record = after(journal.record)
elif boundary == "antara_commit_dan_rename":
    journal.swap = die
elif boundary == "selama_rename":         # the first unit swapped, the second unit's Parquet not yet
    journal._replace_or_done = nth(journal._replace_or_done, 3)
elif boundary == "sesudah":
    pipeline.remove_partitions = die
pipeline.run_dataset(dataset, run_id, settings)
print("not killed")
"""

BOUNDARIES = ["sebelum_commit", "antara_commit_dan_rename", "selama_rename", "sesudah"]


def _keys_twice(url: str) -> list[tuple]:
    return _rows(url, "SELECT variabel, kode_wilayah, periode, jenis_kelamin, COUNT(*) FROM "
                      "fact.disdukcapil__penduduk_kecamatan GROUP BY ALL HAVING COUNT(*) > 1")


def _restore(settings, tmp_path, name: str):
    from walidata.publish.pulihkan import pulihkan

    target = get_settings(warehouse_url=f"duckdb:///{tmp_path / name}.duckdb", lake=settings.lake)
    done = pulihkan(target, [DATASET])
    return target, done


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_a_kill_at_each_boundary_of_publish_leaves_lake_equal_to_warehouse_after_the_next_run(
        sandbox, tmp_path, boundary):
    pipeline.run_dataset(DATASET, "awal", sandbox)
    replace_inbox_file(sandbox, _revised(tmp_path))
    proc = subprocess.run([sys.executable, "-c", KILL_SCRIPT, boundary, f"dibunuh-{boundary}", DATASET],
                          env=_env(sandbox), capture_output=True, text=True, timeout=300)
    assert proc.returncode == -9, (proc.stdout + proc.stderr)[-3000:]
    committed = boundary != "sebelum_commit"
    kamipang = [r for r in current(sandbox) if r[2] == "2025" and r[3] == "L" and r[4] == 4942]
    assert len(kamipang) == (1 if committed else 0)

    # A restore straight after the kill (the warehouse lost too) reads no staged file: no key twice.
    restored, done = _restore(sandbox, tmp_path, "segera")
    assert not done.ditolak and _keys_twice(restored.warehouse_url) == []
    assert done.angka[DATASET] == 78

    # The next run: a committed revision is not read again (nothing new), and the lake is made to agree.
    try:
        pipeline.run_dataset(DATASET, "berikut", sandbox)
        assert not committed, "the revision was published twice"
    except NoSourceFiles:
        assert committed
    rows = current(sandbox)
    assert [r for r in rows if r[2] == "2025" and r[3] == "L" and r[4] == 4942]
    assert lake_rows(sandbox) == rows
    clean = sandbox.lake / "clean"
    assert not [p for p in clean.rglob("*") if p.name.endswith(".staged") or p.name.startswith(".tmp-")]
    restored, done = _restore(sandbox, tmp_path, "sesudah_berikut")
    assert not done.ditolak and _keys_twice(restored.warehouse_url) == []
    assert current(restored) == rows


def test_a_skipped_run_repairs_a_lake_that_lost_a_partition(sandbox):
    """A run with nothing new still checks the lake against the warehouse for its units."""
    pipeline.run_dataset(DATASET, "awal", sandbox)
    rows = current(sandbox)
    part = next((sandbox.lake / "clean").rglob("periode=2024/part-0.parquet"))
    part.unlink()
    with pytest.raises(NoSourceFiles):
        pipeline.run_dataset(DATASET, "tanpa-file-baru", sandbox)
    assert lake_rows(sandbox) == rows


# ---------------------------------------------------------------- ordering from the database, not clocks

def test_a_worker_with_a_slow_clock_cannot_put_older_figures_over_newer(sandbox, tmp_path, monkeypatch):
    """The newer run's worker clock is 10 minutes slow: its load looks older than the older run's read by wall
    clock; the database's load order still refuses the older run."""
    import datetime as dt

    from walidata.publish import warehouse

    older = pipeline.validate(pipeline.standardise(pipeline.extract(DATASET, "jam-benar", sandbox), sandbox),
                              sandbox)
    replace_inbox_file(sandbox, _revised(tmp_path))
    real_now = warehouse.now
    monkeypatch.setattr(warehouse, "now", lambda: real_now() - dt.timedelta(minutes=10))
    pipeline.run_dataset(DATASET, "jam-lambat", sandbox)
    monkeypatch.setattr(warehouse, "now", real_now)
    newer = current(sandbox)
    with pytest.raises(pipeline.RunSuperseded, match="jam-lambat published this dataset"):
        pipeline.publish(older, sandbox)
    assert current(sandbox) == newer and lake_rows(sandbox) == newer
