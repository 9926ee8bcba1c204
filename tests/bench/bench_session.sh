#!/bin/bash
# bench_session.sh — the session layer on a 10,000-recording station (issue #15's desk pages
# must answer in under 50 ms p95: a request refreshes the session before it reads). Prints
# p50/p95 of a refresh when nothing changed, a view, a plan, and a rescan after a change.
# Never run in CI.
# usage: tests/bench/bench_session.sh [BUILD_DIR]   (default: build; use a Release build)
#        BENCH_STATION=DIR keeps the generated station (shared with bench_library.sh)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
n=${BENCH_N:-10000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
libs="$build/session/libcw_session.a $build/playlists/libcw_playlists.a $build/scheduler/libcw_scheduler.a \
 $build/calendars/libcw_calendars.a $build/audio/libcw_audio.a $build/common/libcw_common.a"
pc=$(pkg-config --libs vorbis vorbisenc vorbisfile ogg sndfile libebur128 soxr libmpg123 inih libcrypto libical jansson)
cc -O2 -std=c11 -D_GNU_SOURCE -I"$src/common" -I"$src/audio" "$here/bench_library.c" -o "$tmp/bench_library" \
    "$build/audio/libcw_audio.a" "$build/common/libcw_common.a" $pc -lpthread -lm
cc -O2 -std=c11 -D_GNU_SOURCE -I"$src/common" -I"$src/audio" -I"$src/calendars" -I"$src/scheduler" \
    -I"$src/playlists" -I"$src/session" "$here/bench_session.c" -o "$tmp/bench_session" $libs $pc -lpthread -lm
st=${BENCH_STATION:-$tmp/station}
if [ ! -f "$st/.bench-library-$n" ]; then
    rm -rf "$st"
    "$build/cli/chalkwave" init "$st" --timezone Africa/Lagos >/dev/null
    "$tmp/bench_library" gen "$st" "$n"
    touch "$st/.bench-library-$n"
fi
cp "$src/examples/station/calendars/"*.ics "$st/calendars/"
"$tmp/bench_session" "$st" 200
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
