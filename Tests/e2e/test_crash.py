"""THE crash test: acknowledged means committed.

Eight threads post distinct messages as fast as they can over keep-alive connections and record
every id the daemon acknowledged (202/200). The daemon is SIGKILLed mid-stream, restarted on the
same store, posted to again and killed again. Then:

* every acknowledged message is readable through the API and stored exactly once (checked in the
  SQLite file itself, opened read-only);
* re-posting every attempted message (acknowledged or not) answers 200 duplicate with the same
  message id for the acknowledged ones, 202 or 200 for the rest;
* the store ends with exactly one row per distinct id attempted.
"""

from __future__ import annotations

import http.client
import threading
import time
from dataclasses import dataclass, field

import pytest

import sbharness as h

THREADS = 8
RUN_SECONDS = 1.5
SENDERS = [("email", "email", "ana@example.com"), ("sms", "phone", "+4915112345678"),
           ("email", "email", "Bob@Example.org"), ("social", "social", "@carla@social.example"),
           ("chat", "chat", "visitor-77"), ("web", "email", "ANA@example.com")]


@dataclass
class Ledger:
    """What the clients know: every message attempted, and the id of every one acknowledged."""
    attempted: dict[str, dict] = field(default_factory=dict)
    acked: dict[str, str] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def make_message(round_no: int, thread: int, seq: int) -> dict:
    channel, kind, value = SENDERS[(thread + seq) % len(SENDERS)]
    return {
        "id": f"crash-r{round_no}-t{thread}-{seq}",
        "channel": channel,
        "from": {"kind": kind, "value": value},
        "subject": f"crash test {round_no}/{thread}/{seq}",
        "text": f"message {seq} from thread {thread} in round {round_no}: my order has not arrived",
    }


def hammer(d: h.Daemon, ledger: Ledger, round_no: int, killed: threading.Event) -> list[threading.Thread]:
    def worker(t: int) -> None:
        c = d.client(timeout=20)
        seq = 0
        try:
            while True:
                seq += 1
                m = make_message(round_no, t, seq)
                with ledger.lock:
                    ledger.attempted[m["id"]] = m
                try:
                    r = c.post("/v1/messages", m)
                except (OSError, http.client.HTTPException) as e:
                    if not killed.is_set():
                        # The daemon is not dead yet: wait to see whether it is dying right now.
                        killed.wait(2.0)
                    if not killed.is_set():
                        with ledger.lock:
                            ledger.errors.append(f"thread {t}: {e!r} before the kill")
                    return
                with ledger.lock:
                    ledger.statuses[r.status] = ledger.statuses.get(r.status, 0) + 1
                if r.status in (200, 202):
                    body = r.json()
                    with ledger.lock:
                        ledger.acked[m["id"]] = body["id"]
                elif r.status == 503:
                    time.sleep(0.01)
                else:
                    with ledger.lock:
                        ledger.errors.append(f"thread {t}: unexpected {r!r}")
                    return
        finally:
            c.close()

    threads = [threading.Thread(target=worker, args=(t,), name=f"post-{round_no}-{t}") for t in range(THREADS)]
    for th in threads:
        th.start()
    return threads


def run_round(d: h.Daemon, ledger: Ledger, round_no: int) -> tuple[int, int]:
    before_att, before_ack = len(ledger.attempted), len(ledger.acked)
    killed = threading.Event()
    threads = hammer(d, ledger, round_no, killed)
    time.sleep(RUN_SECONDS)
    killed.set()
    d.kill9()   # mid-stream: eight requests are in flight
    for th in threads:
        th.join(30)
        assert not th.is_alive(), f"{th.name} still blocked 30 s after the daemon was killed"
    return len(ledger.attempted) - before_att, len(ledger.acked) - before_ack


def verify_acked(d: h.Daemon, ledger: Ledger) -> None:
    """Every acknowledged message: readable with its text, and one row in the store."""
    counts = h.external_id_counts(d.store_path)
    dupes = {k: v for k, v in counts.items() if v != 1}
    assert not dupes, f"external ids stored more than once: {list(dupes.items())[:10]}"
    lost = [k for k in ledger.acked if counts.get(k) != 1]
    assert not lost, f"{len(lost)} of {len(ledger.acked)} acknowledged messages are not in the store: {lost[:10]}"
    stray = [k for k in counts if k not in ledger.attempted]
    assert not stray, f"rows nobody posted: {stray[:10]}"

    items = list(ledger.acked.items())
    problems: list[str] = []
    lock = threading.Lock()

    def reader(part: list[tuple[str, str]]) -> None:
        c = d.client()
        try:
            for ext, msg_id in part:
                r = c.get(f"/v1/messages/{msg_id}")
                if r.status != 200:
                    with lock:
                        problems.append(f"GET {msg_id} ({ext}): {r!r}")
                    continue
                got = r.json()
                want = ledger.attempted[ext]
                if got.get("text") != want["text"] or ext not in h.strings_in(got):
                    with lock:
                        problems.append(f"GET {msg_id} ({ext}) does not hold the message posted: {got}")
        finally:
            c.close()

    threads = [threading.Thread(target=reader, args=(items[i::THREADS],)) for i in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert not problems, f"{len(problems)} problems, first: {problems[:5]}"


def repost_all(d: h.Daemon, ledger: Ledger) -> dict[str, int]:
    items = list(ledger.attempted.items())
    problems: list[str] = []
    tally = {"acked_dup": 0, "unacked_202": 0, "unacked_200": 0}
    lock = threading.Lock()

    def poster(part: list[tuple[str, dict]]) -> None:
        c = d.client()
        try:
            for ext, m in part:
                r = c.post("/v1/messages", m)
                with lock:
                    if ext in ledger.acked:
                        if r.status != 200 or r.json().get("id") != ledger.acked[ext] or r.json().get("duplicate") is not True:
                            problems.append(f"acked {ext} (was {ledger.acked[ext]}) re-posted: {r!r}")
                        else:
                            tally["acked_dup"] += 1
                    elif r.status == 202:
                        tally["unacked_202"] += 1
                    elif r.status == 200:
                        # Committed just before the kill, the answer never arrived.
                        tally["unacked_200"] += 1
                    else:
                        problems.append(f"un-acked {ext} re-posted: {r!r}")
        finally:
            c.close()

    threads = [threading.Thread(target=poster, args=(items[i::THREADS],)) for i in range(THREADS)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(90)
    assert not problems, f"{len(problems)} problems, first: {problems[:5]}"
    return tally


@pytest.mark.time_limit(100)
def test_sigkill_loses_no_acknowledged_message(daemon_factory, capsys):
    d = daemon_factory()
    ledger = Ledger()

    att1, ack1 = run_round(d, ledger, 1)
    d.start()
    verify_acked(d, ledger)

    att2, ack2 = run_round(d, ledger, 2)
    d.start()
    verify_acked(d, ledger)

    assert not ledger.errors, ledger.errors[:5]
    assert ack1 > 0 and ack2 > 0, "nothing was acknowledged: the test proves nothing"

    tally = repost_all(d, ledger)
    assert tally["acked_dup"] == len(ledger.acked)

    counts = h.external_id_counts(d.store_path)
    assert set(counts) == set(ledger.attempted), \
        f"store ids differ from attempted ids: missing {list(set(ledger.attempted) - set(counts))[:5]}, " \
        f"extra {list(set(counts) - set(ledger.attempted))[:5]}"
    assert all(v == 1 for v in counts.values())
    total = h.total_message_rows(d.store_path)
    db = h.open_store_ro(d.store_path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "the store is damaged"
    finally:
        db.close()
    assert total == len(ledger.attempted), f"{total} rows for {len(ledger.attempted)} distinct ids"

    with capsys.disabled():
        print(f"\ncrash test: round 1 attempted {att1}, acked {ack1}; round 2 attempted {att2}, acked {ack2}; "
              f"statuses {dict(sorted(ledger.statuses.items()))}; re-post: {tally['acked_dup']} acked → 200 same id, "
              f"{tally['unacked_202']} un-acked → 202, {tally['unacked_200']} un-acked → 200 (committed, answer lost); "
              f"rows {total} == distinct ids {len(ledger.attempted)}")
    assert d.stop() == 0
