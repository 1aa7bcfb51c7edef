"""The local ingest API (docs/ingest-api.md) against the real daemon over its Unix socket.

Status codes are checked with the real `curl --unix-socket`, as an admin would call it; reads and
keep-alive sequences use a small http.client connection over the socket.
"""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import time

import pytest

import sbharness as h
from sbharness import assert_ack, assert_error, message, unique


# ---------------------------------------------------------------------------------------------
# 202 / 200: store once, answer the same ids on a re-post
# ---------------------------------------------------------------------------------------------

def test_post_new_message_is_202_with_ids(shared_daemon):
    m = message(subject="Invoice 4411 charged twice", to="support@example.com",
                sent_at="2026-11-22T09:15:00Z", thread=unique("case"))
    r = shared_daemon.curl("POST", "/v1/messages", m)
    body = assert_ack(r, 202)
    assert (r.header("content-type") or "").startswith("application/json"), r.headers
    assert body["duplicate"] is False


def test_repost_same_id_is_200_duplicate_with_original_ids(shared_daemon):
    m = message(text="first version")
    first = assert_ack(shared_daemon.curl("POST", "/v1/messages", m), 202)
    again = assert_ack(shared_daemon.curl("POST", "/v1/messages", m), 200)
    assert again["duplicate"] is True
    assert (again["id"], again["contact"], again["conversation"]) == \
           (first["id"], first["contact"], first["conversation"])
    # A re-post with a changed body is still the same message: nothing changes.
    changed = dict(m, text="second version")
    third = assert_ack(shared_daemon.curl("POST", "/v1/messages", changed), 200)
    assert third["id"] == first["id"]
    stored = shared_daemon.get(f"/v1/messages/{first['id']}").json()
    assert stored["text"] == "first version"


def test_ack_means_readable_immediately(shared_daemon):
    c = shared_daemon.client()
    try:
        for _ in range(20):
            m = message()
            ack = assert_ack(c.post("/v1/messages", m))
            got = c.get(f"/v1/messages/{ack['id']}")
            assert got.status == 200, got
            assert got.json()["text"] == m["text"]
    finally:
        c.close()


def test_keep_alive_many_requests_one_connection(shared_daemon):
    c = shared_daemon.client()
    try:
        c.get("/v1/health")
        sock = c.conn.sock
        for _ in range(50):
            assert_ack(c.post("/v1/messages", message()))
            assert c.conn is not None and c.conn.sock is sock, "the daemon closed a keep-alive connection"
    finally:
        c.close()


def test_pipelined_requests_answered_in_order(shared_daemon):
    """HTTP/1.1 clients may send the next request before the answer to the previous one."""
    ms = [message() for _ in range(3)]
    raw = b""
    for m in ms:
        body = json.dumps(m).encode()
        raw += (b"POST /v1/messages HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(shared_daemon.socket_path)
    try:
        s.sendall(raw)
        data = b""
        deadline = time.monotonic() + 10
        while data.count(b"HTTP/1.1 ") < 3 or not _complete(data, 3):
            assert time.monotonic() < deadline, f"pipelined answers incomplete: {data!r}"
            chunk = s.recv(65536)
            assert chunk, f"connection closed after {data!r}"
            data += chunk
    finally:
        s.close()
    statuses = re.findall(rb"HTTP/1\.1 (\d{3})", data)
    assert statuses == [b"202", b"202", b"202"], data
    # Answers come back in request order: each message's id is retrievable and holds its text.
    bodies = re.findall(rb"\r\n\r\n(\{.*?\})(?=HTTP/1\.1 |$)", data, re.S)
    assert len(bodies) == 3, data
    for m, b in zip(ms, bodies):
        stored = shared_daemon.get(f"/v1/messages/{json.loads(b)['id']}").json()
        assert stored["text"] == m["text"]
        assert m["id"] in h.strings_in(stored)


def _complete(data: bytes, n: int) -> bool:
    parts = data.split(b"HTTP/1.1 ")[1:]
    if len(parts) < n:
        return False
    for p in parts:
        head, sep, body = p.partition(b"\r\n\r\n")
        if not sep:
            return False
        m = re.search(rb"(?i)content-length:\s*(\d+)", head)
        if m and len(body) < int(m.group(1)):
            return False
    return True


def test_content_type_with_charset_is_accepted(shared_daemon):
    r = shared_daemon.curl("POST", "/v1/messages", message(), content_type="application/json; charset=utf-8")
    assert_ack(r, 202)


def test_optional_fields_round_trip(shared_daemon):
    thread = unique("case")
    m = message(
        channel="email", value="Ana.Silva@Example.COM",
        text="Hello 👋 — \"quoted\", back\\slash,\nsecond line, ünïcödé, 日本語",
        subject="Invoice 4411 charged twice", to="support@example.com", sent_at="2026-11-22T09:15:00Z",
        thread=thread, in_reply_to=["<root@example.com>"], html="<p>Hello <b>there</b><script>x</script></p>",
        attachments=[{"name": "invoice.pdf", "content_type": "application/pdf", "size": 12345,
                      "sha256": "ab" * 32}],
        contact={"tier": "gold", "language": "en"}, metadata={"crm_case": "881"},
    )
    m["from"]["name"] = "Ana Silva"
    ack = assert_ack(shared_daemon.post("/v1/messages", m))
    r = shared_daemon.get(f"/v1/messages/{ack['id']}")
    assert r.status == 200, r
    got = r.json()
    assert got["id"] == ack["id"]
    assert got["channel"] == "email"
    assert got["text"] == m["text"], "text must round-trip byte for byte"
    assert got["subject"] == m["subject"]
    assert got["html"] == m["html"], "html is kept as given"
    assert got.get("direction") == "inbound"
    assert isinstance(got.get("from"), dict), got
    assert got["from"].get("kind") == "email"
    assert got["from"].get("value") == "ana.silva@example.com", "emails are lower-cased"
    values = h.strings_in(got)
    for expected in (m["id"], "local", ack["contact"], ack["conversation"], thread, "support@example.com",
                     "invoice.pdf", "application/pdf", "881"):
        assert expected in values, f"{expected!r} missing from GET /v1/messages/{{id}}: {got}"
    assert "raw" not in got, "raw bytes must not be served, only raw_size"


def test_social_handle_gets_leading_at_and_phone_is_e164(shared_daemon):
    handle = unique("carla").lower()
    a = assert_ack(shared_daemon.post("/v1/messages", message(channel="social", kind="social", value=handle)))
    got = shared_daemon.get(f"/v1/messages/{a['id']}").json()
    assert got["from"]["value"] == "@" + handle
    b = assert_ack(shared_daemon.post("/v1/messages", message(channel="sms", kind="phone", value="+49 151 1234-5678")))
    got = shared_daemon.get(f"/v1/messages/{b['id']}").json()
    assert got["from"]["value"] == "+4915112345678"


def test_empty_text_allowed_with_html(shared_daemon):
    assert_ack(shared_daemon.post("/v1/messages", message(text="", html="<p>only html</p>")))


# ---------------------------------------------------------------------------------------------
# 400: the field is named, and nothing is stored
# ---------------------------------------------------------------------------------------------

def _without(m: dict, key: str) -> dict:
    m = dict(m)
    del m[key]
    return m


BAD_FIELDS = [
    ("from.kind", lambda m: dict(m, **{"from": {"kind": "pigeon", "value": "a@b.example"}})),
    ("channel", lambda m: dict(m, channel="fax")),
    ("channel", lambda m: _without(m, "channel")),
    ("text", lambda m: _without(m, "text")),
    ("text", lambda m: dict(m, text=42)),
    ("id", lambda m: _without(m, "id")),
    ("id", lambda m: dict(m, id="x" * 201)),
    ("id", lambda m: dict(m, id="")),
    ("from", lambda m: _without(m, "from")),
    ("from.value", lambda m: dict(m, **{"from": {"kind": "phone", "value": "015112345678"}})),
    ("from.value", lambda m: dict(m, **{"from": {"kind": "email", "value": "not-an-email"}})),
    ("sent_at", lambda m: dict(m, sent_at="yesterday at noon")),
    ("txet", lambda m: dict(m, txet="typo")),
    ("attachments[0].size", lambda m: dict(m, attachments=[{"content_type": "image/png"}])),
]


@pytest.mark.parametrize("field,mutate", BAD_FIELDS, ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD_FIELDS)])
def test_bad_field_is_400_naming_the_field(shared_daemon, field, mutate):
    good = message()
    bad = mutate(good)
    r = shared_daemon.curl("POST", "/v1/messages", bad)
    assert_error(r, 400, field)
    # Nothing was stored: the same id posted correctly later is new (202), not a duplicate.
    if isinstance(bad.get("id"), str) and 0 < len(bad["id"]) <= 200:
        assert_ack(shared_daemon.curl("POST", "/v1/messages", good), 202)


def test_id_of_200_bytes_is_accepted(shared_daemon):
    long_id = (unique("long") + "x" * 200)[:200]
    assert len(long_id.encode()) == 200
    assert_ack(shared_daemon.post("/v1/messages", message(id=long_id)))


@pytest.mark.parametrize("body", [
    '{"id": "x", "channel": "web", ',
    '{"id": "x" "channel": "web"}',
    "not json at all",
    "",
    "[1, 2, 3]",
    '"just a string"',
])
def test_malformed_json_is_400(shared_daemon, body):
    r = shared_daemon.curl("POST", "/v1/messages", body)
    assert_error(r, 400)


def test_invalid_utf8_is_400(shared_daemon):
    body = json.dumps(message()).encode().replace(b"Hello", b"Hel\xff\xfeo")
    r = shared_daemon.curl("POST", "/v1/messages", body)
    assert_error(r, 400)


# ---------------------------------------------------------------------------------------------
# 404 / 405 / 415
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("method,path", [
    ("GET", "/v1/nope"),
    ("GET", "/"),
    ("POST", "/v2/messages"),
    ("GET", "/v1/messages/msg_00000000000000000000000000"),
    ("GET", "/v1/contacts/ct_00000000000000000000000000"),
])
def test_unknown_is_404(shared_daemon, method, path):
    r = shared_daemon.curl(method, path, "{}" if method == "POST" else None)
    assert_error(r, 404)


def test_malformed_message_id_is_404_or_400(shared_daemon):
    r = shared_daemon.curl("GET", "/v1/messages/..%2F..%2Fetc%2Fpasswd")
    assert r.status in (400, 404), r
    assert_error(r, r.status)


@pytest.mark.parametrize("method,path,allowed", [
    ("GET", "/v1/messages", "POST"),
    ("DELETE", "/v1/messages", "POST"),
    ("PUT", "/v1/messages", "POST"),
    ("GET", "/v1/messages:batch", "POST"),
    ("POST", "/v1/health", "GET"),
    ("POST", "/v1/status", "GET"),
    ("DELETE", "/v1/messages/msg_00000000000000000000000000", "GET"),
])
def test_wrong_method_is_405_with_allow(shared_daemon, method, path, allowed):
    r = shared_daemon.curl(method, path, "{}" if method in ("POST", "PUT") else None)
    assert_error(r, 405)
    allow = r.header("allow")
    assert allow is not None, f"405 without Allow header: {r.headers}"
    assert allowed in [a.strip() for a in allow.split(",")], f"Allow: {allow!r} should name {allowed}"


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", ""])
def test_wrong_content_type_is_415(shared_daemon, content_type):
    m = message()
    r = shared_daemon.curl("POST", "/v1/messages", m, content_type=content_type)
    assert_error(r, 415)
    # Not stored.
    assert_ack(shared_daemon.curl("POST", "/v1/messages", m), 202)


# ---------------------------------------------------------------------------------------------
# Batch
# ---------------------------------------------------------------------------------------------

def test_batch_per_item_statuses(shared_daemon):
    known = message()
    known_ack = assert_ack(shared_daemon.post("/v1/messages", known))
    fresh = message()
    bad = message()
    bad["from"] = {"kind": "pigeon", "value": "x@y.example"}
    r = shared_daemon.curl("POST", "/v1/messages:batch", {"messages": [fresh, bad, known]})
    assert r.status == 200, r
    results = r.json().get("results")
    assert isinstance(results, list) and len(results) == 3, r.json()
    assert results[0]["status"] == 202 and h.MSG_ID.match(results[0]["id"]) and results[0]["duplicate"] is False
    assert results[1]["status"] == 400, results[1]
    assert results[1]["error"]["field"] == "messages[1].from.kind", results[1]
    assert results[2]["status"] == 200 and results[2]["id"] == known_ack["id"] and results[2]["duplicate"] is True
    assert shared_daemon.get(f"/v1/messages/{results[0]['id']}").json()["text"] == fresh["text"]
    # The bad item was not stored: posting it fixed is a 202.
    fixed = dict(bad, **{"from": {"kind": "email", "value": "x@y.example"}})
    assert_ack(shared_daemon.post("/v1/messages", fixed), 202)


def test_batch_of_many(shared_daemon):
    ms = [message() for _ in range(200)]
    r = shared_daemon.post("/v1/messages:batch", {"messages": ms})
    assert r.status == 200, r
    results = r.json()["results"]
    assert [x["status"] for x in results] == [202] * 200
    assert len({x["id"] for x in results}) == 200
    # The whole batch again: all duplicates, same ids, same order.
    again = shared_daemon.post("/v1/messages:batch", {"messages": ms}).json()["results"]
    assert [x["status"] for x in again] == [200] * 200
    assert [x["id"] for x in again] == [x["id"] for x in results]


@pytest.mark.parametrize("body", ['{"messages": "nope"}', "{}", '{"messages": [1,2', "[]", '{"messages": [], "extra": 1}'])
def test_malformed_batch_is_400(shared_daemon, body):
    assert_error(shared_daemon.curl("POST", "/v1/messages:batch", body), 400)


def test_batch_over_1000_is_rejected(shared_daemon):
    ms = [{"id": f"{unique('b')}", "channel": "web", "from": {"kind": "chat", "value": "v1"}, "text": ""}
          for _ in range(1001)]
    r = shared_daemon.curl("POST", "/v1/messages:batch", {"messages": ms})
    assert r.status in (400, 413), r
    assert_error(r, r.status)
    # None of them stored.
    assert_ack(shared_daemon.post("/v1/messages", dict(ms[0], text="x")), 202)


def test_batch_wrong_content_type_is_415(shared_daemon):
    assert_error(shared_daemon.curl("POST", "/v1/messages:batch", {"messages": [message()]},
                                    content_type="text/plain"), 415)


# ---------------------------------------------------------------------------------------------
# Health, status, metrics
# ---------------------------------------------------------------------------------------------

def test_health(shared_daemon):
    r = shared_daemon.curl("GET", "/v1/health", content_type=None)
    assert r.status == 200, r
    assert r.json().get("status") == "ok"


def test_status(shared_daemon):
    r = shared_daemon.curl("GET", "/v1/status", content_type=None)
    assert r.status == 200, r
    s = r.json()
    assert re.match(r"^\d+\.\d+\.\d+", str(s.get("version", ""))), s
    assert "uptime" in json.dumps(s), s
    assert "local" in h.adapter_ids(s), s
    values = h.strings_in(s)
    assert shared_daemon.store_path in values or "sb.db" in json.dumps(s), f"store path missing: {s}"
    assert "backlog" in s and "10000" in json.dumps(s["backlog"]), f"backlog budget missing: {s}"
    assert "listeners" in s, s
    assert "quarantine" in json.dumps(s), s


def test_metrics(shared_daemon):
    first = shared_daemon.get("/metrics").text
    before = h.metric_value(first, "switchboard_messages_ingested_total")
    acks_before = h.metric_value(first, "switchboard_store_acknowledge_seconds_count")
    m = message()
    assert_ack(shared_daemon.post("/v1/messages", m))
    assert_ack(shared_daemon.post("/v1/messages", message()))
    assert_ack(shared_daemon.post("/v1/messages", message()))
    assert_ack(shared_daemon.post("/v1/messages", m), 200)
    r = shared_daemon.curl("GET", "/metrics", content_type=None)
    assert r.status == 200, r
    assert (r.header("content-type") or "").startswith("text/plain"), r.headers
    text = r.text
    assert "# TYPE switchboard_messages_ingested_total counter" in text, text[:2000]
    after = h.metric_value(text, "switchboard_messages_ingested_total")
    assert after - before >= 3, (before, after)
    # The store's latencies are Prometheus histograms: cumulative buckets ending in +Inf = _count.
    assert "# TYPE switchboard_store_acknowledge_seconds histogram" in text, text[:2000]
    assert "# TYPE switchboard_store_commit_seconds histogram" in text, text[:2000]
    acks = h.metric_value(text, "switchboard_store_acknowledge_seconds_count")
    assert acks - acks_before >= 4, (acks_before, acks)
    buckets = [float(v) for le, v in re.findall(r'^switchboard_store_acknowledge_seconds_bucket\{le="([^"]+)"\} (\S+)$', text, re.M)]
    assert buckets == sorted(buckets) and len(buckets) == 17, buckets
    assert buckets[-1] == acks, (buckets, acks)
    assert h.metric_value(text, "switchboard_store_acknowledge_seconds_sum") > 0
    # And the HTTP server's, per listener, which the store's wait is inside of.
    assert "# TYPE switchboard_http_request_seconds histogram" in text, text[:2000]
    assert h.metric_value(text, "switchboard_http_request_seconds_count") >= acks - acks_before
    for line in text.splitlines():
        assert line.startswith("#") or re.match(
            r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? [-+0-9.eEInfNa]+( \d+)?$', line), \
            f"not Prometheus text: {line!r}"


# ---------------------------------------------------------------------------------------------
# Limits (a daemon of its own with a 4 KiB body limit)
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_limit_daemon(sb_bin):
    d = h.short_tempdir()
    daemon = h.Daemon(d, h.base_config(d, limits={"max_body_bytes": 4096}))
    daemon.start()
    yield daemon
    daemon.cleanup()
    import shutil
    shutil.rmtree(d, ignore_errors=True)


def test_body_over_limit_is_413(small_limit_daemon):
    m = message(text="x" * 5000)
    r = small_limit_daemon.curl("POST", "/v1/messages", m)
    assert_error(r, 413)
    # Still serving, and the same id fits when it is small.
    assert_ack(small_limit_daemon.curl("POST", "/v1/messages", dict(m, text="short")), 202)


def test_body_under_limit_is_accepted(small_limit_daemon):
    m = message(text="y" * 3000)
    assert len(json.dumps(m)) < 4096
    assert_ack(small_limit_daemon.curl("POST", "/v1/messages", m), 202)


def test_huge_content_length_is_refused_without_reading_it(small_limit_daemon):
    """A client that announces 100 MB must get 413 at once, not have the daemon wait for (or
    buffer) the body."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(small_limit_daemon.socket_path)
    try:
        s.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 100000000\r\n\r\n{\"id\":")
        data = b""
        try:
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except socket.timeout:
            pass
    finally:
        s.close()
    assert data.startswith(b"HTTP/1.1 413"), f"expected an immediate 413, got {data[:200]!r}"


def test_oversized_headers_rejected_and_daemon_survives(small_limit_daemon):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(small_limit_daemon.socket_path)
    data = b""
    try:
        try:
            s.sendall(b"GET /v1/health HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * (256 * 1024) + b"\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            data = s.recv(4096)
        except (socket.timeout, ConnectionResetError):
            pass
    finally:
        s.close()
    assert not data.startswith(b"HTTP/1.1 200"), "256 KiB of headers must not be accepted"
    assert data == b"" or re.match(rb"HTTP/1\.1 (400|413|431)", data), data[:200]
    assert small_limit_daemon.get("/v1/health").status == 200


def test_garbage_request_line_does_not_hurt(small_limit_daemon):
    for junk in (b"\x00\x01\x02garbage\r\n\r\n", b"GET\r\n\r\n", b"POST /v1/messages HTTP/1.1\r\nContent-Length: -5\r\n\r\n"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(5)
        s.connect(small_limit_daemon.socket_path)
        try:
            s.sendall(junk)
            try:
                data = s.recv(4096)
            except (socket.timeout, ConnectionResetError):
                data = b""
        finally:
            s.close()
        assert data == b"" or data.startswith(b"HTTP/1.1 4"), (junk, data[:200])
    assert small_limit_daemon.get("/v1/health").status == 200


def test_default_body_limit_is_1_mib(daemon_factory):
    d = daemon_factory()
    assert_ack(d.curl("POST", "/v1/messages", message(text="z" * 200_000)), 202)
    r = d.curl("POST", "/v1/messages", message(text="z" * (1024 * 1024 + 10)))
    assert_error(r, 413)


# ---------------------------------------------------------------------------------------------
# 503 backpressure
# ---------------------------------------------------------------------------------------------

def test_backlog_budget_zero_is_503_with_retry_after(daemon_factory):
    d = daemon_factory(ingest={"backlog_budget": 0, "retry_after": "1s"})
    m = message()
    r = d.curl("POST", "/v1/messages", m)
    assert_error(r, 503)
    ra = r.header("retry-after")
    assert ra is not None and ra.strip().isdigit() and int(ra) >= 1, f"Retry-After: {ra!r}"
    assert int(ra) == 1, f"retry_after is 1s in the config, Retry-After says {ra}"
    rb = d.curl("POST", "/v1/messages:batch", {"messages": [message()]})
    assert_error(rb, 503)
    assert rb.header("retry-after") is not None
    # Reads and health are not subject to the ingest budget.
    assert d.get("/v1/health").status == 200
    assert d.get("/v1/status").status == 200
    d.stop()
    assert h.external_id_counts(d.store_path).get(m["id"]) is None, "a 503 must store nothing"


def test_backlog_over_budget_is_503_and_stores_nothing(daemon_factory):
    """Sixteen posters against a budget of one message waiting: some posts must be turned away
    with 503 + Retry-After, and what was turned away is not stored."""
    import threading
    d = daemon_factory(ingest={"backlog_budget": 1, "retry_after": "2s"})
    lock = threading.Lock()
    acked: dict[str, str] = {}
    refused: list[str] = []
    bad: list[str] = []

    def poster():
        c = d.client()
        try:
            deadline = time.monotonic() + 1.0
            while time.monotonic() < deadline:
                m = message()
                r = c.post("/v1/messages", m)
                with lock:
                    if r.status == 202:
                        acked[m["id"]] = r.json()["id"]
                    elif r.status == 503:
                        refused.append(m["id"])
                        if r.header("retry-after") != "2" or "error" not in r.json():
                            bad.append(repr(r))
                    else:
                        bad.append(repr(r))
        finally:
            c.close()

    threads = [threading.Thread(target=poster) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not bad, bad[:5]
    assert acked, "nothing was accepted"
    assert refused, "16 concurrent posters never exceeded a backlog budget of 1"
    assert d.stop() == 0
    counts = h.external_id_counts(d.store_path)
    assert all(counts.get(k) == 1 for k in acked)
    stored_refused = [k for k in refused if k in counts]
    assert not stored_refused, f"messages answered 503 were stored: {stored_refused[:5]}"


# ---------------------------------------------------------------------------------------------
# The socket itself
# ---------------------------------------------------------------------------------------------

def test_socket_file_mode_is_0660(shared_daemon):
    st = os.stat(shared_daemon.socket_path)
    assert stat.S_ISSOCK(st.st_mode)
    assert stat.S_IMODE(st.st_mode) == 0o660, oct(stat.S_IMODE(st.st_mode))
