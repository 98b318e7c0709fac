# The few-outputs dot path against the commit before it, alternating, 1 thread.
# old = bc787df (panels at batch > 1), new = 84eb764 (dot products), built as
#   git worktree add /tmp/oldwt bc787df
#   cmake -S /tmp/oldwt -B /tmp/oldwt/build -DRUNT_CUDA=OFF -DRUNT_TESTS=OFF
#   cmake --build /tmp/oldwt/build --target runt_cli
# and build/ at 84eb764. Run from the repository root:
#   bash bench/results/2026-11-22c-dot-path.sh > bench/results/2026-11-22c-dot-path.txt
for round in 1 2 3; do
  for spec in "@seed1_model5 16" "@seed1_model5 64" "@seed1_model5 1024" "@seed1_model2 16" "@seed1_model2 256"; do
    set -- $spec
    for v in old new; do
      bin=build/runt; [ $v = old ] && bin=/tmp/oldwt/build/runt
      echo -n "$v round $round "; $bin bench --model $1 --batch $2 --backend cpu --dtype f32 --threads 1 --min-reps 20 2>/dev/null | grep "^model" | awk '{print $2, "b"$5, "median", $11, "p10", $12, "p90", $13}'
    done
  done
done
