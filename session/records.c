/* records.c — what aired before a day, for 'missed = hold': the day bundles' plans
 * (out/YYYY-MM-DD/plan.json, what `build` sent to air) read once and kept while their files
 * do not change. The as-run log (asrun/YYYY-MM-DD.jsonl, issue #16) is the better record;
 * when playout writes it, it is read first here and the bundles' plans become the fallback.
 * Guarantees: a missing or unreadable record is "unknown" (the planner then judges by the
 * library), never an error; the cache is bounded; safe to call from several threads. */
#include "session_int.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RECORDS_MAX_DAYS 512
#define RECORD_MAX_BYTES (64 * 1024 * 1024)

typedef struct day_rec {
    cw_date date;
    struct timespec mtime;
    off_t size;
    int present;
    cw_plan *plan; /* NULL when the file is absent or unreadable */
} day_rec;

struct cw_ss_records {
    char *dir;
    pthread_mutex_t mu;
    day_rec *v;
    size_t n, cap;
};

cw_ss_records *cw_ss_records_new(const char *station_dir)
{
    cw_ss_records *r = calloc(1, sizeof *r);
    if (!r || !(r->dir = cw_strdup(station_dir)) || pthread_mutex_init(&r->mu, NULL)) {
        if (r) free(r->dir);
        free(r);
        return NULL;
    }
    return r;
}

void cw_ss_records_free(cw_ss_records *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n; i++) cw_plan_free(r->v[i].plan);
    free(r->v);
    free(r->dir);
    pthread_mutex_destroy(&r->mu);
    free(r);
}

static void drop_all(cw_ss_records *r)
{
    for (size_t i = 0; i < r->n; i++) cw_plan_free(r->v[i].plan);
    r->n = 0;
}

/* The record of a date, (re)read when its file changed. Called with r->mu held. */
static const cw_plan *record_of(cw_ss_records *r, cw_date d)
{
    char ds[11];
    cw_date_format(d, ds);
    char *path = cw_asprintf("%s/out/%s/plan.json", r->dir, ds);
    if (!path) return NULL;
    struct stat st;
    int present = !stat(path, &st) && S_ISREG(st.st_mode);
    day_rec *x = NULL;
    for (size_t i = 0; i < r->n && !x; i++)
        if (!cw_date_cmp(r->v[i].date, d)) x = &r->v[i];
    if (x && x->present == present &&
        (!present || (x->size == st.st_size && x->mtime.tv_sec == st.st_mtim.tv_sec &&
                      x->mtime.tv_nsec == st.st_mtim.tv_nsec))) {
        free(path);
        return x->plan;
    }
    if (!x) {
        if (r->n >= RECORDS_MAX_DAYS) drop_all(r);
        if (r->n == r->cap) {
            size_t cap = r->cap ? r->cap * 2 : 32;
            day_rec *v = realloc(r->v, cap * sizeof *v);
            if (!v) {
                free(path);
                return NULL;
            }
            r->v = v;
            r->cap = cap;
        }
        x = &r->v[r->n++];
        memset(x, 0, sizeof *x);
        x->date = d;
    }
    cw_plan_free(x->plan);
    x->plan = NULL;
    x->present = present;
    if (present) {
        x->size = st.st_size;
        x->mtime = st.st_mtim;
        char *text = NULL;
        size_t len = 0;
        cw_error e;
        if (!cw_read_file(path, RECORD_MAX_BYTES, &text, &len, &e)) (void)cw_plan_from_json(&x->plan, text, len, &e);
        free(text);
    }
    free(path);
    return x->plan;
}

static int same(const char *a, const char *b) { return !strcmp(a ? a : "", b ? b : ""); }

/* What the record of `day` says about instance `o`. */
static cw_aired judge(const cw_plan *p, const cw_occurrence *o, int *episode)
{
    for (size_t i = 0; i < p->n_slots; i++) {
        const cw_plan_slot *s = &p->slots[i];
        if (!same(s->event_uid, o->uid) || !same(s->event_file, o->file) ||
            !same(s->event_recurrence_id, o->recurrence_id))
            continue;
        if (s->status != CW_SLOT_AIRS) return CW_AIRED_NO;
        *episode = s->episode;
        return CW_AIRED_YES;
    }
    /* plans written before slots: the lesson item of the event, if it played its recording */
    for (size_t i = 0; !p->n_slots && i < p->n_items; i++) {
        const cw_plan_item *it = &p->items[i];
        if (!same(it->event_uid, o->uid) || !same(it->event_file, o->file) ||
            !same(it->event_recurrence_id, o->recurrence_id))
            continue;
        if (it->kind == CW_KIND_LESSON && it->recording && it->episode > 0) {
            *episode = it->episode;
            return CW_AIRED_YES;
        }
        return CW_AIRED_NO;
    }
    return CW_AIRED_UNKNOWN;
}

static cw_aired aired(void *user, const cw_occurrence *inst, cw_date day, int *episode)
{
    cw_ss_records *r = user;
    *episode = 0;
    pthread_mutex_lock(&r->mu);
    const cw_plan *p = record_of(r, day);
    cw_aired a = p ? judge(p, inst, episode) : CW_AIRED_UNKNOWN;
    pthread_mutex_unlock(&r->mu);
    return a;
}

cw_air_history cw_ss_records_history(cw_ss_records *r) { return (cw_air_history){aired, r}; }
