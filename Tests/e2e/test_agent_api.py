"""The agent API against the real daemon: tasks offered and assigned by skills and capacity,
the waiting queue, bearer tokens on a TCP listener, the SSE event stream, SLA events and
escalation, and tasks that survive SIGKILL (restored, and replayed from the store)."""

from __future__ import annotations

import contextlib
import http.client
import json
import signal
import socket
import sqlite3
import threading
import time

import pytest

import sbharness as h
from sbharness import assert_ack, message, unique


def routing(**extra) -> dict:
    cfg = {
        "skills": ["general", "billing"],
        "queues": {
            "general": {"skills": ["general"], "sla": {"first_response": "1h", "resolution": "1d"}},
            "billing": {"skills": {"billing": 2}, "sla": {"first_response": "1s", "resolution": "1d"}},
            "priority": {"skills": ["general"], "priority": 50},
        },
        "agents": {
            "anna": {"skills": {"general": 1, "billing": 3}, "capacity": {"email": 1, "chat": 1}},
            "ben": {"skills": {"general": 1}, "capacity": {"email": 2}},
        },
        "matrix": {
            "rules": [
                {"id": "billing-mail", "when": {"types": ["billing"]},
                 "then": {"queue": "billing", "escalation": [{"after": "2s", "move_to": "priority"}]}},
            ],
            "default": {"queue": "general"},
        },
        "offers": {"accept_timeout": "30s", "auto_accept": []},
    }
    cfg.update(extra)
    return cfg


def start(daemon_factory, **extra):
    d = daemon_factory(listeners={"console": {"type": "tcp", "address": "127.0.0.1", "port": 0}},
                       agent_api={"listener": "console"}, **routing(**extra))
    return Console(d)


class Console:
    """The daemon plus HTTP calls to its agent API on the TCP listener."""

    def __init__(self, d: h.Daemon):
        self.d = d
        status = d.get("/v1/status").json()
        self.port = next(int(l["address"].rsplit(":", 1)[1]) for l in status["listeners"] if l["name"] == "console")

    def call(self, method: str, path: str, token: str | None, body=None) -> h.Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        try:
            conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
            r = conn.getresponse()
            return h.Response(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read(), r.reason)
        finally:
            conn.close()

    def token(self, agent: str) -> str:
        r = self.d.post(f"/v1/agents/{agent}/tokens", {"label": "test"})
        assert r.status == 201, r
        return r.json()["token"]

    def status(self, agent: str, status: str) -> dict:
        r = self.d.curl("PUT", f"/v1/agents/{agent}/status", {"status": status})
        assert r.status == 200, r
        return r.json()

    def agent(self, agent: str) -> dict:
        r = self.d.get(f"/v1/agents/{agent}")
        assert r.status == 200, r
        return r.json()

    def task_of(self, message_id: str) -> dict | None:
        with sqlite3.connect(self.d.store_path) as db:
            row = db.execute("SELECT id, state, agent_id, queue FROM tasks WHERE message_id = ? ORDER BY created_at DESC",
                             (message_id,)).fetchone()
        return None if row is None else {"id": row[0], "state": row[1], "agent": row[2], "queue": row[3]}

    def wait_task(self, message_id: str, pred, timeout: float = 10.0) -> dict:
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            last = self.task_of(message_id)
            if last is not None and pred(last):
                return last
            time.sleep(0.05)
        raise AssertionError(f"task of {message_id} never matched; last: {last}")


    def wait_task_event(self, task_id: str, kind: str, timeout: float = 10.0) -> dict:
        """The task's history (GET /v1/tasks/{id}) once it holds an event of that kind."""
        deadline = time.monotonic() + timeout
        while True:
            task = self.d.get(f"/v1/tasks/{task_id}").json()
            if any(e["kind"] == kind for e in task["events"]) or time.monotonic() > deadline:
                return task
            time.sleep(0.05)


def mail(text: str = "Where is my parcel? It has not arrived.", value: str | None = None) -> dict:
    return message(channel="email", value=value or f"{unique('c')}@example.com", text=text)


class EventStream:
    """An SSE client on a thread, collecting (event, data) pairs."""

    def __init__(self, port: int, path: str, token: str):
        self.events: list[tuple[str, dict]] = []
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.conn.request("GET", path, headers={"Authorization": f"Bearer {token}", "Accept": "text/event-stream"})
        self.sock = self.conn.sock   # the response takes it over; kept to wake the reader on close
        self.response = self.conn.getresponse()
        assert self.response.status == 200
        assert self.response.getheader("Content-Type", "").startswith("text/event-stream")
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        event = None
        try:
            while True:
                line = self.response.fp.readline()
                if not line:
                    return
                line = line.decode().rstrip("\n")
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: ") and event:
                    self.events.append((event, json.loads(line[6:])))
                    event = None
        except (OSError, ValueError, AttributeError):  # closed by close()
            return

    def wait(self, kind: str, pred=lambda d: True, timeout: float = 10.0) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, data in list(self.events):
                if name == kind and pred(data):
                    return data
            time.sleep(0.05)
        raise AssertionError(f"no {kind} event; got {[e for e, _ in self.events]}")

    def close(self) -> None:
        # Shut the socket down first: the reader thread blocked in readline returns at once
        # (closing alone waits for its buffered read to end, up to the next keep-alive).
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.conn.close()


def test_offer_accept_read_resolve_through_bearer_api_and_event_stream(daemon_factory):
    c = start(daemon_factory)
    token = c.token("ben")
    stream = EventStream(c.port, "/v1/me/events", token)
    try:
        assert stream.wait("hello")["id"] == "ben"
        r = c.call("PUT", "/v1/me/status", token, {"status": "available"})
        assert r.status == 200 and r.json()["status"] == "available", r

        ack = assert_ack(c.d.post("/v1/messages", mail()))
        offer = stream.wait("offer", lambda d: d["task"]["message"] == ack["id"])
        task = offer["task"]
        assert task["queue"] == "general" and task["agent"] == "ben" and "expires_at" in offer

        r = c.call("POST", f"/v1/me/tasks/{task['id']}/accept", token)
        assert r.status == 200 and r.json()["state"] == "assigned", r
        stream.wait("assignment", lambda d: d["task"]["id"] == task["id"])
        assert c.task_of(ack["id"])["state"] == "assigned"

        r = c.call("GET", f"/v1/me/conversations/{ack['conversation']}", token)
        assert r.status == 200, r
        conv = r.json()
        assert [m["id"] for m in conv["messages"]] == [ack["id"]]
        assert conv["contact"]["id"] == ack["contact"]

        # Accepting twice is a conflict, not a second assignment.
        assert c.call("POST", f"/v1/me/tasks/{task['id']}/accept", token).status == 409

        r = c.call("POST", f"/v1/me/conversations/{ack['conversation']}/resolve", token)
        assert r.status == 200 and r.json()["status"] == "resolved", r
        done = c.task_of(ack["id"])
        assert done["state"] == "resolved"
        assert c.agent("ben")["load"] == {}, "resolving frees the agent's slot"

        history = c.d.get(f"/v1/tasks/{task['id']}").json()
        kinds = [e["kind"] for e in history["events"]]
        for kind in ("created", "sla_started", "offered", "accepted", "assigned", "resolved"):
            assert kind in kinds, f"{kind} missing from {kinds}"
    finally:
        stream.close()


def test_tokens_are_checked_and_agents_see_only_their_own_work(daemon_factory):
    c = start(daemon_factory)
    anna, ben = c.token("anna"), c.token("ben")
    assert c.call("GET", "/v1/me", None).status == 401
    assert c.call("GET", "/v1/me", "sbt_not-a-token").status == 401
    assert c.call("GET", "/v1/me", anna).json()["id"] == "anna"
    # The supervisor routes are not on the public listener.
    assert c.call("GET", "/v1/agents", anna).status == 404
    assert c.call("POST", "/v1/agents/anna/tokens", anna, {}).status == 404

    c.status("anna", "available")
    ack = assert_ack(c.d.post("/v1/messages", mail()))
    t = c.wait_task(ack["id"], lambda t: t["state"] == "offered")
    assert t["agent"] == "anna"
    # Ben cannot read, accept or resolve Anna's work.
    assert c.call("GET", f"/v1/me/conversations/{ack['conversation']}", ben).status == 403
    assert c.call("POST", f"/v1/me/tasks/{t['id']}/accept", ben).status == 409
    assert c.call("POST", f"/v1/me/conversations/{ack['conversation']}/resolve", ben).status == 403

    r = c.d.curl("DELETE", "/v1/agents/anna/tokens")
    assert r.status == 200 and r.json()["revoked"] == 1, r
    assert c.call("GET", "/v1/me", anna).status == 401, "a revoked token stops working at once"
    # Tokens are stored as hashes only.
    with sqlite3.connect(c.d.store_path) as db:
        stored = [row[0] for row in db.execute("SELECT token_sha256 FROM agent_tokens")]
    assert len(stored) == 2 and anna not in stored and ben not in stored
    assert anna not in c.d.stderr() and ben not in c.d.stderr(), "tokens never reach the log"


def test_capacity_is_respected_and_the_waiting_queue_drains_by_priority_then_age(daemon_factory):
    c = start(daemon_factory, offers={"accept_timeout": "30s", "auto_accept": ["email"]})
    first = assert_ack(c.d.post("/v1/messages", mail()))
    second = assert_ack(c.d.post("/v1/messages", mail()))
    third = assert_ack(c.d.post("/v1/messages", mail()))
    for ack in (first, second, third):
        c.wait_task(ack["id"], lambda t: t["state"] == "waiting")
    board = c.d.get("/v1/agents").json()
    general = next(q for q in board["queues"] if q["id"] == "general")
    assert general["waiting"] == 3, board

    c.status("anna", "available")   # email capacity 1
    c.wait_task(first["id"], lambda t: t["state"] == "assigned" and t["agent"] == "anna")
    time.sleep(0.3)
    assert c.task_of(second["id"])["state"] == "waiting", "anna is full: the next task waits"
    assert c.agent("anna")["load"] == {"email": 1}

    r = c.d.post(f"/v1/agents/anna/conversations/{first['conversation']}/resolve", {})
    assert r.status == 200, r
    c.wait_task(second["id"], lambda t: t["state"] == "assigned" and t["agent"] == "anna")
    assert c.task_of(third["id"])["state"] == "waiting", "oldest first: the third still waits"


def test_sla_breach_is_stored_and_escalation_moves_the_task(daemon_factory):
    c = start(daemon_factory)
    ack = assert_ack(c.d.post("/v1/messages", mail("I was charged twice, please refund the invoice payment")))
    t = c.wait_task(ack["id"], lambda t: t["queue"] == "billing")
    moved = c.wait_task(ack["id"], lambda t: t["queue"] == "priority", timeout=10)
    events = c.d.get(f"/v1/tasks/{t['id']}").json()["events"]
    kinds = [e["kind"] for e in events]
    assert "sla_breached" in kinds, kinds
    breach = next(e for e in events if e["kind"] == "sla_breached")
    assert breach["details"]["clock"] == "first_response"
    esc = next(e for e in events if e["kind"] == "escalated")
    assert esc["details"]["queue"] == "priority" and moved["queue"] == "priority"


def test_tasks_survive_sigkill_and_acknowledged_messages_get_their_task(daemon_factory):
    c = start(daemon_factory, offers={"accept_timeout": "30s", "auto_accept": ["email"]})
    c.status("ben", "available")
    held = assert_ack(c.d.post("/v1/messages", mail()))
    c.wait_task(held["id"], lambda t: t["state"] == "assigned" and t["agent"] == "ben")

    # Post a burst and kill the daemon right after the acknowledgements.
    acks = [assert_ack(c.d.post("/v1/messages", mail())) for _ in range(20)]
    c.d.kill9()
    c.d.start()
    c2 = Console(c.d)
    for ack in acks:
        c2.wait_task(ack["id"], lambda t: t["state"] in ("waiting", "assigned"))
    with sqlite3.connect(c.d.store_path) as db:
        per_message = db.execute(
            "SELECT count(*), count(DISTINCT message_id) FROM tasks WHERE message_id IN (%s)"
            % ",".join("?" * len(acks)), [a["id"] for a in acks]).fetchone()
    assert per_message == (20, 20), f"one task per acknowledged message, none twice: {per_message}"
    assert c2.task_of(held["id"])["agent"] == "ben", "an assigned task stays with its agent across a crash"
    ben = c2.agent("ben")
    assert ben["status"] == "available", "the agent's status is remembered"
    assert ben["load"]["email"] == 2, f"ben holds his task and one more up to capacity: {ben}"


@contextlib.contextmanager
def mail_console(daemon_factory, workdir, **extra):
    """A daemon whose email replies go to the project's SMTP sink, with the agent API on TCP and
    email auto-accepted (`extra` replaces routing sections); yields (Console, sink)."""
    import os
    from outbox_helpers import ENV, SMTPSink, email_config

    sink = SMTPSink(os.path.join(workdir, "smtp"))
    try:
        d = os.path.join(workdir, "d")
        os.makedirs(d, exist_ok=True)
        cfg = email_config(d, sink.port, listeners={"console": {"type": "tcp", "address": "127.0.0.1", "port": 0}},
                           agent_api={"listener": "console"},
                           **routing(**{"offers": {"accept_timeout": "30s", "auto_accept": ["email"]}, **extra}))
        yield Console(daemon_factory(cfg, env=ENV, subdir="d")), sink
    finally:
        sink.stop()


def test_an_agents_reply_leaves_by_smtp_and_stops_the_first_response_clock(daemon_factory, workdir):
    from outbox_helpers import inbound_mail, parse, wait_state

    with mail_console(daemon_factory, workdir) as (c, sink):
        token = c.token("ben")
        assert c.call("PUT", "/v1/me/status", token, {"status": "available"}).status == 200
        ack = assert_ack(c.d.post("/v1/messages", inbound_mail("q-1@customer.example", subject="Parcel",
                                                               text="Where is my parcel? It has not arrived.")))
        t = c.wait_task(ack["id"], lambda t: t["state"] == "assigned" and t["agent"] == "ben")

        r = c.call("POST", f"/v1/me/conversations/{ack['conversation']}/replies", token,
                   {"text": "It left our warehouse today.", "awaiting_customer": True})
        assert r.status == 202, r
        sent = r.json()
        assert sent["channel"] == "email" and sent["to"] == "ana@example.com"
        (raw, _), = sink.wait_mails(1)
        mail = parse(raw)
        assert mail["In-Reply-To"] == "<q-1@customer.example>" and mail["Subject"] == "Re: Parcel"
        wait_state(c.d, sent["message"], "sent")

        task = c.d.get(f"/v1/tasks/{t['id']}").json()
        assert task.get("first_response_at"), task
        clocks = {clock["clock"]: clock for clock in task["sla"]}
        assert clocks["first_response"]["state"] == "met"
        assert clocks["resolution"]["state"] == "paused", "waiting on the customer pauses the resolution clock"
        kinds = [e["kind"] for e in task["events"]]
        assert "replied" in kinds and "sla_met" in kinds and "sla_paused" in kinds, kinds

        # The customer writes back: the clock runs again and the agent hears of it.
        assert_ack(c.d.post("/v1/messages", inbound_mail("q-2@customer.example", subject="Re: Parcel", text="Thanks!",
                                                         in_reply_to=[f"{sent['outbox']}@example.com"])))
        task = c.wait_task_event(t["id"], "customer_replied")
        assert {clock["clock"]: clock for clock in task["sla"]}["resolution"]["state"] == "running"


# --------------------------------------------------------------------------------------------
# Restarts and reloads keep SLA clocks and fired escalation steps
# --------------------------------------------------------------------------------------------

def escalating_routing() -> dict:
    """Billing mail waits (nobody is available), breaches its 1 s first-response target, and has
    one escalation step of each trigger: no agent, a breach, and a timed move."""
    return {"matrix": {
        "rules": [
            {"id": "billing-mail", "when": {"types": ["billing"]},
             "then": {"queue": "billing", "escalation": [
                 {"on": "no_agent", "notify": "leads"},
                 {"on": "first_response_breach", "notify": "floor"},
                 {"after": "2s", "move_to": "priority"}]}},
        ],
        "default": {"queue": "general"},
    }}


def event_counts(c: Console, task_id: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for e in c.d.get(f"/v1/tasks/{task_id}").json()["events"]:
        key = e["kind"]
        if e["kind"] in ("sla_breached", "notify"):
            key += ":" + (e.get("details", {}).get("clock") or e.get("details", {}).get("target"))
        counts[key] = counts.get(key, 0) + 1
    return counts


def escalated_task(c: Console) -> tuple[dict, dict[str, int]]:
    ack = assert_ack(c.d.post("/v1/messages", mail("I was charged twice, please refund the invoice payment")))
    t = c.wait_task(ack["id"], lambda t: t["queue"] == "priority", timeout=10)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        counts = event_counts(c, t["id"])
        if counts.get("notify:floor") and counts.get("escalated"):
            break
        time.sleep(0.05)
    expected = {"sla_breached:first_response": 1, "notify:leads": 1, "notify:floor": 1, "escalated": 1}
    assert {k: counts.get(k, 0) for k in expected} == expected, counts
    return t, expected


def test_restart_keeps_stored_breaches_and_fired_escalation_steps(daemon_factory):
    c = start(daemon_factory, **escalating_routing())
    t, expected = escalated_task(c)

    c.d.kill9()
    c.d.start()
    c2 = Console(c.d)
    time.sleep(2.5)   # past every deadline and timed step the restored task had
    counts = event_counts(c2, t["id"])
    assert {k: counts.get(k, 0) for k in expected} == expected, \
        f"a restart stores no breach twice and fires no escalation step again: {counts}"
    task = c2.d.get(f"/v1/tasks/{t['id']}").json()
    clocks = {clock["clock"]: clock for clock in task["sla"]}
    assert clocks["first_response"]["state"] == "breached", clocks
    assert task["queue"] == "priority"


def test_reload_fires_no_escalation_step_again(daemon_factory):
    c = start(daemon_factory, **escalating_routing())
    t, expected = escalated_task(c)

    mark = c.d.notify.mark()
    c.d.signal(signal.SIGHUP)
    i, _ = c.d.notify.wait_field("RELOADING", after=mark)
    c.d.notify.wait_field("READY", after=i + 1)
    time.sleep(1.5)
    counts = event_counts(c, t["id"])
    assert {k: counts.get(k, 0) for k in expected} == expected, \
        f"a reload fires no escalation step again: {counts}"
    assert c.d.get(f"/v1/tasks/{t['id']}").json()["queue"] == "priority"


def awaiting_customer(c: Console, mail_id: str) -> tuple[dict, dict]:
    """A customer's mail assigned to Ben, who answers asking them something: the resolution
    clock pauses. Returns the acknowledgement and the task's history."""
    from outbox_helpers import inbound_mail

    c.status("ben", "available")
    ack = assert_ack(c.d.post("/v1/messages", inbound_mail(mail_id, subject="Parcel", text="Where is my parcel? It has not arrived.")))
    t = c.wait_task(ack["id"], lambda t: t["state"] == "assigned" and t["agent"] == "ben")
    r = c.d.post(f"/v1/agents/ben/conversations/{ack['conversation']}/replies",
                 {"text": "Which address did you order to?", "awaiting_customer": True})
    assert r.status == 202, r
    return ack, c.wait_task_event(t["id"], "sla_paused")


def test_an_awaiting_customer_pause_survives_a_restart(daemon_factory, workdir):
    with mail_console(daemon_factory, workdir) as (c, _):
        _, paused = awaiting_customer(c, "p-1@customer.example")
        before = {clock["clock"]: clock for clock in paused["sla"]}
        assert before["resolution"]["state"] == "paused", before

        c.d.kill9()
        c.d.start()
        c2 = Console(c.d)
        time.sleep(0.3)
        task = c2.d.get(f"/v1/tasks/{paused['id']}").json()
        after = {clock["clock"]: clock for clock in task["sla"]}
        assert after["first_response"]["state"] == "met", after
        assert after["resolution"]["state"] == "paused", f"the pause survives the restart: {after}"
        assert after["resolution"]["elapsed_seconds"] <= before["resolution"]["elapsed_seconds"], (before, after)
        kinds = [e["kind"] for e in task["events"]]
        assert kinds.count("sla_paused") == 1 and kinds.count("sla_met") == 1, kinds


def test_a_reopened_task_keeps_only_its_resolution_clock_across_a_restart(daemon_factory):
    c = start(daemon_factory, offers={"accept_timeout": "30s", "auto_accept": ["email"]})
    c.status("ben", "available")
    ack = assert_ack(c.d.post("/v1/messages", mail()))
    c.wait_task(ack["id"], lambda t: t["state"] == "assigned")
    assert c.d.post(f"/v1/agents/ben/conversations/{ack['conversation']}/resolve", {}).status == 200
    r = c.d.post(f"/v1/agents/ben/conversations/{ack['conversation']}/reopen", {})
    assert r.status == 200, r
    reopened = r.json()["id"]
    clocks = [clock["clock"] for clock in c.d.get(f"/v1/tasks/{reopened}").json()["sla"]]
    assert clocks == ["resolution"], clocks

    c.d.kill9()
    c.d.start()
    clocks = [clock["clock"] for clock in c.d.get(f"/v1/tasks/{reopened}").json()["sla"]]
    assert clocks == ["resolution"], f"no first-response clock appears after a restart: {clocks}"


# --------------------------------------------------------------------------------------------
# Transfer to a named agent
# --------------------------------------------------------------------------------------------

def test_transfer_to_a_named_agent_offers_it_to_them_or_says_why_not(daemon_factory):
    # No last-agent preference at all: the direct offer must not depend on it.
    c = start(daemon_factory, last_agent={"timeout": "0s"})
    anna, ben = c.token("anna"), c.token("ben")
    stream = EventStream(c.port, "/v1/me/events", ben)
    try:
        stream.wait("hello")
        c.status("anna", "available")
        ack = assert_ack(c.d.post("/v1/messages", mail()))
        t = c.wait_task(ack["id"], lambda t: t["state"] == "offered" and t["agent"] == "anna")
        assert c.call("POST", f"/v1/me/tasks/{t['id']}/accept", anna).status == 200

        # Ben is offline: refused with the reason, and the task stays with Anna.
        r = c.call("POST", f"/v1/me/tasks/{t['id']}/transfer", anna, {"agent": "ben"})
        err = h.assert_error(r, 409)
        assert "ben is offline" in err["message"] and "only available agents" in err["message"], err
        assert c.task_of(ack["id"]) == {**t, "state": "assigned"}, "a refused transfer changes nothing"

        c.status("ben", "away")
        r = c.call("POST", f"/v1/me/tasks/{t['id']}/transfer", anna, {"agent": "ben"})
        assert "ben is away" in h.assert_error(r, 409)["message"]

        # Ben is available with room: offered to him at once; Anna's slot frees.
        c.status("ben", "available")
        r = c.call("POST", f"/v1/me/tasks/{t['id']}/transfer", anna, {"agent": "ben"})
        assert r.status == 200, r
        assert r.json()["state"] == "offered" and r.json()["agent"] == "ben", r.json()
        offer = stream.wait("offer", lambda d: d["task"]["id"] == t["id"])
        assert "named by a transfer" in offer["reason"], offer
        assert c.agent("anna")["load"] == {}
        assert c.call("POST", f"/v1/me/tasks/{t['id']}/accept", ben).status == 200
        assert c.task_of(ack["id"])["agent"] == "ben"

        # Anna turns busy; Ben (email capacity 2) gets the next task, the one after waits, and
        # handing it to Ben would put him over capacity.
        c.status("anna", "busy")
        second = assert_ack(c.d.post("/v1/messages", mail()))
        c.wait_task(second["id"], lambda t: t["state"] == "offered" and t["agent"] == "ben")
        third = assert_ack(c.d.post("/v1/messages", mail()))
        t3 = c.wait_task(third["id"], lambda t: t["state"] == "waiting")
        r = c.d.curl("POST", f"/v1/agents/anna/tasks/{t3['id']}/transfer", {"agent": "ben"})
        err = h.assert_error(r, 409)
        assert "ben is at capacity on email (2 of 2)" in err["message"], err
        assert err.get("hint"), err
        assert c.agent("ben")["load"] == {"email": 2}, "never over capacity"
        assert "anna is busy" in h.assert_error(
            c.d.curl("POST", f"/v1/agents/anna/tasks/{t3['id']}/transfer", {"agent": "anna"}), 409)["message"]
        assert c.task_of(third["id"])["state"] == "waiting"

        # Lacking a skill the task requires (billing≥2: ben has no billing).
        r = c.d.curl("POST", f"/v1/agents/anna/tasks/{t3['id']}/transfer", {"queue": "billing", "agent": "ben"})
        assert "ben lacks what the task requires: billing≥2" in h.assert_error(r, 409)["message"]
        assert c.task_of(third["id"])["queue"] == "general"

        kinds = [e["kind"] for e in c.d.get(f"/v1/tasks/{t['id']}").json()["events"]]
        assert kinds.count("transferred") == 1, kinds
    finally:
        stream.close()


def test_a_resumed_resolution_clock_still_breaches(daemon_factory, workdir):
    from outbox_helpers import inbound_mail

    queues = dict(routing()["queues"], general={"skills": ["general"], "sla": {"first_response": "1h", "resolution": "2s"}})
    with mail_console(daemon_factory, workdir, queues=queues) as (c, _):
        _, t = awaiting_customer(c, "r-1@customer.example")
        time.sleep(2.5)   # paused past the original deadline
        assert_ack(c.d.post("/v1/messages", inbound_mail("r-2@customer.example", subject="Re: Parcel", text="To Main St 1",
                                                         in_reply_to=["r-1@customer.example"])))
        assert any(e["kind"] == "sla_resumed" for e in c.wait_task_event(t["id"], "sla_resumed")["events"])
        task = c.wait_task_event(t["id"], "sla_breached", timeout=6)
        breaches = [e for e in task["events"] if e["kind"] == "sla_breached"]
        assert [e["details"]["clock"] for e in breaches] == ["resolution"], task["events"]


def test_without_agents_messages_get_no_task_until_a_reload_adds_agents(daemon_factory):
    # With no agent configured the task runtime is left out of most batches (nothing to assign);
    # a reload that adds agents must bring it back for the very next message.
    no_agents = routing(agents={})
    d = daemon_factory(listeners={"console": {"type": "tcp", "address": "127.0.0.1", "port": 0}},
                       agent_api={"listener": "console"}, **no_agents)
    c = Console(d)
    before = [assert_ack(d.post("/v1/messages", mail())) for _ in range(20)]
    with_agents = dict(d.config)
    with_agents.update(routing())
    d.rewrite_config(with_agents)
    mark = d.notify.mark()
    d.signal(signal.SIGHUP)
    i, _ = d.notify.wait_field("RELOADING", after=mark)
    d.notify.wait_field("READY", after=i + 1)
    # Several at once: the runtime still hears one batch a second without agents, so one message
    # could get its task even if the reload had not turned it back.
    after = [assert_ack(d.post("/v1/messages", mail())) for _ in range(5)]
    for m in after:
        assert c.wait_task(m["id"], lambda t: t["queue"] == "general")["state"] in ("waiting", "offered", "assigned")
    assert all(c.task_of(m["id"]) is None for m in before), "messages stored while no agent existed have no task"
