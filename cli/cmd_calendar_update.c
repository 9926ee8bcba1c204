/* cmd_calendar_update.c — `chalkwave calendar update [NAME...]`: fetch every subscription
 * (or those named) again, keep the last good copy when the new one is unusable, and say what
 * changed in the next days: lessons, newsletter slots and holidays added, removed, cancelled or
 * moved, and which built bundles are stale.
 * Guarantees: an unchanged calendar costs one conditional request and no parsing; a copy that
 * is empty, a web page, refused by import's checks or with errors the stored copy does not
 * have never replaces the stored copy; the network is used without the station lock (other
 * commands run meanwhile), which is held only while copies are stored; links never appear in
 * the output (host and short hash only); exit 3 only when nothing could be fetched. */
#include "calendars.h"
#include "cli.h"
#include "cmd_calendar.h"
#include "scheduler.h"

#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef enum outcome {
    UNCHANGED = 0, /* 304, or the same bytes */
    UPDATED,       /* a new copy stored */
    UNREACHABLE,   /* no network, no answer, cut short */
    REFUSED,       /* an answer that is no usable calendar (kept the old copy) */
    FAILED         /* an HTTP error, an untrusted certificate, too many redirects, too large */
} outcome;

static const char *const OUTCOME_NAMES[] = {"unchanged", "updated", "unreachable", "refused", "failed"};

typedef struct upd {
    cw_subscription *sub;        /* in the subscriptions (borrowed) */
    char red[400];               /* the link as shown */
    cw_fetch_res res;
    outcome out;
    char why[1200];              /* what went wrong, one line (no link) */
    cal_import_file f;           /* the new copy */
    char *old;                   /* the stored copy's bytes when UPDATED or restamped (NULL: none) */
    size_t old_len;
    int restamped;               /* UNCHANGED: the new copy differs only in DTSTAMP lines (kept old) */
    cw_cal_changes changes;
} upd;

typedef struct upd_opts {
    int days, timeout, accept_errors;
    cw_date from;
    const char *format;
} upd_opts;

/* ---- checking a new copy -------------------------------------------------------------------- */

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
static int new_errors(const cw_station *st, upd *u, const char *old, size_t old_len, const cw_diags *d,
                      int holidays)
{
    cw_strlist had = {0};
    skipped_uids(st, u->sub->name, old, old_len, holidays, &had);
    cw_calset *set = cw_calset_new(st->timezone);
    cw_cal_file_opts o = {u->sub->name, 0, holidays};
    cw_error e;
    size_t fresh = 0;
    const cw_cal_skipped *first = NULL;
    if (set && cw_calset_add_data_opts(set, u->f.data, u->f.len, &o, NULL, &e) == 0)
        for (size_t i = 0; i < cw_calset_n_skipped(set); i++) {
            const cw_cal_skipped *k = cw_calset_skipped(set, i);
            size_t j = 0;
            while (j < had.n && strcmp(had.v[j], k->uid))
                j++;
            if (j == had.n && !fresh++)
                first = k;
        }
    if (fresh)
        snprintf(u->why, sizeof u->why, "the new copy has %zu event%s that cannot be read (the first: '%.200s' at "
                 "line %d: %.400s)", fresh, fresh == 1 ? "" : "s", first->summary, first->line, first->reason);
    (void)d;
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

/* Decide what a 2xx answer is: the same copy, a new one, or one to refuse (u->why). */
static void judge_body(cw_cli *cli, upd *u, const upd_opts *o)
{
    const cw_station *st = cli->station;
    char *path = cw_asprintf("%s/calendars/%s", st->dir, u->sub->name);
    char *old = NULL;
    size_t old_len = 0;
    cw_error e;
    if (path && cw_path_exists(path) && cw_read_file(path, CW_CAL_MAX_BYTES, &old, &old_len, &e))
        old = NULL;
    free(path);
    const cw_partner_calendar *pc = cw_station_calendar(st, u->sub->name);
    int holidays = pc && pc->holidays;
    const char *bad = cal_body_problem(&u->res);
    char label[300];
    snprintf(label, sizeof label, "%s (new copy)", u->sub->name);
    cw_diags d = {0};
    u->out = REFUSED;
    if (old && old_len == u->res.len && !memcmp(old, u->res.body, old_len)) {
        u->out = UNCHANGED; /* a server without validators: the same bytes */
    } else if (old && !bad && same_but_stamps(old, old_len, u->res.body, u->res.len)) {
        u->out = UNCHANGED; /* only re-stamped: the stored copy stays, byte for byte */
        u->restamped = 1;
    } else if (bad) {
        snprintf(u->why, sizeof u->why, "%s", bad);
    } else {
        u->f.path = label;
        u->f.data = u->res.body;
        u->f.len = u->res.len;
        u->res.body = NULL;
        int code = cal_import_validate(cli, "calendar update", &u->f, holidays, &d);
        const cw_diag *first = NULL;
        for (size_t i = 0; i < d.n && !first; i++)
            if (d.v[i].severity == CW_DIAG_ERROR)
                first = &d.v[i];
        if (code && first && first->line)
            snprintf(u->why, sizeof u->why, "the new copy cannot be used (line %d: %s)", first->line, first->text);
        else if (code)
            snprintf(u->why, sizeof u->why, "the new copy cannot be used (%s)", first ? first->text : "not a calendar");
        else if (!o->accept_errors && u->f.skipped && new_errors(st, u, old, old_len, &d, holidays))
            snprintf(u->why + strlen(u->why), sizeof u->why - strlen(u->why),
                     ": fix it in the partner's calendar, or take the copy without such events with 'chalkwave "
                     "calendar update %.*s --accept-errors'", (int)(strlen(u->sub->name) - 4), u->sub->name);
        else if (u->f.events + u->f.skipped == 0 && events_in(st, old, old_len, holidays) > 0)
            snprintf(u->why, sizeof u->why, "the new copy has no events (if the partner emptied the calendar "
                     "for good: chalkwave calendar unsubscribe %.*s)", (int)(strlen(u->sub->name) - 4), u->sub->name);
        else
            u->out = UPDATED;
    }
    cw_diags_free(&d);
    if (u->out == UPDATED || u->restamped) {
        u->old = old;
        u->old_len = old_len;
    } else {
        free(old);
    }
}

/* ---- fetching ------------------------------------------------------------------------------ */

static int fetch_all(cw_cli *cli, const char *sub, upd *u, size_t n, const upd_opts *o)
{
    cw_fetch_req *req = calloc(n + 1, sizeof *req);
    cw_fetch_res *res = calloc(n + 1, sizeof *res);
    if (!req || !res) {
        free(req);
        free(res);
        cw_cli_errorf(sub, "out of memory");
        return CW_EXIT_ENV;
    }
    for (size_t i = 0; i < n; i++) {
        cw_subscription *s = u[i].sub;
        char *path = cw_asprintf("%s/calendars/%s", cli->station->dir, s->name);
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
        req[i].timeout = o->timeout;
    }
    cw_error err;
    cw_error_clear(&err);
    int rc = cw_fetch_run(req, res, n, 8, &err);
    for (size_t i = 0; i < n && !rc; i++)
        u[i].res = res[i];
    free(req);
    free(res);
    return rc ? cw_cli_report(sub, rc, &err) : 0;
}

static void judge(cw_cli *cli, upd *u, const upd_opts *o)
{
    switch (u->res.status) {
    case CW_FETCH_NOT_MODIFIED:
        u->out = UNCHANGED;
        break;
    case CW_FETCH_OK:
        judge_body(cli, u, o);
        break;
    case CW_FETCH_UNREACHABLE:
        u->out = UNREACHABLE;
        snprintf(u->why, sizeof u->why, "not reachable (%s)", u->res.text);
        break;
    default:
        u->out = FAILED;
        snprintf(u->why, sizeof u->why, "%s", u->res.text);
        break;
    }
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

static int set_result(cw_subscription *s, const char *prefix, const char *text)
{
    free(s->result);
    s->result = cw_asprintf("%s%s", prefix, text);
    return s->result ? 0 : -1;
}

/* Store the new copies (station lock taken here, released after), then record every outcome. */
static int store(cw_cli *cli, const char *sub, upd *u, size_t n, cw_subs *subs)
{
    int64_t now = (int64_t)time(NULL);
    int any = 0, code = 0;
    for (size_t i = 0; i < n; i++)
        any |= u[i].out == UPDATED;
    if (any && ((code = cw_cli_lock(cli, sub, 1)) != 0 || (code = cal_reload_station(cli, sub)) != 0))
        return code; /* nothing stored, nothing recorded: the next update fetches again */
    char *dir = cw_path_join(cli->station->dir, "calendars");
    for (size_t i = 0; i < n && !code; i++) {
        cw_subscription *s = u[i].sub;
        s->checked = now;
        if (u[i].out == UPDATED) {
            char source[500];
            cal_subs_source(s->url, source, sizeof source);
            cal_import_opts io = {0, 0, 0, 0, NULL};
            u[i].f.name = cw_strdup(s->name);
            code = u[i].f.name ? cal_import_install(cli, sub, dir, &u[i].f, &io, source, NULL) : CW_EXIT_ENV;
            s->changed = now;
        }
        if (u[i].out == UPDATED || u[i].out == UNCHANGED) {
            s->good = now;
            take_validators(s, &u[i].res);
        }
        if (u[i].out == UPDATED || (u[i].out == UNCHANGED && u[i].res.status == CW_FETCH_OK)) {
            free(s->sha256); /* what is stored now, as fetched */
            s->sha256 = u[i].out == UPDATED ? cal_sha256_hex(u[i].f.data, u[i].f.len)
                        : u[i].restamped     ? cal_sha256_hex(u[i].old, u[i].old_len) /* the copy kept */
                                             : cal_sha256_hex(u[i].res.body, u[i].res.len);
            if (!s->sha256)
                code = CW_EXIT_ENV;
        }
        if (set_result(s, u[i].out <= UPDATED ? "" : "failed: ",
                       u[i].out == UPDATED ? "ok" : u[i].out == UNCHANGED ? "unchanged" : u[i].why))
            code = CW_EXIT_ENV;
    }
    free(dir);
    if (cli->lock_fd >= 0) { /* stored: other commands may go on while the report is made */
        cw_station_unlock(cli->lock_fd);
        cli->lock_fd = -1;
    }
    return code ? code : cal_subs_save(cli, sub, subs);
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
        rc = cw_calset_add_data_opts(b, u->f.data, u->f.len, &o, NULL, err);
    if (!rc && cw_calset_n_files(a) == 0) /* nothing before: compare with an empty calendar */
    {
        static const char empty[] = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n";
        rc = cw_calset_add_data_opts(a, empty, sizeof empty - 1, &o, NULL, err);
    }
    if (!rc)
        rc = cw_cal_changes_between(a, b, from, to, &u->changes, err);
    cw_calset_free(a);
    cw_calset_free(b);
    return rc;
}

typedef struct stale {
    cw_date date;
    cw_strlist cals;
} stale;

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
static int find_stale(const cw_station *st, const cw_tz *tz, const upd *u, size_t n, cw_date from, int days,
                      stale **out, size_t *nout)
{
    *out = NULL;
    *nout = 0;
    stale *v = calloc((size_t)days + 3, sizeof *v);
    if (!v)
        return CW_ENOMEM;
    size_t k = 0;
    for (int i = -1; i <= days; i++) {
        cw_date d = cw_date_add_days(from, i);
        char *dir = cw_asprintf("%s/out/%04d-%02d-%02d", st->dir, d.year, d.month, d.day);
        int built = dir && cw_is_dir(dir);
        free(dir);
        if (!built)
            continue;
        int64_t ws, we;
        bundle_span(st, tz, d, &ws, &we);
        v[k].date = d;
        for (size_t j = 0; j < n; j++)
            for (size_t c = 0; c < u[j].changes.n; c++)
                if (touches(&u[j].changes.v[c], ws, we)) {
                    (void)cw_strlist_push(&v[k].cals, u[j].sub->name);
                    break;
                }
        if (v[k].cals.n)
            k++;
    }
    *out = v;
    *nout = k;
    return 0;
}

/* ---- output -------------------------------------------------------------------------------- */

static void fmt_instant(const cw_tz *tz, int64_t t, int utc, char out[40])
{
    cw_civil c;
    int off = 0;
    cw_tz_to_local(utc ? NULL : tz, t, &c, &off);
    int a = off < 0 ? -off : off;
    if (utc)
        snprintf(out, 40, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.month, c.day, c.hour, c.minute, c.second);
    else
        snprintf(out, 40, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", c.year, c.month, c.day, c.hour, c.minute,
                 c.second, off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}

static json_t *inst_json(const cw_tz *tz, const cw_cal_instance *x)
{
    char s[40];
    json_t *j = json_object();
    fmt_instant(tz, x->start, 1, s);
    json_object_set_new(j, "start", json_string(s));
    fmt_instant(tz, x->end, 1, s);
    json_object_set_new(j, "end", json_string(s));
    fmt_instant(tz, x->start, 0, s);
    json_object_set_new(j, "start_local", json_string(s));
    fmt_instant(tz, x->end, 0, s);
    json_object_set_new(j, "end_local", json_string(s));
    json_object_set_new(j, "all_day", json_boolean(x->all_day));
    json_object_set_new(j, "summary", json_string(x->summary));
    json_object_set_new(j, "kind", json_string(cw_kind_name(x->kind)));
    json_object_set_new(j, "series", x->series[0] ? json_string(x->series) : json_null());
    json_object_set_new(j, "episode", x->episode > 0 ? json_integer(x->episode) : json_null());
    json_object_set_new(j, "cancelled", json_boolean(x->cancelled));
    return j;
}

static json_t *change_json(const cw_tz *tz, const cw_cal_change *c)
{
    static const char *const match[] = {"uid+recurrence-id", "series+episode", "uid"};
    const cw_cal_instance *x = c->has_before ? &c->before : &c->after;
    json_t *j = json_object();
    cw_buf b;
    cw_buf_init(&b);
    cw_cal_change_text(c, tz, &b);
    json_object_set_new(j, "change", json_string(cw_change_type_name(c->type)));
    json_object_set_new(j, "text", json_string(b.data ? b.data : ""));
    json_object_set_new(j, "uid", json_string(x->uid));
    json_object_set_new(j, "recurrence_id", x->recurrence_id[0] ? json_string(x->recurrence_id) : json_null());
    json_object_set_new(j, "matched_by", json_string(match[c->match]));
    json_object_set_new(j, "before", c->has_before ? inst_json(tz, &c->before) : json_null());
    json_object_set_new(j, "after", c->has_after ? inst_json(tz, &c->after) : json_null());
    cw_buf_free(&b);
    return j;
}

static void put_json(cw_buf *b, const cw_station *st, const cw_tz *tz, const upd *u, size_t n, const stale *sv,
                     size_t ns, const upd_opts *o)
{
    json_t *root = json_object(), *cals = json_array(), *st_arr = json_array();
    char d[11], kept[11];
    cw_date_format(o->from, d);
    json_object_set_new(root, "from", json_string(d));
    json_object_set_new(root, "days", json_integer(o->days));
    json_object_set_new(root, "timezone", json_string(st->timezone));
    for (size_t i = 0; i < n; i++) {
        json_t *c = json_object(), *ch = json_array();
        json_object_set_new(c, "name", json_string(u[i].sub->name));
        json_object_set_new(c, "source", json_string(u[i].red));
        json_object_set_new(c, "result", json_string(OUTCOME_NAMES[u[i].out]));
        json_object_set_new(c, "reason", u[i].out > UPDATED ? json_string(u[i].why) : json_null());
        if (u[i].sub->good > 0)
            cal_local_day(st, u[i].sub->good, kept);
        /* the day of the copy kept instead of the new one */
        json_object_set_new(c, "kept", u[i].out > UPDATED && u[i].sub->good > 0 ? json_string(kept) : json_null());
        json_object_set_new(c, "events", u[i].out == UPDATED ? json_integer((json_int_t)u[i].f.events) : json_null());
        json_object_set_new(c, "skipped", u[i].out == UPDATED ? json_integer((json_int_t)u[i].f.skipped) : json_null());
        for (size_t k = 0; k < u[i].changes.n; k++)
            json_array_append_new(ch, change_json(tz, &u[i].changes.v[k]));
        json_object_set_new(c, "changes", ch);
        json_array_append_new(cals, c);
    }
    json_object_set_new(root, "calendars", cals);
    for (size_t i = 0; i < ns; i++) {
        json_t *s = json_object(), *names = json_array();
        cw_date_format(sv[i].date, d);
        json_object_set_new(s, "date", json_string(d));
        char rel[20];
        snprintf(rel, sizeof rel, "out/%s", d);
        json_object_set_new(s, "path", json_string(rel));
        for (size_t k = 0; k < sv[i].cals.n; k++)
            json_array_append_new(names, json_string(sv[i].cals.v[k]));
        json_object_set_new(s, "calendars", names);
        json_array_append_new(st_arr, s);
    }
    json_object_set_new(root, "stale_bundles", st_arr);
    char *s = json_dumps(root, JSON_PRESERVE_ORDER | JSON_INDENT(2));
    json_decref(root);
    if (s)
        cw_buf_printf(b, "%s\n", s);
    else
        b->oom = 1;
    free(s);
}

static void put_text(cw_buf *b, const cw_tz *tz, const upd *u, size_t n, const stale *sv, size_t ns,
                     const upd_opts *o)
{
    for (size_t i = 0; i < n; i++) {
        if (u[i].out == UNCHANGED) {
            cw_buf_printf(b, "%s: unchanged%s\n", u[i].sub->name,
                          u[i].restamped ? " (only its DTSTAMPs differ: the server stamps every download)" : "");
        } else if (u[i].out == UPDATED) {
            cw_buf_printf(b, "%s: updated (%zu event%s", u[i].sub->name, u[i].f.events, u[i].f.events == 1 ? "" : "s");
            if (u[i].f.skipped)
                cw_buf_printf(b, ", %zu skipped for errors", u[i].f.skipped);
            cw_buf_printf(b, "); %zu change%s in the next %d day%s%s\n", u[i].changes.n,
                          u[i].changes.n == 1 ? "" : "s", o->days, o->days == 1 ? "" : "s", u[i].changes.n ? ":" : "");
            for (size_t k = 0; k < u[i].changes.n; k++) {
                cw_buf_puts(b, "  ");
                cw_cal_change_text(&u[i].changes.v[k], tz, b);
                cw_buf_puts(b, "\n");
            }
        }
    }
    for (size_t i = 0; i < ns; i++) {
        char d[11];
        cw_date_format(sv[i].date, d);
        if (i == 0)
            cw_buf_puts(b, "stale bundles (built before these changes: build them again):\n");
        cw_buf_printf(b, "  out/%s (", d);
        for (size_t k = 0; k < sv[i].cals.n; k++)
            cw_buf_printf(b, "%s%s", k ? ", " : "", sv[i].cals.v[k]);
        cw_buf_printf(b, "): chalkwave build --date %s\n", d);
    }
}

/* ---- the command -------------------------------------------------------------------------------- */

/* The subscriptions named (all when none), in u; prints and returns an exit code when a name
 * is no subscription. */
static int select_subs(const char *sub, cw_subs *subs, const char **pos, int npos, upd *u, size_t *n)
{
    *n = 0;
    for (size_t i = 0; i < subs->n && npos == 0; i++)
        u[(*n)++].sub = &subs->v[i];
    for (int i = 0; i < npos; i++) {
        char *name = cal_target_name_ok(pos[i]) ? cal_target_name(pos[i]) : NULL;
        cw_subscription *s = name ? cw_subs_find(subs, name) : NULL;
        free(name);
        if (!s)
            return cw_cli_usagef(sub, "'%s' is no subscription (see 'chalkwave calendar list')",
                                 strstr(pos[i], "://") ? "(a link)" : pos[i]);
        size_t j = 0;
        while (j < *n && u[j].sub != s)
            j++;
        if (j == *n)
            u[(*n)++].sub = s;
    }
    for (size_t i = 0; i < *n; i++)
        cw_sub_url_redact(u[i].sub->url, u[i].red, sizeof u[i].red);
    return 0;
}

static cw_date today(const cw_station *st)
{
    char d[11];
    cw_date out;
    cal_local_day(st, (int64_t)time(NULL), d);
    return cw_date_parse(d, &out) ? (cw_date){1970, 1, 1} : out;
}

/* Report: problems on stderr (one line each), the rest on stdout; the exit code. */
static int report(cw_cli *cli, const char *sub, upd *u, size_t n, const upd_opts *o)
{
    const cw_station *st = cli->station;
    cw_tz *tz = NULL;
    cw_error err;
    cw_error_clear(&err);
    if (cw_tz_open(&tz, st->timezone, &err))
        tz = NULL;
    cw_civil a = {o->from.year, o->from.month, o->from.day, 0, 0, 0};
    cw_date end = cw_date_add_days(o->from, o->days);
    cw_civil z = {end.year, end.month, end.day, 0, 0, 0};
    int64_t from = cw_tz_to_utc(tz, &a), to = cw_tz_to_utc(tz, &z);
    int code = 0;
    size_t fetched = 0;
    for (size_t i = 0; i < n; i++) {
        char kept[200];
        cal_kept_copy(st, u[i].sub, kept, sizeof kept);
        if (u[i].out == UPDATED && changes_of(st, &u[i], from, to, &err))
            cw_cli_warnf(sub, "%s: what changed cannot be said: %s", u[i].sub->name, err.text);
        if (u[i].out > UPDATED)
            cw_cli_errorf(sub, "%s: %s; %s", u[i].sub->name, u[i].why, kept);
        if (u[i].out <= REFUSED && u[i].out != UNREACHABLE)
            fetched++;
        if (u[i].out == REFUSED || u[i].out == FAILED)
            code = CW_EXIT_REFUSED;
    }
    if (n && !fetched)
        code = CW_EXIT_ENV;
    stale *sv = NULL;
    size_t ns = 0;
    if (find_stale(st, tz, u, n, o->from, o->days, &sv, &ns))
        cw_cli_warnf(sub, "out of memory: stale bundles are not listed");
    cw_buf b;
    cw_buf_init(&b);
    if (!strcmp(o->format, "json"))
        put_json(&b, st, tz, u, n, sv, ns, o);
    else
        put_text(&b, tz, u, n, sv, ns, o);
    int wc = cw_cli_write_stdout(sub, &b);
    cw_buf_free(&b);
    for (size_t i = 0; i < ns; i++)
        cw_strlist_free(&sv[i].cals);
    free(sv);
    cw_tz_free(tz);
    return wc ? wc : code;
}

int cal_update(cw_cli *cli, int argc, char **argv)
{
    const char *sub = "calendar update";
    upd_opts o = {14, 60, 0, {0, 0, 0}, "text"};
    const cw_opt opts[] = {
        {"days", 0, CW_OPT_INT, &o.days, "N", "say what changed in the next N days (default 14)"},
        {"from", 0, CW_OPT_DATE, &o.from, "DATE", "the first of those days (default: today, station time)"},
        {"format", 0, CW_OPT_STRING, &o.format, "FMT", "text or json (default: text)"},
        {"timeout", 0, CW_OPT_INT, &o.timeout, "S", "give up on a link after S seconds (default 60)"},
        {"accept-errors", 0, CW_OPT_FLAG, &o.accept_errors, NULL,
         "take a new copy even when some of its events cannot be read (they are skipped)"},
        {0}};
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, sub, argc, argv, &pos, &npos, &rc,
                    "chalkwave calendar update [NAME...] [--days N] [--from DATE] [--format text|json] "
                    "[--timeout S] [--accept-errors]",
                    "Fetch subscribed calendars again (all, or those named). An unchanged calendar\n"
                    "costs one small request (If-None-Match / If-Modified-Since). A new copy that is\n"
                    "empty, a web page (a sign-in page), refused by import's checks or with events\n"
                    "that cannot be read never replaces the last good copy: update says why and\n"
                    "keeps it. Then it says what changed in the next days (added, removed, moved,\n"
                    "cancelled lessons, newsletter slots and holidays, other episodes) and which\n"
                    "built bundles are stale. Safe to run from cron while other commands run.\n"
                    "Exit 3 only when nothing could be fetched (offline); 1 when a new copy was\n"
                    "refused or a server answered with an error.",
                    opts))
        return rc;
    if (o.days < 1 || o.days > 366)
        return cw_cli_usagef(sub, "--days must be between 1 and 366");
    if (o.timeout < 1 || o.timeout > 3600)
        return cw_cli_usagef(sub, "--timeout must be between 1 and 3600 seconds");
    if (strcmp(o.format, "text") && strcmp(o.format, "json"))
        return cw_cli_usagef(sub, "--format must be text or json, not '%s'", o.format);
    int lock = -1;
    cw_subs subs;
    int code = cal_subs_open(cli, sub, &lock, &subs);
    if (code)
        return code;
    if (o.from.year == 0)
        o.from = today(cli->station);
    upd *u = calloc(subs.n + 1, sizeof *u);
    size_t n = 0;
    if (!u) {
        cw_cli_errorf(sub, "out of memory");
        code = CW_EXIT_ENV;
    } else if ((code = select_subs(sub, &subs, pos, npos, u, &n)) != 0) {
    } else if (n == 0) {
        printf("no subscriptions (follow a partner's published calendar: chalkwave calendar subscribe URL)\n");
    } else if ((code = fetch_all(cli, sub, u, n, &o)) == 0) {
        for (size_t i = 0; i < n; i++)
            judge(cli, &u[i], &o);
        if ((code = store(cli, sub, u, n, &subs)) == 0)
            code = report(cli, sub, u, n, &o);
    }
    for (size_t i = 0; u && i < n; i++) {
        cw_fetch_res_free(&u[i].res);
        free(u[i].f.data);
        free(u[i].f.name);
        free(u[i].old);
        cw_cal_changes_free(&u[i].changes);
    }
    free(u);
    cw_subs_free(&subs);
    cw_station_unlock(lock);
    return code;
}
