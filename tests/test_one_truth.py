"""One truth for checks: for each kind of check, a crafted file fails it, and the same list of checks with the same
verdicts is on the dataset's Data Docs page, in `audit.hasil_validasi`, in `walidata check` and in the OPD's
feedback workbook.

Each case runs the real pipeline (sandbox lake, DuckDB warehouse, GX context) and the real CLI on the same file.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from conftest import ROOT, SAMPLE_FILE, edit_workbook, query

INBOX = ROOT / "include" / "sample_data" / "inbox"


def _only(sandbox, ds_id: str, f: Path) -> Path:
    """The dataset's inbox folder holding just `f`."""
    opd, name = ds_id.split(".")
    folder = Path(sandbox.inbox) / opd / name
    for p in folder.iterdir():
        p.unlink()
    return Path(shutil.copy(f, folder / f.name))


def _deleted_row(tmp_path):
    f = edit_workbook(SAMPLE_FILE, tmp_path / "kurang.xlsx", {})
    wb = load_workbook(f)
    wb["2024"].delete_rows(9)  # a kecamatan gone from 2024: completeness (and the 2024 total no longer adds up)
    wb.save(f)
    return f


def _jump(tmp_path):
    ws = load_workbook(SAMPLE_FILE)["2025"]
    jump = ws["C7"].value
    return edit_workbook(SAMPLE_FILE, tmp_path / "lonjakan.xlsx", {
        ("2025", "C7"): ws["C7"].value + jump, ("2025", "E7"): ws["E7"].value + jump,
        ("2025", "C20"): ws["C20"].value + jump})


def _one_figure(tmp_path, name: str, men: float):
    """Kamipang's men in 2025 set to `men`, its row total (L + P) kept consistent."""
    women = load_workbook(SAMPLE_FILE)["2025"]["D7"].value
    return edit_workbook(SAMPLE_FILE, tmp_path / name, {("2025", "C7"): men, ("2025", "E7"): men + women})


def _stunting(tmp_path):
    src = next((INBOX / "dinkes" / "stunting_desa").glob("*.xlsx"))
    return edit_workbook(src, tmp_path / "stunting.xlsx", {("2025", "D4"): 9999})


def _age_groups(tmp_path):
    src = INBOX / "disdukcapil" / "penduduk_umur" / "penduduk_kelompok_umur_2025.xlsx"
    wb = load_workbook(src)
    ws = wb.worksheets[0]
    for row in ws.iter_rows(min_row=1, max_row=ws.max_row):  # Kamipang × 3: its sum no longer agrees
        for c in row:
            if isinstance(c.value, int | float) and not isinstance(c.value, bool) and c.column >= 2:
                c.value = c.value * 3
    wb.save(tmp_path / "umur.xlsx")
    return tmp_path / "umur.xlsx"


CASES = {
    # kind: (dataset, crafted file, the check that must fail, published beforehand)
    "lengkap": ("disdukcapil.penduduk_kecamatan", _deleted_row, "walidata_lengkap_per_periode", None),
    "jumlah": ("disdukcapil.penduduk_kecamatan",
               lambda t: edit_workbook(SAMPLE_FILE, t / "total.xlsx", {("2025", "C20"): 1}),
               "walidata_jumlah_kecamatan_sama_dengan_total", None),
    "bagian": ("dinkes.stunting_desa", _stunting, "walidata_balita_stunting_tidak_melebihi_balita_diukur", None),
    "wajar": ("disdukcapil.penduduk_kecamatan", _jump, "walidata_perubahan_wajar", None),
    "penduduk": ("disdukcapil.penduduk_kecamatan",
                 lambda t: _one_figure(t, "penduduk.xlsx", 900_000),
                 "walidata_tidak_melebihi_penduduk", None),
    "terhingga": ("disdukcapil.penduduk_kecamatan",
                  lambda t: _one_figure(t, "raksasa.xlsx", 1e300),
                  "walidata_nilai_terhingga", None),
    "konsisten": ("disdukcapil.penduduk_umur", _age_groups,
                  "walidata_konsisten_dengan_disdukcapil__penduduk_kecamatan", "disdukcapil.penduduk_kecamatan"),
    "mutakhir": ("dlh.titik_panas", lambda t: next((INBOX / "dlh" / "titik_panas").glob("*.xlsx")),
                 "walidata_data_mutakhir", None),
}


def _audit(url: str, run_id: str, ds_id: str) -> list[tuple[str, bool]]:
    """(check, passed) for every expectation of the run (built-in names repeat: one per column)."""
    rows = query(url, f"SELECT pemeriksaan, sukses FROM audit.hasil_validasi WHERE run_id = '{run_id}' "
                      f"AND dataset = '{ds_id}'")
    return [(name, bool(ok)) for name, ok in rows]


def _data_docs(url: str, run_id: str, ds_id: str) -> tuple[int, int, dict[str, bool]]:
    """(rows passed, rows failed, {walidata check: passed}) read off the validation page GX built."""
    from selectolax.lexbor import LexborHTMLParser as HTMLParser

    (page,) = [p for (p,) in query(url, f"SELECT data_docs FROM audit.load_log WHERE run_id = '{run_id}' "
                                        f"AND dataset = '{ds_id}'")]
    tree = HTMLParser(Path(page.removeprefix("file://")).read_text(encoding="utf-8"))
    passed = failed = 0
    ours = {}
    for tr in tree.css("tr"):
        icon = tr.css_first("i.fas")
        if icon is None or not ({"fa-check-circle", "fa-times"} & set(icon.attributes.get("class", "").split())):
            continue
        ok = "fa-check-circle" in icon.attributes["class"]
        passed, failed = passed + ok, failed + (not ok)
        for name in re.findall(r"\bwalidata_[a-z0-9_]+", tr.text()):
            ours[name] = ok
    return passed, failed, ours


def _check_cli(f: Path, ds_id: str, tmp_path, capsys) -> tuple[int, int, set[str]]:
    from walidata import cli

    capsys.readouterr()
    rc = cli.main(["check", str(f), "--dataset", ds_id, "--laporan", str(tmp_path / "cek.xlsx")])
    out = capsys.readouterr().out
    failed = {line.split()[1] for line in out.splitlines() if line.startswith("  ✗ ")}
    (checks,) = [line for line in out.splitlines() if line.startswith("Pemeriksaan: ")]
    return rc, int(checks.split()[3]), failed  # 'Pemeriksaan: 17 dari 18 lulus'


def _workbook(path: Path) -> tuple[str, set[str]]:
    import pandas as pd

    summary = dict(pd.read_excel(path, sheet_name="Ringkasan", header=None).values)
    problems = pd.read_excel(path, sheet_name="Rincian")
    return summary["Hasil"], {c for cell in problems["Pemeriksaan"].dropna() for c in str(cell).split(", ")}


VERDICT = {"lulus": "Diterima", "lulus dengan peringatan": "Diterima dengan catatan",
           "gagal": "Ditolak: perbaiki lalu kirim ulang"}


@pytest.mark.parametrize("kind", list(CASES))
def test_a_failed_check_is_the_same_in_data_docs_audit_check_and_feedback(kind, sandbox, tmp_path, capsys):
    from walidata import pipeline
    from walidata.validate.outcome import ValidationFailed

    ds_id, craft, check, first = CASES[kind]
    if first:
        pipeline.run_dataset(first, "sebelumnya", sandbox)
    f = _only(sandbox, ds_id, craft(tmp_path))
    run_id = f"satu-{kind}"
    try:
        pipeline.run_dataset(ds_id, run_id, sandbox)
        label = "lulus dengan peringatan"
    except ValidationFailed:
        label = "gagal"
    (status,) = [s for (s,) in query(sandbox.warehouse_url, f"SELECT hasil_validasi FROM audit.load_log WHERE "
                                                             f"run_id = '{run_id}' AND dataset = '{ds_id}'")]
    assert status == label

    audit = _audit(sandbox.warehouse_url, run_id, ds_id)
    failed = {name for name, ok in audit if not ok}
    assert check in failed

    passed_page, failed_page, ours = _data_docs(sandbox.warehouse_url, run_id, ds_id)
    assert (passed_page, failed_page) == (sum(ok for _, ok in audit), sum(not ok for _, ok in audit))
    assert ours == {name: ok for name, ok in audit if name.startswith("walidata_")}

    rc, checks, failed_cli = _check_cli(f, ds_id, tmp_path, capsys)
    assert checks == len(audit) and failed_cli == failed
    critical = query(sandbox.warehouse_url, f"SELECT COUNT(*) FROM audit.hasil_validasi WHERE run_id = '{run_id}' "
                                            f"AND NOT sukses AND tingkat = 'critical'")[0][0]
    assert rc == (1 if critical else 0)  # 'ADA MASALAH' exactly when a critical check failed

    lake = Path(sandbox.lake) / "umpan_balik" / f"opd={ds_id.split('.')[0]}"
    (book,) = lake.glob(f"*__{run_id}.xlsx")
    verdict, in_book = _workbook(book)
    assert verdict == VERDICT[label] and in_book == failed
    assert _workbook(tmp_path / "cek.xlsx")[1] == failed  # the workbook `walidata check` writes, too


def test_the_clean_sample_passes_everywhere(sandbox, tmp_path, capsys):
    from walidata import pipeline

    pipeline.run_dataset("disdukcapil.penduduk_kecamatan", "bersih", sandbox)
    audit = _audit(sandbox.warehouse_url, "bersih", "disdukcapil.penduduk_kecamatan")
    assert audit and all(ok for _, ok in audit)
    passed_page, failed_page, _ = _data_docs(sandbox.warehouse_url, "bersih", "disdukcapil.penduduk_kecamatan")
    assert (passed_page, failed_page) == (len(audit), 0)
    assert _check_cli(SAMPLE_FILE, "disdukcapil.penduduk_kecamatan", tmp_path, capsys) == (0, len(audit), set())
    assert not (Path(sandbox.lake) / "umpan_balik").exists() or not list((Path(sandbox.lake) / "umpan_balik").rglob(
        "*bersih.xlsx"))
