#!/usr/bin/env bash
# Starts or stops the test SMTP server (scripts/smtp-sink.py, aiosmtpd) in the background.
#
#   scripts/smtp-sink.sh up PORT DIR [smtp-sink.py options...]   # mail goes to DIR/out
#   scripts/smtp-sink.sh down DIR                                # stops that sink by its pid
#
# The Python used is $PYTHON, else ./.venv-test/bin/python (make test-deps installs aiosmtpd
# there), else python3. Prints KEY=VALUE lines.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cmd="${1:?usage: smtp-sink.sh up PORT DIR [options] | down DIR}"
case "$cmd" in
  up)
    PORT="${2:?port}"; DIR="${3:?dir}"; shift 3
    PY="${PYTHON:-}"
    if [ -z "$PY" ]; then
      if [ -x "$ROOT/.venv-test/bin/python" ]; then PY="$ROOT/.venv-test/bin/python"; else PY=python3; fi
    fi
    "$PY" -c 'import aiosmtpd' 2>/dev/null || { echo "[smtp-sink] aiosmtpd is not installed for $PY (run make test-deps)" >&2; exit 2; }
    mkdir -p "$DIR/out"
    rm -f "$DIR/smtp-sink.pid"
    nohup "$PY" "$ROOT/scripts/smtp-sink.py" --port "$PORT" --outdir "$DIR/out" --pidfile "$DIR/smtp-sink.pid" "$@" \
      >"$DIR/smtp-sink.log" 2>&1 &
    for _ in $(seq 100); do
      [ -s "$DIR/smtp-sink.pid" ] && (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
      sleep 0.05
    done
    if ! [ -s "$DIR/smtp-sink.pid" ]; then echo "[smtp-sink] did not start; log:" >&2; cat "$DIR/smtp-sink.log" >&2; exit 1; fi
    echo "SMTP_PORT=$PORT"
    echo "SMTP_OUTDIR=$DIR/out"
    echo "SMTP_SINK_PID=$(cat "$DIR/smtp-sink.pid")"
    ;;
  down)
    DIR="${2:?dir}"
    if [ -s "$DIR/smtp-sink.pid" ]; then
      pid="$(cat "$DIR/smtp-sink.pid")"
      cmdline="$(tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null || true)"
      if [[ "$cmdline" == *smtp-sink.py* ]]; then
        kill -TERM "$pid"
        for _ in $(seq 100); do [ -d "/proc/$pid" ] || break; sleep 0.05; done
        [ -d "/proc/$pid" ] && kill -KILL "$pid"
        echo "[smtp-sink] stopped pid $pid"
      fi
      rm -f "$DIR/smtp-sink.pid"
    else
      echo "[smtp-sink] not running"
    fi
    ;;
  *) echo "usage: smtp-sink.sh up PORT DIR [options] | down DIR" >&2; exit 2 ;;
esac
