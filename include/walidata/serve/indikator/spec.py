"""The indicator declarations: `include/indikator/marts/<dimensi>/<kode>.yaml` (MS-Ind metadata and inputs)
beside `<kode>.sql` (the computation). Parsed into a typed model; imported at DAG parse time, so only pydantic
and PyYAML here.

An input (`masukan`) names one catalog dataset and variable, optionally one breakdown value (`rincian`). The
runner turns it into a staging relation of complete figures only (see include/indikator/staging/), so an
indicator's SQL never sees partial data.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from walidata.catalog import DIMENSI, Ident, read_yaml

MASUKAN_CALL = re.compile(r"\{\{\s*masukan\(\s*'([a-z][a-z0-9_]*)'\s*\)\s*\}\}")
DATASET_ID = r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$"
# An indicator's SQL is one query: it starts with SELECT or WITH (after blank lines and `/* */` comments)
SELECT_START = re.compile(r"\A(?:\s|/\*.*?\*/)*(?:SELECT|WITH)\b", re.IGNORECASE | re.DOTALL)
ELEMEN = {
    "governance": ["pelayanan", "birokrasi", "kebijakan"],
    "branding": ["pariwisata", "bisnis", "wajah kota"],
    "economy": ["industri", "kesejahteraan rakyat", "ekosistem transaksi keuangan"],
    "living": ["tata wilayah", "kesehatan", "mobilitas"],
    "society": ["komunitas", "ekosistem belajar", "keamanan"],
    "environment": ["proteksi lingkungan", "sampah dan limbah", "energi"],
}

# libyaml's safe loader where PyYAML has it (ten times faster than the pure-Python one), else the same rules
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class IndikatorError(ValueError):
    """An indicator declaration that cannot be used: names the file and says why."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Masukan(_Model):
    """One input: a variable of a catalog dataset, summed over its breakdowns unless `rincian` picks one."""

    dataset: str = Field(pattern=DATASET_ID)
    variabel: Ident
    rincian: dict[Ident, str | list[str]] = {}
    # absent rows are zero (an event log: a village with no event has no row); a period counts as reported when
    # the kabupaten/kota has rows in it (a year: in each of its 12 months)
    jarang: bool = False

    @field_validator("rincian")
    @classmethod
    def _values(cls, v: dict) -> dict:
        for k, vals in v.items():
            for x in [vals] if isinstance(vals, str) else vals:
                if not re.fullmatch(r"[A-Za-z0-9_\-]+", x):
                    raise ValueError(f"rincian {k}: {x!r} is not a breakdown value")
        return v


class Rentang(_Model):
    """The values an indicator can take: GX checks them on the mart."""

    min: float | None = None
    maks: float | None = None
    lebih_dari_nol: bool = False  # a ratio: strictly above zero


TANPA_PROVINSI = ("komponen indikator ini tidak dinyatakan dapat dijumlahkan antarkabupaten/kota "
                  "(provinsi.dari_komponen), jadi nilai provinsi tidak dihitung; nilai provinsi tidak pernah "
                  "dihitung sebagai rata-rata nilai kabupaten/kota")


class Provinsi(_Model):
    """Whether the province's value can be computed from its kab/kota's components: each input is a count that
    adds up across kab/kota (people, doctors, events…) and the SQL is a function of those sums (a ratio of sums:
    sum of numerators over sum of denominators). An input that is itself a rate or an index (IPM, a BPS
    percentage) does not add up: then `dari_komponen: false` and `alasan` says why. Never an average of rates."""

    dari_komponen: bool = False
    alasan: str = TANPA_PROVINSI


class Indikator(_Model):
    kode: Ident
    nama: str
    dimensi: DIMENSI
    elemen: str
    # MS-Ind (Peraturan BPS 5/2020)
    konsep: str
    definisi: str
    interpretasi: str
    rumus: str
    ukuran: str
    satuan: str
    klasifikasi_penyajian: list[str] = Field(min_length=1)
    komposit: bool = False
    publikasi_ketersediaan_indikator_pembangun: str | None = None
    indikator_pembangun: list[str] = []
    kegiatan_penghasil_variabel_pembangun: str
    kode_kegiatan: str | None = None
    variabel_pembangun: list[str] = Field(min_length=1)
    level_estimasi: list[Literal["kabupaten", "kecamatan"]] = Field(min_length=1)
    dapat_diakses_umum: bool = True
    # computation
    periode: list[Literal["tahun", "bulan"]] = ["tahun"]
    sumber_penduduk: Literal["dukcapil", "proyeksi_bps"] | None = None
    masukan: dict[Ident, Masukan] = Field(min_length=1)
    referensi: list[str] = []  # reference tables the SQL reads besides its inputs, e.g. ref.wilayah.luas_km2
    rentang: Rentang = Rentang()
    toleransi_perubahan: float | None = Field(default=None, gt=0)  # year-over-year change (share) that is plausible
    keterangan_tanpa_nilai: str = "tidak dapat dihitung dari masukan periode ini"
    provinsi: Provinsi = Provinsi()  # the province's value from the summed components of its kab/kota, or why not

    @model_validator(mode="after")
    def _elemen(self) -> Indikator:
        if self.elemen not in ELEMEN[self.dimensi]:
            raise ValueError(f"elemen {self.elemen!r} is not an element of Smart {self.dimensi.title()}: "
                             f"{', '.join(ELEMEN[self.dimensi])}")
        if self.komposit and not self.indikator_pembangun:
            raise ValueError("a composite indicator (komposit: true) names its indikator_pembangun")
        return self

    @property
    def datasets(self) -> list[str]:
        return sorted({m.dataset for m in self.masukan.values()})


@dataclass(frozen=True)
class Deklarasi:
    """An indicator as declared: its metadata, its SQL and the files they came from."""

    indikator: Indikator
    sql: str
    path: Path

    @property
    def kode(self) -> str:
        return self.indikator.kode

    def sidik(self, staging: str) -> str:
        """A fingerprint of the definition (metadata, SQL and the staging templates it runs on)."""
        text = self.path.read_text(encoding="utf-8") + "\0" + self.sql + "\0" + staging
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def _load_one(path: Path) -> Deklarasi:
    try:
        raw = read_yaml(path, "indikator", loader=SAFE_LOADER)  # the catalog's size and alias limits
    except ValueError as exc:
        raise IndikatorError(str(exc)) from None
    try:
        ind = Indikator.model_validate(raw)
    except ValidationError as exc:
        raise IndikatorError(f"{path}: {exc}") from None
    if ind.kode != path.stem or ind.dimensi != path.parent.name:
        raise IndikatorError(f"{path}: kode {ind.kode!r} and dimensi {ind.dimensi!r} must match the file's name and "
                             f"folder (marts/<dimensi>/<kode>.yaml)")
    sql_path = path.with_suffix(".sql")
    if not sql_path.exists():
        raise IndikatorError(f"{path}: the computation {sql_path.name} is missing beside it")
    # `--` comment lines are documentation for the reader, not SQL
    sql = "\n".join(ln for ln in sql_path.read_text(encoding="utf-8").splitlines() if not ln.lstrip().startswith("--"))
    used = set(MASUKAN_CALL.findall(sql))
    if used != set(ind.masukan):
        raise IndikatorError(f"{sql_path}: the SQL reads masukan {sorted(used)} but the YAML declares "
                             f"{sorted(ind.masukan)}: they must be the same")
    if ";" in sql.strip().rstrip(";"):
        raise IndikatorError(f"{sql_path}: one SELECT only (no ';' inside)")
    if not SELECT_START.match(sql):
        raise IndikatorError(f"{sql_path}: one SELECT (or WITH … SELECT) only: an indicator reads, it never writes")
    return Deklarasi(ind, sql.strip().rstrip(";"), path)


def load_indikator(root: Path) -> list[Deklarasi]:
    """Every indicator under `root`/marts, sorted by dimension and code. A bad file is an error naming it: a
    missing indicator must never pass unnoticed."""
    found = [_load_one(p) for p in sorted((root / "marts").glob("*/*.yaml"))]
    seen: dict[str, Path] = {}
    for d in found:
        if d.kode in seen:
            raise IndikatorError(f"{d.path}: kode {d.kode!r} is declared twice (also {seen[d.kode]})")
        seen[d.kode] = d.path
    return sorted(found, key=lambda d: (d.indikator.dimensi, d.kode))
