/* mp4walk.c — the sound track of an MP4/MOV/3GP/M4A file read sample by sample straight
 * from its sample tables (stsc, stsz, stco/co64, stts), for FFmpeg's decoders
 * (dec_ffmpeg.c). libavformat's MP4 demuxer builds an index entry for every sample of every
 * track before the first one is read (some 50 bytes per AAC frame: 8 MB for a 2-hour
 * lesson), which breaks chalkwave's rule that memory does not grow with a recording's
 * length; this reads the tables through small windows instead.
 * Guarantees: fixed memory (a 4 KB window per table); every offset and count from the file
 * is checked against the file and the tables before use (hostile files are refused, never
 * followed); only the common layout is taken (one sample description of AAC, MP3, ALAC or
 * AMR, at most one edit): anything else is left to libavformat (return 1). */
#include "audio_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define WIN 1024 /* table entries per window */

/* A table of fixed-size big-endian entries in the file, read through a window. */
typedef struct table {
    int64_t off;  /* of the first entry */
    uint32_t count, esize;
    uint32_t base, have; /* entries [base, base + have) are in buf */
    unsigned char buf[WIN * 12];
} table;

struct cw_audio_mp4_track {
    int fd;
    int64_t size;
    cw_audio_mp4_info info;
    table stsz, stco, stsc, stts;
    uint32_t uniform;            /* stsz's size for every sample, 0 when per sample */
    uint32_t sample, chunk;      /* next sample; its chunk (0-based) */
    uint32_t left_in_chunk;      /* samples of the chunk still to come */
    int64_t pos;                 /* file offset of the next sample */
    uint32_t stsc_i;             /* the stsc entry in force */
    uint32_t stts_i, stts_left;  /* the stts entry in force, samples it still covers */
};

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int pread_all(int fd, int64_t off, void *b, size_t n)
{
    ssize_t got;
    while ((got = pread(fd, b, n, (off_t)off)) < 0 && errno == EINTR) {
    }
    return got == (ssize_t)n ? 0 : -1;
}

/* Entry i of t (i < count) into e; -1 when it cannot be read. */
static int entry(int fd, table *t, uint32_t i, const unsigned char **e)
{
    if (i >= t->count)
        return -1;
    if (i < t->base || i >= t->base + t->have) {
        uint32_t n = t->count - i < WIN ? t->count - i : WIN;
        if (pread_all(fd, t->off + (int64_t)i * t->esize, t->buf, (size_t)n * t->esize))
            return -1;
        t->base = i;
        t->have = n;
    }
    *e = t->buf + (size_t)(i - t->base) * t->esize;
    return 0;
}

/* A full box's table: version/flags, count, then entries of esize bytes; `skip` header
 * bytes before the count (stsz has sample_size first). */
static int table_at(int fd, int64_t body, int64_t len, uint32_t skip, uint32_t esize, table *t,
                    unsigned char *pre)
{
    unsigned char h[12];
    if (len < 8 + skip || pread_all(fd, body, h, 8 + skip))
        return -1;
    if (pre)
        memcpy(pre, h + 4, skip);
    t->off = body + 8 + skip;
    t->count = be32(h + 4 + skip);
    t->esize = esize;
    t->base = t->have = 0;
    return (int64_t)t->count * esize <= len - 8 - skip ? 0 : -1;
}

/* ---- finding the track --------------------------------------------------------------- */

/* Child box `type` of [off, end): its offset, length and header length; 0 when found. */
static int child(int fd, int64_t off, int64_t end, const char *type, int64_t *at, int64_t *len,
                 int64_t *hdr)
{
    while (off < end) {
        char t[4];
        int64_t h, l = cw_audio_mp4_box(fd, off, end, t, &h);
        if (!l)
            return -1;
        if (!memcmp(t, type, 4)) {
            *at = off;
            *len = l;
            *hdr = h;
            return 0;
        }
        off += l;
    }
    return -1;
}

/* Descend a path of boxes ("mdia", "minf", "stbl", NULL) from [off, end). */
static int path(int fd, int64_t off, int64_t end, const char *const *names, int64_t *at,
                int64_t *len, int64_t *hdr)
{
    for (; *names; names++) {
        if (child(fd, off, end, *names, at, len, hdr))
            return -1;
        off = *at + *hdr;
        end = *at + *len;
    }
    return 0;
}

/* An MPEG-4 descriptor length (1-4 bytes of 7 bits). */
static int desc_len(const unsigned char *p, size_t n, size_t *i, uint32_t *out)
{
    uint32_t v = 0;
    for (int k = 0; k < 4; k++) {
        if (*i >= n)
            return -1;
        unsigned char c = p[(*i)++];
        v = v << 7 | (c & 0x7F);
        if (!(c & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* esds: the decoder's object type and its DecoderSpecificInfo (AAC's AudioSpecificConfig). */
static int parse_esds(const unsigned char *p, size_t n, cw_audio_mp4_info *info)
{
    size_t i = 4; /* version/flags */
    uint32_t l;
    if (i >= n || p[i++] != 0x03 || desc_len(p, n, &i, &l) || i + 3 > n)
        return -1;
    unsigned flags = p[i + 2];
    i += 3;
    if (flags & 0x80)
        i += 2; /* dependsOn_ES_ID */
    if (flags & 0x40) {
        if (i >= n)
            return -1;
        i += 1 + p[i]; /* URL */
    }
    if (flags & 0x20)
        i += 2; /* OCR_ES_Id */
    if (i >= n || p[i++] != 0x04 || desc_len(p, n, &i, &l) || i + 13 > n)
        return -1;
    info->object_type = p[i];
    i += 13;
    if (i < n && p[i] == 0x05) {
        i++;
        if (desc_len(p, n, &i, &l) || l > n - i || l > sizeof info->extra)
            return -1;
        memcpy(info->extra, p + i, l);
        info->extra_len = l;
    }
    return 0;
}

/* The sample description: one entry of a codec read here. */
static int parse_stsd(int fd, int64_t at, int64_t len, int64_t hdr, cw_audio_mp4_info *info)
{
    unsigned char b[1024];
    int64_t body = at + hdr, n = len - hdr;
    if (n < 16 || n > (int64_t)sizeof b || pread_all(fd, body, b, (size_t)n))
        return 1;
    if (be32(b + 4) != 1)
        return 1; /* several descriptions: libavformat's */
    const unsigned char *e = b + 8;
    uint32_t elen = be32(e);
    if (elen < 36 || elen > n - 8)
        return 1;
    memcpy(info->fourcc, e + 4, 4);
    unsigned version = (unsigned)e[16] << 8 | e[17];
    info->channels = (int)((unsigned)e[24] << 8 | e[25]);
    info->rate = (int)(be32(e + 32) >> 16);
    uint32_t kids = 36 + (version == 1 ? 16 : version == 2 ? 36 : 0);
    if (kids > elen)
        return 1;
    /* child boxes: esds (maybe inside QuickTime's 'wave'), alac */
    for (uint32_t o = kids; o + 8 <= elen;) {
        uint32_t cl = be32(e + o);
        if (cl < 8 || cl > elen - o)
            break;
        const unsigned char *c = e + o;
        if (!memcmp(c + 4, "esds", 4) && parse_esds(c + 8, cl - 8, info))
            return 1;
        if (!memcmp(c + 4, "alac", 4) && !memcmp(info->fourcc, "alac", 4)) {
            if (cl > sizeof info->extra)
                return 1;
            memcpy(info->extra, c, cl); /* the whole atom, as FFmpeg's ALAC decoder wants */
            info->extra_len = cl;
        }
        if (!memcmp(c + 4, "wave", 4)) { /* QuickTime: look inside */
            for (uint32_t w = 8; w + 8 <= cl;) {
                uint32_t wl = be32(c + w);
                if (wl < 8 || wl > cl - w)
                    break;
                if (!memcmp(c + w + 4, "esds", 4) && parse_esds(c + w + 8, wl - 8, info))
                    return 1;
                w += wl;
            }
        }
        o += cl;
    }
    return 0;
}

/* The edit list: at most one edit that plays media (empty ones, a delay, are ignored). */
static int parse_elst(int fd, int64_t at, int64_t len, int64_t hdr, uint32_t movie_scale,
                      cw_audio_mp4_info *info)
{
    unsigned char h[8];
    if (len - hdr < 8 || pread_all(fd, at + hdr, h, 8))
        return 1;
    int v1 = h[0] == 1;
    uint32_t n = be32(h + 4), esize = v1 ? 20 : 12;
    if (n > 16 || (int64_t)n * esize > len - hdr - 8)
        return 1;
    int found = 0;
    for (uint32_t i = 0; i < n; i++) {
        unsigned char e[20];
        if (pread_all(fd, at + hdr + 8 + (int64_t)i * esize, e, esize))
            return 1;
        int64_t dur = v1 ? (int64_t)((uint64_t)be32(e) << 32 | be32(e + 4)) : be32(e);
        int64_t mt = v1 ? (int64_t)((uint64_t)be32(e + 8) << 32 | be32(e + 12))
                        : (int32_t)be32(e + 4);
        if (mt == -1)
            continue;
        if (found++ || mt < 0 || dur < 0 || movie_scale == 0)
            return 1; /* several edits: libavformat's */
        info->skip = mt;
        info->play = dur == 0 ? -1
                              : (int64_t)((double)dur * info->timescale / movie_scale + 0.5);
    }
    return 0;
}

/* The track to decode: the first enabled sound track, else the first sound track. */
static int pick(int fd, const cw_audio_mp4_top *top, int64_t *at, int64_t *len, int64_t *hdr)
{
    int64_t off = top->moov + 8, end = top->moov + top->moov_len;
    int found = 0;
    while (off < end) {
        char t[4], h[4];
        int64_t th, tl = cw_audio_mp4_box(fd, off, end, t, &th);
        if (!tl)
            break;
        if (!memcmp(t, "trak", 4) && cw_audio_mp4_handler(fd, off, tl, th, h) == 0 &&
            !memcmp(h, "soun", 4)) {
            int64_t ka, kl, kh;
            unsigned char f[4] = {0};
            int enabled = child(fd, off + th, off + tl, "tkhd", &ka, &kl, &kh) == 0 &&
                          pread_all(fd, ka + kh, f, 4) == 0 && (f[3] & 1);
            if (!found || enabled) {
                *at = off;
                *len = tl;
                *hdr = th;
                found = 1;
            }
            if (enabled)
                return 0;
        }
        off += tl;
    }
    return found ? 0 : -1;
}

static uint32_t movie_timescale(int fd, const cw_audio_mp4_top *top)
{
    int64_t at, len, hdr;
    unsigned char b[24];
    if (child(fd, top->moov + 8, top->moov + top->moov_len, "mvhd", &at, &len, &hdr) ||
        len - hdr < 24 || pread_all(fd, at + hdr, b, 24))
        return 0;
    return be32(b + (b[0] == 1 ? 20 : 12));
}

static int open_tables(cw_audio_mp4_track *t, int64_t stbl, int64_t stbl_end)
{
    int fd = t->fd;
    int64_t at, len, hdr;
    unsigned char pre[4];
    if (child(fd, stbl, stbl_end, "stsd", &at, &len, &hdr))
        return 1;
    int rc = parse_stsd(fd, at, len, hdr, &t->info);
    if (rc)
        return rc;
    if (child(fd, stbl, stbl_end, "stsz", &at, &len, &hdr))
        return 1; /* stz2 (compact sizes): libavformat's */
    unsigned char z[12];
    if (len - hdr < 12 || pread_all(fd, at + hdr, z, 12))
        return -1;
    t->uniform = be32(z + 4);
    if (t->uniform) { /* one size for every sample: no table follows */
        t->stsz = (table){.off = at + hdr + 12, .count = be32(z + 8), .esize = 4};
    } else if (table_at(fd, at + hdr, len - hdr, 4, 4, &t->stsz, pre)) {
        return -1;
    }
    int co64 = child(fd, stbl, stbl_end, "co64", &at, &len, &hdr) == 0;
    if (!co64 && child(fd, stbl, stbl_end, "stco", &at, &len, &hdr))
        return 1;
    if (table_at(fd, at + hdr, len - hdr, 0, co64 ? 8 : 4, &t->stco, NULL))
        return -1;
    if (child(fd, stbl, stbl_end, "stsc", &at, &len, &hdr) ||
        table_at(fd, at + hdr, len - hdr, 0, 12, &t->stsc, NULL) ||
        child(fd, stbl, stbl_end, "stts", &at, &len, &hdr) ||
        table_at(fd, at + hdr, len - hdr, 0, 8, &t->stts, NULL))
        return -1;
    return t->stsc.count && t->stco.count ? 0 : -1;
}

int cw_audio_mp4_track_open(cw_audio_mp4_track **out, int fd, int64_t size,
                            const cw_audio_mp4_top *top)
{
    *out = NULL;
    if (!top->is_mp4 || !top->has_moov || top->has_moof)
        return 1; /* fragmented files (Safari's recorder): libavformat's */
    cw_audio_mp4_track *t = calloc(1, sizeof *t);
    if (!t)
        return CW_ENOMEM;
    t->fd = fd;
    t->size = size;
    t->info.skip = 0;
    t->info.play = -1;
    int64_t at, len, hdr, mat, mlen, mhdr;
    static const char *const to_mdhd[] = {"mdia", "mdhd", NULL};
    static const char *const to_stbl[] = {"mdia", "minf", "stbl", NULL};
    static const char *const to_elst[] = {"edts", "elst", NULL};
    unsigned char m[32];
    int rc = 1;
    if (pick(fd, top, &at, &len, &hdr) || path(fd, at + hdr, at + len, to_mdhd, &mat, &mlen, &mhdr) ||
        mlen - mhdr < 24 || pread_all(fd, mat + mhdr, m, 24) ||
        (m[0] == 1 && (mlen - mhdr < 32 || pread_all(fd, mat + mhdr, m, 32))))
        goto done; /* mdhd: version 0 holds 32-bit times (24 bytes), version 1 64-bit */
    t->info.timescale = be32(m + (m[0] == 1 ? 20 : 12));
    t->info.duration = m[0] == 1 ? (int64_t)((uint64_t)be32(m + 24) << 32 | be32(m + 28))
                                 : be32(m + 16);
    if (t->info.timescale == 0)
        goto done;
    if (path(fd, at + hdr, at + len, to_elst, &mat, &mlen, &mhdr) == 0 &&
        parse_elst(fd, mat, mlen, mhdr, movie_timescale(fd, top), &t->info))
        goto done;
    if (path(fd, at + hdr, at + len, to_stbl, &mat, &mlen, &mhdr))
        goto done;
    rc = open_tables(t, mat + mhdr, mat + mlen);
    if (rc)
        goto done;
    const char *f = t->info.fourcc;
    int ok = (!memcmp(f, "mp4a", 4) && (t->info.object_type == 0x40 || t->info.object_type == 0x66 ||
                                        t->info.object_type == 0x67 || t->info.object_type == 0x68 ||
                                        t->info.object_type == 0x69 || t->info.object_type == 0x6B)) ||
             (!memcmp(f, "alac", 4) && t->info.extra_len >= 36) || !memcmp(f, "samr", 4) ||
             !memcmp(f, "sawb", 4) || !memcmp(f, ".mp3", 4);
    rc = ok ? 0 : 1;
done:
    if (rc) {
        free(t);
        return rc < 0 ? CW_EINVAL : 1;
    }
    t->left_in_chunk = 0;
    t->chunk = (uint32_t)-1;
    *out = t;
    return 0;
}

const cw_audio_mp4_info *cw_audio_mp4_track_info(const cw_audio_mp4_track *t)
{
    return &t->info;
}

uint32_t cw_audio_mp4_track_samples(const cw_audio_mp4_track *t)
{
    return t->stsz.count;
}

/* Samples per chunk for chunk c (0-based), from the stsc entry in force. */
static int chunk_samples(cw_audio_mp4_track *t, uint32_t c, uint32_t *n)
{
    const unsigned char *e;
    for (;;) {
        if (entry(t->fd, &t->stsc, t->stsc_i, &e))
            return -1;
        uint32_t first = be32(e);
        const unsigned char *nx;
        if (t->stsc_i + 1 < t->stsc.count && entry(t->fd, &t->stsc, t->stsc_i + 1, &nx) == 0 &&
            be32(nx) >= 1 && be32(nx) - 1 <= c) {
            t->stsc_i++;
            continue;
        }
        if (entry(t->fd, &t->stsc, t->stsc_i, &e) || first == 0 || first - 1 > c)
            return -1;
        *n = be32(e + 4);
        return 0;
    }
}

int cw_audio_mp4_track_next(cw_audio_mp4_track *t, int64_t *off, uint32_t *size,
                            uint32_t *duration)
{
    if (t->sample >= t->stsz.count)
        return 0;
    const unsigned char *e;
    while (t->left_in_chunk == 0) {
        t->chunk++;
        if (t->chunk >= t->stco.count || chunk_samples(t, t->chunk, &t->left_in_chunk) ||
            entry(t->fd, &t->stco, t->chunk, &e))
            return -1;
        t->pos = t->stco.esize == 8 ? (int64_t)((uint64_t)be32(e) << 32 | be32(e + 4))
                                    : (int64_t)be32(e);
        if (t->left_in_chunk > t->stsz.count) /* more than the whole track: nonsense */
            return -1;
    }
    uint32_t sz = t->uniform;
    if (!sz) {
        if (entry(t->fd, &t->stsz, t->sample, &e))
            return -1;
        sz = be32(e);
    }
    while (t->stts_left == 0) {
        if (entry(t->fd, &t->stts, t->stts_i, &e)) {
            t->stts_left = 1; /* past the table: keep the last duration */
            break;
        }
        t->stts_left = be32(e);
        *duration = be32(e + 4);
        t->stts_i++;
    }
    if (t->stts_i > 0 && entry(t->fd, &t->stts, t->stts_i - 1, &e) == 0)
        *duration = be32(e + 4);
    t->stts_left--;
    *off = t->pos;
    *size = sz;
    t->pos += sz;
    t->left_in_chunk--;
    t->sample++;
    return 1;
}

void cw_audio_mp4_track_close(cw_audio_mp4_track *t)
{
    free(t);
}
