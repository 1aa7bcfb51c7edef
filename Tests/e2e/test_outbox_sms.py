"""The outbox over SMS, end to end: the real daemon, a local stand-in for Twilio's and Vonage's
send APIs (scripts/sms-provider-mock.py), signed delivery receipts, and opt-outs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

import sbharness as h
import sms_helpers as s
from mail_helpers import free_port, port_open, wait_until
from outbox_helpers import FAST_OUTBOX, outbox_rows, reply, wait_state

ACCOUNT = "AC" + "0" * 32


class ProviderMock:
    def __init__(self, directory: str):
        os.makedirs(directory, exist_ok=True)
        self.port = free_port()
        self.log = os.path.join(directory, "requests.log")
        self.script = os.path.join(directory, "script.json")
        self.proc = subprocess.Popen([sys.executable, os.path.join(h.REPO_ROOT, "scripts", "sms-provider-mock.py"),
                                      "--port", str(self.port), "--log", self.log, "--script", self.script],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: port_open(self.port), what="the provider mock")

    def answer_next(self, *responses: dict) -> None:
        with open(self.script, "w") as f:
            json.dump({"responses": list(responses)}, f)

    def requests(self) -> list[dict]:
        if not os.path.exists(self.log):
            return []
        with open(self.log) as f:
            return [json.loads(line) for line in f if line.strip()]

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def provider(workdir):
    p = ProviderMock(os.path.join(workdir, "provider"))
    yield p
    p.stop()


def sms_daemon(daemon_factory, provider) -> s.SMSDaemon:
    adapters = {
        "local": {"type": "local", "listener": "local"},
        "tw": {"type": "twilio", "listener": "web", "path": "/sms/twilio", "auth_token": "env:TWILIO_AUTH_TOKEN", "default_region": "US",
               "send": {"account_sid": ACCOUNT, "from": "+14155550100", "api_url": provider.url, "max_segments": 2,
                        "pointer_text": "Our answer is long: please call us or check your email."}},
        "vn": {"type": "vonage", "listener": "web", "path": "/sms/vonage", "signature_secret": "env:VONAGE_SIGNATURE_SECRET",
               "signature_method": "sha256", "default_region": "GB",
               "send": {"api_key": "abcd1234", "api_secret": "env:VONAGE_API_SECRET", "from": "ExampleCo", "api_url": provider.url}},
    }
    listener = {"type": "tcp", "address": "127.0.0.1", "port": 0}
    d = daemon_factory(env={**s.ENV, "VONAGE_API_SECRET": "vonage-api-secret"}, listeners={"web": listener}, adapters=adapters,
                       outbox=FAST_OUTBOX)
    return s.SMSDaemon(d)


def inbound_twilio(sms: s.SMSDaemon, text: str, frm: str) -> dict:
    RequestValidator, _ = s.sdks()
    params = [(k, v) if k != "Body" else ("Body", text) for k, v in s.twilio_params(frm=frm)]
    sig = RequestValidator(s.TWILIO_TOKEN).compute_signature(sms.url("/sms/twilio"), dict(params))
    r = sms.request("POST", "/sms/twilio", s.form(params), s.twilio_headers(sig))
    assert r.status == 200, r
    sid = dict(params)["MessageSid"]
    return sms.message_row("tw", sid)


def inbound_vonage(sms: s.SMSDaemon, text: str) -> str:
    """A customer's SMS through the Vonage adapter, signed by the SDK; answers its conversation id."""
    _, Auth = s.sdks()
    params = s.vonage_sign(Auth, s.vonage_params(text=text), "sha256")
    r = sms.request("POST", "/sms/vonage", s.form(list(params.items())), {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 204, r
    return sms.message_row("vn", params["messageId"])["conversation_id"]


def twilio_status_callback(sms: s.SMSDaemon, message_sid: str, status: str, forged: bool = False) -> tuple[dict, bytes]:
    """A Twilio status callback signed by the SDK: (headers, form body)."""
    RequestValidator, _ = s.sdks()
    params = [("MessageSid", message_sid), ("MessageStatus", status), ("AccountSid", ACCOUNT), ("To", "+14155550123")]
    token = "wrong-token" if forged else s.TWILIO_TOKEN
    sig = RequestValidator(token).compute_signature(sms.url("/sms/twilio/status"), dict(params))
    return s.twilio_headers(sig), s.form(params)


def twilio_status(sms: s.SMSDaemon, message_sid: str, status: str, forged: bool = False) -> h.Response:
    headers, body = twilio_status_callback(sms, message_sid, status, forged)
    return sms.request("POST", "/sms/twilio/status", body, headers)


def vonage_dlr(message_id: str, status: str, client_ref: str | None, secret: str = s.VONAGE_SECRET) -> bytes:
    """A Vonage delivery receipt signed by the SDK (sha256), form-encoded."""
    _, Auth = s.sdks()
    dlr = {"msisdn": "447700900123", "to": "ExampleCo", "messageId": message_id, "status": status, "err-code": "0",
           "message-timestamp": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()), "timestamp": str(int(time.time())),
           "nonce": s.sid("n-"), "api-key": "abcd1234"}
    if client_ref is not None:
        dlr["client-ref"] = client_ref
    return s.form(list(s.vonage_sign(Auth, dlr, "sha256", secret=secret).items()))


def vonage_status(sms: s.SMSDaemon, body: bytes) -> h.Response:
    return sms.request("POST", "/sms/vonage/status", body, {"Content-Type": "application/x-www-form-urlencoded"})


def test_twilio_reply_retry_after_dead_letter_and_status_callbacks(daemon_factory, provider):
    sms = sms_daemon(daemon_factory, provider)
    d = sms.d
    row = inbound_twilio(sms, "Where is my parcel?", "+14155550123")
    cv = row["conversation_id"]

    # A reply: Basic auth with the account SID and token, the form fields Twilio wants.
    sent = reply(d, cv, {"text": "Your parcel left our depot today.", "author": "agent-2"}).json()
    assert sent["channel"] == "sms" and sent["adapter"] == "tw" and sent["to"] == "+14155550123"
    done = wait_state(d, sent["message"], "sent")
    (req,) = provider.requests()
    assert req["path"] == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert (req["user"], req["password"]) == (ACCOUNT, s.TWILIO_TOKEN)
    assert req["form"]["To"] == "+14155550123" and req["form"]["From"] == "+14155550100"
    assert req["form"]["Body"] == "Your parcel left our depot today."
    provider_sid = done["delivery"]["provider_id"]
    assert provider_sid.startswith("SM")

    # Two segments fit (max_segments 2) and go as one request; four do not: the pointer text goes.
    two = "x" * 300
    assert reply(d, cv, {"text": two, "author": "a"}).status == 202
    long = reply(d, cv, {"text": "y" * 600, "author": "a"}).json()
    wait_state(d, long["message"], "sent")
    bodies = [r["form"]["Body"] for r in provider.requests()]
    assert two in bodies and "Our answer is long: please call us or check your email." in bodies

    # 429 with Retry-After: 2, then accepted: the wait is honoured.
    provider.answer_next({"status": 429, "headers": {"Retry-After": "2"}, "body": {"code": 20429, "message": "Too Many Requests"}})
    before = len(provider.requests())
    throttled = reply(d, cv, {"text": "After a pause.", "author": "a"}).json()
    row = wait_state(d, throttled["message"], "sent")
    attempts = provider.requests()[before:]
    assert len(attempts) == 2 and row["delivery"]["attempts"] == 2
    assert attempts[1]["at"] - attempts[0]["at"] >= 1.9

    # 400 is for good: dead with Twilio's answer.
    provider.answer_next({"status": 400, "body": {"code": 21211, "message": "The 'To' number is not a valid phone number."}})
    bad = reply(d, cv, {"text": "Never arrives.", "author": "a"}).json()
    dead = wait_state(d, bad["message"], "dead")
    assert "21211" in dead["delivery"]["last_error"]
    assert [r["id"] for r in outbox_rows(d, "dead")] == [bad["outbox"]]

    # Status callbacks: a forged one is refused and changes nothing; a signed one delivers.
    assert twilio_status(sms, provider_sid, "delivered", forged=True).status == 403
    assert d.get(f"/v1/messages/{sent['message']}").json()["delivery"]["state"] == "sent"
    assert twilio_status(sms, provider_sid, "sent").status == 204
    assert twilio_status(sms, provider_sid, "delivered").status == 204
    assert d.get(f"/v1/messages/{sent['message']}").json()["delivery"]["state"] == "delivered"


def test_vonage_client_ref_and_signed_delivery_receipt(daemon_factory, provider):
    sms = sms_daemon(daemon_factory, provider)
    d = sms.d
    cv = inbound_vonage(sms, "Is the shop open on Sunday?")
    sent = reply(d, cv, {"text": "Yes, from 10 to 16 h. Grüße!", "author": "a"}).json()
    assert sent["adapter"] == "vn"
    row = wait_state(d, sent["message"], "sent")
    (req,) = provider.requests()
    assert req["path"] == "/sms/json"
    f = req["form"]
    assert (f["api_key"], f["api_secret"], f["from"], f["to"]) == ("abcd1234", "vonage-api-secret", "ExampleCo", "447700900123")
    assert f["client-ref"] == sent["outbox"] and f["text"] == "Yes, from 10 to 16 h. Grüße!"

    provider_id = row["delivery"]["provider_id"]
    assert vonage_status(sms, vonage_dlr(provider_id, "delivered", sent["outbox"], secret="not-the-secret")).status == 403
    assert d.get(f"/v1/messages/{sent['message']}").json()["delivery"]["state"] == "sent"
    assert vonage_status(sms, vonage_dlr(provider_id, "delivered", sent["outbox"])).status == 204
    assert d.get(f"/v1/messages/{sent['message']}").json()["delivery"]["state"] == "delivered"


def test_a_status_callback_that_overtakes_the_send_answer_is_kept_and_applied(daemon_factory, provider):
    """Twilio may call the status callback before it answers the send request: the receipt finds
    no row with that SID yet, is kept in the store, and settles the row when the SID is recorded."""
    sms = sms_daemon(daemon_factory, provider)
    d = sms.d
    cv = inbound_twilio(sms, "Has my refund gone out?", "+14155550123")["conversation_id"]

    message_sid = s.sid("SM")
    headers, body = twilio_status_callback(sms, message_sid, "delivered")
    provider.answer_next({"status": 201, "body": {"sid": message_sid, "status": "queued"},
                          "callback_first": {"url": sms.url("/sms/twilio/status"), "headers": headers, "body": body.decode()}})
    size = d.stderr_size()
    sent = reply(d, cv, {"text": "Yes, it went out this morning.", "author": "a"}).json()
    row = wait_state(d, sent["message"], "delivered")
    (req,) = provider.requests()
    # The daemon answered the callback (after its COMMIT) before it had the SID: kept, not dropped.
    assert req["callback_status"] == 204
    assert row["delivery"]["provider_id"] == message_sid and row["delivery"]["attempts"] == 1
    log = d.stderr_since(size)
    assert "delivery receipt before its send was recorded; kept until it is" in log and message_sid in log
    assert "Yes, it went out" not in log
    metrics = d.get("/metrics").text
    assert h.metric_value(metrics, "switchboard_outbox_early_receipts") == 0
    assert 'switchboard_sms_delivery_receipts_total{adapter="tw",outcome="early"} 1' in metrics

    # Later news never takes it back: a late "sent", a repeat, a "failed" all leave it delivered.
    for status in ("sent", "delivered", "failed"):
        assert twilio_status(sms, message_sid, status).status == 204
    assert d.get(f"/v1/messages/{sent['message']}").json()["delivery"]["state"] == "delivered"
    assert [r["id"] for r in outbox_rows(d, "delivered")] == [sent["outbox"]]


def test_a_vonage_receipt_that_overtakes_the_send_answer_is_applied(daemon_factory, provider):
    """Vonage, with our outbox id echoed as client-ref (the row is settled while still pending) and
    without it (kept until the message-id is recorded); a failure keeps Vonage's status."""
    sms = sms_daemon(daemon_factory, provider)
    d = sms.d
    cv = inbound_vonage(sms, "Did my order ship?")

    def vonage_answer(message_id: str, callback: bytes) -> dict:
        return {"status": 200, "body": {"message-count": "1", "messages": [{"status": "0", "message-id": message_id}]},
                "callback_first": {"url": sms.url("/sms/vonage/status"),
                                   "headers": {"Content-Type": "application/x-www-form-urlencoded"}, "body": callback.decode()}}

    # The outbox id is chosen at enqueue, so the echoed client-ref can only be scripted afterwards:
    # hold the first attempt with a 503 (Retry-After 2), then script the answer with its receipt.
    provider.answer_next({"status": 503, "headers": {"Retry-After": "2"}, "body": {"message": "busy"}})
    with_ref = reply(d, cv, {"text": "It ships today.", "author": "a"}).json()
    wait_until(lambda: len(provider.requests()) == 1, what="the first attempt")
    provider.answer_next(vonage_answer("vn-early-1", vonage_dlr("vn-early-1", "delivered", with_ref["outbox"])))
    row = wait_state(d, with_ref["message"], "delivered")
    assert provider.requests()[1]["callback_status"] == 204
    assert row["delivery"]["provider_id"] == "vn-early-1" and row["delivery"]["attempts"] == 2
    assert "last_error" not in row["delivery"]  # the 503 is history once it is delivered

    provider.answer_next(vonage_answer("vn-early-2", vonage_dlr("vn-early-2", "expired", None)))
    without_ref = reply(d, cv, {"text": "Tracking follows.", "author": "a"}).json()
    row = wait_state(d, without_ref["message"], "failed")
    assert provider.requests()[2]["callback_status"] == 204
    assert "vonage status expired" in row["delivery"]["last_error"]
    # A late "accepted" does not take it back to sent.
    assert vonage_status(sms, vonage_dlr("vn-early-2", "accepted", None)).status == 204
    assert d.get(f"/v1/messages/{without_ref['message']}").json()["delivery"]["state"] == "failed"


def test_a_customer_who_texted_stop_gets_no_sms(daemon_factory, provider):
    sms = sms_daemon(daemon_factory, provider)
    d = sms.d
    cv = inbound_twilio(sms, "My order is late", "+14155550177")["conversation_id"]

    # Queued while the customer could still be texted, then STOP arrives before the retry.
    provider.answer_next({"status": 503, "headers": {"Retry-After": "3"}, "body": {"message": "busy"}})
    queued = reply(d, cv, {"text": "We are on it.", "author": "a"}).json()
    wait_until(lambda: len(provider.requests()) == 1, what="the first attempt")
    inbound_twilio(sms, "STOP", "+14155550177")
    dead = wait_state(d, queued["message"], "dead", timeout=15)
    assert "opted out" in dead["delivery"]["last_error"]
    assert len(provider.requests()) == 1

    # A new reply on SMS is refused: this contact has no email address to answer instead.
    r = reply(d, cv, {"text": "Anything else?", "author": "a"})
    assert r.status == 409 and r.json()["error"]["code"] == "opted_out"
