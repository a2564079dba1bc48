"""Alerts (pemberitahuan): a failed task, a failed validation or a late dataset, told to the people who act.

Channels, each optional (unset: nothing is sent):
- email through SMTP with Airflow's SMTP provider (`SmtpHook`): recipients `WALIDATA_PERINGATAN_EMAIL`
  (comma-separated), the server the connection `WALIDATA_PERINGATAN_SMTP` (default `smtp_default`: host, port,
  login/password, extra `from_email`, `disable_tls`, `disable_ssl`);
- a generic webhook (Slack, Teams, Telegram through a relay…): the connection `WALIDATA_PERINGATAN_WEBHOOK`
  whose host is the full webhook URL (it often holds a token: it lives in the connection, never in logs). The
  body is JSON with `text` (what Slack and Teams show) and the fields one by one, each with mention and link
  syntax neutralised (`isi_webhook`: `<`, `>`, `&` as `&lt;`, `&gt;`, `&amp;`; '@' as '＠').

The message names the OPD, the dataset, the error in one line and the link to the task's log, in Indonesian.
Sending never raises: an alert that cannot go out is logged, the pipeline's own outcome stands.
"""

from __future__ import annotations

import html
import logging
from dataclasses import asdict, dataclass

log = logging.getLogger(__name__)

JENIS = {"tugas_gagal": "Tugas gagal", "validasi_gagal": "Pemeriksaan data gagal", "terlambat": "Data terlambat"}
MAX_PESAN = 300


@dataclass(frozen=True)
class Pemberitahuan:
    jenis: str  # a key of JENIS
    dataset: str
    opd: str
    pesan: str  # the error (or the delay) in one line
    tautan_log: str | None = None

    @property
    def judul(self) -> str:
        return f"[Walidata] {JENIS[self.jenis]}: {self.dataset} (OPD {self.opd})"

    def teks(self) -> str:
        out = f"{self.judul}\n{self.pesan}"
        return out + (f"\nLog: {self.tautan_log}" if self.tautan_log else "")


def satu_baris(text: str) -> str:
    """The first meaningful line of an error, shortened; control characters shown, not sent raw."""
    from walidata.safe_text import visible

    first = next((ln.strip() for ln in str(text).splitlines() if ln.strip()), "")
    first = visible(first)
    return first if len(first) <= MAX_PESAN else first[:MAX_PESAN - 1] + "…"


def dari_dag(dag_id: str) -> tuple[str, str]:
    """(opd, dataset id) of a dataset DAG `opd__<opd>__<name>`; other DAGs are the Walidata's own."""
    parts = dag_id.split("__")
    if len(parts) == 3 and parts[0] == "opd":
        return parts[1], f"{parts[1]}.{parts[2]}"
    return "walidata", dag_id


def kirim(p: Pemberitahuan, settings) -> list[str]:
    """Send through every configured channel; the channels that took it."""
    sent = []
    if settings.peringatan_webhook:
        sent += _try("webhook", lambda: _webhook(p, settings.peringatan_webhook))
    if settings.peringatan_email:
        sent += _try("email", lambda: _email(p, settings.peringatan_smtp, settings.peringatan_email))
    return sent


def _try(channel: str, send) -> list[str]:
    try:
        send()
    except Exception as exc:  # an alert that fails must not hide or change the run's outcome
        log.error("pemberitahuan lewat %s gagal: %s", channel, type(exc).__name__)
        return []
    return [channel]


def _webhook(p: Pemberitahuan, conn_id: str) -> None:
    import httpx

    from walidata.sources.koneksi import koneksi

    kon = koneksi(conn_id)
    r = httpx.post(kon.url, json=isi_webhook(p), timeout=httpx.Timeout(10.0), headers={"User-Agent": "walidata"})
    if r.status_code >= 300:
        raise RuntimeError(f"webhook {conn_id}: HTTP {r.status_code}")


def isi_webhook(p: Pemberitahuan) -> dict:
    """The webhook's JSON body: `text` and every field through `safe_text.for_chat`, since a file name, a dataset
    title or an error message is outside text: `<!channel>`, `<!here>`, `<@U123>`, Teams' `<at>` and links
    `<url|…>` arrive as text (`&lt;…&gt;`, as Slack asks), and `@channel`/`@here`/`@everyone` as `＠channel`
    (U+FF20), a mention for no one. A relay that builds its own message from the fields gets them neutralised
    too."""
    from walidata.safe_text import for_chat

    body = {"text": p.teks(), **asdict(p), "jenis_teks": JENIS[p.jenis]}
    return {k: for_chat(v) for k, v in body.items()}


def _email(p: Pemberitahuan, conn_id: str, recipients: str) -> None:
    from airflow.providers.smtp.hooks.smtp import SmtpHook

    body = (f"<p><b>{html.escape(JENIS[p.jenis])}</b>: {html.escape(p.dataset)} (OPD {html.escape(p.opd)})</p>"
            f"<p>{html.escape(p.pesan)}</p>"
            + (f'<p>Log: <a href="{html.escape(p.tautan_log)}">{html.escape(p.tautan_log)}</a></p>'
               if p.tautan_log else ""))
    with SmtpHook(smtp_conn_id=conn_id) as hook:
        hook.send_email_smtp(to=[a.strip() for a in recipients.split(",") if a.strip()], subject=p.judul,
                             html_content=body)


def saat_gagal(context) -> None:
    """Airflow's on_failure_callback of every Walidata task: the alert of a failed task or validation."""
    from walidata.settings import get_settings

    try:
        ti, dag_id = context["ti"], context["dag"].dag_id
        exc = context.get("exception")
        text = satu_baris(exc) if exc is not None else f"tugas {ti.task_id} gagal"
        jenis = "validasi_gagal" if "validation failed" in str(exc) else "tugas_gagal"
        opd, dataset = dari_dag(dag_id)
        p = Pemberitahuan(jenis, dataset, opd, f"tugas {ti.task_id}: {text}", getattr(ti, "log_url", None))
        sent = kirim(p, get_settings())
        log.info("pemberitahuan %s untuk %s dikirim lewat %s", jenis, dataset, sent or "- (tidak ada kanal)")
    except Exception as exc:  # never let an alert break the callback chain
        log.error("pemberitahuan tidak dapat disusun: %s: %s", type(exc).__name__, exc)
