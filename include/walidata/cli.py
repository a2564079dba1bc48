"""`walidata` console script: the nightly run through Airflow, single runs, summaries."""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import logging
import os
import re
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from walidata.catalog import load_catalog
from walidata.settings import SettingsError, get_settings


def _table(headers: list[str], rows: list[list]) -> str:
    cells = [[str(h) for h in headers]] + [["" if v is None else str(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def fmt(r: list[str]) -> str:
        return "  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths, strict=True)))

    return "\n".join([fmt(cells[0]), "  ".join("-" * w for w in widths), *(fmt(r) for r in cells[1:])])


def latest_loads(since: dt.datetime | None = None) -> list[dict]:
    """The newest audit.load_log row per dataset (optionally only rows finished after `since`)."""
    import sqlalchemy as sa

    from walidata.publish import audit, warehouse

    settings = get_settings()
    with warehouse.engine_for(settings.warehouse_url) as engine, warehouse.connect(engine) as conn:
        if not sa.inspect(conn).has_table("load_log", schema="audit"):
            return []
        q = sa.select(audit.load_log(conn)).order_by(sa.column("selesai"))
        if since is not None:
            q = q.where(sa.column("selesai") >= since)
        rows = [dict(r._mapping) for r in conn.execute(q)]
    last_run = {r["dataset"]: r["run_id"] for r in rows}  # a run of several regions leaves a row per outcome
    latest = [r for r in rows if r["run_id"] == last_run[r["dataset"]]]
    return sorted(latest, key=lambda r: (r["dataset"], r["status"] != "dimuat", r.get("wilayah") or ""))


def _wilayah_text(units: str | None) -> str:
    """The regions of an audit row, short: '62.06', '62.01, 62.06', or '14 kab/kota (62.01–62.71)'."""
    codes = [u.strip() for u in (units or "").split(",") if u.strip()]
    return ", ".join(codes) if len(codes) <= 3 else f"{len(codes)} kab/kota ({codes[0]}–{codes[-1]})"


def _akuntansi_lines(rows: list[dict]) -> list[str]:
    """Each dataset's source rows by class (audit.load_log.akuntansi): nothing read was dropped unsaid."""
    import json

    from walidata.standardise.records import akun_text

    lines = [f"  {r['dataset']}: {akun_text(json.loads(r['akuntansi']))}" for r in rows if r.get("akuntansi")]
    return ["baris sumber (setiap baris terisi dalam satu kelas):", *lines, ""] if lines else []


def summary_text(rows: list[dict], skipped: dict[str, str] | None = None) -> str:
    settings = get_settings()
    body = [[r["dataset"], _wilayah_text(r.get("wilayah")), r["status"], r["baris_dibaca"], r["baris_dimuat"],
             r["baris_ditolak"], r.get("baris_disisihkan") or 0, r.get("baris_dipertahankan") or 0,
             r["hasil_validasi"]] for r in rows]
    for ds, why in (skipped or {}).items():
        body.append([ds, "", why, "", "", "", "", "", ""])
    out = [_table(["dataset", "wilayah", "status", "dibaca", "dimuat", "ditolak", "disisihkan", "dipertahankan",
                   "validasi"], body), ""]
    if any(v == "dilewati" for v in (skipped or {}).values()):
        out += ["dilewati = tidak ada file baru di inbox (yang sama sudah dimuat); `walidata nightly --paksa` "
                "memuat ulang", ""]
    if any(r.get("baris_dipertahankan") for r in rows):
        out += ["dipertahankan = angka yang sudah terbit dan tetap berlaku karena barisnya ditolak di muatan ini "
                "(muat sebagian): perbaiki baris itu lalu kirim ulang", ""]
    if any(r.get("baris_disisihkan") for r in rows):
        out += ["disisihkan = baris milik wilayah lain (file nasional/provinsi): dihitung, tidak dimuat", ""]
    out += _akuntansi_lines(rows)
    out += [f"gudang data : {settings.redacted_url()}", f"lake        : {settings.lake}"]
    for r in rows:
        out.append(f"Data Docs   : {r['dataset']}: {r['data_docs']}")
        if r.get("karantina"):
            out.append(f"karantina   : {r['dataset']}: {r['karantina']}")
    return "\n".join(out)


def cmd_nightly(args) -> int:
    """Every catalog DAG through Airflow (one Airflow process, `dag.test()` per DAG), then the summary. A dataset
    whose inbox holds only files already published starts no DAG run (the run would skip at extract)."""
    settings = get_settings()
    datasets, errors = load_catalog(settings.catalog)
    for e in errors:
        print(f"catalog error: {e.message}", file=sys.stderr)
    from walidata.publish import schema, warehouse

    with warehouse.transaction(settings.warehouse_url) as conn:  # schema migrations are applied at start
        schema.ensure_schema(conn)
    logdir = Path(os.environ.get("AIRFLOW_HOME", settings.home / ".airflow")) / "logs" / "nightly"
    logdir.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    ran = [ds for ds in datasets if not args.dataset or ds.id in args.dataset]
    idle = set() if args.paksa else {ds.id for ds in ran if _nothing_new(settings, ds)}
    for ds_id in sorted(idle):
        print(f"  · {ds_id}  (tidak ada file baru: DAG tidak dijalankan)", flush=True)
    todo = {ds.dag_id: ds.id for ds in ran if ds.id not in idle}
    runs = _airflow_nightly(todo, logdir, args.paksa, indikator=not args.dataset) if todo else {}
    failed = [ds.id for ds in ran if ds.dag_id in todo and runs.get(ds.dag_id, {}).get("state") != "success"]
    indikator_ok = runs.get("smart_city_indicators", {}).get("state", "success") == "success"
    rows = latest_loads(since=started)
    landed = {r["dataset"] for r in rows}
    others = {ds.id: ("gagal" if ds.id in failed else "dilewati") for ds in ran if ds.id not in landed}
    print()
    print(summary_text(rows, others))
    _nightly_footer(settings, changed=bool(rows) or args.paksa, indikator=not args.dataset)
    return 1 if failed or errors or not indikator_ok or "" in runs else 0


def _nightly_footer(settings, changed: bool, indikator: bool) -> None:
    """The data dictionary, the Data Docs index and the indicators; the first two are rebuilt only when something
    landed (or they do not exist yet): with nothing new they are what the last run wrote."""
    from walidata.serve import kamus

    kamus_md = settings.lake.parent / "kamus_data.md"  # kamus.write's default
    index = Path(settings.gx_root) / "uncommitted" / "data_docs" / "local_site" / "index.html"
    print(f"kamus data  : {kamus.write(settings) if changed or not kamus_md.exists() else kamus_md}")
    print(f"data docs   : {_data_docs_index(settings) if changed or not index.exists() else index}")
    if indikator:
        print(indikator_text(settings))


def _nothing_new(settings, ds) -> bool:
    """True when a spreadsheet dataset's inbox holds files and each was already published for every region in
    scope: extract would find nothing new. Conservative (any doubt runs the DAG, whose extract decides); nothing is
    copied. API sources are always asked, through their DAG."""
    if ds.sumber.kind != "spreadsheet":
        return False
    from walidata.publish import audit
    from walidata.sources import inbox

    try:
        scope = settings.daftar_kabkota
        files = inbox.find_region_files(settings.inbox_location, ds, scope)
        per = audit.published_sha256_per_wilayah(settings.warehouse_url, ds.id, scope)
        shared = set.intersection(*per.values())  # a shared file: published for every region in scope
        fs, _ = inbox._fs(settings.inbox_location)
        nothing = bool(files) and all(inbox._sha256(fs, src) in (per[reg] if reg else shared) for src, reg in files)
    except Exception:  # noqa: BLE001 (no files, an unreadable inbox…: the DAG run says why)
        return False
    if nothing:  # no DAG run tonight: the extract's first step still runs, a crashed publish is mended now
        from walidata.publish import journal

        for note in journal.reconcile(settings, ds):
            print(f"  {ds.id}: {note}", flush=True)
    return nothing


def _airflow_nightly(dags: dict[str, str], logdir: Path, paksa: bool, indikator: bool) -> dict[str, dict]:
    """The DAGs (dag_id: dataset) through ONE Airflow process (walidata.worker): a DAG run each in the metadata
    DB, task logs where the UI reads them. Each DAG's outcome by dag_id (key "" if the process itself failed)."""
    import json

    dag_ids = list(dags)
    cmd = [sys.executable, "-m", "walidata.worker", "--logdir", str(logdir), *dag_ids]
    cmd += ["--paksa"] * paksa + ["--indikator"] * indikator
    env = {**os.environ, "WALIDATA_RETRIES": os.environ.get("WALIDATA_RETRIES", "0")}
    runs: dict[str, dict] = {}
    print(f"→ Airflow: {len(dag_ids)} DAG dalam satu proses (dag.test); log per DAG: {logdir}/<dag_id>.log",
          flush=True)
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env) as proc:
        for line in proc.stdout:
            msg = json.loads(line)
            if "mulai" in msg:
                continue
            runs[msg["dag_id"]] = msg
            _report_dag(msg, dags.get(msg["dag_id"], msg["dag_id"]), logdir / f"{msg['dag_id']}.log")
    if proc.returncode != 0:
        print(f"  ✗ the Airflow process failed (exit {proc.returncode})", file=sys.stderr)
        runs[""] = {"state": "failed"}
    return runs


def _report_dag(msg: dict, name: str, logfile: Path) -> None:
    """One line per DAG run; a failed one with the task's own error on stderr."""
    if msg["state"] == "success":
        nothing_new = msg["tugas"].get("publish") == "skipped"
        print(f"  ✓ {name}" + ("  (tidak ada file baru)" if nothing_new else ""), flush=True)
        return
    print(f"  ✗ {msg['dag_id']}: the DAG run failed ({msg['state']}); full log: {logfile}", file=sys.stderr)
    text = logfile.read_text(errors="replace").splitlines() if logfile.exists() else []
    # The task's own error, as raised (AirflowFailException carries the Walidata message).
    start = next((i for i, ln in enumerate(text) if "AirflowFailException:" in ln or "Error:" in ln), None)
    shown = text[-15:] if start is None else [text[start]] + list(
        itertools.takewhile(lambda ln: not re.match(r"^\d{4}-\d{2}-\d{2}T", ln), text[start + 1:start + 40]))
    for ln in shown:
        print("    " + ln[:400], file=sys.stderr)


def indikator_text(settings, ringkasan=None) -> str:
    """The indicators in force by status, and where the report and the open data are."""
    import sqlalchemy as sa

    from walidata.publish.warehouse import connect, engine_for

    with engine_for(settings.warehouse_url) as engine, connect(engine) as conn:
        rows = conn.execute(sa.text(
            "SELECT i.dimensi, COUNT(DISTINCT i.kode), SUM(CASE WHEN n.status = 'tersedia' THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN n.status <> 'tersedia' THEN 1 ELSE 0 END) FROM ref.indikator i LEFT JOIN "
            "mart.indikator_nilai n ON n.indikator = i.kode GROUP BY i.dimensi ORDER BY i.dimensi")).all()
    out = ["", _table(["dimensi", "indikator", "nilai tersedia", "tanpa nilai"], [list(r) for r in rows])]
    if ringkasan is not None:
        out.append(f"dihitung ulang: {len(ringkasan.dihitung)} indikator; tidak berubah: {len(ringkasan.dilewati)}; "
                   f"baris mart berubah: {ringkasan.baris_berubah}; validasi mart: {ringkasan.validasi or '-'}")
    out += [f"laporan     : {settings.laporan / 'index.html'}", f"data terbuka: {settings.terbuka}"]
    return "\n".join(out)


def _data_docs_index(settings) -> Path:
    from walidata.validate.suite import rebuild_index

    return rebuild_index(settings.gx_root)


def cmd_run(args) -> int:
    """One dataset through the four stages in this process, without Airflow."""
    from walidata.pipeline import new_run_id, run_dataset
    from walidata.sources.inbox import NoSourceFiles

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    datasets, _ = load_catalog(settings.catalog)
    ids = args.dataset or [d.id for d in datasets]
    started = dt.datetime.now(dt.UTC)
    run_id = new_run_id("cli")
    rc = 0
    for ds_id in ids:
        try:
            run_dataset(ds_id, run_id, settings, args.paksa, args.replay)
        except NoSourceFiles as exc:
            print(f"– {ds_id}: skipped, {exc}")
        except Exception as exc:  # report and go on with the other datasets
            print(f"✗ {ds_id}: {exc}", file=sys.stderr)
            rc = 1
    print(summary_text(latest_loads(since=started)))
    print(f"data docs   : {_data_docs_index(settings)}")
    return rc


CHECK_LINES = 40  # console lines per checked file at most; the full list goes into the feedback workbook
SHEET_LINES = 4  # per sheet: its header and columns, other columns, rows skipped, footer
FAILED_CHECKS = 8  # failed expectations listed one per line


def cmd_check(args) -> int:
    """Read one file with the pipeline's own standardise and validate stages; publish nothing, write no audit.
    The console gets at most CHECK_LINES lines for the file; the feedback workbook every problem."""
    from walidata.catalog import get_dataset
    from walidata.sources.privacy import clean_text, nik_prefixes
    from walidata.sources.spreadsheet import SourceError
    from walidata.standardise.records import standardise_files
    from walidata.standardise.reference import IndeksWilayah

    logging.getLogger("great_expectations").setLevel(logging.WARNING)  # no INFO noise between the lines below
    settings = get_settings()
    try:
        ds = get_dataset(settings.catalog, args.dataset)
    except (KeyError, ValueError) as exc:
        print(f"dataset: {exc}", file=sys.stderr)
        return 2
    path = Path(args.file)
    if not path.is_file():
        print(f"file {path}: tidak ditemukan", file=sys.stderr)
        return 2
    kode = args.wilayah or settings.kabkota_tunggal
    if kode not in settings.daftar_kabkota:
        print(f"--wilayah: give the kabupaten/kota whose file this is, one of {', '.join(settings.daftar_kabkota)} "
              f"(WALIDATA_WILAYAH={settings.wilayah} holds {len(settings.daftar_kabkota)})", file=sys.stderr)
        return 2
    wilayah = IndeksWilayah(settings.reference, kode)
    print(f"File      : {clean_text(str(path), nik_prefixes(settings.reference))}")
    print(f"Dataset   : {ds.id} — {ds.judul} ({wilayah.kabupaten.nama}, {wilayah.kode})")
    try:
        out = standardise_files(ds, [(path, path.name)], wilayah)
    except SourceError as exc:
        print(f"\nTIDAK TERBACA: {exc}")
        return 2
    lines = _sheet_lines(out.lineage)
    print("\n".join(lines))
    return _check_outcome(args, settings, ds, wilayah, path, out, used=2 + len(lines))


def _sheet_lines(lineage: list[dict]) -> list[str]:
    """What the reader found in each sheet, a few lines each (header and columns, other columns, rows skipped,
    footer), and no more than three sheets' worth in all: the rest is counted."""
    from walidata.validate.umpan_balik import ribuan

    lines: list[str] = []
    for n, item in enumerate(lineage):
        if len(lines) + SHEET_LINES > 3 * SHEET_LINES:
            lines.append(f"… dan {len(lineage) - n} sheet lain dengan susunan serupa")
            break
        cols = ", ".join(f"{k}={c}" for k, c in (item.get("kolom") or {}).items())
        lines.append(f"Sheet '{item['sumber_sheet']}': baris header {item['baris_header']}"
                     + (f"; kolom {cols}" if cols else ""))
        if extra := item["kolom_lain"]:
            lines.append("  kolom lain (diabaikan): " + (f"{ribuan(len(extra))} kolom: " if len(extra) > 1 else "")
                         + _few(extra, 4))
        if skipped := item["baris_dilewati"]:
            lines.append(f"  dilewati: {ribuan(len(skipped))} baris: {_skipped_by_reason(skipped)}")
        if notes := item["catatan"]:
            lines.append(f"  catatan kaki: {ribuan(len(notes))} baris, mis. {_short(notes[0])}")
    return lines


def _few(items: list[str], limit: int) -> str:
    return ", ".join(items[:limit]) + (f" … dan {len(items) - limit} lagi" if len(items) > limit else "")


def _short(text: str, width: int = 70) -> str:
    return repr(text if len(text) <= width else text[:width - 1] + "…")


def _skipped_by_reason(skipped: list[str]) -> str:
    """'baris 6: baris nomor kolom', 'baris 22: catatan kaki', … → 'baris nomor kolom (baris 6); catatan kaki
    (baris 22–23)': the lineage's lines of skipped rows, one group per reason with its rows."""
    from walidata.validate.umpan_balik import row_ranges

    by_reason: dict[str, list[int]] = {}
    for line in skipped:
        m = re.match(r"baris (\d+): (.*)$", line)
        by_reason.setdefault(m.group(2) if m else line, []).extend([int(m.group(1))] if m else [])
    parts = [f"{why} (baris {row_ranges(rows)})" if rows else why for why, rows in by_reason.items()]
    return "; ".join(parts[:4]) + (f"; … dan {len(parts) - 4} alasan lain" if len(parts) > 4 else "")


def _akun_line(akun: dict | None) -> str | None:
    """'baris: 120 = 95 rekaman + 3 masalah + 10 disisihkan + 2 total + 10 bukan data (judul 2, header 1,
    catatan 7)': every non-empty source row in exactly one class (standardise's row accounting), when it is given."""
    from walidata.validate.umpan_balik import ribuan

    if not akun:
        return None
    parts = [f"{ribuan(akun.get('rekaman', 0))} rekaman"]
    parts += [f"{ribuan(akun[k])} {k}" for k in ("masalah", "disisihkan", "total") if akun.get(k)]
    if nd := akun.get("bukan_data"):
        parts.append(f"{ribuan(sum(nd.values()))} bukan data ("
                     + ", ".join(f"{why.replace('_', ' ')} {ribuan(n)}" for why, n in nd.items()) + ")")
    return f"baris: {ribuan(akun.get('baris', 0))} = " + " + ".join(parts)


def _check_outcome(args, settings, ds, wilayah, path, out, used: int = 0) -> int:
    from walidata.standardise.records import set_aside_summary
    from walidata.validate.umpan_balik import group

    frame = out.frame()
    periods = sorted(set(frame["periode"].dropna()))
    lines = [f"Rekaman   : {len(frame)} ({frame['masalah'].notna().sum()} bermasalah); periode: {', '.join(periods)}"]
    akun = getattr(out, "akuntansi", None)  # standardise's row accounting, where it gives one
    if line := _akun_line(akun):
        lines.append(line)
    if out.lain.num_rows:
        lines.append(f"Disisihkan: {out.lain.num_rows} baris milik wilayah lain, tidak dimuat "
                     f"({set_aside_summary(out.lain)})")
    print("\n".join(lines))
    outcome = _validate_quietly(settings, ds, wilayah, out, frame)
    checks = _check_lines(outcome)
    print("\n".join(checks))
    used += len(lines) + len(checks)
    if outcome.problems:
        report = Path(args.laporan) if args.laporan else Path.cwd() / f"{path.stem}__masalah.xlsx"
        written = _write_report(report, ds, outcome, akun)
        shown = group(outcome.problems)
        print(f"\nMasalah ({len(outcome.problems)}, {len(shown)} jenis):")
        room = max(CHECK_LINES - used - 5, 3)  # the heading, the workbook, the verdict and their blank lines
        if len(shown) > room:
            rest = f"lihat {written}" if written else "daftar lengkap tidak dapat ditulis (pakai --laporan PATH)"
            shown = [*shown[:room - 1], f"… {len(shown) - room + 1} masalah lain: {rest}"]
        print("\n".join(f"  {line}" for line in shown))
        if written:
            print(f"Daftar lengkap: {written}")
    if outcome.success and not outcome.rejected:
        print("\nHasil     : BERSIH — file siap dikirim" + (" (dengan peringatan)" if not all(
            r["success"] for r in outcome.results) else ""))
        return 0
    print("\nHasil     : ADA MASALAH — perbaiki lalu periksa lagi")
    return 1


def _validate_quietly(settings, ds, wilayah, out, frame):
    """The pipeline's validation on a throwaway copy of the GX context (nothing stored, no Data Docs kept)."""
    import shutil
    import tempfile

    from walidata.validate.outcome import validate

    with tempfile.TemporaryDirectory(prefix="walidata-check-") as tmp:
        gx_root = Path(tmp) / "gx"
        shutil.copytree(settings.gx_root, gx_root, ignore=shutil.ignore_patterns("uncommitted"))
        return validate(ds, frame, out.totals.to_pandas(), wilayah, gx_root, "check",
                        warehouse_url=settings.warehouse_url)


def _check_lines(outcome) -> list[str]:
    """The verdict per expectation: how many passed, and the failed ones (a few, then a count)."""
    from walidata.problems import LABEL

    failed = [r for r in outcome.results if not r["success"]]
    lines = [f"Pemeriksaan: {len(outcome.results) - len(failed)} dari {len(outcome.results)} lulus"]
    for r in failed[:FAILED_CHECKS]:
        lines.append(f"  ✗ {r['expectation']} ({r['column'] or 'tabel'}, {LABEL.get(r['severity'], r['severity'])}): "
                     f"{r['unexpected_count']} gagal")
    if len(failed) > FAILED_CHECKS:
        lines.append(f"  … dan {len(failed) - FAILED_CHECKS} pemeriksaan lain gagal")
    return lines


def _write_report(report: Path, ds, outcome, akun: dict | None) -> Path | None:
    """The feedback workbook where the officer runs the check (or --laporan), never beside the file in the inbox."""
    from walidata.validate.umpan_balik import write_workbook

    try:
        extra = {"akuntansi": akun} if akun else {}  # the summary sheet counts the rows too, where it can
        return report.resolve() if write_workbook(report, ds, outcome, "check", **extra) else None
    except OSError as exc:
        print(f"Daftar lengkap tidak dapat ditulis ke {report}: {exc} (pakai --laporan PATH)")
        return None


def cmd_peran(args) -> int:
    """PostgreSQL roles for the pipeline and the analysts (idempotent)."""
    from walidata.publish.access import setup_roles

    settings = get_settings()
    try:
        setup_roles(settings.warehouse_url, args.analis, args.pipeline)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(f"roles ready on {settings.redacted_url()}: {args.analis} (read ref, fact, mart, audit), "
          f"{args.pipeline} (write)")
    return 0


def cmd_indikator(args) -> int:
    """The Smart City indicators in this process, without Airflow: compute, export, report."""
    from walidata.pipeline import new_run_id
    from walidata.serve.indikator import ekspor, laporan
    from walidata.serve.indikator.jalankan import jalankan
    from walidata.serve.indikator.spec import IndikatorError
    from walidata.serve.indikator.validasi import MartGagal

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    try:
        r = jalankan(settings, new_run_id("cli"), paksa=args.paksa, hanya=args.indikator or None)
    except (IndikatorError, MartGagal) as exc:
        print(f"✗ indikator: {exc}", file=sys.stderr)
        return 1
    ekspor.tulis(settings)
    laporan.tulis(settings)
    print(indikator_text(settings, r))
    from walidata.serve.indikator import portal

    sent = portal.kirim(settings)
    if sent is not None:
        print(f"portal      : {sum(sent.rekaman.values())} rekaman dari {len(sent.rekaman)} indikator dikirim ke "
              f"paket {sent.paket} ({settings.portal_koneksi})")
    return 0


def cmd_kamus(args) -> int:
    """Write the data dictionary page."""
    from walidata.serve import kamus

    print(kamus.write(get_settings(), args.keluar))
    return 0


def cmd_bps(args) -> int:
    """A BPS list model (var, vervar, th, subject, statictable…) of a domain: to find the ids a catalog names."""
    from walidata.sources.bps import daftar
    from walidata.sources.klien import Klien
    from walidata.sources.koneksi import koneksi
    from walidata.standardise.reference import kabkota

    settings = get_settings()
    if not args.domain and not settings.kabkota_tunggal:
        print(f"--domain: WALIDATA_WILAYAH={settings.wilayah} holds several kabupaten/kota; give the BPS domain",
              file=sys.stderr)
        return 2
    domain = args.domain or kabkota(settings.reference)[settings.kabkota_tunggal].kode_bps
    filters = {"var": args.var} if args.var else {}
    with Klien(koneksi(args.koneksi), f"bps_webapi domain {domain} list/{args.model}") as klien:
        items = daftar(klien, args.model, domain, args.halaman, **filters)
    rows = [[next((v for k, v in i.items() if k.endswith("_id") or k == "val"), ""),
             next((v for k, v in i.items() if k in ("title", "label", "th", "sub_name")), "")] for i in items]
    print(_table(["id", "judul"], rows) if rows else f"(kosong: BPS tidak punya daftar {args.model} di domain "
                                                       f"{domain})")
    return 0


def cmd_migrasi(args) -> int:
    """Apply the warehouse's schema migrations (also done at the start of every write)."""
    from walidata.publish import schema, warehouse
    from walidata.publish.migrations import LATEST

    settings = get_settings()
    with warehouse.transaction(settings.warehouse_url) as conn:
        schema.ensure_schema(conn)
    print(f"gudang data {settings.redacted_url()}: skema versi {LATEST}")
    return 0


def cmd_pulihkan(args) -> int:
    """Rebuild the warehouse's figures in force from the lake's clean zone."""
    from walidata.publish.pulihkan import pulihkan

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    settings = get_settings()
    done = pulihkan(settings, args.dataset or None)
    print(_table(["dataset", "angka dipulihkan"], [[k, v] for k, v in done.angka.items()]) if done.angka else
          f"tidak ada partisi yang dipulihkan dari {settings.lake / 'clean'}")
    if done.ditolak:
        print(f"\n{len(done.ditolak)} partisi DITOLAK (tidak dipulihkan; angka lain sudah dipulihkan):")
        print(_table(["dataset", "partisi", "alasan"], [[r.dataset, r.partisi, r.alasan] for r in done.ditolak]))
    print(f"gudang data : {settings.redacted_url()}")
    return 1 if done.ditolak else 0


def cmd_tindak_lanjut(args) -> int:
    """The Walidata's follow-up list (what the daily DAG does), printed."""
    from walidata.serve import tindak_lanjut as tl

    settings = get_settings()
    rows, path = tl.jalankan(settings, args.tanggal)
    print(_table(["dataset", "opd", "periode terakhir", "terlambat sejak", "hari"],
                 [[r.dataset, r.opd, r.periode_terakhir or "-", r.terlambat_sejak or "-", r.hari_terlambat or "-"]
                  for r in rows]) if rows else "tidak ada dataset yang terlambat")
    print(f"buku kerja  : {path}")
    if args.kabari:
        print(f"pemberitahuan: {tl.kabari(settings, args.tanggal)} terkirim")
    return 0


def cmd_summary(args) -> int:
    print(summary_text(latest_loads()))
    return 0


def cmd_catalog(args) -> int:
    settings = get_settings()
    datasets, errors = load_catalog(settings.catalog)
    for d in datasets:
        print(f"{d.dag_id}\t{d.id}\t{d.judul}")
    for e in errors:
        print(f"INVALID {e.dag_id}: {e.message}", file=sys.stderr)
    return 1 if errors else 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="walidata", description="Walidata: the OPD statistics pipeline")
    sub = p.add_subparsers(dest="cmd", required=True)
    n = sub.add_parser("nightly", help="the catalog DAGs through Airflow in one process (dag.test), then the summary")
    n.add_argument("--dataset", action="append", help="only this dataset id (repeatable)")
    n.add_argument("--paksa", action="store_true", help="muat ulang file yang sudah pernah dimuat")
    n.add_argument("--api-contoh", action="store_true", help=API_CONTOH_HELP)
    n.set_defaults(func=cmd_nightly)
    r = sub.add_parser("run", help="run datasets in this process, without Airflow")
    r.add_argument("dataset", nargs="*", help="dataset ids (default: all)")
    r.add_argument("--paksa", action="store_true", help="muat ulang file yang sudah pernah dimuat")
    r.add_argument("--replay", action="store_true", help="sumber API: pakai respons tersimpan terakhir di zona raw, "
                                                         "tanpa memanggil API")
    r.add_argument("--api-contoh", action="store_true", help=API_CONTOH_HELP)
    r.set_defaults(func=cmd_run)
    ch = sub.add_parser("check", help="check an OPD file as the pipeline would read it, without publishing")
    ch.add_argument("file", help="the xlsx/xls/ods/csv file")
    ch.add_argument("--dataset", required=True, help="catalog dataset id, e.g. disdukcapil.penduduk_kecamatan")
    ch.add_argument("--laporan", help="where to write the workbook with every problem (default: the current "
                                      "folder, <file>__masalah.xlsx; written only when there are problems)")
    ch.add_argument("--wilayah", help="the kabupaten/kota whose file it is (default: WALIDATA_WILAYAH when it is one)")
    ch.set_defaults(func=cmd_check)
    pr = sub.add_parser("peran", help="create/refresh the PostgreSQL roles: analyst (read-only) and pipeline")
    pr.add_argument("--analis", default="analyst")
    pr.add_argument("--pipeline", default="walidata_pipeline")
    pr.set_defaults(func=cmd_peran)
    ka = sub.add_parser("kamus", help="write the data dictionary (Markdown) from the catalog and the warehouse")
    ka.add_argument("--keluar", type=Path, help="output file (default: data/kamus_data.md)")
    ka.set_defaults(func=cmd_kamus)
    ind = sub.add_parser("indikator", help="compute the Smart City indicators, export open data, write the report")
    ind.add_argument("indikator", nargs="*", help="only these indicator codes (default: all that changed)")
    ind.add_argument("--paksa", action="store_true", help="hitung ulang meskipun masukan tidak berubah")
    ind.set_defaults(func=cmd_indikator)
    b = sub.add_parser("bps", help="list a BPS WebAPI list model (var, vervar, th, subject, statictable) of the "
                                   "region's BPS domain, to find the ids a catalog file names")
    b.add_argument("model", help="var, vervar, th, subject, statictable, …")
    b.add_argument("--domain", help="BPS domain (default: the BPS code of WALIDATA_WILAYAH, through the crosswalk)")
    b.add_argument("--var", type=int, help="only for this variable (vervar, th)")
    b.add_argument("--koneksi", default="bps_webapi", help="connection id (default bps_webapi)")
    b.add_argument("--halaman", type=int, default=50, help="at most this many pages")
    b.add_argument("--api-contoh", action="store_true", help=API_CONTOH_HELP)
    b.set_defaults(func=cmd_bps)
    sub.add_parser("migrasi", help="apply the warehouse's schema migrations").set_defaults(func=cmd_migrasi)
    pu = sub.add_parser("pulihkan", help="restore the warehouse's figures in force from the lake's clean zone")
    pu.add_argument("dataset", nargs="*", help="only these dataset ids (default: every one in the lake)")
    pu.set_defaults(func=cmd_pulihkan)
    tl = sub.add_parser("tindak-lanjut", help="the follow-up list of late datasets: table, workbook, alerts")
    tl.add_argument("--tanggal", type=dt.date.fromisoformat, help="as of this date (default: today, WIB)")
    tl.add_argument("--kabari", action="store_true", help="also send one alert per late dataset")
    tl.set_defaults(func=cmd_tindak_lanjut)
    sub.add_parser("summary", help="the latest load of each dataset").set_defaults(func=cmd_summary)
    c = sub.add_parser("catalog", help="list the catalog; non-zero exit if a file is invalid")
    c.set_defaults(func=cmd_catalog)
    args = p.parse_args(argv)
    with _safe_terminal(), _sample_api(getattr(args, "api_contoh", False)):
        try:
            return args.func(args)
        except SettingsError as exc:
            print(str(exc), file=sys.stderr)
            return 2


API_CONTOH_HELP = ("layani respons contoh BPS WebAPI dan CKAN dari server lokal dan arahkan koneksi bps_webapi dan "
                   "ckan_katingan ke sana (demo, `make run`)")


@contextmanager
def _sample_api(on: bool):
    """The sample BPS/CKAN server for this command (its connections set in the environment), when asked."""
    if not on:
        yield None
        return
    from walidata.sample_server import serve

    with serve() as server:
        print(f"API contoh (BPS WebAPI, CKAN): {server.url}", flush=True)
        yield server


class _EscapingWriter:
    """A text stream that shows control characters from OPD files (ESC, BEL, NUL, CR…) as `\\xNN`, so a cell
    cannot clear the screen, ring the bell or rewrite a line of the summary."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        from walidata.safe_text import for_terminal

        self._stream.write(for_terminal(text))
        return len(text)

    def __getattr__(self, name):
        return getattr(self._stream, name)


@contextmanager
def _safe_terminal():
    """Everything this command prints, and every log line it writes to the terminal, passes the escaper."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _EscapingWriter(out), _EscapingWriter(err)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


if __name__ == "__main__":
    raise SystemExit(main())
