#!/bin/bash
# bench_subscriptions.sh — `chalkwave calendar update` of 50 subscriptions on loopback
# (tests/integration/subs_server.py serving gen_partners.py's 50 calendars, 5 years of
# history each). Goal: 50 unchanged subscriptions under 1 s (each one conditional request
# answered 304, no parsing). Prints the whole-command time (best and median of 7), the same 50
# conditional requests made by the curl command line (--parallel, the network floor) and the
# ratio, checks the server saw exactly 50 requests, all 304, per update; then one update in
# which every calendar changed (fetch, check, store, what changed in 14 days).
# usage: tests/bench/bench_subscriptions.sh [path/to/chalkwave]   (default: build/cli/chalkwave)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
bin=${1:-${CW_BINARY:-$src/build/cli/chalkwave}} # use an optimised build (RelWithDebInfo)
tmp=$(mktemp -d)
srv=
trap '[ -n "$srv" ] && kill $srv 2>/dev/null; rm -rf "$tmp"' EXIT
/usr/bin/python3 "$here/gen_partners.py" "$tmp/www" >/dev/null
/usr/bin/python3 "$src/tests/integration/subs_server.py" --root "$tmp/www" --log "$tmp/log" --port-file "$tmp/port" &
srv=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
port=$(cat "$tmp/port")
"$bin" init "$tmp/st" >/dev/null
for i in $(seq -w 0 49); do
    "$bin" --station "$tmp/st" calendar subscribe --name "partner-$i" \
        "http://127.0.0.1:$port/secret/private-token-$i-0123456789abcdef/cal/partner-$i.ics" >/dev/null 2>&1
done
n=$(grep -c '^\[' "$tmp/st/calendars/subscriptions.conf")
[ "$n" = 50 ] || { echo "only $n subscriptions were made"; exit 1; }
now() { date +%s.%N; }
times=()
for run in 1 2 3 4 5 6 7; do
    : >"$tmp/log"
    t0=$(now)
    "$bin" --station "$tmp/st" calendar update >"$tmp/out"
    t1=$(now)
    times+=("$(echo "$t1 - $t0" | bc)")
    [ "$(grep -c ' 304$' "$tmp/log")" = 50 ] && [ "$(wc -l <"$tmp/log")" = 50 ] ||
        { echo "run $run: the server did not see exactly 50 answers 304"; cat "$tmp/log" | sort | uniq -c | head; exit 1; }
    [ "$(grep -c ': unchanged$' "$tmp/out")" = 50 ] || { echo "run $run: not 50 unchanged"; exit 1; }
done
sorted=$(printf '%s\n' "${times[@]}" | sort -n)
best=$(echo "$sorted" | head -1)
median=$(echo "$sorted" | sed -n 4p)
# the peer: the same 50 conditional GETs with the curl command line, 8 at a time
args=()
for i in $(seq -w 0 49); do
    etag=$(sed -n "/^\[partner-$i.ics\]/,/^\[/s/^etag = //p" "$tmp/st/calendars/subscriptions.conf")
    [ ${#args[@]} -gt 0 ] && args+=(--next)
    args+=(-s -o /dev/null -H "If-None-Match: $etag" "http://127.0.0.1:$port/secret/private-token-$i-0123456789abcdef/cal/partner-$i.ics")
done
ctimes=()
for run in 1 2 3 4 5 6 7; do
    t0=$(now)
    curl --no-progress-meter --parallel --parallel-max 8 "${args[@]}"
    t1=$(now)
    ctimes+=("$(echo "$t1 - $t0" | bc)")
done
cmedian=$(printf '%s\n' "${ctimes[@]}" | sort -n | sed -n 4p)
# every calendar changed: a new event in each
for f in "$tmp/www"/partner-*.ics; do
    sed -i 's/^END:VCALENDAR\r$/BEGIN:VEVENT\r\nUID:bench-extra\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260317T090000Z\r\nDURATION:PT30M\r\nSUMMARY:Extra\r\nEND:VEVENT\r\nEND:VCALENDAR\r/' "$f"
done
t0=$(now)
"$bin" --station "$tmp/st" calendar update --from 2026-03-16 >"$tmp/out"
t1=$(now)
changed=$(echo "$t1 - $t0" | bc)
[ "$(grep -c ': updated' "$tmp/out")" = 50 ] || { echo "not 50 updated"; head "$tmp/out"; exit 1; }
[ "$(grep -c 'Extra added on Tue 17 Mar' "$tmp/out")" = 50 ] || { echo "the added events were not all reported"; exit 1; }
printf 'subscriptions:        50 on loopback (%s KB of calendars, 5 years of history each)\n' "$(du -sk "$tmp/www" | cut -f1)"
printf 'update, unchanged:    %.3f s median, %.3f s best of 7 (whole command; 50 requests, 50 answers 304) — goal < 1 s\n' "$median" "$best"
printf 'curl, same requests:  %.3f s median of 7 (curl --parallel --parallel-max 8, 50 conditional GETs)\n' "$cmedian"
printf 'ratio:                %.2fx curl\n' "$(echo "$median / $cmedian" | bc -l)"
printf 'update, all changed:  %.3f s (50 fetched, checked, stored, 14 days compared)\n' "$changed"
if [ "$(echo "$median < 1" | bc)" = 1 ]; then echo "goal: met"; else echo "goal: NOT met"; exit 1; fi
