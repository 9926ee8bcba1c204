#!/bin/bash
# test_desk_browser.sh — the desk in a real browser: Debian's headless Chromium driven by
# chromedriver and python3-selenium (desk_browser.py). A teacher on a phone-sized screen
# opens their link, uploads a good recording (accepted, with when it airs), a broken one
# (refused with the reason), records one in the browser (a fake microphone), and uploads
# again with JavaScript off; staff log in, see the week with the new lesson and the
# missing list shrink, import a calendar, build a day and download its bundle, which
# `chalkwave verify` then accepts. Every page is checked for labelled controls, one h1 and
# no console errors. Screenshots go to BUILD/artifacts/desk-browser/ (kept as CI artefacts).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/desk_lib.sh"
for p in /usr/bin/chromium /usr/bin/chromedriver; do
    [ -x "$p" ] || { echo "$CW_TEST_NAME: $p is missing (apt-get install chromium chromium-driver)"; exit 77; }
done
/usr/bin/python3 -c 'import selenium' 2>/dev/null || { echo "$CW_TEST_NAME: python3-selenium is missing"; exit 77; }
command -v sox >/dev/null || { echo "$CW_TEST_NAME: sox is missing"; exit 77; }

SHOTS=${CW_ARTIFACT_DIR:-$CW_BUILD_DIR/artifacts}/desk-browser
rm -rf "$SHOTS"
mkdir -p "$SHOTS"
ST=$(small_station web "Browser Radio" 07:00-07:02)
cd "$CW_TMP" || exit 1
tomorrow=$(TZ=Africa/Lagos date -d tomorrow +%Y%m%d)
TZ=Africa/Lagos date -d tomorrow +%Y-%m-%d >day.txt
ics() { # FILE SERIES HHMMSS: a daily lesson from tomorrow
    printf '%s\r\n' 'BEGIN:VCALENDAR' 'VERSION:2.0' 'PRODID:-//chalkwave tests//browser//EN' 'BEGIN:VEVENT' \
        "UID:$2@browser.test" 'DTSTAMP:20260101T000000Z' "DTSTART;TZID=Africa/Lagos:${tomorrow}T$3" \
        "DTEND;TZID=Africa/Lagos:${tomorrow}T$(printf '%06d' $((10#$3 + 20)))" 'RRULE:FREQ=DAILY;COUNT=10' \
        "SUMMARY:Lesson $2" "X-CHALKWAVE-SERIES:$2" 'END:VEVENT' 'END:VCALENDAR' >"$1"
}
ics maths.ics maths 070000
ics english.ics english 070100
cw --station "$ST" calendar import maths.ics
expect_rc 0 "setup: maths every day from tomorrow"
desk_user "$ST" amina "amina's password"
TOKEN=$(desk_teacher "$ST" "Mrs Okafor" maths)
tone good.wav 4 440
tone nojs.wav 4 550
head -c 30000 /dev/urandom >broken.m4a
# can this build read a browser's WebM/Opus recording? (decided by trying one ffmpeg made)
WEBM_OK=0
if command -v ffmpeg >/dev/null && ffmpeg -v quiet -f lavfi -i sine=f=300:d=3 -c:a libopus probe.webm; then
    P=$(small_station probe "Probe" 07:00-07:01)
    cw --station "$P" ingest --series x --episode 1 probe.webm
    [ "$CW_RC" = 0 ] && WEBM_OK=1
fi
desk_start "$ST" || cw_finish
desk_login amina "amina's password"
hcurl -b jar "$DESK_URL/api/missing" >/dev/null
json_get body 'len(d)' >missing-before.json
/usr/bin/python3 "$CW_LIB_DIR/desk_browser.py" "$DESK_URL" "$TOKEN" amina "amina's password" "$CW_TMP" "$SHOTS" \
    "$CW_TMP/english.ics" "$WEBM_OK" >browser.log 2>browser.err
rc=$?
cat browser.log
CW_PASSED=$((CW_PASSED + $(grep -c '^ok - ' browser.log)))
CW_FAILED=$((CW_FAILED + $(grep -c '^FAIL - ' browser.log)))
[ $rc = 0 ] || [ "$(grep -c '^FAIL - ' browser.log)" != 0 ] || not_ok "the browser script stopped: $(tail -3 browser.err)"
tar=$(ls downloads/chalkwave-*.tar 2>/dev/null | head -1)
if [ -n "$tar" ]; then
    mkdir x && tar -xf "$tar" -C x
    cw verify "x/$(cat day.txt)"
    expect_rc 0 "chalkwave verify accepts the bundle the browser downloaded"
fi
ls "$SHOTS"/*.png >/dev/null 2>&1 && ok "screenshots saved in $SHOTS ($(ls "$SHOTS" | wc -l))" || not_ok "no screenshots"
desk_stop
expect_eq "$DESK_RC" 0 "the desk stops cleanly"
cw_finish
