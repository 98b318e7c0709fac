#!/usr/bin/env python3
"""Times one ONNX model in PyTorch (eager) and ONNX Runtime, for `runt bench --peers`.

    python3 bench/peers/peer.py --model M.onnx --input-shape 1,1000 --threads 2 \\
        --min-time 0.2 --min-reps 20

prints one JSON line on stdout:

    {"torch_us": 12.3, "onnxruntime_us": 8.9, "torch_version": "2.15.0",
     "onnxruntime_version": "1.31.1", "errors": {}}

Times are the median microseconds of one inference, measured as runt's bench
measures (bench/measure.c): one first run on its own, warm-up for a quarter
of the minimum time, then runs until both the minimum time and the minimum
count are reached (at most 3 s once 3 runs are in), inputs cycled through a
ring of 8 random tensors in [-1, 1) (fewer when they would pass 256 MiB) so
no run finds its input in cache from the run before.

Both peers run the same file, the one runt_model_save_onnx wrote: ONNX
Runtime loads it; PyTorch gets an nn.Module interpreted from its graph
(onnx_torch.py), so no model is written twice. Once, on the first ring
input, the two outputs are compared; a difference beyond 1e-3 (relative to
the outputs' scale when that exceeds 1) is reported in "errors" under
"agreement". A peer that is not installed or fails is null, and "errors"
says why; the script still exits 0 then. Each peer runs in a child process
of its own: ONNX Runtime's worker threads keep spinning after a run, and in
the same process they slowed PyTorch's two threads from 63 us to 12 ms
(Linear 1000-1000-1 here).

--device cuda runs PyTorch on the GPU twice: eager, timed on the host clock
around the call and a torch.cuda.synchronize() (what a caller waits), and
as a CUDA graph captured once and replayed, timed with CUDA events (device
time, as runt's device rows are; "torch_graph_us"); and ONNX Runtime with
its CUDA provider when that is installed.
--run-npy IN.npy --save-prefix P runs each peer once on IN.npy and writes
P.torch.npy and P.onnxruntime.npy (for tests that compare with runt).
"""

import argparse
import json
import os
import sys
import time

RING = 8
RING_BYTES = 256 * 1024 * 1024
MAX_TIME_S = 3.0
MAX_REPS = 100000
AGREEMENT = 1e-3

HERE = os.path.dirname(os.path.abspath(__file__))


def measure(run, n_inputs, min_time_s, min_reps, timer=None):
    """Median µs of run(k) (k picks the ring input), as bench/measure.c times.

    timer(fn) -> µs times one call when the host clock is not the right one
    (CUDA events); by default the host clock is read around the call."""
    import numpy as np

    def once(k):
        if timer is not None:
            return timer(lambda: run(k % n_inputs))
        t0 = time.perf_counter_ns()
        run(k % n_inputs)
        return (time.perf_counter_ns() - t0) / 1e3

    k = 0
    first_us = once(k)
    k += 1

    def loop(min_s, reps, max_s, floor_reps, keep):
        nonlocal k
        samples, t0 = [], time.perf_counter()
        while len(samples) < MAX_REPS:
            spent = time.perf_counter() - t0
            if len(samples) >= reps and spent >= min_s:
                break
            if len(samples) >= floor_reps and spent >= max_s:
                break
            samples.append(once(k))
            k += 1
        return samples if keep else []

    warm_s = min_time_s / 4
    if first_us * 1e-6 < warm_s:
        loop(warm_s, 1, MAX_TIME_S / 4, 1, False)
    samples = loop(min_time_s, min_reps, MAX_TIME_S, min(min_reps, 3), True)
    return float(np.quantile(np.array(samples), 0.5))


def make_ring(shape):
    import numpy as np

    count = int(np.prod(shape)) if shape else 1
    n = RING
    while n > 1 and n * count * 4 > RING_BYTES:
        n -= 1
    rng = np.random.default_rng(0xBE7C4)
    ring = []
    for _ in range(n):
        x = rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)
        x[x == 0] = 0.5  # never an exact zero, as runt's inputs
        ring.append(x)
    return ring


def ort_peer(args, ring):
    """(run(k), outputs of ring[0], version); raises on failure."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = args.threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.log_severity_level = 3
    providers = ["CPUExecutionProvider"]
    if args.device == "cuda":
        if "CUDAExecutionProvider" not in ort.get_available_providers():
            raise RuntimeError("this onnxruntime has no CUDAExecutionProvider")
        providers = ["CUDAExecutionProvider"]
    sess = ort.InferenceSession(args.model, so, providers=providers)
    inputs = sess.get_inputs()
    if len(inputs) != 1:
        raise RuntimeError("the model has %d inputs; peer.py feeds one" % len(inputs))
    name = inputs[0].name

    def run(k):
        return sess.run(None, {name: ring[k]})

    return run, run(0)[0], ort.__version__


def torch_peer(args, ring):
    """(run(k), outputs of ring[0], version, timer); raises on failure."""
    import torch

    sys.dont_write_bytecode = True  # no __pycache__ in the source tree
    sys.path.insert(0, HERE)
    from onnx_torch import OnnxModule

    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # only settable before the first parallel work; harmless here
    device = args.device
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("torch sees no CUDA device")
    module = OnnxModule(args.model, device=device).eval()
    if len(module.input_names) != 1:
        raise RuntimeError("the model has %d inputs; peer.py feeds one" % len(module.input_names))
    xs = [torch.from_numpy(x).to(device) for x in ring]

    def run(k):
        with torch.inference_mode():
            return module(xs[k])

    timer = None
    if device == "cuda":
        def timer(fn):
            t0 = time.perf_counter_ns()
            fn()
            torch.cuda.synchronize()
            return (time.perf_counter_ns() - t0) / 1e3

    out = run(0)
    out = out[0] if isinstance(out, tuple) else out
    return run, out.detach().cpu().numpy(), torch.__version__.split("+")[0], timer


def torch_graph_us(args, ring):
    """Median device µs of one replay of the model captured as a CUDA graph."""
    import torch

    sys.path.insert(0, HERE)
    from onnx_torch import OnnxModule

    module = OnnxModule(args.model, device="cuda").eval()
    static_x = torch.from_numpy(ring[0]).to("cuda")
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.inference_mode(), torch.cuda.stream(side):
        for _ in range(3):  # warm-up outside the capture, as PyTorch asks
            module(static_x)
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.inference_mode(), torch.cuda.graph(graph):
        module(static_x)
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)

    def timer(fn):
        start.record()
        fn()
        end.record()
        end.synchronize()
        return start.elapsed_time(end) * 1e3

    return measure(lambda k: graph.replay(), 1, args.min_time, args.min_reps, timer)


def agreement(a, b):
    """None when the outputs agree within AGREEMENT, else the message."""
    import numpy as np

    if a.shape != b.shape:
        return "output shapes differ: torch %s, onnxruntime %s" % (a.shape, b.shape)
    diff = float(np.max(np.abs(a.astype(np.float64) - b))) if a.size else 0.0
    scale = max(1.0, float(np.max(np.abs(b))) if b.size else 0.0)
    if not diff <= AGREEMENT * scale:
        return "torch and onnxruntime outputs differ: max abs diff %.3g (max |y| %.3g)" % (
            diff, scale)
    return None


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True)
    p.add_argument("--input-shape", required=True, help="comma-separated dims, e.g. 1,1000")
    p.add_argument("--threads", type=int, default=1, help="0: all cores, as runt's threads = 0")
    p.add_argument("--min-time", type=float, default=0.2, help="seconds")
    p.add_argument("--min-reps", type=int, default=10)
    p.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    p.add_argument("--run-npy", help="run each peer once on this .npy input")
    p.add_argument("--save-prefix", help="with --run-npy: write PREFIX.<peer>.npy")
    # Internal: the child process that runs one peer, and where it leaves
    # its output on the first ring input.
    p.add_argument("--only", choices=PEERS, help=argparse.SUPPRESS)
    p.add_argument("--output-npy", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    try:
        args.shape = tuple(int(d) for d in args.input_shape.split(","))
    except ValueError:
        p.error("--input-shape must be comma-separated integers, got %r" % args.input_shape)
    if args.threads == 0:
        args.threads = os.cpu_count() or 1
    if any(d < 0 for d in args.shape) or args.threads < 1 or args.min_reps < 1 or \
            not args.min_time >= 0:
        p.error("dims must not be negative, --threads and --min-reps must be positive, "
                "--min-time not negative")
    if bool(args.run_npy) != bool(args.save_prefix):
        p.error("--run-npy and --save-prefix go together")
    return args


PEERS = ("onnxruntime", "torch")


def run_one(args):
    """The child: one peer, one JSON line {"us", "version", "error"}."""
    out = {"us": None, "version": None, "error": None}
    try:
        import numpy as np

        ring = [np.load(args.run_npy).astype(np.float32)] if args.run_npy else make_ring(args.shape)
        if args.only == "onnxruntime":
            run, y, out["version"] = ort_peer(args, ring)
            timer = None
        else:
            run, y, out["version"], timer = torch_peer(args, ring)
        if args.output_npy:
            np.save(args.output_npy, np.ascontiguousarray(y, np.float32))
        if not args.run_npy:
            out["us"] = measure(run, len(ring), args.min_time, args.min_reps, timer)
            if args.only == "torch" and args.device == "cuda":
                out["graph_us"] = torch_graph_us(args, ring)
    except ImportError as e:
        what = "onnxruntime" if args.only == "onnxruntime" else "torch (or onnx, to read the model)"
        out["error"] = "%s is not installed: %s" % (what, e)
    except Exception as e:  # any failure leaves the peer null, with the reason
        out["error"] = "%s: %s" % (type(e).__name__, e)
    print(json.dumps(out))
    return 0


def spawn(args, peer, output_npy):
    """Runs one peer in a child process, so neither runtime's worker threads
    (ONNX Runtime's spin) steal time from the other's. Returns its answer."""
    import subprocess

    cmd = [sys.executable, os.path.abspath(__file__), "--model", args.model, "--input-shape",
           args.input_shape, "--threads", str(args.threads), "--min-time", repr(args.min_time),
           "--min-reps", str(args.min_reps), "--device", args.device, "--only", peer,
           "--output-npy", output_npy]
    if args.run_npy:
        cmd += ["--run-npy", args.run_npy, "--save-prefix", args.save_prefix]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = [line for line in p.stdout.splitlines() if line.startswith("{")]
    if not lines:
        tail = (p.stderr.strip().splitlines() or ["no output"])[-1]
        return {"us": None, "version": None,
                "error": "the %s child exited with status %d: %s" % (peer, p.returncode, tail)}
    return json.loads(lines[-1])


def main(argv):
    args = parse_args(argv)
    if args.only:
        return run_one(args)
    result = {"torch_us": None, "onnxruntime_us": None, "torch_version": None,
              "onnxruntime_version": None, "errors": {}}
    if args.device == "cuda":
        result["torch_graph_us"] = None
    errors = result["errors"]
    if not os.path.isfile(args.model):
        errors["torch"] = errors["onnxruntime"] = "no model file %s" % args.model
        print(json.dumps(result))
        return 1
    import tempfile

    with tempfile.TemporaryDirectory(prefix="runt-peer-") as tmp:
        outs = {}
        for peer in PEERS:
            path = (args.save_prefix + "." + peer + ".npy") if args.run_npy else \
                os.path.join(tmp, peer + ".npy")
            answer = spawn(args, peer, path)
            result[peer + "_us"] = answer.get("us")
            if peer == "torch" and args.device == "cuda":
                result["torch_graph_us"] = answer.get("graph_us")
            result[peer + "_version"] = answer.get("version")
            if answer.get("error"):
                errors[peer] = answer["error"]
            elif os.path.isfile(path):
                outs[peer] = path
        if len(outs) == 2:
            try:
                import numpy as np

                msg = agreement(np.load(outs["torch"]), np.load(outs["onnxruntime"]))
                if msg:
                    errors["agreement"] = msg
            except ImportError:
                pass
    print(json.dumps(result))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
