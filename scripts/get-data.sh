#!/usr/bin/env bash
# Fetches the official CIFAR-10 binary archive into DIR (default data/cifar10) and checks it.
# Does nothing if DIR already holds the six batches.
set -euo pipefail
dir="${1:-data/cifar10}"
files="data_batch_1.bin data_batch_2.bin data_batch_3.bin data_batch_4.bin data_batch_5.bin test_batch.bin batches.meta.txt"
complete=1
for f in $files; do [ -s "$dir/$f" ] || complete=0; done
if [ $complete -eq 1 ]; then
    for f in data_batch_1.bin data_batch_2.bin data_batch_3.bin data_batch_4.bin data_batch_5.bin test_batch.bin; do
        [ "$(stat -L -c %s "$dir/$f")" -eq 30730000 ] || { echo "data: $dir/$f has the wrong size (expected 30730000 bytes); delete it and run make data again" >&2; exit 1; }
    done
    exit 0
fi
url="https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
md5="c32a1d4ab5d03f1284b67883e8d87530"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "data: downloading $url (163 MB)"
curl -fL --retry 3 -o "$tmp/cifar.tar.gz" "$url" || { echo "data: download failed; put the CIFAR-10 binary batches in $dir or set CIFAR10_DIR" >&2; exit 1; }
echo "$md5  $tmp/cifar.tar.gz" | md5sum -c --quiet - || { echo "data: checksum mismatch for the downloaded archive" >&2; exit 1; }
mkdir -p "$dir"
tar -xzf "$tmp/cifar.tar.gz" -C "$tmp"
for f in $files; do mv "$tmp/cifar-10-batches-bin/$f" "$dir/"; done
echo "data: CIFAR-10 is in $dir"
