#!/usr/bin/env bash
# test_plan_station.sh — `chalkwave plan` on a small station built here: sox tones ingested
# with `chalkwave ingest`, two partner calendars imported with priorities. Checks, in
# samples, a weekly series across a holiday with a repeat slot, an overrun cut at the next
# start, a newsletter slot overfull (the rest waits for the next slot), a partner conflict,
# a missing episode (warning and --missing), ATTACH, a DST day in Europe/Paris, byte-identical
# JSON on reruns, item lengths against libvorbisfile, and usage errors.
. "$(dirname "$0")/lib.sh"

cw_need sox
cw_skip_if_missing
ST=$(minimal_station st "[schedule]
missing = announcement
unavailable = sorry
fillers = ids
[calendars]")
SRC=$CW_TMP/src
mkdir -p "$SRC"

# tones: distinct frequencies, lengths chosen for the checks below
tone() { sox -q -n -r 44100 -c 1 -b 16 "$SRC/$1.wav" synth "$2" sine "$3" gain -12; }
tone maths1 20 440
tone maths2 90 550 # overruns its 60 s slot by 30 s
tone id 7 880
tone sorry 5 330
tone news-a 25 660
tone news-b 25 700
tone news-c 25 740
printf 'Date: 2027-02-20\n' >"$SRC/news-a.txt"
printf 'Date: 2027-02-26\n' >"$SRC/news-b.txt" # freshest
printf 'Date: 2027-02-24\n' >"$SRC/news-c.txt"

ing() { cw --station "$ST" ingest "$@"; expect_rc 0 "ingest $*"; }
ing --series maths --episode 1 --title "Counting" --teacher "Ms Ada" "$SRC/maths1.wav"
ing --series maths --episode 2 --title "Adding" --teacher "Ms Ada" "$SRC/maths2.wav"
ing --kind filler --series ids --title "Station ID" "$SRC/id.wav"
ing --kind filler --series sorry --episode 1 --title "Lesson unavailable" "$SRC/sorry.wav"
for n in a b c; do ing --kind newsletter --series news --title "News $n" "$SRC/news-$n.wav"; done

# Mondays from 2027-03-01: maths 07:30-07:31, its repeat 08:30-08:31, newsletter slots
# 07:31-07:32 (60 s: two 25 s items fit) and 08:00-08:01; a holiday on 2027-03-15.
cat >"$SRC/school.ics" <<'EOF'
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//school//EN
BEGIN:VEVENT
UID:maths@school
DTSTAMP:20270101T000000Z
DTSTART;TZID=Africa/Lagos:20270301T073000
DTEND;TZID=Africa/Lagos:20270301T073100
RRULE:FREQ=WEEKLY;BYDAY=MO
SUMMARY:Maths
DESCRIPTION:Series: maths
END:VEVENT
BEGIN:VEVENT
UID:maths-repeat@school
DTSTAMP:20270101T000000Z
DTSTART;TZID=Africa/Lagos:20270301T083000
DTEND;TZID=Africa/Lagos:20270301T083100
RRULE:FREQ=WEEKLY;BYDAY=MO
SUMMARY:Maths (repeat)
CATEGORIES:repeat
DESCRIPTION:Series: maths
END:VEVENT
BEGIN:VEVENT
UID:news1@school
DTSTAMP:20270101T000000Z
DTSTART;TZID=Africa/Lagos:20270301T073100
DTEND;TZID=Africa/Lagos:20270301T073200
RRULE:FREQ=WEEKLY;BYDAY=MO
SUMMARY:News
DESCRIPTION:Kind: newsletter
END:VEVENT
BEGIN:VEVENT
UID:news2@school
DTSTAMP:20270101T000000Z
DTSTART;TZID=Africa/Lagos:20270301T080000
DTEND;TZID=Africa/Lagos:20270301T080100
RRULE:FREQ=WEEKLY;BYDAY=MO
SUMMARY:News again
DESCRIPTION:Kind: newsletter
END:VEVENT
BEGIN:VEVENT
UID:holiday@school
DTSTAMP:20270101T000000Z
DTSTART;VALUE=DATE:20270315
DTEND;VALUE=DATE:20270316
SUMMARY:Holiday
CATEGORIES:holiday
END:VEVENT
END:VCALENDAR
EOF
cat >"$SRC/ngo.ics" <<'EOF'
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//ngo//EN
BEGIN:VEVENT
UID:ngo-talk@ngo
DTSTAMP:20270101T000000Z
DTSTART;TZID=Africa/Lagos:20270301T073000
DTEND;TZID=Africa/Lagos:20270301T074000
SUMMARY:NGO talk
DESCRIPTION:Series: maths\nEpisode: 1
END:VEVENT
BEGIN:VEVENT
UID:ngo-attach@ngo
DTSTAMP:20270101T000000Z
DTSTART;TZID=Africa/Lagos:20270301T074500
DTEND;TZID=Africa/Lagos:20270301T075000
SUMMARY:Attached
ATTACH:lesson/maths/001-counting.ogg
END:VEVENT
BEGIN:VEVENT
UID:ngo-url@ngo
DTSTAMP:20270101T000000Z
DTSTART;TZID=Africa/Lagos:20270301T075000
DTEND;TZID=Africa/Lagos:20270301T075500
SUMMARY:From the web
ATTACH:https://example.org/lesson.ogg
END:VEVENT
END:VCALENDAR
EOF
cw --station "$ST" calendar import --priority 5 "$SRC/school.ics"
expect_rc 0 "import school.ics with priority 5"
cw --station "$ST" calendar import --priority 1 "$SRC/ngo.ics"
expect_rc 0 "import ngo.ics with priority 1"
check "the ATTACH target is in the library" test -f "$ST/library/lesson/maths/001-counting.ogg"

RATE=44100
plan_json() { # DATE OUTFILE
    cw --station "$ST" plan --date "$1" --format json
    cp "$CW_OUT" "$2"
}

# ---- week 1 ---------------------------------------------------------------------------
plan_json 2027-03-01 "$CW_TMP/w1.json"
expect_rc 0 "plan 2027-03-01"
J=$CW_TMP/w1.json
off() { echo $(( ($1 * 3600 + $2 * 60 - 7 * 3600) * RATE )); }
item() { json_get "$J" "[i for i in d['items'] if i['offset_samples'] == $1][0]['$2']" 2>/dev/null; }
expect_eq "$(json_get "$J" 'all(d["items"][k]["offset_samples"] == d["items"][k-1]["offset_samples"] + d["items"][k-1]["length_samples"] for k in range(1, len(d["items"])))')" True "items are contiguous"
expect_eq "$(json_get "$J" 'd["items"][-1]["offset_samples"] + d["items"][-1]["length_samples"]')" $((2 * 3600 * RATE)) "items cover the 2 h window in samples"
expect_eq "$(item "$(off 7 30)" episode)" 1 "07:30 (sample $(off 7 30)) plays maths episode 1"
expect_eq "$(item "$(off 7 30)" event_file)" school.ics "the priority-5 calendar wins the 07:30 conflict"
expect_eq "$(item "$(off 7 30)" start)" "2027-03-01T07:30:00+01:00" "local start with offset"
expect_eq "$(item "$(off 7 30)" start_utc)" "2027-03-01T06:30:00Z" "UTC start"
expect_eq "$(json_get "$J" 'any(w["code"] == "plan.conflict-lost" and "ngo talk" in w["text"].lower() and "loses its slot" in w["text"] and "priority 5" in w["text"] for w in d["warnings"])')" True "the NGO's lost slot is reported"
expect_eq "$(item "$(off 8 30)" episode)" 1 "the 08:30 repeat plays the same episode"
expect_eq "$(item "$(off 8 30)" repeat)" True "the repeat is marked"
expect_eq "$(item "$(off 7 45)" recording)" "library/lesson/maths/001-counting.ogg" "ATTACH plays the named library file"
expect_eq "$(json_get "$J" 'any(w["code"] == "plan.attach-url" and "https://example.org/lesson.ogg" in w["text"] and "refused" in w["text"] for w in d["warnings"])')" True "a URL ATTACH is refused with a warning"
expect_eq "$(item "$(off 7 50)" kind)" filler "the URL slot gets the station's fallback instead"
expect_eq "$(item "$(off 7 50)" recording)" "library/filler/sorry/001-lesson-unavailable.ogg" "(the unavailable announcement)"
# the newsletter slot: freshest first (b, then c), a does not fit and waits for 08:00
expect_eq "$(item "$(off 7 31)" title)" "News b" "newsletter slot starts with the freshest item"
expect_eq "$(item $(( $(off 7 31) + 25 * RATE )) title)" "News c" "then the next freshest"
expect_eq "$(item "$(off 8 0)" title)" "News a" "what did not fit airs in the next newsletter slot"
# a lesson item is as long as its file, by libvorbisfile
len=$(vorbis_links "$ST/library/lesson/maths/001-counting.ogg" | awk '/^total/ {print $2}')
expect_eq "$(item "$(off 7 30)" length_samples)" "$len" "lesson length equals the file's samples (libvorbisfile)"
cw --station "$ST" plan --date 2027-03-01 --format json
check "same inputs, byte-identical JSON" cmp -s "$CW_OUT" "$J"

# ---- week 2: the 90 s episode overruns its slot and is cut at the newsletter slot --------
plan_json 2027-03-08 "$CW_TMP/w2.json"
J=$CW_TMP/w2.json
expect_eq "$(item "$(off 7 30)" episode)" 2 "week 2 plays episode 2"
expect_eq "$(item "$(off 7 30)" cut)" True "the overrunning episode is cut"
expect_eq "$(item "$(off 7 30)" length_samples)" $((60 * RATE)) "cut exactly at the next start (60 s)"
expect_eq "$(item "$(off 7 30)" fade_out)" 0.5 "with the station's fade"
expect_eq "$(json_get "$J" 'any(w["code"] == "plan.overrun-cut" and "overruns by 0:30" in w["text"] and "002-adding.ogg" in w["text"] for w in d["warnings"])')" True "the warning names the recording and the overrun"

# ---- week 3: holiday; week 4: episode 3 is missing -----------------------------------
plan_json 2027-03-15 "$CW_TMP/w3.json"
J=$CW_TMP/w3.json
expect_eq "$(json_get "$J" 'sum(1 for i in d["items"] if i["kind"] == "lesson")')" 0 "no lessons on the holiday"
expect_eq "$(json_get "$J" 'any(w["code"] == "plan.blackout" and "suppressed by" in w["text"] and "Holiday" in w["text"] for w in d["warnings"])')" True "the plan says the holiday suppressed them"
plan_json 2027-03-22 "$CW_TMP/w4.json"
J=$CW_TMP/w4.json
expect_eq "$(item "$(off 7 30)" recording)" "library/filler/sorry/001-lesson-unavailable.ogg" "missing episode 3: the unavailable announcement (the holiday did not use it up)"
expect_eq "$(json_get "$J" 'any(w["code"] == "plan.missing-recording" and "series \x27maths\x27 episode 3" in w["text"] and "2027-03-22 07:30" in w["text"] for w in d["warnings"])')" True "the warning names series, episode and date"
cw --station "$ST" plan --from 2027-03-01 --to 2027-03-31 --missing
expect_rc 0 "plan --missing over March"
expect_out "2027-03-22 Mon 07:30  Maths (maths, episode 3)  teacher: " "the to-do list has episode 3"
expect_out "2027-03-29 Mon 07:30  Maths (maths, episode 4)  teacher: " "and episode 4"
expect_out "recordings missing from 2027-03-01 to 2027-03-31"
cw --station "$ST" plan --from 2027-03-22 --to 2027-03-22 --missing --format json
expect_eq "$(json_get "$CW_OUT" '";".join("%s %s %s %d %s" % (m["date"], m["time"], m["series"], m["episode"], m["status"]) for m in d)')" "2027-03-22 07:30 maths 3 missing;2027-03-22 08:30 maths 3 missing" "--missing --format json: the lesson and its repeat"
cw --station "$ST" plan --from 2027-03-01 --to 2027-03-07 --format json
expect_eq "$(json_get "$CW_OUT" 'len(d)')" 7 "a week range gives 7 plans in a JSON array"

# ---- text rundown ------------------------------------------------------------------------
cw --station "$ST" plan --date 2027-03-08
expect_rc 0 "text rundown"
expect_out "07:30:00" 
expect_out "CUT (fade 0.5 s)" "the cut is shown"
expect_out "REPEAT" "the repeat is shown"

# ---- usage -------------------------------------------------------------------------------
cw --station "$ST" plan --date 2027-03-01 --from 2027-03-01 --to 2027-03-02
expect_rc 2 "--date with --from is a usage error"
cw --station "$ST" plan --date 2027-03-01 --format xml
expect_rc 2 "unknown format"
cw --station "$ST" plan
expect_rc 2 "no date"
cw --station "$ST" plan --from 2027-03-05 --to 2027-03-01
expect_rc 2 "reversed range"

# ---- a DST day: Europe/Paris, window 01:00-05:00 over the 02:00 -> 03:00 change ---------
P=$(minimal_station paris "[calendars]")
sed -i 's|^timezone = .*|timezone = Europe/Paris|; s|^on_air = .*|on_air = 01:00-05:00|' "$P/station.conf"
cw --station "$P" ingest --series night --episode 1 --title "Night" "$SRC/maths1.wav"
expect_rc 0 "ingest into the Paris station"
cat >"$SRC/night.ics" <<'EOF'
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//night//EN
BEGIN:VEVENT
UID:night@paris
DTSTAMP:20260101T000000Z
DTSTART;TZID=Europe/Paris:20260320T040000
DTEND;TZID=Europe/Paris:20260320T041000
RRULE:FREQ=DAILY
SUMMARY:Night class
DESCRIPTION:Series: night\nEpisode: 1
END:VEVENT
END:VCALENDAR
EOF
cw --station "$P" calendar import "$SRC/night.ics"
expect_rc 0 "import the Paris calendar"
for d in 2026-03-29:2:3 2026-10-25:4:5 2026-03-30:3:4; do
    IFS=: read -r day h w <<<"$d"
    cw --station "$P" plan --date "$day" --format json
    cp "$CW_OUT" "$CW_TMP/p.json"
    J=$CW_TMP/p.json
    expect_eq "$(json_get "$J" 'd["items"][-1]["offset_samples"] + d["items"][-1]["length_samples"]')" $((w * 3600 * RATE)) "$day: window of $w real hours"
    expect_eq "$(json_get "$J" "[i['start'] for i in d['items'] if i['kind'] == 'lesson'][0]")" "${day}T04:00:00+0$([ "$day" = 2026-10-25 ] && echo 1 || echo 2):00" "$day: lesson at 04:00 local"
    expect_eq "$(json_get "$J" "[i['offset_samples'] for i in d['items'] if i['kind'] == 'lesson'][0]")" $((h * 3600 * RATE)) "$day: lesson at sample $((h * 3600 * RATE))"
done

cw_finish
