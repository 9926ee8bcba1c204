/* dec_espeak.c — spoken items as a source the audio chain reads like a recording: a speech
 * script (SSML for eSpeak NG with its voice, speed, pitch and gain, and optional recordings
 * before and after it, such as a jingle) decoded part after part into one stream at the
 * script's rate and channels (libsoxr resamples, cw_mix fits the channels).
 * A script is a small file that starts with a binary signature, so it is never mistaken for
 * a text or a recording; it is only ever opened on purpose (`chalkwave speak`, spoken inbox
 * texts), never chosen by sniffing a file someone sent in.
 * Guarantees: the same script gives the same samples every time (espeak.c renders each part
 * in a fresh process); memory is bounded by the script (at most CW_SPEECH_SCRIPT_MAX bytes)
 * and fixed blocks, never by the length of the speech; a part that fails is a refusal with
 * the part's reason. */
#include "audio_int.h"

#include <ebur128.h>
#include <errno.h>
#include <math.h>
#include <soxr.h>
#include <stdlib.h>
#include <string.h>

static const char MAGIC[] = "\x89" "CWSPEECH\r\n\x1a\n"; /* 12 bytes */
#define MAGIC_LEN 12
#define B CW_AUDIO_BLOCK
#define MAX_PARTS 16

/* ---- writing ------------------------------------------------------------------------ */

int cw_speech_script_write(FILE *fp, const cw_speech_script *s, cw_error *err)
{
    if (s->rate < 8000 || s->rate > 192000 || s->channels < 1 || s->channels > 8 ||
        s->n < 1 || s->n > MAX_PARTS)
        return cw_fail(err, CW_EINVAL, "", 0, "a speech script needs 1 to %d parts, a rate of "
                       "8000 to 192000 Hz and 1 to 8 channels", MAX_PARTS);
    fwrite(MAGIC, 1, MAGIC_LEN, fp);
    fprintf(fp, "rate %d\nchannels %d\n", s->rate, s->channels);
    for (size_t i = 0; i < s->n; i++) {
        const cw_speech_part *p = &s->parts[i];
        if (!(p->gain_db >= -60 && p->gain_db <= 60))
            return cw_fail(err, CW_EINVAL, "", 0, "part %zu: gain out of range", i + 1);
        if (p->ssml) {
            const char *v = p->tts.voice ? p->tts.voice : "";
            if (!*v || strpbrk(v, " \n\r\t"))
                return cw_fail(err, CW_EINVAL, "", 0, "part %zu: no voice", i + 1);
            fprintf(fp, "speak %s %d %d %.4f %zu\n", v, p->tts.speed, p->tts.pitch, p->gain_db,
                    p->ssml_len);
            fwrite(p->ssml, 1, p->ssml_len, fp);
            fputc('\n', fp);
        } else {
            if (!p->path || !*p->path || strchr(p->path, '\n'))
                return cw_fail(err, CW_EINVAL, "", 0, "part %zu: no recording", i + 1);
            fprintf(fp, "audio %.4f %s\n", p->gain_db, p->path);
        }
    }
    fputs("end\n", fp);
    if (ferror(fp))
        return cw_fail(err, CW_EIO, "", 0, "cannot write the speech script: %s",
                       strerror(errno));
    return 0;
}

/* ---- reading ------------------------------------------------------------------------ */

typedef struct part {
    char *ssml;
    size_t ssml_len;
    char voice[128];
    cw_tts_params tts;
    char *path;
    double gain;
} part;

typedef struct script {
    int rate, channels;
    part parts[MAX_PARTS];
    size_t n;
} script;

static void script_clear(script *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->parts[i].ssml);
        free(s->parts[i].path);
    }
    memset(s, 0, sizeof *s);
}

static int bad_script(cw_error *err, const char *name, const char *what)
{
    return cw_fail(err, CW_EINVAL, name, 0, "this speech script is damaged (%s); speak the "
                   "text again", what);
}

/* One "\n"-ended line at *pos (at most 4 kB). */
static const char *next_line(const char *b, size_t n, size_t *pos, size_t *len)
{
    if (*pos >= n)
        return NULL;
    const char *nl = memchr(b + *pos, '\n', n - *pos);
    if (!nl || (size_t)(nl - (b + *pos)) > 4096)
        return NULL;
    const char *l = b + *pos;
    *len = (size_t)(nl - l);
    *pos = (size_t)(nl - b) + 1;
    return l;
}

static int parse(const char *b, size_t n, const char *name, script *s, cw_error *err)
{
    memset(s, 0, sizeof *s);
    if (n < MAGIC_LEN || memcmp(b, MAGIC, MAGIC_LEN))
        return bad_script(err, name, "no signature");
    if (n > CW_SPEECH_SCRIPT_MAX)
        return bad_script(err, name, "too large");
    size_t pos = MAGIC_LEN, len;
    const char *l;
    char line[4200];
    int ended = 0;
    while (!ended && (l = next_line(b, n, &pos, &len))) {
        memcpy(line, l, len);
        line[len] = 0;
        int a, c, used = -1;
        double g;
        size_t bytes;
        char v[128];
        if (sscanf(line, "rate %d%n", &a, &used) == 1 && used == (int)len) {
            if (a < 8000 || a > 192000)
                break;
            s->rate = a;
        } else if (sscanf(line, "channels %d%n", &a, &used) == 1 && used == (int)len) {
            if (a < 1 || a > 8)
                break;
            s->channels = a;
        } else if (!strcmp(line, "end")) {
            ended = 1;
        } else if (s->n >= MAX_PARTS) {
            break;
        } else if (sscanf(line, "speak %127s %d %d %lf %zu%n", v, &a, &c, &g, &bytes, &used) == 5 &&
                   used == (int)len) {
            if (bytes > n - pos || pos + bytes >= n || b[pos + bytes] != '\n' || !(g >= -60 && g <= 60) ||
                memchr(b + pos, 0, bytes))
                break;
            part *p = &s->parts[s->n++];
            p->ssml = malloc(bytes + 1);
            if (!p->ssml) {
                script_clear(s);
                return cw_fail(err, CW_ENOMEM, name, 0, "out of memory");
            }
            memcpy(p->ssml, b + pos, bytes);
            p->ssml[bytes] = 0;
            p->ssml_len = bytes;
            snprintf(p->voice, sizeof p->voice, "%s", v);
            p->tts = (cw_tts_params){.voice = p->voice, .speed = a, .pitch = c};
            p->gain = g;
            pos += bytes + 1;
        } else if (!strncmp(line, "audio ", 6) && sscanf(line + 6, "%lf %n", &g, &used) == 1 &&
                   used > 0 && line[6 + used] && g >= -60 && g <= 60) {
            part *p = &s->parts[s->n++];
            p->path = cw_strdup(line + 6 + used);
            p->gain = g;
            if (!p->path) {
                script_clear(s);
                return cw_fail(err, CW_ENOMEM, name, 0, "out of memory");
            }
        } else {
            break;
        }
    }
    if (!ended || pos != n || !s->rate || !s->channels || !s->n) {
        script_clear(s);
        return bad_script(err, name, "unreadable line");
    }
    return 0;
}

int cw_speech_script_check(const char *b, size_t n, size_t *parts, cw_error *err)
{
    script s;
    int rc = parse(b, n, "script", &s, err);
    if (!rc && parts)
        *parts = s.n;
    script_clear(&s);
    return rc;
}

/* ---- the source --------------------------------------------------------------------- */

struct cw_speech {
    char *name;
    script sc;
    size_t cur;        /* the part being read */
    int opened;        /* the current part's source is open */
    cw_tts *tts;
    cw_audio_src *src;
    int in_rate, in_ch;
    soxr_t sx;
    int flushed;       /* the resampler was drained */
    int part_done;     /* the inner source reached its end */
    float *in, *mix, *out;
    size_t out_len, out_pos; /* frames waiting in out */
    int64_t frames;
};

static void part_close(cw_speech *s)
{
    cw_tts_close(s->tts);
    s->tts = NULL;
    cw_audio_src_close(s->src);
    s->src = NULL;
    if (s->sx)
        soxr_delete(s->sx);
    s->sx = NULL;
    s->opened = 0;
}

void cw_speech_close(cw_speech *s)
{
    if (!s)
        return;
    part_close(s);
    script_clear(&s->sc);
    free(s->in);
    free(s->mix);
    free(s->out);
    free(s->name);
    free(s);
}

static int part_open(cw_speech *s, cw_error *err)
{
    part *p = &s->sc.parts[s->cur];
    int rc;
    if (p->ssml) {
        rc = cw_tts_open(&s->tts, p->ssml, p->ssml_len, &p->tts, err);
        if (rc)
            return rc;
        s->in_rate = cw_tts_rate(s->tts);
        s->in_ch = 1;
    } else {
        rc = cw_audio_src_open(&s->src, p->path, err);
        if (rc)
            return rc;
        s->in_rate = cw_audio_src_rate(s->src);
        s->in_ch = cw_audio_src_channels(s->src);
    }
    if (s->in_rate != s->sc.rate) {
        soxr_error_t se = NULL;
        soxr_quality_spec_t q = soxr_quality_spec(SOXR_HQ, 0);
        s->sx = soxr_create(s->in_rate, s->sc.rate, (unsigned)s->sc.channels, &se, NULL, &q,
                            NULL);
        if (!s->sx || se)
            return cw_fail(err, CW_EINTERNAL, s->name, 0, "cannot resample %d -> %d Hz",
                           s->in_rate, s->sc.rate);
    }
    s->opened = 1;
    s->part_done = 0;
    s->flushed = 0;
    return 0;
}

int cw_speech_open(cw_speech **out, const char *path, cw_error *err)
{
    *out = NULL;
    char *text = NULL;
    size_t len = 0;
    int rc = cw_read_file(path, CW_SPEECH_SCRIPT_MAX, &text, &len, err);
    if (rc)
        return rc;
    cw_speech *s = calloc(1, sizeof *s);
    if (!s) {
        free(text);
        return cw_fail(err, CW_ENOMEM, path, 0, "out of memory");
    }
    s->name = cw_strdup(path);
    rc = parse(text, len, path, &s->sc, err);
    free(text);
    if (rc) {
        cw_speech_close(s);
        return rc;
    }
    const size_t oc = (size_t)s->sc.channels;
    s->in = malloc(B * 8 * sizeof(float));
    s->mix = malloc(B * oc * sizeof(float));
    /* room for a block resampled up to 192 kHz from 8 kHz, plus the resampler's tail */
    s->out = malloc((B * 24 + 4096) * oc * sizeof(float));
    if (!s->name || !s->in || !s->mix || !s->out) {
        cw_speech_close(s);
        return cw_fail(err, CW_ENOMEM, path, 0, "out of memory");
    }
    *out = s;
    return 0;
}

int cw_speech_rate(const cw_speech *s)
{
    return s->sc.rate;
}

int cw_speech_channels(const cw_speech *s)
{
    return s->sc.channels;
}

/* Fill s->out with the next frames of the current part (0 frames: the part has ended). */
static int refill(cw_speech *s, cw_error *err)
{
    part *p = &s->sc.parts[s->cur];
    const size_t oc = (size_t)s->sc.channels;
    const size_t cap = B * 24 + 4096;
    s->out_len = s->out_pos = 0;
    while (s->out_len == 0) {
        size_t got = 0;
        if (!s->part_done) {
            int rc = s->tts ? cw_tts_read(s->tts, s->in, B, &got, err)
                            : cw_audio_src_read(s->src, s->in, B, &got, err);
            if (rc)
                return rc;
            if (got == 0) {
                s->part_done = 1;
                if (s->src && (rc = cw_audio_src_check_end(s->src, NULL, err)))
                    return rc;
            }
        }
        if (got)
            cw_audio_mix(s->in, s->in_ch, s->mix, s->sc.channels, got);
        if (!s->sx) {
            if (!got)
                return 0;
            memcpy(s->out, s->mix, got * oc * sizeof(float));
            s->out_len = got;
        } else {
            if (!got && s->flushed)
                return 0;
            size_t done = 0;
            soxr_error_t se = got ? soxr_process(s->sx, s->mix, got, NULL, s->out, cap, &done)
                                  : soxr_process(s->sx, NULL, 0, NULL, s->out, cap, &done);
            if (se)
                return cw_fail(err, CW_EINTERNAL, s->name, 0, "resampling failed: %s", se);
            if (!got && done < cap)
                s->flushed = 1;
            s->out_len = done;
        }
    }
    if (p->gain != 0) {
        const float g = (float)pow(10.0, p->gain / 20.0);
        for (size_t i = 0; i < s->out_len * oc; i++)
            s->out[i] *= g;
    }
    return 0;
}

int cw_speech_read(cw_speech *s, float *buf, size_t frames, size_t *got, cw_error *err)
{
    *got = 0;
    const size_t oc = (size_t)s->sc.channels;
    while (*got < frames && s->cur < s->sc.n) {
        if (!s->opened) {
            int rc = part_open(s, err);
            if (rc)
                return rc;
        }
        if (s->out_pos == s->out_len) {
            int rc = refill(s, err);
            if (rc)
                return rc;
            if (s->out_len == 0) {
                part_close(s);
                s->cur++;
                continue;
            }
        }
        size_t m = s->out_len - s->out_pos;
        if (m > frames - *got)
            m = frames - *got;
        memcpy(buf + *got * oc, s->out + s->out_pos * oc, m * oc * sizeof(float));
        s->out_pos += m;
        *got += m;
    }
    s->frames += (int64_t)*got;
    return 0;
}

/* ---- measuring ---------------------------------------------------------------------- */

int cw_speech_loudness(const char *path, double *lufs, int64_t *frames, cw_error *err)
{
    cw_speech *s;
    int rc = cw_speech_open(&s, path, err);
    if (rc)
        return rc;
    const int ch = s->sc.channels;
    ebur128_state *eb = ebur128_init((unsigned)ch, (unsigned long)s->sc.rate,
                                     EBUR128_MODE_I | EBUR128_MODE_HISTOGRAM);
    float *buf = malloc(B * (size_t)ch * sizeof(float));
    if (!eb || !buf) {
        rc = cw_fail(err, CW_ENOMEM, path, 0, "out of memory");
        goto done;
    }
    if (ch == 1)
        ebur128_set_channel(eb, 0, EBUR128_DUAL_MONO); /* as ingest measures */
    for (;;) {
        size_t got = 0;
        rc = cw_speech_read(s, buf, B, &got, err);
        if (rc || got == 0)
            break;
        ebur128_add_frames_float(eb, buf, got);
    }
    if (!rc) {
        double l = -HUGE_VAL;
        ebur128_loudness_global(eb, &l);
        *lufs = l;
        if (frames)
            *frames = s->frames;
    }
done:
    if (eb)
        ebur128_destroy(&eb);
    free(buf);
    cw_speech_close(s);
    return rc;
}

/* ---- rendering once ------------------------------------------------------------------- */

#include <sndfile.h>

int cw_speech_render_wav(const char *script_path, FILE *fp, const char *date, int64_t *frames,
                         cw_error *err)
{
    cw_speech *s;
    int rc = cw_speech_open(&s, script_path, err);
    if (rc)
        return rc;
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = s->sc.rate;
    info.channels = s->sc.channels;
    info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    SNDFILE *sf = sf_open_fd(fileno(fp), SFM_WRITE, &info, 0);
    float *buf = malloc(B * (size_t)s->sc.channels * sizeof(float));
    if (!sf || !buf) {
        rc = cw_fail(err, sf ? CW_ENOMEM : CW_EIO, script_path, 0, "cannot write the speech: %s",
                     sf ? "out of memory" : sf_strerror(NULL));
        goto done;
    }
    /* no PEAK chunk: it holds the time of writing, and the same speech must give the same
     * bytes */
    sf_command(sf, SFC_SET_ADD_PEAK_CHUNK, NULL, SF_FALSE);
    if (date && *date)
        sf_set_string(sf, SF_STR_DATE, date);
    int64_t n = 0;
    for (;;) {
        size_t got = 0;
        rc = cw_speech_read(s, buf, B, &got, err);
        if (rc || got == 0)
            break;
        if (sf_writef_float(sf, buf, (sf_count_t)got) != (sf_count_t)got) {
            rc = cw_fail(err, CW_EIO, script_path, 0, "cannot write the speech: %s",
                         sf_strerror(sf));
            break;
        }
        n += (int64_t)got;
    }
    if (frames)
        *frames = n;
done:
    if (sf && sf_close(sf) && !rc)
        rc = cw_fail(err, CW_EIO, script_path, 0, "cannot write the speech");
    free(buf);
    cw_speech_close(s);
    return rc;
}
