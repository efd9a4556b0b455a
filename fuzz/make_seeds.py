#!/usr/bin/python3
"""Writes the committed seed corpora of the fuzz targets into fuzz/corpus/<name>/.

Every seed is synthetic: safetensors files built here byte by byte, CIFAR-like records of
random bytes from a fixed seed (never dataset bytes), and tiny PNG/JPEG/BMP/GIF images
drawn here. Needs only the standard library, plus Pillow (Debian python3-pil) for the JPEG
and GIF seeds. Run from anywhere: /usr/bin/python3 fuzz/make_seeds.py
The input format of each target (the mode byte and so on) is described at the top of its
fuzz/fuzz_<name>.c.
"""
import json
import os
import random
import shutil
import struct
import sys
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
rnd = random.Random(20261128)

# ---- safetensors -------------------------------------------------------------------------
DT_SIZE = {"BOOL": 1, "U8": 1, "I8": 1, "U16": 2, "I16": 2, "F16": 2, "BF16": 2, "U32": 4,
           "I32": 4, "F32": 4, "U64": 8, "I64": 8, "F64": 8}


def state_dict_shapes(se):
    """The lesson's state dict in PyTorch's attribute order (see tests/lesson_models.py)."""
    out = []
    for i, (ci, co) in enumerate([(3, 32), (32, 64), (64, 128)], 1):
        out += [(f"conv{i}.weight", [co, ci, 3, 3]), (f"conv{i}.bias", [co])]
        for s in ("weight", "bias", "running_mean", "running_var"):
            out.append((f"bn{i}.{s}", [co]))
        out.append((f"bn{i}.num_batches_tracked", []))
        if se:
            out += [(f"ca{i}.fc.0.weight", [co // 16, co]), (f"ca{i}.fc.2.weight", [co, co // 16])]
    out += [("fc1.weight", [512, 2048]), ("fc1.bias", [512]), ("fc2.weight", [10, 512]),
            ("fc2.bias", [10])]
    return out


def numel(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def header_for(tensors, meta=None, float_dtype="F32"):
    """tensors: [(name, shape)] or [(name, shape, dtype)]; returns (header dict, data length)."""
    h, off = {}, 0
    if meta is not None:
        h["__metadata__"] = meta
    for t in tensors:
        name, shape = t[0], t[1]
        dt = t[2] if len(t) > 2 else ("I64" if name.endswith("num_batches_tracked") else float_dtype)
        n = numel(shape) * DT_SIZE[dt]
        h[name] = {"dtype": dt, "shape": shape, "data_offsets": [off, off + n]}
        off += n
    return h, off


def st_file(header, data, pad=True):
    hb = header if isinstance(header, bytes) else json.dumps(header, separators=(",", ":")).encode()
    if pad:
        hb += b" " * (-len(hb) % 8)
    return struct.pack("<Q", len(hb)) + hb + data


def raw(path, file_bytes):
    write(path, b"R" + file_bytes)


def hdr_mode(path, header, data_len):
    hb = header if isinstance(header, bytes) else json.dumps(header, separators=(",", ":")).encode()
    write(path, b"H" + struct.pack("<I", data_len) + hb)


def write(path, b):
    full = os.path.join(ROOT, path)
    os.makedirs(os.path.dirname(full), exist_ok=True)
    with open(full, "wb") as f:
        f.write(b)


def f32(*v):
    return struct.pack(f"<{len(v)}f", *v)


def safetensors_seeds():
    d = "safetensors/"
    # small valid files, one feature each
    h, n = header_for([("a", [2, 3])])
    raw(d + "ok_f32_2x3", st_file(h, f32(*range(6))))
    h, n = header_for([("x", [], "F64"), ("y", [0], "F32"), ("z", [1, 1, 1, 1, 1, 1, 1, 2], "I8")],
                      meta={"format": "pt", "note": "caf\u00e9 \\\" \u4e2d\u6587"})
    raw(d + "ok_scalar_empty_8d_meta", st_file(h, bytes(n)))
    for dt in DT_SIZE:
        h, n = header_for([("t", [3], dt)])
        raw(d + f"ok_dtype_{dt}", st_file(h, bytes(rnd.randrange(256) for _ in range(n))))
    raw(d + "ok_empty_object", st_file({}, b""))
    raw(d + "ok_unpadded", st_file(header_for([("a", [1])])[0], f32(1.0), pad=False))
    raw(d + "ok_whitespace", st_file(b'{ "a" : {"shape":[1] ,"dtype" : "F32",\t"data_offsets":[0,4]}\n}',
                                     f32(2.0), pad=False))
    raw(d + "bad_leading_whitespace", st_file(b' \n{ "a" : {"shape":[1] ,"dtype" : "F32",\t"data_offsets":[0,4]} }',
                                     f32(2.0), pad=False))
    raw(d + "ok_escaped_name", st_file(b'{"\\u0061\\ud83d\\ude00\\n":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}',
                                       f32(3.0)))
    # broken files
    raw(d + "bad_empty", b"")
    raw(d + "bad_short_length", b"\x10\x00\x00")
    raw(d + "bad_huge_header_length", struct.pack("<Q", 2**63 + 5) + b"{}")
    raw(d + "bad_header_longer_than_file", struct.pack("<Q", 1000) + b"{}      ")
    raw(d + "bad_header_max", struct.pack("<Q", 0xFFFFFFFFFFFFFFFF) + b"{}")
    h, n = header_for([("a", [2]), ("b", [2])])
    h["b"]["data_offsets"] = [4, 12]
    raw(d + "bad_overlapping_offsets", st_file(h, bytes(12)))
    h, n = header_for([("a", [2]), ("b", [2])])
    h["b"]["data_offsets"] = [12, 20]
    raw(d + "bad_hole", st_file(h, bytes(20)))
    h, n = header_for([("a", [2, 3])])
    raw(d + "bad_truncated_data", st_file(h, bytes(n - 3)))
    raw(d + "bad_trailing_data", st_file(h, bytes(n + 4)))
    h["a"]["shape"] = [2, 2]
    raw(d + "bad_numel_mismatch", st_file(h, bytes(n)))
    h, n = header_for([("a", [2**32, 2**32, 2**32])])
    raw(d + "bad_shape_overflow", st_file(h, b""))
    raw(d + "bad_duplicate_name", st_file(b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},'
                                          b'"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', bytes(8)))
    raw(d + "bad_dtype", st_file(b'{"a":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}}', bytes(1)))
    raw(d + "bad_json_unterminated", st_file(b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]', bytes(4)))
    raw(d + "bad_nul_in_name", st_file(b'{"a\\u0000b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', bytes(4)))
    raw(d + "bad_lone_surrogate", st_file(b'{"\\ud800":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', bytes(4)))
    raw(d + "bad_invalid_utf8", st_file(b'{"\xff\xfe":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', bytes(4)))
    raw(d + "bad_negative_dim", st_file(b'{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', bytes(4)))
    raw(d + "bad_float_dim", st_file(b'{"a":{"dtype":"F32","shape":[1.0e0],"data_offsets":[0,4]}}', bytes(4)))
    raw(d + "bad_big_number", st_file(b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,18446744073709551620]}}', bytes(4)))
    raw(d + "bad_deep_metadata", st_file(b'{"__metadata__":' + b"[" * 5000 + b"]" * 5000 + b"}", b""))
    raw(d + "bad_metadata_not_string", st_file(b'{"__metadata__":{"a":1}}', b""))
    raw(d + "bad_9_dims", st_file(header_for([("a", [1] * 9)])[0], f32(0.0)))
    raw(d + "bad_not_object", st_file(b'[]', b""))
    # NaN and infinity: st_parse accepts them, the model loader must refuse them
    h, n = header_for([("a", [3])])
    raw(d + "nan_values", st_file(h, f32(float("nan"), float("inf"), 1.0)))
    # header mode: the model's state dicts with a synthesised data section
    for se in (0, 1):
        kind = "cnn_se" if se else "cnn"
        shapes = state_dict_shapes(se)
        h, n = header_for(shapes, meta={"format": "pt", "model": kind.upper()})
        hdr_mode(d + f"model_{kind}_f32", h, n)
        h, n = header_for(shapes, float_dtype="F16")
        hdr_mode(d + f"model_{kind}_f16", h, n)
        # one thing wrong each
        h, n = header_for(shapes[:-1])
        hdr_mode(d + f"model_{kind}_missing_key", h, n)
        h, n = header_for(shapes + [("extra.weight", [4])])
        hdr_mode(d + f"model_{kind}_extra_key", h, n)
        bad = [(nm, [sh[0], sh[1] + 1] if nm == "fc2.weight" else sh) for nm, sh in shapes]
        h, n = header_for(bad)
        hdr_mode(d + f"model_{kind}_wrong_shape", h, n)
        bad = [(nm, sh, "F64" if nm == "fc2.bias" else ("I64" if "num_batches" in nm else "F32")) for nm, sh in shapes]
        h, n = header_for(bad)
        hdr_mode(d + f"model_{kind}_wrong_dtype", h, n)
        bad = [(nm, sh, "F32") for nm, sh in shapes]
        h, n = header_for(bad)
        hdr_mode(d + f"model_{kind}_nbt_f32", h, n)
    h, n = header_for(state_dict_shapes(0))
    hdr_mode(d + "model_cnn_short_data", h, n - 4)
    # model shapes: class names (metadata "classes", a JSON array in a string) and the
    # reduction ratio (metadata "reduction"), valid and not
    names = json.dumps(["\u732b", "dog \"q\"", "\U0001f600", "d", "e", "f", "g", "h", "i", "j"])
    for tag, meta in (("classes_ok", {"classes": names}),
                      ("classes_raw_utf8", {"classes": json.dumps(["猫", "b", "c", "d", "e", "f", "g", "h", "i", "j"],
                                                                  ensure_ascii=False)}),
                      ("classes_wrong_count", {"classes": '["a","b"]'}),
                      ("classes_duplicate", {"classes": json.dumps(["A", "a", "c", "d", "e", "f", "g", "h", "i", "j"])}),
                      ("classes_not_json", {"classes": '["a",'}),
                      ("classes_lone_surrogate", {"classes": '["\\ud800","b","c","d","e","f","g","h","i","j"]'}),
                      ("reduction_15", {"reduction": "15"}),
                      ("reduction_bad", {"reduction": "0x10"})):
        h, n = header_for(state_dict_shapes(1), meta=meta)
        hdr_mode(d + f"model_cnn_se_{tag}", h, n)


def safetensors_dict():
    words = ["{", "}", "[", "]", ":", ",", '"', "\\u", "\\ud800", "\\\\", "__metadata__", "dtype",
             "shape", "data_offsets", "true", "null", "-", "1e9", "18446744073709551615", "0.5",
             "classes", "reduction", "[\\\"", "\\\"]"]
    words += list(DT_SIZE)
    names = sorted({n.split(".")[0] for n, _ in state_dict_shapes(1)} |
                   {n.split(".", 1)[1] for n, _ in state_dict_shapes(1)})
    words += names
    with open(os.path.join(os.path.dirname(ROOT), "safetensors.dict"), "w") as f:
        f.write("# libFuzzer dictionary for fuzz_safetensors (written by fuzz/make_seeds.py)\n")
        for w in words:
            f.write('"' + w.replace("\\", "\\\\").replace('"', '\\"') + '"\n')


# ---- CIFAR -------------------------------------------------------------------------------
def record(label):
    return bytes([label]) + bytes(rnd.randrange(256) for _ in range(3072))


def cifar_seeds():
    d = "cifar/"
    # flags: bits 0-2 limit, bit 3 augment, bits 4-5 mode (0 parse, 1 load file, 2 class names)
    two = record(3) + record(9)
    write(d + "parse_one", bytes([0x00, 1]) + record(0))
    write(d + "parse_two_augment", bytes([0x08, 2]) + two)
    write(d + "parse_three_limit2", bytes([0x02, 3]) + two + record(5))
    write(d + "parse_truncated", bytes([0x00, 4]) + two[:-100])
    write(d + "parse_bad_label", bytes([0x00, 5]) + record(10))
    write(d + "parse_empty", bytes([0x00, 6]))
    write(d + "load_two", bytes([0x10, 7]) + two)
    write(d + "load_truncated", bytes([0x18, 8]) + record(1)[:3000])
    write(d + "load_empty", bytes([0x10, 9]))
    names = b"airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n\n"
    write(d + "names_ok", bytes([0x20, 0]) + names)
    write(d + "names_crlf", bytes([0x20, 0]) + names.replace(b"\n", b"\r\n"))
    write(d + "names_too_few", bytes([0x20, 0]) + b"a\nb\nc\n")
    write(d + "names_too_many", bytes([0x20, 0]) + names + b"eleven\ntwelve\n")
    write(d + "names_long", bytes([0x20, 0]) + b"x" * 100 + b"\n" + names)
    write(d + "names_no_newline", bytes([0x20, 0]) + names.rstrip(b"\n"))
    write(d + "names_binary", bytes([0x20, 0]) + bytes(rnd.randrange(256) for _ in range(200)))


# ---- images ------------------------------------------------------------------------------
def png(w, h, color_type, bit_depth=8, interlace=0, rows=None):
    ch = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[color_type]
    if rows is None:
        rowlen = (w * ch * bit_depth + 7) // 8
        rows = b"".join(b"\x00" + bytes(rnd.randrange(256) for _ in range(rowlen)) for _ in range(h))
    chunks = [(b"IHDR", struct.pack(">IIBBBBB", w, h, bit_depth, color_type, 0, 0, interlace))]
    if color_type == 3:
        chunks.append((b"PLTE", bytes(rnd.randrange(256) for _ in range(3 * 16))))
    chunks.append((b"IDAT", zlib.compress(rows)))
    chunks.append((b"IEND", b""))
    out = b"\x89PNG\r\n\x1a\n"
    for t, body in chunks:
        out += struct.pack(">I", len(body)) + t + body + struct.pack(">I", zlib.crc32(t + body))
    return out


def image_seeds():
    d = "image/"
    write(d + "png_rgb_8x6", png(8, 6, 2))
    write(d + "png_rgba_40x33", png(40, 33, 6))
    write(d + "png_grey_1x1", png(1, 1, 0))
    write(d + "png_grey_alpha_5x64", png(5, 64, 4))
    write(d + "png_palette_4bit", png(7, 7, 3, bit_depth=4))
    write(d + "png_16bit", png(3, 3, 2, bit_depth=16))
    write(d + "png_interlaced", png(9, 9, 2, interlace=1))
    write(d + "png_huge_dims", png(6000, 6000, 2, rows=b""))
    write(d + "png_truncated", png(16, 16, 2)[:60])
    write(d + "not_an_image", b"This is a text file renamed to .png\n")
    write(d + "empty", b"")
    bmp_px = bytes(rnd.randrange(256) for _ in range(4 * 3 * 4))
    bmp = (b"BM" + struct.pack("<IHHI", 54 + len(bmp_px), 0, 0, 54) +
           struct.pack("<IiiHHIIiiII", 40, 4, 4, 1, 24, 0, len(bmp_px), 2835, 2835, 0, 0) + bmp_px)
    write(d + "bmp_4x4", bmp)
    # 'F' mode: image_fit_32 alone (u16 w-1, u16 h-1, u8 channels-1, pixels)
    for w, h, ch in [(1, 1, 1), (33, 31, 3), (1000, 3, 4), (32, 32, 2), (65536, 1, 3), (47, 200, 3)]:
        write(d + f"fit_{w}x{h}x{ch}", b"F" + struct.pack("<HHB", w - 1, h - 1, ch - 1) +
              bytes(rnd.randrange(256) for _ in range(97)))
    try:
        from PIL import Image
    except ImportError:
        print("make_seeds: Pillow missing, JPEG and GIF seeds skipped", file=sys.stderr)
        return
    import io
    img = Image.new("RGB", (12, 10))
    img.putdata([(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)) for _ in range(120)])
    for name, kw in [("jpeg_baseline", {}), ("jpeg_progressive", {"progressive": True}),
                     ("jpeg_q10_420", {"quality": 10, "subsampling": 2})]:
        b = io.BytesIO()
        img.save(b, "JPEG", **kw)
        write(d + name, b.getvalue())
    b = io.BytesIO()
    img.convert("L").save(b, "JPEG")
    write(d + "jpeg_grey", b.getvalue())
    b = io.BytesIO()
    img.convert("CMYK").save(b, "JPEG")
    write(d + "jpeg_cmyk", b.getvalue())
    b = io.BytesIO()
    img.save(b, "GIF")
    write(d + "gif_12x10", b.getvalue())


# ---- EXIF orientation (JPEG APP1) ----------------------------------------------------------
def tiff(orientation, le=True, typ=3, count=1, ifd=8, entries=None):
    e = "<" if le else ">"
    head = (b"II" if le else b"MM") + struct.pack(e + "HI", 42, ifd)
    if entries is None:
        entries = [(0x010F, 2, 4, b"cam\0"), (0x0112, typ, count,
                   struct.pack(e + "HH", orientation, 0) if typ == 3 else struct.pack(e + "I", orientation))]
    body = struct.pack(e + "H", len(entries))
    for tag, t, c, v in entries:
        body += struct.pack(e + "HHI", tag, t, c) + v
    return head + b"\0" * (ifd - 8) + body + b"\0\0\0\0"


def segment(marker, payload):
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def jpeg_head(*segments):
    # SOI, the segments, then the start of a scan (what follows is not read)
    return b"\xff\xd8" + b"".join(segments) + b"\xff\xda\x00\x08\x01\x01\x00\x00\x3f\x00"


def exif_seeds():
    d = "exif/"
    jfif = segment(0xE0, b"JFIF\0\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    for o in range(1, 9):
        write(d + f"orientation_{o}_ii", jpeg_head(jfif, segment(0xE1, b"Exif\0\0" + tiff(o))))
        write(d + f"orientation_{o}_mm", jpeg_head(segment(0xE1, b"Exif\0\0" + tiff(o, le=False))))
    xmp = segment(0xE1, b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta/>")
    write(d + "xmp_then_exif", jpeg_head(xmp, segment(0xE1, b"Exif\0\0" + tiff(6))))
    write(d + "fill_bytes", b"\xff\xd8\xff\xff\xff" + segment(0xE1, b"Exif\0\0" + tiff(8))[1:])
    write(d + "ifd_gap", jpeg_head(segment(0xE1, b"Exif\0\0" + tiff(3, ifd=20))))
    write(d + "type_long", jpeg_head(segment(0xE1, b"Exif\0\0" + tiff(6, typ=4))))
    write(d + "value_9", jpeg_head(segment(0xE1, b"Exif\0\0" + tiff(9))))
    write(d + "ifd_past_end", jpeg_head(segment(0xE1, b"Exif\0\0" + tiff(6)[:4] + struct.pack("<I", 0xFFFFFFF0))))
    many = tiff(6)
    write(d + "count_too_big", jpeg_head(segment(0xE1, b"Exif\0\0" + many[:8] + b"\xff\xff" + many[10:])))
    seg = segment(0xE1, b"Exif\0\0" + tiff(6))
    write(d + "segment_past_end", b"\xff\xd8" + seg[:2] + b"\x40\x00" + seg[4:])
    write(d + "truncated", jpeg_head(seg)[:30])
    write(d + "no_exif", jpeg_head(jfif))
    write(d + "exif_after_scan", b"\xff\xd8\xff\xda\x00\x02" + seg)
    write(d + "soi_only", b"\xff\xd8")
    write(d + "empty", b"")
    write(d + "png", png(2, 2, 2))
    try:
        from PIL import Image
    except ImportError:
        print("make_seeds: Pillow missing, the whole-JPEG EXIF seed skipped", file=sys.stderr)
        return
    import io
    img = Image.new("RGB", (12, 10))
    r = random.Random(0x0112)   # its own generator: the same bytes whichever targets are written
    img.putdata([(r.randrange(256), r.randrange(256), r.randrange(256)) for _ in range(120)])
    ex = img.getexif()
    ex[0x0112] = 6
    b = io.BytesIO()
    img.save(b, "JPEG", exif=ex.tobytes())
    write(d + "jpeg_pil_orientation_6", b.getvalue())


SEEDS = {"safetensors": (safetensors_seeds, safetensors_dict), "cifar": (cifar_seeds,),
         "image": (image_seeds,), "exif": (exif_seeds,)}

if __name__ == "__main__":
    # make_seeds.py [target...]: rewrite those corpora (default: all)
    for sub in sys.argv[1:] or list(SEEDS):
        shutil.rmtree(os.path.join(ROOT, sub), ignore_errors=True)
        for f in SEEDS[sub]:
            f()
    for sub in sorted(os.listdir(ROOT)):
        files = os.listdir(os.path.join(ROOT, sub))
        size = sum(os.path.getsize(os.path.join(ROOT, sub, f)) for f in files)
        print(f"fuzz/corpus/{sub}: {len(files)} seeds, {size} bytes")
