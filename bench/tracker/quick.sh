#!/usr/bin/env bash
# quick.sh - a 5 s HTTP probe of our tracker (for tuning; compare.sh is the benchmark).
#   ./quick.sh [--Tracker:Key=value ...]    CONN_MODE= ./quick.sh  keeps connections alive
#   PROTO=udp ./quick.sh                     the same over UDP (udp_load.py, 64 in flight)
#   PERF=1 ./quick.sh                        also records a CPU profile of the measured 5 s ($TB_DIR/perf.data)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd); repo=$(cd "$here/../.." && pwd)
source "$here/lib.sh"
DOTNET_PerfMapEnabled=${PERF:-0} DOTNET_EnableWriteXorExecute=$(( 1 - ${PERF:-0} )) timeout -k 5 120 dotnet "$repo/Gateway/bin/Release/net10.0/Gateway.dll" tracker \
  --Catalog:Source="$TB_DIR/manifest.json" --Tracker:Urls=http://127.0.0.1:18620 --Tracker:UdpPort=18621 \
  --Tracker:UdpAddress=127.0.0.1 --Tracker:RateLimitPerSecond=0 --Logging:LogLevel:Default=Warning "$@" >"$TB_DIR/quick.log" 2>&1 &
wrapper=$!
trap 'kill "$wrapper" 2>/dev/null || true; wait "$wrapper" 2>/dev/null || true' EXIT
for _ in $(seq 100); do ss -Hltn "sport = :18620" | grep -q . && break; sleep 0.2; done
pid=$(ps -o pid= --ppid "$wrapper" | head -1 | tr -d ' ')
perfpid=
perf_start() { if [[ ${PERF:-0} == 1 ]]; then perf record -e cpu-clock -F 999 -g -p "$pid" -o "$TB_DIR/perf.data" -- sleep 5 >/dev/null 2>&1 & perfpid=$!; fi; }
perf_wait() { if [[ -n $perfpid ]]; then wait "$perfpid" || true; fi; }
if [[ ${PROTO:-http} == udp ]]; then
  timeout 30 python3 "$here/udp_load.py" --target 127.0.0.1:18621 --hashes "$TB_HASHES" --duration 3 >/dev/null
  perf_start
  timeout 30 python3 "$here/udp_load.py" --target 127.0.0.1:18621 --hashes "$TB_HASHES" --duration 5 --pid "$pid" | grep '^RESULT'
  perf_wait
  exit 0
fi
timeout 30 wrk -t2 -c64 -d3s -s "$here/announce.lua" http://127.0.0.1:18620/announce -- "$TB_HASHES" "${CONN_MODE-close}" >/dev/null
perf_start
t0=$(proc_cpu_ticks "$pid")
out=$(timeout 30 wrk -t2 -c64 -d5s -s "$here/announce.lua" http://127.0.0.1:18620/announce -- "$TB_HASHES" "${CONN_MODE-close}" | grep '^RESULT')
t1=$(proc_cpu_ticks "$pid")
perf_wait
n=$(echo "$out" | sed -E 's/.*requests=([0-9]+).*/\1/')
echo "$out" | cut -d' ' -f2-4
echo "tracker us/announce: $(( (t1 - t0) * 1000000 / CLK_TCK / n ))"
