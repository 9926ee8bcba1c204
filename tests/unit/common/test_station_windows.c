/* test_station_windows.c — the station settings of issue #14: several on-air windows (order,
 * overlap, midnight, limits, each refusal's words), [schedule] max_silence and missed,
 * [bundle] mode; `init` with a zone (the machine's zone read from TZ, /etc/timezone and the
 * /etc/localtime link of a fake /etc); finding the station from a folder inside it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "station.h"

static const char head[] = "[station]\nname = R\ntimezone = UTC\n";
static const char tail[] = "[audio]\nrate = 44100\nchannels = 1\nquality = 3\nloudness = -23\ntrue_peak = -1\n";

static int parse_with(const char *extra_station, const char *extra, cw_station **st, cw_error *err)
{
    char *text = cw_asprintf("%s%s\n%s%s", head, extra_station, tail, extra ? extra : "");
    cw_error_clear(err);
    int rc = cw_station_parse(st, "/srv/radio", "station.conf", text, strlen(text), err);
    free(text);
    return rc;
}

static void test_several_windows(void **state)
{
    (void)state;
    cw_station *st;
    cw_error err;
    assert_int_equal(parse_with("on_air = 06:00-09:00, 16:00-16:15", NULL, &st, &err), CW_OK);
    assert_int_equal(st->n_on_air, 2);
    assert_int_equal(st->on_air[0].start, 6 * 60);
    assert_int_equal(st->on_air[0].end, 9 * 60);
    assert_int_equal(st->on_air[1].start, 16 * 60);
    assert_int_equal(st->on_air[1].end, 16 * 60 + 15);
    /* the first window stays in on_air_start/end for readers of one window */
    assert_int_equal(st->on_air_start, 6 * 60);
    assert_int_equal(st->on_air_end, 9 * 60);
    cw_on_air w[CW_MAX_ON_AIR];
    assert_int_equal(cw_station_windows(st, w), 2);
    assert_int_equal(w[1].start, 16 * 60);
    cw_station_free(st);

    /* blanks anywhere, the last window across midnight, back-to-back windows */
    assert_int_equal(parse_with("on_air =  05:00-06:00 ,06:00-07:00,  22:00-02:00 ", NULL, &st, &err), CW_OK);
    assert_int_equal(st->n_on_air, 3);
    assert_int_equal(st->on_air[2].start, 22 * 60);
    assert_int_equal(st->on_air[2].end, 2 * 60);
    cw_station_free(st);
    /* 24:00 ends the last window */
    assert_int_equal(parse_with("on_air = 06:00-09:00, 18:00-24:00", NULL, &st, &err), CW_OK);
    assert_int_equal(st->on_air[1].end, 0);
    cw_station_free(st);
    /* a hand-made station without the list: one window from on_air_start/end */
    cw_station hand;
    memset(&hand, 0, sizeof hand);
    hand.on_air_start = 60, hand.on_air_end = 120;
    assert_int_equal(cw_station_windows(&hand, w), 1);
    assert_int_equal(w[0].start, 60);
    assert_int_equal(w[0].end, 120);
}

static void test_window_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *value, *want;
    } cases[] = {
        {"16:00-16:15, 06:00-09:00", "out of order (write them in the order of the day"},
        {"06:00-10:00, 09:00-12:00", "overlapping windows"},
        {"22:00-02:00, 23:00-23:30", "only the day's last window may end after midnight"},
        {"06:00-24:00, 23:00-23:30", "only the day's last window may end after midnight"},
        {"06:00-09:00, 20:00-07:00", "runs into the next day's first one"},
        {"06:00-09:00, 10:00-10:00", "is empty"},
        {"06:00-09:00,", "is not a window"},
        {"06:00-09:00; 16:00-17:00", "is not a window"},
        {"6:00-9:00", "is not a window"},
        {"06:00-09:00 16:00-17:00", "is not a window"},
        {"01:00-01:10,02:00-02:10,03:00-03:10,04:00-04:10,05:00-05:10,06:00-06:10,07:00-07:10,08:00-08:10,"
         "09:00-09:10",
         "more than 8 windows"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cw_station *st = (cw_station *)1;
        cw_error err;
        char line[300];
        snprintf(line, sizeof line, "on_air = %s", cases[i].value);
        if (parse_with(line, NULL, &st, &err) != CW_EINVAL) fail_msg("'%s' was accepted", cases[i].value);
        assert_null(st);
        if (!strstr(err.text, cases[i].want)) fail_msg("'%s': '%s' lacks '%s'", cases[i].value, err.text, cases[i].want);
        assert_non_null(strstr(err.text, "key 'on_air' in [station]"));
        assert_int_equal(err.line, 4);
    }
}

static void test_schedule_and_bundle_keys(void **state)
{
    (void)state;
    cw_station *st;
    cw_error err;
    /* defaults */
    assert_int_equal(parse_with("on_air = 06:00-22:00", NULL, &st, &err), CW_OK);
    assert_true(st->max_silence == 10);
    assert_int_equal(st->missed, CW_MISSED_SKIP);
    assert_int_equal(st->bundle_mode, CW_BUNDLE_DAY);
    cw_station_free(st);
    assert_int_equal(parse_with("on_air = 06:00-22:00", "[schedule]\nmax_silence = 2.5\nmissed = HOLD\n[bundle]\nmode = blocks\n",
                                &st, &err),
                     CW_OK);
    assert_true(st->max_silence == 2.5);
    assert_int_equal(st->missed, CW_MISSED_HOLD);
    assert_int_equal(st->bundle_mode, CW_BUNDLE_BLOCKS);
    cw_station_free(st);
    static const struct {
        const char *extra, *want;
    } bad[] = {
        {"[schedule]\nmax_silence = -1\n", "key 'max_silence' in [schedule]: '-1' is out of range"},
        {"[schedule]\nmax_silence = 0\n", "use seconds from 0.1 to 86400"},
        {"[schedule]\nmax_silence = ten\n", "key 'max_silence' in [schedule]"},
        {"[schedule]\nmissed = later\n", "key 'missed' in [schedule]: 'later' is not a policy (use skip or hold)"},
        {"[bundle]\nmode = week\n", "key 'mode' in [bundle]: 'week' is not a mode (use day or blocks)"},
        {"[bundle]\nformat = x\n", "unknown key 'format' in [bundle] (known keys: mode)"},
        {"[bundle]\nmode = day\nmode = blocks\n", "key 'mode' in [bundle] is set twice"},
        {"[bundles]\nmode = day\n", "unknown section [bundles] (use [station], [audio], [schedule], [bundle], [desk], [air], [calendars] or [speak])"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (parse_with("on_air = 06:00-22:00", bad[i].extra, &st, &err) != CW_EINVAL) fail_msg("accepted: %s", bad[i].extra);
        if (!strstr(err.text, bad[i].want)) fail_msg("'%s' lacks '%s'", err.text, bad[i].want);
        assert_true(err.line > 0);
    }
}

static int setup_dir(void **state)
{
    char tmpl[] = "/tmp/cw-station-windows-XXXXXX";
    char *d = mkdtemp(tmpl);
    if (!d) return -1;
    *state = strdup(d);
    return 0;
}

static int teardown_dir(void **state)
{
    char *cmd = cw_asprintf("rm -rf '%s'", (char *)*state);
    int rc = system(cmd);
    free(cmd);
    free(*state);
    return rc == 0 ? 0 : -1;
}

static void test_init_with_zone(void **state)
{
    char *dir = cw_path_join(*state, "radio");
    cw_error err = {0};
    assert_int_equal(cw_station_init_tz(dir, "Africa/Nairobi", &err), CW_OK);
    cw_station *st;
    assert_int_equal(cw_station_load(&st, dir, &err), CW_OK);
    assert_string_equal(st->timezone, "Africa/Nairobi");
    assert_int_equal(st->bundle_mode, CW_BUNDLE_DAY);
    assert_true(st->max_silence == 10);
    cw_station_free(st);
    /* the template's comment survives the substitution */
    char *conf = cw_path_join(dir, "station.conf"), *text;
    size_t len;
    assert_int_equal(cw_read_file(conf, 1 << 20, &text, &len, &err), CW_OK);
    assert_non_null(strstr(text, "timezone = Africa/Nairobi      ; IANA zone (see /usr/share/zoneinfo)\n"));
    assert_non_null(strstr(text, "[bundle]\nmode = day"));
    free(text);
    /* an unknown zone creates nothing */
    char *other = cw_path_join(*state, "other");
    assert_int_equal(cw_station_init_tz(other, "Mars/Olympus", &err), CW_EINVAL);
    assert_non_null(strstr(err.text, "'Mars/Olympus' is not an IANA time zone"));
    assert_false(cw_path_exists(other));
    free(other);
    free(conf);
    free(dir);
}

static void test_machine_timezone(void **state)
{
    const char *root = *state;
    char *etc = cw_path_join(root, "etc");
    assert_int_equal(mkdir(etc, 0755), 0);
    const char *from = "x";
    char *old_tz = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
    unsetenv("TZ");
    /* nothing there */
    assert_null(cw_station_machine_timezone(etc, &from));
    assert_null(from);
    /* the /etc/localtime link (as timedatectl makes it) */
    char *lt = cw_path_join(etc, "localtime");
    assert_int_equal(symlink("/usr/share/zoneinfo/Africa/Kampala", lt), 0);
    char *tz = cw_station_machine_timezone(etc, &from);
    assert_non_null(tz);
    assert_string_equal(tz, "Africa/Kampala");
    assert_string_equal(from, "/etc/localtime");
    free(tz);
    /* /etc/timezone wins over the link (Debian keeps both) */
    char *tzf = cw_path_join(etc, "timezone");
    cw_error err;
    assert_int_equal(cw_write_file_atomic(tzf, "  Africa/Nairobi \n", 18, &err), CW_OK);
    tz = cw_station_machine_timezone(etc, &from);
    assert_string_equal(tz, "Africa/Nairobi");
    assert_string_equal(from, "/etc/timezone");
    free(tz);
    /* a name the system does not know is passed over */
    assert_int_equal(cw_write_file_atomic(tzf, "Nowhere/Atall\n", 14, &err), CW_OK);
    tz = cw_station_machine_timezone(etc, &from);
    assert_string_equal(tz, "Africa/Kampala");
    free(tz);
    /* TZ wins, with or without the leading ':' or as a zoneinfo path */
    setenv("TZ", ":Africa/Lagos", 1);
    tz = cw_station_machine_timezone(etc, &from);
    assert_string_equal(tz, "Africa/Lagos");
    assert_string_equal(from, "TZ");
    free(tz);
    setenv("TZ", "/usr/share/zoneinfo/Europe/Berlin", 1);
    tz = cw_station_machine_timezone(etc, &from);
    assert_string_equal(tz, "Europe/Berlin");
    free(tz);
    setenv("TZ", "EAT-3", 1); /* a POSIX rule is not a zone name: the files decide */
    tz = cw_station_machine_timezone(etc, &from);
    assert_string_equal(tz, "Africa/Kampala");
    free(tz);
    if (old_tz) setenv("TZ", old_tz, 1);
    else unsetenv("TZ");
    free(old_tz);
    free(tzf);
    free(lt);
    free(etc);
}

static void test_discover(void **state)
{
    const char *root = *state;
    char *st = cw_path_join(root, "radio"), *deep = cw_path_join(root, "radio/inbox/accepted");
    cw_error err;
    assert_int_equal(cw_station_init_tz(st, "UTC", &err), CW_OK);
    char real[4096];
    assert_non_null(realpath(st, real));
    char *found = cw_station_discover(deep);
    assert_non_null(found);
    assert_string_equal(found, real);
    free(found);
    found = cw_station_discover(st);
    assert_string_equal(found, real);
    free(found);
    /* a folder outside any station */
    assert_null(cw_station_discover(root));
    /* a station.conf that is a folder does not count */
    char *fake = cw_path_join(root, "fake/station.conf"), *fake_sub = cw_path_join(root, "fake/x");
    assert_int_equal(cw_mkdir_p(fake, &err), CW_OK);
    assert_int_equal(cw_mkdir_p(fake_sub, &err), CW_OK);
    assert_null(cw_station_discover(fake_sub));
    assert_null(cw_station_discover("/nonexistent/folder"));
    free(fake), free(fake_sub), free(st), free(deep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_several_windows),
        cmocka_unit_test(test_window_refusals),
        cmocka_unit_test(test_schedule_and_bundle_keys),
        cmocka_unit_test_setup_teardown(test_init_with_zone, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_machine_timezone, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_discover, setup_dir, teardown_dir),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
