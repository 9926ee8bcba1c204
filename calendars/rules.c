/* rules.c — chalkwave's own recurrence generators: HOURLY/MINUTELY/SECONDLY (libical scans
 * second by second), YEARLY with BYWEEKNO (libical 3.0.16 misses weeks), and DAILY to YEARLY
 * day lists (a few dozen ns per instance). Guarantees: wall times in ascending order, the
 * candidates of one period at a time, no allocation beyond a BYWEEKNO year's list. */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "rules_int.h"

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

struct icaltimetype cal_ical_of_wall(int64_t wall, int is_date)
{
    cw_civil c;
    cw_civil_from_wall(wall, &c);
    return cal_icaltime(&c, is_date, NULL);
}

int64_t cal_wall_of_ical(struct icaltimetype t)
{
    cw_civil c = {t.year, t.month, t.day, t.is_date ? 0 : t.hour, t.is_date ? 0 : t.minute,
                  t.is_date ? 0 : t.second};
    return cw_wall_from_civil(&c);
}

int cal_arr_len(const short *a, int max)
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
    int n = use ? cal_arr_len(by, size) : 0, k = 0;
    for (int i = 0; i < n; i++)
        if (by[i] >= 0 && by[i] <= max)
            out[k++] = by[i] > top ? top : by[i];
    if (n == 0)
        out[k++] = dflt;
    return k;
}

/* The BYMONTH, BYMONTHDAY and BYYEARDAY limits of r on `day` (days since 1970-01-01). */
static int date_limits_ok(const struct icalrecurrencetype *r, int64_t day)
{
    int y, m, d;
    cw_civil_from_days(day, &y, &m, &d);
    if (cal_arr_len(r->by_month, ICAL_BY_MONTH_SIZE) && !in_arr(r->by_month, ICAL_BY_MONTH_SIZE, m))
        return 0;
    int leap = cal_leap_year(y);
    if (cal_arr_len(r->by_month_day, ICAL_BY_MONTHDAY_SIZE)) {
        int dim = cal_month_len(y, m);
        if (!in_arr(r->by_month_day, ICAL_BY_MONTHDAY_SIZE, d) &&
            !in_arr(r->by_month_day, ICAL_BY_MONTHDAY_SIZE, d - dim - 1))
            return 0;
    }
    if (cal_arr_len(r->by_year_day, ICAL_BY_YEARDAY_SIZE)) {
        int yd = (int)(day - cw_days_from_civil(y, 1, 1)) + 1;
        if (!in_arr(r->by_year_day, ICAL_BY_YEARDAY_SIZE, yd) &&
            !in_arr(r->by_year_day, ICAL_BY_YEARDAY_SIZE, yd - (365 + leap) - 1))
            return 0;
    }
    return 1;
}

static int day_ok(const cal_subdaily *g, int64_t wall)
{
    if (!g->has_day_filter)
        return 1;
    int64_t days = cw_floor_div(wall, 86400);
    const struct icalrecurrencetype *r = &g->r;
    if (!date_limits_ok(r, days))
        return 0;
    int nd = cal_arr_len(r->by_day, ICAL_BY_DAY_SIZE);
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

int cal_cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

void cal_sub_init(cal_subdaily *g, const struct icalrecurrencetype *r, int64_t dtstart)
{
    memset(g, 0, offsetof(cal_subdaily, offs)); /* offs and cand are filled before they are read */
    g->r = *r;
    g->dtstart = dtstart;
    int64_t unit = r->freq == ICAL_HOURLY_RECURRENCE ? 3600
                   : r->freq == ICAL_MINUTELY_RECURRENCE ? 60 : 1;
    g->step = unit * (r->interval > 0 ? r->interval : 1);
    g->base = cw_floor_div(dtstart, unit) * unit;
    g->has_day_filter = cal_arr_len(r->by_month, ICAL_BY_MONTH_SIZE) ||
                        cal_arr_len(r->by_month_day, ICAL_BY_MONTHDAY_SIZE) ||
                        cal_arr_len(r->by_year_day, ICAL_BY_YEARDAY_SIZE) ||
                        cal_arr_len(r->by_day, ICAL_BY_DAY_SIZE);
    g->has_hour_filter = cal_arr_len(r->by_hour, ICAL_BY_HOUR_SIZE) > 0;
    int nm = cal_arr_len(r->by_minute, ICAL_BY_MINUTE_SIZE);
    int ns = cal_arr_len(r->by_second, ICAL_BY_SECOND_SIZE);
    g->has_min_filter = nm > 0 && r->freq != ICAL_HOURLY_RECURRENCE;
    g->has_sec_filter = ns > 0 && r->freq == ICAL_SECONDLY_RECURRENCE;
    int64_t sod = dtstart - cw_floor_div(dtstart, 86400) * 86400;
    g->n_mins = time_list(r->by_minute, ICAL_BY_MINUTE_SIZE, 1, 59, 59, (int)(sod / 60 % 60), g->mins);
    g->n_secs = time_list(r->by_second, ICAL_BY_SECOND_SIZE, 1, 60, 59, (int)(sod % 60), g->secs);
    /* the offsets of a period, as cal_sub_period used to build them period by period */
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
    int nsp = cal_arr_len(r->by_set_pos, ICAL_BY_SETPOS_SIZE);
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
int cal_sub_simple(const cal_subdaily *g)
{
    return !g->has_day_filter && !g->has_hour_filter && !g->has_min_filter &&
           !g->has_sec_filter;
}

int cal_sub_per_period(const cal_subdaily *g)
{
    return g->n_offs;
}

/* Build the candidates of period k; returns 0 when the period is filtered out, with *jump
 * set to the next period index worth looking at. */
int cal_sub_period(cal_subdaily *g, int64_t k, int64_t *jump)
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

void cal_weekno_init(cal_weekno *g, const struct icalrecurrencetype *r, int64_t dtstart)
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

/* Candidates of g->year; returns -1 on OOM. */
int cal_weekno_year(cal_weekno *g, int is_date)
{
    const struct icalrecurrencetype *r = &g->r;
    int wkst = lib_wd_to_mon0(r->week_start == ICAL_NO_WEEKDAY ? ICAL_MONDAY_WEEKDAY
                                                                : (int)r->week_start);
    int64_t w1 = week1_start(g->year, wkst);
    int nweeks = (int)((week1_start(g->year + 1, wkst) - w1) / 7);
    g->n_cand = g->i_cand = 0;
    int nw = cal_arr_len(r->by_week_no, ICAL_BY_WEEKNO_SIZE);
    int nd = cal_arr_len(r->by_day, ICAL_BY_DAY_SIZE);
    int nm = cal_arr_len(r->by_month, ICAL_BY_MONTH_SIZE);
    int nmd = cal_arr_len(r->by_month_day, ICAL_BY_MONTHDAY_SIZE);
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
        qsort(g->cand, g->n_cand, sizeof *g->cand, cal_cmp64);
    size_t n = 0;
    for (size_t i = 0; i < g->n_cand; i++)
        if (n == 0 || g->cand[n - 1] != g->cand[i])
            g->cand[n++] = g->cand[i];
    g->n_cand = n;
    int nsp = cal_arr_len(r->by_set_pos, ICAL_BY_SETPOS_SIZE);
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

static int dw_day_ok(const cal_dw *g, int64_t day)
{
    const struct icalrecurrencetype *r = &g->r;
    if (!date_limits_ok(r, day))
        return 0;
    if (r->freq == ICAL_DAILY_RECURRENCE && cal_arr_len(r->by_day, ICAL_BY_DAY_SIZE)) {
        int mon0 = (int)(((day + 3) % 7 + 7) % 7), ok = 0;
        for (int i = 0; i < cal_arr_len(r->by_day, ICAL_BY_DAY_SIZE); i++)
            if (lib_wd_to_mon0((int)icalrecurrencetype_day_day_of_week(r->by_day[i])) == mon0)
                ok = 1;
        if (!ok)
            return 0;
    }
    return 1;
}

void cal_dw_init(cal_dw *g, const struct icalrecurrencetype *r, int64_t dtstart, int is_date)
{
    memset(g, 0, offsetof(cal_dw, cand));
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
    int nbd = cal_arr_len(r->by_day, ICAL_BY_DAY_SIZE);
    g->filtered = cal_arr_len(r->by_month, ICAL_BY_MONTH_SIZE) || cal_arr_len(r->by_month_day, ICAL_BY_MONTHDAY_SIZE) ||
                  cal_arr_len(r->by_year_day, ICAL_BY_YEARDAY_SIZE) || cal_arr_len(r->by_set_pos, ICAL_BY_SETPOS_SIZE) ||
                  (r->freq == ICAL_DAILY_RECURRENCE && nbd);
    if (r->freq == ICAL_MONTHLY_RECURRENCE) {
        int y, m, d;
        cw_civil_from_days(dd, &y, &m, &d);
        g->p0 = (int64_t)y * 12 + (m - 1);
        g->step = iv;
        g->mday = d;
        g->filtered = 1;
        g->big = g->big || g->n_hours * g->n_mins * g->n_secs > 40 ||
                 cal_arr_len(r->by_year_day, ICAL_BY_YEARDAY_SIZE) || cal_arr_len(r->by_week_no, ICAL_BY_WEEKNO_SIZE);
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
        int nmo = cal_arr_len(r->by_month, ICAL_BY_MONTH_SIZE), nmd = cal_arr_len(r->by_month_day, ICAL_BY_MONTHDAY_SIZE);
        long per_year = (long)(nmo ? nmo : 1) * (nmd ? (nmd < 31 ? nmd : 31) : 1) * g->n_hours * g->n_mins * g->n_secs;
        g->big = g->big || per_year > 7 * 24 * 8 || nbd || cal_arr_len(r->by_year_day, ICAL_BY_YEARDAY_SIZE) ||
                 cal_arr_len(r->by_week_no, ICAL_BY_WEEKNO_SIZE) || cal_arr_len(r->by_set_pos, ICAL_BY_SETPOS_SIZE) ||
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
static int month_days(const cal_dw *g, int64_t mi, int64_t days[12 * 31])
{
    const struct icalrecurrencetype *r = &g->r;
    int y = (int)cw_floor_div(mi, 12), m = (int)(mi - cw_floor_div(mi, 12) * 12) + 1;
    if (cal_arr_len(r->by_month, ICAL_BY_MONTH_SIZE) && !in_arr(r->by_month, ICAL_BY_MONTH_SIZE, m))
        return 0;
    int dim = cal_month_len(y, m);
    int64_t first = cw_days_from_civil(y, m, 1);
    int sel[32] = {0};
    int nmd = cal_arr_len(r->by_month_day, ICAL_BY_MONTHDAY_SIZE), nbd = cal_arr_len(r->by_day, ICAL_BY_DAY_SIZE);
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
static int year_days(const cal_dw *g, int64_t y, int64_t days[12 * 31])
{
    const struct icalrecurrencetype *r = &g->r;
    int nmo = cal_arr_len(r->by_month, ICAL_BY_MONTH_SIZE), nmd = cal_arr_len(r->by_month_day, ICAL_BY_MONTHDAY_SIZE);
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

void cal_dw_period(cal_dw *g, int64_t k)
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
        qsort(g->cand, (size_t)g->n_cand, sizeof g->cand[0], cal_cmp64);
    int n = 0;
    for (int i = 0; i < g->n_cand; i++)
        if (n == 0 || g->cand[n - 1] != g->cand[i])
            g->cand[n++] = g->cand[i];
    g->n_cand = n;
    int nsp = cal_arr_len(g->r.by_set_pos, ICAL_BY_SETPOS_SIZE);
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
