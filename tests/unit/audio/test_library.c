/* test_library.c — the library's own Ogg reading: the fast page checksum against libogg's,
 * headers spread over pages, damage and junk, exact lengths when the last page is not in
 * the first read, and the lookup index (first match by path, stale index falls back). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <ogg/ogg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audio_int.h"
#include "audio_test_util.h"

static uint32_t rnd_state = 12345;
static uint32_t rnd(void)
{
    rnd_state = rnd_state * 1103515245u + 12345u;
    return rnd_state >> 8;
}

static void test_crc_matches_libogg(void **state)
{
    (void)state;
    unsigned char *buf = malloc(70000);
    assert_non_null(buf);
    for (int round = 0; round < 3000; round++) {
        size_t off = rnd() % 16, len = round < 300 ? (size_t)round : 27 + rnd() % 66000;
        for (size_t i = 0; i < off + len; i++)
            buf[i] = (unsigned char)rnd();
        unsigned char *p = buf + off;
        if (len < 27) {
            /* no page: compare with a bytewise reference */
            uint32_t ref = 0;
            for (size_t i = 0; i < len; i++) {
                ref ^= (uint32_t)p[i] << 24;
                for (int b = 0; b < 8; b++)
                    ref = ref & 0x80000000u ? (ref << 1) ^ 0x04c11db7u : ref << 1;
            }
            assert_int_equal(cw_audio_ogg_crc(p, len), ref);
            continue;
        }
        size_t hlen = 27 + (len - 27 < 255 ? len - 27 : 255) / 2;
        ogg_page pg = {.header = p, .header_len = (long)hlen, .body = p + hlen,
                       .body_len = (long)(len - hlen)};
        ogg_page_checksum_set(&pg);
        assert_true(cw_audio_ogg_page_crc_ok(p, len));
        p[rnd() % len] ^= (unsigned char)(1u << (rnd() % 8)); /* any one bit: caught */
        assert_false(cw_audio_ogg_page_crc_ok(p, len));
    }
    free(buf);
}

static int encode_file(const char *path, int rate, int ch, size_t n, const cw_link_meta *meta)
{
    double amp[8] = {0.3, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
    float *x = tu_sine(rate, ch, amp, 440.0, 0.0, n);
    FILE *fp = fopen(path, "wb");
    cw_vorbis_enc *e = NULL;
    cw_error err;
    int rc = cw_vorbis_enc_new(&e, fp, rate, ch, 3.0, 99, meta, &err);
    if (rc == 0)
        rc = cw_vorbis_enc_write(e, x, n, &err);
    if (rc == 0)
        rc = cw_vorbis_enc_finish(e, &err);
    else
        cw_vorbis_enc_abort(e);
    fclose(fp);
    free(x);
    return rc;
}

static void put_file(const char *path, const unsigned char *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(d, 1, n, f), n);
    fclose(f);
}

/* Offset of the n-th page (0-based) of a well-formed file. */
static size_t page_at(const unsigned char *d, size_t len, int n)
{
    size_t pos = 0;
    for (int i = 0; i < n; i++) {
        assert_true(pos + 27 <= len && memcmp(d + pos, "OggS", 4) == 0);
        size_t nseg = d[pos + 26], body = 0;
        for (size_t s = 0; s < nseg; s++)
            body += d[pos + 27 + s];
        pos += 27 + nseg + body;
    }
    return pos;
}

static void test_long_comments_and_tail(void **state)
{
    (void)state;
    char *dir = tu_tmpdir(), path[600];
    snprintf(path, sizeof path, "%s/long.ogg", dir);
    /* a description longer than one page can hold: the comment header spans pages */
    char *desc = malloc(150001);
    for (int i = 0; i < 150000; i++)
        desc[i] = "abcdefghij"[i % 10];
    desc[150000] = 0;
    cw_strlist extra = {0};
    cw_strlist_push(&extra, "chalkwave_series=Maths-5"); /* keys in any case */
    cw_strlist_push(&extra, "CHALKWAVE_EPISODE=12");
    cw_strlist_push(&extra, "CHALKWAVE_EPISODE=13"); /* the first one counts */
    cw_strlist_push(&extra, "CHALKWAVE_LUFS_OUT=-23.01");
    cw_strlist_push(&extra, "CHALKWAVE_LRA=not a number");
    cw_link_meta m = {.title = "T", .artist = "A", .genre = "newsletter", .description = desc,
                      .extra = &extra};
    /* 10 s at 44.1 kHz: the last page is far beyond the first read */
    assert_int_equal(encode_file(path, 44100, 2, 441001, &m), 0);
    cw_recording r;
    cw_error err;
    assert_int_equal(cw_recording_read(&r, path, &err), 0);
    assert_int_equal(strlen(r.description), 150000);
    assert_string_equal(r.series, "maths-5"); /* series keys are read lower-case (issue #14) */
    assert_int_equal(r.episode, 12);
    assert_int_equal(r.kind, CW_KIND_NEWSLETTER);
    assert_int_equal(r.length_samples, 441001);
    assert_int_equal(r.rate, 44100);
    assert_int_equal(r.channels, 2);
    assert_true(fabs(r.lufs_out - -23.01) < 1e-12);
    assert_true(isnan(r.lra_out));
    assert_true(isnan(r.lufs_in));
    cw_recording_clear(&r);
    cw_strlist_free(&extra);
    free(desc);
    tu_rmrf(dir);
    free(dir);
}

static void expect_refused(const char *path, const char *words)
{
    cw_recording r;
    cw_error err;
    memset(&err, 0, sizeof err);
    int rc = cw_recording_read(&r, path, &err);
    if (rc == 0 || !strstr(err.text, words))
        fail_msg("%s: rc %d, '%s' (wanted '%s')", path, rc, err.text, words);
}

static void test_damage(void **state)
{
    (void)state;
    char *dir = tu_tmpdir(), good[600], bad[600];
    snprintf(good, sizeof good, "%s/good.ogg", dir);
    snprintf(bad, sizeof bad, "%s/bad.ogg", dir);
    cw_link_meta m = {.title = "damage"};
    assert_int_equal(encode_file(good, 22050, 1, 30000, &m), 0);
    size_t len;
    unsigned char *d = tu_slurp(good, &len);
    size_t p1 = page_at(d, len, 1), p2 = page_at(d, len, 2);
    cw_recording r;
    cw_error err;

    /* junk before the first page: skipped, as libogg resynchronises */
    unsigned char *j = malloc(len + 100);
    memset(j, 'x', 100);
    memcpy(j + 100, d, len);
    put_file(bad, j, len + 100);
    assert_int_equal(cw_recording_read(&r, bad, &err), 0);
    assert_int_equal(r.length_samples, 30000);
    assert_string_equal(r.title, "damage");
    cw_recording_clear(&r);
    free(j);

    /* one bit flipped in the comment page: its checksum fails, the header is missing */
    d[p1 + (p2 - p1) / 2] ^= 4;
    put_file(bad, d, len);
    expect_refused(bad, "vorbis header 2 is invalid");
    d[p1 + (p2 - p1) / 2] ^= 4;

    /* one bit flipped in the last page: the page before it does not end the stream */
    d[len - 3] ^= 1;
    put_file(bad, d, len);
    expect_refused(bad, "truncated");
    d[len - 3] ^= 1;

    /* only the first page; the first page missing; nothing; text */
    put_file(bad, d, p1);
    expect_refused(bad, "file ends before the vorbis headers");
    put_file(bad, d + p1, len - p1);
    expect_refused(bad, "not a stream start");
    put_file(bad, d, 0);
    expect_refused(bad, "file ends before the vorbis headers");
    put_file(bad, (const unsigned char *)"OggS", 4);
    expect_refused(bad, "file ends before the vorbis headers");

    /* an identification header that libvorbis refuses (channels 0), checksum redone */
    unsigned char *c = malloc(len);
    memcpy(c, d, len);
    c[28 + 11] = 0; /* header 27 + 1 segment: the packet starts at 28; channels at +11 */
    memset(c + 22, 0, 4);
    uint32_t crc = cw_audio_ogg_crc(c, p1);
    c[22] = (unsigned char)crc;
    c[23] = (unsigned char)(crc >> 8);
    c[24] = (unsigned char)(crc >> 16);
    c[25] = (unsigned char)(crc >> 24);
    put_file(bad, c, len);
    expect_refused(bad, "vorbis header 1 is invalid");
    free(c);

    /* the good file still reads */
    assert_int_equal(cw_recording_read(&r, good, &err), 0);
    cw_recording_clear(&r);
    assert_int_equal(cw_recording_read(&r, "/nonexistent/x.ogg", &err), CW_ENOTFOUND);
    free(d);
    tu_rmrf(dir);
    free(dir);
}

static void lib_file(const char *dir, const char *rel, const char *series, int ep,
                     const char *sha)
{
    char path[800], *slash;
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    slash = strrchr(path, '/');
    *slash = 0;
    cw_error err;
    assert_int_equal(cw_mkdir_p(path, &err), 0);
    *slash = '/';
    cw_strlist extra = {0};
    cw_strlist_pushf(&extra, "CHALKWAVE_SERIES=%s", series);
    cw_strlist_pushf(&extra, "CHALKWAVE_EPISODE=%d", ep);
    cw_strlist_pushf(&extra, "CHALKWAVE_SOURCE_SHA256=%s", sha);
    cw_link_meta m = {.title = rel, .extra = &extra, .genre = "lesson"};
    assert_int_equal(encode_file(path, 8000, 1, 8000 + (size_t)ep, &m), 0);
    cw_strlist_free(&extra);
}

static void test_index(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    /* names around '/': "a-b/..." sorts before "a/..." as paths, after it as names */
    lib_file(dir, "library/lesson/a/003-x.ogg", "s", 3, "AB01");
    lib_file(dir, "library/lesson/a-b/001-x.ogg", "s", 1, "ab01"); /* same source, other case */
    lib_file(dir, "library/lesson/a/001-y.ogg", "s", 1, "cd02");   /* a second episode 1 */
    lib_file(dir, "library/lesson/a/002-z.ogg", "t", 2, "");
    lib_file(dir, "library/lesson/b/002-z.ogg", "", 0, "ef03");
    cw_library *lib = NULL;
    cw_error err;
    assert_int_equal(cw_library_scan(&lib, dir, &err), 0);
    assert_int_equal(lib->n, 5);
    for (size_t i = 1; i < lib->n; i++)
        assert_true(strcmp(lib->v[i - 1].path, lib->v[i].path) < 0);
    assert_string_equal(lib->v[0].path, "library/lesson/a-b/001-x.ogg");
    /* every record as cw_recording_read reads it alone */
    for (size_t i = 0; i < lib->n; i++) {
        char p[800];
        snprintf(p, sizeof p, "%s/%s", dir, lib->v[i].path);
        cw_recording r;
        assert_int_equal(cw_recording_read(&r, p, &err), 0);
        assert_string_equal(r.series, lib->v[i].series);
        assert_string_equal(r.title, lib->v[i].title);
        assert_int_equal(r.episode, lib->v[i].episode);
        assert_int_equal(r.length_samples, lib->v[i].length_samples);
        assert_int_equal(r.length_samples, 8000 + r.episode);
        cw_recording_clear(&r);
    }
    /* the first by path wins, and the other is named in a warning */
    assert_int_equal(lib->warnings.n, 1);
    assert_non_null(strstr(lib->warnings.v[0], "library/lesson/a/001-y.ogg: series 's' episode 1 "
                                               "is also 'library/lesson/a-b/001-x.ogg'"));
    assert_string_equal(cw_library_find_episode(lib, "s", 1)->path, "library/lesson/a-b/001-x.ogg");
    assert_string_equal(cw_library_find_episode(lib, "s", 3)->path, "library/lesson/a/003-x.ogg");
    assert_string_equal(cw_library_find_episode(lib, "", 0)->path, "library/lesson/b/002-z.ogg");
    assert_null(cw_library_find_episode(lib, "s", 2));
    assert_null(cw_library_find_episode(lib, "u", 1));
    assert_null(cw_library_find_episode(lib, NULL, 1));
    assert_string_equal(cw_library_find_source(lib, "aB01")->path, "library/lesson/a-b/001-x.ogg");
    assert_string_equal(cw_library_find_source(lib, "EF03")->path, "library/lesson/b/002-z.ogg");
    assert_null(cw_library_find_source(lib, ""));
    assert_null(cw_library_find_source(lib, "ab0"));
    for (size_t i = 0; i < lib->n; i++)
        assert_ptr_equal(cw_library_find_path(lib, lib->v[i].path), &lib->v[i]);
    assert_null(cw_library_find_path(lib, "library/lesson/a"));
    assert_null(cw_library_find_path(lib, "library/lesson/zz.ogg"));

    /* a stale index (the array changed after the scan) is not used */
    size_t n = lib->n;
    lib->n = 2;
    assert_null(cw_library_find_path(lib, "library/lesson/b/002-z.ogg"));
    assert_null(cw_library_find_source(lib, "ef03"));
    assert_string_equal(cw_library_find_episode(lib, "s", 1)->path, "library/lesson/a-b/001-x.ogg");
    lib->n = n;
    /* a hand-made library (no index) searches linearly */
    cw_library hand = {.v = lib->v + 3, .n = 2};
    assert_ptr_equal(cw_library_find_path(&hand, "library/lesson/b/002-z.ogg"), &lib->v[4]);
    assert_ptr_equal(cw_library_find_source(&hand, "EF03"), &lib->v[4]);
    assert_null(cw_library_find_episode(&hand, "s", 1));
    cw_library_free(lib);
    tu_rmrf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc_matches_libogg),
        cmocka_unit_test(test_long_comments_and_tail),
        cmocka_unit_test(test_damage),
        cmocka_unit_test(test_index),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
