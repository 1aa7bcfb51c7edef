#!/usr/bin/env bash
# Starts a private, loopback-only Dovecot IMAP server for Switchboard's tests and benchmark.
#
#   scripts/dovecot-up.sh PORT DIR      # plain IMAP (+STARTTLS) on 127.0.0.1:PORT, state under DIR
#   scripts/dovecot-down.sh DIR [--wipe]
#
# Installs Debian's dovecot-imapd when it is missing (scripts/apt-install-servers.sh), writes a
# standalone configuration (it never reads /etc/dovecot), a self-signed certificate for
# STARTTLS/IMAPS, and a passwd-file of test users, then starts `dovecot -c DIR/dovecot.conf`
# (the master pid goes to DIR/run/master.pid; dovecot-down.sh stops that pid only).
#
# Env:
#   IMAPS_PORT       also listen for IMAP over TLS on this port (default: none)
#   DOVECOT_USERS    "user:password ..." to create (default: "support:supportpw")
#   OAUTH2_INTROSPECTION_URL  also accept XOAUTH2/OAUTHBEARER logins, checking the token at this
#                    RFC 7662 introspection endpoint (POST token=...; the answer must have
#                    "active": true and "username" equal to the login name), e.g. the mock
#                    scripts/oauth2-introspect-mock.py. Written to DIR/dovecot-oauth2.conf.ext.
#   MAIL_USER        unix user owning the maildirs when run as root (default: sbmail, created
#                    if missing; Dovecot refuses mail access as uid 0). As non-root, your own user.
#
# More users can be added while it runs with scripts/dovecot-user.sh: one passwd-file per user
# (DIR/users.d/USER), because Dovecot looks at a changed passwd-file at most once a second and
# a test adds users faster than that. Prints KEY=VALUE lines for the caller.
set -euo pipefail

PORT="${1:?usage: dovecot-up.sh PORT DIR}"
DIR="${2:?usage: dovecot-up.sh PORT DIR}"
IMAPS_PORT="${IMAPS_PORT:-}"
DOVECOT_USERS="${DOVECOT_USERS:-support:supportpw}"
OAUTH2_INTROSPECTION_URL="${OAUTH2_INTROSPECTION_URL:-}"
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

# 1. install (only what is missing)
if ! command -v dovecot >/dev/null 2>&1 || [ ! -x /usr/lib/dovecot/imap ]; then
  # Without starting or enabling the system's Dovecot: this script runs its own.
  "$(dirname "$0")/apt-install-servers.sh" dovecot-imapd >/dev/null
fi
command -v openssl >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openssl >/dev/null

mkdir -p "$DIR"
DIR="$(cd "$DIR" && pwd)"
CONF="$DIR/dovecot.conf"
RUN="$DIR/run"
PIDFILE="$RUN/master.pid"

# 2. the user that owns the mail
if [ "$(id -u)" = 0 ]; then
  MAIL_USER="${MAIL_USER:-sbmail}"
  if ! id "$MAIL_USER" >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin "$MAIL_USER"
  fi
  OWNER_BLOCK=""
else
  MAIL_USER="$(id -un)"
  # Unprivileged: every Dovecot process runs as us, without chroot.
  OWNER_BLOCK="default_login_user = $MAIL_USER
default_internal_user = $MAIL_USER
default_internal_group = $(id -gn)
service imap-login {
  chroot =
}
service anvil {
  chroot =
}"
fi
MUID="$(id -u "$MAIL_USER")"; MGID="$(id -g "$MAIL_USER")"

mkdir -p "$RUN" "$DIR/state" "$DIR/mail"
chmod 755 "$DIR"
chown "$MUID:$MGID" "$DIR/mail"

# 3. users (passwd-files with plain-text passwords: test data only)
mkdir -p "$DIR/users.d"
chmod 755 "$DIR/users.d"
for up in $DOVECOT_USERS; do
  "$(dirname "$0")/dovecot-user.sh" "$DIR" "${up%%:*}" "${up#*:}" >/dev/null
done

# 4. self-signed certificate for STARTTLS and IMAPS (CN=localhost, SAN localhost and 127.0.0.1)
if [ ! -s "$DIR/cert.pem" ] || [ ! -s "$DIR/key.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$DIR/key.pem" -out "$DIR/cert.pem" >/dev/null 2>&1
  chmod 600 "$DIR/key.pem"
fi
# Dovecot's built-in imap-login also listens on 993 unless told otherwise.
IMAPS_LISTENER="  inet_listener imaps {
    port = 0
  }"
if [ -n "$IMAPS_PORT" ]; then
  IMAPS_LISTENER="  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
    ssl = yes
  }"
fi

# Optional: OAuth 2 bearer tokens (XOAUTH2, OAUTHBEARER) checked by introspection. Only these
# mechanisms reach the oauth2 passdb; PLAIN/LOGIN still use the passwd-files.
AUTH_MECHANISMS="plain login"
OAUTH2_PASSDB=""
PASSWD_MECHS=""
if [ -n "$OAUTH2_INTROSPECTION_URL" ]; then
  AUTH_MECHANISMS="plain login xoauth2 oauthbearer"
  cat > "$DIR/dovecot-oauth2.conf.ext" <<OAUTH
# written by scripts/dovecot-up.sh for tests; do not edit
introspection_mode = post
introspection_url = $OAUTH2_INTROSPECTION_URL
force_introspection = yes
username_attribute = username
username_format = %Ln
active_attribute = active
active_value = true
timeout_msecs = 5000
OAUTH
  PASSWD_MECHS="  mechanisms = plain login"
  OAUTH2_PASSDB="passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $DIR/dovecot-oauth2.conf.ext
}"
fi

# 5. standalone configuration
cat > "$CONF" <<CONF
# written by scripts/dovecot-up.sh for tests; do not edit
instance_name = switchboard-test-$PORT
base_dir = $RUN
state_dir = $DIR/state
listen = 127.0.0.1
protocols = imap
log_path = $DIR/dovecot.log
info_log_path = $DIR/dovecot.log
ssl = yes
ssl_cert = <$DIR/cert.pem
ssl_key = <$DIR/key.pem
disable_plaintext_auth = no
auth_mechanisms = $AUTH_MECHANISMS
# a test server: a failed login answers at once (the client under test does its own backoff)
auth_failure_delay = 0
login_trusted_networks = 127.0.0.0/8
mail_location = maildir:~/Maildir
first_valid_uid = 1
mail_fsync = never
$OWNER_BLOCK
namespace inbox {
  inbox = yes
  separator = /
  mailbox Archive {
    auto = create
  }
  mailbox Trash {
    auto = create
    special_use = \\Trash
  }
}
passdb {
  driver = passwd-file
$PASSWD_MECHS
  args = $DIR/users.d/%Ln
}
$OAUTH2_PASSDB
userdb {
  driver = passwd-file
  args = $DIR/users.d/%Ln
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $PORT
  }
$IMAPS_LISTENER
  process_min_avail = 1
}
service imap {
  process_limit = 256
}
service auth {
  unix_listener auth-userdb {
    mode = 0666
  }
}
mail_max_userip_connections = 200
protocol imap {
  imap_idle_notify_interval = 2 mins
}
CONF

# 6. start (or reload our own instance)
running_pid() {
  [ -s "$PIDFILE" ] || return 1
  local p; p="$(cat "$PIDFILE")"
  local cmdline; cmdline="$(tr '\0' ' ' < "/proc/$p/cmdline" 2>/dev/null || true)"
  [[ "$cmdline" == *"$CONF"* ]] && echo "$p"
}
if pid="$(running_pid)"; then
  kill -HUP "$pid"
else
  rm -f "$PIDFILE"
  # Detached stdio: the daemonized master must not hold the caller's pipes open.
  dovecot -c "$CONF" </dev/null >>"$DIR/dovecot-start.log" 2>&1
  pid=""
  for _ in $(seq 100); do
    pid="$(running_pid || true)"
    [ -n "$pid" ] && (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break
    sleep 0.05
  done
  if [ -z "$pid" ] || ! (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    echo "[dovecot-up] dovecot did not start; its log:" >&2
    tail -20 "$DIR/dovecot.log" >&2 || true
    exit 1
  fi
fi

echo "IMAP_HOST=127.0.0.1"
echo "IMAP_PORT=$PORT"
[ -n "$IMAPS_PORT" ] && echo "IMAPS_PORT=$IMAPS_PORT"
echo "IMAP_CAFILE=$DIR/cert.pem"
echo "DOVECOT_PID=$pid"
echo "DOVECOT_CONF=$CONF"
echo "DOVECOT_USERS_DIR=$DIR/users.d"
echo "MAIL_ROOT=$DIR/mail"
[ -n "$OAUTH2_INTROSPECTION_URL" ] && echo "OAUTH2_CONF=$DIR/dovecot-oauth2.conf.ext"
exit 0
