#!/usr/bin/env python3
"""Pre-signs Twilio inbound-SMS webhooks for load tests: one line per request,
`<X-Twilio-Signature>\\t<form body>`, each with its own MessageSid, so that every request of a
benchmark is a new message the daemon must store.

  scripts/sms-sign.py --url http://127.0.0.1:8080/sms/twilio --token TOKEN --count 200000 --out reqs.txt

Signing follows Twilio's algorithm (base64 HMAC-SHA1 over URL + sorted name+value); when the
official `twilio` package is importable, the first requests are also checked with its
RequestValidator. Standard library only otherwise.
"""
import argparse
import base64
import hashlib
import hmac
import random
import sys
import urllib.parse

BODIES = [
    "Hi, where is my order 48213? It was supposed to arrive yesterday.",
    "Can someone call me back please",
    "My card was charged twice for invoice 4411",
    "Ich habe meine Bestellung immer noch nicht erhalten",
    "ok thanks!!",
    "I can't log in to my account, it says my password is wrong",
]


def signature(token: bytes, url: str, params: list) -> str:
    s = url
    for k, v in sorted(params):
        s += k + v
    return base64.b64encode(hmac.new(token, s.encode(), hashlib.sha1).digest()).decode()


def params_for(i: int, run: int) -> list:
    sid = "SM%08x%024x" % (run, i)
    frm = "+1%010d" % (2000000000 + (i * 7919) % 7999999999)
    return [("ToCountry", "US"), ("ToState", "CA"), ("SmsMessageSid", sid), ("NumMedia", "0"),
            ("ToCity", "SAN FRANCISCO"), ("FromZip", "94105"), ("SmsSid", sid), ("FromState", "CA"),
            ("SmsStatus", "received"), ("FromCity", "SAN FRANCISCO"), ("Body", BODIES[i % len(BODIES)]),
            ("FromCountry", "US"), ("To", "+14155550100"), ("MessagingServiceSid", "MG" + "0" * 32),
            ("ToZip", "94105"), ("NumSegments", "1"), ("MessageSid", sid), ("AccountSid", "AC" + "1" * 32),
            ("From", frm), ("ApiVersion", "2010-04-01")]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--count", type=int, default=100000)
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    run = random.Random(a.seed).getrandbits(32)
    token = a.token.encode()
    try:
        from twilio.request_validator import RequestValidator  # type: ignore
        sdk = RequestValidator(a.token)
    except ImportError:
        sdk = None
    with open(a.out, "w") as f:
        for i in range(a.count):
            p = params_for(i, run)
            sig = signature(token, a.url, p)
            if sdk is not None and i < 3 and not sdk.validate(a.url, dict(p), sig):
                print("signature disagrees with the twilio SDK", file=sys.stderr)
                return 1
            f.write(sig + "\t" + urllib.parse.urlencode(p) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
