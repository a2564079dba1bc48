import json

import pytest

from conftest import DATASET, SAMPLE_FILE, edit_workbook
from walidata.catalog import get_dataset
from walidata.standardise.records import standardise_files
from walidata.standardise.reference import IndeksWilayah
from walidata.validate.outcome import karantina_frame, validate
from walidata.validate.suite import build_expectations, suite_spec


def _run(settings, path, run_id="t1"):
    ds = get_dataset(settings.catalog, DATASET)
    wilayah = IndeksWilayah(settings.reference, settings.wilayah)
    out = standardise_files(ds, [(path, path.name)], wilayah)
    return out, validate(ds, out.frame(), out.totals.to_pandas(), wilayah, settings.gx_root, run_id)


def test_sample_passes_and_data_docs_page_exists(sandbox):
    _, outcome = _run(sandbox, SAMPLE_FILE)
    assert outcome.success and outcome.rows_rejected == 0 and outcome.problems == []
    assert all(r["success"] for r in outcome.results)
    assert len(outcome.results) >= 10
    page = outcome.data_docs.removeprefix("file://")
    assert page.startswith(str(sandbox.gx_root)) and open(page).read().count("disdukcapil.penduduk_kecamatan")


def test_suite_is_written_once_and_reused(sandbox):
    _run(sandbox, SAMPLE_FILE, "a")
    suite = sandbox.gx_root / "expectations" / "disdukcapil" / "penduduk_kecamatan.json"
    before = suite.read_text()
    _run(sandbox, SAMPLE_FILE, "b")
    assert suite.read_text() == before
    assert json.loads(before)["meta"]["walidata_fingerprint"]


def test_the_suite_page_is_rebuilt_only_when_the_suite_changes(sandbox):
    import os

    from walidata.catalog import Pemeriksaan

    site = sandbox.gx_root / "uncommitted" / "data_docs" / "local_site"
    page = site / "expectations" / "disdukcapil" / "penduduk_kecamatan.html"
    _run(sandbox, SAMPLE_FILE, "a")
    first = page.stat().st_mtime_ns
    _run(sandbox, SAMPLE_FILE, "b")
    assert page.stat().st_mtime_ns == first  # the same suite: its page is not built again
    # The catalog entry changes (one more check): the suite is rewritten, and its page with it.
    ds = get_dataset(sandbox.catalog, DATASET)
    extra = Pemeriksaan(expectation="expect_column_values_to_not_be_null", kwargs={"column": "satuan"})
    ds = ds.model_copy(update={"pemeriksaan": [*ds.pemeriksaan, extra]})
    os.utime(page, ns=(first - 10**9, first - 10**9))  # an older page, as after a day
    wilayah = IndeksWilayah(sandbox.reference, sandbox.wilayah)
    out = standardise_files(ds, [(SAMPLE_FILE, SAMPLE_FILE.name)], wilayah)
    validate(ds, out.frame(), out.totals.to_pandas(), wilayah, sandbox.gx_root, "c")
    assert page.stat().st_mtime_ns > first and "satuan" in page.read_text()


def test_bad_workbook_fails_and_names_file_sheet_row_column(sandbox, tmp_path):
    bad = edit_workbook(SAMPLE_FILE, tmp_path / "bad.xlsx",
                        {("2024", "B9"): "Antah Berantah", ("2025", "C12"): -5})
    out, outcome = _run(sandbox, bad)
    assert not outcome.success
    text = "\n".join(outcome.lines)
    assert "file bad.xlsx, sheet '2024', baris 9, kolom B: kecamatan 'Antah Berantah' tidak dikenal" in text
    assert ("file bad.xlsx, sheet '2025', baris 12, kolom C: nilai=-5 melanggar "
            "expect_column_values_to_be_between") in text
    # The kabupaten total no longer matches the sum of kecamatan: named at the total row.
    assert "sheet '2025', baris 20, kolom C: total" in text
    q = karantina_frame(out.frame(), outcome)
    assert set(zip(q.sumber_sheet, q.sumber_baris, strict=True)) == {("2024", 9), ("2025", 12)}
    assert "expect_column_values_to_be_between" in q.loc[q.nilai == -5, "pemeriksaan"].iloc[0]
    assert q["alasan"].notna().all()


def test_duplicate_kecamatan_rows_fail_uniqueness(sandbox, tmp_path):
    bad = edit_workbook(SAMPLE_FILE, tmp_path / "dup.xlsx", {("2025", "B8"): "Kamipang"})
    _, outcome = _run(sandbox, bad)
    failed = {r["expectation"] for r in outcome.results if not r["success"]}
    assert "expect_compound_columns_to_be_unique" in failed
    assert not outcome.success


def test_warning_severity_does_not_block(sandbox):
    ds = get_dataset(sandbox.catalog, DATASET)
    ds = ds.model_copy(update={"pemeriksaan": [type(ds.pemeriksaan[0])(
        expectation="expect_column_values_to_be_between", kwargs={"column": "nilai", "max_value": 10000},
        severity="warning")]})
    wilayah = IndeksWilayah(sandbox.reference, sandbox.wilayah)
    out = standardise_files(ds, [(SAMPLE_FILE, SAMPLE_FILE.name)], wilayah)
    outcome = validate(ds, out.frame(), out.totals.to_pandas(), wilayah, sandbox.gx_root, "w")
    assert outcome.success and outcome.rows_rejected == 0
    assert outcome.label == "lulus dengan peringatan"
    assert any(p.startswith("peringatan: file ") for p in outcome.lines)


def test_every_catalog_check_is_a_real_expectation(sandbox):
    from walidata.catalog import load_catalog

    wilayah = IndeksWilayah(sandbox.reference, sandbox.wilayah)
    for ds in load_catalog(sandbox.catalog)[0]:
        assert build_expectations(suite_spec(ds, wilayah, ["x"]))
    with pytest.raises(ValueError, match="unknown Great Expectations expectation"):
        build_expectations([{"expectation": "expect_the_impossible", "kwargs": {}, "severity": "critical"}])


def test_failing_builtins_name_their_records_and_walidata_checks_their_findings(sandbox, tmp_path):
    """suite.run's contract: a failing built-in lists its records by RECORD_ID (run again with COMPLETE results),
    a failing Walidata check its findings; every result has its severity and its verdict."""
    from walidata.standardise.records import RECORD_ID
    from walidata.validate.suite import run

    bad = edit_workbook(SAMPLE_FILE, tmp_path / "bad.xlsx", {("2025", "C12"): -5})
    ds = get_dataset(sandbox.catalog, DATASET)
    wilayah = IndeksWilayah(sandbox.reference, sandbox.wilayah)
    out = standardise_files(ds, [(bad, bad.name)], wilayah)
    df = out.frame()
    vr, page = run(ds, df, out.totals.to_pandas(), wilayah, sandbox.gx_root, "kontrak")
    assert not vr.success and page.startswith("file://")
    by_type = {r.expectation_config.type: r for r in vr.results if not r.success}
    between = by_type["expect_column_values_to_be_between"]
    (ident,) = between.result["unexpected_index_list"]
    row = df[df[RECORD_ID] == ident[RECORD_ID]].iloc[0]
    assert (row["sumber_sheet"], row["sumber_baris"], row["nilai"]) == ("2025", 12, -5)
    assert between.result["unexpected_count"] == 1 and between.expectation_config.severity == "critical"
    total = by_type["walidata_jumlah_kecamatan_sama_dengan_total"]
    assert total.expectation_config.severity == "critical"
    assert [(t["sheet"], t["column"]) for t in total.result["details"]["temuan"]] == [("2025", "C")]
    assert all(r.success for r in vr.results if r.expectation_config.type not in by_type)
