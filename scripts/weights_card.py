#!/usr/bin/python3
"""weights_card.py - turn the trained weights into the shipped files and their model card.

Usage: /usr/bin/python3 scripts/weights_card.py WORKDIR

WORKDIR (written by scripts/train-weights.sh) holds, for each model m in cnn, cnn_se:
  m-best.safetensors    F32 weights of the epoch with the lowest validation loss
  m-batches.csv, m-epochs.csv, m.log   the training logs
and optionally notes.md (remarks on the run and on SE's cost, written by hand) and seeds.md (the
short seed study, scripts/seed-study.sh), included in the card as they are; each is taken from
weights/logs/ when WORKDIR has none.

For each model it writes weights/m.safetensors: F16 when that moves test accuracy by at most
0.1 points against F32, else F32; copies the logs to weights/logs/; and writes weights/README.md
(the model card) from the evaluations of build/excite. Needs numpy only (no torch).
"""
import hashlib
import json
import os
import re
import shutil
import struct
import subprocess
import sys

import numpy as np

EXCITE = "build/excite"
MODELS = [("cnn", "CNN"), ("cnn_se", "CNN_SE")]
CLASSES = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
F16_MAX_MOVE = 0.1  # accuracy points


def to_f16(src, dst):
    """Rewrites the F32 tensors of a safetensors file as F16 (round to nearest even)."""
    raw = open(src, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", None)
    data = raw[8 + n:]
    out_header, chunks, off = {}, [], 0
    for name, e in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        a, b = e["data_offsets"]
        buf = data[a:b]
        dtype = e["dtype"]
        if dtype == "F32":
            buf = np.frombuffer(buf, "<f4").astype("<f2").tobytes()
            dtype = "F16"
        out_header[name] = {"dtype": dtype, "shape": e["shape"], "data_offsets": [off, off + len(buf)]}
        chunks.append(buf)
        off += len(buf)
    if meta is not None:
        out_header = {"__metadata__": meta, **out_header}
    h = json.dumps(out_header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(chunks))


def evaluate(path):
    """Runs excite eval; returns (accuracy %, loss, per-class %, confusion rows, text)."""
    out = subprocess.run([EXCITE, "eval", "--weights", path], check=True, capture_output=True,
                         text=True).stdout
    m = re.search(r"test: (\d+) images\s+loss ([0-9.]+)\s+accuracy ([0-9.]+)%", out)
    per_class = {c: float(v) for c, v in re.findall(r"^\s*(\w+)\s+([0-9.]+)%", out, re.M) if c in CLASSES}
    conf = [list(map(int, row.split()[1:])) for row in out.splitlines()
            if row.split() and row.split()[0] in CLASSES and len(row.split()) == 11]
    return float(m.group(3)), float(m.group(2)), per_class, conf, out


def sha256(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def read_csv(path):
    lines = open(path).read().strip().splitlines()
    cols = lines[0].split(",")
    return [dict(zip(cols, map(float, ln.split(",")))) for ln in lines[1:]]


def main():
    work = sys.argv[1]
    os.makedirs("weights/logs", exist_ok=True)
    rows, details, info = [], [], {}
    for m, kind in MODELS:
        best = os.path.join(work, m + "-best.safetensors")
        half = os.path.join(work, m + "-f16.safetensors")
        to_f16(best, half)
        acc32, loss32, _, _, _ = evaluate(best)
        acc16, loss16, per_class, conf, _ = evaluate(half)
        move = acc16 - acc32
        ship_src = half if abs(move) <= F16_MAX_MOVE else best
        dst = "weights/%s.safetensors" % m
        shutil.copyfile(ship_src, dst)
        acc, loss, per_class, conf, _ = evaluate(dst)
        for suffix in ("-batches.csv", "-epochs.csv"):
            shutil.copyfile(os.path.join(work, m + suffix), "weights/logs/" + m + suffix)
        epochs = read_csv(os.path.join(work, m + "-epochs.csv"))
        best_epoch = min(epochs, key=lambda r: r["val_loss"])
        info[m] = dict(kind=kind, acc=acc, loss=loss, acc32=acc32, acc16=acc16, move=move,
                       dtype="F16" if ship_src == half else "F32", size=os.path.getsize(dst),
                       sha=sha256(dst), per_class=per_class, conf=conf, epochs=len(epochs),
                       best_epoch=int(best_epoch["epoch"]), best_val=best_epoch["val_acc"],
                       seconds=sum(r["seconds"] for r in epochs),
                       lrs=sorted({r["lr"] for r in epochs}, reverse=True))
    write_card(info, work)


def fmt_time(s):
    return "%d h %02d min" % (s // 3600, (s % 3600) // 60) if s >= 3600 else "%d min" % round(s / 60)


def write_card(info, work):
    cfg = open(os.path.join(work, "recipe.txt")).read().strip()
    L = []
    L.append("# Pretrained weights: CNN and CNN_SE on CIFAR-10\n")
    L.append("Trained with this repository's C core (`build/excite`), on the CPU of a 2-core machine. "
             "The files hold PyTorch's state_dict names, so they load into the lesson's classes "
             "with `load_state_dict` (see `tests/lesson_models.py`) as well as into the native "
             "program and the page.\n")
    L.append("## Files\n")
    L.append("| file | model | dtype | bytes | sha256 | test accuracy |")
    L.append("|---|---|---|---|---|---|")
    for m, _ in MODELS:
        i = info[m]
        L.append("| %s.safetensors | %s | %s | %d | %s | %.2f %% |" % (m, i["kind"], i["dtype"], i["size"], i["sha"], i["acc"]))
    L.append("")
    L.append("Logs: `logs/<model>-batches.csv` (one row per batch) and `logs/<model>-epochs.csv` "
             "(one row per epoch; `val_*` is the held-out validation set).\n")
    L.append("16-bit floats: test accuracy with F16 weights against the F32 weights they came from "
             "(shipped as F16 when it moves by at most %.1f points):\n" % F16_MAX_MOVE)
    L.append("| model | F32 | F16 | moved |")
    L.append("|---|---|---|---|")
    for m, _ in MODELS:
        i = info[m]
        L.append("| %s | %.2f %% | %.2f %% | %+.2f points |" % (i["kind"], i["acc32"], i["acc16"], i["move"]))
    L.append("")
    L.append("## Data\n")
    L.append("CIFAR-10, the official binary batches. Training: the first 45,000 images of "
             "`data_batch_1..5.bin`; validation: the last 5,000 (used by ReduceLROnPlateau and to "
             "pick the checkpoint); test: the 10,000 images of `test_batch.bin`, used only for "
             "the figures below.\n")
    L.append("## Recipe\n")
    L.append("```\n" + cfg + "\n```\n")
    L.append("Adam (lr 1e-3, betas 0.9/0.999, no weight decay), batch 64, dropout 0.5, "
             "ReduceLROnPlateau on the validation loss (factor 0.5, patience 3). `--augment`: random "
             "crop with 4-pixel padding and horizontal flip; `--aug-scale P`: with probability P a "
             "training image is area-average downscaled to a side of 12 to 31 pixels and upscaled back; "
             "`--aug-blur P`: with probability P it is blurred with a Gaussian of sigma 0.3 to 1.5 pixels "
             "(the two a photo calls for by the robustness table below; `c/augment.h`). CNN_SE: "
             "`--se-positive-init` starts the SE blocks' first linears non-negative, so that no hidden "
             "unit starts dead (the dead-unit study below). The architecture is the lesson's, "
             "unchanged. The shipped weights are those of the epoch with the lowest validation loss "
             "(`scripts/recipe.sh`, recipe \"shipped\").\n")
    L.append("| model | epochs run | best epoch | val accuracy there | learning rates used | training time |")
    L.append("|---|---|---|---|---|---|")
    for m, _ in MODELS:
        i = info[m]
        L.append("| %s | %d | %d | %.2f %% | %s | %s |" % (i["kind"], i["epochs"], i["best_epoch"], 100 * i["best_val"],
                 ", ".join("%g" % x for x in i["lrs"]), fmt_time(i["seconds"])))
    L.append("")
    L.append("## Test accuracy per class\n")
    L.append("| class | " + " | ".join(info[m]["kind"] for m, _ in MODELS) + " |")
    L.append("|---|" + "---|" * len(MODELS))
    for c in CLASSES:
        L.append("| %s | " % c + " | ".join("%.1f %%" % info[m]["per_class"].get(c, float("nan")) for m, _ in MODELS) + " |")
    L.append("")
    for m, _ in MODELS:
        i = info[m]
        L.append("## Confusion matrix, %s (rows: true class, columns: predicted)\n" % i["kind"])
        L.append("| | " + " | ".join(c[:5] for c in CLASSES) + " |")
        L.append("|---|" + "---|" * 10)
        for c, row in zip(CLASSES, i["conf"]):
            L.append("| %s | " % c + " | ".join(str(v) for v in row) + " |")
        L.append("")
    for name in ("notes.md", "seeds.md"):  # how the run went (by hand); the short seed study
        path = next((p for p in (os.path.join(work, name), os.path.join("weights/logs", name))
                     if os.path.exists(p)), None)
        if path:
            L.append(open(path).read())
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import card_splice  # the sections generated by se_study.py and robustness_card.py
    L.extend(card_splice.sections())
    L.append("## Reproduce\n")
    L.append("`make weights` (the data in `data/cifar10/` or `CIFAR10_DIR`). Runs are deterministic "
             "for a given build: the same seed gives byte-identical weights with any number of "
             "threads. Other builds (another compiler, another GEMM kernel) sum in another order "
             "and land on nearby, not identical, weights.\n")
    open("weights/README.md", "w").write("\n".join(L))


if __name__ == "__main__":
    main()
