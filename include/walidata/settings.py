"""Runtime settings from the environment (WALIDATA_*), validated once at start."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import PrivateAttr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The region codes ship with the package (include/reference beside include/walidata): their default does not move
# with WALIDATA_HOME, which is where a deployment keeps its own data, catalog and GX context.
PACKAGE_REFERENCE = Path(__file__).resolve().parents[1] / "reference"


class SettingsError(ValueError):
    """A WALIDATA_* variable has a value the pipeline cannot use."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WALIDATA_", extra="ignore")

    home: Path = PROJECT_ROOT
    wilayah: str = "62.06"
    warehouse_url: str = "duckdb:///data/warehouse.duckdb"
    lake: Path = Path("data/lake")
    inbox: str = "include/sample_data/inbox"  # a folder, or an fsspec URL (s3://, sftp://, …)
    catalog: Path = Path("include/catalog")
    reference: Path = PACKAGE_REFERENCE  # a relative WALIDATA_REFERENCE is still taken from WALIDATA_HOME
    gx_root: Path = Path("great_expectations")
    indikator: Path = Path("include/indikator")  # the Smart City indicators: staging/ and marts/<dimensi>/<kode>
    terbuka: Path = Path("data/terbuka")  # open data: one folder of exports per indicator
    laporan: Path = Path("data/laporan")  # the static HTML report (index.html)
    # Retention of the raw zone (the OPDs' originals): files older than this many days are removed, except those
    # behind the figures in force. None keeps every original (the default: originals are the audit evidence).
    raw_retention_days: int | None = None
    # Publishing the indicators back to a CKAN portal (serve/indikator/portal.py): the connection id and the
    # package. Unset: nothing is sent.
    portal_koneksi: str | None = None
    portal_paket: str | None = None
    # Alerts (serve/pemberitahuan.py): email recipients (comma-separated) through the SMTP connection, and a
    # webhook connection (its host is the webhook URL). Unset: no alert is sent.
    peringatan_email: str | None = None
    peringatan_smtp: str = "smtp_default"
    peringatan_webhook: str | None = None
    # Derived from `wilayah` at start (never set from the environment): the kabupaten/kota in scope, sorted, and the
    # province when the scope is one (see the properties of the same names).
    _daftar_kabkota: tuple[str, ...] = PrivateAttr(default=())

    @field_validator("portal_koneksi", "portal_paket", mode="before")
    @classmethod
    def _portal(cls, v):
        if v is None or (isinstance(v, str) and not v.strip()):
            return None
        if not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", str(v).strip()):
            raise ValueError(f"{v!r}: only lower-case letters, digits, - and _ (a connection id or a CKAN package "
                             f"name)")
        return str(v).strip()

    @field_validator("wilayah")
    @classmethod
    def _wilayah_format(cls, v: str) -> str:
        """The scope: one kabupaten/kota ('62.06'), a province ('62': the province and all its kabupaten/kota), or a
        comma-separated list of kabupaten/kota ('62.06,62.01'). Normalised: spaces dropped, a list sorted."""
        parts = [p.strip() for p in str(v).split(",") if p.strip()]
        if not parts:
            raise ValueError("empty: give a kabupaten/kota code like '62.06', a province code like '62', or a list")
        if len(parts) == 1 and re.fullmatch(r"\d{2}", parts[0]):
            return parts[0]
        for p in parts:
            if not re.fullmatch(r"\d{2}\.\d{2}", p):
                raise ValueError(f"{p!r} is not a Kemendagri kabupaten/kota code like '62.06' (a province code like "
                                 f"'62' stands alone)")
        return ",".join(sorted(set(parts)))

    @field_validator("raw_retention_days", mode="before")
    @classmethod
    def _retention(cls, v):
        if v is None or (isinstance(v, str) and not v.strip()):
            return None  # unset or empty: keep every original
        if not str(v).strip().isdigit():
            raise ValueError(f"{v!r} is not a whole number of days (leave it unset to keep every original)")
        return int(v)

    @field_validator("warehouse_url")
    @classmethod
    def _url(cls, v: str) -> str:
        try:
            url = make_url(v)
        except Exception as exc:  # sqlalchemy raises ArgumentError with a terse text
            raise ValueError(f"not a SQLAlchemy URL: {exc}") from None
        if url.get_backend_name() not in ("duckdb", "postgresql"):
            raise ValueError(f"backend {url.get_backend_name()!r} is not supported (use duckdb:/// or postgresql+psycopg://)")
        if url.get_backend_name() == "postgresql" and url.get_driver_name() != "psycopg":
            raise ValueError("PostgreSQL URLs must use the psycopg 3 driver: postgresql+psycopg://…")
        return v

    @model_validator(mode="after")
    def _resolve(self) -> Settings:
        home = self.home.resolve()
        for name in ("lake", "catalog", "reference", "gx_root", "indikator", "terbuka", "laporan"):
            p = getattr(self, name)
            if not p.is_absolute():
                object.__setattr__(self, name, home / p)
        if "://" not in self.inbox and not Path(self.inbox).is_absolute():
            object.__setattr__(self, "inbox", str(home / self.inbox))
        url = make_url(self.warehouse_url)
        if url.get_backend_name() == "duckdb" and url.database not in (None, "", ":memory:"):
            db = Path(url.database)
            if not db.is_absolute():
                object.__setattr__(self, "warehouse_url", url.set(database=str(home / db)).render_as_string(False))
        self._check_paths()
        from walidata.standardise.reference import ReferenceMissing, kabkota  # reads a small CSV; no heavy imports

        try:
            daftar_wilayah = kabkota(self.reference)
        except ReferenceMissing as exc:
            raise ValueError(str(exc)) from None
        self._daftar_kabkota = _scope(self.wilayah, daftar_wilayah, self.reference)
        return self

    def _check_paths(self) -> None:
        """Folders the pipeline reads must exist; the message names the variable that points at them."""
        for var, path, what in (("WALIDATA_REFERENCE", self.reference, "the region reference files"),
                                ("WALIDATA_CATALOG", self.catalog, "the dataset catalog"),
                                ("WALIDATA_GX_ROOT", self.gx_root, "the Great Expectations context")):
            if not Path(path).is_dir():
                raise ValueError(f"{var}: folder {path} does not exist (it should hold {what})")
        if "://" not in self.inbox and not Path(self.inbox).is_dir():
            raise ValueError(f"WALIDATA_INBOX: folder {self.inbox} does not exist (where the OPD files arrive)")

    @property
    def daftar_kabkota(self) -> tuple[str, ...]:
        """The kabupaten/kota codes in scope, sorted."""
        return self._daftar_kabkota

    @property
    def provinsi(self) -> str | None:
        """The province code when the scope is a province ('62'), else None."""
        return self.wilayah if len(self.wilayah) == 2 else None

    @property
    def kabkota_tunggal(self) -> str | None:
        """The kabupaten/kota when the scope is exactly one (the classic deployment), else None."""
        return self.daftar_kabkota[0] if len(self.daftar_kabkota) == 1 and not self.provinsi else None

    @property
    def daftar_provinsi(self) -> tuple[str, ...]:
        """The provinces the scope's kabupaten/kota lie in (for province values and the time zone)."""
        return tuple(sorted({k[:2] for k in self.daftar_kabkota}))

    @property
    def inbox_location(self) -> str:
        return self.inbox

    @property
    def is_duckdb(self) -> bool:
        return make_url(self.warehouse_url).get_backend_name() == "duckdb"

    def redacted_url(self) -> str:
        """The warehouse URL with any password masked, for logs and summaries."""
        return make_url(self.warehouse_url).render_as_string(hide_password=True)


def _scope(wilayah: str, daftar_wilayah: dict, reference: Path) -> tuple[str, ...]:
    """The kabupaten/kota codes of a scope, each checked against the reference."""
    where = reference / "wilayah_kabkota_indonesia.csv"
    if len(wilayah) == 2:
        prov = daftar_wilayah.get(wilayah)
        if prov is None or prov.tingkat != "provinsi":
            raise ValueError(f"WALIDATA_WILAYAH={wilayah!r} is not a province code in {where}")
        return tuple(sorted(c for c, w in daftar_wilayah.items()
                            if w.kode_induk == wilayah and w.tingkat in ("kabupaten", "kota")))
    codes = wilayah.split(",")
    for code in codes:
        ours = daftar_wilayah.get(code)
        if ours is None or ours.tingkat not in ("kabupaten", "kota"):
            raise ValueError(f"WALIDATA_WILAYAH={code!r} is not a kabupaten/kota code in {where}")
    return tuple(codes)


def get_settings(**overrides) -> Settings:
    """Settings from the environment; a bad value raises SettingsError naming the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"WALIDATA_{loc.upper()}: {msg}" if loc else msg)  # model-level messages name their own
        raise SettingsError("invalid Walidata settings:\n  " + "\n  ".join(lines)) from None
