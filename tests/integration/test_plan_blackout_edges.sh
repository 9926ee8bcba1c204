#!/usr/bin/env bash
# test_plan_blackout_edges.sh — lessons that touch a blackout's ends (issue #13). A blackout
# [start, end) suppresses the lessons that start inside it; its end is exclusive, so:
#   - a lesson starting exactly at a blackout's end airs and uses its episode;
#   - a lesson ending exactly at a blackout's start airs;
#   - a lesson starting exactly at its start is suppressed and does not use up its episode;
#   - on the days after, every series continues with the right episode (the plan of the
#     blackout day and the episode history agree), for a timed blackout and for an all-day
#     holiday (its end is the next local midnight).
# Checked on `plan --format json` (what airs, with series and episode) and `plan --missing`
# (the to-do list numbers every lesson, recorded or not).
. "$(dirname "$0")/lib.sh"

command -v sox >/dev/null || cw_skip_peer "sox (the test recordings)"
cw_skip_if_missing

ST=$(small_station edges "Edge Radio" 00:00-12:00 5)
printf '\n[schedule]\nmissing = silence\n' >>"$ST/station.conf"
# episodes 1-4 of three series (distinct tones: the library refuses a recording twice)
f=300
for s in early maths english; do
    for e in 1 2 3 4; do
        f=$((f + 40))
        sox -q -n -r 8000 -c 1 -b 16 "$CW_TMP/t.wav" synth 2 sine $f vol 0.3 fade h 0.02 2 0.02
        cw --station "$ST" ingest --series "$s" --episode "$e" --title "$s $e" -- "$CW_TMP/t.wav"
        [ "$CW_RC" = 0 ] || expect_rc 0 "ingest $s $e"
    done
done
expect_eq "$(find "$ST/library" -name '*.ogg' | wc -l)" 12 "12 recordings in the library"

# Daily from Monday 2027-03-01 (Africa/Lagos): early 08:30-09:00, maths 09:00-09:30,
# english 10:00-10:30. Tuesday: a blackout 09:00-10:00. Thursday: an all-day holiday, and
# on Friday the maths lesson moves to 00:00, the holiday's end.
ev() { # UID DTSTART-VALUE DTEND-VALUE SUMMARY DESCRIPTION [RRULE]
    printf 'BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20270101T000000Z\r\nDTSTART%s\r\nDTEND%s\r\nSUMMARY:%s\r\nDESCRIPTION:%s\r\n' \
        "$1" "$2" "$3" "$4" "$5"
    [ -z "${6:-}" ] || printf 'RRULE:%s\r\n' "$6"
    printf 'END:VEVENT\r\n'
}
{
    printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//chalkwave tests//EN\r\n'
    ev early@t ';TZID=Africa/Lagos:20270301T083000' ';TZID=Africa/Lagos:20270301T090000' Early 'Series: early' 'FREQ=DAILY;COUNT=5'
    ev maths@t ';TZID=Africa/Lagos:20270301T090000' ';TZID=Africa/Lagos:20270301T093000' Maths 'Series: maths' 'FREQ=DAILY;COUNT=5'
    ev english@t ';TZID=Africa/Lagos:20270301T100000' ';TZID=Africa/Lagos:20270301T103000' English 'Series: english' 'FREQ=DAILY;COUNT=5'
    # Friday's maths moved to midnight, when Thursday's holiday ends
    printf 'BEGIN:VEVENT\r\nUID:maths@t\r\nDTSTAMP:20270101T000000Z\r\nRECURRENCE-ID;TZID=Africa/Lagos:20270305T090000\r\n'
    printf 'DTSTART;TZID=Africa/Lagos:20270305T000000\r\nDTEND;TZID=Africa/Lagos:20270305T003000\r\nSUMMARY:Maths\r\nEND:VEVENT\r\n'
    ev sports@t ';TZID=Africa/Lagos:20270302T090000' ';TZID=Africa/Lagos:20270302T100000' 'Sports day' 'Kind: blackout'
    ev holiday@t ';VALUE=DATE:20270304' ';VALUE=DATE:20270305' 'Holiday' 'Kind: blackout'
    printf 'END:VCALENDAR\r\n'
} >"$CW_TMP/school.ics"
cw --station "$ST" calendar import "$CW_TMP/school.ics"
expect_rc 0 "import the calendar"

# airs DATE: "HH:MM:SS series episode" for every lesson item of the day's plan (run in $(...):
# a failed plan prints a line saying so, which no expected value has)
airs() {
    cw --station "$ST" plan --date "$1" --format json
    [ "$CW_RC" = 0 ] || echo "plan $1 failed: exit $CW_RC"
    cp "$CW_OUT" "$CW_TMP/plan-$1.json"
    cp "$CW_ERR" "$CW_TMP/plan-$1.err"
    "$CW_PYTHON" - "$CW_TMP/plan-$1.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
for it in d["items"]:
    if it["kind"] == "lesson":
        s = it["offset_samples"] // d["rate"]
        print("%02d:%02d:%02d %s %d" % (s // 3600, s % 3600 // 60, s % 60, it["series"], it["episode"]))
PYEOF
}
# todo DATE: the to-do list of the day ("HH:MM series episode") of the same station with an
# empty library, where every lesson that airs is missing
EMPTY=$CW_TMP/empty
cp -R "$ST" "$EMPTY"
find "$EMPTY/library" -type f -delete
todo() {
    cw --station "$EMPTY" plan --date "$1" --missing --format json
    [ "$CW_RC" = 0 ] || echo "plan --missing $1 failed: exit $CW_RC"
    "$CW_PYTHON" -c 'import json,sys; [print(m["time"][:5], m["series"], m["episode"]) for m in json.load(open(sys.argv[1]))]' "$CW_OUT"
}

# Monday: everything airs, episode 1
expect_eq "$(airs 2027-03-01 | tr '\n' ';')" "08:30:00 early 1;09:00:00 maths 1;10:00:00 english 1;" "Monday: every lesson airs, episode 1"

# Tuesday: the blackout 09:00-10:00
got=$(airs 2027-03-02)
check "plan Tuesday" bash -c "! grep -q failed <<<'$got'"
check "Tuesday: early (08:30-09:00, ends at the blackout's start) airs, episode 2" grep -qx '08:30:00 early 2' <<<"$got"
check "Tuesday: maths (starts at the blackout's start) does not air" bash -c "! grep -q ' maths ' <<<'$got'"
check "Tuesday: english (starts at the blackout's end, 10:00) airs, episode 2" grep -qx '10:00:00 english 2' <<<"$got"
expect_eq "$(grep -c 'blackout:' "$CW_TMP/plan-2027-03-02.json" "$CW_TMP/plan-2027-03-02.err" | awk -F: '{n += $2} END {print n}')" 1 \
    "Tuesday: exactly one lesson is reported suppressed"
check "Tuesday: the suppressed one is maths episode 2, resumed after" grep -q "series 'maths' episode 2" \
    "$CW_TMP/plan-2027-03-02.json" "$CW_TMP/plan-2027-03-02.err"

# Wednesday: the series go on — maths resumes with the episode the blackout held back
expect_eq "$(airs 2027-03-03 | tr '\n' ';')" "08:30:00 early 3;09:00:00 maths 2;10:00:00 english 3;" \
    "Wednesday: early 3, maths 2 (resumed), english 3 (Tuesday's 10:00 lesson counted)"

# Thursday: the all-day holiday suppresses everything, numbers held back
expect_eq "$(airs 2027-03-04 | wc -l)" 0 "Thursday (all-day holiday): no lesson airs"

# Friday: maths at 00:00, exactly when the holiday ends, airs; the others resume
expect_eq "$(airs 2027-03-05 | tr '\n' ';')" "00:00:00 maths 3;08:30:00 early 4;10:00:00 english 4;" \
    "Friday: maths at the holiday's end (00:00) airs with episode 3; early 4, english 4"

# the to-do list (no recordings) numbers the same way as the plans
for d in 2027-03-02 2027-03-03 2027-03-05; do
    expect_eq "$(todo $d | tr '\n' ';')" "$(airs $d | cut -c1-5,9- | tr '\n' ';')" \
        "$d: the to-do list of an empty library has the lessons that air, with the plan's episodes"
done
cw_finish
