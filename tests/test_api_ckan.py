"""The CKAN connector (walidata.sources.ckan) against a CKAN portal's Action API emulated by pytest-httpserver on
loopback (`/ckan/api/3/action/...`): DataStore paging, the token, types from `fields`, totals rows, every
pagination fault, package_search, file resources on the portal's host and elsewhere, and the incremental
"unchanged since the published fetch" rule. No mock of httpx: real HTTP only."""

from __future__ import annotations

import copy
import json
import zipfile
from pathlib import Path

import pytest
import yaml
from werkzeug import Response

from conftest import ROOT, katingan_kecamatan
from walidata.catalog import Dataset
from walidata.publish.lake import Lake
from walidata.sources.api import REQUESTS, TidakBerubah, Tujuan, read_item
from walidata.sources.ckan import Ckan
from walidata.sources.inbox import NoSourceFiles
from walidata.sources.klien import ApiError
from walidata.sources.koneksi import Koneksi
from walidata.standardise.records import standardise_files
from walidata.standardise.reference import IndeksWilayah
from walidata.validate import checks

REF = ROOT / "include" / "reference"
WILAYAH = IndeksWilayah(REF, "62.06")
TOKEN = "TOKEN-XYZ"
ACTION = "/ckan/api/3/action/"
PAKET = "jumlah-umkm-menurut-kecamatan"
RID = "9a1f4c7e-3b52-4d0e-8c1a-6d2b7e0f5a31"
SUMBER_DAYA = "Jumlah UMKM Menurut Kecamatan"
MODIFIED = "2025-02-03T08:15:42.118923"
ODAA = ROOT / "tests" / "real" / "api" / "ckan_datastore_search_odaa_dk.json"


KECAMATAN = katingan_kecamatan()


def dataset(**sumber) -> Dataset:
    """The catalog entry include/catalog/diskopukm/umkm_kecamatan.yaml, its source changed by `sumber`."""
    raw = yaml.safe_load((ROOT / "include" / "catalog" / "diskopukm" / "umkm_kecamatan.yaml").read_text("utf-8"))
    raw["sumber"] = {**raw["sumber"], "koneksi": "ckan_uji", **sumber}
    return Dataset.model_validate(raw)


def kon(httpserver, **extra) -> Koneksi:
    return Koneksi("ckan_uji", httpserver.url_for("/ckan").rstrip("/"), password=TOKEN,
                   extra={"auth": "api_key", **extra})


def tujuan(httpserver, **extra) -> Tujuan:
    return Tujuan(wilayah="62.06", kode_bps="6209", koneksi=kon(httpserver, **extra))


def package(modified: str = MODIFIED, **resource) -> dict:
    res = {"id": RID, "name": SUMBER_DAYA, "format": "CSV", "datastore_active": True,
           "url": f"/dataset/{PAKET}/resource/{RID}", "metadata_modified": modified, "last_modified": modified,
           **resource}
    return {"id": "5c0e2a7b-9d1f-4b8e-a3c6-2f7d1e9b0c44", "name": PAKET, "metadata_modified": modified,
            "resources": [res, {"id": "b2", "name": "Metadata UMKM (PDF)", "datastore_active": False,
                                "url": "/files/metadata.pdf"}]}


def serve_package(httpserver, pkg: dict | None = None) -> None:
    httpserver.expect_request(ACTION + "package_show", query_string={"id": PAKET}).respond_with_json(
        {"success": True, "result": pkg or package()})


UMKM_FIELDS = [{"id": "_id", "type": "int"}, {"id": "tahun", "type": "int4"}, {"id": "kecamatan", "type": "text"},
               {"id": "jumlah_umkm", "type": "text"}, {"id": "jumlah_tenaga_kerja", "type": "text"}]


def umkm_records(total_umkm: str | None = None) -> list[dict]:
    """One 2024 row per Katingan kecamatan (Indonesian-formatted text numbers), then 'Jumlah Total'."""
    recs = [{"_id": i, "tahun": 2024, "kecamatan": nama.upper(), "jumlah_umkm": f"{1000 + 7 * i:,}".replace(",", "."),
             "jumlah_tenaga_kerja": str(20 + i)} for i, nama in enumerate(KECAMATAN.values(), 1)]
    umkm = sum(1000 + 7 * i for i in range(1, len(recs) + 1))
    tk = sum(20 + i for i in range(1, len(recs) + 1))
    recs.append({"_id": len(recs) + 1, "tahun": 2024, "kecamatan": "Jumlah Total",
                 "jumlah_umkm": total_umkm or f"{umkm:,}".replace(",", "."), "jumlah_tenaga_kerja": str(tk)})
    return recs


def datastore(records: list[dict], fields: list[dict], fault=None):
    """A datastore_search handler paging `records` by limit/offset as CKAN does; `fault(n, body)` may change the
    n-th response (1-based) before it is sent, or return a werkzeug Response to send instead."""
    calls = []

    def handler(request):
        q = request.args
        limit, offset = int(q["limit"]), int(q["offset"])
        calls.append(offset)
        body = {"help": "https://portal/api/3/action/help_show?name=datastore_search", "success": True,
                "result": {"include_total": True, "resource_id": q["resource_id"], "fields": fields,
                           "records_format": "objects", "records": records[offset:offset + limit],
                           "limit": limit, "offset": offset, "total": len(records),
                           "_links": {"start": "/api/3/action/datastore_search",
                                      "next": f"/api/3/action/datastore_search?offset={offset + limit}"}}}
        if fault is not None:
            got = fault(len(calls), body)
            if isinstance(got, Response):
                return got
        return Response(json.dumps(body), content_type="application/json")

    return handler


def serve_datastore(httpserver, records, fields=UMKM_FIELDS, fault=None) -> None:
    httpserver.expect_request(ACTION + "datastore_search").respond_with_handler(datastore(records, fields, fault))


def requests_to(httpserver, action: str) -> list:
    return [req for req, _ in httpserver.log if req.path == ACTION + action]


def fetch(ds, httpserver, tmp_path, skip=frozenset(), **extra) -> dict:
    [m] = Ckan().fetch(ds, tujuan(httpserver, **extra), Lake(tmp_path / "lake"), skip_sha256=skip)
    return m


def grid_of(ds, m: dict) -> list[list]:
    [sheet] = Ckan().lembar(ds, read_item(Path(m["raw_path"]), m["file"]), m["file"])
    return sheet.grid


def recorded(m: dict) -> tuple[list[dict], bytes]:
    with zipfile.ZipFile(m["raw_path"]) as z:
        return json.loads(z.read(REQUESTS)), b"".join(z.read(n) for n in z.namelist())


# ----------------------------------------------------------------------------------------------- paging, token


def test_datastore_is_paged_by_offset_until_the_total_each_record_once_in_order(httpserver, tmp_path):
    records = [{"_id": i, "no": i, "kecamatan": "Kamipang", "jumlah_umkm": str(i)} for i in range(1, 2346)]
    fields = [{"id": "_id", "type": "int"}, {"id": "no", "type": "int4"}, {"id": "kecamatan", "type": "text"},
              {"id": "jumlah_umkm", "type": "text"}]
    serve_package(httpserver)
    serve_datastore(httpserver, records, fields)
    ds = dataset(per_halaman=1000)
    m = fetch(ds, httpserver, tmp_path)
    pages = requests_to(httpserver, "datastore_search")
    assert [int(r.args["offset"]) for r in pages] == [0, 1000, 2000]
    assert {r.args["limit"] for r in pages} == {"1000"} and {r.args["resource_id"] for r in pages} == {RID}
    assert m["halaman"] == 3
    grid = grid_of(ds, m)
    assert grid[0] == ["no", "kecamatan", "jumlah_umkm"]  # `_id` is CKAN's row number, not data
    assert [row[0] for row in grid[1:]] == list(range(1, 2346))


def test_the_token_goes_in_authorization_and_is_never_recorded(httpserver, tmp_path):
    serve_package(httpserver)
    serve_datastore(httpserver, umkm_records())
    m = fetch(dataset(), httpserver, tmp_path)
    calls = [req for req, _ in httpserver.log]
    assert [r.path.rsplit("/", 1)[1] for r in calls] == ["package_show", "datastore_search"]
    assert all(r.headers.get("Authorization") == TOKEN for r in calls)
    meta, everything = recorded(m)
    assert meta and meta[0]["url"].endswith("/ckan/api/3/action/datastore_search")
    assert meta[0]["params"]["resource_id"] == RID and meta[0]["params"]["offset"] == "0"
    assert TOKEN.encode() not in everything
    assert TOKEN not in json.dumps(m)


# ------------------------------------------------------------------------------------- types come from fields


def test_text_typed_numbers_follow_the_kolom_and_numeric_typed_ones_are_numbers(httpserver, tmp_path):
    fields = [{"id": "_id", "type": "int"}, {"id": "tahun", "type": "text"}, {"id": "kecamatan", "type": "text"},
              {"id": "rata_teks", "type": "text"}, {"id": "rata_angka", "type": "numeric"}]
    records = [{"_id": 1, "tahun": "2024", "kecamatan": "Kamipang", "rata_teks": "1.234", "rata_angka": "1.234"},
               {"_id": 2, "tahun": "2024", "kecamatan": "Katingan Hilir", "rata_teks": "12,5",
                "rata_angka": "12.5"}]
    serve_package(httpserver)
    serve_datastore(httpserver, records, fields)
    raw = yaml.safe_load((ROOT / "include" / "catalog" / "diskopukm" / "umkm_kecamatan.yaml").read_text("utf-8"))
    raw["sumber"]["koneksi"] = "ckan_uji"
    raw["kolom"] = [
        {"name": "kecamatan", "alias": ["kecamatan"], "peran": "kecamatan"},
        {"name": "tahun", "alias": ["tahun"], "peran": "periode"},
        {"name": "teks", "alias": ["rata_teks"], "peran": "nilai", "tipe": "decimal", "desimal": "koma",
         "variabel": "rata_teks", "aditif": False},
        {"name": "angka", "alias": ["rata_angka"], "peran": "nilai", "tipe": "decimal", "desimal": "koma",
         "variabel": "rata_angka", "aditif": False}]
    ds = Dataset.model_validate(raw)
    m = fetch(ds, httpserver, tmp_path)
    frame = standardise_files(ds, [(Path(m["raw_path"]), m["file"])], WILAYAH).frame()
    got = {(r.variabel, r.kode_wilayah): r.nilai for r in frame.itertuples()}
    assert frame["masalah"].isna().all()
    assert got == {("rata_teks", "62.06.01"): 1234.0, ("rata_teks", "62.06.02"): 12.5,
                   ("rata_angka", "62.06.01"): 1.234, ("rata_angka", "62.06.02"): 12.5}
    assert set(frame["periode"]) == {"2024"}


def test_the_real_odaa_datastore_page_keeps_its_field_types(httpserver, tmp_path):
    body = json.loads(ODAA.read_text(encoding="utf-8"))
    serve_package(httpserver)
    httpserver.expect_request(ACTION + "datastore_search").respond_with_data(ODAA.read_bytes(),
                                                                              content_type="application/json")
    ds = dataset(per_halaman=100)
    m = fetch(ds, httpserver, tmp_path)
    grid = grid_of(ds, m)
    fields = [f["id"] for f in body["result"]["fields"]]
    assert grid[0] == fields[1:] and "_id" not in grid[0]  # the fields' order, CKAN's row number dropped
    assert len(grid) == 1 + body["result"]["total"] == 10
    first = dict(zip(grid[0], grid[1], strict=True))
    assert first["WaitingCustomersSQ"] == 0 and isinstance(first["WaitingCustomersSQ"], int)  # int4: a number
    assert [dict(zip(grid[0], r, strict=True))["WaitingCustomersMQ"] for r in grid[1:]] == [
        r["WaitingCustomersMQ"] for r in body["result"]["records"]]
    assert first["AvgWaitingSQ"] == "2017-05-22T00:00:00"  # timestamp: text, left as it is
    assert first["ServiceTypeName"] == "Pas" and grid[2][grid[0].index("ServiceTypeName")] == "Kørekort"
    assert m["kolom_sumber"] == sorted(fields[1:])


# ------------------------------------------------------------------------------------------------ totals rows


def _standardised(httpserver, tmp_path, records):
    serve_package(httpserver)
    serve_datastore(httpserver, records)
    ds = dataset()
    m = fetch(ds, httpserver, tmp_path)
    return standardise_files(ds, [(Path(m["raw_path"]), m["file"])], WILAYAH)


def test_a_jumlah_total_row_is_a_total_checked_against_the_sum(httpserver, tmp_path):
    out = _standardised(httpserver, tmp_path, umkm_records())
    frame = out.frame()
    assert sorted(set(frame["kode_wilayah"])) == sorted(KECAMATAN)  # 13 kecamatan, the total is none of them
    assert len(frame) == 2 * len(KECAMATAN) and frame["masalah"].isna().all()
    umkm = frame[frame["variabel"] == "jumlah_umkm"].set_index("kode_wilayah")["nilai"]
    assert umkm["62.06.01"] == 1007 and umkm["62.06.13"] == 1091  # "1.007", "1.091": Indonesian thousands
    totals = out.totals.to_pandas()
    tot = totals[totals["jenis"] == "total"]
    assert sorted(tot["nilai_total"]) == sorted([float(umkm.sum()), float(sum(20 + i for i in range(1, 14)))])
    assert checks.totals_match(frame, totals)["temuan"] == []


def test_a_wrong_total_is_reported(httpserver, tmp_path):
    out = _standardised(httpserver, tmp_path, umkm_records(total_umkm="99.999"))
    frame = out.frame()
    assert "Jumlah Total" not in set(frame["nama_wilayah"]) and len(set(frame["kode_wilayah"])) == 13
    found = checks.totals_match(frame, out.totals.to_pandas())["temuan"]
    assert len(found) == 1
    assert found[0]["value"] == 99999 and found[0]["reason"].startswith("total 99999 tidak sama dengan jumlah")
    assert found[0]["row"] == len(KECAMATAN) + 2  # the header is row 1


# ------------------------------------------------------------------------------------------ pagination faults


def _fault(httpserver, tmp_path, fault, records=None, **sumber) -> ApiError:
    records = records if records is not None else [{"_id": i, "kecamatan": "Kamipang", "jumlah_umkm": str(i)}
                                                  for i in range(1, 251)]
    serve_package(httpserver)
    serve_datastore(httpserver, records, fault=fault)
    with pytest.raises(ApiError) as err:
        fetch(dataset(**{"per_halaman": 100, **sumber}), httpserver, tmp_path)
    assert not list((tmp_path / "lake").rglob("respons.zip"))  # nothing half-fetched is kept
    return err.value


SOURCE = f"sumber ckan ckan_uji paket {PAKET!r} sumber daya {SUMBER_DAYA}"


def test_the_same_page_twice_is_a_pagination_loop(httpserver, tmp_path):
    first = {}

    def same(n, body):
        if n == 1:
            first.update(copy.deepcopy(body))
        else:
            body["result"]["records"] = first["result"]["records"]

    msg = str(_fault(httpserver, tmp_path, same))
    assert msg.startswith(f"{SOURCE}, halaman 2 (offset 100): paginasi berulang")
    assert len(requests_to(httpserver, "datastore_search")) == 2


def test_a_short_page_before_the_total_is_truncation(httpserver, tmp_path):
    def short(n, body):
        if n == 2:
            del body["result"]["records"][40:]

    msg = str(_fault(httpserver, tmp_path, short))
    assert msg.startswith(f"{SOURCE}, halaman 2 (offset 100): halaman terpotong: 40 rekaman")
    assert "total 250" in msg


def test_an_empty_page_before_the_total_is_truncation(httpserver, tmp_path):
    def empty(n, body):
        if n == 3:
            body["result"]["records"] = []

    msg = str(_fault(httpserver, tmp_path, empty))
    assert msg.startswith(f"{SOURCE}, halaman 3 (offset 200): halaman terpotong: 0 rekaman")


def test_the_total_changing_mid_way_is_refused(httpserver, tmp_path):
    def grows(n, body):
        body["result"]["total"] += n - 1

    msg = str(_fault(httpserver, tmp_path, grows))
    assert msg.startswith(f"{SOURCE}, halaman 2 (offset 100): total berubah dari 250 menjadi 251")


def test_a_response_without_total_is_refused(httpserver, tmp_path):
    def no_total(n, body):
        del body["result"]["total"]

    msg = str(_fault(httpserver, tmp_path, no_total))
    assert msg.startswith(f"{SOURCE}, halaman 1 (offset 0): respons tanpa 'total'")


def test_success_false_is_refused_naming_the_page(httpserver, tmp_path):
    def fails(n, body):
        if n == 2:
            return Response(json.dumps({"success": False, "error": {"__type": "Search Error", "message": "boom"}}),
                            content_type="application/json")
        return None

    msg = str(_fault(httpserver, tmp_path, fails))
    assert msg.startswith(f"{SOURCE}, halaman 2 (offset 100): datastore_search gagal")
    assert "Search Error" in msg


def test_more_pages_than_batas_halaman_is_refused(httpserver, tmp_path):
    msg = str(_fault(httpserver, tmp_path, None, batas_halaman=2))
    assert msg.startswith(f"{SOURCE}, halaman 3 (offset 200): lebih dari 2 halaman (batas_halaman)")
    assert len(requests_to(httpserver, "datastore_search")) == 2  # the third page is never asked for


def test_malformed_json_is_refused_naming_the_page(httpserver, tmp_path):
    def broken(n, body):
        if n == 2:
            return Response(json.dumps(body).replace('"records": [', '"records": [,', 1),
                            content_type="application/json")
        return None

    msg = str(_fault(httpserver, tmp_path, broken))
    assert msg.startswith(f"{SOURCE}, halaman 2 (offset 100): JSON rusak di posisi")


def test_json_cut_after_a_value_is_called_truncated(httpserver, tmp_path):
    def cut(n, body):
        if n == 2:
            text = json.dumps(body)
            return Response(text[:text.index('"total"')], content_type="application/json")  # ends after a ','
        return None

    msg = str(_fault(httpserver, tmp_path, cut))
    assert msg.startswith(f"{SOURCE}, halaman 2 (offset 100): JSON terpotong")


def test_json_cut_inside_a_string_is_called_truncated(httpserver, tmp_path):
    def cut(n, body):
        if n == 2:
            return Response(json.dumps(body)[:-30], content_type="application/json")
        return None

    msg = str(_fault(httpserver, tmp_path, cut))
    assert msg.startswith(f"{SOURCE}, halaman 2 (offset 100): JSON terpotong")


def test_an_html_page_instead_of_json_is_refused(httpserver, tmp_path):
    def html(n, body):
        return Response("<!DOCTYPE html><html><body>Maintenance</body></html>", content_type="text/html")

    msg = str(_fault(httpserver, tmp_path, html))
    assert msg.startswith(f"{SOURCE}, halaman 1 (offset 0): server mengirim halaman HTML")


# ------------------------------------------------------------------------------------ package and resource


def _search(httpserver, results: list[dict]) -> None:
    httpserver.expect_request(ACTION + "package_search").respond_with_json(
        {"success": True, "result": {"count": len(results), "results": results}})


def test_package_search_with_one_result_is_used(httpserver, tmp_path):
    _search(httpserver, [package()])
    serve_datastore(httpserver, umkm_records())
    ds = dataset(paket=None, cari="umkm kecamatan")
    m = fetch(ds, httpserver, tmp_path)
    [search] = requests_to(httpserver, "package_search")
    assert search.args["q"] == "umkm kecamatan"
    assert not requests_to(httpserver, "package_show")
    assert len(grid_of(ds, m)) == 1 + len(KECAMATAN) + 1


@pytest.mark.parametrize("found", [0, 2])
def test_package_search_must_find_exactly_one(httpserver, tmp_path, found):
    results = [package(), {**package(), "name": "umkm-kecamatan-2023"}][:found]
    _search(httpserver, results)
    with pytest.raises(ApiError) as err:
        fetch(dataset(paket=None, cari="umkm"), httpserver, tmp_path)
    msg = str(err.value)
    assert "package_search: pencarian 'umkm' menemukan" in msg and "harus tepat satu" in msg
    assert str([r["name"] for r in results]) in msg
    assert not requests_to(httpserver, "datastore_search")


def test_a_resource_not_in_the_package_is_named_with_those_that_are(httpserver, tmp_path):
    serve_package(httpserver)
    with pytest.raises(ApiError) as err:
        fetch(dataset(sumber_daya="UMKM 2019"), httpserver, tmp_path)
    msg = str(err.value)
    assert "sumber daya 'UMKM 2019' tidak ada di paket" in msg
    assert f"{[SUMBER_DAYA, 'Metadata UMKM (PDF)']}" in msg


def test_a_resource_is_found_by_id_too(httpserver, tmp_path):
    serve_package(httpserver)
    serve_datastore(httpserver, umkm_records())
    fetch(dataset(sumber_daya=RID.upper()), httpserver, tmp_path)
    assert {r.args["resource_id"] for r in requests_to(httpserver, "datastore_search")} == {RID}


# ---------------------------------------------------------------------------------------- file resources


CSV_TEXT = "kecamatan;tahun;jumlah_umkm;jumlah_tenaga_kerja\nKamipang;2024;1.234;2.468\nMendawai;2024;567;1.134\n"


def _check_csv_frame(ds, m):
    frame = standardise_files(ds, [(Path(m["raw_path"]), m["file"])], WILAYAH).frame()
    got = {(r.variabel, r.kode_wilayah): r.nilai for r in frame.itertuples()}
    assert got == {("jumlah_umkm", "62.06.01"): 1234, ("jumlah_tenaga_kerja", "62.06.01"): 2468,
                   ("jumlah_umkm", "62.06.09"): 567, ("jumlah_tenaga_kerja", "62.06.09"): 1134}


def test_a_file_resource_on_the_portal_is_fetched_with_the_token(httpserver, tmp_path):
    url = httpserver.url_for(f"/ckan/dataset/{PAKET}/resource/{RID}/download/umkm.csv?format=csv&v=")
    serve_package(httpserver, package(datastore_active=False, url=url, url_type="upload"))
    httpserver.expect_request(f"/ckan/dataset/{PAKET}/resource/{RID}/download/umkm.csv",
                              query_string={"format": "csv", "v": ""}).respond_with_data(
        CSV_TEXT.encode(), content_type="text/csv")
    ds = dataset()
    m = fetch(ds, httpserver, tmp_path)
    [download] = [r for r, _ in httpserver.log if r.path.endswith("umkm.csv")]
    assert download.headers.get("Authorization") == TOKEN
    assert not requests_to(httpserver, "datastore_search")
    _check_csv_frame(ds, m)


@pytest.mark.parametrize("scheme", ["http:", ""])  # '' : a scheme-relative URL, //host/path
def test_a_file_on_another_host_is_fetched_without_the_token(httpserver, other_host, tmp_path, scheme):
    other_host.expect_request("/unduh/umkm.csv", query_string="id=7").respond_with_data(CSV_TEXT.encode(),
                                                                                        content_type="text/csv")
    url = scheme + other_host.url_for("/unduh/umkm.csv?id=7").removeprefix("http:")
    serve_package(httpserver, package(datastore_active=False, url=url))
    ds = dataset(host_diizinkan=["127.0.0.1"])  # the portal is 'localhost': another host only when the catalog says
    m = fetch(ds, httpserver, tmp_path)
    [(download, _)] = other_host.log
    assert "Authorization" not in download.headers
    assert TOKEN not in str(download.headers) and TOKEN not in download.query_string.decode()
    assert [r.headers.get("Authorization") for r, _ in httpserver.log] == [TOKEN]  # package_show only
    _check_csv_frame(ds, m)


def test_a_custom_key_header_does_not_follow_a_redirect_to_another_host(httpserver, other_host, tmp_path):
    """A portal download answered by a 302 to cloud storage: httpx itself drops only `Authorization` there."""
    other_host.expect_request("/bucket/umkm.csv").respond_with_data(CSV_TEXT.encode(), content_type="text/csv")
    path = f"/ckan/dataset/{PAKET}/resource/{RID}/download/umkm.csv"
    httpserver.expect_request(path).respond_with_response(
        Response(status=302, headers={"Location": other_host.url_for("/bucket/umkm.csv")}))
    serve_package(httpserver, package(datastore_active=False, url=httpserver.url_for(path)))
    fetch(dataset(host_diizinkan=["127.0.0.1"]), httpserver, tmp_path, header="X-CKAN-API-Key")
    assert [r.headers.get("X-CKAN-API-Key") for r, _ in httpserver.log] == [TOKEN, TOKEN]
    [(download, _)] = other_host.log
    assert "X-CKAN-API-Key" not in download.headers


def test_a_resource_without_url_nor_datastore_is_an_error(httpserver, tmp_path):
    serve_package(httpserver, package(datastore_active=False, url=""))
    with pytest.raises(ApiError, match=r"unduh: sumber daya tanpa URL berkas"):
        fetch(dataset(), httpserver, tmp_path)


def test_a_file_url_that_is_not_http_is_refused(httpserver, tmp_path):
    serve_package(httpserver, package(datastore_active=False, url="ftp://files.example/umkm.csv"))
    with pytest.raises(ApiError, match=r"^sumber ckan .*, unduh: URL berkas 'ftp://files.example/umkm.csv' bukan"):
        fetch(dataset(), httpserver, tmp_path)
    assert len(httpserver.log) == 1


# ----------------------------------------------------------------------------------------------- incremental


def test_unchanged_metadata_modified_skips_the_datastore(httpserver, tmp_path):
    serve_package(httpserver)
    serve_datastore(httpserver, umkm_records())
    ds = dataset()
    first = fetch(ds, httpserver, tmp_path)
    assert first["penanda"] == MODIFIED
    published = {first["sha256"]}
    httpserver.clear_log()
    with pytest.raises(TidakBerubah, match=f"tidak berubah menurut portal \\(metadata_modified {MODIFIED}\\)"):
        fetch(ds, httpserver, tmp_path, skip=published)
    assert [r.path for r, _ in httpserver.log] == [ACTION + "package_show"]  # no datastore_search


def test_changed_metadata_modified_is_fetched_again(httpserver, tmp_path):
    serve_package(httpserver)
    serve_datastore(httpserver, umkm_records())
    ds = dataset()
    first = fetch(ds, httpserver, tmp_path)
    httpserver.clear()
    later = "2025-06-01T10:00:00.000000"
    serve_package(httpserver, package(modified=later))
    records = umkm_records()
    records[0]["jumlah_umkm"] = "1.100"
    serve_datastore(httpserver, records)
    second = fetch(ds, httpserver, tmp_path, skip={first["sha256"]})
    assert len(requests_to(httpserver, "datastore_search")) == 1
    assert second["penanda"] == later and second["sha256"] != first["sha256"]
    assert grid_of(ds, second)[1][2] == "1.100"


def test_an_unpublished_fetch_does_not_make_the_next_one_skip(httpserver, tmp_path):
    serve_package(httpserver)
    serve_datastore(httpserver, umkm_records())
    ds = dataset()
    first = fetch(ds, httpserver, tmp_path)
    second = fetch(ds, httpserver, tmp_path)  # the first was never published: fetched again, same raw item
    assert second["raw_path"] == first["raw_path"]
    assert len(requests_to(httpserver, "datastore_search")) == 2


def test_a_datastore_first_table_is_fetched_even_with_unchanged_metadata(httpserver, tmp_path):
    """datastore_upsert changes no resource metadata (ckan/ckan#8980): metadata_modified says nothing there."""
    serve_package(httpserver, package(url_type="datastore"))
    records = umkm_records()
    serve_datastore(httpserver, records)
    ds = dataset()
    first = fetch(ds, httpserver, tmp_path)
    records[0]["jumlah_umkm"] = "1.100"  # an upsert: same metadata_modified
    second = fetch(ds, httpserver, tmp_path, skip={first["sha256"]})
    assert len(requests_to(httpserver, "datastore_search")) == 2
    assert second["sha256"] != first["sha256"] and grid_of(ds, second)[1][2] == "1.100"


@pytest.mark.parametrize("url_type, fetched_again", [("upload", False), (None, True)])
def test_a_linked_file_is_fetched_again_an_uploaded_one_is_not(httpserver, tmp_path, url_type, fetched_again):
    path = f"/ckan/dataset/{PAKET}/resource/{RID}/download/umkm.csv"
    serve_package(httpserver, package(datastore_active=False, url=httpserver.url_for(path), url_type=url_type))
    httpserver.expect_request(path).respond_with_data(CSV_TEXT.encode(), content_type="text/csv")
    ds = dataset()
    first = fetch(ds, httpserver, tmp_path)
    with pytest.raises(NoSourceFiles) as err:
        fetch(ds, httpserver, tmp_path, skip={first["sha256"]})
    downloads = [r for r, _ in httpserver.log if r.path == path]
    assert len(downloads) == (2 if fetched_again else 1)
    assert isinstance(err.value, TidakBerubah) != fetched_again  # else: the same bytes as the published item
