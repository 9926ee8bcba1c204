/* pages_library.c — the library (search, pages of 50, metadata, listening in the browser
 * through Range requests on the Ogg files), GET /api/library, and the inbox of uploads with
 * approval and rejection.
 * Guarantees: only recordings the library index knows are served (a path is looked up, never
 * opened as given) and only from inside the station; the library is read from the view's
 * index, never rescanned per request. */
#include "desk_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PAGE_SIZE 50

static int contains_ci(const char *hay, const char *needle)
{
    return hay && strcasestr(hay, needle) != NULL;
}

static int matches(const cw_recording *rec, const char *q, cw_kind kind)
{
    if (kind != CW_KIND_NONE && rec->kind != kind) return 0;
    if (!q || !*q) return 1;
    return contains_ci(rec->title, q) || contains_ci(rec->series, q) || contains_ci(rec->teacher, q) ||
           contains_ci(rec->path, q) || contains_ci(rec->language, q);
}

static double rec_seconds(const cw_recording *rec)
{
    return rec->rate > 0 ? (double)rec->length_samples / rec->rate : 0;
}

void desk_h_library(desk_req *r)
{
    cw_error err = {0};
    desk_view *v = r->d->view;
    if (desk_view_lock(v, &err)) {
        desk_reply_error(r, 503, err.text);
        return;
    }
    const cw_library *lib = desk_view_library(v);
    const char *q = desk_query(r, "q");
    const char *ks = desk_query(r, "kind");
    cw_kind kind = ks && *ks ? cw_kind_parse(ks) : CW_KIND_NONE;
    long page = 1;
    const char *ps = desk_query(r, "page");
    if (ps && desk_parse_long(ps, 1, 1000000, &page)) page = 1;
    desk_page_begin(r, "Library", NAV_LIBRARY);
    cw_buf *b = &r->out;
    desk_html(b, "<h1>Library</h1>\n<form method=\"get\" action=\"/staff/library\" class=\"inline\" role=\"search\">"
                 "<label for=\"q\">Search</label> <input id=\"q\" name=\"q\" type=\"search\" value=\"%s\"> "
                 "<label for=\"kind\">Kind</label> <select id=\"kind\" name=\"kind\">",
              q ? q : "");
    static const char *const kinds[] = {"", "lesson", "newsletter", "filler"};
    for (size_t i = 0; i < 4; i++)
        desk_html(b, "<option value=\"%s\"%H>%s</option>", kinds[i],
                  (ks ? !strcmp(ks, kinds[i]) : i == 0) ? " selected" : "", i ? kinds[i] : "any");
    desk_html(b, "</select> <button type=\"submit\">Search</button></form>\n");
    size_t total = 0;
    for (size_t i = 0; i < lib->n; i++) total += matches(&lib->v[i], q, kind);
    long pages = (long)((total + PAGE_SIZE - 1) / PAGE_SIZE);
    if (page > pages && pages > 0) page = pages;
    desk_html(b, "<p role=\"status\">%z recording%s%s.</p>\n", total, total == 1 ? "" : "s",
              q && *q ? " match" : " in the library");
    if (total) {
        desk_html(b, "<table class=\"list\"><thead><tr><th scope=\"col\">Title</th><th scope=\"col\">Series</th>"
                     "<th scope=\"col\">Teacher</th><th scope=\"col\">Language</th><th scope=\"col\">Length</th>"
                     "<th scope=\"col\">Loudness</th></tr></thead><tbody>\n");
        size_t seen = 0, first = (size_t)(page - 1) * PAGE_SIZE;
        for (size_t i = 0; i < lib->n && seen < first + PAGE_SIZE; i++) {
            const cw_recording *rec = &lib->v[i];
            if (!matches(rec, q, kind)) continue;
            if (seen++ < first) continue;
            char len[32];
            desk_fmt_length(rec_seconds(rec), len);
            desk_html(b, "<tr><td><a href=\"/staff/recording/%P\">%s</a></td><td>%s", rec->path,
                      rec->title[0] ? rec->title : rec->path, rec->series[0] ? rec->series : cw_kind_name(rec->kind));
            if (rec->episode > 0) desk_html(b, " ep. %d", rec->episode);
            desk_html(b, "</td><td>%s</td><td>%s</td><td>%s</td><td>%1 LUFS</td></tr>\n", rec->teacher, rec->language,
                      len, rec->lufs_out);
        }
        desk_html(b, "</tbody></table>\n");
        if (pages > 1) {
            desk_html(b, "<nav class=\"pager\" aria-label=\"Pages\">");
            if (page > 1)
                desk_html(b, "<a href=\"/staff/library?q=%Q&amp;kind=%Q&amp;page=%d\">&larr; Previous</a> ", q ? q : "",
                          ks ? ks : "", (int)page - 1);
            desk_html(b, "<span>page %d of %d</span>", (int)page, (int)pages);
            if (page < pages)
                desk_html(b, " <a href=\"/staff/library?q=%Q&amp;kind=%Q&amp;page=%d\">Next &rarr;</a>", q ? q : "",
                          ks ? ks : "", (int)page + 1);
            desk_html(b, "</nav>\n");
        }
    }
    if (lib->warnings.n) {
        desk_html(b, "<details class=\"warnings\"><summary>%z file%s could not be read</summary><ul>\n", lib->warnings.n,
                  lib->warnings.n == 1 ? "" : "s");
        for (size_t i = 0; i < lib->warnings.n; i++) desk_html(b, "<li>%s</li>\n", lib->warnings.v[i]);
        desk_html(b, "</ul></details>\n");
    }
    desk_view_unlock(v);
    desk_page_end(r);
    desk_reply_html(r, 200);
}

static json_t *jnum(double x)
{
    return isfinite(x) ? json_real(round(x * 100.0) / 100.0) : json_null();
}

json_t *desk_recording_json(const cw_recording *rec)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:i, s:i}", "path", rec->path,
                          "kind", cw_kind_name(rec->kind), "series", rec->series, "episode", rec->episode, "title",
                          rec->title, "teacher", rec->teacher, "language", rec->language, "date", rec->date,
                          "valid_from", rec->valid_from, "valid_until", rec->valid_until, "samples",
                          (json_int_t)rec->length_samples, "rate", rec->rate, "channels", rec->channels);
    if (o) {
        json_object_set_new(o, "seconds", jnum(rec_seconds(rec)));
        json_object_set_new(o, "lufs", jnum(rec->lufs_out));
        json_object_set_new(o, "true_peak", jnum(rec->true_peak_out));
    }
    return o;
}

void desk_h_api_library(desk_req *r)
{
    cw_error err = {0};
    desk_view *v = r->d->view;
    if (desk_view_lock(v, &err)) {
        desk_reply_error(r, 503, err.text);
        return;
    }
    const cw_library *lib = desk_view_library(v);
    const char *q = desk_query(r, "q");
    const char *ks = desk_query(r, "kind");
    cw_kind kind = ks && *ks ? cw_kind_parse(ks) : CW_KIND_NONE;
    json_t *arr = json_array();
    for (size_t i = 0; i < lib->n && arr; i++)
        if (matches(&lib->v[i], q, kind)) json_array_append_new(arr, desk_recording_json(&lib->v[i]));
    json_t *warn = json_array();
    for (size_t i = 0; i < lib->warnings.n && warn; i++) json_array_append_new(warn, json_string(lib->warnings.v[i]));
    desk_view_unlock(v);
    desk_reply_json(r, 200, json_pack("{s:o, s:o}", "recordings", arr, "warnings", warn));
}

/* The recording named by the route's "*" (the library's or, for pending/..., the uploads
 * awaiting approval's own path), or NULL after an answer. The view is held. */
static const cw_recording *find_recording(desk_req *r, const cw_library *lib)
{
    const char *rel = r->rest;
    if (!desk_valid_recording_path(rel)) {
        desk_reply_error(r, 404, "there is no such recording");
        return NULL;
    }
    if (!strncmp(rel, "pending/", 8)) lib = desk_view_pending(r->d->view);
    const cw_recording *rec = lib ? cw_library_find_path(lib, rel) : NULL;
    if (!rec) desk_reply_error(r, 404, "there is no such recording (it may have been replaced)");
    return rec;
}

void desk_h_recording(desk_req *r)
{
    cw_error err = {0};
    desk_view *v = r->d->view;
    if (desk_view_lock(v, &err)) {
        desk_reply_error(r, 503, err.text);
        return;
    }
    const cw_recording *rec = find_recording(r, desk_view_library(v));
    if (rec) {
        char len[32];
        desk_fmt_length(rec_seconds(rec), len);
        desk_page_begin(r, rec->title[0] ? rec->title : rec->path, NAV_LIBRARY);
        cw_buf *b = &r->out;
        desk_html(b, "<h1>%s</h1>\n<audio controls preload=\"none\" src=\"/staff/audio/%P\">Your browser cannot play "
                     "Ogg Vorbis: <a href=\"/staff/audio/%P\">download it</a>.</audio>\n<dl class=\"facts\">\n",
                  rec->title[0] ? rec->title : rec->path, rec->path, rec->path);
        desk_html(b, "<dt>Kind</dt><dd>%s</dd>\n<dt>Series</dt><dd>%s</dd>\n", cw_kind_name(rec->kind),
                  rec->series[0] ? rec->series : "-");
        if (rec->episode > 0) desk_html(b, "<dt>Episode</dt><dd>%d</dd>\n", rec->episode);
        desk_html(b, "<dt>Teacher</dt><dd>%s</dd>\n<dt>Language</dt><dd>%s</dd>\n<dt>Length</dt><dd>%s</dd>\n"
                     "<dt>Loudness</dt><dd>%1 LUFS (was %1 LUFS), true peak %1 dBTP</dd>\n"
                     "<dt>Format</dt><dd>Ogg Vorbis, %d Hz, %d channel%s</dd>\n",
                  rec->teacher[0] ? rec->teacher : "-", rec->language[0] ? rec->language : "-", len, rec->lufs_out,
                  rec->lufs_in, rec->true_peak_out, rec->rate, rec->channels, rec->channels == 1 ? "" : "s");
        if (rec->valid_from[0] || rec->valid_until[0])
            desk_html(b, "<dt>May air</dt><dd>%s to %s</dd>\n", rec->valid_from[0] ? rec->valid_from : "any time",
                      rec->valid_until[0] ? rec->valid_until : "any time");
        if (rec->date[0]) desk_html(b, "<dt>Recorded</dt><dd>%s</dd>\n", rec->date);
        if (rec->description[0]) desk_html(b, "<dt>Description</dt><dd>%s</dd>\n", rec->description);
        desk_html(b, "<dt>File</dt><dd><code>%s</code></dd>\n</dl>\n", rec->path);
        desk_page_end(r);
        desk_reply_html(r, 200);
    }
    desk_view_unlock(v);
}

void desk_h_audio(desk_req *r)
{
    cw_error err = {0};
    desk_view *v = r->d->view;
    if (desk_view_lock(v, &err)) {
        desk_reply_error(r, 503, err.text);
        return;
    }
    const cw_recording *rec = find_recording(r, desk_view_library(v));
    if (rec) {
        if (!cw_path_resolves_inside(r->d->station_dir, rec->path)) {
            desk_reply_error(r, 404, "there is no such recording");
        } else {
            char *abs = cw_path_join(r->d->station_dir, rec->path);
            if (abs) desk_reply_file(r, abs, "audio/ogg", NULL);
            else desk_reply_error(r, 500, "out of memory");
            free(abs);
            desk_add_header(r, "Cache-Control", "private, max-age=60");
        }
    }
    desk_view_unlock(v);
}

/* ---- the inbox ------------------------------------------------------------------------------- */

json_t *desk_upload_json(const desk_upload *u)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:f, s:s, s:s}", "id", u->id,
                     "teacher", u->teacher, "by", u->by, "file", u->file, "size", (json_int_t)u->size, "received",
                     u->received, "title", u->title, "series", u->series, "kind", u->kind, "episode", u->episode,
                     "status", desk_upload_status_name(u->status), "reason", u->reason, "recording", u->recording,
                     "seconds", u->seconds, "airs", u->airs, "notes", u->notes);
}

static const char *status_words(desk_upload_status s)
{
    switch (s) {
    case UP_RECEIVED: return "being processed";
    case UP_ACCEPTED: return "accepted";
    case UP_PENDING: return "awaiting approval";
    case UP_REFUSED: return "refused";
    case UP_APPROVED: return "approved";
    case UP_REJECTED: return "rejected";
    }
    return "?";
}

void desk_h_inbox(desk_req *r)
{
    desk_upload *v = NULL;
    size_t n = 0;
    cw_error err = {0};
    if (desk_inbox_list(r->d, NULL, &v, &n, &err)) {
        desk_reply_error(r, 500, err.text);
        return;
    }
    if (r->api) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n && arr; i++) json_array_append_new(arr, desk_upload_json(&v[i]));
        free(v);
        desk_reply_json(r, 200, json_pack("{s:o}", "uploads", arr));
        return;
    }
    desk_page_begin(r, "Inbox", NAV_INBOX);
    cw_buf *b = &r->out;
    const char *done = desk_query(r, "done");
    desk_html(b, "<h1>Inbox</h1>\n");
    if (done && *done) desk_html(b, "<p class=\"good\" role=\"status\">%s</p>\n", done);
    desk_html(b, "<details><summary>Add a recording yourself</summary>\n"
                 "<form method=\"post\" action=\"/staff/upload\" enctype=\"multipart/form-data\" class=\"stack upload\">");
    desk_csrf_field(r);
    desk_html(b, "<label for=\"s-title\">Title</label><input id=\"s-title\" name=\"title\">"
                 "<label for=\"s-kind\">Kind</label><select id=\"s-kind\" name=\"kind\"><option>lesson</option>"
                 "<option>newsletter</option><option>filler</option></select>"
                 "<label for=\"s-series\">Series</label><input id=\"s-series\" name=\"series\">"
                 "<label for=\"s-episode\">Episode</label><input id=\"s-episode\" name=\"episode\" inputmode=\"numeric\">"
                 "<label for=\"s-teacher\">Teacher</label><input id=\"s-teacher\" name=\"teacher\">"
                 "<label for=\"s-language\">Language</label><input id=\"s-language\" name=\"language\">"
                 "<label for=\"s-file\">Recording</label><input id=\"s-file\" name=\"file\" type=\"file\" "
                 "accept=\"audio/*,video/*\" required>"
                 "<button type=\"submit\">Add to the library</button></form>\n</details>\n");
    if (n == 0) desk_html(b, "<p>No uploads yet. Teachers' uploads from their links appear here.</p>\n");
    for (size_t i = 0; i < n; i++) {
        const desk_upload *u = &v[i];
        desk_html(b, "<article class=\"upload s-%s\" aria-labelledby=\"u-%s\">\n<h2 id=\"u-%s\">%s</h2>\n"
                     "<p><span class=\"tag\">%s</span> %s · from %s · file %s (%l KB)</p>\n",
                  desk_upload_status_name(u->status), u->id, u->id, u->title[0] ? u->title : u->file,
                  status_words(u->status), u->received, u->by, u->file, (int64_t)(u->size / 1024));
        if (u->series[0]) {
            desk_html(b, "<p>%s %s", u->kind, u->series);
            if (u->episode > 0) desk_html(b, ", episode %d", u->episode);
            desk_html(b, "</p>\n");
        }
        if (u->reason[0]) desk_html(b, "<p class=\"problem\">%s</p>\n", u->reason);
        if (u->notes[0]) desk_html(b, "<p class=\"warn\">%s</p>\n", u->notes);
        if (u->recording[0] && (u->status == UP_ACCEPTED || u->status == UP_APPROVED || u->status == UP_PENDING))
            desk_html(b, "<audio controls preload=\"none\" src=\"/staff/audio/%P\"></audio>\n", u->recording);
        if (u->status == UP_PENDING) {
            if (u->replaces[0])
                desk_html(b, "<p>A new take: approving it replaces <a href=\"/staff/recording/%P\">the recording the "
                             "library has</a>.</p>\n", u->replaces);
            desk_html(b, "<form method=\"post\" action=\"/staff/inbox/%U/approve\" class=\"inline\">", u->id);
            desk_csrf_field(r);
            if (u->replaces[0]) desk_html(b, "<input type=\"hidden\" name=\"replace\" value=\"1\">");
            desk_html(b, "<button type=\"submit\">%s</button></form>\n"
                         "<form method=\"post\" action=\"/staff/inbox/%U/reject\" class=\"stack\">",
                      u->replaces[0] ? "Approve: it replaces the library's recording" : "Approve: it may air", u->id);
            desk_csrf_field(r);
            desk_html(b, "<label for=\"why-%s\">Reason for the teacher</label><textarea id=\"why-%s\" name=\"reason\" "
                         "required maxlength=\"500\"></textarea><button type=\"submit\">Reject</button></form>\n",
                      u->id, u->id);
        }
        desk_html(b, "</article>\n");
    }
    free(v);
    desk_page_end(r);
    desk_reply_html(r, 200);
}

/* Approve or reject an upload awaiting approval. */
static void decide(desk_req *r, int approve)
{
    desk_upload u;
    cw_error err = {0};
    if (desk_inbox_get(r->d, r->args[0], &u, &err)) {
        desk_reply_error(r, 404, err.text);
        return;
    }
    if (u.status != UP_PENDING) {
        desk_reply_error(r, 409, "this upload is not awaiting approval (it was decided already, or refused)");
        return;
    }
    const char *reason = desk_field(r, "reason");
    if (!approve && (!reason || !*reason || strlen(reason) > 1000)) {
        desk_reply_error(r, 400, "give the teacher a reason (what to change), up to 1000 characters");
        return;
    }
    const char *rep = desk_field(r, "replace");
    int replace = rep && (!strcmp(rep, "1") || !strcmp(rep, "yes") || !strcmp(rep, "true"));
    int rc = approve ? desk_pending_approve(r->d, &u, replace, &err) : desk_pending_reject(r->d, &u, reason, &err);
    if (rc) {
        /* decided meanwhile (or the file went): 409; a reason that is not text: 422; the
         * station busy: 503 */
        int status = rc == CW_EEXIST || rc == CW_ENOTFOUND ? 409
                     : rc == CW_EINVAL || rc == CW_ELIMIT  ? 422
                     : rc == CW_ELOCKED                    ? 503
                                                           : 500;
        desk_reply_error(r, status, err.text);
        return;
    }
    desk_view_invalidate(r->d->view);
    if (r->api) {
        desk_reply_json(r, 200, desk_upload_json(&u));
        return;
    }
    cw_buf loc;
    cw_buf_init(&loc);
    desk_html(&loc, "/staff/inbox?done=%Q", approve ? "Approved: it may air now." : "Rejected: the teacher sees why.");
    desk_reply_redirect(r, loc.data ? loc.data : "/staff/inbox");
    cw_buf_free(&loc);
}

void desk_h_approve(desk_req *r)
{
    decide(r, 1);
}

void desk_h_reject(desk_req *r)
{
    decide(r, 0);
}
