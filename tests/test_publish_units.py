"""The unit of publishing is (dataset, kabupaten/kota, periode), in the warehouse and in the lake: one region's
load never closes another region's figures, and a partial load leaves the figures of its rejected rows in force.

Each test compares the warehouse and the lake with the expected contents row by row."""

import shutil

import duckdb
import pytest

from conftest import DATASET, SAMPLE_FILE, edit_workbook, replace_inbox_file
from conftest import query as _rows
from walidata import pipeline
from walidata.sample import write_penduduk_kecamatan
from walidata.settings import get_settings

FACT = "fact.disdukcapil__penduduk_kecamatan"
KEY = "variabel, kode_wilayah, periode, jenis_kelamin"


def current(settings) -> list[tuple]:
    return _rows(settings.warehouse_url, f"SELECT {KEY}, nilai, load_id FROM {FACT} ORDER BY {KEY}")


def lake_rows(settings) -> list[tuple]:
    """The lake's clean zone read back with its hive partitions (wilayah=…/periode=…)."""
    root = settings.lake / "clean" / f"dataset={DATASET}"
    return [tuple(r) for r in duckdb.sql(
        f"SELECT {KEY}, nilai, load_id FROM read_parquet('{root}/**/*.parquet', hive_partitioning = true, "
        f"hive_types = {{'periode': VARCHAR, 'wilayah': VARCHAR}}) ORDER BY {KEY}").fetchall()]


def test_two_regions_in_one_warehouse_keep_each_others_figures(warehouse, tmp_path, monkeypatch):
    pipeline.run_dataset(DATASET, "katingan", warehouse)
    katingan = current(warehouse)
    assert {r[1][:5] for r in katingan} == {"62.06"}

    # The same dataset for Kabupaten Seruyan (62.07), same periods, into the same warehouse and lake.
    seruyan_file = write_penduduk_kecamatan(tmp_path / "penduduk_kecamatan_jk_6207_2023-2025.xlsx",
                                            warehouse.reference, "62.07")
    replace_inbox_file(warehouse, seruyan_file)
    monkeypatch.setenv("WALIDATA_WILAYAH", "62.07")
    seruyan = get_settings()
    pipeline.run_dataset(DATASET, "seruyan", seruyan)

    both = current(warehouse)
    assert [r for r in both if r[1].startswith("62.06")] == katingan  # untouched, same load id
    assert {r[1][:5] for r in both} == {"62.06", "62.07"}
    closed = _rows(warehouse.warehouse_url, f"SELECT COUNT(*) FROM {FACT}__riwayat WHERE berlaku_sampai IS NOT NULL")
    assert closed == [(0,)]
    assert lake_rows(warehouse) == both
    parts = sorted(p.relative_to(warehouse.lake / "clean" / f"dataset={DATASET}").parent.as_posix()
                   for p in (warehouse.lake / "clean").rglob("*.parquet"))
    assert parts == [f"wilayah={w}/periode={p}" for w in ("62.06", "62.07") for p in ("2023", "2024", "2025")]
    audit = _rows(warehouse.warehouse_url, "SELECT run_id, wilayah FROM audit.load_log ORDER BY selesai")
    assert audit == [("katingan", "62.06"), ("seruyan", "62.07")]

    # A revision for Katingan 2025 changes one Katingan figure, nothing of Seruyan's.
    monkeypatch.setenv("WALIDATA_WILAYAH", "62.06")
    revised = edit_workbook(SAMPLE_FILE, tmp_path / "revisi.xlsx", {("2025", "C7"): 4942, ("2025", "E7"): 9517,
                                                                       ("2025", "C20"): 94411})
    replace_inbox_file(warehouse, revised)
    out = pipeline.run_dataset(DATASET, "katingan-revisi", get_settings())
    assert out["rows_changed"] == 2
    after = current(warehouse)
    assert [r for r in after if r[1].startswith("62.07")] == [r for r in both if r[1].startswith("62.07")]
    assert lake_rows(warehouse) == after


@pytest.fixture
def partial(warehouse, tmp_path, monkeypatch):
    """The sample catalog with this dataset's policy set to `muat_sebagian: true` (publish the good rows)."""
    catalog = tmp_path / "catalog"
    shutil.copytree(warehouse.catalog, catalog)
    entry = catalog / "disdukcapil" / "penduduk_kecamatan.yaml"
    entry.write_text(entry.read_text() + "kebijakan: {muat_sebagian: true}\n")
    monkeypatch.setenv("WALIDATA_CATALOG", str(catalog))
    return get_settings()


def _code(settings, nama: str) -> str:
    return _rows(settings.warehouse_url, f"SELECT kode_kemendagri FROM ref.wilayah WHERE nama = '{nama}' "
                                         "AND kode_induk = '62.06'")[0][0]


@pytest.mark.parametrize("bad_cells, kept_sexes", [
    # A negative count, the row and column totals consistent with it: Kamipang's L figure is rejected.
    ({("2025", "C7"): -5, ("2025", "E7"): 4570, ("2025", "C20"): 89474}, ["L"]),
    ({("2025", "B7"): "Kecamatan Antah Berantah"}, ["L", "P"]),  # an unknown name: both of its figures
])
def test_partial_load_leaves_the_figures_of_rejected_rows_in_force(partial, tmp_path, bad_cells, kept_sexes):
    pipeline.run_dataset(DATASET, "v1", partial)
    before = current(partial)
    kamipang, hilir = _code(partial, "Kamipang"), _code(partial, "Katingan Hilir")
    # A consistent revision of Katingan Hilir's L figure (row total and column total follow).
    good_change = {("2025", "C8"): 23292, ("2025", "E8"): 44887, ("2025", "C20"): 94411}
    resent = edit_workbook(SAMPLE_FILE, tmp_path / "kirim_ulang.xlsx", {**good_change, **bad_cells})
    replace_inbox_file(partial, resent)
    out = pipeline.run_dataset(DATASET, "v2", partial)

    assert out["rows_kept"] == len(kept_sexes)
    after = current(partial)
    assert {(r[1], r[2], r[3]) for r in set(after) ^ set(before)} == {(hilir, "2025", "L")}
    kept = [r for r in after if r[1] == kamipang and r[2] == "2025"]
    assert kept == [r for r in before if r[1] == kamipang and r[2] == "2025"]  # as it was, with its old load id
    assert lake_rows(partial) == after
    status, kept_n, rejected, pesan = _rows(partial.warehouse_url, "SELECT status, baris_dipertahankan, "
                                            "baris_ditolak, pesan FROM audit.load_log WHERE run_id = 'v2'")[0]
    assert (status, kept_n) == ("dimuat", len(kept_sexes)) and rejected >= 1
    assert f"{len(kept_sexes)} angka yang sudah terbit tidak ada dalam muatan ini dan tetap berlaku" in pesan


def test_a_lake_of_the_layout_before_regions_is_rewritten_whole(warehouse, tmp_path):
    """A lake written before the unit had a region (`dataset=<id>/periode=<p>/`) would be read twice beside the
    new partitions: the first publish after the upgrade rewrites every unit in force and drops the old ones."""
    pipeline.run_dataset(DATASET, "v1", warehouse)
    root = warehouse.lake / "clean" / f"dataset={DATASET}"
    for part in sorted((root / "wilayah=62.06").iterdir()):
        part.rename(root / part.name)  # as the earlier release laid it out
    (root / "wilayah=62.06").rmdir()
    from openpyxl import load_workbook

    revised = edit_workbook(SAMPLE_FILE, tmp_path / "revisi.xlsx", {("2025", "C7"): 4942, ("2025", "E7"): 9517,
                                                                    ("2025", "C20"): 94411})
    wb = load_workbook(revised)
    for name in ("2023", "2024"):  # the revision carries 2025 only
        del wb[name]
    wb.save(revised)
    replace_inbox_file(warehouse, revised)
    out = pipeline.run_dataset(DATASET, "v2", warehouse)
    assert out["periods"] == ["2025"]
    assert sorted(p.name for p in root.iterdir()) == ["wilayah=62.06"]
    assert sorted(p.name for p in (root / "wilayah=62.06").iterdir()) == ["periode=2023", "periode=2024",
                                                                           "periode=2025"]
    assert lake_rows(warehouse) == current(warehouse) and len(current(warehouse)) == 78
