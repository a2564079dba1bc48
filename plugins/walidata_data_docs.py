"""Airflow plugin: serves the Great Expectations Data Docs inside the Airflow web server.

`/walidata/data-docs/<path>`: any Data Docs page; `/walidata/data-docs-terbaru/<dataset id>`: redirects to the
latest validation page of a dataset (each DAG's description links there). Data Docs are static files under
`<WALIDATA_GX_ROOT>/uncommitted/data_docs/local_site/`. Only Airflow plugins live in this folder.
"""

from __future__ import annotations

from pathlib import Path

from airflow.plugins_manager import AirflowPlugin
from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, RedirectResponse

PREFIX = "/walidata"
app = FastAPI(title="Walidata Data Docs", description="Hasil pemeriksaan (Great Expectations) per dataset")


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
