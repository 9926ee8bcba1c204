#!/usr/bin/env bash
# test_calendar_edges.sh — UNTIL and date-valued EXDATE at their edges (issue #13), without
# the oracle: `calendar expand` on tests/fixtures/calendar-edges/ must equal the checked-in
# NAME.ZONE.tsv files (instances exactly at a UTC UNTIL, a DATE UNTIL and a TZID'd local
# UNTIL; all-day and timed recurring events with date EXDATEs, in Europe/Paris and in
# Pacific/Auckland; the fixture README says how each line was checked). Then the same edges
# where they matter to a station: the episode numbers of a plan (the fast series counter)
# and a holiday EXDATE'd for a day, in a Paris and an Auckland station.
. "$(dirname "$0")/lib.sh"

FIX=$CW_SOURCE_DIR/tests/fixtures/calendar-edges
n=0
while IFS=$'\t' read -r name from to tz; do
    case "$name" in '#'* | '') continue ;; esac
    n=$((n + 1))
    want=$FIX/$name.${tz//\//-}.tsv
    cw calendar check "$FIX/$name.ics"
    expect_rc 0 "$name: calendar check accepts it"
    cw calendar expand --format tsv --from "$from" --to "$to" --tz "$tz" "$FIX/$name.ics"
    expect_rc 0 "$name: expand in $tz"
    if cmp -s "$CW_OUT" "$want"; then
        ok "$name in $tz: $(wc -l <"$CW_OUT") instances equal $(basename "$want")"
    else
        not_ok "$name in $tz: differs from $(basename "$want") (< expected, > chalkwave)"
        diff "$want" "$CW_OUT" | head -n 10 | sed 's/^/    /'
    fi
done <"$FIX/cases.tsv"
check "10 checked-in cases ($n)" test "$n" -ge 10

# ---- in a station: episode numbers and holidays --------------------------------------------
# A daily lesson at 00:30 local (the UTC day before, in both zones) with EXDATE;VALUE=DATE on
# the 4th and UNTIL exactly at the 12th's instance — in UTC for the Paris station
# (20260311T233000Z), as local time for the Auckland one — and a weekly all-day holiday on
# Tuesdays from the 3rd with the 3rd excluded by date: the lessons of the 3rd and the 12th
# air, the one of the 10th (a holiday) does not. From the 13th a new event of the same
# series (the timetable changed) goes on at 00:40: its first lesson's episode counts the
# first event's lessons up to and including the one exactly at UNTIL.
for zone in Europe/Paris Pacific/Auckland; do
    tag=${zone#*/}
    until=20260312T003000
    [ "$tag" = Paris ] && until=20260311T233000Z
    st=$(small_station "st-$tag" "Edge $tag" 00:00-01:00)
    sed -i "s|^timezone = .*|timezone = $zone|" "$st/station.conf"
    cat >"$CW_TMP/$tag.ics" <<EOF
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//chalkwave tests//EN
BEGIN:VEVENT
UID:lesson@t
DTSTAMP:20260101T000000Z
DTSTART;TZID=$zone:20260302T003000
DTEND;TZID=$zone:20260302T004500
RRULE:FREQ=DAILY;UNTIL=$until
EXDATE;VALUE=DATE:20260304
SUMMARY:Maths
DESCRIPTION:Series: maths
END:VEVENT
BEGIN:VEVENT
UID:lesson-term2@t
DTSTAMP:20260101T000000Z
DTSTART;TZID=$zone:20260313T004000
DTEND;TZID=$zone:20260313T005000
RRULE:FREQ=DAILY;COUNT=2
SUMMARY:Maths (new time)
DESCRIPTION:Series: maths
END:VEVENT
BEGIN:VEVENT
UID:tuesdays@t
DTSTAMP:20260101T000000Z
DTSTART;VALUE=DATE:20260303
DTEND;VALUE=DATE:20260304
RRULE:FREQ=WEEKLY;COUNT=2
EXDATE;VALUE=DATE:20260303
SUMMARY:Tuesday holiday
CATEGORIES:Holiday
END:VEVENT
END:VCALENDAR
EOF
    cw --station "$st" calendar import "$CW_TMP/$tag.ics"
    expect_rc 0 "$tag: import the calendar"
    # the to-do list of the empty library: every lesson that airs, with its episode
    cw --station "$st" plan --from 2026-03-01 --to 2026-03-15 --missing --format json
    expect_rc 0 "$tag: plan 1-15 March"
    got=$("$CW_PYTHON" -c 'import json,sys; print(";".join("%s %s %d" % (m["date"][5:], m["time"][:5], m["episode"]) for m in json.load(open(sys.argv[1]))))' "$CW_OUT")
    expect_eq "$got" "03-02 00:30 1;03-03 00:30 2;03-05 00:30 3;03-06 00:30 4;03-07 00:30 5;03-08 00:30 6;03-09 00:30 7;03-11 00:30 8;03-12 00:30 9;03-13 00:40 10;03-14 00:40 11" \
        "$tag: lessons on local dates 2, 3, 5-9, 11 and 12 March, episodes 1-9 (4 March excluded, 3 March's holiday excluded, 10 March a holiday, 12 March = UNTIL), then 10 and 11 at the new time"
    # one day at a time agrees with the range (the day's own series count)
    cw --station "$st" plan --date 2026-03-12 --missing --format json
    expect_eq "$(json_get "$CW_OUT" '";".join("%s %d" % (m["time"][:5], m["episode"]) for m in d)')" "00:30 9" \
        "$tag: 12 March alone: the instance exactly at UNTIL, episode 9"
    cw --station "$st" plan --date 2026-03-13 --missing --format json
    expect_eq "$(json_get "$CW_OUT" '";".join("%s %d" % (m["time"][:5], m["episode"]) for m in d)')" "00:40 10" \
        "$tag: 13 March alone: only the new event (the first one ended at UNTIL), episode 10 (9 lessons up to UNTIL before it)"
    cw --station "$st" plan --date 2026-03-10 --format json
    check "$tag: 10 March reports the lesson suppressed by 'Tuesday holiday'" \
        grep -q "suppressed by 'Tuesday holiday'" "$CW_OUT" "$CW_ERR"
done
cw_finish
