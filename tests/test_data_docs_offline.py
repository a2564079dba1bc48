"""Data Docs work without internet: the CDN assets GX pages load are vendored from npm
(include/data_docs_assets/), copied into the site and linked relatively (walidata.validate.data_docs), and the
Airflow plugin serves the pages with a policy that allows this origin only.

The browser test runs Debian's chromium with every host name unresolvable except 127.0.0.1 and every request
off loopback aborted, and shows both sides: the page served by the plugin is styled and fetches nothing from
outside, while the same page as GX wrote it tries the CDNs and stays unstyled."""

import hashlib
import importlib.util
import logging
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import pytest
from test_hostile_output import _validate

from conftest import CHROMIUM, ROOT, SAMPLE_FILE, needs_browser
from walidata.validate.data_docs import RemoteUrlLeft, localise_site, manifest

ASSETS = ROOT / "include" / "data_docs_assets"
# A reference to another host that a browser would follow or load (not text that merely mentions a URL).
REMOTE = re.compile(r"\bhttps?://(?!127\.0\.0\.1[:/])[^\s\"'<>)]+"
                    r"|(?:\b(?:src|href|srcset|action|poster)\s*=\s*[\"']?|url\(\s*[\"']?)//[^\s\"'<>)]+", re.I)
VENDORED_REF = re.compile(r"<(?:script|link)\b[^>]*?\b(?:src|href)=\"([^\"#?]*static/walidata/[^\"#?]+)\"", re.I)


def _vendor():
    spec = importlib.util.spec_from_file_location("vendor", ASSETS / "vendor.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pipeline_site(sandbox) -> tuple[Path, Path]:
    outcome = _validate(sandbox, SAMPLE_FILE, "luring")
    return sandbox.gx_root / "uncommitted" / "data_docs" / "local_site", Path(outcome.data_docs.removeprefix("file://"))


@pytest.fixture
def built(sandbox):
    """(site folder, the validation page) of a real Data Docs build, as GX itself writes the pages: the pipeline's
    validate step localises its build, so GX rebuilds the site from its stores here, with its CDN links."""
    from walidata.validate.suite import gx_context

    site, page = _pipeline_site(sandbox)
    gx_context(sandbox.gx_root).build_data_docs()
    return site, page


def test_the_pipelines_data_docs_name_no_remote_host(sandbox):
    site, page = _pipeline_site(sandbox)
    pages = sorted(site.rglob("*.html"))
    assert page in pages and len(pages) >= 3
    for p in pages:
        assert REMOTE.findall(p.read_text()) == [], p
    assert (site / "static/walidata/bootstrap@4.3.1/LICENSE").is_file()


def _state(site: Path) -> dict[str, tuple[str, int]]:
    return {p.relative_to(site).as_posix(): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(site.rglob("*")) if p.is_file()}


def test_a_localised_site_names_no_remote_host_and_a_second_run_changes_nothing(built):
    site, page = built
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= 3 and page in pages
    before = {p: REMOTE.findall(p.read_text()) for p in pages}
    assert all(before.values())  # as GX writes them, every page loads from the CDNs
    assert any("dataContextId=" in u for u in before[page])  # and its logo request names the context
    mtime = page.stat().st_mtime_ns

    rewritten = localise_site(site, strict=True)
    assert rewritten >= sum(len(urls) for urls in before.values())
    for p in pages:
        html = p.read_text()
        assert REMOTE.findall(html) == [], p
        refs = VENDORED_REF.findall(html)
        assert len(refs) >= 15, p
        for ref in refs:  # every script and stylesheet it loads is a file of the site, found relatively
            assert (p.parent / ref).resolve().is_file(), (p, ref)
    assert page.stat().st_mtime_ns == mtime  # the plugin finds the latest page by its modification time
    assert (site / "static/walidata/bootstrap@4.3.1/LICENSE").is_file()

    state = _state(site)
    assert localise_site(site, strict=True) == 0
    assert _state(site) == state


def test_a_remote_url_the_manifest_does_not_know_is_reported(built, caplog):
    site, page = built
    extra = "https://cdn.example.org/lib/baru.min.js"
    page.write_text(page.read_text().replace("</head>", f'<script src="{extra}"></script></head>'))
    with pytest.raises(RemoteUrlLeft, match=re.escape(extra)):
        localise_site(site, strict=True)
    with caplog.at_level(logging.ERROR, logger="walidata.validate.data_docs"):
        localise_site(site)
    assert extra in caplog.text and page.name in caplog.text


def test_the_manifest_check_passes_and_fails_on_a_tampered_file(tmp_path):
    vendor = _vendor()
    assert vendor.check() == []
    run = subprocess.run([sys.executable, str(ASSETS / "vendor.py"), "--check"], capture_output=True, text=True)
    assert run.returncode == 0 and "assets.json: ok" in run.stdout

    copy = shutil.copytree(ASSETS, tmp_path / "assets", ignore=shutil.ignore_patterns("__pycache__"))
    jquery = copy / "jquery@3.7.1/dist/jquery.min.js"
    jquery.write_bytes(jquery.read_bytes().replace(b"jQuery", b"jQuerx", 1))
    (copy / "vega@5.33.1/LICENSE").unlink()
    (copy / "jquery@3.7.1/dist/tambahan.js").write_text("alert(1)")
    assert sorted(vendor.check(copy)) == ["missing: vega@5.33.1/LICENSE", "not in assets.json: jquery@3.7.1/dist/"
                                          "tambahan.js", "sha256 differs: jquery@3.7.1/dist/jquery.min.js"]
    run = subprocess.run([sys.executable, str(copy / "vendor.py"), "--check"], capture_output=True, text=True)
    assert run.returncode == 1 and "sha256 differs: jquery@3.7.1/dist/jquery.min.js" in run.stderr


def test_the_manifest_covers_every_asset_the_installed_gx_templates_load():
    import great_expectations

    templates = Path(great_expectations.__file__).parent / "render" / "view" / "templates"
    loaded = set()
    for t in templates.glob("*.j2"):
        loaded.update(re.findall(r"<(?:script|link)\b[^>]*?\b(?:src|href)=\"(https?://[^\"]+)\"", t.read_text()))
    assert loaded and loaded <= set(manifest()["urls"])
    for rec in manifest()["packages"]:
        assert rec["tarball"].startswith("https://registry.npmjs.org/") and rec["integrity"].startswith("sha512-")
        assert (ASSETS / rec["licence_file"]["path"]).is_file() and rec["licence"]


# --- in a browser with the network off ----------------------------------------------------------------------

OFFLINE_ARGS = [
    "--no-sandbox", "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--disable-background-networking", "--disable-component-update", "--disable-domain-reliability",
    "--disable-sync", "--disable-default-apps", "--no-first-run", "--no-pings", "--metrics-recording-only",
    "--disable-client-side-phishing-detection", "--disable-features=OptimizationHints,MediaRouter,Translate",
]
PROBE = """async () => {
  await document.fonts.ready;
  const table = document.querySelector('table.table');
  const cell = table && table.querySelector('td');
  const icon = document.querySelector('.fas');
  return {
    wrapper: document.querySelectorAll('.bootstrap-table .fixed-table-container table.table').length,
    collapse: table ? getComputedStyle(table).borderCollapse : null,
    width: table ? table.getBoundingClientRect().width / table.parentElement.getBoundingClientRect().width : 0,
    padding: cell ? getComputedStyle(cell).paddingTop : null,
    font: getComputedStyle(document.body).fontFamily,
    icons: document.querySelectorAll('.fas').length,
    iconFont: icon ? getComputedStyle(icon, '::before').fontFamily : null,
    faLoaded: [...document.fonts].some(f => f.family.includes('Font Awesome 6 Free') && f.status === 'loaded'),
  };
}"""


def _open_offline(url: str) -> tuple[dict, list[str], dict[str, int]]:
    """Load `url` in chromium (logged in to Airflow) with no host resolvable but 127.0.0.1 and any other request
    aborted; return the page's probe (styles, table, fonts), every URL it requested, and the status of each
    loopback response."""
    from playwright.sync_api import sync_playwright
    from test_plugin import airflow_token

    requested, status = [], {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=OFFLINE_ARGS)
        try:
            context = browser.new_context()
            if url.startswith("http"):  # the plugin's pages are behind Airflow's login: the UI's session cookie
                context.add_cookies([{"name": "_token", "value": airflow_token(), "domain": "127.0.0.1", "path": "/"}])
            page = context.new_page()
            page.on("request", lambda r: requested.append(r.url))
            page.on("response", lambda r: status.__setitem__(r.url, r.status))
            page.route("**/*", lambda route: route.continue_() if _local(route.request.url) else route.abort())
            page.goto(url, wait_until="load")
            page.wait_for_timeout(300)
            probe = page.evaluate(PROBE)
        finally:
            browser.close()
    return probe, requested, status


def _local(url: str) -> bool:
    parts = urlparse(url)
    return parts.scheme in ("data", "file") or (parts.scheme in ("http", "https") and parts.hostname == "127.0.0.1")


def _styled(probe: dict) -> bool:
    """Bootstrap, bootstrap-table and Font Awesome all took effect."""
    return (probe["wrapper"] > 0 and probe["collapse"] == "collapse" and probe["width"] > 0.99
            and probe["padding"] == "4.8px" and "Segoe UI" in probe["font"]
            and "Font Awesome 6 Free" in (probe["iconFont"] or "") and probe["faLoaded"])


@pytest.mark.parametrize("localised", [True, False], ids=["localised", "built-before-plugin-rewrites"])
def test_a_validation_page_renders_offline_through_the_plugin(built, served, tmp_path, localised):
    site, page = built
    as_gx_wrote_it = tmp_path / "as_gx_wrote_it.html"  # outside the site: nothing rewrites it
    shutil.copyfile(page, as_gx_wrote_it)
    if localised:
        localise_site(site, strict=True)
    probe, requested, status = _open_offline(f"{served}/data-docs/{page.relative_to(site).as_posix()}")
    offsite = [u for u in requested if not u.startswith((served + "/", "data:"))]
    assert offsite == []
    assert _styled(probe), probe
    assert probe["icons"] > 0
    fonts = [u for u in requested if u.endswith("/fa-solid-900.woff2")]
    assert fonts and all(status.get(u) == 200 for u in fonts)
    assert all(code == 200 for u, code in status.items() if not u.endswith("favicon.ico")), status

    # Without the rewriting the same page asks the CDNs (refused here) and shows unstyled.
    probe, requested, _ = _open_offline(as_gx_wrote_it.as_uri())
    hosts = {urlparse(u).hostname for u in requested if u.startswith("http")}
    assert {"cdn.jsdelivr.net", "maxcdn.bootstrapcdn.com", "unpkg.com", "code.jquery.com"} <= hosts
    assert "great-expectations-web-assets.s3.us-east-2.amazonaws.com" in hosts
    assert not _styled(probe) and probe["wrapper"] == 0 and probe["collapse"] == "separate", probe


def test_a_localised_page_also_works_opened_as_a_file(built):
    needs_browser()
    site, page = built
    localise_site(site, strict=True)
    probe, requested, _ = _open_offline(page.as_uri())
    assert [u for u in requested if not u.startswith(("file://", "data:"))] == []
    assert probe["wrapper"] > 0 and probe["collapse"] == "collapse" and "Segoe UI" in probe["font"], probe
