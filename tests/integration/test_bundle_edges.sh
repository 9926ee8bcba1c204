#!/usr/bin/env bash
# test_bundle_edges.sh — a bundle at the edges its checks exist for (issue #13), with the
# real binary and GNU sha256sum as the peer:
#   - `verify` on a SHA256SUMS edited by hand: one hex digit changed in the second half of a
#     line (and the first and last digits) -> exit 1 naming the file, as `sha256sum -c` says;
#     a digest one digit short or long -> exit 1 naming the file and the line; upper-case
#     digests, binary-mode lines written by `sha256sum -b` and CRLF line ends -> accepted;
#     a file listed twice -> exit 1 naming both lines, even when the two lines agree (build
#     lists each file once, so a second line means the list was edited); verify never
#     changes the bundle;
#   - day.cue when items start off a CUE frame (1/75 s): a 7.0021 s lesson at 48 kHz puts
#     the next item at sample 336,100, which is CUE frame 525.16 -> `INDEX 01 00:07:00`
#     exactly (rounded down: a track never starts after its audio); every index is the
#     frame at or before its item's first sample.
. "$(dirname "$0")/lib.sh"

command -v sox >/dev/null || cw_skip_peer "sox (the test recordings)"
command -v sha256sum >/dev/null || cw_skip_peer "sha256sum (coreutils)"
cw_skip_if_missing

date=2027-01-13
st=$(minimal_station edges) || { not_ok "make the station"; cw_finish; }
cat >"$st/station.conf" <<'EOF'
[station]
name = Edge Radio
timezone = Africa/Lagos
on_air = 07:00-07:01

[audio]
rate = 48000
channels = 1
quality = 0
loudness = -23
true_peak = -1
min_length = 1
max_length = 60
fade = 0

[schedule]
missing = filler
overrun = cut
fillers = station-id
EOF
# 336,100 samples at 48 kHz = 7.0021 s (sox counts samples exactly with the 's' suffix)
sox -q -n -r 48000 -c 1 -b 16 "$CW_TMP/lesson.wav" synth 336100s sine 440 vol 0.3 fade h 0.02 336100s 0.02
sox -q -n -r 48000 -c 1 -b 16 "$CW_TMP/id.wav" synth 10 sine 2200 vol 0.3 fade h 0.02 10 0.02
cw --station "$st" ingest --series maths-5 --episode 1 --title Fractions -- "$CW_TMP/lesson.wav"
expect_rc 0 "ingest the 7.0021 s lesson"
cw --station "$st" ingest --kind filler --series station-id --title 'Station ID' -- "$CW_TMP/id.wav"
expect_rc 0 "ingest the filler"
printf 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//chalkwave tests//EN\r\nBEGIN:VEVENT\r\nUID:m@t\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Africa/Lagos:20270113T070000\r\nDTEND;TZID=Africa/Lagos:20270113T070100\r\nSUMMARY:Maths 5\r\nDESCRIPTION:Series: maths-5\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n' >"$CW_TMP/p.ics"
cw --station "$st" calendar import "$CW_TMP/p.ics"
expect_rc 0 "import the calendar"
cw --station "$st" build --date $date
expect_rc 0 "build the day"
bundle=$st/out/$date

# ---- CUE: an item off a CUE frame boundary -------------------------------------------------
expect_eq "$(json_get "$bundle/plan.json" 'd["items"][1]["offset_samples"]')" 336100 \
    "the item after the 7.0021 s lesson starts at sample 336,100"
expect_eq "$(awk '/TRACK 02/{t=1} t && /INDEX 01/{print $3; exit}' "$bundle/day.cue")" "00:07:00" \
    "day.cue: track 2 (sample 336,100 = frame 525.16) has INDEX 01 00:07:00, rounded down"
# every INDEX is the CUE frame at or before the item's first sample (integer arithmetic)
res=$("$CW_PYTHON" - "$bundle/plan.json" "$bundle/day.cue" <<'PYEOF'
import json, re, sys
plan = json.load(open(sys.argv[1]))
rate = plan["rate"]
idx = re.findall(r"INDEX 01 (\d+):(\d\d):(\d\d)", open(sys.argv[2]).read())
bad = [] if len(idx) == len(plan["items"]) else ["%d indexes for %d items" % (len(idx), len(plan["items"]))]
off_frame = 0
for it, (m, s, f) in zip(plan["items"], idx):
    frames = (int(m) * 60 + int(s)) * 75 + int(f)
    off = it["offset_samples"]
    off_frame += off * 75 % rate != 0
    # frames/75 <= off/rate < (frames+1)/75
    if not (frames * rate <= off * 75 < (frames + 1) * rate):
        bad.append("item at sample %d has INDEX %s:%s:%s" % (off, m, s, f))
print("off-frame %d" % off_frame)
print("\n".join(bad) if bad else "good")
PYEOF
)
check "some items start off a CUE frame ($(head -1 <<<"$res"))" test "$(sed -n 's/^off-frame //p' <<<"$res")" -ge 3
expect_eq "$(tail -n +2 <<<"$res")" good "day.cue: every INDEX is the frame at or before its item's first sample"

# lengths in the other playlists: XSPF in whole milliseconds (rounded down: 7002), M3U8 and
# PLS in whole seconds (rounded: 7)
expect_eq "$(grep -m1 -o '<duration>[0-9]*</duration>' "$bundle/playlist.xspf")" "<duration>7002</duration>" \
    "playlist.xspf: the 336,100-sample lesson lasts 7002 ms"
res=$("$CW_PYTHON" - "$bundle" <<'PYEOF'
import json, re, sys
b = sys.argv[1]
plan = json.load(open(b + "/plan.json"))
rate = plan["rate"]
want_ms = [it["length_samples"] * 1000 // rate for it in plan["items"]]
want_s = [round(it["length_samples"] / rate) for it in plan["items"]]
xspf = [int(x) for x in re.findall(r"<duration>(\d+)</duration>", open(b + "/playlist.xspf").read())]
m3u = [int(x) for x in re.findall(r"^#EXTINF:(-?\d+),", open(b + "/playlist.m3u8").read(), re.M)]
pls = [int(x) for x in re.findall(r"^Length\d+=(-?\d+)$", open(b + "/playlist.pls").read(), re.M)]
print("xspf", "good" if xspf == want_ms else "%s want %s" % (xspf, want_ms))
print("m3u8", "good" if m3u == want_s else "%s want %s" % (m3u, want_s))
print("pls", "good" if pls == want_s else "%s want %s" % (pls, want_s))
PYEOF
)
expect_eq "$(sed -n 's/^xspf //p' <<<"$res")" good "playlist.xspf: every duration is the item's length in ms"
expect_eq "$(sed -n 's/^m3u8 //p' <<<"$res")" good "playlist.m3u8: every EXTINF is the item's length in whole seconds"
expect_eq "$(sed -n 's/^pls //p' <<<"$res")" good "playlist.pls: every Length is the item's length in whole seconds"

# ---- verify on a hand-edited SHA256SUMS -----------------------------------------------------
cw verify "$bundle"
expect_rc 0 "verify the fresh bundle"
check "sha256sum -c accepts the fresh SHA256SUMS" bash -c "cd '$bundle' && sha256sum --quiet -c SHA256SUMS"
sum_before=$(tree_sum "$bundle")

# copy_bundle NAME: a copy of the bundle to edit; prints its path
copy_bundle() {
    rm -rf "$CW_TMP/$1"
    cp -a "$bundle" "$CW_TMP/$1"
    echo "$CW_TMP/$1"
}
# line_of FILE NAME: the line number of NAME in FILE's SHA256SUMS
line_of() { grep -n "  $2\$" "$1/SHA256SUMS" | cut -d: -f1; }
# flip_digit BUNDLE NAME POS: change the hex digit at POS (0-63) of NAME's line
flip_digit() {
    "$CW_PYTHON" - "$1/SHA256SUMS" "$2" "$3" <<'PYEOF'
import sys
path, name, pos = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = open(path).read().split("\n")
for i, l in enumerate(lines):
    if l.endswith("  " + name):
        c = l[pos]
        lines[i] = l[:pos] + ("0" if c != "0" else "1") + l[pos + 1:]
open(path, "w").write("\n".join(lines))
PYEOF
}

for case in "day.ogg 40" "day.ogg 63" "day.ogg 32" "day.ogg 0" "plan.json 50" "day.cue 33"; do
    set -- $case
    b=$(copy_bundle "digit-$1-$2")
    flip_digit "$b" "$1" "$2"
    cw verify "$b"
    expect_rc 1 "verify: $1's digest with hex digit $((${2} + 1)) of 64 changed"
    expect_out "$1: checksum mismatch" "verify names $1 (digit $((${2} + 1)))"
    if (cd "$b" && sha256sum --quiet -c SHA256SUMS >/dev/null 2>&1); then
        not_ok "sha256sum -c accepts $1 with digit $((${2} + 1)) changed (the edit did not take?)"
    else
        ok "sha256sum -c also refuses $1 with digit $((${2} + 1)) changed"
    fi
done

# a digest one digit short, one digit long
b=$(copy_bundle short)
n=$(line_of "$b" day.ogg)
sed -i -E 's/^([0-9a-f]{63})[0-9a-f]  day\.ogg$/\1  day.ogg/' "$b/SHA256SUMS"
cw verify "$b"
expect_rc 1 "verify: day.ogg's digest is 63 hex digits"
expect_out "day.ogg: its checksum on line $n of SHA256SUMS has 63 hex digits, not 64" "verify names day.ogg, the line and what is wrong"
expect_no_out "day.ogg: not listed" "the short line still lists day.ogg (one problem, one line)"
expect_eq "$(grep -c '^day.ogg: ' "$CW_OUT")" 1 "one line about day.ogg (its digest is not compared as if it were whole)"
b=$(copy_bundle long)
sed -i -E 's/^([0-9a-f]{64})  day\.ogg$/\1a  day.ogg/' "$b/SHA256SUMS"
cw verify "$b"
expect_rc 1 "verify: day.ogg's digest is 65 hex digits"
expect_out "day.ogg: its checksum on line $n of SHA256SUMS has 65 hex digits, not 64" "verify names day.ogg for the long digest"
expect_eq "$(grep -c '^day.ogg: ' "$CW_OUT")" 1 "one line about day.ogg for the long digest"

# upper-case digests (some tools write them; sha256sum -c accepts them)
b=$(copy_bundle upper)
sed -i -E 's/^[0-9a-f]{64}/\U&/' "$b/SHA256SUMS"
check "the upper-cased list has upper-case digests" grep -qE '^[0-9A-F]{64}  day\.ogg$' "$b/SHA256SUMS"
check "sha256sum -c accepts upper-case digests" bash -c "cd '$b' && sha256sum --quiet -c SHA256SUMS"
cw verify "$b"
expect_rc 0 "verify accepts upper-case digests"
flip_digit "$b" day.ogg 60
cw verify "$b"
expect_rc 1 "verify: an upper-case digest with digit 61 changed"
expect_out "day.ogg: checksum mismatch" "verify names day.ogg (upper case, digit 61)"

# the list rewritten by sha256sum itself, in binary mode ('*') and with CRLF line ends
b=$(copy_bundle peer)
(cd "$b" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort | xargs sha256sum -b >"$CW_TMP/sums.b" &&
    mv "$CW_TMP/sums.b" SHA256SUMS)
check "sha256sum -b wrote '*' lines" grep -qE '^[0-9a-f]{64} \*day\.ogg$' "$b/SHA256SUMS"
cw verify "$b"
expect_rc 0 "verify accepts a SHA256SUMS written by 'sha256sum -b'"
sed -i 's/$/\r/' "$b/SHA256SUMS"
cw verify "$b"
expect_rc 0 "verify accepts CRLF line ends"

# a file listed twice: a problem even when both lines agree
b=$(copy_bundle twice)
dup=$(grep '  day\.ogg$' "$b/SHA256SUMS")
echo "$dup" >>"$b/SHA256SUMS"
last=$(wc -l <"$b/SHA256SUMS")
cw verify "$b"
expect_rc 1 "verify: day.ogg listed twice with the same digest"
expect_out "day.ogg: listed twice in SHA256SUMS (lines $n and $last)" "verify names the file and both lines"
expect_no_out "checksum mismatch" "the digests themselves are right"
b=$(copy_bundle twice-differ)
dup=$(grep '  plan\.json$' "$b/SHA256SUMS")
echo "$dup" >>"$b/SHA256SUMS"
flip_digit "$b" plan.json 50 # both plan.json lines
cw verify "$b"
expect_rc 1 "verify: plan.json listed twice, both digests wrong"
expect_out_re "^plan.json: listed twice in SHA256SUMS \(lines [0-9]+ and $last\)$" "verify names the second listing"
expect_eq "$(grep -c '^plan.json: checksum mismatch$' "$CW_OUT")" 2 "verify checks both lines"

# plan.json edited (one sample more in its last item) and its line in SHA256SUMS updated to
# match: every checksum is right, but day.ogg no longer has the planned length
b=$(copy_bundle replanned)
"$CW_PYTHON" - "$b/plan.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["items"][-1]["length_samples"] += 1
json.dump(d, open(sys.argv[1], "w"), indent=2)
PYEOF
sed -i "s/^[0-9a-f]\{64\}  plan\.json\$/$(sha256sum "$b/plan.json" | cut -c1-64)  plan.json/" "$b/SHA256SUMS"
check "sha256sum -c accepts the edited bundle" bash -c "cd '$b' && sha256sum --quiet -c SHA256SUMS"
cw verify "$b"
expect_rc 1 "verify: a plan.json that is no longer a plan (its checksum updated)"
expect_out_re "^plan.json: not a chalkwave plan \(.*\), so the Ogg files cannot be checked against it$" \
    "verify says plan.json is not a plan (it used to skip the day.ogg check silently)"
# day.ogg's last page says one sample less (CRC and checksum updated): the pages and headers
# read, but the day is one sample short of the plan
b=$(copy_bundle short-day)
"$CW_PYTHON" - "$b/day.ogg" <<'PYEOF'
import struct, sys
T = []
for i in range(256):
    r = i << 24
    for _ in range(8):
        r = ((r << 1) ^ 0x04C11DB7) if r & 0x80000000 else r << 1
    T.append(r & 0xFFFFFFFF)
d = bytearray(open(sys.argv[1], "rb").read())
i = d.rfind(b"OggS")
g = struct.unpack_from("<q", d, i + 6)[0]
struct.pack_into("<q", d, i + 6, g - 1)
end = i + 27 + d[i + 26] + sum(d[i + 27:i + 27 + d[i + 26]])
d[i + 22:i + 26] = b"\0\0\0\0"
c = 0
for x in d[i:end]:
    c = ((c << 8) ^ T[((c >> 24) ^ x) & 0xFF]) & 0xFFFFFFFF
struct.pack_into("<I", d, i + 22, c)
open(sys.argv[1], "wb").write(d)
PYEOF
sed -i "s/^[0-9a-f]\{64\}  day\.ogg\$/$(sha256sum "$b/day.ogg" | cut -c1-64)  day.ogg/" "$b/SHA256SUMS"
cw verify "$b"
expect_rc 1 "verify: day.ogg one sample shorter than plan.json (checksums updated)"
expect_out "day.ogg: 7 links and 2879999 samples, plan.json says 7 links and 2880000 samples" \
    "verify compares day.ogg's length in samples with plan.json"

expect_eq "$(tree_sum "$bundle")" "$sum_before" "verify changed nothing in the bundle"
cw_finish
