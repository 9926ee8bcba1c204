/* test_session.c — the session layer on a real station folder: opening (the same refusals
 * as loading a station), reloading exactly what changed (station.conf, a partner calendar,
 * station.ics, the library) and nothing else, a broken file keeping the last good state,
 * the station lock per call (shared to read, exclusive to write, never held between calls,
 * or held on request), snapshots that outlive a reload, several threads planning while
 * another changes the station, the chase list and slot lookup, and 'missed = hold' judged
 * from the day bundles' plans. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "session.h"

#define RATE 8000

static char *scratch;

static int setup(void **state)
{
    (void)state;
    char tmpl[] = "/tmp/cw-session-XXXXXX";
    if (!mkdtemp(tmpl)) return -1;
    scratch = strdup(tmpl);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char *cmd = cw_asprintf("rm -rf '%s'", scratch);
    int rc = system(cmd);
    free(cmd);
    free(scratch);
    return rc ? -1 : 0;
}

static void write_text(const char *dir, const char *name, const char *text)
{
    char *p = cw_path_join(dir, name);
    cw_error err;
    if (cw_write_file_atomic(p, text, strlen(text), &err)) fail_msg("%s: %s", p, err.text);
    free(p);
}

/* A recording of series `series`, episode `ep` (1 s of tone), as ingest stores it. */
static void add_recording(const char *st, const char *series, int ep)
{
    char dir[1024], path[1100];
    snprintf(dir, sizeof dir, "%s/library/lesson/%s", st, series);
    cw_error err;
    assert_int_equal(cw_mkdir_p(dir, &err), 0);
    snprintf(path, sizeof path, "%s/%03d-x.ogg", dir, ep);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    cw_strlist extra = {0};
    cw_strlist_push(&extra, "CHALKWAVE_KIND=lesson");
    cw_strlist_pushf(&extra, "CHALKWAVE_SERIES=%s", series);
    cw_strlist_pushf(&extra, "CHALKWAVE_EPISODE=%d", ep);
    cw_link_meta m = {.title = "Lesson", .artist = "Mr Bello", .extra = &extra};
    cw_vorbis_enc *e = NULL;
    assert_int_equal(cw_vorbis_enc_new(&e, fp, RATE, 1, 0, cw_hash32(path, strlen(path)), &m, &err), 0);
    float buf[RATE];
    for (int i = 0; i < RATE; i++) buf[i] = (float)(0.3 * sin(2 * M_PI * 440 * i / RATE));
    assert_int_equal(cw_vorbis_enc_write(e, buf, RATE, &err), 0);
    assert_int_equal(cw_vorbis_enc_finish(e, &err), 0);
    assert_int_equal(fclose(fp), 0);
    cw_strlist_free(&extra);
}

static const char *conf_text =
    "[station]\nname = Radio Session\ntimezone = UTC\non_air = 06:00-22:00\n"
    "[audio]\nrate = 8000\nchannels = 1\nquality = 0\nloudness = -23\ntrue_peak = -1\n"
    "[schedule]\nmissing = silence\nmax_silence = 86400\n";

static const char *school =
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
    "BEGIN:VEVENT\r\nUID:maths@school\r\nDTSTAMP:20260101T000000Z\r\n"
    "DTSTART:20260302T090000Z\r\nDTEND:20260302T093000Z\r\nRRULE:FREQ=DAILY\r\n"
    "SUMMARY:Maths P5\r\nDESCRIPTION:Series: maths\\nTeacher: Mr Bello\r\nEND:VEVENT\r\n"
    "END:VCALENDAR\r\n";

/* A station in scratch/NAME with the school calendar and maths episode 1. */
static char *make_station(const char *name)
{
    char *st = cw_path_join(scratch, name);
    cw_error err;
    assert_int_equal(cw_station_init_tz(st, "UTC", &err), 0);
    write_text(st, "station.conf", conf_text);
    char *cal = cw_path_join(st, "calendars");
    write_text(cal, "school.ics", school);
    free(cal);
    add_recording(st, "maths", 1);
    return st;
}

#define D(day) ((cw_date){2026, 3, day})

static cw_slot_status maths_status(cw_session *s, int day, int *episode)
{
    cw_plan *p = NULL;
    cw_error err = {0};
    if (cw_session_plan(s, D(day), &p, &err)) fail_msg("plan: %s", err.text);
    cw_slot_status st = CW_SLOT_SKIPPED;
    for (size_t i = 0; i < p->n_slots; i++)
        if (!strcmp(p->slots[i].series, "maths")) {
            st = p->slots[i].status;
            if (episode) *episode = p->slots[i].episode;
        }
    cw_plan_free(p);
    return st;
}

/* Make sure the next write gets another mtime even on a coarse clock. */
static void tick(void)
{
    struct timespec t = {0, 20 * 1000 * 1000};
    nanosleep(&t, NULL);
}

static void test_open_refusals(void **state)
{
    (void)state;
    cw_session *s = (cw_session *)1;
    cw_error err = {0};
    char *none = cw_path_join(scratch, "none");
    assert_int_equal(cw_session_open(&s, none, NULL, &err), CW_ENOTFOUND);
    assert_null(s);
    assert_non_null(strstr(err.text, "does not exist"));
    char *empty = cw_path_join(scratch, "empty");
    assert_int_equal(mkdir(empty, 0755), 0);
    assert_int_equal(cw_session_open(&s, empty, NULL, &err), CW_ENOTFOUND);
    assert_non_null(strstr(err.text, "no station.conf"));
    write_text(empty, "station.conf", "[station]\nname = x\n");
    assert_int_equal(cw_session_open(&s, empty, NULL, &err), CW_EINVAL);
    assert_non_null(strstr(err.text, "missing key"));
    free(none);
    free(empty);
}

static void test_reload_on_change(void **state)
{
    (void)state;
    char *st = make_station("reload");
    cw_session *s = NULL;
    cw_error err = {0};
    assert_int_equal(cw_session_open(&s, st, NULL, &err), 0);
    assert_non_null(cw_session_station(s)); /* read at open */
    assert_null(cw_session_library(s));     /* the rest on first use */
    unsigned ch = 0;
    assert_int_equal(cw_session_refresh(s, &ch, &err), 0);
    assert_int_equal(ch, CW_SESSION_STATION | CW_SESSION_CALENDARS | CW_SESSION_CHANGES | CW_SESSION_LIBRARY |
                             CW_SESSION_PENDING);
    const cw_library *lib = cw_session_library(s);
    const cw_calset *cals = cw_session_calendars(s);
    assert_int_equal(lib->n, 1);
    /* nothing changed: nothing reloaded, the same objects */
    assert_int_equal(cw_session_refresh(s, &ch, &err), 0);
    assert_int_equal(ch, 0);
    assert_ptr_equal(cw_session_library(s), lib);
    assert_ptr_equal(cw_session_calendars(s), cals);
    assert_int_equal(maths_status(s, 2, NULL), CW_SLOT_AIRS);
    assert_int_equal(maths_status(s, 3, NULL), CW_SLOT_MISSING);

    /* an upload awaiting approval: only pending/ (its folder appears; nothing else moves) */
    char *pend = cw_path_join(st, "pending/lesson/maths");
    assert_int_equal(cw_mkdir_p(pend, &err), 0);
    assert_int_equal(cw_session_refresh(s, &ch, &err), 0);
    assert_int_equal(ch, CW_SESSION_PENDING);
    assert_ptr_equal(cw_session_library(s), lib);
    free(pend);

    /* a new recording: only the library */
    add_recording(st, "maths", 2);
    assert_int_equal(cw_session_refresh(s, &ch, &err), 0);
    assert_int_equal(ch, CW_SESSION_LIBRARY);
    assert_int_equal(cw_session_library(s)->n, 2);
    assert_ptr_equal(cw_session_calendars(s), cals);
    assert_int_equal(maths_status(s, 3, NULL), CW_SLOT_AIRS); /* a call refreshes by itself */

    /* a station change: only station.ics, not the calendars beside it */
    cw_station_change hold = {.action = CW_CHANGE_HOLD, .series = "maths", .from = {2026, 3, 10}};
    char *id = NULL;
    assert_int_equal(cw_session_change_add(s, &hold, &id, &err), 0);
    assert_string_equal(id, "hold-maths-20260310");
    free(id);
    assert_int_equal(cw_session_refresh(s, &ch, &err), 0);
    assert_int_equal(ch, CW_SESSION_CHANGES);
    assert_int_equal(maths_status(s, 10, NULL), CW_SLOT_HELD);
    assert_int_equal(cw_session_change_remove(s, "hold-maths-20260310", &err), 0);
    assert_int_equal(maths_status(s, 10, NULL), CW_SLOT_MISSING);
    assert_int_equal(cw_session_change_remove(s, "hold-maths-20260310", &err), CW_ENOTFOUND);
    assert_non_null(strstr(err.text, "no station change 'hold-maths-20260310' (there are none)"));

    /* a partner calendar rewritten (same size, new time): the calendars */
    tick();
    char *cal = cw_path_join(st, "calendars");
    write_text(cal, "school.ics", school);
    assert_int_equal(cw_session_refresh(s, &ch, &err), 0);
    assert_int_equal(ch, CW_SESSION_CALENDARS);
    /* station.conf edited: the settings, and the calendars (their priorities live there) */
    tick();
    char *conf2 = cw_asprintf("%s[calendars]\nschool.ics = 7\n", conf_text);
    write_text(st, "station.conf", conf2);
    assert_int_equal(cw_session_refresh(s, &ch, &err), 0);
    assert_int_equal(ch, CW_SESSION_STATION | CW_SESSION_CALENDARS);
    assert_int_equal(cw_station_calendar_priority(cw_session_station(s), "school.ics"), 7);

    /* a broken calendar: the refresh says which file; the last good state stays */
    tick();
    write_text(cal, "broken.ics", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n");
    const cw_calset *before = cw_session_calendars(s);
    assert_int_not_equal(cw_session_refresh(s, &ch, &err), 0);
    assert_non_null(strstr(err.source, "broken.ics"));
    assert_ptr_equal(cw_session_calendars(s), before);
    cw_plan *p = NULL;
    assert_int_not_equal(cw_session_plan(s, D(2), &p, &err), 0); /* never plans with stale files */
    assert_null(p);
    char *broken = cw_path_join(cal, "broken.ics");
    assert_int_equal(unlink(broken), 0);
    /* the files are those of the last good load again: nothing to reload */
    assert_int_equal(cw_session_refresh(s, &ch, &err), 0);
    assert_int_equal(ch, 0);
    assert_int_equal(cw_session_plan(s, D(2), &p, &err), 0);
    cw_plan_free(p);
    free(broken);
    free(conf2);
    free(cal);
    cw_session_free(s);
    free(st);
}

/* A recording rewritten in place by another program changes no folder: it shows at the
 * next full walk (walk_seconds), one added or removed at once. */
static void test_rewritten_in_place(void **state)
{
    (void)state;
    char *st = make_station("inplace");
    cw_session_opts o = {.lock_wait = 0, .walk_seconds = 0.3};
    cw_session *s = NULL;
    cw_error err = {0};
    assert_int_equal(cw_session_open(&s, st, &o, &err), 0);
    unsigned ch;
    assert_int_equal(cw_session_refresh(s, &ch, &err), 0);
    char *f = cw_asprintf("%s/library/lesson/maths/001-x.ogg", st);
    /* rewrite the bytes in place (same name, same inode, same folder) */
    tick();
    FILE *fp = fopen(f, "r+b");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0, SEEK_END), 0);
    fputc(0, fp); /* a byte after the last page: the scan still reads it */
    assert_int_equal(fclose(fp), 0);
    assert_int_equal(cw_session_refresh(s, &ch, &err), 0);
    assert_int_equal(ch, 0); /* within walk_seconds: not looked at */
    struct timespec t = {0, 350 * 1000 * 1000};
    nanosleep(&t, NULL);
    assert_int_equal(cw_session_refresh(s, &ch, &err), 0);
    assert_int_equal(ch, CW_SESSION_LIBRARY); /* the next full walk sees it */
    /* removed: at once */
    assert_int_equal(unlink(f), 0);
    assert_int_equal(cw_session_refresh(s, &ch, &err), 0);
    assert_int_equal(ch, CW_SESSION_LIBRARY);
    assert_int_equal(cw_session_library(s)->n, 0);
    free(f);
    cw_session_free(s);
    free(st);
}

static void test_lock_rules(void **state)
{
    (void)state;
    char *st = make_station("locks");
    cw_session_opts o = {.lock_wait = 0};
    cw_session *s = NULL;
    cw_error err = {0};
    assert_int_equal(cw_session_open(&s, st, &o, &err), 0);
    cw_plan *p = NULL;
    /* someone else writes (exclusive): reads are refused at once with lock_wait 0 */
    int other = -1;
    assert_int_equal(cw_station_lock(st, 1, 0, &other, &err), 0);
    assert_int_equal(cw_session_plan(s, D(2), &p, &err), CW_ELOCKED);
    assert_non_null(strstr(err.text, "another chalkwave is working on this station"));
    cw_station_unlock(other);
    /* someone else reads (shared): reads go on, writes wait */
    assert_int_equal(cw_station_lock(st, 0, 0, &other, &err), 0);
    assert_int_equal(cw_session_plan(s, D(2), &p, &err), 0);
    cw_plan_free(p);
    cw_station_change hold = {.action = CW_CHANGE_HOLD, .series = "maths", .from = {2026, 3, 10}};
    assert_int_equal(cw_session_change_add(s, &hold, NULL, &err), CW_ELOCKED);
    cw_station_unlock(other);
    /* never held between calls: after a call, an exclusive lock is free at once */
    assert_int_equal(cw_session_plan(s, D(2), &p, &err), 0);
    cw_plan_free(p);
    assert_int_equal(cw_station_lock(st, 1, 0, &other, &err), 0);
    cw_station_unlock(other);
    /* held on request (the CLI): shared is not enough to write */
    assert_int_equal(cw_session_lock(s, 0, &err), 0);
    assert_int_equal(cw_station_lock(st, 1, 0, &other, &err), CW_ELOCKED);
    assert_int_equal(cw_session_plan(s, D(2), &p, &err), 0); /* does not lock again */
    cw_plan_free(p);
    assert_int_equal(cw_session_change_add(s, &hold, NULL, &err), CW_EINTERNAL);
    cw_session_unlock(s);
    assert_int_equal(cw_session_lock(s, 1, &err), 0);
    assert_int_equal(cw_station_lock(st, 0, 0, &other, &err), CW_ELOCKED);
    assert_int_equal(cw_session_change_add(s, &hold, NULL, &err), 0);
    cw_session_free(s); /* releases it */
    assert_int_equal(cw_station_lock(st, 1, 0, &other, &err), 0);
    cw_station_unlock(other);
    free(st);
}

static void test_views_outlive_reload(void **state)
{
    (void)state;
    char *st = make_station("views");
    cw_session *s = NULL;
    cw_error err = {0};
    assert_int_equal(cw_session_open(&s, st, NULL, &err), 0);
    cw_session_view *a = NULL, *b = NULL;
    assert_int_equal(cw_session_view_get(s, &a, &err), 0);
    assert_int_equal(cw_view_library(a)->n, 1);
    add_recording(st, "maths", 2);
    assert_int_equal(cw_session_view_get(s, &b, &err), 0);
    assert_int_equal(cw_view_library(b)->n, 2);
    assert_int_equal(cw_view_library(a)->n, 1); /* the old snapshot is intact */
    /* the calendars did not change: both snapshots share one set (and its lock) */
    const cw_calset *ca = cw_view_calendars_lock(a);
    cw_view_calendars_unlock(a);
    assert_ptr_equal(cw_view_calendars_lock(b), ca);
    cw_view_calendars_unlock(b);
    assert_string_equal(cw_view_station(a)->name, "Radio Session");
    assert_int_equal(cw_view_diags(a)->errors, 0);
    assert_int_equal(cw_view_changes(a)->n, 0);
    cw_session_free(s); /* the views outlive their session */
    assert_int_equal(cw_view_library(a)->n, 1);
    cw_session_view_put(a);
    assert_int_equal(cw_view_library(b)->n, 2);
    cw_session_view_put(b);
    free(st);
}

/* ---- threads --------------------------------------------------------------------------- */

typedef struct worker {
    cw_session *s;
    int plans, failures, bad;
} worker;

static atomic_int stop;

static void *plan_loop(void *arg)
{
    worker *w = arg;
    for (int k = 0; !atomic_load(&stop) || k < 5; k++) {
        cw_plan *p = NULL;
        cw_error err = {0};
        if (cw_session_plan(w->s, D(2 + k % 5), &p, &err)) {
            w->failures++;
            continue;
        }
        /* a whole plan, never a torn one: items cover the window, one maths slot */
        int64_t pos = 0;
        for (size_t i = 0; i < p->n_items; i++) {
            if (p->items[i].offset_samples != pos) w->bad++;
            pos += p->items[i].length_samples;
        }
        if (pos != 16 * 3600LL * RATE || p->n_slots != 1) w->bad++;
        cw_plan_free(p);
        cw_session_view *v = NULL;
        if (!cw_session_view_get(w->s, &v, &err)) {
            const cw_library *lib = cw_view_library(v);
            for (size_t i = 0; i < lib->n; i++)
                if (strcmp(lib->v[i].series, "maths")) w->bad++;
            const cw_calset *c = cw_view_calendars_lock(v);
            cw_occurrences occ = {0};
            if (cw_calset_expand(c, 1772409600, 1772409600 + 86400 * 7, 0, &occ, &err) || occ.n != 7) w->bad++;
            cw_occurrences_free(&occ);
            cw_view_calendars_unlock(v);
            cw_session_view_put(v);
        }
        w->plans++;
    }
    return NULL;
}

static void test_two_threads(void **state)
{
    (void)state;
    char *st = make_station("threads");
    cw_session *s = NULL;
    cw_error err = {0};
    assert_int_equal(cw_session_open(&s, st, NULL, &err), 0);
    worker w[3] = {{s, 0, 0, 0}, {s, 0, 0, 0}, {s, 0, 0, 0}};
    pthread_t t[3];
    atomic_store(&stop, 0);
    for (int i = 0; i < 3; i++) assert_int_equal(pthread_create(&t[i], NULL, plan_loop, &w[i]), 0);
    /* meanwhile the station changes under them */
    for (int ep = 2; ep <= 6; ep++) {
        add_recording(st, "maths", ep);
        cw_station_change hold = {.action = CW_CHANGE_HOLD, .series = "maths", .from = {2026, 4, ep}};
        assert_int_equal(cw_session_change_add(s, &hold, NULL, &err), 0);
        tick();
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 3; i++) assert_int_equal(pthread_join(t[i], NULL), 0);
    for (int i = 0; i < 3; i++) {
        assert_true(w[i].plans >= 5);
        assert_int_equal(w[i].failures, 0);
        assert_int_equal(w[i].bad, 0);
    }
    /* afterwards every episode is there */
    int ep = 0;
    assert_int_equal(maths_status(s, 6, &ep), CW_SLOT_AIRS);
    assert_int_equal(ep, 5);
    assert_int_equal(cw_session_changes(s)->n, 5);
    cw_session_free(s);
    free(st);
}

/* ---- calls ----------------------------------------------------------------------------- */

static void test_missing_and_find_slot(void **state)
{
    (void)state;
    char *st = make_station("missing");
    cw_session *s = NULL;
    cw_error err = {0};
    assert_int_equal(cw_session_open(&s, st, NULL, &err), 0);
    cw_slot_list l = {0};
    assert_int_equal(cw_session_missing(s, D(2), D(6), &l, &err), 0);
    assert_int_equal(l.n, 4); /* episodes 2-5 */
    assert_int_equal(l.v[0].slot.episode, 2);
    assert_string_equal(l.v[0].slot.teacher, "Mr Bello");
    assert_int_equal(cw_date_cmp(l.v[3].date, D(6)), 0);
    cw_slot_list_free(&l);
    assert_int_equal(cw_session_slots(s, D(2), D(3), CW_SLOTS_ALL, "MATHS", &l, &err), 0);
    assert_int_equal(l.n, 2);
    cw_slot_list_free(&l);
    assert_int_equal(cw_session_missing(s, D(6), D(2), &l, &err), CW_EINVAL);
    assert_int_equal(cw_session_find_slot(s, D(4), 9 * 60, NULL, &l, &err), 0);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.v[0].slot.event_uid, "maths@school");
    assert_string_equal(l.v[0].slot.event_recurrence_id, "20260304T090000Z");
    cw_slot_list_free(&l);
    assert_int_equal(cw_session_find_slot(s, D(4), 10 * 60, NULL, &l, &err), CW_ENOTFOUND);
    assert_string_equal(err.text, "no lesson starts at 10:00 on 2026-03-04 (see 'chalkwave plan --date 2026-03-04')");
    assert_int_equal(cw_session_find_slot(s, D(4), 9 * 60, "english", &l, &err), CW_ENOTFOUND);
    /* move it through the session: the plan of the 5th shows it at 15:00 */
    assert_int_equal(cw_session_find_slot(s, D(4), 9 * 60, NULL, &l, &err), 0);
    static char file[64], uid[64], rid[64];
    snprintf(file, sizeof file, "%s", l.v[0].slot.event_file);
    snprintf(uid, sizeof uid, "%s", l.v[0].slot.event_uid);
    snprintf(rid, sizeof rid, "%s", l.v[0].slot.event_recurrence_id);
    cw_station_change mv = {.action = CW_CHANGE_MOVE, .event_file = file, .event_uid = uid, .recurrence_id = rid,
                            .orig_start = l.v[0].slot.start_utc, .start = l.v[0].slot.start_utc + 86400 + 6 * 3600,
                            .end = l.v[0].slot.start_utc + 86400 + 6 * 3600 + 1800};
    assert_int_equal(cw_session_change_add(s, &mv, NULL, &err), 0);
    cw_slot_list_free(&l);
    if (cw_session_find_slot(s, D(5), 15 * 60, NULL, &l, &err)) fail_msg("%s", err.text);
    assert_true(l.v[0].slot.station_change);
    /* moving it again keeps its own start: one move in station.ics */
    cw_station_change mv2 = mv;
    mv2.orig_start = l.v[0].slot.start_utc; /* as a caller finds it: at its new time */
    mv2.start += 3600, mv2.end += 3600;
    assert_int_equal(cw_session_change_add(s, &mv2, NULL, &err), 0);
    assert_int_equal(cw_session_refresh(s, NULL, &err), 0);
    assert_int_equal(cw_session_changes(s)->n, 1);
    assert_int_equal(cw_session_changes(s)->v[0].orig_start, mv.orig_start);
    cw_slot_list_free(&l);
    cw_session_free(s);
    free(st);
}

static void test_hold_from_bundle_records(void **state)
{
    (void)state;
    char *st = make_station("records");
    char *conf = cw_asprintf("%smissed = hold\n", conf_text);
    write_text(st, "station.conf", conf);
    free(conf);
    cw_session *s = NULL;
    cw_error err = {0};
    assert_int_equal(cw_session_open(&s, st, NULL, &err), 0);
    /* 2 March plays episode 1; 3 March misses episode 2: record both days as built */
    for (int day = 2; day <= 3; day++) {
        cw_plan *p = NULL;
        assert_int_equal(cw_session_plan(s, D(day), &p, &err), 0);
        cw_buf b;
        cw_buf_init(&b);
        assert_int_equal(cw_plan_to_json(p, &b), 0);
        char dir[1024];
        snprintf(dir, sizeof dir, "%s/out/2026-03-%02d", st, day);
        assert_int_equal(cw_mkdir_p(dir, &err), 0);
        write_text(dir, "plan.json", b.data);
        cw_buf_free(&b);
        cw_plan_free(p);
    }
    int ep = 0;
    assert_int_equal(maths_status(s, 4, &ep), CW_SLOT_MISSING);
    assert_int_equal(ep, 2);
    /* episode 2 arrives late: the 4th plays it, because the 3rd's bundle says it did not air */
    add_recording(st, "maths", 2);
    assert_int_equal(maths_status(s, 4, &ep), CW_SLOT_AIRS);
    assert_int_equal(ep, 2);
    /* without that record the library alone would say the 3rd aired it */
    char *rec = cw_asprintf("%s/out/2026-03-03/plan.json", st);
    assert_int_equal(unlink(rec), 0);
    assert_int_equal(maths_status(s, 4, &ep), CW_SLOT_MISSING);
    assert_int_equal(ep, 3);
    free(rec);
    cw_session_free(s);
    free(st);
}


/* A 5-second speech-like WAV (a tone with syllable-like bursts) at `path`. */
static void write_wav(const char *path, double freq)
{
    const int rate = 16000, n = 5 * rate;
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    uint32_t data = (uint32_t)n * 2, riff = 36 + data, fmt_len = 16, byte_rate = (uint32_t)rate * 2;
    uint16_t pcm = 1, ch = 1, align = 2, bits = 16;
    uint32_t r = (uint32_t)rate;
    fwrite("RIFF", 1, 4, fp), fwrite(&riff, 4, 1, fp), fwrite("WAVEfmt ", 1, 8, fp);
    fwrite(&fmt_len, 4, 1, fp), fwrite(&pcm, 2, 1, fp), fwrite(&ch, 2, 1, fp), fwrite(&r, 4, 1, fp);
    fwrite(&byte_rate, 4, 1, fp), fwrite(&align, 2, 1, fp), fwrite(&bits, 2, 1, fp);
    fwrite("data", 1, 4, fp), fwrite(&data, 4, 1, fp);
    for (int i = 0; i < n; i++) {
        double env = 0.5 + 0.5 * sin(2 * M_PI * 3 * i / rate);
        int16_t v = (int16_t)(8000 * env * sin(2 * M_PI * freq * i / rate));
        fwrite(&v, 2, 1, fp);
    }
    assert_int_equal(fclose(fp), 0);
}

static int cancel_at_half(void *user, double fraction)
{
    (void)user;
    return fraction >= 0.5;
}

/* An upload through the session: filed as awaiting approval (the slot says 'pending', the
 * next call sees it without a reopen), then approved (the slot airs) — or rejected; a
 * cancelled ingest stores nothing; the session's calendars check the series key. */
static void test_ingest_pending_approve(void **state)
{
    (void)state;
    char *st = make_station("ingest");
    cw_session *s = NULL;
    cw_error err = {0};
    assert_int_equal(cw_session_open(&s, st, NULL, &err), 0);
    int ep = 0;
    assert_int_equal(maths_status(s, 3, &ep), CW_SLOT_MISSING); /* 3 March: episode 2 is missing */
    assert_int_equal(ep, 2);

    char *wav = cw_path_join(scratch, "upload-tmp-1234");
    write_wav(wav, 330);
    cw_ingest_opts o = {.meta = {.series = "Maths", .episode = 2, .title = "Fractions"},
                        .pending = 1,
                        .display_name = "fractions.wav",
                        .progress = cancel_at_half};
    cw_ingest_result res;
    memset(&res, 0, sizeof res);
    assert_int_equal(cw_session_ingest(s, wav, &o, &res, &err), CW_ECANCELLED);
    cw_ingest_result_free(&res);
    cw_session_view *v = NULL;
    assert_int_equal(cw_session_view_get(s, &v, &err), 0);
    assert_int_equal(cw_view_pending(v)->n, 0); /* nothing stored by the cancelled ingest */
    cw_session_view_put(v);

    o.progress = NULL;
    memset(&res, 0, sizeof res);
    if (cw_session_ingest(s, wav, &o, &res, &err)) fail_msg("ingest: %s", err.text);
    assert_true(!strncmp(res.library_path, "pending/", 8));
    cw_ingest_result_free(&res);
    assert_int_equal(cw_session_view_get(s, &v, &err), 0);
    assert_int_equal(cw_view_pending(v)->n, 1);
    assert_string_equal(cw_view_pending(v)->v[0].series, "maths");
    char pending_path[1024];
    snprintf(pending_path, sizeof pending_path, "%s", cw_view_pending(v)->v[0].path);
    cw_session_view_put(v);
    assert_int_equal(maths_status(s, 3, NULL), CW_SLOT_PENDING);

    char lib_path[1024];
    if (cw_session_approve(s, pending_path, 0, lib_path, sizeof lib_path, &err)) fail_msg("approve: %s", err.text);
    assert_true(!strncmp(lib_path, "library/", 8));
    assert_int_equal(maths_status(s, 3, NULL), CW_SLOT_AIRS);
    assert_int_equal(cw_session_view_get(s, &v, &err), 0);
    assert_int_equal(cw_view_pending(v)->n, 0);
    cw_session_view_put(v);

    /* a second upload, of a series no calendar uses (a typo), rejected with a reason */
    write_wav(wav, 520);
    cw_ingest_opts o2 = {.meta = {.series = "math", .episode = 3, .title = "Decimals"}, .pending = 1};
    memset(&res, 0, sizeof res);
    if (cw_session_ingest(s, wav, &o2, &res, &err)) fail_msg("ingest: %s", err.text);
    int warned = 0;
    for (size_t i = 0; i < res.diags.n; i++)
        if (res.diags.v[i].code && !strcmp(res.diags.v[i].code, "ingest.series-unknown") &&
            strstr(res.diags.v[i].text, "maths"))
            warned = 1;
    assert_true(warned);
    snprintf(pending_path, sizeof pending_path, "%s", res.library_path);
    cw_ingest_result_free(&res);
    if (cw_session_reject(s, pending_path, "the sound is too quiet; please record it again", &err))
        fail_msg("reject: %s", err.text);
    assert_int_equal(cw_session_view_get(s, &v, &err), 0);
    assert_int_equal(cw_view_pending(v)->n, 0);
    cw_session_view_put(v);
    free(wav);
    cw_session_free(s);
    free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_refusals),
        cmocka_unit_test(test_reload_on_change),
        cmocka_unit_test(test_rewritten_in_place),
        cmocka_unit_test(test_lock_rules),
        cmocka_unit_test(test_views_outlive_reload),
        cmocka_unit_test(test_two_threads),
        cmocka_unit_test(test_missing_and_find_slot),
        cmocka_unit_test(test_hold_from_bundle_records),
        cmocka_unit_test(test_ingest_pending_approve),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
