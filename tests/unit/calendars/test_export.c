/* test_export.c — cw_cal_export: RFC 5545 text with one VTIMEZONE (bare IANA TZID), folded
 * CRLF lines of at most 75 octets, UTF-8, deterministic; it re-imports into libical, into
 * chalkwave itself (same instants and meaning), into python3-icalendar and into ical.js
 * (npm). A missing peer (python3-icalendar; node/npm or ical.js, which
 * tests/oracle/install_icaljs.sh installs) makes the test SKIPPED, never passed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libical/ical.h>

#include "../peers.h"
#include "calendars.h"

static int64_t utc(int y, int mo, int d, int h, int mi)
{
    return cw_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

static const char long_title[] =
    "Leçon de français — été 2026: les verbes irréguliers et la conjugaison au passé composé "
    "(中文 العربية)";

static const cw_export_event events[] = {
    {"2026-03-28-0700-maths@radio.example", 1774681200, 1774683000, "Maths P4", "Fractions",
     "lesson", "maths-p4", 12, "Mrs Okafor", "en"},
    /* across the spring change: 2026-03-29 09:00 CEST */
    {"2026-03-29-0900-fr@radio.example", 1774767600, 1774771200, long_title, NULL, NULL,
     "french-p6", 3, "M. Diallo", "fr"},
    {"2026-10-25-0230-news@radio.example", 1792888200, 1792889100, "Newsletter", NULL,
     "newsletter", NULL, 0, NULL, NULL},
};
#define N_EVENTS (sizeof events / sizeof events[0])

static char *do_export(size_t *len)
{
    char *out = NULL;
    cw_error err;
    assert_int_equal(cw_cal_export(events, N_EVENTS, "Europe/Paris", "Radio Example",
                                   utc(2026, 3, 1, 0, 0), &out, len, &err), 0);
    return out;
}

static void format(void **state)
{
    (void)state;
    size_t len;
    char *s = do_export(&len);
    assert_true(cw_utf8_valid(s, len));
    /* CRLF line ends, lines <= 75 octets */
    size_t line_start = 0, lines = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n') {
            assert_true(i > 0 && s[i - 1] == '\r');
            assert_true(i - 1 - line_start <= 75);
            line_start = i + 1;
            lines++;
        }
    }
    assert_true(lines > 30);
    assert_non_null(strstr(s, "\r\nTZID:Europe/Paris\r\n"));
    assert_null(strstr(s, "freeassociation"));
    assert_non_null(strstr(s, "DTSTART;TZID=Europe/Paris:20260329T090000"));
    assert_non_null(strstr(s, "DTSTAMP:20260301T000000Z"));
    /* exactly one VTIMEZONE (offsets, not pointers: GCC 12 -O2 reports a false dangling
     * pointer to 'out' below for a pointer kept here) */
    size_t n_vtz = 0;
    for (size_t i = 0; i + 15 <= len; i++)
        n_vtz += memcmp(s + i, "BEGIN:VTIMEZONE", 15) == 0;
    assert_int_equal(n_vtz, 1);
    /* deterministic */
    size_t len2;
    char *s2 = do_export(&len2);
    assert_int_equal(len, len2);
    assert_memory_equal(s, s2, len);
    free(s2);
    /* invalid UTF-8 is refused */
    cw_export_event bad = events[0];
    bad.summary = "caf\xe9";
    char *out = NULL;
    cw_error err;
    assert_int_equal(cw_cal_export(&bad, 1, "Europe/Paris", "x", 0, &out, NULL, &err), CW_EINVAL);
    assert_null(out);
    free(s);
}

static void reimport_libical_and_chalkwave(void **state)
{
    (void)state;
    size_t len;
    char *s = do_export(&len);
    icalcomponent *c = icalparser_parse_string(s);
    assert_non_null(c);
    assert_int_equal(icalcomponent_count_errors(c), 0);
    assert_int_equal(icalcomponent_count_components(c, ICAL_VEVENT_COMPONENT), (int)N_EVENTS);
    icalcomponent_free(c);

    cw_calset *set = cw_calset_new(NULL); /* no station zone: no cal.zone-differs warning */
    cw_diags d;
    memset(&d, 0, sizeof d);
    cw_error err;
    assert_int_equal(cw_calset_add_data(set, s, len, "export.ics", 0, &d, &err), 0);
    if (d.n)
        fail_msg("%s:%d: %s", d.v[0].code, d.v[0].line, d.v[0].text);
    cw_occurrences o;
    assert_int_equal(cw_calset_expand(set, utc(2026, 1, 1, 0, 0), utc(2027, 1, 1, 0, 0), 0, &o, &err), 0);
    assert_int_equal(o.n, N_EVENTS);
    for (size_t i = 0; i < N_EVENTS; i++) {
        assert_string_equal(o.v[i].uid, events[i].uid);
        assert_int_equal(o.v[i].start, events[i].start);
        assert_int_equal(o.v[i].end, events[i].end);
        assert_string_equal(o.v[i].summary, events[i].summary);
        assert_string_equal(o.v[i].series, events[i].series ? events[i].series : "");
        assert_int_equal(o.v[i].episode, events[i].episode);
        assert_string_equal(o.v[i].teacher, events[i].teacher ? events[i].teacher : "");
        assert_string_equal(o.v[i].language, events[i].language ? events[i].language : "");
    }
    assert_int_equal(o.v[2].kind, CW_KIND_NEWSLETTER);
    cw_occurrences_free(&o);
    cw_diags_free(&d);
    cw_calset_free(set);
    free(s);
}

/* What both peers must print: UID, UTC start, UTC end, summary, sorted by UID. */
static char *expected_lines(void)
{
    cw_buf b;
    cw_buf_init(&b);
    const cw_export_event *v[N_EVENTS];
    for (size_t i = 0; i < N_EVENTS; i++)
        v[i] = &events[i];
    for (size_t i = 0; i < N_EVENTS; i++)
        for (size_t j = i + 1; j < N_EVENTS; j++)
            if (strcmp(v[j]->uid, v[i]->uid) < 0) {
                const cw_export_event *t = v[i];
                v[i] = v[j];
                v[j] = t;
            }
    for (size_t i = 0; i < N_EVENTS; i++) {
        int64_t t[2] = {v[i]->start, v[i]->end};
        cw_buf_printf(&b, "%s", v[i]->uid);
        for (int k = 0; k < 2; k++) {
            int y, mo, d;
            cw_civil_from_days(t[k] / 86400, &y, &mo, &d);
            int64_t sod = t[k] % 86400;
            cw_buf_printf(&b, "\t%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, (int)(sod / 3600),
                          (int)(sod / 60 % 60), (int)(sod % 60));
        }
        cw_buf_printf(&b, "\t%s\n", v[i]->summary);
    }
    return b.data;
}

static char *run(const char *cmd)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return NULL;
    cw_buf b;
    cw_buf_init(&b);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0)
        cw_buf_append(&b, buf, n);
    int rc = pclose(p);
    if (rc != 0) {
        printf("# '%s' failed (status %d): %s\n", cmd, rc, b.data ? b.data : "");
        cw_buf_free(&b);
        return NULL;
    }
    cw_buf_append(&b, "", 0);
    return b.data;
}

static void reimport_peers(void **state)
{
    (void)state;
    const char *src = getenv("CW_SOURCE_DIR");
    if (!src)
        src = CW_SOURCE_DIR_FALLBACK;
    size_t len;
    char *s = do_export(&len);
    char path[] = "/tmp/cw-export-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, s, len), (ssize_t)len);
    close(fd);
    char *want = expected_lines();
    char cmd[4096];
    char *got;
    if (system("/usr/bin/python3 -c 'import icalendar' >/dev/null 2>&1") != 0) {
        cw_peer_missing("python3-icalendar");
    } else {
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s/tests/oracle/reimport_icalendar.py %s", src, path);
        got = run(cmd);
        assert_non_null(got);
        assert_string_equal(got, want);
        printf("# python3-icalendar read the export: same %zu events\n", N_EVENTS);
        free(got);
    }
    snprintf(cmd, sizeof cmd, "%s/tests/oracle/install_icaljs.sh >/dev/null 2>&1", src);
    if (system(cmd) != 0) {
        cw_peer_missing("ical.js (node/npm missing or npm could not install it: run tests/oracle/install_icaljs.sh)");
    } else {
        snprintf(cmd, sizeof cmd, "node %s/tests/oracle/reimport_icaljs.js %s", src, path);
        got = run(cmd);
        assert_non_null(got);
        assert_string_equal(got, want);
        printf("# ical.js read the export: same %zu events\n", N_EVENTS);
        free(got);
    }
    unlink(path);
    free(want);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(format),
        cmocka_unit_test(reimport_libical_and_chalkwave),
        cmocka_unit_test(reimport_peers),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    cw_cal_cleanup();
    return cw_peer_exit(rc);
}
