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
