#!/usr/bin/env bash
# bench_bundle.sh [HOURS] — how fast `chalkwave build` assembles a long day from recordings
# that are already in the library (encoded once by ingest), against:
#   floor:  `cat` of the same Ogg files into one file + sha256sum over every byte the
#           bundle holds (day.ogg and items/) — the I/O a bundle cannot avoid;
#   ffmpeg: the ffmpeg command that gives a valid file from the same recordings
#           (concat demuxer + libvorbis re-encode; `-c copy` keeps only the first file's
#           headers and is wrong). Timed on the first hour and scaled to the day.
# Also: peak memory of a 4-hour and a HOURS-hour build (must not grow with the day).
# Not run in CI. Prints the ratios. Needs: sox, ffmpeg, /usr/bin/time.
set -uo pipefail

hours=${1:-16}
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${CW_BINARY:-$root/build/cli/chalkwave}
[ -x "$bin" ] || { echo "bench: no binary at $bin (set CW_BINARY)" >&2; exit 3; }
work=$(mktemp -d "${TMPDIR:-/tmp}/cw-bench-XXXXXX")
trap 'rm -rf "$work"' EXIT
st=$work/station
date=2027-01-13
rate=44100
end_h=$((6 + hours))
mkdir -p "$st/calendars" "$st/library" "$st/inbox/accepted" "$st/inbox/rejected" "$st/out" "$work/src"

cat >"$st/station.conf" <<EOF
[station]
name = Bench Radio
timezone = Africa/Lagos
on_air = 06:00-$(printf %02d $((end_h % 24))):00

[audio]
rate = $rate
channels = 1
quality = 3
loudness = -23
true_peak = -1
max_length = 3600

[schedule]
missing = filler
fillers = fill
EOF

echo "bench: ingesting 6 fillers of 10 min and 2 lessons of 30 min (pink noise, mono $rate Hz) ..."
t0=$(date +%s.%N)
for i in 1 2 3 4 5 6; do
    sox -q -n -r $rate -c 1 -b 16 "$work/src/f$i.wav" synth 600 pinknoise vol 0.$((i + 2)) fade h 0.1 600 0.1
    "$bin" --station "$st" ingest --kind filler --series fill --title "Filler $i" -- "$work/src/f$i.wav" >/dev/null || exit 3
done
for s in maths english; do
    sox -q -n -r $rate -c 1 -b 16 "$work/src/$s.wav" synth 1800 pinknoise vol 0.4 fade h 0.1 1800 0.1
    "$bin" --station "$st" ingest --series $s --episode 1 --title "$s lesson" --teacher "T" -- "$work/src/$s.wav" >/dev/null || exit 3
done
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n' >"$work/p.ics"
printf 'BEGIN:VEVENT\r\nUID:m@b\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Africa/Lagos:20270113T080000\r\nDTEND;TZID=Africa/Lagos:20270113T083000\r\nSUMMARY:Maths\r\nDESCRIPTION:Series: maths\r\nEND:VEVENT\r\n' >>"$work/p.ics"
printf 'BEGIN:VEVENT\r\nUID:e@b\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Africa/Lagos:20270113T140000\r\nDTEND;TZID=Africa/Lagos:20270113T143000\r\nSUMMARY:English\r\nDESCRIPTION:Series: english\r\nEND:VEVENT\r\n' >>"$work/p.ics"
printf 'END:VCALENDAR\r\n' >>"$work/p.ics"
"$bin" --station "$st" calendar import "$work/p.ics" >/dev/null || exit 3
echo "bench: ingest took $(echo "$(date +%s.%N) - $t0" | bc) s"

# ---- the build (warm cache: run once, time the second run) ---------------------------------
out=$st/out/$date
"$bin" --station "$st" build --date $date -q >/dev/null || exit 3
/usr/bin/time -f '%e %M' -o "$work/time" "$bin" --station "$st" build --date $date -q >/dev/null || exit 3
read -r build_s build_kb <"$work/time"
bytes=$(du -b --apparent-size -c "$out/day.ogg" "$out"/items/*.ogg | tail -1 | cut -f1)
n_items=$(ls "$out/items" | wc -l)
echo "bench: $hours h day, $n_items items, bundle audio $((bytes / 1000000)) MB: build $build_s s, peak RSS $((build_kb / 1024)) MB"

# ---- floor: cat the same files + sha256sum what the bundle holds ---------------------------
ls "$out"/items/*.ogg | sort >"$work/files"
/usr/bin/time -f '%e' -o "$work/tcat" bash -c "xargs cat <'$work/files' >'$work/cat.ogg' && sync -f '$work/cat.ogg'"
/usr/bin/time -f '%e' -o "$work/tsha" bash -c "sha256sum '$out/day.ogg' '$out'/items/*.ogg >/dev/null"
cat_s=$(cat "$work/tcat"); sha_s=$(cat "$work/tsha")
floor_s=$(echo "$cat_s + $sha_s" | bc)
rm -f "$work/cat.ogg"
echo "bench: floor: cat $cat_s s + sha256sum $sha_s s = $floor_s s"

# ---- ffmpeg concat + re-encode, first hour, scaled ---------------------------------------------
python3 - "$out/plan.json" "$st" >"$work/concat.txt" <<'PYEOF'
import json, sys
p = json.load(open(sys.argv[1]))
t = 0
for it in p["items"]:
    if t >= 3600 * p["rate"]: break
    if it.get("recording"):
        print("file '%s/%s'" % (sys.argv[2], it["recording"]))
    t += it["length_samples"]
PYEOF
/usr/bin/time -f '%e' -o "$work/tff" ffmpeg -nostdin -v error -f concat -safe 0 -i "$work/concat.txt" \
    -c:a libvorbis -q:a 3 -y "$work/ff.ogg" 2>/dev/null
ff_hour=$(cat "$work/tff")
ff_day=$(echo "$ff_hour * $hours" | bc)
echo "bench: ffmpeg concat + re-encode: $ff_hour s for the first hour -> ~$ff_day s for $hours h"

# ---- memory: a 4-hour day ----------------------------------------------------------------------
sed -i 's/^on_air = .*/on_air = 06:00-10:00/' "$st/station.conf"
/usr/bin/time -f '%e %M' -o "$work/time4" "$bin" --station "$st" build --date $date -q --out "$work/four" >/dev/null || exit 3
read -r b4_s b4_kb <"$work/time4"
echo "bench: 4 h day: build $b4_s s, peak RSS $((b4_kb / 1024)) MB"

echo
printf 'speed vs floor (floor/build, goal >= 0.5): %.2f\n' "$(echo "$floor_s / $build_s" | bc -l)"
printf 'speed vs ffmpeg (ffmpeg/build):            %.0fx\n' "$(echo "$ff_day / $build_s" | bc -l)"
printf 'memory 16 h / 4 h:                         %d MB / %d MB\n' $((build_kb / 1024)) $((b4_kb / 1024))
