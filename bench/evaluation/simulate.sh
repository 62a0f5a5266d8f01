#!/usr/bin/env bash
# The simulated half of docs/evaluation-history.md (single runs, seed 1): docs/evaluation/results.md and its PNGs (about 6 minutes on 2 cores).
# docs/evaluation.md (repeated runs with intervals) comes from bench/evaluation/figures.sh instead.
# feedback-d8 is the feedback policy with the default it had before the flash-crowd runs (Selection:Candidates = 8).
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$PWD/docs/evaluation"
mkdir -p "$out"
dotnet build Gateway.Simulation -c Release -nologo -v q >/dev/null
sim() { dotnet run --project Gateway.Simulation -c Release --no-build -- simulate --out "$out" "$@"; }
all=byrequests,bybusyness,yarp-p2c,feedback,oracle,feedback-d2,feedback-d4
{
  sim --name paper-equal --volunteers 8 --requests 4000 --sizes equal --policies $all
  sim --name paper-equal-proxy --volunteers 8 --requests 4000 --sizes equal --mode proxy --policies $all
  sim --name paper-trace --volunteers 8 --requests 20000 --sizes trace --policies $all
  sim --name staleness --volunteers 8 --requests 4000 --sizes equal --loads 1 --policies feedback,oracle --announce-sweep 5,15,30,60,120,300
  sim --name staleness-50 --volunteers 8 --requests 4000 --sizes equal --loads 0.5 --policies feedback,feedback-d2 --announce-sweep 5,15,30,60,120,300
  sim --name v1000-steady --volunteers 1000 --requests 50000 --sizes trace --loads 1 --policies byrequests,bybusyness,yarp-p2c,feedback,oracle,feedback-d4,feedback-d8
  sim --name v1000-steady-proxy --volunteers 1000 --requests 50000 --sizes trace --loads 1 --mode proxy --policies byrequests,bybusyness,yarp-p2c,feedback,oracle,feedback-d4
  sim --name staleness-v1000 --volunteers 1000 --requests 50000 --sizes trace --loads 1 --policies feedback,feedback-d4,feedback-d8 --announce-sweep 1,5,30,120
  sim --name v1000 --volunteers 1000 --requests 50000 --sizes trace --loads 1 --flash --volatile --policies $all,feedback-d8
  sim --name v10000 --volunteers 10000 --requests 100000 --sizes trace --loads 1 --flash --volatile --policies byrequests,bybusyness,yarp-p2c,feedback,oracle,feedback-d4,feedback-d8
} 2>&1 | tee "$out/results.md"
