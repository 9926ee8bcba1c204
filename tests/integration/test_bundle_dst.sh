#!/usr/bin/env bash
# test_bundle_dst.sh — a day bundle across the spring-forward change in Europe/Berlin
# (2026-03-29, 02:00 CET -> 03:00 CEST): the on-air window 01:50-03:10 local is 20 real
# minutes, day.ogg holds exactly that many samples (libvorbisfile), the lesson at 03:00 CEST
# starts exactly 10 minutes (in samples) after the window start and its tone is there,
# every other item's tone is at its planned offset, and the guide and playlists show the
# local times on both sides of the jump.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/test_bundle_station.inc"
cw_need sox
cw_skip_if_missing

date=2026-03-29
rate=22050
window=$((20 * 60 * rate))
st=$(TIMES="01:55 01:56 03:00 03:01 03:02" tone_station dst Europe/Berlin 01:50-03:10 $rate $date) ||
    { not_ok "make the tone station"; cw_finish; }
bundle=$st/out/$date

cw --station "$st" build --date $date
expect_rc 0 "build the spring-forward day"
expect_out_re "built .*: [0-9]+ items, 0:20:00 on air" "the window is 20 real minutes"

vorbis_links "$bundle/day.ogg" >"$CW_TMP/links.txt"
n_items=$(json_get "$bundle/plan.json" 'len(d["items"])')
expect_eq "$(sed -n 's/^links //p' "$CW_TMP/links.txt")" "$n_items" "libvorbisfile: one link per item"
expect_eq "$(sed -n 's/^total //p' "$CW_TMP/links.txt")" "$window" "libvorbisfile: exactly 20 minutes of samples"

plants=$(json_get "$bundle/plan.json" '[i["offset_samples"] for i in d["items"] if i["title"] == "Plants"][0]')
expect_eq "$plants" $((10 * 60 * rate)) "the 03:00 CEST lesson starts 10 real minutes (in samples) after 01:50 CET"
tone_check "$bundle" >"$CW_TMP/tones.txt"
expect_eq "$(sed -n 's/^bad //p' "$CW_TMP/tones.txt")" 0 "every item's tone starts at its planned offset ($(grep -c '^ok' "$CW_TMP/tones.txt") items)"
grep '^BAD' "$CW_TMP/tones.txt" | head -5
check "the science tone is at the 03:00 offset" grep -q "^ok item [0-9]* science-6 1320 Hz at $plants:" "$CW_TMP/tones.txt"

check "guide.txt: the maths lesson at 01:55" grep -q '^01:55  <b>Fractions</b>' "$bundle/guide.txt"
check "guide.txt: the science lesson at 03:00" grep -q '^03:00  Plants - Ms C' "$bundle/guide.txt"
expect_eq "$(grep -c '^02:' "$bundle/guide.txt")" 0 "guide.txt: no item at 02:xx (that hour does not exist)"
check "guide.txt: the window and the zone named" grep -q 'on air 01:50-03:10 (Europe/Berlin, UTC+01:00)' "$bundle/guide.txt"
check "liquidsoap.m3u: planned start in CEST" grep -q 'title="Plants",artist="Ms C",planned_start="2026-03-29T03:00:00+02:00"' "$bundle/liquidsoap.m3u"
check "liquidsoap.m3u: planned start in CET" grep -q 'planned_start="2026-03-29T01:55:00+01:00"' "$bundle/liquidsoap.m3u"
check "items/: the science file is named for 03:00" bash -c "ls '$bundle/items' | grep -q -- '-0300-plants.ogg\$'"
check "day.cue: the science track at 10:00:00 into day.ogg" grep -q 'INDEX 01 10:00:00' "$bundle/day.cue"
cw verify "$bundle"
expect_rc 0 "verify the DST bundle"

cw_finish
