#!/usr/bin/env bash
# The real-process half of docs/evaluation.md: 8 volunteer agents (Gateway volunteer + aria2c) in their own network
# namespaces behind tc-shaped links, half of them synchronizing, the gateway with its hosted tracker, open-loop customers.
# Needs root (ip netns, tc), iproute2 and aria2. Full run about 16 minutes on 2 shared cores; --quick about 7.
#   bench/evaluation/real.sh            # full: writes docs/evaluation/real-results.md and docs/evaluation/real-*.png
#   bench/evaluation/real.sh --quick    # 100% load only, 6 s per run, to /tmp/real-quick
#   bench/evaluation/real.sh --long     # the goal cells with 60 s windows (p99 and network use over ~1,750 requests):
#                                       # trace and equal sizes, redirect mode, 100% load, byrequests/feedback/byte-counter;
#                                       # about 10 minutes; writes docs/evaluation/real-long-results.md, real-long-*.png
#                                       # and the per-request records real-long-requests-*.csv
# Any other arguments are passed on (see: dotnet Gateway.Simulation/bin/Release/net10.0/Gateway.Simulation.dll real --help).
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build Gateway.Simulation -c Release -nologo -v q >/dev/null
bin=Gateway.Simulation/bin/Release/net10.0
if [[ "${1:-}" == "--quick" ]]; then
  out=/tmp/real-quick
  mkdir -p "$out"
  { echo "machine: $(nproc) cores, $(uptime)"; dotnet "$bin/Gateway.Simulation.dll" real --out "$out" --name real-quick "$@"; } 2>&1 | tee "$out/results.md"
elif [[ "${1:-}" == "--long" ]]; then
  shift
  out="$PWD/docs/evaluation"
  mkdir -p "$out"
  { echo "machine: $(nproc) cores, $(uptime)"; dotnet "$bin/Gateway.Simulation.dll" real --out "$out" --name real-long \
      --loads 1 --window 60 --cells trace-redirect,equal-redirect --policies byrequests,feedback,byte-counter "$@"; echo "after: $(uptime)"; } 2>&1 | tee "$out/real-long-results.md"
else
  out="$PWD/docs/evaluation"
  mkdir -p "$out"
  { echo "machine: $(nproc) cores, $(uptime)"; dotnet "$bin/Gateway.Simulation.dll" real --out "$out" --name real "$@"; echo "after: $(uptime)"; } 2>&1 | tee "$out/real-results.md"
fi
