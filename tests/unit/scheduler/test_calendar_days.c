/* test_calendar_days.c — whole days planned from real iCalendar text through cw_calset and
 * cw_plan_day: a weekly series across EXDATEs, a moved and a cancelled instance, a holiday
 * blackout and an explicit Episode: N; a repeat slot; DST start and end days in
 * Europe/Paris and America/New_York with the window over 02:00-03:00; a window crossing
 * midnight; partner priorities; station calendars loaded from a folder; the same answer
 * whatever order the days are planned in. Offsets are checked in samples. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <unistd.h>

#include "sched_fixture.h"

#define VCAL_BEGIN "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//chalkwave tests//EN\r\n"
#define VCAL_END "END:VCALENDAR\r\n"

static const char *lagos_school =
    VCAL_BEGIN
    "BEGIN:VEVENT\r\nUID:maths@school\r\nDTSTAMP:20260101T000000Z\r\n"
    "DTSTART;TZID=Africa/Lagos:20260105T090000\r\nDTEND;TZID=Africa/Lagos:20260105T093000\r\n"
    "RRULE:FREQ=WEEKLY;BYDAY=MO\r\nEXDATE;TZID=Africa/Lagos:20260119T090000\r\n"
    "SUMMARY:Maths\r\nDESCRIPTION:Series: maths\\nTeacher: Mr Bello\r\nEND:VEVENT\r\n"
    /* moved from Monday 26 Jan to Tuesday 27 Jan 10:00: keeps its number */
    "BEGIN:VEVENT\r\nUID:maths@school\r\nDTSTAMP:20260101T000000Z\r\n"
    "RECURRENCE-ID;TZID=Africa/Lagos:20260126T090000\r\n"
    "DTSTART;TZID=Africa/Lagos:20260127T100000\r\nDTEND;TZID=Africa/Lagos:20260127T103000\r\n"
    "SUMMARY:Maths (moved)\r\nDESCRIPTION:Series: maths\r\nEND:VEVENT\r\n"
    /* cancelled: does not count */
    "BEGIN:VEVENT\r\nUID:maths@school\r\nDTSTAMP:20260101T000000Z\r\n"
    "RECURRENCE-ID;TZID=Africa/Lagos:20260202T090000\r\n"
    "DTSTART;TZID=Africa/Lagos:20260202T090000\r\nDTEND;TZID=Africa/Lagos:20260202T093000\r\n"
    "STATUS:CANCELLED\r\nSUMMARY:Maths\r\nDESCRIPTION:Series: maths\r\nEND:VEVENT\r\n"
    /* the teacher was ill: repeat episode 2 on 2 March; the series then continues */
    "BEGIN:VEVENT\r\nUID:maths@school\r\nDTSTAMP:20260101T000000Z\r\n"
    "RECURRENCE-ID;TZID=Africa/Lagos:20260302T090000\r\n"
    "DTSTART;TZID=Africa/Lagos:20260302T090000\r\nDTEND;TZID=Africa/Lagos:20260302T093000\r\n"
    "SUMMARY:Maths\r\nDESCRIPTION:Series: maths\\nEpisode: 2\r\nEND:VEVENT\r\n"
    /* the afternoon repeat broadcast */
    "BEGIN:VEVENT\r\nUID:maths-repeat@school\r\nDTSTAMP:20260101T000000Z\r\n"
    "DTSTART;TZID=Africa/Lagos:20260105T150000\r\nDTEND;TZID=Africa/Lagos:20260105T153000\r\n"
    "RRULE:FREQ=WEEKLY;BYDAY=MO\r\nSUMMARY:Maths (repeat)\r\nCATEGORIES:repeat\r\n"
    "DESCRIPTION:Series: maths\r\nEND:VEVENT\r\n" VCAL_END;

static const char *lagos_holidays =
    VCAL_BEGIN
    "BEGIN:VEVENT\r\nUID:hol-1@ministry\r\nDTSTAMP:20260101T000000Z\r\n"
    "DTSTART;VALUE=DATE:20260209\r\nDTEND;VALUE=DATE:20260210\r\n"
    "SUMMARY:Mid-term break\r\nCATEGORIES:holiday\r\nEND:VEVENT\r\n" VCAL_END;

static fx_lib lib;

static void make_lib(void)
{
    static char paths[20][64];
    memset(&lib, 0, sizeof lib);
    for (int e = 1; e <= 12; e++) {
        snprintf(paths[e - 1], 64, "library/lesson/maths/%03d-maths.ogg", e);
        fx_rec(&lib, CW_KIND_LESSON, paths[e - 1], "maths", e, 1200);
    }
    fx_rec(&lib, CW_KIND_LESSON, "library/lesson/night/001-night.ogg", "night", 1, 600);
    fx_rec(&lib, CW_KIND_LESSON, "library/lesson/gap/001-gap.ogg", "gap", 1, 300);
    fx_rec(&lib, CW_KIND_LESSON, "library/lesson/hi/001-hi.ogg", "hi", 1, 600);
    fx_rec(&lib, CW_KIND_LESSON, "library/lesson/lo/001-lo.ogg", "lo", 1, 600);
}

static cw_calset *load(const char *tz, const char *a, const char *la, int pa, const char *b, const char *lb,
                       int pb)
{
    cw_calset *set = cw_calset_new(tz);
    cw_diags d = {0};
    cw_error err = {0};
    int rc = cw_calset_add_data(set, a, strlen(a), la, pa, &d, &err);
    if (rc) fail_msg("%s: %s (line %d)", la, err.text, err.line);
    if (b) {
        rc = cw_calset_add_data(set, b, strlen(b), lb, pb, &d, &err);
        if (rc) fail_msg("%s: %s", lb, err.text);
    }
    cw_diags_free(&d);
    return set;
}

static cw_plan *plan(const cw_station *st, const cw_calset *set, const char *date)
{
    cw_date d;
    assert_int_equal(cw_date_parse(date, &d), 0);
    cw_plan *p = NULL;
    cw_error err = {0};
    int rc = cw_plan_day(&p, st, set, &lib.lib, d, &err);
    if (rc) fail_msg("plan %s: %s", date, err.text);
    int64_t pos = 0;
    for (size_t i = 0; i < p->n_items; i++) {
        assert_int_equal(p->items[i].offset_samples, pos);
        pos += p->items[i].length_samples;
    }
    assert_int_equal(pos, (p->window_end_utc - p->window_start_utc) * p->rate);
    return p;
}

/* The lesson item at local HH:MM of a Lagos day (window from 06:00, UTC+1), or -1. */
static long lesson_at(const cw_plan *p, int h, int m)
{
    long i = fx_item_at(p, ((h - 6) * HOUR + m * MIN) * RATE);
    return i >= 0 && p->items[i].kind == CW_KIND_LESSON ? i : -1;
}

static void test_series_across_weeks(void **state)
{
    (void)state;
    make_lib();
    cw_station *st = fx_station();
    free(st->timezone);
    st->timezone = strdup("Africa/Lagos");
    cw_calset *set = load("Africa/Lagos", lagos_school, "school.ics", 0, lagos_holidays, "holidays.ics", 0);
    static const struct {
        const char *date;
        int h, m;
        int episode; /* 0: no lesson at that time */
        int repeat_episode;
    } cases[] = {
        {"2026-03-09", 9, 0, 6, 6},  /* planned first: order must not matter */
        {"2026-01-05", 9, 0, 1, 1},
        {"2026-01-12", 9, 0, 2, 2},
        {"2026-01-19", 9, 0, 0, 2},  /* EXDATE: no lesson; the repeat plays the latest aired */
        {"2026-01-26", 9, 0, 0, -1}, /* moved away */
        {"2026-01-27", 10, 0, 3, 0}, /* ... to here, keeping its number */
        {"2026-02-02", 9, 0, 0, 3},  /* cancelled */
        {"2026-02-09", 9, 0, 0, 0},  /* holiday: suppressed, does not use up episode 4 */
        {"2026-02-16", 9, 0, 4, 4},
        {"2026-02-23", 9, 0, 5, 5},
        {"2026-03-02", 9, 0, 2, 2},  /* explicit Episode: 2 */
        {"2026-03-09", 9, 0, 6, 6},  /* the series continues where it left off */
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        cw_plan *p = plan(st, set, cases[k].date);
        long i = lesson_at(p, cases[k].h, cases[k].m);
        if (cases[k].episode) {
            if (i < 0) fail_msg("%s: no lesson at %02d:%02d", cases[k].date, cases[k].h, cases[k].m);
            if (p->items[i].episode != cases[k].episode)
                fail_msg("%s: episode %d, expected %d", cases[k].date, p->items[i].episode, cases[k].episode);
            assert_true(p->items[i].hard_start);
            assert_string_equal(p->items[i].teacher, "Ms Ada"); /* the recording's teacher wins */
            assert_string_equal(p->items[i].event_file, "school.ics");
        } else if (i >= 0) {
            fail_msg("%s: unexpected lesson at %02d:%02d", cases[k].date, cases[k].h, cases[k].m);
        }
        long r = lesson_at(p, 15, 0);
        if (cases[k].repeat_episode > 0) {
            if (r < 0) fail_msg("%s: no repeat at 15:00", cases[k].date);
            if (p->items[r].episode != cases[k].repeat_episode)
                fail_msg("%s: repeat plays episode %d, expected %d", cases[k].date, p->items[r].episode,
                         cases[k].repeat_episode);
            assert_true(p->items[r].repeat);
        } else if (cases[k].repeat_episode == 0 && r >= 0) {
            fail_msg("%s: unexpected repeat at 15:00", cases[k].date);
        }
        if (!strcmp(cases[k].date, "2026-02-09")) {
            assert_true(fx_has_warning(&p->warnings, "suppressed by 'Mid-term break' (holidays.ics)"));
            assert_true(fx_has_warning(&p->warnings, "series 'maths' episode 4"));
        }
        cw_plan_free(p);
    }
    cw_calset_free(set);
    fx_station_free(st);
}

static void test_order_independent_bytes(void **state)
{
    (void)state;
    make_lib();
    cw_station *st = fx_station();
    free(st->timezone);
    st->timezone = strdup("Africa/Lagos");
    cw_calset *a = load("Africa/Lagos", lagos_school, "school.ics", 0, lagos_holidays, "holidays.ics", 0);
    cw_calset *b = load("Africa/Lagos", lagos_school, "school.ics", 0, lagos_holidays, "holidays.ics", 0);
    cw_plan *warm = plan(st, b, "2026-12-28"); /* fills b's caches far ahead */
    cw_plan_free(warm);
    cw_plan *p = plan(st, a, "2026-02-16"), *q = plan(st, b, "2026-02-16");
    cw_buf x, y;
    cw_buf_init(&x);
    cw_buf_init(&y);
    assert_int_equal(cw_plan_to_json(p, &x), 0);
    assert_int_equal(cw_plan_to_json(q, &y), 0);
    assert_int_equal(x.len, y.len);
    assert_memory_equal(x.data, y.data, x.len);
    cw_buf_free(&x);
    cw_buf_free(&y);
    cw_plan_free(p);
    cw_plan_free(q);
    cw_calset_free(a);
    cw_calset_free(b);
    fx_station_free(st);
}

/* A daily 04:00 lesson and a daily 02:30 one (the hour that does not exist, or happens twice). */
static char *night_calendar(const char *tz)
{
    return cw_asprintf(VCAL_BEGIN
                       "BEGIN:VEVENT\r\nUID:night@%s\r\nDTSTAMP:20260101T000000Z\r\n"
                       "DTSTART;TZID=%s:20260301T040000\r\nDTEND;TZID=%s:20260301T043000\r\n"
                       "RRULE:FREQ=DAILY\r\nSUMMARY:Night class\r\n"
                       "DESCRIPTION:Series: night\\nEpisode: 1\r\nEND:VEVENT\r\n"
                       "BEGIN:VEVENT\r\nUID:gap@%s\r\nDTSTAMP:20260101T000000Z\r\n"
                       "DTSTART;TZID=%s:20260301T023000\r\nDTEND;TZID=%s:20260301T024000\r\n"
                       "RRULE:FREQ=DAILY\r\nSUMMARY:Gap class\r\n"
                       "DESCRIPTION:Series: gap\\nEpisode: 1\r\nEND:VEVENT\r\n" VCAL_END,
                       tz, tz, tz, tz, tz, tz);
}

static void test_dst_days(void **state)
{
    (void)state;
    make_lib();
    static const struct {
        const char *tz, *date;
        double window_h;      /* real hours between 01:00 and 05:00 local */
        double night_h, gap_h; /* real hours from the window start to 04:00 and 02:30 */
        const char *night_local, *wstart, *wend;
    } cases[] = {
        /* spring forward: 02:00 -> 03:00; 02:30 does not exist and becomes 03:30 */
        {"Europe/Paris", "2026-03-29", 3, 2, 1.5, "2026-03-29T04:00:00+02:00", "2026-03-29T01:00:00+01:00",
         "2026-03-29T05:00:00+02:00"},
        /* fall back: 03:00 -> 02:00; 02:30 happens twice, the first is meant */
        {"Europe/Paris", "2026-10-25", 5, 4, 1.5, "2026-10-25T04:00:00+01:00", "2026-10-25T01:00:00+02:00",
         "2026-10-25T05:00:00+01:00"},
        {"America/New_York", "2026-03-08", 3, 2, 1.5, "2026-03-08T04:00:00-04:00", "2026-03-08T01:00:00-05:00",
         "2026-03-08T05:00:00-04:00"},
        /* New York falls back at 02:00 -> 01:00: 02:30 EST is 2.5 real hours after 01:00 EDT */
        {"America/New_York", "2026-11-01", 5, 4, 2.5, "2026-11-01T04:00:00-05:00", "2026-11-01T01:00:00-04:00",
         "2026-11-01T05:00:00-05:00"},
        /* an ordinary day for comparison */
        {"Europe/Paris", "2026-03-30", 4, 3, 1.5, "2026-03-30T04:00:00+02:00", "2026-03-30T01:00:00+02:00",
         "2026-03-30T05:00:00+02:00"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        cw_station *st = fx_station();
        free(st->timezone);
        st->timezone = strdup(cases[k].tz);
        st->on_air_start = 60;
        st->on_air_end = 300;
        char *ics = night_calendar(cases[k].tz);
        cw_calset *set = load(cases[k].tz, ics, "night.ics", 0, NULL, NULL, 0);
        cw_plan *p = plan(st, set, cases[k].date);
        int64_t W = (int64_t)(cases[k].window_h * HOUR) * RATE;
        if ((p->window_end_utc - p->window_start_utc) * RATE != W)
            fail_msg("%s %s: window of %lld s", cases[k].tz, cases[k].date,
                     (long long)(p->window_end_utc - p->window_start_utc));
        long i = fx_item_at(p, (int64_t)(cases[k].night_h * HOUR) * RATE);
        if (i < 0 || p->items[i].kind != CW_KIND_LESSON)
            fail_msg("%s %s: no lesson at sample %lld", cases[k].tz, cases[k].date,
                     (long long)((int64_t)(cases[k].night_h * HOUR) * RATE));
        assert_string_equal(p->items[i].recording, "library/lesson/night/001-night.ogg");
        assert_int_equal(p->items[i].length_samples, 600 * RATE);
        char t[32];
        cw_plan_local_time(p, p->items[i].offset_samples, t);
        assert_string_equal(t, cases[k].night_local);
        long g = fx_item_at(p, (int64_t)(cases[k].gap_h * HOUR) * RATE);
        if (g < 0 || p->items[g].kind != CW_KIND_LESSON)
            fail_msg("%s %s: no 02:30 lesson at sample %lld", cases[k].tz, cases[k].date,
                     (long long)((int64_t)(cases[k].gap_h * HOUR) * RATE));
        assert_string_equal(p->items[g].recording, "library/lesson/gap/001-gap.ogg");
        cw_buf b;
        cw_buf_init(&b);
        assert_int_equal(cw_plan_to_json(p, &b), 0);
        char want[128];
        snprintf(want, sizeof want, "\"start\": \"%s\",\n    \"end\": \"%s\"", cases[k].wstart, cases[k].wend);
        if (!strstr(b.data, want)) fail_msg("%s %s: window not %s", cases[k].tz, cases[k].date, want);
        /* the JSON reads back to the same bytes, offsets included */
        cw_plan *r = NULL;
        cw_error err = {0};
        assert_int_equal(cw_plan_from_json(&r, b.data, b.len, &err), 0);
        cw_buf c;
        cw_buf_init(&c);
        assert_int_equal(cw_plan_to_json(r, &c), 0);
        assert_string_equal(b.data, c.data);
        cw_buf_free(&c);
        cw_buf_free(&b);
        cw_plan_free(r);
        cw_plan_free(p);
        cw_calset_free(set);
        free(ics);
        fx_station_free(st);
    }
}

static void test_window_crosses_midnight(void **state)
{
    (void)state;
    make_lib();
    cw_station *st = fx_station();
    free(st->timezone);
    st->timezone = strdup("Africa/Lagos");
    st->on_air_start = 20 * 60;
    st->on_air_end = 2 * 60;
    char *ics = night_calendar("Africa/Lagos");
    cw_calset *set = load("Africa/Lagos", ics, "night.ics", 0, NULL, NULL, 0);
    cw_plan *p = plan(st, set, "2026-03-16");
    assert_int_equal(p->window_end_utc - p->window_start_utc, 6 * HOUR);
    /* 01:00 is not in the window; 02:30 and 04:00 of the 17th are after it: no lessons */
    for (size_t i = 0; i < p->n_items; i++) assert_int_not_equal(p->items[i].kind, CW_KIND_LESSON);
    cw_plan_free(p);
    free(ics);
    cw_calset_free(set);
    ics = cw_asprintf(VCAL_BEGIN
                      "BEGIN:VEVENT\r\nUID:late@x\r\nDTSTAMP:20260101T000000Z\r\n"
                      "DTSTART;TZID=Africa/Lagos:20260301T013000\r\nDTEND;TZID=Africa/Lagos:20260301T014500\r\n"
                      "RRULE:FREQ=DAILY\r\nSUMMARY:Late\r\nDESCRIPTION:Series: night\\nEpisode: 1\r\nEND:VEVENT\r\n"
                      "BEGIN:VEVENT\r\nUID:eve@x\r\nDTSTAMP:20260101T000000Z\r\n"
                      "DTSTART;TZID=Africa/Lagos:20260301T230000\r\nDTEND;TZID=Africa/Lagos:20260301T231500\r\n"
                      "RRULE:FREQ=DAILY\r\nSUMMARY:Evening\r\nDESCRIPTION:Series: gap\\nEpisode: 1\r\nEND:VEVENT\r\n"
                      VCAL_END);
    set = load("Africa/Lagos", ics, "late.ics", 0, NULL, NULL, 0);
    p = plan(st, set, "2026-03-16");
    long e = fx_item_at(p, 3 * HOUR * RATE), l = fx_item_at(p, (5 * HOUR + 30 * MIN) * RATE);
    assert_true(e >= 0 && l >= 0);
    assert_string_equal(p->items[e].recording, "library/lesson/gap/001-gap.ogg");
    assert_string_equal(p->items[l].recording, "library/lesson/night/001-night.ogg");
    char t[32];
    cw_plan_local_time(p, p->items[l].offset_samples, t);
    assert_string_equal(t, "2026-03-17T01:30:00+01:00"); /* the next calendar day, same plan */
    /* the lesson runs 10 min of its 15 min slot, then fill to 02:00 */
    assert_int_equal(p->items[p->n_items - 1].offset_samples + p->items[p->n_items - 1].length_samples,
                     6 * HOUR * RATE);
    cw_plan_free(p);
    free(ics);
    cw_calset_free(set);
    fx_station_free(st);
}

static void test_partner_priorities(void **state)
{
    (void)state;
    make_lib();
    cw_station *st = fx_station();
    free(st->timezone);
    st->timezone = strdup("Africa/Lagos");
    const char *ministry = VCAL_BEGIN
        "BEGIN:VEVENT\r\nUID:hi@ministry\r\nDTSTAMP:20260101T000000Z\r\n"
        "DTSTART;TZID=Africa/Lagos:20260316T100000\r\nDTEND;TZID=Africa/Lagos:20260316T103000\r\n"
        "SUMMARY:Ministry lesson\r\nX-CHALKWAVE-SERIES:hi\r\nX-CHALKWAVE-EPISODE:1\r\nEND:VEVENT\r\n" VCAL_END;
    const char *ngo = VCAL_BEGIN
        "BEGIN:VEVENT\r\nUID:lo@ngo\r\nDTSTAMP:20260101T000000Z\r\n"
        "DTSTART;TZID=Africa/Lagos:20260316T100000\r\nDTEND;TZID=Africa/Lagos:20260316T103000\r\n"
        "SUMMARY:NGO lesson\r\nX-CHALKWAVE-SERIES:lo\r\nX-CHALKWAVE-EPISODE:1\r\nEND:VEVENT\r\n" VCAL_END;
    /* the NGO's file sorts first, but the ministry has the higher priority */
    cw_calset *set = load("Africa/Lagos", ministry, "ministry.ics", 10, ngo, "a-ngo.ics", 2);
    cw_plan *p = plan(st, set, "2026-03-16");
    long i = lesson_at(p, 10, 0);
    assert_true(i >= 0);
    assert_string_equal(p->items[i].event_file, "ministry.ics");
    assert_true(fx_has_warning(&p->warnings, "lesson 'NGO lesson' (a-ngo.ics, uid lo@ngo) at 2026-03-16 10:00 "
                                             "loses its slot to 'Ministry lesson' (ministry.ics, priority 10)"));
    cw_plan_free(p);
    cw_calset_free(set);
    /* equal priorities: the file name decides */
    set = load("Africa/Lagos", ministry, "ministry.ics", 0, ngo, "a-ngo.ics", 0);
    p = plan(st, set, "2026-03-16");
    i = lesson_at(p, 10, 0);
    assert_string_equal(p->items[i].event_file, "a-ngo.ics");
    cw_plan_free(p);
    cw_calset_free(set);
    fx_station_free(st);
}

static void test_station_calendars_folder(void **state)
{
    (void)state;
    make_lib();
    char tmpl[] = "/tmp/cw-sched-cal-XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    char path[600];
    snprintf(path, sizeof path, "%s/calendars", dir);
    assert_int_equal(cw_mkdir_p(path, NULL), 0);
    snprintf(path, sizeof path, "%s/calendars/school.ics", dir);
    assert_int_equal(cw_write_file_atomic(path, lagos_school, strlen(lagos_school), NULL), 0);
    snprintf(path, sizeof path, "%s/calendars/holidays.ics", dir);
    assert_int_equal(cw_write_file_atomic(path, lagos_holidays, strlen(lagos_holidays), NULL), 0);
    snprintf(path, sizeof path, "%s/calendars/notes.txt", dir);
    assert_int_equal(cw_write_file_atomic(path, "x", 1, NULL), 0);
    cw_station *st = fx_station();
    free(st->dir);
    st->dir = strdup(dir);
    free(st->timezone);
    st->timezone = strdup("Africa/Lagos");
    cw_partner_calendar cals[2] = {{(char *)"school.ics", 7, 12, 0, NULL}, {(char *)"gone.ics", 1, 13, 0, NULL}};
    st->calendars = cals;
    st->n_calendars = 2;
    cw_calset *set = NULL;
    cw_diags d = {0};
    cw_error err = {0};
    assert_int_equal(cw_station_calendars(&set, st, &d, &err), 0);
    int warned = 0;
    for (size_t i = 0; i < d.n; i++) warned |= strstr(d.v[i].text, "'gone.ics' is listed") != NULL;
    assert_true(warned);
    cw_plan *p = plan(st, set, "2026-01-12");
    long i = lesson_at(p, 9, 0);
    assert_true(i >= 0);
    assert_int_equal(p->items[i].episode, 2);
    cw_plan_free(p);
    cw_occurrences occ = {0};
    assert_int_equal(cw_calset_expand(set, DAY0 - 70 * 86400, DAY0, 0, &occ, &err), 0);
    for (size_t k = 0; k < occ.n; k++)
        assert_int_equal(occ.v[k].priority, strcmp(occ.v[k].file, "school.ics") ? 0 : 7);
    cw_occurrences_free(&occ);
    cw_calset_free(set);
    cw_diags_free(&d);
    /* a broken calendar is refused, naming the file */
    snprintf(path, sizeof path, "%s/calendars/broken.ics", dir);
    assert_int_equal(cw_write_file_atomic(path, "BEGIN:VCALENDAR\r\n", 17, NULL), 0);
    assert_int_not_equal(cw_station_calendars(&set, st, NULL, &err), 0);
    assert_null(set);
    assert_true(strstr(err.source, "broken.ics") || strstr(err.text, "broken.ics"));
    st->calendars = NULL;
    st->n_calendars = 0;
    fx_station_free(st);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    assert_int_equal(system(path), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_series_across_weeks),
        cmocka_unit_test(test_order_independent_bytes),
        cmocka_unit_test(test_dst_days),
        cmocka_unit_test(test_window_crosses_midnight),
        cmocka_unit_test(test_partner_priorities),
        cmocka_unit_test(test_station_calendars_folder),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    cw_cal_cleanup();
    return rc;
}
