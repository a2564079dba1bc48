"""BPS WebAPI (https://webapi.bps.go.id/v1/api/): figures BPS publishes for the region's BPS domain.

- The domain is the BPS code of the region being run, from the Kemendagri ↔ BPS crosswalk
  (reference/kode_bps_kabkota.csv: Katingan 62.06 → 6209), never derived from the Kemendagri code; `domain:
  provinsi` asks the province's domain (6200) instead.
- `list` models (var, vervar, th, statictable, …) are paged: `data: [{page, pages, …}, [items]]`, until `pages`.
  `list-not-available` is an empty list; `not-available` for data is an error naming the variable.
- `model=data` is decoded by rebuilding each `datacontent` key as vervar+var+turvar+tahun+turtahun from the
  dimension lists (the codes have no fixed length: a key is never split). A combination without a key is a
  figure BPS does not give (sparse tables): no row. Two combinations giving the same key are refused.
  Empty lists in place of objects (`"datacontent": []`) are read as empty.
- Every body must have BPS's shape: `status` and `data-availability` at the top. A body saved under a wrapper
  (`{"result": {…the BPS body…}}`) is refused naming the key, at fetch and at replay: BPS documents no such
  wrapper, so none is taken off on a guess.
- Periods: `turtahun` 0 or 13, or labelled "Tahun"/"Tahunan" (63 beside the semesters 61, 62), is the year; any
  other gives its label with the year for the period parser: "Semester 1 (Maret) 2018", "Triwulan I 2024".
- Region codes come back as BPS writes them (`vervar`): kabupaten/kota 6209, a province 6200 (its domain), and
  9999 for the table's total; standardise reads them through the crosswalk (`reference.Gazetteer.code`).
- A static table (`tabel_statis`) is an escaped HTML table inside the JSON: it goes through the HTML table
  reader like an OPD's HTML file.

The grid given to standardise: vervar_kode, vervar, turvar_kode, turvar, tahun, turtahun_kode, turtahun, periode
(e.g. "2023", "Maret 2023", "Triwulan I 2023"), then one column per variable named "var <id>".
"""

from __future__ import annotations

import html
import logging
import re
from typing import ClassVar

from walidata.sources.api import ApiConnector, Pengambilan, TidakBerubah, Tujuan
from walidata.sources.klien import KEY_SLOT, ApiError, Klien, Respons
from walidata.sources.spreadsheet import Sheet

log = logging.getLogger(__name__)

LANG = "ind"
ANNUAL = {"0", "13"}  # turtahun codes of a yearly figure ("Tahun", "Tahunan")
ANNUAL_LABELS = {"tahun", "tahunan"}  # a yearly figure whatever its code (63 "Tahunan" beside two semesters)
TOP = ("status", "data-availability")  # the keys at the top of every BPS WebAPI body
HEAD = ["vervar_kode", "vervar", "turvar_kode", "turvar", "tahun", "turtahun_kode", "turtahun", "periode"]


def domain_of(ds, tujuan: Tujuan) -> str:
    """The BPS domain to ask: the region's BPS code (crosswalk), or its province's."""
    if not tujuan.kode_bps:
        raise ApiError(f"bps_webapi ({ds.id})", "domain",
                       f"wilayah {tujuan.wilayah} tidak punya kode BPS di tabel padanan "
                       f"(reference/kode_bps_kabkota.csv)")
    return tujuan.kode_bps[:2] + "00" if ds.sumber.domain == "provinsi" else tujuan.kode_bps


def _path(*parts) -> str:
    return "/".join(str(p) for p in parts) + f"/key/{KEY_SLOT}/"


def _objects(v) -> list:
    """A dimension list; BPS gives [] or "" where it has none."""
    return v if isinstance(v, list) else []


def daftar(klien: Klien, model: str, domain: str, batas_halaman: int, **filters) -> list[dict]:
    """Every item of a `list` model (var, vervar, th, statictable, subject, …), all pages."""
    items, seen, page, pages = [], set(), 1, 1
    extra = [p for k, v in filters.items() for p in (k, v)]
    while page <= pages:
        if page > batas_halaman:
            raise ApiError(klien.sumber, f"list/{model} halaman {page}", f"lebih dari {batas_halaman} halaman "
                                                                         f"(batas_halaman)")
        halaman = f"list/{model} halaman {page}"
        body = klien.ambil(_path("list", "model", model, "lang", LANG, "domain", domain, *extra, "page", page),
                           halaman=halaman).json()
        _shape(body, klien.sumber, halaman)
        if not isinstance(body, dict) or body.get("status") != "OK":
            raise ApiError(klien.sumber, halaman, f"status BPS {_status(body)}")
        if body.get("data-availability") == "list-not-available":
            return items
        data = body.get("data")
        if not (isinstance(data, list) and len(data) == 2 and isinstance(data[0], dict)):
            raise ApiError(klien.sumber, halaman, "bentuk respons list tidak dikenal (diharapkan data: [info halaman, "
                                                  "[item]])")
        info, got = data[0], _objects(data[1])
        if int(info.get("page", page)) != page or (got and repr(got) in seen):
            raise ApiError(klien.sumber, halaman, f"paginasi berulang: server mengirim halaman "
                                                  f"{info.get('page')} lagi untuk permintaan halaman {page}")
        seen.add(repr(got))
        items += got
        pages = int(info.get("pages") or 1)
        page += 1
    return items


def _shape(body, sumber: str, halaman: str) -> None:
    """Refuse a JSON object that is not a BPS WebAPI body (no `status` nor `data-availability` at the top), naming
    the wrapper when the BPS body is one level down (`{"result": {"status": "OK", …}}`)."""
    if not isinstance(body, dict) or any(k in body for k in TOP):
        return
    wrapped = [k for k, v in body.items() if isinstance(v, dict) and any(x in v for x in TOP)]
    if wrapped:
        raise ApiError(sumber, halaman, f"respons BPS terbungkus di bawah kunci {wrapped[0]!r}: 'status' dan "
                                        f"'data-availability' ada satu tingkat di bawahnya, bukan di tingkat teratas "
                                        f"seperti yang dikirim BPS WebAPI; simpan atau teruskan respons BPS apa "
                                        f"adanya, tanpa pembungkus")
    keys = ", ".join(repr(k) for k in list(body)[:10]) or "tidak ada"
    raise ApiError(sumber, halaman, f"respons bukan bentuk BPS WebAPI: tidak ada 'status' maupun "
                                    f"'data-availability' di tingkat teratas (kunci teratas: {keys})")


def _status(body) -> str:
    if isinstance(body, dict):
        return f"{body.get('status')!r}, {body.get('data-availability')!r}: {str(body.get('data'))[:200]}"
    return f"{type(body).__name__}"


class BpsWebApi(ApiConnector):
    kind: ClassVar[str] = "bps_webapi"

    def nama_sumber(self, ds, tujuan) -> str:
        s = ds.sumber
        what = f"var {'+'.join(map(str, s.var))}" if s.var else f"tabel statis {s.tabel_statis}"
        return f"bps_webapi domain {domain_of(ds, tujuan)} {what}"

    def ambil(self, ds, tujuan, klien, sebelumnya) -> Pengambilan:
        s, domain = ds.sumber, domain_of(ds, tujuan)
        got = Pengambilan(label=klien.sumber)
        if s.tabel_statis is not None:
            r = klien.ambil(_path("view", "model", "statictable", "lang", LANG, "domain", domain, "id",
                                  s.tabel_statis), halaman="tabel statis")
            body = _available(r)
            got.halaman.append(r)
            got.penanda = str((body.get("data") or {}).get("updt_date") or "") or None
        else:
            th = self._th(ds, klien, domain) if s.tahun else {}
            for var in s.var:
                for th_id in th.get(var) or [None]:
                    extra = ("th", th_id) if th_id is not None else ()
                    r = klien.ambil(_path("list", "model", "data", "lang", LANG, "domain", domain, "var", var, *extra),
                                    halaman=f"data var {var}" + (f" th {th_id}" if th_id is not None else ""))
                    sel_dalam_batas(_available(r), r)  # refused before anything is stored
                    got.halaman.append(r)
            stamps = [str(r.json().get("last_update") or "") for r in got.halaman]
            got.penanda = "; ".join(stamps) if all(stamps) else None
        if sebelumnya and got.penanda and sebelumnya.get("penanda") == got.penanda:
            raise TidakBerubah(f"{klien.sumber}: tidak berubah menurut BPS (last_update {got.penanda}) sejak "
                               f"pengambilan {sebelumnya['arrived_at']} yang sudah diterbitkan")
        return got

    def _th(self, ds, klien: Klien, domain: str) -> dict[int, list[int]]:
        """For each variable, the BPS period ids (th) of the years asked (list model th)."""
        out = {}
        for var in ds.sumber.var:
            years = {int(str(i.get("th")).strip()): i["th_id"] for i in daftar(klien, "th", domain,
                                                                                ds.sumber.batas_halaman, var=var)
                     if str(i.get("th", "")).strip().isdigit()}
            missing = sorted(set(ds.sumber.tahun) - set(years))
            if missing:
                log.warning("%s: var %s: BPS has no period for year(s) %s", klien.sumber, var, missing)
            out[var] = [years[y] for y in sorted(set(ds.sumber.tahun) & set(years))]
            if not out[var]:
                raise ApiError(klien.sumber, f"list/th var {var}", f"tidak satu pun tahun {ds.sumber.tahun} tersedia "
                                                                   f"di BPS (ada: {sorted(years)})")
        return out

    def lembar(self, ds, halaman: list[Respons], label: str) -> list[Sheet]:
        if ds.sumber.tabel_statis is not None:
            return static_sheets(halaman[0], label)
        rows: dict[tuple, dict[str, object]] = {}
        columns = [f"var {v}" for v in ds.sumber.var]
        for r in halaman:
            whole = _domain_asked(r)
            for key, column, value in decode_data(r):
                if key[0] == BPS_WHOLE and whole:  # 9999 is the domain itself: 'Sulawesi Tengah' in domain 7200
                    key = (whole, *key[1:])
                rows.setdefault(key, {})[column] = value
        grid = [HEAD + columns]
        for key, values in rows.items():
            grid.append([*key, *(values.get(c, "...") for c in columns)])
        return [Sheet(name="data", grid=grid)]

    def kolom_sumber(self, ds, halaman, label) -> list[str]:
        """For drift: the variables and the labels of the regions/categories (vervar) and breakdowns (turvar)."""
        if ds.sumber.tabel_statis is not None:
            return super().kolom_sumber(ds, halaman, label)
        out = set()
        for r in halaman:
            body = r.json()
            out |= {f"var {v.get('val')}" for v in _objects(body.get("var"))}
            out |= {f"vervar {v.get('label')}".strip() for v in _objects(body.get("vervar"))}
            out |= {f"turvar {v.get('label')}".strip() for v in _objects(body.get("turvar"))}
        return sorted(out)


def _available(r: Respons) -> dict:
    body = r.json()
    _shape(body, r.sumber, r.halaman)
    if not isinstance(body, dict) or body.get("status") != "OK":
        raise ApiError(r.sumber, r.halaman, f"status BPS {_status(body)}")
    if body.get("data-availability") != "available":
        raise ApiError(r.sumber, r.halaman, f"BPS tidak menyediakan data ini ({body.get('data-availability')!r}): "
                                            f"periksa id variabel/tabel dan domain di katalog")
    return body


def _periode(tahun: str, turtahun_val: str, turtahun: str) -> str:
    """The period as `periode.parse_periode` reads it: the year of a yearly figure, else the turtahun label with
    its year ('Semester 1 (Maret) 2018', 'Triwulan I 2024', 'Maret 2023'); a label that already ends with the
    year is kept as it is. Without a label the code is shown, and the parser refuses it (never a guess)."""
    label = " ".join(turtahun.split())
    if turtahun_val in ANNUAL or label.lower() in ANNUAL_LABELS:
        return tahun
    if not label:
        return f"turtahun {turtahun_val} {tahun}"
    return label if label.endswith(tahun) else f"{label} {tahun}"


BPS_WHOLE = "9999"  # BPS's code for the whole of the domain asked (the province, the kabupaten; Indonesia in 0000)


def _domain_asked(r: Respons) -> str | None:
    """The domain a model=data request asked (its URL holds '/domain/7200/'); None for the national one."""
    m = re.search(r"/domain/(\d{4})/", str(r.permintaan.get("url", "")))
    return m.group(1) if m and m.group(1) != "0000" else None


DIMS = ("vervar", "var", "turvar", "tahun", "turtahun")


def sel_dalam_batas(body: dict, r: Respons) -> int:
    """The number of cells the dimension lists of a model=data body decode to (their lengths multiplied, an empty
    turvar/turtahun counting one), refused above `Batas.sel_maks` naming the counts: 3000 × 300 × 300 figures
    from a 100 KB body would take gigabytes and minutes to rebuild."""
    counts = [len(_objects(body.get(k))) for k in DIMS]
    cells = 1
    for name, n in zip(DIMS, counts, strict=True):
        cells *= n or (1 if name in ("turvar", "turtahun") else 0)
    if cells > r.batas.sel_maks:
        shown = " × ".join(f"{name} {n:,}" for name, n in zip(DIMS, counts, strict=True))
        raise ApiError(r.sumber, r.halaman, f"daftar dimensi menghasilkan {cells:,} sel ({shown}), lebih dari batas "
                                            f"{r.batas.sel_maks:,} sel: tabel tidak dibaca")
    return cells


def decode_data(r: Respons):
    """(row key, 'var <id>', value) for every figure of one model=data response, keys rebuilt from the lists."""
    body = r.json()
    _shape(body, r.sumber, r.halaman)
    if not isinstance(body, dict):
        raise ApiError(r.sumber, r.halaman, f"respons model=data bukan objek JSON ({type(body).__name__})")
    sel_dalam_batas(body, r)
    content = body.get("datacontent")
    content = content if isinstance(content, dict) else {}
    dims = [_objects(body.get(k)) for k in DIMS]
    for name, items in zip(("vervar", "var", "turvar", "tahun", "turtahun"), dims, strict=True):
        for i in items:
            if not isinstance(i, dict) or "val" not in i:
                raise ApiError(r.sumber, r.halaman, f"daftar {name} berisi butir tanpa 'val': {str(i)[:100]}")
    seen: dict[str, tuple] = {}
    for vv in dims[0]:
        for var in dims[1]:
            for tv in dims[2] or [{"val": 0, "label": ""}]:
                for th in dims[3]:
                    for tt in dims[4] or [{"val": 0, "label": "Tahunan"}]:
                        key = f"{vv['val']}{var['val']}{tv['val']}{th['val']}{tt['val']}"
                        combo = (vv["val"], var["val"], tv["val"], th["val"], tt["val"])
                        if key in seen and seen[key] != combo:
                            raise ApiError(r.sumber, r.halaman, f"kunci datacontent {key} ambigu: cocok untuk "
                                                                f"{seen[key]} dan {combo}; tabel tidak dibaca")
                        seen[key] = combo
                        if key not in content:
                            continue  # a sparse table: BPS gives no figure here
                        tahun, ttv = str(th.get("label", th["val"])).strip(), str(tt["val"])
                        row = (str(vv["val"]), str(vv.get("label", "")).strip(), str(tv["val"]),
                               str(tv.get("label", "")).strip(), tahun, ttv, str(tt.get("label", "")).strip(),
                               _periode(tahun, ttv, str(tt.get("label", "")).strip()))
                        yield row, f"var {var['val']}", content[key]


def static_sheets(r: Respons, label: str) -> list[Sheet]:
    """A static table: the escaped HTML table inside the JSON, through the HTML table reader."""
    from walidata.sources.html_tables import html_text_tables

    data = _available(r).get("data") or {}
    text = html.unescape(str(data.get("table") or ""))
    if "<table" not in text.lower():
        raise ApiError(r.sumber, r.halaman, "tabel statis tanpa tabel HTML di kolom 'table'")
    title = str(data.get("title") or "").strip()
    return [Sheet(name=n, grid=g, merged=m, html=True, titles=[title, *t] if title else t)
            for n, g, m, t in html_text_tables(text)]
