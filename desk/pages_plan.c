/* pages_plan.c — the week (each day's plan, as guide.html shows it, with its warnings), the
 * missing recordings (the station's to-do list, with the teachers to chase), and their
 * JSON twins GET /api/plan and GET /api/missing.
 * Guarantees: read-only; plans come from the view's cache, so a page costs no planning
 * when nothing changed; ranges are bounded (7 days per week page, 62 for missing). */
#include "desk_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MISSING_MAX_DAYS 62

static const char *const weekday_names[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                                            "Sunday"};
static const char *const month_names[] = {"January", "February", "March",     "April",   "May",      "June",
                                          "July",    "August",   "September", "October", "November", "December"};

void desk_fmt_day(cw_date d, char out[48])
{
    snprintf(out, 48, "%s %d %s %d", weekday_names[cw_weekday(d)], d.day, month_names[(d.month - 1) % 12], d.year);
}

/* "HH:MM" of a sample offset in the plan, station time. */
void desk_plan_hhmm(const cw_plan *p, int64_t offset, char out[8])
{
    char iso[32];
    cw_plan_local_time(p, offset, iso);
    snprintf(out, 8, "%.5s", strlen(iso) >= 16 ? iso + 11 : "--:--");
}

/* ---- missing recordings ----------------------------------------------------------------------- */

void desk_slot_local(const cw_slot_entry *e, cw_date *day, char hhmm[8])
{
    int64_t l = e->slot.start_utc + e->utc_offset;
    int64_t days = l >= 0 ? l / 86400 : -((-l + 86399) / 86400);
    int64_t sod = l - days * 86400;
    cw_civil_from_days(days, &day->year, &day->month, &day->day);
    snprintf(hhmm, 8, "%02d:%02d", (int)(sod / 3600), (int)(sod / 60 % 60));
}

int desk_slots_collect(desk_view *v, cw_date from, cw_date to, unsigned mask, const char *series, cw_slot_list *out,
                       cw_error *err)
{
    for (cw_date d = from; cw_date_cmp(d, to) <= 0; d = cw_date_add_days(d, 1)) {
        const cw_plan *p;
        int rc = desk_view_plan(v, d, &p, err);
        if (rc == 0 && cw_slot_list_add_plan(out, p, mask, series) != 0)
            rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        if (rc) return rc;
    }
    return 0;
}

/* Names of the desk's teachers who record `series` (", "-separated), "" when none. */
static void teachers_of(cw_desk *d, const char *series, char *out, size_t cap)
{
    out[0] = 0;
    pthread_mutex_lock(&d->teach_mu);
    for (size_t i = 0; i < d->n_teachers; i++) {
        const desk_teacher *t = &d->teachers[i];
        if (t->t.revoked) continue;
        for (size_t k = 0; k < t->t.series.n; k++)
            if (cw_series_eq(t->t.series.v[k], series)) {
                size_t l = strlen(out);
                snprintf(out + l, cap - l, "%s%s", l ? ", " : "", t->t.name);
                break;
            }
    }
    pthread_mutex_unlock(&d->teach_mu);
}

/* Make sure the teacher list is current (it is reloaded when teachers.json changes). */
static void refresh_teachers(desk_req *r)
{
    desk_auth_teacher(r, ""); /* an empty token matches nobody, but reloads the list */
}

/* Parse ?from & ?to (defaults: today .. today + 13). The view is held. */
static int range_params(desk_req *r, cw_date *from, cw_date *to)
{
    if (desk_day_param(r, desk_query(r, "from"), from)) return -1;
    const char *t = desk_query(r, "to");
    if (t && *t) {
        if (desk_day_param(r, t, to)) return -1;
    } else {
        *to = cw_date_add_days(*from, 13);
    }
    if (cw_date_cmp(*to, *from) < 0) {
        desk_reply_error(r, 400, "'to' is before 'from'");
        return -1;
    }
    if (cw_days_from_civil(to->year, to->month, to->day) - cw_days_from_civil(from->year, from->month, from->day) >=
        MISSING_MAX_DAYS) {
        desk_reply_error(r, 400, "ask for at most 62 days at a time");
        return -1;
    }
    return 0;
}

static void missing_table(desk_req *r, const cw_slot_list *l)
{
    cw_buf *b = &r->out;
    desk_html(b, "<table class=\"list\"><thead><tr><th scope=\"col\">When</th><th scope=\"col\">Lesson</th>"
                 "<th scope=\"col\">Teacher to ask</th><th scope=\"col\">Why</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < l->n; i++) {
        const cw_plan_slot *s = &l->v[i].slot;
        cw_date day;
        char hhmm[8], when[48], desk_t[512];
        desk_slot_local(&l->v[i], &day, hhmm);
        desk_fmt_day(day, when);
        teachers_of(r->d, s->series, desk_t, sizeof desk_t);
        desk_html(b, "<tr class=\"s-%s\"><td>%s %s</td><td>%s <small>%s", cw_slot_status_name(s->status), when, hhmm,
                  s->summary && s->summary[0] ? s->summary : s->series, s->series);
        if (s->episode > 0) desk_html(b, " ep. %d", s->episode);
        desk_html(b, "</small></td><td>");
        if (s->teacher && s->teacher[0]) desk_html(b, "%s", s->teacher);
        if (desk_t[0]) desk_html(b, "%s%s (<a href=\"/staff/teachers\">link</a>)", s->teacher && s->teacher[0] ? "; on the desk: " : "",
                                 desk_t);
        else desk_html(b, "%s<a href=\"/staff/teachers\">give a teacher a link for %s</a>",
                       s->teacher && s->teacher[0] ? "; " : "", s->series);
        if (s->status == CW_SLOT_PENDING)
            desk_html(b, "</td><td><span class=\"tag warn\">awaiting approval</span> <a href=\"/staff/inbox\">listen and decide</a>"
                         "</td></tr>\n");
        else desk_html(b, "</td><td>%s</td></tr>\n", s->reason ? s->reason : "");
    }
    desk_html(b, "</tbody></table>\n");
}

void desk_h_missing(desk_req *r)
{
    cw_error err = {0};
    desk_view *v = r->d->view;
    if (desk_view_lock(v, &err)) {
        desk_reply_error(r, 503, err.text);
        return;
    }
    cw_date from, to;
    cw_slot_list l = {0};
    if (range_params(r, &from, &to) == 0) {
        if (desk_slots_collect(v, from, to, CW_SLOTS_MISSING, NULL, &l, &err)) {
            desk_reply_error(r, 500, err.text);
        } else {
            refresh_teachers(r);
            char f[11], t[11];
            cw_date_format(from, f);
            cw_date_format(to, t);
            desk_page_begin(r, "Missing recordings", NAV_MISSING);
            cw_buf *b = &r->out;
            desk_html(b, "<h1>Missing recordings</h1>\n<form method=\"get\" action=\"/staff/missing\" class=\"inline\">"
                         "<label for=\"from\">From</label> <input id=\"from\" name=\"from\" type=\"date\" value=\"%s\"> "
                         "<label for=\"to\">to</label> <input id=\"to\" name=\"to\" type=\"date\" value=\"%s\"> "
                         "<button type=\"submit\">Show</button></form>\n",
                      f, t);
            if (l.n == 0) desk_html(b, "<p class=\"good\" role=\"status\">Nothing is missing from %s to %s.</p>\n", f, t);
            else {
                desk_html(b, "<p role=\"status\">%z recording%s still to come from %s to %s.</p>\n", l.n,
                          l.n == 1 ? " is" : "s are", f, t);
                missing_table(r, &l);
            }
            desk_page_end(r);
            desk_reply_html(r, 200);
        }
    }
    cw_slot_list_free(&l);
    desk_view_unlock(v);
}

void desk_h_api_missing(desk_req *r)
{
    cw_error err = {0};
    desk_view *v = r->d->view;
    if (desk_view_lock(v, &err)) {
        desk_reply_error(r, 503, err.text);
        return;
    }
    cw_date from, to;
    cw_slot_list l = {0};
    if (range_params(r, &from, &to) == 0) {
        if (desk_slots_collect(v, from, to, CW_SLOTS_MISSING, NULL, &l, &err)) {
            desk_reply_error(r, 500, err.text);
        } else {
            /* the same JSON as `chalkwave plan --missing --format json` */
            r->out.len = 0;
            if (cw_chase_write(&l, CW_CHASE_JSON, &r->out) != 0 || r->out.oom) desk_reply_error(r, 500, "out of memory");
            else {
                r->status = 200;
                r->ctype = "application/json";
            }
        }
    }
    cw_slot_list_free(&l);
    desk_view_unlock(v);
}

/* ---- the week ----------------------------------------------------------------------------- */

static void day_table(cw_buf *b, const cw_plan *p)
{
    if (p->n_items == 0) {
        desk_html(b, "<p>Nothing is planned.</p>\n");
        return;
    }
    desk_html(b, "<table class=\"plan\"><thead><tr><th scope=\"col\">Time</th><th scope=\"col\">What</th>"
                 "<th scope=\"col\">Length</th><th scope=\"col\">Notes</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < p->n_items; i++) {
        const cw_plan_item *it = &p->items[i];
        char hhmm[8], len[32];
        desk_plan_hhmm(p, it->offset_samples, hhmm);
        /* a run of fillers (or of newsletters) without warnings is one row, with the first
         * titles: the station's own sound between lessons, not hundreds of lines */
        size_t run = 0;
        int64_t run_len = 0;
        while ((it->kind == CW_KIND_FILLER || it->kind == CW_KIND_NEWSLETTER) && i + run < p->n_items &&
               p->items[i + run].kind == it->kind && !p->items[i + run].warnings.n) {
            run_len += p->items[i + run].length_samples;
            run++;
        }
        if (run > 1) {
            desk_fmt_length(p->rate > 0 ? (double)run_len / p->rate : 0, len);
            desk_html(b, "<tr class=\"k-%s\"><td>%s</td><td><span class=\"kind\">%s</span> %z %ss: ", cw_kind_name(it->kind),
                      hhmm, cw_kind_name(it->kind), run, cw_kind_name(it->kind));
            for (size_t k = 0; k < run && k < 3; k++)
                desk_html(b, "%s%s", k ? ", " : "", p->items[i + k].title[0] ? p->items[i + k].title : p->items[i + k].series);
            if (run > 3) desk_html(b, " and %z more", run - 3);
            desk_html(b, "</td><td>%s</td><td></td></tr>\n", len);
            i += run - 1;
            continue;
        }
        desk_fmt_length(p->rate > 0 ? (double)it->length_samples / p->rate : 0, len);
        desk_html(b, "<tr class=\"k-%s\"><td>%s</td><td><span class=\"kind\">%s</span> ", cw_kind_name(it->kind), hhmm,
                  cw_kind_name(it->kind));
        if (it->kind == CW_KIND_SILENCE) desk_html(b, "silence");
        else desk_html(b, "%s", it->title[0] ? it->title : it->series);
        if (it->series[0] && it->kind != CW_KIND_FILLER) {
            desk_html(b, " <small>%s", it->series);
            if (it->episode > 0) desk_html(b, " ep. %d", it->episode);
            desk_html(b, "</small>");
        }
        if (it->teacher[0]) desk_html(b, " <small>· %s</small>", it->teacher);
        desk_html(b, "</td><td>%s</td><td>", len);
        if (it->hard_start) desk_html(b, "<span class=\"tag\">fixed time</span> ");
        if (it->repeat) desk_html(b, "<span class=\"tag\">repeat</span> ");
        if (it->cut) desk_html(b, "<span class=\"tag warn\">cut</span> ");
        for (size_t w = 0; w < it->warnings.n; w++) desk_html(b, "<span class=\"warn\">%s</span> ", it->warnings.v[w].text);
        desk_html(b, "</td></tr>\n");
    }
    desk_html(b, "</tbody></table>\n");
}

void desk_plan_section(cw_buf *b, const cw_plan *p, int with_link)
{
    char day[48], iso[11];
    desk_fmt_day(p->date, day);
    cw_date_format(p->date, iso);
    desk_html(b, "<section class=\"day\" aria-labelledby=\"d-%s\">\n<h2 id=\"d-%s\">%s</h2>\n", iso, iso, day);
    if (with_link) desk_html(b, "<p class=\"actions\"><a href=\"/staff/days/%U\">Build or download this day</a></p>\n", iso);
    if (p->warnings.n) {
        desk_html(b, "<details class=\"warnings\" open><summary>%z warning%s</summary><ul>\n", p->warnings.n,
                  p->warnings.n == 1 ? "" : "s");
        for (size_t i = 0; i < p->warnings.n; i++) desk_html(b, "<li>%s</li>\n", p->warnings.v[i].text);
        desk_html(b, "</ul></details>\n");
    }
    day_table(b, p);
    desk_html(b, "</section>\n");
}

void desk_h_week(desk_req *r)
{
    cw_error err = {0};
    desk_view *v = r->d->view;
    if (desk_view_lock(v, &err)) {
        desk_reply_error(r, 503, err.text);
        return;
    }
    cw_date from;
    if (desk_day_param(r, desk_query(r, "from"), &from) == 0) {
        desk_page_begin(r, "Week", NAV_WEEK);
        cw_buf *b = &r->out;
        char f[11], prev[11], next[11], last[48];
        cw_date_format(from, f);
        cw_date_format(cw_date_add_days(from, -7), prev);
        cw_date_format(cw_date_add_days(from, 7), next);
        desk_fmt_day(cw_date_add_days(from, 6), last);
        desk_html(b, "<h1>The week from %s</h1>\n<nav class=\"pager\" aria-label=\"Weeks\"><a href=\"/staff/week?from=%Q\">"
                     "&larr; Week before</a> <a href=\"/staff/week\">This week</a> <a href=\"/staff/week?from=%Q\">"
                     "Week after &rarr;</a></nav>\n",
                  f, prev, next);
        const cw_diags *cd = desk_view_calendar_diags(v);
        if (cd->errors)
            desk_html(b, "<p class=\"problem\" role=\"alert\">A partner calendar has errors: see "
                         "<a href=\"/staff/calendars\">Calendars</a>.</p>\n");
        int failed = 0;
        for (int i = 0; i < 7 && !failed; i++) {
            const cw_plan *p;
            if (desk_view_plan(v, cw_date_add_days(from, i), &p, &err)) {
                desk_html(b, "<p class=\"problem\" role=\"alert\">%s</p>\n", err.text);
                failed = 1;
            } else {
                desk_plan_section(b, p, 1);
            }
        }
        desk_page_end(r);
        desk_reply_html(r, 200);
    }
    desk_view_unlock(v);
}

void desk_h_api_plan(desk_req *r)
{
    cw_error err = {0};
    desk_view *v = r->d->view;
    if (desk_view_lock(v, &err)) {
        desk_reply_error(r, 503, err.text);
        return;
    }
    cw_date day;
    const cw_plan *p;
    if (desk_day_param(r, desk_query(r, "date"), &day) == 0) {
        if (desk_view_plan(v, day, &p, &err)) {
            desk_reply_error(r, err.source[0] ? 422 : 500, err.text);
        } else {
            r->out.len = 0;
            if (cw_plan_to_json(p, &r->out) != 0 || r->out.oom) desk_reply_error(r, 500, "out of memory");
            else {
                r->status = 200;
                r->ctype = "application/json";
            }
        }
    }
    desk_view_unlock(v);
}
