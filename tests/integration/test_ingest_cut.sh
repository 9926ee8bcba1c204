#!/usr/bin/env bash
# test_ingest_cut.sh — a recording that lost only its last half second (a copy interrupted
# near its end, a phone that died while saving) is refused as cut short, for every kind of
# file that states its own length: WAV (its data size), FLAC (STREAMINFO's sample count), a
# VBR MP3 (its Xing header), an M4A from a phone (moov before the sound, stating the
# track's length), Sony Wave64 from sox (its data chunk's size, which FFmpeg's demuxer
# shortens to the file's) and Apple CAF from ffmpeg (its data chunk's size). The whole files are accepted first, so a refusal is about the cut alone.
# Half a second is well over what rounding and encoder priming explain (at most 0.1 s; one
# MP3 frame) and well under a second: a tolerance that grew would let a lesson air without
# its last words.
. "$(dirname "$0")/lib.sh"
cw_need sox ffmpeg
cw_skip_if_missing

S=$(minimal_station st)
A=$CW_TMP/audio
mkdir -p "$A"

# 8 s of speech-like sound (pink noise with a syllable-rate tremolo) up to the very end: a
# cut takes words, never trailing silence.
sox -R -q -n -r 44100 -c 1 -b 16 "$A/whole.wav" synth 8 pinknoise band 300 3000 tremolo 4 90 gain -n -12
sox -R -q "$A/whole.wav" "$A/whole.flac"
ffmpeg -v error -i "$A/whole.wav" -c:a libmp3lame -q:a 4 "$A/whole.mp3"
ffmpeg -v error -i "$A/whole.wav" -c:a aac -b:a 64k -movflags +faststart "$A/whole.m4a"
sox -R -q "$A/whole.wav" "$A/whole.w64"
ffmpeg -v error -i "$A/whole.wav" -c:a pcm_s16be "$A/whole.caf"

# cut FILE OUT SECONDS: OUT is FILE without its last SECONDS of sound (by its byte rate: the
# bytes after the header, over its 8 s).
cut_end() {
    local size head=$4
    size=$(stat -c %s "$1")
    head -c $((size - (size - head) * $3 / 80)) "$1" >"$2"
}

ep=0
for ext in wav flac mp3 m4a w64 caf; do
    ep=$((ep + 1))
    cw --station "$S" ingest --series cut --episode "$ep" -- "$A/whole.$ext"
    expect_rc 0 "the whole $ext is accepted"
done

# header sizes: WAV 44 bytes; the others are small against 8 s of sound (a few hundred
# bytes of 60 KB and more): counted as sound, the cut is a little longer than 0.5 s.
for ext in wav flac mp3 m4a w64 caf; do
    hdr=0
    [ "$ext" = wav ] && hdr=44
    cut_end "$A/whole.$ext" "$A/cut.$ext" 5 "$hdr" # 5/80 of 8 s: 0.5 s
    before=$(tree_sum "$S/library")
    cw --station "$S" ingest --series bad --episode 1 -- "$A/cut.$ext"
    expect_rc 1 "a $ext without its last 0.5 s is refused"
    expect_err_re "cut short" "...as cut short"
    expect_one_line_err "...in one line"
    expect_eq "$(tree_sum "$S/library")" "$before" "...and the library is unchanged"
done
cw_finish
