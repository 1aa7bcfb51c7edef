#!/usr/bin/env bash
# Installs Debian packages that bring a system service (Dovecot, nginx) for the tests and the
# benchmark, which start these servers as their own processes on loopback ports, without starting
# or enabling the system's service:
#
#   scripts/apt-install-servers.sh dovecot-imapd nginx
#
# Only the packages missing are installed (nothing to do when all are there). While apt runs, a
# policy-rc.d refusing service starts is put in place when the machine has none (Debian's
# maintainer scripts honour it: "invoke-rc.d: policy-rc.d denied execution of start"); afterwards,
# where systemd runs, the units of every package apt added are disabled, so that nothing listens
# on ports 80 or 143 after a reboot either. A machine that had a package keeps its service as it was.
set -euo pipefail
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"

missing=()
for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -gt 0 ] || exit 0
echo "installing Debian packages, their services neither started nor enabled: ${missing[*]}" >&2

policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  policy=/usr/sbin/policy-rc.d
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
fi
packages() { dpkg-query -W -f='${binary:Package}\n' | sort; }
before=$(packages)
status=0
$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" || status=$?
[ -z "$policy" ] || $SUDO rm -f "$policy"
if [ $status -ne 0 ]; then
  echo "apt-get could not install ${missing[*]} (exit $status): see apt's message above" >&2
  exit $status
fi
if [ -d /run/systemd/system ]; then
  units=$(comm -13 <(echo "$before") <(packages) | while read -r p; do
            dpkg -L "$p" | grep -E '^/(usr/)?lib/systemd/system/[^/@]+\.(service|socket)$' || true
          done | xargs -r -n1 basename)
  if [ -n "$units" ]; then
    # shellcheck disable=SC2086
    $SUDO systemctl disable --now --quiet $units || echo "could not disable $units: stop them by hand if they run" >&2
  fi
fi
