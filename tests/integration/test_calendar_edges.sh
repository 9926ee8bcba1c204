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
# the 4th and UNTIL at the 7th's instance (local UNTIL); a weekly all-day holiday on
# Fridays with the 6th excluded by date, so the lesson of Friday 6 March airs (episode 4)
# and that of Friday 13 March (a holiday) does not.
for zone in Europe/Paris Pacific/Auckland; do
    tag=${zone#*/}
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
RRULE:FREQ=DAILY;UNTIL=20260313T003000
EXDATE;VALUE=DATE:20260304
SUMMARY:Maths
DESCRIPTION:Series: maths
END:VEVENT
BEGIN:VEVENT
UID:fridays@t
DTSTAMP:20260101T000000Z
DTSTART;VALUE=DATE:20260306
DTEND;VALUE=DATE:20260307
RRULE:FREQ=WEEKLY;COUNT=3
EXDATE;VALUE=DATE:20260306
SUMMARY:Friday holiday
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
    # 2, 3 (4 excluded), 5, 6 (holiday excluded), 7, ..., 12, 13 = UNTIL (13 a holiday)
    expect_eq "$got" "03-02 00:30 1;03-03 00:30 2;03-05 00:30 3;03-06 00:30 4;03-07 00:30 5;03-08 00:30 6;03-09 00:30 7;03-10 00:30 8;03-11 00:30 9;03-12 00:30 10" \
        "$tag: lessons on local dates 2, 3, 5-12 March with episodes 1-10 (4 March excluded, the holiday on 6 March excluded, 13 March a holiday)"
    # one day at a time agrees with the range (the day's own series count)
    cw --station "$st" plan --date 2026-03-12 --missing --format json
    expect_eq "$(json_get "$CW_OUT" 'd[0]["episode"] if d else 0')" 10 "$tag: 12 March alone plans episode 10"
    cw --station "$st" plan --date 2026-03-13 --format json
    check "$tag: 13 March (UNTIL, a holiday) reports the lesson suppressed by 'Friday holiday'" \
        grep -q "suppressed by 'Friday holiday'" "$CW_OUT" "$CW_ERR"
done
cw_finish
