"""Airflow plugin: serves the Great Expectations Data Docs inside the Airflow web server.

`/walidata/data-docs/<path>`: any Data Docs page; `/walidata/data-docs-terbaru/<dataset id>`: redirects to the
latest validation page of a dataset (each DAG's description links there). Data Docs are static files under
`<WALIDATA_GX_ROOT>/uncommitted/data_docs/local_site/`. Only Airflow plugins live in this folder.

The pages are served from Airflow's own origin, so every response carries a Content-Security-Policy that runs
no inline script (GX's own inline helpers, such as 'hide succeeded validations', are blocked with it): scripts
and styles only from this origin and the CDNs GX pages load them from, no images from elsewhere (GX's logo
request carries the data context id).
"""

from __future__ import annotations

from pathlib import Path

from airflow.plugins_manager import AirflowPlugin
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, RedirectResponse

PREFIX = "/walidata"
app = FastAPI(title="Walidata Data Docs", description="Hasil pemeriksaan (Great Expectations) per dataset")

# Where GX 1.x Data Docs pages load their scripts and stylesheets from (until they are served locally).
SCRIPT_HOSTS = ("https://cdn.jsdelivr.net", "https://cdnjs.cloudflare.com", "https://code.jquery.com",
                "https://stackpath.bootstrapcdn.com", "https://unpkg.com")
STYLE_HOSTS = ("https://cdn.jsdelivr.net", "https://cdnjs.cloudflare.com", "https://maxcdn.bootstrapcdn.com",
               "https://unpkg.com")
CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self' " + " ".join(SCRIPT_HOSTS),
    "style-src 'self' 'unsafe-inline' " + " ".join(STYLE_HOSTS),  # GX pages carry <style> blocks
    "font-src 'self' data: https://cdnjs.cloudflare.com",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'self'",
])


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
        raise HTTPException(status_code=404, detail=f"no Data Docs page {path!r}")
    return FileResponse(target)


@app.get("/data-docs-terbaru/{dataset_id}")
def latest(dataset_id: str):
    opd, _, name = dataset_id.partition(".")
    folder = _site() / "validations" / opd / name
    pages = sorted(folder.glob("*/*/*.html"), key=lambda p: p.stat().st_mtime) if folder.is_dir() else []
    if not pages:
        raise HTTPException(status_code=404, detail=f"{dataset_id}: no validation has run yet")
    return RedirectResponse(f"{PREFIX}/data-docs/{pages[-1].relative_to(_site()).as_posix()}")


class WalidataPlugin(AirflowPlugin):
    name = "walidata"
    fastapi_apps = [{"app": app, "url_prefix": PREFIX, "name": "Walidata Data Docs"}]
