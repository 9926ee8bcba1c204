/* test_report.c — the proof-of-broadcast report on a hand-checked week (Monday 11 to Sunday
 * 17 January 2027, Lagos): a lesson aired in full, one cut by a restart of chalkwave (two
 * as-run records and the gap between them), a missing episode, a holiday, an overrun cut, a
 * lost conflict, one the plan had on air while the Icecast output was down, and one with no
 * as-run log at all; another partner's lessons left out by --calendar. HTML checked with
 * xmllint and printed by headless Chromium: one A4 page per week plus the totals. */
#include "air_test.h"

#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define ZONE "Africa/Lagos" /* UTC+1 */

typedef struct tslot {
    int day; /* of January 2027 */
    int hh, mm, minutes;
    const char *file, *uid, *series, *summary;
    int episode;
    cw_slot_status status;
    const char *reason;
} tslot;

static const tslot week[] = {
    {11, 9, 0, 30, "ministry.ics", "maths@m", "maths-5", "Maths 5", 1, CW_SLOT_AIRS, ""},
    {12, 10, 0, 30, "ministry.ics", "english@m", "english-4", "English 4", 1, CW_SLOT_AIRS, ""},
    {13, 9, 0, 30, "ministry.ics", "maths@m", "maths-5", "Maths 5", 2, CW_SLOT_MISSING,
     "episode 2 of maths-5 has not arrived (ask Mrs Okafor)"},
    {14, 10, 0, 30, "ministry.ics", "english@m", "english-4", "English 4", 2, CW_SLOT_BLACKOUT, "holiday: Jamhuri Day"},
    {15, 9, 0, 30, "ministry.ics", "maths@m", "maths-5", "Maths 5", 2, CW_SLOT_AIRS, ""},
    {16, 9, 0, 30, "ministry.ics", "maths@m", "maths-5", "Maths 5", 3, CW_SLOT_LOST,
     "lost to 'Election debate' (news.ics, priority 20)"},
    {17, 9, 0, 30, "ministry.ics", "english@m", "english-4", "English 4", 2, CW_SLOT_AIRS, ""},
    {12, 11, 0, 30, "ngo.ics", "health@n", "health", "Health talk", 1, CW_SLOT_AIRS, ""},
};
#define N_WEEK (sizeof week / sizeof week[0])

static int64_t at(int day, int hh, int mm, int ss)
{
    return (cw_days_from_civil(2027, 1, day) * 86400 + (hh - 1) * 3600 + mm * 60 + ss) * AIR_NS; /* Lagos -> UTC */
}

static int plan_for(void *user, cw_date date, cw_plan **out, cw_error *err)
{
    (void)user;
    (void)err;
    cw_plan *p = calloc(1, sizeof *p);
    p->date = date;
    p->timezone = cw_strdup(ZONE);
    p->rate = 22050;
    p->channels = 1;
    p->slots = calloc(N_WEEK, sizeof *p->slots);
    for (size_t i = 0; i < N_WEEK; i++) {
        const tslot *t = &week[i];
        if (t->day != date.day || date.month != 1)
            continue;
        cw_plan_slot *s = &p->slots[p->n_slots++];
        s->kind = CW_KIND_LESSON;
        s->status = t->status;
        s->start_utc = at(t->day, t->hh, t->mm, 0) / AIR_NS;
        s->end_utc = s->start_utc + t->minutes * 60;
        s->summary = cw_strdup(t->summary);
        s->series = cw_strdup(t->series);
        s->teacher = cw_strdup("Mrs Okafor");
        s->language = cw_strdup("en");
        s->episode = t->episode;
        s->event_file = cw_strdup(t->file);
        s->event_uid = cw_strdup(t->uid);
        s->reason = cw_strdup(t->reason);
    }
    *out = p;
    return 0;
}

/* An as-run item line as air writes it (only the fields the report reads matter). */
static void item(FILE *fp, const char *uid, const char *title, int day, int hh, int mm, int64_t actual_ns, double len,
                 double planned, int complete, const char *cut, int cut_in_plan, double rec_len)
{
    char p[32], a[32];
    air_fmt_utc(at(day, hh, mm, 0), p);
    air_fmt_utc(actual_ns, a);
    fprintf(fp,
            "{\"record\":\"item\",\"date\":\"2027-01-%02d\",\"item\":1,\"bundle\":\"0123456789abcdef\",\"planned_start_utc\":\"%s\","
            "\"actual_start_utc\":\"%s\",\"from_s\":%.3f,\"planned_length_s\":%.1f,\"actual_length_s\":%.1f,\"complete\":%s,\"cut_reason\":%s%s%s,"
            "\"kind\":\"lesson\",\"title\":\"%s\",\"event_uid\":\"%s\",\"cut_in_plan\":%s,\"recording_length_s\":%.1f,"
            "\"outputs\":[{\"output\":\"alsa:default\"}]}\n",
            day, p, a, (double)(actual_ns - at(day, hh, mm, 0)) / AIR_NS, planned, len, complete ? "true" : "false", cut ? "\"" : "", cut ? cut : "null", cut ? "\"" : "",
            title, uid, cut_in_plan ? "true" : "false", rec_len);
}

static void gap(FILE *fp, int64_t a, int64_t b, const char *reason, const char *output)
{
    char s[32], e[32];
    air_fmt_utc(a, s);
    air_fmt_utc(b, e);
    fprintf(fp, "{\"record\":\"gap\",\"start_utc\":\"%s\",\"end_utc\":\"%s\",\"reason\":\"%s\",\"output\":%s%s%s}\n", s, e, reason,
            output ? "\"" : "", output ? output : "null", output ? "\"" : "");
}

static FILE *log_file(at_station *s, const char *date)
{
    char rel[64];
    snprintf(rel, sizeof rel, "asrun/%s.jsonl", date);
    char *p = at_path(s, rel), *d = at_path(s, "asrun");
    cw_error err;
    assert_int_equal(cw_mkdir_p(d, &err), 0);
    FILE *fp = fopen(p, "w");
    free(p);
    free(d);
    return fp;
}

static void write_logs(at_station *s)
{
    FILE *fp = log_file(s, "2027-01-11");
    item(fp, "maths@m", "Maths 5", 11, 9, 0, at(11, 9, 0, 0) + 2000000, 1800, 1800, 1, NULL, 0, 1800);
    fclose(fp);
    fp = log_file(s, "2027-01-12");
    /* killed at 10:12, back at 10:15 (joined 15 min in) */
    item(fp, "english@m", "English 4", 12, 10, 0, at(12, 10, 0, 0), 720, 1800, 0, "chalkwave stopped", 0, 1800);
    gap(fp, at(12, 10, 12, 0), at(12, 10, 15, 0), "chalkwave stopped", NULL);
    item(fp, "english@m", "English 4", 12, 10, 0, at(12, 10, 15, 0), 900, 1800, 0, "joined 900.0 s into the item", 0, 1800);
    item(fp, "health@n", "Health talk", 12, 11, 0, at(12, 11, 0, 0), 1800, 1800, 1, NULL, 0, 1800);
    fputs("{\"record\":\"ite", fp); /* a line torn by a power cut */
    fputs("\n", fp);
    fclose(fp);
    fp = log_file(s, "2027-01-13"); /* the missing episode: fillers stood in (not lessons) */
    fprintf(fp, "{\"record\":\"item\",\"planned_start_utc\":\"2027-01-13T08:00:00.000Z\",\"actual_start_utc\":"
                "\"2027-01-13T08:00:00.000Z\",\"kind\":\"filler\",\"event_uid\":\"maths@m\",\"complete\":true,"
                "\"actual_length_s\":600.0,\"planned_length_s\":600.0}\n");
    fclose(fp);
    fp = log_file(s, "2027-01-15"); /* an overrun: the 32.5-minute recording cut at 30 */
    item(fp, "maths@m", "Maths 5", 15, 9, 0, at(15, 9, 0, 0), 1800, 1800, 1, NULL, 1, 1950);
    fclose(fp);
    fp = log_file(s, "2027-01-17"); /* the Icecast output was down the whole lesson */
    gap(fp, at(17, 8, 55, 0), at(17, 9, 40, 0), "output down", "icecast://127.0.0.1:8000/radio.ogg");
    fclose(fp);
}

typedef struct fx {
    at_station *s;
    cw_report *r;
    json_t *j;
} fx;

static void build(fx *f, const char *calendar)
{
    cw_report_opts o = {{2027, 1, 11}, {2027, 1, 17}, calendar, plan_for, NULL};
    cw_diags d = {0};
    cw_error err = {0};
    if (cw_report_build(&f->r, f->s->st, &o, &d, &err))
        fail_msg("report: %s", err.text);
    assert_int_equal(d.warnings, 1); /* the torn line */
    assert_non_null(strstr(d.v[0].text, "cannot be read"));
    assert_int_equal(d.v[0].line, 5);
    cw_diags_free(&d);
    cw_buf b;
    cw_buf_init(&b);
    assert_int_equal(cw_report_write(f->r, CW_REPORT_JSON, &b), 0);
    json_error_t je;
    f->j = json_loads(b.data, 0, &je);
    assert_non_null(f->j);
    cw_buf_free(&b);
}

static const char *rs(json_t *row, const char *k)
{
    const char *s = json_string_value(json_object_get(row, k));
    return s ? s : "";
}

static void test_week(void **state)
{
    (void)state;
    fx f = {0};
    f.s = at_station_new(ZONE, 22050, "06:00-22:00", NULL);
    write_logs(f.s);
    build(&f, "calendars/ministry.ics");
    json_t *rows = json_object_get(f.j, "lessons");
    assert_int_equal(json_array_size(rows), 7); /* the NGO's lesson is another calendar */
    struct {
        const char *date, *result, *reason;
        double aired;
    } want[] = {
        {"2027-01-11", "aired", NULL, 1800},
        {"2027-01-12", "cut", "chalkwave stopped 10:12-10:15; resumed 15:00 into the lesson", 1620},
        {"2027-01-13", "not-aired", "episode 2 of maths-5 has not arrived (ask Mrs Okafor)", -1},
        {"2027-01-14", "not-aired", "holiday: Jamhuri Day", -1},
        {"2027-01-15", "cut", "cut at the next programme (overrun): 1800 s of a 1950 s recording", 1800},
        {"2027-01-16", "not-aired", "lost to 'Election debate' (news.ics, priority 20)", -1},
        {"2027-01-17", "not-aired", "output down (icecast://127.0.0.1:8000/radio.ogg, 08:55-09:40)", -1},
    };
    for (size_t i = 0; i < 7; i++) {
        json_t *row = json_array_get(rows, i);
        assert_string_equal(rs(row, "date"), want[i].date);
        assert_string_equal(rs(row, "result"), want[i].result);
        assert_string_equal(rs(row, "calendar"), "ministry.ics");
        if (want[i].reason)
            assert_string_equal(rs(row, "reason"), want[i].reason);
        else
            assert_true(json_is_null(json_object_get(row, "reason")));
        if (want[i].aired >= 0)
            assert_true(json_real_value(json_object_get(row, "aired_length_s")) == want[i].aired);
        else
            assert_true(json_is_null(json_object_get(row, "aired_length_s")));
    }
    assert_string_equal(rs(json_array_get(rows, 0), "aired_start"), "2027-01-11T09:00:00+01:00");
    assert_string_equal(rs(json_array_get(rows, 0), "planned_start"), "2027-01-11T09:00:00+01:00");
    assert_string_equal(rs(json_array_get(rows, 0), "outputs"), "alsa:default");
    /* totals per series */
    json_t *tot = json_object_get(f.j, "totals");
    assert_int_equal(json_array_size(tot), 2);
    for (size_t k = 0; k < 2; k++) {
        json_t *t = json_array_get(tot, k);
        const char *s = rs(t, "series");
        int64_t pl = json_integer_value(json_object_get(t, "planned")), ai = json_integer_value(json_object_get(t, "aired")),
                cu = json_integer_value(json_object_get(t, "cut")), na = json_integer_value(json_object_get(t, "not_aired")),
                ex = json_integer_value(json_object_get(t, "holiday_or_cancelled"));
        if (!strcmp(s, "maths-5")) {
            assert_true(pl == 4 && ai == 1 && cu == 1 && na == 2 && ex == 0);
            assert_true(json_real_value(json_object_get(t, "aired_minutes")) == 60.0);
        } else {
            assert_string_equal(s, "english-4");
            assert_true(pl == 3 && ai == 0 && cu == 1 && na == 1 && ex == 1);
            assert_true(json_real_value(json_object_get(t, "aired_minutes")) == 27.0);
        }
    }
    /* CSV: a header and one line per lesson, the reason with a comma quoted */
    cw_buf b;
    cw_buf_init(&b);
    assert_int_equal(cw_report_write(f.r, CW_REPORT_CSV, &b), 0);
    size_t lines = 0;
    for (size_t i = 0; i < b.len; i++)
        lines += b.data[i] == '\n';
    assert_int_equal(lines, 8);
    assert_non_null(strstr(b.data, ",\"lost to 'Election debate' (news.ics, priority 20)\","));
    assert_non_null(strstr(b.data, "2027-01-11,Mon,2027-01-11T09:00:00+01:00,2027-01-11T09:30:00+01:00,ministry.ics,maths-5,1,"));
    cw_buf_free(&b);
    /* HTML: well-formed, one A4 page for the week and one for the totals */
    cw_buf_init(&b);
    assert_int_equal(cw_report_write(f.r, CW_REPORT_HTML, &b), 0);
    char *html = at_path(f.s, "report.html");
    cw_error err;
    assert_int_equal(cw_write_file_atomic(html, b.data, b.len, &err), 0);
    assert_non_null(strstr(b.data, "holiday: Jamhuri Day"));
    cw_buf_free(&b);
    if (system("command -v xmllint >/dev/null") == 0) {
        char *out = at_path(f.s, "xmllint.txt");
        char *cmd = cw_asprintf("xmllint --noout '%s' >'%s' 2>&1 && xmllint --html --noout '%s' >>'%s' 2>&1", html, out,
                                html, out);
        assert_int_equal(system(cmd), 0);
        FILE *fp = fopen(out, "r");
        assert_non_null(fp);
        fseek(fp, 0, SEEK_END);
        assert_int_equal(ftell(fp), 0); /* nothing to report, as XML and as HTML */
        fclose(fp);
        free(cmd);
        free(out);
    }
    const char *chromium = access("/usr/bin/chromium", X_OK) == 0 ? "/usr/bin/chromium" : NULL;
    if (chromium && !getenv("CW_NO_CHROMIUM")) {
        char *pdf = at_path(f.s, "report.pdf"), *png = at_path(f.s, "report.png"), *prof = at_path(f.s, "chromium");
        char *cmd = cw_asprintf("%s --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
                                "--disable-background-networking --disable-component-update --disable-sync "
                                "--user-data-dir='%s' --no-pdf-header-footer --print-to-pdf='%s' 'file://%s' >/dev/null 2>&1 && "
                                "%s --headless --no-sandbox --disable-gpu --disable-background-networking --user-data-dir='%s' "
                                "--window-size=1000,1400 --screenshot='%s' 'file://%s' >/dev/null 2>&1",
                                chromium, prof, pdf, html, chromium, prof, png, html);
        assert_int_equal(system(cmd), 0);
        free(cmd);
        unsigned char *bytes;
        size_t n;
        FILE *fp = fopen(pdf, "rb");
        assert_non_null(fp);
        bytes = malloc(1 << 22);
        n = fread(bytes, 1, 1 << 22, fp);
        fclose(fp);
        size_t pages = 0;
        for (size_t i = 0; i + 10 < n; i++)
            if (!memcmp(bytes + i, "/Type /Page", 11) && bytes[i + 11] != 's')
                pages++;
        free(bytes);
        assert_int_equal(pages, 2); /* the week on one A4 page, the totals on another */
        assert_int_equal(access(png, R_OK), 0);
        free(pdf);
        free(png);
        free(prof);
    }
    free(html);
    json_decref(f.j);
    cw_report_free(f.r);
    at_station_free(f.s);
}

static void test_all_calendars(void **state)
{
    (void)state;
    fx f = {0};
    f.s = at_station_new(ZONE, 22050, "06:00-22:00", NULL);
    write_logs(f.s);
    build(&f, NULL);
    json_t *rows = json_object_get(f.j, "lessons");
    assert_int_equal(json_array_size(rows), 8);
    json_t *ngo = json_array_get(rows, 7); /* sorted by calendar, then time */
    assert_string_equal(rs(ngo, "calendar"), "ngo.ics");
    assert_string_equal(rs(ngo, "result"), "aired");
    json_decref(f.j);
    cw_report_free(f.r);
    at_station_free(f.s);
}

static void test_no_asrun(void **state)
{
    (void)state;
    fx f = {0};
    f.s = at_station_new(ZONE, 22050, "06:00-22:00", NULL);
    cw_report_opts o = {{2027, 1, 11}, {2027, 1, 11}, NULL, plan_for, NULL};
    cw_diags d = {0};
    cw_error err = {0};
    assert_int_equal(cw_report_build(&f.r, f.s->st, &o, &d, &err), 0);
    cw_buf b;
    cw_buf_init(&b);
    assert_int_equal(cw_report_write(f.r, CW_REPORT_JSON, &b), 0);
    assert_non_null(strstr(b.data, "no as-run log for this day"));
    cw_buf_free(&b);
    cw_report_opts bad = {{2027, 1, 12}, {2027, 1, 11}, NULL, plan_for, NULL};
    cw_report *r2 = NULL;
    assert_int_equal(cw_report_build(&r2, f.s->st, &bad, &d, &err), CW_EUSAGE);
    cw_report_opts big = {{2020, 1, 1}, {2027, 1, 11}, NULL, plan_for, NULL};
    assert_int_equal(cw_report_build(&r2, f.s->st, &big, &d, &err), CW_ELIMIT);
    cw_diags_free(&d);
    cw_report_free(f.r);
    at_station_free(f.s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_week),
        cmocka_unit_test(test_all_calendars),
        cmocka_unit_test(test_no_asrun),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
