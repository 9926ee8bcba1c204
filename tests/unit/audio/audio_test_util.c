/* audio_test_util.c — see audio_test_util.h. Uses libvorbisfile and libebur128 directly
 * so the checks do not depend on the code under test. */
#include "audio_test_util.h"

#include <ebur128.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vorbis/vorbisfile.h>

char *tu_tmpdir(void)
{
    const char *t = getenv("TMPDIR");
    char tmpl[512];
    snprintf(tmpl, sizeof tmpl, "%s/cwaudio-XXXXXX", t && t[0] ? t : "/tmp");
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

void tu_rmrf(const char *path)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    if (system(cmd) != 0) {
        /* best effort */
    }
}

float *tu_sine(int rate, int channels, const double *amp, double freq, double phase_deg,
               size_t n)
{
    float *v = malloc(n * (size_t)channels * sizeof *v + 1);
    if (!v)
        return NULL;
    double ph = phase_deg * M_PI / 180.0;
    for (size_t i = 0; i < n; i++) {
        double s = sin(2.0 * M_PI * freq * (double)i / rate + ph);
        for (int c = 0; c < channels; c++)
            v[i * (size_t)channels + (size_t)c] = (float)(amp[c] * s);
    }
    return v;
}

int tu_decode_ogg(const char *path, tu_decoded *out)
{
    memset(out, 0, sizeof *out);
    OggVorbis_File vf;
    if (ov_fopen(path, &vf) != 0)
        return -1;
    vorbis_info *vi = ov_info(&vf, -1);
    out->rate = (int)vi->rate;
    out->channels = vi->channels;
    out->links = (int)ov_streams(&vf);
    ebur128_state *st = ebur128_init((unsigned)vi->channels, (unsigned long)vi->rate,
                                     EBUR128_MODE_I | EBUR128_MODE_TRUE_PEAK);
    if (vi->channels == 1)
        ebur128_set_channel(st, 0, EBUR128_DUAL_MONO);
    float *il = malloc(4096 * (size_t)vi->channels * sizeof *il);
    int bs = 0;
    for (;;) {
        float **pcm;
        long n = ov_read_float(&vf, &pcm, 4096, &bs);
        if (n == OV_HOLE)
            continue;
        if (n <= 0)
            break;
        for (long i = 0; i < n; i++)
            for (int c = 0; c < vi->channels; c++) {
                float x = pcm[c][i];
                il[i * vi->channels + c] = x;
                if (fabs(x) > out->sample_peak)
                    out->sample_peak = fabs(x);
            }
        ebur128_add_frames_float(st, il, (size_t)n);
        out->frames += n;
    }
    double l = -HUGE_VAL, tpmax = 0.0;
    ebur128_loudness_global(st, &l);
    for (int c = 0; c < vi->channels; c++) {
        double tp = 0;
        ebur128_true_peak(st, (unsigned)c, &tp);
        if (tp > tpmax)
            tpmax = tp;
    }
    out->lufs = l;
    out->true_peak_db = tpmax > 0 ? 20 * log10(tpmax) : -HUGE_VAL;
    free(il);
    ebur128_destroy(&st);
    ov_clear(&vf);
    return 0;
}

unsigned char *tu_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *len = (size_t)n;
    return b;
}
