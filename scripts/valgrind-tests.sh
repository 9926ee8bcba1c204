#!/bin/bash
# valgrind-tests.sh [BUILD_DIR] [CTEST_REGEX] — run integration tests with every chalkwave
# process under valgrind memcheck: an invalid read/write, use of uninitialised memory or a
# leak reported as "definitely lost" makes that chalkwave exit 99, so the test that ran it
# fails. Use a normal (not ASan) build. Default tests: the robustness and CLI tests, which
# use tiny inputs; the example-day tests encode hours of audio and take long under valgrind
# (select them explicitly: scripts/valgrind-tests.sh build 'integration_test_e2e').
# From ctest directly: CW_WRAPPER="valgrind --error-exitcode=99 --leak-check=full
#   --errors-for-leak-kinds=definite --suppressions=scripts/valgrind.supp -q" ctest -R integration_
# (tests/integration/lib.sh puts $CW_WRAPPER in front of every chalkwave it runs).
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
regex=${2:-'integration_test_(robust|cli)_'}
command -v valgrind >/dev/null || { echo "valgrind-tests: valgrind is not installed (apt-get install valgrind)" >&2; exit 3; }
[ -x "$build/cli/chalkwave" ] || { echo "valgrind-tests: no chalkwave in $build (build it first)" >&2; exit 3; }
if grep -q 'fsanitize=address' "$build/CMakeCache.txt" 2>/dev/null; then
    echo "valgrind-tests: $build is a sanitizer build; valgrind needs a normal build" >&2
    exit 3
fi
export CW_WRAPPER="valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite --track-origins=no --suppressions=$src/scripts/valgrind.supp -q"
# fewer kill/concurrency trials: each process is ~20x slower under valgrind
export CW_KILL_TRIALS=${CW_KILL_TRIALS:-10} CW_CONCURRENCY_TRIALS=${CW_CONCURRENCY_TRIALS:-1}
echo "valgrind-tests: $regex in $build with CW_WRAPPER=$CW_WRAPPER"
ctest --test-dir "$build" -R "$regex" --output-on-failure --timeout 3600 -j"$(nproc)"
