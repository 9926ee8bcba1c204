/* instances.c — one event's instances before overrides: its rules' wall times in a window,
 * RDATEs (dates, times, periods), EXDATEs, instance ends from DTEND or DURATION, and the
 * times of overrides. Guarantees: sorted by instance id, duplicates removed, bounded by the
 * caller's step budget. */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "expand_int.h"

/* ---- one event's instances --------------------------------------------------------- */

static int inst_push(cal_inst_list *l, const cal_inst *x)
{
    if (l->n == l->cap && cal_grow(&l->v, &l->cap, sizeof *l->v, 64))
        return -1;
    l->v[l->n++] = *x;
    return 0;
}

static int inst_cmp(const void *a, const void *b)
{
    const cal_inst *x = a, *y = b;
    if (x->key != y->key)
        return (x->key > y->key) - (x->key < y->key);
    return (y->period > x->period) - (y->period < x->period); /* periods first */
}

/* Days an all-day (DATE) instance of k lasts: from DTEND or DURATION, else one. */
static int64_t date_days(const cal_comp *k)
{
    if (k->has_dtend)
        return cw_floor_div(k->dtend.wall, 86400) - cw_floor_div(k->dtstart.wall, 86400);
    if (k->has_duration)
        return k->dur_days + k->dur_secs / 86400;
    return 1;
}

/* End of an instance starting at wall `w` (frame of k) / UTC `s`, from k's DTEND/DURATION. */
int64_t cal_comp_end(const cw_calset *set, const cal_comp *k, int64_t w, int64_t s)
{
    if (k->dtstart.kind == CT_DATE) {
        int64_t d = cw_floor_div(w, 86400) + date_days(k);
        return cw_tz_wall_to_utc(set->deftz, d * 86400);
    }
    if (k->has_dtend) {
        /* DTEND: the same exact duration for every instance (RFC 5545 §3.8.5.3) */
        int64_t ds = cal_time_utc(set, &k->dtstart), de = cal_time_utc(set, &k->dtend);
        return s + (de - ds);
    }
    if (k->has_duration) {
        /* DURATION: days are nominal (wall clock), hours exact */
        int64_t e = s;
        if (k->dur_days)
            e = cal_frame_wall_to_utc(set, &k->dtstart, w + (int64_t)k->dur_days * 86400);
        return e + k->dur_secs;
    }
    return s;
}

/* An upper bound of an instance's length (exact seconds), for the search window. */
int64_t cal_max_span(const cw_calset *set, const cal_comp *k)
{
    const int64_t slack = 3 * 3600; /* DST changes on nominal days */
    if (k->dtstart.kind == CT_DATE)
        return date_days(k) * 86400 + slack;
    if (k->has_dtend)
        return cal_time_utc(set, &k->dtend) - cal_time_utc(set, &k->dtstart) + slack;
    if (k->has_duration)
        return (int64_t)k->dur_days * 86400 + k->dur_secs + slack;
    return slack;
}

static int make_master_inst(const cw_calset *set, const cal_comp *m, int64_t w, cal_inst *x)
{
    memset(x, 0, sizeof *x);
    x->wall = w;
    if (m->dtstart.kind == CT_DATE) {
        x->key = cw_floor_div(w, 86400);
        x->start = cw_tz_wall_to_utc(set->deftz, x->key * 86400);
    } else {
        x->start = cal_frame_wall_to_utc(set, &m->dtstart, w);
        x->key = x->start;
    }
    x->end = cal_comp_end(set, m, w, x->start);
    return 0;
}

/* Wall times of one rule in [wlo, whi], appended to `out` as instances. */
static int rule_window(const cw_calset *set, const cal_comp *m, cal_rrule *rr, int64_t wlo,
                       int64_t whi, cal_inst_list *out, cal_budget *b)
{
    int use_cache = rr->r.count > 0 &&
                    !(rr->r.freq <= ICAL_HOURLY_RECURRENCE && rr->n_cache == 0 &&
                      rr->r.count > CAL_CACHE_MAX);
    if (rr->exhausted || (rr->n_cache && rr->cache[rr->n_cache - 1] >= whi))
        use_cache = 1;
    if (use_cache && !rr->limited) {
        /* extend the cache up to whi */
        if (!rr->iter && !rr->exhausted) {
            rr->iter = cal_gen_new(m, rr, INT64_MIN);
            if (!rr->iter)
                return CW_ENOMEM;
        }
        cal_gen *g = rr->iter;
        while (!rr->exhausted && (rr->n_cache == 0 || rr->cache[rr->n_cache - 1] < whi)) {
            int64_t w;
            long before = g->steps;
            int got = cal_gen_next(g, &w);
            b->steps += g->steps - before;
            if (!got || !cal_until_ok(set, m, rr, w)) {
                int done = g->done; /* read before cal_gen_free: g is gone after it */
                if (done || got) {
                    rr->exhausted = 1;
                    cal_gen_free(g);
                    rr->iter = NULL;
                }
                if (!got && !done)
                    return CW_ELIMIT;
                break;
            }
            if (rr->n_cache >= CAL_CACHE_MAX) {
                rr->limited = 1;
                break;
            }
            if (rr->n_cache == rr->cap_cache &&
                cal_grow(&rr->cache, &rr->cap_cache, sizeof *rr->cache, 256))
                return CW_ENOMEM;
            rr->cache[rr->n_cache++] = w;
            if (b->steps > CAL_STEP_BUDGET)
                return CW_ELIMIT;
        }
        if (!rr->limited) {
            size_t lo = 0, hi = rr->n_cache;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (rr->cache[mid] < wlo)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            for (size_t i = lo; i < rr->n_cache && rr->cache[i] <= whi; i++) {
                cal_inst x;
                make_master_inst(set, m, rr->cache[i], &x);
                if (inst_push(out, &x))
                    return CW_ENOMEM;
                if (out->n > CW_CAL_MAX_OCCURRENCES * 2)
                    return CW_ELIMIT;
            }
            return 0;
        }
        if (rr->r.count > 0 && !(rr->r.freq <= ICAL_HOURLY_RECURRENCE))
            return CW_ELIMIT; /* a COUNT we cannot skip over and cannot cache */
    }
    cal_gen *g = cal_gen_new(m, rr, wlo);
    if (!g)
        return CW_ENOMEM;
    g->horizon = whi; /* instances after whi end the loop below anyway */
    int rc = 0;
    int64_t w;
    for (;;) {
        long before = g->steps;
        int got = cal_gen_next(g, &w);
        b->steps += g->steps - before;
        if (!got) {
            if (!g->done)
                rc = CW_ELIMIT;
            break;
        }
        if (w > whi || !cal_until_ok(set, m, rr, w))
            break;
        if (b->steps > CAL_STEP_BUDGET) {
            rc = CW_ELIMIT;
            break;
        }
        if (w < wlo)
            continue;
        cal_inst x;
        make_master_inst(set, m, w, &x);
        if (inst_push(out, &x)) {
            rc = CW_ENOMEM;
            break;
        }
        if (out->n > CW_CAL_MAX_OCCURRENCES * 2) {
            rc = CW_ELIMIT;
            break;
        }
    }
    cal_gen_free(g);
    return rc;
}

int cal_is_excluded(const cal_comp *m, const cal_inst *x)
{
    int64_t day = cw_floor_div(x->wall, 86400);
    for (size_t i = 0; i < m->n_exdates; i++) {
        const cal_exdate *e = &m->exdates[i];
        if (e->is_date ? e->key == day : e->key == x->key)
            return 1;
    }
    return 0;
}

const cal_comp *cal_find_override(const cal_event *e, int64_t key)
{
    size_t lo = 0, hi = e->n_ovr;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e->ovr[mid]->rid_key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < e->n_ovr && e->ovr[lo]->rid_key == key ? e->ovr[lo] : NULL;
}

/* The master's instances (before overrides) whose start lies in [ulo, uhi) UTC, sorted by
 * key, deduplicated, EXDATEs removed. */

int cal_master_instances(const cw_calset *set, const cal_event *ev, int64_t ulo, int64_t uhi,
                            cal_inst_list *out, cal_budget *b)
{
    const cal_comp *m = ev->master;
    int rc = 0;
    /* wall times are exact conversions of the bounds; 3 h covers any DST shift */
    int64_t wlo = cal_frame_utc_to_wall(set, &m->dtstart, ulo) - 3 * 3600;
    int64_t whi = cal_frame_utc_to_wall(set, &m->dtstart, uhi) + 3 * 3600;
    if (m->dtstart.kind == CT_DATE) {
        wlo -= 86400;
        whi += 86400;
    }
    int rules = m->n_rrules > 0 && !m->until_before_start;
    cal_inst x;
    if (!rules) {
        make_master_inst(set, m, m->dtstart.wall, &x);
        if (inst_push(out, &x))
            return CW_ENOMEM;
    } else {
        for (size_t i = 0; i < m->n_rrules && rc == 0; i++)
            rc = rule_window(set, m, &m->rrules[i], wlo, whi, out, b);
        if (rc)
            return rc;
    }
    for (size_t i = 0; i < m->n_rdates; i++) {
        const cal_rdate *rd = &m->rdates[i];
        memset(&x, 0, sizeof x);
        if (m->dtstart.kind == CT_DATE) {
            x.wall = cw_floor_div(rd->t.wall, 86400) * 86400;
            x.key = cw_floor_div(rd->t.wall, 86400);
            x.start = cw_tz_wall_to_utc(set->deftz, x.wall);
        } else {
            x.start = rd->t.kind == CT_FLOAT ? cal_frame_wall_to_utc(set, &m->dtstart, rd->t.wall)
                      : rd->t.kind == CT_DATE
                          ? cal_frame_wall_to_utc(set, &m->dtstart,
                                                  rd->t.wall + (m->dtstart.wall -
                                                                cw_floor_div(m->dtstart.wall, 86400) * 86400))
                          : cal_time_utc(set, &rd->t);
            x.key = x.start;
            x.wall = cal_frame_utc_to_wall(set, &m->dtstart, x.start);
        }
        if (rd->is_period) {
            x.period = 1;
            if (rd->has_dur) {
                x.end = x.start;
                if (rd->dur_days)
                    x.end = cal_frame_wall_to_utc(set, rd->t.kind == CT_ZONED ? &rd->t : &m->dtstart,
                                                  (rd->t.kind == CT_ZONED ? rd->t.wall : x.wall) +
                                                      (int64_t)rd->dur_days * 86400);
                x.end += rd->dur_secs;
            } else {
                x.end = rd->end.kind == CT_FLOAT ? cal_frame_wall_to_utc(set, &m->dtstart, rd->end.wall)
                                                 : cal_time_utc(set, &rd->end);
            }
        } else {
            x.end = cal_comp_end(set, m, x.wall, x.start);
        }
        if (inst_push(out, &x))
            return CW_ENOMEM;
    }
    int sorted = 1;
    for (size_t i = 1; i < out->n && sorted; i++)
        if (inst_cmp(&out->v[i - 1], &out->v[i]) > 0)
            sorted = 0;
    if (!sorted)
        qsort(out->v, out->n, sizeof *out->v, inst_cmp);
    size_t n = 0;
    for (size_t i = 0; i < out->n; i++) {
        if (n > 0 && out->v[n - 1].key == out->v[i].key)
            continue;
        /* EXDATE removes an instance, unless the partner also wrote an override for it:
         * the explicit VEVENT wins (as in python-recurring-ical-events) */
        if (cal_is_excluded(m, &out->v[i]) && !(ev->n_ovr && cal_find_override(ev, out->v[i].key)))
            continue;
        out->v[n++] = out->v[i];
    }
    out->n = n;
    return 0;
}

/* UTC start of RDATE i of a date-time master, and its wall time in the master's frame (as
 * cal_master_instances computes them). */
void cal_rdate_inst(const cw_calset *set, const cal_comp *m, size_t i, int64_t *start, int64_t *wall)
{
    const cal_rdate *rd = &m->rdates[i];
    *start = rd->t.kind == CT_FLOAT ? cal_frame_wall_to_utc(set, &m->dtstart, rd->t.wall)
             : rd->t.kind == CT_DATE
                 ? cal_frame_wall_to_utc(set, &m->dtstart,
                                         rd->t.wall + (m->dtstart.wall -
                                                       cw_floor_div(m->dtstart.wall, 86400) * 86400))
                 : cal_time_utc(set, &rd->t);
    *wall = cal_frame_utc_to_wall(set, &m->dtstart, *start);
}

/* The earliest instant an instance of master m can start: its DTSTART or an earlier RDATE
 * (placed as cal_master_instances places them). */
int64_t cal_master_first_start(const cw_calset *set, const cal_comp *m)
{
    int64_t t = cal_time_utc(set, &m->dtstart);
    for (size_t r = 0; r < m->n_rdates; r++) {
        int64_t rs, rw;
        if (m->dtstart.kind == CT_DATE)
            rs = cw_tz_wall_to_utc(set->deftz, cw_floor_div(m->rdates[r].t.wall, 86400) * 86400);
        else
            cal_rdate_inst(set, m, r, &rs, &rw);
        if (rs < t)
            t = rs;
    }
    return t;
}

/* Override instance times. */
void cal_override_times(const cw_calset *set, const cal_comp *o, int64_t *s, int64_t *e,
                           int64_t *sday, int64_t *eday)
{
    if (o->dtstart.kind == CT_DATE) {
        *sday = cw_floor_div(o->dtstart.wall, 86400);
        int64_t days = 1;
        if (o->has_dtend)
            days = cw_floor_div(o->dtend.wall, 86400) - *sday;
        else if (o->has_duration)
            days = o->dur_days + o->dur_secs / 86400;
        *eday = *sday + days;
        *s = cw_tz_wall_to_utc(set->deftz, *sday * 86400);
        *e = cw_tz_wall_to_utc(set->deftz, *eday * 86400);
        return;
    }
    *s = cal_time_utc(set, &o->dtstart);
    *e = cal_comp_end(set, o, o->dtstart.wall, *s);
}
