"""Extract: copy OPD files from the inbox, unchanged, into the lake's raw zone with sha256 and arrival time.

The inbox is a local folder or any fsspec URL (s3://, sftp://, memory://…): `<inbox>/<opd>/<dataset>/`.
Files whose content (sha256) was already published are skipped: only new or changed files go on.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import os
import tempfile
from pathlib import Path

from walidata.catalog import Dataset
from walidata.lake import Lake, read_json, write_json

CHUNK = 1 << 20


class NoSourceFiles(LookupError):
    """Nothing to do: no file in the dataset's inbox folder, or none that is new."""


def _fs(inbox: str | Path):
    import fsspec

    return fsspec.core.url_to_fs(str(inbox))


def inbox_dir(inbox: str | Path, ds: Dataset) -> str:
    return f"{str(inbox).rstrip('/')}/{ds.opd}/{ds.name}"


def find_files(inbox: str | Path, ds: Dataset) -> list[str]:
    """Paths (in the inbox's filesystem) of the dataset's files, by the catalog's patterns."""
    fs, root = _fs(inbox)
    folder = f"{root.rstrip('/')}/{ds.opd}/{ds.name}"
    try:
        entries = fs.ls(folder, detail=True)
    except FileNotFoundError:
        entries = []
    files = sorted(
        e["name"] for e in entries
        if e.get("type") == "file"
        and not os.path.basename(e["name"]).startswith(("~$", "."))
        and any(fnmatch.fnmatch(os.path.basename(e["name"]).lower(), p.lower()) for p in ds.sumber.pola_file)
    )
    if not files:
        raise NoSourceFiles(f"no file matching {ds.sumber.pola_file} in {inbox_dir(inbox, ds)}")
    return files


def extract(ds: Dataset, inbox: str | Path, lake: Lake, skip_sha256: set[str] = frozenset()) -> list[dict]:
    """Copy each source file into `raw/dataset=<id>/sha256=<hash>/<name>` once; return the new files' manifests.

    The raw zone is immutable: a file already there (same content) keeps its first arrival time.
    """
    fs, _ = _fs(inbox)
    manifests, skipped = [], []
    raw_root = lake.raw_dir(ds.id)
    raw_root.mkdir(parents=True, exist_ok=True)
    for src in find_files(inbox, ds):
        name = os.path.basename(src)
        # One pass: stream into a temporary file in the raw zone while hashing.
        h = hashlib.sha256()
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=raw_root)
        try:
            with os.fdopen(fd, "wb") as out, fs.open(src, "rb") as f:
                while chunk := f.read(CHUNK):
                    h.update(chunk)
                    out.write(chunk)
            digest = h.hexdigest()
            target_dir = raw_root / f"sha256={digest}"
            target, manifest_path = target_dir / name, target_dir / "_manifest.json"
            if manifest_path.exists() and target.exists():
                manifest = read_json(manifest_path)
            else:
                target_dir.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, target)
                manifest = {
                    "dataset": ds.id, "file": name, "source_path": f"{inbox_dir(inbox, ds)}/{name}",
                    "raw_path": str(target), "sha256": digest, "bytes": target.stat().st_size,
                    "arrived_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                }
                write_json(manifest_path, manifest)
        finally:
            Path(tmp).unlink(missing_ok=True)
        (skipped if digest in skip_sha256 else manifests).append(manifest)
    if not manifests:
        raise NoSourceFiles(f"no new file in {inbox_dir(inbox, ds)}: {len(skipped)} file(s) already published "
                            f"({', '.join(m['file'] for m in skipped)})")
    return manifests
