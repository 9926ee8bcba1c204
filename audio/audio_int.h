/* audio_int.h — internals shared by the audio module's files (decoder, stages, measuring,
 * header rewriting). Not a public interface: only the audio sources and the audio unit tests use it.
 * Guarantees: every function here follows the module's rules (no printing, cw_error on
 * failure, fixed-size blocks). */
#ifndef CW_AUDIO_INT_H
#define CW_AUDIO_INT_H

#include "audio.h"

#include <stdint.h>

/* Frames per processing block everywhere in the module. */
#define CW_BLOCK_FRAMES 4096

/* ---- encoder extras (encode.c) ----------------------------------------------------- */

/* The encoder's check of its own output (cw_vorbis_enc_spot_check). */
typedef struct cw_vorbis_check {
    int64_t frames;   /* the decoded length (block sizes, end trimmed by the EOS granule) */
    int64_t decoded;  /* frames actually decoded */
    double true_peak; /* linear, of the decoded frames */
} cw_vorbis_check;
/* Before the first write: decode, as the packets are made, those whose samples lie within
 * one long block of an input stretch peaking within window_db of the loudest input so far,
 * and measure their true peak (Vorbis moves peaks by about a decibel, so with a 6 dB window
 * this is the true peak of the whole decoded file). */
int cw_vorbis_enc_spot_check(cw_vorbis_enc *e, double window_db);
/* cw_vorbis_enc_finish, plus the check's result (fails if the packets do not decode to
 * exactly the frames written). */
int cw_vorbis_enc_finish_checked(cw_vorbis_enc *e, cw_vorbis_check *chk, cw_error *err);
/* Bytes of header pages the encoder wrote at the start of its file. */
long cw_vorbis_enc_header_bytes(const cw_vorbis_enc *e);
/* Build the header pages (identification, comment, setup) exactly as cw_vorbis_enc_new
 * writes them, into *out (appended). Used to rewrite comments in place once the values are
 * known: with comment values of fixed width the pages keep their length. */
int cw_vorbis_headers_build(cw_buf *out, int rate, int channels, double quality,
                            uint32_t serial, const cw_link_meta *meta, cw_error *err);

/* ---- Ogg page checksum (ogg_crc.c) -------------------------------------------------- */

/* The Ogg CRC of n bytes (libogg's ogg_page_checksum_set value when the page's checksum
 * field is zero), several times faster than libogg's. */
uint32_t cw_ogg_crc(const unsigned char *p, size_t n);
/* Does the page (len bytes, header and body) carry its right checksum? The checksum field
 * is zeroed while computing and restored. */
int cw_ogg_page_crc_ok(unsigned char *page, size_t len);

/* ---- true peak (truepeak.c) -------------------------------------------------------- */

/* 4x oversampled true-peak detector (BS.1770-4 Annex 2 style polyphase interpolation),
 * streaming, one state per channel. Blocks whose sample peak cannot reach the running
 * maximum are skipped, so the cost is small on normal programme. */
typedef struct cw_truepeak cw_truepeak;
int cw_truepeak_new(cw_truepeak **out, int channels);
void cw_truepeak_free(cw_truepeak *tp);
/* Interleaved frames. */
void cw_truepeak_add(cw_truepeak *tp, const float *frames, size_t n);
/* Linear true peak over everything added so far (max over channels), including the
 * interpolation past the last sample (as if followed by silence). Ends the input: call
 * it once, after the last cw_truepeak_add. */
double cw_truepeak_max(cw_truepeak *tp);
/* End the current stretch (as if followed by silence) and start another that is preceded
 * by silence; the maximum carries on. */
void cw_truepeak_restart(cw_truepeak *tp);
/* Linear true peak of the interpolated signal between sample i-1 and i (inclusive of
 * sample i) for one channel of a history buffer: x points at sample i, with at least
 * CW_TP_TAPS/2 samples valid before and after. */
#define CW_TP_PHASES 4
#define CW_TP_TAPS 16 /* taps per phase */
float cw_truepeak_at(const float *x, size_t stride);
/* Upper bound of |interpolated| / max|input| over the filter's support. */
double cw_truepeak_gain_bound(void);

/* ---- decoding (decode.c) ---------------------------------------------------------- */

/* "WAV, FLAC, MP3, Ogg Vorbis or Opus": for refusals. */
extern const char cw_accepted_formats[];
/* "12.3 s", "4:56" or "1:02:03". */
void cw_fmt_duration(double seconds, char out[32]);

/* A teacher's file opened for reading: libsndfile, or libmpg123 for MP3. Refuses empty
 * files, formats libsndfile cannot read (naming M4A/AAC, AMR, WMA), rates outside
 * 8..192 kHz, more than 8 channels, and MP3s whose Xing header promises more than is
 * there. */
typedef struct cw_src cw_src;
int cw_src_open(cw_src **out, const char *path, cw_error *err) CW_WARN_UNUSED;
int cw_src_rate(const cw_src *s);
int cw_src_channels(const cw_src *s);
int64_t cw_src_frames(const cw_src *s); /* as the header claims; -1 unknown */
const char *cw_src_format(const cw_src *s); /* "WAV", "FLAC", "MP3", ... */
/* Up to `frames` interleaved frames; *got == 0 at the end. */
int cw_src_read(cw_src *s, float *buf, size_t frames, size_t *got, cw_error *err);
/* After reading to the end: refuse what libsndfile reported as success but is damage
 * (fewer frames than the header, error lines in SFC_GET_LOG_INFO). */
int cw_src_check_end(cw_src *s, cw_error *err);
/* The source's own date tag (YYYY-MM-DD) or "" when it has none. */
void cw_src_date(cw_src *s, char out[11]);
void cw_src_close(cw_src *s);

/* ---- processing stages (process.c) ------------------------------------------------- */

/* Channel mix of n frames from inch to outch (downmix folds centre/surrounds, drops LFE;
 * upmix copies mono to the first two channels). */
void cw_mix(const float *in, int inch, float *out, int outch, size_t n);

/* True-peak-aware look-ahead limiter: out = in * gain * g(t) where g keeps the 4x
 * interpolated peak at or under `ceiling` (linear) with a smooth attack over `lookahead`
 * seconds and an exponential release. Output lags input by cw_limiter_delay frames;
 * cw_limiter_drain flushes them. */
typedef struct cw_limiter cw_limiter;
int cw_limiter_new(cw_limiter **out, int channels, int rate, double gain, double ceiling,
                   double lookahead, double release);
void cw_limiter_free(cw_limiter *l);
size_t cw_limiter_delay(const cw_limiter *l);
/* n <= CW_BLOCK_FRAMES; out has room for n + delay frames; *nout frames written. */
void cw_limiter_process(cw_limiter *l, const float *in, size_t n, float *out, size_t *nout);
void cw_limiter_drain(cw_limiter *l, float *out, size_t *nout);
double cw_limiter_min_gain(const cw_limiter *l); /* lowest g applied (1 = never limited) */

/* ---- pass 1 of ingest (ingest.c) --------------------------------------------------- */

/* What one decode of a source tells: integrated loudness of the source mixed to `outch`
 * channels (libebur128, mono as dual mono), true peak of the source channels, clipping,
 * the first and last sound above `silence_db` (10 ms windows), the longest inner pause.
 * Refuses damaged files and NaN/Inf samples (see cw_src_*). */
typedef struct cw_analysis {
    int rate, channels;
    int64_t frames;
    double lufs, lra, tp_db, clipped_pct;
    int64_t first_sound, sound_end; /* source frames; first_sound -1 when none */
    double longest_pause, longest_pause_at; /* seconds */
    char date[11];
    char format[16];
} cw_analysis;
int cw_analyse(const char *path, int outch, double silence_db, cw_analysis *out,
               cw_error *err);

/* ---- loudness (ingest.c) ---------------------------------------------------------- */

double cw_db_to_lin(double db);
double cw_lin_to_db(double lin); /* -inf for 0 */

#endif
