"""The frustration signal's repeated contact against the real daemon: a sender's third message
within the window is flagged (stored decision, GET /v1/messages/{id}, `switchboard explain`),
a redelivered message does not count, other senders do not count, and the window and threshold
come from adapters.json."""

from __future__ import annotations

import time

import sbharness as h
from sbharness import assert_ack, message, unique


def frustration(d: h.Daemon, message_id: str) -> dict:
    r = d.get(f"/v1/messages/{message_id}")
    assert r.status == 200, r
    return r.json()["decision"]["classification"]["frustration"]


def test_third_message_from_a_sender_is_a_repeated_contact_and_explain_says_so(daemon):
    sender = f"{unique('rc')}@example.com"
    first = assert_ack(daemon.post("/v1/messages", message(value=sender, text="Where is my parcel?")))
    second = assert_ack(daemon.post("/v1/messages", message(value=sender, text="Where is my parcel?")))
    # Another sender in between does not count for this one.
    other = assert_ack(daemon.post("/v1/messages", message(text="Where is my parcel?")))
    third = assert_ack(daemon.post("/v1/messages", message(value=sender, text="Where is my parcel?")))

    for ack in (first, second, other):
        f = frustration(daemon, ack["id"])
        assert not f.get("repeated_contact"), f
        assert not any(c.startswith("contacts:") for c in f["cues"]), f
    f = frustration(daemon, third["id"])
    assert f["repeated_contact"] is True, f
    assert "contacts:3" in f["cues"], f

    run = h.cli("explain", third["id"], "--socket", daemon.socket_path)
    assert run.returncode == 0, run
    line = next(l for l in run.stdout.splitlines() if l.strip().startswith("frustration"))
    assert "contacts:3" in line and "repeated contact" in line, run
    assert "contacts:" not in h.cli("explain", second["id"], "--socket", daemon.socket_path).stdout


def test_a_redelivered_message_is_not_a_second_contact(daemon):
    sender = f"{unique('rc')}@example.com"
    m1 = message(value=sender, text="My invoice is wrong")
    assert_ack(daemon.post("/v1/messages", m1))
    assert_ack(daemon.post("/v1/messages", m1), 200)   # a client retry of the same id
    assert_ack(daemon.post("/v1/messages", m1), 200)
    m2 = assert_ack(daemon.post("/v1/messages", message(value=sender, text="My invoice is wrong")))
    assert not frustration(daemon, m2["id"]).get("repeated_contact"), "two messages, not four"
    m3 = assert_ack(daemon.post("/v1/messages", message(value=sender, text="My invoice is wrong")))
    assert "contacts:3" in frustration(daemon, m3["id"])["cues"]


def test_window_and_threshold_come_from_the_configuration(daemon_factory):
    d = daemon_factory(classifier={"frustration": {"repeated_contact_threshold": 2, "repeated_contact_window": "2s"}})
    sender = f"{unique('rc')}@example.com"
    assert_ack(d.post("/v1/messages", message(value=sender, kind="email")))
    second = assert_ack(d.post("/v1/messages", message(value=sender)))
    assert "contacts:2" in frustration(d, second["id"])["cues"], "threshold 2: the second message counts"
    time.sleep(2.2)
    late = assert_ack(d.post("/v1/messages", message(value=sender)))
    f = frustration(d, late["id"])
    assert not f.get("repeated_contact") and not any(c.startswith("contacts:") for c in f["cues"]), \
        f"the earlier messages left the 2 s window: {f}"


def test_check_config_rejects_a_bad_window(workdir):
    import json
    import os
    path = os.path.join(workdir, "adapters.json")
    cfg = h.base_config(workdir, classifier={"frustration": {"repeated_contact_window": "0s"}})
    with open(path, "w") as f:
        json.dump(cfg, f)
    run = h.cli("check-config", "--config", path)
    assert run.returncode != 0, run
    assert "classifier.frustration.repeated_contact_window" in run.output, run
