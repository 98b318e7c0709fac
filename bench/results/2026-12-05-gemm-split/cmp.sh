#!/bin/bash
# cmp.sh A B [MODEL BATCH]...: alternates runt binaries A and B on each model, 3
# rounds; prints the median us of each (DTYPE=int8 for int8 sessions).
A=$1; B=$2; shift 2
for spec in "lin1024.onnx 8" "lin1024.onnx 16" "lin1024.onnx 32" "lin1024.onnx 64" "lin1024.onnx 256" "lin1024.onnx 1024" "conv16.onnx 1" "conv32.onnx 1" "conv64.onnx 1" "conv128.onnx 1" "$@"; do
  set -- $spec
  line="$1 b$2:"
  for r in 1 2 3; do
    for bin in $A $B; do
      us=$($bin bench --model /tmp/models/$1 --batch $2 --backend cpu --dtype ${DTYPE:-f32} --min-time 0.3 --json - 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(round([r for r in d["results"] if r.get("status","ok")=="ok"][0]["median_us"],1))' 2>/dev/null)
      line="$line ${us:-?}"
    done
    line="$line |"
  done
  echo "$line"
done
