/* test_routes.c — the route table (desk/routes.c) walked entry by entry:
 *  - every route outside the short lists below needs a staff login: a new public or
 *    teacher route fails this test until someone adds it here on purpose;
 *  - teacher routes all start with /t/:token (the token is the capability);
 *  - uploads are POSTs; every pattern is reachable (no earlier route shadows it) and
 *    unique; the matcher fills ":name" and "*" arguments and refuses near misses.
 * What the server does with each route (401 without a login, 403 without a CSRF token) is
 * tested against the running binary by tests/integration/test_desk_http.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "desk_int.h"

static const char *const public_routes[] = {"GET /", "GET /login", "POST /login", "GET /assets/:name", "POST /api/login"};
static const char *const teacher_routes[] = {"GET /t/:token", "POST /t/:token/upload", "GET /t/:token/uploads/:id"};

static int listed(const char *const *list, size_t n, const desk_route *r)
{
    char key[256];
    snprintf(key, sizeof key, "%s %s", r->method, r->pattern);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(list[i], key)) return 1;
    return 0;
}

static void test_auth_of_every_route(void **state)
{
    (void)state;
    size_t pub = 0, teach = 0;
    for (size_t i = 0; i < desk_n_routes; i++) {
        const desk_route *r = &desk_routes[i];
        int is_pub = listed(public_routes, sizeof public_routes / sizeof *public_routes, r);
        int is_teach = listed(teacher_routes, sizeof teacher_routes / sizeof *teacher_routes, r);
        if (r->auth == DESK_PUBLIC) {
            if (!is_pub) fail_msg("%s %s is public but not in this test's list of public routes", r->method, r->pattern);
            pub++;
        } else if (r->auth == DESK_TEACHER) {
            if (!is_teach) fail_msg("%s %s is a teacher route but not in this test's list", r->method, r->pattern);
            assert_int_equal(strncmp(r->pattern, "/t/:token", 9), 0);
            teach++;
        } else {
            assert_int_equal(r->auth, DESK_STAFF);
            if (is_pub || is_teach) fail_msg("%s %s should not need a login", r->method, r->pattern);
            assert_true(!strncmp(r->pattern, "/staff/", 7) || !strncmp(r->pattern, "/api/", 5) ||
                        !strcmp(r->pattern, "/logout"));
        }
        assert_true(!strcmp(r->method, "GET") || !strcmp(r->method, "POST"));
        if (r->flags & DESK_F_UPLOAD) assert_string_equal(r->method, "POST");
        if (!strncmp(r->pattern, "/api/", 5)) assert_true(r->flags & DESK_F_API);
        assert_non_null(r->fn);
    }
    assert_int_equal(pub, sizeof public_routes / sizeof *public_routes);
    assert_int_equal(teach, sizeof teacher_routes / sizeof *teacher_routes);
}

/* A concrete path for a pattern: ":x" -> "x1", "*" -> "a/b.ogg". */
static void sample_path(const char *pattern, char *out, size_t cap)
{
    size_t o = 0;
    for (const char *p = pattern; *p && o + 16 < cap;) {
        if (*p == ':') {
            const char *e = strchr(p, '/');
            size_t n = e ? (size_t)(e - p - 1) : strlen(p + 1);
            o += (size_t)snprintf(out + o, cap - o, "%.*s1", (int)n, p + 1);
            p += n + 1;
        } else if (*p == '*') {
            o += (size_t)snprintf(out + o, cap - o, "a/b.ogg");
            p++;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = 0;
}

static void test_every_route_reachable(void **state)
{
    (void)state;
    for (size_t i = 0; i < desk_n_routes; i++) {
        const desk_route *r = &desk_routes[i];
        for (size_t k = 0; k < i; k++)
            if (!strcmp(desk_routes[k].method, r->method) && !strcmp(desk_routes[k].pattern, r->pattern))
                fail_msg("%s %s is listed twice", r->method, r->pattern);
        char path[512];
        sample_path(r->pattern, path, sizeof path);
        desk_path p;
        assert_int_equal(desk_path_parse(&p, path), 0);
        const char *args[4];
        size_t na;
        char *rest;
        int method_ok;
        const desk_route *m = desk_route_match(r->method, &p, args, &na, &rest, &method_ok);
        if (m != r) fail_msg("%s %s (as %s) reaches %s instead", r->method, r->pattern, path, m ? m->pattern : "nothing");
        if (strchr(r->pattern, '*')) assert_string_equal(rest, "a/b.ogg");
        free(rest);
        desk_path_free(&p);
    }
}

static void test_matcher(void **state)
{
    (void)state;
    desk_path p;
    const char *args[4];
    size_t na;
    char *rest;
    int method_ok;
    assert_int_equal(desk_path_parse(&p, "/t/TOKEN123/uploads/U9"), 0);
    const desk_route *r = desk_route_match("GET", &p, args, &na, &rest, &method_ok);
    assert_non_null(r);
    assert_int_equal(na, 2);
    assert_string_equal(args[0], "TOKEN123");
    assert_string_equal(args[1], "U9");
    assert_null(rest);
    /* the path exists, the method does not: 405, not 404 */
    assert_null(desk_route_match("POST", &p, args, &na, &rest, &method_ok));
    assert_true(method_ok);
    desk_path_free(&p);
    const char *misses[] = {"/staff", "/staff/week/extra", "/t", "/api/plan/x", "/staff/audio", "/assets"};
    for (size_t i = 0; i < sizeof misses / sizeof *misses; i++) {
        assert_int_equal(desk_path_parse(&p, misses[i]), 0);
        assert_null(desk_route_match("GET", &p, args, &na, &rest, &method_ok));
        desk_path_free(&p);
    }
    cw_buf b;
    cw_buf_init(&b);
    cw_desk_routes_text(&b);
    assert_non_null(strstr(b.data, "POST /staff/days/:date/build staff csrf\n"));
    assert_non_null(strstr(b.data, "POST /t/:token/upload teacher upload\n"));
    assert_non_null(strstr(b.data, "GET /staff/week staff\n"));
    cw_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_auth_of_every_route),
                                       cmocka_unit_test(test_every_route_reachable), cmocka_unit_test(test_matcher)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
