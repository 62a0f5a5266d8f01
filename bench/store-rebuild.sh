#!/usr/bin/env bash
# How long a tracker takes to write the swarm state again after Redis lost it (1,000 volunteers by default).
#   bench/store-rebuild.sh                                   # 1,000 volunteers, 1 / 100 / 1,000 content ids each, 5 rounds
#   bench/store-rebuild.sh --volunteers 1000 --contents 100 --rounds 3
# Needs redis-server and redis-cli (./test.sh installs them). Raw output: bench/results/<date>-store-rebuild/.
# Results: docs/redis.md, "Redis restarted empty".
set -euo pipefail
cd "$(dirname "$0")/.."
out="bench/results/$(date -u +%F)-store-rebuild"
mkdir -p "$out"
{
  echo "# commit $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)'), $(date -u +%FT%TZ)"
  echo "# bench/store-rebuild.sh $*"
  dotnet run -c Release bench/store-rebuild/StoreRebuild.cs -- "$@"
} | tee "$out/rebuild.csv"
