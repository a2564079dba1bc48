"""The Airflow UI as a data engineer sees it, in headless Chromium (Debian's chromium through Playwright): log in
(sent there by a plugin page, and back to it), every catalog DAG listed with no import error, a DAG page with its
owner and OPD tag, trigger it and wait for success, open its documentation and follow its Data Docs link.
Screenshots go to tests/artifacts/ (git-ignored) and the test's own tmp folder. And, with plain HTTP, every route
of the plugin behind Airflow's login."""

from __future__ import annotations

import shutil
import time
from contextlib import contextmanager
from urllib.parse import urlencode

import httpx
import pytest
from airflow_cluster import PASSWORD, Cluster
from test_plugin import plant_pages, plugin_urls, walidata_data_docs

from conftest import CHROMIUM, DATASET, ROOT, SAMPLE_INBOX, copy_gx, needs_browser
from walidata.catalog import load_catalog

DAG = "opd__dlh__sampah"
ARTIFACTS = ROOT / "tests" / "artifacts"


@contextmanager
def _cluster(tmp_path):
    base = tmp_path / "ui"
    base.mkdir()
    shutil.copytree(SAMPLE_INBOX, base / "inbox")
    copy_gx(base / "gx")
    env = {"WALIDATA_WAREHOUSE_URL": f"duckdb:///{base / 'w.duckdb'}", "WALIDATA_LAKE": str(base / "lake"),
           "WALIDATA_INBOX": str(base / "inbox"), "WALIDATA_GX_ROOT": str(base / "gx"), "WALIDATA_RETRIES": "0",
           "WALIDATA_LAPORAN": str(base / "laporan")}
    c = Cluster(base, "LocalExecutor", env)
    try:
        yield c.start()
    finally:
        c.stop()


@pytest.fixture
def ui(tmp_path):
    needs_browser()
    with _cluster(tmp_path) as c:
        yield c


@pytest.fixture
def plugin_server(tmp_path):
    """The cluster (no browser needed), with a page behind every plugin route."""
    with _cluster(tmp_path) as c:
        plant_pages(c.base / "gx", c.base / "laporan")
        yield c


def test_every_plugin_route_is_behind_airflow_login(plugin_server):
    """Issue 21: Airflow does not guard a plugin's FastAPI app; the plugin does, with Airflow's own token check."""
    c = plugin_server
    urls = [walidata_data_docs.PREFIX + u for u in plugin_urls()]  # every route the app has, read from it
    assert httpx.get(f"{c.url}/api/v2/dags", timeout=30).status_code == 401  # what Airflow's own API answers
    for url in urls:
        r = httpx.get(c.url + url, headers={"Accept": "application/json"}, timeout=30)
        assert r.status_code == 401, (url, r.status_code)
        assert "nilai mentah" not in r.text
        page = httpx.get(c.url + url, headers={"Accept": "text/html"}, timeout=30)  # a browser: to the login
        assert page.status_code == 307, (url, page.status_code)
        assert page.headers["location"] == "/auth/login?" + urlencode({"next": c.url + url})
        assert httpx.get(c.url + page.headers["location"], timeout=30).status_code == 200  # Airflow's login page
    token = c.token()  # POST /auth/token, as the REST API's clients log in
    for creds in ({"headers": {"Authorization": f"Bearer {token}"}}, {"cookies": {"_token": token}}):
        with httpx.Client(base_url=c.url, follow_redirects=True, timeout=30, **creds) as client:
            for url in urls:
                assert client.get(url).status_code == 200, (url, creds.keys())
            assert "nilai mentah" in client.get(f"{walidata_data_docs.PREFIX}/data-docs-terbaru/{DATASET}").text


def _shot(page, tmp_path, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for folder in (tmp_path, ARTIFACTS):
        page.screenshot(path=str(folder / f"ui_{name}.png"), full_page=True)


def test_the_ui_lists_the_dags_runs_one_and_leads_to_its_data_docs(ui, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    c = ui
    dag_ids = sorted(d.dag_id for d in load_catalog(ROOT / "include" / "catalog")[0])
    c.wait_for_dags([*dag_ids, "smart_city_indicators", "tindak_lanjut_walidata"])
    assert c.api("GET", "/importErrors")["total_entries"] == 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            # a plugin page, logged out: Airflow's login page, which leads back to it once logged in (issue 21)
            page.goto(c.url + "/walidata/laporan/", wait_until="networkidle")
            assert page.url.startswith(c.url + "/auth/login?next="), page.url
            page.fill("input[name=username]", "admin")
            page.fill("input[name=password]", PASSWORD)
            _shot(page, tmp_path, "1_masuk")
            page.locator("button[type=submit]").click()
            page.wait_for_url(c.url + "/walidata/laporan/", timeout=30_000)
            expect(page.get_by_text("Laporan indikator belum dibuat")).to_be_visible()  # the route's own answer
            page.goto(c.url + "/", wait_until="networkidle")
            expect(page.get_by_label("Admin")).to_be_visible(timeout=30_000)  # the UI's menu: logged in
            page.wait_for_load_state("networkidle")
            # the DAG list: every catalog DAG, no import error shown
            page.goto(c.url + "/dags?limit=100", wait_until="networkidle")
            expect(page.get_by_text(dag_ids[0], exact=True)).to_be_visible(timeout=30_000)
            text = page.inner_text("body")
            missing = [d for d in dag_ids if d not in text]
            assert not missing and "Import Error" not in text, missing
            _shot(page, tmp_path, "2_daftar_dag")
            # the DAG page: owner and the OPD tag; trigger it from the UI
            page.goto(f"{c.url}/dags/{DAG}", wait_until="networkidle")
            expect(page.get_by_text("opd:dlh")).to_be_visible(timeout=30_000)
            assert "walidata" in page.inner_text("body")
            page.get_by_label("Trigger Dag").click()
            dialog = page.get_by_role("dialog")
            dialog.get_by_role("button", name="Trigger", exact=True).click()
            _wait_all_runs(c, DAG)
            page.reload(wait_until="networkidle")  # the UI went on to the run's page
            expect(page.get_by_text("Success").first).to_be_visible(timeout=30_000)
            _shot(page, tmp_path, "3_dag_berhasil")
            # its documentation, and the link to the latest Data Docs page
            page.goto(f"{c.url}/dags/{DAG}", wait_until="networkidle")
            page.get_by_label("Dag Docs").click()
            docs = page.get_by_role("dialog")
            expect(docs.get_by_text("Tabel gudang data")).to_be_visible(timeout=30_000)
            _shot(page, tmp_path, "4_dokumentasi")
            link = docs.get_by_role("link", name="/walidata/data-docs-terbaru/dlh.sampah")
            href = link.get_attribute("href")
            assert href.endswith("/walidata/data-docs-terbaru/dlh.sampah"), href
            page.goto(href if "://" in href else c.url + href, wait_until="networkidle")  # the UI opens it in a tab
            assert "/walidata/data-docs" in page.url
            assert "dlh.sampah" in page.inner_text("body")
            _shot(page, tmp_path, "5_data_docs")
        finally:
            browser.close()


def _wait_all_runs(c: Cluster, dag_id: str, timeout: float = 600) -> None:
    """Every run of the DAG (the one triggered, and the scheduled one that unpausing starts) succeeded."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        runs = c.api("GET", f"/dags/{dag_id}/dagRuns")["dag_runs"]
        if runs and all(r["state"] in ("success", "failed") for r in runs):
            assert {r["state"] for r in runs} == {"success"}, runs
            return
        time.sleep(2)
    raise TimeoutError(f"{dag_id}: runs not finished")
