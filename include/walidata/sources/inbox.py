"""Extract: copy OPD files from the inbox, unchanged, into the lake's raw zone with sha256 and arrival time.

The inbox is a local folder or any fsspec URL (s3://, sftp://, memory://…): `<inbox>/<opd>/<dataset>/`.
Files whose content (sha256) was already published are skipped: only new or changed files go on.

Whose file is it? A file in the dataset folder itself is the deployment's own: the kabupaten/kota's (one region in
scope) or, for a province or a list, a shared file whose rows name their regions (a provincial OPD's table). A
kabupaten/kota sending its own table puts it in a subfolder named by its Kemendagri code,
`<inbox>/<opd>/<dataset>/62.06/`: a table without region columns there is that region's, never the province's.
Subfolders of regions outside the scope are not read (and said so in the log).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import logging
import os
import re
import tempfile
from pathlib import Path

from walidata.catalog import Dataset
from walidata.publish.lake import Lake, read_json, write_json, writing
from walidata.sources.privacy import clean_text

log = logging.getLogger(__name__)

CHUNK = 1 << 20


class NoSourceFiles(LookupError):
    """Nothing to do: no file in the dataset's inbox folder, or none that is new."""


def _fs(inbox: str | Path):
    import fsspec

    return fsspec.core.url_to_fs(str(inbox))


def inbox_dir(inbox: str | Path, ds: Dataset) -> str:
    return f"{str(inbox).rstrip('/')}/{ds.opd}/{ds.name}"


class SourceChanged(RuntimeError):
    """A file changed while it was being read: its content cannot be trusted for this run."""


def _inside_inbox(fs, root: str, folder: str) -> bool:
    """A local dataset folder must lie inside the inbox once links are resolved: a linked folder that
    leads elsewhere is never followed (remote filesystems have no links)."""
    from fsspec.implementations.local import LocalFileSystem

    if not isinstance(fs, LocalFileSystem):
        return True
    real_root, real = os.path.realpath(root), os.path.realpath(folder)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


REGION_FOLDER = re.compile(r"^\d{2}\.\d{2}$")  # a kabupaten/kota's own subfolder: its Kemendagri code


def find_region_files(inbox: str | Path, ds: Dataset, scope: tuple[str, ...] | None = None) -> list[tuple]:
    """(path, region) of the dataset's files by the catalog's patterns: region None for the dataset folder's own
    files, the subfolder's code for a kabupaten/kota's (only the regions in `scope`; None: any). Links are not
    followed: a linked file or folder is skipped and logged, and a dataset folder reached through a link that
    leads out of the inbox is refused."""
    fs, root = _fs(inbox)
    folder = f"{root.rstrip('/')}/{ds.opd}/{ds.name}"
    if not _inside_inbox(fs, root, folder):
        raise NoSourceFiles(f"{inbox_dir(inbox, ds)} mengarah ke luar inbox melalui tautan "
                            f"(ke {os.path.realpath(folder)}): tidak dibaca")
    files = [(p, None) for p in _matching(fs, ds, folder, root)]
    for sub in _region_folders(fs, ds, folder, root, scope):
        files += [(p, os.path.basename(sub)) for p in _matching(fs, ds, sub, root)]
    if not files:
        raise NoSourceFiles(f"tidak ada file yang cocok dengan {ds.sumber.pola_file} di {inbox_dir(inbox, ds)}")
    return files


def _entries(fs, folder: str) -> list[dict]:
    try:
        return sorted(fs.ls(folder, detail=True), key=lambda e: e["name"])
    except FileNotFoundError:
        return []


def _is_link(e: dict) -> bool:
    return bool(e.get("islink")) or (e.get("type") in ("file", "directory") and os.path.islink(e["name"]))


def _matching(fs, ds: Dataset, folder: str, root: str) -> list[str]:
    files = []
    for e in _entries(fs, folder):
        base = os.path.basename(e["name"])
        if _is_link(e):
            log.warning("%s: %s is a link, not a file: skipped (links in the inbox are never followed)",
                        ds.id, clean_text(e["name"]))  # its name may hold a NIK
            continue
        if (e.get("type") == "file" and not base.startswith(("~$", "."))
                and any(fnmatch.fnmatch(base.lower(), p.lower()) for p in ds.sumber.pola_file)):
            files.append(e["name"])
    return files


def _region_folders(fs, ds: Dataset, folder: str, root: str, scope) -> list[str]:
    """The dataset folder's subfolders named by a kabupaten/kota code in scope."""
    out = []
    for e in _entries(fs, folder):
        base = os.path.basename(e["name"].rstrip("/"))
        if e.get("type") != "directory" or not REGION_FOLDER.match(base) or _is_link(e):
            continue
        if scope is not None and base not in scope:
            log.warning("%s: folder %s belongs to a region outside WALIDATA_WILAYAH (%s): not read", ds.id,
                        clean_text(e["name"]), ", ".join(scope))
            continue
        out.append(e["name"])
    return out


def _sha256(fs, src: str) -> str:
    h = hashlib.sha256()
    with fs.open(src, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _copy(fs, src: str, raw_root: Path) -> tuple[str, str]:
    """Stream `src` into a temporary file of the raw zone while hashing, then hash the source again: a file
    replaced or rewritten while it was read gives two different hashes and is refused (no mixed content)."""
    h = hashlib.sha256()
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=raw_root)
    try:
        with os.fdopen(fd, "wb", buffering=0) as out, fs.open(src, "rb") as f:
            while chunk := f.read(CHUNK):
                h.update(chunk)
                with writing(Path(tmp)):
                    out.write(chunk)
        digest = h.hexdigest()
        if _sha256(fs, src) != digest:
            raise SourceChanged(f"{src}: file berubah selama dibaca (sha256-nya berbeda antara dua kali pembacaan); "
                                f"tidak diambil pada run ini, run berikutnya mengambilnya setelah file stabil")
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp, digest


def extract(ds: Dataset, inbox: str | Path, lake: Lake, skip_sha256: set[str] = frozenset(),
            scope: tuple[str, ...] | None = None) -> list[dict]:
    """Copy each source file into `raw/dataset=<id>/sha256=<hash>/<name>` once; return the new files' manifests.

    The raw zone is immutable and private (folders 0700, files 0600): a file already there (same content)
    keeps its first arrival time. A file of a region's subfolder carries that region (`wilayah`) in its
    manifest; it is skipped when its sha256 was published for that region (`skip_sha256.per_wilayah`).
    """
    fs, _ = _fs(inbox)
    manifests, skipped, vanished = [], [], []
    raw_root = lake.raw_dir(ds.id)
    with writing(raw_root):
        raw_root.mkdir(parents=True, exist_ok=True)
        private(lake.root / "raw", raw_root)
    for src, region in find_region_files(inbox, ds, scope):
        original = os.path.basename(src)
        # The name travels (XCom, audit, messages): NIKs masked, control characters shown, as for cell text.
        # Only the raw zone's own manifest keeps the name as it was.
        name = clean_text(original)
        try:
            tmp, digest = _copy(fs, src, raw_root)
        except FileNotFoundError:  # the OPD removed or renamed it after the listing: the next run sees what is there
            log.warning("%s: %s disappeared while the run was reading the inbox: not taken", ds.id, name)
            vanished.append(name)
            continue
        try:
            target_dir = raw_root / f"sha256={digest}"
            target, manifest_path = target_dir / name, target_dir / "_manifest.json"
            if manifest_path.exists() and target.exists():
                manifest = {k: v for k, v in read_json(manifest_path).items() if k != "nama_asli"}
            else:
                with writing(target):
                    target_dir.mkdir(parents=True, exist_ok=True)
                    os.replace(tmp, target)
                folder = f"{inbox_dir(inbox, ds)}/{region}" if region else inbox_dir(inbox, ds)
                manifest = {
                    "dataset": ds.id, "file": name, "source_path": f"{folder}/{name}",
                    "raw_path": str(target), "sha256": digest, "bytes": target.stat().st_size,
                    "arrived_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                }
                write_json(manifest_path, {**manifest, "nama_asli": original} if name != original else manifest)
                private(target_dir, target, manifest_path)
        finally:
            Path(tmp).unlink(missing_ok=True)
        manifest = {**manifest, "wilayah": region}  # whose file it is (None: the dataset folder's own)
        done = getattr(skip_sha256, "per_wilayah", {}).get(region, skip_sha256) if region else skip_sha256
        (skipped if digest in done else manifests).append(manifest)
    if not manifests:
        gone = f"; {len(vanished)} hilang selama dibaca ({', '.join(vanished)})" if vanished else ""
        raise NoSourceFiles(f"tidak ada file baru di {inbox_dir(inbox, ds)}: {len(skipped)} file sudah diterbitkan "
                            f"({', '.join(m['file'] for m in skipped)}){gone}")
    return manifests


def private(*paths: Path) -> None:
    """The raw zone keeps the OPDs' originals, personal data included: only the pipeline's user may read it."""
    for p in paths:
        os.chmod(p, 0o700 if p.is_dir() else 0o600)


def purge_raw(lake: Lake, dataset: str, days: int, keep: set[str]) -> list[Path]:
    """Retention: remove raw files that arrived more than `days` ago, except those in `keep` (the sha256 of
    the figures in force). Returns the folders removed."""
    import shutil

    cutoff = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    removed = []
    for manifest in sorted(lake.raw_dir(dataset).glob("sha256=*/_manifest.json")):
        m = read_json(manifest)
        if m["sha256"] in keep or dt.datetime.fromisoformat(m["arrived_at"]) >= cutoff:
            continue
        shutil.rmtree(manifest.parent)
        removed.append(manifest.parent)
    return removed
