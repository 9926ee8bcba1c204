/* session_calls.c — the calls commands and web handlers are made of: plan a day or a range,
 * the slots and the chase list over days, build a day's bundle, record or remove a station
 * change, find a slot by date and time. Each takes the station lock for its own duration
 * (unless the session holds one), plans with the current snapshot and holds the calendar
 * set only while planning.
 * Guarantees: a call either completes or leaves nothing behind (plans freed, station.ics
 * replaced atomically); the same station on disk gives the same results. */
#include "session_int.h"
#include "speak.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define SESSION_MAX_DAYS 400

static int range_days(cw_date from, cw_date to, size_t *n, cw_error *err)
{
    int64_t d = cw_days_from_civil(to.year, to.month, to.day) - cw_days_from_civil(from.year, from.month, from.day);
    if (d < 0) return cw_fail(err, CW_EINVAL, "", 0, "the range ends before it starts (swap the dates)");
    if (d >= SESSION_MAX_DAYS)
        return cw_fail(err, CW_ELIMIT, "", 0, "the range is longer than %d days (ask for it in parts)", SESSION_MAX_DAYS);
    *n = (size_t)d + 1;
    return 0;
}

/* Plan one day with a snapshot (its calendar set held for the duration). */
/* Newsletter events of the day whose Text: is (or will be) spoken (issue #18): a note on
 * the plan each, and a note on the item that airs a spoken one. */
static int note_spoken(const cw_station *st, const cw_calset *cals, const cw_library *lib,
                       cw_date date, cw_plan *p, cw_error *err)
{
    cw_speak_day_report rep;
    cw_diags d = {0};
    int rc = cw_speak_day_events(st, cals, lib, date, 1, &rep, &d, err);
    if (!rc && d.n) {
        /* "no newsletter item fits" is not news for a slot whose text is spoken at build: the
         * note says what happens instead */
        cw_diags keep = {0};
        for (size_t i = 0; i < p->warnings.n; i++) {
            const cw_diag *g = &p->warnings.v[i];
            int drop = 0;
            for (size_t k = 0; g->code && !strcmp(g->code, "plan.newsletter-empty") && k < d.n && !drop; k++)
                drop = !strcmp(d.v[k].code, "speak.event-text") && g->item && d.v[k].item &&
                       !strcmp(g->item, d.v[k].item) && g->file && d.v[k].file && !strcmp(g->file, d.v[k].file);
            if (!drop) cw_diags_add(&keep, g->severity, g->code, g->file, g->line, g->item, g->text);
        }
        cw_diags_extend(&keep, &d);
        if (keep.oom) {
            cw_diags_free(&keep);
            rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        } else {
            cw_diags_free(&p->warnings);
            p->warnings = keep;
        }
    }
    for (size_t i = 0; !rc && i < p->n_items; i++)
        for (size_t k = 0; k < rep.paths.n; k++)
            if (p->items[i].recording && !strcmp(p->items[i].recording, rep.paths.v[k]))
                cw_diags_add(&p->items[i].warnings, CW_DIAG_INFO, "speak.synthesised", rep.paths.v[k], 0, NULL,
                             "synthesised from its calendar event's text");
    cw_speak_day_report_free(&rep);
    cw_diags_free(&d);
    return rc;
}

static int plan_with(cw_session *s, cw_session_view *v, cw_date date, cw_plan **out, cw_error *err)
{
    const cw_station *st = cw_view_station(v);
    cw_air_history hist = cw_ss_records_history(s->records);
    cw_plan_inputs in = {
        .st = st,
        .lib = cw_view_library(v),
        .pending = cw_view_pending(v),
        .changes = cw_view_changes(v),
        .history = st->missed == CW_MISSED_HOLD ? &hist : NULL,
    };
    in.cals = cw_view_calendars_lock(v);
    int rc = cw_plan_day_with(out, &in, date, err);
    if (!rc) rc = note_spoken(st, in.cals, in.lib, date, *out, err);
    cw_view_calendars_unlock(v);
    if (rc) {
        cw_plan_free(*out);
        *out = NULL;
    }
    return rc;
}

void cw_session_plans_free(cw_plan **plans, size_t n)
{
    for (size_t i = 0; plans && i < n; i++) cw_plan_free(plans[i]);
    free(plans);
}

int cw_session_plans(cw_session *s, cw_date from, cw_date to, cw_plan ***out, size_t *n, cw_error *err)
{
    *out = NULL;
    *n = 0;
    size_t days;
    int rc = range_days(from, to, &days, err);
    if (rc) return rc;
    cw_plan **v = calloc(days, sizeof *v);
    if (!v) return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    int fd;
    if ((rc = cw_ss_lock_call(s, 0, &fd, err)) != 0) {
        free(v);
        return rc;
    }
    cw_session_view *view = NULL;
    rc = cw_ss_current(s, &view, NULL, err);
    size_t k = 0;
    for (cw_date d = from; !rc && k < days; d = cw_date_add_days(d, 1), k++) rc = plan_with(s, view, d, &v[k], err);
    cw_session_view_put(view);
    cw_ss_unlock_call(fd);
    if (rc) {
        cw_session_plans_free(v, days);
        return rc;
    }
    *out = v;
    *n = days;
    return 0;
}

int cw_session_plan(cw_session *s, cw_date date, cw_plan **out, cw_error *err)
{
    *out = NULL;
    cw_plan **v;
    size_t n;
    int rc = cw_session_plans(s, date, date, &v, &n, err);
    if (rc) return rc;
    *out = v[0];
    free(v);
    return 0;
}

int cw_session_slots(cw_session *s, cw_date from, cw_date to, unsigned status_mask, const char *series,
                     cw_slot_list *out, cw_error *err)
{
    size_t days;
    int rc = range_days(from, to, &days, err);
    if (rc) return rc;
    int fd;
    if ((rc = cw_ss_lock_call(s, 0, &fd, err)) != 0) return rc;
    cw_session_view *view = NULL;
    rc = cw_ss_current(s, &view, NULL, err);
    size_t k = 0;
    for (cw_date d = from; !rc && k < days; d = cw_date_add_days(d, 1), k++) {
        cw_plan *p = NULL;
        rc = plan_with(s, view, d, &p, err);
        if (!rc && cw_slot_list_add_plan(out, p, status_mask, series)) rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        cw_plan_free(p);
    }
    cw_session_view_put(view);
    cw_ss_unlock_call(fd);
    return rc;
}

int cw_session_missing(cw_session *s, cw_date from, cw_date to, cw_slot_list *out, cw_error *err)
{
    return cw_session_slots(s, from, to, CW_SLOTS_MISSING, NULL, out, err);
}

int cw_session_build(cw_session *s, cw_date date, const char *out_dir, cw_bundle_report *report, cw_plan **plan_out,
                     cw_error *err)
{
    if (plan_out) *plan_out = NULL;
    int fd;
    int rc = cw_ss_lock_call(s, 0, &fd, err);
    if (rc) return rc;
    cw_session_view *view = NULL;
    cw_plan *plan = NULL;
    char *dflt = NULL;
    rc = cw_ss_current(s, &view, NULL, err);
    /* newsletter events with a text and no recording are spoken into the library first, so
     * the plan airs them in their slots (issue #18) */
    cw_speak_day_report srep = {0};
    cw_strlist spoken = {0}; /* notes for the report (cw_bundle_build starts it afresh) */
    if (!rc) {
        cw_diags sd = {0};
        const cw_calset *cals = cw_view_calendars_lock(view);
        rc = cw_speak_day_events(cw_view_station(view), cals, NULL, date, 0, &srep, &sd, err);
        cw_view_calendars_unlock(view);
        if (!rc && srep.spoken)
            cw_strlist_pushf(&spoken, "synthesised %zu newsletter%s from %s calendar event's text", srep.spoken,
                             srep.spoken == 1 ? "" : "s", srep.spoken == 1 ? "its" : "their");
        for (size_t i = 0; !rc && i < sd.n; i++)
            if (sd.v[i].severity != CW_DIAG_INFO) cw_strlist_push(&spoken, sd.v[i].text);
        cw_diags_free(&sd);
    }
    if (!rc && srep.spoken) {
        cw_session_view_put(view); /* the library changed */
        view = NULL;
        rc = cw_ss_current(s, &view, NULL, err);
    }
    cw_speak_day_report_free(&srep);
    if (!rc) rc = plan_with(s, view, date, &plan, err);
    if (!rc && !out_dir) {
        char d[11];
        cw_date_format(date, d);
        if (!(dflt = cw_asprintf("%s/out/%s", s->dir, d))) rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        out_dir = dflt;
    }
    /* the long part: the snapshot's station is plain data, the calendar set is not needed */
    if (!rc) rc = cw_bundle_build(cw_view_station(view), plan, out_dir, report, err);
    for (size_t i = 0; !rc && report && i < spoken.n; i++) cw_strlist_push(&report->notes, spoken.v[i]);
    cw_strlist_free(&spoken);
    cw_session_view_put(view);
    cw_ss_unlock_call(fd);
    free(dflt);
    if (!rc && plan_out) *plan_out = plan;
    else cw_plan_free(plan);
    return rc;
}

/* ---- station changes ---------------------------------------------------------------- */

/* Read station.ics afresh under the exclusive lock, apply `edit`, write it back. */
static int edit_changes(cw_session *s, int (*edit)(cw_station_changes *, void *, cw_error *), void *arg,
                        cw_error *err)
{
    int fd;
    int rc = cw_ss_lock_call(s, 1, &fd, err);
    if (rc) return rc;
    cw_session_view *view = NULL;
    cw_station_changes ch = {0};
    rc = cw_ss_current(s, &view, NULL, err);
    if (!rc) rc = cw_station_changes_load(&ch, s->dir, err);
    if (!rc) rc = edit(&ch, arg, err);
    if (!rc) rc = cw_station_changes_save(&ch, s->dir, cw_view_station(view)->timezone, err);
    cw_station_changes_free(&ch);
    cw_session_view_put(view);
    cw_ss_unlock_call(fd);
    return rc;
}

typedef struct add_arg {
    const cw_station_change *c;
    char **id_out;
} add_arg;

static int do_add(cw_station_changes *ch, void *arg, cw_error *err)
{
    add_arg *a = arg;
    cw_station_change c = *a->c;
    c.id = NULL;
    /* a second move or a cancel of a moved instance replaces the move: the instance is still
     * known by its own start */
    for (size_t i = 0; i < ch->n; i++) {
        const cw_station_change *x = &ch->v[i];
        if ((c.action != CW_CHANGE_MOVE && c.action != CW_CHANGE_CANCEL) || x->action != CW_CHANGE_MOVE ||
            strcmp(x->event_file, c.event_file ? c.event_file : "") || strcmp(x->event_uid, c.event_uid ? c.event_uid : "") ||
            strcmp(x->recurrence_id, c.recurrence_id ? c.recurrence_id : ""))
            continue;
        c.orig_start = x->orig_start;
        char *id = cw_strdup(x->id);
        if (!id) return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        (void)cw_station_changes_remove(ch, id);
        free(id);
        break;
    }
    if (cw_station_changes_add(ch, &c)) return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    if (a->id_out && !(*a->id_out = cw_strdup(ch->v[ch->n - 1].id))) return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    return 0;
}

int cw_session_change_add(cw_session *s, const cw_station_change *c, char **id_out, cw_error *err)
{
    if (id_out) *id_out = NULL;
    add_arg a = {c, id_out};
    return edit_changes(s, do_add, &a, err);
}

static int do_remove(cw_station_changes *ch, void *arg, cw_error *err)
{
    const char *id = arg;
    if (!cw_station_changes_remove(ch, id)) return 0;
    cw_buf b;
    cw_buf_init(&b);
    for (size_t i = 0; i < ch->n && i < 20; i++) cw_buf_printf(&b, "%s%s", i ? ", " : "", ch->v[i].id);
    int rc = cw_fail(err, CW_ENOTFOUND, "", 0, "no station change '%s' (%s%s)", id, ch->n ? "there are: " : "there are none",
                     b.data ? b.data : "");
    cw_buf_free(&b);
    return rc;
}

int cw_session_change_remove(cw_session *s, const char *id, cw_error *err)
{
    return edit_changes(s, do_remove, (void *)id, err);
}

int cw_session_find_slot(cw_session *s, cw_date date, int minutes, const char *series, cw_slot_list *out,
                         cw_error *err)
{
    cw_plan *p = NULL;
    int rc = cw_session_plan(s, date, &p, err);
    if (rc) return rc;
    char ds[11];
    cw_date_format(date, ds);
    size_t found = SIZE_MAX, n = 0;
    cw_buf names;
    cw_buf_init(&names);
    for (size_t i = 0; i < p->n_slots; i++) {
        const cw_plan_slot *sl = &p->slots[i];
        if (sl->kind != CW_KIND_LESSON && sl->kind != CW_KIND_NEWSLETTER) continue;
        int64_t l = sl->start_utc + cw_plan_offset_at(p, sl->start_utc);
        int64_t days = l >= 0 ? l / 86400 : -((-l + 86399) / 86400);
        int y, m, d;
        cw_civil_from_days(days, &y, &m, &d);
        if (cw_date_cmp((cw_date){y, m, d}, date) || (l - days * 86400) / 60 != minutes) continue;
        if (series && !cw_series_eq(series, sl->series)) continue;
        cw_buf_printf(&names, "%s'%s' (series %s)", n ? ", " : "", sl->summary, sl->series[0] ? sl->series : "none");
        found = i;
        n++;
    }
    if (!n)
        rc = cw_fail(err, CW_ENOTFOUND, "", 0, "no lesson %sstarts at %02d:%02d on %s (see 'chalkwave plan --date %s')",
                     series ? "of that series " : "", minutes / 60, minutes % 60, ds, ds);
    else if (n > 1)
        rc = cw_fail(err, CW_EINVAL, "", 0, "%zu lessons start at %02d:%02d on %s: %s (name one with --series)", n,
                     minutes / 60, minutes % 60, ds, names.data ? names.data : "");
    else if (cw_slot_list_add_slot(out, p, found))
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    cw_buf_free(&names);
    cw_plan_free(p);
    return rc;
}
