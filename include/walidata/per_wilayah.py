"""A run of several regions (a province, or a list of kabupaten/kota): each region's pass, one publish.

The files of a run are the dataset folder's shared ones (a provincial OPD's table naming its rows' regions) and each
region's own (its subfolder, `<opd>/<dataset>/62.06/`). Each region in scope with material is read and checked on
its own, exactly as a deployment of that region alone would (its rows are `milik`, the other regions' rows are
theirs): so one region's unreadable file or failed check holds back only that region's units (dataset, region,
periode), and the regions that passed are published together in one transaction. The run still fails, naming the
regions held back, so the summary, the alerts and the follow-up list say which.

The shared files are read once and attributed once per region (attribution is cached per distinct region cells).
"""

from __future__ import annotations

import logging
from pathlib import Path

from walidata.catalog import Dataset
from walidata.publish.lake import Lake, read_json
from walidata.settings import Settings
from walidata.validate.outcome import ValidationFailed

log = logging.getLogger(__name__)


class WilayahDitahan(ValidationFailed):
    """Published for the regions that passed; the regions named here were held back (their figures in force stay)."""

    def __init__(self, dataset: str, diterbitkan: str, ditahan: dict[str, str]):
        self.ditahan = ditahan
        lines = "\n  ".join(f"{k}: {why.splitlines()[0] if why else ''}" for k, why in sorted(ditahan.items()))
        super().__init__(f"{dataset}: diterbitkan untuk {diterbitkan}; DITAHAN untuk {len(ditahan)} wilayah (angka "
                         f"yang sudah terbit tetap berlaku):\n  {lines}")


def files_of(ref: dict, kode: str) -> list[dict]:
    """The manifests a region reads: the shared ones and its own subfolder's."""
    return [m for m in ref["files"] if m.get("wilayah") in (None, kode)]


def outside_scope(lain, g, scope: tuple[str, ...]):
    """The set-aside rows that belong to no region in scope (rows of another region in scope are read in its pass)."""
    import pyarrow as pa

    if not lain.num_rows:
        return lain
    keep = [not (k and g.ancestor(k, "kabupaten") in scope) for k in lain.column("kode_wilayah").to_pylist()]
    return lain.filter(pa.array(keep, pa.bool_()))


def standardise_each(ref: dict, settings: Settings, ds: Dataset, lake: Lake) -> dict:
    """Each region's records from the shared files and its own; a region whose file cannot be read is held back."""
    from walidata.pipeline import standardise_region
    from walidata.sources.spreadsheet import SourceError

    tables: dict = {}  # each shared file read once for every region's pass
    per, first_error = {}, None
    for kode, why in (ref.get("gagal_ambil") or {}).items():  # the API failed for it: held back from the start
        per[kode] = {"files": [], "ditahan": f"gagal diambil: {why}"}
    for kode in [k for k in settings.daftar_kabkota if k not in per]:
        mine = files_of(ref, kode)
        if not mine:  # no shared file and none of its own: no material for this region in this run
            continue
        files = [(Path(m["raw_path"]), m["file"], m.get("wilayah") is None) for m in mine]
        stage = lake.staging_dir(ds.id, ref["run_id"]) / f"wilayah={kode}"
        sub = {**ref, "files": mine, "unit": kode}
        try:
            per[kode] = {"files": mine, **standardise_region(sub, settings, ds, lake, kode, files, stage, tables,
                                                              unit=kode)}
        except SourceError as exc:
            first_error = first_error or exc
            per[kode] = {"files": mine, "ditahan": f"file tidak terbaca: {exc}"}
    _drop_regions_without_rows(ref, per)
    if per and all("ditahan" in v for v in per.values()) and first_error is not None:
        raise first_error
    if not ref.get("files") and per:
        raise ValidationFailed(f"{ds.id}: tidak ada wilayah yang dapat dibaca: " + "; ".join(
            f"{k}: {v['ditahan']}" for k, v in sorted(per.items())))
    return {**ref, "per_wilayah": per}


def _drop_regions_without_rows(ref: dict, per: dict) -> None:
    """A region whose pass over the shared files found no row of its own, and has no file of its own, has no
    material in this run: it is left out (never published empty, never counted as failed)."""
    for kode in [k for k, v in per.items() if "ditahan" not in v and not v.get("rows")]:
        if not any(m.get("wilayah") == kode for m in per[kode]["files"]):
            del per[kode]
    if not per:
        from walidata.sources.spreadsheet import SourceError

        raise SourceError(", ".join(m["file"] for m in ref["files"]),
                          "tidak ada baris untuk satu pun kabupaten/kota dalam lingkup (WALIDATA_WILAYAH)")


def validate_each(ref: dict, settings: Settings, ds: Dataset, lake: Lake) -> dict:
    """Each region's suite; the regions that fail are held back. All failed: ValidationFailed, as one region's."""
    from walidata.pipeline import validate_region

    per = dict(ref["per_wilayah"])
    for kode, sub in per.items():
        if "ditahan" in sub:
            continue
        try:
            per[kode] = {**sub, **_own(validate_region({**ref, **sub, "unit": kode}, settings, ds, lake, kode))}
        except ValidationFailed as exc:
            per[kode] = {**sub, "ditahan": f"gagal validasi: {exc}"}
    passed = [k for k, v in per.items() if "ditahan" not in v]
    if not passed:
        raise ValidationFailed(f"{ds.id}: tidak ada wilayah yang lulus; semua ditahan:\n  " + "\n  ".join(
            f"{k}: {v['ditahan'].splitlines()[0]}" for k, v in sorted(per.items())))
    return {**ref, "per_wilayah": per, "valid": True}


_OWN = ("validation", "valid", "rows_rejected", "karantina", "data_docs", "umpan_balik")


def _own(out: dict) -> dict:
    return {k: out[k] for k in _OWN}


def merged(ref: dict):
    """(the run's ref for the audit row, its merged outcome, [(region ref, region outcome)]) of the regions that
    passed; `ditahan` names the others and why."""
    from walidata.validate.outcome import Outcome

    parts, held = [], {}
    for kode, sub in sorted(ref["per_wilayah"].items()):
        if "ditahan" in sub:
            held[kode] = sub["ditahan"]
            continue
        parts.append(({**ref, **sub, "unit": kode}, Outcome.from_dict(read_json(sub["validation"]))))
    outs = [o for _, o in parts]
    outcome = Outcome(dataset=ref["dataset"], run_id=ref["run_id"], success=True,
                      rows_in=sum(o.rows_in for o in outs), rows_rejected=sum(o.rows_rejected for o in outs),
                      results=[r for o in outs for r in o.results], problems=[p for o in outs for p in o.problems],
                      data_docs=next((o.data_docs for o in outs if o.data_docs), None))
    files = list({m["sha256"]: m for r, _ in parts for m in r["files"]}.values())
    n_aside = sum(r.get("rows_set_aside") or 0 for r, _ in parts)
    aside = "; ".join(f"[{r['unit']}] {r['set_aside']}" for r, _ in parts if r.get("set_aside"))
    run = {**{k: v for k, v in ref.items() if k != "per_wilayah"}, "files": files, "rows_set_aside": n_aside,
           "set_aside": aside or None, "akuntansi": None, "ditahan": held,
           "karantina": ", ".join(r["karantina"] for r, _ in parts if r.get("karantina")) or None}
    return run, outcome, parts
