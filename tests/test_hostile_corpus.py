"""The hostile corpus: files, names, links and catalog entries made to break the pipeline, each with the outcome
it must get (tests/hostile/expected.yaml, explained in tests/hostile/README.md).

Every case runs the real stages (extract → standardise → validate → publish) on a throwaway inbox, lake, DuckDB
warehouse and GX context, once; `test_case` checks its outcome and that nothing was written outside the run's
folders, `test_no_leak` greps what the run left (lake outside the raw zone, every warehouse table, logs, the error,
GX results and Data Docs) for the planted NIKs and payloads.

Cases with `bergantung_pada` in expected.yaml fail until that part of the pipeline is built; they are not xfailed.
Today: test_no_leak[katalog_cari_jalur] (walidata.catalog.get_dataset opens <catalog>/<opd>/<name>.yaml for any id,
so 'disdukcapil.../../luar/rahasia' reads a file outside the catalog and its YAML error quotes that file's lines).
"""

from __future__ import annotations

import contextlib
import html
import importlib.util
import io
import logging
import os
import re
import shutil
import subprocess
import sys
import traceback
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from conftest import copy_gx, published

HOSTILE = Path(__file__).resolve().parent / "hostile"
FILES, CATALOG = HOSTILE / "files", HOSTILE / "catalog"
SPEC = yaml.safe_load((HOSTILE / "expected.yaml").read_text(encoding="utf-8"))
CASES = {c["id"]: c for c in SPEC["kasus"]}
DEFAULT_DATASET = "disdukcapil.penduduk_kecamatan"
RUN_ID = "hostile"
CONTROL = ("\x1b", "\x07", "\x00")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
OUTSIDE_SECRET = "root:x:0:0:root:/root:/bin/bash\nRAHASIA-DI-LUAR-INBOX\n"
TEXT_SUFFIXES = (".html", ".json", ".js", ".css", ".txt", ".md", ".yml", ".yaml")  # GX's fonts and images: not ours
ALLOWED = ("lake", "gx", "warehouse.duckdb", "warehouse.duckdb.wal")  # where a run may write, under its folder


def _make_files():
    spec = importlib.util.spec_from_file_location("hostile_make_files", HOSTILE / "make_files.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MAKE = _make_files()


def test_the_corpus_is_complete_and_reproducible():
    files = sorted(p.name for p in FILES.iterdir())
    assert len(files) >= 30, "at least 30 hostile files"
    used = {c["file"] for c in CASES.values() if "file" in c}
    assert sorted(used) == files, "every file has its case, every case's file is committed"
    assert len(CASES) == len(SPEC["kasus"]), "case ids are unique"
    for name in files:
        assert (FILES / name).stat().st_size < 250_000, f"{name} is over the size budget"
        assert (FILES / name).read_bytes() == MAKE.build(name), f"{name} differs from what make_files.py writes"
    readme = (HOSTILE / "README.md").read_text(encoding="utf-8")
    missing = [i for i in CASES if f"`{i}`" not in readme]
    assert not missing, f"cases not explained in README.md: {missing}"


# ------------------------------------------------------------------------------------------------ one run

@dataclass
class Run:
    case: dict
    root: Path
    settings: object = None
    stage: str | None = None  # where it stopped: None (published), extract, standardise, validate, publish, katalog
    error: BaseException | None = None
    trace: str = ""
    out: dict = field(default_factory=dict)
    said: str = ""  # logs, stdout/stderr and the error text
    before: dict = field(default_factory=dict)
    after: dict = field(default_factory=dict)
    akuntansi: dict | None = None  # the row accounting of the standardise stage, when it ran to its end


RUNS: dict[str, Run] = {}


@pytest.fixture
def run(request, tmp_path_factory) -> Run:
    case = CASES[request.param]
    if case["id"] not in RUNS:
        RUNS[case["id"]] = _execute(case, tmp_path_factory.mktemp(case["id"]))
    return RUNS[case["id"]]


def _settings(case: dict, root: Path):
    from walidata.settings import get_settings

    (root / "inbox").mkdir()
    return get_settings(inbox=str(root / "inbox"), lake=root / "lake", gx_root=copy_gx(root / "gx"),
                        warehouse_url=f"duckdb:///{root / 'warehouse.duckdb'}", catalog=_catalog(case, root),
                        wilayah="62.06")


def _catalog(case: dict, root: Path) -> Path:
    if "cari_dataset" not in case:
        return CATALOG
    target = root / "katalog"  # a copy, so '<catalog>/disdukcapil/../../luar' is inside this run's folder
    shutil.copytree(CATALOG, target)
    (root / "luar").mkdir()
    (root / "luar" / "rahasia.yaml").write_text('id: disdukcapil.rahasia\nRAHASIA-DI-LUAR-KATALOG: "tidak ditutup\n')
    return target


def _place_inbox(case: dict, settings, root: Path) -> None:
    opd, name = case.get("dataset", DEFAULT_DATASET).split(".")
    folder = Path(settings.inbox) / opd / name
    if case.get("siapkan") == "tautan_folder":
        outside = root / "luar" / "penduduk"
        outside.mkdir(parents=True)
        shutil.copyfile(FILES / case["file"], outside / case["file"])
        folder.parent.mkdir(parents=True)
        folder.symlink_to(outside, target_is_directory=True)
        return
    folder.mkdir(parents=True)
    if case.get("siapkan") == "tautan_berkas":
        (root / "luar").mkdir()
        (root / "luar" / "rahasia.csv").write_text(OUTSIDE_SECRET)
        (folder / "penduduk.csv").symlink_to(root / "luar" / "rahasia.csv")
        return
    shutil.copyfile(FILES / case["file"], folder / case.get("nama_di_inbox", case["file"]))


def _execute(case: dict, root: Path) -> Run:
    r = Run(case=case, root=root)
    if "katalog" in case:
        r.stage = "katalog"
        r.error = _load_catalog_file(case)
        r.said = str(r.error or "")
        return r
    if case.get("berbahaya"):
        _probe_in_child(case)
    r.settings = _settings(case, root)
    if "file" in case:
        _place_inbox(case, r.settings, root)
    (root / "cwd").mkdir()
    r.before = _tree(root)
    with _captured() as said, contextlib.chdir(root / "cwd"):
        _stages(r, case.get("cari_dataset") or case.get("dataset", DEFAULT_DATASET))
    r.said = said.getvalue() + "\n" + str(r.error or "")
    r.after = _tree(root)
    return r


def _stages(r: Run, dataset: str) -> None:
    from walidata import pipeline

    steps = [("extract", lambda _: pipeline.extract(dataset, RUN_ID, r.settings)),
             ("standardise", lambda ref: pipeline.standardise(ref, r.settings)),
             ("validate", lambda ref: pipeline.validate(ref, r.settings)),
             ("publish", lambda ref: pipeline.publish(ref, r.settings))]
    ref = None
    for name, step in steps:
        try:
            ref = step(ref)
        except Exception as exc:  # every exception is recorded; test_case decides whether it was the right one
            r.stage, r.error, r.trace = name, exc, traceback.format_exc()
            return
        if name == "standardise":
            r.akuntansi = ref["akuntansi"]
    r.out = ref


def _load_catalog_file(case: dict) -> BaseException | None:
    from walidata.catalog import load_catalog, load_file

    path = CATALOG / case["katalog"]
    _, errors = load_catalog(CATALOG)  # the other entries load; this one is listed as an error, not raised
    assert any(e.path == path for e in errors), f"{path.name} is not listed among the catalog's errors"
    try:
        load_file(path)
    except ValueError as exc:
        return exc
    return None


@contextlib.contextmanager
def _captured():
    """Every log record (INFO and up), stdout and stderr of the run, as one text."""
    text = io.StringIO()
    handler = logging.StreamHandler(text)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        with contextlib.redirect_stdout(text), contextlib.redirect_stderr(text):
            yield text
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def _tree(root: Path) -> dict[str, tuple]:
    """Every path under the run's folder outside the places a run may write, with size and mtime."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel = Path(dirpath).relative_to(root)
        if rel == Path("."):
            dirnames[:] = [d for d in dirnames if d not in ALLOWED]
            filenames = [f for f in filenames if f not in ALLOWED]
        for name in [*dirnames, *filenames]:
            st = os.lstat(Path(dirpath) / name)
            out[str(rel / name)] = (st.st_size, st.st_mtime_ns, st.st_mode)
    return out


PROBE = """
import sys
from pathlib import Path
from walidata.catalog import get_dataset
from walidata.sources.spreadsheet import SourceError, read_sheets
path = Path(sys.argv[1])
try:
    read_sheets(path, path.name, get_dataset(Path(sys.argv[2]), sys.argv[3]))
    print("dibaca")
except SourceError as exc:
    print("ditolak:", exc)
"""


def _probe_in_child(case: dict) -> None:
    """Read a file that once killed its process in a child with 3 GB of address space, so a regression fails this
    case instead of aborting the whole test run."""
    import resource

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))

    args = [sys.executable, "-c", PROBE, str(FILES / case["file"]), str(CATALOG),
            case.get("dataset", DEFAULT_DATASET)]
    try:
        child = subprocess.run(args, capture_output=True, text=True, timeout=120, preexec_fn=cap)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{case['file']}: reading it took over 120 s")
    if child.returncode != 0:
        pytest.fail(f"{case['file']} kills the process that reads it (exit {child.returncode}):\n"
                    f"{child.stderr[-2000:]}")


# ------------------------------------------------------------------------------------------------ outcomes

EXPECTED_STAGE = {"dimuat": None, "gagal_ekstrak": "extract", "gagal_baca": "standardise",
                  "gagal_validasi": "validate", "katalog_salah": "katalog"}


@pytest.mark.parametrize("run", list(CASES), indirect=True)
def test_case(run: Run):
    case = run.case
    want = case["hasil"]
    if "cari_dataset" in case:
        assert run.stage == "extract" and isinstance(run.error, KeyError | ValueError), \
            f"{case['cari_dataset']!r} should not be a dataset: {run.stage} {run.error!r}"
    elif run.stage != EXPECTED_STAGE[want]:
        pytest.fail(f"expected {want}, got {'published' if run.stage is None else 'an error at ' + run.stage}: "
                    f"{run.error!r}\n{run.trace}")
    elif want != "dimuat" and want != "katalog_salah":
        _assert_refusal_type(run)
    _assert_reasons(run)
    _assert_rows_accounted(run)
    if want == "dimuat":
        _assert_published(run)
    elif want != "katalog_salah":
        assert _published_rows(run) == [], "a refused case publishes nothing"
    if run.settings is not None:
        _assert_nothing_outside(run)


def _assert_rows_accounted(run: Run) -> None:
    """Every file read to its end accounts for each of its non-empty rows: the classes add up to the rows read."""
    from walidata.standardise.records import AKUN_CLASSES, akun_sum

    if run.stage in (None, "validate", "publish"):
        akun = run.akuntansi
        assert akun and akun_sum(akun) == akun["baris"], akun
        assert akun["rekaman"] + akun["masalah"] > 0, f"no record, yet read to the end: {akun}"
        assert all(akun[k] >= 0 for k in AKUN_CLASSES)


def _assert_refusal_type(run: Run) -> None:
    from walidata.sources.inbox import NoSourceFiles
    from walidata.sources.spreadsheet import SourceError
    from walidata.validate.outcome import ValidationFailed

    allowed = {"extract": (SourceError, NoSourceFiles, ValueError, PermissionError), "standardise": (SourceError,),
               "validate": (ValidationFailed,)}[run.stage]
    assert isinstance(run.error, allowed), f"a crash, not a refusal: {run.error!r}\n{run.trace}"


def _assert_reasons(run: Run) -> None:
    case = run.case
    said = f"{run.error or ''}\n{_load_log_text(run)}"
    if run.stage == "extract":  # a file skipped at extract is named in the log only
        said += "\n" + run.said
    for why in case.get("alasan", []):
        assert why in said, f"expected {why!r} in:\n{said[:3000]}"
    if case.get("alasan_salah_satu"):
        assert any(w in said for w in case["alasan_salah_satu"]), \
            f"expected one of {case['alasan_salah_satu']} in:\n{said[:3000]}"


def _assert_published(run: Run) -> None:
    rows = _published_rows(run)
    for want in run.case["angka"]:
        keys = {"variabel": want["variabel"], "kode_wilayah": want["kode_wilayah"], "periode": str(want["periode"]),
                **want.get("rincian", {})}
        hits = [r for r in rows if all(r.get(k) == v for k, v in keys.items())]
        assert len(hits) == 1, f"{want}: {len(hits)} published rows"
        assert hits[0]["nilai"] == pytest.approx(want["nilai"]), want
    assert run.out["rows_loaded"] == run.case["baris_dimuat"]
    assert "dimuat" in _load_log_text(run, "status"), "audit.load_log records the load"


def _assert_nothing_outside(run: Run) -> None:
    changed = sorted(k for k in run.before.keys() | run.after.keys() if run.before.get(k) != run.after.get(k))
    assert not changed, f"written outside the lake, warehouse and GX folders: {changed}"
    assert not any((run.root / "cwd").iterdir()), "written into the working directory"
    for marker in run.case.get("penanda_luar", []):
        assert not Path(marker).exists(), f"{marker} was created"
    name = run.case.get("nama_di_inbox", "")
    if "\\" in name:  # what a Windows path reading of the name would reach, from the raw zone and from the inbox
        for base in (run.root / "lake" / "raw" / "x" / "y", run.root / "inbox" / "a" / "b"):
            target = Path(os.path.normpath(base / name.replace("\\", "/")))
            assert not target.exists(), f"{target} was created"


def _engine(run: Run):
    import sqlalchemy as sa

    return sa.create_engine(run.settings.warehouse_url, poolclass=sa.pool.NullPool)


def _published_rows(run: Run) -> list[dict]:

    if run.settings is None or not (run.root / "warehouse.duckdb").exists():
        return []
    from walidata.catalog import get_dataset

    try:
        ds = get_dataset(run.settings.catalog, run.case.get("dataset", DEFAULT_DATASET))
    except (KeyError, ValueError):
        return []
    return published(run.settings.warehouse_url, ds)


def _load_log_text(run: Run, column: str = "pesan") -> str:
    import sqlalchemy as sa

    if run.settings is None or not (run.root / "warehouse.duckdb").exists():
        return ""
    engine = _engine(run)
    try:
        with engine.connect() as c:
            if not sa.inspect(c).has_table("load_log", schema="audit"):
                return ""
            return "\n".join(str(v or "") for v in c.execute(sa.text(f"SELECT {column} FROM audit.load_log")).scalars())
    finally:
        engine.dispose()


# ------------------------------------------------------------------------------------------------ leaks

def _planted(case: dict) -> list[str]:
    return [*MAKE.NIK.values(), *MAKE.NIK_SPELLED.values(), *case.get("tidak_bocor", [])]


# Each planted NIK in any spelling: its digits (after `_folded`) with at most one separator between two of them.
NIK_SPELLINGS = [(nik, re.compile(r"[\W_]?".join(nik))) for nik in MAKE.NIK.values()]
_U_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")
_WIDE_DIGIT = re.compile(r"(?![0-9])\d")  # a Unicode decimal digit that is not ASCII


def _folded(text: str) -> str:
    """The text with JSON \\uXXXX escapes and HTML entities decoded and every Unicode decimal digit as its ASCII digit
    (done here on its own, not by the code under test), so a NIK is found in whatever spelling it got out."""
    if "\\u" in text:
        text = _U_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
    if "&" in text:
        text = html.unescape(text)
    return text if text.isascii() else _WIDE_DIGIT.sub(lambda m: str(unicodedata.decimal(m.group())), text)


def _nik_spellings(places: dict[str, str]) -> list[str]:
    folded = {where: _folded(text) for where, text in places.items()}
    return [f"NIK {nik} as {m.group()!r} in {where}" for nik, pattern in NIK_SPELLINGS
            for where, text in folded.items() for m in [pattern.search(text)] if m]


@pytest.mark.parametrize("run", list(CASES), indirect=True)
def test_no_leak(run: Run):
    places = {"pesan galat, log, stdout/stderr": run.said}
    if run.settings is not None:
        places |= _lake_texts(run) | _warehouse_texts(run) | _gx_texts(run)
    leaks = [f"{value!r} in {where}" for value in _planted(run.case) for where, text in places.items()
             if value in text]
    leaks += _nik_spellings(places)
    if run.case.get("tanpa_kendali"):
        leaks += [f"raw {c!r} in {where}" for c in CONTROL for where, text in places.items() if c in text]
    for raw in run.case.get("tanpa_html_mentah", []):
        leaks += [f"{raw!r} unescaped in {where}" for where, text in places.items()
                  if where.endswith(".html") and raw.lower() in text.lower()]
    if run.case.get("tanpa_rumus") and run.settings is not None:
        leaks += _formulas_written(run)
    assert not leaks, "\n".join(leaks[:40])
    _assert_scan_sees(run, places)


def _assert_scan_sees(run: Run, places: dict[str, str]) -> None:
    """The scan reaches where the data went: the masked NIK, the escaped markup and the feedback workbook are
    there to be found (a scan that reads nothing would find no leak either)."""
    if "nik" in run.case:
        nik = MAKE.NIK[run.case["nik"]]
        masked = f"{nik[:6]}******{nik[12:]}"
        assert any(masked in text for where, text in places.items() if where != "pesan galat, log, stdout/stderr"), \
            f"the masked NIK {masked} is nowhere in the lake, warehouse or GX results"
    for raw in run.case.get("tanpa_html_mentah", []):
        shown = raw.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert any(shown in text for where, text in places.items() if where.endswith(".html")), \
            f"{shown} is on no Data Docs page"
    if run.case.get("tanpa_rumus") and run.case["hasil"] == "gagal_validasi":
        assert list((run.root / "lake").rglob("*.xlsx")), "no feedback workbook was written"


def _lake_texts(run: Run) -> dict[str, str]:
    lake = run.root / "lake"
    out = {}
    for path in sorted(p for p in lake.rglob("*") if p.is_file()):
        rel = path.relative_to(run.root)
        if rel.parts[1] == "raw" and not run.case.get("cek_raw"):
            continue
        out[f"{rel} (nama)"] = str(rel)
        out[str(rel)] = _file_text(path)
    return out


def _file_text(path: Path) -> str:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        return "\n".join(str(v) for col in table.columns for v in col.to_pylist()) + str(table.schema.metadata)
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(path) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    return data.decode("utf-8", "replace")


def _warehouse_texts(run: Run) -> dict[str, str]:
    """Every base table of the warehouse as text (ref.wilayah, the national reference, left out)."""
    import duckdb

    db = run.root / "warehouse.duckdb"
    if not db.exists():
        return {}
    out = {}
    with duckdb.connect(str(db), read_only=True) as con:
        tables = con.execute("SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = "
                             "'BASE TABLE' AND NOT (table_schema = 'ref' AND table_name = 'wilayah')").fetchall()
        for schema, name in tables:
            rows = con.execute(f'SELECT * FROM "{schema}"."{name}"').fetchall()
            out[f"gudang {schema}.{name}"] = "\n".join(str(v) for row in rows for v in row)
    return out


def _gx_texts(run: Run) -> dict[str, str]:
    site = run.root / "gx" / "uncommitted"
    return {str(p.relative_to(run.root)): p.read_text(encoding="utf-8", errors="replace")
            for p in sorted(site.rglob("*")) if p.suffix in TEXT_SUFFIXES} if site.exists() else {}


def _formulas_written(run: Run) -> list[str]:
    """Cells of the workbooks the run wrote that a spreadsheet would run as a formula."""
    from openpyxl import load_workbook

    found = []
    for path in (run.root / "lake").rglob("*.xlsx"):
        if "raw" in path.relative_to(run.root / "lake").parts[:1]:
            continue
        wb = load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                found += [f"{path.name} {ws.title}!{c.coordinate}: {str(c.value)[:60]!r}" for c in row
                          if c.data_type == "f" or (isinstance(c.value, str) and c.value.startswith(FORMULA_START))]
    return found
