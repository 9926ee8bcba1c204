/* libical_errors.c — libical's complaints about a component (X-LIC-ERROR properties) turned
 * into chalkwave diagnostics on the right line: an RRULE it could not read explained from its
 * text (INTERVAL=0, BYHOUR=25, COUNT with UNTIL), a time it could not read named. Inside an
 * event, what affects its time is an error (the event is skipped); the rest a warning. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "read_int.h"

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
void cal_lic_errors(cal_load *c, icalcomponent *ev, int a, int b, int in_event)
{
    cw_diag_severity err_or_warn = in_event ? CW_DIAG_ERROR : CW_DIAG_WARNING;
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
            if (strcasecmp(prop, "DTSTART") == 0 || strcasecmp(prop, "RECURRENCE-ID") == 0)
                cal_diag(c, err_or_warn, "cal.empty-value", cal_prop_line(c, a, b, prop, 0),
                         "%s has no value (give it one)", prop);
            continue;
        }
        if (strncmp(msg, "Parse error in property name: ", 30) == 0) {
            int line = cal_prop_line(c, a, b, msg + 30, 0);
            cal_diag(c, CW_DIAG_WARNING, "cal.unknown-property", line, "unknown property '%s' (it was ignored)",
                 msg + 30);
            continue;
        }
        if (!*prop) {
            cal_diag(c, err_or_warn, "cal.unreadable", a, "libical cannot read a line: %s (fix the "
                     "line or export the calendar again)", msg);
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
            cal_diag(c, err_or_warn, "cal.bad-rrule", line, "invalid RRULE '%s': %s", raw,
                     rrule_problem(raw, pb, sizeof pb));
        } else if (strcasecmp(prop, "DTEND") == 0 || strcasecmp(prop, "DURATION") == 0) {
            /* an end that cannot be read does not stop the event being placed: read it as
             * calendar apps do, without an end (RFC 5545 §3.6.1: a day for an all-day event,
             * else no length) */
            cal_diag(c, CW_DIAG_WARNING, "cal.bad-end", line, "cannot read %s value '%s' (it was "
                     "ignored: the event was read without an end, as calendar apps do; write "
                     "date-times as YYYYMMDDTHHMMSS, durations as e.g. PT1H)", prop, raw);
        } else if (is_crucial) {
            cal_diag(c, err_or_warn, "cal.bad-value", line, "cannot read %s value '%s' (write dates "
                     "as YYYYMMDD, date-times as YYYYMMDDTHHMMSS, durations as e.g. PT1H)", prop, raw);
        } else {
            cal_diag(c, CW_DIAG_WARNING, "cal.bad-value-ignored", line, "cannot read %s value '%s' (it was ignored)", prop,
                 raw);
        }
    }
}
