"""Airflow plugin: serves the Great Expectations Data Docs inside the Airflow web server.

`/walidata/data-docs/<path>`: any Data Docs page; `/walidata/data-docs-terbaru/<dataset id>`: redirects to the
latest validation page of a dataset (each DAG's description links there). Data Docs are static files under
`<WALIDATA_GX_ROOT>/uncommitted/data_docs/local_site/`. Only Airflow plugins live in this folder.

`/walidata/laporan/`: the static report "Laporan Indikator Smart City" (`<WALIDATA_LAPORAN>/index.html`, written
by walidata.serve.indikator.laporan), linked from the Airflow menu (Browse) as an external view. In the file its
Data Docs links are paths relative to the report folder (they work opened from file://); served here they are
rewritten to this plugin's own routes, relative to /walidata/laporan/ (`../data-docs/<page>`, or
`../data-docs-terbaru/<dataset>` for a page outside the site): see laporan.tautan_untuk_plugin. The report
has inline styles and SVG only, no script, so the same policy below serves it.

Login: Airflow 3 does not put a plugin's FastAPI app behind its login, so this app does (`_login_required`, a
middleware: every route, present and future). A request is served only with a JWT that Airflow's own
`get_user` (airflow.api_fastapi.core_api.security) accepts: the UI's `_token` cookie, or `Authorization: Bearer`
from `POST /auth/token`. Without one, a browser asking for a page is sent to Airflow's login page (`next=` back
here), anything else gets 401. Then the auth manager authorizes (403 otherwise): Data Docs carry the rejected raw
values of the OPD's files, the same values the DAG's task logs carry, so they take the right to read that DAG's
task logs (`is_authorized_dag`, TASK_LOGS; a page naming no single dataset, e.g. the index, takes it for every
DAG); the report and the pages' static assets take the right to use the UI (`is_authorized_view`, WEBSITE).
With Airflow's SimpleAuthManager every role may read both; roles that differ come with the FAB or another auth
manager. The PostgreSQL role `analyst` (walidata peran) is a warehouse role, not an Airflow one: an analyst who
is given an Airflow login without task-log rights to the DAGs is refused the Data Docs.

Offline: the pages load their scripts, stylesheets and fonts from the site itself (`static/walidata/`, copied
there by walidata.validate.data_docs.localise_site after each build, from include/data_docs_assets/). A page
built before that, still naming the CDNs, is rewritten the same way as it is served, and `static/walidata/`
files missing from such a site are served from include/data_docs_assets/. So nothing is fetched from outside.

The pages are served from Airflow's own origin, so every response carries a Content-Security-Policy:
scripts, styles, fonts and images from this origin only ('self'; images also as data: URIs, the form-control
icons Bootstrap's stylesheet embeds, which fetch nothing), styles also inline (GX pages carry <style> blocks
and style attributes), no plugins, no framing by other origins.

Inline <script> blocks stay blocked ('unsafe-inline' is never allowed, and no hash allowlist is used):
- the GX inline scripts that would matter carry data: the index page's tables are filled by
  `$(...).bootstrapTable({data: ...})` with the run's names and results. Their hashes change with every build,
  so they could only be computed from the page being served, which would let whatever an OPD's file put into
  a page run. Not done.
- the data-free template scripts are GX's walkthrough modal and "how to" call-to-action (promotion, unwanted
  offline) and the "show all / hide succeeded validations" helpers, which are reached only through inline
  onclick= handlers that would also need 'unsafe-hashes'. A hash list would also silently stop matching at the
  next GX upgrade (the hashes cover GX's exact template whitespace).
What still works without them: each validation page's tables are `data-toggle="table"` tables with their rows
in the HTML, which bootstrap-table's own file (a 'self' script) renders on load. What does not: the index
page's run lists stay empty under the policy (the DAG links go to `/walidata/data-docs-terbaru/<dataset>`
instead) and the "hide succeeded" toggle does nothing.
"""

from __future__ import annotations

from pathlib import Path

from airflow.plugins_manager import AirflowPlugin
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PREFIX = "/walidata"
app = FastAPI(title="Walidata Data Docs", description="Hasil pemeriksaan (Great Expectations) per dataset")

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",  # GX pages carry <style> blocks and style attributes
    "font-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'self'",
])


@app.middleware("http")
async def _login_required(request: Request, call_next):
    """Every request, to any route (a future one too), behind Airflow's login: see "Login" in the module doc.
    Registered before _security_headers, so that middleware wraps it and its answers carry the policy too."""
    user = await _airflow_user(request)
    if user is None:
        return _not_logged_in(request)
    if not _may_read(user, _own_path(request)):
        return JSONResponse({"detail": "Forbidden"}, status_code=403)
    return await call_next(request)


async def _airflow_user(request: Request):
    """The user Airflow's own `get_user` finds in the request (`Authorization: Bearer <JWT>`, else the UI's
    `_token` cookie), validated by the auth manager (signature, expiry, revocation); None when there is none,
    it is not valid, or no auth manager runs in this process (the app served outside Airflow's api-server)."""
    from airflow.api_fastapi.core_api.security import bearer_scheme, get_user

    try:
        return await get_user(request, None, await bearer_scheme(request))
    except StarletteHTTPException:  # 401 no/expired token, 403 invalid or revoked token
        return None
    except RuntimeError:  # "Auth Manager has not been initialized yet": nobody can be authenticated
        return None


def _not_logged_in(request: Request):
    """A browser asking for a page goes to Airflow's login page, which comes back here (`next=`); anything else
    (an API client, a script's fetch, an asset) gets 401."""
    wants_page = request.method in ("GET", "HEAD") and "text/html" in request.headers.get("accept", "")
    if wants_page:
        from airflow.api_fastapi.app import get_auth_manager

        try:
            return RedirectResponse(get_auth_manager().get_url_login(next_url=str(request.url)), status_code=307)
        except RuntimeError:
            pass
    return JSONResponse({"detail": "Not authenticated"}, status_code=401, headers={"WWW-Authenticate": "Bearer"})


def _own_path(request: Request) -> str:
    """The path within this app (`/data-docs/...`), without the prefix Airflow mounts it under."""
    path, root = request.scope["path"], request.scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


def _may_read(user, path: str) -> bool:
    """Authorization by Airflow's auth manager. Data Docs pages carry the rejected raw values of an OPD's file,
    which the task logs of the dataset's DAG carry too: reading them takes the right to read that DAG's task
    logs (a path naming no single dataset, like the index, takes it for every DAG). The report (published
    indicators) and the pages' scripts, styles and fonts take only the right to use Airflow's UI."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.models.resource_details import AccessView, DagAccessEntity, DagDetails

    am, parts = get_auth_manager(), path.split("/")
    plain = not any(p in ("", ".", "..") for p in parts[1:])  # a path that means what it spells
    data_docs = path.startswith(("/data-docs/", "/data-docs-terbaru/"))
    if not data_docs or (plain and path.startswith("/data-docs/static/")):
        return am.is_authorized_view(access_view=AccessView.WEBSITE, user=user)
    details = DagDetails(id=_dag_of(parts) if plain else None)
    return am.is_authorized_dag(method="GET", access_entity=DagAccessEntity.TASK_LOGS, details=details, user=user)


def _dag_of(parts: list[str]) -> str | None:
    """The DAG of the dataset a path names (`/data-docs-terbaru/<opd>.<name>`,
    `/data-docs/validations/<opd>/<name>/...`): `opd__<opd>__<name>`, as walidata.catalog.Dataset.dag_id."""
    if parts[1] == "data-docs-terbaru" and len(parts) == 3 and "." in parts[2]:
        return "opd__{}__{}".format(*parts[2].split(".", 1))
    if parts[1:3] == ["data-docs", "validations"] and len(parts) > 5:
        return f"opd__{parts[3]}__{parts[4]}"
    return None


@app.middleware("http")
async def _security_headers(request: Request, call_next):
    response = await call_next(request)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _site() -> Path:
    from walidata.settings import get_settings

    return get_settings().gx_root / "uncommitted" / "data_docs" / "local_site"


@app.get("/data-docs/{path:path}")
def data_docs(path: str = "index.html"):
    site = _site().resolve()
    target = (site / (path or "index.html")).resolve()
    if site not in target.parents and target != site or not target.is_file():  # no escaping the site folder
        vendored = _vendored(site, target)
        if vendored is None:
            raise HTTPException(status_code=404, detail=f"no Data Docs page {path!r}")
        return FileResponse(vendored)
    if target.suffix == ".html":
        return _offline_page(site, target)
    return FileResponse(target)


def _offline_page(site: Path, page: Path):
    """A page still naming the CDNs (built before localise_site ran) is served rewritten to the local copies."""
    from walidata.validate.data_docs import localise_html, page_prefix

    text = page.read_text(encoding="utf-8")
    new, _, _ = localise_html(text, page_prefix(page, site))
    return FileResponse(page) if new == text else HTMLResponse(new)


def _vendored(site: Path, target: Path) -> Path | None:
    """A `static/walidata/` file the site lacks, from include/data_docs_assets/ if assets.json lists it."""
    from walidata.validate.data_docs import SITE_ASSETS, assets_dir, manifest

    own = site / SITE_ASSETS
    if own not in target.parents:
        return None
    rel = target.relative_to(own).as_posix()
    listed = {f["path"] for rec in manifest()["packages"] for f in [*rec["files"], rec["licence_file"]]}
    return assets_dir() / rel if rel in listed else None


@app.get("/data-docs-terbaru/{dataset_id}")
def latest(dataset_id: str):
    opd, _, name = dataset_id.partition(".")
    folder = _site() / "validations" / opd / name
    pages = sorted(folder.glob("*/*/*.html"), key=lambda p: p.stat().st_mtime) if folder.is_dir() else []
    if not pages:
        raise HTTPException(status_code=404, detail=f"{dataset_id}: no validation has run yet")
    return RedirectResponse(f"{PREFIX}/data-docs/{pages[-1].relative_to(_site()).as_posix()}")


@app.get("/laporan")
def laporan_tanpa_garis():
    return RedirectResponse("laporan/")  # relative: the report's own relative links need the trailing slash


@app.get("/laporan/")
def laporan():
    """The indicator report, its Data Docs links pointing at this plugin."""
    from walidata.serve.indikator.laporan import tautan_untuk_plugin
    from walidata.settings import get_settings

    folder = get_settings().laporan
    page = folder / "index.html"
    if not page.is_file():
        raise HTTPException(status_code=404, detail="Laporan indikator belum dibuat (jalankan DAG indikator)")
    return HTMLResponse(tautan_untuk_plugin(page.read_text(encoding="utf-8"), folder, _site()))


LAPORAN_MENU = {
    "name": "Laporan Indikator Smart City",
    "href": f"{PREFIX}/laporan/",
    "category": "browse",  # Airflow 3 UI: under the Browse menu
    "url_route": "laporan-indikator",  # shown inside the Airflow UI (frame-ancestors 'self' allows it)
    "destination": "nav",
}


class WalidataPlugin(AirflowPlugin):
    name = "walidata"
    fastapi_apps = [{"app": app, "url_prefix": PREFIX, "name": "Walidata Data Docs"}]
    external_views = [LAPORAN_MENU]
