/* view.c — the station as the desk's pages read it, on the session layer (session.h): one
 * session opened when the desk starts, a snapshot of it (settings, library index, pending
 * uploads, calendars) taken per request, and day plans cached until the snapshot changes.
 * Guarantees: one request at a time holds the view (desk_view_lock), so what it hands out
 * is never freed under a reader; the snapshot is the session's, reloaded exactly when the
 * station's files change (and when the desk itself changed them: desk_view_invalidate);
 * the station lock is taken by each session call, never held between requests. */
#include "desk_int.h"
#include "session.h"

#include <stdlib.h>
#include <string.h>

#define PLAN_CACHE 64

typedef struct cached_plan {
    cw_date day;
    cw_plan *plan;
    uint64_t use;
} cached_plan;

struct desk_view {
    cw_session *s;
    pthread_mutex_t mu;
    cw_session_view *snap; /* the snapshot the cached plans were made from (a reference) */
    cw_session_view *cur;  /* the one of the request holding the view */
    cached_plan plans[PLAN_CACHE];
    uint64_t use_clock;
    int invalid;
};

int desk_view_open(desk_view **out, const char *station_dir, cw_error *err)
{
    desk_view *v = calloc(1, sizeof *v);
    if (!v) return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    /* a page waits at most 10 s for an import (the only exclusive writer) */
    cw_session_opts o = {.lock_wait = 10};
    int rc = cw_session_open(&v->s, station_dir, &o, err);
    if (rc) {
        free(v);
        return rc;
    }
    pthread_mutex_init(&v->mu, NULL);
    *out = v;
    return 0;
}

static void drop_plans(desk_view *v)
{
    for (size_t i = 0; i < PLAN_CACHE; i++) {
        cw_plan_free(v->plans[i].plan);
        v->plans[i].plan = NULL;
    }
}

void desk_view_free(desk_view *v)
{
    if (!v) return;
    drop_plans(v);
    cw_session_view_put(v->snap);
    cw_session_free(v->s);
    pthread_mutex_destroy(&v->mu);
    free(v);
}

cw_session *desk_view_session(desk_view *v)
{
    return v->s;
}

int desk_view_lock(desk_view *v, cw_error *err)
{
    pthread_mutex_lock(&v->mu);
    cw_session_view *now = NULL;
    int rc = cw_session_view_get(v->s, &now, err);
    if (rc) {
        pthread_mutex_unlock(&v->mu);
        return rc;
    }
    /* a new snapshot (something changed on disk) or the desk's own change: plan afresh */
    if (now != v->snap || __atomic_exchange_n(&v->invalid, 0, __ATOMIC_ACQ_REL)) {
        drop_plans(v);
        cw_session_view_put(v->snap);
        v->snap = now;
        v->cur = now;
        return 0;
    }
    cw_session_view_put(now); /* the same snapshot: keep the reference we hold */
    v->cur = v->snap;
    return 0;
}

void desk_view_unlock(desk_view *v)
{
    v->cur = NULL;
    pthread_mutex_unlock(&v->mu);
}

const cw_station *desk_view_station(desk_view *v)
{
    return cw_view_station(v->cur);
}

const cw_library *desk_view_library(desk_view *v)
{
    return cw_view_library(v->cur);
}

const cw_library *desk_view_pending(desk_view *v)
{
    return cw_view_pending(v->cur);
}

const cw_diags *desk_view_calendar_diags(desk_view *v)
{
    return cw_view_diags(v->cur);
}

int desk_view_plan(desk_view *v, cw_date day, const cw_plan **out, cw_error *err)
{
    *out = NULL;
    cached_plan *slot = NULL;
    for (size_t i = 0; i < PLAN_CACHE; i++) {
        cached_plan *c = &v->plans[i];
        if (c->plan && cw_date_cmp(c->day, day) == 0) {
            c->use = ++v->use_clock;
            *out = c->plan;
            return 0;
        }
        if (!slot || !c->plan || (slot->plan && c->use < slot->use)) slot = c;
    }
    cw_plan *p;
    int rc = cw_session_plan(v->s, day, &p, err);
    if (rc) return rc;
    cw_plan_free(slot->plan);
    slot->plan = p;
    slot->day = day;
    slot->use = ++v->use_clock;
    *out = p;
    return 0;
}

void desk_view_invalidate(desk_view *v)
{
    __atomic_store_n(&v->invalid, 1, __ATOMIC_RELEASE); /* may be called while v is held */
}
