/* test_chain_edges.c — the chain writer at the edge of a recording's length (issue #13): a
 * link of exactly the recording's length is the whole recording (page copy, the same
 * samples); one sample more is refused before anything is written, with both counts in the
 * message, and the chain goes on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "pl_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 22050
#define LEN (2 * RATE + 17)

static void test_exact_length_and_one_more(void **state)
{
    (void)state;
    char *dir = pl_scratch();
    assert_non_null(dir);
    char *src = cw_path_join(dir, "a.ogg"), *day = cw_path_join(dir, "day.ogg");
    assert_int_equal(pl_tone_file(src, RATE, 1, 440, LEN, 2, "A"), 0);
    FILE *fp = fopen(day, "wb");
    assert_non_null(fp);
    cw_chain *c = NULL;
    cw_error err;
    cw_chain_format fmt = {RATE, 1, 2};
    cw_ogg_sink sink;
    cw_ogg_sink_stdio(&sink, fp);
    assert_int_equal(cw_chain_open(&c, &sink, &fmt, 1, &err), 0);
    int re = -1;
    /* one sample more than the recording: refused, nothing written, the counts named */
    memset(&err, 0, sizeof err);
    assert_int_equal(cw_chain_add_file(c, src, LEN + 1, 0, NULL, &re, &err), CW_EINVAL);
    char want[160];
    snprintf(want, sizeof want, "the recording has %d samples, %d were asked for (rescan the library)", LEN, LEN + 1);
    assert_string_equal(err.text, want);
    assert_int_equal(cw_chain_samples(c), 0);
    /* exactly its length: copied whole, not re-encoded */
    assert_int_equal(cw_chain_add_file(c, src, LEN, 0, NULL, &re, &err), 0);
    assert_int_equal(re, 0);
    assert_int_equal(cw_chain_close(c, &err), 0);
    fclose(fp);
    int links;
    int64_t samples;
    assert_int_equal(cw_ogg_check(day, &links, &samples, &err), 0);
    assert_int_equal(links, 1);
    assert_int_equal(samples, LEN);
    pl_rmtree(dir);
    free(src);
    free(day);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_length_and_one_more),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
