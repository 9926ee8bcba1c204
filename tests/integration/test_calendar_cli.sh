#!/bin/bash
# test_calendar_cli.sh — `chalkwave calendar check|expand|import` on real files:
# every diagnostic of the check corpus (tests/fixtures/calendars/check/NAME.check, exact
# lines), hostile calendars that must finish by design (skip-ahead, caps, size and nesting
# limits), the json and text formats, the station's zone as default, and import into a
# station (atomic copy, priority in station.conf, nothing changes on a refused file).
. "$(dirname "$0")/lib.sh"

FIX=$CW_SOURCE_DIR/tests/fixtures/calendars

# ---- check: exact diagnostics ----------------------------------------------------------
for f in "$FIX"/check/*.ics; do
    name=$(basename "$f" .ics)
    cw_in "$FIX/check" calendar check "$name.ics"
    if grep -q ': error: ' "$FIX/check/$name.check"; then want=1; else want=0; fi
    expect_rc $want "check $name"
    if cmp -s "$CW_OUT" "$FIX/check/$name.check"; then
        ok "check $name: diagnostics equal $name.check"
    else
        not_ok "check $name: diagnostics differ from $name.check"
        diff "$FIX/check/$name.check" "$CW_OUT" | sed 's/^/    /'
    fi
done
cw calendar check "$FIX/check/warnings.ics" "$FIX/check/dtend_before_dtstart.ics"
expect_rc 1 "check of a good and a bad file together fails"
expect_out "warnings.ics: ok (6 warnings)" "the good file is still reported ok"

# ---- hostile calendars: bounded by design --------------------------------------------
H=$CW_TMP/hostile
mkdir -p "$H"
hostile() { # NAME RRULE [DTSTART]
    printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:%s@t\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:%s\r\nDTSTART;TZID=Europe/Paris:%s\r\nRRULE:%s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' \
        "$1" "$1" "${3:-19900101T000000}" "$2" >"$H/$1.ics"
}
hostile secondly_no_end "FREQ=SECONDLY"
hostile secondly_count_huge "FREQ=SECONDLY;COUNT=2000000000"
hostile secondly_sparse "FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30"
hostile minutely_filtered "FREQ=MINUTELY;BYMONTH=2;BYHOUR=3"
hostile daily_count_huge "FREQ=DAILY;COUNT=2000000000;BYHOUR=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23;BYMINUTE=0,10,20,30,40,50"
start=$(date +%s)
cw calendar expand --format tsv --from 2026-03-16 --to 2026-03-17 --tz Europe/Paris "$H/secondly_no_end.ics"
expect_rc 0 "FREQ=SECONDLY without end since 1990, one day"
expect_eq "$(wc -l <"$CW_OUT")" 86400 "one occurrence per second of the day"
cw calendar expand --format tsv --from 2026-03-16 --to 2026-03-17 --tz Europe/Paris "$H/secondly_count_huge.ics"
expect_rc 0 "FREQ=SECONDLY;COUNT=2000000000 since 1990: the count before the window is computed"
expect_eq "$(wc -l <"$CW_OUT")" 86400 "every second of the day is within COUNT"
cw calendar expand --format tsv --from 2026-03-16 --to 2026-03-20 --tz Europe/Paris "$H/secondly_no_end.ics"
expect_rc 1 "four days of every second exceed the occurrence cap"
expect_err "secondly_no_end@t" "the error names the event"
cw calendar expand --format tsv --from 2026-01-01 --to 2027-01-01 --tz Europe/Paris "$H/secondly_sparse.ics"
expect_rc 0 "a SECONDLY rule that never matches finishes"
expect_eq "$(wc -l <"$CW_OUT")" 0 "and yields nothing"
cw calendar expand --format tsv --from 2026-02-10 --to 2026-02-12 --tz Europe/Paris "$H/minutely_filtered.ics"
expect_rc 0 "MINUTELY with day and hour filters"
expect_eq "$(wc -l <"$CW_OUT")" 120 "60 minutes of 03:00 on two February days"
cw calendar expand --format tsv --from 2026-03-16 --to 2026-03-17 --tz Europe/Paris "$H/daily_count_huge.ics"
if [ "$CW_RC" = 0 ] || [ "$CW_RC" = 1 ]; then ok "DAILY with 144 instances a day and a huge COUNT since 1990 ends (exit $CW_RC)"; else not_ok "huge DAILY: exit $CW_RC"; fi
if [ "$CW_RC" = 1 ]; then expect_err "daily_count_huge@t" "a budget error names the event"; fi
# a file over the size limit and one nested too deep
{ printf 'BEGIN:VCALENDAR\r\n'; head -c 9000000 /dev/zero | tr '\0' 'x' | fold -w 70 | sed 's/^/X-PAD:/'; printf 'END:VCALENDAR\r\n'; } >"$H/huge.ics"
cw calendar check "$H/huge.ics"
expect_rc 1 "a file over 8 MiB is refused"
expect_out "larger than 8 MiB" "with a message about the limit"
{ printf 'BEGIN:VCALENDAR\r\n'; for i in $(seq 1 200000); do printf 'BEGIN:X\r\n'; done; } >"$H/deep.ics"
cw calendar check "$H/deep.ics"
expect_rc 1 "200000 nested BEGINs are refused"
expect_out "nested deeper than 16" "with a message about the depth"
end=$(date +%s)
if [ $((end - start)) -le 20 ]; then ok "hostile files took $((end - start)) s"; else not_ok "hostile files took $((end - start)) s"; fi

# ---- formats and zones ---------------------------------------------------------------
cw calendar expand --format json --from 2026-03-01 --to 2026-04-20 --tz Europe/Berlin "$FIX/google_export.ics"
expect_rc 0 "json expansion"
if "$CW_PYTHON" - "$CW_OUT" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
m = [o for o in v if o["summary"] == "Maths P4 (radio)"]
assert m and all(o["series"] == "maths-p4" and o["kind"] == "lesson" and o["teacher"] == "Mrs Okafor" for o in m), m[:1]
n = [o for o in v if o["summary"] == "Newsletter"]
assert n and all(o["kind"] == "newsletter" for o in n)
mv = [o for o in v if o["moved"]]
assert len(mv) == 1 and mv[0]["recurrence_id"] == "20260311T080000Z" and mv[0]["start_local"] == "2026-03-12T10:00:00+01:00", mv
assert all(o["start_local"][19:] in ("+01:00", "+02:00") for o in v)
PY
then ok "json carries series, kind, teacher, moved instances with RECURRENCE-ID and local times"; else not_ok "json fields"; fi
cw calendar expand --include-cancelled --format tsv --from 2026-03-01 --to 2026-03-15 --tz Africa/Nairobi "$FIX/override_cancelled_instance.ics"
expect_out_re $'^2026-03-04T07:00:00Z\t2026-03-04T07:30:00Z\toc@t\tDaily radio class\tcancelled$' "--include-cancelled shows the cancelled instance, marked"
st=$(minimal_station st)
cw_in "$st" calendar expand --format tsv --from 2026-03-02 --to 2026-03-03 "$FIX/floating_times.ics"
expect_out $'2026-03-02T08:00:00Z\t2026-03-02T09:00:00Z\tfl@t' "floating 09:00 read in the station's zone (Africa/Lagos)"
cw calendar expand --from 2026-03-02 --to 2026-03-03 --tz Mars/Base "$FIX/floating_times.ics"
expect_rc 2 "an unknown --tz is a usage error"
cw calendar expand --from 2026-03-02 --to 2026-03-01 "$FIX/floating_times.ics"
expect_rc 2 "--to before --from is a usage error"
cw calendar frobnicate
expect_rc 2 "unknown subcommand"

# ---- import -----------------------------------------------------------------------------
before=$(tree_sum "$st")
cw calendar import --station "$st" "$FIX/thunderbird.ics" "$FIX/check/dtend_before_dtstart.ics"
expect_rc 1 "import refuses when one file has no usable event"
expect_err "nothing was imported: 1 of 2 files cannot be" "and says nothing changed (two files given)"
expect_eq "$(wc -l <"$CW_ERR")" 3 "three lines: the zone warning of the good file, the diagnostic of the bad one, the summary"
cw calendar import --station "$st" "$FIX/check/dtend_before_dtstart.ics"
expect_rc 1 "a file whose only event is broken is refused"
expect_eq "$(wc -l <"$CW_ERR")" 1 "one line: its diagnostic (it names the skipped event)"
expect_err_re "dtend_before_dtstart\.ics:[0-9]+: error: event 'Lesson' \(UID x@t\) skipped: DTEND is before DTSTART" "the FILE:LINE diagnostic names the event"
expect_eq "$(tree_sum "$st")" "$before" "the station is unchanged"
cw calendar import --station "$st" --priority 5 "$FIX/thunderbird.ics" "$FIX/google_export.ics"
expect_rc 0 "import two valid calendars with priority 5"
check "thunderbird.ics copied" cmp "$FIX/thunderbird.ics" "$st/calendars/thunderbird.ics"
check "google_export.ics copied" cmp "$FIX/google_export.ics" "$st/calendars/google_export.ics"
check "priority and source recorded in station.conf" grep -Eq "^thunderbird\.ics *= *5, from $FIX/thunderbird.ics\$" "$st/station.conf"
cp "$FIX/apple_calendar.ics" "$CW_TMP/thunderbird.ics"
cw calendar import --station "$st" "$CW_TMP/thunderbird.ics"
expect_rc 0 "importing a file of the same name again"
check "replaces it" cmp "$FIX/apple_calendar.ics" "$st/calendars/thunderbird.ics"
check "keeps its priority (5) when --priority is not given" grep -Eq '^thunderbird\.ics *= *5,' "$st/station.conf"
ls -a "$st/calendars" | grep -q '\.tmp' && not_ok "temporary files left in calendars/" || ok "no temporary files left in calendars/"
cw_finish
