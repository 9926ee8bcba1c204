/* analyse.c — pass 1 of ingest, a chain configuration: source -> scan (invalid samples,
 * clipping, length bound) -> [true peak] -> mix -> sound (silence windows, pauses, DC
 * offset, noise) -> loudness meter on a thread of its own.
 * Guarantees: one decode, memory independent of the recording's length; the loudness is
 * the same to the bit as measured inline (the meter sees the same samples in order); a
 * damaged file or invalid samples are refused with the time they occur. */
#include "audio_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CLIP_LEVEL 0.9999f
#define SILENCE_WINDOW 0.010 /* s: silence detection window */

double cw_audio_db_to_lin(double db)
{
    return pow(10.0, db / 20.0);
}

double cw_audio_lin_to_db(double lin)
{
    return lin > 0 ? 20.0 * log10(lin) : -HUGE_VAL;
}

int cw_audio_pass_report(void *arg, int64_t done)
{
    cw_audio_pass_progress *p = arg;
    if (!p || !p->fn)
        return 0;
    double f = p->total > 0 ? (double)done / (double)p->total : 0.0;
    return p->fn(p->user, p->base + p->span * (f > 1 ? 1 : f));
}

void cw_audio_analysis_clear(cw_audio_analysis *a)
{
    if (a)
        cw_diags_free(&a->notes);
}

/* ---- scan: the source as decoded (in place) ------------------------------------------- */

typedef struct scan_st {
    cw_audio_analysis *a;
    const char *name;
    int64_t clipped;
    int prev_clip[8];
} scan_st;

static int scan_flow(cw_audio_stage *s, const float *in, size_t *nin, float *out, size_t *nout,
                     cw_error *err)
{
    (void)out;
    scan_st *sc = s->priv;
    cw_audio_analysis *a = sc->a;
    const size_t ic = (size_t)a->channels, got = *nin;
    /* one cheap pass: the block's largest magnitude (NaN/Inf make the sums non-finite);
     * eight lanes so the compiler can vectorise it */
    float lmax[8] = {0}, lsum[8] = {0}, bmax = 0.0f, bsum = 0.0f;
    size_t nv = got * ic, i8 = nv & ~(size_t)7;
    for (size_t i = 0; i < i8; i += 8)
        for (size_t q = 0; q < 8; q++) {
            float v = fabsf(in[i + q]);
            lsum[q] += v;
            lmax[q] = v > lmax[q] ? v : lmax[q];
        }
    for (size_t i = i8; i < nv; i++) {
        float v = fabsf(in[i]);
        bsum += v;
        bmax = v > bmax ? v : bmax;
    }
    for (size_t q = 0; q < 8; q++) {
        bsum += lsum[q];
        bmax = lmax[q] > bmax ? lmax[q] : bmax;
    }
    if (!isfinite(bsum)) {
        size_t i = 0;
        while (i < nv && isfinite(in[i]))
            i++;
        char at[32];
        cw_audio_fmt_duration((double)(a->frames + (int64_t)(i / ic)) / a->rate, at);
        return cw_fail(err, CW_EINVAL, sc->name, 0, "the recording contains invalid samples "
                       "(not-a-number or infinite) at %s: the file is corrupt (export it "
                       "again from the editing program)", at);
    }
    if (bmax >= CLIP_LEVEL) {
        for (size_t i = 0; i < got; i++)
            for (size_t c = 0; c < ic; c++) {
                int cl = fabsf(in[i * ic + c]) >= CLIP_LEVEL;
                if (cl && sc->prev_clip[c])
                    sc->clipped++;
                sc->prev_clip[c] = cl;
            }
    } else {
        memset(sc->prev_clip, 0, sizeof sc->prev_clip);
    }
    a->frames += (int64_t)got;
    if (a->frames > (int64_t)24 * 3600 * 192000)
        return cw_fail(err, CW_ELIMIT, sc->name, 0, "the recording is longer than a day "
                       "(split it into lessons)");
    *nout = got;
    return 0;
}

static int scan_drain(cw_audio_stage *s, float *out, size_t *nout, cw_error *err)
{
    (void)out;
    (void)err;
    scan_st *sc = s->priv;
    cw_audio_analysis *a = sc->a;
    a->clipped_pct = a->frames > 0
                         ? 100.0 * (double)sc->clipped / ((double)a->frames * a->channels) : 0.0;
    *nout = 0;
    return 0;
}

static void stop_free(cw_audio_stage *s)
{
    free(s->priv);
    s->priv = NULL;
}

static void stage_scan(cw_audio_stage *s, cw_audio_analysis *a, const char *name)
{
    memset(s, 0, sizeof *s);
    scan_st *sc = calloc(1, sizeof *sc);
    if (!sc)
        return;
    sc->a = a;
    sc->name = name;
    *s = (cw_audio_stage){.name = "scan", .flow = scan_flow, .drain = scan_drain,
                          .stop = stop_free, .priv = sc, .inplace = 1};
}

/* ---- sound: silence, pauses, DC and noise of the mixed signal (in place) ------------------ */

typedef struct sound_st {
    cw_audio_analysis *a;
    int64_t win, wfill, wstart, silent_since;
    double thr, thr2, wsum;
    double sum[8], sq[8], lag[8]; /* per channel: sum x, sum x^2, sum x[n] x[n-1] */
    float last[8];
} sound_st;

static int sound_start(cw_audio_stage *s, const cw_audio_fmt *in, cw_audio_fmt *out,
                       size_t *out_max, cw_error *err)
{
    (void)out;
    (void)out_max;
    (void)err;
    sound_st *d = s->priv;
    d->win = (int64_t)(SILENCE_WINDOW * in->rate + 0.5) > 0
                 ? (int64_t)(SILENCE_WINDOW * in->rate + 0.5) : 1;
    d->thr2 = d->thr * d->thr * (double)d->win * (double)in->channels;
    d->silent_since = -1;
    return 0;
}

static int sound_flow(cw_audio_stage *s, const float *in, size_t *nin, float *out, size_t *nout,
                      cw_error *err)
{
    (void)out;
    (void)err;
    sound_st *d = s->priv;
    cw_audio_analysis *a = d->a;
    const size_t oc = (size_t)a->outch, got = *nin;
    /* sums for the DC offset and the noise test, per channel: eight float lanes per block
     * (vectorised), added into doubles once per block */
    for (size_t c = 0; c < oc; c++) {
        float ls[8] = {0}, lq[8] = {0}, ll[8] = {0};
        float prev = d->last[c];
        size_t i = 0;
        if (oc == 1) {
            if (got > 0) {
                ls[0] += in[0];
                lq[0] += in[0] * in[0];
                ll[0] += in[0] * prev;
                i = 1;
            }
            for (; i + 8 <= got; i += 8)
                for (size_t q = 0; q < 8; q++) {
                    float v = in[i + q];
                    ls[q] += v;
                    lq[q] += v * v;
                    ll[q] += v * in[i + q - 1];
                }
            prev = got > 0 ? in[i - 1] : prev;
        }
        for (; i < got; i++) {
            float v = in[i * oc + c];
            ls[0] += v;
            lq[0] += v * v;
            ll[0] += v * prev;
            prev = v;
        }
        for (size_t q = 0; q < 8; q++) {
            d->sum[c] += ls[q];
            d->sq[c] += lq[q];
            d->lag[c] += ll[q];
        }
        d->last[c] = prev;
    }
    /* silence: mean square over SILENCE_WINDOW windows */
    for (size_t i = 0; i < got;) {
        /* sum up to the end of the current window in one tight loop */
        size_t take = (size_t)(d->win - d->wfill);
        if (take > got - i)
            take = got - i;
        float part = 0.0f;
        for (size_t q = i * oc; q < (i + take) * oc; q++)
            part += in[q] * in[q];
        d->wsum += part;
        d->wfill += (int64_t)take;
        i += take;
        if (d->wfill == d->win) {
            if (d->wsum > d->thr2) {
                if (a->first_sound < 0) {
                    a->first_sound = d->wstart;
                } else if (d->silent_since >= 0) {
                    double pause = (double)(d->wstart - d->silent_since) / a->rate;
                    if (pause > a->longest_pause) {
                        a->longest_pause = pause;
                        a->longest_pause_at = (double)d->silent_since / a->rate;
                    }
                }
                d->silent_since = -1;
                a->sound_end = d->wstart + d->win;
            } else if (d->silent_since < 0 && a->first_sound >= 0) {
                d->silent_since = d->wstart;
            }
            d->wstart += d->win;
            d->wsum = 0.0;
            d->wfill = 0;
        }
    }
    *nout = got;
    return 0;
}

static int sound_drain(cw_audio_stage *s, float *out, size_t *nout, cw_error *err)
{
    (void)out;
    (void)err;
    sound_st *d = s->priv;
    cw_audio_analysis *a = d->a;
    if (d->wfill > 0 && d->wsum > d->thr * d->thr * (double)d->wfill * (double)a->outch) {
        if (a->first_sound < 0)
            a->first_sound = d->wstart;
        a->sound_end = d->wstart + d->wfill;
    }
    double num = 0, den = 0;
    int64_t n = d->wstart + d->wfill;
    for (int c = 0; c < a->outch && n > 1; c++) {
        double mean = d->sum[c] / (double)n;
        a->dc[c] = mean;
        num += d->lag[c] - mean * mean * (double)(n - 1);
        den += d->sq[c] - mean * mean * (double)n;
    }
    a->noise_corr = den > 0 ? num / den : 1.0;
    *nout = 0;
    return 0;
}

static void stage_sound(cw_audio_stage *s, cw_audio_analysis *a, double silence_db)
{
    memset(s, 0, sizeof *s);
    sound_st *d = calloc(1, sizeof *d);
    if (!d)
        return;
    d->a = a;
    d->thr = cw_audio_db_to_lin(silence_db);
    *s = (cw_audio_stage){.name = "sound", .start = sound_start, .flow = sound_flow,
                          .drain = sound_drain, .stop = stop_free, .priv = d, .inplace = 1};
}

/* ---- the pass ------------------------------------------------------------------------- */

static int src_read(void *user, float *buf, size_t frames, size_t *got, cw_error *err)
{
    return cw_audio_src_read(user, buf, frames, got, err);
}

int cw_audio_analyse_pass(const char *path, int outch, double silence_db, int want_tp,
                          cw_audio_analysis *a, cw_audio_pass_progress *pg, cw_error *err)
{
    memset(a, 0, sizeof *a);
    a->first_sound = -1;
    a->tp_db = NAN;
    a->outch = outch;
    a->noise_corr = 1.0;
    cw_audio_src *s = NULL;
    int rc = cw_audio_src_open(&s, path, err);
    if (rc)
        return rc;
    a->rate = cw_audio_src_rate(s);
    a->channels = cw_audio_src_channels(s);
    snprintf(a->format, sizeof a->format, "%s", cw_audio_src_format(s));
    cw_audio_src_tags(s, &a->tags);
    if (pg)
        pg->total = cw_audio_src_frames(s);
    cw_audio_chain *c = NULL;
    cw_audio_loudness loud = {-HUGE_VAL, 0};
    if (cw_audio_chain_new(&c)) {
        cw_audio_src_close(s);
        return cw_fail(err, CW_ENOMEM, path, 0, "out of memory");
    }
    /* a stage that could not be made fails the run (out of memory) */
    cw_audio_stage st, meter;
    stage_scan(&st, a, path);
    cw_audio_chain_add(c, &st);
    if (want_tp) {
        cw_audio_stage_truepeak(&st, &a->tp_db);
        cw_audio_chain_add(c, &st);
    }
    cw_audio_stage_mix(&st, outch);
    cw_audio_chain_add(c, &st);
    stage_sound(&st, a, silence_db);
    cw_audio_chain_add(c, &st);
    /* the meter (libebur128 I + LRA: a third of the pass) on a core of its own */
    cw_audio_stage_meter(&meter, &loud);
    cw_audio_stage_threaded(&st, &meter, "cw-meter");
    cw_audio_chain_add(c, &st);
    cw_audio_fmt fmt = {a->rate, a->channels};
    rc = cw_audio_chain_run(c, src_read, s, &fmt, pg ? cw_audio_pass_report : NULL, pg, err);
    cw_audio_chain_free(c);
    if (rc == 0)
        rc = cw_audio_src_check_end(s, &a->notes, err);
    cw_audio_src_close(s);
    a->lufs = loud.lufs;
    a->lra = loud.lra;
    if (rc)
        cw_audio_analysis_clear(a);
    return rc;
}

int cw_audio_analyse(const char *path, int outch, double silence_db, cw_audio_analysis *out,
                     cw_error *err)
{
    return cw_audio_analyse_pass(path, outch, silence_db, 1, out, NULL, err);
}
