/* plan_day.c — cw_plan_day: the station's window for a date (station zone, DST-aware),
 * the calendar occurrences in it, each series lesson's position (less the lessons that
 * blackouts suppressed before it), then the planner core. Also loads the station's
 * partner calendars. Guarantees: nothing is stored between runs; the same calendars,
 * library and settings give the same plan for any date, in any order of planning. */
#include "scheduler_int.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

/* Expansion windows of the history: blackout spans closer than this are looked at in one
 * expansion of the series (fewer calls), further apart in separate ones (fewer instances). */
#define WINDOW_GAP (14 * 86400LL)
/* Blackout occurrences the history may hold (as many as one expansion window may): beyond,
 * the plan is refused instead of walking, say, an hourly blackout over years. */
#define HISTORY_MAX_BLACKOUTS CW_CAL_MAX_OCCURRENCES

static int is_series_lesson(const cw_occurrence *o)
{
    return (o->kind == CW_KIND_LESSON || o->kind == CW_KIND_NONE) && o->series && o->series[0] && !o->all_day;
}

/* A lesson of the day whose position (> 1) counts earlier lessons of its series: how many of
 * those a blackout suppressed or that carried their own number. */
typedef struct need {
    size_t idx;
    const char *file, *series, *uid;
    int64_t recurrence; /* the calendar counts in order of RECURRENCE-ID, then UID */
    long uncounted;
} need;

typedef struct span {
    int64_t start, end;
} span;

typedef struct history {
    need *nd;
    size_t nn;
    span *sp; /* blackout spans: sorted, disjoint, non-empty */
    size_t nsp, cap_sp;
    int explicit_only; /* the filter keeps only components with an explicit Episode: N */
} history;

static int cmp_span(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return (x->start > y->start) - (x->start < y->start);
}

static int cmp_key(const char *series, const char *file, const need *y)
{
    int r = strcmp(series, y->series);
    return r ? r : strcmp(file ? file : "", y->file ? y->file : "");
}

static int cmp_need(const void *a, const void *b)
{
    const need *x = a;
    return cmp_key(x->series, x->file, b);
}

/* First need of (series, file) in the sorted list; nn when none. */
static size_t find_need(const history *h, const char *series, const char *file)
{
    size_t lo = 0, hi = h->nn;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_key(series, file, &h->nd[mid]) > 0) lo = mid + 1;
        else hi = mid;
    }
    return lo < h->nn && !cmp_key(series, file, &h->nd[lo]) ? lo : h->nn;
}

/* Filters of the history expansions (cw_comp_filter). */
static int keep_blackout(const cw_occurrence *c, void *ctx)
{
    (void)ctx;
    return c->kind == CW_KIND_BLACKOUT && !c->cancelled;
}

static int keep_series(const cw_occurrence *c, void *ctx)
{
    const history *h = ctx;
    if (!c->series || !c->series[0] || c->cancelled || c->repeat) return 0;
    if (h->explicit_only && c->episode <= 0) return 0;
    return find_need(h, c->series, c->file) < h->nn;
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

/* A visit returns 0, -1 when out of memory, or CW_ELIMIT when the history is too big. */
typedef int (*visit_fn)(history *h, const cw_occurrence *o, int64_t lo, int64_t hi);

/* Expand [from, to) with a filter and visit every occurrence; a range whose expansion would
 * exceed the bounds is halved until it fits (down to a day, then the bound's error stands).
 * Each visit gets the range it came from: occurrences overlap it but may start before. */
static int expand_visit(const cw_calset *cals, int64_t from, int64_t to, cw_comp_filter keep, history *h,
                        visit_fn visit, cw_error *err)
{
    cw_occurrences o = {0};
    cw_error e = {0};
    int rc = cw_calset_expand_where(cals, from, to, 0, keep, h, &o, &e);
    if (rc == CW_ELIMIT && to - from > 86400) {
        int64_t mid = from + (to - from) / 2;
        rc = expand_visit(cals, from, mid, keep, h, visit, err);
        return rc ? rc : expand_visit(cals, mid, to, keep, h, visit, err);
    }
    if (rc) {
        *err = e;
        return rc;
    }
    for (size_t i = 0; i < o.n && !rc; i++) rc = visit(h, &o.v[i], from, to);
    cw_occurrences_free(&o);
    if (rc == CW_ELIMIT)
        return cw_fail(err, CW_ELIMIT, "", 0, "the calendars hold more than %d blackouts before the day (simplify "
                       "the blackout events' rules, e.g. one all-day event per holiday)", HISTORY_MAX_BLACKOUTS);
    return rc ? cw_fail(err, CW_ENOMEM, "", 0, "out of memory") : 0;
}

static int visit_blackout(history *h, const cw_occurrence *o, int64_t lo, int64_t hi)
{
    (void)lo, (void)hi;
    if (o->kind != CW_KIND_BLACKOUT || o->cancelled || o->end <= o->start) return 0;
    if (h->nsp >= HISTORY_MAX_BLACKOUTS) return CW_ELIMIT;
    if (h->nsp == h->cap_sp) {
        size_t nc = h->cap_sp ? h->cap_sp * 2 : 64;
        span *v = realloc(h->sp, nc * sizeof *v);
        if (!v) return -1;
        h->sp = v;
        h->cap_sp = nc;
    }
    h->sp[h->nsp++] = (span){o->start, o->end};
    return 0;
}

/* A lesson of a needed series that started in [lo, hi): counted for every lesson of the day
 * it comes before, when it does not use up a number. */
static void count_uncounted(history *h, const cw_occurrence *o, int64_t lo, int64_t hi)
{
    if (o->start < lo || o->start >= hi) return; /* visited in the range it starts in */
    if (!is_series_lesson(o) || o->repeat || o->cancelled) return;
    int in_blackout = in_spans(h->sp, h->nsp, o->start);
    /* the explicit pass leaves what the blackout pass saw */
    if (h->explicit_only ? in_blackout || o->episode <= 0 : !in_blackout) return;
    for (size_t i = find_need(h, o->series, o->file); i < h->nn && !cmp_key(o->series, o->file, &h->nd[i]); i++) {
        need *x = &h->nd[i];
        if (o->recurrence_utc < x->recurrence || (o->recurrence_utc == x->recurrence && strcmp(o->uid, x->uid) < 0))
            x->uncounted++;
    }
}

static int visit_series(history *h, const cw_occurrence *o, int64_t lo, int64_t hi)
{
    count_uncounted(h, o, lo, hi);
    return 0;
}

/* Lessons suppressed by a blackout, and lessons with an explicit Episode: N, do not use up
 * an episode number. The position each lesson of the day got from the calendars counts every
 * earlier lesson of its series; take those two kinds off. Only blackouts and the day's own
 * series are expanded, never the whole station: (1) every blackout since the series' first
 * lesson, merged into spans; (2) the series' lessons inside those spans (one expansion per
 * group of nearby spans); (3) the series' instances with an explicit number outside them.
 * The cost follows the number of holidays, not the length or the size of the history, and
 * no expansion exceeds the calendars' bounds (a range that would is split). */
static int blackout_correction(const cw_calset *cals, const cw_occurrences *day, long *positions, int64_t we,
                               cw_error *err)
{
    size_t nn = 0;
    for (size_t i = 0; i < day->n; i++)
        if (positions[i] > 1) nn++;
    if (!nn) return 0;
    history h = {0};
    h.nd = calloc(nn, sizeof *h.nd);
    if (!h.nd) return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    for (size_t i = 0; i < day->n; i++)
        if (positions[i] > 1)
            h.nd[h.nn++] = (need){i, day->v[i].file, day->v[i].series, day->v[i].uid, day->v[i].recurrence_utc, 0};
    qsort(h.nd, h.nn, sizeof *h.nd, cmp_need);
    int rc = 0;
    int64_t first;
    if (cw_calset_first_start(cals, keep_series, &h, &first) || first >= we) goto done;
    first -= 2 * 86400; /* margin: all-day and moved instances */
    /* 1. blackout spans, sorted and merged */
    rc = expand_visit(cals, first, we, keep_blackout, &h, visit_blackout, err);
    if (rc) goto done;
    if (h.nsp > 1) qsort(h.sp, h.nsp, sizeof *h.sp, cmp_span);
    size_t m = 0;
    for (size_t j = 0; j < h.nsp; j++) {
        if (m && h.sp[j].start <= h.sp[m - 1].end) {
            if (h.sp[j].end > h.sp[m - 1].end) h.sp[m - 1].end = h.sp[j].end;
        } else {
            h.sp[m++] = h.sp[j];
        }
    }
    h.nsp = m;
    /* 2. the series' lessons inside the spans, nearby spans expanded together */
    for (size_t j = 0; j < h.nsp && !rc;) {
        int64_t a = h.sp[j].start, b = h.sp[j].end;
        size_t k = j + 1;
        while (k < h.nsp && h.sp[k].start - b < WINDOW_GAP) b = h.sp[k++].end;
        if (a < first) a = first;
        if (b > we) b = we;
        if (a < b) rc = expand_visit(cals, a, b, keep_series, &h, visit_series, err);
        j = k;
    }
    /* 3. explicit numbers outside the spans (overrides, or events that carry one) */
    h.explicit_only = 1;
    if (!rc) rc = expand_visit(cals, first, we, keep_series, &h, visit_series, err);
done:
    for (size_t i = 0; i < h.nn && !rc; i++) positions[h.nd[i].idx] -= h.nd[i].uncounted;
    free(h.nd);
    free(h.sp);
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
    (void)cw_diags_add(d, CW_DIAG_WARNING, NULL, file, line, NULL, text);
}


/* What a plan says about one calendar file (README "Partner calendars"): every error (an event
 * skipped: the plan also shows it on the days it would have aired) and the zone warning
 * (cal.zone-differs) as they are; the other warnings, said once by `calendar check`, as one
 * line that counts them. */
static int keep_calendar_diags(cw_diags *diags, const cw_diags *mine, const char *name, const char *path,
                               cw_error *err)
{
    size_t other = 0;
    int rc = 0;
    for (size_t i = 0; i < mine->n && !rc; i++) {
        const cw_diag *g = &mine->v[i];
        if (g->severity == CW_DIAG_ERROR || (g->code && !strcmp(g->code, "cal.zone-differs")))
            rc = diags ? cw_diags_add(diags, g->severity, g->code, g->file, g->line, g->item, g->text) : 0;
        else if (g->severity == CW_DIAG_WARNING)
            other++;
    }
    if (!rc && other && diags)
        rc = cw_diags_addf(diags, CW_DIAG_WARNING, "cal.warnings", name, 0, NULL,
                           "%zu warning%s about how the calendar was read (see them with: chalkwave "
                           "calendar check %s)", other, other == 1 ? "" : "s", path);
    return rc ? cw_fail(err, CW_ENOMEM, "", 0, "out of memory") : 0;
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
        const cw_partner_calendar *pc = cw_station_calendar(st, names.v[i]);
        cw_cal_file_opts o = {names.v[i], pc ? pc->priority : 0, pc ? pc->holidays : 0};
        cw_diags mine = {0};
        rc = cw_calset_add_file_opts(set, path, &o, &mine, err);
        if (rc && !err->source[0]) snprintf(err->source, sizeof err->source, "%s", path);
        if (!rc) {
            char word[1400];
            cw_shell_word(path, word, sizeof word);
            rc = keep_calendar_diags(diags, &mine, names.v[i], word, err);
        }
        else if (diags) cw_diags_extend(diags, &mine);
        cw_diags_free(&mine);
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
