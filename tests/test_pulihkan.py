"""Restoring the warehouse from the lake (`walidata pulihkan`): from the clean zone of the published sample into
an empty warehouse, DuckDB and PostgreSQL, every dataset's figures in force come back equal; again, nothing
changes."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sqlalchemy as sa

from conftest import figures_in_force
from walidata.catalog import load_catalog
from walidata.settings import get_settings


@pytest.mark.parametrize("target", ["duckdb", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_the_warehouse_is_restored_from_the_lake(sample_loaded, tmp_path, target, request):
    url = (f"duckdb:///{tmp_path / 'dipulihkan.duckdb'}" if target == "duckdb"
           else request.getfixturevalue("postgres_url"))
    env = {"WALIDATA_LAKE": str(sample_loaded / "lake"), "WALIDATA_WAREHOUSE_URL": url,
           "WALIDATA_INBOX": str(sample_loaded / "inbox"), "WALIDATA_GX_ROOT": str(sample_loaded / "gx"),
           "PATH": "/usr/bin"}
    out = subprocess.run([sys.executable, "-m", "walidata.cli", "pulihkan"], env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    settings = get_settings(lake=sample_loaded / "lake", inbox=str(sample_loaded / "inbox"))
    datasets = load_catalog(settings.catalog)[0]
    original = figures_in_force(f"duckdb:///{sample_loaded / 'warehouse.duckdb'}", datasets)
    restored = figures_in_force(url, datasets)
    assert restored == original and sum(map(len, original.values())) > 5000
    assert "disdukcapil.penduduk_kecamatan" in out.stdout and "bps.ipm" in out.stdout
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as c:
        audit = c.execute(sa.text("SELECT dataset, status FROM audit.load_log")).all()
        riwayat = c.execute(sa.text('SELECT COUNT(*) FROM fact."disdukcapil__penduduk_kecamatan__riwayat"')).scalar()
    engine.dispose()
    assert sorted(audit) == sorted((d.id, "dipulihkan") for d in datasets)
    # again: nothing changes (the replacement keeps unchanged figures as they are)
    again = subprocess.run([sys.executable, "-m", "walidata.cli", "pulihkan"], env=env, capture_output=True,
                           text=True, timeout=600)
    assert again.returncode == 0 and figures_in_force(url, datasets) == original
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as c:
        assert c.execute(sa.text(
            'SELECT COUNT(*) FROM fact."disdukcapil__penduduk_kecamatan__riwayat"')).scalar() == riwayat
    engine.dispose()


# ---------------------------------------------------------------- a restore verifies before it trusts

def _tamper(part, change, update_checksum: bool) -> None:
    """Rewrite one partition's Parquet with `change` applied to its rows; optionally forge its checksum too
    (an attacker who knows the format), so that only the content checks can tell."""
    import hashlib
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = pq.read_table(part).to_pylist()
    change(rows)
    pq.write_table(pa.Table.from_pylist(rows, schema=pq.read_schema(part)), part)
    doc_path = part.parent / "_checksum.json"
    if update_checksum and doc_path.exists():
        doc = json.loads(doc_path.read_text())
        doc["sha256"], doc["baris"] = hashlib.sha256(part.read_bytes()).hexdigest(), len(rows)
        doc_path.write_text(json.dumps(doc))


def _forge_value(rows):
    rows[0]["nilai"] = rows[0]["nilai"] + 1000


def _other_region(rows):
    rows.append({**rows[0], "kode_wilayah": "62.07.01"})  # a kecamatan of Seruyan in Katingan's partition


def _duplicate_key(rows):
    rows.append({**rows[0], "nilai": rows[0]["nilai"] + 1})


def _unknown_code(rows):
    rows[0]["kode_wilayah"] = "62.06.99"


@pytest.mark.parametrize("change, forge_checksum, reason", [
    (_forge_value, False, "checksum tidak cocok"),
    (_other_region, True, "di luar unit 62.06: 62.07.01"),
    (_duplicate_key, True, "kunci ganda"),
    (_unknown_code, True, "tidak ada di referensi (ref.wilayah): 62.06.99"),
])
def test_a_tampered_partition_is_refused_by_name_and_the_rest_restored(sandbox, tmp_path, change, forge_checksum,
                                                                       reason):
    from test_publish_units import current

    from walidata import pipeline

    pipeline.run_dataset("disdukcapil.penduduk_kecamatan", "asli", sandbox)
    original = current(sandbox)
    part = next((sandbox.lake / "clean").rglob("wilayah=62.06/periode=2024/part-0.parquet"))
    _tamper(part, change, forge_checksum)
    env = {"WALIDATA_LAKE": str(sandbox.lake), "WALIDATA_WAREHOUSE_URL": f"duckdb:///{tmp_path / 'baru.duckdb'}",
           "WALIDATA_INBOX": str(sandbox.inbox), "WALIDATA_GX_ROOT": str(sandbox.gx_root), "PATH": "/usr/bin"}
    out = subprocess.run([sys.executable, "-m", "walidata.cli", "pulihkan", "disdukcapil.penduduk_kecamatan"],
                         env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 1, out.stdout[-2000:] + out.stderr[-2000:]
    assert "1 partisi DITOLAK" in out.stdout and "periode=2024" in out.stdout and reason in out.stdout
    restored = current(get_settings(warehouse_url=env["WALIDATA_WAREHOUSE_URL"], lake=sandbox.lake))
    assert restored == [r for r in original if r[2] != "2024"]  # the rest exactly, nothing of the refused one
    engine = sa.create_engine(env["WALIDATA_WAREHOUSE_URL"], poolclass=sa.pool.NullPool)
    with engine.connect() as c:
        pesan = c.execute(sa.text("SELECT pesan FROM audit.load_log WHERE status = 'dipulihkan'")).scalar()
    engine.dispose()
    assert "periode=2024 ditolak" in pesan and reason in pesan


def test_a_restore_on_the_warehouse_that_still_holds_the_journal_repairs_the_lake_from_it(sandbox):
    """The same forged value, restored onto the warehouse that published it: the lake is rewritten from the
    warehouse (the journal says which file is the published one), and nothing forged reaches a figure."""
    from test_publish_units import current, lake_rows

    from walidata import pipeline
    from walidata.publish.pulihkan import pulihkan

    pipeline.run_dataset("disdukcapil.penduduk_kecamatan", "asli", sandbox)
    original = current(sandbox)
    part = next((sandbox.lake / "clean").rglob("wilayah=62.06/periode=2024/part-0.parquet"))
    _tamper(part, _forge_value, True)
    (part.parent / ".tmp-sisa.parquet").write_bytes(part.read_bytes())  # an orphan of the layout before the journal
    done = pulihkan(sandbox, ["disdukcapil.penduduk_kecamatan"])
    assert not done.ditolak and current(sandbox) == original and lake_rows(sandbox) == original
    assert not (part.parent / ".tmp-sisa.parquet").exists()
