/* audio_int.h — internals shared by the audio module's files (decoder, stages, measuring,
 * header rewriting). Not a public interface: only the audio sources and the audio unit tests use it.
 * Guarantees: every function here follows the module's rules (no printing, cw_error on
 * failure, fixed-size blocks). */
#ifndef CW_AUDIO_INT_H
#define CW_AUDIO_INT_H

#include "audio.h"

#include <stdint.h>

/* Frames per processing block everywhere in the module. */
#define CW_AUDIO_BLOCK 4096

/* ---- encoder extras (encode.c) ----------------------------------------------------- */

/* The encoder's check of its own output (cw_audio_enc_spot_check). */
typedef struct cw_audio_vorbis_check {
    int64_t frames;   /* the decoded length (block sizes, end trimmed by the EOS granule) */
    int64_t decoded;  /* frames actually decoded */
    double true_peak; /* linear, of the decoded frames */
} cw_audio_vorbis_check;
/* Before the first write: decode, as the packets are made, those whose samples lie within
 * one long block of an input stretch peaking within window_db of the loudest input so far,
 * and measure their true peak (Vorbis moves peaks by about a decibel, so with a 6 dB window
 * this is the true peak of the whole decoded file). */
int cw_audio_enc_spot_check(cw_vorbis_enc *e, double window_db);
/* cw_vorbis_enc_finish, plus the check's result (fails if the packets do not decode to
 * exactly the frames written). */
int cw_audio_enc_finish_checked(cw_vorbis_enc *e, cw_audio_vorbis_check *chk, cw_error *err);
/* Bytes of header pages the encoder wrote at the start of its file. */
long cw_audio_enc_header_bytes(const cw_vorbis_enc *e);
/* Build the header pages (identification, comment, setup) exactly as cw_vorbis_enc_new
 * writes them, into *out (appended). Used to rewrite comments in place once the values are
 * known: with comment values of fixed width the pages keep their length. */
int cw_audio_vorbis_headers_build(cw_buf *out, int rate, int channels, double quality,
                            uint32_t serial, const cw_link_meta *meta, cw_error *err);

/* ---- Ogg page checksum (ogg_crc.c) -------------------------------------------------- */

/* The Ogg CRC of n bytes (libogg's ogg_page_checksum_set value when the page's checksum
 * field is zero), several times faster than libogg's. */
uint32_t cw_audio_ogg_crc(const unsigned char *p, size_t n);
/* Does the page (len bytes, header and body) carry its right checksum? The checksum field
 * is zeroed while computing and restored. */
int cw_audio_ogg_page_crc_ok(unsigned char *page, size_t len);

/* ---- true peak (truepeak.c) -------------------------------------------------------- */

/* 4x oversampled true-peak detector (BS.1770-4 Annex 2 style polyphase interpolation),
 * streaming, one state per channel. Blocks whose sample peak cannot reach the running
 * maximum are skipped, so the cost is small on normal programme. */
typedef struct cw_audio_truepeak cw_audio_truepeak;
int cw_audio_truepeak_new(cw_audio_truepeak **out, int channels);
void cw_audio_truepeak_free(cw_audio_truepeak *tp);
/* Interleaved frames. */
void cw_audio_truepeak_add(cw_audio_truepeak *tp, const float *frames, size_t n);
/* Linear true peak over everything added so far (max over channels), including the
 * interpolation past the last sample (as if followed by silence). Ends the input: call
 * it once, after the last cw_audio_truepeak_add. */
double cw_audio_truepeak_max(cw_audio_truepeak *tp);
/* End the current stretch (as if followed by silence) and start another that is preceded
 * by silence; the maximum carries on. */
void cw_audio_truepeak_restart(cw_audio_truepeak *tp);
/* Linear true peak of the interpolated signal between sample i-1 and i (inclusive of
 * sample i) for one channel of a history buffer: x points at sample i, with at least
 * CW_AUDIO_TP_TAPS/2 samples valid before and after. */
#define CW_AUDIO_TP_PHASES 4
#define CW_AUDIO_TP_TAPS 16 /* taps per phase */
float cw_audio_truepeak_at(const float *x, size_t stride);
/* Upper bound of |interpolated| / max|input| over the filter's support. */
double cw_audio_truepeak_gain_bound(void);

/* ---- decoding: the source and its decoders (src.c, dec_*.c) ----------------------- */

/* "12.3 s", "4:56" or "1:02:03". */
void cw_audio_fmt_duration(double seconds, char out[32]);

/* What a decoder found when it opened a file. */
typedef struct cw_audio_src_info {
    int rate, channels;
    int64_t frames;  /* length the container states, in output frames; -1 unknown or open */
    int frames_exact; /* 1: a shorter decode means the file is cut short; 0: an estimate */
    char format[48]; /* what the file is, for messages: "WAV", "M4A (AAC)", "MP4 video" */
} cw_audio_src_info;

/* Tags the file carries (UTF-8, control characters removed, "" when absent). */
typedef struct cw_audio_tags {
    char title[256], artist[256];
    char date[11]; /* YYYY-MM-DD or "" */
} cw_audio_tags;

/* One decoding library behind the source interface. A backend is one file (dec_NAME.c)
 * defining one of these, and one row in the registry (src.c). Every function reads from a
 * file descriptor the decoder owns (a dup, at offset 0), so files, pipes already saved to
 * disk and memory (memfd) are read alike. Decoders never print (their libraries are
 * silenced) and turn every failure into a sentence a teacher can act on. */
typedef struct cw_decoder {
    const char *name;    /* "sndfile", "mpg123", "ffmpeg" */
    const char *formats; /* what it reads, for people: "WAV, AIFF, FLAC" */
    /* How much this decoder wants the file: 0 not at all, higher wins (the registry tries
     * decoders in that order). head holds the first n bytes (n <= CW_AUDIO_SNIFF_BYTES),
     * size is the file's size; fd may be read with pread for more. */
    int (*sniff)(const unsigned char *head, size_t n, int64_t size, int fd);
    /* Open; fd is the decoder's (it closes it in close, also when open fails). Returns
     * CW_EUNSUPPORTED with err set when the file is not one it can read after all (the
     * registry then tries the next decoder), another CW_E* for a file it can read but
     * refuses (damage, ...). */
    int (*open)(void **state, int fd, const char *path, cw_audio_src_info *info, cw_error *err);
    /* Up to `frames` interleaved float frames; *got == 0 at the end. */
    int (*read)(void *state, float *buf, size_t frames, size_t *got, cw_error *err);
    /* After the last read: refuse damage found only at the end (`decoded` frames were
     * read); tolerated problems become warnings in `notes` (may be NULL). */
    int (*check_end)(void *state, int64_t decoded, cw_diags *notes, cw_error *err);
    void (*tags)(void *state, cw_audio_tags *out);
    void (*close)(void *state);
} cw_decoder;

#define CW_AUDIO_SNIFF_BYTES 4096

extern const cw_decoder cw_audio_dec_sndfile, cw_audio_dec_mpg123, cw_audio_dec_ffmpeg;

/* A teacher's file opened for reading through the decoder that wants it most. Refuses, in
 * one sentence each: a missing file, a folder, a pipe or device, an empty file, what is no
 * recording at all (a document, a picture, text: named), what no decoder reads (naming the
 * formats that are read), rates outside 8..192 kHz and more than 8 channels. */
typedef struct cw_audio_src cw_audio_src;
int cw_audio_src_open(cw_audio_src **out, const char *path, cw_error *err) CW_WARN_UNUSED;
/* The same from an open descriptor (dup'ed; the caller keeps fd): memory files for the
 * fuzzers and tests. `name` is used in messages. */
int cw_audio_src_open_fd(cw_audio_src **out, int fd, const char *name,
                         cw_error *err) CW_WARN_UNUSED;
/* Open with one decoder by name ("ffmpeg"), whatever the others would say: for the
 * decoder benchmark and tests. */
int cw_audio_src_open_with(cw_audio_src **out, const char *path, const char *decoder,
                           cw_error *err) CW_WARN_UNUSED;
int cw_audio_src_rate(const cw_audio_src *s);
int cw_audio_src_channels(const cw_audio_src *s);
int64_t cw_audio_src_frames(const cw_audio_src *s); /* as the container claims; -1 unknown */
const char *cw_audio_src_format(const cw_audio_src *s); /* "WAV", "M4A (AAC)", ... */
const char *cw_audio_src_decoder(const cw_audio_src *s); /* "sndfile", "ffmpeg", ... */
/* Up to `frames` interleaved frames; *got == 0 at the end. */
int cw_audio_src_read(cw_audio_src *s, float *buf, size_t frames, size_t *got, cw_error *err);
/* After reading to the end: refuse damage the decoder reported as success (fewer frames
 * than the container promises, errors in its log, undecodable packets beyond a small
 * tolerance). Tolerated problems are added to `notes` (may be NULL). */
int cw_audio_src_check_end(cw_audio_src *s, cw_diags *notes, cw_error *err);
/* The file's own tags (title, artist, recording date). */
void cw_audio_src_tags(cw_audio_src *s, cw_audio_tags *out);
void cw_audio_src_close(cw_audio_src *s);

/* Tag helpers for the decoders: copy a tag value cleaned (valid UTF-8 only, control
 * characters to spaces, trimmed, shortened at a character boundary) / a date tag's leading
 * YYYY-MM-DD. */
void cw_audio_tag_copy(char *dst, size_t cap, const char *value);
void cw_audio_tag_date(char out[11], const char *value);

/* ---- processing stages (process.c) ------------------------------------------------- */

/* Channel mix of n frames from inch to outch (downmix folds centre/surrounds, drops LFE;
 * upmix copies mono to the first two channels). */
void cw_audio_mix(const float *in, int inch, float *out, int outch, size_t n);

/* True-peak-aware look-ahead limiter: out = in * gain * g(t) where g keeps the 4x
 * interpolated peak at or under `ceiling` (linear) with a smooth attack over `lookahead`
 * seconds and an exponential release. Output lags input by cw_audio_limiter_delay frames;
 * cw_audio_limiter_drain flushes them. */
typedef struct cw_audio_limiter cw_audio_limiter;
int cw_audio_limiter_new(cw_audio_limiter **out, int channels, int rate, double gain, double ceiling,
                   double lookahead, double release);
void cw_audio_limiter_free(cw_audio_limiter *l);
size_t cw_audio_limiter_delay(const cw_audio_limiter *l);
/* n <= CW_AUDIO_BLOCK; out has room for n + delay frames; *nout frames written. */
void cw_audio_limiter_process(cw_audio_limiter *l, const float *in, size_t n, float *out, size_t *nout);
void cw_audio_limiter_drain(cw_audio_limiter *l, float *out, size_t *nout);
double cw_audio_limiter_min_gain(const cw_audio_limiter *l); /* lowest g applied (1 = never limited) */

/* ---- pass 1 of ingest (ingest.c) --------------------------------------------------- */

/* What one decode of a source tells: integrated loudness of the source mixed to `outch`
 * channels (libebur128, mono as dual mono), true peak of the source channels, clipping,
 * the first and last sound above `silence_db` (10 ms windows), the longest inner pause.
 * Refuses damaged files and NaN/Inf samples (see cw_src_*). */
typedef struct cw_audio_analysis {
    int rate, channels;
    int64_t frames;
    double lufs, lra, tp_db, clipped_pct;
    int64_t first_sound, sound_end; /* source frames; first_sound -1 when none */
    double longest_pause, longest_pause_at; /* seconds */
    char date[11];
    char format[48];
} cw_audio_analysis;
int cw_audio_analyse(const char *path, int outch, double silence_db, cw_audio_analysis *out,
               cw_error *err);

/* ---- loudness (ingest.c) ---------------------------------------------------------- */

double cw_audio_db_to_lin(double db);
double cw_audio_lin_to_db(double lin); /* -inf for 0 */

#endif
