"""The Walidata's follow-up list on the published sample: which dataset is late by its schedule, since when,
with the OPD's last feedback workbook; the table and the workbook; the alerts of the late datasets."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from walidata.catalog import load_catalog
from walidata.serve import tindak_lanjut as tl
from walidata.validate.checks import LAG_DAYS, periode_end

HARI = dt.date(2026, 11, 29)


def expected(settings, hari: dt.date) -> dict[str, tuple]:
    """By hand: each dataset's latest period in the warehouse for Katingan, and the day it became late."""
    out = {}
    with duckdb.connect(settings.warehouse_url.removeprefix("duckdb:///"), read_only=True) as c:
        for ds in load_catalog(settings.catalog)[0]:
            periods = [r[0] for r in c.execute(
                f'SELECT DISTINCT periode FROM fact."{ds.fact_table}" WHERE kode_wilayah LIKE \'62.06%\'').fetchall()]
            latest = max(periods, key=periode_end)
            due = periode_end(latest) + dt.timedelta(days=LAG_DAYS[ds.metadata.jadwal_pemutakhiran])
            if due < hari:
                out[ds.id] = (latest, due, (hari - due).days)
    return out


def test_the_list_names_every_late_dataset_since_when_and_nothing_else(indikator_sandbox):
    s = indikator_sandbox
    want = expected(s, HARI)
    assert want and len(want) < len(load_catalog(s.catalog)[0])  # monthly ones are late, yearly ones are not yet
    rows = tl.daftar(s, HARI)
    assert {r.dataset: (r.periode_terakhir, r.terlambat_sejak, r.hari_terlambat) for r in rows} == want
    assert [r.terlambat_sejak for r in rows] == sorted(r.terlambat_sejak for r in rows)  # most overdue first
    # the sample runs to December 2025: on 20 January 2026 nothing was late
    assert tl.daftar(s, dt.date(2026, 1, 20)) == []


def test_a_dataset_never_published_heads_the_list_and_the_last_feedback_is_named(indikator_sandbox, tmp_path):
    s = indikator_sandbox
    catalog = tmp_path / "catalog"
    import shutil

    shutil.copytree(s.catalog, catalog)
    raw = (catalog / "dlh" / "sampah.yaml").read_text()
    (catalog / "dlh" / "sampah_b3.yaml").write_text(raw.replace("id: dlh.sampah", "id: dlh.sampah_b3"))
    lake = tmp_path / "lake"
    feedback = lake / "umpan_balik" / "opd=dlh" / "sampah__manual_2026.xlsx"
    feedback.parent.mkdir(parents=True)
    feedback.write_bytes(b"")
    s2 = s.model_copy(update={"catalog": catalog, "lake": lake})
    rows = tl.daftar(s2, HARI)
    assert rows[0].dataset == "dlh.sampah_b3" and rows[0].periode_terakhir is None and rows[0].hari_terlambat is None
    sampah = next(r for r in rows if r.dataset == "dlh.sampah")
    assert sampah.umpan_balik_terakhir == str(feedback)
    assert "sampah__manual_2026.xlsx" in tl.pesan(sampah) and "terlambat" in tl.pesan(sampah)
    assert "belum pernah terbit" in tl.pesan(rows[0])


def test_the_day_s_table_and_workbook_are_written_and_a_rerun_replaces_them(indikator_sandbox, tmp_path):
    s = indikator_sandbox.model_copy(update={"lake": tmp_path / "lake"})
    rows, path = tl.jalankan(s, HARI)
    again, _ = tl.jalankan(s, HARI)
    assert again == rows
    with duckdb.connect(s.warehouse_url.removeprefix("duckdb:///"), read_only=True) as c:
        stored = c.execute("SELECT dataset, periode_terakhir, terlambat_sejak, hari_terlambat FROM "
                           "audit.tindak_lanjut WHERE tanggal = ? ORDER BY dataset", [HARI]).fetchall()
    assert stored == sorted((r.dataset, r.periode_terakhir, r.terlambat_sejak, r.hari_terlambat) for r in rows)
    assert tl.baca(s, HARI) == rows
    wb = load_workbook(path)
    opds = sorted({r.opd for r in rows})
    assert wb.sheetnames == ["Ringkasan", *opds]
    for opd in opds:
        sheet = wb[opd]
        header, *body = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert header[0] == "Dataset" and "Terlambat sejak" in header
        assert sorted(b[0] for b in body) == sorted(r.dataset for r in rows if r.opd == opd)
        assert all(isinstance(b[6], int) and b[6] > 0 for b in body)
    assert all(c.data_type != "f" for ws in wb for row in ws.iter_rows() for c in row)  # no formula cell


def test_each_late_dataset_is_alerted_once_through_the_webhook(indikator_sandbox, tmp_path, httpserver,
                                                               monkeypatch):
    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    monkeypatch.setenv("AIRFLOW_CONN_UJI_HOOK", json.dumps({"conn_type": "http", "host": httpserver.url_for("/hook")}))
    s = indikator_sandbox.model_copy(update={"lake": tmp_path / "lake", "peringatan_webhook": "uji_hook"})
    rows, _ = tl.jalankan(s, HARI)
    assert tl.kabari(s, HARI) == len(rows) > 0
    got = [json.loads(r.get_data()) for r, _ in httpserver.log]
    assert sorted(g["dataset"] for g in got) == sorted(r.dataset for r in rows)
    first = next(g for g in got if g["dataset"] == rows[0].dataset)
    assert first["jenis"] == "terlambat" and first["opd"] == rows[0].opd
    assert f"periode terakhir {rows[0].periode_terakhir}" in first["pesan"] and "Data terlambat" in first["text"]


@pytest.mark.parametrize("hostile", ["=HYPERLINK(\"http://x\")", "+1+1", "@SUM(A1)"])
def test_workbook_text_from_the_catalog_is_never_a_formula(tmp_path, hostile):
    row = tl.Terlambat("dlh.sampah", "dlh", hostile, "bulanan", "2025-12", dt.date(2026, 4, 2), 241, None)
    path = tl.tulis_workbook([row], tmp_path, HARI)
    cells = [c for ws in load_workbook(path) for r in ws.iter_rows() for c in r]
    assert all(c.data_type != "f" for c in cells)
    assert any(isinstance(c.value, str) and c.value.endswith(hostile) for c in cells)
    assert Path(path).name == tl.WORKBOOK
