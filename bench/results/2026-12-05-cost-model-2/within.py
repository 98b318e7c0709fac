#!/usr/bin/env python3
"""Tables for this folder's README from `runt bench --json` files.

    python3 within.py t1.json t2.json

Per file, backend and suite: rows within +-15 % of the median (as the
bench's summary counts them), of the p10, and the median pred/measured;
then Spearman's rho from the file's summary; then every row outside
+-15 % with its ratio and bound.
"""
import json
import statistics
import sys


def main(paths):
    outside = []
    print("| file | backend | threads | suite | within +-15 % | of p10 | median pred/measured |")
    print("|---|---|---:|---|---:|---:|---:|")
    for path in paths:
        d = json.load(open(path))
        # ref runs on 1 thread whatever is asked; the others on the host's.
        threads = {dev["backend"]: 1 if dev["backend"] == "ref" else d["host"]["threads"]
                   for dev in d["devices"]}
        groups = {}
        for r in d["results"]:
            if not r.get("median_us") or not r.get("predicted_us"):
                continue
            groups.setdefault((r["backend"], r["suite"]), []).append(r)
        for (backend, suite), rows in sorted(groups.items()):
            ratio = [r["predicted_us"] / r["median_us"] for r in rows]
            p10 = [r["predicted_us"] / r["p10_us"] for r in rows if r["p10_us"]]
            inside = sum(0.85 <= q <= 1.15 for q in ratio)
            inside10 = sum(0.85 <= q <= 1.15 for q in p10)
            print(f"| {path} | {backend} | {threads.get(backend, '?')} | {suite} | "
                  f"{inside}/{len(rows)} {100 * inside / len(rows):.0f} % | "
                  f"{100 * inside10 / len(p10):.0f} % | {statistics.median(ratio):.2f} |")
            for r, q in zip(rows, ratio):
                if not 0.85 <= q <= 1.15:
                    outside.append((path, r, q))
    print()
    for path in paths:
        d = json.load(open(path))
        for backend, s in d["summary"].items():
            print(f"{path} {backend}: Spearman rho predicted {s['spearman']['predicted']:.3f}, "
                  f"within +-15 % overall {100 * s['within_15pct']:.1f} %")
    print()
    for path, r, q in outside:
        print(f"{path} {r['backend']:4} {r['suite']:5} {r['model']:40} {r['dtype']:4} "
              f"b{r['batch']:<5} median {r['median_us']:10.2f} p10 {r['p10_us']:10.2f} "
              f"pred {r['predicted_us']:10.2f} {q:5.2f} {r['bound']}")


if __name__ == "__main__":
    main(sys.argv[1:])
