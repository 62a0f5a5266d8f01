#!/bin/bash
# Catalog at distribution scale (issue 17; docs/benchmarks.md, "Catalog at scale"): a manifest of N files (2.2 M by
# default, the size of a Debian mirror; generated without the files), a gateway started on it, and:
#   ready_s     start until /readyz answers 200 (wall clock, polled every 50 ms)
#   rss_mb      resident memory when ready (VmRSS), and after 2 s settled
#   reload_peak_mb / reload_s   VmHWM after the manifest is replaced with one where CHANGE% of the files changed,
#               and how long until the gateway logs the new version (the high-water mark is reset first)
#
#   bench/catalog-scale.sh [BIN_DIR]          # BIN_DIR: a built Gateway (default Gateway/bin/Release/net10.0)
#   N=100000 bench/catalog-scale.sh           # a small sanity run
#   INDEX=off bench/catalog-scale.sh          # JSON only: delete the binary index so the gateway streams the JSON
#   EXTRA="--Volunteers:0:Id=v1 --Volunteers:0:Url=http://127.0.0.1:9/ --Volunteers:0:Inventory=all" bench/catalog-scale.sh
#                                             # as issue 17 measured: one volunteer holding everything (holdings per content id)
#
# Knobs: N (2200000), CHANGE (1, percent), WORK (/tmp/catalog-scale), PORT (18710), GC (server|workstation), INDEX (on|off).
# It starts one gateway process and stops it by PID; the generated manifests stay in WORK for the next run.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=${1:-$HERE/../Gateway/bin/Release/net10.0}
N=${N:-2200000}; CHANGE=${CHANGE:-1}; WORK=${WORK:-/tmp/catalog-scale}; PORT=${PORT:-18710}; GC=${GC:-server}; INDEX=${INDEX:-on}
mkdir -p "$WORK/repo"
M=$WORK/manifest-$N.json; C=$WORK/manifest-$N-changed.json
[ -s "$M" ] || python3 "$HERE/catalog-scale/generate.py" "$M" "$N"
[ -s "$C" ] || python3 "$HERE/catalog-scale/generate.py" "$C" "$N" --change "$CHANGE"
cp "$M" "$WORK/repo/manifest.json"; rm -f "$WORK/repo/manifest.index"
if [ "$INDEX" = on ]; then
  "$BIN/Gateway" index "$WORK/repo/manifest.json" >/dev/null || { echo "index failed"; exit 1; }
fi
export DOTNET_gcServer=$([ "$GC" = server ] && echo 1 || echo 0)
LOG=$WORK/gateway.log
start=$(date +%s.%N)
"$BIN/Gateway" serve --urls "http://127.0.0.1:$PORT" --Catalog:Source="$WORK/repo/manifest.json" \
  --Catalog:ReloadInterval=00:00:01 --Origin:Url=http://127.0.0.1:9/ ${EXTRA:-} >"$LOG" 2>&1 &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null' EXIT
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/readyz")" = 200 ]; do
  kill -0 $PID 2>/dev/null || { echo "gateway exited:"; tail -20 "$LOG"; exit 1; }
  sleep 0.05
done
ready=$(echo "$(date +%s.%N) - $start" | bc)
rss() { awk '/^'"$1"':/ {printf "%d", $2/1024}' /proc/$PID/status; }
rss_ready=$(rss VmRSS); sleep 2; rss_settled=$(rss VmRSS)
path=$(grep -o '"path": "[^"]*"' "$M" | sed -n 1000p | cut -d'"' -f4)
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PORT/$path")
echo 5 > /proc/$PID/clear_refs 2>/dev/null   # resets VmHWM to the current RSS
before=$(grep -c 'Catalog loaded' "$LOG")
cp "$C" "$WORK/repo/manifest.json.tmp"; rm -f "$WORK/repo/manifest.index"
[ "$INDEX" = on ] && "$BIN/Gateway" index "$WORK/repo/manifest.json.tmp" --out "$WORK/repo/manifest.index.tmp" >/dev/null && mv "$WORK/repo/manifest.index.tmp" "$WORK/repo/manifest.index"
t0=$(date +%s.%N); mv "$WORK/repo/manifest.json.tmp" "$WORK/repo/manifest.json"
until [ "$(grep -c 'Catalog loaded' "$LOG")" -gt "$before" ]; do sleep 0.05; done
reload=$(echo "$(date +%s.%N) - $t0" | bc)
peak=$(rss VmHWM); after=$(rss VmRSS)
commit=$(git -C "$HERE/.." rev-parse --short HEAD)
printf 'commit=%s n=%s gc=%s index=%s extra=[%s] ready_s=%.2f rss_ready_mb=%s rss_settled_mb=%s redirect_status=%s reload_s=%.2f reload_peak_mb=%s rss_after_reload_mb=%s\n' \
  "$commit" "$N" "$GC" "$INDEX" "${EXTRA:-}" "$ready" "$rss_ready" "$rss_settled" "$code" "$reload" "$peak" "$after"
