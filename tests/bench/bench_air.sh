#!/bin/bash
# bench_air.sh — what `chalkwave air` costs while it plays, and what `chalkwave report`
# costs for a month of 50 partner calendars. Goals (issue #16): air with one Icecast output
# under 1% of one core and under 20 MB resident; with a sound card (decoding and steering)
# under 5% of one core; the report under 1 s.
#   usage: tests/bench/bench_air.sh [BUILD_DIR] [SECONDS]   (default build, 120 s per run)
# Needs icecast2 and sox; the sound card is the test card of tests/integration (an ALSA
# plugin running 200 ppm fast, so the steering works all the time).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
secs=${2:-120}
bin=$build/cli/chalkwave
plugin=$build/tests/integration/libasound_module_pcm_cwclock.so
tmp=$(mktemp -d)
chmod 755 "$tmp"
ICE=""
trap '[ -n "$ICE" ] && kill $ICE 2>/dev/null; rm -rf "$tmp"' EXIT

# ---- a station whose day is speech-like sound at 44.1 kHz, q3 (about 60 kbit/s) -----------
st=$tmp/station
"$bin" init "$st" >/dev/null
now=$(date +%s)
zone=UTC
sed -i "s|^timezone = .*|timezone = $zone|; s|^on_air = .*|on_air = 00:00-24:00|" "$st/station.conf"
for k in 1 2 3; do
    # pink noise shaped like speech: syllables (tremolo) and pauses
    sox -q -n -r 44100 -c 1 -b 16 "$tmp/s$k.wav" synth 600 pinknoise vol 0.3 tremolo 4 90 lowpass 3500
    "$bin" --station "$st" ingest --series talk --episode $k --title "Talk $k" -- "$tmp/s$k.wav" >/dev/null
done
day=$(date -u +%F)
{
    printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n'
    printf 'BEGIN:VEVENT\r\nUID:talk@bench\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:%sT000000Z\r\n' "${day//-/}"
    printf 'RRULE:FREQ=MINUTELY;INTERVAL=10;COUNT=144\r\nDURATION:PT10M\r\nSUMMARY:Talk\r\n'
    printf 'DESCRIPTION:Series: talk\\nRepeat: yes\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n'
} >"$tmp/talk.ics"
"$bin" --station "$st" calendar import "$tmp/talk.ics" >/dev/null 2>&1
"$bin" --station "$st" build --date "$day" --quiet >/dev/null 2>&1

# run BIN ARGS... for $secs s; prints "cpu_percent peak_rss_mb"
measure() {
    "$@" >"$tmp/air.log" 2>&1 &
    local pid=$! hz
    hz=$(getconf CLK_TCK)
    sleep 5 # past the start (loading the day)
    local t0 c0 t1 c1
    t0=$(date +%s.%N)
    c0=$(awk '{print $14 + $15}' /proc/$pid/stat)
    sleep "$secs"
    t1=$(date +%s.%N)
    c1=$(awk '{print $14 + $15}' /proc/$pid/stat)
    local rss
    rss=$(awk '/VmHWM/ {print $2}' /proc/$pid/status)
    kill -TERM $pid
    wait $pid || true
    awk -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v hz="$hz" -v rss="$rss" \
        'BEGIN { printf "%.2f %.1f\n", 100 * (c1 - c0) / hz / (t1 - t0), rss / 1024 }'
}

echo "== air, one Icecast output ($secs s)"
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$tmp/ice/log" && chmod 777 "$tmp/ice" "$tmp/ice/log"
owner=""
[ "$(id -u)" = 0 ] && owner="<security><changeowner><user>nobody</user><group>nogroup</group></changeowner></security>"
cat >"$tmp/ice/icecast.xml" <<EOF
<icecast><limits><sources>2</sources></limits><authentication><source-password>bench</source-password>
<admin-user>admin</admin-user><admin-password>bench</admin-password></authentication>
<listen-socket><port>$port</port><bind-address>127.0.0.1</bind-address></listen-socket>
<paths><logdir>$tmp/ice/log</logdir><webroot>/usr/share/icecast2/web</webroot><adminroot>/usr/share/icecast2/admin</adminroot></paths>
<logging><errorlog>error.log</errorlog><accesslog>access.log</accesslog></logging>$owner</icecast>
EOF
icecast2 -c "$tmp/ice/icecast.xml" >/dev/null 2>&1 &
ICE=$!
sleep 1
read -r cpu rss < <(measure "$bin" --station "$st" air --output "icecast://source:bench@127.0.0.1:$port/bench.ogg")
echo "cpu ${cpu}% of one core, peak resident ${rss} MB   (goal: < 1%, < 20 MB)"

echo "== air, one sound card 200 ppm fast: decoding, resampling, steering ($secs s)"
mkdir -p "$tmp/home"
cat >"$tmp/home/.asoundrc" <<EOF
pcm_type.cwclock { lib "$plugin" }
pcm.bench { type cwclock file "/dev/null" ppm 200 }
EOF
read -r cpu rss < <(HOME=$tmp/home measure "$bin" --station "$st" air --output alsa:bench)
echo "cpu ${cpu}% of one core, peak resident ${rss} MB   (goal: < 5%)"

echo "== report: a month of 50 partner calendars"
rst=$tmp/report
"$bin" init "$rst" >/dev/null
sed -i 's/^rate = .*/rate = 8000/' "$rst/station.conf"
/usr/bin/python3 "$here/gen_partners.py" "$rst/calendars" 4
{
    echo "[calendars]"
    for i in $(seq -w 0 49); do echo "partner-$i.ics = $((10#$i % 5))"; done
} >>"$rst/station.conf"
# a month of as-run logs: every lesson the plans hold, aired
"$bin" --station "$rst" plan --from 2026-03-01 --to 2026-03-31 --format json 2>/dev/null >"$tmp/plans.json"
/usr/bin/python3 - "$tmp/plans.json" "$rst/asrun" <<'PYEOF'
import json, os, sys
plans = json.load(open(sys.argv[1]))
os.makedirs(sys.argv[2], exist_ok=True)
n = 0
for p in plans:
    with open(os.path.join(sys.argv[2], p["date"] + ".jsonl"), "a") as f:
        for it in p["items"]:
            if not it.get("event_uid"):
                continue
            rec = {"record": "item", "date": p["date"], "planned_start_utc": it["start_utc"], "actual_start_utc": it["start_utc"],
                   "planned_length_s": it["length_samples"] / p["rate"], "actual_length_s": it["length_samples"] / p["rate"],
                   "from_s": 0.0, "complete": True, "cut_reason": None, "kind": it["kind"], "title": it["title"],
                   "event_uid": it["event_uid"], "cut_in_plan": False, "outputs": [{"output": "alsa:default"}]}
            f.write(json.dumps(rec) + "\n")
            n += 1
print("%d as-run records" % n)
PYEOF
for fmt in html csv json; do
    t0=$(date +%s.%N)
    "$bin" --station "$rst" report --from 2026-03-01 --to 2026-03-31 --format $fmt >"$tmp/report.$fmt" 2>/dev/null
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" -v f=$fmt -v n="$(grep -c . "$tmp/report.$fmt")" \
        'BEGIN { printf "report --format %s: %.3f s (%d lines)   (goal: < 1 s)\n", f, b - a, n }'
done
