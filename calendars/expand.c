/* expand.c — exact occurrences of loaded calendars in a window, and series positions.
 * RRULE wall times come from libical's iterator (DAILY and coarser) or from chalkwave's own
 * generator (HOURLY and finer, which libical scans second by second); everything else —
 * UNTIL, RDATE (incl. PERIOD and TZID), EXDATE, overrides, cancellations, durations, zones —
 * is chalkwave's. Guarantees: work is bounded by skip-ahead to the window, a step budget per
 * event and an occurrence cap; hitting a bound is CW_ELIMIT naming the event. */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "calendars_int.h"

/* ---- arrays ------------------------------------------------------------------------ */

int cal_grow(void *arr, size_t *cap, size_t size, size_t first)
{
    void *v; /* the caller's T *, read and written as bytes (no T ** / void ** aliasing) */
    memcpy(&v, arr, sizeof v);
    size_t nc = *cap ? *cap * 2 : first;
    void *nv = realloc(v, nc * size);
    if (!nv)
        return -1;
    memcpy(arr, &nv, sizeof nv);
    *cap = nc;
    return 0;
}

/* ---- frames ------------------------------------------------------------------------ */

/* The zone a frame that is not UTC reads wall times in: its own, or the station's. */
static const cw_tz *frame_zone(const cw_calset *set, const cal_time *frame)
{
    return frame->kind == CT_ZONED ? frame->tz : set->deftz;
}

int64_t cal_frame_wall_to_utc(const cw_calset *set, const cal_time *frame, int64_t wall)
{
    return frame->kind == CT_UTC ? wall : cw_tz_wall_to_utc(frame_zone(set, frame), wall);
}

int64_t cal_frame_utc_to_wall(const cw_calset *set, const cal_time *frame, int64_t utc)
{
    return frame->kind == CT_UTC ? utc : cw_tz_utc_to_wall(frame_zone(set, frame), utc);
}

int64_t cal_time_utc(const cw_calset *set, const cal_time *t)
{
    return cal_frame_wall_to_utc(set, t, t->wall);
}

/* ---- generators -------------------------------------------------------------------- */

struct icaltimetype cal_icaltime(const cw_civil *c, int is_date, icaltimezone *zone)
{
    struct icaltimetype t = icaltime_null_time();
    t.year = c->year;
    t.month = c->month;
    t.day = c->day;
    t.is_date = is_date;
    if (!is_date) {
        t.hour = c->hour;
        t.minute = c->minute;
        t.second = c->second;
    }
    t.zone = zone;
    return t;
}

static struct icaltimetype ical_of_wall(int64_t wall, int is_date)
{
    cw_civil c;
    cw_civil_from_wall(wall, &c);
    return cal_icaltime(&c, is_date, NULL);
}

static int64_t wall_of_ical(struct icaltimetype t)
{
    cw_civil c = {t.year, t.month, t.day, t.is_date ? 0 : t.hour, t.is_date ? 0 : t.minute,
                  t.is_date ? 0 : t.second};
    return cw_wall_from_civil(&c);
}

static int arr_len(const short *a, int max)
{
    int n = 0;
    while (n < max && a[n] != ICAL_RECURRENCE_ARRAY_MAX)
        n++;
    return n;
}

static int in_arr(const short *a, int max, int v)
{
    for (int i = 0; i < max && a[i] != ICAL_RECURRENCE_ARRAY_MAX; i++)
        if (a[i] == v)
            return 1;
    return 0;
}

/* The times of day a BYHOUR, BYMINUTE or BYSECOND list `by` picks, into out[]: its values in
 * 0..max (above `top` read as `top`: second 60 is 59); `dflt` alone when the list is empty or
 * not to be used. Returns how many. */
static int time_list(const short *by, int size, int use, int max, int top, int dflt, int *out)
{
    int n = use ? arr_len(by, size) : 0, k = 0;
    for (int i = 0; i < n; i++)
        if (by[i] >= 0 && by[i] <= max)
            out[k++] = by[i] > top ? top : by[i];
    if (n == 0)
        out[k++] = dflt;
    return k;
}

/* Own generator for HOURLY, MINUTELY, SECONDLY. */
typedef struct subdaily {
    struct icalrecurrencetype r;
    int64_t dtstart;  /* wall */
    int64_t base;     /* first period start */
    int64_t step;     /* seconds per period */
    int64_t k;        /* next period index */
    int n_cand, i_cand;
    long emitted;
    int has_day_filter, has_hour_filter, has_min_filter, has_sec_filter;
    int mins[60], n_mins, secs[61], n_secs;
    /* A period that passes the filters always holds the same offsets from its start (the
     * BYMINUTE x BYSECOND expansion), so they are sorted, deduplicated and BYSETPOS'd once
     * here; n_offs == 0 means the rule has no instance at all. */
    int n_offs;
    int offs[3600];
    int64_t cand[3600]; /* last: never cleared (filled before it is read) */
} subdaily;

/* The BYMONTH, BYMONTHDAY and BYYEARDAY limits of r on `day` (days since 1970-01-01). */
static int date_limits_ok(const struct icalrecurrencetype *r, int64_t day)
{
    int y, m, d;
    cw_civil_from_days(day, &y, &m, &d);
    if (arr_len(r->by_month, ICAL_BY_MONTH_SIZE) && !in_arr(r->by_month, ICAL_BY_MONTH_SIZE, m))
        return 0;
    int leap = cal_leap_year(y);
    if (arr_len(r->by_month_day, ICAL_BY_MONTHDAY_SIZE)) {
        int dim = cal_month_len(y, m);
        if (!in_arr(r->by_month_day, ICAL_BY_MONTHDAY_SIZE, d) &&
            !in_arr(r->by_month_day, ICAL_BY_MONTHDAY_SIZE, d - dim - 1))
            return 0;
    }
    if (arr_len(r->by_year_day, ICAL_BY_YEARDAY_SIZE)) {
        int yd = (int)(day - cw_days_from_civil(y, 1, 1)) + 1;
        if (!in_arr(r->by_year_day, ICAL_BY_YEARDAY_SIZE, yd) &&
            !in_arr(r->by_year_day, ICAL_BY_YEARDAY_SIZE, yd - (365 + leap) - 1))
            return 0;
    }
    return 1;
}

static int day_ok(const subdaily *g, int64_t wall)
{
    if (!g->has_day_filter)
        return 1;
    int64_t days = cw_floor_div(wall, 86400);
    const struct icalrecurrencetype *r = &g->r;
    if (!date_limits_ok(r, days))
        return 0;
    int nd = arr_len(r->by_day, ICAL_BY_DAY_SIZE);
    if (nd) {
        /* 1970-01-01 was a Thursday; libical weekday: 1 = Sunday */
        int wd = (int)((days % 7 + 7 + 4) % 7) + 1;
        int ok = 0;
        for (int i = 0; i < nd; i++)
            if ((int)icalrecurrencetype_day_day_of_week(r->by_day[i]) == wd)
                ok = 1;
        if (!ok)
            return 0;
    }
    return 1;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static void sub_init(subdaily *g, const struct icalrecurrencetype *r, int64_t dtstart)
{
    memset(g, 0, offsetof(subdaily, offs)); /* offs and cand are filled before they are read */
    g->r = *r;
    g->dtstart = dtstart;
    int64_t unit = r->freq == ICAL_HOURLY_RECURRENCE ? 3600
                   : r->freq == ICAL_MINUTELY_RECURRENCE ? 60 : 1;
    g->step = unit * (r->interval > 0 ? r->interval : 1);
    g->base = cw_floor_div(dtstart, unit) * unit;
    g->has_day_filter = arr_len(r->by_month, ICAL_BY_MONTH_SIZE) ||
                        arr_len(r->by_month_day, ICAL_BY_MONTHDAY_SIZE) ||
                        arr_len(r->by_year_day, ICAL_BY_YEARDAY_SIZE) ||
                        arr_len(r->by_day, ICAL_BY_DAY_SIZE);
    g->has_hour_filter = arr_len(r->by_hour, ICAL_BY_HOUR_SIZE) > 0;
    int nm = arr_len(r->by_minute, ICAL_BY_MINUTE_SIZE);
    int ns = arr_len(r->by_second, ICAL_BY_SECOND_SIZE);
    g->has_min_filter = nm > 0 && r->freq != ICAL_HOURLY_RECURRENCE;
    g->has_sec_filter = ns > 0 && r->freq == ICAL_SECONDLY_RECURRENCE;
    int64_t sod = dtstart - cw_floor_div(dtstart, 86400) * 86400;
    g->n_mins = time_list(r->by_minute, ICAL_BY_MINUTE_SIZE, 1, 59, 59, (int)(sod / 60 % 60), g->mins);
    g->n_secs = time_list(r->by_second, ICAL_BY_SECOND_SIZE, 1, 60, 59, (int)(sod % 60), g->secs);
    /* the offsets of a period, as sub_period used to build them period by period */
    int n = 0;
    if (r->freq == ICAL_HOURLY_RECURRENCE) {
        for (int a = 0; a < g->n_mins; a++)
            for (int b = 0; b < g->n_secs; b++)
                g->offs[n++] = g->mins[a] * 60 + g->secs[b];
    } else if (r->freq == ICAL_MINUTELY_RECURRENCE) {
        for (int b = 0; b < g->n_secs; b++)
            g->offs[n++] = g->secs[b];
    } else {
        g->offs[n++] = 0;
    }
    qsort(g->offs, (size_t)n, sizeof g->offs[0], cmp_int);
    int u = 0;
    for (int i = 0; i < n; i++)
        if (u == 0 || g->offs[u - 1] != g->offs[i])
            g->offs[u++] = g->offs[i];
    int nsp = arr_len(r->by_set_pos, ICAL_BY_SETPOS_SIZE);
    if (nsp) {
        int k = 0;
        for (int i = 0; i < u; i++) {
            int ok = 0;
            for (int j = 0; j < nsp; j++) {
                int sp = r->by_set_pos[j];
                if ((sp > 0 && sp - 1 == i) || (sp < 0 && u + sp == i))
                    ok = 1;
            }
            if (ok)
                g->offs[k++] = g->offs[i]; /* k <= i: in place, order kept */
        }
        u = k;
    }
    g->n_offs = u;
}

/* Every period holds n_offs instances (the first may lose some before DTSTART): the count
 * before a period is arithmetic, also with BYSETPOS (its choice is the same each period). */
static int sub_simple(const subdaily *g)
{
    return !g->has_day_filter && !g->has_hour_filter && !g->has_min_filter &&
           !g->has_sec_filter;
}

static int sub_per_period(const subdaily *g)
{
    return g->n_offs;
}

/* Build the candidates of period k; returns 0 when the period is filtered out, with *jump
 * set to the next period index worth looking at. */
static int sub_period(subdaily *g, int64_t k, int64_t *jump)
{
    int64_t p = g->base + k * g->step;
    *jump = k + 1;
    if (!day_ok(g, p)) {
        int64_t next = (cw_floor_div(p, 86400) + 1) * 86400;
        int64_t kk = cw_floor_div(next - g->base + g->step - 1, g->step);
        *jump = kk > k ? kk : k + 1;
        return 0;
    }
    int64_t sod = p - cw_floor_div(p, 86400) * 86400;
    int h = (int)(sod / 3600), mi = (int)(sod / 60 % 60), s = (int)(sod % 60);
    if (g->has_hour_filter && !in_arr(g->r.by_hour, ICAL_BY_HOUR_SIZE, h)) {
        if (g->r.freq != ICAL_HOURLY_RECURRENCE) {
            int64_t next = (cw_floor_div(p, 3600) + 1) * 3600;
            int64_t kk = cw_floor_div(next - g->base + g->step - 1, g->step);
            *jump = kk > k ? kk : k + 1;
        }
        return 0;
    }
    if (g->has_min_filter && !in_arr(g->r.by_minute, ICAL_BY_MINUTE_SIZE, mi)) {
        if (g->r.freq == ICAL_SECONDLY_RECURRENCE) {
            int64_t next = (cw_floor_div(p, 60) + 1) * 60;
            int64_t kk = cw_floor_div(next - g->base + g->step - 1, g->step);
            *jump = kk > k ? kk : k + 1;
        }
        return 0;
    }
    if (g->has_sec_filter && !in_arr(g->r.by_second, ICAL_BY_SECOND_SIZE, s))
        return 0;
    /* the period's instances: its start plus the offsets (sorted, BYSETPOS applied), minus
     * those before DTSTART (first period only) */
    int n = 0;
    for (int i = 0; i < g->n_offs; i++)
        if (p + g->offs[i] >= g->dtstart)
            g->cand[n++] = p + g->offs[i];
    g->n_cand = n;
    g->i_cand = 0;
    return n > 0;
}

/* Own generator for YEARLY with BYWEEKNO (libical 3.0.16 misses weeks, e.g. week 52 of
 * 2027). Weeks start on WKST; week 1 is the first with at least 4 days in the year. */
typedef struct weekno {
    struct icalrecurrencetype r;
    int64_t dtstart;
    int year;
    int64_t *cand;
    size_t n_cand, i_cand, cap;
    long emitted;
    int hours[24], n_hours, mins[60], n_mins, secs[61], n_secs;
} weekno;

static int64_t week1_start(int year, int wkst_mon0)
{
    int64_t jan1 = cw_days_from_civil(year, 1, 1);
    int wd = (int)(((jan1 + 3) % 7 + 7) % 7); /* Monday = 0 */
    int delta = ((wd - wkst_mon0) % 7 + 7) % 7;
    return delta <= 3 ? jan1 - delta : jan1 + (7 - delta);
}

static int lib_wd_to_mon0(int lib)
{
    return lib == ICAL_SUNDAY_WEEKDAY ? 6 : lib - 2;
}

static void weekno_init(weekno *g, const struct icalrecurrencetype *r, int64_t dtstart)
{
    memset(g, 0, sizeof *g);
    g->r = *r;
    g->dtstart = dtstart;
    cw_civil c;
    cw_civil_from_wall(dtstart, &c);
    g->year = c.year;
    g->n_hours = time_list(r->by_hour, ICAL_BY_HOUR_SIZE, 1, 23, 23, c.hour, g->hours);
    g->n_mins = time_list(r->by_minute, ICAL_BY_MINUTE_SIZE, 1, 59, 59, c.minute, g->mins);
    g->n_secs = time_list(r->by_second, ICAL_BY_SECOND_SIZE, 1, 60, 59, c.second, g->secs);
}

static int cmp64(const void *a, const void *b);

/* Candidates of g->year; returns -1 on OOM. */
static int weekno_year(weekno *g, int is_date)
{
    const struct icalrecurrencetype *r = &g->r;
    int wkst = lib_wd_to_mon0(r->week_start == ICAL_NO_WEEKDAY ? ICAL_MONDAY_WEEKDAY
                                                                : (int)r->week_start);
    int64_t w1 = week1_start(g->year, wkst);
    int nweeks = (int)((week1_start(g->year + 1, wkst) - w1) / 7);
    g->n_cand = g->i_cand = 0;
    int nw = arr_len(r->by_week_no, ICAL_BY_WEEKNO_SIZE);
    int nd = arr_len(r->by_day, ICAL_BY_DAY_SIZE);
    int nm = arr_len(r->by_month, ICAL_BY_MONTH_SIZE);
    int nmd = arr_len(r->by_month_day, ICAL_BY_MONTHDAY_SIZE);
    for (int i = 0; i < nw; i++) {
        int wn = r->by_week_no[i];
        if (wn < 0)
            wn = nweeks + wn + 1;
        if (wn < 1 || wn > nweeks)
            continue;
        for (int d = 0; d < 7; d++) {
            int64_t day = w1 + (int64_t)(wn - 1) * 7 + d;
            int mon0 = (int)(((day + 3) % 7 + 7) % 7);
            if (nd) {
                int ok = 0;
                for (int j = 0; j < nd; j++)
                    if (lib_wd_to_mon0((int)icalrecurrencetype_day_day_of_week(r->by_day[j])) == mon0)
                        ok = 1;
                if (!ok)
                    continue;
            }
            int y, m, dd;
            cw_civil_from_days(day, &y, &m, &dd);
            if (nm && !in_arr(r->by_month, ICAL_BY_MONTH_SIZE, m))
                continue;
            if (nmd && !in_arr(r->by_month_day, ICAL_BY_MONTHDAY_SIZE, dd))
                continue;
            for (int a = 0; a < (is_date ? 1 : g->n_hours); a++)
                for (int b = 0; b < (is_date ? 1 : g->n_mins); b++)
                    for (int c = 0; c < (is_date ? 1 : g->n_secs); c++) {
                        if (g->n_cand == g->cap && cal_grow(&g->cand, &g->cap, sizeof *g->cand, 64))
                            return -1;
                        g->cand[g->n_cand++] =
                            day * 86400 + (is_date ? 0
                                                   : g->hours[a] * 3600 + g->mins[b] * 60 + g->secs[c]);
                    }
        }
    }
    if (g->n_cand > 1)
        qsort(g->cand, g->n_cand, sizeof *g->cand, cmp64);
    size_t n = 0;
    for (size_t i = 0; i < g->n_cand; i++)
        if (n == 0 || g->cand[n - 1] != g->cand[i])
            g->cand[n++] = g->cand[i];
    g->n_cand = n;
    int nsp = arr_len(r->by_set_pos, ICAL_BY_SETPOS_SIZE);
    if (nsp) {
        size_t k = 0;
        for (size_t i = 0; i < g->n_cand; i++) {
            int ok = 0;
            for (int j = 0; j < nsp; j++) {
                int sp = r->by_set_pos[j];
                if ((sp > 0 && (size_t)(sp - 1) == i) ||
                    (sp < 0 && (int64_t)g->n_cand + sp == (int64_t)i))
                    ok = 1;
            }
            if (ok)
                g->cand[k++] = g->cand[i];
        }
        g->n_cand = k;
    }
    size_t k = 0;
    for (size_t i = 0; i < g->n_cand; i++)
        if (g->cand[i] >= g->dtstart)
            g->cand[k++] = g->cand[i];
    g->n_cand = k;
    return 0;
}

/* Own generator for DAILY and WEEKLY (most school rules): libical needs 4-12 us per
 * instance, this a few dozen ns, and skip-ahead (even with COUNT) is arithmetic. */
typedef struct dailyweekly {
    struct icalrecurrencetype r;
    int64_t dtstart;      /* wall */
    int is_date;
    int64_t p0;           /* first period's first day */
    int64_t step;         /* days per period */
    int64_t k;            /* next period */
    int n_cand, i_cand;
    long emitted;
    int wdays[7], n_wdays; /* WEEKLY: Monday=0 offsets from the week start, sorted */
    int hours[24], n_hours, mins[60], n_mins, secs[61], n_secs;
    int filtered;         /* day-level limits or BYSETPOS present */
    int mday;             /* MONTHLY, YEARLY: DTSTART's day of month (the default BYMONTHDAY) */
    int mon;              /* YEARLY: DTSTART's month (the default BYMONTH) */
    int big;              /* too many times per day for cand[]: use libical */
    int64_t cand[7 * 24 * 8]; /* last: never cleared (filled before it is read) */
} dailyweekly;

static int dw_day_ok(const dailyweekly *g, int64_t day)
{
    const struct icalrecurrencetype *r = &g->r;
    if (!date_limits_ok(r, day))
        return 0;
    if (r->freq == ICAL_DAILY_RECURRENCE && arr_len(r->by_day, ICAL_BY_DAY_SIZE)) {
        int mon0 = (int)(((day + 3) % 7 + 7) % 7), ok = 0;
        for (int i = 0; i < arr_len(r->by_day, ICAL_BY_DAY_SIZE); i++)
            if (lib_wd_to_mon0((int)icalrecurrencetype_day_day_of_week(r->by_day[i])) == mon0)
                ok = 1;
        if (!ok)
            return 0;
    }
    return 1;
}

static void dw_init(dailyweekly *g, const struct icalrecurrencetype *r, int64_t dtstart, int is_date)
{
    memset(g, 0, offsetof(dailyweekly, cand));
    g->r = *r;
    g->dtstart = dtstart;
    g->is_date = is_date;
    int64_t dd = cw_floor_div(dtstart, 86400);
    int64_t sod = dtstart - dd * 86400;
    int iv = r->interval > 0 ? r->interval : 1;
    g->n_hours = time_list(r->by_hour, ICAL_BY_HOUR_SIZE, !is_date, 23, 23,
                           is_date ? 0 : (int)(sod / 3600), g->hours);
    g->n_mins = time_list(r->by_minute, ICAL_BY_MINUTE_SIZE, !is_date, 59, 59,
                          is_date ? 0 : (int)(sod / 60 % 60), g->mins);
    g->n_secs = time_list(r->by_second, ICAL_BY_SECOND_SIZE, !is_date, 60, 59,
                          is_date ? 0 : (int)(sod % 60), g->secs);
    g->big = g->n_hours * g->n_mins * g->n_secs > 24 * 8;
    int nbd = arr_len(r->by_day, ICAL_BY_DAY_SIZE);
    g->filtered = arr_len(r->by_month, ICAL_BY_MONTH_SIZE) || arr_len(r->by_month_day, ICAL_BY_MONTHDAY_SIZE) ||
                  arr_len(r->by_year_day, ICAL_BY_YEARDAY_SIZE) || arr_len(r->by_set_pos, ICAL_BY_SETPOS_SIZE) ||
                  (r->freq == ICAL_DAILY_RECURRENCE && nbd);
    if (r->freq == ICAL_MONTHLY_RECURRENCE) {
        int y, m, d;
        cw_civil_from_days(dd, &y, &m, &d);
        g->p0 = (int64_t)y * 12 + (m - 1);
        g->step = iv;
        g->mday = d;
        g->filtered = 1;
        g->big = g->big || g->n_hours * g->n_mins * g->n_secs > 40 ||
                 arr_len(r->by_year_day, ICAL_BY_YEARDAY_SIZE) || arr_len(r->by_week_no, ICAL_BY_WEEKNO_SIZE);
    } else if (r->freq == ICAL_YEARLY_RECURRENCE) {
        /* only the forms that are plain day-of-month lists; the rest (BYDAY, BYYEARDAY,
         * BYWEEKNO, BYSETPOS, and BYMONTHDAY without BYMONTH, which libical reads as
         * DTSTART's month only) stays with libical */
        int y, m, d;
        cw_civil_from_days(dd, &y, &m, &d);
        g->p0 = y;
        g->step = iv;
        g->mday = d;
        g->mon = m;
        g->filtered = 1;
        int nmo = arr_len(r->by_month, ICAL_BY_MONTH_SIZE), nmd = arr_len(r->by_month_day, ICAL_BY_MONTHDAY_SIZE);
        long per_year = (long)(nmo ? nmo : 1) * (nmd ? (nmd < 31 ? nmd : 31) : 1) * g->n_hours * g->n_mins * g->n_secs;
        g->big = g->big || per_year > 7 * 24 * 8 || nbd || arr_len(r->by_year_day, ICAL_BY_YEARDAY_SIZE) ||
                 arr_len(r->by_week_no, ICAL_BY_WEEKNO_SIZE) || arr_len(r->by_set_pos, ICAL_BY_SETPOS_SIZE) ||
                 (nmd && !nmo);
        for (int i = 0; i < nmo; i++)
            if (r->by_month[i] < 1 || r->by_month[i] > 12)
                g->big = 1; /* leap months (RSCALE): not ours */
    } else if (r->freq == ICAL_DAILY_RECURRENCE) {
        g->p0 = dd;
        g->step = iv;
    } else {
        int wkst = lib_wd_to_mon0(r->week_start == ICAL_NO_WEEKDAY ? ICAL_MONDAY_WEEKDAY
                                                                    : (int)r->week_start);
        int mon0 = (int)(((dd + 3) % 7 + 7) % 7);
        g->p0 = dd - ((mon0 - wkst + 7) % 7);
        g->step = 7 * (int64_t)iv;
        int have[7] = {0};
        if (nbd) {
            for (int i = 0; i < nbd; i++)
                have[(lib_wd_to_mon0((int)icalrecurrencetype_day_day_of_week(r->by_day[i])) - wkst + 7) % 7] = 1;
        } else
            have[(mon0 - wkst + 7) % 7] = 1;
        for (int i = 0; i < 7; i++)
            if (have[i])
                g->wdays[g->n_wdays++] = i;
    }
}

/* candidates of period k */

/* Marks in sel[1..dim] the days of a dim-day month that r's nmd BYMONTHDAY values name
 * (negative: from the month's end); values beyond the month name none. */
static void mark_month_days(const struct icalrecurrencetype *r, int nmd, int dim, int sel[32])
{
    for (int i = 0; i < nmd; i++) {
        int v = r->by_month_day[i];
        int d = v > 0 ? v : dim + v + 1;
        if (d >= 1 && d <= dim)
            sel[d] = 1;
    }
}

/* Appends to days[n..] the marked days sel[1..dim] of the month starting on day `first`;
 * returns the new count. */
static int marked_days(const int sel[32], int dim, int64_t first, int64_t *days, int n)
{
    for (int d = 1; d <= dim; d++)
        if (sel[d])
            days[n++] = first + d - 1;
    return n;
}

/* MONTHLY: the days of month index mi (year*12 + month-1) the rule selects, into days[]. */
static int month_days(const dailyweekly *g, int64_t mi, int64_t days[12 * 31])
{
    const struct icalrecurrencetype *r = &g->r;
    int y = (int)cw_floor_div(mi, 12), m = (int)(mi - cw_floor_div(mi, 12) * 12) + 1;
    if (arr_len(r->by_month, ICAL_BY_MONTH_SIZE) && !in_arr(r->by_month, ICAL_BY_MONTH_SIZE, m))
        return 0;
    int dim = cal_month_len(y, m);
    int64_t first = cw_days_from_civil(y, m, 1);
    int sel[32] = {0};
    int nmd = arr_len(r->by_month_day, ICAL_BY_MONTHDAY_SIZE), nbd = arr_len(r->by_day, ICAL_BY_DAY_SIZE);
    if (!nmd && !nbd) {
        if (g->mday <= dim)
            sel[g->mday] = 1;
    }
    int a[32] = {0};
    mark_month_days(r, nmd, dim, a);
    int b[32] = {0};
    for (int i = 0; i < nbd; i++) {
        int wd = lib_wd_to_mon0((int)icalrecurrencetype_day_day_of_week(r->by_day[i]));
        int pos = icalrecurrencetype_day_position(r->by_day[i]);
        int first_wd = (int)(((first + 3) % 7 + 7) % 7);
        int d1 = 1 + (wd - first_wd + 7) % 7; /* first such weekday */
        int cnt = (dim - d1) / 7 + 1;
        for (int j = 0; j < cnt; j++) {
            int ord = j + 1, rord = j - cnt;
            if (pos == 0 || pos == ord || pos == rord)
                b[d1 + 7 * j] = 1;
        }
    }
    for (int d = 1; d <= dim; d++)
        if (nmd || nbd)
            sel[d] = (!nmd || a[d]) && (!nbd || b[d]);
    return marked_days(sel, dim, first, days, 0);
}

/* YEARLY: the days of year y the rule selects (ascending), into days[]. */
static int year_days(const dailyweekly *g, int64_t y, int64_t days[12 * 31])
{
    const struct icalrecurrencetype *r = &g->r;
    int nmo = arr_len(r->by_month, ICAL_BY_MONTH_SIZE), nmd = arr_len(r->by_month_day, ICAL_BY_MONTHDAY_SIZE);
    int n = 0;
    for (int m = 1; m <= 12; m++) {
        if (nmo ? !in_arr(r->by_month, ICAL_BY_MONTH_SIZE, m) : m != g->mon)
            continue;
        int dim = cal_month_len(y, m);
        int64_t first = cw_days_from_civil((int)y, m, 1);
        if (!nmd) {
            if (g->mday <= dim) /* 29 February only in leap years, the 31st only in long months */
                days[n++] = first + g->mday - 1;
            continue;
        }
        int sel[32] = {0};
        mark_month_days(r, nmd, dim, sel);
        n = marked_days(sel, dim, first, days, n);
    }
    return n;
}

static void dw_period(dailyweekly *g, int64_t k)
{
    int64_t d0 = g->p0 + k * g->step;
    g->n_cand = g->i_cand = 0;
    int64_t mdays_v[12 * 31];
    int monthly = g->r.freq == ICAL_MONTHLY_RECURRENCE || g->r.freq == ICAL_YEARLY_RECURRENCE;
    int ndays = g->r.freq == ICAL_YEARLY_RECURRENCE ? year_days(g, d0, mdays_v)
                : monthly ? month_days(g, d0, mdays_v)
                : g->r.freq == ICAL_DAILY_RECURRENCE ? 1 : g->n_wdays;
    for (int i = 0; i < ndays; i++) {
        int64_t day = monthly ? mdays_v[i] : g->r.freq == ICAL_DAILY_RECURRENCE ? d0 : d0 + g->wdays[i];
        if (!monthly && g->filtered && !dw_day_ok(g, day))
            continue;
        for (int a = 0; a < g->n_hours; a++)
            for (int b = 0; b < g->n_mins; b++)
                for (int c = 0; c < g->n_secs; c++)
                    g->cand[g->n_cand++] = day * 86400 + g->hours[a] * 3600 + g->mins[b] * 60 + g->secs[c];
    }
    if (g->n_cand > 1)
        qsort(g->cand, (size_t)g->n_cand, sizeof g->cand[0], cmp64);
    int n = 0;
    for (int i = 0; i < g->n_cand; i++)
        if (n == 0 || g->cand[n - 1] != g->cand[i])
            g->cand[n++] = g->cand[i];
    g->n_cand = n;
    int nsp = arr_len(g->r.by_set_pos, ICAL_BY_SETPOS_SIZE);
    if (nsp) {
        int64_t keep[7 * 24 * 8];
        int nk = 0;
        for (int i = 0; i < g->n_cand; i++)
            for (int j = 0; j < nsp; j++) {
                int sp = g->r.by_set_pos[j];
                if ((sp > 0 && sp - 1 == i) || (sp < 0 && g->n_cand + sp == i)) {
                    keep[nk++] = g->cand[i];
                    break;
                }
            }
        memcpy(g->cand, keep, (size_t)nk * sizeof keep[0]);
        g->n_cand = nk;
    }
    n = 0;
    for (int i = 0; i < g->n_cand; i++)
        if (g->cand[i] >= g->dtstart)
            g->cand[n++] = g->cand[i];
    g->n_cand = n;
}

typedef struct gen {
    int own;        /* sub */
    int own_weekno; /* wk */
    int own_dw;     /* dw */
    icalrecur_iterator *it;
    int is_date;
    int done;
    long steps;
    int64_t horizon; /* sub-daily: no instance is wanted after this wall time (INT64_MAX) */
    union {         /* last: each generator clears its own part (tens of KB in all) */
        subdaily sub;
        weekno wk;
        dailyweekly dw;
    };
} gen;

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

/* A generator of the rule's wall times from DTSTART, or skipped ahead to `target` when the
 * rule allows (no COUNT; or a sub-daily rule whose count before target is arithmetic). */
static gen *gen_new_ex(const cal_comp *m, const cal_rrule *rr, int64_t target, int force_libical)
{
    gen *g = malloc(sizeof *g);
    if (!g)
        return NULL;
    memset(g, 0, offsetof(gen, sub));
    g->horizon = INT64_MAX;
    const struct icalrecurrencetype *r = &rr->r;
    int64_t dt = m->dtstart.wall;
    g->is_date = m->dtstart.kind == CT_DATE;
    if (r->freq == ICAL_HOURLY_RECURRENCE || r->freq == ICAL_MINUTELY_RECURRENCE ||
        r->freq == ICAL_SECONDLY_RECURRENCE) {
        g->own = 1;
        sub_init(&g->sub, r, g->is_date ? dt : dt);
        if (g->sub.n_offs == 0) {
            g->done = 1; /* BYSETPOS picks nothing from any period: no instance, no scan */
            return g;
        }
        if (target > dt) {
            int64_t k = cw_floor_div(target - g->sub.base, g->sub.step) - 1;
            if (k > 0) {
                if (r->count == 0) {
                    g->sub.k = k;
                } else if (sub_simple(&g->sub)) {
                    /* count before period k: the first period may be partial */
                    int64_t dummy;
                    int first = sub_period(&g->sub, 0, &dummy) ? g->sub.n_cand : 0;
                    long long before = first + (long long)(k - 1) * sub_per_period(&g->sub);
                    if (before >= r->count) {
                        g->done = 1;
                    } else {
                        g->sub.k = k;
                        g->sub.emitted = (long)before;
                    }
                    g->sub.n_cand = 0;
                }
            }
        }
        return g;
    }
    if (r->freq == ICAL_YEARLY_RECURRENCE && arr_len(r->by_week_no, ICAL_BY_WEEKNO_SIZE)) {
        g->own_weekno = 1;
        weekno_init(&g->wk, r, dt);
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
        g->wk.year -= (int)(r->interval > 0 ? r->interval : 1); /* gen_next advances first */
        return g;
    }
    if (r->freq == ICAL_DAILY_RECURRENCE || r->freq == ICAL_WEEKLY_RECURRENCE ||
        r->freq == ICAL_MONTHLY_RECURRENCE || (r->freq == ICAL_YEARLY_RECURRENCE && !force_libical)) {
        dw_init(&g->dw, r, dt, g->is_date);
        if (!g->dw.big && !force_libical) {
            g->own_dw = 1;
            if (target > dt) {
                int64_t tpos = cw_floor_div(target, 86400);
                if (r->freq == ICAL_MONTHLY_RECURRENCE || r->freq == ICAL_YEARLY_RECURRENCE) {
                    int ty, tm, td;
                    cw_civil_from_days(tpos, &ty, &tm, &td);
                    tpos = r->freq == ICAL_YEARLY_RECURRENCE ? ty : (int64_t)ty * 12 + (tm - 1);
                }
                int64_t k = cw_floor_div(tpos - g->dw.p0, g->dw.step) - 1;
                if (k > 0) {
                    if (r->count == 0) {
                        g->dw.k = k;
                    } else if (!g->dw.filtered) {
                        dw_period(&g->dw, 0);
                        long long per = (long long)(r->freq == ICAL_DAILY_RECURRENCE ? 1 : g->dw.n_wdays) *
                                        g->dw.n_hours * g->dw.n_mins * g->dw.n_secs;
                        long long before = g->dw.n_cand + (long long)(k - 1) * per;
                        if (before >= r->count)
                            g->done = 1;
                        else {
                            g->dw.k = k;
                            g->dw.emitted = (long)before;
                        }
                    }
                }
            }
            g->dw.n_cand = g->dw.i_cand = 0;
            return g;
        }
    }
    /* MONTHLY/YEARLY day-of-month lists that no listed month has: nothing, without letting
     * libical scan every month up to 2582 */
    int nmd = arr_len(r->by_month_day, ICAL_BY_MONTHDAY_SIZE), nmo = arr_len(r->by_month, ICAL_BY_MONTH_SIZE);
    if (nmd && nmo && !arr_len(r->by_day, ICAL_BY_DAY_SIZE) && !arr_len(r->by_year_day, ICAL_BY_YEARDAY_SIZE)) {
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
        arr_len(rc.by_day, ICAL_BY_DAY_SIZE) == 0) {
        /* default BYDAY is DTSTART's weekday: unchanged by whole weeks, nothing to do */
    }
    g->it = icalrecur_iterator_new(rc, ical_of_wall(start, g->is_date));
    if (!g->it)
        g->done = 1;
    return g;
}

static gen *gen_new(const cal_comp *m, const cal_rrule *rr, int64_t target)
{
    return gen_new_ex(m, rr, target, 0);
}

static void gen_free(gen *g);
static int gen_next(gen *g, int64_t *out);

int cal_rule_walls(const cal_comp *m, const cal_rrule *rr, int libical, int64_t *out, size_t max)
{
    gen *g = gen_new_ex(m, rr, INT64_MIN, libical);
    if (!g)
        return -1;
    size_t n = 0;
    int64_t w;
    while (n < max && gen_next(g, &w))
        out[n++] = w;
    gen_free(g);
    return (int)n;
}

static void gen_free(gen *g)
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
static int gen_emit(gen *g, int64_t v, long *emitted, int count, int64_t *out)
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
static int gen_next(gen *g, int64_t *out)
{
    if (g->done)
        return 0;
    if (g->own) {
        subdaily *s = &g->sub;
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
            int ok = sub_period(s, k, &jump);
            s->k = ok ? k + 1 : jump;
        }
    }
    if (g->own_dw) {
        dailyweekly *w = &g->dw;
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
            dw_period(w, w->k++);
        }
    }
    if (g->own_weekno) {
        weekno *w = &g->wk;
        for (;;) {
            if (w->i_cand < w->n_cand)
                return gen_emit(g, w->cand[w->i_cand++], &w->emitted, w->r.count, out);
            w->year += w->r.interval > 0 ? w->r.interval : 1;
            g->steps++;
            if (w->year > CAL_MAX_YEAR) {
                g->done = 1;
                return 0;
            }
            if (weekno_year(w, g->is_date)) {
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
    *out = wall_of_ical(t);
    return 1;
}

/* Is wall time `w` (in the master's frame) within the rule's UNTIL? */
static int until_ok(const cw_calset *set, const cal_comp *m, const cal_rrule *rr, int64_t w)
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
    gen_free(rr->iter);
    rr->iter = NULL;
    free(rr->cache);
    rr->cache = NULL;
    rr->n_cache = rr->cap_cache = 0;
}

int cal_rrule_first(const cal_comp *master, cal_rrule *rr, int64_t *first)
{
    gen *g = gen_new(master, rr, INT64_MIN);
    if (!g)
        return 0;
    int64_t w;
    int r = 0;
    while (g->steps < 10000 && gen_next(g, &w)) {
        r = 1;
        *first = w;
        break;
    }
    gen_free(g);
    return r;
}

/* ---- caches of the set: interned recurrence ids, series positions ------------------ */

typedef struct rid_entry {
    int64_t key;
    int is_date;
    char *text;
} rid_entry;

typedef struct series_cache {
    const cal_file *file;
    char *key;             /* series key, or UID when the event has none */
    int64_t horizon;       /* instances with original start < horizon are listed */
    int64_t *t;            /* original starts of counted instances, sorted (events that are
                              materialised) */
    char **uid;            /* parallel: uid (borrowed) */
    size_t n;
    const cal_event **fast; /* events counted arithmetically (fast_count) at each call */
    size_t n_fast;
} series_cache;

struct cal_cache {
    rid_entry *rid;        /* open addressing */
    size_t rid_cap, rid_n;
    series_cache *series;
    size_t n_series;
    size_t ranked_files;   /* cal_event.rank is set for the first this many files */
};

int cal_cache_new(cw_calset *set)
{
    set->cache = calloc(1, sizeof *set->cache);
    return set->cache ? 0 : -1;
}

void cal_cache_free(cw_calset *set)
{
    cal_cache *c = set->cache;
    if (!c)
        return;
    for (size_t i = 0; i < c->rid_cap; i++)
        free(c->rid[i].text);
    free(c->rid);
    for (size_t i = 0; i < c->n_series; i++) {
        free(c->series[i].key);
        free(c->series[i].t);
        free(c->series[i].uid);
        free(c->series[i].fast);
    }
    free(c->series);
    free(c);
    set->cache = NULL;
}

static size_t rid_hash(int64_t key, int is_date, size_t cap)
{
    uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ull ^ (uint64_t)is_date;
    h ^= h >> 29;
    return (size_t)(h & (cap - 1));
}

static const char *rid_intern(const cw_calset *set, int64_t key, int is_date)
{
    cal_cache *c = set->cache;
    if (c->rid_n * 2 >= c->rid_cap) {
        size_t nc = c->rid_cap ? c->rid_cap * 2 : 1024;
        rid_entry *nv = calloc(nc, sizeof *nv);
        if (!nv)
            return NULL;
        for (size_t i = 0; i < c->rid_cap; i++) {
            if (!c->rid[i].text)
                continue;
            size_t h = rid_hash(c->rid[i].key, c->rid[i].is_date, nc);
            while (nv[h].text)
                h = (h + 1) & (nc - 1);
            nv[h] = c->rid[i];
        }
        free(c->rid);
        c->rid = nv;
        c->rid_cap = nc;
    }
    size_t h = rid_hash(key, is_date, c->rid_cap);
    while (c->rid[h].text) {
        if (c->rid[h].key == key && c->rid[h].is_date == is_date)
            return c->rid[h].text;
        h = (h + 1) & (c->rid_cap - 1);
    }
    cw_civil cv;
    cw_civil_from_wall(is_date ? key * 86400 : key, &cv);
    if (cv.year < 0 || cv.year > 9999)
        cv.year = cv.year < 0 ? 0 : 9999; /* outside what a calendar can hold */
    /* by hand: snprintf was a fifth of a year's expansion */
    char *t = malloc(is_date ? 9 : 17);
    if (!t)
        return NULL;
    int v[6] = {cv.year, cv.month, cv.day, cv.hour, cv.minute, cv.second};
    char *p = t;
    for (int d = 1000; d; d /= 10)
        *p++ = (char)('0' + v[0] / d % 10);
    for (int i = 1; i < (is_date ? 3 : 6); i++) {
        if (i == 3)
            *p++ = 'T';
        *p++ = (char)('0' + v[i] / 10);
        *p++ = (char)('0' + v[i] % 10);
    }
    if (!is_date)
        *p++ = 'Z';
    *p = 0;
    c->rid[h].key = key;
    c->rid[h].is_date = is_date;
    c->rid[h].text = t;
    c->rid_n++;
    return t;
}

/* ---- one event's instances --------------------------------------------------------- */

typedef struct inst {
    int64_t key;         /* instance id: UTC instant, or days for DATE masters */
    int64_t start, end;  /* UTC */
    int64_t wall;        /* start in the master's frame */
    int period;          /* from an RDATE PERIOD (explicit end) */
} inst;

typedef struct inst_list {
    inst *v;
    size_t n, cap;
} inst_list;

static int inst_push(inst_list *l, const inst *x)
{
    if (l->n == l->cap && cal_grow(&l->v, &l->cap, sizeof *l->v, 64))
        return -1;
    l->v[l->n++] = *x;
    return 0;
}

static int inst_cmp(const void *a, const void *b)
{
    const inst *x = a, *y = b;
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
static int64_t comp_end(const cw_calset *set, const cal_comp *k, int64_t w, int64_t s)
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
static int64_t max_span(const cw_calset *set, const cal_comp *k)
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

static int make_master_inst(const cw_calset *set, const cal_comp *m, int64_t w, inst *x)
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
    x->end = comp_end(set, m, w, x->start);
    return 0;
}

typedef struct budget {
    long steps;
    const cal_comp *comp;
} budget;

/* Wall times of one rule in [wlo, whi], appended to `out` as instances. */
static int rule_window(const cw_calset *set, const cal_comp *m, cal_rrule *rr, int64_t wlo,
                       int64_t whi, inst_list *out, budget *b)
{
    int use_cache = rr->r.count > 0 &&
                    !(rr->r.freq <= ICAL_HOURLY_RECURRENCE && rr->n_cache == 0 &&
                      rr->r.count > CAL_CACHE_MAX);
    if (rr->exhausted || (rr->n_cache && rr->cache[rr->n_cache - 1] >= whi))
        use_cache = 1;
    if (use_cache && !rr->limited) {
        /* extend the cache up to whi */
        if (!rr->iter && !rr->exhausted) {
            rr->iter = gen_new(m, rr, INT64_MIN);
            if (!rr->iter)
                return CW_ENOMEM;
        }
        gen *g = rr->iter;
        while (!rr->exhausted && (rr->n_cache == 0 || rr->cache[rr->n_cache - 1] < whi)) {
            int64_t w;
            long before = g->steps;
            int got = gen_next(g, &w);
            b->steps += g->steps - before;
            if (!got || !until_ok(set, m, rr, w)) {
                int done = g->done; /* read before gen_free: g is gone after it */
                if (done || got) {
                    rr->exhausted = 1;
                    gen_free(g);
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
                inst x;
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
    gen *g = gen_new(m, rr, wlo);
    if (!g)
        return CW_ENOMEM;
    g->horizon = whi; /* instances after whi end the loop below anyway */
    int rc = 0;
    int64_t w;
    for (;;) {
        long before = g->steps;
        int got = gen_next(g, &w);
        b->steps += g->steps - before;
        if (!got) {
            if (!g->done)
                rc = CW_ELIMIT;
            break;
        }
        if (w > whi || !until_ok(set, m, rr, w))
            break;
        if (b->steps > CAL_STEP_BUDGET) {
            rc = CW_ELIMIT;
            break;
        }
        if (w < wlo)
            continue;
        inst x;
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
    gen_free(g);
    return rc;
}

static int is_excluded(const cal_comp *m, const inst *x)
{
    int64_t day = cw_floor_div(x->wall, 86400);
    for (size_t i = 0; i < m->n_exdates; i++) {
        const cal_exdate *e = &m->exdates[i];
        if (e->is_date ? e->key == day : e->key == x->key)
            return 1;
    }
    return 0;
}

static const cal_comp *find_override(const cal_event *e, int64_t key)
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
static const cal_comp *find_override(const cal_event *e, int64_t key);

static int master_instances(const cw_calset *set, const cal_event *ev, int64_t ulo, int64_t uhi,
                            inst_list *out, budget *b)
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
    inst x;
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
            x.end = comp_end(set, m, x.wall, x.start);
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
        if (is_excluded(m, &out->v[i]) && !(ev->n_ovr && find_override(ev, out->v[i].key)))
            continue;
        out->v[n++] = out->v[i];
    }
    out->n = n;
    return 0;
}

/* ---- expansion --------------------------------------------------------------------- */

static int occ_push(cw_occurrences *o, const cw_occurrence *x)
{
    if (o->n == o->cap && cal_grow(&o->v, &o->cap, sizeof *o->v, 64))
        return -1;
    o->v[o->n++] = *x;
    return 0;
}

void cw_occurrences_free(cw_occurrences *o)
{
    if (!o)
        return;
    free(o->v);
    memset(o, 0, sizeof *o);
}

static void fill_occ(const cw_calset *set, const cal_file *f, const cal_comp *k,
                     cw_occurrence *o)
{
    memset(o, 0, sizeof *o);
    o->file = f->label;
    o->priority = f->priority;
    o->line = k->line;
    o->uid = k->uid;
    o->summary = k->summary;
    o->description = k->description;
    o->categories = k->categories;
    o->location = k->location;
    o->cancelled = k->cancelled;
    o->kind = k->kind;
    o->series = k->series;
    o->episode = k->episode;
    o->repeat = k->repeat;
    o->attach = k->attach;
    o->teacher = k->teacher;
    o->language = k->language;
    o->recurrence_id = "";
    (void)set;
}

static void set_dates(const cw_calset *set, cw_occurrence *o, int64_t start_day, int64_t end_day)
{
    o->all_day = 1;
    cw_civil_from_days(start_day, &o->start_date.year, &o->start_date.month,
                       &o->start_date.day);
    cw_civil_from_days(end_day, &o->end_date.year, &o->end_date.month, &o->end_date.day);
    o->start = cw_tz_wall_to_utc(set->deftz, start_day * 86400);
    o->end = cw_tz_wall_to_utc(set->deftz, end_day * 86400);
}

static int overlaps(int64_t s, int64_t e, int64_t from, int64_t to)
{
    if (s >= to)
        return 0;
    return e > from || (s == e && s >= from);
}

static int limit_error(cw_error *err, const cal_file *f, const cal_comp *k, int rc)
{
    if (rc == CW_ENOMEM)
        return cw_fail(err, CW_ENOMEM, f->label, k ? k->line : 0, "out of memory expanding "
                       "the calendar");
    return cw_fail(err, CW_ELIMIT, f->label, k ? k->line : 0,
                   "event '%s' needs more than the expansion bounds allow (%ld steps, %d "
                   "occurrences per window; simplify its RRULE or ask for a shorter range)",
                   k ? k->uid : "?", CAL_STEP_BUDGET, CW_CAL_MAX_OCCURRENCES);
}

/* Override instance times. */
static void override_times(const cw_calset *set, const cal_comp *o, int64_t *s, int64_t *e,
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
    *e = comp_end(set, o, o->dtstart.wall, *s);
}

/* Which components an expansion keeps (cw_calset_expand_where); NULL keeps all. */
typedef struct comp_filter {
    cw_comp_filter keep;
    void *ctx;
} comp_filter;

static int comp_kept(const cw_calset *set, const cal_file *f, const cal_comp *k, const comp_filter *flt)
{
    if (!flt || !flt->keep)
        return 1;
    cw_occurrence d;
    fill_occ(set, f, k, &d);
    d.all_day = k->dtstart.kind == CT_DATE;
    return flt->keep(&d, flt->ctx) != 0;
}

static void rdate_inst(const cw_calset *set, const cal_comp *m, size_t i, int64_t *start, int64_t *wall);

/* The earliest instant an instance of master m can start: its DTSTART or an earlier RDATE
 * (placed as master_instances places them). */
static int64_t master_first_start(const cw_calset *set, const cal_comp *m)
{
    int64_t t = cal_time_utc(set, &m->dtstart);
    for (size_t r = 0; r < m->n_rdates; r++) {
        int64_t rs, rw;
        if (m->dtstart.kind == CT_DATE)
            rs = cw_tz_wall_to_utc(set->deftz, cw_floor_div(m->rdates[r].t.wall, 86400) * 86400);
        else
            rdate_inst(set, m, r, &rs, &rw);
        if (rs < t)
            t = rs;
    }
    return t;
}

static int expand_event(const cw_calset *set, const cal_event *ev, int64_t from, int64_t to,
                        int include_cancelled, cw_occurrences *out, budget *b, const comp_filter *flt)
{
    const cal_file *f = ev->file;
    const cal_comp *m = ev->master;
    int rc = 0;
    cw_occurrence o;
    if (m && !comp_kept(set, f, m, flt))
        m = NULL; /* its instances are not wanted; the overrides are looked at one by one */
    /* a filtered expansion (the scheduler's history walk asks for many short ranges) skips
     * the generator of a master that has no instance yet: none starts before its earliest
     * DTSTART/RDATE (a day of margin for DST folds) */
    if (m && flt && master_first_start(set, m) - 2 * 86400 >= to)
        m = NULL;
    if (m) {
        int single = m->n_rrules == 0 && m->n_rdates == 0;
        int64_t span = max_span(set, m);
        for (size_t i = 0; i < m->n_rdates; i++)
            if (m->rdates[i].is_period) {
                int64_t ps = m->rdates[i].has_dur
                                 ? (int64_t)m->rdates[i].dur_days * 86400 + m->rdates[i].dur_secs
                                 : m->rdates[i].end.wall - m->rdates[i].t.wall;
                if (ps + 86400 > span)
                    span = ps + 86400;
            }
        inst_list l = {0};
        b->comp = m;
        rc = master_instances(set, ev, from - span, to, &l, b);
        if (rc) {
            free(l.v);
            return rc;
        }
        for (size_t i = 0; i < l.n; i++) {
            const inst *x = &l.v[i];
            if (ev->n_ovr && find_override(ev, x->key))
                continue;
            if (!overlaps(x->start, x->end, from, to))
                continue;
            if (m->cancelled && !include_cancelled)
                continue;
            fill_occ(set, f, m, &o);
            if (m->dtstart.kind == CT_DATE) {
                int64_t days = cw_floor_div(x->end - x->start + 7200, 86400);
                if (days < 0)
                    days = 0;
                /* exact day count from the component (DST-safe) */
                int64_t ed = x->period ? cw_floor_div(cw_tz_utc_to_wall(set->deftz, x->end), 86400)
                                       : x->key + (days);
                if (!x->period) {
                    int64_t nd = 1;
                    if (m->has_dtend)
                        nd = cw_floor_div(m->dtend.wall, 86400) - cw_floor_div(m->dtstart.wall, 86400);
                    else if (m->has_duration)
                        nd = m->dur_days + m->dur_secs / 86400;
                    ed = x->key + nd;
                }
                set_dates(set, &o, x->key, ed);
            } else {
                o.start = x->start;
                o.end = x->end;
            }
            o.recurrence_utc = x->start;
            if (!single) {
                o.recurrence_id = rid_intern(set, x->key, m->dtstart.kind == CT_DATE);
                if (!o.recurrence_id) {
                    free(l.v);
                    return CW_ENOMEM;
                }
            }
            if (occ_push(out, &o)) {
                free(l.v);
                return CW_ENOMEM;
            }
            if (out->n > CW_CAL_MAX_OCCURRENCES) {
                free(l.v);
                return CW_ELIMIT;
            }
        }
        free(l.v);
    }
    for (size_t j = 0; j < ev->n_ovr; j++) {
        const cal_comp *ov = ev->ovr[j];
        b->comp = ov;
        int64_t s, e, sday = 0, eday = 0;
        override_times(set, ov, &s, &e, &sday, &eday);
        if (!overlaps(s, e, from, to))
            continue;
        if (ov->cancelled && !include_cancelled)
            continue;
        if (!comp_kept(set, f, ov, flt))
            continue;
        int is_date_master = ev->master ? ev->master->dtstart.kind == CT_DATE : ov->dtstart.kind == CT_DATE;
        int64_t orig = is_date_master ? cw_tz_wall_to_utc(set->deftz, ov->rid_key * 86400)
                                      : ov->rid_key;
        fill_occ(set, f, ov, &o);
        if (ov->dtstart.kind == CT_DATE)
            set_dates(set, &o, sday, eday);
        else {
            o.start = s;
            o.end = e;
        }
        o.recurrence_utc = orig;
        o.recurrence_id = rid_intern(set, ov->rid_key, is_date_master);
        if (!o.recurrence_id)
            return CW_ENOMEM;
        o.moved = s != orig;
        if (occ_push(out, &o))
            return CW_ENOMEM;
        if (out->n > CW_CAL_MAX_OCCURRENCES)
            return CW_ELIMIT;
    }
    return 0;
}

static int occ_cmp(const void *a, const void *b)
{
    const cw_occurrence *x = a, *y = b;
    if (x->start != y->start)
        return (x->start > y->start) - (x->start < y->start);
    int r = strcmp(x->uid, y->uid);
    if (r)
        return r;
    r = strcmp(x->file, y->file);
    if (r)
        return r;
    return (x->recurrence_utc > y->recurrence_utc) - (x->recurrence_utc < y->recurrence_utc);
}

/* Rank of every event by (UID, file label), equal pairs equal ranks: sorting occurrences by
 * (start, rank, original start) is occ_cmp's order without a string comparison. Computed
 * once for the files loaded so far. */
typedef struct rank_ref {
    const char *uid, *file;
    cal_event *ev;
} rank_ref;

static int rank_ref_cmp(const void *a, const void *b)
{
    const rank_ref *x = a, *y = b;
    int r = strcmp(x->uid, y->uid);
    return r ? r : strcmp(x->file, y->file);
}

static int rank_events(const cw_calset *set)
{
    cal_cache *c = set->cache;
    if (c->ranked_files == set->n_files)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < set->n_files; i++)
        n += set->files[i]->n_events;
    rank_ref *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return -1;
    n = 0;
    for (size_t i = 0; i < set->n_files; i++)
        for (size_t j = 0; j < set->files[i]->n_events; j++) {
            cal_event *ev = &set->files[i]->events[j];
            const cal_comp *k = ev->master ? ev->master : ev->ovr[0];
            v[n++] = (rank_ref){k->uid, set->files[i]->label, ev};
        }
    qsort(v, n, sizeof *v, rank_ref_cmp);
    uint32_t r = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && rank_ref_cmp(&v[i - 1], &v[i]) != 0)
            r++;
        v[i].ev->rank = r;
    }
    free(v);
    c->ranked_files = set->n_files;
    return 0;
}

typedef struct occ_key {
    int64_t start, rec;
    uint32_t rank;
    uint32_t idx;
} occ_key;

static int occ_key_less(const occ_key *x, const occ_key *y)
{
    if (x->start != y->start)
        return x->start < y->start;
    if (x->rank != y->rank)
        return x->rank < y->rank;
    return x->rec < y->rec;
}

/* Stable merge sort of occurrence keys (qsort's generic copies were most of a year's
 * expansion); tmp holds n keys. Input comes in long sorted runs (one per event). */
static void occ_key_sort(occ_key *v, size_t n, occ_key *tmp)
{
    const size_t run = 16;
    for (size_t a = 0; a < n; a += run) { /* insertion sort of small blocks */
        size_t b = a + run < n ? a + run : n;
        for (size_t i = a + 1; i < b; i++) {
            occ_key k = v[i];
            size_t j = i;
            while (j > a && occ_key_less(&k, &v[j - 1])) {
                v[j] = v[j - 1];
                j--;
            }
            v[j] = k;
        }
    }
    occ_key *src = v, *dst = tmp;
    for (size_t w = run; w < n; w *= 2) {
        for (size_t a = 0; a < n; a += 2 * w) {
            size_t m = a + w < n ? a + w : n, b = a + 2 * w < n ? a + 2 * w : n;
            size_t i = a, j = m, k = a;
            if (m == b || !occ_key_less(&src[m], &src[m - 1])) { /* already in order */
                memcpy(dst + a, src + a, (b - a) * sizeof *src);
                continue;
            }
            while (i < m && j < b)
                dst[k++] = occ_key_less(&src[j], &src[i]) ? src[j++] : src[i++];
            while (i < m)
                dst[k++] = src[i++];
            while (j < b)
                dst[k++] = src[j++];
        }
        occ_key *t = src;
        src = dst;
        dst = t;
    }
    if (src != v)
        memcpy(v, src, n * sizeof *v);
}

static int expand_set(const cw_calset *set, int64_t from, int64_t to, int include_cancelled,
                      const comp_filter *flt, cw_occurrences *out, cw_error *err);

int cw_calset_expand(const cw_calset *set, int64_t from, int64_t to, int include_cancelled,
                     cw_occurrences *out, cw_error *err)
{
    return expand_set(set, from, to, include_cancelled, NULL, out, err);
}

int cw_calset_expand_where(const cw_calset *set, int64_t from, int64_t to, int include_cancelled,
                           cw_comp_filter keep, void *ctx, cw_occurrences *out, cw_error *err)
{
    comp_filter flt = {keep, ctx};
    return expand_set(set, from, to, include_cancelled, &flt, out, err);
}

int cw_calset_first_start(const cw_calset *set, cw_comp_filter keep, void *ctx, int64_t *out)
{
    comp_filter flt = {keep, ctx};
    int found = 0;
    int64_t first = 0;
    for (size_t i = 0; i < set->n_files; i++) {
        const cal_file *f = set->files[i];
        for (size_t j = 0; j < f->n_events; j++) {
            const cal_event *ev = &f->events[j];
            const cal_comp *m = ev->master;
            if (m && comp_kept(set, f, m, &flt)) {
                int64_t t = master_first_start(set, m);
                if (!found || t < first)
                    first = t;
                found = 1;
            }
            for (size_t x = 0; x < ev->n_ovr; x++) {
                const cal_comp *ov = ev->ovr[x];
                if (!comp_kept(set, f, ov, &flt))
                    continue;
                int64_t s, e, sday = 0, eday = 0;
                override_times(set, ov, &s, &e, &sday, &eday);
                if (!found || s < first)
                    first = s;
                found = 1;
            }
        }
    }
    if (found)
        *out = first;
    return found ? 0 : CW_ENOTFOUND;
}

static int expand_set(const cw_calset *set, int64_t from, int64_t to, int include_cancelled,
                      const comp_filter *flt, cw_occurrences *out, cw_error *err)
{
    memset(out, 0, sizeof *out);
    if (to <= from)
        return 0;
    int ranked = rank_events(set) == 0;
    uint32_t *rank = NULL; /* per occurrence, parallel to out->v */
    size_t cap_rank = 0;
    for (size_t i = 0; i < set->n_files; i++) {
        const cal_file *f = set->files[i];
        for (size_t j = 0; j < f->n_events; j++) {
            budget b = {0, NULL};
            size_t before = out->n;
            int rc = expand_event(set, &f->events[j], from, to, include_cancelled, out, &b, flt);
            if (!rc && ranked && out->n > cap_rank) {
                size_t nc = out->cap > cap_rank * 2 ? out->cap : cap_rank * 2 + 64;
                uint32_t *nv = realloc(rank, nc * sizeof *nv);
                if (nv) {
                    rank = nv;
                    cap_rank = nc;
                } else
                    ranked = 0;
            }
            if (rc) {
                free(rank);
                cw_occurrences_free(out);
                return limit_error(err, f, b.comp, rc);
            }
            for (size_t x = before; ranked && x < out->n; x++)
                rank[x] = f->events[j].rank;
        }
    }
    occ_key *keys = ranked && out->n > 1 ? malloc(2 * out->n * sizeof *keys) : NULL;
    cw_occurrence *sorted = keys ? malloc(out->n * sizeof *sorted) : NULL;
    if (sorted) {
        for (size_t i = 0; i < out->n; i++)
            keys[i] = (occ_key){out->v[i].start, out->v[i].recurrence_utc, rank[i], (uint32_t)i};
        occ_key_sort(keys, out->n, keys + out->n);
        for (size_t i = 0; i < out->n; i++)
            sorted[i] = out->v[keys[i].idx];
        free(out->v);
        out->v = sorted;
        out->cap = out->n;
    } else if (out->n > 1) {
        qsort(out->v, out->n, sizeof *out->v, occ_cmp);
    }
    free(keys);
    free(rank);
    return 0;
}

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
    dailyweekly g;        /* last: large */
} rawrule;

static int64_t raw_period_of(const dailyweekly *g, int64_t wall)
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
static int64_t raw_period_start(const dailyweekly *g, int64_t k)
{
    int64_t at = g->p0 + k * g->step;
    if (g->r.freq == ICAL_MONTHLY_RECURRENCE) {
        int64_t y = cw_floor_div(at, 12);
        return cw_days_from_civil((int)y, (int)(at - y * 12) + 1, 1) * 86400;
    }
    return at * 86400;
}

/* Candidates of period k into r->g.cand; -1 when the budget is spent. */
static int raw_period(rawrule *r, int64_t k)
{
    if (--r->budget < 0)
        return -1;
    dw_period(&r->g, k);
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
static int raw_eligible(const cw_calset *set, const cal_comp *m)
{
    if (!m || m->dtstart.kind == CT_DATE || m->n_rrules != 1 || m->until_before_start)
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
    /* the generator's own limit, as in gen_new: too many times per day go to libical */
    int nh = arr_len(r->by_hour, ICAL_BY_HOUR_SIZE), nm = arr_len(r->by_minute, ICAL_BY_MINUTE_SIZE),
        ns = arr_len(r->by_second, ICAL_BY_SECOND_SIZE);
    long per_day = (long)(nh ? nh : 1) * (nm ? nm : 1) * (ns ? ns : 1);
    if (per_day > 24 * 8)
        return 0;
    if (r->freq == ICAL_MONTHLY_RECURRENCE &&
        (per_day > 40 || arr_len(r->by_year_day, ICAL_BY_YEARDAY_SIZE) ||
         arr_len(r->by_week_no, ICAL_BY_WEEKNO_SIZE)))
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
    dw_init(&r->g, &rr->r, m->dtstart.wall, 0);
    if (r->g.big)
        return 1; /* raw_eligible mirrors this; keep the generator the only judge */
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
    if (q->freq != ICAL_MONTHLY_RECURRENCE && !arr_len(q->by_month, ICAL_BY_MONTH_SIZE) &&
        !arr_len(q->by_month_day, ICAL_BY_MONTHDAY_SIZE) && !arr_len(q->by_year_day, ICAL_BY_YEARDAY_SIZE))
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
                    qsort(r->win, kept, sizeof *r->win, cmp64);
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

static int key_matches(const cal_comp *k, const char *key, int by_uid)
{
    const char *sk = by_uid ? k->uid : (k->series && *k->series ? k->series : NULL);
    return sk && strcmp(sk, key) == 0;
}

static int counted_comp(const cal_comp *k, const char *key, int by_uid)
{
    return key_matches(k, key, by_uid) && !k->cancelled && !k->repeat;
}

/* UTC start of RDATE i of a date-time master, and its wall time in the master's frame (as
 * master_instances computes them). */
static void rdate_inst(const cw_calset *set, const cal_comp *m, size_t i, int64_t *start, int64_t *wall)
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

/* Counted instances (series_collect's sense) of event ev with original start < bound, for an
 * event whose master is raw_eligible: the rule's instances counted arithmetically, then the
 * finite exceptions — RDATEs, EXDATEs, RECURRENCE-ID overrides — each looked at once. */
static int fast_count(const cw_calset *set, const cal_event *ev, const char *key, int by_uid,
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
        rdate_inst(set, m, i, &rd_start[i], &rd_wall[i]);
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
        qsort(keys, nk, sizeof *keys, cmp64);
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
        const cal_comp *ov = ev->n_ovr ? find_override(ev, s) : NULL;
        int actual;
        if (ov) {
            actual = counted_comp(ov, key, by_uid); /* shown at its RECURRENCE-ID, instance or not */
        } else if (in_rule || in_rdate) {
            inst x;
            memset(&x, 0, sizeof x);
            x.key = s;
            x.start = s;
            x.wall = wall;
            actual = !is_excluded(m, &x) && mc;
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

/* ---- series positions -------------------------------------------------------------- */

static const char *event_series_key(const cal_comp *k)
{
    return k->series && *k->series ? k->series : NULL;
}

typedef struct pos_item {
    int64_t t;
    const char *uid;
} pos_item;

static int pos_cmp(const void *a, const void *b)
{
    const pos_item *x = a, *y = b;
    if (x->t != y->t)
        return (x->t > y->t) - (x->t < y->t);
    return strcmp(x->uid, y->uid);
}

/* Counted instances of one event (by original start) with original start < horizon: what
 * expansion shows — the master's instances that no override replaces, and every override
 * (one whose RECURRENCE-ID is no instance of the rule is still shown, and airs) at its
 * RECURRENCE-ID. */
static int series_collect(const cw_calset *set, const cal_event *ev, const char *key,
                          int by_uid, int64_t horizon, pos_item **v, size_t *n, size_t *cap,
                          budget *b)
{
    const cal_comp *m = ev->master;
    inst_list l = {0};
    if (m) {
        int64_t first = cal_time_utc(set, &m->dtstart) - 2 * 86400;
        for (size_t i = 0; i < m->n_rdates; i++) {
            int64_t t = cal_time_utc(set, &m->rdates[i].t) - 2 * 86400;
            if (t < first)
                first = t;
        }
        b->comp = m;
        int rc = master_instances(set, ev, first, horizon, &l, b);
        if (rc) {
            free(l.v);
            return rc;
        }
    }
    for (size_t i = 0; i < l.n; i++) {
        const inst *x = &l.v[i];
        int64_t orig = x->start;
        if (orig >= horizon)
            continue;
        const cal_comp *k = m;
        if (ev->n_ovr && find_override(ev, x->key))
            continue; /* counted with the overrides below */
        const char *sk = by_uid ? k->uid : event_series_key(k);
        if (!sk || strcmp(sk, key) != 0)
            continue;
        if (k->cancelled || k->repeat)
            continue;
        if (*n == *cap && cal_grow(v, cap, sizeof **v, 256)) {
            free(l.v);
            return CW_ENOMEM;
        }
        (*v)[*n].t = orig;
        (*v)[*n].uid = k->uid;
        (*n)++;
    }
    free(l.v);
    {
        for (size_t j = 0; j < ev->n_ovr; j++) {
            const cal_comp *ov = ev->ovr[j];
            const char *sk = by_uid ? ov->uid : event_series_key(ov);
            /* the instant expansion gives it (recurrence_utc): a date RECURRENCE-ID when the
             * master is all-day */
            int is_date = m ? m->dtstart.kind == CT_DATE : ov->dtstart.kind == CT_DATE;
            int64_t orig = is_date ? cw_tz_wall_to_utc(set->deftz, ov->rid_key * 86400) : ov->rid_key;
            if (!sk || strcmp(sk, key) != 0 || ov->cancelled || ov->repeat || orig >= horizon)
                continue;
            if (*n == *cap && cal_grow(v, cap, sizeof **v, 256))
                return CW_ENOMEM;
            (*v)[*n].t = orig;
            (*v)[*n].uid = ov->uid;
            (*n)++;
        }
    }
    return 0;
}

static int pos_before(int64_t t, const char *uid, int64_t need, const char *occ_uid)
{
    return t < need || (t == need && strcmp(uid, occ_uid) < 0);
}

/* Counted instances of one event before the occurrence (original start, then UID), by
 * materialising its history: for events the arithmetic cannot count, and as the reference. */
static int slow_count(const cw_calset *set, const cal_event *ev, const char *key, int by_uid,
                      const cw_occurrence *occ, long long *out, budget *b)
{
    pos_item *v = NULL;
    size_t n = 0, cap = 0;
    *out = 0;
    int rc = series_collect(set, ev, key, by_uid, occ->recurrence_utc + 1, &v, &n, &cap, b);
    for (size_t i = 0; i < n && !rc; i++)
        *out += pos_before(v[i].t, v[i].uid, occ->recurrence_utc, occ->uid);
    free(v);
    return rc;
}

static int event_relevant(const cal_event *ev, const char *key, int by_uid)
{
    if (ev->master && key_matches(ev->master, key, by_uid))
        return 1;
    for (size_t x = 0; x < ev->n_ovr; x++)
        if (key_matches(ev->ovr[x], key, by_uid))
            return 1;
    return 0;
}

/* Position of occ among its series. `reference`: materialise every event's history (no
 * arithmetic, no cache) — the definition the fast path is tested against. */
static int series_position(const cw_calset *set, const cw_occurrence *occ, long *out, cw_error *err,
                           int reference)
{
    *out = 0;
    const cal_file *f = NULL;
    for (size_t i = 0; i < set->n_files && !f; i++)
        if (set->files[i]->label == occ->file || strcmp(set->files[i]->label, occ->file) == 0)
            f = set->files[i];
    if (!f)
        return cw_fail(err, CW_ENOTFOUND, occ->file ? occ->file : "", occ->line,
                       "the occurrence is not from this calendar set");
    int by_uid = !(occ->series && *occ->series);
    const char *key = by_uid ? occ->uid : occ->series;
    int64_t need = occ->recurrence_utc;
    if (reference) {
        long long total = 0;
        for (size_t j = 0; j < f->n_events; j++) {
            const cal_event *ev = &f->events[j];
            if (!event_relevant(ev, key, by_uid))
                continue;
            budget b = {0, NULL};
            long long c;
            int rc = slow_count(set, ev, key, by_uid, occ, &c, &b);
            if (rc)
                return limit_error(err, f, b.comp, rc);
            total += c;
        }
        *out = (long)total + 1;
        return 0;
    }
    cal_cache *c = set->cache;
    series_cache *sc = NULL;
    for (size_t i = 0; i < c->n_series; i++)
        if (c->series[i].file == f && strcmp(c->series[i].key, key) == 0) {
            sc = &c->series[i];
            break;
        }
    if (!sc || sc->horizon <= need) {
        /* (re)build up to a year past the instance asked for: the instances of the events
         * that need materialising, and the list of those counted arithmetically */
        int64_t horizon = need + 366 * 86400;
        pos_item *v = NULL;
        size_t n = 0, cap = 0;
        const cal_event **fast = NULL;
        size_t n_fast = 0;
        for (size_t j = 0; j < f->n_events; j++) {
            const cal_event *ev = &f->events[j];
            if (!event_relevant(ev, key, by_uid))
                continue;
            if (raw_eligible(set, ev->master)) {
                const cal_event **nv = realloc(fast, (n_fast + 1) * sizeof *nv);
                if (!nv) {
                    free(v);
                    free(fast);
                    return cw_fail(err, CW_ENOMEM, f->label, 0, "out of memory");
                }
                fast = nv;
                fast[n_fast++] = ev;
                continue;
            }
            budget b = {0, NULL};
            int rc = series_collect(set, ev, key, by_uid, horizon, &v, &n, &cap, &b);
            if (rc) {
                free(v);
                free(fast);
                return limit_error(err, f, b.comp, rc);
            }
        }
        if (n > 1)
            qsort(v, n, sizeof *v, pos_cmp);
        if (!sc) {
            series_cache *nv = realloc(c->series, (c->n_series + 1) * sizeof *nv);
            if (!nv) {
                free(v);
                free(fast);
                return cw_fail(err, CW_ENOMEM, f->label, 0, "out of memory");
            }
            c->series = nv;
            sc = &c->series[c->n_series];
            memset(sc, 0, sizeof *sc);
            sc->key = cw_strdup(key);
            if (!sc->key) {
                free(v);
                free(fast);
                return cw_fail(err, CW_ENOMEM, f->label, 0, "out of memory");
            }
            sc->file = f;
            c->n_series++;
        }
        free(sc->t);
        free(sc->uid);
        free(sc->fast);
        sc->fast = fast;
        sc->n_fast = n_fast;
        sc->t = malloc((n ? n : 1) * sizeof *sc->t);
        sc->uid = malloc((n ? n : 1) * sizeof *sc->uid);
        if (!sc->t || !sc->uid) {
            free(v);
            sc->n = 0;
            sc->horizon = INT64_MIN;
            return cw_fail(err, CW_ENOMEM, f->label, 0, "out of memory");
        }
        for (size_t i = 0; i < n; i++) {
            sc->t[i] = v[i].t;
            sc->uid[i] = (char *)v[i].uid;
        }
        sc->n = n;
        sc->horizon = horizon;
        free(v);
    }
    /* materialised events: counted instances ordered before occ */
    size_t lo = 0, hi = sc->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pos_before(sc->t[mid], sc->uid[mid], need, occ->uid))
            lo = mid + 1;
        else
            hi = mid;
    }
    long long total = (long long)lo;
    /* the others: arithmetic; an instance of another UID at the same instant counts when
     * its UID sorts first */
    for (size_t j = 0; j < sc->n_fast; j++) {
        const cal_event *ev = sc->fast[j];
        const char *uid = ev->master->uid;
        int64_t bound = need + (strcmp(uid, occ->uid) < 0 ? 1 : 0);
        long long cnt;
        int rc = fast_count(set, ev, key, by_uid, bound, &cnt);
        if (rc == CW_EINVAL) { /* not countable after all: materialise */
            budget b = {0, NULL};
            rc = slow_count(set, ev, key, by_uid, occ, &cnt, &b);
            if (rc)
                return limit_error(err, f, b.comp, rc);
        } else if (rc)
            return limit_error(err, f, ev->master, rc);
        total += cnt;
    }
    *out = (long)total + 1;
    return 0;
}

int cw_calset_series_position(const cw_calset *set, const cw_occurrence *occ, long *out,
                              cw_error *err)
{
    return series_position(set, occ, out, err, 0);
}

int cal_series_position_reference(const cw_calset *set, const cw_occurrence *occ, long *out,
                                  cw_error *err)
{
    return series_position(set, occ, out, err, 1);
}
