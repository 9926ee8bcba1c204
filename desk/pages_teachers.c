/* pages_teachers.c — teachers: the list, adding one, a new link for a lost one, revoking a
 * link; the link and its QR code are shown once, right after they are made (only the
 * token's hash is kept).
 * Guarantees: the same rules as `chalkwave teacher` (one library call each: accounts.c); a
 * page never shows a link it did not just make. */
#include "desk_int.h"

#include <stdlib.h>
#include <string.h>

static void show_link(desk_req *r, const char *name, const char *token, int is_new)
{
    cw_error err = {0};
    cw_station *st = NULL;
    char *link = NULL;
    if (cw_station_load(&st, r->d->station_dir, &err) == 0) link = cw_desk_teacher_link(st, r->d->listen, token);
    cw_station_free(st);
    cw_buf svg;
    cw_buf_init(&svg);
    if (link) cw_desk_qr_svg(link, &svg);
    desk_page_begin(r, name, NAV_TEACHERS);
    cw_buf *b = &r->out;
    desk_html(b, "<h1>%s link for %s</h1>\n", is_new ? "The" : "A new", name);
    if (!link) {
        desk_html(b, "<p class=\"problem\">%s</p>\n", err.text[0] ? err.text : "out of memory");
    } else {
        desk_html(b, "<p class=\"good\" role=\"status\">Give this link to %s. It is shown only now: the desk keeps "
                     "no copy. %H</p>\n<p class=\"link\"><code>%s</code></p>\n<figure class=\"qr\">%H"
                     "<figcaption>Scan with the phone's camera to open the link.</figcaption></figure>\n",
                  name, is_new ? "" : "The old link no longer works.", link, svg.data && !svg.oom ? svg.data : "");
        if (!strncmp(link, "http://127.", 11) || !strncmp(link, "http://localhost", 16))
            desk_html(b, "<p class=\"problem\">This link only works on the station's own computer: start the desk with "
                         "<code>--listen 0.0.0.0:8070</code> or set <code>[desk] url</code> so phones can reach it.</p>\n");
    }
    desk_html(b, "<p><a href=\"/staff/teachers\">Back to the teachers</a></p>\n");
    desk_page_end(r);
    desk_reply_html(r, 200);
    if (r->api) {
        r->out.len = 0;
        desk_reply_json(r, 200, json_pack("{s:s, s:s}", "teacher", name, "link", link ? link : ""));
    }
    cw_buf_free(&svg);
    free(link);
}

void desk_h_teachers(desk_req *r)
{
    cw_desk_teacher *v = NULL;
    size_t n = 0;
    cw_error err = {0};
    if (cw_desk_teacher_list(r->d->station_dir, &v, &n, &err)) {
        desk_reply_error(r, 500, err.text);
        return;
    }
    desk_page_begin(r, "Teachers", NAV_TEACHERS);
    cw_buf *b = &r->out;
    desk_html(b, "<h1>Teachers</h1>\n");
    const char *done = desk_query(r, "done");
    if (done && *done) desk_html(b, "<p class=\"good\" role=\"status\">%s</p>\n", done);
    if (n == 0) desk_html(b, "<p>No teachers yet. Each teacher gets a personal link to upload lessons from a phone.</p>\n");
    else {
        desk_html(b, "<table class=\"list\"><thead><tr><th scope=\"col\">Teacher</th><th scope=\"col\">Series</th>"
                     "<th scope=\"col\">Language</th><th scope=\"col\">Link</th><th scope=\"col\">Actions</th></tr></thead>"
                     "<tbody>\n");
        for (size_t i = 0; i < n; i++) {
            desk_html(b, "<tr><td>%s</td><td>", v[i].name);
            for (size_t k = 0; k < v[i].series.n; k++) desk_html(b, "%s%s", k ? ", " : "", v[i].series.v[k]);
            desk_html(b, "</td><td>%s</td><td>%s</td><td><form method=\"post\" action=\"/staff/teachers/%U/relink\" "
                         "class=\"inline\">",
                      v[i].language, v[i].revoked ? "revoked" : "active", v[i].name);
            desk_csrf_field(r);
            desk_html(b, "<button type=\"submit\">New link</button></form>");
            if (!v[i].revoked) {
                desk_html(b, " <form method=\"post\" action=\"/staff/teachers/%U/revoke\" class=\"inline\">", v[i].name);
                desk_csrf_field(r);
                desk_html(b, "<button type=\"submit\" class=\"danger\">Revoke</button></form>");
            }
            desk_html(b, "</td></tr>\n");
        }
        desk_html(b, "</tbody></table>\n");
    }
    cw_desk_teachers_free(v, n);
    desk_html(b, "<h2>Add a teacher</h2>\n<form method=\"post\" action=\"/staff/teachers/add\" class=\"stack\">");
    desk_csrf_field(r);
    desk_html(b, "<label for=\"name\">Name</label><input id=\"name\" name=\"name\" required maxlength=\"64\">"
                 "<label for=\"series\">Series keys, separated by commas (from the timetable, e.g. maths-p5)</label>"
                 "<input id=\"series\" name=\"series\">"
                 "<label for=\"language\">Language (optional, e.g. en, sw)</label><input id=\"language\" name=\"language\">"
                 "<button type=\"submit\">Add and show the link</button></form>\n");
    desk_page_end(r);
    desk_reply_html(r, 200);
}

void desk_h_teacher_add(desk_req *r)
{
    const char *name = desk_field(r, "name"), *series = desk_field(r, "series"), *lang = desk_field(r, "language");
    cw_strlist sl = {0};
    if (series) {
        char *copy = cw_strdup(series), *save = NULL;
        for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok; tok = strtok_r(NULL, ",", &save)) {
            while (*tok == ' ') tok++;
            size_t n = strlen(tok);
            while (n && tok[n - 1] == ' ') tok[--n] = 0;
            if (n) cw_strlist_push(&sl, tok);
        }
        free(copy);
    }
    char token[CW_DESK_TOKEN_CHARS + 1];
    cw_error err = {0};
    int rc = cw_desk_teacher_add(r->d->station_dir, name ? name : "", &sl, lang, token, &err);
    cw_strlist_free(&sl);
    if (rc) {
        desk_reply_error(r, rc == CW_EEXIST ? 409 : rc == CW_EINVAL ? 422 : 500, err.text);
        return;
    }
    show_link(r, name, token, 1);
}

void desk_h_teacher_relink(desk_req *r)
{
    char token[CW_DESK_TOKEN_CHARS + 1];
    cw_error err = {0};
    int rc = cw_desk_teacher_relink(r->d->station_dir, r->args[0], token, &err);
    if (rc) {
        desk_reply_error(r, rc == CW_ENOTFOUND ? 404 : 500, err.text);
        return;
    }
    show_link(r, r->args[0], token, 0);
}

void desk_h_teacher_revoke(desk_req *r)
{
    cw_error err = {0};
    int rc = cw_desk_teacher_revoke(r->d->station_dir, r->args[0], &err);
    if (rc) {
        desk_reply_error(r, rc == CW_ENOTFOUND ? 404 : 500, err.text);
        return;
    }
    cw_buf loc;
    cw_buf_init(&loc);
    desk_html(&loc, "/staff/teachers?done=%Q", "The link was revoked: it no longer works.");
    desk_reply_redirect(r, loc.data ? loc.data : "/staff/teachers");
    cw_buf_free(&loc);
}
