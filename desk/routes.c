/* routes.c — the desk's route table: every address, its method, who may use it and what
 * handles it; and the matcher.
 * Guarantees: a route's auth is stated here and nowhere else; every POST to a staff route
 * needs the session's CSRF token (http.c checks it for every row, there is no opt-out);
 * tests/unit/desk/test_routes.c and tests/integration/test_desk_http.sh walk this table,
 * so a route added here is checked without a new test. */
#include "desk_int.h"

#include <string.h>

#define P DESK_PUBLIC
#define T DESK_TEACHER
#define S DESK_STAFF
#define API DESK_F_API
#define FORM DESK_F_FORM
#define UPLOAD DESK_F_UPLOAD

const desk_route desk_routes[] = {
    /* public: the front door, login, assets */
    {"GET", "/", P, 0, desk_h_root},
    {"GET", "/login", P, 0, desk_h_login_form},
    {"POST", "/login", P, FORM, desk_h_login},
    {"GET", "/assets/:name", P, 0, desk_h_asset},
    {"POST", "/api/login", P, API | FORM, desk_h_api_login},
    /* teachers: the link's token is the capability */
    {"GET", "/t/:token", T, 0, desk_h_teacher_page},
    {"POST", "/t/:token/upload", T, UPLOAD, desk_h_teacher_upload},
    {"GET", "/t/:token/uploads/:id", T, 0, desk_h_teacher_job},
    /* staff pages */
    {"POST", "/logout", S, FORM, desk_h_logout},
    {"GET", "/staff/week", S, 0, desk_h_week},
    {"GET", "/staff/missing", S, 0, desk_h_missing},
    {"GET", "/staff/library", S, 0, desk_h_library},
    {"GET", "/staff/recording/*", S, 0, desk_h_recording},
    {"GET", "/staff/audio/*", S, 0, desk_h_audio},
    {"GET", "/staff/inbox", S, 0, desk_h_inbox},
    {"POST", "/staff/inbox/:id/approve", S, FORM, desk_h_approve},
    {"POST", "/staff/inbox/:id/reject", S, FORM, desk_h_reject},
    {"POST", "/staff/upload", S, UPLOAD, desk_h_staff_upload},
    {"GET", "/staff/calendars", S, 0, desk_h_calendars},
    {"POST", "/staff/calendars/check", S, UPLOAD, desk_h_calendar_check},
    {"POST", "/staff/calendars/import", S, FORM, desk_h_calendar_import},
    {"POST", "/staff/calendars/update", S, FORM, desk_h_calendar_update},
    {"GET", "/staff/days", S, 0, desk_h_days},
    {"GET", "/staff/days/:date", S, 0, desk_h_day},
    {"POST", "/staff/days/:date/build", S, FORM, desk_h_day_build},
    {"POST", "/staff/days/:date/verify", S, FORM, desk_h_day_verify},
    {"GET", "/staff/days/:date/bundle.tar", S, 0, desk_h_day_tar},
    {"GET", "/staff/days/:date/files/*", S, 0, desk_h_day_file},
    {"GET", "/staff/teachers", S, 0, desk_h_teachers},
    {"POST", "/staff/teachers/add", S, FORM, desk_h_teacher_add},
    {"POST", "/staff/teachers/:name/relink", S, FORM, desk_h_teacher_relink},
    {"POST", "/staff/teachers/:name/revoke", S, FORM, desk_h_teacher_revoke},
    {"GET", "/staff/settings", S, 0, desk_h_settings},
    {"GET", "/staff/jobs/:id", S, 0, desk_h_job},
    /* the JSON API (a login from POST /api/login; changes need the X-Chalkwave-CSRF header) */
    {"POST", "/api/logout", S, API | FORM, desk_h_api_logout},
    {"GET", "/api/plan", S, API, desk_h_api_plan},
    {"GET", "/api/missing", S, API, desk_h_api_missing},
    {"GET", "/api/library", S, API, desk_h_api_library},
    {"GET", "/api/inbox", S, API, desk_h_inbox},
    {"POST", "/api/inbox/:id/approve", S, API | FORM, desk_h_approve},
    {"POST", "/api/inbox/:id/reject", S, API | FORM, desk_h_reject},
    {"POST", "/api/upload", S, API | UPLOAD, desk_h_staff_upload},
    {"POST", "/api/calendars", S, API | UPLOAD, desk_h_api_calendars},
    {"POST", "/api/calendars/update", S, API | FORM, desk_h_api_calendar_update},
    {"POST", "/api/days/:date/build", S, API | FORM, desk_h_api_build},
    {"GET", "/api/jobs/:id", S, API, desk_h_api_job},
};
const size_t desk_n_routes = sizeof desk_routes / sizeof desk_routes[0];

/* Match p against one pattern; 1 on a match (args filled). */
static int match(const char *pattern, const desk_path *p, const char **args, size_t *nargs, char **rest)
{
    size_t i = 0, na = 0;
    const char *s = pattern + 1;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 1 && s[0] == '*') {
            if (i >= p->n) return 0;
            cw_buf b;
            cw_buf_init(&b);
            for (size_t k = i; k < p->n; k++) {
                if (k > i) cw_buf_puts(&b, "/");
                cw_buf_puts(&b, p->seg[k]);
            }
            if (b.oom) {
                cw_buf_free(&b);
                return 0;
            }
            *rest = b.data;
            *nargs = na;
            return 1;
        }
        if (i >= p->n) return 0;
        if (s[0] == ':') {
            if (na < 4) args[na++] = p->seg[i];
        } else if (strlen(p->seg[i]) != n || memcmp(p->seg[i], s, n) != 0) {
            return 0;
        }
        i++;
        s = e ? e + 1 : s + n;
    }
    if (i != p->n) return 0;
    *nargs = na;
    return 1;
}

const desk_route *desk_route_match(const char *method, const desk_path *p, const char **args, size_t *nargs,
                                   char **rest, int *method_ok)
{
    *method_ok = 0;
    *rest = NULL;
    for (size_t i = 0; i < desk_n_routes; i++) {
        const desk_route *rt = &desk_routes[i];
        char *tail = NULL;
        size_t na = 0;
        const char *a[4] = {0};
        if (!match(rt->pattern, p, a, &na, &tail)) continue;
        if (strcmp(rt->method, method) != 0) {
            *method_ok = 1;
            free(tail);
            continue;
        }
        memcpy(args, a, sizeof a);
        *nargs = na;
        *rest = tail;
        return rt;
    }
    return NULL;
}

void cw_desk_routes_text(cw_buf *out)
{
    static const char *const names[] = {"public", "teacher", "staff"};
    for (size_t i = 0; i < desk_n_routes; i++) {
        const desk_route *rt = &desk_routes[i];
        cw_buf_printf(out, "%s %s %s%s%s\n", rt->method, rt->pattern, names[rt->auth],
                      rt->auth == DESK_STAFF && !strcmp(rt->method, "POST") ? " csrf" : "",
                      (rt->flags & DESK_F_UPLOAD) ? " upload" : "");
    }
}
