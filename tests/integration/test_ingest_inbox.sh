#!/usr/bin/env bash
# test_ingest_inbox.sh — `chalkwave ingest --inbox`: metadata from sidecar notes and file
# names, accepted/ and rejected/ with a reason, claims left by a killed run, and two runs
# at once on the same inbox (every file ingested exactly once).
. "$(dirname "$0")/lib.sh"
cw_need sox
cw_skip_if_missing

S=$(minimal_station st)
IN=$S/inbox

# make NAME SECONDS FREQ: a short distinct tone-burst recording in the inbox
make() {
    sox -q -n -r 22050 -c 1 -b 16 "$IN/$1" synth "$2" sine "$3" tremolo 3 80 gain -6
}

make lesson-one.wav 4 300
printf 'Series: maths-5\r\nEpisode: 1\r\nTitle: Fractions, part one\r\nTeacher: Ms Ada\r\nColour: blue\r\n' >"$IN/lesson-one.txt"
make maths-5_002_decimals.flac 4 350
make no-metadata.wav 4 400
make short.wav 1 450
printf 'Series: maths-5\nEpisode: 9\n' >"$IN/short.txt"

cw --station "$S" ingest --inbox
expect_rc 1 "ingest --inbox with one refused file exits 1"
expect_out "2 accepted, 2 refused" "the summary counts"
expect_file "$S/library/lesson/maths-5/001-fractions-part-one.ogg" "the sidecar named series, episode and title"
expect_file "$S/library/lesson/maths-5/002-decimals.ogg" "SERIES_EPISODE_TITLE.ext gave the metadata"
expect_err "unknown key 'Colour' ignored" "an unknown sidecar key is a warning"
expect_file "$IN/accepted/lesson-one.wav" "the accepted original moved to accepted/"
expect_file "$IN/accepted/lesson-one.txt" "its note moved along"
expect_file "$IN/accepted/maths-5_002_decimals.flac" "the second original moved to accepted/"
expect_file "$IN/rejected/no-metadata.wav" "the file without metadata moved to rejected/"
expect_file "$IN/rejected/no-metadata.wav.reason.txt" "with a reason file"
check "the reason says how to name it" grep -q "Series: maths-5" "$IN/rejected/no-metadata.wav.reason.txt"
check "the too-short reason is in words" grep -q "too short" "$IN/rejected/short.wav.reason.txt"
expect_file "$IN/rejected/short.txt" "the refused file's note moved along"
check "the inbox holds only accepted/ and rejected/ now" \
    test "$(find "$IN" -mindepth 1 -maxdepth 1 | sort | xargs -n1 basename | tr '\n' ' ')" = "accepted rejected "
cw --station "$S" library --format json
expect_eq "$(json_get "$CW_OUT" '[r["teacher"] for r in d]')" '["Ms Ada", null]' "teacher from the note"

# a claim left by a killed run (its PID is gone) goes back to the inbox and is processed
mkdir -p "$IN/.processing-999999999"
sox -q -n -r 22050 -c 1 -b 16 "$IN/.processing-999999999/maths-5_003_percent.wav" synth 4 sine 500 tremolo 3 80 gain -6
cw --station "$S" ingest --inbox
expect_rc 0 "a second run picks up the orphaned claim"
expect_file "$S/library/lesson/maths-5/003-percent.ogg" "the orphaned file was ingested"
expect_no_path "$IN/.processing-999999999" "the dead run's claim folder is gone"

# two runs at once on one inbox: each of 8 files is ingested exactly once
for i in 1 2 3 4 5 6 7 8; do
    make "race_$(printf %03d $i)_item.wav" 3 $((200 + 37 * i))
done
( "$CW_BINARY" --station "$S" ingest --inbox -j 2 --format json >"$CW_TMP/a.json" 2>"$CW_TMP/a.err" ) &
pa=$!
( "$CW_BINARY" --station "$S" ingest --inbox -j 2 --format json >"$CW_TMP/b.json" 2>"$CW_TMP/b.err" ) &
pb=$!
wait $pa
ra=$?
wait $pb
rb=$?
expect_eq "$ra$rb" "00" "both concurrent runs succeed"
na=$(json_get "$CW_TMP/a.json" 'd["accepted"]')
nb=$(json_get "$CW_TMP/b.json" 'd["accepted"]')
expect_eq "$((na + nb))" 8 "the two runs accepted 8 files between them ($na + $nb)"
expect_eq "$(json_get "$CW_TMP/a.json" 'd["refused"]')$(json_get "$CW_TMP/b.json" 'd["refused"]')" "00" "neither refused anything (no file seen twice)"
expect_eq "$(ls "$S/library/lesson/race" | grep -c '\.ogg$')" 8 "8 race files in the library"
expect_eq "$(ls "$IN/accepted" | grep -c '^race_')" 8 "8 race originals in accepted/"
check "no temporaries or claim folders left" test -z "$(find "$S" -name '.*tmp-*' -o -name '.processing-*' -o -name '*.work')"


# notes as Windows writes them: UTF-16 with BOM (Notepad's "Unicode") and Windows-1252
make utf16.wav 3 520
printf 'Series: sw\r\nEpisode: 4\r\nTitle: Hesabu \xc3\xa9t\xc3\xa9\r\nTeacher: Bw. Juma\r\n' |
    iconv -f UTF-8 -t UTF-16 >"$IN/utf16.txt"
make latin.wav 3 540
printf 'Series: fr\nEpisode: 2\n\nTitle: Le\xe7on \x96 \x93fractions\x94\n' >"$IN/latin.txt"
# a file name of 231 bytes ("a" + "é" x 115) and a note without a title: the default title is
# the name cut at a character boundary (199 bytes: byte 200 would split an "é"), not a refusal
long=$(python3 -c 'print("a" + "\u00e9" * 115, end="")')
make "$long.wav" 3 560
printf 'Series: long\nEpisode: 1\n' >"$IN/$long.txt"
cw --station "$S" ingest --inbox
expect_rc 0 "notes in UTF-16 and Windows-1252 and a 231-byte file name are accepted"
title_of() { vorbiscomment -l "$1" 2>/dev/null | sed -n 's/^TITLE=//p'; }
expect_eq "$(title_of "$S/library/lesson/sw/004-hesabu-t.ogg")" "$(printf 'Hesabu \xc3\xa9t\xc3\xa9')" \
    "the UTF-16 note gave series, episode and title"
expect_eq "$(title_of "$S/library/lesson/fr/002-le-on-fractions.ogg")" \
    "$(printf 'Le\xc3\xa7on \xe2\x80\x93 \xe2\x80\x9cfractions\xe2\x80\x9d')" "the Windows-1252 title is read as such"
expect_err "latin.txt line 4: text that is not UTF-8, read as Windows-1252" "the Windows-1252 note is warned about, with its line"
expect_err "the file name is longer than 200 bytes; the title is shortened" "the shortened title is said"
t=$(title_of "$(ls "$S"/library/lesson/long/001-*.ogg 2>/dev/null | head -1)")
expect_eq "$(printf %s "$t" | wc -c) $(printf %s "$t" | iconv -f UTF-8 -t UTF-8 >/dev/null 2>&1 && echo utf8)" "199 utf8" \
    "the default title is 199 bytes of whole UTF-8 characters"

cw_finish
