#!/usr/bin/env bash
# make weights: trains the shipped weights of CNN and CNN_SE on the full CIFAR-10 training set
# (45,000 images; the last 5,000 held out for validation) with the recipe "shipped" of
# scripts/recipe.sh and seed 1, then writes weights/*.safetensors, weights/logs/ and the model
# card weights/README.md (scripts/weights_card.py). These are the seed-1 runs of the
# full-schedule study (scripts/full-study.sh): the thread count does not change the result.
# An interrupted run continues from its checkpoint in build/weights/ when started again.
#   EPOCHS (default: the recipe's)  THREADS (default 2)  CIFAR10_DIR (default data/cifar10)
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS="${THREADS:-2}"
DATA="${CIFAR10_DIR:-data/cifar10}"
work=build/weights
mkdir -p "$work"
make --no-print-directory native

. scripts/recipe.sh
EPOCHS="${EPOCHS:-$(recipe_epochs shipped)}"
export EPOCHS
for m in cnn cnn_se; do
    echo "build/excite train $(recipe_args $m 1 shipped) --save-best $m-best.safetensors"
done > "$work/recipe.txt"
for m in cnn cnn_se; do
    if [ -f "$work/$m.ckpt" ]; then
        echo "weights: resuming $m from $work/$m.ckpt"
        build/excite train --resume "$work/$m.ckpt" --epochs "$EPOCHS" --threads "$THREADS" --data "$DATA" \
            --csv "$work/$m" --save-best "$work/$m-best.safetensors" | tee -a "$work/$m.log"
    else
        # shellcheck disable=SC2046
        build/excite train $(recipe_args "$m" 1 shipped) --threads "$THREADS" --data "$DATA" \
            --csv "$work/$m" --checkpoint "$work/$m.ckpt" --save-best "$work/$m-best.safetensors" | tee "$work/$m.log"
    fi
done
/usr/bin/python3 scripts/weights_card.py "$work"
echo "weights: wrote weights/cnn.safetensors, weights/cnn_se.safetensors and weights/README.md"
