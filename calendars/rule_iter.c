/* rule_iter.c — one iterator per RRULE: chooses chalkwave's generator or libical's, skips
 * ahead to a target time where the rule allows (no COUNT, or an arithmetic count), and
 * applies COUNT and the year limit. Guarantees: every step is counted (the caller's budget). */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "rules_int.h"

/* Skip-ahead shift of a DAILY..YEARLY rule's DTSTART to just before `target` (wall),
 * keeping the rule's set unchanged; returns the new DTSTART wall. */
static int64_t shifted_start(const struct icalrecurrencetype *r, int64_t dt, int64_t target)
{
    int64_t iv = r->interval > 0 ? r->interval : 1;
    if (target <= dt)
        return dt;
    int64_t dd = cw_floor_div(dt, 86400), td = cw_floor_div(target, 86400);
    int64_t tod = dt - dd * 86400;
    switch (r->freq) {
    case ICAL_DAILY_RECURRENCE:
    case ICAL_WEEKLY_RECURRENCE: {
        int64_t per = r->freq == ICAL_DAILY_RECURRENCE ? iv : 7 * iv;
        int64_t k = cw_floor_div(td - dd, per) - 1;
        if (k <= 0)
            return dt;
        return (dd + k * per) * 86400 + tod;
    }
    case ICAL_MONTHLY_RECURRENCE:
    case ICAL_YEARLY_RECURRENCE: {
        int y, m, d, ty, tm, t_d;
        cw_civil_from_days(dd, &y, &m, &d);
        cw_civil_from_days(td, &ty, &tm, &t_d);
        if (r->freq == ICAL_MONTHLY_RECURRENCE) {
            if (d > 28)
                return dt;
            int64_t months = (int64_t)(ty * 12 + tm) - (y * 12 + m);
            int64_t k = cw_floor_div(months, iv) - 1;
            if (k <= 0)
                return dt;
            int64_t mm = (int64_t)y * 12 + (m - 1) + k * iv;
            return cw_days_from_civil((int)cw_floor_div(mm, 12), (int)(mm - cw_floor_div(mm, 12) * 12) + 1, d) * 86400 + tod;
        }
        if (m == 2 && d == 29)
            return dt;
        int64_t k = cw_floor_div(ty - y, iv) - 1;
        if (k <= 0)
            return dt;
        return cw_days_from_civil((int)(y + k * iv), m, d) * 86400 + tod;
    }
    default:
        return dt;
    }
}

/* The sub-daily generator from DTSTART wall `dt`, skipped ahead to `target` where the count
 * before it is arithmetic (no COUNT, or no filter: every period holds the same instances). */
static void sub_start(cal_gen *g, const struct icalrecurrencetype *r, int64_t dt, int64_t target)
{
    g->own = 1;
    cal_sub_init(&g->sub, r, dt);
    if (g->sub.n_offs == 0) {
        g->done = 1; /* BYSETPOS picks nothing from any period: no instance, no scan */
        return;
    }
    if (target <= dt)
        return;
    int64_t k = cw_floor_div(target - g->sub.base, g->sub.step) - 1;
    if (k <= 0)
        return;
    if (r->count == 0) {
        g->sub.k = k;
    } else if (cal_sub_simple(&g->sub)) {
        /* count before period k: the first period may be partial */
        int64_t dummy;
        int first = cal_sub_period(&g->sub, 0, &dummy) ? g->sub.n_cand : 0;
        long long before = first + (long long)(k - 1) * cal_sub_per_period(&g->sub);
        if (before >= r->count) {
            g->done = 1;
        } else {
            g->sub.k = k;
            g->sub.emitted = (long)before;
        }
        g->sub.n_cand = 0;
    }
}

/* The daily-to-yearly generator (g->dw set up), skipped ahead like sub_start. */
static void dw_start(cal_gen *g, const struct icalrecurrencetype *r, int64_t dt, int64_t target)
{
    g->own_dw = 1;
    if (target > dt) {
        int64_t tpos = cw_floor_div(target, 86400);
        if (r->freq == ICAL_MONTHLY_RECURRENCE || r->freq == ICAL_YEARLY_RECURRENCE) {
            int ty, tm, td;
            cw_civil_from_days(tpos, &ty, &tm, &td);
            tpos = r->freq == ICAL_YEARLY_RECURRENCE ? ty : (int64_t)ty * 12 + (tm - 1);
        }
        int64_t k = cw_floor_div(tpos - g->dw.p0, g->dw.step) - 1;
        if (k > 0 && r->count == 0) {
            g->dw.k = k;
        } else if (k > 0 && !g->dw.filtered) {
            cal_dw_period(&g->dw, 0);
            long long per = (long long)(r->freq == ICAL_DAILY_RECURRENCE ? 1 : g->dw.n_wdays) *
                            g->dw.n_hours * g->dw.n_mins * g->dw.n_secs;
            long long before = g->dw.n_cand + (long long)(k - 1) * per;
            if (before >= r->count) {
                g->done = 1;
            } else {
                g->dw.k = k;
                g->dw.emitted = (long)before;
            }
        }
    }
    g->dw.n_cand = g->dw.i_cand = 0;
}

/* A generator of the rule's wall times from DTSTART, or skipped ahead to `target` when the
 * rule allows (no COUNT; or a sub-daily rule whose count before target is arithmetic). */
static cal_gen *gen_new_ex(const cal_comp *m, const cal_rrule *rr, int64_t target, int force_libical)
{
    cal_gen *g = malloc(sizeof *g);
    if (!g)
        return NULL;
    memset(g, 0, offsetof(cal_gen, sub));
    g->horizon = INT64_MAX;
    const struct icalrecurrencetype *r = &rr->r;
    int64_t dt = m->dtstart.wall;
    g->is_date = m->dtstart.kind == CT_DATE;
    if (r->rscale) {
        /* RFC 7529 (another calendar system): libical's ICU-backed iterator, from DTSTART
         * (chalkwave's own generators and skip-ahead are Gregorian) */
        g->it = icalrecur_iterator_new(*r, cal_ical_of_wall(dt, g->is_date));
        if (!g->it)
            g->done = 1;
        return g;
    }
    if (r->freq == ICAL_HOURLY_RECURRENCE || r->freq == ICAL_MINUTELY_RECURRENCE ||
        r->freq == ICAL_SECONDLY_RECURRENCE) {
        sub_start(g, r, dt, target);
        return g;
    }
    if (r->freq == ICAL_YEARLY_RECURRENCE && cal_arr_len(r->by_week_no, ICAL_BY_WEEKNO_SIZE)) {
        g->own_weekno = 1;
        cal_weekno_init(&g->wk, r, dt);
        g->wk.n_cand = 0;
        if (r->count == 0 && target > dt) {
            cw_civil tc;
            cw_civil_from_wall(target, &tc);
            int64_t iv = r->interval > 0 ? r->interval : 1;
            int64_t k = cw_floor_div(tc.year - g->wk.year, iv) - 1;
            if (k > 0)
                g->wk.year += (int)(k * iv);
        }
        g->wk.i_cand = 0;
        g->wk.year -= (int)(r->interval > 0 ? r->interval : 1); /* cal_gen_next advances first */
        return g;
    }
    if (r->freq == ICAL_DAILY_RECURRENCE || r->freq == ICAL_WEEKLY_RECURRENCE ||
        r->freq == ICAL_MONTHLY_RECURRENCE || (r->freq == ICAL_YEARLY_RECURRENCE && !force_libical)) {
        cal_dw_init(&g->dw, r, dt, g->is_date);
        if (!g->dw.big && !force_libical) {
            dw_start(g, r, dt, target);
            return g;
        }
    }
    /* MONTHLY/YEARLY day-of-month lists that no listed month has: nothing, without letting
     * libical scan every month up to 2582 */
    int nmd = cal_arr_len(r->by_month_day, ICAL_BY_MONTHDAY_SIZE), nmo = cal_arr_len(r->by_month, ICAL_BY_MONTH_SIZE);
    if (nmd && nmo && !cal_arr_len(r->by_day, ICAL_BY_DAY_SIZE) && !cal_arr_len(r->by_year_day, ICAL_BY_YEARDAY_SIZE)) {
        static const int maxd[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        int possible = 0;
        for (int i = 0; i < nmo; i++)
            for (int j = 0; j < nmd; j++) {
                int mo = icalrecurrencetype_month_month(r->by_month[i]), md = r->by_month_day[j];
                if (mo >= 1 && mo <= 12 && (md < 0 ? -md : md) <= maxd[mo - 1])
                    possible = 1;
            }
        if (!possible) {
            g->done = 1;
            return g;
        }
    }
    int64_t start = dt;
    if (r->count == 0 && target > dt)
        start = shifted_start(r, dt, target);
    struct icalrecurrencetype rc = *r;
    if (start != dt && rc.freq == ICAL_WEEKLY_RECURRENCE &&
        cal_arr_len(rc.by_day, ICAL_BY_DAY_SIZE) == 0) {
        /* default BYDAY is DTSTART's weekday: unchanged by whole weeks, nothing to do */
    }
    g->it = icalrecur_iterator_new(rc, cal_ical_of_wall(start, g->is_date));
    if (!g->it)
        g->done = 1;
    return g;
}

cal_gen *cal_gen_new(const cal_comp *m, const cal_rrule *rr, int64_t target)
{
    return gen_new_ex(m, rr, target, 0);
}

int cal_rule_walls(const cal_comp *m, const cal_rrule *rr, int libical, int64_t *out, size_t max)
{
    cal_gen *g = gen_new_ex(m, rr, INT64_MIN, libical);
    if (!g)
        return -1;
    size_t n = 0;
    int64_t w;
    while (n < max && cal_gen_next(g, &w))
        out[n++] = w;
    cal_gen_free(g);
    return (int)n;
}

void cal_gen_free(cal_gen *g)
{
    if (!g)
        return;
    if (g->it)
        icalrecur_iterator_free(g->it);
    if (g->own_weekno)
        free(g->wk.cand);
    free(g);
}

/* Hands out `v`, an own generator's next pending candidate, unless the rule's COUNT is
 * reached (then the generator is done). Counts the step. Returns 1 with *out set, or 0. */
static int gen_emit(cal_gen *g, int64_t v, long *emitted, int count, int64_t *out)
{
    if (count && *emitted >= count) {
        g->done = 1;
        return 0;
    }
    *out = v;
    (*emitted)++;
    g->steps++;
    return 1;
}

/* Next wall time: 1, or 0 when the rule is exhausted. Counts steps. */
int cal_gen_next(cal_gen *g, int64_t *out)
{
    if (g->done)
        return 0;
    if (g->own) {
        cal_subdaily *s = &g->sub;
        for (;;) {
            if (s->i_cand < s->n_cand) {
                if (!gen_emit(g, s->cand[s->i_cand++], &s->emitted, s->r.count, out))
                    return 0;
                if (cw_floor_div(*out, 86400) > cw_days_from_civil(CAL_MAX_YEAR, 12, 31)) {
                    g->done = 1;
                    return 0;
                }
                return 1;
            }
            g->steps++;
            if (g->steps > CAL_STEP_BUDGET * 4L)
                return 0;
            int64_t jump;
            int64_t k = s->k;
            if (s->base + k * s->step > cw_days_from_civil(CAL_MAX_YEAR, 12, 31) * 86400) {
                g->done = 1;
                return 0;
            }
            /* every instance of period k or later is at or after its start: past the
             * horizon there is nothing wanted (a rule that never matches, e.g. INTERVAL=3
             * with BYHOUR=8, no longer steps to the budget) */
            if (s->base + k * s->step > g->horizon) {
                g->done = 1;
                return 0;
            }
            int ok = cal_sub_period(s, k, &jump);
            s->k = ok ? k + 1 : jump;
        }
    }
    if (g->own_dw) {
        cal_dw *w = &g->dw;
        for (;;) {
            if (w->i_cand < w->n_cand)
                return gen_emit(g, w->cand[w->i_cand++], &w->emitted, w->r.count, out);
            int64_t at = w->p0 + w->k * w->step;
            if (w->r.freq == ICAL_MONTHLY_RECURRENCE   ? at > (int64_t)CAL_MAX_YEAR * 12
                : w->r.freq == ICAL_YEARLY_RECURRENCE ? at > CAL_MAX_YEAR
                                                      : at > cw_days_from_civil(CAL_MAX_YEAR, 12, 31)) {
                g->done = 1;
                return 0;
            }
            g->steps++;
            if (g->steps > CAL_STEP_BUDGET * 4L)
                return 0;
            cal_dw_period(w, w->k++);
        }
    }
    if (g->own_weekno) {
        cal_weekno *w = &g->wk;
        for (;;) {
            if (w->i_cand < w->n_cand)
                return gen_emit(g, w->cand[w->i_cand++], &w->emitted, w->r.count, out);
            w->year += w->r.interval > 0 ? w->r.interval : 1;
            g->steps++;
            if (w->year > CAL_MAX_YEAR) {
                g->done = 1;
                return 0;
            }
            if (cal_weekno_year(w, g->is_date)) {
                g->done = 1;
                return 0;
            }
        }
    }
    struct icaltimetype t = icalrecur_iterator_next(g->it);
    g->steps++;
    if (icaltime_is_null_time(t) || t.year > CAL_MAX_YEAR) {
        g->done = 1;
        return 0;
    }
    *out = cal_wall_of_ical(t);
    return 1;
}

/* Is wall time `w` (in the master's frame) within the rule's UNTIL? */
int cal_until_ok(const cw_calset *set, const cal_comp *m, const cal_rrule *rr, int64_t w)
{
    if (!rr->has_until)
        return 1;
    switch (rr->until.kind) {
    case CT_UTC:
        return cal_frame_wall_to_utc(set, &m->dtstart, w) <= rr->until.wall;
    case CT_DATE:
        return cw_floor_div(w, 86400) <= cw_floor_div(rr->until.wall, 86400);
    default:
        return w <= rr->until.wall;
    }
}

void cal_rrule_release(cal_rrule *rr)
{
    cal_gen_free(rr->iter);
    rr->iter = NULL;
    free(rr->cache);
    rr->cache = NULL;
    rr->n_cache = rr->cap_cache = 0;
}

int cal_rrule_first(const cal_comp *master, cal_rrule *rr, int64_t *first)
{
    cal_gen *g = cal_gen_new(master, rr, INT64_MIN);
    if (!g)
        return 0;
    int64_t w;
    int r = 0;
    while (g->steps < 10000 && cal_gen_next(g, &w)) {
        r = 1;
        *first = w;
        break;
    }
    cal_gen_free(g);
    return r;
}
