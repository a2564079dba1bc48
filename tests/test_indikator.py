"""The indicator runner on the published sample: what is recomputed, what is refused, what is kept.

Real parts throughout: the sample published through the real pipeline (`sample_loaded`), DuckDB and PostgreSQL
warehouses, a revised OPD file published through the real pipeline, Great Expectations on the mart.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa

from conftest import ROOT, query, snapshot
from walidata.serve.indikator.jalankan import jalankan
from walidata.serve.indikator.spec import IndikatorError, load_indikator
from walidata.serve.indikator.validasi import MartGagal

DECLS = load_indikator(ROOT / "include" / "indikator")


def dependants(dataset: str) -> set[str]:
    return {d.kode for d in DECLS if dataset in d.indikator.datasets}


def mart(url: str, kode: str, wilayah: str | None = None) -> dict[tuple[str, str], tuple]:
    sql = (f"SELECT kode_wilayah, periode, nilai, status, keterangan FROM mart.indikator_nilai "
           f"WHERE indikator = '{kode}'")
    return {(r[0], r[1]): r[2:] for r in query(url, sql) if wilayah is None or r[0] == wilayah}


def withdraw(url: str, table: str, where: str) -> int:
    """Close figures in force, as a load that no longer carries them does (the history keeps them)."""
    engine = sa.create_engine(url)
    with engine.begin() as c:
        n = c.exec_driver_sql(f'UPDATE fact."{table}__riwayat" SET berlaku_sampai = now() '
                              f"WHERE berlaku_sampai IS NULL AND {where}").rowcount
    engine.dispose()
    return n


def test_a_second_run_recomputes_nothing_and_changes_nothing(indikator_sandbox):
    first = jalankan(indikator_sandbox, "uji-1")
    assert sorted(first.dihitung) == sorted(d.kode for d in DECLS) and first.validasi.startswith("lulus")
    url = indikator_sandbox.warehouse_url
    before = snapshot(url, ["mart.indikator_nilai__riwayat"])
    second = jalankan(indikator_sandbox, "uji-2")
    assert second.dihitung == [] and len(second.dilewati) == len(DECLS) and second.baris_berubah == 0
    assert snapshot(url, ["mart.indikator_nilai__riwayat"]) == before


def test_every_cell_in_scope_has_one_row_and_values_only_where_tersedia(indikator_sandbox):
    jalankan(indikator_sandbox, "uji")
    url = indikator_sandbox.warehouse_url
    rows = query(url, "SELECT indikator, kode_wilayah, periode, nilai, status FROM mart.indikator_nilai")
    assert len(rows) == len({r[:3] for r in rows})
    assert all((r[3] is not None) == (r[4] == "tersedia") for r in rows)
    kec = [r[0] for r in query(url, "SELECT kode_kemendagri FROM ref.wilayah WHERE kode_induk = '62.06' "
                                    "AND tingkat = 'kecamatan'")]
    for d in DECLS:
        cells = {(r[1], r[2]) for r in rows if r[0] == d.kode}
        regions = ["62.06"] + (kec if "kecamatan" in d.indikator.level_estimasi else [])
        years = ["2023", "2024", "2025"]
        months = [f"{y}-{m:02d}" for y in years for m in range(1, 13)] if "bulan" in d.indikator.periode else []
        assert cells == {(r, p) for r in regions for p in years + months}, d.kode


def test_a_revised_opd_file_recomputes_only_its_dependants_and_keeps_the_old_value_in_history(
        indikator_sandbox, tmp_path, monkeypatch):
    from walidata.pipeline import run_dataset
    from walidata.settings import get_settings

    # the revision goes through the real pipeline: its own inbox and lake
    inbox, lake = tmp_path / "inbox", tmp_path / "lake"
    shutil.copytree(Path(indikator_sandbox.inbox), inbox)
    shutil.copytree(indikator_sandbox.lake, lake)
    monkeypatch.setenv("WALIDATA_INBOX", str(inbox))
    monkeypatch.setenv("WALIDATA_LAKE", str(lake))
    settings = get_settings()
    jalankan(settings, "uji-awal")
    url = settings.warehouse_url
    before = mart(url, "cakupan_akta_kelahiran")
    f = inbox / "disdukcapil" / "akta_kelahiran" / "akta_kelahiran_2024.csv"
    raw = f.read_bytes()
    assert b"1;Kamipang;3.092;2.767;89,49" in raw
    f.write_bytes(raw.replace(b"1;Kamipang;3.092;2.767;89,49", b"1;Kamipang;3.092;2.800;90,56")
                  .replace(b";Kabupaten Katingan;59.129;52.205;88,29", b";Kabupaten Katingan;59.129;52.238;88,35"))
    run_dataset("disdukcapil.akta_kelahiran", "uji-revisi", settings)

    r = jalankan(settings, "uji-ulang")
    assert set(r.dihitung) == dependants("disdukcapil.akta_kelahiran") and "cakupan_akta_kelahiran" in r.dihitung
    assert set(r.dilewati) == {d.kode for d in DECLS} - dependants("disdukcapil.akta_kelahiran")
    after = mart(url, "cakupan_akta_kelahiran")
    assert after[("62.06.01", "2024")][0] == pytest.approx(100 * 2800 / 3092)
    changed = {k for k in after if after[k] != before[k]}
    assert changed == {("62.06.01", "2024"), ("62.06", "2024")}
    old = query(url, "SELECT nilai, berlaku_sampai FROM mart.indikator_nilai__riwayat WHERE indikator = "
                     "'cakupan_akta_kelahiran' AND kode_wilayah = '62.06.01' AND periode = '2024' "
                     "ORDER BY berlaku_mulai")
    assert [round(v, 6) for v, _ in old] == [round(100 * 2767 / 3092, 6), round(100 * 2800 / 3092, 6)]
    assert old[0][1] is not None and old[1][1] is None
    lineage = json.loads(query(url, "SELECT lineage FROM mart.indikator_nilai WHERE indikator = "
                                    "'cakupan_akta_kelahiran' AND kode_wilayah = '62.06' AND periode = '2024'")[0][0])
    loads = {x for m in lineage["masukan"] for x in m["load_id"]}
    logged = {r[0] for r in query(url, "SELECT load_id FROM audit.load_log WHERE dataset = "
                                       "'disdukcapil.akta_kelahiran' AND status = 'dimuat'")}
    assert loads and loads <= logged and len(logged) == 2


def test_twelve_of_thirteen_kecamatan_is_not_the_kabupaten(indikator_sandbox):
    url = indikator_sandbox.warehouse_url
    jalankan(indikator_sandbox, "uji-awal")
    assert withdraw(url, "disdukcapil__akta_kelahiran", "kode_wilayah = '62.06.05' AND periode = '2024'") == 3
    jalankan(indikator_sandbox, "uji")
    m = mart(url, "cakupan_akta_kelahiran")
    nilai, status, keterangan = m[("62.06", "2024")]
    assert nilai is None and status == "tidak_tersedia"
    assert "disdukcapil.akta_kelahiran" in keterangan and "12 dari 13 kecamatan" in keterangan
    assert m[("62.06.05", "2024")][:2] == (None, "tidak_tersedia")
    assert "tidak ada angka" in m[("62.06.05", "2024")][2]
    assert m[("62.06.01", "2024")][1] == "tersedia" and m[("62.06", "2023")][1] == "tersedia"


def test_an_empty_figure_makes_its_region_missing_not_zero(indikator_sandbox):
    url = indikator_sandbox.warehouse_url
    engine = sa.create_engine(url)
    with engine.begin() as c:  # a BPS-style "x" (confidential): the figure is there, its value is not
        c.exec_driver_sql("UPDATE fact.\"dp3ap2kb__kb_aktif__riwayat\" SET nilai = NULL WHERE kode_wilayah = "
                          "'62.06.03' AND periode = '2025' AND variabel = 'pus'")
    engine.dispose()
    jalankan(indikator_sandbox, "uji")
    m = mart(url, "cakupan_kb_aktif")
    assert m[("62.06.03", "2025")][:2] == (None, "tidak_tersedia")
    assert "angka belum lengkap" in m[("62.06.03", "2025")][2]
    assert m[("62.06", "2025")][:2] == (None, "tidak_tersedia")
    assert m[("62.06.03", "2024")][1] == "tersedia"


def test_a_village_missing_makes_its_kecamatan_and_kabupaten_missing(indikator_sandbox):
    url = indikator_sandbox.warehouse_url
    desa = query(url, "SELECT MIN(kode_wilayah) FROM fact.\"dinkes__stunting_desa\" "
                      "WHERE kode_wilayah LIKE '62.06.02.%'")[0][0]
    assert withdraw(url, "dinkes__stunting_desa", f"kode_wilayah = '{desa}' AND periode = '2023'") == 2
    jalankan(indikator_sandbox, "uji")
    m = mart(url, "prevalensi_stunting")
    assert m[("62.06.02", "2023")][:2] == (None, "tidak_tersedia") and "desa/kelurahan" in m[("62.06.02", "2023")][2]
    assert m[("62.06", "2023")][:2] == (None, "tidak_tersedia")
    assert m[("62.06.01", "2023")][1] == "tersedia" and m[("62.06.02", "2024")][1] == "tersedia"


def test_an_unreported_month_of_an_event_log_is_missing_not_zero(indikator_sandbox):
    url = indikator_sandbox.warehouse_url
    assert withdraw(url, "bpbd__kejadian_bencana", "periode = '2024-09'") > 0
    jalankan(indikator_sandbox, "uji")
    m = mart(url, "luas_karhutla")
    assert m[("62.06", "2024-09")][:2] == (None, "tidak_tersedia")
    assert m[("62.06", "2024")][:2] == (None, "tidak_tersedia") and "11 dari 12 bulan" in m[("62.06", "2024")][2]
    assert m[("62.06", "2024-08")][1] == "tersedia" and m[("62.06", "2023")][1] == "tersedia"
    # a reported month with no karhutla in a kecamatan is a real zero
    zero = [k for k, v in m.items() if k[1] == "2024-01" and v[1] == "tersedia"]
    assert len(zero) == 14 and all(m[k][0] == 0 for k in zero)
    k = mart(url, "kejadian_bencana_per_100000")
    assert k[("62.06", "2024")][1] == "tidak_tersedia" and k[("62.06", "2025")][1] == "tersedia"


def test_indicators_without_their_input_datasets_report_input_belum_tersedia(indikator_sandbox, tmp_path):
    """An indicator whose input dataset has never been published (here: the economy indicators pointed at BPS
    datasets the warehouse does not have) gets a cell per region and period saying so, no value."""
    folder = tmp_path / "indikator"
    shutil.copytree(ROOT / "include" / "indikator", folder)
    economy = [d.kode for d in DECLS if d.indikator.dimensi == "economy"]
    assert len(economy) >= 4
    for f in (folder / "marts" / "economy").glob("*.yaml"):
        f.write_text(re.sub(r"dataset: bps\.(\w+)", r"dataset: bps.\1_belum_terbit", f.read_text()))
    settings = indikator_sandbox.model_copy(update={"indikator": folder})
    jalankan(settings, "uji")
    for kode in economy:
        m = mart(settings.warehouse_url, kode)
        assert m and all(v[0] is None and v[1] == "input_belum_tersedia" and "belum ada di gudang data" in v[2]
                         for v in m.values()), kode


def test_a_critical_mart_check_failing_rolls_the_run_back_and_keeps_the_evidence(indikator_sandbox, tmp_path,
                                                                                   monkeypatch):
    from walidata.settings import get_settings

    url = indikator_sandbox.warehouse_url
    jalankan(indikator_sandbox, "uji-awal")
    before = snapshot(url, ["mart.indikator_nilai__riwayat", "audit.indikator_hitung"])
    root = tmp_path / "indikator"
    shutil.copytree(ROOT / "include" / "indikator", root)
    y = root / "marts" / "governance" / "cakupan_akta_kelahiran.yaml"
    y.write_text(y.read_text().replace("rentang: {min: 0, maks: 100}", "rentang: {min: 0, maks: 50}"))
    monkeypatch.setenv("WALIDATA_INDIKATOR", str(root))
    with pytest.raises(MartGagal, match="cakupan_akta_kelahiran"):
        jalankan(get_settings(), "uji-gagal")
    assert snapshot(url, ["mart.indikator_nilai__riwayat", "audit.indikator_hitung"]) == before
    failed = query(url, "SELECT pemeriksaan, jumlah_gagal, contoh FROM audit.hasil_validasi WHERE run_id = 'uji-gagal' "
                        "AND NOT sukses AND tingkat = 'critical'")
    assert failed and all("cakupan_akta_kelahiran" in c for _, _, c in failed) and failed[0][1] > 0


def test_a_declaration_naming_an_unknown_variable_is_refused_with_its_file(indikator_sandbox, tmp_path,
                                                                           monkeypatch):
    from walidata.settings import get_settings

    root = tmp_path / "indikator"
    shutil.copytree(ROOT / "include" / "indikator", root)
    y = root / "marts" / "governance" / "cakupan_akta_kelahiran.yaml"
    y.write_text(y.read_text().replace("variabel: anak_berakta}", "variabel: anak_berakte}"))
    monkeypatch.setenv("WALIDATA_INDIKATOR", str(root))
    with pytest.raises(IndikatorError, match=r"cakupan_akta_kelahiran\.yaml: masukan berakta: .*anak_berakte"):
        jalankan(get_settings(), "uji")
    s = root / "marts" / "living" / "kepadatan_penduduk.sql"
    s.write_text(s.read_text().replace("masukan('penduduk')", "masukan('pendudu')"))
    with pytest.raises(IndikatorError, match="kepadatan_penduduk.sql: the SQL reads masukan"):
        load_indikator(root)


@pytest.mark.postgres
def test_the_same_sql_gives_the_same_values_on_postgresql(indikator_sandbox, postgres_url, tmp_path, monkeypatch):
    """DuckDB and PostgreSQL warehouses loaded from the same files through the real pipeline give equal values."""
    from walidata.pipeline import run_dataset
    from walidata.settings import get_settings

    ids = ["disdukcapil.penduduk_kecamatan", "disdukcapil.akta_kelahiran", "bpbd.kejadian_bencana",
           "dinkes.stunting_desa"]
    results = {}
    for name, url in (("duckdb", f"duckdb:///{tmp_path / 'sub.duckdb'}"), ("postgresql", postgres_url)):
        monkeypatch.setenv("WALIDATA_WAREHOUSE_URL", url)
        monkeypatch.setenv("WALIDATA_LAKE", str(tmp_path / f"lake_{name}"))
        settings = get_settings()
        for ds in ids:
            run_dataset(ds, f"uji-{name}", settings)
        r = jalankan(settings, f"uji-{name}")
        assert r.validasi.startswith("lulus")
        results[name] = {tuple(x[:3]): x[3:] for x in query(url, "SELECT indikator, kode_wilayah, periode, nilai, "
                                                                 "status, keterangan FROM mart.indikator_nilai")}
    duck, pg = results["duckdb"], results["postgresql"]
    assert duck.keys() == pg.keys() and len(duck) > 500
    for k in duck:
        assert duck[k][1:] == pg[k][1:], k
        assert (duck[k][0] is None and pg[k][0] is None) or duck[k][0] == pytest.approx(pg[k][0], rel=1e-12), k
    assert sum(1 for v in duck.values() if v[1] == "tersedia") > 200


def test_the_mart_check_flags_a_dropped_cell_and_warns_on_a_jump_beyond_the_tolerance(indikator_sandbox, tmp_path,
                                                                                       monkeypatch):
    from walidata.publish import warehouse
    from walidata.serve.indikator import validasi
    from walidata.serve.indikator.hitung import lingkup
    from walidata.settings import get_settings

    jalankan(indikator_sandbox, "uji-awal")
    # a cell lost between the runner and the commit (a bug) fails completeness; nothing is committed here
    with warehouse.engine_for(indikator_sandbox.warehouse_url) as engine, warehouse.connect(engine) as conn:
        with conn.begin() as tx:
            conn.exec_driver_sql("DELETE FROM mart.indikator_nilai__riwayat WHERE indikator = 'cakupan_ktp_el' AND "
                                 "kode_wilayah = '62.06.04' AND periode = '2024'")
            hasil = validasi.periksa(conn, DECLS, lingkup(conn, "62.06"), indikator_sandbox.gx_root, "uji-hilang")
            tx.rollback()
    assert not hasil.sukses
    (gagal,) = [g for g in hasil.gagal if g["kolom"] == "status" and g["pemeriksaan"].endswith("not_be_null")]
    assert gagal["jumlah_gagal"] == 1 and "62.06.04" in gagal["contoh"] and "cakupan_ktp_el" in gagal["contoh"]
    # a year-over-year change beyond the declared tolerance is a warning: published, recorded
    root = tmp_path / "indikator"
    shutil.copytree(ROOT / "include" / "indikator", root)
    y = root / "marts" / "governance" / "cakupan_ktp_el.yaml"
    text = y.read_text()
    assert "toleransi_perubahan:" in text
    y.write_text("\n".join("toleransi_perubahan: 0.0001" if ln.startswith("toleransi_perubahan:") else ln
                           for ln in text.splitlines()) + "\n")
    monkeypatch.setenv("WALIDATA_INDIKATOR", str(root))
    r = jalankan(get_settings(), "uji-lonjakan", paksa=True)
    assert r.validasi == "lulus dengan peringatan"
    (warn,) = [row for row in query(indikator_sandbox.warehouse_url, "SELECT kolom, tingkat, contoh FROM "
               "audit.hasil_validasi WHERE run_id = 'uji-lonjakan' AND NOT sukses")
               if "perubahan_tahunan" in row[0]]
    assert warn[1] == "warning" and "cakupan_ktp_el" in warn[2]


def test_some_indicators_alone_then_the_rest_which_skips_those_already_computed(indikator_sandbox):
    r = jalankan(indikator_sandbox, "uji-sebagian", hanya=["kepadatan_penduduk", "luas_karhutla"])
    assert sorted(r.dihitung) == ["kepadatan_penduduk", "luas_karhutla"] and r.validasi == "lulus"
    url = indikator_sandbox.warehouse_url
    kodes = {x[0] for x in query(url, "SELECT DISTINCT indikator FROM mart.indikator_nilai")}
    assert kodes == {"kepadatan_penduduk", "luas_karhutla"}
    rest = jalankan(indikator_sandbox, "uji-sisanya")
    assert sorted(rest.dilewati) == ["kepadatan_penduduk", "luas_karhutla"]
    assert len(rest.dihitung) == len(DECLS) - 2
