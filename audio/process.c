/* process.c — the sample-level stages of ingest: channel mixing and the true-peak-aware
 * look-ahead limiter.
 * Guarantees: fixed memory per stage (ring buffers sized from the look-ahead, never from
 * the recording); the limiter's gain at every sample is at most the gain every
 * interpolated peak within the filter's reach asks for, reached by a linear-in-time
 * (moving average) attack, so it never clicks and never lets a detected peak through. */
#include "audio_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- mixing ------------------------------------------------------------------------ */

/* Role of input channel c of inch in WAV order (FL FR FC LFE BL BR SL SR). */
enum { SIDE_L, SIDE_R, SIDE_C, SIDE_LFE };
static int side_of(int c, int inch)
{
    if (inch == 1)
        return SIDE_C;
    if (inch >= 3 && c == 2 && inch != 4)
        return SIDE_C;
    if (inch >= 6 && c == 3)
        return SIDE_LFE;
    if (inch == 4) /* quad: FL FR BL BR */
        return c % 2 ? SIDE_R : SIDE_L;
    if (inch == 5) /* FL FR FC BL BR */
        return c == 3 ? SIDE_L : SIDE_R;
    return c % 2 == 0 ? SIDE_L : SIDE_R; /* 6..8: BL BR SL SR alternate */
}

void cw_audio_mix(const float *in, int inch, float *out, int outch, size_t n)
{
    const size_t ic = (size_t)inch, oc = (size_t)outch;
    if (inch == outch) {
        memcpy(out, in, n * ic * sizeof(float));
        return;
    }
    if (outch == 1) {
        /* mean of the programme channels; LFE left out */
        int used = 0;
        float w[8];
        for (int c = 0; c < inch; c++) {
            w[c] = side_of(c, inch) == SIDE_LFE ? 0.0f : 1.0f;
            used += w[c] != 0.0f;
        }
        for (int c = 0; c < inch; c++)
            w[c] /= (float)used;
        if (inch == 2) { /* the common case, unrolled: the same sums in the same order */
            const float w0 = w[0], w1 = w[1];
            for (size_t i = 0; i < n; i++) {
                float s = 0.0f;
                s += w0 * in[2 * i];
                s += w1 * in[2 * i + 1];
                out[i] = s;
            }
            return;
        }
        for (size_t i = 0; i < n; i++) {
            float s = 0.0f;
            for (size_t c = 0; c < ic; c++)
                s += w[c] * in[i * ic + c];
            out[i] = s;
        }
        return;
    }
    if (outch == 2) {
        if (inch == 1) {
            for (size_t i = 0; i < n; i++)
                out[2 * i] = out[2 * i + 1] = in[i];
            return;
        }
        /* fold: centre at -3 dB into both sides, surrounds at -3 dB into their side */
        float wl[8], wr[8], sl = 0, sr = 0;
        for (int c = 0; c < inch; c++) {
            int s = side_of(c, inch);
            int front = c < 2;
            wl[c] = s == SIDE_L ? (front ? 1.0f : 0.7071f) : s == SIDE_C ? 0.7071f : 0.0f;
            wr[c] = s == SIDE_R ? (front ? 1.0f : 0.7071f) : s == SIDE_C ? 0.7071f : 0.0f;
            sl += wl[c];
            sr += wr[c];
        }
        for (int c = 0; c < inch; c++) {
            wl[c] /= sl;
            wr[c] /= sr;
        }
        for (size_t i = 0; i < n; i++) {
            float l = 0.0f, r = 0.0f;
            for (size_t c = 0; c < ic; c++) {
                l += wl[c] * in[i * ic + c];
                r += wr[c] * in[i * ic + c];
            }
            out[2 * i] = l;
            out[2 * i + 1] = r;
        }
        return;
    }
    /* more than two output channels: copy in order; mono feeds FL and FR; extra input
     * channels fold onto the output channel of the same index modulo outch */
    for (size_t i = 0; i < n; i++) {
        float *o = out + i * oc;
        memset(o, 0, oc * sizeof(float));
        if (inch == 1) {
            o[0] = o[1] = in[i];
            continue;
        }
        for (size_t c = 0; c < ic; c++)
            o[c % oc] += in[i * ic + c];
    }
}

/* ---- limiter ----------------------------------------------------------------------- */

#define HALF (CW_AUDIO_TP_TAPS / 2)
#define CHUNK 32

struct cw_audio_limiter {
    int ch;
    size_t L;          /* look-ahead = attack, frames */
    size_t mask;       /* ring size - 1 */
    float gain, ceiling, bound;
    double rel;        /* release coefficient per frame */
    float *x;          /* ring of gained input frames */
    float *greq;       /* ring: gain each position asks for */
    float *r;          /* ring: released gain */
    int64_t *dq;       /* ring: monotone deque of positions (ascending greq) */
    size_t dq_head, dq_tail;
    int64_t nx, ngreq, nh, ny; /* absolute positions reached by each step */
    int64_t end;       /* position after the last real frame, -1 while streaming */
    int64_t last_lim;  /* the last position whose greq is under 1 (-1 - HALF: none) */
    double rprev, rsum, gmin;
    float tmp[8][CHUNK + 2 * HALF];
};

int cw_audio_limiter_new(cw_audio_limiter **out, int channels, int rate, double gain, double ceiling,
                   double lookahead, double release)
{
    *out = NULL;
    if (channels < 1 || channels > 8)
        return CW_EINVAL;
    cw_audio_limiter *l = calloc(1, sizeof *l);
    if (!l)
        return CW_ENOMEM;
    l->ch = channels;
    l->L = (size_t)(lookahead * rate + 0.5);
    if (l->L < 1)
        l->L = 1;
    size_t need = l->L + 4 * HALF + 2 * CW_AUDIO_BLOCK + 2 * CHUNK, ring = 1;
    while (ring < need)
        ring <<= 1;
    l->mask = ring - 1;
    l->gain = (float)gain;
    l->ceiling = (float)ceiling;
    l->bound = (float)cw_audio_truepeak_gain_bound();
    l->rel = 1.0 - exp(-1.0 / (release * rate));
    l->x = calloc(ring * (size_t)channels, sizeof(float));
    l->greq = calloc(ring, sizeof(float));
    l->r = calloc(ring, sizeof(float));
    l->dq = calloc(ring, sizeof(int64_t));
    if (!l->x || !l->greq || !l->r || !l->dq) {
        cw_audio_limiter_free(l);
        return CW_ENOMEM;
    }
    /* HALF frames of silence precede the signal so the interpolator has history */
    l->nx = HALF;
    l->end = -1;
    l->last_lim = -1 - (int64_t)HALF;
    l->rprev = 1.0;
    l->rsum = (double)l->L; /* r of the positions before the start is 1 */
    for (size_t i = 0; i < ring; i++)
        l->r[i] = 1.0f;
    l->gmin = 1.0;
    *out = l;
    return 0;
}

void cw_audio_limiter_free(cw_audio_limiter *l)
{
    if (!l)
        return;
    free(l->x);
    free(l->greq);
    free(l->r);
    free(l->dq);
    free(l);
}

size_t cw_audio_limiter_delay(const cw_audio_limiter *l)
{
    return l->L + 2 * HALF;
}

double cw_audio_limiter_min_gain(const cw_audio_limiter *l)
{
    return l->gmin;
}

/* greq for positions [ngreq, upto): needs x up to upto + HALF - 1. */
static void step_greq(cw_audio_limiter *l, int64_t upto)
{
    const size_t ch = (size_t)l->ch;
    while (l->ngreq < upto) {
        int64_t j0 = l->ngreq;
        int64_t j1 = j0 + CHUNK < upto ? j0 + CHUNK : upto;
        float mx = 0.0f;
        for (int64_t k = j0 - HALF; k < j1 + HALF; k++) {
            if (k < 0)
                continue;
            const float *f = l->x + ((size_t)k & l->mask) * ch;
            for (size_t c = 0; c < ch; c++) {
                float a = fabsf(f[c]);
                if (a > mx)
                    mx = a;
            }
        }
        if (mx * l->bound <= l->ceiling) {
            for (int64_t j = j0; j < j1; j++)
                l->greq[(size_t)j & l->mask] = 1.0f;
        } else {
            /* linearise the window per channel and interpolate */
            size_t w = (size_t)(j1 - j0) + 2 * HALF;
            for (size_t c = 0; c < ch; c++)
                for (size_t k = 0; k < w; k++) {
                    int64_t pos = j0 - HALF + (int64_t)k;
                    l->tmp[c][k] = pos < 0 ? 0.0f : l->x[((size_t)pos & l->mask) * ch + c];
                }
            for (int64_t j = j0; j < j1; j++) {
                float p = 0.0f;
                for (size_t c = 0; c < ch; c++) {
                    float v = cw_audio_truepeak_at(&l->tmp[c][(size_t)(j - j0) + HALF], 1);
                    if (v > p)
                        p = v;
                }
                l->greq[(size_t)j & l->mask] = p > l->ceiling ? l->ceiling / p : 1.0f;
                if (p > l->ceiling)
                    l->last_lim = j;
            }
        }
        l->ngreq = j1;
    }
}

/* h/r for positions [nh, upto): h[k] = min greq over [k - HALF, k + L - 1 + HALF]. */
static void step_r(cw_audio_limiter *l, int64_t upto)
{
    const int64_t L = (int64_t)l->L;
    while (l->nh < upto) {
        /* idle: every greq in reach is 1 and the release is complete, so r is exactly 1
         * (what the general step below computes); the deque then holds only the newest
         * position */
        if (l->nh > 0 && l->rprev == 1.0 && l->last_lim < l->nh - HALF) {
            while (l->nh < upto)
                l->r[(size_t)l->nh++ & l->mask] = 1.0f;
            l->dq_head = l->dq_tail;
            l->dq[l->dq_tail++ & l->mask] = l->nh - 1 + L - 1 + HALF;
            break;
        }
        int64_t k = l->nh;
        /* the deque holds positions up to k + L - 1 + HALF; add the newest */
        int64_t m = k + L - 1 + HALF;
        int64_t first = l->dq_tail == l->dq_head ? (k > HALF ? k - HALF : 0) : m;
        if (k == 0 || l->dq_tail == l->dq_head) {
            /* (re)fill from scratch: only at the start */
            for (int64_t p = first; p <= m; p++) {
                float g = l->greq[(size_t)p & l->mask];
                while (l->dq_tail != l->dq_head &&
                       l->greq[(size_t)l->dq[(l->dq_tail - 1) & l->mask] & l->mask] >= g)
                    l->dq_tail--;
                l->dq[l->dq_tail++ & l->mask] = p;
            }
        } else {
            float g = l->greq[(size_t)m & l->mask];
            while (l->dq_tail != l->dq_head &&
                   l->greq[(size_t)l->dq[(l->dq_tail - 1) & l->mask] & l->mask] >= g)
                l->dq_tail--;
            l->dq[l->dq_tail++ & l->mask] = m;
        }
        while (l->dq[l->dq_head & l->mask] < k - HALF)
            l->dq_head++;
        double h = l->greq[(size_t)l->dq[l->dq_head & l->mask] & l->mask];
        double r = l->rprev + (1.0 - l->rprev) * l->rel;
        if (h < r)
            r = h;
        l->rprev = r;
        l->r[(size_t)k & l->mask] = (float)r;
        l->nh = k + 1;
    }
}

/* y for positions [ny, upto) into out (frames), skipping the HALF lead-in positions and
 * anything past `end`. */
static size_t step_y(cw_audio_limiter *l, int64_t upto, float *out)
{
    const size_t ch = (size_t)l->ch;
    const int64_t L = (int64_t)l->L;
    size_t n = 0;
    int64_t stop = l->end >= 0 && l->end < upto ? l->end : upto;
    while (l->ny < upto) {
        int64_t j = l->ny;
        /* unity gain (r is 1 here and L frames back, so the average stays exactly 1):
         * copy the frames; what the general step computes, bit for bit */
        if (l->rsum == (double)L && j >= HALF && j < stop) {
            int64_t j2 = j;
            while (j2 < stop && l->r[(size_t)j2 & l->mask] == 1.0f &&
                   (j2 - L < 0 || l->r[(size_t)(j2 - L) & l->mask] == 1.0f))
                j2++;
            while (j < j2) {
                size_t at = (size_t)j & l->mask, run = l->mask + 1 - at;
                if ((int64_t)run > j2 - j)
                    run = (size_t)(j2 - j);
                memcpy(out + n * ch, l->x + at * ch, run * ch * sizeof(float));
                n += run;
                j += (int64_t)run;
            }
            l->ny = j;
            if (j >= upto)
                break;
        }
        float rj = l->r[(size_t)j & l->mask];
        float rold = j - L >= 0 ? l->r[(size_t)(j - L) & l->mask] : 1.0f;
        l->rsum += (double)rj - (double)rold;
        double g = l->rsum / (double)L;
        if (g > 1.0)
            g = 1.0;
        if (j >= HALF && (l->end < 0 || j < l->end)) {
            if (g < l->gmin)
                l->gmin = g;
            const float *xi = l->x + ((size_t)j & l->mask) * ch;
            float gf = (float)g;
            for (size_t c = 0; c < ch; c++)
                out[n * ch + c] = xi[c] * gf;
            n++;
        }
        l->ny = j + 1;
    }
    return n;
}

static size_t advance(cw_audio_limiter *l, float *out)
{
    const int64_t L = (int64_t)l->L;
    /* greq[j] needs x[j + HALF - 1]; h[k] needs greq[k + L - 1 + HALF]; y[j] needs r[j] */
    step_greq(l, l->nx - HALF + 1);
    int64_t hupto = l->ngreq - (L - 1 + HALF);
    if (hupto > 0)
        step_r(l, hupto);
    return step_y(l, l->nh, out);
}

void cw_audio_limiter_process(cw_audio_limiter *l, const float *in, size_t n, float *out, size_t *nout)
{
    const size_t ch = (size_t)l->ch;
    for (size_t i = 0; i < n; i++) {
        float *xi = l->x + ((size_t)l->nx & l->mask) * ch;
        for (size_t c = 0; c < ch; c++)
            xi[c] = in[i * ch + c] * l->gain;
        l->nx++;
    }
    *nout = advance(l, out);
}

void cw_audio_limiter_drain(cw_audio_limiter *l, float *out, size_t *nout)
{
    const size_t ch = (size_t)l->ch;
    l->end = l->nx;
    /* silence after the end lets every real position complete */
    size_t pad = l->L + 2 * HALF + 1;
    for (size_t i = 0; i < pad; i++) {
        memset(l->x + ((size_t)l->nx & l->mask) * ch, 0, ch * sizeof(float));
        l->nx++;
    }
    *nout = advance(l, out);
}
