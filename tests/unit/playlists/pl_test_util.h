/* pl_test_util.h — helpers for the chain and bundle tests: synthesised tone recordings,
 * libvorbisfile decoding of whole files and of single links, a scratch folder.
 * Everything is generated in code; nothing large is committed. */
#ifndef PL_TEST_UTIL_H
#define PL_TEST_UTIL_H

#include "audio.h"

#include <stddef.h>
#include <stdint.h>

/* Make a fresh scratch folder (mkdtemp under $TMPDIR or /tmp); caller frees. */
char *pl_scratch(void);
void pl_rmtree(const char *path);

/* Write an Ogg Vorbis file with a sine of `freq` Hz, amplitude 0.5, `n` frames, through
 * cw_vorbis_enc (the same encoder ingest uses). Returns 0. */
int pl_tone_file(const char *path, int rate, int channels, double freq, int64_t n, double quality,
                 const char *title);

/* Decode a whole file (every link) as mono (channel 0) floats. *out malloc'd, *n frames.
 * link_start (optional, capacity max_links) gets the frame where each link begins;
 * *links the number of links seen. Returns 0 or -1. */
int pl_decode(const char *path, float **out, int64_t *n, int64_t *link_start, int max_links,
              int *links);

/* Energy-normalised amplitude of `freq` in x[0..n) (Goertzel), ~0.5 for our tones. */
double pl_tone_level(const float *x, size_t n, int rate, double freq);

/* Bytes of a whole file; *out malloc'd. */
int pl_slurp(const char *path, unsigned char **out, size_t *n);

#endif
