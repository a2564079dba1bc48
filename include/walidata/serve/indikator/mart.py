"""mart.indikator_nilai with its history, ref.indikator, and what each indicator was computed from.

A value that changes is closed (`berlaku_sampai`) and its new version added, like the facts: what was
published on any date stays answerable. Everything runs inside the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from walidata.publish import bulk
from walidata.serve.indikator.hitung import Deklarasi, Sel, lineage_json

RIWAYAT = "mart.indikator_nilai__riwayat"
COMPARED = ("nilai", "satuan", "status", "keterangan", "sumber_penduduk", "lineage")
REF_COLUMNS = ("nama", "dimensi", "elemen", "konsep", "definisi", "interpretasi", "rumus", "ukuran", "satuan",
               "kode_kegiatan", "publikasi_ketersediaan_indikator_pembangun",
               "kegiatan_penghasil_variabel_pembangun", "sumber_penduduk", "toleransi_perubahan")


def _yes(v: bool) -> str:
    return "Ya" if v else "Tidak"


def ref_row(decl: Deklarasi) -> dict:
    ind = decl.indikator
    row = {"kode": ind.kode, **{c: getattr(ind, c) for c in REF_COLUMNS}}
    row.update(klasifikasi_penyajian=", ".join(ind.klasifikasi_penyajian), komposit=_yes(ind.komposit),
               indikator_pembangun=", ".join(ind.indikator_pembangun),
               variabel_pembangun=", ".join(ind.variabel_pembangun), level_estimasi=", ".join(ind.level_estimasi),
               dapat_diakses_umum=_yes(ind.dapat_diakses_umum), periode=", ".join(ind.periode),
               masukan=", ".join(ind.datasets), rentang_min=ind.rentang.min, rentang_maks=ind.rentang.maks,
               metadata_json=json.dumps(ind.model_dump(mode="json"), ensure_ascii=False, sort_keys=True))
    return row


def refresh_ref(conn: sa.Connection, decls: list[Deklarasi]) -> None:
    """ref.indikator holds exactly the declared indicators."""
    rows = [ref_row(d) for d in decls]
    conn.execute(sa.text("DELETE FROM ref.indikator"))
    if rows:
        cols = list(rows[0])
        conn.execute(sa.text(f"INSERT INTO ref.indikator ({', '.join(cols)}) VALUES "
                             f"({', '.join(':' + c for c in cols)})"), rows)


def sidik_lama(conn: sa.Connection) -> dict[str, str]:
    return dict(conn.execute(sa.text("SELECT indikator, sidik FROM audit.indikator_hitung")).all())


def _current(conn: sa.Connection, kodes: list[str]) -> dict[tuple[str, str, str], tuple]:
    rows = conn.execute(sa.text(
        f"SELECT indikator, kode_wilayah, periode, {', '.join(COMPARED)} FROM {RIWAYAT} "
        "WHERE indikator IN :kodes AND berlaku_sampai IS NULL").bindparams(sa.bindparam("kodes", expanding=True)),
        {"kodes": kodes}).all()
    return {tuple(r[:3]): tuple(r[3:]) for r in rows}


def _values(decl: Deklarasi, cell: Sel) -> tuple:
    """The compared columns of a cell, in COMPARED's order."""
    ind = decl.indikator
    return (cell.nilai, ind.satuan, cell.status, "; ".join(cell.keterangan) or None, ind.sumber_penduduk,
            lineage_json(decl, cell))


def write(conn: sa.Connection, batch: list[tuple[Deklarasi, list[Sel]]], when: dt.datetime,
          run_id: str) -> dict[str, int]:
    """Replace the values in force of the indicators in `batch` by their cells, keeping history, in one staged
    insert and one update; returns the rows added or closed per indicator."""
    if not batch:
        return {}
    current = _current(conn, [d.kode for d, _ in batch])
    new = {(d.kode, c.kode_wilayah, c.periode): _values(d, c) for d, cells in batch for c in cells}
    changed = [k for k, v in new.items() if current.get(k) != v]
    closed = [k for k in current if k not in new or current[k] != new[k]]
    if closed:
        _close(conn, closed, when)
    if changed:
        _insert(conn, changed, new, when, run_id)
    counts = {d.kode: 0 for d, _ in batch}
    for k in set(changed) | set(closed):
        counts[k[0]] += 1
    return counts


def _close(conn: sa.Connection, closed: list[tuple], when: dt.datetime) -> None:
    import pyarrow as pa

    keys = pa.table({c: [k[i] for k in closed] for i, c in enumerate(("indikator", "kode_wilayah", "periode"))})
    name = bulk.stage_name()
    bulk.stage(conn, keys, name)
    conn.execute(sa.text(
        f"UPDATE {RIWAYAT} SET berlaku_sampai = :w WHERE berlaku_sampai IS NULL AND EXISTS (SELECT 1 FROM {name} k "
        f"WHERE k.indikator = {RIWAYAT}.indikator AND k.kode_wilayah = {RIWAYAT}.kode_wilayah AND "
        f"k.periode = {RIWAYAT}.periode)"), {"w": when})
    bulk.unstage(conn, name)


def _insert(conn: sa.Connection, changed: list[tuple], new: dict, when: dt.datetime, run_id: str) -> None:
    import pyarrow as pa

    cols = list(zip(*[k + new[k] for k in changed], strict=True))
    names = ["indikator", "kode_wilayah", "periode", *COMPARED]
    data = pa.table({**{n: pa.array(c, type=pa.float64() if n == "nilai" else pa.string())
                        for n, c in zip(names, cols, strict=True)},
                     "run_id": pa.array([run_id] * len(changed), type=pa.string())})
    name = bulk.stage_name()
    bulk.stage(conn, data, name)
    listed = ", ".join(data.column_names)
    conn.execute(sa.text(f"INSERT INTO {RIWAYAT} ({listed}, berlaku_mulai) SELECT {listed}, :w FROM {name}"),
                 {"w": when})
    bulk.unstage(conn, name)


def record(conn: sa.Connection, rows: list[dict]) -> None:
    """What each recomputed indicator was computed from (its `sidik`), when, and how much changed."""
    if not rows:
        return
    conn.execute(sa.text("DELETE FROM audit.indikator_hitung WHERE indikator IN :kodes").bindparams(
        sa.bindparam("kodes", expanding=True)), {"kodes": [r["indikator"] for r in rows]})
    conn.execute(sa.text(
        "INSERT INTO audit.indikator_hitung (indikator, sidik, run_id, dihitung_pada, baris, baris_berubah) "
        "VALUES (:indikator, :sidik, :run_id, :dihitung_pada, :baris, :baris_berubah)"), rows)
