/* test_changes.c — the change report of subscriptions: cw_cal_compare on literal instance
 * lists (every change type, the three matching rules, the window, order, cancelled
 * instances that never aired), and cw_cal_changes_between on two copies of real calendars
 * in Europe/Berlin across both DST changes of 2026 (29 March, 25 October): a moved instance,
 * a whole series moved (new RECURRENCE-IDs), a lesson moved into the spring-forward gap and
 * into the repeated hour, cancelled, EXDATE'd, added, episode shifts, a holiday added — each
 * checked against hand-computed UTC instants and the exact line the station reads. */
#include "cal_test_util.h"

#define H 3600
#define D 86400

static cw_cal_instance inst(const char *uid, const char *rid, int64_t rid_utc, int64_t start, int64_t len,
                            const char *series, long ep)
{
    cw_cal_instance x;
    memset(&x, 0, sizeof x);
    x.uid = uid;
    x.recurrence_id = rid;
    x.recurrence_utc = rid_utc;
    x.summary = "Maths P5";
    x.series = series;
    x.episode = ep;
    x.kind = CW_KIND_LESSON;
    x.start = start;
    x.end = start + len;
    return x;
}

static const cw_cal_change *find(const cw_cal_changes *c, cw_change_type t, const char *uid)
{
    for (size_t i = 0; i < c->n; i++) {
        const cw_cal_instance *x = c->v[i].has_before ? &c->v[i].before : &c->v[i].after;
        if (c->v[i].type == t && !strcmp(x->uid, uid))
            return &c->v[i];
    }
    return NULL;
}

static char *text_of(const cw_cal_change *c, const char *zone)
{
    cw_tz *tz = NULL;
    cw_error err;
    assert_int_equal(cw_tz_open(&tz, zone, &err), 0);
    cw_buf b;
    cw_buf_init(&b);
    cw_cal_change_text(c, tz, &b);
    cw_tz_free(tz);
    assert_false(b.oom);
    return b.data;
}

/* ---- cw_cal_compare ------------------------------------------------------------------------- */

static void test_compare_types(void **state)
{
    (void)state;
    int64_t t0 = T(2026, 3, 10, 8, 0), from = T(2026, 3, 9, 0, 0), to = T(2026, 3, 23, 0, 0);
    cw_cal_instance before[] = {
        inst("moved", "20260310T080000Z", t0, t0, 30 * 60, "maths-p5", 12),
        inst("same", "20260311T080000Z", t0 + D, t0 + D, 30 * 60, "maths-p5", 13),
        inst("gone", "", t0 + 2 * D, t0 + 2 * D, 30 * 60, "", 0),
        inst("cancel", "20260313T080000Z", t0 + 3 * D, t0 + 3 * D, 30 * 60, "", 0),
        inst("restore", "20260316T080000Z", t0 + 6 * D, t0 + 6 * D, 30 * 60, "", 0),
        inst("renumbered", "20260317T080000Z", t0 + 7 * D, t0 + 7 * D, 30 * 60, "maths-p5", 14),
        inst("longer", "", t0 + 8 * D, t0 + 8 * D, 30 * 60, "", 0),
        inst("never", "", t0 + 9 * D, t0 + 9 * D, 30 * 60, "", 0), /* cancelled both times */
        inst("was-cancelled", "", t0 + 4 * D, t0 + 4 * D, 30 * 60, "", 0), /* and now gone */
    };
    before[4].cancelled = 1;
    before[7].cancelled = 1;
    before[8].cancelled = 1;
    cw_cal_instance after[] = {
        inst("moved", "20260310T080000Z", t0, t0 + D + 2 * H, 30 * 60, "maths-p5", 12),
        inst("same", "20260311T080000Z", t0 + D, t0 + D, 30 * 60, "maths-p5", 13),
        inst("cancel", "20260313T080000Z", t0 + 3 * D, t0 + 3 * D, 30 * 60, "", 0),
        inst("restore", "20260316T080000Z", t0 + 6 * D, t0 + 6 * D, 30 * 60, "", 0),
        inst("renumbered", "20260317T080000Z", t0 + 7 * D, t0 + 7 * D, 30 * 60, "maths-p5", 15),
        inst("longer", "", t0 + 8 * D, t0 + 8 * D, 45 * 60, "", 0),
        inst("never", "", t0 + 9 * D, t0 + 9 * D, 30 * 60, "", 0),
        inst("new", "", t0 + 5 * D, t0 + 5 * D, 30 * 60, "", 0),
        inst("new-cancelled", "", t0 + 5 * D, t0 + 5 * D, 30 * 60, "", 0),
    };
    after[2].cancelled = 1;
    after[6].cancelled = 1;
    after[8].cancelled = 1;
    /* the order given does not matter: the after list reversed gives the same report */
    cw_cal_instance rev[9];
    for (int i = 0; i < 9; i++)
        rev[i] = after[8 - i];
    cw_cal_changes c, c2;
    assert_int_equal(cw_cal_compare(before, 9, after, 9, from, to, &c), 0);
    assert_int_equal(cw_cal_compare(before, 9, rev, 9, from, to, &c2), 0);
    assert_int_equal(c.n, 7);
    assert_int_equal(c2.n, c.n);
    for (size_t i = 0; i < c.n; i++) {
        assert_int_equal(c.v[i].type, c2.v[i].type);
        assert_string_equal(c.v[i].has_before ? c.v[i].before.uid : c.v[i].after.uid,
                            c2.v[i].has_before ? c2.v[i].before.uid : c2.v[i].after.uid);
    }
    const cw_cal_change *m = find(&c, CW_CHANGE_MOVED, "moved");
    assert_non_null(m);
    assert_int_equal(m->match, CW_MATCH_RID);
    assert_int_equal(m->what, CW_CHANGED_START | CW_CHANGED_END);
    assert_int_equal(m->before.start, t0);
    assert_int_equal(m->after.start, t0 + D + 2 * H);
    char *s = text_of(m, "UTC");
    assert_string_equal(s, "Maths P5 ep 12 moved from Tue 10 Mar 08:00 to Wed 11 Mar 10:00");
    free(s);
    assert_non_null(find(&c, CW_CHANGE_REMOVED, "gone"));
    assert_non_null(find(&c, CW_CHANGE_CANCELLED, "cancel"));
    assert_non_null(find(&c, CW_CHANGE_RESTORED, "restore"));
    assert_non_null(find(&c, CW_CHANGE_ADDED, "new"));
    const cw_cal_change *r = find(&c, CW_CHANGE_CHANGED, "renumbered");
    assert_non_null(r);
    assert_int_equal(r->what, CW_CHANGED_EPISODE);
    s = text_of(r, "UTC");
    assert_string_equal(s, "Maths P5 on Tue 17 Mar 08:00 is now ep 15 (was ep 14)");
    free(s);
    const cw_cal_change *l = find(&c, CW_CHANGE_MOVED, "longer");
    assert_non_null(l);
    assert_int_equal(l->what, CW_CHANGED_END);
    s = text_of(l, "UTC");
    assert_string_equal(s, "Maths P5 on Wed 18 Mar 08:00 now ends at 08:45 (was 08:30)");
    free(s);
    /* unchanged, cancelled both times, cancelled then gone, added already cancelled: nothing */
    assert_null(find(&c, CW_CHANGE_MOVED, "same"));
    for (size_t i = 0; i < c.n; i++) {
        const char *u = c.v[i].has_before ? c.v[i].before.uid : c.v[i].after.uid;
        assert_true(strcmp(u, "never") && strcmp(u, "was-cancelled") && strcmp(u, "new-cancelled") && strcmp(u, "same"));
    }
    /* sorted by the earlier start */
    for (size_t i = 1; i < c.n; i++) {
        int64_t a = c.v[i - 1].has_before ? c.v[i - 1].before.start : c.v[i - 1].after.start;
        int64_t b = c.v[i].has_before ? c.v[i].before.start : c.v[i].after.start;
        if (c.v[i - 1].has_before && c.v[i - 1].has_after && c.v[i - 1].after.start < a)
            a = c.v[i - 1].after.start;
        if (c.v[i].has_before && c.v[i].has_after && c.v[i].after.start < b)
            b = c.v[i].after.start;
        assert_true(a <= b);
    }
    cw_cal_changes_free(&c);
    cw_cal_changes_free(&c2);
}

/* The strings of a report are its own: the inputs may go. */
static void test_compare_owns_strings(void **state)
{
    (void)state;
    char uid[] = "u1", summary[] = "Science";
    cw_cal_instance a = inst(uid, "", 0, T(2026, 3, 10, 9, 0), H, "", 0);
    a.summary = summary;
    cw_cal_changes c;
    assert_int_equal(cw_cal_compare(NULL, 0, &a, 1, T(2026, 3, 9, 0, 0), T(2026, 3, 12, 0, 0), &c), 0);
    assert_int_equal(c.n, 1);
    memset(uid, 'x', 2);
    memset(summary, 'y', 7);
    assert_string_equal(c.v[0].after.uid, "u1");
    assert_string_equal(c.v[0].after.summary, "Science");
    assert_int_equal(c.v[0].type, CW_CHANGE_ADDED);
    cw_cal_changes_free(&c);
    /* nothing on both sides: no change, no allocation to leak */
    assert_int_equal(cw_cal_compare(NULL, 0, NULL, 0, 0, 1, &c), 0);
    assert_int_equal(c.n, 0);
    cw_cal_changes_free(&c);
}

/* Rules 2 and 3: a lesson the partner deleted and made again (new UID, same episode) is a
 * move; a series whose start time changed (new RECURRENCE-IDs) is a move per instance. */
static void test_compare_other_rules(void **state)
{
    (void)state;
    int64_t t0 = T(2026, 3, 10, 8, 0), from = T(2026, 3, 9, 0, 0), to = T(2026, 3, 23, 0, 0);
    cw_cal_instance before[] = {
        inst("old-uid", "", t0, t0, H, "maths-p5", 12),
        inst("series", "20260311T080000Z", t0 + D, t0 + D, H, "", 0),
        inst("series", "20260318T080000Z", t0 + 8 * D, t0 + 8 * D, H, "", 0),
        inst("far", "", t0, t0, H, "", 0),
    };
    cw_cal_instance after[] = {
        inst("new-uid", "", t0 + 2 * D, t0 + 2 * D, H, "maths-p5", 12),
        inst("series", "20260311T090000Z", t0 + D + H, t0 + D + H, H, "", 0),
        inst("series", "20260318T090000Z", t0 + 8 * D + H, t0 + 8 * D + H, H, "", 0),
        inst("far", "", t0 + 10 * D, t0 + 10 * D, H, "", 0), /* a single event: rule 1 (UID) */
    };
    cw_cal_changes c;
    assert_int_equal(cw_cal_compare(before, 4, after, 4, from, to, &c), 0);
    assert_int_equal(c.n, 4);
    const cw_cal_change *m = find(&c, CW_CHANGE_MOVED, "old-uid");
    assert_non_null(m);
    assert_int_equal(m->match, CW_MATCH_EPISODE);
    assert_string_equal(m->after.uid, "new-uid");
    char *s = text_of(m, "Africa/Lagos");
    assert_string_equal(s, "Maths P5 ep 12 moved from Tue 10 Mar 09:00 to Thu 12 Mar 09:00");
    free(s);
    int series = 0;
    for (size_t i = 0; i < c.n; i++)
        if (c.v[i].type == CW_CHANGE_MOVED && !strcmp(c.v[i].before.uid, "series")) {
            assert_int_equal(c.v[i].match, CW_MATCH_UID);
            assert_int_equal(c.v[i].after.start - c.v[i].before.start, H);
            series++;
        }
    assert_int_equal(series, 2);
    const cw_cal_change *f = find(&c, CW_CHANGE_MOVED, "far");
    assert_non_null(f);
    assert_int_equal(f->match, CW_MATCH_RID);
    cw_cal_changes_free(&c);

    /* rule 3 pairs only starts at most 7 days apart: further is removed + added */
    cw_cal_instance b2 = inst("x", "20260310T080000Z", t0, t0, H, "", 0);
    cw_cal_instance a2 = inst("x", "20260320T080000Z", t0 + 10 * D, t0 + 10 * D, H, "", 0);
    assert_int_equal(cw_cal_compare(&b2, 1, &a2, 1, from, to, &c), 0);
    assert_int_equal(c.n, 2);
    assert_non_null(find(&c, CW_CHANGE_REMOVED, "x"));
    assert_non_null(find(&c, CW_CHANGE_ADDED, "x"));
    cw_cal_changes_free(&c);
}

/* Only changes that touch [from, to): a move out of the window counts, one far outside not. */
static void test_compare_window(void **state)
{
    (void)state;
    int64_t from = T(2026, 3, 9, 0, 0), to = T(2026, 3, 23, 0, 0);
    cw_cal_instance before[] = {
        inst("out", "", 0, T(2026, 3, 20, 9, 0), H, "", 0),
        inst("later", "", 0, T(2026, 4, 20, 9, 0), H, "", 0),
        inst("edge", "", 0, T(2026, 3, 22, 23, 30), H, "", 0), /* overlaps the end */
        inst("before", "", 0, T(2026, 3, 8, 23, 30), 30 * 60, "", 0), /* ends at from: outside */
    };
    cw_cal_instance after[] = {
        inst("out", "", 0, T(2026, 4, 2, 9, 0), H, "", 0),
        inst("later", "", 0, T(2026, 4, 21, 9, 0), H, "", 0),
    };
    cw_cal_changes c;
    assert_int_equal(cw_cal_compare(before, 4, after, 2, from, to, &c), 0);
    assert_int_equal(c.n, 2);
    assert_non_null(find(&c, CW_CHANGE_MOVED, "out"));
    assert_non_null(find(&c, CW_CHANGE_REMOVED, "edge"));
    cw_cal_changes_free(&c);
}

/* ---- cw_cal_changes_between on real calendars across DST ------------------------------------- */

static const char *MASTER = "BEGIN:VEVENT\n"
                            "UID:maths@school.test\n"
                            "DTSTAMP:20260101T000000Z\n"
                            "DTSTART;TZID=Europe/Berlin:20260303T090000\n"
                            "DTEND;TZID=Europe/Berlin:20260303T093000\n"
                            "RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=40\n"
                            "SUMMARY:Maths P5\n"
                            "DESCRIPTION:Series: maths-p5\n"
                            "END:VEVENT\n";

static cw_calset *cal(const char *extra)
{
    char *body = cw_asprintf("%s%s", MASTER, extra ? extra : "");
    assert_non_null(body);
    cw_diags d;
    cw_calset *set = load_ok("Europe/Berlin", body, &d);
    assert_int_equal(d.errors, 0);
    cw_diags_free(&d);
    free(body);
    return set;
}

static cw_cal_changes between(const char *old_extra, const char *new_extra, int64_t from, int64_t to)
{
    cw_calset *a = cal(old_extra), *b = cal(new_extra);
    cw_cal_changes c;
    cw_error err;
    int rc = cw_cal_changes_between(a, b, from, to, &c, &err);
    if (rc)
        fail_msg("between: %s", err.text);
    cw_calset_free(a);
    cw_calset_free(b);
    return c;
}

static void expect_line(const cw_cal_changes *c, size_t i, const char *want)
{
    assert_true(i < c->n);
    char *s = text_of(&c->v[i], "Europe/Berlin");
    if (strcmp(s, want))
        fail_msg("change %zu: got '%s', want '%s'", i, s, want);
    free(s);
}

/* The 31 March instance (CEST, 07:00Z) moved to Wednesday 1 April 10:00 (08:00Z); the
 * unchanged instances before the change (CET, 08:00Z) are not reported. */
static void test_between_moved_across_spring(void **state)
{
    (void)state;
    const char *moved = "BEGIN:VEVENT\nUID:maths@school.test\nDTSTAMP:20260101T000000Z\n"
                        "RECURRENCE-ID;TZID=Europe/Berlin:20260331T090000\n"
                        "DTSTART;TZID=Europe/Berlin:20260401T100000\nDTEND;TZID=Europe/Berlin:20260401T103000\n"
                        "SUMMARY:Maths P5\nDESCRIPTION:Series: maths-p5\nEND:VEVENT\n";
    cw_cal_changes c = between(NULL, moved, T(2026, 3, 23, 0, 0) - H, T(2026, 4, 6, 0, 0) - 2 * H);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.v[0].type, CW_CHANGE_MOVED);
    assert_int_equal(c.v[0].match, CW_MATCH_RID);
    assert_int_equal(c.v[0].before.start, T(2026, 3, 31, 7, 0));
    assert_int_equal(c.v[0].after.start, T(2026, 4, 1, 8, 0));
    assert_int_equal(c.v[0].after.end, T(2026, 4, 1, 8, 30));
    /* 3, 10, 17, 24 March come first: 31 March is the 5th lesson, and keeps its number */
    assert_int_equal(c.v[0].before.episode, 5);
    assert_int_equal(c.v[0].after.episode, 5);
    expect_line(&c, 0, "Maths P5 ep 5 moved from Tue 31 Mar 09:00 to Wed 1 Apr 10:00");
    cw_cal_changes_free(&c);
}

/* The partner moved the whole series from 09:00 to 10:00 (a new DTSTART: every
 * RECURRENCE-ID changes): each instance is a move by one hour of local time, across the
 * change, matched by series and episode. */
static void test_between_series_moved(void **state)
{
    (void)state;
    cw_calset *a = cal(NULL);
    cw_diags d;
    char *body = cw_strdup(MASTER);
    char *p = strstr(body, "20260303T090000");
    memcpy(p, "20260303T100000", 15);
    p = strstr(body, "20260303T093000");
    memcpy(p, "20260303T103000", 15);
    cw_calset *b = load_ok("Europe/Berlin", body, &d);
    cw_diags_free(&d);
    free(body);
    cw_cal_changes c;
    cw_error err;
    assert_int_equal(cw_cal_changes_between(a, b, T(2026, 3, 23, 0, 0) - H, T(2026, 4, 6, 0, 0) - 2 * H, &c, &err), 0);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.v[0].match, CW_MATCH_EPISODE);
    assert_int_equal(c.v[0].before.start, T(2026, 3, 24, 8, 0)); /* CET */
    assert_int_equal(c.v[0].after.start, T(2026, 3, 24, 9, 0));
    assert_int_equal(c.v[1].before.start, T(2026, 3, 31, 7, 0)); /* CEST */
    assert_int_equal(c.v[1].after.start, T(2026, 3, 31, 8, 0));
    expect_line(&c, 0, "Maths P5 ep 4 moved from Tue 24 Mar 09:00 to Tue 24 Mar 10:00");
    expect_line(&c, 1, "Maths P5 ep 5 moved from Tue 31 Mar 09:00 to Tue 31 Mar 10:00");
    cw_cal_changes_free(&c);
    cw_calset_free(a);
    cw_calset_free(b);
}

/* Into the spring-forward gap (02:30 on 29 March does not exist: 03:30 CEST, 01:30Z) and into
 * the repeated hour of 25 October (02:30 is the first one, CEST: 00:30Z). */
static void test_between_into_gap_and_overlap(void **state)
{
    (void)state;
    const char *gap = "BEGIN:VEVENT\nUID:extra@school.test\nDTSTAMP:20260101T000000Z\n"
                      "DTSTART;TZID=Europe/Berlin:20260328T100000\nDURATION:PT30M\n"
                      "SUMMARY:Science\nDESCRIPTION:Kind: newsletter\nEND:VEVENT\n";
    const char *gap2 = "BEGIN:VEVENT\nUID:extra@school.test\nDTSTAMP:20260101T000000Z\n"
                       "DTSTART;TZID=Europe/Berlin:20260329T023000\nDURATION:PT30M\n"
                       "SUMMARY:Science\nDESCRIPTION:Kind: newsletter\nEND:VEVENT\n";
    cw_cal_changes c = between(gap, gap2, T(2026, 3, 23, 0, 0) - H, T(2026, 4, 6, 0, 0) - 2 * H);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.v[0].type, CW_CHANGE_MOVED);
    assert_int_equal(c.v[0].before.start, T(2026, 3, 28, 9, 0));
    assert_int_equal(c.v[0].after.start, T(2026, 3, 29, 1, 30));
    assert_int_equal(c.v[0].after.end - c.v[0].after.start, 30 * 60);
    expect_line(&c, 0, "Science (newsletter) moved from Sat 28 Mar 10:00 to Sun 29 Mar 03:30");
    cw_cal_changes_free(&c);

    const char *oct = "BEGIN:VEVENT\nUID:night@school.test\nDTSTAMP:20260101T000000Z\n"
                      "DTSTART;TZID=Europe/Berlin:20261024T023000\nDURATION:PT1H\n"
                      "SUMMARY:Night school\nEND:VEVENT\n";
    const char *oct2 = "BEGIN:VEVENT\nUID:night@school.test\nDTSTAMP:20260101T000000Z\n"
                       "DTSTART;TZID=Europe/Berlin:20261025T023000\nDURATION:PT1H\n"
                       "SUMMARY:Night school\nEND:VEVENT\n";
    c = between(oct, oct2, T(2026, 10, 19, 0, 0) - 2 * H, T(2026, 11, 2, 0, 0) - H);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.v[0].before.start, T(2026, 10, 24, 0, 30));
    assert_int_equal(c.v[0].after.start, T(2026, 10, 25, 0, 30));
    assert_int_equal(c.v[0].after.end, T(2026, 10, 25, 1, 30)); /* an hour, ending 02:30 CET */
    /* 24 h apart in UTC, yet the end moved from 03:30 to 02:30 local: the lengths are equal */
    expect_line(&c, 0, "Night school moved from Sat 24 Oct 02:30 to Sun 25 Oct 02:30");
    cw_cal_changes_free(&c);
}

/* Cancelled (STATUS:CANCELLED override), removed (EXDATE), a lesson added before them (the
 * later episodes shift by one), and a holiday added. */
static void test_between_cancel_exdate_add(void **state)
{
    (void)state;
    const char *edits =
        "BEGIN:VEVENT\nUID:maths@school.test\nDTSTAMP:20260101T000000Z\n"
        "RECURRENCE-ID;TZID=Europe/Berlin:20260407T090000\n"
        "DTSTART;TZID=Europe/Berlin:20260407T090000\nDTEND;TZID=Europe/Berlin:20260407T093000\n"
        "STATUS:CANCELLED\nSUMMARY:Maths P5\nEND:VEVENT\n"
        "BEGIN:VEVENT\nUID:holiday@school.test\nDTSTAMP:20260101T000000Z\n"
        "DTSTART;VALUE=DATE:20260403\nDTEND;VALUE=DATE:20260407\nSUMMARY:Easter\n"
        "CATEGORIES:Holiday\nEND:VEVENT\n"
        "BEGIN:VEVENT\nUID:extra@school.test\nDTSTAMP:20260101T000000Z\n"
        "DTSTART;TZID=Europe/Berlin:20260326T090000\nDTEND;TZID=Europe/Berlin:20260326T093000\n"
        "SUMMARY:Maths P5 catch-up\nDESCRIPTION:Series: maths-p5\nEND:VEVENT\n";
    cw_calset *a = cal(NULL);
    char *body = cw_strdup(MASTER);
    char *p = strstr(body, "RRULE:");
    char *nb = cw_asprintf("%.*sEXDATE;TZID=Europe/Berlin:20260414T090000\n%s%s", (int)(p - body), body, p, edits);
    cw_diags d;
    cw_calset *b = load_ok("Europe/Berlin", nb, &d);
    assert_int_equal(d.errors, 0);
    cw_diags_free(&d);
    cw_cal_changes c;
    cw_error err;
    assert_int_equal(cw_cal_changes_between(a, b, T(2026, 3, 23, 0, 0) - H, T(2026, 4, 20, 0, 0) - 2 * H, &c, &err),
                     0);
    /* old: 3, 10, 17, 24, 31 Mar, 7, 14 Apr are episodes 1-7. New: 26 Mar added (ep 5),
     * 31 Mar ep 5 -> 6, a holiday, 7 Apr cancelled, 14 Apr removed; 24 Mar stays ep 4 */
    assert_int_equal(c.n, 5);
    expect_line(&c, 0, "Maths P5 catch-up ep 5 added on Thu 26 Mar 09:00-09:30");
    expect_line(&c, 1, "Maths P5 on Tue 31 Mar 09:00 is now ep 6 (was ep 5)");
    expect_line(&c, 2, "holiday Easter added on Fri 3 Apr to Mon 6 Apr");
    expect_line(&c, 3, "Maths P5 ep 6 on Tue 7 Apr 09:00 cancelled");
    expect_line(&c, 4, "Maths P5 ep 7 on Tue 14 Apr 09:00-09:30 removed");
    assert_int_equal(c.v[2].after.kind, CW_KIND_BLACKOUT);
    assert_int_equal(c.v[3].type, CW_CHANGE_CANCELLED);
    assert_int_equal(c.v[4].before.start, T(2026, 4, 14, 7, 0));
    cw_cal_changes_free(&c);
    /* undone: the cancelled lesson is named with the episode it airs as again */
    assert_int_equal(cw_cal_changes_between(b, a, T(2026, 3, 23, 0, 0) - H, T(2026, 4, 20, 0, 0) - 2 * H, &c, &err),
                     0);
    assert_int_equal(c.n, 5);
    expect_line(&c, 0, "Maths P5 catch-up ep 5 on Thu 26 Mar 09:00-09:30 removed");
    expect_line(&c, 1, "Maths P5 on Tue 31 Mar 09:00 is now ep 5 (was ep 6)");
    expect_line(&c, 3, "Maths P5 ep 6 on Tue 7 Apr 09:00 no longer cancelled");
    assert_int_equal(c.v[3].type, CW_CHANGE_RESTORED);
    expect_line(&c, 4, "Maths P5 ep 7 added on Tue 14 Apr 09:00-09:30");
    cw_cal_changes_free(&c);
    /* nothing changed: nothing reported */
    assert_int_equal(cw_cal_changes_between(b, b, T(2026, 3, 1, 0, 0), T(2026, 6, 1, 0, 0), &c, &err), 0);
    assert_int_equal(c.n, 0);
    cw_cal_changes_free(&c);
    cw_calset_free(a);
    cw_calset_free(b);
    free(body);
    free(nb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_compare_types),
        cmocka_unit_test(test_compare_owns_strings),
        cmocka_unit_test(test_compare_other_rules),
        cmocka_unit_test(test_compare_window),
        cmocka_unit_test(test_between_moved_across_spring),
        cmocka_unit_test(test_between_series_moved),
        cmocka_unit_test(test_between_into_gap_and_overlap),
        cmocka_unit_test(test_between_cancel_exdate_add),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    cw_cal_cleanup();
    return rc;
}
