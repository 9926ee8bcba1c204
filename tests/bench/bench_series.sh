#!/bin/bash
# bench_series.sh — episode numbering on stations with long calendar history: per case, a fresh
# process loads 50 partner calendars, expands one day (06:00-22:00) and asks
# cw_calset_series_position for every series lesson of the day (the first call is what every
# `chalkwave plan`/`build` pays). Prints the best of 5 runs and checks every position against
# a brute-force recount. Goal: first call (expand + positions) < 50 ms.
# Cases: "partners" = tests/bench/gen_partners.py (the bench_plan.sh station: 4 weekly series
# per partner, one since 2021); "heavy" = 50 x 20 series since 2021 (weekly, daily BYDAY,
# monthly 1TU,3TU; EXDATEs, moved and cancelled instances, RDATEs, a repeat slot).
# Times are CPU times of the process (the build machine is shared; wall time there measures
# the neighbours).
# usage: tests/bench/bench_series.sh [BUILD_DIR [BASELINE_COMMIT]]
#   BUILD_DIR: default build (use a Release build). BASELINE_COMMIT (e.g. 86b063e, the
#   calendars before arithmetic series counting): also build that commit's calendars and
#   common sources (git archive, -O2) and run the same cases with it, for before/after.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
base=${2:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
libs="$(pkg-config --libs libical inih libcrypto) -lm"
cc -O2 -std=c11 -D_GNU_SOURCE -I"$src/common" -I"$src/calendars" "$here/bench_series.c" -o "$tmp/bench_series" \
    "$build/calendars/libcw_calendars.a" "$build/common/libcw_common.a" $libs
if [ -n "$base" ]; then
    mkdir "$tmp/base"
    git -C "$src" archive "$base" calendars common | tar -x -C "$tmp/base"
    cc -O2 -std=c11 -D_GNU_SOURCE -DNDEBUG -DCW_VERSION=\"baseline\" -I"$tmp/base/common" -I"$tmp/base/calendars" \
        $(pkg-config --cflags libical) "$here/bench_series.c" "$tmp/base"/calendars/*.c "$tmp/base"/common/*.c \
        -o "$tmp/bench_series_base" $libs
fi
mkdir -p "$tmp/partners" "$tmp/heavy"
/usr/bin/python3 "$here/gen_partners.py" "$tmp/partners"
"$tmp/bench_series" gen "$tmp/heavy"
best_of_5() { # BINARY CASE ZONE
    local best="" bestt=999999 line t
    for i in 1 2 3 4 5; do
        line=$("$1" run "$tmp/$2" 2026-03-16 "$3")
        t=$(echo "$line" | sed -n 's/.*first total \([0-9.]*\) ms.*/\1/p')
        if [ "$(echo "$t < $bestt" | bc)" = 1 ]; then bestt=$t; best=$line; fi
    done
    echo "$best"
}
for case in partners heavy; do
    zone=Africa/Lagos
    echo "--- $case: $(ls "$tmp/$case" | wc -l) calendars, $(du -sk "$tmp/$case" | cut -f1) KB; day 2026-03-16 in $zone ---"
    [ -n "$base" ] && echo "baseline $base, best of 5: $(best_of_5 "$tmp/bench_series_base" $case $zone)"
    echo "this tree, best of 5:  $(best_of_5 "$tmp/bench_series" $case $zone)"
    "$tmp/bench_series" check "$tmp/$case" 2026-03-16 $zone | tail -n +2
done
