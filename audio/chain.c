/* chain.c — audio as a chain of stages with one runner (the shape of sox's effects): a
 * source read in blocks, then stages each with start(in_format, &out_format), flow,
 * drain and stop; and the wrapper that runs a stage on a thread of its own. Ingest's
 * measuring pass, its encoding pass, the gain search and the bundle's re-encode are
 * configurations of it (analyse.c, render.c, reencode.c); the stages are in stages.c.
 * Guarantees: memory is fixed when the chain starts (a buffer per stage, sized from what
 * the stage declares), never growing with the recording; a stage that has nothing to do
 * leaves the chain at start; every failure stops the chain with the first error; stop is
 * called for every stage, on success and failure alike. */
#include "audio_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define B CW_AUDIO_BLOCK
#define MAX_STAGES 16

struct cw_audio_chain {
    cw_audio_stage st[MAX_STAGES];
    size_t n;
    cw_audio_fmt fmt[MAX_STAGES + 1]; /* fmt[i]: what stage i takes; fmt[n]: the output */
    float *buf[MAX_STAGES];           /* output of stage i (not for in-place stages) */
    size_t cap[MAX_STAGES];           /* its size in frames */
    int closed[MAX_STAGES];           /* stage i said DONE: it takes no more input */
    int oom;
};

int cw_audio_chain_new(cw_audio_chain **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : CW_ENOMEM;
}

int cw_audio_chain_add(cw_audio_chain *c, const cw_audio_stage *s)
{
    if (!s->flow) { /* a constructor that failed: its stop frees what it made */
        if (s->stop)
            s->stop((cw_audio_stage *)s);
        c->oom = 1;
        return CW_ENOMEM;
    }
    if (c->n == MAX_STAGES) {
        if (s->stop)
            s->stop((cw_audio_stage *)s);
        c->oom = 1;
        return CW_EINTERNAL;
    }
    c->st[c->n++] = *s;
    return 0;
}

void cw_audio_chain_free(cw_audio_chain *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        if (c->st[i].stop)
            c->st[i].stop(&c->st[i]);
        free(c->buf[i]);
    }
    free(c);
}

/* Start every stage, dropping those with nothing to do (stopped and cleared). On failure
 * every entry is either started, cleared, or not yet started: chain_free stops them all. */
static int chain_start(cw_audio_chain *c, const cw_audio_fmt *in, cw_error *err)
{
    if (c->oom)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    c->fmt[0] = *in;
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++) {
        cw_audio_stage *s = &c->st[i];
        cw_audio_fmt out = c->fmt[k];
        size_t out_max = B;
        int rc = s->start ? s->start(s, &c->fmt[k], &out, &out_max, err) : 0;
        if (rc < 0)
            return rc;
        if (rc == CW_AUDIO_STAGE_SKIP) {
            if (s->stop)
                s->stop(s);
            memset(s, 0, sizeof *s);
            continue;
        }
        if (k != i) {
            c->st[k] = *s;
            memset(s, 0, sizeof *s);
        }
        c->fmt[k + 1] = out;
        if (!c->st[k].inplace) {
            if (out_max < B)
                out_max = B;
            c->cap[k] = out_max;
            c->buf[k] = malloc(out_max * (size_t)out.channels * sizeof(float));
            if (!c->buf[k])
                return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        }
        k++;
    }
    c->n = k;
    return 0;
}

/* Give n frames to stage i and everything after it. */
static int feed(cw_audio_chain *c, size_t i, float *in, size_t n, cw_error *err)
{
    if (i >= c->n || c->closed[i])
        return 0;
    cw_audio_stage *s = &c->st[i];
    const size_t ich = (size_t)c->fmt[i].channels;
    while (n > 0) {
        size_t nin = n < B ? n : B, nout = s->inplace ? nin : c->cap[i];
        float *out = s->inplace ? in : c->buf[i];
        int rc = s->flow(s, in, &nin, out, &nout, err);
        if (rc < 0)
            return rc;
        if (nout) {
            int r2 = feed(c, i + 1, out, nout, err);
            if (r2)
                return r2;
        }
        if (rc == CW_AUDIO_STAGE_DONE) {
            c->closed[i] = 1;
            return 0;
        }
        if (nin == 0 && nout == 0)
            return cw_fail(err, CW_EINTERNAL, "", 0, "audio stage '%s' made no progress "
                           "(please report this)", s->name);
        in += nin * ich;
        n -= nin;
    }
    return 0;
}

/* Is more input wanted: by every stage, or (after one said DONE) by a stage before it
 * that measures the whole source? */
static int wants_input(const cw_audio_chain *c)
{
    for (size_t i = 0; i < c->n; i++) {
        if (c->closed[i])
            return 0;
        if (c->st[i].wants_all)
            return 1;
    }
    return 1;
}

int cw_audio_chain_run(cw_audio_chain *c, cw_audio_read_fn read, void *user,
                       const cw_audio_fmt *in, cw_audio_progress_fn progress,
                       void *progress_user, cw_error *err)
{
    int rc = chain_start(c, in, err);
    if (rc)
        return rc;
    float *blk = malloc(B * (size_t)in->channels * sizeof(float));
    if (!blk)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    int64_t total = 0;
    while (wants_input(c)) {
        size_t got = 0;
        if ((rc = read(user, blk, B, &got, err)) != 0 || got == 0)
            break;
        total += (int64_t)got;
        if ((rc = feed(c, 0, blk, got, err)) != 0)
            break;
        if (progress && progress(progress_user, total)) {
            rc = cw_fail(err, CW_ECANCELLED, "", 0, "cancelled");
            break;
        }
    }
    free(blk);
    /* the end: what each stage holds back, in order, through the stages after it */
    for (size_t i = 0; rc == 0 && i < c->n; i++) {
        cw_audio_stage *s = &c->st[i];
        if (!s->drain)
            continue;
        for (;;) {
            size_t nout = s->inplace ? 0 : c->cap[i];
            if ((rc = s->drain(s, c->buf[i], &nout, err)) != 0 || nout == 0)
                break;
            if ((rc = feed(c, i + 1, c->buf[i], nout, err)) != 0)
                break;
        }
    }
    return rc;
}

cw_audio_fmt cw_audio_chain_out_format(const cw_audio_chain *c)
{
    return c->fmt[c->n];
}

static void stop_free(cw_audio_stage *s)
{
    free(s->priv);
    s->priv = NULL;
}

/* ---- a stage on a thread of its own ---------------------------------------------------------
 * The inner stage must be a sink or a tap (its output is not used): the wrapper copies each
 * block into a ring and passes it on unchanged (in place), and the thread feeds the inner
 * stage. The inner stage sees the same samples in the same order as it would inline, so
 * its results are the same to the bit. */

#define QSLOTS 8

typedef struct thr_st {
    cw_audio_stage inner;
    int inner_started;
    pthread_mutex_t mu;
    pthread_cond_t cv_work, cv_room;
    float *slot[QSLOTS];
    size_t nfr[QSLOTS];
    int head, count, input_done, running;
    float *scratch; /* inner output when it is not in place */
    size_t scratch_cap;
    int ch;
    int rc; /* the inner stage's first failure */
    cw_error err;
    pthread_t th;
    const char *thread_name;
} thr_st;

static void *thr_main(void *arg)
{
    thr_st *t = arg;
    pthread_setname_np(pthread_self(), t->thread_name);
    int done = 0;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        while (t->count == 0 && !t->input_done)
            pthread_cond_wait(&t->cv_work, &t->mu);
        if (t->count == 0)
            break;
        int idx = t->head;
        int rc = t->rc;
        pthread_mutex_unlock(&t->mu);
        float *in = t->slot[idx];
        size_t left = t->nfr[idx];
        while (rc == 0 && !done && left > 0) {
            size_t nin = left, nout = t->inner.inplace ? nin : t->scratch_cap;
            rc = t->inner.flow(&t->inner, in, &nin, t->inner.inplace ? in : t->scratch, &nout,
                               &t->err);
            if (rc == CW_AUDIO_STAGE_DONE) {
                done = 1;
                rc = 0;
            } else if (rc == 0 && nin == 0 && nout == 0) {
                rc = cw_fail(&t->err, CW_EINTERNAL, "", 0, "audio stage '%s' made no progress "
                             "(please report this)", t->inner.name);
            }
            in += nin * (size_t)t->ch;
            left -= nin;
        }
        pthread_mutex_lock(&t->mu);
        if (rc && !t->rc)
            t->rc = rc;
        t->head = (t->head + 1) % QSLOTS;
        t->count--;
        pthread_cond_signal(&t->cv_room);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

static int thr_start(cw_audio_stage *s, const cw_audio_fmt *in, cw_audio_fmt *out,
                     size_t *out_max, cw_error *err)
{
    thr_st *t = s->priv;
    cw_audio_fmt iout = *in;
    size_t imax = B;
    int rc = t->inner.start ? t->inner.start(&t->inner, in, &iout, &imax, err) : 0;
    if (rc < 0)
        return rc;
    t->inner_started = 1;
    if (rc == CW_AUDIO_STAGE_SKIP)
        return CW_AUDIO_STAGE_SKIP;
    (void)out;
    (void)out_max;
    t->ch = in->channels;
    if (!t->inner.inplace) {
        t->scratch_cap = imax < B ? B : imax;
        if (!(t->scratch = malloc(t->scratch_cap * (size_t)iout.channels * sizeof(float))))
            return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    for (int i = 0; i < QSLOTS; i++)
        if (!(t->slot[i] = malloc(B * (size_t)t->ch * sizeof(float))))
            return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    if (pthread_create(&t->th, NULL, thr_main, t) != 0)
        return cw_fail(err, CW_EIO, "", 0, "cannot start a thread: %s", strerror(errno));
    t->running = 1;
    return 0;
}

static int thr_flow(cw_audio_stage *s, const float *in, size_t *nin, float *out, size_t *nout,
                    cw_error *err)
{
    (void)out;
    thr_st *t = s->priv;
    pthread_mutex_lock(&t->mu);
    while (t->count == QSLOTS && !t->rc)
        pthread_cond_wait(&t->cv_room, &t->mu);
    if (t->rc) {
        int rc = t->rc;
        if (err)
            *err = t->err;
        pthread_mutex_unlock(&t->mu);
        return rc;
    }
    int idx = (t->head + t->count) % QSLOTS;
    pthread_mutex_unlock(&t->mu);
    /* the slot is ours until count is raised */
    memcpy(t->slot[idx], in, *nin * (size_t)t->ch * sizeof(float));
    t->nfr[idx] = *nin;
    pthread_mutex_lock(&t->mu);
    t->count++;
    pthread_cond_signal(&t->cv_work);
    pthread_mutex_unlock(&t->mu);
    *nout = *nin; /* passed on unchanged */
    return 0;
}

static void thr_join(thr_st *t)
{
    if (!t->running)
        return;
    pthread_mutex_lock(&t->mu);
    t->input_done = 1;
    pthread_cond_broadcast(&t->cv_work);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->th, NULL);
    t->running = 0;
}

static int thr_drain(cw_audio_stage *s, float *out, size_t *nout, cw_error *err)
{
    (void)out;
    thr_st *t = s->priv;
    *nout = 0;
    thr_join(t);
    if (t->rc) {
        int rc = t->rc;
        if (err)
            *err = t->err;
        t->rc = 0;
        return rc;
    }
    if (!t->inner.drain)
        return 0;
    for (;;) {
        size_t n = t->inner.inplace ? 0 : t->scratch_cap;
        int rc = t->inner.drain(&t->inner, t->scratch, &n, err);
        if (rc || n == 0)
            return rc;
    }
}

static void thr_stop(cw_audio_stage *s)
{
    thr_st *t = s->priv;
    if (!t)
        return;
    if (t->running) {
        /* a failure elsewhere: the thread finishes what it has, then the inner stop
         * abandons it */
        pthread_mutex_lock(&t->mu);
        t->rc = t->rc ? t->rc : CW_ECANCELLED;
        pthread_mutex_unlock(&t->mu);
        thr_join(t);
    }
    if (t->inner.stop)
        t->inner.stop(&t->inner);
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv_work);
    pthread_cond_destroy(&t->cv_room);
    for (int i = 0; i < QSLOTS; i++)
        free(t->slot[i]);
    free(t->scratch);
    stop_free(s);
}

void cw_audio_stage_threaded(cw_audio_stage *s, const cw_audio_stage *inner,
                             const char *thread_name)
{
    memset(s, 0, sizeof *s);
    thr_st *t = inner->flow ? calloc(1, sizeof *t) : NULL;
    if (!t) {
        if (inner->stop)
            inner->stop((cw_audio_stage *)inner);
        return; /* left empty: cw_audio_chain_add refuses it */
    }
    t->inner = *inner;
    t->thread_name = thread_name;
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv_work, NULL);
    pthread_cond_init(&t->cv_room, NULL);
    *s = (cw_audio_stage){.name = inner->name, .start = thr_start, .flow = thr_flow,
                          .drain = thr_drain, .stop = thr_stop, .priv = t, .inplace = 1};
}
