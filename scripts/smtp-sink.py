#!/usr/bin/env python3
"""A real SMTP server for Switchboard's tests (aiosmtpd from PyPI), on loopback.

Every accepted mail is written byte-exact to OUTDIR/NNNNNN.eml with OUTDIR/NNNNNN.json (the
envelope: mail_from, rcpt_tos, helo, auth_user, tls, size, received_at). Files are written
under a temporary name and renamed, so a watcher never reads half a mail.

  smtp-sink.py --port 2525 --outdir DIR [--pidfile F]
      [--tls-cert C --tls-key K]        offer STARTTLS            [--smtps]  TLS from the first byte
      [--auth-user U --auth-pass P]     offer AUTH PLAIN/LOGIN    [--require-auth]
      [--refuse-first N]                answer the first N RCPT TO with 451 (greylisting), then accept
      [--reject-rcpt REGEX]             answer 550 for matching recipients (a permanent refusal)
      [--hold-data SECONDS]             keep a mail (already written) that long before the final 250
                                        (events.log gets {"event": "data-held"}): a client killed
                                        meanwhile never hears that the mail was taken
Stops on SIGTERM/SIGINT.
"""
import argparse
import asyncio
import itertools
import json
import os
import re
import signal
import ssl
import sys
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, outdir, refuse_first=0, reject_rcpt=None, hold_data=0.0):
        self.outdir = outdir
        self.hold_data = hold_data
        os.makedirs(outdir, exist_ok=True)
        existing = [int(f[:6]) for f in os.listdir(outdir) if f[:6].isdigit()]
        self.counter = itertools.count(max(existing, default=0) + 1)
        self.refusals_left = refuse_first
        self.reject = re.compile(reject_rcpt) if reject_rcpt else None
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject and self.reject.search(address):
            return "550 5.1.1 <%s>: Recipient address rejected: no such user" % address
        with self.lock:
            if self.refusals_left > 0:
                self.refusals_left -= 1
                self._log({"event": "refused", "rcpt": address})
                return "451 4.7.1 <%s>: greylisted, try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def _log(self, obj):
        with open(os.path.join(self.outdir, "events.log"), "a") as f:
            f.write(json.dumps(obj) + "\n")

    async def handle_DATA(self, server, session, envelope):
        n = next(self.counter)
        base = os.path.join(self.outdir, "%06d" % n)
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        meta = {
            "seq": n,
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "helo": session.host_name,
            "auth_user": (session.auth_data.login.decode("utf-8", "replace")
                          if isinstance(session.auth_data, LoginPassword) else None),
            "tls": session.ssl is not None,
            "size": len(data),
            "received_at": time.time(),
        }
        for path, blob in ((base + ".eml", data), (base + ".json", json.dumps(meta, indent=1).encode())):
            with open(path + ".tmp", "wb") as f:
                f.write(blob)
            os.rename(path + ".tmp", path)
        if self.hold_data > 0:
            self._log({"event": "data-held", "seq": n})
            await asyncio.sleep(self.hold_data)
        return "250 2.0.0 Ok: queued as SB%06d" % n


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--outdir", required=True)
    ap.add_argument("--pidfile")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--smtps", action="store_true")
    ap.add_argument("--auth-user")
    ap.add_argument("--auth-pass", default="")
    ap.add_argument("--require-auth", action="store_true")
    ap.add_argument("--refuse-first", type=int, default=0)
    ap.add_argument("--reject-rcpt")
    ap.add_argument("--hold-data", type=float, default=0.0)
    ap.add_argument("--max-size", type=int, default=40 * 1024 * 1024)
    a = ap.parse_args()

    kw = dict(hostname=a.host, port=a.port, data_size_limit=a.max_size, decode_data=False,
              enable_SMTPUTF8=True, ident="switchboard-test-sink")
    if a.tls_cert and a.tls_key:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
        if a.smtps:
            kw["ssl_context"] = ctx
        else:
            kw["tls_context"] = ctx
            kw["require_starttls"] = False
    if a.auth_user:
        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == a.auth_user
                  and auth_data.password.decode() == a.auth_pass)
            # handled=False makes aiosmtpd answer 535 on failure (handled=True would send nothing).
            return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)
        kw["authenticator"] = authenticator
        kw["auth_require_tls"] = False
        kw["auth_required"] = a.require_auth
    sink = Sink(a.outdir, a.refuse_first, a.reject_rcpt, a.hold_data)
    controller = Controller(sink, **kw)
    if a.smtps:
        # The controller's readiness probe speaks plain SMTP; with implicit TLS, skip it.
        controller._trigger_server = lambda: None
    controller.start()
    if a.pidfile:
        with open(a.pidfile + ".tmp", "w") as f:
            f.write(str(os.getpid()))
        os.rename(a.pidfile + ".tmp", a.pidfile)
    print("smtp-sink listening on %s:%d -> %s" % (a.host, a.port, a.outdir), flush=True)
    signal.sigwait([signal.SIGINT, signal.SIGTERM])
    controller.stop()


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGINT, signal.SIGTERM])
    main()
