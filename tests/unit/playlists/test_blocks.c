/* test_blocks.c — bundles of plans with several blocks (README "Bundle modes"), from plans
 * made in memory: day mode with two on-air windows (day.ogg spans both with "Off air"
 * silence between them, every item at its planned sample; each block's file is what
 * cw_render_plan gives from its first item), blocks mode (no day.ogg, no day.cue), a day
 * without blocks; events.csv (RFC 4180, local times across the spring DST jump, UTC
 * instants), the block M3Us, liquidsoap.liq's instants; verify on all of them, with what
 * Windows and macOS add to a copied folder noted and never failed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "pl_test_util.h"
#include "playlists_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define RATE 22050

typedef struct fx {
    char *dir;
    cw_station st;
    char *out;
} fx;

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->dir = pl_scratch();
    char *d = cw_path_join(f->dir, "library/lesson/maths");
    cw_error err;
    assert_int_equal(cw_mkdir_p(d, &err), 0);
    free(d);
    const char *rel[2] = {"library/lesson/maths/001-a.ogg", "library/lesson/maths/004-d.ogg"};
    const double freq[2] = {440, 1200}, secs[2] = {3, 1};
    for (int i = 0; i < 2; i++) {
        char *p = cw_path_join(f->dir, rel[i]);
        assert_int_equal(pl_tone_file(p, RATE, 1, freq[i], (int64_t)(secs[i] * RATE), 2, "lib"), 0);
        free(p);
    }
    f->st.dir = f->dir;
    f->st.name = (char *)"Radio \"Blocks\", Test";
    f->st.timezone = (char *)"Europe/Berlin";
    f->st.rate = RATE;
    f->st.channels = 1;
    f->st.quality = 2;
    f->st.fade = 0.5;
    f->out = cw_path_join(f->dir, "out/2026-03-29");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    pl_rmtree(f->dir);
    free(f->dir);
    free(f->out);
    free(f);
    return 0;
}

/* 00:59:55Z (01:59:55 CET): Maths, 3 s; 01:00:00Z (03:00:00 CEST, after the jump):
 * "News, \"quoted\"", 1 s, and 0.5 s of silence. */
static cw_plan *two_blocks(cw_bundle_mode mode)
{
    cw_plan *p = calloc(1, sizeof *p);
    p->date = (cw_date){2026, 3, 29};
    p->timezone = cw_strdup("Europe/Berlin");
    p->rate = RATE;
    p->channels = 1;
    p->mode = mode;
    p->window_start_utc = cw_days_from_civil(2026, 3, 29) * 86400 + 59 * 60 + 55;
    p->start_offset = 3600;
    p->end_offset = 7200;
    const struct {
        int64_t at, len;
        cw_kind kind;
        const char *rec, *title, *teacher;
    } L[] = {
        {0, 3 * RATE, CW_KIND_LESSON, "library/lesson/maths/001-a.ogg", "Maths", "Ms A"},
        {5 * RATE, RATE, CW_KIND_NEWSLETTER, "library/lesson/maths/004-d.ogg", "News, \"quoted\"", ""},
        {6 * RATE, RATE / 2, CW_KIND_SILENCE, NULL, "", ""},
    };
    p->n_items = 3;
    p->items = calloc(3, sizeof *p->items);
    for (size_t i = 0; i < 3; i++) {
        cw_plan_item *x = &p->items[i];
        x->offset_samples = L[i].at;
        x->length_samples = L[i].len;
        x->start_utc_ms = p->window_start_utc * 1000 + L[i].at * 1000 / RATE;
        x->kind = L[i].kind;
        x->title = cw_strdup(L[i].title);
        x->teacher = cw_strdup(L[i].teacher);
        x->language = cw_strdup("en");
        x->series = cw_strdup(L[i].rec ? "maths" : "");
        x->recording = L[i].rec ? cw_strdup(L[i].rec) : NULL;
        x->recording_samples = L[i].len;
    }
    /* in day mode the items cover each window: the last silence runs to the window's end */
    if (mode == CW_BUNDLE_DAY) p->items[2].length_samples = RATE;
    p->window_end_utc = p->window_start_utc + 7;
    /* two on-air windows, as the planner gives them: 0-3 s and 5-7 s (in day mode the items
     * cover each window; the 2 s between them are off air) */
    p->n_windows = 2;
    p->windows = calloc(2, sizeof *p->windows);
    p->windows[0] = (cw_plan_window){p->window_start_utc, p->window_start_utc + 3};
    p->windows[1] = (cw_plan_window){p->window_start_utc + 5, p->window_end_utc};
    assert_int_equal(cw_plan_compute_blocks(p), 0);
    return p;
}

static char *at_out(fx *f, const char *rel)
{
    return cw_path_join(f->out, rel);
}

static char *slurp_text(const char *path)
{
    unsigned char *b;
    size_t n;
    if (pl_slurp(path, &b, &n) != 0)
        return NULL;
    char *s = realloc(b, n + 1);
    s[n] = 0;
    return s;
}

static void build(fx *f, const cw_plan *p, cw_bundle_report *rep)
{
    cw_error err;
    memset(&err, 0, sizeof err);
    if (cw_bundle_build(&f->st, p, f->out, rep, &err) != 0)
        fail_msg("build: %s", err.text);
}

/* blocks/NAME.ogg is byte for byte what cw_render_plan writes from the block's first item. */
static void check_block_file(fx *f, const cw_plan *p, size_t first, size_t n, const char *name)
{
    char rel[200];
    snprintf(rel, sizeof rel, "blocks/%s.ogg", name);
    char *path = at_out(f, rel), *mine = cw_path_join(f->dir, "render.ogg");
    FILE *fp = fopen(mine, "wb");
    assert_non_null(fp);
    cw_ogg_sink s;
    cw_ogg_sink_stdio(&s, fp);
    cw_error err;
    assert_int_equal(cw_render_plan(&f->st, p, first, 0, first + n, &s, NULL, &err), 0);
    fclose(fp);
    unsigned char *a, *b;
    size_t na, nb;
    assert_int_equal(pl_slurp(path, &a, &na), 0);
    assert_int_equal(pl_slurp(mine, &b, &nb), 0);
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    free(a);
    free(b);
    free(path);
    free(mine);
}

static void verify_ok(fx *f, size_t want_notes)
{
    cw_strlist bad = {0}, notes = {0};
    cw_error err;
    int rc = cw_bundle_verify_notes(f->out, &bad, &notes, &err);
    if (rc)
        fail_msg("verify: %s (%s)", err.text, bad.n ? bad.v[0] : "");
    assert_int_equal(notes.n, want_notes);
    cw_strlist_free(&bad);
    cw_strlist_free(&notes);
}

static void test_day_mode_two_windows(void **state)
{
    fx *f = *state;
    cw_plan *p = two_blocks(CW_BUNDLE_DAY);
    cw_bundle_report rep;
    build(f, p, &rep);
    assert_int_equal(rep.day_samples, 5 * RATE); /* airtime: not the gap */
    cw_bundle_report_free(&rep);

    /* day.ogg: the three items at their samples, "Off air" silence between the windows */
    char *day = at_out(f, "day.ogg");
    float *d;
    int64_t nd, starts[8];
    int nl;
    assert_int_equal(pl_decode(day, &d, &nd, starts, 8, &nl), 0);
    assert_int_equal(nl, 4);
    assert_int_equal(nd, 7 * RATE);
    assert_int_equal(starts[1], 3 * RATE);
    assert_int_equal(starts[2], 5 * RATE);
    assert_int_equal(starts[3], 6 * RATE);
    for (int64_t i = 3 * RATE; i < 5 * RATE; i++)
        assert_true(d[i] == 0.0f);
    assert_true(pl_tone_level(d + 5 * RATE + 2000, 8000, RATE, 1200) > 0.4);
    free(d);
    free(day);
    char *cue = at_out(f, "day.cue");
    assert_true(cw_path_exists(cue));
    free(cue);

    /* the blocks, named by local start (across the jump) and first programme */
    check_block_file(f, p, 0, 1, "0159-maths");
    check_block_file(f, p, 1, 2, "0300-news-quoted");
    char *m3u_path = at_out(f, "blocks/0300-news-quoted.m3u8");
    char *m3u = slurp_text(m3u_path);
    assert_non_null(m3u);
    assert_non_null(strstr(m3u, "#EXTM3U\n#PLAYLIST:Radio \"Blocks\", Test 2026-03-29 03:00-03:00\n"));
    cw_pl_view *v;
    cw_error err;
    assert_int_equal(cw_pl_view_new(&v, &f->st, p, NULL, &err), 0);
    for (size_t i = 1; i < 3; i++) {
        char line[220];
        snprintf(line, sizeof line, "\n../%s\n", v->items[i].file);
        assert_non_null(strstr(m3u, line));
        char *ip = at_out(f, v->items[i].file);
        assert_true(cw_path_exists(ip));
        free(ip);
    }
    assert_null(strstr(m3u, v->items[0].file));
    cw_pl_view_free(v);
    free(m3u);
    free(m3u_path);

    /* events.csv: RFC 4180 with a BOM and CRLF; local times, UTC instants */
    char *ev_path = at_out(f, "events.csv");
    char *ev = slurp_text(ev_path);
    assert_string_equal(ev, "\xef\xbb\xbf"
                            "date,start,end,duration,playlist,file,titles,start_utc,end_utc\r\n"
                            "2026-03-29,01:59:55,01:59:58,3.000,blocks/0159-maths.m3u8,blocks/0159-maths.ogg,"
                            "\"Maths (Ms A)\",2026-03-29T00:59:55Z,2026-03-29T00:59:58Z\r\n"
                            "2026-03-29,03:00:00,03:00:02,2.000,blocks/0300-news-quoted.m3u8,"
                            "blocks/0300-news-quoted.ogg,\"News, \"\"quoted\"\"\",2026-03-29T01:00:00Z,"
                            "2026-03-29T01:00:02Z\r\n");
    free(ev);
    free(ev_path);

    /* liquidsoap.liq: each block at its Unix instant, the file and label as strings */
    char *liq_path = at_out(f, "liquidsoap.liq");
    char *liq = slurp_text(liq_path);
    char want[400];
    int64_t t1 = cw_days_from_civil(2026, 3, 29) * 86400 + 3600;
    snprintf(want, sizeof want, "    block(%lld.000, \"%s/blocks/0300-news-quoted.ogg\", \"03:00 News, \\\"quoted\\\"\"),\n",
             (long long)t1, f->out);
    if (!strstr(liq, want))
        fail_msg("liquidsoap.liq lacks '%s':\n%s", want, liq);
    assert_non_null(strstr(liq, "def chalkwave_2026_03_29(station) =\n"));
    free(liq);
    free(liq_path);

    /* verify: all good; what a copy to a stick adds is noted */
    verify_ok(f, 0);
    const char *junk[] = {"desktop.ini", "Thumbs.db", "items/._x.ogg", "blocks/.DS_Store", "System Volume Information/x"};
    for (size_t i = 0; i < 5; i++) {
        char *jp = at_out(f, junk[i]);
        char *slash = strrchr(jp, '/');
        *slash = 0;
        assert_int_equal(cw_mkdir_p(jp, &err), 0);
        *slash = '/';
        FILE *fp = fopen(jp, "w");
        fputs("x", fp);
        fclose(fp);
        free(jp);
    }
    verify_ok(f, 5);
    /* a block file that does not match the plan is a problem */
    char *b2 = at_out(f, "blocks/0300-news-quoted.ogg"), *b1 = at_out(f, "blocks/0159-maths.ogg");
    unsigned char *bytes;
    size_t nbytes;
    assert_int_equal(pl_slurp(b1, &bytes, &nbytes), 0);
    assert_int_equal(cw_write_file_atomic(b2, bytes, nbytes, &err), 0);
    free(bytes);
    cw_strlist bad = {0};
    assert_int_equal(cw_bundle_verify(f->out, &bad, &err), CW_EINVAL);
    assert_int_equal(bad.n, 1);
    assert_string_equal(bad.v[0], "blocks/0300-news-quoted.ogg: checksum mismatch");
    cw_strlist_free(&bad);
    free(b1);
    free(b2);
    cw_plan_free(p);
}

static void test_blocks_mode(void **state)
{
    fx *f = *state;
    cw_plan *p = two_blocks(CW_BUNDLE_BLOCKS);
    cw_bundle_report rep;
    build(f, p, &rep);
    assert_int_equal(rep.day_samples, 3 * RATE + RATE + RATE / 2); /* the blocks, not the gap */
    cw_bundle_report_free(&rep);
    char *day = at_out(f, "day.ogg"), *cue = at_out(f, "day.cue");
    assert_false(cw_path_exists(day));
    assert_false(cw_path_exists(cue));
    free(day);
    free(cue);
    check_block_file(f, p, 0, 1, "0159-maths");
    check_block_file(f, p, 1, 2, "0300-news-quoted");
    verify_ok(f, 0);
    cw_plan_free(p);

    /* a blocks-mode day without a partner event: an event list without rows, no audio */
    p = two_blocks(CW_BUNDLE_BLOCKS);
    for (size_t i = 0; i < p->n_items; i++) {
        cw_plan_item *x = &p->items[i];
        free(x->title);
        free(x->teacher);
        free(x->language);
        free(x->series);
        free(x->recording);
    }
    p->n_items = 0;
    assert_int_equal(cw_plan_compute_blocks(p), 0);
    build(f, p, &rep);
    assert_int_equal(rep.day_samples, 0);
    cw_bundle_report_free(&rep);
    char *ev_path = at_out(f, "events.csv");
    char *ev = slurp_text(ev_path);
    assert_string_equal(ev, "\xef\xbb\xbf"
                            "date,start,end,duration,playlist,file,titles,start_utc,end_utc\r\n");
    free(ev);
    free(ev_path);
    verify_ok(f, 0);
    cw_plan_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_day_mode_two_windows),
        cmocka_unit_test(test_blocks_mode),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
