/* zones.c — the zone of each time value of a file: its TZID resolved (the system zoneinfo,
 * the file's VTIMEZONE, Windows and Outlook names, fixed offsets, X-WR-TIMEZONE) or
 * floating, dates and UTC; and which zone a file is written for.
 * Guarantees: a TZID is resolved the same way everywhere in a file, each assumption is one
 * warning naming the line; an unknown zone is an error, never silently floating. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "read_int.h"

static const cw_tz *file_zone(cal_load *c, const char *tzid)
{
    for (size_t i = 0; i < c->n_zones; i++)
        if (strcmp(c->ztzid[i], tzid) == 0)
            return c->zone[i];
    return NULL;
}

static const char *hint_zone(const char *tzid, char *buf, size_t n)
{
    /* A city part that matches a system zone: "Paris" -> "Europe/Paris". */
    const char *city = strrchr(tzid, '/');
    city = city ? city + 1 : tzid;
    icalarray *all = icaltimezone_get_builtin_timezones();
    for (size_t i = 0; all && i < all->num_elements; i++) {
        icaltimezone *z = icalarray_element_at(all, i);
        const char *loc = icaltimezone_get_location(z);
        if (!loc)
            continue;
        const char *lc = strrchr(loc, '/');
        lc = lc ? lc + 1 : loc;
        if (strcasecmp(lc, city) == 0 || strcasecmp(loc, tzid) == 0) {
            snprintf(buf, n, "did you mean '%s'?", loc);
            return buf;
        }
    }
    snprintf(buf, n, "use an IANA name such as Europe/Paris, or include its VTIMEZONE");
    return buf;
}

/* A fixed offset written as a zone name: "UTC+01", "GMT-3", "UTC+05:30", "GMT+0530",
 * "(UTC+01:00)". Returns 1 and *off (s east of UTC), or 0. */
static int parse_fixed(const char *s, int *off)
{
    int paren = *s == '(';
    s += paren;
    if (strncasecmp(s, "UTC", 3) != 0 && strncasecmp(s, "GMT", 3) != 0)
        return 0;
    s += 3;
    while (*s == ' ')
        s++;
    if (*s != '+' && *s != '-')
        return 0;
    int sign = *s++ == '-' ? -1 : 1, h = 0, m = 0, nd = 0;
    while (isdigit((unsigned char)*s) && nd < 2)
        h = h * 10 + (*s++ - '0'), nd++;
    if (!nd)
        return 0;
    if (*s == ':' || (isdigit((unsigned char)s[0]) && isdigit((unsigned char)s[1]))) {
        s += *s == ':';
        if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
            return 0;
        m = (s[0] - '0') * 10 + (s[1] - '0');
        s += 2;
    }
    if (paren && *s++ != ')')
        return 0;
    if (*s || h > 14 || m > 59)
        return 0;
    *off = sign * (h * 3600 + m * 60);
    return 1;
}

/* The set's fixed-offset zone (adopted once, named "@UTC+01:00"). */
static const cw_tz *fixed_zone(cal_load *c, int off)
{
    cw_tz *tz;
    if (cal_tz_fixed(&tz, off)) {
        c->oom = 1;
        return NULL;
    }
    const cw_tz *have = cal_set_system_zone(c->set, tz->name); /* finds "@UTC+01:00" */
    if (have) {
        cw_tz_free(tz);
        return have;
    }
    char *nn = cw_asprintf("@%s", tz->name);
    if (!nn || cal_set_adopt_zone(c->set, tz)) {
        free(nn);
        cw_tz_free(tz);
        c->oom = 1;
        return NULL;
    }
    free(tz->name);
    tz->name = nn;
    return tz;
}

/* A name the system zoneinfo knows. IANA "Area/City" names are always read with the system
 * zoneinfo (the file's VTIMEZONE may cover only some years); other names (Outlook's, EST,
 * CET, "Customized Time Zone") with the file's VTIMEZONE first. */
static int iana_name(const char *tzid)
{
    return tzid[0] != '/' && strchr(tzid, '/') != NULL;
}

/* What the file says its zone is (X-WR-TIMEZONE), resolved without fallbacks; NULL when none
 * (a warning once when it names nothing chalkwave knows). */
static const cw_tz *x_wr_zone(cal_load *c)
{
    if (!c->x_wr_tz)
        return NULL;
    const char *iana = cw_tz_windows_to_iana(c->x_wr_tz);
    const cw_tz *tz = file_zone(c, c->x_wr_tz);
    if (!tz || iana_name(c->x_wr_tz))
        tz = cal_set_system_zone(c->set, iana ? iana : c->x_wr_tz);
    if (!tz && !c->x_wr_warned++)
        cal_diag(c, CW_DIAG_WARNING, "cal.unknown-x-wr-timezone", c->x_wr_line,
                 "X-WR-TIMEZONE '%s' is not a time zone chalkwave knows (it was ignored; use "
                 "an IANA name such as Africa/Nairobi)", c->x_wr_tz);
    return tz;
}

/* A TZID the tables do not resolve: X-WR-TIMEZONE, the offset in an Outlook display name,
 * or (for Outlook's "Customized Time Zone" without its VTIMEZONE) the station's zone; NULL
 * with an error when there is no way. Warnings are given once per TZID (resolve_tzid caches). */
static const cw_tz *fallback_zone(cal_load *c, const char *tzid, int line, const char *prop)
{
    const cw_tz *tz = x_wr_zone(c);
    if (tz) {
        cal_diag(c, CW_DIAG_WARNING, "cal.tzid-from-x-wr-timezone", line,
                 "time zone '%s' is not defined in the file nor known (it was read as the "
                 "calendar's X-WR-TIMEZONE, %s; export the calendar with its VTIMEZONE)", tzid,
                 c->x_wr_tz);
        return tz;
    }
    int off;
    if (tzid[0] == '(' && parse_fixed(tzid, &off) == 0) {
        const char *close = strchr(tzid, ')');
        char pre[16];
        snprintf(pre, sizeof pre, "%.*s", close ? (int)(close - tzid + 1) : 0, tzid);
        if (close && parse_fixed(pre, &off) && (tz = fixed_zone(c, off)) != NULL) {
            cal_diag(c, CW_DIAG_WARNING, "cal.tzid-offset-only", line,
                     "time zone '%s' is not one chalkwave knows (it was read as a fixed %s "
                     "without daylight saving; export the calendar with its VTIMEZONE)", tzid,
                     tz->name + 1);
            return tz;
        }
    }
    if (strncasecmp(tzid, "Customized Time Zone", 20) == 0 ||
        strncasecmp(tzid, "tzone://Microsoft/", 18) == 0) {
        cal_diag(c, CW_DIAG_WARNING, "cal.tzid-station-zone", line,
                 "Outlook's '%s' without its VTIMEZONE (it was read in the station's zone, %s; "
                 "export the calendar again from Outlook)", tzid, cw_tz_name(c->set->deftz));
        return c->set->deftz;
    }
    char hb[200];
    cal_diag(c, CW_DIAG_ERROR, "cal.unknown-tzid", line, "unknown time zone '%s' in %s (%s)", tzid,
             prop, hint_zone(tzid, hb, sizeof hb));
    return NULL;
}

static const cw_tz *resolve_uncached(cal_load *c, const char *tzid, int line, const char *prop)
{
    const cw_tz *tz = NULL;
    int off;
    if (iana_name(tzid) && (tz = cal_set_system_zone(c->set, tzid)) != NULL)
        return tz;
    if ((tz = file_zone(c, tzid)) != NULL || (tz = cal_set_system_zone(c->set, tzid)) != NULL)
        return tz;
    const char *iana = cw_tz_windows_to_iana(tzid);
    if (iana && (tz = cal_set_system_zone(c->set, iana)) != NULL)
        return tz;
    if (parse_fixed(tzid, &off) && (tz = fixed_zone(c, off)) != NULL) {
        cal_diag(c, CW_DIAG_WARNING, "cal.tzid-fixed-offset", line,
                 "time zone '%s' is read as a fixed %s, without daylight saving (if the partner's "
                 "clocks change, export the calendar with a named zone such as Europe/Paris)",
                 tzid, tz->name + 1);
        return tz;
    }
    /* Prefixed names: "/freeassociation.sourceforge.net/Europe/Paris",
     * "/mozilla.org/20050126_1/Europe/Paris". */
    for (const char *p = strchr(tzid, '/'); p; p = strchr(p + 1, '/'))
        if (p[1] && strchr(p + 1, '/') && (tz = cal_set_system_zone(c->set, p + 1)) != NULL)
            return tz;
    return c->oom ? NULL : fallback_zone(c, tzid, line, prop);
}

/* The zone of a TZID (README "Exactness and limits", time-zone resolution, in this order):
 * an IANA Area/City name -> the system zoneinfo; the file's VTIMEZONE; a system zone of that
 * name (UTC, EST); a Windows zone name or Outlook display name (CLDR and ics-parser tables);
 * a fixed offset (UTC+01, GMT-3); a vendor-prefixed IANA name; then the fallbacks above.
 * Each TZID is resolved once per file (so each warning is given once); an unknown one is an
 * error at every use (each event using it is skipped). */
static const cw_tz *resolve_tzid(cal_load *c, const char *tzid, int line, const char *prop)
{
    for (size_t i = 0; i < c->n_resolved; i++)
        if (strcmp(c->resolved[i].tzid, tzid) == 0) {
            if (!c->resolved[i].tz) {
                char hb[200];
                cal_diag(c, CW_DIAG_ERROR, "cal.unknown-tzid", line, "unknown time zone '%s' in "
                         "%s (%s)", tzid, prop, hint_zone(tzid, hb, sizeof hb));
            }
            return c->resolved[i].tz;
        }
    const cw_tz *tz = resolve_uncached(c, tzid, line, prop);
    if (c->n_resolved == c->cap_resolved &&
        cal_grow(&c->resolved, &c->cap_resolved, sizeof *c->resolved, 8)) {
        c->oom = 1;
        return tz;
    }
    char *copy = cw_strdup(tzid);
    if (!copy) {
        c->oom = 1;
        return tz;
    }
    c->resolved[c->n_resolved++] = (cal_tzid_use){copy, tz, 0, 0};
    return tz;
}

/* An IANA TZID read with the system zoneinfo while the file has its own VTIMEZONE of that
 * name: a warning (once per TZID) when the two give a wall time `wall` different instants. */
static void compare_vtimezone(cal_load *c, const char *tzid, const cw_tz *sys, int64_t wall, int line)
{
    const cw_tz *own = file_zone(c, tzid);
    if (!own || own == sys)
        return;
    int64_t us = cw_tz_wall_to_utc(sys, wall), uo = cw_tz_wall_to_utc(own, wall);
    if (us == uo)
        return;
    for (size_t i = 0; i < c->n_resolved; i++)
        if (strcmp(c->resolved[i].tzid, tzid) == 0) {
            if (c->resolved[i].compared++)
                return;
            break;
        }
    cw_civil w, a, b;
    cw_civil_from_wall(wall, &w);
    cw_tz_to_local(NULL, uo, &a, NULL);
    cw_tz_to_local(NULL, us, &b, NULL);
    cal_diag(c, CW_DIAG_WARNING, "cal.vtimezone-differs", line,
             "the file's VTIMEZONE for %s puts %04d-%02d-%02d %02d:%02d at %02d:%02d UTC where the "
             "system's time-zone database says %02d:%02d UTC (the system's is used for IANA names; "
             "the file's VTIMEZONE may be out of date or cover other years only)", tzid, w.year,
             w.month, w.day, w.hour, w.minute, a.hour, a.minute, b.hour, b.minute);
}

int64_t cal_wall_of(struct icaltimetype t)
{
    cw_civil cv = {t.year, t.month, t.day, t.is_date ? 0 : t.hour, t.is_date ? 0 : t.minute,
                   t.is_date ? 0 : t.second};
    return cw_wall_from_civil(&cv);
}

static const char *tzid_of(icalproperty *p)
{
    icalparameter *tp = icalproperty_get_first_parameter(p, ICAL_TZID_PARAMETER);
    return tp ? icalparameter_get_tzid(tp) : NULL;
}

/* 0 ok, -1 error already reported. */
int cal_make_time(cal_load *c, icalproperty *p, struct icaltimetype t, int line,
                     const char *prop, cal_time *out)
{
    memset(out, 0, sizeof *out);
    if (icaltime_is_null_time(t) || t.year < 1 || t.year > 9999 || t.month < 1 ||
        t.month > 12 || t.day < 1 || t.day > 31) {
        for (int i = 0; i < c->n_bad_line; i++)
            if (c->bad_line[i] == line)
                return -1; /* said already, more precisely */
        cal_diag(c, CW_DIAG_ERROR, "cal.invalid-date", line, "%s has an invalid date (write it as YYYYMMDD or "
             "YYYYMMDDTHHMMSS)", prop);
        return -1;
    }
    out->wall = cal_wall_of(t);
    if (t.is_date) {
        out->kind = CT_DATE;
        return 0;
    }
    if (icaltime_is_utc(t)) {
        out->kind = CT_UTC;
        return 0;
    }
    const char *tzid = p ? tzid_of(p) : NULL;
    if (tzid && *tzid) {
        const cw_tz *tz = resolve_tzid(c, tzid, line, prop);
        if (!tz)
            return -1;
        if (iana_name(tzid))
            compare_vtimezone(c, tzid, tz, out->wall, line);
        if (tz->n == 0 && tz->off0 == 0 && strcasecmp(tz->name, "UTC") == 0) {
            out->kind = CT_UTC;
            return 0;
        }
        out->kind = CT_ZONED;
        out->tz = tz;
        return 0;
    }
    /* floating: in the calendar's X-WR-TIMEZONE when it has one (Apple Calendar writes it for
     * exactly this; python-recurring-ical-events reads it so), else in the station's zone */
    const cw_tz *xz = c->x_wr_tz ? x_wr_zone(c) : NULL;
    if (xz) {
        if (!c->x_wr_floating_warned++)
            cal_diag(c, CW_DIAG_WARNING, "cal.floating-x-wr-timezone", line,
                     "times without a time zone (as here) are read in the calendar's "
                     "X-WR-TIMEZONE, %s (give them a TZID to be sure)", c->x_wr_tz);
        out->kind = xz == c->set->deftz ? CT_FLOAT : CT_ZONED;
        out->tz = out->kind == CT_ZONED ? xz : NULL;
        return 0;
    }
    out->kind = CT_FLOAT;
    return 0;
}

int cal_load_zones(cal_load *c, icalcomponent *cal)
{
    icalcompiter ci = icalcomponent_begin_component(cal, ICAL_VTIMEZONE_COMPONENT);
    for (icalcomponent *z; (z = icalcompiter_deref(&ci)) != NULL; icalcompiter_next(&ci)) {
        icalproperty *p = icalcomponent_get_first_property(z, ICAL_TZID_PROPERTY);
        const char *tzid = p ? icalproperty_get_tzid(p) : NULL;
        if (!tzid || !*tzid || file_zone(c, tzid))
            continue;
        cw_tz *tz;
        cw_error e;
        if (cw_tz_from_vtimezone(&tz, tzid, z, &e)) {
            if (e.text[0] && strstr(e.text, "memory"))
                return CW_ENOMEM;
            /* an empty VTIMEZONE: the TZID may still name a system zone */
            cal_diag(c, CW_DIAG_WARNING, "cal.empty-vtimezone", 1, "VTIMEZONE '%s' has no usable STANDARD or DAYLIGHT "
                 "part (the system zone of that name is used if there is one)", tzid);
            continue;
        }
        char **nt = realloc(c->ztzid, (c->n_zones + 1) * sizeof *nt);
        if (nt)
            c->ztzid = nt;
        cw_tz **nz = realloc(c->zone, (c->n_zones + 1) * sizeof *nz);
        if (nz)
            c->zone = nz;
        char *name = cw_strdup(tzid);
        if (!nt || !nz || !name || cal_set_adopt_zone(c->set, tz)) {
            free(name);
            cw_tz_free(tz);
            return CW_ENOMEM;
        }
        c->ztzid[c->n_zones] = name;
        c->zone[c->n_zones] = tz;
        c->n_zones++;
    }
    return 0;
}

/* The zone most of the file's events start in (by DTSTART), and one such event. */
static const cw_tz *main_zone(const cal_file *f, const cal_comp **example)
{
    const cw_tz *best = NULL;
    size_t best_n = 0;
    for (size_t i = 0; i < f->n_events; i++) {
        const cal_comp *m = f->events[i].master;
        if (!m || m->skipped || m->dtstart.kind != CT_ZONED || m->dtstart.tz == best)
            continue;
        size_t n = 0;
        const cal_comp *first = NULL;
        for (size_t j = 0; j < f->n_events; j++) {
            const cal_comp *x = f->events[j].master;
            if (x && !x->skipped && x->dtstart.kind == CT_ZONED && x->dtstart.tz == m->dtstart.tz) {
                n++;
                if (!first)
                    first = x;
            }
        }
        if (n > best_n) {
            best = m->dtstart.tz;
            best_n = n;
            *example = first;
        }
    }
    return best;
}

/* The first event in `zone` whose local time there differs from the station's; NULL when none
 * does. (Floating times are read in X-WR-TIMEZONE when there is one: they are in `zone` too.) */
static const cal_comp *zone_differs(const cw_calset *set, const cal_file *f, const cw_tz *zone, int64_t *at)
{
    for (size_t i = 0; i < f->n_events; i++) {
        const cal_comp *m = f->events[i].master;
        if (!m || m->skipped || m->dtstart.kind != CT_ZONED || m->dtstart.tz != zone)
            continue;
        int64_t t = cal_time_utc(set, &m->dtstart);
        if (cw_tz_offset_at(zone, t) != cw_tz_offset_at(set->deftz, t)) {
            *at = t;
            return m;
        }
    }
    return NULL;
}

void cal_file_zone(cal_load *c)
{
    cal_file *f = c->file;
    const cal_comp *ex = NULL;
    /* the zone most events start in (floating ones are read in X-WR-TIMEZONE, so they count
     * there); else what X-WR-TIMEZONE says */
    const cw_tz *zone = main_zone(f, &ex);
    int line = ex ? ex->line : c->x_wr_line;
    if (!zone && c->x_wr_tz)
        zone = x_wr_zone(c);
    if (!zone || !(f->zone = cw_strdup(zone == c->set->deftz ? cw_tz_name(zone) : cal_zone_name(zone)))) {
        if (zone)
            c->oom = 1;
        return;
    }
    if (!c->set->station_zone || zone == c->set->deftz)
        return;
    int64_t at;
    const cal_comp *m = zone_differs(c->set, f, zone, &at);
    if (!m)
        return;
    cw_civil there, here;
    cw_tz_to_local(zone, at, &there, NULL);
    cw_tz_to_local(c->set->deftz, at, &here, NULL);
    const char *zn = f->zone, *sn = cw_tz_name(c->set->deftz);
    cal_diag(c, CW_DIAG_WARNING, "cal.zone-differs", line,
             "the calendar is written for %s but the station is in %s: times are converted, so "
             "'%s' at %02d:%02d in %s airs at %02d:%02d station time (if the partner meant "
             "station time, ask them to set the calendar's time zone to %s)", zn, sn,
             m->summary && *m->summary ? m->summary : m->uid, there.hour, there.minute, zn,
             here.hour, here.minute, sn);
}
