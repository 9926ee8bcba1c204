/* test_chain.c — the Ogg chain writer and cw_ogg_check against libvorbisfile: page copy is
 * bit-exact with new serials and comments, cuts end exactly with a fade, other formats and
 * silence are encoded to the exact length, output is deterministic, damage is found. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "pl_test_util.h"

#include <math.h>
#include <ogg/ogg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vorbis/vorbisfile.h>

#define RATE 22050

typedef struct fx {
    char *dir;
    char *a, *b, *c48; /* tones: 440 Hz 2.0 s + 17, 1000 Hz 1.5 s, 44.1 kHz stereo 660 Hz 1 s */
} fx;

static char *in_dir(fx *f, const char *name)
{
    return cw_path_join(f->dir, name);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    f->dir = pl_scratch();
    assert_non_null(f->dir);
    f->a = in_dir(f, "a.ogg");
    f->b = in_dir(f, "b.ogg");
    f->c48 = in_dir(f, "c.ogg");
    assert_int_equal(pl_tone_file(f->a, RATE, 1, 440, 2 * RATE + 17, 2, "A"), 0);
    assert_int_equal(pl_tone_file(f->b, RATE, 1, 1000, RATE * 3 / 2, 2, "B"), 0);
    assert_int_equal(pl_tone_file(f->c48, 44100, 2, 660, 44100, 2, "C"), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    pl_rmtree(f->dir);
    free(f->dir);
    free(f->a);
    free(f->b);
    free(f->c48);
    free(f);
    return 0;
}

/* Build a chain into `name` with the given steps; returns the path (caller frees). */
typedef struct step {
    const char *src; /* NULL = silence */
    int64_t samples;
    double fade;
    int want_reencoded;
} step;

static char *build(fx *f, const char *name, const step *steps, size_t n, uint32_t seed)
{
    char *path = in_dir(f, name);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    cw_chain *c = NULL;
    cw_error err;
    cw_chain_format fmt = {RATE, 1, 2};
    cw_ogg_sink sink;
    cw_ogg_sink_stdio(&sink, fp);
    assert_int_equal(cw_chain_open(&c, &sink, &fmt, seed, &err), 0);
    for (size_t i = 0; i < n; i++) {
        char title[64];
        snprintf(title, sizeof title, "Link %zu \"quoted\"\nsecond line", i + 1);
        cw_link_meta m = {.title = title, .artist = "Teacher", .tracknumber = (int)i + 1};
        int64_t before = cw_chain_samples(c);
        int re = -1;
        int rc = steps[i].src ? cw_chain_add_file(c, steps[i].src, steps[i].samples, steps[i].fade, &m, &re, &err)
                              : cw_chain_add_silence(c, steps[i].samples, &m, &err);
        if (rc)
            fail_msg("step %zu: %s", i, err.text);
        if (steps[i].src)
            assert_int_equal(re, steps[i].want_reencoded);
        assert_int_equal(cw_chain_samples(c) - before, steps[i].samples);
    }
    assert_int_equal(cw_chain_close(c, &err), 0);
    assert_int_equal(fclose(fp), 0);
    return path;
}

static void test_page_copy_bit_exact(void **state)
{
    fx *f = *state;
    step s[] = {{f->a, 2 * RATE + 17, 0.5, 0}, {f->b, RATE * 3 / 2, 0.5, 0}, {f->a, 2 * RATE + 17, 0, 0}};
    char *day = build(f, "copy.ogg", s, 3, 7);

    /* structure */
    int links = 0;
    int64_t samples = 0;
    cw_error err;
    assert_int_equal(cw_ogg_check(day, &links, &samples, &err), 0);
    assert_int_equal(links, 3);
    assert_int_equal(samples, 2 * (2 * RATE + 17) + RATE * 3 / 2);

    /* libvorbisfile: links, lengths, serials unique and new, comments replaced */
    OggVorbis_File vf;
    assert_int_equal(ov_fopen(day, &vf), 0);
    assert_int_equal(ov_streams(&vf), 3);
    assert_int_equal(ov_pcm_total(&vf, 0), 2 * RATE + 17);
    assert_int_equal(ov_pcm_total(&vf, 1), RATE * 3 / 2);
    OggVorbis_File src;
    assert_int_equal(ov_fopen(f->a, &src), 0);
    long src_serial = ov_serialnumber(&src, 0);
    ov_clear(&src);
    for (int i = 0; i < 3; i++) {
        assert_int_not_equal(ov_serialnumber(&vf, i), src_serial);
        for (int j = 0; j < i; j++)
            assert_int_not_equal(ov_serialnumber(&vf, i), ov_serialnumber(&vf, j));
        vorbis_comment *vc = ov_comment(&vf, i);
        char want[64];
        snprintf(want, sizeof want, "Link %d \"quoted\" second line", i + 1);
        assert_non_null(vorbis_comment_query(vc, "TITLE", 0));
        assert_string_equal(vorbis_comment_query(vc, "TITLE", 0), want);
        assert_string_equal(vorbis_comment_query(vc, "ARTIST", 0), "Teacher");
        assert_null(vorbis_comment_query(vc, "TITLE", 1)); /* replaced, not added */
    }
    ov_clear(&vf);

    /* decoded samples of each link equal the library file's, bit for bit, at the offset */
    float *d = NULL, *x = NULL;
    int64_t nd = 0, nx = 0, starts[8];
    int nl = 0;
    assert_int_equal(pl_decode(day, &d, &nd, starts, 8, &nl), 0);
    assert_int_equal(nl, 3);
    assert_int_equal(starts[1], 2 * RATE + 17);
    assert_int_equal(starts[2], 2 * RATE + 17 + RATE * 3 / 2);
    assert_int_equal(pl_decode(f->a, &x, &nx, NULL, 0, NULL), 0);
    assert_int_equal(nx, 2 * RATE + 17);
    assert_memory_equal(d, x, sizeof(float) * (size_t)nx);
    assert_memory_equal(d + starts[2], x, sizeof(float) * (size_t)nx);
    free(x);
    assert_int_equal(pl_decode(f->b, &x, &nx, NULL, 0, NULL), 0);
    assert_memory_equal(d + starts[1], x, sizeof(float) * (size_t)nx);
    free(x);
    free(d);
    free(day);
}

static void test_cut_with_fade(void **state)
{
    fx *f = *state;
    const int64_t cut = RATE + 333;
    step s[] = {{f->a, cut, 0.25, 1}, {f->b, RATE * 3 / 2, 0, 0}};
    char *day = build(f, "cut.ogg", s, 2, 9);
    float *d = NULL, *x = NULL;
    int64_t nd = 0, nx = 0, starts[4];
    int nl = 0;
    assert_int_equal(pl_decode(day, &d, &nd, starts, 4, &nl), 0);
    assert_int_equal(nl, 2);
    assert_int_equal(starts[1], cut); /* the next link starts exactly after the cut */
    assert_int_equal(nd, cut + RATE * 3 / 2);
    assert_int_equal(pl_decode(f->a, &x, &nx, NULL, 0, NULL), 0);
    /* before the fade: the same tone, in phase (lag 0 beats lags +-1..3) */
    double best = 1e9;
    int best_lag = 99;
    for (int lag = -3; lag <= 3; lag++) {
        double e = 0;
        for (int64_t i = 1000; i < RATE / 2; i++)
            e += fabs((double)d[i] - (double)x[i + lag]);
        if (e < best) {
            best = e;
            best_lag = lag;
        }
    }
    assert_int_equal(best_lag, 0);
    /* the fade: loud before it, silent at the end */
    assert_true(pl_tone_level(d + cut - (int64_t)(0.25 * RATE) - 2000, 2000, RATE, 440) > 0.35);
    double tail = 0;
    for (int64_t i = cut - 64; i < cut; i++)
        tail = fmax(tail, fabs(d[i]));
    assert_true(tail < 0.05);
    /* the following page-copied link is still bit-exact */
    free(x);
    assert_int_equal(pl_decode(f->b, &x, &nx, NULL, 0, NULL), 0);
    assert_memory_equal(d + cut, x, sizeof(float) * (size_t)nx);
    free(x);
    free(d);
    free(day);
}

static void test_other_format_and_silence(void **state)
{
    fx *f = *state;
    step s[] = {{NULL, 1234, 0, 0}, {f->c48, RATE, 0, 1}, {NULL, 7, 0, 0}, {f->b, RATE * 3 / 2, 0, 0}};
    char *day = build(f, "fmt.ogg", s, 4, 11);
    int links = 0;
    int64_t samples = 0;
    cw_error err;
    assert_int_equal(cw_ogg_check(day, &links, &samples, &err), 0);
    assert_int_equal(links, 4);
    assert_int_equal(samples, 1234 + RATE + 7 + RATE * 3 / 2);
    float *d = NULL;
    int64_t nd = 0, starts[8];
    int nl = 0;
    assert_int_equal(pl_decode(day, &d, &nd, starts, 8, &nl), 0);
    assert_int_equal(nl, 4);
    assert_int_equal(starts[1], 1234);
    assert_int_equal(starts[2], 1234 + RATE);
    assert_int_equal(starts[3], 1234 + RATE + 7);
    for (int64_t i = 0; i < 1234; i++)
        assert_true(fabs(d[i]) < 1e-4);
    /* resampled 44.1 kHz stereo -> 22.05 kHz mono keeps its 660 Hz tone */
    assert_true(pl_tone_level(d + 1234 + 2000, 8000, RATE, 660) > 0.35);
    assert_true(pl_tone_level(d + 1234 + 2000, 8000, RATE, 1000) < 0.05);
    OggVorbis_File vf;
    assert_int_equal(ov_fopen(day, &vf), 0);
    assert_int_equal(ov_info(&vf, 1)->rate, RATE);
    assert_int_equal(ov_info(&vf, 1)->channels, 1);
    ov_clear(&vf);
    free(d);
    free(day);
}

/* Long silences are built from the encoder's steady silent packet: exact length, digital
 * zeros, valid structure, and the links around them untouched. */
static void test_long_silence(void **state)
{
    fx *f = *state;
    const int64_t long_sil = (int64_t)RATE * 180 + 123; /* three minutes and 123 samples */
    step s[] = {{NULL, long_sil, 0, 0}, {f->b, RATE * 3 / 2, 0, 0}, {NULL, 2 * RATE, 0, 0}};
    char *day = build(f, "longsil.ogg", s, 3, 13);
    int links = 0;
    int64_t samples = 0;
    cw_error err;
    assert_int_equal(cw_ogg_check(day, &links, &samples, &err), 0);
    assert_int_equal(links, 3);
    assert_int_equal(samples, long_sil + RATE * 3 / 2 + 2 * RATE);
    float *d = NULL, *x = NULL;
    int64_t nd = 0, nx = 0, starts[4];
    int nl = 0;
    assert_int_equal(pl_decode(day, &d, &nd, starts, 4, &nl), 0);
    assert_int_equal(nl, 3);
    assert_int_equal(starts[1], long_sil);
    assert_int_equal(starts[2], long_sil + RATE * 3 / 2);
    for (int64_t i = 0; i < long_sil; i++)
        if (d[i] != 0.0f)
            fail_msg("sample %lld of the silence is %g", (long long)i, (double)d[i]);
    for (int64_t i = starts[2]; i < nd; i++)
        assert_true(d[i] == 0.0f);
    assert_int_equal(pl_decode(f->b, &x, &nx, NULL, 0, NULL), 0);
    assert_memory_equal(d + long_sil, x, sizeof(float) * (size_t)nx);
    /* three minutes of silence take a few kB */
    unsigned char *b;
    size_t n;
    assert_int_equal(pl_slurp(day, &b, &n), 0);
    assert_true(n < 40000); /* headers of three links, 1.5 s of tone, the silences */
    free(b);
    free(x);
    free(d);
    free(day);
}

static void test_deterministic(void **state)
{
    fx *f = *state;
    step s[] = {{f->a, 2 * RATE + 17, 0, 0}, {NULL, 500, 0, 0}, {f->b, RATE, 0.1, 1}, {NULL, 5 * RATE, 0, 0}};
    char *p1 = build(f, "det1.ogg", s, 4, 42);
    char *p2 = build(f, "det2.ogg", s, 4, 42);
    unsigned char *b1, *b2;
    size_t n1, n2;
    assert_int_equal(pl_slurp(p1, &b1, &n1), 0);
    assert_int_equal(pl_slurp(p2, &b2, &n2), 0);
    assert_int_equal(n1, n2);
    assert_memory_equal(b1, b2, n1);
    free(b2);
    char *p3 = build(f, "det3.ogg", s, 4, 43); /* another seed: other serials */
    assert_int_equal(pl_slurp(p3, &b2, &n2), 0);
    assert_true(n1 != n2 || memcmp(b1, b2, n1) != 0);
    free(b1);
    free(b2);
    free(p1);
    free(p2);
    free(p3);
}

static void test_refusals(void **state)
{
    fx *f = *state;
    char *path = in_dir(f, "refuse.ogg");
    FILE *fp = fopen(path, "wb");
    cw_chain *c = NULL;
    cw_error err;
    cw_chain_format fmt = {RATE, 1, 2};
    cw_ogg_sink sink;
    cw_ogg_sink_stdio(&sink, fp);
    assert_int_equal(cw_chain_open(&c, &sink, &fmt, 1, &err), 0);
    int re;
    /* longer than the recording */
    assert_int_equal(cw_chain_add_file(c, f->a, 2 * RATE + 18, 0, NULL, &re, &err), CW_EINVAL);
    assert_non_null(strstr(err.text, "samples"));
    /* not there */
    char *missing = in_dir(f, "nope.ogg");
    assert_int_equal(cw_chain_add_file(c, missing, 10, 0, NULL, &re, &err), CW_ENOTFOUND);
    /* not Ogg */
    char *junk = in_dir(f, "junk.ogg");
    FILE *j = fopen(junk, "wb");
    fputs("this is not an ogg file at all, just text\n", j);
    fclose(j);
    assert_int_equal(cw_chain_add_file(c, junk, 10, 0, NULL, &re, &err), CW_EINVAL);
    assert_int_equal(cw_chain_add_silence(c, 0, NULL, &err), CW_EINVAL);
    /* the chain is still usable after refusals that wrote nothing */
    assert_int_equal(cw_chain_add_silence(c, 100, NULL, &err), 0);
    assert_int_equal(cw_chain_close(c, &err), 0);
    fclose(fp);
    int links;
    int64_t samples;
    assert_int_equal(cw_ogg_check(path, &links, &samples, &err), 0);
    assert_int_equal(links, 1);
    assert_int_equal(samples, 100);
    free(missing);
    free(junk);
    free(path);
}

static void write_bytes(const char *path, const unsigned char *b, size_t n)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(b, 1, n, fp), n);
    fclose(fp);
}

static void test_check_finds_damage(void **state)
{
    fx *f = *state;
    step s[] = {{f->a, 2 * RATE + 17, 0, 0}, {f->b, RATE * 3 / 2, 0, 0}};
    char *day = build(f, "dmg.ogg", s, 2, 5);
    unsigned char *b;
    size_t n;
    assert_int_equal(pl_slurp(day, &b, &n), 0);
    char *bad = in_dir(f, "bad.ogg");
    cw_error err;
    int links;
    int64_t samples;

    /* one flipped byte in the audio: the page CRC fails */
    b[n / 2] ^= 0x40;
    write_bytes(bad, b, n);
    assert_int_equal(cw_ogg_check(bad, &links, &samples, &err), CW_EINVAL);
    b[n / 2] ^= 0x40;

    /* truncated */
    write_bytes(bad, b, n - 100);
    assert_int_equal(cw_ogg_check(bad, &links, &samples, &err), CW_EINVAL);

    /* the same file twice: duplicate serial numbers */
    unsigned char *twice = malloc(2 * n);
    memcpy(twice, b, n);
    memcpy(twice + n, b, n);
    write_bytes(bad, twice, 2 * n);
    assert_int_equal(cw_ogg_check(bad, &links, &samples, &err), CW_EINVAL);
    assert_non_null(strstr(err.text, "serial"));
    free(twice);

    /* the original passes */
    assert_int_equal(cw_ogg_check(day, &links, &samples, &err), 0);
    free(b);
    free(bad);
    free(day);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_page_copy_bit_exact),
        cmocka_unit_test(test_cut_with_fade),
        cmocka_unit_test(test_other_format_and_silence),
        cmocka_unit_test(test_long_silence),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_check_finds_damage),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
