#!/usr/bin/env python3
"""Builds the Cortex-M4 firmware for each model, runs it under QEMU's
mps2-an386 with semihosting, and checks that the outputs it prints are,
bit for bit, the host's reference backend on the same .rnt and input.
Then prints each firmware's sections and runt's share of .text, read from
the linker map.

    python3 examples/mcu/check.py --runt build/runt [--out build-mcu]

Needs gcc-arm-none-eabi, libnewlib-arm-none-eabi and qemu-system-arm, and a
host build of runt (for `runt compile` and `runt run`). Exit status 0 when
every firmware ran, allocated nothing after load and matched the host.
"""
import argparse
import os
import re
import struct
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# name, model, `runt compile` options, fixed input (its batch is the firmware's)
MODELS = [
    ("mlp", "tests/data/quant/mlp_dyn_s8/model.onnx", [], "tests/data/quant/mlp_dyn_s8/input.npy"),
    ("lenet", "tests/data/pytorch/lenet5_ts17.onnx", ["--dtype", "int8"],
     "tests/data/pytorch/lenet5_x.npy"),
]

# runt's own .text in the MLP firmware must stay within this (issue target).
MLP_RUNT_TEXT_LIMIT = 32 * 1024


def read_npy(path):
    """A little-endian float32 .npy (version 1.0-3.0): (shape, list of raw words)."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] != b"\x93NUMPY":
        sys.exit(f"{path}: not a .npy file")
    major = data[6]
    hlen, start = (struct.unpack_from("<H", data, 8)[0], 10) if major == 1 else \
        (struct.unpack_from("<I", data, 8)[0], 12)
    header = data[start:start + hlen].decode("latin1")
    if "'<f4'" not in header or "'fortran_order': False" not in header:
        sys.exit(f"{path}: expected little-endian float32 in C order: {header.strip()}")
    shape = tuple(int(d) for d in re.search(r"\(([^)]*)\)", header).group(1).split(",") if d.strip())
    body = data[start + hlen:]
    count = 1
    for d in shape:
        count *= d
    return shape, list(struct.unpack_from(f"<{count}I", body))


def run(cmd, **kw):
    print("$", " ".join(cmd), flush=True)
    return subprocess.run(cmd, check=True, **kw)


def write_model_sources(gen, name, rnt_path, input_path, output_count):
    with open(rnt_path, "rb") as f:
        rnt = f.read()
    batch, arena = struct.unpack_from("<II", rnt, 56)
    shape, words = read_npy(input_path)
    os.makedirs(os.path.join(gen, name), exist_ok=True)
    with open(os.path.join(gen, name, "model_data.h"), "w") as f:
        f.write(f"""/* Written by examples/mcu/check.py from {os.path.basename(rnt_path)}. */
#ifndef RUNT_FW_MODEL_DATA_H
#define RUNT_FW_MODEL_DATA_H
#define RUNT_FW_NAME "{name}"
#define RUNT_FW_BATCH {batch}
#define RUNT_FW_ARENA_BYTES {arena}
#define RUNT_FW_MODEL_BYTES {len(rnt)}
#define RUNT_FW_INPUT_COUNT {len(words)}
#define RUNT_FW_OUTPUT_COUNT {output_count}
extern const unsigned char runt_fw_model[RUNT_FW_MODEL_BYTES];
extern const float runt_fw_input[RUNT_FW_INPUT_COUNT];
#endif
""")
    with open(os.path.join(gen, name, "model_data.c"), "w") as f:
        f.write('#include "model_data.h"\n')
        f.write("/* The .rnt, read in place: its constants are 16-byte aligned in the file. */\n")
        f.write("const unsigned char runt_fw_model[RUNT_FW_MODEL_BYTES] __attribute__((aligned(16))) = {\n")
        for i in range(0, len(rnt), 16):
            f.write("    " + ", ".join(str(b) for b in rnt[i:i + 16]) + ",\n")
        f.write("};\n")
        f.write(f"/* {os.path.basename(input_path)}, shape {list(shape)}: hexadecimal float\n"
                " * literals, so every value is the file's exactly. */\n")
        f.write("const float runt_fw_input[RUNT_FW_INPUT_COUNT] = {\n")
        values = [struct.unpack("<f", struct.pack("<I", w))[0].hex() + "f" for w in words]
        for i in range(0, len(values), 6):
            f.write("    " + ", ".join(values[i:i + 6]) + ",\n")
        f.write("};\n")
    return batch, arena, len(rnt)


def section_sizes(elf):
    out = subprocess.run(["arm-none-eabi-size", "-A", elf], check=True, capture_output=True,
                         text=True).stdout
    sizes = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in (".text", ".rodata", ".data", ".bss", ".stack"):
            sizes[parts[0]] = int(parts[1])
    return sizes


def runt_share(map_path):
    """Bytes of .text and .rodata input sections that came from librunt.a."""
    share = {"text": 0, "rodata": 0, "text_total": 0}
    with open(map_path) as f:
        lines = f.read().split("\n")
    in_map = False
    pending = None
    for line in lines:
        if line.startswith("Linker script and memory map"):
            in_map = True
            continue
        if not in_map:
            continue
        m = re.match(r"^ (\.(?:text|rodata)\S*)\s*$", line)
        if m:
            pending = m.group(1)
            continue
        m = re.match(r"^ (\.(?:text|rodata)\S*)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+)", line)
        if m:
            sec, size, obj = m.group(1), int(m.group(2), 16), m.group(3)
        elif pending:
            m = re.match(r"^\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+)", line)
            sec, pending = pending, None
            if not m:
                continue
            size, obj = int(m.group(1), 16), m.group(2)
        else:
            continue
        kind = "text" if sec.startswith(".text") else "rodata"
        if kind == "text":
            share["text_total"] += size
        if "librunt.a(" in obj:
            share[kind] += size
    return share


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runt", default=os.path.join(ROOT, "build", "runt"))
    ap.add_argument("--out", default=os.path.join(ROOT, "build-mcu"))
    ap.add_argument("--timeout", type=int, default=120, help="seconds per firmware under QEMU")
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    gen = os.path.join(out, "gen")
    os.makedirs(gen, exist_ok=True)

    figures = {}
    for name, model, opts, x in MODELS:
        rnt = os.path.join(out, f"{name}.rnt")
        ref = os.path.join(out, f"{name}_ref.npy")
        shape, _ = read_npy(os.path.join(ROOT, x))
        compiled = run([args.runt, "compile", os.path.join(ROOT, model), "-o", rnt, "--batch",
                        str(shape[0])] + opts, capture_output=True, text=True).stdout
        print(compiled, end="")
        mask = re.search(r"RUNT_REF_OP_MASK=(0x[0-9a-f]+)", compiled).group(1)
        run([args.runt, "run", rnt, "--backend", "ref", "--input", os.path.join(ROOT, x),
             "--output", ref], stdout=subprocess.DEVNULL)
        ref_shape, ref_words = read_npy(ref)
        batch, arena, size = write_model_sources(gen, name, rnt, os.path.join(ROOT, x),
                                                 len(ref_words))
        figures[name] = {"rnt": size, "arena": arena, "batch": batch, "ref": ref_words,
                         "ref_shape": ref_shape, "mask": mask}

    # One build with every reference kernel (both models), and one per model
    # with only the kernels its ops need (RUNT_REF_OP_MASK), as a firmware
    # for one model would be built.
    builds = [("all", [n for n, *_ in MODELS], "")] + \
             [(name, [name], figures[name]["mask"]) for name, *_ in MODELS]
    for build, models, mask in builds:
        fw = os.path.join(out, f"fw-{build}")
        run(["cmake", "-S", os.path.join(ROOT, "examples", "mcu"), "-B", fw,
             f"-DCMAKE_TOOLCHAIN_FILE={os.path.join(ROOT, 'toolchains', 'arm-none-eabi.cmake')}",
             f"-DRUNT_FW_MODELS={';'.join(models)}", f"-DRUNT_FW_GEN_DIR={gen}",
             f"-DRUNT_FW_OP_MASK={mask}"], stdout=subprocess.DEVNULL)
        run(["cmake", "--build", fw, "-j2"], stdout=subprocess.DEVNULL)

    failed, rows = [], []
    for build, models, mask in builds:
        for name in models:
            kernels = "every kernel" if build == "all" else "model's ops"
            fw = os.path.join(out, f"fw-{build}")
            elf = os.path.join(fw, f"firmware_{name}.elf")
            cmd = ["qemu-system-arm", "-M", "mps2-an386", "-nographic", "-monitor", "none",
                   "-serial", "none", "-semihosting", "-kernel", elf]
            print("$", " ".join(cmd), flush=True)
            try:
                p = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
            except subprocess.TimeoutExpired:
                failed.append(f"{name} ({kernels}): no exit within {args.timeout} s")
                continue
            text = p.stdout + p.stderr
            print("\n".join(l for l in text.splitlines() if not l.startswith("y ")))
            got = {int(i): int(b, 16) for i, b in re.findall(r"^y (\d+) 0x([0-9a-f]{8})", text, re.M)}
            want = figures[name]["ref"]
            after = re.search(r"allocations after load: (\d+)", text)
            pool = re.search(r"load-time pool: (\d+) bytes", text)
            what = f"{name} ({kernels})"
            if p.returncode != 0:
                failed.append(f"{what}: firmware exit status {p.returncode}")
            elif not after or after.group(1) != "0":
                failed.append(f"{what}: allocations after load: {after.group(1) if after else '?'}")
            elif len(got) != len(want) or [got.get(i) for i in range(len(want))] != want:
                diff = sum(1 for i in range(len(want)) if got.get(i) != want[i])
                failed.append(f"{what}: {diff} of {len(want)} outputs differ from the host's ref")
            else:
                print(f"{what}: {len(want)} outputs bit-exact with the host's reference backend")
            rows.append((name, kernels, section_sizes(elf),
                         runt_share(os.path.join(fw, f"firmware_{name}.map")),
                         int(pool.group(1)) if pool else None))

    print("\nfirmware for mps2-an386 (Cortex-M4F; arm-none-eabi-gcc -Os, --gc-sections, "
          "newlib-nano), bytes:")
    print(f"{'model':6} {'kernels':13} {'.text':>7} {'.rodata':>8} {'.data':>6} {'.bss':>7}  "
          f"{'runt .text':>10} {'runt .rodata':>12} {'.rnt':>6} {'arena':>7} {'pool':>6}")
    for name, kernels, s, sh, pool in rows:
        f = figures[name]
        print(f"{name:6} {kernels:13} {s.get('.text', 0):7} {s.get('.rodata', 0):8} "
              f"{s.get('.data', 0):6} {s.get('.bss', 0):7}  {sh['text']:10} {sh['rodata']:12} "
              f"{f['rnt']:6} {f['arena']:7} {pool if pool is not None else '-':>6}")
    print("(.rodata holds the .rnt; .bss the arena, the 64 KiB load-time pool and the outputs; "
          "pool: the most of it in use; the stack is 16 KiB more)")
    runt_text = {(name, kernels): sh["text"] for name, kernels, s, sh, pool in rows}
    mlp_text = runt_text.get(("mlp", "model's ops"))
    if mlp_text is None or mlp_text > MLP_RUNT_TEXT_LIMIT:
        failed.append(f"mlp (model's ops): runt's .text is {mlp_text} bytes, over "
                      f"{MLP_RUNT_TEXT_LIMIT}")
    # The op mask must take effect: a model's own build links fewer kernels.
    for name in figures:
        own, every = runt_text.get((name, "model's ops")), runt_text.get((name, "every kernel"))
        if own is not None and every is not None and own >= every:
            failed.append(f"{name}: the op-mask build's runt .text ({own} bytes) is not smaller "
                          f"than every kernel's ({every}): RUNT_FW_OP_MASK did not reach librunt")
    for f in failed:
        print("FAILED:", f)
    # each run, the size limit, and each model's op mask
    checks = sum(len(models) for _, models, _ in builds) + 1 + len(figures)
    print(f"{checks - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
