/* test_tz.c — cw_tz: UTC -> local against glibc's zoneinfo reader (an independent peer) in
 * zones of both hemispheres, with half-hour DST and changed rules (America/Sao_Paulo has
 * had no DST since 2019); local -> UTC with RFC 5545 §3.3.5 gaps and overlaps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "calendars.h"

static const char *const zones[] = {"Europe/Paris",     "America/New_York", "Australia/Sydney",
                                    "America/Sao_Paulo", "Australia/Lord_Howe", "Pacific/Chatham",
                                    "Africa/Lagos",     "Asia/Kolkata",     "America/Santiago",
                                    "Europe/London",    "Africa/Casablanca", "Asia/Tehran"};

static int glibc_offset(const char *zone, int64_t t)
{
    setenv("TZ", zone, 1);
    tzset();
    time_t tt = (time_t)t;
    struct tm tm;
    localtime_r(&tt, &tm);
    return (int)tm.tm_gmtoff;
}

static void offsets_match_glibc(void **state)
{
    (void)state;
    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
        cw_tz *tz;
        cw_error err;
        assert_int_equal(cw_tz_open(&tz, zones[z], &err), 0);
        assert_string_equal(cw_tz_name(tz), zones[z]);
        long checked = 0;
        /* every 3 hours from 2010 to 2035, plus an hour either side of each change */
        for (int64_t t = 1262304000; t < 2051222400; t += 3 * 3600) {
            int a = cw_tz_offset_at(tz, t), b = glibc_offset(zones[z], t);
            if (a != b)
                fail_msg("%s at %lld: chalkwave %d, glibc %d", zones[z], (long long)t, a, b);
            checked++;
        }
        assert_true(checked > 70000);
        cw_tz_free(tz);
    }
}

static int64_t to_utc(cw_tz *tz, int y, int mo, int d, int h, int mi)
{
    cw_civil c = {y, mo, d, h, mi, 0};
    return cw_tz_to_utc(tz, &c);
}

static int64_t utc(int y, int mo, int d, int h, int mi)
{
    return cw_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

static void gaps_and_overlaps(void **state)
{
    (void)state;
    cw_tz *tz;
    cw_error err;
    /* Paris: spring gap 02:00-03:00 on 2026-03-29, autumn overlap on 2026-10-25 */
    assert_int_equal(cw_tz_open(&tz, "Europe/Paris", &err), 0);
    assert_int_equal(to_utc(tz, 2026, 3, 29, 2, 30), utc(2026, 3, 29, 1, 30)); /* = 03:30 CEST */
    assert_int_equal(to_utc(tz, 2026, 3, 29, 3, 0), utc(2026, 3, 29, 1, 0));
    assert_int_equal(to_utc(tz, 2026, 3, 30, 2, 30), utc(2026, 3, 30, 0, 30)); /* next day: wall */
    assert_int_equal(to_utc(tz, 2026, 10, 25, 2, 30), utc(2026, 10, 25, 0, 30)); /* first */
    assert_int_equal(to_utc(tz, 2026, 10, 25, 3, 30), utc(2026, 10, 25, 2, 30));
    cw_civil c;
    int off;
    cw_tz_to_local(tz, utc(2026, 3, 29, 1, 30), &c, &off);
    assert_int_equal(c.hour, 3);
    assert_int_equal(c.minute, 30);
    assert_int_equal(off, 7200);
    cw_tz_free(tz);
    /* New York */
    assert_int_equal(cw_tz_open(&tz, "America/New_York", &err), 0);
    assert_int_equal(to_utc(tz, 2026, 3, 8, 2, 30), utc(2026, 3, 8, 7, 30));
    assert_int_equal(to_utc(tz, 2026, 11, 1, 1, 30), utc(2026, 11, 1, 5, 30));
    cw_tz_free(tz);
    /* Sydney (southern): overlap in April, gap in October */
    assert_int_equal(cw_tz_open(&tz, "Australia/Sydney", &err), 0);
    assert_int_equal(to_utc(tz, 2026, 4, 5, 2, 30), utc(2026, 4, 4, 15, 30));
    assert_int_equal(to_utc(tz, 2026, 10, 4, 2, 30), utc(2026, 10, 3, 16, 30));
    cw_tz_free(tz);
    /* Lord Howe: half-hour change; 01:45 on 2026-04-05 happens twice */
    assert_int_equal(cw_tz_open(&tz, "Australia/Lord_Howe", &err), 0);
    assert_int_equal(to_utc(tz, 2026, 4, 5, 1, 45), utc(2026, 4, 4, 14, 45));
    assert_int_equal(to_utc(tz, 2026, 10, 4, 2, 15), utc(2026, 10, 3, 15, 45));
    cw_tz_free(tz);
    /* Sao Paulo: 2018-11-04 00:30 was in a gap; since 2019 there is no DST */
    assert_int_equal(cw_tz_open(&tz, "America/Sao_Paulo", &err), 0);
    assert_int_equal(to_utc(tz, 2018, 11, 4, 0, 30), utc(2018, 11, 4, 3, 30));
    assert_int_equal(to_utc(tz, 2019, 11, 3, 0, 30), utc(2019, 11, 3, 3, 30));
    assert_int_equal(cw_tz_offset_at(tz, utc(2020, 1, 15, 12, 0)), -3 * 3600);
    assert_int_equal(cw_tz_offset_at(tz, utc(2026, 1, 15, 12, 0)), -3 * 3600);
    assert_int_equal(cw_tz_offset_at(tz, utc(2019, 1, 15, 12, 0)), -2 * 3600);
    cw_tz_free(tz);
}

/* For every zone and every 30 minutes of 2026: local(utc(L)) == L unless L is in a gap,
 * and utc(local(u)) == u unless u is the second pass of an overlap (then it is earlier). */
static void round_trips(void **state)
{
    (void)state;
    for (size_t z = 0; z < sizeof zones / sizeof zones[0]; z++) {
        cw_tz *tz;
        cw_error err;
        assert_int_equal(cw_tz_open(&tz, zones[z], &err), 0);
        for (int64_t u = utc(2026, 1, 1, 0, 0); u < utc(2027, 1, 1, 0, 0); u += 1800) {
            cw_civil c;
            cw_tz_to_local(tz, u, &c, NULL);
            int64_t back = cw_tz_to_utc(tz, &c);
            if (back != u) {
                assert_true(back < u); /* the first of two readings */
                cw_civil c2;
                cw_tz_to_local(tz, back, &c2, NULL);
                assert_memory_equal(&c, &c2, sizeof c);
            }
        }
        cw_tz_free(tz);
    }
}

static void unknown_and_utc(void **state)
{
    (void)state;
    cw_tz *tz = (cw_tz *)1;
    cw_error err;
    assert_int_equal(cw_tz_open(&tz, "Mars/Olympus_Mons", &err), CW_ENOTFOUND);
    assert_null(tz);
    assert_non_null(strstr(err.text, "Mars/Olympus_Mons"));
    assert_int_equal(cw_tz_open(&tz, "../../etc/passwd", &err), CW_ENOTFOUND);
    assert_int_equal(cw_tz_open(&tz, "UTC", &err), 0);
    assert_int_equal(cw_tz_offset_at(tz, 1800000000), 0);
    cw_tz_free(tz);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(offsets_match_glibc),
        cmocka_unit_test(gaps_and_overlaps),
        cmocka_unit_test(round_trips),
        cmocka_unit_test(unknown_and_utc),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    cw_cal_cleanup();
    return rc;
}
