/* test_station_side.c — issue #14's calendar side: HTML descriptions (Google, Outlook) read for
 * their labels, series keys trimmed and lower-case, typos of keys warned about, holidays
 * calendars, the all-day warning, a calendar written for another zone, and what `calendar
 * list` and `import` ask of a set (events, date range, shared UIDs). */
#include "cal_test_util.h"

#define EV(uid, ...) "BEGIN:VEVENT\nUID:" uid "\nDTSTAMP:20260101T000000Z\n" __VA_ARGS__ "END:VEVENT\n"

static cw_occurrence first_of(const cw_calset *set, cw_occurrences *o)
{
    *o = expand_all(set, T(2026, 1, 1, 0, 0), T(2027, 1, 1, 0, 0));
    assert_true(o->n > 0);
    return o->v[0];
}

/* Google's editor: <div>, <br>, entities; Outlook's <p>; keys compared as lower case. */
static void html_descriptions(void **state)
{
    (void)state;
    static const struct {
        const char *desc, *series, *teacher;
    } cases[] = {
        {"<div>Series: maths-g5</div><div>Teacher: Mr Otieno</div>", "maths-g5", "Mr Otieno"},
        {"Series: maths-g5<br>Teacher: Mr Otieno<br>Language: en", "maths-g5", "Mr Otieno"},
        {"<p>Series:&nbsp;MATHS-G5 </p><p>Teacher: Mrs O&#39;Neil &amp; Mr Otieno</p>", "maths-g5",
         "Mrs O'Neil & Mr Otieno"},
        {"<b>Series:</b> Maths-G5<br/>\\n<i>Teacher</i>: Ms Wanjiru<!-- a comment -->", "maths-g5",
         "Ms Wanjiru"},
        {"Series:  English   Grade 4 \\nTeacher: x", "english grade 4", "x"},
        {"a < b and c > d\\nSeries: k", "k", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char body[1024];
        snprintf(body, sizeof body, EV("h@t", "SUMMARY:x\nDTSTART:20260302T090000Z\nDESCRIPTION:%s\n"),
                 cases[i].desc);
        cw_diags d;
        cw_calset *set = load_ok(NULL, body, &d);
        cw_occurrences o;
        cw_occurrence x = first_of(set, &o);
        if (strcmp(x.series, cases[i].series) || strcmp(x.teacher, cases[i].teacher))
            fail_msg("[%s]: series '%s' teacher '%s'", cases[i].desc, x.series, x.teacher);
        cw_occurrences_free(&o);
        cw_diags_free(&d);
        cw_calset_free(set);
    }
}

/* A key that looks like a typo of another (in the file or another calendar of the set) is
 * warned about; keys that differ only in their digits are different series. */
static void series_key_typos(void **state)
{
    (void)state;
    cw_diags d;
    cw_calset *set = load_ok(NULL, EV("a@t", "SUMMARY:x\nDTSTART:20260302T090000Z\nRRULE:FREQ=WEEKLY\n"
                                             "DESCRIPTION:Series: maths-g5\n")
                                   EV("a2@t", "SUMMARY:x\nDTSTART:20260303T090000Z\nRRULE:FREQ=WEEKLY\n"
                                              "DESCRIPTION:Series: maths-g5\n")
                                   EV("b@t", "SUMMARY:x\nDTSTART:20260304T090000Z\nDESCRIPTION:Series: "
                                             "math-g5\n")
                                   EV("c@t", "SUMMARY:x\nDTSTART:20260305T090000Z\nDESCRIPTION:Series: "
                                             "maths-g6\n")
                                   EV("e@t", "SUMMARY:x\nDTSTART:20260306T090000Z\nDESCRIPTION:Series: "
                                             "english-g4\n"),
                             &d);
    cw_diags_free(&d);
    /* a second calendar with a key close to one of the first */
    assert_int_equal(load_opts(&set, NULL, EV("z@t", "SUMMARY:x\nDTSTART:20260307T090000Z\n"
                                                     "DESCRIPTION:Series: englsh-g4\n"), 0, &d), 0);
    cw_diags_free(&d);
    assert_int_equal(cw_calset_check_series_keys(set, 0, &d), 1);
    const char *text = NULL;
    assert_int_equal(count_code(&d, "cal.series-typo", &text), 1);
    assert_non_null(strstr(text, "series 'math-g5' (1 event) looks like a typo of 'maths-g5' (2 events"));
    cw_diags_free(&d);
    assert_int_equal(cw_calset_check_series_keys(set, 1, &d), 1);
    assert_int_equal(count_code(&d, "cal.series-typo", &text), 1);
    assert_non_null(strstr(text, "'englsh-g4'"));
    assert_non_null(strstr(text, "'english-g4'"));
    cw_diags_free(&d);
    /* for ingest: a key of a recording against the calendars */
    const char *sug = NULL;
    assert_int_equal(cw_calset_series_known(set, " MATHS-G5 ", &sug), 1);
    assert_int_equal(cw_calset_series_known(set, "maths-g7", &sug), 0);
    assert_null(sug); /* differs only in a digit: another series, no suggestion */
    assert_int_equal(cw_calset_series_known(set, "Mahts-G5", &sug), 0);
    assert_string_equal(sug, "maths-g5");
    cw_calset_free(set);
}

/* A public-holidays calendar: every all-day event is a blackout; elsewhere an unmarked all-day
 * event gets one warning that says exactly how to mark it. */
static void holidays(void **state)
{
    (void)state;
    const char *body = EV("j@t", "SUMMARY:Jamhuri Day\nDTSTART;VALUE=DATE:20261212\n")
        EV("m@t", "SUMMARY:Madaraka Day\nDTSTART;VALUE=DATE:20260601\n")
            EV("k@t", "SUMMARY:Marked\nDTSTART;VALUE=DATE:20260602\nDESCRIPTION:Kind: holiday\n");
    cw_calset *set = NULL;
    cw_diags d;
    assert_int_equal(load_opts(&set, "Africa/Nairobi", body, 1, &d), 0);
    EXPECT_CODE(&d, "cal.allday-unmarked", 0);
    cw_occurrences o = expand_all(set, T(2026, 1, 1, 0, 0), T(2027, 1, 1, 0, 0));
    assert_int_equal(o.n, 3);
    for (size_t i = 0; i < o.n; i++)
        assert_int_equal(o.v[i].kind, CW_KIND_BLACKOUT);
    cw_occurrences_free(&o);
    cw_diags_free(&d);
    cw_cal_file_info info;
    assert_int_equal(cw_calset_file_info(set, 0, &info), 0);
    assert_true(info.holidays);
    cw_calset_free(set);
    set = NULL;
    assert_int_equal(load_opts(&set, "Africa/Nairobi", body, 0, &d), 0);
    const char *text = NULL;
    assert_int_equal(count_code(&d, "cal.allday-unmarked", &text), 1);
    assert_non_null(strstr(text, "2 all-day events, from 'Jamhuri Day' here on"));
    assert_non_null(strstr(text, "'Kind: holiday'"));
    assert_non_null(strstr(text, "chalkwave calendar import t.ics --holidays"));
    o = expand_all(set, T(2026, 1, 1, 0, 0), T(2027, 1, 1, 0, 0));
    assert_int_equal(o.v[0].kind, CW_KIND_LESSON);
    assert_int_equal(o.v[1].kind, CW_KIND_BLACKOUT);
    cw_occurrences_free(&o);
    cw_diags_free(&d);
    cw_calset_free(set);
}

/* A calendar written for another zone than the station's (X-WR-TIMEZONE or its TZIDs): one
 * warning with an example; none for a zone with the same offsets. */
static void zone_differs(void **state)
{
    (void)state;
    cw_diags d;
    cw_calset *set = load_ok("Africa/Lagos", "X-WR-TIMEZONE:Africa/Nairobi\n"
                             EV("n@t", "SUMMARY:English\nDTSTART;TZID=Africa/Nairobi:20260302T090000\n"), &d);
    const char *text = NULL;
    assert_int_equal(count_code(&d, "cal.zone-differs", &text), 1);
    assert_non_null(strstr(text, "written for Africa/Nairobi but the station is in Africa/Lagos"));
    assert_non_null(strstr(text, "'English' at 09:00 in Africa/Nairobi airs at 07:00 station time"));
    cw_cal_file_info info;
    assert_int_equal(cw_calset_file_info(set, 0, &info), 0);
    assert_string_equal(info.zone, "Africa/Nairobi");
    cw_diags_free(&d);
    cw_calset_free(set);
    /* floating times with X-WR-TIMEZONE are read in it, and warned about like zoned ones */
    set = load_ok("Africa/Lagos", "X-WR-TIMEZONE:Africa/Nairobi\n" EV("f@t", "SUMMARY:x\nDTSTART:20260302T090000\n"), &d);
    EXPECT_CODE(&d, "cal.floating-x-wr-timezone", 1);
    EXPECT_CODE(&d, "cal.zone-differs", 1);
    cw_occurrences o = expand_all(set, T(2026, 3, 1, 0, 0), T(2026, 3, 5, 0, 0));
    assert_int_equal(o.n, 1);
    assert_int_equal(o.v[0].start, T(2026, 3, 2, 6, 0)); /* 09:00 in Nairobi */
    cw_occurrences_free(&o);
    cw_diags_free(&d);
    cw_calset_free(set);
    set = load_ok("Africa/Nairobi", EV("a@t", "SUMMARY:x\nDTSTART;TZID=Africa/Addis_Ababa:20260302T090000\n"), &d);
    EXPECT_CODE(&d, "cal.zone-differs", 0);
    cw_diags_free(&d);
    cw_calset_free(set);
    set = load_ok(NULL, EV("a@t", "SUMMARY:x\nDTSTART;TZID=Africa/Nairobi:20260302T090000\n"), &d);
    EXPECT_CODE(&d, "cal.zone-differs", 0); /* no station: nothing to compare with */
    cw_diags_free(&d);
    cw_calset_free(set);
}

/* `calendar list`: events (a UID with its moved instances is one), skipped ones, the first
 * and last day, open-ended rules; `import`: UIDs shared with an earlier import. */
static void file_info(void **state)
{
    (void)state;
    cw_diags d;
    cw_calset *set = load_ok("UTC", EV("a@t", "SUMMARY:x\nDTSTART:20260302T090000Z\nDURATION:PT1H\n"
                                              "RRULE:FREQ=WEEKLY;COUNT=10\n")
                                    EV("a@t", "SUMMARY:x\nRECURRENCE-ID:20260309T090000Z\n"
                                              "DTSTART:20260310T090000Z\nDURATION:PT1H\n")
                                    EV("b@t", "SUMMARY:y\nDTSTART;VALUE=DATE:20260601\n")
                                    EV("bad@t", "SUMMARY:z\nDTSTART:20260302T090000Z\nDTEND:20260301T090000Z\n"),
                             &d);
    cw_diags_free(&d);
    cw_cal_file_info info;
    assert_int_equal(cw_calset_file_info(set, 0, &info), 0);
    assert_int_equal(info.n_events, 2);
    assert_int_equal(info.n_skipped, 1);
    assert_true(info.has_range);
    assert_false(info.open_ended);
    assert_int_equal(info.first_start, T(2026, 3, 2, 9, 0));
    assert_int_equal(info.last_end, T(2026, 6, 2, 0, 0));
    assert_int_equal(cw_calset_file_info(set, 1, &info), CW_EINVAL);
    assert_int_equal(load_opts(&set, "UTC", EV("a@t", "SUMMARY:x\nDTSTART:20260302T090000Z\nRRULE:FREQ=DAILY\n")
                                                EV("c@t", "SUMMARY:x\nDTSTART:20260302T090000Z\n"), 0, &d), 0);
    cw_diags_free(&d);
    assert_int_equal(cw_calset_file_info(set, 1, &info), 0);
    assert_true(info.open_ended);
    assert_int_equal(cw_calset_n_files(set), 2);
    assert_int_equal(cw_calset_shared_uids(set, 0, 1), 1);
    cw_calset_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(html_descriptions),
        cmocka_unit_test(series_key_typos),
        cmocka_unit_test(holidays),
        cmocka_unit_test(zone_differs),
        cmocka_unit_test(file_info),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    cw_cal_cleanup();
    return rc;
}
