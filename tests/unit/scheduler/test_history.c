/* test_history.c — episode numbers that depend on years of history: lessons suppressed by
 * blackouts and instances with an explicit Episode: N do not use up a number (README
 * "What a lesson plays"), checked against an independent count over six years; and a heavy
 * station (50 partner calendars x 24 weekly series since 2021: more occurrences in one year
 * than one expansion may hold) must still plan, with the same numbers as the count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "sched_fixture.h"

#define VCAL_BEGIN "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//chalkwave tests//EN\r\n"
#define VCAL_END "END:VCALENDAR\r\n"

static int64_t day_of(int y, int m, int d) { return cw_days_from_civil(y, m, d); }

/* ---- the independent count ------------------------------------------------------------ */

/* Holidays of holidays.ics below: 1 January, 1 May and 1 October every year, the mid-term
 * break 15-19 February 2021-2026 (all-day, UTC), and exams on 2022-06-02 08:00-12:00. */
static int in_blackout(int64_t t)
{
    int64_t day = t >= 0 ? t / 86400 : -1;
    int y, m, d;
    cw_civil_from_days(day, &y, &m, &d);
    if (d == 1 && (m == 1 || m == 5 || m == 10)) return 1;
    if (m == 2 && d >= 15 && d <= 19 && y >= 2021 && y <= 2026) return 1;
    int64_t exams = day_of(2022, 6, 2) * 86400;
    return t >= exams + 8 * HOUR && t < exams + 12 * HOUR;
}

static const char *holidays_ics(void)
{
    static char buf[8192];
    cw_buf b;
    cw_buf_init(&b);
    cw_buf_puts(&b, VCAL_BEGIN);
    static const char *md[] = {"0101", "0501", "1001"};
    for (int i = 0; i < 3; i++)
        cw_buf_printf(&b,
                      "BEGIN:VEVENT\r\nUID:hol-%s@ministry\r\nDTSTAMP:20210101T000000Z\r\n"
                      "DTSTART;VALUE=DATE:2021%s\r\nRRULE:FREQ=YEARLY\r\nSUMMARY:Holiday %s\r\n"
                      "CATEGORIES:holiday\r\nEND:VEVENT\r\n",
                      md[i], md[i], md[i]);
    for (int y = 2021; y <= 2026; y++)
        cw_buf_printf(&b,
                      "BEGIN:VEVENT\r\nUID:midterm-%d@ministry\r\nDTSTAMP:20210101T000000Z\r\n"
                      "DTSTART;VALUE=DATE:%d0215\r\nDTEND;VALUE=DATE:%d0220\r\nSUMMARY:Mid-term %d\r\n"
                      "CATEGORIES:holiday\r\nEND:VEVENT\r\n",
                      y, y, y, y);
    cw_buf_puts(&b, "BEGIN:VEVENT\r\nUID:exams@ministry\r\nDTSTAMP:20210101T000000Z\r\n"
                    "DTSTART:20220602T080000Z\r\nDTEND:20220602T120000Z\r\nSUMMARY:Exams\r\n"
                    "DESCRIPTION:Kind: blackout\r\nEND:VEVENT\r\n" VCAL_END);
    assert_false(b.oom);
    assert_true(b.len < sizeof buf);
    memcpy(buf, b.data, b.len + 1);
    cw_buf_free(&b);
    return buf;
}

/* One instance of a series as the count sees it. */
typedef struct inst {
    int64_t rec, start;
    int episode;  /* explicit Episode: N, 0 none */
    int removed;  /* EXDATE'd or cancelled */
    int expected; /* the episode it plays (or, suppressed, the one that was due) */
    int suppressed;
} inst;

static int cmp_inst(const void *a, const void *b)
{
    const inst *x = a, *y = b;
    return (x->rec > y->rec) - (x->rec < y->rec);
}

/* Number the instances: the count of earlier instances that were neither removed, nor
 * suppressed by a blackout, nor carried their own number. */
static void number(inst *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_inst);
    int used = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i].removed) continue;
        v[i].suppressed = in_blackout(v[i].start);
        v[i].expected = v[i].episode ? v[i].episode : used + 1;
        if (!v[i].suppressed && !v[i].episode) used++;
    }
}

/* Weekly instances on the given weekdays (0 = Monday) at `sec` seconds of the day, from
 * day `first` to day `last` included. */
static size_t weekly(inst *v, size_t max, int64_t first, int64_t last, const int *wd, int nwd, int64_t sec)
{
    size_t n = 0;
    for (int64_t day = first; day <= last; day++) {
        int w = (int)(((day % 7) + 7 + 3) % 7); /* 1970-01-01 was a Thursday */
        for (int k = 0; k < nwd; k++)
            if (w == wd[k]) {
                assert_true(n < max);
                v[n++] = (inst){day * 86400 + sec, day * 86400 + sec, 0, 0, 0, 0};
            }
    }
    return n;
}

/* The instance originally at y-m-d + sec seconds. */
static inst *find_rec(inst *v, size_t n, int y, int m, int d, int64_t sec)
{
    int64_t rec = day_of(y, m, d) * 86400 + sec;
    for (size_t i = 0; i < n; i++)
        if (v[i].rec == rec) return &v[i];
    fail_msg("no instance at %04d-%02d-%02d + %lld s", y, m, d, (long long)sec);
    return NULL;
}

/* ---- planning and looking at the result ----------------------------------------------- */

static cw_station *utc_station(void) { return fx_station(); } /* UTC, 06:00-22:00 */

static fx_lib empty_lib;

static cw_plan *plan_day(const cw_station *st, const cw_calset *set, int64_t day)
{
    int y, m, d;
    cw_civil_from_days(day, &y, &m, &d);
    cw_plan *p = NULL;
    cw_error err = {0};
    int rc = cw_plan_day(&p, st, set, &empty_lib.lib, (cw_date){y, m, d}, &err);
    if (rc) fail_msg("plan %04d-%02d-%02d: %s: %s (line %d)", y, m, d, err.source, err.text, err.line);
    return p;
}

/* The episode planned for series `series` at UTC instant t, from the day's slots (the library
 * is empty, so every lesson that airs is missing; a suppressed one is a blackout slot). -1
 * when the plan has no such slot. */
static int planned_episode(const cw_plan *p, const char *series, int64_t t, int *suppressed)
{
    *suppressed = 0;
    for (size_t i = 0; i < p->n_slots; i++) {
        const cw_plan_slot *s = &p->slots[i];
        if (s->kind != CW_KIND_LESSON || s->start_utc != t || strcmp(s->series, series)) continue;
        if (s->status == CW_SLOT_BLACKOUT) *suppressed = 1;
        else if (s->status != CW_SLOT_MISSING) continue;
        return s->episode;
    }
    return -1;
}

static void check_in_plan(const cw_plan *p, const inst *x, const char *series, const char *what)
{
    int sup = 0;
    int ep = planned_episode(p, series, x->start, &sup);
    if (ep != x->expected || sup != x->suppressed) {
        int y, m, d;
        cw_civil_from_days(x->start / 86400, &y, &m, &d);
        fail_msg("%s: %04d-%02d-%02d %02lld:%02lld: planned episode %d%s, the count says %d%s", what, y, m, d,
                 (long long)(x->start % 86400 / 3600), (long long)(x->start % 3600 / 60), ep,
                 sup ? " (suppressed)" : "", x->expected, x->suppressed ? " (suppressed)" : "");
    }
}

static void check_instance(const cw_station *st, const cw_calset *set, const inst *x, const char *series,
                           const char *what)
{
    cw_plan *p = plan_day(st, set, x->start / 86400);
    check_in_plan(p, x, series, what);
    cw_plan_free(p);
}

static void add(cw_calset *set, const char *text, const char *label, int priority)
{
    cw_diags d = {0};
    cw_error err = {0};
    int rc = cw_calset_add_data(set, text, strlen(text), label, priority, &d, &err);
    if (rc) fail_msg("%s: %s (line %d)", label, err.text, err.line);
    cw_diags_free(&d);
}

/* ---- six years of one school's series --------------------------------------------------- */

static const char *school_ics =
    VCAL_BEGIN
    "BEGIN:VEVENT\r\nUID:maths@school\r\nDTSTAMP:20210101T000000Z\r\n"
    "DTSTART:20210104T090000Z\r\nDTEND:20210104T093000Z\r\nRRULE:FREQ=WEEKLY;BYDAY=MO,TH\r\n"
    "EXDATE:20210304T090000Z,20221107T090000Z\r\nEXDATE:20250508T090000Z\r\n"
    "SUMMARY:Maths\r\nDESCRIPTION:Series: maths\r\nEND:VEVENT\r\n"
    /* cancelled */
    "BEGIN:VEVENT\r\nUID:maths@school\r\nDTSTAMP:20210101T000000Z\r\nRECURRENCE-ID:20230109T090000Z\r\n"
    "DTSTART:20230109T090000Z\r\nDTEND:20230109T093000Z\r\nSTATUS:CANCELLED\r\n"
    "SUMMARY:Maths\r\nDESCRIPTION:Series: maths\r\nEND:VEVENT\r\n"
    /* moved off New Year's Day 2024: airs, and counts */
    "BEGIN:VEVENT\r\nUID:maths@school\r\nDTSTAMP:20210101T000000Z\r\nRECURRENCE-ID:20240101T090000Z\r\n"
    "DTSTART:20240102T090000Z\r\nDTEND:20240102T093000Z\r\n"
    "SUMMARY:Maths (moved)\r\nDESCRIPTION:Series: maths\r\nEND:VEVENT\r\n"
    /* moved onto a holiday: suppressed, does not count */
    "BEGIN:VEVENT\r\nUID:maths@school\r\nDTSTAMP:20210101T000000Z\r\nRECURRENCE-ID:20250929T090000Z\r\n"
    "DTSTART:20251001T100000Z\r\nDTEND:20251001T103000Z\r\n"
    "SUMMARY:Maths (moved)\r\nDESCRIPTION:Series: maths\r\nEND:VEVENT\r\n"
    /* explicit numbers: do not use up a position */
    "BEGIN:VEVENT\r\nUID:maths@school\r\nDTSTAMP:20210101T000000Z\r\nRECURRENCE-ID:20220303T090000Z\r\n"
    "DTSTART:20220303T090000Z\r\nDTEND:20220303T093000Z\r\n"
    "SUMMARY:Maths\r\nDESCRIPTION:Series: maths\\nEpisode: 2\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:maths@school\r\nDTSTAMP:20210101T000000Z\r\nRECURRENCE-ID:20240606T090000Z\r\n"
    "DTSTART:20240606T090000Z\r\nDTEND:20240606T093000Z\r\n"
    "SUMMARY:Maths\r\nDESCRIPTION:Series: maths\\nEpisode: 40\r\nEND:VEVENT\r\n"
    /* a one-off lesson of the series with its own number */
    "BEGIN:VEVENT\r\nUID:maths-special@school\r\nDTSTAMP:20210101T000000Z\r\n"
    "DTSTART:20230607T120000Z\r\nDTEND:20230607T123000Z\r\n"
    "SUMMARY:Maths special\r\nDESCRIPTION:Series: maths\\nEpisode: 3\r\nEND:VEVENT\r\n"
    /* repeats never count */
    "BEGIN:VEVENT\r\nUID:maths-repeat@school\r\nDTSTAMP:20210101T000000Z\r\n"
    "DTSTART:20210104T150000Z\r\nDTEND:20210104T153000Z\r\nRRULE:FREQ=WEEKLY;BYDAY=MO\r\n"
    "SUMMARY:Maths (repeat)\r\nCATEGORIES:repeat\r\nDESCRIPTION:Series: maths\r\nEND:VEVENT\r\n" VCAL_END;

/* The same series key in another partner's calendar is another sequence. */
static const char *other_ics =
    VCAL_BEGIN
    "BEGIN:VEVENT\r\nUID:maths@other\r\nDTSTAMP:20210101T000000Z\r\n"
    "DTSTART:20240103T110000Z\r\nDTEND:20240103T113000Z\r\nRRULE:FREQ=WEEKLY;BYDAY=WE\r\n"
    "SUMMARY:Other maths\r\nDESCRIPTION:Series: maths\r\nEND:VEVENT\r\n" VCAL_END;

static void test_rules_over_years(void **state)
{
    (void)state;
    static inst school[800], other[200];
    int64_t first = day_of(2021, 1, 4), last = day_of(2026, 12, 31);
    size_t ns = weekly(school, 800, first, last, (const int[]){0, 3}, 2, 9 * HOUR);
    find_rec(school, ns, 2021, 3, 4, 9 * HOUR)->removed = 1;
    find_rec(school, ns, 2022, 11, 7, 9 * HOUR)->removed = 1;
    find_rec(school, ns, 2025, 5, 8, 9 * HOUR)->removed = 1;
    find_rec(school, ns, 2023, 1, 9, 9 * HOUR)->removed = 1;
    find_rec(school, ns, 2024, 1, 1, 9 * HOUR)->start = day_of(2024, 1, 2) * 86400 + 9 * HOUR;
    find_rec(school, ns, 2025, 9, 29, 9 * HOUR)->start = day_of(2025, 10, 1) * 86400 + 10 * HOUR;
    find_rec(school, ns, 2022, 3, 3, 9 * HOUR)->episode = 2;
    find_rec(school, ns, 2024, 6, 6, 9 * HOUR)->episode = 40;
    int64_t special = day_of(2023, 6, 7) * 86400 + 12 * HOUR;
    school[ns++] = (inst){special, special, 3, 0, 0, 0};
    number(school, ns);
    size_t no = weekly(other, 200, day_of(2024, 1, 3), last, (const int[]){2}, 1, 11 * HOUR);
    number(other, no);

    cw_station *st = utc_station();
    cw_calset *set = cw_calset_new("UTC");
    add(set, school_ics, "school.ics", 0);
    add(set, other_ics, "other.ics", 0);
    add(set, holidays_ics(), "holidays.ics", 0);

    /* every special instance, and a spread of ordinary ones, planned in a scrambled order */
    size_t checked = 0, suppressed = 0;
    for (size_t k = 0; k < ns; k++) {
        size_t i = (k * 389) % ns; /* 389 is prime and does not divide ns */
        const inst *x = &school[i];
        int special_one = x->episode || x->start != x->rec || in_blackout(x->start) || x->removed;
        if (x->removed || (!special_one && i % 11)) continue;
        check_instance(st, set, x, "maths", "school.ics");
        checked++;
        suppressed += x->suppressed;
    }
    for (size_t i = 0; i < no; i += 7) check_instance(st, set, &other[i], "maths", "other.ics");
    /* the holidays of other.ics' Wednesdays */
    for (size_t i = 0; i < no; i++)
        if (other[i].suppressed) check_instance(st, set, &other[i], "maths", "other.ics");
    assert_true(checked > 60);
    assert_true(suppressed >= 12); /* six years of holidays and mid-terms */
    /* the count's own sanity: numbers the README promises */
    assert_int_equal(find_rec(school, ns, 2024, 6, 6, 9 * HOUR)->expected, 40);
    assert_int_equal(find_rec(school, ns, 2022, 2, 17, 9 * HOUR)->suppressed, 1);
    assert_int_equal(find_rec(school, ns, 2022, 2, 21, 9 * HOUR)->expected, find_rec(school, ns, 2022, 2, 17, 9 * HOUR)->expected);

    cw_calset_free(set);
    fx_station_free(st);
}

/* ---- a heavy station ---------------------------------------------------------------------- */

#define PARTNERS 50
#define SERIES 24

/* Partner p's series s: two weekdays a week since the week of 2021-01-04, 30 minutes. Partner
 * 00 has the highest priority and its series never overlap each other, so its lessons air. */
static void series_shape(int p, int s, int *d1, int *d2, int *minute)
{
    *d1 = (p + s) % 5;
    *d2 = (p + s + 2) % 5;
    *minute = p == 0 ? 6 * 60 + s * 40 : 6 * 60 + (p * 37 + s * 211) % (15 * 60 + 30);
}

static char *partner_ics(int p)
{
    cw_buf b;
    cw_buf_init(&b);
    cw_buf_puts(&b, VCAL_BEGIN);
    for (int s = 0; s < SERIES; s++) {
        int d1, d2, minute;
        series_shape(p, s, &d1, &d2, &minute);
        static const char *wd[] = {"MO", "TU", "WE", "TH", "FR"};
        int y, m, d;
        cw_civil_from_days(day_of(2021, 1, 4) + (d1 < d2 ? d1 : d2), &y, &m, &d);
        cw_buf_printf(&b,
                      "BEGIN:VEVENT\r\nUID:p%02d-s%02d@partner%02d\r\nDTSTAMP:20210101T000000Z\r\n"
                      "DTSTART:%04d%02d%02dT%02d%02d00Z\r\nDURATION:PT30M\r\nRRULE:FREQ=WEEKLY;BYDAY=%s,%s\r\n"
                      "SUMMARY:Lesson p%02d-s%02d\r\nDESCRIPTION:Series: p%02d-s%02d\r\nEND:VEVENT\r\n",
                      p, s, p, y, m, d, minute / 60, minute % 60, wd[d1], wd[d2], p, s, p, s);
    }
    if (p == 0) /* partner 00's series 5 (Mondays and Wednesdays) repeats lesson 9 on a Monday of 2023 */
        cw_buf_puts(&b, "BEGIN:VEVENT\r\nUID:p00-s05@partner00\r\nDTSTAMP:20210101T000000Z\r\n"
                        "RECURRENCE-ID:20230306T092000Z\r\nDTSTART:20230306T092000Z\r\nDURATION:PT30M\r\n"
                        "SUMMARY:Lesson p00-s05\r\nDESCRIPTION:Series: p00-s05\\nEpisode: 9\r\nEND:VEVENT\r\n");
    cw_buf_puts(&b, VCAL_END);
    assert_false(b.oom);
    return b.data;
}

static void test_heavy_station(void **state)
{
    (void)state;
    cw_station *st = utc_station();
    cw_calset *set = cw_calset_new("UTC");
    for (int p = 0; p < PARTNERS; p++) {
        char *text = partner_ics(p), label[32];
        snprintf(label, sizeof label, "partner-%02d.ics", p);
        add(set, text, label, p == 0 ? 9 : 0);
        free(text);
    }
    add(set, holidays_ics(), "holidays.ics", 0);
    /* more than one expansion may hold in the year before the day */
    int64_t d0 = day_of(2026, 3, 16);
    cw_occurrences year = {0};
    cw_error err = {0};
    assert_int_equal(cw_calset_expand(set, (d0 - 366) * 86400, d0 * 86400, 0, &year, &err), CW_ELIMIT);

    static const int dates[][3] = {{2026, 3, 16}, {2023, 3, 6}, {2024, 2, 19}};
    size_t checked = 0;
    for (size_t k = 0; k < sizeof dates / sizeof dates[0]; k++) {
        int64_t day = day_of(dates[k][0], dates[k][1], dates[k][2]);
        int w = (int)(((day % 7) + 7 + 3) % 7);
        cw_plan *p = plan_day(st, set, day);
        for (int s = 0; s < SERIES; s++) {
            int d1, d2, minute;
            series_shape(0, s, &d1, &d2, &minute);
            if (w != d1 && w != d2) continue;
            static inst v[800];
            int64_t first = day_of(2021, 1, 4);
            size_t n = weekly(v, 800, first, day, (const int[]){d1, d2}, 2, minute * MIN);
            if (s == 5) find_rec(v, n, 2023, 3, 6, 9 * HOUR + 20 * MIN)->episode = 9;
            number(v, n);
            char series[16];
            snprintf(series, sizeof series, "p00-s%02d", s);
            check_in_plan(p, &v[n - 1], series, "partner-00.ics");
            checked++;
        }
        cw_plan_free(p);
    }
    assert_true(checked >= 10);
    cw_calset_free(set);
    fx_station_free(st);
}

/* Blackouts are walked over the whole history, but not without end: three hourly blackouts
 * since 2021 are refused with a bound error instead of being expanded for years. */
static void test_blackout_bound(void **state)
{
    (void)state;
    static const char *busy =
        VCAL_BEGIN
        "BEGIN:VEVENT\r\nUID:maths@school\r\nDTSTAMP:20210101T000000Z\r\nDTSTART:20210104T090000Z\r\n"
        "DURATION:PT30M\r\nRRULE:FREQ=WEEKLY;BYDAY=MO\r\nDESCRIPTION:Series: maths\r\nEND:VEVENT\r\n"
#define NOISE(m)                                                                                                  \
    "BEGIN:VEVENT\r\nUID:noise" m "@ministry\r\nDTSTAMP:20210101T000000Z\r\nDTSTART:20210101T00" m "00Z\r\n" \
    "DURATION:PT5M\r\nRRULE:FREQ=HOURLY\r\nSUMMARY:Noise\r\nDESCRIPTION:Kind: blackout\r\nEND:VEVENT\r\n"
        NOISE("30") NOISE("40") NOISE("50") VCAL_END;
#undef NOISE
    cw_station *st = utc_station();
    cw_calset *set = cw_calset_new("UTC");
    add(set, busy, "busy.ics", 0);
    cw_plan *p = NULL;
    cw_error err = {0};
    /* a year in: 26,000 blackouts before the day (at :30, :40 and :50 of every hour), fine */
    if (cw_plan_day(&p, st, set, &empty_lib.lib, (cw_date){2022, 1, 3}, &err)) fail_msg("%s", err.text);
    int sup = 0;
    inst x = {0};
    x.start = day_of(2022, 1, 3) * 86400 + 9 * HOUR;
    assert_int_equal(planned_episode(p, "maths", x.start, &sup), 53); /* 2021's 52 Mondays */
    cw_plan_free(p);
    /* in 2026: 137,000 */
    assert_int_equal(cw_plan_day(&p, st, set, &empty_lib.lib, (cw_date){2026, 3, 16}, &err), CW_ELIMIT);
    assert_null(p);
    assert_non_null(strstr(err.text, "blackouts before the day"));
    cw_calset_free(set);
    fx_station_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules_over_years),
        cmocka_unit_test(test_heavy_station),
        cmocka_unit_test(test_blackout_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
