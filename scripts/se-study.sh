#!/bin/sh
# se-study.sh - the dead-unit study's training runs: CNN_SE with the plain recipe (batch 64,
# lr 1e-3, augmentation, the last 5,000 training images held out for the scheduler) for 10
# epochs, one weights snapshot per epoch, for one reduction ratio R and the given seeds.
#   scripts/se-study.sh R SEED...     e.g. scripts/se-study.sh 16 1 2 3 4 5
# Writes STUDY/r<R>/s<seed>/: e0.safetensors (the initialisation), e1..e10.safetensors (after
# each epoch; a run stopped midway continues from its checkpoint ck.bin at the next start),
# out.txt (every invocation's output), log-*.csv. STUDY defaults to build/se-study, BIN to
# build/excite, EPOCHS to 10, CIFAR10_DIR to data/cifar10; one thread per run (start two at
# once on two cores). EXTRA adds options to the first invocation of each run (kept in the
# checkpoint), e.g. EXTRA=--se-positive-init STUDY=build/se-study-positive for the remedy.
# Then: /usr/bin/python3 scripts/se_study.py --study STUDY.
set -eu
R=$1; shift
BIN=${BIN:-build/excite}
case $BIN in /*) ;; *) BIN=$(pwd)/$BIN ;; esac
STUDY=${STUDY:-build/se-study}
EPOCHS=${EPOCHS:-10}
DATA=${CIFAR10_DIR:-data/cifar10}
case $DATA in /*) ;; *) DATA=$(pwd)/$DATA ;; esac
RF=""; [ "$R" != 16 ] && RF="--reduction $R"
RF="$RF ${EXTRA:-}"
for S in "$@"; do
  d=$STUDY/r$R/s$S; mkdir -p "$d"
  (
    cd "$d"
    if [ ! -f e0.safetensors ]; then
      # shellcheck disable=SC2086
      "$BIN" train --model cnn_se $RF --epochs 0 --seed "$S" --data "$DATA" --limit 100 \
        --test-limit 100 --threads 1 --quiet --save e0.safetensors >> out.txt 2>&1
    fi
    if [ ! -f e1.safetensors ]; then
      # shellcheck disable=SC2086
      "$BIN" train --model cnn_se $RF --epochs 1 --batch 64 --lr 0.001 --augment --val 5000 \
        --seed "$S" --data "$DATA" --threads 1 --quiet --csv log --checkpoint ck.bin \
        --save e1.safetensors >> out.txt 2>&1
    fi
    k=2
    while [ "$k" -le "$EPOCHS" ]; do
      [ -f "e$k.safetensors" ] || "$BIN" train --resume ck.bin --epochs "$k" --data "$DATA" \
        --threads 1 --quiet --csv log --save "e$k.safetensors" >> out.txt 2>&1
      k=$((k + 1))
    done
    echo done > DONE
  )
done
