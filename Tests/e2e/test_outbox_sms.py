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
from mail_helpers import free_port, wait_until
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
        wait_until(lambda: self._up(), what="the provider mock")

    def _up(self) -> bool:
        import socket
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            return True
        except OSError:
            return False

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


def twilio_status(sms: s.SMSDaemon, message_sid: str, status: str, forged: bool = False) -> h.Response:
    RequestValidator, _ = s.sdks()
    params = [("MessageSid", message_sid), ("MessageStatus", status), ("AccountSid", ACCOUNT), ("To", "+14155550123")]
    token = "wrong-token" if forged else s.TWILIO_TOKEN
    sig = RequestValidator(token).compute_signature(sms.url("/sms/twilio/status"), dict(params))
    return sms.request("POST", "/sms/twilio/status", s.form(params), s.twilio_headers(sig))


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
    _, Auth = s.sdks()
    sms = sms_daemon(daemon_factory, provider)
    d = sms.d
    params = s.vonage_sign(Auth, s.vonage_params(text="Is the shop open on Sunday?"), "sha256")
    assert sms.request("POST", "/sms/vonage", s.form(list(params.items())),
                       {"Content-Type": "application/x-www-form-urlencoded"}).status == 204
    cv = sms.message_row("vn", params["messageId"])["conversation_id"]
    sent = reply(d, cv, {"text": "Yes, from 10 to 16 h. Grüße!", "author": "a"}).json()
    assert sent["adapter"] == "vn"
    row = wait_state(d, sent["message"], "sent")
    (req,) = provider.requests()
    assert req["path"] == "/sms/json"
    f = req["form"]
    assert (f["api_key"], f["api_secret"], f["from"], f["to"]) == ("abcd1234", "vonage-api-secret", "ExampleCo", "447700900123")
    assert f["client-ref"] == sent["outbox"] and f["text"] == "Yes, from 10 to 16 h. Grüße!"

    dlr = {"msisdn": "447700900123", "to": "ExampleCo", "messageId": row["delivery"]["provider_id"], "status": "delivered",
           "err-code": "0", "client-ref": sent["outbox"], "message-timestamp": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
           "timestamp": str(int(time.time())), "nonce": "n-1", "api-key": "abcd1234"}
    forged = s.vonage_sign(Auth, dlr, "sha256", secret="not-the-secret")
    assert sms.request("POST", "/sms/vonage/status", s.form(list(forged.items())),
                       {"Content-Type": "application/x-www-form-urlencoded"}).status == 403
    assert d.get(f"/v1/messages/{sent['message']}").json()["delivery"]["state"] == "sent"
    signed = s.vonage_sign(Auth, dlr, "sha256")
    assert sms.request("POST", "/sms/vonage/status", s.form(list(signed.items())),
                       {"Content-Type": "application/x-www-form-urlencoded"}).status == 204
    assert d.get(f"/v1/messages/{sent['message']}").json()["delivery"]["state"] == "delivered"


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
