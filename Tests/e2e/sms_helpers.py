"""Helpers for the SMS webhook end-to-end tests: the providers' official SDKs (skipped cleanly
when absent), a daemon with a TCP listener and SMS adapters, HTTP over TCP loopback, and
read-only looks into the store.

Requests are SIGNED with the SDKs' own code: twilio's RequestValidator.compute_signature and
vonage's Auth.sign_params. The SDKs are installed into the test venv by `make test-deps`.
"""

from __future__ import annotations

import http.client
import json
import random
import time
import urllib.parse
from typing import Any

import pytest

import sbharness as h

TWILIO_TOKEN = "e2e_twilio_auth_token_0123456789"
TWILIO_SHARED_KEY = "e2e_twilio_shared_key_secret"
VONAGE_SECRET = "e2e_vonage_signature_secret"
GENERIC_SECRET = "e2e_generic_webhook_secret"
ENV = {
    "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
    "TWILIO_SHARED_KEY": TWILIO_SHARED_KEY,
    "VONAGE_SIGNATURE_SECRET": VONAGE_SECRET,
    "GATEWAY_SECRET": GENERIC_SECRET,
}
TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response/>'
VONAGE_METHODS = ("md5", "sha1", "sha256", "sha512")


def sdks():
    """(twilio RequestValidator class, vonage Auth class), or skip the test with the reason."""
    try:
        from twilio.request_validator import RequestValidator  # type: ignore
        from vonage_http_client.auth import Auth  # type: ignore
    except ImportError as e:
        pytest.skip(f"the official twilio/vonage SDKs are not installed in this Python ({e}); "
                    f"`make test-deps` creates .venv-test with them", allow_module_level=False)
    return RequestValidator, Auth


def sms_adapters(**overrides: Any) -> dict:
    adapters = {
        "local": {"type": "local", "listener": "local"},
        "tw": {"type": "twilio", "listener": "web", "path": "/sms/twilio", "auth_token": "env:TWILIO_AUTH_TOKEN",
               "shared_key": "env:TWILIO_SHARED_KEY", "default_region": "US"},
        "gw": {"type": "sms-webhook", "listener": "web", "path": "/sms/gateway", "secret": "env:GATEWAY_SECRET",
               "default_region": "GB"},
    }
    for method in VONAGE_METHODS:
        adapters[f"vn-{method}"] = {"type": "vonage", "listener": "web", "path": f"/sms/vonage-{method}",
                                    "signature_secret": "env:VONAGE_SIGNATURE_SECRET", "signature_method": method,
                                    "default_region": "GB", "concat_timeout": "10s"}
    adapters.update(overrides)
    return adapters


def start_sms_daemon(daemon_factory, web: dict | None = None, adapters: dict | None = None,
                     env: dict | None = None) -> "SMSDaemon":
    listener = {"type": "tcp", "address": "127.0.0.1", "port": 0}
    listener.update(web or {})
    d = daemon_factory(env={**ENV, **(env or {})}, listeners={"web": listener},
                       adapters=adapters if adapters is not None else sms_adapters())
    return SMSDaemon(d)


class SMSDaemon:
    def __init__(self, daemon: h.Daemon):
        self.d = daemon
        self.port = self._web_port()

    def _web_port(self) -> int:
        status = self.d.get("/v1/status").json()
        for listener in status["listeners"]:
            if listener["name"] == "web":
                return int(listener["address"].rsplit(":", 1)[1])
        raise AssertionError(f"no web listener in status: {status}")

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def request(self, method: str, target: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> h.Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, target, body=body, headers=headers or {})
            r = conn.getresponse()
            return h.Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read(), r.reason)
        finally:
            conn.close()

    def counts(self, adapter: str) -> dict[str, int]:
        return h.external_id_counts(self.d.store_path, adapter)

    def total(self) -> int:
        return h.total_message_rows(self.d.store_path)

    def message_row(self, adapter: str, external_id: str) -> dict:
        db = h.open_store_ro(self.d.store_path)
        try:
            db.row_factory = __import__("sqlite3").Row
            row = db.execute("SELECT * FROM messages WHERE adapter_id = ? AND external_id = ?", (adapter, external_id)).fetchone()
            assert row is not None, f"no message {adapter}/{external_id}"
            return dict(row)
        finally:
            db.close()

    def contact_attributes(self, contact_id: str) -> dict:
        db = h.open_store_ro(self.d.store_path)
        try:
            row = db.execute("SELECT attributes FROM contacts WHERE id = ?", (contact_id,)).fetchone()
            return json.loads(row[0]) if row else {}
        finally:
            db.close()


# -------------------------------------------------------------------------------------------
# Building provider requests
# -------------------------------------------------------------------------------------------

_rng = random.Random()


def sid(prefix: str = "SM") -> str:
    return prefix + "".join(_rng.choice("0123456789abcdef") for _ in range(32))


def twilio_params(body: str = "Hi, where is my order 48213?", frm: str = "+14155550123", media: int = 0) -> list[tuple[str, str]]:
    msid = sid("MM" if media else "SM")
    p = [("ToCountry", "US"), ("ToState", "CA"), ("SmsMessageSid", msid), ("NumMedia", str(media)),
         ("ToCity", "SAN FRANCISCO"), ("FromZip", "94105"), ("SmsSid", msid), ("FromState", "CA"),
         ("SmsStatus", "received"), ("FromCity", "SAN FRANCISCO"), ("Body", body), ("FromCountry", "US"),
         ("To", "+14155550100"), ("MessagingServiceSid", sid("MG")), ("ToZip", "94105"), ("NumSegments", "1"),
         ("MessageSid", msid), ("AccountSid", sid("AC")), ("From", frm), ("ApiVersion", "2010-04-01")]
    for i in range(media):
        p += [(f"MediaContentType{i}", "image/jpeg"),
              (f"MediaUrl{i}", f"https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/{msid}/Media/{sid('ME')}")]
    return p


def form(params: list[tuple[str, str]]) -> bytes:
    return urllib.parse.urlencode(params).encode()


def twilio_headers(signature: str | None, extra: dict | None = None) -> dict:
    hdr = {"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8", "User-Agent": "TwilioProxy/1.1"}
    if signature is not None:
        hdr["X-Twilio-Signature"] = signature
    hdr.update(extra or {})
    return hdr


def vonage_params(text: str = "Hello from Vonage", msisdn: str = "447700900123", **extra: str) -> dict:
    p = {"msisdn": msisdn, "to": "447700900000", "messageId": "".join(_rng.choice("0123456789ABCDEF") for _ in range(16)),
         "text": text, "type": "text", "keyword": (text.split() or [""])[0].upper(), "api-key": "abcd1234",
         "message-timestamp": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
         "timestamp": str(int(time.time())), "nonce": "".join(_rng.choice("abcdef0123456789") for _ in range(36))}
    p.update(extra)
    return p


def vonage_sign(Auth, params: dict, method: str, secret: str = VONAGE_SECRET) -> dict:
    """Adds `sig` computed by the SDK (sign_params works on a copy: it may add `timestamp`)."""
    signed = dict(params)
    signed["sig"] = Auth(api_key="abcd1234", signature_secret=secret, signature_method=method).sign_params(dict(params))
    return signed


def generic_headers(body: bytes, secret: str = GENERIC_SECRET, timestamp: int | None = None) -> dict:
    import hashlib
    import hmac
    ts = str(int(time.time()) if timestamp is None else timestamp)
    mac = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"Content-Type": "application/json", "X-Timestamp": ts, "X-Signature": "sha256=" + mac}
