#!/usr/bin/python3
"""make_imagefolder.py - a generated ImageFolder set for the tests: three classes of drawn
pictures on random backgrounds, PNG and JPEG, of various sizes (never dataset files).

Usage: /usr/bin/python3 tests/make_imagefolder.py OUT_DIR [--per-class N] [--seed S]

Writes OUT_DIR/<class>/<nnnn>.png|jpg (zero-padded numbers from 0001, the layout the page
exports and `excite train --images` reads). Classes, in the byte order of their names:
  circle    a filled disc
  stripes   parallel stripes (horizontal or vertical), sometimes framed
  三角形     a filled triangle at a random angle (a non-ASCII class name on purpose)
in a colour that stands out from the background (random colour noise); sizes 24..160 pixels a side, not square; every
second picture is a JPEG (quality 85..95), the others PNG (RGB or RGBA). Same seed, same
files. Default: 120 pictures per class, seed 1.
"""
import argparse
import os

import numpy as np
from PIL import Image, ImageDraw

CLASSES = ["circle", "stripes", "三角形"]


def background(rng, w, h):
    base = rng.integers(0, 256, 3)
    noise = rng.normal(0, 25, (h, w, 3))
    return base, np.clip(base + noise, 0, 255).astype(np.uint8)


def colour(rng, base):
    """A colour that stands out from the background's: its opposite, jittered."""
    return tuple(int(v) for v in np.clip(255 - base + rng.integers(-30, 31, 3), 0, 255))


def draw(cls, rng, w, h):
    base, pixels = background(rng, w, h)
    img = Image.fromarray(pixels)
    d = ImageDraw.Draw(img)
    s = min(w, h)
    r = s * rng.uniform(0.3, 0.45)
    cx = w / 2 + rng.uniform(-0.1, 0.1) * s
    cy = h / 2 + rng.uniform(-0.1, 0.1) * s
    if cls == "circle":
        d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=colour(rng, base))
    elif cls == "stripes":
        a, b = colour(rng, base), colour(rng, base)
        period = max(2, int(s * rng.uniform(0.08, 0.2)))
        vertical = rng.random() < 0.5
        for k in range(0, (w if vertical else h), period):
            box = [k, 0, k + period // 2, h] if vertical else [0, k, w, k + period // 2]
            d.rectangle(box, fill=a)
        if rng.random() < 0.5:
            d.rectangle([0, 0, w, h], outline=b, width=max(1, s // 16))
    else:
        t = rng.uniform(0, 2 * np.pi)
        pts = [(cx + r * 1.2 * np.cos(t + k * 2 * np.pi / 3), cy + r * 1.2 * np.sin(t + k * 2 * np.pi / 3))
               for k in range(3)]
        d.polygon(pts, fill=colour(rng, base))
    return img


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--per-class", type=int, default=120)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    for cls in CLASSES:
        os.makedirs(os.path.join(a.out, cls), exist_ok=True)
        for i in range(1, a.per_class + 1):
            w, h = (int(v) for v in rng.integers(24, 161, 2))
            img = draw(cls, rng, w, h)
            base = os.path.join(a.out, cls, "%04d" % i)
            if i % 2 == 0:
                img.save(base + ".jpg", quality=int(rng.integers(85, 96)))
            elif rng.random() < 0.3:
                img.convert("RGBA").save(base + ".png")
            else:
                img.save(base + ".png")
    print("make_imagefolder: %d pictures in %d classes in %s" % (a.per_class * len(CLASSES), len(CLASSES), a.out))


if __name__ == "__main__":
    main()
