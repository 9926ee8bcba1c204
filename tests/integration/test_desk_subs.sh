#!/bin/bash
# test_desk_subs.sh — calendar subscriptions on the desk, against a real HTTP server started
# here on 127.0.0.1 (tests/integration/subs_server.py): a link subscribed from the CLI is
# listed on the calendars page (host and short hash, priority, last fetch, the copy in use),
# never with its secret (the page, the API's JSON and the job pages are grepped for it);
# "Update now" needs a login (401) and the CSRF token (403) and fetches nothing without them;
# with both it runs as a job whose page shows the moved lesson and the built bundle it made
# stale; POST /api/calendars/update answers the JSON of `calendar update --format json`
# (byte-identical for the same update); a sign-in page served instead keeps the old copy
# byte for byte and the page says why.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/desk_lib.sh"

cw_have_python_module http.server
cw_skip_if_missing

SERVER=$CW_SOURCE_DIR/tests/integration/subs_server.py
SECRET=private-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
WWW=$CW_TMP/www
mkdir -p "$WWW"
cd "$CW_TMP" || exit 1

SRV_PID=
trap '[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null; wait "$SRV_PID" 2>/dev/null; desk_cleanup' EXIT
"$CW_PYTHON" "$SERVER" --root "$WWW" --log "$CW_TMP/web.log" --port-file "$CW_TMP/web.port" >"$CW_TMP/web.out" 2>&1 &
SRV_PID=$!
for _ in $(seq 100); do [ -s "$CW_TMP/web.port" ] && break; sleep 0.05; done
WEB=$(cat "$CW_TMP/web.port" 2>/dev/null)
[ -n "$WEB" ] || { not_ok "the web server did not start: $(cat "$CW_TMP/web.out")"; cw_finish; }
requests() { wc -l <"$CW_TMP/web.log" 2>/dev/null || echo 0; }

# ---- the partner's calendar: a weekly lesson around today (station time) ----------------------------
ZONE=Europe/Berlin
TODAY=$(TZ=$ZONE date +%F)
d() { TZ=$ZONE date -d "$TODAY $1 days" +%Y%m%d; }
START=$(d -14) MOVED_FROM=$(d 7) MOVED_TO=$(d 8)
write_cal() { # FILE [EXTRA VEVENT LINES...]
    local f=$1
    shift
    {
        printf '%s\n' BEGIN:VCALENDAR VERSION:2.0 'PRODID:-//County//Calendar//EN' 'X-WR-CALNAME:County Education' \
            BEGIN:VEVENT UID:maths@county.test DTSTAMP:20260101T000000Z \
            "DTSTART;TZID=$ZONE:${START}T090000" "DTEND;TZID=$ZONE:${START}T093000" \
            'RRULE:FREQ=WEEKLY;COUNT=8' 'SUMMARY:Maths P5' 'DESCRIPTION:Series: maths-p5' END:VEVENT
        [ $# -gt 0 ] && printf '%s\n' "$@"
        printf '%s\n' END:VCALENDAR
    } | sed 's/$/\r/' >"$f.tmp"
    mv "$f.tmp" "$f"
}
MOVE=(BEGIN:VEVENT UID:maths@county.test DTSTAMP:20260102T000000Z "RECURRENCE-ID;TZID=$ZONE:${MOVED_FROM}T090000"
    "DTSTART;TZID=$ZONE:${MOVED_TO}T100000" "DTEND;TZID=$ZONE:${MOVED_TO}T103000" 'SUMMARY:Maths P5' END:VEVENT)
write_cal "$WWW/county.ics"

ST=$(small_station station "Subscribed Radio" 09:00-10:35)
sed -i "s#^timezone = .*#timezone = $ZONE#" "$ST/station.conf"
LINK="http://127.0.0.1:$WEB/calendar/ical/county%40group.test/$SECRET/cal/county.ics"
HASH=$(printf '%s' "$LINK" | sha256sum | cut -c1-8)
cw --station "$ST" calendar subscribe "$LINK" --priority 7
expect_rc 0 "setup: subscribe from the CLI"
cw --station "$ST" build --date "$(TZ=$ZONE date -d "$TODAY 7 days" +%F)"
expect_rc 0 "setup: build the day the lesson will leave"

desk_user "$ST" amina "amina's password"
desk_start "$ST" || cw_finish
desk_login amina "amina's password" || not_ok "login: $(cat login.json)"
SEEN=$CW_TMP/seen.txt # every page and answer, grepped for the secret at the end
: >"$SEEN"
keep() { cat body >>"$SEEN"; }

# ---- the calendars page lists the subscription ----------------------------------------------------
expect_eq "$(hcurl -b jar "$DESK_URL/staff/calendars")" 200 "GET /staff/calendars"
keep
check "the page has a Subscriptions section" grep -q '<h2 id="subscriptions">Subscriptions</h2>' body
check "the subscription is listed with its host and the link's short hash" \
    grep -qF "<td>county-education.ics</td><td>127.0.0.1:$WEB <span class=\"hint\">(link $HASH)</span></td><td>7</td>" body
check "...fetched, with the day of the copy in use" grep -qE "<strong>fetched</strong></td><td>$TODAY</td>" body
check "an Update now form with the CSRF token" grep -qF "name=\"csrf\" value=\"$CSRF\"" body
check "...that posts to /staff/calendars/update" grep -qF 'action="/staff/calendars/update"' body

# ---- Update now: login and token first --------------------------------------------------------------
cp "$ST/calendars/county-education.ics" v1.ics
write_cal "$WWW/county.ics" "${MOVE[@]}"
before=$(requests)
expect_eq "$(hcurl -X POST -d "csrf=$CSRF" "$DESK_URL/staff/calendars/update")" 401 "Update now without a login: 401"
expect_eq "$(hcurl -b jar -X POST -d 'csrf=' "$DESK_URL/staff/calendars/update")" 403 "Update now without the CSRF token: 403"
expect_eq "$(hcurl -b jar -X POST -d 'csrf=wrong' "$DESK_URL/staff/calendars/update")" 403 "...with a wrong one: 403"
expect_eq "$(hcurl -b jar -X POST "$DESK_URL/api/calendars/update")" 403 "the API without its CSRF header: 403"
expect_eq "$(hcurl -X POST -H "X-Chalkwave-CSRF: $CSRF" "$DESK_URL/api/calendars/update")" 401 "the API without a login: 401"
expect_eq "$(requests)" "$before" "none of them fetched anything"
check "...nor changed the stored copy" cmp -s v1.ics "$ST/calendars/county-education.ics"

# ---- Update now with both: a job, the move on its page -------------------------------------------------
expect_eq "$(hcurl -b jar -X POST -d "csrf=$CSRF" "$DESK_URL/staff/calendars/update")" 303 "Update now: a redirect to its job"
JOB=$(sed -n 's#^[Ll]ocation: \(/staff/jobs/[A-Za-z0-9_-]*\).*#\1#p' headers | tr -d '\r')
[ -n "$JOB" ] && ok "...at $JOB" || not_ok "no job in the redirect: $(cat headers)"
for _ in $(seq 300); do
    hcurl -b jar "$DESK_URL$JOB" >/dev/null
    grep -q 'http-equiv="refresh"\|Working\|Waiting for its turn' body || break
    sleep 0.1
done
keep
check "the job finished: 1 updated" grep -q "Updated: 1 updated, 0 unchanged" body
check "the job page shows the calendar updated" grep -qF "<strong>county-education.ics</strong>: updated (1 event)" body
MOVED_LINE="Maths P5 ep 4 moved from $(LC_ALL=C TZ=$ZONE date -d "$TODAY 7 days" '+%a %-d %b') 09:00 to $(LC_ALL=C TZ=$ZONE date -d "$TODAY 8 days" '+%a %-d %b') 10:00"
check "the moved lesson, in words: $MOVED_LINE" grep -qF "<li class=\"change-moved\">$MOVED_LINE</li>" body
STALE=$(TZ=$ZONE date -d "$TODAY 7 days" +%F)
check "the bundle built for its old day is listed as stale" grep -qF "<li class=\"stale\"><a href=\"/staff/days/$STALE\">$STALE</a></li>" body
check "the new copy is stored" cmp -s "$WWW/county.ics" "$ST/calendars/county-education.ics"
expect_eq "$(hcurl -b jar "$DESK_URL/staff/week")" 200 "the week still renders after the update"

# ---- the API: the same JSON as the CLI -----------------------------------------------------------------
code=$(hcurl -b jar -H "X-Chalkwave-CSRF: $CSRF" -d "from=$TODAY" -d days=14 "$DESK_URL/api/calendars/update")
expect_eq "$code" 200 "POST /api/calendars/update"
keep
cp body api.json
cw --station "$ST" calendar update --from "$TODAY" --days 14 --format json
expect_rc 0 "the same update from the CLI"
cmp -s api.json "$CW_OUT" && ok "the API's JSON is byte-identical to 'calendar update --format json'" ||
    not_ok "the API's JSON differs: $(diff api.json "$CW_OUT" | head -5)"
expect_eq "$(json_get api.json '[(c["name"], c["result"], c["source"]) for c in d["calendars"]]')" \
    "[[\"county-education.ics\", \"unchanged\", \"http://127.0.0.1:$WEB (link $HASH)\"]]" "...unchanged, the link as host and hash"
# a move reported through the API
write_cal "$WWW/county.ics"
code=$(hcurl -b jar -H "X-Chalkwave-CSRF: $CSRF" -d name=county-education -d "from=$TODAY" "$DESK_URL/api/calendars/update")
expect_eq "$code" 200 "the API after the partner moved the lesson back"
keep
expect_eq "$(json_get body '[(x["change"], x["text"]) for x in d["calendars"][0]["changes"]]')" \
    "[[\"moved\", \"Maths P5 ep 4 moved from $(LC_ALL=C TZ=$ZONE date -d "$TODAY 8 days" '+%a %-d %b') 10:00 to $(LC_ALL=C TZ=$ZONE date -d "$TODAY 7 days" '+%a %-d %b') 09:00\"]]" \
    "the API's JSON: the lesson moved back"
expect_eq "$(json_get body '[s["date"] for s in d["stale_bundles"]]')" "[\"$STALE\"]" "...and the stale bundle"
expect_eq "$(hcurl -b jar -H "X-Chalkwave-CSRF: $CSRF" -d name=nope "$DESK_URL/api/calendars/update")" 422 \
    "a name that is no subscription: 422"
keep
expect_eq "$(json_get body 'd["error"]')" "The calendars could not be updated: 'nope' is no subscription (see 'chalkwave calendar list')" "...in words"
expect_eq "$(hcurl -b jar -H "X-Chalkwave-CSRF: $CSRF" -d days=0 "$DESK_URL/api/calendars/update")" 422 "days=0: 422"

# ---- a sign-in page instead of the calendar -----------------------------------------------------------
cp "$ST/calendars/county-education.ics" good.ics
write_cal "$WWW/county.ics" "${MOVE[@]}"
echo html >"$WWW/county.ics.mode"
expect_eq "$(hcurl -b jar -X POST -d "csrf=$CSRF" "$DESK_URL/staff/calendars/update")" 303 "Update now while the server sends a sign-in page"
JOB=$(sed -n 's#^[Ll]ocation: \(/staff/jobs/[A-Za-z0-9_-]*\).*#\1#p' headers | tr -d '\r')
for _ in $(seq 300); do
    hcurl -b jar "$DESK_URL$JOB" >/dev/null
    grep -q 'http-equiv="refresh"\|Working\|Waiting for its turn' body || break
    sleep 0.1
done
keep
check "the job says it was kept out" grep -q "Some calendars were kept out: 0 updated, 0 unchanged, 0 not reachable, 1 refused" body
check "...why: a web page" grep -qF "refused, the old copy kept. Why: the server sent a web page, not a calendar" body
check "...and which copy is in use" grep -qF "In use: the copy of $TODAY" body
check "the old copy is kept byte for byte" cmp -s good.ics "$ST/calendars/county-education.ics"
expect_eq "$(hcurl -b jar "$DESK_URL/staff/calendars")" 200 "the calendars page after it"
keep
check "the calendars page says why the last fetch did not work" \
    grep -qF "<strong>refused, the old copy kept</strong>: the server sent a web page, not a calendar" body
check "...and the copy in use" grep -qE "</td><td>$TODAY</td></tr>" body

# ---- the secret is never shown ------------------------------------------------------------------------------
if grep -qF "$SECRET" "$SEEN" "$DESK_OUT" "$DESK_LOG"; then not_ok "the link's secret was shown"; else ok "the secret appears in no page, answer or desk log"; fi
if grep -qF "county%40group" "$SEEN"; then not_ok "the link's path was shown"; else ok "...nor the link's path"; fi

# ---- the desk stopped during an update: it does not wait for a slow server, and changes nothing -------------
echo "slow 30" >"$WWW/county.ics.mode"
subs_before=$(sha256sum <"$ST/calendars/subscriptions.conf")
expect_eq "$(hcurl -b jar -X POST -d "csrf=$CSRF" "$DESK_URL/staff/calendars/update")" 303 "Update now while the server takes 30 s"
JOB=$(sed -n 's#^[Ll]ocation: \(/staff/jobs/[A-Za-z0-9_-]*\).*#\1#p' "$CW_TMP/headers" | tr -d '\r')
for _ in $(seq 100); do hcurl -b jar "$DESK_URL$JOB" >/dev/null; grep -q 'Working' body && break; sleep 0.1; done
grep -q 'Working' body && ok "...the update is running" || not_ok "the update is not running: $(grep -o '<p[^>]*>[^<]*' body | head -3)"
sleep 0.5 # inside the 30 s fetch
t0=$(date +%s%N)
desk_stop
ms=$((($(date +%s%N) - t0) / 1000000))
expect_eq "$DESK_RC" 0 "the desk stops cleanly during the update"
[ "$ms" -lt 5000 ] && ok "...in $ms ms: the fetch is abandoned, not waited for" || not_ok "the stop took $ms ms"
check "the copy in use is unchanged" cmp -s good.ics "$ST/calendars/county-education.ics"
expect_eq "$(sha256sum <"$ST/calendars/subscriptions.conf")" "$subs_before" "...and so is the subscriptions' record"
rm -f "$WWW/county.ics.mode"
cw_finish
