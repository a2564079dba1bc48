"""Open-data exports of the indicators (walidata.serve.indikator.ekspor): the files per indicator, that they hold
exactly the values in force, their types, the MS-Ind metadata, and that no text becomes a spreadsheet formula
(the exports, and the OPD feedback workbook produced by the real pipeline)."""

from __future__ import annotations

import csv
import json
import math
import shutil
from pathlib import Path

import pytest

from conftest import SAMPLE_FILE, query, replace_inbox_file

# Peraturan BPS 5/2020, MS-Ind, in the order of /work/shared/DOMAIN.md (written out here, not imported).
MS_IND_FIELDS = ["Nama Indikator", "Konsep", "Definisi", "Interpretasi", "Metode/Rumus Penghitungan", "Ukuran",
                 "Satuan", "Klasifikasi Penyajian", "Indikator Komposit",
                 "Publikasi Ketersediaan Indikator Pembangun", "Nama Indikator Pembangun",
                 "Kegiatan Penghasil Variabel Pembangun", "Kode Kegiatan", "Nama Variabel Pembangun",
                 "Level Estimasi", "Dapat Diakses Umum"]
COLUMNS = ["kode_provinsi", "nama_provinsi", "kode_kabupaten_kota", "nama_kabupaten_kota", "kode_kecamatan",
           "nama_kecamatan", "kode_indikator", "nama_indikator", "nilai", "satuan", "tahun", "bulan", "status",
           "keterangan", "sumber_penduduk"]
NUMERIC = {"nilai", "tahun", "bulan"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PAYLOADS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"]


@pytest.fixture(scope="module")
def computed_warehouse(sample_loaded, tmp_path_factory):
    """The published sample with its indicators computed (`jalankan(paksa=True)`), once for this module."""
    from walidata.serve.indikator.jalankan import jalankan
    from walidata.settings import get_settings

    base = tmp_path_factory.mktemp("ekspor_dihitung")
    shutil.copy(sample_loaded / "warehouse.duckdb", base / "warehouse.duckdb")
    env = {"WALIDATA_INBOX": str(sample_loaded / "inbox"), "WALIDATA_LAKE": str(sample_loaded / "lake"),
           "WALIDATA_WAREHOUSE_URL": f"duckdb:///{base / 'warehouse.duckdb'}",
           "WALIDATA_GX_ROOT": str(sample_loaded / "gx"), "WALIDATA_TERBUKA": str(base / "terbuka"),
           "WALIDATA_LAPORAN": str(base / "laporan")}
    with pytest.MonkeyPatch.context() as mp:
        for k, v in env.items():
            mp.setenv(k, v)
        jalankan(get_settings(), "ekspor-test", paksa=True)
    return base / "warehouse.duckdb"


@pytest.fixture
def computed(indikator_sandbox, computed_warehouse):
    """`indikator_sandbox` whose warehouse holds the computed indicators (a copy: each test may change it)."""
    import sqlalchemy as sa

    shutil.copy(computed_warehouse, sa.engine.make_url(indikator_sandbox.warehouse_url).database)
    return indikator_sandbox


def execute(url: str, *statements: tuple[str, dict]) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as c:
            for sql, params in statements:
                c.execute(sa.text(sql), params)
    finally:
        engine.dispose()


def read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == COLUMNS
    return [dict(zip(COLUMNS, r, strict=True)) for r in rows[1:]]


def codes(url: str) -> list[str]:
    return [r[0] for r in query(url, "SELECT kode FROM ref.indikator ORDER BY kode")]


def in_force(url: str, kode: str) -> dict[tuple, tuple]:
    """{(kode_wilayah, tahun, bulan): (nilai, status)} of the view, read independently of the exporter."""
    rows = query(url, f"SELECT kode_wilayah, tahun, bulan, nilai, status FROM mart.indikator_nilai "
                      f"WHERE indikator = '{kode}'")
    return {(w, t, b): (n, s) for w, t, b, n, s in rows}


def csv_key(r: dict) -> tuple:
    return (r["kode_kecamatan"] or r["kode_kabupaten_kota"], int(r["tahun"]), int(r["bulan"]) if r["bulan"] else None)


# ------------------------------------------------------------------------------------------ layout and content

def test_every_indicator_has_its_four_files_and_the_workbook(computed):
    from openpyxl import load_workbook

    from walidata.serve.indikator.ekspor import tulis

    s = computed
    written = tulis(s)
    kodes = codes(s.warehouse_url)
    assert len(kodes) >= 10
    root = Path(s.terbuka)
    for k in kodes:
        files = {root / k / f"{k}{suffix}" for suffix in (".csv", ".json", ".parquet", ".ms_ind.json")}
        assert files <= set(written) and all(p.is_file() and p.stat().st_size > 0 for p in files), k
        assert sorted(p.name for p in (root / k).iterdir()) == sorted(p.name for p in files)  # no temp files left
    assert root / "ms_ind.xlsx" in written
    ws = load_workbook(root / "ms_ind.xlsx").active
    rows = list(ws.iter_rows(values_only=True))
    assert list(rows[0]) == MS_IND_FIELDS
    names = [r[0] for r in query(s.warehouse_url, "SELECT nama FROM ref.indikator ORDER BY kode")]
    assert [r[0] for r in rows[1:]] == names


def test_the_exports_hold_exactly_the_values_in_force(computed):
    import pyarrow.parquet as pq

    from walidata.serve.indikator.ekspor import tulis

    s = computed
    tulis(s)
    root = Path(s.terbuka)
    for k in codes(s.warehouse_url):
        expected = in_force(s.warehouse_url, k)
        rows = read_csv(root / k / f"{k}.csv")
        assert len(rows) == len(expected) > 0, k
        got = {csv_key(r): (float(r["nilai"]) if r["nilai"] else None, r["status"]) for r in rows}
        assert got == expected, k  # every value (parsed back exactly), every status
        assert {r["kode_indikator"] for r in rows} == {k}
        data = json.loads((root / k / f"{k}.json").read_text(encoding="utf-8"))
        assert isinstance(data, list) and [list(d) for d in data[:1]] == [COLUMNS]
        assert {(d["kode_kecamatan"] or d["kode_kabupaten_kota"], d["tahun"], d["bulan"]): (d["nilai"], d["status"])
                for d in data} == expected
        assert pq.read_table(root / k / f"{k}.parquet").to_pylist() == data  # the same records, same order
    kab = read_csv(root / "kepadatan_penduduk" / "kepadatan_penduduk.csv")[0]
    assert (kab["kode_provinsi"], kab["nama_provinsi"], kab["kode_kabupaten_kota"], kab["nama_kabupaten_kota"]) == \
        ("62", "Kalimantan Tengah", "62.06", "Kabupaten Katingan")
    kec = [r for r in read_csv(root / "cakupan_ktp_el" / "cakupan_ktp_el.csv") if r["kode_kecamatan"] == "62.06.01"]
    assert kec and all(r["nama_kecamatan"] == "Kamipang" and r["kode_kabupaten_kota"] == "62.06" for r in kec)


def test_parquet_is_typed(computed):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from walidata.serve.indikator.ekspor import tulis

    s = computed
    tulis(s)
    schema = pq.read_schema(Path(s.terbuka) / "luas_karhutla" / "luas_karhutla.parquet")
    assert schema.names == COLUMNS
    assert schema.field("nilai").type == pa.float64()
    assert pa.types.is_integer(schema.field("tahun").type) and pa.types.is_integer(schema.field("bulan").type)
    assert all(pa.types.is_string(schema.field(c).type) for c in COLUMNS if c not in NUMERIC)
    table = pq.read_table(Path(s.terbuka) / "laju_pertumbuhan_penduduk" / "laju_pertumbuhan_penduduk.parquet")
    nilai = table.column("nilai").to_pylist()
    assert None in nilai and not any(isinstance(v, float) and math.isnan(v) for v in nilai)  # null, not NaN
    assert any(v is not None and v < 0 for v in nilai)  # a falling population is a negative float, not text


def test_ms_ind_metadata_has_the_bps_fields(computed):
    from walidata.serve.indikator.ekspor import tulis

    s = computed
    tulis(s)
    for kode, nama, rumus, komposit, umum in query(
            s.warehouse_url, "SELECT kode, nama, rumus, komposit, dapat_diakses_umum FROM ref.indikator"):
        meta = json.loads((Path(s.terbuka) / kode / f"{kode}.ms_ind.json").read_text(encoding="utf-8"))
        assert list(meta) == MS_IND_FIELDS
        assert (meta["Nama Indikator"], meta["Metode/Rumus Penghitungan"], meta["Indikator Komposit"],
                meta["Dapat Diakses Umum"]) == (nama, rumus, komposit, umum)


def test_missing_values_are_empty_never_zero(computed):
    from walidata.serve.indikator.ekspor import tulis

    s = computed
    tulis(s)
    root = Path(s.terbuka)
    miskin = read_csv(root / "persentase_penduduk_miskin" / "persentase_penduduk_miskin.csv")  # BPS's figures
    assert miskin and all(r["nilai"] != "" and r["status"] == "tersedia" and not r["keterangan"] for r in miskin)
    laju = read_csv(root / "laju_pertumbuhan_penduduk" / "laju_pertumbuhan_penduduk.csv")
    kab_2023 = [r for r in laju if r["tahun"] == "2023" and not r["kode_kecamatan"]]
    assert len(kab_2023) == 1 and kab_2023[0]["nilai"] == "" and kab_2023[0]["status"] == "tidak_tersedia"
    assert all(r["nilai"] != "" for r in laju if r["status"] == "tersedia")
    assert all(r["nama_kecamatan"] == "" for r in laju if not r["kode_kecamatan"])
    karhutla = read_csv(root / "luas_karhutla" / "luas_karhutla.csv")
    assert {r["bulan"] for r in karhutla} == {"", *map(str, range(1, 13))}  # yearly rows: bulan empty
    data = json.loads((root / "laju_pertumbuhan_penduduk" / "laju_pertumbuhan_penduduk.json").read_text())
    missing = [d for d in data if d["status"] != "tersedia"]
    assert missing and all(d["nilai"] is None for d in missing)  # null in JSON, never 0


# ------------------------------------------------------------------------------------ files come and go whole

def test_stale_exports_go_and_a_non_public_indicator_keeps_only_its_metadata(computed):
    from walidata.serve.indikator.ekspor import tulis

    s = computed
    root = Path(s.terbuka)
    old = root / "indikator_lama"
    old.mkdir(parents=True)
    for suffix in (".csv", ".json", ".parquet", ".ms_ind.json"):
        (old / f"indikator_lama{suffix}").write_text("lama")
    (root / "BACA.txt").write_text("bukan milik ekspor")  # not ours: left alone
    tulis(s)
    execute(s.warehouse_url, ("UPDATE ref.indikator SET dapat_diakses_umum = 'Tidak' WHERE kode = :k",
                              {"k": "cakupan_ktp_el"}))
    written = tulis(s)
    assert not old.exists() and (root / "BACA.txt").read_text() == "bukan milik ekspor"
    assert [p.name for p in (root / "cakupan_ktp_el").iterdir()] == ["cakupan_ktp_el.ms_ind.json"]
    assert not [p for p in written if p.parent.name == "cakupan_ktp_el" and not p.name.endswith(".ms_ind.json")]
    assert (root / "kepadatan_penduduk" / "kepadatan_penduduk.csv").is_file()


def test_a_failed_write_keeps_the_previous_file_whole(computed, monkeypatch):
    import pyarrow.parquet as pq

    from walidata.serve.indikator.ekspor import tulis

    s = computed
    tulis(s)
    target = Path(s.terbuka) / "luas_karhutla" / "luas_karhutla.parquet"
    before = target.read_bytes()

    def dies_halfway(table, where, **kw):
        Path(where).write_bytes(b"PAR1 half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pq, "write_table", dies_halfway)
    with pytest.raises(OSError, match="No space left"):
        tulis(s)
    assert target.read_bytes() == before
    assert not [p for p in Path(s.terbuka).rglob(".tmp-*")]


# ------------------------------------------------------------------------------- no text becomes a formula

def _plant_payloads(url: str) -> None:
    """Hostile text in the indicator metadata, the values' notes and units, and a region name; one value -1.5."""
    ind = "UPDATE ref.indikator SET nama = :a, definisi = :b, konsep = :c, interpretasi = :d, rumus = :e, " \
          "satuan = :f WHERE kode = 'laju_pertumbuhan_penduduk'"
    notes = "UPDATE mart.indikator_nilai__riwayat SET keterangan = :a, satuan = :b, sumber_penduduk = :c " \
            "WHERE indikator = 'laju_pertumbuhan_penduduk' AND berlaku_sampai IS NULL AND periode = '2023'"
    more = "UPDATE mart.indikator_nilai__riwayat SET keterangan = :a WHERE indikator = 'laju_pertumbuhan_penduduk' " \
           "AND berlaku_sampai IS NULL AND periode = '2024'"
    neg = "UPDATE mart.indikator_nilai__riwayat SET nilai = -1.5 WHERE indikator = 'laju_pertumbuhan_penduduk' " \
          "AND berlaku_sampai IS NULL AND periode = '2024' AND kode_wilayah = '62.06'"
    name = "UPDATE ref.wilayah SET nama = :a WHERE kode_kemendagri = '62.06.01'"
    p = PAYLOADS
    execute(url, (ind, dict(zip("abcdef", p, strict=True))), (notes, {"a": p[0], "b": p[1], "c": p[4]}),
            (more, {"a": p[5]}), (neg, {}), (name, {"a": p[3]}))


def _unsafe_cells(path: Path) -> list[str]:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    return [f"{path.name} {ws.title}!{c.coordinate} {c.value!r}" for ws in wb.worksheets for row in ws.iter_rows()
            for c in row if c.data_type == "f" or (isinstance(c.value, str) and c.value.startswith(FORMULA_START))]


def test_formula_text_is_escaped_in_csv_and_workbook_but_kept_in_json_and_parquet(computed):
    import pyarrow.parquet as pq
    from openpyxl import load_workbook

    from walidata.serve.indikator.ekspor import tulis

    s = computed
    _plant_payloads(s.warehouse_url)
    tulis(s)
    folder = Path(s.terbuka) / "laju_pertumbuhan_penduduk"
    rows = read_csv(folder / "laju_pertumbuhan_penduduk.csv")
    unsafe = [(c, r[c]) for r in rows for c in COLUMNS if c not in NUMERIC and r[c].startswith(FORMULA_START)]
    assert not unsafe, unsafe[:5]
    assert all(r["nilai"] == "" or float(r["nilai"]) == float(r["nilai"]) for r in rows)  # a number or empty
    neg = [r for r in rows if r["tahun"] == "2024" and not r["kode_kecamatan"]]
    assert [r["nilai"] for r in neg] == ["-1.5"]  # a negative number stays a number, unescaped
    seen = {v for r in rows for v in r.values()}
    assert {"'" + PAYLOADS[0], "'+1+1", "'\t=1", "'\r=1", "'@SUM(A1)"} <= seen  # escaped, not dropped
    assert not _unsafe_cells(Path(s.terbuka) / "ms_ind.xlsx")
    ws = load_workbook(Path(s.terbuka) / "ms_ind.xlsx").active
    assert "'" + PAYLOADS[0] in {c.value for row in ws.iter_rows() for c in row}
    data = json.loads((folder / "laju_pertumbuhan_penduduk.json").read_text(encoding="utf-8"))
    assert {d["nama_indikator"] for d in data} == {PAYLOADS[0]}  # JSON keeps the original text
    assert PAYLOADS[3] in {d["nama_kecamatan"] for d in data}
    assert pq.read_table(folder / "laju_pertumbuhan_penduduk.parquet").to_pylist() == data
    meta = json.loads((folder / "laju_pertumbuhan_penduduk.ms_ind.json").read_text(encoding="utf-8"))
    assert (meta["Nama Indikator"], meta["Definisi"], meta["Satuan"]) == (PAYLOADS[0], PAYLOADS[1], PAYLOADS[5])


def test_the_opd_feedback_workbook_from_the_pipeline_has_no_formula(sandbox, tmp_path):
    """The real pipeline (extract → standardise → validate) on a sent workbook whose kecamatan names are formula
    text (stored as text, not as formulas): the feedback workbook shows them escaped, never as formulas."""
    from openpyxl import load_workbook

    from walidata import pipeline
    from walidata.validate.outcome import ValidationFailed

    wb = load_workbook(SAMPLE_FILE)
    for i, payload in enumerate(PAYLOADS):
        cell = wb["2024"][f"B{7 + i}"]
        cell.value = payload
        cell.data_type = "s"  # openpyxl would store a text starting with = as a formula
    sent = tmp_path / "kiriman_rumus.xlsx"
    wb.save(sent)
    replace_inbox_file(sandbox, sent)
    with pytest.raises(ValidationFailed):
        pipeline.run_dataset("disdukcapil.penduduk_kecamatan", "rumus-1", sandbox)
    report = sandbox.lake / "umpan_balik" / "opd=disdukcapil" / "penduduk_kecamatan__rumus-1.xlsx"
    assert not _unsafe_cells(report)
    values = {str(c.value) for ws in load_workbook(report).worksheets for row in ws.iter_rows() for c in row}
    assert {"'" + PAYLOADS[0], "'+1+1", "'-2+3", "'@SUM(A1)"} <= values  # they reached it, escaped
