/* library.c — the station library: one Ogg Vorbis file per recording, metadata in its
 * Vorbis comments. Reading a recording touches only the pages that hold its identification
 * and comment headers and its last page (the final granule position gives the exact
 * length): one open and one or two preads per file, pages checked (capture pattern, CRC,
 * sequence) and the two headers parsed here without libvorbis (its header reader decodes
 * the setup header's codebooks, which cost a hundred times more than everything else).
 * The scan builds sorted indexes so every lookup is a binary search.
 * Guarantees: the scan is sorted by path; temporaries of writers in progress ("." names)
 * are ignored; unreadable files are skipped with a warning, never fatal; a file whose last
 * page does not end its stream is refused as truncated. */
#include "audio_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdarg.h>
#include <ogg/ogg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define HEADER_READ_MAX (4 << 20) /* bytes we read looking for the two headers */
#define HEAD_CHUNK 4096           /* first read: a small file, or the headers (3.6 kB) */
#define TAIL_CHUNK 4096           /* first read at the end: the last page, usually */
#define TAIL_SCAN_MAX (1 << 20)   /* bytes we scan backwards looking for the last page */
#define MAX_PAGE 65307            /* 27 + 255 + 255 * 255 */

/* Open-addressing hash tables over v (slot = index + 1, 0 empty); inserting in path
 * order keeps the first recording by path for each key. */
struct cw_library_index {
    const cw_recording *v; /* the scan's array and count: the index is stale otherwise */
    size_t n;
    uint32_t *episode, *source; /* by (series, episode); by checksum ignoring case */
    size_t mask;                /* capacity - 1 of both tables */
};

void cw_recording_clear(cw_recording *r)
{
    if (!r)
        return;
    free(r->path);
    free(r->series);
    free(r->title);
    free(r->teacher);
    free(r->language);
    free(r->description);
    free(r->date);
    free(r->valid_from);
    free(r->valid_until);
    free(r->source_sha256);
    memset(r, 0, sizeof *r);
}

/* ---- reading a file: a growing buffer of its first bytes ---------------------------- */

typedef struct rbuf {
    unsigned char *p;
    size_t cap;
} rbuf;

static int rbuf_reserve(rbuf *b, size_t n)
{
    if (n <= b->cap)
        return 0;
    size_t nc = b->cap ? b->cap : 16384;
    while (nc < n)
        nc *= 2;
    unsigned char *p = realloc(b->p, nc);
    if (!p)
        return -1;
    b->p = p;
    b->cap = nc;
    return 0;
}

typedef struct ofile {
    int fd;
    const char *path; /* for messages */
    rbuf *b;
    size_t have; /* bytes [0, have) of the file are in b */
    int eof;     /* have is the whole file */
} ofile;

/* Make bytes [0, want) available if the file has them (fewer at its end). */
static int fill(ofile *f, size_t want, cw_error *err)
{
    if (f->eof || want <= f->have)
        return 0;
    if (want < f->have * 2)
        want = f->have * 2; /* grow geometrically: few preads for long headers */
    if (rbuf_reserve(f->b, want))
        return cw_fail(err, CW_ENOMEM, f->path, 0, "out of memory");
    while (f->have < want) {
        ssize_t got = pread(f->fd, f->b->p + f->have, want - f->have, (off_t)f->have);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            return cw_fail(err, CW_EIO, f->path, 0, "cannot read: %s", strerror(errno));
        if (got == 0) {
            f->eof = 1;
            break;
        }
        f->have += (size_t)got;
    }
    return 0;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Total length of a page starting at p with `avail` bytes there, or 0 when it does not
 * fit; *hlen gets the header length. */
static size_t page_len(const unsigned char *p, size_t avail, size_t *hlen)
{
    if (avail < 27)
        return 0;
    size_t nseg = p[26];
    if (avail < 27 + nseg)
        return 0;
    size_t body = 0;
    for (size_t s = 0; s < nseg; s++)
        body += p[27 + s];
    *hlen = 27 + nseg;
    return 27 + nseg + body <= avail ? 27 + nseg + body : 0;
}

/* ---- the two headers --------------------------------------------------------------- */

typedef struct head {
    int serial;
    int rate, channels;
    cw_buf ident, comment; /* the packets */
} head;

/* The identification header, checked as libvorbis checks it. */
static int parse_ident(head *h, const char *path, cw_error *err)
{
    const unsigned char *p = (const unsigned char *)h->ident.data;
    if (h->ident.len < 30 || p[0] != 1 || memcmp(p + 1, "vorbis", 6) != 0)
        return cw_fail(err, CW_EINVAL, path, 0, "vorbis header 1 is invalid (not an ogg "
                       "vorbis file, or damaged)");
    uint32_t version = le32(p + 7), rate = le32(p + 12);
    unsigned bs0 = 1u << (p[28] & 15), bs1 = 1u << (p[28] >> 4);
    if (version != 0 || p[11] < 1 || rate < 1 || rate > INT32_MAX || bs0 < 64 || bs1 < bs0 ||
        bs1 > 8192 || (p[29] & 1) != 1)
        return cw_fail(err, CW_EINVAL, path, 0, "vorbis header 1 is invalid (not an ogg "
                       "vorbis file, or damaged)");
    h->channels = p[11];
    h->rate = (int)rate;
    return 0;
}

/* Read pages from the start until the first logical stream's identification and comment
 * headers are complete. Pages of other streams are skipped; a damaged page or bytes
 * between pages are skipped to the next capture pattern, as libogg does. */
static int read_headers(ofile *f, head *h, cw_error *err)
{
    size_t pos = 0;
    int have_stream = 0, npackets = 0, in_packet = 0;
    long seq = -1;
    while (npackets < 2) {
        if (pos >= HEADER_READ_MAX)
            return cw_fail(err, CW_EINVAL, f->path, 0, "no vorbis headers in the first %d MB "
                           "(not an ogg vorbis file)", HEADER_READ_MAX >> 20);
        int rc = fill(f, pos + 27 + 255, err);
        if (rc)
            return rc;
        size_t avail = f->have > pos ? f->have - pos : 0, hlen = 0, len;
        unsigned char *p = f->b->p + pos;
        if (avail < 27)
            return cw_fail(err, CW_EINVAL, f->path, 0, "file ends before the vorbis headers "
                           "(not an ogg vorbis file, or truncated)");
        if (memcmp(p, "OggS", 4) != 0 || p[4] != 0) {
            /* resynchronise on the next capture pattern */
            unsigned char *q = memmem(p + 1, avail - 1, "OggS", 4);
            pos = q ? (size_t)(q - f->b->p) : (f->have > 3 ? f->have - 3 : f->have);
            if (!q && (rc = fill(f, f->have + HEAD_CHUNK, err)))
                return rc;
            if (!q && f->eof && pos + 4 > f->have)
                return cw_fail(err, CW_EINVAL, f->path, 0, "file ends before the vorbis "
                               "headers (not an ogg vorbis file, or truncated)");
            continue;
        }
        if (!(len = page_len(p, avail, &hlen))) { /* the page is not all in yet */
            if ((rc = fill(f, pos + MAX_PAGE, err)))
                return rc;
            p = f->b->p + pos;
            avail = f->have - pos;
            if (!(len = page_len(p, avail, &hlen)))
                return cw_fail(err, CW_EINVAL, f->path, 0, "file ends before the vorbis "
                               "headers (not an ogg vorbis file, or truncated)");
        }
        if (!cw_audio_ogg_page_crc_ok(p, len)) {
            pos++; /* a damaged page: look for the next one */
            continue;
        }
        pos += len;
        int serial = (int)le32(p + 14);
        long pseq = (long)le32(p + 18);
        if (!have_stream) {
            if (!(p[5] & 0x02))
                return cw_fail(err, CW_EINVAL, f->path, 0, "first ogg page is not a stream "
                               "start (damaged file)");
            h->serial = serial;
            have_stream = 1;
        } else if (serial != h->serial) {
            continue; /* another multiplexed stream */
        } else if (pseq != seq + 1 || ((p[5] & 0x01) != 0) != (in_packet != 0)) {
            /* a lost page, or a continuation that does not continue */
            return cw_fail(err, CW_EINVAL, f->path, 0, "vorbis header %d is invalid (not an "
                           "ogg vorbis file, or damaged)", npackets + 1);
        }
        seq = pseq;
        /* the packets on this page */
        const unsigned char *body = p + hlen;
        size_t nseg = p[26], off = 0;
        for (size_t s = 0; s < nseg && npackets < 2; s++) {
            size_t lv = p[27 + s];
            cw_buf *pk = npackets == 0 ? &h->ident : &h->comment;
            cw_buf_append(pk, body + off, lv);
            off += lv;
            in_packet = lv == 255;
            if (!in_packet)
                npackets++;
        }
        if (h->ident.oom || h->comment.oom)
            return cw_fail(err, CW_ENOMEM, f->path, 0, "out of memory");
        if (npackets >= 1 && h->channels == 0 && (rc = parse_ident(h, f->path, err)))
            return rc;
    }
    return 0;
}

/* ---- the comment header: the fields the library keeps --------------------------------- */

enum {
    K_KIND, K_GENRE, K_SERIES, K_EPISODE, K_TRACK, K_TITLE, K_ARTIST, K_LANGUAGE, K_DESC,
    K_DATE, K_FROM, K_UNTIL, K_SHA, K_LUFS_IN, K_LUFS_OUT, K_LRA, K_TP_OUT, K_COUNT
};
static const char *const key_names[K_COUNT] = {
    "CHALKWAVE_KIND", "GENRE", "CHALKWAVE_SERIES", "CHALKWAVE_EPISODE", "TRACKNUMBER",
    "TITLE", "ARTIST", "LANGUAGE", "DESCRIPTION", "DATE", "CHALKWAVE_VALID_FROM",
    "CHALKWAVE_VALID_UNTIL", "CHALKWAVE_SOURCE_SHA256", "CHALKWAVE_LUFS_IN",
    "CHALKWAVE_LUFS_OUT", "CHALKWAVE_LRA", "CHALKWAVE_TRUE_PEAK_OUT"};

typedef struct span {
    const char *s; /* NULL: absent */
    size_t n;
} span;

/* Walk the comment header (checked as libvorbis checks it); the first occurrence of each
 * key (case-insensitive) wins. */
static int parse_comments(const head *h, span v[K_COUNT], const char *path, cw_error *err)
{
    static size_t key_len[K_COUNT];
    if (!key_len[0])
        for (int k = K_COUNT - 1; k >= 0; k--)
            key_len[k] = strlen(key_names[k]);
    memset(v, 0, K_COUNT * sizeof *v);
    const unsigned char *p = (const unsigned char *)h->comment.data;
    size_t n = h->comment.len, at = 7;
    if (n < 7 || p[0] != 3 || memcmp(p + 1, "vorbis", 6) != 0)
        goto bad;
    if (n - at < 4)
        goto bad;
    uint32_t vendor = le32(p + at);
    at += 4;
    if (vendor > n - at)
        goto bad;
    at += vendor;
    if (n - at < 4)
        goto bad;
    uint32_t count = le32(p + at);
    at += 4;
    if (count > (n - at) / 4)
        goto bad;
    for (uint32_t i = 0; i < count; i++) {
        if (n - at < 4)
            goto bad;
        uint32_t len = le32(p + at);
        at += 4;
        if (len > n - at)
            goto bad;
        const char *c = (const char *)p + at;
        at += len;
        const char *eq = memchr(c, '=', len);
        if (!eq)
            continue;
        size_t kl = (size_t)(eq - c);
        for (int k = 0; k < K_COUNT; k++)
            if (key_len[k] == kl && !v[k].s && strncasecmp(c, key_names[k], kl) == 0) {
                v[k].s = eq + 1;
                v[k].n = len - kl - 1;
                break;
            }
    }
    if (at >= n || (p[at] & 1) != 1) /* the framing bit */
        goto bad;
    return 0;
bad:
    return cw_fail(err, CW_EINVAL, path, 0, "vorbis header 2 is invalid (not an ogg vorbis "
                   "file, or damaged)");
}

static char *span_dup(span s)
{
    return s.s ? cw_strndup(s.s, s.n) : cw_strdup("");
}

/* strtod / strtol need a terminated string: copy short values to the stack. */
/* "[-+]digits[.digits]" with at most 15 digits, the whole value: m / 10^k is exactly
 * strtod's correctly rounded result (both exact in a double, one rounding). Else -1. */
static int fast_decimal(span s, double *out)
{
    static const double pow10[16] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
                                     1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    size_t i = 0;
    int neg = 0, digits = 0, frac = -1;
    uint64_t m = 0;
    if (i < s.n && (s.s[i] == '-' || s.s[i] == '+'))
        neg = s.s[i++] == '-';
    for (; i < s.n; i++) {
        char c = s.s[i];
        if (c >= '0' && c <= '9') {
            if (++digits > 15)
                return -1;
            m = m * 10 + (uint64_t)(c - '0');
            if (frac >= 0)
                frac++;
        } else if (c == '.' && frac < 0) {
            frac = 0;
        } else {
            return -1;
        }
    }
    if (digits == 0)
        return -1;
    double d = (double)m / pow10[frac > 0 ? frac : 0];
    *out = neg ? -d : d;
    return 0;
}

static double span_double(span s)
{
    if (!s.s || s.n == 0)
        return NAN;
    double fast;
    if (fast_decimal(s, &fast) == 0)
        return fast;
    char tmp[64], *heap = NULL, *str = tmp;
    if (s.n >= sizeof tmp && !(str = heap = cw_strndup(s.s, s.n)))
        return NAN;
    if (str == tmp) {
        memcpy(tmp, s.s, s.n);
        tmp[s.n] = 0;
    }
    char *end;
    double d = strtod(str, &end);
    if (end == str)
        d = NAN;
    free(heap);
    return d;
}

static int span_int(span s)
{
    if (!s.s)
        return 0;
    if (s.n > 0 && s.n <= 6) { /* plain digits, at most 999999: what strtol gives */
        int v = 0;
        size_t i = 0;
        while (i < s.n && s.s[i] >= '0' && s.s[i] <= '9')
            v = v * 10 + (s.s[i++] - '0');
        if (i == s.n)
            return v;
    }
    char tmp[64], *heap = NULL, *str = tmp;
    if (s.n >= sizeof tmp && !(str = heap = cw_strndup(s.s, s.n)))
        return 0;
    if (str == tmp) {
        memcpy(tmp, s.s, s.n);
        tmp[s.n] = 0;
    }
    char *end;
    long n = strtol(str, &end, 10);
    free(heap);
    if (end == str || n < 0 || n > 1000000)
        return 0;
    return (int)n;
}

/* ---- the last page ----------------------------------------------------------------- */

/* Granule position of the last page of `serial`: scan backwards from the end. When the
 * whole file is in f's buffer, no more reading. */
static int read_last_granule(ofile *f, int serial, int64_t *granule, cw_error *err)
{
    unsigned char *buf;
    size_t n;
    off_t size;
    rbuf tail = {0};
    if (f->eof) {
        size = (off_t)f->have;
    } else {
        struct stat sb;
        if (fstat(f->fd, &sb) != 0)
            return cw_fail(err, CW_EIO, f->path, 0, "cannot stat: %s", strerror(errno));
        size = sb.st_size;
    }
    size_t chunk = TAIL_CHUNK;
    int rc = 0;
    for (;;) {
        off_t start = size > (off_t)chunk ? size - (off_t)chunk : 0;
        if ((off_t)f->have >= size) { /* the whole file is in already */
            buf = f->b->p + start;
            n = (size_t)(size - start);
        } else {
            n = (size_t)(size - start);
            if (rbuf_reserve(&tail, n)) {
                rc = cw_fail(err, CW_ENOMEM, f->path, 0, "out of memory");
                break;
            }
            size_t got = 0;
            while (got < n) {
                ssize_t r = pread(f->fd, tail.p + got, n - got, start + (off_t)got);
                if (r < 0 && errno == EINTR)
                    continue;
                if (r <= 0)
                    break;
                got += (size_t)r;
            }
            if (got != n) {
                rc = cw_fail(err, CW_EIO, f->path, 0, "cannot read the end of the file");
                break;
            }
            buf = tail.p;
        }
        /* the last capture pattern whose page is complete and checks out */
        for (size_t end = n >= 27 ? n - 27 + 1 : 0; end > 0;) {
            unsigned char *o = memrchr(buf, 'O', end);
            if (!o)
                break;
            size_t i = (size_t)(o - buf);
            end = i;
            if (memcmp(buf + i, "OggS", 4) != 0)
                continue;
            size_t hlen = 0, len = page_len(buf + i, n - i, &hlen);
            if (!len || !cw_audio_ogg_page_crc_ok(buf + i, len) || (int)le32(buf + i + 14) != serial)
                continue;
            int eos = (buf[i + 5] & 0x04) != 0;
            int64_t g = (int64_t)((uint64_t)le32(buf + i + 6) |
                                  (uint64_t)le32(buf + i + 10) << 32);
            free(tail.p);
            *granule = g;
            if (!eos || g < 0)
                return cw_fail(err, CW_EINVAL, f->path, 0, "the file is truncated (its last "
                               "ogg page does not end the stream; ingest the original again)");
            return 0;
        }
        if (start == 0 || chunk >= TAIL_SCAN_MAX + MAX_PAGE) {
            rc = cw_fail(err, CW_EINVAL, f->path, 0, "no final ogg page found near the end "
                         "(damaged file; ingest the original again)");
            break;
        }
        chunk = chunk * 4 < TAIL_SCAN_MAX + MAX_PAGE ? chunk * 4 : TAIL_SCAN_MAX + MAX_PAGE;
    }
    free(tail.p);
    return rc;
}

/* ---- one recording ----------------------------------------------------------------- */

/* Read the recording open on fd; `path` goes into out->path (NULL: none). */
static int read_fd(cw_recording *out, int fd, const char *path, rbuf *b, cw_error *err)
{
    memset(out, 0, sizeof *out);
    ofile f = {.fd = fd, .path = path, .b = b};
    head h;
    memset(&h, 0, sizeof h);
    cw_buf_init(&h.ident);
    cw_buf_init(&h.comment);
    span v[K_COUNT];
    int64_t granule = 0;
    int rc = fill(&f, HEAD_CHUNK, err);
    if (rc == 0)
        rc = read_headers(&f, &h, err);
    if (rc == 0)
        rc = parse_comments(&h, v, path, err);
    if (rc == 0)
        rc = read_last_granule(&f, h.serial, &granule, err);
    if (rc == 0) {
        span kind = v[K_KIND].s ? v[K_KIND] : v[K_GENRE];
        out->kind = CW_KIND_NONE;
        char tmp[32]; /* no kind name is this long */
        size_t kn = kind.s ? strnlen(kind.s, kind.n) : sizeof tmp;
        if (kn < sizeof tmp) {
            memcpy(tmp, kind.s, kn);
            tmp[kn] = 0;
            out->kind = cw_kind_parse(tmp);
        }
        out->path = path ? cw_strdup(path) : cw_strdup("");
        out->series = span_dup(v[K_SERIES]);
        if (out->series)
            cw_series_key_normalise(out->series); /* files made before keys were lower-case */
        out->episode = span_int(v[K_EPISODE]);
        if (out->episode == 0)
            out->episode = span_int(v[K_TRACK]);
        out->title = span_dup(v[K_TITLE]);
        out->teacher = span_dup(v[K_ARTIST]);
        out->language = span_dup(v[K_LANGUAGE]);
        out->description = span_dup(v[K_DESC]);
        out->date = span_dup(v[K_DATE]);
        out->valid_from = span_dup(v[K_FROM]);
        out->valid_until = span_dup(v[K_UNTIL]);
        out->source_sha256 = span_dup(v[K_SHA]);
        out->rate = h.rate;
        out->channels = h.channels;
        out->length_samples = granule;
        out->lufs_in = span_double(v[K_LUFS_IN]);
        out->lufs_out = span_double(v[K_LUFS_OUT]);
        out->lra_out = span_double(v[K_LRA]);
        out->true_peak_out = span_double(v[K_TP_OUT]);
        if (!out->path || !out->series || !out->title || !out->teacher || !out->language ||
            !out->description || !out->date || !out->valid_from || !out->valid_until ||
            !out->source_sha256) {
            cw_recording_clear(out);
            rc = cw_fail(err, CW_ENOMEM, path, 0, "out of memory");
        }
    }
    cw_buf_free(&h.ident);
    cw_buf_free(&h.comment);
    return rc;
}

int cw_recording_read(cw_recording *out, const char *path, cw_error *err)
{
    memset(out, 0, sizeof *out);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return cw_fail(err, errno == ENOENT ? CW_ENOTFOUND : CW_EIO, path, 0,
                       "cannot open: %s", strerror(errno));
    rbuf b = {0};
    int rc = read_fd(out, fd, path, &b, err);
    free(b.p);
    close(fd);
    return rc;
}

/* ---- scanning ---------------------------------------------------------------------- */

/* The walk lists jobs in path order: files to read, and warnings found on the way; the
 * files are then read by this thread and a helper or more (warm cache, the scan is CPU
 * bound: open, pread and parsing), and the results gathered in the walk's order, so the
 * outcome does not depend on the threads. */
typedef struct job {
    char *rel;   /* "library/..." of a file to read; NULL for a warning */
    char *msg;   /* a warning (from the walk, or why the file was skipped) */
    int rc;      /* 0 read, 1 vanished (ignore), CW_E* */
    cw_recording rec;
} job;

typedef struct scan {
    job *v;
    size_t n, cap;
    int libfd;
    size_t next; /* the next job to take (atomic) */
    char rel[4096]; /* "library/..." of the directory being walked */
    size_t root_len; /* strlen of the root ("library", "pending") + 1: rel + root_len is
                      * relative to the root's directory */
    const char *skip; /* a directory directly under the root that is not walked, or NULL */
    int oom;
} scan;

static job *new_job(scan *sc)
{
    if (sc->n == sc->cap) {
        size_t nc = sc->cap ? sc->cap * 2 : 256;
        job *v = realloc(sc->v, nc * sizeof *v);
        if (!v) {
            sc->oom = 1;
            return NULL;
        }
        sc->v = v;
        sc->cap = nc;
    }
    job *j = &sc->v[sc->n++];
    memset(j, 0, sizeof *j);
    return j;
}

static int has_ogg_suffix(const char *s, size_t n)
{
    return n >= 4 && strcasecmp(s + n - 4, ".ogg") == 0;
}

static void warn(scan *sc, const char *fmt, ...) CW_PRINTF(2, 3);
static void warn(scan *sc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char line[1536];
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    job *j = new_job(sc);
    if (j && !(j->msg = cw_strdup(line)))
        sc->oom = 1;
}

/* Open a file below the library without following a symbolic link anywhere on the way
 * (the walk saw none; one swapped in since must not lead out of the station). */
static int open_beneath(int libfd, const char *rel)
{
#ifdef SYS_openat2
    static int no_openat2;
    if (!__atomic_load_n(&no_openat2, __ATOMIC_RELAXED)) {
        struct open_how how = {.flags = O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                               .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH};
        int fd = (int)syscall(SYS_openat2, libfd, rel, &how, sizeof how);
        if (fd >= 0 || errno != ENOSYS)
            return fd;
        __atomic_store_n(&no_openat2, 1, __ATOMIC_RELAXED);
    }
#endif
    return openat(libfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
}

static void run_jobs(scan *sc)
{
    rbuf b = {0};
    for (;;) {
        size_t i = __atomic_fetch_add(&sc->next, 1, __ATOMIC_RELAXED);
        if (i >= sc->n)
            break;
        job *j = &sc->v[i];
        if (!j->rel)
            continue;
        int fd = open_beneath(sc->libfd, j->rel + sc->root_len);
        if (fd < 0) {
            j->rc = errno == ENOENT ? 1 : CW_EIO; /* removed while we scan: ignore */
            if (j->rc == CW_EIO && !(j->msg = cw_asprintf("%s: cannot open: %s, skipped",
                                                          j->rel, strerror(errno))))
                j->rc = CW_ENOMEM;
            continue;
        }
        cw_error e;
        e.text[0] = 0;
        j->rc = read_fd(&j->rec, fd, j->rel, &b, &e);
        close(fd);
        if (j->rc && j->rc != CW_ENOMEM && !(j->msg = cw_asprintf("%s: %s, skipped", j->rel,
                                                                  e.text)))
            j->rc = CW_ENOMEM;
    }
    free(b.p);
}

static void *helper_main(void *arg)
{
    run_jobs(arg);
    return NULL;
}

typedef struct dent {
    const char *name; /* into the directory's name block (an offset while it grows) */
    unsigned char type;
} dent;

static int cmp_dent(const void *a, const void *b)
{
    return strcmp(((const dent *)a)->name, ((const dent *)b)->name);
}

/* Walk the directory open on dfd (sc->rel names it, relative to the station), in name
 * order. Depth is bounded: the layout is library/KIND/SERIES/FILE. Takes dfd. */
static int scan_dir(scan *sc, int dfd, int depth, cw_error *err)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        warn(sc, "%s: cannot read directory: %s", sc->rel, strerror(errno));
        return 0;
    }
    cw_buf names;
    cw_buf_init(&names);
    dent *ents = NULL;
    size_t n = 0, cap = 0;
    int rc = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue; /* ".", "..", hidden files and writers' temporaries */
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 64;
            dent *ne = realloc(ents, nc * sizeof *ne);
            if (!ne) {
                rc = CW_ENOMEM;
                break;
            }
            ents = ne;
            cap = nc;
        }
        ents[n].name = (const char *)(uintptr_t)names.len;
        ents[n].type = de->d_type;
        n++;
        cw_buf_append(&names, de->d_name, strlen(de->d_name) + 1);
    }
    if (names.oom)
        rc = CW_ENOMEM;
    for (size_t i = 0; rc == 0 && i < n; i++)
        ents[i].name = names.data + (uintptr_t)ents[i].name;
    if (rc == 0 && n > 1)
        qsort(ents, n, sizeof *ents, cmp_dent);
    const size_t rel_len = strlen(sc->rel);
    for (size_t i = 0; rc == 0 && !sc->oom && i < n; i++) {
        const char *name = ents[i].name;
        size_t nl = strlen(name);
        if (rel_len + 1 + nl + 1 > sizeof sc->rel) {
            warn(sc, "%s/%.40s...: path too long, skipped", sc->rel, name);
            continue;
        }
        sc->rel[rel_len] = '/';
        memcpy(sc->rel + rel_len + 1, name, nl + 1);
        unsigned char type = ents[i].type;
        if (type == DT_UNKNOWN) {
            struct stat sb;
            if (fstatat(dirfd(d), name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
                type = DT_WHT; /* removed while we scan: ignore */
            else
                type = S_ISDIR(sb.st_mode) ? DT_DIR : S_ISREG(sb.st_mode) ? DT_REG : DT_LNK;
        }
        if (type == DT_WHT || (depth == 0 && sc->skip && !strcmp(name, sc->skip))) {
            /* ignore */
        } else if (type == DT_DIR) {
            if (depth < 8) {
                int sub = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sub < 0) {
                    if (errno != ENOENT)
                        warn(sc, "%s: cannot read directory: %s", sc->rel, strerror(errno));
                } else {
                    rc = scan_dir(sc, sub, depth + 1, err);
                }
            } else {
                warn(sc, "%s: directory nested too deep, skipped", sc->rel);
            }
        } else if (type != DT_REG) {
            warn(sc, "%s: not a regular file, skipped", sc->rel);
        } else if (nl > 11 && !strcmp(name + nl - 11, ".reason.txt")) {
            /* why an upload was rejected (pending/rejected/): read by cw_library_rejection */
        } else if (!has_ogg_suffix(name, nl)) {
            warn(sc, "%s: not an .ogg file, skipped", sc->rel);
        } else {
            job *j = new_job(sc);
            if (j && !(j->rel = cw_strdup(sc->rel)))
                sc->oom = 1;
        }
        sc->rel[rel_len] = 0;
    }
    closedir(d);
    free(ents);
    cw_buf_free(&names);
    if (rc == 0 && sc->oom)
        rc = CW_ENOMEM;
    if (rc == CW_ENOMEM)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    return rc;
}

static int cmp_rec(const void *a, const void *b)
{
    return strcmp(((const cw_recording *)a)->path, ((const cw_recording *)b)->path);
}

static uint64_t hash_episode(const char *series, int episode)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)(uint32_t)episode;
    for (const unsigned char *p = (const unsigned char *)series; *p; p++)
        h = (h ^ (unsigned char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p)) * 1099511628211ull;
    return h ^ h >> 29;
}

static uint64_t hash_source(const char *sha)
{
    uint64_t h = 1469598103934665603ull;
    for (const unsigned char *p = (const unsigned char *)sha; *p; p++)
        h = (h ^ (unsigned char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p)) * 1099511628211ull;
    return h ^ h >> 29;
}

static void index_free(cw_library_index *ix)
{
    if (!ix)
        return;
    free(ix->episode);
    free(ix->source);
    free(ix);
}

/* The slot holding (series, episode), or the empty slot where it would go. */
static uint32_t *slot_episode(const cw_library_index *ix, const char *series, int episode)
{
    for (size_t h = (size_t)hash_episode(series, episode);; h++) {
        uint32_t *s = &ix->episode[h & ix->mask];
        if (!*s)
            return s;
        const cw_recording *r = &ix->v[*s - 1];
        if (r->episode == episode && strcasecmp(r->series, series) == 0)
            return s;
    }
}

static uint32_t *slot_source(const cw_library_index *ix, const char *sha)
{
    for (size_t h = (size_t)hash_source(sha);; h++) {
        uint32_t *s = &ix->source[h & ix->mask];
        if (!*s || strcasecmp(ix->v[*s - 1].source_sha256, sha) == 0)
            return s;
    }
}

/* Build the index; first[i] gets the recording that holds v[i]'s series/episode before it
 * (NULL when v[i] is the first). */
static cw_library_index *index_build(const cw_library *lib, const cw_recording **first)
{
    cw_library_index *ix = calloc(1, sizeof *ix);
    size_t cap = 16;
    while (cap < 2 * lib->n)
        cap *= 2;
    if (!ix || lib->n >= UINT32_MAX || !(ix->episode = calloc(cap, sizeof(uint32_t))) ||
        !(ix->source = calloc(cap, sizeof(uint32_t)))) {
        index_free(ix);
        return NULL;
    }
    ix->v = lib->v;
    ix->n = lib->n;
    ix->mask = cap - 1;
    for (size_t i = 0; i < lib->n; i++) {
        const cw_recording *r = &lib->v[i];
        uint32_t *s = slot_episode(ix, r->series, r->episode);
        first[i] = *s ? &lib->v[*s - 1] : NULL;
        if (!*s)
            *s = (uint32_t)i + 1;
        if (r->source_sha256[0] && !*(s = slot_source(ix, r->source_sha256)))
            *s = (uint32_t)i + 1;
    }
    return ix;
}

static const cw_library_index *index_of(const cw_library *lib)
{
    const cw_library_index *ix = lib->index;
    return ix && ix->v == lib->v && ix->n == lib->n ? ix : NULL;
}

static void scan_free(scan *sc)
{
    for (size_t i = 0; i < sc->n; i++) {
        free(sc->v[i].rel);
        free(sc->v[i].msg);
        cw_recording_clear(&sc->v[i].rec);
    }
    free(sc->v);
}

int cw_library_scan(cw_library **out, const char *station_dir, cw_error *err)
{
    return cw_library_scan_at(out, station_dir, "library", err);
}

int cw_library_scan_pending(cw_library **out, const char *station_dir, cw_error *err)
{
    return cw_library_scan_at(out, station_dir, "pending", err);
}

int cw_library_scan_at(cw_library **out, const char *station_dir, const char *root,
                       cw_error *err)
{
    *out = NULL;
    cw_library *lib = calloc(1, sizeof *lib);
    scan *sc = calloc(1, sizeof *sc);
    char *dir = cw_path_join(station_dir, root);
    int rc = 0;
    if (sc)
        sc->libfd = -1;
    if (!lib || !sc || !dir) {
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        goto done;
    }
    snprintf(sc->rel, sizeof sc->rel, "%s", root);
    sc->root_len = strlen(root) + 1;
    sc->skip = !strcmp(root, "pending") ? "rejected" : NULL; /* pending/rejected/ is apart */
    sc->libfd = -1;
    sc->libfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (sc->libfd >= 0) {
        int dfd = dup(sc->libfd);
        if (dfd < 0)
            warn(sc, "%s: cannot read directory: %s", root, strerror(errno));
        else
            rc = scan_dir(sc, dfd, 0, err);
    } else if (errno != ENOENT) { /* no library yet: empty */
        warn(sc, "%s: cannot read directory: %s", root, strerror(errno));
    }
    if (rc == 0 && sc->oom)
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    if (rc)
        goto done;
    /* read the files: here and on helpers when there are enough to share */
    pthread_t helpers[3];
    int nh = 0;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    int want = sc->n < 256 ? 0 : cpus > 4 ? 3 : cpus > 1 ? (int)cpus - 1 : 0;
    while (nh < want && pthread_create(&helpers[nh], NULL, helper_main, sc) == 0)
        nh++;
    run_jobs(sc);
    for (int h = 0; h < nh; h++)
        pthread_join(helpers[h], NULL);
    size_t cap = 0;
    for (size_t i = 0; rc == 0 && i < sc->n; i++) {
        job *j = &sc->v[i];
        if (j->rc == CW_ENOMEM) {
            rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        } else if (j->rc == 0 && j->rel) {
            if (lib->n == cap) {
                size_t nc = cap ? cap * 2 : 256;
                cw_recording *v = realloc(lib->v, nc * sizeof *v);
                if (!v) {
                    rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
                    break;
                }
                lib->v = v;
                cap = nc;
            }
            lib->v[lib->n++] = j->rec;
            memset(&j->rec, 0, sizeof j->rec);
        } else if (j->msg) {
            if (cw_strlist_push(&lib->warnings, j->msg))
                rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        }
    }
done:
    if (sc) {
        if (sc->libfd >= 0)
            close(sc->libfd);
        scan_free(sc);
        free(sc);
    }
    free(dir);
    if (rc) {
        cw_library_free(lib);
        return rc;
    }
    /* the walk is in name order per directory, which is path order but for names that
     * sort around '/' */
    size_t i = 1;
    while (i < lib->n && strcmp(lib->v[i - 1].path, lib->v[i].path) < 0)
        i++;
    if (i < lib->n)
        qsort(lib->v, lib->n, sizeof *lib->v, cmp_rec);
    /* Two files claiming one series/episode: the first (by path) wins; say so, in path
     * order. */
    const cw_recording **first = calloc(lib->n ? lib->n : 1, sizeof *first);
    if (!first || !(lib->index = index_build(lib, first))) {
        free(first);
        cw_library_free(lib);
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    for (size_t k = 0; k < lib->n; k++) {
        const cw_recording *r = &lib->v[k];
        if (!first[k] || !r->series[0] || r->episode <= 0)
            continue;
        if (cw_strlist_pushf(&lib->warnings, "%s: series '%s' episode %d is also '%s'; "
                             "using '%s' (remove one of them)", r->path, r->series,
                             r->episode, first[k]->path, first[k]->path)) {
            free(first);
            cw_library_free(lib);
            return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        }
    }
    free(first);
    *out = lib;
    return 0;
}

void cw_library_free(cw_library *lib)
{
    if (!lib)
        return;
    for (size_t i = 0; i < lib->n; i++)
        cw_recording_clear(&lib->v[i]);
    free(lib->v);
    cw_strlist_free(&lib->warnings);
    index_free(lib->index);
    free(lib);
}

/* ---- lookups ----------------------------------------------------------------------- */

const cw_recording *cw_library_find_episode(const cw_library *lib, const char *series,
                                            int episode)
{
    if (!lib || !series)
        return NULL;
    const cw_library_index *ix = index_of(lib);
    if (!ix) {
        for (size_t i = 0; i < lib->n; i++)
            if (lib->v[i].episode == episode && strcasecmp(lib->v[i].series, series) == 0)
                return &lib->v[i];
        return NULL;
    }
    uint32_t s = *slot_episode(ix, series, episode);
    return s ? &lib->v[s - 1] : NULL;
}

const cw_recording *cw_library_find_path(const cw_library *lib, const char *relpath)
{
    if (!lib || !relpath)
        return NULL;
    if (!index_of(lib)) {
        for (size_t i = 0; i < lib->n; i++)
            if (strcmp(lib->v[i].path, relpath) == 0)
                return &lib->v[i];
        return NULL;
    }
    size_t lo = 0, hi = lib->n; /* v is sorted by path, paths are unique */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(lib->v[mid].path, relpath);
        if (c == 0)
            return &lib->v[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

const cw_recording *cw_library_find_source(const cw_library *lib, const char *sha256)
{
    if (!lib || !sha256 || !sha256[0])
        return NULL;
    const cw_library_index *ix = index_of(lib);
    if (!ix) {
        for (size_t i = 0; i < lib->n; i++)
            if (strcasecmp(lib->v[i].source_sha256, sha256) == 0)
                return &lib->v[i];
        return NULL;
    }
    uint32_t s = *slot_source(ix, sha256);
    return s ? &lib->v[s - 1] : NULL;
}
