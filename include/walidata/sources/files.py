"""The connector of OPD files (xlsx, xls, ods, csv, HTML tables) dropped in `<inbox>/<opd>/<dataset>/`."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from walidata.sources.base import Connector


class InboxFiles(Connector):
    """Files in the inbox (local folder or fsspec URL): copied into the raw zone by `inbox.extract`, read by
    `table.read_tables`."""

    kind: ClassVar[str] = "spreadsheet"

    def fetch(self, ds, location, lake, skip_sha256=frozenset()) -> list[dict]:
        from walidata.sources.inbox import extract

        return extract(ds, location, lake, skip_sha256=skip_sha256, scope=getattr(skip_sha256, "lingkup", None))

    def tables(self, ds, raw_path: Path, label: str, nik_prefixes=None) -> list:
        from walidata.sources.table import read_tables

        return read_tables(Path(raw_path), ds, label, nik_prefixes)
