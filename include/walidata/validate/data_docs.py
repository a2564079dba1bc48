"""Data Docs that work without internet: the CDN assets GX pages load are served from the site itself.

Great Expectations 1.x writes Data Docs pages that load Bootstrap, jQuery, bootstrap-table, Vega and Font
Awesome from public CDNs, show a logo fetched from GX's servers (the data context id in its URL) and link to
greatexpectations.io. On a server without internet such a page renders unstyled. `localise_site` copies the
files vendored in include/data_docs_assets/ (see its vendor.py and assets.json) into
`<site>/static/walidata/`, points every CDN URL of every page at that copy by a relative path (the page works
opened as file:// and served by the Airflow plugin), drops the remote logo and the remote links, and reports
any remote URL it does not know. `localise_html` is the same rewrite of one page, which the plugin also applies
on the fly to pages built before this existed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from functools import cache
from pathlib import Path

log = logging.getLogger(__name__)

SITE_ASSETS = Path("static") / "walidata"  # inside the Data Docs site
LOOPBACK = ("127.0.0.1", "localhost", "[::1]")

_REMOTE = r"(?:https?:)?//(?!(?:127\.0\.0\.1|localhost|\[::1\])[:/\"'\s)])[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\"'\s)<>]*"
_IMG = re.compile(r"<img\b[^>]*?\bsrc\s*=\s*[\"']?\s*" + _REMOTE + r"[^>]*>", re.I)
_ANCHOR_HREF = re.compile(r"(<a\b[^>]*?)\s+href\s*=\s*(?:\"\s*" + _REMOTE + r"\"|'\s*" + _REMOTE + r"')([^>]*>)", re.I)
_LINK_TARGET = re.compile(r"\s+(?:target|rel)\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+)", re.I)
_CSS_URL = re.compile(r"url\(\s*([\"']?)\s*" + _REMOTE + r"\s*\1\s*\)", re.I)
_SRI = re.compile(r"\s+(?:integrity|crossorigin)(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s>]+))?", re.I)
_SLASHES = re.compile(r"//([^\s\"'<>)/?#]*)[^\s\"'<>)]*")
_LOADS_FROM = re.compile(r"(?:\b(?:src|href|action|poster|srcset|data)\s*=|url\()\s*[\"']?\s*$", re.I)


class RemoteUrlLeft(RuntimeError):
    """A page still names a remote host after rewriting (a GX upgrade added an asset the manifest lacks)."""


class AssetMismatch(RuntimeError):
    """A vendored file is not the one assets.json records."""


def assets_dir() -> Path:
    """include/data_docs_assets, found upwards from this module (it stays valid if the module moves)."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "data_docs_assets" / "assets.json").is_file():
            return parent / "data_docs_assets"
    raise FileNotFoundError(f"include/data_docs_assets/assets.json not found above {here}")


@cache
def manifest() -> dict:
    return json.loads((assets_dir() / "assets.json").read_text())


@cache
def _cdn_pattern() -> re.Pattern:
    """Any manifest CDN URL as a whole (not the start of a longer URL), longest first."""
    urls = manifest()["urls"]
    alts = "|".join(re.escape(u) for u in sorted(urls, key=len, reverse=True))
    return re.compile(r"(?<![\w/.-])(?:" + alts + r")(?=[\"'\s)<>])")


def localise_html(html: str, prefix: str) -> tuple[str, int, list[str]]:
    """One page rewritten for offline use: (new html, links rewritten or removed, remote URLs left).

    `prefix` is the page's relative path to the site's asset folder, ending in '/' (e.g. '../static/walidata/').
    CDN URLs in the manifest become `prefix + vendored path` (with their SRI/crossorigin attributes dropped: the
    files are GX's pinned bytes, checked by vendor.py, and crossorigin breaks loading from file://); remote
    <img> go, remote hrefs are taken off their links (the text stays), remote CSS url() become `none`."""
    if "//" not in html:  # nothing remote (a localised page has no '//' at all)
        return html, 0, []
    urls = manifest()["urls"]
    count = 0

    def to_local(m: re.Match) -> str:
        nonlocal count
        count += 1
        return prefix + urls[m.group(0)]

    html = _cdn_pattern().sub(to_local, html)
    html = re.sub(r"<(?:script|link)\b[^>]*>", lambda m: _drop_sri(m.group(0), prefix), html, flags=re.I)
    html, n_img = _IMG.subn("", html)
    html, n_css = _CSS_URL.subn("none", html)
    html, n_a = _ANCHOR_HREF.subn(lambda m: _LINK_TARGET.sub("", m.group(1)) + _LINK_TARGET.sub("", m.group(2)),
                                  html)
    return html, count + n_img + n_css + n_a, remote_urls(html)


def remote_urls(html: str) -> list[str]:
    """The URLs to other hosts a page still names: any http(s)://, and protocol-relative //host where a page
    loads or links from (src=, href=, url(...)); loopback hosts are not remote."""
    out = set()
    for m in _SLASHES.finditer(html):
        host, before = m.group(1).lower(), html[max(0, m.start() - 40):m.start()]
        if not host or host.split(":")[0] in LOOPBACK or host.startswith("[::1]"):
            continue
        scheme = re.search(r"(https?:)$", before, re.I)
        if scheme or _LOADS_FROM.search(before):
            out.add((scheme.group(1) if scheme else "") + m.group(0))
    return sorted(out)


def _drop_sri(tag: str, prefix: str) -> str:
    return _SRI.sub("", tag) if re.search(r"\b(?:src|href)\s*=\s*[\"']" + re.escape(prefix), tag) else tag


def page_prefix(page: Path, site_dir: Path) -> str:
    """Relative path from a page's folder to the site's asset folder, with a trailing '/'."""
    return Path(os.path.relpath(site_dir / SITE_ASSETS, page.parent)).as_posix() + "/"


def copy_assets(site_dir: Path) -> int:
    """Copy the vendored files (checked against assets.json) into the site; return how many were written."""
    src, dst = assets_dir(), site_dir / SITE_ASSETS
    written = 0
    entries = [f for rec in manifest()["packages"] for f in [*rec["files"], rec["licence_file"]]]
    for f in entries:
        data = (src / f["path"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != f["sha256"]:
            raise AssetMismatch(f"{src / f['path']} differs from assets.json: run vendor.py --check")
        written += _write_if_changed(dst / f["path"], data)
    written += _write_if_changed(dst / "assets.json", (src / "assets.json").read_bytes())
    return written


def _write_if_changed(path: Path, data: bytes) -> int:
    if path.is_file() and path.read_bytes() == data:
        return 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return 1


def localise_site(site_dir: Path, *, strict: bool = False, pages: list[Path] | None = None) -> int:
    """Make a built Data Docs site work offline (idempotent); return how many links were rewritten.

    Every .html of the site (or only `pages`, the ones a build just wrote: a site keeps every run's pages), and
    GX's own stylesheets (GX copies them again on every build), are rewritten in place with their modification
    time kept (the plugin finds a dataset's latest page by it). A remote URL left afterwards is logged as an
    error naming the page, or raised as RemoteUrlLeft with `strict=True`."""
    site_dir = Path(site_dir)
    copy_assets(site_dir)
    own = (site_dir / SITE_ASSETS).resolve()
    total, leftovers = 0, {}
    html = site_dir.rglob("*.html") if pages is None else [Path(p) for p in pages if Path(p).is_file()]
    for path in sorted([*html, *site_dir.rglob("*.css")]):
        if own in path.resolve().parents:
            continue
        n, left = _localise_file(path, page_prefix(path, site_dir))
        total += n
        if left:
            leftovers[path.relative_to(site_dir).as_posix()] = left
    if leftovers:
        msg = "; ".join(f"{page}: {', '.join(urls)}" for page, urls in leftovers.items())
        if strict:
            raise RemoteUrlLeft(f"remote URLs not in include/data_docs_assets/assets.json: {msg}")
        log.error("Data Docs still name remote URLs not in include/data_docs_assets/assets.json "
                  "(the page needs internet for them; add them with vendor.py): %s", msg)
    return total


def _localise_file(path: Path, prefix: str) -> tuple[int, list[str]]:
    data = path.read_bytes()
    if b"//" not in data:  # already localised: skip decoding (a site keeps every run's pages)
        return 0, []
    text = data.decode("utf-8")
    new, n, left = localise_html(text, prefix)
    if new != text:
        st = path.stat()
        path.write_text(new, encoding="utf-8")
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    return n, left
