/* ogg_check.c — structural check of an Ogg Vorbis file (single or chained), for `verify`
 * and the tests: every page's CRC, BOS/EOS framing, unique serials, continuous page
 * sequence, three valid Vorbis headers per link, and the exact sample count per link.
 * Guarantees: reads the file once in fixed-size blocks; never decodes audio. */
#include "audio.h"

#include <errno.h>
#include <ogg/ogg.h>
#include <stdlib.h>
#include <string.h>
#include <vorbis/codec.h>

#define CHECK_READ 65536

typedef struct link_state {
    ogg_stream_state os;
    vorbis_info vi;
    vorbis_comment vc;
    long serial;
    long next_seq;
    int headers;     /* 0..3 */
    int first_audio; /* the first audio page is still to come */
    long prev_bs;
    int64_t begin;   /* granule of sample 0 */
    int64_t last_granule;
    int open;
} link_state;

static void link_clear(link_state *l)
{
    if (l->open) {
        ogg_stream_clear(&l->os);
        vorbis_comment_clear(&l->vc);
        vorbis_info_clear(&l->vi);
    }
    l->open = 0;
}

int cw_ogg_check(const char *path, int *links, int64_t *samples, cw_error *err)
{
    if (links)
        *links = 0;
    if (samples)
        *samples = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return cw_fail(err, errno == ENOENT ? CW_ENOTFOUND : CW_EIO, path, 0, "cannot open: %s",
                       strerror(errno));
    ogg_sync_state oy;
    ogg_sync_init(&oy);
    link_state l;
    memset(&l, 0, sizeof l);
    uint32_t *serials = NULL;
    size_t nser = 0, capser = 0;
    int64_t total = 0, offset = 0;
    int rc = 0, nlinks = 0;
    for (;;) {
        ogg_page og;
        long n = ogg_sync_pageseek(&oy, &og);
        if (n < 0) {
            rc = cw_fail(err, CW_EINVAL, path, 0,
                         "bad page at byte %lld (checksum mismatch or garbage)", (long long)offset);
            break;
        }
        if (n == 0) {
            char *buf = ogg_sync_buffer(&oy, CHECK_READ);
            size_t got = buf ? fread(buf, 1, CHECK_READ, fp) : 0;
            if (got == 0) {
                if (ferror(fp))
                    rc = cw_fail(err, CW_EIO, path, 0, "read error: %s", strerror(errno));
                else if (oy.fill - oy.returned > 0)
                    rc = cw_fail(err, CW_EINVAL, path, 0,
                                 "truncated: %ld stray bytes at the end",
                                 (long)(oy.fill - oy.returned));
                break;
            }
            ogg_sync_wrote(&oy, (long)got);
            continue;
        }
        int64_t at = offset;
        offset += n;
        long serial = ogg_page_serialno(&og);
        if (ogg_page_bos(&og)) {
            if (l.open) {
                rc = cw_fail(err, CW_EINVAL, path, 0,
                             "link %d has no end-of-stream page before the next link (byte %lld)",
                             nlinks, (long long)at);
                break;
            }
            for (size_t i = 0; i < nser; i++)
                if (serials[i] == (uint32_t)serial) {
                    rc = cw_fail(err, CW_EINVAL, path, 0,
                                 "serial number %08lx used twice (link %d)", serial, nlinks + 1);
                    break;
                }
            if (rc)
                break;
            if (nser == capser) {
                size_t cap = capser ? capser * 2 : 64;
                uint32_t *v = realloc(serials, cap * sizeof *v);
                if (!v) {
                    rc = cw_fail(err, CW_ENOMEM, path, 0, "out of memory");
                    break;
                }
                serials = v;
                capser = cap;
            }
            serials[nser++] = (uint32_t)serial;
            memset(&l, 0, sizeof l);
            ogg_stream_init(&l.os, (int)serial);
            vorbis_info_init(&l.vi);
            vorbis_comment_init(&l.vc);
            l.open = 1;
            l.serial = serial;
            l.first_audio = 1;
            l.last_granule = -1;
            nlinks++;
        } else if (!l.open) {
            rc = cw_fail(err, CW_EINVAL, path, 0,
                         nlinks ? "data after the end of link %d (byte %lld)"
                                : "no beginning-of-stream page (link %d, byte %lld)",
                         nlinks, (long long)at);
            break;
        } else if (serial != l.serial) {
            rc = cw_fail(err, CW_EINVAL, path, 0,
                         "link %d is interleaved with another stream (byte %lld)", nlinks,
                         (long long)at);
            break;
        }
        if (ogg_page_pageno(&og) != l.next_seq) {
            rc = cw_fail(err, CW_EINVAL, path, 0,
                         "link %d: page %ld follows page %ld (missing or repeated pages)", nlinks,
                         ogg_page_pageno(&og), l.next_seq - 1);
            break;
        }
        l.next_seq++;
        if (ogg_stream_pagein(&l.os, &og) != 0) {
            rc = cw_fail(err, CW_EINVAL, path, 0, "link %d: page rejected by libogg", nlinks);
            break;
        }
        int audio_on_page = 0;
        int64_t acc = 0;
        ogg_packet op;
        int pr;
        while ((pr = ogg_stream_packetout(&l.os, &op)) != 0) {
            if (pr < 0) {
                rc = cw_fail(err, CW_EINVAL, path, 0, "link %d: hole in the data", nlinks);
                break;
            }
            if (l.headers < 3) {
                if (vorbis_synthesis_headerin(&l.vi, &l.vc, &op) != 0) {
                    rc = cw_fail(err, CW_EINVAL, path, 0, "link %d: vorbis header %d is invalid",
                                 nlinks, l.headers + 1);
                    break;
                }
                l.headers++;
                continue;
            }
            long bs = vorbis_packet_blocksize(&l.vi, &op);
            if (bs <= 0) {
                rc = cw_fail(err, CW_EINVAL, path, 0, "link %d: invalid audio packet", nlinks);
                break;
            }
            if (l.prev_bs > 0)
                acc += (l.prev_bs + bs) / 4;
            l.prev_bs = bs;
            audio_on_page = 1;
        }
        if (rc)
            break;
        int64_t g = ogg_page_granulepos(&og);
        if (audio_on_page && g >= 0) {
            if (l.first_audio) {
                /* as libvorbisfile: granule of sample 0 from the samples completed on the
                 * first audio page */
                l.begin = g - acc;
                if (l.begin < 0)
                    l.begin = 0;
                l.first_audio = 0;
            }
            if (g < l.last_granule) {
                rc = cw_fail(err, CW_EINVAL, path, 0, "link %d: granule position goes backward",
                             nlinks);
                break;
            }
            l.last_granule = g;
        }
        if (ogg_page_eos(&og)) {
            if (l.headers < 3) {
                rc = cw_fail(err, CW_EINVAL, path, 0, "link %d: ends before its three vorbis headers",
                             nlinks);
                break;
            }
            int64_t ls = l.last_granule >= 0 ? l.last_granule - l.begin : 0;
            total += ls;
            link_clear(&l);
        }
    }
    if (!rc && l.open)
        rc = cw_fail(err, CW_EINVAL, path, 0, "link %d has no end-of-stream page (truncated?)",
                     nlinks);
    if (!rc && nlinks == 0)
        rc = cw_fail(err, CW_EINVAL, path, 0, "no ogg pages (not an ogg vorbis file)");
    link_clear(&l);
    ogg_sync_clear(&oy);
    free(serials);
    fclose(fp);
    if (!rc) {
        if (links)
            *links = nlinks;
        if (samples)
            *samples = total;
    }
    return rc;
}
