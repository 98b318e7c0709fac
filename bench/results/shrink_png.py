#!/usr/bin/env python3
"""Recompresses PNGs losslessly (zlib level 9) for the repository.

    python3 bench/results/shrink_png.py DIR...

runt_plot_write_png writes its image data in stored (uncompressed) deflate
blocks so it needs no zlib; the recorded plots here are the same pixels
with the IDAT stream deflated, about 50x smaller.
"""

import os
import struct
import sys
import zlib


def chunks(data):
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        yield kind, data[pos + 8:pos + 8 + length]
        pos += 12 + length


def chunk(kind, body):
    return (struct.pack(">I", len(body)) + kind + body +
            struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))


def shrink(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path}: not a PNG")
    idat = b"".join(body for kind, body in chunks(data) if kind == b"IDAT")
    pixels = zlib.decompress(idat)
    out = [data[:8]]
    for kind, body in chunks(data):
        if kind == b"IDAT":
            if idat is not None:
                out.append(chunk(b"IDAT", zlib.compress(pixels, 9)))
                idat = None
        else:
            out.append(chunk(kind, body))
    new = b"".join(out)
    assert zlib.decompress(b"".join(b for k, b in chunks(new) if k == b"IDAT")) == pixels
    open(path, "wb").write(new)
    return len(data), len(new)


def main(argv):
    for d in argv[1:]:
        for name in sorted(os.listdir(d)):
            if name.endswith(".png"):
                before, after = shrink(os.path.join(d, name))
                print(f"{os.path.join(d, name)}: {before} -> {after} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
