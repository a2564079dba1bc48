"""The generic REST connector (walidata.sources.rest) against services emulated by pytest-httpserver on loopback:
every pagination kind and its faults, the records path and field mapping, the auth kinds as the server receives
them (and as the raw item records them: never the secret), the URL template, ETag/Last-Modified, and one dataset
from fetch to standardised figures. No mock of httpx: real HTTP only."""

from __future__ import annotations

import base64
import json
import zipfile
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError
from werkzeug import Response

from conftest import ROOT, katingan_kecamatan
from walidata.catalog import Dataset
from walidata.publish.lake import Lake
from walidata.sources.api import REQUESTS, TidakBerubah, Tujuan, read_item
from walidata.sources.klien import ApiError
from walidata.sources.koneksi import Koneksi
from walidata.sources.rest import Rest
from walidata.standardise.records import standardise_files
from walidata.standardise.reference import IndeksWilayah

REF = ROOT / "include" / "reference"
WILAYAH = IndeksWilayah(REF, "62.06")
SECRET = "RAHASIA-REST-123"
PATH = "/api/v1/umkm"


KECAMATAN = katingan_kecamatan()


def dataset(**sumber) -> Dataset:
    """A kecamatan-level dataset of Katingan read from a REST service (metadata from the CKAN example entry)."""
    raw = yaml.safe_load((ROOT / "include" / "catalog" / "diskopukm" / "umkm_kecamatan.yaml").read_text("utf-8"))
    raw.update(id="diskopukm.umkm_rest", judul="UMKM (REST)")
    raw["sumber"] = {"kind": "rest", "koneksi": "rest_uji", "url": "v1/umkm", "periode": {"dari": "kolom"},
                     **sumber}
    raw["kolom"] = [{"name": "kecamatan", "alias": ["kecamatan"], "peran": "kecamatan"},
                    {"name": "tahun", "alias": ["tahun"], "peran": "periode"},
                    {"name": "umkm", "alias": ["jumlah_umkm"], "peran": "nilai", "variabel": "jumlah_umkm"}]
    return Dataset.model_validate(raw)


def kon(server, auth: str = "bearer", login: str | None = None, **extra) -> Koneksi:
    return Koneksi("rest_uji", server.url_for("/api").rstrip("/"), login=login, password=SECRET,
                   extra={"auth": auth, **extra})


def fetch(ds, server, tmp_path, skip=frozenset(), koneksi=None) -> dict:
    tujuan = Tujuan(wilayah="62.06", kode_bps="6209", koneksi=koneksi or kon(server))
    [m] = Rest().fetch(ds, tujuan, Lake(tmp_path / "lake"), skip_sha256=skip)
    return m


def grid_of(ds, m: dict) -> list[list]:
    [sheet] = Rest().lembar(ds, read_item(Path(m["raw_path"]), m["file"]), m["file"])
    return sheet.grid


def rows(n: int) -> list[dict]:
    return [{"no": i, "kecamatan": "Kamipang", "tahun": 2024, "jumlah_umkm": i} for i in range(1, n + 1)]


def served(server) -> list:
    return [req for req, _ in server.log]


def json_response(obj, status: int = 200, headers: dict | None = None) -> Response:
    return Response(json.dumps(obj), status=status, content_type="application/json", headers=headers or {})


def recorded(m: dict) -> tuple[list[dict], bytes]:
    with zipfile.ZipFile(m["raw_path"]) as z:
        return json.loads(z.read(REQUESTS)), b"".join(z.read(n) for n in z.namelist())


def raises(ds, server, tmp_path, **kw) -> str:
    with pytest.raises(ApiError) as err:
        fetch(ds, server, tmp_path, **kw)
    assert not list((tmp_path / "lake").rglob("respons.zip"))
    return str(err.value)


SOURCE = "sumber rest rest_uji v1/umkm"

# ------------------------------------------------------------------------------------------- pagination kinds


def by_number(records: list[dict], total: int | None = None):
    def handler(request):
        page, size = int(request.args["page"]), int(request.args["per_page"])
        meta = {"page": page} | ({"total": total} if total is not None else {})
        return json_response({"meta": meta, "data": records[(page - 1) * size: page * size]})

    return handler


def test_nomor_pages_until_a_short_page(httpserver, tmp_path):
    httpserver.expect_request(PATH).respond_with_handler(by_number(rows(25)))
    ds = dataset(rekaman="data", halaman={"jenis": "nomor", "ukuran_param": "per_page", "ukuran": 10})
    m = fetch(ds, httpserver, tmp_path)
    assert [(r.args["page"], r.args["per_page"]) for r in served(httpserver)] == [("1", "10"), ("2", "10"),
                                                                                 ("3", "10")]
    grid = grid_of(ds, m)
    assert grid[0] == ["no", "kecamatan", "tahun", "jumlah_umkm"]
    assert [r[0] for r in grid[1:]] == list(range(1, 26)) and m["halaman"] == 3


def test_nomor_starts_at_mulai_and_stops_at_an_empty_page(httpserver, tmp_path):
    def handler(request):
        page = int(request.args["hal"])
        return json_response({"data": rows(20)[page * 10: (page + 1) * 10]})

    httpserver.expect_request(PATH).respond_with_handler(handler)
    ds = dataset(rekaman="data", halaman={"jenis": "nomor", "param": "hal", "mulai": 0, "ukuran": 10})
    m = fetch(ds, httpserver, tmp_path)
    assert [r.args["hal"] for r in served(httpserver)] == ["0", "1", "2"]
    assert [r[0] for r in grid_of(ds, m)[1:]] == list(range(1, 21))


def test_total_path_stops_exactly_at_the_total(httpserver, tmp_path):
    httpserver.expect_request(PATH).respond_with_handler(by_number(rows(20), total=20))
    ds = dataset(rekaman="data", halaman={"jenis": "nomor", "ukuran_param": "per_page", "ukuran": 10,
                                          "total_path": "meta.total"})
    m = fetch(ds, httpserver, tmp_path)
    assert [r.args["page"] for r in served(httpserver)] == ["1", "2"]  # no third, empty page asked for
    assert len(grid_of(ds, m)) == 21


def test_a_short_page_before_the_total_is_truncation(httpserver, tmp_path):
    records = rows(25)

    def handler(request):
        page = int(request.args["page"])
        chunk = records[(page - 1) * 10: page * 10]
        return json_response({"meta": {"total": 25}, "data": chunk[:4] if page == 2 else chunk})

    httpserver.expect_request(PATH).respond_with_handler(handler)
    ds = dataset(rekaman="data", halaman={"jenis": "nomor", "ukuran_param": "per_page", "ukuran": 10,
                                          "total_path": "meta.total"})
    msg = raises(ds, httpserver, tmp_path)
    assert msg.startswith(f"{SOURCE}, halaman 2: halaman terpotong: 14 dari 25 rekaman")
    assert len(served(httpserver)) == 2


def test_more_records_than_the_total_is_refused(httpserver, tmp_path):
    httpserver.expect_request(PATH).respond_with_handler(by_number(rows(25), total=15))
    ds = dataset(rekaman="data", halaman={"jenis": "nomor", "ukuran_param": "per_page", "ukuran": 10,
                                          "total_path": "meta.total"})
    assert raises(ds, httpserver, tmp_path).startswith(f"{SOURCE}, halaman 2: 20 rekaman diterima, lebih dari "
                                                       f"total 15")


def test_a_missing_total_is_refused_naming_the_page(httpserver, tmp_path):
    httpserver.expect_request(PATH).respond_with_handler(by_number(rows(25)))
    ds = dataset(rekaman="data", halaman={"jenis": "nomor", "ukuran_param": "per_page", "ukuran": 10,
                                          "total_path": "meta.total"})
    assert raises(ds, httpserver, tmp_path).startswith(f"{SOURCE}, halaman 1: tidak ada total di 'meta.total'")


def test_offset_pages_by_records_received(httpserver, tmp_path):
    records = rows(23)

    def handler(request):
        off, lim = int(request.args["offset"]), int(request.args["limit"])
        return json_response(records[off:off + lim])

    httpserver.expect_request(PATH).respond_with_handler(handler)
    ds = dataset(halaman={"jenis": "offset", "param": "offset", "ukuran_param": "limit", "ukuran": 10})
    m = fetch(ds, httpserver, tmp_path)
    assert [r.args["offset"] for r in served(httpserver)] == ["0", "10", "20"]
    assert [r[0] for r in grid_of(ds, m)[1:]] == list(range(1, 24))


def test_kursor_follows_the_next_cursor_until_there_is_none(httpserver, tmp_path):
    records, chunks = rows(7), {None: ("c2", slice(0, 3)), "c2": ("c3", slice(3, 6)), "c3": (None, slice(6, 7))}

    def handler(request):
        nxt, part = chunks[request.args.get("cursor")]
        return json_response({"meta": {"next": nxt}, "items": records[part]})

    httpserver.expect_request(PATH).respond_with_handler(handler)
    ds = dataset(rekaman="items", halaman={"jenis": "kursor", "param": "cursor", "kursor_path": "meta.next"})
    m = fetch(ds, httpserver, tmp_path)
    assert [r.args.get("cursor") for r in served(httpserver)] == [None, "c2", "c3"]
    assert [r[0] for r in grid_of(ds, m)[1:]] == list(range(1, 8))


def test_link_follows_rel_next_on_the_same_host(httpserver, tmp_path):
    records = rows(5)

    def handler(request):
        page = int(request.args.get("p", "1"))
        nxt = httpserver.url_for(f"{PATH}?p={page + 1}")
        headers = {"Link": f'<{httpserver.url_for(PATH)}>; rel="first", <{nxt}>; rel="next"'} if page < 3 else {}
        return json_response(records[(page - 1) * 2: page * 2], headers=headers)

    httpserver.expect_request(PATH).respond_with_handler(handler)
    ds = dataset(halaman={"jenis": "link"})
    m = fetch(ds, httpserver, tmp_path)
    assert [r.args.get("p") for r in served(httpserver)] == [None, "2", "3"]
    assert all(r.headers["Authorization"] == f"Bearer {SECRET}" for r in served(httpserver))
    assert [r[0] for r in grid_of(ds, m)[1:]] == [1, 2, 3, 4, 5]


def test_a_relative_link_is_resolved_against_the_page_it_came_with(httpserver, tmp_path):
    def handler(request):
        page = int(request.args.get("p", "1"))
        headers = {"Link": f'<?p={page + 1}>; rel="next"'} if page < 2 else {}
        return json_response(rows(4)[(page - 1) * 2: page * 2], headers=headers)

    httpserver.expect_request(PATH).respond_with_handler(handler)
    m = fetch(dataset(halaman={"jenis": "link"}), httpserver, tmp_path)
    assert [(r.path, r.args.get("p")) for r in served(httpserver)] == [(PATH, None), (PATH, "2")]
    assert m["halaman"] == 2


def test_tidak_is_one_request(httpserver, tmp_path):
    httpserver.expect_request(PATH).respond_with_json({"data": rows(150)})
    ds = dataset(rekaman="data", halaman={"jenis": "tidak", "ukuran": 100})
    m = fetch(ds, httpserver, tmp_path)
    assert len(served(httpserver)) == 1 and len(grid_of(ds, m)) == 151


def test_a_link_to_another_host_is_not_followed(httpserver, other_host, tmp_path):
    other_host.expect_request(PATH).respond_with_json([])
    nxt = other_host.url_for(f"{PATH}?p=2")
    httpserver.expect_request(PATH).respond_with_response(
        json_response(rows(2), headers={"Link": f'<{nxt}>; rel="next"'}))
    msg = raises(dataset(halaman={"jenis": "link"}), httpserver, tmp_path)
    assert msg.startswith(f"{SOURCE}, halaman 1: Link rel=next menunjuk ke host lain (127.0.0.1:")
    assert other_host.log == []


def test_a_scheme_relative_link_to_another_host_is_not_followed(httpserver, other_host, tmp_path):
    other_host.expect_request(PATH).respond_with_json([])
    nxt = other_host.url_for(f"{PATH}?p=2").removeprefix("http:")
    httpserver.expect_request(PATH).respond_with_response(
        json_response(rows(2), headers={"Link": f'<{nxt}>; rel="next"'}))
    msg = raises(dataset(halaman={"jenis": "link"}), httpserver, tmp_path)
    assert "menunjuk ke host lain" in msg and other_host.log == []
    assert len(served(httpserver)) == 1


# ---------------------------------------------------------------------------------------------- loops, limits


def test_a_server_ignoring_the_page_param_is_a_pagination_loop(httpserver, tmp_path):
    httpserver.expect_request(PATH).respond_with_json({"data": rows(10)})
    ds = dataset(rekaman="data", halaman={"jenis": "nomor", "ukuran": 10})
    msg = raises(ds, httpserver, tmp_path)
    assert msg.startswith(f"{SOURCE}, halaman 2: paginasi berulang")
    assert [r.args["page"] for r in served(httpserver)] == ["1", "2"]


def test_the_same_records_under_a_changing_envelope_are_a_loop_too(httpserver, tmp_path):
    calls = []

    def handler(request):
        calls.append(1)
        return json_response({"request_id": len(calls), "data": rows(10)})

    httpserver.expect_request(PATH).respond_with_handler(handler)
    ds = dataset(rekaman="data", halaman={"jenis": "offset", "param": "offset", "ukuran": 10})
    msg = raises(ds, httpserver, tmp_path)
    assert msg.startswith(f"{SOURCE}, halaman 2: paginasi berulang") and len(calls) == 2


def test_a_cursor_that_comes_back_is_a_loop(httpserver, tmp_path):
    def handler(request):
        return json_response({"meta": {"next": "sama"}, "items": rows(3)})

    httpserver.expect_request(PATH).respond_with_handler(handler)
    ds = dataset(rekaman="items", halaman={"jenis": "kursor", "param": "cursor", "kursor_path": "meta.next"})
    assert "paginasi berulang" in raises(ds, httpserver, tmp_path)
    assert len(served(httpserver)) <= 3


def test_more_pages_than_batas_halaman_is_refused(httpserver, tmp_path):
    def endless(request):
        page = int(request.args["page"])
        return json_response([{"no": page * 10 + i} for i in range(10)])

    httpserver.expect_request(PATH).respond_with_handler(endless)
    ds = dataset(batas_halaman=3, halaman={"jenis": "nomor", "ukuran": 10})
    msg = raises(ds, httpserver, tmp_path)
    assert msg.startswith(f"{SOURCE}, halaman 4: lebih dari 3 halaman (batas_halaman)")
    assert len(served(httpserver)) == 3


# ---------------------------------------------------------------------------------------- records and mapping


def test_rekaman_path_and_pemetaan_of_nested_fields(httpserver, tmp_path):
    recs = [{"id": 1, "lokasi": {"kecamatan": "Kamipang", "desa": "Telaga"}, "periode": {"tahun": 2024},
             "nilai": {"umkm": 12}},
            {"id": 2, "lokasi": {"kecamatan": "Mendawai"}, "periode": {"tahun": 2024}, "nilai": {"umkm": 7}}]
    httpserver.expect_request(PATH).respond_with_json({"status": "ok", "hasil": {"data": {"items": recs}}})
    ds = dataset(rekaman="hasil.data.items", pemetaan={"lokasi.kecamatan": "kecamatan", "periode.tahun": "tahun",
                                                       "nilai.umkm": "jumlah_umkm", "lokasi.desa": "desa"})
    m = fetch(ds, httpserver, tmp_path)
    assert grid_of(ds, m) == [["kecamatan", "tahun", "jumlah_umkm", "desa"], ["Kamipang", 2024, 12, "Telaga"],
                              ["Mendawai", 2024, 7, ""]]


def test_a_non_list_at_the_records_path_names_the_page(httpserver, tmp_path):
    def handler(request):
        page = int(request.args["page"])
        if page == 2:
            return json_response({"data": {"error": "rate limited"}})
        return json_response({"data": rows(10)})

    httpserver.expect_request(PATH).respond_with_handler(handler)
    ds = dataset(rekaman="data", halaman={"jenis": "nomor", "ukuran": 10})
    msg = raises(ds, httpserver, tmp_path)
    assert msg == f"{SOURCE}, halaman 2: tidak ada daftar rekaman di 'data' (yang ada: dict)"


def test_a_records_path_that_is_absent_names_the_page(httpserver, tmp_path):
    httpserver.expect_request(PATH).respond_with_json({"result": []})
    msg = raises(dataset(rekaman="data.items"), httpserver, tmp_path)
    assert msg == f"{SOURCE}, halaman 1: tidak ada daftar rekaman di 'data.items' (yang ada: NoneType)"


def test_a_record_that_is_not_an_object_is_refused(httpserver, tmp_path):
    httpserver.expect_request(PATH).respond_with_json({"data": [{"kecamatan": "Kamipang"}, ["Mendawai", 3]]})
    msg = raises(dataset(rekaman="data"), httpserver, tmp_path)
    assert msg.startswith(f"{SOURCE}, rekaman 2: rekaman bukan objek JSON: ['Mendawai', 3]")


def test_a_mapped_field_renamed_at_the_source_is_schema_drift(httpserver, tmp_path):
    shape = {"kecamatan": "kecamatan"}

    def handler(request):
        return json_response({"data": [{"lokasi": {shape["kecamatan"]: "Kamipang"}, "tahun": 2024, "umkm": 5}]})

    httpserver.expect_request(PATH).respond_with_handler(handler)
    ds = dataset(rekaman="data", perubahan_skema="gagal",
                 pemetaan={"lokasi.kecamatan": "kecamatan", "tahun": "tahun", "umkm": "jumlah_umkm"})
    first = fetch(ds, httpserver, tmp_path)
    assert first["kolom_sumber"] == ["lokasi", "lokasi.kecamatan", "tahun", "umkm"]
    shape["kecamatan"] = "nama_kecamatan"
    with pytest.raises(ApiError) as err:
        fetch(ds, httpserver, tmp_path, skip={first["sha256"]})
    msg = str(err.value)
    assert msg.startswith(f"{SOURCE}, skema: skema sumber berubah sejak pengambilan")
    assert "kolom baru -, kolom hilang ['lokasi.kecamatan']" in msg


# ------------------------------------------------------------------------------------------------------- auth


AUTHS = {
    "bearer": ({}, lambda r: r.headers.get("Authorization") == f"Bearer {SECRET}"),
    "api_key header": ({"header": "X-Api-Key"},
                       lambda r: r.headers.get("X-Api-Key") == SECRET and "Authorization" not in r.headers),
    "api_key param": ({"param": "api_key"},
                      lambda r: r.args.get("api_key") == SECRET and "Authorization" not in r.headers),
    "basic": ({}, lambda r: r.headers.get("Authorization")
              == "Basic " + base64.b64encode(f"walidata:{SECRET}".encode()).decode()),
}


@pytest.mark.parametrize("kind", sorted(AUTHS))
def test_each_auth_kind_reaches_the_server_and_is_never_recorded(httpserver, tmp_path, kind):
    extra, received = AUTHS[kind]
    httpserver.expect_request(PATH).respond_with_handler(by_number(rows(12)))
    ds = dataset(rekaman="data", halaman={"jenis": "nomor", "ukuran_param": "per_page", "ukuran": 10})
    auth = kind.split()[0]
    koneksi = kon(httpserver, auth, login="walidata" if auth == "basic" else None, **extra)
    m = fetch(ds, httpserver, tmp_path, koneksi=koneksi)
    assert len(served(httpserver)) == 2 and all(received(r) for r in served(httpserver))
    meta, everything = recorded(m)
    assert SECRET.encode() not in everything and SECRET not in json.dumps(m)
    assert [p["params"].get("page") for p in meta] == ["1", "2"]
    if kind == "api_key param":
        assert [p["params"]["api_key"] for p in meta] == ["***", "***"]


def test_a_wrong_key_is_refused_without_retry(httpserver, tmp_path):
    httpserver.expect_request(PATH).respond_with_json({"message": "Unauthenticated."}, status=401)
    msg = raises(dataset(), httpserver, tmp_path)
    assert msg.startswith(f"{SOURCE}, halaman 1: akses ditolak (HTTP 401)") and len(served(httpserver)) == 1


# ------------------------------------------------------------------------------------------------ URL template


def test_the_url_template_is_filled_from_tujuan(httpserver, tmp_path):
    httpserver.expect_request("/api/v1/62.06/umkm/6209").respond_with_json(rows(3))
    m = fetch(dataset(url="v1/{wilayah}/umkm/{wilayah_bps}"), httpserver, tmp_path)
    assert [r.path for r in served(httpserver)] == ["/api/v1/62.06/umkm/6209"]
    assert m["file"] == "rest rest_uji v1/62.06/umkm/6209"


@pytest.mark.parametrize("url", ["v1/{kabupaten}/umkm", "v1/{0}/umkm", "v1/{wilayah.kode}/umkm", "v1/{wilayah"])
def test_an_unknown_placeholder_is_an_api_error(httpserver, tmp_path, url):
    with pytest.raises(ApiError, match=r"^sumber rest rest_uji, url: templat url .* tidak dapat diisi"):
        fetch(dataset(url=url), httpserver, tmp_path)
    assert served(httpserver) == []


@pytest.mark.parametrize("url", ["http://evil.example/umkm", "https://evil.example/v1/{wilayah}",
                                 "//evil.example/umkm"])
def test_a_catalog_url_with_a_host_is_refused(url):
    with pytest.raises(ValidationError, match="url is a path under the connection's base URL"):
        dataset(url=url)


# ------------------------------------------------------------------------------------------ conditional fetch


def test_an_etag_makes_the_next_fetch_conditional_and_304_is_unchanged(httpserver, tmp_path):
    def handler(request):
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304, headers={"ETag": '"v1"'})
        return json_response(rows(3), headers={"ETag": '"v1"'})

    httpserver.expect_request(PATH).respond_with_handler(handler)
    ds = dataset()
    first = fetch(ds, httpserver, tmp_path)
    assert first["penanda"] == '"v1"'
    assert "If-None-Match" not in served(httpserver)[0].headers
    with pytest.raises(TidakBerubah, match=r"tidak berubah \(HTTP 304\)"):
        fetch(ds, httpserver, tmp_path, skip={first["sha256"]})
    second = served(httpserver)[1]
    assert second.headers.get("If-None-Match") == '"v1"' and len(served(httpserver)) == 2


def test_an_unpublished_fetch_sends_no_condition(httpserver, tmp_path):
    httpserver.expect_request(PATH).respond_with_response(json_response(rows(3), headers={"ETag": 'W/"v1"'}))
    ds = dataset()
    first = fetch(ds, httpserver, tmp_path)
    again = fetch(ds, httpserver, tmp_path)  # the first was never published: no If-None-Match
    assert again["raw_path"] == first["raw_path"]
    assert [r.headers.get("If-None-Match") for r in served(httpserver)] == [None, None]


def test_last_modified_makes_the_next_fetch_conditional(httpserver, tmp_path):
    stamp = "Wed, 21 Oct 2025 07:28:00 GMT"

    def handler(request):
        if request.headers.get("If-Modified-Since") == stamp:
            return Response(status=304)
        return json_response(rows(3), headers={"Last-Modified": stamp})

    httpserver.expect_request(PATH).respond_with_handler(handler)
    ds = dataset()
    first = fetch(ds, httpserver, tmp_path)
    with pytest.raises(TidakBerubah):
        fetch(ds, httpserver, tmp_path, skip={first["sha256"]})
    assert served(httpserver)[1].headers.get("If-Modified-Since") == stamp


def test_a_304_to_an_unconditional_request_is_an_error(httpserver, tmp_path):
    httpserver.expect_request(PATH).respond_with_response(Response(status=304))
    assert raises(dataset(), httpserver, tmp_path) == f"{SOURCE}, halaman 1: HTTP 304 untuk permintaan tanpa syarat"


def test_a_changed_resource_is_fetched_again_after_a_published_one(httpserver, tmp_path):
    version = {"etag": '"v1"', "rows": rows(3)}

    def handler(request):
        if request.headers.get("If-None-Match") == version["etag"]:
            return Response(status=304)
        return json_response(version["rows"], headers={"ETag": version["etag"]})

    httpserver.expect_request(PATH).respond_with_handler(handler)
    ds = dataset()
    first = fetch(ds, httpserver, tmp_path)
    version.update(etag='"v2"', rows=rows(4))
    second = fetch(ds, httpserver, tmp_path, skip={first["sha256"]})
    assert served(httpserver)[1].headers.get("If-None-Match") == '"v1"'
    assert second["penanda"] == '"v2"' and second["sha256"] != first["sha256"] and len(grid_of(ds, second)) == 5


# ------------------------------------------------------------------------------------------------ end to end


def test_a_rest_dataset_from_fetch_to_standardised_figures(httpserver, tmp_path):
    figures = {kode: 100 + 11 * i for i, kode in enumerate(KECAMATAN)}
    recs = [{"lokasi": {"kode": kode, "kecamatan": nama.upper()}, "tahun": "2024",
             "umkm": f"{figures[kode] * 10:,}".replace(",", ".")} for kode, nama in KECAMATAN.items()]
    recs.append({"lokasi": {"kecamatan": "Jumlah"}, "tahun": "2024",
                 "umkm": f"{sum(figures.values()) * 10:,}".replace(",", ".")})

    def handler(request):
        page = int(request.args["page"])
        return json_response({"data": recs[(page - 1) * 5: page * 5], "meta": {"total": len(recs)}})

    httpserver.expect_request("/api/v1/62.06/umkm").respond_with_handler(handler)
    ds = dataset(url="v1/{wilayah}/umkm", rekaman="data",
                 pemetaan={"lokasi.kecamatan": "kecamatan", "tahun": "tahun", "umkm": "jumlah_umkm"},
                 halaman={"jenis": "nomor", "ukuran": 5, "total_path": "meta.total"})
    m = fetch(ds, httpserver, tmp_path)
    assert m["halaman"] == 3 and len(served(httpserver)) == 3
    out = standardise_files(ds, [(Path(m["raw_path"]), m["file"])], WILAYAH)
    frame = out.frame()
    assert frame["masalah"].isna().all() and set(frame["periode"]) == {"2024"}
    assert set(frame["variabel"]) == {"jumlah_umkm"} and set(frame["satuan"]) == {"unit usaha"}
    assert dict(zip(frame["kode_wilayah"], frame["nilai"], strict=True)) == {k: v * 10 for k, v in figures.items()}
    totals = out.totals.to_pandas()
    assert list(totals.loc[totals["jenis"] == "total", "nilai_total"]) == [sum(figures.values()) * 10]
