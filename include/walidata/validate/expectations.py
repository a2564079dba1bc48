"""The Walidata's own checks as Great Expectations expectations, so they run in the dataset's suite and Data Docs
show their verdicts beside the built-in ones.

Every check is one `BatchExpectation` whose single metric, `walidata.temuan` (Pandas engine), calls the check's
pandas code in `validate.checks` and returns its findings. A failing expectation's result carries them all in
`details.temuan` (dicts with the keys of `walidata.problems.Problem`) and the first `MAX_LISTED`, with their
place, in `partial_unexpected_list` (the Data Docs table).

Run-time context (the total rows, the published history, the other datasets' figures, the region and its codes)
is not frozen into the stored suite: each expectation's `konteks` kwarg is the expectation parameter
`{"$PARAMETER": "walidata_konteks"}`, filled per run (`ValidationDefinition.run(expectation_parameters=...)`)
with the token under which `konteks()` holds that run's `checks.Konteks` in this process; the freshness check's
date is its own parameter, `hari_ini`. UnexpectedRowsExpectation does not fit: it needs a SQL batch, ours is a
pandas DataFrame.

The parts ≤ wholes and consistency checks are named after their variables and datasets
(`walidata_<bagian>_tidak_melebihi_<keseluruhan>`, `walidata_konsisten_dengan_<opd>__<dataset>`): `declare(ds)`
defines and registers those classes before the suite is built or read.
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from typing import Any, ClassVar

from great_expectations.core.metric_domain_types import MetricDomainTypes
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import BatchExpectation, Expectation
from great_expectations.expectations.metrics.metric_provider import metric_value
from great_expectations.expectations.metrics.table_metric_provider import TableMetricProvider
from great_expectations.expectations.registry import get_metric_kwargs
from great_expectations.render import (
    LegacyDiagnosticRendererType,
    LegacyRendererType,
    RenderedStringTemplateContent,
)
from great_expectations.render.renderer.renderer import renderer
from great_expectations.validator.metric_configuration import MetricConfiguration

from walidata.validate import checks

METRIC = "walidata.temuan"
KONTEKS = "walidata_konteks"  # the expectation parameter that names a run's context
HARI_INI = "hari_ini"  # the expectation parameter for today's date (ISO)
MAX_LISTED = 20
_RUNS: dict[str, checks.Konteks] = {}


@contextmanager
def konteks(kx: checks.Konteks):
    """Hold a run's context for the metric under a fresh token; yield the expectation parameters of the run."""
    token = uuid.uuid4().hex[:12]
    _RUNS[token] = kx
    try:
        yield {KONTEKS: token, HARI_INI: (kx.today.isoformat() if kx.today else None)}
    finally:
        _RUNS.pop(token, None)


CHECKS = {
    "nilai_terhingga": lambda kx, df: checks.magnitude(df),
    "lengkap_per_periode": lambda kx, df, wilayah: checks.completeness(kx, df, wilayah),
    "jumlah_sama_dengan_total": lambda kx, df: checks.totals_match(df, kx.totals),
    "bagian_tidak_melebihi_keseluruhan": lambda kx, df, bagian, keseluruhan: checks.part_within_whole(
        kx, df, bagian, keseluruhan),
    "perubahan_wajar": lambda kx, df: checks.plausibility(kx, df),
    "tidak_melebihi_penduduk": lambda kx, df: checks.population(kx, df),
    "konsisten_dengan": lambda kx, df, **k: checks.consistency(kx, df, **k),
    "data_mutakhir": lambda kx, df, hari_ini: checks.freshness(kx, df, hari_ini),
}


def arti_terhitung(arti: str, codes) -> str:
    """A meaning written for any scope ('semua wilayah (desa) dalam cakupan run ada') with the run's number of regions,
    once its codes are filled in ('semua 280 wilayah (desa) ada'); as written when they are not (the stored suite)."""
    if not isinstance(codes, list):
        return arti
    return arti.replace("semua wilayah", f"semua {len(codes)} wilayah", 1).replace(" dalam cakupan run", "", 1)


class WalidataTemuan(TableMetricProvider):
    """The findings of one Walidata check on the batch: {"temuan": [...], "catatan": str | None, ...}."""

    metric_name = METRIC
    value_keys = ("pemeriksaan", "argumen", "konteks")

    @metric_value(engine=PandasExecutionEngine)
    def _pandas(cls, execution_engine, metric_domain_kwargs, metric_value_kwargs, metrics, runtime_configuration):
        df, _, _ = execution_engine.get_compute_domain(metric_domain_kwargs, domain_type=MetricDomainTypes.TABLE)
        kx = _RUNS.get(metric_value_kwargs["konteks"])
        if kx is None:
            raise ValueError("pemeriksaan Walidata hanya dapat dijalankan lewat walidata.validate.suite.run "
                             f"(konteks {metric_value_kwargs['konteks']!r} tidak ada)")
        return CHECKS[metric_value_kwargs["pemeriksaan"]](kx, df, **(metric_value_kwargs["argumen"] or {}))


def place(t: dict) -> str:
    """A finding as one line: its place, then why (the Data Docs sample)."""
    parts = [f"file {t['file']}" if t.get("file") is not None else None,
             f"sheet '{t['sheet']}'" if t.get("sheet") is not None else None,
             f"baris {t['row']}" if t.get("row") is not None else None,
             f"kolom {t['column']}" if t.get("column") else None]
    where = ", ".join(p for p in parts if p)
    return f"{where}: {t['reason']}" if where else t["reason"]


class WalidataPemeriksaan(BatchExpectation):
    """A Walidata check: passes when its pandas code finds nothing. Subclasses name the check (`pemeriksaan`),
    the kwargs it is given (`argumen`) and what it means in Indonesian (`arti`, shown in Data Docs)."""

    konteks: str | dict  # {"$PARAMETER": "walidata_konteks"}, filled per run

    pemeriksaan: ClassVar[str] = ""
    argumen: ClassVar[tuple[str, ...]] = ()
    arti: ClassVar[str] = ""
    metric_dependencies: ClassVar[tuple[str, ...]] = (METRIC,)
    success_keys: ClassVar[tuple[str, ...]] = ("konteks",)

    def get_validation_dependencies(self, execution_engine=None, runtime_configuration=None):
        deps = Expectation.get_validation_dependencies(self, execution_engine, runtime_configuration)
        kwargs = get_metric_kwargs(METRIC, configuration=self.configuration,
                                   runtime_configuration=runtime_configuration)
        cfg = self.configuration.kwargs
        value = {"pemeriksaan": self.pemeriksaan, "argumen": {k: cfg.get(k) for k in self.argumen},
                 "konteks": cfg.get("konteks")}
        deps.set_metric_configuration(METRIC, MetricConfiguration(
            metric_name=METRIC, metric_domain_kwargs=kwargs["metric_domain_kwargs"], metric_value_kwargs=value))
        return deps

    def _validate(self, metrics: dict, runtime_configuration: dict | None = None, execution_engine=None):
        found = metrics[METRIC]
        temuan = found["temuan"]
        details: dict[str, Any] = {"temuan": temuan}
        details.update({k: v for k, v in found.items() if k not in ("temuan",) and v is not None})
        observed = f"{len(temuan)} temuan" if temuan else (found.get("catatan") or "tidak ada temuan")
        return {"success": not temuan,
                "result": {"observed_value": observed, "element_count": len(temuan), "unexpected_count": len(temuan),
                           "partial_unexpected_list": [place(t) for t in temuan[:MAX_LISTED]], "details": details}}

    @classmethod
    @renderer(renderer_type=LegacyRendererType.PRESCRIPTIVE)
    def _prescriptive_renderer(cls, configuration=None, result=None, runtime_configuration=None):
        if configuration is None and result is not None:
            configuration = result.expectation_config
        meta = (configuration.meta if configuration is not None else None) or {}
        kind = configuration.type if configuration is not None else cls.expectation_type
        arti = meta.get("arti") or cls.arti
        codes = configuration.kwargs.get("wilayah") if configuration is not None else None
        arti = arti_terhitung(arti, codes)
        return [RenderedStringTemplateContent(content_block_type="string_template", string_template={
            "template": "$arti ($pemeriksaan)",
            "params": {"arti": arti, "pemeriksaan": kind},
            "styling": {"params": {"pemeriksaan": {"classes": ["badge", "badge-secondary"]}}}})]

    @classmethod
    @renderer(renderer_type=LegacyDiagnosticRendererType.UNEXPECTED_STATEMENT)
    def _diagnostic_unexpected_statement_renderer(cls, configuration=None, result=None, runtime_configuration=None):
        if result is None or result.success or not result.result:
            return []
        n = result.result.get("unexpected_count") or 0
        return [RenderedStringTemplateContent(content_block_type="string_template", string_template={
            "template": "\n\n$n temuan (contoh: $contoh pertama)",
            "params": {"n": n, "contoh": min(n, MAX_LISTED)}, "styling": {"classes": ["text-danger"]}})]


class WalidataNilaiTerhingga(WalidataPemeriksaan):
    pemeriksaan = "nilai_terhingga"
    arti = "setiap angka terhingga dan berukuran wajar untuk statistik (bukan tak hingga, NaN, atau di atas ±2^53)"


class WalidataLengkapPerPeriode(WalidataPemeriksaan):
    wilayah: list[str] | dict  # {"$PARAMETER": "walidata_kode_wilayah"}: the run's region codes, filled per run
    pemeriksaan = "lengkap_per_periode"
    argumen = ("wilayah",)
    arti = "setiap wilayah punya angka di setiap periode, untuk setiap variabel"


class WalidataJumlahKecamatanSamaDenganTotal(WalidataPemeriksaan):
    pemeriksaan = "jumlah_sama_dengan_total"
    arti = "setiap baris jumlah/total sama dengan jumlah baris yang dicakupnya"


class WalidataBagianTidakMelebihiKeseluruhan(WalidataPemeriksaan):
    """Base of `walidata_<bagian>_tidak_melebihi_<keseluruhan>` (see `declare`)."""

    bagian: str
    keseluruhan: str
    pemeriksaan = "bagian_tidak_melebihi_keseluruhan"
    argumen = ("bagian", "keseluruhan")
    arti = "bagian tidak melebihi keseluruhannya pada wilayah, periode dan rincian yang sama"


class WalidataPerubahanWajar(WalidataPemeriksaan):
    persen: float
    minimum: float
    variabel: list[str] = []
    pemeriksaan = "perubahan_wajar"
    arti = "angka tidak berubah melebihi batas dari periode sebelumnya, dan tidak 0 sebelum angka yang besar"


class WalidataTidakMelebihiPenduduk(WalidataPemeriksaan):
    batas: dict[str, float]
    pemeriksaan = "tidak_melebihi_penduduk"
    arti = "jumlah orang tidak melebihi penduduk wilayahnya (Dukcapil) dikali batasnya"


class WalidataKonsistenDengan(WalidataPemeriksaan):
    """Base of `walidata_konsisten_dengan_<opd>__<dataset>` (see `declare`)."""

    variabel: str
    dataset: str
    variabel_lain: str
    toleransi_persen: float
    pemeriksaan = "konsisten_dengan"
    argumen = ("variabel", "dataset", "variabel_lain", "toleransi_persen")
    arti = "angka sama dengan angka dataset lain di gudang data, dalam batas toleransi"


class WalidataDataMutakhir(WalidataPemeriksaan):
    hari_ini: str | dict | None = None  # {"$PARAMETER": "hari_ini"}, filled per run
    jadwal: str
    batas_hari: int
    pemeriksaan = "data_mutakhir"
    argumen = ("hari_ini",)
    arti = "periode terakhir masih dalam jadwal pemutakhiran"


def declare(ds) -> None:
    """Define and register the expectation classes named after the dataset's parts/wholes and consistency pairs."""
    from great_expectations.expectations.registry import _registered_expectations

    names = {part_name(b.bagian, b.keseluruhan): WalidataBagianTidakMelebihiKeseluruhan
             for b in ds.bagian_keseluruhan}
    names |= {consistency_name(k.dataset): WalidataKonsistenDengan for k in ds.konsistensi}
    for name, base in names.items():
        if name not in _registered_expectations:
            type(name, (base,), {"__module__": __name__, "__doc__": base.arti})  # registered by GX's metaclass


def part_name(bagian: str, keseluruhan: str) -> str:
    return f"walidata_{bagian}_tidak_melebihi_{keseluruhan}"


def consistency_name(dataset: str) -> str:
    return f"walidata_konsisten_dengan_{dataset.replace('.', '__')}"
