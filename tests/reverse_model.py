#!/usr/bin/python3
"""reverse_model.py - weights trained by the C core, loaded into the lesson's PyTorch class.

Usage: /usr/bin/python3 tests/reverse_model.py KIND WEIGHTS.safetensors LOGITS.safetensors [TOL]
       [--reduction R] [--classes N]

Loads WEIGHTS (written by model_save_file) into CNN or CNN_SE with load_state_dict(strict=True)
(CNN_SE built with ChannelAttention(in_channels, reduction_ratio=R); with N classes, after
model.fc2 = nn.Linear(512, N), as a user would),
runs an eval-mode forward on LOGITS' `x` and compares with the C logits `logits`.
Exit status 0 if max |diff| <= TOL (default 1e-4), 1 otherwise. Called by tests/test_model.c.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lesson_models as L  # noqa: E402


def main():
    args = sys.argv[1:]
    opts = {"--reduction": 16, "--classes": 10}
    for k in list(opts):
        if k in args:
            i = args.index(k)
            opts[k] = int(args[i + 1])
            del args[i:i + 2]
    kind, wpath, lpath = args[0:3]
    tol = float(args[3]) if len(args) > 3 else 1e-4
    sd, meta = L.load_safetensors(wpath)
    model = L.make(kind, reduction_ratio=opts["--reduction"])
    if opts["--classes"] != 10:
        model.fc2 = torch.nn.Linear(512, opts["--classes"])
    model.load_state_dict(sd, strict=True)  # raises on missing/extra keys or shape mismatches
    for k, v in sd.items():  # dtypes as PyTorch keeps them
        want = model.state_dict()[k].dtype
        if v.dtype != want:
            print("reverse %s: %s has dtype %s, PyTorch uses %s" % (kind, k, v.dtype, want))
            return 1
    model.eval()
    ref, _ = L.load_safetensors(lpath)
    with torch.no_grad():
        logits = model(ref["x"])
    d = (logits - ref["logits"]).abs().max().item()
    ok = d <= tol
    print("  reverse %s R=%d N=%d: %s (model=%s) -> load_state_dict(strict=True), eval logits of %d "
          "images: max|diff| %.3g (tol %.0e) %s" % (kind, opts["--reduction"], opts["--classes"],
                                                   os.path.basename(wpath), meta.get("model"),
                                                   ref["x"].shape[0], d, tol, "ok" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
