/* station_speak.c — the [speak] section of station.conf: how text is spoken (limits, pauses,
 * addresses, the lexicon file, intro and outro recordings) and, per language, the voice,
 * speed, pitch, intro and outro (`fr.voice = fr-fr`, `ha.voice = sw`, `en.speed = 140`).
 * Guarantees: every value is checked here (ranges, paths that stay in the station folder);
 * whether a voice is installed is checked when something is spoken, so a station.conf
 * stays valid on a machine without eSpeak NG's voices. */
#include "station.h"

#include <ctype.h>
#include <stdarg.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SPEAK_MAX_LANGS 200

void cw_speak_settings_defaults(cw_speak_settings *sp)
{
    memset(sp, 0, sizeof *sp);
    sp->max_chars = 20000;
    sp->paragraph_pause = 0.6;
    sp->heading_pause = 1.2;
    sp->speed = 150;
    sp->pitch = 50;
}

void cw_speak_settings_clear(cw_speak_settings *sp)
{
    free(sp->lexicon);
    free(sp->intro);
    free(sp->outro);
    for (size_t i = 0; i < sp->n_langs; i++) {
        free(sp->langs[i].language);
        free(sp->langs[i].voice);
        free(sp->langs[i].intro);
        free(sp->langs[i].outro);
    }
    free(sp->langs);
    memset(sp, 0, sizeof *sp);
}

static int why(char *out, size_t cap, const char *fmt, ...) CW_PRINTF(3, 4);
static int why(char *out, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out, cap, fmt, ap);
    va_end(ap);
    return -1;
}

static int num(const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end || !(x >= lo && x <= hi))
        return -1;
    *out = x;
    return 0;
}

/* A file inside the station folder ("" clears it). */
static int set_path(char **dst, const char *key, const char *v, char *w, size_t wn)
{
    if (*v && (!cw_path_is_safe_relative(v) || strlen(v) > 200))
        return why(w, wn, "key '%s' in [speak]: '%s' is not a file inside the station folder "
                   "(write a path such as jingles/intro.ogg or library/filler/jingles/001-intro.ogg)",
                   key, v);
    char *d = cw_strdup(v);
    if (!d)
        return why(w, wn, "out of memory");
    free(*dst);
    *dst = d;
    return 0;
}

/* "fr", "en-gb", "ha": 2-3 letters, then subtags; stored in lower case. */
static int lang_ok(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && isalpha((unsigned char)s[i]))
        i++;
    if (i < 2 || i > 3 || n > 35)
        return 0;
    while (i < n) {
        if (s[i] != '-')
            return 0;
        size_t j = ++i;
        while (i < n && isalnum((unsigned char)s[i]))
            i++;
        if (i == j || i - j > 8)
            return 0;
    }
    return 1;
}

static cw_speak_lang *lang_entry(cw_speak_settings *sp, const char *lang, size_t n, int line)
{
    for (size_t i = 0; i < sp->n_langs; i++)
        if (strlen(sp->langs[i].language) == n && !strncasecmp(sp->langs[i].language, lang, n))
            return &sp->langs[i];
    if (sp->n_langs >= SPEAK_MAX_LANGS)
        return NULL;
    cw_speak_lang *v = realloc(sp->langs, (sp->n_langs + 1) * sizeof *v);
    if (!v)
        return NULL;
    sp->langs = v;
    cw_speak_lang *e = &v[sp->n_langs];
    memset(e, 0, sizeof *e);
    e->pitch = -1;
    e->language = cw_strndup(lang, n);
    if (!e->language)
        return NULL;
    for (char *p = e->language; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    e->line = line;
    sp->n_langs++;
    return e;
}

static int voice_ok(const char *v)
{
    size_t n = strlen(v);
    if (!n || n > 80)
        return 0;
    for (const char *p = v; *p; p++)
        if (!isalnum((unsigned char)*p) && !strchr("-_/+ ()", *p))
            return 0;
    return 1;
}

int cw_speak_settings_key(cw_speak_settings *sp, const char *name, const char *value, int line,
                          char *w, size_t wn)
{
    double d;
    const char *dot = strchr(name, '.');
    if (dot) {
        const char *key = dot + 1;
        if (!lang_ok(name, (size_t)(dot - name)))
            return why(w, wn, "key '%s' in [speak]: '%.*s' is not a language code (write e.g. "
                       "fr.voice = fr-fr or ha.voice = sw)", name, (int)(dot - name), name);
        if (strcmp(key, "voice") && strcmp(key, "speed") && strcmp(key, "pitch") &&
            strcmp(key, "intro") && strcmp(key, "outro"))
            return why(w, wn, "unknown key '%s' in [speak] (per language: LANG.voice, "
                       "LANG.speed, LANG.pitch, LANG.intro, LANG.outro)", name);
        cw_speak_lang *e = lang_entry(sp, name, (size_t)(dot - name), line);
        if (!e)
            return why(w, wn, "key '%s' in [speak]: too many languages (at most %d)", name,
                       SPEAK_MAX_LANGS);
        if (!strcmp(key, "voice")) {
            if (!voice_ok(value))
                return why(w, wn, "key '%s' in [speak]: '%s' is not a voice name (see "
                           "'chalkwave speak --list-voices', e.g. fr-fr or en-gb+f3)", name, value);
            char *v = cw_strdup(value);
            if (!v)
                return why(w, wn, "out of memory");
            free(e->voice);
            e->voice = v;
            return 0;
        }
        if (!strcmp(key, "speed") || !strcmp(key, "pitch")) {
            int speed = !strcmp(key, "speed");
            if (num(value, speed ? 80 : 0, speed ? 450 : 99, &d) || d != (int)d)
                return why(w, wn, "key '%s' in [speak]: '%s' is out of range (%s)", name, value,
                           speed ? "words a minute, 80 to 450, e.g. 150" : "0 to 99; 50 is the "
                           "voice's own pitch");
            *(speed ? &e->speed : &e->pitch) = (int)d;
            return 0;
        }
        return set_path(!strcmp(key, "intro") ? &e->intro : &e->outro, name, value, w, wn);
    }
    if (!strcmp(name, "max_chars")) {
        if (num(value, 100, 200000, &d) || d != (size_t)d)
            return why(w, wn, "key 'max_chars' in [speak]: '%s' is out of range (characters, "
                       "100 to 200000, e.g. 20000)", value);
        sp->max_chars = (size_t)d;
        return 0;
    }
    if (!strcmp(name, "addresses")) {
        if (!strcasecmp(value, "read"))
            sp->drop_addresses = 0;
        else if (!strcasecmp(value, "drop"))
            sp->drop_addresses = 1;
        else
            return why(w, wn, "key 'addresses' in [speak]: '%s' is not read or drop", value);
        return 0;
    }
    if (!strcmp(name, "paragraph_pause") || !strcmp(name, "heading_pause")) {
        if (num(value, 0, 10, &d))
            return why(w, wn, "key '%s' in [speak]: '%s' is out of range (seconds, 0 to 10)",
                       name, value);
        *(!strcmp(name, "heading_pause") ? &sp->heading_pause : &sp->paragraph_pause) = d;
        return 0;
    }
    if (!strcmp(name, "speed") || !strcmp(name, "pitch")) {
        int speed = !strcmp(name, "speed");
        if (num(value, speed ? 80 : 0, speed ? 450 : 99, &d) || d != (int)d)
            return why(w, wn, "key '%s' in [speak]: '%s' is out of range (%s)", name, value,
                       speed ? "words a minute, 80 to 450, e.g. 150" : "0 to 99; 50 is the "
                       "voice's own pitch");
        *(speed ? &sp->speed : &sp->pitch) = (int)d;
        return 0;
    }
    if (!strcmp(name, "lexicon"))
        return set_path(&sp->lexicon, name, value, w, wn);
    if (!strcmp(name, "intro"))
        return set_path(&sp->intro, name, value, w, wn);
    if (!strcmp(name, "outro"))
        return set_path(&sp->outro, name, value, w, wn);
    return why(w, wn, "unknown key '%s' in [speak] (known keys: max_chars, addresses, "
               "paragraph_pause, heading_pause, speed, pitch, lexicon, intro, outro, and "
               "LANG.voice, LANG.speed, LANG.pitch, LANG.intro, LANG.outro)", name);
}

/* The entry whose language is the longest prefix of `language` ("fr-ca" uses fr.*). */
const cw_speak_lang *cw_speak_settings_lang(const cw_speak_settings *sp, const char *language)
{
    const cw_speak_lang *best = NULL;
    size_t best_n = 0;
    for (size_t i = 0; language && i < sp->n_langs; i++) {
        const char *l = sp->langs[i].language;
        size_t n = strlen(l);
        if (!strncasecmp(language, l, n) && (language[n] == 0 || language[n] == '-' ||
                                             language[n] == '_') && n > best_n) {
            best = &sp->langs[i];
            best_n = n;
        }
    }
    return best;
}
