#!/bin/bash
# test_calendar_subscribe.sh — calendar subscriptions against a real HTTP server started here
# on 127.0.0.1 (tests/integration/subs_server.py) and a TLS one with a self-signed certificate
# made by openssl now: subscribe (http, webcal, from standard input), update with no change
# (exactly one request, a 304, in the server's log), a lesson moved across DST reported exactly
# (text and JSON) with the built bundle of its old day listed as stale, new copies that are a
# sign-in page, a captive portal, an error, truncated, 20 MB, empty, with new errors, too slow
# or behind too many redirects all kept out (the old copy byte for byte), offline (one line per
# calendar, exit 3 only when nothing could be fetched), TLS refused, pinned (the pin equals
# openssl's), a changed key refused, a wrong host name refused; update runs while another
# command holds the station lock; unsubscribe and remove. The link's secret is never printed:
# every output and every file of the station (bundles included) is grepped for it, but
# subscriptions.conf, which is 0600; station.conf keeps its permissions.
. "$(dirname "$0")/lib.sh"

cw_need openssl flock
cw_have_python_module ssl http.server
cw_skip_if_missing

SERVER=$CW_SOURCE_DIR/tests/integration/subs_server.py
SECRET=private-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
ALL=$CW_TMP/all-output.log # every stdout and stderr of every command, grepped for the secret
WWW=$CW_TMP/www
mkdir -p "$WWW"
: >"$ALL"

# ---- servers ----------------------------------------------------------------------------------
declare -A SRV_PID
start_server() { # NAME [--tls CERT KEY]: port in $PORT
    local name=$1
    shift
    rm -f "$CW_TMP/$name.port"
    "$CW_PYTHON" "$SERVER" --root "$WWW" --log "$CW_TMP/$name.log" --port-file "$CW_TMP/$name.port" "$@" \
        >"$CW_TMP/$name.out" 2>&1 &
    SRV_PID[$name]=$!
    for _ in $(seq 100); do
        [ -s "$CW_TMP/$name.port" ] && break
        sleep 0.05
    done
    PORT=$(cat "$CW_TMP/$name.port" 2>/dev/null)
    [ -n "$PORT" ] || { not_ok "server $name did not start: $(cat "$CW_TMP/$name.out")"; cw_finish; }
}
stop_server() {
    local pid=${SRV_PID[$1]:-}
    [ -n "$pid" ] || return 0
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    unset "SRV_PID[$1]"
}
stop_servers() { for n in "${!SRV_PID[@]}"; do stop_server "$n"; done; }
trap 'stop_servers; cw_cleanup' EXIT

# run ARGS...: chalkwave as `cw` does, every output kept for the secret check
run() {
    cw "$@"
    { cat "$CW_OUT" "$CW_ERR"; } >>"$ALL"
}
# requests NAME: how many requests server NAME has logged
requests() { wc -l <"$CW_TMP/$1.log" 2>/dev/null || echo 0; }

# ---- the partner's calendar ---------------------------------------------------------------------
# write_cal FILE [EXTRA...]: a weekly lesson (Tue 09:00-09:30 Berlin from 3 March 2026) and
# a newsletter slot, plus the VEVENT lines given, CRLF line ends.
write_cal() {
    local f=$1
    shift
    {
        printf '%s\n' BEGIN:VCALENDAR VERSION:2.0 'PRODID:-//County//Calendar//EN' 'X-WR-CALNAME:County Education' \
            BEGIN:VEVENT UID:maths@county.test DTSTAMP:20260101T000000Z \
            'DTSTART;TZID=Europe/Berlin:20260303T090000' 'DTEND;TZID=Europe/Berlin:20260303T093000' \
            'RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=20' 'SUMMARY:Maths P5' 'DESCRIPTION:Series: maths-p5' END:VEVENT \
            BEGIN:VEVENT UID:news@county.test DTSTAMP:20260101T000000Z \
            'DTSTART;TZID=Europe/Berlin:20260302T092000' 'DTEND;TZID=Europe/Berlin:20260302T093000' \
            'RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=20' 'SUMMARY:County news' 'DESCRIPTION:Kind: newsletter' END:VEVENT
        [ $# -gt 0 ] && printf '%s\n' "$@"
        printf '%s\n' END:VCALENDAR
    } | sed 's/$/\r/' >"$f.tmp"
    mv "$f.tmp" "$f"
}
MOVE=(BEGIN:VEVENT UID:maths@county.test DTSTAMP:20260102T000000Z 'RECURRENCE-ID;TZID=Europe/Berlin:20260331T090000'
    'DTSTART;TZID=Europe/Berlin:20260401T100000' 'DTEND;TZID=Europe/Berlin:20260401T103000' 'SUMMARY:Maths P5'
    END:VEVENT)
BROKEN=(BEGIN:VEVENT UID:broken@county.test DTSTAMP:20260101T000000Z 'DTSTART;TZID=Europe/Berlin:20260402T100000'
    'RRULE:FREQ=DAILY;INTERVAL=0' 'SUMMARY:Science' END:VEVENT)
write_cal "$WWW/county.ics"
cp "$WWW/county.ics" "$WWW/other.ics"

ST=$(small_station station "Subscribed Radio" 09:00-09:35)
sed -i 's#^timezone = .*#timezone = Europe/Berlin#' "$ST/station.conf"
chmod 640 "$ST/station.conf"
start_server web
WEB=$PORT
LINK="http://127.0.0.1:$WEB/calendar/ical/county%40group.test/$SECRET/cal/county.ics"

# ---- subscribe ------------------------------------------------------------------------------------
run --station "$ST" calendar subscribe "$LINK" --priority 5
expect_rc 0 "subscribe to an http:// link"
expect_out "as calendars/county-education.ics (priority 5, 2 events)" "named after the calendar's X-WR-CALNAME"
expect_err "an http:// link is not encrypted" "warns that http:// is not encrypted"
HASH=$(printf '%s' "$LINK" | sha256sum | cut -c1-8)
expect_out "http://127.0.0.1:$WEB (link $HASH)" "the link is shown as scheme, host and the first 8 hex digits of its SHA-256"
check "the stored copy is the partner's bytes" cmp "$WWW/county.ics" "$ST/calendars/county-education.ics"
expect_eq "$(stat -c %a "$ST/calendars/subscriptions.conf")" 600 "subscriptions.conf is readable by its owner only"
expect_eq "$(stat -c %a "$ST/station.conf")" 640 "station.conf keeps its permissions"
check "subscriptions.conf keeps the whole link" grep -qF "url = $LINK" "$ST/calendars/subscriptions.conf"
check "station.conf records the source without the link" \
    grep -qF "county-education.ics = 5, from subscription http://127.0.0.1:$WEB (link $HASH)" "$ST/station.conf"
check "the server saw one request" test "$(requests web)" = 1

run --station "$ST" calendar subscribe "$LINK"
expect_rc 1 "the same link twice is refused"
expect_err "subscribed already as calendars/county-education.ics"

printf 'webcal://127.0.0.1:%s/other/%s/cal/other.ics\n' "$WEB" "$SECRET" >"$CW_TMP/link.txt"
CW_LAST="chalkwave calendar subscribe - (link on stdin)"
"$CW_BINARY" --station "$ST" calendar subscribe - --name other <"$CW_TMP/link.txt" >"$CW_OUT" 2>"$CW_ERR"
CW_RC=$?
cat "$CW_OUT" "$CW_ERR" >>"$ALL"
expect_rc 3 "a link read from standard input (webcal:// as https://, an http-only server: unreachable)"
expect_err "the secure connection to 127.0.0.1:$WEB failed" "webcal:// went to https"
expect_no_path "$ST/calendars/other.ics" "nothing stored for a link that could not be fetched"
printf 'http://127.0.0.1:%s/o/%s/cal/other.ics\n' "$WEB" "$SECRET" >"$CW_TMP/link.txt"
"$CW_BINARY" --station "$ST" calendar subscribe - --name other <"$CW_TMP/link.txt" >"$CW_OUT" 2>"$CW_ERR"
CW_RC=$?
cat "$CW_OUT" "$CW_ERR" >>"$ALL"
expect_rc 0 "subscribe with the link on standard input"
expect_file "$ST/calendars/other.ics"

# ---- no change: one small request ------------------------------------------------------------------
before=$(requests web)
run --station "$ST" calendar update county-education
expect_rc 0 "update with no change"
expect_out "county-education.ics: unchanged"
check "exactly one request, answered 304" test "$(tail -n +$((before + 1)) "$CW_TMP/web.log")" = \
    "GET /calendar/ical/county%40group.test/$SECRET/cal/county.ics 304"
run --station "$ST" calendar list
expect_rc 0 "list"
expect_out_re "county-education\.ics +5 +no +2 .*http://127\.0\.0\.1:$WEB \(link $HASH\), fetched [0-9-]+ [0-9:]+: unchanged" \
    "list shows the link's host and hash, the last fetch and its result"
run --station "$ST" calendar list --format json
check "list JSON: the subscription worked, with host and hash" "$CW_PYTHON" -c '
import json, sys
rows = {r["name"]: r for r in json.load(open(sys.argv[1]))}
s = rows["county-education.ics"]["subscription"]
assert s["ok"] is True and s["host"] == "127.0.0.1:'"$WEB"'" and s["link_hash"] == "'"$HASH"'", s
assert s["tls"] == "none" and s["last_fetch"] and s["result"] == "unchanged" and s["status"] == "ok", s
' "$CW_OUT"

# ---- a bundle built, then the partner moves a lesson across DST ---------------------------------------
run --station "$ST" build --date 2026-03-31
expect_rc 0 "build 31 March (the lesson's old day)"
run --station "$ST" build --date 2026-03-24
expect_rc 0 "build 24 March (unchanged)"
write_cal "$WWW/county.ics" "${MOVE[@]}"
cp "$ST/calendars/county-education.ics" "$CW_TMP/v1.ics"
run --station "$ST" calendar update --from 2026-03-23 --days 14
expect_rc 0 "update after the partner moved a lesson"
expect_out "county-education.ics: updated (2 events); 1 change in the next 14 days:"
expect_out "  Maths P5 ep 5 moved from Tue 31 Mar 09:00 to Wed 1 Apr 10:00" "the move reported exactly (across the DST change of 29 March)"
expect_out "other.ics: unchanged"
expect_out "out/2026-03-31 (county-education.ics): chalkwave build --date 2026-03-31" "the bundle of the old day is stale"
expect_no_out "out/2026-03-24" "the bundle of an unchanged day is not"
check "the new copy is stored" cmp "$WWW/county.ics" "$ST/calendars/county-education.ics"
cp "$ST/calendars/county-education.ics" "$CW_TMP/v2.ics"
# the same change in JSON: exact UTC instants (09:00 CEST = 07:00Z, 10:00 CEST = 08:00Z)
write_cal "$WWW/county.ics" "${MOVE[@]/20260401T100000/20260401T110000}"
sed -i 's/20260401T103000/20260401T113000/' "$WWW/county.ics"
run --station "$ST" calendar update county-education --from 2026-03-23 --format json
expect_rc 0 "update --format json"
check "JSON: one move, exact instants, stale bundles none (1 April is not built)" "$CW_PYTHON" -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["from"] == "2026-03-23" and r["days"] == 14 and r["timezone"] == "Europe/Berlin", r
(c,) = r["calendars"]
assert c["result"] == "updated" and c["name"] == "county-education.ics", c
(m,) = c["changes"]
assert m["change"] == "moved" and m["matched_by"] == "uid+recurrence-id", m
assert m["before"]["start"] == "2026-04-01T08:00:00Z" and m["after"]["start"] == "2026-04-01T09:00:00Z", m
assert m["after"]["start_local"] == "2026-04-01T11:00:00+02:00" and m["after"]["episode"] == 5, m
assert m["recurrence_id"] == "20260331T070000Z" and m["text"] == "Maths P5 ep 5 moved from Wed 1 Apr 10:00 to Wed 1 Apr 11:00", m
assert r["stale_bundles"] == [], r["stale_bundles"]
' "$CW_OUT"
# ---- every kind of change at once, then undone (--format json) ----------------------------------------
# the partner removes a newsletter (EXDATE), cancels a lesson (which renumbers the later ones),
# adds a single lesson, moves a newsletter, and gives a lesson another series; 16 days from
# Mon 23 March reach Tue 7 April
MOVE11=("${MOVE[@]/20260401T100000/20260401T110000}")
MOVE11=("${MOVE11[@]/20260401T103000/20260401T113000}")
ALLCH=(BEGIN:VEVENT UID:maths@county.test DTSTAMP:20260102T000000Z 'RECURRENCE-ID;TZID=Europe/Berlin:20260324T090000'
    'DTSTART;TZID=Europe/Berlin:20260324T090000' 'DTEND;TZID=Europe/Berlin:20260324T093000' 'SUMMARY:Maths P5'
    STATUS:CANCELLED END:VEVENT
    BEGIN:VEVENT UID:news@county.test DTSTAMP:20260102T000000Z 'RECURRENCE-ID;TZID=Europe/Berlin:20260330T092000'
    'DTSTART;TZID=Europe/Berlin:20260330T120000' 'DTEND;TZID=Europe/Berlin:20260330T121000' 'SUMMARY:County news'
    'DESCRIPTION:Kind: newsletter' END:VEVENT
    BEGIN:VEVENT UID:maths@county.test DTSTAMP:20260102T000000Z 'RECURRENCE-ID;TZID=Europe/Berlin:20260407T090000'
    'DTSTART;TZID=Europe/Berlin:20260407T090000' 'DTEND;TZID=Europe/Berlin:20260407T093000' 'SUMMARY:Maths P5'
    'DESCRIPTION:Series: maths-p6' END:VEVENT
    BEGIN:VEVENT UID:science@county.test DTSTAMP:20260102T000000Z 'DTSTART;TZID=Europe/Berlin:20260326T140000'
    'DTEND;TZID=Europe/Berlin:20260326T143000' 'SUMMARY:Science P6' 'DESCRIPTION:Series: science-p6' END:VEVENT)
write_cal "$WWW/county.ics" "${MOVE11[@]}" "${ALLCH[@]}"
sed -i 's#^RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=20\r$#&\nEXDATE;TZID=Europe/Berlin:20260323T092000\r#' "$WWW/county.ics"
check "the news lost 23 March" grep -q '^EXDATE;TZID=Europe/Berlin:20260323T092000' "$WWW/county.ics"
run --station "$ST" calendar update county-education --from 2026-03-23 --days 16
expect_rc 0 "update with every kind of change"
expect_eq "$(sed -n '1,7p' "$CW_OUT")" "county-education.ics: updated (3 events); 6 changes in the next 16 days:
  County news (newsletter) on Mon 23 Mar 09:20-09:30 removed
  Maths P5 ep 4 on Tue 24 Mar 09:00 cancelled
  Science P6 ep 1 added on Thu 26 Mar 14:00-14:30
  County news (newsletter) moved from Mon 30 Mar 09:20 to Mon 30 Mar 12:00
  Maths P5 on Wed 1 Apr 11:00 is now ep 4 (was ep 5)
  Maths P5 on Tue 7 Apr 09:00 is now series maths-p6 (was maths-p5), ep 1 (was ep 6)" \
    "removed, cancelled, added, a newsletter moved, episodes renumbered, another series: one line each, in time order"
expect_out "out/2026-03-24 (county-education.ics): chalkwave build --date 2026-03-24" "the bundle of the cancelled lesson's day is stale"
write_cal "$WWW/county.ics" "${MOVE11[@]}"
run --station "$ST" calendar update county-education --from 2026-03-23 --days 16 --format json
expect_rc 0 "the partner undoes it all (--format json)"
check "JSON: the same six, undone: added, restored, removed, moved, changed episode, changed series" "$CW_PYTHON" -c '
import json, sys
r = json.load(open(sys.argv[1]))
(c,) = r["calendars"]
got = [(x["change"], x["text"]) for x in c["changes"]]
want = [("added", "County news (newsletter) added on Mon 23 Mar 09:20-09:30"),
        ("restored", "Maths P5 ep 4 on Tue 24 Mar 09:00 no longer cancelled"),
        ("removed", "Science P6 ep 1 on Thu 26 Mar 14:00-14:30 removed"),
        ("moved", "County news (newsletter) moved from Mon 30 Mar 12:00 to Mon 30 Mar 09:20"),
        ("changed", "Maths P5 on Wed 1 Apr 11:00 is now ep 5 (was ep 4)"),
        ("changed", "Maths P5 on Tue 7 Apr 09:00 is now series maths-p5 (was maths-p6), ep 6 (was ep 1)")]
assert got == want, got
ch = c["changes"]
assert ch[0]["after"]["kind"] == "newsletter" and ch[0]["before"] is None, ch[0]
assert ch[5]["before"]["series"] == "maths-p6" and ch[5]["after"]["series"] == "maths-p5", ch[5]
assert ch[5]["after"]["start"] == "2026-04-07T07:00:00Z", ch[5]
assert [b["date"] for b in r["stale_bundles"]] == ["2026-03-24"], r["stale_bundles"]
' "$CW_OUT"
check "the copy is the partner's again" cmp "$WWW/county.ics" "$ST/calendars/county-education.ics"

cp "$ST/calendars/county-education.ics" "$CW_TMP/good.ics"

# ---- new copies that never replace the good one ---------------------------------------------------------
# kept MODE|CONTENT DESCRIPTION EXIT MESSAGE [update options]
kept() {
    local what=$1 desc=$2 rc=$3 msg=$4
    shift 4
    rm -f "$WWW/county.ics.mode"
    case $what in
    mode:*) echo "${what#mode:}" >"$WWW/county.ics.mode"; touch "$WWW/county.ics" ;;
    broken) write_cal "$WWW/county.ics" "${MOVE[@]}" "${BROKEN[@]}" ;;
    empty-cal) printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\nEND:VCALENDAR\r\n' >"$WWW/county.ics" ;;
    esac
    run --station "$ST" calendar update county-education "$@"
    expect_rc "$rc" "$desc: exit $rc"
    expect_one_line_err "$desc: one line"
    expect_err_re "^chalkwave: calendar update: county-education\.ics: .*$msg.*; keeping the copy of [0-9]{4}-[0-9]{2}-[0-9]{2}$" \
        "$desc: says why and keeps the old copy"
    check "$desc: the stored copy is unchanged" cmp "$CW_TMP/good.ics" "$ST/calendars/county-education.ics"
}
kept mode:html "a sign-in page" 1 "the server sent a web page, not a calendar"
kept mode:html-as-ics "an HTML page sent as text/calendar" 1 "the server sent a web page"
kept mode:portal "a captive portal's redirect" 1 "the server sent a web page"
kept "mode:status 500" "a 500" 3 "the server 127.0.0.1:$WEB had an error \(500; try again later\)"
kept "mode:status 403" "a 403 (secret reset)" 3 "refused the link \(403: the secret address may have been reset"
kept mode:truncate "a truncated body" 3 "not reachable \(the connection to 127.0.0.1:$WEB broke before the whole calendar arrived"
kept mode:big "20 MB without Content-Length" 3 "is larger than 8 MiB"
kept mode:biglen "20 MB with Content-Length" 3 "is larger than 8 MiB"
kept mode:empty "an empty answer" 1 "the server sent an empty answer"
kept "mode:redirect 9" "9 redirects" 3 "redirects more than 5 times"
t0=$(date +%s)
kept "mode:slow 6" "a server slower than --timeout" 3 "not reachable \(no answer from 127.0.0.1:$WEB within 1 s\)" --timeout 1
check "the timeout held (under 5 s)" test $(($(date +%s) - t0)) -lt 5
kept broken "a new copy with an event that cannot be read" 1 \
    "the new copy has 1 event that cannot be read \(the first: 'Science' at line [0-9]+: .*INTERVAL.*--accept-errors"
kept empty-cal "a new copy without events" 1 "the new copy has no events"
rm -f "$WWW/county.ics.mode"
run --station "$ST" calendar list
expect_out_re "county-education\.ics .*fetched [0-9-]+ [0-9:]+: failed: the new copy has no events" "list says the last fetch failed, and why"
run --station "$ST" calendar list --format json
check "list JSON: a copy kept out is 'failed'" "$CW_PYTHON" -c '
import json, sys
rows = {r["name"]: r for r in json.load(open(sys.argv[1]))}
s = rows["county-education.ics"]["subscription"]
assert s["status"] == "failed" and s["ok"] is False and s["result"].startswith("failed: the new copy has no events"), s' "$CW_OUT"
write_cal "$WWW/county.ics" "${MOVE[@]}" "${BROKEN[@]}"
run --station "$ST" calendar update county-education --accept-errors
expect_rc 0 "--accept-errors takes a copy with an event that cannot be read"
expect_out "county-education.ics: updated (2 events, 1 skipped for errors)"
cp "$ST/calendars/county-education.ics" "$CW_TMP/good.ics"
echo "redirect 3" >"$WWW/county.ics.mode"
write_cal "$WWW/county.ics" "${MOVE[@]}"
run --station "$ST" calendar update county-education
expect_rc 0 "3 redirects are followed"
expect_out "county-education.ics: updated"
echo gzip >"$WWW/county.ics.mode"
write_cal "$WWW/county.ics"
run --station "$ST" calendar update county-education
expect_rc 0 "a gzip-compressed answer"
check "stored decompressed" cmp "$WWW/county.ics" "$ST/calendars/county-education.ics"
echo ics-as-html >"$WWW/county.ics.mode"
write_cal "$WWW/county.ics" "${MOVE[@]}"
run --station "$ST" calendar update county-education
expect_rc 0 "a calendar a web server labels text/html"
expect_out "county-education.ics: updated" "is taken by its bytes (BEGIN:VCALENDAR), not its label"
check "stored as sent" cmp "$WWW/county.ics" "$ST/calendars/county-education.ics"
write_cal "$WWW/county.ics"
echo gzip >"$WWW/county.ics.mode"
run --station "$ST" calendar update county-education
echo plain >"$WWW/county.ics.mode"
run --station "$ST" calendar update county-education
expect_out "county-education.ics: unchanged" "a server without ETag or Last-Modified: the same bytes are 'unchanged'"
# a server that stamps every download with the time (Google's and Outlook's published
# calendars): the same calendar is 'unchanged' and the stored copy is not rewritten
echo restamp >"$WWW/county.ics.mode"
cp "$ST/calendars/county-education.ics" "$CW_TMP/before-restamp.ics"
touch -d 2020-01-01 "$ST/calendars/county-education.ics"
for k in 1 2; do
    run --station "$ST" calendar update county-education
    expect_rc 0 "re-stamped copy $k"
    expect_out "county-education.ics: unchanged (only its DTSTAMPs differ: the server stamps every download)" \
        "re-stamped copy $k: unchanged, and says why the bytes differ"
done
check "the server did send other bytes each time" test "$(grep -c 'GET /calendar/ical/.* 200' "$CW_TMP/web.log")" -ge 2
check "the stored copy is kept byte for byte" cmp "$CW_TMP/before-restamp.ics" "$ST/calendars/county-education.ics"
expect_eq "$(stat -c %Y "$ST/calendars/county-education.ics")" "$(date -d 2020-01-01 +%s)" "and not rewritten"
write_cal "$WWW/county.ics" "${MOVE[@]}"
run --station "$ST" calendar update county-education --from 2026-03-23
expect_out "county-education.ics: updated (2 events); 1 change in the next 14 days:" "a real change among new stamps is an update"
expect_out "  Maths P5 ep 5 moved from Tue 31 Mar 09:00 to Wed 1 Apr 10:00"
run --station "$ST" calendar update county-education
expect_out "county-education.ics: unchanged (only its DTSTAMPs" "and the copy stored then is the one compared"
rm -f "$WWW/county.ics.mode"
write_cal "$WWW/county.ics"
run --station "$ST" calendar update county-education
expect_out "county-education.ics: updated" "back to the partner's first calendar: fetched, not a 304"
check "stored (an answer without ETag dropped the old one, which matches this calendar again)" \
    cmp "$WWW/county.ics" "$ST/calendars/county-education.ics"
rm -f "$WWW/county.ics.mode"
# a copy changed since it was fetched (an import over it, an edit by hand) is fetched whole
write_cal "$CW_TMP/by-hand.ics" "${BROKEN[@]}"
run --station "$ST" calendar import "$CW_TMP/by-hand.ics" --name county-education
expect_rc 0 "an import over a subscribed calendar"
expect_err "calendars/county-education.ics follows a partner's link: the next 'calendar update' fetches it again"
before=$(requests web)
run --station "$ST" calendar update county-education
expect_out "county-education.ics: updated" "the next update replaces the imported file"
check "with one whole fetch (200), not a 304" test "$(tail -n +$((before + 1)) "$CW_TMP/web.log" | cut -d' ' -f3)" = 200
check "the partner's copy is back" cmp "$WWW/county.ics" "$ST/calendars/county-education.ics"
check "and its [calendars] line says it is a subscription again" grep -qF "county-education.ics = 5, from subscription http://127.0.0.1:$WEB (link $HASH)" "$ST/station.conf"
printf 'X-EDITED:by hand\r\n' >>"$ST/calendars/county-education.ics"
run --station "$ST" calendar update county-education
expect_out "county-education.ics: updated (2 events); 0 changes in the next 14 days" "a copy edited by hand (no longer a calendar) is fetched whole and put back"
expect_empty_err "the edited copy is compared as an empty calendar, without a word"
check "put back as the partner has it" cmp "$WWW/county.ics" "$ST/calendars/county-education.ics"

# ---- safe beside other commands ----------------------------------------------------------------------------
flock -x "$ST/.chalkwave.lock" sleep 6 &
holder=$!
sleep 0.3
run --station "$ST" calendar update
expect_rc 0 "update while another command holds the station lock"
check "nothing to store: it did not wait for the lock (the other command still runs)" kill -0 "$holder"
write_cal "$WWW/county.ics" "${MOVE[@]}"
run --station "$ST" calendar update
expect_rc 0 "an update with a new copy waits for the lock, then stores"
check "it waited for the other command to finish" bash -c "! kill -0 $holder 2>/dev/null"
check "and stored the new copy" cmp "$WWW/county.ics" "$ST/calendars/county-education.ics"
wait "$holder"

# ---- offline -----------------------------------------------------------------------------------------------
stop_server web
run --station "$ST" calendar update
expect_rc 3 "offline: nothing could be fetched"
expect_eq "$(wc -l <"$CW_ERR")" 2 "offline: one line per calendar"
expect_err_re "^chalkwave: calendar update: county-education\.ics: not reachable \(cannot connect to 127\.0\.0\.1:$WEB .*\); keeping the copy of [0-9]{4}-[0-9]{2}-[0-9]{2}$"
expect_err_re "^chalkwave: calendar update: other\.ics: not reachable"
check "offline: the copies stay" cmp "$WWW/county.ics" "$ST/calendars/county-education.ics"
run --station "$ST" calendar list --format json
check "list JSON: offline is 'unreachable' (not ok), the last good copy's time kept" "$CW_PYTHON" -c '
import json, sys
rows = {r["name"]: r for r in json.load(open(sys.argv[1]))}
s = rows["county-education.ics"]["subscription"]
assert s["status"] == "unreachable" and s["ok"] is False and s["last_good"], s
assert s["result"].startswith("failed: not reachable (cannot connect to 127.0.0.1:"), s' "$CW_OUT"
start_server web2
sed -i "s#127.0.0.1:$WEB/o/#127.0.0.1:$PORT/o/#" "$ST/calendars/subscriptions.conf"
run --station "$ST" calendar update
expect_rc 0 "one calendar reachable, one not: not exit 3"
expect_out "other.ics: unchanged" "the reachable one was fetched (a new server, the same ETag: 304)"
expect_err "county-education.ics: not reachable"
expect_eq "$(stat -c %a "$ST/calendars/subscriptions.conf")" 600 "subscriptions.conf still 0600 after updates"
# behind a school network's proxy (libcurl reads http_proxy/https_proxy/no_proxy)
WEB2=$PORT
start_server proxy --proxy
PROXY=$PORT
write_cal "$WWW/other.ics" "${MOVE[@]}"
http_proxy=http://127.0.0.1:$PROXY no_proxy= NO_PROXY= run --station "$ST" calendar update other
expect_rc 0 "an update through an HTTP proxy"
expect_out "other.ics: updated" "the new copy came through the proxy"
check "the proxy carried the request" grep -qF "PROXY 127.0.0.1:$WEB2 /o/$SECRET/cal/other.ics 200" "$CW_TMP/proxy.log"
check "stored as the partner has it" cmp "$WWW/other.ics" "$ST/calendars/other.ics"
http_proxy=http://127.0.0.1:$PROXY no_proxy= NO_PROXY= run --station "$ST" calendar update other
expect_out "other.ics: unchanged" "the conditional GET passes the proxy too"
check "answered 304 through the proxy" grep -qF "PROXY 127.0.0.1:$WEB2 /o/$SECRET/cal/other.ics 304" "$CW_TMP/proxy.log"
stop_server proxy
# the proxy's password (in its URL) is a secret too: the final check greps for it
http_proxy=http://station:proxy-$SECRET@127.0.0.1:$PROXY no_proxy= NO_PROXY= run --station "$ST" calendar update other
expect_rc 3 "the proxy is down: nothing could be fetched"
expect_one_line_err "the proxy down: one line"
expect_err_re "^chalkwave: calendar update: other\.ics: not reachable \(cannot connect to the proxy 127\.0\.0\.1:$PROXY \(http_proxy in the environment\) to reach 127\.0\.0\.1:$WEB2\); keeping the copy of [0-9-]{10}$" \
    "the proxy down: says it cannot connect to the proxy, and names it"
http_proxy=http://127.0.0.1:$PROXY no_proxy=localhost,127.0.0.1 run --station "$ST" calendar update other
expect_rc 0 "no_proxy exempts the partner's server: fetched directly"
expect_out "other.ics: unchanged"

# ---- TLS ------------------------------------------------------------------------------------------------------
make_cert() { # NAME SAN
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj "/CN=partner" \
        -addext "subjectAltName=$2" -keyout "$CW_TMP/$1.key" -out "$CW_TMP/$1.pem" 2>/dev/null
}
pin_of() { openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64; }
make_cert tls1 IP:127.0.0.1
start_server tls --tls "$CW_TMP/tls1.pem" "$CW_TMP/tls1.key"
TLS=$PORT
TLINK="https://127.0.0.1:$TLS/t/$SECRET/cal/county.ics"
run --station "$ST" calendar subscribe "$TLINK" --name partner
expect_rc 1 "a self-signed certificate is refused without an option"
expect_err "is not trusted" && expect_err "--self-signed"
run --station "$ST" calendar subscribe "https://localhost:$TLS/t/$SECRET/cal/county.ics" --name partner --self-signed
expect_rc 1 "--self-signed still checks the host name"
expect_err "is for another name"
run --station "$ST" calendar subscribe "${TLINK/https:/webcal:}" --name partner --self-signed
expect_rc 0 "--self-signed: subscribed (webcal:// read as https://)"
PIN=$(pin_of "$CW_TMP/tls1.pem")
expect_err "its key sha256//$PIN is trusted from now on" "the pinned key is the one openssl computes"
check "subscriptions.conf: https, self-signed, pinned" grep -qzF "url = $TLINK
tls = self-signed
pin = sha256//$PIN" "$ST/calendars/subscriptions.conf"
before=$(requests tls)
run --station "$ST" calendar update partner
expect_out "partner.ics: unchanged" "an update over TLS"
check "one request over TLS, a 304" test "$(tail -n +$((before + 1)) "$CW_TMP/tls.log")" = "GET /t/$SECRET/cal/county.ics 304"
run --station "$ST" calendar list --format json
check "list JSON: tls self-signed, pinned" "$CW_PYTHON" -c '
import json, sys
rows = {r["name"]: r for r in json.load(open(sys.argv[1]))}
assert rows["partner.ics"]["subscription"]["tls"] == "self-signed, pinned"' "$CW_OUT"
# the partner's server gets another key: refused until the station says otherwise
stop_server tls
make_cert tls2 IP:127.0.0.1
start_server tls --tls "$CW_TMP/tls2.pem" "$CW_TMP/tls2.key"
sed -i "s#127.0.0.1:$TLS/t/#127.0.0.1:$PORT/t/#" "$ST/calendars/subscriptions.conf"
TLS=$PORT
TLINK="https://127.0.0.1:$TLS/t/$SECRET/cal/county.ics"
run --station "$ST" calendar update partner
expect_rc 3 "a changed key is refused"
expect_err "showed another key than the pinned one"
TLINK2="https://127.0.0.1:$TLS/t2/$SECRET/cal/county.ics"
run --station "$ST" calendar subscribe "$TLINK2" --name partner2 --pin "$CW_TMP/tls1.pem" --self-signed
expect_rc 1 "--pin with another certificate's key is refused"
expect_err "showed another key than the pinned one"
run --station "$ST" calendar subscribe "$TLINK2" --name partner2 --pin "$CW_TMP/tls2.pem"
expect_rc 1 "--pin alone still needs a certificate the machine trusts"
expect_err "is not trusted"
run --station "$ST" calendar subscribe "$TLINK2" --name partner2 --pin "$CW_TMP/tls2.pem" --self-signed
expect_rc 0 "--pin FILE --self-signed"
check "pinned as openssl computes it" grep -qF "pin = sha256//$(pin_of "$CW_TMP/tls2.pem")" "$ST/calendars/subscriptions.conf"
run --station "$ST" calendar update partner2 --from 2026-03-23
expect_rc 0 "update of the pinned subscription"

# ---- unsubscribe, remove ------------------------------------------------------------------------------------------
run --station "$ST" calendar unsubscribe partner2
expect_rc 0 "unsubscribe"
expect_out "calendars/partner2.ics stays as its last copy"
expect_file "$ST/calendars/partner2.ics" "unsubscribe keeps the calendar"
check "its source says it was a subscription" grep -qE "^partner2.ics = 0, from former subscription https://127.0.0.1:$TLS \(link [0-9a-f]{8}\)$" "$ST/station.conf"
check "and the link is gone from subscriptions.conf" bash -c "! grep -q 'partner2' '$ST/calendars/subscriptions.conf'"
run --station "$ST" calendar update partner2
expect_rc 2 "update of a calendar that is no subscription: usage"
run --station "$ST" calendar unsubscribe partner --remove
expect_rc 0 "unsubscribe --remove"
expect_no_path "$ST/calendars/partner.ics"
run --station "$ST" calendar remove other
expect_rc 0 "calendar remove of a subscription"
expect_out "(and its subscription)"
check "remove drops its subscription" bash -c "! grep -q 'other.ics' '$ST/calendars/subscriptions.conf'"
run --station "$ST" calendar "$LINK"
expect_rc 2 "a link where a subcommand goes"
for c in check import "expand --from 2026-03-01 --to 2026-03-02"; do
    run --station "$ST" calendar $c "$LINK"
    expect_rc 2 "calendar $c of a link: a usage error"
    expect_err "http://127.0.0.1:$WEB (link $HASH) is a link, not a file (follow it with: chalkwave calendar subscribe URL)"
done

# ---- the secret -------------------------------------------------------------------------------------------------
run --station "$ST" plan --date 2026-04-01
run --station "$ST" build --date 2026-04-01
expect_rc 0 "a bundle built from the subscribed calendar"
run --station "$ST" export --from 2026-03-01 --to 2026-05-01
check "the secret is in subscriptions.conf (the test would prove nothing otherwise)" grep -qF "$SECRET" "$ST/calendars/subscriptions.conf"
check "no output of any command holds the secret ($(wc -l <"$ALL") lines)" bash -c "! grep -qF '$SECRET' '$ALL'"
leaks=$(grep -rlF "$SECRET" "$ST" | grep -v '/calendars/subscriptions.conf$')
expect_eq "${leaks:-none}" none "no file of the station but subscriptions.conf holds the secret (bundles, plans, station.conf, calendars)"
check "no output shows the link's path" bash -c "! grep -qF '/calendar/ical/county' '$ALL'"
expect_eq "$(stat -c %a "$ST/station.conf")" 640 "station.conf still has its permissions"

cw_finish
