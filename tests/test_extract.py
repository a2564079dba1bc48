import hashlib
import time
from pathlib import Path

import pytest

from conftest import DATASET
from walidata.catalog import get_dataset
from walidata.extract import NoSourceFiles, extract
from walidata.lake import Lake


def test_raw_zone_copy_is_unchanged_and_immutable(sandbox):
    ds = get_dataset(sandbox.catalog, DATASET)
    lake = Lake(sandbox.lake)
    (m,) = extract(ds, sandbox.inbox, lake)
    src = Path(sandbox.inbox) / "disdukcapil" / "penduduk_kecamatan" / m["file"]
    assert m["sha256"] == hashlib.sha256(src.read_bytes()).hexdigest()
    raw = lake.raw_dir(DATASET) / f"sha256={m['sha256']}" / m["file"]
    assert raw.read_bytes() == src.read_bytes() and m["raw_path"] == str(raw)
    time.sleep(1.1)
    (again,) = extract(ds, sandbox.inbox, lake)
    assert again["arrived_at"] == m["arrived_at"]  # first arrival is kept


def test_changed_file_gets_its_own_raw_copy(sandbox):
    ds = get_dataset(sandbox.catalog, DATASET)
    lake = Lake(sandbox.lake)
    (m1,) = extract(ds, sandbox.inbox, lake)
    src = Path(sandbox.inbox) / "disdukcapil" / "penduduk_kecamatan" / m1["file"]
    src.write_bytes(src.read_bytes() + b"\0")
    (m2,) = extract(ds, sandbox.inbox, lake)
    assert m2["sha256"] != m1["sha256"]
    assert len(list(lake.raw_dir(DATASET).iterdir())) == 2


def test_empty_inbox(sandbox):
    ds = get_dataset(sandbox.catalog, DATASET)
    for p in (Path(sandbox.inbox) / "disdukcapil" / "penduduk_kecamatan").iterdir():
        p.unlink()
    with pytest.raises(NoSourceFiles, match="no file matching"):
        extract(ds, sandbox.inbox, Lake(sandbox.lake))
