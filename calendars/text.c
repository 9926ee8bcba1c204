/* text.c — a calendar file's bytes made readable: BOM, NUL, CR-only line ends and non-UTF-8
 * text repaired (or refused) with a diagnostic, and the BEGIN/END structure scanned with line
 * numbers. Guarantees: line numbers refer to the file as written. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "read_int.h"

static int starts_ci(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

void cal_line_span(const cal_load *c, int line, const char **s, size_t *n)
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

/* Returns 0, or an error code with a diagnostic already given. */
int cal_normalise(cal_load *c, const char *data, size_t len)
{
    const unsigned char *s = (const unsigned char *)data;
    size_t i = 0;
    if (len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
        cal_diag(c, CW_DIAG_WARNING, "cal.bom", 1,
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
            cal_diag(c, CW_DIAG_ERROR, "cal.nul-byte", line,
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
        cal_diag(c, CW_DIAG_WARNING, "cal.cr-only", cr_only,
             "the file uses CR-only line ends (they were read as line ends; save it with "
             "CRLF line ends)");
    if (bad_utf8_line)
        cal_diag(c, CW_DIAG_WARNING, "cal.not-utf8", bad_utf8_line,
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

/* The line table: c->line_off[i] is where line i + 1 starts. */
static int index_lines(cal_load *c)
{
    size_t n = 1;
    for (size_t i = 0; i < c->len; i++)
        if (c->text[i] == '\n')
            n++;
    c->line_off = malloc(n * sizeof *c->line_off);
    c->drop = calloc(n + 1, 1);
    if (!c->line_off || !c->drop)
        return CW_ENOMEM;
    c->n_lines = 0;
    c->line_off[c->n_lines++] = 0;
    for (size_t i = 0; i < c->len; i++)
        if (c->text[i] == '\n' && c->n_lines < n)
            c->line_off[c->n_lines++] = i + 1;
    if (c->n_lines > 1 && c->line_off[c->n_lines - 1] == c->len)
        c->n_lines--; /* the final LF does not start a line */
    return 0;
}

typedef struct scan_frame {
    const char *name;
    size_t len;
    int line;
} scan_frame;

static int push_event(cal_load *c, int line)
{
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
    c->ev_begin[c->n_ev] = line;
    c->ev_end[c->n_ev] = line;
    c->n_ev++;
    return 0;
}

/* BEGIN:NAME (s/sl, the whole line) on line ln at stack depth *depth. A VEVENT whose parent
 * is a VCALENDAR is recorded; a VCALENDAR inside a VCALENDAR is flattened (its BEGIN and
 * END lines are left out of libical's text, its events read as the outer calendar's). */
static int scan_begin(cal_load *c, scan_frame *stack, int *depth, int ln, const char *s, size_t sl)
{
    int is_cal = name_eq(s + 6, sl - 6, "VCALENDAR", 9);
    if (*depth == 0 && !is_cal) {
        cal_diag(c, CW_DIAG_ERROR, "cal.outside-vcalendar", ln,
                 "BEGIN:%.*s outside of a VCALENDAR (the file is malformed; export it again)",
                 (int)(sl - 6 > 40 ? 40 : sl - 6), s + 6);
        return CW_EINVAL;
    }
    if (*depth >= CW_CAL_MAX_DEPTH) {
        cal_diag(c, CW_DIAG_ERROR, "cal.too-deep", ln,
                 "components nested deeper than %d levels (the file is malformed or hostile; "
                 "export it again)", CW_CAL_MAX_DEPTH);
        return CW_ELIMIT;
    }
    if (is_cal && *depth > 0) {
        if (!name_eq(stack[*depth - 1].name, stack[*depth - 1].len, "VCALENDAR", 9)) {
            cal_diag(c, CW_DIAG_ERROR, "cal.misplaced-vcalendar", ln,
                     "BEGIN:VCALENDAR inside BEGIN:%.*s (the file is malformed; export it again)",
                     (int)(stack[*depth - 1].len > 40 ? 40 : stack[*depth - 1].len),
                     stack[*depth - 1].name);
            return CW_EINVAL;
        }
        c->drop[ln] = 1;
        if (!c->nested_warned++)
            cal_diag(c, CW_DIAG_WARNING, "cal.nested-vcalendar", ln,
                     "a VCALENDAR inside a VCALENDAR (its events were read as the outer "
                     "calendar's; export the calendar again to get a plain file)");
    }
    if (*depth > 0 && name_eq(s + 6, sl - 6, "VEVENT", 6) &&
        name_eq(stack[*depth - 1].name, stack[*depth - 1].len, "VCALENDAR", 9) &&
        push_event(c, ln))
        return CW_ENOMEM;
    stack[*depth] = (scan_frame){s + 6, sl - 6, ln};
    ++*depth;
    return 0;
}

static int scan_end(cal_load *c, scan_frame *stack, int *depth, int ln, const char *s, size_t sl)
{
    if (*depth == 0) {
        cal_diag(c, CW_DIAG_ERROR, "cal.unmatched-end", ln,
                 "END:%.*s without a matching BEGIN (the file is malformed; export it again)",
                 (int)(sl - 4 > 40 ? 40 : sl - 4), s + 4);
        return CW_EINVAL;
    }
    const scan_frame *top = &stack[*depth - 1];
    if (!name_eq(s + 4, sl - 4, top->name, top->len)) {
        cal_diag(c, CW_DIAG_ERROR, "cal.mismatched-end", ln,
                 "END:%.*s does not match BEGIN:%.*s on line %d (the file is malformed; "
                 "export it again)", (int)(sl - 4 > 40 ? 40 : sl - 4), s + 4,
                 (int)(top->len > 40 ? 40 : top->len), top->name, top->line);
        return CW_EINVAL;
    }
    --*depth;
    if (*depth > 0 && c->drop[top->line])
        c->drop[ln] = 1; /* the END of a flattened VCALENDAR */
    if (*depth > 0 && name_eq(s + 4, sl - 4, "VEVENT", 6) && c->n_ev &&
        c->ev_begin[c->n_ev - 1] == top->line)
        c->ev_end[c->n_ev - 1] = ln;
    return 0;
}

/* Components a file may hold bare, without their VCALENDAR. */
static int bare_component(const char *s, size_t n)
{
    return name_eq(s, n, "VEVENT", 6) || name_eq(s, n, "VTODO", 5) || name_eq(s, n, "VJOURNAL", 8) ||
           name_eq(s, n, "VFREEBUSY", 9) || name_eq(s, n, "VTIMEZONE", 9);
}

int cal_scan_structure(cal_load *c)
{
    int rc = index_lines(c);
    if (rc)
        return rc;
    scan_frame stack[CW_CAL_MAX_DEPTH + 1];
    int depth = 0, seen_any = 0;
    for (size_t ln = 1; ln <= c->n_lines && rc == 0; ln++) {
        const char *s;
        size_t sl;
        cal_line_span(c, (int)ln, &s, &sl);
        while (sl > 0 && (s[sl - 1] == ' ' || s[sl - 1] == '\t'))
            sl--;
        if (sl == 0 || s[0] == ' ' || s[0] == '\t')
            continue; /* blank, or a folded continuation */
        int is_begin = sl > 6 && starts_ci(s, "BEGIN:");
        int is_end = sl > 4 && starts_ci(s, "END:");
        if (!seen_any++ && (!is_begin || !name_eq(s + 6, sl - 6, "VCALENDAR", 9))) {
            if (!is_begin || !bare_component(s + 6, sl - 6)) {
                cal_diag(c, CW_DIAG_ERROR, "cal.not-icalendar", (int)ln,
                         "not an iCalendar file: it must start with BEGIN:VCALENDAR (export the "
                         "calendar as .ics)");
                return CW_EINVAL;
            }
            /* a bare VEVENT (what some mail programs attach): read inside a VCALENDAR that
             * is not written (line 0), as libical and calendar apps do */
            cal_diag(c, CW_DIAG_WARNING, "cal.bare-component", (int)ln,
                     "the file holds a bare %.*s, not a calendar (it was read as if inside a "
                     "VCALENDAR; export the whole calendar as .ics)", (int)(sl - 6), s + 6);
            c->wrapped = 1;
            stack[depth++] = (scan_frame){"VCALENDAR", 9, 0};
        }
        if (is_begin)
            rc = scan_begin(c, stack, &depth, (int)ln, s, sl);
        else if (is_end)
            rc = scan_end(c, stack, &depth, (int)ln, s, sl);
        else if (depth == 0) {
            cal_diag(c, CW_DIAG_ERROR, "cal.outside-vcalendar", (int)ln,
                     "text outside BEGIN:VCALENDAR ... END:VCALENDAR (the file is malformed; "
                     "export it again)");
            return CW_EINVAL;
        }
    }
    if (rc)
        return rc;
    if (!seen_any) {
        cal_diag(c, CW_DIAG_ERROR, "cal.empty-file", 1, "the file is empty (export the calendar again)");
        return CW_EINVAL;
    }
    if (c->wrapped && depth == 1)
        depth = 0; /* the VCALENDAR that is not written */
    if (depth > 0) {
        cal_diag(c, CW_DIAG_ERROR, "cal.missing-end", stack[depth - 1].line,
                 "missing END:%.*s for this BEGIN (the file is truncated; download it again)",
                 (int)(stack[depth - 1].len > 40 ? 40 : stack[depth - 1].len),
                 stack[depth - 1].name);
        return CW_EINVAL;
    }
    return 0;
}

/* Steps *ln to the next line before b (and in the file) that is the block's own: not a
 * BEGIN or END line, nor inside a nested BEGIN..END (*depth, 0 at the start, counts them).
 * Puts the line in s/sl; 0 when there is none left. */
int cal_block_next(const cal_load *c, int *ln, int b, int *depth, const char **s, size_t *sl)
{
    while (++*ln < b && *ln <= (int)c->n_lines) {
        cal_line_span(c, *ln, s, sl);
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
int cal_is_prop(const char *s, size_t sl, const char *name, size_t nl)
{
    return sl > nl && strncasecmp(s, name, nl) == 0 && (s[nl] == ':' || s[nl] == ';');
}

/* Line of the n-th (0-based) property named `name` between lines a and b; `a` if none. */
int cal_prop_line(const cal_load *c, int a, int b, const char *name, int nth)
{
    size_t nl = strlen(name);
    int depth = 0;
    const char *s;
    size_t sl;
    for (int ln = a; cal_block_next(c, &ln, b, &depth, &s, &sl);)
        if (cal_is_prop(s, sl, name, nl) && nth-- == 0)
            return ln;
    return a;
}
