/* plan_day.c — cw_plan_day: the station's window for a date (station zone, DST-aware),
 * the calendar occurrences in it, each series lesson's position (less the lessons that
 * blackouts suppressed before it), then the planner core. Also loads the station's
 * partner calendars. Guarantees: nothing is stored between runs; the same calendars,
 * library and settings give the same plan for any date, in any order of planning. */
#include "scheduler_int.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

/* How far back the blackout correction looks for a series' earlier lessons, in chunks of
 * one year (it stops as soon as every series' first lesson is reached). */
#define HISTORY_CHUNK (366 * 86400LL)
#define HISTORY_MAX_CHUNKS 30

static int is_series_lesson(const cw_occurrence *o)
{
    return (o->kind == CW_KIND_LESSON || o->kind == CW_KIND_NONE) && o->series && o->series[0] && !o->all_day;
}

typedef struct need {
    size_t idx;
    const char *file, *series;
    int64_t start, recurrence; /* the calendar counts in order of RECURRENCE-ID */
    long remaining;  /* counted lessons before it not seen yet */
    long suppressed; /* of those, how many a blackout suppressed */
} need;

typedef struct span {
    int64_t start, end;
} span;

static int cmp_span(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return (x->start > y->start) - (x->start < y->start);
}

static int cmp_need(const void *a, const void *b)
{
    const need *x = a, *y = b;
    int r = strcmp(x->series, y->series);
    return r ? r : strcmp(x->file ? x->file : "", y->file ? y->file : "");
}

/* Blackout spans sorted by start, each end replaced by the running maximum, so that "is t
 * inside any span" is one binary search. */
static int blackout_spans(const cw_occurrences *h, span **out, size_t *n)
{
    size_t k = 0;
    for (size_t j = 0; j < h->n; j++) k += h->v[j].kind == CW_KIND_BLACKOUT && !h->v[j].cancelled;
    *n = 0;
    *out = NULL;
    if (!k) return 0;
    span *v = malloc(k * sizeof *v);
    if (!v) return -1;
    for (size_t j = 0; j < h->n; j++)
        if (h->v[j].kind == CW_KIND_BLACKOUT && !h->v[j].cancelled) v[(*n)++] = (span){h->v[j].start, h->v[j].end};
    qsort(v, *n, sizeof *v, cmp_span);
    for (size_t j = 1; j < *n; j++)
        if (v[j].end < v[j - 1].end) v[j].end = v[j - 1].end;
    *out = v;
    return 0;
}

static int in_spans(const span *v, size_t n, int64_t t)
{
    size_t lo = 0, hi = n; /* first span starting after t */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid].start <= t) lo = mid + 1;
        else hi = mid;
    }
    return lo > 0 && t < v[lo - 1].end;
}

/* Lessons suppressed by a blackout, and lessons with an explicit Episode: N, do not use up
 * an episode number: walk back through the calendars a year at a time until each series'
 * first lesson is reached, counting the earlier lessons of the series that started inside
 * a blackout or carried their own number. */
static int blackout_correction(const cw_calset *cals, const cw_occurrences *day, long *positions, int64_t we,
                               cw_error *err)
{
    size_t nn = 0;
    for (size_t i = 0; i < day->n; i++)
        if (positions[i] > 1) nn++;
    if (!nn) return 0;
    need *nd = calloc(nn, sizeof *nd);
    if (!nd) return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    nn = 0;
    for (size_t i = 0; i < day->n; i++)
        if (positions[i] > 1)
            nd[nn++] = (need){i, day->v[i].file, day->v[i].series, day->v[i].start, day->v[i].recurrence_utc,
                              positions[i] - 1, 0};
    qsort(nd, nn, sizeof *nd, cmp_need);
    int rc = 0;
    int64_t chunk_end = we;
    for (int k = 0; k < HISTORY_MAX_CHUNKS && !rc; k++) {
        long left = 0;
        for (size_t i = 0; i < nn; i++) left += nd[i].remaining > 0;
        if (!left) break;
        int64_t chunk_start = chunk_end - HISTORY_CHUNK;
        cw_occurrences h = {0};
        rc = cw_calset_expand(cals, chunk_start, chunk_end, 0, &h, err);
        if (rc) break;
        span *sp = NULL;
        size_t nsp = 0;
        if (blackout_spans(&h, &sp, &nsp)) {
            cw_occurrences_free(&h);
            rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
            break;
        }
        for (size_t j = 0; j < h.n; j++) {
            const cw_occurrence *o = &h.v[j];
            if (o->start < chunk_start || o->start >= chunk_end) continue; /* counted in its own chunk */
            if (!is_series_lesson(o) || o->repeat || o->cancelled) continue;
            need key = {0};
            key.series = o->series;
            key.file = o->file;
            size_t lo = 0, hi = nn; /* first need of this series and file */
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (cmp_need(&nd[mid], &key) < 0) lo = mid + 1;
                else hi = mid;
            }
            int sup = -1;
            for (size_t i = lo; i < nn && !cmp_need(&nd[i], &key); i++) {
                need *x = &nd[i];
                if (x->remaining <= 0 || o->recurrence_utc >= x->recurrence) continue;
                x->remaining--;
                /* an explicit Episode: N does not use up a number either */
                if (sup < 0) sup = o->episode > 0 || in_spans(sp, nsp, o->start);
                x->suppressed += sup;
            }
        }
        free(sp);
        cw_occurrences_free(&h);
        chunk_end = chunk_start;
    }
    for (size_t i = 0; i < nn && !rc; i++) positions[nd[i].idx] -= nd[i].suppressed;
    free(nd);
    return rc;
}

/* Offset changes inside [ws, we]: probe every 30 minutes, bisect to the second. */
static int find_tz_changes(const cw_tz *tz, int64_t ws, int64_t we, cw_plan_tzchange *out, size_t max, size_t *n)
{
    *n = 0;
    int prev = cw_tz_offset_at(tz, ws);
    int64_t lo = ws;
    for (int64_t t = ws + 1800;; t += 1800) {
        int64_t tt = t < we ? t : we;
        int o = cw_tz_offset_at(tz, tt);
        if (o != prev) {
            int64_t a = lo, b = tt; /* offset(a) == prev, offset(b) != prev */
            while (b - a > 1) {
                int64_t m = a + (b - a) / 2;
                if (cw_tz_offset_at(tz, m) == prev) a = m;
                else b = m;
            }
            if (*n < max) out[(*n)++] = (cw_plan_tzchange){b, cw_tz_offset_at(tz, b)};
            prev = cw_tz_offset_at(tz, b);
            if (prev != o) { /* two changes in one probe step: look again from b */
                lo = b;
                t = b - 1800 + 1;
                continue;
            }
        }
        lo = tt;
        if (tt >= we) break;
    }
    return 0;
}

int cw_plan_window(const cw_station *st, const cw_tz *tz, cw_date date, int64_t *ws, int64_t *we)
{
    cw_civil a = {date.year, date.month, date.day, st->on_air_start / 60, st->on_air_start % 60, 0};
    cw_date ed = st->on_air_end <= st->on_air_start ? cw_date_add_days(date, 1) : date;
    cw_civil b = {ed.year, ed.month, ed.day, st->on_air_end / 60, st->on_air_end % 60, 0};
    *ws = cw_tz_to_utc(tz, &a);
    *we = cw_tz_to_utc(tz, &b);
    return *we > *ws ? 0 : -1;
}

int cw_plan_day(cw_plan **out, const cw_station *st, const cw_calset *cals, const cw_library *lib, cw_date date,
                cw_error *err)
{
    *out = NULL;
    cw_tz *tz = NULL;
    cw_occurrences occ = {0};
    long *positions = NULL;
    int rc = cw_tz_open(&tz, st->timezone, err);
    if (rc) return rc;
    int64_t ws, we;
    char ds[11];
    cw_date_format(date, ds);
    if (cw_plan_window(st, tz, date, &ws, &we) || we - ws > CW_PLAN_MAX_WINDOW) {
        rc = cw_fail(err, CW_EINVAL, st->conf_path ? st->conf_path : "", 0,
                     "the on-air window of %s is empty in zone '%s' (check on_air)", ds, st->timezone);
        goto done;
    }
    cw_plan_tzchange ch[8];
    size_t nch = 0;
    find_tz_changes(tz, ws, we, ch, 8, &nch);
    if (cals) {
        rc = cw_calset_expand(cals, ws, we, 0, &occ, err);
        if (rc) goto done;
    }
    positions = calloc(occ.n ? occ.n : 1, sizeof *positions);
    if (!positions) {
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < occ.n; i++) {
        const cw_occurrence *o = &occ.v[i];
        if (!is_series_lesson(o) || o->episode > 0 || o->cancelled) continue;
        rc = cw_calset_series_position(cals, o, &positions[i], err);
        if (rc) goto done;
        if (positions[i] < 0) positions[i] = 0;
    }
    /* a repeat's own position is not used when its first airing is in the day; the core
     * decides, so correct every position */
    if (cals) {
        rc = blackout_correction(cals, &occ, positions, we, err);
        if (rc) goto done;
    }
    cw_sched_input in = {
        .st = st,
        .date = date,
        .window_start = ws,
        .window_end = we,
        .start_offset = cw_tz_offset_at(tz, ws),
        .end_offset = cw_tz_offset_at(tz, we),
        .tz_changes = ch,
        .n_tz_changes = nch,
        .occ = occ.v,
        .n_occ = occ.n,
        .positions = positions,
        .lib = lib,
    };
    rc = cw_sched_run(out, &in, err);
done:
    free(positions);
    cw_occurrences_free(&occ);
    cw_tz_free(tz);
    return rc;
}

/* ---- the station's calendars ------------------------------------------------------- */

static int cmp_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void diag_warn(cw_diags *d, const char *file, int line, const char *text)
{
    if (!d) return;
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        cw_diag *v = realloc(d->v, cap * sizeof *v);
        if (!v) return;
        d->v = v;
        d->cap = cap;
    }
    cw_diag *x = &d->v[d->n];
    x->file = cw_strdup(file);
    x->text = cw_strdup(text);
    x->line = line;
    x->severity = CW_DIAG_WARNING;
    if (!x->file || !x->text) {
        free(x->file);
        free(x->text);
        return;
    }
    d->n++;
    d->warnings++;
}

int cw_station_calendars(cw_calset **out, const cw_station *st, cw_diags *diags, cw_error *err)
{
    *out = NULL;
    char *dir = cw_path_join(st->dir, "calendars");
    if (!dir) return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    cw_strlist names = {0};
    int rc = 0;
    DIR *d = opendir(dir);
    if (!d) {
        rc = cw_fail(err, CW_EIO, dir, 0, "cannot open the calendars folder (is this a station? see 'chalkwave init')");
        free(dir);
        return rc;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.' || n < 5 || strcmp(e->d_name + n - 4, ".ics")) continue;
        if (cw_strlist_push(&names, e->d_name)) {
            rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
            break;
        }
    }
    closedir(d);
    if (!rc && names.n > 1) qsort(names.v, names.n, sizeof *names.v, cmp_name); /* qsort(NULL, 0) is UB */
    cw_calset *set = rc ? NULL : cw_calset_new(st->timezone);
    if (!rc && !set) rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    for (size_t i = 0; i < names.n && !rc; i++) {
        char *path = cw_path_join(dir, names.v[i]);
        if (!path) {
            rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
            break;
        }
        rc = cw_calset_add_file(set, path, names.v[i], cw_station_calendar_priority(st, names.v[i]), diags, err);
        if (rc && !err->source[0]) snprintf(err->source, sizeof err->source, "%s", path);
        free(path);
    }
    /* a calendar listed in station.conf but not in calendars/ plans nothing: say so */
    for (size_t k = 0; k < st->n_calendars && !rc; k++) {
        int found = 0;
        for (size_t i = 0; i < names.n && !found; i++) found = !strcmp(names.v[i], st->calendars[k].file);
        if (!found) {
            char text[1400];
            snprintf(text, sizeof text, "calendar '%.600s' is listed in [calendars] but not in %.600s (import it "
                                        "with 'chalkwave calendar import')",
                     st->calendars[k].file, dir);
            diag_warn(diags, st->conf_path ? st->conf_path : "station.conf", st->calendars[k].line, text);
        }
    }
    cw_strlist_free(&names);
    free(dir);
    if (rc) {
        cw_calset_free(set);
        return rc;
    }
    *out = set;
    return 0;
}
