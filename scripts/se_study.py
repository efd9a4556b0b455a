#!/usr/bin/python3
"""se_study.py - the dead-unit study: snapshots -> committed logs -> model card, chart, JSON.

    /usr/bin/python3 scripts/se_study.py [--study DIR] [--bin build/excite] [--report-only | --check]

1. collect: for every weights snapshot STUDY/r<R>/s<seed>/e<epoch>.safetensors that its run
   has finished writing (out.txt says "final weights written to e<k>.safetensors") and that the
   log does not hold yet, `excite se-stats` gives each SE block's hidden size, dead units (zero
   after the ReLU on every test image), spread of s and the test accuracy; epoch 0 (the
   initialisation) comes from e0.safetensors or, if absent, from `excite train --epochs 0` with
   the run's seed. Rows are added to weights/logs/se-study/r<R>.csv (one per seed, epoch, block).
2. report, from the committed logs only: the card section "SE blocks: dead units and the
   reduction ratio" (weights/README.md, through card_splice.py), the chart
   weights/se-study.svg, and web/data/se-study.json (the numbers the page's lesson shows).
   The section also reads weights/logs/se-why/ (scripts/se-why.sh): dead units at
   initialisation and the short runs comparing initialisations and a warm-up.
STUDY defaults to $SE_STUDY_DIR, else build/se-study (what scripts/se-study.sh writes).
Running it again with more snapshots adds their rows and regenerates everything. --check writes
nothing and fails if the committed section, chart or JSON differ from what the logs give
(tests/card_figures.test.mjs).
"""
import csv
import glob
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import card_splice  # noqa: E402

LOGS = "weights/logs/se-study"
WHY = "weights/logs/se-why"
SVG = "weights/se-study.svg"
JSON_OUT = "web/data/se-study.json"
SCHEDULE_EPOCHS = 10
COLUMNS = ["reduction", "seed", "epoch", "block", "channels", "hidden", "dead", "dead_fraction",
           "dead_units", "rare", "rare_units", "spread", "near_half", "test_accuracy", "test_loss"]
BLOCKS = ["ca1", "ca2", "ca3"]


def read_rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def log_rows():
    rows = []
    for p in sorted(glob.glob(os.path.join(LOGS, "r*.csv"))):
        for r in read_rows(p):
            for k in ("reduction", "seed", "epoch", "channels", "hidden", "dead", "rare"):
                r[k] = int(r[k])
            for k in ("dead_fraction", "spread", "near_half", "test_accuracy", "test_loss"):
                r[k] = float(r[k])
            rows.append(r)
    return rows


def finished_snapshots(study):
    """(R, seed, epoch, path) of the snapshots whose writing is complete."""
    out = []
    for rdir in glob.glob(os.path.join(study, "r*")):
        m = re.fullmatch(r"r(\d+)", os.path.basename(rdir))
        if not m:
            continue
        R = int(m.group(1))
        for sdir in glob.glob(os.path.join(rdir, "s*")):
            ms = re.fullmatch(r"s(\d+)", os.path.basename(sdir))
            if not ms:
                continue
            seed = int(ms.group(1))
            txt = open(os.path.join(sdir, "out.txt")).read() if os.path.exists(os.path.join(sdir, "out.txt")) else ""
            for k in sorted(int(x) for x in re.findall(r"final weights written to e(\d+)\.safetensors", txt)):
                p = os.path.join(sdir, "e%d.safetensors" % k)
                if os.path.exists(p):
                    out.append((R, seed, k, p))
            if (R, seed, 0) not in [(a, b, c) for a, b, c, _ in out]:
                out.append((R, seed, 0, None))   # made from the seed
    return sorted(out, key=lambda t: (t[0], t[1], t[2]))


def init_snapshot(bin_, R, seed, data):
    os.makedirs("build/se-study-init", exist_ok=True)
    p = "build/se-study-init/r%d-s%d.safetensors" % (R, seed)
    if not os.path.exists(p):
        cmd = [bin_, "train", "--model", "cnn_se", "--epochs", "0", "--seed", str(seed), "--limit", "100",
               "--test-limit", "100", "--threads", "1", "--quiet", "--save", p]
        if data:
            cmd += ["--data", data]
        if R != 16:
            cmd += ["--reduction", str(R)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return p


def collect(study, bin_, data):
    have = {(r["reduction"], r["seed"], r["epoch"]) for r in log_rows()}
    todo = [t for t in finished_snapshots(study) if (t[0], t[1], t[2]) not in have]
    todo = [(R, s, e, p or init_snapshot(bin_, R, s, data)) for R, s, e, p in todo]
    print("se_study: %d new snapshot(s) in %s" % (len(todo), study))
    new = []
    for i in range(0, len(todo), 8):
        chunk = todo[i:i + 8]
        with tempfile.NamedTemporaryFile(suffix=".csv") as tmp:
            cmd = ["nice", "-n", "5", bin_, "se-stats"] + [p for *_, p in chunk] + ["--threads", "1", "--csv", tmp.name]
            if data:
                cmd += ["--data", data]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            stats = read_rows(tmp.name)
        by_file = {}
        for r in stats:
            by_file.setdefault(r["file"], []).append(r)
        for R, seed, epoch, p in chunk:
            for r in by_file[p]:
                new.append(dict(reduction=R, seed=seed, epoch=epoch, **{k: r[k] for k in COLUMNS[3:]}))
        print("se_study: %d/%d" % (min(i + 8, len(todo)), len(todo)))
    if not new:
        return
    os.makedirs(LOGS, exist_ok=True)
    for R in sorted({r["reduction"] for r in new}):
        path = os.path.join(LOGS, "r%d.csv" % R)
        rows = read_rows(path) if os.path.exists(path) else []
        rows += [r for r in new if r["reduction"] == R]
        rows.sort(key=lambda r: (int(r["seed"]), int(r["epoch"]), r["block"]))
        with open(path, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
            w.writeheader()
            w.writerows(rows)


# ---- report -----------------------------------------------------------------------------

def mean(xs):
    return sum(xs) / len(xs) if xs else float("nan")


def sd(xs):
    return statistics.stdev(xs) if len(xs) > 1 else 0.0


def summarise(rows):
    """Per R: the epoch reported (SCHEDULE_EPOCHS if a seed finished it, else the last epoch all
    seeds reached), the seeds counted, and per block the numbers at that epoch."""
    out = []
    for R in sorted({r["reduction"] for r in rows}):
        rr = [r for r in rows if r["reduction"] == R]
        last = {}
        for r in rr:
            last[r["seed"]] = max(last.get(r["seed"], 0), r["epoch"])
        done = sorted(s for s, e in last.items() if e >= SCHEDULE_EPOCHS)
        if done:
            epoch, seeds = SCHEDULE_EPOCHS, done
        else:
            epoch, seeds = min(last.values()), sorted(last)
        if epoch == 0:
            continue
        at = {(r["seed"], r["block"]): r for r in rr if r["epoch"] == epoch and r["seed"] in seeds}
        blocks = []
        for b in BLOCKS:
            cells = [at[(s, b)] for s in seeds]
            # the epoch since which each unit dead at the end has been dead (0: since initialisation)
            since = []
            for s in seeds:
                hist = {r["epoch"]: set(r["dead_units"].split()) for r in rr if r["seed"] == s and r["block"] == b}
                for u in hist[epoch]:
                    e = epoch
                    while e - 1 in hist and u in hist[e - 1]:
                        e -= 1
                    since.append(e)
            init = [r for r in rr if r["epoch"] == 0 and r["block"] == b and r["seed"] in seeds]
            rare_init = sum(c["rare"] for c in init)
            blocks.append(dict(block=b, channels=cells[0]["channels"], hidden=cells[0]["hidden"],
                               dead=sum(c["dead"] for c in cells), units=sum(c["hidden"] for c in cells),
                               rare=sum(c["rare"] for c in cells),
                               near_half=mean([c["near_half"] for c in cells]),
                               dead_fraction=mean([c["dead_fraction"] for c in cells]),
                               fully_dead=sum(c["dead"] == c["hidden"] for c in cells),
                               spread=mean([c["spread"] for c in cells]),
                               dead_at_init=sum(c["dead"] for c in init), init_runs=len(init),
                               rare_at_init=rare_init,
                               since=since))
        accs = [at[(s, BLOCKS[0])]["test_accuracy"] for s in seeds]
        curve = {b: [] for b in BLOCKS}
        for e in range(0, epoch + 1):
            for b in BLOCKS:
                v = [r["dead_fraction"] for r in rr if r["epoch"] == e and r["block"] == b and r["seed"] in seeds]
                curve[b].append(mean(v) if len(v) == len(seeds) else None)
        out.append(dict(R=R, epoch=epoch, seeds=seeds, blocks=blocks, acc_mean=mean(accs), acc_sd=sd(accs),
                        se_parameters=sum(2 * b["channels"] * b["hidden"] for b in blocks), curve=curve,
                        complete=bool(done)))
    return out


def why_summary():
    """weights/logs/se-why: dead units at initialisation, and the short runs per variant."""
    res = {}
    p = os.path.join(WHY, "init.csv")
    if os.path.exists(p):
        rows = read_rows(p)
        res["init"] = dict(seeds=len(rows), blocks=[
            dict(block=b, dead=sum(int(r[b + "_dead"]) for r in rows),
                 units=sum(int(r[b + "_hidden"]) for r in rows),
                 fully_dead=sum(r[b + "_dead"] == r[b + "_hidden"] for r in rows)) for b in BLOCKS])
    variants = {}
    for path in sorted(glob.glob(os.path.join(WHY, "*-s*.csv"))):
        m = re.fullmatch(r"(\w+)-s(\d+)\.csv", os.path.basename(path))
        rows = read_rows(path)
        if not m or not rows:
            continue
        variants.setdefault(m.group(1), {})[int(m.group(2))] = rows
    res["variants"] = []
    # the seeds every variant has run (so that the rows compare the same runs)
    common = set.intersection(*[set(v) for v in variants.values()]) if variants else set()
    for name in ("baseline", "positive", "warmup"):
        runs = {s: r for s, r in variants.get(name, {}).items() if s in common}
        if not runs:
            continue
        steps = min(int(rows[-1]["step"]) for rows in runs.values())
        first = {s: rows[0] for s, rows in runs.items()}
        last = {s: next(r for r in rows if int(r["step"]) == steps) for s, rows in runs.items()}
        res["variants"].append(dict(
            name=name, seeds=sorted(runs), steps=steps,
            dead_start=[sum(int(first[s][b + "_dead"]) for s in runs) for b in BLOCKS],
            dead_end=[sum(int(last[s][b + "_dead"]) for s in runs) for b in BLOCKS],
            units=[sum(int(first[s][b + "_hidden"]) for s in runs) for b in BLOCKS],
            loss_end=mean([float(last[s]["loss"]) for s in runs])))
    return res


VARIANT_TEXT = {
    "baseline": "the lesson's initialisation (PyTorch's default)",
    "positive": "`caN.fc.0` weights made non-negative at initialisation (setting `se_positive_init`, `excite train --se-positive-init`)",
    "warmup": "learning rate warm-up over the first 200 steps (`--warmup 200`)",
}


def svg_chart(summary):
    W, H, pad, gap = 720, 270, 42, 24
    pw = (W - 2 * pad - 2 * gap) / 3
    ph = H - 2 * pad - 30
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"]
    E = max([s["epoch"] for s in summary] + [1])
    o = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
         'font-family="sans-serif" font-size="11">' % (W, H, W, H),
         '<rect width="100%" height="100%" fill="white"/>']
    for i, b in enumerate(BLOCKS):
        x0 = pad + i * (pw + gap)
        o.append('<text x="%.1f" y="%d" text-anchor="middle" font-size="12">%s: dead fraction of hidden units</text>'
                 % (x0 + pw / 2, pad - 16, b))
        o.append('<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="none" stroke="#999"/>' % (x0, pad, pw, ph))
        for t in (0, 0.25, 0.5, 0.75, 1):
            y = pad + ph * (1 - t)
            o.append('<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#eee"/>' % (x0, x0 + pw, y, y))
            if i == 0:
                o.append('<text x="%.1f" y="%.1f" text-anchor="end">%g</text>' % (x0 - 4, y + 4, t))
        for e in range(0, E + 1, 2 if E > 6 else 1):
            o.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (x0 + pw * e / E, pad + ph + 14, e))
        o.append('<text x="%.1f" y="%d" text-anchor="middle">epoch</text>' % (x0 + pw / 2, pad + ph + 28))
        for k, s in enumerate(summary):
            pts = [(x0 + pw * e / E, pad + ph * (1 - v)) for e, v in enumerate(s["curve"][b]) if v is not None]
            c = colours[k % len(colours)]
            o.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>'
                     % (c, " ".join("%.1f,%.1f" % p for p in pts)))
            for p in pts:
                o.append('<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"/>' % (p[0], p[1], c))
    for k, s in enumerate(summary):
        c = colours[k % len(colours)]
        x = pad + 170 * k
        y = H - 10
        o.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2"/>' % (x, x + 18, y - 4, y - 4, c))
        o.append('<text x="%d" y="%d">R = %d (%d seed%s)</text>' % (x + 24, y, s["R"], len(s["seeds"]),
                                                                   "" if len(s["seeds"]) == 1 else "s"))
    o.append("</svg>")
    return "\n".join(o) + "\n"


def card_text(summary, why):
    L = ["## SE blocks: dead units and the reduction ratio\n"]
    L.append("An SE block squeezes each channel to its mean, passes the C means through a linear "
             "layer to C/R hidden units, a ReLU, a second linear layer back to C values and a "
             "sigmoid: s, one weight per channel. The lesson's linears have no bias, and the means "
             "come after a ReLU, so they are never negative. A hidden unit that is zero after the "
             "ReLU on every test image is *dead*: it never changes s, and it gets no gradient, so "
             "training does not bring it back by itself. When all the units of a block are dead, "
             "s = 0.5 for every channel of every picture: the block only halves its input.\n")
    L.append("CNN_SE, the plain recipe (crop and flip) for %d epochs (45,000 training images, batch 64, Adam lr "
             "1e-3, augmentation), one run per seed and reduction ratio R (hidden units = C/R); "
             "counts over the 10,000 test images. Logs: `logs/se-study/r<R>.csv` (every seed, epoch "
             "and block), made by `scripts/se-study.sh` and `scripts/se_study.py`.\n" % SCHEDULE_EPOCHS)
    L.append("Each block's cell: dead units / rarely active units (above zero on fewer than 1 % of "
             "the images, the dead ones included) / all hidden units of the runs, the hidden size "
             "C/R, and the fraction of (image, channel) pairs whose s is within 0.01 of 0.5.\n")
    L.append("| R | seeds | epoch | SE parameters | " + " | ".join(
        "%s: dead / rare / units (C/R), s ≈ 0.5" % b for b in BLOCKS) + " | blocks with every unit dead | test accuracy |")
    L.append("|---|---|---|---|" + "---|" * len(BLOCKS) + "---|---|")
    for s in summary:
        cells = ["%d / %d / %d (%d), %.0f %%" % (b["dead"], b["rare"], b["units"], b["hidden"], 100 * b["near_half"])
                 for b in s["blocks"]]
        fully = sum(b["fully_dead"] for b in s["blocks"])
        L.append("| %d | %s | %d%s | %d | %s | %d of %d | %.2f ± %.2f %% |" % (
            s["R"], " ".join(map(str, s["seeds"])), s["epoch"], "" if s["complete"] else " (in progress)",
            s["se_parameters"], " | ".join(cells), fully, len(s["blocks"]) * len(s["seeds"]),
            100 * s["acc_mean"], 100 * s["acc_sd"]))
    L.append("")
    L.append("![dead fraction of SE hidden units per epoch](se-study.svg)\n")
    L.append("When the units that are dead at the last epoch died (the epoch since which they have "
             "been dead without interruption; 0: from the initialisation on):\n")
    L.append("| R | block | dead at the end | dead since initialisation | since epoch 1 | later | dead / rarely active at initialisation |")
    L.append("|---|---|---|---|---|---|---|")
    for s in summary:
        for b in s["blocks"]:
            since = b["since"]
            L.append("| %d | %s | %d | %d | %d | %d | %d / %d of %d |" % (
                s["R"], b["block"], len(since), sum(e == 0 for e in since), sum(e == 1 for e in since),
                sum(e > 1 for e in since), b["dead_at_init"], b["rare_at_init"], b["units"]))
    L.append("")
    if "init" in why:
        it = why["init"]
        L.append("### Why they die\n")
        L.append("At initialisation already, before any training step (`scripts/se-why.sh`, %d seeds, "
                 "counted on the first 1,000 test images; `logs/se-why/init.csv`):\n" % it["seeds"])
        L.append("| block | dead units at initialisation | runs with the whole block dead |")
        L.append("|---|---|---|")
        for b in it["blocks"]:
            L.append("| %s | %d / %d = %.0f %% | %d of %d |" % (b["block"], b["dead"], b["units"],
                     100 * b["dead"] / b["units"], b["fully_dead"], it["seeds"]))
        L.append("")
        L.append("A unit's input is a vector of channel means that are all positive and look much "
                 "alike from one picture to the next, so with no bias the sign of its weighted sum "
                 "is nearly the same for every picture: a unit whose random weights point away from "
                 "that common direction is negative for all of them and starts dead. Scaling the "
                 "initial weights does not change that sign; the learning rate cannot act on a unit "
                 "that gets no gradient. A unit comes back only if the features below it change "
                 "enough, and one can die later the same way.\n")
    if why.get("variants"):
        L.append("What prevents it within the lesson's architecture (same shapes, no bias, the files "
                 "load into the lesson's classes as before): starting every `caN.fc.0` weight "
                 "non-negative (its absolute value), so that each unit's weighted sum of the positive "
                 "channel means starts above zero. It costs nothing at run time; whether it changes "
                 "the accuracy after a full schedule is for the study to say (`EXTRA=--se-positive-init "
                 "STUDY=build/se-study-positive scripts/se-study.sh 16 1 2 3 4 5`). A warm-up of the learning rate "
                 "cannot revive units that are dead from the start.\n")
        L.append("Short runs of the recipe's first steps (`excite se-trace`, seeds %s, %d steps, dead "
                 "units counted on the first 1,000 test images; `logs/se-why/<variant>-s<seed>.csv`):\n"
                 % (" ".join(map(str, why["variants"][0]["seeds"])), why["variants"][0]["steps"]))
        L.append("| variant | " + " | ".join("%s dead at step 0 → at the end" % b for b in BLOCKS) + " | mean loss of the last steps |")
        L.append("|---|" + "---|" * len(BLOCKS) + "---|")
        for v in why["variants"]:
            L.append("| %s | %s | %.3f |" % (VARIANT_TEXT.get(v["name"], v["name"]), " | ".join(
                "%d → %d of %d" % (a, b, u) for a, b, u in zip(v["dead_start"], v["dead_end"], v["units"])),
                v["loss_end"]))
        L.append("")
    L.append("Generated by `scripts/se_study.py` from the logs; the page's lesson reads the same "
             "numbers from `web/data/se-study.json`.\n")
    return "\n".join(L)


def page_json(summary, why):
    return dict(
        source="weights/logs/se-study (scripts/se_study.py)",
        schedule_epochs=SCHEDULE_EPOCHS,
        reductions=[dict(R=s["R"], epoch=s["epoch"], complete=s["complete"], seeds=s["seeds"],
                         se_parameters=s["se_parameters"],
                         test_accuracy=dict(mean=round(s["acc_mean"], 6), sd=round(s["acc_sd"], 6)),
                         blocks=[dict(block=b["block"], channels=b["channels"], hidden=b["hidden"],
                                      dead=b["dead"], rare=b["rare"], units=b["units"],
                                      fully_dead=b["fully_dead"], near_half=round(b["near_half"], 6),
                                      runs=len(s["seeds"]), spread=round(b["spread"], 6))
                                 for b in s["blocks"]]) for s in summary],
        init=why.get("init"))


def report(check=False):
    """Writes the card section, the chart and the JSON; with check, writes nothing and returns
    the files that differ from what the logs give."""
    summary = summarise(log_rows())
    if not summary:
        print("se_study: no logs in %s yet" % LOGS)
        return ["(no logs)"] if check else []
    why = why_summary()
    stale = card_splice.splice("se-study", card_text(summary, why), check=check)
    stale += card_splice.write_or_check(SVG, svg_chart(summary), check)
    stale += card_splice.write_or_check(JSON_OUT, json.dumps(page_json(summary, why), indent=1) + "\n", check)
    if not check:
        print("se_study: wrote %s, %s, %s" % (card_splice.CARD, SVG, JSON_OUT))
    return stale


def main():
    args = sys.argv[1:]
    study = os.environ.get("SE_STUDY_DIR", "build/se-study")
    bin_ = "build/excite"
    data = os.environ.get("CIFAR10_DIR")
    only_report = check = False
    while args:
        a = args.pop(0)
        if a == "--study":
            study = args.pop(0)
        elif a == "--bin":
            bin_ = args.pop(0)
        elif a == "--data":
            data = args.pop(0)
        elif a == "--report-only":
            only_report = True
        elif a == "--check":
            check = True
        else:
            sys.exit("usage: se_study.py [--study DIR] [--bin BIN] [--data DIR] [--report-only | --check]")
    if check:   # the committed card section, chart and JSON are what the committed logs give
        stale = report(check=True)
        if stale:
            sys.exit("se_study: not what the logs give (run scripts/se_study.py --report-only): " + ", ".join(stale))
        print("se_study: the card section, %s and %s are what the logs give" % (SVG, JSON_OUT))
        return
    if not only_report:
        collect(study, bin_, data)
    report()


if __name__ == "__main__":
    main()
