#!/usr/bin/env bash
# Writes the demo subset of CIFAR-10 that the page uses when the full set is not served:
# the first 5000 records of data_batch_1.bin and the first 1000 of test_batch.bin, bytes
# unchanged (a record is 3073 bytes: label, then the 32x32x3 pixels), and batches.meta.txt,
# into web/data/cifar10-demo/ with a SHA256SUMS of the three files.
#   scripts/demo-data.sh           rebuild it from the official batches in $CIFAR10_DIR
#                                  (default data/cifar10)
#   scripts/demo-data.sh --check   rebuild it into a temporary folder and compare with the
#                                  committed files and their SHA256SUMS (exit 1 on a difference)
set -euo pipefail
cd "$(dirname "$0")/.."
src="${CIFAR10_DIR:-data/cifar10}"
out="web/data/cifar10-demo"
TRAIN=5000 TEST=1000 RECORD=3073

for f in data_batch_1.bin test_batch.bin batches.meta.txt; do
    [ -s "$src/$f" ] || { echo "demo-data: $src/$f is missing (run make data, or set CIFAR10_DIR)" >&2; exit 1; }
done
for f in data_batch_1.bin test_batch.bin; do
    [ "$(stat -L -c %s "$src/$f")" -eq 30730000 ] || { echo "demo-data: $src/$f is not an official batch (size is not 30730000 bytes)" >&2; exit 1; }
done

write() {   # write DIR: the three files and SHA256SUMS
    mkdir -p "$1"
    head -c $((TRAIN * RECORD)) "$src/data_batch_1.bin" > "$1/data_batch_1.bin"
    head -c $((TEST * RECORD)) "$src/test_batch.bin" > "$1/test_batch.bin"
    cat "$src/batches.meta.txt" > "$1/batches.meta.txt"
    (cd "$1" && sha256sum batches.meta.txt data_batch_1.bin test_batch.bin > SHA256SUMS)
}

if [ "${1:-}" = "--check" ]; then
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    write "$tmp"
    ok=1
    for f in SHA256SUMS batches.meta.txt data_batch_1.bin test_batch.bin; do
        cmp -s "$tmp/$f" "$out/$f" || { echo "demo-data: $out/$f differs from what scripts/demo-data.sh writes (run make demo-data)" >&2; ok=0; }
    done
    (cd "$out" && sha256sum --quiet -c SHA256SUMS) || ok=0
    [ $ok = 1 ] && echo "demo-data: $out matches the official batches ($TRAIN training, $TEST test records)"
    [ $ok = 1 ]
else
    write "$out"
    echo "demo-data: wrote $out ($TRAIN training, $TEST test records from $src)"
fi
