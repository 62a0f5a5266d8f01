#!/usr/bin/env bash
# Selection:DrainReportedTransfers in the simulator: the feedback policy (reports' customer transfers stop counting once
# their bytes left could have drained) against feedback-counts (a report counts as sent until the next one); see
# variant-sweep.sh for the cells (about 30 s on 2 cores). docs/evaluation.md quotes its table.
exec "$(dirname "$0")/variant-sweep.sh" feedback-counts "$@"
