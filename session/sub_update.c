/* sub_update.c — `calendar update` as one library call, shared by the CLI and the desk: fetch
 * every subscription (or those named) again, keep the last good copy when the new one is
 * unusable, store the new copies, and say what changed in the next days and which built
 * bundles are stale (cw_calendar_update; the report's texts are in sub_report.c).
 * Guarantees: an unchanged calendar costs one conditional request and no parsing; a copy that
 * is empty, a web page, refused by import's checks or with errors the stored copy does not
 * have never replaces the stored copy; the network is used without the station lock (other
 * commands run meanwhile), which is held only while copies are stored; links never appear in
 * a result (host and short hash only); nothing is printed. */
#include "session.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* One subscription on its way through an update (the working state behind a result). */
typedef struct upd {
    cw_subscription *sub; /* in the subscriptions (borrowed) */
    cw_subup_result *r;   /* its result */
    cw_fetch_res res;
    char *data;           /* the new copy (UPDATED) */
    size_t len;
    char *old;            /* the stored copy's bytes when UPDATED or restamped (NULL: none) */
    size_t old_len;
} upd;

typedef struct run {
    const char *dir;
    const cw_subup_opts *o;
    cw_station *st;
    cw_subs subs;
    upd *u;
    size_t n;
} run;

/* ---- checking a new copy -------------------------------------------------------------------- */

const char *cw_sub_body_problem(const cw_fetch_res *r)
{
    const char *ct = r->content_type ? r->content_type : "";
    size_t i = 0;
    if (r->len >= 3 && !memcmp(r->body, "\xEF\xBB\xBF", 3))
        i = 3;
    while (i < r->len && strchr(" \t\r\n", r->body[i]))
        i++;
    if (i == r->len)
        return "the server sent an empty answer, not a calendar";
    /* a calendar is what its bytes say: a web server that labels .ics files text/html still
     * sends a calendar; a sign-in page labelled text/calendar is still a web page */
    if (r->len - i >= 15 && !strncasecmp(r->body + i, "BEGIN:VCALENDAR", 15))
        return NULL;
    if (!strncasecmp(ct, "text/html", 9) || !strncasecmp(ct, "application/xhtml", 17) || r->body[i] == '<')
        return "the server sent a web page, not a calendar (a sign-in page of the partner's site or of the "
               "network? the link may have expired, or the network wants a sign-in first)";
    return NULL;
}

/* Check bytes as `calendar import` does: the first error into *first (copied to why), events
 * used and skipped. 0 when the copy can be used. */
static int validate(const cw_station *st, const char *label, const char *data, size_t len, int holidays,
                    size_t *events, size_t *skipped, char *why, size_t whyn)
{
    cw_calset *set = cw_calset_new(st->timezone);
    if (!set) {
        snprintf(why, whyn, "the new copy cannot be used (out of memory)");
        return -1;
    }
    cw_diags d = {0};
    cw_error err;
    cw_error_clear(&err);
    cw_cal_file_opts o = {label, 0, holidays};
    int rc = cw_calset_add_data_opts(set, data, len, &o, &d, &err), bad = rc != 0;
    const cw_diag *first = NULL;
    for (size_t i = 0; i < d.n && !first; i++)
        if (d.v[i].severity == CW_DIAG_ERROR)
            first = &d.v[i];
    cw_cal_file_info info;
    if (!rc && cw_calset_file_info(set, 0, &info) == 0) {
        *events = info.n_events;
        *skipped = info.n_skipped;
        bad = info.n_events == 0 && info.n_skipped > 0; /* every event has an error */
    }
    if (bad && first && first->line)
        snprintf(why, whyn, "the new copy cannot be used (line %d: %s)", first->line, first->text);
    else if (bad)
        snprintf(why, whyn, "the new copy cannot be used (%s)",
                 first ? first->text : err.text[0] ? err.text : "not a calendar");
    cw_diags_free(&d);
    cw_calset_free(set);
    return bad;
}

/* UIDs of the events skipped for errors in data (read quietly). */
static void skipped_uids(const cw_station *st, const char *label, const char *data, size_t len, int holidays,
                         cw_strlist *out)
{
    cw_calset *set = cw_calset_new(st->timezone);
    cw_cal_file_opts o = {label, 0, holidays};
    cw_error e;
    if (set && data && cw_calset_add_data_opts(set, data, len, &o, NULL, &e) == 0)
        for (size_t i = 0; i < cw_calset_n_skipped(set); i++)
            (void)cw_strlist_push(out, cw_calset_skipped(set, i)->uid);
    cw_calset_free(set);
}

/* The first error of the new copy about an event the stored copy could read, in why. */
static int new_errors(const cw_station *st, upd *u, int holidays)
{
    cw_strlist had = {0};
    skipped_uids(st, u->sub->name, u->old, u->old_len, holidays, &had);
    cw_calset *set = cw_calset_new(st->timezone);
    cw_cal_file_opts o = {u->sub->name, 0, holidays};
    cw_error e;
    size_t fresh = 0;
    const cw_cal_skipped *first = NULL;
    if (set && cw_calset_add_data_opts(set, u->data, u->len, &o, NULL, &e) == 0)
        for (size_t i = 0; i < cw_calset_n_skipped(set); i++) {
            const cw_cal_skipped *k = cw_calset_skipped(set, i);
            size_t j = 0;
            while (j < had.n && strcmp(had.v[j], k->uid))
                j++;
            if (j == had.n && !fresh++)
                first = k;
        }
    if (fresh)
        snprintf(u->r->why, sizeof u->r->why, "the new copy has %zu event%s that cannot be read (the first: "
                 "'%.200s' at line %d: %.400s)", fresh, fresh == 1 ? "" : "s", first->summary, first->line,
                 first->reason);
    cw_calset_free(set);
    cw_strlist_free(&had);
    return fresh > 0;
}

static int events_in(const cw_station *st, const char *data, size_t len, int holidays)
{
    cw_calset *set = cw_calset_new(st->timezone);
    cw_cal_file_opts o = {"", 0, holidays};
    cw_error e;
    cw_cal_file_info info;
    int n = 0;
    if (set && data && cw_calset_add_data_opts(set, data, len, &o, NULL, &e) == 0 &&
        cw_calset_file_info(set, 0, &info) == 0)
        n = (int)(info.n_events + info.n_skipped);
    cw_calset_free(set);
    return n;
}

/* The next line of text[0, len) from *pos that is not a DTSTAMP line or its folded
 * continuation, without its line end; 0 at the end. */
static int next_kept_line(const char *text, size_t len, size_t *pos, const char **line, size_t *n)
{
    int skipping = 0;
    while (*pos < len) {
        const char *l = text + *pos, *nl = memchr(l, '\n', len - *pos);
        size_t ll = nl ? (size_t)(nl - l) : len - *pos;
        *pos += ll + (nl != NULL);
        if (ll && l[ll - 1] == '\r')
            ll--;
        if (skipping && ll && (l[0] == ' ' || l[0] == '\t'))
            continue; /* a DTSTAMP folded onto more lines */
        skipping = ll > 7 && !strncasecmp(l, "DTSTAMP", 7) && (l[7] == ':' || l[7] == ';');
        if (skipping)
            continue;
        *line = l;
        *n = ll;
        return 1;
    }
    return 0;
}

/* Whether two copies differ only in their DTSTAMP lines: Google's and Outlook's published
 * calendars stamp every event with the time of each download, so their bytes change every
 * hour while the calendar does not (RFC 5545 3.8.7.2: with METHOD:PUBLISH, DTSTAMP is when
 * the iCalendar object was made, not when the event changed). */
static int same_but_stamps(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t pa = 0, pb = 0, na, nb;
    const char *la, *lb;
    for (;;) {
        int ha = next_kept_line(a, alen, &pa, &la, &na), hb = next_kept_line(b, blen, &pb, &lb, &nb);
        if (!ha || !hb)
            return ha == hb;
        if (na != nb || memcmp(la, lb, na))
            return 0;
    }
}

/* Decide what a 2xx answer is: the same copy, a new one, or one to refuse (r->why). */
static void judge_body(run *x, upd *u)
{
    const cw_station *st = x->st;
    cw_subup_result *r = u->r;
    char *path = cw_asprintf("%s/calendars/%s", st->dir, u->sub->name);
    cw_error e;
    if (path && cw_path_exists(path) && cw_read_file(path, CW_CAL_MAX_BYTES, &u->old, &u->old_len, &e))
        u->old = NULL;
    free(path);
    const cw_partner_calendar *pc = cw_station_calendar(st, u->sub->name);
    int holidays = pc && pc->holidays;
    const char *bad = cw_sub_body_problem(&u->res);
    char label[300];
    snprintf(label, sizeof label, "%s (new copy)", u->sub->name);
    int stem = (int)strlen(u->sub->name) - 4;
    r->outcome = CW_SUBUP_REFUSED;
    if (u->old && u->old_len == u->res.len && !memcmp(u->old, u->res.body, u->old_len)) {
        r->outcome = CW_SUBUP_UNCHANGED; /* a server without validators: the same bytes */
    } else if (u->old && !bad && same_but_stamps(u->old, u->old_len, u->res.body, u->res.len)) {
        r->outcome = CW_SUBUP_UNCHANGED; /* only re-stamped: the stored copy stays, byte for byte */
        r->restamped = 1;
    } else if (bad) {
        snprintf(r->why, sizeof r->why, "%s", bad);
    } else {
        u->data = u->res.body;
        u->len = u->res.len;
        u->res.body = NULL;
        if (validate(st, label, u->data, u->len, holidays, &r->events, &r->skipped, r->why, sizeof r->why)) {
        } else if (!x->o->accept_errors && r->skipped && new_errors(st, u, holidays)) {
            size_t l = strlen(r->why);
            snprintf(r->why + l, sizeof r->why - l, ": fix it in the partner's calendar, or take the copy without "
                     "such events with 'chalkwave calendar update %.*s --accept-errors'", stem, u->sub->name);
        } else if (r->events + r->skipped == 0 && events_in(st, u->old, u->old_len, holidays) > 0) {
            snprintf(r->why, sizeof r->why, "the new copy has no events (if the partner emptied the calendar for "
                     "good: chalkwave calendar unsubscribe %.*s)", stem, u->sub->name);
        } else {
            r->outcome = CW_SUBUP_UPDATED;
        }
    }
    if (r->outcome != CW_SUBUP_UPDATED && !r->restamped) {
        free(u->old);
        u->old = NULL;
        u->old_len = 0;
    }
}

static void judge(run *x, upd *u)
{
    switch (u->res.status) {
    case CW_FETCH_NOT_MODIFIED:
        u->r->outcome = CW_SUBUP_UNCHANGED;
        break;
    case CW_FETCH_OK:
        judge_body(x, u);
        break;
    case CW_FETCH_UNREACHABLE:
        u->r->outcome = CW_SUBUP_UNREACHABLE;
        snprintf(u->r->why, sizeof u->r->why, "not reachable (%s)", u->res.text);
        break;
    default:
        u->r->outcome = CW_SUBUP_FAILED;
        snprintf(u->r->why, sizeof u->r->why, "%s", u->res.text);
        break;
    }
}

/* ---- fetching ------------------------------------------------------------------------------ */

static int fetch_all(run *x, cw_error *err)
{
    cw_fetch_req *req = calloc(x->n + 1, sizeof *req);
    cw_fetch_res *res = calloc(x->n + 1, sizeof *res);
    int rc = req && res ? 0 : cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    for (size_t i = 0; i < x->n && !rc; i++) {
        cw_subscription *s = x->u[i].sub;
        char *path = cw_asprintf("%s/calendars/%s", x->st->dir, s->name);
        char hex[65];
        cw_error e;
        /* a lost copy, or one changed since it was fetched (by hand, by an import), is
         * fetched whole: the validators speak of the copy as it was fetched */
        int have = path && cw_path_exists(path) &&
                   (!s->sha256 || (cw_sha256_file(path, hex, &e) == 0 && !strcmp(hex, s->sha256)));
        free(path);
        req[i].url = s->url;
        req[i].etag = have ? s->etag : NULL;
        req[i].last_modified = have ? s->last_modified : NULL;
        req[i].self_signed = s->self_signed;
        req[i].pin = s->pin;
        req[i].timeout = x->o->timeout;
    }
    if (!rc)
        rc = cw_fetch_run_until(req, res, x->n, 8, x->o->cancelled, x->o->cancel_user, err);
    for (size_t i = 0; i < x->n && !rc; i++)
        x->u[i].res = res[i];
    free(req);
    free(res);
    return rc;
}

/* ---- storing ---------------------------------------------------------------------------------- */

static void take_validators(cw_subscription *s, cw_fetch_res *r)
{
    /* a 304 may leave them out: keep the ones there are; a 200 without them makes the old ones
     * wrong (they would match a copy that is no longer the one stored) */
    if (r->etag || r->last_modified || r->status == CW_FETCH_OK) {
        free(s->etag);
        free(s->last_modified);
        s->etag = r->etag;
        s->last_modified = r->last_modified;
        r->etag = r->last_modified = NULL;
    }
}

static char *sha256_hex(const char *data, size_t len)
{
    char hex[65];
    cw_sha256 *h = cw_sha256_new();
    if (!h)
        return NULL;
    cw_sha256_update(h, data, len);
    cw_sha256_final(h, hex);
    return cw_strdup(hex);
}

/* Write the new copy into calendars/ and its [calendars] line (priority and holidays kept),
 * its source the redacted link. */
static int install(run *x, const char *dir, upd *u, cw_error *err)
{
    char red[400], source[500];
    cw_sub_url_redact(u->sub->url, red, sizeof red);
    snprintf(source, sizeof source, "subscription %s", red);
    const cw_partner_calendar *old = cw_station_calendar(x->st, u->sub->name);
    cw_partner_calendar pc = {u->sub->name, old ? old->priority : 0, 0, old ? old->holidays : 0, source};
    /* a line that says it already is not written again (an update of 50 subscriptions) */
    int same = old && old->source && !strcmp(old->source, source);
    char *dst = cw_path_join(dir, u->sub->name);
    int rc = dst ? cw_write_file_atomic(dst, u->data, u->len, err) : cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    if (rc == 0 && !same)
        rc = cw_station_put_calendar(x->st, &pc, err);
    free(dst);
    return rc;
}

/* Record one outcome in its subscription. */
static int record(upd *u, int64_t now)
{
    cw_subscription *s = u->sub;
    cw_subup_outcome out = u->r->outcome;
    s->checked = now;
    if (out == CW_SUBUP_UPDATED)
        s->changed = now;
    if (out == CW_SUBUP_UPDATED || out == CW_SUBUP_UNCHANGED) {
        s->good = now;
        take_validators(s, &u->res);
    }
    if (out == CW_SUBUP_UPDATED || (out == CW_SUBUP_UNCHANGED && u->res.status == CW_FETCH_OK)) {
        free(s->sha256); /* what is stored now, as fetched */
        s->sha256 = out == CW_SUBUP_UPDATED ? sha256_hex(u->data, u->len)
                    : u->r->restamped        ? sha256_hex(u->old, u->old_len) /* the copy kept */
                                             : sha256_hex(u->res.body, u->res.len);
        if (!s->sha256)
            return CW_ENOMEM;
    }
    free(s->result);
    s->result = cw_asprintf("%s%s", out <= CW_SUBUP_UPDATED ? "" : "failed: ",
                            out == CW_SUBUP_UPDATED ? "ok" : out == CW_SUBUP_UNCHANGED ? "unchanged" : u->r->why);
    return s->result ? 0 : CW_ENOMEM;
}

/* Store the new copies (station lock taken here, released after), then record every outcome. */
static int store(run *x, cw_error *err)
{
    int64_t now = (int64_t)time(NULL);
    int any = 0, rc = 0, lock = -1;
    for (size_t i = 0; i < x->n; i++)
        any |= x->u[i].r->outcome == CW_SUBUP_UPDATED;
    if (any) { /* another command may have changed station.conf meanwhile: read it again */
        cw_station *fresh = NULL;
        if ((rc = cw_station_lock(x->dir, 1, x->o->lock_wait, &lock, err)) != 0 ||
            (rc = cw_station_load(&fresh, x->dir, err)) != 0) {
            cw_station_unlock(lock);
            return rc; /* nothing stored, nothing recorded: the next update fetches again */
        }
        cw_station_free(x->st);
        x->st = fresh;
    }
    char *dir = cw_path_join(x->st->dir, "calendars");
    if (!dir)
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    for (size_t i = 0; i < x->n && !rc; i++) {
        if (x->u[i].r->outcome == CW_SUBUP_UPDATED)
            rc = install(x, dir, &x->u[i], err);
        if (!rc && record(&x->u[i], now))
            rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    free(dir);
    cw_station_unlock(lock); /* stored: other commands may go on while the report is made */
    char *path = rc ? NULL : cw_subs_path(x->dir);
    if (!rc)
        rc = path ? cw_subs_save(&x->subs, path, err) : cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    free(path);
    return rc;
}

/* ---- what changed ------------------------------------------------------------------------------ */

static int changes_of(const cw_station *st, upd *u, int64_t from, int64_t to, cw_error *err)
{
    const cw_partner_calendar *pc = cw_station_calendar(st, u->sub->name);
    cw_cal_file_opts o = {u->sub->name, pc ? pc->priority : 0, pc && pc->holidays};
    cw_calset *a = cw_calset_new(st->timezone), *b = cw_calset_new(st->timezone);
    int rc = a && b ? 0 : cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    if (!rc && u->old)
        rc = cw_calset_add_data_opts(a, u->old, u->old_len, &o, NULL, err);
    if (rc == CW_EINVAL) /* a stored copy that is no calendar (edited by hand): all is new */
        rc = 0;
    if (!rc)
        rc = cw_calset_add_data_opts(b, u->data, u->len, &o, NULL, err);
    if (!rc && cw_calset_n_files(a) == 0) { /* nothing before: compare with an empty calendar */
        static const char empty[] = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n";
        rc = cw_calset_add_data_opts(a, empty, sizeof empty - 1, &o, NULL, err);
    }
    if (!rc)
        rc = cw_cal_changes_between(a, b, from, to, &u->r->changes, err);
    cw_calset_free(a);
    cw_calset_free(b);
    return rc;
}

/* Whether a change's old or new instance overlaps [ws, we). */
static int touches(const cw_cal_change *c, int64_t ws, int64_t we)
{
    const cw_cal_instance *x[2] = {c->has_before ? &c->before : NULL, c->has_after ? &c->after : NULL};
    for (int i = 0; i < 2; i++)
        if (x[i] && (x[i]->end > x[i]->start ? x[i]->start < we && x[i]->end > ws
                                             : x[i]->start >= ws && x[i]->start < we))
            return 1;
    return 0;
}

/* The span a bundle covers: its plan's window, else the station-local day. */
static void bundle_span(const cw_station *st, const cw_tz *tz, cw_date d, int64_t *ws, int64_t *we)
{
    char *path = cw_asprintf("%s/out/%04d-%02d-%02d/plan.json", st->dir, d.year, d.month, d.day);
    char *json = NULL;
    size_t len;
    cw_error e;
    cw_plan *p = NULL;
    if (path && cw_read_file(path, 64 << 20, &json, &len, &e) == 0 && cw_plan_from_json(&p, json, len, &e) == 0) {
        *ws = p->window_start_utc;
        *we = p->window_end_utc;
    } else {
        cw_civil a = {d.year, d.month, d.day, 0, 0, 0};
        cw_date n = cw_date_add_days(d, 1);
        cw_civil b = {n.year, n.month, n.day, 0, 0, 0};
        *ws = cw_tz_to_utc(tz, &a);
        *we = cw_tz_to_utc(tz, &b);
    }
    cw_plan_free(p);
    free(json);
    free(path);
}

/* Built bundles (out/DATE/) of the days a change touches, with the calendars that touch them. */
static int find_stale(const cw_station *st, const cw_tz *tz, cw_subup *out)
{
    cw_subup_stale *v = calloc((size_t)out->days + 3, sizeof *v);
    if (!v)
        return CW_ENOMEM;
    size_t k = 0;
    for (int i = -1; i <= out->days; i++) {
        cw_date d = cw_date_add_days(out->from, i);
        char *dir = cw_asprintf("%s/out/%04d-%02d-%02d", st->dir, d.year, d.month, d.day);
        int built = dir && cw_is_dir(dir);
        free(dir);
        if (!built)
            continue;
        int64_t ws, we;
        bundle_span(st, tz, d, &ws, &we);
        v[k].date = d;
        for (size_t j = 0; j < out->n; j++)
            for (size_t c = 0; c < out->v[j].changes.n; c++)
                if (touches(&out->v[j].changes.v[c], ws, we)) {
                    (void)cw_strlist_push(&v[k].cals, out->v[j].name);
                    break;
                }
        if (v[k].cals.n)
            k++;
    }
    out->stale = v;
    out->n_stale = k;
    return 0;
}

/* The station-local day of UTC instant t. */
static void local_day(const cw_tz *tz, int64_t t, char out[11])
{
    cw_civil c;
    cw_tz_to_local(tz, t, &c, NULL);
    cw_date_format((cw_date){c.year, c.month, c.day}, out);
}

/* What changed for each new copy, the copies kept, and the stale bundles. */
static void report(run *x, cw_subup *out)
{
    cw_tz *tz = NULL;
    cw_error err;
    cw_error_clear(&err);
    if (cw_tz_open(&tz, x->st->timezone, &err))
        tz = NULL;
    cw_civil a = {out->from.year, out->from.month, out->from.day, 0, 0, 0};
    cw_date end = cw_date_add_days(out->from, out->days);
    cw_civil z = {end.year, end.month, end.day, 0, 0, 0};
    int64_t from = cw_tz_to_utc(tz, &a), to = cw_tz_to_utc(tz, &z);
    for (size_t i = 0; i < x->n; i++) {
        cw_subup_result *r = x->u[i].r;
        char day[11];
        r->good = x->u[i].sub->good;
        if (r->good > 0)
            local_day(tz, r->good, day);
        if (r->good > 0)
            snprintf(r->kept, sizeof r->kept, "keeping the copy of %s", day);
        else
            snprintf(r->kept, sizeof r->kept, "keeping the copy there is");
        if (r->outcome == CW_SUBUP_UPDATED && changes_of(x->st, &x->u[i], from, to, &err))
            snprintf(r->changes_error, sizeof r->changes_error, "%s", err.text);
    }
    out->stale_unknown = find_stale(x->st, tz, out) != 0;
    cw_tz_free(tz);
}

/* ---- the call ------------------------------------------------------------------------------------ */

/* The subscriptions named (all when none). CW_EUSAGE when a name is no subscription. */
static int select_subs(run *x, cw_subup *out, cw_error *err)
{
    const cw_subup_opts *o = x->o;
    x->u = calloc(x->subs.n + 1, sizeof *x->u);
    out->v = calloc(x->subs.n + 1, sizeof *out->v);
    if (!x->u || !out->v)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    for (size_t i = 0; i < x->subs.n && o->n_names == 0; i++)
        x->u[x->n++].sub = &x->subs.v[i];
    for (size_t i = 0; i < o->n_names; i++) {
        const char *g = o->names[i];
        size_t l = strlen(g);
        /* NAME or NAME.ics, as `calendar` commands take a calendar's name */
        char *name = l && g[0] != '.' && !strchr(g, '/') && cw_path_is_safe_relative(g)
                         ? (l > 4 && !strcasecmp(g + l - 4, ".ics") ? cw_asprintf("%.*s.ics", (int)(l - 4), g)
                                                                    : cw_asprintf("%s.ics", g))
                         : NULL;
        if (name && !cw_station_calendar_name_valid(name)) {
            free(name);
            name = NULL;
        }
        cw_subscription *s = name ? cw_subs_find(&x->subs, name) : NULL;
        free(name);
        if (!s)
            return cw_fail(err, CW_EUSAGE, "", 0, "'%s' is no subscription (see 'chalkwave calendar list')",
                           strstr(g, "://") ? "(a link)" : g);
        size_t j = 0;
        while (j < x->n && x->u[j].sub != s)
            j++;
        if (j == x->n)
            x->u[x->n++].sub = s;
    }
    for (size_t i = 0; i < x->n; i++) {
        x->u[i].r = &out->v[i];
        out->v[i].name = cw_strdup(x->u[i].sub->name);
        if (!out->v[i].name)
            return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        out->n = i + 1;
        cw_sub_url_redact(x->u[i].sub->url, out->v[i].source, sizeof out->v[i].source);
    }
    return 0;
}

/* Today, station time. */
static cw_date today(const cw_station *st)
{
    cw_tz *tz = NULL;
    cw_error e;
    if (cw_tz_open(&tz, st->timezone, &e))
        tz = NULL;
    char d[11];
    cw_date out;
    local_day(tz, (int64_t)time(NULL), d);
    cw_tz_free(tz);
    return cw_date_parse(d, &out) ? (cw_date){1970, 1, 1} : out;
}

/* Take calendars/.chalkwave.lock (one subscribe/update/unsubscribe at a time; the station
 * lock stays free while the network is used) and read the subscriptions. */
static int open_subs(run *x, int *lock, cw_error *err)
{
    char *dir = cw_path_join(x->dir, "calendars"), *path = cw_subs_path(x->dir);
    int rc = dir && path ? 0 : cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    if (!rc)
        rc = cw_mkdir_p(dir, err);
    if (!rc && (rc = cw_station_lock(dir, 1, x->o->lock_wait, lock, err)) == CW_ELOCKED)
        cw_fail(err, CW_ELOCKED, "", 0, "%s", x->o->lock_wait >= 600
                ? "another 'calendar subscribe' or 'update' has been running for 10 minutes (wait for it to "
                  "finish, then run this again)"
                : "another 'calendar subscribe' or 'update' is running (wait for it to finish, then try again)");
    if (!rc)
        rc = cw_subs_load(&x->subs, path, err);
    free(dir);
    free(path);
    return rc;
}

int cw_calendar_update(const char *station_dir, const cw_subup_opts *o, cw_subup *out, cw_error *err)
{
    memset(out, 0, sizeof *out);
    out->days = o->days;
    run x = {station_dir, o, NULL, {0}, NULL, 0};
    int lock = -1, rc = 0;
    if (o->days < 1 || o->days > 366 || o->timeout < 1 || o->timeout > 3600)
        return cw_fail(err, CW_EUSAGE, "", 0, "the days must be 1..366 and the timeout 1..3600 seconds");
    if ((rc = cw_station_load(&x.st, station_dir, err)) == 0 && (rc = open_subs(&x, &lock, err)) == 0) {
        out->from = o->from.year ? o->from : today(x.st);
        out->timezone = cw_strdup(x.st->timezone);
        rc = out->timezone ? select_subs(&x, out, err) : cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    if (!rc && x.n && (rc = fetch_all(&x, err)) == 0) {
        for (size_t i = 0; i < x.n; i++)
            judge(&x, &x.u[i]);
        if (o->cancelled && o->cancelled(o->cancel_user))
            rc = cw_fail(err, CW_ECANCELLED, "", 0, "the update was stopped before anything was stored");
        else if ((rc = store(&x, err)) == 0)
            report(&x, out);
    }
    for (size_t i = 0; i < x.n; i++) {
        cw_fetch_res_free(&x.u[i].res);
        free(x.u[i].data);
        free(x.u[i].old);
    }
    free(x.u);
    cw_subs_free(&x.subs);
    cw_station_unlock(lock);
    cw_station_free(x.st);
    return rc;
}

void cw_subup_free(cw_subup *u)
{
    for (size_t i = 0; u->v && i < u->n; i++) {
        free(u->v[i].name);
        cw_cal_changes_free(&u->v[i].changes);
    }
    for (size_t i = 0; i < u->n_stale; i++)
        cw_strlist_free(&u->stale[i].cals);
    free(u->stale);
    free(u->v);
    free(u->timezone);
    memset(u, 0, sizeof *u);
}
