"""The Walidata's checks beyond single cells: completeness per period, parts ≤ wholes, plausibility,
freshness, severities. Each fails on a crafted bad file and passes on the bundled one."""

import datetime as dt
import shutil

import pytest
from openpyxl import load_workbook

from conftest import ROOT, SAMPLE_FILE, edit_workbook
from walidata.catalog import Dataset, get_dataset
from walidata.standardise.records import standardise_files
from walidata.standardise.reference import RegionIndex
from walidata.validate.outcome import validate

CATALOG = ROOT / "include" / "catalog"
INBOX = ROOT / "include" / "sample_data" / "inbox"
REGION = RegionIndex(ROOT / "include" / "reference", "62.06")
FRESH = dt.date(2026, 1, 20)  # the sample runs to December 2025


def _run(tmp_path, ds_id: str, path, today=FRESH, ds: Dataset | None = None):
    ds = ds or get_dataset(CATALOG, ds_id)
    out = standardise_files(ds, [(path, path.name)], REGION)
    gx = tmp_path / "gx"
    if not gx.exists():
        shutil.copytree(ROOT / "great_expectations", gx, ignore=shutil.ignore_patterns("uncommitted"))
    return validate(ds, out.frame(), out.totals.to_pandas(), REGION, gx, "t", today=today)


def _failed(outcome) -> dict[str, dict]:
    return {r["expectation"]: r for r in outcome.results if not r["success"]}


def test_every_kecamatan_in_every_period(tmp_path):
    f = edit_workbook(SAMPLE_FILE, tmp_path / "kurang.xlsx", {})
    wb = load_workbook(f)
    wb["2024"].delete_rows(9)  # Tewang Sangalang Garing is gone from 2024 only
    wb.save(f)
    outcome = _run(tmp_path, "disdukcapil.penduduk_kecamatan", f)
    assert not outcome.success
    failed = _failed(outcome)["walidata_lengkap_per_periode"]
    assert failed["severity"] == "critical"
    assert failed["sample"] == ["periode 2024, variabel jumlah_penduduk: tidak ada angka untuk 1 wilayah: "
                                "62.06.03 (Tewang Sangalang Garing)"]


def test_parts_never_exceed_wholes(tmp_path):
    src = next((INBOX / "dinkes" / "stunting_desa").glob("*.xlsx"))
    f = edit_workbook(src, tmp_path / "stunting.xlsx", {("2025", "D4"): 9999})
    outcome = _run(tmp_path, "dinkes.stunting_desa", f)
    assert not outcome.success
    failed = _failed(outcome)["walidata_balita_stunting_tidak_melebihi_balita_diukur"]
    assert failed["row_level"] and failed["unexpected_count"] == 1
    assert "file stunting.xlsx, sheet '2025', row 4, column D: balita_stunting = 9999 melebihi balita_diukur" in \
           "\n".join(outcome.problems)
    assert list(outcome.rejected) and all(any("tidak_melebihi" in e for e, _ in v) for v in outcome.rejected.values())


def test_implausible_change_is_a_warning_and_still_publishes(tmp_path):
    ws = load_workbook(SAMPLE_FILE)["2025"]
    jump = ws["C7"].value  # Kamipang's men double from 2024 to 2025
    f = edit_workbook(SAMPLE_FILE, tmp_path / "lonjakan.xlsx", {
        ("2025", "C7"): ws["C7"].value + jump, ("2025", "E7"): ws["E7"].value + jump,
        ("2025", "C20"): ws["C20"].value + jump})
    outcome = _run(tmp_path, "disdukcapil.penduduk_kecamatan", f)
    assert outcome.success and outcome.label == "lulus dengan peringatan" and not outcome.rejected
    (warning,) = [p for p in outcome.problems if "berubah" in p]
    assert warning.startswith("peringatan: file lonjakan.xlsx, sheet '2025', row 7, column C: jumlah_penduduk = ")
    assert "berubah +" in warning and "batas 10%" in warning


def test_freshness_against_the_update_schedule(tmp_path):
    src = next((INBOX / "dlh" / "titik_panas").glob("*.xlsx"))  # monthly, up to 2025-12
    assert _run(tmp_path, "dlh.titik_panas", src, today=dt.date(2026, 3, 1)).problems == []
    late = _run(tmp_path, "dlh.titik_panas", src, today=dt.date(2026, 11, 28))
    assert late.success and late.label == "lulus dengan peringatan"
    assert late.problems == ["peringatan: periode terakhir 2025-12 (berakhir 2025-12-31) lebih tua dari jadwal "
                             "bulanan (paling lama 92 hari setelah akhir periode; hari ini 2026-11-28)"]


def test_percentages_stay_within_0_100(tmp_path):
    src = INBOX / "disdukcapil" / "akta_kelahiran" / "akta_kelahiran_2025.csv"
    text = src.read_bytes().decode("cp1252").splitlines()
    parts = text[3].split(";")
    parts[4] = "120,5"
    text[3] = ";".join(parts)
    f = tmp_path / "akta_kelahiran_2025.csv"
    f.write_bytes("\r\n".join(text).encode("cp1252"))
    outcome = _run(tmp_path, "disdukcapil.akta_kelahiran", f)
    assert not outcome.success
    assert any("nilai=120.5 melanggar expect_column_values_to_be_between" in p for p in outcome.problems)


@pytest.mark.parametrize("severity, publishes", [("error", False), ("critical", False), ("warning", True)])
def test_severity_decides_whether_the_dataset_publishes(tmp_path, severity, publishes):
    ds = get_dataset(CATALOG, "dinkes.stunting_desa")
    ds = Dataset.model_validate({**ds.model_dump(), "bagian_keseluruhan": [
        {"bagian": "balita_stunting", "keseluruhan": "balita_diukur", "severity": severity}]})
    src = next((INBOX / "dinkes" / "stunting_desa").glob("*.xlsx"))
    ws = load_workbook(src)["2025"]
    total = next(r for r in range(1, ws.max_row + 1) if ws[f"A{r}"].value == "Kabupaten Katingan")
    # Only the part-whole relation is broken: the kabupaten total is kept consistent.
    f = edit_workbook(src, tmp_path / "s.xlsx", {("2025", "D4"): 9999,
                                                 ("2025", f"D{total}"): ws[f"D{total}"].value + 9999 - ws["D4"].value})
    outcome = _run(tmp_path, ds.id, f, ds=ds)
    assert outcome.success is publishes
    assert bool(outcome.rejected) is not publishes


def test_feedback_report_for_the_opd(sandbox, tmp_path):
    import pandas as pd

    from conftest import replace_inbox_file
    from walidata import pipeline
    from walidata.validate.outcome import ValidationFailed

    f = edit_workbook(SAMPLE_FILE, tmp_path / "kiriman.xlsx", {("2024", "B9"): "Antah Berantah",
                                                                ("2025", "C12"): -5})
    replace_inbox_file(sandbox, f)
    with pytest.raises(ValidationFailed, match="feedback for the OPD: .*umpan_balik/opd=disdukcapil/"):
        pipeline.run_dataset("disdukcapil.penduduk_kecamatan", "kirim-1", sandbox)
    path = sandbox.lake / "umpan_balik" / "opd=disdukcapil" / "penduduk_kecamatan__kirim-1.xlsx"
    summary = dict(pd.read_excel(path, sheet_name="Ringkasan", header=None).values)
    assert summary["Hasil"] == "Ditolak: perbaiki lalu kirim ulang"
    problems = pd.read_excel(path, sheet_name="Masalah", dtype={"Sheet": str})
    assert list(problems.columns) == ["No", "Tingkat", "File", "Sheet", "Baris", "Kolom", "Wilayah", "Nilai",
                                      "Pemeriksaan", "Keterangan", "Jumlah"]
    detail = pd.read_excel(path, sheet_name="Rincian", dtype={"Sheet": str})
    assert len(detail) == problems.Jumlah.sum()
    row9 = problems[(problems.Sheet == "2024") & (problems.Baris == 9)]
    assert len(row9) == 1 and row9.Kolom.tolist() == ["B"] and "Antah Berantah" in row9.Keterangan.tolist()[0]
    assert "expect_column_values_to_not_be_null" in row9.Pemeriksaan.tolist()[0]
    neg = problems[(problems.Sheet == "2025") & (problems.Baris == 12) & (problems.Kolom == "C")]
    assert neg.Nilai.tolist()[0] == -5 and "expect_column_values_to_be_between" in neg.Pemeriksaan.tolist()
    assert (problems.Tingkat == "error").all()


def test_same_quantity_from_two_datasets_agrees(warehouse, tmp_path):
    """Population by age group (one file per year) against population by kecamatan × sex, in the warehouse."""
    from conftest import edit_workbook as edit
    from walidata import pipeline

    ds = get_dataset(CATALOG, "disdukcapil.penduduk_umur")
    src = INBOX / "disdukcapil" / "penduduk_umur" / "penduduk_kelompok_umur_2025.xlsx"
    wb = load_workbook(src)
    sheet = wb.sheetnames[0]  # Kamipang: 500 more children aged 0-4 than the kecamatan table says
    ws = wb[sheet]
    bad = edit(src, tmp_path / "umur_2025.xlsx", {(sheet, "B5"): ws["B5"].value + 500, (sheet, "D5"): ws["D5"].value
                                                  + 500, (sheet, "B22"): ws["B22"].value + 500,
                                                  (sheet, "D22"): ws["D22"].value + 500})
    out = standardise_files(ds, [(bad, bad.name)], REGION)
    gx = warehouse.gx_root
    alone = validate(ds, out.frame(), out.totals.to_pandas(), REGION, gx, "a", today=FRESH,
                     warehouse_url=warehouse.warehouse_url)
    check = next(r for r in alone.results if r["expectation"].startswith("walidata_konsisten"))
    assert check["success"] and check["compared"] == 0  # nothing to compare with yet
    pipeline.run_dataset("disdukcapil.penduduk_kecamatan", "k1", warehouse)
    outcome = validate(ds, out.frame(), out.totals.to_pandas(), REGION, gx, "b", today=FRESH,
                       warehouse_url=warehouse.warehouse_url)
    check = next(r for r in outcome.results if r["expectation"].startswith("walidata_konsisten"))
    assert check["compared"] == 13 and not check["success"] and check["severity"] == "warning"
    assert check["sample"][0].startswith("62.06.01 2025: jumlah_penduduk = ") and "batas 0.5%" in check["sample"][0]
    assert outcome.success and outcome.label == "lulus dengan peringatan"


def test_plausibility_against_the_published_previous_period(sandbox, tmp_path):
    """A file with only 2025 is compared with the 2024 figures already in the warehouse."""
    from conftest import replace_inbox_file
    from walidata import pipeline

    pipeline.run_dataset("disdukcapil.penduduk_kecamatan", "v1", sandbox)
    f = edit_workbook(SAMPLE_FILE, tmp_path / "hanya_2025.xlsx", {})
    wb = load_workbook(f)
    del wb["2023"], wb["2024"]
    ws = wb["2025"]
    jump = ws["D8"].value // 2  # Katingan Hilir's women: +50% (the kabupaten stays under its population)
    ws["D8"], ws["E8"], ws["D20"] = ws["D8"].value + jump, ws["E8"].value + jump, ws["D20"].value + jump
    wb.save(f)
    replace_inbox_file(sandbox, f)
    out = pipeline.run_dataset("disdukcapil.penduduk_kecamatan", "v2", sandbox)
    import json

    outcome = json.loads(open(out["validation"]).read())
    assert outcome["success"]
    (warning,) = [p for p in outcome["problems"] if "berubah" in p]
    assert "sheet '2025', row 8, column D" in warning and "(2024)" in warning


def test_absurd_and_non_finite_figures_are_errors_of_their_row():
    import pandas as pd

    from walidata.validate.checks import RECORD_ID, magnitude_check

    cases = [(1e308, "tetap"), (float("inf"), "tetap"), (float("-inf"), "revisi"), (float("nan"), "tetap"),
             (2.0 ** 53 + 2, "tetap"), (float("nan"), "tidak_tersedia"), (None, "rahasia"), (12.0, "tetap"),
             (-2.0 ** 53, "tetap"), (0.0, "nihil")]
    df = pd.DataFrame({RECORD_ID: range(len(cases)), "masalah": pd.array([None] * len(cases), dtype="string"),
                       "nilai": [v for v, _ in cases], "status": [s for _, s in cases], "variabel": "murid",
                       "sumber_file": "f.xlsx", "sumber_sheet": "2025", "sumber_baris": range(5, 5 + len(cases)),
                       "sumber_kolom_nilai": "D"})
    check = magnitude_check(df)
    assert check["severity"] == "critical" and not check["success"] and check["row_level"]
    assert sorted(check["rows"]) == [0, 1, 2, 3, 4]
    assert check["rows"][0] == ("file f.xlsx, sheet '2025', row 5, column D: murid = 1e+308 melebihi batas "
                                "±9.007.199.254.740.992: bukan angka yang mungkin untuk statistik wilayah")
    assert check["rows"][1].startswith("file f.xlsx, sheet '2025', row 6, column D: murid = inf tak hingga")
    assert "murid = -inf tak hingga" in check["rows"][2]
    assert check["rows"][3].endswith("murid = nan bukan angka (NaN) padahal berstatus tetap")
    assert "row 9, column D: murid = 9.0072e+15 melebihi batas" in check["rows"][4]
    assert magnitude_check(df.iloc[5:])["success"]


def test_an_overflowing_count_in_a_real_file_is_rejected(tmp_path):
    src = INBOX / "diskominfo" / "layanan_daring" / "layanan_daring.xlsx"
    f = edit_workbook(src, tmp_path / "layanan.xlsx", {("Layanan", "B4"): 1e308,  # a number cell
                                                       ("Layanan", "C5"): "1" + "0" * 400})  # text: float → inf
    outcome = _run(tmp_path, "diskominfo.layanan_daring", f)
    assert not outcome.success and outcome.label == "gagal"
    failed = _failed(outcome)["walidata_nilai_terhingga"]
    assert failed["severity"] == "critical" and failed["unexpected_count"] == 2
    text = "\n".join(outcome.problems)
    assert ("file layanan.xlsx, sheet 'Layanan', row 4, column B: layanan_publik = 1e+308 melebihi batas "
            "±9.007.199.254.740.992") in text
    assert "file layanan.xlsx, sheet 'Layanan', row 5, column C: layanan_daring = inf tak hingga" in text
    assert all(any(e == "walidata_nilai_terhingga" for e, _ in v) for v in outcome.rejected.values())
