#!/usr/bin/env bash
# compare.sh - announces/s and tracker CPU per announce: Debian's opentracker, then our tracker, one after the other.
#   ./compare.sh [--Tracker:Key=value ...]   (DURATION=15 RUNS=2 WARMUP=30 by default, see run.sh -h; UDP too;
#                                           the settings go to our tracker)
#   PRIORITY=1 ./compare.sh                 on a shared machine: run at nice -20 in its own autogroup (see lib.sh)
# Needs: ./gen.sh once (hashes + opentracker whitelist), a Release build (dotnet build -c Release).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
source "$here/lib.sh"
tb_maybe_prioritize "$@"
[[ -s $TB_HASHES ]] || "$here/gen.sh"
python3 "$here/make-manifest.py" "$TB_HASHES" "$TB_DIR/manifest.json"

log "== opentracker =="
"$here/run.sh"

log "== our tracker (in-memory store) =="
timeout -k 5 1200 dotnet "$repo/Gateway/bin/Release/net10.0/Gateway.dll" tracker \
  --Catalog:Source="$TB_DIR/manifest.json" --Tracker:Urls=http://127.0.0.1:18620 \
  --Tracker:UdpPort=18621 --Tracker:UdpAddress=127.0.0.1 --Tracker:RateLimitPerSecond=0 \
  --Tracker:PeerLifetime=01:00:00 --Tracker:Interval=00:30:00 \
  --Logging:LogLevel:Default=Warning "$@" >"$TB_DIR/ours.log" 2>&1 &
wrapper=$!
trap 'kill "$wrapper" 2>/dev/null || true; wait "$wrapper" 2>/dev/null || true' EXIT
for _ in $(seq 100); do ss -Hltn "sport = :18620" | grep -q . && break; sleep 0.2; done
pid=$(ps -o pid= --ppid "$wrapper" | head -1 | tr -d ' ')
UDP_TARGET=127.0.0.1:18621 "$here/run.sh" http://127.0.0.1:18620/announce "$pid"
