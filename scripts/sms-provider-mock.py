#!/usr/bin/env python3
"""A local stand-in for Twilio's Messages API and Vonage's SMS API, for Switchboard's tests.

  sms-provider-mock.py --port P --log FILE [--script FILE]

Every request is appended to FILE as one JSON line: method, path, Basic user/password, the form
fields, and the time. Answers follow Twilio (`POST /2010-04-01/Accounts/{sid}/Messages.json`:
201 {"sid": "SM…"}) and Vonage (`POST /sms/json`: 200 {"messages": [{"status": "0", "message-id": …}]}),
unless the script file (JSON, re-read at every request) says otherwise:
  {"responses": [{"status": 429, "headers": {"Retry-After": "2"}, "body": {...}}, ...]}
answers are taken from the front of that list, one per request, until it is empty.

A scripted answer may carry `"callback_first": {"url": …, "headers": {…}, "body": "…"}`: a status
callback (a Twilio status callback, a Vonage delivery receipt) that the mock POSTs, and whose answer
it waits for, BEFORE it answers the send request, as a provider may do when its callback overtakes
its own API answer. The test prepares and signs it (with the providers' SDKs) for the message id it
also scripts in `body`; the callback's HTTP status is logged with the request as `callback_status`.
"""
import argparse
import base64
import json
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
COUNTER = [0]


def send_callback(callback: dict) -> int:
    """POSTs a prepared status callback and answers its HTTP status (0 when it could not be sent)."""
    request = urllib.request.Request(callback["url"], data=callback.get("body", "").encode(),
                                     headers=callback.get("headers", {}), method="POST")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only: never an environment proxy
    try:
        with opener.open(request, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except OSError:
        return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--script")
    a = ap.parse_args()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            form = urllib.parse.parse_qs(body, keep_blank_values=True)
            user = password = None
            auth = self.headers.get("Authorization") or ""
            if auth.startswith("Basic "):
                user, _, password = base64.b64decode(auth[6:]).decode().partition(":")
            with LOCK:
                COUNTER[0] += 1
                n = COUNTER[0]
                scripted = None
                if a.script and os.path.exists(a.script):
                    with open(a.script) as f:
                        script = json.load(f)
                    if script.get("responses"):
                        scripted = script["responses"].pop(0)
                        with open(a.script + ".tmp", "w") as f:
                            json.dump(script, f)
                        os.replace(a.script + ".tmp", a.script)
                entry = {"n": n, "at": time.time(), "method": "POST", "path": self.path, "user": user,
                         "password": password, "form": {k: v if len(v) > 1 else v[0] for k, v in form.items()}}
            if scripted is not None and scripted.get("callback_first"):
                entry["callback_status"] = send_callback(scripted["callback_first"])
            with LOCK:
                with open(a.log, "a") as f:
                    f.write(json.dumps(entry) + "\n")
            if scripted is not None:
                status, headers, payload = scripted.get("status", 200), scripted.get("headers", {}), scripted.get("body", {})
            elif self.path.endswith("/Messages.json"):
                status, headers, payload = 201, {}, {"sid": "SM%032x" % n, "status": "queued"}
            elif self.path == "/sms/json":
                text = form.get("text", [""])[0]
                payload = {"message-count": "1", "messages": [{"status": "0", "message-id": "vn-%06d" % n, "to": form.get("to", [""])[0]}]}
                status, headers = 200, {}
            else:
                status, headers, payload = 404, {}, {"message": "unknown path"}
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    print("sms-provider-mock on 127.0.0.1:%d" % a.port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
