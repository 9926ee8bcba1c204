#!/usr/bin/env bash
# test.sh — install everything the tests need, then build and run every test twice: a
# normal build (./build) and an AddressSanitizer + UndefinedBehaviorSanitizer build
# (./build-asan), the integration tests that cover every command once more under valgrind
# memcheck, and a short fuzz smoke run of every fuzz target. This is what .ci/run runs.
# Long runs are separate: tests/fuzz/run.sh SECONDS, scripts/valgrind-tests.sh, tests/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --tests
# every peer is installed here, so a test that finds one missing fails instead of reporting
# SKIPPED (tests/integration/lib.sh, tests/unit/peers.h); ical.js comes from npm
export CW_REQUIRE_PEERS=1
bash tests/oracle/install_icaljs.sh >/dev/null
jobs=$(nproc)
echo "== ctest (normal build)"
ctest --test-dir build --output-on-failure -j"$jobs"
echo "== integration tests under valgrind memcheck (the example day, the bundle peers, station errors, spoken newsletters, the desk)"
bash scripts/valgrind-tests.sh build 'test_(cli_station|e2e_example|bundle_peers|speak_event|desk_http|desk_cli)\.sh'
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
