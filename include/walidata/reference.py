"""Official region codes (Kode Referensi) and the mapping of names as written to codes."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

KABKOTA_CSV = "wilayah_kabkota_indonesia.csv"
DETAIL_CSV = "wilayah_katingan.csv"  # kecamatan and villages; regions with such a file can be read below kabupaten
SINONIM_CSV = "sinonim_wilayah.csv"

_PREFIX = re.compile(r"^(kec|kecamatan|kab|kabupaten|kota|desa|kel|kelurahan)\b\.?\s*")


def normalise_name(name: str) -> str:
    """Case, spacing and punctuation folded; 'Kec.'/'Kecamatan' prefixes removed."""
    s = re.sub(r"[^0-9a-z]+", " ", str(name).replace("\xa0", " ").lower()).strip()
    prev = None
    while prev != s:
        prev, s = s, _PREFIX.sub("", s).strip()
    return s


@dataclass(frozen=True)
class Wilayah:
    kode_kemendagri: str
    kode_bps: str | None
    nama: str
    tingkat: str
    kode_induk: str | None
    luas_km2: float | None = None
    penduduk_laki: int | None = None
    penduduk_perempuan: int | None = None
    penduduk_total: int | None = None


def _rows(path: Path) -> list[dict]:
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@lru_cache(maxsize=8)
def kabkota(reference_dir: Path) -> dict[str, Wilayah]:
    """Provinces and kabupaten/kota of Indonesia by Kemendagri code."""
    out = {}
    for r in _rows(Path(reference_dir) / KABKOTA_CSV):
        out[r["kode_kemendagri"]] = Wilayah(
            kode_kemendagri=r["kode_kemendagri"],
            kode_bps=None,
            nama=r["nama"],
            tingkat=r["tingkat"],
            kode_induk=r["kode_induk"] or None,
            luas_km2=float(r["luas_km2"]) if r["luas_km2"] else None,
            penduduk_laki=int(r["penduduk_laki"]) if r["penduduk_laki"] else None,
            penduduk_perempuan=int(r["penduduk_perempuan"]) if r["penduduk_perempuan"] else None,
            penduduk_total=int(r["penduduk_total"]) if r["penduduk_total"] else None,
        )
    return out


@lru_cache(maxsize=8)
def all_wilayah(reference_dir: Path) -> dict[str, Wilayah]:
    """Every region the reference knows: provinces, kabupaten/kota, and detailed kecamatan/villages."""
    out = dict(kabkota(reference_dir))
    for r in _rows(Path(reference_dir) / DETAIL_CSV):
        code = r["kode_kemendagri"]
        base = out.get(code)
        out[code] = Wilayah(
            kode_kemendagri=code,
            kode_bps=r["kode_bps"] or None,
            nama=r["nama"],
            tingkat=r["tingkat"],
            kode_induk=r["kode_induk"] or None,
            luas_km2=base.luas_km2 if base else None,
            penduduk_laki=base.penduduk_laki if base else None,
            penduduk_perempuan=base.penduduk_perempuan if base else None,
            penduduk_total=base.penduduk_total if base else None,
        )
    return out


class RegionIndex:
    """Maps names as OPDs write them to Kemendagri codes for one kabupaten/kota."""

    def __init__(self, reference_dir: Path, region: str):
        self.region = region
        everything = all_wilayah(Path(reference_dir))
        if region not in everything:
            raise KeyError(f"region {region!r} is not in the reference data")
        self.kabupaten = everything[region]
        self.kecamatan = {
            w.kode_kemendagri: w for w in everything.values() if w.tingkat == "kecamatan" and w.kode_induk == region
        }
        self.desa = {w.kode_kemendagri: w for w in everything.values()
                     if w.tingkat in ("desa", "kelurahan") and w.kode_induk in self.kecamatan}
        self._by_name: dict[str, str] = {}
        for w in self.kecamatan.values():
            self._by_name[normalise_name(w.nama)] = w.kode_kemendagri
        for r in _rows(Path(reference_dir) / SINONIM_CSV):
            if r["kode_kemendagri"] in self.kecamatan:
                self._by_name.setdefault(normalise_name(r["sinonim"]), r["kode_kemendagri"])
        self._desa_by_kec: dict[str, dict[str, str]] = {}
        self._desa_anywhere: dict[str, list[str]] = {}
        for w in self.desa.values():
            n = normalise_name(w.nama)
            self._desa_by_kec.setdefault(w.kode_induk, {})[n] = w.kode_kemendagri
            self._desa_anywhere.setdefault(n, []).append(w.kode_kemendagri)
        kab = normalise_name(self.kabupaten.nama)
        self.total_names = {kab, normalise_name(self.kabupaten.nama.split(" ", 1)[-1])}
        # Other kabupaten/kota by name, to flag their rows instead of taking them as ours.
        self._elsewhere = {normalise_name(w.nama): w for w in everything.values()
                           if w.tingkat in ("kabupaten", "kota") and w.kode_kemendagri != region}
        self._cache: dict = {}

    def kecamatan_code(self, name: str) -> str | None:
        """The kecamatan code for a written name, or None when nothing matches (never a guess)."""
        return self._by_name.get(normalise_name(name))

    def is_kabupaten_total(self, name: str) -> bool:
        return normalise_name(name) in self.total_names

    def resolve_kecamatan(self, name: str) -> tuple[str | None, str | None]:
        """(code, None) or (None, why): unknown names and other kabupaten's rows are reported."""
        hit = self._cache.get(name)
        if hit is None:
            n = normalise_name(name)
            code = self._by_name.get(n)
            if code:
                hit = (code, None)
            elif n in self._elsewhere:
                w = self._elsewhere[n]
                hit = (None, f"'{name}' adalah {w.nama} ({w.kode_kemendagri}), di luar {self.kabupaten.nama} "
                             f"({self.region})")
            else:
                hit = (None, f"kecamatan '{name}' tidak dikenal di {self.kabupaten.nama} ({self.region})")
            self._cache[name] = hit
        return hit

    def resolve_desa(self, kecamatan_code: str, name: str) -> tuple[str | None, str | None]:
        key = (kecamatan_code, name)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self._resolve_desa(kecamatan_code, name)
        return hit

    def _resolve_desa(self, kecamatan_code: str, name: str) -> tuple[str | None, str | None]:
        n = normalise_name(name)
        code = self._desa_by_kec.get(kecamatan_code, {}).get(n)
        if code:
            return code, None
        kec = self.kecamatan[kecamatan_code].nama
        elsewhere = [self.kecamatan[self.desa[c].kode_induk].nama for c in self._desa_anywhere.get(n, [])]
        if elsewhere:
            return None, f"desa '{name}' tidak ada di kecamatan {kec} (ada di kecamatan {', '.join(elsewhere)})"
        return None, f"desa '{name}' tidak dikenal di kecamatan {kec}"
