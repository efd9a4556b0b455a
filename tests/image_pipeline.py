"""Pictures for the image-pipeline test (tests/browser/image-pipeline.spec.mjs), all made here
(never from a dataset), and a PyTorch/PIL reference of what the network sees in each.

  image_pipeline.py make DIR   writes the pictures and DIR/cases.json (name, what it is)
  image_pipeline.py ref DIR    reads DIR/cases.json, prints JSON: per picture the reference's
                               32x32 input (list of 3072 ints), and per model the probabilities

The reference is independent of the C code: PIL decodes (16-bit samples kept to their high
byte, as PNG readers that give 8 bits do), ImageOps.exif_transpose turns the picture upright,
convert('RGB') drops alpha, the centre square is cropped, and an exact area average to 32x32
is computed as A @ img @ A.T with A[r, s] = the overlap of source pixel s with output pixel
r's interval, in float64, rounded half up. The models are the lesson's classes
(tests/lesson_models.py) with weights/cnn.safetensors and weights/cnn_se.safetensors.
"""
import io
import json
import os
import struct
import sys
import zlib

import numpy as np

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def scene(w, h, seed):
    """A w x h RGB picture with structure in every corner (so turning and mirroring show)."""
    r = np.random.RandomState(seed)
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([(x * 255 // max(w - 1, 1)), (y * 255 // max(h - 1, 1)),
                    ((x + y) * 3) % 256], axis=-1).astype(np.int32)
    img[: max(1, h // 3), : max(1, w // 4)] = (230, 40, 30)          # a red block top-left
    img[h - max(1, h // 5):, w - max(1, w // 3):] = (20, 30, 200)    # a blue block bottom-right
    img += r.randint(-20, 21, size=img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def png_chunk(t, body):
    return struct.pack(">I", len(body)) + t + body + struct.pack(">I", zlib.crc32(t + body))


def png_raw(arr, bit_depth=8, extra=()):
    """PNG written by hand: arr (h, w) or (h, w, c) of uint8 or uint16; extra chunks before IDAT."""
    h, w = arr.shape[:2]
    c = 1 if arr.ndim == 2 else arr.shape[2]
    ctype = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    data = arr.astype(">u2" if bit_depth == 16 else "u1").reshape(h, -1).tobytes()
    row = len(data) // h
    raw = b"".join(b"\0" + data[i * row:(i + 1) * row] for i in range(h))
    out = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, ctype, 0, 0, 0))
    for t, body in extra:
        out += png_chunk(t, body)
    return out + png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b"")


def s15(v):
    return struct.pack(">i", int(round(v * 65536)))


def icc_linear_rgb():
    """An ICC v2 display profile: sRGB's primaries (D50) with gamma 1.0 curves. A browser that
    colour-manages a picture tagged with it changes every mid-tone a lot."""
    def xyz(x, y, z):
        return b"XYZ \0\0\0\0" + s15(x) + s15(y) + s15(z)
    desc_txt = b"excite test: linear sRGB\0"
    desc = b"desc\0\0\0\0" + struct.pack(">I", len(desc_txt)) + desc_txt + b"\0" * 8 + b"\0\0\0" + b"\0" * 67
    curv = b"curv\0\0\0\0" + struct.pack(">IH", 1, 0x0100) + b"\0\0"
    tags = [(b"desc", desc), (b"wtpt", xyz(0.9642, 1.0, 0.8249)),
            (b"rXYZ", xyz(0.4361, 0.2225, 0.0139)), (b"gXYZ", xyz(0.3851, 0.7169, 0.0971)),
            (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)), (b"rTRC", curv), (b"gTRC", curv), (b"bTRC", curv),
            (b"cprt", b"text\0\0\0\0no copyright\0\0\0\0")]
    off = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for sig, data in tags:
        while (off + len(body)) % 4:
            body += b"\0"
        table += sig + struct.pack(">II", off + len(body), len(data))
        body += data
    size = off + len(body)
    head = (struct.pack(">I", size) + b"\0\0\0\0" + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ " +
            struct.pack(">6H", 2024, 1, 1, 0, 0, 0) + b"acsp" + b"\0" * 24 + struct.pack(">I", 0) +
            s15(0.9642) + s15(1.0) + s15(0.8249) + b"\0" * 4 + b"\0" * 16 + b"\0" * 28)
    assert len(head) == 128
    return head + struct.pack(">I", len(tags)) + table + body


def jpeg(arr, orientation=None, quality=92):
    from PIL import Image
    im = Image.fromarray(arr)
    b = io.BytesIO()
    kw = {"quality": quality}
    if orientation is not None:
        ex = im.getexif()
        ex[0x0112] = orientation
        kw["exif"] = ex.tobytes()
    im.save(b, "JPEG", **kw)
    return b.getvalue()


def make(d):
    os.makedirs(d, exist_ok=True)
    cases = []

    def add(name, what, data):
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
        cases.append({"name": name, "what": what})

    icc = icc_linear_rgb()
    add("icc_451x300.png", "RGB PNG with an ICC profile (iCCP, linear-gamma RGB), 451x300",
        png_raw(scene(451, 300, 1), extra=[(b"iCCP", b"linear\0\0" + zlib.compress(icc))]))
    rgba = np.concatenate([scene(100, 60, 2), np.zeros((60, 100, 1), np.uint8)], axis=-1)
    rgba[..., 3] = (np.arange(100)[None, :] * 255 // 99).astype(np.uint8)   # 0 (transparent) .. 255
    add("alpha_100x60.png", "RGBA PNG, alpha from 0 to 255", png_raw(rgba))
    s16 = scene(50, 40, 3).astype(np.uint16) * 257 + np.random.RandomState(4).randint(0, 257, (40, 50, 3)).astype(np.uint16)
    add("rgb16_50x40.png", "16-bit RGB PNG", png_raw(s16, bit_depth=16))
    g16 = (scene(37, 45, 5)[..., 0].astype(np.uint16) * 256 + 77)
    add("grey16_37x45.png", "16-bit greyscale PNG", png_raw(g16, bit_depth=16))
    add("grey_80x80.png", "8-bit greyscale PNG", png_raw(scene(80, 80, 6)[..., 1]))
    add("grey_alpha_64x48.png", "greyscale + alpha PNG",
        png_raw(np.stack([scene(64, 48, 7)[..., 2], np.full((48, 64), 128, np.uint8)], axis=-1)))
    add("small_20x12.png", "RGB PNG below 32 (20x12)", png_raw(scene(20, 12, 8)))
    add("small_31x33.png", "RGB PNG just around 32 (31x33)", png_raw(scene(31, 33, 9)))
    add("exact_32x32.png", "RGB PNG of exactly 32x32", png_raw(scene(32, 32, 10)))
    add("tall_90x300.png", "RGB PNG, tall", png_raw(scene(90, 300, 11)))
    stored = scene(96, 60, 12)   # stored sideways: the upright picture depends on the tag
    for o in range(1, 9):
        add(f"exif{o}_96x60.jpg", f"JPEG, EXIF orientation {o}", jpeg(stored, o))
    add("noexif_640x480.jpg", "JPEG without EXIF, 640x480", jpeg(scene(640, 480, 13)))
    add("exif6_small_24x17.jpg", "JPEG below 32 with EXIF orientation 6", jpeg(scene(24, 17, 14), 6))
    add("grey_exif8_70x50.jpg", "greyscale JPEG, EXIF orientation 8",
        jpeg(scene(70, 50, 15)[..., 0], 8))
    # formats the core does not decode: the browser decodes them (no colour conversion) and
    # the core fits the pixels; each has a PNG twin with the same pixels for the program
    from PIL import Image
    pal = Image.fromarray(scene(120, 80, 16)).quantize(64)
    b = io.BytesIO()
    pal.save(b, "GIF")
    add("palette_120x80.gif", "GIF (browser-decoded), twin of palette_120x80.png", b.getvalue())
    add("palette_120x80.png", "the GIF's pixels as a PNG", png_raw(np.asarray(pal.convert("RGB"))))
    b = io.BytesIO()
    Image.fromarray(scene(70, 90, 17)).save(b, "BMP")
    add("bitmap_70x90.bmp", "BMP (browser-decoded), twin of bitmap_70x90.png", b.getvalue())
    add("bitmap_70x90.png", "the BMP's pixels as a PNG", png_raw(scene(70, 90, 17)))
    for c in cases:
        if not c["name"].endswith((".png", ".jpg")):
            c["twin"] = c["name"].rsplit(".", 1)[0] + ".png"
    with open(os.path.join(d, "cases.json"), "w") as f:
        json.dump(cases, f, indent=1)


def area_matrix(side, n=32):
    a = np.zeros((n, side))
    for r in range(n):
        lo, hi = r * side / n, (r + 1) * side / n
        for s in range(int(lo), min(side, int(np.ceil(hi)))):
            a[r, s] = max(0.0, min(s + 1, hi) - max(s, lo))
    return a / a.sum(axis=1, keepdims=True)


def reference_input(path):
    from PIL import Image, ImageOps
    im = Image.open(path)
    im.load()
    if im.mode in ("I;16", "I;16B", "I"):   # 16-bit grey: the high byte
        im = Image.fromarray((np.asarray(im, dtype=np.uint32) >> 8).astype(np.uint8), "L")
    im = ImageOps.exif_transpose(im).convert("RGB")
    w, h = im.size
    side = min(w, h)
    x0, y0 = (w - side) // 2, (h - side) // 2
    px = np.asarray(im, dtype=np.float64)[y0:y0 + side, x0:x0 + side]
    a = area_matrix(side)
    out = np.einsum("rs,sxc,qx->crq", a, px, a)
    box = np.asarray(im.crop((x0, y0, x0 + side, y0 + side)).resize((32, 32), Image.BOX)).transpose(2, 0, 1)
    return np.floor(out + 0.5).clip(0, 255).astype(np.uint8), box.astype(np.uint8)


def ref(d):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import torch
    import lesson_models as lm
    torch.set_grad_enabled(False)
    models = {}
    for kind, f in (("CNN", "cnn.safetensors"), ("CNN_SE", "cnn_se.safetensors")):
        m = lm.make(kind)
        sd, _ = lm.load_safetensors(os.path.join(ROOT, "weights", f))
        m.load_state_dict(sd)
        models[kind] = m.eval()
    cases = json.load(open(os.path.join(d, "cases.json")))
    res = {}
    for c in cases:
        if "twin" in c:
            continue
        inp, box = reference_input(os.path.join(d, c["name"]))
        r = {"input": inp.reshape(-1).tolist(), "probs": {}, "box_top1": {}}
        for kind, m in models.items():
            for key, arr in (("probs", inp), ("box", box)):
                p = torch.softmax(m(lm.normalize(arr[None])), dim=1)[0]
                if key == "probs":
                    r["probs"][kind] = [float(v) for v in p]
                else:
                    r["box_top1"][kind] = int(p.argmax())
        res[c["name"]] = r
    json.dump(res, sys.stdout)


if __name__ == "__main__":
    {"make": make, "ref": ref}[sys.argv[1]](sys.argv[2])
