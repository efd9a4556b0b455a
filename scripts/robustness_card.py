#!/usr/bin/python3
"""robustness_card.py - the model card's robustness section from committed logs.

    build/excite robustness weights/cnn.safetensors weights/cnn_se.safetensors \\
        --csv weights/logs/robustness-shipped.csv
    /usr/bin/python3 scripts/robustness_card.py [--check] [LOG] [--before LOG]

Reads the CSV of `excite robustness` (file, model, corruption, severity, parameter, level,
accuracy, loss) and writes the section "Robustness: corrupted test images" into
weights/README.md (card_splice.py): accuracy per model, corruption and severity, the mean drop
per corruption, and which augmentation the largest drops point to. No number is typed here.
LOG defaults to weights/logs/robustness-shipped.csv (the shipped files); --before LOG (default
weights/logs/robustness-plain.csv, if present: the files shipped before them, trained with the
recipe "plain" of scripts/recipe.sh, crop and flip only) adds their columns, and the
augmentations are chosen by their drops, the ones without the augmentations.
"""
import csv
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import card_splice  # noqa: E402

# What each corruption stands for, and the training augmentation that shows the network it.
AUGMENTATION = {
    "blur": "mild Gaussian blur",
    "downscale": "scale jitter (downscale and upscale back)",
    "jpeg": "JPEG re-encoding",
    "brightness": "colour jitter (brightness)",
    "contrast": "colour jitter (contrast)",
    "noise": "additive noise",
}
# The training settings (c/train_settings.h) that implement an augmentation.
SETTING = {"downscale": "aug_scale", "blur": "aug_blur"}
DESCRIPTION = {
    "blur": "Gaussian blur, sigma in pixels",
    "downscale": "area-average downscale to a side of N pixels, bilinear upscale back to 32",
    "jpeg": "JPEG at a quality (stb_image_write), decoded with stb_image",
    "brightness": "+ an offset (fraction of the full range) on every channel",
    "contrast": "distance to the channel mean multiplied by a factor",
    "noise": "Gaussian noise, sigma a fraction of the full range",
}


def read_log(log):
    rows = list(csv.DictReader(open(log, newline="")))
    models = []
    for r in rows:
        if r["model"] not in models:
            models.append(r["model"])
    acc = {(r["model"], r["corruption"], int(r["severity"])): float(r["accuracy"]) for r in rows}
    level = {(r["corruption"], int(r["severity"])): (r["parameter"], r["level"]) for r in rows}
    kinds = [k for k in dict.fromkeys(r["corruption"] for r in rows) if k != "clean"]
    sevs = sorted({int(r["severity"]) for r in rows if r["corruption"] != "clean"})
    return models, acc, level, kinds, sevs


def main():
    args = sys.argv[1:]
    check = "--check" in args
    args = [a for a in args if a != "--check"]
    before = "weights/logs/robustness-plain.csv"
    if "--before" in args:
        i = args.index("--before")
        before = args[i + 1]
        del args[i:i + 2]
    log = args[0] if args else "weights/logs/robustness-shipped.csv"
    # "prev" (the base the augmentations are chosen by) is the plain recipe's files, when there
    # is their log; "acc" the shipped files'
    if not os.path.exists(before):
        before = None
    models, acc, level, kinds, sevs = read_log(log)
    prev = read_log(before) if before else None
    clean = {m: acc[(m, "clean", 0)] for m in models}
    L = ["## Robustness: corrupted test images\n"]
    intro = ("Test accuracy on the 10,000 test images corrupted in the style of CIFAR-10-C (Hendrycks & "
             "Dietterich, 2019), generated here from the test set (`excite robustness`, `c/corrupt.h`; "
             "deterministic, seed 1). ")
    if prev:
        intro += ("*plain*: the files shipped before these, trained with crop and flip only (recipe "
                  "\"plain\" of `scripts/recipe.sh`; git commit c31a44b; log `logs/%s`); *shipped*: the "
                  "shipped files, whose recipe adds scale jitter and mild blur (log `logs/%s`).\n"
                  % (os.path.basename(before), os.path.basename(log)))
    else:
        intro += "Log: `logs/%s`.\n" % os.path.basename(log)
    L.append(intro)
    pacc = prev[1] if prev else None
    cols = [(m, t) for m in models for t in (("plain", "shipped") if prev else ("",))]
    head = ["%s %s" % (m, t) if t else m for m, t in cols]
    val = lambda m, t, k, sv: (pacc if t == "plain" else acc)[(m, k, sv)]
    L.append("| corruption | severity | " + " | ".join(head) + " |" + ("" if prev else " %s − %s |" % (models[-1], models[0])))
    L.append("|---|---|" + "---|" * (len(cols) + (0 if prev else 1)))
    rows = [("clean", 0, "clean")] + [(k, sv, "%s (%s %s)" % ((k,) + level[(k, sv)])) for k in kinds for sv in sevs]
    for k, sv, name in rows:
        a = [val(m, t, k, sv) for m, t in cols]
        L.append("| %s | %d | " % (name, sv) + " | ".join("%.2f %%" % (100 * x) for x in a) + " |"
                 + ("" if prev else " %+.2f |" % (100 * (a[-1] - a[0]))))
    L.append("")
    L.append("Corruptions: " + "; ".join("**%s**: %s" % (k, DESCRIPTION.get(k, k)) for k in kinds) + ".\n")

    def drops(A):
        return {k: sum(A[(m, "clean", 0)] - A[(m, k, sv)] for m in models for sv in sevs) / (len(models) * len(sevs))
                for k in kinds}

    def means(A):
        return {m: sum(A[(m, k, sv)] for k in kinds for sv in sevs) / (len(kinds) * len(sevs)) for m in models}
    base = pacc if prev else acc   # the augmentations are chosen by the drops without them
    drop = drops(base)
    ranked = sorted(kinds, key=lambda k: -drop[k])
    L.append("Mean drop from the clean accuracy (over the models and severities), largest first%s:\n"
             % (" (by the plain recipe's files)" if prev else ""))
    if prev:
        now = drops(acc)
        L.append("| corruption | mean drop, plain (points) | shipped | augmentation that shows it in training |")
        L.append("|---|---|---|---|")
        for k in ranked:
            L.append("| %s | %.1f | %.1f | %s |" % (k, 100 * drop[k], 100 * now[k], AUGMENTATION.get(k, "")))
    else:
        L.append("| corruption | mean drop (points) | augmentation that shows it in training |")
        L.append("|---|---|---|")
        for k in ranked:
            L.append("| %s | %.1f | %s |" % (k, 100 * drop[k], AUGMENTATION.get(k, "")))
    L.append("")
    # A photo reaches 32 x 32 through an area-average downscale (excite predict, the page): that
    # averages pixel noise away, but leaves the picture small, soft, re-compressed or badly lit.
    photo = [k for k in ranked if k != "noise"][:2]
    L.append("The largest drops are under %s. A photo reaches 32 × 32 through an area-average "
             "downscale (`excite predict`, the page), which averages pixel noise away but leaves the "
             "picture small or soft: of the corruptions a photo meets, %s cost the most, so %s are the "
             "augmentations to try first. " % (" and ".join(ranked[:2]), " and ".join(photo),
                                                " and ".join(AUGMENTATION[k] for k in photo)))
    L[-1] += ("Implemented as training settings (with `--augment`, `c/augment.h`): " +
              ", ".join("%s: `%s`" % (AUGMENTATION[k], SETTING[k]) for k in ranked if k in SETTING) + ". ")
    missing = [AUGMENTATION[k] for k in photo if k not in SETTING]
    if missing:
        L[-1] += "Not implemented yet: %s. " % ", ".join(missing)
    mb, cb = means(base), {m: base[(m, "clean", 0)] for m in models}
    L[-1] += ("Mean accuracy over all corruptions and severities%s: " % (", plain recipe" if prev else "") +
              ", ".join("%s %.2f %%" % (m, 100 * mb[m]) for m in models) +
              " (clean: " + ", ".join("%.2f %%" % (100 * cb[m]) for m in models) + ")")
    if prev:
        mn = means(acc)
        L[-1] += ("; shipped: " + ", ".join("%s %.2f %%" % (m, 100 * mn[m]) for m in models) +
                  " (clean: " + ", ".join("%.2f %%" % (100 * clean[m]) for m in models) + ")")
    L[-1] += ".\n"
    stale = card_splice.splice("robustness", "\n".join(L), check=check)
    if check and stale:
        sys.exit("robustness_card: not what %s gives (run scripts/robustness_card.py): %s" % (log, ", ".join(stale)))
    print("robustness_card: %s %s" % ("checked" if check else "wrote", card_splice.CARD))


if __name__ == "__main__":
    main()
