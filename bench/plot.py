#!/usr/bin/env python3
"""Draws the bench's plots from its JSON (runt bench --json FILE), with matplotlib.

    python3 bench/plot.py RESULTS.json [--out DIR]

Writes into DIR (default: the current directory):
  latency-vs-flops.png        median latency against FLOPs, log-log, one series per
                              backend and dtype, error bars p10..p90, points labelled
  latency-vs-params.png       the same against parameter count
  predicted-vs-measured.png   the cost model's prediction against the median, with y = x
                              and the +-15 % band
  roofline-BACKEND.png        attained GFLOP/s against arithmetic intensity (FLOPs per
                              byte) under the calibrated peak and bandwidth roofs
  latency-BACKEND.png         the seeds' question per backend, three panels side by side:
                              the median against FLOPs, against params (both log-log
                              scatters) and against the prediction (on the diagonal,
                              +-15 % band shaded), one colour per suite
  terms-BACKEND.png           per seeds row, the prediction stacked by what it goes to
                              (compute, each memory level, dispatch) next to the
                              measured median, each row on its own linear scale
Each title names the device. Prints one line per file: its name and point count.
Files from before a field existed still draw: without a row's terms_us its
prediction is one bar named by its bound (or "predicted"), and rows without
predicted_us are left out of what needs it.
Exit status 0 on success, 1 on a bad input, 3 when matplotlib is missing.
"""
import argparse
import json
import math
import os
import sys

SHORT_NAMES = {
    "seed0_simple": "simple", "seed0_complex": "complex", "seed0_relu": "relu",
    "seed1_model1": "m1", "seed1_model2": "m2", "seed1_model3": "m3",
    "seed1_model4": "m4", "seed1_model5": "m5",
}
# Label every point while a figure stays readable; beyond that only the seeds.
MAX_LABELLED_POINTS = 40
# The share the cost model is judged by: a prediction within this of the median.
BAND = 0.15
# The order the terms stack in, nearest the axis first: compute, the memory
# levels from the nearest out, then per-node and per-run dispatch. Copies are
# left out: the median is timed without them (bench/cost_model.h).
TERM_ORDER = ["compute", "L1", "L2", "L3", "DRAM", "device", "dispatch"]
SUITE_ORDER = ["seeds", "sweep", "zoo", "model"]


def positive(v):
    return isinstance(v, (int, float)) and math.isfinite(v) and v > 0


def measured(results):
    """Rows with a median: what the table calls measured (unsupported and failed
    rows carry null timings), in f32 math: TF32 and BF16 rows are predicted from
    the f32 rates, so the plots of the cost model leave them out."""
    return [r for r in results
            if positive(r.get("median_us")) and r.get("math", "f32") == "f32"]


def device_title(devices, backends):
    names = [f"{d['backend']}: {d['name']}" for d in devices if d["backend"] in backends]
    return "; ".join(names) if names else "no device"


def series_of(rows):
    groups = {}
    for r in rows:
        groups.setdefault((r["backend"], r["dtype"]), []).append(r)
    return sorted(groups.items())


def label_points(ax, rows, xs, ys):
    label_all = len(rows) <= MAX_LABELLED_POINTS
    for r, x, y in zip(rows, xs, ys):
        name = SHORT_NAMES.get(r["model"])
        if name is None and not label_all:
            continue
        ax.annotate(name or r["model"], (x, y), textcoords="offset points", xytext=(4, 3),
                    fontsize=7)


def latency_plot(plt, rows, devices, key, xlabel, path):
    fig, ax = plt.subplots(figsize=(10, 7))
    count = 0
    for (backend, dtype), group in series_of(rows):
        group = [r for r in group if positive(r.get(key))]
        if not group:
            continue
        xs = [r[key] for r in group]
        ys = [r["median_us"] for r in group]
        # p10..p90 as the error bar; a missing quantile draws no bar on that side.
        lo = [max(0.0, r["median_us"] - r["p10_us"]) if positive(r.get("p10_us")) else 0.0
              for r in group]
        hi = [max(0.0, r["p90_us"] - r["median_us"]) if positive(r.get("p90_us")) else 0.0
              for r in group]
        ax.errorbar(xs, ys, yerr=[lo, hi], fmt="o", markersize=4, capsize=2,
                    label=f"{backend} {dtype}")
        label_points(ax, group, xs, ys)
        count += len(group)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("median latency (µs), bars p10..p90")
    backends = {r["backend"] for r in rows}
    ax.set_title(f"Latency against {xlabel.split(' ')[0]}\n{device_title(devices, backends)}",
                 fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    if count:
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return count


def diagonal(ax, lo, hi):
    """y = x and the band the summary counts as a good prediction."""
    ax.plot([lo, hi], [lo, hi], color="gray", linewidth=1, label="predicted = measured")
    ax.fill_between([lo, hi], [lo * (1 - BAND), hi * (1 - BAND)],
                    [lo * (1 + BAND), hi * (1 + BAND)], color="gray", alpha=0.15,
                    label=f"±{BAND:.0%}")


def suites_of(rows):
    names = {r.get("suite", "") for r in rows}
    return [s for s in SUITE_ORDER if s in names] + sorted(names - set(SUITE_ORDER))


def backend_plot(plt, rows, device, path):
    """Latency against FLOPs, params and the prediction for one backend."""
    rows = [r for r in rows if r["backend"] == device["backend"]]
    fig, axes = plt.subplots(1, 3, figsize=(18, 6))
    panels = [("flops", "FLOPs per run"), ("params", "parameters"),
              ("predicted_us", "predicted (µs)")]
    lo, hi = math.inf, 0.0
    for ax, (key, xlabel) in zip(axes, panels):
        for suite in suites_of(rows):
            group = [r for r in rows if r.get("suite", "") == suite and positive(r.get(key))]
            if not group:
                continue
            xs = [r[key] for r in group]
            ys = [r["median_us"] for r in group]
            label = f"{suite} ({len(group)})"
            if key == "predicted_us":
                within = sum(abs(r[key] / r["median_us"] - 1) <= BAND for r in group)
                label = f"{suite}: {within}/{len(group)} within ±{BAND:.0%}"
                lo, hi = min(lo, *xs, *ys), max(hi, *xs, *ys)
            ax.scatter(xs, ys, s=14, label=label)
            label_points(ax, group, xs, ys)
        if key == "predicted_us" and hi > 0:
            diagonal(ax, lo, hi)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("measured median (µs)")
        ax.grid(True, which="both", alpha=0.3)
        if ax.collections:
            ax.legend(fontsize=8)
    fig.suptitle(f"What predicts latency on {device['backend']}: FLOPs, params or the cost "
                 f"model\n{device['name']}", fontsize=11)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return len(rows)


def row_terms(r):
    """The prediction's stack as (name, us) pairs: terms_us where the row has
    it, else the whole prediction as one term named by its bound."""
    terms = r.get("terms_us")
    if isinstance(terms, dict):
        named = [(k, terms[k]) for k in TERM_ORDER if positive(terms.get(k))]
        named += sorted((k, v) for k, v in terms.items()
                        if k not in TERM_ORDER and k != "copy" and positive(v))
        if named:
            return named
    return [(r.get("bound") or "predicted", r["predicted_us"])]


def terms_plot(plt, rows, device, path):
    """Per seeds row: the predicted terms stacked beside the measured median."""
    rows = [r for r in rows if r["backend"] == device["backend"] and r.get("suite") == "seeds"
            and positive(r.get("predicted_us"))]
    dtypes = {r["dtype"] for r in rows}
    cols = 4
    nrows = max(1, math.ceil(len(rows) / cols))
    fig, axes = plt.subplots(nrows, cols, figsize=(4 * cols, 3.2 * nrows), squeeze=False)
    # One colour per term whatever the row or backend, so figures compare.
    cmap = plt.get_cmap("tab10")
    colours = {name: cmap(i) for i, name in enumerate(TERM_ORDER + ["predicted"])}
    handles = {}
    for ax, r in zip(axes.flat, rows):
        bottom = 0.0
        for name, us in row_terms(r):
            colour = colours.setdefault(name, cmap(len(colours) % 10))
            handles[name] = ax.bar(0, us, bottom=bottom, color=colour, width=0.6)
            bottom += us
        lo = max(0.0, r["median_us"] - r["p10_us"]) if positive(r.get("p10_us")) else 0.0
        hi = max(0.0, r["p90_us"] - r["median_us"]) if positive(r.get("p90_us")) else 0.0
        handles["measured median (p10..p90)"] = ax.bar(
            1, r["median_us"], yerr=[[lo], [hi]], capsize=3, color="0.35", width=0.6)
        ax.set_xticks([0, 1], ["predicted", "measured"])
        name = r["model"] + (f" {r['dtype']}" if len(dtypes) > 1 else "")
        ax.set_title(f"{name}: {r['predicted_us'] / r['median_us']:.2f}x", fontsize=9)
        ax.set_ylabel("µs")
        ax.grid(True, axis="y", alpha=0.3)
    for ax in list(axes.flat)[len(rows):]:
        ax.axis("off")
    if handles:
        order = {name: i for i, name in enumerate(colours)}
        names = sorted(handles, key=lambda n: order.get(n, len(order)))
        fig.legend([handles[n] for n in names], names, loc="lower center",
                   ncol=min(len(handles), 8), fontsize=8)
    fig.suptitle(f"Where the predicted time goes, seeds rows on {device['backend']} "
                 f"(predicted / measured in each title)\n{device['name']}", fontsize=11)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    fig.savefig(path)
    plt.close(fig)
    return len(rows)


def predicted_plot(plt, rows, devices, path):
    fig, ax = plt.subplots(figsize=(8, 8))
    count, lo, hi = 0, math.inf, 0.0
    for (backend, dtype), group in series_of(rows):
        group = [r for r in group if positive(r.get("predicted_us"))]
        if not group:
            continue
        xs = [r["median_us"] for r in group]
        ys = [r["predicted_us"] for r in group]
        ax.scatter(xs, ys, s=14, label=f"{backend} {dtype}")
        label_points(ax, group, xs, ys)
        lo, hi = min(lo, *xs, *ys), max(hi, *xs, *ys)
        count += len(group)
    if count:
        diagonal(ax, lo, hi)
        ax.legend(fontsize=8)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("measured median (µs)")
    ax.set_ylabel("predicted (µs)")
    backends = {r["backend"] for r in rows}
    ax.set_title(f"Cost model against measurement\n{device_title(devices, backends)}",
                 fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return count


def roofline_plot(plt, rows, device, path):
    fig, ax = plt.subplots(figsize=(10, 7))
    points = [r for r in rows if r["backend"] == device["backend"] and positive(r.get("bytes"))
              and positive(r.get("gflops")) and positive(r.get("flops"))]
    count = 0
    for dtype in sorted({r["dtype"] for r in points}):
        group = [r for r in points if r["dtype"] == dtype]
        xs = [r["flops"] / r["bytes"] for r in group]
        ys = [r["gflops"] for r in group]
        ax.scatter(xs, ys, s=14, label=f"{dtype} ({'GOP/s' if dtype == 'int8' else 'GFLOP/s'})")
        label_points(ax, group, xs, ys)
        count += len(group)
    intensities = [r["flops"] / r["bytes"] for r in points] or [0.1, 100.0]
    lo, hi = min(intensities) / 2, max(intensities) * 2
    peak = device.get("peak_gflops")
    if positive(peak):
        for level, bw in sorted((device.get("bandwidth_gbps") or {}).items()):
            if positive(bw):
                knee = peak / bw
                xs = [lo] + ([knee] if lo < knee < hi else []) + [hi]
                ax.plot(xs, [min(peak, bw * x) for x in xs], linewidth=1,
                        label=f"roof: {level} {bw:.1f} GB/s, peak {peak:.0f} GFLOP/s")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("arithmetic intensity (FLOPs per byte)")
    ax.set_ylabel("attained GFLOP/s (median)")
    ax.set_title(f"Roofline: {device['backend']}, {device['name']}", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return count


def main():
    parser = argparse.ArgumentParser(description="Draw runt bench plots from its JSON.")
    parser.add_argument("json", help="a file written by runt bench --json ('-': standard input)")
    parser.add_argument("--out", default=".", help="directory for the PNG files (must exist)")
    args = parser.parse_args()
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("plot.py: matplotlib is not installed for this python3 "
              "(pip install matplotlib)", file=sys.stderr)
        return 3
    try:
        text = sys.stdin.read() if args.json == "-" else open(args.json).read()
        data = json.loads(text)
        devices, results = data["devices"], data["results"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"plot.py: {args.json}: not a runt bench JSON: {e}", file=sys.stderr)
        return 1
    if not os.path.isdir(args.out):
        print(f"plot.py: {args.out}: not a directory", file=sys.stderr)
        return 1
    rows = measured(results)
    files = [
        ("latency-vs-flops.png",
         lambda p: latency_plot(plt, rows, devices, "flops", "FLOPs per run", p)),
        ("latency-vs-params.png",
         lambda p: latency_plot(plt, rows, devices, "params", "parameters", p)),
        ("predicted-vs-measured.png", lambda p: predicted_plot(plt, rows, devices, p)),
    ]
    for device in devices:
        files.append((f"roofline-{device['backend']}.png",
                      lambda p, d=device: roofline_plot(plt, rows, d, p)))
    for device in devices:
        files.append((f"latency-{device['backend']}.png",
                      lambda p, d=device: backend_plot(plt, rows, d, p)))
        files.append((f"terms-{device['backend']}.png",
                      lambda p, d=device: terms_plot(plt, rows, d, p)))
    for name, draw in files:
        path = os.path.join(args.out, name)
        print(f"{path}: {draw(path)} points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
