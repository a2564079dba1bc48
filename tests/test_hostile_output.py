"""Text from an OPD's file is data, never markup or a way in: Data Docs show it escaped, and the analyst role
cannot read the audit columns that quote it as written."""

import re
import uuid

import pytest
import sqlalchemy as sa

from conftest import DATASET, SAMPLE_FILE, as_role, drop_database_and_roles, edit_workbook
from walidata.catalog import get_dataset
from walidata.standardise.records import standardise_files
from walidata.standardise.reference import IndeksWilayah
from walidata.validate.outcome import validate

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


def _validate(settings, path, run_id):
    ds = get_dataset(settings.catalog, DATASET)
    wilayah = IndeksWilayah(settings.reference, settings.wilayah)
    out = standardise_files(ds, [(path, path.name)], wilayah)
    return validate(ds, out.frame(), out.totals.to_pandas(), wilayah, settings.gx_root, run_id)


def _verdicts(outcome):
    return [(r["expectation"], r["column"], r["success"], r["unexpected_count"]) for r in outcome.results]


def test_names_written_as_markup_are_escaped_in_data_docs(sandbox, tmp_path):
    hostile = edit_workbook(SAMPLE_FILE, tmp_path / "xss.xlsx", {("2024", "B9"): SCRIPT, ("2025", "B10"): IMG})
    outcome = _validate(sandbox, hostile, "xss")
    site = sandbox.gx_root / "uncommitted" / "data_docs" / "local_site"
    pages = [p for p in site.rglob("*") if p.is_file()]
    assert any(p.suffix == ".html" and "validations" in p.parts for p in pages)
    for p in pages:
        text = p.read_text(errors="replace").lower()
        assert "<script>alert(1)" not in text and "<img src=x" not in text, p
    page = outcome.data_docs.removeprefix("file://")
    html = open(page).read()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown as the text it is
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    # What the Walidata and the OPD read keeps the value as written.
    assert any(f"kecamatan '{SCRIPT}' tidak dikenal" in p for p in outcome.lines)
    assert any(f"kecamatan '{IMG}' tidak dikenal" in p for p in outcome.lines)
    # Escaping is for the page only: the same file with harmless unknown names gets the same verdicts.
    plain = edit_workbook(SAMPLE_FILE, tmp_path / "plain.xlsx",
                          {("2024", "B9"): "Antah Berantah", ("2025", "B10"): "Negeri Dongeng"})
    other = _validate(sandbox, plain, "plain")
    assert not outcome.success and outcome.rows_rejected == other.rows_rejected > 0
    assert _verdicts(outcome) == _verdicts(other)


@pytest.mark.postgres
def test_analyst_reads_audit_history_but_not_raw_samples(postgres_url):
    from walidata.publish import audit, schema
    from walidata.publish.access import setup_roles

    analyst, pipe = f"analis_{uuid.uuid4().hex[:8]}", f"pipa_{uuid.uuid4().hex[:8]}"
    engine = sa.create_engine(postgres_url, poolclass=sa.pool.NullPool)
    try:
        with engine.begin() as c:  # an older `walidata peran` made future audit tables readable
            schema.ensure_schema(c)
            c.exec_driver_sql(f"CREATE ROLE {analyst} NOLOGIN")
            c.exec_driver_sql(f"ALTER DEFAULT PRIVILEGES IN SCHEMA audit GRANT SELECT ON TABLES TO {analyst}")
        setup_roles(postgres_url, analyst, pipe)
        setup_roles(postgres_url, analyst, pipe)  # idempotent
        audit.record_validation(postgres_url, "r1", DATASET, [
            {"expectation": "expect_column_values_to_be_null", "column": "masalah", "severity": "critical",
             "success": False, "unexpected_count": 1, "sample": [f"kecamatan '{SCRIPT}' tidak dikenal"]}])

        def as_analyst(sql):
            return as_role(engine, analyst, sql)

        assert as_analyst("SELECT run_id, dataset, pemeriksaan, kolom, tingkat, sukses, jumlah_gagal, "
                          "diperiksa_pada FROM audit.hasil_validasi")[0][:7] == (
            "r1", DATASET, "expect_column_values_to_be_null", "masalah", "critical", False, 1)
        assert as_analyst("SELECT COUNT(status) FROM audit.load_log") == [(0,)]
        assert as_analyst("SELECT MAX(versi) FROM audit.schema_version")[0][0] >= 1
        for sql in ("SELECT contoh FROM audit.hasil_validasi", "SELECT * FROM audit.hasil_validasi",
                    "SELECT pesan FROM audit.load_log"):
            with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
                as_analyst(sql)
        # A table created later in audit (a migration rebuilding it) is not opened by default privileges.
        with engine.begin() as c:
            c.exec_driver_sql("CREATE TABLE audit.hasil_validasi_baru AS SELECT * FROM audit.hasil_validasi")
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
            as_analyst("SELECT contoh FROM audit.hasil_validasi_baru")
        setup_roles(postgres_url, analyst, pipe)  # the next `walidata peran` opens it, without its samples
        assert as_analyst("SELECT run_id FROM audit.hasil_validasi_baru") == [("r1",)]
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
            as_analyst("SELECT contoh FROM audit.hasil_validasi_baru")
    finally:
        engine.dispose()
        drop_database_and_roles(postgres_url, (analyst, pipe))



def test_the_terminal_never_gets_raw_control_characters(capsys):
    """Whatever a command prints (a path, a message quoting a file) passes the escaper: no ESC, BEL, NUL or CR."""
    from walidata import cli

    rc = cli.main(["check", "/tmp/tidak_ada\x1b[2J\x07\r.xlsx", "--dataset", "disdukcapil.penduduk_kecamatan"])
    err = capsys.readouterr().err
    assert rc == 2 and "tidak_ada\\x1b[2J\\x07\\x0d.xlsx: tidak ditemukan" in err
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", err)
