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
"""

from __future__ import annotations

import datetime
import email.utils
import json
import logging
import random
import threading
import time
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
    ukuran_maks: int = 20 * 1024 * 1024  # bytes per response

    @classmethod
    def dari(cls, src) -> Batas:
        return cls(timeout_sambung=src.timeout_sambung, timeout_baca=src.timeout_baca, ulang=src.ulang,
                   ukuran_maks=int(src.batas_ukuran_mb * 1024 * 1024))


@dataclass
class Respons:
    status: int
    body: bytes
    headers: dict[str, str]
    permintaan: dict  # method, url and params as sent, secrets replaced by ***
    sumber: str
    halaman: str

    def json(self):
        """The body as JSON; anything else is an ApiError naming the source and page."""
        try:
            text = self.body.decode(json.detect_encoding(self.body))
        except UnicodeDecodeError as exc:
            if exc.reason == "unexpected end of data":  # the body stops inside a multi-byte character
                raise ApiError(self.sumber, self.halaman, f"JSON terpotong: berakhir di tengah karakter "
                                                          f"({len(self.body)} byte diterima)") from None
            raise ApiError(self.sumber, self.halaman, f"respons bukan teks UTF-8 ({exc.reason})") from None
        try:
            return json.loads(text)
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

    def __post_init__(self):
        b = self.batas
        auth = httpx.BasicAuth(self.kon.login or "", self.kon.password or "") if self.kon.auth == "basic" else None
        self.http = httpx.Client(
            base_url=self.kon.url + "/", auth=auth, follow_redirects=True, headers=self._headers(),
            timeout=httpx.Timeout(connect=b.timeout_sambung, read=b.timeout_baca, write=b.timeout_baca,
                                  pool=b.timeout_sambung), event_hooks={"request": [self._same_origin_only]})

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
        for attempt in range(self.batas.ulang + 1):
            last = attempt == self.batas.ulang
            try:
                r, content = self._send("GET", target, sent, None, headers, halaman)
            except httpx.TimeoutException as exc:
                self._wait_or_give_up(attempt, last, None, halaman, f"batas waktu habis ({type(exc).__name__})")
                continue
            except httpx.TransportError as exc:
                why = ("halaman terpotong: koneksi putus sebelum seluruh isi diterima"
                       if isinstance(exc, httpx.RemoteProtocolError) else f"koneksi gagal ({type(exc).__name__})")
                self._wait_or_give_up(attempt, last, None, halaman, why)
                continue
            if r.status_code in RETRY_STATUS:
                self._wait_or_give_up(attempt, last, r.headers.get("retry-after"), halaman,
                                      f"HTTP {r.status_code}")
                continue
            return self._checked(r, content, record, halaman)
        raise AssertionError("unreachable")

    def kirim(self, path: str, body: dict, halaman: str) -> Respons:
        """POST a JSON body once, never retried (a write that timed out may have landed)."""
        target, sent = self._target(path, None)
        record = self._record("POST", self.kon.url + "/" + target, sent)
        try:
            r, content = self._send("POST", target, sent, body, None, halaman)
        except httpx.TransportError as exc:
            raise ApiTidakTersedia(f"sumber {self.sumber}, {halaman}: penulisan tidak selesai "
                                   f"({type(exc).__name__}); tidak diulang otomatis, periksa portal lalu jalankan "
                                   f"lagi") from None
        if r.status_code in RETRY_STATUS:
            raise ApiTidakTersedia(f"sumber {self.sumber}, {halaman}: penulisan ditolak sementara (HTTP "
                                   f"{r.status_code}); tidak diulang otomatis")
        return self._checked(r, content, record, halaman)

    def _send(self, method: str, target: str, params: dict, body, headers, halaman: str) -> tuple:
        """One request; the body is read up to the size limit (a bigger one is refused, never truncated)."""
        _Pembatas.tunggu(self.kon.conn_id, self.kon.per_detik)
        try:
            with self.http.stream(method, target, params=params, json=body, headers=headers) as r:
                return r, self._read(r, halaman)
        except httpx.DecodingError as exc:  # not a TransportError: retrying gives the same bytes
            raise ApiError(self.sumber, halaman, f"isi respons tidak dapat didekode menurut Content-Encoding "
                                                 f"({exc})") from None
        except httpx.TooManyRedirects:
            raise ApiError(self.sumber, halaman, "terlalu banyak pengalihan (redirect berputar)") from None

    def _read(self, r: httpx.Response, halaman: str) -> bytes:
        limit = self.batas.ukuran_maks
        size = r.headers.get("content-length")
        if size and size.isdigit() and int(size) > limit:
            raise ApiError(self.sumber, halaman, f"respons {int(size):,} byte melebihi batas {limit:,} byte "
                                                 f"(batas_ukuran_mb)")
        chunks, got = [], 0
        for chunk in r.iter_bytes():
            got += len(chunk)
            if got > limit:
                raise ApiError(self.sumber, halaman, f"respons melebihi batas {limit:,} byte (batas_ukuran_mb)")
            chunks.append(chunk)
        return b"".join(chunks)

    def _wait_or_give_up(self, attempt: int, last: bool, header: str | None, halaman: str, why: str) -> None:
        if last:
            raise ApiTidakTersedia(f"sumber {self.sumber}, {halaman}: {why}, masih gagal setelah "
                                   f"{self.batas.ulang} kali diulang; angka yang sudah terbit tetap berlaku")
        told = retry_after(header)
        if told is not None and told > MAX_RETRY_AFTER:
            raise ApiTidakTersedia(f"sumber {self.sumber}, {halaman}: {why}; server meminta menunggu {told:.0f} "
                                   f"detik (Retry-After), lebih dari {MAX_RETRY_AFTER:.0f}: dicoba pada run berikutnya")
        wait = told if told is not None else random.uniform(0, min(self.batas.jeda_maks,
                                                                     self.batas.jeda_dasar * 2 ** attempt))
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
        return Respons(r.status_code, content, keep, record, self.sumber, halaman)
