"""A local HTTP server that answers like the BPS WebAPI and a CKAN portal, from the bundled sample responses
(`include/sample_data/api/`, see `walidata.sample_api`), so the demo takes the API path over real HTTP.

    with serve() as server:   # sets AIRFLOW_CONN_BPS_WEBAPI and AIRFLOW_CONN_CKAN_KATINGAN for the run
        ...

- BPS: `/bps/v1/api/list/model/data/lang/ind/domain/<d>/var/<v>/key/<key>/`, `list/model/var/…/page/<n>/key/…`
  (pages of 10), `not-available` for what it does not have, 401 for a wrong key.
- CKAN: `/ckan/api/3/action/package_show?id=`, `datastore_search` (limit/offset/include_total, filters, `_links`),
  `datastore_create` and `datastore_upsert` (kept in memory: the demo's publishing back) with the token in
  `Authorization`.
- REST (an OPD application's JSON service): `/rest/v1/wilayah/<kode kemendagri>/umkm?halaman=<n>&per_halaman=<m>`
  with `Authorization: Bearer <token>`: `{"data": [...], "meta": {"total": n}}`, the region's UMKM per kecamatan
  (the figures of its portal table, numbers as JSON numbers).

Every kabupaten/kota answers, not only Katingan: a BPS domain or portal package with no file in the folder is
generated (`walidata.sample_api`, deterministic per region): domain `<kode_bps>` (a province's `<nn>00`), package
`jumlah-umkm-menurut-kecamatan-<kode_bps>` and its DataStore table. A domain or package of no region is still
`not-available` / 404.

Only for the demo and the tests: it binds to 127.0.0.1, and its keys are the sample's own.
"""

from __future__ import annotations

import json
import os
import re
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from walidata import sample_api
from walidata.sample_api import API_DIR, CKAN_PACKAGE, CKAN_RESOURCE, PORTAL_PACKAGE
from walidata.settings import PROJECT_ROOT

BPS_KEY = "kunci-contoh-bps"  # the sample's own key: not a BPS key
CKAN_TOKEN = "token-contoh-ckan"
REST_TOKEN = "token-contoh-rest"
CONNECTIONS = ("BPS_WEBAPI", "CKAN_KATINGAN", "REST_CONTOH")
_REST = re.compile(r"^/rest/v1/wilayah/(?P<kode>\d{2}\.\d{2})/umkm/?$")
_BPS = re.compile(r"^/bps/v1/api/list/model/(?P<model>[a-z]+)/lang/ind/domain/(?P<domain>\d+)/(?P<rest>.*)"
                  r"key/(?P<key>[^/]+)/?$")


class SampleServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, folder: Path, reference: Path = PROJECT_ROOT / "include" / "reference"):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.folder = Path(folder)
        self.reference = Path(reference)
        self.upserts: dict[str, dict] = {}  # resource id → {"fields", "records" by key, "primary_key"}
        self.lock = threading.Lock()
        self.domains = sample_api.bps_domains(self.reference)  # BPS domain → (Kemendagri code, name)
        self.kode_bps = {kode: d for d, (kode, _) in self.domains.items() if not d.endswith("00")}
        self._umkm: dict[str, tuple[dict, dict]] = {}

    def umkm(self, kode_bps: str) -> tuple[dict, dict] | None:
        """A kabupaten/kota's generated UMKM package and table (None for a code of no kabupaten/kota)."""
        region = self.domains.get(kode_bps)
        if region is None or kode_bps.endswith("00"):
            return None
        with self.lock:
            if kode_bps not in self._umkm:
                self._umkm[kode_bps] = sample_api.ckan_umkm(self.reference, region[0], per_wilayah=True)
            return self._umkm[kode_bps]

    def bps_file(self, domain: str, name: str):
        """A BPS response: the folder's file, else generated for a known domain; None when there is neither."""
        f = self.folder / "bps" / domain / name
        if f.exists():
            return json.loads(f.read_text(encoding="utf-8"))
        if domain not in self.domains:
            return None
        nama = self.domains[domain][1]
        if name == "list_var.json":
            return sample_api.bps_var_list(nama)
        var = re.fullmatch(r"data_var_(\d+)\.json", name)
        if var and int(var[1]) in sample_api.BPS_VARS:
            return sample_api.bps_data(int(var[1]), domain, nama)
        return None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def connections(self) -> dict[str, str]:
        """The AIRFLOW_CONN_* values that point the sample's connections at this server, and the portal the
        indicators are published back to."""
        return {
            "WALIDATA_PORTAL_KONEKSI": "ckan_katingan", "WALIDATA_PORTAL_PAKET": PORTAL_PACKAGE,
            "AIRFLOW_CONN_BPS_WEBAPI": json.dumps({"conn_type": "http", "host": f"{self.url}/bps/v1/api",
                                                   "password": BPS_KEY, "extra": {"auth": "bps", "per_detik": 50}}),
            "AIRFLOW_CONN_CKAN_KATINGAN": json.dumps({"conn_type": "http", "host": f"{self.url}/ckan",
                                                      "password": CKAN_TOKEN, "extra": {"auth": "api_key"}}),
            "AIRFLOW_CONN_REST_CONTOH": json.dumps({"conn_type": "http", "host": f"{self.url}/rest",
                                                    "password": REST_TOKEN, "extra": {"auth": "bearer"}}),
        }


class _Handler(BaseHTTPRequestHandler):
    server: SampleServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # quiet: the pipeline logs what it asked
        pass

    def _send(self, status: int, obj) -> None:
        body = json.dumps(obj, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        u = urlsplit(self.path)
        if u.path.startswith("/bps/"):
            return self._bps(u.path)
        if u.path.startswith("/ckan/api/3/action/"):
            return self._ckan(u.path.rsplit("/", 1)[1], {k: v[0] for k, v in parse_qs(u.query).items()})
        if u.path.startswith("/rest/"):
            return self._rest(u.path, {k: v[0] for k, v in parse_qs(u.query).items()})
        return self._send(404, {"error": "not found"})

    def do_POST(self) -> None:  # noqa: N802
        u = urlsplit(self.path)
        if self.headers.get("Authorization") != CKAN_TOKEN:
            return self._send(403, {"success": False, "error": {"__type": "Authorization Error"}})
        size = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(size) or b"{}")
        name = u.path.rsplit("/", 1)[1]
        if name not in ("datastore_create", "datastore_upsert"):
            return self._send(404, {"success": False, "error": {"message": f"action {name} not in the sample"}})
        return self._send(200, {"success": True, "result": self._write(name, body)})

    def _bps(self, path: str) -> None:
        m = _BPS.match(path)
        if not m:
            return self._send(404, {"status": "Error", "message": "not found"})
        if m["key"] != BPS_KEY:
            return self._send(401, {"status": "Error", "message": "Invalid key"})
        if m["model"] == "data":
            var = re.search(r"var/(\d+)/", m["rest"])
            body = self.server.bps_file(m["domain"], f"data_var_{var[1] if var else 'x'}.json")
            if body is None:
                return self._send(200, {"status": "OK", "data-availability": "not-available", "data": ""})
            return self._send(200, body)
        items = self.server.bps_file(m["domain"], f"list_{m['model']}.json")
        if items is None:
            return self._send(200, {"status": "OK", "data-availability": "list-not-available", "data": ""})
        page = int((re.search(r"page/(\d+)/", m["rest"]) or [0, 1])[1])
        pages = max(1, -(-len(items) // 10))
        chunk = items[(page - 1) * 10: page * 10]
        return self._send(200, {"status": "OK", "data-availability": "available", "data": [
            {"page": page, "pages": pages, "per_page": 10, "count": len(chunk), "total": len(items)}, chunk]})

    def _ckan(self, name: str, q: dict) -> None:
        if name == "package_show":
            pkg = self._package(Path(q.get("id", "")).name)
            if pkg is None:
                return self._send(404, {"success": False, "error": {"__type": "Not Found Error"}})
            with self.server.lock:  # resources the demo created with datastore_create
                pkg["resources"] += [{"id": rid, "name": t["resource"].get("name"), "datastore_active": True}
                                     for rid, t in self.server.upserts.items()
                                     if (t.get("resource") or {}).get("package_id") in (pkg["id"], pkg["name"])]
            return self._send(200, {"success": True, "result": pkg})
        if name != "datastore_search":
            return self._send(404, {"success": False, "error": {"message": f"action {name} not in the sample"}})
        rid = Path(q.get("resource_id", "")).name
        table = self._table(rid)
        if table is None:
            return self._send(404, {"success": False, "error": {"__type": "Not Found Error"}})
        limit, offset = int(q.get("limit", 100)), int(q.get("offset", 0))
        wanted = json.loads(q.get("filters") or "{}")  # CKAN's equality filters ({"field": value})
        rows = [r for r in table["records"] if all(str(r.get(k)) == str(v) for k, v in wanted.items())]
        records = rows[offset:offset + limit]
        return self._send(200, {"success": True, "result": {
            "resource_id": rid, "fields": table["fields"], "records": records, "total": len(rows),
            "limit": limit, "offset": offset,
            "_links": {"start": f"/api/3/action/datastore_search?resource_id={rid}",
                       "next": f"/api/3/action/datastore_search?resource_id={rid}&offset={offset + limit}"}}})

    def _rest(self, path: str, q: dict) -> None:
        if self.headers.get("Authorization") != f"Bearer {REST_TOKEN}":
            return self._send(401, {"error": "token salah"})
        m = _REST.match(path)
        kode_bps = self.server.kode_bps.get(m["kode"]) if m else None
        got = self.server.umkm(kode_bps) if kode_bps else None
        if got is None:
            return self._send(404, {"error": f"wilayah tidak dikenal: {path}"})
        number = {"jumlah_umkm", "jumlah_tenaga_kerja"}  # JSON numbers here, "1.234" text on the portal
        rows = [{k: int(v.replace(".", "")) if k in number else v for k, v in r.items() if k != "_id"}
                for r in got[1]["records"] if r["kecamatan"] != "Jumlah Total"]
        page, size = int(q.get("halaman", 1)), int(q.get("per_halaman", 50))
        return self._send(200, {"data": rows[(page - 1) * size: page * size], "meta": {"total": len(rows)}})

    def _package(self, name: str) -> dict | None:
        """A package: the folder's file, else a region's generated one (`<package>-<kode_bps>`)."""
        f = self.server.folder / "ckan" / "package_show" / f"{name}.json"
        if f.exists():
            return json.loads(f.read_text(encoding="utf-8"))
        m = re.fullmatch(re.escape(CKAN_PACKAGE) + r"-(\d{4})", name)
        got = self.server.umkm(m[1]) if m else None
        return json.loads(json.dumps(got[0])) if got else None  # a copy: resources are added to it

    def _table(self, rid: str) -> dict | None:
        f = self.server.folder / "ckan" / "datastore" / f"{rid}.json"
        if f.exists():
            return json.loads(f.read_text(encoding="utf-8"))
        m = re.fullmatch(re.escape(CKAN_RESOURCE[:24]) + r"0{8}(\d{4})", rid)
        got = self.server.umkm(m[1]) if m else None
        return got[1] if got else None

    def _write(self, name: str, body: dict) -> dict:
        with self.server.lock:
            if name == "datastore_create":
                rid = body.get("resource_id") or f"sampel-{len(self.server.upserts) + 1:04d}"
                self.server.upserts.setdefault(rid, {"fields": body.get("fields"), "records": {},
                                                     "primary_key": body.get("primary_key") or [],
                                                     "resource": body.get("resource")})
                return {"resource_id": rid}
            table = self.server.upserts.setdefault(body["resource_id"], {"records": {}, "primary_key": []})
            for rec in body.get("records") or []:
                key = tuple(rec.get(k) for k in table["primary_key"]) or json.dumps(rec, sort_keys=True)
                table["records"][key] = rec
            return {"resource_id": body["resource_id"], "method": body.get("method", "upsert")}


@contextmanager
def serve(folder: Path = API_DIR):
    """The sample server in a thread, with the sample connections and portal set in this process's environment
    (and so in the `airflow dags test` processes it starts); both undone afterwards."""
    server = SampleServer(folder)
    thread = threading.Thread(target=server.serve_forever, name="walidata-sample-api", daemon=True)
    thread.start()
    saved = {k: os.environ.get(k) for k in server.connections()}
    os.environ.update(server.connections())
    try:
        yield server
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        server.shutdown()
        server.server_close()
