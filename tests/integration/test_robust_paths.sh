#!/bin/bash
# test_robust_paths.sh — nothing from a calendar, a sidecar, a Vorbis comment or the inbox
# can make chalkwave read or write outside the station and the output folder.
# - ATTACH values with '..', absolute paths, URLs (http, file), a path through a symlink that
#   leaves the library, a symlink to a device, a 5000-character name: each refused with a
#   plan warning; the valid ATTACH still plays.
# - A symlink in library/ pointing outside is skipped by the scan.
# - Inbox symlinks (recording and note) are refused, not followed.
# - Titles, teachers and series from options and comments that look like paths never become
#   paths: every bundle file stays inside the bundle with a safe name.
# - strace: `plan`, `build` and `ingest --inbox` never open anything under the outside folder.
. "$(dirname "$0")/lib.sh"
cw_need sox strace
cw_skip_if_missing

ST=$(small_station paths "Path Radio" 07:00-07:10 60)
OUT=$CW_TMP/outside
mkdir -p "$OUT"
cd "$CW_TMP" || exit 1
sox -n -r 8000 -c 1 -b 16 good.wav synth 3 sine 440 vol 0.3
sox -n -r 8000 -c 1 -b 16 secret.wav synth 3 sine 880 vol 0.3
cp secret.wav "$OUT/secret.wav"
printf 'Series: leak\nEpisode: 1\n' >"$OUT/note.txt"

cw --station "$ST" ingest --series maths --episode 1 --title 'Counting' good.wav
expect_rc 0 "setup: a valid recording in the library"
GOOD=$(cd "$ST" && find library -name '*.ogg' | head -1)
# a real Ogg Vorbis file outside the station, and links to it and to a device inside library/
"$CW_BINARY" --station "$ST" ingest --series other --episode 1 secret.wav >/dev/null 2>&1
SECRET_OGG=$(cd "$ST" && find library/lesson/other -name '*.ogg' | head -1)
mv "$ST/$SECRET_OGG" "$OUT/secret.ogg"
rm -rf "$ST/library/lesson/other"
mkdir -p "$ST/library/lesson/evil"
ln -s "$OUT/secret.ogg" "$ST/library/lesson/evil/001-link.ogg"
ln -s /dev/zero "$ST/library/lesson/evil/002-zero.ogg"
ln -s "$OUT" "$ST/library/lesson/outdir"

cw --station "$ST" library
expect_rc 0 "library scan with symlinks inside library/"
expect_no_out "secret" "the scan lists nothing reached through a symlink"
expect_no_out "evil" "the scan lists no symlinked recording"

# ---- ATTACH --------------------------------------------------------------------------------
long=$(head -c 5000 /dev/zero | tr '\0' a)
attach=(
    "../../outside/secret.ogg"
    "$OUT/secret.ogg"
    "https://evil.example/lesson.ogg"
    "file://$OUT/secret.ogg"
    "library/../station.conf"
    "lesson/evil/001-link.ogg"
    "lesson/evil/002-zero.ogg"
    "lesson/outdir/secret.ogg"
    "$long.ogg"
)
{
    printf '%s\r\n' 'BEGIN:VCALENDAR' 'VERSION:2.0' 'PRODID:-//chalkwave tests//paths//EN'
    i=0
    for a in "${attach[@]}" "$GOOD"; do
        printf '%s\r\n' 'BEGIN:VEVENT' "UID:attach$i@paths.test" 'DTSTAMP:20260101T000000Z' \
            "DTSTART;TZID=Africa/Lagos:20260316T070${i}00" "DTEND;TZID=Africa/Lagos:20260316T070${i}30" \
            "SUMMARY:Attach $i" 'CATEGORIES:lesson'
        # fold the ATTACH line at 75 octets (RFC 5545)
        line="ATTACH:$a"
        printf '%s\r\n' "${line:0:75}"
        rest=${line:75}
        while [ -n "$rest" ]; do
            printf ' %s\r\n' "${rest:0:74}"
            rest=${rest:74}
        done
        printf '%s\r\n' 'END:VEVENT'
        i=$((i + 1))
    done
    printf '%s\r\n' 'END:VCALENDAR'
} >attach.ics
cw --station "$ST" calendar import attach.ics
expect_rc 0 "setup: calendar with hostile ATTACH values imported"

trace() { # OUTFILE CMD... : run chalkwave under strace, list files it opened
    local log=$1
    shift
    # LeakSanitizer cannot run under ptrace (ASan builds): leaks are checked by every other test
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
    strace -f -qq -e trace=open,openat,openat2,creat -o "$log" $CW_WRAPPER "$CW_BINARY" "$@" >"$CW_OUT" 2>"$CW_ERR" </dev/null
    CW_RC=$?
}
outside_opens() { grep -F "$OUT" "$1" | grep -v ENOENT | head -3; }

trace plan.trace --station "$ST" plan --date 2026-03-16 --format json
expect_rc 0 "plan with hostile ATTACH values"
cp "$CW_OUT" plan.json
refused=$(json_get plan.json 'len(set(w["text"] for w in d["warnings"] + [x for it in d["items"] for x in it["warnings"]] if "ATTACH \x27" in w["text"]))')
expect_eq "$refused" "${#attach[@]}" "one ATTACH warning per hostile value"
for k in "URL" "absolute path" "'..'" "not a recording in the library"; do
    if grep -qF "$k" plan.json; then ok "a warning explains: $k"; else not_ok "no warning mentions '$k'"; fi
done
played=$(json_get plan.json '",".join(sorted(set(it["recording"] for it in d["items"] if it["recording"])))')
expect_eq "$played" "$GOOD" "the only recording the plan plays is the valid ATTACH"
o=$(outside_opens plan.trace)
[ -z "$o" ] && ok "plan opened nothing outside the station" || not_ok "plan opened outside files: $o"

trace build.trace --station "$ST" build --date 2026-03-16
expect_rc 0 "build with hostile ATTACH values"
o=$(outside_opens build.trace)
[ -z "$o" ] && ok "build opened nothing outside the station" || not_ok "build opened outside files: $o"
B=$ST/out/2026-03-16
cw verify "$B"
expect_rc 0 "the bundle verifies"

# ---- path-like titles, teachers and series ------------------------------------------------------
cw --station "$ST" ingest --series maths --episode 2 --title '../../../../tmp/evil/../x' \
    --teacher '/etc/passwd' --description '$(rm -rf /)' good.wav
# the same source as episode 1 is refused; use another tone
sox -n -r 8000 -c 1 -b 16 good2.wav synth 3 sine 500 vol 0.3
cw --station "$ST" ingest --series maths --episode 2 --title '../../../../tmp/evil/../x' \
    --teacher '/etc/passwd' --description '$(rm -rf /)' good2.wav
expect_rc 0 "a recording titled like a path is accepted (titles are text)"
expect_no_path /tmp/evil "no /tmp/evil was created"
bad=$(cd "$ST" && find library -type f ! -name '.*' | grep -vE '^library/[a-z]+/[a-z0-9._-]+/[0-9]{3}-[a-z0-9-]+\.ogg$')
expect_eq "$bad" "" "every library file has a safe generated name"
# a 240-character file name
lname=$(head -c 236 /dev/zero | tr '\0' n).wav
sox -n -r 8000 -c 1 -b 16 "$lname" synth 3 sine 600 vol 0.3
cw --station "$ST" ingest --series maths --episode 3 --title 'Long name' -- "$lname"
expect_rc 0 "a 240-character file name ingests"
maxseg=$(cd "$ST" && find library -type f | tr '/' '\n' | awk '{ if (length($0) > m) m = length($0) } END { print m }')
[ "$maxseg" -le 100 ] && ok "library names stay short (longest part $maxseg characters)" || not_ok "a library name part has $maxseg characters"

cat >more.ics <<'EOF'
EOF
printf '%s\r\n' 'BEGIN:VCALENDAR' 'VERSION:2.0' 'PRODID:-//chalkwave tests//paths//EN' 'BEGIN:VEVENT' \
    'UID:series@paths.test' 'DTSTAMP:20260101T000000Z' 'DTSTART;TZID=Africa/Lagos:20260317T070000' \
    'DTEND;TZID=Africa/Lagos:20260317T070500' 'RRULE:FREQ=DAILY;COUNT=3' 'SUMMARY:Maths' \
    'X-CHALKWAVE-SERIES:maths' 'END:VEVENT' 'END:VCALENDAR' >more.ics
cw --station "$ST" calendar import more.ics
for d in 2026-03-17 2026-03-18 2026-03-19; do
    cw --station "$ST" build --date $d
    expect_rc 0 "build $d with path-like titles"
    outside=$(cd "$ST/out/$d" && find . ! -path . | grep -vE '^\./(items|items/[0-9]{3}-[0-9]{4}-[a-z0-9-]+\.ogg|blocks|blocks/[0-9]{4}-[a-z0-9-]+\.(ogg|m3u8)|day\.ogg|day\.cue|playlist\.(m3u8|xspf|pls)|liquidsoap\.(m3u|liq)|events\.csv|guide\.(html|txt)|plan\.json|schedule\.ics|SHA256SUMS)$')
    expect_eq "$outside" "" "bundle $d holds only its own files with safe names"
done
expect_no_path /tmp/evil "still no /tmp/evil"
lsq=$(grep -o 'annotate:[^,]*' "$ST/out/2026-03-18/liquidsoap.m3u" | head -1)
grep -q '\.\./\.\./' "$ST/out/2026-03-18/liquidsoap.m3u" && grep -v '^annotate:.*title="' "$ST/out/2026-03-18/liquidsoap.m3u" | grep -q '\.\./' &&
    not_ok "liquidsoap.m3u has a path with '..' outside a quoted title" || ok "liquidsoap.m3u: paths are the bundle's own ($lsq...)"

# ---- inbox symlinks --------------------------------------------------------------------------
ln -s "$OUT/secret.wav" "$ST/inbox/lesson.wav"
printf 'Series: maths\nEpisode: 9\n' >"$ST/inbox/lesson.txt"
cp good.wav "$ST/inbox/other.wav"
ln -s "$OUT/note.txt" "$ST/inbox/other.txt"
ln -s /etc/passwd "$ST/inbox/third.txt"
trace inbox.trace --station "$ST" ingest --inbox
expect_rc 1 "ingest --inbox with symlinks refuses them"
expect_err "symbolic link" "the refusal says why"
if grep -q "root" "$CW_ERR" "$ST"/inbox/rejected/*.reason.txt 2>/dev/null; then not_ok "/etc/passwd content leaked into messages"; else ok "nothing of /etc/passwd appears in messages or reasons"; fi
o=$(outside_opens inbox.trace)
[ -z "$o" ] && ok "ingest --inbox opened nothing outside the station" || not_ok "ingest --inbox opened outside files: $o"
test -f "$OUT/secret.wav" && cmp -s "$OUT/secret.wav" secret.wav && ok "the outside file is untouched" || not_ok "the outside file changed or moved"
expect_eq "$(find "$ST/library" -path '*leak*' | wc -l)" 0 "nothing from the outside note reached the library"

cw_finish
