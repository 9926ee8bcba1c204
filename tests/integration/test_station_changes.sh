#!/usr/bin/env bash
# test_station_changes.sh — issue #14 item 6 with the real binary: `chalkwave change`
# holds and releases a series, restarts it at an episode, moves and cancels one lesson,
# lists and removes changes; the plan shows the affected slots as station changes with the
# right episodes; calendars/station.ics is valid iCalendar (python-icalendar reads it) and
# never imported as a partner calendar; refusals are one line. Then 'missed = hold': a day
# built while an episode was missing keeps the series waiting for it.
. "$(dirname "$0")/lib.sh"

command -v sox >/dev/null || { echo "$CW_TEST_NAME: sox is missing"; exit 1; }
RATE=8000
ST=$(small_station st "Radio Kisumu" "07:00-07:10" 60)
sed -i 's|^timezone = .*|timezone = Africa/Nairobi|' "$ST/station.conf"
SRC=$CW_TMP/src
mkdir -p "$SRC"
cat >"$SRC/county.ics" <<'EOF'
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//county//EN
BEGIN:VEVENT
UID:maths@county
DTSTAMP:20261201T000000Z
DTSTART;TZID=Africa/Nairobi:20261207T070000
DTEND;TZID=Africa/Nairobi:20261207T070500
RRULE:FREQ=DAILY
SUMMARY:Maths Grade 5
DESCRIPTION:Series: maths-g5\nTeacher: Mrs Achieng
END:VEVENT
END:VCALENDAR
EOF
cw --station "$ST" calendar import "$SRC/county.ics"
expect_rc 0 "import the county calendar"
for e in 1 2 3 4 5 6 7 8; do
    sox -q -n -r $RATE -c 1 -b 16 "$SRC/m$e.wav" synth 3 sine $((300 + e * 40)) gain -12
    cw --station "$ST" ingest --series maths-g5 --episode $e --title "Maths $e" "$SRC/m$e.wav"
    expect_rc 0 "ingest maths-g5 episode $e"
done
slot() { # DATE FIELD...: the maths slots of the day as "start status episode change" lines
    cw --station "$ST" plan --date "$1" --format json
    json_get "$CW_OUT" '";".join("%s %s %s %s" % (s["start"][11:16], s["status"], s["episode"], s["station_change"]) for s in d["slots"] if s["series"] == "maths-g5")'
}

expect_eq "$(slot 2026-12-09)" "07:00 airs 3 False" "before any change: the 9th plays episode 3"

# ---- hold and release ---------------------------------------------------------------------
cw --station "$ST" change hold maths-g5 --from 2026-12-09 --until 2026-12-10 --note "teacher on leave"
expect_rc 0 "change hold"
expect_out "held series 'maths-g5' from 2026-12-09 to 2026-12-10 (change hold-maths-g5-20261209)"
expect_eq "$(slot 2026-12-09)" "07:00 held 3 True" "the 9th is held, a station change"
expect_eq "$(slot 2026-12-10)" "07:00 held 3 True" "the 10th too: episode 3 waits"
expect_eq "$(slot 2026-12-11)" "07:00 airs 3 False" "the 11th resumes with episode 3"
cw --station "$ST" plan --date 2026-12-09
expect_out "held by the station from 2026-12-09 to 2026-12-10" "the rundown says why"
expect_out "STATION CHANGE" "and marks it"
cw --station "$ST" change release maths-g5 --from 2026-12-10
expect_rc 0 "change release"
expect_eq "$(slot 2026-12-10)" "07:00 airs 3 False" "released from the 10th: it plays the episode that was due"
expect_eq "$(slot 2026-12-09)" "07:00 held 3 True" "the 9th stays held"

# ---- restart --------------------------------------------------------------------------------
cw --station "$ST" change restart maths-g5 --episode 1 --from 2026-12-14
expect_rc 0 "change restart"
expect_eq "$(slot 2026-12-13)" "07:00 airs 6 False" "the day before: episode 6"
expect_eq "$(slot 2026-12-14)" "07:00 airs 1 False" "restarted at 1"
expect_eq "$(slot 2026-12-15)" "07:00 airs 2 False" "then 2"

# ---- move and cancel ---------------------------------------------------------------------------
cw --station "$ST" change move 2026-12-15 07:00 --to 07:05 --to-date 2026-12-16
expect_rc 0 "change move"
expect_out "moved 'Maths Grade 5' (series maths-g5, episode 2) of 2026-12-15 07:00 to 2026-12-16 07:05"
expect_eq "$(slot 2026-12-15)" "" "the 15th has no maths lesson now"
expect_eq "$(slot 2026-12-16)" "07:00 airs 3 False;07:05 airs 2 True" "the 16th: its own (3) and the moved one (2)"
cw --station "$ST" plan --date 2026-12-16 --format json
expect_eq "$(json_get "$CW_OUT" '[s["reason"] for s in d["slots"] if s["station_change"]]')" \
    '["moved by the station from 2026-12-15 07:00"]' "the moved slot says from where"
cw --station "$ST" change cancel 2026-12-17 07:00 --note "district exams"
expect_rc 0 "change cancel"
expect_eq "$(slot 2026-12-17)" "07:00 cancelled None True" "cancelled by the station (it has no episode: it uses none up)"
expect_eq "$(slot 2026-12-18)" "07:00 airs 4 False" "the next lesson plays the cancelled episode"

# ---- refusals ------------------------------------------------------------------------------------
cw --station "$ST" change cancel 2026-12-17 09:00
expect_rc 3 "no lesson at that time"
expect_one_line_err "one line"
expect_err "no lesson starts at 09:00 on 2026-12-17" "says so"
cw --station "$ST" change move 2026-12-19 07:00 --to 25:00
expect_rc 2 "a wrong time is a usage error"
expect_err "--to '25:00' is not a time"
cw --station "$ST" change restart maths-g5
expect_rc 2 "restart without --episode"
cw --station "$ST" change hold
expect_rc 2 "hold without a series"
cw --station "$ST" change pause maths-g5
expect_rc 2 "an unknown subcommand"
expect_err "'pause' is not a subcommand"
cw --station "$ST" change remove no-such-change
expect_rc 1 "removing an unknown change"
expect_one_line_err "one line"
expect_err "no station change 'no-such-change' (there are: hold-maths-g5-20261209" "and lists the ids there are"

# ---- list, the file, remove --------------------------------------------------------------------
cw --station "$ST" change list
expect_rc 0 "change list"
expect_out "hold series 'maths-g5' from 2026-12-09 to 2026-12-09 - teacher on leave" "the shortened hold with its note"
expect_out "restart series 'maths-g5' at episode 1 from 2026-12-14"
expect_out "move the lesson of 2026-12-15 07:00 (county.ics, uid maths@county) to 2026-12-16 07:05"
expect_out "cancel the lesson of 2026-12-17 07:00 (county.ics, uid maths@county) - district exams"
n=$(grep -c . "$CW_OUT")
expect_eq "$n" 4 "four changes"
"$CW_PYTHON" - "$ST/calendars/station.ics" >"$CW_TMP/ics.txt" 2>&1 <<'PYEOF'
import sys, icalendar
cal = icalendar.Calendar.from_ical(open(sys.argv[1], "rb").read())
for e in cal.walk("VEVENT"):
    print(e["UID"], e["X-CHALKWAVE-CHANGE"], e.decoded("DTSTART"))
PYEOF
check "python-icalendar reads station.ics" grep -q "^restart-maths-g5-20261214 restart 2026-12-14$" "$CW_TMP/ics.txt"
expect_eq "$(grep -c . "$CW_TMP/ics.txt")" 4 "four events in station.ics"
cw --station "$ST" calendar list
expect_rc 0 "calendar list"
expect_no_out "station.ics" "station.ics is not listed as a partner calendar"
cw --station "$ST" calendar remove station.ics
expect_rc 1 "calendar remove station.ics is refused"
expect_err "holds the station's own changes: remove them with 'chalkwave change remove ID'" "and says how"
sed 's/maths@county/other@ngo/' "$SRC/county.ics" >"$CW_TMP/station.ics" # another partner's file
cw --station "$ST" calendar import "$CW_TMP/station.ics"
expect_rc 1 "a partner file called station.ics is not imported over the changes"
expect_err "import $CW_TMP/station.ics under another name (--name NAME)"
cw --station "$ST" calendar import "$SRC/county.ics"
expect_rc 0 "re-importing the partner calendar"
cw --station "$ST" change list
expect_eq "$(grep -c . "$CW_OUT")" 4 "the changes survive it"
move_id=$(awk '/^move-/ {print $1}' "$CW_OUT")
cw --station "$ST" change remove "$move_id"
expect_rc 0 "change remove"
expect_eq "$(slot 2026-12-15)" "07:00 airs 2 False" "the lesson is back at its own time"
cw --station "$ST" change remove hold-maths-g5-20261209 restart-maths-g5-20261214
cw --station "$ST" change list
expect_eq "$(grep -c . "$CW_OUT")" 1 "one change left"

# ---- missed = hold, from the bundles that were built ------------------------------------------
H=$(small_station hold "Radio Kisumu" "07:00-07:06" 60)
sed -i 's|^timezone = .*|timezone = Africa/Nairobi|' "$H/station.conf"
printf '[schedule]\nmissed = hold\n' >>"$H/station.conf"
cw --station "$H" calendar import "$SRC/county.ics"
cw --station "$H" ingest --series maths-g5 --episode 1 --title "Maths 1" "$SRC/m1.wav"
cw --station "$H" build --date 2026-12-07 --quiet
expect_rc 0 "build the 7th (episode 1 airs)"
cw --station "$H" build --date 2026-12-08 --quiet
expect_rc 0 "build the 8th (episode 2 is missing)"
expect_err "missing recording: series 'maths-g5' episode 2" "build says episode 2 is missing"
cw --station "$H" ingest --series maths-g5 --episode 2 --title "Maths 2" "$SRC/m2.wav"
expect_eq "$(json_get "$H/out/2026-12-08/plan.json" '[s["status"] for s in d["slots"]]')" '["missing"]' \
    "the 8th's bundle records that episode 2 did not air"
cw --station "$H" plan --date 2026-12-09 --format json
expect_eq "$(json_get "$CW_OUT" '[(s["episode"], s["status"]) for s in d["slots"]]')" '[[2, "airs"]]' \
    "the 9th plays episode 2, which arrived late: the series waited"
sed -i 's/^missed = hold/missed = skip/' "$H/station.conf"
cw --station "$H" plan --date 2026-12-09 --format json
expect_eq "$(json_get "$CW_OUT" '[s["episode"] for s in d["slots"]]')" '[3]' "with missed = skip the series moves on"

cw_finish
