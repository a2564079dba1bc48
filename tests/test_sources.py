"""The contract every source connector passes (sources/base.py): run for each registered kind, on a sample of
that kind. A new connector (BPS WebAPI, CKAN, REST) adds its sample here and must pass the same tests."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLE_FILE
from walidata.catalog import get_dataset
from walidata.publish.lake import Lake
from walidata.sources.base import CONNECTORS, MANIFEST_KEYS, Connector, connector_for
from walidata.sources.inbox import NoSourceFiles
from walidata.sources.spreadsheet import SourceError
from walidata.sources.table import Table
from walidata.standardise.records import RECORD_ID, standardise_files
from walidata.standardise.reference import IndeksWilayah

CATALOG = ROOT / "include" / "catalog"
WILAYAH = IndeksWilayah(ROOT / "include" / "reference", "62.06")


def _spreadsheet_sample(tmp_path: Path):
    """(dataset, source location holding one good item, a damaged copy of that item)."""
    ds = get_dataset(CATALOG, "disdukcapil.penduduk_kecamatan")
    inbox = tmp_path / "inbox"
    folder = inbox / ds.opd / ds.name
    folder.mkdir(parents=True)
    shutil.copy(SAMPLE_FILE, folder / SAMPLE_FILE.name)
    damaged = tmp_path / "rusak.xlsx"
    damaged.write_bytes(SAMPLE_FILE.read_bytes()[:4000])
    return ds, inbox, damaged


def _damaged_item(tmp_path: Path) -> Path:
    damaged = tmp_path / "respons_rusak.zip"
    damaged.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    return damaged


def _sample_server_target(request, kind: str):
    """The bundled sample responses over real HTTP (walidata.sample_server), the connection read from the
    environment the server sets, as the pipeline does."""
    from walidata.sample_server import serve
    from walidata.sources.api import Tujuan

    ctx = serve()
    ctx.__enter__()
    request.addfinalizer(lambda: ctx.__exit__(None, None, None))
    return Tujuan("62.06", "6209")


def _bps_sample(tmp_path: Path, request):
    return get_dataset(CATALOG, "bps.ipm"), _sample_server_target(request, "bps"), _damaged_item(tmp_path)


def _ckan_sample(tmp_path: Path, request):
    ds = get_dataset(CATALOG, "diskopukm.umkm_kecamatan")
    return ds, _sample_server_target(request, "ckan"), _damaged_item(tmp_path)


def _rest_sample(tmp_path: Path, request):
    """An OPD REST service (pytest-httpserver on loopback): kecamatan records, two pages by number."""
    from pytest_httpserver import HTTPServer

    from walidata.catalog import Dataset
    from walidata.sources.api import Tujuan
    from walidata.sources.koneksi import Koneksi

    server = HTTPServer()
    server.start()
    request.addfinalizer(server.clear)
    request.addfinalizer(server.stop)
    kec = [("Katingan Kuala", 120), ("Mendawai", 80), ("Kamipang", 95), ("Tasik Payawan", 60),
           ("Katingan Hilir", 410), ("Tewang Sangalang Garing", 70), ("Pulau Malan", 88), ("Katingan Tengah", 150),
           ("Sanaman Mantikei", 77), ("Marikit", 65), ("Katingan Hulu", 72), ("Petak Malai", 40), ("Bukit Raya", 55)]
    rows = [{"wilayah": {"kecamatan": k}, "tahun": 2024, "jumlah": n} for k, n in kec]
    for page, chunk in ((1, rows[:10]), (2, rows[10:])):
        server.expect_request("/api/kunjungan", query_string={"halaman": str(page), "per": "10"}).respond_with_json(
            {"data": chunk})
    metadata = get_dataset(CATALOG, "disbudpar.kunjungan_wisata").metadata.model_dump()
    base = Dataset.model_validate({
        "id": "disbudpar.kunjungan_rest", "opd": "disbudpar", "judul": "Kunjungan (REST)", "deskripsi": "uji",
        "metadata": metadata,
        "variabel": "kunjungan", "sumber": {"kind": "rest", "koneksi": "opd_rest", "url": "api/kunjungan",
                                            "rekaman": "data", "pemetaan": {"wilayah.kecamatan": "kecamatan",
                                                                            "tahun": "tahun", "jumlah": "jumlah"},
                                            "halaman": {"jenis": "nomor", "param": "halaman", "ukuran_param": "per",
                                                        "ukuran": 10},
                                            "periode": {"dari": "kolom"}},
        "kolom": [{"name": "kecamatan", "alias": ["kecamatan"], "peran": "kecamatan"},
                  {"name": "tahun", "alias": ["tahun"], "peran": "periode"},
                  {"name": "jumlah", "alias": ["jumlah"], "peran": "nilai"}]})
    kon = Koneksi("opd_rest", server.url_for("/").rstrip("/"), password="rahasia-rest", extra={"auth": "bearer"})
    return base, Tujuan("62.06", "6209", kon), _damaged_item(tmp_path)


SAMPLES = {"spreadsheet": lambda tmp_path, request: _spreadsheet_sample(tmp_path), "bps_webapi": _bps_sample,
           "ckan": _ckan_sample, "rest": _rest_sample}


def test_every_registered_kind_has_a_sample_for_the_contract():
    assert set(SAMPLES) == set(CONNECTORS)


@pytest.fixture(params=sorted(CONNECTORS))
def sample(request, tmp_path):
    ds, location, damaged = SAMPLES[request.param](tmp_path, request)
    connector = connector_for(ds)
    assert isinstance(connector, Connector) and connector.kind == request.param == ds.sumber.kind
    return connector, ds, location, damaged, Lake(tmp_path / "lake")


def test_fetch_puts_each_item_in_the_raw_zone_once_with_its_manifest(sample):
    connector, ds, location, _, lake = sample
    manifests = connector.fetch(ds, location, lake)
    assert manifests
    for m in manifests:
        assert set(MANIFEST_KEYS) <= set(m) and m["dataset"] == ds.id
        raw = Path(m["raw_path"])
        assert lake.raw_dir(ds.id) in raw.parents and raw.stat().st_size == m["bytes"]
        assert hashlib.sha256(raw.read_bytes()).hexdigest() == m["sha256"]
    again = connector.fetch(ds, location, lake)  # the same content: the same raw item
    assert [m["raw_path"] for m in again] == [m["raw_path"] for m in manifests]
    with pytest.raises(NoSourceFiles):  # everything already published: nothing new
        connector.fetch(ds, location, lake, skip_sha256={m["sha256"] for m in manifests})


def test_tables_give_standardise_located_tables(sample):
    connector, ds, location, _, lake = sample
    manifests = connector.fetch(ds, location, lake)
    for m in manifests:
        tables = connector.tables(ds, Path(m["raw_path"]), m["file"])
        assert tables and all(isinstance(t, Table) and t.file == m["file"] and t.values and t.rows for t in tables)
    out = standardise_files(ds, [(Path(m["raw_path"]), m["file"]) for m in manifests], WILAYAH)
    frame = out.frame()
    assert len(frame) and frame[RECORD_ID].is_unique and frame["masalah"].isna().all()
    assert set(frame["sumber_file"]) == {m["file"] for m in manifests}


def test_an_item_that_cannot_be_read_is_refused_with_its_name(sample):
    connector, ds, _, damaged, _ = sample
    with pytest.raises(SourceError) as err:
        connector.tables(ds, damaged, "kiriman_rusak")
    assert err.value.file == "kiriman_rusak" and "kiriman_rusak" in str(err.value)


def test_an_unknown_source_kind_has_no_connector():
    ds = get_dataset(CATALOG, "disdukcapil.penduduk_kecamatan")
    # Not a kind the catalog accepts: a copy made without validation.
    ds = ds.model_copy(update={"sumber": ds.sumber.model_copy(update={"kind": "ftp"})})
    with pytest.raises(LookupError, match="no connector for source kind 'ftp'"):
        connector_for(ds)
