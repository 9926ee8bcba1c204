/* test_core.c — the planner core on in-memory data: hard starts to the sample, gapless
 * items, series numbering and repeats, overrun cut and push, newsletter slots overfull and
 * underfull, fill rotation by date, conflicts by priority and the tie rule, blackouts, the
 * three missing-recording policies, ATTACH refusals, and DST offsets in the item times. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sched_fixture.h"

static void check_gapless(const cw_plan *p, int64_t W)
{
    int64_t pos = 0;
    for (size_t i = 0; i < p->n_items; i++) {
        assert_int_equal(p->items[i].offset_samples, pos);
        assert_true(p->items[i].length_samples > 0);
        pos += p->items[i].length_samples;
    }
    assert_int_equal(pos, W);
    /* one on-air window, gapless: one block holding every item */
    assert_int_equal(p->n_blocks, 1);
    assert_int_equal(p->blocks[0].first_item, 0);
    assert_int_equal(p->blocks[0].n_items, p->n_items);
    assert_int_equal(p->blocks[0].offset_samples, 0);
    assert_int_equal(p->blocks[0].length_samples, W);
}

/* Blocks are derived from the items: a gap between two items starts a new block. */
static void test_blocks_from_items(void **state)
{
    (void)state;
    cw_plan p;
    memset(&p, 0, sizeof p);
    cw_plan_item it[4];
    memset(it, 0, sizeof it);
    it[0].offset_samples = 0, it[0].length_samples = 100;
    it[1].offset_samples = 100, it[1].length_samples = 50;
    it[2].offset_samples = 1000, it[2].length_samples = 10; /* a gap of 850 */
    it[3].offset_samples = 1010, it[3].length_samples = 5;
    p.items = it;
    p.n_items = 4;
    assert_int_equal(cw_plan_compute_blocks(&p), 0);
    assert_int_equal(p.n_blocks, 2);
    assert_int_equal(p.blocks[0].first_item, 0);
    assert_int_equal(p.blocks[0].n_items, 2);
    assert_int_equal(p.blocks[0].length_samples, 150);
    assert_int_equal(p.blocks[1].first_item, 2);
    assert_int_equal(p.blocks[1].n_items, 2);
    assert_int_equal(p.blocks[1].offset_samples, 1000);
    assert_int_equal(p.blocks[1].length_samples, 15);
    p.n_items = 0; /* no items: no blocks */
    assert_int_equal(cw_plan_compute_blocks(&p), 0);
    assert_int_equal(p.n_blocks, 0);
    free(p.blocks);
}

static void test_hard_start_to_the_sample(void **state)
{
    (void)state;
    cw_station *st = fx_station();
    static fx_lib l;
    memset(&l, 0, sizeof l);
    fx_rec(&l, CW_KIND_LESSON, "library/lesson/maths/001-a.ogg", "maths", 1, 1200.5);
    fx_rec(&l, CW_KIND_LESSON, "library/lesson/maths/002-b.ogg", "maths", 2, 600);
    static fx_occ o;
    memset(&o, 0, sizeof o);
    fx_ev(&o, "a.ics", 0, "m1", CW_KIND_LESSON, AT(9, 0), AT(9, 30), "maths", 2);
    cw_plan *p = NULL;
    assert_int_equal(fx_plan(&p, st, &o, &l, D16, WS, WE), 0);
    check_gapless(p, 16 * HOUR * RATE);
    long i = fx_item_at(p, OFF(9, 0));
    assert_true(i >= 0);
    assert_int_equal(p->items[i].offset_samples, 3 * 3600 * 44100LL);
    assert_int_equal(p->items[i].kind, CW_KIND_LESSON);
    assert_int_equal(p->items[i].episode, 2);
    assert_string_equal(p->items[i].recording, "library/lesson/maths/002-b.ogg");
    assert_int_equal(p->items[i].length_samples, 600 * RATE);
    assert_true(p->items[i].hard_start);
    assert_string_equal(p->items[i].event_uid, "m1");
    assert_null(p->items[i].event_recurrence_id);
    /* no fillers in the library: the gaps are silence, with no event */
    assert_int_equal(p->items[0].kind, CW_KIND_SILENCE);
    assert_null(p->items[0].recording);
    assert_null(p->items[0].event_uid);
    assert_int_equal(p->items[i + 1].kind, CW_KIND_SILENCE);
    assert_int_equal(p->items[i + 1].offset_samples, OFF(9, 10));
    cw_plan_free(p);
    fx_station_free(st);
}

static void test_repeat_and_explicit_episode(void **state)
{
    (void)state;
    cw_station *st = fx_station();
    static fx_lib l;
    memset(&l, 0, sizeof l);
    for (int e = 1; e <= 9; e++) {
        static char paths[9][64];
        snprintf(paths[e - 1], 64, "library/lesson/sci/%03d-x.ogg", e);
        fx_rec(&l, CW_KIND_LESSON, paths[e - 1], "sci", e, 300);
    }
    static fx_occ o;
    memset(&o, 0, sizeof o);
    fx_ev(&o, "a.ics", 0, "first", CW_KIND_LESSON, AT(8, 0), AT(8, 30), "sci", 4);
    cw_occurrence *rep = fx_ev(&o, "a.ics", 0, "rep", CW_KIND_LESSON, AT(15, 0), AT(15, 30), "sci", 7);
    rep->repeat = 1;
    cw_occurrence *ex = fx_ev(&o, "a.ics", 0, "explicit", CW_KIND_LESSON, AT(17, 0), AT(17, 30), "sci", 5);
    ex->episode = 2; /* Episode: 2 overrides the count */
    cw_plan *p = NULL;
    assert_int_equal(fx_plan(&p, st, &o, &l, D16, WS, WE), 0);
    long a = fx_item_at(p, OFF(8, 0)), b = fx_item_at(p, OFF(15, 0)), c = fx_item_at(p, OFF(17, 0));
    assert_true(a >= 0 && b >= 0 && c >= 0);
    assert_int_equal(p->items[a].episode, 4);
    assert_false(p->items[a].repeat);
    assert_int_equal(p->items[b].episode, 4); /* same as the day's first airing */
    assert_true(p->items[b].repeat);
    assert_int_equal(p->items[c].episode, 2);
    cw_plan_free(p);
    fx_station_free(st);
}

static void test_overrun_cut_and_push(void **state)
{
    (void)state;
    cw_station *st = fx_station();
    static fx_lib l;
    memset(&l, 0, sizeof l);
    fx_rec(&l, CW_KIND_LESSON, "library/lesson/long/001-long.ogg", "long", 1, 40 * 60); /* 40 min */
    fx_rec(&l, CW_KIND_LESSON, "library/lesson/next/001-n.ogg", "next", 1, 10 * 60);
    fx_rec(&l, CW_KIND_NEWSLETTER, "library/newsletter/n/000-news.ogg", "", 0, 3 * 60);
    static fx_occ o;
    memset(&o, 0, sizeof o);
    fx_ev(&o, "a.ics", 0, "long", CW_KIND_LESSON, AT(9, 0), AT(9, 30), "long", 1);
    fx_ev(&o, "a.ics", 0, "news", CW_KIND_NEWSLETTER, AT(9, 30), AT(9, 50), "", 0);
    fx_ev(&o, "a.ics", 0, "next", CW_KIND_LESSON, AT(10, 0), AT(10, 30), "next", 1);
    cw_plan *p = NULL;

    /* cut: the lesson is cut where the newsletter slot starts, with the station fade */
    assert_int_equal(fx_plan(&p, st, &o, &l, D16, WS, WE), 0);
    long i = fx_item_at(p, OFF(9, 0));
    assert_true(p->items[i].cut);
    assert_int_equal(p->items[i].length_samples, 30 * 60 * RATE);
    assert_true(p->items[i].fade_out == 0.5);
    assert_true(fx_has_warning(&p->items[i].warnings, "library/lesson/long/001-long.ogg"));
    assert_true(fx_has_warning(&p->items[i].warnings, "overruns by 10:00.0"));
    assert_true(fx_has_warning(&p->warnings, "overruns by 10:00.0"));
    long n = fx_item_at(p, OFF(9, 30));
    assert_int_equal(p->items[n].kind, CW_KIND_NEWSLETTER);
    check_gapless(p, 16 * HOUR * RATE);
    cw_plan_free(p);

    /* push: the lesson runs on to 09:40, the newsletter slot is pushed, 10:00 stays */
    st->overrun = CW_OVERRUN_PUSH;
    assert_int_equal(fx_plan(&p, st, &o, &l, D16, WS, WE), 0);
    i = fx_item_at(p, OFF(9, 0));
    assert_false(p->items[i].cut);
    assert_int_equal(p->items[i].length_samples, 40 * 60 * RATE);
    n = fx_item_at(p, OFF(9, 40));
    assert_true(n >= 0);
    assert_int_equal(p->items[n].kind, CW_KIND_NEWSLETTER);
    assert_true(fx_has_warning(&p->warnings, "is pushed to 09:40:00"));
    long h = fx_item_at(p, OFF(10, 0));
    assert_true(h >= 0);
    assert_string_equal(p->items[h].event_uid, "next");
    check_gapless(p, 16 * HOUR * RATE);
    cw_plan_free(p);

    /* push never passes a hard start: a 40 min lesson right before another lesson is cut */
    memset(&o, 0, sizeof o);
    fx_ev(&o, "a.ics", 0, "long", CW_KIND_LESSON, AT(9, 30), AT(10, 0), "long", 1);
    fx_ev(&o, "a.ics", 0, "next", CW_KIND_LESSON, AT(10, 0), AT(10, 30), "next", 1);
    assert_int_equal(fx_plan(&p, st, &o, &l, D16, WS, WE), 0);
    i = fx_item_at(p, OFF(9, 30));
    assert_true(p->items[i].cut);
    assert_int_equal(p->items[i].length_samples, 30 * 60 * RATE);
    assert_true(fx_item_at(p, OFF(10, 0)) >= 0);
    cw_plan_free(p);

    /* the end of the window cuts too */
    memset(&o, 0, sizeof o);
    fx_ev(&o, "a.ics", 0, "late", CW_KIND_LESSON, AT(21, 50), AT(22, 0), "long", 1);
    assert_int_equal(fx_plan(&p, st, &o, &l, D16, WS, WE), 0);
    i = fx_item_at(p, OFF(21, 50));
    assert_true(p->items[i].cut);
    assert_int_equal((size_t)i, p->n_items - 1);
    assert_true(fx_has_warning(&p->warnings, "end of the on-air window"));
    cw_plan_free(p);
    fx_station_free(st);
}

static void test_newsletters_overfull_underfull(void **state)
{
    (void)state;
    cw_station *st = fx_station();
    static fx_lib l;
    memset(&l, 0, sizeof l);
    cw_recording *a = fx_rec(&l, CW_KIND_NEWSLETTER, "library/newsletter/x/000-a.ogg", "", 0, 4 * 60);
    cw_recording *b = fx_rec(&l, CW_KIND_NEWSLETTER, "library/newsletter/x/000-b.ogg", "", 0, 4 * 60);
    cw_recording *c = fx_rec(&l, CW_KIND_NEWSLETTER, "library/newsletter/x/000-c.ogg", "", 0, 4 * 60);
    cw_recording *old = fx_rec(&l, CW_KIND_NEWSLETTER, "library/newsletter/x/000-old.ogg", "", 0, 60);
    a->date = (char *)"2026-03-10";
    b->date = (char *)"2026-03-14"; /* freshest */
    c->date = (char *)"2026-03-12";
    old->date = (char *)"2026-03-01";
    old->valid_until = (char *)"2026-03-15"; /* expired the day before */
    static fx_occ o;
    memset(&o, 0, sizeof o);
    fx_ev(&o, "a.ics", 0, "n1", CW_KIND_NEWSLETTER, AT(7, 0), AT(7, 10), "", 0);  /* 10 min: overfull */
    fx_ev(&o, "a.ics", 0, "n2", CW_KIND_NEWSLETTER, AT(12, 0), AT(12, 30), "", 0); /* 30 min: underfull */
    cw_plan *p = NULL;
    assert_int_equal(fx_plan(&p, st, &o, &l, D16, WS, WE), 0);
    long i = fx_item_at(p, OFF(7, 0));
    assert_string_equal(p->items[i].recording, "library/newsletter/x/000-b.ogg");
    assert_string_equal(p->items[i + 1].recording, "library/newsletter/x/000-c.ogg");
    assert_int_equal(p->items[i + 2].kind, CW_KIND_SILENCE); /* 2 min left, no fillers */
    assert_int_equal(p->items[i + 2].length_samples, 2 * 60 * RATE);
    assert_int_equal(p->items[i + 3].offset_samples, OFF(7, 10));
    /* what did not fit waits for the next slot; the expired one never airs */
    i = fx_item_at(p, OFF(12, 0));
    assert_string_equal(p->items[i].recording, "library/newsletter/x/000-a.ogg");
    assert_int_equal(p->items[i].kind, CW_KIND_NEWSLETTER);
    assert_string_equal(p->items[i].event_uid, "n2");
    assert_int_equal(p->items[i + 1].kind, CW_KIND_SILENCE);
    assert_true(fx_has_warning(&p->warnings, "underfull"));
    for (size_t k = 0; k < p->n_items; k++)
        if (p->items[k].recording) assert_string_not_equal(p->items[k].recording, "library/newsletter/x/000-old.ogg");
    /* each item at most once */
    int seen_b = 0;
    for (size_t k = 0; k < p->n_items; k++)
        seen_b += p->items[k].recording && !strcmp(p->items[k].recording, "library/newsletter/x/000-b.ogg");
    assert_int_equal(seen_b, 1);
    cw_plan_free(p);
    fx_station_free(st);
}

static void test_fill_rotation_by_date(void **state)
{
    (void)state;
    cw_station *st = fx_station();
    static fx_lib l;
    memset(&l, 0, sizeof l);
    fx_rec(&l, CW_KIND_FILLER, "library/filler/ids/000-a.ogg", "ids", 0, 30);
    fx_rec(&l, CW_KIND_FILLER, "library/filler/ids/000-b.ogg", "ids", 0, 45);
    fx_rec(&l, CW_KIND_FILLER, "library/filler/ids/000-c.ogg", "ids", 0, 60);
    cw_plan *p = NULL, *q = NULL;
    cw_date d17 = {2026, 3, 17};
    assert_int_equal(fx_plan(&p, st, NULL, &l, D16, WS, WE), 0);
    assert_int_equal(fx_plan(&q, st, NULL, &l, d17, WS + 86400, WE + 86400), 0);
    check_gapless(p, 16 * HOUR * RATE);
    assert_int_equal(p->items[0].kind, CW_KIND_FILLER);
    assert_string_not_equal(p->items[0].recording, q->items[0].recording);
    /* rotation within the day: a, b, c, a ... in some rotated order */
    assert_string_not_equal(p->items[0].recording, p->items[1].recording);
    assert_string_not_equal(p->items[1].recording, p->items[2].recording);
    assert_string_equal(p->items[0].recording, p->items[3].recording);
    /* silence only where no filler fits any more: at most one item, shorter than 30 s */
    for (size_t k = 0; k < p->n_items; k++)
        if (p->items[k].kind == CW_KIND_SILENCE) {
            assert_int_equal(k, p->n_items - 1);
            assert_true(p->items[k].length_samples < 30 * RATE);
        }
    cw_plan_free(p);
    cw_plan_free(q);

    /* the station's filler list limits and orders the rotation */
    cw_strlist_push(&st->fillers, "beds");
    fx_rec(&l, CW_KIND_FILLER, "library/filler/beds/000-bed.ogg", "beds", 0, 100);
    assert_int_equal(fx_plan(&p, st, NULL, &l, D16, WS, WE), 0);
    for (size_t k = 0; k < p->n_items; k++)
        if (p->items[k].recording) assert_string_equal(p->items[k].recording, "library/filler/beds/000-bed.ogg");
    cw_plan_free(p);
    fx_station_free(st);
}

static void test_conflicts(void **state)
{
    (void)state;
    cw_station *st = fx_station();
    static fx_lib l;
    memset(&l, 0, sizeof l);
    fx_rec(&l, CW_KIND_LESSON, "library/lesson/hi/001-x.ogg", "hi", 1, 600);
    fx_rec(&l, CW_KIND_LESSON, "library/lesson/lo/001-x.ogg", "lo", 1, 600);
    fx_rec(&l, CW_KIND_LESSON, "library/lesson/tie/001-x.ogg", "tie", 1, 600);
    static fx_occ o;
    memset(&o, 0, sizeof o);
    /* priority: lo (earlier, priority 1) is cut back where hi (priority 5) starts */
    fx_ev(&o, "zz-ministry.ics", 5, "hi", CW_KIND_LESSON, AT(9, 15), AT(9, 45), "hi", 1);
    fx_ev(&o, "aa-ngo.ics", 1, "lo", CW_KIND_LESSON, AT(9, 0), AT(9, 30), "lo", 1);
    /* a lower-priority lesson whose start is taken loses its slot */
    fx_ev(&o, "aa-ngo.ics", 1, "lost", CW_KIND_LESSON, AT(9, 20), AT(9, 40), "lo", 1);
    /* equal priority, same start: the file name decides (a.ics before b.ics) */
    fx_ev(&o, "b.ics", 0, "tie-b", CW_KIND_LESSON, AT(11, 0), AT(11, 30), "tie", 1);
    fx_ev(&o, "a.ics", 0, "tie-a", CW_KIND_LESSON, AT(11, 0), AT(11, 30), "tie", 1);
    /* equal priority, same start, same file: the UID decides */
    fx_ev(&o, "a.ics", 0, "uid-2", CW_KIND_LESSON, AT(13, 0), AT(13, 30), "tie", 1);
    fx_ev(&o, "a.ics", 0, "uid-1", CW_KIND_LESSON, AT(13, 0), AT(13, 30), "tie", 1);
    /* equal priority: the earlier start wins, the later one loses its slot */
    fx_ev(&o, "b.ics", 0, "early", CW_KIND_LESSON, AT(15, 0), AT(15, 30), "tie", 1);
    fx_ev(&o, "a.ics", 0, "later", CW_KIND_LESSON, AT(15, 10), AT(15, 40), "tie", 1);
    /* a soft newsletter slot keeps what is left after a lesson that takes its start */
    fx_ev(&o, "b.ics", 0, "news", CW_KIND_NEWSLETTER, AT(17, 0), AT(17, 30), "", 0);
    fx_ev(&o, "a.ics", 3, "over", CW_KIND_LESSON, AT(16, 50), AT(17, 10), "tie", 1);
    cw_plan *p = NULL;
    assert_int_equal(fx_plan(&p, st, &o, &l, D16, WS, WE), 0);
    check_gapless(p, 16 * HOUR * RATE);
    long i = fx_item_at(p, OFF(9, 0));
    assert_string_equal(p->items[i].event_uid, "lo");
    i = fx_item_at(p, OFF(9, 15));
    assert_string_equal(p->items[i].event_uid, "hi");
    assert_true(fx_has_warning(&p->warnings, "lesson 'lo' (aa-ngo.ics, uid lo) loses 09:15:00-09:30:00 to 'hi' (zz-ministry.ics, priority 5)"));
    assert_true(fx_has_warning(&p->warnings, "lesson 'lost' (aa-ngo.ics, uid lost) at 2026-03-16 09:20 loses its slot to 'hi'"));
    i = fx_item_at(p, OFF(11, 0));
    assert_string_equal(p->items[i].event_uid, "tie-a");
    assert_true(fx_has_warning(&p->warnings, "'tie-b' (b.ics, uid tie-b) at 2026-03-16 11:00 loses its slot to 'tie-a'"));
    i = fx_item_at(p, OFF(13, 0));
    assert_string_equal(p->items[i].event_uid, "uid-1");
    assert_true(fx_has_warning(&p->warnings, "uid uid-2) at 2026-03-16 13:00 loses its slot"));
    i = fx_item_at(p, OFF(15, 0));
    assert_string_equal(p->items[i].event_uid, "early");
    assert_true(fx_has_warning(&p->warnings, "'later' (a.ics, uid later) at 2026-03-16 15:10 loses its slot to 'early'"));
    assert_true(fx_has_warning(&p->warnings, "newsletter slot 'news' (b.ics, uid news) loses 17:00:00-17:10:00 to 'over'"));
    cw_plan_free(p);
    fx_station_free(st);
}

static void test_blackout(void **state)
{
    (void)state;
    cw_station *st = fx_station();
    static fx_lib l;
    memset(&l, 0, sizeof l);
    fx_rec(&l, CW_KIND_LESSON, "library/lesson/m/003-x.ogg", "m", 3, 600);
    fx_rec(&l, CW_KIND_NEWSLETTER, "library/newsletter/n/000-x.ogg", "", 0, 60);
    static fx_occ o;
    memset(&o, 0, sizeof o);
    cw_occurrence *h = fx_ev(&o, "holidays.ics", 0, "holiday", CW_KIND_BLACKOUT, DAY0, DAY0 + 86400, "", 0);
    h->all_day = 1;
    h->summary = "Independence Day";
    fx_ev(&o, "a.ics", 0, "m", CW_KIND_LESSON, AT(9, 0), AT(9, 30), "m", 3);
    fx_ev(&o, "a.ics", 0, "news", CW_KIND_NEWSLETTER, AT(12, 0), AT(12, 5), "", 0);
    cw_plan *p = NULL;
    assert_int_equal(fx_plan(&p, st, &o, &l, D16, WS, WE), 0);
    for (size_t k = 0; k < p->n_items; k++) assert_int_not_equal(p->items[k].kind, CW_KIND_LESSON);
    assert_true(fx_has_warning(&p->warnings, "suppressed by 'Independence Day' (holidays.ics)"));
    assert_true(fx_has_warning(&p->warnings, "series 'm' episode 3"));
    /* newsletters are not lessons: they still air */
    long i = fx_item_at(p, OFF(12, 0));
    assert_int_equal(p->items[i].kind, CW_KIND_NEWSLETTER);
    cw_plan_free(p);
    fx_station_free(st);
}

static void test_missing_policies(void **state)
{
    (void)state;
    cw_station *st = fx_station();
    static fx_lib l;
    memset(&l, 0, sizeof l);
    fx_rec(&l, CW_KIND_FILLER, "library/filler/ids/000-id.ogg", "ids", 0, 60);
    fx_rec(&l, CW_KIND_FILLER, "library/filler/unavailable/001-sorry.ogg", "unavailable", 1, 20);
    static fx_occ o;
    memset(&o, 0, sizeof o);
    fx_ev(&o, "a.ics", 0, "m7", CW_KIND_LESSON, AT(9, 0), AT(9, 30), "maths-5", 7);
    cw_plan *p = NULL;

    assert_int_equal(fx_plan(&p, st, &o, &l, D16, WS, WE), 0);
    check_gapless(p, 16 * HOUR * RATE);
    long i = fx_item_at(p, OFF(9, 0));
    assert_int_equal(p->items[i].kind, CW_KIND_FILLER);
    assert_string_equal(p->items[i].event_uid, "m7"); /* stands in for the event */
    assert_true(fx_has_warning(&p->warnings, "missing recording: series 'maths-5' episode 7"));
    assert_true(fx_has_warning(&p->warnings, "2026-03-16 09:00"));
    /* the slot says it, as data */
    assert_int_equal(p->n_slots, 1);
    assert_int_equal(p->slots[0].status, CW_SLOT_MISSING);
    assert_string_equal(p->slots[0].series, "maths-5");
    assert_int_equal(p->slots[0].episode, 7);
    assert_int_equal(p->slots[0].start_utc, AT(9, 0));
    assert_int_equal(fx_count_code(&p->warnings, "plan.missing-recording"), 1);
    assert_true(fx_has_warning(&p->warnings, "instead plays fillers"));
    /* the stand-in fill ends with the slot */
    assert_true(fx_item_at(p, OFF(9, 30)) >= 0);
    cw_plan_free(p);

    st->missing = CW_MISSING_SILENCE;
    assert_int_equal(fx_plan(&p, st, &o, &l, D16, WS, WE), 0);
    i = fx_item_at(p, OFF(9, 0));
    assert_int_equal(p->items[i].kind, CW_KIND_SILENCE);
    assert_int_equal(p->items[i].length_samples, 30 * 60 * RATE);
    cw_plan_free(p);

    st->missing = CW_MISSING_ANNOUNCEMENT;
    assert_int_equal(fx_plan(&p, st, &o, &l, D16, WS, WE), 0);
    i = fx_item_at(p, OFF(9, 0));
    assert_string_equal(p->items[i].recording, "library/filler/unavailable/001-sorry.ogg");
    assert_int_equal(p->items[i + 1].offset_samples, OFF(9, 0) + 20 * RATE);
    assert_true(fx_has_warning(&p->warnings, "announcement"));
    cw_plan_free(p);

    /* no announcement in the library: fillers, and a warning saying so */
    free(st->unavailable);
    st->unavailable = strdup("nope");
    assert_int_equal(fx_plan(&p, st, &o, &l, D16, WS, WE), 0);
    i = fx_item_at(p, OFF(9, 0));
    assert_string_equal(p->items[i].recording, "library/filler/ids/000-id.ogg");
    assert_true(fx_has_warning(&p->warnings, "(series 'nope') is not in the library"));
    cw_plan_free(p);
    fx_station_free(st);
}

static void test_attach_refusals(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/cw-sched-XXXXXX";
    char *dir = mkdtemp(tmpl);
    assert_non_null(dir);
    char path[512], outside[512];
    snprintf(path, sizeof path, "%s/library/lesson/x", dir);
    assert_int_equal(cw_mkdir_p(path, NULL), 0);
    snprintf(path, sizeof path, "%s/library/lesson/x/001-ok.ogg", dir);
    FILE *f = fopen(path, "w");
    fputs("x", f);
    fclose(f);
    snprintf(outside, sizeof outside, "%s/secret.ogg", dir);
    f = fopen(outside, "w");
    fputs("x", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/library/lesson/x/002-link.ogg", dir);
    assert_int_equal(symlink(outside, path), 0);

    cw_station *st = fx_station();
    free(st->dir);
    st->dir = strdup(dir);
    static fx_lib l;
    memset(&l, 0, sizeof l);
    fx_rec(&l, CW_KIND_LESSON, "library/lesson/x/001-ok.ogg", "x", 1, 60);
    fx_rec(&l, CW_KIND_LESSON, "library/lesson/x/002-link.ogg", "x", 2, 60);
    static fx_occ o;
    memset(&o, 0, sizeof o);
    fx_ev(&o, "a.ics", 0, "ok", CW_KIND_LESSON, AT(7, 0), AT(7, 30), "", 0)->attach = "lesson/x/001-ok.ogg";
    fx_ev(&o, "a.ics", 0, "ok2", CW_KIND_NEWSLETTER, AT(8, 0), AT(8, 30), "", 0)->attach =
        "library/lesson/x/001-ok.ogg";
    fx_ev(&o, "a.ics", 0, "url", CW_KIND_LESSON, AT(9, 0), AT(9, 30), "", 0)->attach = "https://example.org/x.ogg";
    fx_ev(&o, "a.ics", 0, "abs", CW_KIND_LESSON, AT(10, 0), AT(10, 30), "", 0)->attach = "/etc/passwd";
    fx_ev(&o, "a.ics", 0, "dots", CW_KIND_LESSON, AT(11, 0), AT(11, 30), "", 0)->attach = "lesson/../../secret.ogg";
    fx_ev(&o, "a.ics", 0, "link", CW_KIND_LESSON, AT(12, 0), AT(12, 30), "", 0)->attach = "lesson/x/002-link.ogg";
    /* a refused ATTACH falls back to the series numbering */
    fx_ev(&o, "a.ics", 0, "fallback", CW_KIND_LESSON, AT(13, 0), AT(13, 30), "x", 1)->attach = "file:///etc/x";
    cw_plan *p = NULL;
    assert_int_equal(fx_plan(&p, st, &o, &l, D16, WS, WE), 0);
    long i = fx_item_at(p, OFF(7, 0));
    assert_string_equal(p->items[i].recording, "library/lesson/x/001-ok.ogg");
    i = fx_item_at(p, OFF(8, 0));
    assert_string_equal(p->items[i].recording, "library/lesson/x/001-ok.ogg");
    for (int h = 9; h <= 12; h++) {
        i = fx_item_at(p, OFF(h, 0));
        assert_true(i >= 0);
        assert_int_not_equal(p->items[i].kind, CW_KIND_LESSON);
    }
    assert_true(fx_has_warning(&p->warnings, "'https://example.org/x.ogg' is a URL; refused"));
    assert_true(fx_has_warning(&p->warnings, "'/etc/passwd' is an absolute path; refused"));
    assert_true(fx_has_warning(&p->warnings, "'lesson/../../secret.ogg' is not a plain path"));
    assert_true(fx_has_warning(&p->warnings, "'lesson/x/002-link.ogg' leaves the library through a symbolic link"));
    i = fx_item_at(p, OFF(13, 0));
    assert_string_equal(p->items[i].recording, "library/lesson/x/001-ok.ogg");
    cw_plan_free(p);
    fx_station_free(st);
    unlink(path);
    unlink(outside);
    snprintf(path, sizeof path, "%s/library/lesson/x/001-ok.ogg", dir);
    unlink(path);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    assert_int_equal(system(path), 0);
}

static void test_dst_times_in_json(void **state)
{
    (void)state;
    /* Europe/Paris, 2026-03-29: 02:00 CET -> 03:00 CEST at 01:00 UTC. Window 00:00-06:00
     * local = 23:00 UTC (28th) to 04:00 UTC: 5 hours. */
    cw_station *st = fx_station();
    free(st->timezone);
    st->timezone = strdup("Europe/Paris");
    static fx_lib l;
    memset(&l, 0, sizeof l);
    fx_rec(&l, CW_KIND_LESSON, "library/lesson/d/001-x.ogg", "d", 1, 600);
    int64_t ws = 1774738800LL; /* 2026-03-28T23:00:00Z */
    int64_t we = ws + 5 * HOUR;
    cw_plan_tzchange ch = {ws + 2 * HOUR, 7200};
    static fx_occ o;
    memset(&o, 0, sizeof o);
    fx_ev(&o, "a.ics", 0, "d", CW_KIND_LESSON, ws + 3 * HOUR, ws + 3 * HOUR + 1800, "d", 1); /* 04:00 CEST */
    cw_sched_input in = {.st = st, .date = {2026, 3, 29}, .window_start = ws, .window_end = we,
                         .start_offset = 3600, .end_offset = 7200, .tz_changes = &ch, .n_tz_changes = 1,
                         .occ = o.v, .n_occ = o.n, .positions = o.pos, .lib = &l.lib};
    cw_plan *p = NULL;
    cw_error err = {0};
    assert_int_equal(cw_sched_run(&p, &in, &err), 0);
    check_gapless(p, 5 * HOUR * RATE);
    long i = fx_item_at(p, 3 * HOUR * RATE);
    assert_true(i >= 0);
    char t[32];
    cw_plan_local_time(p, p->items[i].offset_samples, t);
    assert_string_equal(t, "2026-03-29T04:00:00+02:00");
    cw_plan_local_time(p, 0, t);
    assert_string_equal(t, "2026-03-29T00:00:00+01:00");
    cw_plan_local_time(p, 5 * HOUR * RATE, t);
    assert_string_equal(t, "2026-03-29T06:00:00+02:00");
    cw_plan_local_time(p, 1, t);
    assert_string_equal(t, "2026-03-29T00:00:00.000+01:00"); /* not whole: fraction shown */
    cw_plan_local_time(p, RATE / 2, t);
    assert_string_equal(t, "2026-03-29T00:00:00.500+01:00");
    cw_buf b;
    cw_buf_init(&b);
    assert_int_equal(cw_plan_to_json(p, &b), 0);
    assert_non_null(strstr(b.data, "\"start\": \"2026-03-29T04:00:00+02:00\""));
    assert_non_null(strstr(b.data, "\"start_utc\": \"2026-03-29T02:00:00Z\""));
    cw_buf_free(&b);
    cw_plan_free(p);
    fx_station_free(st);
}

static void test_pre_window_and_all_day(void **state)
{
    (void)state;
    cw_station *st = fx_station();
    static fx_occ o;
    memset(&o, 0, sizeof o);
    fx_ev(&o, "a.ics", 0, "early", CW_KIND_LESSON, AT(5, 30), AT(6, 30), "x", 1);
    cw_occurrence *ad = fx_ev(&o, "a.ics", 0, "allday", CW_KIND_LESSON, DAY0, DAY0 + 86400, "x", 1);
    ad->all_day = 1;
    cw_plan *p = NULL;
    assert_int_equal(fx_plan(&p, st, &o, NULL, D16, WS, WE), 0);
    assert_int_equal(p->n_items, 1);
    assert_int_equal(p->items[0].kind, CW_KIND_SILENCE);
    assert_true(fx_has_warning(&p->warnings, "before the on-air window"));
    assert_true(fx_has_warning(&p->warnings, "all-day event"));
    cw_plan_free(p);
    fx_station_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blocks_from_items),
        cmocka_unit_test(test_hard_start_to_the_sample),
        cmocka_unit_test(test_repeat_and_explicit_episode),
        cmocka_unit_test(test_overrun_cut_and_push),
        cmocka_unit_test(test_newsletters_overfull_underfull),
        cmocka_unit_test(test_fill_rotation_by_date),
        cmocka_unit_test(test_conflicts),
        cmocka_unit_test(test_blackout),
        cmocka_unit_test(test_missing_policies),
        cmocka_unit_test(test_attach_refusals),
        cmocka_unit_test(test_dst_times_in_json),
        cmocka_unit_test(test_pre_window_and_all_day),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
