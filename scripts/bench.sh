#!/usr/bin/env bash
# make bench: benchmarks on a release build. Prints the figures the README quotes.
# Every daemon it starts runs on a temporary state directory on loopback/Unix sockets and is
# stopped by pid at the end, whatever happens.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/switchboard
BENCH=.build/release/switchboard-bench
MESSAGES=${BENCH_MESSAGES:-200000}
CONNECTIONS=${BENCH_CONNECTIONS:-16}
work=$(mktemp -d /tmp/switchboard-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

[ -x "$BENCH" ] || swift build -c release --product switchboard-bench >/dev/null

start_daemon() { # $1 = config file; sets DAEMON_PID and waits for the socket
  "$BIN" run --config "$1" 2>"$work/daemon.log" &
  DAEMON_PID=$!
  pids+=("$DAEMON_PID")
  for _ in $(seq 1 100); do [ -S "$work/ingest.sock" ] && return 0; sleep 0.05; done
  echo "the daemon did not start; its log:" >&2; cat "$work/daemon.log" >&2; exit 1
}

write_config() { # $1 = file, $2 = classifier enabled (true/false)
  rm -f "$work"/bench.db*
  cat >"$1" <<JSON
{
  "version": 1,
  "store": { "path": "$work/bench.db", "synchronous": "${3:-full}" },
  "listeners": { "local": { "type": "unix", "path": "$work/ingest.sock" } },
  "ingest": { "backlog_budget": 1000000 },
  "log": { "level": "warning" },
  "classifier": { "enabled": $2 },
  "adapters": { "local": { "type": "local", "listener": "local" } }
}
JSON
}

ingest_run() { # $1 = label, $2 = classifier enabled, $3 = store.synchronous (full|normal)
  write_config "$work/adapters.json" "$2" "${3:-full}"
  start_daemon "$work/adapters.json"
  "$BENCH" --socket "$work/ingest.sock" --messages 20000 --connections "$CONNECTIONS" --label warm-up >/dev/null
  "$BENCH" --socket "$work/ingest.sock" --messages "$MESSAGES" --connections "$CONNECTIONS" --pid "$DAEMON_PID" --label "$1"
  kill "$DAEMON_PID"; wait "$DAEMON_PID" || true
  rm -f "$work/ingest.sock"
}

echo "== fsync speed of this disk (SQLite WAL, synchronous=FULL, one row per commit)"
python3 - "$work/fsync.db" <<'PY'
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("pragma journal_mode=wal"); c.execute("pragma synchronous=full"); c.execute("create table t(x)")
n, t = 500, time.time()
for i in range(n):
    c.execute("begin"); c.execute("insert into t values(?)", (i,)); c.execute("commit")
print(f"disk: {n / (time.time() - t):.0f} commits/s with an fsync each")
PY

echo "== ingest over the Unix socket ($MESSAGES messages, $CONNECTIONS keep-alive connections, synchronous=FULL)"
ingest_run "ingest (store only, FULL)" false full
ingest_run "ingest + classification (FULL)" true full
# With synchronous=NORMAL a commit is durable against a crash of the daemon (SIGKILL, the e2e
# crash test) but not against power loss; the figure shows what the daemon does when the disk's
# fsync latency is taken out.
ingest_run "ingest (store only, NORMAL)" false normal
ingest_run "ingest + classification (NORMAL)" true normal

echo "== routing + assignment decisions (1,000 agents, 50 queues)"
[ -x .build/release/switchboard-simulate ] || swift build -c release --product switchboard-simulate >/dev/null
.build/release/switchboard-simulate --bench

echo "== classification (one thread, shipped default model, the 150 held-out examples 40 times over)"
for _ in $(seq 40); do cat data/classifier/examples-test.jsonl; done >"$work/classify.jsonl"
"$BIN" eval --data "$work/classify.jsonl" | grep -E "speed"

echo
echo "== SMS webhooks: signed Twilio webhooks stored per second under wrk, and nginx's static 200 as the ceiling"
SWITCHBOARD_BIN="$BIN" scripts/sms-webhook-bench.sh

echo
echo "== email: N seeded mails from a real Dovecot (scripts/dovecot-up.sh) to stored, classified and routed (imap adapter, IDLE)"
MAILS=${BENCH_MAILS:-5000}
mail_work=$(mktemp -d /tmp/switchboard-bench-mail.XXXXXX)
chmod 755 "$mail_work"  # Dovecot's mail user must reach its maildirs below
trap 'scripts/dovecot-down.sh "$mail_work/dovecot" >/dev/null 2>&1 || true; rm -rf "$mail_work"; cleanup' EXIT
mail_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DOVECOT_USERS="bench:benchpw" scripts/dovecot-up.sh "$mail_port" "$mail_work/dovecot" >/dev/null
python3 scripts/imap-seed.py "$MAILS" --quiet --prefix bench --maildir "$mail_work/dovecot/mail/bench/Maildir"
cat >"$mail_work/adapters.json" <<JSON
{
  "version": 1,
  "store": { "path": "$mail_work/bench.db" },
  "listeners": { "local": { "type": "unix", "path": "$mail_work/ingest.sock" } },
  "log": { "level": "warning" },
  "classifier": { "enabled": true },
  "adapters": {
    "mail": { "type": "imap", "url": "imap://127.0.0.1:$mail_port", "starttls": false,
              "username": "bench", "password": "env:BENCH_IMAP_PASSWORD" }
  }
}
JSON
start=$(date +%s.%N)
BENCH_IMAP_PASSWORD=benchpw "$BIN" run --config "$mail_work/adapters.json" 2>"$mail_work/daemon.log" &
mail_pid=$!
pids+=("$mail_pid")
python3 - "$mail_work/bench.db" "$MAILS" "$start" <<'PY'
import sqlite3, sys, time
path, n, start = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
stored, deadline = 0, time.time() + 300
while time.time() < deadline:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        stored = db.execute("select count(*) from messages where adapter_id = 'mail'").fetchone()[0]
        db.close()
    except sqlite3.Error:
        pass
    if stored >= n:
        break
    time.sleep(0.01)
elapsed = time.time() - start
print(f"email: {stored} of {n} mails stored in {elapsed:.2f} s from daemon start: {stored / elapsed:.0f} mails/s"
      " (fetch over IMAP, MIME parse, classify, route, group commit, checkpoint)")
PY
kill "$mail_pid"; wait "$mail_pid" || true
