"""Helpers for the email end-to-end tests: a real Dovecot (Debian's dovecot-imapd) started from
scripts/dovecot-up.sh on a free loopback port, test users, seeding with scripts/imap-seed.py,
an imap adapter config, read-only looks into the store, and a TCP proxy that can drop
connections or refuse them (a server going away mid-fetch, or down for a while).

Python standard library only. Dovecot is installed by the script when missing (apt, as root or
with sudo); when that is impossible the tests are skipped with the reason.
"""

from __future__ import annotations

import imaplib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import threading
import time
from typing import Any, Callable

import pytest

import sbharness as h

SCRIPTS = os.path.join(h.REPO_ROOT, "scripts")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:port."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def wait_until(predicate: Callable[[], Any], timeout: float = 20.0, interval: float = 0.02, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


class Dovecot:
    """One Dovecot for the test session; each test makes its own users (fresh mailboxes)."""

    def __init__(self, directory: str, imaps: bool = True):
        self.dir = directory
        self.port = free_port()
        self.imaps_port = free_port() if imaps else None
        env = dict(os.environ, DOVECOT_USERS="")
        if self.imaps_port:
            env["IMAPS_PORT"] = str(self.imaps_port)
        p = subprocess.run([os.path.join(SCRIPTS, "dovecot-up.sh"), str(self.port), directory],
                           capture_output=True, text=True, env=env, timeout=300)
        if p.returncode != 0:
            raise RuntimeError(f"dovecot-up.sh failed ({p.returncode}): {p.stderr.strip()[-800:]}")
        self.info = dict(line.split("=", 1) for line in p.stdout.splitlines() if "=" in line)
        self.cafile = self.info["IMAP_CAFILE"]
        self.users = 0

    def stop(self) -> None:
        subprocess.run([os.path.join(SCRIPTS, "dovecot-down.sh"), self.dir], capture_output=True, timeout=30)

    def add_user(self, prefix: str = "u", password: str | None = None) -> "MailUser":
        self.users += 1
        name = f"{prefix}{self.users}x{os.getpid()}"
        password = password or f"pw-{name}"
        self.set_password(name, password)
        return MailUser(self, name, password)

    def set_password(self, name: str, password: str) -> None:
        subprocess.run([os.path.join(SCRIPTS, "dovecot-user.sh"), self.dir, name, password],
                       check=True, capture_output=True, timeout=30)


class MailUser:
    def __init__(self, dovecot: Dovecot, name: str, password: str):
        self.dovecot = dovecot
        self.name = name
        self.password = password
        self.maildir = os.path.join(dovecot.dir, "mail", name, "Maildir")

    # seeding -------------------------------------------------------------------------------
    def seed(self, n: int, *, maildir: bool = False, mailbox: str = "INBOX", broken: int = 0, prefix: str | None = None,
             big_mb: int = 0, seed: int = 42, workdir: str | None = None) -> list[dict]:
        """Seeds n good mails (+ broken ones); returns the manifest (one dict per mail)."""
        manifest = os.path.join(workdir or self.dovecot.dir, f"manifest-{self.name}-{time.monotonic_ns()}.json")
        cmd = ["python3", os.path.join(SCRIPTS, "imap-seed.py"), str(n), "--quiet", "--seed", str(seed),
               "--prefix", prefix or self.name, "--manifest", manifest, "--broken", str(broken)]
        if big_mb:
            cmd += ["--big-mb", str(big_mb)]
        if maildir:
            cmd += ["--maildir", self.maildir]
        else:
            cmd += ["--port", str(self.dovecot.port), "--user", self.name, "--password", self.password, "--mailbox", mailbox]
        subprocess.run(cmd, check=True, timeout=300)
        with open(manifest) as f:
            return [json.loads(line) for line in f]

    # looking at the mailbox ----------------------------------------------------------------
    def imap(self) -> imaplib.IMAP4:
        m = imaplib.IMAP4("127.0.0.1", self.dovecot.port)
        m.login(self.name, self.password)
        return m

    def flags(self, mailbox: str = "INBOX") -> dict[int, str]:
        m = self.imap()
        try:
            m.select(mailbox, readonly=True)
            typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
            out = {}
            for item in data:
                if not item:
                    continue
                text = item.decode() if isinstance(item, bytes) else item[0].decode()
                if "UID " in text:
                    uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
                    out[uid] = text.split("FLAGS (")[1].split(")")[0]
            return out
        finally:
            m.logout()

    def count(self, mailbox: str = "INBOX") -> int:
        m = self.imap()
        try:
            typ, data = m.status(mailbox, "(MESSAGES)")
            return int(data[0].decode().split("MESSAGES ")[1].split(")")[0])
        finally:
            m.logout()

    def append(self, raw: bytes, mailbox: str = "INBOX") -> None:
        m = self.imap()
        try:
            typ, data = m.append(mailbox, None, None, raw)
            assert typ == "OK", data
        finally:
            m.logout()


def simple_mail(message_id: str, subject: str = "Help please", sender: str = "idle@example.com") -> bytes:
    return (f"From: Idle Tester <{sender}>\r\nTo: support@switchboard.test\r\nSubject: {subject}\r\n"
            f"Message-ID: <{message_id}>\r\nDate: Sun, 22 Nov 2026 10:00:00 +0000\r\n\r\nMy order did not arrive.\r\n").encode()


def imap_adapter(user: MailUser, **settings: Any) -> dict:
    """An imap adapter entry for `user` over plain IMAP on loopback (TLS tests override url)."""
    entry = {
        "type": "imap",
        "url": f"imap://127.0.0.1:{user.dovecot.port}",
        "starttls": False,
        "username": user.name,
        "password": "env:E2E_IMAP_PASSWORD",
        "backoff_min": "200ms",
        "backoff_max": "2s",
        "interval": "30s",
    }
    entry.update(settings)
    return entry


def daemon_env(user: MailUser, password: str | None = None) -> dict[str, str]:
    return {"E2E_IMAP_PASSWORD": password if password is not None else user.password}


# --------------------------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------------------------

def message_id_counts(store_path: str, adapter: str) -> dict[str, int]:
    """Rows per Message-ID (as in the mail's metadata, without brackets) for one adapter."""
    db = h.open_store_ro(store_path)
    try:
        rows = db.execute("SELECT json_extract(metadata, '$.message_id'), COUNT(*) FROM messages "
                          "WHERE adapter_id = ? GROUP BY 1", (adapter,)).fetchall()
        return {r[0]: r[1] for r in rows}
    finally:
        db.close()


def stored_count(store_path: str, adapter: str) -> int:
    try:
        db = h.open_store_ro(store_path)
    except sqlite3.Error:
        return 0
    try:
        return db.execute("SELECT COUNT(*) FROM messages WHERE adapter_id = ?", (adapter,)).fetchone()[0]
    except sqlite3.Error:
        return 0
    finally:
        db.close()


def quarantined(store_path: str, adapter: str) -> list[tuple[str, str, bytes]]:
    db = h.open_store_ro(store_path)
    try:
        return db.execute("SELECT error_code, error_message, raw FROM quarantine WHERE adapter_id = ? ORDER BY id",
                          (adapter,)).fetchall()
    finally:
        db.close()


def checkpoint(store_path: str, adapter: str) -> str | None:
    db = h.open_store_ro(store_path)
    try:
        row = db.execute("SELECT value FROM checkpoints WHERE adapter_id = ?", (adapter,)).fetchone()
        return row[0] if row else None
    finally:
        db.close()


def expected_ids(manifest: list[dict]) -> list[str]:
    return [m["message_id"].strip("<>") for m in manifest if m.get("message_id")]


def assert_each_once(store_path: str, adapter: str, manifest: list[dict]) -> None:
    counts = message_id_counts(store_path, adapter)
    ids = expected_ids(manifest)
    missing = [i for i in ids if i not in counts]
    twice = {i: c for i, c in counts.items() if c != 1}
    assert not missing, f"{len(missing)} mails never stored, e.g. {missing[:3]}"
    assert not twice, f"mails stored more than once: {list(twice.items())[:5]}"
    assert stored_count(store_path, adapter) == len(ids), "rows that are not in the manifest"


def adapter_status(daemon: h.Daemon, adapter: str) -> dict:
    status = daemon.get("/v1/status").json()
    for entry in status["adapters"]:
        if entry["id"] == adapter:
            return entry
    raise AssertionError(f"no adapter {adapter} in status: {status}")


# --------------------------------------------------------------------------------------------
# A TCP proxy that misbehaves on request
# --------------------------------------------------------------------------------------------

class FlakyProxy:
    """Forwards 127.0.0.1:port to the target. `down` makes it close every new connection at
    once (a server that is down); `cut_after` closes the next connection after that many bytes
    from the server (a connection dropped mid-fetch)."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.down = False
        self.cut_after: int | None = None
        self.cuts = 0
        self.refused = 0
        self.connections = 0
        self._stop = False
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                if self.down:
                    self.refused += 1
                    client.close()
                    continue
                cut, self.cut_after = self.cut_after, None
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            threading.Thread(target=self._pipe, args=(client, server, None), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, cut), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, cut: int | None) -> None:
        sent = 0
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if cut is not None and sent + len(data) >= cut:
                    dst.sendall(data[:max(0, cut - sent)])
                    with self._lock:
                        self.cuts += 1
                    break
                dst.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self._stop = True
        self.listener.close()


# --------------------------------------------------------------------------------------------
# Fixture helpers
# --------------------------------------------------------------------------------------------

def start_dovecot_or_skip(tmp_root: str) -> Dovecot:
    if os.geteuid() != 0 and not shutil.which("dovecot") and not shutil.which("sudo"):
        pytest.skip("dovecot-imapd is not installed and cannot be installed (not root, no sudo)")
    try:
        return Dovecot(os.path.join(tmp_root, "dovecot"))
    except (RuntimeError, subprocess.TimeoutExpired, FileNotFoundError) as e:
        pytest.skip(f"cannot start Dovecot for the email tests: {e}")
