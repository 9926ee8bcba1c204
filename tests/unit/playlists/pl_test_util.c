/* pl_test_util.c — see pl_test_util.h. */
#include "pl_test_util.h"

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vorbis/vorbisfile.h>

char *pl_scratch(void)
{
    const char *t = getenv("TMPDIR");
    char *tmpl = cw_asprintf("%s/cw-pl-XXXXXX", t && *t ? t : "/tmp");
    if (!tmpl || !mkdtemp(tmpl)) {
        free(tmpl);
        return NULL;
    }
    return tmpl;
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    return flag == FTW_DP ? rmdir(p) : unlink(p);
}

void pl_rmtree(const char *path)
{
    if (path)
        nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

int pl_tone_file(const char *path, int rate, int channels, double freq, int64_t n, double quality,
                 const char *title)
{
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return -1;
    cw_vorbis_enc *e = NULL;
    cw_error err;
    cw_link_meta m = {.title = title, .artist = "Test Teacher"};
    if (cw_vorbis_enc_new(&e, fp, rate, channels, quality, cw_hash32(path, strlen(path)), &m, &err)) {
        fclose(fp);
        return -1;
    }
    float buf[1024 * 8];
    int rc = 0;
    for (int64_t done = 0; done < n && !rc;) {
        size_t k = (size_t)(n - done > 1024 ? 1024 : n - done);
        for (size_t i = 0; i < k; i++)
            for (int c = 0; c < channels; c++)
                buf[i * (size_t)channels + (size_t)c] =
                    (float)(0.5 * sin(2 * M_PI * freq * (double)(done + (int64_t)i) / rate));
        rc = cw_vorbis_enc_write(e, buf, k, &err);
        done += (int64_t)k;
    }
    if (rc) {
        cw_vorbis_enc_abort(e);
        fclose(fp);
        return -1;
    }
    rc = cw_vorbis_enc_finish(e, &err);
    return fclose(fp) || rc ? -1 : 0;
}

int pl_decode(const char *path, float **out, int64_t *n, int64_t *link_start, int max_links, int *links)
{
    OggVorbis_File vf;
    *out = NULL;
    *n = 0;
    if (links)
        *links = 0;
    if (ov_fopen(path, &vf) != 0)
        return -1;
    int64_t total = ov_pcm_total(&vf, -1);
    float *x = malloc(sizeof(float) * (size_t)(total > 0 ? total : 1));
    if (!x) {
        ov_clear(&vf);
        return -1;
    }
    int64_t at = 0;
    int last = -1, nl = 0;
    for (;;) {
        float **pcm;
        int bs;
        long got = ov_read_float(&vf, &pcm, 4096, &bs);
        if (got == OV_HOLE)
            continue;
        if (got < 0) {
            free(x);
            ov_clear(&vf);
            return -1;
        }
        if (got == 0)
            break;
        if (bs != last) {
            if (link_start && nl < max_links)
                link_start[nl] = at;
            nl++;
            last = bs;
        }
        for (long i = 0; i < got && at < total; i++)
            x[at++] = pcm[0][i];
    }
    ov_clear(&vf);
    *out = x;
    *n = at;
    if (links)
        *links = nl;
    return 0;
}

double pl_tone_level(const float *x, size_t n, int rate, double freq)
{
    double w = 2 * M_PI * freq / rate, s1 = 0, s2 = 0, c = 2 * cos(w);
    for (size_t i = 0; i < n; i++) {
        double s0 = x[i] + c * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    double power = s1 * s1 + s2 * s2 - c * s1 * s2;
    return n ? 2 * sqrt(power) / (double)n : 0;
}

int pl_slurp(const char *path, unsigned char **out, size_t *n)
{
    char *d = NULL;
    size_t len = 0;
    cw_error err;
    if (cw_read_file(path, (size_t)1 << 30, &d, &len, &err) != 0)
        return -1;
    *out = (unsigned char *)d;
    *n = len;
    return 0;
}
