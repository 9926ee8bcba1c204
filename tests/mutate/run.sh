#!/usr/bin/env bash
# run.sh [--full] [--keep] [--exclude REGEX] [--list FILE] [ID...] — does the suite catch the bugs it exists for?
# Applies each mutation of tests/mutate/mutations.tsv (a small, plausible bug: an off-by-one,
# an inclusive end, a rounding direction, half a digest compared, swapped operands, the wrong
# zone...) one at a time to a scratch copy of this worktree, rebuilds, runs the tests that
# should catch it (its regex; --full: the whole ctest suite, minus tests labelled slow), and
# prints per mutation "caught" (some test failed: which) or "MISSED", then the score.
# Not part of CI: run it by hand after changing code or tests (README, "Tests"). It takes
# minutes: one full build, then one incremental rebuild and a focused ctest per mutation.
#   --full       run the whole suite for every mutation (slower; finds the tests that catch
#                a mutation beyond the listed ones)
#   --keep       keep the scratch folder (printed) for a look at a mutant
#   --exclude REGEX  leave out the tests matching REGEX (ctest -E): which mutations would
#                survive without them?
#   --list FILE  another list of mutations (same columns)
#   ID...        only these mutations
# The worktree itself is never modified: the copy (tracked and untracked, not ignored files,
# i.e. uncommitted changes included) lives under mktemp -d and is removed at the end.
# Exit: 0 every mutation caught, 1 some missed, 2 usage, 3 the copy did not build or the
# unmutated tests failed (a mutation score means nothing then).
#
# mutations.tsv: one mutation a line, TAB-separated: ID, FILE (from the repository root),
# SEARCH (a string that occurs exactly once in FILE), REPLACEMENT, TESTS (a ctest -R regex),
# WHAT (the bug, in words). Both strings are literal except that \n stands for a newline.
# '#' lines are comments.
set -u
src=$(cd "$(dirname "$0")/../.." && pwd)
list=$src/tests/mutate/mutations.tsv
full=0 keep=0 exclude=""
ids=()
while [ $# -gt 0 ]; do
    case "$1" in
        --full) full=1 ;;
        --keep) keep=1 ;;
        --list) shift; list=$1 ;;
        --exclude) shift; exclude=$1 ;;
        -h | --help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "run.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
        *) ids+=("$1") ;;
    esac
    shift
done
[ -f "$list" ] || { echo "run.sh: no mutation list '$list'" >&2; exit 2; }
jobs=$(nproc)

scratch=$(mktemp -d "${TMPDIR:-/tmp}/cw-mutate-XXXXXX")
cleanup() { [ "$keep" = 1 ] && echo "mutate: kept $scratch" || rm -rf "$scratch"; }
trap cleanup EXIT
trap 'exit 130' INT TERM
work=$scratch/src build=$scratch/build
mkdir -p "$work"
if git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
    (cd "$src" && git ls-files -co --exclude-standard -z | tar --null -T - -cf -) | tar -C "$work" -xf -
else # an exported tree (git archive): everything but build folders
    tar -C "$src" --exclude='./build*' -cf - . | tar -C "$work" -xf -
fi || { echo "mutate: could not copy the worktree" >&2; exit 3; }
# ical.js (npm, git-ignored) for the export test, when it is installed here
[ -d "$src/tests/oracle/node_modules" ] && cp -R "$src/tests/oracle/node_modules" "$work/tests/oracle/"

# the selected mutations, checked: the file exists and SEARCH occurs exactly once
sel=$scratch/selected.tsv
python3 - "$list" "$work" "${ids[@]}" >"$sel" <<'PYEOF' || exit 2
import os, sys
path, work, want = sys.argv[1], sys.argv[2], set(sys.argv[3:])
seen, bad = set(), 0
for n, line in enumerate(open(path, encoding="utf-8"), 1):
    line = line.rstrip("\n")
    if not line.strip() or line.startswith("#"):
        continue
    f = line.split("\t")
    if len(f) != 6:
        print("mutations.tsv:%d: %d columns, want 6 (ID FILE SEARCH REPLACEMENT TESTS WHAT)" % (n, len(f)), file=sys.stderr)
        bad += 1
        continue
    mid, file, search, repl = f[0], f[1], f[2].replace("\\n", "\n"), f[3].replace("\\n", "\n")
    if mid in seen:
        print("mutations.tsv:%d: ID %s used twice" % (n, mid), file=sys.stderr); bad += 1
    seen.add(mid)
    if want and mid not in want:
        continue
    p = os.path.join(work, file)
    k = open(p, encoding="utf-8").read().count(search) if os.path.isfile(p) else -1
    if k != 1 or search == repl:
        why = "no file" if k < 0 else "same text" if search == repl else "SEARCH occurs %d times" % k
        print("mutations.tsv:%d: %s: %s in %s" % (n, mid, why, file), file=sys.stderr)
        bad += 1
        continue
    print(line)
missing = want - seen
if missing:
    print("mutate: no mutation with ID %s" % " ".join(sorted(missing)), file=sys.stderr); bad += 1
sys.exit(1 if bad else 0)
PYEOF
total=$(wc -l <"$sel")
[ "$total" -gt 0 ] || { echo "mutate: no mutation selected" >&2; exit 2; }

echo "mutate: $total mutations; scratch copy in $scratch; building (normal build)"
t0=$(date +%s)
cmake -S "$work" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$scratch/configure.log" 2>&1 &&
    nice -n 5 cmake --build "$build" -j"$jobs" >"$scratch/build.log" 2>&1 ||
    { tail -20 "$scratch/build.log" "$scratch/configure.log"; exit 3; }

# ctest ARGS...: run ctest in the copy (skipped tests count as passed; slow ones are left out)
run_ctest() {
    ctest --test-dir "$build" -LE slow ${exclude:+-E "$exclude"} --timeout 600 -j"$jobs" "$@" \
        >"$scratch/ctest.log" 2>&1 </dev/null
}
regex_of() { cut -f5 "$sel" | paste -sd'|'; }
if [ "$full" = 1 ]; then base_args=(); else base_args=(-R "$(regex_of)"); fi
echo "mutate: built in $(($(date +%s) - t0)) s; the unmutated tests first"
if ! run_ctest "${base_args[@]}"; then
    echo "mutate: the unmutated copy fails its tests; fix that first:" >&2
    grep -E '\*\*\*Failed|Failed|Timeout' "$scratch/ctest.log" | head -10 >&2
    exit 3
fi

caught=0 missed=0 broken=0
results=$scratch/results.txt
: >"$results"
while IFS=$'\t' read -r id file search repl tests what <&3; do
    t1=$(date +%s)
    f=$work/$file
    cp -p "$f" "$scratch/orig"
    python3 - "$f" "$search" "$repl" <<'PYEOF'
import sys
p, a, b = sys.argv[1], sys.argv[2].replace("\\n", "\n"), sys.argv[3].replace("\\n", "\n")
s = open(p, encoding="utf-8").read()
open(p, "w", encoding="utf-8").write(s.replace(a, b, 1))
PYEOF
    if ! nice -n 5 cmake --build "$build" -j"$jobs" >"$scratch/build.log" 2>&1; then
        status="DID NOT BUILD"
        broken=$((broken + 1))
        detail=$(grep -m1 -E 'error' "$scratch/build.log")
    else
        if [ "$full" = 1 ]; then args=(); else args=(-R "$tests"); fi
        if run_ctest "${args[@]}"; then
            status=MISSED
            missed=$((missed + 1))
            detail="ran: $(grep -cE 'Test +#' "$scratch/ctest.log") tests ($tests)"
        else
            status=caught
            caught=$((caught + 1))
            detail="by $(grep -oE '[0-9]+ - [A-Za-z0-9_]+ \((Failed|Timeout|SEGFAULT|Subprocess aborted|Exception|Child aborted|Not Run)' "$scratch/ctest.log" |
                sed -E 's/^[0-9]+ - //; s/ \(.*//' | paste -sd' ')"
        fi
    fi
    # restore the file (a new mtime, so the next build recompiles it)
    cp "$scratch/orig" "$f"
    touch "$f"
    printf '%-8s %-13s %-38s %3ss  %s\n' "$id" "$status" "$what" "$(($(date +%s) - t1))" "$detail" | tee -a "$results"
done 3<"$sel"
nice -n 5 cmake --build "$build" -j"$jobs" >/dev/null 2>&1

scored=$((caught + missed))
echo
echo "mutate: score $caught/$scored caught ($((scored ? 100 * caught / scored : 0))%), $missed missed, $broken did not build; $(($(date +%s) - t0)) s in all"
grep -E '^[^ ]+ +MISSED' "$results" | sed 's/^/  missed: /'
[ "$missed" = 0 ]
