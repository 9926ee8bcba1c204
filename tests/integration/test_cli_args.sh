#!/usr/bin/env bash
# test_cli_args.sh — the option parser through the real binary (cli/opt.c): '--' ends the
# options so files named like options work (a teacher's '-lesson.wav', a partner's
# '-partner.ics'); --name=value and --name value; options after file names; values that look
# like options (--priority -5); the last of a repeated option wins; --station after the
# command wins over the one before it; --help anywhere prints help without a station; whole
# numbers out of range are usage errors.
. "$(dirname "$0")/lib.sh"
cw_need sox
cw_skip_if_missing

st=$(minimal_station radio)
work=$CW_TMP/work
mkdir -p "$work"
sox -n -r 44100 -c 1 -b 16 "$work/-lesson.wav" synth 5 sine 440 gain -12
sox -n -r 22050 -c 1 -b 16 "$work/second.wav" synth 4 sine 660 gain -20
cp "$CW_SOURCE_DIR/examples/station/calendars/lagos-primary-term2.ics" "$work/-partner.ics"

# '--' before a file that starts with '-'
cw_in "$work" --station "$st" ingest --series maths-p5 --episode 1 --title "Tones: A=B" -- -lesson.wav
expect_rc 0 "ingest ... -- -lesson.wav"
expect_out "accepted -lesson.wav" "the file named '-lesson.wav' was ingested"
n=$(find "$st/library" -name '*.ogg' | wc -l)
expect_eq "$n" 1 "one recording in the library"
cw --station "$st" library --format json
expect_rc 0 "library --format json"
cp "$CW_OUT" "$CW_TMP/lib.json"
if grep -q '"Tones: A=B"' "$CW_TMP/lib.json"; then ok "a title with '=' and ':' is kept whole"; else not_ok "the title 'Tones: A=B' was not kept"; fi

# --name=value form, options after the file name, a repeated option (last wins)
cw_in "$work" --station "$st" ingest second.wav --series=maths-p5 --episode=7 --episode=2 --title=Second
expect_rc 0 "ingest FILE --series=KEY --episode=7 --episode=2 (options after the file)"
if find "$st/library/lesson/maths-p5" -name '002-*.ogg' | grep -q .; then ok "the last --episode (2) was used"; else not_ok "episode 2 is not in the library"; fi
if find "$st/library/lesson/maths-p5" -name '007-*.ogg' | grep -q .; then not_ok "the first --episode (7) was used"; else ok "the first --episode (7) was overridden"; fi

# calendar check/import of a file named '-partner.ics'; a negative value after an option
cw_in "$work" --station "$st" calendar check -- -partner.ics
expect_rc 0 "calendar check -- -partner.ics"
cw_in "$work" --station "$st" calendar import --priority -5 -- -partner.ics
expect_rc 0 "calendar import --priority -5 -- -partner.ics"
expect_file "$st/calendars/-partner.ics" "the calendar was copied into calendars/"
if grep -qE -- '^-partner\.ics = -5(,|$)' "$st/station.conf"; then ok "station.conf records '-partner.ics = -5'"; else not_ok "station.conf lacks '-partner.ics = -5'"; fi
cw --station "$st" library
expect_rc 0 "the station still loads after the import"
cw_in "$work" --station "$st" calendar check -partner.ics
expect_rc 2 "calendar check -partner.ics without '--' is a usage error"
expect_err "put '--' before file names that start with '-'" "and the error says to use '--'"

# verify of a folder named like an option: a real check (not a usage error)
cw --station "$st" verify -- -nobundle
expect_rc 3 "verify -- -nobundle looks for the folder"
expect_err "-nobundle" "the error names the folder"

# --station: after the command it wins over the one before; '=' form; env is ignored when given
cw --station "$CW_TMP/nowhere" library --station "$st"
expect_rc 0 "--station after the command wins"
CHALKWAVE_STATION="$CW_TMP/nowhere" cw library --station="$st"
expect_rc 0 "--station=DIR wins over \$CHALKWAVE_STATION"
cw library --station
expect_rc 2 "--station without a folder after the command"
cw_in "$st" library --station=
expect_rc 2 "--station= (empty) is a usage error, not the current folder"
cw_in "$st" --station= library
expect_rc 2 "--station= (empty) before the command"
cw_in "$st" library --station ""
expect_rc 2 "--station '' is a usage error"
cw_in "$st" --station "" library
expect_rc 2 "--station '' before the command is a usage error"

# --help anywhere: help, exit 0, no station needed
cw_in "$CW_TMP" plan --date 2027-01-13 --help
expect_rc 0 "plan --date 2027-01-13 --help (no station in the current folder)"
expect_out "usage: chalkwave plan" "it prints plan's help"
cw_in "$CW_TMP" ingest -h
expect_rc 0 "ingest -h"
expect_out "usage: chalkwave ingest" "-h prints ingest's help"

# whole numbers out of range and short options
cw --station "$st" ingest --episode 99999999999 x.wav
expect_rc 2 "--episode 99999999999 is out of range"
cw --station "$st" calendar import --priority 1.5 "$work/-partner.ics"
expect_rc 2 "--priority 1.5 is not a whole number"
cw --station "$st" ingest -j -1 "$work/second.wav"
expect_rc 2 "ingest -j -1 (a negative worker count) is a usage error"
cw --station "$st" ingest -j2 --series maths-p5 --episode 3 "$work/-lesson.wav" -- 
expect_rc 1 "-j2 (short option with its value attached) parses; the file is a duplicate"
expect_err "already in the library" "the refusal is the duplicate, not a usage error"

cw_finish
