#!/usr/bin/env bash
# Adds (or replaces) a test user in the passwd-file of a Dovecot started by dovecot-up.sh.
# Usage: scripts/dovecot-user.sh DIR USER PASSWORD
# Dovecot re-reads the file when it changes; the user's maildir is DIR/mail/USER/Maildir.
set -euo pipefail
DIR="${1:?usage: dovecot-user.sh DIR USER PASSWORD}"; USER_NAME="${2:?}"; PASS="${3:?}"
DIR="$(cd "$DIR" && pwd)"
MUID="$(stat -c %u "$DIR/mail")"; MGID="$(stat -c %g "$DIR/mail")"
exec 9>>"$DIR/users.lock"
flock 9
grep -v "^$USER_NAME:" "$DIR/users" > "$DIR/users.new" 2>/dev/null || true
printf '%s:{PLAIN}%s:%s:%s::%s/mail/%s\n' "$USER_NAME" "$PASS" "$MUID" "$MGID" "$DIR" "$USER_NAME" >> "$DIR/users.new"
chmod 644 "$DIR/users.new"
mv "$DIR/users.new" "$DIR/users"
echo "MAILDIR=$DIR/mail/$USER_NAME/Maildir"
