#!/usr/bin/env bash
# The simulated half of docs/evaluation.md: every table and PNG there comes from this script.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=docs/evaluation
mkdir -p "$out"
dotnet build Gateway.Simulation -c Release -nologo -v q >/dev/null
sim() { dotnet run --project Gateway.Simulation -c Release --no-build -- simulate --out "$out" "$@"; }
{
  sim --name paper-equal --volunteers 8 --requests 4000 --sizes equal
  sim --name paper-equal-proxy --volunteers 8 --requests 4000 --sizes equal --mode proxy
  sim --name paper-trace --volunteers 8 --requests 20000 --sizes trace
  sim --name staleness --volunteers 8 --requests 4000 --sizes equal --loads 1 --policies feedback,oracle --announce-sweep 5,15,30,60,120,300
  sim --name staleness-50 --volunteers 8 --requests 4000 --sizes equal --loads 0.5 --policies feedback --announce-sweep 5,15,30,60,120,300
  sim --name v1000 --volunteers 1000 --requests 50000 --sizes trace --loads 1 --flash --volatile
  sim --name v10000 --volunteers 10000 --requests 100000 --sizes trace --loads 1 --flash --volatile
} 2>&1 | tee "$out/results.md"
