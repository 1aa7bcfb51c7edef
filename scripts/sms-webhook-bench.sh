#!/usr/bin/env bash
# Signed Twilio webhooks per second, stored, under wrk with keep-alive; then the same wrk script
# against nginx answering a static 200 on the same machine, as the ceiling. Prints both and the ratio,
# and the daemon's HTTP stack alone (the same requests to a path no adapter serves) against nginx.
#
#   scripts/sms-webhook-bench.sh                 # uses .build/release/switchboard
#   SWITCHBOARD_BIN=… SMS_BENCH_DURATION=10s SMS_BENCH_CONNECTIONS=128 SMS_BENCH_THREADS=1 scripts/sms-webhook-bench.sh
#
# Everything runs on 127.0.0.1 on free ports with its own temporary directory; the daemon and
# nginx it starts are stopped by pid at the end, whatever happens. nginx is only the yardstick: it
# runs as a child on a loopback port, never as the system's service (installed when missing by
# scripts/apt-install-servers.sh, which neither starts nor enables that).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SWITCHBOARD_BIN:-.build/release/switchboard}
DURATION=${SMS_BENCH_DURATION:-10s}
CONNECTIONS=${SMS_BENCH_CONNECTIONS:-128}
THREADS=${SMS_BENCH_THREADS:-1}
REQUESTS=${SMS_BENCH_REQUESTS:-400000}
# The daemon is measured as shipped (classifier on: it runs on the event loop before each message
# is queued for the store) and with the classifier off; SMS_BENCH_CLASSIFIER=on (or off) runs one.
TOKEN=bench_twilio_auth_token_0123456789
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)

work=$(mktemp -d /tmp/switchboard-sms-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

apt_install() {
  echo "installing $*"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=120 install -y -qq "$@" >/dev/null 2>&1 \
    || { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=120 install -y -qq "$@" >/dev/null; }
}
command -v wrk >/dev/null || apt_install wrk
[ -x /usr/sbin/nginx ] || command -v nginx >/dev/null || scripts/apt-install-servers.sh nginx
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$BIN" ] || { echo "no daemon binary at $BIN (make release, or set SWITCHBOARD_BIN)" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
seconds() { python3 -c "import sys,re; m=re.fullmatch(r'(\d+)(s|m)?', sys.argv[1]); print(int(m[1]) * (60 if m[2]=='m' else 1))" "$1"; }
stored() { python3 -c "import sqlite3,sys; db=sqlite3.connect('file:'+sys.argv[1]+'?mode=ro', uri=True); print(db.execute(\"SELECT COUNT(*) FROM messages WHERE adapter_id='tw'\").fetchone()[0])" "$1"; }
rate() { awk '/^Requests\/sec:/ {print $2}' "$1"; }
ratio() { python3 -c "import sys; print('  ratio to nginx: %.2f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
non2xx() { awk '/Non-2xx or 3xx responses:/ {print $5}' "$1"; }

secs=$(seconds "$DURATION")
export SMS_THREADS="$THREADS"

# run_daemon MODE: one daemon on a fresh store (classifier MODE=on|off), warm-up, measured run.
# Sets RESULT_<MODE>="answered/s non2xx stored/s rows rss_kib".
run_daemon() {
  local mode=$1 dir="$work/$1"
  mkdir -p "$dir"
  local port; port=$(free_port)
  local url="http://127.0.0.1:$port/sms/twilio"
  cat >"$dir/adapters.json" <<JSON
{
  "version": 1,
  "store": { "path": "$dir/sms.db" },
  "listeners": {
    "local": { "type": "unix", "path": "$dir/ingest.sock" },
    "web": { "type": "tcp", "address": "127.0.0.1", "port": $port, "max_connections_per_client": 1024 }
  },
  "limits": { "max_connections": 4096 },
  "ingest": { "backlog_budget": 1000000 },
  "log": { "level": "warning" },
  "classifier": { "enabled": $([ "$mode" = off ] && echo false || echo true) },
  "adapters": {
    "tw": { "type": "twilio", "listener": "web", "path": "/sms/twilio", "auth_token": "env:SMS_BENCH_TOKEN",
            "default_region": "US", "backlog_budget": 1000000 }
  }
}
JSON
  echo "== signed Twilio webhooks ($DURATION, $CONNECTIONS keep-alive connections, $THREADS wrk thread(s), synchronous=FULL, classifier $mode)"
  python3 scripts/sms-sign.py --url "$url" --token "$TOKEN" --count "$REQUESTS" --out "$dir/requests.txt"
  python3 scripts/sms-sign.py --url "$url" --token "$TOKEN" --count 40000 --seed 2 --out "$dir/warmup.txt"
  SMS_BENCH_TOKEN=$TOKEN "$BIN" run --config "$dir/adapters.json" 2>"$dir/daemon.log" &
  local daemon=$!
  pids+=("$daemon")
  for _ in $(seq 1 200); do curl -s -o /dev/null "http://127.0.0.1:$port/v1/health" && break; sleep 0.05; done
  # Warm-up with other message ids, so that every request of the measured run is a new message.
  SMS_REQUESTS_FILE="$dir/warmup.txt" wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -s scripts/sms-wrk.lua "$url" >/dev/null
  local before after rss bad
  before=$(stored "$dir/sms.db")
  SMS_REQUESTS_FILE="$dir/requests.txt" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s scripts/sms-wrk.lua "$url" | tee "$dir/wrk.txt"
  after=$(stored "$dir/sms.db")
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$daemon/status" 2>/dev/null || echo 0)
  # What the resident memory is made of at the end: the heap and SQLite's page caches
  # (anonymous), and file pages mapped in (the binary, its libraries, and the database pages the
  # writer read through SQLite's mmap_size window of 256 MiB, which grows with the database).
  anon=$(awk '/RssAnon/ {print $2}' "/proc/$daemon/status" 2>/dev/null || echo 0)
  file=$(awk '/RssFile/ {print $2}' "/proc/$daemon/status" 2>/dev/null || echo 0)
  if [ "$mode" = "$FLOOR_MODE" ]; then
    # The same requests to a path no adapter serves, on the same daemon: answered 404 by the
    # HTTP server alone (read, parse, route, answer; no signature, no classifier, no store).
    # What the daemon's HTTP stack does against nginx's, before any of the webhook's work.
    echo "== the same wrk script to a path no adapter serves (404: the daemon's HTTP stack alone)"
    SMS_REQUESTS_FILE="$dir/requests.txt" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s scripts/sms-wrk.lua "http://127.0.0.1:$port/sms/unrouted" >"$work/wrk-floor.txt"
    grep -E "Requests/sec|Non-2xx" "$work/wrk-floor.txt"
  fi
  kill "$daemon"; wait "$daemon" 2>/dev/null || true
  bad=$(non2xx "$dir/wrk.txt"); bad=${bad:-0}
  printf -v "RESULT_$mode" '%s %s %s %s %s %s %s' "$(rate "$dir/wrk.txt")" "$bad" "$(( (after - before) / secs ))" "$((after - before))" "$rss" "$anon" "$file"
}

MODES=${SMS_BENCH_CLASSIFIER:-"on off"}
FLOOR_MODE=$(echo $MODES | awk '{print $1}')
for mode in $MODES; do run_daemon "$mode"; done

NPORT=$(free_port)
mkdir -p "$work/nginx"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes auto;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
daemon off;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body;
  proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi;
  uwsgi_temp_path $work/nginx/uwsgi;
  scgi_temp_path $work/nginx/scgi;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$NPORT;
    location / { default_type text/xml; return 200 '<?xml version="1.0" encoding="UTF-8"?><Response/>'; }
  }
}
CONF
"$NGINX" -p "$work/nginx" -c "$work/nginx/nginx.conf" 2>"$work/nginx/stderr.log" &
NGINX_PID=$!
pids+=("$NGINX_PID")
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$NPORT/" && break; sleep 0.05; done
echo "== the same wrk script against nginx (static 200, worker_processes auto) as the ceiling"
first=$(echo $MODES | awk '{print $1}')
SMS_REQUESTS_FILE="$work/$first/warmup.txt" wrk -t"$THREADS" -c"$CONNECTIONS" -d2s -s scripts/sms-wrk.lua "http://127.0.0.1:$NPORT/sms/twilio" >/dev/null
SMS_REQUESTS_FILE="$work/$first/requests.txt" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -s scripts/sms-wrk.lua "http://127.0.0.1:$NPORT/sms/twilio" | tee "$work/wrk-nginx.txt"
kill "$NGINX_PID"; wait "$NGINX_PID" 2>/dev/null || true
nginx_rate=$(rate "$work/wrk-nginx.txt")

echo
echo "== webhook summary"
for mode in $MODES; do
  var="RESULT_$mode"
  read -r answered bad stored_rate rows rss anon file <<<"${!var}"
  printf 'switchboard (classifier %-3s): %s signed webhooks/s answered (%s non-2xx), %s/s stored (%s new rows in %ss), peak RSS %s MiB (at the end: %s MiB anonymous, %s MiB mapped files)\n' \
    "$mode" "$answered" "$bad" "$stored_rate" "$rows" "$secs" "$((rss / 1024))" "$((anon / 1024))" "$((file / 1024))"
  ratio "$answered" "$nginx_rate"
done
printf 'nginx: %s static 200/s (the ceiling: no signature, no parsing, no database)\n' "$nginx_rate"
floor_rate=$(rate "$work/wrk-floor.txt")
printf 'switchboard HTTP stack alone: %s requests/s answered 404 on a path no adapter serves (no signature, classifier or store)\n' "$floor_rate"
ratio "$floor_rate" "$nginx_rate"
