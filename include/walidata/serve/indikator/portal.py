"""Publishing the indicators back to a CKAN portal (Satu Data): one DataStore resource per public indicator in
the configured package, written with `datastore_upsert`.

Configured by `WALIDATA_PORTAL_KONEKSI` (a connection id, e.g. `ckan_katingan`: the portal's URL and an API token
with the right to edit the package) and `WALIDATA_PORTAL_PAKET` (the package, created by the portal's admins).
Unset: nothing is sent.

- A resource is found by its name (the indicator's code); when the package has none yet, `datastore_create`
  makes it with the fields of the open-data layout and the primary key `kunci` (region|year|month).
- The records are the open-data records (`ekspor.records`: values in force, a missing value empty with its
  reason), upserted in batches by `kunci`: sending them again replaces them, never duplicates.
- Writes are never retried blindly (`Klien.kirim`): a batch that failed or timed out stops the run with a message
  naming the indicator and the batch; the next run sends everything again, which the key makes safe.
- Indicators not open to the public (MS-Ind "Dapat Diakses Umum: Tidak") are not sent.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from walidata.serve.indikator import ekspor
from walidata.settings import Settings
from walidata.sources.ckan import ACTION, action
from walidata.sources.klien import Batas, Klien

log = logging.getLogger(__name__)

BATCH = 500
KEY = "kunci"
TYPES = {"nilai": "numeric", "tahun": "int", "bulan": "int"}


@dataclass
class Terkirim:
    """What one publication sent: records per indicator, and the resources created."""

    paket: str
    rekaman: dict[str, int] = field(default_factory=dict)
    dibuat: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"paket": self.paket, "rekaman": self.rekaman, "dibuat": self.dibuat}


def _fields() -> list[dict]:
    return [{"id": KEY, "type": "text"}, *({"id": c, "type": TYPES.get(c, "text")} for c in ekspor.KOLOM)]


def _kunci(r: dict) -> str:
    wilayah = r["kode_kecamatan"] or r["kode_kabupaten_kota"] or r["kode_provinsi"]
    return f"{wilayah}|{r['tahun']}|{'' if r['bulan'] is None else r['bulan']}"


def _resource_id(klien: Klien, paket: str, resources: dict[str, str], ind: dict, sent: Terkirim) -> str:
    kode = ind["kode"]
    if kode in resources:
        return resources[kode]
    body = {"resource": {"package_id": paket, "name": kode, "description": ind["nama"], "format": "JSON"},
            "fields": _fields(), "primary_key": [KEY]}
    result = _write(klien, "datastore_create", body, f"indikator {kode}: membuat sumber daya")
    sent.dibuat.append(kode)
    return result["resource_id"]


def _write(klien: Klien, name: str, body: dict, halaman: str) -> dict:
    from walidata.sources.klien import ApiError

    r = klien.kirim(ACTION + name, body, halaman)
    out = r.json()
    if not isinstance(out, dict) or out.get("success") is not True:
        raise ApiError(klien.sumber, halaman, f"{name} ditolak portal: {str(out)[:300]}")
    return out.get("result") or {}


def kirim(settings: Settings, klien: Klien | None = None) -> Terkirim | None:
    """Upsert every public indicator's records into the portal; None when no portal is configured."""
    if not (settings.portal_koneksi and settings.portal_paket):
        return None
    from walidata.sources.koneksi import koneksi

    paket = settings.portal_paket
    klien = klien or Klien(koneksi(settings.portal_koneksi), f"portal {settings.portal_koneksi} paket {paket}",
                           Batas(ulang=4))
    sent = Terkirim(paket)
    indikator, wilayah, values = ekspor.baca(settings)
    with klien:
        pkg = action(klien, "package_show", {"id": paket}, "package_show")
        resources = {str(r.get("name")): r["id"] for r in pkg.get("resources") or [] if r.get("datastore_active")}
        for ind in indikator:
            if not ekspor.terbuka_untuk_umum(ind):
                continue
            rows = [{KEY: _kunci(r), **r} for r in ekspor.records(ind, values.get(ind["kode"], []), wilayah)]
            rid = _resource_id(klien, paket, resources, ind, sent)
            batches = [rows[i:i + BATCH] for i in range(0, len(rows), BATCH)]
            for n, batch in enumerate(batches, 1):
                _write(klien, "datastore_upsert", {"resource_id": rid, "records": batch, "method": "upsert",
                                                   "force": True},
                       f"indikator {ind['kode']}: kiriman {n} dari {len(batches)}")
            sent.rekaman[ind["kode"]] = len(rows)
    log.info("portal %s: %d indikator, %d rekaman dikirim ke paket %s (sumber daya baru: %s)",
             settings.portal_koneksi, len(sent.rekaman), sum(sent.rekaman.values()), paket, sent.dibuat or "-")
    return sent
