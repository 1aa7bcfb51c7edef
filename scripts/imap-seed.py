#!/usr/bin/env python3
"""Seeds an IMAP mailbox with N varied customer-service mails (Python standard library only).

  scripts/imap-seed.py N --port 11143 --user support --password supportpw
  scripts/imap-seed.py N --maildir DIR/mail/support/Maildir     # direct delivery (fast, for 2,000+)

Two ways in:
  * IMAP APPEND (imaplib; --ssl for IMAPS without a certificate check: a test server);
  * --maildir: writes the files straight into a Maildir's new/ (owned like the Maildir),
    about 50x faster; Dovecot assigns UIDs when a client next opens the mailbox.

The mix (deterministic for a --seed): senders with RFC 2047 display names; ASCII and
international subjects as =?utf-8?b?, =?utf-8?q?, =?iso-8859-1?q?; about a quarter replies to
earlier mails (Re:, In-Reply-To, References); 7bit, quoted-printable, base64 and 8bit bodies;
multipart/alternative with HTML; multipart/mixed with a PDF or PNG attachment; a few automatic
replies and bulk mails. CRLF line ends.

  --broken K       also K mails the parser must refuse (no From/Sender, or not a mail at all),
                   spread through the sequence
  --big-mb M       one more mail with an M MB attachment (the "25 MB mail" case)
  --prefix P       Message-ID prefix, so that several seedings never share ids
  --seen-fraction  fraction appended with \\Seen already set
  --manifest FILE  one JSON line per mail: index, message_id (None for broken ones), kind
"""
import argparse
import base64
import email.charset
import email.policy
import email.utils
import imaplib
import json
import os
import random
import socket
import ssl
import sys
import time
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

SUPPORT = "support@switchboard.test"
SENDERS = [
    ("Alice Johnson", "alice.johnson@example.com"), ("Bob Smith", "bob@smith.example.net"),
    ("José Müller", "jose.mueller@beispiel.de"), ("Zoë Ødegård", "zoe@eksempel.no"),
    ("田中 太郎", "tanaka@example.jp"), ("Иван Петров", "ivan@primer.ru"),
    ("", "noreply-4711@shop.example.org"), ("Priya Raman", "priya@example.in"),
    ("O'Brien, Seán", "sean@example.ie"), ("Łukasz Kowalski", "lukasz@przyklad.pl"),
    ("Dr. Emily \"Em\" Carter", "ecarter@university.example.edu"), ("Chen Wei", "chen.wei@example.cn"),
]
SUBJECTS = [
    "Order #{n} has not arrived", "Refund request for order #{n}", "Can't log in to my account",
    "Payment charged twice!!", "URGENT: account locked", "Cancel my subscription",
    "Where is my package? Tracking shows nothing", "Invoice for order #{n} needed",
    "Question about your return policy", "Product arrived damaged (photos attached)",
]
INTL = [
    ("Rückerstattung für Bestellung #{n}", "iso-8859-1"), ("Commande #{n} non reçue", "iso-8859-1"),
    ("注文#{n}について問い合わせ", "utf-8"), ("Заказ #{n} не доставлен", "utf-8"),
    ("Pedido #{n}: artículo equivocado", "utf-8"),
]
BODIES = [
    "Hello,\n\nmy order #{n} still has not arrived. It has been two weeks.\nCan you check?\n\nThanks,\n{name}",
    "Hi team,\n\nI was charged twice for invoice {n} ({amount} EUR). Please refund one.\n\nBest regards\n{name}",
    "Hello,\n\nI cannot log in any more; the password reset mail never comes.\n\n{name}",
    "Guten Tag,\n\ndie Lieferung {n} kam beschädigt an. Bitte um Ersatz oder Gutschrift über {amount} EUR.\n\nMit freundlichen Grüßen\n{name}",
    "Bonjour,\n\nje n'ai toujours pas reçu ma commande {n}. Pouvez-vous vérifier ?\n\nCordialement,\n{name}",
]


def text_part(text, rng, subtype="plain"):
    try:
        text.encode("ascii")
        if rng.random() < 0.5:
            return MIMEText(text, subtype, "us-ascii")
    except UnicodeEncodeError:
        pass
    choice = rng.choice(["qp", "b64", "8bit", "latin1"])
    cs = email.charset.Charset("utf-8")
    if choice == "latin1":
        try:
            text.encode("iso-8859-1")
            cs = email.charset.Charset("iso-8859-1")
            cs.body_encoding = email.charset.QP
            return MIMEText(text, subtype, cs)
        except UnicodeEncodeError:
            choice = "qp"
    cs.body_encoding = {"qp": email.charset.QP, "b64": email.charset.BASE64, "8bit": None}[choice]
    return MIMEText(text, subtype, cs)


def html_of(text):
    import html
    return "<html><body>" + "".join("<p>%s</p>" % html.escape(p).replace("\n", "<br>") for p in text.split("\n\n")) + "</body></html>"


def build(i, rng, history, prefix, base_time):
    name, addr = rng.choice(SENDERS)
    n = rng.randint(10000, 99999)
    fields = dict(n=n, name=name or "Customer", amount="%d.%02d" % (rng.randint(5, 400), rng.randint(0, 99)))
    parent = rng.choice(history) if history and rng.random() < 0.25 else None
    intl_charset = None
    if parent:
        name, addr = parent["from"]
        subject = parent["subject"] if parent["subject"].lower().startswith("re:") else "Re: " + parent["subject"]
        body = "Any news?\n\n%s\n\n> %s" % (fields["name"], parent["body"].replace("\n", "\n> "))
    else:
        if rng.random() < 0.3:
            tmpl, intl_charset = rng.choice(INTL)
            subject = tmpl.format(n=n)
        else:
            subject = rng.choice(SUBJECTS).format(n=n)
        body = rng.choice(BODIES).format(**fields)
    shape = rng.random()
    if shape < 0.3:
        root = MIMEMultipart("alternative")
        root.attach(text_part(body, rng))
        root.attach(text_part(html_of(body), rng, "html"))
        kind = "alternative"
    elif shape < 0.4:
        root = MIMEMultipart("mixed")
        root.attach(text_part(body, rng))
        if rng.random() < 0.5:
            att = MIMEApplication(b"%PDF-1.4\n" + rng.randbytes(rng.randint(200, 3000)), "pdf")
            att.add_header("Content-Disposition", "attachment", filename="invoice-%d.pdf" % n)
        else:
            att = MIMEApplication(b"\x89PNG\r\n\x1a\n" + rng.randbytes(rng.randint(300, 5000)), "octet-stream")
            att.replace_header("Content-Type", "image/png")
            att.add_header("Content-Disposition", "attachment", filename=rng.choice(["Schäden-Foto.png", "damage.png"]))
        root.attach(att)
        kind = "mixed"
    else:
        root = text_part(body, rng)
        kind = "plain"
    if name:
        cs = "iso-8859-1"
        try:
            name.encode(cs)
        except UnicodeEncodeError:
            cs = "utf-8"
        root["From"] = email.utils.formataddr((name, addr), charset=cs)
    else:
        root["From"] = addr
    root["To"] = email.utils.formataddr(("Customer Support", SUPPORT))
    try:
        subject.encode("ascii")
        root["Subject"] = subject
    except UnicodeEncodeError:
        cs = email.charset.Charset(intl_charset or "utf-8")
        if rng.random() < 0.5 and (intl_charset or "utf-8") == "utf-8":
            cs.header_encoding = email.charset.QP
        root["Subject"] = Header(subject, cs)
    msg_time = base_time + i * 37
    root["Date"] = email.utils.formatdate(msg_time)
    msgid = "<%s.%d.%d@%s>" % (prefix, i, rng.getrandbits(32), addr.split("@")[1])
    root["Message-ID"] = msgid
    refs = ""
    if parent:
        root["In-Reply-To"] = parent["msgid"]
        refs = (parent["refs"] + " " + parent["msgid"]).strip()
        root["References"] = refs
    r = rng.random()
    if r < 0.04:
        root["Auto-Submitted"] = "auto-replied"
    elif r < 0.07:
        root["Precedence"] = "bulk"
        root["List-Unsubscribe"] = "<mailto:unsubscribe@%s>" % addr.split("@")[1]
    history.append({"msgid": msgid, "refs": refs, "subject": subject, "body": body, "from": (name, addr)})
    raw = root.as_bytes(policy=email.policy.compat32.clone(linesep="\r\n"))
    return raw, msgid, kind, msg_time


def broken(i, prefix):
    if i % 2 == 0:
        # Headers but no usable sender: quarantined as no_sender.
        return ("Subject: broken %d (%s)\r\nMessage-ID: <broken.%s.%d@switchboard.test>\r\n\r\nno From here\r\n"
                % (i, prefix, prefix, i)).encode(), "no-sender"
    # Not a mail at all: the first line is not a header field.
    return ("this is not a mail at all %s %d\r\n\r\njust text\r\n" % (prefix, i)).encode(), "not-a-message"


def big_mail(mb, prefix, rng):
    root = MIMEMultipart("mixed")
    root.attach(MIMEText("Photos of the damage attached (%d MB).\n" % mb, "plain", "us-ascii"))
    att = MIMEApplication(rng.randbytes(mb * 1000 * 1000), "octet-stream")
    att.add_header("Content-Disposition", "attachment", filename="photos.zip")
    root.attach(att)
    root["From"] = "Big Sender <big@example.com>"
    root["To"] = SUPPORT
    root["Subject"] = "Large attachment"
    root["Date"] = email.utils.formatdate()
    msgid = "<%s.big@example.com>" % prefix
    root["Message-ID"] = msgid
    return root.as_bytes(policy=email.policy.compat32.clone(linesep="\r\n")), msgid


class MaildirSink:
    def __init__(self, path):
        self.path = os.path.abspath(path)
        # Owned like the nearest existing ancestor (the mail root dovecot-up.sh made for the mail user).
        ancestor = self.path
        missing = []
        while not os.path.isdir(ancestor):
            missing.append(ancestor)
            ancestor = os.path.dirname(ancestor)
        owner = os.stat(ancestor)
        self.uid, self.gid = owner.st_uid, owner.st_gid
        for d in reversed(missing):
            os.makedirs(d, exist_ok=True)
            self._own(d)
        for sub in ("cur", "new", "tmp"):
            d = os.path.join(self.path, sub)
            if not os.path.isdir(d):
                os.makedirs(d, exist_ok=True)
                self._own(d)
        self.host = socket.gethostname().replace("/", "_").replace(":", "_")
        self.n = 0

    def _own(self, p):
        if os.getuid() == 0:
            os.chown(p, self.uid, self.gid)

    def add(self, raw, flags, msg_time):
        self.n += 1
        name = "%d.M%dP%dQ%d.%s,S=%d" % (int(msg_time), int(time.time() * 1e6) % 1000000, os.getpid(), self.n, self.host, len(raw))
        tmp = os.path.join(self.path, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(raw)
        self._own(tmp)
        os.utime(tmp, (msg_time, msg_time))
        if flags:
            os.rename(tmp, os.path.join(self.path, "cur", name + ":2,S"))
        else:
            os.rename(tmp, os.path.join(self.path, "new", name))

    def close(self):
        pass


class IMAPSink:
    def __init__(self, a):
        if a.ssl:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            self.m = imaplib.IMAP4_SSL(a.host, a.port, ssl_context=ctx)
        else:
            self.m = imaplib.IMAP4(a.host, a.port)
        self.m.login(a.user, a.password)
        self.mailbox = a.mailbox
        if a.mailbox.upper() != "INBOX":
            self.m.create(a.mailbox)  # NO when it exists: fine

    def add(self, raw, flags, msg_time):
        typ, data = self.m.append(self.mailbox, "(\\Seen)" if flags else None, imaplib.Time2Internaldate(msg_time), raw)
        if typ != "OK":
            sys.exit("APPEND failed: %r" % data)

    def close(self):
        self.m.logout()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("n", type=int)
    ap.add_argument("--host", default=os.environ.get("IMAP_HOST", "127.0.0.1"))
    ap.add_argument("--port", type=int, default=int(os.environ.get("IMAP_PORT", "143")))
    ap.add_argument("--user", default=os.environ.get("IMAP_USER", "support"))
    ap.add_argument("--password", default=os.environ.get("IMAP_PASS", "supportpw"))
    ap.add_argument("--mailbox", default="INBOX")
    ap.add_argument("--ssl", action="store_true")
    ap.add_argument("--maildir")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--prefix", default="seed")
    ap.add_argument("--broken", type=int, default=0)
    ap.add_argument("--big-mb", type=int, default=0)
    ap.add_argument("--seen-fraction", type=float, default=0.0)
    ap.add_argument("--manifest")
    ap.add_argument("--dump")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()

    rng = random.Random(a.seed)
    sink = MaildirSink(a.maildir) if a.maildir else IMAPSink(a)
    manifest = open(a.manifest, "w") if a.manifest else None
    if a.dump:
        os.makedirs(a.dump, exist_ok=True)
    total = a.n + a.broken
    broken_at = set(rng.sample(range(total), a.broken)) if a.broken else set()
    history, kinds = [], {}
    base_time = time.time() - total * 60
    t0 = time.perf_counter()
    good = 0
    for i in range(total):
        if i in broken_at:
            raw, kind = broken(i, a.prefix)
            msgid, msg_time = None, base_time + i * 37
        else:
            raw, msgid, kind, msg_time = build(good, rng, history, a.prefix, base_time)
            good += 1
        kinds[kind] = kinds.get(kind, 0) + 1
        sink.add(raw, rng.random() < a.seen_fraction, msg_time)
        if manifest:
            manifest.write(json.dumps({"index": i, "message_id": msgid, "kind": kind}) + "\n")
        if a.dump:
            with open(os.path.join(a.dump, "%05d.eml" % i), "wb") as f:
                f.write(raw)
    if a.big_mb:
        raw, msgid = big_mail(a.big_mb, a.prefix, rng)
        sink.add(raw, False, time.time())
        kinds["big"] = 1
        if manifest:
            manifest.write(json.dumps({"index": total, "message_id": msgid, "kind": "big", "bytes": len(raw)}) + "\n")
    sink.close()
    if manifest:
        manifest.close()
    dt = time.perf_counter() - t0
    if not a.quiet:
        print("seeded %d mails in %.2fs (%.0f/s): %s" % (total + (1 if a.big_mb else 0), dt, total / dt if dt else 0,
              ", ".join("%s=%d" % kv for kv in sorted(kinds.items()))))


if __name__ == "__main__":
    main()
