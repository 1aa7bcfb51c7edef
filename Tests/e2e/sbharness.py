"""Helpers for the end-to-end suite: start the real `switchboard` binary on a temporary config,
talk HTTP/1.1 to it over its Unix socket, listen for its sd_notify datagrams, read its store.

Python standard library only (the test venv has pytest and nothing else).
"""

from __future__ import annotations

import ctypes
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


# --------------------------------------------------------------------------------------------
# Process bookkeeping: every daemon this suite starts is registered here and killed by pid.
# --------------------------------------------------------------------------------------------

_live_lock = threading.Lock()
_live: dict[int, subprocess.Popen] = {}


def _register(proc: subprocess.Popen) -> None:
    with _live_lock:
        _live[proc.pid] = proc


def _unregister(proc: subprocess.Popen) -> None:
    with _live_lock:
        _live.pop(proc.pid, None)


def kill_all_started() -> list[int]:
    """SIGKILLs every daemon this suite started and has not yet reaped (by pid). Returns the pids."""
    with _live_lock:
        procs = list(_live.values())
    killed = []
    for proc in procs:
        if proc.poll() is None:
            try:
                os.kill(proc.pid, signal.SIGKILL)
                killed.append(proc.pid)
            except ProcessLookupError:
                pass
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        _unregister(proc)
    return killed


def _die_with_parent() -> None:
    """preexec_fn: the child gets SIGKILL when the test runner goes away (PR_SET_PDEATHSIG),
    so a crashed or interrupted pytest never leaves a daemon behind."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG = 1
    except OSError:
        pass


def binary() -> str:
    path = os.environ.get("SWITCHBOARD_BIN") or os.path.join(REPO_ROOT, ".build", "debug", "switchboard")
    return os.path.abspath(path)


def short_tempdir(prefix: str = "sbe2e-") -> str:
    """A temp dir with a short path: sun_path holds at most 107 bytes."""
    base = tempfile.gettempdir()
    if len(base) > 40 and os.path.isdir("/tmp"):
        base = "/tmp"
    return tempfile.mkdtemp(prefix=prefix, dir=base)


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------

def base_config(d: str, **overrides: Any) -> dict:
    """The core adapters.json shape with absolute paths under `d`. Keyword overrides replace
    top-level sections (pass a dict) and are merged one level deep when both sides are dicts."""
    cfg: dict[str, Any] = {
        "version": 1,
        "store": {"path": os.path.join(d, "sb.db")},
        "listeners": {"local": {"type": "unix", "path": os.path.join(d, "ingest.sock"), "mode": "0660"}},
        "ingest": {"backlog_budget": 10000, "retry_after": "1s"},
        "log": {"level": "info"},
        "shutdown_timeout": "10s",
        "adapters": {"local": {"type": "local", "listener": "local"}},
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(cfg.get(key), dict):
            merged = dict(cfg[key])
            merged.update(value)
            cfg[key] = merged
        else:
            cfg[key] = value
    return cfg


def write_config(path: str, cfg: dict | str) -> str:
    text = cfg if isinstance(cfg, str) else json.dumps(cfg, indent=2)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)  # atomic, as an admin's editor or config management would do
    return path


# --------------------------------------------------------------------------------------------
# HTTP over a Unix socket
# --------------------------------------------------------------------------------------------

class UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, socket_path: str, timeout: float = 10.0):
        super().__init__("localhost", timeout=timeout)
        self.socket_path = socket_path

    def connect(self) -> None:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        try:
            s.connect(self.socket_path)
        except BaseException:
            s.close()
            raise
        self.sock = s


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    reason: str = ""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError as e:
            raise AssertionError(f"response {self.status} is not JSON: {self.body[:300]!r}") from e

    def __repr__(self) -> str:
        return f"<Response {self.status} {self.headers.get('content-type')} {self.body[:300]!r}>"


class Client:
    """One keep-alive connection. `request` does not retry: a failure raises, so that callers
    which must know whether a request reached the daemon (the crash test) can tell."""

    def __init__(self, socket_path: str, timeout: float = 10.0):
        self.socket_path = socket_path
        self.timeout = timeout
        self.conn: UnixHTTPConnection | None = None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method: str, path: str, body: bytes | str | None = None,
                headers: dict[str, str] | None = None, json_body: Any = None) -> Response:
        hdrs = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body)
            hdrs.setdefault("Content-Type", "application/json")
        if isinstance(body, str):
            body = body.encode()
        if self.conn is None:
            self.conn = UnixHTTPConnection(self.socket_path, self.timeout)
        try:
            self.conn.request(method, path, body=body, headers=hdrs)
            r = self.conn.getresponse()
            data = r.read()
        except BaseException:
            self.close()
            raise
        resp = Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data, r.reason)
        if (resp.header("connection") or "").lower() == "close":
            self.close()
        return resp

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, obj: Any) -> Response:
        return self.request("POST", path, json_body=obj)


def request_once(socket_path: str, method: str, path: str, **kw: Any) -> Response:
    c = Client(socket_path)
    try:
        return c.request(method, path, **kw)
    finally:
        c.close()


def curl(socket_path: str, method: str, path: str, data: bytes | str | None = None,
         headers: Iterable[str] = (), content_type: str | None = "application/json",
         # None: curl's default; "": no Content-Type header
         timeout: float = 20.0) -> Response:
    """One request with the real curl binary (`curl --unix-socket`), as an admin would send it."""
    d = tempfile.mkdtemp(prefix="sbcurl-")
    try:
        head_file, body_file = os.path.join(d, "h"), os.path.join(d, "b")
        cmd = ["curl", "-sS", "--unix-socket", socket_path, "-X", method,
               "-D", head_file, "-o", body_file, "-w", "%{http_code}"]
        if content_type == "":
            cmd += ["-H", "Content-Type:"]  # no Content-Type header at all
        elif content_type is not None:
            cmd += ["-H", f"Content-Type: {content_type}"]
        for h in headers:
            cmd += ["-H", h]
        if data is not None:
            data_file = os.path.join(d, "d")
            with open(data_file, "wb") as f:
                f.write(data.encode() if isinstance(data, str) else data)
            cmd += ["--data-binary", "@" + data_file]
        cmd.append("http://localhost" + path)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if p.returncode != 0:
            raise AssertionError(f"curl failed ({p.returncode}): {p.stderr.strip()} for {method} {path}")
        status = int(p.stdout.strip() or 0)
        headers_out: dict[str, str] = {}
        with open(head_file, "rb") as f:
            blocks = f.read().decode("latin-1").split("\r\n\r\n")
        # The last non-empty block is the final response (a 100 Continue may come first).
        final = [b for b in blocks if b.strip()][-1] if any(b.strip() for b in blocks) else ""
        for line in final.split("\r\n")[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                headers_out[k.strip().lower()] = v.strip()
        body = open(body_file, "rb").read() if os.path.exists(body_file) else b""
        return Response(status, headers_out, body)
    finally:
        shutil.rmtree(d, ignore_errors=True)


# --------------------------------------------------------------------------------------------
# sd_notify listener
# --------------------------------------------------------------------------------------------

@dataclass
class Notification:
    at: float
    raw: str
    fields: dict[str, str]


class NotifyListener:
    """Binds the datagram socket named by NOTIFY_SOCKET and records every datagram."""

    def __init__(self, path: str):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.1)
        self.messages: list[Notification] = []
        self.cond = threading.Condition()
        self._stop = False
        self.thread = threading.Thread(target=self._run, name="notify", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop:
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            text = data.decode("utf-8", "replace")
            fields = {}
            for line in text.split("\n"):
                if "=" in line:
                    k, v = line.split("=", 1)
                    fields[k] = v
            with self.cond:
                self.messages.append(Notification(time.monotonic(), text, fields))
                self.cond.notify_all()

    def mark(self) -> int:
        with self.cond:
            return len(self.messages)

    def wait_for(self, pred: Callable[[Notification], bool], after: int = 0, timeout: float = 10.0) -> tuple[int, Notification]:
        """Waits for a datagram at index >= after that satisfies pred; returns (index, datagram)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for i in range(after, len(self.messages)):
                    if pred(self.messages[i]):
                        return i, self.messages[i]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"no matching sd_notify datagram within {timeout}s; got: "
                        + repr([m.raw for m in self.messages[after:]][-20:]))
                self.cond.wait(remaining)

    def wait_field(self, key: str, value: str = "1", after: int = 0, timeout: float = 10.0) -> tuple[int, Notification]:
        return self.wait_for(lambda n: n.fields.get(key) == value, after, timeout)

    def all(self) -> list[Notification]:
        with self.cond:
            return list(self.messages)

    def close(self) -> None:
        self._stop = True
        self.thread.join(timeout=2)
        self.sock.close()


# --------------------------------------------------------------------------------------------
# The daemon
# --------------------------------------------------------------------------------------------

class Daemon:
    """One `switchboard run --config FILE` process in a work directory.

    Stderr goes to a file in the work directory (appended across restarts, one file per start
    in `stderr_files`). NOTIFY_SOCKET points at a listener the harness binds, unless
    `notify=False`."""

    def __init__(self, workdir: str, config: dict | None = None, env: dict[str, str] | None = None,
                 notify: bool = True, config_name: str = "adapters.json"):
        self.dir = workdir
        self.config = config if config is not None else base_config(workdir)
        self.config_path = os.path.join(workdir, config_name)
        write_config(self.config_path, self.config)
        self.extra_env = dict(env or {})
        self.notify: NotifyListener | None = None
        if notify:
            self.notify = NotifyListener(os.path.join(workdir, "notify.sock"))
        self.proc: subprocess.Popen | None = None
        self.stderr_files: list[str] = []
        self.starts = 0

    # paths -----------------------------------------------------------------------------------
    @property
    def socket_path(self) -> str:
        return self.config["listeners"]["local"]["path"]

    @property
    def store_path(self) -> str:
        return self.config["store"]["path"]

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    # lifecycle -------------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "JOURNAL_STREAM",
                            "STATE_DIRECTORY", "RUNTIME_DIRECTORY", "LISTEN_FDS", "LISTEN_PID")}
        if self.notify is not None:
            env["NOTIFY_SOCKET"] = self.notify.path
        env.update(self.extra_env)
        return env

    def start(self, wait: bool = True, timeout: float = 20.0, cwd: str | None = None) -> "Daemon":
        assert self.proc is None or self.proc.poll() is not None, "daemon already running"
        self.starts += 1
        err_path = os.path.join(self.dir, f"stderr.{self.starts}.log")
        self.stderr_files.append(err_path)
        err = open(err_path, "wb")
        out = open(os.path.join(self.dir, f"stdout.{self.starts}.log"), "wb")
        try:
            self.proc = subprocess.Popen([binary(), "run", "--config", self.config_path],
                                         stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                         env=self.env(), cwd=cwd or self.dir,
                                         preexec_fn=_die_with_parent)
        finally:
            err.close()
            out.close()
        _register(self.proc)
        if wait:
            self.wait_serving(timeout)
        return self

    def wait_serving(self, timeout: float = 20.0) -> None:
        """Until GET /v1/health answers 200 on the socket (or the process exits: that fails)."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"daemon exited with {self.proc.returncode} before serving; "
                                     f"stderr:\n{self.stderr_tail()}")
            try:
                r = request_once(self.socket_path, "GET", "/v1/health")
                if r.status == 200:
                    return
                last = r
            except (OSError, http.client.HTTPException) as e:
                last = e
            time.sleep(0.02)
        raise AssertionError(f"daemon did not serve GET /v1/health within {timeout}s (last: {last!r}); "
                             f"stderr:\n{self.stderr_tail()}")

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, sig)

    def wait_exit(self, timeout: float) -> int:
        assert self.proc is not None
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"daemon pid {self.proc.pid} did not exit within {timeout}s; "
                                 f"stderr:\n{self.stderr_tail()}")
        _unregister(self.proc)
        return rc

    def kill9(self) -> None:
        """SIGKILL, and reap."""
        assert self.proc is not None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)
        _unregister(self.proc)

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM and wait; SIGKILL if it does not exit in time (and fail then)."""
        if self.proc is None or self.proc.poll() is not None:
            if self.proc is not None:
                _unregister(self.proc)
            return self.proc.returncode if self.proc else 0
        os.kill(self.proc.pid, signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill9()
            raise AssertionError(f"daemon did not exit within {timeout}s of SIGTERM")
        _unregister(self.proc)
        return rc

    def cleanup(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.kill9()
            except Exception:
                pass
        if self.notify is not None:
            self.notify.close()
            self.notify = None

    # config ----------------------------------------------------------------------------------
    def rewrite_config(self, cfg: dict | str) -> None:
        if isinstance(cfg, dict):
            self.config = cfg
        write_config(self.config_path, cfg)

    # logs ------------------------------------------------------------------------------------
    def stderr(self) -> str:
        parts = []
        for p in self.stderr_files:
            try:
                with open(p, "rb") as f:
                    parts.append(f.read().decode("utf-8", "replace"))
            except FileNotFoundError:
                pass
        return "".join(parts)

    def stderr_size(self) -> int:
        return len(self.stderr().encode("utf-8", "replace"))

    def stderr_since(self, size: int) -> str:
        return self.stderr().encode("utf-8", "replace")[size:].decode("utf-8", "replace")

    def stderr_tail(self, n: int = 40) -> str:
        return "\n".join(self.stderr().splitlines()[-n:])

    # http ------------------------------------------------------------------------------------
    def client(self, timeout: float = 10.0) -> Client:
        return Client(self.socket_path, timeout)

    def get(self, path: str) -> Response:
        return request_once(self.socket_path, "GET", path)

    def post(self, path: str, obj: Any) -> Response:
        return request_once(self.socket_path, "POST", path, json_body=obj)

    def curl(self, method: str, path: str, data: Any = None, **kw: Any) -> Response:
        if data is not None and not isinstance(data, (bytes, str)):
            data = json.dumps(data)
        return curl(self.socket_path, method, path, data, **kw)


# --------------------------------------------------------------------------------------------
# Messages and answers
# --------------------------------------------------------------------------------------------

_counter = 0
_counter_lock = threading.Lock()
RUN = f"{os.getpid():x}{int(time.time() * 1000) % 1_000_000:x}"


def unique(prefix: str = "e2e") -> str:
    global _counter
    with _counter_lock:
        _counter += 1
        return f"{prefix}-{RUN}-{_counter}"


def message(id: str | None = None, channel: str = "web", kind: str = "email",
            value: str | None = None, text: str | None = None, **extra: Any) -> dict:
    m = {
        "id": id or unique("m"),
        "channel": channel,
        "from": {"kind": kind, "value": value or f"{unique('cust')}@example.com"},
        "text": text if text is not None else "Hello, my card was charged twice for invoice 4411.",
    }
    m.update(extra)
    return m


MSG_ID = re.compile(r"^msg_[0-9A-HJKMNP-TV-Z]{26}$")
CT_ID = re.compile(r"^ct_[0-9A-HJKMNP-TV-Z]{26}$")
CV_ID = re.compile(r"^cv_[0-9A-HJKMNP-TV-Z]{26}$")


def assert_ack(resp: Response, status: int | tuple[int, ...] = 202) -> dict:
    statuses = status if isinstance(status, tuple) else (status,)
    assert resp.status in statuses, f"expected {statuses}, got {resp!r}"
    body = resp.json()
    assert isinstance(body, dict), body
    for key in ("id", "contact", "conversation", "duplicate"):
        assert key in body, f"answer lacks {key!r}: {body}"
    assert MSG_ID.match(body["id"]), f"message id {body['id']!r} is not msg_<ULID>"
    assert CT_ID.match(body["contact"]), f"contact id {body['contact']!r} is not ct_<ULID>"
    assert CV_ID.match(body["conversation"]), f"conversation id {body['conversation']!r} is not cv_<ULID>"
    assert body["duplicate"] is (resp.status == 200), f"duplicate flag wrong for {resp.status}: {body}"
    return body


def assert_error(resp: Response, status: int, field_name: str | None = None) -> dict:
    assert resp.status == status, f"expected {status}, got {resp!r}"
    body = resp.json()
    assert isinstance(body, dict) and isinstance(body.get("error"), dict), f"no error object: {body}"
    err = body["error"]
    assert isinstance(err.get("code"), str) and err["code"], f"error has no code: {err}"
    assert isinstance(err.get("message"), str) and err["message"], f"error has no message: {err}"
    if field_name is not None:
        assert err.get("field") == field_name, f"expected error.field {field_name!r}, got {err}"
    return err


def strings_in(obj: Any) -> list[str]:
    """Every string value (and key) anywhere in a decoded JSON value: for checks that a value is
    present without fixing the name of the field that holds it."""
    out: list[str] = []
    if isinstance(obj, str):
        out.append(obj)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            out.append(k)
            out.extend(strings_in(v))
    elif isinstance(obj, list):
        for v in obj:
            out.extend(strings_in(v))
    return out


def adapter_ids(status: dict) -> list[str]:
    """The adapter ids in GET /v1/status, whether `adapters` is a list of objects or a map."""
    adapters = status.get("adapters")
    if isinstance(adapters, dict):
        return list(adapters.keys())
    if isinstance(adapters, list):
        return [a.get("id") for a in adapters if isinstance(a, dict)]
    raise AssertionError(f"status has no adapters list: {status}")


def metric_value(text: str, name: str) -> float:
    """The sum of all samples of `name` (any labels) in a Prometheus text exposition."""
    total, seen = 0.0, False
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)", line)
        if m and m.group(1) == name:
            total += float(m.group(3))
            seen = True
    if not seen:
        raise AssertionError(f"metric {name} not in /metrics output:\n{text[:2000]}")
    return total


# --------------------------------------------------------------------------------------------
# The store, read-only
# --------------------------------------------------------------------------------------------

MESSAGES_TABLE = "messages"
ADAPTER_COLUMN = "adapter_id"
EXTERNAL_COLUMN = "external_id"


def open_store_ro(path: str) -> sqlite3.Connection:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
    db.execute("PRAGMA busy_timeout = 10000")
    return db


def external_id_counts(path: str, adapter: str = "local") -> dict[str, int]:
    db = open_store_ro(path)
    try:
        rows = db.execute(
            f"SELECT {EXTERNAL_COLUMN}, COUNT(*) FROM {MESSAGES_TABLE} WHERE {ADAPTER_COLUMN} = ? "
            f"GROUP BY {EXTERNAL_COLUMN}", (adapter,)).fetchall()
        return {r[0]: r[1] for r in rows}
    finally:
        db.close()


def total_message_rows(path: str) -> int:
    db = open_store_ro(path)
    try:
        return db.execute(f"SELECT COUNT(*) FROM {MESSAGES_TABLE}").fetchone()[0]
    finally:
        db.close()


# --------------------------------------------------------------------------------------------
# The CLI
# --------------------------------------------------------------------------------------------

@dataclass
class Run:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def __repr__(self) -> str:
        return (f"<switchboard {' '.join(self.args)} exit={self.returncode}\n--stdout--\n{self.stdout[-2000:]}"
                f"\n--stderr--\n{self.stderr[-2000:]}>")


def cli(*args: str, timeout: float = 20.0, env: dict[str, str] | None = None, cwd: str | None = None) -> Run:
    e = {k: v for k, v in os.environ.items() if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "JOURNAL_STREAM")}
    e.update(env or {})
    p = subprocess.run([binary(), *args], capture_output=True, text=True, timeout=timeout, env=e,
                       cwd=cwd, stdin=subprocess.DEVNULL)
    return Run(list(args), p.returncode, p.stdout, p.stderr)


def json_in(text: str) -> Any:
    """The JSON object a command printed (tolerating a line of text before or after it)."""
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        pass
    start, end = text.find("{"), text.rfind("}")
    if start >= 0 and end > start:
        return json.loads(text[start:end + 1])
    raise AssertionError(f"no JSON object in output: {text[:500]!r}")


def path_pattern(*parts: str) -> re.Pattern:
    """Matches a JSON path however it is spelled: a.b.c, $.a.b.c, /a/b/c, a["b"].c, a → b → c."""
    sep = r"""(?:\.|/|\[["']?|["']?\]\.?|["']?\]\[["']?|\s*(?:→|->|>)\s*)"""
    return re.compile(sep.join(re.escape(p) for p in parts) + r"(?![A-Za-z0-9_])")
