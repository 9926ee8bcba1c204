/* repair.c — the text libical parses, made from the file as written: what calendar apps write
 * and RFC 5545 readers tolerate is repaired here, line by line, with a warning naming the line
 * where something was assumed:
 *   - a line that is not a property (the rest of a long line written without the leading
 *     space that folds it, or a name no iCalendar RFC defines) is skipped;
 *   - VALUE="DATE" (quoted, as Proton writes it) is read as VALUE=DATE; a VALUE type on a
 *     property that carries no time (SUMMARY;VALUE=X-CUSTOM, RELATED-TO;VALUE=UID, both legal)
 *     is dropped, since chalkwave reads those values as text anyway;
 *   - an empty RRULE, EXRULE, RDATE, EXDATE, DTEND or DURATION line is ignored;
 *   - a VCALENDAR inside a VCALENDAR is flattened (text.c marks its BEGIN/END lines).
 * Guarantees: line numbers in diagnostics are those of the file as written; the repaired text
 * keeps every other line byte for byte. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "read_int.h"

/* Properties registered after RFC 5545 that libical 3.0.16 does not know (RFC 9073, 9074,
 * 9253, 7953, RFC 9555's task extensions): legal, never needed here, left out silently. */
static const char *const newer_props[] = {
    "LOCATION-TYPE", "PARTICIPANT-TYPE", "RESOURCE-TYPE", "CALENDAR-ADDRESS",
    "STYLED-DESCRIPTION", "STRUCTURED-DATA", "LINK", "REFID", "CONCEPT", "PROXIMITY",
    "BUSYTYPE", "ESTIMATED-DURATION", "REASON", "SUBSTATE", "TASK-MODE"};

/* Properties whose VALUE parameter says how to read a time or a binary value: kept. */
static const char *const valued_props[] = {"DTSTART", "DTEND", "DUE", "RECURRENCE-ID", "EXDATE",
                                           "RDATE", "DURATION", "TRIGGER", "ATTACH", "RRULE",
                                           "EXRULE", "FREEBUSY"};

/* Properties whose values are dates and date-times. */
static const char *const dated_props[] = {"DTSTART", "DTEND", "RDATE", "EXDATE", "RECURRENCE-ID"};

/* A date written with a trailing Z (Google's birthday calendar: RDATE:20131210Z) is the date:
 * the Z is taken out of every such value of line `b` (rewritten in place); 1 when it was. */
static int strip_date_z(cal_load *c, int ln, cw_buf *b)
{
    size_t v = 0;
    int quoted = 0;
    for (; v < b->len; v++) {
        if (b->data[v] == '"')
            quoted = !quoted;
        else if (b->data[v] == ':' && !quoted)
            break;
    }
    int fixed = 0;
    for (size_t i = v + 1; i < b->len;) {
        size_t j = i;
        while (j < b->len && b->data[j] != ',')
            j++;
        int digits = 1;
        for (size_t k = i; k < i + 8 && k < j; k++)
            digits &= b->data[k] >= '0' && b->data[k] <= '9';
        if (j - i == 9 && digits && (b->data[i + 8] == 'Z' || b->data[i + 8] == 'z')) {
            memmove(b->data + i + 8, b->data + i + 9, b->len - i - 9);
            b->len--;
            b->data[b->len] = 0;
            j--;
            fixed++;
        }
        i = j + 1;
    }
    if (fixed)
        cal_diag(c, CW_DIAG_WARNING, "cal.date-with-z", ln, "a date written with a Z (YYYYMMDDZ) was "
                 "read as the date (write dates as YYYYMMDD)");
    return fixed > 0;
}

/* Properties whose empty value is ignored with a warning (an empty DTSTART or RECURRENCE-ID
 * still makes the event impossible to place: libical reports it, event.c refuses it). */
static const char *const droppable_empty[] = {"RRULE", "EXRULE", "RDATE", "EXDATE", "DTEND",
                                              "DURATION"};

static int in_list(const char *const *list, size_t n, const char *name, size_t nl)
{
    for (size_t i = 0; i < n; i++)
        if (strlen(list[i]) == nl && strncasecmp(list[i], name, nl) == 0)
            return 1;
    return 0;
}

#define IN_LIST(list, name, nl) in_list(list, sizeof list / sizeof list[0], name, nl)

static int name_char(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == '-';
}

/* A content line name *(";" param) ":" value: the name's length and the offset of the ':'
 * that starts the value (outside quoted parameter values). 0 when the line is not one; 2 when
 * the closing quote of the last parameter was written after the value
 * (`DTSTART;TZID="W. Europe Standard Time:20200609T090000"`): *colon is then the last ':'
 * inside that quote. */
static int cline_parse(const char *s, size_t n, size_t *name_len, size_t *colon)
{
    size_t i = 0;
    while (i < n && name_char(s[i]))
        i++;
    if (i == 0 || i == n || (s[i] != ':' && s[i] != ';'))
        return 0;
    *name_len = i;
    int quoted = 0;
    size_t open = 0;
    for (; i < n; i++) {
        if (s[i] == '"') {
            quoted = !quoted;
            open = i;
        } else if (s[i] == ':' && !quoted) {
            *colon = i;
            return 1;
        }
    }
    if (!quoted && n > 0 && s[n - 1] == '"' && open == n - 1) {
        for (size_t k = n - 1; k > *name_len; k--)
            if (s[k] == ':' && memchr(s + *name_len, '"', k - *name_len)) {
                *colon = k;
                return 2;
            }
    }
    return 0;
}

/* The logical line starting at physical line ln, unfolded into u (without its line end);
 * *last is its last physical line. */
static void unfold(const cal_load *c, int ln, cw_buf *u, int *last)
{
    const char *s;
    size_t sl;
    u->len = 0;
    cal_line_span(c, ln, &s, &sl);
    cw_buf_append(u, s, sl);
    *last = ln;
    for (int k = ln + 1; k <= (int)c->n_lines; k++) {
        cal_line_span(c, k, &s, &sl);
        if (sl == 0 || (s[0] != ' ' && s[0] != '\t'))
            break;
        cw_buf_append(u, s + 1, sl - 1);
        *last = k;
    }
    cw_buf_append(u, "", 0); /* NUL-terminated (not counted in len) */
}

/* The parameters of u (between the name and the colon) with VALUE unquoted, or dropped when
 * `drop_value`; returns 1 and the rewritten line in out when anything changed. */
static int rewrite_params(const char *s, size_t name_len, size_t colon, size_t n, int drop_value,
                          cw_buf *out)
{
    int changed = 0;
    out->len = 0;
    cw_buf_append(out, s, name_len);
    size_t i = name_len;
    while (i < colon) { /* s[i] == ';' */
        size_t j = i + 1;
        int quoted = 0;
        while (j < colon && (quoted || s[j] != ';')) {
            if (s[j] == '"')
                quoted = !quoted;
            j++;
        }
        const char *p = s + i + 1;
        size_t pl = j - i - 1;
        if (pl > 6 && strncasecmp(p, "VALUE=", 6) == 0) {
            if (drop_value) {
                changed = 1;
            } else if (pl > 8 && p[6] == '"' && p[pl - 1] == '"') {
                cw_buf_puts(out, ";VALUE=");
                cw_buf_append(out, p + 7, pl - 8);
                changed = 1;
            } else {
                cw_buf_append(out, s + i, j - i);
            }
        } else {
            cw_buf_append(out, s + i, j - i);
        }
        i = j;
    }
    cw_buf_append(out, s + colon, n - colon);
    return changed;
}

/* Mark physical lines a..b as left out of libical's text. */
static void drop_lines(cal_load *c, int a, int b)
{
    for (int k = a; k <= b; k++)
        c->drop[k] = 1;
}

static int set_repl(cal_load *c, int ln, int last, const cw_buf *line)
{
    if (!c->repl && !(c->repl = calloc(c->n_lines + 1, sizeof *c->repl)))
        return CW_ENOMEM;
    free(c->repl[ln]);
    if (!(c->repl[ln] = cw_strndup(line->data, line->len)))
        return CW_ENOMEM;
    drop_lines(c, ln + 1, last);
    return 0;
}

typedef struct stray_run {
    int first, count;
    char text[48];
} stray_run;

static void stray_flush(cal_load *c, stray_run *r)
{
    if (!r->count)
        return;
    if (r->count == 1)
        cal_diag(c, CW_DIAG_WARNING, "cal.stray-line", r->first,
                 "this line is not an iCalendar property: '%s' (it looks like the rest of the "
                 "line above, written without the leading space that continues a line; it was "
                 "skipped)", r->text);
    else
        cal_diag(c, CW_DIAG_WARNING, "cal.stray-line", r->first,
                 "%d lines from here are not iCalendar properties, the first '%s' (they look "
                 "like the rest of the line above, written without the leading space that "
                 "continues a line; they were skipped)", r->count, r->text);
    r->count = 0;
}

static int repair_line(cal_load *c, int ln, int last, const cw_buf *u, int in_cal, stray_run *stray,
                       cw_buf *tmp);

/* One content line (not BEGIN/END) on lines ln..last, unfolded in u, inside a component
 * (`in_cal`: directly inside a VCALENDAR). */
static int repair_line(cal_load *c, int ln, int last, const cw_buf *u, int in_cal, stray_run *stray,
                       cw_buf *tmp)
{
    size_t nl, colon;
    char name[64] = "";
    int valid = cline_parse(u->data, u->len, &nl, &colon);
    if (valid == 2) {
        /* the quote closed after the value: close it before the value instead */
        tmp->len = 0;
        cw_buf_append(tmp, u->data, colon);
        cw_buf_puts(tmp, "\"");
        cw_buf_append(tmp, u->data + colon, u->len - colon - 1);
        cal_diag(c, CW_DIAG_WARNING, "cal.misquoted", ln, "a parameter's closing quote comes after "
                 "the value (it was read as closing before the ':'; correct the line)");
        if (set_repl(c, ln, last, tmp))
            return CW_ENOMEM;
        cw_buf fixed = *tmp;
        cw_buf_init(tmp);
        int rc = repair_line(c, ln, last, &fixed, in_cal, stray, tmp);
        cw_buf_free(&fixed);
        return rc;
    }
    if (valid && nl < sizeof name) {
        memcpy(name, u->data, nl);
        name[nl] = 0;
    }
    int known = valid && (strncasecmp(name, "X-", 2) == 0 ||
                          icalproperty_string_to_kind(name) != ICAL_NO_PROPERTY);
    if (valid && !known && IN_LIST(newer_props, u->data, nl)) {
        drop_lines(c, ln, last);
        return 0;
    }
    if (valid && !known) {
        stray_flush(c, stray);
        cal_diag(c, CW_DIAG_WARNING, "cal.unknown-property", ln, "unknown property '%s' (no iCalendar "
                 "RFC defines it; it was ignored)", name[0] ? name : "?");
        drop_lines(c, ln, last);
        return 0;
    }
    if (!valid) {
        if (!stray->count) {
            stray->first = ln;
            size_t k = 0;
            for (size_t i = 0; i < u->len && k + 4 < sizeof stray->text; i++)
                stray->text[k++] = (u->data[i] == '\'' ? '"' : u->data[i]);
            if (u->len > k)
                memcpy(stray->text + (k > sizeof stray->text - 4 ? sizeof stray->text - 4 : k), "...", 4);
            else
                stray->text[k] = 0;
        }
        stray->count++;
        drop_lines(c, ln, last);
        return 0;
    }
    stray_flush(c, stray);
    const char *value = u->data + colon + 1;
    size_t vl = u->len - colon - 1;
    while (vl > 0 && (value[vl - 1] == ' ' || value[vl - 1] == '\t'))
        vl--;
    if (vl == 0 && IN_LIST(droppable_empty, name, nl)) {
        cal_diag(c, CW_DIAG_WARNING, "cal.empty-value", ln,
                 "%s has no value (the line was ignored; remove it from the calendar)", name);
        drop_lines(c, ln, last);
        return 0;
    }
    if (in_cal && strcasecmp(name, "X-WR-TIMEZONE") == 0 && !c->x_wr_tz && vl > 0) {
        c->x_wr_tz = cw_strndup(value, vl);
        c->x_wr_line = ln;
        if (!c->x_wr_tz)
            return CW_ENOMEM;
    }
    int changed = colon > nl && rewrite_params(u->data, nl, colon, u->len,
                                               !IN_LIST(valued_props, name, nl), tmp);
    if (!changed) {
        tmp->len = 0;
        cw_buf_append(tmp, u->data, u->len);
    }
    if (IN_LIST(dated_props, name, nl) && strip_date_z(c, ln, tmp))
        changed = 1;
    return changed ? set_repl(c, ln, last, tmp) : 0;
}

/* libical's text from the file's lines (c->drop and c->repl applied). */
static int build_text(cal_load *c)
{
    cw_buf b;
    cw_buf_init(&b);
    if (c->wrapped)
        cw_buf_puts(&b, "BEGIN:VCALENDAR\n");
    for (int ln = 1; ln <= (int)c->n_lines; ln++) {
        if (c->drop[ln])
            continue;
        if (c->repl && c->repl[ln]) {
            cw_buf_puts(&b, c->repl[ln]);
        } else {
            const char *s;
            size_t sl;
            cal_line_span(c, ln, &s, &sl);
            cw_buf_append(&b, s, sl);
        }
        cw_buf_puts(&b, "\n");
    }
    if (c->wrapped)
        cw_buf_puts(&b, "END:VCALENDAR\n");
    cw_buf_append(&b, "", 0);
    if (b.oom) {
        cw_buf_free(&b);
        return CW_ENOMEM;
    }
    c->lic = b.data;
    return 0;
}

int cal_repair(cal_load *c)
{
    cw_buf u, tmp;
    cw_buf_init(&u);
    cw_buf_init(&tmp);
    stray_run stray = {0, 0, ""};
    int rc = 0, depth = c->wrapped;
    unsigned char cal_at[CW_CAL_MAX_DEPTH + 2] = {0, 1}; /* cal_at[d]: component at depth d is a VCALENDAR */
    for (int ln = 1; ln <= (int)c->n_lines && rc == 0; ln++) {
        const char *s;
        size_t sl;
        cal_line_span(c, ln, &s, &sl);
        size_t tl = sl;
        while (tl > 0 && (s[tl - 1] == ' ' || s[tl - 1] == '\t'))
            tl--;
        if (tl == 0 || s[0] == ' ' || s[0] == '\t')
            continue; /* blank lines and continuations (of a line handled before) */
        if (tl > 6 && strncasecmp(s, "BEGIN:", 6) == 0) {
            stray_flush(c, &stray);
            if (depth <= CW_CAL_MAX_DEPTH)
                cal_at[depth + 1] = tl == 15 && strncasecmp(s + 6, "VCALENDAR", 9) == 0;
            depth++;
            continue;
        }
        if (tl > 4 && strncasecmp(s, "END:", 4) == 0) {
            stray_flush(c, &stray);
            depth--;
            continue;
        }
        int last;
        unfold(c, ln, &u, &last);
        if (u.oom) {
            rc = CW_ENOMEM;
            break;
        }
        rc = repair_line(c, ln, last, &u, depth >= 1 && depth <= CW_CAL_MAX_DEPTH + 1 && cal_at[depth],
                         &stray, &tmp);
        ln = last;
    }
    stray_flush(c, &stray);
    if (tmp.oom)
        rc = CW_ENOMEM;
    cw_buf_free(&u);
    cw_buf_free(&tmp);
    return rc ? rc : build_text(c);
}
