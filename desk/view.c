/* view.c — the station as the desk's pages read it: settings, the library index, the
 * partner calendars and day plans, loaded once and reloaded when their files change
 * (station.conf; each calendars/ *.ics; the folders under library/), read under the
 * station lock (shared), cached plans dropped when any input changes.
 * Guarantees: one request at a time holds the view (desk_view_lock), so the objects it
 * hands out are never freed under a reader; a failed reload keeps nothing stale: the
 * request gets the error and the next one tries again. */
#include "desk_int.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PLAN_CACHE 64

typedef struct cached_plan {
    cw_date day;
    cw_plan *plan;
    uint64_t use;
} cached_plan;

struct desk_view {
    char *dir;
    pthread_mutex_t mu;
    cw_station *st;
    desk_stamp conf_stamp;
    cw_library *lib;
    uint64_t lib_sig;
    cw_calset *cals;
    cw_diags cal_diags;
    uint64_t cal_sig;
    int cal_error;
    cw_error cal_err;
    cached_plan plans[PLAN_CACHE];
    uint64_t use_clock;
    int invalid;
    int lock_fd;
};

int desk_view_open(desk_view **out, const char *station_dir, cw_error *err)
{
    desk_view *v = calloc(1, sizeof *v);
    if (!v || !(v->dir = cw_strdup(station_dir))) {
        free(v);
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    pthread_mutex_init(&v->mu, NULL);
    v->lock_fd = -1;
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
    cw_station_free(v->st);
    cw_library_free(v->lib);
    cw_calset_free(v->cals);
    cw_diags_free(&v->cal_diags);
    pthread_mutex_destroy(&v->mu);
    free(v->dir);
    free(v);
}

/* A signature of a folder tree's directories (names, inodes, mtimes) and, with `files`, of
 * the regular files directly inside `dir` too: adding, removing or replacing a recording
 * changes its folder's mtime; editing a calendar in place changes the file's. */
static void tree_sig(const char *dir, int depth, int files, uint64_t *h)
{
    struct stat st;
    if (stat(dir, &st) != 0) return;
    uint64_t x[3] = {(uint64_t)st.st_ino, (uint64_t)st.st_mtim.tv_sec, (uint64_t)st.st_mtim.tv_nsec};
    *h = *h * 1099511628211ULL ^ cw_hash32(x, sizeof x) ^ cw_hash32(dir, strlen(dir));
    if (depth == 0 && !files) return; /* its mtime says enough: its entries are not listed */
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        if (!(e->d_type == DT_DIR && depth > 0) && !(files && e->d_type == DT_REG)) continue;
        char *p = cw_path_join(dir, e->d_name);
        if (!p) continue;
        if (e->d_type == DT_DIR) {
            tree_sig(p, depth - 1, files, h);
        } else if (stat(p, &st) == 0) {
            uint64_t y[4] = {(uint64_t)st.st_ino, (uint64_t)st.st_size, (uint64_t)st.st_mtim.tv_sec,
                             (uint64_t)st.st_mtim.tv_nsec};
            *h = *h * 1099511628211ULL ^ cw_hash32(y, sizeof y) ^ cw_hash32(e->d_name, strlen(e->d_name));
        }
        free(p);
    }
    closedir(d);
}

static int refresh(desk_view *v, cw_error *err)
{
    int changed = __atomic_exchange_n(&v->invalid, 0, __ATOMIC_ACQ_REL);
    char *conf = cw_path_join(v->dir, "station.conf");
    desk_stamp cs = desk_stamp_of(conf);
    free(conf);
    if (!v->st || !desk_stamp_eq(cs, v->conf_stamp)) {
        cw_station *st;
        int rc = cw_station_load(&st, v->dir, err);
        if (rc) return rc;
        cw_station_free(v->st);
        v->st = st;
        v->conf_stamp = cs;
        changed = 1;
        v->cal_sig = 0; /* priorities live in station.conf */
    }
    char *libdir = cw_path_join(v->dir, "library");
    uint64_t ls = 14695981039346656037ULL;
    tree_sig(libdir, 2, 0, &ls); /* library/KIND/SERIES: a file added or replaced changes its folder's mtime */
    free(libdir);
    if (!v->lib || ls != v->lib_sig || changed) {
        cw_library *lib;
        int rc = cw_library_scan(&lib, v->dir, err);
        if (rc) return rc;
        cw_library_free(v->lib);
        v->lib = lib;
        v->lib_sig = ls;
        changed = 1;
    }
    char *caldir = cw_path_join(v->dir, "calendars");
    uint64_t cs2 = 14695981039346656037ULL ^ cs.mtime_ns;
    tree_sig(caldir, 0, 1, &cs2);
    free(caldir);
    if (cs2 != v->cal_sig) {
        cw_calset_free(v->cals);
        v->cals = NULL;
        cw_diags_free(&v->cal_diags);
        cw_error_clear(&v->cal_err);
        v->cal_error = cw_station_calendars(&v->cals, v->st, &v->cal_diags, &v->cal_err);
        v->cal_sig = cs2;
        changed = 1;
    }
    if (changed) drop_plans(v);
    return 0;
}

int desk_view_lock(desk_view *v, cw_error *err)
{
    pthread_mutex_lock(&v->mu);
    /* shared: ingests and builds (shared too) go on; an import (exclusive) is waited for */
    int rc = cw_station_lock(v->dir, 0, 10, &v->lock_fd, err);
    if (rc == 0) rc = refresh(v, err);
    if (rc) {
        cw_station_unlock(v->lock_fd);
        v->lock_fd = -1;
        pthread_mutex_unlock(&v->mu);
    }
    return rc;
}

void desk_view_unlock(desk_view *v)
{
    cw_station_unlock(v->lock_fd);
    v->lock_fd = -1;
    pthread_mutex_unlock(&v->mu);
}

const cw_station *desk_view_station(desk_view *v)
{
    return v->st;
}

const cw_library *desk_view_library(desk_view *v)
{
    return v->lib;
}

const cw_diags *desk_view_calendar_diags(desk_view *v)
{
    return &v->cal_diags;
}

int desk_view_plan(desk_view *v, cw_date day, const cw_plan **out, cw_error *err)
{
    *out = NULL;
    if (v->cal_error) {
        *err = v->cal_err;
        return v->cal_error;
    }
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
    int rc = cw_plan_day(&p, v->st, v->cals, v->lib, day, err);
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
