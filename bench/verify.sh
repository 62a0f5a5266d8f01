#!/bin/bash
# Proxy mode, 4 MiB file: throughput and gateway CPU with verification on (Verify:Proxy=true) versus off,
# in one run, on 127.0.0.1 only. Two gateways from the same build, identical but for that switch, in front of
# the same 4 nginx static backends (the anchor bench's backend settings, on their own ports so another
# bench's backends can keep running); wrk alternates between them round by round.
#
#   bench/verify.sh                 ROUNDS=2 DUR=10 C=16 THREADS=2 WARM=3 (about 2 minutes after the build)
#   GW_DLL=/path/Gateway.dll bench/verify.sh     use a gateway you published yourself
#   BASE_PORT=18710                 backends on BASE_PORT+1..4, gateways on BASE_PORT+11 (on) and +12 (off)
#   RATE=12m                        each backend sends each download at most this fast (nginx limit_rate, bytes/s):
#                                   volunteers whose uplink, not the gateway's CPU, is the bottleneck. Default: unlimited,
#                                   which on loopback makes the run CPU-bound (then verification costs what SHA-256 costs).
# Needs root (nginx switches its workers to www-data), nginx, wrk, curl, dotnet.
set -u
export PATH=$PATH:/usr/sbin:/sbin
HERE=$(cd "$(dirname "$0")" && pwd); REPO=$(cd "$HERE/.." && pwd)
ROUNDS=${ROUNDS:-2}; DUR=${DUR:-10}; C=${C:-16}; THREADS=${THREADS:-2}; WARM=${WARM:-3}; BASE_PORT=${BASE_PORT:-18710}; RATE=${RATE:-}
P=${BENCH_WORK:-$(mktemp -d /tmp/gw-verify.XXXX)}; P=$(realpath -m "$P"); R=$P/run; mkdir -p $R $P/results; chmod a+x $P
ON=$((BASE_PORT + 11)); OFF=$((BASE_PORT + 12))
for b in nginx wrk curl dotnet; do command -v $b >/dev/null || { echo "$b not found (bench/run.sh tools installs nginx wrk curl)"; exit 1; }; done
echo "work folder: $P"

setup() {
  local b
  for b in 1 2 3 4; do mkdir -p $P/www/b$b; done
  [ -f $P/www/b1/4m.bin ] || { head -c 4096 /dev/urandom > $P/www/b1/4k.bin; head -c 4194304 /dev/urandom > $P/www/b1/4m.bin
    for b in 2 3 4; do cp $P/www/b1/*.bin $P/www/b$b/; done; }
  chmod -R a+rX $P/www
  { echo "user www-data; worker_processes 2; pid $R/nginx.pid; error_log $R/nginx.err warn;"
    echo "events { worker_connections 4096; }"
    echo "http { access_log off; sendfile on; tcp_nopush on; tcp_nodelay on; keepalive_requests 1000000; keepalive_timeout 65;"
    [ -n "$RATE" ] && echo "  limit_rate $RATE;"
    echo "  default_type application/octet-stream; client_body_temp_path $R/b; proxy_temp_path $R/p; fastcgi_temp_path $R/f; uwsgi_temp_path $R/u; scgi_temp_path $R/s;"
    for b in 1 2 3 4; do echo "  server { listen 127.0.0.1:$((BASE_PORT + b)); root $P/www/b$b; }"; done
    echo "}"; } > $P/nginx.conf
}

build() {
  if [ -n "${GW_DLL:-}" ]; then return 0; fi
  echo "dotnet publish -c Release -o $P/gw ($REPO/Gateway/Gateway.csproj)"
  dotnet publish "$REPO/Gateway/Gateway.csproj" -c Release -o $P/gw --nologo > $R/publish.log 2>&1 || { tail -20 $R/publish.log; return 1; }
  GW_DLL=$P/gw/Gateway.dll
}

start_gw() {   # name port verify
  local name=$1 port=$2 verify=$3 pid i code args
  args=(serve --urls http://127.0.0.1:$port --Gateway:Mode=Proxy --Verify:Proxy=$verify --Catalog:Source=$P/manifest.json
        --Origin:Url=http://127.0.0.1:$((BASE_PORT + 1)) --Gateway:SmallFileThreshold=0 --Health:Path=/4k.bin --Logging:LogLevel:Default=Warning)
  for i in 1 2 3 4; do args+=(--Volunteers:$((i-1)):Id=b$i --Volunteers:$((i-1)):Url=http://127.0.0.1:$((BASE_PORT + i)) --Volunteers:$((i-1)):Inventory=all); done
  DOTNET_gcServer=1 DOTNET_TieredPGO=1 nohup dotnet "$GW_DLL" "${args[@]}" > $R/$name.log 2>&1 < /dev/null &
  pid=$!; echo $pid > $R/$name.pid; echo "DOTNET_gcServer=1 DOTNET_TieredPGO=1 dotnet $GW_DLL ${args[*]}" > $R/$name.cmd
  for i in $(seq 300); do
    [ -d /proc/$pid ] || { echo "$name exited:"; tail -20 $R/$name.log; return 1; }
    code=$(curl -s -o $R/$name.body -m 5 -w '%{http_code}' http://127.0.0.1:$port/4m.bin)
    [ "$code" = 200 ] && cmp -s $R/$name.body $P/www/b1/4m.bin && { echo "$name ready (pid $pid, Verify:Proxy=$verify)"; return 0; }
    sleep 0.2
  done
  echo "$name not ready (last code $code)"; tail -20 $R/$name.log; return 1
}

stop() {   # only what this script started, by the PIDs it wrote
  local f p
  for f in gw-on gw-off; do [ -s $R/$f.pid ] && p=$(cat $R/$f.pid) && [ -d /proc/$p ] && kill -TERM $p && echo "stopped $f ($p)"; rm -f $R/$f.pid; done
  # Waits for nginx's master to exit: it deletes nginx.pid on its way out, which would otherwise remove the pid file
  # of the nginx a following run (same work folder) has just started, leaving that one running.
  [ -s $R/nginx.pid ] && p=$(cat $R/nginx.pid) && nginx -c $P/nginx.conf -p $R/ -s quit 2>/dev/null && echo "stopped nginx ($p)" \
    && for i in $(seq 100); do [ -d /proc/$p ] || break; sleep 0.1; done
}

ticks() { local p=$1; awk '{sub(/.*\) /,""); print $12+$13}' /proc/$p/stat 2>/dev/null || echo 0; }

measure() {
  local S=$P/results/verify-$(date +%Y%m%d-%H%M%S).tsv HZ round name port pid t0 t1 line
  HZ=$(getconf CLK_TCK)
  { echo "# $(date -Is) $(nproc) cores; dotnet $(dotnet --version); git $(git -C $REPO describe --always --dirty 2>/dev/null); wrk -t$THREADS -c$C -d${DUR}s /4m.bin x $ROUNDS rounds; backend rate ${RATE:-unlimited}; $(uptime)"
    printf "round\tverify\trps\tMBps\tp50_ms\tp99_ms\terrors\tgw_cpu%%\tgw_cpu_ms/req\n"; } > $S
  for port in $ON $OFF; do timeout $((WARM + 15)) wrk -t$THREADS -c$C -d${WARM}s http://127.0.0.1:$port/4m.bin > /dev/null 2>&1; done
  for round in $(seq $ROUNDS); do
    for name in on off; do
      [ $name = on ] && port=$ON || port=$OFF
      pid=$(cat $R/gw-$name.pid); sleep 2; t0=$(ticks $pid)
      timeout $((DUR + 30)) wrk -t$THREADS -c$C -d${DUR}s --timeout 10s --latency -s $HERE/anchor/report.lua http://127.0.0.1:$port/4m.bin > $R/wrk-$round-$name.txt 2>&1
      t1=$(ticks $pid); line=$(grep '^RESULT' $R/wrk-$round-$name.txt) || { echo "wrk failed: $R/wrk-$round-$name.txt"; continue; }
      eval "$(echo "$line" | sed 's/^RESULT //')"
      awk -v r=$round -v n=$name -v rps=$rps -v mb=$mbps -v p50=$p50_ms -v p99=$p99_ms -v e=$((err_connect+err_read+err_write+err_status+err_timeout)) \
          -v t=$((t1 - t0)) -v hz=$HZ -v s=$secs 'BEGIN{ printf "%s\t%s\t%.1f\t%.0f\t%.1f\t%.1f\t%d\t%.0f\t%.2f\n", r, n, rps, mb, p50, p99, e, 100*t/hz/s, 1000*t/hz/(rps*s) }' >> $S
      tail -1 $S
    done
  done
  echo "results: $S"; grep -v '^#' $S | column -t -s $'\t'
  awk -F'\t' '!/^#/ && $1!="round" { mb[$2]+=$4; cpu[$2]+=$9; n[$2]++ }
    END { printf "means: on %.0f MB/s %.2f cpu-ms/req; off %.0f MB/s %.2f cpu-ms/req; throughput on/off = %.2f, cpu per request on/off = %.2f\n",
      mb["on"]/n["on"], cpu["on"]/n["on"], mb["off"]/n["off"], cpu["off"]/n["off"], (mb["on"]/n["on"])/(mb["off"]/n["off"]), (cpu["on"]/n["on"])/(cpu["off"]/n["off"]) }' $S
}

trap 'echo interrupted; stop; exit 130' INT TERM
setup
nginx -t -q -c $P/nginx.conf -p $R/ -e $R/nginx.err && nginx -c $P/nginx.conf -p $R/ -e $R/nginx.err || exit 1
rc=0
{ build && dotnet "$GW_DLL" publish $P/www/b1 --out $P/manifest.json > $R/manifest.log 2>&1 \
  && start_gw gw-on $ON true && start_gw gw-off $OFF false && measure; } || rc=1
stop; exit $rc
