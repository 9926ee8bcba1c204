/* test_loudness.c — the measuring code against EBU Tech 3341 (integrated loudness cases
 * 1-6, true-peak cases 15-19), and the stages built on it: the true-peak limiter and the
 * channel mixer. Signals are synthesised in code (48 kHz, 1 kHz tones, short fades). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <ebur128.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio_int.h"
#include "audio_test_util.h"

#define RATE 48000

typedef struct seg {
    double seconds;
    double dbfs[5]; /* per channel */
} seg;

/* Write a float WAV of 1 kHz sine segments (levels per channel, dBFS peak) and measure it
 * with cw_audio_analyse (no channel mixing: outch = channels). */
static double measure_segments(const seg *s, size_t nseg, int ch)
{
    char *dir = tu_tmpdir();
    char path[600];
    snprintf(path, sizeof path, "%s/t.wav", dir);
    SF_INFO info = {.samplerate = RATE, .channels = ch, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    assert_non_null(sf);
    int64_t t = 0;
    float buf[4096 * 5];
    for (size_t k = 0; k < nseg; k++) {
        int64_t n = (int64_t)(s[k].seconds * RATE + 0.5);
        for (int64_t i = 0; i < n;) {
            int m = 0;
            for (; m < 4096 && i < n; m++, i++, t++) {
                double v = sin(2 * M_PI * 1000.0 * (double)t / RATE);
                for (int c = 0; c < ch; c++)
                    buf[m * ch + c] = (float)(pow(10, s[k].dbfs[c] / 20) * v);
            }
            sf_writef_float(sf, buf, m);
        }
    }
    sf_close(sf);
    cw_audio_analysis a;
    cw_error err;
    assert_int_equal(cw_audio_analyse(path, ch, -200.0, &a, &err), 0);
    tu_rmrf(dir);
    free(dir);
    return a.lufs;
}

static void test_tech3341_integrated(void **state)
{
    (void)state;
    /* case 1: stereo 1 kHz at -23 dBFS, 20 s */
    seg c1[] = {{20, {-23, -23}}};
    assert_float_equal(measure_segments(c1, 1, 2), -23.0, 0.1);
    /* case 2: -33 dBFS */
    seg c2[] = {{20, {-33, -33}}};
    assert_float_equal(measure_segments(c2, 1, 2), -33.0, 0.1);
    /* case 3: -36/-23/-36 dBFS for 10/60/10 s (relative gate) */
    seg c3[] = {{10, {-36, -36}}, {60, {-23, -23}}, {10, {-36, -36}}};
    assert_float_equal(measure_segments(c3, 3, 2), -23.0, 0.1);
    /* case 4: -72/-36/-23/-36/-72 for 10/10/60/10/10 s (absolute and relative gates) */
    seg c4[] = {{10, {-72, -72}}, {10, {-36, -36}}, {60, {-23, -23}}, {10, {-36, -36}},
                {10, {-72, -72}}};
    assert_float_equal(measure_segments(c4, 5, 2), -23.0, 0.1);
    /* case 5: -26/-20/-26 for 20/20.1/20 s */
    seg c5[] = {{20, {-26, -26}}, {20.1, {-20, -20}}, {20, {-26, -26}}};
    assert_float_equal(measure_segments(c5, 3, 2), -23.0, 0.1);
    /* case 6: 5.0 channels L/R -28, C -24, Ls/Rs -30 dBFS, 20 s */
    seg c6[] = {{20, {-28, -28, -24, -30, -30}}};
    assert_float_equal(measure_segments(c6, 1, 5), -23.0, 0.1);
    /* mono is measured as dual mono: a mono -23 dBFS tone reads like case 1 */
    seg m1[] = {{20, {-23}}};
    assert_float_equal(measure_segments(m1, 1, 1), -23.0, 0.1);
}

/* A tone of `freq` at `amp` and `phase` (degrees), 1 s at 48 kHz, with 20 ms raised-cosine
 * fades (an abrupt start would itself overshoot), through cw_audio_truepeak. */
static double tp_of_tone(double freq, double amp, double phase)
{
    size_t n = RATE;
    float *x = malloc(n * sizeof *x);
    size_t f = RATE / 50;
    for (size_t i = 0; i < n; i++) {
        double g = 1.0;
        if (i < f)
            g = 0.5 - 0.5 * cos(M_PI * (double)i / f);
        else if (i >= n - f)
            g = 0.5 - 0.5 * cos(M_PI * (double)(n - 1 - i) / f);
        x[i] = (float)(g * amp * sin(2 * M_PI * freq * (double)i / RATE + phase * M_PI / 180));
    }
    cw_audio_truepeak *tp;
    assert_int_equal(cw_audio_truepeak_new(&tp, 1), 0);
    /* odd block sizes: the streaming must not matter */
    for (size_t i = 0; i < n;) {
        size_t m = n - i < 3001 ? n - i : 3001;
        cw_audio_truepeak_add(tp, x + i, m);
        i += m;
    }
    double v = cw_audio_lin_to_db(cw_audio_truepeak_max(tp));
    cw_audio_truepeak_free(tp);
    free(x);
    return v;
}

static void test_tech3341_true_peak(void **state)
{
    (void)state;
    /* cases 15-19: expected dBTP, tolerance +0.2/-0.4 dB */
    struct {
        double freq, amp, phase, expect;
    } c[] = {
        {RATE / 4.0, 0.5, 0.0, -6.0},   /* 15 */
        {RATE / 4.0, 0.5, 45.0, -6.0},  /* 16: samples at -9 dBFS */
        {RATE / 6.0, 0.5, 60.0, -6.0},  /* 17 */
        {RATE / 8.0, 0.5, 67.5, -6.0},  /* 18 */
        {RATE / 4.0, 1.41, 45.0, 3.0},  /* 19: samples at 0 dBFS, true peak +3 */
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        double v = tp_of_tone(c[i].freq, c[i].amp, c[i].phase);
        if (!(v <= c[i].expect + 0.2 && v >= c[i].expect - 0.4))
            fail_msg("true-peak case %zu: %.3f dBTP, expected %.1f (+0.2/-0.4)", 15 + i, v,
                     c[i].expect);
    }
    /* the skip test is exact: a quiet tone after a loud one does not change the result,
     * and the bound is >= 1 */
    assert_true(cw_audio_truepeak_gain_bound() >= 1.0);
}

/* Feed x (n mono frames) through a limiter, return output (caller frees). */
static float *limit(const float *x, size_t n, double gain, double ceiling, size_t *nout)
{
    cw_audio_limiter *l;
    assert_int_equal(cw_audio_limiter_new(&l, 1, RATE, gain, ceiling, 0.005, 0.08), 0);
    size_t delay = cw_audio_limiter_delay(l);
    float *y = calloc(n + delay + 8192, sizeof *y);
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        size_t m = n - i < 1000 ? n - i : 1000, got = 0;
        cw_audio_limiter_process(l, x + i, m, y + o, &got);
        o += got;
        i += m;
    }
    size_t got = 0;
    cw_audio_limiter_drain(l, y + o, &got);
    o += got;
    cw_audio_limiter_free(l);
    *nout = o;
    return y;
}

static void test_limiter(void **state)
{
    (void)state;
    size_t n = RATE * 2;
    float *x = malloc(n * sizeof *x);
    /* speech-like: a 300 Hz tone at -20 dBFS with sharp bursts at full scale and one
     * inter-sample peak (fs/4 at 45 degrees) */
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(0.1 * sin(2 * M_PI * 300 * (double)i / RATE));
    for (size_t b = 0; b < 5; b++)
        for (size_t i = 0; i < 480; i++)
            x[b * 19000 + 5000 + i] = (float)(0.99 * sin(2 * M_PI * 1200 * (double)i / RATE));
    for (size_t i = 0; i < 200; i++)
        x[90000 + i] = (float)(1.0 * sin(M_PI / 2 * (double)i + M_PI / 4)); /* samples 0.707 */
    const double ceiling = cw_audio_db_to_lin(-3.0);
    size_t no;
    float *y = limit(x, n, 1.0, ceiling, &no);
    assert_int_equal(no, n); /* same length out, delay compensated */
    /* the quiet part passes untouched (gain 1, exactly the input) */
    for (size_t i = 0; i < 4000; i++)
        assert_true(y[i] == x[i]);
    /* true peak of the output (ours and libebur128's) at or under the ceiling */
    cw_audio_truepeak *tp;
    assert_int_equal(cw_audio_truepeak_new(&tp, 1), 0);
    cw_audio_truepeak_add(tp, y, no);
    double ours = cw_audio_lin_to_db(cw_audio_truepeak_max(tp));
    cw_audio_truepeak_free(tp);
    ebur128_state *eb = ebur128_init(1, RATE, EBUR128_MODE_TRUE_PEAK);
    ebur128_add_frames_float(eb, y, no);
    double theirs;
    ebur128_true_peak(eb, 0, &theirs);
    ebur128_destroy(&eb);
    if (!(ours <= -3.0 + 0.05))
        fail_msg("limited true peak %.3f dBTP (ours) over -3", ours);
    if (!(cw_audio_lin_to_db(theirs) <= -3.0 + 0.1))
        fail_msg("limited true peak %.3f dBTP (libebur128) over -3", cw_audio_lin_to_db(theirs));
    /* and it did not squash everything: far from the bursts the level is back to the input */
    assert_float_equal(y[60000], x[60000], 1e-3);
    free(y);

    /* gain is applied: -6 dB on a quiet signal, no limiting */
    y = limit(x, 4000, 0.5, 1.0, &no);
    assert_int_equal(no, 4000);
    for (size_t i = 0; i < 4000; i++)
        assert_float_equal(y[i], 0.5f * x[i], 1e-7);
    free(y);
    free(x);
}

static void test_mix(void **state)
{
    (void)state;
    float st[] = {1.0f, 0.0f, 0.5f, 0.5f, -1.0f, 1.0f};
    float mono[3];
    cw_audio_mix(st, 2, mono, 1, 3);
    assert_float_equal(mono[0], 0.5f, 1e-7);
    assert_float_equal(mono[1], 0.5f, 1e-7);
    assert_float_equal(mono[2], 0.0f, 1e-7);
    float two[6];
    cw_audio_mix(mono, 1, two, 2, 3);
    for (int i = 0; i < 3; i++) {
        assert_true(two[2 * i] == mono[i]);
        assert_true(two[2 * i + 1] == mono[i]);
    }
    /* 5.1 to mono leaves the LFE (channel 3) out */
    float six[6] = {0.2f, 0.2f, 0.2f, 1.0f, 0.2f, 0.2f};
    cw_audio_mix(six, 6, mono, 1, 1);
    assert_float_equal(mono[0], 0.2f, 1e-6);
    /* 5.1 to stereo: a signal only in the centre lands equally left and right */
    float c51[6] = {0, 0, 1.0f, 0, 0, 0};
    cw_audio_mix(c51, 6, two, 2, 1);
    assert_true(two[0] > 0.0f);
    assert_float_equal(two[0], two[1], 1e-7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tech3341_integrated),
        cmocka_unit_test(test_tech3341_true_peak),
        cmocka_unit_test(test_limiter),
        cmocka_unit_test(test_mix),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
