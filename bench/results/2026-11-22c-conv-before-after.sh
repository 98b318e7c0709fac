# Conv2d(C, C, 3x3, pad 1) on 1xCx32x32 as ONNX files (written by bench/results/2026-11-22c-conv-models.py),
# the build before the conv changes (77da061, copied to /tmp/runt_before_conv) against build/ at the
# commit that added this file, 1 thread, alternating; PyTorch and ONNX Runtime in the "new" runs.
for round in 1 2; do
  for c in 16 32 64 128; do
    for v in old new; do
      bin=build/runt; peers=--peers; [ $v = old ] && bin=/tmp/runt_before_conv peers=
      $bin bench --model /tmp/runt-conv/conv_c$c.onnx --batch 1 --backend cpu --dtype f32,int8 --threads 1 --min-reps 10 $peers 2>/dev/null | grep "^model" | awk -v v=$v -v r=$round '{print v, "round", r, $2, $4, "median", $11, "p10", $12, "p90", $13, "torch", $19, "ort", $20}'
    done
  done
done
