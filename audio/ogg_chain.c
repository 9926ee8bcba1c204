/* ogg_chain.c — the chain writer: one chained Ogg Vorbis stream (day files, per-item files).
 * Whole library files in the chain's format are page-copied (new serial, renumbered pages,
 * recomputed CRCs, comment header replaced), everything else is decoded and re-encoded.
 * Guarantees: every link has exactly the requested number of samples (final granule),
 * serials are derived from seed+index and unique in the file, memory never grows with a
 * link's length (one page and fixed PCM blocks), the same inputs give the same bytes. */
#include "audio_int.h"

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
#define OGG_MAX_PAGE (27 + 255 + 255 * 255)

struct cw_chain {
    FILE *fp;
    cw_chain_format fmt;
    uint32_t seed;
    uint32_t *serials; /* one per link: the only state that grows, and with links, not length */
    size_t n_links, cap_links;
    int64_t samples;
    int failed; /* a link was left half-written: the file is unusable */
    struct silence_tmpl *silence; /* built on the first long silence; NULL before */
};

/* Digital silence in the chain's format, as libvorbis encodes it: after a few transient
 * packets every packet is the same (one byte at the usual settings). A long silence link is
 * built from these packets without running the encoder (libvorbis analyses zeros as slowly
 * as speech: ~13 s of CPU per hour at 44.1 kHz). */
#define SILENCE_TRANSIENT_MAX 64
typedef struct silence_tmpl {
    int usable;
    ogg_packet ident, setup;
    ogg_packet pk[SILENCE_TRANSIENT_MAX + 1]; /* transient packets, then the steady one */
    long bs[SILENCE_TRANSIENT_MAX + 1];
    int n_transient;
} silence_tmpl;

/* ---- small helpers ------------------------------------------------------------------ */

static void put_le32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)((v >> 8) & 0xff);
    p[2] = (unsigned char)((v >> 16) & 0xff);
    p[3] = (unsigned char)((v >> 24) & 0xff);
}

static uint32_t next_serial(cw_chain *c)
{
    /* seed (4 bytes LE) + link index (8 bytes LE) + attempt (4 bytes LE) */
    unsigned char key[16];
    uint64_t idx = (uint64_t)c->n_links;
    put_le32(key, c->seed);
    put_le32(key + 4, (uint32_t)(idx & 0xffffffffu));
    put_le32(key + 8, (uint32_t)(idx >> 32));
    for (uint32_t attempt = 0;; attempt++) {
        put_le32(key + 12, attempt);
        uint32_t s = cw_hash32(key, sizeof key);
        int used = 0;
        for (size_t i = 0; i < c->n_links && !used; i++)
            used = c->serials[i] == s;
        if (!used)
            return s;
    }
}

static int push_serial(cw_chain *c, uint32_t s, cw_error *err)
{
    if (c->n_links == c->cap_links) {
        size_t cap = c->cap_links ? c->cap_links * 2 : 64;
        uint32_t *v = realloc(c->serials, cap * sizeof *v);
        if (!v)
            return cw_fail(err, CW_ENOMEM, "", 0, "out of memory for the chain's serial numbers");
        c->serials = v;
        c->cap_links = cap;
    }
    c->serials[c->n_links++] = s;
    return 0;
}

static int write_bytes(cw_chain *c, const void *p, size_t n, cw_error *err)
{
    if (n && fwrite(p, 1, n, c->fp) != n) {
        c->failed = 1;
        return cw_fail(err, CW_EIO, "", 0, "cannot write the chained ogg stream: %s (check free space)",
                       strerror(errno));
    }
    return 0;
}

static int write_page(cw_chain *c, const ogg_page *og, cw_error *err)
{
    int rc = write_bytes(c, og->header, (size_t)og->header_len, err);
    if (!rc)
        rc = write_bytes(c, og->body, (size_t)og->body_len, err);
    return rc;
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
static int comment_packet(const cw_link_meta *meta, ogg_packet *op, cw_error *err)
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

typedef struct page_reader {
    FILE *fp;
    ogg_sync_state oy;
    int64_t offset; /* file offset of the next page */
} page_reader;

/* 1: a page; 0: end of file; CW_EINVAL: garbage or a bad CRC; CW_EIO: read error. */
static int read_page(page_reader *r, ogg_page *og)
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
static int last_granule(FILE *fp, long serial, int64_t *granule)
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

/* What the header pages of a library file told us. */
typedef struct src_info {
    int rate, channels;
    long serial;
    int64_t length; /* last granule - begin */
    int copyable;   /* headers framed on their own pages, audio starts at granule 0 */
} src_info;

/* Read the three headers of path. On success the packets are returned in hdr[] (owned by
 * the caller, free with free(hdr[i].packet)) and rd is positioned at the first audio page,
 * which is returned in *first (copied into firstbuf). */
typedef struct header_state {
    ogg_packet hdr[3];
    unsigned char *firstbuf; /* the first audio page, copied; NULL when none */
    ogg_page first;
    int has_first;
} header_state;

static void header_state_clear(header_state *h)
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

static int read_headers(page_reader *rd, const char *path, src_info *si, header_state *hs,
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
        int r = read_page(rd, &og);
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
        int r = read_page(rd, &og);
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
 * pages: the first audio packet alone (granule 0), then the rest. libvorbisfile 1.3.7
 * skips a link whose first audio page is also its last when it opens a chain (its
 * initial raw seek takes the EOS page for the end of the link): ov_streams comes out one
 * short and the link is never decoded. Splitting costs one page header. */
static int write_split(cw_chain *c, ogg_page *pg, uint32_t serial, cw_error *err)
{
    ogg_stream_state in, out;
    ogg_stream_init(&in, (int)serial);
    ogg_stream_init(&out, (int)serial);
    in.pageno = ogg_page_pageno(pg);
    out.pageno = ogg_page_pageno(pg);
    out.b_o_s = 1; /* not a beginning-of-stream page */
    int64_t g = ogg_page_granulepos(pg);
    int rc = 0;
    if (ogg_stream_pagein(&in, pg) != 0)
        rc = cw_fail(err, CW_EINTERNAL, "", 0, "cannot re-read a page of the link (please report)");
    ogg_packet op, next;
    int have = !rc && ogg_stream_packetout(&in, &op) == 1;
    long n = 0;
    ogg_page o;
    while (!rc && have) {
        int more = ogg_stream_packetout(&in, &next) == 1;
        op.e_o_s = !more;
        op.granulepos = !more ? g : (n == 0 ? 0 : -1);
        ogg_stream_packetin(&out, &op);
        if (n == 0 || !more)
            while (!rc && ogg_stream_flush(&out, &o))
                rc = write_page(c, &o, err);
        n++;
        op = next;
        have = more;
    }
    ogg_stream_clear(&in);
    ogg_stream_clear(&out);
    return rc;
}

/* Copy the file's pages behind our own header pages. rd is positioned after hs->first. */
static int page_copy(cw_chain *c, page_reader *rd, const char *path, const src_info *si,
                     header_state *hs, const cw_link_meta *meta, int64_t samples, cw_error *err)
{
    uint32_t serial = next_serial(c);
    ogg_stream_state os;
    ogg_packet comment;
    int rc = comment_packet(meta, &comment, err);
    if (rc)
        return rc;
    ogg_stream_init(&os, (int)serial);
    ogg_page og;
    /* identification header alone on the first page, comment + setup on their own pages */
    hs->hdr[0].b_o_s = 1;
    hs->hdr[0].e_o_s = 0;
    hs->hdr[0].granulepos = 0;
    ogg_stream_packetin(&os, &hs->hdr[0]);
    while (!rc && ogg_stream_flush(&os, &og))
        rc = write_page(c, &og, err);
    comment.b_o_s = 0;
    comment.granulepos = 0;
    comment.packetno = 1;
    ogg_stream_packetin(&os, &comment);
    hs->hdr[2].b_o_s = 0;
    hs->hdr[2].e_o_s = 0;
    hs->hdr[2].granulepos = 0;
    hs->hdr[2].packetno = 2;
    ogg_stream_packetin(&os, &hs->hdr[2]);
    while (!rc && ogg_stream_flush(&os, &og))
        rc = write_page(c, &og, err);
    long seq = os.pageno;
    ogg_stream_clear(&os);
    ogg_packet_clear(&comment);
    if (rc)
        return rc;

    /* audio pages: hold one page back so the last one can carry EOS */
    static const size_t cap = OGG_MAX_PAGE;
    unsigned char *held = malloc(cap);
    if (!held)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
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
                if ((rc = write_bytes(c, held, held_len, err)) != 0)
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
        r = read_page(rd, &cur);
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
            rc = write_split(c, &hp, serial, err);
        else
            rc = write_bytes(c, held, held_len, err);
    }
    free(held);
    if (!rc)
        rc = push_serial(c, serial, err);
    if (rc)
        c->failed = 1;
    return rc;
}

/* ---- decode, convert, re-encode ----------------------------------------------------- */

/* Append a link our encoder wrote to tmp, through the page copy (so every link gets the
 * chain's serial, comment header and page layout). */
static int append_encoded(cw_chain *c, FILE *tmp, int64_t samples, const cw_link_meta *meta,
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
    int rc = read_headers(&rd, "(encoded link)", &si, &hs, err);
    if (!rc && !si.copyable)
        rc = cw_fail(err, CW_EINTERNAL, "", 0, "the encoder wrote an unexpected page layout (please report)");
    if (!rc)
        rc = page_copy(c, &rd, "(encoded link)", &si, &hs, meta, samples, err);
    header_state_clear(&hs);
    ogg_sync_clear(&rd.oy);
    return rc;
}

/* The re-encode itself is a configuration of the audio chain (reencode.c): the same
 * downmix rule as ingest. */
static int reencode(cw_chain *c, const char *path, int64_t samples, double fade_seconds,
                    const cw_link_meta *meta, cw_error *err)
{
    FILE *tmp = tmpfile();
    if (!tmp)
        return cw_fail(err, CW_EIO, "", 0, "cannot create a temporary file: %s (check TMPDIR)",
                       strerror(errno));
    int rc = cw_audio_reencode(path, tmp, c->fmt.rate, c->fmt.channels, c->fmt.quality,
                               samples, fade_seconds, err);
    if (!rc)
        rc = append_encoded(c, tmp, samples, meta, err);
    fclose(tmp);
    return rc;
}

/* ---- public ------------------------------------------------------------------------- */

int cw_chain_open(cw_chain **out, FILE *fp, const cw_chain_format *fmt, uint32_t seed,
                  cw_error *err)
{
    *out = NULL;
    if (!fp || !fmt || fmt->rate < 1000 || fmt->rate > 768000 || fmt->channels < 1 ||
        fmt->channels > 255)
        return cw_fail(err, CW_EINVAL, "", 0, "invalid chain format (check rate and channels)");
    cw_chain *c = calloc(1, sizeof *c);
    if (!c)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    c->fp = fp;
    c->fmt = *fmt;
    c->seed = seed;
    *out = c;
    return 0;
}

int64_t cw_chain_samples(const cw_chain *c)
{
    return c ? c->samples : 0;
}

int cw_chain_add_file(cw_chain *c, const char *ogg_path, int64_t samples, double fade_seconds,
                      const cw_link_meta *meta, int *reencoded, cw_error *err)
{
    if (reencoded)
        *reencoded = 0;
    if (c->failed)
        return cw_fail(err, CW_EINTERNAL, "", 0, "the chain failed earlier and cannot be extended");
    if (samples <= 0)
        return cw_fail(err, CW_EINVAL, ogg_path, 0, "a link needs at least one sample");
    FILE *fp = fopen(ogg_path, "rb");
    if (!fp)
        return cw_fail(err, errno == ENOENT ? CW_ENOTFOUND : CW_EIO, ogg_path, 0,
                       "cannot open the recording: %s (rescan the library)", strerror(errno));
    page_reader rd = {fp, {0}, 0};
    ogg_sync_init(&rd.oy);
    header_state hs;
    memset(&hs, 0, sizeof hs);
    src_info si;
    int rc = read_headers(&rd, ogg_path, &si, &hs, err);
    if (rc)
        goto done;
    int64_t last = -1;
    if (last_granule(fp, si.serial, &last) != 0 || last < 0) {
        rc = cw_fail(err, CW_EINVAL, ogg_path, 0, "has no audio pages (re-ingest the recording)");
        goto done;
    }
    si.length = last;
    int same_format = si.rate == c->fmt.rate && si.channels == c->fmt.channels;
    int64_t have = same_format ? si.length
                               : (int64_t)llround((double)si.length * c->fmt.rate / si.rate);
    if (samples > have + (same_format ? 0 : 64)) {
        rc = cw_fail(err, CW_EINVAL, ogg_path, 0,
                     "the recording has %lld samples, %lld were asked for (rescan the library)",
                     (long long)have, (long long)samples);
        goto done;
    }
    if (same_format && si.copyable && samples == si.length) {
        /* reposition after the first audio page (last_granule moved the file) */
        ogg_sync_clear(&rd.oy);
        ogg_sync_init(&rd.oy);
        rd.offset = 0;
        if (fseeko(fp, 0, SEEK_SET) != 0) {
            rc = cw_fail(err, CW_EIO, ogg_path, 0, "cannot seek: %s", strerror(errno));
            goto done;
        }
        header_state_clear(&hs);
        if ((rc = read_headers(&rd, ogg_path, &si, &hs, err)) != 0)
            goto done;
        si.length = last;
        rc = page_copy(c, &rd, ogg_path, &si, &hs, meta, samples, err);
    } else {
        rc = reencode(c, ogg_path, samples, fade_seconds, meta, err);
        if (!rc && reencoded)
            *reencoded = 1;
    }
done:
    header_state_clear(&hs);
    ogg_sync_clear(&rd.oy);
    fclose(fp);
    if (!rc)
        c->samples += samples;
    return rc;
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

static void silence_tmpl_free(silence_tmpl *t)
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
    ogg_packet comment;
    int rc = comment_packet(meta, &comment, err);
    if (rc)
        return rc;
    uint32_t serial = next_serial(c);
    ogg_stream_state os;
    ogg_stream_init(&os, (int)serial);
    ogg_page og;
    ogg_packet p = t->ident;
    p.b_o_s = 1;
    p.e_o_s = 0;
    p.granulepos = 0;
    p.packetno = 0;
    ogg_stream_packetin(&os, &p);
    while (!rc && ogg_stream_flush(&os, &og))
        rc = write_page(c, &og, err);
    comment.granulepos = 0;
    comment.packetno = 1;
    ogg_stream_packetin(&os, &comment);
    p = t->setup;
    p.b_o_s = p.e_o_s = 0;
    p.granulepos = 0;
    p.packetno = 2;
    ogg_stream_packetin(&os, &p);
    while (!rc && ogg_stream_flush(&os, &og))
        rc = write_page(c, &og, err);
    ogg_packet_clear(&comment);
    c->failed = 1; /* until the link is complete */
    int64_t g = 0;
    long prev_bs = -1;
    for (int64_t k = 0; !rc; k++) {
        int idx = k < t->n_transient ? (int)k : t->n_transient;
        long bs = t->bs[idx];
        int64_t next = g + (prev_bs > 0 ? (prev_bs + bs) / 4 : 0);
        int last = next >= samples;
        p = t->pk[idx];
        p.b_o_s = 0;
        p.e_o_s = last;
        p.granulepos = last ? samples : next;
        p.packetno = 3 + k;
        ogg_stream_packetin(&os, &p);
        if (k == 0 || last) {
            /* the first audio packet alone on its page (see write_split), the end flushed */
            while (!rc && ogg_stream_flush(&os, &og))
                rc = write_page(c, &og, err);
        } else {
            while (!rc && ogg_stream_pageout(&os, &og))
                rc = write_page(c, &og, err);
        }
        if (last)
            break;
        g = next;
        prev_bs = bs;
    }
    ogg_stream_clear(&os);
    if (!rc)
        rc = push_serial(c, serial, err);
    if (!rc)
        c->failed = 0;
    return rc;
}

int cw_chain_add_silence(cw_chain *c, int64_t samples, const cw_link_meta *meta, cw_error *err)
{
    if (c->failed)
        return cw_fail(err, CW_EINTERNAL, "", 0, "the chain failed earlier and cannot be extended");
    if (samples <= 0)
        return cw_fail(err, CW_EINVAL, "", 0, "a silence link needs at least one sample");
    int rc = 0;
    if (samples >= 2 * (int64_t)c->fmt.rate) {
        if (!c->silence) {
            c->silence = calloc(1, sizeof *c->silence);
            if (!c->silence)
                return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
            if ((rc = silence_tmpl_build(c, c->silence, err)) != 0)
                return rc;
        }
        if (c->silence->usable) {
            rc = silence_from_tmpl(c, c->silence, samples, meta, err);
            if (!rc)
                c->samples += samples;
            return rc;
        }
    }
    FILE *tmp = NULL;
    rc = encode_silence(c, samples, &tmp, err);
    if (!rc) {
        rc = append_encoded(c, tmp, samples, meta, err);
        fclose(tmp);
    }
    if (!rc)
        c->samples += samples;
    return rc;
}

int cw_chain_close(cw_chain *c, cw_error *err)
{
    if (!c)
        return 0;
    int rc = 0;
    if (fflush(c->fp) != 0)
        rc = cw_fail(err, CW_EIO, "", 0, "cannot write the chained ogg stream: %s (check free space)",
                     strerror(errno));
    else if (c->failed)
        rc = cw_fail(err, CW_EINTERNAL, "", 0, "the chain is incomplete: a link failed");
    free(c->serials);
    silence_tmpl_free(c->silence);
    free(c);
    return rc;
}
