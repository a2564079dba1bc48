"""The Airflow plugin that serves Data Docs, and the DAG's link to it."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

from fastapi.testclient import TestClient

from conftest import DATASET, ROOT, SAMPLE_FILE
from walidata.catalog import get_dataset
from walidata.standardise.records import standardise_files
from walidata.standardise.reference import IndeksWilayah
from walidata.validate.outcome import validate

sys.path.insert(0, str(ROOT / "plugins"))
import walidata_data_docs  # noqa: E402

VALIDATION_PAGE = "validations/disdukcapil/penduduk_kecamatan/uji/20250101T000000Z/halaman.html"


def airflow_token(role: str | None = "admin", **kw) -> str:
    """A JWT issued by the real auth manager of the project's Airflow home (SimpleAuthManager), the token the UI
    keeps in its `_token` cookie and `POST /auth/token` returns."""
    from airflow.api_fastapi.app import init_auth_manager
    from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser

    return init_auth_manager().generate_jwt(SimpleAuthManagerUser(username="penguji", role=role), **kw)


def logged_in(role: str | None = "admin") -> TestClient:
    return TestClient(walidata_data_docs.app, headers={"Authorization": f"Bearer {airflow_token(role)}"})


def plugin_urls() -> list[str]:
    """One URL for every route of the plugin's app, read from the app itself (a route added later is in it)."""
    fill = {"path": "index.html", "dataset_id": DATASET}
    return [re.sub(r"\{(\w+)(:\w+)?\}", lambda m: fill.get(m[1], "x"), r.path) for r in walidata_data_docs.app.routes]


def plant_pages(gx_root: Path, laporan: Path) -> None:
    """A Data Docs index, a validation page of DATASET and the report, so that every route has a page to serve."""
    site = gx_root / "uncommitted" / "data_docs" / "local_site"
    for page in (site / "index.html", site / VALIDATION_PAGE, laporan / "index.html"):
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(f"<html><body><p>{page.name}: nilai mentah yang ditolak</p></body></html>")


def test_every_route_refuses_a_client_that_is_not_logged_in(sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("WALIDATA_LAPORAN", str(tmp_path / "laporan"))
    plant_pages(sandbox.gx_root, tmp_path / "laporan")
    urls = plugin_urls()
    assert {"/data-docs/index.html", f"/data-docs-terbaru/{DATASET}", "/laporan/", "/laporan"} <= set(urls)
    anonymous = TestClient(walidata_data_docs.app)
    expired = TestClient(walidata_data_docs.app,
                         cookies={"_token": airflow_token(expiration_time_in_seconds=-60)})
    forged = TestClient(walidata_data_docs.app, headers={"Authorization": "Bearer " + airflow_token()[:-4] + "AAAA"})
    admin, viewer, no_role = logged_in("admin"), logged_in("viewer"), logged_in(None)
    for url in urls:
        for client in (anonymous, expired, forged):
            r = client.get(url, follow_redirects=False, headers={"Accept": "application/json"})
            assert r.status_code == 401, (url, r.status_code)
            assert "nilai mentah" not in r.text and r.headers["content-security-policy"]
            page = client.get(url, follow_redirects=False, headers={"Accept": "text/html,*/*"})
            assert page.status_code == 307, (url, page.status_code)  # a browser: to Airflow's login, and back
            assert page.headers["location"] == "/auth/login?" + urlencode({"next": f"http://testserver{url}"})
        assert no_role.get(url).status_code == 403, url  # authenticated, but the auth manager refuses it
        for client in (admin, viewer):  # served (the app alone lacks Airflow's /walidata prefix: no following)
            r = client.get(url, follow_redirects=False, headers={"Accept": "text/html,*/*"})
            assert r.status_code == 200 or r.status_code == 307 and "/auth/" not in r.headers["location"], url
    cookie = TestClient(walidata_data_docs.app, cookies={"_token": airflow_token("viewer")})  # as the UI sends it
    assert "nilai mentah" in cookie.get(f"/data-docs/{VALIDATION_PAGE}").text


def test_data_docs_pages_are_authorized_per_dag_of_their_dataset():
    dag = walidata_data_docs._dag_of
    assert dag(f"/data-docs-terbaru/{DATASET}".split("/")) == "opd__disdukcapil__penduduk_kecamatan"
    assert dag(f"/data-docs/{VALIDATION_PAGE}".split("/")) == "opd__disdukcapil__penduduk_kecamatan"
    assert dag("/data-docs/index.html".split("/")) is None  # every DAG's runs: the right on every DAG
    assert dag("/data-docs/validations/dlh".split("/")) is None


def test_latest_data_docs_page_of_a_dataset_is_served(sandbox):
    client = logged_in()
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
    client = logged_in()
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
