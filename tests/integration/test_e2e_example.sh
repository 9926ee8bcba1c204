#!/usr/bin/env bash
# test_e2e_example.sh — the first day on air (issue #2 point 5) with the real binary on a copy
# of the example station: calendar check -> ingest --inbox (WAV, FLAC, MP3, Opus, Vorbis with
# sidecars) -> library -> plan -> build -> verify. Checked with real peers: ogginfo finds no
# errors, libvorbisfile (ctypes) sees one link per plan item, each link exactly its planned
# length and the whole file exactly the on-air window in samples, decoding them all; ffmpeg's
# ebur128 re-measures the library; sha256sum -c passes in the bundle; a flipped byte fails
# verify; a second build is byte-identical; episodes count from the series' first day.
. "$(dirname "$0")/lib.sh"
cw_need ffmpeg ogginfo
cw_skip_if_missing

date=2027-01-13 # Wednesday of the first week: Maths P5 and English P4 episode 2, school news
rate=44100
window=$((45 * 60 * rate)) # on_air = 07:25-08:10

st=$(example_station e2e)
rm -rf "$st/recordings"
cp "$CW_SOURCE_DIR"/examples/station/recordings/* "$st/inbox/"
examples_sum=$(tree_sum "$CW_SOURCE_DIR/examples")

# ---- calendar ---------------------------------------------------------------------------
cw --station "$st" calendar check "$st/calendars/lagos-primary-term2.ics"
expect_rc 0 "calendar check on the example partner calendar"
cw --station "$st" calendar expand --from 2027-01-11 --to 2027-01-18 --format tsv "$st/calendars/lagos-primary-term2.ics"
expect_rc 0 "calendar expand of the first week"
# Mon: maths+english, Tue: -, Wed: maths+english+news, Thu: -, Fri: maths = 6 occurrences
expect_eq "$(grep -c . "$CW_OUT")" 6 "the first week has 6 occurrences"
expect_out "2027-01-13T06:30:00Z" "Maths P5 at 07:30 Lagos is 06:30 UTC"
expect_out "2027-01-13T07:00:00Z" "School news at 08:00 Lagos is 07:00 UTC"

# ---- ingest ---------------------------------------------------------------------------
cw --station "$st" ingest --inbox
expect_rc 0 "ingest --inbox of the seven example recordings"
n_lib=$(find "$st/library" -name '*.ogg' | wc -l)
expect_eq "$n_lib" 7 "seven recordings in the library"
n_left=$(find "$st/inbox" -maxdepth 1 -type f ! -name '*.txt' | wc -l)
expect_eq "$n_left" 0 "no recording is left in the inbox"
n_acc=$(find "$st/inbox/accepted" -type f ! -name '*.txt' | wc -l)
expect_eq "$n_acc" 7 "the seven originals moved to inbox/accepted"
n_rej=$(find "$st/inbox/rejected" -type f | wc -l)
expect_eq "$n_rej" 0 "nothing was rejected"
for f in "$st"/library/*/*/*.ogg; do
    [ -f "$f" ] || continue
    rel=${f#"$st"/}
    if ogginfo_check "$f" >"$CW_TMP/ogginfo.txt"; then
        ok "ogginfo: no errors in $rel"
    else
        not_ok "ogginfo complains about $rel: $(head -2 "$CW_TMP/ogginfo.txt")"
    fi
    # Loudness of the decoded library file, measured by ffmpeg (an independent peer).
    # (mono is measured as dual mono, as BS.1770 and chalkwave do: ffmpeg's default would
    # read a mono file 3 dB lower)
    lufs=$(ffmpeg -nostdin -hide_banner -i "$f" -af ebur128=peak=true:dualmono=true -f null - 2>&1 |
        sed -n 's/^ *I: *\(-\{0,1\}[0-9.]*\) LUFS.*/\1/p' | tail -1)
    if [ -n "$lufs" ] && awk -v l="$lufs" 'BEGIN { exit !(l >= -24.0 && l <= -22.0) }'; then
        ok "$rel measures $lufs LUFS with ffmpeg (target -23 +/- 1)"
    else
        not_ok "$rel measures '$lufs' LUFS with ffmpeg (target -23 +/- 1)"
    fi
done
for k in lesson/maths-p5 lesson/english-p4 filler/station-id filler/music-bed newsletter/school-news; do
    expect_dir "$st/library/$k" "library/$k/ exists"
done

cw --station "$st" library --format json
expect_rc 0 "library --format json"
cp "$CW_OUT" "$CW_TMP/library.json"
cw --station "$st" library
expect_rc 0 "library (text)"
expect_out "Adding fractions" "the library lists 'Adding fractions'"
expect_out "Mr Okafor" "the library lists the teacher Mr Okafor"

# The same recording again: refused as a duplicate by name of its library copy, nothing stored
# twice. (Through the inbox it is filed away with a warning: an identical file there is what
# a run killed between storing and filing leaves behind.)
lib_sum=$(tree_sum "$st/library")
cw --station "$st" ingest --series maths-p5 --episode 9 "$CW_SOURCE_DIR/examples/station/recordings/maths-p5-01.wav"
expect_rc 1 "ingesting the same recording again (as another episode) is refused"
expect_err "already in the library as 'library/lesson/maths-p5/001-" "the refusal names the library copy"
cp "$CW_SOURCE_DIR/examples/station/recordings/maths-p5-01.wav" "$CW_SOURCE_DIR/examples/station/recordings/maths-p5-01.txt" "$st/inbox/"
cw --station "$st" ingest --inbox
if grep -q "already in the library" "$CW_OUT" "$CW_ERR"; then ok "the inbox copy is recognised as already in the library"; else not_ok "the inbox copy was not recognised"; cw_show_last; fi
expect_eq "$(find "$st/inbox" -maxdepth 1 -type f | wc -l)" 0 "the inbox is empty again"
expect_eq "$(tree_sum "$st/library")" "$lib_sum" "the library is unchanged: nothing is stored twice"

# ---- plan -------------------------------------------------------------------------------
cw --station "$st" plan --date "$date" --format json
expect_rc 0 "plan --date $date --format json"
plan=$CW_TMP/plan.json
cp "$CW_OUT" "$plan"
expect_eq "$(json_get "$plan" 'd["date"]')" "$date" "plan date"
expect_eq "$(json_get "$plan" 'd["timezone"]')" "Africa/Lagos" "plan time zone"
expect_eq "$(json_get "$plan" 'd["rate"]')" "$rate" "plan rate"
expect_eq "$(json_get "$plan" 'd["window"]["start"]')" "2027-01-13T07:25:00+01:00" "window start"
expect_eq "$(json_get "$plan" 'd["window"]["end"]')" "2027-01-13T08:10:00+01:00" "window end"
expect_eq "$(json_get "$plan" 'd["items"][0]["offset_samples"]')" 0 "the first item starts the window"
expect_eq "$(json_get "$plan" 'all(a["offset_samples"] + a["length_samples"] == b["offset_samples"] for a, b in zip(d["items"], d["items"][1:]))')" True "items are contiguous: no gaps, no overlaps"
expect_eq "$(json_get "$plan" 'sum(i["length_samples"] for i in d["items"])')" "$window" "items cover exactly the 45-minute window in samples"
expect_eq "$(json_get "$plan" 'all(i["length_samples"] > 0 for i in d["items"])')" True "every item has a length"
# The lessons: hard starts, to the sample, with episode 2 (episode 1 aired on Monday).
lesson() { # SERIES -> "offset episode kind start"
    json_get "$plan" "[(i['offset_samples'], i['episode'], i['kind'], i['start']) for i in d['items'] if i['series'] == '$1' and i['kind'] in ('lesson', 'newsletter')]"
}
expect_eq "$(lesson maths-p5)" "[[$((5 * 60 * rate)), 2, \"lesson\", \"2027-01-13T07:30:00+01:00\"]]" "Maths P5 episode 2 starts at 07:30, sample $((5 * 60 * rate))"
expect_eq "$(lesson english-p4)" "[[$((20 * 60 * rate)), 2, \"lesson\", \"2027-01-13T07:45:00+01:00\"]]" "English P4 episode 2 starts at 07:45, sample $((20 * 60 * rate))"
expect_eq "$(json_get "$plan" "[i['offset_samples'] for i in d['items'] if i['kind'] == 'newsletter']")" "[$((35 * 60 * rate))]" "the school news starts at 08:00, sample $((35 * 60 * rate))"
expect_eq "$(json_get "$plan" "sorted(set(i['series'] for i in d['items'] if i['kind'] == 'filler'))")" '["music-bed", "station-id"]' "gaps are filled with the two fillers of station.conf in rotation"
expect_eq "$(json_get "$plan" "all(i['recording'] is None for i in d['items'] if i['kind'] == 'silence')")" True "silence items have no recording"
expect_eq "$(json_get "$plan" "all(i['event_uid'] for i in d['items'] if i['kind'] == 'lesson')")" True "each lesson names its calendar event"
n_items=$(json_get "$plan" 'len(d["items"])')

cw --station "$st" plan --date "$date"
expect_rc 0 "plan --date $date (text rundown)"
expect_out "07:30" "the rundown shows 07:30"
expect_out "Adding fractions" "the rundown shows the maths lesson's title"
expect_out "Yesterday I walked" "the rundown shows the English lesson's title"

# Monday: episode 1 of both series.
cw --station "$st" plan --date 2027-01-11 --format json
expect_rc 0 "plan for Monday 2027-01-11"
cp "$CW_OUT" "$CW_TMP/monday.json"
expect_eq "$(json_get "$CW_TMP/monday.json" "sorted((i['series'], i['episode']) for i in d['items'] if i['kind'] == 'lesson')")" '[["english-p4", 1], ["maths-p5", 1]]' "Monday plays episode 1 of each series"
# Friday: Maths P5 episode 3 is not in the library: the slot is filled and the plan says so.
cw --station "$st" plan --date 2027-01-15 --format json
expect_rc 0 "plan for Friday 2027-01-15 (episode 3 missing)"
if grep -q 'maths-p5' "$CW_OUT" && grep -qE '"[^"]*(missing|not in the library)[^"]*3[^"]*"|"[^"]*3[^"]*(missing|not in the library)[^"]*"' "$CW_OUT"; then
    ok "the plan warns that maths-p5 episode 3 is missing"
else
    not_ok "the plan does not warn about the missing maths-p5 episode 3"
fi
# Good Friday: a holiday; no lessons.
cw --station "$st" plan --date 2027-03-26 --format json
expect_rc 0 "plan for Good Friday 2027-03-26"
cp "$CW_OUT" "$CW_TMP/holiday.json"
expect_eq "$(json_get "$CW_TMP/holiday.json" "len([i for i in d['items'] if i['kind'] == 'lesson'])")" 0 "no lesson airs on the holiday"
expect_out "Good Friday" "the holiday plan names the holiday"

# ---- export: the week for schools and parents, read back by python3-icalendar ----------
cw --station "$st" export --from 2027-01-11 --to 2027-01-15
expect_rc 0 "export --from 2027-01-11 --to 2027-01-15"
cp "$CW_OUT" "$CW_TMP/week.ics"
wed=$("$CW_PYTHON" - "$CW_TMP/week.ics" <<'PYEOF' 2>&1
import sys, icalendar
cal = icalendar.Calendar.from_ical(open(sys.argv[1], "rb").read())
ev = [e for e in cal.walk("VEVENT") if e.decoded("DTSTART").strftime("%Y-%m-%d") == "2027-01-13"]
print("; ".join("%s %s" % (e.decoded("DTSTART").strftime("%H:%M%z"), e.get("SUMMARY")) for e in sorted(ev, key=lambda e: e.decoded("DTSTART"))))
PYEOF
)
expect_eq "$wed" "07:30+0100 Maths P5, episode 2; 07:45+0100 English P4, episode 2; 08:00+0100 School news" "the exported Wednesday, read by python3-icalendar: titled by the partner's events (#14 point 3)"

# ---- build --------------------------------------------------------------------------------
cw --station "$st" build --date "$date"
expect_rc 0 "build --date $date"
bundle=$st/out/$date
expect_file "$bundle/day.ogg" "the bundle has day.ogg"
for f in plan.json SHA256SUMS playlist.m3u8 guide.html; do expect_file "$bundle/$f" "the bundle has $f"; done
# guide.txt is for announcers and SMS: the programme, with each run of fillers as one line
expect_eq "$(grep -c '^07:30  Adding fractions - Mrs Adebayo (lesson, maths-p5 ep 2' "$bundle/guide.txt")" 1 "guide.txt: the maths lesson at 07:30"
expect_eq "$(grep -c '^07:45  Yesterday I walked' "$bundle/guide.txt")" 1 "guide.txt: the English lesson at 07:45"
expect_eq "$(grep -c '^08:00  School news' "$bundle/guide.txt")" 1 "guide.txt: the newsletter at 08:00"
expect_eq "$(grep -c 'Between programmes: ' "$bundle/guide.txt")" 4 "guide.txt: each of the 4 gaps is one line, not one line per station ID"
# guide.html is printed: 3 programme rows and each of the 4 gaps as one row with its time span
expect_eq "$(grep -c '<tr class=' "$bundle/guide.html")" 7 "guide.html: 7 rows (3 programmes, 4 gaps), not one per item"
expect_eq "$(grep -c '<tr class="r-lesson"><td class="time">07:30</td><td><strong>Adding fractions</strong>' "$bundle/guide.html")" 1 "guide.html: the maths lesson's row at 07:30"
expect_eq "$(grep -c '<tr class="r-newsletter"><td class="time">08:00</td>' "$bundle/guide.html")" 1 "guide.html: the newsletter's row at 08:00"
expect_eq "$(grep -oE '<tr class="r-fill"><td class="time">[0-9:]+&ndash;[0-9:]+</td>' "$bundle/guide.html" | grep -oE '[0-9]{2}:[0-9]{2}&ndash;[0-9]{2}:[0-9]{2}' | tr '\n' ' ')" "07:25&ndash;07:30 07:30&ndash;07:45 07:45&ndash;08:00 08:00&ndash;08:10 " "guide.html: the 4 gaps as rows spanning 07:25-07:30, 07:30-07:45, 07:45-08:00, 08:00-08:10"
if [ -f "$bundle/day.ogg" ]; then
    size=$(stat -c %s "$bundle/day.ogg")
    if [ "$size" -lt $((10 * 1024 * 1024)) ]; then ok "day.ogg is small ($size bytes for 45 minutes)"; else not_ok "day.ogg is $size bytes"; fi
    if ogginfo_check "$bundle/day.ogg" >"$CW_TMP/ogginfo.txt"; then
        ok "ogginfo: no errors or warnings in day.ogg ($OGGINFO_STREAMS logical streams, each its own serial)"
    else
        not_ok "ogginfo complains about day.ogg: $(head -3 "$CW_TMP/ogginfo.txt")"
    fi
    vorbis_links "$bundle/day.ogg" --decode >"$CW_TMP/links.txt"
    expect_eq "$?" 0 "libvorbisfile opens day.ogg"
    expect_eq "$(sed -n 's/^links //p' "$CW_TMP/links.txt")" "$n_items" "libvorbisfile: one link per plan item"
    expect_eq "$(sed -n 's/^total //p' "$CW_TMP/links.txt")" "$window" "libvorbisfile: day.ogg is exactly the window, $window samples"
    planned=$(json_get "$plan" "' '.join(str(i['length_samples']) for i in d['items'])")
    actual=$(awk '$1 == "link" { printf "%s%s", sep, $3; sep = " " }' "$CW_TMP/links.txt")
    expect_eq "$actual" "$planned" "libvorbisfile: each link has exactly its planned length"
    decoded=$(awk '$1 == "decoded" { printf "%s%s", sep, $3; sep = " " }' "$CW_TMP/links.txt")
    expect_eq "$decoded" "$planned" "decoding every link gives exactly the planned samples"
    expect_eq "$(awk '$1 == "link" && ($4 != 44100 || $5 != 1)' "$CW_TMP/links.txt" | wc -l)" 0 "every link is 44100 Hz mono"
    # The lessons and the news are the library recordings themselves: each link decodes to
    # exactly the samples of its library file (pages copied, not re-encoded).
    for k in maths-p5 english-p4 school-news; do
        idx=$(json_get "$plan" "[n for n, i in enumerate(d['items']) if i['series'] == '$k' and i['kind'] != 'filler'][0]")
        rec=$(json_get "$plan" "d['items'][$idx]['recording']")
        vorbis_links "$st/$rec" --decode >"$CW_TMP/rec.txt"
        want=$(awk '$1 == "decoded" { print $4 }' "$CW_TMP/rec.txt")
        got=$(awk -v i="$idx" '$1 == "decoded" && $2 == i { print $4 }' "$CW_TMP/links.txt")
        expect_eq "$got" "$want" "link $idx of day.ogg decodes to exactly $rec"
    done
    if (cd "$bundle" && sha256sum --quiet -c SHA256SUMS) >"$CW_TMP/sums.txt" 2>&1; then
        ok "sha256sum -c SHA256SUMS passes inside the bundle"
    else
        not_ok "sha256sum -c SHA256SUMS: $(head -3 "$CW_TMP/sums.txt")"
    fi
    cmp -s "$bundle/plan.json" "$plan" && ok "the bundle's plan.json is the plan" || not_ok "the bundle's plan.json differs from 'plan --format json'"
fi
expect_eq "$(find "$st/out" -name '*.tmp*' | wc -l)" 0 "no temporary files are left in out/"

cw --station "$st" verify "$bundle"
expect_rc 0 "verify the bundle"

# Deterministic: a second build gives the same bytes.
first=$(tree_sum "$bundle")
cw --station "$st" build --date "$date"
expect_rc 0 "a second build of the same day"
expect_eq "$(tree_sum "$bundle")" "$first" "the rebuilt bundle is byte-identical"

# A flipped byte is found.
cp -R "$bundle" "$CW_TMP/tampered"
printf '\xff' | dd of="$CW_TMP/tampered/day.ogg" bs=1 seek=100000 conv=notrunc status=none
cw --station "$st" verify "$CW_TMP/tampered"
expect_rc 1 "verify finds a flipped byte in day.ogg"
if grep -q "day.ogg" "$CW_OUT" "$CW_ERR"; then ok "verify names day.ogg"; else not_ok "verify does not name day.ogg"; cw_show_last; fi

# ---- the example was only read ---------------------------------------------------------------
expect_eq "$(tree_sum "$CW_SOURCE_DIR/examples")" "$examples_sum" "examples/ is unchanged"

cw_finish
