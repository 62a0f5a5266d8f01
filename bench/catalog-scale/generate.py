#!/usr/bin/env python3
"""Writes a manifest.json (format 1, no torrents) with N files shaped like a Debian pool, without the files.

   generate.py OUT N [--change PERCENT --from PREVIOUS_SEED]   (deterministic: same N and seed, same bytes)

Paths: pool/<component>/<prefix>/<package>/<package>_<version>_<arch>.deb, ~6 files per package folder.
Every file over 1 MiB (1 in 20) gets chunk hashes, as publish writes them. --change P rewrites the digests
of P% of the files (every 100/P-th one), for a reload with that share changed.
"""
import hashlib, json, sys

def main():
    out, n = sys.argv[1], int(sys.argv[2])
    change = float(sys.argv[sys.argv.index("--change") + 1]) if "--change" in sys.argv else 0.0
    every = int(round(100 / change)) if change > 0 else 0
    components = ["main", "contrib", "non-free", "non-free-firmware"]
    arches = ["amd64", "arm64", "i386", "all", "armhf", "ppc64el"]
    with open(out, "w", encoding="utf-8") as f:
        f.write('{\n  "format": 1,\n  "generated": "2026-12-07T12:00:00+00:00",\n  "files": [\n')
        paths = []
        for i in range(n):
            pkg = "lib%s%d" % ("abcdefghijklmnopqrstuvwxyz"[(i // 6) % 26], i // 6)
            comp = components[(i // 6) % 4]
            prefix = pkg[:4]
            path = "pool/%s/%s/%s/%s_%d.%d-%d_%s.deb" % (comp, prefix, pkg, pkg, i % 7, i % 13, 1 + i % 3, arches[i % 6])
            paths.append(path)
        paths.sort()
        for i, path in enumerate(paths):
            seed = b"%d" % i if not (every and i % every == 0) else b"changed %d" % i
            sha = hashlib.sha256(seed).hexdigest()
            size = 1024 + (i * 7919) % 900000 if i % 20 else 1048576 * (2 + i % 5) + 17
            entry = '    {"path": "%s", "size": %d, "sha256": "%s", "content": "%s", "modified": %d' % (
                path, size, sha, sha, 1795689127147 + i)
            if size > 1048576:
                chunks = (size + 1048575) // 1048576
                hashes = ", ".join('"%s"' % hashlib.sha256(seed + b"/%d" % c).hexdigest() for c in range(chunks))
                entry += ', "chunks": {"size": 1048576, "sha256": [%s]}' % hashes
            f.write(entry + ("},\n" if i + 1 < n else "}\n"))
        f.write("  ]\n}\n")

main()
