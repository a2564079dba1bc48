"""The Walidata's checks beyond single cells: completeness per period, parts ≤ wholes, plausibility,
freshness, severities. Each fails on a crafted bad file and passes on the bundled one."""

import datetime as dt
import shutil

import pytest
from openpyxl import load_workbook

from conftest import ROOT, SAMPLE_FILE, edit_workbook
from walidata.catalog import Dataset, get_dataset
from walidata.standardise.records import standardise_files
from walidata.standardise.reference import IndeksWilayah
from walidata.validate.outcome import validate

CATALOG = ROOT / "include" / "catalog"
INBOX = ROOT / "include" / "sample_data" / "inbox"
REGION = IndeksWilayah(ROOT / "include" / "reference", "62.06")
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
    assert "file stunting.xlsx, sheet '2025', baris 4, kolom D: balita_stunting = 9999 melebihi balita_diukur" in \
           "\n".join(outcome.lines)
    assert outcome.rejected and all(any("tidak_melebihi" in p.check for p in outcome.problems if p.record == i)
                                    for i in outcome.rejected)


def test_implausible_change_is_a_warning_and_still_publishes(tmp_path):
    ws = load_workbook(SAMPLE_FILE)["2025"]
    jump = ws["C7"].value  # Kamipang's men double from 2024 to 2025
    f = edit_workbook(SAMPLE_FILE, tmp_path / "lonjakan.xlsx", {
        ("2025", "C7"): ws["C7"].value + jump, ("2025", "E7"): ws["E7"].value + jump,
        ("2025", "C20"): ws["C20"].value + jump})
    outcome = _run(tmp_path, "disdukcapil.penduduk_kecamatan", f)
    assert outcome.success and outcome.label == "lulus dengan peringatan" and not outcome.rejected
    (warning,) = [p for p in outcome.lines if "berubah" in p]
    assert warning.startswith("peringatan: file lonjakan.xlsx, sheet '2025', baris 7, kolom C: jumlah_penduduk = ")
    assert "berubah +" in warning and "batas 10%" in warning


def test_freshness_against_the_update_schedule(tmp_path):
    src = next((INBOX / "dlh" / "titik_panas").glob("*.xlsx"))  # monthly, up to 2025-12
    assert _run(tmp_path, "dlh.titik_panas", src, today=dt.date(2026, 3, 1)).problems == []
    late = _run(tmp_path, "dlh.titik_panas", src, today=dt.date(2026, 11, 28))
    assert late.success and late.label == "lulus dengan peringatan"
    assert late.lines == ["peringatan: periode terakhir 2025-12 (berakhir 2025-12-31) lebih tua dari jadwal "
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
    assert any("nilai=120.5 melanggar expect_column_values_to_be_between" in p for p in outcome.lines)


@pytest.mark.parametrize("severity, publishes", [("critical", False), ("warning", True)])
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
    assert (problems.Tingkat == "kritis").all()


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
    assert check["success"] and check["unexpected_count"] == 0  # nothing to compare with yet
    pipeline.run_dataset("disdukcapil.penduduk_kecamatan", "k1", warehouse)
    outcome = validate(ds, out.frame(), out.totals.to_pandas(), REGION, gx, "b", today=FRESH,
                       warehouse_url=warehouse.warehouse_url)
    check = next(r for r in outcome.results if r["expectation"].startswith("walidata_konsisten"))
    assert check["unexpected_count"] == 1 and not check["success"] and check["severity"] == "warning"
    assert check["sample"][0].startswith("peringatan: 62.06.01 2025: jumlah_penduduk = ")
    assert "batas 0.5%" in check["sample"][0]
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
    (warning,) = [p for p in outcome["problems"] if "berubah" in p["reason"]]
    assert (warning["sheet"], warning["row"], warning["column"]) == ("2025", 8, "D") and "(2024)" in warning["reason"]


def test_absurd_and_non_finite_figures_are_errors_of_their_row():
    import pandas as pd

    from walidata.validate.checks import magnitude

    cases = [(1e308, "tetap"), (float("inf"), "tetap"), (float("-inf"), "revisi"), (float("nan"), "tetap"),
             (2.0 ** 53 + 2, "tetap"), (float("nan"), "tidak_tersedia"), (None, "rahasia"), (12.0, "tetap"),
             (-2.0 ** 53, "tetap"), (0.0, "nihil")]
    df = pd.DataFrame({RECORD_ID: range(len(cases)), "masalah": pd.array([None] * len(cases), dtype="string"),
                       "nilai": [v for v, _ in cases], "status": [s for _, s in cases], "variabel": "murid",
                       "sumber_file": "f.xlsx", "sumber_sheet": "2025", "sumber_baris": range(5, 5 + len(cases)),
                       "sumber_kolom_nilai": "D"})
    found = {t["record"]: t for t in magnitude(df)["temuan"]}
    assert sorted(found) == [0, 1, 2, 3, 4]
    assert found[0] == {"reason": "murid = 1e+308 melebihi batas ±9.007.199.254.740.992: bukan angka yang mungkin "
                                  "untuk statistik wilayah", "file": "f.xlsx", "sheet": "2025", "row": 5,
                        "column": "D", "region": None, "value": 1e308, "record": 0}
    assert found[1]["reason"].startswith("murid = inf tak hingga") and found[1]["row"] == 6
    assert found[2]["reason"].startswith("murid = -inf tak hingga") and found[2]["value"] == "-inf"
    assert found[3]["reason"] == "murid = nan bukan angka (NaN) padahal berstatus tetap"
    assert found[4]["reason"].startswith("murid = 9.0072e+15 melebihi batas") and found[4]["row"] == 9
    assert magnitude(df.iloc[5:])["temuan"] == []


def test_an_overflowing_count_in_a_real_file_is_rejected(tmp_path):
    src = INBOX / "diskominfo" / "layanan_daring" / "layanan_daring.xlsx"
    f = edit_workbook(src, tmp_path / "layanan.xlsx", {("Layanan", "B4"): 1e308,  # a number cell
                                                       ("Layanan", "C5"): "1" + "0" * 400})  # text: float → inf
    outcome = _run(tmp_path, "diskominfo.layanan_daring", f)
    assert not outcome.success and outcome.label == "gagal"
    failed = _failed(outcome)["walidata_nilai_terhingga"]
    assert failed["severity"] == "critical" and failed["unexpected_count"] == 2
    text = "\n".join(outcome.lines)
    assert ("file layanan.xlsx, sheet 'Layanan', baris 4, kolom B: layanan_publik = 1e+308 melebihi batas "
            "±9.007.199.254.740.992") in text
    assert "file layanan.xlsx, sheet 'Layanan', baris 5, kolom C: layanan_daring = inf tak hingga" in text
    assert all(any(p.check == "walidata_nilai_terhingga" for p in outcome.problems if p.record == i)
               for i in outcome.rejected)


# --- The Walidata's checks as GX expectations: each fails and passes inside the suite's own run (suite.run) ---

def _records(ds_id: str, path=None):
    """A dataset's standardised records and total rows, from its bundled sample (a small in-memory frame)."""
    ds = get_dataset(CATALOG, ds_id)
    path = path or (SAMPLE_FILE if ds_id == "disdukcapil.penduduk_kecamatan" else
                    next((INBOX / ds.opd / ds.name).glob("*.xlsx")))
    out = standardise_files(ds, [(path, path.name)], REGION)
    return ds, out.frame(), out.totals.to_pandas()


def _gx(tmp_path, ds, df, totals, today=FRESH, warehouse_url=None, run_id="t"):
    """{expectation type: its GX result} of one suite.run, and the run's Data Docs page."""
    from walidata.validate.suite import run

    gx = tmp_path / "gx"
    if not gx.exists():
        shutil.copytree(ROOT / "great_expectations", gx, ignore=shutil.ignore_patterns("uncommitted"))
    vr, page = run(ds, df, totals, REGION, gx, run_id, today=today, warehouse_url=warehouse_url)
    return {r.expectation_config.type: r for r in vr.results}, page


def _severity(r) -> str:
    return str(getattr(r.expectation_config.severity, "value", r.expectation_config.severity))


def _findings(r) -> list[dict]:
    import json

    assert not r.success
    temuan = r.result["details"]["temuan"]
    assert r.result["unexpected_count"] == len(temuan) and json.loads(json.dumps(temuan)) == temuan
    assert r.result["partial_unexpected_list"][:1] and r.expectation_config.meta["arti"]
    return temuan


def _at(df, i: int) -> dict:
    r = df.loc[df[RECORD_ID] == i].iloc[0]
    return {"file": r["sumber_file"], "sheet": r["sumber_sheet"], "row": int(r["sumber_baris"]),
            "column": r["sumber_kolom_nilai"], "region": r["nama_wilayah"], "record": i}


RECORD_ID = "rekaman_id"


def test_gx_magnitude(tmp_path):
    ds, df, totals = _records("disdukcapil.penduduk_kecamatan")
    assert _gx(tmp_path, ds, df, totals)[0]["walidata_nilai_terhingga"].success
    df.loc[df[RECORD_ID] == 5, "nilai"] = float("inf")
    r = _gx(tmp_path, ds, df, totals)[0]["walidata_nilai_terhingga"]
    (t,) = _findings(r)
    assert _severity(r) == "critical"
    assert t == {**_at(df, 5), "value": "inf", "reason": "jumlah_penduduk = inf tak hingga: sel atau jumlahnya "
                                                         "meluap, bukan angka yang dapat dimuat"}
    assert r.result["partial_unexpected_list"][0].startswith(f"file {t['file']}, sheet '2023', baris {t['row']}, ")


def test_gx_completeness_per_period(tmp_path):
    ds, df, totals = _records("disdukcapil.penduduk_kecamatan")
    assert _gx(tmp_path, ds, df, totals)[0]["walidata_lengkap_per_periode"].success
    gone = df[(df["periode"] == "2024") & (df["kode_wilayah"] == "62.06.03")]
    r = _gx(tmp_path, ds, df.drop(gone.index), totals)[0]["walidata_lengkap_per_periode"]
    assert _severity(r) == "critical"
    assert _findings(r) == [{"reason": "periode 2024, variabel jumlah_penduduk: tidak ada angka untuk 1 wilayah: "
                                       "62.06.03 (Tewang Sangalang Garing)"}]  # dataset-wide: no record, no place


def test_gx_totals_equal_the_rows_they_cover(tmp_path):
    ds, df, totals = _records("disdukcapil.penduduk_kecamatan")
    assert _gx(tmp_path, ds, df, totals)[0]["walidata_jumlah_kecamatan_sama_dengan_total"].success
    t0 = totals[totals["jenis"] == "total"].iloc[0]
    totals.loc[t0.name, "nilai_total"] = t0["nilai_total"] + 7
    r = _gx(tmp_path, ds, df, totals)[0]["walidata_jumlah_kecamatan_sama_dengan_total"]
    (t,) = _findings(r)
    assert _severity(r) == "critical" and "record" not in t
    assert t == {"file": t0["sumber_file"], "sheet": t0["sumber_sheet"], "row": int(t0["sumber_baris"]),
                 "column": t0["sumber_kolom"], "value": int(t0["nilai_total"] + 7),
                 "reason": f"total {t0['nilai_total'] + 7:g} tidak sama dengan jumlah baris di atasnya "
                           f"{t0['nilai_total']:g}"}


def test_gx_parts_never_exceed_wholes(tmp_path):
    ds, df, totals = _records("dinkes.stunting_desa")
    name = "walidata_balita_stunting_tidak_melebihi_balita_diukur"
    assert _gx(tmp_path, ds, df, totals)[0][name].success
    part = df[df["variabel"] == "balita_stunting"].iloc[0]
    df.loc[part.name, "nilai"] = 9999.0
    r = _gx(tmp_path, ds, df, totals)[0][name]
    (t,) = _findings(r)
    assert _severity(r) == "critical" and r.expectation_config.kwargs["bagian"] == "balita_stunting"
    assert t["record"] == int(part[RECORD_ID]) and t["value"] == 9999 and t["row"] == int(part["sumber_baris"])
    assert t["reason"].startswith("balita_stunting = 9999 melebihi balita_diukur = ")


def test_gx_plausibility_is_a_warning(tmp_path):
    ds, df, totals = _records("disdukcapil.penduduk_kecamatan")
    assert _gx(tmp_path, ds, df, totals)[0]["walidata_perubahan_wajar"].success
    jump = df[(df["periode"] == "2025") & (df["kode_wilayah"] == "62.06.01") & (df["jenis_kelamin"] == "L")].iloc[0]
    df.loc[jump.name, "nilai"] = jump["nilai"] * 1.5
    r = _gx(tmp_path, ds, df, totals)[0]["walidata_perubahan_wajar"]
    (t,) = _findings(r)
    assert _severity(r) == "warning" and t["record"] == int(jump[RECORD_ID]) and t["region"] == "Kamipang"
    assert "berubah +" in t["reason"] and "(2024), batas 10%" in t["reason"]


def test_gx_population_bound(tmp_path):
    ds, df, totals = _records("disdukcapil.penduduk_kecamatan")
    assert _gx(tmp_path, ds, df, totals)[0]["walidata_tidak_melebihi_penduduk"].success
    df.loc[df[RECORD_ID] == 3, "nilai"] = 5_000_000.0
    r = _gx(tmp_path, ds, df, totals)[0]["walidata_tidak_melebihi_penduduk"]
    temuan = _findings(r)
    assert _severity(r) == "critical"
    one = next(t for t in temuan if t["record"] == 3)
    assert one == {**_at(df, 3), "value": 5_000_000,
                   "reason": one["reason"]} and one["reason"].startswith("jumlah_penduduk = 5000000 melebihi penduduk")


def _warehouse_with(tmp_path, rows: list[tuple]) -> str:
    import sqlalchemy as sa

    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE SCHEMA IF NOT EXISTS fact"))
        conn.execute(sa.text("CREATE TABLE fact.observasi (dataset VARCHAR, variabel VARCHAR, kode_wilayah VARCHAR, "
                             "periode VARCHAR, nilai DOUBLE)"))
        for r in rows:
            conn.execute(sa.text("INSERT INTO fact.observasi VALUES (:a, :b, :c, :d, :e)"),
                         dict(zip("abcde", r, strict=True)))
    engine.dispose()
    return url


def test_gx_consistency_with_another_dataset(tmp_path):
    ds, df, totals = _records("disdukcapil.penduduk_umur",
                              INBOX / "disdukcapil" / "penduduk_umur" / "penduduk_kelompok_umur_2025.xlsx")
    name = "walidata_konsisten_dengan_disdukcapil__penduduk_kecamatan"
    alone = _gx(tmp_path, ds, df, totals)[0][name]
    assert alone.success and alone.result["details"]["catatan"] == ("tidak ada angka disdukcapil.penduduk_kecamatan "
                                                                   "untuk dibandingkan")
    mine = df[df["variabel"] == "jumlah_penduduk"].groupby(["kode_wilayah", "periode"])["nilai"].sum()
    rows = [("disdukcapil.penduduk_kecamatan", "jumlah_penduduk", k, p, v * (1.2 if k == "62.06.01" else 1.0))
            for (k, p), v in mine.items()]
    r = _gx(tmp_path, ds, df, totals, warehouse_url=_warehouse_with(tmp_path, rows), run_id="u")[0][name]
    (t,) = _findings(r)
    assert _severity(r) == "warning" and r.result["details"]["dibandingkan"] == len(rows)
    assert "record" not in t and t["region"] == "62.06.01" and "batas 0.5%" in t["reason"]
    assert t["reason"].startswith("62.06.01 2025: jumlah_penduduk = ")


def test_gx_freshness(tmp_path):
    ds, df, totals = _records("disdukcapil.penduduk_kecamatan")
    assert _gx(tmp_path, ds, df, totals)[0]["walidata_data_mutakhir"].success
    r = _gx(tmp_path, ds, df, totals, today=dt.date(2029, 1, 1))[0]["walidata_data_mutakhir"]
    assert _severity(r) == "warning" and r.expectation_config.kwargs["hari_ini"] == "2029-01-01"
    assert _findings(r) == [{"reason": "periode terakhir 2025 (berakhir 2025-12-31) lebih tua dari jadwal tahunan "
                                       "(paling lama 730 hari setelah akhir periode; hari ini 2029-01-01)",
                             "value": "2025"}]


def test_gx_run_context_is_not_stored_in_the_suite(tmp_path):
    import json

    ds, df, totals = _records("disdukcapil.penduduk_kecamatan")
    _gx(tmp_path, ds, df, totals)
    suite = json.loads((tmp_path / "gx" / "expectations" / "disdukcapil" / "penduduk_kecamatan.json").read_text())
    own = {e["type"]: e for e in suite["expectations"] if e["type"].startswith("walidata_")}
    assert set(own) == {"walidata_nilai_terhingga", "walidata_lengkap_per_periode", "walidata_perubahan_wajar",
                        "walidata_jumlah_kecamatan_sama_dengan_total", "walidata_tidak_melebihi_penduduk",
                        "walidata_data_mutakhir"}
    assert all(e["kwargs"]["konteks"] == {"$PARAMETER": "walidata_konteks"} for e in own.values())
    assert own["walidata_data_mutakhir"]["kwargs"]["hari_ini"] == {"$PARAMETER": "hari_ini"}


def test_gx_failure_of_a_real_file_is_in_the_result_and_on_the_data_docs_page(tmp_path):
    f = edit_workbook(SAMPLE_FILE, tmp_path / "kurang.xlsx", {})
    wb = load_workbook(f)
    wb["2024"].delete_rows(9)  # Tewang Sangalang Garing is gone from 2024 only
    wb.save(f)
    ds, df, totals = _records("disdukcapil.penduduk_kecamatan", f)
    results, page = _gx(tmp_path, ds, df, totals)
    r = results["walidata_lengkap_per_periode"]
    assert not r.success and "62.06.03 (Tewang Sangalang Garing)" in r.result["details"]["temuan"][0]["reason"]
    html = open(page.removeprefix("file://"), encoding="utf-8").read()
    assert "walidata_lengkap_per_periode" in html
    assert "semua 13 wilayah (kecamatan) punya angka di setiap periode" in html
    def row_of(name: str) -> tuple[str, str]:
        """An expectation's status icon, and its cell up to the next expectation's status icon."""
        at = html.index(f">{name}<")
        icon = html[html.rindex('<i class="fas', 0, at):at]
        return icon[:60], html[at:html.find('<i class="fas', at)]

    icon, cell = row_of("walidata_lengkap_per_periode")
    assert "fa-times text-danger" in icon  # GX's failed marker, on this expectation's row
    assert "periode 2024, variabel jumlah_penduduk: tidak ada angka untuk 1 wilayah" in cell
    assert "fa-check-circle text-success" in row_of("walidata_nilai_terhingga")[0]
