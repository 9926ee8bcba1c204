/* audio_test_util.h — helpers for the audio unit tests: temporary directories, synthetic
 * signals, and decoding an Ogg Vorbis file back with libvorbisfile to check it. */
#ifndef CW_AUDIO_TEST_UTIL_H
#define CW_AUDIO_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* mkdtemp under $TMPDIR; caller frees and removes with tu_rmrf. */
char *tu_tmpdir(void);
void tu_rmrf(const char *path);
/* Interleaved sine: `channels` channels, amplitude per channel (linear), freq Hz, phase
 * in degrees, n frames. Caller frees. */
float *tu_sine(int rate, int channels, const double *amp, double freq, double phase_deg,
               size_t n);
/* Decode an Ogg Vorbis file fully: frames, rate, channels, integrated loudness (LUFS,
 * libebur128, mono as dual mono) and true peak (dBTP, libebur128). 0 on success. */
typedef struct tu_decoded {
    int64_t frames;
    int rate, channels, links;
    double lufs, true_peak_db, sample_peak;
} tu_decoded;
int tu_decode_ogg(const char *path, tu_decoded *out);
/* Whole file into memory; caller frees. */
unsigned char *tu_slurp(const char *path, size_t *len);

#endif
