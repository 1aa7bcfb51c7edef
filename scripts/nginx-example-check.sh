#!/usr/bin/env bash
# Checks docs/nginx-example.conf with `nginx -t` in a temporary prefix: the example's http-block
# content wrapped in a minimal main config, its certificate paths pointed at a throwaway
# self-signed pair. Starts no nginx and touches nothing outside the temporary directory.
#
#   scripts/nginx-example-check.sh [CONF]      exit 0: nginx accepts it; 1: it does not; 2: no nginx/openssl
set -euo pipefail
conf=$(realpath "${1:-$(dirname "$0")/../docs/nginx-example.conf}")
nginx=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$nginx" ] || { echo "nginx is not installed (apt-get install nginx)" >&2; exit 2; }
command -v openssl >/dev/null || { echo "openssl is not installed" >&2; exit 2; }

work=$(mktemp -d /tmp/sb-nginx-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/logs"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=support.example.com \
    -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
sed -e "s|/etc/letsencrypt/live/[^/]*/fullchain.pem|$work/cert.pem|" \
    -e "s|/etc/letsencrypt/live/[^/]*/privkey.pem|$work/key.pem|" "$conf" >"$work/example.conf"
cat >"$work/nginx.conf" <<CONF
pid $work/nginx.pid;
error_log $work/logs/error.log;
events {}
http {
    access_log off;
    client_body_temp_path $work/body;
    proxy_temp_path $work/proxy;
    include $work/example.conf;
}
CONF
"$nginx" -t -q -p "$work/" -c "$work/nginx.conf" && echo "nginx $("$nginx" -v 2>&1 | sed 's|.*/||') accepts $conf"
