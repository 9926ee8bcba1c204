/* dec_sndfile.c — the libsndfile decoder: WAV (PCM, float, A-law, mu-law; RF64), AIFF and
 * FLAC with a stated length. Measured faster than FFmpeg on these and exact (README,
 * "Libraries"); everything else goes to the FFmpeg decoder: WAVs whose length was left open
 * (written to a pipe) or hold compressed audio (MP3 in WAV), FLAC written to a pipe (no
 * total length), AIFF-C with compression.
 * Guarantees: libsndfile reports success for most damage (a WAV or FLAC cut short, a header
 * that contradicts the data), so the decoded length is checked against the header's and
 * its log is read for errors; refusals are our sentences, never its log lines. */
#include "audio_int.h"

#include <errno.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct sfdec {
    SNDFILE *sf;
    int fd;
    const char *name;
    int64_t claimed; /* frames the header states */
    int64_t done;    /* frames read */
    int rate;
    char format[48];
} sfdec;

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static int read_at(int fd, int64_t off, unsigned char *b, size_t n)
{
    ssize_t got;
    while ((got = pread(fd, b, n, (off_t)off)) < 0 && errno == EINTR) {
    }
    return got == (ssize_t)n ? 0 : -1;
}

/* WAV: PCM, IEEE float, A-law or mu-law (also as WAVE_FORMAT_EXTENSIBLE) with both sizes
 * stated. 0 for anything else, which the FFmpeg decoder reads. */
static int sniff_wav(const unsigned char *b, size_t n, int64_t size, int fd)
{
    int rf64 = memcmp(b, "RF64", 4) == 0;
    uint32_t riff = le32(b + 4);
    if (!rf64 && (riff == 0 || riff == 0xFFFFFFFFu))
        return 0; /* written to a pipe: the length was never filled in */
    int fmt_ok = 0;
    int64_t off = 12;
    for (int k = 0; k < 64 && off + 8 <= size; k++) {
        unsigned char ch[8 + 26];
        size_t want = off + (int64_t)sizeof ch <= size ? sizeof ch : 8;
        if ((size_t)off + want <= n)
            memcpy(ch, b + off, want);
        else if (read_at(fd, off, ch, want))
            return 0;
        uint32_t len = le32(ch + 4);
        if (memcmp(ch, "fmt ", 4) == 0 && want == sizeof ch && len >= 16) {
            unsigned tag = (unsigned)ch[8] | (unsigned)ch[9] << 8;
            if (tag == 0xFFFE && len >= 40)
                tag = (unsigned)ch[32] | (unsigned)ch[33] << 8; /* the subformat GUID */
            fmt_ok = tag == 1 || tag == 3 || tag == 6 || tag == 7;
            if (!fmt_ok)
                return 0; /* compressed audio in a WAV (MP3, ADPCM, ...) */
        } else if (memcmp(ch, "data", 4) == 0) {
            if (!rf64 && (len == 0xFFFFFFFFu || (len == 0 && off + 8 < size)))
                return 0; /* an open length: read to the end by FFmpeg */
            return fmt_ok ? 80 : 0;
        }
        off += 8 + (int64_t)len + (len & 1);
    }
    return fmt_ok ? 80 : 0; /* no data chunk seen: libsndfile says what is wrong */
}

/* AIFF, and AIFF-C without compression. */
static int sniff_aiff(const unsigned char *b, size_t n)
{
    if (memcmp(b + 8, "AIFF", 4) == 0)
        return 80;
    /* AIFC: the COMM chunk's compression type */
    for (size_t off = 12; off + 8 <= n;) {
        uint32_t len = be32(b + off + 4);
        if (memcmp(b + off, "COMM", 4) == 0) {
            if (off + 8 + 22 > n)
                return 0;
            const unsigned char *c = b + off + 8 + 18;
            static const char *const plain[] = {"NONE", "sowt", "twos", "fl32", "FL32", "fl64",
                                                "FL64"};
            for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
                if (memcmp(c, plain[i], 4) == 0)
                    return 80;
            return 0;
        }
        off += 8 + (size_t)len + (len & 1);
    }
    return 0;
}

static int sniff(const unsigned char *b, size_t n, int64_t size, int fd)
{
    if (n < 12)
        return 0;
    if ((memcmp(b, "RIFF", 4) == 0 || memcmp(b, "RF64", 4) == 0) && memcmp(b + 8, "WAVE", 4) == 0)
        return sniff_wav(b, n, size, fd);
    if (memcmp(b, "FORM", 4) == 0 && (memcmp(b + 8, "AIFF", 4) == 0 || memcmp(b + 8, "AIFC", 4) == 0))
        return sniff_aiff(b, n);
    if (memcmp(b, "fLaC", 4) == 0 && n >= 26 && (b[4] & 0x7F) == 0) {
        /* STREAMINFO's 36-bit total: 0 means unknown (written to a pipe) */
        uint64_t total = (uint64_t)(b[21] & 0x0F) << 32 | be32(b + 22);
        return total ? 80 : 0;
    }
    return 0;
}

static const char *format_name(int format)
{
    switch (format & SF_FORMAT_TYPEMASK) {
    case SF_FORMAT_WAV:
    case SF_FORMAT_WAVEX:
    case SF_FORMAT_RF64:
        return "WAV";
    case SF_FORMAT_FLAC:
        return "FLAC";
    case SF_FORMAT_AIFF:
        return "AIFF";
    default:
        return "audio";
    }
}

static void dec_close(void *state)
{
    sfdec *d = state;
    if (!d)
        return;
    if (d->sf)
        sf_close(d->sf);
    if (d->fd >= 0)
        close(d->fd);
    free(d);
}

static int dec_open(void **state, int fd, const char *name, cw_audio_src_info *info,
                    cw_error *err)
{
    *state = NULL;
    sfdec *d = calloc(1, sizeof *d);
    if (!d) {
        close(fd);
        return cw_fail(err, CW_ENOMEM, name, 0, "out of memory");
    }
    d->fd = fd;
    d->name = name;
    SF_INFO si;
    memset(&si, 0, sizeof si);
    d->sf = sf_open_fd(fd, SFM_READ, &si, SF_FALSE);
    if (!d->sf) {
        /* the bytes looked like WAV, AIFF or FLAC: a header too damaged to read */
        dec_close(d);
        return cw_fail(err, CW_EINVAL, name, 0, "the file's header is damaged, so the "
                       "recording cannot be read (copy it again from the recorder or phone)");
    }
    snprintf(d->format, sizeof d->format, "%s", format_name(si.format));
    if (si.frames == SF_COUNT_MAX || si.frames < 0) {
        dec_close(d);
        return cw_fail(err, CW_EINVAL, name, 0, "the %s file is incomplete (its end is "
                       "missing; copy it again from the recorder or phone)", d->format);
    }
    d->claimed = si.frames;
    d->rate = si.samplerate > 0 ? si.samplerate : 1;
    info->rate = si.samplerate;
    info->channels = si.channels;
    info->frames = si.frames;
    info->frames_exact = 1;
    snprintf(info->format, sizeof info->format, "%s", d->format);
    *state = d;
    return 0;
}

static int dec_read(void *state, float *buf, size_t frames, size_t *got, cw_error *err)
{
    sfdec *d = state;
    sf_count_t n = sf_readf_float(d->sf, buf, (sf_count_t)frames);
    if (n < 0)
        n = 0;
    d->done += n;
    if (sf_error(d->sf) != SF_ERR_NO_ERROR) {
        char a[32], b[32];
        cw_audio_fmt_duration((double)d->done / d->rate, a);
        cw_audio_fmt_duration((double)d->claimed / d->rate, b);
        return cw_fail(err, CW_EINVAL, d->name, 0, "the %s file is cut short or damaged: it "
                       "cannot be read after %s of %s (copy it again from the recorder or "
                       "phone)", d->format, a, b);
    }
    *got = (size_t)n;
    return 0;
}

static int dec_check_end(void *state, int64_t decoded, cw_diags *notes, cw_error *err)
{
    (void)notes;
    sfdec *d = state;
    char a[32], b[32];
    int rate = d->rate;
    if (decoded < d->claimed) {
        cw_audio_fmt_duration((double)decoded / rate, a);
        cw_audio_fmt_duration((double)d->claimed / rate, b);
        return cw_fail(err, CW_EINVAL, d->name, 0, "the %s file is cut short or damaged: it "
                       "stops at %s of %s (copy it again from the recorder or phone)",
                       d->format, a, b);
    }
    char log[4096];
    log[0] = 0;
    sf_command(d->sf, SFC_GET_LOG_INFO, log, sizeof log);
    if (strstr(log, "should be"))
        return cw_fail(err, CW_EINVAL, d->name, 0, "the %s file is cut short or damaged: its "
                       "header does not match what it holds (copy it again from the recorder "
                       "or phone)", d->format);
    if (strstr(log, "ERROR") || strstr(log, "unexpectedly"))
        return cw_fail(err, CW_EINVAL, d->name, 0, "the %s file is damaged: parts of it "
                       "cannot be read (copy it again from the recorder or phone)", d->format);
    return 0;
}

static void dec_tags(void *state, cw_audio_tags *out)
{
    sfdec *d = state;
    cw_audio_tag_copy(out->title, sizeof out->title, sf_get_string(d->sf, SF_STR_TITLE));
    cw_audio_tag_copy(out->artist, sizeof out->artist, sf_get_string(d->sf, SF_STR_ARTIST));
    cw_audio_tag_date(out->date, sf_get_string(d->sf, SF_STR_DATE));
}

const cw_audio_decoder cw_audio_dec_sndfile = {
    .name = "sndfile",
    .formats = "WAV, AIFF, FLAC",
    .sniff = sniff,
    .open = dec_open,
    .read = dec_read,
    .check_end = dec_check_end,
    .tags = dec_tags,
    .close = dec_close,
};
