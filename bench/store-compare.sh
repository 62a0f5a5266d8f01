#!/bin/bash
# Gateway redirect CPU µs/request with Store:Kind=Memory (gw-redirect) and Store:Kind=Redis (gw-redirect-redis),
# side by side in ONE run of bench/run.sh, on 127.0.0.1 only. They should match: a customer request reads the
# in-memory view and never touches Redis (docs/redis.md).
#
#   bench/store-compare.sh                        # ROUNDS/DUR/WARM/C_SMALL as for run.sh (default ROUNDS=2 DUR=15)
#   ROUNDS=1 DUR=3 WARM=1 bench/store-compare.sh  # a short sanity run
#
# It starts run.sh's backends and its Memory gateway (`run.sh start`), then its own redis-server (port
# REDIS_PORT, default 18701, empty, no persistence) and a second gateway on 127.0.0.1:18603 with the same
# settings plus the Redis store, measures both (`run.sh measure`), and stops everything it started by PID.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
export BENCH_WORK=${BENCH_WORK:-$(mktemp -d /tmp/gw-store-bench.XXXX)}
R=$BENCH_WORK/run; mkdir -p "$R" "$BENCH_WORK/redis"
REDIS_PORT=${REDIS_PORT:-18701}
export ONLY="gw-redirect gw-redirect-redis"
export EXTRA_TARGETS="gw-redirect-redis|http://127.0.0.1:18603|$R/gw-redirect-redis.pid|small|redirect"

stop_ours() {
  local f p
  for f in gw-redirect-redis redis; do
    [ -s "$R/$f.pid" ] || continue; p=$(cat "$R/$f.pid")
    [ -d /proc/$p ] && kill -TERM "$p" && echo "stopped $f ($p)"
    rm -f "$R/$f.pid"
  done
  "$HERE/run.sh" stop
}
trap stop_ours EXIT

"$HERE/run.sh" start || exit 1

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$BENCH_WORK/redis" --daemonize no \
  > "$R/redis.log" 2>&1 < /dev/null &
echo $! > "$R/redis.pid"
for i in $(seq 100); do [ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] && break; sleep 0.1; done
[ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ] || { echo "redis-server did not start"; cat "$R/redis.log"; exit 1; }

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
