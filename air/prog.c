/* prog.c — the programme: which day bundle, which item and which sample plays at a wall-
 * clock instant; gaps between windows; the emergency filler when a bundle is missing or
 * damaged; bundles rebuilt by `build` picked up at the next item boundary; building ahead.
 * Guarantees: thread-safe (one lock); never fails: whatever is wrong with a bundle, an
 * instant inside an on-air window gets an item or the emergency filler, and the operator
 * and the as-run log are told once per bundle state. */
#include "air_int.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

enum { DAY_UNKNOWN = 0, DAY_LOADED, DAY_MISSING, DAY_DAMAGED };

#define CACHE 4
#define GAP_RECHECK_NS (600 * AIR_NS)      /* a long gap asks again this often */

typedef struct day_slot {
    cw_date date;
    int used;
    int state;
    air_day *day;        /* DAY_LOADED: the cache's reference */
    struct stat seen;    /* plan.json as last seen when MISSING/DAMAGED (to retry on change) */
    int seen_ok;
    int64_t last_build_try; /* wall ns of the last build attempt (0 none) */
    int announced;          /* the missing bundle was reported (when it was first needed) */
    char why[200];
} day_slot;

struct air_prog {
    pthread_mutex_t mu;
    const cw_station *st;
    const cw_tz *tz;
    air_asrun *asrun;
    air_log *log;
    cw_air_build_fn build;
    void *build_user;
    day_slot slots[CACHE];
    unsigned age;
    cw_strlist emergency; /* absolute paths */
};

const cw_station *air_prog_station(const air_prog *p)
{
    return p->st;
}

static void day_unref(air_day *d)
{
    if (d && --d->refs <= 0)
        air_day_free(d);
}

/* ---- emergency filler ---------------------------------------------------------------- */

static void emergency_files(air_prog *p)
{
    const cw_station *st = p->st;
    if (st->air_emergency) {
        char *path = cw_path_join(st->dir, st->air_emergency);
        if (path && cw_path_exists(path))
            cw_strlist_push(&p->emergency, path);
        else
            air_logf(p->log, CW_DIAG_WARNING, "air.emergency-missing", st->air_emergency,
                     "emergency filler '%s' (station.conf [air] emergency) does not exist: silence plays instead "
                     "(give an Ogg Vorbis file inside the station)",
                     st->air_emergency);
        free(path);
        return;
    }
    cw_library *lib = NULL;
    cw_error err = {0};
    if (cw_library_scan(&lib, st->dir, &err) != 0) {
        air_logf(p->log, CW_DIAG_WARNING, "air.emergency-missing", NULL,
                 "cannot read the library for emergency fillers: %s (silence plays when a bundle is missing)", err.text);
        return;
    }
    /* the station's filler series in their order, else every filler by path */
    for (size_t k = 0; k < (st->fillers.n ? st->fillers.n : 1); k++)
        for (size_t i = 0; i < lib->n; i++) {
            const cw_recording *r = &lib->v[i];
            if (r->kind != CW_KIND_FILLER || (st->fillers.n && strcmp(r->series, st->fillers.v[k]) != 0))
                continue;
            char *path = cw_path_join(st->dir, r->path);
            if (path)
                cw_strlist_push(&p->emergency, path);
            free(path);
        }
    cw_library_free(lib);
}

size_t air_prog_emergency(air_prog *p, const char *const **paths)
{
    *paths = (const char *const *)p->emergency.v;
    return p->emergency.n;
}

/* ---- life ----------------------------------------------------------------------------- */

int air_prog_new(air_prog **out, const cw_station *st, const cw_tz *tz, air_asrun *asrun, air_log *log,
                 cw_air_build_fn build, void *build_user, cw_error *err)
{
    *out = NULL;
    air_prog *p = calloc(1, sizeof *p);
    if (!p)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    pthread_mutex_init(&p->mu, NULL);
    p->st = st;
    p->tz = tz;
    p->asrun = asrun;
    p->log = log;
    p->build = build;
    p->build_user = build_user;
    emergency_files(p);
    *out = p;
    return 0;
}

void air_prog_free(air_prog *p)
{
    if (!p)
        return;
    for (int i = 0; i < CACHE; i++)
        day_unref(p->slots[i].day);
    cw_strlist_free(&p->emergency);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

/* ---- bundles by date ------------------------------------------------------------------- */

static void bundle_event(air_prog *p, const char *event, cw_date date, const char *id, const char *detail)
{
    char ds[11];
    cw_date_format(date, ds);
    json_t *o = json_object();
    json_object_set_new(o, "event", json_string(event));
    json_object_set_new(o, "date", json_string(ds));
    if (id)
        json_object_set_new(o, "bundle", json_string(id));
    if (detail)
        json_object_set_new(o, "detail", json_string(detail));
    air_asrun_event(p->asrun, "bundle", 0, o);
}

static char *bundle_dir(const air_prog *p, cw_date date)
{
    char ds[11];
    cw_date_format(date, ds);
    return cw_asprintf("%s/out/%s", p->st->dir, ds);
}

static day_slot *slot_for(air_prog *p, cw_date date)
{
    day_slot *free_slot = NULL;
    for (int i = 0; i < CACHE; i++) {
        day_slot *s = &p->slots[i];
        if (s->used && !cw_date_cmp(s->date, date))
            return s;
        if (!s->used && !free_slot)
            free_slot = s;
    }
    if (!free_slot) { /* evict the oldest date */
        free_slot = &p->slots[0];
        for (int i = 1; i < CACHE; i++)
            if (cw_date_cmp(p->slots[i].date, free_slot->date) < 0)
                free_slot = &p->slots[i];
        day_unref(free_slot->day);
    }
    memset(free_slot, 0, sizeof *free_slot);
    free_slot->used = 1;
    free_slot->date = date;
    return free_slot;
}

static int plan_stat(air_prog *p, cw_date date, struct stat *sb)
{
    char *dir = bundle_dir(p, date), *pp = dir ? cw_path_join(dir, "plan.json") : NULL;
    int ok = pp && stat(pp, sb) == 0;
    free(pp);
    free(dir);
    return ok;
}

/* Put the result of loading a bundle into its slot and say what changed. Under the lock. */
static void install(air_prog *p, day_slot *s, air_day *d, int rc, const cw_error *err, int seen_ok,
                    const struct stat *seen)
{
    char ds[11];
    cw_date_format(s->date, ds);
    int was = s->state;
    air_day *old = s->day;
    s->day = NULL;
    s->seen_ok = seen_ok;
    if (seen_ok)
        s->seen = *seen;
    if (!rc) {
        d->refs = 1;
        s->day = d;
        s->state = DAY_LOADED;
        air_logf(p->log, CW_DIAG_INFO, old ? "air.bundle-rebuilt" : "air.bundle-loaded", ds,
                 old ? "bundle %s changed on disk (rebuilt): the new one plays from the next item boundary"
                     : "bundle %s loaded: %zu items",
                 ds, d->plan->n_items);
        bundle_event(p, old ? "rebuilt" : "loaded", s->date, d->id, NULL);
    } else {
        s->state = rc == CW_ENOTFOUND ? DAY_MISSING : DAY_DAMAGED;
        snprintf(s->why, sizeof s->why, "%.190s", rc == CW_ENOTFOUND ? "no bundle" : err->text);
        if (rc == CW_ENOTFOUND && old) {
            s->announced = 0; /* it was there and is gone: say so when it is needed */
        } else if (rc != CW_ENOTFOUND && (was != s->state || old)) {
            air_logf(p->log, CW_DIAG_ERROR, "air.bundle-damaged", ds,
                     "the bundle of %s is damaged: %s; the emergency filler plays in its on-air window", ds, err->text);
            bundle_event(p, "damaged", s->date, NULL, err->text);
        }
    }
    day_unref(old);
}

/* Load the bundle of date (no lock held: reading and indexing a day file takes time). */
static int load_date(air_prog *p, cw_date date, air_day **d, cw_error *err, int *seen_ok, struct stat *seen)
{
    char *dir = bundle_dir(p, date);
    *seen_ok = plan_stat(p, date, seen);
    int rc = dir ? air_day_load(d, dir, err) : CW_ENOMEM;
    free(dir);
    return rc;
}

/* The slot of `date`. Outputs never wait for a disk here: a date seen before is answered
 * from memory (the watcher reloads what changes); only a date never seen is loaded now
 * (at the start, before anything plays). Under the lock. */
static day_slot *get_day(air_prog *p, cw_date date)
{
    day_slot *s = slot_for(p, date);
    if (s->state == DAY_UNKNOWN) {
        air_day *d = NULL;
        cw_error err = {0};
        struct stat seen;
        int seen_ok;
        int rc = load_date(p, date, &d, &err, &seen_ok, &seen);
        install(p, s, d, rc, &err, seen_ok, &seen);
    }
    return s;
}

static int stat_changed(const struct stat *a, const struct stat *b)
{
    return a->st_ino != b->st_ino || a->st_dev != b->st_dev || a->st_size != b->st_size ||
           a->st_mtim.tv_sec != b->st_mtim.tv_sec || a->st_mtim.tv_nsec != b->st_mtim.tv_nsec;
}

void air_prog_watch(air_prog *p, int64_t wall)
{
    cw_date today = air_local_date(p->tz, wall);
    for (int k = -1; k <= 1; k++) {
        cw_date date = cw_date_add_days(today, k);
        pthread_mutex_lock(&p->mu);
        day_slot *s = get_day(p, date);
        int check;
        if (s->state == DAY_LOADED && !s->day->damaged) {
            check = air_day_changed(s->day);
        } else {
            struct stat sb;
            int ok = plan_stat(p, date, &sb);
            check = ok != s->seen_ok || (ok && stat_changed(&sb, &s->seen));
        }
        pthread_mutex_unlock(&p->mu);
        if (!check)
            continue;
        air_day *d = NULL;
        cw_error err = {0};
        struct stat seen;
        int seen_ok;
        int rc = load_date(p, date, &d, &err, &seen_ok, &seen);
        pthread_mutex_lock(&p->mu);
        install(p, slot_for(p, date), d, rc, &err, seen_ok, &seen);
        pthread_mutex_unlock(&p->mu);
    }
}

/* ---- the station's windows ---------------------------------------------------------------- */

size_t air_station_windows(const cw_station *st, const cw_tz *tz, cw_date date, int64_t *start, int64_t *end)
{
    cw_on_air w[CW_MAX_ON_AIR];
    size_t n = cw_station_windows(st, w);
    for (size_t k = 0; k < n; k++) {
        cw_civil a = {date.year, date.month, date.day, w[k].start / 60, w[k].start % 60, 0};
        cw_date ed = w[k].end <= w[k].start ? cw_date_add_days(date, 1) : date;
        cw_civil b = {ed.year, ed.month, ed.day, w[k].end / 60, w[k].end % 60, 0};
        start[k] = cw_tz_to_utc(tz, &a) * AIR_NS;
        end[k] = cw_tz_to_utc(tz, &b) * AIR_NS;
    }
    return n;
}

/* ---- segments ------------------------------------------------------------------------------ */

static void item_seg(air_seg *out, air_day *d, size_t i, int64_t wall)
{
    out->kind = AIR_SEG_ITEM;
    out->day = d;
    d->refs++;
    out->item = i;
    out->start_ns = d->start_ns[i];
    const cw_plan_item *it = &d->plan->items[i];
    out->end_ns = d->plan->window_start_utc * AIR_NS +
                  air_samples_to_ns(it->offset_samples + it->length_samples, d->plan->rate);
    out->from = wall > out->start_ns ? air_ns_to_samples(wall - out->start_ns, d->plan->rate) : 0;
    if (out->from >= it->length_samples)
        out->from = it->length_samples - 1;
}

/* Earliest planned start after wall among the days around it. Under the lock. */
static int64_t next_start(air_prog *p, cw_date today, int64_t wall)
{
    int64_t best = INT64_MAX;
    for (int k = -1; k <= 1; k++) {
        cw_date date = cw_date_add_days(today, k);
        day_slot *s = get_day(p, date);
        if (s->state == DAY_LOADED) {
            const air_day *d = s->day;
            for (size_t i = 0; i < d->plan->n_items; i++)
                if (d->start_ns[i] > wall) {
                    if (d->start_ns[i] < best)
                        best = d->start_ns[i];
                    break;
                }
        } else {
            int64_t ws[CW_MAX_ON_AIR], we[CW_MAX_ON_AIR];
            size_t n = air_station_windows(p->st, p->tz, date, ws, we);
            for (size_t w = 0; w < n; w++)
                if (ws[w] > wall && ws[w] < best)
                    best = ws[w];
        }
    }
    return best;
}

void air_prog_at(air_prog *p, int64_t wall, air_seg *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&p->mu);
    cw_date today = air_local_date(p->tz, wall);
    for (int k = -1; k <= 0; k++) {
        day_slot *s = get_day(p, cw_date_add_days(today, k));
        if (s->state != DAY_LOADED || s->day->damaged)
            continue;
        long i = air_day_item_at(s->day, wall);
        if (i >= 0) {
            item_seg(out, s->day, (size_t)i, wall);
            pthread_mutex_unlock(&p->mu);
            return;
        }
    }
    /* no usable bundle: the emergency filler fills the station's windows (in day mode; in
     * blocks mode the station's own programme owns the windows and air stays out of it) */
    for (int k = -1; k <= 0 && p->st->bundle_mode == CW_BUNDLE_DAY; k++) {
        cw_date date = cw_date_add_days(today, k);
        day_slot *s = get_day(p, date);
        if (s->state == DAY_LOADED && !s->day->damaged)
            continue;
        int64_t wss[CW_MAX_ON_AIR], wes[CW_MAX_ON_AIR], ws = 0, we = 0;
        size_t nw = air_station_windows(p->st, p->tz, date, wss, wes);
        for (size_t w = 0; w < nw; w++)
            if (wall >= wss[w] && wall < wes[w]) {
                ws = wss[w];
                we = wes[w];
            }
        if (we > ws && wall >= ws && wall < we) {
            char ds[11];
            cw_date_format(date, ds);
            if (s->state == DAY_MISSING && !s->announced) {
                s->announced = 1;
                air_logf(p->log, CW_DIAG_WARNING, "air.bundle-missing", ds,
                         "no bundle for %s in out/%s (build it: chalkwave build --date %s); the emergency filler plays "
                         "until it is there",
                         ds, ds, ds);
                bundle_event(p, "missing", date, NULL, NULL);
            }
            out->kind = AIR_SEG_EMERGENCY;
            out->start_ns = wall;
            out->end_ns = we; /* outputs ask again at the end of each filler link */
            snprintf(out->why, sizeof out->why, "%s bundle %s", s->state == DAY_MISSING ? "no" : "damaged", ds);
            pthread_mutex_unlock(&p->mu);
            return;
        }
    }
    int64_t nx = next_start(p, today, wall);
    out->kind = AIR_SEG_GAP;
    out->start_ns = wall;
    out->end_ns = nx - wall > GAP_RECHECK_NS ? wall + GAP_RECHECK_NS : nx;
    snprintf(out->why, sizeof out->why, "between on-air windows");
    pthread_mutex_unlock(&p->mu);
}

void air_prog_next(air_prog *p, const air_seg *cur, air_seg *out)
{
    air_prog_at(p, cur->end_ns, out);
}

void air_prog_release(air_prog *p, air_seg *s)
{
    if (s->day) {
        pthread_mutex_lock(&p->mu);
        day_unref(s->day);
        pthread_mutex_unlock(&p->mu);
    }
    s->day = NULL;
}

void air_prog_damaged(air_prog *p, air_day *d, size_t item, const char *what)
{
    pthread_mutex_lock(&p->mu);
    int first = !d->damaged;
    d->damaged = 1;
    char ds[11];
    cw_date_format(d->date, ds);
    if (first) {
        air_logf(p->log, CW_DIAG_ERROR, "air.bundle-damaged", ds,
                 "the bundle of %s is damaged at item %zu: %s; the emergency filler plays until it is rebuilt "
                 "(chalkwave build --date %s)",
                 ds, item + 1, what, ds);
        bundle_event(p, "damaged", d->date, d->id, what);
        for (int i = 0; i < CACHE; i++)
            if (p->slots[i].used && p->slots[i].day == d) {
                p->slots[i].state = DAY_DAMAGED;
                p->slots[i].seen_ok = plan_stat(p, d->date, &p->slots[i].seen);
                p->slots[i].day = NULL;
                day_unref(d);
            }
    }
    pthread_mutex_unlock(&p->mu);
}

void air_prog_build_ahead(air_prog *p, int64_t wall)
{
    if (!p->build)
        return;
    cw_date today = air_local_date(p->tz, wall);
    for (int k = 0; k <= 1; k++) {
        cw_date date = cw_date_add_days(today, k);
        pthread_mutex_lock(&p->mu);
        day_slot *s = get_day(p, date);
        int want = (s->state == DAY_MISSING || s->state == DAY_DAMAGED) &&
                   (!s->last_build_try || wall - s->last_build_try > 600 * AIR_NS);
        if (want)
            s->last_build_try = wall;
        pthread_mutex_unlock(&p->mu);
        if (!want)
            continue;
        char ds[11];
        cw_date_format(date, ds);
        air_logf(p->log, CW_DIAG_INFO, "air.build", ds, "building the bundle of %s (--build-ahead)", ds);
        cw_error err = {0};
        int rc = p->build(p->build_user, date, &err);
        if (rc)
            air_logf(p->log, CW_DIAG_ERROR, "air.build-failed", ds, "cannot build the bundle of %s: %s (trying again in 10 minutes)",
                     ds, err.text[0] ? err.text : cw_strerror(rc));
        else
            bundle_event(p, "built", date, NULL, NULL);
        air_prog_watch(p, wall);
    }
}
