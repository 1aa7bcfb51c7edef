"""The outbox over email, end to end: the real daemon binary, the project's SMTP sink (aiosmtpd),
replies posted to the local socket, automatic answers from the matrix, retries, dead letters,
re-queue, and a SIGKILL while the server holds its final answer."""

from __future__ import annotations

import os
import signal
import sqlite3
import time

import pytest

import sbharness as h
from mail_helpers import wait_until
from outbox_helpers import ENV, SMTPSink, email_config, inbound_mail, outbox_rows, parse, reply, wait_state


@pytest.fixture
def sink(workdir):
    s = SMTPSink(os.path.join(workdir, "smtp"))
    yield s
    s.stop()


def test_reply_threads_and_the_customer_answer_comes_back(daemon_factory, workdir, sink):
    d = daemon_factory(email_config(os.path.join(workdir, "d"), sink.port), env=ENV, subdir="d")
    ack = h.assert_ack(d.post("/v1/messages", inbound_mail(
        "orig-1@customer.example", metadata={"message_id": "<orig-1@customer.example>",
                                             "reply_to": "Ana at work <ana.work@example.org>"})))
    cv = ack["conversation"]

    r = reply(d, cv, {"text": "We refunded the second charge.", "html": "<p>We refunded the <b>second</b> charge.</p>",
                      "author": "agent-7"}, key="k-1")
    assert r.status == 202, r
    body = r.json()
    assert body["channel"] == "email" and body["adapter"] == "mail" and body["to"] == "ana.work@example.org"
    again = reply(d, cv, {"text": "We refunded the second charge.", "author": "agent-7"}, key="k-1")
    assert again.status == 200 and again.json()["message"] == body["message"] and again.json()["duplicate"] is True

    (raw, envelope), = sink.wait_mails(1)
    mail = parse(raw)
    assert mail["Message-ID"] == f"<{body['outbox']}@example.com>"
    assert mail["In-Reply-To"] == "<orig-1@customer.example>"
    assert "<orig-1@customer.example>" in mail["References"]
    assert mail["Subject"] == "Re: Charged twice"
    assert mail["Date"] and mail["To"] == "ana.work@example.org"
    assert mail["Auto-Submitted"] is None
    assert mail.get_content_type() == "multipart/alternative"
    assert envelope["rcpt_tos"] == ["ana.work@example.org"] and envelope["helo"] == "support.example.com"

    delivered = wait_state(d, body["message"], "sent")
    assert delivered["direction"] == "outbound" and delivered["delivery"]["attempts"] == 1
    assert delivered["delivery"]["author"] == "agent-7"

    # The customer answers our mail, referring only to our Message-ID: same conversation.
    answer = h.assert_ack(d.post("/v1/messages", inbound_mail(
        "answer-1@customer.example", subject="Re: Re: Charged twice", text="Thanks, that worked.",
        in_reply_to=[f"{body['outbox']}@example.com"], sender="someone-else@example.net")))
    assert answer["conversation"] == cv

    # Errors are clear.
    assert reply(d, cv, {"author": "agent-7"}).status == 400
    assert reply(d, "cv_01JD3Z8Q4X0000000000000000", {"text": "x"}).status == 404
    assert reply(d, cv, {"text": "x", "channel": "sms"}).json()["error"]["code"] == "no_sender"


def test_greylisting_is_retried_and_550_is_dead_lettered_then_requeued(daemon_factory, workdir):
    sink = SMTPSink(os.path.join(workdir, "smtp"), "--refuse-first", "1", "--reject-rcpt", r"@bounce\.test$")
    try:
        d = daemon_factory(email_config(os.path.join(workdir, "d"), sink.port), env=ENV, subdir="d")
        cv_ok = h.assert_ack(d.post("/v1/messages", inbound_mail("g-1@customer.example")))["conversation"]
        ok = reply(d, cv_ok, {"text": "Answer one", "author": "a1"}).json()
        (raw, _), = sink.wait_mails(1)
        assert [e["event"] for e in sink.events()] == ["refused"]
        row = wait_state(d, ok["message"], "sent")
        assert row["delivery"]["attempts"] == 2

        cv_bad = h.assert_ack(d.post("/v1/messages", inbound_mail("b-1@customer.example", sender="nobody@bounce.test")))["conversation"]
        bad = reply(d, cv_bad, {"text": "Answer two", "author": "a1"}).json()
        dead = wait_state(d, bad["message"], "dead")
        assert "550" in dead["delivery"]["last_error"] and "Recipient address rejected" in dead["delivery"]["last_error"]
        rows = outbox_rows(d, "dead")
        assert [r["id"] for r in rows] == [bad["outbox"]] and rows[0]["attempts"] == 1

        status = d.get("/v1/status").json()["outbox"]
        assert status["dead"] == 1 and status["pending"] == 0
        cli = h.cli("status", "--socket", d.socket_path)
        assert "outbox: 0 pending, 1 dead" in cli.output, cli.output
        metrics = d.get("/metrics").text
        assert h.metric_value(metrics, "switchboard_outbox_dead") == 1

        # The admin fixes the address on the server side, then re-queues.
        sink.stop()
        sink2 = SMTPSink(os.path.join(workdir, "smtp2"), port=sink.port)
        try:
            r = d.client().request("POST", f"/v1/outbox/{bad['outbox']}/retry")
            assert r.status == 202 and r.json()["state"] == "pending"
            wait_state(d, bad["message"], "sent")
            assert d.get("/v1/status").json()["outbox"]["dead"] == 0
            assert d.client().request("POST", f"/v1/outbox/{bad['outbox']}/retry").status == 409
        finally:
            sink2.stop()
    finally:
        sink.stop()


AUTO_ROUTING = {
    "queues": {"general": {}},
    "responses": {"ack": {"title": "Thanks", "text": "Thanks for writing: we answer within a day.", "short_text": "Got it, thanks!"}},
    "matrix": {"rules": [{"id": "ack", "when": {"attributes": {"ack": "yes"}}, "then": {"queue": "general", "auto_answer": "ack"}}],
               "default": {"queue": "general"}},
}


def test_automatic_answer_once_and_never_to_automated_mail(daemon_factory, workdir, sink):
    d = daemon_factory(email_config(os.path.join(workdir, "d"), sink.port, **AUTO_ROUTING), env=ENV, subdir="d")
    ack = h.assert_ack(d.post("/v1/messages", inbound_mail("auto-1@customer.example", contact={"ack": "yes"})))
    (raw, _), = sink.wait_mails(1)
    mail = parse(raw)
    assert mail["Auto-Submitted"] == "auto-replied"
    assert mail["In-Reply-To"] == "<auto-1@customer.example>"
    assert "we answer within a day" in mail.get_body(("plain",)).get_content()
    # An out-of-office reply from the customer is stored but never answered.
    h.assert_ack(d.post("/v1/messages", inbound_mail("ooo-1@customer.example", contact={"ack": "yes"},
                                                     metadata={"message_id": "<ooo-1@customer.example>", "auto_submitted": "auto-submitted: auto-replied"})))
    time.sleep(1.5)
    assert len(sink.mails()) == 1
    rows = outbox_rows(d)
    assert len(rows) == 1 and rows[0]["automatic"] is True and rows[0]["author"] == "auto"
    assert rows[0]["conversation"] == ack["conversation"]


def test_a_clean_stop_moves_the_checkpoint_past_messages_without_an_answer(daemon_factory, workdir, sink):
    # Batches with nothing to answer are not handed to the automatic answers' queue; a clean stop
    # must still record that they were seen, or the next start decides them all again.
    d = daemon_factory(email_config(os.path.join(workdir, "d"), sink.port, **AUTO_ROUTING), env=ENV, subdir="d")
    h.assert_ack(d.post("/v1/messages", inbound_mail("first@customer.example", contact={"ack": "yes"})))
    sink.wait_mails(1)
    for i in range(30):
        h.assert_ack(d.post("/v1/messages", inbound_mail(f"plain-{i}@customer.example")))
    assert d.stop() == 0
    with sqlite3.connect(d.store_path) as db:
        last = db.execute("SELECT max(rowid) FROM messages WHERE direction = 'inbound'").fetchone()[0]
        checkpoint = db.execute("SELECT value FROM checkpoints WHERE adapter_id = 'outbox' AND key = 'auto_answers'").fetchone()[0]
    assert int(checkpoint) == last
    size = d.stderr_size()
    d.start()
    h.assert_ack(d.post("/v1/messages", inbound_mail("second@customer.example", contact={"ack": "yes"})))
    sink.wait_mails(2)
    assert "replayed messages committed after the last checkpoint" not in d.stderr_since(size)
    assert len(sink.mails()) == 2


@pytest.mark.time_limit(90)
def test_sigkill_while_the_server_holds_its_answer(daemon_factory, workdir):
    sink = SMTPSink(os.path.join(workdir, "smtp"), "--hold-data", "3")
    try:
        d = daemon_factory(email_config(os.path.join(workdir, "d"), sink.port), env=ENV, subdir="d")
        cv = h.assert_ack(d.post("/v1/messages", inbound_mail("crash-1@customer.example")))["conversation"]
        sent = reply(d, cv, {"text": "This one survives a crash.", "author": "a1"}, key="crash").json()
        wait_until(lambda: any(e["event"] == "data-held" for e in sink.events()), what="the sink holding DATA")
        d.kill9()
        d.start()
        wait_state(d, sent["message"], "sent", timeout=40)
        mails = sink.mails()
        assert 1 <= len(mails) <= 2
        assert len({raw for raw, _ in mails}) == 1, "every copy must be byte-identical"
        assert parse(mails[0][0])["Message-ID"] == f"<{sent['outbox']}@example.com>"
        # The reply was acknowledged once; after the restart the same key answers the original.
        again = reply(d, cv, {"text": "This one survives a crash.", "author": "a1"}, key="crash")
        assert again.status == 200 and again.json()["outbox"] == sent["outbox"]
    finally:
        sink.stop()
