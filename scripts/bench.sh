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

cat >"$work/adapters.json" <<JSON
{
  "version": 1,
  "store": { "path": "$work/bench.db" },
  "listeners": { "local": { "type": "unix", "path": "$work/ingest.sock" } },
  "ingest": { "backlog_budget": 1000000 },
  "log": { "level": "warning" },
  "adapters": { "local": { "type": "local", "listener": "local" } }
}
JSON

echo "== ingest over the Unix socket ($MESSAGES messages, $CONNECTIONS keep-alive connections, synchronous=FULL)"
start_daemon "$work/adapters.json"
"$BENCH" --socket "$work/ingest.sock" --messages 20000 --connections "$CONNECTIONS" --label warm-up >/dev/null
"$BENCH" --socket "$work/ingest.sock" --messages "$MESSAGES" --connections "$CONNECTIONS" --pid "$DAEMON_PID" --label ingest
kill "$DAEMON_PID"; wait "$DAEMON_PID" || true
