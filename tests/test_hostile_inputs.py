"""Hostile inputs from the people who write the catalog and the indicators (issue 21): what they write is read,
shown and run, never trusted.

- a YAML alias bomb ("billion laughs") in a catalog entry is refused by `walidata catalog` and by a run, with a
  message naming the file; a catalog file over the size limit is refused unread;
- HTML and Markdown in catalog texts reach the data dictionary (kamus_data.md) as text, rendered by a real
  Markdown renderer (markdown-it-py, HTML allowed) without a tag of theirs;
- Slack/Teams mention syntax in a file name or message reaches a real webhook receiver (pytest-httpserver)
  neutralised;
- an indicator's SQL cannot read server files: DuckDB with external access off (a real warehouse file, the
  indicators still computing), PostgreSQL (a real server) as a role without file rights, read-only.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
import yaml

from conftest import DATASET, ROOT, query

ENTRY = Path("disdukcapil") / "penduduk_kecamatan.yaml"
KWARGS = "    kwargs: {column: nilai, min_value: 0, max_value: 1000000}\n"


def catalog_copy(tmp_path: Path, monkeypatch) -> Path:
    """A copy of the bundled catalog that the settings (and the CLI) read."""
    folder = tmp_path / "katalog"
    shutil.copytree(ROOT / "include" / "catalog", folder)
    monkeypatch.setenv("WALIDATA_CATALOG", str(folder))
    return folder


def alias_bomb(levels: int, width: int = 9) -> str:
    """`pemeriksaan[0].kwargs` holding a billion-laughs tree: width ** levels strings from a few lines."""
    lines = ["    kwargs:", "      column: nilai", "      min_value: 0", "      max_value: 1000000", "      catatan:",
             f"        a0: &a0 [{', '.join(['lol'] * width)}]"]
    lines += [f"        a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def plant_bomb(catalog: Path, levels: int) -> Path:
    path = catalog / ENTRY
    text = path.read_text(encoding="utf-8")
    assert KWARGS in text
    path.write_text(text.replace(KWARGS, alias_bomb(levels)), encoding="utf-8")
    return path


def test_an_alias_bomb_in_kwargs_is_a_catalog_error_naming_the_file(tmp_path, monkeypatch, capsys):
    """Nine levels of nine: 387 million strings if expanded. `walidata catalog` lists it as invalid, at once."""
    from walidata import cli

    catalog = catalog_copy(tmp_path, monkeypatch)
    path = plant_bomb(catalog, levels=9)
    t0 = time.monotonic()
    assert cli.main(["catalog"]) == 1
    err = capsys.readouterr().err
    assert time.monotonic() - t0 < 30
    line = next(ln for ln in err.splitlines() if "penduduk_kecamatan" in ln)
    assert line.startswith("INVALID opd__disdukcapil__penduduk_kecamatan: ")
    assert str(path) in line and "baris" in line and "anchor/alias YAML" in line and "billion laughs" in line
    assert err.count("INVALID") == 1  # the other datasets stand


def test_an_alias_bomb_stops_a_run_with_a_clear_message_before_anything_is_written(sandbox, tmp_path, monkeypatch):
    """The run refuses the entry when it reads it: a message that names the file and says why (the attacker saw an
    empty MemoryError), and an audit row `gagal_katalog` with it; nothing else changed."""
    from walidata.pipeline import run_dataset
    from walidata.settings import get_settings

    catalog = catalog_copy(tmp_path, monkeypatch)
    path = plant_bomb(catalog, levels=6)
    settings = get_settings()
    with pytest.raises(ValueError) as info:
        run_dataset(DATASET, "r-bom", settings)
    msg = str(info.value)
    assert msg.startswith(f"{path}: baris ") and "anchor/alias YAML (&nama, *nama) tidak diizinkan" in msg
    (status, pesan), = query(settings.warehouse_url, "SELECT status, pesan FROM audit.load_log WHERE run_id = 'r-bom'")
    assert status == "gagal_katalog" and "entri katalog ditolak" in pesan and "anchor/alias YAML" in pesan
    assert not (Path(settings.lake) / "raw").exists() or not any((Path(settings.lake) / "raw").rglob("*.xlsx"))


def test_an_alias_in_an_indicator_declaration_is_refused_too(tmp_path):
    from walidata.serve.indikator.spec import IndikatorError, load_indikator

    root = tmp_path / "indikator"
    shutil.copytree(ROOT / "include" / "indikator", root)
    y = root / "marts" / "living" / "kepadatan_penduduk.yaml"
    text = y.read_text(encoding="utf-8")
    assert "referensi: [ref.wilayah.luas_km2]" in text
    y.write_text(text.replace("referensi: [ref.wilayah.luas_km2]", "referensi: &r [ref.wilayah.luas_km2]\n"
                                                                   "sumber_lain: *r"), encoding="utf-8")
    with pytest.raises(IndikatorError, match=r"kepadatan_penduduk\.yaml: baris \d+: anchor/alias YAML"):
        load_indikator(root)


def test_a_catalog_file_over_the_size_limit_is_refused_unread(tmp_path, monkeypatch):
    """No alias, nothing odd but its size: 300 KiB of description (a catalog file is a few KiB)."""
    from walidata.catalog import load_catalog

    catalog = catalog_copy(tmp_path, monkeypatch)
    path = catalog / ENTRY
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["deskripsi"] = "Jumlah penduduk menurut kecamatan. " * 9000
    path.write_text(yaml.safe_dump(raw, allow_unicode=True, width=100), encoding="utf-8")
    assert path.stat().st_size > 256 * 1024  # catalog.MAX_YAML_BYTES
    datasets, errors = load_catalog(catalog)
    (e,), = [[e for e in errors if e.dag_id == "opd__disdukcapil__penduduk_kecamatan"]]
    assert e.message == (f"{path}: berkas katalog terlalu besar (lebih dari 256 KiB); ditolak tanpa dibaca, berkas "
                         f"katalog biasanya hanya beberapa KiB")
    assert DATASET not in {d.id for d in datasets} and len(datasets) >= 20


HOSTILE_TEXT = {
    "judul": "Penduduk <script>alert('judul')</script>",
    "deskripsi": "<img src=x onerror=alert(1)> lihat [di sini](javascript:alert(2)) dan <http://jahat.example>",
    "konsep": "Penduduk | kolom palsu | ![x](http://jahat.example/x.png)",
    "definisi": "<iframe src=//jahat.example></iframe>\n# judul palsu\n<b onmouseover=alert(3)>tebal</b> *miring*",
    "produsen_data": "`kode` <a href='javascript:alert(4)'>Dinas</a> &amp; <style>body{}</style>",
}


def test_catalog_html_and_markdown_reach_the_kamus_as_text(sandbox, tmp_path, monkeypatch):
    """Rendered with markdown-it-py (CommonMark + tables, raw HTML allowed, as a permissive renderer would): no
    tag, link, image or extra table cell of the catalog's, and every word still shown."""
    from markdown_it import MarkdownIt

    from walidata.serve import kamus
    from walidata.settings import get_settings

    catalog = catalog_copy(tmp_path, monkeypatch)
    path = catalog / ENTRY
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["judul"], raw["deskripsi"] = HOSTILE_TEXT["judul"], HOSTILE_TEXT["deskripsi"]
    for k in ("konsep", "definisi", "produsen_data"):
        raw["metadata"][k] = HOSTILE_TEXT[k]
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    out = kamus.write(get_settings(), tmp_path / "kamus_data.md")
    text = out.read_text(encoding="utf-8")
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(text)
    for tag in ("<script", "<img", "<iframe", "<style", "<a ", "<b ", "<em>miring", "<code>kode"):
        assert tag not in html, tag
    assert 'href="javascript' not in html and 'src="http://jahat' not in html and "<h1>judul palsu" not in html
    assert "&lt;script&gt;alert(" in html and "onerror=alert(1)&gt;" in html and "*miring*" in html
    row = next(ln for ln in html.split("<tr>") if "<td>konsep</td>" in ln and "Penduduk" in ln)
    assert row.count("<td>") == 2 and "Penduduk | kolom palsu |" in row  # the pipes are text, not cells


MENTIONS = "<!channel> <!here> <!everyone> <@U123ABC> <!subteam^S1> @channel @here @everyone <at>Semua</at>"


def _posted(httpserver) -> dict:
    (req, _), = httpserver.log
    return json.loads(req.get_data())


def _assert_neutral(value: str) -> None:
    for raw in ("<!", "<@", "<at>", "@channel", "@here", "@everyone", "<http"):
        assert raw not in value, (raw, value)
    assert "<" not in value and ">" not in value


def test_mentions_in_a_webhook_alert_reach_the_receiver_neutralised(httpserver, monkeypatch):
    """Every field and the text: `<`, `>`, `&` as Slack asks (&lt; &gt; &amp;), '@' as '＠' (U+FF20)."""
    from walidata.serve.pemberitahuan import Pemberitahuan, kirim
    from walidata.settings import get_settings

    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    monkeypatch.setenv("AIRFLOW_CONN_UJI_HOOK", json.dumps({"conn_type": "http", "host": httpserver.url_for("/hook")}))
    p = Pemberitahuan("tugas_gagal", f"disdukcapil.x {MENTIONS}", "disdukcapil <!here>",
                      f"file <!channel>.xlsx: {MENTIONS} <http://jahat.example|klik> a & b", "http://x/log?a=1&b=2")
    assert kirim(p, get_settings(peringatan_webhook="uji_hook")) == ["webhook"]
    got = _posted(httpserver)
    for key in ("text", "dataset", "opd", "pesan", "tautan_log"):
        _assert_neutral(got[key])
    assert "file &lt;!channel&gt;.xlsx" in got["text"] and "\uff20channel \uff20here \uff20everyone" in got["text"]
    assert "&lt;＠U123ABC&gt;" in got["pesan"] and "a &amp; b" in got["pesan"]
    assert got["tautan_log"] == "http://x/log?a=1&amp;b=2"  # Slack's own escaping: it shows '&'


def test_a_failed_task_naming_a_hostile_file_alerts_without_a_mention(httpserver, monkeypatch):
    """The on_failure_callback path: the file name comes in through the exception's message."""
    from walidata.serve.pemberitahuan import saat_gagal

    httpserver.expect_request("/hook", method="POST").respond_with_data("ok")
    monkeypatch.setenv("AIRFLOW_CONN_UJI_HOOK", json.dumps({"conn_type": "http", "host": httpserver.url_for("/hook")}))
    monkeypatch.setenv("WALIDATA_PERINGATAN_WEBHOOK", "uji_hook")
    ti = SimpleNamespace(task_id="extract", log_url="http://localhost:8080/log")
    exc = ValueError("inbox/disdukcapil/penduduk_kecamatan/<!channel> @here rekap.xlsx: bukan berkas xlsx")
    saat_gagal({"ti": ti, "dag": SimpleNamespace(dag_id="opd__disdukcapil__penduduk_kecamatan"), "exception": exc})
    got = _posted(httpserver)
    _assert_neutral(got["text"])
    assert "&lt;!channel&gt; \uff20here rekap.xlsx" in got["text"]


# --- indicator SQL ----------------------------------------------------------------------------------------------

KEPADATAN = Path("marts") / "living" / "kepadatan_penduduk.sql"


def indicator_copy(tmp_path: Path, sql: str | None = None) -> Path:
    root = tmp_path / f"indikator_{len(list(tmp_path.glob('indikator_*')))}"
    shutil.copytree(ROOT / "include" / "indikator", root)
    if sql is not None:
        (root / KEPADATAN).write_text(sql, encoding="utf-8")
    return root


def hostile_sql(value: str, extra_from: str = "") -> str:
    return (f"SELECT p.kode_wilayah, p.periode, {value} AS nilai\nFROM {{{{ masukan('penduduk') }}}} p{extra_from}\n"
            f"WHERE p.tingkat = 'kabupaten'\n")


def _kepadatan(url: str) -> list[tuple]:
    return query(url, "SELECT kode_wilayah, periode, nilai, status FROM mart.indikator_nilai "
                      "WHERE indikator = 'kepadatan_penduduk'")


DUCKDB_FILE_READS = {
    "read_text": hostile_sql("CAST(length(t.content) AS DOUBLE)", ", read_text('/etc/hostname') t"),
    "read_csv": hostile_sql("CAST(count(*) OVER () AS DOUBLE)", ", read_csv('/etc/passwd', header = false) t"),
    "glob": hostile_sql("CAST(length(t.file) AS DOUBLE)", ", glob('/etc/*') t"),
}


def test_indicator_sql_cannot_read_files_on_duckdb_and_the_indicators_still_compute(sandbox, tmp_path):
    """A real warehouse file: the hostile SQL is refused by DuckDB itself (external access off, locked), the run
    rolls back; the true SQL then computes on the same file."""
    from walidata.pipeline import run_dataset
    from walidata.serve.indikator.jalankan import jalankan

    run_dataset(DATASET, "r1", sandbox)
    url = sandbox.warehouse_url
    for name, sql in DUCKDB_FILE_READS.items():
        settings = sandbox.model_copy(update={"indikator": indicator_copy(tmp_path, sql)})
        with pytest.raises(sa.exc.DBAPIError, match="file system operations are disabled by configuration"):
            jalankan(settings, f"uji-{name}", hanya=["kepadatan_penduduk"], periksa=False)
        assert _kepadatan(url) == [], name
    settings = sandbox.model_copy(update={"indikator": indicator_copy(tmp_path)})
    jalankan(settings, "uji-benar", hanya=["kepadatan_penduduk"])
    cells = _kepadatan(url)
    assert any(s == "tersedia" and v and v > 0 for _, _, v, s in cells), cells


def test_the_duckdb_sandbox_refuses_files_and_attach_but_keeps_the_warehouse_file(tmp_path):
    """The connection-level setting itself, on a real DuckDB file: read_text, read_csv, COPY TO, ATTACH, INSTALL and
    setting it back are refused; the file's own tables read and write, and after the engine is gone a new
    connection to the file is not locked."""
    import duckdb

    from walidata.publish.warehouse import connect, engine_for, transaction
    from walidata.serve.indikator.kotak_pasir import Kotak

    url = f"duckdb:///{tmp_path / 'gudang.duckdb'}"
    (tmp_path / "a.csv").write_text("x\n1\n")
    with transaction(url) as conn:
        conn.exec_driver_sql("CREATE SCHEMA fact; CREATE TABLE fact.t (a INTEGER); INSERT INTO fact.t VALUES (1)")
    with engine_for(url) as engine, connect(engine) as conn:
        Kotak(conn)
        for sql in ("SELECT * FROM read_text('/etc/hostname')", f"SELECT * FROM read_csv('{tmp_path / 'a.csv'}')",
                    f"COPY fact.t TO '{tmp_path / 'bocor.csv'}'", f"ATTACH '{tmp_path / 'lain.duckdb'}' AS lain",
                    "INSTALL httpfs", "SET enable_external_access = true", "RESET enable_external_access",
                    "SET lock_configuration = false"):
            with pytest.raises(duckdb.Error, match="disabled by configuration|configuration has been locked"):
                conn.connection.driver_connection.execute(sql)  # straight to DuckDB, outside SQLAlchemy's text()
            conn.rollback()  # the refusal aborted the transaction; the settings are not transactional
        with conn.begin():
            conn.exec_driver_sql("INSERT INTO fact.t VALUES (2)")
            conn.exec_driver_sql("CREATE TEMPORARY TABLE tmp AS SELECT 3 AS a")
            both = "SELECT sum(a) FROM (SELECT a FROM fact.t UNION ALL SELECT a FROM tmp)"
            assert conn.exec_driver_sql(both).scalar() == 6
    assert not (tmp_path / "bocor.csv").exists() and not (tmp_path / "lain.duckdb").exists()
    assert query(url, "SELECT a FROM fact.t ORDER BY a") == [(1,), (2,)]
    assert query(url, f"SELECT * FROM read_csv('{tmp_path / 'a.csv'}')") == [(1,)]  # the lock ended with the run


PG_ATTACKS = {
    "pg_read_file": (hostile_sql("CAST(length(pg_read_file('/etc/hostname')) AS double precision)"),
                     "permission denied for function pg_read_file"),
    "lo_import": (hostile_sql("CAST(CAST(lo_import('/etc/hostname') AS bigint) AS double precision)"),
                  "permission denied for function lo_import"),
    "pg_ls_dir": (hostile_sql("CAST(t.n AS double precision)", ", (SELECT count(*) AS n FROM pg_ls_dir('/')) t"),
                  "permission denied for function pg_ls_dir"),
    # back to the session's superuser, then a file read in a query the server parses at run time
    "set_role": (hostile_sql("CAST(length(set_config('role', 'postgres', true) || CAST(query_to_xml("
                             "'SELECT pg_read_file(''/etc/hostname'')', true, false, '') AS text)) "
                             "AS double precision)"),
                 'cannot set parameter "role" within security-definer function'),
}


@pytest.mark.postgres
def test_indicator_sql_cannot_read_server_files_on_postgresql(sandbox, postgres_url, monkeypatch, tmp_path):
    """The tests connect as the superuser postgres, who may read any server file: the indicator SQL runs as
    walidata_indikator_sql (no file rights) in a read-only savepoint, and cannot switch back."""
    from walidata.pipeline import run_dataset
    from walidata.serve.indikator.jalankan import jalankan
    from walidata.serve.indikator.spec import IndikatorError
    from walidata.settings import get_settings

    monkeypatch.setenv("WALIDATA_WAREHOUSE_URL", postgres_url)
    settings = get_settings()
    run_dataset(DATASET, "r1", settings)
    for name, (sql, refusal) in PG_ATTACKS.items():
        s = settings.model_copy(update={"indikator": indicator_copy(tmp_path, sql)})
        with pytest.raises(sa.exc.DBAPIError, match=refusal):
            jalankan(s, f"uji-{name}", hanya=["kepadatan_penduduk"], periksa=False)
        assert _kepadatan(postgres_url) == [], name
    copy_sql = f"COPY (SELECT * FROM {{{{ masukan('penduduk') }}}}) TO '{tmp_path / 'bocor.csv'}'\n"
    with pytest.raises(IndikatorError, match=r"kepadatan_penduduk\.sql: one SELECT \(or WITH … SELECT\) only"):
        jalankan(settings.model_copy(update={"indikator": indicator_copy(tmp_path, copy_sql)}), "uji-copy")
    jalankan(settings.model_copy(update={"indikator": indicator_copy(tmp_path)}), "uji-benar",
             hanya=["kepadatan_penduduk"])
    assert any(s == "tersedia" and v and v > 0 for _, _, v, s in _kepadatan(postgres_url))
    role = query(postgres_url, "SELECT rolsuper, rolcanlogin FROM pg_roles WHERE rolname = 'walidata_indikator_sql'")
    assert role == [(False, False)]


@pytest.mark.postgres
def test_a_warehouse_user_without_file_rights_runs_indicator_sql_as_itself_read_only(sandbox, postgres_url,
                                                                                     monkeypatch, tmp_path):
    """Production's pipeline role is no superuser: no sandbox role is needed (it cannot read server files), the
    SQL runs as that user in a read-only savepoint; a write through the SQL is refused, the true SQL computes."""
    import uuid

    from conftest import drop_database_and_roles
    from walidata.pipeline import run_dataset
    from walidata.serve.indikator.jalankan import jalankan
    from walidata.settings import get_settings

    owner = f"walidata_uji_pemilik_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as c:
        c.exec_driver_sql(f"CREATE ROLE {owner} LOGIN")
        c.exec_driver_sql(f'ALTER DATABASE "{postgres_url.rsplit("/", 1)[1]}" OWNER TO {owner}')
        c.exec_driver_sql(f"ALTER SCHEMA public OWNER TO {owner}")
    admin.dispose()
    url = postgres_url.replace("postgres@", f"{owner}@", 1)
    try:
        monkeypatch.setenv("WALIDATA_WAREHOUSE_URL", url)
        settings = get_settings()
        run_dataset(DATASET, "r1", settings)
        attacks = {"pg_read_file": (PG_ATTACKS["pg_read_file"][0], "permission denied for function pg_read_file"),
                   "tulis": (hostile_sql("CAST(nextval('public.urutan') AS double precision)"),
                             "cannot execute nextval\\(\\) in a read-only transaction")}
        eng = sa.create_engine(url, poolclass=sa.pool.NullPool)
        with eng.begin() as c:
            c.exec_driver_sql("CREATE SEQUENCE public.urutan")
        eng.dispose()
        for name, (sql, refusal) in attacks.items():
            s = settings.model_copy(update={"indikator": indicator_copy(tmp_path, sql)})
            with pytest.raises(sa.exc.DBAPIError, match=refusal):
                jalankan(s, f"uji-{name}", hanya=["kepadatan_penduduk"], periksa=False)
        assert query(url, "SELECT last_value, is_called FROM public.urutan") == [(1, False)]
        jalankan(settings.model_copy(update={"indikator": indicator_copy(tmp_path)}), "uji-benar",
                 hanya=["kepadatan_penduduk"])
        assert any(s == "tersedia" and v and v > 0 for _, _, v, s in _kepadatan(url))
    finally:
        drop_database_and_roles(postgres_url, [owner])
