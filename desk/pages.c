/* pages.c — the page layout every HTML answer shares (head, navigation, logout form,
 * footer), the front door and login, assets, settings, job pages, and small helpers.
 * Guarantees: every page is written through desk_html (escaped); no inline script or
 * style (the CSP forbids them); each page has one <h1>, a skip link, labelled controls. */
#include "desk_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const struct {
    desk_nav nav;
    const char *href, *label;
} nav_items[] = {
    {NAV_WEEK, "/staff/week", "Week"},         {NAV_MISSING, "/staff/missing", "Missing"},
    {NAV_LIBRARY, "/staff/library", "Library"}, {NAV_INBOX, "/staff/inbox", "Inbox"},
    {NAV_CALENDARS, "/staff/calendars", "Calendars"}, {NAV_DAYS, "/staff/days", "Days"},
    {NAV_TEACHERS, "/staff/teachers", "Teachers"}, {NAV_SETTINGS, "/staff/settings", "Settings"},
};

void desk_csrf_field(desk_req *r)
{
    desk_html(&r->out, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", r->sess.csrf);
}

void desk_page_begin(desk_req *r, const char *title, desk_nav nav)
{
    cw_buf *b = &r->out;
    desk_html(b,
              "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
              "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
              "<title>%s · %s</title>\n<link rel=\"stylesheet\" href=\"/assets/desk.css\">\n"
              "<link rel=\"icon\" href=\"data:,\">\n<script src=\"/assets/desk.js\" defer></script>\n",
              title, r->d->station_name[0] ? r->d->station_name : "chalkwave desk");
    if (r->refresh_seconds > 0) desk_html(b, "<meta http-equiv=\"refresh\" content=\"%d\">\n", r->refresh_seconds);
    desk_html(b, "</head>\n<body>\n<a class=\"skip\" href=\"#main\">Skip to the content</a>\n<header class=\"top\">\n"
                 "<p class=\"brand\">%s <span>desk</span></p>\n",
              r->d->station_name[0] ? r->d->station_name : "chalkwave");
    if (r->staff && !r->teacher) {
        desk_html(b, "<nav aria-label=\"Desk\"><ul>\n");
        for (size_t i = 0; i < sizeof nav_items / sizeof nav_items[0]; i++)
            desk_html(b, "<li><a href=\"%s\"%H>%s</a></li>\n", nav_items[i].href,
                      nav_items[i].nav == nav ? " aria-current=\"page\"" : "", nav_items[i].label);
        desk_html(b, "</ul></nav>\n<form class=\"logout\" method=\"post\" action=\"/logout\">");
        desk_csrf_field(r);
        desk_html(b, "<button type=\"submit\">Log out %s</button></form>\n", r->sess.user);
    }
    desk_html(b, "</header>\n<main id=\"main\">\n");
}

void desk_page_end(desk_req *r)
{
    desk_html(&r->out, "</main>\n<footer><p>chalkwave %s · works offline</p></footer>\n</body>\n</html>\n",
              CW_VERSION);
}

cw_date desk_today(const cw_station *st)
{
    time_t now = time(NULL);
    cw_date d = {1970, 1, 1};
    cw_tz *tz = NULL;
    if (cw_tz_open(&tz, st->timezone, NULL) == 0) {
        cw_civil c;
        int off;
        cw_tz_to_local(tz, (int64_t)now, &c, &off);
        d.year = c.year;
        d.month = c.month;
        d.day = c.day;
        cw_tz_free(tz);
    }
    return d;
}

int desk_day_param(desk_req *r, const char *s, cw_date *out)
{
    if (s && *s) {
        if (cw_date_parse(s, out) != 0 || out->year < 1971 || out->year > 2999) {
            desk_reply_error(r, 400, "the date must be written YYYY-MM-DD, e.g. 2026-03-16");
            return -1;
        }
        return 0;
    }
    *out = desk_today(desk_view_station(r->d->view));
    return 0;
}

/* ---- front door and login ------------------------------------------------------------------ */

void desk_h_root(desk_req *r)
{
    desk_reply_redirect(r, r->staff ? "/staff/week" : "/login");
}

/* Only a local path may follow a login: never another site. */
static const char *safe_next(const char *next)
{
    if (!next || next[0] != '/' || next[1] == '/' || next[1] == '\\' || strpbrk(next, "\r\n") ||
        strlen(next) > 1000)
        return "/staff/week";
    return next;
}

static void login_page(desk_req *r, int status, const char *problem, const char *user, const char *next)
{
    r->out.len = 0;
    desk_page_begin(r, "Log in", NAV_NONE);
    desk_html(&r->out, "<h1>Log in to the desk</h1>\n");
    if (problem) desk_html(&r->out, "<p class=\"problem\" role=\"alert\">%s</p>\n", problem);
    desk_html(&r->out,
              "<form method=\"post\" action=\"/login\" class=\"stack\">\n"
              "<input type=\"hidden\" name=\"next\" value=\"%s\">\n"
              "<label for=\"user\">User name</label>\n"
              "<input id=\"user\" name=\"user\" autocomplete=\"username\" required value=\"%s\">\n"
              "<label for=\"password\">Password</label>\n"
              "<input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\n"
              "<button type=\"submit\">Log in</button>\n</form>\n"
              "<p class=\"hint\">Teachers: use the personal link the station gave you. Staff accounts are made "
              "on the station's computer with <code>chalkwave user add NAME</code>.</p>\n",
              safe_next(next), user ? user : "");
    desk_page_end(r);
    desk_reply_html(r, status);
}

void desk_h_login_form(desk_req *r)
{
    if (r->staff) {
        desk_reply_redirect(r, safe_next(desk_query(r, "next")));
        return;
    }
    login_page(r, 200, NULL, NULL, desk_query(r, "next"));
}

void desk_h_login(desk_req *r)
{
    const char *user = desk_field(r, "user"), *pw = desk_field(r, "password");
    desk_session s;
    cw_error err = {0};
    int rc = desk_login(r, user, pw, &s, &err);
    if (rc) {
        if (rc == CW_ELIMIT) {
            char ra[16];
            snprintf(ra, sizeof ra, "%d", err.line);
            desk_add_header(r, "Retry-After", ra);
        }
        login_page(r, rc == CW_ELIMIT ? 429 : rc == CW_EINVAL ? 403 : 500, err.text, user, desk_field(r, "next"));
        return;
    }
    desk_reply_redirect(r, safe_next(desk_field(r, "next")));
}

void desk_h_logout(desk_req *r)
{
    desk_logout(r);
    desk_reply_redirect(r, "/login");
}

void desk_h_api_login(desk_req *r)
{
    desk_session s;
    cw_error err = {0};
    int rc = desk_login(r, desk_field(r, "user"), desk_field(r, "password"), &s, &err);
    if (rc) {
        if (rc == CW_ELIMIT) {
            char ra[16];
            snprintf(ra, sizeof ra, "%d", err.line);
            desk_add_header(r, "Retry-After", ra);
        }
        desk_reply_error(r, rc == CW_ELIMIT ? 429 : rc == CW_EINVAL ? 403 : 500, err.text);
        return;
    }
    desk_reply_json(r, 200, json_pack("{s:s, s:s, s:s}", "user", s.user, "csrf", s.csrf, "csrf_header",
                                      "X-Chalkwave-CSRF"));
}

void desk_h_api_logout(desk_req *r)
{
    desk_logout(r);
    desk_reply_json(r, 200, json_pack("{s:b}", "logged_out", 1));
}

void desk_h_asset(desk_req *r)
{
    const desk_asset *a = desk_asset_find(r->args[0]);
    if (!a) {
        desk_reply_error(r, 404, "there is no such file");
        return;
    }
    const char *inm = desk_header(r, "If-None-Match");
    desk_add_header(r, "ETag", a->etag);
    desk_add_header(r, "Cache-Control", "public, max-age=3600");
    if (inm && !strcmp(inm, a->etag)) {
        r->status = 304;
        return;
    }
    r->status = 200;
    r->ctype = a->ctype;
    cw_buf_append(&r->out, a->data, a->size);
}

/* ---- settings --------------------------------------------------------------------------------- */

void desk_h_settings(desk_req *r)
{
    cw_error err = {0};
    if (desk_view_lock(r->d->view, &err)) {
        desk_reply_error(r, 503, err.text);
        return;
    }
    const cw_station *st = desk_view_station(r->d->view);
    char *text = NULL;
    size_t len = 0;
    int rc = cw_read_file(st->conf_path, 256 * 1024, &text, &len, &err);
    desk_page_begin(r, "Settings", NAV_SETTINGS);
    cw_buf *b = &r->out;
    desk_html(b, "<h1>Settings</h1>\n<p>The station's settings are in <code>%s</code>. Change them there (a text "
                 "editor, or the commands in <code>man chalkwave</code>); the desk reads them again by itself.</p>\n",
              st->conf_path);
    desk_html(b, "<h2>In effect</h2>\n<dl class=\"facts\">\n<dt>Station</dt><dd>%s</dd>\n<dt>Time zone</dt><dd>%s</dd>\n"
                 "<dt>Audio</dt><dd>%d Hz, %d channel%s, Vorbis quality %1, %1 LUFS, %1 dBTP</dd>\n"
                 "<dt>Uploads from teachers</dt><dd>%s</dd>\n<dt>Largest upload</dt><dd>%l MB</dd>\n"
                 "<dt>Teachers' links start with</dt><dd>%s</dd>\n</dl>\n",
              st->name, st->timezone, st->rate, st->channels, st->channels == 1 ? "" : "s", st->quality, st->loudness,
              st->true_peak, st->desk_approve ? "wait for staff approval before they air" : "air without approval",
              (int64_t)(st->desk_max_upload >> 20), st->desk_url[0] ? st->desk_url : r->d->address);
    desk_html(b, "<h2>station.conf</h2>\n");
    if (rc == 0) desk_html(b, "<pre class=\"conf\">%s</pre>\n", text);
    else desk_html(b, "<p class=\"problem\">%s</p>\n", err.text);
    free(text);
    desk_view_unlock(r->d->view);
    desk_page_end(r);
    desk_reply_html(r, 200);
}

/* ---- jobs ---------------------------------------------------------------------------------- */

json_t *desk_job_json(const desk_job_info *j)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:f, s:s}", "id", j->id, "kind", j->kind, "title", j->title, "state",
                     desk_job_state_name(j->state), "progress", j->progress, "message", j->message);
}

void desk_h_job(desk_req *r)
{
    desk_job_info j;
    if (!desk_job_info_get(r->d, r->args[0], &j)) {
        desk_reply_error(r, 404, "there is no such job (the desk keeps the last 200; it may have restarted)");
        return;
    }
    if (j.state < JOB_DONE) r->refresh_seconds = 2;
    desk_page_begin(r, j.title, NAV_NONE);
    cw_buf *b = &r->out;
    desk_html(b, "<h1>%s</h1>\n", j.title);
    if (j.state < JOB_DONE) {
        desk_html(b, "<p role=\"status\">%s… <progress max=\"100\" value=\"%d\">%d%%</progress></p>\n"
                     "<p class=\"hint\">This page updates itself.</p>\n",
                  j.state == JOB_QUEUED ? "Waiting for its turn" : "Working", (int)(j.progress * 100),
                  (int)(j.progress * 100));
    } else {
        desk_html(b, "<p class=\"%s\" role=\"status\">%s</p>\n", j.state == JOB_DONE ? "good" : "problem",
                  j.message);
    }
    if (!strcmp(j.kind, "calendars") && j.state >= JOB_DONE) desk_subs_job_section(r, j.id);
    if (!strcmp(j.kind, "build") || !strcmp(j.kind, "verify")) {
        const char *date = strrchr(j.title, ' ');
        if (date && strlen(date + 1) == 10) desk_html(b, "<p><a href=\"/staff/days/%U\">Back to the day</a></p>\n", date + 1);
    }
    desk_page_end(r);
    desk_reply_html(r, 200);
}

void desk_h_api_job(desk_req *r)
{
    desk_job_info j;
    if (!desk_job_info_get(r->d, r->args[0], &j)) {
        desk_reply_error(r, 404, "there is no such job");
        return;
    }
    desk_reply_json(r, 200, desk_job_json(&j));
}
