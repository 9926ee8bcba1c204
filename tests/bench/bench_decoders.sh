#!/usr/bin/env bash
# bench_decoders.sh — which decoder reads which format (the table in README "Phone
# recordings and videos"): 10 minutes of speech (44.1 kHz stereo) in WAV, FLAC, MP3, Ogg
# Vorbis and Opus, decoded by each of chalkwave's decoders that can (libsndfile, libmpg123,
# FFmpeg), and 10 minutes of a 48 kHz mono M4A memo by FFmpeg. Prints CPU seconds (best of
# RUNS), the frames decoded, the length the container states and a checksum of the samples
# (as 16-bit), so speed and exactness can be compared. Never run in CI.
# Usage: tests/bench/bench_decoders.sh [BUILD_DIR]  (default build; a Release build is best)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
RUNS=${RUNS:-3}
for t in cc pkg-config espeak-ng sox ffmpeg python3; do
    command -v "$t" >/dev/null || { echo "bench_decoders: needs '$t'" >&2; exit 2; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cw-bench-dec-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cc -O2 -std=c11 -D_GNU_SOURCE -I"$src/common" -I"$src/audio" "$here/bench_decoders.c" -o "$tmp/bd" \
    "$build/audio/libcw_audio.a" "$build/common/libcw_common.a" \
    $(pkg-config --libs vorbis vorbisenc vorbisfile ogg sndfile libebur128 soxr libmpg123 inih libcrypto) \
    -ldl -lpthread -lm
cd "$tmp"
python3 - >text.txt <<'EOF'
import random
random.seed(4)
w = ("the of and to in is you that it was for on are as with they at be this from have or by "
     "one had not but what all were when we there can an your which their said if do will each").split()
print(" ".join(random.choice(w) + ("." if random.random() < 0.1 else "") for _ in range(2200)))
EOF
espeak-ng -s 150 -f text.txt -w raw.wav
sox -q raw.wav -r 44100 -c 2 -b 16 st.wav pad 1.5 2 repeat 1 trim 0 600
sox -q st.wav -r 48000 -c 1 mono48.wav
ffmpeg -v error -i st.wav st.flac
ffmpeg -v error -i st.wav -c:a libmp3lame -b:a 128k st.mp3
ffmpeg -v error -i st.wav -c:a libvorbis -q:a 4 st.ogg
ffmpeg -v error -i st.wav -c:a libopus -b:a 64k st.opus
ffmpeg -v error -i mono48.wav -c:a aac -b:a 64k memo.m4a
printf '%-9s %-8s %8s %10s %10s  %s\n' FILE DECODER CPU_S FRAMES STATED SUM
for f in st.wav st.flac st.mp3 st.ogg st.opus memo.m4a; do
    for d in sndfile mpg123 ffmpeg; do
        best= line=
        for r in $(seq "$RUNS"); do
            line=$("$tmp/bd" "$f" "$d" 2>/dev/null | head -1) || true
            case $line in error*|*$'\t'error*|'') line=; break ;; esac
            c=$(echo "$line" | sed 's/.*cpu=\([0-9.]*\).*/\1/')
            best=$(python3 -c "print(min(float('$c'), float('${best:-1e9}')))")
        done
        [ -n "$line" ] || continue
        fr=$(echo "$line" | sed 's/.*frames=\([0-9]*\).*/\1/')
        stt=$(echo "$line" | sed 's/.*stated=\(-*[0-9]*\).*/\1/')
        sum=$(echo "$line" | sed 's/.*sum=\([0-9a-f]*\).*/\1/')
        printf '%-9s %-8s %8.3f %10s %10s  %s\n' "$f" "$d" "$best" "$fr" "$stt" "$sum"
    done
done
echo "(the source has 26460000 frames; the M4A 28800000; a decoder the registry does not pick"
echo " for a format is shown for comparison only)"
