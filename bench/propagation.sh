#!/usr/bin/env bash
# Release propagation to N volunteers: volunteer agents (BitTorrent, origin as web seed) vs rsync from the origin.
# Installs aria2 and rsync if missing (Debian), then runs bench/propagation/Propagation.cs (a .NET 10 file-based app).
#   bench/propagation.sh                                   # 200 MB release, 8 volunteers, origin 25 MB/s
#   bench/propagation.sh --size-mb 1000 --volunteers 8 --origin-mbps 25
# Results: docs/benchmarks.md, "Release propagation: agents vs rsync".
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
for p in aria2 rsync; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  created_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; created_policy=1; fi
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  [ $created_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
fi
exec dotnet run -c Release bench/propagation/Propagation.cs -- "$@"
