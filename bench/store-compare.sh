#!/bin/bash
# The Redis store against the in-memory one, side by side in ONE run, on 127.0.0.1 only (docs/benchmarks.md, "Redis store"):
#
#  1. tracker: announces/s and tracker CPU µs/announce of Debian's opentracker, our `tracker` with the in-memory
#     store, and our `tracker` with Store:Kind=Redis, one after the other with bench/tracker/run.sh (the anchor's
#     method: /work/shared/reference/tracker-bench/README.md; HTTP with wrk, UDP with udp_load.py). For the Redis
#     tracker it also reports redis-server's own CPU per script call (batched: one call per flush per ~64 swarms,
#     plus the refresh reads).
#  2. gateway: redirect CPU µs/request with Store:Kind=Memory (gw-redirect) and Store:Kind=Redis
#     (gw-redirect-redis) in one run of bench/run.sh. They should match: a customer request reads the in-memory
#     view and never touches Redis (docs/redis.md).
#
#   bench/store-compare.sh                        # both parts; knobs as for run.sh (ROUNDS=2 DUR=15) and
#                                                 #   bench/tracker/run.sh (DURATION=15 RUNS=2 WARMUP=30)
#   PART=tracker bench/store-compare.sh           # only the trackers (PART=gateway: only the gateways)
#   ROUNDS=1 DUR=3 WARM=1 DURATION=5 RUNS=1 WARMUP=5 bench/store-compare.sh   # a short sanity run
#
# It starts its own redis-server (port REDIS_PORT, default 18701, empty, no persistence), flushed between the
# parts, and stops everything it started by PID.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
# PRIORITY=1: run at nice -20 in its own autogroup on a shared machine (bench/tracker/lib.sh, tb_maybe_prioritize).
if [[ ${PRIORITY:-0} == 1 ]]; then source "$HERE/tracker/lib.sh"; tb_maybe_prioritize "$@"; fi
export BENCH_WORK=${BENCH_WORK:-$(mktemp -d /tmp/gw-store-bench.XXXX)}
R=$BENCH_WORK/run; mkdir -p "$R" "$BENCH_WORK/redis"
REDIS_PORT=${REDIS_PORT:-18701}
PART=${PART:-all}
TRK_HTTP=${TRK_HTTP:-18620}; TRK_UDP=${TRK_UDP:-18621}   # our tracker's ports (opentracker's: HTTP_PORT/UDP_PORT, see tracker/run.sh -h)
export ONLY="gw-redirect gw-redirect-redis"
export EXTRA_TARGETS="gw-redirect-redis|http://127.0.0.1:18603|$R/gw-redirect-redis.pid|small|redirect"

stop_ours() {
  local f p
  for f in tracker gw-redirect-redis redis; do
    [ -s "$R/$f.pid" ] || continue; p=$(cat "$R/$f.pid")
    [ -d /proc/$p ] && kill -TERM "$p" && echo "stopped $f ($p)"
    rm -f "$R/$f.pid"
  done
  [ "$PART" = tracker ] || "$HERE/run.sh" stop
}
trap stop_ours EXIT

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$BENCH_WORK/redis" --daemonize no \
  > "$R/redis.log" 2>&1 < /dev/null &
echo $! > "$R/redis.pid"
for i in $(seq 100); do [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] && break; sleep 0.1; done
[ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] || { echo "redis-server did not start"; cat "$R/redis.log"; exit 1; }

# ---------------------------------------------------------------- 1. trackers
# tracker_run NAME [settings...]: our tracker on 127.0.0.1:$TRK_HTTP (HTTP) / $TRK_UDP (UDP), measured by tracker/run.sh.
tracker_run() {
  local name=$1; shift
  timeout -k 5 1200 dotnet "$REPO/Gateway/bin/Release/net10.0/Gateway.dll" tracker \
    --Catalog:Source="$TB_DIR/manifest.json" --Tracker:Urls=http://127.0.0.1:$TRK_HTTP \
    --Tracker:UdpPort=$TRK_UDP --Tracker:UdpAddress=127.0.0.1 --Tracker:RateLimitPerSecond=0 \
    --Tracker:PeerLifetime=01:00:00 --Tracker:Interval=00:30:00 \
    --Logging:LogLevel:Default=Warning "$@" > "$R/tracker-$name.log" 2>&1 < /dev/null &
  echo $! > "$R/tracker.pid"
  for _ in $(seq 150); do ss -Hltn "sport = :$TRK_HTTP" | grep -q . && break; sleep 0.2; done
  local pid; pid=$(ps -o pid= --ppid "$(cat "$R/tracker.pid")" | head -1 | tr -d ' ')
  echo "== our tracker, $name store: $*" | tee "$R/tracker-$name.txt"
  UDP_TARGET=127.0.0.1:$TRK_UDP "$HERE/tracker/run.sh" http://127.0.0.1:$TRK_HTTP/announce "$pid" | tee -a "$R/tracker-$name.txt"
  kill -TERM "$(cat "$R/tracker.pid")"; wait "$(cat "$R/tracker.pid")" 2>/dev/null; rm -f "$R/tracker.pid"
  for _ in $(seq 50); do ss -Hltn "sport = :$TRK_HTTP" | grep -q . || break; sleep 0.2; done
}

tracker_part() {
  REPO=$(cd "$HERE/.." && pwd)
  ( cd "$REPO" && dotnet build Gateway/Gateway.csproj -c Release -nologo -v q > "$R/tracker-build.log" 2>&1 ) \
    || { tail -20 "$R/tracker-build.log"; echo "build failed"; return 1; }
  # shellcheck source=tracker/lib.sh
  source "$HERE/tracker/lib.sh"
  [[ -s $TB_HASHES ]] || "$HERE/tracker/gen.sh"
  python3 "$HERE/tracker/make-manifest.py" "$TB_HASHES" "$TB_DIR/manifest.json"
  echo "== opentracker" | tee "$R/tracker-opentracker.txt"
  "$HERE/tracker/run.sh" | tee -a "$R/tracker-opentracker.txt"
  tracker_run memory
  local rpid; rpid=$(cat "$R/redis.pid")
  redis-cli -p "$REDIS_PORT" config resetstat > /dev/null
  local r0; r0=$(awk '{print $14 + $15}' "/proc/$rpid/stat")
  tracker_run redis --Store:Kind=Redis --Store:Redis=127.0.0.1:$REDIS_PORT --Store:KeyPrefix=trk
  local r1; r1=$(awk '{print $14 + $15}' "/proc/$rpid/stat")
  local calls; calls=$(redis-cli -p "$REDIS_PORT" info commandstats | awk -F'[:=,]' '/^cmdstat_evalsha|^cmdstat_eval:/ {n += $3} END {print n + 0}')
  {
    echo "redis-server during the Redis tracker's run (warm-up, HTTP and UDP): $(( (r1 - r0) / CLK_TCK )) s CPU, $calls script calls,"
    echo "  $(awk -v t=$((r1 - r0)) -v c="$calls" -v k="$CLK_TCK" 'BEGIN { if (c > 0) printf "%.2f", t * 1e6 / k / c; else print "n/a" }') µs redis-server CPU per call; keys now: $(redis-cli -p "$REDIS_PORT" dbsize)"
  } | tee -a "$R/tracker-redis.txt"
  redis-cli -p "$REDIS_PORT" flushall > /dev/null
  echo; echo "== summary (HTTP and UDP rows: run, announces/s, p50, p99, tracker µs/announce, ...)"
  for n in opentracker memory redis; do echo "-- $n"; grep -E '^[0-9]+ ' "$R/tracker-$n.txt"; done
  grep '^redis-server\|µs redis-server' "$R/tracker-redis.txt"
  uptime
}

[ "$PART" = gateway ] || tracker_part || exit 1
[ "$PART" = tracker ] && exit 0

# ---------------------------------------------------------------- 2. gateways
"$HERE/run.sh" start || exit 1

# The same serve command line as run.sh's gw-redirect (see its gw-redirect.cmd), plus the Redis store.
GW_ARGS=(--Catalog:Source=$BENCH_WORK/gw-manifest.json --Origin:Url=http://127.0.0.1:18101
         --Gateway:SmallFileThreshold=0 --Health:Path=/4k.bin --Logging:LogLevel:Default=Warning
         --Store:Kind=Redis --Store:Redis=127.0.0.1:$REDIS_PORT --Store:KeyPrefix=bench)
for i in 1 2 3 4; do
  GW_ARGS+=(--Volunteers:$((i-1)):Id=b$i --Volunteers:$((i-1)):Url=http://127.0.0.1:1810$i --Volunteers:$((i-1)):Inventory=all)
done
DOTNET_gcServer=${GW_GCSERVER:-1} DOTNET_TieredPGO=${GW_TIEREDPGO:-1} DOTNET_CLI_TELEMETRY_OPTOUT=1 \
  nohup dotnet "$BENCH_WORK/gw/Gateway.dll" serve --urls http://127.0.0.1:18603 --Gateway:Mode=Redirect "${GW_ARGS[@]}" \
  > "$R/gw-redirect-redis.log" 2>&1 < /dev/null &
echo $! > "$R/gw-redirect-redis.pid"
echo "gw-redirect-redis: dotnet $BENCH_WORK/gw/Gateway.dll serve --urls http://127.0.0.1:18603 --Gateway:Mode=Redirect ${GW_ARGS[*]}" \
  | tee "$R/gw-redirect-redis.cmd"
for i in $(seq 300); do
  [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' http://127.0.0.1:18603/4k.bin)" = 302 ] && break; sleep 0.2
done
curl -s http://127.0.0.1:18603/readyz

"$HERE/run.sh" check && "$HERE/run.sh" measure
uptime
