#!/usr/bin/env bash
# full-study.sh - does SE help, on the full schedule: CNN and CNN_SE trained with one recipe of
# scripts/recipe.sh (RECIPE, default shipped) for the given seeds, one thread per run (start
# two at once on two cores). Same seed, same batches: shuffling, crops and augmentation draw
# from generators that depend only on the seed, not on the model.
#   scripts/full-study.sh MODEL SEED...       e.g. scripts/full-study.sh cnn 1 2 3
# Writes STUDY/RECIPE (the recipe's name; a study holds one recipe) and STUDY/<model>-s<seed>/
# (STUDY defaults to build/full-study): ck.bin (checkpoint after every epoch: an interrupted
# run continues from it when started again), log-*.csv, best.safetensors (lowest validation
# loss), final.safetensors, predictions.bin (the best weights' class for each of the 10,000
# test images, one byte each), eval.txt, DONE.
# Then: /usr/bin/python3 scripts/full_study.py --study STUDY.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/recipe.sh
M=$1; shift
BIN=${BIN:-build/excite}
case $BIN in /*) ;; *) BIN=$(pwd)/$BIN ;; esac
STUDY=${STUDY:-build/full-study}
RECIPE=${RECIPE:-shipped}
RECIPE_EPOCHS=$(recipe_epochs "$RECIPE")
mkdir -p "$STUDY"
if [ -f "$STUDY/RECIPE" ] && [ "$(cat "$STUDY/RECIPE")" != "$RECIPE" ]; then
    echo "full-study: $STUDY holds runs of recipe $(cat "$STUDY/RECIPE"), not $RECIPE (set STUDY)" >&2
    exit 1
fi
echo "$RECIPE" > "$STUDY/RECIPE"
DATA=${CIFAR10_DIR:-data/cifar10}
case $DATA in /*) ;; *) DATA=$(pwd)/$DATA ;; esac
for S in "$@"; do
    d=$STUDY/$M-s$S; mkdir -p "$d"
    if [ ! -f "$d/DONE" ]; then
        if [ -f "$d/ck.bin" ]; then
            "$BIN" train --resume "$d/ck.bin" --epochs "${EPOCHS:-$RECIPE_EPOCHS}" --data "$DATA" \
                --threads 1 --quiet --csv "$d/log" --save-best "$d/best.safetensors" \
                --save "$d/final.safetensors" >> "$d/out.txt" 2>&1
        else
            # shellcheck disable=SC2046
            "$BIN" train $(recipe_args "$M" "$S" "$RECIPE") --data "$DATA" --threads 1 --quiet \
                --csv "$d/log" --checkpoint "$d/ck.bin" --save-best "$d/best.safetensors" \
                --save "$d/final.safetensors" > "$d/out.txt" 2>&1
        fi
        "$BIN" eval --weights "$d/best.safetensors" --data "$DATA" --threads 1 \
            --predictions "$d/predictions.bin" > "$d/eval.txt"
        echo done > "$d/DONE"
    fi
done
