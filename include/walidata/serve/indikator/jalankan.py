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
from walidata.serve.indikator.hitung import Lingkup, compute, fact_exists, lingkup, staging_text
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

    def to_dict(self) -> dict:
        return {"run_id": self.run_id, "dihitung": self.dihitung, "dilewati": self.dilewati,
                "baris_berubah": self.baris_berubah}


def dataset_state(conn: sa.Connection, ds: Dataset | None) -> list:
    """What changes whenever a load publishes, revises or withdraws a figure of the dataset."""
    if ds is None or not fact_exists(conn, f"{ds.fact_table}__riwayat"):
        return ["tidak ada"]
    row = conn.execute(sa.text(
        f"SELECT COUNT(*), COUNT(berlaku_sampai), CAST(MAX(berlaku_mulai) AS VARCHAR), "
        f"CAST(MAX(berlaku_sampai) AS VARCHAR) FROM fact.{ident(ds.fact_table + '__riwayat')}")).one()
    return list(row)


def sidik(decl: Deklarasi, staging: str, states: dict[str, list], scope: Lingkup) -> str:
    text = json.dumps({"definisi": decl.sidik(staging), "masukan": {d: states[d] for d in decl.indikator.datasets},
                       "lingkup": [scope.kabupaten, scope.kecamatan, scope.periode]}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def jalankan(settings: Settings, run_id: str, paksa: bool = False, hanya: list[str] | None = None) -> Ringkasan:
    """Recompute the indicators (all of them with `paksa`, or only `hanya`) whose fingerprint changed."""
    decls = load_indikator(settings.indikator)
    datasets, _ = load_catalog(settings.catalog)
    catalog = {d.id: d for d in datasets}
    staging = staging_text(settings.indikator)
    out = Ringkasan(run_id)
    with warehouse.transaction(settings.warehouse_url) as conn:
        schema.ensure_schema(conn)
        mart.refresh_ref(conn, decls)
        scope = lingkup(conn, settings.wilayah)
        states = {d: dataset_state(conn, catalog.get(d)) for decl in decls for d in decl.indikator.datasets}
        before = mart.sidik_lama(conn)
        when = warehouse.now()
        for decl in decls:
            if hanya and decl.kode not in hanya:
                continue
            s = sidik(decl, staging, states, scope)
            if not paksa and before.get(decl.kode) == s:
                out.dilewati.append(decl.kode)
                continue
            cells = compute(conn, settings.indikator, decl, catalog, scope)
            changed = mart.write(conn, decl, cells, when, run_id)
            mart.record(conn, decl.kode, s, run_id, when, len(cells), changed)
            out.dihitung.append(decl.kode)
            out.baris_berubah += changed
            log.info("indikator %s: %d sel, %d baris berubah", decl.kode, len(cells), changed)
    return out
