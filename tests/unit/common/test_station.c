/* test_station.c — station.conf: the example and the `init` defaults parse; every required
 * key missing is an error naming the file, a line and the key; invalid values, unknown keys
 * and sections, bad lines are refused with file:line; on_air may cross midnight; the
 * [calendars] editor keeps comments, replaces and adds, and never writes a broken file. */
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

static const char base_conf[] =
    "; a comment\n"                                 /* 1 */
    "[station]\n"                                   /* 2 */
    "name = Radio Test\n"                           /* 3 */
    "timezone = Africa/Lagos   ; inline comment\n"  /* 4 */
    "on_air = 06:00-22:00\n"                        /* 5 */
    "\n"                                            /* 6 */
    "[audio]\n"                                     /* 7 */
    "rate = 44100\n"                                /* 8 */
    "channels = 1\n"                                /* 9 */
    "quality = 3\n"                                 /* 10 */
    "loudness = -23\n"                              /* 11 */
    "true_peak = -1\n";                             /* 12 */

static int parse(const char *text, cw_station **st, cw_error *err)
{
    cw_error_clear(err);
    return cw_station_parse(st, "/srv/radio", "/srv/radio/station.conf", text, strlen(text), err);
}

/* base_conf with line `lineno` (1-based) replaced by `repl` (NULL: removed). */
static char *with_line(int lineno, const char *repl)
{
    cw_buf b;
    cw_buf_init(&b);
    const char *p = base_conf;
    for (int n = 1; *p; n++) {
        const char *nl = strchr(p, '\n');
        size_t len = (size_t)(nl - p) + 1;
        if (n == lineno) {
            if (repl) {
                cw_buf_puts(&b, repl);
                cw_buf_puts(&b, "\n");
            } else {
                cw_buf_puts(&b, "; removed\n"); /* keep line numbers stable */
            }
        } else {
            cw_buf_append(&b, p, len);
        }
        p += len;
    }
    return b.data;
}

static void test_base_and_defaults(void **state)
{
    (void)state;
    cw_station *st;
    cw_error err;
    assert_int_equal(parse(base_conf, &st, &err), CW_OK);
    assert_string_equal(st->name, "Radio Test");
    assert_string_equal(st->timezone, "Africa/Lagos");
    assert_int_equal(st->on_air_start, 6 * 60);
    assert_int_equal(st->on_air_end, 22 * 60);
    assert_int_equal(st->rate, 44100);
    assert_int_equal(st->channels, 1);
    assert_true(st->quality == 3.0);
    assert_true(st->loudness == -23.0);
    assert_true(st->true_peak == -1.0);
    assert_string_equal(st->dir, "/srv/radio");
    assert_string_equal(st->conf_path, "/srv/radio/station.conf");
    /* documented defaults for optional keys */
    assert_string_equal(st->language, "en");
    assert_true(st->min_length == 3.0);
    assert_true(st->max_length == 14400.0);
    assert_true(st->silence_threshold == -50.0);
    assert_true(st->silence_margin == 0.25);
    assert_true(st->min_pause == 0.5);
    assert_true(st->fade == 0.5);
    assert_int_equal(st->missing, CW_MISSING_FILLER);
    assert_int_equal(st->overrun, CW_OVERRUN_CUT);
    assert_int_equal(st->newsletters_fill_gaps, 0);
    assert_int_equal(st->fillers.n, 0);
    assert_null(st->unavailable);
    assert_int_equal(st->n_calendars, 0);
    assert_int_equal(cw_station_calendar_priority(st, "x.ics"), 0);
    cw_station_free(st);
    cw_station_free(NULL);
}

static void test_optional_keys(void **state)
{
    (void)state;
    cw_buf b;
    cw_buf_init(&b);
    cw_buf_puts(&b, base_conf);
    cw_buf_puts(&b, "min_length = 2.5\nmax_length = 600\nsilence_threshold = -60\nsilence_margin = 0\nfade = 1.5\n"
                    "min_pause = 2\n[station]\nlanguage = ha\n"
                    "[schedule]\nmissing = Announcement\nunavailable = sorry\noverrun = push\n"
                    "newsletters_fill_gaps = yes\nfillers = station-id, music-bed ,, jingle\n"
                    "[calendars]\nministry.ics = 10\nngo-literacy.ics = -5\n");
    cw_station *st;
    cw_error err;
    assert_int_equal(parse(b.data, &st, &err), CW_OK);
    assert_string_equal(st->language, "ha");
    assert_true(st->min_length == 2.5);
    assert_true(st->max_length == 600);
    assert_true(st->silence_threshold == -60);
    assert_true(st->silence_margin == 0);
    assert_true(st->min_pause == 2.0);
    assert_true(st->fade == 1.5);
    assert_int_equal(st->missing, CW_MISSING_ANNOUNCEMENT);
    assert_string_equal(st->unavailable, "sorry");
    assert_int_equal(st->overrun, CW_OVERRUN_PUSH);
    assert_int_equal(st->newsletters_fill_gaps, 1);
    assert_int_equal(st->fillers.n, 3);
    assert_string_equal(st->fillers.v[0], "station-id");
    assert_string_equal(st->fillers.v[1], "music-bed");
    assert_string_equal(st->fillers.v[2], "jingle");
    assert_int_equal(st->n_calendars, 2);
    assert_string_equal(st->calendars[0].file, "ministry.ics");
    assert_int_equal(st->calendars[0].priority, 10);
    assert_int_equal(st->calendars[1].priority, -5);
    assert_true(st->calendars[0].line > 12);
    assert_int_equal(st->calendars[1].line, st->calendars[0].line + 1);
    assert_int_equal(cw_station_calendar_priority(st, "ngo-literacy.ics"), -5);
    assert_int_equal(cw_station_calendar_priority(st, "other.ics"), 0);
    cw_station_free(st);
    cw_buf_free(&b);
}

static void test_missing_required(void **state)
{
    (void)state;
    static const struct {
        int line;
        const char *key, *section;
    } req[] = {
        {3, "name", "station"},  {4, "timezone", "station"}, {5, "on_air", "station"},
        {8, "rate", "audio"},    {9, "channels", "audio"},   {10, "quality", "audio"},
        {11, "loudness", "audio"}, {12, "true_peak", "audio"},
    };
    for (size_t i = 0; i < sizeof req / sizeof req[0]; i++) {
        char *text = with_line(req[i].line, NULL);
        cw_station *st = (cw_station *)1;
        cw_error err;
        int rc = parse(text, &st, &err);
        if (rc != CW_EINVAL) fail_msg("removing '%s' gave %d", req[i].key, rc);
        assert_null(st);
        assert_string_equal(err.source, "/srv/radio/station.conf");
        /* the line of the section where the key belongs */
        int want_line = !strcmp(req[i].section, "station") ? 2 : 7;
        if (err.line != want_line) fail_msg("missing '%s': line %d, expected %d", req[i].key, err.line, want_line);
        char want[128];
        snprintf(want, sizeof want, "missing key '%s' in [%s]", req[i].key, req[i].section);
        if (!strstr(err.text, want)) fail_msg("error for '%s' was '%s'", req[i].key, err.text);
        free(text);
    }
    cw_station *st;
    cw_error err;
    assert_int_equal(parse("", &st, &err), CW_EINVAL);
    assert_non_null(strstr(err.text, "missing key 'name'"));
    assert_int_equal(err.line, 1);
    /* no [audio] section at all: the error points at the end of the file */
    assert_int_equal(parse("[station]\nname = R\ntimezone = UTC\non_air = 06:00-07:00\n; end\n", &st, &err), CW_EINVAL);
    assert_non_null(strstr(err.text, "missing key 'rate' in [audio]"));
    assert_int_equal(err.line, 5);
}

static void test_invalid_values(void **state)
{
    (void)state;
    static const struct {
        int line;
        const char *repl, *key;
    } cases[] = {
        {3, "name =", "name"},
        {3, "name = Radio \xff", NULL}, /* not UTF-8: refused for the whole file */
        {4, "timezone = Mars/Olympus", "timezone"},
        {4, "timezone = ../../etc/passwd", "timezone"},
        {4, "timezone = Africa", "timezone"}, /* a folder of zoneinfo, not a zone */
        {4, "timezone = Africa/Lagos; rm -rf", "timezone"},
        {5, "on_air = 6:00-22:00", "on_air"},
        {5, "on_air = 06:00", "on_air"},
        {5, "on_air = 06:00-22:60", "on_air"},
        {5, "on_air = 25:00-02:00", "on_air"},
        {5, "on_air = 24:00-02:00", "on_air"},
        {5, "on_air = 06:00-06:00", "on_air"},
        {5, "on_air = 06:00-22:00-23:00", "on_air"},
        {5, "on_air = aa:bb-cc:dd", "on_air"},
        {8, "rate = 7999", "rate"},
        {8, "rate = 192001", "rate"},
        {8, "rate = 44.1k", "rate"},
        {8, "rate = ", "rate"},
        {9, "channels = 0", "channels"},
        {9, "channels = 9", "channels"},
        {9, "channels = two", "channels"},
        {10, "quality = 11", "quality"},
        {10, "quality = -2", "quality"},
        {10, "quality = nan", "quality"},
        {11, "loudness = -4", "loudness"},
        {11, "loudness = -41", "loudness"},
        {11, "loudness = inf", "loudness"},
        {12, "true_peak = 0.5", "true_peak"},
        {12, "true_peak = -13", "true_peak"},
        {12, "true_peak = -1dB", "true_peak"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = with_line(cases[i].line, cases[i].repl);
        cw_station *st;
        cw_error err;
        int rc = parse(text, &st, &err);
        if (rc != CW_EINVAL) fail_msg("'%s' was accepted (rc %d)", cases[i].repl, rc);
        assert_null(st);
        assert_string_equal(err.source, "/srv/radio/station.conf");
        if (cases[i].key) {
            if (err.line != cases[i].line)
                fail_msg("'%s': error on line %d, expected %d (%s)", cases[i].repl, err.line, cases[i].line, err.text);
            char want[64];
            snprintf(want, sizeof want, "'%s'", cases[i].key);
            if (!strstr(err.text, want)) fail_msg("'%s': error '%s' does not name the key", cases[i].repl, err.text);
            /* one line, says what to do */
            assert_null(strchr(err.text, '\n'));
            assert_non_null(strchr(err.text, '('));
        }
        free(text);
    }
}

static void test_range_edges(void **state)
{
    (void)state;
    static const struct {
        int line;
        const char *repl;
    } ok[] = {
        {8, "rate = 8000"},       {8, "rate = 192000"},     {9, "channels = 8"},   {10, "quality = -1"},
        {10, "quality = 10"},     {10, "quality = 4.5"},    {11, "loudness = -5"}, {11, "loudness = -40"},
        {12, "true_peak = 0"},    {12, "true_peak = -12"},  {5, "on_air = 00:00-23:59"},
        {5, "on_air = 06:00-24:00"}, {4, "timezone = UTC"}, {4, "timezone = America/Argentina/Buenos_Aires"},
        {4, "timezone = Etc/GMT+5"}, {3, "name = Radio \xc3\x89\x63ole \xf0\x9f\x93\xbb"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        char *text = with_line(ok[i].line, ok[i].repl);
        cw_station *st;
        cw_error err;
        if (parse(text, &st, &err) != CW_OK) fail_msg("'%s' was refused: %s", ok[i].repl, err.text);
        cw_station_free(st);
        free(text);
    }
}

static void test_on_air_midnight(void **state)
{
    (void)state;
    cw_station *st;
    cw_error err;
    char *text = with_line(5, "on_air = 20:00-02:00");
    assert_int_equal(parse(text, &st, &err), CW_OK);
    assert_int_equal(st->on_air_start, 20 * 60);
    assert_int_equal(st->on_air_end, 2 * 60);
    assert_true(st->on_air_end <= st->on_air_start); /* the documented "crosses midnight" signal */
    cw_station_free(st);
    free(text);
    text = with_line(5, "on_air = 06:00-24:00");
    assert_int_equal(parse(text, &st, &err), CW_OK);
    assert_int_equal(st->on_air_start, 6 * 60);
    assert_int_equal(st->on_air_end, 0); /* midnight at the end of the day */
    cw_station_free(st);
    free(text);
    text = with_line(5, "on_air = 00:00-24:00"); /* round the clock */
    assert_int_equal(parse(text, &st, &err), CW_OK);
    assert_int_equal(st->on_air_start, 0);
    assert_int_equal(st->on_air_end, 0); /* end <= start: ends at midnight of the next day */
    cw_station_free(st);
    free(text);
    text = with_line(5, "on_air = 23:30-00:15");
    assert_int_equal(parse(text, &st, &err), CW_OK);
    assert_int_equal(st->on_air_start, 23 * 60 + 30);
    assert_int_equal(st->on_air_end, 15);
    cw_station_free(st);
    free(text);
}

static void test_unknown_and_malformed(void **state)
{
    (void)state;
    static const struct {
        int line;
        const char *repl, *want;
        int err_line;
    } cases[] = {
        {3, "nmae = Radio", "unknown key 'nmae' in [station]", 3},
        {9, "chanels = 1", "unknown key 'chanels' in [audio]", 9},
        {1, "stray = 1", "outside any section", 1},
        {7, "[studio]", "unknown section [studio]", 8}, /* reported at its first key */
        {6, "this line has no equals sign", "not 'key = value'", 6},
        {6, "[station", "has no closing ']'", 6},
        {6, "  [station", "has no closing ']'", 6},
        {12, "loudness = -20", "key 'loudness' in [audio] is set twice (first on line 11", 12},
        {5, "name = Other", "key 'name' in [station] is set twice (first on line 3", 5},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = with_line(cases[i].line, cases[i].repl);
        cw_station *st;
        cw_error err;
        assert_int_equal(parse(text, &st, &err), CW_EINVAL);
        if (!strstr(err.text, cases[i].want)) fail_msg("'%s': got '%s'", cases[i].repl, err.text);
        if (err.line != cases[i].err_line)
            fail_msg("'%s': line %d, expected %d", cases[i].repl, err.line, cases[i].err_line);
        free(text);
    }
    /* [schedule] and [calendars] errors */
    static const char *bad_tail[] = {
        "[schedule]\nmissing = sometimes\n",     "[schedule]\noverrun = maybe\n",
        "[schedule]\nnewsletters_fill_gaps = 2\n", "[schedule]\nshuffle = yes\n",
        "[calendars]\nministry.ics = high\n",    "[calendars]\n../evil.ics = 1\n",
        "[calendars]\nsub/dir.ics = 1\n",         "[calendars]\na.ics = 1\na.ics = 2\n",
        "[calendars]\na.ics = 99999999\n",        "[audio]\nmin_length = 30\nmax_length = 20\n",
    };
    for (size_t i = 0; i < sizeof bad_tail / sizeof bad_tail[0]; i++) {
        char *text = cw_asprintf("%s%s", base_conf, bad_tail[i]);
        cw_station *st;
        cw_error err;
        if (parse(text, &st, &err) != CW_EINVAL) fail_msg("accepted: %s", bad_tail[i]);
        assert_string_equal(err.source, "/srv/radio/station.conf");
        free(text);
    }
    /* binary junk, NUL bytes, very long lines, huge files */
    cw_station *st;
    cw_error err;
    char nul[] = "[station]\nname = a\0b\n";
    assert_int_equal(cw_station_parse(&st, ".", "s.conf", nul, sizeof nul - 1, &err), CW_EINVAL);
    assert_int_equal(err.line, 2);
    char longline[400];
    memset(longline, 'x', sizeof longline - 1);
    longline[sizeof longline - 1] = 0;
    char *text = with_line(3, longline);
    assert_int_equal(parse(text, &st, &err), CW_EINVAL);
    assert_int_equal(err.line, 3);
    assert_non_null(strstr(err.text, "longer than"));
    free(text);
    size_t big = 300 * 1024;
    char *huge = malloc(big);
    memset(huge, ';', big);
    assert_int_equal(cw_station_parse(&st, ".", "s.conf", huge, big, &err), CW_ELIMIT);
    free(huge);
}

static void test_indented_keys(void **state)
{
    (void)state;
    /* Indentation is ignored: keys and sections may be indented (no multi-line values). */
    cw_buf b;
    cw_buf_init(&b);
    for (const char *p = base_conf; *p;) {
        const char *nl = strchr(p, '\n');
        cw_buf_puts(&b, "    ");
        cw_buf_append(&b, p, (size_t)(nl - p) + 1);
        p = nl + 1;
    }
    cw_station *st;
    cw_error err;
    assert_int_equal(parse(b.data, &st, &err), CW_OK);
    assert_string_equal(st->name, "Radio Test");
    assert_string_equal(st->timezone, "Africa/Lagos");
    assert_int_equal(st->rate, 44100);
    cw_station_free(st);
    cw_buf_free(&b);
    /* an indented line after a key is a key of its own, not a continuation */
    char *text = with_line(4, "\ttimezone = UTC");
    assert_int_equal(parse(text, &st, &err), CW_OK);
    assert_string_equal(st->name, "Radio Test");
    assert_string_equal(st->timezone, "UTC");
    cw_station_free(st);
    free(text);
}

static void test_crlf_and_bom(void **state)
{
    (void)state;
    /* A station.conf saved by Windows Notepad: CRLF line ends (and possibly a BOM). */
    cw_buf b;
    cw_buf_init(&b);
    for (const char *p = base_conf; *p; p++) {
        if (*p == '\n') cw_buf_puts(&b, "\r\n");
        else cw_buf_append(&b, p, 1);
    }
    cw_station *st;
    cw_error err;
    assert_int_equal(parse(b.data, &st, &err), CW_OK);
    assert_string_equal(st->name, "Radio Test");
    assert_int_equal(st->rate, 44100);
    cw_station_free(st);
    char *bom = cw_asprintf("\xef\xbb\xbf%s", b.data);
    assert_int_equal(parse(bom, &st, &err), CW_OK);
    cw_station_free(st);
    free(bom);
    cw_buf_free(&b);
}

/* ---- files: load, init, the [calendars] editor --------------------------------------- */

static int setup_dir(void **state)
{
    char tmpl[] = "/tmp/cw-test-station-XXXXXX";
    char *d = mkdtemp(tmpl);
    if (!d) return -1;
    *state = strdup(d);
    return 0;
}

static int teardown_dir(void **state)
{
    char *cmd = cw_asprintf("rm -rf '%s'", (char *)*state);
    int rc = system(cmd);
    (void)rc;
    free(cmd);
    free(*state);
    return 0;
}

static char *read_all(const char *path)
{
    char *data;
    size_t len;
    cw_error err;
    if (cw_read_file(path, 1 << 20, &data, &len, &err)) return NULL;
    return data;
}

static void test_init_and_load(void **state)
{
    char *dir = cw_path_join(*state, "radio");
    cw_error err = {0};
    assert_int_equal(cw_station_init(dir, &err), CW_OK);
    static const char *subdirs[] = {"calendars", "library", "inbox", "inbox/accepted", "inbox/rejected", "out"};
    for (size_t i = 0; i < sizeof subdirs / sizeof subdirs[0]; i++) {
        char *p = cw_path_join(dir, subdirs[i]);
        assert_true(cw_is_dir(p));
        free(p);
    }
    cw_station *st;
    assert_int_equal(cw_station_load(&st, dir, &err), CW_OK);
    assert_string_equal(st->timezone, "Africa/Lagos");
    assert_int_equal(st->rate, 44100);
    assert_string_equal(st->unavailable, "unavailable");
    assert_int_equal(st->fillers.n, 0);
    /* load makes the directory absolute */
    assert_true(st->dir[0] == '/');
    char *conf = cw_path_join(dir, "station.conf");
    char *text = read_all(conf);
    assert_non_null(strstr(text, "; IANA zone"));
    cw_station_free(st);
    free(text);
    /* init refuses a folder that already holds a station, and leaves it alone */
    assert_int_equal(cw_station_init(dir, &err), CW_EEXIST);
    assert_non_null(strstr(err.text, "already holds a station"));
    /* load of a folder without station.conf / a missing folder */
    char *empty = cw_path_join(*state, "empty");
    assert_int_equal(mkdir(empty, 0755), 0);
    assert_int_equal(cw_station_load(&st, empty, &err), CW_ENOTFOUND);
    assert_null(st);
    assert_non_null(strstr(err.text, "chalkwave init"));
    char *missing = cw_path_join(*state, "missing");
    assert_int_equal(cw_station_load(&st, missing, &err), CW_ENOTFOUND);
    /* load names the absolute conf path and line in errors */
    FILE *fp = fopen(conf, "a");
    fputs("[audio]\nrate = fast\n", fp);
    fclose(fp);
    assert_int_equal(cw_station_load(&st, dir, &err), CW_EINVAL);
    assert_non_null(strstr(err.source, "/radio/station.conf"));
    assert_true(err.line > 30);
    assert_non_null(strstr(err.text, "'rate'"));
    free(conf), free(empty), free(missing), free(dir);
}

static void test_example_station(void **state)
{
    (void)state;
    const char *src = getenv("CW_SOURCE_DIR");
    if (!src) src = CW_SOURCE_DIR_FALLBACK;
    char *dir = cw_path_join(src, "examples/station");
    cw_station *st;
    cw_error err = {0};
    if (cw_station_load(&st, dir, &err) != CW_OK) fail_msg("%s:%d: %s", err.source, err.line, err.text);
    assert_string_equal(st->timezone, "Africa/Lagos");
    assert_int_equal(st->on_air_start, 7 * 60 + 25);
    assert_int_equal(st->on_air_end, 8 * 60 + 10);
    assert_int_equal(st->n_calendars, 1);
    assert_string_equal(st->calendars[0].file, "lagos-primary-term2.ics");
    assert_int_equal(st->calendars[0].priority, 10);
    assert_int_equal(st->fillers.n, 2);
    assert_string_equal(st->fillers.v[0], "station-id");
    assert_string_equal(st->fillers.v[1], "music-bed");
    cw_station_free(st);
    free(dir);
}

static void test_set_calendar(void **state)
{
    char *conf = cw_path_join(*state, "station.conf");
    char *text = cw_asprintf("%s\n; partner calendars\n[calendars]\n; ministry first\nministry.ics = 10   ; keep\n"
                             "ngo.ics = 1\n\n[schedule]\n; after\nmissing = silence\n",
                             base_conf);
    cw_error err = {0};
    assert_int_equal(cw_write_file_atomic(conf, text, strlen(text), &err), CW_OK);
    free(text);
    cw_station *st;
    assert_int_equal(cw_station_load(&st, *state, &err), CW_OK);
    assert_int_equal(st->n_calendars, 2);

    /* replace an existing entry: same place, comments kept, other sections untouched */
    assert_int_equal(cw_station_set_calendar(st, "ngo.ics", 7, &err), CW_OK);
    assert_int_equal(cw_station_calendar_priority(st, "ngo.ics"), 7);
    text = read_all(conf);
    assert_non_null(strstr(text, "; ministry first\nministry.ics = 10   ; keep\nngo.ics = 7\n"));
    assert_non_null(strstr(text, "; a comment\n"));
    assert_non_null(strstr(text, "[schedule]\n; after\nmissing = silence\n"));
    assert_null(strstr(text, "ngo.ics = 1\n"));
    free(text);

    /* add a new one: it goes inside [calendars], before the next section */
    assert_int_equal(cw_station_set_calendar(st, "school-district.ics", -3, &err), CW_OK);
    assert_int_equal(st->n_calendars, 3);
    assert_int_equal(cw_station_calendar_priority(st, "school-district.ics"), -3);
    text = read_all(conf);
    char *cal = strstr(text, "[calendars]"), *sched = strstr(text, "[schedule]"), *added = strstr(text, "school-district.ics = -3");
    assert_non_null(added);
    assert_true(added > cal && added < sched);
    free(text);

    /* the file still parses the same way from disk */
    cw_station *again;
    assert_int_equal(cw_station_load(&again, *state, &err), CW_OK);
    assert_int_equal(again->n_calendars, 3);
    assert_int_equal(cw_station_calendar_priority(again, "ministry.ics"), 10);
    assert_int_equal(again->missing, CW_MISSING_SILENCE);
    cw_station_free(again);

    /* names that could break the file are refused and nothing changes */
    char *before = read_all(conf);
    static const char *bad[] = {"../x.ics", "a/b.ics", "x=y.ics", "x;y.ics", "[x].ics", "", "a\nb.ics",
                                "term:2.ics", "#hash.ics", " lead.ics", "trail.ics "};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_false(cw_station_calendar_name_valid(bad[i]));
        assert_int_equal(cw_station_set_calendar(st, bad[i], 1, &err), CW_EINVAL);
    }
    assert_false(cw_station_calendar_name_valid(NULL));
    assert_true(cw_station_calendar_name_valid("ministry-term2.ics"));
    assert_true(cw_station_calendar_name_valid("-partner.ics"));
    char *after = read_all(conf);
    assert_string_equal(before, after);
    free(before), free(after);
    /* names with inner spaces and UTF-8 are fine and read back */
    assert_int_equal(cw_station_set_calendar(st, "Ministry Term 2.ics", 4, &err), CW_OK);
    assert_int_equal(cw_station_set_calendar(st, "caf\xc3\xa9.ics", 2, &err), CW_OK);
    cw_station *back;
    assert_int_equal(cw_station_load(&back, *state, &err), CW_OK);
    assert_int_equal(cw_station_calendar_priority(back, "Ministry Term 2.ics"), 4);
    assert_int_equal(cw_station_calendar_priority(back, "caf\xc3\xa9.ics"), 2);
    cw_station_free(back);
    cw_station_free(st);
    free(conf);
}

static void test_set_calendar_no_section(void **state)
{
    /* a station.conf without [calendars] (and without a final newline) gets one */
    char *conf = cw_path_join(*state, "station.conf");
    char *text = cw_strndup(base_conf, strlen(base_conf) - 1);
    cw_error err = {0};
    assert_int_equal(cw_write_file_atomic(conf, text, strlen(text), &err), CW_OK);
    free(text);
    cw_station *st;
    assert_int_equal(cw_station_load(&st, *state, &err), CW_OK);
    assert_int_equal(cw_station_set_calendar(st, "partner.ics", 5, &err), CW_OK);
    text = read_all(conf);
    assert_non_null(strstr(text, "true_peak = -1\n"));
    assert_non_null(strstr(text, "\n[calendars]\npartner.ics = 5\n"));
    free(text);
    assert_int_equal(cw_station_set_calendar(st, "partner.ics", 6, &err), CW_OK);
    assert_int_equal(cw_station_set_calendar(st, "second.ics", 0, &err), CW_OK);
    text = read_all(conf);
    assert_non_null(strstr(text, "[calendars]\npartner.ics = 6\nsecond.ics = 0\n"));
    assert_null(strstr(text, "partner.ics = 5"));
    /* only one [calendars] section */
    assert_ptr_equal(strstr(text, "[calendars]"), strrchr(text, '[') );
    free(text);
    /* the init defaults end inside [calendars] with comments only: adding keeps them */
    cw_station_free(st);
    char *dir = cw_path_join(*state, "fresh");
    assert_int_equal(cw_station_init(dir, &err), CW_OK);
    assert_int_equal(cw_station_load(&st, dir, &err), CW_OK);
    assert_int_equal(cw_station_set_calendar(st, "ministry.ics", 10, &err), CW_OK);
    char *fconf = cw_path_join(dir, "station.conf");
    text = read_all(fconf);
    assert_non_null(strstr(text, "adds lines here.\nministry.ics = 10\n"));
    free(text);
    /* no temporaries left beside station.conf */
    cw_cleanup_stale_tmp(dir);
    char *cmd = cw_asprintf("test -z \"$(ls -A '%s' | grep tmp)\"", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    cw_station_free(st);
    free(fconf), free(dir), free(conf);
}

/* [speak]: defaults, every key, per-language entries (the most specific one wins), and
 * refusals naming the line and key. */
static void test_speak_section(void **state)
{
    (void)state;
    cw_station *st;
    cw_error err;
    assert_int_equal(parse(base_conf, &st, &err), 0);
    assert_int_equal(st->speak.max_chars, 20000);
    assert_int_equal(st->speak.speed, 150);
    assert_int_equal(st->speak.pitch, 50);
    assert_int_equal(st->speak.drop_addresses, 0);
    assert_null(st->speak.lexicon);
    assert_null(cw_speak_settings_lang(&st->speak, "fr"));
    cw_station_free(st);

    cw_buf b;
    cw_buf_init(&b);
    cw_buf_puts(&b, base_conf);
    cw_buf_puts(&b, "[speak]\n"                       /* 13 */
                    "max_chars = 5000\n"              /* 14 */
                    "addresses = drop\n"              /* 15 */
                    "paragraph_pause = 0.8\n"         /* 16 */
                    "heading_pause = 2\n"             /* 17 */
                    "speed = 140\n"                   /* 18 */
                    "pitch = 45\n"                    /* 19 */
                    "lexicon = words/station.lexicon\n"
                    "intro = jingles/intro.ogg\n"
                    "outro =\n"
                    "fr.voice = fr-fr\n"
                    "fr.speed = 130\n"
                    "FR-CA.voice = fr-ch\n"
                    "ha.voice = sw\n"
                    "ha.pitch = 0\n"
                    "en.voice = en-gb+f3\n"
                    "en.outro = jingles/en-outro.wav\n");
    assert_int_equal(parse(b.data, &st, &err), 0);
    cw_buf_free(&b);
    cw_speak_settings *sp = &st->speak;
    assert_int_equal(sp->max_chars, 5000);
    assert_int_equal(sp->drop_addresses, 1);
    assert_true(sp->paragraph_pause == 0.8 && sp->heading_pause == 2);
    assert_int_equal(sp->speed, 140);
    assert_int_equal(sp->pitch, 45);
    assert_string_equal(sp->lexicon, "words/station.lexicon");
    assert_string_equal(sp->intro, "jingles/intro.ogg");
    assert_string_equal(sp->outro, "");
    const cw_speak_lang *l = cw_speak_settings_lang(sp, "fr");
    assert_non_null(l);
    assert_string_equal(l->voice, "fr-fr");
    assert_int_equal(l->speed, 130);
    assert_int_equal(l->pitch, -1);
    assert_null(l->intro);
    assert_ptr_equal(cw_speak_settings_lang(sp, "fr-BE"), l);
    l = cw_speak_settings_lang(sp, "fr-ca");
    assert_string_equal(l->language, "fr-ca");
    assert_string_equal(l->voice, "fr-ch");
    l = cw_speak_settings_lang(sp, "ha");
    assert_string_equal(l->voice, "sw");
    assert_int_equal(l->pitch, 0);
    assert_int_equal(l->speed, 0);
    assert_string_equal(cw_speak_settings_lang(sp, "en-GB")->outro, "jingles/en-outro.wav");
    assert_null(cw_speak_settings_lang(sp, "frx"));
    assert_null(cw_speak_settings_lang(sp, "sw"));
    cw_station_free(st);

    static const struct {
        const char *line, *what;
    } bad[] = {
        {"max_chars = 50", "key 'max_chars' in [speak]: '50' is out of range"},
        {"max_chars = 2e9", "out of range"},
        {"addresses = spell", "'spell' is not read or drop"},
        {"speed = 500", "key 'speed' in [speak]: '500' is out of range (words a minute"},
        {"pitch = 12.5", "key 'pitch' in [speak]"},
        {"heading_pause = -1", "seconds, 0 to 10"},
        {"lexicon = ../outside", "not a file inside the station folder"},
        {"intro = /etc/passwd", "not a file inside the station folder"},
        {"volume = 3", "unknown key 'volume' in [speak]"},
        {"french.voice = fr", "'french' is not a language code"},
        {"fr.rate = 120", "unknown key 'fr.rate' in [speak]"},
        {"fr.voice = fr<script>", "not a voice name"},
        {"fr.speed = 20", "key 'fr.speed' in [speak]"},
        {"speed = 140\nspeed = 150", "key 'speed' in [speak] is set twice"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cw_buf_init(&b);
        cw_buf_puts(&b, base_conf);
        cw_buf_puts(&b, "[speak]\n");
        cw_buf_puts(&b, bad[i].line);
        cw_buf_puts(&b, "\n");
        int rc = parse(b.data, &st, &err);
        cw_buf_free(&b);
        if (rc != CW_EINVAL || !strstr(err.text, bad[i].what) || err.line < 14)
            fail_msg("'%s': rc %d line %d '%s'", bad[i].line, rc, err.line, err.text);
        assert_null(st);
    }
}

static void test_dir_default(void **state)
{
    (void)state;
    unsetenv("CHALKWAVE_STATION");
    assert_string_equal(cw_station_dir_default(NULL), ".");
    assert_string_equal(cw_station_dir_default(""), ".");
    setenv("CHALKWAVE_STATION", "/srv/env", 1);
    assert_string_equal(cw_station_dir_default(NULL), "/srv/env");
    assert_string_equal(cw_station_dir_default("/srv/opt"), "/srv/opt");
    setenv("CHALKWAVE_STATION", "", 1);
    assert_string_equal(cw_station_dir_default(NULL), ".");
    unsetenv("CHALKWAVE_STATION");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_base_and_defaults),
        cmocka_unit_test(test_optional_keys),
        cmocka_unit_test(test_missing_required),
        cmocka_unit_test(test_invalid_values),
        cmocka_unit_test(test_range_edges),
        cmocka_unit_test(test_on_air_midnight),
        cmocka_unit_test(test_unknown_and_malformed),
        cmocka_unit_test(test_indented_keys),
        cmocka_unit_test(test_crlf_and_bom),
        cmocka_unit_test_setup_teardown(test_init_and_load, setup_dir, teardown_dir),
        cmocka_unit_test(test_example_station),
        cmocka_unit_test_setup_teardown(test_set_calendar, setup_dir, teardown_dir),
        cmocka_unit_test_setup_teardown(test_set_calendar_no_section, setup_dir, teardown_dir),
        cmocka_unit_test(test_speak_section),
        cmocka_unit_test(test_dir_default),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
