#!/usr/bin/env bash
# bench_speak.sh — how fast and how lean `chalkwave speak` is (issue #18's benchmark).
# Never run in CI. Usage: tests/bench/bench_speak.sh [CHALKWAVE_BINARY]   (default:
# build/cli/chalkwave). Needs espeak-ng, /usr/bin/time, bc.
#
# A 1,000-word bulletin (the example station's health news, repeated) at 150 words a minute
# into the default station (44.1 kHz mono, quality 3, -23 LUFS, -1 dBTP). Medians of RUNS
# runs of:
#   (a) espeak-ng -s 150 -w bulletin.wav (synthesis alone, the same voice and speed);
#   (b) chalkwave ingest bulletin.wav (the ingest of that WAV);
#   chalkwave speak bulletin.txt (preparation, synthesis, ingest, filing).
# Goal: speak within 2x of (a) + (b). Memory: peak RSS of speak for 1,000 and for 10,000
# words (the speech is streamed: it should not grow with the length of the speech beyond
# the text itself). CPU-time figures are printed too (steadier on a shared machine).
set -euo pipefail

missing=()
for tool in espeak-ng bc python3 /usr/bin/time; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "bench_speak: missing: ${missing[*]} (apt-get install espeak-ng bc python3 time)" >&2
    exit 2
fi

HERE=$(cd "$(dirname "$0")" && pwd)
CW=${1:-${CW_BINARY:-$HERE/../../build/cli/chalkwave}}
CW=$(realpath "$CW")
SRC=$(cd "$HERE/../.." && pwd)
RUNS=${RUNS:-3}
W=$(mktemp -d "${TMPDIR:-/tmp}/cw-bench-speak-XXXXXX")
trap 'rm -rf "$W"' EXIT
cd "$W"

now() { date +%s.%N; }
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
timed() {
    local t0 t1 c0 c1 me=$BASHPID
    c0=$(awk '{print $14 + $15 + $16 + $17}' /proc/$me/stat)
    t0=$(now)
    ( "$@" >/dev/null 2>&1 )
    t1=$(now)
    c1=$(awk '{print $14 + $15 + $16 + $17}' /proc/$me/stat)
    printf '%.2f\n' "$(echo "($c1 - $c0) / $(getconf CLK_TCK)" | bc -l)" >>"$W/cpu"
    printf '%.3f\n' "$(echo "$t1 - $t0" | bc -l)"
}
cpu_of() { tail -n1 "$W/cpu"; }
fresh_station() {
    rm -rf "$W/st" && "$CW" init "$W/st" >/dev/null
    sed -i 's/^speed = .*/speed = 150/' "$W/st/station.conf"
}

# bulletin WORDS > file: the example's English health news (without its header), repeated
bulletin() {
    python3 - "$1" "$SRC/examples/station/scripts/health-news-week2.md" <<'EOF'
import sys
n = int(sys.argv[1])
text = open(sys.argv[2], encoding="utf-8").read().split("\n\n", 1)[1]
paras = [p for p in text.split("\n\n") if p.strip()]
out, words, k = [], 0, 0
while words < n:
    p = paras[k % len(paras)]
    w = p.split()
    if words + len(w) > n:
        p = " ".join(w[: n - words]) + "."
    out.append(p)
    words += len(p.split())
    k += 1
print("\n\n".join(out))
EOF
}
bulletin 1000 >bulletin.txt
bulletin 10000 >long.txt
echo "== material: $(wc -w <bulletin.txt) words (bulletin.txt), $(wc -w <long.txt) words (long.txt)"

a=() b=() s=() ca=() cb=() cs=()
for r in $(seq "$RUNS"); do
    a+=("$(timed espeak-ng -s 150 -v en-gb -w bulletin.wav -f bulletin.txt)")
    ca+=("$(cpu_of)")
    fresh_station
    b+=("$(timed "$CW" --station "$W/st" ingest --title Bulletin bulletin.wav)")
    cb+=("$(cpu_of)")
    fresh_station
    s+=("$(timed "$CW" --station "$W/st" speak --title Bulletin --language en bulletin.txt)")
    cs+=("$(cpu_of)")
done
ma=$(median "${a[@]}") mb=$(median "${b[@]}") ms=$(median "${s[@]}")
mca=$(median "${ca[@]}") mcb=$(median "${cb[@]}") mcs=$(median "${cs[@]}")
secs=$("$CW" --station "$W/st" library --format json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["seconds"])' 2>/dev/null || echo "?")
echo "== 1,000 words ($secs s of speech), medians of $RUNS runs (wall s / cpu s)"
printf '   (a) espeak-ng -w          %7.2f / %6.2f\n' "$ma" "$mca"
printf '   (b) chalkwave ingest WAV  %7.2f / %6.2f\n' "$mb" "$mcb"
printf '   chalkwave speak           %7.2f / %6.2f\n' "$ms" "$mcs"
ratio=$(echo "$ms / ($ma + $mb)" | bc -l)
cratio=$(echo "$mcs / ($mca + $mcb)" | bc -l)
printf '   speak / ((a) + (b)) = %.2f wall, %.2f cpu  (goal: < 2)\n' "$ratio" "$cratio"
verdict=pass
awk -v r="$ratio" 'BEGIN {exit !(r < 2)}' || verdict=FAIL

echo "== memory: peak RSS of speak"
for f in bulletin.txt long.txt; do
    fresh_station
    sed -i 's/^max_chars = .*/max_chars = 100000/' "$W/st/station.conf"
    /usr/bin/time -f '%M' -o rss "$CW" --station "$W/st" speak --title "Memory $f" --language en "$f" >/dev/null 2>&1
    printf '   %-12s %6d words: %7d kB\n' "$f" "$(wc -w <"$f")" "$(cat rss)"
done
echo "bench_speak: $verdict"
[ "$verdict" = pass ]
