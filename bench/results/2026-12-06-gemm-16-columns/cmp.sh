#!/bin/bash
# cmp.sh A B: alternates runt binaries A and B on each Linear of
# make-models.py (in /tmp/models) at the batch named, 3 rounds; prints the
# median us of each.
A=$1; B=$2
for spec in "lin144x16 1024" "lin144x16 16" "lin64x16 1024" "lin256x16 1024" "lin512x16 1024" \
            "lin1000x16 16" "lin1000x16 64" "lin1000x16 1024" "lin144x12 1024" "lin144x8 16" \
            "lin144x8 1024" "lin1000x8 16" "lin1000x4 1024" "lin1024x1024 16"; do
  set -- $spec
  line="$1 b$2:"
  for r in 1 2 3; do
    for bin in $A $B; do
      us=$($bin bench --model /tmp/models/$1.onnx --batch $2 --backend cpu --dtype f32 --min-time 0.3 --json - 2>/dev/null | python3 -c 'import json,sys; d=json.load(sys.stdin); print(round([r for r in d["results"] if r.get("status","ok")=="ok"][0]["median_us"],1))' 2>/dev/null)
      line="$line ${us:-?}"
    done
    line="$line |"
  done
  echo "$line"
done
