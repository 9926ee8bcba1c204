/* test_parse.c — desk/parse.c: percent-decoding, request targets, query strings and forms,
 * the streaming multipart parser (every split of the body gives the same parts), its
 * refusals, and the parameter validators. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "parse.h"

static void test_pct_decode(void **state)
{
    (void)state;
    char *out;
    assert_int_equal(desk_pct_decode("a%20b+c", 7, 1, 0, &out), 0);
    assert_string_equal(out, "a b c");
    free(out);
    assert_int_equal(desk_pct_decode("a%20b+c", 7, 0, 0, &out), 0);
    assert_string_equal(out, "a b+c");
    free(out);
    assert_int_equal(desk_pct_decode("%C3%A9t%C3%A9", 13, 0, 0, &out), 0);
    assert_string_equal(out, "\xc3\xa9t\xc3\xa9");
    free(out);
    /* refusals: bad escapes, truncated escapes, NUL, control characters, invalid UTF-8 */
    const char *bad[] = {"%", "%4", "%zz", "a%00b", "%0a", "%1F", "%7f", "%C3", "%C0%AF", "%ED%A0%80", "\x01"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        out = (char *)1;
        assert_int_equal(desk_pct_decode(bad[i], strlen(bad[i]), 1, 0, &out), -1);
        assert_null(out);
    }
    /* multi-line values keep TAB/LF/CR only when asked */
    assert_int_equal(desk_pct_decode("a%0Ab%09c", 9, 1, 1, &out), 0);
    assert_string_equal(out, "a\nb\tc");
    free(out);
}

static void test_params(void **state)
{
    (void)state;
    desk_params p;
    const char *q = "from=2026-03-16&to=2026-03-22;q=a+b%26c&empty=&flag";
    assert_int_equal(desk_params_parse(&p, q, strlen(q)), 0);
    assert_int_equal(p.n, 5);
    assert_string_equal(desk_param_get(&p, "from"), "2026-03-16");
    assert_string_equal(desk_param_get(&p, "q"), "a b&c");
    assert_string_equal(desk_param_get(&p, "empty"), "");
    assert_string_equal(desk_param_get(&p, "flag"), "");
    assert_null(desk_param_get(&p, "nope"));
    desk_params_free(&p);
    /* the first value of a repeated key wins */
    assert_int_equal(desk_params_parse(&p, "a=1&a=2", 7), 0);
    assert_string_equal(desk_param_get(&p, "a"), "1");
    desk_params_free(&p);
    /* empty pairs are skipped */
    assert_int_equal(desk_params_parse(&p, "&&a=1&&", 7), 0);
    assert_int_equal(p.n, 1);
    desk_params_free(&p);
    /* refusals: empty key, too many pairs, a long key, bad escapes */
    assert_int_equal(desk_params_parse(&p, "=1", 2), -1);
    assert_int_equal(p.n, 0);
    cw_buf b;
    cw_buf_init(&b);
    for (int i = 0; i <= DESK_MAX_PARAMS; i++) cw_buf_printf(&b, "k%d=v&", i);
    assert_int_equal(desk_params_parse(&p, b.data, b.len), -1);
    b.len = 0;
    for (int i = 0; i <= DESK_MAX_KEY; i++) cw_buf_puts(&b, "k");
    cw_buf_puts(&b, "=1");
    assert_int_equal(desk_params_parse(&p, b.data, b.len), -1);
    cw_buf_free(&b);
    assert_int_equal(desk_params_parse(&p, "a=%zz", 5), -1);
}

static void test_paths(void **state)
{
    (void)state;
    desk_path p;
    assert_int_equal(desk_path_parse(&p, "/"), 0);
    assert_int_equal(p.n, 0);
    desk_path_free(&p);
    assert_int_equal(desk_path_parse(&p, "/staff/recording/library/lesson/a%20b/001-x.ogg?x=1"), 0);
    assert_int_equal(p.n, 6);
    assert_string_equal(p.seg[3], "lesson");
    assert_string_equal(p.seg[4], "a b");
    assert_string_equal(desk_param_get(&p.query, "x"), "1");
    desk_path_free(&p);
    assert_int_equal(desk_path_parse(&p, "/staff/week/"), 0); /* a trailing slash is ignored */
    assert_int_equal(p.n, 2);
    desk_path_free(&p);
    /* traversal and its encodings never reach a handler */
    const char *bad[] = {"",
                         "staff",
                         "/..",
                         "/a/../b",
                         "/a/./b",
                         "/a//b",
                         "/a/%2e%2e/b",
                         "/a/%2E%2e",
                         "/a/%2fetc%2fpasswd",
                         "/a/..%2f..%2fetc",
                         "/a/%5c..%5c",
                         "/a/b%00c",
                         "/a/%0d%0aSet-Cookie:x",
                         "/a/%c0%ae%c0%ae/b",
                         "/a/%",
                         "/a?x=%zz",
                         "/a#frag",
                         "/1/2/3/4/5/6/7/8/9/10/11/12/13"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(desk_path_parse(&p, bad[i]), -1);
        assert_int_equal(p.n, 0);
    }
    char *longp = malloc(DESK_MAX_URI + 2);
    memset(longp, 'a', DESK_MAX_URI + 1);
    longp[0] = '/';
    longp[DESK_MAX_URI + 1] = 0;
    assert_int_equal(desk_path_parse(&p, longp), -1);
    free(longp);
}

/* ---- multipart ---- */

typedef struct collected {
    cw_buf log; /* "B name|file|type;D bytes;E;" with the data of a part joined */
    int in_data;
    int stop_at_begin;
} collected;

static int c_begin(void *u, const char *name, const char *filename, const char *ct)
{
    collected *c = u;
    cw_buf_printf(&c->log, "B %s|%s|%s;", name, filename ? filename : "(field)", ct);
    c->in_data = 0;
    return c->stop_at_begin;
}

static int c_data(void *u, const char *data, size_t n)
{
    collected *c = u;
    if (!c->in_data) cw_buf_puts(&c->log, "D ");
    c->in_data = 1;
    cw_buf_append(&c->log, data, n);
    return 0;
}

static int c_end(void *u)
{
    collected *c = u;
    cw_buf_puts(&c->log, ";E;");
    c->in_data = 0;
    return 0;
}

static const desk_mp_cb cbs = {c_begin, c_data, c_end};

static int run_split(const char *ct, const char *body, size_t n, size_t step, char **result)
{
    collected c = {0};
    cw_buf_init(&c.log);
    desk_mp *m;
    assert_int_equal(desk_mp_new(&m, ct, &cbs, &c), 0);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i += step) rc = desk_mp_feed(m, body + i, n - i < step ? n - i : step);
    if (rc == 0) rc = desk_mp_finish(m);
    desk_mp_free(m);
    *result = malloc(c.log.len + 1);
    memcpy(*result, c.log.data ? c.log.data : "", c.log.len);
    (*result)[c.log.len] = 0;
    cw_buf_free(&c.log);
    return rc;
}

static const char body1[] =
    "preamble to ignore\r\n"
    "--XyZ\r\n"
    "Content-Disposition: form-data; name=\"csrf\"\r\n\r\n"
    "tok123\r\n"
    "--XyZ\r\n"
    "content-disposition: form-data; name=\"title\"\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n\r\n"
    "Fractions \xc3\xa9 --XyZ- not a boundary\r\n\r\n"
    "--XyZ  \r\n"
    "Content-Disposition: form-data; name=\"file\"; filename=\"C:\\\\Users\\\\t\\\\memo \\\"1\\\".m4a\"\r\n"
    "Content-Type: audio/mp4\r\n\r\n"
    "\x00\x01\r\n--X\r\r\n-binary\xff"
    "\r\n--XyZ--\r\nepilogue";

static void test_multipart_every_split(void **state)
{
    (void)state;
    const char *ct = "multipart/form-data; boundary=XyZ";
    size_t n = sizeof body1 - 1;
    char *want;
    assert_int_equal(run_split(ct, body1, n, n, &want), 0);
    const char expect[] = "B csrf|(field)|;D tok123;E;"
                          "B title|(field)|text/plain; charset=utf-8;D Fractions \xc3\xa9 --XyZ- not a boundary\r\n;E;"
                          "B file|memo \"1\".m4a|audio/mp4;D \x00\x01\r\n--X\r\r\n-binary\xff;E;";
    assert_memory_equal(want, expect, sizeof expect - 1);
    for (size_t step = 1; step < n; step++) {
        char *got;
        assert_int_equal(run_split(ct, body1, n, step, &got), 0);
        assert_memory_equal(got, expect, sizeof expect - 1);
        free(got);
    }
    free(want);
}

static void test_multipart_refusals(void **state)
{
    (void)state;
    desk_mp *m;
    collected c = {0};
    /* not multipart, no boundary, a boundary too long or with control characters */
    assert_int_equal(desk_mp_new(&m, "application/x-www-form-urlencoded", &cbs, &c), -1);
    assert_int_equal(desk_mp_new(&m, "multipart/form-data", &cbs, &c), -1);
    assert_int_equal(desk_mp_new(&m, "multipart/form-data; boundary=", &cbs, &c), -1);
    char ct[200];
    snprintf(ct, sizeof ct, "multipart/form-data; boundary=%071d", 0);
    assert_int_equal(desk_mp_new(&m, ct, &cbs, &c), -1);
    assert_int_equal(desk_mp_new(&m, "multipart/form-data; boundary=\"a\x01\"", &cbs, &c), -1);
    /* quoted boundaries are fine */
    assert_int_equal(desk_mp_new(&m, "multipart/form-data; charset=x; boundary=\"a b\"", &cbs, &c), 0);
    desk_mp_free(m);
    const char *ctb = "multipart/form-data; boundary=B";
    struct {
        const char *body, *why;
    } bad[] = {
        {"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue", "ended early"},
        {"--B\r\nContent-Type: text/plain\r\n\r\nx\r\n--B--", "Content-Disposition"},
        {"--B\r\n\r\nx\r\n--B--", "Content-Disposition"},
        {"--B\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--B--", "not form-data"},
        {"--B\r\nContent-Disposition: form-data\r\n\r\nx\r\n--B--", "field name"},
        {"--B\r\nBroken header\r\n\r\nx\r\n--B--", "no ':'"},
        {"--Bjunk\r\n", "line end"},
        {"no boundary at all", "ended early"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cw_buf_init(&c.log);
        assert_int_equal(desk_mp_new(&m, ctb, &cbs, &c), 0);
        int rc = desk_mp_feed(m, bad[i].body, strlen(bad[i].body));
        if (rc == 0) rc = desk_mp_finish(m);
        assert_int_equal(rc, -1);
        assert_non_null(strstr(desk_mp_error(m), bad[i].why));
        desk_mp_free(m);
        cw_buf_free(&c.log);
    }
    /* too many parts; headers too long (bounded memory) */
    cw_buf b;
    cw_buf_init(&b);
    for (int i = 0; i <= DESK_MAX_PARTS; i++) cw_buf_printf(&b, "--B\r\nContent-Disposition: form-data; name=\"f%d\"\r\n\r\nv\r\n", i);
    cw_buf_puts(&b, "--B--");
    cw_buf_init(&c.log);
    assert_int_equal(desk_mp_new(&m, ctb, &cbs, &c), 0);
    assert_int_equal(desk_mp_feed(m, b.data, b.len), -1);
    assert_non_null(strstr(desk_mp_error(m), "too many parts"));
    desk_mp_free(m);
    cw_buf_free(&c.log);
    b.len = 0;
    cw_buf_puts(&b, "--B\r\nContent-Disposition: form-data; name=\"a\"\r\nX-Long: ");
    for (int i = 0; i < DESK_MAX_PART_HEADERS; i++) cw_buf_puts(&b, "x");
    cw_buf_init(&c.log);
    assert_int_equal(desk_mp_new(&m, ctb, &cbs, &c), 0);
    assert_int_equal(desk_mp_feed(m, b.data, b.len), -1);
    assert_non_null(strstr(desk_mp_error(m), "too long"));
    desk_mp_free(m);
    cw_buf_free(&c.log);
    cw_buf_free(&b);
    /* a callback's refusal stops the parser with its code */
    c.stop_at_begin = 7;
    cw_buf_init(&c.log);
    assert_int_equal(desk_mp_new(&m, ctb, &cbs, &c), 0);
    const char *ok = "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nx\r\n--B--";
    assert_int_equal(desk_mp_feed(m, ok, strlen(ok)), 7);
    desk_mp_free(m);
    cw_buf_free(&c.log);
}

static void test_multipart_filenames(void **state)
{
    (void)state;
    /* the browser's name is shown, never used: path parts and control characters go, Latin-1
     * bytes become '?', long names are cut at a character */
    struct {
        const char *raw, *shown;
    } cases[] = {
        {"../../etc/passwd", "passwd"},
        {"..\\\\..\\\\boot.ini", "boot.ini"},
        {"caf\xe9.wav", "caf?.wav"},
        {"a\tb.wav", "ab.wav"},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[600];
        snprintf(body, sizeof body, "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"%s\"\r\n\r\nx\r\n--B--",
                 cases[i].raw);
        char *got;
        assert_int_equal(run_split("multipart/form-data; boundary=B", body, strlen(body), strlen(body), &got), 0);
        char want[400];
        snprintf(want, sizeof want, "B file|%s|;D x;E;", cases[i].shown);
        assert_string_equal(got, want);
        free(got);
    }
}

static void test_validators(void **state)
{
    (void)state;
    assert_true(desk_valid_name("Mrs Okafor"));
    assert_true(desk_valid_name("Ngozi \xc3\x89ze"));
    assert_false(desk_valid_name(""));
    assert_false(desk_valid_name(" lead"));
    assert_false(desk_valid_name("a/b"));
    assert_false(desk_valid_name("<script>"));
    assert_false(desk_valid_name("tab\there"));
    assert_false(desk_valid_name("\xff"));
    assert_true(desk_valid_series("maths-p5"));
    assert_false(desk_valid_series("a,b"));
    long v;
    assert_int_equal(desk_parse_long("42", 1, 999, &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(desk_parse_long("0", 1, 999, &v), -1);
    assert_int_equal(desk_parse_long("1000", 1, 999, &v), -1);
    assert_int_equal(desk_parse_long("4x", 1, 999, &v), -1);
    assert_int_equal(desk_parse_long(" 4", 1, 999, &v), -1);
    assert_int_equal(desk_parse_long("99999999999999999999", 1, 999, &v), -1);
    assert_true(desk_valid_recording_path("library/lesson/maths-p5/001-a.ogg"));
    assert_true(desk_valid_recording_path("pending/lesson/maths-p5/001-a.ogg"));
    assert_false(desk_valid_recording_path("library/../station.conf"));
    assert_false(desk_valid_recording_path("/etc/passwd.ogg"));
    assert_false(desk_valid_recording_path("out/2026-01-01/day.ogg"));
    assert_false(desk_valid_recording_path("library/lesson/a.wav"));
}

static void test_headers(void **state)
{
    (void)state;
    int64_t off, len;
    assert_int_equal(desk_parse_range("bytes=0-99", 1000, &off, &len), 1);
    assert_true(off == 0 && len == 100);
    assert_int_equal(desk_parse_range("bytes=900-", 1000, &off, &len), 1);
    assert_true(off == 900 && len == 100);
    assert_int_equal(desk_parse_range("bytes=-10", 1000, &off, &len), 1);
    assert_true(off == 990 && len == 10);
    assert_int_equal(desk_parse_range("bytes=-5000", 1000, &off, &len), 1); /* a suffix longer than the file */
    assert_true(off == 0 && len == 1000);
    assert_int_equal(desk_parse_range("bytes=500-99999", 1000, &off, &len), 1);
    assert_true(off == 500 && len == 500);
    assert_int_equal(desk_parse_range("bytes=1000-", 1000, &off, &len), -1);
    assert_int_equal(desk_parse_range("bytes=0-", 0, &off, &len), -1);
    /* not usable: the whole file is sent */
    const char *ignored[] = {NULL, "", "items=0-1", "bytes=", "bytes=5-1", "bytes=0-1,5-9", "bytes=a-b", "bytes=-0",
                             "bytes=99999999999999999999-"};
    for (size_t i = 0; i < sizeof ignored / sizeof *ignored; i++)
        assert_int_equal(desk_parse_range(ignored[i], 1000, &off, &len), 0);
    char v[64];
    assert_int_equal(desk_cookie_value("a=1; cw_session=abc; b=2", "cw_session", v, sizeof v), 1);
    assert_string_equal(v, "abc");
    assert_int_equal(desk_cookie_value("xcw_session=abc", "cw_session", v, sizeof v), 0);
    assert_int_equal(desk_cookie_value("cw_session", "cw_session", v, sizeof v), 0);
    assert_int_equal(desk_cookie_value("cw_session=0123456789", "cw_session", v, 5), 0); /* too long: refused */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pct_decode),       cmocka_unit_test(test_params),
        cmocka_unit_test(test_paths),            cmocka_unit_test(test_multipart_every_split),
        cmocka_unit_test(test_multipart_refusals), cmocka_unit_test(test_multipart_filenames),
        cmocka_unit_test(test_validators),       cmocka_unit_test(test_headers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
