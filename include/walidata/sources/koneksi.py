"""Connections of the API sources: where a service is and the credentials it wants.

A catalog file names a connection id (`sumber.koneksi`: `bps_webapi`, `ckan_<portal>`, …), never a URL with a
key nor the key itself. The id is resolved, in this order:

1. `AIRFLOW_CONN_<ID>` in the environment, in Airflow's own formats (JSON or URI), so one setting serves both
   Airflow and the CLI;
2. inside an Airflow task, Airflow's Connections (the metadata database, a secrets backend).

The base URL is the connection's `host` when it holds a scheme (`https://webapi.bps.go.id/v1/api`), else
`<schema or https>://host[:port]`. Credentials: `password` (BPS key, CKAN API token, bearer token, basic auth
password with `login`), or `extra.api_key`; `extra.auth` says how they are sent (see `Koneksi.auth`). Other
extras: `per_detik` (rate limit, requests per second), `header` for the API key's header name, `param` for its
query parameter.

A `Koneksi` never prints its secrets (repr, str), and `rahasia()` lists them for scrubbing any text written.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

AUTH_KINDS = ("none", "api_key", "bearer", "basic", "bps")


class KoneksiTidakAda(LookupError):
    """The connection id is defined nowhere: the message says where to define it."""


@dataclass(frozen=True)
class Koneksi:
    conn_id: str
    url: str
    login: str | None = None
    password: str | None = field(default=None, repr=False)
    extra: dict = field(default_factory=dict, repr=False)

    def __str__(self) -> str:
        return f"{self.conn_id} ({self.url})"

    @property
    def auth(self) -> str:
        """How credentials are sent: `bps` (key in the URL path, BPS WebAPI), `api_key` (header or query
        parameter), `bearer`, `basic`, or `none`. Default: basic with a login, api_key with a password alone."""
        kind = self.extra.get("auth") or ("basic" if self.login else "api_key" if self.secret else "none")
        if kind not in AUTH_KINDS:
            raise ValueError(f"koneksi {self.conn_id}: extra.auth {kind!r} is not one of {', '.join(AUTH_KINDS)}")
        return kind

    @property
    def secret(self) -> str | None:
        return self.password or self.extra.get("api_key") or self.extra.get("token")

    def rahasia(self) -> list[str]:
        """Every secret of the connection (to be removed from any text that is written or logged)."""
        out = [s for s in (self.password, self.extra.get("api_key"), self.extra.get("token")) if s]
        return sorted(set(out), key=lambda s: (-len(s), s))  # longest first: a secret inside another goes after

    @property
    def per_detik(self) -> float | None:
        v = self.extra.get("per_detik")
        return float(v) if v not in (None, "") else None


def _env_name(conn_id: str) -> str:
    return f"AIRFLOW_CONN_{conn_id.upper()}"


def _base_url(conn_type: str | None, host: str | None, port, schema: str | None, conn_id: str) -> str:
    host = (host or "").strip()
    if not host:
        raise KoneksiTidakAda(f"koneksi {conn_id}: host (URL dasar layanan) kosong")
    if "://" in host:
        return host.rstrip("/")
    scheme = schema if schema in ("http", "https") else ("http" if conn_type == "http" and schema == "http"
                                                          else "https")
    return f"{scheme}://{host}{f':{port}' if port else ''}".rstrip("/")


def from_json(conn_id: str, text: str) -> Koneksi:
    d = json.loads(text)
    extra = d.get("extra") or {}
    if isinstance(extra, str):
        extra = json.loads(extra) if extra.strip() else {}
    return Koneksi(conn_id, _base_url(d.get("conn_type"), d.get("host"), d.get("port"), d.get("schema"), conn_id),
                   d.get("login"), d.get("password"), dict(extra))


def from_uri(conn_id: str, uri: str) -> Koneksi:
    """Airflow's URI form: `<type>://[login:password@]host[:port][/path][?extra=…]`. For an `http(s)` type the
    path belongs to the base URL; `__extra__` holding JSON is read as Airflow does."""
    u = urlsplit(uri)
    query = dict(parse_qsl(u.query, keep_blank_values=True))
    extra = json.loads(query.pop("__extra__")) if "__extra__" in query else query
    scheme = u.scheme.replace("-", "_")
    web = "https" if scheme in ("https", "ckan", "bps_webapi", "rest") else "http" if scheme == "http" else "https"
    host = f"{u.hostname}{f':{u.port}' if u.port else ''}"
    return Koneksi(conn_id, f"{web}://{host}{u.path}".rstrip("/"), unquote(u.username) if u.username else None,
                   unquote(u.password) if u.password else None, extra)


def _from_airflow(conn_id: str) -> Koneksi | None:
    """Inside an Airflow process (the DAG file imported the SDK): Airflow's Connections."""
    if "airflow.sdk" not in sys.modules:
        return None
    try:
        from airflow.sdk import BaseHook

        c = BaseHook.get_connection(conn_id)
    except Exception:  # not found, or no task context
        return None
    return Koneksi(conn_id, _base_url(c.conn_type, c.host, c.port, c.schema, conn_id), c.login, c.password,
                   dict(c.extra_dejson or {}))


def koneksi(conn_id: str) -> Koneksi:
    """The connection `conn_id`, from the environment or Airflow; its absence is an error saying how to set it."""
    raw = os.environ.get(_env_name(conn_id))
    if raw:
        try:
            return from_json(conn_id, raw) if raw.lstrip().startswith("{") else from_uri(conn_id, raw)
        except (ValueError, KeyError) as exc:
            raise KoneksiTidakAda(f"koneksi {conn_id}: {_env_name(conn_id)} tidak dapat dibaca "
                                  f"({type(exc).__name__}); gunakan format JSON atau URI Airflow") from None
    found = _from_airflow(conn_id)
    if found is None:
        raise KoneksiTidakAda(
            f"koneksi '{conn_id}' belum diatur: buat Airflow Connection '{conn_id}' (Admin → Connections) atau, di "
            f"luar Airflow, variabel lingkungan {_env_name(conn_id)} (lihat README, bagian Sumber API)")
    return found
