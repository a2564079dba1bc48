"""The HTTP client of every API source: httpx with explicit timeouts, retries that honour Retry-After, a rate
limit per connection, a size limit per response, and errors that name the source and the page.

- A read is retried on a timeout, a dropped or truncated connection, 429 and 5xx, with exponential backoff and
  full jitter, or after the server's Retry-After (seconds or an HTTP date) when it gives one. When the retries
  are spent: `ApiTidakTersedia` (the run may be tried again later; Airflow's task retries do that).
- 401/403 are never retried (`ApiError`: the key is wrong or lacks the right), nor other 4xx, malformed JSON,
  or a response over the size limit.
- A write (`kirim`) is never retried: a CKAN upsert that timed out may have landed; the caller decides.
- Credentials are applied here and nowhere else; what is recorded of a request (`Permintaan`) and every message
  carry the URL with each secret replaced by `***`. httpx's own request log (which prints URLs, BPS keys
  included) is kept quiet.
- Hostile servers (issue 21, tests/test_hostile_servers.py): the body is read raw and decoded here (`_Dekoder`:
  one layer of gzip or deflate, stacked or unknown encodings refused), the size limit counting the bytes as sent
  and again as decoded, so a small bomb never inflates in memory; JSON is scanned for depth and width before it
  is parsed (no recursion) and a key twice in one object is refused; one page, its retries and waits included,
  gets `batas_waktu_total` seconds (every timeout of a request is cut to the time left), then
  `ApiTidakTersedia`; every request and redirect goes only to the connection's host (for a CKAN file, the
  portal's: `asal`) or a host the catalog names (`host_diizinkan`), and never to a loopback, private,
  link-local or reserved address unless the connection's own host is on that kind of network: checked before
  connecting, by resolving the name (the connection then resolves it again: a DNS answer that changes in
  between is not caught here).
"""

from __future__ import annotations

import datetime
import email.utils
import ipaddress
import json
import logging
import random
import re
import socket
import threading
import time
import zlib
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, urljoin, urlsplit

import httpx

from walidata.sources.koneksi import Koneksi
from walidata.sources.spreadsheet import SourceError

log = logging.getLogger(__name__)
for _name in ("httpx", "httpcore"):  # they log every URL at INFO/DEBUG: a BPS key sits in the URL's path
    logging.getLogger(_name).setLevel(logging.WARNING)

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
KEY_SLOT = "{key}"  # in a BPS path: where the connection's key goes
USER_AGENT = "walidata (Satu Data; statistik sektoral)"
MAX_RETRY_AFTER = 300.0  # seconds: a longer Retry-After fails the run instead of holding a worker for hours
ACCEPT_ENCODING = "gzip, deflate"  # what _Dekoder decodes; asked explicitly, whatever httpx could decode itself


class ApiError(SourceError):
    """A response the pipeline cannot use as it is (auth refused, malformed or truncated JSON, a pagination loop,
    too many pages, too large): retrying does not help. Names the source and the page."""

    def __init__(self, sumber: str, halaman: str, message: str):
        ValueError.__init__(self, f"sumber {sumber}, {halaman}: {message}")
        self.file, self.sheet, self.row, self.column, self.reason = sumber, halaman, None, None, message


class ApiTidakTersedia(RuntimeError):
    """The service did not answer usably after every retry (timeouts, 5xx, 429): try again later."""


@dataclass
class Batas:
    """The limits of one source's requests (from its catalog entry)."""

    timeout_sambung: float = 10.0
    timeout_baca: float = 60.0
    ulang: int = 4
    jeda_dasar: float = 0.5  # backoff: jeda_dasar × 2^attempt, full jitter
    jeda_maks: float = 30.0
    ukuran_maks: int = 20 * 1024 * 1024  # bytes per response, as sent and again once decoded (gzip)
    batas_waktu_total: float = 300.0  # seconds for one page: every attempt, read and wait (a slow drip is cut)
    host_diizinkan: tuple[str, ...] = ()  # hosts besides the connection's that a request or redirect may reach
    kedalaman_json: int = 64  # nesting levels of a JSON body
    anggota_json: int = 500_000  # members of one JSON object or array
    sel_maks: int = 1_000_000  # cells a BPS model=data response may decode to (the product of its dimensions)

    @classmethod
    def dari(cls, src) -> Batas:
        return cls(timeout_sambung=src.timeout_sambung, timeout_baca=src.timeout_baca, ulang=src.ulang,
                   ukuran_maks=int(src.batas_ukuran_mb * 1024 * 1024), batas_waktu_total=src.batas_waktu_total,
                   host_diizinkan=tuple(src.host_diizinkan))


@dataclass
class Respons:
    status: int
    body: bytes
    headers: dict[str, str]
    permintaan: dict  # method, url and params as sent, secrets replaced by ***
    sumber: str
    halaman: str
    batas: Batas = field(default_factory=Batas)  # the JSON and cell limits (a replay gets the defaults)

    def json(self):
        """The body as JSON; anything else is an ApiError naming the source and page. Refused before parsing: a
        body nested deeper than `batas.kedalaman_json` or with a container of more than `batas.anggota_json`
        members (found by a scan, without recursion); while parsing: a key twice in one object."""
        try:
            text = self.body.decode(json.detect_encoding(self.body))
        except UnicodeDecodeError as exc:
            if exc.reason == "unexpected end of data":  # the body stops inside a multi-byte character
                raise ApiError(self.sumber, self.halaman, f"JSON terpotong: berakhir di tengah karakter "
                                                          f"({len(self.body)} byte diterima)") from None
            raise ApiError(self.sumber, self.halaman, f"respons bukan teks UTF-8 ({exc.reason})") from None
        why = bentuk_json(text, self.batas.kedalaman_json, self.batas.anggota_json)
        if why:
            raise ApiError(self.sumber, self.halaman, why)
        try:
            return json.loads(text, object_pairs_hook=_tanpa_kunci_ganda)
        except _KunciGanda as exc:
            raise ApiError(self.sumber, self.halaman, f"kunci JSON {exc.args[0]!r} muncul lebih dari sekali dalam "
                                                      f"satu objek: nilai mana yang benar tidak dapat dipastikan; "
                                                      f"respons ditolak") from None
        except json.JSONDecodeError as exc:
            head = self.body[:200].lstrip().lower()
            if head.startswith((b"<!doctype", b"<html")):
                why = "server mengirim halaman HTML, bukan JSON (halaman galat atau blokir WAF)"
            elif exc.pos >= len(text.rstrip()) - 1 or exc.msg.startswith("Unterminated string"):
                # positions count characters, not bytes; a body cut inside a string is reported at its start
                why = f"JSON terpotong: berakhir di posisi {exc.pos} ({len(self.body)} byte diterima)"
            else:
                why = f"JSON rusak di posisi {exc.pos}: {exc.msg}"
            raise ApiError(self.sumber, self.halaman, why) from None


_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')  # a JSON string, escapes included
_BUKAN_STRUKTUR = bytes(range(256)).translate(None, b"[]{},")  # every byte but brackets and commas
_WADAH_DALAM = re.compile(rb"\[,*\]|\{,*\}")  # an innermost container, its commas inside


def bentuk_json(text: str, kedalaman_maks: int, anggota_maks: int) -> str | None:
    """Why a JSON text is too deep or too wide for the limits, read from its brackets and commas outside strings,
    without recursion: pass after pass takes the innermost containers away (C-speed substitutions; a pass per
    level, at most `kedalaman_maks`), and a container's members show as a run of commas once its children are
    gone. None when the text is within the limits."""
    if text.count("[") + text.count("{") <= kedalaman_maks and text.count(",") < anggota_maks:
        return None  # the usual case: too few brackets to be too deep, too few commas to be too wide
    marks = _STRING.sub('""', text).encode("utf-8", "surrogatepass").translate(None, _BUKAN_STRUKTUR)
    wide = b"," * anggota_maks if marks.count(b",") >= anggota_maks else None
    deep = f"JSON bersarang lebih dari {kedalaman_maks} tingkat; respons ditolak"
    for _ in range(kedalaman_maks):
        if wide and wide in marks:
            break
        marks, taken = _WADAH_DALAM.subn(b"", marks)
        if not taken:
            break
    else:
        if _WADAH_DALAM.search(marks):
            return deep
    if wide and wide in marks:
        return f"JSON terlalu lebar: satu objek atau larik berisi lebih dari {anggota_maks:,} anggota; respons ditolak"
    if marks.count(b"[") + marks.count(b"{") > kedalaman_maks:  # left open (a body cut short): still too deep
        return deep
    return None


class _KunciGanda(ValueError):
    """A key twice in one JSON object (json.loads would keep the last value silently)."""


def _tanpa_kunci_ganda(pairs: list[tuple]) -> dict:
    d = dict(pairs)
    if len(d) != len(pairs):
        seen = set()
        raise _KunciGanda(next(k for k, _ in pairs if k in seen or seen.add(k)))
    return d


class _Pembatas:
    """At most `per_detik` requests per second per connection, shared by every client of the process."""

    _locks: dict[str, threading.Lock] = {}
    _next: dict[str, float] = {}
    _guard = threading.Lock()

    @classmethod
    def tunggu(cls, conn_id: str, per_detik: float | None) -> None:
        if not per_detik:
            return
        with cls._guard:
            lock = cls._locks.setdefault(conn_id, threading.Lock())
        with lock:
            now = time.monotonic()
            at = max(now, cls._next.get(conn_id, 0.0))
            cls._next[conn_id] = at + 1.0 / per_detik
        if at > now:
            time.sleep(at - now)


class _Ditolak(Exception):
    """Raised inside a request (its hook, the body's decoder): the message becomes an ApiError naming the page."""


class _Tenggat(Exception):
    """The page's overall deadline (batas_waktu_total) passed while its body was read."""


class _Dekoder:
    """A body decoded as its Content-Encoding says (one layer of gzip or deflate, or none), the decoded bytes
    counted against the size limit as they come out: a small compressed body never inflates past the limit in
    memory. Stacked codings ('gzip, gzip': each layer multiplies) and unknown ones are refused."""

    def __init__(self, header: str, limit: int):
        codings = [c.strip().lower() for c in header.split(",") if c.strip().lower() not in ("", "identity")]
        if len(codings) > 1:
            raise _Ditolak(f"Content-Encoding berlapis ({header.strip()!r}): hanya satu lapis gzip atau deflate "
                           f"yang diterima (kompresi bertumpuk adalah ciri bom dekompresi); respons ditolak")
        if codings and codings[0] not in ("gzip", "x-gzip", "deflate"):
            raise _Ditolak(f"Content-Encoding {codings[0]!r} tidak dikenal: hanya gzip dan deflate yang diterima; "
                           f"respons ditolak")
        self.kind = codings[0] if codings else None
        self.limit, self.size, self.out, self.raw_deflate = limit, 0, [], False
        self.z = zlib.decompressobj(zlib.MAX_WBITS if self.kind == "deflate" else 16 + zlib.MAX_WBITS)

    def _add(self, piece: bytes) -> None:
        self.size += len(piece)
        if self.size > self.limit:
            raise _Ditolak(f"respons melebihi batas {self.limit:,} byte setelah didekompresi (Content-Encoding "
                           f"{self.kind}; batas_ukuran_mb): bom dekompresi?")
        self.out.append(piece)

    def feed(self, data: bytes) -> None:
        if self.kind is None:
            return self._add(data)
        while data:
            if self.z.eof:  # a further gzip member (RFC 1952 allows several); deflate has one stream
                if self.kind == "deflate":
                    raise _Ditolak("isi respons tidak dapat didekode menurut Content-Encoding (data setelah akhir "
                                   "aliran deflate)")
                self.z = zlib.decompressobj(16 + zlib.MAX_WBITS)
            try:
                piece = self.z.decompress(data, self.limit - self.size + 1)  # never 0: that means "no limit"
            except zlib.error as exc:
                if self.kind != "deflate" or self.size or self.raw_deflate:
                    raise _Ditolak(f"isi respons tidak dapat didekode menurut Content-Encoding ({exc})") from None
                self.z, self.raw_deflate = zlib.decompressobj(-zlib.MAX_WBITS), True  # deflate without zlib header
                continue
            self._add(piece)
            data = self.z.unconsumed_tail or self.z.unused_data
        return None

    def finish(self) -> bytes:
        if self.kind is not None:
            self._add(self.z.flush())
        return b"".join(self.out)


GOLONGAN = ("loopback", "privat", "link-local", "cadangan")


def golongan(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """The kind of a non-public address ('loopback', 'privat', 'link-local', 'cadangan'), None for a public one."""
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"  # 169.254.169.254: the cloud's metadata service
    if ip.is_unspecified or ip.is_multicast or ip.is_reserved:
        return "cadangan"
    if ip.is_private:
        return "privat"
    return None if ip.is_global else "cadangan"


def alamat(host: str, port: int | None) -> list:
    """Every address `host` resolves to (an IP literal is itself); [] when it does not resolve (the connection
    then fails by itself)."""
    host = host.strip("[]")
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return []
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():  # str.isdigit alone accepts '²', which float() refuses
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # '-0000': an HTTP date is always UTC, never the machine's local time
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, when.timestamp() - (now if now is not None else time.time()))


@dataclass
class Klien:
    """Requests to one connection for one source; `sumber` names it in every message."""

    kon: Koneksi
    sumber: str
    batas: Batas = field(default_factory=Batas)
    jeda: list[float] = field(default_factory=list)  # every wait before a retry, in seconds (for the log)
    asal: str | None = None  # the URL whose host decides where requests may go (default: the connection's)

    def __post_init__(self):
        b = self.batas
        auth = httpx.BasicAuth(self.kon.login or "", self.kon.password or "") if self.kon.auth == "basic" else None
        self._golongan_asal: set[str] | None = None
        self.http = httpx.Client(
            base_url=self.kon.url + "/", auth=auth, follow_redirects=True,
            headers={**self._headers(), "Accept-Encoding": ACCEPT_ENCODING},
            timeout=httpx.Timeout(connect=b.timeout_sambung, read=b.timeout_baca, write=b.timeout_baca,
                                  pool=b.timeout_sambung),
            event_hooks={"request": [self._tujuan_diizinkan, self._same_origin_only]})

    def _tujuan_diizinkan(self, request: httpx.Request) -> None:
        """Every request, redirects included, goes to the origin's host (`asal`, else the connection's) or to one
        named in `host_diizinkan`; and never, whatever the catalog says, to a loopback, private, link-local or
        reserved address unless the origin's own host is of that kind (a portal on loopback or an internal
        network may fetch its own files). Refused before any connection is made."""
        origin = httpx.URL(self.asal or self.kon.url)
        host, own = (request.url.host or "").lower(), (origin.host or "").lower()
        if host == own:
            return
        shown = self.redact(str(request.url))[:200]
        if host not in {h.strip("[]").lower() for h in self.batas.host_diizinkan}:
            raise _Ditolak(f"{shown} menuju host {host}, bukan host koneksi ({own}) dan tidak disebut di "
                           f"host_diizinkan katalog: tidak diambil")
        if self._golongan_asal is None:
            self._golongan_asal = {golongan(ip) for ip in alamat(own, origin.port)} - {None}
        for ip in alamat(host, request.url.port):
            kind = golongan(ip)
            if kind and kind not in self._golongan_asal:
                raise _Ditolak(f"{shown}: host {host} beralamat {ip}, jaringan {kind} (internal): tidak diambil; "
                               f"hanya alamat publik yang boleh, kecuali jaringan host koneksi sendiri")

    def _same_origin_only(self, request: httpx.Request) -> None:
        """A redirect to another host never carries the API key header (httpx drops only Authorization)."""
        base = httpx.URL(self.kon.url)
        if (request.url.scheme, request.url.host, request.url.port) != (base.scheme, base.host, base.port):
            for name in self._headers():
                if name not in ("User-Agent", "Accept"):
                    request.headers.pop(name, None)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> Klien:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _headers(self) -> dict[str, str]:
        h = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        kind, secret = self.kon.auth, self.kon.secret
        if kind == "bearer" and secret:
            h["Authorization"] = f"Bearer {secret}"
        elif kind == "api_key" and secret and not self.kon.extra.get("param"):
            h[self.kon.extra.get("header") or "Authorization"] = secret
        return h

    def di_bawah(self, url: str, dari: str | None = None) -> tuple[str, dict] | None:
        """A URL (absolute, '//host/…', or relative to the page `dari`) as (path under the connection's base URL,
        query parameters) when it is on the connection's own origin, where its credentials may go; None when it
        is elsewhere. The query travels as parameters: httpx replaces a query written in the path by the
        parameters it is given."""
        base = urlsplit(self.kon.url)
        there = urlsplit(urljoin(dari or self.kon.url + "/", url))
        if (there.scheme, there.netloc) != (base.scheme, base.netloc):
            return None
        path = there.path[len(base.path):] if there.path.startswith(base.path) else there.path
        return path.lstrip("/"), dict(parse_qsl(there.query, keep_blank_values=True))

    def redact(self, text: str) -> str:
        for s in self.kon.rahasia():
            text = text.replace(s, "***").replace(quote(s, safe=""), "***")
        return text

    def _target(self, path: str, params: dict | None) -> tuple[str, dict]:
        params = {k: v for k, v in (params or {}).items() if v is not None}
        if KEY_SLOT in path:
            path = path.replace(KEY_SLOT, quote(self.kon.secret or "", safe=""))  # '/', '#', '?' stay in the slot
        elif self.kon.auth == "api_key" and self.kon.extra.get("param") and self.kon.secret:
            params[self.kon.extra["param"]] = self.kon.secret
        return path.lstrip("/"), params

    def _record(self, method: str, url: str, params: dict) -> dict:
        shown = {k: self.redact(str(v)) for k, v in params.items()}
        return {"metode": method, "url": self.redact(url), "params": shown}

    def ambil(self, path: str, params: dict | None = None, halaman: str = "halaman 1",
              headers: dict | None = None) -> Respons:
        """GET, retried as the module says; a 304 (not modified) is returned, other non-2xx raise."""
        target, sent = self._target(path, params)
        record = self._record("GET", self.kon.url + "/" + target, sent)
        tenggat = time.monotonic() + self.batas.batas_waktu_total
        for attempt in range(self.batas.ulang + 1):
            last = attempt == self.batas.ulang
            try:
                r, content = self._send("GET", target, sent, None, headers, halaman, tenggat)
            except _Tenggat:
                raise ApiTidakTersedia(self._habis(halaman, "isi respons belum selesai diterima")) from None
            except httpx.TimeoutException as exc:
                self._wait_or_give_up(attempt, last, None, halaman, f"batas waktu habis ({type(exc).__name__})",
                                      tenggat)
                continue
            except httpx.TransportError as exc:
                why = ("halaman terpotong: koneksi putus sebelum seluruh isi diterima"
                       if isinstance(exc, httpx.RemoteProtocolError) else f"koneksi gagal ({type(exc).__name__})")
                self._wait_or_give_up(attempt, last, None, halaman, why, tenggat)
                continue
            if r.status_code in RETRY_STATUS:
                self._wait_or_give_up(attempt, last, r.headers.get("retry-after"), halaman,
                                      f"HTTP {r.status_code}", tenggat)
                continue
            return self._checked(r, content, record, halaman)
        raise AssertionError("unreachable")

    def kirim(self, path: str, body: dict, halaman: str) -> Respons:
        """POST a JSON body once, never retried (a write that timed out may have landed)."""
        target, sent = self._target(path, None)
        record = self._record("POST", self.kon.url + "/" + target, sent)
        try:
            r, content = self._send("POST", target, sent, body, None, halaman,
                                    time.monotonic() + self.batas.batas_waktu_total)
        except _Tenggat:
            raise ApiTidakTersedia(self._habis(halaman, "penulisan belum selesai") + "; tidak diulang otomatis, "
                                   "periksa portal lalu jalankan lagi") from None
        except httpx.TransportError as exc:
            raise ApiTidakTersedia(f"sumber {self.sumber}, {halaman}: penulisan tidak selesai "
                                   f"({type(exc).__name__}); tidak diulang otomatis, periksa portal lalu jalankan "
                                   f"lagi") from None
        if r.status_code in RETRY_STATUS:
            raise ApiTidakTersedia(f"sumber {self.sumber}, {halaman}: penulisan ditolak sementara (HTTP "
                                   f"{r.status_code}); tidak diulang otomatis")
        return self._checked(r, content, record, halaman)

    def _habis(self, halaman: str, why: str) -> str:
        return (f"sumber {self.sumber}, {halaman}: batas waktu total {self.batas.batas_waktu_total:g} detik untuk "
                f"satu halaman habis (batas_waktu_total; {why}): server terlalu lambat mengirim; angka yang sudah "
                f"terbit tetap berlaku")

    def _send(self, method: str, target: str, params: dict, body, headers, halaman: str, tenggat: float) -> tuple:
        """One request; the body is read up to the size limit (a bigger one is refused, never truncated), and no
        later than `tenggat` (time.monotonic): every timeout of the request is cut to the time left."""
        _Pembatas.tunggu(self.kon.conn_id, self.kon.per_detik)
        left, b = tenggat - time.monotonic(), self.batas
        if left <= 0:
            raise _Tenggat
        timeout = httpx.Timeout(connect=min(b.timeout_sambung, left), read=min(b.timeout_baca, left),
                                write=min(b.timeout_baca, left), pool=min(b.timeout_sambung, left))
        try:
            with self.http.stream(method, target, params=params, json=body, headers=headers, timeout=timeout) as r:
                return r, self._read(r, halaman, tenggat)
        except _Ditolak as exc:  # the request's hook or the body's decoder: retrying gives the same
            raise ApiError(self.sumber, halaman, str(exc)) from None
        except httpx.DecodingError as exc:  # not a TransportError: retrying gives the same bytes
            raise ApiError(self.sumber, halaman, f"isi respons tidak dapat didekode menurut Content-Encoding "
                                                 f"({exc})") from None
        except httpx.TooManyRedirects:
            raise ApiError(self.sumber, halaman, "terlalu banyak pengalihan (redirect berputar)") from None

    def _read(self, r: httpx.Response, halaman: str, tenggat: float) -> bytes:
        """The raw bytes as sent, counted against the limit, decoded by `_Dekoder` (the decoded bytes counted
        again), until the deadline."""
        limit = self.batas.ukuran_maks
        size = r.headers.get("content-length")
        if size and size.isdigit() and int(size) > limit:
            raise ApiError(self.sumber, halaman, f"respons {int(size):,} byte melebihi batas {limit:,} byte "
                                                 f"(batas_ukuran_mb)")
        decoder, got = _Dekoder(r.headers.get("content-encoding", ""), limit), 0
        for chunk in r.iter_raw():
            got += len(chunk)
            if got > limit:
                raise ApiError(self.sumber, halaman, f"respons melebihi batas {limit:,} byte (batas_ukuran_mb)")
            decoder.feed(chunk)
            if time.monotonic() > tenggat:
                raise _Tenggat
        return decoder.finish()

    def _wait_or_give_up(self, attempt: int, last: bool, header: str | None, halaman: str, why: str,
                         tenggat: float = float("inf")) -> None:
        if last:
            raise ApiTidakTersedia(f"sumber {self.sumber}, {halaman}: {why}, masih gagal setelah "
                                   f"{self.batas.ulang} kali diulang; angka yang sudah terbit tetap berlaku")
        told = retry_after(header)
        if told is not None and told > MAX_RETRY_AFTER:
            raise ApiTidakTersedia(f"sumber {self.sumber}, {halaman}: {why}; server meminta menunggu {told:.0f} "
                                   f"detik (Retry-After), lebih dari {MAX_RETRY_AFTER:.0f}: dicoba pada run berikutnya")
        wait = told if told is not None else random.uniform(0, min(self.batas.jeda_maks,
                                                                     self.batas.jeda_dasar * 2 ** attempt))
        if time.monotonic() + wait > tenggat:
            raise ApiTidakTersedia(self._habis(halaman, f"{why}, lalu menunggu {wait:.1f} detik lagi"))
        log.warning("%s, %s: %s; retry %d/%d in %.1f s", self.sumber, halaman, why, attempt + 1, self.batas.ulang,
                    wait)
        self.jeda.append(wait)
        time.sleep(wait)

    def _checked(self, r: httpx.Response, content: bytes, record: dict, halaman: str) -> Respons:
        if r.status_code in (401, 403):
            raise ApiError(self.sumber, halaman, f"akses ditolak (HTTP {r.status_code}): periksa kunci atau token "
                                                 f"koneksi '{self.kon.conn_id}' (tidak diulang)")
        if r.status_code >= 400:
            raise ApiError(self.sumber, halaman, f"HTTP {r.status_code} untuk {record['url']}")
        keep = {k: r.headers[k] for k in ("etag", "last-modified", "content-type", "link") if k in r.headers}
        return Respons(r.status_code, content, keep, record, self.sumber, halaman, self.batas)
