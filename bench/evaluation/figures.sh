#!/usr/bin/env bash
# Every simulated figure, table and verdict of docs/evaluation.md, from 5 seeds each (312 s on the shared
# 2-core machine, nice'd; most of it the 10,000-volunteer runs). Writes:
#   docs/evaluation/figures/results.md        the tables: median [range] over seeds, goals with verdicts
#   docs/evaluation/figures/*.png             Figs. 16-18 (mean vs load, log-log CCDF, network use per volunteer)
#   docs/evaluation/figures/*-seeds.csv       every run's numbers (seed, load, policy) behind each interval
#   bench/results/2026-12-07-evaluation/*.csv.gz   per-request raw records, a file per scenario, seed and load
# A run is a pure function of its arguments: the same commit gives the same files, on any machine load.
set -euo pipefail
cd "$(dirname "$0")/../.."
out="$PWD/docs/evaluation/figures"
raw="$PWD/bench/results/2026-12-07-evaluation"
mkdir -p "$out" "$raw"
dotnet build Gateway.Simulation -c Release -nologo -v q >/dev/null
dll="$PWD/Gateway.Simulation/bin/Release/net10.0/Gateway.Simulation.dll"
seeds=1,2,3,4,5
small=byrequests,bybusyness,yarp-p2c,feedback,oracle
# bybusyness equals byrequests in redirect mode (it never sees a transfer end), so the scale runs leave it out.
large=byrequests,yarp-p2c,feedback,oracle
sim() { nice -n 10 dotnet "$dll" simulate --out "$out" --seeds "$seeds" "$@"; }
start=$SECONDS
{
  echo "# Simulated figures: $(git log -1 --format='%h %cs') ($(git status --porcelain -- Gateway.Simulation | wc -l) uncommitted files in Gateway.Simulation)"
  echo
  # The paper's Section 4.2 setting: 8 volunteers, half syncing, equal sizes; Figs. 16-18.
  sim --name paper-equal --volunteers 8 --requests 4000 --sizes equal --loads 0.2,0.5,1 --policies $small --raw
  # The same with the package sizes of the paper's Section 2 trace.
  sim --name paper-trace --volunteers 8 --requests 20000 --sizes trace --loads 0.2,0.5,1 --policies $small --raw
  # Scale: partial mirrors (60,000 files, Zipf 1, each volunteer 1-5 %, no full mirrors), flash crowd, churn.
  sim --name scale-1000 --volunteers 1000 --requests 50000 --sizes trace --loads 1 --flash --volatile --holdings partial --policies $large --raw
  sim --name scale-10000 --volunteers 10000 --requests 100000 --sizes trace --loads 1 --flash --volatile --holdings partial --policies $large --raw
  # The model the old page used (every online volunteer holds every file), for comparison.
  sim --name scale-1000-full --volunteers 1000 --requests 50000 --sizes trace --loads 1 --flash --volatile --policies $large
  echo "figures.sh: $((SECONDS - start)) s wall clock"
} 2>&1 | tee "$out/results.md"
mv "$out"/*-requests-*.csv.gz "$raw"/
# Fig. 17 of the real run as it is: run W (one run, 300 s of arrivals, trace sizes, 100 % load), from its committed
# records, on the same log-log axes.
nice -n 10 dotnet "$dll" ccdf --records docs/evaluation/real-window300-w-requests-trace-redirect-100.csv.gz \
    --out "$out/real-w-ccdf-100.png" --title "real run W (one run): response times at 100 % load, trace sizes, 300 s"
