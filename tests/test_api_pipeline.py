"""API sources through the whole pipeline, over real HTTP from the sample BPS/CKAN server: incremental runs, a
replay from the raw zone without the API, schema drift per the dataset's policy, and credentials that never land
in logs, lake files, the warehouse or Data Docs."""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import duckdb
import pytest

from conftest import ROOT, copy_gx, files_containing
from walidata.pipeline import new_run_id, run_dataset
from walidata.sample_api import API_DIR, CKAN_RESOURCE
from walidata.sample_server import BPS_KEY, CKAN_TOKEN, serve
from walidata.settings import get_settings
from walidata.sources.inbox import NoSourceFiles
from walidata.sources.klien import ApiError

BPS, CKAN = "bps.ipm", "diskopukm.umkm_kecamatan"


@pytest.fixture
def settings(tmp_path):
    copy_gx(tmp_path / "gx")
    (tmp_path / "inbox").mkdir()
    return get_settings(lake=tmp_path / "lake", warehouse_url=f"duckdb:///{tmp_path / 'w.duckdb'}",
                        gx_root=tmp_path / "gx", inbox=str(tmp_path / "inbox"))


def facts(settings, table: str) -> list[tuple]:
    with duckdb.connect(settings.warehouse_url.removeprefix("duckdb:///"), read_only=True) as c:
        return c.execute(f'SELECT variabel, kode_wilayah, periode, nilai, status FROM fact."{table}" '
                         f"ORDER BY ALL").fetchall()


def test_the_generator_reproduces_the_committed_sample_responses(tmp_path):
    from walidata.sample_api import write_api

    write_api(tmp_path)
    ours = {p.relative_to(tmp_path): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    committed = {p.relative_to(API_DIR): p.read_bytes() for p in API_DIR.rglob("*") if p.is_file()}
    assert ours == committed and len(ours) >= 15


def test_bps_and_ckan_datasets_are_published_then_skipped_when_the_source_says_nothing_changed(settings):
    with serve():
        out = run_dataset(BPS, new_run_id("uji"), settings)
        assert out["rows_loaded"] == 12  # 3 years × 4 variables; RLS 2025 not released: an empty figure
        with pytest.raises(NoSourceFiles, match="tidak berubah menurut BPS \\(last_update 2026-03-16"):
            run_dataset(BPS, new_run_id("uji"), settings)
        run_dataset(CKAN, new_run_id("uji"), settings)
        with pytest.raises(NoSourceFiles, match="tidak berubah menurut portal \\(metadata_modified 2025-02-03"):
            run_dataset(CKAN, new_run_id("uji"), settings)
    ipm = facts(settings, "bps__ipm")
    assert ("indeks_pembangunan_manusia", "62.06", "2025", 69.14, "tetap") in ipm
    assert ("rata_rata_lama_sekolah", "62.06", "2025", None, "tidak_tersedia") in ipm
    umkm = facts(settings, "diskopukm__umkm_kecamatan")
    assert len(umkm) == 2 * 13 * 3 and {r[1] for r in umkm} == {f"62.06.{i:02d}" for i in range(1, 14)}
    # the numbers were text in Indonesian format on the portal ("1.234"); the "Jumlah Total" row was a check
    table = json.loads((API_DIR / "ckan" / "datastore" / f"{CKAN_RESOURCE}.json").read_text())
    first = table["records"][0]
    assert "." in first["jumlah_umkm"] or int(first["jumlah_umkm"]) < 1000
    got = {(r[1], r[2]): r[3] for r in umkm if r[0] == "jumlah_umkm"}
    assert got[("62.06.01", "2023")] == float(first["jumlah_umkm"].replace(".", ""))


def test_a_replay_reads_the_stored_responses_without_calling_the_api(settings):
    with serve():
        run_dataset(BPS, new_run_id("uji"), settings)
    before = facts(settings, "bps__ipm")
    # the server is gone: a normal run cannot reach the API, a replay does not need it
    with pytest.raises(Exception, match="koneksi|bps_webapi|ConnectError|belum diatur"):
        run_dataset(BPS, new_run_id("uji"), settings)
    out = run_dataset(BPS, new_run_id("uji"), settings, replay=True)
    assert out["rows_changed"] == 0 and facts(settings, "bps__ipm") == before


def test_the_raw_item_keeps_every_response_and_the_request_without_the_key(settings):
    with serve():
        out = run_dataset(BPS, new_run_id("uji"), settings)
    raw = Path(out["files"][0]["raw_path"])
    with zipfile.ZipFile(raw) as z:
        requests = json.loads(z.read("permintaan.json"))
        bodies = [z.read(r["berkas"]) for r in requests]
    assert [json.loads(b)["var"][0]["val"] for b in bodies] == [651, 652, 653, 654]
    assert json.loads(bodies[0]) == json.loads((API_DIR / "bps" / "6209" / "data_var_651.json").read_text())
    assert all("/domain/6209/var/" in r["url"] and r["url"].endswith("/key/***/") for r in requests)
    assert BPS_KEY.encode() not in raw.read_bytes() and all(BPS_KEY.encode() not in b for b in bodies)


@pytest.mark.parametrize("policy", ["peringatan", "gagal"])
def test_schema_drift_warns_or_fails_per_the_dataset_policy(settings, tmp_path, policy, caplog):
    folder = tmp_path / "api"
    shutil.copytree(API_DIR, folder)
    with serve(folder):
        run_dataset(CKAN, new_run_id("uji"), settings)
    # the portal adds a field and changes its version
    f = folder / "ckan" / "datastore" / f"{CKAN_RESOURCE}.json"
    table = json.loads(f.read_text())
    table["fields"].append({"id": "catatan", "type": "text"})
    for r in table["records"]:
        r["catatan"] = ""
    f.write_text(json.dumps(table))
    pkg_file = next((folder / "ckan" / "package_show").glob("jumlah-umkm*.json"))
    pkg = json.loads(pkg_file.read_text())
    pkg["resources"][0]["metadata_modified"] = "2026-11-01T00:00:00"
    pkg_file.write_text(json.dumps(pkg))
    catalog = tmp_path / "catalog"
    shutil.copytree(ROOT / "include" / "catalog", catalog)
    yaml_file = catalog / "diskopukm" / "umkm_kecamatan.yaml"
    yaml_file.write_text(yaml_file.read_text().replace("  koneksi: ckan_katingan\n",
                                                       f"  koneksi: ckan_katingan\n  perubahan_skema: {policy}\n"))
    s = settings.model_copy(update={"catalog": catalog})
    with serve(folder), caplog.at_level(logging.WARNING):
        if policy == "gagal":
            with pytest.raises(ApiError, match=r"skema: skema sumber berubah .* kolom baru \['catatan'\]"):
                run_dataset(CKAN, new_run_id("uji"), s)
        else:
            out = run_dataset(CKAN, new_run_id("uji"), s)
            assert out["files"][0]["perubahan_skema"] == {"baru": ["catatan"], "hilang": []}
            assert "kolom baru ['catatan']" in caplog.text


def test_a_missing_connection_is_refused_naming_how_to_set_it(settings, monkeypatch):
    from walidata.sources.koneksi import KoneksiTidakAda

    monkeypatch.delenv("AIRFLOW_CONN_BPS_WEBAPI", raising=False)
    with pytest.raises(KoneksiTidakAda, match="AIRFLOW_CONN_BPS_WEBAPI"):
        run_dataset(BPS, new_run_id("uji"), settings)
    with duckdb.connect(settings.warehouse_url.removeprefix("duckdb:///"), read_only=True) as c:
        status, pesan = c.execute("SELECT status, pesan FROM audit.load_log WHERE dataset = ?", [BPS]).fetchone()
    assert status == "gagal_ambil" and "koneksi 'bps_webapi' belum diatur" in pesan  # evidence for the engineers


def test_credentials_never_reach_logs_lake_warehouse_or_data_docs(tmp_path):
    """The CLI run of an API dataset with debug logging: the BPS key and the CKAN token appear in no output, no
    lake file (raw items unpacked), the warehouse file, nor any Data Docs page."""
    copy_gx(tmp_path / "gx")
    (tmp_path / "inbox").mkdir()
    env = {"WALIDATA_LAKE": str(tmp_path / "lake"), "WALIDATA_WAREHOUSE_URL": f"duckdb:///{tmp_path / 'w.duckdb'}",
           "WALIDATA_GX_ROOT": str(tmp_path / "gx"), "WALIDATA_INBOX": str(tmp_path / "inbox"), "PATH": "/usr/bin"}
    code = ("import logging, sys; from walidata import cli; logging.basicConfig(level=logging.DEBUG); "
            "sys.exit(cli.main(sys.argv[1:]))")
    out = subprocess.run([sys.executable, "-c", code, "run", "--api-contoh", BPS, CKAN], env=env,
                         capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert out.stdout.count("dimuat") >= 2  # both datasets published
    for secret in (BPS_KEY, CKAN_TOKEN):
        assert secret not in out.stdout and secret not in out.stderr
    needles = [BPS_KEY.encode(), CKAN_TOKEN.encode()]
    assert files_containing(tmp_path / "lake", needles) == []
    assert files_containing(tmp_path / "gx", needles) == []
    warehouse = (tmp_path / "w.duckdb").read_bytes()
    assert all(n not in warehouse for n in needles)
    assert any((tmp_path / "lake" / "raw").rglob("respons.zip"))  # the raw items were written (and searched)
