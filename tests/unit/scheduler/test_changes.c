/* test_changes.c — the station's own changes and the missed-episode policies, on days
 * planned from real iCalendar text (cw_plan_day_with): a hold (closed and open-ended) keeps
 * the series' place; a restart counts again from its episode (blackouts after it still do
 * not count); a cancel does not use up an episode; a move takes the lesson to another day
 * with its number; 'missed = skip' moves on, 'missed = hold' waits for the episode — judged
 * by the library, and by records (a history source) when there are some. Also
 * calendars/station.ics: written deterministically, read back, refused with the line. */
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

/* A daily maths lesson at 09:00 UTC from Monday 2 March 2026; a holiday on 12 March. */
static const char *school =
    VCAL_BEGIN
    "BEGIN:VEVENT\r\nUID:maths@school\r\nDTSTAMP:20260101T000000Z\r\n"
    "DTSTART:20260302T090000Z\r\nDTEND:20260302T093000Z\r\nRRULE:FREQ=DAILY\r\n"
    "SUMMARY:Maths P5\r\nDESCRIPTION:Series: maths\\nTeacher: Mr Bello\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:hol@school\r\nDTSTAMP:20260101T000000Z\r\n"
    "DTSTART;VALUE=DATE:20260312\r\nDTEND;VALUE=DATE:20260313\r\n"
    "SUMMARY:Holiday\r\nCATEGORIES:holiday\r\nEND:VEVENT\r\n" VCAL_END;

static fx_lib lib;
static char paths[40][64];

/* maths episodes 1..30 except those listed in `without` (0-terminated) */
static void make_lib(const int *without)
{
    memset(&lib, 0, sizeof lib);
    for (int e = 1; e <= 30; e++) {
        int skip = 0;
        for (const int *w = without; w && *w; w++) skip |= *w == e;
        if (skip) continue;
        snprintf(paths[e], sizeof paths[e], "library/lesson/maths/%03d-x.ogg", e);
        fx_rec(&lib, CW_KIND_LESSON, paths[e], "maths", e, 600);
    }
}

static cw_calset *load(void)
{
    cw_calset *set = cw_calset_new("UTC");
    cw_error err = {0};
    if (cw_calset_add_data(set, school, strlen(school), "school.ics", 0, NULL, &err)) fail_msg("%s", err.text);
    return set;
}

/* The 09:00 maths slot of a day (or any maths slot at `hour`). */
static const cw_plan_slot *maths_at(const cw_plan *p, int hour)
{
    for (size_t i = 0; i < p->n_slots; i++) {
        const cw_plan_slot *s = &p->slots[i];
        if (s->kind == CW_KIND_LESSON && !strcmp(s->series, "maths") && (s->start_utc / 3600) % 24 == hour) return s;
    }
    return NULL;
}

static cw_plan *plan(const cw_plan_inputs *in, int d)
{
    cw_plan *p = NULL;
    cw_error err = {0};
    if (cw_plan_day_with(&p, in, (cw_date){2026, 3, d}, &err)) fail_msg("plan 2026-03-%02d: %s", d, err.text);
    return p;
}

/* Episode of the 09:00 lesson on 2026-03-d, or -status-1 when it does not air. */
static int episode_on(const cw_plan_inputs *in, int d, cw_slot_status *status)
{
    cw_plan *p = plan(in, d);
    const cw_plan_slot *s = maths_at(p, 9);
    if (!s) fail_msg("2026-03-%02d: no 09:00 slot", d);
    int ep = s->episode;
    if (status) *status = s->status;
    cw_plan_free(p);
    return ep;
}

static void add(cw_station_changes *ch, cw_station_change c)
{
    assert_int_equal(cw_station_changes_add(ch, &c), 0);
}

static void test_hold(void **state)
{
    (void)state;
    cw_station *st = fx_station();
    cw_calset *set = load();
    make_lib(NULL);
    cw_station_changes ch = {0};
    add(&ch, (cw_station_change){.action = CW_CHANGE_HOLD, .series = "Maths", .from = {2026, 3, 4}, .until = {2026, 3, 5}});
    cw_plan_inputs in = {st, set, &lib.lib, NULL, &ch, NULL};
    cw_slot_status s;
    assert_int_equal(episode_on(&in, 3, &s), 2);
    assert_int_equal(s, CW_SLOT_AIRS);
    episode_on(&in, 4, &s);
    assert_int_equal(s, CW_SLOT_HELD);
    episode_on(&in, 5, &s);
    assert_int_equal(s, CW_SLOT_HELD);
    /* resumes with the episode that was due; the holiday on the 12th does not count either */
    assert_int_equal(episode_on(&in, 6, &s), 3);
    assert_int_equal(s, CW_SLOT_AIRS);
    assert_int_equal(episode_on(&in, 11, NULL), 8);
    assert_int_equal(episode_on(&in, 13, NULL), 9);
    cw_plan *p = plan(&in, 4);
    const cw_plan_slot *h = maths_at(p, 9);
    assert_true(h->station_change);
    assert_int_equal(h->episode, 3); /* the episode that waits */
    assert_non_null(strstr(h->reason, "held by the station from 2026-03-04 to 2026-03-05"));
    assert_int_equal(h->n_items, 0);
    assert_int_equal(fx_count_code(&p->warnings, "plan.held"), 1);
    cw_plan_free(p);
    /* open-ended: held until removed */
    cw_station_changes_free(&ch);
    add(&ch, (cw_station_change){.action = CW_CHANGE_HOLD, .series = "maths", .from = {2026, 3, 4}});
    episode_on(&in, 20, &s);
    assert_int_equal(s, CW_SLOT_HELD);
    assert_int_equal(episode_on(&in, 3, NULL), 2);
    cw_station_changes_free(&ch);
    cw_calset_free(set);
    fx_station_free(st);
}

static void test_restart(void **state)
{
    (void)state;
    cw_station *st = fx_station();
    cw_calset *set = load();
    make_lib(NULL);
    cw_station_changes ch = {0};
    add(&ch, (cw_station_change){.action = CW_CHANGE_RESTART, .series = "maths", .from = {2026, 3, 10}, .episode = 1});
    cw_plan_inputs in = {st, set, &lib.lib, NULL, &ch, NULL};
    assert_int_equal(episode_on(&in, 9, NULL), 8);
    assert_int_equal(episode_on(&in, 10, NULL), 1);
    assert_int_equal(episode_on(&in, 11, NULL), 2);
    /* the 12th is a holiday: the 13th plays 3 */
    assert_int_equal(episode_on(&in, 13, NULL), 3);
    /* a second restart later wins from its date */
    add(&ch, (cw_station_change){.action = CW_CHANGE_RESTART, .series = "maths", .from = {2026, 3, 16}, .episode = 7});
    assert_int_equal(episode_on(&in, 15, NULL), 5);
    assert_int_equal(episode_on(&in, 16, NULL), 7);
    assert_int_equal(episode_on(&in, 17, NULL), 8);
    /* a series that started before the station joined: restart at 1 the day it joins */
    cw_station_changes_free(&ch);
    add(&ch, (cw_station_change){.action = CW_CHANGE_RESTART, .series = "maths", .from = {2026, 3, 2}, .episode = 4});
    assert_int_equal(episode_on(&in, 2, NULL), 4);
    assert_int_equal(episode_on(&in, 3, NULL), 5);
    cw_station_changes_free(&ch);
    cw_calset_free(set);
    fx_station_free(st);
}

static void test_cancel_and_move(void **state)
{
    (void)state;
    cw_station *st = fx_station();
    cw_calset *set = load();
    make_lib(NULL);
    cw_station_changes ch = {0};
    int64_t mar4 = DAY0 - 12 * 86400 + 9 * 3600; /* 2026-03-04 09:00 UTC */
    add(&ch, (cw_station_change){.action = CW_CHANGE_CANCEL, .event_file = "school.ics", .event_uid = "maths@school",
                                 .recurrence_id = "20260304T090000Z", .orig_start = mar4});
    cw_plan_inputs in = {st, set, &lib.lib, NULL, &ch, NULL};
    cw_slot_status s;
    assert_int_equal(episode_on(&in, 3, NULL), 2);
    episode_on(&in, 4, &s);
    assert_int_equal(s, CW_SLOT_CANCELLED);
    cw_plan *p = plan(&in, 4);
    assert_true(maths_at(p, 9)->station_change);
    assert_non_null(strstr(maths_at(p, 9)->reason, "cancelled by the station"));
    cw_plan_free(p);
    /* it did not use up episode 3 */
    assert_int_equal(episode_on(&in, 5, NULL), 3);
    assert_int_equal(episode_on(&in, 6, NULL), 4);

    /* move the 4 March lesson to 5 March 15:00: it keeps its number (3) */
    cw_station_changes_free(&ch);
    add(&ch, (cw_station_change){.action = CW_CHANGE_MOVE, .event_file = "school.ics", .event_uid = "maths@school",
                                 .recurrence_id = "20260304T090000Z", .orig_start = mar4,
                                 .start = mar4 + 86400 + 6 * 3600, .end = mar4 + 86400 + 6 * 3600 + 1800});
    p = plan(&in, 4);
    assert_null(maths_at(p, 9)); /* gone from its own day */
    cw_plan_free(p);
    p = plan(&in, 5);
    const cw_plan_slot *moved = maths_at(p, 15), *own = maths_at(p, 9);
    assert_non_null(moved);
    assert_int_equal(moved->episode, 3);
    assert_int_equal(moved->status, CW_SLOT_AIRS);
    assert_true(moved->station_change);
    assert_string_equal(moved->reason, "moved by the station from 2026-03-04 09:00");
    assert_string_equal(moved->recording, "library/lesson/maths/003-x.ogg");
    assert_int_equal(own->episode, 4);
    assert_int_equal(p->items[moved->first_item].offset_samples, OFF(15, 0));
    cw_plan_free(p);
    cw_station_changes_free(&ch);
    cw_calset_free(set);
    fx_station_free(st);
}

/* A history source from a table: (day, aired, episode). */
typedef struct rec {
    int day;
    cw_aired aired;
    int episode;
} rec;
static const rec *records;
static int asked;

static cw_aired table_aired(void *user, const cw_occurrence *inst, cw_date day, int *episode)
{
    (void)user;
    asked++;
    assert_string_equal(inst->uid, "maths@school");
    assert_int_equal(day.month, 3);
    for (const rec *r = records; r && r->day; r++)
        if (r->day == day.day) {
            *episode = r->episode;
            return r->aired;
        }
    return CW_AIRED_UNKNOWN;
}

static void test_missed_policies(void **state)
{
    (void)state;
    cw_station *st = fx_station();
    cw_calset *set = load();
    static const int without3[] = {3, 0};
    make_lib(without3);
    cw_plan_inputs in = {st, set, &lib.lib, NULL, NULL, NULL};
    cw_slot_status s;
    /* skip (default): the series moves on */
    assert_int_equal(episode_on(&in, 4, &s), 3);
    assert_int_equal(s, CW_SLOT_MISSING);
    assert_int_equal(episode_on(&in, 5, &s), 4);
    assert_int_equal(s, CW_SLOT_AIRS);
    /* hold: the series waits for episode 3, judged by the library */
    st->missed = CW_MISSED_HOLD;
    assert_int_equal(episode_on(&in, 3, NULL), 2);
    assert_int_equal(episode_on(&in, 4, &s), 3);
    assert_int_equal(s, CW_SLOT_MISSING);
    assert_int_equal(episode_on(&in, 5, &s), 3);
    assert_int_equal(s, CW_SLOT_MISSING);
    assert_int_equal(episode_on(&in, 9, NULL), 3);
    /* episode 3 arrives: with no records, every day since is judged by the library as it is */
    make_lib(NULL);
    assert_int_equal(episode_on(&in, 5, NULL), 4);
    /* records (what was built and sent to air) say the 4th and 5th missed it: the 6th plays 3 */
    static const rec missed2[] = {{3, CW_AIRED_YES, 2}, {4, CW_AIRED_NO, 0}, {5, CW_AIRED_NO, 0}, {0, 0, 0}};
    records = missed2;
    cw_air_history hist = {table_aired, NULL};
    in.history = &hist;
    asked = 0;
    assert_int_equal(episode_on(&in, 6, &s), 3);
    assert_int_equal(s, CW_SLOT_AIRS);
    assert_true(asked >= 3 && asked <= 6); /* the walk stopped at the 3rd's record, it did not ask about every day */
    assert_int_equal(episode_on(&in, 7, NULL), 4); /* the 6th has no record: it aired 3 by the library */
    /* a record's episode anchors the count, whatever the calendar says */
    static const rec anchored[] = {{5, CW_AIRED_YES, 11}, {0, 0, 0}};
    records = anchored;
    assert_int_equal(episode_on(&in, 6, NULL), 12);
    /* hold and restart together: the walk starts at the restart */
    cw_station_changes ch = {0};
    add(&ch, (cw_station_change){.action = CW_CHANGE_RESTART, .series = "maths", .from = {2026, 3, 6}, .episode = 1});
    in.changes = &ch;
    records = NULL;
    assert_int_equal(episode_on(&in, 6, NULL), 1);
    assert_int_equal(episode_on(&in, 7, NULL), 2);
    cw_station_changes_free(&ch);
    /* the same day planned twice, in any order, gives the same plan */
    in.changes = NULL;
    in.history = NULL;
    make_lib(without3);
    cw_plan *a = plan(&in, 8), *b = plan(&in, 2), *c = plan(&in, 8);
    cw_buf ja, jc;
    cw_buf_init(&ja);
    cw_buf_init(&jc);
    assert_int_equal(cw_plan_to_json(a, &ja), 0);
    assert_int_equal(cw_plan_to_json(c, &jc), 0);
    assert_string_equal(ja.data, jc.data);
    cw_buf_free(&ja);
    cw_buf_free(&jc);
    cw_plan_free(a);
    cw_plan_free(b);
    cw_plan_free(c);
    cw_calset_free(set);
    fx_station_free(st);
}

/* ---- calendars/station.ics ---------------------------------------------------------- */

static void sample_changes(cw_station_changes *ch)
{
    memset(ch, 0, sizeof *ch);
    add(ch, (cw_station_change){.action = CW_CHANGE_HOLD, .series = "maths-g5", .from = {2026, 12, 7},
                                .until = {2026, 12, 18}, .note = "teacher on leave; back after the 18th, ok?"});
    add(ch, (cw_station_change){.action = CW_CHANGE_HOLD, .series = "eng", .from = {2026, 12, 7}});
    add(ch, (cw_station_change){.action = CW_CHANGE_RESTART, .series = "eng", .from = {2027, 1, 4}, .episode = 3});
    add(ch, (cw_station_change){.action = CW_CHANGE_MOVE, .event_file = "county.ics",
                                .event_uid = "a-very-long-uid-from-google-0123456789abcdef0123456789abcdef@google.com",
                                .recurrence_id = "20261210T070000Z", .orig_start = 1796886000,
                                .start = 1796986000, .end = 1796987800});
    add(ch, (cw_station_change){.action = CW_CHANGE_CANCEL, .event_file = "county.ics", .event_uid = "single@x",
                                .orig_start = 1796886000});
}

static void test_file_round_trip(void **state)
{
    (void)state;
    cw_station_changes ch, back;
    sample_changes(&ch);
    assert_string_equal(ch.v[0].id, "hold-maths-g5-20261207");
    assert_string_equal(ch.v[2].id, "restart-eng-20270104");
    assert_true(!strncmp(ch.v[3].id, "move-20261210-", 14));
    /* the same hold twice gets its own id */
    cw_station_change again = ch.v[0];
    again.id = NULL;
    assert_int_equal(cw_station_changes_add(&ch, &again), 0);
    assert_string_equal(ch.v[5].id, "hold-maths-g5-20261207~2");
    assert_int_equal(cw_station_changes_remove(&ch, "hold-maths-g5-20261207~2"), 0);
    assert_int_equal(cw_station_changes_remove(&ch, "nope"), CW_ENOTFOUND);
    cw_buf a, b;
    cw_buf_init(&a);
    cw_buf_init(&b);
    assert_int_equal(cw_station_changes_to_ics(&ch, "Africa/Nairobi", &a), 0);
    /* RFC 5545 shape: CRLF, lines folded at 75 octets, text escaped */
    for (const char *p = a.data; *p;) {
        const char *nl = strstr(p, "\r\n");
        assert_non_null(nl);
        assert_true(nl - p <= 75);
        p = nl + 2;
    }
    assert_non_null(strstr(a.data, "DESCRIPTION:teacher on leave\\; back after the 18th\\, ok?\r\n"));
    assert_non_null(strstr(a.data, "DTSTART;VALUE=DATE:20261207\r\nDTEND;VALUE=DATE:20261219\r\n"));
    assert_non_null(strstr(a.data, "X-CHALKWAVE-CHANGE:cancel\r\n"));
    cw_error err = {0};
    if (cw_station_changes_parse(&back, a.data, a.len, "station.ics", &err)) fail_msg("%s", err.text);
    assert_int_equal(back.n, ch.n);
    for (size_t i = 0; i < ch.n; i++) {
        assert_int_equal(back.v[i].action, ch.v[i].action);
        assert_string_equal(back.v[i].id, ch.v[i].id);
        assert_string_equal(back.v[i].series, ch.v[i].series);
        assert_int_equal(cw_date_cmp(back.v[i].from, ch.v[i].from), 0);
        assert_int_equal(back.v[i].until.year, ch.v[i].until.year);
        assert_int_equal(back.v[i].episode, ch.v[i].episode);
        assert_string_equal(back.v[i].event_uid, ch.v[i].event_uid);
        assert_string_equal(back.v[i].recurrence_id, ch.v[i].recurrence_id);
        assert_int_equal(back.v[i].orig_start, ch.v[i].orig_start);
        assert_int_equal(back.v[i].start, ch.v[i].start);
        assert_int_equal(back.v[i].end, ch.v[i].end);
        assert_string_equal(back.v[i].note, ch.v[i].note);
    }
    assert_int_equal(cw_station_changes_to_ics(&back, "Africa/Nairobi", &b), 0);
    assert_string_equal(a.data, b.data); /* deterministic */
    cw_station_changes_free(&back);
    /* LF line ends and a calendar app's extra properties and components are fine */
    char *lf = cw_strdup(a.data);
    char *w = lf;
    for (const char *r = lf; *r; r++)
        if (*r != '\r') *w++ = *r;
    *w = 0;
    char *extra = cw_asprintf("%.*sBEGIN:VTODO\nUID:x\nEND:VTODO\n%s", (int)(strstr(lf, "BEGIN:VEVENT") - lf), lf,
                              strstr(lf, "BEGIN:VEVENT"));
    assert_int_equal(cw_station_changes_parse(&back, extra, strlen(extra), "station.ics", &err), 0);
    assert_int_equal(back.n, ch.n);
    cw_station_changes_free(&back);
    free(extra);
    free(lf);
    cw_buf_free(&a);
    cw_buf_free(&b);
    cw_station_changes_free(&ch);
}

static void test_file_refusals(void **state)
{
    (void)state;
    static const struct {
        const char *text, *want;
        int line;
    } bad[] = {
        {"BEGIN:VEVENT\nEND:VEVENT\n", "does not start with BEGIN:VCALENDAR", 1},
        {"BEGIN:VCALENDAR\nBEGIN:VEVENT\nX-CHALKWAVE-CHANGE:hold\nEND:VEVENT\nEND:VCALENDAR\n", "has no UID", 2},
        {"BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nX-CHALKWAVE-CHANGE:pause\nEND:VEVENT\nEND:VCALENDAR\n",
         "must be hold, restart, move or cancel", 2},
        {"BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nX-CHALKWAVE-CHANGE:hold\nDTSTART;VALUE=DATE:20261307\n", "YYYYMMDD", 5},
        {"BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nX-CHALKWAVE-CHANGE:hold\nDTSTART;VALUE=DATE:20261207\nEND:VEVENT\n"
         "END:VCALENDAR\n",
         "needs X-CHALKWAVE-SERIES", 2},
        {"BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nX-CHALKWAVE-CHANGE:restart\nX-CHALKWAVE-SERIES:x\n"
         "DTSTART;VALUE=DATE:20261207\nEND:VEVENT\nEND:VCALENDAR\n",
         "needs X-CHALKWAVE-EPISODE", 2},
        {"BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nX-CHALKWAVE-CHANGE:move\nX-CHALKWAVE-TARGET-FILE:f\n"
         "X-CHALKWAVE-TARGET-UID:u\nX-CHALKWAVE-TARGET-START:20261210T070000Z\nDTSTART:20261211T070000Z\n"
         "DTEND:20261211T060000Z\nEND:VEVENT\nEND:VCALENDAR\n",
         "a later DTEND", 2},
        {"BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\nX-CHALKWAVE-CHANGE:cancel\nX-CHALKWAVE-TARGET-FILE:f\n"
         "X-CHALKWAVE-TARGET-START:2026-12-10\nEND:VEVENT\nEND:VCALENDAR\n",
         "not a UTC time", 6},
        {"BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:a\n", "ends before END:VCALENDAR", 3},
        {"BEGIN:VCALENDAR\nno colon here\nEND:VCALENDAR\n", "not NAME:VALUE", 2},
        {"BEGIN:VCALENDAR\nEND:VEVENT\nEND:VCALENDAR\n", "END does not match", 2},
        {"BEGIN:VCALENDAR\n\xff\nEND:VCALENDAR\n", "not UTF-8", 0},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cw_station_changes ch;
        cw_error err = {0};
        if (cw_station_changes_parse(&ch, bad[i].text, strlen(bad[i].text), "station.ics", &err) != CW_EINVAL)
            fail_msg("case %zu accepted", i);
        assert_int_equal(ch.n, 0);
        if (!strstr(err.text, bad[i].want)) fail_msg("case %zu: '%s' lacks '%s'", i, err.text, bad[i].want);
        if (err.line != bad[i].line) fail_msg("case %zu: line %d, want %d", i, err.line, bad[i].line);
        assert_string_equal(err.source, "station.ics");
    }
}

static void test_file_save_load(void **state)
{
    (void)state;
    char dir[] = "/tmp/cw-changes-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *cal = cw_path_join(dir, "calendars");
    cw_error err = {0};
    assert_int_equal(cw_mkdir_p(cal, &err), 0);
    cw_station_changes ch, back;
    /* no file: no changes */
    assert_int_equal(cw_station_changes_load(&back, dir, &err), 0);
    assert_int_equal(back.n, 0);
    sample_changes(&ch);
    assert_int_equal(cw_station_changes_save(&ch, dir, "UTC", &err), 0);
    assert_int_equal(cw_station_changes_load(&back, dir, &err), 0);
    assert_int_equal(back.n, 5);
    cw_station_changes_free(&back);
    /* an empty list removes the file */
    cw_station_changes_free(&ch);
    assert_int_equal(cw_station_changes_save(&ch, dir, "UTC", &err), 0);
    char *f = cw_path_join(cal, "station.ics");
    assert_false(cw_path_exists(f));
    assert_int_equal(cw_station_changes_save(&ch, dir, "UTC", &err), 0); /* twice is fine */
    free(f);
    char *cmd = cw_asprintf("rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(cal);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hold),
        cmocka_unit_test(test_restart),
        cmocka_unit_test(test_cancel_and_move),
        cmocka_unit_test(test_missed_policies),
        cmocka_unit_test(test_file_round_trip),
        cmocka_unit_test(test_file_refusals),
        cmocka_unit_test(test_file_save_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
