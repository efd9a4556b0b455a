#!/usr/bin/env bash
# test_imagefolder.sh EXCITE - `excite train --images DIR` on a generated ImageFolder set
# (tests/make_imagefolder.py: three classes of drawn pictures, PNG and JPEG, various sizes,
# one class name in Chinese; never dataset files):
#   bad input: a non-image file, a 0-byte file, a corrupt JPEG, a picture that declares 100
#   megapixels, a file outside the class folders (each skipped with a warning naming it); one
#   class, eleven classes, a class with no picture, duplicate names, a class of one picture,
#   a missing folder (each an error naming the problem, exit 1);
#   the same seed gives the same split and the same first-batch loss; eval --images gives the
#   run's test accuracy; predict and info name the classes; a resumed run writes the same bytes;
#   unless EXCITE_QUICK=1 (the ASan run): CNN and CNN_SE from scratch reach >= 90% test
#   accuracy, and fine-tuning from weights/cnn.safetensors / cnn_se.safetensors on the same
#   split is not worse (at most MARGIN below).
set -u
EXCITE="${1:-build/excite}"
[ -x "$EXCITE" ] || { echo "test_imagefolder: $EXCITE is not built"; exit 1; }
EXCITE="$(cd "$(dirname "$EXCITE")" && pwd)/$(basename "$EXCITE")"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PY=/usr/bin/python3
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
expect() {   # expect STATUS PATTERN CMD...: exit status and PATTERN (grep -E) in stdout+stderr
    local want="$1" pat="$2"; shift 2
    "$@" >"$TMP/out" 2>&1
    local got=$?
    if [ "$got" != "$want" ]; then fail "exit $got (wanted $want): $*"; sed 's/^/    /' "$TMP/out" | tail -5; return; fi
    if [ -n "$pat" ] && ! grep -Eq -- "$pat" "$TMP/out"; then
        fail "no /$pat/ in the output of: $*"; sed 's/^/    /' "$TMP/out" | tail -5
    else
        echo "ok   $(grep -E -m1 -- "$pat" "$TMP/out" | cut -c1-150)"
    fi
}
acc() { sed -n 's/^test: .*accuracy \([0-9.]*\)%.*/\1/p' "$1"; }

SET="$TMP/set"
$PY "$ROOT/tests/make_imagefolder.py" "$SET" --per-class 120 --seed 1 || { echo "FAIL: generator"; exit 1; }
Q="--epochs 0 --quiet --threads 1"   # 0 epochs: read, split, evaluate once

# ---- bad input: skipped with a warning naming the file ----
B="$TMP/bad"; cp -r "$SET" "$B"
echo "not a picture" > "$B/circle/notes.txt"
: > "$B/circle/empty.png"
head -c 500 /dev/urandom > "$B/stripes/corrupt.jpg"
echo "stray" > "$B/README.txt"
touch "$B/circle/.DS_Store"
$PY - "$B/stripes/huge.png" <<'PYEOF'
import struct, sys, zlib
def chunk(t, d):
    return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
# a PNG that declares 10000 x 10000 (100 megapixels); its data is a few bytes
open(sys.argv[1], "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 10000, 10000, 8, 2, 0, 0, 0))
                              + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))
PYEOF
expect 0 "circle/notes.txt skipped: not a .png, .jpg or .jpeg" "$EXCITE" train --images "$B" $Q
expect 0 "circle/empty.png skipped: the file is empty" "$EXCITE" train --images "$B" $Q
expect 0 "stripes/corrupt.jpg skipped" "$EXCITE" train --images "$B" $Q
expect 0 "stripes/huge.png skipped: .*10000 x 10000 pixels is too large" "$EXCITE" train --images "$B" $Q
expect 0 "README.txt skipped: not in a class folder" "$EXCITE" train --images "$B" $Q
expect 0 "4 files skipped" "$EXCITE" train --images "$B" $Q
grep -q "DS_Store" "$TMP/out" && fail "a hidden file was warned about"

# ---- bad input: errors ----
O="$TMP/one"; mkdir -p "$O"; cp -r "$SET/circle" "$O/"
expect 1 "1 class folder; an ImageFolder directory needs 2 to 10" "$EXCITE" train --images "$O" $Q
E="$TMP/eleven"; mkdir -p "$E"
for i in 0 1 2 3 4 5 6 7 8 9 10; do mkdir "$E/c$i"; cp "$SET/circle/0001.png" "$SET/circle/0003.png" "$E/c$i/"; done
expect 1 "11 class folders.*merge or remove" "$EXCITE" train --images "$E" $Q
N="$TMP/noimg"; cp -r "$SET" "$N"; mkdir "$N/dog"; echo x > "$N/dog/a.txt"
expect 1 "class \"dog\" has no picture" "$EXCITE" train --images "$N" $Q
D="$TMP/dup"; mkdir -p "$D"; cp -r "$SET/circle" "$D/Cat"; cp -r "$SET/stripes" "$D/cat"
expect 1 "duplicate class names \"Cat\" and \"cat\"" "$EXCITE" train --images "$D" $Q
S="$TMP/single"; mkdir -p "$S/a" "$S/b"; cp "$SET/circle/0001.png" "$S/a/"; cp "$SET/stripes/0001.png" "$SET/stripes/0003.png" "$S/b/"
expect 1 "class \"a\" has 1 picture: each class needs at least 2" "$EXCITE" train --images "$S" $Q
expect 1 "nowhere: cannot open the folder" "$EXCITE" train --images "$TMP/nowhere" $Q
expect 1 "cannot fine-tune a CNN from CNN_SE" "$EXCITE" train --images "$SET" $Q --init "$ROOT/weights/cnn_se.safetensors"
expect 1 "hidden sizes \(2, 4, 8\), this model \(4, 8, 16\)" "$EXCITE" train --images "$SET" $Q --model cnn_se --reduction 8 --init "$ROOT/weights/cnn_se.safetensors"
expect 2 "--test-fraction needs a number" "$EXCITE" train --images "$SET" $Q --test-fraction 1.5

# ---- same seed: same split, same first batch; eval, predict, info name the classes ----
cd "$TMP"
expect 0 "3 classes from .*: circle, stripes, 三角形; test fraction 0.2" "$EXCITE" train --images "$SET" --model cnn_se --reduction 8 --epochs 1 --batch 16 --quiet --threads 1 --csv a --save a.st --checkpoint a.ck
cp out a.out
expect 0 "test: 72 images" cat a.out
"$EXCITE" train --images "$SET" --model cnn_se --reduction 8 --epochs 1 --batch 16 --quiet --threads 2 --csv b >/dev/null 2>&1
r1=$(sed -n 2p a-batches.csv | cut -d, -f1-5); r2=$(sed -n 2p b-batches.csv | cut -d, -f1-5)
[ -n "$r1" ] && [ "$r1" = "$r2" ] && echo "ok   same seed, same first batch: $r1" || fail "first batch rows differ: '$r1' vs '$r2'"
expect 0 "test: 72 images .*accuracy $(acc a.out)%" "$EXCITE" eval --weights a.st --images "$SET"
cp out eval.out
expect 0 "三角形 .*\([0-9]+/24\)" cat eval.out
expect 1 "the folder's classes" "$EXCITE" eval --weights "$ROOT/weights/cnn.safetensors" --images "$SET"
expect 0 "reduction ratio 8: SE hidden sizes 4, 8, 16" "$EXCITE" info a.st
cp out info.out
expect 0 "classes: 3: circle, stripes, 三角形" cat info.out
expect 0 "prediction: (circle|stripes|三角形)" "$EXCITE" predict "$SET/三角形/0001.png" --weights a.st
# 1 epoch + resume 1 more = 2 epochs in one go
"$EXCITE" train --images "$SET" --model cnn --epochs 2 --batch 32 --quiet --threads 1 --save two.st >/dev/null 2>&1
"$EXCITE" train --images "$SET" --model cnn --epochs 1 --batch 32 --quiet --threads 1 --checkpoint r.ck >/dev/null 2>&1
expect 0 "resuming" "$EXCITE" train --images "$SET" --resume r.ck --epochs 2 --threads 1 --save resumed.st
cmp -s two.st resumed.st && echo "ok   --images: 1 epoch + resume = 2 epochs, same bytes" || fail "resumed --images run differs"

# ---- accuracy: from scratch >= 90%, fine-tuning not worse (same split) ----
if [ "${EXCITE_QUICK:-0}" != 1 ]; then
    RUN="--images $SET --epochs 10 --batch 16 --quiet --threads 2"
    MARGIN=2.8   # percentage points: two of the 72 test pictures
    for m in cnn cnn_se; do
        "$EXCITE" train $RUN --model $m > scratch.out 2>&1 || fail "$m training failed"
        "$EXCITE" train $RUN --model $m --init "$ROOT/weights/$m.safetensors" > ft.out 2>&1 || fail "$m fine-tuning failed"
        s=$(acc scratch.out); f=$(acc ft.out)
        echo "     $m: from scratch ${s}%, fine-tuned from weights/$m.safetensors ${f}%"
        awk -v s="$s" 'BEGIN { exit !(s >= 90) }' || fail "$m from scratch: ${s}% < 90%"
        awk -v s="$s" -v f="$f" -v m="$MARGIN" 'BEGIN { exit !(f >= s - m) }' || fail "$m fine-tuned ${f}% is more than $MARGIN points below from scratch ${s}%"
    done
    # frozen convolution blocks: only fc1 and fc2 learn the three classes, on the same split
    "$EXCITE" train $RUN --model cnn_se --init "$ROOT/weights/cnn_se.safetensors" --freeze-conv > frozen.out 2>&1 || fail "frozen fine-tuning failed"
    z=$(acc frozen.out)
    echo "     cnn_se: fine-tuned with --freeze-conv ${z}%"
    awk -v z="$z" 'BEGIN { exit !(z >= 90) }' || fail "cnn_se frozen fine-tuning: ${z}% < 90%"
fi

if [ "$fails" != 0 ]; then echo "test_imagefolder: $fails failure(s)"; exit 1; fi
echo "test_imagefolder: ok"
