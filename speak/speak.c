/* speak.c — one text into the library as a spoken item: settings and voice for its language,
 * the station lexicon, the prepared SSML, optional intro and outro recordings brought to the
 * station's loudness, a speech script (dec_espeak.c), and the same ingest as a recording
 * (trim, EBU R128, true-peak limit, Vorbis) with the text as DESCRIPTION.
 * Guarantees: the same text, settings, lexicon and voices give the same library file; a
 * refusal changes nothing in the library; temporaries live in the station folder under
 * names the next run removes if this one is killed; memory is bounded by [speak] max_chars. */
#include "speak_int.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

void cw_speak_result_free(cw_speak_result *r)
{
    if (!r)
        return;
    cw_ingest_result_free(&r->ingest);
    cw_diags_free(&r->notes);
    memset(r, 0, sizeof *r);
}

/* The lexicon of the station ([speak] lexicon, default speak.lexicon); NULL when none. */
int cw_speak_load_lexicon(const cw_station *st, cw_lexicon **out, cw_diags *notes, cw_error *err)
{
    *out = NULL;
    char *path = cw_path_join(st->dir, st->speak.lexicon ? st->speak.lexicon : "speak.lexicon");
    if (!path)
        return cw_fail(err, CW_ENOMEM, st->dir, 0, "out of memory");
    int rc = cw_lexicon_load(out, path, notes, err);
    free(path);
    return rc;
}

/* The intro or outro for a language: LANG.intro/outro, else the [speak] one; NULL: none. */
static const char *jingle(const cw_station *st, const char *language, int outro)
{
    const cw_speak_lang *sl = cw_speak_settings_lang(&st->speak, language);
    const char *v = sl ? (outro ? sl->outro : sl->intro) : NULL;
    if (!v)
        v = outro ? st->speak.outro : st->speak.intro;
    return v && *v ? v : NULL;
}

/* A private folder for one item's temporaries: STATION/.speak.tmp-PID-N (removed by the next
 * run when this one is killed: cw_cleanup_stale_tmp). */
static int workdir_make(const cw_station *st, char **out, cw_error *err)
{
    static unsigned counter;
    unsigned n = __atomic_fetch_add(&counter, 1, __ATOMIC_RELAXED);
    *out = cw_asprintf("%s/.speak.tmp-%ld-%u", st->dir, (long)getpid(), n);
    if (!*out)
        return cw_fail(err, CW_ENOMEM, st->dir, 0, "out of memory");
    if (mkdir(*out, 0700) != 0) {
        int rc = cw_fail(err, CW_EIO, st->dir, 0, "cannot write in the station folder: %s",
                         strerror(errno));
        free(*out);
        *out = NULL;
        return rc;
    }
    return 0;
}

static void workdir_remove(char *dir)
{
    if (!dir)
        return;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char *p = cw_path_join(dir, e->d_name);
        if (p)
            unlink(p);
        free(p);
    }
    if (d)
        closedir(d);
    rmdir(dir);
    free(dir);
}

/* Write a script as DIR/NAME. */
static int write_script(const char *dir, const char *name, const cw_speech_script *sc,
                        char **path, cw_error *err)
{
    *path = cw_path_join(dir, name);
    FILE *fp = *path ? fopen(*path, "wbx") : NULL;
    if (!fp)
        return cw_fail(err, *path ? CW_EIO : CW_ENOMEM, dir, 0, "cannot write in the station "
                       "folder: %s", strerror(errno));
    int rc = cw_speech_script_write(fp, sc, err);
    if (fclose(fp) != 0 && !rc)
        rc = cw_fail(err, CW_EIO, dir, 0, "cannot write in the station folder (check free "
                     "disk space)");
    return rc;
}

/* Integrated loudness of one part alone. */
static int part_loudness(const char *dir, const cw_speech_part *p, int rate, int channels,
                         double *lufs, cw_error *err)
{
    cw_speech_script sc = {.rate = rate, .channels = channels, .parts = p, .n = 1};
    char *path = NULL;
    int rc = write_script(dir, "part.cwspeech", &sc, &path, err);
    if (!rc)
        rc = cw_speech_loudness(path, lufs, NULL, err);
    if (path)
        unlink(path);
    free(path);
    return rc;
}

/* Gains that bring every part to the station's loudness, so intro, speech and outro sound
 * alike; then the ingest of the whole sets the final level and peaks. */
static int level_parts(const cw_station *st, const char *dir, cw_speech_part *parts, size_t n,
                       cw_error *err)
{
    for (size_t i = 0; i < n; i++) {
        double lufs = -HUGE_VAL;
        int rc = part_loudness(dir, &parts[i], st->rate, st->channels, &lufs, err);
        if (rc)
            return rc;
        double g = isfinite(lufs) ? st->loudness - lufs : 0;
        parts[i].gain_db = g > 40 ? 40 : g < -40 ? -40 : round(g * 100) / 100;
    }
    return 0;
}

static int check_jingle(const cw_station *st, const char *rel, char **abs, cw_error *err)
{
    *abs = cw_path_join(st->dir, rel);
    if (!*abs)
        return cw_fail(err, CW_ENOMEM, st->dir, 0, "out of memory");
    struct stat sb;
    if (stat(*abs, &sb) != 0 || !S_ISREG(sb.st_mode))
        return cw_fail(err, CW_ENOTFOUND, st->conf_path, 0, "the intro/outro '%s' in [speak] "
                       "does not exist in the station folder (put the recording there, or "
                       "clear the key)", rel);
    return 0;
}

/* Everything before the synthesis: voice, lexicon, prepared text. */
static int prepare(const cw_station *st, const char *text, size_t len, const cw_speak_opts *o,
                   cw_speak_voice *voice, cw_prepared *prep, cw_speak_result *res, cw_error *err)
{
    cw_voices vs;
    memset(prep, 0, sizeof *prep);
    int rc = cw_tts_voices(&vs, err);
    if (rc)
        return rc;
    rc = cw_speak_voice_choose(st, &vs, o->language, o->voice, voice, err);
    cw_voices_free(&vs);
    if (rc)
        return rc;
    cw_lexicon *lx = NULL;
    rc = cw_speak_load_lexicon(st, &lx, res ? &res->notes : NULL, err);
    if (rc)
        return rc;
    cw_prep_opts po = {.source = o->display_name, .first_line = o->first_line,
                       .language = o->language, .lexicon = lx,
                       .drop_addresses = st->speak.drop_addresses,
                       .paragraph_pause = st->speak.paragraph_pause,
                       .heading_pause = st->speak.heading_pause, .max_chars = st->speak.max_chars};
    rc = cw_speak_prepare(text, len, &po, prep, err);
    cw_lexicon_free(lx);
    return rc;
}

int cw_speak_preview(const cw_station *st, const char *text, size_t len, const cw_speak_opts *o,
                     int phonemes, cw_buf *out, cw_error *err)
{
    cw_speak_voice voice;
    cw_prepared prep;
    int rc = prepare(st, text, len, o, &voice, &prep, NULL, err);
    if (!rc && phonemes) {
        cw_tts_params tp = {.voice = voice.spec, .speed = voice.speed, .pitch = voice.pitch};
        rc = cw_tts_phonemes(prep.ssml.data, prep.ssml.len, &tp, out, err);
    } else if (!rc) {
        cw_buf_append(out, prep.plain.data, prep.plain.len);
    }
    cw_prepared_free(&prep);
    return rc;
}

/* Speech too short or too long for the station, said about the text (ingest would say it
 * about "the recording"). */
static int check_length(const cw_station *st, double seconds, const char *name, cw_error *err)
{
    char a[32], b[32];
    if (seconds < st->min_length)
        return cw_fail(err, CW_EINVAL, name, 0, "spoken, the text lasts only %.1f s; the station "
                       "airs nothing shorter than %g s ([audio] min_length): write a longer text",
                       seconds, st->min_length);
    if (seconds > st->max_length) {
        long s1 = (long)(seconds + 0.5), s2 = (long)(st->max_length + 0.5);
        snprintf(a, sizeof a, "%ld:%02ld:%02ld", s1 / 3600, s1 / 60 % 60, s1 % 60);
        snprintf(b, sizeof b, "%ld:%02ld:%02ld", s2 / 3600, s2 / 60 % 60, s2 % 60);
        return cw_fail(err, CW_ELIMIT, name, 0, "spoken, the text lasts %s; the station airs "
                       "nothing longer than %s ([audio] max_length): split it into several "
                       "items", a, b);
    }
    return 0;
}

/* The name the speech file gets (ingest takes the series folder from it when there is no
 * series): the text's own name without its extension, else the title. */
static char *speech_name(const cw_speak_opts *o)
{
    char stem[120];
    const char *base = o->display_name && strcmp(o->display_name, "standard input")
                           ? cw_path_base(o->display_name) : NULL;
    if (base && *base && base[0] != '.') {
        const char *dot = strrchr(base, '.');
        size_t n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
        snprintf(stem, sizeof stem, "%.*s", (int)(n < 100 ? n : 100), base);
    } else {
        cw_slugify(o->title ? o->title : "speech", stem, 60);
    }
    for (char *p = stem; *p; p++)
        if (*p == '/' || (unsigned char)*p < 0x20)
            *p = '_';
    return cw_asprintf("%s.wav", stem);
}

int cw_speak_text(const cw_station *st, const char *text, size_t len, const cw_speak_opts *o,
                  cw_speak_result *res, cw_error *err)
{
    memset(res, 0, sizeof *res);
    const char *name = o->display_name ? o->display_name : "text";
    if (!o->title || !*o->title)
        return cw_fail(err, CW_EINVAL, name, 0, "a spoken item needs a title (--title, or "
                       "Title: in the text's header or note)");
    cw_speak_voice voice;
    cw_prepared prep;
    char *dir = NULL, *script = NULL, *wav_name = NULL, *wav_path = NULL;
    FILE *wfp = NULL;
    int rc = prepare(st, text, len, o, &voice, &prep, res, err);
    if (rc) {
        cw_prepared_free(&prep);
        return rc;
    }
    res->chars = prep.chars;
    res->words = prep.words;
    res->lexicon_hits = prep.lexicon_hits;
    snprintf(res->voice, sizeof res->voice, "%s", voice.name);
    cw_cleanup_stale_tmp(st->dir);
    if ((rc = workdir_make(st, &dir, err)))
        goto done;

    /* the parts: [intro] speech [outro] */
    cw_speech_part parts[3];
    size_t n = 0;
    char *intro = NULL, *outro = NULL;
    const char *ji = jingle(st, o->language, 0), *jo = jingle(st, o->language, 1);
    if ((ji && (rc = check_jingle(st, ji, &intro, err))) ||
        (jo && (rc = check_jingle(st, jo, &outro, err))))
        goto done;
    if (intro)
        parts[n++] = (cw_speech_part){.path = intro};
    parts[n++] = (cw_speech_part){.ssml = prep.ssml.data, .ssml_len = prep.ssml.len,
                                  .tts = {.voice = voice.spec, .speed = voice.speed,
                                          .pitch = voice.pitch}};
    if (outro)
        parts[n++] = (cw_speech_part){.path = outro};
    cw_speech_script sc = {.rate = 22050, .channels = 1, .parts = parts, .n = n};
    if (n > 1) {
        /* joined at the station's format, each part at the station's loudness */
        sc.rate = st->rate;
        sc.channels = st->channels;
        if ((rc = level_parts(st, dir, parts, n, err)))
            goto done;
    }
    if ((rc = write_script(dir, "speech.cwspeech", &sc, &script, err)))
        goto done;
    /* rendered once into a WAV that ingest reads like a recording */
    wav_name = speech_name(o);
    wav_path = wav_name ? cw_path_join(dir, wav_name) : NULL;
    wfp = wav_path ? fopen(wav_path, "wbx") : NULL;
    rc = wfp ? 0 : cw_fail(err, wav_path ? CW_EIO : CW_ENOMEM, st->dir, 0, "cannot write in the "
                           "station folder: %s", strerror(errno));
    if (!rc) {
        int64_t frames = 0;
        rc = cw_speech_render_wav(script, wfp, o->date, &frames, err);
        if (fclose(wfp) != 0 && !rc)
            rc = cw_fail(err, CW_EIO, st->dir, 0, "cannot write in the station folder (check "
                         "free disk space)");
        if (rc && !err->source[0])
            snprintf(err->source, sizeof err->source, "%s", name);
        if (!rc)
            rc = check_length(st, (double)frames / sc.rate, name, err);
    }
    if (!rc) {
        cw_ingest_meta meta = {.series = o->series, .title = o->title, .teacher = o->teacher,
                               .language = o->language, .description = prep.text.data,
                               .valid_from = o->valid_from, .valid_until = o->valid_until,
                               .episode = o->episode,
                               .kind = o->kind ? o->kind : CW_KIND_NEWSLETTER, .date = o->date};
        /* the voice is part of what was broadcast: CHALKWAVE_SYNTHESISED=espeak-ng VOICE,
         * the voice as --voice and [speak] LANG.voice name it ("en-gb", "en-gb+f3") */
        cw_strlist extra = {0};
        char synth[160];
        snprintf(synth, sizeof synth, "CHALKWAVE_SYNTHESISED=espeak-ng %s", voice.name);
        cw_ingest_opts io = {.meta = meta, .replace = o->replace, .pending = o->pending,
                             .display_name = name, .extra_comments = &extra,
                             .progress = o->progress, .progress_user = o->progress_user,
                             .series_known = o->series_known,
                             .series_known_user = o->series_known_user};
        if (o->series)
            snprintf(res->series, sizeof res->series, "%s", o->series);
        cw_series_key_normalise(res->series);
        res->episode = o->episode;
        rc = cw_strlist_push(&extra, synth) ? cw_fail(err, CW_ENOMEM, name, 0, "out of memory")
                                            : cw_ingest(st, wav_path, &io, &res->ingest, err);
        cw_strlist_free(&extra);
        if (rc && !strcmp(err->source, wav_path))
            snprintf(err->source, sizeof err->source, "%s", name);
    }
done:
    free(script);
    free(wav_name);
    free(wav_path);
    workdir_remove(dir);
    free(intro);
    free(outro);
    cw_prepared_free(&prep);
    return rc;
}

/* ---- a text's own header ------------------------------------------------------------------ */

static int header_key(const char *s, size_t n, char *key, size_t cap)
{
    static const char *const keys[] = {"series", "episode", "title", "teacher", "artist",
                                       "language", "kind", "description", "date", "valid-from",
                                       "valid-until", "voice", "replace"};
    size_t i = 0, k = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    while (i < n && s[i] != ':' && k + 1 < cap) {
        char c = s[i++];
        if (c == ' ' || c == '_' || c == '\t')
            c = '-';
        else if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        else if (!(c >= 'a' && c <= 'z') && c != '-')
            return 0;
        key[k++] = c;
    }
    while (k && key[k - 1] == '-')
        k--;
    key[k] = 0;
    if (i >= n || s[i] != ':')
        return 0;
    for (size_t j = 0; j < sizeof keys / sizeof keys[0]; j++)
        if (!strcmp(key, keys[j]))
            return 1;
    return 0;
}

void cw_speak_header_clear(cw_speak_header *h)
{
    if (!h)
        return;
    cw_sidecar_clear(&h->meta);
    free(h->voice);
    memset(h, 0, sizeof *h);
}

int cw_speak_header_parse(const char *text, size_t len, cw_speak_header *out, cw_strlist *notes,
                          cw_error *err)
{
    memset(out, 0, sizeof *out);
    out->first_line = 1;
    size_t i = len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3) ? 3 : 0, start = i;
    cw_buf meta;
    cw_buf_init(&meta);
    int lines = 0, rc = 0;
    char key[40];
    /* the first block: every line a "Key: value" of a known key */
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - text) : len, le = e;
        while (le > i && (text[le - 1] == '\r' || text[le - 1] == ' ' || text[le - 1] == '\t'))
            le--;
        if (le == i)
            break; /* the blank line that ends the header */
        if (!cw_utf8_valid(text + i, le - i) || memchr(text + i, 0, le - i) ||
            !header_key(text + i, le - i, key, sizeof key)) {
            cw_buf_free(&meta);
            return 0; /* no header: all of it is the text */
        }
        if (!strcmp(key, "voice")) {
            const char *v = memchr(text + i, ':', le - i) + 1;
            while (v < text + le && (*v == ' ' || *v == '\t'))
                v++;
            free(out->voice);
            out->voice = cw_strndup(v, (size_t)(text + le - v));
            cw_buf_puts(&meta, "\n"); /* keep the note's line numbers */
        } else {
            cw_buf_append(&meta, text + i, le - i);
            cw_buf_puts(&meta, "\n");
        }
        lines++;
        i = nl ? e + 1 : len;
    }
    if (!lines || i == start) {
        cw_buf_free(&meta);
        return 0;
    }
    /* the blank lines after it */
    int line = lines + 1;
    while (i < len) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - text) : len, k = i;
        while (k < e && (text[k] == ' ' || text[k] == '\t' || text[k] == '\r'))
            k++;
        if (k != e)
            break;
        line++;
        i = nl ? e + 1 : len;
    }
    rc = meta.oom ? cw_fail(err, CW_ENOMEM, "", 0, "out of memory")
                  : cw_sidecar_parse(meta.data ? meta.data : "", meta.len, &out->meta, notes, err);
    cw_buf_free(&meta);
    if (rc) {
        cw_speak_header_clear(out);
        return rc;
    }
    out->present = 1;
    out->body = i;
    out->first_line = line;
    return 0;
}

/* Fill what the options leave open from a text's header (the options win). */
void cw_speak_opts_from_header(cw_speak_opts *o, const cw_speak_header *h)
{
    if (!h->present)
        return;
    if (!o->series)
        o->series = h->meta.series;
    if (!o->title)
        o->title = h->meta.title;
    if (!o->teacher)
        o->teacher = h->meta.teacher;
    if (!o->language)
        o->language = h->meta.language;
    if (!o->voice)
        o->voice = h->voice;
    if (!o->valid_from)
        o->valid_from = h->meta.valid_from;
    if (!o->valid_until)
        o->valid_until = h->meta.valid_until;
    if (!o->date)
        o->date = h->meta.date;
    if (!o->episode)
        o->episode = h->meta.episode;
    if (o->kind == CW_KIND_NONE)
        o->kind = h->meta.kind;
}

/* ---- a text from the inbox or a web form --------------------------------------------------- */

int cw_speak_is_text_name(const char *name)
{
    return cw_inbox_is_text_name(name); /* the inbox's rule */
}

int cw_speak_read_text(const char *path, const char *name, size_t max_chars, char **out,
                       size_t *len, cw_error *err)
{
    *out = NULL;
    *len = 0;
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
        int rc = cw_speak_check_size((uint64_t)sb.st_size, max_chars, name, err);
        if (rc)
            return rc;
    }
    int rc = cw_read_file(path, (size_t)max_chars * 5 + 8, out, len, err);
    if (rc == CW_ELIMIT)
        return cw_speak_check_size((uint64_t)max_chars * 5 + 9, max_chars, name, err);
    if (rc && !strcmp(err->source, path))
        snprintf(err->source, sizeof err->source, "%s", name);
    return rc;
}

int cw_speak_file(const cw_station *st, const char *path, const cw_speak_opts *defaults,
                  const char *note_path, cw_speak_result *res, cw_error *err)
{
    memset(res, 0, sizeof *res);
    const char *name = defaults && defaults->display_name ? defaults->display_name
                                                            : cw_path_base(path);
    char *text = NULL, *note = NULL;
    size_t len = 0, nlen = 0;
    int rc = cw_speak_read_text(path, name, st->speak.max_chars, &text, &len, err);
    if (rc)
        return rc;
    cw_speak_header hdr;
    cw_sidecar sc;
    memset(&sc, 0, sizeof sc);
    cw_strlist notes = {0};
    rc = cw_speak_header_parse(text, len, &hdr, &notes, err);
    if (rc && !err->source[0])
        snprintf(err->source, sizeof err->source, "%s", name);
    /* a note beside the text (NAME.txt for NAME.md) fills what the header leaves open */
    if (!rc && note_path) {
        rc = cw_read_file(note_path, CW_SIDECAR_MAX_BYTES, &note, &nlen, err);
        if (!rc)
            rc = cw_sidecar_parse(note, nlen, &sc, &notes, err);
        if (rc)
            snprintf(err->source, sizeof err->source, "%s", cw_path_base(note_path));
    }
    for (size_t i = 0; i < notes.n; i++)
        cw_diags_addf(&res->notes, CW_DIAG_WARNING, "speak.note", name, 0, NULL, "%s",
                      notes.v[i]);
    cw_strlist_free(&notes);
    char title[CW_TITLE_MAX_BYTES + 8];
    if (!rc) {
        /* strongest first: the header, the note, the defaults, then the file name */
        cw_speak_opts o = {.display_name = name, .first_line = hdr.first_line};
        cw_speak_opts_from_header(&o, &hdr);
        cw_speak_header nh = {.present = 1, .meta = sc};
        cw_speak_opts_from_header(&o, &nh);
        if (defaults) {
            cw_speak_opts d = *defaults;
            if (!o.series) o.series = d.series;
            if (!o.title) o.title = d.title;
            if (!o.teacher) o.teacher = d.teacher;
            if (!o.language) o.language = d.language;
            if (!o.voice) o.voice = d.voice;
            if (!o.valid_from) o.valid_from = d.valid_from;
            if (!o.valid_until) o.valid_until = d.valid_until;
            if (!o.date) o.date = d.date;
            if (!o.episode) o.episode = d.episode;
            if (o.kind == CW_KIND_NONE) o.kind = d.kind;
            o.replace = d.replace;
            o.pending = d.pending;
            o.progress = d.progress;
            o.progress_user = d.progress_user;
            o.series_known = d.series_known;
            o.series_known_user = d.series_known_user;
        }
        if (hdr.meta.replace == 1 || sc.replace == 1)
            o.replace = 1; /* "Replace: yes" in the header or the note */
        if (!o.language)
            o.language = st->language;
        if (!o.title) {
            cw_default_title(name, title, sizeof title, CW_TITLE_MAX_BYTES);
            o.title = title;
        }
        cw_speak_result r2;
        rc = cw_speak_text(st, text + hdr.body, len - hdr.body, &o, &r2, err);
        cw_diags_extend(&r2.notes, &res->notes);
        cw_diags_free(&res->notes);
        *res = r2;
    }
    cw_speak_header_clear(&hdr);
    cw_sidecar_clear(&sc);
    free(note);
    free(text);
    return rc;
}

/* ---- a partner's newsletter event with "Text:" ----------------------------------------------- */

void cw_speak_event_series(const char *uid, char out[40])
{
    char hex[65];
    cw_sha256 *h = cw_sha256_new();
    if (!h) {
        snprintf(out, 40, "event-text");
        return;
    }
    cw_sha256_update(h, uid ? uid : "", uid ? strlen(uid) : 0);
    cw_sha256_final(h, hex);
    snprintf(out, 40, "event-%.12s", hex);
}

int cw_speak_event(const cw_station *st, const cw_speak_event_in *ev, cw_speak_result *res,
                   cw_error *err)
{
    memset(res, 0, sizeof *res);
    char series[40], dbuf[11];
    if (ev->series && *ev->series)
        snprintf(series, sizeof series, "%s", ev->series);
    else
        cw_speak_event_series(ev->uid, series);
    cw_date_format(ev->date, dbuf);
    char name[300];
    snprintf(name, sizeof name, "%s (%s, %s)", ev->file ? ev->file : "calendar",
             ev->summary && *ev->summary ? ev->summary : "newsletter", dbuf);
    /* one item per day: the title carries the date (the library's file name comes from it) */
    char title[CW_TITLE_MAX_BYTES + 1];
    snprintf(title, sizeof title, "%.180s, %s", ev->summary && *ev->summary ? ev->summary
                                                                            : "Newsletter", dbuf);
    cw_speak_opts o = {.display_name = name, .language = ev->language && *ev->language
                                                            ? ev->language : st->language,
                       .kind = CW_KIND_NEWSLETTER, .series = series, .title = title,
                       .teacher = ev->teacher && *ev->teacher ? ev->teacher : NULL,
                       .valid_from = dbuf, .valid_until = dbuf, .date = dbuf};
    int rc = cw_speak_text(st, ev->text, strlen(ev->text), &o, res, err);
    if (rc == CW_EEXIST && strstr(err->text, "already in the library")) {
        /* spoken at an earlier build: the same text and settings give the same speech */
        res->already = 1;
        const char *a = strstr(err->text, " as '"), *b = a ? strchr(a + 5, '\'') : NULL;
        if (a && b)
            snprintf(res->ingest.library_path, sizeof res->ingest.library_path, "%.*s",
                     (int)(b - a - 5), a + 5);
        return 0;
    }
    return rc;
}

/* ---- a day's newsletter events ----------------------------------------------------------------- */

static int speakable_event(const cw_occurrence *o)
{
    return o->kind == CW_KIND_NEWSLETTER && o->text && o->text[0] &&
           (!o->attach || !o->attach[0]) && !o->cancelled;
}

/* Only newsletter events with a text are expanded (planning every day must not pay for the
 * rest of the calendars twice). */
static int keep_speakable(const cw_occurrence *comp, void *ctx)
{
    (void)ctx;
    return comp->kind == CW_KIND_NEWSLETTER && comp->text && comp->text[0];
}

void cw_speak_day_report_free(cw_speak_day_report *r)
{
    if (r)
        cw_strlist_free(&r->paths);
}

int cw_speak_day_events(const cw_station *st, const cw_calset *cals, const cw_library *given,
                        cw_date date, int dry_run, cw_speak_day_report *rep, cw_diags *diags,
                        cw_error *err)
{
    memset(rep, 0, sizeof *rep);
    cw_tz *tz = NULL;
    int rc = cw_tz_open(&tz, st->timezone, err);
    if (rc)
        return rc;
    cw_civil a = {.year = date.year, .month = date.month, .day = date.day};
    cw_date next = cw_date_add_days(date, 1);
    cw_civil b = {.year = next.year, .month = next.month, .day = next.day};
    int64_t from = cw_tz_to_utc(tz, &a), to = cw_tz_to_utc(tz, &b);
    cw_tz_free(tz);
    cw_occurrences occ = {0};
    cw_library *scanned = NULL;
    const cw_library *lib = given;
    rc = cw_calset_expand_where(cals, from, to, 0, keep_speakable, NULL, &occ, err);
    if (!rc && occ.n == 0) {
        cw_occurrences_free(&occ);
        return 0;
    }
    if (!rc && dry_run && !lib) {
        rc = cw_library_scan(&scanned, st->dir, err);
        lib = scanned;
    }
    char dbuf[11];
    cw_date_format(date, dbuf);
    for (size_t i = 0; !rc && i < occ.n; i++) {
        const cw_occurrence *o = &occ.v[i];
        if (!speakable_event(o) || o->start < from || o->start >= to)
            continue;
        rep->events++;
        if (dry_run) {
            /* spoken at an earlier build: an item of the event's series for the day */
            char series[40];
            if (o->series && *o->series)
                snprintf(series, sizeof series, "%s", o->series);
            else
                cw_speak_event_series(o->uid, series);
            const cw_recording *found = NULL;
            for (size_t k = 0; k < lib->n && !found; k++)
                if (lib->v[k].kind == CW_KIND_NEWSLETTER && !strcmp(lib->v[k].series, series) &&
                    !strcmp(lib->v[k].valid_from, dbuf) && !strcmp(lib->v[k].valid_until, dbuf))
                    found = &lib->v[k];
            if (found) {
                rep->already++;
                cw_strlist_push(&rep->paths, found->path);
            }
            if (found)
                cw_diags_addf(diags, CW_DIAG_INFO, "speak.event-synthesised", o->file, o->line,
                              o->uid, "newsletter '%s' is synthesised from its event's text (%s)",
                              o->summary, found->path);
            else
                cw_diags_addf(diags, CW_DIAG_INFO, "speak.event-text", o->file, o->line, o->uid,
                              "newsletter '%s' has no recording: its text (%zu characters) is "
                              "synthesised when the day is built", o->summary, strlen(o->text));
            continue;
        }
        cw_speak_event_in ev = {.file = o->file, .uid = o->uid, .summary = o->summary,
                                .series = o->series, .teacher = o->teacher,
                                .language = o->language, .text = o->text, .date = date};
        cw_speak_result res;
        cw_error e;
        memset(&e, 0, sizeof e);
        int r = cw_speak_event(st, &ev, &res, &e);
        if (r == 0) {
            if (res.already)
                rep->already++;
            else
                rep->spoken++;
            if (res.ingest.library_path[0])
                cw_strlist_push(&rep->paths, res.ingest.library_path);
        } else if (r == CW_ENOMEM || r == CW_EIO) {
            rc = cw_fail(err, r, o->file, o->line, "%s", e.text);
        } else {
            /* the partner's text cannot be spoken: the slot gets what the planner gives it */
            rep->refused++;
            cw_diags_addf(diags, CW_DIAG_WARNING, "speak.event-refused", o->file, o->line, o->uid,
                          "the text of newsletter '%s' cannot be spoken: %s", o->summary, e.text);
        }
        cw_diags_extend(diags, &res.notes);
        cw_speak_result_free(&res);
    }
    cw_occurrences_free(&occ);
    cw_library_free(scanned);
    return rc;
}
