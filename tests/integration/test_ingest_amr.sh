#!/usr/bin/env bash
# test_ingest_amr.sh — AMR voice notes (Android "voice" mode and older phones: AMR-NB 8 kHz
# .amr, AMR-WB 16 kHz .awb, and AMR in 3GP), made at test time by tests/tools/amr_encode
# (opencore-amrnb, vo-amrwbenc: Debian's ffmpeg cannot encode AMR). Accepted ones are
# re-measured with ffmpeg's ebur128 filter (-23 +-0.5 LUFS, true peak <= ceiling + 0.5 dB),
# their length checked (+-0.1 s); cut and random copies are refused with one line.
# SKIPPED (exit 77) when the encoder tool was not built (libopencore-amrnb-dev and
# libvo-amrwbenc-dev missing).
. "$(dirname "$0")/lib.sh"

ENC=$CW_BUILD_DIR/tests/tools/amr_encode
if [ ! -x "$ENC" ]; then
    echo "SKIPPED: $ENC was not built (apt-get install libopencore-amrnb-dev libvo-amrwbenc-dev)"
    exit 77
fi
S=$(minimal_station st)
A=$CW_TMP/audio
mkdir -p "$A"
sox -R -q -n -r 16000 -c 1 -b 16 "$CW_TMP/core.wav" synth 5 pinknoise band 300 3000 tremolo 4 90 gain -n -12
sox -R -q -n -r 16000 -c 1 -b 16 "$CW_TMP/sil.wav" trim 0 1
sox -R -q "$CW_TMP/sil.wav" "$CW_TMP/core.wav" "$CW_TMP/sil.wav" "$A/wb.wav"
sox -R -q "$A/wb.wav" -r 8000 "$A/nb.wav"
check "AMR-NB encoded" "$ENC" nb "$A/nb.wav" "$A/voice.amr"
check "AMR-WB encoded" "$ENC" wb "$A/wb.wav" "$A/voice.awb"
ffmpeg -v error -y -i "$A/voice.amr" -c copy "$A/voice.3gp"

measure() {
    ffmpeg -hide_banner -nostats -i "$1" -af "pan=stereo|c0=c0|c1=c0,ebur128=peak=true" -f null - 2>&1 |
        awk '/^ *I:/ {i=$2} /^ *Peak:/ {p=$2} END {print i, p}'
}
accept() {
    local name=$1 file=$2 ep=$3 ogg m i tp secs
    cw --station "$S" ingest --series amr --episode "$ep" --title "$name" --format json -- "$file"
    expect_rc 0 "$name is accepted"
    [ "$CW_RC" = 0 ] || return
    expect_empty_err "$name: nothing on stderr"
    ogg=$S/$(json_get "$CW_OUT" 'd["files"][0]["library_path"]')
    m=$(measure "$ogg")
    i=${m% *}
    tp=${m#* }
    check "$name: ffmpeg ebur128 reads $i LUFS (-23 +-0.5)" awk -v v="$i" 'BEGIN {exit !(v >= -23.5 && v <= -22.5)}'
    check "$name: ffmpeg true peak $tp dBTP <= -0.5" awk -v v="$tp" 'BEGIN {exit !(v <= -0.5)}'
    secs=$(vorbis_links "$ogg" | awk '/^total/ {printf "%.3f", $2 / 44100}')
    check "$name: $secs s stored (5.5 s +-0.1)" awk -v s="$secs" 'BEGIN {exit !(s > 5.4 && s < 5.6)}'
    check "$name: the format is named in the JSON ($(json_get "$CW_OUT" 'd["files"][0]["format"]'))" \
        grep -q '"format": "[^"]*AMR' "$CW_OUT"
}
refuse() {
    local name=$1 file=$2 text=$3 before
    before=$(tree_sum "$S/library")
    cw --station "$S" ingest --series bad --episode 1 -- "$file"
    expect_rc 1 "$name is refused"
    expect_err_re "$text" "$name: the reason says /$text/"
    expect_one_line_err "$name: one line on stderr"
    expect_eq "$(tree_sum "$S/library")" "$before" "$name: library unchanged"
}

accept "AMR-NB 8 kHz (.amr)" "$A/voice.amr" 1
accept "AMR-WB 16 kHz (.awb)" "$A/voice.awb" 2
accept "AMR in 3GP" "$A/voice.3gp" 3
for f in voice.amr voice.awb; do
    # cut in half, inside a frame (all frames of these files have the first one's size)
    python3 - "$A/$f" "$A/cut-$f" <<'PY'
import sys
d = open(sys.argv[1], 'rb').read(); h = d.index(b'\n') + 1
wb = d.startswith(b'#!AMR-WB')
n = 1 + ([17, 23, 32, 36, 40, 46, 50, 58, 60, 5] if wb else [12, 13, 15, 17, 19, 20, 26, 31, 5])[(d[h] >> 3) & 15]
off = len(d) // 2
while (off - h) % n == 0:
    off += 1
open(sys.argv[2], 'wb').write(d[:off])
PY
    refuse "$f cut inside a frame" "$A/cut-$f" "cut short"
    python3 - "$A/$f" "$A/rnd-$f" <<'PY'
import random, sys
d = open(sys.argv[1], 'rb').read(); k = d.index(b'\n') + 1; r = random.Random(7)
open(sys.argv[2], 'wb').write(d[:k] + bytes(r.randrange(256) for _ in range(len(d) - k)))
PY
    refuse "$f with random bytes after its header" "$A/rnd-$f" "(damaged|cut short|noise)"
done
cw_finish
