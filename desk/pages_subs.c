/* pages_subs.c — subscribed partner calendars on the desk: the "Subscriptions" section of the
 * calendars page (each link as host and short hash, its priority, the last fetch and whether
 * it worked, the date of the copy in use), "Update now" (a job running `calendar update`'s one
 * library call, cw_calendar_update, off the request thread) with its results on the job's
 * page, and POST /api/calendars/update answering the JSON of `calendar update --format json`.
 * Guarantees: a subscription's link is never written to a page or an answer (only
 * cw_sub_url_redact's form and what the library's results hold, which are scrubbed of
 * links); everything shown goes through desk_html's escaping %s; the update follows the CLI's
 * lock rules (subscriptions' lock for the network, the station lock only while storing). */
#include "desk_int.h"
#include "session.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* "2026-03-02 14:05" in the station's zone, "never" for 0. */
static void local_time(const cw_tz *tz, int64_t t, char out[32])
{
    if (t <= 0) {
        snprintf(out, 32, "never");
        return;
    }
    cw_civil c;
    cw_tz_to_local(tz, t, &c, NULL);
    snprintf(out, 32, "%04d-%02d-%02d %02d:%02d", c.year, c.month, c.day, c.hour, c.minute);
}

static const char *status_words(cw_sub_status s)
{
    switch (s) {
    case CW_SUB_OK: return "fetched";
    case CW_SUB_UNREACHABLE: return "not reachable";
    case CW_SUB_FAILED: return "refused, the old copy kept";
    default: return "never fetched";
    }
}

void desk_subs_section(desk_req *r, const cw_station *st)
{
    cw_buf *b = &r->out;
    cw_sub_state *v = NULL;
    size_t n = 0;
    cw_error err = {0};
    desk_html(b, "<h2 id=\"subscriptions\">Subscriptions</h2>\n");
    if (cw_subs_states(r->d->station_dir, &v, &n, &err)) {
        desk_html(b, "<p class=\"problem\">The subscriptions cannot be read: %s</p>\n", err.text);
        return;
    }
    if (n == 0) {
        desk_html(b, "<p>No subscriptions. A partner's published calendar link is followed with "
                     "<code>chalkwave calendar subscribe URL</code> on the station's computer.</p>\n");
        return;
    }
    cw_tz *tz = NULL;
    if (cw_tz_open(&tz, st->timezone, &err)) tz = NULL;
    desk_html(b, "<table class=\"list subs\"><thead><tr><th scope=\"col\">Calendar</th><th scope=\"col\">Link</th>"
                 "<th scope=\"col\">Priority</th><th scope=\"col\">Last fetch</th><th scope=\"col\">Result</th>"
                 "<th scope=\"col\">Copy in use</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < n; i++) {
        const cw_sub_state *s = &v[i];
        const cw_partner_calendar *pc = cw_station_calendar(st, s->name);
        char fetched[32], good[32];
        local_time(tz, s->last_fetch, fetched);
        local_time(tz, s->last_good, good);
        if (s->last_good > 0) good[10] = 0; /* the day is what matters */
        desk_html(b, "<tr class=\"sub-%s\"><td>%s</td><td>%s <span class=\"hint\">(link %s)</span></td><td>%d</td>"
                     "<td>%s</td><td><strong>%s</strong>",
                  cw_sub_status_name(s->status), s->name, s->host, s->link_hash, pc ? pc->priority : 0, fetched,
                  status_words(s->status));
        if (s->status == CW_SUB_UNREACHABLE || s->status == CW_SUB_FAILED) {
            const char *why = s->result;
            if (!strncmp(why, "failed: ", 8)) why += 8;
            desk_html(b, ": %s", why);
        }
        desk_html(b, "</td><td>%s</td></tr>\n", s->last_good > 0 ? good : "none yet");
    }
    desk_html(b, "</tbody></table>\n<form method=\"post\" action=\"/staff/calendars/update\" class=\"inline\">");
    desk_csrf_field(r);
    desk_html(b, "<button type=\"submit\">Update now</button></form>\n"
                 "<p class=\"hint\">Fetches every subscribed calendar again (the station must be online). A copy "
                 "that is not a calendar (a sign-in page, an empty answer, errors) never replaces the one in use. "
                 "The result says what changed in the next 14 days.</p>\n");
    cw_tz_free(tz);
    free(v);
}

/* ---- the update job ---------------------------------------------------------------------------- */

typedef struct update_job {
    cw_desk *d;
    char name[256]; /* "" for all */
    cw_date from;   /* year 0: today */
    int days;
} update_job;

/* The desk is stopping: the update is abandoned (nothing stored), not waited for. */
static int update_cancelled(void *user)
{
    desk_job *j = user;
    return __atomic_load_n(&j->cancel, __ATOMIC_ACQUIRE);
}

static void run_update(desk_job *j, void *arg)
{
    update_job *a = arg;
    const char *names[1] = {a->name};
    /* a lock held elsewhere (an update in the terminal, a second click) is waited for a
     * minute, not the CLI's ten: the desk has two workers to keep free */
    cw_subup_opts o = {.names = names, .n_names = a->name[0] ? 1 : 0, .days = a->days, .from = a->from,
                       .timeout = 60, .accept_errors = 0, .lock_wait = 60,
                       .cancelled = update_cancelled, .cancel_user = j};
    cw_subup u;
    cw_error err = {0};
    desk_job_progress(j, 0.05);
    int rc = cw_calendar_update(a->d->station_dir, &o, &u, &err);
    if (rc == 0 && u.n) desk_view_invalidate(a->d->view); /* new copies: the week shows them */
    char msg[1024];
    json_t *res = NULL;
    desk_job_state state = JOB_DONE;
    if (rc == CW_ECANCELLED) {
        snprintf(msg, sizeof msg, "The desk stopped before the update ended: nothing was changed; update again "
                                  "once it runs");
        res = json_pack("{s:s, s:i}", "error", msg, "status", 503);
        state = JOB_CANCELLED;
    } else if (rc) {
        snprintf(msg, sizeof msg, "The calendars could not be updated: %.900s", err.text[0] ? err.text : cw_strerror(rc));
        res = json_pack("{s:s, s:i}", "error", msg, "status", rc == CW_EUSAGE ? 422 : rc == CW_ELOCKED ? 503 : 500);
        state = JOB_FAILED;
    } else {
        size_t k[5] = {0};
        for (size_t i = 0; i < u.n; i++) k[u.v[i].outcome]++;
        cw_buf js;
        cw_buf_init(&js);
        if (cw_subup_json(&u, &js) == 0) res = json_loadb(js.data, js.len, 0, NULL);
        cw_buf_free(&js);
        int st = cw_subup_status(&u);
        if (u.n == 0)
            snprintf(msg, sizeof msg, "There are no subscriptions.");
        else
            snprintf(msg, sizeof msg, "%s: %zu updated, %zu unchanged, %zu not reachable, %zu refused or failed "
                     "(the old copy kept).", st == CW_EIO ? "Nothing could be fetched (offline?)"
                                            : st ? "Some calendars were kept out" : "Updated",
                     k[CW_SUBUP_UPDATED], k[CW_SUBUP_UNCHANGED], k[CW_SUBUP_UNREACHABLE],
                     k[CW_SUBUP_REFUSED] + k[CW_SUBUP_FAILED]);
        if (st == CW_EIO) state = JOB_FAILED;
    }
    cw_subup_free(&u);
    desk_job_finish(j, state, msg, res);
}

/* The optional fields: name (one subscription), from (YYYY-MM-DD), days (1..366), as
 * `calendar update NAME --from DATE --days N`. NULL after answering a bad one. */
static update_job *new_job_arg(desk_req *r)
{
    const char *name = desk_field(r, "name"), *from = desk_field(r, "from"), *days = desk_field(r, "days");
    long n = 14;
    cw_date d = {0, 0, 0};
    if (name && strlen(name) > 250) {
        desk_reply_error(r, 422, "no subscription has so long a name");
        return NULL;
    }
    if (from && *from && cw_date_parse(from, &d)) {
        desk_reply_error(r, 422, "from must be a date, YYYY-MM-DD");
        return NULL;
    }
    if (days && *days && desk_parse_long(days, 1, 366, &n)) {
        desk_reply_error(r, 422, "days must be a whole number from 1 to 366");
        return NULL;
    }
    update_job *a = calloc(1, sizeof *a);
    if (!a) {
        desk_reply_error(r, 503, "out of memory");
        return NULL;
    }
    a->d = r->d;
    a->from = d;
    a->days = (int)n;
    snprintf(a->name, sizeof a->name, "%s", name ? name : "");
    return a;
}

static desk_job *start_update(desk_req *r)
{
    update_job *a = new_job_arg(r);
    if (!a) return NULL;
    char owner[96];
    snprintf(owner, sizeof owner, "staff %s", r->sess.user);
    desk_job *j = desk_job_submit(r->d, "calendars", owner, "Updating the subscribed calendars", run_update, a, free);
    if (!j) desk_reply_error(r, 503, "the desk is stopping: try again in a moment");
    return j;
}

void desk_h_calendar_update(desk_req *r)
{
    desk_job *j = start_update(r);
    if (!j) return;
    cw_buf u;
    cw_buf_init(&u);
    desk_html(&u, "/staff/jobs/%U", j->id);
    desk_reply_redirect(r, u.data ? u.data : "/staff/calendars");
    cw_buf_free(&u);
    desk_job_put(j);
}

/* The job's result (a copy), or NULL. */
static json_t *job_result(desk_job *j)
{
    pthread_mutex_lock(&j->d->job_mu);
    json_t *res = j->result ? json_deep_copy(j->result) : NULL;
    pthread_mutex_unlock(&j->d->job_mu);
    return res;
}

/* Answer the API once the update has ended: the JSON of `calendar update --format json`. */
static void answer_update_json(desk_req *r)
{
    json_t *res = job_result(r->wait);
    json_t *e = res ? json_object_get(res, "error") : NULL;
    if (!res)
        desk_reply_error(r, 503, "the desk stopped before the update ended: try again");
    else if (e)
        desk_reply_error(r, (int)json_integer_value(json_object_get(res, "status")), json_string_value(e));
    if (!res || e) {
        json_decref(res);
        return;
    }
    desk_reply_json(r, 200, res);
}

void desk_h_api_calendar_update(desk_req *r)
{
    desk_job *j = start_update(r);
    if (!j) return;
    r->wait = j; /* answered when the update ends (the reference is released with the request) */
    r->after_wait = answer_update_json;
}

/* ---- the job's page ---------------------------------------------------------------------------- */

static const char *outcome_words(const char *result)
{
    static const char *const w[][2] = {{"unchanged", "unchanged"},
                                       {"updated", "updated"},
                                       {"unreachable", "not reachable, the old copy kept"},
                                       {"refused", "refused, the old copy kept"},
                                       {"failed", "failed, the old copy kept"}};
    for (size_t i = 0; i < sizeof w / sizeof *w; i++)
        if (result && !strcmp(result, w[i][0])) return w[i][1];
    return result ? result : "";
}

static void calendar_item(cw_buf *b, json_t *c)
{
    const char *name = json_string_value(json_object_get(c, "name"));
    const char *result = json_string_value(json_object_get(c, "result"));
    const char *reason = json_string_value(json_object_get(c, "reason"));
    const char *kept = json_string_value(json_object_get(c, "kept"));
    json_t *ch = json_object_get(c, "changes");
    desk_html(b, "<li class=\"sub-%s\"><strong>%s</strong>: %s", result, name, outcome_words(result));
    if (json_is_integer(json_object_get(c, "events"))) {
        int n = (int)json_integer_value(json_object_get(c, "events"));
        desk_html(b, " (%d event%s)", n, n == 1 ? "" : "s");
    }
    if (reason) desk_html(b, ". Why: %s", reason);
    if (kept) desk_html(b, ". In use: the copy of %s", kept);
    if (json_array_size(ch)) {
        desk_html(b, "<ul class=\"changes\">");
        for (size_t k = 0; k < json_array_size(ch); k++) {
            json_t *x = json_array_get(ch, k);
            desk_html(b, "<li class=\"change-%s\">%s</li>", json_string_value(json_object_get(x, "change")),
                      json_string_value(json_object_get(x, "text")));
        }
        desk_html(b, "</ul>");
    } else if (json_string_value(json_object_get(c, "changes_error"))) {
        desk_html(b, "; what changed cannot be said: %s", json_string_value(json_object_get(c, "changes_error")));
    } else if (result && !strcmp(result, "updated")) {
        desk_html(b, "; nothing changed in the next days");
    }
    desk_html(b, "</li>\n");
}

void desk_subs_job_section(desk_req *r, const char *id)
{
    desk_job *j = desk_job_get(r->d, id);
    json_t *res = j ? job_result(j) : NULL;
    if (j) desk_job_put(j);
    json_t *cals = res ? json_object_get(res, "calendars") : NULL, *stale = res ? json_object_get(res, "stale_bundles") : NULL;
    cw_buf *b = &r->out;
    if (json_array_size(cals)) {
        desk_html(b, "<h2>Each calendar</h2>\n<ul class=\"subs-result\">\n");
        for (size_t i = 0; i < json_array_size(cals); i++) calendar_item(b, json_array_get(cals, i));
        desk_html(b, "</ul>\n");
    }
    if (json_array_size(stale)) {
        desk_html(b, "<h2>Days to build again</h2>\n<p>These days were built before the changes:</p>\n<ul>\n");
        for (size_t i = 0; i < json_array_size(stale); i++) {
            const char *d = json_string_value(json_object_get(json_array_get(stale, i), "date"));
            desk_html(b, "<li class=\"stale\"><a href=\"/staff/days/%U\">%s</a></li>\n", d, d);
        }
        desk_html(b, "</ul>\n");
    }
    desk_html(b, "<p><a href=\"/staff/calendars#subscriptions\">Back to the calendars</a></p>\n");
    json_decref(res);
}
