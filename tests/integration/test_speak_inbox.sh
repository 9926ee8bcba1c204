#!/usr/bin/env bash
# test_speak_inbox.sh — texts dropped in the inbox (#18 item 3): `chalkwave ingest --inbox`
# speaks a .txt with a header, a .md with a note beside it and a .txt with NAME.txt.txt,
# files them with the text in DESCRIPTION and CHALKWAVE_SYNTHESISED (vorbiscomment, ogginfo)
# and moves them to accepted/; a recording's note is not spoken; a note of 'Key: value'
# lines whose recording has not come stays in the inbox until it comes; a stray text with no
# header, a Latin-1 text (its line named) and a binary one go to rejected/ with a reason;
# the same text sent again is filed as accepted without a second copy; two runs at once
# speak each text exactly once.
. "$(dirname "$0")/lib.sh"
cw_need sox
for tool in espeak-ng ogginfo vorbiscomment; do
    command -v "$tool" >/dev/null || { echo "SKIPPED: $tool is not installed (scripts/deps.txt)"; exit 77; }
done
cw_skip_if_missing

S=$(minimal_station st)
IN=$S/inbox
lib_files() { find "$S/library" -type f -name '*.ogg' | sort; }

cat >"$IN/clinic.txt" <<'EOF'
Kind: newsletter
Title: Clinic news
Language: en
Series: clinic-news
Episode: 4

The clinic opens on Monday at 09:30.

Bring your health card and your child's vaccination book.
EOF
printf '# Fermeture\n\nL'"'"'école est fermée vendredi pour la fête.\n' >"$IN/notice.md"
printf 'Title: Ecole fermee\nLanguage: fr\nSeries: avis\nEpisode: 1\n' >"$IN/notice.txt"
printf 'Habari njema: soko litafunguliwa kesho asubuhi saa mbili.\n' >"$IN/soko.txt"
printf 'Language: sw\nTitle: Soko\nSeries: soko\nEpisode: 2\n' >"$IN/soko.txt.txt"
sox -q -n -r 22050 -c 1 -b 16 "$IN/lesson.wav" synth 4 sine 300 tremolo 3 80 gain -6
printf 'Series: maths-5\nEpisode: 1\nTitle: Fractions\n' >"$IN/lesson.txt"
printf 'Series: maths-5\nEpisode: 2\nTitle: Decimals\n' >"$IN/decimals.txt"
printf 'Please remember to close the gate.\n' >"$IN/stray.txt"
printf 'Kind: newsletter\nTitle: Cafe\n\nGood line\nCaf\xe9 au lait\n' >"$IN/latin1.txt"
head -c 2000 /dev/urandom >"$IN/binary.txt"

cw --station "$S" ingest --inbox --format json
expect_rc 1 "an inbox with refused texts exits 1"
json() { json_get "$CW_OUT" "$1"; }
expect_eq "$(json '[d["accepted"], d["refused"]]')" "[4, 3]" "4 accepted (3 texts, 1 recording), 3 refused"
expect_eq "$(json '[f["file"] for f in d["files"] if f.get("spoken")]')" \
    '["clinic.txt", "notice.md", "soko.txt"]' "the three texts were spoken"
expect_eq "$(json '[f["file"] for f in d["files"] if f["status"] == "waiting"]')" '["decimals.txt"]' \
    "the note without its recording waits"
expect_eq "$(json '[f["voice"] for f in d["files"] if f.get("spoken")]')" '["en-gb", "fr-fr", "sw"]' \
    "each in its language's voice (header, note, NAME.txt.txt)"

# the spoken items: what the peers read
c=$S/library/newsletter/clinic-news/004-clinic-news.ogg
expect_file "$c" "the header named series, episode and title"
check "ogginfo finds no problem in the spoken item" ogginfo "$c"
comments=$(vorbiscomment -l -e "$c")
check "CHALKWAVE_SYNTHESISED=espeak-ng en-gb" grep -qx "CHALKWAVE_SYNTHESISED=espeak-ng en-gb" <<<"$comments"
check "LANGUAGE=en from the header" grep -qx "LANGUAGE=en" <<<"$comments"
check "GENRE=newsletter" grep -qx "GENRE=newsletter" <<<"$comments"
expect_eq "$(sed -n 's/^DESCRIPTION=//p' <<<"$comments")" \
    "The clinic opens on Monday at 09:30.\\n\\nBring your health card and your child's vaccination book." \
    "DESCRIPTION is the text without its header"
n=$S/library/newsletter/avis/001-ecole-fermee.ogg
expect_file "$n" "the .md took its series, episode and title from the note beside it"
check "the .md spoken in French (its note's language)" grep -qx "CHALKWAVE_SYNTHESISED=espeak-ng fr-fr" <<<"$(vorbiscomment -l "$n")"
expect_file "$S/library/newsletter/soko/002-soko.ogg" "soko.txt took its metadata from soko.txt.txt"
expect_file "$S/library/lesson/maths-5/001-fractions.ogg" "the recording was ingested with its note"
check "the recording's note was not spoken" bash -c '! vorbiscomment -l "$1" | grep -q SYNTHESISED' _ \
    "$S/library/lesson/maths-5/001-fractions.ogg"
for f in clinic.txt notice.md notice.txt soko.txt soko.txt.txt lesson.wav lesson.txt; do
    expect_file "$IN/accepted/$f" "$f moved to accepted/"
done

# refusals: one reason each, the stray text told what to add
expect_file "$IN/rejected/stray.txt.reason.txt" "the stray text is refused with a reason"
check "... saying to add a header" grep -q "start it with 'Kind: newsletter'" "$IN/rejected/stray.txt.reason.txt"
check "... and what to fix" grep -q "fix the text or its note" "$IN/rejected/stray.txt.reason.txt"
check "the Latin-1 text's reason names its line and byte" \
    grep -q "line 5 is not UTF-8 (byte 0xE9 at column 4" "$IN/rejected/latin1.txt.reason.txt"
expect_file "$IN/rejected/binary.txt.reason.txt" "the binary text is refused with a reason"
expect_eq "$(json '[f["error"] for f in d["files"] if f["file"] == "latin1.txt"][0]')" \
    "line 5 is not UTF-8 (byte 0xE9 at column 4, as Latin-1 or Windows-1252 editors write): save the text as UTF-8 (in most editors: Save as > Encoding > UTF-8)" \
    "the Latin-1 refusal is one sentence a person can act on"
expect_file "$IN/decimals.txt" "the waiting note is still in the inbox"
expect_eq "$(lib_files | wc -l)" 4 "four items in the library, nothing from the refused texts"

# text mode: the waiting note is said, once more it stays
cw --station "$S" ingest --inbox
expect_rc 0 "a run with only a waiting note"
expect_out "0 accepted, 0 refused, 1 note waiting for its recording" "the summary counts the waiting note"
expect_err "decimals.txt: holds only 'Key: value' lines" "the waiting note is explained"
expect_file "$IN/decimals.txt" "... and left where it is"
# its recording comes: both go in together
sox -q -n -r 22050 -c 1 -b 16 "$IN/decimals.flac" synth 4 sine 350 tremolo 3 80 gain -6
cw --station "$S" ingest --inbox
expect_rc 0 "the recording comes"
expect_file "$S/library/lesson/maths-5/002-decimals.ogg" "filed with the note that waited"
expect_file "$IN/accepted/decimals.txt" "the note moved along"

# the same text again: filed as accepted, no second copy
before=$(tree_sum "$S/library")
cp "$IN/accepted/clinic.txt" "$IN/clinic.txt"
cw --station "$S" ingest --inbox
expect_rc 0 "the same text sent again is not refused"
expect_file "$IN/accepted/clinic (2).txt" "... it is filed as accepted"
expect_eq "$(tree_sum "$S/library")" "$before" "... and the library is unchanged"

# two runs at once: each text spoken exactly once
for k in 1 2 3 4; do
    printf 'Kind: newsletter\nTitle: Notice %d\nSeries: notices\nEpisode: %d\n\nNotice number %d: the well in the market is repaired.\n' \
        "$k" "$k" "$k" >"$IN/n$k.txt"
done
"$CW_BINARY" --station "$S" ingest --inbox >"$CW_TMP/r1" 2>&1 &
p1=$!
"$CW_BINARY" --station "$S" ingest --inbox >"$CW_TMP/r2" 2>&1 &
p2=$!
wait "$p1"
wait "$p2"
expect_eq "$(find "$S/library/newsletter/notices" -name '*.ogg' | wc -l)" 4 "two runs at once: four notices filed"
expect_eq "$(cat "$CW_TMP/r1" "$CW_TMP/r2" | grep -c '^spoken ')" 4 "... each spoken by exactly one run"
check "... no refusal" bash -c '! grep -q refused: "$1" "$2"' _ "$CW_TMP/r1" "$CW_TMP/r2"
check "the inbox holds only accepted/ and rejected/ now" \
    test "$(find "$IN" -mindepth 1 -maxdepth 1 | sort | xargs -n1 basename | tr '\n' ' ')" = "accepted rejected "

cw_finish
