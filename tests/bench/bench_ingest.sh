#!/usr/bin/env bash
# bench_ingest.sh — how fast and how lean `chalkwave ingest` is (issue #4's benchmark).
# Never run in CI. Usage: tests/bench/bench_ingest.sh [CHALKWAVE_BINARY]   (default:
# build/cli/chalkwave). Needs espeak-ng, sox, oggenc, oggdec, ffmpeg, /usr/bin/time.
#
# On a 10-minute speech recording (44.1 kHz stereo WAV) into the default station
# (44.1 kHz mono, quality 3, -23 LUFS, -1 dBTP) it compares, in the same run, medians of
# RUNS runs of:
#   (a) oggenc -q 3 on already-processed PCM (the encoder floor);
#   (a') oggenc -q 3 on the signal chalkwave itself encodes (mixed and gained, not decoded:
#        shows how much of the gap is the encoder's own cost on that signal);
#   (b) ffmpeg two-pass loudnorm + libvorbis -q 3 (the pipeline an engineer would script);
#   chalkwave ingest.
# Goals: >= 0.9x the speed of (a), >= 5x the speed of (b); 8 such files with the default -j
# within 1.1x of half the time oggenc needs for the 8 one after another; peak memory for a
# 120-minute input within 10% of that for a 10-minute input.
# QUICK=1 runs only chalkwave against (a) (no ffmpeg, batch or memory parts).
# Wall ratios on a machine shared with fuzzers swing: the CPU-time ratios are printed too.
set -euo pipefail

missing=()
for tool in espeak-ng sox soxi oggenc oggdec ffmpeg bc python3 /usr/bin/time; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "bench_ingest: missing: ${missing[*]}" >&2
    echo "  install with: apt-get install espeak-ng sox vorbis-tools ffmpeg bc python3 time" >&2
    echo "  (benchmark-only tools, not CI dependencies)" >&2
    exit 2
fi

HERE=$(cd "$(dirname "$0")" && pwd)
CW=${1:-${CW_BINARY:-$HERE/../../build/cli/chalkwave}}
CW=$(realpath "$CW") # the runs happen in a temporary directory
RUNS=${RUNS:-3}
W=$(mktemp -d "${TMPDIR:-/tmp}/cw-bench-XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"

now() { date +%s.%N; }
# median of the arguments
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
# timed CMD...: wall seconds of one run; its CPU seconds (user + system, children
# included) are appended to $W/cpu.  CPU time is the steadier figure on a shared machine.
timed() {
    local t0 t1 c0 c1 me=$BASHPID # (inside $(...) BASHPID would name that subshell)
    c0=$(awk '{print $14 + $15 + $16 + $17}' /proc/$me/stat)
    t0=$(now)
    ( "$@" >/dev/null 2>&1 )
    t1=$(now)
    c1=$(awk '{print $14 + $15 + $16 + $17}' /proc/$me/stat)
    printf '%.2f\n' "$(echo "($c1 - $c0) / $(getconf CLK_TCK)" | bc -l)" >>"$W/cpu"
    printf '%.3f\n' "$(echo "$t1 - $t0" | bc -l)"
}
# cpu_of: CPU seconds of the last `timed`
cpu_of() { tail -n1 "$W/cpu"; }
fresh_station() { rm -rf "$W/st" && "$CW" init "$W/st" >/dev/null; }

echo "== material: 10 minutes of synthetic speech (espeak-ng), 44.1 kHz stereo 16-bit"
python3 - >text.txt <<'EOF'
import random
random.seed(4)
w = ("the of and to in is you that it was for on are as with they at be this from have or by "
     "one had not but what all were when we there can an your which their said if do will each "
     "about how up out them then she many some so these would other into has more her two like "
     "him see time could no make than first been its who now people my made over did down only "
     "way find use may water long little very after words called just where most know").split()
print(" ".join(random.choice(w) + ("." if random.random() < 0.1 else "") for _ in range(2200)))
EOF
espeak-ng -s 150 -f text.txt -w raw.wav
sox -q raw.wav -r 44100 -c 2 -b 16 speech.wav pad 1.5 2 repeat 1 trim 0 600
echo "   $(soxi -D speech.wav) s, $(du -h speech.wav | cut -f1)"

echo "== chalkwave ingest and (a) oggenc -q 3 on the processed PCM, alternately (median of $RUNS)"
fresh_station
"$CW" --station "$W/st" ingest --kind filler speech.wav >/dev/null
ogg=$(find "$W/st/library" -name '*.ogg' | head -n1)
oggdec -Q -o processed.wav "$ogg"
# (a') the encoder floor on the very signal chalkwave encodes: the source mixed to mono and
# brought to the target (no limiting happens on this material), not decoded Vorbis, which
# libvorbis encodes a few per cent faster
lufs_in=$("$CW" --station "$W/st" library --format json |
    python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["lufs_in"])')
sox -q speech.wav -c 1 -b 16 pre.wav gain "$(echo "-23 - ($lufs_in)" | bc -l)"
T_CW=()
C_CW=()
T_A=()
C_A=()
T_P=()
C_P=()
for i in $(seq "$RUNS"); do
    fresh_station
    T_CW+=("$(timed "$CW" --station "$W/st" ingest --kind filler speech.wav)")
    C_CW+=("$(cpu_of)")
    T_A+=("$(timed oggenc -Q -q 3 -o a.ogg processed.wav)")
    C_A+=("$(cpu_of)")
    T_P+=("$(timed oggenc -Q -q 3 -o p.ogg pre.wav)")
    C_P+=("$(cpu_of)")
done
t_cw=$(median "${T_CW[@]}")
c_cw=$(median "${C_CW[@]}")
t_a=$(median "${T_A[@]}")
c_a=$(median "${C_A[@]}")
t_p=$(median "${T_P[@]}")
c_p=$(median "${C_P[@]}")
echo "   chalkwave: $t_cw s wall, $c_cw s CPU  (runs: ${T_CW[*]}; CPU ${C_CW[*]})"
echo "   oggenc:    $t_a s wall, $c_a s CPU  (runs: ${T_A[*]}; CPU ${C_A[*]})"
echo "   (a') oggenc on chalkwave's own pre-encode signal: $t_p s wall, $c_p s CPU (runs: ${T_P[*]})"
if [ "${QUICK:-0}" = 1 ]; then
    echo
    echo "== ratios (goal in brackets); load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
    printf '   speed vs oggenc floor (a):      %.2fx  [>= 0.90x]; by CPU time %.2fx\n' \
        "$(echo "$t_a / $t_cw" | bc -l)" "$(echo "$c_a / $c_cw" | bc -l)"
    exit 0
fi

echo "== (b) ffmpeg loudnorm two passes + libvorbis (median of $RUNS)"
ffmpeg_b() {
    local js
    js=$(ffmpeg -hide_banner -nostats -i speech.wav -af loudnorm=I=-23:TP=-1:LRA=20:print_format=json \
        -f null - 2>&1 | sed -n '/^{/,/^}/p')
    local mi mtp mlra mth
    mi=$(echo "$js" | python3 -c 'import json,sys; print(json.load(sys.stdin)["input_i"])')
    mtp=$(echo "$js" | python3 -c 'import json,sys; print(json.load(sys.stdin)["input_tp"])')
    mlra=$(echo "$js" | python3 -c 'import json,sys; print(json.load(sys.stdin)["input_lra"])')
    mth=$(echo "$js" | python3 -c 'import json,sys; print(json.load(sys.stdin)["input_thresh"])')
    ffmpeg -y -hide_banner -nostats -i speech.wav -af \
        "loudnorm=I=-23:TP=-1:LRA=20:measured_I=$mi:measured_TP=$mtp:measured_LRA=$mlra:measured_thresh=$mth:linear=true,aresample=44100" \
        -ac 1 -c:a libvorbis -q:a 3 b.ogg
}
T_B=()
C_B=()
for i in $(seq "$RUNS"); do
    T_B+=("$(timed ffmpeg_b)")
    C_B+=("$(cpu_of)")
done
t_b=$(median "${T_B[@]}")
c_b=$(median "${C_B[@]}")
echo "   $t_b s wall, $c_b s CPU  (runs: ${T_B[*]})"

echo "== batch: 8 different 10-minute files, chalkwave default -j vs oggenc one after another"
for i in 1 2 3 4 5 6 7 8; do
    sox -q speech.wav "b$i.wav" gain "-0.$i"   # different bytes, same material
    sox -q processed.wav "p$i.wav" gain "-0.$i"
done
fresh_station
t_batch=$(timed "$CW" --station "$W/st" ingest --kind filler b1.wav b2.wav b3.wav b4.wav b5.wav b6.wav b7.wav b8.wav)
c_batch=$(cpu_of)
t0=$(now)
for i in 1 2 3 4 5 6 7 8; do oggenc -Q -q 3 -o "p$i.ogg" "p$i.wav"; done
t_oggenc8=$(echo "$(now) - $t0" | bc -l)
n_acc=$(find "$W/st/library" -name '*.ogg' | wc -l)
echo "   chalkwave: $t_batch s ($c_batch s CPU) for $n_acc files; oggenc serial: $t_oggenc8 s; cores: $(nproc)"
rm -f b?.wav p?.wav p?.ogg

echo "== peak memory: 10 vs 120 minutes"
rss() {
    fresh_station
    /usr/bin/time -v "$CW" --station "$W/st" ingest --kind filler "$1" 2>&1 >/dev/null |
        awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}'
}
m10=$(rss speech.wav)
sox -q speech.wav long.wav repeat 11
echo "   120-minute input: $(soxi -D long.wav) s"
t0=$(now)
m120=$(rss long.wav)
t_long=$(echo "$(now) - $t0" | bc -l)
rm -f long.wav
echo "   10 min: $m10 KB; 120 min: $m120 KB (120 min took $t_long s)"

echo
echo "== ratios (goal in brackets); load average now: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '   speed vs oggenc floor (a):      %.2fx  [>= 0.90x]\n' "$(echo "$t_a / $t_cw" | bc -l)"
printf '   speed vs ffmpeg loudnorm (b):   %.2fx  [>= 5x]   ((b)/(a) here: %.2f)\n' \
    "$(echo "$t_b / $t_cw" | bc -l)" "$(echo "$t_b / $t_a" | bc -l)"
printf '   same by CPU time: vs (a) %.2fx, vs (b) %.2fx\n' "$(echo "$c_a / $c_cw" | bc -l)" \
    "$(echo "$c_b / $c_cw" | bc -l)"
printf '   batch of 8 vs oggenc serial/2:  %.2f   [<= 1.10]  (CPU per file / oggenc CPU: %.2f)\n' \
    "$(echo "$t_batch / ($t_oggenc8 / 2)" | bc -l)" "$(echo "$c_batch / 8 / $c_a" | bc -l)"
printf '   encoder floor: oggenc on the signal chalkwave encodes / on decoded PCM (a): %.3f\n' \
    "$(echo "$c_p / $c_a" | bc -l)"
printf '   peak memory 120 min / 10 min:   %.3f  [<= 1.10]\n' "$(echo "$m120 / $m10" | bc -l)"
