#!/usr/bin/env bash
# test_library_list.sh — `chalkwave library`: an empty library, what one ingested recording
# shows (text and JSON, checked against ogginfo/libvorbisfile), damaged files named on
# stderr and left out, usage errors.
. "$(dirname "$0")/lib.sh"
cw_need sox
cw_skip_if_missing

S=$(minimal_station st)

cw --station "$S" library
expect_rc 0 "an empty library lists fine"
expect_out "the library is empty" "and says so"
cw --station "$S" library --format json
expect_eq "$(cat "$CW_OUT")" "[]" "empty JSON array"

sox -q -n -r 48000 -c 2 -b 16 "$CW_TMP/in.wav" synth 6 sine 440 tremolo 3 70 gain -9
cw --station "$S" ingest --series science-4 --episode 7 --title "Plants & light" \
    --teacher "Mr Okafor" --language fr --kind lesson --valid-from 2026-01-05 \
    --valid-until 2026-03-27 --date 2025-12-01 -- "$CW_TMP/in.wav"
expect_rc 0 "one recording ingested"
F=$S/library/lesson/science-4/007-plants-light.ogg
expect_file "$F" "stored under library/lesson/science-4/007-plants-light.ogg"

cw --station "$S" library --format json
expect_rc 0 "library --format json"
expect_eq "$(json_get "$CW_OUT" 'd[0]["path"]')" "library/lesson/science-4/007-plants-light.ogg" "path"
expect_eq "$(json_get "$CW_OUT" '[d[0][k] for k in ("kind","series","episode","title","teacher","language")]')" \
    '["lesson", "science-4", 7, "Plants & light", "Mr Okafor", "fr"]' "kind, series, episode, title, teacher, language"
expect_eq "$(json_get "$CW_OUT" '[d[0][k] for k in ("date","valid_from","valid_until")]')" \
    '["2025-12-01", "2026-01-05", "2026-03-27"]' "date and validity window"
samples=$(vorbis_links "$F" | awk '/^total/ {print $2}')
expect_eq "$(json_get "$CW_OUT" 'd[0]["samples"]')" "$samples" "samples = libvorbisfile's length"
expect_eq "$(json_get "$CW_OUT" '(d[0]["rate"], d[0]["channels"])')" '(44100, 1)' "station format"
check "source checksum is the file's sha256" \
    test "$(json_get "$CW_OUT" 'd[0]["source_sha256"]')" = "$(sha256sum "$CW_TMP/in.wav" | cut -c1-64)"
check "the comments hold what the library shows (vorbiscomment)" \
    bash -c "vorbiscomment -l '$F' | grep -qx 'CHALKWAVE_SERIES=science-4' && vorbiscomment -l '$F' | grep -qx 'ARTIST=Mr Okafor' && vorbiscomment -l '$F' | grep -q '^CHALKWAVE_LUFS_OUT=-2[23]\.'"
check "no ReplayGain tags that would make players add gain" \
    bash -c "! vorbiscomment -l '$F' | grep -qi 'REPLAYGAIN\|R128_'"

cw --station "$S" library
expect_rc 0 "library (text)"
expect_out "Plants & light" "title in the table"
expect_out "2026-01-05..2026-03-27" "validity in the table"
expect_out "1 recording, 0:06 in all" "count and total length"

# damaged and foreign files: named on stderr, left out, not fatal
head -c 3000 "$F" >"$S/library/lesson/science-4/008-cut.ogg"
echo "notes" >"$S/library/lesson/README.txt"
cw --station "$S" library --format json
expect_rc 0 "a damaged file does not stop the listing"
expect_eq "$(json_get "$CW_OUT" 'len(d)')" 1 "only the good recording is listed"
expect_err "008-cut.ogg" "the damaged file is named"
expect_err "README.txt: not an .ogg file" "the foreign file is named"

cw --station "$S" library --format xml
expect_rc 2 "an unknown format is a usage error"
cw --station "$S" library extra
expect_rc 2 "arguments are a usage error"

cw_finish
