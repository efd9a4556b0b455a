#!/usr/bin/python3
"""full_study.py - does SE help, on the full schedule: runs -> committed logs -> card, JSON.

    /usr/bin/python3 scripts/full_study.py [--study DIR] [--bin build/excite] [--data DIR]
                                           [--report-only | --check]

1. collect: for every finished run STUDY/<model>-s<seed>/ of scripts/full-study.sh (DONE
   written), its epoch log, the test accuracy and loss of its best weights (lowest validation
   loss; eval.txt), and which of the 10,000 test images those weights classify correctly (from
   predictions.bin and the labels of test_batch.bin) go to weights/logs/full-study/:
   runs.csv (one row per run), <model>-s<seed>-epochs.csv, <model>-s<seed>-correct.txt
   (10,000 characters, 1 = right); for CNN_SE also `excite se-stats` of the best weights
   (cnn_se-s<seed>-se.csv: dead units per block); recipe.txt, the study's recipe (STUDY/RECIPE).
2. report, from the committed logs only: the card section "Does SE help? The full schedule"
   (weights/README.md, through card_splice.py) and web/data/full-study.json (what the page's
   Evaluate panel quotes): mean and standard deviation of test accuracy over the seeds, and per
   seed the paired comparison on the same test images, McNemar's exact test (b = images only
   CNN_SE gets right, c = only CNN; under "no difference" b ~ Binomial(b + c, 1/2)).
--check writes nothing and fails if the committed section or JSON differ from what the logs
give (tests/card_figures.test.mjs).
"""
import csv
import glob
import json
import math
import os
import re
import shutil
import statistics
from fractions import Fraction
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import card_splice  # noqa: E402

LOGS = "weights/logs/full-study"
JSON_OUT = "web/data/full-study.json"
MODELS = [("cnn", "CNN"), ("cnn_se", "CNN_SE")]
RUN_COLUMNS = ["model", "seed", "epochs", "best_epoch", "best_val_loss", "best_val_accuracy",
               "test_accuracy", "test_loss", "seconds"]
RECIPE = "scripts/recipe.sh"


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_labels(data):
    raw = open(os.path.join(data, "test_batch.bin"), "rb").read()
    return raw[0::3073][:10000]


def collect(study, bin_, data):
    os.makedirs(LOGS, exist_ok=True)
    runs_path = os.path.join(LOGS, "runs.csv")
    runs = {(r["model"], int(r["seed"])): r for r in read_csv(runs_path)} if os.path.exists(runs_path) else {}
    labels = None
    for d in sorted(glob.glob(os.path.join(study, "*-s*"))):
        m = re.fullmatch(r"(cnn|cnn_se)-s(\d+)", os.path.basename(d))
        if not m or not os.path.exists(os.path.join(d, "DONE")):
            continue
        model, seed = m.group(1), int(m.group(2))
        stem = os.path.join(LOGS, "%s-s%d" % (model, seed))
        shutil.copyfile(os.path.join(d, "log-epochs.csv"), stem + "-epochs.csv")
        ev = open(os.path.join(d, "eval.txt")).read()
        t = re.search(r"test: (\d+) images\s+loss ([0-9.]+)\s+accuracy ([0-9.]+)%", ev)
        if labels is None:
            labels = test_labels(data)
        pred = open(os.path.join(d, "predictions.bin"), "rb").read()
        if len(pred) != len(labels):
            sys.exit("%s: %d predictions for %d test images" % (d, len(pred), len(labels)))
        with open(stem + "-correct.txt", "w") as f:
            f.write("".join("1" if p == y else "0" for p, y in zip(pred, labels)) + "\n")
        epochs = read_csv(os.path.join(d, "log-epochs.csv"))
        best = min(epochs, key=lambda r: float(r["val_loss"]))
        runs[(model, seed)] = dict(model=model, seed=seed, epochs=len(epochs), best_epoch=best["epoch"],
                                   best_val_loss=best["val_loss"], best_val_accuracy=best["val_acc"],
                                   test_accuracy="%.4f" % (float(t.group(3)) / 100), test_loss=t.group(2),
                                   seconds="%.0f" % sum(float(r["seconds"]) for r in epochs))
        if model == "cnn_se":
            subprocess.run([bin_, "se-stats", os.path.join(d, "best.safetensors"), "--data", data,
                            "--threads", "1", "--csv", stem + "-se.csv"], check=True, capture_output=True)
    recipe = os.path.join(study, "RECIPE")
    if os.path.exists(recipe):
        shutil.copyfile(recipe, os.path.join(LOGS, "recipe.txt"))
    with open(runs_path, "w", newline="") as f:
        w = csv.DictWriter(f, RUN_COLUMNS, lineterminator="\n")
        w.writeheader()
        for k in sorted(runs):
            w.writerow(runs[k])


def mcnemar(b, c):
    """Two-sided exact McNemar p-value: P(as far from (b+c)/2 as observed) under Binomial(b+c, 1/2)."""
    n, k = b + c, min(b, c)
    if n == 0:
        return 1.0
    tail = Fraction(sum(math.comb(n, i) for i in range(k + 1)), 2 ** n)
    return min(1.0, float(2 * tail))


def summarise():
    runs = [dict(r, seed=int(r["seed"]), epochs=int(r["epochs"]), best_epoch=int(r["best_epoch"]),
                 test_accuracy=float(r["test_accuracy"]), test_loss=float(r["test_loss"]),
                 best_val_loss=float(r["best_val_loss"]), best_val_accuracy=float(r["best_val_accuracy"]),
                 seconds=float(r["seconds"]))
            for r in read_csv(os.path.join(LOGS, "runs.csv"))]
    by = {(r["model"], r["seed"]): r for r in runs}
    seeds = sorted({s for _, s in by})
    paired = []
    for s in seeds:
        if ("cnn", s) not in by or ("cnn_se", s) not in by:
            continue
        a = open(os.path.join(LOGS, "cnn-s%d-correct.txt" % s)).read().strip()
        e = open(os.path.join(LOGS, "cnn_se-s%d-correct.txt" % s)).read().strip()
        b = sum(1 for x, y in zip(a, e) if y == "1" and x == "0")
        c = sum(1 for x, y in zip(a, e) if x == "1" and y == "0")
        paired.append(dict(seed=s, n=len(a), b=b, c=c, both=sum(1 for x, y in zip(a, e) if x == y == "1"),
                           diff=(b - c) / len(a), p=mcnemar(b, c)))
    stats = {}
    for m, kind in MODELS:
        acc = [by[(m, s)]["test_accuracy"] for s in seeds if (m, s) in by]
        stats[m] = dict(kind=kind, n=len(acc), mean=statistics.mean(acc) if acc else None,
                        sd=statistics.stdev(acc) if len(acc) > 1 else None)
    dead = []
    for s in seeds:
        p = os.path.join(LOGS, "cnn_se-s%d-se.csv" % s)
        if os.path.exists(p):
            dead.append(dict(seed=s, blocks=[dict(block=r["block"], hidden=int(r["hidden"]), dead=int(r["dead"]),
                                                  spread=float(r["spread"])) for r in read_csv(p)]))
    return dict(runs=by, seeds=seeds, paired=paired, stats=stats, dead=dead, recipe=study_recipe())


def recipe_sh(call):
    """What a function of scripts/recipe.sh prints, e.g. recipe_sh("recipe_epochs shipped")."""
    return subprocess.run(["bash", "-c", ". %s; %s" % (RECIPE, call)], check=True,
                          capture_output=True, text=True).stdout.strip()


def study_recipe():
    """The study's recipe as the logs record it: name, options (MODEL and SEED for the values),
    epochs, and the shipped recipe's epochs."""
    name = open(os.path.join(LOGS, "recipe.txt")).read().strip()
    return dict(name=name, line=recipe_sh("recipe_args MODEL SEED " + name),
                epochs=int(recipe_sh("recipe_epochs " + name)),
                shipped_epochs=int(recipe_sh("recipe_epochs shipped")))


def pct(x, d=2):
    return "%.*f %%" % (d, 100 * x)


def signed(x):
    return ("+" if x >= 0 else "−") + "%.2f" % abs(x)


def fmt_p(p):
    return "%.2g" % p if p >= 0.001 else "< 0.001"


def card_text(S):
    L = ["## Does SE help? The full schedule\n"]
    r = S["recipe"]
    L.append("CNN and CNN_SE trained with the recipe \"%s\" of `scripts/recipe.sh`, %d seed%s each "
             "(`scripts/full-study.sh`): `excite train %s` (CNN_SE adds `--se-positive-init`)%s. The "
             "same seed gives both models the same batches, crops and augmentations. Each run's weights "
             "of the epoch with the lowest validation loss are tested on the 10,000 test images. Logs: "
             "`logs/full-study/` (scripts/full_study.py).\n"
             % (r["name"], len(S["seeds"]), "" if len(S["seeds"]) == 1 else "s",
                r["line"].replace(" --se-positive-init", ""),
                "; the seed-1 runs are the shipped files" if r["name"] == "shipped" else
                "; the shipped files' recipe, \"shipped\", uses milder augmentation for %d epochs" % r["shipped_epochs"]))
    L.append("| model | " + " | ".join("seed %d" % s for s in S["seeds"]) + " | mean ± std |")
    L.append("|---|" + "---|" * (len(S["seeds"]) + 1))
    for m, kind in MODELS:
        st = S["stats"][m]
        cells = [pct(S["runs"][(m, s)]["test_accuracy"]) + " (epoch %d)" % S["runs"][(m, s)]["best_epoch"]
                 if (m, s) in S["runs"] else "running" for s in S["seeds"]]
        ms = "%.2f ± %.2f %%" % (100 * st["mean"], 100 * st["sd"]) if st["sd"] is not None else (pct(st["mean"]) if st["n"] else "")
        L.append("| %s | %s | %s |" % (kind, " | ".join(cells), ms))
    L.append("")
    if S["paired"]:
        L.append("Paired on the same 10,000 test images, per seed: b images only CNN_SE classifies correctly, "
                 "c only CNN; McNemar's exact test asks how likely so lopsided a split of the b + c "
                 "disagreements is if neither model is better.\n")
        L.append("| seed | both right | only CNN_SE (b) | only CNN (c) | CNN_SE − CNN | McNemar p |")
        L.append("|---|---|---|---|---|---|")
        for p in S["paired"]:
            L.append("| %d | %d | %d | %d | %s points | %s |" % (p["seed"], p["both"], p["b"], p["c"], signed(100 * p["diff"]), fmt_p(p["p"])))
        L.append("")
        L.append(verdict(S) + "\n")
    if S["dead"]:
        L.append("Dead SE units (zero after the ReLU on every test image) in the CNN_SE runs, which start "
                 "their SE blocks' first linears non-negative:\n")
        L.append("| seed | " + " | ".join("%s dead / units" % b["block"] for b in S["dead"][0]["blocks"]) + " |")
        L.append("|---|" + "---|" * len(S["dead"][0]["blocks"]))
        for d in S["dead"]:
            L.append("| %d | %s |" % (d["seed"], " | ".join("%d / %d" % (b["dead"], b["hidden"]) for b in d["blocks"])))
        L.append("")
    return "\n".join(L)


def verdict(S):
    P = S["paired"]
    sig = [p for p in P if p["p"] < 0.05]
    gap = 100 * (S["stats"]["cnn_se"]["mean"] - S["stats"]["cnn"]["mean"])
    if len(sig) == len(P) and all(p["b"] > p["c"] for p in P):
        how = "in every seed the difference is significant at the 5 % level (McNemar), in CNN_SE's favour"
    elif len(sig) == len(P) and all(p["b"] < p["c"] for p in P):
        how = "in every seed the difference is significant at the 5 % level (McNemar), in CNN's favour"
    elif not sig:
        how = "in no seed is the difference significant at the 5 % level (McNemar)"
    else:
        how = "the difference is significant at the 5 %% level (McNemar) in %d of %d seeds" % (len(sig), len(P))
    dis = [p["b"] + p["c"] for p in P]
    span = "%d" % dis[0] if min(dis) == max(dis) else "%d to %d" % (min(dis), max(dis))
    return ("For a class: over %d seed%s CNN_SE is on average %.2f points %s CNN; %s. On every seed the "
            "two models disagree on %s of the 10,000 images, many more than the net gap: which "
            "pictures a network gets right depends on its seed as well as on its SE blocks."
            % (len(P), "" if len(P) == 1 else "s", abs(gap), "ahead of" if gap > 0 else "behind", how, span))


def page_json(S):
    r = S["recipe"]
    out = {"source": "weights/logs/full-study (scripts/full_study.py)", "recipe_name": r["name"],
           "recipe": r["line"], "epochs": r["epochs"],
           "complete": len(S["paired"]) >= 3, "models": {}, "paired": []}
    for m, kind in MODELS:
        st = S["stats"][m]
        out["models"][kind] = {"runs": st["n"], "mean": round(st["mean"], 6) if st["n"] else None,
                               "sd": round(st["sd"], 6) if st["sd"] is not None else None,
                               "seeds": {str(s): S["runs"][(m, s)]["test_accuracy"] for s in S["seeds"] if (m, s) in S["runs"]}}
    for p in S["paired"]:
        out["paired"].append({"seed": p["seed"], "n": p["n"], "b": p["b"], "c": p["c"], "p": float("%.4g" % p["p"]),
                              "p_text": fmt_p(p["p"])})
    return json.dumps(out, indent=1) + "\n"


def report(check=False):
    S = summarise()
    text = card_text(S)
    stale = card_splice.splice("full-study", text, check=check)
    stale += card_splice.write_or_check(JSON_OUT, page_json(S), check)
    if check and stale:
        sys.exit("full_study.py --check: out of date: " + ", ".join(stale))
    print(text)


def main():
    args = sys.argv[1:]
    study, bin_, data, mode = "build/full-study", "build/excite", os.environ.get("CIFAR10_DIR", "data/cifar10"), "all"
    while args:
        a = args.pop(0)
        if a == "--study":
            study = args.pop(0)
        elif a == "--bin":
            bin_ = args.pop(0)
        elif a == "--data":
            data = args.pop(0)
        elif a in ("--report-only", "--check"):
            mode = a
        else:
            sys.exit(__doc__)
    if mode == "all":
        collect(study, bin_, data)
    report(check=mode == "--check")


if __name__ == "__main__":
    main()
