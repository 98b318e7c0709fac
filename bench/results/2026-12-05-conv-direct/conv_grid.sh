#!/bin/bash
# Conv2d(C, max(C, 8), k) on HxH for each model written by conv_grid_models.py (run in
# the folder of the .onnx files), im2col + GEMM against direct: prints model, gemm us,
# direct us, ratio. usage: RUNT=path/to/runt conv_grid.sh THREADS TIER [DTYPE]
for f in c*.onnx; do
  for p in gemm direct; do
    v=$(RUNT_CPU_TIER=$2 RUNT_CPU_CONV=$p ${RUNT:-build/runt} bench --model $f --backend cpu --dtype ${3:-f32} --threads $1 --min-time 0.1 2>/dev/null | awk '$1!="suite" && $3=="cpu" {print $11}')
    eval "t_$p=$v"
  done
  echo "$f $t_gemm $t_direct $(python3 -c "print(round($t_gemm/$t_direct,2))")"
done
