/* jobs.c — long work off the request threads: a queue, two workers, progress that pages
 * poll, and requests parked (MHD suspend) until their job ends.
 * Guarantees: a job runs once; its record stays readable (by id) after it ends until 200
 * newer jobs pushed it out; on stop every queued job is cancelled without running, every
 * running one is asked to cancel (its progress callback returns non-zero) and joined, and
 * every parked request is resumed so the daemon can close it. */
#include "desk_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KEEP_JOBS 200

const char *desk_job_state_name(desk_job_state s)
{
    switch (s) {
    case JOB_QUEUED: return "queued";
    case JOB_RUNNING: return "running";
    case JOB_DONE: return "done";
    case JOB_FAILED: return "failed";
    case JOB_CANCELLED: return "cancelled";
    }
    return "?";
}

static void job_free(desk_job *j)
{
    if (j->free_arg) j->free_arg(j->arg);
    json_decref(j->result);
    free(j);
}

void desk_job_put(desk_job *j)
{
    if (!j) return;
    cw_desk *d = j->d;
    pthread_mutex_lock(&d->job_mu);
    int last = --j->refs == 0;
    pthread_mutex_unlock(&d->job_mu);
    if (last) job_free(j);
}

/* Drop ended jobs beyond KEEP_JOBS from the list. Caller holds job_mu. */
static void trim_locked(cw_desk *d)
{
    size_t k = 0;
    desk_job **pp = &d->jobs;
    while (*pp) {
        desk_job *j = *pp;
        if (++k > KEEP_JOBS && j->state >= JOB_DONE) {
            *pp = j->next;
            d->n_jobs--;
            if (--j->refs == 0) job_free(j);
            continue;
        }
        pp = &j->next;
    }
}

desk_job *desk_job_submit(cw_desk *d, const char *kind, const char *owner, const char *title, desk_job_fn fn,
                          void *arg, void (*free_arg)(void *))
{
    desk_job *j = desk_job_prepare(d, kind, owner, title, fn, arg, free_arg);
    if (j) desk_job_release(j);
    return j;
}

void desk_job_release(desk_job *j)
{
    pthread_mutex_lock(&j->d->job_mu);
    j->held = 0;
    pthread_cond_broadcast(&j->d->job_cv);
    pthread_mutex_unlock(&j->d->job_mu);
}

desk_job *desk_job_prepare(cw_desk *d, const char *kind, const char *owner, const char *title, desk_job_fn fn,
                           void *arg, void (*free_arg)(void *))
{
    desk_job *j = calloc(1, sizeof *j);
    if (!j) {
        if (free_arg) free_arg(arg);
        return NULL;
    }
    desk_token_new(j->id, sizeof j->id, 12);
    snprintf(j->kind, sizeof j->kind, "%s", kind);
    snprintf(j->owner, sizeof j->owner, "%s", owner);
    snprintf(j->title, sizeof j->title, "%s", title);
    j->fn = fn;
    j->arg = arg;
    j->free_arg = free_arg;
    j->d = d;
    j->created = (int64_t)time(NULL);
    j->refs = 2; /* the list and the caller */
    j->held = 1; /* until desk_job_release */
    pthread_mutex_lock(&d->job_mu);
    if (d->stopping) {
        pthread_mutex_unlock(&d->job_mu);
        j->refs = 1;
        job_free(j);
        return NULL;
    }
    /* append after the running/queued ones keep order: newest first in the list */
    j->next = d->jobs;
    d->jobs = j;
    d->n_jobs++;
    trim_locked(d);
    pthread_cond_broadcast(&d->job_cv);
    pthread_mutex_unlock(&d->job_mu);
    return j;
}

desk_job *desk_job_get(cw_desk *d, const char *id)
{
    if (!id) return NULL;
    desk_job *hit = NULL;
    pthread_mutex_lock(&d->job_mu);
    for (desk_job *j = d->jobs; j; j = j->next)
        if (!strcmp(j->id, id)) {
            hit = j;
            hit->refs++;
            break;
        }
    pthread_mutex_unlock(&d->job_mu);
    return hit;
}

void desk_job_progress(desk_job *j, double f)
{
    if (f < 0) f = 0;
    if (f > 1) f = 1;
    pthread_mutex_lock(&j->d->job_mu);
    j->progress = f;
    pthread_mutex_unlock(&j->d->job_mu);
}

void desk_job_finish(desk_job *j, desk_job_state state, const char *message, json_t *result)
{
    pthread_mutex_lock(&j->d->job_mu);
    j->state = state;
    if (state == JOB_DONE) j->progress = 1;
    snprintf(j->message, sizeof j->message, "%s", message ? message : "");
    json_decref(j->result);
    j->result = result;
    j->finished = (int64_t)time(NULL);
    desk_req *w = j->waiter;
    j->waiter = NULL;
    if (w) MHD_resume_connection(w->conn);
    pthread_mutex_unlock(&j->d->job_mu);
}

int desk_job_wait(desk_req *r, desk_job *j)
{
    pthread_mutex_lock(&j->d->job_mu);
    int ended = j->state >= JOB_DONE;
    if (!ended) {
        j->waiter = r;
        r->suspended = 1;
        MHD_suspend_connection(r->conn);
    }
    pthread_mutex_unlock(&j->d->job_mu);
    return ended ? -1 : 0;
}

/* The oldest queued job, or NULL. Caller holds job_mu. */
static desk_job *next_queued(cw_desk *d)
{
    desk_job *pick = NULL;
    for (desk_job *j = d->jobs; j; j = j->next)
        if (j->state == JOB_QUEUED && !j->held) pick = j; /* the list is newest first */
    return pick;
}

static void *worker(void *arg)
{
    cw_desk *d = arg;
    pthread_mutex_lock(&d->job_mu);
    for (;;) {
        desk_job *j;
        while (!d->stopping && !(j = next_queued(d))) pthread_cond_wait(&d->job_cv, &d->job_mu);
        if (d->stopping) break;
        j->state = JOB_RUNNING;
        j->refs++;
        pthread_mutex_unlock(&d->job_mu);
        j->fn(j, j->arg);
        /* what the work used (a temporary upload, say) goes now, not when the record does */
        if (j->free_arg) j->free_arg(j->arg);
        j->free_arg = NULL;
        j->arg = NULL;
        pthread_mutex_lock(&d->job_mu);
        if (j->state < JOB_DONE) { /* the function forgot to finish: a bug, but never a hang */
            pthread_mutex_unlock(&d->job_mu);
            desk_job_finish(j, JOB_FAILED, "the work ended without a result (please report this)", NULL);
            pthread_mutex_lock(&d->job_mu);
        }
        if (--j->refs == 0) job_free(j);
    }
    pthread_mutex_unlock(&d->job_mu);
    return NULL;
}

int desk_jobs_start(cw_desk *d, cw_error *err)
{
    for (int i = 0; i < 2; i++) {
        if (pthread_create(&d->workers[i], NULL, worker, d) != 0)
            return cw_fail(err, CW_EIO, "", 0, "cannot start a worker thread");
        d->n_workers++;
    }
    return 0;
}

void desk_jobs_stop(cw_desk *d)
{
    pthread_mutex_lock(&d->job_mu);
    d->stopping = 1;
    for (desk_job *j = d->jobs; j; j = j->next) {
        j->cancel = 1;
        if (j->state == JOB_QUEUED) {
            j->state = JOB_CANCELLED;
            snprintf(j->message, sizeof j->message, "the desk stopped before this could start");
            if (j->waiter) {
                MHD_resume_connection(j->waiter->conn);
                j->waiter = NULL;
            }
        }
    }
    pthread_cond_broadcast(&d->job_cv);
    pthread_mutex_unlock(&d->job_mu);
    for (int i = 0; i < d->n_workers; i++) pthread_join(d->workers[i], NULL);
    d->n_workers = 0;
}

static void info_of(const desk_job *j, desk_job_info *o)
{
    memcpy(o->id, j->id, sizeof o->id);
    memcpy(o->kind, j->kind, sizeof o->kind);
    memcpy(o->owner, j->owner, sizeof o->owner);
    memcpy(o->title, j->title, sizeof o->title);
    memcpy(o->message, j->message, sizeof o->message);
    o->state = j->state;
    o->progress = j->progress;
    o->created = j->created;
    o->finished = j->finished;
}

int desk_job_info_get(cw_desk *d, const char *id, desk_job_info *out)
{
    int found = 0;
    pthread_mutex_lock(&d->job_mu);
    for (desk_job *j = d->jobs; j && id; j = j->next)
        if (!strcmp(j->id, id)) {
            info_of(j, out);
            found = 1;
            break;
        }
    pthread_mutex_unlock(&d->job_mu);
    return found;
}

size_t desk_job_list(cw_desk *d, desk_job_info *out, size_t max)
{
    size_t n = 0;
    pthread_mutex_lock(&d->job_mu);
    for (desk_job *j = d->jobs; j && n < max; j = j->next) info_of(j, &out[n++]);
    pthread_mutex_unlock(&d->job_mu);
    return n;
}
