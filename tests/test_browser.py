"""Data Docs in a real browser (Debian's chromium through Playwright), served by the Airflow plugin's app on
loopback: a name cell written as markup never runs as script, and the policy the plugin sends stops an inline
script that a page might carry (the same planted page, opened without the policy, does run it)."""

import os
import shutil
import socket
import sys
import threading
import time
from pathlib import Path

import pytest
from test_hostile_output import IMG, SCRIPT, _validate

from conftest import ROOT, SAMPLE_FILE, edit_workbook

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _needs_browser():
    try:
        import playwright  # noqa: F401
    except ImportError:
        reason = "playwright is not installed"
    else:
        reason = None if CHROMIUM else "Debian's chromium is not installed (apt-get install chromium)"
    if reason and os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason + " (under CI the browser tests must run: .ci/run installs chromium)")
    if reason:
        pytest.skip(reason)


@pytest.fixture
def served(sandbox):
    """The plugin's FastAPI app under uvicorn on a free loopback port, reading the sandbox's Data Docs."""
    import uvicorn

    _needs_browser()
    sys.path.insert(0, str(ROOT / "plugins"))
    import walidata_data_docs

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(walidata_data_docs.app, host="127.0.0.1", port=port, log_level="warning"))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        t.join(10)


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
