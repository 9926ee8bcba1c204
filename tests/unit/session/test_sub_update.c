/* test_sub_update.c — cw_calendar_update (`calendar update` as one library call) on a real
 * station folder, without a network: a link nobody answers (a closed port on 127.0.0.1) is
 * unreachable, the stored copy kept byte for byte, the outcome recorded in
 * subscriptions.conf, the status "nothing fetched", and the link's secret in no result, text
 * or JSON; a name that is no subscription is a usage error before anything is fetched; a
 * station without subscriptions has nothing to do. The report's text and status from a
 * result made by hand (an update with skipped events and a stale bundle), and what a fetched
 * body must look like to be read as a calendar (cw_sub_body_problem). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

static char *scratch;

static int setup(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/cw-subup-XXXXXX";
    if (!mkdtemp(tmpl)) return -1;
    scratch = strdup(tmpl);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char *cmd = cw_asprintf("rm -rf '%s'", scratch);
    int rc = system(cmd);
    free(cmd);
    free(scratch);
    return rc ? -1 : 0;
}

static void write_text(const char *dir, const char *name, const char *text)
{
    char *p = cw_path_join(dir, name);
    cw_error err;
    if (cw_write_file_atomic(p, text, strlen(text), &err)) fail_msg("%s: %s", p, err.text);
    free(p);
}

static char *read_text(const char *dir, const char *name)
{
    char *p = cw_path_join(dir, name), *data = NULL;
    size_t len;
    cw_error err;
    if (cw_read_file(p, 1 << 20, &data, &len, &err)) fail_msg("%s: %s", p, err.text);
    free(p);
    return data;
}

static const char CAL[] = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\nBEGIN:VEVENT\r\nUID:m@t\r\n"
                          "DTSTAMP:20260101T000000Z\r\nDTSTART:20260303T080000Z\r\nDTEND:20260303T083000Z\r\n"
                          "SUMMARY:Maths P5\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
#define SECRET "s3cr3t-token-4f9a"

/* A station in Europe/Berlin with calendars/county.ics subscribed to a closed port. */
static char *make_station(const char *name, int subscribed)
{
    char *st = cw_path_join(scratch, name);
    cw_error err;
    assert_int_equal(cw_station_init_tz(st, "Europe/Berlin", &err), 0);
    write_text(st, "station.conf", "[station]\nname = Radio Subs\ntimezone = Europe/Berlin\non_air = 06:00-22:00\n"
                                   "[audio]\nrate = 8000\nchannels = 1\nquality = 0\nloudness = -23\n"
                                   "true_peak = -1\n[calendars]\ncounty.ics = 4\n");
    char *cal = cw_path_join(st, "calendars");
    write_text(cal, "county.ics", CAL);
    if (subscribed)
        write_text(cal, "subscriptions.conf", "[county.ics]\nurl = http://127.0.0.1:1/cal/" SECRET "/county.ics\n"
                                              "checked = 2026-03-02T08:00:00Z\nresult = ok\n"
                                              "good = 2026-03-02T08:00:00Z\nchanged = 2026-03-02T08:00:00Z\n");
    free(cal);
    return st;
}

static void test_offline_keeps_the_copy(void **state)
{
    (void)state;
    char *st = make_station("offline", 1), *cal = cw_path_join(st, "calendars");
    cw_subup_opts o = {NULL, 0, 14, {2026, 3, 2}, 5, 0, 10, NULL, NULL};
    cw_subup u;
    cw_error err = {0};
    if (cw_calendar_update(st, &o, &u, &err)) fail_msg("update: %s", err.text);
    assert_int_equal(u.n, 1);
    assert_string_equal(u.v[0].name, "county.ics");
    assert_int_equal(u.v[0].outcome, CW_SUBUP_UNREACHABLE);
    assert_string_equal(cw_subup_outcome_name(u.v[0].outcome), "unreachable");
    assert_true(!strncmp(u.v[0].why, "not reachable (", 15));
    assert_string_equal(u.v[0].kept, "keeping the copy of 2026-03-02");
    char red[400];
    cw_sub_url_redact("http://127.0.0.1:1/cal/" SECRET "/county.ics", red, sizeof red);
    assert_string_equal(u.v[0].source, red);
    assert_true(!strncmp(red, "http://127.0.0.1:1 (link ", 25));
    assert_int_equal(cw_subup_status(&u), CW_EIO); /* nothing could be fetched */
    assert_null(strstr(u.v[0].why, SECRET));
    cw_buf t, j;
    cw_buf_init(&t);
    cw_buf_init(&j);
    assert_int_equal(cw_subup_text(&u, &t), 0);
    assert_int_equal(cw_subup_json(&u, &j), 0);
    assert_int_equal(t.len, 0); /* nothing on stdout: the CLI says why on stderr */
    assert_non_null(strstr(j.data, "\"from\": \"2026-03-02\""));
    assert_non_null(strstr(j.data, "\"result\": \"unreachable\""));
    assert_non_null(strstr(j.data, "\"kept\": \"2026-03-02\""));
    assert_non_null(strstr(j.data, "\"timezone\": \"Europe/Berlin\""));
    assert_null(strstr(j.data, SECRET));
    cw_buf_free(&t);
    cw_buf_free(&j);
    cw_subup_free(&u);
    char *kept = read_text(cal, "county.ics"), *subs = read_text(cal, "subscriptions.conf");
    assert_string_equal(kept, CAL);
    assert_non_null(strstr(subs, "result = failed: not reachable ("));
    assert_non_null(strstr(subs, "good = 2026-03-02T08:00:00Z")); /* the good copy is still that one */
    assert_null(strstr(subs, "checked = 2026-03-02T08:00:00Z")); /* the attempt is recorded */
    free(kept);
    free(subs);
    free(cal);
    free(st);
}

static void test_unknown_name(void **state)
{
    (void)state;
    char *st = make_station("names", 1);
    const char *names[] = {"county", "nope"};
    cw_subup_opts o = {names, 2, 14, {0, 0, 0}, 5, 0, 10, NULL, NULL};
    cw_subup u;
    cw_error err = {0};
    assert_int_equal(cw_calendar_update(st, &o, &u, &err), CW_EUSAGE);
    assert_string_equal(err.text, "'nope' is no subscription (see 'chalkwave calendar list')");
    cw_subup_free(&u);
    const char *link[] = {"https://example.org/" SECRET};
    o.names = link;
    o.n_names = 1;
    assert_int_equal(cw_calendar_update(st, &o, &u, &err), CW_EUSAGE);
    assert_string_equal(err.text, "'(a link)' is no subscription (see 'chalkwave calendar list')");
    cw_subup_free(&u);
    char *cal = cw_path_join(st, "calendars"), *subs = read_text(cal, "subscriptions.conf");
    assert_non_null(strstr(subs, "result = ok")); /* nothing was fetched or recorded */
    free(subs);
    free(cal);
    o.days = 0;
    assert_int_equal(cw_calendar_update(st, &o, &u, &err), CW_EUSAGE);
    cw_subup_free(&u);
    free(st);
}

static void test_no_subscriptions(void **state)
{
    (void)state;
    char *st = make_station("none", 0);
    cw_subup_opts o = {NULL, 0, 14, {0, 0, 0}, 5, 0, 10, NULL, NULL};
    cw_subup u;
    cw_error err = {0};
    if (cw_calendar_update(st, &o, &u, &err)) fail_msg("update: %s", err.text);
    assert_int_equal(u.n, 0);
    assert_int_equal(cw_subup_status(&u), 0);
    assert_true(u.from.year >= 2026); /* today, station time */
    cw_subup_free(&u);
    free(st);
}

static void test_report_by_hand(void **state)
{
    (void)state;
    cw_subup_result r[2] = {{0}, {0}};
    r[0].name = (char *)"a.ics";
    r[0].outcome = CW_SUBUP_UPDATED;
    r[0].events = 3;
    r[0].skipped = 1;
    r[1].name = (char *)"b.ics";
    r[1].outcome = CW_SUBUP_UNCHANGED;
    r[1].restamped = 1;
    cw_subup_stale s = {{2026, 3, 31}, {0}};
    cw_strlist_push(&s.cals, "a.ics");
    cw_subup u = {{2026, 3, 23}, 1, (char *)"UTC", r, 2, &s, 1, 0};
    cw_buf b;
    cw_buf_init(&b);
    assert_int_equal(cw_subup_text(&u, &b), 0);
    assert_string_equal(b.data, "a.ics: updated (3 events, 1 skipped for errors); 0 changes in the next 1 day\n"
                                "b.ics: unchanged (only its DTSTAMPs differ: the server stamps every download)\n"
                                "stale bundles (built before these changes: build them again):\n"
                                "  out/2026-03-31 (a.ics): chalkwave build --date 2026-03-31\n");
    assert_int_equal(cw_subup_status(&u), 0);
    /* the comparison failed: "0 changes" would be a lie, in the text and in the JSON */
    snprintf(r[0].changes_error, sizeof r[0].changes_error, "the stored copy cannot be read");
    cw_buf_free(&b);
    cw_buf_init(&b);
    assert_int_equal(cw_subup_text(&u, &b), 0);
    assert_non_null(strstr(b.data, "a.ics: updated (3 events, 1 skipped for errors); what changed in the next 1 day "
                                   "cannot be said: the stored copy cannot be read\n"));
    cw_buf_free(&b);
    cw_buf_init(&b);
    assert_int_equal(cw_subup_json(&u, &b), 0);
    assert_non_null(strstr(b.data, "\"changes_error\": \"the stored copy cannot be read\""));
    r[0].changes_error[0] = 0;
    cw_buf_free(&b);
    cw_buf_init(&b);
    assert_int_equal(cw_subup_json(&u, &b), 0);
    assert_null(strstr(b.data, "changes_error"));
    r[1].outcome = CW_SUBUP_REFUSED;
    assert_int_equal(cw_subup_status(&u), CW_EINVAL); /* fetched, but refused */
    r[0].outcome = CW_SUBUP_UNREACHABLE;
    assert_int_equal(cw_subup_status(&u), CW_EINVAL); /* one answered */
    r[1].outcome = CW_SUBUP_FAILED;
    assert_int_equal(cw_subup_status(&u), CW_EIO); /* an HTTP error is no fetched calendar */
    cw_buf_free(&b);
    cw_strlist_free(&s.cals);
}

static void test_body_problem(void **state)
{
    (void)state;
    cw_fetch_res r = {0};
    r.status = CW_FETCH_OK;
    r.body = (char *)" \r\n\t";
    r.len = 4;
    assert_string_equal(cw_sub_body_problem(&r), "the server sent an empty answer, not a calendar");
    r.body = (char *)"\xEF\xBB\xBF\r\nBEGIN:VCALENDAR\r\n";
    r.len = strlen(r.body);
    r.content_type = (char *)"text/html";
    assert_null(cw_sub_body_problem(&r)); /* a calendar labelled as a web page is a calendar */
    r.body = (char *)"<!DOCTYPE html><html>Sign in</html>";
    r.len = strlen(r.body);
    r.content_type = (char *)"text/calendar";
    assert_non_null(strstr(cw_sub_body_problem(&r), "the server sent a web page, not a calendar"));
    r.body = (char *)"Please sign in";
    r.len = strlen(r.body);
    r.content_type = (char *)"text/html; charset=utf-8";
    assert_non_null(strstr(cw_sub_body_problem(&r), "a web page"));
    r.content_type = (char *)"text/plain";
    assert_null(cw_sub_body_problem(&r)); /* not a page: import's checks say what it is */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offline_keeps_the_copy),
        cmocka_unit_test(test_unknown_name),
        cmocka_unit_test(test_no_subscriptions),
        cmocka_unit_test(test_report_by_hand),
        cmocka_unit_test(test_body_problem),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
