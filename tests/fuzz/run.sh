#!/bin/bash
# run.sh SECONDS [TARGET...] — build the libFuzzer targets with clang (ASan+UBSan+libFuzzer)
# in build-fuzz/ and run each for SECONDS. New interesting inputs collect in
# build-fuzz/fuzz-corpus/NAME (seeded from tests/fuzz/corpus/NAME and, when present, from
# build-fuzz/extra-seeds/NAME: real files from other projects' test suites, placed there by
# tests/fuzz/seeds.sh); crashes, leaks, hangs (> CW_FUZZ_TIMEOUT s per input, default 30)
# and OOMs (> 2 GB) land in build-fuzz/fuzz-crashes/NAME and make the script exit 1.
# Copy a crash into tests/fuzz/corpus/NAME/ when you fix it.
# Known leaks inside system libraries are suppressed (lsan.supp). Their stacks need full
# unwinding (the libraries have no frame pointers), which makes every malloc 2-4x dearer, so
# a target runs with ASan's fast unwinding until it stops on a leak; that input is then run
# again with fast_unwind_on_malloc=0, and when the suppressions hold there it is set aside
# in build-fuzz/fuzz-suppressed/NAME and the target goes on, with full stacks, for the rest
# of its time. Per target it prints runs (execs, all segments), the final coverage (cov:
# edges, ft: features) and the corpus size; build-fuzz/fuzz-NAME.log keeps libFuzzer's output.
# CI smoke run: tests/fuzz/run.sh 20       Long run: tests/fuzz/seeds.sh; tests/fuzz/run.sh 3600
set -u
secs=${1:-20}
shift || true
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${CW_FUZZ_BUILD:-$src/build-fuzz}
per_input=${CW_FUZZ_TIMEOUT:-30}
flags="-g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all"
# clang warns where gcc does not (e.g. -Wshadow on glibc's global `tzname`): the fuzz build
# reports those warnings but does not stop on them (the gcc builds keep -Werror).
mkdir -p "$build"
printf '#!/bin/sh\nexec "$@" -Wno-error\n' >"$build/.cc-launcher"
chmod +x "$build/.cc-launcher"
cmake -S "$src" -B "$build" -DCMAKE_C_COMPILER=clang -DCW_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug \
    -DCMAKE_C_COMPILER_LAUNCHER="$build/.cc-launcher" -DCMAKE_C_FLAGS="$flags" >"$build.configure.log" 2>&1 || { cat "$build.configure.log"; exit 3; }
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for f in "$src"/tests/fuzz/fuzz_*.c; do
        n=$(basename "$f" .c); n=${n#fuzz_}
        # only targets CMake configured (modules that have landed)
        grep -q "fuzz_$n:" "$build/tests/fuzz/Makefile" 2>/dev/null && targets+=("$n")
    done
fi
cmake --build "$build" -j"$(nproc)" --target $(printf 'fuzz_%s ' "${targets[@]}") >"$build.build.log" 2>&1 ||
    { tail -40 "$build.build.log"; exit 3; }
# lsan.supp matches leaks by the function names in system libraries: without a symbolizer no
# name is known, nothing is suppressed and a known libvorbisfile leak stops the run
sym=$(command -v llvm-symbolizer || command -v llvm-symbolizer-14 || ls /usr/lib/llvm-*/bin/llvm-symbolizer 2>/dev/null | tail -1)
if [ -z "$sym" ]; then
    echo "run.sh: llvm-symbolizer is missing (apt-get install llvm): the leak suppressions need it" >&2
    exit 3
fi
export ASAN_SYMBOLIZER_PATH=$sym
asan_base=detect_leaks=1:allocator_may_return_null=1
export LSAN_OPTIONS=suppressions=$src/tests/fuzz/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

# seed_dir DIR NAME: DIR itself, or a copy without its slow-* files (bounded, but seconds
# each under fuzzer instrumentation: the replay tests run them, the fuzzer does not start
# from them); prints the directory to use, nothing when DIR is missing
seed_dir() {
    [ -d "$1" ] || return 0
    if ls "$1" | grep -q '^slow-'; then
        local copy=$build/fuzz-seed-$2
        rm -rf "$copy"
        mkdir -p "$copy"
        find "$1" -maxdepth 1 -type f ! -name 'slow-*' -exec cp {} "$copy/" \;
        echo "$copy"
    else
        echo "$1"
    fi
}

# run_target NAME: one target for $secs seconds; prints one line (and the first lines of a
# failure); non-zero when it found something
run_target() {
    local n=$1 corpus crashes set_aside s seeds d log start runs unwind suppressed rc left before r leak cov note
    corpus=$build/fuzz-corpus/$n crashes=$build/fuzz-crashes/$n set_aside=$build/fuzz-suppressed/$n
    mkdir -p "$corpus" "$crashes"
    s=$n
    [ "$n" = chain ] && s=ogg
    seeds=()
    d=$(seed_dir "$src/tests/fuzz/corpus/$s" "$n") && [ -n "$d" ] && seeds+=("$d")
    d=$(seed_dir "$build/extra-seeds/$s" "$n-extra") && [ -n "$d" ] && seeds+=("$d")
    log=$build/fuzz-$n.log
    : >"$log"
    start=$(date +%s) runs=0 unwind=1 suppressed=0 rc=0
    while :; do
        left=$((secs - ($(date +%s) - start)))
        [ "$left" -gt 0 ] || break
        before=$(ls "$crashes" | wc -l)
        ASAN_OPTIONS=$asan_base:fast_unwind_on_malloc=$unwind \
            "$build/tests/fuzz/fuzz_$n" -max_total_time="$left" -timeout="$per_input" -rss_limit_mb=2048 \
            -max_len=65536 -print_final_stats=1 -artifact_prefix="$crashes/" "$corpus" "${seeds[@]}" >"$log.part" 2>&1
        rc=$?
        cat "$log.part" >>"$log"
        r=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log.part" | grep -o '[0-9]*$')
        [ -n "$r" ] || r=$(grep -oE '^#[0-9]+' "$log.part" | tail -1 | tr -d '#')
        runs=$((runs + ${r:-0}))
        [ $rc -ne 0 ] || break
        # stopped: a leak that the suppressions cover once the stack is whole?
        leak=$(ls -t "$crashes" | grep '^leak-' | head -1)
        if [ "$unwind" = 1 ] && [ -n "$leak" ] && [ "$(ls "$crashes" | wc -l)" -gt "$before" ] &&
            ASAN_OPTIONS=$asan_base:fast_unwind_on_malloc=0 "$build/tests/fuzz/fuzz_$n" \
                -artifact_prefix="$build/fuzz-recheck-" "$crashes/$leak" >"$log.check" 2>&1; then
            mkdir -p "$set_aside"
            mv "$crashes/$leak" "$set_aside/"
            suppressed=$((suppressed + 1))
            unwind=0
            echo "# $leak: a leak lsan.supp suppresses with full stacks; going on with fast_unwind_on_malloc=0" >>"$log"
            continue
        fi
        break
    done
    rm -f "$log.part" "$log.check"
    cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
    note=""
    [ "$suppressed" = 0 ] || note=" (after $suppressed suppressed leak: full stacks)"
    if [ $rc -ne 0 ]; then
        echo "fuzz $n: FAILED after $(($(date +%s) - start)) s ($runs runs, $cov) — see $log and $crashes/"
        tail -300 "$log" | grep -m3 -E 'ERROR|SUMMARY|runtime error'
        return 1
    fi
    echo "fuzz $n: ok, $secs s, $runs runs, $cov, corpus $(ls "$corpus" | wc -l) files$note"
}

# CW_FUZZ_JOBS=N runs N targets at once (long runs on an idle machine: each target gets
# its full time); default 1, one after the other (CI)
jobs=${CW_FUZZ_JOBS:-1}
fail=0
running=0
for n in "${targets[@]}"; do
    if [ "$jobs" -le 1 ]; then
        run_target "$n" || fail=1
        continue
    fi
    if [ "$running" -ge "$jobs" ]; then
        wait -n || fail=1
        running=$((running - 1))
    fi
    run_target "$n" &
    running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
    wait -n || fail=1
    running=$((running - 1))
done
exit $fail
