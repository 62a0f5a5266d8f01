#!/usr/bin/env bash
# Selection:DrainReportedTransfers in the simulator: the feedback policy (reports' customer transfers stop counting once
# their bytes left could have drained) against feedback-counts (a report counts as sent until the next one), 8 volunteers,
# trace and equal sizes, 50% and 100% load, announces of 2-120 s, seeds 1-3, 8,000 requests each (about 30 s on 2 cores).
# Prints a markdown table of geometric means over the seeds; docs/evaluation.md quotes it.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build Gateway.Simulation -c Release -nologo -v q >/dev/null
sim=Gateway.Simulation/bin/Release/net10.0/Gateway.Simulation.dll
rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
for sizes in trace equal; do
  for load in 0.5 1; do
    for announce in 2 30 60 120; do
      for seed in 1 2 3; do
        dotnet "$sim" simulate --volunteers 8 --requests 8000 --sizes "$sizes" --loads "$load" --announce "$announce" --seed "$seed" \
            --out "${TMPDIR:-/tmp}/drain-sweep" --name drain --policies byrequests,feedback,feedback-counts,oracle \
          | awk -v s="$sizes" -v l="$load" -v a="$announce" -v d="$seed" -F'|' \
              '/^\| [0-9]+ % \| (byrequests|feedback|feedback-counts|oracle) \|/ { gsub(/ /, "", $3); print s, l, a, d, $3, $4 + 0, $7 + 0, $8 + 0 }'
      done
    done
  done
done >"$rows"
python3 - "$rows" <<'EOF'
import math, sys
from collections import defaultdict
runs = defaultdict(dict)
for line in open(sys.argv[1]):
    sizes, load, announce, seed, policy, mean, p99, top = line.split()
    runs[(sizes, float(load), int(announce), seed)][policy] = (float(mean), float(p99), float(top))
def geo(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))
print("| sizes | load | announce s | feedback ÷ feedback-counts: mean | p99 | max | feedback p99 ÷ oracle | feedback-counts p99 ÷ oracle |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for cell in sorted({k[:3] for k in runs}):
    seeds = [runs[k] for k in runs if k[:3] == cell]
    ratio = [geo([r["feedback"][i] / r["feedback-counts"][i] for r in seeds]) for i in range(3)]
    oracle = [geo([r[p][1] / r["oracle"][1] for r in seeds]) for p in ("feedback", "feedback-counts")]
    print(f"| {cell[0]} | {cell[1]:.0%} | {cell[2]} | {ratio[0]:.2f} | {ratio[1]:.2f} | {ratio[2]:.2f} | {oracle[0]:.2f} | {oracle[1]:.2f} |")
EOF
