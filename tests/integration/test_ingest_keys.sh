#!/usr/bin/env bash
# test_ingest_keys.sh — series keys people can type and recordings sent twice (issue #14,
# items 5 and 9, ingest side): keys are trimmed and lower-cased wherever they come from
# (options, notes, file names); a key no calendar uses is warned about with the nearest
# one; a recording sent again is told "already in the library as ... (sent on DATE)"
# whatever it is called (filed as accepted in the inbox when it is what its note says, or
# says nothing); a note can say "Replace: yes"; uploads can wait for approval (pending/).
. "$(dirname "$0")/lib.sh"

S=$(small_station st "Keys Radio" 07:00-08:00)
printf '%s\r\n' 'BEGIN:VCALENDAR' 'VERSION:2.0' 'PRODID:-//chalkwave tests//keys//EN' 'BEGIN:VEVENT' \
    'UID:maths@keys.test' 'DTSTAMP:20260101T000000Z' 'DTSTART;TZID=Africa/Lagos:20260316T070000' \
    'DTEND;TZID=Africa/Lagos:20260316T071500' 'RRULE:FREQ=WEEKLY;BYDAY=MO' 'SUMMARY:Maths Grade 5' \
    'CATEGORIES:lesson' 'X-CHALKWAVE-SERIES:maths-g5' 'END:VEVENT' 'END:VCALENDAR' >"$CW_TMP/partner.ics"
cw --station "$S" calendar import "$CW_TMP/partner.ics" --priority 1
expect_rc 0 "a partner calendar using maths-g5 is imported"
IN=$S/inbox
tone() { sox -q -n -r 8000 -c 1 -b 16 "$1" synth "$2" sine "$3" tremolo 3 80 gain -6; }
comment() { vorbiscomment -l "$1" 2>/dev/null | sed -n "s/^$2=//p"; }

# ---- keys: trimmed and lower-cased at every entry ---------------------------------------
tone "$IN/first.wav" 4 300
printf 'Series:  MATHS-G5 \nEpisode: 1\nTitle: Fractions\n' >"$IN/first.txt"
cw --station "$S" ingest --inbox
expect_rc 0 "a note saying 'Series:  MATHS-G5 ' is accepted"
expect_file "$S/library/lesson/maths-g5/001-fractions.ogg" "filed under maths-g5"
expect_eq "$(comment "$S/library/lesson/maths-g5/001-fractions.ogg" CHALKWAVE_SERIES)" maths-g5 \
    "CHALKWAVE_SERIES is maths-g5"
check "no warning about the key: a calendar uses it" bash -c "! grep -q 'no calendar uses' '$CW_ERR'"
tone "$CW_TMP/second.wav" 4 330
cw --station "$S" ingest --series " Maths-G5" --episode 2 --title Decimals "$CW_TMP/second.wav"
expect_rc 0 "--series ' Maths-G5' is accepted"
expect_file "$S/library/lesson/maths-g5/002-decimals.ogg" "the option's key is lower-cased and trimmed"
tone "$CW_TMP/MATHS-G5_003_percent.wav" 4 360
cw --station "$S" ingest "$CW_TMP/MATHS-G5_003_percent.wav"
expect_rc 0 "a file named MATHS-G5_003_percent.wav is accepted"
expect_file "$S/library/lesson/maths-g5/003-percent.ogg" "the file name's key is lower-cased"

# ---- a key no calendar uses: a warning with the nearest key ------------------------------
tone "$CW_TMP/typo.wav" 4 390
cw --station "$S" ingest --series math-g5 --episode 4 --title Typo --format json "$CW_TMP/typo.wav"
expect_rc 0 "a key no calendar uses is still stored"
check "the warning names the key and the nearest one" \
    grep -q '"no calendar uses math-g5 - did you mean maths-g5?' "$CW_OUT"
check "the warning has the code ingest.series-unknown" grep -q '"code": "ingest.series-unknown"' "$CW_OUT"
tone "$CW_TMP/far.wav" 4 420
cw --station "$S" ingest --series geography --episode 1 --title Rivers "$CW_TMP/far.wav"
expect_err "no calendar uses geography (stored, but no slot plays it until a calendar uses the key)" \
    "a key like no calendar's is warned about without a guess"
tone "$CW_TMP/g6.wav" 4 430
cw --station "$S" ingest --series maths-g6 --episode 1 --title Six "$CW_TMP/g6.wav"
expect_err "no calendar uses maths-g6 (stored" "maths-g6 is another series, not a typo of maths-g5: no guess"

# ---- the same recording again, whatever it is called --------------------------------------
today=$(date -r "$S/library/lesson/maths-g5/001-fractions.ogg" +%Y-%m-%d)
cp "$IN/accepted/first.wav" "$IN/again-renamed.wav"
before=$(tree_sum "$S/library")
cw --station "$S" ingest --inbox
expect_rc 0 "the same recording under another name, without a note: nothing to do, exit 0"
expect_err "already in the library as 'library/lesson/maths-g5/001-fractions.ogg'" "it is told where it is"
expect_err "sent on $today" "and when it was sent"
check "not 'no series and episode'" bash -c "! grep -q 'no series and episode' '$CW_ERR'"
expect_file "$IN/accepted/again-renamed.wav" "it is filed as accepted"
expect_eq "$(tree_sum "$S/library")" "$before" "the library is unchanged"
cp "$IN/accepted/first.wav" "$IN/first.wav"
cp "$IN/accepted/first.txt" "$IN/first.txt"
cw --station "$S" ingest --inbox
expect_rc 0 "the same file with the same note again: filed as accepted"
expect_err "already in the library as 'library/lesson/maths-g5/001-fractions.ogg'" "the same words"
check "not 'an earlier run stopped'" bash -c "! grep -q 'earlier run' '$CW_ERR'"
cp "$IN/accepted/first.wav" "$IN/maths-g5_009_other.wav"
cw --station "$S" ingest --inbox
expect_rc 1 "the same recording named as another episode is refused"
expect_err "already in the library as 'library/lesson/maths-g5/001-fractions.ogg'" "the reason names the stored one"
check "its reason file says so" grep -q "already in the library as" "$IN/rejected/maths-g5_009_other.wav.reason.txt"
cw --station "$S" ingest "$IN/accepted/first.wav"
expect_rc 1 "ingest FILE of a stored recording without metadata: refused"
expect_err "already in the library as 'library/lesson/maths-g5/001-fractions.ogg' ('Fractions', series maths-g5, episode 1, " \
    "the refusal describes the stored recording"

# ---- a note saying Replace: yes ----------------------------------------------------------
tone "$IN/redo.wav" 4 450
printf 'Series: maths-g5\nEpisode: 2\nTitle: Decimals again\n' >"$IN/redo.txt"
cw --station "$S" ingest --inbox
expect_rc 1 "a new recording for an existing episode without Replace is refused"
expect_err "already has episode 2" "the reason names the episode"
mv "$IN/rejected/redo.wav" "$IN/redo.wav"
printf 'Series: maths-g5\nEpisode: 2\nTitle: Decimals again\nReplace: yes\n' >"$IN/redo.txt"
rm -f "$IN/rejected/redo.txt"
cw --station "$S" ingest --inbox
expect_rc 0 "with 'Replace: yes' it replaces the episode"
expect_file "$S/library/lesson/maths-g5/002-decimals-again.ogg" "the new recording is there"
expect_no_path "$S/library/lesson/maths-g5/002-decimals.ogg" "the old one is gone"
printf 'Series: maths-g5\nEpisode: 5\nReplace: perhaps\n' >"$CW_TMP/bad.txt"
tone "$CW_TMP/bad.wav" 4 470
cw --station "$S" ingest "$CW_TMP/bad.wav"
expect_rc 1 "'Replace: perhaps' is refused"
expect_err "bad.txt line 3: replace 'perhaps' is not yes or no" "naming the note and line"

# ---- uploads awaiting approval ------------------------------------------------------------
tone "$CW_TMP/upload.wav" 4 500
cw --station "$S" ingest --pending --series maths-g5 --episode 6 --title Upload "$CW_TMP/upload.wav"
expect_rc 0 "ingest --pending files the upload"
expect_file "$S/pending/lesson/maths-g5/006-upload.ogg" "under pending/"
cw --station "$S" library --format json
check "the library does not list it" bash -c "! grep -q 006-upload '$CW_OUT'"
cw --station "$S" library --pending --format json
expect_eq "$(json_get "$CW_OUT" '[r["path"] for r in d]')" '["pending/lesson/maths-g5/006-upload.ogg"]' \
    "library --pending lists it"
cw --station "$S" ingest --pending --series maths-g5 --episode 7 "$CW_TMP/upload.wav"
expect_rc 1 "the same upload again is refused"
expect_err "already waiting for approval as 'pending/lesson/maths-g5/006-upload.ogg'" "it says it is waiting"
cw --station "$S" library approve pending/lesson/maths-g5/006-upload.ogg
expect_rc 0 "library approve"
expect_file "$S/library/lesson/maths-g5/006-upload.ogg" "the upload is in the library"
expect_no_path "$S/pending/lesson/maths-g5/006-upload.ogg" "and no longer pending"
tone "$CW_TMP/upload2.wav" 4 520
cw --station "$S" ingest --pending --series maths-g5 --episode 1 --title "Fractions redo" "$CW_TMP/upload2.wav"
expect_rc 1 "an upload for an episode the library has needs replace"
cw --station "$S" ingest --pending --replace --series maths-g5 --episode 1 --title "Fractions redo" "$CW_TMP/upload2.wav"
expect_rc 0 "with --replace it waits for approval"
cw --station "$S" library approve pending/lesson/maths-g5/001-fractions-redo.ogg
expect_rc 1 "approving it without --replace is refused (the library has episode 1)"
expect_err "already has episode 1 in the library" "the reason says so"
cw --station "$S" library reject --reason "too quiet: please record it again closer to the phone" \
    pending/lesson/maths-g5/001-fractions-redo.ogg
expect_rc 0 "library reject --reason"
check "the reason is kept beside it" grep -q "too quiet" "$S/pending/rejected/lesson/maths-g5/001-fractions-redo.ogg.reason.txt"
cw --station "$S" library --rejected --format json
expect_eq "$(json_get "$CW_OUT" '[r["reason"] for r in d]')" '["too quiet: please record it again closer to the phone"]' \
    "library --rejected shows the reason"
expect_file "$S/library/lesson/maths-g5/001-fractions.ogg" "the library's episode 1 is untouched"
cw --station "$S" library approve ../outside.ogg
expect_rc 1 "approving a path outside pending/ is refused"

cw_finish
