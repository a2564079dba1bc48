"""What every API source (BPS WebAPI, CKAN, REST) does the same way, after the Meltano SDK's one base class
per source kind: fetch pages into one raw item, skip what the source says has not changed, report schema drift,
replay from the raw zone, and give standardise one located table built from the records.

The raw item of a fetch is a zip (deflate, fixed timestamps: the same responses give the same bytes and the same
sha256) holding each response body byte for byte (`halaman_0001.<ext>`, …) and `permintaan.json`: each request
as made, secrets replaced by `***`, with status and caching headers. `tables` reads only that item: a run can be
replayed from it without calling the API (`walidata run --replay`).

A connector implements `ambil` (the requests: pages, paging, the "unchanged" test) and `lembar` (the pages →
sheets whose first row names the fields); `kolom_sumber` gives the field names that schema drift compares.

Every kabupaten/kota in scope (WALIDATA_WILAYAH: one, a province, a list) is a target of its own (`Tujuan.sasaran`):
`fetch` asks the source once per distinct request (`nama_sumber`: the BPS domain, the REST URL, the CKAN package,
filled with `{wilayah}`/`{wilayah_bps}`) and each manifest names the region it was fetched for (`wilayah`; None for
one item shared by several regions: a request that does not depend on the region, read in every region's pass).
A region whose fetch fails does not stop the others: they are all fetched (into the raw zone), then the failures
are raised together (`WilayahGagalDiambil`, carrying the manifests fetched, `.manifests`, and the failures by
region, `.gagal`), so the run never publishes a scope with a region silently missing.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import zipfile
from abc import abstractmethod
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from walidata.sources.base import Connector
from walidata.sources.inbox import NoSourceFiles, private
from walidata.sources.klien import ApiError, ApiTidakTersedia, Batas, Klien, Respons
from walidata.sources.spreadsheet import Sheet, SourceError

if TYPE_CHECKING:
    from walidata.catalog import Dataset
    from walidata.publish.lake import Lake
    from walidata.sources.koneksi import Koneksi

log = logging.getLogger(__name__)

ZIP_TIME = (1980, 1, 1, 0, 0, 0)
RAW_NAME = "respons.zip"
REQUESTS = "permintaan.json"


@dataclass
class Tujuan:
    """Where an API source reads in this run: the region being run (its BPS code from the crosswalk) and the
    connection; `replay`: from the raw zone only, the API is not called. A scope of several kabupaten/kota holds one
    Tujuan per kabupaten/kota in `sasaran` (its own `wilayah` is then the scope, e.g. '62' or '62.01,62.06')."""

    wilayah: str
    kode_bps: str | None
    koneksi: Koneksi | None = None
    replay: bool = False
    sasaran: tuple[Tujuan, ...] = ()

    def per_wilayah(self) -> list[Tujuan]:
        """One target per kabupaten/kota, with this one's connection and replay."""
        return [replace(t, koneksi=t.koneksi or self.koneksi, replay=self.replay) for t in self.sasaran] or [self]


def isi(template: str, tujuan: Tujuan, sumber: str, apa: str) -> str:
    """A catalog value with the region filled in: {wilayah} (Kemendagri code), {wilayah_bps} (BPS code)."""
    if "{" not in template:
        return template
    try:
        return template.format(wilayah=tujuan.wilayah, wilayah_bps=tujuan.kode_bps or "")
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        raise ApiError(sumber, apa, f"templat {template!r} tidak dapat diisi ({exc}); yang tersedia: {{wilayah}}, "
                                    f"{{wilayah_bps}}") from None


class WilayahGagalDiambil(ApiError):
    """The fetch failed for some kabupaten/kota of the scope; the others were fetched (`manifests`)."""

    def __init__(self, ds_id: str, manifests: list[dict], gagal: dict[str, Exception]):
        rows = "; ".join(f"{k}: {exc}" for k, exc in gagal.items())
        super().__init__(ds_id, "wilayah", f"pengambilan gagal untuk {len(gagal)} wilayah ({rows}); "
                                           f"{len(manifests)} item wilayah lain sudah diambil ke zona mentah")
        self.manifests, self.gagal = manifests, gagal


class WilayahTidakTersedia(ApiTidakTersedia):
    """As WilayahGagalDiambil, when every failure was the service not answering (the task's retries try again)."""

    def __init__(self, ds_id: str, manifests: list[dict], gagal: dict[str, Exception]):
        rows = "; ".join(f"{k}: {exc}" for k, exc in gagal.items())
        super().__init__(f"{ds_id}: layanan tidak menjawab untuk {len(gagal)} wilayah ({rows}); {len(manifests)} "
                         f"item wilayah lain sudah diambil ke zona mentah")
        self.manifests, self.gagal = manifests, gagal


@dataclass
class Pengambilan:
    """One fetch: its responses, in order, and what the source says about its version (`penanda`)."""

    halaman: list[Respons] = field(default_factory=list)
    penanda: str | None = None  # BPS last_update, CKAN metadata_modified, an ETag/Last-Modified
    label: str = ""  # how problems name this item (sumber_file)


class TidakBerubah(NoSourceFiles):
    """The source says nothing changed since the figures in force were fetched."""


def _suffix(r: Respons) -> str:
    kind = r.headers.get("content-type", "")
    return "json" if "json" in kind or r.body[:1] in (b"{", b"[") else "html" if "html" in kind else "bin"


def write_item(halaman: list[Respons]) -> bytes:
    """The responses as one deterministic zip."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        meta = []
        for i, r in enumerate(halaman, 1):
            name = f"halaman_{i:04d}.{_suffix(r)}"
            z.writestr(zipfile.ZipInfo(name, ZIP_TIME), r.body, zipfile.ZIP_DEFLATED, 1)
            meta.append({"berkas": name, "halaman": r.halaman, **r.permintaan, "status": r.status,
                         "header": r.headers})
        z.writestr(zipfile.ZipInfo(REQUESTS, ZIP_TIME), json.dumps(meta, ensure_ascii=False, indent=1),
                   zipfile.ZIP_DEFLATED, 1)
    return buf.getvalue()


def read_item(path: Path, sumber: str) -> list[Respons]:
    """The responses of a raw item, as they were received."""
    try:
        with zipfile.ZipFile(path) as z:
            meta = json.loads(z.read(REQUESTS))
            return [Respons(m["status"], z.read(m["berkas"]), m.get("header", {}),
                            {k: m[k] for k in ("metode", "url", "params")}, sumber, m["halaman"]) for m in meta]
    except (zipfile.BadZipFile, KeyError, json.JSONDecodeError) as exc:
        raise SourceError(sumber, f"item mentah {Path(path).name} rusak ({type(exc).__name__}: {exc})") from None


def manifests(ds: Dataset, lake: Lake) -> list[dict]:
    """Every raw item's manifest of the dataset."""
    from walidata.publish.lake import read_json

    return [read_json(p) for p in lake.raw_dir(ds.id).glob("sha256=*/_manifest.json")]


def published_manifest(ds: Dataset, lake: Lake, skip_sha256, wilayah: object = ..., lama: bool = True) -> dict | None:
    """The newest raw manifest of the dataset whose item was published (the figures in force came from it); of
    the region `wilayah` when given (None: an item shared by the scope's regions; see `_of_region` for `lama`)."""
    found = [m for m in _of_region(manifests(ds, lake), wilayah, lama) if m["sha256"] in skip_sha256]
    return max(found, key=lambda m: m["arrived_at"], default=None)


def latest_manifest(ds: Dataset, lake: Lake, wilayah: object = ..., lama: bool = True) -> dict:
    found = _of_region(manifests(ds, lake), wilayah, lama)
    if not found:
        where = f" untuk wilayah {wilayah}" if isinstance(wilayah, str) else ""
        raise NoSourceFiles(f"{ds.id}: --replay: belum ada respons tersimpan{where} di {lake.raw_dir(ds.id)}")
    return max(found, key=lambda m: m["arrived_at"])


def _of_region(found: list[dict], wilayah: object, lama: bool) -> list[dict]:
    """The manifests of one region (`...`: all). An item stored before manifests named their region was fetched
    by a single-region deployment: it counts in a run asking one thing (`lama`), never as one region's of many."""
    if wilayah is ...:
        return found
    return [m for m in found if ("wilayah" not in m and lama) or m.get("wilayah", ...) == wilayah]


def drift(before: list[str] | None, now: list[str]) -> dict | None:
    """Fields new and gone since the previous fetch (None when there is no previous one or nothing moved), named as
    they may be shown: a field named by a NIK (a REST key, in any spelling) masked, control characters escaped."""
    from walidata.sources.privacy import clean_text

    if before is None:
        return None
    new, gone = sorted(set(now) - set(before)), sorted(set(before) - set(now))
    return {"baru": [clean_text(f) for f in new], "hilang": [clean_text(f) for f in gone]} if new or gone else None


class ApiConnector(Connector):
    """The base of every API source kind."""

    def location(self, settings) -> Tujuan:
        """The kabupaten/kota in scope, each with its BPS code (crosswalk): one Tujuan, or one holding them all."""
        from walidata.standardise.reference import kabkota

        daftar = kabkota(settings.reference)
        codes = tuple(getattr(settings, "daftar_kabkota", ()) or (settings.wilayah,))
        targets = tuple(Tujuan(k, daftar[k].kode_bps) for k in codes)
        return targets[0] if len(targets) == 1 else Tujuan(settings.wilayah, None, sasaran=targets)

    def klien(self, ds: Dataset, tujuan: Tujuan) -> Klien:
        from walidata.sources.koneksi import koneksi

        kon = tujuan.koneksi or koneksi(ds.sumber.koneksi)
        return Klien(kon, self.nama_sumber(ds, tujuan), Batas.dari(ds.sumber))

    @abstractmethod
    def nama_sumber(self, ds: Dataset, tujuan: Tujuan) -> str:
        """How messages name the source: kind, connection and what is asked (never a secret)."""

    @abstractmethod
    def ambil(self, ds: Dataset, tujuan: Tujuan, klien: Klien, sebelumnya: dict | None) -> Pengambilan:
        """Every page of the source; raise TidakBerubah when the source says nothing changed since
        `sebelumnya` (the manifest of the item behind the figures in force)."""

    @abstractmethod
    def lembar(self, ds: Dataset, halaman: list[Respons], label: str) -> list[Sheet]:
        """The responses as sheets whose header row names the fields."""

    def kolom_sumber(self, ds: Dataset, halaman: list[Respons], label: str) -> list[str]:
        """The source's field names, for schema drift: the first row of each sheet."""
        return sorted({str(v) for s in self.lembar(ds, halaman, label) for v in (s.grid[0] if s.grid else [])
                       if v not in ("", None)})

    def fetch(self, ds, location, lake, skip_sha256=frozenset()) -> list[dict]:
        """One item per distinct request of the targets (see the module's doc); raises NoSourceFiles when nothing
        is new for any region, and after all of them are fetched, the regions whose fetch failed."""
        groups = self.kelompok(ds, location)
        if len(groups) == 1:
            return [self._fetch_one(ds, *groups[0], lake, skip_sha256, lama=True)]
        got, same, gagal = [], [], {}
        for tujuan, kodes in groups:
            try:
                got.append(self._fetch_one(ds, tujuan, kodes, lake, skip_sha256))
            except NoSourceFiles as exc:
                same.append(exc)
            except Exception as exc:  # noqa: BLE001 (every kind: raised below, after the other regions' fetches)
                log.error("%s: fetch for %s failed, the other regions are still fetched: %s", ds.id,
                          ", ".join(kodes), exc)
                gagal[", ".join(kodes)] = exc
        if gagal and not got and len({(type(e), str(e)) for e in gagal.values()}) == 1:
            raise next(iter(gagal.values()))  # the same for every region (a connection not set): said once
        if gagal:
            transient = all(isinstance(e, ApiTidakTersedia) for e in gagal.values())
            raise (WilayahTidakTersedia if transient else WilayahGagalDiambil)(ds.id, got, gagal)
        if not got:
            kind = TidakBerubah if all(isinstance(e, TidakBerubah) for e in same) else NoSourceFiles
            raise kind(f"{ds.id}: tidak ada yang baru untuk {len(same)} permintaan: " + "; ".join(map(str, same)))
        return got

    def kelompok(self, ds: Dataset, location: Tujuan) -> list[tuple[Tujuan, tuple[str, ...]]]:
        """The targets grouped by what is asked (the same request for several regions is made once)."""
        groups: dict[str, list[Tujuan]] = {}
        for t in location.per_wilayah():
            try:
                key = self.nama_sumber(ds, t)
            except ApiError:  # fails again, naming the region, when fetched
                key = f"wilayah {t.wilayah}"
            groups.setdefault(key, []).append(t)
        return [(ts[0], tuple(t.wilayah for t in ts)) for ts in groups.values()]

    def _fetch_one(self, ds, tujuan: Tujuan, kodes: tuple[str, ...], lake, skip_sha256, lama: bool = False) -> dict:
        """The item of one request, for the region `kodes` names (several: an item shared by them); `lama`: the
        run's only request, for which items stored before manifests named their region count."""
        wilayah = kodes[0] if len(kodes) == 1 else None
        done = getattr(skip_sha256, "per_wilayah", {}).get(wilayah, skip_sha256) if wilayah else skip_sha256
        if tujuan.replay:
            m = latest_manifest(ds, lake, wilayah, lama)
            log.info("%s: replay of %s (fetched %s): the API is not called", ds.id, m["raw_path"], m["arrived_at"])
            return {**m, "wilayah": wilayah}
        sebelumnya = published_manifest(ds, lake, done, wilayah, lama)
        with self.klien(ds, tujuan) as k:
            got = self.ambil(ds, tujuan, k, sebelumnya)
        return self._store(ds, lake, got, sebelumnya, done, wilayah)

    def _store(self, ds: Dataset, lake: Lake, got: Pengambilan, sebelumnya: dict | None, skip_sha256,
               wilayah: str | None = None) -> dict:
        import hashlib

        from walidata.publish.lake import read_json, write_json, writing

        fields = self.kolom_sumber(ds, got.halaman, got.label)
        moved = drift(sebelumnya.get("kolom_sumber") if sebelumnya else None, fields)
        if moved:
            text = (f"skema sumber berubah sejak pengambilan {sebelumnya['arrived_at']}: kolom baru "
                    f"{moved['baru'] or '-'}, kolom hilang {moved['hilang'] or '-'}")
            if ds.sumber.perubahan_skema == "gagal":
                raise ApiError(got.label, "skema", f"{text} (perubahan_skema: gagal); periksa lalu sesuaikan katalog")
            log.warning("%s: %s (perubahan_skema: peringatan)", ds.id, text)
        data = write_item(got.halaman)
        digest = hashlib.sha256(data).hexdigest()
        folder = lake.raw_dir(ds.id) / f"sha256={digest}"
        target, manifest_path = folder / RAW_NAME, folder / "_manifest.json"
        if manifest_path.exists() and target.exists():
            manifest = read_json(manifest_path)
        else:
            with writing(target):
                folder.mkdir(parents=True, exist_ok=True)
                private(lake.root / "raw", lake.raw_dir(ds.id), folder)
                tmp = folder / f".tmp-{os.getpid()}"
                tmp.write_bytes(data)
                os.replace(tmp, target)
            manifest = {"dataset": ds.id, "file": got.label, "raw_path": str(target), "sha256": digest,
                        "bytes": len(data), "arrived_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                        "sumber": ds.sumber.kind, "halaman": len(got.halaman), "penanda": got.penanda,
                        "kolom_sumber": fields, "perubahan_skema": moved, "wilayah": wilayah}
            write_json(manifest_path, manifest)
            private(target, manifest_path)
        manifest = {**manifest, "wilayah": wilayah}  # the same bytes fetched for another region are its item too
        if digest in skip_sha256:
            raise NoSourceFiles(f"{got.label}: isi sama dengan yang sudah diterbitkan (sha256 {digest[:12]}…)")
        return manifest

    def tables(self, ds, raw_path, label, nik_prefixes=None) -> list:
        from walidata.sources import privacy
        from walidata.sources.table import tables_of_sheets

        prefixes = nik_prefixes if nik_prefixes is not None else privacy.nik_prefixes()
        halaman = read_item(Path(raw_path), label)
        return tables_of_sheets(self.lembar(ds, halaman, label), ds, label, prefixes)


def path_get(obj, path: str, default=None):
    """A value at a dotted path ('result.records', 'meta.next'); list items by index ('items.0.id')."""
    if not path:
        return obj
    for part in path.split("."):
        if isinstance(obj, dict) and part in obj:
            obj = obj[part]
        elif isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        else:
            return default
    return obj


def records_grid(records: list[dict], columns: list[str] | None = None, label: str = "rekaman") -> list[list]:
    """Records (dicts) as a grid: the header row (field names, in first-seen order), then one row per record;
    a field a record lacks is an empty cell, nested values are kept as JSON text. Within a sheet's limits
    (spreadsheet.MAX_COLUMNS, MAX_CELLS), checked before the grid is built: records each with other field names
    would otherwise make a grid of records × every name."""
    from walidata.sources.spreadsheet import MAX_CELLS, MAX_COLUMNS

    if columns is None:
        columns = list(dict.fromkeys(k for r in records for k in r))
    if len(columns) > MAX_COLUMNS or len(columns) * len(records) > MAX_CELLS:
        raise ApiError(label, "rekaman", f"{len(records):,} rekaman dengan {len(columns):,} nama kolom berbeda "
                                         f"melewati batas {MAX_COLUMNS:,} kolom atau {MAX_CELLS:,} sel; tidak dibaca")
    rows = [columns]
    for r in records:
        rows.append([v if v.__class__ in _PLAIN else _cell(v) for v in map(r.get, columns)])
    return rows


_PLAIN = frozenset({str, int, float})  # bool and None are other classes: they go through _cell


def _cell(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, dict | list):
        return json.dumps(v, ensure_ascii=False)
    return v
