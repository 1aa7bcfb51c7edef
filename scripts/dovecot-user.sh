#!/usr/bin/env bash
# Adds a test user to a Dovecot started by dovecot-up.sh, or changes its password.
# Usage: scripts/dovecot-user.sh DIR USER PASSWORD      (USER: letters, digits, '.', '_', '-')
# Each user has its own passwd-file, DIR/users.d/USER; the maildir is DIR/mail/USER/Maildir.
set -euo pipefail
DIR="${1:?usage: dovecot-user.sh DIR USER PASSWORD}"; USER_NAME="${2:?}"; PASS="${3:?}"
[[ "$USER_NAME" =~ ^[A-Za-z0-9._-]+$ ]] || { echo "[dovecot-user] bad user name: $USER_NAME" >&2; exit 2; }
[[ "$PASS" != *:* && "$PASS" != *$'\n'* ]] || { echo "[dovecot-user] the password must not contain ':' or a newline" >&2; exit 2; }
DIR="$(cd "$DIR" && pwd)"
MUID="$(stat -c %u "$DIR/mail")"; MGID="$(stat -c %g "$DIR/mail")"
FILE="$DIR/users.d/$USER_NAME"
printf '%s:{PLAIN}%s:%s:%s::%s/mail/%s\n' "$USER_NAME" "$PASS" "$MUID" "$MGID" "$DIR" "$USER_NAME" > "$FILE.new"
chmod 644 "$FILE.new"
# Dovecot re-reads a passwd-file when its mtime (whole seconds) or size changes: a same-size
# change within one second would go unseen, so a changed file's mtime always moves forward.
if [ -e "$FILE" ]; then
  old="$(stat -c %Y "$FILE")"; now="$(date +%s)"
  [ "$now" -gt "$old" ] || now=$((old + 1))
  touch -d "@$now" "$FILE.new"
fi
mv "$FILE.new" "$FILE"
echo "MAILDIR=$DIR/mail/$USER_NAME/Maildir"
