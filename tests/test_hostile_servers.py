"""Hostile servers (issue 21): an API source that answers to break the pipeline, served for real on loopback
(pytest-httpserver, or a raw socket server for a slow drip). Each case must end in a refusal that names its cause
(an ApiError / ApiTidakTersedia in Indonesian), with nothing stored in the lake's raw zone (so nothing can be
standardised or published), in little memory and time:

- bodies: a `gzip, gzip` bomb, an unknown Content-Encoding, one gzip layer inflating past the size limit;
- JSON: nested 100,000 deep, 600,000 members in one array, a key twice, records with 20,000 different names;
- BPS: dimension lists multiplying to 270 million cells;
- CKAN: `total: true`, records past the total;
- SSRF: resource URLs (and a redirect) to 10.0.0.1, 169.254.169.254, fd00::1, a name resolving to the metadata
  address, and 'localhost' on another port when the portal is 127.0.0.1 (refused: hosts are compared by name as
  written; the catalog may name it in `host_diizinkan`, and as the portal itself is on loopback it is then
  fetched). No connection to an internal address is ever attempted (socket.create_connection is watched);
- a slow drip held to `batas_waktu_total`, and every Airflow task with an `execution_timeout`.
"""

from __future__ import annotations

import datetime as dt
import gzip
import ipaddress
import json
import os
import socket
import threading
import time
import tracemalloc

import pytest
import test_api_bps as bps_uji
import test_api_ckan as ckan_uji
import test_api_rest as rest_uji
from werkzeug import Response

from conftest import ROOT
from walidata.publish.lake import Lake
from walidata.sources.api import Tujuan
from walidata.sources.bps import BpsWebApi, decode_data
from walidata.sources.klien import ApiError, ApiTidakTersedia, Batas, Respons
from walidata.sources.koneksi import Koneksi
from walidata.sources.rest import Rest

MB = 1024 * 1024
ZEROS = 50 * MB  # what a bomb inflates to here (the attacker's reached 2 GB; 50 MB is enough to show the limit)


def refused(fn, exc_type=ApiError) -> tuple[str, float]:
    """The refusal's message and the peak of Python memory (MB) while `fn` ran."""
    tracemalloc.start()
    try:
        with pytest.raises(exc_type) as err:
            fn()
        return str(err.value), tracemalloc.get_traced_memory()[1] / MB
    finally:
        tracemalloc.stop()


def raw_items(tmp_path) -> list:
    return list((tmp_path / "lake").rglob("_manifest.json")) + list((tmp_path / "lake").rglob("respons.zip"))


def rest_fetch(httpserver, tmp_path, **sumber):
    ds = rest_uji.dataset(ulang=0, **sumber)  # built outside the memory measured
    return lambda: rest_uji.fetch(ds, httpserver, tmp_path)


# ----------------------------------------------------------------------------------------------- bodies


def test_a_gzip_gzip_bomb_is_refused_before_anything_is_inflated(httpserver, tmp_path):
    bomb = gzip.compress(gzip.compress(bytes(ZEROS)))
    assert len(bomb) < 10_000  # the premise: a few KB on the wire
    httpserver.expect_request(rest_uji.PATH).respond_with_data(
        bomb, content_type="application/json", headers={"Content-Encoding": "gzip, gzip"})
    msg, peak = refused(rest_fetch(httpserver, tmp_path, batas_ukuran_mb=1))
    assert "halaman 1: Content-Encoding berlapis ('gzip, gzip')" in msg and "bom dekompresi" in msg
    assert peak < 20 and len(httpserver.log) == 1 and raw_items(tmp_path) == []


def test_an_unknown_content_encoding_is_refused_not_read_as_it_is(httpserver, tmp_path):
    httpserver.expect_request(rest_uji.PATH).respond_with_data(
        b"\x1b\x00\x00\x00 not json", content_type="application/json", headers={"Content-Encoding": "br"})
    msg, _ = refused(rest_fetch(httpserver, tmp_path))
    assert "Content-Encoding 'br' tidak dikenal: hanya gzip dan deflate yang diterima" in msg
    assert raw_items(tmp_path) == []
    [(request, _)] = httpserver.log
    assert request.headers["Accept-Encoding"] == "gzip, deflate"  # what the client says it can decode


def test_one_gzip_layer_inflating_past_the_limit_is_cut_at_the_limit(httpserver, tmp_path):
    body = gzip.compress(bytes(ZEROS))
    httpserver.expect_request(rest_uji.PATH).respond_with_data(
        body, content_type="application/json", headers={"Content-Encoding": "gzip"})
    msg, peak = refused(rest_fetch(httpserver, tmp_path, batas_ukuran_mb=1))
    assert f"melebihi batas {MB:,} byte setelah didekompresi (Content-Encoding gzip" in msg
    assert peak < 20 and raw_items(tmp_path) == []


def test_a_gzip_body_within_the_limit_is_still_read(httpserver, tmp_path):
    records = rest_uji.rows(3)
    httpserver.expect_request(rest_uji.PATH).respond_with_data(
        gzip.compress(json.dumps(records).encode()), content_type="application/json",
        headers={"Content-Encoding": "gzip"})
    m = rest_fetch(httpserver, tmp_path)()
    assert rest_uji.grid_of(rest_uji.dataset(), m)[1][0] == 1


# ----------------------------------------------------------------------------------------------- JSON


def test_json_nested_100000_deep_is_refused_without_recursion(httpserver, tmp_path):
    httpserver.expect_request(rest_uji.PATH).respond_with_data("[" * 100_000 + "]" * 100_000,
                                                               content_type="application/json")
    msg, _ = refused(rest_fetch(httpserver, tmp_path))
    assert "halaman 1: JSON bersarang lebih dari 64 tingkat; respons ditolak" in msg
    assert raw_items(tmp_path) == []


def test_json_with_600000_members_in_one_array_is_refused(httpserver, tmp_path):
    httpserver.expect_request(rest_uji.PATH).respond_with_data("[" + "0," * 599_999 + "0]",
                                                               content_type="application/json")
    msg, _ = refused(rest_fetch(httpserver, tmp_path))
    assert "JSON terlalu lebar: satu objek atau larik berisi lebih dari 500,000 anggota" in msg
    assert raw_items(tmp_path) == []


def test_the_json_scan_ignores_brackets_and_commas_inside_strings():
    from walidata.sources.klien import bentuk_json

    assert bentuk_json(json.dumps(["[[[[,,,,", '\\"{{{{', "]]]]"]), 2, 3) is None
    assert bentuk_json("[[[]]]", 2, 3) == "JSON bersarang lebih dari 2 tingkat; respons ditolak"


def test_a_key_twice_in_one_object_is_refused_naming_it(httpserver, tmp_path):
    body = '[{"kecamatan": "Kamipang", "tahun": 2024, "jumlah_umkm": 5, "jumlah_umkm": 7}]'
    httpserver.expect_request(rest_uji.PATH).respond_with_data(body, content_type="application/json")
    msg, _ = refused(rest_fetch(httpserver, tmp_path))
    assert "kunci JSON 'jumlah_umkm' muncul lebih dari sekali dalam satu objek" in msg
    assert raw_items(tmp_path) == []


def test_records_each_with_other_field_names_are_refused_before_the_grid_is_built(httpserver, tmp_path):
    records = [{f"k{i}_{j}": 1 for j in range(10)} for i in range(2000)]  # 20,000 names × 2,000 records
    httpserver.expect_request(rest_uji.PATH).respond_with_json(records)
    ds = rest_uji.dataset(ulang=0)
    m = rest_uji.fetch(ds, httpserver, tmp_path)
    msg, peak = refused(lambda: rest_uji.grid_of(ds, m))
    assert "2,000 rekaman dengan 20,000 nama kolom berbeda melewati batas 16,384 kolom" in msg and peak < 100


# ----------------------------------------------------------------------------------------------- BPS


def _wide_bps_body(vervar: int, turvar: int, tahun: int) -> dict:
    return bps_uji._data_body(31, [{"val": 1000 + i, "label": f"Wilayah {i}"} for i in range(vervar)],
                              [{"val": 100 + i, "label": str(1900 + i)} for i in range(tahun)], {"x": 1},
                              turvar=[{"val": 10 + i, "label": f"Rincian {i}"} for i in range(turvar)])


def test_bps_dimensions_multiplying_past_the_cell_cap_are_refused_at_fetch(httpserver, tmp_path):
    raw = json.dumps(_wide_bps_body(3000, 300, 300)).encode()
    assert len(raw) < 200_000  # the premise: a small body
    httpserver.expect_request(bps_uji._data_path(7315, 31)).respond_with_data(raw, content_type="application/json")
    tujuan = Tujuan(wilayah=bps_uji.PINRANG, kode_bps="7315", koneksi=bps_uji._kon(httpserver))
    started = time.monotonic()
    msg, peak = refused(lambda: BpsWebApi().fetch(bps_uji._ds(var=[31], ulang=0), tujuan, Lake(tmp_path / "lake")))
    assert ("data var 31: daftar dimensi menghasilkan 270,000,000 sel (vervar 3,000 × var 1 × turvar 300 × "
            "tahun 300 × turtahun 1), lebih dari batas 1,000,000 sel: tabel tidak dibaca") in msg
    assert time.monotonic() - started < 10 and peak < 50 and raw_items(tmp_path) == []


def test_bps_decoding_a_stored_response_checks_the_cell_cap_too():
    body = _wide_bps_body(20, 10, 10)
    r = Respons(200, json.dumps(body).encode(), {}, {}, "bps_webapi uji", "data var 31", Batas(sel_maks=1000))
    with pytest.raises(ApiError, match=r"2,000 sel \(vervar 20 × var 1 × turvar 10 × tahun 10 × turtahun 1\)"):
        list(decode_data(r))


# ----------------------------------------------------------------------------------------------- CKAN


def _ckan_fault(httpserver, tmp_path, fault) -> str:
    ckan_uji.serve_package(httpserver)
    ckan_uji.serve_datastore(httpserver, ckan_uji.umkm_records(), fault=fault)
    msg, _ = refused(lambda: ckan_uji.fetch(ckan_uji.dataset(ulang=0), httpserver, tmp_path))
    assert raw_items(tmp_path) == []
    return msg


def test_ckan_total_true_is_not_the_count_one(httpserver, tmp_path):
    def fault(n, body):
        body["result"]["total"] = True

    msg = _ckan_fault(httpserver, tmp_path, fault)
    assert "halaman 1 (offset 0): 'total' true bukan bilangan bulat tak negatif" in msg


def test_ckan_records_past_the_total_are_refused(httpserver, tmp_path):
    def fault(n, body):
        body["result"]["total"] = 3

    msg = _ckan_fault(httpserver, tmp_path, fault)
    assert "14 rekaman pada offset 0: lebih dari total 3" in msg and "rekaman di luar total tidak diterima" in msg


# ----------------------------------------------------------------------------------------------- SSRF


@pytest.fixture
def connections(monkeypatch):
    """Every host a connection is opened to; any but loopback is refused on the spot (the test never reaches an
    internal network, even on code that would try). A name `*.internal` resolves to the metadata address."""
    made, connect, resolve = [], socket.create_connection, socket.getaddrinfo

    def create_connection(address, *args, **kwargs):
        made.append(address[0])
        if address[0] not in ("localhost", "127.0.0.1", "::1"):
            raise ConnectionRefusedError(f"test: no connection to {address[0]}")
        return connect(address, *args, **kwargs)

    def getaddrinfo(host, *args, **kwargs):
        if str(host).endswith(".internal"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", 80))]
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", create_connection)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return made


def _ssrf_dataset(allowed: list[str]):
    return ckan_uji.dataset(ulang=0, timeout_sambung=0.5, **({"host_diizinkan": allowed} if allowed else {}))


@pytest.mark.parametrize("url, allowed, reason", [
    ("http://10.0.0.1/umkm.csv", [], "menuju host 10.0.0.1, bukan host koneksi (localhost) dan tidak disebut di "
                                     "host_diizinkan katalog: tidak diambil"),
    ("http://10.0.0.1/umkm.csv", ["10.0.0.1"], "host 10.0.0.1 beralamat 10.0.0.1, jaringan privat (internal): "
                                               "tidak diambil"),
    ("http://169.254.169.254/latest/meta-data/", ["169.254.169.254"], "jaringan link-local (internal)"),
    ("http://[fd00::1]/umkm.csv", ["fd00::1"], "host fd00::1 beralamat fd00::1, jaringan privat"),
    ("http://metadata.internal/umkm.csv", ["metadata.internal"], "beralamat 169.254.169.254, jaringan link-local"),
])
def test_a_resource_url_to_an_internal_address_is_refused_without_connecting(httpserver, tmp_path, connections,
                                                                            url, allowed, reason):
    ckan_uji.serve_package(httpserver, ckan_uji.package(datastore_active=False, url=url))
    msg, _ = refused(lambda: ckan_uji.fetch(_ssrf_dataset(allowed), httpserver, tmp_path))
    assert "unduh berkas: " in msg and reason in msg
    assert set(connections) == {"localhost"} and len(httpserver.log) == 1 and raw_items(tmp_path) == []


def test_a_redirect_from_the_portal_to_the_metadata_address_is_refused(httpserver, tmp_path, connections):
    path = f"/ckan/dataset/{ckan_uji.PAKET}/resource/{ckan_uji.RID}/download/umkm.csv"
    httpserver.expect_request(path).respond_with_response(
        Response(status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/iam"}))
    ckan_uji.serve_package(httpserver, ckan_uji.package(datastore_active=False, url=httpserver.url_for(path)))
    msg, _ = refused(lambda: ckan_uji.fetch(_ssrf_dataset(["169.254.169.254"]), httpserver, tmp_path))
    assert "169.254.169.254/latest/meta-data/iam: host 169.254.169.254 beralamat 169.254.169.254, jaringan " \
           "link-local (internal): tidak diambil" in msg
    assert set(connections) == {"localhost"} and raw_items(tmp_path) == []


def test_localhost_is_another_host_than_a_portal_on_127_0_0_1_unless_the_catalog_names_it(
        httpserver, other_host, tmp_path, connections):
    """The portal is `other_host` (127.0.0.1); its resource is on 'localhost' (the same machine, another name and
    port). Refused by name; named in host_diizinkan it is fetched, loopback being the portal's own network."""
    httpserver.expect_request("/unduh/umkm.csv").respond_with_data(ckan_uji.CSV_TEXT.encode(),
                                                                   content_type="text/csv")
    url = httpserver.url_for("/unduh/umkm.csv")
    assert url.startswith("http://localhost:") and other_host.url_for("/").startswith("http://127.0.0.1:")
    ckan_uji.serve_package(other_host, ckan_uji.package(datastore_active=False, url=url))
    msg, _ = refused(lambda: ckan_uji.fetch(_ssrf_dataset([]), other_host, tmp_path))
    assert "menuju host localhost, bukan host koneksi (127.0.0.1)" in msg and httpserver.log == []
    m = ckan_uji.fetch(_ssrf_dataset(["localhost"]), other_host, tmp_path)
    assert m["halaman"] == 1 and len(httpserver.log) == 1


@pytest.mark.parametrize("address, kind", [("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.1.2.3", "privat"),
                                           ("192.168.0.1", "privat"), ("fd12::1", "privat"),
                                           ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
                                           ("::ffff:10.0.0.1", "privat"), ("0.0.0.0", "cadangan"),
                                           ("100.64.0.1", "cadangan"), ("240.0.0.1", "cadangan"),
                                           ("8.8.8.8", None), ("2001:4860:4860::8888", None)])
def test_every_internal_address_kind_is_recognised(address, kind):
    from walidata.sources.klien import golongan

    assert golongan(ipaddress.ip_address(address)) == kind


# ----------------------------------------------------------------------------------------------- time


class Drip:
    """A server that sends its headers at once, then one byte every 0.2 s for a minute (a slow-drip attack: each
    byte comes well within timeout_baca)."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.stop, self.connections = threading.Event(), 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/api"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn) -> None:
        with conn:
            conn.recv(65536)
            try:
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n[")
                for _ in range(300):
                    if self.stop.wait(0.2):
                        return
                    conn.sendall(b" ")
            except OSError:
                return  # the client gave up


def test_a_slow_drip_is_cut_at_the_overall_deadline(tmp_path):
    server = Drip()
    try:
        ds = rest_uji.dataset(timeout_baca=1, batas_waktu_total=2, ulang=2)
        kon = Koneksi("rest_uji", server.url, password=rest_uji.SECRET, extra={"auth": "bearer"})
        started = time.monotonic()
        msg, _ = refused(lambda: Rest().fetch(ds, Tujuan("62.06", "6209", kon), Lake(tmp_path / "lake")),
                         ApiTidakTersedia)
        took = time.monotonic() - started
    finally:
        server.stop.set()
        server.thread.join(2)  # out of accept() before its socket is closed
        server.sock.close()
    assert "halaman 1: batas waktu total 2 detik untuk satu halaman habis (batas_waktu_total" in msg
    assert took < 4 and server.connections == 1 and raw_items(tmp_path) == []


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(ROOT / "dags"))


def test_every_task_of_every_dag_has_an_execution_timeout(dagbag):
    expected = dt.timedelta(seconds=int(os.environ.get("WALIDATA_EXECUTION_TIMEOUT") or 7200))
    assert dagbag.import_errors == {} and len(dagbag.dags) > 3
    missing = [f"{d.dag_id}.{t.task_id}" for d in dagbag.dags.values() for t in d.tasks
               if t.execution_timeout != expected]
    assert missing == []
