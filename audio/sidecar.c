/* sidecar.c — teachers' notes beside inbox recordings (NAME.txt, "Key: value" lines) and the
 * default title taken from a file name.
 * Guarantees: any bytes give either metadata or one error naming the line, never a crash;
 * every string handed back is valid UTF-8 without line breaks, and text quoted in notes or
 * errors carries no control characters (a hostile note cannot drive the terminal). */
#include "audio.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- bytes to UTF-8 text with '\n' line ends ---------------------------------------- */

static void put_cp(cw_buf *b, unsigned cp)
{
    unsigned char u[4];
    if (cp < 0x80) {
        u[0] = (unsigned char)cp;
        cw_buf_append(b, u, 1);
    } else if (cp < 0x800) {
        u[0] = (unsigned char)(0xC0 | (cp >> 6));
        u[1] = (unsigned char)(0x80 | (cp & 0x3F));
        cw_buf_append(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (unsigned char)(0xE0 | (cp >> 12));
        u[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (unsigned char)(0x80 | (cp & 0x3F));
        cw_buf_append(b, u, 3);
    } else {
        u[0] = (unsigned char)(0xF0 | (cp >> 18));
        u[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (unsigned char)(0x80 | (cp & 0x3F));
        cw_buf_append(b, u, 4);
    }
}

/* What the decoding repaired, reported once each with the first line concerned. */
typedef struct repairs {
    int cp1252_line;   /* bytes that were not UTF-8, read as Windows-1252 */
    int surrogate_line; /* UTF-16 with a broken surrogate pair */
    int odd_byte;      /* UTF-16 with an odd number of bytes */
} repairs;

/* A NUL byte means the note is binary (or UTF-16 without its BOM): refuse it. */
static int nul_error(cw_error *err, int line)
{
    return cw_fail(err, CW_EINVAL, "", line, "line %d: the note contains a NUL byte, so it is not "
                   "plain text (save it as plain text, UTF-8)", line);
}

/* UTF-16 (after its BOM) to UTF-8. */
static int from_utf16(const unsigned char *s, size_t n, int big_endian, cw_buf *b, repairs *rp,
                      cw_error *err)
{
    int line = 1;
    size_t i = 0;
    for (; i + 1 < n; i += 2) {
        unsigned u = big_endian ? (unsigned)s[i] << 8 | s[i + 1] : (unsigned)s[i + 1] << 8 | s[i];
        if (u == 0)
            return nul_error(err, line);
        if (u >= 0xD800 && u <= 0xDBFF && i + 3 < n) {
            unsigned v = big_endian ? (unsigned)s[i + 2] << 8 | s[i + 3]
                                    : (unsigned)s[i + 3] << 8 | s[i + 2];
            if (v >= 0xDC00 && v <= 0xDFFF) {
                put_cp(b, 0x10000 + ((u - 0xD800) << 10) + (v - 0xDC00));
                i += 2;
                continue;
            }
        }
        if (u >= 0xD800 && u <= 0xDFFF) {
            if (!rp->surrogate_line)
                rp->surrogate_line = line;
            u = 0xFFFD;
        }
        if (u == '\n')
            line++;
        put_cp(b, u);
    }
    if (i < n)
        rp->odd_byte = 1;
    return 0;
}

/* UTF-8 (per byte: Windows-1252 where it is not UTF-8) to UTF-8. */
static int from_8bit(const unsigned char *s, size_t n, cw_buf *b, repairs *rp, cw_error *err)
{
    static const unsigned short cp1252[32] = {
        0x20AC, 0xFFFD, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
        0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0xFFFD, 0x017D, 0xFFFD,
        0xFFFD, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
        0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0xFFFD, 0x017E, 0x0178};
    int line = 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c == 0)
            return nul_error(err, line);
        if (c == '\n' || (c == '\r' && !(i + 1 < n && s[i + 1] == '\n')))
            line++;
        if (c < 0x80) {
            cw_buf_append(b, &c, 1);
            continue;
        }
        size_t k = cw_utf8_seq_len(s + i, n - i);
        if (k) {
            cw_buf_append(b, s + i, k);
            i += k - 1;
            continue;
        }
        if (!rp->cp1252_line)
            rp->cp1252_line = line;
        put_cp(b, c < 0xA0 ? cp1252[c - 0x80] : c);
    }
    return 0;
}

/* ---- quoting into messages ---------------------------------------------------------- */

/* At most `max` bytes of s (valid UTF-8), cut at a character boundary, control characters
 * shown as '?', "..." when cut: safe to print on a terminal. */
static void quote(char *out, size_t cap, const char *s, size_t max)
{
    size_t o = 0, i = 0, n = strlen(s);
    if (max + 4 > cap)
        max = cap > 4 ? cap - 4 : 0;
    while (i < n) {
        size_t k = cw_utf8_seq_len((const unsigned char *)s + i, n - i);
        if (!k)
            k = 1;
        if (o + k > max) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        unsigned char c = (unsigned char)s[i];
        if (k == 1 && (c < 0x20 || c == 0x7F)) {
            out[o++] = '?';
        } else if (k == 2 && c == 0xC2 && (unsigned char)s[i + 1] < 0xA0) {
            out[o++] = '?'; /* C1 controls (U+0080..U+009F) */
        } else {
            memcpy(out + o, s + i, k);
            o += k;
        }
        i += k;
    }
    out[o] = 0;
}

/* ---- lines -------------------------------------------------------------------------- */

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Trim spaces and tabs (and a non-breaking space U+00A0, which word processors leave). */
static char *trim(char *s, char *end)
{
    for (;;) {
        if (s < end && is_blank(*s))
            s++;
        else if (end - s >= 2 && (unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA0)
            s += 2;
        else
            break;
    }
    for (;;) {
        if (end > s && is_blank(end[-1]))
            end--;
        else if (end - s >= 2 && (unsigned char)end[-2] == 0xC2 && (unsigned char)end[-1] == 0xA0)
            end -= 2;
        else
            break;
    }
    *end = 0;
    return s;
}

typedef struct field {
    const char *key;  /* lower case, '-' separated */
    size_t offset;    /* of the char* in cw_sidecar; (size_t)-1 for the typed keys */
} field;

#define STR_FIELD(k, m) {k, offsetof(cw_sidecar, m)}
static const field FIELDS[] = {
    STR_FIELD("series", series),           STR_FIELD("title", title),
    STR_FIELD("teacher", teacher),         STR_FIELD("artist", teacher),
    STR_FIELD("language", language),       STR_FIELD("description", description),
    STR_FIELD("date", date),               STR_FIELD("valid-from", valid_from),
    STR_FIELD("valid-until", valid_until), {"episode", (size_t)-1},
    {"kind", (size_t)-1},                  {"replace", (size_t)-1},
};

typedef struct parser {
    cw_sidecar *out;
    cw_strlist *notes;
    size_t n_notes, dropped;
    int oom;
    int first_line[sizeof FIELDS / sizeof FIELDS[0]]; /* where each key was first given */
} parser;

static void note(parser *p, const char *fmt, ...) CW_PRINTF(2, 3);
static void note(parser *p, const char *fmt, ...)
{
    if (!p->notes)
        return;
    if (p->n_notes >= CW_SIDECAR_MAX_NOTES) {
        p->dropped++;
        return;
    }
    char buf[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (cw_strlist_push(p->notes, buf))
        p->oom = 1;
    p->n_notes++;
}

static int parse_episode(const char *v, int *out)
{
    /* digits only (leading zeros fine: "003"); strtol alone would take "+3", " 3", "3b" */
    size_t n = strlen(v);
    if (n == 0 || n > 9)
        return -1;
    long e = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        e = e * 10 + (v[i] - '0');
    }
    if (e < 1 || e > 999)
        return -1;
    *out = (int)e;
    return 0;
}

/* One "Key: value" line (NUL-terminated, no line break). */
static int parse_line(parser *p, char *l, int line, cw_error *err)
{
    char *end = l + strlen(l);
    char *s = trim(l, end);
    if (!*s || *s == '#')
        return 0;
    char q[128];
    char *colon = strchr(s, ':');
    if (!colon) {
        quote(q, sizeof q, s, 40);
        note(p, "line %d: '%s' is not a 'Key: value' line, ignored (write e.g. 'Title: "
             "Fractions')", line, q);
        return 0;
    }
    char *k = trim(s, colon);
    char *v = trim(colon + 1, colon + 1 + strlen(colon + 1));
    for (char *c = k; *c; c++)
        if (*c == ' ' || *c == '_' || *c == '\t')
            *c = '-';
    size_t fi = 0, nf = sizeof FIELDS / sizeof FIELDS[0];
    while (fi < nf && strcasecmp(k, FIELDS[fi].key) != 0)
        fi++;
    if (fi == nf) {
        quote(q, sizeof q, k, 40);
        note(p, "line %d: unknown key '%s' ignored (known: Series, Episode, Title, Teacher, "
             "Language, Kind, Description, Date, Valid-From, Valid-Until, Replace)", line, q);
        return 0;
    }
    if (!*v)
        return 0; /* "Title:" left empty in a template: not given */
    /* Teacher and Artist fill one field: the first of them wins */
    size_t slot = fi;
    if (!strcmp(FIELDS[fi].key, "artist"))
        while (slot > 0 && strcmp(FIELDS[slot].key, "teacher") != 0)
            slot--;
    if (p->first_line[slot]) {
        quote(q, sizeof q, k, 40);
        note(p, "line %d: '%s' is given again, ignored (line %d's value is used; keep one)", line, q,
             p->first_line[slot]);
        return 0;
    }
    if (!strcmp(FIELDS[fi].key, "episode")) {
        int e = 0;
        if (parse_episode(v, &e)) {
            quote(q, sizeof q, v, 40);
            return cw_fail(err, CW_EINVAL, "", line, "line %d: episode '%s' is not a number from "
                           "1 to 999 (write e.g. 'Episode: 3')", line, q);
        }
        p->out->episode = e;
    } else if (!strcmp(FIELDS[fi].key, "kind")) {
        cw_kind kk = cw_kind_parse(v);
        if (kk != CW_KIND_LESSON && kk != CW_KIND_NEWSLETTER && kk != CW_KIND_FILLER) {
            quote(q, sizeof q, v, 40);
            return cw_fail(err, CW_EINVAL, "", line, "line %d: kind '%s' is not lesson, newsletter "
                           "or filler (write e.g. 'Kind: lesson')", line, q);
        }
        p->out->kind = kk;
    } else if (!strcmp(FIELDS[fi].key, "replace")) {
        static const char *const yes[] = {"yes", "y", "true", "1", "on"};
        static const char *const no[] = {"no", "n", "false", "0", "off"};
        int r = 0;
        for (size_t i = 0; i < 5 && !r; i++)
            r = !strcasecmp(v, yes[i]) ? 1 : !strcasecmp(v, no[i]) ? -1 : 0;
        if (!r) {
            quote(q, sizeof q, v, 40);
            return cw_fail(err, CW_EINVAL, "", line, "line %d: replace '%s' is not yes or no "
                           "(write 'Replace: yes' to replace an episode already stored)", line,
                           q);
        }
        p->out->replace = r;
    } else {
        char **dst = (char **)((char *)p->out + FIELDS[slot].offset);
        *dst = cw_strdup(v);
        if (!*dst)
            return cw_fail(err, CW_ENOMEM, "", line, "out of memory reading the note");
    }
    p->first_line[slot] = line;
    return 0;
}

void cw_sidecar_clear(cw_sidecar *s)
{
    if (!s)
        return;
    free(s->series);
    free(s->title);
    free(s->teacher);
    free(s->language);
    free(s->description);
    free(s->date);
    free(s->valid_from);
    free(s->valid_until);
    memset(s, 0, sizeof *s);
}

int cw_sidecar_parse(const char *text, size_t len, cw_sidecar *out, cw_strlist *notes,
                     cw_error *err)
{
    memset(out, 0, sizeof *out);
    const unsigned char *s = (const unsigned char *)(text ? text : "");
    if (!text)
        len = 0;
    cw_buf b;
    cw_buf_init(&b);
    repairs rp = {0};
    int rc;
    if (len >= 2 && ((s[0] == 0xFF && s[1] == 0xFE) || (s[0] == 0xFE && s[1] == 0xFF))) {
        /* Windows Notepad's "Unicode" */
        rc = from_utf16(s + 2, len - 2, s[0] == 0xFE, &b, &rp, err);
    } else {
        if (len >= 3 && !memcmp(s, "\xef\xbb\xbf", 3)) {
            s += 3; /* Notepad's UTF-8 byte order mark: harmless, dropped */
            len -= 3;
        }
        rc = from_8bit(s, len, &b, &rp, err);
    }
    cw_buf_append(&b, "", 0);
    if (!rc && b.oom)
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory reading the note");
    if (rc) {
        cw_buf_free(&b);
        return rc;
    }
    parser p = {.out = out, .notes = notes};
    if (rp.cp1252_line)
        note(&p, "line %d: text that is not UTF-8, read as Windows-1252 (save the note as UTF-8)",
             rp.cp1252_line);
    if (rp.surrogate_line)
        note(&p, "line %d: a broken UTF-16 character, shown as U+FFFD (retype it)", rp.surrogate_line);
    if (rp.odd_byte)
        note(&p, "the note is UTF-16 but ends in half a character, which was ignored");
    /* split at LF, CRLF or a lone CR; every line counts, blank ones too */
    char *t = b.data;
    size_t n = b.len;
    int line = 0;
    for (size_t i = 0; i <= n && !rc;) {
        size_t j = i;
        while (j < n && t[j] != '\n' && t[j] != '\r')
            j++;
        size_t next = j + 1;
        if (j < n && t[j] == '\r' && j + 1 < n && t[j + 1] == '\n')
            next = j + 2;
        if (j == n && i == n)
            break; /* nothing after the last line end */
        t[j] = 0;
        line++;
        rc = parse_line(&p, t + i, line, err);
        i = next;
    }
    if (!rc && p.dropped && notes && cw_strlist_pushf(notes, "... and %zu more lines with problems "
                                                      "(fix the note)", p.dropped))
        p.oom = 1;
    if (!rc && p.oom)
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory reading the note");
    cw_buf_free(&b);
    if (rc)
        cw_sidecar_clear(out);
    return rc;
}

/* ---- default titles ----------------------------------------------------------------- */

int cw_default_title(const char *path, char *out, size_t cap, size_t max)
{
    if (cap == 0)
        return 0;
    if (max >= cap)
        max = cap - 1;
    const char *b = cw_path_base(path ? path : "");
    const char *dot = strrchr(b, '.');
    size_t n = dot && dot != b ? (size_t)(dot - b) : strlen(b);
    int shortened = 0;
    if (n > max) {
        shortened = 1;
        size_t cut = max;
        /* back off over continuation bytes to the start of the character at `cut`, but
         * only when the stem is UTF-8 there (else a plain byte cut) */
        size_t start = cut;
        while (start > 0 && ((unsigned char)b[start] & 0xC0) == 0x80 && cut - start < 3)
            start--;
        if (start < cut && cw_utf8_seq_len((const unsigned char *)b + start, n - start) > cut - start)
            cut = start;
        n = cut;
    }
    for (size_t i = 0; i < n; i++)
        out[i] = b[i] == '_' ? ' ' : b[i];
    out[n] = 0;
    /* no trailing space where the cut fell after an underscore */
    while (shortened && n > 0 && out[n - 1] == ' ')
        out[--n] = 0;
    return shortened;
}
