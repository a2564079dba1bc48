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


def _current(conn: sa.Connection, kode: str) -> dict[tuple[str, str], dict]:
    rows = conn.execute(sa.text(
        f"SELECT kode_wilayah, periode, {', '.join(COMPARED)} FROM {RIWAYAT} "
        "WHERE indikator = :i AND berlaku_sampai IS NULL"), {"i": kode}).mappings().all()
    return {(r["kode_wilayah"], r["periode"]): dict(r) for r in rows}


def _row(decl: Deklarasi, cell: Sel) -> dict:
    ind = decl.indikator
    return {"kode_wilayah": cell.kode_wilayah, "periode": cell.periode, "nilai": cell.nilai, "satuan": ind.satuan,
            "status": cell.status, "keterangan": "; ".join(cell.keterangan) or None,
            "sumber_penduduk": ind.sumber_penduduk, "lineage": lineage_json(decl, cell)}


def write(conn: sa.Connection, decl: Deklarasi, cells: list[Sel], when: dt.datetime, run_id: str) -> int:
    """Replace one indicator's values in force by `cells`, keeping history; returns the rows added or closed."""
    import pyarrow as pa

    current = _current(conn, decl.kode)
    new = {(c.kode_wilayah, c.periode): _row(decl, c) for c in cells}
    changed = [k for k, r in new.items() if k not in current or any(r[c] != current[k][c] for c in COMPARED)]
    closed = [k for k in current if k not in new or k in changed]
    if closed:
        keys = pa.table({"kode_wilayah": [k[0] for k in closed], "periode": [k[1] for k in closed]})
        name = bulk.stage_name()
        bulk.stage(conn, keys, name)
        conn.execute(sa.text(
            f"UPDATE {RIWAYAT} SET berlaku_sampai = :w WHERE indikator = :i AND berlaku_sampai IS NULL AND EXISTS "
            f"(SELECT 1 FROM {name} k WHERE k.kode_wilayah = {RIWAYAT}.kode_wilayah AND "
            f"k.periode = {RIWAYAT}.periode)"), {"w": when, "i": decl.kode})
        bulk.unstage(conn, name)
    if changed:
        rows = [new[k] for k in changed]
        data = pa.table({"indikator": [decl.kode] * len(rows), **{c: [r[c] for r in rows] for c in (
            "kode_wilayah", "periode", "nilai", "satuan", "status", "keterangan", "sumber_penduduk", "lineage")},
            "run_id": [run_id] * len(rows)},
            schema=pa.schema([("indikator", pa.string()), ("kode_wilayah", pa.string()), ("periode", pa.string()),
                              ("nilai", pa.float64()), ("satuan", pa.string()), ("status", pa.string()),
                              ("keterangan", pa.string()), ("sumber_penduduk", pa.string()),
                              ("lineage", pa.string()), ("run_id", pa.string())]))
        name = bulk.stage_name()
        bulk.stage(conn, data, name)
        cols = ", ".join(data.column_names)
        conn.execute(sa.text(f"INSERT INTO {RIWAYAT} ({cols}, berlaku_mulai) SELECT {cols}, :w FROM {name}"),
                     {"w": when})
        bulk.unstage(conn, name)
    return len(changed) + len([k for k in closed if k not in changed])


def record(conn: sa.Connection, kode: str, sidik: str, run_id: str, when: dt.datetime, rows: int,
           changed: int) -> None:
    conn.execute(sa.text("DELETE FROM audit.indikator_hitung WHERE indikator = :i"), {"i": kode})
    conn.execute(sa.text(
        "INSERT INTO audit.indikator_hitung (indikator, sidik, run_id, dihitung_pada, baris, baris_berubah) "
        "VALUES (:i, :s, :r, :w, :n, :c)"), {"i": kode, "s": sidik, "r": run_id, "w": when, "n": rows, "c": changed})
