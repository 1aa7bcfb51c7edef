"""Process lifecycle of `switchboard run`: sd_notify, watchdog, SIGTERM/SIGINT drain, SIGHUP
reload (good and bad configs), start-up failures, where the store goes."""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import threading
import time

import pytest

import sbharness as h
from sbharness import assert_ack, message


# ---------------------------------------------------------------------------------------------
# sd_notify
# ---------------------------------------------------------------------------------------------

def test_ready_notification_once_serving(daemon_factory):
    d = daemon_factory(start=False)
    d.start(wait=False)
    _, ready = d.notify.wait_field("READY", timeout=20)
    assert "STATUS" in ready.fields, f"READY=1 should carry STATUS=: {ready.raw!r}"
    # READY=1 means it serves: the very next request must succeed.
    r = d.get("/v1/health")
    assert r.status == 200 and r.json().get("status") == "ok", r
    # No watchdog pings without WATCHDOG_USEC.
    time.sleep(0.3)
    assert not [n for n in d.notify.all() if "WATCHDOG" in n.fields], "WATCHDOG=1 sent without WATCHDOG_USEC"


def test_watchdog_pings(daemon_factory):
    d = daemon_factory(env={"WATCHDOG_USEC": "200000"})
    d.notify.wait_field("READY", timeout=10)
    start = d.notify.mark()
    time.sleep(1.2)
    pings = [n.at for n in d.notify.all()[start:] if n.fields.get("WATCHDOG") == "1"]
    assert len(pings) >= 6, f"expected a WATCHDOG=1 about every 100 ms, got {len(pings)} in 1.2 s"
    gaps = [b - a for a, b in zip(pings, pings[1:])]
    assert max(gaps) < 0.2, f"a watchdog gap of {max(gaps):.3f}s exceeds WATCHDOG_USEC (0.2 s)"


def test_watchdog_keeps_pinging_under_load(daemon_factory):
    """Pings come from a live event loop, not a timer thread that survives a stuck daemon; at
    least they must not stop while the daemon is busy ingesting."""
    d = daemon_factory(env={"WATCHDOG_USEC": "200000"})
    d.notify.wait_field("READY", timeout=10)
    stop = threading.Event()

    def load():
        c = d.client()
        try:
            while not stop.is_set():
                c.post("/v1/messages", message())
        finally:
            c.close()

    threads = [threading.Thread(target=load) for _ in range(4)]
    for t in threads:
        t.start()
    start = d.notify.mark()
    time.sleep(1.0)
    stop.set()
    for t in threads:
        t.join(10)
    pings = [n.at for n in d.notify.all()[start:] if n.fields.get("WATCHDOG") == "1"]
    assert len(pings) >= 5, f"only {len(pings)} watchdog pings in 1 s under load"


# ---------------------------------------------------------------------------------------------
# SIGTERM / SIGINT
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_stop_signal_exits_zero_with_stopping(daemon_factory, sig):
    d = daemon_factory()
    assert_ack(d.post("/v1/messages", message()))
    mark = d.notify.mark()
    t0 = time.monotonic()
    d.signal(sig)
    rc = d.wait_exit(timeout=10)
    took = time.monotonic() - t0
    assert rc == 0, f"exit status {rc} after {sig!r}; stderr:\n{d.stderr_tail()}"
    assert took < 5, f"an idle daemon took {took:.1f}s to stop"
    d.notify.wait_field("STOPPING", after=mark, timeout=1)
    # Nothing listens any more.
    with pytest.raises(OSError):
        h.request_once(d.socket_path, "GET", "/v1/health")


def test_sigterm_with_idle_and_stalled_clients_exits_within_shutdown_timeout(daemon_factory):
    """An idle keep-alive connection and a client that stalls halfway through its body must not
    keep the daemon from exiting 0 within shutdown_timeout."""
    import socket
    d = daemon_factory(shutdown_timeout="2s")
    idle = d.client()
    assert_ack(idle.post("/v1/messages", message()))          # now idle, kept alive
    stalled = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stalled.settimeout(10)
    stalled.connect(d.socket_path)
    stalled.sendall(b"POST /v1/messages HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                    b"Content-Length: 500\r\n\r\n{\"id\": \"stalled\", ")
    try:
        time.sleep(0.2)
        t0 = time.monotonic()
        d.signal(signal.SIGTERM)
        rc = d.wait_exit(timeout=8)
        took = time.monotonic() - t0
    finally:
        idle.close()
        stalled.close()
    assert rc == 0, f"exit {rc}; stderr:\n{d.stderr_tail()}"
    assert took < 4, f"took {took:.1f}s to stop with shutdown_timeout 2s"
    assert h.external_id_counts(d.store_path).get("stalled") is None


def test_sigterm_drains_in_flight_and_loses_nothing(daemon_factory):
    d = daemon_factory()
    acked: dict[str, str] = {}
    lock = threading.Lock()
    stop = threading.Event()
    bad: list[str] = []

    def worker(n: int):
        c = d.client(timeout=15)
        i = 0
        try:
            while not stop.is_set():
                i += 1
                m = message(id=f"drain-{n}-{i}")
                try:
                    r = c.post("/v1/messages", m)
                except (OSError, http.client.HTTPException):
                    return  # the daemon closed the connection or stopped listening: fine
                if r.status in (200, 202):
                    with lock:
                        acked[m["id"]] = r.json()["id"]
                elif r.status == 503:
                    if r.header("retry-after") is None:
                        bad.append(f"503 without Retry-After: {r!r}")
                    return
                else:
                    bad.append(f"unexpected answer during shutdown: {r!r}")
                    return
        finally:
            c.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    time.sleep(0.7)
    d.signal(signal.SIGTERM)
    rc = d.wait_exit(timeout=12)
    stop.set()
    for t in threads:
        t.join(15)
    assert not bad, bad[:5]
    assert rc == 0, f"exit {rc}; stderr:\n{d.stderr_tail()}"
    assert acked, "no message was acknowledged before SIGTERM"
    counts = h.external_id_counts(d.store_path)
    missing = [k for k in acked if counts.get(k) != 1]
    assert not missing, f"{len(missing)} acknowledged messages not stored exactly once after SIGTERM: {missing[:10]}"


def test_restart_after_sigkill_with_stale_socket(daemon_factory):
    d = daemon_factory()
    ack = assert_ack(d.post("/v1/messages", message(id="before-kill")))
    d.kill9()
    assert os.path.exists(d.socket_path), "expected the stale socket file to remain after SIGKILL"
    d.start()
    r = d.get(f"/v1/messages/{ack['id']}")
    assert r.status == 200, r
    assert_ack(d.post("/v1/messages", message(id="before-kill")), 200)


def test_second_daemon_does_not_steal_the_socket(daemon_factory):
    first = daemon_factory(subdir="one")
    # A second `run` on the same config must not take over the first one's live socket.
    d2dir = os.path.join(os.path.dirname(first.dir), "two")
    os.makedirs(d2dir, exist_ok=True)
    second = h.Daemon(d2dir, first.config, notify=False)
    daemon_factory.daemons.append(second)
    second.start(wait=False)
    try:
        rc = second.proc.wait(timeout=10)
    except Exception:
        rc = None
    assert rc is not None and rc != 0, "a second daemon on the same socket and store should refuse to start"
    assert first.running()
    assert first.get("/v1/health").status == 200
    assert_ack(first.post("/v1/messages", message()))


# ---------------------------------------------------------------------------------------------
# SIGHUP reload
# ---------------------------------------------------------------------------------------------

def _reload(d: h.Daemon, timeout: float = 10.0):
    mark = d.notify.mark()
    err_mark = d.stderr_size()
    d.signal(signal.SIGHUP)
    i, reloading = d.notify.wait_field("RELOADING", after=mark, timeout=timeout)
    _, ready = d.notify.wait_field("READY", after=i + 1, timeout=timeout)
    time.sleep(0.1)  # let the log line that explains the outcome reach the file
    return reloading, ready, d.stderr_since(err_mark)


def test_sighup_valid_config_is_applied(daemon_factory):
    d = daemon_factory()
    r = d.post("/v1/messages", message(adapter="crm"))
    h.assert_error(r, 400, "adapter")
    cfg = json.loads(json.dumps(d.config))
    cfg["adapters"]["crm"] = {"type": "local", "listener": "local"}
    d.rewrite_config(cfg)
    t_before = time.monotonic()
    reloading, ready, _ = _reload(d)
    usec = reloading.fields.get("MONOTONIC_USEC", "")
    assert usec.isdigit(), f"RELOADING=1 without MONOTONIC_USEC: {reloading.raw!r}"
    assert abs(int(usec) / 1e6 - t_before) < 5, \
        f"MONOTONIC_USEC={usec} is not CLOCK_MONOTONIC now ({t_before * 1e6:.0f})"
    status = d.get("/v1/status").json()
    assert {"local", "crm"} <= set(h.adapter_ids(status)), status
    ack = assert_ack(d.post("/v1/messages", message(adapter="crm")))
    stored = d.get(f"/v1/messages/{ack['id']}").json()
    assert "crm" in h.strings_in(stored), stored
    assert d.running()


def _threads(d: h.Daemon, name: str) -> int:
    """How many of the daemon's threads have a name that matches `name` (a regular expression)."""
    names = []
    for tid in os.listdir(f"/proc/{d.pid}/task"):
        try:
            with open(f"/proc/{d.pid}/task/{tid}/comm") as f:
                names.append(f.read().strip())
        except FileNotFoundError:
            pass
    return sum(1 for n in names if re.fullmatch(name, n))


def _outbox_threads(d: h.Daemon) -> int:
    return _threads(d, r"outbox-\d+")


def test_event_loops_per_listener_and_on_reload(daemon_factory):
    d = daemon_factory()
    cfg = json.loads(json.dumps(d.config))
    cfg["listeners"]["local"]["event_loops"] = 3
    d.rewrite_config(cfg)
    d.stop()
    d.start()
    assert _threads(d, r"http-loop-\d+") == 3
    # Twelve keep-alive connections open at once (spread over the loops as they accept), each
    # posting in turn: every one is answered.
    clients = [h.Client(d.socket_path) for _ in range(12)]
    try:
        ids = {assert_ack(c.post("/v1/messages", message()))["id"] for _ in range(4) for c in clients}
    finally:
        for c in clients:
            c.close()
    assert len(ids) == 48

    # A change rebinds the listener with the new number of loops; the old loops stop.
    cfg["listeners"]["local"]["event_loops"] = 1
    d.rewrite_config(cfg)
    _reload(d)
    deadline = time.monotonic() + 5
    while _threads(d, r"http-loop(-\d+)?") != 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _threads(d, r"http-loop(-\d+)?") == 1
    assert_ack(d.post("/v1/messages", message()))


def test_sighup_names_each_key_only_a_restart_applies(daemon_factory):
    d = daemon_factory(outbox={"workers": 2}, agent_api={"max_event_streams": 1000})
    assert _outbox_threads(d) == 2
    cfg = json.loads(json.dumps(d.config))
    cfg["outbox"] = {"workers": 6, "per_adapter": 3}     # per_adapter applies on reload; workers does not
    cfg["agent_api"] = {"max_event_streams": 40}
    d.rewrite_config(cfg)

    # The file itself is fine: check-config accepts it without a word about restarts.
    checked = h.cli("check-config", "--config", d.config_path)
    assert checked.returncode == 0 and checked.stdout.startswith("OK"), checked
    assert "restart" not in checked.output.lower() and "warning" not in checked.output.lower(), checked

    _, ready, log = _reload(d)
    assert d.running()
    warnings = [line for line in log.splitlines() if "reload cannot apply" in line]
    assert len(warnings) == 2, log
    for key, in_force, configured in (("outbox.workers", "2", "6"), ("agent_api.max_event_streams", "1000", "40")):
        sentence = (f"reload cannot apply a change: {key} changed from {in_force} to {configured}, "
                    f"which only a restart applies; {in_force} stays in force until then")
        line = next((w for w in warnings if sentence in w), None)
        assert line is not None, log
        assert re.search(rf'in_force[=:]"?{in_force}\b', line) and re.search(rf'configured[=:]"?{configured}\b', line), line
        assert re.search(r"(?i)warn", line), line
    assert "per_adapter" not in "".join(warnings)
    assert "restart needed to apply outbox.workers, agent_api.max_event_streams" in ready.fields.get("STATUS", ""), ready.raw
    pending = d.get("/v1/status").json()["restart_pending"]
    assert pending == [{"key": "outbox.workers", "in_force": "2", "configured": "6"},
                       {"key": "agent_api.max_event_streams", "in_force": "1000", "configured": "40"}], pending
    cli = h.cli("status", "--socket", d.socket_path)
    assert cli.returncode == 0, cli
    assert "restart needed: outbox.workers is 2 until a restart (adapters.json says 6)" in cli.stdout, cli.stdout
    # The old value is what runs: still two sending threads.
    assert _outbox_threads(d) == 2

    # Every reload until the restart says it again; a file set back to the running values is quiet.
    _, _, log = _reload(d)
    assert "reload cannot apply a change: outbox.workers changed from 2 to 6" in log, log
    cfg["outbox"] = {"workers": 2, "per_adapter": 3}
    cfg["agent_api"] = {"max_event_streams": 1000}
    d.rewrite_config(cfg)
    _, ready, log = _reload(d)
    assert "reload cannot apply" not in log, log
    assert "restart needed" not in ready.fields.get("STATUS", "")
    assert "restart_pending" not in d.get("/v1/status").json()

    # After a restart the new values are the running ones.
    cfg["outbox"] = {"workers": 6}
    d.rewrite_config(cfg)
    d.stop()
    d.start()
    assert _outbox_threads(d) == 6
    assert "restart_pending" not in d.get("/v1/status").json()


def test_same_id_from_two_adapters_are_two_messages(daemon_factory):
    d = daemon_factory(adapters={"local": {"type": "local", "listener": "local"},
                                 "crm": {"type": "local", "listener": "local"}})
    a = assert_ack(d.post("/v1/messages", message(id="shared-id", adapter="local")))
    b = assert_ack(d.post("/v1/messages", message(id="shared-id", adapter="crm")))
    assert a["id"] != b["id"], "the dedupe key is (adapter, id)"
    assert assert_ack(d.post("/v1/messages", message(id="shared-id", adapter="crm")), 200)["id"] == b["id"]


BAD_CONFIGS = {
    "bad-json": lambda cfg: json.dumps(cfg)[:-20] + ', "adapters": {',
    "unknown-key": lambda cfg: json.dumps(_with(cfg, ["adapters", "crm"], {"type": "local", "listner": "local"})),
    "wrong-type": lambda cfg: json.dumps(_with(cfg, ["ingest", "backlog_budget"], "lots")),
}


def _with(cfg: dict, path: list[str], value) -> dict:
    cfg = json.loads(json.dumps(cfg))
    node = cfg
    for p in path[:-1]:
        node = node.setdefault(p, {})
    node[path[-1]] = value
    return cfg


@pytest.mark.parametrize("kind", list(BAD_CONFIGS))
def test_sighup_invalid_config_keeps_old_one(daemon_factory, kind):
    d = daemon_factory()
    before = assert_ack(d.post("/v1/messages", message()))
    d.rewrite_config(BAD_CONFIGS[kind](d.config))
    _, ready, log = _reload(d)
    assert d.running(), "a bad config must not stop the daemon"
    # It still serves, on the old config.
    assert d.get("/v1/health").status == 200
    assert d.get(f"/v1/messages/{before['id']}").status == 200
    assert_ack(d.post("/v1/messages", message()))
    status = d.get("/v1/status").json()
    assert "crm" not in h.adapter_ids(status), status
    assert "10000" in json.dumps(status.get("backlog")), f"the old backlog budget should still apply: {status}"
    # And says why, on stderr.
    assert log.strip(), "no log line about the rejected config"
    if kind == "unknown-key":
        assert h.path_pattern("adapters", "crm", "listner").search(log), \
            f"the log should name the JSON path adapters.crm.listner: {log!r}"
    elif kind == "wrong-type":
        assert h.path_pattern("ingest", "backlog_budget").search(log), \
            f"the log should name the JSON path ingest.backlog_budget: {log!r}"
    else:
        assert re.search(r"(?i)json|syntax|parse|unexpected|expected|line \d+|offset", log), \
            f"the log should say the file is not valid JSON: {log!r}"


def test_bad_reload_then_good_reload(daemon_factory):
    d = daemon_factory()
    d.rewrite_config("{ this is not json")
    _reload(d)
    assert d.running()
    cfg = json.loads(json.dumps(d.config))
    cfg["adapters"]["crm"] = {"type": "local", "listener": "local"}
    d.rewrite_config(cfg)
    _reload(d)
    assert "crm" in h.adapter_ids(d.get("/v1/status").json())
    assert_ack(d.post("/v1/messages", message(adapter="crm")))


def test_reload_under_load_loses_nothing(daemon_factory):
    d = daemon_factory()
    acked: dict[str, str] = {}
    errors: list[str] = []
    stop = threading.Event()
    lock = threading.Lock()

    def worker(n):
        c = d.client()
        i = 0
        try:
            while not stop.is_set():
                i += 1
                # Once `crm` exists, `adapter` is required (docs: it may be left out only while
                # one local adapter is configured), so name it from the start.
                m = message(id=f"rl-{n}-{i}", adapter="local")
                try:
                    r = c.post("/v1/messages", m)
                except (OSError, http.client.HTTPException) as e:
                    # A reload may close idle keep-alive connections; a request must not be lost,
                    # but reconnecting and retrying the same id is what clients do.
                    c.close()
                    r = c.post("/v1/messages", m)
                if r.status in (200, 202):
                    with lock:
                        acked[m["id"]] = r.json()["id"]
                else:
                    errors.append(repr(r))
        except Exception as e:
            errors.append(repr(e))
        finally:
            c.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.3)
    cfg = json.loads(json.dumps(d.config))
    cfg["adapters"]["crm"] = {"type": "local", "listener": "local"}
    d.rewrite_config(cfg)
    _reload(d)
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join(15)
    assert not errors, errors[:5]
    assert d.stop() == 0
    counts = h.external_id_counts(d.store_path)
    assert all(counts.get(k) == 1 for k in acked), "an acknowledged message is missing after a reload"


# ---------------------------------------------------------------------------------------------
# Start-up
# ---------------------------------------------------------------------------------------------

def test_run_with_invalid_config_fails_fast_naming_the_path(daemon_factory):
    d = daemon_factory(start=False)
    cfg = _with(d.config, ["adapters", "local", "listner"], "local")
    d.rewrite_config(cfg)
    d.start(wait=False)
    rc = d.wait_exit(timeout=10)
    assert rc != 0
    assert h.path_pattern("adapters", "local", "listner").search(d.stderr()), d.stderr()
    assert not [n for n in d.notify.all() if n.fields.get("READY") == "1"], "READY=1 sent for a bad config"


def test_run_with_missing_config_file_fails(daemon_factory):
    d = daemon_factory(start=False)
    os.unlink(d.config_path)
    d.start(wait=False)
    assert d.wait_exit(timeout=10) != 0
    assert d.config_path in d.stderr() or "adapters.json" in d.stderr(), d.stderr()


def test_relative_store_path_uses_state_directory(daemon_factory, workdir):
    state = os.path.join(workdir, "state")
    os.makedirs(state)
    d = daemon_factory(start=False)
    cfg = dict(d.config, store={"path": "rel.db"})
    d.rewrite_config(cfg)
    d.extra_env["STATE_DIRECTORY"] = state
    d.start()
    assert_ack(d.post("/v1/messages", message()))
    assert d.stop() == 0
    assert os.path.exists(os.path.join(state, "rel.db")), os.listdir(state)
    assert not os.path.exists(os.path.join(d.dir, "rel.db"))


def test_relative_store_path_uses_cwd_without_state_directory(daemon_factory, workdir):
    cwd = os.path.join(workdir, "cwd")
    os.makedirs(cwd)
    d = daemon_factory(start=False)
    d.rewrite_config(dict(d.config, store={"path": "rel.db"}))
    d.start(cwd=cwd)
    assert_ack(d.post("/v1/messages", message()))
    assert d.stop() == 0
    assert os.path.exists(os.path.join(cwd, "rel.db")), os.listdir(cwd)


def test_data_survives_clean_restart(daemon_factory):
    d = daemon_factory()
    m = message(channel="email", value="Restart.Me@example.com")
    first = assert_ack(d.post("/v1/messages", m))
    assert d.stop() == 0
    d.start()
    assert d.get(f"/v1/messages/{first['id']}").json()["text"] == m["text"]
    again = assert_ack(d.post("/v1/messages", m), 200)
    assert again["id"] == first["id"]
    nxt = assert_ack(d.post("/v1/messages", message(channel="chat", value="restart.me@example.com")))
    assert nxt["contact"] == first["contact"]
    assert nxt["conversation"] == first["conversation"]
