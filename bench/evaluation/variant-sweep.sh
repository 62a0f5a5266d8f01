#!/usr/bin/env bash
# One feedback-policy change in the simulator: the policy as it is (feedback) against a variant with the change off
# (VARIANT: feedback-counts = Selection:DrainReportedTransfers off, feedback-no-tiebreak = Selection:TieBreakOnBytesLeft off),
# 8 volunteers, trace and equal sizes, 50% and 100% load, announces of 2-120 s, seeds 1-3, 8,000 requests each
# (about 30 s on 2 cores). Prints a markdown table of geometric means over the seeds; docs/evaluation.md quotes it.
# Usage: bench/evaluation/variant-sweep.sh VARIANT
set -euo pipefail
variant=${1:?usage: variant-sweep.sh VARIANT (feedback-counts or feedback-no-tiebreak)}
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
            --out "${TMPDIR:-/tmp}/variant-sweep" --name sweep --policies "byrequests,feedback,$variant,oracle" \
          | awk -v s="$sizes" -v l="$load" -v a="$announce" -v d="$seed" -F'|' \
              '/^\| [0-9]+ % \| [a-z0-9-]+ \|/ { gsub(/ /, "", $3); print s, l, a, d, $3, $4 + 0, $7 + 0, $8 + 0, $9 }'
      done
    done
  done
done >"$rows"
python3 - "$rows" "$variant" <<'PY'
import math, sys
from collections import defaultdict
variant = sys.argv[2]
runs = defaultdict(dict)
for line in open(sys.argv[1]):
    sizes, load, announce, seed, policy, mean, p99, top, spread = line.split(maxsplit=8)
    runs[(sizes, float(load), int(announce), seed)][policy] = (float(mean), float(p99), float(top), float(spread.strip().strip("±%") or "nan"))
def geo(values):
    return math.exp(sum(math.log(v) for v in values) / len(values))
def mean(values):
    return sum(values) / len(values)
print(f"| sizes | load | announce s | feedback ÷ {variant}: mean | p99 | max | feedback p99 ÷ oracle | {variant} p99 ÷ oracle | net-use spread, feedback / {variant} |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for cell in sorted({k[:3] for k in runs}):
    seeds = [runs[k] for k in runs if k[:3] == cell]
    ratio = [geo([r["feedback"][i] / r[variant][i] for r in seeds]) for i in range(3)]
    oracle = [geo([r[p][1] / r["oracle"][1] for r in seeds]) for p in ("feedback", variant)]
    spread = [mean([r[p][3] for r in seeds]) for p in ("feedback", variant)]
    print(f"| {cell[0]} | {cell[1]:.0%} | {cell[2]} | {ratio[0]:.2f} | {ratio[1]:.2f} | {ratio[2]:.2f} | {oracle[0]:.2f} | {oracle[1]:.2f} | ±{spread[0]:.0f} / ±{spread[1]:.0f} % |")
PY
