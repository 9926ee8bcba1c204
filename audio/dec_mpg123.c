/* dec_mpg123.c — the libmpg123 decoder: MP3 (and MPEG layer I/II) files that start with an
 * ID3v2 tag or an MPEG frame. libsndfile 1.2.0 silently truncates VBR MP3s without a Xing
 * header and lets libmpg123 print on stderr, so MP3 never goes through it; libmpg123 was
 * measured exact (gapless: encoder delay and padding removed) and faster than FFmpeg's MP3
 * decoder (README, "Libraries"). MP3s that start with anything else go to FFmpeg.
 * Guarantees: libmpg123 runs with MPG123_QUIET (nothing printed); the length is scanned
 * before decoding, and a Xing/Info or VBRI frame count that promises more than the scan
 * finds is refused as a file cut short. */
#include "audio_int.h"

#include <errno.h>
#include <mpg123.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct mpdec {
    mpg123_handle *mh;
    int fd;
    const char *name;
    int rate, channels;
    int64_t scanned; /* frames the scan counted */
    float *buf;      /* spill of a partially consumed decode */
    size_t cap, len, pos; /* in samples */
    int done;
} mpdec;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void init_once(void)
{
    mpg123_init();
}

/* A plausible MPEG audio frame header at b (not ADTS, which has layer bits 00). */
static int mpeg_header(const unsigned char *b)
{
    return b[0] == 0xFF && (b[1] & 0xE0) == 0xE0 && (b[1] & 0x06) != 0 &&
           (b[1] & 0x18) != 0x08 && (b[2] & 0xF0) != 0xF0 && (b[2] & 0x0C) != 0x0C;
}

/* Bytes of the ID3v2 tag at b (header, body and footer), 0 when none. */
static size_t id3_len(const unsigned char *b, size_t n)
{
    if (n < 10 || memcmp(b, "ID3", 3) != 0)
        return 0;
    return 10 + ((size_t)(b[6] & 0x7f) << 21 | (size_t)(b[7] & 0x7f) << 14 |
                 (size_t)(b[8] & 0x7f) << 7 | (size_t)(b[9] & 0x7f)) + ((b[5] & 0x10) ? 10 : 0);
}

static int read_at(int fd, size_t off, unsigned char *b, size_t n)
{
    ssize_t got;
    while ((got = pread(fd, b, n, (off_t)off)) < 0 && errno == EINTR) {
    }
    return got < 0 ? 0 : (int)got;
}

static int sniff(const unsigned char *b, size_t n, int64_t size, int fd)
{
    (void)size;
    unsigned char h[4];
    size_t off = id3_len(b, n);
    if (off == 0)
        return n >= 4 && mpeg_header(b) ? 80 : 0;
    if (off + 4 <= n)
        return mpeg_header(b + off) ? 80 : 0;
    return read_at(fd, off, h, 4) == 4 && mpeg_header(h) ? 80 : 0;
}

/* Does the first MPEG frame carry a Xing/Info or VBRI header (a frame count)? libmpg123
 * reports its pre-scan length as accurate either way, so look ourselves. */
static int has_length_header(int fd)
{
    unsigned char b[16384];
    size_t n = (size_t)read_at(fd, 0, b, sizeof b);
    size_t off = id3_len(b, n);
    if (off) {
        n = (size_t)read_at(fd, off, b, sizeof b);
        off = 0;
    }
    while (off + 1 < n && !(b[off] == 0xff && (b[off + 1] & 0xe0) == 0xe0))
        off++;
    for (size_t i = off + 4; i + 4 <= n && i < off + 200; i++)
        if (!memcmp(b + i, "Xing", 4) || !memcmp(b + i, "Info", 4) || !memcmp(b + i, "VBRI", 4))
            return 1;
    return 0;
}

static void dec_close(void *state)
{
    mpdec *d = state;
    if (!d)
        return;
    if (d->mh) {
        mpg123_close(d->mh);
        mpg123_delete(d->mh);
    }
    if (d->fd >= 0)
        close(d->fd);
    free(d->buf);
    free(d);
}

static int damaged(cw_error *err, const char *name)
{
    return cw_fail(err, CW_EINVAL, name, 0, "the MP3 file is damaged: it cannot be decoded "
                   "(copy it again, or export it again from the recording program)");
}

static int open_mp3(mpdec *d, int fd, const char *name, cw_audio_src_info *info,
                    cw_error *err)
{
    int e = 0;
    d->mh = mpg123_new(NULL, &e);
    if (!d->mh)
        return cw_fail(err, CW_ENOMEM, name, 0, "cannot start the MP3 decoder (out of memory)");
    mpg123_param(d->mh, MPG123_ADD_FLAGS, MPG123_QUIET | MPG123_FORCE_FLOAT | MPG123_GAPLESS, 0);
    if (mpg123_open_fd(d->mh, fd) != MPG123_OK)
        return damaged(err, name);
    /* A Xing/Info header with a frame count makes the length exact before scanning: keep it
     * so a file cut short is noticed. */
    off_t promised = has_length_header(fd) ? mpg123_length(d->mh) : -1;
    if (mpg123_scan(d->mh) != MPG123_OK)
        return damaged(err, name);
    long rate = 0;
    int ch = 0, enc = 0;
    if (mpg123_getformat(d->mh, &rate, &ch, &enc) != MPG123_OK || rate <= 0 || ch <= 0)
        return cw_fail(err, CW_EINVAL, name, 0, "no MP3 sound found in the file (it may be "
                       "damaged; copy it again)");
    mpg123_format_none(d->mh);
    if (mpg123_format(d->mh, rate, ch, MPG123_ENC_FLOAT_32) != MPG123_OK)
        return cw_fail(err, CW_EUNSUPPORTED, name, 0, "the MP3 decoder cannot give float "
                       "samples (install the full libmpg123)");
    off_t scanned = mpg123_length(d->mh);
    d->rate = (int)rate;
    d->channels = ch;
    if (promised > 0 && scanned >= 0 && promised > scanned + 1152) {
        char a[32], b[32];
        cw_audio_fmt_duration((double)scanned / rate, a);
        cw_audio_fmt_duration((double)promised / rate, b);
        return cw_fail(err, CW_EINVAL, name, 0, "the MP3 file is cut short: it stops at %s of "
                       "%s (copy it again from the recorder or phone)", a, b);
    }
    d->scanned = scanned;
    d->cap = 8192 * (size_t)ch;
    if (!(d->buf = malloc(d->cap * sizeof(float))))
        return cw_fail(err, CW_ENOMEM, name, 0, "out of memory");
    info->rate = d->rate;
    info->channels = ch;
    info->frames = scanned;
    info->frames_exact = 0; /* the scan counted what is there */
    snprintf(info->format, sizeof info->format, "MP3");
    return 0;
}

static int dec_open(void **state, int fd, const char *name, cw_audio_src_info *info,
                    cw_error *err)
{
    *state = NULL;
    pthread_once(&once, init_once);
    mpdec *d = calloc(1, sizeof *d);
    if (!d) {
        close(fd);
        return cw_fail(err, CW_ENOMEM, name, 0, "out of memory");
    }
    d->fd = fd;
    d->name = name;
    int rc = open_mp3(d, fd, name, info, err);
    if (rc)
        dec_close(d);
    else
        *state = d;
    return rc;
}

static int dec_read(void *state, float *buf, size_t frames, size_t *got, cw_error *err)
{
    mpdec *d = state;
    const size_t ch = (size_t)d->channels;
    size_t want = frames * ch, have = 0;
    while (have < want) {
        if (d->pos < d->len) {
            size_t m = d->len - d->pos;
            if (m > want - have)
                m = want - have;
            memcpy(buf + have, d->buf + d->pos, m * sizeof(float));
            d->pos += m;
            have += m;
            continue;
        }
        if (d->done)
            break;
        size_t done = 0;
        int r = mpg123_read(d->mh, (unsigned char *)d->buf, d->cap * sizeof(float), &done);
        d->len = done / sizeof(float);
        d->pos = 0;
        if (r == MPG123_DONE) {
            d->done = 1;
        } else if (r == MPG123_NEW_FORMAT) {
            long rate;
            int c, enc;
            mpg123_getformat(d->mh, &rate, &c, &enc);
            if (rate != d->rate || c != d->channels)
                return cw_fail(err, CW_EUNSUPPORTED, d->name, 0, "the MP3 file changes its "
                               "sample rate or channels part way (export it again as one "
                               "recording)");
        } else if (r != MPG123_OK) {
            return damaged(err, d->name);
        }
    }
    *got = have / ch;
    return 0;
}

static int dec_check_end(void *state, int64_t decoded, cw_diags *notes, cw_error *err)
{
    (void)notes;
    mpdec *d = state;
    if (d->scanned > 0 && decoded + 1152 < d->scanned) {
        char a[32], b[32];
        cw_audio_fmt_duration((double)decoded / d->rate, a);
        cw_audio_fmt_duration((double)d->scanned / d->rate, b);
        return cw_fail(err, CW_EINVAL, d->name, 0, "the MP3 file is damaged: it stops at %s "
                       "of %s (copy it again from the recorder or phone)", a, b);
    }
    return 0;
}

static void dec_tags(void *state, cw_audio_tags *out)
{
    mpdec *d = state;
    mpg123_id3v1 *v1 = NULL;
    mpg123_id3v2 *v2 = NULL;
    if (mpg123_id3(d->mh, &v1, &v2) != MPG123_OK || !v2)
        return; /* ID3v1 is Latin-1 of unknown origin: not used */
    if (v2->title && v2->title->fill)
        cw_audio_tag_copy(out->title, sizeof out->title, v2->title->p);
    if (v2->artist && v2->artist->fill)
        cw_audio_tag_copy(out->artist, sizeof out->artist, v2->artist->p);
    if (v2->year && v2->year->fill)
        cw_audio_tag_date(out->date, v2->year->p);
}

const cw_audio_decoder cw_audio_dec_mpg123 = {
    .name = "mpg123",
    .formats = "MP3",
    .sniff = sniff,
    .open = dec_open,
    .read = dec_read,
    .check_end = dec_check_end,
    .tags = dec_tags,
    .close = dec_close,
};
