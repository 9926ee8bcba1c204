#!/bin/bash
# test_robust_kill.sh — crash safety: SIGKILL `chalkwave ingest`, `chalkwave build` and
# `chalkwave calendar import` at random moments (fixed seed, so failures repeat) and check
# after every kill: no partial file is visible under a final name in library/, calendars/ or
# out/ (a final name holds either nothing, the previous content or exactly the bytes a
# complete run writes); every bundle that exists passes `chalkwave verify`; the library
# scan sees no damaged file; station.conf still loads. Every few trials the command is
# rerun: it must complete and leave no temporaries (.NAME.tmp-*) of the killed runs behind.
# Trials: CW_KILL_TRIALS (default 50 per command). Seed: CW_KILL_SEED (default 7).
. "$(dirname "$0")/lib.sh"
cw_need sox
cw_skip_if_missing

TRIALS=${CW_KILL_TRIALS:-50}
RANDOM=${CW_KILL_SEED:-7}

ST=$(small_station kill "Kill Radio" 07:00-07:01)
cd "$CW_TMP" || exit 1
printf '%s\r\n' 'BEGIN:VCALENDAR' 'VERSION:2.0' 'PRODID:-//chalkwave tests//kill//EN' \
    'BEGIN:VEVENT' 'UID:maths@kill.test' 'DTSTAMP:20260101T000000Z' 'DTSTART;TZID=Africa/Lagos:20260316T070000' \
    'DTEND;TZID=Africa/Lagos:20260316T070020' 'RRULE:FREQ=DAILY' 'SUMMARY:Maths' 'X-CHALKWAVE-SERIES:maths' 'END:VEVENT' \
    'BEGIN:VEVENT' 'UID:english@kill.test' 'DTSTAMP:20260101T000000Z' 'DTSTART;TZID=Africa/Lagos:20260316T070030' \
    'DTEND;TZID=Africa/Lagos:20260316T070050' 'RRULE:FREQ=DAILY' 'SUMMARY:English' 'X-CHALKWAVE-SERIES:english' \
    'END:VEVENT' 'END:VCALENDAR' >partner.ics
sox -n -r 8000 -c 1 -b 16 maths1.wav synth 3 sine 440 vol 0.3
sox -n -r 8000 -c 1 -b 16 maths2.wav synth 3 sine 500 vol 0.3
sox -n -r 8000 -c 1 -b 16 english1.wav synth 3 sine 660 vol 0.3
sox -n -r 22050 -c 2 -b 16 long.wav synth 8 sine 330 vol 0.3 # resampled + downmixed: a slower ingest

cw --station "$ST" calendar import partner.ics
expect_rc 0 "setup: calendar imported"
cw --station "$ST" ingest --series maths --episode 1 maths1.wav
expect_rc 0 "setup: maths 1 ingested"
cw --station "$ST" ingest --series maths --episode 2 maths2.wav
expect_rc 0 "setup: maths 2 ingested"

# Millisecond sleeps without starting a process: read with a timeout on a pipe nobody writes.
exec {SLEEP_FD}<> <(:)
msleep() { read -r -t "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))" -u "$SLEEP_FD" || true; }

# kill_at MS CMD...: run chalkwave, SIGKILL it after MS milliseconds (if still running).
# Sets KILLED=1 when the kill hit a running process.
kill_at() {
    local ms=$1
    shift
    "$CW_BINARY" --station "$ST" "$@" >/dev/null 2>&1 </dev/null &
    local pid=$!
    msleep "$ms"
    KILLED=0
    if kill -KILL "$pid" 2>/dev/null; then KILLED=1; fi
    wait "$pid" 2>/dev/null
}

# how long a complete run takes (ms), to spread the kills over it
run_ms() {
    local t0 t1
    t0=$(date +%s%N)
    "$CW_BINARY" --station "$ST" "$@" >/dev/null 2>&1 </dev/null
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000000))
}

tmp_leftovers() { find "$ST" -name '.*.tmp-*' 2>/dev/null; }
lib_files() { (cd "$ST/library" && find . -name '.*' -prune -o -type f -print | LC_ALL=C sort); }
lib_clean() {
    "$CW_BINARY" --station "$ST" library >/dev/null 2>"$CW_TMP/lib.err" </dev/null &&
        ! grep -q . "$CW_TMP/lib.err"
}

# ---- ingest -------------------------------------------------------------------------------
FINAL=$ST/library/lesson/maths/003-long.ogg
T_ING=$(run_ms ingest --series maths --episode 3 long.wav)
if [ -f "$FINAL" ]; then
    REF_ING=$(sha256sum <"$FINAL")
    ok "reference ingest of an 8 s 22 kHz stereo file: ${T_ING} ms"
else
    not_ok "reference ingest did not write $FINAL"
fi
rm -f "$FINAL"
BASE_FILES=$(lib_files)
printf 'Series: maths\nEpisode: 3\nKind: lesson\n' >long.txt
INBOX=$ST/inbox
# Odd trials: `ingest FILE`. Even trials: `ingest --inbox` with long.wav + long.txt in the inbox,
# where the original must also never be lost: it is in exactly one place, and it is in
# accepted/ only once its result is in the library.
bad=0 hits=0 committed=0 reruns=0 inbox_trials=0
for i in $(seq 1 "$TRIALS"); do
    ms=$((RANDOM % (T_ING + 20)))
    why=
    if [ $((i % 2)) = 0 ]; then
        inbox_trials=$((inbox_trials + 1))
        rm -rf "$INBOX/accepted" "$INBOX/rejected" "$INBOX"/.processing-*
        mkdir -p "$INBOX/accepted" "$INBOX/rejected"
        cp long.wav long.txt "$INBOX/"
        kill_at "$ms" ingest --inbox
        copies=$(find "$INBOX" -name 'long*.wav' | wc -l)
        [ "$copies" = 1 ] || why="the original is in $copies places: $(find "$INBOX" -name 'long*.wav' | tr '\n' ' ')"
        if [ -e "$INBOX/accepted/long.wav" ] && [ ! -e "$FINAL" ]; then why="$why; original in accepted/ but not in the library"; fi
    else
        kill_at "$ms" ingest --series maths --episode 3 long.wav
    fi
    hits=$((hits + KILLED))
    if [ -e "$FINAL" ]; then
        committed=$((committed + 1))
        [ "$(sha256sum <"$FINAL")" = "$REF_ING" ] || why="$why; partial or wrong bytes under the final name"
    fi
    now=$(lib_files | grep -vxF "./lesson/maths/003-long.ogg")
    [ "$now" = "$BASE_FILES" ] || why="$why; other library files appeared or vanished: $(diff <(echo "$BASE_FILES") <(echo "$now") | tr '\n' ' ')"
    lib_clean || why="$why; library scan complains: $(head -1 "$CW_TMP/lib.err")"
    if [ $((i % 2)) = 0 ]; then
        # rerun: the original ends in accepted/ with its recording in the library
        reruns=$((reruns + 1))
        "$CW_BINARY" --station "$ST" ingest --inbox >/dev/null 2>"$CW_TMP/rerun.err" </dev/null ||
            why="$why; inbox rerun failed: $(head -1 "$CW_TMP/rerun.err")"
        [ -e "$INBOX/accepted/long.wav" ] || why="$why; after the rerun the original is not in accepted/ ($(cd "$INBOX" && find . -name 'long*' | tr '\n' ' '))"
        [ -f "$FINAL" ] && [ "$(sha256sum <"$FINAL")" = "$REF_ING" ] || why="$why; inbox rerun did not write the reference bytes"
        left=$( (tmp_leftovers; find "$INBOX" -name '.processing-*') | head -3)
        [ -z "$left" ] || why="$why; rerun left temporaries or claims: $left"
    elif [ $((i % 5)) = 0 ]; then
        reruns=$((reruns + 1))
        "$CW_BINARY" --station "$ST" ingest --replace --series maths --episode 3 long.wav >/dev/null 2>"$CW_TMP/rerun.err" </dev/null ||
            why="$why; rerun failed: $(head -1 "$CW_TMP/rerun.err")"
        [ -f "$FINAL" ] && [ "$(sha256sum <"$FINAL")" = "$REF_ING" ] || why="$why; rerun did not write the reference bytes"
        left=$(tmp_leftovers | grep "/library/" | head -3)
        [ -z "$left" ] || why="$why; rerun left temporaries: $left"
    fi
    rm -f "$FINAL" # every trial starts without the episode
    if [ -n "$why" ]; then
        bad=$((bad + 1))
        not_ok "ingest trial $i (kill after $ms ms$([ $((i % 2)) = 0 ] && echo ", inbox")): ${why#; }"
    fi
done
[ $bad = 0 ] && ok "ingest: $TRIALS kills ($inbox_trials of them --inbox; $hits hit a running process, $committed had committed), $reruns reruns: no partial file, no lost or doubled original, no leftovers"
expect_eq "$bad" 0 "ingest kill trials with a problem"

# ---- build --------------------------------------------------------------------------------
cw --station "$ST" build --date 2026-03-16
expect_rc 0 "setup: first bundle for 2026-03-16 (English missing)"
OLD_SUMS=$(cat "$ST/out/2026-03-16/SHA256SUMS")
cp -a "$ST/out/2026-03-16" "$CW_TMP/old-bundle"
cw --station "$ST" ingest --series english --episode 1 english1.wav
expect_rc 0 "setup: English 1 ingested (the next build differs)"
T_BUILD=$(run_ms build --date 2026-03-16)
NEW_SUMS=$(cat "$ST/out/2026-03-16/SHA256SUMS")
[ "$OLD_SUMS" != "$NEW_SUMS" ] && ok "reference builds differ (old and new bundle), ${T_BUILD} ms" ||
    not_ok "old and new bundle are the same: the trials could not tell them apart"
run_ms build --date 2026-03-17 >/dev/null
NEW17_SUMS=$(cat "$ST/out/2026-03-17/SHA256SUMS" 2>/dev/null)
rm -rf "$ST/out/2026-03-17"

restore_old() {
    rm -rf "$ST/out/2026-03-16"
    cp -a "$CW_TMP/old-bundle" "$ST/out/2026-03-16"
}
bundle_state() { # DIR OLD NEW -> "absent" | "old" | "new" | "BAD: why"
    local d=$1
    if [ ! -e "$d" ]; then echo absent; return; fi
    "$CW_BINARY" verify "$d" >/dev/null 2>&1 || { echo "BAD: verify fails"; return; }
    local s
    s=$(cat "$d/SHA256SUMS")
    if [ -n "$2" ] && [ "$s" = "$2" ]; then echo old; elif [ "$s" = "$3" ]; then echo new; else echo "BAD: neither old nor new"; fi
}
restore_old
bad=0 hits=0 states=
for i in $(seq 1 "$TRIALS"); do
    ms=$((RANDOM % (T_BUILD + 20)))
    why=
    if [ $((i % 2)) = 1 ]; then
        kill_at "$ms" build --date 2026-03-16
        s=$(bundle_state "$ST/out/2026-03-16" "$OLD_SUMS" "$NEW_SUMS")
        [ "$s" = old ] || [ "$s" = new ] || why="2026-03-16 with a previous bundle: $s"
    else
        kill_at "$ms" build --date 2026-03-17
        s=$(bundle_state "$ST/out/2026-03-17" "" "$NEW17_SUMS")
        [ "$s" = absent ] || [ "$s" = new ] || why="2026-03-17 without a previous bundle: $s"
    fi
    hits=$((hits + KILLED))
    states="$states $s"
    # no file of a half-built bundle under a final name in out/
    stray=$(cd "$ST/out" && ls -A | grep -vxE '2026-03-1[67]|\.[^/]*\.tmp-[0-9]+|\.[^/]*\.old-[0-9]+' | head -3)
    [ -z "$stray" ] || why="$why; unexpected entries in out/: $stray"
    if [ $((i % 5)) = 0 ]; then
        for d in 2026-03-16 2026-03-17; do
            "$CW_BINARY" --station "$ST" build --date $d >/dev/null 2>"$CW_TMP/rerun.err" </dev/null ||
                why="$why; rerun of $d failed: $(head -1 "$CW_TMP/rerun.err")"
        done
        [ "$(bundle_state "$ST/out/2026-03-16" "" "$NEW_SUMS")" = new ] || why="$why; rerun of 2026-03-16 is not the complete bundle"
        [ "$(bundle_state "$ST/out/2026-03-17" "" "$NEW17_SUMS")" = new ] || why="$why; rerun of 2026-03-17 is not the complete bundle"
        left=$(find "$ST/out" -maxdepth 1 -name '.*' | head -3)
        [ -z "$left" ] || why="$why; rerun left temporaries: $left"
        rm -rf "$ST/out/2026-03-17"
    fi
    [ $((i % 2)) = 1 ] && restore_old
    if [ -n "$why" ]; then
        bad=$((bad + 1))
        not_ok "build trial $i (kill after $ms ms): ${why#; }"
    fi
done
summary=$(echo "$states" | tr ' ' '\n' | grep . | sort | uniq -c | awk '{printf "%s %s, ", $1, $2}')
[ $bad = 0 ] && ok "build: $TRIALS kills ($hits hit a running process; bundles seen: ${summary%, }): previous bundle intact or the new one complete, every bundle verifies, reruns complete and clean up"
expect_eq "$bad" 0 "build kill trials with a problem"

# ---- calendar import ------------------------------------------------------------------------
mkdir -p import
sed 's/SUMMARY:Maths/SUMMARY:Maths (updated)/' partner.ics >partner.ics.v2
cp partner.ics.v2 import/partner.ics
CAL=$ST/calendars/partner.ics
T_IMP=$(run_ms calendar import import/partner.ics --priority 4)
cmp -s "$CAL" partner.ics.v2 && ok "reference import of the updated calendar: ${T_IMP} ms" || not_ok "reference import did not install the new calendar"
cw --station "$ST" calendar import partner.ics --priority 0 # the old version is the previous one again
bad=0 hits=0
for i in $(seq 1 "$TRIALS"); do
    ms=$((RANDOM % (T_IMP + 10)))
    kill_at "$ms" calendar import import/partner.ics --priority 4
    hits=$((hits + KILLED))
    why=
    if ! cmp -s "$CAL" partner.ics && ! cmp -s "$CAL" partner.ics.v2; then
        why="calendars/partner.ics is neither the old nor the new file"
    fi
    "$CW_BINARY" --station "$ST" library >/dev/null 2>"$CW_TMP/conf.err" </dev/null ||
        why="$why; station.conf no longer loads: $(head -1 "$CW_TMP/conf.err")"
    if [ $((i % 5)) = 0 ]; then
        "$CW_BINARY" --station "$ST" calendar import import/partner.ics --priority 4 >/dev/null 2>"$CW_TMP/rerun.err" </dev/null ||
            why="$why; rerun failed: $(head -1 "$CW_TMP/rerun.err")"
        cmp -s "$CAL" partner.ics.v2 || why="$why; rerun did not install the new calendar"
        grep -q '^partner.ics = 4' "$ST/station.conf" || why="$why; rerun did not record the priority"
        left=$(tmp_leftovers | grep -E '/calendars/|/\.station\.conf\.tmp' | head -3)
        [ -z "$left" ] || why="$why; rerun left temporaries: $left"
        "$CW_BINARY" --station "$ST" calendar import partner.ics --priority 0 >/dev/null 2>&1 </dev/null
    fi
    if [ -n "$why" ]; then
        bad=$((bad + 1))
        not_ok "import trial $i (kill after $ms ms): ${why#; }"
    fi
done
[ $bad = 0 ] && ok "calendar import: $TRIALS kills ($hits hit a running process): calendars/ holds the old or the new file, station.conf always loads, reruns complete and clean up"
expect_eq "$bad" 0 "import kill trials with a problem"

cw_finish
