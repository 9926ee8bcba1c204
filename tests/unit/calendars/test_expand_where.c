/* test_expand_where.c — filtered expansion (cw_calset_expand_where) and the earliest start of
 * kept components (cw_calset_first_start), against plain expansion over random calendars
 * from a fixed seed: weekly, daily and monthly series with EXDATEs, RDATEs, overrides (moved,
 * cancelled, to another series, with an explicit Episode), one-off events, yearly all-day
 * holidays and timed blackouts, in two zones. A filtered expansion must give exactly the
 * occurrences of plain expansion that the filter accepts, in the same order; and it must
 * stay under the expansion bound where plain expansion of a heavy calendar does not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "calendars.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull); /* splitmix64 */
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int pick(int n) { return (int)(rnd() % (uint64_t)n); }
static int chance(int percent) { return pick(100) < percent; }

static const char *zones[] = {"Europe/London", "Africa/Lagos"};

/* A random partner calendar in zone tz. */
static void random_calendar(cw_buf *b, const char *tz, int cal)
{
    static const char *freq[] = {"WEEKLY;BYDAY=MO,TH", "WEEKLY;BYDAY=TU", "DAILY;INTERVAL=3",
                                 "MONTHLY;BYMONTHDAY=5,20", "WEEKLY;INTERVAL=2;BYDAY=WE,FR"};
    cw_buf_puts(b, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//chalkwave tests//EN\r\n");
    int nev = 3 + pick(5);
    for (int e = 0; e < nev; e++) {
        int y = 2022 + pick(4), m = 1 + pick(12), d = 1 + pick(28), h = 6 + pick(14), mi = 5 * pick(12);
        int series = pick(4);
        cw_buf_printf(b, "BEGIN:VEVENT\r\nUID:ev%d-%d@cal\r\nDTSTAMP:20220101T000000Z\r\n", cal, e);
        cw_buf_printf(b, "DTSTART;TZID=%s:%04d%02d%02dT%02d%02d00\r\nDURATION:PT%dM\r\n", tz, y, m, d, h, mi,
                      15 + 15 * pick(4));
        int rule = chance(80);
        if (rule) cw_buf_printf(b, "RRULE:FREQ=%s\r\n", freq[pick(5)]);
        if (rule && chance(40))
            cw_buf_printf(b, "EXDATE;TZID=%s:%04d%02d%02dT%02d%02d00\r\n", tz, y + 1, m, d, h, mi);
        if (chance(20)) cw_buf_printf(b, "RDATE;TZID=%s:%04d%02d%02dT%02d%02d00\r\n", tz, y - 1, m, d, h, mi);
        cw_buf_printf(b, "SUMMARY:Event %d\r\nDESCRIPTION:Series: s%d%s\r\n", e, series,
                      chance(10) ? "\\nEpisode: 4" : "");
        if (chance(10)) cw_buf_puts(b, "CATEGORIES:repeat\r\n");
        if (chance(5)) cw_buf_puts(b, "STATUS:CANCELLED\r\n");
        cw_buf_puts(b, "END:VEVENT\r\n");
        /* overrides of instances of a weekly/daily rule are found by expanding: use the
         * DTSTART itself, always an instance when the rule does not start elsewhere */
        if (rule && chance(60)) {
            int kind = pick(4);
            cw_buf_printf(b, "BEGIN:VEVENT\r\nUID:ev%d-%d@cal\r\nDTSTAMP:20220101T000000Z\r\n", cal, e);
            cw_buf_printf(b, "RECURRENCE-ID;TZID=%s:%04d%02d%02dT%02d%02d00\r\n", tz, y, m, d, h, mi);
            cw_buf_printf(b, "DTSTART;TZID=%s:%04d%02d%02dT%02d%02d00\r\nDURATION:PT30M\r\n", tz, y, m,
                          kind == 0 ? (d % 28) + 1 : d, h, mi);
            cw_buf_printf(b, "SUMMARY:Override\r\nDESCRIPTION:Series: s%d%s\r\n%s", kind == 1 ? 9 : series,
                          kind == 2 ? "\\nEpisode: 7" : "", kind == 3 ? "STATUS:CANCELLED\r\n" : "");
            cw_buf_puts(b, "END:VEVENT\r\n");
        }
    }
    if (chance(70))
        cw_buf_printf(b,
                      "BEGIN:VEVENT\r\nUID:hol@cal%d\r\nDTSTAMP:20220101T000000Z\r\nDTSTART;VALUE=DATE:2021%02d%02d\r\n"
                      "RRULE:FREQ=YEARLY\r\nSUMMARY:Holiday\r\nCATEGORIES:holiday\r\nEND:VEVENT\r\n",
                      cal, 1 + pick(12), 1 + pick(28));
    if (chance(50)) {
        int m = 1 + pick(12), d = 1 + pick(28);
        cw_buf_printf(b,
                      "BEGIN:VEVENT\r\nUID:exam@cal%d\r\nDTSTAMP:20220101T000000Z\r\n"
                      "DTSTART;TZID=%s:2024%02d%02dT080000\r\nDTEND;TZID=%s:2024%02d%02dT120000\r\n"
                      "SUMMARY:Exams\r\nDESCRIPTION:Kind: blackout\r\nEND:VEVENT\r\n",
                      cal, tz, m, d, tz, m, d);
    }
    cw_buf_puts(b, "END:VCALENDAR\r\n");
}

/* Filters over the component's description (the same fields an occurrence carries). */
static int f_blackout(const cw_occurrence *c, void *ctx)
{
    (void)ctx;
    return c->kind == CW_KIND_BLACKOUT;
}

static int f_series(const cw_occurrence *c, void *ctx) { return !strcmp(c->series, (const char *)ctx); }
static int f_explicit(const cw_occurrence *c, void *ctx)
{
    (void)ctx;
    return c->episode > 0;
}
static int f_odd_line(const cw_occurrence *c, void *ctx)
{
    (void)ctx;
    return c->line % 2;
}
static int f_file_cancelled(const cw_occurrence *c, void *ctx)
{
    return !strcmp(c->file, (const char *)ctx) || c->cancelled || c->all_day;
}
static int f_none(const cw_occurrence *c, void *ctx)
{
    (void)c, (void)ctx;
    return 0;
}

static void same_occurrence(const cw_occurrence *a, const cw_occurrence *b)
{
    assert_ptr_equal(a->file, b->file);
    assert_ptr_equal(a->uid, b->uid);
    assert_int_equal(a->line, b->line);
    assert_int_equal(a->start, b->start);
    assert_int_equal(a->end, b->end);
    assert_int_equal(a->recurrence_utc, b->recurrence_utc);
    assert_string_equal(a->recurrence_id, b->recurrence_id);
    assert_int_equal(a->all_day, b->all_day);
    assert_int_equal(a->cancelled, b->cancelled);
    assert_int_equal(a->moved, b->moved);
    assert_int_equal(a->kind, b->kind);
    assert_ptr_equal(a->series, b->series);
    assert_int_equal(a->episode, b->episode);
    assert_int_equal(a->repeat, b->repeat);
}

static void test_where_equals_filtered_expansion(void **state)
{
    (void)state;
    rng_state = 20260316;
    size_t compared = 0, kept_total = 0;
    for (int round = 0; round < 40; round++) {
        cw_calset *set = cw_calset_new(zones[round % 2]);
        char labels[4][16];
        for (int c = 0; c < 4; c++) {
            cw_buf b;
            cw_buf_init(&b);
            random_calendar(&b, zones[(round + c) % 2], c);
            snprintf(labels[c], sizeof labels[c], "cal-%d.ics", c);
            cw_diags d = {0};
            cw_error err = {0};
            int rc = cw_calset_add_data(set, b.data, b.len, labels[c], c, &d, &err);
            if (rc)
                fail_msg("round %d cal %d: %s (line %d): %s", round, c, err.text, err.line,
                         d.n ? d.v[d.n - 1].text : "");
            cw_diags_free(&d);
            cw_buf_free(&b);
        }
        struct {
            cw_comp_filter f;
            void *ctx;
        } filters[] = {{f_blackout, NULL}, {f_series, "s1"},     {f_series, "s9"}, {f_explicit, NULL},
                       {f_odd_line, NULL}, {f_file_cancelled, labels[2]}, {f_none, NULL}};
        int64_t from = 1640995200 + pick(400) * 86400LL, to = from + (30 + pick(700)) * 86400LL; /* 2022.. */
        for (int inc = 0; inc < 2; inc++) {
            cw_occurrences all = {0};
            cw_error err = {0};
            assert_int_equal(cw_calset_expand(set, from, to, inc, &all, &err), 0);
            for (size_t k = 0; k < sizeof filters / sizeof filters[0]; k++) {
                cw_occurrences some = {0};
                assert_int_equal(cw_calset_expand_where(set, from, to, inc, filters[k].f, filters[k].ctx, &some, &err),
                                 0);
                size_t j = 0;
                for (size_t i = 0; i < all.n; i++) {
                    if (!filters[k].f(&all.v[i], filters[k].ctx)) continue;
                    if (j >= some.n) fail_msg("round %d filter %zu: occurrence %zu missing", round, k, i);
                    same_occurrence(&all.v[i], &some.v[j++]);
                }
                assert_int_equal(j, some.n);
                kept_total += some.n;
                compared += all.n;
                /* the earliest start: no kept occurrence before it, none at all when nothing is kept */
                int64_t first = 0;
                int rc = cw_calset_first_start(set, filters[k].f, filters[k].ctx, &first);
                if (filters[k].f == f_none) assert_int_equal(rc, CW_ENOTFOUND);
                for (size_t i = 0; i < some.n; i++) {
                    assert_int_equal(rc, 0);
                    assert_true(some.v[i].start >= first);
                }
                cw_occurrences_free(&some);
            }
            cw_occurrences_free(&all);
        }
        cw_calset_free(set);
    }
    assert_true(compared > 20000);
    assert_true(kept_total > 5000);
}

/* The earliest start is the earliest occurrence where that is a DTSTART, an RDATE before it,
 * or an override moved before it. */
static void test_first_start(void **state)
{
    (void)state;
    const char *ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
                      "BEGIN:VEVENT\r\nUID:a@t\r\nDTSTAMP:20220101T000000Z\r\nDTSTART:20240105T090000Z\r\n"
                      "DURATION:PT30M\r\nRRULE:FREQ=WEEKLY\r\nRDATE:20231201T100000Z\r\n"
                      "DESCRIPTION:Series: a\r\nEND:VEVENT\r\n"
                      "BEGIN:VEVENT\r\nUID:b@t\r\nDTSTAMP:20220101T000000Z\r\nDTSTART:20240301T090000Z\r\n"
                      "DURATION:PT30M\r\nRRULE:FREQ=WEEKLY\r\nDESCRIPTION:Series: b\r\nEND:VEVENT\r\n"
                      "BEGIN:VEVENT\r\nUID:b@t\r\nDTSTAMP:20220101T000000Z\r\nRECURRENCE-ID:20240308T090000Z\r\n"
                      "DTSTART:20240201T090000Z\r\nDURATION:PT30M\r\nDESCRIPTION:Series: c\r\nEND:VEVENT\r\n"
                      "END:VCALENDAR\r\n";
    cw_calset *set = cw_calset_new("UTC");
    cw_error err = {0};
    assert_int_equal(cw_calset_add_data(set, ics, strlen(ics), "t.ics", 0, NULL, &err), 0);
    int64_t t = 0;
    assert_int_equal(cw_calset_first_start(set, f_series, "a", &t), 0);
    assert_int_equal(t, 1701424800); /* 2023-12-01 10:00Z, the RDATE */
    assert_int_equal(cw_calset_first_start(set, f_series, "b", &t), 0);
    assert_int_equal(t, 1709283600); /* 2024-03-01 09:00Z */
    assert_int_equal(cw_calset_first_start(set, f_series, "c", &t), 0);
    assert_int_equal(t, 1706778000); /* 2024-02-01 09:00Z, the override moved before its master */
    assert_int_equal(cw_calset_first_start(set, f_series, "zz", &t), CW_ENOTFOUND);
    cw_calset_free(set);
}

/* A calendar whose year holds more occurrences than one expansion may: the filtered
 * expansion of a few of its events stays within the bound. */
static void test_where_under_the_bound(void **state)
{
    (void)state;
    cw_buf b;
    cw_buf_init(&b);
    cw_buf_puts(&b, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n");
    for (int i = 0; i < 40; i++)
        cw_buf_printf(&b,
                      "BEGIN:VEVENT\r\nUID:h%d@t\r\nDTSTAMP:20220101T000000Z\r\nDTSTART:20240101T%02d%02d00Z\r\n"
                      "DURATION:PT5M\r\nRRULE:FREQ=HOURLY;INTERVAL=3\r\nDESCRIPTION:Series: h%d\r\nEND:VEVENT\r\n",
                      i, i % 3, i, i);
    cw_buf_puts(&b, "END:VCALENDAR\r\n");
    cw_calset *set = cw_calset_new("UTC");
    cw_error err = {0};
    assert_int_equal(cw_calset_add_data(set, b.data, b.len, "h.ics", 0, NULL, &err), 0);
    cw_occurrences o = {0};
    int64_t from = 1704067200, to = from + 366 * 86400LL; /* 2024: 40 x 2,928 occurrences */
    assert_int_equal(cw_calset_expand(set, from, to, 0, &o, &err), CW_ELIMIT);
    assert_int_equal(cw_calset_expand_where(set, from, to, 0, f_series, "h7", &o, &err), 0);
    assert_int_equal(o.n, 366 * 8);
    for (size_t i = 0; i < o.n; i++) assert_string_equal(o.v[i].series, "h7");
    cw_occurrences_free(&o);
    cw_calset_free(set);
    cw_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_where_equals_filtered_expansion),
        cmocka_unit_test(test_first_start),
        cmocka_unit_test(test_where_under_the_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
