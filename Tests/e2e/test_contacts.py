"""One contact across channels, and conversations that follow the customer."""

from __future__ import annotations

import sbharness as h
from sbharness import assert_ack, message, unique


def test_same_email_different_case_and_channel_is_one_contact(shared_daemon):
    local = unique("ana").lower()
    a = assert_ack(shared_daemon.post("/v1/messages", message(channel="email", value=f"{local}@Example.com",
                                                              contact={"tier": "gold"})))
    b = assert_ack(shared_daemon.post("/v1/messages", message(channel="web", value=f"{local.upper()}@EXAMPLE.COM",
                                                              contact={"language": "pt"})))
    assert a["contact"] == b["contact"], "the same email (any case) is one contact"
    r = shared_daemon.get(f"/v1/contacts/{a['contact']}")
    assert r.status == 200, r
    c = r.json()
    values = h.strings_in(c)
    assert a["contact"] in values
    assert a["id"] in values and b["id"] in values, f"contact should list both messages: {c}"
    assert f"{local}@example.com" in values, f"the identity is stored lower-cased: {c}"
    assert f"{local.upper()}@EXAMPLE.COM" not in values
    assert "gold" in values and "pt" in values, f"attributes from both posts are merged: {c}"
    # Both channels show up in the history.
    assert "email" in values and "web" in values


def test_known_identity_continues_conversation_across_channels(shared_daemon):
    v = f"{unique('bob')}@example.org"
    first = assert_ack(shared_daemon.post("/v1/messages", message(channel="email", value=v)))
    second = assert_ack(shared_daemon.post("/v1/messages", message(channel="chat", value=v)))
    third = assert_ack(shared_daemon.post("/v1/messages", message(channel="web", value=v.upper())))
    assert first["contact"] == second["contact"] == third["contact"]
    assert first["conversation"] == second["conversation"] == third["conversation"], \
        "a known identity within 24 h continues its conversation whatever the channel"


def test_different_customers_are_different_contacts(shared_daemon):
    a = assert_ack(shared_daemon.post("/v1/messages", message()))
    b = assert_ack(shared_daemon.post("/v1/messages", message()))
    assert a["contact"] != b["contact"]
    assert a["conversation"] != b["conversation"]


def test_phone_written_two_ways_is_one_contact(shared_daemon):
    digits = str(abs(hash(unique("p"))))[:9].rjust(9, "1")
    a = assert_ack(shared_daemon.post("/v1/messages", message(channel="sms", kind="phone", value=f"+49 151 {digits}")))
    b = assert_ack(shared_daemon.post("/v1/messages", message(channel="voice", kind="phone", value=f"+49151{digits}")))
    assert a["contact"] == b["contact"]


def test_contact_lists_identities_and_recent_messages(shared_daemon):
    v = f"{unique('carla')}@example.net"
    acks = [assert_ack(shared_daemon.post("/v1/messages", message(channel="email", value=v, subject=f"s{i}")))
            for i in range(3)]
    ids = [a["id"] for a in acks]
    assert _contact_of(shared_daemon, ids[0]) == acks[0]["contact"], "GET message names its contact"
    c = shared_daemon.get(f"/v1/contacts/{acks[0]['contact']}")
    assert c.status == 200, c
    body = c.json()
    assert isinstance(body.get("identities"), list) and body["identities"], body
    ident = body["identities"][0]
    assert ident.get("kind") == "email" and ident.get("value") == v.lower(), body
    # The docs name the list "its 50 most recent messages"; the key is not fixed by them.
    key = "recent_messages" if "recent_messages" in body else "messages"
    msgs = body.get(key)
    assert isinstance(msgs, list), f"no list of recent messages in the contact: {body}"
    listed = [m.get("id") for m in msgs]
    assert set(ids) <= set(listed), (ids, listed)
    for m in msgs:
        assert m.get("channel") == "email" and "received_at" in m and m.get("direction") == "inbound", m
    subjects = {m.get("id"): m.get("subject") for m in msgs}
    assert [subjects[i] for i in ids] == ["s0", "s1", "s2"], f"each listed message carries its subject: {msgs}"


def _contact_of(d: h.Daemon, msg_id: str) -> str:
    got = d.get(f"/v1/messages/{msg_id}").json()
    for s in h.strings_in(got):
        if h.CT_ID.match(s):
            return s
    raise AssertionError(f"no contact id in {got}")


def test_same_thread_same_channel_shares_conversation_across_senders(shared_daemon):
    thread = unique("thread")
    a = assert_ack(shared_daemon.post("/v1/messages", message(channel="email", thread=thread)))
    b = assert_ack(shared_daemon.post("/v1/messages", message(channel="email", thread=thread)))
    assert a["contact"] != b["contact"]
    assert a["conversation"] == b["conversation"], "the same thread on the same channel is one conversation"
