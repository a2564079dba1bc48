"""The bundled sample corpus: reproducible, readable by the catalog as is, and consistent across OPDs."""

import datetime as dt
import hashlib

import pytest

from conftest import ROOT
from walidata.catalog import load_catalog
from walidata.sample import write_inbox
from walidata.standardise.records import standardise_files
from walidata.standardise.reference import IndeksWilayah
from walidata.validate.outcome import validate

INBOX = ROOT / "include" / "sample_data" / "inbox"
REF = ROOT / "include" / "reference"
REGION = IndeksWilayah(REF, "62.06")
# The datasets whose sample is a file in the inbox (the API datasets' samples are responses of the sample server:
# tests/test_api_pipeline.py)
DATASETS = {d.id: d for d in load_catalog(ROOT / "include" / "catalog")[0] if d.sumber.kind == "spreadsheet"}


def _files(root):
    return {p.relative_to(root): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_generator_reproduces_the_committed_sample(tmp_path):
    write_inbox(tmp_path, REF, "62.06", (2023, 2024, 2025))
    assert _files(tmp_path) == _files(INBOX)


def test_corpus_shape():
    assert len(DATASETS) >= 12
    assert len({d.opd for d in DATASETS.values()}) >= 8
    assert sum(d.tingkat_wilayah == "desa" for d in DATASETS.values()) >= 2
    suffixes = {p.suffix for p in INBOX.rglob("*") if p.is_file()}
    assert {".xlsx", ".xls", ".ods", ".csv"} <= suffixes
    csvs = [p.read_bytes() for p in INBOX.rglob("*.csv")]
    assert any(b";" in c.splitlines()[0] or b";" in c.splitlines()[2] for c in csvs)
    assert any(b"\x96" in c for c in csvs)  # an en dash in Windows-1252
    assert any(c.splitlines()[0].count(b",") >= 3 for c in csvs)


def _records(ds_id):
    ds = DATASETS[ds_id]
    files = sorted(p for p in (INBOX / ds.opd / ds.name).iterdir())
    return standardise_files(ds, [(p, p.name) for p in files], REGION)


@pytest.mark.parametrize("ds_id", sorted(DATASETS))
def test_every_dataset_reads_and_validates_clean(ds_id, tmp_path):
    import shutil

    out = _records(ds_id)
    frame = out.frame()
    assert len(frame) > 0 and frame.masalah.isna().all(), frame[frame.masalah.notna()].masalah.head().tolist()
    assert set(frame.periode.str[:4]) == {"2023", "2024", "2025"}
    gx = tmp_path / "gx"
    shutil.copytree(ROOT / "great_expectations", gx, ignore=shutil.ignore_patterns("uncommitted"))
    # The sample runs to December 2025: checked as of a date when it was fresh.
    outcome = validate(DATASETS[ds_id], frame, out.totals.to_pandas(), REGION, gx, "t", today=dt.date(2026, 1, 20))
    assert outcome.success and not outcome.problems, outcome.lines[:5]
    ds = DATASETS[ds_id]
    has_source_line = any(b"Sumber" in p.read_bytes() or p.suffix != ".csv"
                          for p in (INBOX / ds.opd / ds.name).iterdir())
    if has_source_line:  # the 'Sumber:' line is kept as lineage
        assert any(c.startswith("Sumber") for item in out.lineage for c in item["catatan"])


def _sum(ds_id, **where):
    f = _records(ds_id).frame()
    for k, v in where.items():
        f = f[f[k] == v]
    return f


def test_figures_agree_across_datasets():
    pend = _sum("disdukcapil.penduduk_kecamatan").groupby(["periode", "kode_wilayah"]).nilai.sum()
    umur = _sum("disdukcapil.penduduk_umur").groupby(["periode", "kode_wilayah"]).nilai.sum()
    assert (pend.sort_index() == umur.sort_index()).all()  # age groups add up to the kecamatan population
    kb = _sum("dp3ap2kb.kb_aktif").pivot_table(index=["periode", "kode_wilayah"], columns="variabel", values="nilai")
    assert (kb.peserta_kb_aktif <= kb.pus).all()
    st = _sum("dinkes.stunting_desa").pivot_table(index=["periode", "kode_wilayah"], columns="variabel",
                                                  values="nilai")
    assert (st.balita_stunting <= st.balita_diukur).all() and len(st) == 3 * 161
    ktp = _sum("disdukcapil.ktp_el").pivot_table(index=["periode", "kode_wilayah"], columns="variabel",
                                                 values="nilai")
    assert (ktp.sudah_rekam + ktp.belum_rekam == ktp.wajib_ktp).all()
    sig = _sum("diskominfo.sinyal_4g", periode="2025").pivot_table(index="kode_wilayah", columns="variabel",
                                                                   values="nilai")
    villages = {k: sum(1 for d in REGION.desa.values() if d.kode_induk == k) for k in REGION.kecamatan}
    assert sig.jumlah_desa.to_dict() == villages and sum(villages.values()) == 161
    # Katingan's Dukcapil population (Kepmendagri 2025) is the latest year's total.
    assert pend.loc["2025"].sum() == 181963


def test_another_kota_runs_every_dataset_down_to_its_kelurahan(tmp_path):
    """With the whole country's reference, Kota Palangka Raya (62.71: 5 kecamatan, 30 kelurahan) gets every
    dataset, kecamatan- and village-level ones included, and each reads and validates clean for that region."""
    import shutil

    files = write_inbox(tmp_path / "inbox", REF, "62.71", (2024, 2025))
    assert {p.parent.name for p in files} == {d.name for d in DATASETS.values()}
    wilayah = IndeksWilayah(REF, "62.71")
    assert (len(wilayah.kecamatan), len(wilayah.desa)) == (5, 30)
    gx = tmp_path / "gx"
    shutil.copytree(ROOT / "great_expectations", gx, ignore=shutil.ignore_patterns("uncommitted"))
    for ds in DATASETS.values():
        paths = sorted((tmp_path / "inbox" / ds.opd / ds.name).iterdir())
        out = standardise_files(ds, [(p, p.name) for p in paths], wilayah)
        frame = out.frame()
        assert frame.masalah.isna().all() and frame.kode_wilayah.str.startswith("62.71").all(), ds.id
        outcome = validate(ds, frame, out.totals.to_pandas(), wilayah, gx, "t", today=dt.date(2026, 1, 20))
        assert outcome.success and not outcome.problems, (ds.id, outcome.lines[:3])
