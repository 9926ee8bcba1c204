#!/bin/bash
# run.sh SECONDS [TARGET...] — build the libFuzzer targets with clang (ASan+UBSan+libFuzzer)
# in build-fuzz/ and run each for SECONDS. New interesting inputs collect in
# build-fuzz/fuzz-corpus/NAME (seeded from tests/fuzz/corpus/NAME); crashes, leaks, hangs
# (> 30 s per input) and OOMs (> 2 GB) land in build-fuzz/fuzz-crashes/NAME and make the
# script exit 1. Copy a crash into tests/fuzz/corpus/NAME/ when you fix it.
# CI smoke run: tests/fuzz/run.sh 20       Long run: tests/fuzz/run.sh 1200
set -u
secs=${1:-20}
shift || true
src=$(cd "$(dirname "$0")/../.." && pwd)
build=${CW_FUZZ_BUILD:-$src/build-fuzz}
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
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1
export LSAN_OPTIONS=suppressions=$src/tests/fuzz/lsan.supp:print_suppressions=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
fail=0
for n in "${targets[@]}"; do
    corpus=$build/fuzz-corpus/$n crashes=$build/fuzz-crashes/$n
    mkdir -p "$corpus" "$crashes"
    seed=$src/tests/fuzz/corpus/$n
    [ "$n" = chain ] && seed=$src/tests/fuzz/corpus/ogg
    # corpus files named slow-* are bounded but take seconds under fuzzer instrumentation:
    # the replay tests run them, the fuzzer does not start from them
    if ls "$seed" | grep -q '^slow-'; then
        rm -rf "$build/fuzz-seed-$n"
        mkdir -p "$build/fuzz-seed-$n"
        find "$seed" -maxdepth 1 -type f ! -name 'slow-*' -exec cp {} "$build/fuzz-seed-$n/" \;
        seed=$build/fuzz-seed-$n
    fi
    start=$(date +%s)
    "$build/tests/fuzz/fuzz_$n" -max_total_time="$secs" -timeout=30 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$crashes/" "$corpus" "$seed" >"$build/fuzz-$n.log" 2>&1
    rc=$?
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$build/fuzz-$n.log" | grep -o '[0-9]*$')
    cov=$(grep -o 'cov: [0-9]*' "$build/fuzz-$n.log" | tail -1)
    if [ $rc -ne 0 ]; then
        fail=1
        echo "fuzz $n: FAILED after $(( $(date +%s) - start )) s ($runs runs) — see $build/fuzz-$n.log and $crashes/"
        grep -m3 -E 'ERROR|SUMMARY|runtime error' "$build/fuzz-$n.log"
    else
        echo "fuzz $n: ok, $secs s, ${runs:-?} runs, $cov, corpus $(ls "$corpus" | wc -l) files"
    fi
done
exit $fail
