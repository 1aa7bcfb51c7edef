"""What the daemon writes to stderr: journald priorities, and never a message body."""

from __future__ import annotations

import json
import re
import signal
import time

import sbharness as h
from sbharness import assert_ack, message


def _exercise(d: h.Daemon, marker: str) -> None:
    """Posts, re-posts, rejects, reads, batches and reloads, with the marker in every body."""
    m = message(text=f"my password is {marker} please help",
                subject=f"subject {marker}", html=f"<p>{marker}</p>",
                metadata={"note": "kept"}, contact={"tier": "gold"})
    ack = assert_ack(d.post("/v1/messages", m))
    assert_ack(d.post("/v1/messages", m), 200)
    # Rejected ones: a bad field, bad JSON, an unknown field, over the limit, wrong type.
    bad = dict(m, id=h.unique("bad"))
    bad["from"] = {"kind": "pigeon", "value": f"{marker}@example.com"}
    assert d.post("/v1/messages", bad).status == 400
    assert d.curl("POST", "/v1/messages", '{"id": "x", "text": "' + marker + '", ').status == 400
    assert d.post("/v1/messages", dict(m, id=h.unique("u"), unknown_field=marker)).status == 400
    assert d.curl("POST", "/v1/messages", json.dumps(m), content_type="text/plain").status == 415
    big = dict(m, id=h.unique("big"), text=marker + " " + "x" * 5000)
    assert d.curl("POST", "/v1/messages", big).status == 413
    r = d.post("/v1/messages:batch", {"messages": [dict(m, id=h.unique("b1")),
                                                   dict(bad, id=h.unique("b2"))]})
    assert r.status == 200, r
    d.get(f"/v1/messages/{ack['id']}")
    d.get(f"/v1/contacts/{ack['contact']}")
    d.get("/metrics")
    d.get("/v1/status")


def test_logs_never_contain_message_bodies(daemon_factory):
    marker = "ZZMARK" + h.unique("body").replace("-", "")
    d = daemon_factory(log={"level": "debug"}, limits={"max_body_bytes": 4096})
    _exercise(d, marker)
    mark = d.notify.mark()
    d.signal(signal.SIGHUP)
    d.notify.wait_field("READY", after=mark + 1, timeout=10)
    assert d.stop() == 0
    log = d.stderr()
    assert log.strip(), "the daemon logged nothing at debug level"
    assert marker not in log, "a message body reached the log:\n" + "\n".join(
        line for line in log.splitlines() if marker in line)


def test_journal_stream_lines_carry_priority(daemon_factory):
    d = daemon_factory(env={"JOURNAL_STREAM": "1:2"}, log={"level": "debug"})
    assert_ack(d.post("/v1/messages", message()))
    # A rejected reload logs a warning or an error naming the path.
    cfg = json.loads(json.dumps(d.config))
    cfg["adapters"]["local"]["listner"] = "local"
    d.rewrite_config(cfg)
    mark = d.notify.mark()
    d.signal(signal.SIGHUP)
    i, _ = d.notify.wait_field("RELOADING", after=mark, timeout=10)
    d.notify.wait_field("READY", after=i + 1, timeout=10)
    time.sleep(0.1)
    assert d.stop() == 0
    lines = [line for line in d.stderr().splitlines() if line.strip()]
    assert len(lines) >= 2, lines
    wrong = [line for line in lines if not re.match(r"^<[0-7]>", line)]
    assert not wrong, f"lines without a <N> priority prefix under JOURNAL_STREAM: {wrong[:5]}"
    # Journald adds the time itself: no ISO timestamp at the start.
    assert not [line for line in lines if re.match(r"^<\d>\d{4}-\d\d-\d\dT", line)], lines[:5]
    problem = [line for line in lines if h.path_pattern("adapters", "local", "listner").search(line)]
    assert problem, f"no log line names adapters.local.listner: {lines}"
    assert all(int(line[1]) <= 4 for line in problem), f"a rejected config should be a warning or error: {problem}"


def test_terminal_log_lines_have_time_and_level(daemon_factory):
    d = daemon_factory()
    assert_ack(d.post("/v1/messages", message()))
    assert d.stop() == 0
    lines = [line for line in d.stderr().splitlines() if line.strip()]
    assert lines, "the daemon logged nothing at info level (start-up, stop?)"
    assert not [line for line in lines if line.startswith("<")], "no <N> prefix without JOURNAL_STREAM"
    for line in lines:
        assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", line), f"line without a timestamp: {line!r}"
