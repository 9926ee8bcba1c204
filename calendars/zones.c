/* zones.c — the zone of each time value of a file: its TZID resolved (the file's VTIMEZONE,
 * the system zoneinfo, Windows names) or floating, dates and UTC. */
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

static const cw_tz *resolve_tzid(cal_load *c, const char *tzid, int line, const char *prop)
{
    const cw_tz *tz = file_zone(c, tzid);
    if (tz)
        return tz;
    tz = cal_set_system_zone(c->set, tzid);
    if (tz)
        return tz;
    const char *iana = cw_tz_windows_to_iana(tzid);
    if (iana && (tz = cal_set_system_zone(c->set, iana)) != NULL)
        return tz;
    /* Prefixed names: "/freeassociation.sourceforge.net/Europe/Paris",
     * "/mozilla.org/20050126_1/Europe/Paris". */
    for (const char *p = strchr(tzid, '/'); p; p = strchr(p + 1, '/')) {
        if (p[1] && strchr(p + 1, '/') && (tz = cal_set_system_zone(c->set, p + 1)) != NULL)
            return tz;
    }
    char hb[200];
    cal_diag(c, CW_DIAG_ERROR, line, "unknown time zone '%s' in %s (%s)", tzid, prop,
         hint_zone(tzid, hb, sizeof hb));
    return NULL;
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
        cal_diag(c, CW_DIAG_ERROR, line, "%s has an invalid date (write it as YYYYMMDD or "
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
        if (tz->n == 0 && tz->off0 == 0 && strcasecmp(tz->name, "UTC") == 0) {
            out->kind = CT_UTC;
            return 0;
        }
        out->kind = CT_ZONED;
        out->tz = tz;
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
            cal_diag(c, CW_DIAG_WARNING, 1, "VTIMEZONE '%s' has no usable STANDARD or DAYLIGHT "
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
