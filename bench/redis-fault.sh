#!/usr/bin/env bash
# Redis loses its memory under load, with a weak origin that counts what it serves (issue 24's scenario):
# one gateway in redirect mode on Store:Kind=Redis, two volunteers holding one 100 KB file (Inventory: all), the origin
# and the volunteers single-threaded python3 http.servers, wrk -c16 for DUR seconds; Redis is killed (SIGKILL) at
# KILL_AT s and restarted WITHOUT persistence (empty) at RESTART_AT s. Reports wrk's totals, the non-3xx answers and
# the requests the origin logged (its log has one line per request), before, during and after the fault.
#   bench/redis-fault.sh                       # DUR=40 KILL_AT=10 RESTART_AT=25, writes bench/results/<date>-redis-fault/
#   GW_DLL=/path/Gateway.dll bench/redis-fault.sh   # a prebuilt gateway (default: dotnet publish -c Release)
# Loopback only; everything it starts is stopped by PID at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${DUR:-40}; KILL_AT=${KILL_AT:-10}; RESTART_AT=${RESTART_AT:-25}
work=$(mktemp -d /tmp/gw-redis-fault.XXXX)
out=${OUT:-bench/results/$(date -u +%Y-%m-%d)-redis-fault}
mkdir -p "$out" "$work/origin/pool" "$work/v1/pool" "$work/v2/pool"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

head -c 100000 /dev/urandom > "$work/origin/pool/file.deb"
cp "$work/origin/pool/file.deb" "$work/v1/pool/"; cp "$work/origin/pool/file.deb" "$work/v2/pool/"
if [ -z "${GW_DLL:-}" ]; then dotnet publish Gateway -c Release -o "$work/gw" -nologo -v q >/dev/null; GW_DLL=$work/gw/Gateway.dll; fi
dotnet "$GW_DLL" publish "$work/origin" --torrents off >/dev/null

o=$(port); a=$(port); b=$(port); r=$(port); g=$(port)
(cd "$work/origin" && exec python3 -m http.server "$o" --bind 127.0.0.1 2> "$work/origin.log" >/dev/null) & pids+=($!)
(cd "$work/v1" && exec python3 -m http.server "$a" --bind 127.0.0.1 2>/dev/null >/dev/null) & pids+=($!)
(cd "$work/v2" && exec python3 -m http.server "$b" --bind 127.0.0.1 2>/dev/null >/dev/null) & pids+=($!)
redis-server --port "$r" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" >/dev/null & redis=$!
dotnet "$GW_DLL" serve --urls "http://127.0.0.1:$g" --Catalog:Source="$work/origin/manifest.json" --Origin:Url="http://127.0.0.1:$o/" \
  --Store:Kind=Redis --Store:Redis="127.0.0.1:$r" --Gateway:Mode=Redirect --Gateway:SmallFileThreshold=0 \
  --Volunteers:0:Id=v1 --Volunteers:0:Url="http://127.0.0.1:$a/" --Volunteers:0:Inventory=all \
  --Volunteers:1:Id=v2 --Volunteers:1:Url="http://127.0.0.1:$b/" --Volunteers:1:Inventory=all \
  --Health:ActiveEnabled=false --Logging:LogLevel:Default=Warning > "$work/gateway.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$g/readyz" >/dev/null && break; sleep 0.2; done
curl -s -o /dev/null -w "first request: %{http_code} -> %{redirect_url}\n" "http://127.0.0.1:$g/pool/file.deb"
before=$(wc -l < "$work/origin.log")

wrk -t2 -c16 -d"${DUR}s" --latency "http://127.0.0.1:$g/pool/file.deb" > "$work/wrk.txt" &
wrkpid=$!
sleep "$KILL_AT"; at_kill=$(wc -l < "$work/origin.log"); kill -9 "$redis"; echo "t=${KILL_AT}s: redis killed"
sleep $((RESTART_AT - KILL_AT)); at_restart=$(wc -l < "$work/origin.log")
redis-server --port "$r" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" >/dev/null & redis=$!
echo "t=${RESTART_AT}s: redis restarted empty"
wait "$wrkpid"; after=$(wc -l < "$work/origin.log")
kill "$redis" 2>/dev/null || true

{
  echo "# bench/redis-fault.sh at $(git rev-parse --short HEAD), $(date -u +%FT%TZ), $(nproc) cores; DUR=$DUR KILL_AT=$KILL_AT RESTART_AT=$RESTART_AT"
  cat "$work/wrk.txt"
  echo "origin requests: before the load $before, before the kill $at_kill, before the restart $at_restart, at the end $after"
  echo "origin requests during the load: $((after - before)) (of which after the kill: $((after - at_kill)), after the restart: $((after - at_restart)))"
  echo "gateway log (warnings and errors):"; cat "$work/gateway.log"
} | tee "$out/result.txt"
