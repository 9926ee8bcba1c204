/* encode.c — the streaming libvorbis encoder behind ingest and the chain writer.
 * Guarantees: deterministic (no clocks, no randomness: the same samples, format, comments
 * and serial give the same bytes); headers are flushed onto pages of their own so audio
 * starts on a fresh page; the EOS page's granule position is exactly the number of samples
 * written; memory is bounded by CW_BLOCK_FRAMES whatever is passed to write. */
#include "audio_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <vorbis/vorbisenc.h>

struct cw_vorbis_enc {
    FILE *fp;
    int channels;
    vorbis_info vi;
    vorbis_comment vc;
    vorbis_dsp_state vd;
    vorbis_block vb;
    ogg_stream_state os;
    int64_t written;
    int64_t page_bytes; /* bytes of audio pages handed to fp */
    long header_bytes;
    int failed;
};

/* Vorbis comment field names: printable ASCII 0x20..0x7D except '=' (spec section 5.2.3). */
static int field_name_ok(const char *s, size_t n)
{
    if (n == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c > 0x7d || c == '=')
            return 0;
    }
    return 1;
}

static void add_tag(vorbis_comment *vc, const char *key, const char *value)
{
    if (value && value[0])
        vorbis_comment_add_tag(vc, key, value);
}

/* Fill vc from meta (vc already initialised). */
static int comments_from_meta(vorbis_comment *vc, const cw_link_meta *meta, cw_error *err)
{
    if (!meta)
        return 0;
    add_tag(vc, "TITLE", meta->title);
    add_tag(vc, "ARTIST", meta->artist);
    add_tag(vc, "ALBUM", meta->album);
    if (meta->tracknumber > 0) {
        char n[16];
        snprintf(n, sizeof n, "%d", meta->tracknumber);
        add_tag(vc, "TRACKNUMBER", n);
    }
    add_tag(vc, "GENRE", meta->genre);
    add_tag(vc, "LANGUAGE", meta->language);
    add_tag(vc, "DESCRIPTION", meta->description);
    if (meta->extra) {
        for (size_t i = 0; i < meta->extra->n; i++) {
            const char *kv = meta->extra->v[i];
            const char *eq = strchr(kv, '=');
            if (!eq || !field_name_ok(kv, (size_t)(eq - kv)))
                return cw_fail(err, CW_EINVAL, "", 0,
                               "bad vorbis comment '%.60s' (use KEY=value, KEY in printable "
                               "ascii without '=')", kv);
            vorbis_comment_add(vc, kv);
        }
    }
    return 0;
}

static int setup_info(vorbis_info *vi, int rate, int channels, double quality, cw_error *err)
{
    if (channels < 1 || channels > 255 || rate < 1000 || rate > 384000)
        return cw_fail(err, CW_EUNSUPPORTED, "", 0,
                       "cannot encode %d channels at %d Hz (use 1..8 channels, 8000..192000 Hz)",
                       channels, rate);
    double q = quality / 10.0;
    if (q < -0.1)
        q = -0.1;
    if (q > 1.0)
        q = 1.0;
    vorbis_info_init(vi);
    if (vorbis_encode_init_vbr(vi, channels, rate, (float)q) != 0) {
        vorbis_info_clear(vi);
        return cw_fail(err, CW_EUNSUPPORTED, "", 0,
                       "libvorbis cannot encode %d channels at %d Hz, quality %.1f "
                       "(choose another rate or quality in station.conf)",
                       channels, rate, quality);
    }
    return 0;
}

static int write_page(FILE *fp, const ogg_page *pg)
{
    if (fwrite(pg->header, 1, (size_t)pg->header_len, fp) != (size_t)pg->header_len)
        return -1;
    if (fwrite(pg->body, 1, (size_t)pg->body_len, fp) != (size_t)pg->body_len)
        return -1;
    return 0;
}

static void buf_page(cw_buf *b, const ogg_page *pg)
{
    cw_buf_append(b, pg->header, (size_t)pg->header_len);
    cw_buf_append(b, pg->body, (size_t)pg->body_len);
}

/* Put the three header packets into os and flush them as pages. */
static void header_pages(vorbis_dsp_state *vd, vorbis_comment *vc, ogg_stream_state *os,
                         cw_buf *out)
{
    ogg_packet id, comm, code;
    vorbis_analysis_headerout(vd, vc, &id, &comm, &code);
    ogg_stream_packetin(os, &id);
    ogg_page pg;
    /* The identification header gets a page of its own (Vorbis I spec, section A.2). */
    while (ogg_stream_flush(os, &pg))
        buf_page(out, &pg);
    ogg_stream_packetin(os, &comm);
    ogg_stream_packetin(os, &code);
    while (ogg_stream_flush(os, &pg))
        buf_page(out, &pg);
}

int cw_vorbis_headers_build(cw_buf *out, int rate, int channels, double quality,
                            uint32_t serial, const cw_link_meta *meta, cw_error *err)
{
    vorbis_info vi;
    int rc = setup_info(&vi, rate, channels, quality, err);
    if (rc)
        return rc;
    vorbis_comment vc;
    vorbis_comment_init(&vc);
    rc = comments_from_meta(&vc, meta, err);
    if (rc == 0) {
        vorbis_dsp_state vd;
        ogg_stream_state os;
        vorbis_analysis_init(&vd, &vi);
        ogg_stream_init(&os, (int)serial);
        header_pages(&vd, &vc, &os, out);
        ogg_stream_clear(&os);
        vorbis_dsp_clear(&vd);
        if (out->oom)
            rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory building vorbis headers");
    }
    vorbis_comment_clear(&vc);
    vorbis_info_clear(&vi);
    return rc;
}

int cw_vorbis_enc_new(cw_vorbis_enc **out, FILE *fp, int rate, int channels, double quality,
                      uint32_t serial, const cw_link_meta *meta, cw_error *err)
{
    *out = NULL;
    cw_vorbis_enc *e = calloc(1, sizeof *e);
    if (!e)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory creating the vorbis encoder");
    e->fp = fp;
    e->channels = channels;
    int rc = setup_info(&e->vi, rate, channels, quality, err);
    if (rc) {
        free(e);
        return rc;
    }
    vorbis_comment_init(&e->vc);
    rc = comments_from_meta(&e->vc, meta, err);
    if (rc) {
        vorbis_comment_clear(&e->vc);
        vorbis_info_clear(&e->vi);
        free(e);
        return rc;
    }
    vorbis_analysis_init(&e->vd, &e->vi);
    vorbis_block_init(&e->vd, &e->vb);
    ogg_stream_init(&e->os, (int)serial);

    cw_buf hdr;
    cw_buf_init(&hdr);
    header_pages(&e->vd, &e->vc, &e->os, &hdr);
    if (hdr.oom) {
        cw_buf_free(&hdr);
        cw_vorbis_enc_abort(e);
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory writing vorbis headers");
    }
    if (fwrite(hdr.data, 1, hdr.len, fp) != hdr.len) {
        cw_buf_free(&hdr);
        cw_vorbis_enc_abort(e);
        return cw_fail(err, CW_EIO, "", 0, "cannot write ogg pages (disk full?)");
    }
    e->header_bytes = (long)hdr.len;
    cw_buf_free(&hdr);
    *out = e;
    return 0;
}

long cw_vorbis_enc_header_bytes(const cw_vorbis_enc *e)
{
    return e ? e->header_bytes : 0;
}

int64_t cw_vorbis_enc_page_bytes(const cw_vorbis_enc *e)
{
    return e ? e->page_bytes : 0;
}

/* Pull every finished packet out of libvorbis and write the full pages. */
static int drain(cw_vorbis_enc *e, int flush, cw_error *err)
{
    ogg_packet op;
    ogg_page pg;
    while (vorbis_analysis_blockout(&e->vd, &e->vb) == 1) {
        vorbis_analysis(&e->vb, NULL);
        vorbis_bitrate_addblock(&e->vb);
        while (vorbis_bitrate_flushpacket(&e->vd, &op)) {
            ogg_stream_packetin(&e->os, &op);
            while (ogg_stream_pageout(&e->os, &pg)) {
                if (write_page(e->fp, &pg)) {
                    e->failed = 1;
                    return cw_fail(err, CW_EIO, "", 0, "cannot write ogg pages (disk full?)");
                }
                e->page_bytes += pg.header_len + pg.body_len;
            }
        }
    }
    if (flush) {
        while (ogg_stream_flush(&e->os, &pg)) {
            if (write_page(e->fp, &pg)) {
                e->failed = 1;
                return cw_fail(err, CW_EIO, "", 0, "cannot write ogg pages (disk full?)");
            }
        }
    }
    return 0;
}

int cw_vorbis_enc_write(cw_vorbis_enc *e, const float *frames, size_t n, cw_error *err)
{
    if (e->failed)
        return cw_fail(err, CW_EIO, "", 0, "encoder already failed");
    const int ch = e->channels;
    while (n > 0) {
        size_t m = n < CW_BLOCK_FRAMES ? n : CW_BLOCK_FRAMES;
        float **buf = vorbis_analysis_buffer(&e->vd, (int)m);
        for (size_t i = 0; i < m; i++) {
            for (int c = 0; c < ch; c++) {
                float v = frames[i * (size_t)ch + (size_t)c];
                /* libvorbis does not guard against NaN: it would poison the MDCT. */
                if (!(v == v))
                    v = 0.0f;
                buf[c][i] = v;
            }
        }
        vorbis_analysis_wrote(&e->vd, (int)m);
        e->written += (int64_t)m;
        int rc = drain(e, 0, err);
        if (rc)
            return rc;
        frames += m * (size_t)ch;
        n -= m;
    }
    return 0;
}

int cw_vorbis_enc_finish(cw_vorbis_enc *e, cw_error *err)
{
    int rc = 0;
    if (e->failed) {
        rc = cw_fail(err, CW_EIO, "", 0, "encoder already failed");
    } else {
        vorbis_analysis_wrote(&e->vd, 0);
        rc = drain(e, 1, err);
        if (rc == 0 && fflush(e->fp) != 0)
            rc = cw_fail(err, CW_EIO, "", 0, "cannot write ogg pages (disk full?)");
    }
    cw_vorbis_enc_abort(e);
    return rc;
}

void cw_vorbis_enc_abort(cw_vorbis_enc *e)
{
    if (!e)
        return;
    ogg_stream_clear(&e->os);
    vorbis_block_clear(&e->vb);
    vorbis_dsp_clear(&e->vd);
    vorbis_comment_clear(&e->vc);
    vorbis_info_clear(&e->vi);
    free(e);
}
