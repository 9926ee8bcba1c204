/* test_dates.c — common/ civil dates: strict YYYY-MM-DD parsing, formatting, day arithmetic
 * across months, leap years and centuries, weekdays, and a round trip over 400 years. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common.h"

static void test_parse_valid(void **state)
{
    (void)state;
    cw_date d;
    assert_int_equal(cw_date_parse("2027-01-13", &d), CW_OK);
    assert_int_equal(d.year, 2027);
    assert_int_equal(d.month, 1);
    assert_int_equal(d.day, 13);
    assert_int_equal(cw_date_parse("2024-02-29", &d), CW_OK); /* leap year */
    assert_int_equal(cw_date_parse("2000-02-29", &d), CW_OK); /* divisible by 400 */
    assert_int_equal(cw_date_parse("2026-12-31", &d), CW_OK);
    assert_int_equal(cw_date_parse("1900-01-01", &d), CW_OK);
    assert_int_equal(cw_date_parse("2999-12-31", &d), CW_OK);
}

static void test_parse_invalid(void **state)
{
    (void)state;
    static const char *bad[] = {
        "",           "2027-1-13",   "2027-01-3",  "27-01-13",    "2027/01/13", "2027-01-13 ",
        " 2027-01-13", "2027-01-13T07:00", "2027-00-10", "2027-13-01", "2027-01-00", "2027-01-32",
        "2027-02-29", "1900-02-29",  "2100-02-29", "2026-04-31",  "2026-06-31", "abcd-ef-gh",
        "2027-0a-13", "+027-01-13",  "-027-01-13", "1899-12-31",  "3000-01-01", "2027--1-13",
        "20270113",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cw_date d = {1, 2, 3};
        if (cw_date_parse(bad[i], &d) == CW_OK) fail_msg("'%s' was accepted", bad[i]);
        assert_int_equal(d.year, 1); /* untouched on failure */
    }
    cw_date d;
    assert_int_not_equal(cw_date_parse(NULL, &d), CW_OK);
}

static void test_format(void **state)
{
    (void)state;
    char s[11];
    cw_date d = {2027, 1, 3};
    cw_date_format(d, s);
    assert_string_equal(s, "2027-01-03");
    cw_date e;
    assert_int_equal(cw_date_parse(s, &e), CW_OK);
    assert_int_equal(cw_date_cmp(d, e), 0);
}

static void test_arithmetic(void **state)
{
    (void)state;
    char s[11];
    struct {
        const char *from;
        int n;
        const char *to;
    } cases[] = {
        {"2027-01-13", 0, "2027-01-13"},  {"2027-01-31", 1, "2027-02-01"},  {"2027-02-28", 1, "2027-03-01"},
        {"2028-02-28", 1, "2028-02-29"},  {"2028-02-29", 1, "2028-03-01"},  {"2026-12-31", 1, "2027-01-01"},
        {"2027-01-01", -1, "2026-12-31"}, {"2027-03-01", -1, "2027-02-28"}, {"2100-02-28", 1, "2100-03-01"},
        {"2000-02-28", 1, "2000-02-29"},  {"2027-01-11", 7, "2027-01-18"},  {"2027-01-11", 365, "2028-01-11"},
        {"2028-01-11", 366, "2029-01-11"}, {"1970-01-01", -1, "1969-12-31"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cw_date d;
        assert_int_equal(cw_date_parse(cases[i].from, &d), CW_OK);
        cw_date_format(cw_date_add_days(d, cases[i].n), s);
        assert_string_equal(s, cases[i].to);
    }
    assert_int_equal(cw_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(cw_days_from_civil(1970, 1, 2), 1);
    assert_int_equal(cw_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(cw_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(cw_days_from_civil(2027, 1, 13), 20831);

    cw_date a = {2027, 1, 13}, b = {2027, 1, 14}, c = {2026, 12, 31};
    assert_true(cw_date_cmp(a, b) < 0);
    assert_true(cw_date_cmp(b, a) > 0);
    assert_true(cw_date_cmp(c, a) < 0);
    assert_int_equal(cw_date_cmp(a, a), 0);
}

static void test_weekday(void **state)
{
    (void)state;
    struct {
        cw_date d;
        int wd;
    } cases[] = {
        {{1970, 1, 1}, 3},  /* Thursday */
        {{2027, 1, 11}, 0}, /* Monday: first day of the example term */
        {{2027, 1, 13}, 2}, /* Wednesday: the demo day */
        {{2027, 1, 17}, 6}, /* Sunday */
        {{2000, 1, 1}, 5},  /* Saturday */
        {{1969, 12, 31}, 2},
        {{1900, 1, 1}, 0},
        {{2026, 11, 28}, 5},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_int_equal(cw_weekday(cases[i].d), cases[i].wd);
}

static void test_roundtrip(void **state)
{
    (void)state;
    /* Every day from 1900 to 2299: days -> civil -> days is the identity, consecutive days
     * are consecutive dates, and weekdays cycle. */
    int64_t start = cw_days_from_civil(1900, 1, 1), end = cw_days_from_civil(2300, 1, 1);
    assert_int_equal(end - start, 146097); /* 400 Gregorian years */
    int py = 1899, pm = 12, pd = 31;
    int pw = 6;
    for (int64_t z = start; z < end; z++) {
        int y, m, d;
        cw_civil_from_days(z, &y, &m, &d);
        assert_int_equal(cw_days_from_civil(y, m, d), z);
        int next = (d == pd + 1 && m == pm && y == py) || (d == 1 && ((m == pm + 1 && y == py) || (m == 1 && pm == 12 && y == py + 1)));
        if (!next) fail_msg("%d-%d-%d does not follow %d-%d-%d", y, m, d, py, pm, pd);
        cw_date cd = {y, m, d};
        int w = cw_weekday(cd);
        assert_int_equal(w, (pw + 1) % 7);
        py = y, pm = m, pd = d, pw = w;
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_valid), cmocka_unit_test(test_parse_invalid), cmocka_unit_test(test_format),
        cmocka_unit_test(test_arithmetic),  cmocka_unit_test(test_weekday),       cmocka_unit_test(test_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
