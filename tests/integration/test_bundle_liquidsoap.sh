#!/usr/bin/env bash
# test_bundle_liquidsoap.sh — the bundle in Liquidsoap (Debian's 2.1), as a station would
# run it, with the clock in non-realtime mode (clock(sync="none")) so it runs as fast as
# it decodes:
#   1. liquidsoap.m3u (annotate: lines, absolute paths) plays to output.file: every item
#      in plan order, the titles/artists/planned starts it logs match the plan, the output
#      is the window's length;
#   2. day.cue is read by Liquidsoap's own CUE parser: one track per item, titles and cue
#      points (liq_cue_in) at the planned offsets, never after them and less than one CUE
#      frame (1/75 s) before (0 <= offset - cue_in < 1/75 s), all over day.ogg;
#   3. day.ogg (what the CUE sheet points at) plays through Liquidsoap's Ogg decoder: the
#      per-link Vorbis comments give the titles the plan has, in order, and the output is
#      exactly the window.
# Liquidsoap 2.1 cannot seek inside a chained Ogg file (its ffmpeg decoder: "failed to
# create or replace stream"/"not yet implemented"; its Ogg decoder: Invalid_stream), so
# cue_cut over day.cue cannot be played track by track; 2. and 3. together check the same
# things without seeking.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/test_bundle_station.inc"

cw_need liquidsoap sox
cw_skip_if_missing

date=2027-01-13
rate=22050
# a 10.0021 s filler puts the items after it off CUE frames (1/75 s = 294 samples)
st=$(FILLER_SECS=10.0021 tone_station liq Africa/Lagos 07:00-07:05 $rate $date) || { not_ok "make the tone station"; cw_finish; }
bundle=$st/out/$date
cw --station "$st" build --date $date
expect_rc 0 "build the tone day"
n_items=$(json_get "$bundle/plan.json" 'len(d["items"])')

# Liquidsoap refuses to run as root unless told; harmless for a test.
root_ok=""
[ "$(id -u)" = 0 ] && root_ok='settings.init.allow_root.set(true)'

# What the plan says, one line per item: title TAB artist TAB planned start, as the
# bundle's writers spell them (display title: the title, "Silence" for silence).
"$CW_PYTHON" - "$bundle/plan.json" "$bundle/liquidsoap.m3u" >"$CW_TMP/want.tsv" <<'PYEOF'
import json, re, sys
plan = json.load(open(sys.argv[1], encoding="utf-8"))
starts = re.findall(r'planned_start="([^"]*)"', open(sys.argv[2], encoding="utf-8").read())
for it, start in zip(plan["items"], starts):
    title = it["title"] or ("Silence" if it["kind"] == "silence" else "")
    print("%s\t%s\t%s" % (title, it.get("teacher") or "", start))
PYEOF
expect_eq "$(wc -l <"$CW_TMP/want.tsv")" "$n_items" "one planned start per item in liquidsoap.m3u"

# One Liquidsoap run (its start-up costs seconds): it prints day.cue as its CUE parser
# reads it, then plays every line of liquidsoap.m3u and after them day.ogg to one file.
# Every request is resolved before the clock starts: playlist() prefetches while the
# non-realtime clock runs ahead, and a track that is not ready yet would be skipped.
cat >"$CW_TMP/play.liq" <<EOF
$root_ok
settings.log.stdout.set(true)
settings.log.file.set(false)
settings.log.level.set(3)
settings.decoder.decoders.set(["OGG"])
settings.frame.audio.samplerate.set($rate)
settings.frame.audio.channels.set(1)
cue = playlist.parse(argv(2))
list.iter(fun (x) -> begin let (m, u) = x; print("CUE\t#{m['title']}\t#{m['liq_cue_in']}\t#{u}") end, cue)
lines = list.filter(fun (l) -> l != "" and string.sub(l, start=0, length=1) != "#",
                    string.split(separator="\n", file.contents(argv(1))))
def ready(l) =
  r = request.create(l)
  if not request.resolve(r) then print("UNRESOLVED\t#{l}") end
  request.once(r)
end
s = sequence(list.map(ready, list.append(lines, [argv(3)])))
def show(m) = print("LIQ\t#{m['title']}\t#{m['artist']}\t#{m['planned_start']}") end
s = source.on_metadata(s, show)
s = clock(sync="none", s)
output.file(%wav(mono, samplerate=$rate), fallible=true, on_stop=shutdown, argv(4), s)
EOF
timeout 300 liquidsoap "$CW_TMP/play.liq" -- "$bundle/liquidsoap.m3u" "$bundle/day.cue" "$bundle/day.ogg" \
    "$CW_TMP/out.wav" >"$CW_TMP/liq.log" 2>&1
expect_eq "$?" 0 "liquidsoap plays liquidsoap.m3u and then day.ogg to output.file"
expect_eq "$(grep -c '^UNRESOLVED' "$CW_TMP/liq.log")" 0 "liquidsoap resolves every line of liquidsoap.m3u"
grep -E '\[[a-z0-9._/-]+:[12]\]' "$CW_TMP/liq.log" | grep -v -e 'Decoding .* ended' -e 'fdkaac' -e 'bwrap' >"$CW_TMP/liq.err"
expect_eq "$(wc -l <"$CW_TMP/liq.err")" 0 "liquidsoap logs no errors or warnings"
head -3 "$CW_TMP/liq.err"
grep '^LIQ' "$CW_TMP/liq.log" | cut -f2- >"$CW_TMP/got-all.tsv"

# ---- 1. liquidsoap.m3u ---------------------------------------------------------------------
head -n "$n_items" "$CW_TMP/got-all.tsv" >"$CW_TMP/got.tsv"
if cmp -s "$CW_TMP/want.tsv" "$CW_TMP/got.tsv"; then
    ok "liquidsoap.m3u: Liquidsoap logs every title, artist and planned start of the plan, in order ($n_items items)"
else
    not_ok "liquidsoap.m3u: Liquidsoap's titles differ from the plan"
    diff "$CW_TMP/want.tsv" "$CW_TMP/got.tsv" | head -10
fi

# ---- 2. day.cue through Liquidsoap's CUE parser ----------------------------------------------
expect_eq "$(grep -c '^CUE' "$CW_TMP/liq.log")" "$n_items" "Liquidsoap reads one track per item from day.cue"
"$CW_PYTHON" - "$bundle/plan.json" "$CW_TMP/liq.log" >"$CW_TMP/cue.check" <<'PYEOF'
import json, sys
plan = json.load(open(sys.argv[1], encoding="utf-8"))
rate = plan["rate"]
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[2], encoding="utf-8") if l.startswith("CUE\t")]
bad = off_frame = 0
for it, (_, title, cue_in, uri) in zip(plan["items"], rows):
    want = (it["title"] or "Silence").replace('"', "'").replace("\\", "/")
    off = it["offset_samples"] / rate
    # one-sided: a CUE index is the frame (1/75 s) at or before the item, never after it
    # (1e-6 s: Liquidsoap prints cue points as decimals)
    d = off - float(cue_in or 0)
    good = title == want and -1e-6 <= d < 1 / 75 - 1e-6 and uri.endswith("day.ogg")
    off_frame += it["offset_samples"] * 75 % rate != 0
    if not good:
        bad += 1
        print("BAD %r %r at %s (want %r at %.3f)" % (title, cue_in, uri, want, off))
print("off-frame %d" % off_frame)
print("bad %d" % bad)
PYEOF
expect_eq "$(sed -n 's/^bad //p' "$CW_TMP/cue.check")" 0 "day.cue tracks: plan titles, cue points at or less than 1/75 s before the planned offsets, over day.ogg"
check "some items start off a CUE frame ($(sed -n 's/^off-frame //p' "$CW_TMP/cue.check"))" test "$(sed -n 's/^off-frame //p' "$CW_TMP/cue.check")" -gt 0
grep '^BAD' "$CW_TMP/cue.check" | head -3

# ---- 3. day.ogg through Liquidsoap's Ogg decoder ---------------------------------------------
tail -n +"$((n_items + 1))" "$CW_TMP/got-all.tsv" >"$CW_TMP/got-day.tsv"
if cmp -s "$CW_TMP/want.tsv" "$CW_TMP/got-day.tsv"; then
    ok "day.ogg: each link's comments give Liquidsoap the plan's title, artist and planned start, in order"
else
    not_ok "day.ogg: titles from the links differ from the plan"
    diff "$CW_TMP/want.tsv" "$CW_TMP/got-day.tsv" | head -10
fi

# Liquidsoap streams WAV with a placeholder length in the header: count the data bytes
frames=$("$CW_PYTHON" -c 'import sys; d = open(sys.argv[1], "rb").read(); i = d.find(b"data"); print((len(d) - i - 8) // 2 if i >= 0 else 0)' "$CW_TMP/out.wav")
window=$(json_get "$bundle/plan.json" 'sum(i["length_samples"] for i in d["items"])')
diff=$((frames - 2 * window)); diff=${diff#-}
# Liquidsoap works in frames of 0.04 s: allow one frame per track
check "the output is the window twice, items then day.ogg ($frames of $((2 * window)) samples)" \
    test "$diff" -le $(((n_items + 1) * rate / 25))

cw_finish
