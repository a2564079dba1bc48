"""The Walidata's follow-up list (daftar tindak lanjut): which OPD is late with which dataset, since when.

Each catalog dataset's latest period in force in each kab/kota in scope (`WALIDATA_WILAYAH`: one, a province or a
list; a row names the late kab/kota when there are several) is compared with its update
schedule (`metadata.jadwal_pemutakhiran`): the next period is due `LAG_DAYS[jadwal]` days after the end of the
latest one — the same rule as the freshness check (`walidata_data_mutakhir`). A dataset never published is late
too, with no date. The list of the day goes to `audit.tindak_lanjut` (replacing that day's rows: running it twice
gives the same table) and to a workbook for the Walidata to send round, one sheet per OPD with what is late,
since when, and the last feedback workbook the OPD received about that dataset.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path

import sqlalchemy as sa

from walidata.catalog import Dataset, load_catalog
from walidata.settings import Settings
from walidata.waktu import hari_ini as hari_ini_di

log = logging.getLogger(__name__)

WORKBOOK = "tindak_lanjut.xlsx"
KOLOM = ["dataset", "opd", "produsen_data", "jadwal_pemutakhiran", "periode_terakhir", "terlambat_sejak",
         "hari_terlambat", "umpan_balik_terakhir"]
JUDUL = {"dataset": "Dataset", "opd": "OPD", "produsen_data": "Produsen data",
         "jadwal_pemutakhiran": "Jadwal pemutakhiran", "periode_terakhir": "Periode terakhir terbit",
         "terlambat_sejak": "Terlambat sejak", "hari_terlambat": "Hari terlambat",
         "umpan_balik_terakhir": "Umpan balik terakhir"}


@dataclass(frozen=True)
class Terlambat:
    dataset: str
    opd: str
    produsen_data: str
    jadwal_pemutakhiran: str
    periode_terakhir: str | None  # None: never published
    terlambat_sejak: dt.date | None
    hari_terlambat: int | None
    umpan_balik_terakhir: str | None
    # with several kab/kota in scope: every late one with its latest period (the row's dates are the most overdue
    # one's); not stored in audit.tindak_lanjut (its columns are fixed), shown in the workbook and the alert
    wilayah: str | None = field(default=None, compare=False)


def latest_period(conn: sa.Connection, ds: Dataset, wilayah: str) -> str | None:
    """The latest period (by its end) of the dataset's figures in force for the region; None if none."""
    from walidata.publish.warehouse import ident
    from walidata.validate.checks import periode_end

    try:
        periods = conn.execute(sa.text(f"SELECT DISTINCT periode FROM fact.{ident(ds.fact_table)} "
                                       f"WHERE kode_wilayah = :w OR kode_wilayah LIKE :under"),
                               {"w": wilayah, "under": wilayah + ".%"}).scalars().all()
    except sa.exc.DBAPIError:  # never published: no table yet
        conn.rollback()
        return None
    return max(periods, key=periode_end) if periods else None


def last_feedback(lake_root: Path, ds: Dataset) -> str | None:
    """The newest feedback workbook written for the OPD about this dataset (lake zone umpan_balik)."""
    found = sorted((Path(lake_root) / "umpan_balik" / f"opd={ds.opd}").glob(f"{ds.name}__*.xlsx"),
                   key=lambda p: p.stat().st_mtime)
    return str(found[-1]) if found else None


def _nama_wilayah(conn: sa.Connection, kodes: list[str]) -> dict[str, str]:
    rows = conn.execute(sa.text("SELECT kode_kemendagri, nama FROM ref.wilayah WHERE kode_kemendagri IN :k").bindparams(
        sa.bindparam("k", expanding=True)), {"k": kodes}).all()
    return dict(rows)


def _terlambat(conn: sa.Connection, ds: Dataset, kabkota: list[str], hari_ini: dt.date) -> list[tuple]:
    """(due date or None, latest period or None, kab/kota) of each kab/kota in scope late with the dataset, most
    overdue first (never published first)."""
    from walidata.validate.checks import LAG_DAYS, periode_end

    out = []
    for kode in kabkota:
        latest = latest_period(conn, ds, kode)
        due = periode_end(latest) + dt.timedelta(days=LAG_DAYS[ds.metadata.jadwal_pemutakhiran]) if latest else None
        if due is None or due < hari_ini:
            out.append((due, latest, kode))
    return sorted(out, key=lambda t: (t[0] is not None, t[0] or hari_ini, t[2]))


def daftar(settings: Settings, hari_ini: dt.date) -> list[Terlambat]:
    """Every catalog dataset that is late on `hari_ini` in a kab/kota in scope, most overdue first (never
    published at the top); with several kab/kota, each row names the late ones (`wilayah`)."""
    from walidata.publish import warehouse

    datasets, _ = load_catalog(settings.catalog)
    kabkota = list(getattr(settings, "daftar_kabkota", ()) or ()) or [settings.wilayah]
    out = []
    with warehouse.engine_for(settings.warehouse_url) as engine, warehouse.connect(engine) as conn:
        nama = _nama_wilayah(conn, kabkota) if len(kabkota) > 1 else {}
        for ds in datasets:
            late = _terlambat(conn, ds, kabkota, hari_ini)
            if not late:
                continue
            due, latest, _ = late[0]
            wilayah = "; ".join(f"{nama.get(k, k)} ({k}): {p or 'belum pernah terbit'}" for _, p, k in late) \
                if len(kabkota) > 1 else None
            out.append(Terlambat(ds.id, ds.opd, ds.metadata.produsen_data, ds.metadata.jadwal_pemutakhiran, latest,
                                 due, (hari_ini - due).days if due else None, last_feedback(settings.lake, ds),
                                 wilayah))
    return sorted(out, key=lambda t: (t.terlambat_sejak is not None, t.terlambat_sejak or hari_ini, t.dataset))


def simpan(settings: Settings, rows: list[Terlambat], hari_ini: dt.date) -> None:
    """The day's list into audit.tindak_lanjut (that day's rows replaced, in one transaction)."""
    from walidata.publish import schema, warehouse

    with warehouse.transaction(settings.warehouse_url) as conn:
        schema.ensure_schema(conn)
        conn.execute(sa.text("DELETE FROM audit.tindak_lanjut WHERE tanggal = :t"), {"t": hari_ini})
        if rows:
            conn.execute(sa.text(
                f"INSERT INTO audit.tindak_lanjut (tanggal, {', '.join(KOLOM)}) VALUES (:tanggal, "
                f"{', '.join(':' + k for k in KOLOM)})"), [{"tanggal": hari_ini, **asdict(r)} for r in rows])


def tulis_workbook(rows: list[Terlambat], folder: Path, hari_ini: dt.date) -> Path:
    """The workbook: a summary sheet, then one sheet per OPD; every text through `safe_text.for_cell`."""
    from openpyxl import Workbook

    from walidata.safe_text import for_cell
    from walidata.serve.indikator.ekspor import atomic

    wb = Workbook()
    ringkasan = wb.active
    ringkasan.title = "Ringkasan"
    ringkasan.append([for_cell(f"Daftar tindak lanjut Walidata per {hari_ini:%d-%m-%Y}: {len(rows)} dataset "
                               f"terlambat")])
    ringkasan.append(["OPD", "Dataset terlambat"])
    by_opd: dict[str, list[Terlambat]] = {}
    for r in rows:
        by_opd.setdefault(r.opd, []).append(r)
    for opd, items in sorted(by_opd.items()):
        ringkasan.append([for_cell(opd), len(items)])
        sheet = wb.create_sheet(opd[:31])
        wilayah = any(r.wilayah for r in items)
        sheet.append([JUDUL[k] for k in KOLOM] + (["Wilayah terlambat"] if wilayah else []))
        for r in items:
            sheet.append([_cell(k, getattr(r, k)) for k in KOLOM] + ([_cell("wilayah", r.wilayah)] if wilayah else []))
    return atomic(Path(folder) / WORKBOOK, lambda tmp: wb.save(tmp))


def _cell(kolom: str, v):
    from walidata.safe_text import for_cell

    if v is None:
        return "belum pernah terbit" if kolom == "periode_terakhir" else ""
    if isinstance(v, dt.date):
        return v.isoformat()
    return for_cell(v) if isinstance(v, str) else v


def jalankan(settings: Settings, hari_ini: dt.date | None = None) -> tuple[list[Terlambat], Path]:
    """Make the day's list (default: today where the region is): table and workbook
    (`<lake>/tindak_lanjut/tindak_lanjut.xlsx`)."""
    hari_ini = hari_ini or hari_ini_di(settings.wilayah)
    rows = daftar(settings, hari_ini)
    simpan(settings, rows, hari_ini)
    path = tulis_workbook(rows, Path(settings.lake) / "tindak_lanjut", hari_ini)
    log.info("tindak lanjut %s: %d dataset terlambat (%s); buku kerja %s", hari_ini, len(rows),
             ", ".join(r.dataset for r in rows) or "-", path)
    return rows, path


def pesan(r: Terlambat) -> str:
    """The delay in one line, in the OPD's terms."""
    if r.wilayah:
        return f"{_pesan(r)}; wilayah yang terlambat: {r.wilayah}"
    return _pesan(r)


def _pesan(r: Terlambat) -> str:
    if r.periode_terakhir is None:
        return f"belum pernah terbit di gudang data (jadwal {r.jadwal_pemutakhiran})"
    feedback = f"; umpan balik terakhir: {Path(r.umpan_balik_terakhir).name}" if r.umpan_balik_terakhir else ""
    return (f"periode terakhir {r.periode_terakhir} (jadwal {r.jadwal_pemutakhiran}); periode berikutnya seharusnya "
            f"terbit paling lambat {r.terlambat_sejak:%d-%m-%Y}, terlambat {r.hari_terlambat} hari{feedback}")


def kabari(settings: Settings, hari_ini: dt.date | None = None) -> int:
    """One alert per dataset on the day's list (read back from audit.tindak_lanjut); how many were sent."""
    from walidata.serve.pemberitahuan import Pemberitahuan, kirim

    hari_ini = hari_ini or hari_ini_di(settings.wilayah)
    n = 0
    for r in baca(settings, hari_ini):
        if kirim(Pemberitahuan("terlambat", r.dataset, r.opd, pesan(r)), settings):
            n += 1
    return n


def baca(settings: Settings, hari_ini: dt.date) -> list[Terlambat]:
    """The list of a day as stored in audit.tindak_lanjut."""
    from walidata.publish import warehouse

    with warehouse.engine_for(settings.warehouse_url) as engine, warehouse.connect(engine) as conn:
        rows = conn.execute(sa.text(f"SELECT {', '.join(KOLOM)} FROM audit.tindak_lanjut WHERE tanggal = :t "
                                    f"ORDER BY terlambat_sejak NULLS FIRST, dataset"), {"t": hari_ini}).all()
    return [Terlambat(**dict(r._mapping)) for r in rows]
