"""Region is run-time context, never a rewrite of tracked files (issue 22).

A run for another kabupaten/kota, or for a scope of several, validates with the same committed GX suites: the
region's codes reach the suite as an expectation parameter, so every tracked file under great_expectations/ stays
byte-identical. Checked in a temporary git copy of the tracked GX files, with real GX runs on sample data.
"""

import shutil
import subprocess

import pandas as pd
import pytest

from conftest import ROOT
from walidata.catalog import get_dataset
from walidata.sample import write_inbox
from walidata.standardise.records import RECORD_ID, standardise_files
from walidata.standardise.reference import IndeksWilayah
from walidata.validate.outcome import validate
from walidata.validate.suite import gx_context

REFERENCE = ROOT / "include" / "reference"
DATASET = "dlh.sampah"  # kabupaten level: one code per kabupaten/kota in scope


def _git(repo, *args) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def repo(tmp_path):
    """A git repository holding a copy of the tracked files of great_expectations/, committed."""
    repo = tmp_path / "repo"
    for rel in _git(ROOT, "ls-files", "great_expectations").split():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / rel, repo / rel)
    (repo / ".gitignore").write_text("great_expectations/uncommitted/\n")
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=uji", "-c", "user.email=uji@contoh", "commit", "-qm", "gx")
    return repo


def _records(tmp_path, kode: str):
    """The sample's DLH file for one kabupaten/kota, standardised: (records, totals, its IndeksWilayah)."""
    ds = get_dataset(ROOT / "include" / "catalog", DATASET)
    inbox = tmp_path / f"inbox_{kode}"
    write_inbox(inbox, REFERENCE, wilayah=kode)
    w = IndeksWilayah(REFERENCE, kode)
    folder = inbox / ds.opd / ds.name
    out = standardise_files(ds, [(p, p.name) for p in sorted(folder.iterdir())], w)
    assert out.frame()["kode_wilayah"].eq(kode).all()
    return out.frame(), out.totals.to_pandas(), w


def _failed(outcome) -> list[str]:
    return [r["expectation"] for r in outcome.results if not r["success"] and r["severity"] == "critical"]


REGION_CHECKS = ("expect_column_values_to_be_in_set", "expect_column_distinct_values_to_contain_set",
                 "walidata_lengkap_per_periode", "expect_column_values_to_not_be_null")


def test_another_region_and_a_multi_region_scope_leave_the_tracked_suites_unchanged(repo, tmp_path):
    ds = get_dataset(ROOT / "include" / "catalog", DATASET)
    gx_root = repo / "great_expectations"
    tracked = _git(repo, "ls-files", "-s", "great_expectations")
    records, totals, w01 = _records(tmp_path, "62.01")
    one = validate(ds, records, totals, w01, gx_root, "wilayah-62.01")
    assert one.success and not _failed(one), one.lines
    assert _git(repo, "status", "--porcelain", "--untracked-files=all") == ""

    # '62.01,62.06': both kabupaten's rows in one batch, both codes allowed, still no tracked file touched
    r06, t06, w06 = _records(tmp_path, "62.06")
    both = pd.concat([records, r06], ignore_index=True)
    both[RECORD_ID] = range(len(both))
    # (each region's totals are checked in its own pass: two files of the same name give no combined total check)
    scope = validate(ds, both, None, [w01, w06], gx_root, "cakupan")
    assert not [r for r in _failed(scope) if r in REGION_CHECKS], scope.lines
    assert scope.rows_in == len(both) and scope.rows_rejected == 0
    assert _git(repo, "status", "--porcelain", "--untracked-files=all") == ""
    assert _git(repo, "ls-files", "-s", "great_expectations") == tracked

    # the parameter is real: the 62.01 rows validated for a run of 62.06 alone are refused, naming the code
    wrong = validate(ds, records, totals, w06, gx_root, "salah")
    assert not wrong.success and "expect_column_values_to_be_in_set" in _failed(wrong)
    assert any("kode_wilayah='62.01'" in line for line in wrong.lines), wrong.lines[:5]
    assert _git(repo, "status", "--porcelain", "--untracked-files=all") == ""


@pytest.mark.parametrize("scope", ["62.01", "62.01,62.71"])
def test_a_pipeline_run_for_another_scope_leaves_the_tracked_files_unchanged(repo, tmp_path, scope):
    """The whole run (extract over real HTTP from the sample server, standardise, validate, publish, Data Docs)
    with the temporary repository's GX context."""
    from walidata.pipeline import new_run_id, run_dataset
    from walidata.sample_server import serve
    from walidata.settings import get_settings

    (tmp_path / "inbox").mkdir()
    s = get_settings(wilayah=scope, lake=tmp_path / "lake", warehouse_url=f"duckdb:///{tmp_path / 'w.duckdb'}",
                     gx_root=repo / "great_expectations", inbox=str(tmp_path / "inbox"))
    with serve():
        out = run_dataset("bps.ipm", new_run_id("uji"), s)
    assert out["rows_loaded"] == 12 * len(s.daftar_kabkota)
    assert sorted(m["wilayah"] for m in out["files"]) == list(s.daftar_kabkota)
    assert _git(repo, "status", "--porcelain", "--untracked-files=all") == ""


def test_no_tracked_suite_holds_a_region_code():
    """The committed suites are the same for every region: no kabupaten, kecamatan or desa code in them."""
    import json
    import re

    for rel in _git(ROOT, "ls-files", "great_expectations/expectations/*.json").split():
        text = (ROOT / rel).read_text()
        codes = re.findall(r"\"\d{2}\.\d{2}(?:\.\d{2}(?:\.\d{4})?)?\"", text)
        assert not codes, (rel, codes[:5])
        suite = json.loads(text)
        for e in suite["expectations"]:
            if e["kwargs"].get("column") == "kode_wilayah" and "value_set" in e["kwargs"]:
                assert e["kwargs"]["value_set"] == {"$PARAMETER": "walidata_kode_wilayah"}, rel


def test_one_gx_context_per_process(repo):
    gx_root = repo / "great_expectations"
    assert gx_context(gx_root) is gx_context(gx_root)
