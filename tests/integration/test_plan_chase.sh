#!/usr/bin/env bash
# test_plan_chase.sh — issue #14 item 4 with the real binary: `plan --missing` names the
# lesson (the event's SUMMARY), series and episode, the teacher (the calendar's Teacher:,
# else the teacher of the series' recordings), date, weekday and time; --format csv is read
# by Python's csv module (RFC 4180: quotes, commas in titles) and --format json by json;
# --by-teacher prints one ready-to-send plain-text message per teacher; without dates it
# covers today and the next 13 days in the station's zone; usage errors are one line.
. "$(dirname "$0")/lib.sh"

command -v sox >/dev/null || { echo "$CW_TEST_NAME: sox is missing"; exit 1; }
ST=$(small_station st "Radio Kisumu" "07:00-08:00" 60)
sed -i 's|^timezone = .*|timezone = Africa/Nairobi|' "$ST/station.conf"
SRC=$CW_TMP/src
mkdir -p "$SRC"
cat >"$SRC/county.ics" <<'EOF'
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//county//EN
BEGIN:VEVENT
UID:eng@county
DTSTAMP:20261201T000000Z
DTSTART;TZID=Africa/Nairobi:20261207T070000
DTEND;TZID=Africa/Nairobi:20261207T071500
RRULE:FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=6
SUMMARY:English Grade 4
DESCRIPTION:Series: english-g4\nTeacher: Mr Otieno
END:VEVENT
BEGIN:VEVENT
UID:sci@county
DTSTAMP:20261201T000000Z
DTSTART;TZID=Africa/Nairobi:20261208T071500
DTEND;TZID=Africa/Nairobi:20261208T073000
RRULE:FREQ=WEEKLY;BYDAY=TU,TH;COUNT=4
SUMMARY:Science, "Plants" & soil
DESCRIPTION:Series: science-g5\nTeacher: Ms Wanjiru
END:VEVENT
BEGIN:VEVENT
UID:kis@county
DTSTAMP:20261201T000000Z
DTSTART;TZID=Africa/Nairobi:20261207T073000
DTEND;TZID=Africa/Nairobi:20261207T074500
RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=2
SUMMARY:Kiswahili
DESCRIPTION:Series: kiswahili-g3
END:VEVENT
END:VCALENDAR
EOF
cw --station "$ST" calendar import "$SRC/county.ics"
expect_rc 0 "import the county calendar"
sox -q -n -r 8000 -c 1 -b 16 "$SRC/e1.wav" synth 3 sine 440 gain -12
sox -q -n -r 8000 -c 1 -b 16 "$SRC/k1.wav" synth 3 sine 550 gain -12
cw --station "$ST" ingest --series english-g4 --episode 1 --title "Nouns" --teacher "Mr Otieno" "$SRC/e1.wav"
expect_rc 0 "English episode 1 arrived"
# Kiswahili's calendar names no teacher; its recordings do
cw --station "$ST" ingest --series kiswahili-g3 --episode 1 --title "Salamu" --teacher "Bi Akinyi" "$SRC/k1.wav"
expect_rc 0 "Kiswahili episode 1 arrived"

cw --station "$ST" plan --missing --from 2026-12-07 --to 2026-12-14
expect_rc 0 "plan --missing for a week"
expect_out "2026-12-08 Tue 07:15  Science, \"Plants\" & soil (science-g5, episode 1)  teacher: Ms Wanjiru" "title, series, episode, teacher, date and time"
expect_out "2026-12-09 Wed 07:00  English Grade 4 (english-g4, episode 2)  teacher: Mr Otieno"
expect_out "2026-12-14 Mon 07:30  Kiswahili (kiswahili-g3, episode 2)  teacher: Bi Akinyi" "the teacher of the series' recordings when the calendar names none"
expect_no_out "episode 1)  teacher: Mr Otieno" "English 1 is not missing"
expect_out "6 recordings missing from 2026-12-07 to 2026-12-14" "the count"

cw --station "$ST" plan --missing --from 2026-12-07 --to 2026-12-14 --format csv
expect_rc 0 "--format csv"
cp "$CW_OUT" "$CW_TMP/chase.csv"
csvq() {
    "$CW_PYTHON" - "$CW_TMP/chase.csv" "$1" <<'PYEOF'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8"), strict=True))
print(eval(sys.argv[2], {"rows": rows, "len": len}))
PYEOF
}
expect_eq "$(csvq 'len(rows)')" 6 "Python's csv reads 6 rows"
expect_eq "$(csvq 'list(rows[0].keys())')" "['date', 'time', 'weekday', 'title', 'series', 'episode', 'teacher', 'status', 'calendar', 'event_uid', 'reason']" "the header row"
expect_eq "$(csvq '[r["title"] for r in rows if r["series"] == "science-g5"][0]')" 'Science, "Plants" & soil' "a title with a comma and quotes survives"
expect_eq "$(csvq '(rows[0]["date"], rows[0]["time"], rows[0]["teacher"], rows[0]["episode"], rows[0]["status"])')" \
    "('2026-12-08', '07:15', 'Ms Wanjiru', '1', 'missing')" "a row's fields"
check "CRLF line ends (RFC 4180)" grep -q $'\r$' "$CW_TMP/chase.csv"

cw --station "$ST" plan --missing --from 2026-12-07 --to 2026-12-14 --format json
expect_rc 0 "--format json"
expect_eq "$(json_get "$CW_OUT" 'len(d)')" 6 "6 objects"
expect_eq "$(json_get "$CW_OUT" 'sorted(d[0].keys())')" \
    '["calendar", "date", "end", "episode", "event_uid", "language", "reason", "recurrence_id", "series", "start", "status", "teacher", "time", "title", "weekday"]' \
    "the fields"
expect_eq "$(json_get "$CW_OUT" '[d[-1]["start"], d[-1]["end"], d[-1]["teacher"]]')" \
    '["2026-12-14T07:30:00+03:00", "2026-12-14T07:45:00+03:00", "Bi Akinyi"]' "local start and end"

cw --station "$ST" plan --missing --by-teacher --from 2026-12-07 --to 2026-12-14
expect_rc 0 "--by-teacher"
cp "$CW_OUT" "$CW_TMP/messages.txt"
expect_out "To: Mr Otieno" "one message per teacher"
expect_out "Hello Mr Otieno, this is Radio Kisumu. We have not yet received the recordings for these lessons:"
expect_out "- Wed 9 Dec 2026, 07:00: English Grade 4, episode 2 (series english-g4)"
expect_out "Please record them and send them to the station before they go on air. Thank you!"
expect_out "Hello Bi Akinyi, this is Radio Kisumu. We have not yet received the recording for this lesson:" "one lesson: singular"
expect_eq "$(grep -c '^To: ' "$CW_TMP/messages.txt")" 3 "three teachers"
expect_eq "$(grep -c '^----' "$CW_TMP/messages.txt")" 2 "separated by lines of dashes"
check "plain text: no control characters but newlines" bash -c "! LC_ALL=C grep -q \$'[\x01-\x09\x0b-\x1f]' '$CW_TMP/messages.txt'"

# no dates: today and the next 13 days in the station's zone
D=$(small_station daily "Radio Kisumu" "07:00-08:00" 60)
sed -i 's|^timezone = .*|timezone = Africa/Nairobi|' "$D/station.conf"
cat >"$SRC/daily.ics" <<'EOF'
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//daily//EN
BEGIN:VEVENT
UID:daily@county
DTSTAMP:20200101T000000Z
DTSTART;TZID=Africa/Nairobi:20200101T070000
DTEND;TZID=Africa/Nairobi:20200101T071500
RRULE:FREQ=DAILY
SUMMARY:Daily maths
DESCRIPTION:Series: dm\nTeacher: Mr Daily
END:VEVENT
END:VCALENDAR
EOF
cw --station "$D" calendar import "$SRC/daily.ics"
cw --station "$D" plan --missing --format json
expect_rc 0 "plan --missing with no dates"
today=$(TZ=Africa/Nairobi date +%F)
last=$(TZ=Africa/Nairobi date -d "$today +13 days" +%F)
expect_eq "$(json_get "$CW_OUT" '[len(d), d[0]["date"], d[-1]["date"]]')" "[14, \"$today\", \"$last\"]" "14 days from today"
cw --station "$D" plan --missing --from 2019-12-01 --to 2019-12-31
expect_out "no recordings missing from 2019-12-01 to 2019-12-31" "an empty chase list says so"

# usage
cw --station "$ST" plan --missing --by-teacher --format json
expect_rc 2 "--by-teacher with --format json"
expect_one_line_err "one line"
cw --station "$ST" plan --date 2026-12-07 --format csv
expect_rc 2 "--format csv without --missing"
expect_err "--format csv is for the chase list (add --missing)"
cw --station "$ST" plan --missing --format xml
expect_rc 2 "--format xml"
expect_err "use text or json, or csv"

cw_finish
