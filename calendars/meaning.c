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

/* ---- HTML in descriptions ---------------------------------------------------------- */

static void put_utf8(cw_buf *b, unsigned cp)
{
    unsigned char u[4];
    size_t n;
    if (cp == 0xA0)
        cp = ' '; /* a no-break space separates words like a space */
    if (cp < 0x80) {
        u[0] = (unsigned char)cp, n = 1;
    } else if (cp < 0x800) {
        u[0] = (unsigned char)(0xC0 | (cp >> 6)), u[1] = (unsigned char)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        u[0] = (unsigned char)(0xE0 | (cp >> 12)), u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        u[0] = (unsigned char)(0xF0 | (cp >> 18)), u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F)), u[3] = (unsigned char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    cw_buf_append(b, u, n);
}

/* An HTML entity at s (after '&'): its code point and length up to and including ';', or 0. */
static size_t entity(const char *s, unsigned *cp)
{
    static const struct {
        const char *name;
        unsigned cp;
    } names[] = {{"amp", '&'}, {"lt", '<'}, {"gt", '>'}, {"quot", '"'}, {"apos", '\''},
                 {"nbsp", 0xA0}, {"ndash", 0x2013}, {"mdash", 0x2014}, {"rsquo", 0x2019},
                 {"lsquo", 0x2018}, {"ldquo", 0x201C}, {"rdquo", 0x201D}, {"hellip", 0x2026}};
    const char *semi = strchr(s, ';');
    if (!semi || semi - s > 10 || semi == s)
        return 0;
    size_t n = (size_t)(semi - s);
    if (s[0] == '#') {
        char *end;
        unsigned long v = s[1] == 'x' || s[1] == 'X' ? strtoul(s + 2, &end, 16) : strtoul(s + 1, &end, 10);
        if (end != semi || v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
            return 0;
        *cp = (unsigned)v;
        return n + 1;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].name) == n && strncmp(s, names[i].name, n) == 0) {
            *cp = names[i].cp;
            return n + 1;
        }
    return 0;
}

/* A tag at s ('<' then a letter, '/' or '!') up to its '>': its length, and whether it breaks
 * a line (br, p, div, li, tr, headings, lists, tables), or 0 when s is no tag. */
static size_t tag(const char *s, int *breaks)
{
    if (!(isalpha((unsigned char)s[1]) || s[1] == '/' || s[1] == '!'))
        return 0;
    const char *end = strstr(s, s[1] == '!' && s[2] == '-' ? "-->" : ">");
    if (!end)
        return 0;
    const char *name = s + 1 + (s[1] == '/');
    size_t nl = 0;
    while (isalnum((unsigned char)name[nl]))
        nl++;
    static const char *const block[] = {"br", "p", "div", "li", "tr", "ul", "ol", "table",
                                        "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"};
    *breaks = 0;
    for (size_t i = 0; i < sizeof block / sizeof block[0]; i++)
        if (strlen(block[i]) == nl && strncasecmp(name, block[i], nl) == 0)
            *breaks = 1;
    return (size_t)(end - s) + (s[1] == '!' && s[2] == '-' ? 3 : 1);
}

char *cal_html_to_text(const char *s)
{
    cw_buf b;
    cw_buf_init(&b);
    for (size_t i = 0; s[i];) {
        int breaks;
        unsigned cp;
        size_t n;
        if (s[i] == '<' && (n = tag(s + i, &breaks)) != 0) {
            if (breaks)
                cw_buf_puts(&b, "\n");
            i += n;
        } else if (s[i] == '&' && (n = entity(s + i + 1, &cp)) != 0) {
            put_utf8(&b, cp);
            i += n + 1;
        } else if ((unsigned char)s[i] == 0xC2 && (unsigned char)s[i + 1] == 0xA0) {
            cw_buf_puts(&b, " ");
            i += 2;
        } else {
            cw_buf_append(&b, s + i, 1);
            i++;
        }
    }
    cw_buf_append(&b, "", 0);
    if (b.oom) {
        cw_buf_free(&b);
        return NULL;
    }
    return b.data;
}

/* ---- meaning ----------------------------------------------------------------------- */

/* A series key as the station compares it: trimmed, lower-case (ASCII; other bytes as
 * written), inner runs of blanks as one space. Takes `v`. */
static char *series_key(char *v)
{
    if (!v)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; v[i]; i++) {
        unsigned char ch = (unsigned char)v[i];
        if (ch == '\t')
            ch = ' ';
        if (ch == ' ' && (n == 0 || v[n - 1] == ' '))
            continue;
        v[n++] = (char)tolower(ch);
    }
    while (n > 0 && v[n - 1] == ' ')
        n--;
    v[n] = 0;
    return v;
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
        set_str(&k->series, series_key(val));
        return NULL;
    } else if (strcasecmp(key, "episode") == 0) {
        int ep = parse_episode(val);
        if (ep)
            k->episode = ep;
        else if (from_x)
            cal_diag(c, CW_DIAG_WARNING, "cal.bad-episode", line,
                 "X-CHALKWAVE-EPISODE '%s' is not a positive number (it was ignored)", val);
        else
            cal_diag(c, CW_DIAG_WARNING, "cal.bad-episode", line,
                 "'Episode: %s' in DESCRIPTION is not a positive number (it "
                 "was ignored; write e.g. 'Episode: 3')", val);
    } else if (strcasecmp(key, "kind") == 0) {
        cw_kind kw = kind_word(val);
        if (kw != CW_KIND_NONE)
            k->kind = kw;
        else if (from_x)
            cal_diag(c, CW_DIAG_WARNING, "cal.bad-kind", line,
                 "X-CHALKWAVE-KIND '%s' is not lesson, newsletter, filler or blackout (it "
                 "was ignored)", val);
        else
            cal_diag(c, CW_DIAG_WARNING, "cal.bad-kind", line,
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

/* Is s[0..n) "Text" (blanks around it allowed, any case)? */
static int is_text_label(const char *s, size_t n)
{
    while (n && isspace((unsigned char)*s)) {
        s++;
        n--;
    }
    while (n && isspace((unsigned char)s[n - 1]))
        n--;
    return n == 4 && !strncasecmp(s, "text", 4);
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
                set_str(&k->series, series_key(trimdup(w + 7, strlen(w + 7))));
            free(w);
        }
        free(dup);
    }
    /* DESCRIPTION lines "Label: value", read from its text without HTML (Google's and
     * Outlook's editors write <div>, <br>, &nbsp;) */
    char *plain = k->description && *k->description ? cal_html_to_text(k->description) : NULL;
    if (k->description && *k->description && !plain)
        c->oom = 1;
    if (plain) {
        const char *s = plain;
        while (*s) {
            const char *e = strchr(s, '\n');
            size_t n = e ? (size_t)(e - s) : strlen(s);
            const char *colon = memchr(s, ':', n);
            if (colon && is_text_label(s, (size_t)(colon - s))) {
                /* "Text:" and everything after it is the text to speak (its paragraphs
                 * may hold lines that look like labels) */
                set_str(&k->text, trimdup(colon + 1, strlen(colon + 1)));
                break;
            }
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
        free(plain);
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
void cal_finish_meaning(cal_comp *k, int holidays)
{
    k->kind_stated = k->kind != CW_KIND_NONE;
    if (holidays && k->dtstart.kind == CT_DATE)
        k->kind = CW_KIND_BLACKOUT; /* a public-holidays calendar (import --holidays) */
    if (k->kind == CW_KIND_NONE)
        k->kind = CW_KIND_LESSON;
    if (k->repeat < 0)
        k->repeat = 0;
    const char **fields[] = {(const char **)&k->summary, (const char **)&k->description,
                             (const char **)&k->categories, (const char **)&k->location,
                             (const char **)&k->attach, (const char **)&k->series,
                             (const char **)&k->teacher, (const char **)&k->language,
                             (const char **)&k->text};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (!*fields[i])
            *fields[i] = cw_strdup("");
}
