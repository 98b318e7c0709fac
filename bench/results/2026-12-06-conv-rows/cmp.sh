#!/bin/bash
# cmp.sh A B: alternates runt binaries A and B on each model of
# make-models.py (in /tmp/models), 3 rounds; prints the median us of each
# (DTYPE=int8 for int8 sessions, RUNT_CPU_TIER to cap the tier).
A=$1; B=$2
for m in conv16_32 conv32_32 conv64_32 conv128_32 conv64_16 conv64_64; do
  line="$m:"
  for r in 1 2 3; do
    for bin in $A $B; do
      us=$($bin bench --model /tmp/models/$m.onnx --backend cpu --dtype ${DTYPE:-f32} --min-time 0.3 --json - 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(round([r for r in d["results"] if r.get("status","ok")=="ok"][0]["median_us"],1))' 2>/dev/null)
      line="$line ${us:-?}"
    done
    line="$line |"
  done
  echo "$line"
done
