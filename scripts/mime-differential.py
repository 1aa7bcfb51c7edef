#!/usr/bin/env python3
"""What Python's standard `email` package (policy.default) reads from mail, for Switchboard's
differential MIME test (Tests/SwitchboardChannelsTests/MIMEDifferentialTests.swift).

Usage:
  mime-differential.py [--generate N --seed S --out DIR] PATH...

Every PATH is an .eml file or a directory of them. With --generate, N varied mails are first
written to DIR (a fixed seed gives the same mails every run) and read like the others.
Prints one JSON object: {"files": [{"path", "subject", "from_address", "from_name", "text",
"html", "attachments": [{"name", "type", "size"}], "error"}]}.

What is extracted, so that both sides answer the same question:
  text         get_body(('plain',)).get_content(), or null when the mail has no plain body
  html         get_body(('html',)).get_content(), or null
  subject      str(msg['subject'])
  from         msg['from'].addresses[0] (addr_spec, display_name)
  attachments  every leaf part in document order, not descending into message/*, except the two
               body parts above; inside multipart/alternative, text/* parts that are not
               attachments are other renderings of the body and are skipped; in
               multipart/related every part but the root (start= or the first) is an attachment.
               size = len(get_payload(decode=True)); null for message/* (Python re-serializes).
"""
import argparse
import json
import os
import random
import re
import sys
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.headerregistry import Address


def describe(part):
    maintype = part.get_content_maintype()
    size = None
    if maintype != "message":
        payload = part.get_payload(decode=True)
        size = len(payload) if payload is not None else 0
    return {"name": part.get_filename(), "type": part.get_content_type(), "size": size}


def attachments(msg, body_parts):
    result = []

    def everything(part):
        if part.get_content_maintype() == "multipart" and part.is_multipart():
            for child in part.iter_parts():
                everything(child)
        else:
            result.append(describe(part))

    def visit(part, in_alternative):
        if part.get_content_maintype() == "multipart" and part.is_multipart():
            subtype = part.get_content_subtype()
            children = list(part.iter_parts())
            if subtype == "alternative":
                for child in children:
                    visit(child, True)
            elif subtype == "related" and children:
                start = part.get_param("start")
                root = children[0]
                if start:
                    for child in children:
                        if child.get("content-id", "").strip() == start.strip():
                            root = child
                            break
                for child in children:
                    if child is root:
                        visit(child, in_alternative)
                    else:
                        everything(child)
            else:
                for child in children:
                    visit(child, False)
            return
        if any(part is body for body in body_parts):
            return
        if in_alternative and part.get_content_maintype() == "text" and not part.is_attachment():
            return
        result.append(describe(part))

    visit(msg, False)
    return result


def clean(value):
    """Python keeps undecodable bytes as lone surrogates; JSON and Swift see them as U+FFFD."""
    if isinstance(value, str):
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF else c for c in value)
    if isinstance(value, list):
        return [clean(item) for item in value]
    if isinstance(value, dict):
        return {key: clean(item) for key, item in value.items()}
    return value


def extract(path):
    entry = {"path": path}
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
        # parsebytes, not parse: parse() reads through a text wrapper that turns CRLF into LF.
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        try:
            subject = msg["subject"]
            entry["subject"] = None if subject is None else str(subject)
        except Exception as error:  # noqa: BLE001 - any header the package cannot read
            entry["subject"] = None
            entry["subject_error"] = repr(error)
        try:
            sender = msg["from"]
            addresses = sender.addresses if sender is not None else ()
            entry["from_address"] = addresses[0].addr_spec if addresses else None
            entry["from_name"] = addresses[0].display_name if addresses else None
        except Exception as error:  # noqa: BLE001
            entry["from_address"] = entry["from_name"] = None
            entry["from_error"] = repr(error)
        plain = msg.get_body(("plain",))
        html = msg.get_body(("html",))
        entry["text"] = plain.get_content() if plain is not None else None
        entry["html"] = html.get_content() if html is not None else None
        entry["attachments"] = attachments(msg, [p for p in (plain, html) if p is not None])
    except Exception as error:  # noqa: BLE001
        entry["error"] = repr(error)
    return entry


# ---------------------------------------------------------------------------------------------
# Generated mail: varied structure, charsets, transfer encodings, names and addresses.

TEXTS = {
    "en": ("utf-8", "us-ascii", "Hello, my order 1234 has not arrived. Can you check the tracking number? Thanks a lot."),
    "de": ("iso-8859-1", "utf-8", "Guten Tag, meine Bestellung über 49 Euro ist nicht angekommen. Grüße aus München."),
    "fr": ("iso-8859-15", "windows-1252", "Bonjour, ma commande n'est pas arrivée. Le colis était déjà payé, merci. Où est-il ?"),
    "pl": ("iso-8859-2", "utf-8", "Dzień dobry, moje zamówienie nie dotarło. Proszę o szybką odpowiedź. Żółć gęślą jaźń."),
    "ru": ("koi8-r", "windows-1251", "Здравствуйте, мой заказ не пришёл. Пожалуйста, проверьте номер отслеживания."),
    "ja": ("iso-2022-jp", "shift_jis", "こんにちは。注文した商品がまだ届いていません。確認をお願いします。"),
    "zh": ("gb2312", "big5", "您好，我的订单还没有到。请帮我查一下。谢谢。"),
    "el": ("iso-8859-7", "utf-8", "Καλημέρα, η παραγγελία μου δεν έφτασε ακόμα. Ευχαριστώ πολύ."),
    "es": ("windows-1252", "utf-8", "Hola, ¿dónde está mi pedido? Pagué 30 € y todavía no llegó. Señor Muñoz."),
}
NAMES = ["Jürgen Müller", "Anna Schmidt", "O'Brien, Sean", "山田 太郎", "Иван Петров", "José Álvarez",
         "Zoë \"Zee\" Adams", "王伟", "Søren Kierkegaard", "Plain Name", "Dr. A. B. Smith", ""]
FILES = ["report.pdf", "Rechnung März.pdf", "résumé final (2).docx", "写真.jpg", "photo.png",
         "a very long attachment name that certainly needs more than one continuation line in rfc 2231 encoding.txt",
         "data.csv", "Übersicht – Q3; final.xlsx", "notes.txt", "archive.zip"]
TYPES = [("application", "pdf"), ("image", "jpeg"), ("image", "png"), ("application", "octet-stream"),
         ("text", "csv"), ("application", "zip"), ("application", "vnd.ms-excel")]


def sentence(rng, language):
    text = TEXTS[language][2]
    joiner = "" if language in ("ja", "zh") else " "
    words = [w for w in re.split(r"(?<=[。、，])|\s+", text) if w]
    rng.shuffle(words)
    return joiner.join(words[: rng.randint(min(3, len(words)), len(words))])


def body_text(rng, language):
    paragraphs = []
    for _ in range(rng.randint(1, 4)):
        paragraphs.append(" ".join(sentence(rng, language) for _ in range(rng.randint(1, 3))))
    return "\n\n".join(paragraphs) + "\n"


def encodable(text, charset):
    try:
        text.encode(charset)
        return True
    except (UnicodeEncodeError, LookupError):
        return False


def pick_charset(rng, language, text):
    choices = [c for c in (TEXTS[language][0], TEXTS[language][1], "utf-8") if encodable(text, c)]
    return rng.choice(choices)


def generate(count, seed, directory):
    rng = random.Random(seed)
    os.makedirs(directory, exist_ok=True)
    paths = []
    for number in range(count):
        language = rng.choice(sorted(TEXTS))
        msg = EmailMessage()
        name = rng.choice(NAMES)
        user = rng.choice(["jane", "j.doe", "support+tag", "o'neil", "x"]) + str(number)
        domain = rng.choice(["example.com", "Example.ORG", "mail.example.co.uk"])
        msg["From"] = Address(display_name=name, username=user, domain=domain)
        msg["To"] = Address(display_name="Support", username="support", domain="example.com")
        subject = sentence(rng, language)
        if rng.random() < 0.3:
            subject = "Re: " + subject + " " + sentence(rng, rng.choice(sorted(TEXTS)))
        msg["Subject"] = subject
        msg["Date"] = "Mon, 1 Jul 2024 10:%02d:00 +0200" % (number % 60)
        msg["Message-ID"] = "<gen-%d@example.com>" % number
        text = body_text(rng, language)
        charset = pick_charset(rng, language, text)
        ascii_only = encodable(text, "us-ascii")
        cte = rng.choice([None, "base64", "quoted-printable"] + (["7bit"] if ascii_only else ["8bit"]))
        shape = rng.choice(["plain", "alternative", "html", "mixed", "related", "mixed-alternative"])
        html = "<html><body><p>" + text.replace("&", "&amp;").replace("<", "&lt;").replace("\n\n", "</p><p>") + "</p></body></html>\n"
        if shape == "html":
            msg.set_content(html, subtype="html", charset=charset, cte=cte)
        else:
            msg.set_content(text, charset=charset, cte=cte)
        if shape in ("alternative", "mixed-alternative", "related"):
            msg.add_alternative(html, subtype="html", charset=pick_charset(rng, language, html))
        if shape == "related":
            html_part = msg.get_body(("html",))
            html_part.add_related(rng.randbytes(rng.randint(10, 400)), "image", "png",
                                  cid="<img%d@example.com>" % number, filename=rng.choice([None, "inline.png"]))
        if shape in ("mixed", "mixed-alternative") or rng.random() < 0.2:
            for _ in range(rng.randint(1, 3)):
                maintype, subtype = rng.choice(TYPES)
                data = rng.randbytes(rng.randint(0, 3000))
                filename = rng.choice(FILES)
                if maintype == "text":
                    msg.add_attachment(data.hex(), subtype=subtype, filename=filename,
                                       cte=rng.choice(["base64", "quoted-printable", "7bit"]))
                else:
                    msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
        generator_policy = policy.SMTP if rng.random() < 0.5 else policy.default
        path = os.path.join(directory, "gen-%04d.eml" % number)
        with open(path, "wb") as handle:
            handle.write(msg.as_bytes(policy=generator_policy))
        paths.append(path)
    return paths


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--generate", type=int, default=0)
    parser.add_argument("--seed", type=int, default=2045)
    parser.add_argument("--out", default=None)
    arguments = parser.parse_args()
    files = []
    for path in arguments.paths:
        if os.path.isdir(path):
            files.extend(os.path.join(path, name) for name in sorted(os.listdir(path)) if name.endswith(".eml"))
        else:
            files.append(path)
    if arguments.generate:
        if not arguments.out:
            parser.error("--generate needs --out DIR")
        files.extend(generate(arguments.generate, arguments.seed, arguments.out))
    json.dump({"files": [clean(extract(path)) for path in files]}, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
