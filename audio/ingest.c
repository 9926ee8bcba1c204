/* ingest.c — one teacher's file -> one broadcast-ready Ogg Vorbis file in the library, or
 * a reason. Two streaming passes over the source: pass 1 decodes and measures (loudness
 * with libebur128, true peak, clipping, NaN, silence at the ends, damage); pass 2 decodes
 * again and runs mix -> fades at the trim points -> resample (libsoxr) -> gain -> look-ahead
 * true-peak limiter -> loudness meter (libebur128) -> Vorbis encoder. The encoder decodes
 * its own packets wherever the signal comes within 3 dB of its loudest (the decoded true
 * peak of the file), the written file's structure and length are checked, and when the
 * decoded peak is over the ceiling or the loudness off target, pass 2 runs again with more
 * limiter margin or a corrected gain.
 * Guarantees: memory does not grow with the recording; the library is touched only at the
 * end, under a lock, by renaming a complete file into place (a refusal leaves it as it
 * was); the same source and settings give the same bytes (serial from the source's SHA-256
 * and the settings; DATE from meta or the source's own date tag, never the clock). */
#include "audio_int.h"

#include <ebur128.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <soxr.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vorbis/codec.h>

#define B CW_BLOCK_FRAMES
#define CLIP_LEVEL 0.9999f
#define SILENCE_WINDOW 0.010  /* s: silence detection window */
#define LONG_PAUSE 20.0       /* s: inner pauses this long are reported */
#define LOOKAHEAD 0.005       /* s: limiter attack */
#define RELEASE 0.080         /* s: limiter release time constant */
#define FIRST_MARGIN 0.5      /* dB under the ceiling the limiter aims at first */
#define MAX_ATTEMPTS 4
#define LUFS_TOLERANCE 0.3    /* LU: re-run pass 2 with corrected gain beyond this */
#define GAIN_SEARCH 12         /* measuring passes to find the gain when limiting costs loudness */
#define MAX_GAIN_DB 60.0       /* dB: no recording is brought up by more */
#define SPOT_WINDOW_DB 3.0    /* dB: the decoded check covers input within this of its peak */

void cw_ingest_result_free(cw_ingest_result *r)
{
    if (!r)
        return;
    cw_strlist_free(&r->warnings);
}

double cw_db_to_lin(double db)
{
    return pow(10.0, db / 20.0);
}

double cw_lin_to_db(double lin)
{
    return lin > 0 ? 20.0 * log10(lin) : -HUGE_VAL;
}

/* ---- pass 1: measure --------------------------------------------------------------- */

typedef struct progress {
    cw_progress_fn fn;
    void *user;
    double base, span;
    int64_t total;
} progress;

static void report(progress *p, int64_t done)
{
    if (p->fn && p->total > 0) {
        double f = (double)done / (double)p->total;
        p->fn(p->user, p->base + p->span * (f > 1 ? 1 : f));
    }
}

/* Pass 1 runs the loudness meter (libebur128: a third of pass 1) on a thread of its own,
 * fed with the mixed blocks through a small ring; the reader scans for damage, clipping
 * and silence meanwhile. The meter sees the same samples in the same order as inline, so
 * the result is the same to the bit. */
#define LQ 8

typedef struct meter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    float *slot[LQ];
    size_t nfr[LQ];
    int head, count, done;
    ebur128_state *eb;
    int threaded;
} meter;

static void *meter_main(void *arg)
{
    pthread_setname_np(pthread_self(), "cw-meter");
    meter *m = arg;
    pthread_mutex_lock(&m->mu);
    for (;;) {
        while (m->count == 0 && !m->done)
            pthread_cond_wait(&m->cv, &m->mu);
        if (m->count == 0)
            break;
        int idx = m->head;
        pthread_mutex_unlock(&m->mu);
        ebur128_add_frames_float(m->eb, m->slot[idx], m->nfr[idx]);
        pthread_mutex_lock(&m->mu);
        m->head = (m->head + 1) % LQ;
        m->count--;
        pthread_cond_broadcast(&m->cv);
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

/* A free slot to mix the next block into (waits while the meter is behind). */
static float *meter_slot(meter *m)
{
    if (!m->threaded)
        return m->slot[0];
    pthread_mutex_lock(&m->mu);
    while (m->count == LQ)
        pthread_cond_wait(&m->cv, &m->mu);
    int idx = (m->head + m->count) % LQ;
    pthread_mutex_unlock(&m->mu);
    return m->slot[idx];
}

/* The slot from meter_slot now holds n frames: measure them. */
static void meter_put(meter *m, size_t n)
{
    if (!m->threaded) {
        ebur128_add_frames_float(m->eb, m->slot[0], n);
        return;
    }
    pthread_mutex_lock(&m->mu);
    m->nfr[(m->head + m->count) % LQ] = n;
    m->count++;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
}

/* Pass 1. The true peak of the source (4x oversampled: a fifth of pass 1) only when
 * want_tp: ingest measures it during pass 2 instead, on the core the encoder leaves. */
static int analyse(const char *path, int outch, double silence_db, int want_tp, cw_analysis *a,
                   progress *pg, cw_error *err)
{
    memset(a, 0, sizeof *a);
    a->first_sound = -1;
    a->tp_db = NAN;
    cw_src *s = NULL;
    int rc = cw_src_open(&s, path, err);
    if (rc)
        return rc;
    a->rate = cw_src_rate(s);
    a->channels = cw_src_channels(s);
    snprintf(a->format, sizeof a->format, "%s", cw_src_format(s));
    cw_src_date(s, a->date);
    pg->total = cw_src_frames(s);
    const size_t ic = (size_t)a->channels, oc = (size_t)outch;
    float *in = malloc(B * ic * sizeof(float));
    meter mt;
    memset(&mt, 0, sizeof mt);
    pthread_t mthread;
    /* integrated loudness and loudness range; histogram mode keeps the meter's memory
     * fixed however long the recording */
    mt.eb = ebur128_init((unsigned)outch, (unsigned long)a->rate,
                         EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_HISTOGRAM);
    cw_truepeak *tp = NULL;
    int slots_ok = 1, sync = 0;
    for (int i = 0; i < LQ; i++)
        slots_ok &= (mt.slot[i] = malloc(B * oc * sizeof(float))) != NULL;
    if (!in || !slots_ok || !mt.eb || (want_tp && cw_truepeak_new(&tp, a->channels))) {
        rc = cw_fail(err, CW_ENOMEM, path, 0, "out of memory");
        goto done;
    }
    if (outch == 1)
        ebur128_set_channel(mt.eb, 0, EBUR128_DUAL_MONO);
    pthread_mutex_init(&mt.mu, NULL);
    pthread_cond_init(&mt.cv, NULL);
    sync = 1;
    mt.threaded = pthread_create(&mthread, NULL, meter_main, &mt) == 0;

    const int64_t win = (int64_t)(SILENCE_WINDOW * a->rate + 0.5) > 0
                            ? (int64_t)(SILENCE_WINDOW * a->rate + 0.5) : 1;
    const double thr = cw_db_to_lin(silence_db);
    const double thr2 = thr * thr * (double)win * (double)oc;
    double wsum = 0.0;
    int64_t wfill = 0, wstart = 0, silent_since = -1;
    int64_t clipped = 0;
    int prev_clip[8] = {0};
    for (;;) {
        size_t got = 0;
        rc = cw_src_read(s, in, B, &got, err);
        if (rc)
            goto done;
        if (got == 0)
            break;
        /* one cheap pass: the block's largest magnitude (NaN/Inf make the sums
         * non-finite); eight lanes so the compiler can vectorise it */
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
            while (i < got * ic && isfinite(in[i]))
                i++;
            char at[32];
            cw_fmt_duration((double)(a->frames + (int64_t)(i / ic)) / a->rate, at);
            rc = cw_fail(err, CW_EINVAL, path, 0, "the recording contains invalid samples "
                         "(not-a-number or infinite) at %s: the file is corrupt (export it "
                         "again from the editing program)", at);
            goto done;
        }
        if (bmax >= CLIP_LEVEL) {
            for (size_t i = 0; i < got; i++)
                for (size_t c = 0; c < ic; c++) {
                    int cl = fabsf(in[i * ic + c]) >= CLIP_LEVEL;
                    if (cl && prev_clip[c])
                        clipped++;
                    prev_clip[c] = cl;
                }
        } else {
            memset(prev_clip, 0, sizeof prev_clip);
        }
        if (tp)
            cw_truepeak_add(tp, in, got);
        float *mix = meter_slot(&mt);
        cw_mix(in, a->channels, mix, outch, got);
        /* silence: mean square over SILENCE_WINDOW windows of the mixed signal */
        for (size_t i = 0; i < got;) {
            /* sum up to the end of the current window in one tight loop */
            size_t take = (size_t)(win - wfill);
            if (take > got - i)
                take = got - i;
            float part = 0.0f;
            for (size_t q = i * oc; q < (i + take) * oc; q++)
                part += mix[q] * mix[q];
            wsum += part;
            wfill += (int64_t)take;
            i += take;
            if (wfill == win) {
                if (wsum > thr2) {
                    if (a->first_sound < 0)
                        a->first_sound = wstart;
                    else if (silent_since >= 0) {
                        double pause = (double)(wstart - silent_since) / a->rate;
                        if (pause > a->longest_pause) {
                            a->longest_pause = pause;
                            a->longest_pause_at = (double)silent_since / a->rate;
                        }
                    }
                    silent_since = -1;
                    a->sound_end = wstart + win;
                } else if (silent_since < 0 && a->first_sound >= 0) {
                    silent_since = wstart;
                }
                wstart += win;
                wsum = 0.0;
                wfill = 0;
            }
        }
        meter_put(&mt, got);
        a->frames += (int64_t)got;
        report(pg, a->frames);
        if (a->frames > (int64_t)24 * 3600 * 192000) {
            rc = cw_fail(err, CW_ELIMIT, path, 0, "the recording is longer than a day "
                         "(split it into lessons)");
            goto done;
        }
    }
    if (wfill > 0 && wsum > thr * thr * (double)wfill * (double)oc) {
        if (a->first_sound < 0)
            a->first_sound = wstart;
        a->sound_end = wstart + wfill;
    }
    rc = cw_src_check_end(s, err);
    if (rc)
        goto done;
    a->clipped_pct = a->frames > 0 ? 100.0 * (double)clipped / ((double)a->frames * ic) : 0.0;
    if (tp)
        a->tp_db = cw_lin_to_db(cw_truepeak_max(tp));
done:
    if (mt.threaded) {
        pthread_mutex_lock(&mt.mu);
        mt.done = 1;
        pthread_cond_broadcast(&mt.cv);
        pthread_mutex_unlock(&mt.mu);
        pthread_join(mthread, NULL);
    }
    if (mt.eb && rc == 0) {
        a->lufs = -HUGE_VAL;
        ebur128_loudness_global(mt.eb, &a->lufs);
        ebur128_loudness_range(mt.eb, &a->lra);
    }
    if (sync) {
        pthread_mutex_destroy(&mt.mu);
        pthread_cond_destroy(&mt.cv);
    }
    cw_truepeak_free(tp);
    if (mt.eb)
        ebur128_destroy(&mt.eb);
    for (int i = 0; i < LQ; i++)
        free(mt.slot[i]);
    free(in);
    cw_src_close(s);
    return rc;
}

int cw_analyse(const char *path, int outch, double silence_db, cw_analysis *out,
               cw_error *err)
{
    progress pg = {NULL, NULL, 0, 0, 0};
    return analyse(path, outch, silence_db, 1, out, &pg, err);
}

/* ---- pass 2: process and encode ---------------------------------------------------- */

typedef struct plan2 {
    int64_t lead, tail;        /* source frames kept: [lead, tail) */
    int64_t fade_in, fade_out; /* source frames */
    double gain;               /* linear */
    double ceiling;            /* linear, margin included */
    int rate, channels;
    double quality;
    uint32_t serial;
    const cw_link_meta *meta;
    int dry; /* measure only: no encoder, nothing written */
} plan2;

typedef struct out2 {
    int64_t frames;
    double min_gain;
    long header_bytes;
} out2;

static float fade_gain(int64_t t, int64_t len)
{
    if (t >= len)
        return 1.0f;
    if (t <= 0)
        return 0.0f;
    return (float)(0.5 - 0.5 * cos(M_PI * (double)t / (double)len));
}

/* ---- the pipeline: DSP (caller) -> encoder thread ------------------------------------
 * The encoder is the slow stage; the DSP before it (decoding, mixing, resampling, the
 * limiter and the output loudness meter) runs beside it on another core, so the whole
 * costs little more wall time than the encoder alone. The encoder checks its own output
 * as it goes (cw_vorbis_enc_spot_check): the decoded true peak where it can matter and
 * the decoded length. */

#define QSLOTS 8

typedef struct check {
    int64_t frames;  /* decoded length */
    int64_t decoded; /* frames the spot check decoded */
    double lufs, lra, tp_db;
} check;

typedef struct pipeline {
    pthread_mutex_t mu;
    pthread_cond_t cv;      /* the encoder waits for input here */
    pthread_cond_t cv_room; /* the DSP waits for a free slot here */
    float *slot[QSLOTS];
    size_t nfr[QSLOTS], cap; /* frames */
    int head, count, input_done, abort_all;
    cw_vorbis_enc *enc;
    int channels;
    int enc_rc;
    cw_error enc_err;
    cw_vorbis_check vchk;
} pipeline;

static void *encoder_main(void *arg)
{
    pthread_setname_np(pthread_self(), "cw-encoder");
    pipeline *p = arg;
    int rc = 0;
    for (;;) {
        pthread_mutex_lock(&p->mu);
        while (p->count == 0 && !p->input_done)
            pthread_cond_wait(&p->cv, &p->mu);
        if (p->count == 0) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        int idx = p->head;
        pthread_mutex_unlock(&p->mu);
        if (rc == 0)
            rc = cw_vorbis_enc_write(p->enc, p->slot[idx], p->nfr[idx], &p->enc_err);
        pthread_mutex_lock(&p->mu);
        p->head = (p->head + 1) % QSLOTS;
        p->count--;
        if (rc)
            p->enc_rc = rc;
        pthread_cond_signal(&p->cv_room);
        pthread_mutex_unlock(&p->mu);
    }
    pthread_mutex_lock(&p->mu);
    int abandon = p->abort_all || rc;
    pthread_mutex_unlock(&p->mu);
    if (abandon)
        cw_vorbis_enc_abort(p->enc);
    else
        rc = cw_vorbis_enc_finish_checked(p->enc, &p->vchk, &p->enc_err);
    p->enc = NULL;
    pthread_mutex_lock(&p->mu);
    if (rc)
        p->enc_rc = rc;
    pthread_cond_broadcast(&p->cv_room);
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

/* Hand n frames to the encoder (copied); fails when the encoder has failed. */
static int push(pipeline *p, const float *x, size_t n)
{
    const size_t ch = (size_t)p->channels;
    while (n > 0) {
        size_t m = n < p->cap ? n : p->cap;
        pthread_mutex_lock(&p->mu);
        while (p->count == QSLOTS && !p->enc_rc)
            pthread_cond_wait(&p->cv_room, &p->mu);
        if (p->enc_rc) {
            pthread_mutex_unlock(&p->mu);
            return p->enc_rc;
        }
        int idx = (p->head + p->count) % QSLOTS;
        pthread_mutex_unlock(&p->mu);
        /* the slot is ours until count is raised */
        memcpy(p->slot[idx], x, m * ch * sizeof(float));
        p->nfr[idx] = m;
        pthread_mutex_lock(&p->mu);
        p->count++;
        pthread_cond_signal(&p->cv);
        pthread_mutex_unlock(&p->mu);
        x += m * ch;
        n -= m;
    }
    return 0;
}

/* Limiter, then the meter and the encoder, for n frames (any n). */
static int lim_push(cw_limiter *lim, ebur128_state *eb, pipeline *pl, const float *x, size_t n,
                    float *lo, int ch, int64_t *frames)
{
    while (n > 0) {
        size_t m = n < B ? n : B, got = 0;
        cw_limiter_process(lim, x, m, lo, &got);
        if (got) {
            ebur128_add_frames_float(eb, lo, got);
            int rc = pl ? push(pl, lo, got) : 0;
            if (rc)
                return rc;
            *frames += (int64_t)got;
        }
        x += m * (size_t)ch;
        n -= m;
    }
    return 0;
}

/* src_tp (NULL: not this time) gets the true peak of every source frame, the trimmed
 * ends included: pass 1 leaves it to this pass, whose thread has time while the encoder
 * works. */
static int process(const char *path, const char *work_path, const plan2 *p, FILE *fp, out2 *o,
                   check *k, cw_truepeak *src_tp, progress *pg, cw_error *err)
{
    memset(o, 0, sizeof *o);
    memset(k, 0, sizeof *k);
    cw_src *s = NULL;
    int rc = cw_src_open(&s, path, err);
    if (rc)
        return rc;
    const int inch = cw_src_channels(s), in_rate = cw_src_rate(s);
    const size_t ic = (size_t)inch, oc = (size_t)p->channels;
    const double ratio = (double)p->rate / in_rate;
    const size_t rs_cap = (size_t)ceil(B * ratio) + 256;
    cw_limiter *lim = NULL;
    soxr_t sx = NULL;
    pipeline pl;
    memset(&pl, 0, sizeof pl);
    int threading = 0; /* the encoder thread runs */
    pthread_t te;
    ebur128_state *eb = ebur128_init((unsigned)p->channels, (unsigned long)p->rate,
                                     EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_HISTOGRAM);
    float *in = malloc(B * ic * sizeof(float));
    float *mix = malloc(B * oc * sizeof(float));
    float *rs = malloc(rs_cap * oc * sizeof(float));
    float *lo = NULL;
    if (!in || !mix || !rs || !eb ||
        cw_limiter_new(&lim, p->channels, p->rate, p->gain, p->ceiling, LOOKAHEAD, RELEASE)) {
        rc = cw_fail(err, CW_ENOMEM, path, 0, "out of memory");
        goto done;
    }
    pl.cap = B + cw_limiter_delay(lim) + 1;
    lo = malloc(pl.cap * oc * sizeof(float));
    for (int i = 0; i < QSLOTS; i++)
        if (!(pl.slot[i] = malloc(pl.cap * oc * sizeof(float))))
            lo = NULL;
    if (!lo) {
        rc = cw_fail(err, CW_ENOMEM, path, 0, "out of memory");
        goto done;
    }
    if (in_rate != p->rate) {
        soxr_error_t se = NULL;
        sx = soxr_create(in_rate, p->rate, (unsigned)p->channels, &se, NULL, NULL, NULL);
        if (!sx || se) {
            rc = cw_fail(err, CW_EINTERNAL, path, 0, "cannot resample %d -> %d Hz: %s",
                         in_rate, p->rate, se ? se : "?");
            goto done;
        }
    }
    if (p->channels == 1)
        ebur128_set_channel(eb, 0, EBUR128_DUAL_MONO);
    pipeline *plp = p->dry ? NULL : &pl;
    if (p->dry)
        goto run;
    rc = cw_vorbis_enc_new(&pl.enc, fp, p->rate, p->channels, p->quality, p->serial, p->meta, err);
    if (rc)
        goto done;
    o->header_bytes = cw_vorbis_enc_header_bytes(pl.enc);
    if ((rc = cw_vorbis_enc_spot_check(pl.enc, SPOT_WINDOW_DB)) != 0) {
        cw_vorbis_enc_abort(pl.enc);
        rc = cw_fail(err, rc, path, 0, "cannot set up the check of the encoded file");
        goto done;
    }
    pl.channels = p->channels;
    pthread_mutex_init(&pl.mu, NULL);
    pthread_cond_init(&pl.cv, NULL);
    pthread_cond_init(&pl.cv_room, NULL);
    if (pthread_create(&te, NULL, encoder_main, &pl) != 0) {
        cw_vorbis_enc_abort(pl.enc);
        pthread_mutex_destroy(&pl.mu);
        pthread_cond_destroy(&pl.cv);
        pthread_cond_destroy(&pl.cv_room);
        rc = cw_fail(err, CW_EIO, work_path, 0, "cannot start the encoder: %s", strerror(errno));
        goto done;
    }
    threading = 1;
run:;

    int64_t pos = 0;
    pg->total = p->tail;
    while (pos < p->tail) {
        size_t want = B;
        if (pos < p->lead && (int64_t)want > p->lead - pos)
            want = (size_t)(p->lead - pos); /* discard up to the lead exactly */
        else if (pos >= p->lead && (int64_t)want > p->tail - pos)
            want = (size_t)(p->tail - pos);
        size_t got = 0;
        rc = cw_src_read(s, in, want, &got, err);
        if (rc)
            goto done;
        if (got == 0)
            break; /* pass 1 read this far: cannot happen unless the file changed */
        if (src_tp)
            cw_truepeak_add(src_tp, in, got);
        if (pos < p->lead) {
            pos += (int64_t)got;
            continue;
        }
        cw_mix(in, inch, mix, p->channels, got);
        /* fades at the cut points, in the source domain */
        int64_t t0 = pos - p->lead, seg = p->tail - p->lead;
        if (t0 < p->fade_in || t0 + (int64_t)got > seg - p->fade_out) {
            for (size_t i = 0; i < got; i++) {
                int64_t t = t0 + (int64_t)i;
                float g = fade_gain(t, p->fade_in) * fade_gain(seg - 1 - t, p->fade_out);
                for (size_t c = 0; c < oc; c++)
                    mix[i * oc + c] *= g;
            }
        }
        pos += (int64_t)got;
        if (sx) {
            size_t off = 0;
            while (off < got) {
                size_t idone = 0, odone = 0;
                soxr_error_t se = soxr_process(sx, mix + off * oc, got - off, &idone, rs,
                                               rs_cap, &odone);
                if (se) {
                    rc = cw_fail(err, CW_EINTERNAL, path, 0, "resampler failed: %s", se);
                    goto done;
                }
                off += idone;
                if ((rc = lim_push(lim, eb, plp, rs, odone, lo, p->channels, &o->frames)))
                    goto done;
            }
        } else if ((rc = lim_push(lim, eb, plp, mix, got, lo, p->channels, &o->frames))) {
            goto done;
        }
        report(pg, pos);
    }
    if (sx) {
        for (;;) {
            size_t odone = 0;
            soxr_error_t se = soxr_process(sx, NULL, 0, NULL, rs, rs_cap, &odone);
            if (se) {
                rc = cw_fail(err, CW_EINTERNAL, path, 0, "resampler failed: %s", se);
                goto done;
            }
            if (odone == 0)
                break;
            if ((rc = lim_push(lim, eb, plp, rs, odone, lo, p->channels, &o->frames)))
                goto done;
        }
    }
    size_t got = 0;
    cw_limiter_drain(lim, lo, &got);
    if (got) {
        ebur128_add_frames_float(eb, lo, got);
        if (plp && (rc = push(plp, lo, got)))
            goto done;
    }
    o->frames += (int64_t)got;
    o->min_gain = cw_limiter_min_gain(lim);
    /* the rest of the source, for its true peak only (the encoder has its queue to do) */
    while (src_tp) {
        rc = cw_src_read(s, in, B, &got, err);
        if (rc || got == 0)
            break;
        cw_truepeak_add(src_tp, in, got);
    }
done:
    if (threading) {
        pthread_mutex_lock(&pl.mu);
        pl.input_done = 1;
        if (rc)
            pl.abort_all = 1;
        pthread_cond_broadcast(&pl.cv);
        pthread_mutex_unlock(&pl.mu);
        pthread_join(te, NULL);
        pthread_mutex_destroy(&pl.mu);
        pthread_cond_destroy(&pl.cv);
        pthread_cond_destroy(&pl.cv_room);
        if (rc == 0 && pl.enc_rc) {
            rc = pl.enc_rc;
            if (err)
                *err = pl.enc_err;
        }
    }
    if (rc == 0 && !p->dry) {
        /* what was written: the file's own structure (page CRCs, framing, headers, sample
         * count from the block sizes) must agree with the encoder's account */
        int links = 0;
        int64_t samples = 0;
        rc = cw_ogg_check(work_path, &links, &samples, err);
        if (rc == 0 && (links != 1 || samples != o->frames || pl.vchk.frames != o->frames))
            rc = cw_fail(err, CW_EINTERNAL, path, 0, "encoded %lld frames but the file holds "
                         "%lld (please report this)", (long long)o->frames, (long long)samples);
    }
    if (rc == 0) {
        k->frames = p->dry ? o->frames : pl.vchk.frames;
        k->decoded = pl.vchk.decoded;
        k->tp_db = cw_lin_to_db(pl.vchk.true_peak);
        k->lufs = -HUGE_VAL;
        ebur128_loudness_global(eb, &k->lufs);
        ebur128_loudness_range(eb, &k->lra);
    }
    if (eb)
        ebur128_destroy(&eb);
    for (int i = 0; i < QSLOTS; i++)
        free(pl.slot[i]);
    if (sx)
        soxr_delete(sx);
    cw_limiter_free(lim);
    free(in);
    free(mix);
    free(rs);
    free(lo);
    cw_src_close(s);
    return rc;
}

/* The gain that brings the limited signal to `target` LUFS, found by measuring only
 * (decode, limiter, meter: no encoding, a seventh of the cost of a pass), starting from
 * gain_db, which gave l0. The limiter makes loudness grow slower than the gain (and a
 * file whose loudness comes from clicks can even get quieter at first), so the steps are
 * secant steps, at most twice the shortfall each. *gain_db ends at the best gain seen. */
static int find_gain(const char *path, const plan2 *p0, double target, double *gain_db,
                     double l0, progress *pg, cw_error *err)
{
    plan2 p = *p0;
    p.dry = 1;
    progress quiet = *pg; /* the bar holds still while the gain is searched */
    quiet.span = 0.0;
    pg = &quiet;
    double g0 = *gain_db, g1 = g0 + (target - l0), best = fabs(l0 - target);
    for (int i = 0; i < GAIN_SEARCH; i++) {
        if (g1 > MAX_GAIN_DB)
            g1 = MAX_GAIN_DB;
        if (g1 == g0)
            break;
        p.gain = cw_db_to_lin(g1);
        out2 o;
        check k;
        int rc = process(path, NULL, &p, NULL, &o, &k, NULL, pg, err);
        if (rc)
            return rc;
        double l1 = k.lufs;
        if (!isfinite(l1))
            break;
        if (fabs(l1 - target) < best) {
            best = fabs(l1 - target);
            *gain_db = g1;
        }
        if (fabs(l1 - target) <= 0.1)
            break;
        double slope = (l1 - l0) / (g1 - g0), step = target - l1, most = 2.0 * fabs(step);
        if (slope > 0.2 && slope < 1.5)
            step /= slope;
        if (fabs(step) > most)
            step = step > 0 ? most : -most;
        g0 = g1;
        l0 = l1;
        g1 += step;
    }
    return 0;
}

/* ---- metadata and paths ------------------------------------------------------------ */

static int key_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 64 || s[0] == '.' || s[0] == '-')
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') &&
            c != '-' && c != '_' && c != '.')
            return 0;
    }
    return 1;
}

static int text_ok(const char *what, const char *s, size_t max, cw_error *err)
{
    if (!s)
        return 0;
    size_t n = strlen(s);
    if (n > max)
        return cw_fail(err, CW_EINVAL, "", 0, "the %s is longer than %zu bytes (shorten it)",
                       what, max);
    if (!cw_utf8_valid(s, n))
        return cw_fail(err, CW_EINVAL, "", 0, "the %s is not valid UTF-8 text (retype it)",
                       what);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 && !(s[i] == '\n' && max > 1000))
            return cw_fail(err, CW_EINVAL, "", 0, "the %s contains control characters "
                           "(retype it)", what);
    return 0;
}

/* Stem of a path's base name, '_' shown as a space, for a default title. */
static void default_title(const char *path, char *out, size_t cap)
{
    const char *b = cw_path_base(path);
    const char *dot = strrchr(b, '.');
    size_t n = dot && dot != b ? (size_t)(dot - b) : strlen(b);
    if (n >= cap)
        n = cap - 1;
    for (size_t i = 0; i < n; i++)
        out[i] = b[i] == '_' ? ' ' : b[i];
    out[n] = 0;
}

/* ---- the library lock -------------------------------------------------------------- */

/* Serialises the final check-and-rename of every ingest (threads and processes): flock on
 * STATION/library/.ingest.lock, taken for milliseconds. */
static int lib_lock(const char *station_dir, int *fd, cw_error *err)
{
    char *lib = cw_path_join(station_dir, "library");
    char *p = lib ? cw_path_join(lib, ".ingest.lock") : NULL;
    int rc = 0;
    if (!p) {
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    } else if ((rc = cw_mkdir_p(lib, err)) == 0) {
        *fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (*fd < 0)
            rc = cw_fail(err, CW_EIO, p, 0, "cannot open the library lock: %s (check the "
                         "station folder is writable)", strerror(errno));
        else
            while (flock(*fd, LOCK_EX) != 0 && errno == EINTR) {
            }
    }
    free(lib);
    free(p);
    return rc;
}

static void lib_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* releases the flock */
}

/* Refusals that depend on the library: the same source, or the same series/episode. */
static int library_conflicts(const char *station_dir, const char *sha, const char *series,
                             int episode, int replace, const char **replace_path_out,
                             char *replace_buf, size_t replace_cap, const char *src,
                             cw_error *err)
{
    cw_library *lib = NULL;
    int rc = cw_library_scan(&lib, station_dir, err);
    if (rc)
        return rc;
    *replace_path_out = NULL;
    const cw_recording *same = series[0] && episode > 0
                                   ? cw_library_find_episode(lib, series, episode) : NULL;
    const cw_recording *dup = cw_library_find_source(lib, sha);
    if (dup && !(replace && dup == same)) {
        char len[32];
        cw_fmt_duration(dup->rate > 0 ? (double)dup->length_samples / dup->rate : 0, len);
        rc = cw_fail(err, CW_EEXIST, src, 0, "this recording is already in the library as "
                     "'%s' (%s%s%s, episode %d, %s); nothing to do (to store it again under "
                     "the same episode, use --replace)", dup->path,
                     dup->title[0] ? dup->title : "untitled", dup->series[0] ? ", series " : "",
                     dup->series, dup->episode, len);
    } else if (same && !replace) {
        rc = cw_fail(err, CW_EEXIST, src, 0, "series '%s' already has episode %d ('%s', %s); "
                     "refused (give another --episode, or --replace to overwrite it)", series,
                     episode, same->title, same->path);
    } else if (same) {
        snprintf(replace_buf, replace_cap, "%s", same->path);
        *replace_path_out = replace_buf;
    }
    cw_library_free(lib);
    return rc;
}

/* The source checksum and the library conflicts it may have, on a thread beside pass 1
 * (the checksum reads the whole file: a tenth of a second per 100 MB that need not wait). */
typedef struct precheck {
    const char *dir, *src, *series;
    int episode, replace;
    char sha[65];
    const char **replace_path;
    char *replace_buf;
    size_t replace_cap;
    int sha_rc, rc;
    cw_error err;
} precheck;

static void *precheck_main(void *arg)
{
    pthread_setname_np(pthread_self(), "cw-checksum");
    precheck *q = arg;
    q->rc = q->sha_rc = cw_sha256_file(q->src, q->sha, &q->err);
    if (q->rc == 0)
        q->rc = library_conflicts(q->dir, q->sha, q->series, q->episode, q->replace,
                                  q->replace_path, q->replace_buf, q->replace_cap, q->src,
                                  &q->err);
    return NULL;
}

/* Copy the file at src_path from offset to the end into dst. */
static int copy_tail(const char *src_path, long offset, FILE *dst, cw_error *err)
{
    FILE *src = fopen(src_path, "rb");
    if (!src)
        return cw_fail(err, CW_EIO, src_path, 0, "cannot read the work file: %s", strerror(errno));
    int rc = 0;
    if (fseek(src, offset, SEEK_SET) != 0) {
        rc = cw_fail(err, CW_EIO, src_path, 0, "cannot seek the work file: %s", strerror(errno));
    } else {
        static __thread char buf[1 << 16];
        size_t n;
        while (rc == 0 && (n = fread(buf, 1, sizeof buf, src)) > 0)
            if (fwrite(buf, 1, n, dst) != n)
                rc = cw_fail(err, CW_EIO, "", 0, "cannot write the library file (disk full?)");
        if (rc == 0 && ferror(src))
            rc = cw_fail(err, CW_EIO, src_path, 0, "cannot read the work file");
    }
    fclose(src);
    return rc;
}

/* ---- the whole thing --------------------------------------------------------------- */

static void fmt2(cw_strlist *l, const char *key, double v)
{
    if (isfinite(v))
        cw_strlist_pushf(l, "%s=%.2f", key, v);
}

int cw_ingest_file(const cw_station *st, const char *src_path, const cw_ingest_meta *meta,
                   int replace, cw_progress_fn progress_fn, void *progress_user,
                   cw_ingest_result *res, cw_error *err)
{
    memset(res, 0, sizeof *res);
    cw_ingest_meta m = *meta;
    char title_buf[256];
    int rc = 0;
    cw_atomic *work = NULL, *final = NULL;
    FILE *wfp = NULL;
    cw_strlist extra = {0};
    char *final_abs = NULL, *final_dir = NULL;
    int lockfd = -1;
    cw_truepeak *src_tp = NULL;

    /* --- metadata checks (cheap, first) --- */
    if (m.kind == CW_KIND_NONE)
        m.kind = m.series && m.series[0] ? CW_KIND_LESSON : CW_KIND_FILLER;
    if (m.kind != CW_KIND_LESSON && m.kind != CW_KIND_NEWSLETTER && m.kind != CW_KIND_FILLER)
        return cw_fail(err, CW_EINVAL, src_path, 0, "kind must be lesson, newsletter or filler");
    if (!m.series)
        m.series = "";
    if (m.series[0] && !key_ok(m.series))
        return cw_fail(err, CW_EINVAL, src_path, 0, "series key '%.80s' may use only letters, "
                       "digits, '-', '_' and '.', up to 64 (e.g. maths-5)", m.series);
    if (m.kind == CW_KIND_LESSON && (!m.series[0] || m.episode <= 0))
        return cw_fail(err, CW_EINVAL, src_path, 0, "a lesson needs a series and an episode "
                       "number (give --series KEY --episode N, or a NAME.txt sidecar)");
    if (m.episode < 0 || m.episode > 999)
        return cw_fail(err, CW_EINVAL, src_path, 0, "episode %d is out of range (1 to 999)",
                       m.episode);
    if (!m.title || !m.title[0]) {
        default_title(src_path, title_buf, sizeof title_buf);
        m.title = title_buf;
    }
    if ((rc = text_ok("title", m.title, 200, err)) || (rc = text_ok("teacher", m.teacher, 200, err)) ||
        (rc = text_ok("language", m.language, 35, err)) ||
        (rc = text_ok("description", m.description, CW_DESCRIPTION_MAX_BYTES, err)))
        return rc;
    cw_date d1, d2;
    if (m.valid_from && m.valid_from[0] && cw_date_parse(m.valid_from, &d1))
        return cw_fail(err, CW_EINVAL, src_path, 0, "valid-from '%.40s' is not a date "
                       "(use YYYY-MM-DD)", m.valid_from);
    if (m.valid_until && m.valid_until[0] && cw_date_parse(m.valid_until, &d2))
        return cw_fail(err, CW_EINVAL, src_path, 0, "valid-until '%.40s' is not a date "
                       "(use YYYY-MM-DD)", m.valid_until);
    if (m.valid_from && m.valid_from[0] && m.valid_until && m.valid_until[0] &&
        cw_date_cmp(d1, d2) > 0)
        return cw_fail(err, CW_EINVAL, src_path, 0, "valid-from %s is after valid-until %s "
                       "(swap them)", m.valid_from, m.valid_until);
    if (m.date && m.date[0] && cw_date_parse(m.date, &d1))
        return cw_fail(err, CW_EINVAL, src_path, 0, "date '%.40s' is not a date (use "
                       "YYYY-MM-DD)", m.date);
    if (!m.language || !m.language[0])
        m.language = st->language;

    /* --- the source checksum and the library as it is now, beside pass 1; their
     * refusals come first, as if they had run before it --- */
    const char *replace_path = NULL;
    char replace_buf[1100];
    precheck q = {.dir = st->dir, .src = src_path, .series = m.series, .episode = m.episode,
                  .replace = replace, .replace_path = &replace_path, .replace_buf = replace_buf,
                  .replace_cap = sizeof replace_buf};
    q.err.text[0] = 0;
    struct stat sb;
    pthread_t qt;
    /* not a regular file (a FIFO would block the decoder's open): the checksum refuses it */
    int q_threaded = stat(src_path, &sb) == 0 && S_ISREG(sb.st_mode) &&
                     pthread_create(&qt, NULL, precheck_main, &q) == 0;
    if (!q_threaded) {
        precheck_main(&q);
        if (q.rc) {
            if (err)
                *err = q.err;
            return q.rc;
        }
    }
    const char *sha = q.sha;

    /* --- pass 1 --- */
    progress pg = {progress_fn, progress_user, 0.0, 0.25, 0};
    cw_analysis a;
    cw_error e1;
    e1.text[0] = 0;
    rc = analyse(src_path, st->channels, st->silence_threshold, 0, &a, &pg, &e1);
    if (q_threaded)
        pthread_join(qt, NULL);
    if (q.rc) {
        if (err)
            *err = q.err;
        return q.rc;
    }
    if (rc) {
        if (err)
            *err = e1;
        return rc;
    }
    double total_s = (double)a.frames / a.rate;
    char dur[32], lim[32];
    if (a.first_sound < 0 || !(a.lufs > -70.0)) {
        cw_fmt_duration(total_s, dur);
        if (total_s < st->min_length) {
            cw_fmt_duration(st->min_length, lim);
            return cw_fail(err, CW_EINVAL, src_path, 0, "the recording is too short: %s (at "
                           "least %s of speech are needed)", dur, lim);
        }
        return cw_fail(err, CW_EINVAL, src_path, 0, "the recording is silent (nothing louder "
                       "than %.0f dBFS in %s): check the microphone was on and record again",
                       st->silence_threshold, dur);
    }
    int64_t margin = (int64_t)(st->silence_margin * a.rate + 0.5);
    int64_t min_pause = (int64_t)(st->min_pause * a.rate + 0.5);
    int64_t lead = a.first_sound > margin ? a.first_sound - margin : 0;
    int64_t tail = a.sound_end + margin < a.frames ? a.sound_end + margin : a.frames;
    if (a.first_sound < min_pause)
        lead = 0; /* a breath before the first word is not a gap to cut */
    if (a.frames - a.sound_end < min_pause)
        tail = a.frames;
    double kept = (double)(tail - lead) / a.rate;
    if (kept < st->min_length) {
        cw_fmt_duration(kept, dur);
        cw_fmt_duration(st->min_length, lim);
        return cw_fail(err, CW_EINVAL, src_path, 0, "the recording is too short: %s of sound "
                       "after removing silence at the ends (at least %s are needed)", dur, lim);
    }
    if (kept > st->max_length) {
        cw_fmt_duration(kept, dur);
        cw_fmt_duration(st->max_length, lim);
        return cw_fail(err, CW_ELIMIT, src_path, 0, "the recording is too long: %s (the "
                       "station takes at most %s; split it into parts)", dur, lim);
    }
    res->lufs_in = a.lufs;
    res->clipped_percent = a.clipped_pct;
    res->trimmed_lead = (double)lead / a.rate;
    res->trimmed_tail = (double)(a.frames - tail) / a.rate;
    if (a.clipped_pct >= 0.1)
        cw_strlist_pushf(&res->warnings, "the recording is clipped (distorted by being too "
                         "loud) in %.1f%% of its samples: it will sound rough; next time record "
                         "a little further from the microphone", a.clipped_pct);
    if (a.longest_pause >= LONG_PAUSE) {
        cw_fmt_duration(a.longest_pause_at, lim);
        cw_strlist_pushf(&res->warnings, "there is a pause of %.0f s at %s (kept; check "
                         "nothing is missing)", a.longest_pause, lim);
    }

    /* --- names --- */
    char slug[64], series_dir[80];
    cw_slugify(m.title, slug, 48);
    if (m.series[0]) {
        snprintf(series_dir, sizeof series_dir, "%s", m.series);
    } else {
        char stem[256];
        default_title(src_path, stem, sizeof stem);
        cw_slugify(stem, series_dir, 48);
    }
    snprintf(res->library_path, sizeof res->library_path, "library/%s/%s/%03d-%s.ogg",
             cw_kind_name(m.kind), series_dir, m.episode, slug);
    final_abs = cw_path_join(st->dir, res->library_path);
    if (!final_abs)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    final_dir = cw_strndup(final_abs, (size_t)(cw_path_base(final_abs) - final_abs));
    if (!final_dir) {
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        goto done;
    }
    if ((rc = cw_mkdir_p(final_dir, err)))
        goto done;
    cw_cleanup_stale_tmp(final_dir); /* work files of killed runs */

    /* --- settings, serial, comments --- */
    char settings[512];
    snprintf(settings, sizeof settings, "%s|%d|%d|%.3f|%.3f|%.3f|%.3f|%.3f|%.3f|%.3f|%.3f|%.3f",
             sha, st->rate, st->channels, st->quality, st->loudness, st->true_peak,
             st->silence_threshold, st->silence_margin, st->fade, st->min_length,
             st->max_length, st->min_pause);
    uint32_t serial = cw_hash32(settings, strlen(settings));
    const char *date = m.date && m.date[0] ? m.date : a.date;

    /* --- pass 2 until the decoded file is within the ceiling and the target --- */
    plan2 p = {.lead = lead, .tail = tail, .rate = st->rate, .channels = st->channels,
               .quality = st->quality, .serial = serial};
    double fade_s = st->fade < st->silence_margin ? st->fade : st->silence_margin;
    int64_t fade_max = (int64_t)(fade_s * a.rate + 0.5);
    int64_t short_fade = (int64_t)(0.005 * a.rate + 0.5); /* de-click even when not trimmed */
    p.fade_in = lead > 0 ? (fade_max < a.first_sound - lead ? fade_max : a.first_sound - lead)
                         : short_fade;
    p.fade_out = tail < a.frames ? (fade_max < tail - a.sound_end ? fade_max : tail - a.sound_end)
                                 : short_fade;
    if (p.fade_in < short_fade)
        p.fade_in = short_fade;
    if (p.fade_out < short_fade)
        p.fade_out = short_fade;
    double gain_db = st->loudness - a.lufs, margin_db = FIRST_MARGIN;
    cw_link_meta lm = {.title = m.title, .artist = m.teacher, .album = m.series[0] ? m.series : NULL,
                       .genre = cw_kind_name(m.kind), .language = m.language,
                       .description = m.description, .tracknumber = m.episode, .extra = NULL};
    out2 o;
    check k;
    memset(&k, 0, sizeof k);
    if (cw_truepeak_new(&src_tp, a.channels)) {
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        goto done;
    }
    int ok = 0;
    for (int attempt = 0; attempt < MAX_ATTEMPTS && !ok; attempt++) {
        if (wfp)
            rewind(wfp);
        if (!work) {
            char *wp = cw_asprintf("%s.work", final_abs);
            rc = wp ? cw_atomic_open(&work, wp, err) : cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
            free(wp);
            if (rc)
                goto done;
            wfp = cw_atomic_fp(work);
        } else if (ftruncate(fileno(wfp), 0) != 0) {
            rc = cw_fail(err, CW_EIO, "", 0, "cannot reuse the work file: %s", strerror(errno));
            goto done;
        }
        p.gain = cw_db_to_lin(gain_db);
        p.ceiling = cw_db_to_lin(st->true_peak - margin_db);
        p.meta = &lm;
        pg.base = 0.25 + 0.6 * attempt / MAX_ATTEMPTS;
        pg.span = attempt == 0 ? 0.6 : 0.6 / MAX_ATTEMPTS;
        rc = process(src_path, cw_atomic_tmp_path(work), &p, wfp, &o, &k,
                     attempt == 0 ? src_tp : NULL, &pg, err);
        if (rc)
            goto done;
        if (attempt == 0)
            a.tp_db = cw_lin_to_db(cw_truepeak_max(src_tp));
        if (k.frames != o.frames) {
            rc = cw_fail(err, CW_EINTERNAL, src_path, 0, "encoded %lld frames but decoded %lld",
                         (long long)o.frames, (long long)k.frames);
            goto done;
        }
        int peak_ok = k.tp_db <= st->true_peak;
        int loud_ok = fabs(k.lufs - st->loudness) <= LUFS_TOLERANCE;
        ok = peak_ok && loud_ok;
        if (!peak_ok)
            margin_db += k.tp_db - st->true_peak + 0.2;
        if (!loud_ok && isfinite(k.lufs) &&
            (rc = find_gain(src_path, &p, st->loudness, &gain_db, k.lufs, &pg, err)) != 0)
            goto done;
        if (!ok && attempt == MAX_ATTEMPTS - 1 && peak_ok &&
            fabs(k.lufs - st->loudness) <= 0.5)
            ok = 1; /* within EBU R128's +-0.5 LU: good enough after the last try */
    }
    if (!ok) {
        rc = cw_fail(err, CW_EINVAL, src_path, 0, "cannot bring this recording to %.1f LUFS "
                     "under %.1f dBTP (it reaches %.1f LUFS at %.1f dBTP with its peaks "
                     "turned down by %.0f dB): its loudest moments are far louder than the "
                     "rest (clicks, knocks on the microphone or distortion); record it again "
                     "with the phone held still, not too close", st->loudness, st->true_peak,
                     k.lufs, k.tp_db, -cw_lin_to_db(o.min_gain));
        goto done;
    }
    res->true_peak_in = a.tp_db;
    res->seconds = (double)o.frames / st->rate;
    res->lufs_out = k.lufs;
    res->lra_in = a.lra;
    res->lra_out = k.lra;
    res->true_peak_out = k.tp_db;
    if (o.min_gain < cw_db_to_lin(-6.0))
        cw_strlist_pushf(&res->warnings, "loud peaks were reduced by up to %.0f dB to stay "
                         "under the ceiling", -cw_lin_to_db(o.min_gain));

    /* --- final comments: the measured values --- */
    if (date[0])
        cw_strlist_pushf(&extra, "DATE=%s", date);
    if (m.series[0])
        cw_strlist_pushf(&extra, "CHALKWAVE_SERIES=%s", m.series);
    cw_strlist_pushf(&extra, "CHALKWAVE_KIND=%s", cw_kind_name(m.kind));
    if (m.episode > 0)
        cw_strlist_pushf(&extra, "CHALKWAVE_EPISODE=%d", m.episode);
    if (m.valid_from && m.valid_from[0])
        cw_strlist_pushf(&extra, "CHALKWAVE_VALID_FROM=%s", m.valid_from);
    if (m.valid_until && m.valid_until[0])
        cw_strlist_pushf(&extra, "CHALKWAVE_VALID_UNTIL=%s", m.valid_until);
    cw_strlist_pushf(&extra, "CHALKWAVE_SOURCE_SHA256=%s", sha);
    fmt2(&extra, "CHALKWAVE_LUFS_IN", a.lufs);
    fmt2(&extra, "CHALKWAVE_LUFS_OUT", k.lufs);
    fmt2(&extra, "CHALKWAVE_LRA_IN", a.lra);
    fmt2(&extra, "CHALKWAVE_LRA", k.lra);
    fmt2(&extra, "CHALKWAVE_TRUE_PEAK_IN", a.tp_db);
    fmt2(&extra, "CHALKWAVE_TRUE_PEAK_OUT", k.tp_db);
    lm.extra = &extra;
    cw_buf hdr;
    cw_buf_init(&hdr);
    rc = cw_vorbis_headers_build(&hdr, st->rate, st->channels, st->quality, serial, &lm, err);
    if (rc == 0 && hdr.len > 60000)
        rc = cw_fail(err, CW_EINVAL, src_path, 0, "the description is too long for the file "
                     "header (shorten it)");
    if (rc) {
        cw_buf_free(&hdr);
        goto done;
    }

    /* --- commit under the library lock --- */
    rc = lib_lock(st->dir, &lockfd, err);
    if (rc == 0)
        rc = library_conflicts(st->dir, sha, m.series, m.episode, replace, &replace_path,
                               replace_buf, sizeof replace_buf, src_path, err);
    if (rc == 0 && !replace && cw_path_exists(final_abs))
        rc = cw_fail(err, CW_EEXIST, src_path, 0, "'%s' is already in the library (give "
                     "another title, or --replace to overwrite it)", res->library_path);
    if (rc == 0)
        rc = cw_atomic_open(&final, final_abs, err);
    if (rc == 0) {
        FILE *ffp = cw_atomic_fp(final);
        if (fwrite(hdr.data, 1, hdr.len, ffp) != hdr.len)
            rc = cw_fail(err, CW_EIO, final_abs, 0, "cannot write (disk full?)");
        else
            rc = copy_tail(cw_atomic_tmp_path(work), o.header_bytes, ffp, err);
        if (rc == 0) {
            rc = cw_atomic_commit(final, err);
            final = NULL;
        }
    }
    cw_buf_free(&hdr);
    if (rc == 0 && replace_path && strcmp(replace_path, res->library_path) != 0) {
        char *old = cw_path_join(st->dir, replace_path);
        if (old && unlink(old) != 0)
            cw_strlist_pushf(&res->warnings, "could not remove the replaced '%s': %s",
                             replace_path, strerror(errno));
        free(old);
    }
    if (rc == 0 && progress_fn)
        progress_fn(progress_user, 1.0);
done:
    cw_truepeak_free(src_tp);
    lib_unlock(lockfd);
    cw_atomic_abort(final);
    cw_atomic_abort(work);
    cw_strlist_free(&extra);
    free(final_abs);
    free(final_dir);
    if (rc)
        res->library_path[0] = 0;
    return rc;
}
