/* tz.c — time zones as sorted transition tables built from VTIMEZONE components (a file's
 * own, or libical's copy of the system zoneinfo), and exact conversions both ways.
 * Guarantees: UTC -> local is a binary search; local -> UTC follows RFC 5545 §3.3.5 (a time
 * in a gap uses the offset before the gap; an ambiguous time is the first occurrence). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "calendars_int.h"

#define TZ_HORIZON_YEAR 2200 /* observance rules are expanded up to here */

int64_t cw_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        q--;
    return q;
}

int64_t cw_wall_from_civil(const cw_civil *c)
{
    return cw_days_from_civil(c->year, c->month, c->day) * 86400 + c->hour * 3600 +
           c->minute * 60 + c->second;
}

void cw_civil_from_wall(int64_t wall, cw_civil *out)
{
    int64_t days = cw_floor_div(wall, 86400);
    int64_t sod = wall - days * 86400;
    cw_civil_from_days(days, &out->year, &out->month, &out->day);
    out->hour = (int)(sod / 3600);
    out->minute = (int)(sod / 60 % 60);
    out->second = (int)(sod % 60);
}

void cw_cal_lib_init(void)
{
    static int done;
    if (done)
        return;
    done = 1;
    icalerror_set_errors_are_fatal(0);
    /* libical reports through X-LIC-ERROR properties and icalerrno; chalkwave turns
     * those into diagnostics, so none of its error states may abort or print. */
    icalerror_set_error_state(ICAL_NEWFAILED_ERROR, ICAL_ERROR_NONFATAL);
    icalerror_set_error_state(ICAL_MALFORMEDDATA_ERROR, ICAL_ERROR_NONFATAL);
    icalerror_set_error_state(ICAL_BADARG_ERROR, ICAL_ERROR_NONFATAL);
    icalerror_set_error_state(ICAL_PARSE_ERROR, ICAL_ERROR_NONFATAL);
    icalerror_set_error_state(ICAL_INTERNAL_ERROR, ICAL_ERROR_NONFATAL);
    icalerror_set_error_state(ICAL_FILE_ERROR, ICAL_ERROR_NONFATAL);
    icalerror_set_error_state(ICAL_USAGE_ERROR, ICAL_ERROR_NONFATAL);
    icalerror_set_error_state(ICAL_UNIMPLEMENTED_ERROR, ICAL_ERROR_NONFATAL);
    icalerror_set_error_state(ICAL_UNKNOWN_ERROR, ICAL_ERROR_NONFATAL);
}

/* ---- building a table -------------------------------------------------------------- */

typedef struct tz_tr {
    int64_t utc;
    int off;
    int from;
} tz_tr;

typedef struct tr_list {
    tz_tr *v;
    size_t n, cap;
} tr_list;

static int tr_push(tr_list *l, int64_t utc, int off, int from)
{
    if (l->n == l->cap && cal_grow(&l->v, &l->cap, sizeof *l->v, 64))
        return -1;
    l->v[l->n].utc = utc;
    l->v[l->n].off = off;
    l->v[l->n].from = from;
    l->n++;
    return 0;
}

static int tr_cmp(const void *a, const void *b)
{
    const tz_tr *x = a, *y = b;
    return (x->utc > y->utc) - (x->utc < y->utc);
}

static int64_t wall_of_icaltime(struct icaltimetype t)
{
    cw_civil c = {t.year, t.month, t.day, t.is_date ? 0 : t.hour, t.is_date ? 0 : t.minute,
                  t.is_date ? 0 : t.second};
    return cw_wall_from_civil(&c);
}

/* Onsets of one STANDARD/DAYLIGHT observance. */
static int expand_observance(icalcomponent *obs, tr_list *l)
{
    icalproperty *p = icalcomponent_get_first_property(obs, ICAL_DTSTART_PROPERTY);
    icalproperty *pf = icalcomponent_get_first_property(obs, ICAL_TZOFFSETFROM_PROPERTY);
    icalproperty *pt = icalcomponent_get_first_property(obs, ICAL_TZOFFSETTO_PROPERTY);
    if (!p || !pt)
        return 0; /* unusable observance: ignored */
    struct icaltimetype ds = icalproperty_get_dtstart(p);
    if (icaltime_is_null_time(ds))
        return 0;
    int to = icalproperty_get_tzoffsetto(pt);
    int from = pf ? icalproperty_get_tzoffsetfrom(pf) : to;
    int64_t w0 = wall_of_icaltime(ds);
    if (tr_push(l, w0 - from, to, from))
        return -1;
    for (icalproperty *rp = icalcomponent_get_first_property(obs, ICAL_RDATE_PROPERTY); rp;
         rp = icalcomponent_get_next_property(obs, ICAL_RDATE_PROPERTY)) {
        struct icaldatetimeperiodtype dp = icalproperty_get_rdate(rp);
        struct icaltimetype t = icaltime_is_null_time(dp.time) ? dp.period.start : dp.time;
        if (icaltime_is_null_time(t))
            continue;
        int64_t w = wall_of_icaltime(t);
        if (tr_push(l, icaltime_is_utc(t) ? w : w - from, to, from))
            return -1;
    }
    for (icalproperty *rp = icalcomponent_get_first_property(obs, ICAL_RRULE_PROPERTY); rp;
         rp = icalcomponent_get_next_property(obs, ICAL_RRULE_PROPERTY)) {
        struct icalrecurrencetype r = icalproperty_get_rrule(rp);
        if (r.freq == ICAL_NO_RECURRENCE)
            continue;
        int has_until = !icaltime_is_null_time(r.until);
        int64_t until = 0;
        if (has_until) {
            until = wall_of_icaltime(r.until);
            if (!icaltime_is_utc(r.until))
                until -= from; /* local until: read in the offset before the onset */
            if (r.until.is_date)
                until += 86399;
        }
        r.until = icaltime_null_time();
        struct icaltimetype st = ds;
        st.zone = NULL;
        st.is_date = 0;
        icalrecur_iterator *it = icalrecur_iterator_new(r, st);
        if (!it)
            continue;
        int steps = 0;
        for (;;) {
            struct icaltimetype t = icalrecur_iterator_next(it);
            if (icaltime_is_null_time(t) || t.year > TZ_HORIZON_YEAR || ++steps > 20000)
                break;
            int64_t u = wall_of_icaltime(t) - from;
            if (has_until && u > until)
                break;
            if (tr_push(l, u, to, from)) {
                icalrecur_iterator_free(it);
                return -1;
            }
        }
        icalrecur_iterator_free(it);
    }
    return 0;
}

int cw_tz_from_vtimezone(cw_tz **out, const char *name, icalcomponent *vtz, cw_error *err)
{
    *out = NULL;
    cw_cal_lib_init();
    tr_list l = {0};
    icalcompiter ci = icalcomponent_begin_component(vtz, ICAL_ANY_COMPONENT);
    for (icalcomponent *c; (c = icalcompiter_deref(&ci)) != NULL; icalcompiter_next(&ci)) {
        icalcomponent_kind k = icalcomponent_isa(c);
        if (k != ICAL_XSTANDARD_COMPONENT && k != ICAL_XDAYLIGHT_COMPONENT)
            continue;
        if (expand_observance(c, &l)) {
            free(l.v);
            return cw_fail(err, CW_ENOMEM, "", 0, "out of memory reading time zone '%s'", name);
        }
    }
    if (l.n == 0) {
        free(l.v);
        return cw_fail(err, CW_EINVAL, "", 0,
                       "time zone '%s' has no usable STANDARD or DAYLIGHT part "
                       "(include a complete VTIMEZONE or use an IANA zone name)", name);
    }
    qsort(l.v, l.n, sizeof *l.v, tr_cmp);
    cw_tz *tz = calloc(1, sizeof *tz);
    if (!tz) {
        free(l.v);
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    tz->name = cw_strdup(name);
    tz->utc = malloc(l.n * sizeof *tz->utc);
    tz->off = malloc(l.n * sizeof *tz->off);
    if (!tz->name || !tz->utc || !tz->off) {
        free(l.v);
        cw_tz_free(tz);
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    tz->off0 = l.v[0].from;
    size_t n = 0;
    for (size_t i = 0; i < l.n; i++) {
        /* Same instant twice (overlapping observances): the later-listed wins. */
        if (n > 0 && tz->utc[n - 1] == l.v[i].utc) {
            tz->off[n - 1] = l.v[i].off;
            continue;
        }
        int prev = n ? tz->off[n - 1] : tz->off0;
        if (l.v[i].off == prev)
            continue; /* not a change */
        tz->utc[n] = l.v[i].utc;
        tz->off[n] = l.v[i].off;
        n++;
    }
    tz->n = n;
    free(l.v);
    *out = tz;
    return 0;
}

static int is_utc_name(const char *name)
{
    static const char *const names[] = {"UTC", "Etc/UTC", "GMT", "Etc/GMT", "Z", "Zulu",
                                        "Etc/Universal", "Universal", "Etc/Zulu", "UCT",
                                        "Etc/UCT", "GMT0", "Etc/GMT0", "Etc/GMT+0",
                                        "Etc/GMT-0", "Greenwich", "Etc/Greenwich"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(name, names[i]) == 0)
            return 1;
    return 0;
}

/* ---- system zones: TZif files ------------------------------------------------------ */
/* libical's VTIMEZONE copies of the system zones approximate history with made-up rules
 * (e.g. America/Sao_Paulo 2014), so system zones are read from the TZif files directly:
 * explicit transitions, then the POSIX TZ footer for the years after them. */

static int64_t be(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    if (n == 4)
        return (int32_t)(uint32_t)v;
    return (int64_t)v;
}

typedef struct posix_rule {
    int kind;       /* 'M' month.week.day, 'J' julian 1..365 no leap, 'N' 0..365 */
    int m, w, d, n;
    int time;       /* seconds after local midnight (may be negative or > 24 h) */
} posix_rule;

typedef struct posix_tz {
    int std_off, dst_off; /* east of UTC */
    int has_dst;
    posix_rule start, end;
} posix_tz;

static const char *p_name(const char *s)
{
    if (*s == '<') {
        const char *e = strchr(s, '>');
        return e ? e + 1 : NULL;
    }
    const char *b = s;
    while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z'))
        s++;
    return s - b >= 3 ? s : NULL;
}

static const char *p_hms(const char *s, int *out)
{
    int sign = 1;
    if (*s == '+' || *s == '-')
        sign = *s++ == '-' ? -1 : 1;
    if (*s < '0' || *s > '9')
        return NULL;
    int h = 0, m = 0, sec = 0;
    while (*s >= '0' && *s <= '9')
        h = h * 10 + (*s++ - '0');
    if (*s == ':') {
        s++;
        while (*s >= '0' && *s <= '9')
            m = m * 10 + (*s++ - '0');
        if (*s == ':') {
            s++;
            while (*s >= '0' && *s <= '9')
                sec = sec * 10 + (*s++ - '0');
        }
    }
    if (h > 167 || m > 59 || sec > 59)
        return NULL;
    *out = sign * (h * 3600 + m * 60 + sec);
    return s;
}

static const char *p_rule(const char *s, posix_rule *r)
{
    memset(r, 0, sizeof *r);
    r->time = 7200;
    if (*s == 'M') {
        r->kind = 'M';
        s++;
        r->m = (int)strtol(s, (char **)&s, 10);
        if (*s++ != '.')
            return NULL;
        r->w = (int)strtol(s, (char **)&s, 10);
        if (*s++ != '.')
            return NULL;
        r->d = (int)strtol(s, (char **)&s, 10);
        if (r->m < 1 || r->m > 12 || r->w < 1 || r->w > 5 || r->d < 0 || r->d > 6)
            return NULL;
    } else if (*s == 'J') {
        r->kind = 'J';
        s++;
        r->n = (int)strtol(s, (char **)&s, 10);
    } else if (*s >= '0' && *s <= '9') {
        r->kind = 'N';
        r->n = (int)strtol(s, (char **)&s, 10);
    } else
        return NULL;
    if (*s == '/') {
        s = p_hms(s + 1, &r->time);
        if (!s)
            return NULL;
    }
    return s;
}

static int parse_posix(const char *s, posix_tz *tz)
{
    memset(tz, 0, sizeof *tz);
    int off;
    if (!(s = p_name(s)) || !(s = p_hms(s, &off)))
        return -1;
    tz->std_off = -off;
    if (!*s)
        return 0;
    if (!(s = p_name(s)))
        return -1;
    tz->has_dst = 1;
    tz->dst_off = tz->std_off + 3600;
    if (*s && *s != ',') {
        if (!(s = p_hms(s, &off)))
            return -1;
        tz->dst_off = -off;
    }
    if (*s != ',')
        return -1; /* no rule: not supported, treat as fixed */
    if (!(s = p_rule(s + 1, &tz->start)) || *s != ',' || !(s = p_rule(s + 1, &tz->end)))
        return -1;
    return 0;
}

/* Local day (days since 1970) of a rule in `year`. */
static int64_t rule_day(const posix_rule *r, int year)
{
    int leap = cal_leap_year(year);
    int64_t jan1 = cw_days_from_civil(year, 1, 1);
    if (r->kind == 'J')
        return jan1 + r->n - 1 + (leap && r->n >= 60);
    if (r->kind == 'N')
        return jan1 + r->n;
    int64_t first = cw_days_from_civil(year, r->m, 1);
    int wd = (int)(((first + 4) % 7 + 7) % 7); /* Sunday = 0 */
    int64_t day = first + ((r->d - wd + 7) % 7) + (int64_t)(r->w - 1) * 7;
    int dim = cal_month_len(year, r->m);
    while (day >= first + dim)
        day -= 7;
    return day;
}

static int tzif_read(const char *path, const char *name, cw_tz **out)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    unsigned char *buf = malloc(1 << 20);
    size_t len = buf ? fread(buf, 1, 1 << 20, fp) : 0;
    fclose(fp);
    if (!buf || len < 44 || memcmp(buf, "TZif", 4) != 0) {
        free(buf);
        return -1;
    }
    const unsigned char *p = buf;
    size_t at = 0;
    int v2 = buf[4] >= '2';
    int tsize = 4;
    for (int pass = 0; pass < (v2 ? 2 : 1); pass++) {
        if (at + 44 > len)
            goto bad;
        int64_t isut = be(p + at + 20, 4), isstd = be(p + at + 24, 4), leap = be(p + at + 28, 4),
                timecnt = be(p + at + 32, 4), typecnt = be(p + at + 36, 4),
                charcnt = be(p + at + 40, 4);
        if (isut < 0 || isstd < 0 || leap < 0 || timecnt < 0 || typecnt < 1 || typecnt > 256 ||
            charcnt < 0 || timecnt > 100000)
            goto bad;
        size_t body = (size_t)(timecnt * tsize + timecnt + typecnt * 6 + charcnt +
                               leap * (tsize + 4) + isstd + isut);
        if (pass == 0 && v2) {
            at += 44 + body;
            tsize = 8;
            continue;
        }
        if (at + 44 + body > len)
            goto bad;
        const unsigned char *tt = p + at + 44;
        const unsigned char *idx = tt + timecnt * tsize;
        const unsigned char *ti = idx + timecnt;
        cw_tz *tz = calloc(1, sizeof *tz);
        if (!tz)
            goto bad;
        tz->name = cw_strdup(name);
        size_t cap = (size_t)timecnt + 2 * 400 + 1;
        tz->utc = malloc(cap * sizeof *tz->utc);
        tz->off = malloc(cap * sizeof *tz->off);
        if (!tz->name || !tz->utc || !tz->off) {
            cw_tz_free(tz);
            goto bad;
        }
        /* offset before the first transition: the first non-DST type (RFC 8536 3.2) */
        tz->off0 = (int)be(ti, 4);
        for (int64_t i = 0; i < typecnt; i++)
            if (ti[i * 6 + 4] == 0) {
                tz->off0 = (int)be(ti + i * 6, 4);
                break;
            }
        for (int64_t i = 0; i < timecnt; i++) {
            int k = idx[i];
            if (k >= typecnt) {
                cw_tz_free(tz);
                goto bad;
            }
            int off = (int)be(ti + k * 6, 4);
            int prev = tz->n ? tz->off[tz->n - 1] : tz->off0;
            if (off == prev)
                continue;
            tz->utc[tz->n] = be(tt + i * tsize, tsize);
            tz->off[tz->n] = off;
            tz->n++;
        }
        /* the footer's rule for the years after the table */
        const char *foot = (const char *)(p + at + 44 + body);
        size_t flen = len - (at + 44 + body);
        char ftxt[128] = "";
        if (v2 && flen > 2 && foot[0] == '\n') {
            const char *e = memchr(foot + 1, '\n', flen - 1);
            if (e && (size_t)(e - foot - 1) < sizeof ftxt)
                snprintf(ftxt, sizeof ftxt, "%.*s", (int)(e - foot - 1), foot + 1);
        }
        posix_tz pz;
        if (ftxt[0] && parse_posix(ftxt, &pz) == 0 && pz.has_dst) {
            int64_t last = timecnt ? be(tt + (timecnt - 1) * tsize, tsize) : INT64_MIN;
            int y0 = 1970;
            if (last != INT64_MIN) {
                int yy, mm, dd;
                cw_civil_from_days(cw_floor_div(last, 86400), &yy, &mm, &dd);
                y0 = yy;
            }
            for (int y = y0; y <= TZ_HORIZON_YEAR && tz->n + 2 < cap; y++) {
                /* start: local time in standard offset; end: in daylight offset */
                int64_t s = rule_day(&pz.start, y) * 86400 + pz.start.time - pz.std_off;
                int64_t e = rule_day(&pz.end, y) * 86400 + pz.end.time - pz.dst_off;
                int64_t a = s < e ? s : e, b = s < e ? e : s;
                int oa = s < e ? pz.dst_off : pz.std_off, ob = s < e ? pz.std_off : pz.dst_off;
                if (a > last) {
                    tz->utc[tz->n] = a;
                    tz->off[tz->n++] = oa;
                }
                if (b > last) {
                    tz->utc[tz->n] = b;
                    tz->off[tz->n++] = ob;
                }
            }
        } else if (ftxt[0] && parse_posix(ftxt, &pz) == 0 && tz->n == 0) {
            tz->off0 = pz.std_off;
        }
        free(buf);
        *out = tz;
        return 0;
    }
bad:
    free(buf);
    return -1;
}

int cw_tz_open(cw_tz **out, const char *name, cw_error *err)
{
    *out = NULL;
    cw_cal_lib_init();
    if (!name || !*name || strlen(name) > 200 || strstr(name, "..") || name[0] == '/' ||
        strchr(name, '\\'))
        return cw_fail(err, CW_ENOTFOUND, "", 0,
                       "unknown time zone '%s' (use an IANA name such as Europe/Paris)",
                       name ? name : "");
    if (is_utc_name(name)) {
        cw_tz *tz = calloc(1, sizeof *tz);
        if (!tz || !(tz->name = cw_strdup(name))) {
            free(tz);
            return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        }
        *out = tz;
        return 0;
    }
    const char *dir = getenv("TZDIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
    if (tzif_read(path, name, out) == 0)
        return 0;
    /* no TZif file: libical's own copy, if it has one */
    icaltimezone *z = icaltimezone_get_builtin_timezone(name);
    icalcomponent *c = z ? icaltimezone_get_component(z) : NULL;
    if (!c)
        return cw_fail(err, CW_ENOTFOUND, "", 0,
                       "unknown time zone '%s' (use an IANA name such as Europe/Paris; "
                       "see /usr/share/zoneinfo)", name);
    return cw_tz_from_vtimezone(out, name, c, err);
}

void cw_tz_free(cw_tz *tz)
{
    if (!tz)
        return;
    free(tz->name);
    free(tz->utc);
    free(tz->off);
    free(tz);
}

const char *cw_tz_name(const cw_tz *tz)
{
    return tz ? tz->name : "UTC";
}

int cw_tz_offset_at(const cw_tz *tz, int64_t utc)
{
    if (!tz || tz->n == 0)
        return tz ? tz->off0 : 0;
    if (utc < tz->utc[0])
        return tz->off0;
    /* Expansion asks about nearby instants over and over: try the last span first. The
     * hint is only a cache (a stale one is harmless); cw_tz is not shared across threads. */
    size_t h = tz->hint;
    if (h < tz->n && tz->utc[h] <= utc && (h + 1 == tz->n || utc < tz->utc[h + 1]))
        return tz->off[h];
    size_t lo = 0, hi = tz->n; /* last i with utc[i] <= utc */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->utc[mid] <= utc)
            lo = mid;
        else
            hi = mid;
    }
    ((cw_tz *)tz)->hint = lo;
    return tz->off[lo];
}

int64_t cw_tz_utc_to_wall(const cw_tz *tz, int64_t utc)
{
    return utc + cw_tz_offset_at(tz, utc);
}

void cw_tz_to_local(const cw_tz *tz, int64_t utc, cw_civil *out, int *offset_out)
{
    int off = cw_tz_offset_at(tz, utc);
    cw_civil_from_wall(utc + off, out);
    if (offset_out)
        *offset_out = off;
}

int64_t cw_tz_wall_to_utc(const cw_tz *tz, int64_t wall)
{
    if (!tz || tz->n == 0)
        return wall - (tz ? tz->off0 : 0);
    /* Offsets a day before and after: with at most one change in between, the valid
     * readings of `wall` are among wall - before and wall - after. */
    int before = cw_tz_offset_at(tz, wall - 86400 - 14 * 3600);
    int after = cw_tz_offset_at(tz, wall + 86400 + 14 * 3600);
    int64_t ua = wall - before, ub = wall - after;
    int va = cw_tz_offset_at(tz, ua) == before;
    int vb = cw_tz_offset_at(tz, ub) == after;
    if (va && vb)
        return ua < ub ? ua : ub; /* overlap: the first occurrence */
    if (va)
        return ua;
    if (vb)
        return ub;
    /* Gap: read with the offset before the gap, which lands after it by its length. */
    return ua;
}

int cw_tz_wall_ambiguous(const cw_tz *tz, int64_t wall)
{
    if (!tz || tz->n == 0)
        return 0;
    int before = cw_tz_offset_at(tz, wall - 86400 - 14 * 3600);
    int after = cw_tz_offset_at(tz, wall + 86400 + 14 * 3600);
    int64_t ua = wall - before, ub = wall - after;
    return ua != ub && cw_tz_offset_at(tz, ua) == before && cw_tz_offset_at(tz, ub) == after;
}

int64_t cw_tz_to_utc(const cw_tz *tz, const cw_civil *local)
{
    return cw_tz_wall_to_utc(tz, cw_wall_from_civil(local));
}

/* ---- Windows zone names ------------------------------------------------------------ */

typedef struct win_zone {
    const char *windows, *iana;
} win_zone;

static const win_zone win_zones[] = {
#include "windows_zones.inc"
};

static const win_zone win_display[] = {
#include "windows_display_names.inc"
};

const char *cw_tz_windows_to_iana(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < sizeof win_zones / sizeof win_zones[0]; i++)
        if (strcasecmp(win_zones[i].windows, name) == 0)
            return win_zones[i].iana;
    for (size_t i = 0; i < sizeof win_display / sizeof win_display[0]; i++)
        if (strcasecmp(win_display[i].windows, name) == 0)
            return win_display[i].iana;
    return NULL;
}

int cal_tz_fixed(cw_tz **out, int offset)
{
    cw_tz *tz = calloc(1, sizeof *tz);
    int a = offset < 0 ? -offset : offset;
    if (!tz || !(tz->name = cw_asprintf("UTC%c%02d:%02d", offset < 0 ? '-' : '+', a / 3600,
                                         a / 60 % 60))) {
        free(tz);
        return CW_ENOMEM;
    }
    tz->off0 = offset;
    *out = tz;
    return 0;
}

void cw_cal_cleanup(void)
{
    icaltimezone_free_builtin_timezones();
    icalmemory_free_ring();
}
