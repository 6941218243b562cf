#!/usr/bin/python3
"""report_png.py: is a PNG screenshot of the HTML report not blank? A small
PNG decoder (zlib + the five scanline filters, numpy for speed; 8-bit RGB or
RGBA, not interlaced) so no imaging package is needed. Prints one ok / not ok
line: enough distinct colours, enough non-white pixels, and the report's
Okabe-Ito group colours actually on screen.
  report_png.py FILE.png
"""
import struct
import sys
import zlib

import numpy as np


def png_pixels(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, hdr = 8, [], None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            hdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = hdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("unsupported PNG: depth %d colour type %d interlace %d" % (depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8)
    stride = w * bpp
    raw = raw.reshape(h, stride + 1)
    out = np.zeros((h, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int32)
    for r in range(h):
        f, line = raw[r, 0], raw[r, 1:].astype(np.int32)
        if f == 0:
            cur = line
        elif f == 2:
            cur = (line + prev) & 255
        elif f == 1:  # Sub: running sum per channel
            cur = (np.cumsum(line.reshape(w, bpp), axis=0) & 255).reshape(stride)
        else:  # Average, Paeth: sequential in the row
            cur = np.zeros(stride, dtype=np.int32)
            lv, pv = line.tolist(), prev.tolist()
            cv = [0] * stride
            for i in range(stride):
                a = cv[i - bpp] if i >= bpp else 0
                b = pv[i]
                if f == 3:
                    cv[i] = (lv[i] + ((a + b) >> 1)) & 255
                else:
                    c = pv[i - bpp] if i >= bpp else 0
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
                    cv[i] = (lv[i] + pred) & 255
            cur = np.array(cv, dtype=np.int32)
        out[r] = cur
        prev = cur
    return out.reshape(h, w, bpp)[:, :, :3]


def main():
    px = png_pixels(sys.argv[1])
    flat = px.reshape(-1, 3).astype(np.uint32)
    codes = flat[:, 0] << 16 | flat[:, 1] << 8 | flat[:, 2]
    distinct = len(np.unique(codes))
    nonwhite = float(np.mean(codes != 0xFFFFFF))
    wanted = {"blue #0072B2": 0x0072B2, "vermillion #D55E00": 0xD55E00,
              "green #009E73": 0x009E73}
    counts = {k: int(np.sum(codes == v)) for k, v in wanted.items()}
    missing = [k for k, c in counts.items() if c < 20]
    h, w = px.shape[:2]
    if distinct >= 16 and nonwhite >= 0.02 and not missing:
        print("ok - screenshot %dx%d is not blank: %d colours, %.1f%% non-white, group colours %s"
              % (w, h, distinct, 100 * nonwhite, counts))
    else:
        print("not ok - screenshot %dx%d looks blank: %d colours, %.1f%% non-white, missing %s"
              % (w, h, distinct, 100 * nonwhite, missing))


if __name__ == "__main__":
    main()
