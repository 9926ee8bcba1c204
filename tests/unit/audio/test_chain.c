/* test_chain.c — the stage chain and its runner (chain.c, stages.c): samples pass through
 * in order and exactly; stages with nothing to do leave the chain; a stage that is done
 * stops the reading unless one before it measures the whole source; what stages hold back
 * is drained; a stage on a thread measures the same as inline, to the bit; failures and
 * cancellation stop the chain with the first error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio_int.h"
#include "audio_test_util.h"

/* ---- a source: n frames of a known ramp, counting reads ---------------------------------- */

typedef struct ramp {
    int64_t n, pos;
    int ch;
    int reads;
} ramp;

static float ramp_value(int64_t i, int c)
{
    return (float)((double)(i % 1000) / 1000.0 - 0.5) * (c ? -1.0f : 1.0f);
}

static int ramp_read(void *user, float *buf, size_t frames, size_t *got, cw_error *err)
{
    (void)err;
    ramp *r = user;
    r->reads++;
    size_t n = 0;
    while (n < frames && r->pos < r->n) {
        for (int c = 0; c < r->ch; c++)
            buf[n * (size_t)r->ch + (size_t)c] = ramp_value(r->pos, c);
        n++;
        r->pos++;
    }
    *got = n;
    return 0;
}

/* ---- a sink that keeps everything (up to a bound) ------------------------------------------ */

typedef struct keep {
    float *v;
    size_t n, cap; /* frames */
    int ch, fail_at_call, calls, drained;
} keep;

static int keep_start(cw_audio_stage *s, const cw_audio_fmt *in, cw_audio_fmt *out,
                      size_t *out_max, cw_error *err)
{
    (void)out;
    (void)out_max;
    (void)err;
    ((keep *)s->priv)->ch = in->channels;
    return 0;
}

static int keep_flow(cw_audio_stage *s, const float *in, size_t *nin, float *out, size_t *nout,
                     cw_error *err)
{
    (void)out;
    keep *k = s->priv;
    if (++k->calls == k->fail_at_call)
        return cw_fail(err, CW_EIO, "", 0, "sink failed on purpose");
    size_t m = *nin;
    if (k->n + m > k->cap)
        m = k->cap - k->n;
    memcpy(k->v + k->n * (size_t)k->ch, in, m * (size_t)k->ch * sizeof(float));
    k->n += m;
    *nout = 0;
    return 0;
}

static int keep_drain(cw_audio_stage *s, float *out, size_t *nout, cw_error *err)
{
    (void)out;
    (void)err;
    ((keep *)s->priv)->drained++;
    *nout = 0;
    return 0;
}

static cw_audio_stage keep_stage(keep *k)
{
    return (cw_audio_stage){.name = "keep", .start = keep_start, .flow = keep_flow,
                            .drain = keep_drain, .priv = k};
}

static keep *keep_new(size_t cap, int ch)
{
    keep *k = calloc(1, sizeof *k);
    k->cap = cap;
    k->v = calloc(cap * (size_t)ch, sizeof(float));
    return k;
}

static void keep_free(keep *k)
{
    free(k->v);
    free(k);
}

/* ---- tests ----------------------------------------------------------------------------------- */

static void test_mix_and_skip(void **state)
{
    (void)state;
    ramp r = {.n = 10000, .ch = 2};
    keep *k = keep_new(20000, 1);
    cw_audio_chain *c;
    assert_int_equal(cw_audio_chain_new(&c), 0);
    cw_audio_stage st = {0};
    cw_audio_stage_resample(&st, 8000); /* same rate: leaves the chain */
    cw_audio_chain_add(c, &st);
    cw_audio_stage_mix(&st, 1);
    cw_audio_chain_add(c, &st);
    cw_audio_stage_mix(&st, 1); /* already mono: leaves the chain */
    cw_audio_chain_add(c, &st);
    st = keep_stage(k);
    cw_audio_chain_add(c, &st);
    cw_audio_fmt fmt = {8000, 2};
    cw_error err = {0};
    assert_int_equal(cw_audio_chain_run(c, ramp_read, &r, &fmt, NULL, NULL, &err), 0);
    cw_audio_fmt o = cw_audio_chain_out_format(c);
    assert_int_equal(o.channels, 1);
    assert_int_equal(o.rate, 8000);
    cw_audio_chain_free(c);
    assert_int_equal(k->n, 10000);
    assert_int_equal(k->drained, 1);
    for (size_t i = 0; i < k->n; i++) /* the mean of L and -L: 0, exactly */
        assert_true(k->v[i] == 0.0f);
    keep_free(k);
}

static void test_trim_and_done(void **state)
{
    (void)state;
    for (int measure_all = 0; measure_all < 2; measure_all++) {
        ramp r = {.n = 100000, .ch = 1};
        keep *k = keep_new(200000, 1);
        double tp = 0;
        cw_audio_chain *c;
        assert_int_equal(cw_audio_chain_new(&c), 0);
        cw_audio_stage st = {0};
        if (measure_all) {
            cw_audio_stage_truepeak(&st, &tp);
            cw_audio_chain_add(c, &st);
        }
        cw_audio_stage_trim(&st, 100, 5000);
        cw_audio_chain_add(c, &st);
        st = keep_stage(k);
        cw_audio_chain_add(c, &st);
        cw_audio_fmt fmt = {8000, 1};
        cw_error err = {0};
        assert_int_equal(cw_audio_chain_run(c, ramp_read, &r, &fmt, NULL, NULL, &err), 0);
        cw_audio_chain_free(c);
        assert_int_equal(k->n, 4900);
        for (size_t i = 0; i < k->n; i++)
            assert_true(k->v[i] == ramp_value(100 + (int64_t)i, 0));
        if (measure_all) { /* the true-peak meter saw the whole source */
            assert_int_equal(r.pos, r.n);
            assert_true(tp > -6.1 && tp < -2.0); /* 0.5 peaks (-6 dB), overshooting at the jumps */
        } else {                           /* reading stopped at the tail */
            assert_true(r.pos < 10000);
        }
        keep_free(k);
    }
}

static void test_cut_pads_or_refuses(void **state)
{
    (void)state;
    for (int pad = 0; pad < 2; pad++) {
        ramp r = {.n = 1000, .ch = 1};
        keep *k = keep_new(2000, 1);
        cw_audio_chain *c;
        assert_int_equal(cw_audio_chain_new(&c), 0);
        cw_audio_stage st = {0};
        cw_audio_stage_cut(&st, 1030, 0, 100, pad ? 64 : 0, "x.ogg");
        cw_audio_chain_add(c, &st);
        st = keep_stage(k);
        cw_audio_chain_add(c, &st);
        cw_audio_fmt fmt = {8000, 1};
        cw_error err = {0};
        int rc = cw_audio_chain_run(c, ramp_read, &r, &fmt, NULL, NULL, &err);
        cw_audio_chain_free(c);
        if (pad) {
            assert_int_equal(rc, 0);
            assert_int_equal(k->n, 1030); /* 30 frames of silence made up the shortfall */
            for (size_t i = 1000; i < 1030; i++)
                assert_true(k->v[i] == 0.0f);
            assert_true(k->v[929] == ramp_value(929, 0)); /* before the fade-out */
            assert_true(fabsf(k->v[980]) > 0.0f && fabsf(k->v[980]) < fabsf(ramp_value(980, 0)));
        } else {
            assert_int_equal(rc, CW_EINVAL);
            assert_non_null(strstr(err.text, "the recording has 1000 samples, 1030 were asked"));
        }
        keep_free(k);
    }
}

/* a source reading frames from memory */
typedef struct mem {
    const float *x;
    size_t n, pos;
    int ch;
} mem;

static int mem_read(void *user, float *buf, size_t frames, size_t *got, cw_error *err)
{
    (void)err;
    mem *m = user;
    size_t k = m->n - m->pos < frames ? m->n - m->pos : frames;
    memcpy(buf, m->x + m->pos * (size_t)m->ch, k * (size_t)m->ch * sizeof(float));
    m->pos += k;
    *got = k;
    return 0;
}

static void test_threaded_meter_same_to_the_bit(void **state)
{
    (void)state;
    const double amp[2] = {0.3, 0.2};
    size_t n = 48000 * 6;
    float *x = tu_sine(48000, 2, amp, 997.0, 0, n);
    for (size_t i = 0; i < n * 2; i++) /* a changing level, so LRA is not 0 */
        x[i] *= (float)(0.2 + 0.8 * (double)(i / 2) / (double)n);
    cw_audio_loudness res[2];
    for (int threaded = 0; threaded < 2; threaded++) {
        mem m = {x, n, 0, 2};
        cw_audio_chain *c;
        assert_int_equal(cw_audio_chain_new(&c), 0);
        cw_audio_stage st = {0}, meter = {0};
        cw_audio_stage_meter(&meter, &res[threaded]);
        if (threaded)
            cw_audio_stage_threaded(&st, &meter, "cw-test");
        else
            st = meter;
        cw_audio_chain_add(c, &st);
        cw_audio_fmt fmt = {48000, 2};
        cw_error err = {0};
        assert_int_equal(cw_audio_chain_run(c, mem_read, &m, &fmt, NULL, NULL, &err), 0);
        cw_audio_chain_free(c);
    }
    assert_true(res[0].lufs > -30 && res[0].lufs < -10);
    assert_true(res[0].lra > 1.0);
    assert_true(res[0].lufs == res[1].lufs); /* exactly */
    assert_true(res[0].lra == res[1].lra);
    free(x);
}

static int cancel_after(void *user, int64_t frames)
{
    return frames >= *(int64_t *)user;
}

static void test_failures_stop_the_chain(void **state)
{
    (void)state;
    /* a sink failing on a thread: its error comes back, the chain stops, all is freed */
    ramp r = {.n = 1000000, .ch = 1};
    keep *k = keep_new(1000000, 1);
    k->fail_at_call = 5;
    cw_audio_chain *c;
    assert_int_equal(cw_audio_chain_new(&c), 0);
    cw_audio_stage st = {0}, inner = keep_stage(k);
    cw_audio_stage_threaded(&st, &inner, "cw-test");
    cw_audio_chain_add(c, &st);
    cw_audio_fmt fmt = {8000, 1};
    cw_error err = {0};
    assert_int_equal(cw_audio_chain_run(c, ramp_read, &r, &fmt, NULL, NULL, &err), CW_EIO);
    assert_non_null(strstr(err.text, "sink failed on purpose"));
    assert_true(r.pos < r.n);
    cw_audio_chain_free(c);
    keep_free(k);
    /* cancelled by the progress callback: CW_ECANCELLED, nothing drained */
    ramp r2 = {.n = 1000000, .ch = 1};
    k = keep_new(1000000, 1);
    int64_t stop_at = 20000;
    assert_int_equal(cw_audio_chain_new(&c), 0);
    st = keep_stage(k);
    cw_audio_chain_add(c, &st);
    assert_int_equal(cw_audio_chain_run(c, ramp_read, &r2, &fmt, cancel_after, &stop_at, &err),
                     CW_ECANCELLED);
    assert_int_equal(k->drained, 0);
    assert_true(r2.pos < 30000);
    cw_audio_chain_free(c);
    keep_free(k);
    /* a stage whose constructor failed (empty): the run fails, nothing leaks */
    assert_int_equal(cw_audio_chain_new(&c), 0);
    cw_audio_stage empty = {0};
    assert_int_equal(cw_audio_chain_add(c, &empty), CW_ENOMEM);
    ramp r3 = {.n = 10, .ch = 1};
    assert_int_equal(cw_audio_chain_run(c, ramp_read, &r3, &fmt, NULL, NULL, &err), CW_ENOMEM);
    cw_audio_chain_free(c);
}

static void test_resample_length(void **state)
{
    (void)state;
    ramp r = {.n = 8000 * 3, .ch = 1};
    keep *k = keep_new(200000, 1);
    cw_audio_chain *c;
    assert_int_equal(cw_audio_chain_new(&c), 0);
    cw_audio_stage st = {0};
    cw_audio_stage_resample(&st, 44100);
    cw_audio_chain_add(c, &st);
    st = keep_stage(k);
    cw_audio_chain_add(c, &st);
    cw_audio_fmt fmt = {8000, 1};
    cw_error err = {0};
    assert_int_equal(cw_audio_chain_run(c, ramp_read, &r, &fmt, NULL, NULL, &err), 0);
    cw_audio_fmt o = cw_audio_chain_out_format(c);
    assert_int_equal(o.rate, 44100);
    cw_audio_chain_free(c);
    assert_true(labs((long)k->n - 44100 * 3) <= 2); /* the drain gave the resampler's tail */
    keep_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mix_and_skip),
        cmocka_unit_test(test_trim_and_done),
        cmocka_unit_test(test_cut_pads_or_refuses),
        cmocka_unit_test(test_threaded_meter_same_to_the_bit),
        cmocka_unit_test(test_failures_stop_the_chain),
        cmocka_unit_test(test_resample_length),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
