"""The dataset's Great Expectations suite: built from the catalog, run through the project's GX file context, with
its Data Docs page built from an HTML-escaped copy of the result."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from pathlib import Path

from walidata.catalog import Dataset
from walidata.safe_text import visible
from walidata.standardise.periode import PERIODE_RE
from walidata.standardise.records import RECORD_ID, STATUSES
from walidata.standardise.reference import IndeksWilayah
from walidata.validate.data_docs import localise_site

log = logging.getLogger(__name__)


DATASOURCE = "walidata"
BATCH = "seluruh"
MAX_LISTED = 20


def _camel(name: str) -> str:
    return "".join(p.capitalize() for p in name.split("_"))


def kode_wilayah_sah(ds: Dataset, wilayah) -> list[str]:
    """The codes a dataset's rows may carry, at its tingkat_wilayah, in the run's scope: `wilayah` is the run's
    IndeksWilayah, or one per kabupaten/kota of a multi-region scope (their codes together)."""
    if isinstance(wilayah, list | tuple):
        return sorted({c for w in wilayah for c in kode_wilayah_sah(ds, w)})
    if ds.tingkat_wilayah in ("provinsi", "kabupaten"):
        return [wilayah.ours(ds.tingkat_wilayah)]
    return sorted(wilayah.desa if ds.tingkat_wilayah == "desa" else wilayah.kecamatan)


# The region-dependent values of a suite (the codes rows may carry) are an expectation parameter filled per run:
# the stored suite is the same for every region and scope, so a run never rewrites the tracked files.
KODE_WILAYAH = "walidata_kode_wilayah"
_KODE = {"$PARAMETER": KODE_WILAYAH}


def suite_spec(ds: Dataset, wilayah: IndeksWilayah | None, columns: list[str]) -> list[dict]:
    """The expectations for a dataset: structural ones from its declaration, its own `pemeriksaan`, then the
    Walidata's checks (`walidata_spec`). Nothing in it depends on the region (`wilayah` is not read: kept for
    callers): the region's codes are the run-time parameter KODE_WILAYAH (filled by `run`)."""
    keys = ["variabel", "kode_wilayah", "periode", *ds.kolom_rincian]
    spec = [
        {"expectation": "expect_table_columns_to_match_set",
         "kwargs": {"column_set": list(dict.fromkeys([RECORD_ID, *columns])), "exact_match": True}},
        {"expectation": "expect_column_values_to_be_null", "kwargs": {"column": "masalah"},
         "meta": {"arti": "sel terbaca sebagai angka dan nama wilayah dikenal"}},
        {"expectation": "expect_column_values_to_not_be_null", "kwargs": {"column": "kode_wilayah"}},
        {"expectation": "expect_column_values_to_be_in_type_list",
         "kwargs": {"column": "nilai", "type_list": ["float64", "Float64", "float"]}},
        {"expectation": "expect_column_values_to_be_in_set", "kwargs": {"column": "kode_wilayah", "value_set": _KODE},
         "meta": {"arti": f"kode wilayah ({ds.tingkat_wilayah}) termasuk cakupan run"}},
        {"expectation": "expect_column_values_to_be_in_set",
         "kwargs": {"column": "variabel", "value_set": ds.variabel_list}},
        {"expectation": "expect_column_values_to_match_regex",
         "kwargs": {"column": "periode", "regex": PERIODE_RE.pattern}},
        {"expectation": "expect_column_values_to_be_in_set", "kwargs": {"column": "status", "value_set": STATUSES}},
        {"expectation": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": keys}},
    ]
    if ds.sumber.agregasi is None:  # an event log covers only the places where something happened
        # A partial load (kebijakan.muat_sebagian) publishes the regions read and keeps the figures in force of
        # the others: a region missing, or quarantined, is then a warning that names it, not a stop for them all.
        spec.append({"expectation": "expect_column_distinct_values_to_contain_set",
                     "kwargs": {"column": "kode_wilayah", "value_set": _KODE},
                     "meta": {"arti": f"semua wilayah ({ds.tingkat_wilayah}) dalam cakupan run ada"},
                     **({"severity": "warning"} if ds.kebijakan.muat_sebagian else {})})
    for dim, allowed in ds.rincian.items():
        spec.append({"expectation": "expect_column_values_to_be_in_set",
                     "kwargs": {"column": dim, "value_set": allowed}})
    for c in spec:
        c.setdefault("severity", "critical")
    spec += [{"expectation": p.expectation, "kwargs": dict(p.kwargs), "severity": p.severity} for p in ds.pemeriksaan]
    return spec + walidata_spec(ds)


def walidata_spec(ds: Dataset) -> list[dict]:
    """The Walidata's own checks (validate.expectations), each with its severity and its meaning (`arti`).
    `konteks`, `hari_ini` and the region's codes are expectation parameters: filled per run, never stored."""
    from walidata.validate import checks
    from walidata.validate import expectations as wx

    wx.declare(ds)  # the classes named after its variables and datasets, before GX builds or reads the suite
    ctx = {"konteks": {"$PARAMETER": wx.KONTEKS}}

    def one(kind: str, severity: str, arti: str, **kwargs) -> dict:
        return {"expectation": kind, "kwargs": {**kwargs, **ctx}, "severity": severity, "meta": {"arti": arti}}

    spec = [one("walidata_nilai_terhingga", "critical", wx.WalidataNilaiTerhingga.arti)]
    if ds.sumber.agregasi is None:
        # With partial loads a quarantined row leaves a gap by design: reported, not blocking.
        spec.append(one("walidata_lengkap_per_periode", "warning" if ds.kebijakan.muat_sebagian else "critical",
                        f"semua wilayah ({ds.tingkat_wilayah}) punya angka di setiap periode",
                        wilayah=_KODE))
    spec.append(one("walidata_jumlah_kecamatan_sama_dengan_total", "critical",
                    wx.WalidataJumlahKecamatanSamaDenganTotal.arti))
    for b in ds.bagian_keseluruhan:
        spec.append(one(wx.part_name(b.bagian, b.keseluruhan), b.severity,
                        f"{b.bagian} tidak melebihi {b.keseluruhan} (wilayah, periode dan rincian yang sama)",
                        bagian=b.bagian, keseluruhan=b.keseluruhan))
    if (k := ds.kewajaran) is not None:
        spec.append(one("walidata_perubahan_wajar", k.severity,
                        f"angka tidak berubah lebih dari {k.persen:g}% dari periode sebelumnya (dari {k.minimum:g} "
                        "ke atas), dan tidak 0 sebelum angka yang besar", persen=k.persen, minimum=k.minimum,
                        variabel=list(k.variabel)))
    spec.append(one("walidata_tidak_melebihi_penduduk", "critical", wx.WalidataTidakMelebihiPenduduk.arti,
                    batas=checks.population_bounds(ds)))
    for k in ds.konsistensi:
        spec.append(one(wx.consistency_name(k.dataset), k.severity,
                        f"{k.variabel} sama dengan {k.variabel_lain} di {k.dataset} (selisih paling banyak "
                        f"{k.toleransi_persen:g}%)", variabel=k.variabel, dataset=k.dataset,
                        variabel_lain=k.variabel_lain, toleransi_persen=k.toleransi_persen))
    if ds.kesegaran is not None:
        jadwal = ds.metadata.jadwal_pemutakhiran
        spec.append(one("walidata_data_mutakhir", ds.kesegaran,
                        f"periode terakhir paling lama {checks.LAG_DAYS[jadwal]} hari setelah akhir periodenya "
                        f"(jadwal {jadwal})", jadwal=jadwal, batas_hari=checks.LAG_DAYS[jadwal],
                        hari_ini={"$PARAMETER": wx.HARI_INI}))
    return spec


def build_expectations(spec: list[dict]):
    from great_expectations.expectations.registry import _registered_expectations

    import great_expectations as gx

    out = []
    for s in spec:
        cls = getattr(gx.expectations, _camel(s["expectation"]), None)
        if cls is None and s["expectation"].startswith("walidata_"):
            cls = _registered_expectations.get(s["expectation"])
        if cls is None:
            raise ValueError(f"unknown Great Expectations expectation {s['expectation']!r}")
        out.append(cls(**s["kwargs"], severity=s["severity"], meta=s.get("meta")))
    return out


_CONTEXTS: dict[tuple, object] = {}


def gx_context(root: Path):
    """The project's GX file context at `root`: made once per process (reading great_expectations.yml and the
    plugins is most of a small dataset's validation time), again only if that file changed on disk."""
    yml = Path(root) / "great_expectations.yml"
    key = (str(Path(root).resolve()), yml.stat().st_mtime_ns if yml.is_file() else None)
    if key not in _CONTEXTS:
        _CONTEXTS.clear()  # one context per process: the previous root's is not used again
        _CONTEXTS[key] = _new_context(root)
    return _CONTEXTS[key]


def _new_context(root: Path):
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)  # its INFO lines drown the task log
    from great_expectations.data_context.types.base import ProgressBarsConfig
    from great_expectations.execution_engine import pandas_execution_engine

    import great_expectations as gx
    # GX fingerprints every in-memory batch below this size (an md5 over every cell: a quarter of a second per
    # million records, and a pickle of the whole frame when a column holds lists, as `masalah_rinci` does). What
    # was validated is already identified by the source files' sha256 in audit.load_log, so no fingerprint.
    pandas_execution_engine.HASH_THRESHOLD = 0
    ctx = gx.get_context(mode="file", context_root_dir=str(root))
    # No tqdm bars ('Calculating Metrics: 100%|…') in task logs or `walidata check`, whatever the context's file says.
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return ctx


def whole_frame_batch(ctx, name: str):
    """The batch definition of a whole in-memory frame named `name` in the Walidata pandas datasource (made once)."""
    try:
        source = ctx.data_sources.get(DATASOURCE)
    except (KeyError, ValueError):
        source = ctx.data_sources.add_pandas(name=DATASOURCE)
    try:
        asset = source.get_asset(name)
    except LookupError:
        asset = source.add_dataframe_asset(name=name)
    try:
        return asset.get_batch_definition(BATCH)
    except (KeyError, ValueError, LookupError):
        return asset.add_batch_definition_whole_dataframe(BATCH)


def _checkpoint(ctx, ds: Dataset, spec: list[dict]):
    """The dataset's checkpoint; suite, validation definition and checkpoint are rewritten only on change."""
    import great_expectations as gx

    fingerprint = hashlib.sha256(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:16]
    batch = whole_frame_batch(ctx, ds.id)
    try:
        suite = ctx.suites.get(ds.id)
        same = (suite.meta or {}).get("walidata_fingerprint") == fingerprint
    except Exception:  # GX raises DataContextError subclasses for a missing suite
        suite, same = None, False
    if same:
        try:
            return ctx.checkpoints.get(ds.id)
        except Exception:
            pass
    suite = ctx.suites.add_or_update(gx.ExpectationSuite(
        name=ds.id, expectations=build_expectations(spec),
        meta={"walidata_fingerprint": fingerprint, "dibangun_dari": f"include/catalog/{ds.opd}/{ds.name}.yaml"}))
    vd = ctx.validation_definitions.add_or_update(gx.ValidationDefinition(name=ds.id, data=batch, suite=suite))
    return ctx.checkpoints.add_or_update(gx.Checkpoint(
        name=ds.id, validation_definitions=[vd],
        actions=[gx.checkpoint.UpdateDataDocsAction(name="perbarui_data_docs")],
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": [RECORD_ID]},
    ))


def run(ds: Dataset, df, totals, wilayah: IndeksWilayah | list[IndeksWilayah], gx_root: Path, run_id: str, today=None,
        warehouse_url: str | None = None):
    """Validate the standardised records `df` (with RECORD_ID) with the dataset's whole suite, the Walidata's checks
    included; return GX's result and the Data Docs page of it (None if GX gives no URL).

    The run-time context (the region's codes, total rows, published history, the other datasets' figures, today)
    reaches the expectations as expectation parameters (see validate.expectations); the stored suite holds none
    of it, so a run for any region or scope leaves the tracked suite files as they are. `wilayah`: the run's
    IndeksWilayah, or a list of them (one per kabupaten/kota in scope; the first names regions in messages).
    The suite runs with SUMMARY results; the built-in expectations that fail are run again with COMPLETE results
    (their failing records by RECORD_ID), and Data Docs are built from the merged result."""
    import datetime as dt

    from great_expectations.core.run_identifier import RunIdentifier

    from walidata.publish.lake import safe
    from walidata.validate import checks
    from walidata.validate import expectations as wx

    ctx = gx_context(gx_root)
    checkpoint = _checkpoint(ctx, ds, suite_spec(ds, None, list(df.columns)))
    one = wilayah[0] if isinstance(wilayah, list | tuple) else wilayah  # the checks' names and gazetteer
    kx = checks.Konteks(ds, one, totals=totals, today=today or dt.date.today(),
                        history=checks.published_history(ds, warehouse_url) if ds.kewajaran else None,
                        other=checks.other_figures(ds, warehouse_url))
    with wx.konteks(kx) as params:
        params = {**params, KODE_WILAYAH: kode_wilayah_sah(ds, wilayah)}
        vr = validate(checkpoint, df, params, RunIdentifier(run_name=safe(run_id)))
    return vr, data_docs(ctx, vr)


SUMMARY = {"result_format": "SUMMARY", "partial_unexpected_count": MAX_LISTED}
COMPLETE = {"result_format": "COMPLETE", "unexpected_index_column_names": [RECORD_ID],
            "partial_unexpected_count": MAX_LISTED}


def validate(checkpoint, df, params: dict, run_id):
    """The checkpoint's validation of `df`: SUMMARY results, then COMPLETE ones for the failing built-ins."""
    from great_expectations.validator.v1_validator import Validator

    (vd,) = checkpoint.validation_definitions
    vr = vd.run(checkpoint_id=checkpoint.id, batch_parameters={"dataframe": df}, expectation_parameters=params,
                result_format=SUMMARY, run_id=run_id)
    again = [i for i, r in enumerate(vr.results)
             if not r.success and not r.expectation_config.type.startswith("walidata_")]
    if again:
        v = Validator(batch_definition=vd.batch_definition, result_format=COMPLETE,
                      batch_parameters={"dataframe": df})
        for i in again:
            vr.results[i] = v.validate_expectation(vr.results[i].expectation_config.to_domain_obj(), params)
    return vr


def data_docs(ctx, vr) -> str | None:
    """Build the result's Data Docs page from an HTML-escaped copy; return its URL.

    GX writes the failing values (names and text as the OPD wrote them) into Data Docs without escaping them,
    and the Airflow plugin serves those pages from Airflow's own origin. So the checkpoint's own docs action is
    not run: the stored copy of the result, from which the page is built, has its strings HTML-escaped. The
    verdicts and samples the Walidata records come from the raw result `run` returns."""
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    suite_id = ExpectationSuiteIdentifier(name=vr.suite_name)
    vr_id = ValidationResultIdentifier(expectation_suite_identifier=suite_id, run_id=vr.meta["run_id"],
                                       batch_identifier=vr.batch_id)
    ctx.validation_results_store.set(vr_id, _for_data_docs(vr))
    # Only this run's page and the suite's: the index lists every run ever stored (GX reads each result to build
    # it, a cost that grows every night), so it is rebuilt at most once an hour (and after `walidata nightly`).
    # The suite's page changes only when the suite does (its JSON is rewritten only then, see _checkpoint).
    suite_too = _suite_page_stale(ctx, suite_id)
    ctx.build_data_docs(resource_identifiers=[vr_id, *([suite_id] if suite_too else [])], build_index=False)
    pages = [_page(ctx, vr_id), *([_page(ctx, suite_id)] if suite_too else [])]
    # GX's pages load their styles and scripts from CDNs: point them at the vendored copies (offline server).
    localise_site(_site(ctx), pages=[p for p in pages if p])
    index = _site(ctx) / "index.html"
    if not index.is_file() or time.time() - index.stat().st_mtime > INDEX_MAX_AGE_SECONDS:
        rebuild_index(ctx.root_directory, ctx)
    return f"file://{pages[0]}" if pages[0] else None


def _site(ctx) -> Path:
    return Path(ctx.root_directory) / "uncommitted" / "data_docs" / "local_site"


def _suite_page_stale(ctx, suite_id) -> bool:
    """Whether the suite's page is missing or older than the stored suite."""
    page = _page(ctx, suite_id)
    stored = Path(ctx.root_directory) / "expectations" / f"{suite_id.name.replace('.', '/')}.json"
    return page is None or not stored.is_file() or page.stat().st_mtime < stored.stat().st_mtime


def _page(ctx, resource_identifier) -> Path | None:
    urls = ctx.get_docs_sites_urls(resource_identifier=resource_identifier)
    url = urls[0]["site_url"] if urls else None
    return Path(url.removeprefix("file://")) if url and url.startswith("file://") else None


INDEX_MAX_AGE_SECONDS = 3600


def rebuild_index(gx_root: Path, ctx=None) -> Path:
    """The Data Docs index page (every stored run), offline like the rest of the site; returns its path."""
    from great_expectations.data_context.types.resource_identifiers import ExpectationSuiteIdentifier

    ctx = ctx or gx_context(Path(gx_root))
    # An identifier that matches no stored resource: GX builds no page (an empty list would mean all), only the index.
    ctx.build_data_docs(resource_identifiers=[ExpectationSuiteIdentifier(name="-hanya-indeks-")], build_index=True)
    index = _site(ctx) / "index.html"
    localise_site(_site(ctx), pages=[index])
    return index


def _for_data_docs(vr):
    """A copy of a suite result whose observed values, unexpected values and exception texts are HTML text."""
    import copy

    out = copy.copy(vr)
    out.results = []
    for r in vr.results:
        r = copy.copy(r)
        r.result, r.exception_info = _html_text(r.result), _html_text(r.exception_info)
        out.results.append(r)
    return out


def _html_text(v):
    """Every string inside `v` (dict keys too) escaped for HTML, control characters shown as \\xNN."""
    import html

    if isinstance(v, str):
        return html.escape(visible(v), quote=True)
    if isinstance(v, dict):
        return {_html_text(k): _html_text(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_html_text(x) for x in v]
    return v


