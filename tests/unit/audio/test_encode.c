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

#include <vorbis/vorbisfile.h>

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
    assert_int_equal(cw_audio_vorbis_headers_build(&hb, 44100, 1, 3.0, 99, &m, &err), 0);
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

/* ---- the encoder's spot check against a full decode --------------------------------- */

static uint32_t rng_state = 12345u;
static float rnd(void) /* uniform in [-1, 1) */
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)((double)(rng_state >> 8) / 8388608.0 - 1.0);
}

/* Signals with stretches near and far from their peak. kind 0: quiet noise with loud
 * tone bursts at scattered places; 1: speech-like (noise under a slow syllable envelope);
 * 2: a near-silent file with one click near the end; 3: steady full-scale tone (everything
 * hot); 4: bursts of square wave (inter-sample peaks above the sample peak); 5: loud only at
 * the start and in the last 300 frames. */
static float *make_signal(int kind, int rate, int ch, size_t n)
{
    float *x = calloc(n * (size_t)ch, sizeof(float));
    assert_non_null(x);
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / rate;
        for (int c = 0; c < ch; c++) {
            float v = 0.0f;
            switch (kind) {
            case 0: {
                v = 0.01f * rnd();
                size_t burst = (i / (size_t)(rate / 3)) % 7;
                if (burst == 3 || (burst == 5 && c == 0))
                    v += (float)(0.8 * sin(2 * M_PI * (300.0 + 200.0 * c) * t));
                break;
            }
            case 1: {
                double env = 0.5 + 0.5 * sin(2 * M_PI * 3.1 * t) * sin(2 * M_PI * 0.37 * t);
                v = (float)(0.6 * env * env * env) * rnd();
                break;
            }
            case 2:
                v = 0.001f * rnd();
                if (i == n - n / 50)
                    v = 0.9f;
                break;
            case 3:
                v = (float)(0.95 * sin(2 * M_PI * 997.0 * t + c));
                break;
            case 5: /* loud at the start, quiet, loud again in the very last frames: the
                     * last packet is decoded after a stretch that was not */
                v = 0.005f * rnd();
                if (i < (size_t)rate / 10 || i + 300 >= n)
                    v += (float)(0.7 * sin(2 * M_PI * 1000.0 * t));
                break;
            default: {
                int on = (i / (size_t)(rate / 5)) % 4 == 1;
                v = on ? ((i / 7) % 2 ? 0.7f : -0.7f) : 0.02f * rnd();
                break;
            }
            }
            x[i * (size_t)ch + (size_t)c] = v;
        }
    }
    return x;
}

/* True peak (cw_audio_truepeak) and length of an Ogg Vorbis file decoded with libvorbisfile. */
static double full_decode_peak(const char *path, int ch, int64_t *frames)
{
    OggVorbis_File vf;
    assert_int_equal(ov_fopen(path, &vf), 0);
    cw_audio_truepeak *tp = NULL;
    assert_int_equal(cw_audio_truepeak_new(&tp, ch), 0);
    float *il = malloc(4096 * (size_t)ch * sizeof(float));
    assert_non_null(il);
    *frames = 0;
    for (;;) {
        float **pcm;
        int bs;
        long n = ov_read_float(&vf, &pcm, 4096, &bs);
        assert_true(n >= 0);
        if (n == 0)
            break;
        for (long i = 0; i < n; i++)
            for (int c = 0; c < ch; c++)
                il[i * ch + c] = pcm[c][i];
        cw_audio_truepeak_add(tp, il, (size_t)n);
        *frames += n;
    }
    double peak = cw_audio_truepeak_max(tp);
    cw_audio_truepeak_free(tp);
    free(il);
    ov_clear(&vf);
    return peak;
}

static void spot_case(const char *dir, int kind, int rate, int ch, double q, size_t n,
                      double window_db, int64_t *decoded)
{
    char path[600];
    snprintf(path, sizeof path, "%s/spot.ogg", dir);
    float *x = make_signal(kind, rate, ch, n);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    cw_vorbis_enc *e = NULL;
    cw_error err;
    assert_int_equal(cw_vorbis_enc_new(&e, fp, rate, ch, q, 99, NULL, &err), 0);
    assert_int_equal(cw_audio_enc_spot_check(e, window_db), 0);
    for (size_t off = 0, step = 1000; off < n; off += step, step = step * 7 % 9001 + 1)
        assert_int_equal(cw_vorbis_enc_write(e, x + off * (size_t)ch,
                                             n - off < step ? n - off : step, &err), 0);
    cw_audio_vorbis_check chk;
    assert_int_equal(cw_audio_enc_finish_checked(e, &chk, &err), 0);
    fclose(fp);
    int64_t frames = 0;
    double full = full_decode_peak(path, ch, &frames);
    assert_int_equal(frames, (int64_t)n);
    assert_int_equal(chk.frames, (int64_t)n);
    assert_true(chk.decoded <= chk.frames);
    /* the same packets through the same synthesis: the same floats, the same peak */
    if (fabs(chk.true_peak - full) > 1e-6) {
        fprintf(stderr, "kind %d, %d Hz x %d, q%.0f, %zu frames, window %.0f dB: spot %.6f, "
                        "full %.6f (decoded %lld)\n", kind, rate, ch, q, n, window_db,
                chk.true_peak, full, (long long)chk.decoded);
        fail();
    }
    *decoded = chk.decoded;
    free(x);
}

static void test_spot_check_equals_full_decode(void **state)
{
    (void)state;
    char *dir = tu_tmpdir();
    const int shapes[][2] = {{44100, 1}, {8000, 1}, {48000, 2}, {22050, 6}};
    const double qs[] = {0.0, 3.0, 10.0};
    for (int kind = 0; kind < 6; kind++)
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
            for (size_t qi = 0; qi < sizeof qs / sizeof qs[0]; qi++) {
                int rate = shapes[s][0], ch = shapes[s][1];
                size_t n = (size_t)rate * 5 / 2 + 333;
                int64_t dec = 0;
                spot_case(dir, kind, rate, ch, qs[qi], n, 3.0, &dec);
                /* scattered bursts after the first leave most of the file undecoded (before
                 * the first, the noise is the loudest so far: decoded) */
                if (kind == 0 && dec >= (int64_t)n * 3 / 4) {
                    fprintf(stderr, "%d Hz x %d q%.0f: decoded %lld of %zu\n", rate, ch,
                            qs[qi], (long long)dec, n);
                    fail();
                }
                if (kind == 3) /* a steady tone is hot everywhere */
                    assert_int_equal(dec, (int64_t)n);
            }
    /* a window wider than the signal's range decodes every frame; tiny files work */
    int64_t dec = 0;
    spot_case(dir, 1, 44100, 1, 3.0, 44100 * 3, 200.0, &dec);
    assert_int_equal(dec, 44100 * 3);
    const size_t tiny[] = {1, 2, 100, 4095, 4096, 4097};
    for (size_t i = 0; i < sizeof tiny / sizeof tiny[0]; i++) {
        spot_case(dir, 1, 44100, 1, 3.0, tiny[i], 3.0, &dec);
        spot_case(dir, 3, 8000, 2, 0.0, tiny[i], 3.0, &dec);
        spot_case(dir, 5, 44100, 1, 3.0, tiny[i] + 44100, 3.0, &dec);
    }
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
        cmocka_unit_test(test_spot_check_equals_full_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
