"""One indicator run: recompute the indicators whose definition or inputs changed, in one transaction.

An indicator's fingerprint (`sidik`) covers its YAML and SQL, the staging templates, the state of each input
dataset's history table (versions and closures) and the regions and periods in scope. An indicator whose
fingerprint is unchanged since its last computation is skipped: a revised input recomputes its dependants
only. A failure rolls everything back: the values in force stay as they were.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass, field

import sqlalchemy as sa

from walidata.catalog import Dataset, load_catalog
from walidata.publish import schema, warehouse
from walidata.publish.warehouse import ident
from walidata.serve.indikator import mart
from walidata.serve.indikator.hitung import Lingkup, Staging, compute, fact_tables, lingkup, staging_text
from walidata.serve.indikator.spec import Deklarasi, load_indikator
from walidata.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Ringkasan:
    """What a run did: the indicators recomputed and skipped, and the mart rows added or closed."""

    run_id: str
    dihitung: list[str] = field(default_factory=list)
    dilewati: list[str] = field(default_factory=list)
    baris_berubah: int = 0
    validasi: str | None = None  # lulus, lulus dengan peringatan (or None: nothing recomputed, nothing checked)
    data_docs: str | None = None

    def to_dict(self) -> dict:
        return {"run_id": self.run_id, "dihitung": self.dihitung, "dilewati": self.dilewati,
                "baris_berubah": self.baris_berubah,
                "validasi": self.validasi, "data_docs": self.data_docs}


def dataset_state(conn: sa.Connection, ds: Dataset | None, facts: set[str]) -> list:
    """What changes whenever a load publishes, revises or withdraws a figure of the dataset."""
    if ds is None or f"{ds.fact_table}__riwayat" not in facts:
        return ["tidak ada"]
    row = conn.execute(sa.text(
        f"SELECT COUNT(*), COUNT(berlaku_sampai), CAST(MAX(berlaku_mulai) AS VARCHAR), "
        f"CAST(MAX(berlaku_sampai) AS VARCHAR) FROM fact.{ident(ds.fact_table + '__riwayat')}")).one()
    return list(row)


def sidik(decl: Deklarasi, staging: str, states: dict[str, list], scope: Lingkup) -> str:
    text = json.dumps({"definisi": decl.sidik(staging), "masukan": {d: states[d] for d in decl.indikator.datasets},
                       "lingkup": scope.kunci()}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def jalankan(settings: Settings, run_id: str, paksa: bool = False, hanya: list[str] | None = None,
             periksa: bool = True) -> Ringkasan:
    """Recompute the indicators (all of them with `paksa`, or only `hanya`) whose fingerprint changed, validate
    the mart (`periksa`) and commit; a critical check failing rolls the whole run back (MartGagal)."""
    from walidata.serve.indikator import validasi

    decls = load_indikator(settings.indikator)
    datasets, _ = load_catalog(settings.catalog)
    catalog = {d.id: d for d in datasets}
    out, hasil = Ringkasan(run_id), None
    try:
        with warehouse.transaction(settings.warehouse_url) as conn:
            schema.ensure_schema(conn)
            mart.refresh_ref(conn, decls)
            scope = lingkup(conn, settings.wilayah)
            _recompute(conn, settings, decls, catalog, scope, out, paksa, hanya)
            if periksa and out.dihitung:
                computed = mart.sidik_lama(conn)  # indicators never computed (a partial run) have no cells yet
                checked = [d for d in decls if d.kode in computed]
                hasil = validasi.periksa(conn, checked, scope, settings.gx_root, run_id)
                validasi.catat(conn, hasil, run_id)
                if not hasil.sukses:
                    raise validasi.MartGagal(validasi.pesan(hasil))
                out.validasi = "lulus dengan peringatan" if hasil.gagal else "lulus"
                out.data_docs = hasil.data_docs
    except validasi.MartGagal:
        with warehouse.transaction(settings.warehouse_url) as conn:  # the evidence outlives the rollback
            validasi.catat(conn, hasil, run_id)
        raise
    return out


def _recompute(conn, settings: Settings, decls: list[Deklarasi], catalog: dict, scope: Lingkup, out: Ringkasan,
               paksa: bool, hanya: list[str] | None) -> None:
    staging = staging_text(settings.indikator)
    facts = fact_tables(conn)
    states = {d: dataset_state(conn, catalog.get(d), facts) for d in {d for x in decls for d in x.indikator.datasets}}
    before = mart.sidik_lama(conn)
    when = warehouse.now()
    staged = Staging(conn, settings.indikator)
    batch, sidiks = [], {}
    for decl in decls:
        if hanya and decl.kode not in hanya:
            continue
        sidiks[decl.kode] = sidik(decl, staging, states, scope)
        if not paksa and before.get(decl.kode) == sidiks[decl.kode]:
            out.dilewati.append(decl.kode)
            continue
        batch.append((decl, compute(conn, staged, decl, catalog, scope)))
    changed = mart.write(conn, batch, when, out.run_id)
    mart.record(conn, [{"indikator": d.kode, "sidik": sidiks[d.kode], "run_id": out.run_id, "dihitung_pada": when,
                        "baris": len(cells), "baris_berubah": changed[d.kode]} for d, cells in batch])
    out.dihitung = [d.kode for d, _ in batch]
    out.baris_berubah = sum(changed.values())
    for d, cells in batch:
        log.info("indikator %s: %d sel, %d baris berubah", d.kode, len(cells), changed[d.kode])
    staged.drop()
