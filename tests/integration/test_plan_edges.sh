#!/usr/bin/env bash
# test_plan_edges.sh — `chalkwave plan` where things fit exactly (issue #13's mutations
# that no test saw): a recording exactly as long as its slot plays whole (not cut, no fade,
# no overrun warning); a newsletter exactly as long as its slot, and one exactly as long as a
# gap (newsletters_fill_gaps = yes), are placed; valid_from and valid_until are inclusive
# (a newsletter airs on both dates, not the day before or after); a repeat with no first
# airing that day plays the latest episode aired before it; on_air = 00:00-24:00 is a whole
# day. Lengths are exact in samples: sox writes them, ingest keeps them (no silence to trim).
. "$(dirname "$0")/lib.sh"

cw_need sox
cw_skip_if_missing

rate=8000
ST=$(small_station edges "Edge Radio" 07:00-07:03)
printf '\n[schedule]\nmissing = silence\nnewsletters_fill_gaps = yes\n' >>"$ST/station.conf"
# tone NAME SECONDS FREQ: an exact-length recording
tone() { sox -q -n -r $rate -c 1 -b 16 "$CW_TMP/$1.wav" synth "$2" sine "$3" vol 0.3 fade h 0.02 "$2" 0.02; }
tone maths1 30 440
tone maths2 25 480
tone english1 10 520
tone news-a 30 600
tone news-b 20 660
ing() { cw --station "$ST" ingest "$@"; expect_rc 0 "ingest ${*: -1}"; }
ing --series maths --episode 1 --title "Maths one" -- "$CW_TMP/maths1.wav"
ing --series maths --episode 2 --title "Maths two" -- "$CW_TMP/maths2.wav"
ing --series english --episode 1 --title "English one" -- "$CW_TMP/english1.wav"
ing --kind newsletter --series news --title "News A" --valid-until 2027-03-01 -- "$CW_TMP/news-a.wav"
ing --kind newsletter --series news --title "News B" --valid-from 2027-03-01 -- "$CW_TMP/news-b.wav"

# Monday 1 March: maths 07:00:00-07:00:30 (its recording is 30 s), a newsletter slot
# 07:00:30-07:00:50 (20 s: News B), a gap 07:00:50-07:01:20 (30 s: News A), english at
# 07:01:20. Tuesday 2 March: only a repeat of maths at 07:00.
ev() { # UID START END DESCRIPTION (local times on the date in START, Africa/Lagos)
    printf 'BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20270101T000000Z\r\nDTSTART;TZID=Africa/Lagos:%s\r\nDTEND;TZID=Africa/Lagos:%s\r\nSUMMARY:%s\r\nDESCRIPTION:%s\r\nEND:VEVENT\r\n' \
        "$1" "$2" "$3" "$1" "$4"
}
{
    printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//chalkwave tests//EN\r\n'
    ev maths 20270301T070000 20270301T070030 'Series: maths'
    ev news 20270301T070030 20270301T070050 'Kind: newsletter'
    ev english 20270301T070120 20270301T070200 'Series: english'
    ev maths-repeat 20270302T070000 20270302T070030 'Series: maths\nRepeat: yes'
    printf 'END:VCALENDAR\r\n'
} >"$CW_TMP/school.ics"
cw --station "$ST" calendar import "$CW_TMP/school.ics"
expect_rc 0 "import the calendar"

# items DATE: plan the day; $got gets one line per item,
# "START_S LENGTH_S KIND TITLE cut=0|1 ep=N rep=0|1"
items() {
    cw --station "$ST" plan --date "$1" --format json
    cp "$CW_OUT" "$CW_TMP/plan-$1.json"
    got=$("$CW_PYTHON" - "$CW_TMP/plan-$1.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
r = d["rate"]
for it in d["items"]:
    print("%g %g %s %s cut=%d ep=%s rep=%d" % (it["offset_samples"] / r, it["length_samples"] / r, it["kind"],
          (it["title"] or "-").replace(" ", "_"), it["cut"], it["episode"], it["repeat"]))
PYEOF
)
}

items 2027-03-01
expect_rc 0 "plan Monday"
expect_eq "$(head -4 <<<"$got" | tr '\n' ';')" \
    "0 30 lesson Maths_one cut=0 ep=1 rep=0;30 20 newsletter News_B cut=0 ep=None rep=0;50 30 newsletter News_A cut=0 ep=None rep=0;80 10 lesson English_one cut=0 ep=1 rep=0;" \
    "Monday: maths whole in its 30 s slot, News B fills its 20 s slot, News A the 30 s gap, english at 80 s"
check "Monday: no overrun warning for the recording that fits exactly" \
    bash -c "! grep -qi 'overrun' '$CW_TMP/plan-2027-03-01.json'"
check "Monday: no newsletter left over" bash -c "! grep -q 'did not fit' '$CW_TMP/plan-2027-03-01.json'"

# valid_until 2027-03-01 and valid_from 2027-03-01: News B not on Sunday, News A not on Tuesday
items 2027-02-28
expect_rc 0 "plan Sunday"
check "Sunday (the day before News B's valid_from): News A fills a gap" grep -q ' newsletter News_A ' <<<"$got"
check "Sunday: News B does not air before its valid_from" bash -c "! grep -q 'News_B' <<<'$got'"
items 2027-03-02
expect_rc 0 "plan Tuesday"
expect_eq "$(head -1 <<<"$got")" "0 30 lesson Maths_one cut=0 ep=1 rep=1" \
    "Tuesday: the repeat with no first airing that day plays the latest episode aired (1)"
check "Tuesday: News B (valid from Monday on) fills a gap" grep -q ' newsletter News_B ' <<<"$got"
check "Tuesday: News A does not air after its valid_until" bash -c "! grep -q 'News_A' <<<'$got'"

# on_air = 00:00-24:00 is a whole day
DAY=$(small_station whole "Whole Day" 00:00-24:00)
cw --station "$DAY" plan --date 2027-03-01 --format json
expect_rc 0 "plan a 00:00-24:00 day"
expect_eq "$(json_get "$CW_OUT" 'sum(i["length_samples"] for i in d["items"]) // d["rate"]')" 86400 \
    "on_air = 00:00-24:00: the items cover 86,400 s"
cw_finish
