"""Nothing leaked, nothing injected: NIKs masked, control characters taken out, personal columns pseudonymised —
at read, before anything else sees the grid. Real files, the real pipeline, every output searched."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import sys
import unicodedata
from pathlib import Path

import pytest

from conftest import DATASET, ROOT, SAMPLE_FILE, edit_workbook, replace_inbox_file
from walidata import cli, pipeline
from walidata.catalog import get_dataset
from walidata.sources.privacy import (
    PseudonymKeyMissing,
    ascii_digits,
    clean_text,
    is_nik,
    mask,
    mask_message,
    mask_text,
    nik_prefixes,
    scrub_grid,
)
from walidata.sources.table import read_tables
from walidata.standardise.records import standardise_files
from walidata.standardise.reference import IndeksWilayah
from walidata.validate.outcome import ValidationFailed

sys.path.insert(0, str(Path(__file__).parent))
from test_attribution import dataset  # noqa: E402

REF = ROOT / "include" / "reference"
REGION = IndeksWilayah(REF, "62.06")
DS = get_dataset(ROOT / "include" / "catalog", DATASET)
# A NIK of kecamatan 62.06.01, a woman born 17 August 1990 (day + 40): its middle digits must never show up.
NIK, MIDDLE, MASKED = "6206015708900001", "570890", "620601******0001"


def _strings(table) -> list[str]:
    """Every text value of an Arrow table."""
    return [v for col in table.columns for v in col.to_pylist() if isinstance(v, str)]


def _everything(out) -> str:
    """All that standardise hands on: records, totals, the `lain` table and the lineage, as one text."""
    return "\n".join([*_strings(out.records), *_strings(out.totals), *_strings(out.lain),
                      json.dumps(out.lineage, ensure_ascii=False)])


# ---------------------------------------------------------------------------------------------- NIK

def test_what_counts_as_a_nik():
    prefixes = nik_prefixes(REF)
    assert "620601" in prefixes and len(prefixes) == 7285  # every kecamatan of Indonesia
    assert is_nik(NIK, prefixes) and mask(NIK) == MASKED
    for text in (NIK, "6206 0157 0890 0001", "62.06.01.570890.0001", "6206-0157-0890-0001"):
        assert mask_text(text, prefixes) == (MASKED, [MASKED]), text
    assert mask_text(f"Budi {NIK}", prefixes) == (f"Budi {MASKED}", [MASKED])
    assert mask_text(f"Tahun 2024 {NIK} 2025", prefixes) == (f"Tahun 2024 {MASKED} 2025", [MASKED])
    for text in ("62060157089000012",  # 17 digits: not a NIK
                 "0000015708900001",  # 00.00.01 is no kecamatan
                 "1.234.567", "2023 2024 2025 2026", "Rp 1.234.567.890"):
        assert mask_text(text, prefixes) == (text, []), text


def test_a_nik_in_a_value_cell_is_masked_and_its_row_never_published(tmp_path):
    f = edit_workbook(SAMPLE_FILE, tmp_path / "nik.xlsx", {("2025", "C10"): int(NIK)})
    out = standardise_files(DS, [(f, f.name)], REGION)
    r = out.frame()
    row10 = r[(r.periode == "2025") & (r.sumber_baris == 10)]
    assert len(row10) == 2  # both values of the row (L and P) are refused, not only the NIK cell
    assert row10.masalah.str.contains(
        f"kolom C: berisi NIK \\(nomor induk kependudukan\\), disamarkan: {re.escape(MASKED)}").all()
    assert row10.nilai.max() < 1e6  # no 6.2e15 children
    assert MIDDLE not in _everything(out)


def test_a_nik_anywhere_in_a_file_reaches_no_output_of_the_pipeline(sandbox, tmp_path, capsys, caplog):
    edits = {("2025", "B11"): f"Budi {NIK}", ("2025", "C10"): int(NIK),
             ("2025", "A1"): f"Tabel 3.1 Penduduk (petugas {NIK})", ("2024", "D9"): "6206 0157 0890 0001"}
    f = replace_inbox_file(sandbox, edit_workbook(SAMPLE_FILE, tmp_path / "sumber" / "penduduk.xlsx", edits))
    with pytest.raises(ValidationFailed):
        pipeline.run_dataset(DATASET, "nik", sandbox)
    assert cli.main(["check", str(f), "--dataset", DATASET, "--laporan", str(tmp_path / "lake" / "cek.xlsx")]) == 1
    printed = capsys.readouterr().out + caplog.text
    assert MASKED in printed and MIDDLE not in printed
    found = _outputs(tmp_path, sandbox.warehouse_url)
    assert any(MASKED in text for text in found.values())
    leaked = [where for where, text in found.items() if MIDDLE in text]
    assert leaked == []


def test_a_nik_in_a_file_or_sheet_name_is_masked(tmp_path):
    f = edit_workbook(SAMPLE_FILE, tmp_path / f"penduduk_{NIK}.xlsx", {("2025", "C9"): "#REF!"})
    from openpyxl import load_workbook

    wb = load_workbook(f)
    wb["2025"].title = f"2025 {NIK}"
    wb.save(f)
    ds = DS.model_copy(update={"sumber": DS.sumber.model_copy(update={
        "sheet": r"^\d{4}", "periode": DS.sumber.periode.model_copy(update={"pola": r"^(\d{4})"})})})
    out = standardise_files(ds, [(f, f.name)], REGION)
    r = out.frame()
    assert set(r.sumber_file) == {f"penduduk_{MASKED}.xlsx"} and f"2025 {MASKED}" in set(r.sumber_sheet)
    # The formula error is still found in the sheet whose name was masked.
    assert r.masalah.str.contains("kolom C: sel berisi galat rumus #REF!").any()
    assert MIDDLE not in _everything(out)


def _outputs(root: Path, warehouse_url: str) -> dict[str, str]:
    """The text of everything the run wrote outside the raw zone and the inbox (lake, GX results, Data Docs,
    feedback workbooks) and of every table of the warehouse."""
    import pyarrow.parquet as pq
    import sqlalchemy as sa
    from openpyxl import load_workbook

    out = {}
    for p in root.rglob("*"):
        if not p.is_file() or {"raw", "inbox", "sumber"} & set(p.relative_to(root).parts) or p.suffix == ".duckdb":
            continue
        if p.suffix == ".parquet":
            out[str(p)] = str(pq.read_table(p).to_pylist())
        elif p.suffix == ".xlsx":
            wb = load_workbook(p, read_only=True)
            out[str(p)] = str([row for ws in wb for row in ws.iter_rows(values_only=True)])
            wb.close()
        else:
            out[str(p)] = p.read_bytes().decode("utf-8", errors="replace")
    engine = sa.create_engine(warehouse_url, poolclass=sa.pool.NullPool)
    with engine.connect() as c:
        for schema, table in c.execute(sa.text("SELECT table_schema, table_name FROM information_schema.tables "
                                               "WHERE table_schema IN ('audit', 'fact', 'mart', 'ref')")).all():
            out[f"{schema}.{table}"] = str(c.execute(sa.text(f'SELECT * FROM {schema}."{table}"')).all())
    engine.dispose()
    for zone in ("staging", "karantina", "umpan_balik", "data_docs", "validations", "audit.hasil_validasi"):
        assert any(zone in where for where in out), zone
    return out


# ------------------------------------------------------------------------------------ NIK in every spelling

# The NIK above as an attacker writes it so that a mask of ASCII digits and ' ', '.', '-' misses it.
FULLWIDTH = NIK.translate({ord("0") + d: 0xFF10 + d for d in range(10)})
SPELLINGS = {
    "nbsp": "6206\u00a00157\u00a00890\u00a00001",
    "spasi_unicode": "6206\u202f0157\u20070890\u30000001",  # narrow no-break, figure, ideographic space
    "en_dash": "6206\u20130157\u20130890\u20130001",
    "dash_minus": "6206\u20140157\u22120890\u20110001",  # em dash, minus sign, non-breaking hyphen
    "garis_miring": "620601/570890/0001",
    "garis_bawah": "620601_570890_0001",
    "koma": "6206,0157,0890,0001",
    "tab": "6206\t0157\t0890\t0001",
    "lebar": FULLWIDTH,
    "lebar_spasi": "\u3000".join(FULLWIDTH[i:i + 4] for i in range(0, 16, 4)),
    "arab": " ".join(NIK[i:i + 4] for i in range(0, 16, 4)).translate({ord("0") + d: 0x660 + d for d in range(10)}),
}
CLEAR_NIK = re.compile(r"[\W_]?".join(NIK))  # the NIK's digits with at most one separator between two of them
_ESCAPED = re.compile(r"\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|t)")


def _clear_nik_in(text: str) -> bool:
    """Whether `text` holds the NIK in clear in any spelling: escapes (repr's \\xa0, JSON's \\u3000) decoded and
    Unicode digits read as ASCII here, on their own (not by the code under test)."""
    text = _ESCAPED.sub(lambda m: chr(int(m.group(1) or m.group(2), 16)) if m.group(1) or m.group(2) else "\t", text)
    text = re.sub(r"(?![0-9])\d", lambda m: str(unicodedata.decimal(m.group())), text)
    return bool(CLEAR_NIK.search(text))


@pytest.mark.parametrize("spelled", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_a_nik_in_any_spelling_is_masked_in_ascii(spelled):
    prefixes = nik_prefixes(REF)
    assert mask_text(spelled, prefixes) == (MASKED, [MASKED])
    assert mask_text(f"Budi ({spelled}) 2025", prefixes) == (f"Budi ({MASKED}) 2025", [MASKED])
    assert clean_text(f"2025 {spelled}", prefixes) == f"2025 {MASKED}"
    assert mask_message(f"nama '{spelled}' tidak dikenal", prefixes) == f"nama '{MASKED}' tidak dikenal"
    grid = [["Kecamatan", "Jumlah"], [f"Budi {spelled}", spelled]]
    marks = scrub_grid(grid, prefixes)
    assert grid[1] == [f"Budi {MASKED}", MASKED] and marks.nik == {(1, 0): [MASKED], (1, 1): [MASKED]}
    assert not _clear_nik_in(repr(grid)) and _clear_nik_in(repr(spelled))


def test_unicode_digits_and_separators_raise_no_false_alarm():
    prefixes = nik_prefixes(REF)
    for text in ("1.234,5", "１.２３４,５", "2023/2024", "2023–2024", "Rp 1.234.567.890", "62.06.01, 62.06.02",
                 "６２０６０１５７０８９００００１２",  # 17 fullwidth digits
                 "6206 / 0157 / 0890 / 0001",  # separators of more than one character, as before
                 EVENT.replace(" ", "\u00a0")):  # a disaster log's event number: no birth date
        assert mask_text(text, prefixes) == (text, []), text
    assert ascii_digits("６２０６\u00a0٠١–0157") == "6206 01-0157"


def test_parse_number_reads_unicode_digits_but_never_a_nik():
    from walidata.standardise.records import parse_number

    assert parse_number("１.２３４,５", "decimal") == parse_number("1.234,5", "decimal")
    assert parse_number("1.234,5", "decimal").nilai == 1234.5
    assert parse_number("١٢٣", "integer").nilai == 123.0 and parse_number("１\u00a0０００", "integer").nilai == 1000.0
    for raw in (FULLWIDTH, SPELLINGS["arab"].replace(" ", ""), "６.２０６.０１５.７０８.９００.００１"):
        got = parse_number(raw, "integer")
        assert got.nilai is None and got.masalah.endswith(f"disamarkan: {MASKED}"), raw
        assert not _clear_nik_in(got.masalah)
    assert parse_number("1234567", "integer").nilai == 1234567.0  # ASCII figures as before


@pytest.mark.parametrize("spelled", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_a_nik_in_a_problem_or_a_field_name_is_masked(spelled):
    from walidata.problems import Problem
    from walidata.sources.api import drift

    p = Problem(reason=f"nama '{spelled}' tidak dikenal", file=f"penduduk {spelled}.xlsx", sheet=spelled,
                region=f"Budi {spelled}", value=spelled)
    assert not _clear_nik_in(p.render()) and not _clear_nik_in(repr(p.as_dict())) and MASKED in p.render()
    moved = drift(["kecamatan", spelled], ["kecamatan", "jumlah", f"nik_{spelled}"])
    assert moved == {"baru": ["jumlah", f"nik_{MASKED}"], "hilang": [MASKED]}


@pytest.mark.parametrize("spelled", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_a_nik_in_any_spelling_reaches_no_output_of_the_pipeline(spelled, sandbox, tmp_path, capsys, caplog):
    edits = {("2025", "B11"): f"Budi {spelled}", ("2025", "C10"): spelled,
             ("2025", "A1"): f"Tabel 3.1 Penduduk (petugas {spelled})", ("2024", "D9"): spelled}
    f = replace_inbox_file(sandbox, edit_workbook(SAMPLE_FILE, tmp_path / "sumber" / "penduduk.xlsx", edits))
    with pytest.raises(ValidationFailed) as refused:
        pipeline.run_dataset(DATASET, "nik", sandbox)
    assert cli.main(["check", str(f), "--dataset", DATASET, "--laporan", str(tmp_path / "lake" / "cek.xlsx")]) == 1
    printed = capsys.readouterr().out + caplog.text + str(refused.value)
    assert MASKED in printed and not _clear_nik_in(printed)
    found = _outputs(tmp_path, sandbox.warehouse_url)
    assert any(MASKED in text for text in found.values())
    assert [where for where, text in found.items() if spelled in text or _clear_nik_in(text)] == []


@pytest.mark.parametrize("spelled", [s for s in SPELLINGS.values() if "/" not in s and "\t" not in s],
                         ids=[k for k, s in SPELLINGS.items() if "/" not in s and "\t" not in s])
def test_a_nik_in_any_spelling_in_a_file_or_sheet_name_is_masked(spelled, tmp_path):
    f = edit_workbook(SAMPLE_FILE, tmp_path / f"penduduk_{spelled}.xlsx", {("2025", "C9"): "#REF!"})
    from openpyxl import load_workbook

    wb = load_workbook(f)
    wb["2025"].title = f"2025 {spelled}"
    wb.save(f)
    ds = DS.model_copy(update={"sumber": DS.sumber.model_copy(update={
        "sheet": r"^\d{4}", "periode": DS.sumber.periode.model_copy(update={"pola": r"^(\d{4})"})})})
    out = standardise_files(ds, [(f, f.name)], REGION)
    r = out.frame()
    assert set(r.sumber_file) == {f"penduduk_{MASKED}.xlsx"} and f"2025 {MASKED}" in set(r.sumber_sheet)
    assert not _clear_nik_in(_everything(out)) and not _clear_nik_in(str(r.to_dict("records")))


# --------------------------------------------------------------------------------- personal columns

PERSONAL = [{"name": "kecamatan", "alias": ["kecamatan"], "peran": "kecamatan"},
            {"name": "pelapor", "alias": ["nama pelapor"], "peran": "abaikan", "pribadi": True},
            {"name": "jumlah", "alias": ["jumlah"], "peran": "nilai"},
            {"name": "tahun", "alias": ["tahun"], "peran": "periode"}]
# 'Ketut …' as the first text of a row starts like a footer label ('Ket…') but is not one (not a whole word, and the
# row holds a figure): a data row of its own, its name pseudonymised like every cell of the personal column.
REPORTS = (f"kecamatan,nama pelapor,jumlah,tahun\nKamipang,Budi Santoso,5,2024\nKatingan Hilir,Siti {NIK},7,2024\n"
           f",Ketut Suardana,3,2024\nSumber: Dinas Sosial,,,\n")


def _expected(key: str, clear: str) -> str:
    return "psd_" + hmac.new(key.encode(), clear.casefold().encode(), hashlib.sha256).hexdigest()[:20]


def _personal(tmp_path) -> tuple:
    ds = dataset("kecamatan", PERSONAL)
    f = tmp_path / "laporan.csv"
    f.write_text(REPORTS, encoding="utf-8")
    return ds, f


def test_personal_columns_hold_keyed_pseudonyms_from_read_on(tmp_path, monkeypatch):
    ds, f = _personal(tmp_path)
    key, other = "kunci-rahasia-uji-0123456789", "kunci-lain-sama-panjang-98765"
    monkeypatch.setenv("WALIDATA_PSEUDONYM_KEY", key)
    rows = [row for _, row in read_tables(f, ds)[0].rows]
    assert [row[1] for row in rows] == [_expected(key, "Budi Santoso"), _expected(key, f"Siti {NIK}"),
                                        _expected(key, "Ketut Suardana")]
    assert [row[1] for _, row in read_tables(f, ds)[0].rows] == [row[1] for row in rows]  # stable
    out = standardise_files(ds, [(f, f.name)], REGION)
    assert out.records.column("masalah").null_count == 2  # a NIK in a declared personal column is expected
    ketut = out.frame().query("sumber_baris == 4")  # no kecamatan: a problem to report, never a footer that hides 3
    assert ketut.nilai.tolist() == [3] and ketut.masalah.notna().all()
    assert out.lineage[0]["catatan"] == ["Sumber: Dinas Sosial"]
    for clear in ("Budi", "Siti", MIDDLE, "Ketut"):
        assert clear not in _everything(out)
    monkeypatch.setenv("WALIDATA_PSEUDONYM_KEY", other)
    assert [row[1] for _, row in read_tables(f, ds)[0].rows][:2] == [_expected(other, "Budi Santoso"),
                                                                      _expected(other, f"Siti {NIK}")]
    assert _expected(other, "Budi Santoso") != _expected(key, "Budi Santoso")


def test_the_key_may_come_from_an_airflow_connection(tmp_path, monkeypatch):
    ds, f = _personal(tmp_path)
    key = "kunci-dari-koneksi-airflow-42"
    monkeypatch.delenv("WALIDATA_PSEUDONYM_KEY", raising=False)
    monkeypatch.setenv("AIRFLOW_CONN_WALIDATA_PSEUDONIM", json.dumps({"conn_type": "generic", "password": key}))
    assert read_tables(f, ds)[0].rows[0][1][1] == _expected(key, "Budi Santoso")


def test_personal_columns_without_a_key_are_refused(tmp_path, monkeypatch):
    ds, f = _personal(tmp_path)
    monkeypatch.delenv("WALIDATA_PSEUDONYM_KEY", raising=False)
    monkeypatch.delenv("AIRFLOW_CONN_WALIDATA_PSEUDONIM", raising=False)
    with pytest.raises(PseudonymKeyMissing, match=r"columns \['pelapor'\] are declared pribadi .* no pseudonymisation "
                                                  r"key is available: set WALIDATA_PSEUDONYM_KEY"):
        standardise_files(ds, [(f, f.name)], REGION)
    monkeypatch.setenv("WALIDATA_PSEUDONYM_KEY", "pendek")
    with pytest.raises(PseudonymKeyMissing, match="shorter than 16 bytes"):
        read_tables(f, ds)


# ----------------------------------------------------------------------------------- NIK false alarms

# A national disaster log's event number: kecamatan code 1116107 (11.16.10 Bandar Pusaka), year, month, day, serial.
EVENT = "1116 107 2020 02 07 1"
# The same kind of number for Kamipang, 2021-05-12: its digits 7–12 ('020210') read as a date, so only the catalog
# can say it is no NIK.
EVENT_KAMIPANG, EVENT_KAMIPANG_MASKED = "6206 010 2021 05 12 1", "620601******5121"
HINT = ("bila kolom ini berisi nomor kejadian/ID dan bukan NIK, nyatakan kolom itu di katalog dengan peran: abaikan "
        "dan pengenal: true")
EVENTS = [{"name": "id_kejadian", "alias": ["id kejadian"], "peran": "abaikan"},
          {"name": "kecamatan", "alias": ["kecamatan"], "peran": "kecamatan"},
          {"name": "keterangan", "alias": ["keterangan"], "peran": "abaikan"},
          {"name": "jumlah", "alias": ["jumlah"], "peran": "nilai"},
          {"name": "tahun", "alias": ["tahun"], "peran": "periode"}]


def _events(tmp_path, pengenal: bool, title: str = "Kejadian bencana") -> tuple:
    kolom = [dict(EVENTS[0], pengenal=True) if pengenal else EVENTS[0], *EVENTS[1:]]
    f = tmp_path / "kejadian.csv"
    f.write_text(f"{title},,,,\nid kejadian,kecamatan,keterangan,jumlah,tahun\n"
                 f"{EVENT_KAMIPANG},Kamipang,banjir,1,2021\n6206 010 2021 05 13 2,Kamipang,pelapor {NIK},1,2021\n",
                 encoding="utf-8")
    return dataset("kecamatan", kolom), f


def test_the_birth_date_decides_what_is_a_nik():
    prefixes = nik_prefixes(REF)
    digits = EVENT.replace(" ", "")
    assert len(digits) == 16 and digits[:6] in prefixes  # a real kecamatan code: only its 'day' 72 says no
    assert not is_nik(digits, prefixes) and mask_text(EVENT, prefixes) == (EVENT, [])
    for day in ("01", "31", "41", "71"):  # a man born on the 1st or 31st, a woman (day + 40)
        assert is_nik(f"620601{day}0890" + "0001", prefixes), day
    for day, month in (("00", "08"), ("32", "08"), ("40", "08"), ("72", "08"), ("15", "00"), ("15", "13")):
        assert not is_nik(f"620601{day}{month}90" + "0001", prefixes), (day, month)


def test_an_event_number_in_a_disaster_log_is_no_nik(tmp_path):
    f = tmp_path / "bencana.csv"
    f.write_text(f"id kejadian,kecamatan,keterangan,jumlah,tahun\n{EVENT},Kamipang,banjir,1,2020\n", encoding="utf-8")
    out = standardise_files(dataset("kecamatan", EVENTS), [(f, f.name)], REGION)
    assert out.records.column("masalah").to_pylist() == [None]
    assert read_tables(f, dataset("kecamatan", EVENTS))[0].rows[0][1][0] == EVENT


def test_a_nik_shaped_number_names_its_column_and_how_to_declare_it(tmp_path):
    ds, f = _events(tmp_path, pengenal=False)
    r = standardise_files(ds, [(f, f.name)], REGION).frame()
    assert r.masalah.tolist()[0] == (
        f"kolom A: berisi NIK (nomor induk kependudukan), disamarkan: {EVENT_KAMIPANG_MASKED}; {HINT}")
    # a NIK in a value column is no identifier: no such advice
    g = edit_workbook(SAMPLE_FILE, tmp_path / "nik.xlsx", {("2025", "C10"): int(NIK)})
    v = standardise_files(DS, [(g, g.name)], REGION).frame()
    assert not v.masalah.dropna().str.contains("pengenal").any()


def test_a_column_declared_an_identifier_keeps_its_numbers_and_nothing_else_does(tmp_path):
    ds, f = _events(tmp_path, pengenal=True, title=f"Kejadian bencana {EVENT_KAMIPANG}")
    (table,) = read_tables(f, ds)
    assert [row[0] for _, row in table.rows] == [EVENT_KAMIPANG, "6206 010 2021 05 13 2"]
    assert table.titles == [f"Kejadian bencana {EVENT_KAMIPANG_MASKED}"]  # the title is not the column
    assert table.rows[1][1][2] == f"pelapor {MASKED}"  # a real NIK in another column is still masked
    out = standardise_files(ds, [(f, f.name)], REGION)
    assert out.records.column("masalah").to_pylist() == [
        None, f"kolom C: berisi NIK (nomor induk kependudukan), disamarkan: {MASKED}; {HINT}"]


@pytest.mark.parametrize("kolom, why", [
    ({"name": "jumlah", "alias": ["jumlah"], "peran": "nilai", "pengenal": True}, "not peran nilai"),
    ({"name": "id", "alias": ["id"], "peran": "abaikan", "pengenal": True, "pribadi": True}, "pribadi"),
])
def test_pengenal_is_only_for_ignored_columns_that_are_not_personal(kolom, why):
    from pydantic import ValidationError

    from walidata.catalog import Kolom

    with pytest.raises(ValidationError, match=f"pengenal: true .*{why}"):
        Kolom.model_validate(kolom)
