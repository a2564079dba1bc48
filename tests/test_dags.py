"""DAG integrity: every DAG imports, carries owner, tags and retries, and parsing stays light."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from walidata.catalog import load_catalog

ROOT = Path(__file__).resolve().parents[1]
DAGS = ROOT / "dags"


# The catalog decides which DAGs exist: read it at collection (it is light), one test case per DAG id.
CATALOG_DATASETS, CATALOG_ERRORS = load_catalog(ROOT / "include" / "catalog")
CATALOG_DAG_IDS = sorted([d.dag_id for d in CATALOG_DATASETS] + [e.dag_id for e in CATALOG_ERRORS])


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_dagbag_has_no_import_errors_and_exactly_the_catalogs_dags(dagbag):
    assert dagbag.import_errors == {}
    assert CATALOG_ERRORS == []
    assert sorted(dagbag.dag_ids) == sorted([d.dag_id for d in CATALOG_DATASETS] + ["smart_city_indicators",
                                                                                     "tindak_lanjut_walidata"])
    assert "opd__disdukcapil__penduduk_kecamatan" in dagbag.dag_ids


def test_the_indicator_dag_runs_on_its_inputs_assets_or_daily_and_the_assets_come_from_the_library(dagbag):
    from airflow.sdk import AssetAny, AssetOrTimeSchedule

    from walidata.assets import dataset_asset, indikator_asset
    from walidata.serve.indikator.spec import load_indikator

    dag = dagbag.dags["smart_city_indicators"]
    assert [t.task_id for t in dag.topological_sort()][0] == "hitung"
    assert {t.task_id for t in dag.tasks} == {"hitung", "ekspor", "portal", "laporan"}
    assert isinstance(dag.timetable, AssetOrTimeSchedule)
    inputs = {d for decl in load_indikator(ROOT / "include" / "indikator") for d in decl.indikator.datasets}
    watched = {o.name for o in dag.timetable.asset_condition.objects}
    assert isinstance(dag.timetable.asset_condition, AssetAny)
    assert watched == inputs and "disdukcapil.penduduk_kecamatan" in watched
    # the dataset DAGs update exactly these assets (one definition, in the library)
    publish = dagbag.dags["opd__disdukcapil__penduduk_kecamatan"].get_task("publish")
    assert publish.outlets == [dataset_asset("disdukcapil.penduduk_kecamatan")]
    assert dag.get_task("hitung").outlets == [indikator_asset()]
    assert dag.timetable.timetable.expression == "0 6 * * *"  # the daily fallback
    assert "Indikator Smart City" in dag.doc_md


@pytest.mark.parametrize("dag_id", CATALOG_DAG_IDS)
def test_dag_imports_and_has_owner_tags_doc_retries_and_its_schedule(dagbag, dag_id):
    broken = [e for e in CATALOG_ERRORS if e.dag_id == dag_id]
    assert not broken, broken[0].message
    ds = next(d for d in CATALOG_DATASETS if d.dag_id == dag_id)
    assert dag_id in dagbag.dags, f"{dag_id} missing from the DagBag; import errors: {dagbag.import_errors}"
    dag = dagbag.dags[dag_id]
    assert str(Path(dag.fileloc).resolve()) not in {str(Path(f).resolve()) for f in dagbag.import_errors}
    assert set(dag.tags) == {"opd", f"opd:{ds.opd}", *(f"smart-city:{d}" for d in ds.metadata.dimensi_smart_city)}
    assert "katalog-tidak-valid" not in dag.tags
    assert dag.doc_md and dag.doc_md == ds.doc_md()
    assert dag.description == ds.judul
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert dag.timezone.name == "Asia/Jakarta"
    assert dag.schedule == ds.jadwal or getattr(dag.timetable, "_expression", None) == ds.jadwal
    assert [t.task_id for t in dag.topological_sort()] == [
        "extract", "standardise", "validate", "publish", "wilayah_ditahan"]
    (outlet,) = dag.get_task("publish").outlets
    assert outlet.name == ds.id and outlet.uri == f"walidata://dataset/{ds.id}"
    retries = int(os.environ["WALIDATA_RETRIES"]) if os.environ.get("WALIDATA_RETRIES") else ds.retries
    for t in dag.tasks:
        assert t.owner == ds.pemilik == "walidata", (dag_id, t.task_id)
        assert t.retries == retries >= 1, (dag_id, t.task_id)


def test_flagship_dag_shape(dagbag):
    dag = dagbag.dags["opd__disdukcapil__penduduk_kecamatan"]
    assert [t.task_id for t in dag.topological_sort()] == [
        "extract", "standardise", "validate", "publish", "wilayah_ditahan"]
    assert dag.schedule == "0 1 * * *" or getattr(dag.timetable, "_expression", None) == "0 1 * * *"
    assert {"opd:disdukcapil", "smart-city:living", "smart-city:society"} <= set(dag.tags)
    (outlet,) = dag.get_task("publish").outlets
    assert outlet.name == "disdukcapil.penduduk_kecamatan" and outlet.uri.startswith("walidata://")
    # The warehouse's writer runs in its pool (1 slot on DuckDB); the other stages in the default pool.
    assert dag.get_task("publish").pool == "walidata_gudang"
    assert {dag.get_task(t).pool for t in ("extract", "standardise", "validate")} == {"default_pool"}
    assert "Definisi" in dag.doc_md and "fact.disdukcapil__penduduk_kecamatan" in dag.doc_md


def _parse_in_subprocess(env_extra: dict) -> dict:
    code = (
        "import json, sys, time; t = time.time()\n"
        "from airflow.dag_processing.dagbag import DagBag\n"
        f"bag = DagBag(dag_folder={str(DAGS)!r})\n"
        "heavy = [m for m in ('pandas', 'great_expectations', 'pyarrow', 'python_calamine') if m in sys.modules]\n"
        "errors = {str(k): str(v) for k, v in bag.import_errors.items()}\n"
        "print(json.dumps({'ids': sorted(bag.dag_ids), 'errors': errors,"
        " 'heavy': heavy, 'tags': {d: sorted(bag.dags[d].tags) for d in bag.dag_ids},"
        " 'docs': {d: bag.dags[d].doc_md for d in bag.dag_ids}}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, **env_extra})
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_parsing_imports_no_pandas_or_gx():
    result = _parse_in_subprocess({})
    assert result["errors"] == {}
    assert result["heavy"] == []


def test_invalid_catalog_file_becomes_a_visible_failing_dag_and_others_still_load(tmp_path):
    good = (ROOT / "include" / "catalog" / "disdukcapil" / "penduduk_kecamatan.yaml").read_text()
    (tmp_path / "disdukcapil").mkdir()
    (tmp_path / "disdukcapil" / "penduduk_kecamatan.yaml").write_text(good)
    (tmp_path / "bpbd").mkdir()
    (tmp_path / "bpbd" / "kejadian_bencana.yaml").write_text(good.replace("disdukcapil", "bpbd").replace(
        "  satuan: jiwa\n", ""))
    result = _parse_in_subprocess({"WALIDATA_CATALOG": str(tmp_path)})
    assert result["errors"] == {}
    assert result["ids"] == ["opd__bpbd__kejadian_bencana", "opd__disdukcapil__penduduk_kecamatan",
                             "smart_city_indicators", "tindak_lanjut_walidata"]
    assert "katalog-tidak-valid" in result["tags"]["opd__bpbd__kejadian_bencana"]
    doc = result["docs"]["opd__bpbd__kejadian_bencana"]
    assert "kejadian_bencana.yaml" in doc and "metadata.satuan" in doc
