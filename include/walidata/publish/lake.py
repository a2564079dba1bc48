"""The Parquet lake: raw (immutable source files), staging, karantina (rejected records) and clean (published) zones.

How the clean zone is published and recovered after a crash (the journal in the warehouse): `publish.journal`."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path


def safe(part: str) -> str:
    """A run id or period as a path component (Airflow run ids carry ':' and '+')."""
    return re.sub(r"[^A-Za-z0-9_.=-]+", "_", str(part))


class Lake:
    def __init__(self, root: Path):
        self.root = Path(root)

    def raw_dir(self, dataset: str) -> Path:
        return self.root / "raw" / f"dataset={dataset}"

    def staging_dir(self, dataset: str, run_id: str) -> Path:
        return self.root / "staging" / f"dataset={dataset}" / f"run={safe(run_id)}"

    def karantina_dir(self, dataset: str, run_id: str) -> Path:
        return self.root / "karantina" / f"dataset={dataset}" / f"run={safe(run_id)}"

    def clean_dataset_dir(self, dataset: str) -> Path:
        return self.root / "clean" / f"dataset={dataset}"

    def clean_partition(self, dataset: str, wilayah: str, periode: str) -> Path:
        """One publish unit: a kabupaten/kota (or province) and a period, so regions never replace each other."""
        return self.clean_dataset_dir(dataset) / f"wilayah={safe(wilayah)}" / f"periode={safe(periode)}"

    def legacy_partitions(self, dataset: str) -> list[Path]:
        """Partitions of the layout before the publish unit had a region (`dataset=<id>/periode=<p>/`)."""
        folder = self.clean_dataset_dir(dataset)
        return sorted(p for p in folder.glob("periode=*") if p.is_dir()) if folder.is_dir() else []

    def lock_path(self, dataset: str) -> Path:
        return self.root / "locks" / f"dataset={dataset}.lock"


class WriteFailed(OSError):
    """A file could not be written (disk full, quota, permissions): names the path; nothing half-written stays."""

    def __init__(self, path: Path, exc: BaseException):
        self.path = Path(path)
        self.cause = exc
        reason = os.strerror(exc.errno) if isinstance(exc, OSError) and exc.errno else str(exc)
        super().__init__(getattr(exc, "errno", None), f"cannot write {path}: {reason}")


@contextmanager
def writing(path: Path):
    """Around a write of `path`: any failure becomes WriteFailed naming the path."""
    try:
        yield
    except WriteFailed:
        raise
    except OSError as exc:  # pyarrow's IO errors are OSError too
        raise WriteFailed(path, exc) from exc


def write_json(path: Path, obj) -> Path:
    """Write atomically: a temporary file, then rename; a failed write leaves neither a partial file nor a .tmp."""
    tmp = path.with_name(path.name + ".tmp")
    with writing(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            tmp.write_text(json.dumps(obj, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    return path


def read_json(path: Path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _write_tmp(table, folder: Path) -> Path:
    """A Parquet file under a temporary name in `folder` (same filesystem, so a rename is atomic)."""
    import pyarrow.parquet as pq

    with writing(folder):
        folder.mkdir(parents=True, exist_ok=True)
        # Hidden and not `*.parquet`: no reader's glob (`**/*.parquet`) ever takes a half-written or orphaned file.
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".parquet.staged", dir=folder)
        os.close(fd)
        try:
            pq.write_table(table, tmp)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return Path(tmp)


def write_parquet(table, path: Path) -> Path:
    """Write atomically: a temporary file in the same folder, then rename over the target."""
    tmp = _write_tmp(table, path.parent)
    with writing(path):
        os.replace(tmp, path)
    return path


def remove_partitions(folders: list[Path]) -> None:
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
