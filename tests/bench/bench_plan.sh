#!/bin/bash
# bench_plan.sh — plan one day for a station with 50 partner calendars (5 years of history
# each) and a 10,000-recording library; print the time and peak memory of each phase
# (in-process) and of the whole `chalkwave plan` command. Goal: < 100 ms, < 64 MB.
# usage: tests/bench/bench_plan.sh [BUILD_DIR]   (default: build; use an optimised build)
#   BENCH_STATION=DIR  keep the generated station there (its library is reused next time)
#   BENCH_SERIES=N     N lesson series per partner (default 4; 24 makes the heavy station of
#                      tests/integration/test_plan_history.sh)
#   BASELINE=BIN       also time another chalkwave binary on the same station (before/after)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
bin=$build/cli/chalkwave
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
date=2026-03-16

# the helper links the module libraries of the build
cc -O2 -std=c11 -D_GNU_SOURCE -I"$src/common" -I"$src/calendars" -I"$src/audio" -I"$src/scheduler" \
    "$here/bench_plan.c" -o "$tmp/bench_plan" \
    "$build/scheduler/libcw_scheduler.a" "$build/calendars/libcw_calendars.a" "$build/audio/libcw_audio.a" \
    "$build/common/libcw_common.a" \
    $(pkg-config --libs jansson libical vorbis vorbisenc vorbisfile ogg sndfile libebur128 soxr libmpg123 libavformat libavcodec libavutil inih libcrypto) \
    -lpthread -lm

# BENCH_STATION=DIR keeps the generated station there (and reuses its library next time)
st=${BENCH_STATION:-$tmp/station}
reuse=0
[ -d "$st/library/lesson" ] && reuse=1
[ $reuse = 1 ] && mv "$st/library" "$tmp/library.keep"
rm -rf "$st"
"$bin" init "$st" >/dev/null
sed -i 's/^rate = .*/rate = 8000/; s/^on_air = .*/on_air = 06:00-22:00/' "$st/station.conf"
sed -i 's/^fillers = .*/fillers =/' "$st/station.conf"
/usr/bin/python3 "$here/gen_partners.py" "$st/calendars" "${BENCH_SERIES:-4}"
{
    echo "[calendars]"
    for i in $(seq -w 0 49); do echo "partner-$i.ics = $((10#$i % 5))"; done
} >>"$st/station.conf"
t0=$(date +%s.%N)
if [ $reuse = 1 ]; then rm -rf "$st/library"; mv "$tmp/library.keep" "$st/library"; else "$tmp/bench_plan" gen "$st" 10000; fi
t1=$(date +%s.%N)
printf 'setup: 50 calendars (%s KB), library written in %.1f s (%s MB)\n' \
    "$(du -sk "$st/calendars" | cut -f1)" "$(echo "$t1 - $t0" | bc)" "$(du -sm "$st/library" | cut -f1)"

echo "--- in-process phases (warm page cache) ---"
"$tmp/bench_plan" run "$st" "$date" >/dev/null
"$tmp/bench_plan" run "$st" "$date"
echo "--- CPU per phase after the scan (10 rounds, calendars loaded afresh each round) ---"
"$tmp/bench_plan" profile "$st" "$date" 10

# the whole command, best of 7: wall and CPU (user + sys, all threads) from /usr/bin/time
timeit() {
    local b=$1 best_w=999 best_c=999 kb=0 w u s m
    for i in 1 2 3 4 5 6 7; do
        if ! /usr/bin/time -f '%e %U %S %M' -o "$tmp/time" "$b" --station "$st" plan --date "$date" --format json \
            >"$tmp/out.json" 2>"$tmp/err"; then
            echo "$2: failed: $(grep -v 'not an occurrence' "$tmp/err" | head -1)"
            return 0
        fi
        cp "$tmp/out.json" "$tmp/plan-$3.json"
        read -r w u s m <"$tmp/time"
        best_w=$(echo "if ($w < $best_w) $w else $best_w" | bc)
        c=$(echo "$u + $s" | bc)
        best_c=$(echo "if ($c < $best_c) $c else $best_c" | bc)
        [ "$m" -gt "$kb" ] && kb=$m
    done
    printf '%s: wall %.0f ms, CPU %.0f ms (best of 7), peak RSS %.1f MB\n' "$2" \
        "$(echo "$best_w * 1000" | bc)" "$(echo "$best_c * 1000" | bc)" "$(echo "$kb / 1024" | bc -l)"
}
echo "--- the command: chalkwave plan --date $date --format json ---"
[ -n "${BASELINE:-}" ] && timeit "$BASELINE" "baseline $BASELINE" base
timeit "$bin" "chalkwave plan" new
cp "$tmp/plan-new.json" "$tmp/plan.json"
items=$(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["items"]), len(d["warnings"]))' "$tmp/plan.json")
echo "items, warnings: $items"
"$bin" --station "$st" plan --date "$date" --format json >"$tmp/plan2.json" 2>/dev/null
cmp -s "$tmp/plan.json" "$tmp/plan2.json" && echo "determinism: two runs, identical JSON" || { echo "determinism: DIFFER"; exit 1; }
if [ -n "${BASELINE:-}" ]; then
    cmp -s "$tmp/plan.json" "$tmp/plan-base.json" && echo "baseline: identical JSON" || echo "baseline: the JSON differs (or the baseline failed)"
fi
