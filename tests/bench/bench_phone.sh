#!/usr/bin/env bash
# bench_phone.sh — phone recordings and lesson videos (issue #12's benchmark). Never run in
# CI. Usage: tests/bench/bench_phone.sh [CHALKWAVE_BINARY]  (default build/cli/chalkwave).
# Needs espeak-ng, sox, ffmpeg (with libx264), python3, bc, /usr/bin/time; disk: ~1.5 GB
# in $TMPDIR for the hour of sound as WAV.
#
# Goals (in brackets in the output):
#  1. a 10-minute iPhone-style memo (M4A, AAC-LC 48 kHz mono) ingests within 1.15x the wall
#     time of the same speech as a WAV;
#  2. a 60-minute 720p H.264 + AAC lesson video (made here: a 60 s testsrc clip encoded
#     once, ultrafast, repeated by stream copy; the sound is 60 minutes of speech):
#     peak memory within 1.1x of a 10-minute WAV's, and wall time within 1.3x of the same
#     sound as a WAV.
# Peak memory is compared two ways: with a 10-minute WAV (which never loads FFmpeg's
# libraries: see README "Libraries") and with a 10-minute M4A (which does), so the
# libraries' fixed cost and what grows with length or video are told apart.
# RUNS=N repeats the memo comparison (median); the video part runs once (minutes).
set -euo pipefail
missing=()
for tool in espeak-ng sox soxi ffmpeg ffprobe bc python3 /usr/bin/time; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "bench_phone: missing: ${missing[*]} (apt-get install espeak-ng sox ffmpeg bc python3 time)" >&2
    exit 2
fi
HERE=$(cd "$(dirname "$0")" && pwd)
CW=$(realpath "${1:-${CW_BINARY:-$HERE/../../build/cli/chalkwave}}")
RUNS=${RUNS:-3}
W=$(mktemp -d "${TMPDIR:-/tmp}/cw-bench-phone-XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"

now() { date +%s.%N; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
# run FILE: ingest into a fresh station; prints "WALL CPU PEAK_KB"
run() {
    rm -rf st && "$CW" init st >/dev/null
    local t0 t1 out
    t0=$(now)
    out=$(/usr/bin/time -f '%U %S %M' "$CW" --station st ingest --kind filler "$1" 2>&1 >/dev/null | tail -n1)
    t1=$(now)
    echo "$(echo "$t1 - $t0" | bc -l) $(echo "$out" | awk '{print $1 + $2, $3}')"
}

echo "== material: 10 minutes of synthetic speech (espeak-ng)"
python3 - >text.txt <<'EOF'
import random
random.seed(4)
w = ("the of and to in is you that it was for on are as with they at be this from have or by "
     "one had not but what all were when we there can an your which their said if do will each "
     "about how up out them then she many some so these would other into has more her two like").split()
print(" ".join(random.choice(w) + ("." if random.random() < 0.1 else "") for _ in range(2200)))
EOF
espeak-ng -s 150 -f text.txt -w raw.wav
sox -q raw.wav -r 48000 -c 1 -b 16 memo.wav pad 1.5 2 repeat 1 trim 0 600
ffmpeg -v error -i memo.wav -c:a aac -b:a 64k memo.m4a
echo "   memo.wav $(du -h memo.wav | cut -f1), memo.m4a $(du -h memo.m4a | cut -f1)"

echo "== 1. 10-minute memo: M4A vs the same speech as WAV (median of $RUNS, alternating)"
TW=() TM=() CWv=() CM=()
for i in $(seq "$RUNS"); do
    read -r w c m <<<"$(run memo.wav)"
    TW+=("$w"); CWv+=("$c"); MW=$m
    read -r w c m <<<"$(run memo.m4a)"
    TM+=("$w"); CM+=("$c"); MM=$m
done
tw=$(median "${TW[@]}"); tm=$(median "${TM[@]}"); cw=$(median "${CWv[@]}"); cm=$(median "${CM[@]}")
echo "   WAV: $tw s wall, $cw s CPU, $MW KB peak (runs: ${TW[*]})"
echo "   M4A: $tm s wall, $cm s CPU, $MM KB peak (runs: ${TM[*]})"

echo "== 2. a 60-minute 720p H.264 + AAC lesson video"
ffmpeg -v error -f lavfi -i testsrc=size=1280x720:rate=25 -t 60 -c:v libx264 -preset ultrafast clip.mp4
for i in $(seq 60); do echo "file 'clip.mp4'"; done >clips.txt
sox -q memo.wav -c 2 speech2.wav
sox -q speech2.wav hour.wav repeat 5
ffmpeg -v error -f concat -safe 0 -i clips.txt -i hour.wav -map 0:v -map 1:a -c:v copy \
    -c:a aac -b:a 128k -t 3600 lesson.mp4
ffmpeg -v error -i lesson.mp4 -map 0:a -c:a pcm_s16le lesson-sound.wav
ffmpeg -v error -i lesson.mp4 -map 0:a -t 600 -c:a pcm_s16le ten.wav
ffmpeg -v error -i lesson.mp4 -map 0:a -t 600 -c:a aac -b:a 128k ten.m4a
echo "   $(ffprobe -v error -show_entries stream=codec_name,width,height -of csv=p=0 lesson.mp4 | tr '\n' ' ')$(du -h lesson.mp4 | cut -f1)"
read -r vw vc vm <<<"$(run lesson.mp4)"
read -r aw ac am <<<"$(run lesson-sound.wav)"
read -r tw10 tc10 tm10 <<<"$(run ten.wav)"
read -r mw10 mc10 mm10 <<<"$(run ten.m4a)"
echo "   video:                  $vw s wall, $vc s CPU, $vm KB peak"
echo "   its sound as WAV:       $aw s wall, $ac s CPU, $am KB peak"
echo "   10 minutes of it (WAV): $tw10 s wall, $tm10 KB peak"
echo "   10 minutes of it (M4A): $mw10 s wall, $mm10 KB peak"

echo
echo "== ratios (goal in brackets); load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '   memo M4A / WAV, wall:                 %.3f  [<= 1.15]  (CPU %.3f)\n' \
    "$(echo "$tm / $tw" | bc -l)" "$(echo "$cm / $cw" | bc -l)"
printf '   video / its sound as WAV, wall:       %.3f  [<= 1.30]  (CPU %.3f)\n' \
    "$(echo "$vw / $aw" | bc -l)" "$(echo "$vc / $ac" | bc -l)"
printf '   video / 10-minute WAV, peak memory:   %.3f  [<= 1.10]  (FFmpeg'"'"'s libraries: %d KB)\n' \
    "$(echo "$vm / $tm10" | bc -l)" "$((mm10 - tm10))"
printf '   video / 10-minute M4A, peak memory:   %.3f  (both with FFmpeg loaded: what grows with length and video)\n' \
    "$(echo "$vm / $mm10" | bc -l)"
