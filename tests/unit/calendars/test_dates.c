/* test_dates.c — dates and times that do not exist (30 February, 25:00, month 13) in DTSTART,
 * DTEND, RECURRENCE-ID, EXDATE, RDATE and an RRULE's UNTIL are errors on their own line, read
 * from the raw text (libical would silently move them to another day); real dates around
 * them (leap days, leap seconds, folded lines, quoted TZIDs, a VALARM's trigger) are fine. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "calendars.h"

/* Load one VEVENT whose extra lines are `lines` (CRLF-separated); returns the diagnostics. */
static int load_event(const char *lines, cw_diags *d)
{
    char text[4096];
    snprintf(text, sizeof text,
             "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"  /* lines 1-3 */
             "BEGIN:VEVENT\r\nUID:e@t\r\nDTSTAMP:20260101T000000Z\r\n" /* lines 4-6 */
             "%s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", lines);
    cw_calset *set = cw_calset_new("Europe/Paris");
    assert_non_null(set);
    memset(d, 0, sizeof *d);
    cw_error err;
    memset(&err, 0, sizeof err);
    int rc = cw_calset_add_data(set, text, strlen(text), "t.ics", 0, d, &err);
    cw_calset_free(set);
    return rc;
}

/* Exactly one error, on `line`, whose text contains `needle`: the event is skipped (the
 * file is still read) and the error names it. */
static void expect_error(const char *lines, int line, const char *needle)
{
    cw_diags d;
    int rc = load_event(lines, &d);
    if (rc != 0 || d.errors != 1 || d.v[0].line != line || !strstr(d.v[0].text, needle) ||
        strncmp(d.v[0].text, "event '(no title)' (UID e@t) skipped: ", 38) != 0) {
        fail_msg("for [%s]: rc %d, %zu errors, first on line %d: %s (wanted line %d: %s)", lines, rc,
                 d.errors, d.n ? d.v[0].line : 0, d.n ? d.v[0].text : "-", line, needle);
    }
    cw_diags_free(&d);
}

static void expect_fine(const char *lines)
{
    cw_diags d;
    int rc = load_event(lines, &d);
    if (rc != 0 || d.errors != 0)
        fail_msg("for [%s]: rc %d, first: %s", lines, rc, d.n ? d.v[0].text : "-");
    cw_diags_free(&d);
}

static void impossible_dates_are_errors(void **state)
{
    (void)state;
    expect_error("DTSTART:20260230T070000Z", 7,
                 "DTSTART has 2026-02-30, a day that does not exist (February 2026 has 28 days;");
    expect_error("DTSTART;VALUE=DATE-TIME:20260230T070000Z", 7, "2026-02-30");
    expect_error("DTSTART;VALUE=DATE:20260229", 7, "February 2026 has 28 days");
    expect_error("DTSTART;VALUE=DATE:21000229", 7, "February 2100 has 28 days");
    expect_error("DTSTART;TZID=Europe/Paris:20260431T090000", 7, "April 2026 has 30 days");
    expect_error("DTSTART:20260101T250000Z", 7, "the time 25:00:00, which does not exist");
    expect_error("DTSTART:20260101T076000", 7, "the time 07:60:00");
    expect_error("DTSTART:20260101T070061Z", 7, "the time 07:00:61");
    expect_error("DTSTART:00000101T070000Z", 7, "the year 0000");
    /* month 13 was already refused (after libical's parse): still exactly one error */
    expect_error("DTSTART:20261301T070000Z", 7, "month 13 in 20261301");
    expect_error("DTSTART:20260100T070000Z", 7, "2026-01-00");
    expect_error("DTSTART:20260101T070000Z\r\nDTEND:20260132T080000Z", 8, "DTEND has 2026-01-32");
    expect_error("DTSTART:20260101T070000Z\r\nRRULE:FREQ=DAILY;UNTIL=20260631T000000Z", 8,
                 "the RRULE's UNTIL has 2026-06-31");
    expect_error("DTSTART;VALUE=DATE:20260101\r\nRRULE:FREQ=DAILY;UNTIL=20260229", 8,
                 "the RRULE's UNTIL has 2026-02-29");
    expect_error("DTSTART:20260101T070000Z\r\nEXDATE:20260102T070000Z,20260230T070000Z", 8,
                 "EXDATE has 2026-02-30");
    /* several on one line: one error, counting the others */
    expect_error("DTSTART:20260101T070000Z\r\nEXDATE:20260230T070000Z,20260431T070000Z,20260931T070000Z",
                 8, "EXDATE has 2026-02-30, a day that does not exist, and 2 more impossible values");
    expect_error("DTSTART:20260101T070000Z\r\nRDATE:20260102T070000Z\r\nRDATE:20261131T070000Z", 9,
                 "RDATE has 2026-11-31");
    expect_error("DTSTART:20260101T070000Z\r\nRDATE;VALUE=PERIOD:20260105T070000Z/20260105T246000Z", 8,
                 "RDATE has the time 24:60:00");
    expect_error("DTSTART:20260101T070000Z\r\nRDATE;VALUE=PERIOD:20260230T070000Z/PT1H", 8,
                 "RDATE has 2026-02-30");
    expect_error("DTSTART:20260101T070000Z\r\nRECURRENCE-ID:20260931T070000Z", 8,
                 "RECURRENCE-ID has 2026-09-31");
    /* folded: the error is on the property's first line */
    expect_error("DTSTART:20260101T070000Z\r\nEXDATE:20260102T070000Z,\r\n 20260230T070000Z", 8,
                 "EXDATE has 2026-02-30");
    /* a quoted TZID holding a colon does not hide the value */
    expect_error("DTSTART;TZID=\"Europe/Paris\":20260230T090000", 7, "2026-02-30");
}

static void real_dates_are_fine(void **state)
{
    (void)state;
    expect_fine("DTSTART;VALUE=DATE:20280229");                  /* leap year */
    expect_fine("DTSTART;VALUE=DATE:20000229");                  /* divisible by 400 */
    expect_fine("DTSTART:20261231T235960Z");                     /* RFC 5545 allows second 60 */
    expect_fine("DTSTART:20260101T000000Z\r\nDTEND:20260101T235959Z");
    expect_fine("DTSTART:20260101T070000Z\r\nRRULE:FREQ=DAILY;UNTIL=20260228T235959Z");
    expect_fine("DTSTART:20260101T070000Z\r\nRDATE;VALUE=PERIOD:20260105T070000Z/PT1H30M");
    expect_fine("DTSTART:20260101T070000Z\r\nEXDATE:20260102T070000Z,\r\n 20260103T070000Z");
    /* another component's trigger is not an event date */
    expect_fine("DTSTART:20260101T070000Z\r\nBEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:x\r\n"
                "TRIGGER;VALUE=DATE-TIME:20260230T070000Z\r\nEND:VALARM");
    /* a description that merely mentions a date is text */
    expect_fine("DTSTART:20260101T070000Z\r\nDESCRIPTION:DTSTART:20260230T070000Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(impossible_dates_are_errors),
        cmocka_unit_test(real_dates_are_fine),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
