#!/bin/bash
# valgrind-tests.sh [BUILD_DIR] [SCRIPT_REGEX] — run integration test scripts with every
# chalkwave process under valgrind memcheck: an invalid read/write, a use of uninitialised
# memory or a leak reported as "definitely lost" makes that chalkwave exit 99, so the check
# that ran it fails. Use a normal (not ASan) build. The scripts run directly (not through
# ctest, whose 600 s per-test timeout is too short under valgrind), in parallel.
# Default scripts: the robustness and CLI tests, which use tiny inputs; the example-day
# tests encode hours of audio and take long under valgrind (name them to include them:
# scripts/valgrind-tests.sh build 'test_(robust|cli|e2e)_').
# From ctest instead: CW_WRAPPER="valgrind --error-exitcode=99 --leak-check=full
#   --errors-for-leak-kinds=definite --suppressions=scripts/valgrind.supp -q" ctest -R integration_
# (tests/integration/lib.sh puts $CW_WRAPPER in front of every chalkwave it runs).
set -u
src=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$src/build}
regex=${2:-'test_(robust|cli)_'}
command -v valgrind >/dev/null || { echo "valgrind-tests: valgrind is not installed (apt-get install valgrind)" >&2; exit 3; }
[ -x "$build/cli/chalkwave" ] || { echo "valgrind-tests: no chalkwave in $build (build it first)" >&2; exit 3; }
if grep -q 'fsanitize=address' "$build/CMakeCache.txt" 2>/dev/null; then
    echo "valgrind-tests: $build is a sanitizer build; valgrind needs a normal build" >&2
    exit 3
fi
build=$(cd "$build" && pwd)
export CW_WRAPPER="valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite --suppressions=$src/scripts/valgrind.supp -q"
export CW_SOURCE_DIR=$src CW_BUILD_DIR=$build CW_BINARY=$build/cli/chalkwave
# fewer kill/concurrency trials: each process is ~20x slower under valgrind
export CW_KILL_TRIALS=${CW_KILL_TRIALS:-10} CW_CONCURRENCY_TRIALS=${CW_CONCURRENCY_TRIALS:-1}
logs=$(mktemp -d "${TMPDIR:-/tmp}/cw-valgrind-XXXXXX")
scripts=$(ls "$src"/tests/integration/test_*.sh | grep -E "$regex")
[ -n "$scripts" ] || { echo "valgrind-tests: no script matches '$regex'" >&2; exit 2; }
echo "valgrind-tests: $(echo "$scripts" | wc -l) scripts, logs in $logs"
echo "$scripts" | xargs -P "$(nproc)" -I{} sh -c 'bash "{}" >"'"$logs"'/$(basename "{}" .sh).log" 2>&1; echo "$? $(basename "{}" .sh)"' |
    while read -r rc name; do
        if [ "$rc" = 0 ]; then echo "ok   $name: $(tail -1 "$logs/$name.log")"
        elif [ "$rc" = 77 ]; then echo "skip $name: $(tail -1 "$logs/$name.log")" # a peer is missing
        else
            echo "FAIL $name: $(tail -1 "$logs/$name.log")"
            grep -m5 -E '^FAIL|==[0-9]+== (Invalid|Conditional|Use of|[0-9,]+ bytes .* definitely)' "$logs/$name.log" | sed 's/^/     /'
            echo fail >>"$logs/.failed"
        fi
    done
[ ! -e "$logs/.failed" ]
