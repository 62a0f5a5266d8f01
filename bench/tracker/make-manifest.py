#!/usr/bin/env python3
"""Writes a manifest whose torrents are the benchmark's info hashes, so our tracker (which tracks only
published torrents) accepts the same load as opentracker's whitelist.  usage: make-manifest.py HASHES OUT"""
import json, sys
hashes, out = sys.argv[1:3]
files, torrents = [], []
for h in (line.strip() for line in open(hashes)):
    if len(h) != 40:
        continue
    path = "bench/%s.bin" % h
    files.append({"path": path, "size": 1, "sha256": h + h[:24], "content": h + h[:24], "modified": 0, "torrents": [h]})
    torrents.append({"infoHash": h, "name": h + ".bin", "folder": "bench", "singleFile": True,
                     "torrent": "torrents/%s.torrent" % h, "pieceLength": 262144, "size": 1, "private": False,
                     "announce": None, "webSeed": None, "files": [path]})
json.dump({"format": 1, "generated": "2026-11-26T00:00:00Z", "files": files, "torrents": torrents}, open(out, "w"))
