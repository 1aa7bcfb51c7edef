"""The imap adapter against a real Dovecot (Debian's dovecot-imapd, started from
scripts/dovecot-up.sh on loopback): every mail stored exactly once, broken mail quarantined and
shown in status, post-actions only after commit, resume after SIGKILL mid-fetch, a UIDVALIDITY
reset, a wrong password, a connection cut mid-fetch, a server that is down for a while, TLS,
and IDLE latency.

Each test has its own Dovecot user (a fresh mailbox) and its own daemon.
"""

from __future__ import annotations

import os
import shutil
import signal
import time

import pytest

import mail_helpers as m
import sbharness as h

ADAPTER = "mail"


@pytest.fixture(scope="module")
def dovecot():
    root = h.short_tempdir("sbmail-")
    os.chmod(root, 0o755)
    server = m.start_dovecot_or_skip(root)
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


def start(daemon_factory, user, password=None, **settings) -> h.Daemon:
    return daemon_factory(env=m.daemon_env(user, password), adapters={ADAPTER: m.imap_adapter(user, **settings)})


def wait_stored(daemon: h.Daemon, n: int, timeout: float = 30.0) -> None:
    m.wait_until(lambda: m.stored_count(daemon.store_path, ADAPTER) >= n, timeout, what=f"{n} stored mails")


def test_every_mail_once_broken_quarantined_flags_untouched(dovecot, daemon_factory):
    user = dovecot.add_user()
    manifest = user.seed(200, broken=2)
    assert len(m.expected_ids(manifest)) == 200
    daemon = start(daemon_factory, user)
    wait_stored(daemon, 200)
    m.wait_until(lambda: len(m.quarantined(daemon.store_path, ADAPTER)) == 2, what="2 quarantined")
    m.assert_each_once(daemon.store_path, ADAPTER, manifest)

    codes = sorted(q[0] for q in m.quarantined(daemon.store_path, ADAPTER))
    assert codes == ["mime.no_sender", "mime.not_a_message"], codes
    raws = [q[2] for q in m.quarantined(daemon.store_path, ADAPTER)]
    assert any(b"this is not a mail at all" in r for r in raws), "raw bytes kept in quarantine"

    status = daemon.get("/v1/status").json()
    assert status["store"]["quarantined"] == 2
    detail = m.adapter_status(daemon, ADAPTER)["detail"]
    assert "2 quarantined" in detail and "200 stored" in detail, detail
    m.wait_until(lambda: "idle" in m.adapter_status(daemon, ADAPTER)["detail"], what="idle in status")

    # post_action leave: nothing was marked \Seen (BODY.PEEK[] and a read-only EXAMINE).
    flags = user.flags()
    assert len(flags) == 202 and not any("\\Seen" in f for f in flags.values()), list(flags.items())[:3]

    # A restart resumes from the checkpoint: nothing fetched twice, nothing stored twice.
    assert daemon.stop() == 0
    assert m.checkpoint(daemon.store_path, ADAPTER).endswith(":202")
    daemon.start()
    m.wait_until(lambda: "idle" in m.adapter_status(daemon, ADAPTER)["detail"], what="idle after restart")
    detail = m.adapter_status(daemon, ADAPTER)["detail"]
    assert "0 stored, 0 duplicates, 0 quarantined" in detail, detail
    m.assert_each_once(daemon.store_path, ADAPTER, manifest)
    assert len(m.quarantined(daemon.store_path, ADAPTER)) == 2
    # The metrics carry the adapter's counters.
    metrics = daemon.get("/metrics").text
    assert h.metric_value(metrics, "switchboard_imap_connected") == 1


def test_flag_seen_after_commit(dovecot, daemon_factory):
    user = dovecot.add_user()
    manifest = user.seed(40)
    daemon = start(daemon_factory, user, post_action="flag-seen", batch_size=15)
    wait_stored(daemon, 40)
    m.wait_until(lambda: all("\\Seen" in f for f in user.flags().values()), timeout=10, what="all \\Seen")
    m.assert_each_once(daemon.store_path, ADAPTER, manifest)


def test_move_to_folder_after_commit(dovecot, daemon_factory):
    user = dovecot.add_user()
    manifest = user.seed(40)
    daemon = start(daemon_factory, user, post_action="move-to", move_folder="Archive", batch_size=15)
    wait_stored(daemon, 40)
    m.wait_until(lambda: user.count("INBOX") == 0 and user.count("Archive") == 40, timeout=10, what="moved to Archive")
    m.assert_each_once(daemon.store_path, ADAPTER, manifest)
    # New mail is moved too, and nothing comes twice after the moves.
    more = user.seed(5, prefix=user.name + "b", seed=7)
    wait_stored(daemon, 45)
    m.wait_until(lambda: user.count("Archive") == 45, timeout=10, what="45 in Archive")
    m.assert_each_once(daemon.store_path, ADAPTER, manifest + more)


def test_move_to_missing_folder_is_a_clear_failure(dovecot, daemon_factory):
    user = dovecot.add_user()
    user.seed(3)
    daemon = start(daemon_factory, user, post_action="move-to", move_folder="No/Such/Folder")
    m.wait_until(lambda: "does not exist" in m.adapter_status(daemon, ADAPTER)["detail"], timeout=10, what="failing status")
    assert m.stored_count(daemon.store_path, ADAPTER) == 0  # nothing fetched that could not be moved


@pytest.mark.time_limit(60)
def test_sigkill_mid_fetch_then_restart_stores_each_mail_once(dovecot, daemon_factory):
    user = dovecot.add_user()
    manifest = user.seed(2000, maildir=True)
    daemon = start(daemon_factory, user, batch_size=25)
    m.wait_until(lambda: m.stored_count(daemon.store_path, ADAPTER) >= 150, timeout=30, interval=0.005, what="150 stored")
    daemon.kill9()
    at_kill = m.stored_count(daemon.store_path, ADAPTER)
    assert 0 < at_kill < 2000, f"the kill came too late to be mid-fetch ({at_kill} stored)"
    daemon.start()
    wait_stored(daemon, 2000, timeout=40)
    m.wait_until(lambda: m.checkpoint(daemon.store_path, ADAPTER).endswith(":2000"), what="checkpoint at 2000")
    m.assert_each_once(daemon.store_path, ADAPTER, manifest)


def test_uidvalidity_reset_brings_no_duplicates(dovecot, daemon_factory):
    user = dovecot.add_user()
    manifest = user.seed(60, mailbox="Support")
    daemon = start(daemon_factory, user, mailbox="Support")
    wait_stored(daemon, 60)
    before = m.checkpoint(daemon.store_path, ADAPTER)
    assert daemon.stop() == 0

    # The mailbox is recreated (as a migration or a restore does): same mails, new UIDVALIDITY.
    c = user.imap()
    c.select("Support", readonly=True)
    typ, data = c.uid("FETCH", "1:*", "(BODY.PEEK[])")
    raws = [part[1] for part in data if isinstance(part, tuple)]
    assert len(raws) == 60
    c.close()
    assert c.delete("Support")[0] == "OK"
    assert c.create("Support")[0] == "OK"
    for raw in raws:
        assert c.append("Support", None, None, raw)[0] == "OK"
    c.logout()
    more = user.seed(5, mailbox="Support", prefix=user.name + "new", seed=9)

    daemon.start()
    wait_stored(daemon, 65)
    m.wait_until(lambda: m.checkpoint(daemon.store_path, ADAPTER).endswith(":65"), what="checkpoint at 65")
    after = m.checkpoint(daemon.store_path, ADAPTER)
    assert before.split(":")[0] != after.split(":")[0], (before, after)
    time.sleep(0.3)
    m.assert_each_once(daemon.store_path, ADAPTER, manifest + more)
    assert "UIDVALIDITY changed" in daemon.stderr()
    assert "60 duplicates" in m.adapter_status(daemon, ADAPTER)["detail"]


def test_wrong_password_is_shown_retried_and_recovers(dovecot, daemon_factory):
    user = dovecot.add_user()
    manifest = user.seed(10)
    daemon = start(daemon_factory, user, password="wrong-password-e2e")
    m.wait_until(lambda: "login denied" in m.adapter_status(daemon, ADAPTER)["detail"], timeout=15, what="login denied in status")
    detail = m.adapter_status(daemon, ADAPTER)["detail"]
    assert "failing since" in detail and "check username and password" in detail and "next try at" in detail, detail
    log = daemon.stderr()
    assert "login denied" in log and "wrong-password-e2e" not in log
    assert m.stored_count(daemon.store_path, ADAPTER) == 0
    # The admin fixes the password on the server side: a later retry gets in (Dovecot adds its
    # own penalty delay after failed logins, so this takes a few seconds).
    dovecot.set_password(user.name, "wrong-password-e2e")
    wait_stored(daemon, 10, timeout=15)
    m.assert_each_once(daemon.store_path, ADAPTER, manifest)
    # The adapter says so once the fetch that stored them has finished (just after the commit).
    m.wait_until(lambda: "imap adapter recovered" in daemon.stderr(), timeout=10, what="the 'recovered' log line")


def test_connection_cut_mid_fetch_and_server_down_for_a_while(dovecot, daemon_factory):
    user = dovecot.add_user()
    manifest = user.seed(300, maildir=True)
    proxy = m.FlakyProxy(dovecot.port)
    try:
        proxy.down = True  # the server is down when the daemon starts
        daemon = start(daemon_factory, user, url=f"imap://127.0.0.1:{proxy.port}", batch_size=20)
        m.wait_until(lambda: proxy.refused >= 2, timeout=10, what="two refused connections")
        detail = m.adapter_status(daemon, ADAPTER)["detail"]
        assert "failing" in detail and "connection" in detail, detail
        proxy.cut_after = 60_000  # up again, but the first connection dies mid-fetch
        proxy.down = False
        wait_stored(daemon, 300, timeout=30)
        assert proxy.cuts == 1
        m.assert_each_once(daemon.store_path, ADAPTER, manifest)
    finally:
        proxy.close()


def test_starttls_and_imaps_with_ca_file(dovecot, daemon_factory):
    user = dovecot.add_user()
    manifest = user.seed(5)
    entry = m.imap_adapter(user, url=f"imap://localhost:{dovecot.port}", ca_file=dovecot.cafile)
    del entry["starttls"]  # the default: STARTTLS required
    tls_entry = m.imap_adapter(user, url=f"imaps://localhost:{dovecot.imaps_port}", ca_file=dovecot.cafile)
    del tls_entry["starttls"]
    untrusted = m.imap_adapter(user, url=f"imaps://localhost:{dovecot.imaps_port}")
    del untrusted["starttls"]
    daemon = daemon_factory(env=m.daemon_env(user), adapters={"starttls": entry, "imaps": tls_entry, "untrusted": untrusted})
    for adapter in ("starttls", "imaps"):
        m.wait_until(lambda: m.stored_count(daemon.store_path, adapter) == 5, what=f"5 stored by {adapter}")
        m.assert_each_once(daemon.store_path, adapter, manifest)
    m.wait_until(lambda: "TLS failed" in m.adapter_status(daemon, "untrusted")["detail"], timeout=10, what="TLS failure")
    assert m.stored_count(daemon.store_path, "untrusted") == 0


def test_large_mail_is_stored_and_oversized_mail_quarantined(dovecot, daemon_factory):
    user = dovecot.add_user()
    manifest = user.seed(5, big_mb=25)
    daemon = start(daemon_factory, user)
    wait_stored(daemon, 6, timeout=40)
    m.assert_each_once(daemon.store_path, ADAPTER, manifest)
    db = h.open_store_ro(daemon.store_path)
    try:
        size, attachments = db.execute("SELECT length(raw), attachments FROM messages WHERE json_extract(metadata, '$.message_id') LIKE '%.big@example.com'").fetchone()
    finally:
        db.close()
    assert size > 25_000_000 and "photos.zip" in attachments

    small = dovecot.add_user()
    small_manifest = small.seed(3, big_mb=2)
    second = daemon_factory(env=m.daemon_env(small), adapters={ADAPTER: m.imap_adapter(small, mime={"max_message_bytes": "1MiB"})})
    wait_stored(second, 3)
    m.wait_until(lambda: len(m.quarantined(second.store_path, ADAPTER)) == 1, what="oversized mail quarantined")
    code, message, raw = m.quarantined(second.store_path, ADAPTER)[0]
    assert code == "imap.message_too_large" and b"Subject: Large attachment" in raw and len(raw) < 10_000
    m.assert_each_once(second.store_path, ADAPTER, [x for x in small_manifest if x["kind"] != "big"])


def test_idle_brings_new_mail_within_two_seconds(dovecot, daemon_factory):
    user = dovecot.add_user()
    user.seed(3)
    daemon = start(daemon_factory, user, interval="1h")
    wait_stored(daemon, 3)
    m.wait_until(lambda: "idle (IMAP IDLE)" in m.adapter_status(daemon, ADAPTER)["detail"], what="idling")
    latencies = []
    for k in range(3):
        t0 = time.monotonic()
        user.append(m.simple_mail(f"idle-{k}-{user.name}@example.com"))
        wait_stored(daemon, 4 + k, timeout=5)
        latencies.append(time.monotonic() - t0)
        time.sleep(0.2)
    print(f"IDLE latencies: {', '.join('%.0f ms' % (x * 1000) for x in latencies)}")
    assert max(latencies) < 2.0, latencies
