/* test_expand.c — loading and expansion through the public API: meaning from CATEGORIES,
 * DESCRIPTION lines and X-CHALKWAVE-*, series positions (moved, cancelled, EXDATE'd and
 * repeat instances), hostile rules bounded by design, size and nesting limits, and the
 * scheduler's use: one day of 50 calendars with 5 years of history. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "calendars.h"

static int64_t utc(int y, int mo, int d, int h, int mi)
{
    return cw_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

static cw_calset *load(const char *tz, const char *text, int expect_rc)
{
    cw_calset *set = cw_calset_new(tz);
    assert_non_null(set);
    cw_diags d;
    memset(&d, 0, sizeof d);
    cw_error err;
    int rc = cw_calset_add_data(set, text, strlen(text), "t.ics", 3, &d, &err);
    if (rc != expect_rc)
        fail_msg("rc %d (%s), %zu diags, first: %s", rc, err.text, d.n, d.n ? d.v[0].text : "");
    cw_diags_free(&d);
    return set;
}

static const char series_cal[] =
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
    "BEGIN:VEVENT\r\nUID:a@t\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Maths\r\n"
    "DTSTART;TZID=Europe/Paris:20260302T090000\r\nDURATION:PT30M\r\n"
    "RRULE:FREQ=WEEKLY;BYDAY=MO,WE\r\nEXDATE;TZID=Europe/Paris:20260309T090000\r\n"
    "CATEGORIES:Lesson\r\nDESCRIPTION:Series: maths-p4\\nTeacher: Mrs Okafor\\nLanguage: en\r\n"
    "ATTACH:https://example.org/maths.ogg\r\nEND:VEVENT\r\n"
    /* the 2026-03-11 instance moved to Friday; the 2026-03-16 one cancelled */
    "BEGIN:VEVENT\r\nUID:a@t\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Maths (moved)\r\n"
    "RECURRENCE-ID;TZID=Europe/Paris:20260311T090000\r\n"
    "DTSTART;TZID=Europe/Paris:20260313T150000\r\nDURATION:PT30M\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:a@t\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Maths\r\n"
    "RECURRENCE-ID;TZID=Europe/Paris:20260316T090000\r\n"
    "DTSTART;TZID=Europe/Paris:20260316T090000\r\nDURATION:PT30M\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n"
    /* a repeat broadcast in the same series (not counted) and a newsletter */
    "BEGIN:VEVENT\r\nUID:r@t\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Maths repeat\r\n"
    "DTSTART;TZID=Europe/Paris:20260303T180000\r\nDURATION:PT30M\r\nRRULE:FREQ=WEEKLY\r\n"
    "X-CHALKWAVE-SERIES:maths-p4\r\nX-CHALKWAVE-REPEAT:yes\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:n@t\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:News\r\n"
    "DTSTART;TZID=Europe/Paris:20260306T120000\r\nDURATION:PT15M\r\n"
    "DESCRIPTION:Kind: lesson\r\nCATEGORIES:Newsletter\r\nX-CHALKWAVE-KIND:newsletter\r\n"
    "X-CHALKWAVE-EPISODE:7\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:h@t\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:Holiday\r\n"
    "DTSTART;VALUE=DATE:20260320\r\nCATEGORIES:Holidays\r\nEND:VEVENT\r\n"
    "END:VCALENDAR\r\n";

static const cw_occurrence *find(const cw_occurrences *o, const char *summary, int64_t start)
{
    for (size_t i = 0; i < o->n; i++)
        if (!strcmp(o->v[i].summary, summary) && o->v[i].start == start)
            return &o->v[i];
    return NULL;
}

static void meaning_and_positions(void **state)
{
    (void)state;
    cw_calset *set = load("Europe/Paris", series_cal, 0);
    cw_occurrences o;
    cw_error err;
    assert_int_equal(cw_calset_expand(set, utc(2026, 3, 1, 0, 0), utc(2026, 3, 31, 0, 0), 0, &o, &err), 0);
    const cw_occurrence *x = find(&o, "Maths", utc(2026, 3, 2, 8, 0));
    assert_non_null(x);
    assert_int_equal(x->kind, CW_KIND_LESSON);
    assert_string_equal(x->series, "maths-p4");
    assert_string_equal(x->teacher, "Mrs Okafor");
    assert_string_equal(x->language, "en");
    assert_string_equal(x->attach, "https://example.org/maths.ogg");
    assert_string_equal(x->recurrence_id, "20260302T080000Z");
    assert_int_equal(x->priority, 3);
    long pos;
    assert_int_equal(cw_calset_series_position(set, x, &pos, &err), 0);
    assert_int_equal(pos, 1);
    x = find(&o, "Maths", utc(2026, 3, 4, 8, 0));
    assert_int_equal(cw_calset_series_position(set, x, &pos, &err), 0);
    assert_int_equal(pos, 2);
    /* 03-09 is EXDATE'd; 03-11 moved to 03-13 keeps its place: 3 */
    assert_null(find(&o, "Maths", utc(2026, 3, 9, 8, 0)));
    x = find(&o, "Maths (moved)", utc(2026, 3, 13, 14, 0));
    assert_non_null(x);
    assert_true(x->moved);
    assert_string_equal(x->series, "maths-p4"); /* inherited from the master */
    assert_int_equal(x->recurrence_utc, utc(2026, 3, 11, 8, 0));
    assert_int_equal(cw_calset_series_position(set, x, &pos, &err), 0);
    assert_int_equal(pos, 3);
    /* 03-16 cancelled: not listed, not counted; 03-18 is 4th */
    assert_null(find(&o, "Maths", utc(2026, 3, 16, 8, 0)));
    x = find(&o, "Maths", utc(2026, 3, 18, 8, 0));
    assert_int_equal(cw_calset_series_position(set, x, &pos, &err), 0);
    assert_int_equal(pos, 4);
    x = find(&o, "Maths repeat", utc(2026, 3, 3, 17, 0));
    assert_non_null(x);
    assert_true(x->repeat);
    x = find(&o, "News", utc(2026, 3, 6, 11, 0));
    assert_int_equal(x->kind, CW_KIND_NEWSLETTER);
    assert_int_equal(x->episode, 7);
    x = find(&o, "Holiday", utc(2026, 3, 19, 23, 0));
    assert_non_null(x);
    assert_true(x->all_day);
    assert_int_equal(x->kind, CW_KIND_BLACKOUT);
    assert_int_equal(x->end - x->start, 86400);
    /* sorted by start */
    for (size_t i = 1; i < o.n; i++)
        assert_true(o.v[i - 1].start <= o.v[i].start);
    cw_occurrences_free(&o);
    /* with cancelled */
    assert_int_equal(cw_calset_expand(set, utc(2026, 3, 16, 0, 0), utc(2026, 3, 17, 0, 0), 1, &o, &err), 0);
    assert_int_equal(o.n, 1);
    assert_true(o.v[0].cancelled);
    cw_occurrences_free(&o);
    /* far in the future: position keeps counting (2 a week) */
    assert_int_equal(cw_calset_expand(set, utc(2030, 3, 4, 0, 0), utc(2030, 3, 5, 0, 0), 0, &o, &err), 0);
    x = find(&o, "Maths", utc(2030, 3, 4, 8, 0));
    assert_non_null(x);
    assert_int_equal(cw_calset_series_position(set, x, &pos, &err), 0);
    assert_true(pos > 400 && pos < 420);
    cw_occurrences_free(&o);
    cw_calset_free(set);
}

static char *hostile(const char *rrule, const char *dtstart)
{
    return cw_asprintf("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\n"
                       "UID:evil@t\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:%s\r\nRRULE:%s\r\n"
                       "END:VEVENT\r\nEND:VCALENDAR\r\n", dtstart, rrule);
}

static void hostile_rules_are_bounded(void **state)
{
    (void)state;
    static const struct {
        const char *rrule, *dtstart;
        int64_t from, to;
        int rc;
        size_t n;
    } cases[] = {
        {"FREQ=SECONDLY", "19900101T000000Z", 1773619200, 1773619200 + 3600, 0, 3600},
        {"FREQ=SECONDLY;COUNT=2000000000", "19900101T000000Z", 1773619200, 1773619200 + 60, 0, 60},
        {"FREQ=SECONDLY;INTERVAL=7;COUNT=2000000000", "19900101T000000Z", 1773619200, 1773619200 + 70, 0, 10},
        {"FREQ=SECONDLY", "19900101T000000Z", 1773619200, 1773619200 + 10 * 86400, CW_ELIMIT, 0},
        {"FREQ=MINUTELY;BYMONTH=2;BYMONTHDAY=30", "19900101T000000Z", 1773619200, 1773619200 + 86400, 0, 0},
        {"FREQ=SECONDLY;BYDAY=MO;BYHOUR=3;BYMINUTE=7", "19900101T000000Z", 1773619200, 1773619200 + 7 * 86400, 0, 60},
        {"FREQ=DAILY;COUNT=2000000000", "19900101T000000Z", 1773619200, 1773619200 + 86400 * 3, 0, 3},
        {"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "19900101T000000Z", 1773619200, 1773619200 + 86400, 0, 0},
        {"FREQ=MONTHLY;BYMONTHDAY=31;BYMONTH=4", "19900101T000000Z", 1773619200, 1773619200 + 86400, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *text = hostile(cases[i].rrule, cases[i].dtstart);
        cw_calset *set = load("UTC", text, 0);
        cw_occurrences o;
        cw_error err;
        clock_t c0 = clock();
        int rc = cw_calset_expand(set, cases[i].from, cases[i].to, 0, &o, &err);
        double secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
        if (rc != cases[i].rc || (rc == 0 && o.n != cases[i].n))
            fail_msg("%s: rc %d n %zu (%s)", cases[i].rrule, rc, rc ? 0 : o.n, err.text);
        if (rc)
            assert_non_null(strstr(err.text, "evil@t"));
        else
            cw_occurrences_free(&o);
        printf("# %-45s %.3f s\n", cases[i].rrule, secs);
        cw_calset_free(set);
        free(text);
    }
}

static void limits(void **state)
{
    (void)state;
    cw_calset *set = cw_calset_new(NULL);
    cw_diags d;
    memset(&d, 0, sizeof d);
    cw_error err;
    /* deep nesting: 100000 BEGINs */
    cw_buf b;
    cw_buf_init(&b);
    cw_buf_puts(&b, "BEGIN:VCALENDAR\r\n");
    for (int i = 0; i < 100000; i++)
        cw_buf_puts(&b, "BEGIN:VEVENT\r\n");
    assert_int_equal(cw_calset_add_data(set, b.data, b.len, "deep.ics", 0, &d, &err), CW_ELIMIT);
    assert_int_equal(d.errors, 1);
    cw_buf_free(&b);
    /* size */
    size_t big = CW_CAL_MAX_BYTES + 1;
    char *huge = malloc(big);
    memset(huge, 'x', big);
    assert_int_equal(cw_calset_add_data(set, huge, big, "huge.ics", 0, &d, &err), CW_ELIMIT);
    free(huge);
    /* garbage */
    const char junk[] = "\x89PNG\r\n\x1a\n\0\0\0";
    assert_int_equal(cw_calset_add_data(set, junk, sizeof junk, "junk.ics", 0, &d, &err), CW_EINVAL);
    assert_int_equal(d.errors, 3);
    cw_diags_free(&d);
    cw_calset_free(set);
}

/* The scheduler's load: 50 calendars x 20 weekly/daily events since 2021, some with
 * COUNT, overrides and EXDATEs; one day's expansion plus a series position per lesson. */
static void day_plan_load(void **state)
{
    (void)state;
    cw_calset *set = cw_calset_new("Africa/Lagos");
    static const char *const rules[] = {"FREQ=WEEKLY;BYDAY=MO,WE,FR", "FREQ=DAILY",
                                        "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=600",
                                        "FREQ=MONTHLY;BYDAY=1MO,3MO", "FREQ=DAILY;INTERVAL=2;COUNT=900"};
    for (int f = 0; f < 50; f++) {
        cw_buf b;
        cw_buf_init(&b);
        cw_buf_puts(&b, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n");
        for (int e = 0; e < 20; e++) {
            cw_buf_printf(&b, "BEGIN:VEVENT\r\nUID:e%d-%d@t\r\nDTSTAMP:20210101T000000Z\r\n"
                          "SUMMARY:Lesson %d\r\nDTSTART;TZID=%s:20210104T%02d%02d00\r\n"
                          "DURATION:PT20M\r\nRRULE:%s\r\nDESCRIPTION:Series: s%d\r\n"
                          "EXDATE;TZID=%s:20230104T%02d%02d00\r\nEND:VEVENT\r\n",
                          f, e, e, e % 2 ? "Africa/Lagos" : "Europe/Paris", 6 + e % 12,
                          (e * 7) % 60, rules[e % 5], e % 7, e % 2 ? "Africa/Lagos" : "Europe/Paris",
                          6 + e % 12, (e * 7) % 60);
            cw_buf_printf(&b, "BEGIN:VEVENT\r\nUID:e%d-%d@t\r\nDTSTAMP:20210101T000000Z\r\n"
                          "SUMMARY:Lesson %d moved\r\nRECURRENCE-ID;TZID=%s:20250106T%02d%02d00\r\n"
                          "DTSTART;TZID=%s:20250107T%02d%02d00\r\nDURATION:PT20M\r\nEND:VEVENT\r\n",
                          f, e, e, e % 2 ? "Africa/Lagos" : "Europe/Paris", 6 + e % 12, (e * 7) % 60,
                          e % 2 ? "Africa/Lagos" : "Europe/Paris", 6 + e % 12, (e * 7) % 60);
        }
        cw_buf_puts(&b, "END:VCALENDAR\r\n");
        char label[32];
        snprintf(label, sizeof label, "p%d.ics", f);
        cw_error err;
        assert_int_equal(cw_calset_add_data(set, b.data, b.len, label, f, NULL, &err), 0);
        cw_buf_free(&b);
    }
    for (int day = 0; day < 3; day++) {
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        cw_occurrences o;
        cw_error err;
        int64_t from = utc(2026, 3, 16 + day, 0, 0) - 3600;
        assert_int_equal(cw_calset_expand(set, from, from + 86400, 0, &o, &err), 0);
        long total = 0;
        for (size_t i = 0; i < o.n; i++) {
            long pos;
            assert_int_equal(cw_calset_series_position(set, &o.v[i], &pos, &err), 0);
            assert_true(pos > 0);
            total += pos;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
        printf("# day plan %d: %zu occurrences of 1000 events in 50 calendars, positions "
               "summed %ld: %.1f ms\n", day, o.n, total, ms);
        assert_true(o.n > 100);
        cw_occurrences_free(&o);
    }
    cw_calset_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(meaning_and_positions),
        cmocka_unit_test(hostile_rules_are_bounded),
        cmocka_unit_test(limits),
        cmocka_unit_test(day_plan_load),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    cw_cal_cleanup();
    return rc;
}
