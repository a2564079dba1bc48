"""API sources for every kabupaten/kota in scope (issue 22), over real HTTP from the sample server on loopback:
one fetch per region (BPS domain, CKAN package named by region), each manifest naming its region, the sample
server answering for any kabupaten/kota with figures of its own, and a region whose fetch fails not stopping the
others."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT
from walidata.catalog import get_dataset
from walidata.publish.lake import Lake
from walidata.sample_api import API_DIR, CKAN_PACKAGE
from walidata.sample_server import serve
from walidata.settings import get_settings
from walidata.sources.api import TidakBerubah
from walidata.sources.base import connector_for
from walidata.standardise.records import standardise_files
from walidata.standardise.reference import IndeksWilayah, kabkota

REF = ROOT / "include" / "reference"
KALTENG = ("62.01", "62.02", "62.03", "62.04", "62.05", "62.06", "62.07", "62.08", "62.09", "62.10", "62.11",
           "62.12", "62.13", "62.71")


def settings(tmp_path, scope: str):
    for d in ("inbox", "gx"):
        (tmp_path / d).mkdir(parents=True, exist_ok=True)
    return get_settings(wilayah=scope, lake=tmp_path / "lake", warehouse_url=f"duckdb:///{tmp_path / 'w.duckdb'}",
                        gx_root=tmp_path / "gx", inbox=str(tmp_path / "inbox"))


def fetch(ds, s, skip=frozenset(), replay=False):
    c = connector_for(ds)
    location = c.location(s)
    location.replay = replay
    return c.fetch(ds, location, Lake(s.lake), skip_sha256=skip)


def umkm_per_wilayah():
    """The CKAN entry with its package named per region, as on a portal holding every kabupaten/kota's."""
    ds = get_dataset(ROOT / "include" / "catalog", "diskopukm.umkm_kecamatan")
    return ds.model_copy(update={"sumber": ds.sumber.model_copy(update={"paket": CKAN_PACKAGE + "-{wilayah_bps}"})})


def requests(m: dict) -> list[dict]:
    with zipfile.ZipFile(m["raw_path"]) as z:
        return [{**r, "body": json.loads(z.read(r["berkas"]))} for r in json.loads(z.read("permintaan.json"))]


def records_of(ds, m: dict):
    out = standardise_files(ds, [(Path(m["raw_path"]), m["file"])], IndeksWilayah(REF, m["wilayah"]))
    return out.frame()


def test_bps_fetches_each_kabupaten_kota_of_a_province_with_its_own_figures(tmp_path):
    ds = get_dataset(ROOT / "include" / "catalog", "bps.ipm")
    s = settings(tmp_path, "62")
    with serve():
        got = fetch(ds, s)
    assert [m["wilayah"] for m in got] == list(KALTENG) == list(s.daftar_kabkota)
    bps = {k: w.kode_bps for k, w in kabkota(REF).items()}
    ipm = {}
    for m in got:
        reqs = requests(m)
        assert all(f"/domain/{bps[m['wilayah']]}/var/" in r["url"] for r in reqs), m["wilayah"]
        assert {v["val"] for r in reqs for v in r["body"]["vervar"]} == {int(bps[m["wilayah"]])}
        ipm[m["wilayah"]] = reqs[0]["body"]["datacontent"]
    # Katingan is the committed sample, byte for byte; every other region has figures of its own
    committed = json.loads((API_DIR / "bps" / "6209" / "data_var_651.json").read_text())
    assert ipm["62.06"] == committed["datacontent"]
    assert len({json.dumps(sorted(v.values())) for v in ipm.values()}) == len(KALTENG)
    # read back through standardise, each item's rows are its region's
    for m in (got[0], got[5], got[-1]):
        df = records_of(ds, m)
        assert set(df["kode_wilayah"]) == {m["wilayah"]} and df["masalah"].isna().all()


def test_the_sample_server_is_deterministic_per_region(tmp_path):
    ds = get_dataset(ROOT / "include" / "catalog", "bps.ipm")
    with serve():
        a = fetch(ds, settings(tmp_path / "a", "62.01,62.71"))
    with serve():
        b = fetch(ds, settings(tmp_path / "b", "62.01,62.71"))
    bodies = [[[r["body"] for r in requests(m)] for m in got] for got in (a, b)]
    assert bodies[0] == bodies[1] and bodies[0][0] != bodies[0][1]  # the same figures each time, a region's own


def test_ckan_fetches_each_regions_package_and_its_kecamatan(tmp_path):
    ds = umkm_per_wilayah()
    s = settings(tmp_path, "62.01,62.06")
    with serve():
        got = fetch(ds, s)
    assert [m["wilayah"] for m in got] == ["62.01", "62.06"]
    for m in got:
        asked = [r["params"].get("id") for r in requests(m) if "package_show" in r["url"]]
        df = records_of(ds, m)
        kecamatan = set(IndeksWilayah(REF, m["wilayah"]).kecamatan)
        assert set(df["kode_wilayah"]) == kecamatan and df["masalah"].isna().all(), m["wilayah"]
        assert len(df) == 2 * 3 * len(kecamatan)
        assert not asked or asked == [f"{CKAN_PACKAGE}-{kabkota(REF)[m['wilayah']].kode_bps}"]


def umkm_rest():
    """An OPD application's REST service with the region in its URL (metadata from the CKAN example entry)."""
    import yaml

    from walidata.catalog import Dataset

    raw = yaml.safe_load((ROOT / "include" / "catalog" / "diskopukm" / "umkm_kecamatan.yaml").read_text("utf-8"))
    raw.update(id="diskopukm.umkm_rest", judul="UMKM (REST)")
    raw["sumber"] = {"kind": "rest", "koneksi": "rest_contoh", "url": "v1/wilayah/{wilayah}/umkm", "rekaman": "data",
                     "periode": {"dari": "kolom"},
                     "halaman": {"jenis": "nomor", "param": "halaman", "ukuran_param": "per_halaman", "ukuran": 20,
                                 "total_path": "meta.total"}}
    return Dataset.model_validate(raw)


def test_rest_fetches_each_kabupaten_kota_of_a_province_page_by_page(tmp_path):
    ds = umkm_rest()
    with serve():
        got = fetch(ds, settings(tmp_path, "62"))
    assert [m["wilayah"] for m in got] == list(KALTENG)
    for m in got:
        reqs = requests(m)
        assert all(f"/rest/v1/wilayah/{m['wilayah']}/umkm" in r["url"] for r in reqs)
        kecamatan = set(IndeksWilayah(REF, m["wilayah"]).kecamatan)
        assert m["halaman"] == -(-3 * len(kecamatan) // 20)  # every page of the region's rows
    for m in (got[0], got[5], got[-1]):
        df = records_of(ds, m)
        assert set(df["kode_wilayah"]) == set(IndeksWilayah(REF, m["wilayah"]).kecamatan), m["wilayah"]
        assert df["masalah"].isna().all() and len(df) == 2 * 3 * df["kode_wilayah"].nunique()


def test_a_request_that_does_not_depend_on_the_region_is_made_once_and_shared(tmp_path):
    """The committed catalog entry names one package: the same request for every region, fetched once."""
    ds = get_dataset(ROOT / "include" / "catalog", "diskopukm.umkm_kecamatan")
    with serve():
        (m,) = fetch(ds, settings(tmp_path, "62.01,62.06"))
    assert m["wilayah"] is None  # read in every region's pass
    with serve():
        (one,) = fetch(ds, settings(tmp_path / "satu", "62.06"))
    assert one["wilayah"] == "62.06"
    assert [r["body"] for r in requests(one)] == [r["body"] for r in requests(m)]


def test_a_province_domain_is_asked_once_for_its_kabupaten_kota(tmp_path):
    ds = get_dataset(ROOT / "include" / "catalog", "bps.ipm")
    ds = ds.model_copy(update={"sumber": ds.sumber.model_copy(update={"domain": "provinsi"})})
    with serve():
        (m,) = fetch(ds, settings(tmp_path, "62.01,62.06"))
    reqs = requests(m)
    assert m["wilayah"] is None and all("/domain/6200/var/" in r["url"] for r in reqs)
    assert reqs[0]["body"]["vervar"] == [{"val": 6200, "label": "Kalimantan Tengah"}]


def test_a_region_that_fails_does_not_stop_the_others(tmp_path):
    from walidata.sources.api import WilayahGagalDiambil

    folder = tmp_path / "api"
    shutil.copytree(API_DIR, folder)
    broken = folder / "bps" / "6201"  # Kotawaringin Barat: BPS says it has no such table
    broken.mkdir(parents=True)
    for var in (651, 652, 653, 654):
        (broken / f"data_var_{var}.json").write_text(json.dumps(
            {"status": "OK", "data-availability": "not-available", "data": ""}))
    ds = get_dataset(ROOT / "include" / "catalog", "bps.ipm")
    s = settings(tmp_path, "62.01,62.06,62.71")
    with serve(folder), pytest.raises(WilayahGagalDiambil) as err:
        fetch(ds, s)
    assert list(err.value.gagal) == ["62.01"] and "tidak menyediakan data ini" in str(err.value)
    assert [m["wilayah"] for m in err.value.manifests] == ["62.06", "62.71"]  # fetched after the failure
    assert all(Path(m["raw_path"]).is_file() for m in err.value.manifests)
    assert "62.01" in str(err.value) and "2 item wilayah lain sudah diambil" in str(err.value)


class Terbit(frozenset):
    """skip_sha256 as the pipeline gives it: what each region has published (`per_wilayah`)."""

    per_wilayah: dict


def test_unchanged_is_judged_per_region_and_replay_reads_each_regions_item(tmp_path):
    ds = get_dataset(ROOT / "include" / "catalog", "bps.ipm")
    s = settings(tmp_path, "62.01,62.06")
    with serve():
        first = fetch(ds, s)
        by = {m["wilayah"]: m["sha256"] for m in first}
        only_06 = Terbit()
        only_06.per_wilayah = {"62.01": frozenset(), "62.06": frozenset({by["62.06"]})}
        again = fetch(ds, s, only_06)  # 62.06 published and unchanged at BPS: only 62.01's item
        assert [(m["wilayah"], m["sha256"]) for m in again] == [("62.01", by["62.01"])]
        both = Terbit()
        both.per_wilayah = {k: frozenset({v}) for k, v in by.items()}
        with pytest.raises(TidakBerubah, match="tidak berubah menurut BPS"):
            fetch(ds, s, both)
    replayed = fetch(ds, s, replay=True)  # the server is gone: each region's stored item
    assert [(m["wilayah"], m["sha256"]) for m in replayed] == [(k, by[k]) for k in ("62.01", "62.06")]
