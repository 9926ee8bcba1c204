/* plan_history.c — the episode each of the day's series lessons plays, from the series'
 * history: the calendar's position less the earlier lessons that did not use up a number
 * (suppressed by a blackout, held or cancelled by the station, or carrying their own
 * Episode: N); counted again from a restart's episode; and under 'missed = hold' counting
 * only the earlier lessons that aired (the records of a history source, else the library).
 * Guarantees: only blackouts and the day's own series are expanded, never the whole
 * station; no expansion exceeds the calendars' bounds (a range that would is split); the
 * answer does not depend on the order days are planned in. */
#include "scheduler_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Expansion windows of the history: blackout spans closer than this are looked at in one
 * expansion of the series (fewer calls), further apart in separate ones (fewer instances). */
#define WINDOW_GAP (14 * 86400LL)
/* Blackout occurrences the history may hold (as many as one expansion window may): beyond,
 * the plan is refused instead of walking, say, an hourly blackout over years. */
#define HISTORY_MAX_BLACKOUTS CW_CAL_MAX_OCCURRENCES

static int is_series_lesson(const cw_occurrence *o)
{
    return (o->kind == CW_KIND_LESSON || o->kind == CW_KIND_NONE) && o->series && o->series[0] && !o->all_day &&
           !(o->skipped && o->skipped[0]);
}

/* A lesson of the day whose position (> 1) counts earlier lessons of its series: how many of
 * those did not use up a number. */
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
    const cw_hist_in *in;
    need *nd;
    size_t nn;
    span *bl; /* blackout spans: sorted, disjoint, non-empty */
    size_t nbl, cap_bl;
    int explicit_only; /* the filter keeps only components with an explicit Episode: N */
    /* the walk of one series (restart, hold) */
    const char *w_series, *w_file;
    cw_occurrences w_list;
} history;

static int cmp_span(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return (x->start > y->start) - (x->start < y->start);
}

static int cmp_key(const char *series, const char *file, const need *y)
{
    int r = strcasecmp(series, y->series);
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

/* ---- what does not use up a number ------------------------------------------------- */

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

static cw_date local_date(const cw_tz *tz, int64_t t)
{
    cw_civil c;
    int off;
    cw_tz_to_local(tz, t, &c, &off);
    return (cw_date){c.year, c.month, c.day};
}

static int64_t local_midnight(const cw_tz *tz, cw_date d)
{
    cw_civil c = {d.year, d.month, d.day, 0, 0, 0};
    return cw_tz_to_utc(tz, &c);
}

static int station_cancelled(const cw_station_changes *ch, const cw_occurrence *o)
{
    for (size_t i = 0; ch && i < ch->n; i++) {
        const cw_station_change *x = &ch->v[i];
        if (x->action == CW_CHANGE_CANCEL && !strcmp(x->event_uid, o->uid ? o->uid : "") &&
            !strcmp(x->event_file, o->file ? o->file : "") &&
            !strcmp(x->recurrence_id, o->recurrence_id ? o->recurrence_id : ""))
            return 1;
    }
    return 0;
}

/* A lesson that does not use up an episode: inside a blackout, held, cancelled by the station. */
static int suppressed(const history *h, const cw_occurrence *o)
{
    if (in_spans(h->bl, h->nbl, o->start)) return 1;
    const cw_station_changes *ch = h->in->changes;
    if (!ch || !ch->n) return 0;
    if (cw_changes_hold_on(ch, o->series, local_date(h->in->tz, o->start))) return 1;
    return station_cancelled(ch, o);
}

/* ---- filtered expansions ----------------------------------------------------------- */

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

static int keep_walk(const cw_occurrence *c, void *ctx)
{
    const history *h = ctx;
    return c->series && !c->cancelled && !c->repeat && cw_series_eq(c->series, h->w_series) &&
           !strcmp(c->file ? c->file : "", h->w_file);
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

static int push_span(span **v, size_t *n, size_t *cap, int64_t a, int64_t b)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        span *x = realloc(*v, nc * sizeof *x);
        if (!x) return -1;
        *v = x;
        *cap = nc;
    }
    (*v)[(*n)++] = (span){a, b};
    return 0;
}

static int visit_blackout(history *h, const cw_occurrence *o, int64_t lo, int64_t hi)
{
    (void)lo, (void)hi;
    if (o->kind != CW_KIND_BLACKOUT || o->cancelled || o->end <= o->start) return 0;
    if (h->nbl >= HISTORY_MAX_BLACKOUTS) return CW_ELIMIT;
    return push_span(&h->bl, &h->nbl, &h->cap_bl, o->start, o->end);
}

/* Sort and merge spans in place; returns the new count. */
static size_t merge_spans(span *v, size_t n)
{
    if (n > 1) qsort(v, n, sizeof *v, cmp_span);
    size_t m = 0;
    for (size_t j = 0; j < n; j++) {
        if (m && v[j].start <= v[m - 1].end) {
            if (v[j].end > v[m - 1].end) v[m - 1].end = v[j].end;
        } else {
            v[m++] = v[j];
        }
    }
    return m;
}

/* A lesson of a needed series that started in [lo, hi): counted for every lesson of the day
 * it comes before, when it does not use up a number. */
static int visit_series(history *h, const cw_occurrence *o, int64_t lo, int64_t hi)
{
    if (o->start < lo || o->start >= hi) return 0; /* visited in the range it starts in */
    if (!is_series_lesson(o) || o->repeat || o->cancelled) return 0;
    int sup = suppressed(h, o);
    /* the explicit pass leaves what the suppression pass saw */
    if (h->explicit_only ? sup || o->episode <= 0 : !sup) return 0;
    for (size_t i = find_need(h, o->series, o->file); i < h->nn && !cmp_key(o->series, o->file, &h->nd[i]); i++) {
        need *x = &h->nd[i];
        if (o->recurrence_utc < x->recurrence || (o->recurrence_utc == x->recurrence && strcmp(o->uid, x->uid) < 0))
            x->uncounted++;
    }
    return 0;
}

/* ---- the calendar's positions, corrected ------------------------------------------- */

/* The spans in which series lessons may have been suppressed: blackouts, holds, and the
 * instants of station cancels. */
static int suppression_ranges(history *h, span **out, size_t *nout)
{
    size_t n = 0, cap = 0;
    span *v = NULL;
    for (size_t i = 0; i < h->nbl; i++)
        if (push_span(&v, &n, &cap, h->bl[i].start, h->bl[i].end)) goto oom;
    const cw_station_changes *ch = h->in->changes;
    for (size_t i = 0; ch && i < ch->n; i++) {
        const cw_station_change *x = &ch->v[i];
        if (x->action == CW_CHANGE_HOLD) {
            int64_t a = local_midnight(h->in->tz, x->from);
            int64_t b = x->until.year ? local_midnight(h->in->tz, cw_date_add_days(x->until, 1)) : h->in->day_end;
            if (a < b && push_span(&v, &n, &cap, a, b)) goto oom;
        } else if (x->action == CW_CHANGE_CANCEL) {
            /* the instance may have been moved by its partner: look around its own start */
            if (push_span(&v, &n, &cap, x->orig_start - 2 * 86400, x->orig_start + 2 * 86400)) goto oom;
        }
    }
    *nout = merge_spans(v, n);
    *out = v;
    return 0;
oom:
    free(v);
    return -1;
}

/* Lessons suppressed by a blackout, held or cancelled by the station, and lessons with an
 * explicit Episode: N, do not use up an episode number. The position each lesson of the day
 * got from the calendars counts every earlier lesson of its series; take those off. Only
 * blackouts and the day's own series are expanded: (1) every blackout since the series'
 * first lesson, merged into spans; (2) the series' lessons inside the suppression ranges
 * (one expansion per group of nearby ranges); (3) the series' instances with an explicit
 * number outside them. The cost follows the number of holidays and station changes, not the
 * length or the size of the history. */
static int correct_positions(history *h, const cw_occurrences *day, long *positions, int64_t first, cw_error *err)
{
    const cw_calset *cals = h->in->cals;
    int64_t we = h->in->day_end;
    span *rg = NULL;
    size_t nrg = 0;
    if (suppression_ranges(h, &rg, &nrg)) return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    int rc = 0;
    for (size_t j = 0; j < nrg && !rc;) {
        int64_t a = rg[j].start, b = rg[j].end;
        size_t k = j + 1;
        while (k < nrg && rg[k].start - b < WINDOW_GAP) b = rg[k++].end;
        if (a < first) a = first;
        if (b > we) b = we;
        if (a < b) rc = expand_visit(cals, a, b, keep_series, h, visit_series, err);
        j = k;
    }
    free(rg);
    h->explicit_only = 1;
    if (!rc) rc = expand_visit(cals, first, we, keep_series, h, visit_series, err);
    h->explicit_only = 0;
    for (size_t i = 0; i < h->nn && !rc; i++) positions[h->nd[i].idx] -= h->nd[i].uncounted;
    (void)day;
    return rc;
}

/* ---- walks: restarts and 'missed = hold' ------------------------------------------- */

/* The station's latest restart of `series` in force at UTC t, or NULL. */
static const cw_station_change *restart_at(const history *h, const char *series, int64_t t, int64_t *from)
{
    const cw_station_change *best = NULL;
    int64_t bf = 0;
    const cw_station_changes *ch = h->in->changes;
    for (size_t i = 0; ch && i < ch->n; i++) {
        const cw_station_change *x = &ch->v[i];
        if (x->action != CW_CHANGE_RESTART || !cw_series_eq(x->series, series)) continue;
        int64_t f = local_midnight(h->in->tz, x->from);
        if (f <= t && (!best || f >= bf)) best = x, bf = f;
    }
    *from = bf;
    return best;
}

static int visit_walk(history *h, const cw_occurrence *o, int64_t lo, int64_t hi)
{
    (void)lo, (void)hi;
    for (size_t i = 0; i < h->w_list.n; i++) /* halved ranges may repeat an instance */
        if (h->w_list.v[i].recurrence_utc == o->recurrence_utc && !strcmp(h->w_list.v[i].uid, o->uid)) return 0;
    if (h->w_list.n == h->w_list.cap) {
        size_t nc = h->w_list.cap ? h->w_list.cap * 2 : 64;
        cw_occurrence *v = realloc(h->w_list.v, nc * sizeof *v);
        if (!v) return -1;
        h->w_list.v = v;
        h->w_list.cap = nc;
    }
    h->w_list.v[h->w_list.n++] = *o; /* its strings belong to the set */
    return 0;
}

static int cmp_recur(const void *a, const void *b)
{
    const cw_occurrence *x = a, *y = b;
    if (x->recurrence_utc != y->recurrence_utc) return x->recurrence_utc < y->recurrence_utc ? -1 : 1;
    return strcmp(x->uid, y->uid);
}

/* Would episode e of the series have aired at instance o, judged by the library as it is? */
static int predicted(const history *h, const cw_occurrence *o, int e)
{
    const cw_recording *r = cw_sched_find_episode(h->in->lib, o->series, e);
    return r && cw_sched_rec_samples(r, h->in->st->rate) > 0 && cw_sched_valid_on(r, local_date(h->in->tz, o->start));
}

/* The episode lesson `o` of the day plays when its series restarted or the station holds
 * missed episodes. *ep keeps its value when neither applies. */
static int walk(history *h, const cw_occurrence *o, long *ep, cw_error *err)
{
    int64_t rfrom;
    const cw_station_change *r = restart_at(h, o->series, o->recurrence_utc, &rfrom);
    int hold = h->in->st->missed == CW_MISSED_HOLD;
    if (!r && !hold) return 0;
    int64_t from = rfrom;
    if (!r) {
        h->w_series = o->series, h->w_file = o->file;
        if (cw_calset_first_start(h->in->cals, keep_walk, h, &from)) return 0;
    }
    h->w_series = o->series, h->w_file = o->file;
    h->w_list.n = 0;
    /* moved instances keep their place by RECURRENCE-ID: look a little beyond both ends */
    int rc = expand_visit(h->in->cals, from - 2 * 86400, o->start + 2 * 86400, keep_walk, h, visit_walk, err);
    if (rc) return rc;
    cw_occurrence *v = h->w_list.v;
    size_t n = 0;
    for (size_t i = 0; i < h->w_list.n; i++) {
        const cw_occurrence *x = &v[i];
        int before = x->recurrence_utc < o->recurrence_utc ||
                     (x->recurrence_utc == o->recurrence_utc && strcmp(x->uid, o->uid) < 0);
        if (x->recurrence_utc >= from && before && is_series_lesson(x) && x->episode <= 0 && !suppressed(h, x))
            v[n++] = *x;
    }
    if (n > 1) qsort(v, n, sizeof *v, cmp_recur);
    long e = r ? r->episode : 1;
    if (!hold) {
        *ep = e + (long)n;
        return 0;
    }
    /* the latest record of an episode that aired anchors the count */
    size_t k = 0;
    const cw_air_history *hs = h->in->history;
    for (size_t i = n; i-- > 0 && hs;) {
        cw_date d = local_date(h->in->tz, v[i].start);
        int aired_ep = 0;
        if (cw_date_cmp(d, h->in->date) < 0 && hs->aired(hs->user, &v[i], d, &aired_ep) == CW_AIRED_YES &&
            aired_ep > 0) {
            e = aired_ep + 1;
            k = i + 1;
            break;
        }
    }
    for (size_t i = k; i < n; i++) {
        cw_date d = local_date(h->in->tz, v[i].start);
        int aired_ep = 0;
        cw_aired a = hs && cw_date_cmp(d, h->in->date) < 0 ? hs->aired(hs->user, &v[i], d, &aired_ep) : CW_AIRED_UNKNOWN;
        if (a == CW_AIRED_YES) e = (aired_ep > 0 ? aired_ep : e) + 1;
        else if (a == CW_AIRED_UNKNOWN && predicted(h, &v[i], (int)e)) e++;
    }
    *ep = e;
    return 0;
}

/* ---- entry ------------------------------------------------------------------------- */

int cw_sched_episodes(const cw_hist_in *in, const cw_occurrences *day, long *positions, cw_error *err)
{
    history h;
    memset(&h, 0, sizeof h);
    h.in = in;
    int walks = in->st->missed == CW_MISSED_HOLD;
    for (size_t i = 0; in->changes && i < in->changes->n; i++) walks |= in->changes->v[i].action == CW_CHANGE_RESTART;
    size_t nn = 0;
    for (size_t i = 0; i < day->n; i++)
        if (positions[i] > 1 || (walks && positions[i] > 0)) nn++;
    if (!nn || !in->cals) return 0;
    h.nd = calloc(nn, sizeof *h.nd);
    if (!h.nd) return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    for (size_t i = 0; i < day->n; i++)
        if (positions[i] > 1 || (walks && positions[i] > 0))
            h.nd[h.nn++] = (need){i, day->v[i].file, day->v[i].series, day->v[i].uid, day->v[i].recurrence_utc, 0};
    qsort(h.nd, h.nn, sizeof *h.nd, cmp_need);
    int rc = 0;
    int64_t first;
    if (cw_calset_first_start(in->cals, keep_series, &h, &first) || first >= in->day_end) goto done;
    first -= 2 * 86400; /* margin: all-day and moved instances */
    /* 1. blackout spans since the first lesson of a needed series, sorted and merged */
    rc = expand_visit(in->cals, first, in->day_end, keep_blackout, &h, visit_blackout, err);
    if (rc) goto done;
    h.nbl = merge_spans(h.bl, h.nbl);
    /* 2. the calendar's positions less what did not use up a number */
    rc = correct_positions(&h, day, positions, first, err);
    /* 3. restarts and held episodes: walk those series */
    for (size_t i = 0; walks && !rc && i < day->n; i++)
        if (positions[i] > 0) rc = walk(&h, &day->v[i], &positions[i], err);
done:
    cw_occurrences_free(&h.w_list);
    free(h.nd);
    free(h.bl);
    return rc;
}
