"""Data Docs in a real browser (Debian's chromium through Playwright), served by the Airflow plugin's app on
loopback: a name cell written as markup never runs as script, and the policy the plugin sends stops an inline
script that a page might carry (the same planted page, opened without the policy, does run it). The plugin's pages
are behind Airflow's login: the browser carries the `_token` cookie the Airflow UI keeps after login, issued by the
project's Airflow home's auth manager (test_plugin.airflow_token)."""

from pathlib import Path
from urllib.parse import urlencode

from test_hostile_output import IMG, SCRIPT, _validate
from test_plugin import airflow_token

from conftest import CHROMIUM, SAMPLE_FILE, edit_workbook


def _open(url: str, logged_in: bool = True) -> tuple[list[str], str]:
    """Load `url` in headless chromium with every request off the machine refused, logged in to Airflow (the UI's
    `_token` cookie) unless told not; return the dialogs that opened (an alert is what an injected script shows)
    and the page's visible text."""
    from playwright.sync_api import sync_playwright

    dialogs = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            context = browser.new_context()
            if logged_in and url.startswith("http"):
                context.add_cookies([{"name": "_token", "value": airflow_token(), "domain": "127.0.0.1", "path": "/"}])
            page = context.new_page()
            page.route(lambda u: not u.startswith(("http://127.0.0.1", "file://")), lambda route: route.abort())
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(url, wait_until="load")
            page.wait_for_timeout(500)  # an onerror handler fires after the broken image settles
            text = page.inner_text("body")
        finally:
            browser.close()
    return dialogs, text


def test_a_name_written_as_markup_never_runs_in_the_data_docs_page(sandbox, served, tmp_path):
    hostile = edit_workbook(SAMPLE_FILE, tmp_path / "xss.xlsx", {("2024", "B9"): SCRIPT, ("2025", "B10"): IMG})
    outcome = _validate(sandbox, hostile, "xss")
    site = sandbox.gx_root / "uncommitted" / "data_docs" / "local_site"
    page = Path(outcome.data_docs.removeprefix("file://")).relative_to(site).as_posix()
    dialogs, text = _open(f"{served}/data-docs/{page}")
    assert dialogs == []
    assert SCRIPT in text and IMG in text  # shown as the text the OPD wrote


def test_the_plugin_policy_stops_an_inline_script_that_runs_without_it(sandbox, served):
    site = sandbox.gx_root / "uncommitted" / "data_docs" / "local_site"
    site.mkdir(parents=True, exist_ok=True)
    planted = site / "tertanam.html"
    planted.write_text(f"<html><body><p>halaman</p>{SCRIPT}{IMG}</body></html>")
    assert _open(planted.as_uri(), logged_in=False)[0] == ["1", "1"]  # without the policy both run: it can see one
    dialogs, text = _open(f"{served}/data-docs/tertanam.html")
    assert dialogs == [] and "halaman" in text


def test_a_browser_that_is_not_logged_in_sees_no_data_docs_page(sandbox, served):
    site = sandbox.gx_root / "uncommitted" / "data_docs" / "local_site"
    site.mkdir(parents=True, exist_ok=True)
    (site / "rahasia.html").write_text("<html><body><p>nilai mentah</p></body></html>")
    assert "nilai mentah" in _open(f"{served}/data-docs/rahasia.html")[1]
    from playwright.sync_api import Error, sync_playwright

    url, requested = f"{served}/data-docs/rahasia.html", []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("request", lambda r: requested.append(r.url))
            try:  # the app served alone has no Airflow login page: its redirect to it is refused in turn
                page.goto(url, wait_until="load")
            except Error:
                pass
        finally:
            browser.close()
    assert requested[:2] == [url, f"{served}/auth/login?" + urlencode({"next": url})]  # sent to Airflow's login
    assert url not in requested[2:]  # and never served: each time back to the login
