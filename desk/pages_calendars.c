/* pages_calendars.c — partner calendars: the list with their priorities and problems, an
 * upload checked line by line (the `calendar check` result) and then imported with a
 * priority; POST /api/calendars does both at once.
 * Guarantees: nothing reaches calendars/ or station.conf unless the file has no errors;
 * the import takes the station lock exclusively and writes both atomically (a calendar
 * file and its [calendars] line); the browser's file name only suggests the calendar's
 * name, which must pass the station's name rule. */
#include "calendars.h"
#include "desk_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define CAL_MAX (8 * 1024 * 1024)

/* A calendar name from the browser's file name: "Term 1.ICS" -> "Term 1.ics", or "" when
 * it cannot be one (the staff member then types one). */
static void suggest_name(const char *file, char *out, size_t cap)
{
    out[0] = 0;
    size_t n = strlen(file);
    char stem[200];
    if (n > 4 && !strcasecmp(file + n - 4, ".ics")) n -= 4;
    if (n == 0 || n >= sizeof stem - 5) return;
    memcpy(stem, file, n);
    stem[n] = 0;
    snprintf(out, cap, "%.190s.ics", stem);
    if (!cw_station_calendar_name_valid(out) || out[0] == '.') out[0] = 0;
}

/* Check the bytes of a calendar as `calendar import` does: diagnostics into d, the events
 * used and skipped into *used and *skipped. Returns the calset's code, or CW_EINVAL when no
 * event can be used (every one was skipped for errors). */
static int check_calendar(const cw_station *st, const char *data, size_t len, const char *label, int priority,
                          int holidays, cw_diags *d, size_t *used, size_t *skipped, cw_error *err)
{
    *used = *skipped = 0;
    cw_calset *set = cw_calset_new(st->timezone);
    if (!set) return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    cw_cal_file_opts o = {label, priority, holidays};
    int rc = cw_calset_add_data_opts(set, data, len, &o, d, err);
    cw_cal_file_info info;
    if (rc == 0 && cw_calset_file_info(set, 0, &info) == 0) {
        *used = info.n_events;
        *skipped = info.n_skipped;
        if (info.n_events == 0 && info.n_skipped > 0)
            rc = cw_fail(err, CW_EINVAL, label, 0, "no event of this calendar can be used (each has an error)");
    }
    cw_calset_free(set);
    return rc;
}

static void diags_list(cw_buf *b, const cw_diags *d)
{
    if (!d->n) return;
    desk_html(b, "<ol class=\"diags\">\n");
    for (size_t i = 0; i < d->n; i++) {
        const cw_diag *g = &d->v[i];
        desk_html(b, "<li class=\"%s\"><strong>%s</strong> ", cw_diag_severity_name(g->severity),
                  cw_diag_severity_name(g->severity));
        if (g->line > 0) desk_html(b, "line %d: ", g->line);
        desk_html(b, "%s</li>\n", g->text);
    }
    desk_html(b, "</ol>\n");
}

static json_t *diags_json(const cw_diags *d)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < d->n && arr; i++) {
        const cw_diag *g = &d->v[i];
        json_array_append_new(arr, json_pack("{s:s, s:s, s:i, s:s}", "severity", cw_diag_severity_name(g->severity),
                                             "code", g->code ? g->code : "", "line", g->line, "text", g->text));
    }
    return arr;
}

void desk_h_calendars(desk_req *r)
{
    cw_error err = {0};
    desk_view *v = r->d->view;
    if (desk_view_lock(v, &err)) {
        desk_reply_error(r, 503, err.text);
        return;
    }
    const cw_station *st = desk_view_station(v);
    const cw_diags *cd = desk_view_calendar_diags(v);
    desk_page_begin(r, "Calendars", NAV_CALENDARS);
    cw_buf *b = &r->out;
    desk_html(b, "<h1>Partner calendars</h1>\n");
    const char *imp = desk_query(r, "imported");
    if (imp && *imp) desk_html(b, "<p class=\"good\" role=\"status\">Imported %s. The week shows its lessons now.</p>\n", imp);
    if (st->n_calendars == 0) desk_html(b, "<p>No partner calendars yet.</p>\n");
    else {
        desk_html(b, "<table class=\"list\"><thead><tr><th scope=\"col\">Calendar</th><th scope=\"col\">Priority</th>"
                     "<th scope=\"col\">Problems</th><th scope=\"col\">From</th></tr></thead><tbody>\n");
        for (size_t i = 0; i < st->n_calendars; i++) {
            const cw_partner_calendar *pc = &st->calendars[i];
            size_t nd = 0;
            for (size_t k = 0; k < cd->n; k++)
                if (cd->v[k].file && strstr(cd->v[k].file, pc->file)) nd++;
            desk_html(b, "<tr><td>%s%H</td><td>%d</td><td>%z</td><td>%s</td></tr>\n", pc->file,
                      pc->holidays ? " <span class=\"tag\">holidays</span>" : "", pc->priority, nd,
                      pc->source ? pc->source : "");
        }
        desk_html(b, "</tbody></table>\n");
    }
    if (cd->n) {
        desk_html(b, "<h2>What the calendars say</h2>\n");
        desk_html(b, "<ol class=\"diags\">\n");
        for (size_t i = 0; i < cd->n; i++) {
            const cw_diag *g = &cd->v[i];
            desk_html(b, "<li class=\"%s\"><strong>%s</strong> %s", cw_diag_severity_name(g->severity),
                      cw_diag_severity_name(g->severity), g->file ? g->file : "");
            if (g->line > 0) desk_html(b, " line %d", g->line);
            desk_html(b, ": %s</li>\n", g->text);
        }
        desk_html(b, "</ol>\n");
    }
    desk_subs_section(r, st);
    desk_html(b, "<h2>Add or replace a calendar</h2>\n<form method=\"post\" action=\"/staff/calendars/check\" "
                 "enctype=\"multipart/form-data\" class=\"stack upload\">");
    desk_csrf_field(r);
    desk_html(b, "<label for=\"ics\">Calendar file (.ics) from the partner</label>"
                 "<input id=\"ics\" name=\"file\" type=\"file\" accept=\".ics,text/calendar\" required>"
                 "<button type=\"submit\">Check it</button></form>\n"
                 "<p class=\"hint\">It is checked first; nothing changes until you import it.</p>\n");
    desk_view_unlock(v);
    desk_page_end(r);
    desk_reply_html(r, 200);
}

/* Read the uploaded calendar (at most CAL_MAX bytes) into *data. */
static int read_upload(desk_req *r, desk_file_part *f, char **data, size_t *len)
{
    *data = NULL;
    if (!f || f->size == 0) {
        desk_reply_error(r, 400, "choose a calendar file (.ics) to upload");
        return -1;
    }
    if (f->size > CAL_MAX) {
        desk_reply_error(r, 413, "this calendar is larger than 8 MB: ask the partner for the term's events only");
        return -1;
    }
    cw_error err = {0};
    if (cw_read_file(f->tmp_path, CAL_MAX, data, len, &err)) {
        desk_reply_error(r, 500, err.text);
        return -1;
    }
    return 0;
}

void desk_h_calendar_check(desk_req *r)
{
    desk_file_part *f = desk_file(r, "file");
    char *data;
    size_t len;
    if (read_upload(r, f, &data, &len)) return;
    cw_error err = {0};
    desk_view *v = r->d->view;
    if (desk_view_lock(v, &err)) {
        free(data);
        desk_reply_error(r, 503, err.text);
        return;
    }
    cw_diags d = {0};
    size_t used, skipped;
    int rc = check_calendar(desk_view_station(v), data, len, f->filename, 0, 0, &d, &used, &skipped, &err);
    desk_view_unlock(v);
    char id[24] = "";
    if (rc == 0) {
        /* kept for the import step under a name of the desk's */
        desk_token_new(id, sizeof id, 12);
        char *keep = cw_asprintf("%s/desk/uploads/cal-%s.ics", r->d->station_dir, id);
        if (!keep || rename(f->tmp_path, keep) != 0) id[0] = 0;
        free(keep);
    }
    free(data);
    char name[200];
    suggest_name(f->filename, name, sizeof name);
    desk_page_begin(r, "Check a calendar", NAV_CALENDARS);
    cw_buf *b = &r->out;
    desk_html(b, "<h1>%s</h1>\n", f->filename);
    if (rc) {
        desk_html(b, "<p class=\"problem\" role=\"alert\">This calendar cannot be used: %z error%s. Send these lines to the "
                     "partner; nothing was imported.</p>\n",
                  d.errors, d.errors == 1 ? "" : "s");
        if (!d.n) desk_html(b, "<p class=\"problem\">%s</p>\n", err.text);
    } else if (skipped) {
        desk_html(b, "<p class=\"problem\" role=\"status\">The calendar can be used: %z event%s, but %z with errors "
                     "will be skipped. Send these lines to the partner.</p>\n",
                  used, used == 1 ? "" : "s", skipped);
    } else {
        desk_html(b, "<p class=\"good\" role=\"status\">The calendar can be used: %z event%s%H.</p>\n", used,
                  used == 1 ? "" : "s", d.warnings ? " (read the warnings: chalkwave repaired or ignored those lines)" : "");
    }
    diags_list(b, &d);
    if (rc == 0 && id[0]) {
        desk_html(b, "<form method=\"post\" action=\"/staff/calendars/import\" class=\"stack\">");
        desk_csrf_field(r);
        desk_html(b, "<input type=\"hidden\" name=\"upload\" value=\"%s\">"
                     "<label for=\"name\">Name in the station</label><input id=\"name\" name=\"name\" value=\"%s\" required "
                     "pattern=\".+\\.ics\">"
                     "<label for=\"priority\">Priority (a higher number wins when two calendars want the same time)</label>"
                     "<input id=\"priority\" name=\"priority\" value=\"0\" inputmode=\"numeric\">"
                     "<label><input type=\"checkbox\" name=\"holidays\" value=\"yes\"> A public-holidays calendar: its "
                     "all-day events stop lessons</label>"
                     "<input type=\"hidden\" name=\"source\" value=\"%s\">"
                     "<button type=\"submit\">Import</button></form>\n",
                  id, name, f->filename);
    }
    desk_html(b, "<p><a href=\"/staff/calendars\">Back to the calendars</a></p>\n");
    desk_page_end(r);
    desk_reply_html(r, rc ? 422 : 200);
    cw_diags_free(&d);
}

/* Write calendars/NAME and its [calendars] line under the exclusive station lock. */
static int import_calendar(cw_desk *d, const char *name, int priority, int holidays, const char *source,
                           const char *data, size_t len, cw_diags *diags, size_t *used, size_t *skipped, cw_error *err)
{
    int lock;
    int rc = cw_station_lock(d->station_dir, 1, 30, &lock, err);
    if (rc) return rc;
    cw_station *st = NULL;
    rc = cw_station_load(&st, d->station_dir, err);
    if (rc == 0) rc = check_calendar(st, data, len, name, priority, holidays, diags, used, skipped, err);
    char *dir = rc == 0 ? cw_path_join(st->dir, "calendars") : NULL;
    char *dst = dir ? cw_path_join(dir, name) : NULL;
    if (rc == 0 && (!dir || !dst)) rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    if (rc == 0) rc = cw_mkdir_p(dir, err);
    if (rc == 0) {
        cw_cleanup_stale_tmp(dir);
        rc = cw_write_file_atomic(dst, data, len, err);
    }
    /* the source is what the staff member uploaded: its name, one line, no commas' worries
     * (it is the rest of the [calendars] line) */
    char src[300];
    snprintf(src, sizeof src, "desk upload %s", source && *source ? source : name);
    for (char *p = src; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == ';' || *p == '#') *p = ' ';
    cw_partner_calendar pc = {.file = (char *)name, .priority = priority, .holidays = holidays, .source = src};
    if (rc == 0) rc = cw_station_put_calendar(st, &pc, err);
    free(dst);
    free(dir);
    cw_station_free(st);
    cw_station_unlock(lock);
    if (rc == 0) desk_view_invalidate(d->view);
    return rc;
}

static int name_and_priority(desk_req *r, const char *name, const char *prio, long *p)
{
    if (!name || !cw_station_calendar_name_valid(name) || strlen(name) < 5 ||
        strcasecmp(name + strlen(name) - 4, ".ics") != 0 || name[0] == '.') {
        desk_reply_error(r, 422, "the name must be a plain file name ending in .ics (letters, digits, '-', '_')");
        return -1;
    }
    *p = 0;
    if (prio && *prio && desk_parse_long(prio, -1000000, 1000000, p)) {
        desk_reply_error(r, 422, "the priority must be a whole number (a higher number wins a conflict)");
        return -1;
    }
    return 0;
}

void desk_h_calendar_import(desk_req *r)
{
    const char *id = desk_field(r, "upload"), *name = desk_field(r, "name");
    long prio;
    if (!id || strlen(id) != 16 || strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != 16) {
        desk_reply_error(r, 400, "check the calendar first");
        return;
    }
    if (name_and_priority(r, name, desk_field(r, "priority"), &prio)) return;
    char *path = cw_asprintf("%s/desk/uploads/cal-%s.ics", r->d->station_dir, id);
    char *data = NULL;
    size_t len = 0;
    cw_error err = {0};
    if (!path || cw_read_file(path, CAL_MAX, &data, &len, &err)) {
        free(path);
        desk_reply_error(r, 404, "that checked calendar is gone (the desk restarted): check it again");
        return;
    }
    cw_diags d = {0};
    size_t used, skipped;
    const char *hol = desk_field(r, "holidays");
    int rc = import_calendar(r->d, name, (int)prio, hol && !strcmp(hol, "yes"), desk_field(r, "source"), data, len, &d,
                             &used, &skipped, &err);
    free(data);
    if (rc == 0) unlink(path);
    free(path);
    cw_diags_free(&d);
    if (rc) {
        desk_reply_error(r, rc == CW_ELOCKED ? 503 : rc == CW_EINVAL ? 422 : 500, err.text);
        return;
    }
    cw_buf loc;
    cw_buf_init(&loc);
    desk_html(&loc, "/staff/calendars?imported=%Q", name);
    desk_reply_redirect(r, loc.data ? loc.data : "/staff/calendars");
    cw_buf_free(&loc);
}

void desk_h_api_calendars(desk_req *r)
{
    desk_file_part *f = desk_file(r, "file");
    char *data;
    size_t len;
    if (read_upload(r, f, &data, &len)) return;
    char suggested[200];
    suggest_name(f->filename, suggested, sizeof suggested);
    const char *name = desk_field(r, "name");
    if (!name || !*name) name = suggested;
    long prio;
    if (name_and_priority(r, name, desk_field(r, "priority"), &prio)) {
        free(data);
        return;
    }
    cw_diags d = {0};
    cw_error err = {0};
    size_t used, skipped;
    const char *hol = desk_field(r, "holidays");
    int rc = import_calendar(r->d, name, (int)prio, hol && (!strcmp(hol, "yes") || !strcmp(hol, "1")), f->filename,
                             data, len, &d, &used, &skipped, &err);
    free(data);
    if (rc)
        desk_reply_json(r, rc == CW_ELOCKED ? 503 : (rc == CW_EINVAL || rc == CW_ELIMIT) ? 422 : 500,
                        json_pack("{s:b, s:s, s:o}", "imported", 0, "error", err.text, "diagnostics", diags_json(&d)));
    else
        desk_reply_json(r, 200, json_pack("{s:b, s:s, s:i, s:I, s:I, s:o}", "imported", 1, "name", name, "priority",
                                          (int)prio, "events", (json_int_t)used, "skipped", (json_int_t)skipped,
                                          "diagnostics", diags_json(&d)));
    cw_diags_free(&d);
}
