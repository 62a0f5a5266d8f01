#!/bin/bash
# Gateway vs anchors, side by side in ONE run, on 127.0.0.1 only.
#   Anchors (method and configs copied from the reference anchor bench, see bench/anchor/):
#     direct (nginx static backend), Apache mod_proxy_balancer (byrequests/bybusyness),
#     nginx least_conn, HAProxy roundrobin/leastconn, nginx static 302 (redirect302).
#   Ours: gw-redirect (Gateway Mode=Redirect, 127.0.0.1:18601, test "small" only, 302 = success)
#         gw-proxy    (Gateway Mode=Proxy,    127.0.0.1:18602, tests small and big)
#   .NET floors (sources in bench/floors/, built here): kestrel-302 (a bare Kestrel app whose one handler answers 302,
#         127.0.0.1:18701) and yarp-floor (a bare YARP MapReverseProxy over the same 4 backends with PowerOfTwoChoices,
#         127.0.0.1:18702): the ratios gw-redirect / kestrel-302 and gw-proxy / yarp-floor are the gateway's own cost.
#
#   bench/run.sh                 -> tools + setup + start + check + measure + ratios + stop  ("all")
#   bench/run.sh build|setup|start|check|measure|stop    (as separate calls: export BENCH_WORK=/some/dir first)
#   bench/run.sh ratios <summary.tsv>                     (recompute the ratio table of an earlier run)
#
# Env knobs (same as the anchor script): ROUNDS=2 DUR=15 C_SMALL=64 C_BIG=16 THREADS=2 WARM=3
#   ONLY="nginx-lc haproxy-lc redirect302 gw-redirect gw-proxy"   (subset of target names)
#   quick mode: ROUNDS=1 DUR=8 bench/run.sh
#   long mode:  LONG=1 bench/run.sh   (ROUNDS=3 DUR=60 unless set: the ratios' drift column is last round / first round
#               of fe_us/req, so a front end that gets slower while it runs shows above 1)
#   EXTRA_TARGETS="name|http://127.0.0.1:PORT|pidfile-or-pid[|tests[|proxy|redirect]]"   (anchor-script compatible)
# Gateway knobs:
#   GW_DLL=/path/Gateway.dll  use a prebuilt gateway (default: dotnet publish -c Release into $BENCH_WORK/gw)
#   GW_GCSERVER=1 GW_TIEREDPGO=1  -> exported as DOTNET_gcServer / DOTNET_TieredPGO for the gateway processes only
#   GW_EXTRA_ARGS="--Foo:Bar=1"   extra configuration appended to both `serve` command lines
#   GW_BASE_DLL=/path/Gateway.dll  also run that build as gw-redirect-base (18603) and gw-proxy-base (18604) in the
#                                  same run, same configuration: an A/B of two commits (e.g. before/after a refactor)
set -u
export PATH=$PATH:/usr/sbin:/sbin
[ "${1:-}" = ratios ] && [ -f "${2:-}" ] && set -- ratios "$(realpath "$2")"
HERE=$(cd "$(dirname "$0")" && pwd); ANCHOR=$HERE/anchor; REPO=$(cd "$HERE/.." && pwd)
if [ "${1:-all}" = ratios ]; then P=${BENCH_WORK:-/nonexistent}; R=$P/run   # no work folder needed
else
  P=${BENCH_WORK:-$(mktemp -d /tmp/gw-bench.XXXX)}; P=$(realpath -m "$P"); R=$P/run; mkdir -p $P/conf $R
  chmod a+x $P   # mktemp -d makes 0700; the nginx workers (www-data) must traverse it to read $P/www
  for f in "$ANCHOR"/conf/*; do sed "s#@WORK@#$P#g" "$f" > $P/conf/$(basename "$f"); done
  cp "$ANCHOR/report.lua" $P/; cd $P; echo "work folder: $P"
fi
if [ "${LONG:-0}" = 1 ]; then ROUNDS=${ROUNDS:-3}; DUR=${DUR:-60}; fi
ROUNDS=${ROUNDS:-2}; DUR=${DUR:-15}; C_SMALL=${C_SMALL:-64}; C_BIG=${C_BIG:-16}; THREADS=${THREADS:-2}; WARM=${WARM:-3}
GW_GCSERVER=${GW_GCSERVER:-1}; GW_TIEREDPGO=${GW_TIEREDPGO:-1}; GW_EXTRA_ARGS=${GW_EXTRA_ARGS:-}

# name|base_url|pidfile_of_front_end|tests|kind   (kind: proxy = answers 200 with the body; redirect = answers 302)
TARGETS=(
  "direct|http://127.0.0.1:18101|-|small,big|proxy"
  "apache-byreq|http://127.0.0.1:18201|$R/apache.pid|small,big|proxy"
  "apache-bybusy|http://127.0.0.1:18202|$R/apache.pid|small,big|proxy"
  "nginx-lc|http://127.0.0.1:18301|$R/nginx-lb.pid|small,big|proxy"
  "haproxy-rr|http://127.0.0.1:18401|$R/haproxy.pid|small,big|proxy"
  "haproxy-lc|http://127.0.0.1:18402|$R/haproxy.pid|small,big|proxy"
  "redirect302|http://127.0.0.1:18501|$R/nginx-redirect.pid|small|redirect"
  "gw-redirect|http://127.0.0.1:18601|$R/gw-redirect.pid|small|redirect"
  "gw-proxy|http://127.0.0.1:18602|$R/gw-proxy.pid|small,big|proxy"
  "kestrel-302|http://127.0.0.1:18701|$R/kestrel-302.pid|small|redirect"
  "yarp-floor|http://127.0.0.1:18702|$R/yarp-floor.pid|small,big|proxy"
)
if [ -n "${GW_BASE_DLL:-}" ]; then
  TARGETS+=("gw-redirect-base|http://127.0.0.1:18603|$R/gw-redirect-base.pid|small|redirect"
            "gw-proxy-base|http://127.0.0.1:18604|$R/gw-proxy-base.pid|small,big|proxy")
fi
for x in ${EXTRA_TARGETS:-}; do
  case $(awk -F'|' '{print NF}' <<<"$x") in 3) x="$x|small,big|proxy";; 4) x="$x|proxy";; esac; TARGETS+=("$x"); done
if [ -n "${ONLY:-}" ]; then F=(); for t in "${TARGETS[@]}"; do [[ " $ONLY " == *" ${t%%|*} "* ]] && F+=("$t"); done; TARGETS=("${F[@]}"); fi
[ ${#TARGETS[@]} -gt 0 ] || { echo "no targets (ONLY='${ONLY:-}')"; exit 2; }
want_gw() { local t; for t in "${TARGETS[@]}"; do [[ ${t%%|*} == gw-* ]] && return 0; done; return 1; }
want() { local t; for t in "${TARGETS[@]}"; do [[ ${t%%|*} == "$1" ]] && return 0; done; return 1; }

tools() {   # install missing tools with apt; a policy-rc.d (exit 101) keeps Debian from auto-starting the services
  local need=() b created=0 rc=0
  for b in apache2 nginx haproxy wrk curl; do command -v $b >/dev/null || need+=($b); done
  [ ${#need[@]} -eq 0 ] && return 0
  echo "installing: ${need[*]}"
  [ "$(id -u)" = 0 ] || { echo "not root: apt-get install -y ${need[*]} yourself"; return 1; }
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; created=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y "${need[@]}" \
    || { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update \
         && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y "${need[@]}"; } || rc=1
  [ $created = 1 ] && rm -f /usr/sbin/policy-rc.d
  return $rc
}

setup() {
  mkdir -p $R/apache $P/results
  for b in 1 2 3 4; do mkdir -p $P/www/b$b; done
  [ -f $P/www/b1/4m.bin ] || {
    head -c 4096    /dev/urandom > $P/www/b1/4k.bin
    head -c 262144  /dev/urandom > $P/www/b1/256k.bin
    head -c 4194304 /dev/urandom > $P/www/b1/4m.bin
    for b in 2 3 4; do cp $P/www/b1/*.bin $P/www/b$b/; done; }
  chmod -R a+rX $P/www
}

# ---------------------------------------------------------------- our gateway
build() {   # -> $GW_DLL ; publish is incremental, so re-running it measures the current source
  if [ -n "${GW_DLL:-}" ]; then [ -f "$GW_DLL" ] || { echo "GW_DLL=$GW_DLL not found"; return 1; }; return 0; fi
  command -v dotnet >/dev/null || { echo "dotnet not found"; return 1; }
  echo "dotnet publish -c Release -o $P/gw ($REPO/Gateway/Gateway.csproj)"
  dotnet publish "$REPO/Gateway/Gateway.csproj" -c Release -o $P/gw --nologo > $R/gw-publish.log 2>&1 \
    || { tail -20 $R/gw-publish.log; echo "gateway publish failed (log: $R/gw-publish.log)"; return 1; }
  GW_DLL=$P/gw/Gateway.dll
}

gw_serve_args() {   # common `serve` configuration; the 4 nginx backends are the 4 volunteers, each holding every file
  GW_ARGS=(--Catalog:Source=$P/gw-manifest.json --Origin:Url=http://127.0.0.1:18101
           --Gateway:SmallFileThreshold=0 --Health:Path=/4k.bin --Logging:LogLevel:Default=Warning)
  local i; for i in 1 2 3 4; do
    GW_ARGS+=(--Volunteers:$((i-1)):Id=b$i --Volunteers:$((i-1)):Url=http://127.0.0.1:1810$i --Volunteers:$((i-1)):Inventory=all)
  done
}

start_gw() {   # name port mode -> $R/name.pid (PID of the dotnet process itself), log in $R/name.log
  local name=$1 port=$2 mode=$3 pid want i code
  DOTNET_gcServer=$GW_GCSERVER DOTNET_TieredPGO=$GW_TIEREDPGO DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    nohup dotnet "$GW_DLL" serve --urls http://127.0.0.1:$port --Gateway:Mode=$mode "${GW_ARGS[@]}" $GW_EXTRA_ARGS \
    > $R/$name.log 2>&1 < /dev/null &
  pid=$!; echo $pid > $R/$name.pid
  echo "$name: DOTNET_gcServer=$GW_GCSERVER DOTNET_TieredPGO=$GW_TIEREDPGO dotnet $GW_DLL serve --urls http://127.0.0.1:$port --Gateway:Mode=$mode ${GW_ARGS[*]} $GW_EXTRA_ARGS" \
    | tee $R/$name.cmd
  [ $mode = Redirect ] && want=302 || want=200
  for i in $(seq 300); do   # /healthz = 200, then the data path answers as expected (volunteers probed healthy): <= 60 s
    [ -d /proc/$pid ] || { echo "$name (pid $pid) exited; log:"; tail -20 $R/$name.log; return 1; }
    code=$(curl -s -o /dev/null -m 2 -w '%{http_code}' http://127.0.0.1:$port/healthz)
    [ "$code" = 200 ] && code=$(curl -s -o /dev/null -m 5 -w '%{http_code}' http://127.0.0.1:$port/4k.bin) \
      && [ "$code" = $want ] && { echo "$name ready (pid $pid)"; return 0; }
    sleep 0.2
  done
  echo "$name not ready after 60 s (last code $code); log:"; tail -20 $R/$name.log; return 1
}

start_gateways() {
  build || return 1
  echo "manifest: dotnet $GW_DLL publish $P/www/b1 --out $P/gw-manifest.json"
  dotnet "$GW_DLL" publish $P/www/b1 --out $P/gw-manifest.json > $R/gw-manifest.log 2>&1 && [ -s $P/gw-manifest.json ] \
    || { cat $R/gw-manifest.log; echo "manifest failed"; return 1; }
  gw_serve_args
  start_gw gw-redirect 18601 Redirect || return 1
  start_gw gw-proxy    18602 Proxy    || return 1
  if [ -n "${GW_BASE_DLL:-}" ]; then
    [ -f "$GW_BASE_DLL" ] || { echo "GW_BASE_DLL=$GW_BASE_DLL not found"; return 1; }
    local own=$GW_DLL; GW_DLL=$GW_BASE_DLL
    start_gw gw-redirect-base 18603 Redirect && start_gw gw-proxy-base 18604 Proxy; local rc=$?
    GW_DLL=$own; return $rc
  fi
}

# ---------------------------------------------------------------- .NET floors
start_floor() {   # name project port -> $R/name.pid; the same runtime knobs as the gateway
  local name=$1 project=$2 port=$3 pid i
  echo "dotnet publish -c Release -o $P/floors/$project ($HERE/floors/$project)"
  dotnet publish "$HERE/floors/$project/$project.csproj" -c Release -o $P/floors/$project --nologo > $R/$name-publish.log 2>&1 \
    || { tail -20 $R/$name-publish.log; echo "$name publish failed"; return 1; }
  DOTNET_gcServer=$GW_GCSERVER DOTNET_TieredPGO=$GW_TIEREDPGO nohup dotnet $P/floors/$project/$project.dll --urls http://127.0.0.1:$port \
    --Backends=http://127.0.0.1:18101,http://127.0.0.1:18102,http://127.0.0.1:18103,http://127.0.0.1:18104 > $R/$name.log 2>&1 < /dev/null &
  pid=$!; echo $pid > $R/$name.pid
  echo "$name: DOTNET_gcServer=$GW_GCSERVER DOTNET_TieredPGO=$GW_TIEREDPGO dotnet $P/floors/$project/$project.dll --urls http://127.0.0.1:$port --Backends=(the 4 backends)" | tee $R/$name.cmd
  for i in $(seq 150); do
    [ -d /proc/$pid ] || { echo "$name exited; log:"; tail -20 $R/$name.log; return 1; }
    curl -s -o /dev/null -m 2 http://127.0.0.1:$port/4k.bin && { echo "$name ready (pid $pid)"; return 0; }
    sleep 0.2
  done
  echo "$name not ready after 30 s"; return 1
}

# ---------------------------------------------------------------- anchors + lifecycle
start() {
  tools || return 1
  setup
  for n in backend lb redirect; do
    nginx -t -q -c $P/conf/nginx-$n.conf -p $R/ -e $R/nginx-$n.err || return 1
    nginx -c $P/conf/nginx-$n.conf -p $R/ -e $R/nginx-$n.err || return 1
  done
  { haproxy -c -q -f $P/conf/haproxy.cfg && haproxy -f $P/conf/haproxy.cfg; } || return 1
  { apache2 -t -f $P/conf/apache.conf && apache2 -f $P/conf/apache.conf -k start; } || return 1
  sleep 1
  for f in nginx-backend nginx-lb nginx-redirect haproxy apache; do echo "$f pid $(cat $R/$f.pid)"; done
  if want_gw; then start_gateways || return 1; fi
  if want kestrel-302; then start_floor kestrel-302 Kestrel302 18701 || return 1; fi
  if want yarp-floor; then start_floor yarp-floor YarpFloor 18702 || return 1; fi
}

alive() { [ -d /proc/$1 ] && ! grep -q '^State:[[:space:]]*Z' /proc/$1/status 2>/dev/null; }   # zombie = gone
stop() {   # by PID from our own pidfiles only, and only if that PID's command line mentions our work folder
  local f p i
  for f in gw-proxy gw-redirect gw-proxy-base gw-redirect-base kestrel-302 yarp-floor apache haproxy nginx-redirect nginx-lb nginx-backend; do
    if [ -s $R/$f.pid ]; then p=$(cat $R/$f.pid)
      if [ -d /proc/$p ] && tr '\0' ' ' < /proc/$p/cmdline | grep -qF "$P/"; then
        kill -TERM "$p" 2>/dev/null && echo "stopped $f ($p)"
        for i in $(seq 75); do alive $p || break; sleep 0.2; done
        alive $p && { kill -KILL "$p" 2>/dev/null; echo "killed $f ($p) after 15 s"; }
      elif [ -d /proc/$p ]; then echo "not stopping pid $p from $f.pid: not ours (command line lacks $P)"; fi
    fi
    rm -f $R/$f.pid
  done
}

check() {
  local fail=0 t name url pf tests kind f out size
  for t in "${TARGETS[@]}"; do IFS='|' read -r name url pf tests kind <<<"$t"
    for f in 4k.bin 4m.bin; do size=$(stat -c %s $P/www/b1/$f)
      out=$(curl -s -m 10 -o /dev/null -w '%{http_code} %{size_download} %{redirect_url}' $url/$f)
      echo "$name /$f -> $out"
      if [ "$kind" = redirect ]; then
        case "$out" in 302*) ;; *) fail=1;; esac
        out=$(curl -s -m 10 -L -o /dev/null -w '%{http_code} %{size_download}' $url/$f)   # the redirect must lead to the file
        [ "$out" = "200 $size" ] || { echo "  following the redirect gave: $out"; fail=1; }
      else
        [ "$out" = "200 $size " ] || fail=1
        curl -s -m 10 $url/$f | cmp -s - $P/www/b1/$f || { echo "  body of /$f differs from the file"; fail=1; }
      fi
    done
  done
  [ $fail = 0 ] && echo "check: all targets OK" || echo "check: FAILED (measure skipped; fix, or run 'measure' by hand)"
  return $fail
}

ticks() {  # utime+stime (clock ticks) of a pid and its children (threads included); 0 if none
  local p=$1 s=0 c
  [ -n "$p" ] && [ -d /proc/$p ] || { echo 0; return; }
  for c in $p $(ps -o pid= --ppid $p); do
    s=$((s + $(awk '{sub(/.*\) /,""); print $12+$13}' /proc/$c/stat 2>/dev/null || echo 0)))
  done; echo $s
}
busy() { awk '/^cpu /{print $2+$3+$4+$7+$8, $2+$3+$4+$5+$6+$7+$8+$9}' /proc/stat; }
pidof_pf() { case "$1" in -) echo "";; [0-9]*) echo "$1";; *) cat "$1" 2>/dev/null;; esac; }

measure() {
  tools || return 1
  local ts D; ts=$(date +%Y%m%d-%H%M%S); D=$P/results/$ts; mkdir -p $D/raw
  local S=$D/summary.tsv HZ NCPU BEPID t name url pf tests kind test c path round
  HZ=$(getconf CLK_TCK); NCPU=$(grep -c '^cpu[0-9]' /proc/stat); BEPID=$(cat $R/nginx-backend.pid)
  { echo "# $(date -Is) $(nproc) cores; $(apache2 -v | head -1); $(nginx -v 2>&1); $(haproxy -v | head -1); $(wrk -v 2>&1 | head -1)"
    want_gw && echo "# gateway: dotnet $(dotnet --version 2>/dev/null); git $(git -C $REPO describe --always --dirty 2>/dev/null || echo '(no commit)'); DOTNET_gcServer=$GW_GCSERVER DOTNET_TieredPGO=$GW_TIEREDPGO; command lines in gw-*.cmd next to this file"
    echo "# wrk -t$THREADS, small=/4k.bin c$C_SMALL, big=/4m.bin c$C_BIG, ${DUR}s x $ROUNDS rounds; cpu% = % of ONE core averaged over the run; fe_us/req = front-end CPU microseconds per request"
    printf "round\ttarget\ttest\trps\tMBps\tp50_ms\tp99_ms\terrors\tfe_cpu%%\tfe_us/req\tbe_cpu%%\tmachine_busy%%\n"; } > $S
  cp $R/*.cmd $D/ 2>/dev/null
  for t in "${TARGETS[@]}"; do IFS='|' read -r name url pf tests kind <<<"$t"   # warm-up (JIT for the gateway)
    timeout -k 5 $((WARM+15)) wrk -t$THREADS -c$C_SMALL -d${WARM}s $url/4k.bin >/dev/null 2>&1; done
  for round in $(seq 1 $ROUNDS); do
    for t in "${TARGETS[@]}"; do IFS='|' read -r name url pf tests kind <<<"$t"
      local FEPID; FEPID=$(pidof_pf "$pf")
      for test in ${tests//,/ }; do
        if [ $test = small ]; then c=$C_SMALL; path=/4k.bin; else c=$C_BIG; path=/4m.bin; fi
        sleep 2
        local f0 b0 m0; f0=$(ticks "$FEPID"); b0=$(ticks $BEPID); m0=$(busy)
        timeout -k 5 $((DUR+30)) wrk -t$THREADS -c$c -d${DUR}s --timeout 10s --latency -s $P/report.lua $url$path \
          > $D/raw/r$round-$name-$test.txt 2>&1
        local f1 b1 m1; f1=$(ticks "$FEPID"); b1=$(ticks $BEPID); m1=$(busy)
        local line; line=$(grep '^RESULT' $D/raw/r$round-$name-$test.txt)
        [ -n "$line" ] && eval "$(echo "$line" | sed 's/^RESULT //')" 2>/dev/null \
          || { echo "wrk failed: $name $test (see $D/raw/r$round-$name-$test.txt)"; continue; }
        local err=$((err_connect+err_read+err_write+err_status+err_timeout))
        [ "$kind" = redirect ] && err=$((err_connect+err_read+err_write+err_timeout))  # 302 counted as success by wrk anyway
        awk -v r=$round -v n=$name -v t=$test -v rps=$rps -v mb=$mbps -v p50=$p50_ms -v p99=$p99_ms -v e=$err \
            -v fe=$((f1-f0)) -v be=$((b1-b0)) -v m0="$m0" -v m1="$m1" -v s=$secs -v hz=$HZ -v fep="$FEPID" -v ncpu=$NCPU 'BEGIN{
          split(m0,a," "); split(m1,b," "); busy=100*(b[1]-a[1])/(b[2]-a[2])*ncpu;
          printf "%s\t%s\t%s\t%.0f\t%.0f\t%.2f\t%.2f\t%d\t%s\t%s\t%.0f\t%.0f\n", r,n,t,rps,mb,p50,p99,e,
            (fep==""?"-":sprintf("%.0f",100*fe/hz/s)), (fep==""?"-":sprintf("%.1f",1e6*fe/hz/(rps*s))), 100*be/hz/s, busy }' >> $S
        tail -1 $S
      done
    done
  done
  echo "results: $S"; grep -v "^#" $S | column -t -s $'\t'
  ratios $S
}

ratios() {  # summary.tsv -> ratios.tsv next to it: means over rounds, relative to the anchors
  local S=$1 O; O=$(dirname "$1")/ratios.tsv
  local redirs="" t; for t in "${TARGETS[@]}"; do [[ $t == *"|redirect" ]] && redirs+=" ${t%%|*}"; done
  awk -F'\t' -v redirs="redirect302 gw-redirect $redirs" '
    /^#/ || $1=="round" || NF<12 {next}
    { k=$2 SUBSEP $3; if(!(k in n)) ord[++no]=k; n[k]++; rps[k]+=$4; mb[k]+=$5; p99[k]+=$7; err[k]+=$8
      if($10!="-"){fe[k]+=$10; fen[k]++
        if(!(k in r0) || $1<r0[k]){r0[k]=$1; fe0[k]=$10}; if(!(k in r1) || $1>r1[k]){r1[k]=$1; fe1[k]=$10}} }
    function drift(k){return (k in r0 && r1[k]>r0[k] && fe0[k]>0)? sprintf("%.2f", fe1[k]/fe0[k]) : "-"}
    function m(a,k){return a[k]/n[k]}
    function fem(k){return (k in fen)? fe[k]/fen[k] : -1}
    function cell(k,ref,  x){ # rps ratio, fe ratio
      if(!((ref SUBSEP tst) in n)) return "-\t-"
      x=sprintf("%.2f", m(rps,k)/m(rps,ref SUBSEP tst))
      if(fem(k)<0 || fem(ref SUBSEP tst)<=0) return x "\t-"
      return x "\t" sprintf("%.2f", fem(k)/fem(ref SUBSEP tst)) }
    BEGIN{ nr=split(redirs,rl," "); for(i=1;i<=nr;i++) isr[rl[i]]=1 }
    END{
      print "# means over rounds; x_rps = rps / anchor rps (higher is better); x_fe = fe_us/req / anchor fe_us/req (lower is better, 1.00 = par)"
      print "# anchors: redirect targets vs redirect302 (nginx static 302); proxy targets vs nginx-lc and haproxy-lc; goal on small: redirect <= 10 us/req, proxy <= 20 us/req"
      print "# floors: redirect targets vs kestrel-302 (bare Kestrel 302), proxy targets vs yarp-floor (bare YARP, PowerOfTwoChoices); drift = fe_us/req of the last round / the first"
      printf "target\ttest\trounds\trps\tMBps\tp99_ms\terrors\tfe_us/req\tgoal\tx_rps:ngx302\tx_fe:ngx302\tx_rps:ngx-lc\tx_fe:ngx-lc\tx_rps:hap-lc\tx_fe:hap-lc\tx_rps:floor\tx_fe:floor\tdrift\n"
      for(i=1;i<=no;i++){ k=ord[i]; split(k,kk,SUBSEP); nm=kk[1]; tst=kk[2]; f=fem(k)
        goal="-"; lim=(nm in isr)?10:20
        if(tst=="small" && f>=0) goal=sprintf("<=%d:%s", lim, (f<=lim)?"ok":"MISS")
        if(nm in isr) c1=cell(k,"redirect302") "\t-\t-\t-\t-"; else c1="-\t-\t" cell(k,"nginx-lc") "\t" cell(k,"haproxy-lc")
        c2=cell(k, (nm in isr)? "kestrel-302" : "yarp-floor")
        printf "%s\t%s\t%d\t%.0f\t%.0f\t%.2f\t%d\t%s\t%s\t%s\t%s\t%s\n", nm, tst, n[k], m(rps,k), m(mb,k), m(p99,k), err[k],
          (f<0?"-":sprintf("%.1f",f)), goal, c1, c2, drift(k) } }' "$S" > "$O"
  echo "ratios: $O"; grep -v '^#' "$O" | column -t -s $'\t'
}

case "${1:-all}" in
  tools) tools;; build) build;; setup) setup;; start) start;; stop) stop;; check) check;; measure) measure;;
  ratios) [ -f "${2:-}" ] || { echo "usage: $0 ratios <summary.tsv>"; exit 2; }; ratios "$2";;
  all) trap 'echo interrupted; stop; exit 130' INT TERM
       rc=0; { start && check && measure; } || rc=1; stop; exit $rc;;
  *) echo "usage: $0 [all|tools|build|setup|start|check|measure|stop|ratios <summary.tsv>]"; exit 2;;
esac
