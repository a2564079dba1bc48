"""CKAN portals (the Action API, `/api/3/action/…`): the open-data portals of Indonesian governments.

- The package is found with `package_show` (by name or id) or `package_search` (a query that must find exactly
  one); its resource by id or name. The resource's `metadata_modified` (else `last_modified`) is the version: the
  same as the figures in force' → nothing is fetched, where that version follows the data (an upload, a DataStore
  table loaded from one; not a DataStore-first table nor a file linked from elsewhere: those are always fetched,
  and content already published is recognised by its sha256).
- A DataStore resource is read with `datastore_search`, paged by offset until the total. A page that comes back
  empty or short before the total, the total changing mid-way, or the same page twice (a pagination loop) is
  refused naming the page.
- Types come from `fields`: a numeric field (int, numeric, float) given as text ("12.5", as CKAN sends numeric) is
  a number with a decimal point; a text field ("1.234,5", as many portals type everything) is left to the kolom's
  declared Indonesian or exported format. `_id` is CKAN's row number, not data.
- Per kabupaten/kota of the scope: `paket`, `cari`, `sumber_daya` and `filter` values may hold {wilayah} and
  {wilayah_bps} (a provincial portal with a package, or rows, per region); without them one item serves them all.
- A resource without the DataStore is the file behind its URL (csv/xlsx): fetched (credentials only to the
  portal's own host) and read by the spreadsheet reader.
"""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

from walidata.sources.api import ApiConnector, Pengambilan, TidakBerubah, Tujuan, isi, records_grid
from walidata.sources.klien import ApiError, Klien, Respons
from walidata.sources.spreadsheet import Sheet

log = logging.getLogger(__name__)

ACTION = "api/3/action/"
NUMERIC = ("int", "numeric", "float", "double", "decimal", "number")


def action(klien: Klien, name: str, params: dict, halaman: str) -> dict:
    """One Action API call; `success: false` is an error naming the call."""
    body = klien.ambil(ACTION + name, params, halaman=halaman).json()
    if not isinstance(body, dict) or body.get("success") is not True or not isinstance(body.get("result"), dict):
        err = body.get("error") if isinstance(body, dict) else None
        raise ApiError(klien.sumber, halaman, f"{name} gagal: {str(err or body)[:300]}")
    return body["result"]


def untuk_wilayah(src, tujuan: Tujuan | None, sumber: str = "ckan"):
    """The source with the region filled into `paket`, `cari`, `sumber_daya` and the `filter` values ({wilayah},
    {wilayah_bps}): one portal holding a package or rows per kabupaten/kota. Without them the request is the same
    for every region (one item, shared by the regions in scope)."""
    if tujuan is None:
        return src
    changes = {k: isi(getattr(src, k), tujuan, sumber, k) for k in ("paket", "cari", "sumber_daya")
               if getattr(src, k) is not None}
    changes["filter"] = {k: isi(v, tujuan, sumber, "filter") if isinstance(v, str) else v
                         for k, v in src.filter.items()}
    return src.model_copy(update=changes)


def find_resource(klien: Klien, src, tujuan: Tujuan | None = None) -> tuple[dict, dict]:
    """(package, resource) named by the catalog entry (for the region of `tujuan`)."""
    src = untuk_wilayah(src, tujuan, klien.sumber)
    if src.paket is not None:
        pkg = action(klien, "package_show", {"id": src.paket}, "package_show")
    else:
        found = action(klien, "package_search", {"q": src.cari, "rows": 2}, "package_search")
        results = found.get("results") or []
        if len(results) != 1:
            names = [r.get("name") for r in results]
            raise ApiError(klien.sumber, "package_search", f"pencarian {src.cari!r} menemukan {found.get('count')} "
                                                           f"paket {names}; harus tepat satu")
        pkg = results[0]
    want = src.sumber_daya.strip().lower()
    resources = pkg.get("resources") or []
    hits = [r for r in resources if want in (str(r.get("id")).lower(), str(r.get("name")).strip().lower())]
    if len(hits) != 1:
        why = "tidak ada" if not hits else "ganda"
        raise ApiError(klien.sumber, "package_show", f"sumber daya {src.sumber_daya!r} {why} di paket "
                                                     f"{pkg.get('name')!r} (ada: {[r.get('name') for r in resources]})")
    return pkg, hits[0]


class Ckan(ApiConnector):
    kind: ClassVar[str] = "ckan"

    def nama_sumber(self, ds, tujuan) -> str:
        s = untuk_wilayah(ds.sumber, tujuan, f"ckan {ds.sumber.koneksi}")
        per_region = any("{" in str(v) for v in ds.sumber.filter.values())  # rows of a region: named
        where = f" filter {json.dumps(s.filter, sort_keys=True)}" if per_region else ""
        return f"ckan {s.koneksi} paket {s.paket or s.cari!r} sumber daya {s.sumber_daya}{where}"

    def ambil(self, ds, tujuan, klien, sebelumnya) -> Pengambilan:
        pkg, res = find_resource(klien, ds.sumber, tujuan)
        got = Pengambilan(label=klien.sumber, penanda=res.get("metadata_modified") or res.get("last_modified")
                          or pkg.get("metadata_modified"))
        if sebelumnya and got.penanda and sebelumnya.get("penanda") == got.penanda:
            if not version_follows_data(res):
                log.info("%s: metadata_modified %s unchanged, but it does not follow this resource's data "
                         "(url_type %r): fetched anyway", klien.sumber, got.penanda, res.get("url_type"))
            else:
                raise TidakBerubah(f"{klien.sumber}: tidak berubah menurut portal (metadata_modified {got.penanda}) "
                                   f"sejak pengambilan {sebelumnya['arrived_at']} yang sudah diterbitkan")
        if res.get("datastore_active"):
            got.halaman = datastore_pages(klien, untuk_wilayah(ds.sumber, tujuan, klien.sumber), res["id"])
        else:
            got.halaman = [self._file(klien, res)]
        return got

    def _file(self, klien: Klien, res: dict) -> Respons:
        url = str(res.get("url") or "")
        if not url:
            raise ApiError(klien.sumber, "unduh", "sumber daya tanpa URL berkas dan tidak ada di DataStore")
        there = urlsplit(url)
        if there.scheme not in ("", "http", "https"):
            raise ApiError(klien.sumber, "unduh", f"URL berkas {url[:200]!r} bukan http(s)")
        own = klien.di_bawah(url)
        if own is not None:
            return klien.ambil(*own, halaman="unduh berkas")
        from walidata.sources.koneksi import Koneksi

        # another host (also '//host/…'): fetched without the portal's credentials, and only where the portal's
        # host or the catalog's host_diizinkan allow (never an internal address: Klien._tujuan_diizinkan)
        scheme = there.scheme or urlsplit(klien.kon.url).scheme
        with Klien(Koneksi(klien.kon.conn_id + "_berkas", f"{scheme}://{there.netloc}"), klien.sumber,
                   klien.batas, asal=klien.asal or klien.kon.url) as plain:
            return plain.ambil(*plain.di_bawah(url), halaman="unduh berkas")

    def lembar(self, ds, halaman: list[Respons], label: str) -> list[Sheet]:
        if halaman and halaman[0].halaman == "unduh berkas":
            return file_sheets(ds, halaman[0], label)
        fields, records = [], []
        for r in halaman:
            result = r.json()["result"]
            fields = fields or [f for f in result.get("fields") or [] if f.get("id") != "_id"]
            records += result.get("records") or []
        types = {f["id"]: str(f.get("type", "text")).lower() for f in fields}
        grid = records_grid(records, [f["id"] for f in fields] or None, label)
        numeric = [i for i, c in enumerate(grid[0]) if types.get(c, "text").startswith(NUMERIC)]
        for row in grid[1:]:
            for i in numeric:
                row[i] = _number(row[i])
        return [Sheet(name="datastore", grid=grid)]

    def kolom_sumber(self, ds, halaman, label) -> list[str]:
        if halaman and halaman[0].halaman == "unduh berkas":
            return super().kolom_sumber(ds, halaman, label)
        result = halaman[0].json()["result"] if halaman else {}
        return sorted(f["id"] for f in result.get("fields") or [] if f.get("id") != "_id")


def version_follows_data(res: dict) -> bool:
    """Whether the portal's metadata_modified/last_modified moves when the resource's data change: yes for an
    uploaded file and a DataStore table loaded from the resource's file; no for a DataStore-first table
    (url_type 'datastore': datastore_upsert/_delete change no resource metadata, ckan/ckan#8980) nor for a file
    linked from elsewhere (the portal does not see it change)."""
    if res.get("url_type") == "datastore":
        return False
    return bool(res.get("datastore_active")) or res.get("url_type") == "upload"


def _number(v):
    """A value of a numeric-typed field: a number, with '.' as the decimal point whatever its JSON type."""
    if isinstance(v, str) and v.strip():
        try:
            return float(v)
        except ValueError:
            return v  # left for the reader to report
    return v


def datastore_pages(klien: Klien, src, resource_id: str) -> list[Respons]:
    """Every page of datastore_search, by offset until the total."""
    pages, offset, total, previous = [], 0, None, None
    while total is None or offset < total:
        n = len(pages) + 1
        if n > src.batas_halaman:
            raise ApiError(klien.sumber, f"halaman {n} (offset {offset})",
                           f"lebih dari {src.batas_halaman} halaman (batas_halaman); total {total} rekaman")
        params = {"resource_id": resource_id, "limit": src.per_halaman, "offset": offset, "include_total": "true",
                  "sort": "_id"}  # a stable order across pages (CKAN gives none by default)
        if src.filter:
            params["filters"] = json.dumps(src.filter, sort_keys=True)
        r = klien.ambil(ACTION + "datastore_search", params, halaman=f"halaman {n} (offset {offset})")
        body = r.json()
        result = body.get("result") if isinstance(body, dict) and body.get("success") is True else None
        if not isinstance(result, dict) or not isinstance(result.get("records"), list):
            raise ApiError(klien.sumber, r.halaman, f"datastore_search gagal: {str(body)[:300]}")
        got, now = result["records"], result.get("total")
        if now is None:
            raise ApiError(klien.sumber, r.halaman, "respons tanpa 'total': tidak dapat memastikan semua rekaman "
                                                    "terambil")
        if not isinstance(now, int) or isinstance(now, bool) or now < 0:  # JSON true is a bool, not the count 1
            raise ApiError(klien.sumber, r.halaman, f"'total' {json.dumps(now)[:50]} bukan bilangan bulat tak "
                                                    f"negatif: tidak dapat memastikan semua rekaman terambil")
        if len(got) > src.per_halaman or offset + len(got) > now:
            raise ApiError(klien.sumber, r.halaman, f"{len(got)} rekaman pada offset {offset}: lebih dari total "
                                                    f"{now} atau dari limit {src.per_halaman} yang diminta; "
                                                    f"rekaman di luar total tidak diterima")
        if total is not None and now != total:
            raise ApiError(klien.sumber, r.halaman, f"total berubah dari {total} menjadi {now} selama pengambilan: "
                                                    f"data sedang diperbarui di portal, coba lagi nanti")
        total = now
        if offset < total and (not got or (len(got) < src.per_halaman and offset + len(got) < total)):
            raise ApiError(klien.sumber, r.halaman, f"halaman terpotong: {len(got)} rekaman pada offset {offset}, "
                                                    f"padahal total {total}")
        if previous is not None and got and got == previous:
            raise ApiError(klien.sumber, r.halaman, f"paginasi berulang: halaman pada offset {offset} sama dengan "
                                                    f"halaman sebelumnya")
        previous = got
        pages.append(r)
        offset += len(got)
        if total == 0:
            break
    return pages


def file_sheets(ds, r: Respons, label: str) -> list[Sheet]:
    """A resource's file (csv/xlsx/…) through the spreadsheet reader, with the dataset's table rules."""
    from walidata.catalog import SpreadsheetSource, _TableRules
    from walidata.sources.spreadsheet import read_sheets

    src = ds.sumber
    rules = {k: getattr(src, k) for k in _TableRules.model_fields}
    sheet_src = SpreadsheetSource(kind="spreadsheet", pola_file=src.pola_file, csv_pemisah=src.csv_pemisah,
                                  csv_encoding=src.csv_encoding, batas_ukuran_mb=src.batas_ukuran_mb, **rules)
    as_file = ds.model_copy(update={"sumber": sheet_src})
    name = Path(urlsplit(r.permintaan["url"]).path).name or "berkas"
    with tempfile.TemporaryDirectory(prefix="walidata-ckan-") as d:
        path = Path(d) / name
        path.write_bytes(r.body)
        return read_sheets(path, label, as_file)
