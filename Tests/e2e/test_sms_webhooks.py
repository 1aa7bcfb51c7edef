"""Inbound SMS webhooks against the real daemon over TCP loopback, signed by the providers'
official SDKs (twilio RequestValidator.compute_signature, vonage Auth.sign_params).

Accepted requests are stored once however often they are re-sent; every tampered field is
refused with 403, nothing is stored, and the log line names the reason but not the body. The
twilio SDK's own validator is asked the same question as the daemon for every case, so the two
must agree (a differential check of our validator against the SDK).
"""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.parse

import pytest

import sbharness as h
import sms_helpers as s


@pytest.fixture(scope="module")
def sdk():
    return s.sdks()


@pytest.fixture(scope="module")
def sms(request, sb_bin, sdk):
    """One daemon with every SMS adapter on a TCP listener, shared by the module (unique ids)."""
    d = h.short_tempdir()
    listener = {"type": "tcp", "address": "127.0.0.1", "port": 0}
    cfg = h.base_config(d, listeners={"web": listener}, adapters=s.sms_adapters())
    daemon = h.Daemon(d, cfg, env=s.ENV)
    daemon.start()
    yield s.SMSDaemon(daemon)
    if request.session.testsfailed:
        print(f"\n---- sms daemon stderr ({d}), last lines ----\n{daemon.stderr_tail(60)}")
    daemon.cleanup()
    shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# Twilio
# ---------------------------------------------------------------------------------------------

def test_twilio_signed_by_sdk_is_stored_once(sms, sdk):
    RequestValidator, _ = sdk
    url = sms.url("/sms/twilio?tenant=acme")
    params = s.twilio_params()
    sig = RequestValidator(s.TWILIO_TOKEN).compute_signature(url, dict(params))
    msid = dict(params)["MessageSid"]
    first = sms.request("POST", "/sms/twilio?tenant=acme", s.form(params), s.twilio_headers(sig))
    assert first.status == 200, first
    assert first.body == s.TWIML
    assert (first.header("content-type") or "").startswith("text/xml")
    for _ in range(3):  # Twilio re-sends on timeouts: the same answer, stored once
        again = sms.request("POST", "/sms/twilio?tenant=acme", s.form(params), s.twilio_headers(sig))
        assert (again.status, again.body) == (first.status, first.body)
    assert sms.counts("tw").get(msid) == 1
    row = sms.message_row("tw", msid)
    assert row["channel"] == "sms"
    assert (row["sender_kind"], row["sender_value"]) == ("phone", "+14155550123")
    assert row["text"] == "Hi, where is my order 48213?"
    assert bytes(row["raw"]) == s.form(params)


def test_twilio_mms_media_are_attachments(sms, sdk):
    RequestValidator, _ = sdk
    params = s.twilio_params(body="", media=2)
    sig = RequestValidator(s.TWILIO_TOKEN).compute_signature(sms.url("/sms/twilio"), dict(params))
    r = sms.request("POST", "/sms/twilio", s.form(params), s.twilio_headers(sig))
    assert r.status == 200, r
    row = sms.message_row("tw", dict(params)["MessageSid"])
    attachments = json.loads(row["attachments"])
    assert [a.get("url") for a in attachments] == [dict(params)["MediaUrl0"], dict(params)["MediaUrl1"]]
    assert all((a.get("content_type") or a.get("contentType")) == "image/jpeg" for a in attachments), attachments


def test_twilio_json_body_with_body_sha256(sms, sdk):
    RequestValidator, _ = sdk
    import hashlib
    params = dict(s.twilio_params(body="JSON body variant"))
    body = json.dumps(params).encode()
    target = "/sms/twilio?bodySHA256=" + hashlib.sha256(body).hexdigest()
    sig = RequestValidator(s.TWILIO_TOKEN).compute_signature(sms.url(target), {})
    assert RequestValidator(s.TWILIO_TOKEN).validate(sms.url(target), body.decode(), sig)
    r = sms.request("POST", target, body, {"Content-Type": "application/json", "X-Twilio-Signature": sig})
    assert r.status == 200, r
    assert sms.counts("tw").get(params["MessageSid"]) == 1
    # The same signature with a changed body: the hash no longer matches.
    tampered = body.replace(b"JSON body variant", b"JSON body varianT")
    assert not RequestValidator(s.TWILIO_TOKEN).validate(sms.url(target), tampered.decode(), sig)
    bad = sms.request("POST", target, tampered, {"Content-Type": "application/json", "X-Twilio-Signature": sig})
    assert bad.status == 403, bad


def test_twilio_sha256_shared_key_mode(sms, sdk):
    RequestValidator, _ = sdk
    params = s.twilio_params(body="signed with a SharedKey")
    url = sms.url("/sms/twilio")
    sig = RequestValidator(s.TWILIO_SHARED_KEY).compute_signature(url, dict(params), "HMAC_SHA256")
    hdr = {"X-Twilio-Webhooks-Signature-Settings": "key=webhooks_sharedkey_e2e,algorithm=HMAC_SHA256"}
    assert sms.request("POST", "/sms/twilio", s.form(params), s.twilio_headers(sig, hdr)).status == 200
    # The auth token is not the key in this mode.
    params2 = s.twilio_params(body="wrong key")
    sig2 = RequestValidator(s.TWILIO_TOKEN).compute_signature(url, dict(params2), "HMAC_SHA256")
    assert sms.request("POST", "/sms/twilio", s.form(params2), s.twilio_headers(sig2, hdr)).status == 403


def _tampered_twilio_cases(port: int):
    """(name, url signed, params signed, params sent, target sent, extra headers) per tampered field."""
    base = s.twilio_params(body="tamper me: card 4111 1111")
    here = f"http://127.0.0.1:{port}/sms/twilio"
    changed = [(k, v + "x") if k == "Body" else (k, v) for k, v in base]
    added = base + [("Extra", "1")]
    removed = [(k, v) for k, v in base if k != "FromCity"]
    return [
        ("parameter value", here, base, changed, "/sms/twilio", {}),
        ("parameter added", here, base, added, "/sms/twilio", {}),
        ("parameter removed", here, base, removed, "/sms/twilio", {}),
        ("path", f"http://127.0.0.1:{port}/sms/other", base, base, "/sms/twilio", {}),
        ("query", here + "?a=1", base, base, "/sms/twilio?a=2", {}),
        ("scheme", f"https://127.0.0.1:{port}/sms/twilio", base, base, "/sms/twilio", {}),
        ("host", f"http://evil.example:{port}/sms/twilio", base, base, "/sms/twilio", {}),
        ("port", f"http://127.0.0.1:{port + 1}/sms/twilio", base, base, "/sms/twilio", {}),
    ]


def test_twilio_every_tampered_field_is_403_and_nothing_stored(sms, sdk):
    RequestValidator, _ = sdk
    validator = RequestValidator(s.TWILIO_TOKEN)
    for name, signed_url, signed, sent, target, extra in _tampered_twilio_cases(sms.port):
        sig = validator.compute_signature(signed_url, dict(signed))
        server_url = sms.url(target)
        # The SDK, as a receiver, refuses it too: our answer must agree with it.
        assert not validator.validate(server_url, dict(sent), sig), f"SDK accepted tampered {name}"
        size = sms.d.stderr_size()
        r = sms.request("POST", target, s.form(sent), s.twilio_headers(sig, extra))
        assert r.status == 403, f"{name}: {r!r}"
        msid = dict(sent)["MessageSid"]
        assert msid not in sms.counts("tw"), f"{name}: stored anyway"
        log = _wait_for_log(sms, size, "signature check failed")
        assert "4111" not in log and "tamper me" not in log, f"{name}: the body reached the log: {log}"
        assert msid in log, "the log line names the message id"


def test_twilio_wrong_token_missing_header_and_port_variants(sms, sdk):
    RequestValidator, _ = sdk
    params = s.twilio_params()
    url = sms.url("/sms/twilio")
    wrong = RequestValidator("not-the-token").compute_signature(url, dict(params))
    assert sms.request("POST", "/sms/twilio", s.form(params), s.twilio_headers(wrong)).status == 403
    assert sms.request("POST", "/sms/twilio", s.form(params), s.twilio_headers(None)).status == 403
    assert dict(params)["MessageSid"] not in sms.counts("tw")
    # Signed without the port (as Twilio sometimes does): the SDK accepts it, so must we.
    no_port = RequestValidator(s.TWILIO_TOKEN).compute_signature("http://127.0.0.1/sms/twilio", dict(params))
    assert RequestValidator(s.TWILIO_TOKEN).validate(url, dict(params), no_port)
    assert sms.request("POST", "/sms/twilio", s.form(params), s.twilio_headers(no_port)).status == 200


def test_twilio_get_webhook(sms, sdk):
    RequestValidator, _ = sdk
    params = s.twilio_params(body="sent by GET")
    target = "/sms/twilio?" + urllib.parse.urlencode(params)
    sig = RequestValidator(s.TWILIO_TOKEN).compute_signature(sms.url(target), {})
    assert sms.request("GET", target, None, {"X-Twilio-Signature": sig}).status == 200
    assert sms.counts("tw").get(dict(params)["MessageSid"]) == 1
    tampered = target.replace("sent+by+GET", "sent+by+GeT")
    size = sms.d.stderr_size()
    assert sms.request("GET", tampered, None, {"X-Twilio-Signature": sig}).status == 403
    log = _wait_for_log(sms, size, "signature check failed")
    assert "GeT" not in log and "sent+by" not in log, "the query (which holds the text on GET) is not logged"


def _wait_for_log(sms, since: int, needle: str, timeout: float = 5.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = sms.d.stderr_since(since)
        if needle in text:
            return text
        time.sleep(0.02)
    raise AssertionError(f"no {needle!r} in the log; got:\n{sms.d.stderr_since(since)[-2000:]}")


# ---------------------------------------------------------------------------------------------
# Vonage
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method", s.VONAGE_METHODS)
def test_vonage_signed_by_sdk_get_form_json(sms, sdk, method):
    _, Auth = sdk
    path = f"/sms/vonage-{method}"
    adapter = f"vn-{method}"
    # POST form
    p = s.vonage_sign(Auth, s.vonage_params(text="Hi & = ok, order 48213"), method)
    r = sms.request("POST", path, urllib.parse.urlencode(p).encode(), {"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status == 204, r
    assert Auth(api_key="abcd1234", signature_secret=s.VONAGE_SECRET, signature_method=method).check_signature(dict(p))
    # GET
    g = s.vonage_sign(Auth, s.vonage_params(text="by GET"), method)
    assert sms.request("GET", path + "?" + urllib.parse.urlencode(g)).status == 204
    # POST JSON
    j = s.vonage_sign(Auth, s.vonage_params(text="by JSON"), method)
    assert sms.request("POST", path, json.dumps(j).encode(), {"Content-Type": "application/json"}).status == 204
    # Upper-case sig: compared case-insensitively, as the SDK does.
    u = s.vonage_sign(Auth, s.vonage_params(text="upper"), method)
    u["sig"] = u["sig"].upper()
    assert sms.request("POST", path, urllib.parse.urlencode(u).encode(), {"Content-Type": "application/x-www-form-urlencoded"}).status == 204
    counts = sms.counts(adapter)
    for q in (p, g, j, u):
        assert counts.get(q["messageId"]) == 1, (q, counts)
    # Vonage re-sends for 24 h without a 2xx: a re-send gets the same answer, stored once.
    again = sms.request("POST", path, urllib.parse.urlencode(p).encode(), {"Content-Type": "application/x-www-form-urlencoded"})
    assert again.status == 204
    assert sms.counts(adapter).get(p["messageId"]) == 1
    row = sms.message_row(adapter, p["messageId"])
    assert row["sender_value"] == "+447700900123"
    assert row["text"] == "Hi & = ok, order 48213"


def test_vonage_tampered_fields_are_403(sms, sdk):
    _, Auth = sdk
    path = "/sms/vonage-sha256"
    cases = []
    p = s.vonage_sign(Auth, s.vonage_params(text="secret text 4111"), "sha256")
    cases.append(("text", dict(p, text="secret text 4112")))
    cases.append(("timestamp", dict(p, timestamp=str(int(p["timestamp"]) + 1))))
    cases.append(("msisdn", dict(p, msisdn="447700900999")))
    cases.append(("added parameter", dict(p, extra="1")))
    cases.append(("missing sig", {k: v for k, v in p.items() if k != "sig"}))
    cases.append(("wrong secret", s.vonage_sign(Auth, s.vonage_params(text="secret text 4111"), "sha256", secret="other")))
    cases.append(("other algorithm", s.vonage_sign(Auth, s.vonage_params(text="secret text 4111"), "sha512")))
    old = s.vonage_params(text="secret text 4111", timestamp=str(int(time.time()) - 3 * 86400))
    cases.append(("stale timestamp", s.vonage_sign(Auth, old, "sha256")))
    for name, q in cases:
        size = sms.d.stderr_size()
        r = sms.request("POST", path, urllib.parse.urlencode(q).encode(), {"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status == 403, f"{name}: {r!r}"
        assert q["messageId"] not in sms.counts("vn-sha256"), name
        log = _wait_for_log(sms, size, "signature check failed")
        assert "4111" not in log and "4112" not in log, f"{name}: body in log"


def test_vonage_long_message_reassembled_once(sms, sdk):
    _, Auth = sdk
    path = "/sms/vonage-sha1"
    ref = str(int(time.time() * 1000) % 65536)
    texts = ["This is a long message that Vonage split ", "into three parts; they arrive ", "in any order."]
    parts = []
    for i, text in enumerate(texts, start=1):
        parts.append(s.vonage_sign(Auth, s.vonage_params(text=text, msisdn="447700900555", concat="true",
                                                         **{"concat-ref": ref, "concat-total": "3", "concat-part": str(i)}), "sha1"))
    for q in (parts[2], parts[0], parts[0], parts[1], parts[2]):  # out of order, with re-sends
        r = sms.request("POST", path, urllib.parse.urlencode(q).encode(), {"Content-Type": "application/x-www-form-urlencoded"})
        assert r.status == 204, r
    counts = sms.counts("vn-sha1")
    assert counts.get(parts[0]["messageId"]) == 1, counts
    assert parts[1]["messageId"] not in counts and parts[2]["messageId"] not in counts
    row = sms.message_row("vn-sha1", parts[0]["messageId"])
    assert row["text"] == "".join(texts)


# ---------------------------------------------------------------------------------------------
# Generic signed JSON webhook
# ---------------------------------------------------------------------------------------------

def test_generic_webhook(sms):
    body = json.dumps({"id": h.unique("gw"), "from": "07700 900321", "text": "Hallo, wo ist meine Bestellung?"}).encode()
    r = sms.request("POST", "/sms/gateway", body, s.generic_headers(body))
    assert r.status == 200, r
    assert sms.request("POST", "/sms/gateway", body, s.generic_headers(body)).status == 200
    mid = json.loads(body)["id"]
    assert sms.counts("gw").get(mid) == 1
    assert sms.message_row("gw", mid)["sender_value"] == "+447700900321", "national number with default_region GB"
    for name, headers, sent in [
        ("body", s.generic_headers(body), body.replace(b"Hallo", b"Hallo!")),
        ("timestamp", dict(s.generic_headers(body), **{"X-Timestamp": str(int(time.time()) + 1)}), body),
        ("stale", s.generic_headers(body, timestamp=int(time.time()) - 3600), body),
        ("secret", s.generic_headers(body, secret="other"), body),
        ("missing", {"Content-Type": "application/json"}, body),
    ]:
        assert sms.request("POST", "/sms/gateway", sent, headers).status == 403, name


# ---------------------------------------------------------------------------------------------
# One customer, one contact; STOP
# ---------------------------------------------------------------------------------------------

def test_same_number_in_every_format_is_one_contact_and_stop_opts_out(sms, sdk):
    RequestValidator, Auth = sdk
    national = "07700 900777"
    tw = s.twilio_params(body="Hi", frm="+447700900777")
    sig = RequestValidator(s.TWILIO_TOKEN).compute_signature(sms.url("/sms/twilio"), dict(tw))
    assert sms.request("POST", "/sms/twilio", s.form(tw), s.twilio_headers(sig)).status == 200
    vn = s.vonage_sign(Auth, s.vonage_params(text="STOP", msisdn="447700900777"), "md5")
    assert sms.request("POST", "/sms/vonage-md5", urllib.parse.urlencode(vn).encode(),
                       {"Content-Type": "application/x-www-form-urlencoded"}).status == 204
    body = json.dumps({"id": h.unique("gw"), "from": national, "text": "still there?"}).encode()
    assert sms.request("POST", "/sms/gateway", body, s.generic_headers(body)).status == 200
    contacts = {sms.message_row("tw", dict(tw)["MessageSid"])["contact_id"],
                sms.message_row("vn-md5", vn["messageId"])["contact_id"],
                sms.message_row("gw", json.loads(body)["id"])["contact_id"]}
    assert len(contacts) == 1, "+447700900777, 447700900777 and 07700 900777 (GB) are one contact"
    assert sms.contact_attributes(contacts.pop()).get("sms_opt_out") == "true"


# ---------------------------------------------------------------------------------------------
# Behind a reverse proxy; secrets; metrics
# ---------------------------------------------------------------------------------------------

def test_forwarded_headers_only_from_trusted_proxies(daemon_factory, sdk):
    RequestValidator, _ = sdk
    public = "https://support.example.com/sms/twilio"
    fwd = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "support.example.com", "X-Forwarded-For": "198.51.100.7"}
    trusted = s.start_sms_daemon(daemon_factory, web={"trusted_proxies": ["127.0.0.1"]})
    params = s.twilio_params()
    sig = RequestValidator(s.TWILIO_TOKEN).compute_signature(public, dict(params))
    assert trusted.request("POST", "/sms/twilio", s.form(params), s.twilio_headers(sig, fwd)).status == 200
    untrusted = s.start_sms_daemon(daemon_factory)
    params = s.twilio_params()
    sig = RequestValidator(s.TWILIO_TOKEN).compute_signature(public, dict(params))
    assert untrusted.request("POST", "/sms/twilio", s.form(params), s.twilio_headers(sig, fwd)).status == 403, \
        "a client that is not a trusted proxy cannot choose the URL the signature is checked against"


def test_public_url_setting(daemon_factory, sdk):
    RequestValidator, _ = sdk
    d = s.start_sms_daemon(daemon_factory, web={"public_url": "https://support.example.com/switchboard"})
    params = s.twilio_params()
    sig = RequestValidator(s.TWILIO_TOKEN).compute_signature("https://support.example.com/switchboard/sms/twilio", dict(params))
    assert d.request("POST", "/sms/twilio", s.form(params), s.twilio_headers(sig)).status == 200


def test_unresolvable_secret_fails_that_adapter_only(daemon_factory, sdk):
    if os.environ.get("TWILIO_AUTH_TOKEN"):
        pytest.skip("TWILIO_AUTH_TOKEN is set in the test environment")
    env = {k: v for k, v in s.ENV.items() if k != "TWILIO_AUTH_TOKEN"}
    d = daemon_factory(env=env, listeners={"web": {"type": "tcp", "address": "127.0.0.1", "port": 0}},
                       adapters=s.sms_adapters())
    status = d.get("/v1/status").json()
    states = {a["id"]: a for a in status["adapters"]}
    assert states["tw"]["state"] == "failed", states["tw"]
    assert "TWILIO_AUTH_TOKEN" in states["tw"]["detail"]
    assert states["vn-sha256"]["state"] == "running"


def test_metrics_count_signature_failures(sms, sdk):
    before = h.metric_value(sms.d.get("/metrics").text, "switchboard_sms_signature_failures_total")
    params = s.twilio_params()
    assert sms.request("POST", "/sms/twilio", s.form(params), s.twilio_headers("AAAA")).status == 403
    after = h.metric_value(sms.d.get("/metrics").text, "switchboard_sms_signature_failures_total")
    assert after == before + 1


def test_vonage_long_message_survives_a_daemon_restart(daemon_factory, sdk):
    """Part 1 is acknowledged (204) before a restart; part 2 arrives after it: one message."""
    _, Auth = sdk
    d = s.start_sms_daemon(daemon_factory)
    ref = "77"
    parts = [s.vonage_sign(Auth, s.vonage_params(text=t, msisdn="447700900888", concat="true",
                                                 **{"concat-ref": ref, "concat-total": "2", "concat-part": str(i)}), "sha256")
             for i, t in ((1, "Before the restart, "), (2, "after the restart."))]
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert d.request("POST", "/sms/vonage-sha256", urllib.parse.urlencode(parts[0]).encode(), form).status == 204
    assert d.d.stop() == 0
    d.d.start()
    d.port = d._web_port()
    assert d.request("POST", "/sms/vonage-sha256", urllib.parse.urlencode(parts[1]).encode(), form).status == 204
    assert d.message_row("vn-sha256", parts[0]["messageId"])["text"] == "Before the restart, after the restart."
    assert d.counts("vn-sha256") == {parts[0]["messageId"]: 1}
