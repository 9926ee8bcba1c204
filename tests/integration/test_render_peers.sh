#!/usr/bin/env bash
# test_render_peers.sh — links of every shape the chain writer makes, handed to real peers
# (issue #11 point 5): silences of 1 to 88,205 samples, a whole file, cuts of 50 to 2,000
# samples (one resampled), a file of two packets, and a link joined inside a recording.
# ogginfo: nothing but its report, exit 0 (the first audio page of a link never ends at
# granule 0); libvorbisfile: every link, each exactly its length, decoded to exactly its
# length; ffmpeg: decodes every link (each tone found); Liquidsoap: every link's comments
# and the total length to its frame size. And the proof for the one ogginfo complaint the
# other tests drop: a plain `cat` of 19 oggenc files gets "sequence number gap in stream 19.
# Got page 0 ..." (exit 1), 18 files get nothing.
. "$(dirname "$0")/lib.sh"

tool=$CW_BUILD_DIR/tests/unit/playlists/cw_chain_tool
cw_need ogginfo oggenc ffmpeg sox liquidsoap
cw_skip_if_missing
[ -x "$tool" ] || { not_ok "the test tool $tool is missing (build the tests)"; cw_finish; }

# ---- ogginfo's false positive, on files chalkwave had no part in ---------------------------
for i in $(seq 1 19); do
    sox -q -n -r 22050 -c 1 -b 16 "$CW_TMP/t$i.wav" synth 0.3 sine $((200 + 20 * i)) vol 0.3
    oggenc -Q -s $((1000 + i)) -o "$CW_TMP/t$i.ogg" "$CW_TMP/t$i.wav"
done
cat $(for i in $(seq 1 18); do echo "$CW_TMP/t$i.ogg"; done) >"$CW_TMP/cat18.ogg"
cat $(for i in $(seq 1 19); do echo "$CW_TMP/t$i.ogg"; done) >"$CW_TMP/cat19.ogg"
ogginfo "$CW_TMP/cat18.ogg" >"$CW_TMP/o18.txt" 2>&1
expect_eq "$?" 0 "ogginfo: a cat of 18 oggenc files exits 0"
expect_eq "$(ogginfo_complaints <"$CW_TMP/o18.txt" | wc -l)" 0 "ogginfo: a cat of 18 oggenc files gets no complaint"
ogginfo "$CW_TMP/cat19.ogg" >"$CW_TMP/o19.txt" 2>&1
expect_eq "$?" 1 "ogginfo: a cat of 19 oggenc files exits 1"
ogginfo_complaints <"$CW_TMP/o19.txt" >"$CW_TMP/c19.txt"
expect_eq "$(wc -l <"$CW_TMP/c19.txt")" 1 "ogginfo: one complaint about a cat of 19 oggenc files"
check "ogginfo: it is 'sequence number gap in stream 19. Got page 0 when expecting page <garbage>' ($(cat "$CW_TMP/c19.txt"))" \
    grep -qxE 'WARNING: sequence number gap in stream 19\. Got page 0 when expecting page -?[0-9]+\. Indicates missing data\.' \
    "$CW_TMP/c19.txt"
check "ogginfo_check drops that line, and only in a file of 19 or more streams" ogginfo_check "$CW_TMP/cat19.ogg"

# ---- links of every shape ------------------------------------------------------------------
rate=44100
"$tool" tone "$CW_TMP/a.ogg" $rate 1 440 441000 &&
    "$tool" tone "$CW_TMP/b.ogg" $rate 1 880 300 &&
    "$tool" tone "$CW_TMP/c.ogg" 22050 1 660 44100
expect_eq "$?" 0 "make the tone recordings (10 s, 300 samples, 22.05 kHz)"
# name:samples:frequency (0 for silence), in order
links=(s1:1:0 s100:100:0 cut100:100:440 s576:576:0 s577:577:0 whole:441000:440 s1000:1000:0 two:300:880
    s1024:1024:0 cut600:600:440 s1600:1600:0 resampled:50:660 s3000:3000:0 s1s:44100:0 cut2000:2000:440
    s2s:88205:0 join:428655:440)
"$tool" chain "$CW_TMP/x.ogg" $rate 1 7 silence:1 silence:100 "file:$CW_TMP/a.ogg:0:100" silence:576 silence:577 \
    "file:$CW_TMP/a.ogg:0:441000" silence:1000 "file:$CW_TMP/b.ogg:0:300" silence:1024 \
    "file:$CW_TMP/a.ogg:0:600:0:0.01" silence:1600 "file:$CW_TMP/c.ogg:0:50" silence:3000 silence:44100 \
    "file:$CW_TMP/a.ogg:0:2000" silence:88205 "file:$CW_TMP/a.ogg:12345:428655:0.5" >"$CW_TMP/x.links"
expect_eq "$?" 0 "chain_tool writes ${#links[@]} links"
total=0
for l in "${links[@]}"; do total=$((total + $(cut -d: -f2 <<<"$l"))); done
# the join (playout starting 12,345 samples into a recording) is two links: a re-encoded
# head with the fade-in, then the recording's own packets
n=$(grep -c '^link ' "$CW_TMP/x.links")
expect_eq "$n" $((${#links[@]} + 1)) "the join inside the recording is two links"
expect_eq "$(tail -2 "$CW_TMP/x.links" | awk '{s += $5} END {print s}')" 428655 "head and rest of the join: exactly the samples asked for"
expect_eq "$(tail -2 "$CW_TMP/x.links" | awk '{printf "%s%s", $6, $7}')" "0110" "the head is re-encoded, the rest page-copied (part 1)"
want=$(awk '$1=="link"{printf "%s%s", sep, $5; sep=" "}' "$CW_TMP/x.links")

ogginfo "$CW_TMP/x.ogg" >"$CW_TMP/ox.txt" 2>&1
expect_eq "$?" 0 "ogginfo exits 0 on the chain"
ogginfo_complaints <"$CW_TMP/ox.txt" >"$CW_TMP/cx.txt"
expect_eq "$(wc -l <"$CW_TMP/cx.txt")" 0 "ogginfo prints nothing but its report (no 'zero granulepos', no misplaced page)"
head -3 "$CW_TMP/cx.txt"
expect_eq "$(grep -c '^New logical stream' "$CW_TMP/ox.txt")" "$n" "ogginfo sees $n streams"

vorbis_links "$CW_TMP/x.ogg" --decode >"$CW_TMP/vx.txt"
expect_eq "$(sed -n 's/^links //p' "$CW_TMP/vx.txt")" "$n" "libvorbisfile: $n links"
expect_eq "$(awk '$1=="link"{printf "%s%s", sep, $3; sep=" "}' "$CW_TMP/vx.txt")" "$want" "libvorbisfile: every link exactly its length"
expect_eq "$(awk '$1=="decoded"{printf "%s%s", sep, $3; sep=" "}' "$CW_TMP/vx.txt")" "$want" "libvorbisfile: every link decodes to exactly its length"
check "libvorbisfile: no holes" bash -c "! grep -q '^holes' '$CW_TMP/vx.txt'"

# ffmpeg: one run of tone per tone spec (the silences between them, 1,000 samples or more,
# keep them apart; ffmpeg puts ~200 samples of near-silence at every link boundary, the
# join's included, and a fade-in starts with a few samples over the threshold: runs closer
# than 500 samples are one, runs under 30 samples are not counted)
ffmpeg -nostdin -v error -i "$CW_TMP/x.ogg" -ac 1 -f f32le "$CW_TMP/ff.raw" 2>"$CW_TMP/ff.err"
expect_eq "$?" 0 "ffmpeg decodes the chain"
expect_eq "$(grep -v -e 'non monotonically increasing dts' -e 'failed to create or replace stream' "$CW_TMP/ff.err" | wc -l)" 0 \
    "ffmpeg reports no decoding errors"
tone_links=$(printf '%s\n' "${links[@]}" | awk -F: '$3 != 0' | wc -l)
runs=$("$CW_PYTHON" - "$CW_TMP/ff.raw" <<'PYEOF'
import array, sys
a = array.array("f")
a.frombytes(open(sys.argv[1], "rb").read())
runs, start, last = [], None, -10**9
for i, x in enumerate(a):
    if abs(x) > 0.02:
        if i - last > 500:
            if start is not None:
                runs.append(last - start + 1)
            start = i
        last = i
if start is not None:
    runs.append(last - start + 1)
print(sum(1 for r in runs if r >= 30))
PYEOF
)
expect_eq "$runs" "$tone_links" "ffmpeg decodes every tone link (one run of sound each)"

# Liquidsoap: every link's title reaches it, and the length to its 0.04 s frames
root_ok=""
[ "$(id -u)" = 0 ] && root_ok='settings.init.allow_root.set(true)'
cat >"$CW_TMP/play.liq" <<EOF
$root_ok
settings.log.stdout.set(true)
settings.log.file.set(false)
settings.log.level.set(3)
settings.decoder.decoders.set(["OGG"])
settings.frame.audio.samplerate.set($rate)
settings.frame.audio.channels.set(1)
r = request.create(argv(1))
if not request.resolve(r) then print("UNRESOLVED") end
s = request.once(r)
def show(m) = print("LIQ\t#{m['title']}") end
s = source.on_metadata(s, show)
s = clock(sync="none", s)
output.file(%wav(mono, samplerate=$rate), fallible=true, on_stop=shutdown, argv(2), s)
EOF
timeout 300 liquidsoap "$CW_TMP/play.liq" -- "$CW_TMP/x.ogg" "$CW_TMP/liq.wav" >"$CW_TMP/liq.log" 2>&1
expect_eq "$?" 0 "liquidsoap plays the chain"
# (links that begin inside one 0.04 s frame reach on_metadata together, in no set order)
# (the join's two links carry the same comments)
expect_eq "$(grep '^LIQ' "$CW_TMP/liq.log" | cut -f2 | sort -V | tr '\n' ',')" "$(for i in $(seq 1 ${#links[@]}) ${#links[@]}; do printf 'link %d,' "$i"; done)" \
    "liquidsoap sees every link's title once (the join's twice)"
frames=$("$CW_PYTHON" -c 'import sys; d = open(sys.argv[1], "rb").read(); i = d.find(b"data"); print((len(d) - i - 8) // 2 if i >= 0 else 0)' "$CW_TMP/liq.wav")
diff=$((frames - total)); diff=${diff#-}
check "liquidsoap: $frames samples of $total (within a 0.04 s frame)" test "$diff" -le $((rate / 25))

cw_finish
