#!/usr/bin/env bash
# test_ingest_knocks.sh — the README's hard case for loudness: a quiet lecture with knocks
# on the microphone (speech at about -45 LUFS, a 7 ms knock near full scale every second).
# The knocks make it measure loud; brought up to the target they go over the ceiling and
# the limiter takes them down, and the loudness with them. ingest must still land within
# 0.3 LU of the target (README: a gain search runs when pass 2 is more than 0.3 LU off) and
# under the ceiling, and its own summary must agree with ffmpeg's ebur128 meter.
. "$(dirname "$0")/lib.sh"
cw_need sox ffmpeg
cw_skip_if_missing

S=$(minimal_station st)
A=$CW_TMP/audio
mkdir -p "$A"
sox -R -q -n -r 44100 -c 1 -b 16 "$A/speech.wav" synth 10 pinknoise band 300 3000 tremolo 4 90 gain -n -45
"$CW_PYTHON" - "$A/speech.wav" "$A/knocks.wav" <<'EOF'
import math, struct, sys, wave
w = wave.open(sys.argv[1]); n = w.getnframes(); s = list(struct.unpack("<%dh" % n, w.readframes(n))); w.close()
for k in range(int(0.3 * 44100), n - 400, 44100):  # a knock every second
    for i in range(300):
        s[k + i] = max(-32767, min(32767, s[k + i] + int(30000 * math.exp(-i / 75) * math.sin(i * 0.3))))
o = wave.open(sys.argv[2], "wb"); o.setnchannels(1); o.setsampwidth(2); o.setframerate(44100)
o.writeframes(struct.pack("<%dh" % n, *s)); o.close()
EOF

cw --station "$S" ingest --series k --episode 1 --format json -- "$A/knocks.wav"
expect_rc 0 "a quiet lecture with knocks is accepted"
out=$(json_get "$CW_OUT" 'd["files"][0]["lufs_out"]')
tp=$(json_get "$CW_OUT" 'd["files"][0]["true_peak_out"]')
check "its loudness is $out LUFS: within 0.3 LU of the target -23" awk -v v="$out" 'BEGIN {exit !(v >= -23.3 && v <= -22.7)}'
check "its true peak $tp dBTP is at or under the ceiling -1" awk -v v="$tp" 'BEGIN {exit !(v <= -1)}'
ogg=$S/$(json_get "$CW_OUT" 'd["files"][0]["library_path"]')
m=$(ffmpeg -hide_banner -nostats -i "$ogg" -af "pan=stereo|c0=c0|c1=c0,ebur128=peak=true" -f null - 2>&1 |
    awk '/^ *I:/ {i=$2} /^ *Peak:/ {p=$2} END {print i, p}')
check "ffmpeg's ebur128 reads ${m% *} LUFS: within 0.3 LU of what ingest reports" \
    awk -v a="${m% *}" -v b="$out" 'BEGIN {d = a - b; exit !(d <= 0.3 && d >= -0.3)}'
check "...and within 0.5 LU of the target (EBU R128's tolerance)" \
    awk -v a="${m% *}" 'BEGIN {exit !(a >= -23.5 && a <= -22.5)}'
cw_finish
