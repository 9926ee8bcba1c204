#!/bin/bash
# test_robust_concurrency.sh — several chalkwave processes on one station at once.
# 1. Two (and in one trial three) `ingest --inbox` runs started together on an inbox of 8
#    labelled recordings: every file is ingested exactly once (8 recordings, 8 originals in
#    accepted/, none doubled or rejected, no claim folders left), over several trials.
# 2. `build` and `library` run over and over while `ingest` adds recordings: every build
#    succeeds and its bundle verifies, every item it took from the library is byte-identical
#    to the finished library file (never a half-written one), and no library listing ever
#    sees a damaged file.
. "$(dirname "$0")/lib.sh"
cw_need sox
cw_skip_if_missing

TRIALS=${CW_CONCURRENCY_TRIALS:-4}
N=8
cd "$CW_TMP" || exit 1

station() { # NAME -> path of a fresh small station
    small_station "$1" "Busy Radio" 07:00-07:02
}

for i in $(seq 1 $N); do
    sox -n -r 8000 -c 1 -b 16 "tone$i.wav" synth 2 sine $((300 + 40 * i)) vol 0.3
done

# ---- 1. concurrent inbox runs ------------------------------------------------------------------
dups=0 lost=0 bad=0
for t in $(seq 1 "$TRIALS"); do
    ST=$(station "inbox$t")
    for i in $(seq 1 $N); do
        cp "tone$i.wav" "$ST/inbox/lesson$i.wav"
        printf 'Series: busy\nEpisode: %d\nTitle: Lesson %d\n' "$i" "$i" >"$ST/inbox/lesson$i.txt"
    done
    runs=2
    [ "$t" = "$TRIALS" ] && runs=3
    pids=()
    for r in $(seq 1 $runs); do
        $CW_WRAPPER "$CW_BINARY" --station "$ST" ingest --inbox -j 2 >"run$t.$r.out" 2>"run$t.$r.err" </dev/null &
        pids+=($!)
    done
    rcs=
    for p in "${pids[@]}"; do
        wait "$p"
        rcs="$rcs $?"
    done
    recs=$(find "$ST/library" -name '*.ogg' ! -name '.*' | wc -l)
    eps=$(find "$ST/library/lesson/busy" -name '*.ogg' ! -name '.*' 2>/dev/null | sed 's|.*/0*\([0-9]*\)-.*|\1|' | sort -n | uniq | tr '\n' ' ')
    acc=$(find "$ST/inbox/accepted" -name '*.wav' | wc -l)
    acc_names=$(cd "$ST/inbox/accepted" && ls *.wav 2>/dev/null | sort | tr '\n' ' ')
    want_names=$(for i in $(seq 1 $N); do echo "lesson$i.wav"; done | sort | tr '\n' ' ')
    rej=$(find "$ST/inbox/rejected" -type f | wc -l)
    left=$(find "$ST/inbox" -maxdepth 1 \( -name '*.wav' -o -name '.processing-*' \) | wc -l)
    said=$(cat run$t.*.out | grep -c '^accepted ')
    why=
    [ "$rcs" = "$(printf ' 0%.0s' $(seq 1 $runs))" ] || why="exit codes$rcs"
    [ "$recs" = $N ] || why="$why; $recs recordings in the library"
    [ "$eps" = "$(seq 1 $N | tr '\n' ' ')" ] || why="$why; episodes: $eps"
    [ "$acc_names" = "$want_names" ] || why="$why; accepted/: $acc_names"
    [ "$rej" = 0 ] || why="$why; $rej files in rejected/: $(ls "$ST/inbox/rejected")"
    [ "$left" = 0 ] || why="$why; $left files or claims left in the inbox"
    [ "$said" = $N ] || why="$why; the runs reported $said acceptances together"
    [ "$recs" -gt $N ] && dups=$((dups + recs - N))
    [ "$recs" -lt $N ] && lost=$((lost + N - recs))
    if [ -n "$why" ]; then
        bad=$((bad + 1))
        not_ok "inbox trial $t ($runs runs at once): ${why#; }"
        sed 's/^/    /' run$t.*.err | head -6
    fi
done
[ $bad = 0 ] && ok "concurrent ingest --inbox: $TRIALS trials (2, 2, ..., 3 runs at once) of $N files: each file ingested exactly once, 0 duplicates, 0 lost"
expect_eq "$dups/$lost" "0/0" "duplicates/lost recordings over all inbox trials"

# ---- 2. build and library while ingest runs ----------------------------------------------------
ST=$(station busy)
printf '%s\r\n' 'BEGIN:VCALENDAR' 'VERSION:2.0' 'PRODID:-//chalkwave tests//busy//EN' 'BEGIN:VEVENT' \
    'UID:busy@concurrency.test' 'DTSTAMP:20260101T000000Z' 'DTSTART;TZID=Africa/Lagos:20260316T070000' \
    'DTEND;TZID=Africa/Lagos:20260316T070030' 'RRULE:FREQ=DAILY' 'SUMMARY:Busy lesson' \
    'X-CHALKWAVE-SERIES:busy' 'END:VEVENT' 'END:VCALENDAR' >busy.ics
cw --station "$ST" calendar import busy.ics
expect_rc 0 "setup: daily lesson calendar imported"
files=()
for i in $(seq 1 $N); do # resampled and downmixed: each takes a while, builds overlap them
    sox -n -r 44100 -c 2 -b 16 "big$i.wav" synth 15 sine $((300 + 40 * i)) vol 0.3
    files+=("big$i.wav")
done
$CW_WRAPPER "$CW_BINARY" --station "$ST" ingest --series busy --episode 1 -j 1 "${files[@]}" >ingest.out 2>ingest.err </dev/null &
ING=$!
builds=0 bfail=0 lscans=0 lfail=0 items=0 mismatch=0
d=0
while kill -0 "$ING" 2>/dev/null || [ $builds -lt 2 ]; do
    d=$((d % N + 1))
    date=2026-03-$(printf '%02d' $((15 + d)))
    out=$CW_TMP/bundles/$date
    mkdir -p "$CW_TMP/bundles"
    if $CW_WRAPPER "$CW_BINARY" --station "$ST" build --date "$date" --out "$out" >build.out 2>build.err </dev/null; then
        builds=$((builds + 1))
        if ! "$CW_BINARY" verify "$out" >/dev/null 2>&1; then
            bfail=$((bfail + 1))
            not_ok "bundle $date built during ingest does not verify"
        fi
        # every lesson item must be the finished library file, byte for byte
        while IFS=$'\t' read -r rec item; do
            [ -n "$rec" ] || continue
            items=$((items + 1))
            cmp -s "$ST/$rec" "$out/$item" || {
                mismatch=$((mismatch + 1))
                not_ok "bundle $date: $item is not the library file $rec"
            }
        done < <(/usr/bin/python3 - "$out/plan.json" "$out" <<'PYEOF'
import json, os, sys
plan = json.load(open(sys.argv[1]))
items = sorted(os.listdir(os.path.join(sys.argv[2], "items")))
for i, it in enumerate(plan["items"]):
    if it["kind"] == "lesson" and it["recording"] and not it["cut"]:
        match = [f for f in items if f.startswith("%03d-" % (i + 1))]
        if match:
            print(it["recording"] + "\titems/" + match[0])
PYEOF
)
    else
        bfail=$((bfail + 1))
        not_ok "build --date $date during ingest failed: $(head -1 build.err)"
    fi
    if "$CW_BINARY" --station "$ST" library >lib.out 2>lib.err </dev/null && ! grep -q . lib.err; then
        lscans=$((lscans + 1))
    else
        lfail=$((lfail + 1))
        not_ok "library listing during ingest: $(head -1 lib.err)"
    fi
done
wait "$ING"
irc=$?
expect_eq "$irc" 0 "the ingest of $N files that ran alongside finished"
recs=$(find "$ST/library" -name '*.ogg' ! -name '.*' | wc -l)
expect_eq "$recs" "$N" "recordings in the library after the concurrent ingest"
[ $((bfail + lfail + mismatch)) = 0 ] && [ $builds -ge 2 ] &&
    ok "build while ingest runs: $builds builds verified, $items lesson items identical to finished library files, $lscans library scans clean" ||
    not_ok "build while ingest runs: $bfail failed builds, $mismatch items differing from the library, $lfail unclean scans ($builds builds)"

cw_finish
