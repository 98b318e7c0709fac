#!/bin/bash
# The sweep suite (f32 and int8, cpu) with the build before this change
# ($OLD, main at 570bc86) and after ($NEW), one after the other in one run,
# at 1 thread and the default 2, best tier (avx512) and capped at avx2;
# ONNX Runtime and PyTorch beside the new build at the best tier.
# usage: OLD=/path/to/old/runt NEW=build/runt bench/results/2026-12-05-conv-direct/sweep.sh OUTDIR
set -eu
out=$1
for t in 1 2; do
  "$OLD" bench --suite sweep --backend cpu --threads $t --json "$out/old-t$t.json" > "$out/old-t$t.txt" 2>/dev/null
  "$NEW" bench --suite sweep --backend cpu --threads $t --peers --json "$out/new-t$t.json" > "$out/new-t$t.txt" 2>/dev/null
  RUNT_CPU_TIER=avx2 "$OLD" bench --suite sweep --backend cpu --threads $t --json "$out/old-avx2-t$t.json" > "$out/old-avx2-t$t.txt" 2>/dev/null
  RUNT_CPU_TIER=avx2 "$NEW" bench --suite sweep --backend cpu --threads $t --json "$out/new-avx2-t$t.json" > "$out/new-avx2-t$t.txt" 2>/dev/null
done
