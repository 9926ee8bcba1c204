/* meaning.c — what an event means for the station (README "Calendar meaning"): kind,
 * series, episode, repeat, teacher, language, from CATEGORIES, DESCRIPTION labels and
 * X-CHALKWAVE-* properties. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "read_int.h"

static char *trimdup(const char *s, size_t n)
{
    while (n > 0 && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        n--;
    return cw_strndup(s, n);
}

static int parse_yes(const char *v)
{
    return strcasecmp(v, "yes") == 0 || strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0 ||
           strcasecmp(v, "y") == 0;
}

static int parse_episode(const char *v)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    while (*end == ' ')
        end++;
    if (errno || *end || n < 1 || n > 1000000)
        return 0;
    return (int)n;
}

static cw_kind kind_word(const char *w)
{
    cw_kind k = cw_kind_parse(w);
    if (k == CW_KIND_LESSON || k == CW_KIND_NEWSLETTER || k == CW_KIND_FILLER ||
        k == CW_KIND_BLACKOUT)
        return k;
    if (strcasecmp(w, "holiday") == 0 || strcasecmp(w, "holidays") == 0 ||
        strcasecmp(w, "no broadcast") == 0 || strcasecmp(w, "off air") == 0)
        return CW_KIND_BLACKOUT;
    return CW_KIND_NONE;
}

static void set_str(char **dst, char *v)
{
    if (!v)
        return;
    free(*dst);
    *dst = v;
}

/* An override's text the partner left out: a copy of the master's. */
void cal_inherit_str(char **dst, const char *master)
{
    if (!*dst && master)
        *dst = cw_strdup(master);
}

/* One cal_meaning hint `key` = `val` (case-insensitive key), from a DESCRIPTION line
 * ("Episode: 3", from_x 0) or an X-CHALKWAVE-KEY property (from_x 1; only these carry
 * ATTACH). Takes `val`; returns it when it was not kept (the caller frees it), else NULL. */
static char *hint(cal_load *c, cal_comp *k, int line, const char *key, char *val, int from_x)
{
    if (strcasecmp(key, "series") == 0) {
        set_str(&k->series, val);
        return NULL;
    } else if (strcasecmp(key, "episode") == 0) {
        int ep = parse_episode(val);
        if (ep)
            k->episode = ep;
        else if (from_x)
            cal_diag(c, CW_DIAG_WARNING, line,
                 "X-CHALKWAVE-EPISODE '%s' is not a positive number (it was ignored)", val);
        else
            cal_diag(c, CW_DIAG_WARNING, line,
                 "'Episode: %s' in DESCRIPTION is not a positive number (it "
                 "was ignored; write e.g. 'Episode: 3')", val);
    } else if (strcasecmp(key, "kind") == 0) {
        cw_kind kw = kind_word(val);
        if (kw != CW_KIND_NONE)
            k->kind = kw;
        else if (from_x)
            cal_diag(c, CW_DIAG_WARNING, line,
                 "X-CHALKWAVE-KIND '%s' is not lesson, newsletter, filler or blackout (it "
                 "was ignored)", val);
        else
            cal_diag(c, CW_DIAG_WARNING, line,
                 "'Kind: %s' in DESCRIPTION is not lesson, newsletter, filler "
                 "or blackout (it was ignored)", val);
    } else if (strcasecmp(key, "repeat") == 0) {
        k->repeat = parse_yes(val);
    } else if (strcasecmp(key, "teacher") == 0) {
        set_str(&k->teacher, val);
        return NULL;
    } else if (strcasecmp(key, "language") == 0) {
        set_str(&k->language, val);
        return NULL;
    } else if (from_x && strcasecmp(key, "attach") == 0) {
        set_str(&k->attach, val);
        return NULL;
    }
    return val;
}

/* Meaning, lowest precedence first: CATEGORIES, then DESCRIPTION lines, then X-CHALKWAVE-*.
 * Fields the component does not state stay at their sentinel (kind NONE, NULL strings,
 * episode 0, repeat -1) so that overrides can inherit from their master. */
void cal_meaning(cal_load *c, icalcomponent *ev, cal_comp *k, int line)
{
    k->kind = CW_KIND_NONE;
    k->repeat = -1;
    /* CATEGORIES: kind words, "repeat", "series:KEY" */
    if (k->categories && *k->categories) {
        char *dup = cw_strdup(k->categories), *save = NULL;
        for (char *t = dup ? strtok_r(dup, ",", &save) : NULL; t;
             t = strtok_r(NULL, ",", &save)) {
            char *w = trimdup(t, strlen(t));
            if (!w)
                continue;
            cw_kind kw = kind_word(w);
            if (kw != CW_KIND_NONE)
                k->kind = kw;
            else if (strcasecmp(w, "repeat") == 0 || strcasecmp(w, "rebroadcast") == 0)
                k->repeat = 1;
            else if (strncasecmp(w, "series:", 7) == 0 && w[7])
                set_str(&k->series, trimdup(w + 7, strlen(w + 7)));
            free(w);
        }
        free(dup);
    }
    /* DESCRIPTION lines "Label: value" */
    if (k->description && *k->description) {
        const char *s = k->description;
        while (*s) {
            const char *e = strchr(s, '\n');
            size_t n = e ? (size_t)(e - s) : strlen(s);
            const char *colon = memchr(s, ':', n);
            if (colon) {
                char *label = trimdup(s, (size_t)(colon - s));
                char *val = trimdup(colon + 1, n - (size_t)(colon - s) - 1);
                if (label && val && *val)
                    val = hint(c, k, line, label, val, 0);
                free(label);
                free(val);
            }
            s += n;
            if (*s == '\n')
                s++;
        }
    }
    /* X-CHALKWAVE-* */
    for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_X_PROPERTY); p;
         p = icalcomponent_get_next_property(ev, ICAL_X_PROPERTY)) {
        const char *name = icalproperty_get_x_name(p);
        const char *v = icalproperty_get_x(p);
        if (!name || !v || strncasecmp(name, "X-CHALKWAVE-", 12) != 0)
            continue;
        const char *key = name + 12;
        char *val = trimdup(v, strlen(v));
        if (!val)
            continue;
        free(hint(c, k, line, key, val, 1));
    }
}

/* Finalise the defaults of stated cal_meaning. */
void cal_finish_meaning(cal_comp *k)
{
    if (k->kind == CW_KIND_NONE)
        k->kind = CW_KIND_LESSON;
    if (k->repeat < 0)
        k->repeat = 0;
    const char **fields[] = {(const char **)&k->summary, (const char **)&k->description,
                             (const char **)&k->categories, (const char **)&k->location,
                             (const char **)&k->attach, (const char **)&k->series,
                             (const char **)&k->teacher, (const char **)&k->language};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (!*fields[i])
            *fields[i] = cw_strdup("");
}
