#!/bin/sh
# se-why.sh - when do SE hidden units die, and does an initialisation or a warm-up keep them
# alive? Short CNN_SE runs of the plain recipe's first steps (excite se-trace: batch 64,
# lr 1e-3, augmentation, 45,000 training images) that count each block's dead units on the
# first 1,000 test images every 50 steps. Writes weights/logs/se-why/:
#   init.csv                        dead units at initialisation (step 0), seeds 1..INIT_SEEDS
#   <variant>-s<seed>.csv           the trace of a run: baseline, positive (caN.fc.0 weights
#                                   made non-negative at init), warmup (lr ramp over 200 steps)
# usage: scripts/se-why.sh [BIN] ; SEEDS="1 2 3" STEPS=400 INIT_SEEDS=20 override the sizes.
set -eu
BIN=${1:-build/excite}
SEEDS=${SEEDS:-1 2 3 4}
STEPS=${STEPS:-400}
INIT_SEEDS=${INIT_SEEDS:-20}
OUT=weights/logs/se-why
mkdir -p "$OUT"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
for s in $(seq 1 "$INIT_SEEDS"); do
  "$BIN" se-trace --steps 0 --seed "$s" --threads 1 --probe 1000 --csv "$tmp" > /dev/null
  [ "$s" = 1 ] && { printf 'seed,'; head -1 "$tmp"; } > "$OUT/init.csv"
  { printf '%s,' "$s"; tail -1 "$tmp"; } >> "$OUT/init.csv"
done
for s in $SEEDS; do
  for v in baseline positive warmup; do
    case $v in
      baseline) extra="" ;;
      positive) extra="--se-positive 1" ;;
      warmup) extra="--warmup 200" ;;
    esac
    # shellcheck disable=SC2086
    "$BIN" se-trace --steps "$STEPS" --every 50 --seed "$s" --threads 1 $extra \
      --csv "$OUT/$v-s$s.csv" > /dev/null
  done
done
