"""Alerts through a real SMTP server on loopback (aiosmtpd) with Airflow's SMTP provider, and through a webhook
(an HTTP sink on loopback): the message names the OPD, the dataset, the error in one line and the log link."""

from __future__ import annotations

import email
import json
from email.policy import default as default_policy

import pytest

from walidata.serve.pemberitahuan import Pemberitahuan, dari_dag, kirim, satu_baris
from walidata.settings import get_settings

ALERT = Pemberitahuan("validasi_gagal", "disdukcapil.penduduk_kecamatan", "disdukcapil",
                      "tugas validate: disdukcapil.penduduk_kecamatan: validation failed, nothing published (2 row(s))",
                      "http://localhost:8080/dags/opd__disdukcapil__penduduk_kecamatan/runs/r1/tasks/validate")


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 that keeps what it receives."""
    from aiosmtpd.controller import Controller

    class Keep:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            return "250 OK"

    import socket

    with socket.socket() as probe:  # a free port (aiosmtpd checks it is up by connecting to it)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Keep()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, handler
    controller.stop()


def test_an_email_alert_goes_through_the_smtp_connection(smtp_server, monkeypatch):
    controller, handler = smtp_server
    monkeypatch.setenv("AIRFLOW_CONN_SMTP_UJI", json.dumps({
        "conn_type": "smtp", "host": "127.0.0.1", "port": controller.port,
        "extra": {"from_email": "walidata@katingankab.go.id", "disable_tls": True, "disable_ssl": True,
                  "retry_limit": 0}}))
    settings = get_settings(peringatan_email="kabid.statistik@katingankab.go.id, dukcapil@katingankab.go.id",
                            peringatan_smtp="smtp_uji")
    assert kirim(ALERT, settings) == ["email"]
    (sender, rcpt, raw), = handler.messages
    assert sender == "walidata@katingankab.go.id"
    assert rcpt == ["kabid.statistik@katingankab.go.id", "dukcapil@katingankab.go.id"]
    msg = email.message_from_bytes(raw, policy=default_policy)
    assert msg["Subject"] == "[Walidata] Pemeriksaan data gagal: disdukcapil.penduduk_kecamatan (OPD disdukcapil)"
    body = next(p for p in msg.walk() if p.get_content_type() == "text/html").get_content()
    assert "validation failed, nothing published" in body and ALERT.tautan_log in body


def test_a_webhook_alert_carries_the_text_and_the_fields(httpserver, monkeypatch):
    httpserver.expect_request("/services/T0/B0/rahasia", method="POST").respond_with_data("ok")
    monkeypatch.setenv("AIRFLOW_CONN_UJI_HOOK", json.dumps(
        {"conn_type": "http", "host": httpserver.url_for("/services/T0/B0/rahasia")}))
    assert kirim(ALERT, get_settings(peringatan_webhook="uji_hook")) == ["webhook"]
    (req, _), = httpserver.log
    got = json.loads(req.get_data())
    assert got["text"].startswith("[Walidata] Pemeriksaan data gagal: disdukcapil.penduduk_kecamatan")
    assert got["text"].endswith(f"Log: {ALERT.tautan_log}")
    assert (got["opd"], got["dataset"], got["jenis"]) == ("disdukcapil", ALERT.dataset, "validasi_gagal")


def test_a_channel_that_fails_is_logged_and_never_raises(httpserver, monkeypatch, caplog):
    httpserver.expect_request("/hook", method="POST").respond_with_data("no", status=500)
    monkeypatch.setenv("AIRFLOW_CONN_UJI_HOOK", json.dumps({"conn_type": "http", "host": httpserver.url_for("/hook")}))
    assert kirim(ALERT, get_settings(peringatan_webhook="uji_hook")) == []
    ours = " ".join(r.getMessage() for r in caplog.records if r.name.startswith("walidata"))
    assert "pemberitahuan lewat webhook gagal" in ours
    assert "/hook" not in ours  # the webhook's URL (often holding a token) is not logged


def test_no_channel_configured_sends_nothing():
    assert kirim(ALERT, get_settings()) == []


def test_the_error_is_one_visible_line_and_the_dag_names_the_opd():
    assert satu_baris("\n  ds: validation failed\n  row 3: bad\x1b[2J") == "ds: validation failed"
    assert satu_baris("a\x07b") == "a\\x07b"
    assert len(satu_baris("x" * 1000)) == 300
    assert dari_dag("opd__dinkes__stunting_desa") == ("dinkes", "dinkes.stunting_desa")
    assert dari_dag("smart_city_indicators") == ("walidata", "smart_city_indicators")
