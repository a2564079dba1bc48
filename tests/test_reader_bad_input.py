"""Bad OPD files, each a real file: a clear message naming file/sheet/row/column, and nothing lost."""

import io
import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from conftest import DATASET, ROOT, SAMPLE_FILE, edit_workbook, replace_inbox_file, snapshot
from walidata import cli, pipeline
from walidata.catalog import get_dataset
from walidata.sources.spreadsheet import SourceError
from walidata.standardise.records import standardise_files
from walidata.standardise.reference import IndeksWilayah
from walidata.validate.outcome import ValidationFailed

REF = ROOT / "include" / "reference"
REGION = IndeksWilayah(REF, "62.06")


def _ds(catalog: Path = ROOT / "include" / "catalog", dataset: str = DATASET):
    return get_dataset(catalog, dataset)


def _read(path: Path, ds=None):
    return standardise_files(ds or _ds(), [(path, path.name)], REGION)


def _check(capsys, path: Path, dataset: str = DATASET) -> tuple[int, str]:
    cwd = os.getcwd()
    os.chdir(path.parent)  # `walidata check` writes its workbook where it runs: here, the test's own folder
    try:
        rc = cli.main(["check", str(path), "--dataset", dataset])
    finally:
        os.chdir(cwd)
    return rc, capsys.readouterr().out


@pytest.fixture
def catalog_copy(tmp_path, monkeypatch):
    """A copy of the catalog that a test may edit; the settings point at it."""
    target = tmp_path / "catalog"
    shutil.copytree(ROOT / "include" / "catalog", target)
    monkeypatch.setenv("WALIDATA_CATALOG", str(target))

    def edit(dataset: str, old: str, new: str) -> Path:
        opd, name = dataset.split(".")
        p = target / opd / f"{name}.yaml"
        text = p.read_text()
        assert old in text
        p.write_text(text.replace(old, new))
        return p

    return edit


def test_corrupt_file(tmp_path, capsys):
    f = tmp_path / "rusak.xlsx"
    f.write_bytes(b"\x00\x01 this is not a spreadsheet at all" * 10)
    with pytest.raises(SourceError, match=r"file rusak.xlsx: bukan workbook yang dapat dibaca"):
        _read(f)
    rc, out = _check(capsys, f)
    assert rc == 2 and "TIDAK TERBACA: file rusak.xlsx: bukan workbook yang dapat dibaca" in out


def test_truncated_workbook(tmp_path):
    f = tmp_path / "terpotong.xlsx"
    f.write_bytes(SAMPLE_FILE.read_bytes()[:3000])
    with pytest.raises(SourceError, match=r"file terpotong.xlsx: bukan workbook yang dapat dibaca"):
        _read(f)


def test_zip_that_is_not_a_workbook(tmp_path):
    f = tmp_path / "arsip.xlsx"
    with zipfile.ZipFile(f, "w") as z:
        z.writestr("laporan.txt", "bukan workbook")
    with pytest.raises(SourceError, match=r"file arsip.xlsx: arsip zip, tetapi bukan workbook"):
        _read(f)


def test_password_protected_workbook(tmp_path):
    import msoffcrypto.format.ooxml

    f = tmp_path / "berkata_sandi.xlsx"
    out = io.BytesIO()
    with open(SAMPLE_FILE, "rb") as src:
        msoffcrypto.format.ooxml.OOXMLFile(src).encrypt("rahasia", out)
    f.write_bytes(out.getvalue())
    with pytest.raises(SourceError, match=r"file berkata_sandi.xlsx: workbook dilindungi kata sandi"):
        _read(f)


def test_missing_sheet(tmp_path):
    f = edit_workbook(SAMPLE_FILE, tmp_path / "tanpa_sheet.xlsx", {})
    wb = load_workbook(f)
    for ws in wb.worksheets:
        ws.title = f"Data {ws.title}"
    wb.save(f)
    with pytest.raises(SourceError, match=r"file tanpa_sheet.xlsx: tidak ada sheet yang cocok dengan .* "
                                          r"\(sheet yang ada: \['Data 2023'"):
        _read(f)


def test_missing_required_column(tmp_path, capsys):
    f = edit_workbook(SAMPLE_FILE, tmp_path / "tanpa_kolom.xlsx", {("2024", "D5"): "Wanita?"})
    rc, out = _check(capsys, f)
    assert rc == 2
    assert "file tanpa_kolom.xlsx, sheet '2024', baris 4: kolom wajib 'perempuan' tidak ada di header" in out


def _with_extra_column(tmp_path) -> Path:
    f = edit_workbook(SAMPLE_FILE, tmp_path / "kolom_tambahan.xlsx", {})
    wb = load_workbook(f)
    for ws in wb.worksheets:
        ws["F4"] = "Keterangan"
        ws["F7"] = "data sementara"
    wb.save(f)
    return f


def test_unexpected_extra_column_is_reported_and_ignored_by_default(tmp_path, capsys):
    f = _with_extra_column(tmp_path)
    out = _read(f)
    assert out.lineage[0]["kolom_lain"] == ["F ('Keterangan')"]
    assert out.records.num_rows == 78
    rc, text = _check(capsys, f)
    assert rc == 0 and "kolom lain (diabaikan): F ('Keterangan')" in text


def test_unexpected_extra_column_refused_when_the_dataset_says_so(tmp_path, catalog_copy):
    p = catalog_copy(DATASET, "  tanda_strip: nihil", "  tanda_strip: nihil\n  kolom_lain: tolak")
    f = _with_extra_column(tmp_path)
    with pytest.raises(SourceError, match=r"file kolom_tambahan.xlsx, sheet '2023', baris 4: kolom tak terduga "
                                          r"F \('Keterangan'\)"):
        _read(f, _ds(p.parents[1]))


def test_empty_sheet(tmp_path):
    f = edit_workbook(SAMPLE_FILE, tmp_path / "kosong.xlsx", {})
    wb = load_workbook(f)
    wb.create_sheet("2026")
    wb.save(f)
    with pytest.raises(SourceError, match=r"file kosong.xlsx, sheet '2026': sheet kosong"):
        _read(f)


def test_file_over_the_size_limit(tmp_path, catalog_copy):
    p = catalog_copy(DATASET, "  tanda_strip: nihil", "  tanda_strip: nihil\n  batas_ukuran_mb: 0.005")
    with pytest.raises(SourceError, match=r"file .*\.xlsx: ukuran file 0\.0\d MB, melebihi batas 0\.005 MB"):
        _read(SAMPLE_FILE, _ds(p.parents[1]))


def test_decompression_bomb_is_refused_before_reading(tmp_path):
    f = tmp_path / "bom.xlsx"
    with zipfile.ZipFile(SAMPLE_FILE) as src, zipfile.ZipFile(f, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename))
        with dst.open("xl/media/padding.bin", "w") as big:  # 200 MB of zeros, a few hundred KB packed
            chunk = b"\0" * (1 << 20)
            for _ in range(200):
                big.write(chunk)
    assert f.stat().st_size < 2_000_000
    with pytest.raises(SourceError, match=r"file bom.xlsx: ditolak: terurai menjadi 2\d\d MB .* bom dekompresi"):
        _read(f)


def test_formula_errors_are_named(tmp_path, capsys):
    f = edit_workbook(SAMPLE_FILE, tmp_path / "rumus.xlsx", {("2025", "C9"): "#REF!", ("2025", "D10"): "#DIV/0!"})
    r = _read(f).frame()
    bad = r[r.masalah.notna()]
    assert "kolom C: sel berisi galat rumus #REF!" in bad[bad.sumber_baris == 9].masalah.iloc[0]
    assert "kolom D: sel berisi galat rumus #DIV/0!" in bad[bad.sumber_baris == 10].masalah.iloc[0]
    rc, out = _check(capsys, f)
    assert rc == 1 and "file rumus.xlsx, sheet '2025', baris 9, kolom C: sel berisi galat rumus #REF!" in out


def test_numbers_stored_as_text_are_read(tmp_path):
    ws = load_workbook(SAMPLE_FILE)["2025"]
    laki, perempuan = ws["C7"].value, ws["D7"].value
    as_text = {("2025", "C7"): f"{laki:,}".replace(",", "."), ("2025", "D7"): f"\xa0{perempuan:,} ".replace(",", ".")}
    f = edit_workbook(SAMPLE_FILE, tmp_path / "teks.xlsx", as_text)
    assert load_workbook(f)["2025"]["C7"].data_type == "s"
    r = _read(f).frame()
    row7 = r[(r.periode == "2025") & (r.sumber_baris == 7)].set_index("jenis_kelamin")["nilai"]
    assert r.masalah.isna().all()
    assert (row7["L"], row7["P"]) == (laki, perempuan)


def test_merged_value_cells_across_data_rows(tmp_path):
    f = edit_workbook(SAMPLE_FILE, tmp_path / "gabung.xlsx", {})
    wb = load_workbook(f)
    wb["2025"].merge_cells("C9:C10")
    wb.save(f)
    r = _read(f).frame()
    bad = r[r.masalah.notna() & (r.sumber_kolom_nilai == "C")]
    assert set(bad.sumber_baris) == {9, 10}
    assert bad.masalah.str.contains("kolom C: sel gabungan C9:C10 melintasi baris data").all()


def test_merged_label_cells_mean_same_as_above():
    # The bundled stunting file merges the kecamatan cell down over its villages.
    ds = _ds(dataset="dinkes.stunting_desa")
    f = next((ROOT / "include/sample_data/inbox/dinkes/stunting_desa").glob("*.xlsx"))
    r = standardise_files(ds, [(f, f.name)], REGION).frame()
    assert r.masalah.isna().all() and r.kode_wilayah.nunique() == 161


def test_duplicated_kecamatan_rows(tmp_path, capsys):
    f = edit_workbook(SAMPLE_FILE, tmp_path / "ganda.xlsx", {("2025", "B8"): "Kamipang"})
    rc, out = _check(capsys, f)
    assert rc == 1
    # Identical problems are one line with their rows: rows 7 and 8 both say Kamipang.
    assert "file ganda.xlsx, sheet '2025', baris 7–8 (2 baris), kolom C: baris ganda" in out
    assert "file ganda.xlsx, sheet '2025', baris 7–8 (2 baris), kolom D: baris ganda" in out
    assert (tmp_path / "ganda__masalah.xlsx").is_file()


def test_english_only_header(tmp_path, capsys):
    edits = {(s, c): v for s in ("2023", "2024", "2025") for c, v in
             (("B4", "Subdistrict"), ("C4", "Sex"), ("C5", "Male"), ("D5", "Female"), ("E4", "Total"))}
    f = edit_workbook(SAMPLE_FILE, tmp_path / "english.xlsx", edits)
    rc, out = _check(capsys, f)
    assert rc == 0, out


def test_rows_of_another_kabupaten_are_set_aside_not_loaded(tmp_path, capsys):
    """A row naming another kabupaten is that kabupaten's: set aside and counted, never published as ours; the
    kecamatan it replaced is then missing, which fails the dataset."""
    f = edit_workbook(SAMPLE_FILE, tmp_path / "tetangga.xlsx", {("2025", "B19"): "Kab. Kotawaringin Timur"})
    out = _read(f)
    r = out.frame()
    assert r[(r.sumber_baris == 19) & (r.periode == "2025")].empty
    lain = out.lain.to_pandas()
    assert lain[["kode_wilayah", "sumber_baris"]].values.tolist() == [["62.02", 19]]
    assert "Kabupaten Kotawaringin Timur (62.02)" in lain.alasan[0]
    rc, text = _check(capsys, f)
    assert rc == 1
    assert "Disisihkan: 1 baris milik wilayah lain, tidak dimuat (Kab. Kotawaringin Timur (62.02): 1)" in text
    assert "periode 2025, variabel jumlah_penduduk: tidak ada angka untuk 1 wilayah: 62.06.13 (Bukit Raya)" in text


def test_village_in_the_wrong_kecamatan_is_reported_not_guessed(tmp_path):
    ds = _ds(dataset="dinkes.stunting_desa")
    src = next((ROOT / "include/sample_data/inbox/dinkes/stunting_desa").glob("*.xlsx"))
    f = edit_workbook(src, tmp_path / "desa.xlsx", {("2025", "B4"): "Kasongan Baru"})  # first row: Kamipang
    r = standardise_files(ds, [(f, f.name)], REGION).frame()
    bad = r[r.masalah.notna()]
    assert set(bad.sumber_baris) == {4}
    assert "desa 'Kasongan Baru' tidak ada di kecamatan Kamipang (ada di kecamatan Katingan Hilir)" in \
           bad.masalah.iloc[0]


# ----------------------------------------- control characters: taken out at read, rows refused, shown escaped

RAW_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _everything(out) -> str:
    """All that standardise hands on: records, totals, the `lain` table and the lineage, as one text."""
    tables = (out.records, out.totals, out.lain)
    return "\n".join([*(v for t in tables for col in t.columns for v in col.to_pylist() if isinstance(v, str)),
                      json.dumps(out.lineage, ensure_ascii=False)])


def test_a_name_with_a_control_character_is_never_matched_silently(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the feedback workbook goes to the current folder
    # '_x0000_' is how a workbook stores NUL; calamine reads it back as the character itself.
    edits = {("2025", "B8"): "Kec. Katingan Hilir_x0000_", ("2025", "B12"): "SENAMAN MANTEKEI_x001B_[2J",
             ("2025", "D13"): "4.321_x0007_"}
    f = edit_workbook(SAMPLE_FILE, tmp_path / "kendali.xlsx", edits)
    out = _read(f)
    r = out.frame()
    bad = r[(r.periode == "2025") & r.masalah.notna()]
    assert set(bad.sumber_baris) == {8, 12, 13} and len(bad) == 6  # each whole row, never published
    assert "kolom B: sel berisi karakter kendali tak terlihat: 'Kec. Katingan Hilir\\x00'" in \
           bad[bad.sumber_baris == 8].masalah.iloc[0]
    assert "'SENAMAN MANTEKEI\\x1b[2J'" in bad[bad.sumber_baris == 12].masalah.iloc[0]
    assert "kolom D: sel berisi karakter kendali tak terlihat: '4.321\\x07'" in \
           bad[bad.sumber_baris == 13].masalah.iloc[0]
    assert not RAW_CONTROL.search(_everything(out))
    # The OPD's check prints them escaped and writes its workbook (openpyxl refuses raw control characters).
    report = tmp_path / "kendali__masalah.xlsx"
    assert cli.main(["check", str(f), "--dataset", DATASET]) == 1
    printed = capsys.readouterr().out
    assert "baris 8, kolom B: sel berisi karakter kendali tak terlihat: 'Kec. Katingan Hilir\\x00'" in printed
    assert not RAW_CONTROL.search(printed) and report.is_file()


def test_a_control_character_in_a_csv_name_cell(tmp_path):
    from test_attribution import dataset

    ds = dataset("kecamatan", [{"name": "kecamatan", "alias": ["kecamatan"], "peran": "kecamatan"},
                               {"name": "jumlah", "alias": ["jumlah"], "peran": "nilai"},
                               {"name": "tahun", "alias": ["tahun"], "peran": "periode"}])
    f = tmp_path / "data.csv"
    f.write_text("kecamatan,jumlah,tahun\nKamipang,5,2024\nKatingan Hilir\0,7,2024\n", encoding="utf-8")
    out = standardise_files(ds, [(f, f.name)], REGION)
    r = out.frame()
    assert r.set_index("sumber_baris").masalah.to_dict() == {
        2: None, 3: "kolom A: sel berisi karakter kendali tak terlihat: 'Katingan Hilir\\x00'; hapus karakter itu "
                    "lalu kirim ulang"}
    assert not RAW_CONTROL.search(_everything(out))


@pytest.mark.parametrize("cell, shown", [
    ("D5", "'Perempuan/Female\\x0b'"),  # the header is found, then refused
    ("B4", "'Kecamatan\\x1b]0;x\\x07'"),  # the key label itself is spoilt: no header found, and why
])
def test_a_header_cell_with_a_control_character_is_refused(tmp_path, cell, shown):
    value = {"D5": "Perempuan/Female_x000B_", "B4": "Kecamatan_x001B_]0;x_x0007_"}[cell]
    f = edit_workbook(SAMPLE_FILE, tmp_path / "header.xlsx", {("2024", cell): value})
    with pytest.raises(SourceError) as exc:
        _read(f)
    msg = str(exc.value)
    assert f"file header.xlsx, sheet '2024', baris {cell[1]}, kolom {cell[0]}: sel header berisi karakter kendali " \
           f"tak terlihat: {shown}" in msg
    assert not RAW_CONTROL.search(msg)


# ------------------------------------------------------------- policy: fail or quarantine, others go on

def test_bad_file_fails_its_dataset_only_and_keeps_what_was_published(sandbox, tmp_path):
    other = "dinkes.kelahiran"
    pipeline.run_dataset(DATASET, "r1", sandbox)
    before = snapshot(sandbox.warehouse_url, ["fact.disdukcapil__penduduk_kecamatan"])
    replace_inbox_file(sandbox, edit_workbook(SAMPLE_FILE, tmp_path / "x.xlsx", {("2024", "C9"): "#REF!"}))
    with pytest.raises(ValidationFailed):
        pipeline.run_dataset(DATASET, "r2", sandbox)
    out = pipeline.run_dataset(other, "r2", sandbox)  # another dataset in the same night still publishes
    assert out["rows_loaded"] == 117
    assert snapshot(sandbox.warehouse_url, ["fact.disdukcapil__penduduk_kecamatan"]) == before


def test_partial_load_policy_quarantines_bad_rows_and_publishes_the_rest(sandbox, tmp_path, catalog_copy):
    catalog_copy(DATASET, "jadwal: \"0 1 * * *\"", "jadwal: \"0 1 * * *\"\nkebijakan: {muat_sebagian: true}")
    from walidata.settings import get_settings

    settings = get_settings()
    f = edit_workbook(SAMPLE_FILE, tmp_path / "sebagian.xlsx", {("2025", "B9"): "Antah Berantah"})
    replace_inbox_file(settings, f)
    out = pipeline.run_dataset(DATASET, "p2", settings)
    assert out["rows_loaded"] == 76 and out["rows_rejected"] == 2
    q = pd.read_parquet(out["karantina"])
    assert set(q.sumber_baris) == {9} and q.alasan.str.contains("Antah Berantah").all()
    engine = sa.create_engine(settings.warehouse_url)
    with engine.connect() as c:
        (status, rejected) = c.execute(sa.text("SELECT status, baris_ditolak FROM audit.load_log "
                                               "WHERE run_id = 'p2'")).one()
    engine.dispose()
    assert (status, rejected) == ("dimuat", 2)


# ------------------------------------------------------------------ walidata check for the OPDs (issue 20)

WALIDATA = ROOT / ".venv" / "bin" / "walidata"


def _noisy_workbook(target: Path) -> Path:
    """The sample workbook as an OPD's working copy: 70 columns of its own beside the table, 1.500 note lines under
    each footer, and every kecamatan written so that none is known (39 rows, each a problem of its own)."""
    f = edit_workbook(SAMPLE_FILE, target, {(y, f"B{r}"): f"Desa Antah {y}-{r}" for y in ("2023", "2024", "2025")
                                            for r in range(7, 20)})
    wb = load_workbook(f)
    for ws in wb.worksheets:
        for c in range(70):
            ws.cell(row=4, column=6 + c, value=f"Keterangan OPD {c + 1}")
            for r in range(7, 20):
                ws.cell(row=r, column=6 + c, value=f"isian {r}-{c}")
        for n in range(1500):
            ws.cell(row=24 + n, column=1, value=f"Catatan {n + 1}: data dihimpun dari laporan bulanan kecamatan")
    wb.save(f)
    return f


def test_check_output_is_grouped_and_bounded_and_the_workbook_goes_where_the_officer_is(tmp_path):
    """The real console script on a real workbook in the inbox: at most 40 lines, the 70 other columns and the
    1.500 footer lines one line each, the problems grouped then counted, the row accounting, no GX progress bar
    or INFO line, and the feedback workbook in the current folder, not beside the OPD's file in the inbox."""
    inbox = tmp_path / "inbox" / "disdukcapil" / "penduduk_kecamatan"
    inbox.mkdir(parents=True)
    f = _noisy_workbook(inbox / "penduduk_2025.xlsx")
    office = tmp_path / "kantor"
    office.mkdir()
    env = {**os.environ, "WALIDATA_WAREHOUSE_URL": f"duckdb:///{tmp_path / 'gudang.duckdb'}"}
    run = subprocess.run([str(WALIDATA), "check", str(f), "--dataset", DATASET], cwd=office, env=env,
                         capture_output=True, text=True, timeout=300)
    lines = run.stdout.splitlines()
    assert run.returncode == 1, run.stdout + run.stderr
    assert len(lines) <= 40, run.stdout
    assert run.stdout.count("kolom lain (diabaikan)") == 3  # one line per sheet, not one per column
    assert "kolom lain (diabaikan): 70 kolom: F ('Keterangan OPD 1')" in run.stdout
    assert not [line for line in lines if line.startswith("  catatan:")]  # no line per footer row
    assert len(re.findall(r"^  catatan kaki: \d+ baris, mis\. 'Sumber: Dinas", run.stdout, re.M)) == 3
    assert "dilewati: 1.503 baris: baris nomor kolom (baris 6); catatan kaki (baris 22–1.523)" in run.stdout
    accounting = r"^baris: [\d.]+ = [\d.]+ rekaman \+ .*bukan data \(.*catatan [\d.]+"  # once standardise gives it
    assert re.search(accounting, run.stdout, re.M), run.stdout
    report = office / "penduduk_2025__masalah.xlsx"
    assert re.search(rf"^  … \d+ masalah lain: lihat {re.escape(str(report))}$", run.stdout, re.M), run.stdout
    assert report.is_file() and not (inbox / "penduduk_2025__masalah.xlsx").exists()
    assert sorted(p.name for p in inbox.iterdir()) == ["penduduk_2025.xlsx"]
    detail = pd.read_excel(report, sheet_name="Rincian")
    assert detail.Keterangan.str.contains("Desa Antah").sum() == 78  # every problem is in the workbook
    summary = dict(pd.read_excel(report, sheet_name="Ringkasan", header=None).values.tolist())
    rows = summary["Baris terisi di file"]  # the row accounting, class by class, adds up in the workbook too
    assert rows > 1500 and rows == sum(v for k, v in summary.items() if k.startswith("  "))
    assert "Calculating Metrics" not in run.stderr and "INFO" not in run.stderr and "%|" not in run.stderr


def test_check_writes_the_workbook_to_laporan_and_quiets_gx_without_its_config(tmp_path, capsys, monkeypatch):
    """--laporan PATH is where the workbook goes; and a GX context whose file says nothing of progress bars still
    shows none (the context is told so when it opens)."""
    from conftest import copy_gx

    gx = copy_gx(tmp_path / "gx")
    config = gx / "great_expectations.yml"
    config.write_text(re.sub(r"progress_bars:\n(?:  .*\n)+", "", config.read_text()))
    monkeypatch.setenv("WALIDATA_GX_ROOT", str(gx))
    monkeypatch.chdir(tmp_path)
    f = edit_workbook(SAMPLE_FILE, tmp_path / "ganda.xlsx", {("2025", "B8"): "Kamipang"})
    rc = cli.main(["check", str(f), "--dataset", DATASET, "--laporan", str(tmp_path / "hasil" / "cek.xlsx")])
    captured = capsys.readouterr()
    assert rc == 1 and (tmp_path / "hasil" / "cek.xlsx").is_file()
    assert not (tmp_path / "ganda__masalah.xlsx").exists()
    assert f"Daftar lengkap: {tmp_path / 'hasil' / 'cek.xlsx'}" in captured.out
    assert "Calculating Metrics" not in captured.err


def test_the_row_accounting_line_of_check_and_its_absence():
    akun = {"baris": 120, "rekaman": 95, "masalah": 3, "disisihkan": 10, "total": 2,
            "bukan_data": {"judul": 2, "header": 1, "catatan": 7}}
    assert cli._akun_line(akun) == ("baris: 120 = 95 rekaman + 3 masalah + 10 disisihkan + 2 total + 10 bukan data "
                                    "(judul 2, header 1, catatan 7)")
    assert cli._akun_line(None) is None  # a standardise that gives no accounting: no line, no error


BPS_PAGE = """<!DOCTYPE html>
<html lang="id"><head><meta charset="utf-8"><title>Badan Pusat Statistik Kabupaten Katingan</title></head>
<body>
<table class="menu"><tr><td><a href="/">Beranda</a></td><td><a href="/publikasi">Publikasi</a></td>
<td><a href="/statictable">Tabel Statis</a></td></tr></table>
<h3>Jumlah Penduduk Menurut Wilayah dan Jenis Kelamin di Kabupaten Katingan, 2025</h3>
<table border="1" class="datatable">
<tr><th rowspan="2">Wilayah</th><th colspan="2">Jenis Kelamin</th><th rowspan="2">Jumlah</th></tr>
<tr><th>Laki-laki</th><th>Perempuan</th></tr>
<tr><td>Kamipang</td><td>4 932</td><td>4 575</td><td>9 507</td></tr>
<tr><td>Katingan Hilir</td><td>23 282</td><td>21 595</td><td>44 877</td></tr>
<tr><td>Katingan</td><td>94 401</td><td>87 562</td><td>181 963</td></tr>
</table>
<p>Sumber: Dinas Kependudukan dan Pencatatan Sipil Kabupaten Katingan</p>
</body></html>
"""


def test_an_html_page_named_xls_whose_header_does_not_match_says_first_what_it_is(tmp_path):
    """A BPS page saved as .xls (navigation table, then the data table headed 'Wilayah' where the catalog expects
    'Kecamatan'): the refusal starts by saying it is an HTML page under a workbook's name, then why."""
    f = tmp_path / "penduduk_kecamatan_2025.xls"
    f.write_text(BPS_PAGE, encoding="utf-8")
    env = {**os.environ, "WALIDATA_CATALOG": str(ROOT / "tests" / "hostile" / "catalog")}
    run = subprocess.run([str(WALIDATA), "check", str(f), "--dataset", "disdukcapil.penduduk_kecamatan_html"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 2, run.stdout + run.stderr
    refusal = next(line for line in run.stdout.splitlines() if line.startswith("TIDAK TERBACA"))
    assert refusal.startswith("TIDAK TERBACA: file penduduk_kecamatan_2025.xls: file ini halaman HTML yang dinamai "
                              ".xls, bukan workbook Excel"), refusal
    assert "tidak satu pun dari 2 tabelnya memiliki header yang diharapkan" in refusal
    with pytest.raises(SourceError) as exc:  # the same first words where the pipeline reads it
        _read(f, get_dataset(ROOT / "tests" / "hostile" / "catalog", "disdukcapil.penduduk_kecamatan_html"))
    assert exc.value.reason.startswith("file ini halaman HTML yang dinamai .xls, bukan workbook Excel")
    f.rename(tmp_path / "penduduk_kecamatan_2025.html")  # a page named as the page it is: no such words
    with pytest.raises(SourceError) as exc:
        _read(tmp_path / "penduduk_kecamatan_2025.html",
              get_dataset(ROOT / "tests" / "hostile" / "catalog", "disdukcapil.penduduk_kecamatan_html"))
    assert exc.value.reason.startswith("file HTML (bukan workbook): tidak satu pun")
