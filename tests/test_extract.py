import hashlib
import time
from pathlib import Path

import pytest

from conftest import DATASET
from walidata.catalog import get_dataset
from walidata.publish.lake import Lake
from walidata.sources.inbox import NoSourceFiles, extract


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
    with pytest.raises(NoSourceFiles, match="tidak ada file yang cocok dengan"):
        extract(ds, sandbox.inbox, Lake(sandbox.lake))


def test_inbox_can_be_any_fsspec_location(sandbox, monkeypatch):
    """A remote inbox (here fsspec's in-memory filesystem, a real implementation) works like a folder."""
    import fsspec

    from walidata import pipeline
    from walidata.settings import get_settings

    fs = fsspec.filesystem("memory")
    src = next((Path(sandbox.inbox) / "disdukcapil" / "penduduk_kecamatan").glob("*.xlsx"))
    fs.pipe(f"/opd-inbox/disdukcapil/penduduk_kecamatan/{src.name}", src.read_bytes())
    fs.pipe("/opd-inbox/disdukcapil/penduduk_kecamatan/~$lock.xlsx", b"office lock file")
    try:
        monkeypatch.setenv("WALIDATA_INBOX", "memory://opd-inbox")
        settings = get_settings()
        assert settings.inbox == "memory://opd-inbox"
        out = pipeline.run_dataset(DATASET, "remote", settings)
        assert out["rows_loaded"] == 78
        (m,) = out["files"]
        assert m["source_path"] == f"memory://opd-inbox/disdukcapil/penduduk_kecamatan/{src.name}"
        assert hashlib.sha256(Path(m["raw_path"]).read_bytes()).hexdigest() == m["sha256"]
    finally:
        fs.rm("/opd-inbox", recursive=True)
