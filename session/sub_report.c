/* sub_report.c — the report of a `calendar update` (cw_subup, sub_update.c) as the CLI prints
 * it and the desk answers it: text lines (each update, each change, each stale bundle) and
 * the JSON of `--format json`.
 * Guarantees: the same update gives the same bytes; times are shown in the station's zone (and
 * UTC in JSON); no link, only its redacted form. */
#include "session.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *const OUTCOME_NAMES[] = {"unchanged", "updated", "unreachable", "refused", "failed"};

const char *cw_subup_outcome_name(cw_subup_outcome o)
{
    return (unsigned)o < sizeof OUTCOME_NAMES / sizeof *OUTCOME_NAMES ? OUTCOME_NAMES[o] : "";
}

int cw_subup_status(const cw_subup *u)
{
    size_t fetched = 0;
    int rc = 0;
    for (size_t i = 0; i < u->n; i++) {
        cw_subup_outcome o = u->v[i].outcome;
        if (o <= CW_SUBUP_REFUSED && o != CW_SUBUP_UNREACHABLE)
            fetched++;
        if (o == CW_SUBUP_REFUSED || o == CW_SUBUP_FAILED)
            rc = CW_EINVAL;
    }
    return u->n && !fetched ? CW_EIO : rc;
}

static cw_tz *zone_of(const cw_subup *u)
{
    cw_tz *tz = NULL;
    cw_error e;
    if (!u->timezone || cw_tz_open(&tz, u->timezone, &e))
        tz = NULL;
    return tz;
}

int cw_subup_change_text(const cw_subup *u, const cw_cal_change *c, cw_buf *b)
{
    cw_tz *tz = zone_of(u);
    cw_cal_change_text(c, tz, b);
    cw_tz_free(tz);
    return b->oom ? CW_ENOMEM : 0;
}

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

static json_t *calendar_json(const cw_tz *tz, const cw_subup_result *r)
{
    json_t *c = json_object(), *ch = json_array();
    char kept[11];
    int bad = r->outcome > CW_SUBUP_UPDATED, upd = r->outcome == CW_SUBUP_UPDATED;
    json_object_set_new(c, "name", json_string(r->name));
    json_object_set_new(c, "source", json_string(r->source));
    json_object_set_new(c, "result", json_string(cw_subup_outcome_name(r->outcome)));
    json_object_set_new(c, "reason", bad ? json_string(r->why) : json_null());
    if (r->good > 0) {
        cw_civil l;
        cw_tz_to_local(tz, r->good, &l, NULL);
        cw_date_format((cw_date){l.year, l.month, l.day}, kept);
    }
    /* the day of the copy kept instead of the new one */
    json_object_set_new(c, "kept", bad && r->good > 0 ? json_string(kept) : json_null());
    json_object_set_new(c, "events", upd ? json_integer((json_int_t)r->events) : json_null());
    json_object_set_new(c, "skipped", upd ? json_integer((json_int_t)r->skipped) : json_null());
    for (size_t k = 0; k < r->changes.n; k++)
        json_array_append_new(ch, change_json(tz, &r->changes.v[k]));
    json_object_set_new(c, "changes", ch);
    /* only when the comparison failed: then an empty "changes" does not mean "nothing" */
    if (r->changes_error[0]) json_object_set_new(c, "changes_error", json_string(r->changes_error));
    return c;
}

int cw_subup_json(const cw_subup *u, cw_buf *b)
{
    cw_tz *tz = zone_of(u);
    json_t *root = json_object(), *cals = json_array(), *st_arr = json_array();
    char d[11];
    cw_date_format(u->from, d);
    json_object_set_new(root, "from", json_string(d));
    json_object_set_new(root, "days", json_integer(u->days));
    json_object_set_new(root, "timezone", json_string(u->timezone ? u->timezone : ""));
    for (size_t i = 0; i < u->n; i++)
        json_array_append_new(cals, calendar_json(tz, &u->v[i]));
    json_object_set_new(root, "calendars", cals);
    for (size_t i = 0; i < u->n_stale; i++) {
        json_t *s = json_object(), *names = json_array();
        cw_date_format(u->stale[i].date, d);
        json_object_set_new(s, "date", json_string(d));
        char rel[20];
        snprintf(rel, sizeof rel, "out/%s", d);
        json_object_set_new(s, "path", json_string(rel));
        for (size_t k = 0; k < u->stale[i].cals.n; k++)
            json_array_append_new(names, json_string(u->stale[i].cals.v[k]));
        json_object_set_new(s, "calendars", names);
        json_array_append_new(st_arr, s);
    }
    json_object_set_new(root, "stale_bundles", st_arr);
    char *s = json_dumps(root, JSON_PRESERVE_ORDER | JSON_INDENT(2));
    json_decref(root);
    cw_tz_free(tz);
    if (s)
        cw_buf_printf(b, "%s\n", s);
    else
        b->oom = 1;
    free(s);
    return b->oom ? CW_ENOMEM : 0;
}

int cw_subup_text(const cw_subup *u, cw_buf *b)
{
    cw_tz *tz = zone_of(u);
    for (size_t i = 0; i < u->n; i++) {
        const cw_subup_result *r = &u->v[i];
        if (r->outcome == CW_SUBUP_UNCHANGED) {
            cw_buf_printf(b, "%s: unchanged%s\n", r->name,
                          r->restamped ? " (only its DTSTAMPs differ: the server stamps every download)" : "");
        } else if (r->outcome == CW_SUBUP_UPDATED) {
            cw_buf_printf(b, "%s: updated (%zu event%s", r->name, r->events, r->events == 1 ? "" : "s");
            if (r->skipped)
                cw_buf_printf(b, ", %zu skipped for errors", r->skipped);
            if (r->changes_error[0])
                cw_buf_printf(b, "); what changed in the next %d day%s cannot be said: %s\n", u->days,
                              u->days == 1 ? "" : "s", r->changes_error);
            else
                cw_buf_printf(b, "); %zu change%s in the next %d day%s%s\n", r->changes.n, r->changes.n == 1 ? "" : "s",
                              u->days, u->days == 1 ? "" : "s", r->changes.n ? ":" : "");
            for (size_t k = 0; k < r->changes.n; k++) {
                cw_buf_puts(b, "  ");
                cw_cal_change_text(&r->changes.v[k], tz, b);
                cw_buf_puts(b, "\n");
            }
        }
    }
    for (size_t i = 0; i < u->n_stale; i++) {
        char d[11];
        cw_date_format(u->stale[i].date, d);
        if (i == 0)
            cw_buf_puts(b, "stale bundles (built before these changes: build them again):\n");
        cw_buf_printf(b, "  out/%s (", d);
        for (size_t k = 0; k < u->stale[i].cals.n; k++)
            cw_buf_printf(b, "%s%s", k ? ", " : "", u->stale[i].cals.v[k]);
        cw_buf_printf(b, "): chalkwave build --date %s\n", d);
    }
    cw_tz_free(tz);
    return b->oom ? CW_ENOMEM : 0;
}
