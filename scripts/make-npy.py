#!/usr/bin/env python3
"""Writes a .npy file of uniform random float32 values of a given shape, or
prints one (--print), with the standard library only (no NumPy needed)."""
import random
import struct
import sys


def write(path, shape):
    count = 1
    for d in shape:
        count *= d
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % (
        "".join("%d, " % d for d in shape) if len(shape) == 1 else ", ".join(str(d) for d in shape))
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    rng = random.Random(1)
    with open(path, "wb") as f:
        f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1"))
        f.write(struct.pack("<%df" % count, *(rng.uniform(-1, 1) for _ in range(count))))


def show(path):
    data = open(path, "rb").read()
    n = struct.unpack("<H", data[8:10])[0]
    header = data[10:10 + n].decode("latin1").strip()
    values = struct.unpack("<%df" % ((len(data) - 10 - n) // 4), data[10 + n:])
    print("%s: %s" % (path, header))
    print(" ".join("%.5f" % v for v in values[:16]) + (" ..." if len(values) > 16 else ""))


if __name__ == "__main__":
    if sys.argv[1] == "--print":
        show(sys.argv[2])
    else:
        write(sys.argv[1], [int(d) for d in sys.argv[2:]])
