/* export.c — the station's broadcast schedule as RFC 5545 text, built with libical.
 * Guarantees: one VTIMEZONE for the station zone with its bare IANA TZID (truncated to the
 * exported range), VEVENTs in local time, DTSTAMP given by the caller (deterministic output),
 * CRLF lines folded at 75 octets, valid UTF-8 (invalid input text is refused); times that
 * fall in a fall-back overlap are written in UTC so that no reader can misread them. */
#include <stdlib.h>
#include <string.h>

#include "calendars_int.h"

static struct icaltimetype local_time(const cw_tz *tz, int64_t utc, icaltimezone *zone)
{
    cw_civil c;
    cw_tz_to_local(tz, utc, &c, NULL);
    return cal_icaltime(&c, 0, zone);
}

static struct icaltimetype utc_time(int64_t utc)
{
    cw_civil c;
    cw_civil_from_wall(utc, &c);
    return cal_icaltime(&c, 0, icaltimezone_get_utc_timezone());
}

static int text_ok(const char *s)
{
    return !s || cw_utf8_valid(s, strlen(s));
}

static icalproperty *tzid_prop(icalproperty *p, const char *tzid)
{
    icalproperty_add_parameter(p, icalparameter_new_tzid(tzid));
    return p;
}

/* The zone's VTIMEZONE (libical's copy, truncated to a year before the first event) with a
 * bare IANA TZID, into cal. CW_ENOTFOUND when libical does not know the zone. */
static int add_vtimezone(icalcomponent *cal, const char *zname, const cw_export_event *events,
                         size_t n, int64_t dtstamp, cw_error *err)
{
    icaltimezone *sys = icaltimezone_get_builtin_timezone(zname);
    icalcomponent *vtz = sys ? icaltimezone_get_component(sys) : NULL;
    if (!vtz)
        return cw_fail(err, CW_ENOTFOUND, "", 0, "unknown time zone '%s' (use an IANA name such "
                       "as Europe/Paris)", zname);
    vtz = icalcomponent_new_clone(vtz);
    /* Keep the observances that matter for the exported range (and a year before). */
    int64_t lo = n ? events[0].start : dtstamp;
    for (size_t i = 0; i < n; i++)
        if (events[i].start < lo)
            lo = events[i].start;
    struct icaltimetype start = utc_time(lo - 366 * 86400);
    start.zone = NULL;
    icaltimezone_truncate_vtimezone(vtz, start, icaltime_null_time(), 0);
    /* bare IANA TZID, no libical prefix; drop libical's location extras */
    icalproperty *tp = icalcomponent_get_first_property(vtz, ICAL_TZID_PROPERTY);
    if (tp)
        icalproperty_set_tzid(tp, zname);
    else
        icalcomponent_add_property(vtz, icalproperty_new_tzid(zname));
    icalproperty *xl;
    while ((xl = icalcomponent_get_first_property(vtz, ICAL_X_PROPERTY)) != NULL) {
        icalcomponent_remove_property(vtz, xl);
        icalproperty_free(xl);
    }
    while ((xl = icalcomponent_get_first_property(vtz, ICAL_TZURL_PROPERTY)) != NULL) {
        icalcomponent_remove_property(vtz, xl);
        icalproperty_free(xl);
    }
    icalcomponent_add_component(cal, vtz);
    return 0;
}

static void add_x(icalcomponent *ev, const char *name, const char *value)
{
    if (!value || !*value)
        return;
    icalproperty *xp = icalproperty_new_x(value);
    icalproperty_set_x_name(xp, name);
    icalcomponent_add_property(ev, xp);
}

/* One VEVENT: times in the zone (UTC for an ambiguous fall-back time), text, meaning. */
static icalcomponent *export_event(const cw_export_event *e, const cw_tz *tz, const char *zname,
                                   int is_utc, int64_t dtstamp)
{
    icalcomponent *ev = icalcomponent_new(ICAL_VEVENT_COMPONENT);
    icalcomponent_add_property(ev, icalproperty_new_uid(e->uid));
    icalcomponent_add_property(ev, icalproperty_new_dtstamp(utc_time(dtstamp)));
    /* A local time in a fall-back overlap is read differently by different clients
     * (RFC 5545 says the first; python-icalendar takes the second): write UTC there. */
    int ambiguous = !is_utc && (cw_tz_wall_ambiguous(tz, cw_tz_utc_to_wall(tz, e->start)) ||
                                cw_tz_wall_ambiguous(tz, cw_tz_utc_to_wall(tz, e->end)));
    if (is_utc || ambiguous) {
        icalcomponent_add_property(ev, icalproperty_new_dtstart(utc_time(e->start)));
        icalcomponent_add_property(ev, icalproperty_new_dtend(utc_time(e->end)));
    } else {
        /* TZID parameters are written by hand: no libical zone lookups */
        icalcomponent_add_property(ev, tzid_prop(icalproperty_new_dtstart(local_time(tz, e->start, NULL)), zname));
        icalcomponent_add_property(ev, tzid_prop(icalproperty_new_dtend(local_time(tz, e->end, NULL)), zname));
    }
    icalcomponent_add_property(ev, icalproperty_new_summary(e->summary ? e->summary : ""));
    cw_buf d;
    cw_buf_init(&d);
    if (e->description && *e->description)
        cw_buf_puts(&d, e->description);
    if (e->series && *e->series)
        cw_buf_printf(&d, "%sSeries: %s", d.len ? "\n" : "", e->series);
    if (e->episode > 0)
        cw_buf_printf(&d, "%sEpisode: %d", d.len ? "\n" : "", e->episode);
    if (e->teacher && *e->teacher)
        cw_buf_printf(&d, "%sTeacher: %s", d.len ? "\n" : "", e->teacher);
    if (e->language && *e->language)
        cw_buf_printf(&d, "%sLanguage: %s", d.len ? "\n" : "", e->language);
    if (d.len)
        icalcomponent_add_property(ev, icalproperty_new_description(d.data));
    cw_buf_free(&d);
    if (e->categories && *e->categories)
        icalcomponent_add_property(ev, icalproperty_new_categories(e->categories));
    add_x(ev, "X-CHALKWAVE-SERIES", e->series);
    add_x(ev, "X-CHALKWAVE-TEACHER", e->teacher);
    add_x(ev, "X-CHALKWAVE-LANGUAGE", e->language);
    if (e->episode > 0) {
        char num[24];
        snprintf(num, sizeof num, "%d", e->episode);
        add_x(ev, "X-CHALKWAVE-EPISODE", num);
    }
    icalcomponent_add_property(ev, icalproperty_new_transp(ICAL_TRANSP_OPAQUE));
    return ev;
}

static int events_ok(const cw_export_event *events, size_t n, const char *calname, cw_error *err)
{
    if (!text_ok(calname))
        goto bad_text;
    for (size_t i = 0; i < n; i++) {
        const cw_export_event *e = &events[i];
        if (!text_ok(e->uid) || !text_ok(e->summary) || !text_ok(e->description) ||
            !text_ok(e->categories) || !text_ok(e->series) || !text_ok(e->teacher) ||
            !text_ok(e->language))
            goto bad_text;
        if (!e->uid || !*e->uid)
            return cw_fail(err, CW_EINVAL, "", 0, "an exported event has no UID (this is a "
                           "bug: please report it)");
    }
    return 0;
bad_text:
    return cw_fail(err, CW_EINVAL, "", 0, "text for the exported calendar is not UTF-8 (fix "
                   "the title or metadata of the recording)");
}

int cw_cal_export(const cw_export_event *events, size_t n, const char *zone_id,
                  const char *calname, int64_t dtstamp, char **out, size_t *out_len,
                  cw_error *err)
{
    *out = NULL;
    if (out_len)
        *out_len = 0;
    cw_cal_lib_init();
    const char *zname = zone_id && *zone_id ? zone_id : "UTC";
    cw_tz *tz = NULL;
    int rc = cw_tz_open(&tz, zname, err);
    if (rc)
        return rc;
    int is_utc = tz->n == 0 && tz->off0 == 0;
    if ((rc = events_ok(events, n, calname, err)) != 0) {
        cw_tz_free(tz);
        return rc;
    }
    icalcomponent *cal = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
    icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
    icalcomponent_add_property(cal, icalproperty_new_prodid("-//chalkwave//chalkwave " CW_VERSION "//EN"));
    icalcomponent_add_property(cal, icalproperty_new_calscale("GREGORIAN"));
    icalcomponent_add_property(cal, icalproperty_new_method(ICAL_METHOD_PUBLISH));
    if (calname && *calname)
        add_x(cal, "X-WR-CALNAME", calname);
    if (!is_utc) {
        add_x(cal, "X-WR-TIMEZONE", zname);
        if ((rc = add_vtimezone(cal, zname, events, n, dtstamp, err)) != 0) {
            icalcomponent_free(cal);
            cw_tz_free(tz);
            return rc;
        }
    }
    for (size_t i = 0; i < n; i++)
        icalcomponent_add_component(cal, export_event(&events[i], tz, zname, is_utc, dtstamp));
    char *s = icalcomponent_as_ical_string_r(cal);
    icalcomponent_free(cal);
    cw_tz_free(tz);
    if (!s)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory writing the calendar");
    size_t len = strlen(s);
    if (!cw_utf8_valid(s, len)) {
        free(s);
        return cw_fail(err, CW_EINTERNAL, "", 0, "the exported calendar is not UTF-8 (this "
                       "is a bug: please report it)");
    }
    *out = s;
    if (out_len)
        *out_len = len;
    return 0;
}
