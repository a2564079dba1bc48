"""Deterministic sample API responses for the demo, in the real BPS WebAPI and CKAN shapes.

`python -m walidata.sample_api` rewrites `include/sample_data/api/`:
- `bps/<domain>/data_var_<id>.json`: `model=data` responses (var, turvar, labelvervar, vervar, tahun, turtahun,
  datacontent keyed vervar+var+turvar+tahun+turtahun, last_update), one per BPS variable of the bps.* datasets;
  `bps/<domain>/list_var.json`: the `list/model/var` items of the domain;
- `ckan/package_show/<name>.json` and `ckan/datastore/<resource_id>.json` (the resource's fields and all its
  records, which the sample server pages like CKAN's datastore_search): text-typed numbers in Indonesian format
  ("1.234") and a "Jumlah Total" row among the records, as real portals have; and the empty package the demo
  publishes the indicators back to.

The figures are plausible for Kabupaten Katingan (BPS domain 6209), not BPS's published numbers. The sample
server (`walidata.sample_server`) serves them over real HTTP for `make run`, and answers for every other
kabupaten/kota too, with figures generated here on the fly, deterministic per region (keyed by its BPS code, as
`walidata.sample` keys its files): BPS domain `<kode_bps>` (and a province's `<nn>00`), and on the portal the package
`jumlah-umkm-menurut-kecamatan-<kode_bps>` (`ckan_umkm(reference, wilayah, per_wilayah=True)`).
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from walidata.settings import PROJECT_ROOT

API_DIR = PROJECT_ROOT / "include" / "sample_data" / "api"
DOMAIN, NAMA = "6209", "Katingan"
YEARS = range(2023, 2026)  # the years of the sample OPD files
BPS_LAST_UPDATE = "2026-03-16 10:21:07"
CKAN_PACKAGE, CKAN_RESOURCE = "jumlah-umkm-menurut-kecamatan", "9a1f4c7e-3b52-4d0e-8c1a-6d2b7e0f5a31"
CKAN_MODIFIED = "2025-02-03T08:15:42.118923"
PORTAL_PACKAGE = "indikator-smart-city"  # where the demo publishes the indicators back (datastore_upsert)

# var id → (label, unit, subject, {year: value}); values chosen to look like Katingan's trend
BPS_VARS = {
    621: ("Persentase Penduduk Miskin (P0)", "Persen", "Kemiskinan dan Ketimpangan",
          {2023: 5.43, 2024: 5.37, 2025: 5.12}),
    622: ("Jumlah Penduduk Miskin", "Ribu Jiwa", "Kemiskinan dan Ketimpangan",
          {2023: 9.15, 2024: 9.17, 2025: 8.86}),
    623: ("Garis Kemiskinan", "Rupiah/Kapita/Bulan", "Kemiskinan dan Ketimpangan",
          {2023: 514066, 2024: 556342, 2025: 581906}),
    631: ("PDRB Atas Dasar Harga Berlaku", "Miliar Rupiah", "Produk Domestik Regional Bruto",
          {2023: 10184.92, 2024: 10877.31, 2025: 11561.08}),
    632: ("PDRB per Kapita Atas Dasar Harga Berlaku", "Ribu Rupiah", "Produk Domestik Regional Bruto",
          {2023: 58324.10, 2024: 61417.94, 2025: 64436.20}),
    641: ("Tingkat Pengangguran Terbuka", "Persen", "Tenaga Kerja",
          {2023: 3.41, 2024: 3.27, 2025: 3.05}),
    642: ("Tingkat Partisipasi Angkatan Kerja", "Persen", "Tenaga Kerja",
          {2023: 69.54, 2024: 70.02, 2025: 70.31}),
    651: ("Indeks Pembangunan Manusia", "Indeks", "Indeks Pembangunan Manusia",
          {2023: 67.93, 2024: 68.51, 2025: 69.14}),
    652: ("Umur Harapan Hidup Saat Lahir", "Tahun", "Indeks Pembangunan Manusia",
          {2023: 68.39, 2024: 68.62, 2025: 68.85}),
    653: ("Harapan Lama Sekolah", "Tahun", "Indeks Pembangunan Manusia",
          {2023: 12.00, 2024: 12.01, 2025: 12.03}),
    # BPS has not yet released 2025 for this one: the table is sparse (no key for it in datacontent)
    654: ("Rata-rata Lama Sekolah", "Tahun", "Indeks Pembangunan Manusia",
          {2023: 8.02, 2024: 8.10}),
}


def th_id(year: int) -> int:
    return year - 1900  # BPS's period ids: 118 = 2018


def bps_data(var: int, domain: str = DOMAIN, nama: str = NAMA) -> dict:
    """The model=data response of a variable for a BPS domain: Katingan's figures, another domain's scaled by a
    factor drawn from its code (the same every time)."""
    label, unit, subject, values = BPS_VARS[var]
    if domain != DOMAIN:
        factor = random.Random(f"bps:{domain}").uniform(0.85, 1.15)
        values = {y: round(v * factor, 2) for y, v in values.items()}
    tahun = [{"val": th_id(y), "label": str(y)} for y in YEARS]
    content = {f"{domain}{var}0{th_id(y)}0": v for y, v in values.items()}
    return {
        "status": "OK", "data-availability": "available", "last_update": BPS_LAST_UPDATE,
        "subject": [{"val": 23, "label": subject}],
        "var": [{"val": var, "label": label, "unit": unit, "subj": subject, "def": "", "note": ""}],
        "turvar": [{"val": 0, "label": "Tidak Ada"}], "labelvervar": "Kabupaten/Kota",
        "vervar": [{"val": int(domain), "label": nama}], "tahun": tahun,
        "turtahun": [{"val": 0, "label": "Tahun"}], "datacontent": content,
    }


def bps_var_list(nama: str = "Kabupaten Katingan") -> list[dict]:
    return [{"var_id": v, "title": f"{label} {nama}", "sub_id": 23, "sub_name": subject, "def": "",
             "notes": "", "vertical": 1, "unit": unit, "graph_id": 1, "graph_name": "line", "turth": 0,
             "turvar": 0, "jenis": 1} for v, (label, unit, subject, _) in sorted(BPS_VARS.items())]


def bps_domains(reference: Path) -> dict[str, tuple[str, str]]:
    """BPS domain → (Kemendagri code, name): every kabupaten/kota (its BPS code) and province (`<nn>00`)."""
    from walidata.standardise.reference import kabkota

    out = {}
    for kode, w in kabkota(reference).items():
        if w.kode_bps and w.tingkat in ("kabupaten", "kota"):
            out[w.kode_bps] = (kode, w.nama.removeprefix("Kabupaten ").strip())
        elif w.kode_bps and w.tingkat == "provinsi":
            out[f"{w.kode_bps}00"] = (kode, w.nama)
    return out


def region_resource(kode_bps: str) -> str:
    """The DataStore resource id of a region's UMKM table on the sample portal."""
    return f"{CKAN_RESOURCE[:24]}{int(kode_bps):012d}"


def _id(n: int) -> str:
    return f"{n:,}".replace(",", ".")  # Indonesian thousands


def ckan_umkm(reference: Path, wilayah: str = "62.06", per_wilayah: bool = False) -> tuple[dict, dict]:
    """(package_show result, datastore resource) of the UMKM per kecamatan table of a kabupaten/kota, 2023-2025;
    `per_wilayah`: named as the region's own package on a portal of several (`<package>-<kode_bps>`)."""
    from walidata.standardise.reference import IndeksWilayah, kabkota

    w = IndeksWilayah(reference, wilayah)
    kode_bps = kabkota(reference)[wilayah].kode_bps
    kecamatan = sorted((k for k, lv in w.g.level.items() if lv == "kecamatan" and k.startswith(f"{wilayah}.")))
    rng = random.Random(int(kode_bps))
    records, n = [], 0
    for year in (2023, 2024, 2025):
        umkm_total = tk_total = 0
        for kode in kecamatan:
            umkm = rng.randint(180, 2400) + (1800 if kode == f"{wilayah}.02" else 0)
            tk = umkm * rng.randint(2, 4)
            umkm_total, tk_total = umkm_total + umkm, tk_total + tk
            n += 1
            records.append({"_id": n, "tahun": year, "kecamatan": w.g.w[kode].nama.upper(),
                            "jumlah_umkm": _id(umkm), "jumlah_tenaga_kerja": _id(tk)})
        n += 1
        records.append({"_id": n, "tahun": year, "kecamatan": "Jumlah Total", "jumlah_umkm": _id(umkm_total),
                        "jumlah_tenaga_kerja": _id(tk_total)})
    fields = [{"id": "_id", "type": "int"}, {"id": "tahun", "type": "int4"}, {"id": "kecamatan", "type": "text"},
              {"id": "jumlah_umkm", "type": "text"}, {"id": "jumlah_tenaga_kerja", "type": "text"}]
    name = f"{CKAN_PACKAGE}-{kode_bps}" if per_wilayah else CKAN_PACKAGE
    rid = region_resource(kode_bps) if per_wilayah else CKAN_RESOURCE
    resource = {"id": rid, "name": "Jumlah UMKM Menurut Kecamatan", "format": "CSV",
                "datastore_active": True, "url": f"/dataset/{name}/resource/{rid}",
                "metadata_modified": CKAN_MODIFIED, "last_modified": CKAN_MODIFIED}
    package = {"id": "5c0e2a7b-9d1f-4b8e-a3c6-2f7d1e9b0c44" if not per_wilayah else rid.replace("9a1f", "5c0e", 1),
               "name": name, "title": f"Jumlah UMKM Menurut Kecamatan di {w.kabupaten.nama}",
               "organization": {"name": "dinas-koperasi-umkm", "title": "Dinas Koperasi, UKM dan Perdagangan"},
               "metadata_modified": CKAN_MODIFIED, "resources": [resource]}
    return package, {"fields": fields, "records": records}


def write_api(out: Path = API_DIR, reference: Path = PROJECT_ROOT / "include" / "reference") -> list[Path]:
    written = []

    def put(rel: str, obj) -> None:
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(obj, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        written.append(path)

    for var in BPS_VARS:
        put(f"bps/{DOMAIN}/data_var_{var}.json", bps_data(var))
    put(f"bps/{DOMAIN}/list_var.json", bps_var_list())
    package, table = ckan_umkm(reference)
    put(f"ckan/package_show/{CKAN_PACKAGE}.json", package)
    put(f"ckan/datastore/{CKAN_RESOURCE}.json", table)
    put(f"ckan/package_show/{PORTAL_PACKAGE}.json", {
        "id": "0d6c1f7e-2a4b-4c59-9e13-7b8f6a5d4c21", "name": PORTAL_PACKAGE,
        "title": "Indikator Smart City Kabupaten Katingan", "metadata_modified": CKAN_MODIFIED, "resources": []})
    return written


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="write the sample BPS/CKAN API responses")
    p.add_argument("--keluar", type=Path, default=API_DIR)
    args = p.parse_args(argv)
    for path in write_api(args.keluar):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
