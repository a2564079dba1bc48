"""The HTTP client of the API sources (sources/klien.py) and its connections (sources/koneksi.py), against a real
HTTP server on loopback (pytest-httpserver, or a raw socket server where a fault needs bytes werkzeug will not
send). Waits are kept short: Retry-After of 1-2 s, read timeouts of a quarter second, backoff of milliseconds."""

from __future__ import annotations

import base64
import email.utils
import itertools
import json
import socket
import threading
import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from conftest import ROOT
from walidata.sources.klien import ApiError, ApiTidakTersedia, Batas, Klien, retry_after
from walidata.sources.koneksi import Koneksi, KoneksiTidakAda, from_json, from_uri, koneksi
from walidata.sources.spreadsheet import SourceError

SECRET = "RAHASIA-9f3c2e"
SUMBER = "uji_sumber domain 9999"
WAF_PAGE = ROOT / "tests" / "real" / "api" / "bps_waf_block_simdasi.json"
_ids = itertools.count()


def _kon(url: str, **extra) -> Koneksi:
    """A connection of its own id (the rate limiter keeps state per id) pointing at `url`."""
    login = extra.pop("login", None)
    return Koneksi(f"uji_{next(_ids)}", url.rstrip("/"), login, SECRET, extra)


def _klien(url: str, *, ulang: int = 2, jeda_dasar: float = 0.01, timeout_baca: float = 5.0,
           ukuran_maks: int = 1024 * 1024, **extra) -> Klien:
    batas = Batas(timeout_sambung=2.0, timeout_baca=timeout_baca, ulang=ulang, jeda_dasar=jeda_dasar,
                  jeda_maks=10.0, ukuran_maks=ukuran_maks)
    return Klien(_kon(url, **extra), SUMBER, batas)


def _api(httpserver: HTTPServer) -> str:
    return httpserver.url_for("/api")


@pytest.fixture
def threaded():
    """A server of this test only that answers requests concurrently: a sleeping handler (a slow page) does
    not hold back the retries, and nothing of it outlives the test."""
    server = HTTPServer(threaded=True)
    server.start()
    yield server
    server.clear()
    server.stop()


class RawServer:
    """A socket server that answers each connection with `answer(n)` (n = 1, 2, …) as raw bytes, then closes it:
    for responses an HTTP library will not produce (a Content-Length larger than the body, chunked bodies)."""

    def __init__(self, answer):
        self.answer, self.requests = answer, []
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.stop = threading.Event()
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
            with conn:
                conn.settimeout(2)
                head = b""
                while b"\r\n\r\n" not in head:
                    chunk = conn.recv(4096)
                    if not chunk:
                        break
                    head += chunk
                self.requests.append(head.split(b"\r\n", 1)[0].decode())
                conn.sendall(self.answer(len(self.requests)))

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        self.sock.close()


@pytest.fixture
def raw_server():
    servers = []

    def make(answer) -> RawServer:
        servers.append(RawServer(answer))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


def _http(status: str, headers: dict, body: bytes) -> bytes:
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return f"HTTP/1.1 {status}\r\n{head}Connection: close\r\n\r\n".encode() + body


# ----------------------------------------------------------------------------- retries


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_a_read_is_retried_on_5xx_and_429_then_succeeds(httpserver, status):
    for _ in range(2):
        httpserver.expect_oneshot_request("/api/x").respond_with_data("sibuk", status=status)
    httpserver.expect_request("/api/x").respond_with_json({"ok": status})
    with _klien(_api(httpserver), ulang=3, jeda_dasar=0.02) as k:
        r = k.ambil("x", halaman="halaman 7")
    assert r.status == 200 and r.json() == {"ok": status} and r.halaman == "halaman 7"
    assert [resp.status_code for _, resp in httpserver.log] == [status, status, 200]
    assert len(k.jeda) == 2  # one wait before each retry
    assert all(0 <= w <= 0.02 * 2 ** n for n, w in enumerate(k.jeda))


def test_retry_after_in_seconds_is_honoured(httpserver):
    httpserver.expect_oneshot_request("/api/x").respond_with_data("pelan", status=429, headers={"Retry-After": "1"})
    httpserver.expect_request("/api/x").respond_with_json({"ok": True})
    with _klien(_api(httpserver), jeda_dasar=0.01) as k:
        start = time.monotonic()
        assert k.ambil("x").json() == {"ok": True}
        took = time.monotonic() - start
    assert k.jeda == [1.0] and took >= 1.0  # not the 10 ms backoff
    assert len(httpserver.log) == 2


def test_retry_after_as_an_http_date_is_honoured(httpserver):
    def later(_request):
        when = email.utils.formatdate(time.time() + 2, usegmt=True)  # whole seconds: 1 to 2 s from now
        return Response("pemeliharaan", status=503, headers={"Retry-After": when})

    httpserver.expect_oneshot_request("/api/x").respond_with_handler(later)
    httpserver.expect_request("/api/x").respond_with_json({"ok": True})
    with _klien(_api(httpserver), jeda_dasar=0.01) as k:
        assert k.ambil("x").json() == {"ok": True}
    assert len(k.jeda) == 1 and 0.5 < k.jeda[0] <= 2.5  # the date, not the 10 ms backoff
    assert len(httpserver.log) == 2


def test_without_retry_after_the_waits_follow_the_backoff_and_then_it_gives_up(httpserver):
    httpserver.expect_request("/api/x").respond_with_data("rusak", status=503)
    with _klien(_api(httpserver), ulang=3, jeda_dasar=0.05) as k, pytest.raises(ApiTidakTersedia) as err:
        k.ambil("x", halaman="list/var halaman 3")
    assert len(httpserver.log) == 3 + 1  # the first request and three retries
    assert len(k.jeda) == 3 and all(0 <= w <= 0.05 * 2 ** n for n, w in enumerate(k.jeda))
    msg = str(err.value)
    assert SUMBER in msg and "list/var halaman 3" in msg and "HTTP 503" in msg and "3 kali diulang" in msg
    assert not isinstance(err.value, SourceError)  # a service down is not a bad file: try again later


def test_a_retry_after_longer_than_the_cap_gives_up_at_once(httpserver):
    httpserver.expect_request("/api/x").respond_with_data("", status=503, headers={"Retry-After": "3600"})
    with _klien(_api(httpserver)) as k, pytest.raises(ApiTidakTersedia, match="Retry-After"):
        k.ambil("x")
    assert len(httpserver.log) == 1 and k.jeda == []


@pytest.mark.parametrize("status", [401, 403])
def test_auth_refused_is_not_retried_and_never_shows_the_key(httpserver, status):
    httpserver.expect_request(f"/api/list/key/{SECRET}/").respond_with_data("Invalid key", status=status)
    with _klien(_api(httpserver), auth="bps") as k, pytest.raises(ApiError) as err:
        k.ambil("list/key/{key}/", halaman="list/var halaman 1")
    assert len(httpserver.log) == 1 and k.jeda == []
    msg = str(err.value)
    assert f"HTTP {status}" in msg and k.kon.conn_id in msg and SUMBER in msg and "list/var halaman 1" in msg
    assert SECRET not in msg


def test_other_4xx_is_an_error_naming_the_url_with_the_key_hidden(httpserver):
    httpserver.expect_request(f"/api/view/key/{SECRET}/").respond_with_data("nope", status=404)
    with _klien(_api(httpserver), auth="bps") as k, pytest.raises(ApiError) as err:
        k.ambil("view/key/{key}/")
    assert len(httpserver.log) == 1
    assert "HTTP 404" in str(err.value) and "/view/key/***/" in str(err.value) and SECRET not in str(err.value)


# ----------------------------------------------------------------------------- timeouts and broken pages


def test_a_read_timeout_is_retried_then_succeeds(threaded):
    calls = []

    def slow_once(_request):
        calls.append(time.monotonic())
        if len(calls) == 1:
            time.sleep(1.0)
        return Response(json.dumps({"ok": True}), content_type="application/json")

    threaded.expect_request("/api/x").respond_with_handler(slow_once)
    with _klien(threaded.url_for("/api"), timeout_baca=0.25) as k:
        assert k.ambil("x").json() == {"ok": True}
    assert len(calls) == 2 and len(k.jeda) == 1


def test_a_read_that_always_times_out_fails_after_the_retries(threaded):
    calls = []

    def always_slow(_request):
        calls.append(time.monotonic())
        time.sleep(0.8)
        return Response("terlambat")

    threaded.expect_request("/api/x").respond_with_handler(always_slow)
    with _klien(threaded.url_for("/api"), ulang=2, timeout_baca=0.25) as k, pytest.raises(ApiTidakTersedia) as err:
        k.ambil("x", halaman="data var 1")
    assert len(calls) == 3 and len(k.jeda) == 2
    assert "batas waktu" in str(err.value) and "data var 1" in str(err.value) and SUMBER in str(err.value)


def test_a_truncated_page_is_retried_and_then_reported_as_truncated(raw_server):
    body = b'{"data": [1, 2, 3'  # 17 bytes of the 100 announced, then the connection closes
    server = raw_server(lambda n: _http("200 OK", {"Content-Type": "application/json", "Content-Length": "100"},
                                       body))
    with _klien(server.url, ulang=2) as k, pytest.raises(ApiTidakTersedia) as err:
        k.ambil("x", halaman="halaman 4")
    assert len(server.requests) == 3 and len(k.jeda) == 2
    assert "terpotong" in str(err.value) and "halaman 4" in str(err.value)


def test_a_truncated_page_then_a_whole_one_succeeds(raw_server):
    whole = json.dumps({"data": [1, 2, 3]}).encode()

    def answer(n):
        if n == 1:
            return _http("200 OK", {"Content-Length": str(len(whole))}, whole[:5])
        return _http("200 OK", {"Content-Type": "application/json", "Content-Length": str(len(whole))}, whole)

    server = raw_server(answer)
    with _klien(server.url) as k:
        assert k.ambil("x").json() == {"data": [1, 2, 3]}
    assert len(server.requests) == 2


def test_malformed_json_names_source_page_and_position(httpserver):
    httpserver.expect_request("/api/x").respond_with_data('{"a": 1,, "b": 2}', content_type="application/json")
    with _klien(_api(httpserver)) as k:
        r = k.ambil("x", halaman="list/th halaman 2")
    with pytest.raises(ApiError) as err:
        r.json()
    msg = str(err.value)
    assert msg.startswith(f"sumber {SUMBER}, list/th halaman 2: ") and "JSON rusak di posisi 8" in msg
    assert len(httpserver.log) == 1


@pytest.mark.parametrize("body", [
    b'{"data": [1, 2, 3',  # cut between values
    b'{"label": "Kabupaten Katingan dan sekitarnya',  # cut inside a string
    '{"label": "Kecamatan Katingan Hilir", "x": "Mendawai é'.encode()[:-1],  # cut inside a 2-byte character
    '{"nama": "Kab. Kuantan Singingi — Riau", "n": [1, 2'.encode(),  # non-ASCII before the cut
])
def test_a_json_body_cut_short_is_reported_as_truncated(body):
    from walidata.sources.klien import Respons

    with pytest.raises(ApiError, match="JSON terpotong") as err:
        Respons(200, body, {}, {}, SUMBER, "halaman 2").json()
    assert SUMBER in str(err.value) and "halaman 2" in str(err.value)


def test_the_bps_waf_block_page_is_html_not_json(httpserver):
    httpserver.expect_request("/api/x").respond_with_data(WAF_PAGE.read_bytes(), content_type="application/json")
    with _klien(_api(httpserver)) as k:
        r = k.ambil("x", halaman="data var 2207")
    with pytest.raises(ApiError) as err:
        r.json()
    assert "HTML, bukan JSON" in str(err.value) and "data var 2207" in str(err.value) and SUMBER in str(err.value)


def test_a_response_over_the_size_limit_by_content_length_is_refused_without_retry(httpserver):
    httpserver.expect_request("/api/x").respond_with_data(b"x" * 5000)
    with _klien(_api(httpserver), ukuran_maks=1000) as k, pytest.raises(ApiError) as err:
        k.ambil("x", halaman="halaman 1")
    assert "5,000 byte melebihi batas 1,000" in str(err.value) and "halaman 1" in str(err.value)
    assert len(httpserver.log) == 1 and k.jeda == []


def test_a_streamed_response_over_the_size_limit_is_refused_without_retry(raw_server):
    chunks = b"".join(b"3e8\r\n" + b"y" * 1000 + b"\r\n" for _ in range(5)) + b"0\r\n\r\n"  # 5 × 1000 bytes
    server = raw_server(lambda n: _http("200 OK", {"Transfer-Encoding": "chunked"}, chunks))
    import httpx

    assert "content-length" not in httpx.get(server.url).headers  # the premise: no size announced
    server.requests.clear()
    with _klien(server.url, ukuran_maks=2500) as k, pytest.raises(ApiError) as err:
        k.ambil("x")
    assert "melebihi batas 2,500 byte" in str(err.value)
    assert len(server.requests) == 1 and k.jeda == []


def test_a_body_that_cannot_be_decoded_is_an_api_error_not_an_httpx_one(httpserver):
    httpserver.expect_request("/api/x").respond_with_data(b"bukan gzip", headers={"Content-Encoding": "gzip"})
    with _klien(_api(httpserver)) as k, pytest.raises(ApiError, match="Content-Encoding") as err:
        k.ambil("x", halaman="halaman 1")
    assert SUMBER in str(err.value) and len(httpserver.log) == 1


def test_a_redirect_loop_is_an_api_error(httpserver):
    httpserver.expect_request("/api/x").respond_with_data("", status=302, headers={"Location": "/api/x"})
    with _klien(_api(httpserver)) as k, pytest.raises(ApiError, match="pengalihan"):
        k.ambil("x")


# ----------------------------------------------------------------------------- rate limit


def test_the_rate_limit_spaces_requests(httpserver):
    httpserver.expect_request("/api/x").respond_with_json({})
    with _klien(_api(httpserver), per_detik=5) as k:
        start = time.monotonic()
        for _ in range(6):
            k.ambil("x")
        took = time.monotonic() - start
    assert took >= 1.0 and len(httpserver.log) == 6  # 5 per second: the 6th request starts 1 s after the 1st
    with _klien(_api(httpserver)) as k:  # no limit: the same requests are quick
        start = time.monotonic()
        for _ in range(6):
            k.ambil("x")
        assert time.monotonic() - start < 0.9


# ----------------------------------------------------------------------------- credentials


def _basic(login: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()


@pytest.mark.parametrize("extra, path, header, value, query", [
    ({"auth": "bearer"}, "/api/x", "Authorization", f"Bearer {SECRET}", {}),
    ({"auth": "api_key", "header": "X-API-Key"}, "/api/x", "X-API-Key", SECRET, {}),
    ({"auth": "api_key"}, "/api/x", "Authorization", SECRET, {}),
    ({"auth": "api_key", "param": "api_key"}, "/api/x", None, None, {"api_key": SECRET}),
    ({"auth": "basic", "login": "budi"}, "/api/x", "Authorization", _basic("budi", SECRET), {}),
    ({"auth": "bps"}, f"/api/x/key/{SECRET}/", None, None, {}),
])
def test_each_auth_kind_sends_the_secret_where_it_belongs_and_records_stars(httpserver, extra, path, header,
                                                                             value, query):
    httpserver.expect_request(path).respond_with_json({"ok": True})
    target = "x/key/{key}/" if extra["auth"] == "bps" else "x"
    with _klien(_api(httpserver), **dict(extra)) as k:
        r = k.ambil(target, params={"tahun": 2024})
    (request, _), = httpserver.log
    assert request.path == path and dict(request.args) == {"tahun": "2024", **query}
    if header:
        assert request.headers.get(header) == value
    secret_headers = [h.lower() for h, v in request.headers.items() if SECRET in v or (value and v == value)]
    assert secret_headers == ([header.lower()] if header else [])  # nowhere else
    recorded = json.dumps(r.permintaan)
    assert SECRET not in recorded and r.permintaan["params"]["tahun"] == "2024"
    if query:
        assert r.permintaan["params"]["api_key"] == "***"
    if extra["auth"] == "bps":
        assert r.permintaan["url"].endswith("/api/x/key/***/")


def test_a_key_with_url_characters_stays_in_its_path_slot_and_out_of_the_record(httpserver):
    odd = "a/b#c?d e"
    httpserver.expect_request("/api/x/key/a/b#c?d e/").respond_with_json({"ok": True})
    kon = Koneksi("uji_odd", _api(httpserver), None, odd, {"auth": "bps"})
    with Klien(kon, SUMBER, Batas(ulang=0)) as k:
        r = k.ambil("x/key/{key}/")
    (request, _), = httpserver.log
    assert request.path == "/api/x/key/a/b#c?d e/" and r.json() == {"ok": True}
    assert "%2F" in request.environ["RAW_URI"] or "%2f" in request.environ["RAW_URI"]
    assert r.permintaan["url"].endswith("/api/x/key/***/") and "a%2Fb" not in json.dumps(r.permintaan)


@pytest.mark.parametrize("extra, header", [({"auth": "api_key", "header": "X-API-Key"}, "X-API-Key"),
                                           ({"auth": "bearer"}, "Authorization")])
def test_a_redirect_to_another_host_does_not_carry_the_key(httpserver, extra, header):
    other = HTTPServer(port=0)
    other.start()
    try:
        other.expect_request("/lain").respond_with_json({"ok": True})
        httpserver.expect_request("/api/x").respond_with_data("", status=302,
                                                              headers={"Location": other.url_for("/lain")})
        httpserver.expect_request("/api/sini").respond_with_data("", status=302, headers={"Location": "/api/y"})
        httpserver.expect_request("/api/y").respond_with_json({"ok": "sama"})
        with _klien(_api(httpserver), **extra) as k:
            assert k.ambil("x").json() == {"ok": True}
            assert k.ambil("sini").json() == {"ok": "sama"}
        (moved, _), = other.log
        assert header not in moved.headers and SECRET not in str(dict(moved.headers))
        assert SECRET in httpserver.log[-1][0].headers[header]  # the same host keeps it
    finally:
        other.stop()


# ----------------------------------------------------------------------------- writes


def test_kirim_posts_json_once(httpserver):
    httpserver.expect_request("/api/action/datastore_upsert", method="POST",
                              json={"records": [{"a": 1}]}).respond_with_json({"success": True})
    with _klien(_api(httpserver), auth="api_key") as k:
        r = k.kirim("action/datastore_upsert", {"records": [{"a": 1}]}, "upsert 1")
    assert r.json() == {"success": True} and r.permintaan["metode"] == "POST"
    assert httpserver.log[0][0].headers["Authorization"] == SECRET


def test_kirim_is_not_retried_on_503(httpserver):
    httpserver.expect_request("/api/action/datastore_upsert", method="POST").respond_with_data("", status=503)
    with _klien(_api(httpserver), ulang=4) as k, pytest.raises(ApiTidakTersedia) as err:
        k.kirim("action/datastore_upsert", {"records": []}, "upsert 2")
    assert len(httpserver.log) == 1 and k.jeda == []
    assert "HTTP 503" in str(err.value) and "upsert 2" in str(err.value) and "tidak diulang" in str(err.value)


def test_kirim_is_not_retried_on_a_timeout(threaded):
    calls = []

    def slow(_request):
        calls.append(1)
        time.sleep(0.8)
        return Response("{}")

    threaded.expect_request("/api/action/datastore_upsert", method="POST").respond_with_handler(slow)
    with _klien(threaded.url_for("/api"), ulang=4, timeout_baca=0.25) as k, pytest.raises(ApiTidakTersedia) as err:
        k.kirim("action/datastore_upsert", {"records": []}, "upsert 3")
    time.sleep(0.3)  # a retry, had there been one, would have arrived by now
    assert calls == [1] and k.jeda == []
    assert "tidak diulang" in str(err.value) and "upsert 3" in str(err.value)


# ----------------------------------------------------------------------------- retry_after


def test_retry_after_parses_seconds_dates_and_refuses_garbage():
    now = 1_700_000_000.0
    assert retry_after("120") == 120.0 and retry_after(" 3 ") == 3.0 and retry_after("0") == 0.0
    assert retry_after(email.utils.formatdate(now + 30, usegmt=True), now=now) == pytest.approx(30.0)
    assert retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0  # past: no wait
    naive = email.utils.formatdate(now + 30).rsplit(" ", 1)[0] + " -0000"  # '-0000': UTC, not local time
    assert retry_after(naive, now=now) == pytest.approx(30.0)
    for garbage in (None, "", "soon", "1.5", "-3", "²", "Mon, 99 Foo 2024 99:99:99 GMT"):
        assert retry_after(garbage) is None, garbage


# ----------------------------------------------------------------------------- connections


def test_from_json_reads_host_schema_port_and_extra():
    k = from_json("bps_webapi", json.dumps({"conn_type": "http", "host": "https://webapi.bps.go.id/v1/api/",
                                            "password": SECRET, "extra": '{"auth": "bps", "per_detik": 5}'}))
    assert (k.url, k.password, k.auth, k.per_detik) == ("https://webapi.bps.go.id/v1/api", SECRET, "bps", 5.0)
    k = from_json("ckan_x", json.dumps({"conn_type": "http", "host": "data.example.go.id", "schema": "http",
                                        "port": 8080, "password": SECRET, "extra": {}}))
    assert (k.url, k.auth, k.secret) == ("http://data.example.go.id:8080", "api_key", SECRET)
    assert from_json("r", json.dumps({"host": "api.example.id"})).url == "https://api.example.id"
    with pytest.raises(KoneksiTidakAda, match="host"):
        from_json("kosong", json.dumps({"password": SECRET}))


def test_from_uri_reads_credentials_path_and_extra():
    k = from_uri("bps_webapi", f"http://budi:{SECRET.replace('-', '%2D')}%40x@127.0.0.1:8080/bps/v1/api"
                                "?auth=bps&per_detik=5")
    assert k.url == "http://127.0.0.1:8080/bps/v1/api" and k.login == "budi" and k.password == SECRET + "@x"
    assert k.extra == {"auth": "bps", "per_detik": "5"} and k.per_detik == 5.0
    k = from_uri("ckan_x", "ckan://data.example.go.id/portal?__extra__=%7B%22auth%22%3A+%22bearer%22%7D")
    assert k.url == "https://data.example.go.id/portal" and k.auth == "bearer"


def test_koneksi_resolves_the_environment_in_json_and_uri_form(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_UJI_JSON", json.dumps({"host": "https://a.example.id/api", "password": SECRET,
                                                            "extra": {"auth": "bearer"}}))
    monkeypatch.setenv("AIRFLOW_CONN_UJI_URI", f"https://:{SECRET}@b.example.id/v1?auth=bps")
    a, b = koneksi("uji_json"), koneksi("uji_uri")
    assert (a.conn_id, a.url, a.auth, a.secret) == ("uji_json", "https://a.example.id/api", "bearer", SECRET)
    assert (b.url, b.auth, b.secret) == ("https://b.example.id/v1", "bps", SECRET)


def test_a_connection_never_prints_its_secrets():
    k = Koneksi("uji", "https://x.example.id", "budi", SECRET, {"auth": "basic", "api_key": "KUNCI-LAIN",
                                                                 "token": "TOKEN-LAIN"})
    for text in (repr(k), str(k), f"{k}", f"{k!r}"):
        assert SECRET not in text and "KUNCI-LAIN" not in text and "TOKEN-LAIN" not in text
    assert "uji" in str(k) and "https://x.example.id" in str(k)
    assert k.rahasia() == sorted([SECRET, "KUNCI-LAIN", "TOKEN-LAIN"], key=lambda s: (-len(s), s))


def test_an_undefined_connection_says_which_variable_to_set(monkeypatch):
    monkeypatch.delenv("AIRFLOW_CONN_UJI_TIDAK_ADA", raising=False)
    with pytest.raises(KoneksiTidakAda) as err:
        koneksi("uji_tidak_ada")
    assert "AIRFLOW_CONN_UJI_TIDAK_ADA" in str(err.value) and "uji_tidak_ada" in str(err.value)


def test_an_unreadable_connection_variable_is_named_without_its_value(monkeypatch):
    monkeypatch.setenv("AIRFLOW_CONN_UJI_RUSAK", '{"host": "x", "password": "' + SECRET + '"')  # unclosed JSON
    with pytest.raises(KoneksiTidakAda) as err:
        koneksi("uji_rusak")
    assert "AIRFLOW_CONN_UJI_RUSAK" in str(err.value) and SECRET not in str(err.value)


def test_an_unknown_auth_kind_is_refused_when_the_client_is_made():
    with pytest.raises(ValueError, match="extra.auth 'oauth'"):
        Klien(Koneksi("uji", "https://x.example.id", None, SECRET, {"auth": "oauth"}), SUMBER)
