#!/usr/bin/env python3
"""Reads a real run's per-request records (real-long-requests-CELL.csv[.gz], written by `real`) and prints, per
policy: mean and p99, requests and large files per volunteer, what the syncing and non-syncing volunteers reported
at the picks against the kernel's connections with unsent data and the byte-counter policy's load (customer flows: transfers in
flight + picks not begun + BitTorrent bytes as flows; older records call the column orc_, the oldest have none), and the slowest
requests with every volunteer's state at their pick (reported load + this gateway's own redirects / kernel
connections [/ byte-counter load]; '?' = no fresh report).

    python3 bench/evaluation/records.py docs/evaluation/real-long-requests-trace-redirect-100.csv.gz [slowest=12]
"""
import collections
import csv
import gzip
import statistics
import sys

path = sys.argv[1]
slowest = int(sys.argv[2]) if len(sys.argv) > 2 else 12
with (gzip.open(path, "rt") if path.endswith(".gz") else open(path)) as f:
    rows = list(csv.DictReader(f))
volunteers = [k[4:] for k in rows[0] if k.startswith("rep_")]
# bc_ (byte-counter policy's load); records written before its rename call it orc_
bc = next((p for p in ("bc_", "orc_") if volunteers and (p + volunteers[0]) in rows[0]), None)
has_bc = bc is not None
syncing = {v for v in volunteers if int(v[1:]) % 2 == 1}  # the experiment: every second one, starting with v1
for policy in dict.fromkeys(r["policy"] for r in rows):
    runs = [r for r in rows if r["policy"] == policy]
    seconds = sorted(float(r["seconds"]) for r in runs)
    p99 = seconds[max(0, -(-99 * len(seconds) // 100) - 1)]
    large = [r for r in runs if int(r["bytes"]) >= 4_000_000]
    print(f"== {policy}: {len(runs)} requests, mean {statistics.mean(seconds):.2f} s, p99 {p99:.1f} s")
    print("   requests by volunteer:", dict(sorted(collections.Counter(r["chosen"] or "none" for r in runs).items())))
    if large:
        print(f"   files >= 4 MB by volunteer: {dict(sorted(collections.Counter(r['chosen'] for r in large).items()))},"
              f" mean {statistics.mean(float(r['seconds']) for r in large):.1f} s")
    for group, members in (("non-syncing", [v for v in volunteers if v not in syncing]), ("syncing", sorted(syncing))):
        reported = [float(r["rep_" + v]) for r in runs for v in members if r["rep_" + v]]
        kernel = [float(r["kern_" + v]) for r in runs for v in members]
        if reported:
            seen = f", byte-counter load {statistics.mean(float(r[bc + v]) for r in runs for v in members):.1f}" if has_bc else ""
            print(f"   {group} volunteers at the picks: reported load {statistics.mean(reported):.1f}, kernel flows {statistics.mean(kernel):.1f}{seen}")
    unknown = sum(1 for r in runs for v in volunteers if not r["rep_" + v]) / (len(runs) * len(volunteers))
    print(f"   picks that found no fresh report: {unknown:.0%}")
    for r in sorted(runs, key=lambda r: -float(r["seconds"]))[:slowest]:
        state = " ".join(f"{v}:{r['rep_' + v] or '?'}+{r['loc_' + v]}/{r['kern_' + v]}" + (f"/{r[bc + v]}" if has_bc else "") for v in volunteers)
        print(f"   t={float(r['at_s']):7.2f} {int(r['bytes']):>9} -> {r['chosen'] or 'none':4} {float(r['seconds']):6.1f} s | {state}")
