"""The dataset catalog: one YAML file per OPD dataset, parsed into a typed model.

Imported by DAG files at parse time: only pydantic and PyYAML here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

SNAKE = r"^[a-z][a-z0-9_]*$"
MAX_IDENTIFIER_BYTES = 63  # PostgreSQL's limit for a table, view or column name (longer ones are cut silently)
HISTORY_SUFFIX = "__riwayat"  # fact."<opd>__<name>__riwayat": every version of every figure (load.fact_table)
PERSONAL_ROLES = ("abaikan",)  # roles a `pribadi` column may have (see Kolom.pribadi)
# Columns every dataset's records, fact table, mart view, lake and quarantine already have: no breakdown takes
# one of these names.
RESERVED_COLUMNS = frozenset({
    "dataset", "variabel", "kode_wilayah", "nama_wilayah", "periode", "nilai", "satuan", "status", "masalah",
    "sumber_file", "sumber_sheet", "sumber_baris", "sumber_kolom_wilayah", "sumber_kolom_nilai", "load_id",
    "berlaku_mulai", "berlaku_sampai", "tingkat_wilayah", "kode_bps", "nama_induk", "jenis_periode", "tahun",
    "terbit_pada", "wilayah", "pemeriksaan", "alasan", "rincian", "masalah_rinci", "rekaman_id"})
DIMENSI = Literal["governance", "branding", "economy", "living", "society", "environment"]
JADWAL = Literal["harian", "mingguan", "bulanan", "triwulanan", "semesteran", "tahunan"]



def _yaml12_loader() -> type:
    """libyaml's safe loader where PyYAML has it (ten times faster than the pure-Python one), else the same rules,
    with YAML 1.2's booleans: only true/false (any case) are booleans. YAML 1.1 also reads yes/no/on/off/y/n as
    booleans, so `name: no`, `alias: [off]` or `nilai: yes` would silently become True/False; here they stay the
    words they are."""
    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    bool_tag = "tag:yaml.org,2002:bool"
    loader = type("Yaml12SafeLoader", (base,), {})
    loader.yaml_implicit_resolvers = {
        first: kept for first, resolvers in base.yaml_implicit_resolvers.items()
        if (kept := [(tag, rx) for tag, rx in resolvers if tag != bool_tag])}
    loader.add_implicit_resolver(bool_tag, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
    return loader


SAFE_LOADER = _yaml12_loader()
# A catalog or indicator file is a few kilobytes (the largest is ~2 KB): a bigger one is refused unread.
MAX_YAML_BYTES = 256 * 1024


def read_yaml(path: Path, what: str = "katalog", limit: int = MAX_YAML_BYTES, loader: type = SAFE_LOADER):
    """One YAML file of the catalog (or of the indicators), parsed with SAFE_LOADER, after two refusals:
    - a file over `limit` bytes (read at most limit + 1 bytes, never the whole of a huge file);
    - any anchor (`&nama`) or alias (`*nama`): an alias repeats what it names, so a few lines of nested aliases
      ("billion laughs") expand into billions of nodes when the value is used (GX kwargs, str(), a copy). No
      catalog or indicator file uses them, so none is allowed: the value is written out where it is needed.
    `loader` (default SAFE_LOADER, YAML 1.2 booleans) parses what passes. Errors are ValueErrors naming the
    file and saying why, in plain words."""
    with open(path, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{path}: berkas {what} terlalu besar (lebih dari {limit // 1024} KiB); ditolak tanpa "
                         f"dibaca, berkas {what} biasanya hanya beberapa KiB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: bukan teks UTF-8 (byte ke-{exc.start + 1})") from None
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                line = event.start_mark.line + 1
                raise ValueError(
                    f"{path}: baris {line}: anchor/alias YAML (&nama, *nama) tidak diizinkan di berkas {what}: "
                    f"alias dapat melipatgandakan isi berkas hingga miliaran nilai (\"billion laughs\"); tulis "
                    f"nilainya langsung")
        return yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        raise ValueError(f"{path}: not valid YAML: {exc}") from None


def _identifier(v: str) -> str:
    """A name from the catalog that becomes (part of) a warehouse table, view or column name: checked here, at
    catalog load, never pasted into SQL unchecked."""
    if not re.fullmatch(SNAKE, v):
        from walidata.safe_text import visible

        raise ValueError(f"'{visible(v)}' is not a name the warehouse can use: lower-case letters a-z, digits and "
                         f"_ only, starting with a letter")
    if len(v.encode()) > MAX_IDENTIFIER_BYTES:
        raise ValueError(f"{v!r} is {len(v.encode())} characters long; a warehouse name may be at most "
                         f"{MAX_IDENTIFIER_BYTES}")
    return v


Ident = Annotated[str, AfterValidator(_identifier)]


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
    """Where each value's period comes from.

    sheet/judul/file: a regex on the sheet name / the title rows above the header / the file name (group 1 is
    the period); tetap: a fixed value (`nilai`); kolom: a column with peran 'periode'; tanggal: a date column
    (peran 'tanggal'); header: wide layouts, one value column per period (years, or months with a year).
    Month, quarter and semester labels that carry no year take it from `tahun_dari`: the sheet name, the title
    rows, the file name, a column with peran 'tahun', or `tahun` fixed in the catalog.
    """

    dari: Literal["sheet", "judul", "file", "tetap", "kolom", "tanggal", "header"] = "sheet"
    pola: str = r"((?:19|20)\d{2})"
    nilai: str | None = None  # for dari: tetap: '2025', 'Semester 1 2025', 'Triwulan III 2024', 'Maret 2025'…
    tahun_dari: Literal["sheet", "judul", "file", "kolom", "tetap"] | None = None
    tahun: str | None = Field(default=None, pattern=r"^(19|20)\d{2}$")  # for tahun_dari: tetap
    # for dari=tanggal; for dari=kolom, written explicitly, it reads bare numbers (1 … 12) as months, quarters
    # or semesters
    granularitas: Literal["tahun", "semester", "triwulan", "bulan", "minggu"] = "bulan"

    @field_validator("nilai", "tahun", mode="before")
    @classmethod
    def _year_as_number(cls, v):
        return str(v) if isinstance(v, int) and not isinstance(v, bool) else v  # `nilai: 2025` is the year 2025

    @field_validator("nilai")
    @classmethod
    def _readable(cls, v: str | None, info: ValidationInfo) -> str | None:
        """A fixed period is read by the reader's own parser (`_table_periode`): what it cannot read is refused
        here, at load, not published as written."""
        from walidata.standardise.periode import BENTUK_PERIODE, parse_periode  # re only: light at DAG parse

        if v is not None and info.data.get("dari") == "tetap" and parse_periode(v) is None:
            raise ValueError(f"{v!r} is not a period with its year (dari: tetap); accepted forms: "
                             + "; ".join(BENTUK_PERIODE))
        return v

    @field_validator("pola")
    @classmethod
    def _regex(cls, v: str) -> str:
        try:
            if re.compile(v).groups < 1:
                raise ValueError("needs one (group) that captures the period")
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return v

    @model_validator(mode="after")
    def _fixed(self) -> Periode:
        if self.dari == "tetap" and not self.nilai:
            raise ValueError("dari: tetap needs a nilai")
        if (self.tahun_dari == "tetap") != (self.tahun is not None):
            raise ValueError("tahun_dari: tetap needs a tahun (and tahun is only for tahun_dari: tetap)")
        return self


class Kebijakan(_Model):
    """What a failing row does to the dataset's run."""

    muat_sebagian: bool = False  # True: quarantine failing rows and publish the rest


class Agregasi(_Model):
    """Sum event rows (e.g. a disaster log) into counts per region, period and breakdown. Without any `peran: nilai`
    column it counts rows per category: the category from a text column (`peran: rincian`: ADA / TIDAK ADA, Baik /
    Rusak) or from mark columns (`peran: tanda`: a check mark in one of several condition columns)."""

    hitung: Ident | None = None  # name of the variable that counts the rows (None: sums only)
    satuan: str | None = None  # its unit: kejadian, kasus, izin, desa, …

    @model_validator(mode="after")
    def _count_and_unit(self) -> Agregasi:
        if (self.hitung is None) != (self.satuan is None):
            raise ValueError("hitung (the variable that counts the rows) and satuan (its unit) go together")
        return self


class _TableRules(_Model):
    """How the table is read, whatever brought it: the header, periods, regions, totals, '-' and empty cells."""

    baris_header: int | None = Field(default=None, ge=1)  # 1-based; None: find the row naming a key column
    tinggi_header: int = Field(default=1, ge=1, le=5)
    periode: Periode = Periode()
    wilayah_dari: Literal["kolom", "sheet"] = "kolom"  # sheet: one sheet per kecamatan, named by it
    label_total: list[str] = ["jumlah", "total", "jumlah total"]
    label_catatan_kaki: list[str] = ["sumber", "catatan", "keterangan", "source", "note", "ket"]
    tanda_strip: Literal["nihil", "kosong"] = "nihil"  # how '-' is read for this dataset
    # an empty value cell: a problem, 'not given', or nothing (0: a road segment's length in the conditions it is not)
    sel_kosong: Literal["masalah", "tidak_tersedia", "nihil"] = "masalah"
    kolom_lain: Literal["abaikan", "tolak"] = "abaikan"  # header columns the catalog does not know
    agregasi: Agregasi | None = None
    # A table without region columns that comes from a unit below the kabupaten (a puskesmas, a school, a UPT):
    # the breakdown (a rincian of the dataset) that carries the unit, from a column or fixed on the value columns.
    unit_pelapor: Ident | None = None


class SpreadsheetSource(_TableRules):
    """OPD files (xlsx, xls, ods, csv) arriving in `<inbox>/<opd>/<dataset>/`."""

    kind: Literal["spreadsheet"]
    pola_file: list[str] = ["*.xlsx"]
    sheet: str = ".*"  # regex on sheet names
    csv_pemisah: str | None = None  # None: sniffed (';' or ',')
    csv_encoding: str | None = None  # None: UTF-8, else Windows-1252
    batas_ukuran_mb: float = Field(default=50, gt=0)
    batas_dekompresi_mb: float = Field(default=500, gt=0)

    @field_validator("pola_file", mode="before")
    @classmethod
    def _one_or_many(cls, v):
        return [v] if isinstance(v, str) else v

    @field_validator("sheet")
    @classmethod
    def _sheet_regex(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return v


CONN_ID = r"^[a-z][a-z0-9_]*$"


class _ApiSource(_TableRules):
    """What every API source shares: the connection (an Airflow Connection id, or AIRFLOW_CONN_<ID> outside
    Airflow; never credentials in the catalog), the limits of one run, and the schema-drift policy. The records
    become one table whose header row holds the field names: the kolom aliases name the fields."""

    koneksi: str = Field(pattern=CONN_ID)
    batas_halaman: int = Field(default=1000, ge=1)  # pages per run; more is an error (a runaway pagination)
    batas_ukuran_mb: float = Field(default=20, gt=0)  # one response; a bigger one is refused
    timeout_sambung: float = Field(default=10, gt=0)  # seconds to connect
    timeout_baca: float = Field(default=60, gt=0)  # seconds between two bytes of a response
    ulang: int = Field(default=4, ge=0, le=10)  # retries of a read on a timeout, 429 or 5xx
    batas_waktu_total: float = Field(default=300, gt=0)  # seconds for one page, its retries and waits included
    # other hosts (names as in the URL, no scheme) that a resource URL or a redirect may go to
    host_diizinkan: list[Annotated[str, Field(pattern=r"^[A-Za-z0-9.:\[\]-]+$")]] = []
    perubahan_skema: Literal["gagal", "peringatan"] = "peringatan"  # a field new or gone since the last fetch


class BpsSource(_ApiSource):
    """BPS WebAPI (webapi.bps.go.id): the variables `var` (model=data) or one static table (`tabel_statis`) of the
    BPS domain of the region being run (its BPS code through the crosswalk; `domain: provinsi` for the province's
    tables, whose other regions' rows are set aside). `tahun`: only these years (default: all BPS gives)."""

    kind: Literal["bps_webapi"]
    koneksi: str = Field(default="bps_webapi", pattern=CONN_ID)
    var: list[int] = []
    tabel_statis: int | None = None
    domain: Literal["kabupaten_kota", "provinsi"] = "kabupaten_kota"
    tahun: list[int] = []

    @model_validator(mode="after")
    def _one_table(self) -> BpsSource:
        if bool(self.var) == (self.tabel_statis is not None):
            raise ValueError("give either var (BPS variable ids, model=data) or tabel_statis (a static table id)")
        return self


class CkanSource(_ApiSource):
    """A CKAN portal: the package (`paket`, by name or id) and its resource (`sumber_daya`, by name or id). A
    resource in the DataStore is read with datastore_search, paged by offset until the total; otherwise the file
    behind the resource's URL (csv/xlsx) goes through the spreadsheet reader."""

    kind: Literal["ckan"]
    paket: str | None = Field(default=None, min_length=1)  # package name or id (package_show)
    cari: str | None = Field(default=None, min_length=1)  # or a package_search query that finds exactly one
    sumber_daya: str = Field(min_length=1)
    filter: dict[str, str | int] = {}
    per_halaman: int = Field(default=1000, ge=1, le=32000)
    # a resource that is a file (csv/xlsx) rather than a DataStore table: read like an OPD file
    pola_file: list[str] = ["*.csv", "*.xlsx", "*.xls", "*.ods"]
    csv_pemisah: str | None = None
    csv_encoding: str | None = None

    @model_validator(mode="after")
    def _one_package(self) -> CkanSource:
        if (self.paket is None) == (self.cari is None):
            raise ValueError("give either paket (package name or id) or cari (a package_search query)")
        return self


class Halaman(_Model):
    """How a REST service pages: `nomor` (?page=1,2…), `offset` (?offset=0,100…), `kursor` (a cursor read from
    the response at `kursor_path`), `link` (the RFC 8288 Link header rel="next"), or `tidak` (one response)."""

    jenis: Literal["nomor", "offset", "kursor", "link", "tidak"] = "tidak"
    param: str = "page"  # the query parameter of the page number, offset or cursor
    ukuran_param: str | None = None  # the query parameter of the page size
    ukuran: int = Field(default=100, ge=1)
    mulai: int = 1  # the first page number (nomor)
    kursor_path: str | None = None  # kursor: dotted path of the next cursor in the response
    total_path: str | None = None  # dotted path of the total number of records, when the service gives it


class RestSource(_ApiSource):
    """An OPD's REST/JSON service: a URL template under the connection's base URL ({wilayah} and {wilayah_bps}
    filled in), the dotted path to the records in each response, and the field mapping (dotted path inside a
    record → the column label the kolom aliases name; default: the record's own top-level fields)."""

    kind: Literal["rest"]
    url: str = Field(min_length=1)
    rekaman: str = ""  # dotted path to the list of records ("" = the response is the list)
    pemetaan: dict[str, str] = {}
    halaman: Halaman = Halaman()
    parameter: dict[str, str] = {}

    @field_validator("url")
    @classmethod
    def _relative(cls, v: str) -> str:
        if "://" in v or v.startswith("//"):
            raise ValueError("url is a path under the connection's base URL (the host is the connection's, so a "
                             "catalog file cannot send credentials elsewhere)")
        return v


# Each source kind has its connector (walidata.sources.base.CONNECTORS).
Source = Annotated[SpreadsheetSource | BpsSource | CkanSource | RestSource, Field(discriminator="kind")]
API_KINDS = ("bps_webapi", "ckan", "rest")

PERAN = Literal["provinsi", "kabupaten_kota", "kecamatan", "desa", "nilai", "total", "rincian", "periode", "tahun",
                "tanggal", "tanda", "abaikan"]
REGION_ROLES = ("provinsi", "kabupaten_kota", "kecamatan", "desa")  # coarse to fine
TINGKAT = Literal["provinsi", "kabupaten", "kecamatan", "desa"]


class BagianKode(_Model):
    """One part of a region code split over several columns (NO_PROP, NO_KAB, NO_KEC, NO_KEL)."""

    alias: list[str] = Field(min_length=1)
    digit: int = Field(ge=1, le=4)  # its width: '9' in a 2-digit part is '09'


class Kolom(_Model):
    """A column of the OPD table, found in the header by any of its aliases (case/space-insensitive).

    An alias 'SD > Guru' needs both labels in the column's header cells (multi-row headers). A region code split
    over several columns is declared with `gabungan` (its parts, coarse to fine) instead of `alias`.
    """

    name: Ident
    alias: list[str] = []
    gabungan: list[BagianKode] = []
    peran: PERAN
    tipe: Literal["integer", "decimal"] = "integer"
    desimal: Literal["koma", "titik"] = "koma"  # nilai: 12,5 and 1.234 (Indonesian) or 12.5 and 1,234 (exports)
    wajib: bool = True
    variabel: Ident | None = None  # nilai: default the dataset's variabel
    satuan: str | None = None  # nilai: default the dataset's satuan
    rincian: dict[Ident, str] = {}  # nilai, tanda: breakdown values this column stands for, e.g. {jenis_kelamin: L}
    rincian_header: dict[Ident, dict[str, str]] = {}  # nilai: breakdown read from a header label {dim: {label: v}}
    ganda: bool = False  # nilai: may match several columns (one per breakdown/period in the header)
    aditif: bool = True  # nilai: sums make sense (counts); False for rates and percentages (no total check)
    jumlah_dari: list[Ident] = []  # total: the nilai columns (by name) it sums; default every additive one
    dimensi: Ident | None = None  # rincian: which breakdown this column's text gives
    sinonim: dict[str, str] = {}  # rincian: text as written → allowed value
    # Region columns: how undotted codes are read (dotted '62.06' is always Kemendagri), and for kabupaten_kota
    # whether a name without 'Kabupaten'/'Kota' means the kabupaten (BPS tables) or is ambiguous ('ragu').
    sistem_kode: Literal["bps", "kemendagri"] = "bps"
    tanpa_awalan: Literal["kabupaten", "ragu"] = "ragu"
    # nilai: plausibility against the region's population (ref.wilayah): a figure (and the sum of its breakdowns)
    # may not exceed `batas_penduduk` × the population. Default: 1.1 for people-like units (jiwa, orang, KK, murid…);
    # 'tidak' turns it off.
    batas_penduduk: float | Literal["tidak"] | None = Field(default=None)
    # Personal data (names, NIK, addresses of people): every value is replaced by a keyed pseudonym at read,
    # before it leaves the raw zone (walidata.sources.privacy). Only for peran: abaikan (see PERSONAL_ROLES).
    pribadi: bool = False
    # An identifier (a disaster log's event number, a register's own id): its values are not NIK candidates and are
    # kept as they are (walidata.sources.privacy). Only for peran: abaikan, and never with pribadi.
    pengenal: bool = False

    @model_validator(mode="after")
    def _alias_or_parts(self) -> Kolom:
        if bool(self.alias) == bool(self.gabungan):
            raise ValueError(f"kolom {self.name!r}: give alias (the header labels of the column) or gabungan (the "
                             f"columns whose parts make one region code), one of them")
        if self.gabungan and (self.peran not in REGION_ROLES or len(self.gabungan) < 2):
            raise ValueError(f"kolom {self.name!r}: gabungan is for a region code (peran provinsi, kabupaten_kota, "
                             f"kecamatan or desa) split over two or more columns")
        return self

    @model_validator(mode="after")
    def _personal_role(self) -> Kolom:
        # A value, total, region or period column carries the statistic itself, and a breakdown's values must be
        # in its allowed list: none of them can be personal data replaced by a pseudonym.
        if self.pribadi and self.peran not in PERSONAL_ROLES:
            raise ValueError(f"kolom {self.name!r}: pribadi: true is only for peran {' or '.join(PERSONAL_ROLES)} "
                             f"(not {self.peran}): personal data is kept out of the figures")
        if self.pengenal and (self.peran != "abaikan" or self.pribadi):
            raise ValueError(f"kolom {self.name!r}: pengenal: true (an identifier, whose 16-digit values are not "
                             f"taken for NIKs) is only for peran abaikan without pribadi (not peran {self.peran}"
                             f"{', pribadi' if self.pribadi else ''})")
        return self


def _severity(v):
    if v == "error":  # one name per concept: GX's word, which the Data Docs page shows too
        raise ValueError("severity 'error' is written 'critical' (or 'warning')")
    return v


SEVERITY = Annotated[Literal["critical", "warning"], BeforeValidator(_severity)]


class Pemeriksaan(_Model):
    """A Great Expectations expectation by name and arguments, with its severity (critical or warning)."""

    expectation: str = Field(pattern=r"^expect_[a-z0-9_]+$")
    kwargs: dict = {}
    severity: SEVERITY = "critical"



class BagianKeseluruhan(_Model):
    """A part never exceeds its whole, for the same region, period and breakdown (e.g. stunted ≤ measured)."""

    bagian: Ident
    keseluruhan: Ident
    severity: SEVERITY = "critical"



class Konsistensi(_Model):
    """The same quantity from another dataset (another OPD) agrees within a tolerance, per region and period.

    Both sides are summed over their breakdowns; the other side is read from the warehouse (current figures)."""

    variabel: Ident
    dataset: str = Field(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
    variabel_lain: Ident
    toleransi_persen: float = Field(default=1.0, ge=0)
    severity: SEVERITY = "warning"



class Kewajaran(_Model):
    """Plausibility against history: a figure that moves more than `persen` % from the previous period."""

    persen: float = Field(gt=0)
    minimum: float = 10  # small counts jump by large percentages; compare only from this size up
    variabel: list[Ident] = []  # only these variables (default: all)
    severity: SEVERITY = "warning"



class Dataset(_Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
    opd: Ident
    judul: str
    deskripsi: str
    variabel: Ident
    tingkat_wilayah: TINGKAT = "kecamatan"
    metadata: Metadata
    sumber: Source
    kolom: list[Kolom] = Field(min_length=1)
    rincian: dict[Ident, list[str]] = {}  # breakdown name (a warehouse column) → allowed values
    pemeriksaan: list[Pemeriksaan] = []
    kebijakan: Kebijakan = Kebijakan()
    bagian_keseluruhan: list[BagianKeseluruhan] = []
    konsistensi: list[Konsistensi] = []
    kewajaran: Kewajaran | None = None
    kesegaran: SEVERITY | None = "warning"  # latest period within the update schedule; None: not checked
    jadwal: str = "0 1 * * *"  # cron, Asia/Jakarta
    pemilik: str = "walidata"
    retries: int = Field(default=2, ge=0, le=10)

    @field_validator("id")
    @classmethod
    def _id_fits_the_warehouse(cls, v: str) -> str:
        """`fact."<opd>__<name>__riwayat"` is the longest warehouse name a dataset gets (see load.fact_table)."""
        opd, name = v.split(".", 1)
        table = f"{opd}__{name}{HISTORY_SUFFIX}"
        if len(table.encode()) > MAX_IDENTIFIER_BYTES:
            room = MAX_IDENTIFIER_BYTES - len(f"{opd}__{HISTORY_SUFFIX}".encode())
            raise ValueError(f"{v!r} is too long for the warehouse: its table fact.{table} would be "
                             f"{len(table.encode())} characters and must fit in {MAX_IDENTIFIER_BYTES} characters "
                             f"(PostgreSQL); with OPD '{opd}' the dataset name may be at most {room} characters, "
                             f"'{name}' has {len(name)}")
        return v

    @field_validator("rincian")
    @classmethod
    def _rincian_are_new_columns(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        taken = sorted(set(v) & RESERVED_COLUMNS)
        if taken:
            raise ValueError(f"breakdown names {taken} are already columns of every dataset's table; choose other "
                             f"names")
        return v

    @model_validator(mode="after")
    def _consistent(self) -> Dataset:
        if self.id.split(".", 1)[0] != self.opd:
            raise ValueError(f"id {self.id!r} must start with the OPD '{self.opd}.'")
        if len(self.kolom) != len({k.name for k in self.kolom}):
            raise ValueError("kolom: names must be unique")
        by_role = {r: [k for k in self.kolom if k.peran == r] for r in PERAN.__args__}
        src = self.sumber
        self._check_wilayah(by_role)
        if not by_role["nilai"] and not (src.agregasi and src.agregasi.hitung):
            raise ValueError("kolom: at least one column needs peran: nilai (or sumber.agregasi with hitung, to count "
                             "rows per category)")
        per_column = sorted({d for k in by_role["nilai"] for d in [*k.rincian, *k.rincian_header]})
        if src.agregasi and src.agregasi.hitung and per_column:
            raise ValueError(f"sumber.agregasi.hitung counts rows per region, period and the breakdowns read from "
                             f"each row; {per_column} come from the value columns (one per column), so every row "
                             f"would be counted once under each of them: leave hitung out (sums only) or read "
                             f"{per_column} from a rincian column")
        if by_role["tanda"] and (by_role["nilai"] or not src.agregasi):
            raise ValueError("kolom: peran: tanda (a mark per category) is for counting rows: it needs "
                             "sumber.agregasi and no column with peran: nilai")
        for role, dari in (("periode", "kolom"), ("tanggal", "tanggal")):
            if (src.periode.dari == dari) != (len(by_role[role]) == 1):
                raise ValueError(f"sumber.periode.dari: {dari} needs exactly one column with peran: {role} "
                                 f"(and only then)")
        if (src.periode.tahun_dari == "kolom") != (len(by_role["tahun"]) == 1):
            raise ValueError("sumber.periode.tahun_dari: kolom needs exactly one column with peran: tahun "
                             "(and only then)")
        from_columns = set()
        for k in by_role["rincian"]:
            if k.dimensi not in self.rincian:
                raise ValueError(f"kolom {k.name!r}: dimensi must be one of {sorted(self.rincian)}")
            from_columns.add(k.dimensi)
        for k in by_role["nilai"]:
            given = set(k.rincian) | set(k.rincian_header) | from_columns
            if given != set(self.rincian) or set(k.rincian) & (set(k.rincian_header) | from_columns):
                raise ValueError(f"kolom {k.name!r}: rincian (fixed, from the header, or from rincian columns) "
                                 f"must give each of {sorted(self.rincian)} exactly once")
            for dim, val in k.rincian.items():
                if val not in self.rincian[dim]:
                    raise ValueError(f"kolom {k.name!r}: {dim}={val!r} is not one of {self.rincian[dim]}")
            for dim, labels in k.rincian_header.items():
                bad = sorted(set(labels.values()) - set(self.rincian[dim]))
                if bad:
                    raise ValueError(f"kolom {k.name!r}: rincian_header {dim} values {bad} "
                                     f"are not in {self.rincian[dim]}")
        self._check_tanda(by_role, from_columns)
        if src.unit_pelapor and src.unit_pelapor not in self.rincian:
            raise ValueError(f"sumber.unit_pelapor: {src.unit_pelapor!r} must be one of the breakdowns "
                             f"{sorted(self.rincian)} (the one that names the reporting unit)")
        for k in by_role["rincian"]:
            bad = sorted(set(k.sinonim.values()) - set(self.rincian[k.dimensi]))
            if bad:
                raise ValueError(f"kolom {k.name!r}: sinonim values {bad} are not in {self.rincian[k.dimensi]}")
        for k in by_role["total"]:
            bad = sorted(set(k.jumlah_dari) - {v.name for v in by_role["nilai"]})
            if bad:
                raise ValueError(f"kolom {k.name!r}: jumlah_dari {bad} are not columns with peran: nilai")
        for b in self.bagian_keseluruhan:
            for v in (b.bagian, b.keseluruhan):
                if v not in self.variabel_list:
                    raise ValueError(f"bagian_keseluruhan: {v!r} is not one of the variables {self.variabel_list}")
        if len(self.cron_fields()) != 5:
            raise ValueError(f"jadwal {self.jadwal!r} is not a 5-field cron expression")
        return self

    def _check_tanda(self, by_role: dict, from_columns: set[str]) -> None:
        """Mark columns: each names one category of one breakdown; with the text categories they give each
        breakdown exactly once (when rows are counted without a value column)."""
        marked: set[str] = set()
        for k in by_role["tanda"]:
            if len(k.rincian) != 1:
                raise ValueError(f"kolom {k.name!r}: peran: tanda needs rincian with exactly one breakdown and its "
                                 f"value, e.g. {{kondisi: baik}}")
            ((dim, val),) = k.rincian.items()
            if val not in self.rincian.get(dim, []):
                raise ValueError(f"kolom {k.name!r}: {dim}={val!r} is not one of {self.rincian.get(dim)}")
            marked.add(dim)
        if not by_role["nilai"] and (marked & from_columns or marked | from_columns != set(self.rincian)):
            raise ValueError(f"kolom: when rows are counted, each breakdown of {sorted(self.rincian)} comes from "
                             f"exactly one place: a rincian column or mark columns (peran: tanda)")

    def _check_wilayah(self, by_role: dict) -> None:
        """Which region columns a dataset needs at its level (rows are attributed by what they name)."""
        src, level = self.sumber, self.tingkat_wilayah
        if src.wilayah_dari == "sheet":
            if level != "kecamatan" or any(by_role[r] for r in REGION_ROLES):
                raise ValueError("sumber.wilayah_dari: sheet works for tingkat_wilayah: kecamatan only, without "
                                 "region columns")
            return
        if level in ("kecamatan", "desa") and not by_role["kecamatan"]:
            raise ValueError("kolom: a column with peran: kecamatan is needed for tingkat_wilayah "
                             f"{level} (or sumber.wilayah_dari: sheet)")
        if (level == "desa") != bool(by_role["desa"]):
            raise ValueError("kolom: tingkat_wilayah desa needs a column with peran: desa (and only then)")

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

    def kolom_peran(self, peran: str) -> list[Kolom]:
        return [k for k in self.kolom if k.peran == peran]

    @property
    def kolom_wilayah(self) -> list[Kolom]:
        """Columns that name the row's region (province, kabupaten/kota, kecamatan, desa), coarse to fine."""
        return [k for r in REGION_ROLES for k in self.kolom_peran(r)]

    @property
    def nilai_kolom(self) -> list[Kolom]:
        return self.kolom_peran("nilai")

    @property
    def total_kolom(self) -> list[Kolom]:
        return self.kolom_peran("total")

    @property
    def kolom_rincian(self) -> list[str]:
        return list(self.rincian)

    @property
    def variabel_list(self) -> list[str]:
        out = [k.variabel or self.variabel for k in self.nilai_kolom]
        if self.sumber.agregasi and self.sumber.agregasi.hitung:
            out.append(self.sumber.agregasi.hitung)
        return list(dict.fromkeys(out))

    def doc_md(self) -> str:
        m = self.metadata
        rows = [
            ("OPD / produsen data", m.produsen_data),
            ("Konsep", m.konsep),
            ("Definisi", m.definisi),
            ("Ukuran / satuan", f"{m.ukuran} / {m.satuan}"),
            ("Variabel", ", ".join(self.variabel_list)),
            ("Klasifikasi penyajian", ", ".join(m.klasifikasi_penyajian)),
            ("Jadwal pemutakhiran", m.jadwal_pemutakhiran),
            ("Klasifikasi akses", m.klasifikasi_akses),
            ("Dimensi Smart City", ", ".join(m.dimensi_smart_city)),
            ("Tingkat wilayah", self.tingkat_wilayah),
            ("Tabel gudang data", f"fact.{self.fact_table}"),
        ]
        table = "\n".join(f"| {k} | {v} |" for k, v in rows)
        return (f"# {self.judul}\n\n{self.deskripsi}\n\n"
                f"**Hasil pemeriksaan terakhir (Data Docs):** [/walidata/data-docs-terbaru/{self.id}]"
                f"(/walidata/data-docs-terbaru/{self.id})\n\n| Metadata | |\n| --- | --- |\n{table}\n")


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
    raw = read_yaml(path)  # size and alias limits: see read_yaml
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a mapping of fields at the top level")
    try:
        ds = Dataset.model_validate(raw)
    except ValidationError as exc:
        from walidata.safe_text import visible

        lines = []
        for err in exc.errors():
            field = visible(".".join(str(p) for p in err["loc"])) or "(top level)"  # keys come from the file
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


DATASET_ID = re.compile(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*")


def get_dataset(catalog_dir: Path, dataset_id: str) -> Dataset:
    """The catalog entry of a dataset id; an id that is not one (a path, '..') is refused before any file is
    opened, so a lookup never reads outside the catalog."""
    if not DATASET_ID.fullmatch(str(dataset_id)):
        raise KeyError(f"{str(dataset_id)!r} bukan id dataset (<opd>.<nama>: huruf kecil, angka "
                       f"dan _)")
    opd, _, name = dataset_id.partition(".")
    for ext in ("yaml", "yml"):
        path = Path(catalog_dir) / opd / f"{name}.{ext}"
        if path.exists():
            return load_file(path)
    raise KeyError(f"dataset {dataset_id!r} tidak ada di katalog {catalog_dir}")
