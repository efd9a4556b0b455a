#!/usr/bin/env bash
# Does SE help? Trains CNN and CNN_SE with seeds 1, 2, 3 on a short schedule and writes
# build/weights/seeds.md (the table of the model card) and seeds.json.
#   SEED_EPOCHS (default 3)  SEED_LIMIT training images (default 20000)  THREADS (default 2)
set -euo pipefail
cd "$(dirname "$0")/.."
EPOCHS="${SEED_EPOCHS:-3}"
LIMIT="${SEED_LIMIT:-20000}"
THREADS="${THREADS:-2}"
DATA="${CIFAR10_DIR:-data/cifar10}"
work=build/weights
mkdir -p "$work/seeds"
make --no-print-directory native
for m in cnn cnn_se; do
    for s in 1 2 3; do
        start=$(date +%s.%N)
        build/excite train --model "$m" --seed "$s" --epochs "$EPOCHS" --limit "$LIMIT" --batch 64 --lr 0.001 \
            --augment --threads "$THREADS" --data "$DATA" --quiet > "$work/seeds/$m-$s.log"
        end=$(date +%s.%N)
        acc=$(sed -n 's/^test: .*accuracy \([0-9.]*\)%.*/\1/p' "$work/seeds/$m-$s.log" | tail -1)
        echo "$m $s $acc $(awk "BEGIN{print $end - $start}")" | tee -a "$work/seeds/results.txt"
    done
done
/usr/bin/python3 - "$work" "$EPOCHS" "$LIMIT" <<'PY'
import json, statistics, sys
work, epochs, limit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rows = [l.split() for l in open(work + "/seeds/results.txt") if l.strip()]
res = {}
for m, s, acc, sec in rows[-6:]:
    res.setdefault(m, []).append((int(s), float(acc), float(sec)))
out = {"epochs": epochs, "limit": limit, "runs": res}
json.dump(out, open(work + "/seeds.json", "w"), indent=1)
L = ["## Does SE help? Three seeds, a short schedule\n",
     "Seeds 1, 2, 3 for each model on a short schedule (the full one takes over an hour per run "
     "on this machine): %d epochs on the first %d training images, crop and flip (recipe \"plain\"), "
     "test accuracy on all 10,000 test images.\n" % (epochs, limit),
     "| model | seed 1 | seed 2 | seed 3 | mean ± std | seconds per run (mean) |", "|---|---|---|---|---|---|"]
for m in ("cnn", "cnn_se"):
    r = sorted(res[m])
    accs = [a for _, a, _ in r]
    L.append("| %s | %s | %.2f ± %.2f %% | %.0f |" % (
        "CNN" if m == "cnn" else "CNN_SE", " | ".join("%.2f %%" % a for a in accs),
        statistics.mean(accs), statistics.stdev(accs), statistics.mean(t for _, _, t in r)))
open(work + "/seeds.md", "w").write("\n".join(L) + "\n")
PY
cat "$work/seeds.md"
