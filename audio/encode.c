/* encode.c — the streaming libvorbis encoder behind ingest and the chain writer, with an
 * optional check of its own output (the spot check: see cw_audio_enc_spot_check).
 * Guarantees: deterministic (no clocks, no randomness: the same samples, format, comments
 * and serial give the same bytes); headers are flushed onto pages of their own so audio
 * starts on a fresh page; the EOS page's granule position is exactly the number of samples
 * written; memory is bounded by CW_AUDIO_BLOCK whatever is passed to write. */
#include "audio_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <vorbis/vorbisenc.h>

/* Spot check: input peaks are kept per SPOT_CHUNK frames for the last SPOT_RING chunks
 * (far more than libvorbis holds back: a packet's samples are always still covered). */
#define SPOT_CHUNK 256
#define SPOT_RING 1024

typedef struct spot {
    vorbis_info vi; /* read back from our own header packets, as a decoder would */
    vorbis_comment vc;
    vorbis_dsp_state vd;
    vorbis_block vb;
    int headers, ready;
    float ratio;          /* hot when a chunk peak >= ratio * the running input peak */
    float pk[SPOT_RING];  /* peak of input chunk i at pk[i % SPOT_RING] */
    int64_t chunks;       /* complete chunks */
    float cur;            /* peak of the chunk being filled */
    int64_t cur_fill;     /* frames in it */
    float max;            /* peak of all input so far */
    long margin;          /* frames around a packet's samples that can shape them */
    int64_t pos;          /* first output frame of the next packet */
    long prev_bs;         /* block size of the previous audio packet, 0 before the first */
    int live;             /* the decoder has the previous packet: its output is continuous */
    unsigned char *prev;  /* copy of the previous audio packet */
    long prev_len, prev_cap;
    ogg_int64_t prev_no, prev_gp;
    float *il;            /* interleaved decoded frames */
    cw_audio_truepeak *tp;
    cw_audio_vorbis_check res;
    int failed;
} spot;

struct cw_vorbis_enc {
    FILE *fp;
    int channels;
    vorbis_info vi;
    vorbis_comment vc;
    vorbis_dsp_state vd;
    vorbis_block vb;
    ogg_stream_state os;
    int64_t written;
    long header_bytes;
    int failed;
    spot *sp;     /* NULL unless cw_audio_enc_spot_check */
    cw_buf hp[3]; /* the header packets, for the spot check's decoder */
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

/* Put the three header packets into os and flush them as pages; copies of the packets go
 * to keep[] (NULL: not wanted). */
static void header_pages(vorbis_dsp_state *vd, vorbis_comment *vc, ogg_stream_state *os,
                         cw_buf *out, cw_buf keep[3])
{
    ogg_packet id, comm, code;
    vorbis_analysis_headerout(vd, vc, &id, &comm, &code);
    if (keep) {
        cw_buf_append(&keep[0], id.packet, (size_t)id.bytes);
        cw_buf_append(&keep[1], comm.packet, (size_t)comm.bytes);
        cw_buf_append(&keep[2], code.packet, (size_t)code.bytes);
    }
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

int cw_audio_vorbis_headers_build(cw_buf *out, int rate, int channels, double quality,
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
        header_pages(&vd, &vc, &os, out, NULL);
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
    for (int i = 0; i < 3; i++)
        cw_buf_init(&e->hp[i]);
    header_pages(&e->vd, &e->vc, &e->os, &hdr, e->hp);
    if (hdr.oom || e->hp[0].oom || e->hp[1].oom || e->hp[2].oom) {
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

long cw_audio_enc_header_bytes(const cw_vorbis_enc *e)
{
    return e ? e->header_bytes : 0;
}


/* ---- spot check ---------------------------------------------------------------------
 * The true peak of the decoded file matters only where the input comes near its own
 * loudest: Vorbis moves a peak by about a decibel (notes: +0.6 dB at q0), never by the
 * window's 6 dB. So packets whose samples lie within one long block of a "hot" input chunk
 * (peak >= ratio * the running peak; the running peak only grows, so a chunk near the
 * final maximum is always hot) are decoded with libvorbis's synthesis, exactly as a player
 * decodes them: after vorbis_synthesis_restart the previous packet is fed first, so the
 * overlap-add is the one continuous decoding gives. The other packets are only counted
 * (block sizes), which also yields the decoded length. */

static void spot_free(spot *s)
{
    if (!s)
        return;
    if (s->ready) {
        vorbis_block_clear(&s->vb);
        vorbis_dsp_clear(&s->vd);
    }
    vorbis_comment_clear(&s->vc);
    vorbis_info_clear(&s->vi);
    cw_audio_truepeak_free(s->tp);
    free(s->prev);
    free(s->il);
    free(s);
}

int cw_audio_enc_spot_check(cw_vorbis_enc *e, double window_db)
{
    if (e->sp || e->written > 0)
        return CW_EINTERNAL;
    spot *s = calloc(1, sizeof *s);
    if (!s)
        return CW_ENOMEM;
    vorbis_info_init(&s->vi);
    vorbis_comment_init(&s->vc);
    for (int i = 0; i < 3; i++) {
        ogg_packet op = {.packet = (unsigned char *)e->hp[i].data, .bytes = (long)e->hp[i].len,
                         .b_o_s = i == 0, .packetno = i};
        if (vorbis_synthesis_headerin(&s->vi, &s->vc, &op) != 0) {
            spot_free(s);
            return CW_EINTERNAL;
        }
    }
    if (vorbis_synthesis_init(&s->vd, &s->vi) != 0) {
        spot_free(s);
        return CW_EINTERNAL;
    }
    vorbis_block_init(&s->vd, &s->vb);
    s->ready = 1;
    s->margin = vorbis_info_blocksize(&s->vi, 1) / 2;
    s->ratio = (float)pow(10.0, -window_db / 20.0);
    s->il = malloc((size_t)s->margin * (size_t)e->channels * sizeof(float));
    if (!s->il || cw_audio_truepeak_new(&s->tp, e->channels)) {
        spot_free(s);
        return CW_ENOMEM;
    }
    e->sp = s;
    return 0;
}

static void spot_close_chunk(spot *s)
{
    s->pk[s->chunks % SPOT_RING] = s->cur;
    if (s->cur > s->max)
        s->max = s->cur;
    s->chunks++;
    s->cur = 0.0f;
    s->cur_fill = 0;
}

/* Input peaks, chunk by chunk. */
static void spot_input(spot *s, float *const *buf, int ch, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t take = (size_t)(SPOT_CHUNK - s->cur_fill);
        if (take > n - i)
            take = n - i;
        float m = s->cur;
        for (int c = 0; c < ch; c++)
            for (size_t j = i; j < i + take; j++) {
                float v = fabsf(buf[c][j]);
                m = v > m ? v : m;
            }
        s->cur = m;
        s->cur_fill += (int64_t)take;
        i += take;
        if (s->cur_fill == SPOT_CHUNK)
            spot_close_chunk(s);
    }
}

/* Could output frames [a, b) carry a peak near the loudest? */
static int spot_hot(const spot *s, int64_t a, int64_t b)
{
    int64_t lo = (a - s->margin) / SPOT_CHUNK, hi = (b + s->margin - 1) / SPOT_CHUNK;
    if (lo < 0)
        lo = 0;
    if (lo < s->chunks - SPOT_RING)
        return 1; /* no longer known (cannot happen): decode */
    const float thr = s->max * s->ratio;
    for (int64_t c = lo; c <= hi; c++) {
        float v = c < s->chunks ? s->pk[c % SPOT_RING] : c == s->chunks ? s->cur : 0.0f;
        if (v > 0.0f && v >= thr)
            return 1;
    }
    return 0;
}

static void spot_keep(spot *s, const ogg_packet *op)
{
    if (op->bytes > s->prev_cap) {
        unsigned char *p = realloc(s->prev, (size_t)op->bytes);
        if (!p) {
            s->failed = 1;
            s->prev_len = 0;
            return;
        }
        s->prev = p;
        s->prev_cap = op->bytes;
    }
    memcpy(s->prev, op->packet, (size_t)op->bytes);
    s->prev_len = op->bytes;
    s->prev_no = op->packetno;
    s->prev_gp = op->granulepos;
}

/* Decode op (continuing from the previous packet); returns the frames it gave. */
static long spot_synth(spot *s, ogg_packet *op, int ch, int64_t keep)
{
    float **pcm;
    long got = 0;
    int n;
    if (vorbis_synthesis(&s->vb, op) != 0 || vorbis_synthesis_blockin(&s->vd, &s->vb) != 0) {
        s->failed = 1;
        return 0;
    }
    while ((n = vorbis_synthesis_pcmout(&s->vd, &pcm)) > 0) {
        if (got + n > s->margin) {
            s->failed = 1;
            return got;
        }
        int64_t use = keep - got < n ? keep - got : n;
        if (use > 0) {
            for (int64_t i = 0; i < use; i++)
                for (int c = 0; c < ch; c++)
                    s->il[(size_t)i * (size_t)ch + (size_t)c] = pcm[c][i];
            cw_audio_truepeak_add(s->tp, s->il, (size_t)use);
            s->res.decoded += use;
        }
        got += n;
        vorbis_synthesis_read(&s->vd, n);
    }
    return got;
}

static void spot_packet(spot *s, ogg_packet *op, int ch)
{
    if (s->failed)
        return;
    long bs = vorbis_packet_blocksize(&s->vi, op);
    if (bs <= 0) {
        s->failed = 1;
        return;
    }
    int64_t n = s->prev_bs ? s->prev_bs / 4 + bs / 4 : 0;
    int64_t a = s->pos, b = a + n;
    if (op->e_o_s && op->granulepos >= 0 && b > op->granulepos)
        b = op->granulepos > a ? op->granulepos : a; /* the end is trimmed by the granule */
    if (n > 0 && spot_hot(s, a, b)) {
        if (!s->live) {
            /* a new stretch: restart, then the previous packet primes the overlap */
            vorbis_synthesis_restart(&s->vd);
            cw_audio_truepeak_restart(s->tp);
            /* with its own granule position, so libvorbis can trim a last packet that
             * follows (as when a player seeks to it) */
            ogg_packet pp = {.packet = s->prev, .bytes = s->prev_len, .packetno = s->prev_no,
                             .granulepos = s->prev_gp};
            if (spot_synth(s, &pp, ch, 0) != 0)
                s->failed = 1; /* a restarted decoder gives nothing for its first packet */
        }
        /* libvorbis trims the last packet to its granule itself */
        if (spot_synth(s, op, ch, b - a) != (op->e_o_s ? b - a : n))
            s->failed = 1;
        s->live = 1;
    } else {
        s->live = 0;
    }
    spot_keep(s, op);
    s->prev_bs = bs;
    s->pos = a + n;
    if (op->e_o_s)
        s->res.frames = b;
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
            if (e->sp)
                spot_packet(e->sp, &op, e->channels);
            ogg_stream_packetin(&e->os, &op);
            while (ogg_stream_pageout(&e->os, &pg)) {
                if (write_page(e->fp, &pg)) {
                    e->failed = 1;
                    return cw_fail(err, CW_EIO, "", 0, "cannot write ogg pages (disk full?)");
                }
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
        size_t m = n < CW_AUDIO_BLOCK ? n : CW_AUDIO_BLOCK;
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
        if (e->sp)
            spot_input(e->sp, buf, ch, m);
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

int cw_audio_enc_finish_checked(cw_vorbis_enc *e, cw_audio_vorbis_check *chk, cw_error *err)
{
    int rc = 0;
    if (e->failed) {
        rc = cw_fail(err, CW_EIO, "", 0, "encoder already failed");
    } else {
        if (e->sp && e->sp->cur_fill > 0)
            spot_close_chunk(e->sp);
        vorbis_analysis_wrote(&e->vd, 0);
        rc = drain(e, 1, err);
        if (rc == 0 && fflush(e->fp) != 0)
            rc = cw_fail(err, CW_EIO, "", 0, "cannot write ogg pages (disk full?)");
    }
    if (rc == 0 && chk) {
        if (!e->sp || e->sp->failed || e->sp->res.frames != e->written) {
            rc = cw_fail(err, CW_EINTERNAL, "", 0, "the file just encoded does not decode "
                         "to what was encoded (please report this)");
        } else {
            *chk = e->sp->res;
            chk->true_peak = cw_audio_truepeak_max(e->sp->tp);
        }
    }
    cw_vorbis_enc_abort(e);
    return rc;
}

int cw_vorbis_enc_finish(cw_vorbis_enc *e, cw_error *err)
{
    return cw_audio_enc_finish_checked(e, NULL, err);
}

void cw_vorbis_enc_abort(cw_vorbis_enc *e)
{
    if (!e)
        return;
    spot_free(e->sp);
    for (int i = 0; i < 3; i++)
        cw_buf_free(&e->hp[i]);
    ogg_stream_clear(&e->os);
    vorbis_block_clear(&e->vb);
    vorbis_dsp_clear(&e->vd);
    vorbis_comment_clear(&e->vc);
    vorbis_info_clear(&e->vi);
    free(e);
}
