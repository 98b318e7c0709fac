#!/usr/bin/env bash
# The CUDA backend's libraries (cuBLAS maps about 200 MB) load only when a
# command asks for cuda: not for --version, info, or a run on the CPU. Seen
# through the dynamic loader's own log (LD_DEBUG=libs), not through timing.
#   lazy_backends.sh RUNT_PROGRAM FIXTURE_DIR
set -euo pipefail
runt=$1
data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Does this loader log? (glibc's does; others: skip, saying so.)
LD_DEBUG=libs "$runt" --version >/dev/null 2>"$tmp/log" || true
if ! grep -q 'calling init' "$tmp/log"; then
  echo "the dynamic loader does not log with LD_DEBUG=libs: skipped"
  exit 77
fi

loaded() { # loaded LIBRARY COMMAND...: did running COMMAND load LIBRARY?
  local lib=$1
  shift
  LD_DEBUG=libs "$@" >"$tmp/out" 2>"$tmp/log" || { cat "$tmp/out" "$tmp/log" | grep -v '^ *[0-9]*:' >&2; return 2; }
  grep -q "find library=$lib\|file=.*$lib.*\[0\];  dynamically loaded" "$tmp/log"
}

fail=0
expect_not() { # expect_not WHAT COMMAND...
  local what=$1
  shift
  local rc=0
  loaded libcublas "$@" || rc=$?
  if [ "$rc" = 0 ]; then
    echo "FAIL: $what loads cuBLAS"
    fail=1
  elif [ "$rc" = 2 ]; then
    echo "FAIL: $what failed"
    fail=1
  else
    echo "ok: $what does not load cuBLAS"
  fi
}

expect_not "runt --version" "$runt" --version
expect_not "runt info" "$runt" info "$data/layernorm_mlp_ts17.onnx"
expect_not "runt run --backend cpu" "$runt" run "$data/layernorm_mlp_ts17.onnx" \
  --input "$data/layernorm_mlp_x.npy" --output "$tmp/y.npy" --backend cpu
expect_not "runt run --backend ref" "$runt" run "$data/layernorm_mlp_ts17.onnx" \
  --input "$data/layernorm_mlp_x.npy" --output "$tmp/y.npy" --backend ref

# The other side, so the check above can fail: asking for cuda loads it.
# Built: next to the program; installed: <prefix>/<libdir>/runt-backends.
bindir=$(dirname "$runt")
module=$(find "$bindir/runt-backends" "$bindir/../lib"* -name runt-cuda.so 2>/dev/null | head -n 1 || true)
if [ -n "$module" ]; then
  if loaded libcublas "$runt" devices --backend cuda; then
    echo "ok: runt devices --backend cuda loads cuBLAS (from $module)"
  else
    echo "FAIL: runt devices --backend cuda did not load cuBLAS"
    fail=1
  fi
else
  echo "no CUDA module in this build: the loading side is not checked"
fi
exit $fail
