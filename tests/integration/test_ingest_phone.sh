#!/usr/bin/env bash
# test_ingest_phone.sh — `chalkwave ingest` on what phones, browsers, messaging apps, old
# laptops and Macs write (issue #12), made at test time with Debian's ffmpeg encoders:
# M4A (AAC-LC, ALAC), 3GP, WebM/Opus, Telegram-style .oga, WMA, CAF, AIFF, ADTS .aac,
# lesson videos (MP4/MOV with H.264), Speex, FLAC in Ogg, Ogg with video, and what real
# tools write that libsndfile refused (WAV and FLAC written to a pipe, MP3 in WAV).
# Each accepted file is re-measured by ffmpeg's ebur128 filter (-23 +-0.5 LUFS, true peak
# under the ceiling + 0.5 dB), its length checked (the 5 s of sound + margins, +-0.1 s)
# and ogginfo must be clean. Then, for every container: a truncated copy, the index (moov)
# missing, random bytes after a valid header, a video without sound — each refused with
# one line, exit 1, the library unchanged. AMR is in test_ingest_amr.sh (it needs an
# encoder ffmpeg does not have).
. "$(dirname "$0")/lib.sh"

S=$(minimal_station st)
A=$CW_TMP/audio
mkdir -p "$A"

# 5 s of speech-like sound (band-limited pink noise, syllable-rate tremolo) between 1 s of
# silence at each end: 7 s, 48 kHz stereo
sox -R -q -n -r 48000 -c 1 -b 16 "$CW_TMP/core.wav" synth 5 pinknoise band 300 3000 \
    tremolo 4 90 gain -n -12
sox -R -q -n -r 48000 -c 1 -b 16 "$CW_TMP/sil.wav" trim 0 1
sox -R -q "$CW_TMP/sil.wav" "$CW_TMP/core.wav" "$CW_TMP/sil.wav" -c 2 "$A/src.wav"
sox -R -q "$A/src.wav" -c 1 "$A/mono.wav"

measure() {
    local ch pan=""
    ch=$(ffprobe -v error -select_streams a:0 -show_entries stream=channels -of csv=p=0 "$1")
    [ "$ch" = 1 ] && pan="pan=stereo|c0=c0|c1=c0,"
    ffmpeg -hide_banner -nostats -i "$1" -af "${pan}ebur128=peak=true" -f null - 2>&1 |
        awk '/^ *I:/ {i=$2} /^ *Peak:/ {p=$2} END {print i, p}'
}

# accept NAME FILE EPISODE: ingested, measured by the peers, 5.5 s (+-0.1) kept
accept() {
    local name=$1 file=$2 ep=$3
    cw --station "$S" ingest --series phone --episode "$ep" --title "$name" --format json -- "$file"
    expect_rc 0 "$name is accepted"
    [ "$CW_RC" = 0 ] || return
    expect_empty_err "$name: nothing on stderr (no library chatter)"
    local ogg m i tp secs
    ogg=$S/$(json_get "$CW_OUT" 'd["files"][0]["library_path"]')
    check "$name: ogginfo finds no errors or warnings" bash -c "ogginfo '$ogg' >'$CW_TMP/oi' 2>&1 && ! grep -qiE 'warn|error' '$CW_TMP/oi'"
    m=$(measure "$ogg")
    i=${m% *}
    tp=${m#* }
    check "$name: ffmpeg ebur128 reads $i LUFS (-23 +-0.5)" awk -v v="$i" 'BEGIN {exit !(v >= -23.5 && v <= -22.5)}'
    check "$name: ffmpeg true peak $tp dBTP <= -0.5" awk -v v="$tp" 'BEGIN {exit !(v <= -0.5)}'
    secs=$(vorbis_links "$ogg" | awk '/^total/ {printf "%.3f", $2 / 44100}')
    check "$name: $secs s stored (5 s of sound + 2 x 0.25 s margins, +-0.1 s)" \
        awk -v s="$secs" 'BEGIN {exit !(s > 5.4 && s < 5.6)}'
}

# refuse NAME FILE TEXT: exit 1, one line naming the file and saying TEXT, library unchanged
refuse() {
    local name=$1 file=$2 text=$3 before
    before=$(tree_sum "$S/library")
    cw --station "$S" ingest --series bad --episode 1 -- "$file"
    expect_rc 1 "$name is refused"
    expect_err_re "$(basename "$file"): refused: .*$text" "$name: the reason says /$text/"
    expect_one_line_err "$name: one line on stderr"
    expect_eq "$(tree_sum "$S/library")" "$before" "$name: library unchanged"
}

# damage NAME FILE HEADER_BYTES: a copy cut in half, and one whose bytes after the header are
# random (fixed seed), both refused
damage() {
    local name=$1 file=$2 keep=$3 ext=${2##*.} size
    size=$(stat -c %s "$file")
    head -c $((size / 2)) "$file" >"$A/cut-$name.$ext"
    refuse "$name cut in half" "$A/cut-$name.$ext" "(cut short|damaged|incomplete|not finished|no sound)"
    python3 - "$file" "$A/rnd-$name.$ext" "$keep" <<'EOF'
import random, sys
d = open(sys.argv[1], 'rb').read(); k = int(sys.argv[3]); r = random.Random(12)
open(sys.argv[2], 'wb').write(d[:k] + bytes(r.randrange(256) for _ in range(len(d) - k)))
EOF
    refuse "$name with random bytes after its header" "$A/rnd-$name.$ext" "(damaged|not finished|noise|no sound|cannot be decoded|incomplete|cut short)"
}

# offset of the first byte of the box payload named $2 in the MP4 $1
box_payload() {
    python3 - "$1" "$2" <<'EOF'
import struct, sys
d = open(sys.argv[1], 'rb').read(); o = 0
while o + 8 <= len(d):
    n, t = struct.unpack('>I4s', d[o:o + 8]); h = 8
    if n == 1: n = struct.unpack('>Q', d[o + 8:o + 16])[0]; h = 16
    if t.decode('latin-1') == sys.argv[2]: print(o + h); break
    o += n
EOF
}

ff() { ffmpeg -v error -y "$@"; }

# ---- accepted ------------------------------------------------------------------------------
ff -i "$A/mono.wav" -c:a aac -b:a 64k "$A/memo.m4a"                   # iPhone Voice Memos
accept "M4A AAC-LC 48 kHz mono" "$A/memo.m4a" 1
ff -i "$A/src.wav" -c:a alac "$A/lossless.m4a"                        # newer iPhones: ALAC
accept "M4A ALAC" "$A/lossless.m4a" 2
ff -i "$A/mono.wav" -ar 16000 -c:a aac -b:a 24k -f 3gp "$A/voice.3gp" # Android/older phones
accept "3GP with AAC" "$A/voice.3gp" 3
ff -i "$A/mono.wav" -c:a libopus -b:a 32k "$A/chrome.webm"            # Chrome's recorder
accept "WebM/Opus" "$A/chrome.webm" 4
ff -i "$A/mono.wav" -c:a libopus -b:a 24k "$A/telegram.oga"           # Telegram voice note
accept "Ogg Opus (.oga)" "$A/telegram.oga" 5
ff -i "$A/src.wav" -c:a wmav2 -b:a 64k "$A/laptop.wma"                # old Windows laptops
accept "WMA" "$A/laptop.wma" 6
ff -i "$A/src.wav" -c:a alac "$A/mac.caf"                             # Macs
accept "CAF (ALAC)" "$A/mac.caf" 7
ff -i "$A/src.wav" -c:a pcm_s16be "$A/mac.aiff"
accept "AIFF" "$A/mac.aiff" 8
ff -i "$A/mono.wav" -c:a aac -b:a 64k -f adts "$A/signal.aac"         # Signal, dictaphones
accept "raw ADTS AAC" "$A/signal.aac" 9
# HE-AAC (SBR): Debian's ffmpeg cannot write it; a file from TagLib's test suite (SOURCES.md)
# (1.1 s long: a station of its own that takes recordings from 1 s)
he=$CW_SOURCE_DIR/tests/fixtures/audio/taglib/zero-length-mdat.m4a
SHE=$(minimal_station he "min_length = 1")
check "the HE-AAC fixture is HE-AAC (ffprobe)" bash -c "ffprobe -v error -select_streams a:0 -show_entries stream=profile \
    -of csv=p=0 '$he' | grep -qx HE-AAC"
cw --station "$SHE" ingest --series phone --episode 20 --title "HE-AAC" --format json -- "$he"
expect_rc 0 "M4A HE-AAC (TagLib's test file) is accepted"
expect_empty_err "M4A HE-AAC: nothing on stderr"
if [ "$CW_RC" = 0 ]; then
    heogg=$SHE/$(json_get "$CW_OUT" 'd["files"][0]["library_path"]')
    m=$(measure "$heogg")
    check "M4A HE-AAC: ffmpeg ebur128 reads ${m% *} LUFS (-23 +-0.5)" awk -v v="${m% *}" 'BEGIN {exit !(v >= -23.5 && v <= -22.5)}'
    want=$(ffprobe -v error -select_streams a:0 -show_entries stream=duration -of csv=p=0 "$he")
    secs=$(vorbis_links "$heogg" | awk '/^total/ {printf "%.3f", $2 / 44100}')
    check "M4A HE-AAC: $secs s stored, its whole $want s (a tone to the end: nothing to trim; +-0.05 s)" \
        awk -v s="$secs" -v w="$want" 'BEGIN {d = s - w; exit !(d > -0.05 && d < 0.05)}'
fi
ff -f lavfi -i testsrc=size=320x240:rate=25 -i "$A/src.wav" -map 0:v -map 1:a -shortest \
    -c:v libx264 -preset ultrafast -c:a aac -b:a 96k "$A/lesson.mp4"   # a filmed lesson
accept "MP4 video (H.264 + AAC)" "$A/lesson.mp4" 10
check "the MP4 video's sound is what is stored (JSON says so)" \
    grep -q '"format": "MP4 video (AAC sound)"' "$CW_OUT"
ff -f lavfi -i testsrc=size=320x240:rate=25 -i "$A/src.wav" -map 0:v -map 1:a -shortest \
    -c:v libx264 -preset ultrafast -c:a aac "$A/lesson.mov"
accept "MOV video" "$A/lesson.mov" 11
ff -i "$A/mono.wav" -ar 16000 -c:a libspeex "$A/speex.spx"
accept "Ogg Speex" "$A/speex.spx" 12
ff -i "$A/src.wav" -c:a flac "$A/flac.oga"
accept "FLAC in Ogg" "$A/flac.oga" 13
ff -f lavfi -i testsrc=size=160x120:rate=10 -i "$A/src.wav" -map 0:v -map 1:a -shortest \
    -c:v libtheora -c:a libvorbis "$A/theora.ogv"
accept "Ogg with a video stream (Theora + Vorbis)" "$A/theora.ogv" 14
ff -i "$A/src.wav" -f wav - >"$A/pipe.wav"                            # size fields left open
check "the piped WAV's RIFF size is 0xFFFFFFFF (as written to a pipe)" \
    test "$(od -An -tx4 -j4 -N4 "$A/pipe.wav" | tr -d ' ')" = ffffffff
accept "WAV written to a pipe" "$A/pipe.wav" 15
ff -i "$A/src.wav" -f flac - >"$A/pipe.flac"                          # STREAMINFO total 0
accept "FLAC written to a pipe (no total length)" "$A/pipe.flac" 16
ff -i "$A/src.wav" -c:a libmp3lame -b:a 96k -f wav "$A/mp3in.wav"
accept "MP3 in a WAV" "$A/mp3in.wav" 17
# the default audio stream of a video with two: the second is the default one
ff -f lavfi -i testsrc=size=160x120:rate=10 -f lavfi -i "sine=440:d=7" -i "$A/src.wav" \
    -map 0:v -map 1:a -map 2:a -shortest -c:v libx264 -preset ultrafast -c:a aac \
    -disposition:a:0 0 -disposition:a:1 default "$A/two.mp4"
accept "a video with two sound tracks (the default one is used)" "$A/two.mp4" 18
check "the default track (speech), not the 440 Hz tone, was taken: LRA > 1" \
    test "$(json_get "$CW_OUT" 'd["files"][0]["lra_in"] > 1')" = True

# ---- metadata from the container's tags, when no note or option gives it ------------------
ff -i "$A/mono.wav" -c:a aac -metadata title="Fractions, part two" -metadata artist="Ms Ada" \
    -metadata date=2026-03-14 "$A/tagged.m4a"
cw --station "$S" ingest --series tags --episode 1 --format json -- "$A/tagged.m4a"
expect_rc 0 "an M4A with iTunes tags is accepted"
lp=$S/$(json_get "$CW_OUT" 'd["files"][0]["library_path"]')
check "the title comes from ©nam" grep -q '^TITLE=Fractions, part two$' <<<"$(vorbiscomment -l "$lp")"
check "the teacher comes from ©ART" grep -q '^ARTIST=Ms Ada$' <<<"$(vorbiscomment -l "$lp")"
check "the date comes from ©day" grep -q '^DATE=2026-03-14$' <<<"$(vorbiscomment -l "$lp")"
ff -i "$A/mono.wav" -c:a aac -metadata creation_time=2026-02-01T09:30:00Z "$A/created.m4a"
cw --station "$S" ingest --series tags --episode 2 --title Created --format json -- "$A/created.m4a"
lp=$S/$(json_get "$CW_OUT" 'd["files"][0]["library_path"]')
check "creation_time becomes DATE" grep -q '^DATE=2026-02-01$' <<<"$(vorbiscomment -l "$lp")"
printf 'Title: From the note\n' >"$A/tagged2.txt"
cp "$A/tagged.m4a" "$A/tagged2.m4a"
ff -i "$A/mono.wav" -c:a aac -b:a 48k -metadata title="Tag title" "$A/tagged2.m4a"
cw --station "$S" ingest --series tags --episode 3 --format json -- "$A/tagged2.m4a"
lp=$S/$(json_get "$CW_OUT" 'd["files"][0]["library_path"]')
check "a note's title wins over the tag" grep -q '^TITLE=From the note$' <<<"$(vorbiscomment -l "$lp")"

# ---- refused: damage in every container ------------------------------------------------------
ff -i "$A/mono.wav" -c:a aac -movflags +faststart "$A/fast.m4a"
damage "m4a-index-first" "$A/fast.m4a" "$(box_payload "$A/fast.m4a" mdat)"
damage "m4a" "$A/memo.m4a" "$(box_payload "$A/memo.m4a" mdat)"
damage "3gp" "$A/voice.3gp" "$(box_payload "$A/voice.3gp" mdat)"
damage "mp4-video" "$A/lesson.mp4" "$(box_payload "$A/lesson.mp4" mdat)"
damage "mov-video" "$A/lesson.mov" "$(box_payload "$A/lesson.mov" mdat)"
damage "webm" "$A/chrome.webm" 400
damage "ogg-opus" "$A/telegram.oga" 200
damage "wma" "$A/laptop.wma" 6000
damage "caf" "$A/mac.caf" 4096
damage "aiff" "$A/mac.aiff" 54
damage "adts" "$A/signal.aac" 400
damage "speex" "$A/speex.spx" 200
damage "flac-in-ogg" "$A/flac.oga" 200
# the recording was interrupted: the phone never wrote the index (moov at the end is missing)
for f in memo.m4a voice.3gp lesson.mp4 lesson.mov; do
    off=$(python3 -c "import sys; d=open(sys.argv[1],'rb').read(); print(d.find(b'moov') - 4)" "$A/$f")
    head -c "$off" "$A/$f" >"$A/nomoov-$f"
    refuse "$f without its index (moov)" "$A/nomoov-$f" "the recording was not finished .*record it again"
done
# videos without sound
ff -f lavfi -i testsrc=size=160x120:rate=10 -t 3 -c:v libx264 -preset ultrafast "$A/silent.mp4"
refuse "an MP4 video without sound" "$A/silent.mp4" "this video has no sound"
ff -f lavfi -i testsrc=size=160x120:rate=10 -t 3 -c:v libx264 -preset ultrafast "$A/silent.mov"
refuse "a MOV video without sound" "$A/silent.mov" "this video has no sound"
ff -f lavfi -i testsrc=size=160x120:rate=10 -t 3 -c:v libtheora "$A/silent.ogv"
refuse "an Ogg video without sound" "$A/silent.ogv" "this video has no sound"
ff -f lavfi -i testsrc=size=160x120:rate=10 -t 3 -c:v libx264 -preset ultrafast -f matroska "$A/silent.mkv"
refuse "an MKV video without sound" "$A/silent.mkv" "this video has no sound"

# ---- what is no recording: named, with the formats chalkwave reads, nothing else printed ----
printf 'Dear teacher, this is not a recording.\n%.0s' 1 2 3 4 5 >"$A/notes.mp3"
refuse "a text file named .mp3 (libmpg123 prints nothing)" "$A/notes.mp3" "this is a text file, not a recording \(send the recording: WAV, AIFF, FLAC, MP3, M4A"
python3 -c "import sys; open(sys.argv[1],'wb').write(b'\x89PNG\r\n\x1a\n' + bytes(500))" "$A/photo.m4a"
refuse "a picture named .m4a" "$A/photo.m4a" "this is a PNG picture, not a recording"
check "no refusal passes decoder jargon through" bash -c "! grep -qE 'should be|code [0-9]+|Note:|Warning:' '$CW_ERR'"

cw_finish
