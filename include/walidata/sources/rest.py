"""An OPD application's REST/JSON service, declared entirely in the catalog: a URL template under the
connection's base URL, the auth the connection says (API key in a header or parameter, bearer, basic), the
pagination (page number, offset, cursor or Link header), the dotted path to the records and a field mapping.

Pages end when a page is empty or shorter than the page size (nomor/offset), when there is no next cursor or
Link, or at the total the service states (`total_path`). The same page twice (same records, same cursor) is a
pagination loop and is refused; so is a run past `batas_halaman`. A response that is not a list where the
records should be is an error naming the page. With `If-None-Match`/`If-Modified-Since` from the figures in
force' fetch, a 304 on the first page means nothing changed.
"""

from __future__ import annotations

import json
import re
from typing import ClassVar
from urllib.parse import urlsplit

from walidata.sources.api import ApiConnector, Pengambilan, TidakBerubah, path_get, records_grid
from walidata.sources.klien import ApiError, Klien, Respons
from walidata.sources.spreadsheet import Sheet

NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?', re.IGNORECASE)


def url_of(ds, tujuan) -> str:
    try:
        return ds.sumber.url.format(wilayah=tujuan.wilayah, wilayah_bps=tujuan.kode_bps or "")
    except (KeyError, IndexError, ValueError, AttributeError) as exc:
        raise ApiError(f"rest {ds.sumber.koneksi}", "url",
                       f"templat url {ds.sumber.url!r} tidak dapat diisi ({exc}); yang tersedia: {{wilayah}}, "
                       f"{{wilayah_bps}}") from None


def records_of(r: Respons, path: str) -> list:
    got = path_get(r.json(), path)
    if not isinstance(got, list):
        raise ApiError(r.sumber, r.halaman, f"tidak ada daftar rekaman di '{path or '(akar)'}' "
                                            f"(yang ada: {type(got).__name__})")
    return got


class Rest(ApiConnector):
    kind: ClassVar[str] = "rest"

    def nama_sumber(self, ds, tujuan) -> str:
        return f"rest {ds.sumber.koneksi} {url_of(ds, tujuan)}"

    def ambil(self, ds, tujuan, klien, sebelumnya) -> Pengambilan:
        src, hp = ds.sumber, ds.sumber.halaman
        got = Pengambilan(label=klien.sumber)
        path, params = url_of(ds, tujuan), dict(src.parameter)
        conditional = _conditional(sebelumnya)
        seen, n, cursor, fetched = set(), 0, None, 0
        while True:
            n += 1
            if n > src.batas_halaman:
                raise ApiError(klien.sumber, f"halaman {n}", f"lebih dari {src.batas_halaman} halaman (batas_halaman)")
            here = {**params, **_page_params(hp, n, fetched, cursor)}
            r = klien.ambil(path, here, halaman=f"halaman {n}", headers=conditional if n == 1 else None)
            if r.status == 304:
                if not conditional or n > 1:
                    raise ApiError(klien.sumber, r.halaman, "HTTP 304 untuk permintaan tanpa syarat")
                raise TidakBerubah(f"{klien.sumber}: tidak berubah (HTTP 304) sejak pengambilan "
                                   f"{sebelumnya['arrived_at']} yang sudah diterbitkan")
            records = records_of(r, src.rekaman)
            # the same records again (whatever the envelope around them says), or the same empty page
            mark = (json.dumps(records, sort_keys=True) if records else r.body, cursor)
            if mark in seen:
                raise ApiError(klien.sumber, r.halaman, "paginasi berulang: halaman yang sama dikirim lagi")
            seen.add(mark)
            got.halaman.append(r)
            fetched += len(records)
            nxt = _next(hp, r, records, fetched, klien)
            if nxt is None:
                break
            if hp.jenis == "link":
                path, params = nxt
            cursor = nxt if hp.jenis == "kursor" else cursor
        first = got.halaman[0].headers
        got.penanda = first.get("etag") or first.get("last-modified")
        return got

    def lembar(self, ds, halaman: list[Respons], label: str) -> list[Sheet]:
        src = ds.sumber
        records = _objects(halaman, src.rekaman, label)
        if src.pemetaan:
            records = [{label_: path_get(rec, p) for p, label_ in src.pemetaan.items()} for rec in records]
            return [Sheet(name="rekaman", grid=records_grid(records, list(src.pemetaan.values()), label))]
        return [Sheet(name="rekaman", grid=records_grid(records, label=label))]

    def kolom_sumber(self, ds, halaman: list[Respons], label: str) -> list[str]:
        """The records' own fields, and with `pemetaan` the mapped paths they hold (the mapped labels never
        change, so a field renamed at the source would go unnoticed)."""
        records = _objects(halaman, ds.sumber.rekaman, label)
        mapped = {p for p in ds.sumber.pemetaan if any(path_get(rec, p) is not None for rec in records)}
        return sorted({str(k) for rec in records for k in rec} | mapped)


def _objects(halaman: list[Respons], path: str, label: str) -> list[dict]:
    records = [rec for r in halaman for rec in records_of(r, path)]
    for i, rec in enumerate(records):
        if not isinstance(rec, dict):
            raise ApiError(label, f"rekaman {i + 1}", f"rekaman bukan objek JSON: {str(rec)[:100]}")
    return records


def _conditional(sebelumnya: dict | None) -> dict | None:
    if not sebelumnya or not sebelumnya.get("penanda"):
        return None
    p = sebelumnya["penanda"]
    return {"If-None-Match": p} if p.startswith(('"', "W/")) else {"If-Modified-Since": p}


def _page_params(hp, n: int, fetched: int, cursor) -> dict:
    size = {hp.ukuran_param: hp.ukuran} if hp.ukuran_param else {}
    if hp.jenis == "nomor":
        return {hp.param: hp.mulai + n - 1, **size}
    if hp.jenis == "offset":
        return {hp.param: fetched, **size}
    if hp.jenis == "kursor" and cursor is not None:
        return {hp.param: cursor, **size}
    return size


def _next(hp, r: Respons, records: list, fetched: int, klien: Klien):
    """What the next request needs (True for nomor/offset, the cursor, the Link's (path, params)), or None at the
    end. With a total, the end comes exactly there: a short or last page before it is a truncated response."""
    total = path_get(r.json(), hp.total_path) if hp.total_path else None
    if hp.total_path and (not isinstance(total, int) or isinstance(total, bool)):
        raise ApiError(r.sumber, r.halaman, f"tidak ada total di '{hp.total_path}'")
    if total is not None and fetched >= total:
        if fetched > total:
            raise ApiError(r.sumber, r.halaman, f"{fetched} rekaman diterima, lebih dari total {total}")
        return None
    nxt = _following(hp, r, records, klien)
    if total is not None and (nxt is None or (hp.jenis in ("nomor", "offset") and len(records) < hp.ukuran)):
        raise ApiError(r.sumber, r.halaman, f"halaman terpotong: {fetched} dari {total} rekaman")
    return nxt


def _following(hp, r: Respons, records: list, klien: Klien):
    if hp.jenis == "tidak":
        return None
    if hp.jenis in ("nomor", "offset"):
        return True if records and len(records) >= hp.ukuran else None
    if hp.jenis == "kursor":
        cursor = path_get(r.json(), hp.kursor_path or "")
        return cursor if cursor not in (None, "") and records else None
    match = NEXT_LINK.search(r.headers.get("link", ""))
    if not match:
        return None
    return _same_host(match.group(1), klien, r)


def _same_host(url: str, klien: Klien, r: Respons) -> tuple[str, dict]:
    """A Link to follow, resolved against the page it came with (it may be relative): only on the connection's own
    host (credentials never go elsewhere); as (path under the base URL, query parameters)."""
    own = klien.di_bawah(url, r.permintaan["url"])
    if own is None:
        raise ApiError(r.sumber, r.halaman, f"Link rel=next menunjuk ke host lain ({urlsplit(url).netloc}): "
                                            f"tidak diikuti")
    return own
