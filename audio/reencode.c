/* reencode.c — the bundle's re-encode, a chain configuration: a library file decoded with
 * libvorbisfile (from a sample inside it, for playout that joins late) -> mix (cw_audio_mix:
 * the one downmix rule, the same as ingest's) -> resample (libsoxr) -> exactly the samples
 * asked for, faded in when it starts inside the recording and out when it ends early -> the
 * Vorbis encoder. The chain writer (ogg_chain.c) page-copies the result into the day file.
 * Guarantees: exactly `samples` frames come out (a shortfall of a few frames from rounding
 * the resampled length is made up with silence; more is refused); deterministic; memory
 * independent of the recording's length. */
#include "audio_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <vorbis/vorbisfile.h>

typedef struct vf_src {
    OggVorbis_File vf;
    int channels;
    const char *path;
} vf_src;

static int vf_read(void *user, float *buf, size_t frames, size_t *got, cw_error *err)
{
    vf_src *v = user;
    float **pcm;
    int bs;
    long n = ov_read_float(&v->vf, &pcm, (int)frames, &bs);
    if (n < 0)
        return cw_fail(err, CW_EINVAL, v->path, 0, "damaged audio data (re-ingest the recording)");
    for (long f = 0; f < n; f++)
        for (int c = 0; c < v->channels; c++)
            buf[(size_t)f * (size_t)v->channels + (size_t)c] = pcm[c][f];
    *got = (size_t)n;
    return 0;
}

int cw_audio_reencode(const char *path, FILE *out, int rate, int channels, double quality,
                      int64_t from, int64_t samples, double fade_in, double fade_out,
                      cw_error *err)
{
    vf_src v;
    memset(&v, 0, sizeof v);
    v.path = path;
    if (ov_fopen(path, &v.vf) != 0)
        return cw_fail(err, CW_EINVAL, path, 0, "cannot decode the recording (re-ingest it)");
    vorbis_info *vi = ov_info(&v.vf, -1);
    int srate = vi ? (int)vi->rate : 0;
    v.channels = vi ? vi->channels : 0;
    int rc = 0;
    cw_audio_chain *c = NULL;
    if (ov_streams(&v.vf) != 1 || srate <= 0 || v.channels <= 0 || v.channels > 8) {
        rc = cw_fail(err, CW_EINVAL, path, 0, "holds more than one ogg stream (re-ingest the "
                     "recording as one file)");
    } else if (from > 0 && ov_pcm_seek(&v.vf, srate == rate ? from : llround((double)from *
                                                                            srate / rate)) != 0) {
        rc = cw_fail(err, CW_EINVAL, path, 0, "cannot seek to sample %lld (re-ingest the "
                     "recording)", (long long)from);
    } else if (cw_audio_chain_new(&c)) {
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    } else {
        int64_t full = ov_pcm_total(&v.vf, -1);
        int64_t full_out = srate == rate ? full : (int64_t)llround((double)full * rate / srate);
        int64_t fade = from + samples < full_out && fade_out > 0 ? llround(fade_out * rate) : 0;
        int64_t fin = from > 0 && fade_in > 0 ? llround(fade_in * rate) : 0;
        cw_audio_enc_result res;
        cw_audio_stage st;
        cw_audio_stage_mix(&st, channels);
        cw_audio_chain_add(c, &st);
        cw_audio_stage_resample(&st, rate);
        cw_audio_chain_add(c, &st);
        /* resampling rounds: anything more than a few samples short is a wrong request */
        cw_audio_stage_cut(&st, samples, fin, fade, srate == rate ? 0 : 64, path);
        cw_audio_chain_add(c, &st);
        cw_audio_stage_encoder(&st, out, rate, channels, quality, 1, NULL, 0, &res);
        cw_audio_chain_add(c, &st);
        cw_audio_fmt fmt = {srate, v.channels};
        rc = cw_audio_chain_run(c, vf_read, &v, &fmt, NULL, NULL, err);
    }
    cw_audio_chain_free(c);
    ov_clear(&v.vf);
    return rc;
}
