#!/bin/bash
# bench_calendars.sh — expand a generated school year of 1,000 recurring events (mixed rules,
# zones, exceptions) with chalkwave and with the oracle (Debian's python3-recurring-ical-events),
# check that both give the same occurrences, and print both times and the ratio.
# usage: tests/bench/bench_calendars.sh [path/to/chalkwave]   (default: build/cli/chalkwave)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
bin=${1:-${CW_BINARY:-$src/build/cli/chalkwave}}  # use an optimised build (RelWithDebInfo)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 "$here/gen_year.py" >"$tmp/year.ics"
from=2026-01-01 until=2027-01-01 tz=UTC
now() { date +%s.%N; }
best=999
for run in 1 2 3; do
    t0=$(now)
    "$bin" calendar expand --format tsv --from $from --to $until --tz $tz "$tmp/year.ics" >"$tmp/cw.tsv"
    t1=$(now)
    t=$(echo "$t1 - $t0" | bc)
    best=$(echo "if ($t < $best) $t else $best" | bc)
done
t0=$(now)
/usr/bin/python3 "$src/tests/oracle/expand.py" --from $from --to $until --tz $tz "$tmp/year.ics" >"$tmp/oracle.tsv"
t1=$(now)
tor=$(echo "$t1 - $t0" | bc)
n=$(wc -l <"$tmp/cw.tsv")
no=$(wc -l <"$tmp/oracle.tsv")
printf 'events: 1000 recurring (%s occurrences in %s..%s)\n' "$n" $from $until
printf 'chalkwave: %.3f s (best of 3, whole process)\n' "$best"
printf 'oracle:    %.3f s (python3-recurring-ical-events, %s occurrences)\n' "$tor" "$no"
printf 'ratio:     %.1fx\n' "$(echo "$tor / $best" | bc -l)"
# instances of one UID at the same start (an override moved onto another instance) may come
# in either order: compare as sorted sets
if cmp -s <(LC_ALL=C sort "$tmp/cw.tsv") <(LC_ALL=C sort "$tmp/oracle.tsv"); then echo "outputs: identical"; else
    echo "outputs: DIFFER (< oracle, > chalkwave)"; diff <(LC_ALL=C sort "$tmp/oracle.tsv") <(LC_ALL=C sort "$tmp/cw.tsv") | head -20; exit 1; fi
