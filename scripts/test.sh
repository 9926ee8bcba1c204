#!/usr/bin/env bash
# test.sh — install everything the tests need, then build and run every test twice: a
# normal build (./build) and an AddressSanitizer + UndefinedBehaviorSanitizer build
# (./build-asan), plus a short fuzz smoke run. This is what .ci/run runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
jobs=$(nproc)
echo "== ctest (normal build)"
ctest --test-dir build --output-on-failure -j"$jobs"
echo "== build with ASan + UBSan"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCW_SANITIZE=ON >/dev/null
cmake --build build-asan -j"$jobs" >/dev/null || { cmake --build build-asan -j1; exit 1; }
echo "== ctest (ASan + UBSan build)"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs" -LE slow
if [ -x tests/fuzz/run.sh ]; then
  echo "== fuzz smoke run"
  bash tests/fuzz/run.sh 15
fi
echo "== all tests passed"
