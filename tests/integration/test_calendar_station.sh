#!/bin/bash
# test_calendar_station.sh — a programme manager's calendars (issue #14 items 5, 7, 8, 9 and
# issue #11 item 2), with the real binary: a Google export with HTML descriptions, series keys
# and their typos, a public-holidays calendar (import --holidays, the all-day warning's command
# pasted as it is), re-import keeping the priority, Google's basic.ics recognised as a calendar
# imported before, calendar list and remove, the zone warning in check and plan, and a partner
# calendar with one broken event (check exits 1, import keeps the rest, plan names it).
. "$(dirname "$0")/lib.sh"

st=$(minimal_station st)
D=$CW_TMP/in
mkdir -p "$D"
ics() { # FILE LINES... (one VCALENDAR, CRLF)
    local f=$1
    shift
    { printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n'
      printf '%s\r\n' "$@"
      printf 'END:VCALENDAR\r\n'; } >"$f"
}

# ---- item 5: Google's HTML descriptions, keys read lower-case, typos warned about ---------
ics "$D/county.ics" "X-WR-CALNAME:County education" "X-WR-TIMEZONE:Africa/Lagos" \
    "BEGIN:VEVENT" "UID:m1@google.com" "DTSTAMP:20260101T000000Z" "SUMMARY:Maths Grade 5" \
    "DTSTART;TZID=Africa/Lagos:20261207T073000" "DTEND;TZID=Africa/Lagos:20261207T080000" \
    "RRULE:FREQ=WEEKLY;BYDAY=MO,WE" \
    "DESCRIPTION:<div>Series: MATHS-G5</div><div>Teacher: Mr Otieno<br>Language: en</div>" "END:VEVENT" \
    "BEGIN:VEVENT" "UID:m2@google.com" "DTSTAMP:20260101T000000Z" "SUMMARY:Maths Grade 5 (extra)" \
    "DTSTART;TZID=Africa/Lagos:20261211T073000" "DURATION:PT30M" \
    "DESCRIPTION:Series: math-g5<br>Teacher: Mr Otieno" "END:VEVENT"
cw calendar check --station "$st" "$D/county.ics"
expect_rc 0 "the Google export is accepted"
expect_out "series 'math-g5' (1 event) looks like a typo of 'maths-g5' (1 event in" "the typo of the series key is warned about"
cw calendar expand --station "$st" --format json --from 2026-12-07 --to 2026-12-08 "$D/county.ics"
expect_eq "$(json_get "$CW_OUT" 'd[0]["series"] + "|" + d[0]["teacher"]')" "maths-g5|Mr Otieno" "HTML stripped: series (lower-case) and teacher read from <div>/<br>"
cw calendar import --station "$st" --priority 10 "$D/county.ics"
expect_rc 0 "import county.ics --priority 10"

# ---- item 9: a calendar written for another zone ------------------------------------------
ics "$D/nairobi.ics" "X-WR-TIMEZONE:Africa/Nairobi" "BEGIN:VEVENT" "UID:n1@t" "DTSTAMP:20260101T000000Z" \
    "SUMMARY:English Grade 4" "DTSTART;TZID=Africa/Nairobi:20261208T090000" "DURATION:PT30M" \
    "DESCRIPTION:Series: english-g4" "END:VEVENT"
cw calendar check --station "$st" "$D/nairobi.ics"
expect_rc 0 "check of a Nairobi calendar in a Lagos station"
expect_out "written for Africa/Nairobi but the station is in Africa/Lagos" "check warns about the zone"
expect_out "'English Grade 4' at 09:00 in Africa/Nairobi airs at 07:00 station time" "with an example"
cw calendar import --station "$st" "$D/nairobi.ics"
expect_rc 0 "import nairobi.ics"
cw plan --station "$st" --date 2026-12-08
expect_rc 0 "plan a day"
expect_err "written for Africa/Nairobi" "plan warns about the zone too"

# ---- item 7: a public-holidays calendar --------------------------------------------------
ics "$D/kenya.ics" "BEGIN:VEVENT" "UID:j@calendarlabs.com" "DTSTAMP:20260101T000000Z" "SUMMARY:Jamhuri Day" \
    "DTSTART;VALUE=DATE:20261209" "DTEND;VALUE=DATE:20261209" "RRULE:" "END:VEVENT"
cw calendar check --station "$st" "$D/kenya.ics"
expect_rc 0 "a CalendarLabs-style feed (empty RRULE, DTEND = DTSTART) is accepted"
expect_out "the all-day event ends on the day it starts (it was read as one day" "one day, with a warning"
expect_out "RRULE has no value (the line was ignored" "the empty RRULE is ignored, with a warning"
expect_out "the all-day event 'Jamhuri Day' is read as a lesson" "an unmarked all-day event is warned about"
fix=$(sed -n "s/.*or import the whole calendar as holidays: \(chalkwave calendar import [^)]*\)).*/\1/p" "$CW_OUT" | head -n 1)
expect_eq "$fix" "chalkwave calendar import $D/kenya.ics --holidays" "the warning says exactly which command marks it"
# shellcheck disable=SC2086
cw --station "$st" ${fix#chalkwave }
expect_rc 0 "the command, pasted as it is, imports the calendar as holidays"
check "station.conf records the holidays flag" grep -Eq "^kenya\.ics = 0, holidays, from $D/kenya.ics\$" "$st/station.conf"
cw calendar check --station "$st" "$D/kenya.ics"
expect_rc 0 "check of the imported holidays calendar"
if grep -q 'read as a lesson' "$CW_OUT"; then not_ok "the all-day warning is still given for a holidays calendar"; else ok "no all-day warning once it is a holidays calendar"; fi
cw plan --station "$st" --date 2026-12-09 --format json
expect_rc 0 "plan the holiday"
expect_eq "$(json_get "$CW_OUT" 'any("Jamhuri" in w["text"] and w["code"] == "plan.blackout" for w in d["warnings"])')" True "the plan says the holiday suppressed the lesson"
see=$(sed -n 's/.*kenya\.ics: [0-9]* warnings about how the calendar was read (see them with: \(chalkwave calendar check [^)]*\)).*/\1/p' "$CW_ERR" | head -n 1)
expect_eq "$see" "chalkwave calendar check $st/calendars/kenya.ics" "the plan counts the calendar's other warnings and says how to see them"
# shellcheck disable=SC2086
cw --station "$st" ${see#chalkwave }
expect_out "RRULE has no value" "that command, pasted, shows them"

# ---- item 8: re-import, the same calendar under another name, list, remove ----------------
cw calendar import --station "$st" "$D/county.ics"
expect_rc 0 "re-import county.ics without --priority"
check "its priority stays 10" grep -Eq '^county\.ics = 10,' "$st/station.conf"
cp "$D/county.ics" "$D/basic.ics"
cw calendar import --station "$st" "$D/basic.ics"
expect_rc 0 "import Google's basic.ics of the same calendar"
expect_out "basic.ics is county.ics again (2 of its events have the same UIDs): it replaces calendars/county.ics" "recognised as county.ics again"
expect_no_path "$st/calendars/basic.ics" "no second copy that would conflict with the first"
check "still priority 10, now from basic.ics" grep -Eq "^county\.ics = 10, from $D/basic.ics\$" "$st/station.conf"
cw calendar import --station "$st" --priority 3 "$D/county.ics"
check "--priority changes it" grep -Eq '^county\.ics = 3,' "$st/station.conf"
cw calendar list --station "$st"
expect_rc 0 "calendar list"
expect_out_re '^NAME +PRIORITY +HOLIDAYS +EVENTS +FIRST +LAST +SOURCE$' "a header line"
expect_out_re '^county\.ics +3 +no +2 +2026-12-07 +\(open\) ' "county.ics: priority, holidays flag, events, first day, open-ended"
expect_out_re '^kenya\.ics +0 +yes +1 +2026-12-09 +2026-12-09 ' "kenya.ics: a holidays calendar of one day"
cw calendar list --station "$st" --format json
expect_eq "$(json_get "$CW_OUT" '[(c["name"], c["priority"], c["holidays"], c["events"], c["zone"]) for c in d]')" \
    '[["county.ics", 3, false, 2, "Africa/Lagos"], ["nairobi.ics", 0, false, 1, "Africa/Nairobi"], ["kenya.ics", 0, true, 1, null]]' "list --format json"
cw calendar remove --station "$st" nairobi
expect_rc 0 "calendar remove nairobi (the .ics may be left out)"
expect_no_path "$st/calendars/nairobi.ics" "its file is gone"
check "its line is gone" bash -c "! grep -q nairobi '$st/station.conf'"
cw calendar remove --station "$st" nairobi.ics
expect_rc 1 "removing it again is refused"
expect_one_line_err "in one line"

# ---- issue #11 item 2: one broken event never costs the rest -----------------------------
ics "$D/ngo.ics" "BEGIN:VEVENT" "UID:ok1@t" "DTSTAMP:20260101T000000Z" "SUMMARY:Science" \
    "DTSTART;TZID=Africa/Lagos:20261210T073000" "DURATION:PT30M" "END:VEVENT" \
    "BEGIN:VEVENT" "UID:bad1@t" "DTSTAMP:20260101T000000Z" "SUMMARY:Geography" \
    "DTSTART;TZID=Africa/Lagos:20261210T083000" "DTEND;TZID=Africa/Lagos:20261210T080000" "END:VEVENT"
cw calendar check --station "$st" "$D/ngo.ics"
expect_rc 1 "check exits 1 for a calendar with a broken event"
expect_out_re "ngo\.ics:[0-9]+: error: event 'Geography' \(UID bad1@t\) skipped: DTEND is before DTSTART" "the error names FILE:LINE, SUMMARY and UID"
expect_out "1 error, 0 warnings (1 event skipped, 1 used)" "the summary counts skipped and used events"
cw calendar import --station "$st" "$D/ngo.ics"
expect_rc 0 "import keeps the good events"
expect_out "1 event skipped for the errors above, 1 used" "and says how many it skipped"
cw plan --station "$st" --date 2026-12-10 --format json
expect_rc 0 "the plan is made"
expect_err_re "ngo\.ics:[0-9]+: event 'Geography' \(UID bad1@t\) skipped" "the plan names the skipped event"
expect_eq "$(json_get "$CW_OUT" 'any(i.get("event_uid") == "ok1@t" for i in d["items"]) or any("Science" in w["text"] for w in d["warnings"])')" True "the good event of the same file is planned"
expect_eq "$(json_get "$CW_OUT" '[(s["event_uid"], s["status"]) for s in d["slots"] if s["event_uid"] == "bad1@t"]')" \
    '[["bad1@t", "skipped"]]' "the skipped event is a slot of the day it would have aired, status skipped"
expect_eq "$(json_get "$CW_OUT" '"DTEND is before DTSTART" in [s for s in d["slots"] if s["event_uid"] == "bad1@t"][0]["reason"]')" \
    True "its reason says why it was skipped"
expect_eq "$(json_get "$CW_OUT" '[w["code"] for w in d["warnings"] if w.get("code") == "plan.event-skipped"]')" \
    '["plan.event-skipped"]' "and the plan warns about it on that day"
cw plan --station "$st" --date 2026-12-11 --format json
expect_eq "$(json_get "$CW_OUT" '[s["event_uid"] for s in d["slots"] if s["status"] == "skipped"]')" '[]' "not on a day it would not have aired"
cw_finish
