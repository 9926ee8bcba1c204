/* ogg_join.c — links that start inside a recording (playout joining late, `from` > 0): a
 * short head decoded from `from` and encoded again with the fade-in, then the recording's
 * own packets from the first packet boundary after the fade, in a link of their own with
 * granule positions counted from there. Only the head costs an encode, so joining an
 * hour-long lesson near its start costs a second of CPU, not a minute.
 * Guarantees: head + rest are exactly the requested samples; the rest decodes bit for bit
 * as the recording does from that sample on (a Vorbis packet decoded after its predecessor
 * gives the same samples wherever the decoder started); memory does not grow with the
 * recording's length (one page and one packet at a time). */
#include "ogg_chain_int.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <vorbis/codec.h>

#define JOIN_READ 65536

/* The recording's audio packets in order, with the sample where each one's audio ends. */
typedef struct pkt_reader {
    FILE *fp;
    ogg_sync_state oy;
    ogg_stream_state os;
    vorbis_info *vi;
    long serial;
    int64_t index;   /* audio packets returned so far */
    int64_t end;     /* where the last returned packet's audio ends */
    long prev_bs;
    int headers_left;
    int eos;
} pkt_reader;

static int pr_open(pkt_reader *r, const char *path, long serial, vorbis_info *vi, cw_error *err)
{
    memset(r, 0, sizeof *r);
    r->fp = fopen(path, "rb");
    if (!r->fp)
        return cw_fail(err, CW_EIO, path, 0, "cannot open the recording: %s", strerror(errno));
    ogg_sync_init(&r->oy);
    ogg_stream_init(&r->os, (int)serial);
    r->vi = vi;
    r->serial = serial;
    r->prev_bs = -1;
    r->headers_left = 3;
    return 0;
}

static void pr_close(pkt_reader *r)
{
    if (r->fp)
        fclose(r->fp);
    ogg_sync_clear(&r->oy);
    ogg_stream_clear(&r->os);
}

/* 1: a packet in *op (valid until the next call); 0: the stream ended; <0: damage. */
static int pr_next(pkt_reader *r, ogg_packet *op, const char *path, cw_error *err)
{
    for (;;) {
        int got = ogg_stream_packetout(&r->os, op);
        if (got < 0)
            return cw_fail(err, CW_EINVAL, path, 0, "damaged ogg data (re-ingest the recording)");
        if (got == 1) {
            if (r->headers_left > 0) {
                r->headers_left--;
                continue;
            }
            long bs = vorbis_packet_blocksize(r->vi, op);
            if (bs <= 0)
                return cw_fail(err, CW_EINVAL, path, 0, "damaged audio packet (re-ingest the recording)");
            if (r->prev_bs > 0)
                r->end += (r->prev_bs + bs) / 4;
            r->prev_bs = bs;
            r->index++;
            return 1;
        }
        if (r->eos)
            return 0;
        ogg_page og;
        long n = ogg_sync_pageout(&r->oy, &og);
        if (n < 0)
            return cw_fail(err, CW_EINVAL, path, 0, "damaged ogg data (re-ingest the recording)");
        if (n == 1) {
            if (ogg_page_serialno(&og) == r->serial) {
                ogg_stream_pagein(&r->os, &og);
                r->eos = ogg_page_eos(&og);
            }
            continue;
        }
        char *buf = ogg_sync_buffer(&r->oy, JOIN_READ);
        size_t got_bytes = buf ? fread(buf, 1, JOIN_READ, r->fp) : 0;
        if (got_bytes == 0) {
            if (ferror(r->fp))
                return cw_fail(err, CW_EIO, path, 0, "read error: %s", strerror(errno));
            return 0;
        }
        ogg_sync_wrote(&r->oy, (long)got_bytes);
    }
}

/* The audio packet where the rest starts: the first whose audio ends at or after `at`
 * (its own audio is not played: it primes the decoder). *split gets where it ends. 0 when
 * fewer than three packets would be left to copy. */
static int64_t find_split(const char *path, long serial, vorbis_info *vi, int64_t at, int64_t length,
                          int64_t *split, cw_error *err)
{
    pkt_reader r;
    int rc = pr_open(&r, path, serial, vi, err);
    if (rc)
        return rc;
    ogg_packet op;
    int64_t found = 0;
    while ((rc = pr_next(&r, &op, path, err)) == 1) {
        if (r.end >= at) {
            found = r.index;
            *split = r.end;
            break;
        }
    }
    /* three more packets (the first page of the rest must not be its last) */
    for (int k = 0; found && rc == 1 && k < 3; k++)
        rc = pr_next(&r, &op, path, err);
    pr_close(&r);
    if (rc < 0)
        return rc;
    return rc == 1 && found && *split < length ? found : 0;
}

/* The rest: packets `first` (priming) to the end, as a link of `samples` samples. */
static int write_rest(cw_chain *c, const char *path, long serial, vorbis_info *vi, const ogg_packet hdr[3],
                      const cw_link_meta *meta, int64_t first, int64_t split, int64_t samples, cw_error *err)
{
    pkt_reader r;
    int rc = pr_open(&r, path, serial, vi, err);
    if (rc)
        return rc;
    uint32_t out_serial = chn_next_serial(c);
    ogg_stream_state os;
    int have_os = 0;
    c->part = 1;
    c->reencoded = 0;
    rc = chn_begin_link(c, out_serial, samples, err);
    if (!rc)
        rc = chn_write_headers(c, &os, out_serial, &hdr[0], &hdr[2], meta, err);
    have_os = !rc;
    c->failed = 1; /* until the link is complete */
    ogg_packet op, held;
    int have_held = 0;
    unsigned char *held_buf = NULL;
    int64_t held_end = 0, packetno = 3;
    ogg_page og;
    int got = 0;
    while (!rc && (got = pr_next(&r, &op, path, err)) == 1) {
        if (r.index < first)
            continue;
        if (have_held) {
            /* not the last: its true granule position (from the split) */
            held.b_o_s = held.e_o_s = 0;
            held.granulepos = held_end - split;
            held.packetno = packetno++;
            ogg_stream_packetin(&os, &held);
            if (held.packetno == 4) {
                /* the first two packets on their own page, ending at a granule > 0 */
                while (!rc && ogg_stream_flush(&os, &og))
                    rc = chn_emit_page(c, &og, err);
            } else {
                while (!rc && ogg_stream_pageout(&os, &og))
                    rc = chn_emit_page(c, &og, err);
            }
        }
        /* hold a copy: the next page read may overwrite the packet's bytes */
        unsigned char *nb = realloc(held_buf, (size_t)op.bytes ? (size_t)op.bytes : 1);
        if (!nb) {
            rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
            break;
        }
        held_buf = nb;
        memcpy(held_buf, op.packet, (size_t)op.bytes);
        held = op;
        held.packet = held_buf;
        held_end = r.end;
        have_held = 1;
    }
    if (!rc && got < 0)
        rc = got;
    if (!rc && (!have_held || held_end - split < samples))
        rc = cw_fail(err, CW_EINVAL, path, 0, "the recording ends before sample %lld (rescan the library)",
                     (long long)(split + samples));
    if (!rc) {
        held.b_o_s = 0;
        held.e_o_s = 1;
        held.granulepos = samples; /* the recording's own end trim, moved with it */
        held.packetno = packetno;
        ogg_stream_packetin(&os, &held);
        while (!rc && ogg_stream_flush(&os, &og))
            rc = chn_emit_page(c, &og, err);
    }
    if (!rc)
        rc = chn_end_link(c, out_serial, samples, err);
    if (!rc)
        c->failed = 0;
    if (have_os)
        ogg_stream_clear(&os);
    free(held_buf);
    pr_close(&r);
    return rc;
}

int chn_join(cw_chain *c, const cw_link_spec *sp, long serial, const ogg_packet hdr[3], int64_t length,
             int *done, cw_error *err)
{
    *done = 0;
    vorbis_info vi;
    vorbis_comment vc;
    vorbis_info_init(&vi);
    vorbis_comment_init(&vc);
    int rc = 0;
    for (int i = 0; i < 3 && !rc; i++)
        if (vorbis_synthesis_headerin(&vi, &vc, (ogg_packet *)&hdr[i]) != 0)
            rc = cw_fail(err, CW_EINVAL, sp->path, 0, "not an ogg vorbis file: header %d is invalid", i + 1);
    int64_t fade = (int64_t)llround((sp->fade_in > 0 ? sp->fade_in : 0) * c->fmt.rate);
    int64_t split = 0, first = 0;
    if (!rc) {
        int64_t f = find_split(sp->path, serial, &vi, sp->from + (fade > 0 ? fade : 1), length, &split, err);
        if (f < 0)
            rc = (int)f;
        else
            first = f;
    }
    if (!rc && first > 0) {
        /* the head: [from, split) decoded and encoded with the fade-in */
        cw_link_spec head = *sp;
        head.samples = split - sp->from;
        head.fade_out = 0;
        c->part = 0;
        c->reencoded = 1;
        rc = chn_reencode(c, &head, err);
        if (!rc)
            rc = write_rest(c, sp->path, serial, &vi, hdr, sp->meta, first, split, length - split, err);
        if (!rc)
            *done = 1;
    }
    vorbis_comment_clear(&vc);
    vorbis_info_clear(&vi);
    return rc;
}
