#!/usr/bin/env bash
# test_cli.sh EXCITE - the command-line program: help, bad usage, bad dataset files, bad
# weights and images, CSV files that cannot be written (non-zero exit and a message naming the problem), and - with the real
# CIFAR-10 batches in $CIFAR10_DIR, unless EXCITE_QUICK=1 (the ASan run) - a short train with CSV logs, checkpoint, resume
# (byte-identical to an uninterrupted run), divergence (exit 3), eval, predict and info.
# Synthetic files only: no dataset bytes are written.
set -u
EXCITE="${1:-build/excite}"
[ -x "$EXCITE" ] || { echo "test_cli: $EXCITE is not built"; exit 1; }
EXCITE="$(cd "$(dirname "$EXCITE")" && pwd)/$(basename "$EXCITE")"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# expect STATUS PATTERN CMD...: exit status STATUS and PATTERN (grep -E) in stdout+stderr.
expect() {
    local want="$1" pat="$2"; shift 2
    "$@" >"$TMP/out" 2>&1
    local got=$?
    if [ "$got" != "$want" ]; then fail "exit $got (wanted $want): $*"; sed 's/^/    /' "$TMP/out" | tail -5; return; fi
    if [ -n "$pat" ] && ! grep -Eq -- "$pat" "$TMP/out"; then
        fail "no /$pat/ in the output of: $*"; sed 's/^/    /' "$TMP/out" | tail -5
    fi
}

# ---- usage ----
expect 0 "predict +class probabilities" "$EXCITE" --help
for c in train eval predict info; do expect 0 "usage: excite $c" "$EXCITE" $c --help; done
expect 2 "usage" "$EXCITE"
expect 2 "unknown command" "$EXCITE" frobnicate
expect 2 "unknown option --bogus" "$EXCITE" train --bogus 1
expect 2 "--epochs needs an integer" "$EXCITE" train --epochs many
expect 2 "--model must be cnn or cnn_se" "$EXCITE" train --model resnet
expect 2 "--lr needs a number" "$EXCITE" train --lr -1
expect 2 "--weights FILE is required" "$EXCITE" eval
expect 2 "IMAGE file is required" "$EXCITE" predict --weights x

# ---- bad dataset files (synthetic records: label 0, black pixels) ----
mkdir -p "$TMP/missing" "$TMP/trunc" "$TMP/label" "$TMP/notest"
expect 1 "missing/data_batch_1.bin: cannot open" "$EXCITE" train --data "$TMP/missing" --epochs 1
head -c $((3073 * 100 - 5)) /dev/zero > "$TMP/trunc/data_batch_1.bin"
expect 1 "data_batch_1.bin: truncated: 307295 bytes" "$EXCITE" train --data "$TMP/trunc" --limit 50 --epochs 1
{ printf '\012'; head -c 3072 /dev/zero; } > "$TMP/label/data_batch_1.bin"
expect 1 "data_batch_1.bin: record 0 has label 10" "$EXCITE" train --data "$TMP/label" --limit 1 --epochs 1
head -c $((3073 * 64)) /dev/zero > "$TMP/notest/data_batch_1.bin"
expect 1 "test_batch.bin: cannot open" "$EXCITE" train --data "$TMP/notest" --limit 64 --epochs 1

# ---- bad weights and images ----
printf 'not a safetensors file at all' > "$TMP/junk.st"
expect 1 "junk.st" "$EXCITE" info "$TMP/junk.st"
expect 1 "no-such-file.st: cannot open" "$EXCITE" info "$TMP/no-such-file.st"
expect 1 "junk.st" "$EXCITE" predict "$TMP/junk.st" --weights "$TMP/junk.st"
printf 'GIF89a, or rather not' > "$TMP/bad.png"
expect 1 "bad.png: not a PNG or JPEG file" "$EXCITE" predict "$TMP/bad.png" --weights "$TMP/junk.st"
expect 1 "nothing.png: cannot open" "$EXCITE" predict "$TMP/nothing.png" --weights "$TMP/junk.st"

# A 48x40 RGB PNG written with zlib (a gradient; no dataset bytes).
python3 - "$TMP/img.png" <<'EOF'
import struct, sys, zlib
w, h = 48, 40
raw = b''.join(b'\x00' + b''.join(bytes((x * 5 % 256, y * 6 % 256, (x + y) % 256)) for x in range(w)) for y in range(h))
def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
png = b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0)) \
      + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b'')
open(sys.argv[1], 'wb').write(png)
EOF
head -c 200 "$TMP/img.png" > "$TMP/cut.png"
expect 1 "cut.png: corrupt PNG" "$EXCITE" predict "$TMP/cut.png" --weights "$TMP/junk.st"

# A safetensors file whose tensors fit neither model: info lists it, says why, exits 1.
python3 - "$TMP/shapes.st" <<'EOF'
import json, struct, sys
h = json.dumps({"conv1.weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}).encode()
open(sys.argv[1], 'wb').write(struct.pack('<Q', len(h)) + h + bytes(16))
EOF
expect 1 "shapes.st: does not load as CNN or as CNN_SE.*conv1.weight" "$EXCITE" info "$TMP/shapes.st"
grep -q "model: CNN" "$TMP/out" && fail "info names a model for a file that does not load"

# ---- a synthetic dataset (64 + 32 black images of class 0): every command end to end ----
mkdir -p "$TMP/syn"
head -c $((3073 * 64)) /dev/zero > "$TMP/syn/data_batch_1.bin"
head -c $((3073 * 32)) /dev/zero > "$TMP/syn/test_batch.bin"
SYN="--data $TMP/syn --limit 64 --batch 32 --threads 1"
expect 0 "test: 32 images" "$EXCITE" train $SYN --epochs 1 --model cnn_se --save "$TMP/syn.st" --checkpoint "$TMP/syn.ck" --csv "$TMP/syn"
[ "$(wc -l < "$TMP/syn-batches.csv")" = 3 ] || fail "synthetic batch CSV: $(wc -l < "$TMP/syn-batches.csv") lines"
expect 0 "resuming" "$EXCITE" train --resume "$TMP/syn.ck" --epochs 2 --data "$TMP/syn" --threads 1
expect 0 "confusion matrix" "$EXCITE" eval --weights "$TMP/syn.st" --data "$TMP/syn"
expect 0 "model: CNN_SE" "$EXCITE" info "$TMP/syn.ck"
# CSV files that cannot be written (a full disk: /dev/full) fail the run, naming the file.
ln -s /dev/full "$TMP/fullb-batches.csv"
expect 1 "fullb-batches.csv: write failed" "$EXCITE" train $SYN --epochs 1 --csv "$TMP/fullb"
ln -s /dev/full "$TMP/fulle-epochs.csv"
expect 1 "fulle-epochs.csv: write failed" "$EXCITE" train $SYN --epochs 1 --csv "$TMP/fulle"
expect 0 "prediction: " "$EXCITE" predict "$TMP/img.png" --weights "$TMP/syn.st"
expect 1 "" "$EXCITE" predict "$TMP/img.png" --weights "$TMP/syn.st" --model cnn
head -c 5000 "$TMP/syn.st" > "$TMP/cut.st"
expect 1 "cut.st" "$EXCITE" predict "$TMP/img.png" --weights "$TMP/cut.st"
head -c 5000 "$TMP/syn.ck" > "$TMP/cut.ck"
expect 1 "cut.ck" "$EXCITE" train --resume "$TMP/cut.ck" --data "$TMP/syn"

# ---- with the real data ----
DATA="${CIFAR10_DIR:-data/cifar10}"
if [ "${EXCITE_QUICK:-0}" != 0 ]; then
    echo "test_cli: real-data part skipped (EXCITE_QUICK)"
elif [ ! -s "$DATA/data_batch_1.bin" ] || [ ! -s "$DATA/test_batch.bin" ]; then
    echo "test_cli: real-data part skipped (no CIFAR-10 in $DATA)"
else
    S="--data $DATA --limit 320 --test-limit 200 --threads 2 --seed 5 --augment --batch 32"
    cd "$TMP"
    # The README's one-epoch example: the same command, its accuracy inside the range the
    # README states.
    range=$(tr '\n' ' ' < "$ROOT/README.md" | grep -o "accuracy of this run lies between [0-9]*% and [0-9]*%")
    lo=$(echo "$range" | sed -n 's/.*between \([0-9]*\)% and \([0-9]*\)%/\1/p')
    hi=$(echo "$range" | sed -n 's/.*between \([0-9]*\)% and \([0-9]*\)%/\2/p')
    [ -n "$lo" ] && [ -n "$hi" ] || fail "README.md: no 'accuracy of this run lies between A% and B%'"
    expect 0 "^test: 10000 images" "$EXCITE" train --model cnn_se --limit 10000 --epochs 1 --batch 32 --data "$DATA"
    acc=$(sed -n 's/^test: 10000 images .*accuracy \([0-9.]*\)%$/\1/p' out)
    awk -v a="$acc" -v lo="${lo:-0}" -v hi="${hi:-0}" 'BEGIN {exit !(a != "" && a + 0 >= lo + 0 && a + 0 <= hi + 0)}' ||
        fail "README example: CNN_SE one-epoch test accuracy '$acc'% is outside ${lo:-?}%..${hi:-?}%"
    echo "test_cli: the README's one-epoch example: CNN_SE test accuracy $acc% (README: $lo%..$hi%)"
    expect 0 "test: 200 images" "$EXCITE" train $S --epochs 2 --model cnn_se --csv full --save full.st --checkpoint full.ck
    [ "$(wc -l < full-batches.csv)" = 21 ] || fail "full-batches.csv: $(wc -l < full-batches.csv) lines (wanted header + 20)"
    [ "$(wc -l < full-epochs.csv)" = 3 ] || fail "full-epochs.csv: $(wc -l < full-epochs.csv) lines (wanted header + 2)"
    head -1 full-batches.csv | grep -qx "epoch,batch,step,loss,accuracy,lr,images_per_sec" || fail "batch CSV header"
    head -1 full-epochs.csv | grep -qx "epoch,train_loss,train_acc,test_loss,test_acc,lr,seconds" || fail "epoch CSV header"
    # 1 epoch, then resume for 1 more: the same bytes.
    expect 0 "" "$EXCITE" train $S --epochs 1 --model cnn_se --checkpoint half.ck --csv half
    expect 0 "resuming" "$EXCITE" train --resume half.ck --epochs 2 --save resumed.st --csv half --data "$DATA" --threads 1
    cmp -s full.st resumed.st || fail "1 epoch + resume differs from 2 epochs"
    [ "$(wc -l < half-batches.csv)" = 21 ] || fail "resumed CSV: $(wc -l < half-batches.csv) lines"
    expect 2 "cannot be combined with --resume" "$EXCITE" train --resume half.ck --lr 0.1 --data "$DATA"
    expect 1 "not an excite checkpoint" "$EXCITE" train --resume full.st --data "$DATA"
    # Same seed again: the same bytes; F16 save is half the size of the weights.
    expect 0 "" "$EXCITE" train $S --epochs 2 --model cnn_se --save again.st --half
    expect 0 "" "$EXCITE" train $S --epochs 2 --model cnn_se --save again32.st
    cmp -s full.st again32.st || fail "two runs with the same seed differ"
    # Validation hold-out: the epoch CSV names it, the test set is evaluated at the end,
    # --save-best keeps the weights of the lowest validation loss.
    expect 0 "test: 200 images" "$EXCITE" train $S --epochs 1 --val 64 --csv val --save-best best.st
    head -1 val-epochs.csv | grep -qx "epoch,train_loss,train_acc,val_loss,val_acc,lr,seconds" || fail "val CSV header"
    grep -q "256 training images (+ 64 for validation)" out || fail "--val 64 not reported"
    [ -s best.st ] || fail "--save-best wrote nothing"
    # Divergence: exit 3, the message, the CSV so far, the last good weights saved.
    expect 3 "diverged at step [0-9]+.*learning rate" "$EXCITE" train $S --epochs 1 --lr 10 --csv div --save div.st
    [ -s div.st ] || fail "no last good weights after divergence"
    [ "$(wc -l < div-batches.csv)" -ge 1 ] || fail "divergence lost the CSV"
    # info, eval, predict.
    expect 0 "model: CNN_SE" "$EXCITE" info full.st
    expect 0 "ca1.fc.0.weight +F32 +\(2, 32\)" "$EXCITE" info full.st
    expect 0 "parameters: 1150602" "$EXCITE" info full.st
    expect 0 "ca1.fc.0.weight +F16" "$EXCITE" info again.st
    expect 0 "training checkpoint" "$EXCITE" info full.ck
    expect 0 "confusion matrix" "$EXCITE" eval --weights full.st --data "$DATA" --test-limit 200
    expect 0 "per-class accuracy" "$EXCITE" eval --weights full.ck --data "$DATA" --test-limit 200
    expect 1 "" "$EXCITE" eval --weights full.st --model cnn --data "$DATA" --test-limit 200
    expect 0 "prediction: " "$EXCITE" predict img.png --weights full.st
    grep -Eq "48x40, 3 channels.*centre 40x40" out || fail "predict did not describe the resize"
    # The 10 probabilities sum to 1.
    expect 0 "truck" "$EXCITE" predict img.png --weights again.st
    awk '$1 ~ /^(airplane|automobile|bird|cat|deer|dog|frog|horse|ship|truck)$/ {s += $2; n++}
         END {exit !(n == 10 && s > 0.999 && s < 1.001)}' out || fail "predict: 10 probabilities summing to 1"
    cd - >/dev/null
fi

if [ $fails -ne 0 ]; then echo "test_cli: $fails failure(s)"; exit 1; fi
echo "test_cli: ok"
