"""Helpers for the outbox end-to-end tests: the project's SMTP sink (scripts/smtp-sink.sh,
aiosmtpd), a stand-in for Twilio's and Vonage's send APIs (scripts/sms-provider-mock.py), and a
daemon configured to send through them.
"""

from __future__ import annotations

import email
import email.policy
import glob
import json
import os
import subprocess
import time
import urllib.request
from typing import Any

import pytest

import sbharness as h
from mail_helpers import free_port, wait_until

# Fast retries so that tests never wait long; the policy itself is unit-tested with a manual clock.
FAST_OUTBOX = {"backoff_min": "200ms", "backoff_max": "1s", "max_attempts": 4, "poll_interval": "1s"}


class SMTPSink:
    """scripts/smtp-sink.sh up PORT DIR [options]; stopped by its pid (down DIR)."""

    def __init__(self, directory: str, *options: str, port: int | None = None):
        self.dir = directory
        self.port = port or free_port()
        self.options = options
        self.start()

    def start(self) -> None:
        env = dict(os.environ)
        venv = os.path.join(h.REPO_ROOT, ".venv-test", "bin", "python")
        if os.path.exists(venv):
            env["PYTHON"] = venv
        r = subprocess.run([os.path.join(h.REPO_ROOT, "scripts", "smtp-sink.sh"), "up", str(self.port), self.dir, *self.options],
                           capture_output=True, text=True, env=env, timeout=30)
        if r.returncode == 2:
            pytest.skip(f"aiosmtpd is not installed: {r.stderr.strip()}")
        assert r.returncode == 0, r.stderr

    def stop(self) -> None:
        subprocess.run([os.path.join(h.REPO_ROOT, "scripts", "smtp-sink.sh"), "down", self.dir], capture_output=True, timeout=30)

    @property
    def outdir(self) -> str:
        return os.path.join(self.dir, "out")

    def mails(self) -> list[tuple[bytes, dict]]:
        out = []
        for path in sorted(glob.glob(os.path.join(self.outdir, "*.eml"))):
            with open(path, "rb") as f:
                raw = f.read()
            with open(path[:-4] + ".json") as f:
                out.append((raw, json.load(f)))
        return out

    def wait_mails(self, n: int, timeout: float = 20.0) -> list[tuple[bytes, dict]]:
        return wait_until(lambda: (lambda m: m if len(m) >= n else None)(self.mails()), timeout=timeout,
                          what=f"{n} mail(s) at the SMTP sink")

    def events(self) -> list[dict]:
        path = os.path.join(self.outdir, "events.log")
        if not os.path.exists(path):
            return []
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def email_config(d: str, smtp_port: int, outbox: dict | None = None, **overrides: Any) -> dict:
    """A daemon with the local socket and an IMAP adapter (its server is never reached) whose
    `smtp` section sends to the sink."""
    cfg = h.base_config(d, outbox=dict(FAST_OUTBOX, **(outbox or {})), **overrides)
    cfg["adapters"]["mail"] = {
        "type": "imap", "url": "imap://127.0.0.1:9/INBOX", "username": "support", "password": "env:SB_IMAP_PASSWORD",
        "starttls": False, "backoff_min": "30s", "backoff_max": "60s",
        "smtp": {"url": f"smtp://127.0.0.1:{smtp_port}/support.example.com", "from": "Example Support <support@example.com>",
                 "starttls": False, "timeout": "20s"},
    }
    return cfg


ENV = {"SB_IMAP_PASSWORD": "unused"}


def inbound_mail(message_id: str, sender: str = "ana@example.com", subject: str = "Charged twice",
                 text: str = "My card was charged twice for invoice 4411.", **extra: Any) -> dict:
    """A customer's mail as an in-house adapter posts it to the local socket (channel email)."""
    m = {"id": h.unique("mail"), "channel": "email", "from": {"kind": "email", "value": sender}, "subject": subject,
         "text": text, "thread": message_id, "metadata": {"message_id": f"<{message_id}>"}}
    m.update(extra)
    return m


def reply(daemon: h.Daemon, conversation: str, body: dict, key: str | None = None) -> h.Response:
    headers = {"Idempotency-Key": key} if key else {}
    return daemon.client().request("POST", f"/v1/conversations/{conversation}/replies", json_body=body, headers=headers)


def outbox_rows(daemon: h.Daemon, state: str = "all") -> list[dict]:
    r = daemon.get(f"/v1/outbox?state={state}")
    assert r.status == 200, r
    return r.json()["entries"]


def wait_state(daemon: h.Daemon, message_id: str, state: str, timeout: float = 20.0) -> dict:
    def check():
        body = daemon.get(f"/v1/messages/{message_id}").json()
        return body if body.get("delivery", {}).get("state") == state else None
    return wait_until(check, timeout=timeout, what=f"message {message_id} in state {state}")
