"""The imap adapter's XOAUTH2 login (`xoauth2_token_file`) against a real Dovecot whose oauth2
passdb checks tokens at a token-introspection endpoint (scripts/oauth2-introspect-mock.py,
started here on a free loopback port and stopped by pid).

- a good token: the daemon logs in with AUTHENTICATE XOAUTH2 and stores every seeded mail once;
- a bad token: "login denied" with the token-file hint in /v1/status and `switchboard status`, a
  log line without the token, retries with backoff; replacing the token file's content with a
  good token lets the next attempt in (the file is read at every connection).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

import mail_helpers as m
import sbharness as h

ADAPTER = "mail"


class IntrospectionMock:
    """scripts/oauth2-introspect-mock.py on a free loopback port; `grant` adds a token."""

    def __init__(self, directory: str):
        self.tokens = os.path.join(directory, "introspect-tokens")
        open(self.tokens, "w").close()
        port_file = os.path.join(directory, "introspect.port")
        self.log_path = os.path.join(directory, "introspect.log")
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, os.path.join(m.SCRIPTS, "oauth2-introspect-mock.py"), "--tokens", self.tokens,
             "--port-file", port_file], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.log)
        m.wait_until(lambda: os.path.exists(port_file) or self.proc.poll() is not None, timeout=10, what="the mock's port")
        assert self.proc.poll() is None, open(self.log_path).read()
        self.port = int(open(port_file).read())
        self.url = f"http://127.0.0.1:{self.port}/introspect"

    def grant(self, token: str, user: str) -> None:
        with open(self.tokens, "a") as f:
            f.write(f"{token} {user}\n")

    def requests(self) -> str:
        self.log.flush()
        return open(self.log_path).read()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        self.log.close()


@pytest.fixture(scope="module")
def oauth_dovecot():
    root = h.short_tempdir("sbxoauth-")
    os.chmod(root, 0o755)
    mock = IntrospectionMock(root)
    os.environ["OAUTH2_INTROSPECTION_URL"] = mock.url
    try:
        server = m.start_dovecot_or_skip(root)
    finally:
        del os.environ["OAUTH2_INTROSPECTION_URL"]
    assert "OAUTH2_CONF" in server.info, server.info
    yield server, mock
    server.stop()
    mock.stop()
    shutil.rmtree(root, ignore_errors=True)


def dovecot_log(server: m.Dovecot) -> str:
    with open(os.path.join(server.dir, "dovecot.log"), errors="replace") as f:
        return f.read()


def write_token(path: str, token: str) -> None:
    """Replaces the file the way a token refresher should: a new file renamed over the old one."""
    with open(path + ".new", "w") as f:
        f.write(token + "\n")
    os.chmod(path + ".new", 0o600)
    os.replace(path + ".new", path)


def start(daemon_factory, user: m.MailUser, token_file: str, **settings) -> h.Daemon:
    entry = m.imap_adapter(user, xoauth2_token_file=token_file, **settings)
    del entry["password"]
    return daemon_factory(adapters={ADAPTER: entry})


def test_xoauth2_login_stores_every_mail(oauth_dovecot, daemon_factory, workdir):
    server, mock = oauth_dovecot
    user = server.add_user("ox")
    manifest = user.seed(25)
    token = f"good-{h.unique('tok')}"
    mock.grant(token, user.name)
    token_file = os.path.join(workdir, "imap-token")
    write_token(token_file, token)

    daemon = start(daemon_factory, user, token_file, auth="xoauth2")
    m.wait_until(lambda: m.stored_count(daemon.store_path, ADAPTER) >= 25, timeout=30, what="25 stored")
    m.assert_each_once(daemon.store_path, ADAPTER, manifest)
    assert m.stored_count(daemon.store_path, ADAPTER) == 25
    m.wait_until(lambda: "idle" in m.adapter_status(daemon, ADAPTER)["detail"], what="idle in status")
    # Dovecot saw an XOAUTH2 login for this user, checked by the introspection endpoint.
    assert f"Login: user=<{user.name}>, method=XOAUTH2" in dovecot_log(server), dovecot_log(server)[-2000:]
    assert "active=True" in mock.requests()
    log = daemon.stderr()
    assert token not in log
    # starttls: false (loopback Dovecot): the warning names the credential this adapter sends.
    assert "STARTTLS is off (starttls: false): the OAuth access token (XOAUTH2) and the mail cross the network unencrypted" in log
    assert "the password" not in log


def test_bad_token_is_shown_retried_and_recovers_when_the_file_changes(oauth_dovecot, daemon_factory, workdir):
    server, mock = oauth_dovecot
    user = server.add_user("oy")
    manifest = user.seed(12)
    bad = f"bad-{h.unique('tok')}"
    good = f"good-{h.unique('tok')}"
    mock.grant(good, user.name)
    token_file = os.path.join(workdir, "imap-token")
    write_token(token_file, bad)

    daemon = start(daemon_factory, user, token_file)  # auth "auto": the token file implies XOAUTH2
    m.wait_until(lambda: "login denied" in m.adapter_status(daemon, ADAPTER)["detail"], timeout=15,
                 what="login denied in status")
    # Retried with backoff (backoff_min 200ms, max 2s): the attempt count grows.
    def attempts():
        # One status read per check: the detail changes between reads (connecting, failing).
        found = re.search(r"\((\d+) attempts\)", m.adapter_status(daemon, ADAPTER)["detail"])
        return int(found.group(1)) if found else 0
    m.wait_until(lambda: attempts() >= 3, timeout=15, what="3 attempts")
    detail = m.adapter_status(daemon, ADAPTER)["detail"]
    assert "failing since" in detail and "token file" in detail and "next try at" in detail, detail
    cli = h.cli("status", "--socket", daemon.socket_path)
    assert cli.returncode == 0 and "login denied" in cli.stdout, cli
    log = daemon.stderr()
    assert "imap adapter failing; will retry" in log and "login denied" in log, log[-2000:]
    assert bad not in log and bad not in cli.stdout and bad not in detail
    retry_ins = [float(x) for x in re.findall(r'retry_in[=:]"?([0-9.]+)s', log)]
    assert len(retry_ins) >= 3 and max(retry_ins) > min(retry_ins), retry_ins
    assert m.stored_count(daemon.store_path, ADAPTER) == 0
    # Dovecot's oauth2 passdb refused it: XOAUTH2 answers a failure with a "+ <base64 JSON error>"
    # challenge, and libcurl gives up there, so Dovecot logs "client didn't finish SASL auth".
    assert "user=<>, method=XOAUTH2" in dovecot_log(server), dovecot_log(server)[-2000:]
    assert "active=False" in mock.requests()

    # A refresher writes a good token: the next attempt reads the file again and gets in.
    write_token(token_file, good)
    m.wait_until(lambda: m.stored_count(daemon.store_path, ADAPTER) >= 12, timeout=20, what="12 stored")
    m.assert_each_once(daemon.store_path, ADAPTER, manifest)
    # Logged once the store has acknowledged the round, which is after the rows are visible
    # (a commit is readable before its fsync has returned and the adapter is answered).
    m.wait_until(lambda: "imap adapter recovered" in daemon.stderr(), timeout=10, what="the 'recovered' log line")
    assert good not in daemon.stderr()
    m.wait_until(lambda: "idle" in m.adapter_status(daemon, ADAPTER)["detail"], what="idle after recovery")
