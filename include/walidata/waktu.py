"""The region's local time: WIB, WITA or WIT by its province (Kemendagri code), for dates and times people read."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

ZONA = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}


def zona(wilayah: str) -> tuple[str, ZoneInfo]:
    """('WIB', Asia/Jakarta) for a region code of a province in western Indonesia, WITA/WIT elsewhere."""
    prov = int(wilayah[:2])
    nama = "WIT" if prov >= 81 else "WITA" if prov in (51, 52, 53, 63, 64, 65) or 71 <= prov <= 76 else "WIB"
    return nama, ZoneInfo(ZONA[nama])


def hari_ini(wilayah: str) -> dt.date:
    """Today's date where the region is."""
    return dt.datetime.now(zona(wilayah)[1]).date()
