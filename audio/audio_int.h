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

/* Bytes of header pages the encoder wrote at the start of its file. */
long cw_vorbis_enc_header_bytes(const cw_vorbis_enc *e);
/* Build the header pages (identification, comment, setup) exactly as cw_vorbis_enc_new
 * writes them, into *out (appended). Used to rewrite comments in place once the values are
 * known: with comment values of fixed width the pages keep their length. */
int cw_vorbis_headers_build(cw_buf *out, int rate, int channels, double quality,
                            uint32_t serial, const cw_link_meta *meta, cw_error *err);

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
/* Linear true peak of the interpolated signal between sample i-1 and i (inclusive of
 * sample i) for one channel of a history buffer: x points at sample i, with at least
 * CW_TP_TAPS/2 samples valid before and after. */
#define CW_TP_PHASES 4
#define CW_TP_TAPS 16 /* taps per phase */
float cw_truepeak_at(const float *x, size_t stride);
/* Upper bound of |interpolated| / max|input| over the filter's support. */
double cw_truepeak_gain_bound(void);

/* ---- loudness (measure.c) ---------------------------------------------------------- */

double cw_db_to_lin(double db);
double cw_lin_to_db(double lin); /* -inf for 0 */

#endif
