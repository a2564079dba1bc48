"""Extract: copy OPD files from the inbox, unchanged, into the lake's raw zone with sha256 and arrival time."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
from pathlib import Path

from walidata.catalog import Dataset
from walidata.lake import Lake, read_json, write_json

CHUNK = 1 << 20


class NoSourceFiles(LookupError):
    """Nothing has arrived in the dataset's inbox folder."""


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def inbox_dir(inbox: Path, ds: Dataset) -> Path:
    return Path(inbox) / ds.opd / ds.name


def find_files(inbox: Path, ds: Dataset) -> list[Path]:
    folder = inbox_dir(inbox, ds)
    files = sorted(p for p in folder.glob(ds.sumber.pola_file) if p.is_file() and not p.name.startswith(("~$", ".")))
    if not files:
        raise NoSourceFiles(f"no file matching {ds.sumber.pola_file!r} in {folder}")
    return files


def extract(ds: Dataset, inbox: Path, lake: Lake) -> list[dict]:
    """Copy each source file into `raw/dataset=<id>/sha256=<hash>/<name>` once; return their manifests.

    The raw zone is immutable: a file already there (same content) keeps its first arrival time.
    """
    manifests = []
    for src in find_files(inbox, ds):
        digest = sha256_file(src)
        target_dir = lake.raw_dir(ds.id) / f"sha256={digest}"
        target = target_dir / src.name
        manifest_path = target_dir / "_manifest.json"
        if manifest_path.exists() and target.exists():
            manifests.append(read_json(manifest_path))
            continue
        target_dir.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".tmp-{target.name}")
        shutil.copyfile(src, tmp)
        if sha256_file(tmp) != digest:  # the file changed while we copied it
            tmp.unlink()
            raise OSError(f"{src} changed while being copied; it will be taken on the next run")
        os.replace(tmp, target)
        manifest = {
            "dataset": ds.id,
            "file": src.name,
            "source_path": str(src),
            "raw_path": str(target),
            "sha256": digest,
            "bytes": target.stat().st_size,
            "arrived_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        }
        write_json(manifest_path, manifest)
        manifests.append(manifest)
    return manifests
