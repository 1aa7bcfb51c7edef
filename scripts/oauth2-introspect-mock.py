#!/usr/bin/env python3
"""A tiny OAuth 2 token-introspection endpoint (RFC 7662) for tests of XOAUTH2 logins against
Dovecot's oauth2 passdb. Loopback only, standard library only.

    scripts/oauth2-introspect-mock.py --tokens FILE [--port 0] [--port-file PATH]

FILE holds one "TOKEN USERNAME" pair a line and is read at every request, so a test can add or
revoke tokens while the server runs. A known token gets {"active": true, "username": USER};
anything else {"active": false}. The token is taken from a POST form (token=...), a GET query
(?token=... or a token appended to the URL after '='), or an "Authorization: Bearer" header, so
introspection_mode post, get and auth all work. Each request is logged to stderr with a hash of
the token prefix only. Prints "PORT=n" (and writes it to --port-file) once listening.
"""

from __future__ import annotations

import argparse
import hashlib
import http.server
import json
import os
import sys
import urllib.parse


def known_tokens(path: str) -> dict[str, str]:
    out: dict[str, str] = {}
    try:
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2:
                    out[parts[0]] = parts[1]
    except OSError:
        pass
    return out


class Handler(http.server.BaseHTTPRequestHandler):
    tokens_file = ""
    server_version = "oauth2-introspect-mock/1"

    def _token(self) -> str:
        auth = self.headers.get("Authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:].strip()
        parsed = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(parsed.query)
        if "token" in query:
            return query["token"][0]
        if "access_token" in query:
            return query["access_token"][0]
        if self.command == "POST":
            length = int(self.headers.get("Content-Length") or 0)
            form = urllib.parse.parse_qs(self.rfile.read(length).decode("utf-8", "replace"))
            if "token" in form:
                return form["token"][0]
        return ""

    def _answer(self) -> None:
        token = self._token()
        user = known_tokens(self.tokens_file).get(token) if token else None
        body = {"active": True, "username": user} if user else {"active": False}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        tag = hashlib.sha256(token.encode()).hexdigest()[:8] if token else "-"
        print(f"[introspect] {self.command} token#{tag} active={bool(user)}", file=sys.stderr, flush=True)

    do_GET = _answer
    do_POST = _answer

    def log_message(self, *args) -> None:  # the line above is enough
        pass


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", required=True, help="file of 'TOKEN USERNAME' lines, read at every request")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    args = ap.parse_args()
    Handler.tokens_file = os.path.abspath(args.tokens)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    port = server.server_address[1]
    if args.port_file:
        with open(args.port_file + ".new", "w") as f:
            f.write(f"{port}\n")
        os.replace(args.port_file + ".new", args.port_file)
    print(f"PORT={port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
