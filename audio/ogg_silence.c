/* ogg_silence.c — silence links: digital silence in the chain's format, built from the
 * packets libvorbis writes for silence (a few transient packets, then one steady packet
 * repeated) instead of running the encoder on zeros (libvorbis analyses zeros as slowly as
 * speech: ~13 s of CPU per hour at 44.1 kHz).
 * Guarantees: exactly the requested number of samples (final granule), digital zeros when
 * decoded, memory independent of the length; the same request gives the same bytes. */
#include "ogg_chain_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <vorbis/codec.h>

#define CHAIN_BLOCK 4096 /* frames per block of zeros fed to the encoder */

/* After a few transient packets every packet is the same (one byte at the usual settings). */
#define SILENCE_TRANSIENT_MAX 64
typedef struct silence_tmpl {
    int usable;
    ogg_packet ident, setup;
    ogg_packet pk[SILENCE_TRANSIENT_MAX + 1]; /* transient packets, then the steady one */
    long bs[SILENCE_TRANSIENT_MAX + 1];
    int n_transient;
} silence_tmpl;

static int copy_packet(ogg_packet *dst, const ogg_packet *src)
{
    *dst = *src;
    dst->packet = malloc((size_t)src->bytes ? (size_t)src->bytes : 1);
    if (!dst->packet)
        return -1;
    memcpy(dst->packet, src->packet, (size_t)src->bytes);
    return 0;
}

/* Encode `samples` of digital silence into a temporary file (caller closes it). */
static int encode_silence(cw_chain *c, int64_t samples, FILE **out, cw_error *err)
{
    *out = NULL;
    FILE *tmp = tmpfile();
    if (!tmp)
        return cw_fail(err, CW_EIO, "", 0, "cannot create a temporary file: %s (check TMPDIR)", strerror(errno));
    cw_vorbis_enc *enc = NULL;
    int rc = cw_vorbis_enc_new(&enc, tmp, c->fmt.rate, c->fmt.channels, c->fmt.quality, 1, NULL, err);
    float *zero = rc ? NULL : calloc((size_t)CHAIN_BLOCK * (size_t)c->fmt.channels, sizeof(float));
    if (!rc && !zero)
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    for (int64_t left = samples; !rc && left > 0;) {
        size_t n = left > CHAIN_BLOCK ? CHAIN_BLOCK : (size_t)left;
        rc = cw_vorbis_enc_write(enc, zero, n, err);
        left -= (int64_t)n;
    }
    free(zero);
    if (!rc) {
        rc = cw_vorbis_enc_finish(enc, err);
        enc = NULL;
    }
    cw_vorbis_enc_abort(enc);
    if (rc)
        fclose(tmp);
    else
        *out = tmp;
    return rc;
}

void chn_silence_free(silence_tmpl *t)
{
    if (!t)
        return;
    free(t->ident.packet);
    free(t->setup.packet);
    for (int i = 0; i <= SILENCE_TRANSIENT_MAX; i++)
        free(t->pk[i].packet);
    free(t);
}

static int same_packet(const ogg_packet *a, const ogg_packet *b)
{
    return a->bytes == b->bytes && memcmp(a->packet, b->packet, (size_t)a->bytes) == 0;
}

/* Encode two seconds of silence and keep its headers, its transient packets and its
 * steady packet. t->usable stays 0 when the encoder's output does not have that shape. */
static int silence_tmpl_build(cw_chain *c, silence_tmpl *t, cw_error *err)
{
    FILE *tmp = NULL;
    int rc = encode_silence(c, 2 * (int64_t)c->fmt.rate, &tmp, err);
    if (rc)
        return rc;
    rewind(tmp);
    ogg_sync_state oy;
    ogg_stream_state os;
    vorbis_info vi;
    vorbis_comment vc;
    ogg_sync_init(&oy);
    vorbis_info_init(&vi);
    vorbis_comment_init(&vc);
    int have_os = 0, n = 0, bad = 0;
    ogg_packet all[SILENCE_TRANSIENT_MAX + 3];
    long bs[SILENCE_TRANSIENT_MAX + 3];
    memset(all, 0, sizeof all);
    for (int eof = 0; !eof && !bad && n < SILENCE_TRANSIENT_MAX + 3;) {
        char *buf = ogg_sync_buffer(&oy, 4096);
        size_t got = buf ? fread(buf, 1, 4096, tmp) : 0;
        eof = got == 0;
        ogg_sync_wrote(&oy, (long)got);
        ogg_page og;
        while (!bad && n < SILENCE_TRANSIENT_MAX + 3 && ogg_sync_pageout(&oy, &og) == 1) {
            if (!have_os) {
                ogg_stream_init(&os, ogg_page_serialno(&og));
                have_os = 1;
            }
            ogg_stream_pagein(&os, &og);
            ogg_packet op;
            while (!bad && n < SILENCE_TRANSIENT_MAX + 3 && ogg_stream_packetout(&os, &op) == 1) {
                if (n < 3)
                    bad = vorbis_synthesis_headerin(&vi, &vc, &op) != 0;
                bs[n] = n < 3 ? 0 : vorbis_packet_blocksize(&vi, &op);
                bad = bad || copy_packet(&all[n], &op) != 0;
                n++;
            }
        }
    }
    /* steady: the first audio packet j >= 1 equal to the two after it, a long block */
    int j = -1;
    long longest = vi.codec_setup ? vorbis_info_blocksize(&vi, 1) : 0;
    for (int k = 4; !bad && k + 2 < n; k++)
        if (bs[k] == longest && same_packet(&all[k], &all[k + 1]) && same_packet(&all[k], &all[k + 2])) {
            j = k;
            break;
        }
    if (!bad && j > 0 && j - 3 <= SILENCE_TRANSIENT_MAX) {
        t->ident = all[0];
        t->setup = all[2];
        all[0].packet = all[2].packet = NULL;
        for (int k = 3; k <= j; k++) {
            t->pk[k - 3] = all[k];
            t->bs[k - 3] = bs[k];
            all[k].packet = NULL;
        }
        t->n_transient = j - 3;
        t->usable = 1;
    }
    for (int k = 0; k < n; k++)
        free(all[k].packet);
    if (have_os)
        ogg_stream_clear(&os);
    vorbis_comment_clear(&vc);
    vorbis_info_clear(&vi);
    ogg_sync_clear(&oy);
    fclose(tmp);
    return 0;
}

/* Write a silence link of `samples` from the template. */
static int silence_from_tmpl(cw_chain *c, const silence_tmpl *t, int64_t samples,
                             const cw_link_meta *meta, cw_error *err)
{
    uint32_t serial = chn_next_serial(c);
    ogg_stream_state os;
    ogg_page og;
    ogg_packet p;
    int rc = chn_begin_link(c, serial, samples, err);
    if (!rc)
        rc = chn_write_headers(c, &os, serial, &t->ident, &t->setup, meta, err);
    if (rc) {
        c->failed = 1;
        return rc;
    }
    c->failed = 1; /* until the link is complete */
    /* Packet k ends at `next`; the link ends with the first packet that reaches `samples`,
     * and has at least three packets so its first page ({p0, p1}) is never its last. */
    int64_t g = 0;
    long prev_bs = -1;
    int64_t first = 0;
    for (int64_t k = 0; !rc; k++) {
        int idx = k < t->n_transient ? (int)k : t->n_transient;
        long bs = t->bs[idx];
        int64_t next = g + (prev_bs > 0 ? (prev_bs + bs) / 4 : 0);
        int last = next >= samples && k >= 2;
        if (k == 1)
            first = chn_split_granule(prev_bs, bs, 3, samples);
        p = t->pk[idx];
        p.b_o_s = 0;
        p.e_o_s = last;
        p.granulepos = last ? samples : k == 1 ? first : next < samples ? next : -1;
        p.packetno = 3 + k;
        ogg_stream_packetin(&os, &p);
        if (k == 1 || last) {
            /* the first two packets on their own page (see write_split), the end flushed */
            while (!rc && ogg_stream_flush(&os, &og))
                rc = chn_emit_page(c, &og, err);
        } else {
            while (!rc && ogg_stream_pageout(&os, &og))
                rc = chn_emit_page(c, &og, err);
        }
        if (last)
            break;
        g = next;
        prev_bs = bs;
    }
    ogg_stream_clear(&os);
    if (!rc)
        rc = chn_end_link(c, serial, samples, err);
    if (!rc)
        c->failed = 0;
    return rc;
}

int chn_silence(cw_chain *c, int64_t samples, const cw_link_meta *meta, cw_error *err)
{
    int rc = 0;
    if (!c->silence) {
        c->silence = calloc(1, sizeof *c->silence);
        if (!c->silence)
            return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        if ((rc = silence_tmpl_build(c, c->silence, err)) != 0)
            return rc;
    }
    if (c->silence->usable)
        return silence_from_tmpl(c, c->silence, samples, meta, err);
    /* an encoder whose silence has another shape: encode these zeros */
    FILE *tmp = NULL;
    rc = encode_silence(c, samples, &tmp, err);
    if (!rc) {
        rc = chn_append_encoded(c, tmp, samples, meta, err);
        fclose(tmp);
    }
    return rc;
}
