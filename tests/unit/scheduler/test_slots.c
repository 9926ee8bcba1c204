/* test_slots.c — the planner core's new rules from literals (issue #14): a slot for every
 * event instance with its status and reason (airs, missing, pending, cancelled by the
 * partner or the station, blackout, lost, off-air, held, skipped), several on-air windows,
 * blocks mode (only partner events; fill inside a slot, never between; contiguous events one
 * block; the slot's end cuts), dead air (max_silence; what really plays when there are no
 * fillers), series keys in any case, recordings awaiting approval, and warnings as coded
 * diagnostics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "sched_fixture.h"

static int run(cw_plan **p, const cw_station *st, const fx_occ *o, const fx_lib *l, const cw_plan_window *w, size_t nw,
               const cw_library *pending, const cw_sched_note *notes, const cw_station_changes *ch)
{
    cw_sched_input in = {
        .st = st,
        .date = D16,
        .window_start = w ? w[0].start_utc : WS,
        .window_end = w ? w[nw - 1].end_utc : WE,
        .windows = w,
        .n_windows = w ? nw : 0,
        .occ = o ? o->v : NULL,
        .n_occ = o ? o->n : 0,
        .positions = o ? o->pos : NULL,
        .lib = l ? &l->lib : NULL,
        .pending = pending,
        .notes = notes,
        .changes = ch,
    };
    cw_error err = {0};
    int rc = cw_sched_run(p, &in, &err);
    if (rc) fail_msg("plan: %s", err.text);
    return rc;
}

static void check_items_in_windows(const cw_plan *p, int cover)
{
    int64_t pos = 0;
    size_t k = 0;
    for (size_t i = 0; i < p->n_items; i++) {
        const cw_plan_item *it = &p->items[i];
        assert_true(it->length_samples > 0);
        assert_true(it->offset_samples >= pos); /* in order, never overlapping */
        while (k < p->n_windows && it->offset_samples >= (p->windows[k].end_utc - p->window_start_utc) * RATE) k++;
        assert_true(k < p->n_windows);
        int64_t lo = (p->windows[k].start_utc - p->window_start_utc) * RATE;
        int64_t hi = (p->windows[k].end_utc - p->window_start_utc) * RATE;
        assert_true(it->offset_samples >= lo && it->offset_samples + it->length_samples <= hi);
        if (cover) assert_true(it->offset_samples == pos || it->offset_samples == lo);
        pos = it->offset_samples + it->length_samples;
    }
    if (cover) {
        /* every window exactly covered: the blocks are the windows */
        assert_int_equal(p->n_blocks, p->n_windows);
        for (size_t b = 0; b < p->n_blocks; b++) {
            assert_int_equal(p->blocks[b].offset_samples, (p->windows[b].start_utc - p->window_start_utc) * RATE);
            assert_int_equal(p->blocks[b].length_samples, (p->windows[b].end_utc - p->windows[b].start_utc) * RATE);
        }
    }
}

/* Every status a slot can have, from one day's events. */
static void test_slot_statuses(void **state)
{
    (void)state;
    cw_station *st = fx_station();
    static fx_lib l, pend;
    memset(&l, 0, sizeof l);
    memset(&pend, 0, sizeof pend);
    fx_rec(&l, CW_KIND_LESSON, "library/lesson/maths/001-a.ogg", "maths", 1, 600);
    fx_rec(&l, CW_KIND_FILLER, "library/filler/ids/000-id.ogg", "ids", 0, 30);
    fx_rec(&pend, CW_KIND_LESSON, "pending/lesson/eng/003-c.ogg", "eng", 3, 300);
    static fx_occ o;
    memset(&o, 0, sizeof o);
    cw_occurrence *e;
    fx_ev(&o, "a.ics", 0, "airs", CW_KIND_LESSON, AT(7, 0), AT(7, 30), "maths", 1)->teacher = "Mrs Okafor";
    fx_ev(&o, "a.ics", 0, "missing", CW_KIND_LESSON, AT(8, 0), AT(8, 30), "maths", 2);
    fx_ev(&o, "a.ics", 0, "pending", CW_KIND_LESSON, AT(9, 0), AT(9, 30), "eng", 3);
    fx_ev(&o, "a.ics", 0, "cancelled", CW_KIND_LESSON, AT(10, 0), AT(10, 30), "maths", 0)->cancelled = 1;
    e = fx_ev(&o, "a.ics", 0, "st-cancelled", CW_KIND_LESSON, AT(10, 30), AT(10, 45), "maths", 0);
    e->cancelled = 1;
    fx_ev(&o, "h.ics", 0, "holiday", CW_KIND_BLACKOUT, AT(11, 0), AT(12, 0), NULL, 0);
    fx_ev(&o, "a.ics", 0, "blacked", CW_KIND_LESSON, AT(11, 15), AT(11, 45), "maths", 3);
    fx_ev(&o, "z.ics", 5, "winner", CW_KIND_LESSON, AT(13, 0), AT(13, 30), "maths", 1);
    fx_ev(&o, "a.ics", 0, "loser", CW_KIND_LESSON, AT(13, 10), AT(13, 40), "maths", 4);
    fx_ev(&o, "a.ics", 0, "early", CW_KIND_LESSON, AT(4, 0), AT(4, 30), "maths", 5);
    fx_ev(&o, "a.ics", 0, "held", CW_KIND_LESSON, AT(14, 0), AT(14, 30), "hist", 2);
    fx_ev(&o, "a.ics", 0, "allday", CW_KIND_LESSON, DAY0, DAY0 + 86400, "maths", 6)->all_day = 1;
    fx_ev(&o, "a.ics", 0, "news", CW_KIND_NEWSLETTER, AT(15, 0), AT(15, 10), NULL, 0);
    cw_sched_note notes[64];
    memset(notes, 0, sizeof notes);
    notes[4].station_cancelled = 1;
    notes[4].change_id = "cancel-x";
    cw_station_changes ch = {0};
    cw_station_change hold = {.action = CW_CHANGE_HOLD, .series = "HIST", .from = {2026, 3, 10}};
    assert_int_equal(cw_station_changes_add(&ch, &hold), 0);
    cw_plan *p = NULL;
    run(&p, st, &o, &l, NULL, 0, &pend.lib, notes, &ch);
    check_items_in_windows(p, 1);
    static const struct {
        const char *uid;
        cw_slot_status status;
        const char *reason;
        int station_change;
    } want[] = {
        {"airs", CW_SLOT_AIRS, "", 0},
        {"missing", CW_SLOT_MISSING, "episode 2 has not arrived; instead plays fillers", 0},
        {"pending", CW_SLOT_PENDING, "is awaiting approval", 0},
        {"cancelled", CW_SLOT_CANCELLED, "STATUS:CANCELLED", 0},
        {"st-cancelled", CW_SLOT_CANCELLED, "cancelled by the station", 1},
        {"holiday", CW_SLOT_BLACKOUT, "", 0},
        {"blacked", CW_SLOT_BLACKOUT, "suppressed by 'holiday' (h.ics)", 0},
        {"winner", CW_SLOT_AIRS, "", 0},
        {"loser", CW_SLOT_LOST, "lost its slot to 'winner' (z.ics, priority 5)", 0},
        {"early", CW_SLOT_OFF_AIR, "starts at 04:00, outside the station's on-air hours", 0},
        {"held", CW_SLOT_HELD, "series 'hist' is held by the station from 2026-03-10", 1},
        {"allday", CW_SLOT_SKIPPED, "all-day", 0},
        {"news", CW_SLOT_AIRS, "", 0},
    };
    assert_int_equal(p->n_slots, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const cw_plan_slot *s = fx_slot(p, want[i].uid);
        if (!s) fail_msg("no slot for %s", want[i].uid);
        if (s->status != want[i].status)
            fail_msg("%s: status %s, want %s", want[i].uid, cw_slot_status_name(s->status),
                     cw_slot_status_name(want[i].status));
        if (want[i].reason[0] ? !strstr(s->reason, want[i].reason) : s->reason[0] != 0)
            fail_msg("%s: reason '%s', want '%s'", want[i].uid, s->reason, want[i].reason);
        assert_int_equal(s->station_change, want[i].station_change);
    }
    /* slots come by start, then UID: the all-day one (midnight) first */
    assert_string_equal(p->slots[0].event_uid, "allday");
    for (size_t i = 1; i < p->n_slots; i++) assert_true(p->slots[i - 1].start_utc <= p->slots[i].start_utc);
    /* what airs: its recording, its items, the calendar's teacher */
    const cw_plan_slot *s = fx_slot(p, "airs");
    assert_string_equal(s->recording, "library/lesson/maths/001-a.ogg");
    assert_int_equal(s->n_items, 1);
    assert_int_equal(p->items[s->first_item].offset_samples, OFF(7, 0));
    assert_string_equal(s->teacher, "Mrs Okafor");
    assert_int_equal(s->episode, 1);
    /* the missing one: no recording, its stand-in fillers are its items, the library's teacher of the series */
    s = fx_slot(p, "missing");
    assert_null(s->recording);
    assert_int_equal(s->episode, 2);
    assert_true(s->n_items > 0);
    for (size_t i = s->first_item; i < s->first_item + s->n_items; i++) {
        assert_string_equal(p->items[i].event_uid, "missing");
        assert_int_equal(p->items[i].kind, CW_KIND_FILLER);
    }
    assert_string_equal(s->teacher, "Ms Ada"); /* from library/lesson/maths/001-a.ogg */
    /* not placed: no items */
    assert_int_equal(fx_slot(p, "loser")->n_items, 0);
    assert_int_equal(fx_slot(p, "held")->n_items, 0);
    /* the warnings carry codes and their event */
    assert_int_equal(fx_count_code(&p->warnings, "plan.missing-recording"), 1);
    assert_int_equal(fx_count_code(&p->warnings, "plan.awaiting-approval"), 1);
    assert_int_equal(fx_count_code(&p->warnings, "plan.blackout"), 1);
    assert_int_equal(fx_count_code(&p->warnings, "plan.conflict-lost"), 1);
    assert_int_equal(fx_count_code(&p->warnings, "plan.all-day-event"), 1);
    assert_int_equal(fx_count_code(&p->warnings, "plan.held"), 1);
    for (size_t i = 0; i < p->warnings.n; i++) {
        const cw_diag *g = &p->warnings.v[i];
        assert_non_null(g->code);
        assert_true(!strncmp(g->code, "plan.", 5));
        if (!strcmp(g->code, "plan.held")) assert_int_equal(g->severity, CW_DIAG_INFO);
        if (!strcmp(g->code, "plan.missing-recording")) {
            assert_string_equal(g->file, "a.ics");
            assert_string_equal(g->item, "missing");
        }
    }
    assert_true(fx_has_warning(&p->warnings, "pending/lesson/eng/003-c.ogg"));
    cw_plan_free(p);
    cw_station_changes_free(&ch);
    fx_station_free(st);
}

/* on_air = 06:00-09:00, 16:00-16:15: two blocks, nothing between them. */
static void test_several_windows(void **state)
{
    (void)state;
    cw_station *st = fx_station();
    static fx_lib l;
    memset(&l, 0, sizeof l);
    fx_rec(&l, CW_KIND_LESSON, "library/lesson/m/001-a.ogg", "m", 1, 20 * 60);
    fx_rec(&l, CW_KIND_LESSON, "library/lesson/m/002-b.ogg", "m", 2, 5 * 60);
    fx_rec(&l, CW_KIND_FILLER, "library/filler/ids/000-id.ogg", "ids", 0, 7);
    static fx_occ o;
    memset(&o, 0, sizeof o);
    fx_ev(&o, "a.ics", 0, "morning", CW_KIND_LESSON, AT(8, 50), AT(9, 20), "m", 1); /* runs past the window */
    fx_ev(&o, "a.ics", 0, "between", CW_KIND_LESSON, AT(12, 0), AT(12, 30), "m", 1);
    fx_ev(&o, "a.ics", 0, "evening", CW_KIND_LESSON, AT(16, 5), AT(16, 10), "m", 2);
    cw_plan_window w[2] = {{AT(6, 0), AT(9, 0)}, {AT(16, 0), AT(16, 15)}};
    cw_plan *p = NULL;
    run(&p, st, &o, &l, w, 2, NULL, NULL, NULL);
    check_items_in_windows(p, 1);
    assert_int_equal(p->n_windows, 2);
    assert_int_equal(p->window_start_utc, AT(6, 0));
    assert_int_equal(p->window_end_utc, AT(16, 15));
    /* the morning lesson is cut at the window's end, not at its own */
    long i = fx_item_at(p, OFF(8, 50));
    assert_true(i >= 0);
    assert_int_equal(p->items[i].length_samples, 10 * 60 * RATE);
    assert_true(p->items[i].cut);
    assert_true(fx_has_warning(&p->items[i].warnings, "at the end of the on-air window"));
    /* nothing between the windows; the noon lesson is off air */
    for (size_t k = 0; k < p->n_items; k++)
        assert_false(p->items[k].offset_samples >= OFF(9, 0) && p->items[k].offset_samples < OFF(16, 0));
    assert_int_equal(fx_slot(p, "between")->status, CW_SLOT_OFF_AIR);
    /* the evening one starts to the sample inside the second window */
    i = fx_item_at(p, OFF(16, 5));
    assert_true(i >= 0);
    assert_true(p->items[i].hard_start);
    assert_int_equal(fx_slot(p, "evening")->status, CW_SLOT_AIRS);
    /* JSON: the windows, the blocks, a round trip */
    cw_buf b;
    cw_buf_init(&b);
    assert_int_equal(cw_plan_to_json(p, &b), 0);
    assert_non_null(strstr(b.data, "\"windows\": [\n    {\n      \"start\": \"2026-03-16T06:00:00+00:00\",\n"
                                   "      \"end\": \"2026-03-16T09:00:00+00:00\"\n    },\n    {\n"
                                   "      \"start\": \"2026-03-16T16:00:00+00:00\""));
    cw_plan *r = NULL;
    cw_error err = {0};
    if (cw_plan_from_json(&r, b.data, b.len, &err)) fail_msg("read back: %s", err.text);
    assert_int_equal(r->n_windows, 2);
    assert_int_equal(r->n_blocks, 2);
    assert_int_equal(r->n_slots, p->n_slots);
    cw_buf c;
    cw_buf_init(&c);
    assert_int_equal(cw_plan_to_json(r, &c), 0);
    assert_string_equal(b.data, c.data);
    /* the text rundown shows both blocks */
    cw_buf t;
    cw_buf_init(&t);
    assert_int_equal(cw_plan_to_text(p, &t), 0);
    assert_non_null(strstr(t.data, "on-air windows: 06:00-09:00, 16:00-16:15"));
    assert_non_null(strstr(t.data, "-- block 2: 16:00:00 to 16:15:00 (0:15:00) --"));
    assert_non_null(strstr(t.data, "off-air   between"));
    cw_buf_free(&t);
    cw_buf_free(&b);
    cw_buf_free(&c);
    cw_plan_free(r);
    cw_plan_free(p);
    fx_station_free(st);
}

/* Blocks mode: only the partner events, fill inside a slot, never between. */
static void test_blocks_mode(void **state)
{
    (void)state;
    cw_station *st = fx_station();
    st->bundle_mode = CW_BUNDLE_BLOCKS;
    static fx_lib l;
    memset(&l, 0, sizeof l);
    fx_rec(&l, CW_KIND_LESSON, "library/lesson/m/001-a.ogg", "m", 1, 120.5); /* 2 min in a 30 min slot */
    fx_rec(&l, CW_KIND_LESSON, "library/lesson/m/002-b.ogg", "m", 2, 40 * 60); /* longer than its slot */
    fx_rec(&l, CW_KIND_FILLER, "library/filler/ids/000-id.ogg", "ids", 0, 60);
    static fx_occ o;
    memset(&o, 0, sizeof o);
    fx_ev(&o, "a.ics", 0, "one", CW_KIND_LESSON, AT(9, 0), AT(9, 30), "m", 1);
    fx_ev(&o, "a.ics", 0, "two", CW_KIND_LESSON, AT(9, 30), AT(10, 0), "m", 2); /* contiguous: same block */
    fx_ev(&o, "a.ics", 0, "three", CW_KIND_LESSON, AT(14, 0), AT(14, 30), "m", 3); /* missing */
    cw_plan *p = NULL;
    run(&p, st, &o, &l, NULL, 0, NULL, NULL, NULL);
    check_items_in_windows(p, 0);
    assert_int_equal(p->mode, CW_BUNDLE_BLOCKS);
    /* nothing before 09:00 nor between the runs */
    assert_int_equal(p->items[0].offset_samples, OFF(9, 0));
    assert_true(p->items[0].hard_start);
    /* 09:00-10:00 is one block (a run of two events): the lesson, 27 whole fillers, 59.5 s of
     * silence to the next event (the run stays whole), then lesson two, cut at 10:00 */
    assert_int_equal(p->n_blocks, 2);
    assert_int_equal(p->blocks[0].offset_samples, OFF(9, 0));
    assert_int_equal(p->blocks[0].length_samples, 60 * 60 * RATE);
    const cw_plan_slot *one = fx_slot(p, "one"), *two = fx_slot(p, "two");
    assert_int_equal(one->n_items, 1 + 27 + 1);
    for (size_t i = one->first_item + 1; i < one->first_item + 28; i++) assert_int_equal(p->items[i].kind, CW_KIND_FILLER);
    assert_int_equal(p->items[one->first_item + 28].kind, CW_KIND_SILENCE);
    assert_int_equal(p->items[one->first_item + 28].length_samples, (int64_t)(59.5 * RATE));
    long k = fx_item_at(p, OFF(9, 30));
    assert_true(k >= 0);
    assert_true(p->items[k].hard_start);
    assert_int_equal(p->items[k].length_samples, 30 * 60 * RATE); /* cut at its slot's end */
    assert_true(p->items[k].cut);
    assert_true(fx_has_warning(&p->items[k].warnings, "at the end of its slot"));
    assert_int_equal(two->n_items, 1);
    /* the missing 14:00 lesson: a block of its own, fillers over its slot, no silence */
    const cw_plan_slot *three = fx_slot(p, "three");
    assert_int_equal(three->status, CW_SLOT_MISSING);
    assert_int_equal(three->n_items, 30);
    assert_int_equal(p->blocks[1].offset_samples, OFF(14, 0));
    assert_int_equal(p->blocks[1].length_samples, 30 * 60 * RATE);
    assert_int_equal(fx_count_code(&p->warnings, "plan.dead-air"), 1); /* the 59.5 s */
    cw_plan_free(p);

    /* no fillers at all: the missing lesson alone gets nothing (the station's programming),
     * said so; the run 09:00-10:00 keeps its shape with silence, which is dead air */
    l.lib.n = 2;
    run(&p, st, &o, &l, NULL, 0, NULL, NULL, NULL);
    three = fx_slot(p, "three");
    assert_int_equal(three->n_items, 0);
    assert_non_null(strstr(three->reason, "nothing: the station's own programming airs (the library has no fillers)"));
    assert_int_equal(p->n_blocks, 1);
    assert_int_equal(p->blocks[0].length_samples, 60 * 60 * RATE);
    assert_int_equal(fx_count_code(&p->warnings, "plan.dead-air"), 1);
    assert_true(fx_has_warning(&p->warnings, "dead air: 27:59.5 of silence from 09:02:00.500 to 09:30:00"));
    cw_plan_free(p);

    /* a lone event whose recording is shorter: the block ends with the recording */
    memset(&o, 0, sizeof o);
    fx_ev(&o, "a.ics", 0, "one", CW_KIND_LESSON, AT(9, 0), AT(9, 30), "m", 1);
    run(&p, st, &o, &l, NULL, 0, NULL, NULL, NULL);
    assert_int_equal(p->n_items, 1);
    assert_int_equal(p->n_blocks, 1);
    assert_int_equal(p->blocks[0].length_samples, (int64_t)(120.5 * RATE));
    assert_int_equal(fx_count_code(&p->warnings, "plan.dead-air"), 0);
    cw_plan_free(p);
    fx_ev(&o, "a.ics", 0, "two", CW_KIND_LESSON, AT(9, 30), AT(10, 0), "m", 2);
    fx_ev(&o, "a.ics", 0, "three", CW_KIND_LESSON, AT(14, 0), AT(14, 30), "m", 3);

    /* missing = silence is the station's explicit choice: silence over the slot, dead air said */
    st->missing = CW_MISSING_SILENCE;
    run(&p, st, &o, &l, NULL, 0, NULL, NULL, NULL);
    three = fx_slot(p, "three");
    assert_int_equal(three->n_items, 1);
    assert_int_equal(p->items[three->first_item].kind, CW_KIND_SILENCE);
    assert_int_equal(fx_count_code(&p->warnings, "plan.dead-air"), 2); /* 09:02 and 14:00 */
    assert_true(fx_has_warning(&p->warnings, "dead air: 30:00.0 of silence from 14:00:00 to 14:30:00 (the station's "
                                             "'missing = silence' policy for the missing lesson 'three'"));
    cw_plan_free(p);
    fx_station_free(st);
}

/* Dead air: silence longer than max_silence is a warning that says why. */
static void test_dead_air(void **state)
{
    (void)state;
    cw_station *st = fx_station();
    st->max_silence = 10;
    static fx_lib l;
    memset(&l, 0, sizeof l);
    fx_rec(&l, CW_KIND_LESSON, "library/lesson/m/001-a.ogg", "m", 1, 120);
    static fx_occ o;
    memset(&o, 0, sizeof o);
    fx_ev(&o, "a.ics", 0, "one", CW_KIND_LESSON, AT(6, 0), AT(6, 30), "m", 1);
    fx_ev(&o, "a.ics", 0, "two", CW_KIND_LESSON, AT(6, 30), AT(7, 0), "m", 2); /* missing */
    cw_plan_window w = {AT(6, 0), AT(7, 0)};
    cw_plan *p = NULL;
    run(&p, st, &o, &l, &w, 1, NULL, NULL, NULL);
    check_items_in_windows(p, 1);
    /* 06:02-06:30 gap, then the missing 06:30-07:00: adjacent silences are one run */
    assert_int_equal(fx_count_code(&p->warnings, "plan.dead-air"), 1);
    assert_true(fx_has_warning(&p->warnings, "dead air: 58:00.0 of silence from 06:02:00 to 07:00:00 (the library has no "
                                             "fillers: ingest station IDs or music with 'chalkwave ingest --kind filler FILE', "
                                             "or plan only the partner events with [bundle] mode = blocks)"));
    /* the missing-recording text says what really plays */
    assert_true(fx_has_warning(&p->warnings, "instead plays silence: the library has no fillers ("));
    assert_non_null(strstr(fx_slot(p, "two")->reason, "instead plays silence: the library has no fillers"));
    /* the warning is on the silence item too */
    long i = fx_item_at(p, OFF(6, 2));
    assert_int_equal(fx_count_code(&p->items[i].warnings, "plan.dead-air"), 1);
    cw_plan_free(p);
    /* allowed silence: no warning */
    st->max_silence = 3600;
    run(&p, st, &o, &l, &w, 1, NULL, NULL, NULL);
    assert_int_equal(fx_count_code(&p->warnings, "plan.dead-air"), 0);
    cw_plan_free(p);
    /* fillers that do not fit */
    st->max_silence = 10;
    fx_rec(&l, CW_KIND_FILLER, "library/filler/music/000-long.ogg", "music", 0, 3000);
    run(&p, st, &o, &l, &w, 1, NULL, NULL, NULL);
    assert_true(fx_has_warning(&p->warnings, "no filler is short enough: the shortest is 50:00.0"));
    cw_plan_free(p);
    /* a silence of exactly max_silence is not dead air; one sample more is */
    l.lib.n = 1;
    fx_rec(&l, CW_KIND_FILLER, "library/filler/ids/000-id.ogg", "ids", 0, 50);
    memset(&o, 0, sizeof o);
    fx_ev(&o, "a.ics", 0, "one", CW_KIND_LESSON, AT(6, 0), AT(6, 1), "m", 1);
    cw_plan_window w2 = {AT(6, 0), AT(6, 3)};
    /* 120 s lesson from 06:00; 60 s left: one 50 s filler, 10 s of silence */
    run(&p, st, &o, &l, &w2, 1, NULL, NULL, NULL);
    assert_int_equal(fx_count_code(&p->warnings, "plan.dead-air"), 0);
    cw_plan_free(p);
    st->max_silence = 9.9;
    run(&p, st, &o, &l, &w2, 1, NULL, NULL, NULL);
    assert_int_equal(fx_count_code(&p->warnings, "plan.dead-air"), 1);
    cw_plan_free(p);
    fx_station_free(st);
}

/* Series keys compare without regard to case, whichever side wrote capitals. */
static void test_series_case(void **state)
{
    (void)state;
    cw_station *st = fx_station();
    static fx_lib l;
    memset(&l, 0, sizeof l);
    fx_rec(&l, CW_KIND_LESSON, "library/lesson/maths-g5/001-a.ogg", "maths-g5", 1, 60);
    fx_rec(&l, CW_KIND_LESSON, "library/lesson/eng/001-a.ogg", "English-G4", 1, 60);
    fx_rec(&l, CW_KIND_FILLER, "library/filler/ids/000-id.ogg", "IDs", 0, 60);
    static fx_occ o;
    memset(&o, 0, sizeof o);
    fx_ev(&o, "a.ics", 0, "m", CW_KIND_LESSON, AT(9, 0), AT(9, 30), "MATHS-G5", 1);
    fx_ev(&o, "a.ics", 0, "e", CW_KIND_LESSON, AT(10, 0), AT(10, 30), "english-g4", 1);
    fx_ev(&o, "a.ics", 0, "r", CW_KIND_LESSON, AT(11, 0), AT(11, 30), "Maths-G5", 0)->repeat = 1;
    cw_strlist_push(&st->fillers, "ids");
    cw_plan *p = NULL;
    run(&p, st, &o, &l, NULL, 0, NULL, NULL, NULL);
    assert_int_equal(fx_slot(p, "m")->status, CW_SLOT_AIRS);
    assert_int_equal(fx_slot(p, "e")->status, CW_SLOT_AIRS);
    /* the repeat finds its first airing in another case */
    assert_int_equal(fx_slot(p, "r")->episode, 1);
    assert_int_equal(fx_slot(p, "r")->status, CW_SLOT_AIRS);
    /* the filler series list matches too */
    assert_true(fx_item_at(p, 0) >= 0);
    assert_int_equal(p->items[fx_item_at(p, 0)].kind, CW_KIND_FILLER);
    cw_plan_free(p);
    fx_station_free(st);
}

/* A moved instance (station change) airs at its new time and says from where. */
static void test_station_notes(void **state)
{
    (void)state;
    cw_station *st = fx_station();
    static fx_lib l;
    memset(&l, 0, sizeof l);
    fx_rec(&l, CW_KIND_LESSON, "library/lesson/m/001-a.ogg", "m", 1, 60);
    static fx_occ o;
    memset(&o, 0, sizeof o);
    cw_occurrence *e = fx_ev(&o, "a.ics", 0, "moved", CW_KIND_LESSON, AT(15, 0), AT(15, 30), "m", 1);
    e->priority = 2147483647;
    cw_sched_note notes[1] = {{0, 1, AT(9, 0) - 86400, "move-x"}};
    cw_plan *p = NULL;
    run(&p, st, &o, &l, NULL, 0, NULL, notes, NULL);
    const cw_plan_slot *s = fx_slot(p, "moved");
    assert_int_equal(s->status, CW_SLOT_AIRS);
    assert_int_equal(s->station_change, 1);
    assert_string_equal(s->reason, "moved by the station from 2026-03-15 09:00");
    assert_int_equal(p->items[s->first_item].offset_samples, OFF(15, 0));
    cw_plan_free(p);
    fx_station_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_slot_statuses), cmocka_unit_test(test_several_windows),
        cmocka_unit_test(test_blocks_mode),   cmocka_unit_test(test_dead_air),
        cmocka_unit_test(test_series_case),   cmocka_unit_test(test_station_notes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
