/* decode.c — teachers' files in: one reader over libsndfile (WAV, FLAC, Ogg Vorbis, Ogg
 * Opus, ...) and libmpg123 (MP3, read directly because libsndfile 1.2.0 silently truncates
 * VBR MP3s without a Xing header), with damage detection libsndfile does not do itself.
 * Guarantees: interleaved float frames in fixed blocks; every refusal is a sentence a
 * teacher can act on; nothing is printed (libmpg123 runs with MPG123_QUIET). */
#include "audio_int.h"

#include <errno.h>
#include <fcntl.h>
#include <mpg123.h>
#include <pthread.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

struct cw_src {
    char *path;
    SNDFILE *sf;
    mpg123_handle *mh;
    int rate, channels;
    int64_t claimed;    /* frames the header (or an MP3 scan) promises; -1 unknown */
    int claimed_exact;  /* 1: a shortfall means the file is cut short */
    int64_t decoded;
    const char *format;
    float *mbuf;        /* MP3: spill of a partially consumed decode */
    size_t mbuf_cap, mbuf_len, mbuf_pos; /* in samples */
    int mp3_done;
};

const char cw_accepted_formats[] = "WAV, FLAC, MP3, Ogg Vorbis or Opus";

void cw_fmt_duration(double seconds, char out[32])
{
    if (!(seconds >= 0))
        seconds = 0;
    long s = (long)(seconds + 0.5);
    if (s >= 3600)
        snprintf(out, 32, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else if (seconds >= 10)
        snprintf(out, 32, "%ld:%02ld", s / 60, s % 60);
    else
        snprintf(out, 32, "%.1f s", seconds);
}

/* Formats libsndfile cannot read, recognised by their first bytes, so the refusal can
 * name them. */
static const char *sniff_unsupported(const unsigned char *b, size_t n, const char *path)
{
    if (n >= 12 && memcmp(b + 4, "ftyp", 4) == 0) {
        if (memcmp(b + 8, "3gp", 3) == 0)
            return "3GP/AMR (phone recording)";
        return "M4A/AAC (MP4 audio)";
    }
    if (n >= 6 && memcmp(b, "#!AMR", 5) == 0)
        return "AMR (phone voice note)";
    static const unsigned char asf[16] = {0x30, 0x26, 0xb2, 0x75, 0x8e, 0x66, 0xcf, 0x11,
                                          0xa6, 0xd9, 0x00, 0xaa, 0x00, 0x62, 0xce, 0x6c};
    if (n >= 16 && memcmp(b, asf, 16) == 0)
        return "WMA (Windows Media)";
    if (n >= 2 && b[0] == 0xff && (b[1] & 0xf6) == 0xf0)
        return "AAC (ADTS)";
    if (n >= 4 && memcmp(b, "\x1a\x45\xdf\xa3", 4) == 0)
        return "WebM/Matroska";
    if (n >= 4 && memcmp(b, "fLaC", 4) != 0 && memcmp(b, "RIFF", 4) != 0 &&
        memcmp(b, "OggS", 4) != 0 && memcmp(b, "ID3", 3) != 0) {
        const char *dot = strrchr(path, '.');
        if (dot && (!strcasecmp(dot, ".m4a") || !strcasecmp(dot, ".aac") ||
                    !strcasecmp(dot, ".mp4")))
            return "M4A/AAC (MP4 audio)";
        if (dot && !strcasecmp(dot, ".amr"))
            return "AMR (phone voice note)";
        if (dot && !strcasecmp(dot, ".wma"))
            return "WMA (Windows Media)";
    }
    return NULL;
}

static int refuse_format(cw_error *err, const char *path, const char *what)
{
    const char *base = cw_path_base(path);
    return cw_fail(err, CW_EUNSUPPORTED, path, 0,
                   "this is %s audio, which chalkwave cannot read (send %s; or convert it: "
                   "ffmpeg -i '%s' '%.*s.flac')",
                   what, cw_accepted_formats, base,
                   (int)(strrchr(base, '.') ? strrchr(base, '.') - base : (long)strlen(base)),
                   base);
}

static pthread_once_t mpg_once = PTHREAD_ONCE_INIT;
static void mpg_init(void)
{
    mpg123_init();
}

/* Does the first MPEG frame carry a Xing/Info or VBRI header (a frame count)? libmpg123
 * reports its pre-scan length as accurate either way, so look ourselves. */
static int mp3_has_length_header(const char *path)
{
    unsigned char b[16384];
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return 0;
    size_t n = fread(b, 1, sizeof b, fp);
    size_t off = 0;
    if (n >= 10 && memcmp(b, "ID3", 3) == 0) {
        size_t tag = ((size_t)(b[6] & 0x7f) << 21) | ((size_t)(b[7] & 0x7f) << 14) |
                     ((size_t)(b[8] & 0x7f) << 7) | (size_t)(b[9] & 0x7f);
        off = 10 + tag + ((b[5] & 0x10) ? 10 : 0);
        if (off + 4 > n) {
            if (fseek(fp, (long)off, SEEK_SET) != 0) {
                fclose(fp);
                return 0;
            }
            n = fread(b, 1, sizeof b, fp);
            off = 0;
        }
    }
    fclose(fp);
    while (off + 1 < n && !(b[off] == 0xff && (b[off + 1] & 0xe0) == 0xe0))
        off++;
    for (size_t i = off + 4; i + 4 <= n && i < off + 200; i++)
        if (!memcmp(b + i, "Xing", 4) || !memcmp(b + i, "Info", 4) || !memcmp(b + i, "VBRI", 4))
            return 1;
    return 0;
}

static int open_mp3(cw_src *s, cw_error *err)
{
    pthread_once(&mpg_once, mpg_init);
    int e = 0;
    s->mh = mpg123_new(NULL, &e);
    if (!s->mh)
        return cw_fail(err, CW_ENOMEM, s->path, 0, "cannot start the mp3 decoder: %s",
                       mpg123_plain_strerror(e));
    mpg123_param(s->mh, MPG123_ADD_FLAGS, MPG123_QUIET | MPG123_FORCE_FLOAT | MPG123_GAPLESS, 0);
    if (mpg123_open(s->mh, s->path) != MPG123_OK)
        return cw_fail(err, CW_EINVAL, s->path, 0, "cannot read this mp3 file: %s "
                       "(it may be damaged; export it again)", mpg123_strerror(s->mh));
    /* A Xing/Info header with a frame count makes the length exact before scanning: keep it
     * so a file cut short is noticed. */
    off_t promised = mp3_has_length_header(s->path) ? mpg123_length(s->mh) : -1;
    if (mpg123_scan(s->mh) != MPG123_OK)
        return cw_fail(err, CW_EINVAL, s->path, 0, "cannot read this mp3 file: %s "
                       "(it may be damaged; export it again)", mpg123_strerror(s->mh));
    long rate = 0;
    int ch = 0, enc = 0;
    if (mpg123_getformat(s->mh, &rate, &ch, &enc) != MPG123_OK || rate <= 0 || ch <= 0)
        return cw_fail(err, CW_EINVAL, s->path, 0, "no mp3 audio found in the file "
                       "(it may be damaged; export it again)");
    mpg123_format_none(s->mh);
    if (mpg123_format(s->mh, rate, ch, MPG123_ENC_FLOAT_32) != MPG123_OK)
        return cw_fail(err, CW_EUNSUPPORTED, s->path, 0, "the mp3 decoder cannot give float "
                       "samples (install the full libmpg123)");
    off_t scanned = mpg123_length(s->mh);
    s->rate = (int)rate;
    s->channels = ch;
    s->format = "MP3";
    if (promised > 0 && scanned >= 0 && promised > scanned + 1152) {
        char a[32], b[32];
        cw_fmt_duration((double)scanned / rate, a);
        cw_fmt_duration((double)promised / rate, b);
        return cw_fail(err, CW_EINVAL, s->path, 0, "the mp3 file is cut short: it stops at %s "
                       "of %s (copy it again from the recorder or phone)", a, b);
    }
    s->claimed = scanned;
    s->claimed_exact = 0; /* the scan counted what is there */
    s->mbuf_cap = 8192 * (size_t)ch;
    s->mbuf = malloc(s->mbuf_cap * sizeof(float));
    if (!s->mbuf)
        return cw_fail(err, CW_ENOMEM, s->path, 0, "out of memory");
    return 0;
}

static const char *sf_format_name(int format)
{
    switch (format & SF_FORMAT_TYPEMASK) {
    case SF_FORMAT_WAV:
    case SF_FORMAT_WAVEX:
    case SF_FORMAT_RF64:
        return "WAV";
    case SF_FORMAT_FLAC:
        return "FLAC";
    case SF_FORMAT_OGG:
        return (format & SF_FORMAT_SUBMASK) == SF_FORMAT_OPUS ? "Opus" : "Ogg Vorbis";
    case SF_FORMAT_AIFF:
        return "AIFF";
    case SF_FORMAT_W64:
        return "W64";
    case SF_FORMAT_CAF:
        return "CAF";
    default:
        return "audio";
    }
}

int cw_src_open(cw_src **out, const char *path, cw_error *err)
{
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return cw_fail(err, errno == ENOENT ? CW_ENOTFOUND : CW_EIO, path, 0,
                       "cannot open: %s", strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return cw_fail(err, CW_EINVAL, path, 0, "not a regular file (give an audio file)");
    if (sb.st_size == 0)
        return cw_fail(err, CW_EINVAL, path, 0, "the file is empty (0 bytes): it did not "
                       "copy completely; send it again");
    unsigned char head[64];
    size_t nhead = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return cw_fail(err, CW_EIO, path, 0, "cannot open: %s", strerror(errno));
    nhead = fread(head, 1, sizeof head, fp);
    fclose(fp);
    const char *unsup = sniff_unsupported(head, nhead, path);
    if (unsup)
        return refuse_format(err, path, unsup);

    cw_src *s = calloc(1, sizeof *s);
    if (!s)
        return cw_fail(err, CW_ENOMEM, path, 0, "out of memory");
    s->path = cw_strdup(path);
    s->claimed = -1;
    int rc = 0;
    SF_INFO info;
    memset(&info, 0, sizeof info);
    /* MP3 goes straight to libmpg123: libsndfile's own MP3 reader truncates VBR files and
     * lets libmpg123 print warnings on stderr */
    int mp3 = (nhead >= 3 && memcmp(head, "ID3", 3) == 0) ||
              (nhead >= 2 && head[0] == 0xff && (head[1] & 0xe0) == 0xe0 &&
               (head[1] & 0x06) != 0);
    s->sf = s->path && !mp3 ? sf_open(path, SFM_READ, &info) : NULL;
    if (!s->path) {
        rc = cw_fail(err, CW_ENOMEM, path, 0, "out of memory");
    } else if (mp3) {
        rc = open_mp3(s, err);
    } else if (!s->sf) {
        const char *why = sf_strerror(NULL);
        if (strstr(why, "not recognised") || strstr(why, "unknown format"))
            rc = cw_fail(err, CW_EUNSUPPORTED, path, 0, "not an audio file chalkwave can read "
                         "(send %s; other formats convert with: ffmpeg -i '%s' out.flac)",
                         cw_accepted_formats, cw_path_base(path));
        else
            rc = cw_fail(err, CW_EINVAL, path, 0, "cannot read the recording: %s (it may be "
                         "damaged or incomplete; send it again)", why);
    } else if ((info.format & SF_FORMAT_TYPEMASK) == SF_FORMAT_MPEG) {
        sf_close(s->sf);
        s->sf = NULL;
        rc = open_mp3(s, err);
    } else {
        s->rate = info.samplerate;
        s->channels = info.channels;
        s->format = sf_format_name(info.format);
        if (info.frames == SF_COUNT_MAX) {
            /* libsndfile 1.2.0 says this for a truncated Vorbis/Opus file */
            rc = cw_fail(err, CW_EINVAL, path, 0, "the %s file is incomplete (its end is "
                         "missing; copy it again from the recorder or phone)", s->format);
        } else {
            s->claimed = info.frames;
            s->claimed_exact = 1;
        }
    }
    if (rc == 0 && (s->rate < 8000 || s->rate > 192000))
        rc = cw_fail(err, CW_EUNSUPPORTED, path, 0, "sample rate %d Hz is outside what "
                     "chalkwave accepts (8000 to 192000 Hz; resample it first: "
                     "ffmpeg -i '%s' -ar 48000 out.flac)", s->rate, cw_path_base(path));
    if (rc == 0 && (s->channels < 1 || s->channels > 8))
        rc = cw_fail(err, CW_EUNSUPPORTED, path, 0, "%d channels is more than chalkwave "
                     "accepts (1 to 8; mix it down first: ffmpeg -i '%s' -ac 2 out.flac)",
                     s->channels, cw_path_base(path));
    if (rc) {
        cw_src_close(s);
        return rc;
    }
    *out = s;
    return 0;
}

int cw_src_rate(const cw_src *s) { return s->rate; }
int cw_src_channels(const cw_src *s) { return s->channels; }
int64_t cw_src_frames(const cw_src *s) { return s->claimed; }
const char *cw_src_format(const cw_src *s) { return s->format; }

static int read_mp3(cw_src *s, float *buf, size_t frames, size_t *got, cw_error *err)
{
    const size_t ch = (size_t)s->channels;
    size_t want = frames * ch, have = 0;
    while (have < want) {
        if (s->mbuf_pos < s->mbuf_len) {
            size_t m = s->mbuf_len - s->mbuf_pos;
            if (m > want - have)
                m = want - have;
            memcpy(buf + have, s->mbuf + s->mbuf_pos, m * sizeof(float));
            s->mbuf_pos += m;
            have += m;
            continue;
        }
        if (s->mp3_done)
            break;
        size_t done = 0;
        int r = mpg123_read(s->mh, (unsigned char *)s->mbuf, s->mbuf_cap * sizeof(float), &done);
        s->mbuf_len = done / sizeof(float);
        s->mbuf_pos = 0;
        if (r == MPG123_DONE) {
            s->mp3_done = 1;
        } else if (r == MPG123_NEW_FORMAT) {
            long rate;
            int c, enc;
            mpg123_getformat(s->mh, &rate, &c, &enc);
            if (rate != s->rate || c != s->channels)
                return cw_fail(err, CW_EUNSUPPORTED, s->path, 0, "the mp3 file changes its "
                               "sample rate or channels part way (export it again as one "
                               "recording)");
        } else if (r != MPG123_OK) {
            return cw_fail(err, CW_EINVAL, s->path, 0, "the mp3 file is damaged: %s (export "
                           "it again)", mpg123_strerror(s->mh));
        }
    }
    *got = have / ch;
    return 0;
}

int cw_src_read(cw_src *s, float *buf, size_t frames, size_t *got, cw_error *err)
{
    *got = 0;
    if (s->mh) {
        int rc = read_mp3(s, buf, frames, got, err);
        s->decoded += (int64_t)*got;
        return rc;
    }
    sf_count_t n = sf_readf_float(s->sf, buf, (sf_count_t)frames);
    if (n < 0)
        n = 0;
    if (sf_error(s->sf) != SF_ERR_NO_ERROR)
        return cw_fail(err, CW_EINVAL, s->path, 0, "the %s file is incomplete or damaged "
                       "(decoder says: %s) (copy it again from the recorder or phone)",
                       s->format, sf_strerror(s->sf));
    *got = (size_t)n;
    s->decoded += n;
    return 0;
}

int cw_src_check_end(cw_src *s, cw_error *err)
{
    char a[32], b[32];
    if (s->sf) {
        char log[4096];
        log[0] = 0;
        sf_command(s->sf, SFC_GET_LOG_INFO, log, sizeof log);
        int logbad = strstr(log, "ERROR") || strstr(log, "should be") ||
                     strstr(log, "unexpectedly");
        if (s->claimed_exact && s->decoded < s->claimed) {
            cw_fmt_duration((double)s->decoded / s->rate, a);
            cw_fmt_duration((double)s->claimed / s->rate, b);
            return cw_fail(err, CW_EINVAL, s->path, 0, "the %s file is incomplete or damaged: "
                           "it stops at %s of %s (copy it again from the recorder or phone)",
                           s->format, a, b);
        }
        if (logbad) {
            /* the first line of the log that says what went wrong */
            const char *p = strstr(log, "ERROR");
            if (!p)
                p = strstr(log, "should be");
            if (!p)
                p = strstr(log, "unexpectedly");
            const char *ls = p;
            while (ls > log && ls[-1] != '\n')
                ls--;
            const char *le = strchr(p, '\n');
            int n = le ? (int)(le - ls) : (int)strlen(ls);
            if (n > 120)
                n = 120;
            return cw_fail(err, CW_EINVAL, s->path, 0, "the %s file is incomplete or damaged: "
                           "its header does not match its contents (decoder says: %.*s) (copy "
                           "it again from the recorder or phone)", s->format, n, ls);
        }
    } else if (s->mh) {
        if (s->claimed > 0 && s->decoded + 1152 < s->claimed) {
            cw_fmt_duration((double)s->decoded / s->rate, a);
            cw_fmt_duration((double)s->claimed / s->rate, b);
            return cw_fail(err, CW_EINVAL, s->path, 0, "the mp3 file is damaged: it stops at "
                           "%s of %s (export it again)", a, b);
        }
    }
    return 0;
}

void cw_src_close(cw_src *s)
{
    if (!s)
        return;
    if (s->sf)
        sf_close(s->sf);
    if (s->mh) {
        mpg123_close(s->mh);
        mpg123_delete(s->mh);
    }
    free(s->mbuf);
    free(s->path);
    free(s);
}

/* A YYYY-MM-DD at the start of s (tags often hold "2024-05-06T10:11:12"). */
static void date_prefix(const char *s, char out[11])
{
    out[0] = 0;
    if (!s || strlen(s) < 10)
        return;
    char d[11];
    memcpy(d, s, 10);
    d[10] = 0;
    cw_date dt;
    if (cw_date_parse(d, &dt) == 0)
        cw_date_format(dt, out);
}

void cw_src_date(cw_src *s, char out[11])
{
    out[0] = 0;
    if (s->sf) {
        date_prefix(sf_get_string(s->sf, SF_STR_DATE), out);
    } else if (s->mh) {
        mpg123_id3v1 *v1 = NULL;
        mpg123_id3v2 *v2 = NULL;
        if (mpg123_id3(s->mh, &v1, &v2) == MPG123_OK && v2 && v2->year && v2->year->p)
            date_prefix(v2->year->p, out);
    }
}
