/* rules_int.h — the recurrence-rule generators of the calendars module (not public): each
 * yields a rule's wall times in order from DTSTART, or skipped ahead to a target, counting
 * its steps so expansion stays bounded. rules.c holds the own generators (sub-daily, BYWEEKNO,
 * daily to yearly day lists); rule_iter.c picks one per rule (or libical's iterator). */
#ifndef CW_CAL_RULES_INT_H
#define CW_CAL_RULES_INT_H

#include "calendars_int.h"

/* Own generator for HOURLY, MINUTELY, SECONDLY. */
typedef struct cal_subdaily {
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
} cal_subdaily;

/* Own generator for YEARLY with BYWEEKNO (libical 3.0.16 misses weeks, e.g. week 52 of
 * 2027). Weeks start on WKST; week 1 is the first with at least 4 days in the year. */
typedef struct cal_weekno {
    struct icalrecurrencetype r;
    int64_t dtstart;
    int year;
    int64_t *cand;
    size_t n_cand, i_cand, cap;
    long emitted;
    int hours[24], n_hours, mins[60], n_mins, secs[61], n_secs;
} cal_weekno;

/* Own generator for DAILY and WEEKLY (most school rules): libical needs 4-12 us per
 * instance, this a few dozen ns, and skip-ahead (even with COUNT) is arithmetic. */
typedef struct cal_dw {
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
} cal_dw;

typedef struct cal_gen {
    int own;        /* sub */
    int own_weekno; /* wk */
    int own_dw;     /* dw */
    icalrecur_iterator *it;
    int is_date;
    int done;
    long steps;
    int64_t horizon; /* sub-daily: no instance is wanted after this wall time (INT64_MAX) */
    union {         /* last: each generator clears its own part (tens of KB in all) */
        cal_subdaily sub;
        cal_weekno wk;
        cal_dw dw;
    };
} cal_gen;

struct icaltimetype cal_ical_of_wall(int64_t wall, int is_date);
int64_t cal_wall_of_ical(struct icaltimetype t);
int cal_arr_len(const short *a, int max);
int cal_cmp64(const void *a, const void *b);
void cal_sub_init(cal_subdaily *g, const struct icalrecurrencetype *r, int64_t dtstart);
int cal_sub_simple(const cal_subdaily *g);
int cal_sub_per_period(const cal_subdaily *g);
int cal_sub_period(cal_subdaily *g, int64_t k, int64_t *jump);
void cal_weekno_init(cal_weekno *g, const struct icalrecurrencetype *r, int64_t dtstart);
int cal_weekno_year(cal_weekno *g, int is_date);
void cal_dw_init(cal_dw *g, const struct icalrecurrencetype *r, int64_t dtstart, int is_date);
void cal_dw_period(cal_dw *g, int64_t k);

cal_gen *cal_gen_new(const cal_comp *m, const cal_rrule *rr, int64_t target);
void cal_gen_free(cal_gen *g);
int cal_gen_next(cal_gen *g, int64_t *out);
int cal_until_ok(const cw_calset *set, const cal_comp *m, const cal_rrule *rr, int64_t w);

#endif
