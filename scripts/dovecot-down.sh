#!/usr/bin/env bash
# Stops the Dovecot that scripts/dovecot-up.sh started in DIR (that pid only, checked against
# its configuration path). Usage: scripts/dovecot-down.sh DIR [--wipe]   (--wipe deletes DIR)
set -euo pipefail
DIR="${1:?usage: dovecot-down.sh DIR [--wipe]}"
[ -d "$DIR" ] || { echo "[dovecot-down] $DIR does not exist"; exit 0; }
DIR="$(cd "$DIR" && pwd)"
CONF="$DIR/dovecot.conf"
PIDFILE="$DIR/run/master.pid"
if [ -s "$PIDFILE" ]; then
  pid="$(cat "$PIDFILE")"
  cmdline="$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null || true)"  # no pipe into grep -q: pipefail + SIGPIPE
  if [[ "$cmdline" == *"$CONF"* ]]; then
    kill -TERM "$pid"   # the master takes its children with it
    for _ in $(seq 100); do [ -d "/proc/$pid" ] || break; sleep 0.05; done
    if [ -d "/proc/$pid" ]; then echo "[dovecot-down] pid $pid still alive; SIGKILL" >&2; kill -KILL "$pid"; fi
    echo "[dovecot-down] stopped dovecot pid $pid"
  else
    echo "[dovecot-down] $PIDFILE names pid $pid, which is not our dovecot; nothing stopped"
  fi
  rm -f "$PIDFILE"
else
  echo "[dovecot-down] not running"
fi
if [ "${2:-}" = "--wipe" ]; then rm -rf "$DIR"; echo "[dovecot-down] removed $DIR"; fi
