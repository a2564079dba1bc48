"""Data Docs in a real browser (Debian's chromium through Playwright), served by the Airflow plugin's app on
loopback: a name cell written as markup never runs as script, and the policy the plugin sends stops an inline
script that a page might carry (the same planted page, opened without the policy, does run it)."""

from pathlib import Path

from test_hostile_output import IMG, SCRIPT, _validate

from conftest import CHROMIUM, SAMPLE_FILE, edit_workbook


def _open(url: str) -> tuple[list[str], str]:
    """Load `url` in headless chromium with every request off the machine refused; return the dialogs that
    opened (an alert is what an injected script shows) and the page's visible text."""
    from playwright.sync_api import sync_playwright

    dialogs = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
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
    assert _open(planted.as_uri())[0] == ["1", "1"]  # without the policy both run: the test can see a script
    dialogs, text = _open(f"{served}/data-docs/tertanam.html")
    assert dialogs == [] and "halaman" in text
