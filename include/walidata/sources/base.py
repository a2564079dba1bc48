"""The source interface: what every kind of source gives the rest of the pipeline.

A dataset's catalog entry names its source kind (`sumber.kind`); the connector of that kind does two things:

- `fetch`: take what is new from the source into the lake's raw zone, immutable, and return one manifest per
  item (`file`, `raw_path`, `sha256`, `bytes`, `arrived_at`, …). Items whose sha256 is in `skip_sha256` were
  published already and are not returned. Nothing new: `NoSourceFiles`.
- `tables`: read one raw item into located `Table`s (header found, value columns mapped, data rows marked, every
  cell already cleaned of NIKs and control characters). A raw item that cannot be read as declared raises
  `SourceError` naming the item, sheet, row and column.

Standardise only ever sees `Table`s, so a new kind of source is a new connector, registered here, with no change
after it: the BPS WebAPI, CKAN portals and OPD REST services share `sources.api.ApiConnector`. Every connector
passes the same contract test (tests/test_sources.py).
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from walidata.catalog import Dataset
    from walidata.publish.lake import Lake
    from walidata.sources.table import Table

# source kind (catalog `sumber.kind`) → "module:class" of its connector, imported when first used
CONNECTORS = {
    "spreadsheet": "walidata.sources.files:InboxFiles",
    "bps_webapi": "walidata.sources.bps:BpsWebApi",
    "ckan": "walidata.sources.ckan:Ckan",
    "rest": "walidata.sources.rest:Rest",
}
MANIFEST_KEYS = ("dataset", "file", "raw_path", "sha256", "bytes", "arrived_at")


class Terbit(frozenset):
    """The sha256 already published (`skip_sha256`): for a shared item, published for every region in scope; for a
    region's own item (`per_wilayah`), published for that region. `lingkup`: the kabupaten/kota in scope."""

    per_wilayah: dict[str, frozenset[str]]
    lingkup: tuple[str, ...] | None

    @classmethod
    def dari(cls, per_wilayah: dict[str, set[str]]) -> Terbit:
        sets = [frozenset(v) for v in per_wilayah.values()]
        out = cls(frozenset.intersection(*sets) if sets else frozenset())
        out.per_wilayah = {k: frozenset(v) for k, v in per_wilayah.items()}
        out.lingkup = tuple(per_wilayah)
        return out


class Connector(ABC):
    kind: ClassVar[str]

    def location(self, settings):
        """Where this kind reads in a run of these settings (the inbox; for APIs the region and connection)."""
        return settings.inbox_location

    @abstractmethod
    def fetch(self, ds: Dataset, location: str | Path, lake: Lake, skip_sha256: set[str] = frozenset()) -> list[dict]:
        """New items of the dataset into the raw zone; their manifests."""

    @abstractmethod
    def tables(self, ds: Dataset, raw_path: Path, label: str, nik_prefixes: frozenset[str] | None = None,
               ) -> list[Table]:
        """One raw item as located tables; `label` is the name problems give it."""


def connector_for(ds: Dataset) -> Connector:
    """The connector of the dataset's source kind."""
    kind = ds.sumber.kind
    if kind not in CONNECTORS:
        raise LookupError(f"{ds.id}: no connector for source kind {kind!r} (known: {', '.join(CONNECTORS)})")
    module, name = CONNECTORS[kind].split(":")
    cls = getattr(importlib.import_module(module), name)
    if cls.kind != kind:
        raise LookupError(f"{CONNECTORS[kind]} implements {cls.kind!r}, not {kind!r}")
    return cls()
