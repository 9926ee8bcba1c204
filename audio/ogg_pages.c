/* ogg_pages.c — the Ogg side of the chain writer: serial numbers, the sink every page goes
 * through, Vorbis comment headers, reading a file's pages and headers, and the page copy
 * that puts a library file into a chain as a link of its own (new serial, renumbered pages,
 * recomputed CRCs, the comment header replaced) with the page layout every reader needs.
 * Guarantees: a link's first audio page holds its first two packets and ends at a granule
 * position above 0 and is never its last page (ogginfo and libvorbisfile 1.3.7 both read
 * every link); one page in memory at a time; the same input gives the same bytes. */
#include "ogg_chain_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <vorbis/codec.h>

#define CHAIN_READ 65536 /* bytes per read from a source file */

/* ---- serials and the sink ----------------------------------------------------------- */

static void put_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)((v >> 8) & 0xff);
    p[2] = (unsigned char)((v >> 16) & 0xff);
    p[3] = (unsigned char)((v >> 24) & 0xff);
}

uint32_t cw_chain_serial(uint32_t seed, uint64_t index, const uint32_t *used, size_t n_used)
{
    /* seed (4 bytes LE) + link index (8 bytes LE) + attempt (4 bytes LE) */
    unsigned char key[16];
    put_le32(key, seed);
    put_le32(key + 4, (uint32_t)(index & 0xffffffffu));
    put_le32(key + 8, (uint32_t)(index >> 32));
    for (uint32_t attempt = 0;; attempt++) {
        put_le32(key + 12, attempt);
        uint32_t s = cw_hash32(key, sizeof key);
        int taken = 0;
        for (size_t i = 0; i < n_used && !taken; i++)
            taken = used[i] == s;
        if (!taken)
            return s;
    }
}

uint32_t chn_next_serial(cw_chain *c)
{
    return cw_chain_serial(c->seed, (uint64_t)c->n_links, c->serials, c->n_links);
}

/* Tell the sink a link begins (before its first page). */
int chn_begin_link(cw_chain *c, uint32_t serial, int64_t samples, cw_error *err)
{
    if (!c->sink->link_begin)
        return 0;
    cw_ogg_link l = {c->n_links, serial, c->samples, samples, c->part, c->reencoded, c->spec};
    int rc = c->sink->link_begin(c->sink->user, &l, err);
    if (rc)
        c->failed = 1;
    return rc;
}

/* The link is complete: remember its serial, count its samples. */
int chn_end_link(cw_chain *c, uint32_t s, int64_t samples, cw_error *err)
{
    if (c->n_links == c->cap_links) {
        size_t cap = c->cap_links ? c->cap_links * 2 : 64;
        uint32_t *v = realloc(c->serials, cap * sizeof *v);
        if (!v) {
            c->failed = 1;
            return cw_fail(err, CW_ENOMEM, "", 0, "out of memory for the chain's serial numbers");
        }
        c->serials = v;
        c->cap_links = cap;
    }
    c->serials[c->n_links++] = s;
    c->samples += samples;
    return 0;
}

static int64_t page_granule(const unsigned char *h)
{
    uint64_t g = 0;
    for (int i = 7; i >= 0; i--)
        g = (g << 8) | h[6 + i];
    return (int64_t)g;
}

/* Hand one whole page (header then body, contiguous) to the sink. */
int chn_emit(cw_chain *c, const unsigned char *page, size_t len, cw_error *err)
{
    int rc = c->sink->page(c->sink->user, page, len, page_granule(page), err);
    if (rc)
        c->failed = 1;
    return rc;
}

int chn_emit_page(cw_chain *c, const ogg_page *og, cw_error *err)
{
    size_t hl = (size_t)og->header_len, bl = (size_t)og->body_len;
    if (og->body == og->header + hl)
        return chn_emit(c, og->header, hl + bl, err);
    memcpy(c->pagebuf, og->header, hl);
    memcpy(c->pagebuf + hl, og->body, bl);
    return chn_emit(c, c->pagebuf, hl + bl, err);
}

static int stdio_page(void *user, const unsigned char *page, size_t len, int64_t granule, cw_error *err)
{
    (void)granule;
    if (len && fwrite(page, 1, len, (FILE *)user) != len)
        return cw_fail(err, CW_EIO, "", 0, "cannot write the chained ogg stream: %s (check free space)",
                       strerror(errno));
    return 0;
}

static int stdio_close(void *user, int failed, cw_error *err)
{
    (void)failed;
    if (fflush((FILE *)user) != 0)
        return cw_fail(err, CW_EIO, "", 0, "cannot write the chained ogg stream: %s (check free space)",
                       strerror(errno));
    return 0;
}

void cw_ogg_sink_stdio(cw_ogg_sink *s, FILE *fp)
{
    memset(s, 0, sizeof *s);
    s->user = fp;
    s->page = stdio_page;
    s->close = stdio_close;
}

/* Comment text for Vorbis comments: valid UTF-8, no control characters. */
static char *clean_comment(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    if (!cw_utf8_valid(s, n)) {
        /* keep ASCII, replace every other byte: a title must never break a reader */
        for (size_t i = 0; i < n; i++)
            out[i] = ((unsigned char)s[i] < 0x80) ? s[i] : '?';
    } else {
        memcpy(out, s, n);
    }
    out[n] = 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
            out[i] = ' ';
    return out;
}

static int add_tag(vorbis_comment *vc, const char *key, const char *value)
{
    if (!value || !*value)
        return 0;
    char *v = clean_comment(value);
    if (!v)
        return -1;
    vorbis_comment_add_tag(vc, key, v);
    free(v);
    return 0;
}

/* Build the comment header packet for meta. *op must be cleared with ogg_packet_clear. */
int chn_comment_packet(const cw_link_meta *meta, ogg_packet *op, cw_error *err)
{
    vorbis_comment vc;
    vorbis_comment_init(&vc);
    int bad = 0;
    if (meta) {
        bad |= add_tag(&vc, "TITLE", meta->title);
        bad |= add_tag(&vc, "ARTIST", meta->artist);
        bad |= add_tag(&vc, "ALBUM", meta->album);
        bad |= add_tag(&vc, "GENRE", meta->genre);
        bad |= add_tag(&vc, "LANGUAGE", meta->language);
        bad |= add_tag(&vc, "DESCRIPTION", meta->description);
        if (meta->tracknumber > 0) {
            char num[16];
            snprintf(num, sizeof num, "%d", meta->tracknumber);
            vorbis_comment_add_tag(&vc, "TRACKNUMBER", num);
        }
        if (meta->extra)
            for (size_t i = 0; i < meta->extra->n; i++) {
                const char *kv = meta->extra->v[i];
                const char *eq = strchr(kv, '=');
                if (!eq || eq == kv)
                    continue; /* not KEY=value: skip rather than write a broken comment */
                char *key = cw_strndup(kv, (size_t)(eq - kv));
                if (!key) {
                    bad = -1;
                    break;
                }
                bad |= add_tag(&vc, key, eq + 1);
                free(key);
            }
    }
    memset(op, 0, sizeof *op);
    int rc = bad ? -1 : vorbis_commentheader_out(&vc, op);
    vorbis_comment_clear(&vc);
    if (rc)
        return cw_fail(err, CW_ENOMEM, "", 0, "cannot build the vorbis comment header");
    return 0;
}

/* ---- reading pages from a file ------------------------------------------------------ */

/* 1: a page; 0: end of file; CW_EINVAL: garbage or a bad CRC; CW_EIO: read error. */
int chn_read_page(page_reader *r, ogg_page *og)
{
    for (;;) {
        long n = ogg_sync_pageseek(&r->oy, og);
        if (n > 0) {
            r->offset += n;
            return 1;
        }
        if (n < 0)
            return CW_EINVAL;
        char *buf = ogg_sync_buffer(&r->oy, CHAIN_READ);
        if (!buf)
            return CW_ENOMEM;
        size_t got = fread(buf, 1, CHAIN_READ, r->fp);
        if (got == 0) {
            if (ferror(r->fp))
                return CW_EIO;
            /* bytes left in the sync buffer that are not a page: a truncated file */
            return (r->oy.fill - r->oy.returned) > 0 ? CW_EINVAL : 0;
        }
        ogg_sync_wrote(&r->oy, (long)got);
    }
}

/* Final granule and EOS flag of the last page of the stream with `serial`, found by
 * scanning backward from the end in 64 KiB steps. Returns 0, or <0 when none found. */
int chn_last_granule(FILE *fp, long serial, int64_t *granule)
{
    if (fseeko(fp, 0, SEEK_END) != 0)
        return CW_EIO;
    off_t end = ftello(fp);
    if (end < 0)
        return CW_EIO;
    for (off_t chunk = CHAIN_READ;; chunk *= 2) {
        off_t from = end > chunk ? end - chunk : 0;
        /* pages wholly inside [from, end); one straddling `from` is skipped as garbage */
        if (fseeko(fp, from, SEEK_SET) != 0)
            return CW_EIO;
        ogg_sync_state oy;
        ogg_sync_init(&oy);
        int found = 0;
        off_t pos = from;
        for (;;) {
            ogg_page og;
            long n = ogg_sync_pageseek(&oy, &og);
            if (n > 0) {
                if (ogg_page_serialno(&og) == serial && ogg_page_granulepos(&og) >= 0) {
                    *granule = ogg_page_granulepos(&og);
                    found = 1;
                }
                continue;
            }
            if (n < 0)
                continue;
            if (pos >= end)
                break;
            char *buf = ogg_sync_buffer(&oy, CHAIN_READ);
            size_t want = (size_t)((end - pos) < CHAIN_READ ? (end - pos) : CHAIN_READ);
            size_t got = buf ? fread(buf, 1, want, fp) : 0;
            if (got == 0)
                break;
            ogg_sync_wrote(&oy, (long)got);
            pos += (off_t)got;
        }
        ogg_sync_clear(&oy);
        if (found)
            return 0;
        if (from == 0)
            return CW_EINVAL;
    }
}

/* ---- page copy ---------------------------------------------------------------------- */

void chn_header_state_clear(header_state *h)
{
    for (int i = 0; i < 3; i++)
        free(h->hdr[i].packet);
    free(h->firstbuf);
    memset(h, 0, sizeof *h);
}

static int copy_packet(ogg_packet *dst, const ogg_packet *src)
{
    *dst = *src;
    dst->packet = malloc((size_t)src->bytes ? (size_t)src->bytes : 1);
    if (!dst->packet)
        return -1;
    memcpy(dst->packet, src->packet, (size_t)src->bytes);
    return 0;
}

int chn_read_headers(page_reader *rd, const char *path, src_info *si, header_state *hs,
                     cw_error *err)
{
    ogg_stream_state os;
    vorbis_info vi;
    vorbis_comment vc;
    int have_os = 0, npk = 0, rc = 0;
    vorbis_info_init(&vi);
    vorbis_comment_init(&vc);
    memset(si, 0, sizeof *si);
    si->copyable = 1;
    while (npk < 3) {
        ogg_page og;
        int r = chn_read_page(rd, &og);
        if (r <= 0) {
            rc = cw_fail(err, r == CW_EIO ? CW_EIO : CW_EINVAL, path, 0,
                         "not a complete ogg vorbis file: the headers are %s (re-ingest the recording)",
                         r == 0 ? "missing" : "damaged");
            goto done;
        }
        if (!have_os) {
            if (!ogg_page_bos(&og)) {
                rc = cw_fail(err, CW_EINVAL, path, 0,
                             "not an ogg vorbis file: no beginning-of-stream page (re-ingest the recording)");
                goto done;
            }
            si->serial = ogg_page_serialno(&og);
            ogg_stream_init(&os, (int)si->serial);
            have_os = 1;
        } else if (ogg_page_serialno(&og) != si->serial) {
            rc = cw_fail(err, CW_EINVAL, path, 0,
                         "holds more than one ogg stream (re-ingest the recording as one file)");
            goto done;
        }
        ogg_stream_pagein(&os, &og);
        ogg_packet op;
        int pr;
        while (npk < 3 && (pr = ogg_stream_packetout(&os, &op)) != 0) {
            if (pr < 0 || vorbis_synthesis_headerin(&vi, &vc, &op) != 0) {
                rc = cw_fail(err, CW_EINVAL, path, 0,
                             "not an ogg vorbis file: header %d is invalid (re-ingest the recording)",
                             npk + 1);
                goto done;
            }
            if (copy_packet(&hs->hdr[npk], &op) != 0) {
                rc = cw_fail(err, CW_ENOMEM, path, 0, "out of memory reading headers");
                goto done;
            }
            npk++;
        }
    }
    /* the third header must end its page: no further packet on it */
    if (ogg_stream_packetpeek(&os, NULL) != 0)
        si->copyable = 0;
    si->rate = (int)vi.rate;
    si->channels = vi.channels;

    /* first audio page: must start a packet, and its granule must equal the samples of the
     * packets completed on it (the stream begins at sample 0) */
    {
        ogg_page og;
        int r = chn_read_page(rd, &og);
        if (r < 0) {
            rc = cw_fail(err, r == CW_EIO ? CW_EIO : CW_EINVAL, path, 0,
                         "damaged ogg data after the headers (re-ingest the recording)");
            goto done;
        }
        if (r == 1) {
            if (ogg_page_serialno(&og) != si->serial) {
                rc = cw_fail(err, CW_EINVAL, path, 0,
                             "holds more than one ogg stream (re-ingest the recording as one file)");
                goto done;
            }
            if (ogg_page_continued(&og))
                si->copyable = 0;
            hs->firstbuf = malloc((size_t)(og.header_len + og.body_len));
            if (!hs->firstbuf) {
                rc = cw_fail(err, CW_ENOMEM, path, 0, "out of memory");
                goto done;
            }
            memcpy(hs->firstbuf, og.header, (size_t)og.header_len);
            memcpy(hs->firstbuf + og.header_len, og.body, (size_t)og.body_len);
            hs->first.header = hs->firstbuf;
            hs->first.header_len = og.header_len;
            hs->first.body = hs->firstbuf + og.header_len;
            hs->first.body_len = og.body_len;
            hs->has_first = 1;
            /* count samples completed on this page */
            ogg_stream_pagein(&os, &og);
            ogg_packet op;
            long prev = -1;
            int64_t acc = 0;
            while (ogg_stream_packetout(&os, &op) == 1) {
                long bs = vorbis_packet_blocksize(&vi, &op);
                if (bs <= 0)
                    continue;
                if (prev > 0)
                    acc += (prev + bs) / 4;
                prev = bs;
            }
            /* a stream that ends on its first audio page may end short of `acc` */
            int64_t g = ogg_page_granulepos(&og);
            if (g < 0 || (ogg_page_eos(&og) ? g > acc : g != acc))
                si->copyable = 0;
        }
    }
done:
    if (have_os)
        ogg_stream_clear(&os);
    vorbis_comment_clear(&vc);
    vorbis_info_clear(&vi);
    return rc;
}

/* Write a link's only audio page (already with our serial, sequence, EOS and CRC) as two
 * pages. libvorbisfile 1.3.7 skips a link whose first audio page is also its last when it
 * opens a chain (its initial raw seek takes the EOS page for the end of the link):
 * ov_streams comes out one short and the link is never decoded. The first page holds the
 * first two packets and the granule position where the second ends: a positive number, as
 * ogginfo requires of every audio page that completes a packet (a first packet alone would
 * end at 0: "negative or zero granulepos"), and the exact start for every decoder. A link
 * shorter than those two packets (under ~1024 samples) gives its own length instead, which
 * decoders read as samples trimmed from the start (RFC 3533's start trimming), so it still
 * decodes to exactly its length; its last page then has no packet left when the link was
 * only two packets. See chn_split_granule. */
static int write_split(cw_chain *c, ogg_page *pg, uint32_t serial, const header_state *hs, cw_error *err)
{
    vorbis_info vi;
    vorbis_comment vc;
    vorbis_info_init(&vi);
    vorbis_comment_init(&vc);
    ogg_stream_state in, out;
    ogg_stream_init(&in, (int)serial);
    ogg_stream_init(&out, (int)serial);
    in.pageno = ogg_page_pageno(pg);
    out.pageno = ogg_page_pageno(pg);
    out.b_o_s = 1; /* not a beginning-of-stream page */
    int64_t g = ogg_page_granulepos(pg);
    int rc = 0;
    for (int i = 0; i < 3 && !rc; i++)
        if (vorbis_synthesis_headerin(&vi, &vc, (ogg_packet *)&hs->hdr[i]) != 0)
            rc = cw_fail(err, CW_EINTERNAL, "", 0, "cannot re-read the link's headers (please report)");
    if (!rc && ogg_stream_pagein(&in, pg) != 0)
        rc = cw_fail(err, CW_EINTERNAL, "", 0, "cannot re-read a page of the link (please report)");
    ogg_packet pk[256];
    int n = 0;
    while (!rc && n < 256 && ogg_stream_packetout(&in, &pk[n]) == 1)
        n++;
    if (!rc && n < 2)
        rc = cw_fail(err, CW_EINTERNAL, "", 0, "a link's only audio page holds %d packet%s (please report)", n,
                     n == 1 ? "" : "s");
    int64_t first = rc ? 0 : chn_split_granule(vorbis_packet_blocksize(&vi, &pk[0]),
                                               vorbis_packet_blocksize(&vi, &pk[1]), n, g);
    ogg_page o;
    for (int k = 0; !rc && k < n; k++) {
        pk[k].b_o_s = 0;
        pk[k].e_o_s = k == n - 1 && n > 2; /* two packets: the empty page after them ends the link */
        pk[k].granulepos = k == 1 ? first : k == n - 1 ? g : -1;
        ogg_stream_packetin(&out, &pk[k]);
        if (k == 1 || k == n - 1)
            while (!rc && ogg_stream_flush(&out, &o))
                rc = chn_emit_page(c, &o, err);
    }
    if (!rc && n == 2)
        rc = chn_emit_empty_eos(c, serial, out.pageno, g, err);
    ogg_stream_clear(&in);
    ogg_stream_clear(&out);
    vorbis_comment_clear(&vc);
    vorbis_info_clear(&vi);
    return rc;
}

int64_t chn_split_granule(long bs0, long bs1, int packets, int64_t final_granule)
{
    int64_t end2 = (bs0 + bs1) / 4; /* where the second packet's audio ends */
    return packets >= 3 && end2 <= final_granule ? end2 : final_granule;
}

int chn_emit_empty_eos(cw_chain *c, uint32_t serial, long seq, int64_t granule, cw_error *err)
{
    unsigned char h[27];
    memcpy(h, "OggS", 4);
    h[4] = 0;
    h[5] = 0x04; /* end of stream */
    for (int i = 0; i < 8; i++)
        h[6 + i] = (unsigned char)((uint64_t)granule >> (8 * i));
    put_le32(h + 14, serial);
    put_le32(h + 18, (uint32_t)seq);
    memset(h + 22, 0, 4);
    h[26] = 0; /* no segments */
    ogg_page og = {h, 27, h + 27, 0};
    ogg_page_checksum_set(&og);
    return chn_emit(c, h, sizeof h, err);
}

int chn_write_headers(cw_chain *c, ogg_stream_state *os, uint32_t serial, const ogg_packet *ident,
                      const ogg_packet *setup, const cw_link_meta *meta, cw_error *err)
{
    ogg_packet comment;
    int rc = chn_comment_packet(meta, &comment, err);
    if (rc)
        return rc;
    ogg_stream_init(os, (int)serial);
    ogg_page og;
    /* identification header alone on the first page, comment + setup on their own pages */
    ogg_packet p = *ident;
    p.b_o_s = 1;
    p.e_o_s = 0;
    p.granulepos = 0;
    p.packetno = 0;
    ogg_stream_packetin(os, &p);
    while (!rc && ogg_stream_flush(os, &og))
        rc = chn_emit_page(c, &og, err);
    comment.b_o_s = 0;
    comment.granulepos = 0;
    comment.packetno = 1;
    ogg_stream_packetin(os, &comment);
    p = *setup;
    p.b_o_s = p.e_o_s = 0;
    p.granulepos = 0;
    p.packetno = 2;
    ogg_stream_packetin(os, &p);
    while (!rc && ogg_stream_flush(os, &og))
        rc = chn_emit_page(c, &og, err);
    ogg_packet_clear(&comment);
    if (rc)
        ogg_stream_clear(os);
    return rc;
}

/* Copy the file's pages behind our own header pages. rd is positioned after hs->first. */
int chn_page_copy(cw_chain *c, page_reader *rd, const char *path, const src_info *si,
                  header_state *hs, const cw_link_meta *meta, int64_t samples, cw_error *err)
{
    uint32_t serial = chn_next_serial(c);
    ogg_stream_state os;
    int rc = chn_begin_link(c, serial, samples, err);
    if (!rc)
        rc = chn_write_headers(c, &os, serial, &hs->hdr[0], &hs->hdr[2], meta, err);
    if (rc) {
        c->failed = 1;
        return rc;
    }
    long seq = os.pageno;
    ogg_stream_clear(&os);

    /* audio pages: hold one page back so the last one can carry EOS */
    static const size_t cap = OGG_MAX_PAGE;
    unsigned char *held = malloc(cap);
    if (!held) {
        c->failed = 1;
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    size_t held_len = 0, held_hlen = 0;
    int64_t last_g = -1;
    int have_held = 0, seen_eos = 0;
    long audio_pages = 0; /* audio pages written so far */
    int r = 1;
    ogg_page cur = hs->first;
    int have_cur = hs->has_first;
    for (;;) {
        if (have_cur) {
            /* a second BOS or anything after EOS is another stream, even with the same
             * serial (a file concatenated with itself): copying it would put a second
             * set of headers inside this link's audio */
            if (ogg_page_serialno(&cur) != si->serial || ogg_page_bos(&cur) || seen_eos) {
                rc = cw_fail(err, CW_EINVAL, path, 0,
                             "holds more than one ogg stream (re-ingest the recording as one file)");
                break;
            }
            seen_eos = ogg_page_eos(&cur);
            if (have_held) {
                ogg_page hp = {held, (long)held_hlen, held + held_hlen, (long)(held_len - held_hlen)};
                ogg_page_checksum_set(&hp);
                if ((rc = chn_emit(c, held, held_len, err)) != 0)
                    break;
                audio_pages++;
            }
            held_hlen = (size_t)cur.header_len;
            held_len = held_hlen + (size_t)cur.body_len;
            memcpy(held, cur.header, held_hlen);
            memcpy(held + held_hlen, cur.body, (size_t)cur.body_len);
            held[5] &= (unsigned char)~0x04; /* EOS only on the last page we write */
            held[5] &= (unsigned char)~0x02; /* never BOS after the headers */
            put_le32(held + 14, serial);
            put_le32(held + 18, (uint32_t)seq++);
            if (ogg_page_granulepos(&cur) >= 0)
                last_g = ogg_page_granulepos(&cur);
            have_held = 1;
        }
        r = chn_read_page(rd, &cur);
        if (r <= 0)
            break;
        have_cur = 1;
    }
    if (!rc && r < 0)
        rc = cw_fail(err, r == CW_EIO ? CW_EIO : CW_EINVAL, path, 0,
                     "damaged ogg data at byte %lld (re-ingest the recording)", (long long)rd->offset);
    if (!rc && (!have_held || last_g != samples))
        rc = cw_fail(err, CW_EINVAL, path, 0,
                     "ends at sample %lld, expected %lld (rescan the library)", (long long)last_g,
                     (long long)samples);
    if (!rc) {
        held[5] |= 0x04;
        ogg_page hp = {held, (long)held_hlen, held + held_hlen, (long)(held_len - held_hlen)};
        ogg_page_checksum_set(&hp);
        if (audio_pages == 0)
            rc = write_split(c, &hp, serial, hs, err);
        else
            rc = chn_emit(c, held, held_len, err);
    }
    free(held);
    if (!rc)
        rc = chn_end_link(c, serial, samples, err);
    if (rc)
        c->failed = 1;
    return rc;
}

