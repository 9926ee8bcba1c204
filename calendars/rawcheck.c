/* rawcheck.c — checks of date values as written, before libical normalises them: a date or
 * time that does not exist (30 February, 25:00) is an error, never moved to another day. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "read_int.h"

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

/* A DURATION value (s, n bytes: [+-]P...W/D/H/M/S) longer than 10,000 years, or with a number
 * that does not fit (libical would wrap it to another length without a word): 1 and `why`. */
static int long_duration(const char *s, size_t n, char *why, size_t wn)
{
    static const struct {
        char unit;
        int64_t secs;
    } units[] = {{'W', 604800}, {'D', 86400}, {'H', 3600}, {'M', 60}, {'S', 1}};
    int64_t total = 0, v = 0;
    int digits_run = 0, too_big = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] >= '0' && s[i] <= '9') {
            if (++digits_run > 9)
                too_big = 1;
            else
                v = v * 10 + (s[i] - '0');
            continue;
        }
        for (size_t u = 0; u < sizeof units / sizeof units[0] && !too_big; u++)
            if ((s[i] == units[u].unit || s[i] == units[u].unit + 32) && digits_run)
                total += v * units[u].secs;
        digits_run = 0;
        v = 0;
    }
    if (!too_big && total <= (int64_t)10000 * 366 * 86400)
        return 0;
    snprintf(why, wn, "a duration of %.*s, longer than any calendar can hold|durations are at most "
             "10,000 years", (int)(n > 40 ? 40 : n), s);
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
        else if (k < j && long_duration(v + k + 1, j - k - 1, bad ? tmp : why, bad ? sizeof tmp : wn))
            bad++;
        i = j + 1;
    }
    return bad;
}

/* Every DTSTART, DTEND, RECURRENCE-ID, EXDATE, RDATE and RRULE UNTIL of the VEVENT on lines
 * a..b (its own properties, not those of a nested VALARM): one error per property line
 * with an impossible value. Returns the number of errors. */
int cal_raw_dates(cal_load *c, int a, int b)
{
    static const char *const props[] = {"DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE",
                                        "RRULE", "EXRULE", "DURATION"};
    int depth = 0, errors = 0;
    c->n_bad_line = 0;
    cw_buf u;
    cw_buf_init(&u);
    const char *s;
    size_t sl;
    for (int ln = a; cal_block_next(c, &ln, b, &depth, &s, &sl);) {
        if (sl == 0 || s[0] == ' ' || s[0] == '\t')
            continue;
        size_t pi = 0, np = sizeof props / sizeof props[0], nl = 0;
        for (; pi < np; pi++) {
            nl = strlen(props[pi]);
            if (cal_is_prop(s, sl, props[pi], nl))
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
            cal_line_span(c, k, &t, &tl);
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
        if (pi == 7) {
            bad = long_duration(val, vn, why, sizeof why);
        } else if (pi >= 5) { /* a rule: its UNTIL */
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
            cal_diag(c, CW_DIAG_ERROR, "cal.impossible-date", ln, "%s has %s, and %d more impossible value%s (%s; "
                 "correct them in the calendar and export it again)", what, why, bad - 1,
                 bad == 2 ? "" : "s", detail);
        else
            cal_diag(c, CW_DIAG_ERROR, pi == 7 ? "cal.duration-overflow" : "cal.impossible-date", ln,
                     "%s has %s (%s; correct it in the calendar and export it again)", what, why,
                     detail);
        errors++;
        if (c->n_bad_line < (int)(sizeof c->bad_line / sizeof c->bad_line[0]))
            c->bad_line[c->n_bad_line++] = ln;
    }
    cw_buf_free(&u);
    return errors;
}
