/* ogg_chain.c — the chain writer: one chained Ogg Vorbis stream (day files, per-item files).
 * Whole library files in the chain's format are page-copied (new serial, renumbered pages,
 * recomputed CRCs, comment header replaced), everything else is decoded and re-encoded.
 * Guarantees: every link has exactly the requested number of samples (final granule),
 * serials are derived from seed+index and unique in the file, memory never grows with a
 * link's length (one page and fixed PCM blocks), the same inputs give the same bytes. */
#include "audio_int.h"
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

/* The re-encode itself is a configuration of the audio chain (reencode.c): the same
 * downmix rule as ingest. */
static int reencode(cw_chain *c, const char *path, int64_t from, int64_t samples, double fade_in,
                    double fade_seconds, const cw_link_meta *meta, cw_error *err)
{
    FILE *tmp = tmpfile();
    if (!tmp)
        return cw_fail(err, CW_EIO, "", 0, "cannot create a temporary file: %s (check TMPDIR)",
                       strerror(errno));
    int rc = cw_audio_reencode(path, tmp, c->fmt.rate, c->fmt.channels, c->fmt.quality, from,
                               samples, fade_in, fade_seconds, err);
    if (!rc)
        rc = chn_append_encoded(c, tmp, samples, meta, err);
    fclose(tmp);
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
