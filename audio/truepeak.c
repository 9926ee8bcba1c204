/* truepeak.c — true-peak measurement by 4x polyphase interpolation (ITU-R BS.1770-4
 * Annex 2: oversample, take the absolute maximum). Our own filter is a Kaiser-windowed
 * sinc with 16 taps per phase, so its phase 0 is the sample itself.
 * Guarantees: exact skip test — a stretch is interpolated only when the bound
 * max|x| * sum|h| could exceed the running maximum — so cost stays low on programme
 * material while the result equals the full computation. */
#include "audio_int.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define T CW_AUDIO_TP_TAPS
#define HALF (T / 2)

static float coef[CW_AUDIO_TP_PHASES][T];
static double bound;
static pthread_once_t coef_once = PTHREAD_ONCE_INIT;

static double bessel_i0(double x)
{
    double sum = 1.0, term = 1.0;
    for (int k = 1; k < 50; k++) {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
        if (term < 1e-12 * sum)
            break;
    }
    return sum;
}

static void coef_init(void)
{
    const double beta = 7.0;
    bound = 1.0;
    for (int p = 1; p < CW_AUDIO_TP_PHASES; p++) {
        double s = 0.0, sa = 0.0;
        for (int k = 0; k < T; k++) {
            /* distance (in input samples) from tap k to the point i-1+p/4 */
            double d = HALF - 1 - k + (double)p / CW_AUDIO_TP_PHASES;
            double sinc = d == 0.0 ? 1.0 : sin(M_PI * d) / (M_PI * d);
            double r = d / HALF;
            double w = fabs(r) >= 1.0 ? 0.0 : bessel_i0(beta * sqrt(1.0 - r * r)) / bessel_i0(beta);
            coef[p][k] = (float)(sinc * w);
            s += sinc * w;
        }
        /* unity gain at DC per phase */
        for (int k = 0; k < T; k++) {
            coef[p][k] = (float)(coef[p][k] / s);
            sa += fabs(coef[p][k]);
        }
        if (sa > bound)
            bound = sa;
    }
}

double cw_audio_truepeak_gain_bound(void)
{
    pthread_once(&coef_once, coef_init);
    return bound;
}

float cw_audio_truepeak_at(const float *x, size_t stride)
{
    pthread_once(&coef_once, coef_init);
    float m = fabsf(x[0]);
    const float *base = x - (ptrdiff_t)HALF * (ptrdiff_t)stride;
    for (int p = 1; p < CW_AUDIO_TP_PHASES; p++) {
        float acc = 0.0f;
        for (int k = 0; k < T; k++)
            acc += coef[p][k] * base[(size_t)k * stride];
        float a = fabsf(acc);
        if (a > m)
            m = a;
    }
    return m;
}

/* cw_audio_truepeak_at for 32 consecutive positions, the positions side by side so the
 * compiler can vectorise: each sum is taken in the same order, so the result is the same
 * to the bit. */
static float peak_32(const float *x, float running)
{
    float v[32], acc[32];
    for (int j = 0; j < 32; j++)
        v[j] = fabsf(x[j]);
    for (int p = 1; p < CW_AUDIO_TP_PHASES; p++) {
        for (int j = 0; j < 32; j++)
            acc[j] = 0.0f;
        for (int k = 0; k < T; k++) {
            const float c = coef[p][k];
            const float *b = x - HALF + k;
            for (int j = 0; j < 32; j++)
                acc[j] += c * b[j];
        }
        for (int j = 0; j < 32; j++) {
            float a = fabsf(acc[j]);
            v[j] = a > v[j] ? a : v[j];
        }
    }
    for (int j = 0; j < 32; j++)
        running = v[j] > running ? v[j] : running;
    return running;
}

/* Contiguous per-channel evaluation on x[0..n) where x[-HALF..n+HALF) is valid. */
static float peak_run(const float *x, size_t n, float running, float fbound)
{
    /* stretches of 32 positions share one skip test */
    for (size_t i = 0; i < n; i += 32) {
        size_t e = i + 32 < n ? i + 32 : n;
        float mx = 0.0f;
        for (ptrdiff_t j = (ptrdiff_t)i - HALF; j < (ptrdiff_t)e + HALF; j++) {
            float a = fabsf(x[j]);
            if (a > mx)
                mx = a;
        }
        if (!(mx * fbound > running))
            continue;
        if (e - i == 32) {
            running = peak_32(x + i, running);
            continue;
        }
        for (size_t j = i; j < e; j++) {
            float v = cw_audio_truepeak_at(x + j, 1);
            if (v > running)
                running = v;
        }
    }
    return running;
}

struct cw_audio_truepeak {
    int channels;
    float **buf; /* per channel: HALF*2 history + CW_AUDIO_BLOCK */
    size_t fill; /* samples in buf beyond the first HALF (positions not yet evaluated + lookahead) */
    double max;
    int finished; /* cw_audio_truepeak_max was called: no more input */
};

int cw_audio_truepeak_new(cw_audio_truepeak **out, int channels)
{
    pthread_once(&coef_once, coef_init);
    *out = NULL;
    cw_audio_truepeak *tp = calloc(1, sizeof *tp);
    if (!tp)
        return CW_ENOMEM;
    tp->channels = channels;
    tp->buf = calloc((size_t)channels, sizeof *tp->buf);
    if (!tp->buf) {
        free(tp);
        return CW_ENOMEM;
    }
    for (int c = 0; c < channels; c++) {
        tp->buf[c] = calloc(3 * HALF + CW_AUDIO_BLOCK + 1, sizeof(float));
        if (!tp->buf[c]) {
            cw_audio_truepeak_free(tp);
            return CW_ENOMEM;
        }
    }
    /* HALF zeros of history precede the first sample */
    tp->fill = 0;
    *out = tp;
    return 0;
}

void cw_audio_truepeak_free(cw_audio_truepeak *tp)
{
    if (!tp)
        return;
    if (tp->buf)
        for (int c = 0; c < tp->channels; c++)
            free(tp->buf[c]);
    free(tp->buf);
    free(tp);
}

/* Layout per channel: buf[0..HALF) history; buf[HALF..HALF+fill) samples, of which the
 * last HALF are lookahead not yet evaluated. */
static void evaluate(cw_audio_truepeak *tp, size_t upto)
{
    float fb = (float)bound;
    float run = (float)tp->max;
    for (int c = 0; c < tp->channels; c++)
        run = peak_run(tp->buf[c] + HALF, upto, run, fb);
    tp->max = run;
    /* keep the last HALF evaluated samples as history plus unevaluated ones */
    size_t keep = tp->fill - upto;
    for (int c = 0; c < tp->channels; c++)
        memmove(tp->buf[c], tp->buf[c] + upto, (HALF + keep) * sizeof(float));
    tp->fill = keep;
}

void cw_audio_truepeak_add(cw_audio_truepeak *tp, const float *frames, size_t n)
{
    const size_t ch = (size_t)tp->channels;
    while (n > 0) {
        size_t room = CW_AUDIO_BLOCK + HALF - tp->fill;
        size_t m = n < room ? n : room;
        for (size_t c = 0; c < ch; c++) {
            float *dst = tp->buf[c] + HALF + tp->fill;
            for (size_t i = 0; i < m; i++)
                dst[i] = frames[i * ch + c];
        }
        tp->fill += m;
        frames += m * ch;
        n -= m;
        if (tp->fill > HALF)
            evaluate(tp, tp->fill - HALF);
    }
}

double cw_audio_truepeak_max(cw_audio_truepeak *tp)
{
    if (!tp->finished) {
        /* the signal is followed by silence: pad HALF+1 zeros and evaluate every pending
         * position plus the one between the last sample and the first zero */
        size_t pend = tp->fill;
        for (int c = 0; c < tp->channels; c++)
            memset(tp->buf[c] + HALF + tp->fill, 0, (HALF + 1) * sizeof(float));
        tp->fill += HALF + 1;
        evaluate(tp, pend + 1);
        tp->finished = 1;
    }
    return tp->max;
}

void cw_audio_truepeak_restart(cw_audio_truepeak *tp)
{
    cw_audio_truepeak_max(tp);
    for (int c = 0; c < tp->channels; c++)
        memset(tp->buf[c], 0, (3 * HALF + CW_AUDIO_BLOCK + 1) * sizeof(float));
    tp->fill = 0;
    tp->finished = 0;
}
