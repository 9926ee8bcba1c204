/* test_asrun.c — the as-run log on its own: a run that is killed (no clean stop) leaves a
 * state file from which the next start records the item it was playing, cut where its
 * heartbeat stopped, and the gap until the restart; a line torn by a power cut is closed off;
 * records go to the file of their local date; a second air on the station is refused; and
 * the small pieces (output URLs, time stamps, back-off). */
#include "air_test.h"

#include <fcntl.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define RATE 8000
#define ZONE "Africa/Lagos"

static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
    return (cw_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * AIR_NS;
}

static cw_air *new_air(at_station *s, at_vclock *clock, at_capture *cap)
{
    cw_air *a = NULL;
    cw_air_opts o = {0};
    o.clock = &clock->c;
    cw_error err = {0};
    if (cw_air_new(&a, s->st, &o, &err))
        fail_msg("cw_air_new: %s", err.text);
    air_out_env env = cw_air_env(a);
    air_out *out = NULL;
    assert_int_equal(air_out_icecast_new(&out, &env, "icecast://h:8000/m", &at_capture_ops, cap, &err), 0);
    assert_int_equal(cw_air_set_outputs(a, &out, 1), 0);
    return a;
}

static void test_kill_and_restart(void **state)
{
    (void)state;
    at_station *s = at_station_new(ZONE, RATE, "07:00-07:05", NULL);
    char *rec = at_path(s, "library/lesson/t/a.ogg");
    assert_int_equal(at_beep_file(rec, RATE, 1, 440, 0.3, 100, "A"), 0);
    free(rec);
    at_item it[] = {{CW_KIND_LESSON, "library/lesson/t/a.ogg", 100 * RATE, "One", "s", "one@x"},
                    {CW_KIND_LESSON, "library/lesson/t/a.ogg", 100 * RATE, "Two", "s", "two@x"},
                    {CW_KIND_LESSON, "library/lesson/t/a.ogg", 100 * RATE, "Three", "s", "three@x"}};
    cw_date day = {2027, 1, 13};
    int64_t w0 = utc(2027, 1, 13, 6, 0, 0);
    cw_plan *p = at_plan(day, ZONE, RATE, 1, w0 / AIR_NS, it, 3);
    at_build(s, p);
    at_vclock clock;
    at_vclock_init(&clock, w0);
    at_capture *cap = at_capture_new(&clock);
    cw_air *a = new_air(s, &clock, cap);
    at_run(a, w0 + 140 * AIR_NS);                           /* 40 s into "Two" */
    air_asrun_tick(cw_air_asrun(a), clock.mono + clock.offset); /* its last heartbeat */
    cw_air_free(a);                                         /* killed: no stop, no close */
    clock.mono += 7 * AIR_NS;                               /* back 7 s later */
    a = new_air(s, &clock, cap);
    at_run(a, w0 + 300 * AIR_NS);
    cw_air_stop_outputs(a);
    cw_air_free(a);

    char **v;
    size_t n = at_asrun_lines(s, "item", &v);
    assert_int_equal(n, 4); /* One; Two as far as the kill; Two re-joined; Three */
    json_error_t je;
    json_t *two = json_loads(v[1], 0, &je), *again = json_loads(v[2], 0, &je), *three = json_loads(v[3], 0, &je);
    assert_string_equal(json_string_value(json_object_get(two, "title")), "Two");
    assert_false(json_is_true(json_object_get(two, "complete")));
    assert_string_equal(json_string_value(json_object_get(two, "cut_reason")), "chalkwave stopped");
    assert_true(json_real_value(json_object_get(two, "actual_length_s")) == 40.0);
    assert_string_equal(json_string_value(json_object_get(again, "title")), "Two");
    double from = json_real_value(json_object_get(again, "from_s"));
    assert_true(from == 47.0); /* exactly where the clock is: 07:02:27, 47 s into "Two" */
    assert_non_null(strstr(json_string_value(json_object_get(again, "actual_start_utc")), "06:02:27.000Z"));
    assert_true(json_is_true(json_object_get(three, "complete")));
    json_decref(two);
    json_decref(again);
    json_decref(three);
    at_lines_free(v, n);
    n = at_asrun_lines(s, "gap", &v);
    assert_int_equal(n, 1);
    json_t *g = json_loads(v[0], 0, &je);
    assert_string_equal(json_string_value(json_object_get(g, "reason")), "chalkwave stopped");
    assert_string_equal(json_string_value(json_object_get(g, "start_utc")), "2027-01-13T06:02:20.000Z");
    assert_string_equal(json_string_value(json_object_get(g, "end_utc")), "2027-01-13T06:02:27.000Z");
    assert_non_null(strstr(json_string_value(json_object_get(g, "detail")), "killed"));
    json_decref(g);
    at_lines_free(v, n);
    n = at_asrun_lines(s, "start", &v);
    assert_int_equal(n, 2);
    at_lines_free(v, n);
    n = at_asrun_lines(s, "stop", &v);
    assert_int_equal(n, 1);
    at_lines_free(v, n);
    cw_plan_free(p);
    at_capture_free(cap);
    at_station_free(s);
}

static void test_torn_line_and_second_air(void **state)
{
    (void)state;
    at_station *s = at_station_new(ZONE, RATE, "07:00-07:05", NULL);
    char *dir = at_path(s, "asrun"), *file = at_path(s, "asrun/2027-01-13.jsonl");
    cw_error err = {0};
    assert_int_equal(cw_mkdir_p(dir, &err), 0);
    /* a power cut tore the last line */
    assert_int_equal(cw_write_file_atomic(file, "{\"record\":\"start\"}\n{\"record\":\"ite", 32, &err), 0);
    at_vclock clock;
    at_vclock_init(&clock, utc(2027, 1, 13, 6, 0, 0));
    at_capture *cap = at_capture_new(&clock);
    cw_air *a = new_air(s, &clock, cap);
    /* a second air on the station is refused while the first holds the lock */
    cw_air *b = NULL;
    cw_air_opts o = {0};
    o.clock = &clock.c;
    assert_int_equal(cw_air_new(&b, s->st, &o, &err), CW_ELOCKED);
    assert_non_null(strstr(err.text, "another 'chalkwave air' is playing this station"));
    at_run(a, utc(2027, 1, 13, 6, 0, 10));
    cw_air_stop_outputs(a);
    cw_air_free(a);
    /* every line parses: the torn one was ended, the next record starts on its own line */
    FILE *fp = fopen(file, "r");
    char *line = NULL;
    size_t cap_n = 0, good = 0, bad = 0;
    while (getline(&line, &cap_n, fp) > 0) {
        json_error_t je;
        json_t *j = json_loads(line, 0, &je);
        if (j)
            good++;
        else
            bad++;
        json_decref(j);
    }
    free(line);
    fclose(fp);
    assert_int_equal(bad, 1); /* the torn one */
    assert_true(good >= 3);   /* start (old), start, stop */
    /* the lock went with the first air */
    assert_int_equal(cw_air_new(&b, s->st, &o, &err), 0);
    cw_air_free(b);
    free(dir);
    free(file);
    at_capture_free(cap);
    at_station_free(s);
}

static void test_output_urls(void **state)
{
    (void)state;
    cw_air_output_spec o;
    cw_error err = {0};
    assert_int_equal(cw_air_output_parse(&o, "icecast://source:hack%20me@radio.example:8001/live.ogg", &err), 0);
    assert_int_equal(o.type, CW_AIR_OUT_ICECAST);
    assert_string_equal(o.user, "source");
    assert_string_equal(o.password, "hack me");
    assert_string_equal(o.host, "radio.example");
    assert_int_equal(o.port, 8001);
    assert_string_equal(o.mount, "/live.ogg");
    assert_string_equal(o.display, "icecast://radio.example:8001/live.ogg"); /* no password */
    assert_int_equal(cw_air_output_parse(&o, "icecast://127.0.0.1/m", &err), 0);
    assert_int_equal(o.port, 8000);
    assert_string_equal(o.user, "source");
    assert_int_equal(cw_air_output_parse(&o, "icy://dj:pw@[::1]:8000/stream", &err), 0);
    assert_true(o.icy);
    assert_string_equal(o.host, "::1");
    assert_string_equal(o.display, "icy://[::1]:8000/stream");
    assert_int_equal(cw_air_output_parse(&o, "alsa:plughw:0,0", &err), 0);
    assert_int_equal(o.type, CW_AIR_OUT_ALSA);
    assert_string_equal(o.device, "plughw:0,0");
    const char *bad[] = {"icecast://host:8000", "icecast://host:99999/m", "icecast://:8000/m", "alsa:", "http://x/y",
                         "icecast://u:p%zz@h/m", "icecast://h/m?x=1", "icecast://h/a b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memset(&err, 0, sizeof err);
        if (cw_air_output_parse(&o, bad[i], &err) != CW_EUSAGE)
            fail_msg("'%s' was accepted", bad[i]);
        assert_true(err.text[0] != 0);
    }
    setenv("CHALKWAVE_ICECAST_PASSWORD", "from-env", 1);
    assert_int_equal(cw_air_output_parse(&o, "icecast://h:1/m", &err), 0);
    assert_string_equal(o.password, "from-env");
    unsetenv("CHALKWAVE_ICECAST_PASSWORD");
}

static void test_air_settings(void **state)
{
    (void)state;
    static const char base[] = "[station]\nname = X\ntimezone = UTC\non_air = 06:00-22:00\n\n[audio]\nrate = 8000\n"
                               "channels = 1\nquality = 1\nloudness = -23\ntrue_peak = -1\n\n[air]\n";
    struct {
        const char *air;
        int ok;
        const char *error;
    } cases[] = {
        {"outputs = alsa:default, icecast://source:@h:8000/m icy://h/x\nbetween = nothing\nemergency = library/f/a.ogg\n"
         "build_ahead = yes\nretry_max = 30\n",
         1, NULL},
        {"outputs = http://x/y\n", 0, "'http://x/y' is not an output"},
        {"between = loud\n", 0, "between"},
        {"emergency = /etc/passwd\n", 0, "emergency"},
        {"emergency = ../x.ogg\n", 0, "emergency"},
        {"build_ahead = maybe\n", 0, "build_ahead"},
        {"retry_max = 0\n", 0, "retry_max"},
        {"retry_max = 3601\n", 0, "retry_max"},
        {"outputs = alsa:a\noutputs = alsa:b\n", 0, "set twice"},
        {"volume = 11\n", 0, "unknown key 'volume' in [air]"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = cw_asprintf("%s%s", base, cases[i].air);
        cw_station *st = NULL;
        cw_error err = {0};
        int rc = cw_station_parse(&st, "/tmp", "station.conf", text, strlen(text), &err);
        if (cases[i].ok) {
            if (rc)
                fail_msg("case %zu refused: %s", i, err.text);
            assert_int_equal(st->air_outputs.n, 3);
            assert_string_equal(st->air_outputs.v[1], "icecast://source:@h:8000/m");
            assert_true(st->air_between_nothing);
            assert_string_equal(st->air_emergency, "library/f/a.ogg");
            assert_true(st->air_build_ahead);
            assert_int_equal(st->air_retry_max, 30);
        } else {
            assert_int_equal(rc, CW_EINVAL);
            if (!strstr(err.text, cases[i].error))
                fail_msg("case %zu: '%s' lacks '%s'", i, err.text, cases[i].error);
            assert_true(err.line > 0);
        }
        cw_station_free(st);
        free(text);
    }
    /* defaults */
    cw_station *st = NULL;
    cw_error err = {0};
    assert_int_equal(cw_station_parse(&st, "/tmp", "station.conf", base, strlen(base), &err), 0);
    assert_int_equal(st->air_outputs.n, 0);
    assert_false(st->air_between_nothing);
    assert_null(st->air_emergency);
    assert_int_equal(st->air_retry_max, 60);
    cw_station_free(st);
}

static void test_times(void **state)
{
    (void)state;
    char u[32], l[40];
    cw_tz *tz = NULL;
    cw_error err;
    assert_int_equal(cw_tz_open(&tz, "America/St_Johns", &err), 0); /* UTC-03:30 in winter */
    int64_t t = utc(2027, 1, 13, 6, 0, 0) + 123456789;
    air_fmt_utc(t, u);
    air_fmt_local(tz, t, l);
    assert_string_equal(u, "2027-01-13T06:00:00.123Z");
    assert_string_equal(l, "2027-01-13T02:30:00.123-03:30");
    int64_t back;
    assert_int_equal(air_parse_time(u, &back), 0);
    assert_int_equal(back, t - 456789);
    assert_int_equal(air_parse_time(l, &back), 0);
    assert_int_equal(back, t - 456789);
    assert_int_equal(air_parse_time("2027-01-13T02:30:00+01:00", &back), 0);
    assert_int_equal(back, utc(2027, 1, 13, 1, 30, 0));
    assert_int_equal(air_parse_time("2027-13-13T02:30:00Z", &back), -1);
    assert_int_equal(air_parse_time("2027-01-13T02:30:00", &back), -1);
    /* years whose nanoseconds do not fit 64 bits are not times (found by fuzz_asrun) */
    assert_int_equal(air_parse_time("9999-12-31T23:59:59.999Z", &back), -1);
    assert_int_equal(air_parse_time("0001-01-01T00:00:00Z", &back), -1);
    assert_int_equal(air_parse_time("2200-12-31T23:59:59Z", &back), 0);
    air_fmt_utc(-1, u); /* before 1970: floors, never a negative millisecond */
    assert_string_equal(u, "1969-12-31T23:59:59.999Z");
    cw_tz_free(tz);
    /* samples <-> ns: exact for a whole day at 192 kHz */
    int64_t day = 86400LL * 192000;
    assert_int_equal(air_samples_to_ns(day, 192000), 86400 * AIR_NS);
    assert_int_equal(air_ns_to_samples(86400 * AIR_NS - 1, 192000), day - 1);
    assert_int_equal(air_samples_to_ns(1, 44100), 22675);
    /* back-off */
    assert_int_equal(air_backoff_ns(1, 60), AIR_NS);
    assert_int_equal(air_backoff_ns(3, 60), 4 * AIR_NS);
    assert_int_equal(air_backoff_ns(30, 60), 60 * AIR_NS);
    assert_int_equal(air_backoff_ns(3, 3), 3 * AIR_NS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_and_restart),
        cmocka_unit_test(test_torn_line_and_second_air),
        cmocka_unit_test(test_output_urls),
        cmocka_unit_test(test_air_settings),
        cmocka_unit_test(test_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
