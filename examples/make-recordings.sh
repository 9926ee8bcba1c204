#!/usr/bin/env bash
# make-recordings.sh — how the example station's recordings were made (documentation: the
# committed files in examples/station/recordings/ are what the demo and the tests use).
# Each recording is a short spoken snippet synthesised with espeak-ng, then shaped with sox
# and encoded the way a teacher's device might: a field recorder's WAV, a studio FLAC, a
# laptop MP3, a phone voice note in Opus, plus a station ID and a music bed in Ogg Vorbis
# (fillers) and a newsletter item as a stereo MP3. Levels and sample rates differ on purpose.
#
# Needs: espeak-ng, sox, ffmpeg (libmp3lame), opus-tools (opusenc), vorbis-tools (oggenc).
# Usage: examples/make-recordings.sh [OUT_DIR]   (default: examples/station/recordings)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/station/recordings}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for tool in espeak-ng sox ffmpeg opusenc oggenc; do
    command -v "$tool" >/dev/null || { echo "make-recordings: '$tool' is missing (apt-get install it)" >&2; exit 3; }
done

# speak VOICE SPEED TEXT -> $tmp/speech.wav (22050 Hz mono 16-bit from espeak-ng)
speak() {
    espeak-ng -v "$1" -s "$2" -w "$tmp/speech.wav" "$3"
}

# sidecar NAME KEY=VALUE... -> NAME.txt beside the recording (what a teacher's note says)
sidecar() {
    local name=$1
    shift
    : >"$out/$name.txt"
    for kv in "$@"; do printf '%s: %s\n' "${kv%%=*}" "${kv#*=}" >>"$out/$name.txt"; done
}

# 1. Maths P5, episode 1: a field recorder's WAV, 8 kHz 16-bit, recorded a little hot.
speak en-gb+f3 150 "Good morning, primary five! This is maths with Mrs Adebayo. \
Today we learn about fractions. Cut an orange into four equal pieces. \
Each piece is one quarter. Two quarters make one half."
sox "$tmp/speech.wav" -r 8000 -b 16 -c 1 "$out/maths-p5-01.wav" gain -n -3
sidecar maths-p5-01 "Series=maths-p5" "Episode=1" "Title=Fractions: halves and quarters" \
    "Teacher=Mrs Adebayo" "Language=en" "Kind=lesson"

# 2. Maths P5, episode 2: a FLAC, 11.025 kHz, quiet (-20 dB): ingest must bring it up.
speak en-gb+f3 150 "Welcome back, primary five. Last time we learned about quarters. \
Today we add them. One quarter plus two quarters makes three quarters. \
The bottom number stays the same. Well done!"
sox "$tmp/speech.wav" -r 11025 -b 16 -c 1 "$out/maths-p5-02.flac" gain -n -20
sidecar maths-p5-02 "Series=maths-p5" "Episode=2" "Title=Adding fractions" \
    "Teacher=Mrs Adebayo" "Language=en" "Kind=lesson"

# 3. English P4, episode 1: a laptop MP3, 22.05 kHz mono, 32 kbit/s.
speak en-us+m3 145 "Hello, primary four! This is English with Mr Okafor. \
Today's word is market. We go to the market to buy tomatoes, yams and rice. \
Say it with me: market."
ffmpeg -nostdin -loglevel error -y -i "$tmp/speech.wav" -ac 1 -ar 22050 -c:a libmp3lame -b:a 32k \
    -metadata title="The word market" -metadata artist="Mr Okafor" "$out/english-p4-01.mp3"
sidecar english-p4-01 "Series=english-p4" "Episode=1" "Title=A new word: market" \
    "Teacher=Mr Okafor" "Language=en" "Kind=lesson"

# 4. English P4, episode 2: a phone voice note in Opus, with two seconds of room tone first
#    (ingest trims it) and 15 dB too quiet.
speak en-us+m3 145 "Hello again, primary four. Today we practise the past tense. \
Today I walk. Yesterday I walked. Today I play. Yesterday I played. \
Can you make your own sentence?"
sox -R -n -r 22050 -c 1 -b 16 "$tmp/lead.wav" synth 2 pinknoise vol 0.002
sox "$tmp/lead.wav" "$tmp/speech.wav" "$tmp/voicenote.wav" gain -n -15
opusenc --quiet --bitrate 24 --title "English P4 past tense" "$tmp/voicenote.wav" "$out/english-p4-02.opus"
sidecar english-p4-02 "Series=english-p4" "Episode=2" "Title=Yesterday I walked: the past tense" \
    "Teacher=Mr Okafor" "Language=en" "Kind=lesson"

# 5. Station ID (filler): Ogg Vorbis, 22.05 kHz.
speak en-gb+m4 160 "You are listening to Radio Example. School lessons on the air, every morning. Keep learning!"
oggenc --quiet -q 0 -o "$out/station-id.ogg" "$tmp/speech.wav"
sidecar station-id "Series=station-id" "Episode=1" "Title=Station ID" \
    "Teacher=Radio Example" "Language=en" "Kind=filler"

# 6. Music bed (filler): a soft, slowly pulsing chord, so the gaps between lessons are not
#    the station ID over and over. Ogg Vorbis, 22.05 kHz, low quality (it is only a bed).
sox -n -r 22050 -c 1 -b 16 "$tmp/bed.wav" synth 40 sine 220 sine 277.18 sine 329.63 remix - \
    tremolo 0.2 40 fade q 3 40 3 gain -n -14
oggenc --quiet -q -1 -o "$out/music-bed.ogg" "$tmp/bed.wav"
sidecar music-bed "Series=music-bed" "Episode=1" "Title=Morning music bed" \
    "Teacher=Radio Example" "Language=en" "Kind=filler"

# 7. Newsletter item: a stereo MP3 at 44.1 kHz (ingest downmixes it to the station's mono).
speak en-gb+f2 155 "School news for this week. Registration for the reading competition closes on Friday. \
Parents, please send every child with a pencil and an exercise book. That is all from the school office."
sox "$tmp/speech.wav" -r 44100 -c 2 "$tmp/stereo.wav"
ffmpeg -nostdin -loglevel error -y -i "$tmp/stereo.wav" -c:a libmp3lame -b:a 48k "$out/school-news-week2.mp3"
sidecar school-news-week2 "Series=school-news" "Episode=2" "Title=School news: reading competition" \
    "Teacher=School office" "Language=en" "Kind=newsletter"

ls -l "$out"
du -sh "$out"
