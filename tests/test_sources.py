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


SAMPLES = {"spreadsheet": _spreadsheet_sample}


def test_every_registered_kind_has_a_sample_for_the_contract():
    assert set(SAMPLES) == set(CONNECTORS)


@pytest.fixture(params=sorted(CONNECTORS))
def sample(request, tmp_path):
    ds, location, damaged = SAMPLES[request.param](tmp_path)
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
    # Not a kind the catalog accepts yet (issue 12 adds it with its connector): a copy made without validation.
    ds = ds.model_copy(update={"sumber": ds.sumber.model_copy(update={"kind": "bps_webapi"})})
    with pytest.raises(LookupError, match="no connector for source kind 'bps_webapi'"):
        connector_for(ds)
