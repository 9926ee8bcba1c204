/* test_dates_loose.c — cw_date_parse_loose: the words and +N/-N against a given today
 * (across month, year and leap-day ends), YYYY-MM-DD as before, and a specific answer for
 * every shape people type instead (day/month orders, compact, slashed, two-digit years,
 * days that do not exist), never a guess. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "common.h"

static void ok_case(const char *in, cw_date today, cw_date want)
{
    cw_date d = {0, 0, 0};
    char why[300] = "";
    if (cw_date_parse_loose(in, today, &d, why, sizeof why)) fail_msg("'%s' refused: %s", in, why);
    if (cw_date_cmp(d, want)) fail_msg("'%s' gave %04d-%02d-%02d", in, d.year, d.month, d.day);
}

static void test_words_and_offsets(void **state)
{
    (void)state;
    cw_date t = {2026, 12, 31};
    ok_case("today", t, t);
    ok_case(" Today ", t, t);
    ok_case("tomorrow", t, (cw_date){2027, 1, 1});
    ok_case("yesterday", t, (cw_date){2026, 12, 30});
    ok_case("+1", t, (cw_date){2027, 1, 1});
    ok_case("+60", (cw_date){2028, 1, 1}, (cw_date){2028, 3, 1}); /* through 29 February */
    ok_case("-366", (cw_date){2029, 1, 1}, (cw_date){2028, 1, 1});
    ok_case("+0", t, t);
    ok_case("2026-03-16", t, (cw_date){2026, 3, 16});
    ok_case("2028-02-29", t, (cw_date){2028, 2, 29});
}

static void test_answers(void **state)
{
    (void)state;
    static const struct {
        const char *in, *want;
    } cases[] = {
        {"07/12/2026", "07/12/2026: write it as 2026-12-07 (YYYY-MM-DD; for July 12 write 2026-07-12)"},
        {"12/12/2026", "12/12/2026: write it as 2026-12-12 (YYYY-MM-DD)"},
        {"25/12/2026", "25/12/2026: write it as 2026-12-25 (YYYY-MM-DD)"},
        {"12/25/2026", "12/25/2026: write it as 2026-12-25 (YYYY-MM-DD)"},
        {"7-12-2026", "7-12-2026: write it as 2026-12-07"},
        {"07.12.26", "07.12.26: write it as 2026-12-07"},
        {"20261207", "20261207: write it as 2026-12-07 (YYYY-MM-DD)"},
        {"2026/12/07", "2026/12/07: write it as 2026-12-07 (YYYY-MM-DD)"},
        {"2026-12-7", "2026-12-7: write it as 2026-12-07 (YYYY-MM-DD)"},
        {"2026-02-30", "2026-02-30 is not a date (February 2026 has 28 days)"},
        {"2026-04-31", "2026-04-31 is not a date (April 2026 has 30 days)"},
        {"2026-13-01", "2026-13-01 is not a date (months go from 01 to 12)"},
        {"2026-00-10", "2026-00-10 is not a date (months go from 01 to 12)"},
        {"20260230", "2026-02-30 is not a date (February 2026 has 28 days)"},
        {"1850-01-01", "1850-01-01 is not a date chalkwave plans (years go from 1900 to 2999)"},
        {"31/02/2026", "'31/02/2026' is not a date"},
        {"2026-12", "'2026-12' is not a date"},
        {"next monday", "'next monday' is not a date (write YYYY-MM-DD, e.g. 2026-12-07, or today, tomorrow, +3)"},
        {"", "'' is not a date"},
        {"+4000", "+4000 days is too far"},
        {"+123456789012", "too far"},
        {"2026/12/07/1", "is not a date"},
        {"07/12-2026", "is not a date"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cw_date d = {0, 0, 0};
        char why[300] = "";
        if (cw_date_parse_loose(cases[i].in, (cw_date){2026, 1, 1}, &d, why, sizeof why) != CW_EINVAL)
            fail_msg("'%s' was accepted", cases[i].in);
        if (!strstr(why, cases[i].want)) fail_msg("'%s': '%s' lacks '%s'", cases[i].in, why, cases[i].want);
    }
    /* a short buffer is cut, never overrun */
    char tiny[8];
    cw_date d;
    assert_int_equal(cw_date_parse_loose("07/12/2026", (cw_date){2026, 1, 1}, &d, tiny, sizeof tiny), CW_EINVAL);
    assert_int_equal(strlen(tiny), 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_words_and_offsets),
        cmocka_unit_test(test_answers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
