#!/usr/bin/env bash
# make weights: trains the shipped weights of CNN and CNN_SE with the recipe of scripts/recipe.sh
# on the full CIFAR-10 training set (45,000 images; the last 5,000 held out for validation):
# the seed-1 runs of the full-schedule study (scripts/full-study.sh, build/full-study/), then
# writes weights/*.safetensors, weights/logs/ and the model card weights/README.md
# (scripts/weights_card.py). An interrupted run continues from its checkpoint when started again.
#   EPOCHS (default: the recipe's 45)  CIFAR10_DIR (default data/cifar10)
# The two models train at once, one thread each (the result does not depend on the threads).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/recipe.sh
STUDY="${STUDY:-build/full-study}"
work=build/weights
mkdir -p "$work"
make --no-print-directory native

export STUDY
scripts/full-study.sh cnn 1 & a=$!
scripts/full-study.sh cnn_se 1 & b=$!
wait $a; wait $b
for m in cnn cnn_se; do
    echo "build/excite train $(recipe_args $m 1 | tr -s ' ') --save-best $m-best.safetensors"
done > "$work/recipe.txt"
for m in cnn cnn_se; do
    cp "$STUDY/$m-s1/best.safetensors" "$work/$m-best.safetensors"
    cp "$STUDY/$m-s1/log-batches.csv" "$work/$m-batches.csv"
    cp "$STUDY/$m-s1/log-epochs.csv" "$work/$m-epochs.csv"
done
/usr/bin/python3 scripts/weights_card.py "$work"
echo "weights: wrote weights/cnn.safetensors, weights/cnn_se.safetensors and weights/README.md"
