/* bench_plan.c — the planner benchmark's helper (built by bench_plan.sh, never in CI).
 *   bench_plan gen STATION N      write N tiny Ogg Vorbis recordings into STATION/library
 *                                 with cw_vorbis_enc (8 kHz mono, 1 s; 20 fillers of 60 s),
 *                                 metadata in the comments chalkwave's scan reads
 *   bench_plan run STATION DATE   time each phase of planning DATE in-process: library scan,
 *                                 calendars, cw_plan_day, JSON; print peak memory
 *   bench_plan profile STATION DATE N   calendars + plan + JSON n times (CPU per phase; for perf) */
#include "scheduler.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int write_one(const char *dir, const char *kind, const char *series, int ep, const char *date, double secs,
                     uint32_t serial)
{
    char sub[1024], path[1200];
    snprintf(sub, sizeof sub, "%s/library/%s/%s", dir, kind, series);
    if (cw_mkdir_p(sub, NULL)) return -1;
    snprintf(path, sizeof path, "%s/%03d-bench.ogg", sub, ep);
    FILE *fp = fopen(path, "wb");
    if (!fp) return -1;
    char title[128], eps[32], k[64], s[160], d[64];
    snprintf(title, sizeof title, "%s %d", series, ep);
    snprintf(eps, sizeof eps, "CHALKWAVE_EPISODE=%d", ep);
    snprintf(k, sizeof k, "CHALKWAVE_KIND=%s", kind);
    snprintf(s, sizeof s, "CHALKWAVE_SERIES=%s", series);
    snprintf(d, sizeof d, "DATE=%s", date);
    cw_strlist extra = {0};
    cw_strlist_push(&extra, k);
    cw_strlist_push(&extra, s);
    cw_strlist_push(&extra, eps);
    cw_strlist_push(&extra, d);
    cw_link_meta meta = {.title = title, .artist = "Bench Teacher", .album = series, .genre = kind,
                         .language = "en", .tracknumber = ep, .extra = &extra};
    cw_vorbis_enc *e = NULL;
    cw_error err = {0};
    int rc = cw_vorbis_enc_new(&e, fp, 8000, 1, -1, serial, &meta, &err);
    size_t n = (size_t)(secs * 8000);
    float *buf = malloc(n * sizeof *buf);
    for (size_t i = 0; i < n && buf; i++) buf[i] = 0.1f * (float)sin(i * 0.05 * (1 + serial % 7));
    if (!rc && buf) rc = cw_vorbis_enc_write(e, buf, n, &err);
    if (!rc) rc = cw_vorbis_enc_finish(e, &err);
    else cw_vorbis_enc_abort(e);
    free(buf);
    cw_strlist_free(&extra);
    fclose(fp);
    if (rc) fprintf(stderr, "bench_plan: %s: %s\n", path, err.text);
    return rc;
}

static int gen(const char *dir, int n)
{
    int made = 0;
    uint32_t serial = 1;
    for (int f = 0; f < 20 && made < n; f++, made++) {
        char s[32];
        snprintf(s, sizeof s, "ids-%02d", f);
        if (write_one(dir, "filler", s, 1, "2026-01-01", 60, serial++)) return 1;
    }
    for (int k = 0; k < 800 && made < n; k++, made++) { /* newsletters, one a day, recent ones valid */
        char s[32], d[16];
        snprintf(s, sizeof s, "news-%02d", k % 50);
        int day = 1 + k % 28, mon = 1 + (k / 28) % 3;
        snprintf(d, sizeof d, "2026-%02d-%02d", mon, day);
        if (write_one(dir, "newsletter", s, 1 + k / 50, d, 1, serial++)) return 1;
    }
    /* lessons: 50 partners x 4 series, episodes 1.. until N */
    for (int ep = 1; made < n; ep++)
        for (int p = 0; p < 50 && made < n; p++)
            for (int sr = 0; sr < 4 && made < n; sr++, made++) {
                char s[32];
                snprintf(s, sizeof s, "p%02d-s%d", p, sr);
                if (write_one(dir, "lesson", s, ep, "2026-01-01", 1, serial++)) return 1;
            }
    printf("wrote %d recordings\n", made);
    return 0;
}

static long peak_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static int run(const char *dir, const char *date_s)
{
    cw_date date;
    if (cw_date_parse(date_s, &date)) return 2;
    cw_error err = {0};
    cw_station *st = NULL;
    if (cw_station_load(&st, dir, &err)) {
        fprintf(stderr, "bench_plan: %s\n", err.text);
        return 1;
    }
    double t0 = now();
    cw_library *lib = NULL;
    if (cw_library_scan(&lib, st->dir, &err)) {
        fprintf(stderr, "bench_plan: scan: %s\n", err.text);
        return 1;
    }
    double t1 = now();
    cw_calset *cals = NULL;
    cw_diags d = {0};
    if (cw_station_calendars(&cals, st, &d, &err)) {
        fprintf(stderr, "bench_plan: calendars: %s %s\n", err.source, err.text);
        return 1;
    }
    double t2 = now();
    cw_plan *p = NULL;
    if (cw_plan_day(&p, st, cals, lib, date, &err)) {
        fprintf(stderr, "bench_plan: plan: %s\n", err.text);
        return 1;
    }
    double t3 = now();
    cw_buf b;
    cw_buf_init(&b);
    if (cw_plan_to_json(p, &b)) return 1;
    double t4 = now();
    /* a second plan of another day with the calendars warm (what `plan --from --to` does) */
    cw_plan *q = NULL;
    if (cw_plan_day(&q, st, cals, lib, cw_date_add_days(date, 1), &err)) return 1;
    double t5 = now();
    size_t lessons = 0, missing = 0;
    for (size_t i = 0; i < p->n_items; i++) lessons += p->items[i].kind == CW_KIND_LESSON;
    for (size_t i = 0; i < p->n_slots; i++) missing += p->slots[i].status == CW_SLOT_MISSING;
    printf("library: %zu recordings, scan %.1f ms\n", lib->n, (t1 - t0) * 1e3);
    printf("calendars: %zu files loaded in %.1f ms\n", st->n_calendars, (t2 - t1) * 1e3);
    printf("plan %s: %zu items (%zu lessons), %zu warnings, %zu missing: %.1f ms\n", date_s, p->n_items, lessons,
           p->warnings.n, missing, (t3 - t2) * 1e3);
    printf("plan JSON: %zu bytes in %.1f ms\n", b.len, (t4 - t3) * 1e3);
    printf("next day (calendars loaded): %.1f ms\n", (t5 - t4) * 1e3);
    printf("in-process total (scan + calendars + plan + JSON): %.1f ms, peak RSS %.1f MB\n", (t4 - t0) * 1e3,
           peak_kb() / 1024.0);
    cw_buf_free(&b);
    cw_plan_free(p);
    cw_plan_free(q);
    cw_calset_free(cals);
    cw_diags_free(&d);
    cw_library_free(lib);
    cw_station_free(st);
    cw_cal_cleanup();
    return 0;
}

/* Repeat what `chalkwave plan --date DATE --format json` does after the library scan, n
 * times (calendars loaded afresh each time: the first plan pays for the series caches), for
 * perf; prints CPU per round. */
static int profile(const char *dir, const char *date_s, int n)
{
    cw_date date;
    if (cw_date_parse(date_s, &date)) return 2;
    cw_error err = {0};
    cw_station *st = NULL;
    cw_library *lib = NULL;
    if (cw_station_load(&st, dir, &err) || cw_library_scan(&lib, st->dir, &err)) {
        fprintf(stderr, "bench_plan: %s\n", err.text);
        return 1;
    }
    double tc = 0, tp = 0, tj = 0;
    for (int i = 0; i < n; i++) {
        double t0 = cpu_now();
        cw_calset *cals = NULL;
        cw_diags d = {0};
        if (cw_station_calendars(&cals, st, &d, &err)) return 1;
        double t1 = cpu_now();
        cw_plan *p = NULL;
        if (cw_plan_day(&p, st, cals, lib, date, &err)) {
            fprintf(stderr, "bench_plan: plan: %s\n", err.text);
            return 1;
        }
        double t2 = cpu_now();
        cw_buf b;
        cw_buf_init(&b);
        if (cw_plan_to_json(p, &b)) return 1;
        double t3 = cpu_now();
        tc += t1 - t0, tp += t2 - t1, tj += t3 - t2;
        cw_buf_free(&b);
        cw_plan_free(p);
        cw_calset_free(cals);
        cw_diags_free(&d);
    }
    printf("per round (CPU): calendars %.1f ms, plan %.1f ms, JSON %.1f ms\n", tc / n * 1e3, tp / n * 1e3,
           tj / n * 1e3);
    cw_library_free(lib);
    cw_station_free(st);
    cw_cal_cleanup();
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 5 && !strcmp(argv[1], "profile")) return profile(argv[2], argv[3], atoi(argv[4]));
    if (argc == 4 && !strcmp(argv[1], "gen")) return gen(argv[2], atoi(argv[3]));
    if (argc == 4 && !strcmp(argv[1], "run")) return run(argv[2], argv[3]);
    fprintf(stderr, "usage: bench_plan gen STATION N | run STATION DATE | profile STATION DATE N\n");
    return 2;
}
