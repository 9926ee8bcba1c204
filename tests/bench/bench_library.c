/* bench_library.c — the library scan benchmark's helper (built by bench_library.sh, never
 * in CI).
 *   bench_library gen STATION N   write N short Ogg Vorbis recordings into STATION/library
 *                                 with cw_vorbis_enc (8 kHz mono, 1 s, a 10 kB description
 *                                 on every 50th so some comment headers span pages), plus a
 *                                 few damaged files the scan must skip with a warning
 *   bench_library run STATION [R] scan R times (default 20); print the best and the median
 *                                 time, the count, the warnings, and the cost of the
 *                                 lookups (find_episode / find_path / find_source for
 *                                 every recording) */
#include "audio.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int write_one(const char *dir, const char *kind, const char *series, int ep, uint32_t serial,
                     int long_desc)
{
    char sub[1024], path[1200];
    snprintf(sub, sizeof sub, "%s/library/%s/%s", dir, kind, series);
    if (cw_mkdir_p(sub, NULL))
        return -1;
    snprintf(path, sizeof path, "%s/%03d-bench.ogg", sub, ep);
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return -1;
    char title[128], eps[32], k[64], s[160], sha[128];
    snprintf(title, sizeof title, "%s %d", series, ep);
    snprintf(eps, sizeof eps, "CHALKWAVE_EPISODE=%d", ep);
    snprintf(k, sizeof k, "CHALKWAVE_KIND=%s", kind);
    snprintf(s, sizeof s, "CHALKWAVE_SERIES=%s", series);
    snprintf(sha, sizeof sha, "CHALKWAVE_SOURCE_SHA256=%08x%056d", serial, 0);
    cw_strlist extra = {0};
    cw_strlist_push(&extra, "DATE=2026-01-05");
    cw_strlist_push(&extra, k);
    cw_strlist_push(&extra, s);
    cw_strlist_push(&extra, eps);
    cw_strlist_push(&extra, sha);
    cw_strlist_push(&extra, "CHALKWAVE_LUFS_IN=-31.20");
    cw_strlist_push(&extra, "CHALKWAVE_LUFS_OUT=-23.01");
    cw_strlist_push(&extra, "CHALKWAVE_LRA=6.40");
    cw_strlist_push(&extra, "CHALKWAVE_TRUE_PEAK_IN=-3.10");
    cw_strlist_push(&extra, "CHALKWAVE_TRUE_PEAK_OUT=-1.52");
    char *desc = NULL;
    if (long_desc && (desc = malloc(10001))) {
        for (int i = 0; i < 10000; i++)
            desc[i] = "lesson notes "[i % 13];
        desc[10000] = 0;
    }
    cw_link_meta meta = {.title = title, .artist = "Bench Teacher", .album = series, .genre = kind,
                         .language = "en", .description = desc, .tracknumber = ep, .extra = &extra};
    cw_vorbis_enc *e = NULL;
    cw_error err = {0};
    int rc = cw_vorbis_enc_new(&e, fp, 8000, 1, 0.0, serial, &meta, &err);
    enum { N = 8000 };
    static float buf[N];
    for (size_t i = 0; i < N; i++)
        buf[i] = 0.1f * (float)sin((double)i * 0.05 * (1 + serial % 7));
    if (!rc)
        rc = cw_vorbis_enc_write(e, buf, N, &err);
    if (!rc)
        rc = cw_vorbis_enc_finish(e, &err);
    else
        cw_vorbis_enc_abort(e);
    free(desc);
    cw_strlist_free(&extra);
    fclose(fp);
    if (rc)
        fprintf(stderr, "bench_library: %s: %s\n", path, err.text);
    return rc;
}

static int gen(const char *dir, int n)
{
    uint32_t serial = 1;
    int made = 0;
    for (int ep = 1; made < n; ep++)
        for (int p = 0; p < 200 && made < n; p++, made++) {
            char s[32];
            snprintf(s, sizeof s, "p%03d", p);
            if (write_one(dir, "lesson", s, ep, serial++, made % 50 == 7))
                return 1;
        }
    /* damage: a truncated copy, junk with an .ogg name, a text file */
    char src[1200], dst[1200];
    snprintf(src, sizeof src, "%s/library/lesson/p000/001-bench.ogg", dir);
    snprintf(dst, sizeof dst, "%s/library/lesson/p000/zz-cut.ogg", dir);
    FILE *in = fopen(src, "rb"), *out = fopen(dst, "wb");
    if (!in || !out)
        return 1;
    char b[65536];
    size_t got = fread(b, 1, sizeof b, in);
    fwrite(b, 1, got > 100 ? got - 100 : 0, out);
    fclose(in);
    fclose(out);
    snprintf(dst, sizeof dst, "%s/library/lesson/p001/zz-junk.ogg", dir);
    if (!(out = fopen(dst, "wb")))
        return 1;
    fputs("not an ogg file\n", out);
    fclose(out);
    snprintf(dst, sizeof dst, "%s/library/lesson/p002/README.txt", dir);
    if (!(out = fopen(dst, "wb")))
        return 1;
    fputs("notes\n", out);
    fclose(out);
    printf("wrote %d recordings and 3 files the scan must skip\n", n);
    return 0;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int run(const char *dir, int rounds)
{
    double *t = calloc((size_t)rounds, sizeof *t), *c = calloc((size_t)rounds, sizeof *c);
    cw_library *lib = NULL;
    for (int i = 0; i < rounds; i++) {
        cw_error err = {0};
        cw_library_free(lib);
        lib = NULL;
        double t0 = now(), c0 = cpu();
        if (cw_library_scan(&lib, dir, &err)) {
            fprintf(stderr, "bench_library: scan: %s\n", err.text);
            return 1;
        }
        t[i] = now() - t0;
        c[i] = cpu() - c0;
    }
    qsort(t, (size_t)rounds, sizeof *t, cmp_d);
    qsort(c, (size_t)rounds, sizeof *c, cmp_d);
    printf("scan: %zu recordings, %zu warnings; wall best %.1f ms, median %.1f ms; CPU best %.1f ms, "
           "median %.1f ms (%d scans, warm cache)\n", lib->n, lib->warnings.n, t[0] * 1e3, t[rounds / 2] * 1e3,
           c[0] * 1e3, c[rounds / 2] * 1e3, rounds);
    for (size_t i = 0; i < lib->warnings.n && i < 5; i++)
        printf("  warning: %s\n", lib->warnings.v[i]);
    double t0 = now();
    size_t hits = 0;
    for (size_t i = 0; i < lib->n; i++) {
        const cw_recording *r = &lib->v[i];
        hits += cw_library_find_episode(lib, r->series, r->episode) != NULL;
        hits += cw_library_find_path(lib, r->path) == r;
        hits += cw_library_find_source(lib, r->source_sha256) != NULL;
    }
    double t1 = now();
    printf("lookups: %zu x 3 (episode, path, source) in %.2f ms, %zu found\n", lib->n, (t1 - t0) * 1e3, hits);
    size_t n = lib->n;
    cw_library_free(lib);
    free(t);
    free(c);
    return hits == 3 * n ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && !strcmp(argv[1], "gen"))
        return gen(argv[2], atoi(argv[3]));
    if (argc >= 3 && !strcmp(argv[1], "run"))
        return run(argv[2], argc >= 4 ? atoi(argv[3]) : 20);
    fprintf(stderr, "usage: bench_library gen STATION N | run STATION [ROUNDS]\n");
    return 2;
}
