#!/usr/bin/env bash
# Checks the systemd unit's SystemCallFilter and MemoryDenyWriteExecute against what the daemon
# really does: runs it under strace through start, posts, reads, status, metrics, reload and
# stop, then lists every system call used that @system-service does not allow or that the
# unit's deny list removes, and any writable+executable mapping. Exit 1 when there is one.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SWITCHBOARD_BIN:-.build/debug/switchboard}
command -v strace >/dev/null || { echo "strace is needed: apt-get install strace" >&2; exit 2; }
work=$(mktemp -d /tmp/switchboard-syscalls.XXXXXX)
trap 'pkill -f "switchboard run --config $work" 2>/dev/null || true; rm -rf "$work"' EXIT
cat >"$work/a.json" <<JSON
{"version":1,"store":{"path":"$work/sb.db"},
 "listeners":{"local":{"type":"unix","path":"$work/ingest.sock"},"pub":{"type":"tcp","address":"127.0.0.1","port":0}},
 "adapters":{"local":{"type":"local","listener":"local"}}}
JSON
# The unit runs as its own user; as root SQLite would also fchown() its files, so drop to nobody.
as_user=()
if [ "$(id -u)" = 0 ]; then chmod 0777 "$work"; as_user=(setpriv --reuid=65534 --regid=65534 --clear-groups); fi
NOTIFY_SOCKET="$work/notify" WATCHDOG_USEC=200000 "${as_user[@]}" strace -f -qq -o "$work/trace" "$BIN" run --config "$work/a.json" 2>"$work/log" &
for _ in $(seq 1 100); do [ -S "$work/ingest.sock" ] && break; sleep 0.05; done
post() { curl -s --unix-socket "$work/ingest.sock" http://localhost/v1/messages -H 'Content-Type: application/json' -d "$1"; }
for i in $(seq 1 30); do post "{\"id\":\"s$i\",\"channel\":\"web\",\"from\":{\"kind\":\"email\",\"value\":\"a$i@b.example\"},\"text\":\"x\"}" >/dev/null; done
id=$(post '{"id":"s1","channel":"web","from":{"kind":"email","value":"a1@b.example"},"text":"x"}' | sed -E 's/.*"id":"([^"]+)".*/\1/')
curl -s --unix-socket "$work/ingest.sock" "http://localhost/v1/messages/$id" >/dev/null
curl -s --unix-socket "$work/ingest.sock" http://localhost/v1/status >/dev/null
curl -s --unix-socket "$work/ingest.sock" http://localhost/metrics >/dev/null
pkill -HUP -f "^$BIN run --config $work"; sleep 1
pkill -TERM -f "^$BIN run --config $work"; sleep 2

expand() { # a syscall group, recursively, to plain names
  # Members are the indented lines; the first line is the group's own name.
  systemd-analyze syscall-filter "$1" | sed -nE 's/^\s+([^#[:space:]].*)$/\1/p' | while read -r name; do
    case "$name" in @*) expand "$name" ;; *) echo "$name" ;; esac
  done
}
expand @system-service | sort -u >"$work/allowed"
deny=$(sed -nE 's/^SystemCallFilter=~(.*)/\1/p' systemd/switchboard.service)
for g in $deny; do expand "$g"; done | sort -u >"$work/denied"
{ sed -nE 's/^[0-9]+ +([a-z0-9_]+)\(.*/\1/p' "$work/trace"; sed -nE 's/^[0-9]+ +<\.\.\. ([a-z0-9_]+) resumed.*/\1/p' "$work/trace"; } | sort -u >"$work/used"
status=0
missing=$(comm -23 "$work/used" "$work/allowed"); denied=$(comm -12 "$work/used" "$work/denied")
wx=$(grep -cE '(mmap|mprotect)\(.*PROT_WRITE\|PROT_EXEC|(mmap|mprotect)\(.*PROT_EXEC\|PROT_WRITE' "$work/trace" || true)
echo "system calls used: $(wc -l <"$work/used")"
[ -n "$missing" ] && { echo "used but not in @system-service: $missing"; status=1; }
[ -n "$denied" ] && { echo "used but denied by the unit: $denied"; status=1; }
[ "$wx" != 0 ] && { echo "writable+executable mappings: $wx (MemoryDenyWriteExecute would break this)"; status=1; }
[ $status = 0 ] && echo "OK: every system call is allowed by the unit's filter; no W+X mappings"
exit $status
