"""A province's Walidata in one deployment (WALIDATA_WILAYAH=62): a province-wide file publishes every kabupaten/kota
in one run, each under its own code; a kabupaten's own file arrives in its subfolder; one region's failed check or
unreadable file holds back only that region's units, and its figures in force stay.

Every figure is compared with the source workbook, cell by cell, through an independent reading (openpyxl)."""

import shutil

import pytest
from openpyxl import Workbook, load_workbook

from conftest import DATASET, query
from walidata import pipeline
from walidata.per_wilayah import WilayahDitahan
from walidata.sample import write_penduduk_kecamatan
from walidata.settings import get_settings
from walidata.sources.spreadsheet import SourceError
from walidata.standardise.reference import IndeksWilayah

FACT = "fact.disdukcapil__penduduk_kecamatan"
KALTENG = "62"


def kabkota_kalteng(settings) -> list[str]:
    return list(settings.daftar_kabkota)


def _int(v) -> int:
    """A count as the sample writes it: a number, or a text with Indonesian thousands dots ('9.958')."""
    return int(str(v).replace(".", "")) if isinstance(v, str) else int(v)


def _kecamatan_values(reference, kode: str, tmp_path, years) -> dict:
    """{(year, kecamatan code): (L, P)} of the sample workbook of one kabupaten, read back with openpyxl."""
    path = write_penduduk_kecamatan(tmp_path / f"k{kode}.xlsx", reference, kode, years)
    idx = IndeksWilayah(reference, kode)
    out = {}
    wb = load_workbook(path, read_only=True)
    for year in years:
        for row in wb[str(year)].iter_rows(min_row=7, values_only=True):
            if isinstance(row[0], int):
                out[(str(year), idx.kecamatan_code(row[1]))] = (row[1], _int(row[2]), _int(row[3]))
    return out


def write_province_file(path, reference, tmp_path, codes, years=(2024, 2025), edit=None) -> dict:
    """One workbook for the whole province, a Kabupaten/Kota column before the kecamatan: {(year, kec): (L, P)}."""
    wb = Workbook()
    wb.remove(wb.active)
    truth = {}
    for year in years:
        ws = wb.create_sheet(str(year))
        ws.append([f"Jumlah Penduduk Menurut Kabupaten/Kota, Kecamatan dan Jenis Kelamin, {year}"])
        ws.append([])
        ws.append(["No", "Kabupaten/Kota", "Kecamatan", "Jenis Kelamin", None, "Jumlah"])
        ws.append([None, None, None, "Laki-laki", "Perempuan", None])
        n = 0
        for kode in codes:
            kab = IndeksWilayah(reference, kode).kabupaten
            nama = f"{kab.tingkat.title()} {kab.nama}"
            for (y, kec), (name, lk, pr) in sorted(_kecamatan_values(reference, kode, tmp_path, years).items()):
                if y != str(year):
                    continue
                lk, pr = edit(kode, kec, lk, pr) if edit else (lk, pr)
                n += 1
                ws.append([n, nama, name, lk, pr, lk + pr])
                truth[(y, kec)] = (lk, pr)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return truth


@pytest.fixture
def provinsi(sandbox, tmp_path, monkeypatch):
    """WALIDATA_WILAYAH=62 with a catalog whose penduduk_kecamatan table names its kabupaten/kota."""
    catalog = tmp_path / "catalog"
    shutil.copytree(sandbox.catalog, catalog)
    entry = catalog / "disdukcapil" / "penduduk_kecamatan.yaml"
    entry.write_text(entry.read_text().replace(
        "kolom:\n", "kolom:\n  - {name: kabupaten, alias: [kabupaten/kota], peran: kabupaten_kota, wajib: false}\n", 1))
    monkeypatch.setenv("WALIDATA_CATALOG", str(catalog))
    monkeypatch.setenv("WALIDATA_WILAYAH", KALTENG)
    folder = sandbox.inbox and __import__("pathlib").Path(sandbox.inbox) / "disdukcapil" / "penduduk_kecamatan"
    shutil.rmtree(folder)
    folder.mkdir()
    return get_settings(), folder


def facts(settings) -> dict:
    rows = query(settings.warehouse_url, f"SELECT periode, kode_wilayah, jenis_kelamin, nilai FROM {FACT}")
    out = {}
    for periode, kode, jk, nilai in rows:
        lk, pr = out.get((periode, kode), (None, None))
        out[(periode, kode)] = (nilai, pr) if jk == "L" else (lk, nilai)
    return out


def test_a_province_wide_file_publishes_every_kabupaten_and_one_failure_holds_back_only_its_own(
        provinsi, tmp_path):
    settings, folder = provinsi
    codes = kabkota_kalteng(settings)
    assert len(codes) == 14 and settings.provinsi == "62"
    truth = write_province_file(folder / "penduduk_kalteng.xlsx", settings.reference, tmp_path / "a", codes)

    out = pipeline.run_dataset(DATASET, "provinsi-1", settings)
    got = facts(settings)
    assert got == {k: (float(lk), float(pr)) for k, (lk, pr) in truth.items()}  # every figure equals its cell
    assert {k[:5] for _, k in got} == set(codes)  # every kab/kota, each under its own code
    audit = query(settings.warehouse_url, "SELECT status, wilayah FROM audit.load_log WHERE run_id = 'provinsi-1'")
    assert [a[0] for a in audit] == ["dimuat"] and audit[0][1] == ", ".join(codes)
    assert out["rows_loaded"] == 2 * len(truth)

    # The next file: every figure +1, except Kotawaringin Barat's (62.01), which has a negative cell.
    bad = "62.01"
    (folder / "penduduk_kalteng.xlsx").unlink()
    new = write_province_file(folder / "penduduk_kalteng_revisi.xlsx", settings.reference, tmp_path / "b", codes,
                              edit=lambda kode, kec, lk, pr: (-5, pr) if kode == bad and kec.endswith(".01")
                              else (lk + 1, pr))
    with pytest.raises(WilayahDitahan) as exc:
        pipeline.run_dataset(DATASET, "provinsi-2", settings)
    assert bad in str(exc.value) and list(exc.value.ditahan) == [bad]
    after = facts(settings)
    for key in truth:
        want = truth[key] if key[1].startswith(bad) else new[key]  # its old figures in force; the others new
        assert after[key] == (float(want[0]), float(want[1])), key
    rows = query(settings.warehouse_url, "SELECT status, wilayah FROM audit.load_log WHERE run_id = 'provinsi-2' "
                                         "ORDER BY status")
    assert rows[0] == ("dimuat", ", ".join(c for c in codes if c != bad))
    assert rows[1] == ("gagal_validasi", bad)  # the follow-up and the summary name the region


def test_a_kabupaten_file_in_its_subfolder_is_its_own_and_an_unreadable_one_holds_back_only_it(
        provinsi, tmp_path):
    settings, folder = provinsi
    ref = settings.reference
    # Each kabupaten's own table (no kabupaten column: its subfolder says whose it is).
    for kode in ("62.06", "62.07"):
        write_penduduk_kecamatan(folder / kode / f"penduduk_{kode}.xlsx", ref, kode)
    broken = folder / "62.01" / "penduduk_6201.xlsx"
    broken.parent.mkdir()
    broken.write_bytes(b"not a workbook")
    with pytest.raises(WilayahDitahan) as exc:
        pipeline.run_dataset(DATASET, "kab-1", settings)
    assert list(exc.value.ditahan) == ["62.01"] and "penduduk_6201.xlsx" in str(exc.value)
    got = facts(settings)
    assert {k[:5] for _, k in got} == {"62.06", "62.07"}
    for kode in ("62.06", "62.07"):
        for (year, kec), (_, lk, pr) in _kecamatan_values(ref, kode, tmp_path, (2023, 2024, 2025)).items():
            assert got[(year, kec)] == (float(lk), float(pr))
    rows = query(settings.warehouse_url, "SELECT status, wilayah FROM audit.load_log ORDER BY status")
    assert rows == [("dimuat", "62.06, 62.07"), ("gagal_baca", "62.01")]


def test_a_shared_file_without_region_columns_is_never_taken_as_the_provinces(provinsi, tmp_path):
    settings, folder = provinsi
    # Katingan's table, dropped in the shared folder of a province deployment with the original catalog.
    shutil.copytree(get_settings().catalog, tmp_path / "c2", dirs_exist_ok=True)
    entry = tmp_path / "c2" / "disdukcapil" / "penduduk_kecamatan.yaml"
    entry.write_text(entry.read_text().replace(
        "  - {name: kabupaten, alias: [kabupaten/kota], peran: kabupaten_kota, wajib: false}\n", ""))
    write_penduduk_kecamatan(folder / "penduduk_6206.xlsx", settings.reference, "62.06")
    s2 = settings.model_copy(update={"catalog": tmp_path / "c2"})
    with pytest.raises(SourceError, match="dibaca bersama untuk beberapa wilayah"):
        pipeline.run_dataset(DATASET, "shared-1", s2)
    assert query(s2.warehouse_url, "SELECT COUNT(*) FROM information_schema.tables WHERE table_name = "
                                   "'disdukcapil__penduduk_kecamatan'") == [(0,)]


def test_an_api_that_fails_for_one_region_holds_back_only_that_region(sandbox, tmp_path, monkeypatch):
    from walidata.sample_api import API_DIR
    from walidata.sample_server import serve

    folder = tmp_path / "api"
    shutil.copytree(API_DIR, folder)
    broken = folder / "bps" / "6201"  # Kotawaringin Barat: BPS says it has no such table
    broken.mkdir(parents=True)
    for var in (651, 652, 653, 654):
        (broken / f"data_var_{var}.json").write_text(
            '{"status": "OK", "data-availability": "not-available", "data": ""}')
    monkeypatch.setenv("WALIDATA_WILAYAH", "62.01,62.06,62.71")
    settings = get_settings()
    with serve(folder), pytest.raises(WilayahDitahan) as exc:
        pipeline.run_dataset("bps.ipm", "ipm-1", settings)
    assert list(exc.value.ditahan) == ["62.01"] and "tidak menyediakan data ini" in str(exc.value)
    regions = query(settings.warehouse_url, "SELECT DISTINCT kode_wilayah FROM fact.bps__ipm ORDER BY 1")
    assert regions == [("62.06",), ("62.71",)]
    audit = query(settings.warehouse_url, "SELECT status, wilayah FROM audit.load_log ORDER BY status")
    assert audit == [("dimuat", "62.06, 62.71"), ("gagal_ambil", "62.01")]


def test_the_nightly_skips_a_province_with_nothing_new_and_still_mends_a_lost_partition(provinsi):
    from walidata.catalog import get_dataset
    from walidata.cli import _nothing_new

    settings, folder = provinsi
    for kode in ("62.06", "62.07"):
        write_penduduk_kecamatan(folder / kode / f"penduduk_{kode}.xlsx", settings.reference, kode)
    ds = get_dataset(settings.catalog, DATASET)
    assert not _nothing_new(settings, ds)  # nothing published yet: the DAG runs
    pipeline.run_dataset(DATASET, "kab-1", settings)
    # Each region's own file was published for that region only: nothing new for the scope, no DAG run tonight.
    assert _nothing_new(settings, ds)
    part = next((settings.lake / "clean" / f"dataset={DATASET}").glob("wilayah=62.07/periode=2024/*.parquet"))
    part.unlink()  # a partition lost after the last publish: mended even on a night the DAG does not run
    assert _nothing_new(settings, ds) and part.is_file()
    write_penduduk_kecamatan(folder / "62.07" / "penduduk_62.07_2026.xlsx", settings.reference, "62.07",
                             (2024, 2025, 2026))
    assert not _nothing_new(settings, ds)  # Seruyan sent a new file
