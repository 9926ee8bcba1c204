/* event.c — one VEVENT read into a cal_comp: text, times, DTEND/DURATION, RRULE, RDATE,
 * EXDATE, RECURRENCE-ID, and libical's own complaints turned into diagnostics. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "read_int.h"

void cal_comp_free(cal_comp *k)
{
    if (!k)
        return;
    free(k->uid);
    free(k->summary);
    free(k->description);
    free(k->categories);
    free(k->location);
    free(k->attach);
    free(k->series);
    free(k->teacher);
    free(k->language);
    free(k->text);
    for (size_t i = 0; i < k->n_rrules; i++)
        cal_rrule_release(&k->rrules[i]);
    for (size_t i = 0; i < k->n_rrules; i++)
        free(k->rrules[i].r.rscale);
    free(k->rrules);
    free(k->rdates);
    free(k->skip_code);
    free(k->skip_text);
    free(k->exdates);
    free(k);
}

static char *textdup(const char *s)
{
    return cw_strdup(s ? s : "");
}

int cal_push_ptr(void ***v, size_t *n, size_t *cap, void *p)
{
    if (*n == *cap && cal_grow(v, cap, sizeof **v, 16))
        return -1;
    (*v)[(*n)++] = p;
    return 0;
}

static void duration_of(struct icaldurationtype d, int *days, int64_t *secs)
{
    *days = (int)d.weeks * 7 + (int)d.days;
    *secs = (int64_t)d.hours * 3600 + (int64_t)d.minutes * 60 + d.seconds;
}

/* Sort a BY* list of non-negative values ascending, without duplicates. */
static void sort_by_list(short *a, int max)
{
    int n = 0;
    while (n < max && a[n] != ICAL_RECURRENCE_ARRAY_MAX)
        n++;
    for (int i = 1; i < n; i++) /* a few dozen values at most */
        for (int j = i; j > 0 && a[j - 1] > a[j]; j--) {
            short t = a[j];
            a[j] = a[j - 1];
            a[j - 1] = t;
        }
    int k = 0;
    for (int i = 0; i < n; i++)
        if (k == 0 || a[k - 1] != a[i])
            a[k++] = a[i];
    for (int i = k; i < n; i++)
        a[i] = ICAL_RECURRENCE_ARRAY_MAX;
}

/* UID and SUMMARY first: they name the event in its diagnostics. */
static void read_identity(cal_load *c, icalcomponent *ev, cal_comp *k, int a)
{
    const char *uid = icalcomponent_get_uid(ev);
    if (uid && *uid) {
        k->uid = cw_strdup(uid);
    } else {
        cal_diag(c, CW_DIAG_WARNING, "cal.no-uid", a, "the event has no UID (one was made from "
                 "its line; export the calendar with UIDs)");
        k->uid = cw_asprintf("line-%d@%s", a, c->source);
    }
    icalproperty *p = icalcomponent_get_first_property(ev, ICAL_SUMMARY_PROPERTY);
    k->summary = p ? textdup(icalproperty_get_summary(p)) : NULL; /* NULL: an override inherits */
    if (!k->uid)
        c->oom = 1;
}

static void read_text(cal_load *c, icalcomponent *ev, cal_comp *k, int a)
{
    icalproperty *p = icalcomponent_get_first_property(ev, ICAL_DESCRIPTION_PROPERTY);
    k->description = p ? textdup(icalproperty_get_description(p)) : NULL;
    p = icalcomponent_get_first_property(ev, ICAL_LOCATION_PROPERTY);
    k->location = p ? textdup(icalproperty_get_location(p)) : NULL;
    cw_buf cat;
    cw_buf_init(&cat);
    for (p = icalcomponent_get_first_property(ev, ICAL_CATEGORIES_PROPERTY); p;
         p = icalcomponent_get_next_property(ev, ICAL_CATEGORIES_PROPERTY)) {
        const char *v = icalproperty_get_categories(p);
        if (!v || !*v)
            continue;
        if (cat.len)
            cw_buf_puts(&cat, ",");
        cw_buf_puts(&cat, v);
    }
    k->categories = cat.len ? cw_strdup(cat.data) : NULL;
    cw_buf_free(&cat);
    p = icalcomponent_get_first_property(ev, ICAL_ATTACH_PROPERTY);
    if (p) {
        icalattach *at = icalproperty_get_attach(p);
        if (at && icalattach_get_is_url(at))
            k->attach = textdup(icalattach_get_url(at));
    }
    p = icalcomponent_get_first_property(ev, ICAL_STATUS_PROPERTY);
    k->cancelled = p && icalproperty_get_status(p) == ICAL_STATUS_CANCELLED;
    p = icalcomponent_get_first_property(ev, ICAL_SEQUENCE_PROPERTY);
    k->sequence = p ? icalproperty_get_sequence(p) : 0;
    cal_meaning(c, ev, k, a);
}

/* RECURRENCE-ID (read before DTSTART: an override without DTSTART starts at it). */
static void read_rid(cal_load *c, icalcomponent *ev, cal_comp *k, cal_raw_comp *rc, int a, int b)
{
    icalproperty *p = icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY);
    if (!p)
        return;
    int lr = cal_prop_line(c, a, b, "RECURRENCE-ID", 0);
    if (cal_make_time(c, p, icalproperty_get_recurrenceid(p), lr, "RECURRENCE-ID", &rc->rid))
        return;
    rc->has_rid = 1;
    icalparameter *rp = icalproperty_get_first_parameter(p, ICAL_RANGE_PARAMETER);
    if (rp && icalparameter_get_range(rp) == ICAL_RANGE_THISANDFUTURE)
        k->range_future = 1;
    else if (rp)
        cal_diag(c, CW_DIAG_WARNING, "cal.range-thisandprior", lr, "RECURRENCE-ID;RANGE=THISANDPRIOR "
                 "is not part of RFC 5545 (only this instance was changed)");
}

static void read_start(cal_load *c, icalcomponent *ev, cal_comp *k, const cal_raw_comp *rc, int a,
                       int b)
{
    icalproperty *p = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
    int ls = cal_prop_line(c, a, b, "DTSTART", 0);
    if (p) {
        if (cal_make_time(c, p, icalproperty_get_dtstart(p), ls, "DTSTART", &k->dtstart) == 0)
            k->has_start = 1;
    } else if (rc->has_rid) {
        cal_diag(c, CW_DIAG_WARNING, "cal.override-no-dtstart", a, "the moved instance has no "
                 "DTSTART (it was read as starting at its RECURRENCE-ID)");
        k->dtstart = rc->rid;
        k->has_start = 1;
    } else if (!k->skipped || ls == a) { /* unless libical's complaint about it said it */
        cal_diag(c, CW_DIAG_ERROR, "cal.no-dtstart", ls, "the event has no DTSTART%s (give it a "
                 "start time)", ls == a ? "" : " that can be read");
    }
}

/* The latest wall time an event may end at: 9999-12-31 23:59:59. */
#define CAL_LAST_WALL (cw_days_from_civil(9999, 12, 31) * 86400 + 86399)

/* DTEND read in the frame of DTSTART where the file leaves it open (no TZID beside a zoned or
 * UTC DTSTART, a date beside a date-time and the reverse), with a warning for each. */
static void fit_dtend(cal_load *c, cal_comp *k, cal_time *t, int le)
{
    const cal_time *s = &k->dtstart;
    if (t->kind == CT_FLOAT && (s->kind == CT_ZONED || s->kind == CT_UTC)) {
        t->kind = s->kind;
        t->tz = s->tz;
        cal_diag(c, CW_DIAG_WARNING, "cal.dtend-no-tzid", le, "DTEND has no time zone (it was read "
                 "in DTSTART's, %s, as calendar apps do; give DTEND the same TZID)",
                 s->kind == CT_UTC ? "UTC" : cal_zone_name(s->tz));
    }
    if (s->kind == CT_DATE && t->kind != CT_DATE) {
        int64_t day = cw_floor_div(t->wall, 86400) + (t->wall % 86400 != 0);
        cw_civil cv;
        cw_civil_from_wall(day * 86400, &cv);
        cal_diag(c, CW_DIAG_WARNING, "cal.dtend-type", le, "DTEND is a date-time but DTSTART a "
                 "date (the all-day event was read as ending on %04d-%02d-%02d; make both dates)",
                 cv.year, cv.month, cv.day);
        *t = (cal_time){CT_DATE, day * 86400, NULL};
    } else if (s->kind != CT_DATE && t->kind == CT_DATE) {
        cal_diag(c, CW_DIAG_WARNING, "cal.dtend-type", le, "DTEND is a date but DTSTART a date-time "
                 "(it was read as midnight at the start of that day; make both date-times)");
        *t = (cal_time){s->kind, t->wall, s->tz};
    }
}

static void read_dtend(cal_load *c, icalproperty *pe, cal_comp *k, int le)
{
    cal_time t;
    if (cal_make_time(c, pe, icalproperty_get_dtend(pe), le, "DTEND", &t) || !k->has_start)
        return;
    fit_dtend(c, k, &t, le);
    if (t.kind == CT_DATE) {
        if (t.wall == k->dtstart.wall) {
            cal_diag(c, CW_DIAG_WARNING, "cal.allday-zero-length", le, "the all-day event ends on "
                     "the day it starts (it was read as one day, as calendar apps show it; set "
                     "DTEND to the next day)");
            t.wall += 86400;
        }
    }
    int64_t s = cal_time_utc(c->set, &k->dtstart), e = cal_time_utc(c->set, &t);
    if (k->dtstart.kind == CT_FLOAT && t.kind == CT_FLOAT)
        s = k->dtstart.wall, e = t.wall;
    if (t.kind == CT_DATE)
        s = k->dtstart.wall, e = t.wall;
    if (e < s) {
        cal_diag(c, CW_DIAG_ERROR, "cal.dtend-before-dtstart", le, "DTEND is before DTSTART "
                 "(correct the end time)");
        return;
    }
    k->dtend = t;
    k->has_dtend = 1;
}

static void read_duration(cal_load *c, icalproperty *pd, cal_comp *k, int le)
{
    for (int i = 0; i < c->n_bad_line; i++)
        if (c->bad_line[i] == le)
            return; /* too long to read: said by cal_raw_dates */
    struct icaldurationtype d = icalproperty_get_duration(pd);
    if (d.is_neg) {
        cal_diag(c, CW_DIAG_ERROR, "cal.negative-duration", le, "DURATION is negative (give a "
                 "positive duration such as PT1H)");
        return;
    }
    duration_of(d, &k->dur_days, &k->dur_secs);
    k->has_duration = 1;
    if (k->has_start && k->dtstart.kind == CT_DATE) {
        int64_t days = k->dur_days + (k->dur_secs + 86399) / 86400;
        if (days < 1 || k->dur_secs % 86400)
            cal_diag(c, CW_DIAG_WARNING, "cal.allday-duration", le, "an all-day event with a "
                     "DURATION of %s (it was read as %lld day%s; write whole days such as P1D)",
                     days < 1 ? "zero" : "part of a day", (long long)(days < 1 ? 1 : days),
                     days <= 1 ? "" : "s");
        k->dur_days = (int)(days < 1 ? 1 : days);
        k->dur_secs = 0;
    }
}

/* DTEND or DURATION; DTEND wins when both are given (Thunderbird writes both). */
static void read_end(cal_load *c, icalcomponent *ev, cal_comp *k, int a, int b)
{
    icalproperty *pe = icalcomponent_get_first_property(ev, ICAL_DTEND_PROPERTY);
    icalproperty *pd = icalcomponent_get_first_property(ev, ICAL_DURATION_PROPERTY);
    if (pe && pd) {
        cal_diag(c, CW_DIAG_WARNING, "cal.dtend-and-duration", cal_prop_line(c, a, b, "DURATION", 0),
                 "the event has both DTEND and DURATION (DTEND was used, as calendar apps do; "
                 "remove DURATION)");
        pd = NULL;
    }
    if (pe)
        read_dtend(c, pe, k, cal_prop_line(c, a, b, "DTEND", 0));
    else if (pd)
        read_duration(c, pd, k, cal_prop_line(c, a, b, "DURATION", 0));
    if (!k->has_start || k->dtstart.kind == CT_DATE || k->skipped)
        return;
    /* an end past the year 9999 cannot be a time: refuse it rather than overflow */
    int64_t end = k->has_dtend ? k->dtend.wall
                               : k->dtstart.wall + (int64_t)k->dur_days * 86400 + k->dur_secs;
    if (end > CAL_LAST_WALL)
        cal_diag(c, CW_DIAG_ERROR, "cal.date-overflow", cal_prop_line(c, a, b, k->has_dtend ? "DTEND"
                 : "DURATION", 0), "the event ends after the year 9999 (correct its end)");
}

static int rscale_supported(const char *name)
{
    icalarray *cals = icalrecurrencetype_rscale_supported_calendars();
    int ok = 0;
    for (size_t i = 0; cals && i < cals->num_elements && !ok; i++)
        ok = strcasecmp(*(const char **)icalarray_element_at(cals, i), name) == 0;
    if (cals)
        icalarray_free(cals);
    return ok;
}

/* UNTIL of a rule: kept aside (chalkwave applies it, in the rule's frame). */
static void read_until(cal_load *c, cal_comp *k, cal_rrule *rr, int lr)
{
    struct icaltimetype u = rr->r.until;
    if (icaltime_is_null_time(u))
        return;
    rr->has_until = 1;
    rr->until.wall = cal_wall_of(u);
    rr->until.kind = u.is_date ? CT_DATE : icaltime_is_utc(u) ? CT_UTC : CT_FLOAT;
    rr->r.until = icaltime_null_time();
    if (!k->has_start)
        return;
    int before;
    if (rr->until.kind == CT_UTC && k->dtstart.kind != CT_DATE)
        before = rr->until.wall < cal_time_utc(c->set, &k->dtstart);
    else
        before = cw_floor_div(rr->until.wall, rr->until.kind == CT_DATE ? 86400 : 1) <
                 cw_floor_div(k->dtstart.wall, rr->until.kind == CT_DATE ? 86400 : 1);
    if (before) {
        cal_diag(c, CW_DIAG_WARNING, "cal.until-before-dtstart", lr, "the RRULE's UNTIL is before "
                 "DTSTART (only DTSTART is scheduled; correct UNTIL)");
        k->until_before_start = 1;
    }
}

static void read_rules(cal_load *c, icalcomponent *ev, cal_comp *k, const cal_raw_comp *rc, int a,
                       int b)
{
    int nr = 0;
    for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY); p;
         p = icalcomponent_get_next_property(ev, ICAL_RRULE_PROPERTY), nr++) {
        int lr = cal_prop_line(c, a, b, "RRULE", nr);
        struct icalrecurrencetype r = icalproperty_get_rrule(p);
        if (r.freq == ICAL_NO_RECURRENCE)
            continue;
        if (rc->has_rid) {
            cal_diag(c, CW_DIAG_WARNING, "cal.override-rrule", lr, "an instance with RECURRENCE-ID "
                     "has an RRULE (it was ignored)");
            continue;
        }
        char *rscale = NULL;
        if (r.rscale && *r.rscale && strcasecmp(r.rscale, "GREGORIAN") != 0) {
            if (!rscale_supported(r.rscale)) {
                cal_diag(c, CW_DIAG_ERROR, "cal.rscale-unsupported", lr, "RRULE has RSCALE=%s, a "
                         "calendar system this system's libical cannot compute (it is never "
                         "read as Gregorian; write the dates as RDATEs)", r.rscale);
                continue;
            }
            if (!(rscale = cw_strdup(r.rscale))) {
                c->oom = 1;
                return;
            }
        }
        if (cal_grow_one(&k->rrules, &k->n_rrules, sizeof *k->rrules)) {
            free(rscale);
            c->oom = 1;
            return;
        }
        cal_rrule *rr = &k->rrules[k->n_rrules++];
        memset(rr, 0, sizeof *rr);
        rr->r = r;
        rr->r.rscale = rscale;
        read_until(c, k, rr, lr);
        if (r.interval < 1)
            rr->r.interval = 1;
        /* libical yields the times of a day in list order (BYHOUR=23,9 gives 23:00 before
         * 09:00), and expansion relies on ascending times: these are sets, sort them */
        sort_by_list(rr->r.by_hour, ICAL_BY_HOUR_SIZE);
        sort_by_list(rr->r.by_minute, ICAL_BY_MINUTE_SIZE);
        sort_by_list(rr->r.by_second, ICAL_BY_SECOND_SIZE);
    }
}

static void read_rdates(cal_load *c, icalcomponent *ev, cal_comp *k, int a, int b)
{
    int nrd = 0;
    for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_RDATE_PROPERTY); p;
         p = icalcomponent_get_next_property(ev, ICAL_RDATE_PROPERTY), nrd++) {
        int lr = cal_prop_line(c, a, b, "RDATE", nrd);
        struct icaldatetimeperiodtype dp = icalproperty_get_rdate(p);
        cal_rdate rd;
        memset(&rd, 0, sizeof rd);
        if (!icaltime_is_null_time(dp.time)) {
            if (cal_make_time(c, p, dp.time, lr, "RDATE", &rd.t))
                continue;
        } else if (!icaltime_is_null_time(dp.period.start)) {
            if (cal_make_time(c, p, dp.period.start, lr, "RDATE", &rd.t))
                continue;
            rd.is_period = 1;
            if (!icaltime_is_null_time(dp.period.end)) {
                if (cal_make_time(c, p, dp.period.end, lr, "RDATE", &rd.end))
                    continue;
            } else {
                rd.has_dur = 1;
                duration_of(dp.period.duration, &rd.dur_days, &rd.dur_secs);
            }
        } else {
            continue;
        }
        if (cal_grow_one(&k->rdates, &k->n_rdates, sizeof *k->rdates)) {
            c->oom = 1;
            return;
        }
        k->rdates[k->n_rdates++] = rd;
    }
}

static void read_exdates(cal_load *c, icalcomponent *ev, cal_comp *k, int a, int b)
{
    int nex = 0;
    for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_EXDATE_PROPERTY); p;
         p = icalcomponent_get_next_property(ev, ICAL_EXDATE_PROPERTY), nex++) {
        int lx = cal_prop_line(c, a, b, "EXDATE", nex);
        cal_time t;
        if (cal_make_time(c, p, icalproperty_get_exdate(p), lx, "EXDATE", &t) || !k->has_start)
            continue;
        cal_exdate x;
        if (t.kind == CT_DATE || k->dtstart.kind == CT_DATE) {
            x.is_date = 1;
            x.key = cw_floor_div(t.wall, 86400);
        } else {
            x.is_date = 0; /* without TZID: in DTSTART's zone */
            x.key = t.kind == CT_FLOAT ? cal_frame_wall_to_utc(c->set, &k->dtstart, t.wall)
                                       : cal_time_utc(c->set, &t);
        }
        if (cal_grow_one(&k->exdates, &k->n_exdates, sizeof *k->exdates)) {
            c->oom = 1;
            return;
        }
        k->exdates[k->n_exdates++] = x;
    }
}

/* Read one VEVENT (lines a..b). Returns the component, or NULL when out of memory
 * (c->oom). An event with errors comes back with `skipped` set (its errors given, each
 * naming it); `placeable` says whether it has a start to be reported at. */
cal_comp *cal_read_event(cal_load *c, icalcomponent *ev, int a, int b, cal_raw_comp *rc)
{
    cal_comp *k = calloc(1, sizeof *k);
    if (!k) {
        c->oom = 1;
        return NULL;
    }
    k->line = a;
    read_identity(c, ev, k, a);
    c->cur = k;
    c->item = k->uid;
    cal_lic_errors(c, ev, a, b, 1);
    cal_raw_dates(c, a, b);
    read_text(c, ev, k, a);
    read_rid(c, ev, k, rc, a, b);
    read_start(c, ev, k, rc, a, b);
    read_end(c, ev, k, a, b);
    read_rules(c, ev, k, rc, a, b);
    read_rdates(c, ev, k, a, b);
    read_exdates(c, ev, k, a, b);
    c->cur = NULL;
    c->item = NULL;
    if (c->oom) {
        cal_comp_free(k);
        return NULL;
    }
    k->placeable = k->has_start;
    return k;
}
