/* cal_test_util.h — helpers of the calendars unit tests: load an iCalendar text written with
 * LF line ends (turned into CRLF), look for diagnostics by code, expand a window. */
#ifndef CAL_TEST_UTIL_H
#define CAL_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "calendars.h"

static inline int64_t T(int y, int mo, int d, int h, int mi)
{
    return cw_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

/* body: the lines inside BEGIN:VCALENDAR .. END:VCALENDAR, '\n'-separated. Added as file
 * "t.ics" to *set (created with `zone`, NULL: no station). Returns the add's result. */
static inline int load_opts(cw_calset **set, const char *zone, const char *body, int holidays,
                            cw_diags *d)
{
    size_t n = strlen(body);
    char *text = malloc(n * 2 + 200);
    assert_non_null(text);
    size_t k = (size_t)sprintf(text, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n");
    for (size_t i = 0; i < n; i++) {
        if (body[i] == '\n')
            text[k++] = '\r';
        text[k++] = body[i];
    }
    if (n && body[n - 1] != '\n')
        text[k++] = '\r', text[k++] = '\n';
    k += (size_t)sprintf(text + k, "END:VCALENDAR\r\n");
    if (!*set)
        *set = cw_calset_new(zone);
    assert_non_null(*set);
    memset(d, 0, sizeof *d);
    cw_error err;
    cw_cal_file_opts o = {"t.ics", 0, holidays};
    int rc = cw_calset_add_data_opts(*set, text, k, &o, d, &err);
    free(text);
    return rc;
}

static inline cw_calset *load_ok(const char *zone, const char *body, cw_diags *d)
{
    cw_calset *set = NULL;
    int rc = load_opts(&set, zone, body, 0, d);
    if (rc)
        fail_msg("load: rc %d, %zu diags, first: %s", rc, d->n, d->n ? d->v[0].text : "");
    return set;
}

/* How many diagnostics have `code`; the text of the first in *text when not NULL. */
static inline int count_code(const cw_diags *d, const char *code, const char **text)
{
    int n = 0;
    for (size_t i = 0; i < d->n; i++)
        if (d->v[i].code && strcmp(d->v[i].code, code) == 0) {
            if (!n && text)
                *text = d->v[i].text;
            n++;
        }
    return n;
}

static inline void dump_diags(const cw_diags *d)
{
    for (size_t i = 0; i < d->n; i++)
        print_message("  %s:%d %s: %s\n", d->v[i].code ? d->v[i].code : "-", d->v[i].line,
                      d->v[i].severity == CW_DIAG_ERROR ? "error" : "warning", d->v[i].text);
}

#define EXPECT_CODE(d, code, n)                                                                    \
    do {                                                                                           \
        if (count_code((d), (code), NULL) != (n)) {                                                \
            dump_diags(d);                                                                         \
            fail_msg("%d diagnostics %s, wanted %d", count_code((d), (code), NULL), (code), (n)); \
        }                                                                                          \
    } while (0)

static inline cw_occurrences expand_all(const cw_calset *set, int64_t from, int64_t to)
{
    cw_occurrences o;
    cw_error err;
    int rc = cw_calset_expand(set, from, to, 0, &o, &err);
    if (rc)
        fail_msg("expand: %s", err.text);
    return o;
}

#endif
