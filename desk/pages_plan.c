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

/* ---- missing recordings --------------------------------------------------------------------- */

/* Every missing recording from `from` to `to` (included), by time. The view is held. */
int desk_missing_collect(desk_view *v, cw_date from, cw_date to, desk_missing **out, size_t *n, cw_error *err)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    desk_missing *m = NULL;
    for (cw_date d = from; cw_date_cmp(d, to) <= 0; d = cw_date_add_days(d, 1)) {
        const cw_plan *p;
        int rc = desk_view_plan(v, d, &p, err);
        if (rc) {
            free(m);
            return rc;
        }
        for (size_t i = 0; i < p->missing.n; i++) {
            /* "series\tepisode\tYYYY-MM-DD HH:MM" (scheduler.h) */
            const char *e = p->missing.v[i], *t1 = strchr(e, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
            if (!t1 || !t2) continue;
            if (*n == cap) {
                cap = cap ? cap * 2 : 32;
                desk_missing *nm = realloc(m, cap * sizeof *nm);
                if (!nm) {
                    free(m);
                    return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
                }
                m = nm;
            }
            desk_missing *x = &m[(*n)++];
            memset(x, 0, sizeof *x);
            snprintf(x->series, sizeof x->series, "%.*s", (int)(t1 - e), e);
            x->episode = atoi(t1 + 1);
            x->day = d;
            snprintf(x->time, sizeof x->time, "%.5s", strlen(t2 + 1) >= 16 ? t2 + 12 : "");
        }
    }
    *out = m;
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
            if (!strcasecmp(t->t.series.v[k], series)) {
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

void desk_h_missing(desk_req *r)
{
    cw_error err = {0};
    desk_view *v = r->d->view;
    if (desk_view_lock(v, &err)) {
        desk_reply_error(r, 503, err.text);
        return;
    }
    cw_date from, to;
    desk_missing *m = NULL;
    size_t n = 0;
    if (range_params(r, &from, &to) == 0) {
        if (desk_missing_collect(v, from, to, &m, &n, &err)) {
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
            if (n == 0) {
                desk_html(b, "<p class=\"good\" role=\"status\">Nothing is missing from %s to %s.</p>\n", f, t);
            } else {
                desk_html(b, "<p role=\"status\">%z recording%s still to come from %s to %s.</p>\n"
                             "<table class=\"list\"><thead><tr><th scope=\"col\">When</th><th scope=\"col\">Series</th>"
                             "<th scope=\"col\">Episode</th><th scope=\"col\">Teacher to ask</th></tr></thead><tbody>\n",
                          n, n == 1 ? " is" : "s are", f, t);
                for (size_t i = 0; i < n; i++) {
                    char day[48], who[512];
                    desk_fmt_day(m[i].day, day);
                    teachers_of(r->d, m[i].series, who, sizeof who);
                    desk_html(b, "<tr><td>%s %s</td><td>%s</td><td>%d</td><td>", day, m[i].time, m[i].series,
                              m[i].episode);
                    if (who[0]) desk_html(b, "%s (<a href=\"/staff/teachers\">new link</a>)", who);
                    else desk_html(b, "<a href=\"/staff/teachers\">add a teacher for %s</a>", m[i].series);
                    desk_html(b, "</td></tr>\n");
                }
                desk_html(b, "</tbody></table>\n");
            }
            desk_page_end(r);
            desk_reply_html(r, 200);
        }
    }
    free(m);
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
    desk_missing *m = NULL;
    size_t n = 0;
    if (range_params(r, &from, &to) == 0) {
        if (desk_missing_collect(v, from, to, &m, &n, &err)) {
            desk_reply_error(r, 500, err.text);
        } else {
            refresh_teachers(r);
            json_t *arr = json_array();
            for (size_t i = 0; i < n && arr; i++) {
                char day[11], who[512];
                cw_date_format(m[i].day, day);
                teachers_of(r->d, m[i].series, who, sizeof who);
                json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:i, s:s}", "date", day, "time", m[i].time,
                                                     "series", m[i].series, "episode", m[i].episode, "teachers", who));
            }
            char f[11], t[11];
            cw_date_format(from, f);
            cw_date_format(to, t);
            desk_reply_json(r, 200, json_pack("{s:s, s:s, s:o}", "from", f, "to", t, "missing", arr));
        }
    }
    free(m);
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
        for (size_t w = 0; w < it->warnings.n; w++) desk_html(b, "<span class=\"warn\">%s</span> ", it->warnings.v[w]);
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
        for (size_t i = 0; i < p->warnings.n; i++) desk_html(b, "<li>%s</li>\n", p->warnings.v[i]);
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
