/* test_icecast.c — the Icecast output on a virtual clock with a capturing transport: every
 * item's link leaves at its planned instant (to the nanosecond of the virtual clock), joins
 * mid-item at the page on air, silence between windows (or no connection), the emergency
 * filler for a missing bundle, a rebuilt bundle picked up at the next item, a damaged one
 * replaced, reconnection with back-off, clock steps, and three nights across a DST change and
 * a week boundary; the as-run log says all of it. */
#include "air_test.h"

#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <vorbis/vorbisfile.h>

#include <cmocka.h>

#define RATE 8000
#define ZONE "Africa/Lagos" /* UTC+1, no DST */
static const cw_date DAY = {2027, 1, 13};

typedef struct fx {
    at_station *s;
    at_vclock clock;
    at_capture *cap;
    cw_air *air;
    cw_plan *plan;
    int64_t w0; /* window start, ns */
} fx;

static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
    return (cw_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s) * AIR_NS;
}

/* 07:00-07:10 Lagos: lesson 60 s, lesson 90 s, filler 30 s, silence 20 s, lesson 400 s. */
static cw_plan *day_plan(const char *title3)
{
    static const char *recs[] = {"library/lesson/t/a.ogg", "library/lesson/t/b.ogg", "library/filler/f/id.ogg", NULL,
                                 "library/lesson/t/c.ogg"};
    at_item it[] = {
        {CW_KIND_LESSON, recs[0], 60 * RATE, "Fractions", "maths-5", "maths@test"},
        {CW_KIND_LESSON, recs[1], 90 * RATE, "Words", "english-4", "english@test"},
        {CW_KIND_FILLER, recs[2], 30 * RATE, title3, NULL, NULL},
        {CW_KIND_SILENCE, NULL, 20 * RATE, NULL, NULL, NULL},
        {CW_KIND_LESSON, recs[4], 400 * RATE, "Plants", "science-6", "science@test"},
    };
    return at_plan(DAY, ZONE, RATE, 1, utc(2027, 1, 13, 6, 0, 0) / AIR_NS, it, 5);
}

static void make_recordings(at_station *s)
{
    struct {
        const char *rel;
        double freq, secs;
    } r[] = {{"library/lesson/t/a.ogg", 440, 60}, {"library/lesson/t/b.ogg", 880, 90}, {"library/filler/f/id.ogg", 1320, 30},
             {"library/lesson/t/c.ogg", 660, 400}, {"library/filler/f/em.ogg", 990, 20}};
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++) {
        char *p = at_path(s, r[i].rel);
        assert_int_equal(at_beep_file(p, RATE, 1, r[i].freq, 0.5, r[i].secs, i == 4 ? "Emergency ID" : "rec"), 0);
        free(p);
    }
}

static void log_to_stderr(void *user, int64_t wall, const cw_diag *d)
{
    (void)user;
    (void)wall;
    if (getenv("CW_TEST_VERBOSE"))
        fprintf(stderr, "air: %s: %s\n", d->code ? d->code : "", d->text);
}

static fx *setup_fx(const char *extra, int build, int64_t start_ns)
{
    fx *f = calloc(1, sizeof *f);
    f->s = at_station_new(ZONE, RATE, "07:00-07:10", extra);
    make_recordings(f->s);
    f->plan = day_plan("Station ID");
    if (build)
        at_build(f->s, f->plan);
    f->w0 = f->plan->window_start_utc * AIR_NS;
    at_vclock_init(&f->clock, start_ns);
    f->cap = at_capture_new(&f->clock);
    cw_air_opts o = {0};
    o.clock = &f->clock.c;
    o.retry_max = 8;
    o.between_nothing = f->s->st->air_between_nothing;
    o.log = log_to_stderr;
    cw_error err = {0};
    if (cw_air_new(&f->air, f->s->st, &o, &err))
        fail_msg("cw_air_new: %s", err.text);
    air_out_env env = cw_air_env(f->air);
    air_out *out = NULL;
    assert_int_equal(air_out_icecast_new(&out, &env, "icecast://test:8000/radio.ogg", &at_capture_ops, f->cap, &err), 0);
    assert_int_equal(cw_air_set_outputs(f->air, &out, 1), 0);
    return f;
}

static void free_fx(fx *f)
{
    cw_air_free(f->air);
    at_capture_free(f->cap);
    cw_plan_free(f->plan);
    at_station_free(f->s);
    free(f);
}

static int64_t planned(const fx *f, size_t i)
{
    return f->w0 + air_samples_to_ns(f->plan->items[i].offset_samples, RATE);
}

/* The captured links that carry items (not silence between windows). */
static size_t item_links(const fx *f, const at_link **out, size_t max)
{
    size_t k = 0;
    for (size_t i = 0; i < f->cap->n && k < max; i++)
        if (strcmp(f->cap->links[i].title, "Test Radio") != 0)
            out[k++] = &f->cap->links[i];
    return k;
}

static json_t *parse(const char *line)
{
    json_error_t e;
    json_t *j = json_loads(line, 0, &e);
    if (!j)
        fail_msg("as-run line does not parse: %s (%s)", e.text, line);
    return j;
}

static const char *js(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

/* ---- memory reader for libvorbisfile --------------------------------------------------------- */

typedef struct mem {
    const unsigned char *p;
    size_t n, off;
} mem;
static size_t m_read(void *ptr, size_t sz, size_t nm, void *ds)
{
    mem *m = ds;
    size_t want = sz * nm, left = m->n - m->off;
    if (want > left)
        want = left;
    memcpy(ptr, m->p + m->off, want);
    m->off += want;
    return want / (sz ? sz : 1);
}
static int m_seek(void *ds, ogg_int64_t off, int wh)
{
    mem *m = ds;
    int64_t b = wh == SEEK_SET ? 0 : wh == SEEK_CUR ? (int64_t)m->off : (int64_t)m->n;
    m->off = (size_t)(b + off);
    return 0;
}
static long m_tell(void *ds)
{
    return (long)((mem *)ds)->off;
}

/* ---- tests ------------------------------------------------------------------------------------- */

static void test_day_on_time(void **state)
{
    (void)state;
    fx *f = setup_fx(NULL, 1, utc(2027, 1, 13, 5, 59, 0)); /* 06:59:00 local */
    f->cap->keep = 1;
    at_run(f->air, utc(2027, 1, 13, 6, 11, 0));
    cw_air_stop_outputs(f->air);
    assert_int_equal(f->cap->bad_pages, 0);
    const at_link *L[16];
    size_t n = item_links(f, L, 16);
    assert_int_equal(n, 5);
    const char *titles[] = {"Fractions", "Words", "Station ID", "Silence", "Plants"};
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(L[i]->bos_ns, planned(f, i));         /* the link leaves at its instant */
        assert_int_equal(L[i]->audio_ns, planned(f, i));
        assert_int_equal(L[i]->last_granule, f->plan->items[i].length_samples);
        assert_true(L[i]->eos);
        assert_string_equal(L[i]->title, titles[i]);
    }
    /* silence links before and after the window, none overlapping an item */
    assert_true(f->cap->n > 5);
    for (size_t i = 1; i < f->cap->n; i++)
        assert_int_not_equal(f->cap->links[i].serial, f->cap->links[i - 1].serial);
    assert_true(f->cap->links[0].bos_ns == utc(2027, 1, 13, 5, 59, 0));
    /* the whole capture is one valid chained stream: libvorbisfile decodes every link, and
     * the silence before the window ends exactly at its start */
    mem m = {(const unsigned char *)f->cap->bytes.data, f->cap->bytes.len, 0};
    ov_callbacks cb = {m_read, m_seek, NULL, m_tell};
    OggVorbis_File vf;
    assert_int_equal(ov_open_callbacks(&m, &vf, NULL, 0, cb), 0);
    int64_t before = 0;
    long links = ov_streams(&vf);
    for (long i = 0; i < links; i++) {
        vorbis_comment *vc = ov_comment(&vf, i);
        const char *t = vorbis_comment_query(vc, "TITLE", 0);
        if (t && !strcmp(t, "Fractions"))
            break;
        before += ov_pcm_total(&vf, i);
    }
    assert_int_equal(before, 60 * RATE); /* 06:59:00 to 07:00:00 */
    ov_clear(&vf);

    char **v;
    size_t k = at_asrun_lines(f->s, "item", &v);
    assert_int_equal(k, 5);
    for (size_t i = 0; i < k; i++) {
        json_t *j = parse(v[i]);
        assert_string_equal(js(j, "planned_start_utc"), js(j, "actual_start_utc"));
        assert_true(json_is_true(json_object_get(j, "complete")));
        assert_true(json_is_null(json_object_get(j, "cut_reason")));
        assert_int_equal(json_integer_value(json_object_get(j, "item")), (json_int_t)i + 1);
        json_t *o = json_array_get(json_object_get(j, "outputs"), 0);
        assert_string_equal(js(o, "output"), "icecast://test:8000/radio.ogg");
        if (i == 0) {
            assert_string_equal(js(j, "planned_start_utc"), "2027-01-13T06:00:00.000Z");
            assert_string_equal(js(j, "planned_start_local"), "2027-01-13T07:00:00.000+01:00");
            assert_string_equal(js(j, "event_uid"), "maths@test");
            assert_string_equal(js(j, "series"), "maths-5");
            assert_string_equal(js(j, "kind"), "lesson");
            assert_true(json_real_value(json_object_get(j, "actual_length_s")) == 60.0);
        }
        json_decref(j);
    }
    at_lines_free(v, k);
    free_fx(f);
}

static void test_join_mid_item(void **state)
{
    (void)state;
    int64_t start = utc(2027, 1, 13, 6, 1, 30) + 250000000; /* 30.25 s into item 2 */
    fx *f = setup_fx(NULL, 1, start);
    at_run(f->air, utc(2027, 1, 13, 6, 3, 0));
    cw_air_stop_outputs(f->air);
    if (getenv("CW_TEST_VERBOSE"))
        at_capture_dump(f->cap);
    assert_true(f->cap->n >= 3);
    int64_t from = 30 * RATE + RATE / 4;
    /* the rest of item 2 from exactly that sample: a short re-encoded head, then the
     * recording's own packets, each link leaving at its planned instant */
    const at_link *head = &f->cap->links[0], *rest = &f->cap->links[1];
    assert_string_equal(head->title, "Words");
    assert_string_equal(rest->title, "Words");
    assert_int_equal(head->audio_ns, start);
    assert_int_equal(rest->audio_ns, planned(f, 1) + air_samples_to_ns(from + head->last_granule, RATE));
    assert_int_equal(head->last_granule + rest->last_granule, 90 * RATE - from);
    assert_true(head->eos && rest->eos);
    assert_int_equal(f->cap->links[2].audio_ns, planned(f, 2)); /* the next item on time */
    assert_string_equal(f->cap->links[2].title, "Station ID");
    char **v;
    size_t k = at_asrun_lines(f->s, "item", &v);
    assert_int_equal(k, 2);
    json_t *j = parse(v[0]);
    assert_false(json_is_true(json_object_get(j, "complete")));
    assert_non_null(strstr(js(j, "cut_reason"), "joined 30."));
    assert_true(json_real_value(json_object_get(j, "from_s")) == 30.25);
    assert_true(json_real_value(json_object_get(j, "actual_length_s")) == 90 - 30.25);
    assert_string_equal(js(j, "actual_start_utc"), "2027-01-13T06:01:30.250Z");
    json_decref(j);
    at_lines_free(v, k);
    free_fx(f);
}

static void test_reconnect_with_backoff(void **state)
{
    (void)state;
    fx *f = setup_fx(NULL, 1, utc(2027, 1, 13, 6, 0, 0) - AIR_NS);
    at_run(f->air, planned(f, 1) + 20 * AIR_NS); /* 20 s into item 2 */
    f->cap->fail_next_send = 1;                  /* the server restarts ... */
    f->cap->refuse = 1;                          /* ... and refuses for a while */
    int opens = f->cap->opens;
    at_run(f->air, planned(f, 1) + 35 * AIR_NS);
    assert_false(f->cap->connected);
    /* back-off: 1 + 2 + 4 s... at most 4 tries in 15 s */
    assert_true(f->cap->opens - opens >= 3 && f->cap->opens - opens <= 5);
    f->cap->refuse = 0;
    at_run(f->air, planned(f, 3));
    cw_air_stop_outputs(f->air);
    assert_int_equal(f->cap->connects, 2);
    /* after reconnecting: item 2 rejoined mid-way, item 3 on time */
    const at_link *last = NULL, *third = NULL;
    for (size_t i = 0; i < f->cap->n; i++) {
        if (f->cap->links[i].connection == 2 && !last)
            last = &f->cap->links[i];
        if (!strcmp(f->cap->links[i].title, "Station ID"))
            third = &f->cap->links[i];
    }
    assert_non_null(last);
    assert_string_equal(last->title, "Words");
    assert_non_null(third);
    assert_int_equal(third->audio_ns, planned(f, 2));
    char **v;
    size_t k = at_asrun_lines(f->s, "output", &v);
    assert_int_equal(k, 2);
    assert_non_null(strstr(v[0], "\"event\":\"down\""));
    assert_non_null(strstr(v[0], "connection reset"));
    assert_non_null(strstr(v[1], "\"event\":\"up\""));
    at_lines_free(v, k);
    k = at_asrun_lines(f->s, "gap", &v);
    assert_int_equal(k, 1);
    json_t *g = parse(v[0]);
    assert_string_equal(js(g, "reason"), "output down");
    double len = json_real_value(json_object_get(g, "length_s"));
    assert_true(len > 14.0 && len < 30.0);
    json_decref(g);
    at_lines_free(v, k);
    k = at_asrun_lines(f->s, "item", &v);
    int words = 0;
    for (size_t i = 0; i < k; i++) {
        json_t *j = parse(v[i]);
        if (!strcmp(js(j, "title"), "Words")) {
            words++;
            assert_false(json_is_true(json_object_get(j, "complete")));
            json_t *parts = json_object_get(json_array_get(json_object_get(j, "outputs"), 0), "parts");
            assert_int_equal(json_array_size(parts), 2);
            assert_string_equal(js(json_array_get(parts, 0), "ended"), "output down");
        }
        json_decref(j);
    }
    assert_int_equal(words, 1);
    at_lines_free(v, k);
    free_fx(f);
}

static void test_between_nothing(void **state)
{
    (void)state;
    fx *f = setup_fx("[air]\nbetween = nothing\n", 1, utc(2027, 1, 13, 5, 50, 0));
    at_run(f->air, f->w0 - 5 * AIR_NS);
    assert_int_equal(f->cap->opens, 0); /* nothing on air ten minutes before */
    at_run(f->air, f->w0 + 2 * AIR_NS);
    assert_int_equal(f->cap->connects, 1);
    assert_true(f->cap->n >= 1);
    assert_string_equal(f->cap->links[0].title, "Fractions");
    assert_int_equal(f->cap->links[0].audio_ns, f->w0);
    at_run(f->air, utc(2027, 1, 13, 6, 12, 0));
    if (getenv("CW_TEST_VERBOSE"))
        at_capture_dump(f->cap);
    assert_false(f->cap->connected); /* released after the window */
    cw_air_stop_outputs(f->air);
    free_fx(f);
}

static void test_missing_bundle_emergency(void **state)
{
    (void)state;
    fx *f = setup_fx("[air]\nemergency = library/filler/f/em.ogg\n", 0, utc(2027, 1, 13, 6, 0, 0));
    at_run(f->air, utc(2027, 1, 13, 6, 1, 5));
    if (getenv("CW_TEST_VERBOSE"))
        at_capture_dump(f->cap);
    assert_true(f->cap->n >= 3);
    for (size_t i = 0; i < f->cap->n; i++)
        assert_string_equal(f->cap->links[i].title, "Emergency ID");
    assert_int_equal(f->cap->links[1].audio_ns, f->cap->links[0].audio_ns + 20 * AIR_NS);
    /* the bundle arrives: after the current filler, the plan plays from where it is */
    at_build(f->s, f->plan);
    at_run(f->air, utc(2027, 1, 13, 6, 2, 0));
    cw_air_stop_outputs(f->air);
    const at_link *words = NULL;
    for (size_t i = 0; i < f->cap->n && !words; i++)
        if (!strcmp(f->cap->links[i].title, "Words"))
            words = &f->cap->links[i];
    if (getenv("CW_TEST_VERBOSE"))
        at_capture_dump(f->cap);
    assert_non_null(words);
    /* when the filler that began at 07:01:00 had been sent, the item joined at exactly
     * 07:01:20, the filler's end */
    assert_int_equal(words->audio_ns, utc(2027, 1, 13, 6, 1, 20));
    char **v;
    size_t k = at_asrun_lines(f->s, "bundle", &v);
    assert_true(k >= 2);
    assert_non_null(strstr(v[0], "\"event\":\"missing\""));
    assert_non_null(strstr(v[k - 1], "\"event\":\"loaded\""));
    at_lines_free(v, k);
    free_fx(f);
}

static void test_rebuilt_bundle_next_item(void **state)
{
    (void)state;
    fx *f = setup_fx(NULL, 1, utc(2027, 1, 13, 6, 0, 0));
    at_run(f->air, planned(f, 1) + 10 * AIR_NS);
    cw_plan *p2 = day_plan("New jingle title");
    at_build(f->s, p2);
    cw_plan_free(p2);
    at_run(f->air, planned(f, 3));
    cw_air_stop_outputs(f->air);
    const at_link *L[8];
    size_t n = item_links(f, L, 8);
    assert_int_equal(n, 3);
    assert_string_equal(L[1]->title, "Words");
    assert_int_equal(L[1]->last_granule, 90 * RATE); /* item 2 played to its end from the old file */
    assert_string_equal(L[2]->title, "New jingle title");
    assert_int_equal(L[2]->audio_ns, planned(f, 2));
    char **v;
    size_t k = at_asrun_lines(f->s, "bundle", &v);
    assert_int_equal(k, 2);
    assert_non_null(strstr(v[1], "\"event\":\"rebuilt\""));
    at_lines_free(v, k);
    free_fx(f);
}

static void test_damaged_bundle(void **state)
{
    (void)state;
    fx *f = setup_fx("[air]\nemergency = library/filler/f/em.ogg\n", 1, utc(2027, 1, 13, 6, 0, 0));
    at_run(f->air, f->w0 + 5 * AIR_NS); /* loaded and playing */
    /* a flipped byte in the middle of item 5's link */
    char *day = at_path(f->s, "out/2027-01-13/day.ogg");
    cw_air_prog(f->air);
    air_day *d = NULL;
    cw_error err = {0};
    char *dir = at_path(f->s, "out/2027-01-13");
    assert_int_equal(air_day_load(&d, dir, &err), 0);
    int64_t pos = (d->link_pos[4] + d->link_end[4]) / 2;
    air_day_free(d);
    int fd = open(day, O_RDWR);
    unsigned char b;
    assert_int_equal(pread(fd, &b, 1, pos), 1);
    b ^= 0x55;
    assert_int_equal(pwrite(fd, &b, 1, pos), 1);
    close(fd);
    at_run(f->air, utc(2027, 1, 13, 6, 9, 0));
    cw_air_stop_outputs(f->air);
    int emergency = 0;
    for (size_t i = 0; i < f->cap->n; i++)
        emergency += !strcmp(f->cap->links[i].title, "Emergency ID");
    assert_true(emergency >= 3);
    char **v;
    size_t k = at_asrun_lines(f->s, "item", &v);
    json_t *j = parse(v[k - 1]);
    assert_string_equal(js(j, "title"), "Plants");
    assert_false(json_is_true(json_object_get(j, "complete")));
    assert_string_equal(js(j, "cut_reason"), "bundle damaged");
    json_decref(j);
    at_lines_free(v, k);
    k = at_asrun_lines(f->s, "bundle", &v);
    assert_non_null(strstr(v[k - 1], "\"event\":\"damaged\""));
    assert_non_null(strstr(v[k - 1], "checksum"));
    at_lines_free(v, k);
    free(day);
    free(dir);
    free_fx(f);
}

static void test_clock_step(void **state)
{
    (void)state;
    fx *f = setup_fx(NULL, 1, utc(2027, 1, 13, 6, 0, 0));
    at_run(f->air, planned(f, 1) + 10 * AIR_NS);
    at_vclock_step(&f->clock, 5 * AIR_NS); /* NTP steps the clock 5 s forward */
    at_run(f->air, planned(f, 3));
    cw_air_stop_outputs(f->air);
    /* item 2 was abandoned and re-joined 5 s further on; item 3 on time by the new clock */
    const at_link *L[8];
    size_t n = item_links(f, L, 8);
    assert_int_equal(n, 5); /* Fractions, Words (abandoned), Words joined (head, rest), Station ID */
    assert_string_equal(L[2]->title, "Words");
    assert_string_equal(L[3]->title, "Words");
    assert_int_equal(L[4]->audio_ns, planned(f, 2));
    char **v;
    size_t k = at_asrun_lines(f->s, "clock", &v);
    assert_int_equal(k, 1);
    assert_non_null(strstr(v[0], "\"step_s\":5.0"));
    at_lines_free(v, k);
    k = at_asrun_lines(f->s, "item", &v);
    if (getenv("CW_TEST_VERBOSE"))
        for (size_t i = 0; i < k; i++)
            fprintf(stderr, "%s", v[i]);
    json_t *j = parse(v[1]);
    assert_string_equal(js(j, "title"), "Words");
    assert_string_equal(js(j, "cut_reason"), "clock stepped by +5.0 s");
    /* the second part starts where the stepped clock says */
    json_t *p2 = json_array_get(json_object_get(json_array_get(json_object_get(j, "outputs"), 0), "parts"), 1);
    int64_t at;
    assert_int_equal(air_parse_time(js(p2, "start_utc"), &at), 0);
    double pos = (double)(at - planned(f, 1)) / AIR_NS;
    if (getenv("CW_TEST_VERBOSE"))
        fprintf(stderr, "re-joined at %.3f s (from_s %.3f)\n", pos, json_real_value(json_object_get(p2, "from_s")));
    assert_true(fabs(json_real_value(json_object_get(p2, "from_s")) - pos) < 0.002);
    assert_true(pos >= 15.0 && pos < 30.0);
    json_decref(j);
    at_lines_free(v, k);
    free_fx(f);
}

/* Three nights 22:00-04:00 Berlin: Saturday to Sunday (clocks go forward at 02:00),
 * Sunday to Monday (a week boundary), Monday to Tuesday. */
static void test_three_nights_dst_week(void **state)
{
    (void)state;
    at_station *s = at_station_new("Europe/Berlin", RATE, "22:00-04:00", NULL);
    char *rec = at_path(s, "library/lesson/t/five.ogg");
    assert_int_equal(at_beep_file(rec, RATE, 1, 440, 0.3, 300, "Five"), 0);
    free(rec);
    cw_tz *tz = NULL;
    cw_error err = {0};
    assert_int_equal(cw_tz_open(&tz, "Europe/Berlin", &err), 0);
    cw_plan *plans[3];
    for (int d = 0; d < 3; d++) {
        cw_date date = {2026, 3, 28 + d};
        int64_t wss[CW_MAX_ON_AIR], wes[CW_MAX_ON_AIR];
        assert_int_equal(air_station_windows(s->st, tz, date, wss, wes), 1);
        int64_t ws = wss[0], we = wes[0];
        size_t n = (size_t)((we - ws) / (300 * AIR_NS));
        at_item *it = calloc(n, sizeof *it);
        for (size_t i = 0; i < n; i++)
            it[i] = (at_item){CW_KIND_LESSON, "library/lesson/t/five.ogg", 300 * RATE, "Five", "s", "u"};
        plans[d] = at_plan(date, "Europe/Berlin", RATE, 1, ws / AIR_NS, it, n);
        free(it);
        at_build(s, plans[d]);
    }
    assert_int_equal(plans[0]->n_items, 60); /* 22:00 CET to 04:00 CEST is five hours */
    assert_int_equal(plans[1]->n_items, 72);
    at_vclock clock;
    at_vclock_init(&clock, plans[0]->window_start_utc * AIR_NS - 600 * AIR_NS);
    at_capture *cap = at_capture_new(&clock);
    cw_air *a = NULL;
    cw_air_opts o = {0};
    o.clock = &clock.c;
    o.retry_max = 8;
    assert_int_equal(cw_air_new(&a, s->st, &o, &err), 0);
    air_out_env env = cw_air_env(a);
    air_out *out = NULL;
    assert_int_equal(air_out_icecast_new(&out, &env, "icecast://x:8000/m", &at_capture_ops, cap, &err), 0);
    assert_int_equal(cw_air_set_outputs(a, &out, 1), 0);
    at_run(a, plans[2]->window_end_utc * AIR_NS + 600 * AIR_NS);
    cw_air_stop_outputs(a);
    assert_int_equal(cap->bad_pages, 0);
    size_t k = 0, items = 0;
    for (int d = 0; d < 3; d++) {
        for (size_t i = 0; i < plans[d]->n_items; i++) {
            int64_t want = plans[d]->window_start_utc * AIR_NS + air_samples_to_ns(plans[d]->items[i].offset_samples, RATE);
            while (k < cap->n && strcmp(cap->links[k].title, "Five") != 0)
                k++;
            assert_true(k < cap->n);
            if (cap->links[k].audio_ns != want)
                fail_msg("night %d item %zu left at %lld, planned %lld", d, i, (long long)cap->links[k].audio_ns,
                         (long long)want);
            k++;
            items++;
        }
    }
    assert_int_equal(items, 60 + 72 + 72);
    char **v;
    size_t n = at_asrun_lines(s, "item", &v);
    assert_int_equal(n, items);
    for (size_t i = 0; i < n; i++)
        assert_non_null(strstr(v[i], "\"complete\":true"));
    at_lines_free(v, n);
    /* the as-run file of a record is the local date of its start: Sunday's file holds the
     * items after midnight of Saturday's night and those of Sunday's before midnight */
    char *sun = at_path(s, "asrun/2026-03-29.jsonl");
    FILE *fp = fopen(sun, "r");
    assert_non_null(fp);
    fclose(fp);
    free(sun);
    for (int d = 0; d < 3; d++)
        cw_plan_free(plans[d]);
    cw_air_free(a);
    at_capture_free(cap);
    cw_tz_free(tz);
    at_station_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_day_on_time),
        cmocka_unit_test(test_join_mid_item),
        cmocka_unit_test(test_reconnect_with_backoff),
        cmocka_unit_test(test_between_nothing),
        cmocka_unit_test(test_missing_bundle_emergency),
        cmocka_unit_test(test_rebuilt_bundle_next_item),
        cmocka_unit_test(test_damaged_bundle),
        cmocka_unit_test(test_clock_step),
        cmocka_unit_test(test_three_nights_dst_week),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
