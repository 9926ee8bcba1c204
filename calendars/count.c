/* count.c — counting a rule's instances before an instant without materialising them
 * (series positions over years of history). Guarantees: the same count as expansion gives,
 * in time independent of the history's length for DAILY/WEEKLY/MONTHLY rules. */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "expand_int.h"

/* ---- counting a rule's instances without materialising them ------------------------ */

/* A DAILY/WEEKLY/MONTHLY rule run by the own generator, seen as its raw sequence: every wall
 * time the generator yields from DTSTART on, ignoring COUNT and UNTIL. Raw times are sorted,
 * so the kept instances are the first `lim` of them (COUNT, and UNTIL which ends the rule at
 * its first failing time, as rule_window does). The number of raw times before a wall time
 * is arithmetic: per-period counts repeat every `cycle` periods when only weekdays limit the
 * days; with month or year-day limits each period is counted (no storage) instead. */
typedef struct rawrule {
    const cw_calset *set;
    const cal_comp *m;
    const cw_tz *tz;      /* the master's frame; NULL for UTC */
    long long lim;        /* raw times kept; LLONG_MAX when unbounded (within `horizon`) */
    int64_t horizon;      /* wall times from here on never matter to the caller */
    int minoff, maxoff;   /* offsets of the frame: utc = wall - off for one of them */
    int cycle;            /* 0, or periods after which per-period counts repeat */
    int cycle_known;
    long long cycle_n;    /* raw times in periods 1..cycle */
    long budget;          /* periods left to generate (bounded like expansion) */
    int64_t *win;         /* raw_window's buffer */
    size_t n_win, cap_win;
    cal_dw g;        /* last: large */
} rawrule;

static int64_t raw_period_of(const cal_dw *g, int64_t wall)
{
    int64_t pos = cw_floor_div(wall, 86400);
    if (g->r.freq == ICAL_MONTHLY_RECURRENCE) {
        int y, m, d;
        cw_civil_from_days(pos, &y, &m, &d);
        pos = (int64_t)y * 12 + (m - 1);
    }
    return cw_floor_div(pos - g->p0, g->step);
}

/* First wall second of period k (every time of the period is in [start(k), start(k+1))). */
static int64_t raw_period_start(const cal_dw *g, int64_t k)
{
    int64_t at = g->p0 + k * g->step;
    if (g->r.freq == ICAL_MONTHLY_RECURRENCE) {
        int64_t y = cw_floor_div(at, 12);
        return cw_days_from_civil((int)y, (int)(at - y * 12) + 1, 1) * 86400;
    }
    return at * 86400;
}

/* Candidates of period k into r->g.cand; -1 when the cal_budget is spent. */
static int raw_period(rawrule *r, int64_t k)
{
    if (--r->budget < 0)
        return -1;
    cal_dw_period(&r->g, k);
    return 0;
}

/* Number of raw times before wall time w. */
static int raw_before(rawrule *r, int64_t w, long long *out)
{
    int64_t K = raw_period_of(&r->g, w);
    long long n = 0;
    *out = 0;
    if (K < 0)
        return 0;
    if (K > 0) {
        if (raw_period(r, 0))
            return -1;
        n += r->g.n_cand;
        int64_t full = K - 1; /* whole periods 1..K-1 */
        if (r->cycle) {
            if (!r->cycle_known) {
                r->cycle_n = 0;
                for (int j = 1; j <= r->cycle; j++) {
                    if (raw_period(r, j))
                        return -1;
                    r->cycle_n += r->g.n_cand;
                }
                r->cycle_known = 1;
            }
            n += (long long)(full / r->cycle) * r->cycle_n;
            for (int64_t j = 1; j <= full % r->cycle; j++) {
                if (raw_period(r, j))
                    return -1;
                n += r->g.n_cand;
            }
        } else {
            for (int64_t j = 1; j <= full; j++) {
                if (raw_period(r, j))
                    return -1;
                n += r->g.n_cand;
            }
        }
    }
    if (raw_period(r, K))
        return -1;
    for (int i = 0; i < r->g.n_cand && r->g.cand[i] < w; i++)
        n++;
    *out = n;
    return 0;
}

/* Raw times in [wa, wb) into r->win (in order); *first = raw index of the first when
 * `first` is not NULL. */
static int raw_window(rawrule *r, int64_t wa, int64_t wb, long long *first)
{
    r->n_win = 0;
    if (first && raw_before(r, wa, first))
        return -1;
    if (wb <= wa)
        return 0;
    int64_t k = raw_period_of(&r->g, wa);
    if (k < 0)
        k = 0;
    for (; raw_period_start(&r->g, k) < wb; k++) {
        if (raw_period(r, k))
            return -1;
        for (int i = 0; i < r->g.n_cand; i++) {
            int64_t c = r->g.cand[i];
            if (c < wa || c >= wb)
                continue;
            if (r->n_win == r->cap_win && cal_grow(&r->win, &r->cap_win, sizeof *r->win, 64))
                return -1;
            r->win[r->n_win++] = c;
        }
    }
    return 0;
}

static void frame_offsets(const cw_tz *tz, int *lo, int *hi)
{
    *lo = *hi = 0;
    if (!tz)
        return;
    *lo = *hi = tz->off0;
    for (size_t i = 0; i < tz->n; i++) {
        if (tz->off[i] < *lo)
            *lo = tz->off[i];
        if (tz->off[i] > *hi)
            *hi = tz->off[i];
    }
}

static const cw_tz *frame_tz(const cw_calset *set, const cal_time *frame)
{
    return frame->kind == CT_UTC ? NULL : frame->kind == CT_ZONED ? frame->tz : set->deftz;
}

/* Can the master's one rule be counted arithmetically? (The own DAILY/WEEKLY/MONTHLY
 * generator, a date-time DTSTART, instants before year 2500.) */
int cal_raw_eligible(const cw_calset *set, const cal_comp *m)
{
    if (!m || m->dtstart.kind == CT_DATE || m->n_rrules != 1 || m->until_before_start ||
        m->rrules[0].r.rscale || m->skipped)
        return 0;
    int lo, hi;
    frame_offsets(frame_tz(set, &m->dtstart), &lo, &hi);
    if (hi - lo > 7 * 86400)
        return 0;
    const struct icalrecurrencetype *r = &m->rrules[0].r;
    if (r->freq != ICAL_DAILY_RECURRENCE && r->freq != ICAL_WEEKLY_RECURRENCE &&
        r->freq != ICAL_MONTHLY_RECURRENCE)
        return 0;
    if (m->dtstart.wall < cw_days_from_civil(1800, 1, 1) * 86400 ||
        m->dtstart.wall > cw_days_from_civil(2500, 1, 1) * 86400)
        return 0;
    /* the generator's own limit, as in cal_gen_new: too many times per day go to libical */
    int nh = cal_arr_len(r->by_hour, ICAL_BY_HOUR_SIZE), nm = cal_arr_len(r->by_minute, ICAL_BY_MINUTE_SIZE),
        ns = cal_arr_len(r->by_second, ICAL_BY_SECOND_SIZE);
    long per_day = (long)(nh ? nh : 1) * (nm ? nm : 1) * (ns ? ns : 1);
    if (per_day > 24 * 8)
        return 0;
    if (r->freq == ICAL_MONTHLY_RECURRENCE &&
        (per_day > 40 || cal_arr_len(r->by_year_day, ICAL_BY_YEARDAY_SIZE) ||
         cal_arr_len(r->by_week_no, ICAL_BY_WEEKNO_SIZE)))
        return 0;
    return 1;
}

/* Set up the raw view of m's rule for questions about instants before `bound` (UTC): wall
 * times from r->horizon on never matter then. Returns 0, 1 when the rule is not countable
 * this way, -1 when a bound is hit. */
static int raw_init(rawrule *r, const cw_calset *set, const cal_comp *m, int64_t bound)
{
    const cal_rrule *rr = &m->rrules[0];
    memset(r, 0, offsetof(rawrule, g));
    cal_dw_init(&r->g, &rr->r, m->dtstart.wall, 0);
    if (r->g.big)
        return 1; /* cal_raw_eligible mirrors this; keep the generator the only judge */
    r->set = set;
    r->m = m;
    r->tz = frame_tz(set, &m->dtstart);
    frame_offsets(r->tz, &r->minoff, &r->maxoff);
    if (r->maxoff - r->minoff > 7 * 86400)
        return 1; /* a nonsense zone: leave it to plain expansion */
    int64_t horizon = bound + r->maxoff + 4 * 86400;
    r->horizon = horizon;
    r->budget = CAL_STEP_BUDGET;
    const struct icalrecurrencetype *q = &rr->r;
    if (q->freq != ICAL_MONTHLY_RECURRENCE && !cal_arr_len(q->by_month, ICAL_BY_MONTH_SIZE) &&
        !cal_arr_len(q->by_month_day, ICAL_BY_MONTHDAY_SIZE) && !cal_arr_len(q->by_year_day, ICAL_BY_YEARDAY_SIZE))
        r->cycle = r->g.step % 7 == 0 ? 1 : 7; /* only weekdays vary from period to period */
    r->lim = q->count > 0 ? q->count : LLONG_MAX;
    if (!rr->has_until)
        return 0;
    long long n;
    switch (rr->until.kind) {
    case CT_UTC: {
        /* utc(w) = w - off: every w <= until + minoff passes, every w > until + maxoff fails */
        int64_t a = rr->until.wall + r->minoff + 1, b = rr->until.wall + r->maxoff + 1;
        if (a >= horizon)
            return 0;
        long long first;
        if (raw_window(r, a, b, &first))
            return -1;
        n = -1;
        for (size_t i = 0; i < r->n_win && n < 0; i++)
            if (cal_frame_wall_to_utc(set, &m->dtstart, r->win[i]) > rr->until.wall)
                n = first + (long long)i;
        if (n < 0 && raw_before(r, b, &n))
            return -1;
        break;
    }
    case CT_DATE: {
        int64_t end = (cw_floor_div(rr->until.wall, 86400) + 1) * 86400;
        if (end >= horizon)
            return 0;
        if (raw_before(r, end, &n))
            return -1;
        break;
    }
    default:
        if (rr->until.wall >= horizon)
            return 0;
        if (raw_before(r, rr->until.wall + 1, &n))
            return -1;
        break;
    }
    if (n < r->lim)
        r->lim = n;
    return 0;
}

/* Kept instances among r->win (raw index first + i < lim); their count in *n and the UTC
 * instants of those into u[] (caller's buffer of r->n_win) when u is not NULL. */
static size_t raw_kept(const rawrule *r, long long first)
{
    if (r->lim == LLONG_MAX)
        return r->n_win;
    if (first >= r->lim)
        return 0;
    long long k = r->lim - first;
    return k < (long long)r->n_win ? (size_t)k : r->n_win;
}

/* Distinct UTC instants of kept instances before `bound` (UTC). */
static int raw_count_before(rawrule *r, int64_t bound, long long *out)
{
    long long n;
    /* every w < bound + minoff starts before bound; no w >= bound + maxoff does */
    if (raw_before(r, bound + r->minoff, &n))
        return -1;
    if (n > r->lim)
        n = r->lim;
    if (r->maxoff > r->minoff) {
        long long first = 0;
        if (raw_window(r, bound + r->minoff, bound + r->maxoff, r->lim == LLONG_MAX ? NULL : &first))
            return -1;
        size_t kept = raw_kept(r, first);
        for (size_t i = 0; i < kept; i++)
            if (cal_frame_wall_to_utc(r->set, &r->m->dtstart, r->win[i]) < bound)
                n++;
    }
    /* two wall times read as one instant (one in a spring-forward gap, shifted by its
     * length onto the other) are one instance: only near an offset change, and only for a
     * rule with several times a day (or a zone whose offsets span a day) */
    const cw_tz *tz = r->tz;
    int per_day = r->g.n_hours * r->g.n_mins * r->g.n_secs;
    if (tz && tz->n && (per_day > 1 || r->maxoff - r->minoff >= 86400)) {
        const int64_t pad = 3 * 86400;
        int64_t lo = r->m->dtstart.wall - pad, hi = bound + r->maxoff + pad;
        int64_t wa = 0, wb = 0;
        int open = 0;
        for (size_t i = 0; i <= tz->n; i++) {
            int64_t at = i < tz->n ? tz->utc[i] + tz->off[i] : INT64_MAX;
            int last = i == tz->n || at - pad > hi;
            if (!last && at + pad < lo)
                continue;
            if (!last && open && at - pad <= wb) {
                wb = at + pad;
                continue;
            }
            if (open) {
                /* duplicates among the kept instances of [wa, wb) */
                long long first = 0;
                if (raw_window(r, wa, wb, r->lim == LLONG_MAX ? NULL : &first))
                    return -1;
                size_t kept = raw_kept(r, first);
                for (size_t x = 0; x < kept; x++)
                    r->win[x] = cal_frame_wall_to_utc(r->set, &r->m->dtstart, r->win[x]);
                if (kept > 1)
                    qsort(r->win, kept, sizeof *r->win, cal_cmp64);
                for (size_t x = 1; x < kept; x++)
                    if (r->win[x] == r->win[x - 1] && r->win[x] < bound)
                        n--;
            }
            if (last)
                break;
            open = 1;
            wa = at - pad;
            wb = at + pad;
        }
    }
    *out = n;
    return 0;
}

/* Is UTC instant `key` a kept instance of the rule? Its wall time into *wall. */
static int raw_has(rawrule *r, int64_t key, int64_t *wall, int *found)
{
    *found = 0;
    long long first = 0;
    if (raw_window(r, key + r->minoff, key + r->maxoff + 1, r->lim == LLONG_MAX ? NULL : &first))
        return -1;
    size_t kept = raw_kept(r, first);
    for (size_t i = 0; i < kept; i++)
        if (cal_frame_wall_to_utc(r->set, &r->m->dtstart, r->win[i]) == key) {
            *wall = r->win[i];
            *found = 1;
            break;
        }
    return 0;
}

int cal_key_matches(const cal_comp *k, const char *key, int by_uid)
{
    const char *sk = by_uid ? k->uid : (k->series && *k->series ? k->series : NULL);
    return sk && strcmp(sk, key) == 0;
}

static int counted_comp(const cal_comp *k, const char *key, int by_uid)
{
    return cal_key_matches(k, key, by_uid) && !k->cancelled && !k->repeat && !k->skipped;
}

/* Counted instances (series_collect's sense) of event ev with original start < bound, for an
 * event whose master is cal_raw_eligible: the rule's instances counted arithmetically, then the
 * finite exceptions — RDATEs, EXDATEs, RECURRENCE-ID overrides — each looked at once. */
int cal_fast_count(const cw_calset *set, const cal_event *ev, const char *key, int by_uid,
                      int64_t bound, long long *out)
{
    const cal_comp *m = ev->master;
    *out = 0;
    rawrule *r = malloc(sizeof *r);
    if (!r)
        return CW_ENOMEM;
    int rc = 0;
    int64_t *keys = NULL;
    size_t nk = 0, capk = 0;
    int64_t *rd_start = NULL, *rd_wall = NULL;
    int ir = raw_init(r, set, m, bound);
    if (ir != 0) {
        rc = ir > 0 ? CW_EINVAL : CW_ELIMIT;
        goto done;
    }
    int64_t horizon = r->horizon;
    int mc = counted_comp(m, key, by_uid);
    long long n = 0;
    if (mc && raw_count_before(r, bound, &n)) {
        rc = CW_ELIMIT;
        goto done;
    }
    /* the exceptions' instants */
#define PUSH_KEY(v)                                                                         \
    do {                                                                                    \
        if (nk == capk) {                                                                   \
            size_t nc_ = capk ? capk * 2 : 32;                                              \
            int64_t *nv_ = realloc(keys, nc_ * sizeof *nv_);                                \
            if (!nv_) {                                                                     \
                rc = CW_ENOMEM;                                                             \
                goto done;                                                                  \
            }                                                                               \
            keys = nv_;                                                                     \
            capk = nc_;                                                                     \
        }                                                                                   \
        keys[nk++] = (v);                                                                   \
    } while (0)
    if (m->n_rdates) {
        rd_start = malloc(m->n_rdates * sizeof *rd_start);
        rd_wall = malloc(m->n_rdates * sizeof *rd_wall);
        if (!rd_start || !rd_wall) {
            rc = CW_ENOMEM;
            goto done;
        }
    }
    for (size_t i = 0; i < m->n_rdates; i++) {
        cal_rdate_inst(set, m, i, &rd_start[i], &rd_wall[i]);
        PUSH_KEY(rd_start[i]);
    }
    for (size_t i = 0; i < m->n_exdates; i++) {
        const cal_exdate *e = &m->exdates[i];
        if (!e->is_date) {
            PUSH_KEY(e->key);
            continue;
        }
        /* an EXDATE as a date removes every instance on that local day */
        if (e->key * 86400 >= horizon)
            continue;
        long long first = 0;
        if (raw_window(r, e->key * 86400, (e->key + 1) * 86400, r->lim == LLONG_MAX ? NULL : &first)) {
            rc = CW_ELIMIT;
            goto done;
        }
        size_t kept = raw_kept(r, first);
        for (size_t x = 0; x < kept; x++) {
            int64_t u = cal_frame_wall_to_utc(set, &m->dtstart, r->win[x]);
            PUSH_KEY(u);
        }
    }
    for (size_t i = 0; i < ev->n_ovr; i++)
        PUSH_KEY(ev->ovr[i]->rid_key);
#undef PUSH_KEY
    if (nk > 1)
        qsort(keys, nk, sizeof *keys, cal_cmp64);
    for (size_t i = 0; i < nk; i++) {
        int64_t s = keys[i];
        if ((i > 0 && keys[i - 1] == s) || s >= bound)
            continue;
        int in_rule = 0;
        int64_t wall = 0;
        if (raw_has(r, s, &wall, &in_rule)) {
            rc = CW_ELIMIT;
            goto done;
        }
        int in_rdate = 0;
        for (size_t j = 0; j < m->n_rdates && !in_rule && !in_rdate; j++)
            if (rd_start[j] == s) {
                in_rdate = 1;
                wall = rd_wall[j];
            }
        const cal_comp *ov = ev->n_ovr ? cal_find_override(ev, s) : NULL;
        int actual;
        if (ov) {
            actual = counted_comp(ov, key, by_uid); /* shown at its RECURRENCE-ID, instance or not */
        } else if (in_rule || in_rdate) {
            cal_inst x;
            memset(&x, 0, sizeof x);
            x.key = s;
            x.start = s;
            x.wall = wall;
            actual = !cal_is_excluded(m, &x) && mc;
        } else {
            actual = 0; /* an EXDATE of nothing */
        }
        n += actual - (in_rule && mc);
    }
    *out = n;
done:
    free(keys);
    free(rd_start);
    free(rd_wall);
    free(r->win);
    free(r);
    return rc;
}
