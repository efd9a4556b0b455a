#!/usr/bin/env bash
# Runs the libFuzzer targets built by the Makefile (build/fuzz/bin/fuzz_<name>).
#   fuzz/run.sh BIN_DIR SECONDS [name...]    (names: safetensors cifar image; default all)
# For each target: replay fuzz/regressions/<name>/ and fuzz/corpus/<name>/ (every file once;
# any crash fails), then fuzz SECONDS (0: replay only) starting from the committed corpus,
# with new inputs kept in build/fuzz/work/<name>/ (the committed corpus is never modified).
# Prints one line per target: execs/s and total execs. A crash, leak, UB report or timeout
# leaves the input in build/fuzz/artifacts/<name>/ and fails; once it is fixed, copy that
# input to fuzz/regressions/<name>/ so `make test` replays it for ever.
# Per-target libFuzzer options are in fuzz/<name>.options, a dictionary in fuzz/<name>.dict.
set -uo pipefail
cd "$(dirname "$0")/.."
bin="$1"; secs="$2"; shift 2
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
    for f in fuzz/fuzz_*.c; do n="${f#fuzz/fuzz_}"; names+=("${n%.c}"); done
fi
work="$(dirname "$bin")"
status=0
for n in "${names[@]}"; do
    exe="$bin/fuzz_$n"
    opts=(-timeout=30 -rss_limit_mb=2560 -print_final_stats=1)
    if [ -f "fuzz/$n.options" ]; then
        while read -r o; do [ -n "$o" ] && [ "${o#\#}" = "$o" ] && opts+=("$o"); done < "fuzz/$n.options"
    fi
    [ -f "fuzz/$n.dict" ] && opts+=("-dict=fuzz/$n.dict")
    mkdir -p "$work/work/$n" "$work/artifacts/$n"
    log="$work/$n.log"
    # 1. replay: each committed input once
    mapfile -t inputs < <(find "fuzz/regressions/$n" "fuzz/corpus/$n" -type f ! -name '*.md' 2>/dev/null | sort)
    if [ ${#inputs[@]} -gt 0 ]; then
        if ! "$exe" "${opts[@]}" "${inputs[@]}" >"$log" 2>&1; then
            echo "fuzz_$n: FAILED replaying the committed inputs (log: $log)"; tail -n 30 "$log"; status=1; continue
        fi
    fi
    echo "fuzz_$n: replayed ${#inputs[@]} committed inputs"
    [ "$secs" -gt 0 ] || continue
    # 2. fuzz
    dirs=("$work/work/$n")
    for d in "fuzz/corpus/$n" "fuzz/regressions/$n"; do [ -d "$d" ] && dirs+=("$d"); done
    if "$exe" "${opts[@]}" -max_total_time="$secs" -artifact_prefix="$work/artifacts/$n/" \
            "${dirs[@]}" >"$log" 2>&1; then
        result="ok"
    else
        result="FAILED"; status=1
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    corpus=$(find "$work/work/$n" -type f | wc -l)
    echo "fuzz_$n: $result, ${secs} s, ${rate:-?} execs/s, ${execs:-?} execs, ${cov:-cov: ?}, $corpus new inputs (log: $log)"
    if [ "$result" != ok ]; then
        tail -n 40 "$log"
        echo "fuzz_$n: the failing input is in $work/artifacts/$n/"
    fi
done
exit $status
