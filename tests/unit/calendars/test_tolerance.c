/* test_tolerance.c — issue #11, case by case: what partners' calendar apps write is read as
 * Google, Apple, Outlook and Thunderbird read it (with a warning naming what was assumed),
 * times stay exact, and what makes an event impossible to place skips that event only. */
#include "cal_test_util.h"

#define EV(uid, ...) "BEGIN:VEVENT\nUID:" uid "\nDTSTAMP:20260101T000000Z\n" __VA_ARGS__ "END:VEVENT\n"

static void one(const cw_calset *set, int64_t from, int64_t to, int64_t s, int64_t e)
{
    cw_occurrences o = expand_all(set, from, to);
    if (o.n != 1 || o.v[0].start != s || o.v[0].end != e)
        fail_msg("%zu occurrences, first %lld-%lld; wanted %lld-%lld", o.n,
                 (long long)(o.n ? o.v[0].start : 0), (long long)(o.n ? o.v[0].end : 0), (long long)s,
                 (long long)e);
    cw_occurrences_free(&o);
}

/* Thunderbird writes a moved instance with DTEND and DURATION:PT0S: DTEND wins. */
static void thunderbird_dtend_and_duration(void **state)
{
    (void)state;
    cw_diags d;
    cw_calset *set = load_ok("UTC", EV("tb@t", "SUMMARY:x\nDTSTART:20260302T090000Z\n"
                                               "DTEND:20260302T100000Z\nDURATION:PT0S\n"), &d);
    EXPECT_CODE(&d, "cal.dtend-and-duration", 1);
    assert_int_equal(d.errors, 0);
    one(set, T(2026, 3, 2, 0, 0), T(2026, 3, 3, 0, 0), T(2026, 3, 2, 9, 0), T(2026, 3, 2, 10, 0));
    cw_diags_free(&d);
    cw_calset_free(set);
}

/* Outlook's zone names without a VTIMEZONE: display names, Windows IDs, fixed offsets. */
static void outlook_zone_names(void **state)
{
    (void)state;
    static const struct {
        const char *tzid;
        int h, m;        /* UTC time of 09:00 local on 2026-03-02 */
        const char *warn; /* warning code, or NULL */
    } cases[] = {
        {"\"(UTC-05:00) Eastern Time (US & Canada)\"", 14, 0, NULL},
        {"\"(UTC+01:00) Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna\"", 8, 0, NULL},
        {"W. Europe Standard Time", 8, 0, NULL},
        {"E. Africa Standard Time", 6, 0, NULL},
        {"UTC+01", 8, 0, "cal.tzid-fixed-offset"},
        {"GMT-3", 12, 0, "cal.tzid-fixed-offset"},
        {"UTC+05:30", 3, 30, "cal.tzid-fixed-offset"},
        {"\"(UTC+03:00) Nowhere Special\"", 6, 0, "cal.tzid-offset-only"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[512];
        snprintf(body, sizeof body, EV("o@t", "SUMMARY:x\nDTSTART;TZID=%s:20260302T090000\n"
                                              "DTEND;TZID=%s:20260302T100000\n"),
                 cases[i].tzid, cases[i].tzid);
        cw_diags d;
        cw_calset *set = load_ok("UTC", body, &d);
        if (d.errors)
            fail_msg("%s: %s", cases[i].tzid, d.v[0].text);
        if (cases[i].warn)
            EXPECT_CODE(&d, cases[i].warn, 1);
        int64_t s = T(2026, 3, 2, cases[i].h, cases[i].m);
        one(set, T(2026, 3, 1, 0, 0), T(2026, 3, 4, 0, 0), s, s + 3600);
        cw_diags_free(&d);
        cw_calset_free(set);
    }
}

/* Outlook's "Customized Time Zone": its VTIMEZONE; without it X-WR-TIMEZONE; without both
 * the station's zone (a warning each time something was assumed). */
static void customized_time_zone(void **state)
{
    (void)state;
    cw_diags d;
    cw_calset *set = load_ok("Africa/Lagos",
                             "BEGIN:VTIMEZONE\nTZID:Customized Time Zone\nBEGIN:STANDARD\n"
                             "DTSTART:16010101T000000\nTZOFFSETFROM:+0300\nTZOFFSETTO:+0300\nEND:STANDARD\n"
                             "END:VTIMEZONE\n" EV("c@t", "SUMMARY:x\nDTSTART;TZID=Customized Time Zone:"
                                                          "20260302T090000\nDURATION:PT1H\n"), &d);
    assert_int_equal(d.errors, 0);
    one(set, T(2026, 3, 1, 0, 0), T(2026, 3, 4, 0, 0), T(2026, 3, 2, 6, 0), T(2026, 3, 2, 7, 0));
    cw_diags_free(&d);
    cw_calset_free(set);
    set = load_ok("Africa/Lagos", "X-WR-TIMEZONE:Africa/Nairobi\n" EV("c@t", "SUMMARY:x\nDTSTART;TZID="
                                  "Customized Time Zone:20260302T090000\nDURATION:PT1H\n"), &d);
    EXPECT_CODE(&d, "cal.tzid-from-x-wr-timezone", 1);
    one(set, T(2026, 3, 1, 0, 0), T(2026, 3, 4, 0, 0), T(2026, 3, 2, 6, 0), T(2026, 3, 2, 7, 0));
    cw_diags_free(&d);
    cw_calset_free(set);
    set = load_ok("Africa/Lagos", EV("c@t", "SUMMARY:x\nDTSTART;TZID=Customized Time Zone:"
                                            "20260302T090000\nDURATION:PT1H\n"), &d);
    EXPECT_CODE(&d, "cal.tzid-station-zone", 1);
    one(set, T(2026, 3, 1, 0, 0), T(2026, 3, 4, 0, 0), T(2026, 3, 2, 8, 0), T(2026, 3, 2, 9, 0));
    cw_diags_free(&d);
    cw_calset_free(set);
    /* an unknown zone with no way to resolve it stays an error (the event is skipped) */
    set = NULL;
    assert_int_equal(load_opts(&set, "UTC", EV("u@t", "SUMMARY:x\nDTSTART;TZID=Mars/Olympus:"
                                                      "20260302T090000\n"), 0, &d), 0);
    EXPECT_CODE(&d, "cal.unknown-tzid", 1);
    assert_int_equal(cw_calset_n_skipped(set), 1);
    cw_diags_free(&d);
    cw_calset_free(set);
}

/* x-name and RFC 9253 VALUE types on properties that carry no time; Proton's quoted VALUE. */
static void value_types(void **state)
{
    (void)state;
    cw_diags d;
    cw_calset *set = load_ok("UTC", EV("v@t", "SUMMARY;VALUE=X-CUSTOM-TYPE:Maths\nRELATED-TO;VALUE=UID:"
                                              "other@t\nLOCATION;VALUE=URI:https://example.org/room\n"
                                              "DTSTART;VALUE=\"DATE\":20260302\n"), &d);
    assert_int_equal(d.errors, 0);
    cw_occurrences o = expand_all(set, T(2026, 3, 1, 0, 0), T(2026, 3, 5, 0, 0));
    assert_int_equal(o.n, 1);
    assert_string_equal(o.v[0].summary, "Maths");
    assert_true(o.v[0].all_day);
    assert_int_equal(o.v[0].end_date.day, 3);
    cw_occurrences_free(&o);
    cw_diags_free(&d);
    cw_calset_free(set);
}

/* Stray unfolded lines (the rest of a long description without its leading space), with or
 * without a colon: skipped with a warning, the event kept whole. */
static void stray_lines(void **state)
{
    (void)state;
    cw_diags d;
    cw_calset *set = load_ok("UTC", EV("s@t", "SUMMARY:Maths\nDESCRIPTION:Series: maths-g5\n"
                                              "and the rest of it, without a colon\n"
                                              "and then: a colon too\nDTSTART:20260302T090000Z\n"
                                              "TEACHER: Mr Otieno\n"), &d);
    assert_int_equal(d.errors, 0);
    EXPECT_CODE(&d, "cal.stray-line", 1);
    EXPECT_CODE(&d, "cal.unknown-property", 1);
    cw_occurrences o = expand_all(set, T(2026, 3, 1, 0, 0), T(2026, 3, 5, 0, 0));
    assert_int_equal(o.n, 1);
    assert_string_equal(o.v[0].series, "maths-g5");
    cw_occurrences_free(&o);
    cw_diags_free(&d);
    cw_calset_free(set);
}

/* CalendarLabs holiday feeds: an empty RRULE line, an all-day DTEND equal to DTSTART. */
static void calendarlabs(void **state)
{
    (void)state;
    cw_diags d;
    cw_calset *set = load_ok("Africa/Nairobi", EV("h@t", "SUMMARY:Jamhuri Day\nDTSTART;VALUE=DATE:"
                                                         "20261212\nDTEND;VALUE=DATE:20261212\nRRULE:\n"),
                             &d);
    assert_int_equal(d.errors, 0);
    EXPECT_CODE(&d, "cal.empty-value", 1);
    EXPECT_CODE(&d, "cal.allday-zero-length", 1);
    EXPECT_CODE(&d, "cal.allday-unmarked", 1);
    cw_occurrences o = expand_all(set, T(2026, 12, 1, 0, 0), T(2027, 12, 31, 0, 0));
    assert_int_equal(o.n, 1); /* the empty RRULE was ignored: one instance */
    assert_int_equal(o.v[0].end - o.v[0].start, 86400); /* one day, not zero */
    cw_occurrences_free(&o);
    cw_diags_free(&d);
    cw_calset_free(set);
}

/* DTSTART;TZID=America/New_York with a plain DTEND (and RECURRENCE-ID): read in New York,
 * whatever the station's zone — 1 hour long in a UTC and in a Los Angeles station. */
static void dtend_in_dtstart_zone(void **state)
{
    (void)state;
    static const char *const zones[] = {"UTC", "America/Los_Angeles", "Asia/Tokyo"};
    for (size_t i = 0; i < 3; i++) {
        cw_diags d;
        cw_calset *set = load_ok(zones[i],
                                 EV("ny@t", "SUMMARY:x\nDTSTART;TZID=America/New_York:20260302T090000\n"
                                            "DTEND:20260302T100000\nRRULE:FREQ=DAILY;COUNT=3\n")
                                     EV("ny@t", "SUMMARY:moved\nRECURRENCE-ID:20260303T090000\n"
                                                "DTSTART;TZID=America/New_York:20260303T120000\n"
                                                "DTEND;TZID=America/New_York:20260303T130000\n"),
                                 &d);
        assert_int_equal(d.errors, 0);
        EXPECT_CODE(&d, "cal.dtend-no-tzid", 1);
        EXPECT_CODE(&d, "cal.rid-no-tzid", 1);
        cw_occurrences o = expand_all(set, T(2026, 3, 1, 0, 0), T(2026, 3, 6, 0, 0));
        assert_int_equal(o.n, 3); /* the override replaced the 3 March instance */
        assert_int_equal(o.v[0].start, T(2026, 3, 2, 14, 0));
        assert_int_equal(o.v[0].end, T(2026, 3, 2, 15, 0));
        assert_int_equal(o.v[1].start, T(2026, 3, 3, 17, 0));
        assert_true(o.v[1].moved);
        cw_occurrences_free(&o);
        cw_diags_free(&d);
        cw_calset_free(set);
    }
}

/* A standard TZID whose embedded VTIMEZONE covers 2018-2020 only (iCalcreator, DAVx5): the
 * system zoneinfo is used at every instant (as Google and Apple do), with a warning when the
 * two disagree; no hour off outside the range. */
static void iana_vtimezone_partial(void **state)
{
    (void)state;
    cw_diags d;
    cw_calset *set = load_ok("UTC",
                             "BEGIN:VTIMEZONE\nTZID:Europe/Berlin\nBEGIN:DAYLIGHT\nDTSTART:20180325T020000\n"
                             "RDATE:20190331T020000,20200329T020000\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\n"
                             "END:DAYLIGHT\nBEGIN:STANDARD\nDTSTART:20181028T030000\nRDATE:20191027T030000,"
                             "20201025T030000\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nEND:STANDARD\n"
                             "END:VTIMEZONE\n" EV("b@t", "SUMMARY:x\nDTSTART;TZID=Europe/Berlin:20260701T090000\n"
                                                         "DURATION:PT1H\n")
                                 EV("c@t", "SUMMARY:y\nDTSTART;TZID=Europe/Berlin:20190701T090000\n"
                                           "DURATION:PT1H\n"),
                             &d);
    EXPECT_CODE(&d, "cal.vtimezone-differs", 1);
    one(set, T(2026, 6, 30, 0, 0), T(2026, 7, 2, 0, 0), T(2026, 7, 1, 7, 0), T(2026, 7, 1, 8, 0));
    one(set, T(2019, 6, 30, 0, 0), T(2019, 7, 2, 0, 0), T(2019, 7, 1, 7, 0), T(2019, 7, 1, 8, 0));
    cw_diags_free(&d);
    cw_calset_free(set);
}

/* RECURRENCE-ID;RANGE=THISANDFUTURE: the instance and every later one move by the same local
 * time shift and take the override's length and text; earlier ones do not (RFC 5545 3.8.4.4). */
static void range_thisandfuture(void **state)
{
    (void)state;
    cw_diags d;
    cw_calset *set = load_ok("Europe/Paris",
                             EV("f@t", "SUMMARY:Maths\nDTSTART;TZID=Europe/Paris:20260302T090000\n"
                                       "DURATION:PT30M\nRRULE:FREQ=WEEKLY;COUNT=6\nDESCRIPTION:Series: maths\n")
                                 EV("f@t", "SUMMARY:Maths (new time)\nRECURRENCE-ID;RANGE=THISANDFUTURE;"
                                           "TZID=Europe/Paris:20260316T090000\nDTSTART;TZID=Europe/Paris:"
                                           "20260316T103000\nDURATION:PT45M\n"),
                             &d);
    assert_int_equal(d.errors, 0);
    EXPECT_CODE(&d, "cal.thisandfuture", 0);
    cw_occurrences o = expand_all(set, T(2026, 3, 1, 0, 0), T(2026, 4, 10, 0, 0));
    assert_int_equal(o.n, 6);
    static const int64_t starts[6][2] = {{2, 8 * 60}, {9, 8 * 60}, {16, 9 * 60 + 30}, {23, 9 * 60 + 30},
                                         {30, 8 * 60 + 30}, {37, 8 * 60 + 30}}; /* day of March, UTC min */
    for (size_t i = 0; i < 6; i++) {
        int64_t s = T(2026, 3, 1, 0, 0) + (starts[i][0] - 1) * 86400 + starts[i][1] * 60;
        assert_int_equal(o.v[i].start, s);
        assert_int_equal(o.v[i].end - o.v[i].start, i < 2 ? 1800 : 2700);
        assert_string_equal(o.v[i].summary, i < 2 ? "Maths" : "Maths (new time)");
        assert_int_equal(o.v[i].moved, i >= 2);
        long pos;
        cw_error err;
        assert_int_equal(cw_calset_series_position(set, &o.v[i], &pos, &err), 0);
        assert_int_equal(pos, (long)i + 1); /* the instances keep their places in the series */
    }
    /* a window that sees only a shifted instance still finds it */
    cw_occurrences_free(&o);
    one(set, T(2026, 3, 23, 9, 0), T(2026, 3, 23, 10, 0), T(2026, 3, 23, 9, 30), T(2026, 3, 23, 10, 15));
    cw_diags_free(&d);
    cw_calset_free(set);
}

/* DTSTART always counts as the first occurrence (RFC 5545 3.3.10), also in COUNT. */
static void dtstart_first_occurrence(void **state)
{
    (void)state;
    cw_diags d;
    cw_calset *set = load_ok("UTC", EV("d@t", "SUMMARY:x\nDTSTART:20260301T090000Z\nDURATION:PT1H\n"
                                              "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3\n"), &d);
    EXPECT_CODE(&d, "cal.dtstart-not-on-rule", 1);
    cw_occurrences o = expand_all(set, T(2026, 2, 1, 0, 0), T(2026, 5, 1, 0, 0));
    assert_int_equal(o.n, 3);
    assert_int_equal(o.v[0].start, T(2026, 3, 1, 9, 0));
    assert_int_equal(o.v[1].start, T(2026, 3, 2, 9, 0));
    assert_int_equal(o.v[2].start, T(2026, 3, 9, 9, 0));
    cw_occurrences_free(&o);
    cw_diags_free(&d);
    cw_calset_free(set);
}

/* RSCALE (RFC 7529) through libical's ICU calendars, never silently Gregorian; a calendar
 * system it cannot compute is an error that skips the event. */
static void rscale(void **state)
{
    (void)state;
    cw_diags d;
    cw_calset *set = load_ok("UTC", EV("p@t", "SUMMARY:Pesach\nDTSTART;VALUE=DATE:20260402\n"
                                              "RRULE:RSCALE=HEBREW;FREQ=YEARLY;COUNT=3\nCATEGORIES:Holiday\n"),
                             &d);
    assert_int_equal(d.errors, 0);
    cw_occurrences o = expand_all(set, T(2026, 1, 1, 0, 0), T(2029, 1, 1, 0, 0));
    assert_int_equal(o.n, 3);
    /* 15 Nisan: 2 April 2026, 22 April 2027, 11 April 2028 */
    assert_int_equal(o.v[0].start_date.month * 100 + o.v[0].start_date.day, 402);
    assert_int_equal(o.v[1].start_date.year * 10000 + o.v[1].start_date.month * 100 + o.v[1].start_date.day, 20270422);
    assert_int_equal(o.v[2].start_date.year * 10000 + o.v[2].start_date.month * 100 + o.v[2].start_date.day, 20280411);
    cw_occurrences_free(&o);
    cw_diags_free(&d);
    cw_calset_free(set);
    set = NULL;
    assert_int_equal(load_opts(&set, "UTC", EV("m@t", "SUMMARY:x\nDTSTART;VALUE=DATE:20260402\n"
                                                      "RRULE:RSCALE=MARTIAN;FREQ=YEARLY\n"), 0, &d), 0);
    EXPECT_CODE(&d, "cal.rscale-unsupported", 1);
    assert_int_equal(cw_calset_n_skipped(set), 1);
    cw_diags_free(&d);
    cw_calset_free(set);
}

/* A VCALENDAR nested in a VCALENDAR: its events are read (a warning), not lost. */
static void nested_vcalendar(void **state)
{
    (void)state;
    cw_diags d;
    cw_calset *set = load_ok("UTC", "BEGIN:VCALENDAR\nVERSION:2.0\n" EV("n@t", "SUMMARY:x\nDTSTART:20260302T090000Z\n")
                                    "END:VCALENDAR\n", &d);
    EXPECT_CODE(&d, "cal.nested-vcalendar", 1);
    cw_occurrences o = expand_all(set, T(2026, 3, 1, 0, 0), T(2026, 3, 5, 0, 0));
    assert_int_equal(o.n, 1);
    cw_occurrences_free(&o);
    cw_diags_free(&d);
    cw_calset_free(set);
}

/* Durations and dates that overflow are refused with an error (the event skipped). */
static void overflow(void **state)
{
    (void)state;
    static const char *const bodies[] = {
        EV("o@t", "SUMMARY:x\nDTSTART:20260302T090000Z\nDURATION:P999999999999999999W\n"),
        EV("o@t", "SUMMARY:x\nDTSTART:20260302T090000Z\nDURATION:P100000000D\n"),
        EV("o@t", "SUMMARY:x\nDTSTART:99991231T090000Z\nDURATION:P2D\n"),
    };
    static const char *const codes[] = {"cal.duration-overflow", "cal.duration-overflow", "cal.date-overflow"};
    for (size_t i = 0; i < 3; i++) {
        cw_diags d;
        cw_calset *set = NULL;
        assert_int_equal(load_opts(&set, "UTC", bodies[i], 0, &d), 0);
        EXPECT_CODE(&d, codes[i], 1);
        assert_int_equal(cw_calset_n_skipped(set), 1);
        cw_occurrences o = expand_all(set, T(2026, 1, 1, 0, 0), T(2027, 1, 1, 0, 0));
        assert_int_equal(o.n, 0);
        cw_occurrences_free(&o);
        cw_diags_free(&d);
        cw_calset_free(set);
    }
}

/* Duplicate UIDs never lose an event silently: four different events sharing a UID (equal
 * SEQUENCE) are all kept; an identical copy is one event; a newer SEQUENCE replaces. */
static void duplicate_uids(void **state)
{
    (void)state;
    cw_diags d;
    cw_calset *set = load_ok("UTC", EV("same@t", "SUMMARY:a\nDTSTART:20260302T090000Z\n")
                                    EV("same@t", "SUMMARY:b\nDTSTART:20260303T090000Z\n")
                                    EV("same@t", "SUMMARY:c\nDTSTART:20260304T090000Z\n")
                                    EV("same@t", "SUMMARY:d\nDTSTART:20260305T090000Z\n")
                                    EV("copy@t", "SUMMARY:e\nDTSTART:20260306T090000Z\n")
                                    EV("copy@t", "SUMMARY:e\nDTSTART:20260306T090000Z\n")
                                    EV("seq@t", "SUMMARY:old\nDTSTART:20260307T090000Z\nSEQUENCE:1\n")
                                    EV("seq@t", "SUMMARY:new\nDTSTART:20260308T090000Z\nSEQUENCE:2\n"),
                             &d);
    EXPECT_CODE(&d, "cal.duplicate-uid", 5);
    cw_occurrences o = expand_all(set, T(2026, 3, 1, 0, 0), T(2026, 3, 10, 0, 0));
    assert_int_equal(o.n, 6);
    const char *want[] = {"a", "b", "c", "d", "e", "new"};
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(o.v[i].summary, want[i]);
    assert_string_equal(o.v[0].uid, "same@t");
    assert_non_null(strstr(o.v[1].uid, "same@t#L"));
    cw_occurrences_free(&o);
    cw_diags_free(&d);
    cw_calset_free(set);
}

/* One broken event costs nothing else: it is skipped with an error naming it (FILE:LINE, UID,
 * SUMMARY), listed by cw_calset_skipped and placed by cw_calset_expand_skipped; a broken moved
 * instance takes its instance off the air and is placed at its own start. */
static void one_broken_event(void **state)
{
    (void)state;
    cw_diags d;
    cw_calset *set = NULL;
    assert_int_equal(load_opts(&set, "UTC",
                               EV("a@t", "SUMMARY:Maths\nDTSTART:20260302T090000Z\nDURATION:PT30M\n"
                                         "RRULE:FREQ=WEEKLY;COUNT=3\n")
                                   EV("b@t", "SUMMARY:English\nDTSTART:20260302T100000Z\nDTEND:20260302T"
                                             "090000Z\nRRULE:FREQ=WEEKLY;COUNT=2\n")
                                       EV("c@t", "SUMMARY:Science\nDTSTART:20260304T090000Z\n")
                                           EV("a@t", "SUMMARY:Maths moved\nRECURRENCE-ID:20260309T090000Z\n"
                                                     "DTSTART:20260310T090000Z\nDTEND:20260310T080000Z\n")
                                               EV("n@t", "SUMMARY:No start\nDURATION:PT1H\n"),
                               0, &d),
                     0);
    assert_int_equal(d.errors, 3);
    const char *text = NULL;
    assert_int_equal(count_code(&d, "cal.dtend-before-dtstart", &text), 2);
    assert_non_null(strstr(text, "event 'English' (UID b@t) skipped: DTEND is before DTSTART"));
    assert_int_equal(cw_calset_n_skipped(set), 3);
    const cw_cal_skipped *s = cw_calset_skipped(set, 0);
    assert_string_equal(s->file, "t.ics");
    assert_int_equal(s->line, 12);
    assert_string_equal(s->uid, "b@t");
    assert_string_equal(s->summary, "English");
    assert_string_equal(s->code, "cal.dtend-before-dtstart");
    assert_true(s->placeable);
    assert_false(cw_calset_skipped(set, 2)->placeable); /* no DTSTART: cannot be placed */
    assert_null(cw_calset_skipped(set, 3));
    cw_occurrences o = expand_all(set, T(2026, 3, 1, 0, 0), T(2026, 4, 1, 0, 0));
    assert_int_equal(o.n, 3); /* Maths 2 and 16 March (9 March's is broken), Science */
    assert_int_equal(o.v[0].start, T(2026, 3, 2, 9, 0));
    assert_int_equal(o.v[1].start, T(2026, 3, 4, 9, 0));
    assert_int_equal(o.v[2].start, T(2026, 3, 16, 9, 0));
    cw_occurrences_free(&o);
    cw_error err;
    assert_int_equal(cw_calset_expand_skipped(set, T(2026, 3, 1, 0, 0), T(2026, 4, 1, 0, 0), &o, &err), 0);
    assert_int_equal(o.n, 3); /* English twice, the moved Maths once */
    assert_string_equal(o.v[0].uid, "b@t");
    assert_int_equal(o.v[0].start, T(2026, 3, 2, 10, 0));
    assert_non_null(strstr(o.v[0].skipped, "DTEND is before DTSTART"));
    assert_string_equal(o.v[1].uid, "b@t");
    assert_string_equal(o.v[2].uid, "a@t");
    assert_int_equal(o.v[2].start, T(2026, 3, 10, 9, 0));
    cw_occurrences_free(&o);
    cw_diags_free(&d);
    cw_calset_free(set);
}

/* A file that holds a bare VEVENT, an end that cannot be read, a line of Windows-1252. */
static void odd_files(void **state)
{
    (void)state;
    const char text[] = "BEGIN:VEVENT\r\nUID:bare@t\r\nSUMMARY:x\r\nDTSTART:20260302T090000Z\r\n"
                        "DTEND:None\r\nEND:VEVENT\r\n";
    cw_calset *set = cw_calset_new("UTC");
    cw_diags d = {0};
    cw_error err;
    assert_int_equal(cw_calset_add_data(set, text, sizeof text - 1, "bare.ics", 0, &d, &err), 0);
    EXPECT_CODE(&d, "cal.bare-component", 1);
    EXPECT_CODE(&d, "cal.bad-end", 1);
    assert_int_equal(d.errors, 0);
    one(set, T(2026, 3, 1, 0, 0), T(2026, 3, 5, 0, 0), T(2026, 3, 2, 9, 0), T(2026, 3, 2, 9, 0));
    cw_diags_free(&d);
    cw_calset_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(thunderbird_dtend_and_duration),
        cmocka_unit_test(outlook_zone_names),
        cmocka_unit_test(customized_time_zone),
        cmocka_unit_test(value_types),
        cmocka_unit_test(stray_lines),
        cmocka_unit_test(calendarlabs),
        cmocka_unit_test(dtend_in_dtstart_zone),
        cmocka_unit_test(iana_vtimezone_partial),
        cmocka_unit_test(range_thisandfuture),
        cmocka_unit_test(dtstart_first_occurrence),
        cmocka_unit_test(rscale),
        cmocka_unit_test(nested_vcalendar),
        cmocka_unit_test(overflow),
        cmocka_unit_test(duplicate_uids),
        cmocka_unit_test(one_broken_event),
        cmocka_unit_test(odd_files),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    cw_cal_cleanup();
    return rc;
}
