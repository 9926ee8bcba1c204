/* src.c — a teacher's file opened for reading: the decoder registry (one row per backend
 * file dec_*.c), the checks every file gets before a decoder sees it (missing, folder,
 * pipe, empty, a document or picture instead of a recording), and the one interface the
 * audio chain reads (cw_audio_src).
 * Guarantees: the file is opened once, never blocking (a FIFO is refused, not read); a
 * decoder is chosen by the file's bytes, never by its name; every refusal is one sentence
 * naming what the file is and, for a format no decoder reads, the formats that are read;
 * the accepted-formats text is built from the registry. */
#include "audio_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* The registry: every backend, tried in the order of their sniff scores (ties: table
 * order). Adding a backend is one file (dec_NAME.c defining cw_audio_dec_NAME) and its two
 * lines here. */
extern const cw_audio_decoder cw_audio_dec_sndfile, cw_audio_dec_mpg123, cw_audio_dec_ffmpeg;
static const cw_audio_decoder *const decoders[] = {
    &cw_audio_dec_sndfile,
    &cw_audio_dec_mpg123,
    &cw_audio_dec_ffmpeg,
};
#define NDEC (sizeof decoders / sizeof decoders[0])

struct cw_audio_src {
    const cw_audio_decoder *dec;
    void *st;
    char *name;
    cw_audio_src_info info;
    int64_t decoded;
};

void cw_audio_fmt_duration(double seconds, char out[32])
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

/* ---- the accepted formats ------------------------------------------------------------ */

static char formats_text[512];
static pthread_once_t formats_once = PTHREAD_ONCE_INIT;

/* "A, B" + "C, D" -> "A, B, C or D": each backend's list joined, the last comma an "or". */
static void build_formats(void)
{
    cw_buf b;
    cw_buf_init(&b);
    for (size_t i = 0; i < NDEC; i++) {
        if (!decoders[i]->formats || !decoders[i]->formats[0])
            continue;
        if (b.len)
            cw_buf_puts(&b, ", ");
        cw_buf_puts(&b, decoders[i]->formats);
    }
    const char *s = b.data ? b.data : "";
    const char *last = strrchr(s, ',');
    if (last)
        snprintf(formats_text, sizeof formats_text, "%.*s or%s", (int)(last - s), s, last + 1);
    else
        snprintf(formats_text, sizeof formats_text, "%s", s);
    cw_buf_free(&b);
}

const char *cw_audio_formats(void)
{
    pthread_once(&formats_once, build_formats);
    return formats_text;
}

/* ---- what a file is, when it is no recording ------------------------------------------ */

static int starts(const unsigned char *b, size_t n, const char *sig)
{
    size_t k = strlen(sig);
    return n >= k && memcmp(b, sig, k) == 0;
}

/* Text: printable ASCII or UTF-8 and white space only (NUL-free). */
static int looks_like_text(const unsigned char *b, size_t n)
{
    if (n < 8)
        return 0;
    size_t i = 0;
    if (n >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF)
        i = 3;
    while (i < n) {
        unsigned char c = b[i];
        if (c >= 0x80) {
            size_t k = cw_utf8_seq_len(b + i, n - i);
            if (k == 0)
                return n - i < 4; /* a character cut at the end of the sample is fine */
            i += k;
            continue;
        }
        if (c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f')
            return 0;
        i++;
    }
    return 1;
}

/* A short description of a file that is certainly not a recording, or NULL. */
static const char *not_audio(const unsigned char *b, size_t n)
{
    static const struct {
        const char *sig, *what;
    } sigs[] = {
        {"%PDF", "a PDF document"},
        {"PK\x03\x04", "a ZIP archive or an office document"},
        {"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", "an office document (Word, Excel or PowerPoint)"},
        {"\x89PNG", "a PNG picture"},
        {"\xFF\xD8\xFF", "a JPEG picture (a photo)"},
        {"GIF8", "a GIF picture"},
        {"{\\rtf", "an RTF document"},
        {"MThd", "a MIDI file (notes for a keyboard, not recorded sound)"},
        {"\x7F" "ELF", "a program"},
        {"MZ", "a Windows program"},
        {"#EXTM3U", "a playlist (it lists recordings but holds none; send the recording itself)"},
        {"BEGIN:VCALENDAR", "a calendar"},
        {"7z\xBC\xAF", "a 7-Zip archive"},
        {"Rar!", "a RAR archive"},
        {"\x1F\x8B", "a gzip archive"},
    };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (starts(b, n, sigs[i].sig))
            return sigs[i].what;
    if (n >= 12 && starts(b, n, "RIFF") && memcmp(b + 8, "WEBP", 4) == 0)
        return "a WebP picture";
    if (n >= 12 && memcmp(b + 4, "ftyp", 4) == 0 &&
        (memcmp(b + 8, "heic", 4) == 0 || memcmp(b + 8, "heix", 4) == 0 ||
         memcmp(b + 8, "mif1", 4) == 0 || memcmp(b + 8, "avif", 4) == 0))
        return "a HEIC/AVIF picture (a photo)";
    size_t i = 0;
    while (i < n && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n'))
        i++;
    if (n - i >= 5 && (strncasecmp((const char *)b + i, "<!doc", 5) == 0 ||
                       strncasecmp((const char *)b + i, "<html", 5) == 0))
        return "a web page (HTML)";
    if (looks_like_text(b, n))
        return "a text file";
    return NULL;
}

/* ---- opening --------------------------------------------------------------------------- */

/* Why a path cannot be read as a file at all. */
static int refuse_kind(cw_error *err, const char *name, const struct stat *sb)
{
    if (S_ISDIR(sb->st_mode))
        return cw_fail(err, CW_EINVAL, name, 0, "this is a folder, not a recording (give the "
                       "recording file itself)");
    if (S_ISFIFO(sb->st_mode))
        return cw_fail(err, CW_EINVAL, name, 0, "this is a named pipe, not a recording file "
                       "(save the recording to a file first and give that file)");
    if (S_ISCHR(sb->st_mode) || S_ISBLK(sb->st_mode))
        return cw_fail(err, CW_EINVAL, name, 0, "this is a device, not a recording file (give "
                       "a recording file)");
    return cw_fail(err, CW_EINVAL, name, 0, "this is not a regular file (give a recording "
                   "file)");
}

static int src_open_fd(cw_audio_src **out, int fd, const char *name, const char *only,
                       cw_error *err)
{
    struct stat sb;
    if (fstat(fd, &sb) != 0)
        return cw_fail(err, CW_EIO, name, 0, "cannot read: %s", strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return refuse_kind(err, name, &sb);
    if (sb.st_size == 0)
        return cw_fail(err, CW_EINVAL, name, 0, "the file is empty (0 bytes): it did not copy "
                       "completely; send it again");
    unsigned char head[CW_AUDIO_SNIFF_BYTES];
    ssize_t got;
    while ((got = pread(fd, head, sizeof head, 0)) < 0 && errno == EINTR) {
    }
    if (got < 0)
        return cw_fail(err, CW_EIO, name, 0, "cannot read: %s", strerror(errno));
    size_t n = (size_t)got;
    const char *what = not_audio(head, n);
    if (what)
        return cw_fail(err, CW_EUNSUPPORTED, name, 0, "this is %s, not a recording (send the "
                       "recording: %s)", what, cw_audio_formats());

    /* the decoders that want the file, best first */
    int score[NDEC];
    size_t order[NDEC], nord = 0;
    for (size_t i = 0; i < NDEC; i++) {
        score[i] = only ? !strcmp(decoders[i]->name, only)
                        : decoders[i]->sniff(head, n, (int64_t)sb.st_size, fd);
        if (score[i] <= 0)
            continue;
        size_t k = nord++;
        while (k > 0 && score[order[k - 1]] < score[i]) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = i;
    }
    /* the decoders keep a pointer to the name: it lives as long as the source */
    char *nm = cw_strdup(name);
    if (!nm)
        return cw_fail(err, CW_ENOMEM, name, 0, "out of memory");
    cw_error first; /* the first decoder that knew what the file is, and said so */
    first.text[0] = 0;
    for (size_t k = 0; k < nord; k++) {
        const cw_audio_decoder *d = decoders[order[k]];
        int dfd = dup(fd);
        if (dfd < 0) {
            free(nm);
            return cw_fail(err, CW_EIO, name, 0, "cannot read: %s", strerror(errno));
        }
        (void)fcntl(dfd, F_SETFD, FD_CLOEXEC);
        cw_audio_src_info info;
        memset(&info, 0, sizeof info);
        info.frames = -1;
        void *st = NULL;
        cw_error e;
        e.text[0] = 0;
        int rc = d->open(&st, dfd, nm, &info, &e);
        if (rc == CW_EUNSUPPORTED) {
            if (e.text[0] && !first.text[0])
                first = e;
            continue;
        }
        if (rc) {
            free(nm);
            if (err)
                *err = e;
            return rc;
        }
        cw_audio_src *s = calloc(1, sizeof *s);
        if (!s) {
            free(nm);
            d->close(st);
            return cw_fail(err, CW_ENOMEM, name, 0, "out of memory");
        }
        s->dec = d;
        s->st = st;
        s->name = nm;
        s->info = info;
        rc = 0;
        if (info.rate < 8000 || info.rate > 192000)
            rc = cw_fail(err, CW_EUNSUPPORTED, name, 0, "sample rate %d Hz is outside what "
                         "chalkwave accepts (8000 to 192000 Hz; export it again at 44100 or "
                         "48000 Hz)", info.rate);
        else if (info.channels < 1 || info.channels > 8)
            rc = cw_fail(err, CW_EUNSUPPORTED, name, 0, "%d channels is more than chalkwave "
                         "accepts (1 to 8; export it again as mono or stereo)", info.channels);
        if (rc) {
            cw_audio_src_close(s);
            return rc;
        }
        *out = s;
        return 0;
    }
    free(nm);
    if (first.text[0]) {
        if (err)
            *err = first;
        return CW_EUNSUPPORTED;
    }
    return cw_fail(err, CW_EUNSUPPORTED, name, 0, "this is not a recording chalkwave can read: "
                   "no audio format it knows (send %s)", cw_audio_formats());
}

int cw_audio_src_open(cw_audio_src **out, const char *path, cw_error *err)
{
    *out = NULL;
    /* O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused below) */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT)
            return cw_fail(err, CW_ENOTFOUND, path, 0, "cannot open: no such file (check the "
                           "name and folder)");
        return cw_fail(err, CW_EIO, path, 0, "cannot open: %s", strerror(errno));
    }
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    int rc = src_open_fd(out, fd, path, NULL, err);
    close(fd);
    return rc;
}

int cw_audio_src_open_fd(cw_audio_src **out, int fd, const char *name, cw_error *err)
{
    *out = NULL;
    return src_open_fd(out, fd, name, NULL, err);
}

int cw_audio_src_open_with(cw_audio_src **out, const char *path, const char *decoder,
                           cw_error *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return cw_fail(err, CW_EIO, path, 0, "cannot open: %s", strerror(errno));
    int rc = src_open_fd(out, fd, path, decoder, err);
    close(fd);
    return rc;
}

int cw_audio_src_rate(const cw_audio_src *s) { return s->info.rate; }
int cw_audio_src_channels(const cw_audio_src *s) { return s->info.channels; }
int64_t cw_audio_src_frames(const cw_audio_src *s) { return s->info.frames; }
const char *cw_audio_src_format(const cw_audio_src *s) { return s->info.format; }
const char *cw_audio_src_decoder(const cw_audio_src *s) { return s->dec->name; }

int cw_audio_src_read(cw_audio_src *s, float *buf, size_t frames, size_t *got, cw_error *err)
{
    *got = 0;
    int rc = s->dec->read(s->st, buf, frames, got, err);
    s->decoded += (int64_t)*got;
    return rc;
}

int cw_audio_src_check_end(cw_audio_src *s, cw_diags *notes, cw_error *err)
{
    return s->dec->check_end(s->st, s->decoded, notes, err);
}

void cw_audio_src_tags(cw_audio_src *s, cw_audio_tags *out)
{
    memset(out, 0, sizeof *out);
    if (s->dec->tags)
        s->dec->tags(s->st, out);
}

void cw_audio_src_close(cw_audio_src *s)
{
    if (!s)
        return;
    if (s->st)
        s->dec->close(s->st);
    free(s->name);
    free(s);
}

/* ---- tags ------------------------------------------------------------------------------- */

void cw_audio_tag_copy(char *dst, size_t cap, const char *value)
{
    dst[0] = 0;
    if (!value || cap < 2)
        return;
    size_t n = strlen(value);
    if (!cw_utf8_valid(value, n))
        return; /* a tag in an unknown 8-bit encoding: better none than mojibake */
    while (n > 0 && (unsigned char)*value <= ' ') {
        value++;
        n--;
    }
    while (n > 0 && (unsigned char)value[n - 1] <= ' ')
        n--;
    size_t max = cap - 1 < CW_TITLE_MAX_BYTES ? cap - 1 : CW_TITLE_MAX_BYTES;
    if (n > max) {
        n = max;
        while (n > 0 && ((unsigned char)value[n] & 0xC0) == 0x80)
            n--; /* never inside a character */
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)value[i];
        dst[i] = c < 0x20 || c == 0x7F ? ' ' : (char)c;
    }
    dst[n] = 0;
}

void cw_audio_tag_date(char out[11], const char *value)
{
    out[0] = 0;
    if (!value)
        return;
    while (*value == ' ')
        value++;
    if (strlen(value) < 10)
        return;
    char d[11];
    memcpy(d, value, 10);
    d[10] = 0;
    cw_date dt;
    if (cw_date_parse(d, &dt) == 0)
        cw_date_format(dt, out);
}
