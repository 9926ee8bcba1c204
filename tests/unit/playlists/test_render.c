/* test_render.c — cw_render_plan and the chain writer through a memory sink: joining inside
 * a recording at a given sample (exact sample counts, the fade-in, the rest bit-exact with
 * the recording, two links for one item), page granule positions of every link shape (the
 * first audio page never ends at granule 0, EOS only on the last page, final granule = the
 * link's samples), gaps between blocks as silence links without an item, what link_begin
 * and close tell the sink, deterministic serials per first item, refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "pl_test_util.h"
#include "playlists_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 22050

/* ---- a sink that keeps everything in memory ------------------------------------------ */

typedef struct page_rec {
    size_t link;          /* index into links */
    int64_t granule;
    unsigned char flags;  /* byte 5: 1 continued, 2 BOS, 4 EOS */
    uint32_t serial;
    int packets_end;      /* number of packets completed on the page */
} page_rec;

typedef struct link_rec {
    cw_ogg_link l;       /* l.spec is only valid during the call: use the copies below */
    const void *item;
    size_t item_index;
    int has_path;
} link_rec;

typedef struct memsink {
    cw_buf bytes;
    link_rec *links;
    size_t n_links;
    page_rec *pages;
    size_t n_pages;
    int closes, close_failed;
    int fail_at_link; /* link_begin of this link index fails (-1: never) */
} memsink;

static int ms_link(void *user, const cw_ogg_link *l, cw_error *err)
{
    memsink *m = user;
    if ((int)m->n_links == m->fail_at_link)
        return cw_fail(err, CW_EIO, "", 0, "the listener went away");
    m->links = realloc(m->links, (m->n_links + 1) * sizeof *m->links);
    m->links[m->n_links++] = (link_rec){*l, l->spec->item, l->spec->item_index, l->spec->path != NULL};
    return 0;
}

static int ms_page(void *user, const unsigned char *p, size_t len, int64_t granule, cw_error *err)
{
    (void)err;
    memsink *m = user;
    assert_true(m->n_links > 0); /* every page belongs to an announced link */
    assert_true(len >= 27 && !memcmp(p, "OggS", 4));
    int segs = p[26], ends = 0;
    for (int i = 0; i < segs; i++)
        ends += p[27 + i] < 255;
    m->pages = realloc(m->pages, (m->n_pages + 1) * sizeof *m->pages);
    m->pages[m->n_pages++] = (page_rec){m->n_links - 1, granule, p[5],
                                        (uint32_t)p[14] | (uint32_t)p[15] << 8 | (uint32_t)p[16] << 16 |
                                            (uint32_t)p[17] << 24,
                                        ends};
    cw_buf_append(&m->bytes, p, len);
    return 0;
}

static int ms_close(void *user, int failed, cw_error *err)
{
    (void)err;
    memsink *m = user;
    m->closes++;
    m->close_failed = failed;
    return 0;
}

static void ms_init(memsink *m, cw_ogg_sink *s)
{
    memset(m, 0, sizeof *m);
    cw_buf_init(&m->bytes);
    m->fail_at_link = -1;
    *s = (cw_ogg_sink){m, ms_link, ms_page, ms_close};
}

static void ms_free(memsink *m)
{
    cw_buf_free(&m->bytes);
    free(m->links);
    free(m->pages);
}

/* Every link: two header pages at granule 0 (the first BOS), then audio pages whose
 * granules never fall, the first one > 0 and not the last, EOS only on the last page,
 * whose granule is the link's length. */
static void check_pages(const memsink *m)
{
    for (size_t l = 0; l < m->n_links; l++) {
        size_t k = 0;
        int64_t last = 0;
        size_t n = 0;
        for (size_t i = 0; i < m->n_pages; i++) {
            const page_rec *p = &m->pages[i];
            if (p->link != l)
                continue;
            assert_int_equal(p->serial, m->links[l].l.serial);
            if (k < 2) {
                assert_int_equal(p->granule, 0);
                assert_int_equal(!!(p->flags & 2), k == 0);
            } else {
                assert_false(p->flags & 2);
                if (p->packets_end > 0) {
                    if (p->granule <= 0)
                        fail_msg("link %zu page %zu: %d packets end at granule %lld", l, k, p->packets_end,
                                 (long long)p->granule);
                    assert_true(p->granule >= last);
                    last = p->granule;
                }
                if (k == 2)
                    assert_false(p->flags & 4); /* the first audio page is never the last */
            }
            n = ++k;
            if (p->flags & 4) {
                assert_int_equal(p->granule, m->links[l].l.samples);
                for (size_t j = i + 1; j < m->n_pages; j++)
                    assert_true(m->pages[j].link != l);
            }
        }
        assert_true(n >= 4);
    }
}

/* Decode the sink's bytes (every link) through libvorbisfile. */
static void ms_decode(const memsink *m, const char *dir, float **out, int64_t *n, int64_t *starts, int max, int *links)
{
    char *path = cw_path_join(dir, "sink.ogg");
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(m->bytes.data, 1, m->bytes.len, fp), m->bytes.len);
    fclose(fp);
    int nl = 0;
    assert_int_equal(pl_decode(path, out, n, starts, max, &nl), 0);
    if (links)
        *links = nl;
    int cl = 0;
    int64_t cs = 0;
    cw_error err;
    assert_int_equal(cw_ogg_check(path, &cl, &cs, &err), 0);
    assert_int_equal(cl, nl);
    assert_int_equal(cs, *n);
    free(path);
}

/* ---- a station with tone recordings, and plans from literals -------------------------- */

typedef struct fx {
    char *dir;
    cw_station st;
} fx;

static const struct {
    const char *rel;
    int rate;
    double freq, secs;
} recs[] = {
    {"library/lesson/a/001-a.ogg", RATE, 440, 3.0},
    {"library/lesson/a/002-b.ogg", RATE, 880, 4.0},
    {"library/lesson/a/003-c.ogg", 44100, 660, 2.0},
};

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->dir = pl_scratch();
    char *d = cw_path_join(f->dir, "library/lesson/a");
    cw_error err;
    assert_int_equal(cw_mkdir_p(d, &err), 0);
    free(d);
    for (size_t i = 0; i < sizeof recs / sizeof recs[0]; i++) {
        char *p = cw_path_join(f->dir, recs[i].rel);
        assert_int_equal(pl_tone_file(p, recs[i].rate, 1, recs[i].freq, (int64_t)(recs[i].secs * recs[i].rate), 2,
                                      "rec"),
                         0);
        free(p);
    }
    f->st.dir = f->dir;
    f->st.name = (char *)"Test Radio";
    f->st.timezone = (char *)"Africa/Lagos";
    f->st.rate = RATE;
    f->st.channels = 1;
    f->st.quality = 2;
    f->st.fade = 0.5;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    pl_rmtree(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

typedef struct item_lit {
    int64_t at;  /* offset in samples */
    int64_t len;
    int rec;     /* index into recs, -1 silence */
    int cut;
} item_lit;

static cw_plan *plan_of(const item_lit *it, size_t n)
{
    cw_plan *p = calloc(1, sizeof *p);
    p->date = (cw_date){2027, 1, 13};
    p->timezone = cw_strdup("Africa/Lagos");
    p->rate = RATE;
    p->channels = 1;
    p->window_start_utc = cw_days_from_civil(2027, 1, 13) * 86400 + 6 * 3600;
    p->start_offset = p->end_offset = 3600;
    p->items = calloc(n, sizeof *p->items);
    p->n_items = n;
    for (size_t i = 0; i < n; i++) {
        cw_plan_item *x = &p->items[i];
        x->offset_samples = it[i].at;
        x->length_samples = it[i].len;
        x->start_utc_ms = p->window_start_utc * 1000 + it[i].at * 1000 / RATE;
        x->kind = it[i].rec < 0 ? CW_KIND_SILENCE : CW_KIND_LESSON;
        x->cut = it[i].cut;
        x->fade_out = it[i].cut ? 0.5 : 0;
        char t[32];
        snprintf(t, sizeof t, "Item %zu", i + 1);
        x->title = cw_strdup(t);
        x->teacher = cw_strdup("");
        x->language = cw_strdup("en");
        x->series = cw_strdup(it[i].rec < 0 ? "" : "a");
        x->recording = it[i].rec < 0 ? NULL : cw_strdup(recs[it[i].rec].rel);
        x->recording_samples = it[i].rec < 0 ? 0 : (int64_t)(recs[it[i].rec].secs * RATE);
        p->window_end_utc = p->window_start_utc + (it[i].at + it[i].len) / RATE;
    }
    assert_int_equal(cw_plan_compute_blocks(p), 0);
    return p;
}

/* ---- tests ------------------------------------------------------------------------------ */

/* Playout joins item 1 (3 s of 440 Hz) 0.5 s + 77 samples in: the item is a re-encoded head
 * that fades in, then the recording's own packets, bit for bit; item 2 follows unchanged. */
static void test_join_inside_recording(void **state)
{
    fx *f = *state;
    item_lit it[] = {{0, 3 * RATE, 0, 0}, {3 * RATE, 4 * RATE, 1, 0}};
    cw_plan *p = plan_of(it, 2);
    const int64_t from = RATE / 2 + 77;
    memsink m;
    cw_ogg_sink s;
    ms_init(&m, &s);
    cw_render_report rep;
    cw_error err;
    int rc = cw_render_plan(&f->st, p, 0, from, 2, &s, &rep, &err);
    if (rc)
        fail_msg("%s", err.text);
    assert_int_equal(rep.samples, 3 * RATE - from + 4 * RATE);
    assert_int_equal(rep.links, 3);
    assert_int_equal(rep.reencoded, 1);
    assert_int_equal(m.closes, 1);
    assert_false(m.close_failed);

    /* what the sink was told */
    assert_int_equal(m.n_links, 3);
    assert_ptr_equal(m.links[0].item, &p->items[0]);
    assert_ptr_equal(m.links[1].item, &p->items[0]);
    assert_ptr_equal(m.links[2].item, &p->items[1]);
    assert_int_equal(m.links[2].item_index, 1);
    assert_int_equal(m.links[0].l.part, 0);
    assert_int_equal(m.links[0].l.reencoded, 1);
    assert_int_equal(m.links[1].l.part, 1);
    assert_int_equal(m.links[1].l.reencoded, 0);
    assert_int_equal(m.links[2].l.part, 0);
    assert_int_equal(m.links[2].l.reencoded, 0);
    const int64_t head = m.links[0].l.samples;
    assert_true(head >= (int64_t)(0.5 * RATE));     /* the whole fade is in the head */
    assert_true(head < (int64_t)(0.5 * RATE) + 2048); /* and the head ends at the next packet */
    assert_int_equal(head + m.links[1].l.samples, 3 * RATE - from);
    assert_int_equal(m.links[1].l.stream_offset, head);
    assert_int_equal(m.links[2].l.stream_offset, 3 * RATE - from);
    assert_int_equal(m.links[2].l.samples, 4 * RATE);
    for (size_t i = 0; i < 3; i++)
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(m.links[i].l.serial, m.links[j].l.serial);
    check_pages(&m);

    /* what a decoder makes of it */
    float *d = NULL, *x = NULL;
    int64_t nd = 0, nx = 0, starts[4];
    int nl = 0;
    ms_decode(&m, f->dir, &d, &nd, starts, 4, &nl);
    assert_int_equal(nl, 3);
    assert_int_equal(nd, 3 * RATE - from + 4 * RATE);
    assert_int_equal(starts[1], head);
    assert_int_equal(starts[2], 3 * RATE - from);
    char *a = cw_path_join(f->dir, recs[0].rel);
    assert_int_equal(pl_decode(a, &x, &nx, NULL, 0, NULL), 0);
    /* the rest is the recording itself from the end of the head on */
    assert_memory_equal(d + head, x + from + head, sizeof(float) * (size_t)(3 * RATE - from - head));
    /* the fade-in: silent at first, rising, full at its end */
    double first = 0;
    for (int i = 0; i < 32; i++)
        first = fmax(first, fabs(d[i]));
    assert_true(first < 0.01);
    double lv1 = pl_tone_level(d + 2000, 2000, RATE, 440), lv2 = pl_tone_level(d + 6000, 2000, RATE, 440);
    double lv3 = pl_tone_level(d + (int64_t)(0.5 * RATE), 2000, RATE, 440);
    assert_true(lv1 < lv2 && lv2 < lv3);
    assert_true(lv3 > 0.45);
    /* and the head is the recording from `from` (in phase) once faded in */
    double e = 0;
    for (int64_t i = (int64_t)(0.5 * RATE); i < head; i++)
        e = fmax(e, fabs((double)d[i] - (double)x[from + i]));
    assert_true(e < 0.05);
    free(x);
    free(a);
    /* item 2 is its recording, bit for bit */
    char *b = cw_path_join(f->dir, recs[1].rel);
    assert_int_equal(pl_decode(b, &x, &nx, NULL, 0, NULL), 0);
    assert_memory_equal(d + starts[2], x, sizeof(float) * (size_t)nx);
    free(x);
    free(b);
    free(d);
    ms_free(&m);
    cw_plan_free(p);
}

/* Joins that cannot be copied: near the end (one re-encoded link), a cut item (one link,
 * fade in and out), another format (resampled). */
static void test_join_reencoded(void **state)
{
    fx *f = *state;
    item_lit it[] = {{0, 3 * RATE, 0, 0}, {3 * RATE, 2 * RATE, 1, 1}, {5 * RATE, 2 * RATE, 2, 0}};
    cw_plan *p = plan_of(it, 3);
    int64_t froms[3] = {3 * RATE - 900, RATE / 3, 1000};
    for (size_t k = 0; k < 3; k++) {
        memsink m;
        cw_ogg_sink s;
        ms_init(&m, &s);
        cw_render_report rep;
        cw_error err;
        int rc = cw_render_plan(&f->st, p, k, froms[k], k + 1, &s, &rep, &err);
        if (rc)
            fail_msg("item %zu: %s", k + 1, err.text);
        assert_int_equal(m.n_links, 1);
        assert_int_equal(m.links[0].l.reencoded, 1);
        assert_int_equal(m.links[0].l.samples, p->items[k].length_samples - froms[k]);
        assert_int_equal(rep.samples, p->items[k].length_samples - froms[k]);
        check_pages(&m);
        float *d = NULL;
        int64_t nd = 0;
        ms_decode(&m, f->dir, &d, &nd, NULL, 0, NULL);
        assert_int_equal(nd, p->items[k].length_samples - froms[k]);
        assert_true(fabs(d[0]) < 0.01);
        free(d);
        ms_free(&m);
    }
    cw_plan_free(p);
}

/* Two blocks with 1.5 s between them: rendered together, the gap is a silence link with no
 * item and every item starts at its planned offset; rendered from the second block, the
 * stream is that block alone, the same bytes every time, other serials than the day's. */
static void test_blocks_and_gaps(void **state)
{
    fx *f = *state;
    item_lit it[] = {{0, RATE, 0, 1}, {RATE, 2 * RATE, -1, 0}, {3 * RATE + RATE * 3 / 2, 4 * RATE, 1, 0},
                     {7 * RATE + RATE * 3 / 2, 50, -1, 0}};
    cw_plan *p = plan_of(it, 4);
    assert_int_equal(p->n_blocks, 2);
    memsink m;
    cw_ogg_sink s;
    ms_init(&m, &s);
    cw_render_report rep;
    cw_error err;
    assert_int_equal(cw_render_plan(&f->st, p, 0, 0, 4, &s, &rep, &err), 0);
    assert_int_equal(m.n_links, 5);
    assert_int_equal(rep.links, 5);
    assert_int_equal(rep.samples, 7 * RATE + RATE * 3 / 2 + 50);
    assert_null(m.links[2].item); /* the gap */
    assert_false(m.links[2].has_path);
    assert_int_equal(m.links[2].l.samples, RATE * 3 / 2);
    size_t want_item[5] = {0, 1, 99, 2, 3};
    for (size_t i = 0; i < 5; i++) {
        if (want_item[i] == 99)
            continue;
        const cw_plan_item *pi = m.links[i].item;
        assert_ptr_equal(pi, &p->items[want_item[i]]);
        assert_int_equal(m.links[i].l.stream_offset, pi->offset_samples);
        assert_int_equal(m.links[i].l.samples, pi->length_samples);
    }
    check_pages(&m);
    float *d = NULL;
    int64_t nd = 0, starts[8];
    int nl = 0;
    ms_decode(&m, f->dir, &d, &nd, starts, 8, &nl);
    assert_int_equal(nl, 5);
    assert_int_equal(starts[3], 3 * RATE + RATE * 3 / 2);
    assert_true(pl_tone_level(d + starts[3] + 1000, 4000, RATE, 880) > 0.4);
    for (int64_t i = RATE; i < starts[3]; i++)
        assert_true(d[i] == 0.0f);
    free(d);

    /* the second block alone, twice */
    memsink b1, b2;
    cw_ogg_sink s1, s2;
    ms_init(&b1, &s1);
    ms_init(&b2, &s2);
    assert_int_equal(cw_render_plan(&f->st, p, 2, 0, 4, &s1, NULL, &err), 0);
    assert_int_equal(cw_render_plan(&f->st, p, 2, 0, 4, &s2, NULL, &err), 0);
    assert_int_equal(b1.n_links, 2);
    assert_int_equal(b1.links[0].l.stream_offset, 0);
    assert_int_equal(b1.bytes.len, b2.bytes.len);
    assert_memory_equal(b1.bytes.data, b2.bytes.data, b1.bytes.len);
    assert_int_equal(b1.links[0].l.serial, cw_chain_serial(cw_pl_render_seed(p, 2), 0, NULL, 0));
    assert_int_not_equal(b1.links[0].l.serial, m.links[3].l.serial);
    ms_free(&b1);
    ms_free(&b2);
    ms_free(&m);
    cw_plan_free(p);
}

/* Every shape of link the writer makes, through the chain directly: silences from 1 sample
 * to 4 s, a whole file, cuts of 50 to 2,000 samples, a resampled file, a two-packet file:
 * page granules as check_pages wants, and libvorbisfile decodes each to its exact length. */
static void test_page_granules_all_shapes(void **state)
{
    fx *f = *state;
    char *two = cw_path_join(f->dir, "two.ogg");
    assert_int_equal(pl_tone_file(two, RATE, 1, 880, 300, 2, "two"), 0);
    char *a = cw_path_join(f->dir, recs[0].rel), *c = cw_path_join(f->dir, recs[2].rel);
    const struct {
        const char *path;
        int64_t n;
        double fade;
    } L[] = {{NULL, 1, 0},   {NULL, 100, 0},  {a, 100, 0.01}, {NULL, 576, 0},   {NULL, 577, 0},
             {a, 3 * RATE, 0}, {two, 300, 0}, {NULL, 1024, 0}, {a, 2000, 0.01}, {c, 50, 0},
             {NULL, 4 * RATE + 5, 0}, {NULL, 3000, 0}};
    const size_t n = sizeof L / sizeof L[0];
    memsink m;
    cw_ogg_sink s;
    ms_init(&m, &s);
    cw_chain *ch = NULL;
    cw_error err;
    cw_chain_format fmt = {RATE, 1, 2};
    assert_int_equal(cw_chain_open(&ch, &s, &fmt, 5, &err), 0);
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        cw_link_spec sp = {.path = L[i].path, .samples = L[i].n, .fade_out = L[i].fade};
        if (cw_chain_add(ch, &sp, NULL, &err) != 0)
            fail_msg("link %zu: %s", i, err.text);
        total += L[i].n;
    }
    assert_int_equal(cw_chain_links(ch), n);
    assert_int_equal(cw_chain_close(ch, &err), 0);
    assert_int_equal(m.n_links, n);
    check_pages(&m);
    float *d = NULL;
    int64_t nd = 0, starts[16];
    int nl = 0;
    ms_decode(&m, f->dir, &d, &nd, starts, 16, &nl);
    assert_int_equal(nl, (int)n);
    assert_int_equal(nd, total);
    int64_t at = 0;
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(starts[i], at);
        at += L[i].n;
    }
    /* the whole file is bit-exact, the silences are digital zeros */
    float *x = NULL;
    int64_t nx = 0;
    assert_int_equal(pl_decode(a, &x, &nx, NULL, 0, NULL), 0);
    assert_memory_equal(d + starts[5], x, sizeof(float) * (size_t)nx);
    for (int64_t i = starts[10]; i < starts[11] + 3000; i++)
        assert_true(d[i] == 0.0f);
    free(x);
    free(d);
    ms_free(&m);
    free(two);
    free(a);
    free(c);
}

static void test_refusals(void **state)
{
    fx *f = *state;
    item_lit it[] = {{0, RATE, 0, 1}, {RATE, RATE, 1, 1}};
    cw_plan *p = plan_of(it, 2);
    memsink m;
    cw_ogg_sink s;
    ms_init(&m, &s);
    cw_error err;
    assert_int_equal(cw_render_plan(&f->st, p, 0, RATE, 2, &s, NULL, &err), CW_EINVAL); /* from past the item */
    assert_int_equal(cw_render_plan(&f->st, p, 0, -1, 2, &s, NULL, &err), CW_EINVAL);
    assert_int_equal(cw_render_plan(&f->st, p, 1, 0, 3, &s, NULL, &err), CW_EINVAL);   /* past the plan */
    assert_int_equal(cw_render_plan(&f->st, p, 1, 0, 1, &s, NULL, &err), CW_EINVAL);   /* nothing */
    assert_int_equal(m.n_pages, 0);
    assert_int_equal(m.closes, 4); /* the sink is closed by every call, as failed */
    assert_true(m.close_failed);
    m.closes = 0;
    /* overlapping items */
    p->items[1].offset_samples -= 1;
    assert_int_equal(cw_render_plan(&f->st, p, 0, 0, 2, &s, NULL, &err), CW_EINTERNAL);
    p->items[1].offset_samples += 1;
    m.closes = 0;
    /* a missing recording: named, and the sink is closed as failed */
    free(p->items[1].recording);
    p->items[1].recording = cw_strdup("library/lesson/a/404.ogg");
    assert_int_equal(cw_render_plan(&f->st, p, 0, 0, 2, &s, NULL, &err), CW_ENOTFOUND);
    assert_non_null(strstr(err.text, "item 2"));
    assert_int_equal(m.closes, 1);
    assert_true(m.close_failed);
    /* a sink that fails stops the render with its error */
    memsink m2;
    cw_ogg_sink s2;
    ms_init(&m2, &s2);
    m2.fail_at_link = 1;
    free(p->items[1].recording);
    p->items[1].recording = cw_strdup(recs[1].rel);
    assert_int_equal(cw_render_plan(&f->st, p, 0, 0, 2, &s2, NULL, &err), CW_EIO);
    assert_non_null(strstr(err.text, "listener"));
    assert_int_equal(m2.closes, 1);
    assert_true(m2.close_failed);
    ms_free(&m);
    ms_free(&m2);
    cw_plan_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_join_inside_recording),
        cmocka_unit_test(test_join_reencoded),
        cmocka_unit_test(test_blocks_and_gaps),
        cmocka_unit_test(test_page_granules_all_shapes),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
