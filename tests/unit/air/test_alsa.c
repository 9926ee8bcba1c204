/* test_alsa.c — the sound-card output on a virtual clock with a simulated card whose clock
 * runs 200 ppm fast or slow: every item's first sample leaves the card within milliseconds of
 * its planned instant (the issue asks for 20 ms over 24 hours: the slow test runs a whole
 * day), an unplugged card is retried and rejoins, the emergency filler is converted to the
 * station's format, and `between = nothing` releases the card between windows. */
#include "air_test.h"

#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define RATE 8000
#define ZONE "Africa/Lagos"

static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
    return (cw_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * AIR_NS;
}

typedef struct run {
    at_station *s;
    at_vclock clock;
    at_card *card;
    cw_air *air;
    air_out *out;
    cw_plan *plan;
} run;

/* A day of `n` items of `secs` each (a beep at the start of each) from window_start. */
static run *setup_run(const char *on_air, const char *extra, double ppm, cw_date date, int64_t w0, size_t n, int secs,
                      int build, int64_t start)
{
    run *r = calloc(1, sizeof *r);
    r->s = at_station_new(ZONE, RATE, on_air, extra);
    char *rec = at_path(r->s, "library/lesson/t/beep.ogg");
    assert_int_equal(at_beep_file(rec, RATE, 1, 500, 0.3, secs, "Beep"), 0);
    free(rec);
    at_item *it = calloc(n, sizeof *it);
    for (size_t i = 0; i < n; i++)
        it[i] = (at_item){CW_KIND_LESSON, "library/lesson/t/beep.ogg", (int64_t)secs * RATE, "Beep", "b", "u"};
    r->plan = at_plan(date, ZONE, RATE, 1, w0 / AIR_NS, it, n);
    free(it);
    if (build)
        at_build(r->s, r->plan);
    at_vclock_init(&r->clock, start);
    r->card = at_card_new(&r->clock, ppm);
    cw_air_opts o = {0};
    o.clock = &r->clock.c;
    o.retry_max = 4;
    o.between_nothing = r->s->st->air_between_nothing;
    cw_error err = {0};
    if (cw_air_new(&r->air, r->s->st, &o, &err))
        fail_msg("cw_air_new: %s", err.text);
    air_out_env env = cw_air_env(r->air);
    assert_int_equal(air_out_alsa_new(&r->out, &env, "alsa:test", &at_card_ops, r->card, &err), 0);
    assert_int_equal(cw_air_set_outputs(r->air, &r->out, 1), 0);
    return r;
}

static void free_run(run *r)
{
    cw_air_free(r->air);
    at_card_free(r->card);
    cw_plan_free(r->plan);
    at_station_free(r->s);
    free(r);
}

/* Largest |onset - planned start| over the items whose beep was heard, in ns; *heard
 * counts them; `skip` ignores the first items (the controller converging). */
static int64_t worst_error(const run *r, size_t skip, size_t *heard)
{
    int64_t worst = 0;
    *heard = 0;
    int64_t w0 = r->plan->window_start_utc * AIR_NS;
    for (size_t k = 0; k < r->card->n_onsets; k++) {
        int64_t t = r->card->onset_wall[k];
        if (getenv("CW_TEST_VERBOSE"))
            fprintf(stderr, "onset %zu at %+.6f s from the window start\n", k, (double)(t - w0) / AIR_NS);
        /* the item this onset belongs to: the nearest planned start */
        double x = (double)(t - w0) / AIR_NS / ((double)r->plan->items[0].length_samples / RATE);
        long i = lround(x);
        if (i < 0 || (size_t)i >= r->plan->n_items)
            continue;
        int64_t want = w0 + air_samples_to_ns(r->plan->items[i].offset_samples, RATE);
        int64_t e = t - want;
        if (e < 0)
            e = -e;
        (*heard)++;
        if ((size_t)i >= skip && e > worst)
            worst = e;
    }
    return worst;
}

static void steering(double ppm)
{
    cw_date day = {2027, 1, 13};
    int64_t w0 = utc(2027, 1, 13, 6, 0, 0);
    run *r = setup_run("07:00-07:20", NULL, ppm, day, w0, 20, 60, 1, w0 - 30 * AIR_NS);
    at_run(r->air, w0 + 20 * 60 * AIR_NS + AIR_NS);
    cw_air_stop_outputs(r->air);
    size_t heard;
    int64_t all = worst_error(r, 0, &heard);
    int64_t settled = worst_error(r, 3, &heard);
    if (getenv("CW_TEST_VERBOSE"))
        fprintf(stderr, "ppm %+.0f: %zu beeps, worst %.3f ms, after 3 min %.3f ms, ratio %.6f\n", ppm, heard, all / 1e6,
                settled / 1e6, air_out_alsa_ratio(r->out));
    assert_int_equal(heard, 20);
    assert_int_equal(r->card->xruns, 0);
    assert_true(all < 20 * 1000000LL);
    assert_true(settled < 3 * 1000000LL);
    /* the controller found the card's rate */
    assert_true(fabs(air_out_alsa_ratio(r->out) - 1.0 / (1.0 + ppm * 1e-6)) < 30e-6);
    char **v;
    size_t k = at_asrun_lines(r->s, "item", &v);
    assert_int_equal(k, 20);
    for (size_t i = 0; i < k; i++)
        assert_non_null(strstr(v[i], "\"complete\":true"));
    at_lines_free(v, k);
    free_run(r);
}

static void test_card_fast(void **state)
{
    (void)state;
    steering(200);
}

static void test_card_slow(void **state)
{
    (void)state;
    steering(-200);
}

/* A whole day on a card 200 ppm fast: 17 s of drift uncorrected, within 20 ms here. */
static void test_day_24h(void **state)
{
    (void)state;
    cw_date day = {2027, 1, 13};
    int64_t w0 = utc(2027, 1, 12, 23, 0, 0); /* 00:00 Lagos */
    run *r = setup_run("00:00-24:00", NULL, 200, day, w0, 288, 300, 1, w0 - 10 * AIR_NS);
    at_run(r->air, w0 + 86400 * AIR_NS + AIR_NS);
    cw_air_stop_outputs(r->air);
    size_t heard;
    int64_t all = worst_error(r, 0, &heard);
    int64_t settled = worst_error(r, 1, &heard);
    if (getenv("CW_TEST_VERBOSE"))
        fprintf(stderr, "24 h at +200 ppm: %zu beeps, worst %.3f ms, after the first %.3f ms\n", heard, all / 1e6,
                settled / 1e6);
    assert_int_equal(heard, 288);
    assert_int_equal(r->card->xruns, 0);
    assert_true(all < 20 * 1000000LL);
    assert_true(settled < 2 * 1000000LL);
    free_run(r);
}

static void test_card_unplugged(void **state)
{
    (void)state;
    cw_date day = {2027, 1, 13};
    int64_t w0 = utc(2027, 1, 13, 6, 0, 0);
    run *r = setup_run("07:00-07:10", NULL, 0, day, w0, 10, 60, 1, w0 - 5 * AIR_NS);
    at_run(r->air, w0 + 90 * AIR_NS); /* 30 s into item 2 */
    r->card->fail = 1;
    at_run(r->air, w0 + 100 * AIR_NS);
    r->card->fail = 0;
    at_run(r->air, w0 + 200 * AIR_NS);
    cw_air_stop_outputs(r->air);
    assert_true(r->card->opens >= 2);
    size_t heard;
    int64_t worst = worst_error(r, 2, &heard);
    assert_true(worst < 5 * 1000000LL); /* item 3 and 4 on time after the card came back */
    char **v;
    size_t k = at_asrun_lines(r->s, "gap", &v);
    assert_int_equal(k, 1);
    assert_non_null(strstr(v[0], "\"reason\":\"output down\""));
    assert_non_null(strstr(v[0], "card unplugged"));
    at_lines_free(v, k);
    k = at_asrun_lines(r->s, "item", &v);
    assert_true(k >= 3);
    json_error_t je;
    if (getenv("CW_TEST_VERBOSE"))
        for (size_t i = 0; i < k; i++)
            fprintf(stderr, "%s", v[i]);
    json_t *j = json_loads(v[1], 0, &je);
    assert_non_null(j);
    assert_false(json_is_true(json_object_get(j, "complete")));
    assert_non_null(strstr(json_string_value(json_object_get(j, "cut_reason")), "output down"));
    /* 30 s played, the card gone for 10 s, then the rest of the item from where it was */
    json_t *parts = json_object_get(json_array_get(json_object_get(j, "outputs"), 0), "parts");
    assert_int_equal(json_array_size(parts), 2);
    double p1 = json_real_value(json_object_get(json_array_get(parts, 0), "length_s"));
    double f2 = json_real_value(json_object_get(json_array_get(parts, 1), "from_s"));
    assert_true(p1 > 29.9 && p1 < 30.2);
    assert_true(f2 >= 40.0 && f2 < 48.0);
    json_decref(j);
    at_lines_free(v, k);
    free_run(r);
}

/* The process not scheduled for most of the card's buffer, several times in a row (a loaded
 * laptop): the card, nearly empty each time, is still a card with a clock of its own. Found
 * by the real-time ALSA test under load, where air took a starved card for a null sink,
 * paced it by the system clock 50 ms ahead and made it run dry two thousand times. */
static void test_starved_card_keeps_its_clock(void **state)
{
    (void)state;
    cw_date day = {2027, 1, 13};
    int64_t w0 = utc(2027, 1, 13, 6, 0, 0);
    run *r = setup_run("07:00-07:10", NULL, 0, day, w0, 10, 60, 1, w0 - 5 * AIR_NS);
    at_run(r->air, w0 + 65 * AIR_NS);
    for (int k = 0; k < 6; k++) { /* 480 ms of a 500 ms buffer gone without us, six times */
        at_run(r->air, r->clock.mono + r->clock.offset + 1);
        r->clock.mono += 480 * 1000000LL;
        if (getenv("CW_TEST_VERBOSE"))
            fprintf(stderr, "stall %d: %d xruns\n", k, r->card->xruns);
    }
    at_run(r->air, w0 + 300 * AIR_NS);
    cw_air_stop_outputs(r->air);
    assert_int_equal(r->card->xruns, 0);
    size_t heard;
    int64_t worst = worst_error(r, 2, &heard); /* the items after the stalls */
    if (getenv("CW_TEST_VERBOSE"))
        fprintf(stderr, "starved: %zu beeps, worst after the stalls %.3f ms\n", heard, worst / 1e6);
    assert_int_equal(heard, 6);
    assert_true(worst < 5 * 1000000LL);
    free_run(r);
}

/* A device without a clock of its own (ALSA's null or file plugin): recognised, and paced by
 * the system clock: what it took matches the wall time elapsed, each beep given to it just
 * before its planned instant. */
static void test_null_sink_paced_by_clock(void **state)
{
    (void)state;
    cw_date day = {2027, 1, 13};
    int64_t w0 = utc(2027, 1, 13, 6, 0, 0);
    run *r = setup_run("07:00-07:10", NULL, 0, day, w0, 10, 60, 1, w0 - 5 * AIR_NS);
    r->card->null_sink = 1;
    at_run(r->air, w0 + 240 * AIR_NS);
    int64_t taken = r->card->written; /* frames since it opened, 5 s before the window */
    cw_air_stop_outputs(r->air);
    if (getenv("CW_TEST_VERBOSE"))
        fprintf(stderr, "null sink: %lld frames for 245 s of wall time\n", (long long)taken);
    assert_true(llabs(taken - 245LL * RATE) < RATE / 10);
    assert_int_equal(r->card->n_onsets, 5); /* the fifth (at 240 s) was given 50 ms early */
    for (size_t k = 0; k < 5; k++) {
        int64_t e = r->card->onset_wall[k] - (w0 + (int64_t)k * 60 * AIR_NS);
        if (getenv("CW_TEST_VERBOSE"))
            fprintf(stderr, "null sink: beep %zu given %+.1f ms from its instant\n", k, e / 1e6);
        assert_true(e <= 0 && e > -100 * 1000000LL); /* 50 ms ahead, plus one decoded block */
    }
    free_run(r);
}

static void test_emergency_other_format(void **state)
{
    (void)state;
    cw_date day = {2027, 1, 13};
    int64_t w0 = utc(2027, 1, 13, 6, 0, 0);
    run *r = setup_run("07:00-07:10", "[air]\nemergency = library/filler/f/em.ogg\n", 0, day, w0, 10, 60, 0, w0);
    char *em = at_path(r->s, "library/filler/f/em.ogg");
    assert_int_equal(at_beep_file(em, 16000, 2, 700, 0.3, 15, "Emergency"), 0); /* another rate and layout */
    free(em);
    /* the programme found no emergency file when it was made: make the run again */
    cw_air_free(r->air);
    at_card_free(r->card);
    r->card = at_card_new(&r->clock, 0);
    cw_air_opts o = {0};
    o.clock = &r->clock.c;
    cw_error err = {0};
    assert_int_equal(cw_air_new(&r->air, r->s->st, &o, &err), 0);
    air_out_env env = cw_air_env(r->air);
    assert_int_equal(air_out_alsa_new(&r->out, &env, "alsa:test", &at_card_ops, r->card, &err), 0);
    assert_int_equal(cw_air_set_outputs(r->air, &r->out, 1), 0);
    at_run(r->air, w0 + 62 * AIR_NS);
    cw_air_stop_outputs(r->air);
    assert_int_equal(r->card->xruns, 0);
    assert_int_equal(r->card->n_onsets, 5); /* 0, 15, 30, 45, 60 s */
    for (size_t i = 1; i < r->card->n_onsets; i++) {
        int64_t d = r->card->onset_wall[i] - r->card->onset_wall[i - 1] - 15 * AIR_NS;
        if (getenv("CW_TEST_VERBOSE"))
            fprintf(stderr, "emergency onset %zu: %+.3f ms off 15 s spacing\n", i, d / 1e6);
        assert_true(d > -5000000 && d < 5000000);
    }
    free_run(r);
}

static void test_between_nothing_releases(void **state)
{
    (void)state;
    cw_date day = {2027, 1, 13};
    int64_t w0 = utc(2027, 1, 13, 6, 0, 0);
    run *r = setup_run("07:00-07:02", "[air]\nbetween = nothing\n", 0, day, w0, 2, 60, 1, w0 - 600 * AIR_NS);
    at_run(r->air, w0 - 10 * AIR_NS);
    assert_int_equal(r->card->opens, 0);
    at_run(r->air, w0 + 30 * AIR_NS);
    assert_int_equal(r->card->opens, 1);
    assert_true(r->card->open);
    at_run(r->air, w0 + 180 * AIR_NS);
    assert_false(r->card->open); /* released after the window played out */
    cw_air_stop_outputs(r->air);
    size_t heard;
    assert_true(worst_error(r, 0, &heard) < 20 * 1000000LL);
    assert_int_equal(heard, 2);
    char **v;
    size_t k = at_asrun_lines(r->s, "item", &v);
    assert_int_equal(k, 2);
    assert_non_null(strstr(v[1], "\"complete\":true")); /* the last item played to its end */
    at_lines_free(v, k);
    free_run(r);
}

int main(void)
{
    const struct CMUnitTest fast[] = {
        cmocka_unit_test(test_card_fast),
        cmocka_unit_test(test_card_slow),
        cmocka_unit_test(test_card_unplugged),
        cmocka_unit_test(test_starved_card_keeps_its_clock),
        cmocka_unit_test(test_null_sink_paced_by_clock),
        cmocka_unit_test(test_emergency_other_format),
        cmocka_unit_test(test_between_nothing_releases),
    };
    const struct CMUnitTest day[] = {cmocka_unit_test(test_day_24h)};
    if (getenv("CW_AIR_24H"))
        return cmocka_run_group_tests(day, NULL, NULL);
    return cmocka_run_group_tests(fast, NULL, NULL);
}
