#!/usr/bin/env bash
# The whole test suite: installs what the tests need (idempotent), builds with warnings as errors, runs every test.
# Tests start and stop their own servers (Kestrel volunteers, redis-server, and later aria2c, httpd) on loopback.
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages the tests drive as real clients and servers.
packages=(curl wget dpkg-dev aria2 mktorrent prometheus docker-compose python3-yaml systemd apache2 chromium redis-server redis-tools iproute2 python3 python3-libtorrent transmission-daemon)
missing=()
for p in "${packages[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]}"
  # Keep Debian from starting any service it installs: the tests start what they need themselves.
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; created_policy=1; fi
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  if [ $created_policy = 1 ]; then rm -f /usr/sbin/policy-rc.d; fi
fi

dotnet build Gateway.sln -c Release -warnaserror -nologo -v q
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
dotnet test Gateway.sln -c Release --no-build -nologo "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One plain closing line: "N passed, N failed, N skipped".
awk '/(Passed|Failed)!/ { for (i = 1; i <= NF; i++) { gsub(",", "", $(i+1)); if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { printf "%d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit $status
