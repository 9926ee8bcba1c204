/* test_encode.c — the Vorbis encoder (exact lengths, determinism, comments, header
 * rebuild) and the library reader/scanner (header pages + last page only). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audio_int.h"
#include "audio_test_util.h"

static int encode_file(const char *path, int rate, int ch, size_t n, uint32_t serial,
                       const cw_link_meta *meta)
{
    double amp[8] = {0.3, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1};
    float *x = tu_sine(rate, ch, amp, 440.0, 0.0, n);
    FILE *fp = fopen(path, "wb");
    cw_vorbis_enc *e = NULL;
    cw_error err;
    int rc = cw_vorbis_enc_new(&e, fp, rate, ch, 3.0, serial, meta, &err);
    if (rc == 0) {
        /* odd-sized writes to exercise the block splitting */
        size_t off = 0, step = 777;
        while (rc == 0 && off < n) {
            size_t m = n - off < step ? n - off : step;
            rc = cw_vorbis_enc_write(e, x + off * (size_t)ch, m, &err);
            off += m;
            step = step * 3 % 10007 + 1;
        }
        if (rc == 0)
            rc = cw_vorbis_enc_finish(e, &err);
        else
            cw_vorbis_enc_abort(e);
    }
    fclose(fp);
    free(x);
    return rc;
}

static void test_exact_lengths(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    const size_t lens[] = {1, 100, 4095, 44100, 100001};
    const int shapes[][2] = {{44100, 1}, {48000, 2}, {8000, 1}, {22050, 6}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
            char path[600];
            snprintf(path, sizeof path, "%s/t.ogg", dir);
            assert_int_equal(encode_file(path, shapes[s][0], shapes[s][1], lens[i], 7, NULL), 0);
            cw_recording r;
            cw_error err;
            assert_int_equal(cw_recording_read(&r, path, &err), 0);
            assert_int_equal(r.length_samples, (int64_t)lens[i]);
            assert_int_equal(r.rate, shapes[s][0]);
            assert_int_equal(r.channels, shapes[s][1]);
            cw_recording_clear(&r);
            tu_decoded d;
            assert_int_equal(tu_decode_ogg(path, &d), 0);
            assert_int_equal(d.frames, (int64_t)lens[i]);
        }
    }
    tu_rmrf(dir);
    free(dir);
}

static void test_deterministic(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char a[600], b[600], c[600];
    snprintf(a, sizeof a, "%s/a.ogg", dir);
    snprintf(b, sizeof b, "%s/b.ogg", dir);
    snprintf(c, sizeof c, "%s/c.ogg", dir);
    cw_link_meta m = {.title = "Fractions", .artist = "Ms Ada"};
    assert_int_equal(encode_file(a, 44100, 1, 50000, 1234, &m), 0);
    assert_int_equal(encode_file(b, 44100, 1, 50000, 1234, &m), 0);
    assert_int_equal(encode_file(c, 44100, 1, 50000, 1235, &m), 0);
    size_t la, lb, lc;
    unsigned char *da = tu_slurp(a, &la), *db = tu_slurp(b, &lb), *dc = tu_slurp(c, &lc);
    assert_int_equal(la, lb);
    assert_memory_equal(da, db, la);
    /* another serial: same length, different bytes (serial field + CRCs) */
    assert_int_equal(la, lc);
    assert_memory_not_equal(da, dc, la);
    /* serial is at byte 14 of the first page, little endian */
    assert_int_equal(da[14] | da[15] << 8, 1234);
    free(da);
    free(db);
    free(dc);
    tu_rmrf(dir);
    free(dir);
}

static void test_comments_roundtrip(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    char path[600];
    snprintf(path, sizeof path, "%s/x.ogg", dir);
    cw_strlist extra = {0};
    cw_strlist_push(&extra, "CHALKWAVE_SERIES=maths-5");
    cw_strlist_push(&extra, "CHALKWAVE_EPISODE=3");
    cw_strlist_push(&extra, "CHALKWAVE_KIND=lesson");
    cw_strlist_push(&extra, "CHALKWAVE_VALID_FROM=2025-01-06");
    cw_strlist_push(&extra, "CHALKWAVE_SOURCE_SHA256=abc123");
    cw_strlist_push(&extra, "CHALKWAVE_LUFS_IN=-31.25");
    cw_strlist_push(&extra, "CHALKWAVE_LUFS_OUT=-23.01");
    cw_strlist_push(&extra, "CHALKWAVE_TRUE_PEAK_OUT=-1.20");
    cw_strlist_push(&extra, "DATE=2025-01-02");
    cw_link_meta m = {.title = "Fractions, part 1", .artist = "Ms Ada", .album = "Maths 5",
                      .genre = "lesson", .language = "en", .description = "ünïcode ok",
                      .tracknumber = 3, .extra = &extra};
    assert_int_equal(encode_file(path, 44100, 1, 30000, 99, &m), 0);
    cw_recording r;
    cw_error err;
    assert_int_equal(cw_recording_read(&r, path, &err), 0);
    assert_string_equal(r.title, "Fractions, part 1");
    assert_string_equal(r.teacher, "Ms Ada");
    assert_string_equal(r.series, "maths-5");
    assert_int_equal(r.episode, 3);
    assert_int_equal(r.kind, CW_KIND_LESSON);
    assert_string_equal(r.language, "en");
    assert_string_equal(r.description, "ünïcode ok");
    assert_string_equal(r.valid_from, "2025-01-06");
    assert_string_equal(r.valid_until, "");
    assert_string_equal(r.date, "2025-01-02");
    assert_string_equal(r.source_sha256, "abc123");
    assert_true(fabs(r.lufs_in + 31.25) < 1e-9);
    assert_true(fabs(r.lufs_out + 23.01) < 1e-9);
    assert_true(fabs(r.true_peak_out + 1.2) < 1e-9);
    assert_true(isnan(r.lra_out));
    cw_recording_clear(&r);

    /* the header rebuild gives exactly the bytes the encoder wrote first */
    cw_buf hb;
    cw_buf_init(&hb);
    assert_int_equal(cw_vorbis_headers_build(&hb, 44100, 1, 3.0, 99, &m, &err), 0);
    size_t len;
    unsigned char *d = tu_slurp(path, &len);
    assert_true(hb.len > 0 && hb.len < len);
    assert_memory_equal(hb.data, d, hb.len);
    /* and the next byte starts an audio page */
    assert_memory_equal(d + hb.len, "OggS", 4);
    free(d);
    cw_buf_free(&hb);

    /* a bad extra comment is refused */
    cw_strlist bad = {0};
    cw_strlist_push(&bad, "NO_EQUALS_SIGN");
    cw_link_meta mb = {.extra = &bad};
    FILE *fp = fopen(path, "wb");
    cw_vorbis_enc *e = NULL;
    assert_int_equal(cw_vorbis_enc_new(&e, fp, 44100, 1, 3.0, 1, &mb, &err), CW_EINVAL);
    assert_null(e);
    fclose(fp);
    cw_strlist_free(&bad);
    cw_strlist_free(&extra);
    tu_rmrf(dir);
    free(dir);
}

static void write_text(const char *path, const char *s)
{
    FILE *f = fopen(path, "wb");
    fputs(s, f);
    fclose(f);
}

static void lib_file(const char *dir, const char *rel, const char *series, int ep,
                     const char *kind, const char *sha)
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
    cw_strlist_pushf(&extra, "CHALKWAVE_KIND=%s", kind);
    cw_strlist_pushf(&extra, "CHALKWAVE_SOURCE_SHA256=%s", sha);
    cw_link_meta m = {.title = rel, .extra = &extra};
    assert_int_equal(encode_file(path, 22050, 1, 22050, (uint32_t)ep, &m), 0);
    cw_strlist_free(&extra);
}

static void test_library_scan(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    cw_library *lib = NULL;
    cw_error err;
    /* no library directory yet: empty, no error */
    assert_int_equal(cw_library_scan(&lib, dir, &err), 0);
    assert_int_equal(lib->n, 0);
    cw_library_free(lib);

    lib_file(dir, "library/lesson/maths-5/002-b.ogg", "maths-5", 2, "lesson", "bb");
    lib_file(dir, "library/lesson/maths-5/001-a.ogg", "maths-5", 1, "lesson", "aa");
    lib_file(dir, "library/filler/jingles/000-x.ogg", "jingles", 0, "filler", "cc");
    lib_file(dir, "library/lesson/maths-5/009-dup.ogg", "maths-5", 1, "lesson", "dd");
    char p[800];
    snprintf(p, sizeof p, "%s/library/lesson/maths-5/junk.ogg", dir);
    write_text(p, "this is not ogg\n");
    snprintf(p, sizeof p, "%s/library/lesson/README.txt", dir);
    write_text(p, "notes\n");
    snprintf(p, sizeof p, "%s/library/lesson/maths-5/.003-c.ogg.tmp-1-1", dir);
    write_text(p, "partial");
    /* a truncated copy of a good file: refused (no EOS page) */
    char src[800];
    snprintf(src, sizeof src, "%s/library/lesson/maths-5/001-a.ogg", dir);
    size_t len;
    unsigned char *d = tu_slurp(src, &len);
    snprintf(p, sizeof p, "%s/library/lesson/maths-5/cut.ogg", dir);
    FILE *f = fopen(p, "wb");
    fwrite(d, 1, len - 100, f);
    fclose(f);
    free(d);

    assert_int_equal(cw_library_scan(&lib, dir, &err), 0);
    assert_int_equal(lib->n, 4);
    assert_string_equal(lib->v[0].path, "library/filler/jingles/000-x.ogg");
    assert_string_equal(lib->v[1].path, "library/lesson/maths-5/001-a.ogg");
    assert_string_equal(lib->v[2].path, "library/lesson/maths-5/002-b.ogg");
    assert_int_equal(lib->v[1].length_samples, 22050);
    assert_int_equal(lib->v[0].kind, CW_KIND_FILLER);
    /* warnings: junk.ogg, README.txt, cut.ogg, duplicate episode */
    assert_int_equal(lib->warnings.n, 4);
    int saw_trunc = 0, saw_dup = 0;
    for (size_t i = 0; i < lib->warnings.n; i++) {
        saw_trunc |= strstr(lib->warnings.v[i], "cut.ogg") && strstr(lib->warnings.v[i], "truncated");
        saw_dup |= strstr(lib->warnings.v[i], "009-dup.ogg") != NULL;
    }
    assert_true(saw_trunc);
    assert_true(saw_dup);
    const cw_recording *r = cw_library_find_episode(lib, "maths-5", 1);
    assert_non_null(r);
    assert_string_equal(r->path, "library/lesson/maths-5/001-a.ogg");
    assert_null(cw_library_find_episode(lib, "maths-5", 3));
    assert_ptr_equal(cw_library_find_path(lib, "library/lesson/maths-5/002-b.ogg"), &lib->v[2]);
    assert_ptr_equal(cw_library_find_source(lib, "CC"), &lib->v[0]);
    assert_null(cw_library_find_source(lib, "ee"));
    cw_library_free(lib);
    tu_rmrf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_lengths),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_comments_roundtrip),
        cmocka_unit_test(test_library_scan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
