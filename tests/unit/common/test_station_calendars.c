/* test_station_calendars.c — station.conf's [calendars] lines: FILE = PRIORITY[, holidays][,
 * from SOURCE] read back exactly, bad values refused with the line, and the editor that
 * `calendar import` and `calendar remove` use (atomic, comments kept, re-parsed first). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "station.h"

static const char base[] =
    "[station]\nname = T\ntimezone = Africa/Nairobi\non_air = 06:00-22:00\n"
    "[audio]\nrate = 44100\nchannels = 1\nquality = 3\nloudness = -23\ntrue_peak = -1\n";

static cw_station *parse(const char *cal, cw_error *err)
{
    char text[2048];
    snprintf(text, sizeof text, "%s[calendars]\n%s", base, cal);
    cw_station *st = NULL;
    if (cw_station_parse(&st, "/tmp", "station.conf", text, strlen(text), err) != CW_OK)
        return NULL;
    return st;
}

static void values(void **state)
{
    (void)state;
    cw_error err;
    cw_station *st = parse("a.ics = 10\nb.ics = -3, holidays\nc.ics = 0, from /home/x/Downloads/basic (1).ics\n"
                           "d.ics = 5, holidays, from C:\\Users\\x\\kenya, 2026.ics\n", &err);
    assert_non_null(st);
    assert_int_equal(st->n_calendars, 4);
    const cw_partner_calendar *a = cw_station_calendar(st, "a.ics"), *b = cw_station_calendar(st, "b.ics"),
                              *c = cw_station_calendar(st, "c.ics"), *d = cw_station_calendar(st, "d.ics");
    assert_int_equal(a->priority, 10);
    assert_false(a->holidays);
    assert_null(a->source);
    assert_int_equal(b->priority, -3);
    assert_true(b->holidays);
    assert_string_equal(c->source, "/home/x/Downloads/basic (1).ics");
    assert_true(d->holidays);
    assert_string_equal(d->source, "C:\\Users\\x\\kenya, 2026.ics"); /* from: the rest of the line */
    assert_null(cw_station_calendar(st, "e.ics"));
    cw_station_free(st);
    static const char *const bad[] = {"a.ics = ten\n", "a.ics = 10, bogus\n", "a.ics = 10,\n", "a.ics = , holidays\n"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        st = parse(bad[i], &err);
        if (st)
            fail_msg("'%s' was accepted", bad[i]);
        assert_non_null(strstr(err.text, "PRIORITY[, holidays][, from SOURCE]"));
        assert_int_equal(err.line, 12); /* the [calendars] line after the 11 of `base` */
    }
}

static void edit(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/cw-stcal-XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    char sdir[512];
    snprintf(sdir, sizeof sdir, "%s/st", dir);
    cw_error err;
    assert_int_equal(cw_station_init(sdir, &err), CW_OK);
    cw_station *st;
    assert_int_equal(cw_station_load(&st, sdir, &err), CW_OK);
    cw_partner_calendar pc = {(char *)"kenya.ics", 2, 0, 1, (char *)"/tmp/x;y #z.ics"};
    assert_int_equal(cw_station_put_calendar(st, &pc, &err), CW_OK);
    assert_int_equal(cw_station_set_calendar(st, "county.ics", 10, &err), CW_OK);
    /* set_calendar keeps the holidays flag and source of the line it replaces */
    assert_int_equal(cw_station_set_calendar(st, "kenya.ics", 4, &err), CW_OK);
    cw_station_free(st);
    assert_int_equal(cw_station_load(&st, sdir, &err), CW_OK);
    const cw_partner_calendar *k = cw_station_calendar(st, "kenya.ics");
    assert_non_null(k);
    assert_int_equal(k->priority, 4);
    assert_true(k->holidays);
    assert_string_equal(k->source, "/tmp/x_y _z.ics"); /* no inline comment can start in it */
    assert_int_equal(cw_station_remove_calendar(st, "kenya.ics", &err), CW_OK);
    assert_null(cw_station_calendar(st, "kenya.ics"));
    assert_int_equal(cw_station_remove_calendar(st, "kenya.ics", &err), CW_ENOTFOUND);
    cw_station_free(st);
    assert_int_equal(cw_station_load(&st, sdir, &err), CW_OK);
    assert_int_equal(st->n_calendars, 1);
    assert_string_equal(st->calendars[0].file, "county.ics");
    cw_station_free(st);
    char conf[600];
    snprintf(conf, sizeof conf, "%s/station.conf", sdir);
    FILE *fp = fopen(conf, "r");
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = 0;
    assert_non_null(strstr(buf, "; partner calendar file")); /* comments kept */
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* Paths in suggested commands are one shell word, whatever they hold. */
static void shell_words(void **state)
{
    (void)state;
    char out[64];
    cw_shell_word("/srv/radio/calendars/kenya.ics", out, sizeof out);
    assert_string_equal(out, "/srv/radio/calendars/kenya.ics");
    cw_shell_word("/home/amina/My Calendars/basic (1).ics", out, sizeof out);
    assert_string_equal(out, "'/home/amina/My Calendars/basic (1).ics'");
    cw_shell_word("it's $HOME;rm", out, sizeof out);
    assert_string_equal(out, "'it'\\''s $HOME;rm'");
    cw_shell_word("", out, sizeof out);
    assert_string_equal(out, "''");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(values),
        cmocka_unit_test(shell_words),
        cmocka_unit_test(edit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
