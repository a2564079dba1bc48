"""API ingest throughput: the CKAN connector beside a bare httpx loop, on the same loopback server in the same run.

A local CKAN Action API (stdlib ThreadingHTTPServer, HTTP/1.1 keep-alive, in a background thread) serves one package
with one DataStore resource of --records records (kecamatan, tahun int, three text-typed Indonesian numbers
"1.234", a note), paged by datastore_search limit/offset/include_total with `_links`. Every response is rendered
to bytes before timing, so the server's share is small and the same for both sides.
- bare httpx: one httpx.Client, package_show, then GET each page by offset until the total, `json.loads` of each
  body (a connector must parse to know the total: the least any of them can do);
- walidata: `Ckan().fetch(ds, Tujuan(..., koneksi=...), Lake(fresh tmp), skip_sha256=set())`: the requests
  through Klien (retries, size limit), the page checks, the deterministic zip of the responses, its sha256, the
  raw item, the manifest and the source's field names. A fresh lake each run: the full write is measured;
- `Ckan().tables()` on the stored item (records → located table), timed apart: not part of the ratio.
Records per second over the median of --repeat runs, the order of the two sides alternating. Target: walidata
≥ 0.7× the bare loop. Reported, not asserted (exit 0). `--profile` prints the top cProfile costs of one fetch.

    python bench/bench_api.py [--repeat 3] [--records 100000] [--per-halaman 1000] [--profile]
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT / "include"))
from _results import save  # noqa: E402

TARGET = 0.7
PACKAGE = "jumlah-umkm-menurut-kecamatan"
RESOURCE_ID = "9a1f4c7e-3b52-4d0e-8c1a-6d2b7e0f5a31"
RESOURCE_NAME = "Jumlah UMKM Menurut Kecamatan"
MODIFIED = "2025-02-03T08:15:42.118923"
FIELDS = [{"id": "_id", "type": "int"}, {"id": "kecamatan", "type": "text"}, {"id": "tahun", "type": "int4"},
          {"id": "jumlah_umkm", "type": "text"}, {"id": "jumlah_tenaga_kerja", "type": "text"},
          {"id": "jumlah_koperasi", "type": "text"}, {"id": "keterangan", "type": "text"}]
NOTES = ["", "data sementara", "hasil pendataan lapangan Dinas Koperasi, UKM dan Perdagangan",
         "angka perbaikan", "termasuk usaha ultra mikro"]


def ribuan(n: int) -> str:
    """An integer written the Indonesian way: 12345 → '12.345'."""
    return f"{n:,}".replace(",", ".")


def kecamatan_names() -> list[str]:
    rows = (line.split(",") for line in (ROOT / "include" / "reference" / "wilayah_indonesia.csv")
            .read_text(encoding="utf-8").splitlines())
    return [r[1].upper() for r in rows if len(r) > 3 and r[2] == "kecamatan" and r[3] == "62.06"]


def make_records(n: int) -> list[dict]:
    names = kecamatan_names()
    out = []
    for i in range(n):
        k = i % len(names)
        umkm = 150 + (i * 7919) % 2900
        out.append({"_id": i + 1, "kecamatan": names[k], "tahun": 2000 + (i // len(names)) % 25,
                    "jumlah_umkm": ribuan(umkm), "jumlah_tenaga_kerja": ribuan(umkm * (2 + i % 3)),
                    "jumlah_koperasi": ribuan(3 + (i * 31) % 140), "keterangan": NOTES[i % len(NOTES)]})
    return out


def envelope(result: dict, action: str) -> bytes:
    return json.dumps({"help": f"https://data.example/api/3/action/help_show?name={action}", "success": True,
                       "result": result}, ensure_ascii=False).encode()


def render(records: list[dict], limit: int) -> tuple[bytes, dict[int, bytes]]:
    """package_show and every datastore_search page (by offset), as the bytes sent."""
    pkg = {"id": "5c0e2a7b-9d1f-4b8e-a3c6-2f7d1e9b0c44", "name": PACKAGE, "metadata_modified": MODIFIED,
           "title": "Jumlah UMKM Menurut Kecamatan di Kabupaten Katingan",
           "organization": {"name": "dinas-koperasi-umkm", "title": "Dinas Koperasi, UKM dan Perdagangan"},
           "resources": [{"id": RESOURCE_ID, "name": RESOURCE_NAME, "format": "CSV", "datastore_active": True,
                          "url": f"/dataset/{PACKAGE}/resource/{RESOURCE_ID}", "metadata_modified": MODIFIED,
                          "last_modified": MODIFIED}]}
    base = f"/api/3/action/datastore_search?resource_id={RESOURCE_ID}&limit={limit}&include_total=true"
    pages = {}
    for offset in range(0, len(records) + 1, limit):  # the one past the end comes back empty, as CKAN does
        pages[offset] = envelope({
            "include_total": True, "limit": limit, "offset": offset, "records_format": "objects",
            "resource_id": RESOURCE_ID, "total_estimation_threshold": None, "fields": FIELDS,
            "records": records[offset:offset + limit], "total": len(records),
            "_links": {"start": base, "next": f"{base}&offset={offset + limit}"}}, "datastore_search")
    return envelope(pkg, "package_show"), pages


class Portal(BaseHTTPRequestHandler):
    """package_show and datastore_search from the pre-rendered bytes; each response sent in one write."""

    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True

    def do_GET(self):  # noqa: N802 (the stdlib's name)
        u = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(u.query).items()}
        name = u.path.rsplit("/", 1)[-1]
        srv = self.server
        if name == "package_show" and q.get("id") == PACKAGE:
            body, status = srv.package, 200
        elif (name == "datastore_search" and q.get("resource_id") == RESOURCE_ID
              and int(q.get("limit", 100)) == srv.limit and int(q.get("offset", 0)) in srv.pages):
            body, status = srv.pages[int(q.get("offset", 0))], 200
        else:
            body, status = b'{"success": false, "error": {"__type": "Not Found Error"}}', 404
        srv.requests += 1
        self.wfile.write(b"HTTP/1.1 %d %s\r\nContent-Type: application/json;charset=utf-8\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (status, b"OK" if status == 200 else b"Not Found",
                                                          len(body), body))

    def log_message(self, *args):
        pass


def serve(package: bytes, pages: dict[int, bytes], limit: int) -> ThreadingHTTPServer:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Portal)
    srv.daemon_threads = True
    srv.package, srv.pages, srv.limit, srv.requests = package, pages, limit, 0
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def bare_httpx(url: str, limit: int) -> int:
    """The least a connector can do: package_show, then every page by offset until the total, each parsed."""
    import httpx

    n = 0
    with httpx.Client(base_url=url + "/") as c:
        pkg = json.loads(c.get("api/3/action/package_show", params={"id": PACKAGE}).content)["result"]
        rid = pkg["resources"][0]["id"]
        offset, total = 0, None
        while total is None or offset < total:
            r = c.get("api/3/action/datastore_search", params={"resource_id": rid, "limit": limit, "offset": offset,
                                                                "include_total": "true"})
            r.raise_for_status()
            result = json.loads(r.content)["result"]
            total, got = result["total"], len(result["records"])
            n += got
            offset += got
    return n


def dataset(limit: int, pages: int):
    """The catalog's CKAN dataset (diskopukm.umkm_kecamatan), paged by `limit`, with a third number kolom."""
    import yaml

    from walidata.catalog import Dataset

    spec = yaml.safe_load((ROOT / "include" / "catalog" / "diskopukm" / "umkm_kecamatan.yaml").read_text())
    spec["sumber"].update(per_halaman=limit, batas_halaman=pages + 10)
    spec["kolom"].append({"name": "koperasi", "alias": ["jumlah_koperasi"], "peran": "nilai",
                          "variabel": "jumlah_koperasi", "satuan": "unit"})
    return Dataset.model_validate(spec)


def walidata_fetch(ds, kon, tmp: Path, i: int) -> tuple[float, dict, Path]:
    from walidata.publish.lake import Lake
    from walidata.sources.api import Tujuan
    from walidata.sources.ckan import Ckan

    lake = Lake(tmp / f"lake-{i}")
    t = time.perf_counter()
    [manifest] = Ckan().fetch(ds, Tujuan(wilayah="62.06", kode_bps="6209", koneksi=kon), lake, skip_sha256=set())
    return time.perf_counter() - t, manifest, lake.root


def walidata_tables(ds, manifest: dict) -> tuple[float, int]:
    from walidata.sources.ckan import Ckan

    t = time.perf_counter()
    tables = Ckan().tables(ds, manifest["raw_path"], manifest["file"], nik_prefixes=frozenset())
    return time.perf_counter() - t, sum(len(x.rows) for x in tables)


def profile(ds, kon, tmp: Path, top: int) -> None:
    import cProfile
    import pstats

    prof = cProfile.Profile()
    prof.enable()
    _, manifest, _ = walidata_fetch(ds, kon, tmp, 999)
    prof.disable()
    print("\ncProfile of one walidata fetch (tottime, top functions):")
    pstats.Stats(prof).sort_stats("tottime").print_stats(top)
    print("cProfile of one walidata fetch (cumulative):")
    pstats.Stats(prof).sort_stats("cumulative").print_stats(top)
    prof = cProfile.Profile()
    prof.enable()
    walidata_tables(ds, manifest)
    prof.disable()
    print("cProfile of tables() (cumulative):")
    pstats.Stats(prof).sort_stats("cumulative").print_stats(top)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--per-halaman", type=int, default=1000)
    ap.add_argument("--profile", action="store_true", help="print cProfile's top costs of one walidata fetch")
    a = ap.parse_args()
    logging.disable(logging.WARNING)
    from walidata.sources.koneksi import Koneksi

    records = make_records(a.records)
    package, pages = render(records, a.per_halaman)
    n_pages = -(-a.records // a.per_halaman)
    size_mb = sum(len(pages[o]) for o in range(0, a.records, a.per_halaman)) / 1e6
    srv = serve(package, pages, a.per_halaman)
    url = f"http://127.0.0.1:{srv.server_address[1]}"
    kon = Koneksi("ckan_katingan", url, extra={"auth": "none"})
    ds = dataset(a.per_halaman, n_pages)
    tmp = Path(tempfile.mkdtemp(prefix="walidata-bench-api-"))
    try:
        assert bare_httpx(url, a.per_halaman) == a.records  # warm-up: imports, connections
        _, manifest, root = walidata_fetch(ds, kon, tmp, -1)
        assert manifest["halaman"] == n_pages, manifest["halaman"]
        walidata_tables(ds, manifest)
        shutil.rmtree(root)
        t_bare, t_wal, t_tab, raw_mb, rows = [], [], [], 0.0, 0
        for i in range(a.repeat):
            for side in (("bare", "walidata") if i % 2 == 0 else ("walidata", "bare")):
                if side == "bare":
                    t = time.perf_counter()
                    got = bare_httpx(url, a.per_halaman)
                    t_bare.append(time.perf_counter() - t)
                    assert got == a.records, got
                else:
                    elapsed, manifest, root = walidata_fetch(ds, kon, tmp, i)
                    t_wal.append(elapsed)
                    raw_mb = manifest["bytes"] / 1e6
                    elapsed, rows = walidata_tables(ds, manifest)
                    t_tab.append(elapsed)
                    shutil.rmtree(root)  # each run writes into a fresh lake
        if a.profile:
            profile(ds, kon, tmp, 25)
    finally:
        srv.shutdown()
        srv.server_close()
        shutil.rmtree(tmp, ignore_errors=True)
    b, w, tt = statistics.median(t_bare), statistics.median(t_wal), statistics.median(t_tab)
    ratio = b / w
    print(f"API benchmark: CKAN DataStore on loopback, {a.records:,} records in {n_pages} pages of {a.per_halaman} "
          f"({size_mb:.1f} MB of JSON; raw item {raw_mb:.1f} MB zip), median of {a.repeat}, order alternating")
    print(f"{'path':52} {'seconds':>8} {'records/s':>11} {'vs bare':>8}")
    for name, t in (("bare httpx loop (GET + json.loads per page)", b),
                    ("walidata Ckan.fetch (requests, checks, raw item)", w)):
        print(f"{name:52} {t:8.3f} {a.records / t:11,.0f} {b / t:7.2f}x")
    print(f"{'walidata Ckan.tables (records → located table)':52} {tt:8.3f} {a.records / tt:11,.0f}  "
          f"(apart; {rows:,} rows)")
    print(f"runs (s): bare {', '.join(f'{x:.3f}' for x in t_bare)}; walidata {', '.join(f'{x:.3f}' for x in t_wal)}"
          f"; tables {', '.join(f'{x:.3f}' for x in t_tab)}")
    print(f"target: walidata ≥ {TARGET}× the bare loop → {ratio:.2f}× {'PASS' if ratio >= TARGET else 'FAIL'}")
    save("bench_api", {"records": a.records, "per_halaman": a.per_halaman, "pages": n_pages, "json_mb": size_mb,
                       "raw_item_mb": raw_mb, "seconds": {"bare": t_bare, "walidata": t_wal, "tables": t_tab},
                       "median_s": {"bare": b, "walidata": w, "tables": tt}, "ratio": ratio, "target": TARGET,
                       "pass": ratio >= TARGET})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
