"""The Airflow plugin that serves Data Docs, and the DAG's link to it."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from conftest import DATASET, ROOT, SAMPLE_FILE
from walidata.catalog import get_dataset
from walidata.standardise.records import standardise_files
from walidata.standardise.reference import IndeksWilayah
from walidata.validate.outcome import validate

sys.path.insert(0, str(ROOT / "plugins"))
import walidata_data_docs  # noqa: E402


def test_latest_data_docs_page_of_a_dataset_is_served(sandbox):
    client = TestClient(walidata_data_docs.app)
    assert client.get(f"/data-docs-terbaru/{DATASET}").status_code == 404  # nothing validated yet
    ds = get_dataset(sandbox.catalog, DATASET)
    wilayah = IndeksWilayah(sandbox.reference, sandbox.wilayah)
    out = standardise_files(ds, [(SAMPLE_FILE, SAMPLE_FILE.name)], wilayah)
    outcome = validate(ds, out.frame(), out.totals.to_pandas(), wilayah, sandbox.gx_root, "run-1")
    r = client.get(f"/data-docs-terbaru/{DATASET}", follow_redirects=False)
    assert r.status_code == 307
    page = r.headers["location"]
    assert page.startswith("/walidata/data-docs/validations/disdukcapil/penduduk_kecamatan/run-1/")
    assert outcome.data_docs.endswith(page.removeprefix("/walidata/data-docs/"))
    html = client.get(page.removeprefix("/walidata")).text
    assert "disdukcapil.penduduk_kecamatan" in html
    assert client.get("/data-docs/../../great_expectations.yml").status_code == 404


def test_dag_description_links_to_the_plugin():
    ds = get_dataset(ROOT / "include" / "catalog", DATASET)
    assert f"(/walidata/data-docs-terbaru/{DATASET})" in ds.doc_md()


def test_airflow_loads_the_plugin(tmp_path):
    env = {**os.environ, "AIRFLOW_HOME": str(tmp_path), "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
           "AIRFLOW__CORE__DAGS_FOLDER": str(ROOT / "dags"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"}
    airflow = shutil.which("airflow", path=str(Path(sys.executable).parent))
    out = subprocess.run([airflow, "plugins", "--output", "plain"], env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "walidata" in out.stdout


def _directives(csp: str) -> dict[str, list[str]]:
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in csp.split(";")) if d}


def test_data_docs_are_served_with_a_policy_that_runs_no_inline_script(sandbox):
    client = TestClient(walidata_data_docs.app)
    ds = get_dataset(sandbox.catalog, DATASET)
    wilayah = IndeksWilayah(sandbox.reference, sandbox.wilayah)
    out = standardise_files(ds, [(SAMPLE_FILE, SAMPLE_FILE.name)], wilayah)
    validate(ds, out.frame(), out.totals.to_pandas(), wilayah, sandbox.gx_root, "csp")
    latest = client.get(f"/data-docs-terbaru/{DATASET}", follow_redirects=False)
    page = client.get(latest.headers["location"].removeprefix("/walidata"))
    index = client.get("/data-docs/index.html")
    missing = client.get("/data-docs/tidak-ada.html")
    for r in (latest, page, index, missing):
        assert r.headers["x-content-type-options"] == "nosniff"
        csp = _directives(r.headers["content-security-policy"])
        assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
        assert "'self'" in csp["script-src"] and csp["object-src"] == ["'none'"]
    # The hosts the page loads its scripts and stylesheets from are allowed (the page still works) …
    for html in (page.text, index.text):
        for tag, attr, directive in (("script", "src", "script-src"), ("link", "href", "style-src")):
            for url in re.findall(rf'<{tag}\b[^>]*\b{attr}="(https?://[^"/]+)', html):
                assert url in csp[directive], (url, directive)
    # … and its inline scripts are what the policy blocks.
    assert re.search(r"<script>\s*\S", page.text)
