#!/usr/bin/env bash
# test_export_ics.sh — `chalkwave export --from DATE --to DATE [--out FILE]`: the planned
# lessons and newsletters of every day in the range as iCalendar, read back with Python's
# icalendar (a real peer): one event per planned lesson/newsletter at its planned local
# time and length, hostile titles intact, unique UIDs stable across runs, identical bytes
# on a re-export, --out written atomically with the same bytes, the bundle's schedule.ics
# equal to a one-day export; usage errors exit 2, a too-long range exits 1.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/test_bundle_station.inc"
cw_need sox
cw_skip_if_missing

date=2027-01-13
st=$(tone_station exp Africa/Lagos 07:00-07:05 22050 $date) || { not_ok "make the tone station"; cw_finish; }

cw --station "$st" export --from 2027-01-12 --to 2027-01-14
expect_rc 0 "export three days"
cp "$CW_OUT" "$CW_TMP/a.ics"

"$CW_PYTHON" - "$CW_TMP/a.ics" <<'PYEOF' >"$CW_TMP/ics.txt"
import sys
from icalendar import Calendar
raw = open(sys.argv[1], "rb").read()
cal = Calendar.from_ical(raw)
ev = [c for c in cal.walk("VEVENT")]
print("events %d" % len(ev))
print("uids %d" % len({str(e["UID"]) for e in ev}))
for e in sorted(ev, key=lambda e: e.decoded("DTSTART")):
    s, t = e.decoded("DTSTART"), e.decoded("DTEND")
    print("event\t%s\t%s\t%d\t%s\t%s" % (s.strftime("%Y-%m-%d %H:%M:%S %z"), s.tzinfo and str(e["DTSTART"].params.get("TZID")),
          (t - s).total_seconds(), str(e["SUMMARY"]), str(e.get("CATEGORIES").to_ical().decode() if e.get("CATEGORIES") else "")))
lines = raw.split(b"\r\n")
print("crlf %d" % (raw.count(b"\n") == raw.count(b"\r\n")))
print("long %d" % sum(1 for l in lines if len(l) > 75))
PYEOF
expect_eq "$(sed -n 's/^events //p' "$CW_TMP/ics.txt")" 4 "icalendar reads 4 events (3 lessons and the newsletter; no fillers, no silence)"
expect_eq "$(sed -n 's/^uids //p' "$CW_TMP/ics.txt")" 4 "every event has its own UID"
expect_eq "$(sed -n 's/^crlf //p;s/^long //p' "$CW_TMP/ics.txt" | tr -d '\n')" 10 "CRLF line ends, lines folded at 75 octets"
grep $'^event\t' "$CW_TMP/ics.txt" | cut -f2- >"$CW_TMP/events.tsv"
cat >"$CW_TMP/want.tsv" <<'EOF'
2027-01-13 07:00:00 +0100	Africa/Lagos	60	Maths 5, episode 1	lesson
2027-01-13 07:01:00 +0100	Africa/Lagos	60	English 4, episode 1	lesson
2027-01-13 07:02:00 +0100	Africa/Lagos	60	Science 6, episode 1	lesson
2027-01-13 07:03:00 +0100	Africa/Lagos	60	School news	newsletter
EOF
if cmp -s "$CW_TMP/want.tsv" "$CW_TMP/events.tsv"; then
    ok "one event per partner slot at its own times, titled by the event (SUMMARY, episode)"
else
    not_ok "events differ from the plan"
    diff "$CW_TMP/want.tsv" "$CW_TMP/events.tsv"
fi

# the plan agrees
cw --station "$st" plan --date $date --format json
if [ "$CW_RC" = 0 ]; then
    cp "$CW_OUT" "$CW_TMP/plan.json"
    want=$(json_get "$CW_TMP/plan.json" 'len([i for i in d["items"] if i["kind"] in ("lesson", "newsletter")])')
    expect_eq "$want" 4 "the plan has the same 4 lessons and newsletters"
fi

# re-export: identical bytes; --out: same bytes, no temporary left
cw --station "$st" export --from 2027-01-12 --to 2027-01-14
check "a second export is byte-identical" cmp -s "$CW_OUT" "$CW_TMP/a.ics"
mkdir -p "$CW_TMP/outdir"
cw --station "$st" export --from 2027-01-12 --to 2027-01-14 --out "$CW_TMP/outdir/schedule.ics"
expect_rc 0 "export --out FILE"
check "--out FILE has the same bytes as stdout" cmp -s "$CW_TMP/outdir/schedule.ics" "$CW_TMP/a.ics"
expect_eq "$(ls -A "$CW_TMP/outdir" | wc -l)" 1 "--out leaves no temporary file"
expect_eq "$(wc -c <"$CW_OUT")" 0 "--out prints nothing on stdout"

# the bundle's schedule.ics is the one-day export
cw --station "$st" build --date $date
expect_rc 0 "build the day"
cw --station "$st" export --from $date --to $date
check "schedule.ics in the bundle equals 'export --from $date --to $date'" cmp -s "$CW_OUT" "$st/out/$date/schedule.ics"

# a day without lessons: a valid, empty calendar
cw --station "$st" export --from 2027-01-14 --to 2027-01-14
expect_rc 0 "export a day without lessons"
expect_eq "$(grep -c 'BEGIN:VEVENT' "$CW_OUT")" 0 "no events on a day without lessons"
check "an empty export is still a calendar" grep -q 'END:VCALENDAR' "$CW_OUT"

# usage and limits
cw --station "$st" export --from 2027-01-14 --to 2027-01-12
expect_rc 2 "--from after --to is a usage error"
expect_one_line_err "one line says what is wrong"
cw --station "$st" export --from 2027-01-12
expect_rc 2 "--to missing is a usage error"
cw --station "$st" export --from 2027-01-12 --to 2027-02-30
expect_rc 2 "an impossible date is a usage error"
cw --station "$st" export --from 2027-01-01 --to 2028-12-31
expect_rc 2 "a range of two years is a usage error (as for plan)"
expect_err "at most 400" "the refusal names the limit"
cw --station "$st" plan --from 2027-01-01 --to 2028-12-31
expect_rc 2 "plan refuses the same range with the same exit code"
cw --station "$st" export --from 2027-01-01 --to 2028-02-05
expect_rc 2 "401 days are one too many"

cw_finish
