/* ogg_chain.c — the chain writer: one chained Ogg Vorbis stream (day files, per-item files).
 * Whole library files in the chain's format are page-copied (new serial, renumbered pages,
 * recomputed CRCs, comment header replaced), everything else is decoded and re-encoded.
 * Guarantees: every link has exactly the requested number of samples (final granule),
 * serials are derived from seed+index and unique in the file, memory never grows with a
 * link's length (one page and fixed PCM blocks), the same inputs give the same bytes. */
#include "ogg_chain_int.h"

#include <errno.h>
#include <math.h>
#include <ogg/ogg.h>
#include <soxr.h>
#include <stdlib.h>
#include <string.h>
#include <vorbis/codec.h>
#include <vorbis/vorbisfile.h>

#define CHAIN_BLOCK 4096          /* frames per PCM block */
#define CHAIN_READ 65536          /* bytes per read from a source file */

/* ---- decode, convert, re-encode ----------------------------------------------------- */

/* Mix `in` (n frames of ich channels) into `out` (och channels). */
static void mix_channels(const float *in, int ich, float *out, int och, size_t n)
{
    for (size_t f = 0; f < n; f++) {
        const float *s = in + f * (size_t)ich;
        float *d = out + f * (size_t)och;
        if (och == 1) {
            float sum = 0;
            for (int i = 0; i < ich; i++)
                sum += s[i];
            d[0] = sum / (float)ich;
        } else if (ich == 1) {
            for (int o = 0; o < och; o++)
                d[o] = s[0];
        } else {
            for (int o = 0; o < och; o++)
                d[o] = o < ich ? s[o] : 0.0f;
        }
    }
}

/* Encoder side of a re-encoded link: counts frames, applies the fades, stops at `samples`. */
typedef struct enc_sink {
    cw_vorbis_enc *enc;
    int channels;
    int64_t done, samples, fade_from; /* fade out over [fade_from, samples) */
    int64_t fade_in;                  /* fade in over [0, fade_in) */
} enc_sink;

static int sink_write(enc_sink *s, float *frames, size_t n, cw_error *err)
{
    if (s->done >= s->samples)
        return 0;
    if ((int64_t)n > s->samples - s->done)
        n = (size_t)(s->samples - s->done);
    int64_t fade_len = s->samples - s->fade_from;
    for (size_t f = 0; f < n; f++) {
        int64_t pos = s->done + (int64_t)f;
        if (pos < s->fade_in) {
            /* raised cosine from 0 up to 1 at the fade's last sample */
            double x = (double)(pos + 1) / (double)s->fade_in;
            float g = (float)(0.5 * (1.0 - cos(M_PI * x)));
            for (int ch = 0; ch < s->channels; ch++)
                frames[f * (size_t)s->channels + (size_t)ch] *= g;
        }
        if (pos < s->fade_from)
            continue;
        /* raised cosine from 1 down to 0 at the link's last sample */
        double x = (double)(pos - s->fade_from + 1) / (double)fade_len;
        float g = (float)(0.5 * (1.0 + cos(M_PI * x)));
        for (int ch = 0; ch < s->channels; ch++)
            frames[f * (size_t)s->channels + (size_t)ch] *= g;
    }
    s->done += (int64_t)n;
    return cw_vorbis_enc_write(s->enc, frames, n, err);
}

/* Append a link our encoder wrote to tmp, through the page copy (so every link gets the
 * chain's serial, comment header and page layout). */
int chn_append_encoded(cw_chain *c, FILE *tmp, int64_t samples, const cw_link_meta *meta,
                       cw_error *err)
{
    if (fflush(tmp) != 0 || fseeko(tmp, 0, SEEK_SET) != 0)
        return cw_fail(err, CW_EIO, "", 0, "cannot read back the encoded link: %s (check TMPDIR)",
                       strerror(errno));
    page_reader rd = {tmp, {0}, 0};
    ogg_sync_init(&rd.oy);
    header_state hs;
    memset(&hs, 0, sizeof hs);
    src_info si;
    int rc = chn_read_headers(&rd, "(encoded link)", &si, &hs, err);
    if (!rc && !si.copyable)
        rc = cw_fail(err, CW_EINTERNAL, "", 0, "the encoder wrote an unexpected page layout (please report)");
    if (!rc)
        rc = chn_page_copy(c, &rd, "(encoded link)", &si, &hs, meta, samples, err);
    chn_header_state_clear(&hs);
    ogg_sync_clear(&rd.oy);
    return rc;
}

static int reencode(cw_chain *c, const char *path, int64_t from, int64_t samples, double fade_in,
                    double fade_seconds, const cw_link_meta *meta, cw_error *err)
{
    OggVorbis_File vf;
    int orc = ov_fopen(path, &vf);
    if (orc != 0)
        return cw_fail(err, CW_EINVAL, path, 0, "cannot decode the recording (re-ingest it)");
    int rc = 0;
    cw_vorbis_enc *enc = NULL;
    FILE *tmp = NULL;
    soxr_t sx = NULL;
    float *inter = NULL, *mixed = NULL, *resampled = NULL;
    vorbis_info *vi = ov_info(&vf, -1);
    int srate = vi ? (int)vi->rate : 0, sch = vi ? vi->channels : 0;
    if (ov_streams(&vf) != 1 || srate <= 0 || sch <= 0) {
        rc = cw_fail(err, CW_EINVAL, path, 0,
                     "holds more than one ogg stream (re-ingest the recording as one file)");
        goto done;
    }
    int och = c->fmt.channels, orate = c->fmt.rate;
    if (!(tmp = tmpfile())) {
        rc = cw_fail(err, CW_EIO, "", 0, "cannot create a temporary file: %s (check TMPDIR)", strerror(errno));
        goto done;
    }
    if ((rc = cw_vorbis_enc_new(&enc, tmp, orate, och, c->fmt.quality, 1, NULL, err)) != 0)
        goto done;
    int64_t full = ov_pcm_total(&vf, -1);
    int64_t full_out = srate == orate ? full : (int64_t)llround((double)full * orate / srate);
    enc_sink sink = {enc, och, 0, samples, samples, 0};
    if (from > 0 && fade_in > 0)
        sink.fade_in = (int64_t)llround(fade_in * orate) < samples ? (int64_t)llround(fade_in * orate) : samples;
    if (from > 0 && ov_pcm_seek(&vf, srate == orate ? from : (int64_t)llround((double)from * srate / orate)) != 0) {
        rc = cw_fail(err, CW_EINVAL, path, 0, "cannot seek to sample %lld (re-ingest the recording)", (long long)from);
        goto done;
    }
    if (from + samples < full_out && fade_seconds > 0) {
        int64_t fl = (int64_t)llround(fade_seconds * orate);
        if (fl > samples)
            fl = samples;
        sink.fade_from = samples - fl;
    }
    inter = malloc(sizeof(float) * CHAIN_BLOCK * (size_t)(sch > och ? sch : och));
    mixed = malloc(sizeof(float) * CHAIN_BLOCK * (size_t)och);
    size_t rs_cap = 0;
    if (srate != orate) {
        soxr_error_t se = NULL;
        soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
        sx = soxr_create((double)srate, (double)orate, (unsigned)och, &se, NULL, &q, NULL);
        if (!sx || se) {
            rc = cw_fail(err, CW_EINTERNAL, path, 0, "cannot set up the resampler: %s", se ? se : "?");
            goto done;
        }
        rs_cap = (size_t)((double)CHAIN_BLOCK * orate / srate) + 64;
        resampled = malloc(sizeof(float) * rs_cap * (size_t)och);
    }
    if (!inter || !mixed || (sx && !resampled)) {
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        goto done;
    }
    int eof = 0;
    while (!rc && sink.done < samples) {
        size_t n = 0;
        if (!eof) {
            float **pcm;
            int bs;
            long got = ov_read_float(&vf, &pcm, CHAIN_BLOCK, &bs);
            if (got < 0) {
                rc = cw_fail(err, CW_EINVAL, path, 0, "damaged audio data (re-ingest the recording)");
                break;
            }
            if (got == 0) {
                eof = 1;
            } else {
                n = (size_t)got;
                for (size_t f = 0; f < n; f++)
                    for (int ch = 0; ch < sch; ch++)
                        inter[f * (size_t)sch + (size_t)ch] = pcm[ch][f];
                mix_channels(inter, sch, mixed, och, n);
            }
        }
        if (!sx) {
            if (eof)
                break;
            rc = sink_write(&sink, mixed, n, err);
            continue;
        }
        /* resample: on eof, drain with NULL input until nothing more comes out */
        for (;;) {
            size_t idone = 0, odone = 0;
            soxr_error_t se = soxr_process(sx, eof ? NULL : mixed, eof ? 0 : n, &idone, resampled,
                                           rs_cap, &odone);
            if (se) {
                rc = cw_fail(err, CW_EINTERNAL, path, 0, "resampling failed: %s", se);
                break;
            }
            if (odone)
                rc = sink_write(&sink, resampled, odone, err);
            if (rc || (!eof && idone >= n) || odone == 0 || sink.done >= samples)
                break;
            if (!eof) {
                /* the resampler did not take everything: offer the rest */
                memmove(mixed, mixed + idone * (size_t)och, (n - idone) * (size_t)och * sizeof(float));
                n -= idone;
            }
        }
        if (eof)
            break;
    }
    if (!rc && sink.done < samples) {
        /* resampling rounds; anything more than a few samples short is a wrong request */
        int64_t missing = samples - sink.done;
        if (srate == orate || missing > 64) {
            rc = cw_fail(err, CW_EINVAL, path, 0,
                         "the recording has %lld samples, %lld were asked for (rescan the library)",
                         (long long)(sink.done), (long long)samples);
        } else {
            memset(mixed, 0, sizeof(float) * CHAIN_BLOCK * (size_t)och);
            rc = sink_write(&sink, mixed, (size_t)missing, err);
        }
    }
    if (!rc) {
        rc = cw_vorbis_enc_finish(enc, err);
        enc = NULL;
    }
    if (!rc)
        rc = chn_append_encoded(c, tmp, samples, meta, err);
done:
    if (tmp)
        fclose(tmp);
    cw_vorbis_enc_abort(enc);
    if (sx)
        soxr_delete(sx);
    free(inter);
    free(mixed);
    free(resampled);
    ov_clear(&vf);
    return rc;
}

int chn_reencode(cw_chain *c, const cw_link_spec *sp, cw_error *err)
{
    return reencode(c, sp->path, sp->from, sp->samples, sp->fade_in, sp->fade_out, sp->meta, err);
}

/* ---- public ------------------------------------------------------------------------- */

int cw_chain_open(cw_chain **out, const cw_ogg_sink *sink, const cw_chain_format *fmt, uint32_t seed,
                  cw_error *err)
{
    *out = NULL;
    if (!sink || !sink->page || !fmt || fmt->rate < 1000 || fmt->rate > 768000 || fmt->channels < 1 ||
        fmt->channels > 255)
        return cw_fail(err, CW_EINVAL, "", 0, "invalid chain format (check rate and channels)");
    cw_chain *c = calloc(1, sizeof *c);
    unsigned char *pb = malloc(OGG_MAX_PAGE);
    if (!c || !pb) {
        free(c);
        free(pb);
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    c->sink = sink;
    c->fmt = *fmt;
    c->seed = seed;
    c->pagebuf = pb;
    *out = c;
    return 0;
}

int64_t cw_chain_samples(const cw_chain *c)
{
    return c ? c->samples : 0;
}

size_t cw_chain_links(const cw_chain *c)
{
    return c ? c->n_links : 0;
}

/* A file link: page copy when the whole file plays as it is, else decode and encode. */
static int add_file(cw_chain *c, const cw_link_spec *sp, int *reencoded, cw_error *err)
{
    const char *ogg_path = sp->path;
    FILE *fp = fopen(ogg_path, "rb");
    if (!fp)
        return cw_fail(err, errno == ENOENT ? CW_ENOTFOUND : CW_EIO, ogg_path, 0,
                       "cannot open the recording: %s (rescan the library)", strerror(errno));
    page_reader rd = {fp, {0}, 0};
    ogg_sync_init(&rd.oy);
    header_state hs;
    memset(&hs, 0, sizeof hs);
    src_info si;
    int rc = chn_read_headers(&rd, ogg_path, &si, &hs, err);
    if (rc)
        goto done;
    int64_t last = -1;
    if (chn_last_granule(fp, si.serial, &last) != 0 || last < 0) {
        rc = cw_fail(err, CW_EINVAL, ogg_path, 0, "has no audio pages (re-ingest the recording)");
        goto done;
    }
    si.length = last;
    int same_format = si.rate == c->fmt.rate && si.channels == c->fmt.channels;
    int64_t have = same_format ? si.length
                               : (int64_t)llround((double)si.length * c->fmt.rate / si.rate);
    if (sp->from + sp->samples > have + (same_format ? 0 : 64)) {
        rc = cw_fail(err, CW_EINVAL, ogg_path, 0,
                     "the recording has %lld samples, %lld were asked for (rescan the library)",
                     (long long)have, (long long)(sp->from + sp->samples));
        goto done;
    }
    if (same_format && si.copyable && sp->from > 0 && sp->from + sp->samples == si.length) {
        /* joined inside the recording: an encoded head, then its own packets */
        int joined = 0;
        rc = chn_join(c, sp, si.serial, hs.hdr, si.length, &joined, err);
        if (rc || joined) {
            if (!rc)
                *reencoded = 1;
            goto done;
        }
    }
    if (same_format && si.copyable && sp->from == 0 && sp->samples == si.length) {
        /* reposition after the first audio page (last_granule moved the file) */
        ogg_sync_clear(&rd.oy);
        ogg_sync_init(&rd.oy);
        rd.offset = 0;
        if (fseeko(fp, 0, SEEK_SET) != 0) {
            rc = cw_fail(err, CW_EIO, ogg_path, 0, "cannot seek: %s", strerror(errno));
            goto done;
        }
        chn_header_state_clear(&hs);
        if ((rc = chn_read_headers(&rd, ogg_path, &si, &hs, err)) != 0)
            goto done;
        si.length = last;
        rc = chn_page_copy(c, &rd, ogg_path, &si, &hs, sp->meta, sp->samples, err);
    } else {
        c->reencoded = 1;
        rc = reencode(c, ogg_path, sp->from, sp->samples, sp->fade_in, sp->fade_out, sp->meta, err);
        if (!rc)
            *reencoded = 1;
    }
done:
    chn_header_state_clear(&hs);
    ogg_sync_clear(&rd.oy);
    fclose(fp);
    return rc;
}

int cw_chain_add(cw_chain *c, const cw_link_spec *spec, int *reencoded, cw_error *err)
{
    int re = 0;
    if (reencoded)
        *reencoded = 0;
    if (c->failed)
        return cw_fail(err, CW_EINTERNAL, "", 0, "the chain failed earlier and cannot be extended");
    if (spec->samples <= 0)
        return cw_fail(err, CW_EINVAL, spec->path ? spec->path : "", 0, "a link needs at least one sample");
    if (spec->from < 0)
        return cw_fail(err, CW_EINVAL, spec->path ? spec->path : "", 0, "a link cannot start before its recording");
    c->spec = spec;
    c->part = 0;
    c->reencoded = 0;
    int rc = spec->path ? add_file(c, spec, &re, err) : chn_silence(c, spec->samples, spec->meta, err);
    c->spec = NULL;
    if (!rc && reencoded)
        *reencoded = re;
    return rc;
}

int cw_chain_add_file(cw_chain *c, const char *ogg_path, int64_t samples, double fade_seconds,
                      const cw_link_meta *meta, int *reencoded, cw_error *err)
{
    cw_link_spec sp = {.path = ogg_path, .samples = samples, .fade_out = fade_seconds, .meta = meta};
    return cw_chain_add(c, &sp, reencoded, err);
}

int cw_chain_add_silence(cw_chain *c, int64_t samples, const cw_link_meta *meta, cw_error *err)
{
    cw_link_spec sp = {.samples = samples, .meta = meta};
    return cw_chain_add(c, &sp, NULL, err);
}

int cw_chain_close(cw_chain *c, cw_error *err)
{
    if (!c)
        return 0;
    int rc = 0;
    if (c->failed)
        rc = cw_fail(err, CW_EINTERNAL, "", 0, "the chain is incomplete: a link failed");
    free(c->serials);
    chn_silence_free(c->silence);
    free(c->pagebuf);
    free(c);
    return rc;
}
