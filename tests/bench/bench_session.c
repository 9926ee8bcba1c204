/* bench_session.c — the session layer's costs on a big station (built by bench_session.sh,
 * never in CI): what a desk request pays when nothing changed (the stat walk of the
 * library and calendars), what a change costs (one recording added: a rescan), a plan and
 * a view from a warm session.
 *   bench_session STATION [R]   R rounds (default 200) of each; prints p50 and p95 in ms */
#include "session.h"

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

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void report(const char *what, double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp);
    printf("%-44s p50 %8.2f ms   p95 %8.2f ms   (n=%d)\n", what, v[n / 2] * 1e3, v[n * 95 / 100] * 1e3, n);
}

int main(int argc, char **argv)
{
    if (argc < 2) return fprintf(stderr, "usage: bench_session STATION [ROUNDS]\n"), 2;
    int r = argc > 2 ? atoi(argv[2]) : 200;
    cw_session *s;
    cw_error err = {0};
    if (cw_session_open(&s, argv[1], NULL, &err)) return fprintf(stderr, "%s\n", err.text), 1;
    double t0 = now();
    unsigned ch;
    if (cw_session_refresh(s, &ch, &err)) return fprintf(stderr, "%s\n", err.text), 1;
    printf("first load (station, calendars, %zu recordings): %.0f ms\n", cw_session_library(s)->n, (now() - t0) * 1e3);
    double *v = calloc((size_t)r, sizeof *v);
    for (int i = 0; i < r; i++) {
        double a = now();
        if (cw_session_refresh(s, &ch, &err) || ch) return fprintf(stderr, "refresh: %s (%u)\n", err.text, ch), 1;
        v[i] = now() - a;
    }
    report("refresh, nothing changed (lock + folders)", v, r);
    for (int i = 0; i < r; i++) {
        cw_session_view *view = NULL;
        double a = now();
        if (cw_session_view_get(s, &view, &err)) return 1;
        v[i] = now() - a;
        cw_session_view_put(view);
    }
    report("view_get (a desk page's snapshot)", v, r);
    for (int i = 0; i < r; i++) {
        cw_plan *p = NULL;
        double a = now();
        if (cw_session_plan(s, (cw_date){2027, 1, 13}, &p, &err)) return fprintf(stderr, "%s\n", err.text), 1;
        v[i] = now() - a;
        cw_plan_free(p);
    }
    report("plan one day (refresh + plan)", v, r);
    int k = r < 20 ? r : 20;
    const char *lib = cw_session_dir(s);
    for (int i = 0; i < k; i++) {
        char path[2048], old[2048];
        snprintf(path, sizeof path, "%s/library/.bench-touch-%d", lib, i);
        snprintf(old, sizeof old, "%s/library/.bench-touch-%d", lib, i - 1);
        FILE *fp = fopen(path, "w"); /* a new file in the library: a change the folder shows */
        if (fp) fprintf(fp, "%d\n", i), fclose(fp);
        remove(old);
        double a = now();
        if (cw_session_refresh(s, &ch, &err) || ch != CW_SESSION_LIBRARY) return fprintf(stderr, "rescan: %u\n", ch), 1;
        v[i] = now() - a;
    }
    report("refresh after a library change (rescan)", v, k);
    char last[2048];
    snprintf(last, sizeof last, "%s/library/.bench-touch-%d", lib, k - 1);
    remove(last);
    /* the full walk that runs every walk_seconds (5 s) when nothing changed */
    cw_session_opts always = {.lock_wait = 600, .walk_seconds = -1};
    cw_session *w;
    if (cw_session_open(&w, argv[1], &always, &err) || cw_session_refresh(w, &ch, &err)) return 1;
    for (int i = 0; i < k; i++) {
        double a = now();
        if (cw_session_refresh(w, &ch, &err) || ch) return 1;
        v[i] = now() - a;
    }
    report("refresh walking every file (each 5 s)", v, k);
    cw_session_free(w);
    free(v);
    cw_session_free(s);
    return 0;
}
