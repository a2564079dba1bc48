"""The dataset catalog: one YAML file per OPD dataset, parsed into a typed model.

Imported by DAG files at parse time: only pydantic and PyYAML here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SNAKE = r"^[a-z][a-z0-9_]*$"
DIMENSI = Literal["governance", "branding", "economy", "living", "society", "environment"]
JADWAL = Literal["harian", "mingguan", "bulanan", "triwulanan", "semesteran", "tahunan"]


class _Model(BaseModel):
    # A typo in a catalog file must be an error, not a silently ignored key.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Metadata(_Model):
    """Satu Data variable metadata (Peraturan BPS 5/2020 MS-Var, Daftar Data)."""

    konsep: str
    definisi: str
    satuan: str
    ukuran: str
    klasifikasi_penyajian: list[str]
    jadwal_pemutakhiran: JADWAL
    produsen_data: str
    klasifikasi_akses: Literal["terbuka", "terbatas", "tertutup"] = "terbuka"
    penanggung_jawab: str | None = None
    referensi_waktu: str | None = None
    dimensi_smart_city: list[DIMENSI] = Field(min_length=1)


class Periode(_Model):
    """Where the period of each value comes from."""

    dari: Literal["sheet", "tetap"] = "sheet"
    pola: str = r"(\d{4})"  # regex on the sheet name; group 1 is the period
    nilai: str | None = None  # with dari=tetap

    @field_validator("pola")
    @classmethod
    def _regex(cls, v: str) -> str:
        try:
            if re.compile(v).groups < 1:
                raise ValueError("needs one (group) that captures the period")
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return v


class SpreadsheetSource(_Model):
    """OPD workbooks arriving in `<inbox>/<opd>/<dataset>/`."""

    kind: Literal["spreadsheet"]
    pola_file: str = "*.xlsx"
    sheet: str = ".*"  # regex on sheet names
    baris_header: int | None = Field(default=None, ge=1)  # 1-based; None: find the row naming the wilayah column
    tinggi_header: int = Field(default=1, ge=1, le=5)
    periode: Periode = Periode()
    label_total: list[str] = ["jumlah", "total"]
    label_catatan_kaki: list[str] = ["sumber", "catatan", "keterangan", "source", "note"]
    tanda_strip: Literal["nihil", "kosong"] = "nihil"  # how '-' is read for this dataset


# Further source kinds (bps_webapi, ckan, rest) join this union with their own `kind`.
Source = Annotated[SpreadsheetSource, Field(discriminator="kind")]


class Kolom(_Model):
    name: str = Field(pattern=SNAKE)
    alias: list[str] = Field(min_length=1)
    peran: Literal["wilayah", "nilai", "total"]
    tipe: Literal["integer", "decimal"] = "integer"
    rincian: dict[str, str] = {}  # breakdown values this value column stands for, e.g. {jenis_kelamin: L}


class Pemeriksaan(_Model):
    """A Great Expectations expectation by name and arguments, with its severity."""

    expectation: str = Field(pattern=r"^expect_[a-z0-9_]+$")
    kwargs: dict = {}
    severity: Literal["critical", "warning", "info"] = "critical"


class Dataset(_Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
    opd: str = Field(pattern=SNAKE)
    judul: str
    deskripsi: str
    variabel: str = Field(pattern=SNAKE)
    tingkat_wilayah: Literal["kecamatan"] = "kecamatan"
    metadata: Metadata
    sumber: Source
    kolom: list[Kolom] = Field(min_length=2)
    rincian: dict[str, list[str]] = {}  # breakdown name → allowed values
    pemeriksaan: list[Pemeriksaan] = []
    jadwal: str = "0 1 * * *"  # cron, Asia/Jakarta
    pemilik: str = "walidata"
    retries: int = Field(default=2, ge=0, le=10)

    @model_validator(mode="after")
    def _consistent(self) -> Dataset:
        if self.id.split(".", 1)[0] != self.opd:
            raise ValueError(f"id {self.id!r} must start with the OPD '{self.opd}.'")
        wil = [k for k in self.kolom if k.peran == "wilayah"]
        if len(wil) != 1:
            raise ValueError("kolom: exactly one column needs peran: wilayah")
        nilai = [k for k in self.kolom if k.peran == "nilai"]
        if not nilai:
            raise ValueError("kolom: at least one column needs peran: nilai")
        for k in nilai:
            if set(k.rincian) != set(self.rincian):
                raise ValueError(f"kolom {k.name!r}: rincian must name each of {sorted(self.rincian)}")
            for dim, val in k.rincian.items():
                if val not in self.rincian[dim]:
                    raise ValueError(f"kolom {k.name!r}: {dim}={val!r} is not one of {self.rincian[dim]}")
        if len(self.kolom) != len({k.name for k in self.kolom}):
            raise ValueError("kolom: names must be unique")
        if len(self.cron_fields()) != 5:
            raise ValueError(f"jadwal {self.jadwal!r} is not a 5-field cron expression")
        return self

    def cron_fields(self) -> list[str]:
        return self.jadwal.split()

    @property
    def name(self) -> str:
        return self.id.split(".", 1)[1]

    @property
    def dag_id(self) -> str:
        return f"opd__{self.opd}__{self.name}"

    @property
    def fact_table(self) -> str:
        return f"{self.opd}__{self.name}"

    @property
    def wilayah_kolom(self) -> Kolom:
        return next(k for k in self.kolom if k.peran == "wilayah")

    @property
    def nilai_kolom(self) -> list[Kolom]:
        return [k for k in self.kolom if k.peran == "nilai"]

    @property
    def total_kolom(self) -> list[Kolom]:
        return [k for k in self.kolom if k.peran == "total"]

    @property
    def breakdowns(self) -> list[str]:
        return list(self.rincian)

    def doc_md(self) -> str:
        m = self.metadata
        rows = [
            ("OPD / produsen data", m.produsen_data),
            ("Konsep", m.konsep),
            ("Definisi", m.definisi),
            ("Ukuran / satuan", f"{m.ukuran} / {m.satuan}"),
            ("Klasifikasi penyajian", ", ".join(m.klasifikasi_penyajian)),
            ("Jadwal pemutakhiran", m.jadwal_pemutakhiran),
            ("Klasifikasi akses", m.klasifikasi_akses),
            ("Dimensi Smart City", ", ".join(m.dimensi_smart_city)),
            ("Tingkat wilayah", self.tingkat_wilayah),
            ("Tabel gudang data", f"fact.{self.fact_table}"),
        ]
        table = "\n".join(f"| {k} | {v} |" for k, v in rows)
        return f"# {self.judul}\n\n{self.deskripsi}\n\n| Metadata | |\n| --- | --- |\n{table}\n"


@dataclass(frozen=True)
class CatalogError:
    """A catalog file that could not be read; other datasets go on."""

    path: Path
    dag_id: str
    message: str


def _dag_id_for(path: Path) -> str:
    return f"opd__{path.parent.name}__{path.stem}"


def load_file(path: Path) -> Dataset:
    """One catalog file; errors name the file and the field."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a mapping of fields at the top level")
    try:
        ds = Dataset.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"]) or "(top level)"
            lines.append(f"field '{field}': {err['msg'].removeprefix('Value error, ')}")
        raise ValueError(f"{path}: " + "; ".join(lines)) from None
    if ds.dag_id != _dag_id_for(path):
        raise ValueError(f"{path}: field 'id': {ds.id!r} must match the file's place <opd>/<name>.yaml")
    return ds


def load_catalog(catalog_dir: Path) -> tuple[list[Dataset], list[CatalogError]]:
    """Every dataset of the catalog, and the files that failed (each named), sorted by id."""
    datasets, errors = [], []
    for path in sorted(Path(catalog_dir).glob("*/*.y*ml")):
        try:
            datasets.append(load_file(path))
        except ValueError as exc:
            errors.append(CatalogError(path=path, dag_id=_dag_id_for(path), message=str(exc)))
    return datasets, errors


def get_dataset(catalog_dir: Path, dataset_id: str) -> Dataset:
    opd, _, name = dataset_id.partition(".")
    for ext in ("yaml", "yml"):
        path = Path(catalog_dir) / opd / f"{name}.{ext}"
        if path.exists():
            return load_file(path)
    raise KeyError(f"dataset {dataset_id!r} is not in the catalog {catalog_dir}")
