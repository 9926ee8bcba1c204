#!/usr/bin/env bash
# test_speak.sh — `chalkwave speak` end to end: texts in English, French, Swahili and Arabic
# spoken and filed; Hausa and Yoruba (no eSpeak NG voice) refused naming close voices, and
# spoken once station.conf picks a voice for them; longer text -> longer item; loudness and
# true peak re-measured by ffmpeg's ebur128; ogginfo; byte-identical reruns in two stations;
# the text in DESCRIPTION; the lexicon changes the phonemes (checked against espeak-ng -x)
# and the audio; intro and outro joined; --prepared, --phonemes, --list-voices, JSON; bad
# inputs (binary, Latin-1, 10 MB, unknown language, empty) refused in one line with the
# library unchanged.
. "$(dirname "$0")/lib.sh"

for tool in ffmpeg ffprobe espeak-ng ogginfo vorbiscomment; do
    command -v "$tool" >/dev/null || { echo "SKIPPED: $tool is not installed (scripts/deps.txt)"; exit 77; }
done

S=$(minimal_station st)
T=$CW_TMP/texts
mkdir -p "$T"

# measure FILE: "I TP" from ffmpeg's ebur128 (mono measured as dual mono via pan).
measure() {
    ffmpeg -hide_banner -nostats -i "$1" -af "pan=stereo|c0=c0|c1=c0,ebur128=peak=true" -f null - 2>&1 |
        awk '/^ *I:/ {i=$2} /^ *Peak:/ {p=$2} END {print i, p}'
}
# ogginfo_text FILE: ogginfo exits 0 and says no WARNING or ERROR (a spoken item's
# DESCRIPTION holds the text with its line breaks, which ogginfo prints as they are, so
# lib.sh's line-by-line check does not apply).
ogginfo_text() {
    local out rc
    out=$(ogginfo "$1" 2>&1)
    rc=$?
    [ "$rc" = 0 ] && ! grep -qE '^(WARNING|ERROR)' <<<"$out"
}
seconds() { ffprobe -v error -show_entries format=duration -of csv=p=0 "$1"; }
lib_path() { json_get "$CW_OUT" 'd["library_path"]'; }

# ---- four languages -----------------------------------------------------------------------
cat >"$T/en.md" <<'EOF'
# Health news

The Ministry of Health reminds every family that clean water keeps children well.
Vaccinations are on 2026-03-16 at 09:30 at every primary school.
EOF
cat >"$T/fr.txt" <<'EOF'
Nouvelles de la santé

Le ministère rappelle que la vaccination a lieu le 16/03/2026 à 9h30 dans chaque école.
EOF
cat >"$T/sw.txt" <<'EOF'
Habari za afya

Wizara ya afya inakumbusha kwamba chanjo itakuwa tarehe 2026-03-16 saa 09:30 shuleni.
EOF
cat >"$T/ar.txt" <<'EOF'
أخبار الصحة

تذكر وزارة الصحة بأن التطعيم سيكون في ٢٠٢٦-٠٣-١٦ الساعة 09:30 في كل مدرسة.
EOF

ep=0
for lang in en fr sw ar; do
    ep=$((ep + 1))
    f=$T/$lang.txt
    [ -f "$f" ] || f=$T/$lang.md
    cw --station "$S" speak --series news-$lang --episode 1 --title "News $lang" --language "$lang" --format json "$f"
    expect_rc 0 "$lang text is spoken and filed"
    [ "$CW_RC" = 0 ] || continue
    expect_empty_err "$lang: nothing on stderr (eSpeak NG prints nothing)"
    lp=$(lib_path)
    ogg=$S/$lp
    expect_file "$ogg" "$lang: $lp exists"
    check "$lang: ogginfo finds no problem" ogginfo_text "$ogg"
    m=$(measure "$ogg")
    i=${m% *}
    tp=${m#* }
    check "$lang: ffmpeg ebur128 reads $i LUFS (target -23 +-0.5)" \
        awk -v v="$i" 'BEGIN {exit !(v >= -23.5 && v <= -22.5)}'
    check "$lang: ffmpeg true peak $tp dBTP <= -0.5 (ceiling -1 + 0.5)" \
        awk -v v="$tp" 'BEGIN {exit !(v <= -0.5)}'
    secs=$(seconds "$ogg")
    check "$lang: $secs s of speech (2 to 30 s for two sentences)" \
        awk -v v="$secs" 'BEGIN {exit !(v >= 2 && v <= 30)}'
    comments=$(vorbiscomment -l "$ogg")
    check "$lang: LANGUAGE=$lang stored" grep -qx "LANGUAGE=$lang" <<<"$comments"
    first=$(head -n 1 "$f")
    check "$lang: the text is the DESCRIPTION" grep -qF "DESCRIPTION=$first" <<<"$comments"
    voice=$(json_get "$CW_OUT" 'd["voice"]')
    check "$lang: CHALKWAVE_SYNTHESISED=espeak-ng $voice stored (the voice that spoke)" \
        grep -qx "CHALKWAVE_SYNTHESISED=espeak-ng $voice" <<<"$comments"
    # the whole text, line breaks included, read back by vorbiscomment's escaped form
    desc=$(vorbiscomment -l -e "$ogg" | sed -n 's/^DESCRIPTION=//p')
    want=$(sed -e ':a' -e 'N' -e '$!ba' -e 's/\\/\\\\/g' -e 's/\n/\\n/g' "$f")
    expect_eq "$desc" "$want" "$lang: DESCRIPTION holds the whole text (vorbiscomment -e)"
done
# the voices used
cw --station "$S" library --format json
expect_rc 0 "library lists the spoken items"
expect_eq "$(json_get "$CW_OUT" 'sorted(r["language"] for r in d)')" '["ar", "en", "fr", "sw"]' \
    "four languages in the library"

# ---- longer text, longer speech ----------------------------------------------------------
printf 'One short sentence for the radio, read slowly for the children.\n' >"$T/short.txt"
{
    printf 'One short sentence for the radio, read slowly for the children.\n\n'
    for k in 1 2 3 4 5 6; do printf 'Paragraph %d says again that clean water keeps the children of the village well.\n\n' "$k"; done
} >"$T/long.txt"
cw --station "$S" speak --series len --episode 1 --title short --language en --format json "$T/short.txt"
expect_rc 0 "the short text is spoken"
short=$(seconds "$S/$(lib_path)")
cw --station "$S" speak --series len --episode 2 --title long --language en --format json "$T/long.txt"
expect_rc 0 "the long text is spoken"
long=$(seconds "$S/$(lib_path)")
check "seven paragraphs ($long s) last far longer than one sentence ($short s)" \
    awk -v a="$long" -v b="$short" 'BEGIN {exit !(a > b + 20)}'

# ---- byte-identical reruns ------------------------------------------------------------------
S2=$(minimal_station st2)
cw --station "$S2" speak --series news-en --episode 1 --title "News en" --language en --format json "$T/en.md"
expect_rc 0 "the same text in a second station"
check "the same text and settings give the same bytes" \
    cmp "$S/library/newsletter/news-en/001-news-en.ogg" "$S2/$(lib_path)"
cw --station "$S" speak --series news-en --episode 1 --title "News en" --language en "$T/en.md"
expect_rc 1 "speaking the same text again is refused (it is in the library)"
expect_one_line_err "the same text again: one line"
cw --station "$S2" speak --series news-en --episode 1 --title "News en" --language en --replace "$T/en.md"
expect_rc 0 "--replace speaks it again"
check "... into the same bytes" cmp "$S/library/newsletter/news-en/001-news-en.ogg" "$S2/library/newsletter/news-en/001-news-en.ogg"

# ---- West African languages: no voice, close voices, a station's choice ----------------------
cat >"$T/ha.txt" <<'EOF'
Labarai na lafiya

Ma'aikatar lafiya ta tunatar da kowane iyali cewa ruwa mai tsabta yana kiyaye yara.
EOF
before=$(tree_sum "$S/library")
cw --station "$S" speak --title Labarai --language ha "$T/ha.txt"
expect_rc 1 "Hausa without a voice is refused"
expect_one_line_err "Hausa: one line"
expect_err "no voice for 'ha' (Hausa)" "Hausa: names the language"
expect_err "in its family: " "Hausa: lists voices of its family"
expect_err "ar (Arabic)" "Hausa: Arabic is close (Afro-Asiatic)"
expect_err "spoken alongside it: en-gb" "Hausa: English is spoken alongside it"
cw --station "$S" speak --title Iroyin --language yo "$T/ha.txt"
expect_rc 1 "Yoruba without a voice is refused"
expect_err "sw (Swahili)" "Yoruba: Swahili is close (Niger-Congo)"
expect_eq "$(tree_sum "$S/library")" "$before" "refusals leave the library as it was"
S3=$(minimal_station st3 "$(printf '[speak]\nha.voice = sw\n')")
cw --station "$S3" speak --title Labarai --language ha --format json "$T/ha.txt"
expect_rc 0 "Hausa is spoken once [speak] ha.voice = sw"
expect_eq "$(json_get "$CW_OUT" 'd["voice"]')" "sw" "the Swahili voice spoke it"
cw --station "$S3" speak --list-voices --language ha
expect_out "ha: voice sw" "--list-voices --language ha shows the station's choice"
cw --station "$S3" speak --list-voices
expect_rc 0 "--list-voices"
expect_out_re '^sw +Swahili' "the Swahili voice is listed"
expect_out "Variants" "variants are listed"
expect_out_re '^  ha +sw,' "the station's languages are listed"

# ---- the lexicon --------------------------------------------------------------------------------
printf 'Mrs Okafor teaches mathematics to the children of the primary school in Abuja.\n' >"$T/lex.txt"
cw --station "$S" speak --language en --phonemes "$T/lex.txt"
expect_rc 0 "--phonemes without a lexicon"
without=$(cat "$CW_OUT")
printf '; pronunciations\nOkafor = Oh-kah-for\n[en]\nAbuja = [[a:b'"'"'u:dZa:]]\n' >"$S/speak.lexicon"
cw --station "$S" speak --language en --phonemes "$T/lex.txt"
expect_rc 0 "--phonemes with a lexicon"
with=$(cat "$CW_OUT")
check "the lexicon changes the phonemes" test "$without" != "$with"
peer=$(espeak-ng -q -x -v en "Oh-kah-for" | tr -d ' \n')
check "'Okafor' is now said as espeak-ng -x says 'Oh-kah-for' ($peer)" grep -qF "$peer" <<<"$(tr -d ' \n' <<<"$with")"
peer_old=$(espeak-ng -q -x -v en "Okafor" | tr -d ' \n')
check "... and no longer as 'Okafor' ($peer_old)" bash -c '! grep -qF "$1" <<<"$2"' _ "$peer_old" "$(tr -d ' \n' <<<"$with")"
check "the phonemes given for Abuja are used" grep -qF "a:b'u:dZa:" <<<"$with"
cw --station "$S" speak --language en --prepared "$T/lex.txt"
expect_out "Mrs Oh-kah-for teaches mathematics to the children of the primary school in [[a:b'u:dZa:]]." \
    "--prepared shows the lexicon applied"
cw --station "$S" speak --series lex --episode 1 --title "with lexicon" --language en --format json "$T/lex.txt"
expect_rc 0 "spoken with the lexicon"
a=$S/$(lib_path)
rm "$S/speak.lexicon"
cw --station "$S" speak --series lex --episode 2 --title "with lexicon" --language en --format json "$T/lex.txt"
expect_rc 0 "spoken without it"
check "the lexicon changes the speech" bash -c '! cmp -s "$1" "$2"' _ "$a" "$S/$(lib_path)"
printf 'Okafor = \n' >"$S/speak.lexicon"
cw --station "$S" speak --title x --language en "$T/lex.txt"
expect_rc 1 "a broken lexicon line is refused"
expect_err "speak.lexicon:1: line 1: nothing after '='" "names the lexicon's file and line"
rm "$S/speak.lexicon"

# ---- --prepared: what is said -----------------------------------------------------------------
printf 'Meet on 2026-03-16 at 14:00, bring $5, call 0803 123 4567, see https://health.gov.ng/x.\n' >"$T/prep.txt"
cw --station "$S" speak --language en --prepared "$T/prep.txt"
expect_out "Meet on the 16th of March 2026 at 2 PM, bring 5 dollars, call 0 8 0 3, 1 2 3, 4 5 6 7, see health dot gov dot ng slash x." "dates, times, money, phones and addresses are read"
printf '\n[speak]\naddresses = drop\n' >>"$S2/station.conf"
cw --station "$S2" speak --language en --prepared "$T/prep.txt"
expect_no_out "health" "[speak] addresses = drop leaves the address out"

# ---- intro and outro --------------------------------------------------------------------------
S4=$(minimal_station st4 "$(printf '[speak]\nintro = jingles/in.wav\noutro = jingles/out.flac\nfr.outro =\n')")
mkdir -p "$S4/jingles"
ffmpeg -loglevel error -y -f lavfi -i "sine=frequency=440:duration=2" -ac 2 -ar 48000 "$S4/jingles/in.wav"
ffmpeg -loglevel error -y -f lavfi -i "sine=frequency=660:duration=1.5" -ar 22050 "$S4/jingles/out.flac"
cw --station "$S4" speak --series j --episode 1 --title "with jingles" --language en --format json "$T/short.txt"
expect_rc 0 "intro and outro joined around the speech"
j=$(seconds "$S4/$(lib_path)")
check "intro 2 s + speech $short s + outro 1.5 s = $j s (+-0.6 s)" \
    awk -v j="$j" -v s="$short" 'BEGIN {d = j - (s + 3.5); exit !(d > -0.6 && d < 0.6)}'
m=$(measure "$S4/$(lib_path)")
check "with jingles: ffmpeg ebur128 reads ${m% *} LUFS (target -23 +-0.5)" \
    awk -v v="${m% *}" 'BEGIN {exit !(v >= -23.5 && v <= -22.5)}'
cw --station "$S4" speak --series j --episode 2 --title "avec intro" --language fr --format json "$T/fr.txt"
expect_rc 0 "fr.outro = (empty) leaves the outro out for French"
rm "$S4/jingles/in.wav"
cw --station "$S4" speak --series j --episode 3 --title "missing" --language en "$T/short.txt"
expect_rc 3 "a missing intro is an environment failure"
expect_err "the intro/outro 'jingles/in.wav' in [speak] does not exist" "names the missing intro"

# ---- standard input, JSON ------------------------------------------------------------------------
CW_LAST="speak - <short.txt"
"$CW_BINARY" --station "$S" speak --series stdin --episode 1 --title "From stdin" --language sw --format json - <"$T/long.txt" >"$CW_OUT" 2>"$CW_ERR"
CW_RC=$?
expect_rc 0 "text from standard input"
expect_eq "$(json_get "$CW_OUT" 'd["status"]')" "accepted" "JSON status"
check "JSON words > 50" test "$(json_get "$CW_OUT" 'd["words"]')" -gt 50

# ---- bad inputs -----------------------------------------------------------------------------------
before=$(tree_sum "$S/library")
head -c 3000 /dev/urandom >"$T/binary.txt"
printf 'Good line\nCaf\xe9 au lait\n' >"$T/latin1.txt"
"$CW_PYTHON" -c "import sys; sys.stdout.write('word ' * (2 * 1024 * 1024))" >"$T/big.txt"
: >"$T/empty.txt"
printf '  \n\n **  **\n' >"$T/markup.txt"
cw --station "$S" speak --title t --language en "$T/binary.txt"
expect_rc 1 "a binary file is refused"
expect_one_line_err "binary: one line"
expect_err_re "binary data|control character|not UTF-8" "binary: says it is not text"
cw --station "$S" speak --title t --language fr "$T/latin1.txt"
expect_rc 1 "Latin-1 text is refused"
expect_one_line_err "Latin-1: one line"
expect_err "latin1.txt:2: line 2 is not UTF-8 (byte 0xE9 at column 4" "Latin-1: names the line and byte"
cw --station "$S" speak --title t --language en "$T/big.txt"
expect_rc 1 "a 10 MB text is refused"
expect_one_line_err "10 MB: one line"
expect_err "the station speaks at most 20000 characters" "10 MB: says the limit"
cw --station "$S" speak --title t --language en "$T/empty.txt"
expect_rc 1 "an empty text is refused"
expect_err "the text is empty" "empty: says so"
cw --station "$S" speak --title t --language en "$T/markup.txt"
expect_rc 1 "a text of markup only is refused"
expect_err "nothing to speak" "markup only: says so"
cw --station "$S" speak --title t --language xx "$T/short.txt"
expect_rc 1 "an unknown language is refused"
expect_one_line_err "unknown language: one line"
expect_err "no voice for 'xx'" "unknown language: says so"
expect_err "with --voice or a 'Voice:' line at the top of the text" "...and how to choose a voice, in the terminal or in a text dropped in the inbox"
cw --station "$S" speak --title t --language english "$T/short.txt"
expect_rc 2 "a language name instead of a code is a usage error"
cw --station "$S" speak --title t --language en --voice en-gb+nosuch "$T/short.txt"
expect_rc 1 "an unknown variant is refused"
expect_err "no variant 'nosuch'" "unknown variant: says so"
cw --station "$S" speak --title t --language en "$T/no-such-file.txt"
expect_rc 3 "a missing file"
cw --station "$S" speak --title t --language en "$T"
expect_rc 1 "a folder is refused"
cw --station "$S" speak --language en "$T/short.txt"
expect_rc 2 "no --title is a usage error"
expect_eq "$(tree_sum "$S/library")" "$before" "bad inputs leave the library as it was"
check "no temporaries left in the station folder" bash -c '! ls -A "$1" | grep -q tmp' _ "$S"

cw_finish
