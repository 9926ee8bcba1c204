#!/usr/bin/env bash
# test_plan_blocks.sh — issue #14 items 1 and 2 on the plan side, with the real binary and
# recordings ingested from sox tones: several on-air windows (`on_air = 06:00-09:00,
# 16:00-16:15`) give one block per window and nothing between; a blocks-mode station
# (`[bundle] mode = blocks`) plans only the partner events — each run of back-to-back
# events one block, starting at its event's time to the sample, fillers inside a slot,
# nothing between events; dead air is never silent (plan.dead-air, with its reason, in
# `plan` and on `build`'s stderr) and the missing-recording text says what really plays.
. "$(dirname "$0")/lib.sh"

command -v sox >/dev/null || { echo "$CW_TEST_NAME: sox is missing"; exit 1; }
RATE=8000
SRC=$CW_TMP/src
mkdir -p "$SRC"
tone() { sox -q -n -r $RATE -c 1 -b 16 "$SRC/$1.wav" synth "$2" sine "$3" gain -12; }
tone lesson1 120 440 # a 2-minute lesson in a 30-minute slot
tone lesson2 20 550
tone lesson3 20 660
tone id 6 880         # the one 6-second station ID
cat >"$SRC/partner.ics" <<'EOF'
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//county//EN
BEGIN:VEVENT
UID:eng@county
DTSTAMP:20261201T000000Z
DTSTART;TZID=Africa/Nairobi:20261207T070000
DTEND;TZID=Africa/Nairobi:20261207T073000
RRULE:FREQ=DAILY;COUNT=5
SUMMARY:English Grade 4
DESCRIPTION:Series: english-g4\nTeacher: Mr Otieno
END:VEVENT
BEGIN:VEVENT
UID:sci@county
DTSTAMP:20261201T000000Z
DTSTART;TZID=Africa/Nairobi:20261207T073000
DTEND;TZID=Africa/Nairobi:20261207T080000
RRULE:FREQ=DAILY;COUNT=5
SUMMARY:Science Grade 5
DESCRIPTION:Series: science-g5\nTeacher: Ms Wanjiru
END:VEVENT
BEGIN:VEVENT
UID:math@county
DTSTAMP:20261201T000000Z
DTSTART;TZID=Africa/Nairobi:20261207T160500
DTEND;TZID=Africa/Nairobi:20261207T161000
RRULE:FREQ=DAILY;COUNT=5
SUMMARY:Maths Grade 5
DESCRIPTION:Series: MATHS-G5\nTeacher: Mrs Achieng
END:VEVENT
BEGIN:VEVENT
UID:noon@county
DTSTAMP:20261201T000000Z
DTSTART;TZID=Africa/Nairobi:20261207T120000
DTEND;TZID=Africa/Nairobi:20261207T123000
SUMMARY:Noon talk
DESCRIPTION:Series: talk
END:VEVENT
END:VCALENDAR
EOF

station() { # NAME EXTRA-CONF: a Nairobi station on air 06:00-09:00 and 16:00-16:15
    local st
    st=$(small_station "$1" "Radio Kisumu" "06:00-09:00, 16:00-16:15" 200)
    sed -i 's|^timezone = .*|timezone = Africa/Nairobi|' "$st/station.conf"
    printf '%s\n' "$2" >>"$st/station.conf"
    echo "$st"
}
import() { cw --station "$1" calendar import "$SRC/partner.ics"; expect_rc 0 "import the county calendar into $1"; }
ing() { cw --station "$1" ingest "${@:2}"; expect_rc 0 "ingest ${*:2}"; }
off() { echo $(( ($1 * 3600 + $2 * 60 - 6 * 3600) * RATE )); } # samples from 06:00

# ---- day mode, two windows, no fillers: dead air is said --------------------------------
DAY=$(station day "[schedule]
max_silence = 10")
import "$DAY"
ing "$DAY" --series english-g4 --episode 1 --title "Nouns" "$SRC/lesson1.wav"
ing "$DAY" --series maths-g5 --episode 1 --title "Fractions" "$SRC/lesson2.wav" # the calendar says MATHS-G5
cw --station "$DAY" plan --date 2026-12-07 --format json
expect_rc 0 "plan a two-window day"
J=$CW_TMP/day.json
cp "$CW_OUT" "$J"
expect_eq "$(json_get "$J" 'd["mode"]')" day "day mode"
expect_eq "$(json_get "$J" '[(w["start"], w["end"]) for w in d["windows"]]')" \
    '[["2026-12-07T06:00:00+03:00", "2026-12-07T09:00:00+03:00"], ["2026-12-07T16:00:00+03:00", "2026-12-07T16:15:00+03:00"]]' \
    "the two windows, local"
expect_eq "$(json_get "$J" '[(b["offset_samples"], b["length_samples"]) for b in d["blocks"]]')" \
    "[[0, $((3 * 3600 * RATE))], [$(off 16 0), $((15 * 60 * RATE))]]" "one block per window, each covered exactly"
expect_eq "$(json_get "$J" 'any(0 < i["offset_samples"] + i["length_samples"] and i["offset_samples"] < '"$(off 16 0)"' and i["offset_samples"] >= '"$(off 9 0)"' for i in d["items"])')" False "nothing between the windows"
expect_eq "$(json_get "$J" '[s["status"] for s in d["slots"] if s["event_uid"] == "math@county"]')" '["airs"]' \
    "MATHS-G5 in the calendar plays the maths-g5 recording (keys in any case; the calendar lower-cases them too)"
expect_eq "$(json_get "$J" '[s["status"] for s in d["slots"] if s["event_uid"] == "noon@county"]')" '["off-air"]' \
    "the noon event is off air, and listed"
expect_eq "$(json_get "$J" 'sum(1 for w in d["warnings"] if w["code"] == "plan.dead-air")')" 4 \
    "dead air, one warning per run of silence: 06:00-07:00, 07:02-09:00 (after the 2-minute lesson, the missing science slot, the gap), 16:00-16:05, 16:05:20-16:15"
expect_eq "$(json_get "$J" 'all("the library has no fillers" in w["text"] for w in d["warnings"] if w["code"] == "plan.dead-air")')" True \
    "each says why (no fillers)"
expect_eq "$(json_get "$J" '[w["text"].split("; ")[1].split(" (")[0] for w in d["warnings"] if w["code"] == "plan.missing-recording"]')" \
    '["instead plays silence: the library has no fillers"]' "the missing science lesson says what really plays"
cw --station "$DAY" plan --date 2026-12-07
expect_out "on-air windows: 06:00-09:00, 16:00-16:15" "the rundown names the windows"
expect_out "-- block 2: 16:00:00 to 16:15:00 (0:15:00) --" "and shows the second block"
expect_out "[plan.dead-air]" "warnings show their codes"
expect_out "off-air   Noon talk" "slots are listed"

# one window, day mode: build says dead air on stderr too
ONE=$(small_station one "Radio Kisumu" "07:00-07:30" 200)
sed -i 's|^timezone = .*|timezone = Africa/Nairobi|' "$ONE/station.conf"
cw --station "$ONE" calendar import "$SRC/partner.ics"
ing "$ONE" --series english-g4 --episode 1 --title "Nouns" "$SRC/lesson1.wav"
cw --station "$ONE" build --date 2026-12-07 --quiet
expect_rc 0 "build the 07:00-07:30 day"
expect_err_re "warning: dead air: 28:00.0 of silence from 07:02:00 to 07:30:00 \(the library has no fillers" \
    "build warns of the 28 minutes of silence after a 2-minute lesson"

# ---- blocks mode -------------------------------------------------------------------------
BL=$(station blocks "[schedule]
fillers = ids
[bundle]
mode = blocks")
import "$BL"
ing "$BL" --series english-g4 --episode 1 --title "Nouns" "$SRC/lesson1.wav"
ing "$BL" --series science-g5 --episode 1 --title "Plants" "$SRC/lesson2.wav"
ing "$BL" --series maths-g5 --episode 1 --title "Fractions" "$SRC/lesson3.wav"
ing "$BL" --kind filler --series ids --title "Station ID" "$SRC/id.wav"
cw --station "$BL" plan --date 2026-12-07 --format json
expect_rc 0 "plan a blocks-mode day"
J=$CW_TMP/blocks.json
cp "$CW_OUT" "$J"
expect_eq "$(json_get "$J" 'd["mode"]')" blocks "blocks mode"
expect_eq "$(json_get "$J" '[(b["start"], b["offset_samples"]) for b in d["blocks"]]')" \
    "[[\"2026-12-07T07:00:00+03:00\", $(off 7 0)], [\"2026-12-07T16:05:00+03:00\", $(off 16 5)]]" \
    "two blocks, each starting at its event's time to the sample (07:00-08:00 is one run of two events)"
end0=$(json_get "$J" 'd["blocks"][0]["offset_samples"] + d["blocks"][0]["length_samples"]')
check "the morning run ends with science's fillers, within 6 s of 08:00, never after" \
    test "$end0" -le "$(off 8 0)" -a "$end0" -gt $(( $(off 8 0) - 6 * RATE ))
expect_eq "$(json_get "$J" 'all(i["kind"] != "silence" or i["offset_samples"] + i["length_samples"] == '"$(off 7 30)"' for i in d["items"])')" True \
    "no silence but what keeps the run whole up to the next event"
expect_eq "$(json_get "$J" 'sum(1 for i in d["items"] if i["kind"] == "filler" and i["event_uid"] == "eng@county")')" 280 \
    "English's slot: 28 minutes of whole 6 s station IDs after the 2-minute lesson"
expect_eq "$(json_get "$J" '[i["offset_samples"] for i in d["items"] if i["kind"] == "lesson"]')" \
    "[$(off 7 0), $(off 7 30), $(off 16 5)]" "each lesson at its event's start"
expect_eq "$(json_get "$J" 'all(i["offset_samples"] >= '"$(off 7 0)"' for i in d["items"])')" True "nothing before the first event"
expect_eq "$(json_get "$J" 'all(not ('"$(off 8 0)"' <= i["offset_samples"] < '"$(off 16 5)"') for i in d["items"])')" True \
    "nothing between the blocks (the station's own programming)"
cw --station "$BL" plan --date 2026-12-07
expect_out "blocks mode: 2 blocks" "the rundown says blocks mode"
cw --station "$BL" plan --date 2026-12-07 --format json
check "the same plan twice, byte for byte" cmp -s "$CW_OUT" "$J"
# a missing lesson alone in blocks mode with no filler short enough: nothing, said so
rm -f "$BL/library/filler/ids/"*.ogg
cw --station "$BL" plan --date 2026-12-08 --format json
expect_eq "$(json_get "$CW_OUT" '[s["reason"] for s in d["slots"] if s["event_uid"] == "math@county"]')" \
    "[\"the recording of series 'maths-g5' episode 2 has not arrived; instead plays nothing: the station's own programming airs (the library has no fillers)\"]" \
    "a missing lesson with nothing to fill it leaves the slot to the station"

cw_finish
