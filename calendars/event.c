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
    for (size_t i = 0; i < k->n_rrules; i++)
        cal_rrule_release(&k->rrules[i]);
    free(k->rrules);
    free(k->rdates);
    free(k->exdates);
    free(k);
}

static char *textdup(const char *s)
{
    return cw_strdup(s ? s : "");
}

static const char *rrule_problem(const char *raw, char *buf, size_t n)
{
    /* Explain the common ways an RRULE is refused, from its text. */
    char *dup = cw_strdup(raw), *save = NULL;
    int has_count = 0, has_until = 0, has_freq = 0;
    const char *res = NULL;
    for (char *t = dup ? strtok_r(dup, ";", &save) : NULL; t && !res;
         t = strtok_r(NULL, ";", &save)) {
        char *eq = strchr(t, '=');
        if (!eq)
            continue;
        *eq = 0;
        const char *k = t, *v = eq + 1;
        long x = strtol(v, NULL, 10);
        if (strcasecmp(k, "FREQ") == 0) {
            has_freq = 1;
            if (icalrecur_string_to_freq(v) == ICAL_NO_RECURRENCE) {
                snprintf(buf, n, "FREQ=%s is not a frequency (use DAILY, WEEKLY, MONTHLY, "
                         "YEARLY, HOURLY, MINUTELY or SECONDLY)", v);
                res = buf;
            }
        } else if (strcasecmp(k, "INTERVAL") == 0 && x < 1) {
            snprintf(buf, n, "INTERVAL=%s must be 1 or more", v);
            res = buf;
        } else if (strcasecmp(k, "COUNT") == 0) {
            has_count = 1;
            if (x < 1) {
                snprintf(buf, n, "COUNT=%s must be 1 or more", v);
                res = buf;
            }
        } else if (strcasecmp(k, "UNTIL") == 0) {
            has_until = 1;
        } else if (strcasecmp(k, "BYHOUR") == 0 || strcasecmp(k, "BYMINUTE") == 0 ||
                   strcasecmp(k, "BYSECOND") == 0 || strcasecmp(k, "BYMONTH") == 0 ||
                   strcasecmp(k, "BYMONTHDAY") == 0 || strcasecmp(k, "BYYEARDAY") == 0 ||
                   strcasecmp(k, "BYWEEKNO") == 0 || strcasecmp(k, "BYSETPOS") == 0) {
            int lo = 0, hi = 0, neg = 0;
            if (strcasecmp(k, "BYHOUR") == 0)
                hi = 23;
            else if (strcasecmp(k, "BYMINUTE") == 0)
                hi = 59;
            else if (strcasecmp(k, "BYSECOND") == 0)
                hi = 60;
            else if (strcasecmp(k, "BYMONTH") == 0)
                lo = 1, hi = 12;
            else if (strcasecmp(k, "BYMONTHDAY") == 0)
                lo = 1, hi = 31, neg = 1;
            else if (strcasecmp(k, "BYYEARDAY") == 0)
                lo = 1, hi = 366, neg = 1;
            else if (strcasecmp(k, "BYWEEKNO") == 0)
                lo = 1, hi = 53, neg = 1;
            else
                lo = 1, hi = 366, neg = 1;
            char *s2 = NULL;
            for (char *u = strtok_r((char *)v, ",", &s2); u && !res;
                 u = strtok_r(NULL, ",", &s2)) {
                char *end;
                long y = strtol(u, &end, 10);
                long a = y < 0 && neg ? -y : y;
                if (*end || end == u || a < lo || a > hi || (y < 0 && !neg)) {
                    snprintf(buf, n, "%s=%s is out of range (%s%d..%d)", k, u,
                             neg ? "+/-" : "", lo, hi);
                    res = buf;
                }
            }
        }
    }
    if (!res && has_count && has_until) {
        snprintf(buf, n, "it has both COUNT and UNTIL (keep one of them)");
        res = buf;
    }
    if (!res && !has_freq) {
        snprintf(buf, n, "it has no FREQ (add e.g. FREQ=WEEKLY)");
        res = buf;
    }
    free(dup);
    return res ? res : "check it against RFC 5545 section 3.3.10";
}

/* Turn libical's X-LIC-ERROR properties of one component into diagnostics. */
void cal_lic_errors(cal_load *c, icalcomponent *ev, int a, int b, int *fatal)
{
    int seen[64] = {0};
    for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_XLICERROR_PROPERTY); p;
         p = icalcomponent_get_next_property(ev, ICAL_XLICERROR_PROPERTY)) {
        const char *msg = icalproperty_get_xlicerror(p);
        if (!msg)
            msg = "";
        /* "Can't parse as RECUR value in RRULE property. Removing entire property: VAL" */
        const char *in = strstr(msg, " in ");
        const char *pe = in ? strstr(in + 4, " property") : NULL;
        char prop[64] = "";
        if (in && pe && pe - (in + 4) < (ptrdiff_t)sizeof prop)
            snprintf(prop, sizeof prop, "%.*s", (int)(pe - (in + 4)), in + 4);
        const char *val = strstr(msg, "property: ");
        val = val ? val + 10 : "";
        char raw[512];
        size_t ri = 0;
        for (const char *q = val; *q && ri + 1 < sizeof raw; q++)
            if (!(q[0] == '\\' && (q[1] == ';' || q[1] == ',')))
                raw[ri++] = *q;
        raw[ri] = 0;
        if (strncmp(msg, "No value for ", 13) == 0 && strstr(msg, " property")) {
            /* An empty value (Google writes "LOCATION:"): harmless unless crucial. */
            snprintf(prop, sizeof prop, "%.*s", (int)(strstr(msg, " property") - (msg + 13)),
                     msg + 13);
            static const char *const need[] = {"DTSTART", "DTEND", "DURATION", "RRULE",
                                               "RDATE", "EXDATE", "RECURRENCE-ID"};
            for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
                if (strcasecmp(prop, need[i]) == 0) {
                    cal_diag(c, CW_DIAG_ERROR, cal_prop_line(c, a, b, prop, 0),
                         "%s has no value (give it one or remove the line)", prop);
                    *fatal = 1;
                }
            continue;
        }
        if (strncmp(msg, "Parse error in property name: ", 30) == 0) {
            int line = cal_prop_line(c, a, b, msg + 30, 0);
            cal_diag(c, CW_DIAG_WARNING, line, "unknown property '%s' (it was ignored)",
                 msg + 30);
            continue;
        }
        if (!*prop) {
            cal_diag(c, CW_DIAG_ERROR, a, "cannot read the event: %s (fix the line or export "
                 "the calendar again)", msg);
            *fatal = 1;
            continue;
        }
        /* n-th error on the same property name -> n-th such line */
        unsigned h = 0;
        for (const char *q = prop; *q; q++)
            h = h * 31 + (unsigned char)toupper((unsigned char)*q);
        int nth = seen[h % 64]++;
        int line = cal_prop_line(c, a, b, prop, nth);
        static const char *const crucial[] = {"DTSTART", "DTEND", "DURATION", "RRULE",
                                              "RDATE", "EXDATE", "RECURRENCE-ID"};
        int is_crucial = 0;
        for (size_t i = 0; i < sizeof crucial / sizeof crucial[0]; i++)
            if (strcasecmp(prop, crucial[i]) == 0)
                is_crucial = 1;
        if (strcasecmp(prop, "RRULE") == 0) {
            char pb[256];
            cal_diag(c, CW_DIAG_ERROR, line, "invalid RRULE '%s': %s", raw,
                 rrule_problem(raw, pb, sizeof pb));
            *fatal = 1;
        } else if (is_crucial) {
            cal_diag(c, CW_DIAG_ERROR, line, "cannot read %s value '%s' (write dates as "
                 "YYYYMMDD, date-times as YYYYMMDDTHHMMSS, durations as e.g. PT1H)", prop, raw);
            *fatal = 1;
        } else {
            cal_diag(c, CW_DIAG_WARNING, line, "cannot read %s value '%s' (it was ignored)", prop,
                 raw);
        }
    }
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

cal_comp *cal_read_event(cal_load *c, icalcomponent *ev, int a, int b, cal_raw_comp *rc)
{
    int fatal = 0;
    cal_lic_errors(c, ev, a, b, &fatal);
    if (cal_raw_dates(c, a, b))
        fatal = 1;
    cal_comp *k = calloc(1, sizeof *k);
    if (!k) {
        c->oom = 1;
        return NULL;
    }
    k->line = a;
    icalproperty *p;
    const char *uid = icalcomponent_get_uid(ev);
    if (uid && *uid)
        k->uid = cw_strdup(uid);
    else {
        cal_diag(c, CW_DIAG_WARNING, a, "the event has no UID (one was made from its line; "
             "export the calendar with UIDs)");
        k->uid = cw_asprintf("line-%d@%s", a, c->source);
    }
    p = icalcomponent_get_first_property(ev, ICAL_SUMMARY_PROPERTY);
    k->summary = textdup(p ? icalproperty_get_summary(p) : NULL);
    if (!p)
        free(k->summary), k->summary = NULL; /* inherit from master when an override */
    p = icalcomponent_get_first_property(ev, ICAL_DESCRIPTION_PROPERTY);
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

    /* DTSTART */
    p = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
    int ls = cal_prop_line(c, a, b, "DTSTART", 0);
    if (!p) {
        if (!fatal)
            cal_diag(c, CW_DIAG_ERROR, a, "the event '%s' has no DTSTART (give it a start time)",
                 k->uid);
        fatal = 1;
    } else if (cal_make_time(c, p, icalproperty_get_dtstart(p), ls, "DTSTART", &k->dtstart)) {
        fatal = 1;
    }
    /* DTEND / DURATION */
    icalproperty *pe = icalcomponent_get_first_property(ev, ICAL_DTEND_PROPERTY);
    icalproperty *pd = icalcomponent_get_first_property(ev, ICAL_DURATION_PROPERTY);
    int le = cal_prop_line(c, a, b, pe ? "DTEND" : "DURATION", 0);
    if (pe && pd) {
        cal_diag(c, CW_DIAG_ERROR, le, "the event has both DTEND and DURATION (keep one of them)");
        fatal = 1;
    } else if (pe) {
        if (cal_make_time(c, pe, icalproperty_get_dtend(pe), le, "DTEND", &k->dtend) == 0)
            k->has_dtend = 1;
        else
            fatal = 1;
    } else if (pd) {
        struct icaldurationtype d = icalproperty_get_duration(pd);
        duration_of(d, &k->dur_days, &k->dur_secs);
        if (d.is_neg) {
            cal_diag(c, CW_DIAG_ERROR, le, "DURATION is negative (give a positive duration such "
                 "as PT1H)");
            fatal = 1;
        } else {
            k->has_duration = 1;
            if (k->dtstart.kind == CT_DATE && k->dur_secs % 86400 != 0) {
                cal_diag(c, CW_DIAG_ERROR, le, "an all-day event needs a DURATION in whole days "
                     "or weeks (e.g. P1D)");
                fatal = 1;
            }
        }
    }
    if (!fatal && k->has_dtend) {
        if ((k->dtstart.kind == CT_DATE) != (k->dtend.kind == CT_DATE)) {
            cal_diag(c, CW_DIAG_ERROR, le, "DTEND is a %s but DTSTART is a %s (make both dates "
                 "or both date-times)", k->dtend.kind == CT_DATE ? "date" : "date-time",
                 k->dtstart.kind == CT_DATE ? "date" : "date-time");
            fatal = 1;
        } else {
            int64_t s = cal_time_utc(c->set, &k->dtstart), e = cal_time_utc(c->set, &k->dtend);
            if (k->dtstart.kind == CT_FLOAT && k->dtend.kind == CT_FLOAT)
                s = k->dtstart.wall, e = k->dtend.wall;
            if (e < s) {
                cal_diag(c, CW_DIAG_ERROR, le, "DTEND is before DTSTART (correct the end time)");
                fatal = 1;
            }
        }
    }
    /* RECURRENCE-ID */
    p = icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY);
    if (p) {
        int lr = cal_prop_line(c, a, b, "RECURRENCE-ID", 0);
        if (cal_make_time(c, p, icalproperty_get_recurrenceid(p), lr, "RECURRENCE-ID", &rc->rid))
            fatal = 1;
        else
            rc->has_rid = 1;
        icalparameter *rp = icalproperty_get_first_parameter(p, ICAL_RANGE_PARAMETER);
        if (rp)
            cal_diag(c, CW_DIAG_WARNING, lr, "RECURRENCE-ID;RANGE=THISANDFUTURE is not supported "
                 "(only this one instance is changed; export the series split in two)");
    }
    /* RRULE */
    int nr = 0;
    for (p = icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY); p;
         p = icalcomponent_get_next_property(ev, ICAL_RRULE_PROPERTY), nr++) {
        int lr = cal_prop_line(c, a, b, "RRULE", nr);
        struct icalrecurrencetype r = icalproperty_get_rrule(p);
        r.rscale = NULL;
        if (r.freq == ICAL_NO_RECURRENCE)
            continue;
        if (rc->has_rid) {
            cal_diag(c, CW_DIAG_WARNING, lr, "an instance with RECURRENCE-ID has an RRULE (it was "
                 "ignored)");
            continue;
        }
        cal_rrule *nv = realloc(k->rrules, (k->n_rrules + 1) * sizeof *nv);
        if (!nv) {
            c->oom = 1;
            break;
        }
        k->rrules = nv;
        cal_rrule *rr = &k->rrules[k->n_rrules++];
        memset(rr, 0, sizeof *rr);
        rr->r = r;
        if (!icaltime_is_null_time(r.until)) {
            rr->has_until = 1;
            rr->until.wall = cal_wall_of(r.until);
            rr->until.kind = r.until.is_date ? CT_DATE
                             : icaltime_is_utc(r.until) ? CT_UTC : CT_FLOAT;
            rr->r.until = icaltime_null_time();
            if (!fatal) {
                int before;
                if (rr->until.kind == CT_UTC && k->dtstart.kind != CT_DATE)
                    before = rr->until.wall < cal_time_utc(c->set, &k->dtstart);
                else
                    before = cw_floor_div(rr->until.wall, rr->until.kind == CT_DATE ? 86400 : 1) <
                             cw_floor_div(k->dtstart.wall, rr->until.kind == CT_DATE ? 86400 : 1);
                if (before) {
                    cal_diag(c, CW_DIAG_WARNING, lr, "the RRULE's UNTIL is before DTSTART (only "
                         "DTSTART is scheduled; correct UNTIL)");
                    k->until_before_start = 1;
                }
            }
        }
        if (r.interval < 1)
            rr->r.interval = 1;
        /* libical yields the times of a day in list order (BYHOUR=23,9 gives 23:00 before
         * 09:00), and expansion relies on ascending times: these are sets, sort them */
        sort_by_list(rr->r.by_hour, ICAL_BY_HOUR_SIZE);
        sort_by_list(rr->r.by_minute, ICAL_BY_MINUTE_SIZE);
        sort_by_list(rr->r.by_second, ICAL_BY_SECOND_SIZE);
    }
    /* RDATE */
    int nrd = 0;
    for (p = icalcomponent_get_first_property(ev, ICAL_RDATE_PROPERTY); p;
         p = icalcomponent_get_next_property(ev, ICAL_RDATE_PROPERTY), nrd++) {
        int lr = cal_prop_line(c, a, b, "RDATE", nrd);
        struct icaldatetimeperiodtype dp = icalproperty_get_rdate(p);
        cal_rdate rd;
        memset(&rd, 0, sizeof rd);
        if (!icaltime_is_null_time(dp.time)) {
            if (cal_make_time(c, p, dp.time, lr, "RDATE", &rd.t)) {
                fatal = 1;
                continue;
            }
        } else if (!icaltime_is_null_time(dp.period.start)) {
            if (cal_make_time(c, p, dp.period.start, lr, "RDATE", &rd.t)) {
                fatal = 1;
                continue;
            }
            rd.is_period = 1;
            if (!icaltime_is_null_time(dp.period.end)) {
                if (cal_make_time(c, p, dp.period.end, lr, "RDATE", &rd.end)) {
                    fatal = 1;
                    continue;
                }
            } else {
                rd.has_dur = 1;
                duration_of(dp.period.duration, &rd.dur_days, &rd.dur_secs);
            }
        } else
            continue;
        cal_rdate *nv = realloc(k->rdates, (k->n_rdates + 1) * sizeof *nv);
        if (!nv) {
            c->oom = 1;
            break;
        }
        k->rdates = nv;
        k->rdates[k->n_rdates++] = rd;
    }
    /* EXDATE: keys are computed once the frame is known (below) */
    int nex = 0;
    for (p = icalcomponent_get_first_property(ev, ICAL_EXDATE_PROPERTY); p;
         p = icalcomponent_get_next_property(ev, ICAL_EXDATE_PROPERTY), nex++) {
        int lx = cal_prop_line(c, a, b, "EXDATE", nex);
        cal_time t;
        if (cal_make_time(c, p, icalproperty_get_exdate(p), lx, "EXDATE", &t)) {
            fatal = 1;
            continue;
        }
        if (fatal)
            continue;
        cal_exdate x;
        if (t.kind == CT_DATE) {
            x.is_date = 1;
            x.key = cw_floor_div(t.wall, 86400);
        } else if (k->dtstart.kind == CT_DATE) {
            x.is_date = 1;
            x.key = cw_floor_div(t.wall, 86400);
        } else {
            x.is_date = 0;
            x.key = t.kind == CT_FLOAT ? cal_frame_wall_to_utc(c->set, &k->dtstart, t.wall)
                                       : cal_time_utc(c->set, &t);
        }
        cal_exdate *nv = realloc(k->exdates, (k->n_exdates + 1) * sizeof *nv);
        if (!nv) {
            c->oom = 1;
            break;
        }
        k->exdates = nv;
        k->exdates[k->n_exdates++] = x;
    }
    if (fatal || c->oom || !k->uid) {
        if (!k->uid)
            c->oom = 1;
        cal_comp_free(k);
        return NULL;
    }
    return k;
}
