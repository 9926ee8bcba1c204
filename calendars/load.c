/* load.c — reading partner .ics files into a cw_calset: byte-level repair and checks, a
 * structural scan with line numbers, libical parsing, validation with one diagnostic per
 * problem (`FILE:LINE: error|warning: what (what to do)`), and the station meaning of events.
 * Guarantees: whatever the bytes, the result is either a fully validated file in the set or
 * CW_EINVAL/CW_ELIMIT with diagnostics; nothing is printed; libical memory is freed. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "calendars_int.h"

/* ---- diagnostics ------------------------------------------------------------------- */

typedef struct load_ctx {
    cw_calset *set;
    const char *source; /* file name shown in diagnostics */
    cw_diags *diags;
    size_t errors, warnings;
    char *text;          /* normalised text, LF line ends */
    size_t len;
    size_t *line_off;    /* start offset of each line (0-based index = line - 1) */
    size_t n_lines;
    /* VEVENTs at calendar level, in file order: begin/end line */
    int *ev_begin, *ev_end;
    size_t n_ev, cap_ev;
    /* zones declared in the file */
    char **ztzid;
    cw_tz **zone;
    size_t n_zones;
    cal_file *file;
    int oom;
    /* lines of the current VEVENT whose impossible date was reported from the raw text
     * (raw_dates): make_time does not report them a second time */
    int bad_line[16];
    int n_bad_line;
} load_ctx;

static void diag(load_ctx *c, cw_diag_severity sev, int line, const char *fmt, ...)
    CW_PRINTF(4, 5);

static void diag(load_ctx *c, cw_diag_severity sev, int line, const char *fmt, ...)
{
    if (sev == CW_DIAG_ERROR)
        c->errors++;
    else
        c->warnings++;
    if (!c->diags)
        return;
    va_list ap;
    va_start(ap, fmt);
    char buf[1024];
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (cw_diags_add(c->diags, sev, NULL, c->source, line, NULL, buf))
        c->oom = 1;
}

/* ---- bytes: BOM, NUL, line ends, UTF-8 ----------------------------------------------- */

/* Returns 0, or an error code with a diagnostic already given. */
static int normalise(load_ctx *c, const char *data, size_t len)
{
    const unsigned char *s = (const unsigned char *)data;
    size_t i = 0;
    if (len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
        diag(c, CW_DIAG_WARNING, 1,
             "the file starts with a byte-order mark (it was ignored; save as UTF-8 "
             "without BOM)");
        i = 3;
    }
    cw_buf b;
    cw_buf_init(&b);
    int line = 1, cr_only = 0, bad_utf8_line = 0, bad_utf8_lines = 0, last_bad = 0;
    for (; i < len; i++) {
        unsigned char ch = s[i];
        if (ch == 0) {
            cw_buf_free(&b);
            diag(c, CW_DIAG_ERROR, line,
                 "the file contains a NUL byte (it is binary or corrupt; export the calendar "
                 "again)");
            return CW_EINVAL;
        }
        if (ch == '\r') {
            if (i + 1 < len && s[i + 1] == '\n')
                continue; /* CRLF: the LF ends the line */
            if (!cr_only)
                cr_only = line;
            cw_buf_append(&b, "\n", 1);
            line++;
            continue;
        }
        if (ch == '\n') {
            cw_buf_append(&b, "\n", 1);
            line++;
            continue;
        }
        if (ch < 0x80) {
            cw_buf_append(&b, &ch, 1);
            continue;
        }
        size_t k = cw_utf8_seq_len(s + i, len - i);
        if (k) {
            cw_buf_append(&b, s + i, k);
            i += k - 1;
            continue;
        }
        /* Not UTF-8: read the byte as Windows-1252/Latin-1 (what such files mostly are). */
        if (!bad_utf8_line)
            bad_utf8_line = line;
        if (last_bad != line) {
            bad_utf8_lines++;
            last_bad = line;
        }
        unsigned cp = ch;
        static const unsigned short cp1252[32] = {
            0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
            0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
            0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
            0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};
        if (cp >= 0x80 && cp < 0xA0)
            cp = cp1252[cp - 0x80];
        unsigned char u[3];
        if (cp < 0x800) {
            u[0] = (unsigned char)(0xC0 | (cp >> 6));
            u[1] = (unsigned char)(0x80 | (cp & 0x3F));
            cw_buf_append(&b, u, 2);
        } else {
            u[0] = (unsigned char)(0xE0 | (cp >> 12));
            u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
            u[2] = (unsigned char)(0x80 | (cp & 0x3F));
            cw_buf_append(&b, u, 3);
        }
    }
    if (cr_only)
        diag(c, CW_DIAG_WARNING, cr_only,
             "the file uses CR-only line ends (they were read as line ends; save it with "
             "CRLF line ends)");
    if (bad_utf8_line)
        diag(c, CW_DIAG_WARNING, bad_utf8_line,
             "text that is not UTF-8 on %d line%s (read as Windows-1252; save the file as "
             "UTF-8)", bad_utf8_lines, bad_utf8_lines == 1 ? "" : "s");
    cw_buf_append(&b, "", 0);
    if (b.oom) {
        cw_buf_free(&b);
        c->oom = 1;
        return CW_ENOMEM;
    }
    c->text = b.data ? b.data : cw_strdup("");
    c->len = b.len;
    return c->text ? 0 : CW_ENOMEM;
}

/* ---- structure: BEGIN/END with line numbers --------------------------------------- */

static int starts_ci(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static void line_span(const load_ctx *c, int line, const char **s, size_t *n)
{
    size_t a = c->line_off[line - 1];
    size_t e = (size_t)line < c->n_lines ? c->line_off[line] - 1 : c->len;
    if (e > a && c->text[e - 1] == '\n')
        e--;
    *s = c->text + a;
    *n = e - a;
}

static int name_eq(const char *a, size_t an, const char *b, size_t bn)
{
    return an == bn && strncasecmp(a, b, an) == 0;
}

static int scan_structure(load_ctx *c)
{
    size_t n = 1;
    for (size_t i = 0; i < c->len; i++)
        if (c->text[i] == '\n')
            n++;
    c->line_off = malloc(n * sizeof *c->line_off);
    if (!c->line_off)
        return CW_ENOMEM;
    c->n_lines = 0;
    c->line_off[c->n_lines++] = 0;
    for (size_t i = 0; i < c->len; i++)
        if (c->text[i] == '\n' && c->n_lines < n)
            c->line_off[c->n_lines++] = i + 1;
    if (c->n_lines > 1 && c->line_off[c->n_lines - 1] == c->len)
        c->n_lines--; /* the final LF does not start a line */

    struct {
        const char *name;
        size_t len;
        int line;
    } stack[CW_CAL_MAX_DEPTH + 1];
    int depth = 0, seen_any = 0, seen_cal = 0;
    for (size_t ln = 1; ln <= c->n_lines; ln++) {
        const char *s;
        size_t sl;
        line_span(c, (int)ln, &s, &sl);
        while (sl > 0 && (s[sl - 1] == ' ' || s[sl - 1] == '\t'))
            sl--;
        if (sl == 0)
            continue;
        if (s[0] == ' ' || s[0] == '\t')
            continue; /* folded continuation */
        int is_begin = sl > 6 && starts_ci(s, "BEGIN:");
        int is_end = sl > 4 && starts_ci(s, "END:");
        if (!seen_any) {
            seen_any = 1;
            if (!is_begin || !name_eq(s + 6, sl - 6, "VCALENDAR", 9)) {
                diag(c, CW_DIAG_ERROR, (int)ln,
                     "not an iCalendar file: it must start with BEGIN:VCALENDAR (export the "
                     "calendar as .ics)");
                return CW_EINVAL;
            }
        }
        if (is_begin) {
            if (depth == 0 && !name_eq(s + 6, sl - 6, "VCALENDAR", 9)) {
                diag(c, CW_DIAG_ERROR, (int)ln,
                     "BEGIN:%.*s outside of a VCALENDAR (the file is malformed; export it "
                     "again)", (int)(sl - 6 > 40 ? 40 : sl - 6), s + 6);
                return CW_EINVAL;
            }
            if (depth >= CW_CAL_MAX_DEPTH) {
                diag(c, CW_DIAG_ERROR, (int)ln,
                     "components nested deeper than %d levels (the file is malformed or "
                     "hostile; export it again)", CW_CAL_MAX_DEPTH);
                return CW_ELIMIT;
            }
            stack[depth].name = s + 6;
            stack[depth].len = sl - 6;
            stack[depth].line = (int)ln;
            if (depth == 0)
                seen_cal = 1;
            if (depth == 1 && name_eq(s + 6, sl - 6, "VEVENT", 6)) {
                if (c->n_ev == c->cap_ev) {
                    size_t nc = c->cap_ev ? c->cap_ev * 2 : 32;
                    int *nb = realloc(c->ev_begin, nc * sizeof *nb);
                    if (!nb)
                        return CW_ENOMEM;
                    c->ev_begin = nb;
                    int *ne = realloc(c->ev_end, nc * sizeof *ne);
                    if (!ne)
                        return CW_ENOMEM;
                    c->ev_end = ne;
                    c->cap_ev = nc;
                }
                c->ev_begin[c->n_ev] = (int)ln;
                c->ev_end[c->n_ev] = (int)ln;
                c->n_ev++;
            }
            depth++;
        } else if (is_end) {
            if (depth == 0) {
                diag(c, CW_DIAG_ERROR, (int)ln,
                     "END:%.*s without a matching BEGIN (the file is malformed; export it "
                     "again)", (int)(sl - 4 > 40 ? 40 : sl - 4), s + 4);
                return CW_EINVAL;
            }
            if (!name_eq(s + 4, sl - 4, stack[depth - 1].name, stack[depth - 1].len)) {
                diag(c, CW_DIAG_ERROR, (int)ln,
                     "END:%.*s does not match BEGIN:%.*s on line %d (the file is malformed; "
                     "export it again)", (int)(sl - 4 > 40 ? 40 : sl - 4), s + 4,
                     (int)(stack[depth - 1].len > 40 ? 40 : stack[depth - 1].len),
                     stack[depth - 1].name, stack[depth - 1].line);
                return CW_EINVAL;
            }
            depth--;
            if (depth == 1 && name_eq(s + 4, sl - 4, "VEVENT", 6) && c->n_ev)
                c->ev_end[c->n_ev - 1] = (int)ln;
        } else if (depth == 0) {
            diag(c, CW_DIAG_ERROR, (int)ln,
                 "text outside BEGIN:VCALENDAR ... END:VCALENDAR (the file is malformed; "
                 "export it again)");
            return CW_EINVAL;
        }
    }
    if (!seen_any) {
        diag(c, CW_DIAG_ERROR, 1, "the file is empty (export the calendar again)");
        return CW_EINVAL;
    }
    if (depth > 0) {
        diag(c, CW_DIAG_ERROR, stack[depth - 1].line,
             "missing END:%.*s for this BEGIN (the file is truncated; download it again)",
             (int)(stack[depth - 1].len > 40 ? 40 : stack[depth - 1].len),
             stack[depth - 1].name);
        return CW_EINVAL;
    }
    (void)seen_cal;
    return 0;
}

/* Steps *ln to the next line before b (and in the file) that is the block's own: not a
 * BEGIN or END line, nor inside a nested BEGIN..END (*depth, 0 at the start, counts them).
 * Puts the line in s/sl; 0 when there is none left. */
static int block_next(const load_ctx *c, int *ln, int b, int *depth, const char **s, size_t *sl)
{
    while (++*ln < b && *ln <= (int)c->n_lines) {
        line_span(c, *ln, s, sl);
        if (*sl > 6 && starts_ci(*s, "BEGIN:"))
            ++*depth;
        else if (*sl > 4 && starts_ci(*s, "END:"))
            --*depth;
        else if (*depth == 0)
            return 1;
    }
    return 0;
}

/* True when the content line s/sl is a property named `name` (nl bytes). */
static int is_prop(const char *s, size_t sl, const char *name, size_t nl)
{
    return sl > nl && strncasecmp(s, name, nl) == 0 && (s[nl] == ':' || s[nl] == ';');
}

/* Line of the n-th (0-based) property named `name` between lines a and b; `a` if none. */
static int prop_line(const load_ctx *c, int a, int b, const char *name, int nth)
{
    size_t nl = strlen(name);
    int depth = 0;
    const char *s;
    size_t sl;
    for (int ln = a; block_next(c, &ln, b, &depth, &s, &sl);)
        if (is_prop(s, sl, name, nl) && nth-- == 0)
            return ln;
    return a;
}

/* ---- time zones of a file ---------------------------------------------------------- */

static const cw_tz *file_zone(load_ctx *c, const char *tzid)
{
    for (size_t i = 0; i < c->n_zones; i++)
        if (strcmp(c->ztzid[i], tzid) == 0)
            return c->zone[i];
    return NULL;
}

static const char *hint_zone(const char *tzid, char *buf, size_t n)
{
    /* A city part that matches a system zone: "Paris" -> "Europe/Paris". */
    const char *city = strrchr(tzid, '/');
    city = city ? city + 1 : tzid;
    icalarray *all = icaltimezone_get_builtin_timezones();
    for (size_t i = 0; all && i < all->num_elements; i++) {
        icaltimezone *z = icalarray_element_at(all, i);
        const char *loc = icaltimezone_get_location(z);
        if (!loc)
            continue;
        const char *lc = strrchr(loc, '/');
        lc = lc ? lc + 1 : loc;
        if (strcasecmp(lc, city) == 0 || strcasecmp(loc, tzid) == 0) {
            snprintf(buf, n, "did you mean '%s'?", loc);
            return buf;
        }
    }
    snprintf(buf, n, "use an IANA name such as Europe/Paris, or include its VTIMEZONE");
    return buf;
}

static const cw_tz *resolve_tzid(load_ctx *c, const char *tzid, int line, const char *prop)
{
    const cw_tz *tz = file_zone(c, tzid);
    if (tz)
        return tz;
    tz = cal_set_system_zone(c->set, tzid);
    if (tz)
        return tz;
    const char *iana = cw_tz_windows_to_iana(tzid);
    if (iana && (tz = cal_set_system_zone(c->set, iana)) != NULL)
        return tz;
    /* Prefixed names: "/freeassociation.sourceforge.net/Europe/Paris",
     * "/mozilla.org/20050126_1/Europe/Paris". */
    for (const char *p = strchr(tzid, '/'); p; p = strchr(p + 1, '/')) {
        if (p[1] && strchr(p + 1, '/') && (tz = cal_set_system_zone(c->set, p + 1)) != NULL)
            return tz;
    }
    char hb[200];
    diag(c, CW_DIAG_ERROR, line, "unknown time zone '%s' in %s (%s)", tzid, prop,
         hint_zone(tzid, hb, sizeof hb));
    return NULL;
}

static int64_t wall_of(struct icaltimetype t)
{
    cw_civil cv = {t.year, t.month, t.day, t.is_date ? 0 : t.hour, t.is_date ? 0 : t.minute,
                   t.is_date ? 0 : t.second};
    return cw_wall_from_civil(&cv);
}

static const char *tzid_of(icalproperty *p)
{
    icalparameter *tp = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
    return tp ? icalparameter_get_tzid(tp) : NULL;
}

/* 0 ok, -1 error already reported. */
static int make_time(load_ctx *c, icalproperty *p, struct icaltimetype t, int line,
                     const char *prop, cal_time *out)
{
    memset(out, 0, sizeof *out);
    if (icaltime_is_null_time(t) || t.year < 1 || t.year > 9999 || t.month < 1 ||
        t.month > 12 || t.day < 1 || t.day > 31) {
        for (int i = 0; i < c->n_bad_line; i++)
            if (c->bad_line[i] == line)
                return -1; /* said already, more precisely */
        diag(c, CW_DIAG_ERROR, line, "%s has an invalid date (write it as YYYYMMDD or "
             "YYYYMMDDTHHMMSS)", prop);
        return -1;
    }
    out->wall = wall_of(t);
    if (t.is_date) {
        out->kind = CT_DATE;
        return 0;
    }
    if (icaltime_is_utc(t)) {
        out->kind = CT_UTC;
        return 0;
    }
    const char *tzid = p ? tzid_of(p) : NULL;
    if (tzid && *tzid) {
        const cw_tz *tz = resolve_tzid(c, tzid, line, prop);
        if (!tz)
            return -1;
        if (tz->n == 0 && tz->off0 == 0 && strcasecmp(tz->name, "UTC") == 0) {
            out->kind = CT_UTC;
            return 0;
        }
        out->kind = CT_ZONED;
        out->tz = tz;
        return 0;
    }
    out->kind = CT_FLOAT;
    return 0;
}

/* ---- meaning ----------------------------------------------------------------------- */

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
static void inherit_str(char **dst, const char *master)
{
    if (!*dst && master)
        *dst = cw_strdup(master);
}

/* One meaning hint `key` = `val` (case-insensitive key), from a DESCRIPTION line
 * ("Episode: 3", from_x 0) or an X-CHALKWAVE-KEY property (from_x 1; only these carry
 * ATTACH). Takes `val`; returns it when it was not kept (the caller frees it), else NULL. */
static char *hint(load_ctx *c, cal_comp *k, int line, const char *key, char *val, int from_x)
{
    if (strcasecmp(key, "series") == 0) {
        set_str(&k->series, val);
        return NULL;
    } else if (strcasecmp(key, "episode") == 0) {
        int ep = parse_episode(val);
        if (ep)
            k->episode = ep;
        else if (from_x)
            diag(c, CW_DIAG_WARNING, line,
                 "X-CHALKWAVE-EPISODE '%s' is not a positive number (it was ignored)", val);
        else
            diag(c, CW_DIAG_WARNING, line,
                 "'Episode: %s' in DESCRIPTION is not a positive number (it "
                 "was ignored; write e.g. 'Episode: 3')", val);
    } else if (strcasecmp(key, "kind") == 0) {
        cw_kind kw = kind_word(val);
        if (kw != CW_KIND_NONE)
            k->kind = kw;
        else if (from_x)
            diag(c, CW_DIAG_WARNING, line,
                 "X-CHALKWAVE-KIND '%s' is not lesson, newsletter, filler or blackout (it "
                 "was ignored)", val);
        else
            diag(c, CW_DIAG_WARNING, line,
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
static void meaning(load_ctx *c, icalcomponent *ev, cal_comp *k, int line)
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

/* ---- components -------------------------------------------------------------------- */

static void comp_free(cal_comp *k)
{
    if (!k)
        return;
    free(k->uid);
    free(k->summary);
    free(k->description);
    free(k->categories);
    free(k->location);
    free(k->attach);
    free(k->series);
    free(k->teacher);
    free(k->language);
    for (size_t i = 0; i < k->n_rrules; i++)
        cal_rrule_release(&k->rrules[i]);
    free(k->rrules);
    free(k->rdates);
    free(k->exdates);
    free(k);
}

static char *textdup(const char *s)
{
    return cw_strdup(s ? s : "");
}

static const char *rrule_problem(const char *raw, char *buf, size_t n)
{
    /* Explain the common ways an RRULE is refused, from its text. */
    char *dup = cw_strdup(raw), *save = NULL;
    int has_count = 0, has_until = 0, has_freq = 0;
    const char *res = NULL;
    for (char *t = dup ? strtok_r(dup, ";", &save) : NULL; t && !res;
         t = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(t, '=');
        if (!eq)
            continue;
        *eq = 0;
        const char *k = t, *v = eq + 1;
        long x = strtol(v, NULL, 10);
        if (strcasecmp(k, "FREQ") == 0) {
            has_freq = 1;
            if (icalrecur_string_to_freq(v) == ICAL_NO_RECURRENCE) {
                snprintf(buf, n, "FREQ=%s is not a frequency (use DAILY, WEEKLY, MONTHLY, "
                         "YEARLY, HOURLY, MINUTELY or SECONDLY)", v);
                res = buf;
            }
        } else if (strcasecmp(k, "INTERVAL") == 0 && x < 1) {
            snprintf(buf, n, "INTERVAL=%s must be 1 or more", v);
            res = buf;
        } else if (strcasecmp(k, "COUNT") == 0) {
            has_count = 1;
            if (x < 1) {
                snprintf(buf, n, "COUNT=%s must be 1 or more", v);
                res = buf;
            }
        } else if (strcasecmp(k, "UNTIL") == 0) {
            has_until = 1;
        } else if (strcasecmp(k, "BYHOUR") == 0 || strcasecmp(k, "BYMINUTE") == 0 ||
                   strcasecmp(k, "BYSECOND") == 0 || strcasecmp(k, "BYMONTH") == 0 ||
                   strcasecmp(k, "BYMONTHDAY") == 0 || strcasecmp(k, "BYYEARDAY") == 0 ||
                   strcasecmp(k, "BYWEEKNO") == 0 || strcasecmp(k, "BYSETPOS") == 0) {
            int lo = 0, hi = 0, neg = 0;
            if (strcasecmp(k, "BYHOUR") == 0)
                hi = 23;
            else if (strcasecmp(k, "BYMINUTE") == 0)
                hi = 59;
            else if (strcasecmp(k, "BYSECOND") == 0)
                hi = 60;
            else if (strcasecmp(k, "BYMONTH") == 0)
                lo = 1, hi = 12;
            else if (strcasecmp(k, "BYMONTHDAY") == 0)
                lo = 1, hi = 31, neg = 1;
            else if (strcasecmp(k, "BYYEARDAY") == 0)
                lo = 1, hi = 366, neg = 1;
            else if (strcasecmp(k, "BYWEEKNO") == 0)
                lo = 1, hi = 53, neg = 1;
            else
                lo = 1, hi = 366, neg = 1;
            char *s2 = NULL;
            for (char *u = strtok_r((char *)v, ",", &s2); u && !res;
                 u = strtok_r(NULL, ",", &s2)) {
                char *end;
                long y = strtol(u, &end, 10);
                long a = y < 0 && neg ? -y : y;
                if (*end || end == u || a < lo || a > hi || (y < 0 && !neg)) {
                    snprintf(buf, n, "%s=%s is out of range (%s%d..%d)", k, u,
                             neg ? "+/-" : "", lo, hi);
                    res = buf;
                }
            }
        }
    }
    if (!res && has_count && has_until) {
        snprintf(buf, n, "it has both COUNT and UNTIL (keep one of them)");
        res = buf;
    }
    if (!res && !has_freq) {
        snprintf(buf, n, "it has no FREQ (add e.g. FREQ=WEEKLY)");
        res = buf;
    }
    free(dup);
    return res ? res : "check it against RFC 5545 section 3.3.10";
}

/* Turn libical's X-LIC-ERROR properties of one component into diagnostics. */
static void lic_errors(load_ctx *c, icalcomponent *ev, int a, int b, int *fatal)
{
    int seen[64] = {0};
    for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_XLICERROR_PROPERTY); p;
         p = icalcomponent_get_next_property(ev, ICAL_XLICERROR_PROPERTY)) {
        const char *msg = icalproperty_get_xlicerror(p);
        if (!msg)
            msg = "";
        /* "Can't parse as RECUR value in RRULE property. Removing entire property: VAL" */
        const char *in = strstr(msg, " in ");
        const char *pe = in ? strstr(in + 4, " property") : NULL;
        char prop[64] = "";
        if (in && pe && pe - (in + 4) < (ptrdiff_t)sizeof prop)
            snprintf(prop, sizeof prop, "%.*s", (int)(pe - (in + 4)), in + 4);
        const char *val = strstr(msg, "property: ");
        val = val ? val + 10 : "";
        char raw[512];
        size_t ri = 0;
        for (const char *q = val; *q && ri + 1 < sizeof raw; q++)
            if (!(q[0] == '\\' && (q[1] == ';' || q[1] == ',')))
                raw[ri++] = *q;
        raw[ri] = 0;
        if (strncmp(msg, "No value for ", 13) == 0 && strstr(msg, " property")) {
            /* An empty value (Google writes "LOCATION:"): harmless unless crucial. */
            snprintf(prop, sizeof prop, "%.*s", (int)(strstr(msg, " property") - (msg + 13)),
                     msg + 13);
            static const char *const need[] = {"DTSTART", "DTEND", "DURATION", "RRULE",
                                               "RDATE", "EXDATE", "RECURRENCE-ID"};
            for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
                if (strcasecmp(prop, need[i]) == 0) {
                    diag(c, CW_DIAG_ERROR, prop_line(c, a, b, prop, 0),
                         "%s has no value (give it one or remove the line)", prop);
                    *fatal = 1;
                }
            continue;
        }
        if (strncmp(msg, "Parse error in property name: ", 30) == 0) {
            int line = prop_line(c, a, b, msg + 30, 0);
            diag(c, CW_DIAG_WARNING, line, "unknown property '%s' (it was ignored)",
                 msg + 30);
            continue;
        }
        if (!*prop) {
            diag(c, CW_DIAG_ERROR, a, "cannot read the event: %s (fix the line or export "
                 "the calendar again)", msg);
            *fatal = 1;
            continue;
        }
        /* n-th error on the same property name -> n-th such line */
        unsigned h = 0;
        for (const char *q = prop; *q; q++)
            h = h * 31 + (unsigned char)toupper((unsigned char)*q);
        int nth = seen[h % 64]++;
        int line = prop_line(c, a, b, prop, nth);
        static const char *const crucial[] = {"DTSTART", "DTEND", "DURATION", "RRULE",
                                              "RDATE", "EXDATE", "RECURRENCE-ID"};
        int is_crucial = 0;
        for (size_t i = 0; i < sizeof crucial / sizeof crucial[0]; i++)
            if (strcasecmp(prop, crucial[i]) == 0)
                is_crucial = 1;
        if (strcasecmp(prop, "RRULE") == 0) {
            char pb[256];
            diag(c, CW_DIAG_ERROR, line, "invalid RRULE '%s': %s", raw,
                 rrule_problem(raw, pb, sizeof pb));
            *fatal = 1;
        } else if (is_crucial) {
            diag(c, CW_DIAG_ERROR, line, "cannot read %s value '%s' (write dates as "
                 "YYYYMMDD, date-times as YYYYMMDDTHHMMSS, durations as e.g. PT1H)", prop, raw);
            *fatal = 1;
        } else {
            diag(c, CW_DIAG_WARNING, line, "cannot read %s value '%s' (it was ignored)", prop,
                 raw);
        }
    }
}

static int push_ptr(void ***v, size_t *n, size_t *cap, void *p)
{
    if (*n == *cap && cal_grow(v, cap, sizeof **v, 16))
        return -1;
    (*v)[(*n)++] = p;
    return 0;
}

static void duration_of(struct icaldurationtype d, int *days, int64_t *secs)
{
    *days = (int)d.weeks * 7 + (int)d.days;
    *secs = (int64_t)d.hours * 3600 + (int64_t)d.minutes * 60 + d.seconds;
}

typedef struct raw_comp {
    cal_comp *k;
    cal_time rid;    /* override: RECURRENCE-ID as written */
    int has_rid;
    int end_line;
} raw_comp;

/* Read one VEVENT. Returns NULL when it has errors (reported) or on OOM (c->oom). */
/* Sort a BY* list of non-negative values ascending, without duplicates. */
static void sort_by_list(short *a, int max)
{
    int n = 0;
    while (n < max && a[n] != ICAL_RECURRENCE_ARRAY_MAX)
        n++;
    for (int i = 1; i < n; i++) /* a few dozen values at most */
        for (int j = i; j > 0 && a[j - 1] > a[j]; j--) {
            short t = a[j];
            a[j] = a[j - 1];
            a[j - 1] = t;
        }
    int k = 0;
    for (int i = 0; i < n; i++)
        if (k == 0 || a[k - 1] != a[i])
            a[k++] = a[i];
    for (int i = k; i < n; i++)
        a[i] = ICAL_RECURRENCE_ARRAY_MAX;
}


/* ---- impossible dates and times, from the raw text --------------------------------- */

/* libical normalises what it parses (DTSTART:20260230 becomes 2 March, T250000 the next
 * day's 01:00), so a date that does not exist would be scheduled somewhere else without a
 * word. The values of the date properties are checked here as written. */

static int digits(const char *s, size_t n)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* One DATE (YYYYMMDD) or DATE-TIME (YYYYMMDDTHHMMSS[Z]) token. Tokens of another shape are
 * left to libical (which reports what it cannot read). Returns 1 and fills `why` with
 * "what|detail" when the date or time does not exist. */
static int impossible(const char *s, size_t n, char *why, size_t wn)
{
    static const char *const months[12] = {"January", "February", "March", "April", "May",
                                            "June", "July", "August", "September", "October",
                                            "November", "December"};
    if (n != 8 && n != 15 && n != 16)
        return 0;
    if (n >= 15 && (s[8] != 'T' && s[8] != 't'))
        return 0;
    if (n == 16 && s[15] != 'Z' && s[15] != 'z')
        return 0;
    int y = digits(s, 4), mo = digits(s + 4, 2), d = digits(s + 6, 2);
    int h = 0, mi = 0, se = 0;
    if (n >= 15) {
        h = digits(s + 9, 2), mi = digits(s + 11, 2), se = digits(s + 13, 2);
        if (h < 0 || mi < 0 || se < 0)
            return 0;
    }
    if (y < 0 || mo < 0 || d < 0)
        return 0;
    if (y == 0) {
        snprintf(why, wn, "the year 0000, which does not exist|years start at 0001");
    } else if (mo < 1 || mo > 12) {
        snprintf(why, wn, "month %02d in %.8s, which does not exist|months are 01 to 12", mo, s);
    } else if (d < 1 || d > cal_month_len(y, mo)) {
        snprintf(why, wn, "%04d-%02d-%02d, a day that does not exist|%s %04d has %d days", y, mo,
                 d, months[mo - 1], y, cal_month_len(y, mo));
    } else if (h > 23 || mi > 59 || se > 60) {
        /* second 60 is a leap second, which RFC 5545 allows */
        snprintf(why, wn, "the time %02d:%02d:%02d, which does not exist|hours are 00 to 23, "
                 "minutes 00 to 59", h, mi, se);
    } else {
        return 0;
    }
    return 1;
}

/* Check the comma-separated DATE / DATE-TIME / PERIOD list `v`: the first impossible value
 * is described in `why`; returns how many there are. */
static int impossible_list(const char *v, size_t n, char *why, size_t wn)
{
    int bad = 0;
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && v[j] != ',')
            j++;
        /* PERIOD: start/end or start/duration; a duration is not of the date shape */
        size_t k = i;
        while (k < j && v[k] != '/')
            k++;
        char tmp[256];
        if (impossible(v + i, k - i, bad ? tmp : why, bad ? sizeof tmp : wn))
            bad++;
        else if (k < j && impossible(v + k + 1, j - k - 1, bad ? tmp : why, bad ? sizeof tmp : wn))
            bad++;
        i = j + 1;
    }
    return bad;
}

/* Every DTSTART, DTEND, RECURRENCE-ID, EXDATE, RDATE and RRULE UNTIL of the VEVENT on lines
 * a..b (its own properties, not those of a nested VALARM): one error per property line
 * with an impossible value. Returns the number of errors. */
static int raw_dates(load_ctx *c, int a, int b)
{
    static const char *const props[] = {"DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE",
                                        "RRULE", "EXRULE"};
    int depth = 0, errors = 0;
    c->n_bad_line = 0;
    cw_buf u;
    cw_buf_init(&u);
    const char *s;
    size_t sl;
    for (int ln = a; block_next(c, &ln, b, &depth, &s, &sl);) {
        if (sl == 0 || s[0] == ' ' || s[0] == '\t')
            continue;
        size_t pi = 0, np = sizeof props / sizeof props[0], nl = 0;
        for (; pi < np; pi++) {
            nl = strlen(props[pi]);
            if (is_prop(s, sl, props[pi], nl))
                break;
        }
        if (pi == np)
            continue;
        /* unfold: the continuation lines that follow, without their leading blank */
        u.len = 0;
        cw_buf_append(&u, s, sl);
        for (int k = ln + 1; k < b && k <= (int)c->n_lines; k++) {
            const char *t;
            size_t tl;
            line_span(c, k, &t, &tl);
            if (tl == 0 || (t[0] != ' ' && t[0] != '\t'))
                break;
            cw_buf_append(&u, t + 1, tl - 1);
        }
        cw_buf_append(&u, "", 0);
        if (u.oom) {
            c->oom = 1;
            break;
        }
        /* the value starts at the first ':' outside a quoted parameter */
        const char *val = NULL;
        int quoted = 0;
        for (size_t i = nl; i < u.len; i++) {
            if (u.data[i] == '"')
                quoted = !quoted;
            else if (u.data[i] == ':' && !quoted) {
                val = u.data + i + 1;
                break;
            }
        }
        if (!val)
            continue;
        size_t vn = u.len - (size_t)(val - u.data);
        char why[256];
        int bad = 0;
        const char *what = props[pi];
        if (pi >= 5) { /* a rule: its UNTIL */
            for (size_t i = 0; i < vn;) {
                size_t j = i;
                while (j < vn && val[j] != ';')
                    j++;
                if (j - i > 6 && strncasecmp(val + i, "UNTIL=", 6) == 0)
                    bad = impossible(val + i + 6, j - i - 6, why, sizeof why);
                i = j + 1;
            }
            what = pi == 5 ? "the RRULE's UNTIL" : "the EXRULE's UNTIL";
        } else {
            bad = impossible_list(val, vn, why, sizeof why);
        }
        if (!bad)
            continue;
        /* libical would move it to another day or hour without a word: refuse it. `why` is
         * "what|detail" */
        char *bar = strchr(why, '|');
        const char *detail = "";
        if (bar) {
            *bar = 0;
            detail = bar + 1;
        }
        if (bad > 1)
            diag(c, CW_DIAG_ERROR, ln, "%s has %s, and %d more impossible value%s (%s; "
                 "correct them in the calendar and export it again)", what, why, bad - 1,
                 bad == 2 ? "" : "s", detail);
        else
            diag(c, CW_DIAG_ERROR, ln, "%s has %s (%s; correct it in the calendar and export it "
                 "again)", what, why, detail);
        errors++;
        if (c->n_bad_line < (int)(sizeof c->bad_line / sizeof c->bad_line[0]))
            c->bad_line[c->n_bad_line++] = ln;
    }
    cw_buf_free(&u);
    return errors;
}

static cal_comp *read_event(load_ctx *c, icalcomponent *ev, int a, int b, raw_comp *rc)
{
    int fatal = 0;
    lic_errors(c, ev, a, b, &fatal);
    if (raw_dates(c, a, b))
        fatal = 1;
    cal_comp *k = calloc(1, sizeof *k);
    if (!k) {
        c->oom = 1;
        return NULL;
    }
    k->line = a;
    icalproperty *p;
    const char *uid = icalcomponent_get_uid(ev);
    if (uid && *uid)
        k->uid = cw_strdup(uid);
    else {
        diag(c, CW_DIAG_WARNING, a, "the event has no UID (one was made from its line; "
             "export the calendar with UIDs)");
        k->uid = cw_asprintf("line-%d@%s", a, c->source);
    }
    p = icalcomponent_get_first_property(ev, ICAL_SUMMARY_PROPERTY);
    k->summary = textdup(p ? icalproperty_get_summary(p) : NULL);
    if (!p)
        free(k->summary), k->summary = NULL; /* inherit from master when an override */
    p = icalcomponent_get_first_property(ev, ICAL_DESCRIPTION_PROPERTY);
    k->description = p ? textdup(icalproperty_get_description(p)) : NULL;
    p = icalcomponent_get_first_property(ev, ICAL_LOCATION_PROPERTY);
    k->location = p ? textdup(icalproperty_get_location(p)) : NULL;
    cw_buf cat;
    cw_buf_init(&cat);
    for (p = icalcomponent_get_first_property(ev, ICAL_CATEGORIES_PROPERTY); p;
         p = icalcomponent_get_next_property(ev, ICAL_CATEGORIES_PROPERTY)) {
        const char *v = icalproperty_get_categories(p);
        if (!v || !*v)
            continue;
        if (cat.len)
            cw_buf_puts(&cat, ",");
        cw_buf_puts(&cat, v);
    }
    k->categories = cat.len ? cw_strdup(cat.data) : NULL;
    cw_buf_free(&cat);
    p = icalcomponent_get_first_property(ev, ICAL_ATTACH_PROPERTY);
    if (p) {
        icalattach *at = icalproperty_get_attach(p);
        if (at && icalattach_get_is_url(at))
            k->attach = textdup(icalattach_get_url(at));
    }
    p = icalcomponent_get_first_property(ev, ICAL_STATUS_PROPERTY);
    k->cancelled = p && icalproperty_get_status(p) == ICAL_STATUS_CANCELLED;
    p = icalcomponent_get_first_property(ev, ICAL_SEQUENCE_PROPERTY);
    k->sequence = p ? icalproperty_get_sequence(p) : 0;
    meaning(c, ev, k, a);

    /* DTSTART */
    p = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
    int ls = prop_line(c, a, b, "DTSTART", 0);
    if (!p) {
        if (!fatal)
            diag(c, CW_DIAG_ERROR, a, "the event '%s' has no DTSTART (give it a start time)",
                 k->uid);
        fatal = 1;
    } else if (make_time(c, p, icalproperty_get_dtstart(p), ls, "DTSTART", &k->dtstart)) {
        fatal = 1;
    }
    /* DTEND / DURATION */
    icalproperty *pe = icalcomponent_get_first_property(ev, ICAL_DTEND_PROPERTY);
    icalproperty *pd = icalcomponent_get_first_property(ev, ICAL_DURATION_PROPERTY);
    int le = prop_line(c, a, b, pe ? "DTEND" : "DURATION", 0);
    if (pe && pd) {
        diag(c, CW_DIAG_ERROR, le, "the event has both DTEND and DURATION (keep one of them)");
        fatal = 1;
    } else if (pe) {
        if (make_time(c, pe, icalproperty_get_dtend(pe), le, "DTEND", &k->dtend) == 0)
            k->has_dtend = 1;
        else
            fatal = 1;
    } else if (pd) {
        struct icaldurationtype d = icalproperty_get_duration(pd);
        duration_of(d, &k->dur_days, &k->dur_secs);
        if (d.is_neg) {
            diag(c, CW_DIAG_ERROR, le, "DURATION is negative (give a positive duration such "
                 "as PT1H)");
            fatal = 1;
        } else {
            k->has_duration = 1;
            if (k->dtstart.kind == CT_DATE && k->dur_secs % 86400 != 0) {
                diag(c, CW_DIAG_ERROR, le, "an all-day event needs a DURATION in whole days "
                     "or weeks (e.g. P1D)");
                fatal = 1;
            }
        }
    }
    if (!fatal && k->has_dtend) {
        if ((k->dtstart.kind == CT_DATE) != (k->dtend.kind == CT_DATE)) {
            diag(c, CW_DIAG_ERROR, le, "DTEND is a %s but DTSTART is a %s (make both dates "
                 "or both date-times)", k->dtend.kind == CT_DATE ? "date" : "date-time",
                 k->dtstart.kind == CT_DATE ? "date" : "date-time");
            fatal = 1;
        } else {
            int64_t s = cal_time_utc(c->set, &k->dtstart), e = cal_time_utc(c->set, &k->dtend);
            if (k->dtstart.kind == CT_FLOAT && k->dtend.kind == CT_FLOAT)
                s = k->dtstart.wall, e = k->dtend.wall;
            if (e < s) {
                diag(c, CW_DIAG_ERROR, le, "DTEND is before DTSTART (correct the end time)");
                fatal = 1;
            }
        }
    }
    /* RECURRENCE-ID */
    p = icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY);
    if (p) {
        int lr = prop_line(c, a, b, "RECURRENCE-ID", 0);
        if (make_time(c, p, icalproperty_get_recurrenceid(p), lr, "RECURRENCE-ID", &rc->rid))
            fatal = 1;
        else
            rc->has_rid = 1;
        icalparameter *rp = icalproperty_get_first_parameter(p, ICAL_RANGE_PARAMETER);
        if (rp)
            diag(c, CW_DIAG_WARNING, lr, "RECURRENCE-ID;RANGE=THISANDFUTURE is not supported "
                 "(only this one instance is changed; export the series split in two)");
    }
    /* RRULE */
    int nr = 0;
    for (p = icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY); p;
         p = icalcomponent_get_next_property(ev, ICAL_RRULE_PROPERTY), nr++) {
        int lr = prop_line(c, a, b, "RRULE", nr);
        struct icalrecurrencetype r = icalproperty_get_rrule(p);
        r.rscale = NULL;
        if (r.freq == ICAL_NO_RECURRENCE)
            continue;
        if (rc->has_rid) {
            diag(c, CW_DIAG_WARNING, lr, "an instance with RECURRENCE-ID has an RRULE (it was "
                 "ignored)");
            continue;
        }
        cal_rrule *nv = realloc(k->rrules, (k->n_rrules + 1) * sizeof *nv);
        if (!nv) {
            c->oom = 1;
            break;
        }
        k->rrules = nv;
        cal_rrule *rr = &k->rrules[k->n_rrules++];
        memset(rr, 0, sizeof *rr);
        rr->r = r;
        if (!icaltime_is_null_time(r.until)) {
            rr->has_until = 1;
            rr->until.wall = wall_of(r.until);
            rr->until.kind = r.until.is_date ? CT_DATE
                             : icaltime_is_utc(r.until) ? CT_UTC : CT_FLOAT;
            rr->r.until = icaltime_null_time();
            if (!fatal) {
                int before;
                if (rr->until.kind == CT_UTC && k->dtstart.kind != CT_DATE)
                    before = rr->until.wall < cal_time_utc(c->set, &k->dtstart);
                else
                    before = cw_floor_div(rr->until.wall, rr->until.kind == CT_DATE ? 86400 : 1) <
                             cw_floor_div(k->dtstart.wall, rr->until.kind == CT_DATE ? 86400 : 1);
                if (before) {
                    diag(c, CW_DIAG_WARNING, lr, "the RRULE's UNTIL is before DTSTART (only "
                         "DTSTART is scheduled; correct UNTIL)");
                    k->until_before_start = 1;
                }
            }
        }
        if (r.interval < 1)
            rr->r.interval = 1;
        /* libical yields the times of a day in list order (BYHOUR=23,9 gives 23:00 before
         * 09:00), and expansion relies on ascending times: these are sets, sort them */
        sort_by_list(rr->r.by_hour, ICAL_BY_HOUR_SIZE);
        sort_by_list(rr->r.by_minute, ICAL_BY_MINUTE_SIZE);
        sort_by_list(rr->r.by_second, ICAL_BY_SECOND_SIZE);
    }
    /* RDATE */
    int nrd = 0;
    for (p = icalcomponent_get_first_property(ev, ICAL_RDATE_PROPERTY); p;
         p = icalcomponent_get_next_property(ev, ICAL_RDATE_PROPERTY), nrd++) {
        int lr = prop_line(c, a, b, "RDATE", nrd);
        struct icaldatetimeperiodtype dp = icalproperty_get_rdate(p);
        cal_rdate rd;
        memset(&rd, 0, sizeof rd);
        if (!icaltime_is_null_time(dp.time)) {
            if (make_time(c, p, dp.time, lr, "RDATE", &rd.t)) {
                fatal = 1;
                continue;
            }
        } else if (!icaltime_is_null_time(dp.period.start)) {
            if (make_time(c, p, dp.period.start, lr, "RDATE", &rd.t)) {
                fatal = 1;
                continue;
            }
            rd.is_period = 1;
            if (!icaltime_is_null_time(dp.period.end)) {
                if (make_time(c, p, dp.period.end, lr, "RDATE", &rd.end)) {
                    fatal = 1;
                    continue;
                }
            } else {
                rd.has_dur = 1;
                duration_of(dp.period.duration, &rd.dur_days, &rd.dur_secs);
            }
        } else
            continue;
        cal_rdate *nv = realloc(k->rdates, (k->n_rdates + 1) * sizeof *nv);
        if (!nv) {
            c->oom = 1;
            break;
        }
        k->rdates = nv;
        k->rdates[k->n_rdates++] = rd;
    }
    /* EXDATE: keys are computed once the frame is known (below) */
    int nex = 0;
    for (p = icalcomponent_get_first_property(ev, ICAL_EXDATE_PROPERTY); p;
         p = icalcomponent_get_next_property(ev, ICAL_EXDATE_PROPERTY), nex++) {
        int lx = prop_line(c, a, b, "EXDATE", nex);
        cal_time t;
        if (make_time(c, p, icalproperty_get_exdate(p), lx, "EXDATE", &t)) {
            fatal = 1;
            continue;
        }
        if (fatal)
            continue;
        cal_exdate x;
        if (t.kind == CT_DATE) {
            x.is_date = 1;
            x.key = cw_floor_div(t.wall, 86400);
        } else if (k->dtstart.kind == CT_DATE) {
            x.is_date = 1;
            x.key = cw_floor_div(t.wall, 86400);
        } else {
            x.is_date = 0;
            x.key = t.kind == CT_FLOAT ? cal_frame_wall_to_utc(c->set, &k->dtstart, t.wall)
                                       : cal_time_utc(c->set, &t);
        }
        cal_exdate *nv = realloc(k->exdates, (k->n_exdates + 1) * sizeof *nv);
        if (!nv) {
            c->oom = 1;
            break;
        }
        k->exdates = nv;
        k->exdates[k->n_exdates++] = x;
    }
    if (fatal || c->oom || !k->uid) {
        if (!k->uid)
            c->oom = 1;
        comp_free(k);
        return NULL;
    }
    return k;
}

/* ---- grouping ---------------------------------------------------------------------- */

static int64_t rid_key_for(const cw_calset *set, const cal_comp *master, const cal_time *rid)
{
    if (master->dtstart.kind == CT_DATE)
        return cw_floor_div(rid->wall, 86400);
    if (rid->kind == CT_DATE) {
        int64_t tod = master->dtstart.wall - cw_floor_div(master->dtstart.wall, 86400) * 86400;
        return cal_frame_wall_to_utc(set, &master->dtstart, rid->wall + tod);
    }
    if (rid->kind == CT_FLOAT)
        return cal_frame_wall_to_utc(set, &master->dtstart, rid->wall);
    return cal_time_utc(set, rid);
}

static void rid_text(cal_comp *k, int is_date, int64_t key)
{
    cw_civil cv;
    if (is_date) {
        cw_civil_from_wall(key * 86400, &cv);
        snprintf(k->rid_text, sizeof k->rid_text, "%04d%02d%02d", cv.year, cv.month, cv.day);
    } else {
        cw_civil_from_wall(key, &cv);
        snprintf(k->rid_text, sizeof k->rid_text, "%04d%02d%02dT%02d%02d%02dZ", cv.year,
                 cv.month, cv.day, cv.hour, cv.minute, cv.second);
    }
}

static int ovr_cmp(const void *a, const void *b)
{
    const cal_comp *x = *(cal_comp *const *)a, *y = *(cal_comp *const *)b;
    return (x->rid_key > y->rid_key) - (x->rid_key < y->rid_key);
}

static int uid_cmp(const void *a, const void *b)
{
    const raw_comp *x = a, *y = b;
    int r = strcmp(x->k->uid, y->k->uid);
    if (r)
        return r;
    return (x->k->line > y->k->line) - (x->k->line < y->k->line);
}

/* Keep the better of two components for the same UID/RECURRENCE-ID; frees the other. */
static cal_comp *dup_pick(load_ctx *c, cal_comp *old, cal_comp *nw)
{
    diag(c, CW_DIAG_WARNING, nw->line,
         "duplicate UID '%s'%s%s (also on line %d); the one with the higher SEQUENCE is used "
         "(remove the stale copy)", nw->uid, nw->is_override ? " with RECURRENCE-ID " : "",
         nw->is_override ? nw->rid_text : "", old->line);
    if (nw->sequence >= old->sequence) {
        comp_free(old);
        return nw;
    }
    comp_free(nw);
    return old;
}

static int group_events(load_ctx *c, raw_comp *rcs, size_t n)
{
    qsort(rcs, n, sizeof *rcs, uid_cmp);
    cal_file *f = c->file;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && strcmp(rcs[j].k->uid, rcs[i].k->uid) == 0)
            j++;
        cal_comp *master = NULL;
        for (size_t x = i; x < j; x++) {
            if (rcs[x].has_rid)
                continue;
            master = master ? dup_pick(c, master, rcs[x].k) : rcs[x].k;
            rcs[x].k = NULL;
        }
        cal_comp **ovr = NULL;
        size_t n_ovr = 0, cap_ovr = 0;
        for (size_t x = i; x < j; x++) {
            if (!rcs[x].k)
                continue;
            cal_comp *o = rcs[x].k;
            rcs[x].k = NULL;
            o->is_override = 1;
            if (master) {
                o->rid_key = rid_key_for(c->set, master, &rcs[x].rid);
                rid_text(o, master->dtstart.kind == CT_DATE, o->rid_key);
            } else {
                o->rid_key = rcs[x].rid.kind == CT_DATE ? cw_floor_div(rcs[x].rid.wall, 86400)
                                                       : cal_time_utc(c->set, &rcs[x].rid);
                rid_text(o, rcs[x].rid.kind == CT_DATE, o->rid_key);
            }
            /* inherit unstated meaning and text from the master */
            if (master) {
                inherit_str(&o->summary, master->summary);
                inherit_str(&o->description, master->description);
                inherit_str(&o->location, master->location);
                inherit_str(&o->categories, master->categories);
                inherit_str(&o->series, master->series);
                inherit_str(&o->teacher, master->teacher);
                inherit_str(&o->language, master->language);
                inherit_str(&o->attach, master->attach);
                if (o->kind == CW_KIND_NONE)
                    o->kind = master->kind;
                if (!o->episode)
                    o->episode = master->episode;
                if (o->repeat < 0)
                    o->repeat = master->repeat;
            }
            size_t y;
            for (y = 0; y < n_ovr; y++)
                if (ovr[y]->rid_key == o->rid_key)
                    break;
            if (y < n_ovr) {
                ovr[y] = dup_pick(c, ovr[y], o);
                continue;
            }
            if (push_ptr((void ***)&ovr, &n_ovr, &cap_ovr, o)) {
                comp_free(o);
                c->oom = 1;
            }
        }
        if (n_ovr > 1)
            qsort(ovr, n_ovr, sizeof *ovr, ovr_cmp);
        cal_event *ne = realloc(f->events, (f->n_events + 1) * sizeof *ne);
        if (!ne) {
            comp_free(master);
            for (size_t y = 0; y < n_ovr; y++)
                comp_free(ovr[y]);
            free(ovr);
            c->oom = 1;
            return CW_ENOMEM;
        }
        f->events = ne;
        cal_event *e = &f->events[f->n_events++];
        e->file = f;
        e->master = master;
        e->ovr = ovr;
        e->n_ovr = n_ovr;
        i = j;
    }
    return 0;
}

/* Finalise the defaults of stated meaning. */
static void finish_meaning(cal_comp *k)
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

static void file_free(cal_file *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_events; i++) {
        comp_free(f->events[i].master);
        for (size_t j = 0; j < f->events[i].n_ovr; j++)
            comp_free(f->events[i].ovr[j]);
        free(f->events[i].ovr);
    }
    free(f->events);
    free(f->label);
    free(f);
}

/* ---- the set ----------------------------------------------------------------------- */

cw_calset *cw_calset_new(const char *default_tz)
{
    cw_cal_lib_init();
    cw_calset *set = calloc(1, sizeof *set);
    if (!set)
        return NULL;
    cw_error e;
    if (cw_tz_open(&set->deftz, default_tz ? default_tz : "UTC", &e) || cal_cache_new(set)) {
        cw_tz_free(set->deftz);
        free(set);
        return NULL;
    }
    return set;
}

void cw_calset_free(cw_calset *set)
{
    if (!set)
        return;
    cal_cache_free(set);
    for (size_t i = 0; i < set->n_files; i++)
        file_free(set->files[i]);
    free(set->files);
    for (size_t i = 0; i < set->n_zones; i++)
        cw_tz_free(set->zones[i]);
    free(set->zones);
    cw_tz_free(set->deftz);
    free(set);
}

int cal_set_adopt_zone(cw_calset *set, cw_tz *tz)
{
    cw_tz **nv = realloc(set->zones, (set->n_zones + 1) * sizeof *nv);
    if (!nv)
        return -1;
    set->zones = nv;
    set->zones[set->n_zones++] = tz;
    return 0;
}

const cw_tz *cal_set_system_zone(cw_calset *set, const char *name)
{
    /* System zones are adopted with a leading NUL-free marker: their name is the IANA
     * name; embedded zones are found through the file's own table first. */
    for (size_t i = 0; i < set->n_zones; i++)
        if (set->zones[i]->name[0] == '@' && strcmp(set->zones[i]->name + 1, name) == 0)
            return set->zones[i];
    if (strcasecmp(name, "UTC") == 0 || strcasecmp(name, "Etc/UTC") == 0 ||
        strcasecmp(name, "GMT") == 0)
        name = "UTC";
    cw_tz *tz;
    cw_error e;
    if (cw_tz_open(&tz, name, &e))
        return NULL;
    char *nn = cw_asprintf("@%s", name);
    if (!nn || cal_set_adopt_zone(set, tz)) {
        free(nn);
        cw_tz_free(tz);
        return NULL;
    }
    free(tz->name);
    tz->name = nn;
    return tz;
}

static void ctx_free(load_ctx *c)
{
    free(c->text);
    free(c->line_off);
    free(c->ev_begin);
    free(c->ev_end);
    for (size_t i = 0; i < c->n_zones; i++)
        free(c->ztzid[i]);
    free(c->ztzid);
    free(c->zone);
    file_free(c->file);
}

static void collect_vevents(icalcomponent *root, icalcomponent ***out, size_t *n, size_t *cap,
                            icalcomponent ***cals, size_t *nc, size_t *capc, int *oom)
{
    icalcomponent_kind k = icalcomponent_isa(root);
    if (k == ICAL_VCALENDAR_COMPONENT) {
        if (push_ptr((void ***)cals, nc, capc, root))
            *oom = 1;
        icalcompiter ci = icalcomponent_begin_component(root, ICAL_VEVENT_COMPONENT);
        for (icalcomponent *e; (e = icalcompiter_deref(&ci)) != NULL; icalcompiter_next(&ci))
            if (push_ptr((void ***)out, n, cap, e))
                *oom = 1;
        return;
    }
    if (k == ICAL_XROOT_COMPONENT) {
        icalcompiter ci = icalcomponent_begin_component(root, ICAL_VCALENDAR_COMPONENT);
        for (icalcomponent *e; (e = icalcompiter_deref(&ci)) != NULL; icalcompiter_next(&ci))
            collect_vevents(e, out, n, cap, cals, nc, capc, oom);
    }
}

static int load_zones(load_ctx *c, icalcomponent *cal)
{
    icalcompiter ci = icalcomponent_begin_component(cal, ICAL_VTIMEZONE_COMPONENT);
    for (icalcomponent *z; (z = icalcompiter_deref(&ci)) != NULL; icalcompiter_next(&ci)) {
        icalproperty *p = icalcomponent_get_first_property(z, ICAL_TZID_PROPERTY);
        const char *tzid = p ? icalproperty_get_tzid(p) : NULL;
        if (!tzid || !*tzid || file_zone(c, tzid))
            continue;
        cw_tz *tz;
        cw_error e;
        if (cw_tz_from_vtimezone(&tz, tzid, z, &e)) {
            if (e.text[0] && strstr(e.text, "memory"))
                return CW_ENOMEM;
            /* an empty VTIMEZONE: the TZID may still name a system zone */
            diag(c, CW_DIAG_WARNING, 1, "VTIMEZONE '%s' has no usable STANDARD or DAYLIGHT "
                 "part (the system zone of that name is used if there is one)", tzid);
            continue;
        }
        char **nt = realloc(c->ztzid, (c->n_zones + 1) * sizeof *nt);
        if (nt)
            c->ztzid = nt;
        cw_tz **nz = realloc(c->zone, (c->n_zones + 1) * sizeof *nz);
        if (nz)
            c->zone = nz;
        char *name = cw_strdup(tzid);
        if (!nt || !nz || !name || cal_set_adopt_zone(c->set, tz)) {
            free(name);
            cw_tz_free(tz);
            return CW_ENOMEM;
        }
        c->ztzid[c->n_zones] = name;
        c->zone[c->n_zones] = tz;
        c->n_zones++;
    }
    return 0;
}

static void check_dtstart_on_rule(load_ctx *c, cal_comp *m)
{
    if (m->n_rrules == 0 || m->until_before_start)
        return;
    for (size_t i = 0; i < m->n_rdates; i++)
        if (m->rdates[i].t.kind == m->dtstart.kind && m->rdates[i].t.wall == m->dtstart.wall)
            return;
    int any = 0;
    for (size_t i = 0; i < m->n_rrules; i++) {
        int64_t first;
        int r = cal_rrule_first(m, &m->rrules[i], &first);
        if (r == 1 && first == m->dtstart.wall)
            return;
        if (r == 1)
            any = 1;
    }
    cw_civil cv;
    cw_civil_from_wall(m->dtstart.wall, &cv);
    diag(c, CW_DIAG_WARNING, m->line,
         "DTSTART %04d-%02d-%02d %02d:%02d of '%s' is not an occurrence of its RRULE (it is "
         "not scheduled%s; move DTSTART onto the rule or add it as an RDATE)", cv.year,
         cv.month, cv.day, cv.hour, cv.minute, m->uid,
         any ? "" : " and the rule yields nothing");
}

int cw_calset_add_data(cw_calset *set, const char *data, size_t len, const char *label,
                       int priority, cw_diags *diags, cw_error *err)
{
    cw_cal_lib_init();
    load_ctx c;
    memset(&c, 0, sizeof c);
    c.set = set;
    c.source = label ? label : "";
    c.diags = diags;
    size_t first_diag = diags ? diags->n : 0;
    int rc = 0;
    icalcomponent *root = NULL;
    icalcomponent **evs = NULL, **cals = NULL;
    size_t n_evs = 0, cap_evs = 0, n_cals = 0, cap_cals = 0;
    raw_comp *rcs = NULL;
    size_t n_rcs = 0;

    if (len > CW_CAL_MAX_BYTES) {
        diag(&c, CW_DIAG_ERROR, 0, "the file is larger than %d MiB (split the calendar or "
             "export a shorter range)", CW_CAL_MAX_BYTES / (1024 * 1024));
        rc = cw_fail(err, CW_ELIMIT, c.source, 0, "the file is larger than %d MiB (split the "
                     "calendar or export a shorter range)", CW_CAL_MAX_BYTES / (1024 * 1024));
        goto done;
    }
    if ((rc = normalise(&c, data ? data : "", data ? len : 0)) != 0)
        goto refused;
    if ((rc = scan_structure(&c)) != 0)
        goto refused;
    c.file = calloc(1, sizeof *c.file);
    if (!c.file || !(c.file->label = cw_strdup(c.source))) {
        rc = CW_ENOMEM;
        goto refused;
    }
    c.file->priority = priority;
    root = icalparser_parse_string(c.text);
    if (!root) {
        diag(&c, CW_DIAG_ERROR, 1, "libical cannot parse the file (export the calendar "
             "again)");
        rc = CW_EINVAL;
        goto refused;
    }
    int oom = 0;
    collect_vevents(root, &evs, &n_evs, &cap_evs, &cals, &n_cals, &cap_cals, &oom);
    if (oom) {
        rc = CW_ENOMEM;
        goto refused;
    }
    for (size_t i = 0; i < n_cals; i++)
        if ((rc = load_zones(&c, cals[i])) != 0)
            goto refused;
    if (n_evs != c.n_ev) {
        /* The structural scan and libical disagree (odd folding): lines are approximate. */
        diag(&c, CW_DIAG_WARNING, 1, "the file's structure is unusual (line numbers of "
             "events may be approximate)");
    }
    rcs = calloc(n_evs ? n_evs : 1, sizeof *rcs);
    if (!rcs) {
        rc = CW_ENOMEM;
        goto refused;
    }
    for (size_t i = 0; i < n_evs; i++) {
        int a = i < c.n_ev ? c.ev_begin[i] : 1;
        int b = i < c.n_ev ? c.ev_end[i] : (int)c.n_lines + 1;
        raw_comp rcx;
        memset(&rcx, 0, sizeof rcx);
        cal_comp *k = read_event(&c, evs[i], a, b, &rcx);
        if (c.oom) {
            comp_free(k);
            rc = CW_ENOMEM;
            goto refused;
        }
        if (!k)
            continue;
        rcx.k = k;
        rcs[n_rcs++] = rcx;
    }
    /* VCALENDAR-level errors (outside events) */
    for (size_t i = 0; i < n_cals; i++) {
        int fatal = 0;
        lic_errors(&c, cals[i], 0, (int)c.n_lines + 1, &fatal);
    }
    icalcomponent_free(root);
    root = NULL;
    if (c.errors) {
        for (size_t i = 0; i < n_rcs; i++)
            comp_free(rcs[i].k);
        n_rcs = 0;
        rc = CW_EINVAL;
        goto refused;
    }
    if ((rc = group_events(&c, rcs, n_rcs)) != 0)
        goto refused;
    for (size_t i = 0; i < c.file->n_events; i++) {
        cal_event *e = &c.file->events[i];
        if (e->master) {
            finish_meaning(e->master);
            check_dtstart_on_rule(&c, e->master);
        }
        for (size_t j = 0; j < e->n_ovr; j++)
            finish_meaning(e->ovr[j]);
    }
    for (size_t i = 0; i < c.file->n_events; i++) {
        cal_event *e = &c.file->events[i];
        if (e->master && !e->master->uid[0])
            c.oom = 1;
    }
    if (c.oom) {
        rc = CW_ENOMEM;
        goto refused;
    }
    cal_file **nf = realloc(set->files, (set->n_files + 1) * sizeof *nf);
    if (!nf) {
        rc = CW_ENOMEM;
        goto refused;
    }
    set->files = nf;
    set->files[set->n_files++] = c.file;
    c.file = NULL;
    rc = 0;
    goto done;

refused:
    if (rc == CW_ENOMEM || c.oom)
        rc = cw_fail(err, CW_ENOMEM, c.source, 0, "out of memory reading the calendar");
    else if (rc == CW_ELIMIT)
        rc = cw_fail(err, CW_ELIMIT, c.source, 0, "the calendar exceeds a size or nesting "
                     "limit (see the diagnostics)");
    else
        rc = cw_fail(err, CW_EINVAL, c.source, 0, "the calendar has %zu error%s (run "
                     "'chalkwave calendar check' and fix them)", c.errors,
                     c.errors == 1 ? "" : "s");
done:
    if (diags && diags->n > first_diag + 1) {
        /* in line order (stable: insertion sort of this file's diagnostics) */
        for (size_t i = first_diag + 1; i < diags->n; i++) {
            cw_diag x = diags->v[i];
            size_t j = i;
            while (j > first_diag && diags->v[j - 1].line > x.line) {
                diags->v[j] = diags->v[j - 1];
                j--;
            }
            diags->v[j] = x;
        }
    }
    if (root)
        icalcomponent_free(root);
    free(evs);
    free(cals);
    if (rcs) {
        for (size_t i = 0; i < n_rcs; i++)
            comp_free(rcs[i].k);
        free(rcs);
    }
    ctx_free(&c);
    return rc;
}

int cw_calset_add_file(cw_calset *set, const char *path, const char *label, int priority,
                       cw_diags *diags, cw_error *err)
{
    char *data = NULL;
    size_t len = 0;
    cw_error e;
    cw_error_clear(&e);
    int rc = cw_read_file(path, CW_CAL_MAX_BYTES, &data, &len, &e);
    if (rc) {
        if (rc == CW_ELIMIT || strstr(e.text, "large") || strstr(e.text, "big")) {
            load_ctx c;
            memset(&c, 0, sizeof c);
            c.source = path;
            c.diags = diags;
            diag(&c, CW_DIAG_ERROR, 0, "the file is larger than %d MiB (split the calendar "
                 "or export a shorter range)", CW_CAL_MAX_BYTES / (1024 * 1024));
            return cw_fail(err, CW_ELIMIT, path, 0, "the file is larger than %d MiB (split "
                           "the calendar or export a shorter range)",
                           CW_CAL_MAX_BYTES / (1024 * 1024));
        }
        if (err)
            *err = e;
        return rc;
    }
    rc = cw_calset_add_data(set, data, len, label ? label : path, priority, diags, err);
    free(data);
    return rc;
}
