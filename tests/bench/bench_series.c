/* bench_series.c — the cost of episode numbering on a station with long calendar history
 * (built by bench_series.sh, never in CI). One process = one `chalkwave plan`: load every
 * .ics in DIR, expand one day's on-air window, then cw_calset_series_position for every
 * series lesson of the day — the first call is the one users pay. Prints each phase.
 *   bench_series run DIR DATE ZONE       time the phases (one run)
 *   bench_series check DIR DATE ZONE     also recount every position by brute force (full
 *                                        expansion of the history year by year) and compare
 *   bench_series gen DIR                 write the heavy case: 50 calendars x 20 weekly
 *                                        lesson series since 2021 with EXDATEs, moved and
 *                                        cancelled instances, RDATEs and repeats */
#include "calendars.h"

#include <errno.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* CPU time of the process: the build machine is shared, wall time there mostly measures the
 * neighbours (on an idle machine the two agree; this code does no I/O waits worth noting). */
static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int is_series_lesson(const cw_occurrence *o)
{
    return (o->kind == CW_KIND_LESSON || o->kind == CW_KIND_NONE) && o->series && o->series[0] && !o->all_day;
}

/* ---- the heavy generated case ------------------------------------------------------ */

static int gen(const char *dir)
{
    static const char *days[] = {"MO", "TU", "WE", "TH", "FR"};
    for (int p = 0; p < 50; p++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/heavy-%02d.ics", dir, p);
        FILE *f = fopen(path, "w");
        if (!f) {
            fprintf(stderr, "bench_series: %s: %s\n", path, strerror(errno));
            return 1;
        }
        const char *tz = p % 3 ? "Africa/Lagos" : "Europe/London";
        fprintf(f, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//chalkwave bench//heavy %02d//EN\r\n", p);
        for (int s = 0; s < 20; s++) {
            int min = 6 * 60 + (p * 37 + s * 47) % (15 * 60);
            int hh = min / 60, mm = min % 60;
            int month = 1 + (p + s) % 9; /* started in 2021 */
            fprintf(f, "BEGIN:VEVENT\r\nUID:s%d@heavy%02d\r\nDTSTAMP:20210101T000000Z\r\n", s, p);
            fprintf(f, "DTSTART;TZID=%s:2021%02d04T%02d%02d00\r\nDURATION:PT30M\r\n", tz, month, hh, mm);
            if (s % 5 == 4)
                fprintf(f, "RRULE:FREQ=DAILY;BYDAY=MO,WE,FR\r\n");
            else if (s % 5 == 3)
                fprintf(f, "RRULE:FREQ=MONTHLY;BYDAY=1TU,3TU\r\n");
            else
                fprintf(f, "RRULE:FREQ=WEEKLY;BYDAY=%s,%s\r\n", days[(p + s) % 5], days[(p + s + 2) % 5]);
            fprintf(f, "SUMMARY:Lesson %d-%d\r\nDESCRIPTION:Series: h%02d-%d\\nTeacher: T%d\r\n", p, s, p, s, s);
            for (int y = 2022; y <= 2026; y++)
                fprintf(f, "EXDATE;TZID=%s:%d0105T%02d%02d00\r\n", tz, y, hh, mm);
            if (s % 4 == 0)
                fprintf(f, "RDATE;TZID=%s:2024%02d%02dT%02d%02d00\r\n", tz, 6 + s % 3, 10 + p % 9, hh, mm);
            fprintf(f, "END:VEVENT\r\n");
            /* weekly series: each year's first instance in March moved an hour (even years)
             * or cancelled (odd years) */
            if (s % 5 < 3) {
                for (int y = 2022; y <= 2025; y++) {
                    /* 1 March 2022..2025 fell on Tue, Wed, Fri, Sat (Monday = 0) */
                    static const int first_wd[] = {1, 2, 4, 5};
                    int want = (p + s) % 5;                     /* MO..FR = 0..4 */
                    int d = 1 + (want - first_wd[y - 2022] + 7) % 7;
                    fprintf(f, "BEGIN:VEVENT\r\nUID:s%d@heavy%02d\r\nDTSTAMP:20210101T000000Z\r\n", s, p);
                    fprintf(f, "RECURRENCE-ID;TZID=%s:%d03%02dT%02d%02d00\r\n", tz, y, d, hh, mm);
                    if (y % 2)
                        fprintf(f, "DTSTART;TZID=%s:%d03%02dT%02d%02d00\r\nDURATION:PT30M\r\n"
                                   "STATUS:CANCELLED\r\n", tz, y, d, hh, mm);
                    else
                        fprintf(f, "DTSTART;TZID=%s:%d03%02dT%02d%02d00\r\nDURATION:PT30M\r\n", tz, y, d,
                                hh < 20 ? hh + 1 : hh - 1, mm);
                    fprintf(f, "SUMMARY:Lesson %d-%d (changed)\r\nDESCRIPTION:Series: h%02d-%d\r\n"
                               "END:VEVENT\r\n", p, s, p, s);
                }
            }
        }
        /* a repeat slot of series 0 */
        fprintf(f, "BEGIN:VEVENT\r\nUID:rep@heavy%02d\r\nDTSTAMP:20210101T000000Z\r\n"
                   "DTSTART;TZID=%s:20210301T200000\r\nDURATION:PT30M\r\nRRULE:FREQ=WEEKLY;BYDAY=SA\r\n"
                   "SUMMARY:Repeat\r\nCATEGORIES:repeat\r\nDESCRIPTION:Series: h%02d-0\r\nEND:VEVENT\r\n",
                p, tz, p);
        fprintf(f, "END:VCALENDAR\r\n");
        fclose(f);
    }
    return 0;
}

/* ---- the measured run ---------------------------------------------------------------- */

static long peak_kb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

static int load(cw_calset **out, const char *dir, const char *zone)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "bench_series: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l > 4 && !strcmp(e->d_name + l - 4, ".ics")) {
            names = realloc(names, (n + 1) * sizeof *names);
            names[n++] = strdup(e->d_name);
        }
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    cw_calset *set = cw_calset_new(zone);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        cw_error err = {0};
        if (!rc && cw_calset_add_file(set, path, names[i], (int)(i % 5), NULL, &err)) {
            fprintf(stderr, "bench_series: %s: %s\n", path, err.text);
            rc = 1;
        }
        free(names[i]);
    }
    free(names);
    *out = set;
    return rc;
}

/* Day window 06:00-22:00 local. */
static void window(const char *date_s, const char *zone, int64_t *ws, int64_t *we)
{
    cw_date date;
    cw_date_parse(date_s, &date);
    cw_tz *tz = NULL;
    cw_error err = {0};
    if (cw_tz_open(&tz, zone, &err)) {
        fprintf(stderr, "bench_series: %s\n", err.text);
        exit(1);
    }
    cw_civil a = {date.year, date.month, date.day, 6, 0, 0}, b = {date.year, date.month, date.day, 22, 0, 0};
    *ws = cw_tz_to_utc(tz, &a);
    *we = cw_tz_to_utc(tz, &b);
    cw_tz_free(tz);
}

/* Positions of the day's series lessons; returns how many were computed, -1 on error. */
static long positions(const cw_calset *set, const cw_occurrences *occ, long *pos)
{
    long n = 0;
    for (size_t i = 0; i < occ->n; i++) {
        pos[i] = 0;
        if (!is_series_lesson(&occ->v[i]) || occ->v[i].episode > 0 || occ->v[i].cancelled)
            continue;
        cw_error err = {0};
        if (cw_calset_series_position(set, &occ->v[i], &pos[i], &err)) {
            fprintf(stderr, "bench_series: position: %s\n", err.text);
            return -1;
        }
        n++;
    }
    return n;
}

/* Brute force: every counted instance (not cancelled, not a repeat) of every series from
 * 2000 until two days after the window, from plain expansion in 200-day windows, each
 * instance counted in the window where it starts; sorted by file, series, original start,
 * UID. */
typedef struct counted {
    const char *file, *series, *uid;
    int64_t orig;
} counted;

static int cmp_counted(const void *a, const void *b)
{
    const counted *x = a, *y = b;
    int r = strcmp(x->file, y->file);
    if (!r)
        r = strcmp(x->series, y->series);
    if (!r)
        r = (x->orig > y->orig) - (x->orig < y->orig);
    if (!r)
        r = strcmp(x->uid, y->uid);
    return r;
}

static counted *brute_history(const cw_calset *set, int64_t until, size_t *n_out)
{
    counted *v = NULL;
    size_t n = 0, cap = 0;
    const int64_t step = 200 * 86400;
    for (int64_t a = 946684800; a < until; a += step) {
        cw_occurrences h = {0};
        cw_error err = {0};
        if (cw_calset_expand(set, a, a + step, 1, &h, &err)) {
            fprintf(stderr, "bench_series: brute: %s\n", err.text);
            exit(1);
        }
        for (size_t j = 0; j < h.n; j++) {
            const cw_occurrence *x = &h.v[j];
            if (x->start < a || x->start >= a + step || !x->series[0] || x->cancelled || x->repeat)
                continue;
            if (n == cap) {
                cap = cap ? cap * 2 : 4096;
                v = realloc(v, cap * sizeof *v);
            }
            v[n++] = (counted){x->file, x->series, x->uid, x->recurrence_utc};
        }
        cw_occurrences_free(&h);
    }
    qsort(v, n, sizeof *v, cmp_counted);
    *n_out = n;
    return v;
}

static long brute_position(const counted *v, size_t n, const cw_occurrence *o)
{
    counted key = {o->file, o->series, o->uid, o->recurrence_utc};
    size_t lo = 0, hi = n; /* first counted instance not before o */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const counted *x = &v[mid];
        int r = strcmp(x->file, key.file);
        if (!r)
            r = strcmp(x->series, key.series);
        if (r < 0)
            lo = mid + 1;
        else if (r > 0)
            hi = mid;
        else if (cmp_counted(x, &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t first = lo; /* first of this file and series */
    lo = 0;
    hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int r = strcmp(v[mid].file, key.file);
        if (!r)
            r = strcmp(v[mid].series, key.series);
        if (r < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (long)(first - lo) + 1;
}

static int run(const char *dir, const char *date_s, const char *zone, int check)
{
    double t0 = now();
    cw_calset *set = NULL;
    if (load(&set, dir, zone))
        return 1;
    double t1 = now();
    int64_t ws, we;
    window(date_s, zone, &ws, &we);
    cw_occurrences occ = {0};
    cw_error err = {0};
    if (cw_calset_expand(set, ws, we, 0, &occ, &err)) {
        fprintf(stderr, "bench_series: expand: %s\n", err.text);
        return 1;
    }
    double t2 = now();
    long *pos = calloc(occ.n + 1, sizeof *pos);
    long np = positions(set, &occ, pos);
    if (np < 0)
        return 1;
    double t3 = now();
    /* the next day, warm (plan --from --to) */
    cw_occurrences occ2 = {0};
    if (cw_calset_expand(set, ws + 86400, we + 86400, 0, &occ2, &err))
        return 1;
    long *pos2 = calloc(occ2.n + 1, sizeof *pos2);
    if (positions(set, &occ2, pos2) < 0)
        return 1;
    double t4 = now();
    /* the year before the day (the scheduler walks history a year at a time to correct for
     * blackouts and explicit episode numbers) */
    cw_occurrences year = {0};
    if (cw_calset_expand(set, ws - 366 * 86400LL, ws, 0, &year, &err))
        fprintf(stderr, "bench_series: the year before: %s: %s\n", err.source, err.text);
    double t5 = now();
    long sum = 0;
    for (size_t i = 0; i < occ.n; i++)
        sum += pos[i];
    printf("CPU times: load %.1f ms | expand day %.1f ms (%zu occurrences) | positions first call %.1f ms (%ld "
           "series lessons, sum %ld) | first total %.1f ms | next day warm %.1f ms | the year before %.1f ms "
           "(%zu occurrences) | peak RSS %.1f MB\n",
           (t1 - t0) * 1e3, (t2 - t1) * 1e3, occ.n, (t3 - t2) * 1e3, np, sum, (t3 - t1) * 1e3,
           (t4 - t3) * 1e3, (t5 - t4) * 1e3, year.n, peak_kb() / 1024.0);
    cw_occurrences_free(&year);
    int bad = 0;
    if (check) {
        size_t nh = 0;
        counted *hist = brute_history(set, we + 2 * 86400, &nh);
        for (size_t i = 0; i < occ.n; i++) {
            if (!pos[i])
                continue;
            long b = brute_position(hist, nh, &occ.v[i]);
            if (b != pos[i]) {
                printf("MISMATCH %s %s %s: position %ld, brute force %ld\n", occ.v[i].file, occ.v[i].uid,
                       occ.v[i].recurrence_id, pos[i], b);
                bad++;
            }
        }
        printf("check: %ld positions recounted by brute force (%zu counted instances of history), %d "
               "mismatches\n", np, nh, bad);
        free(hist);
    }
    free(pos);
    free(pos2);
    cw_occurrences_free(&occ);
    cw_occurrences_free(&occ2);
    cw_calset_free(set);
    cw_cal_cleanup();
    return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "gen"))
        return gen(argv[2]);
    if (argc == 5 && (!strcmp(argv[1], "run") || !strcmp(argv[1], "check")))
        return run(argv[2], argv[3], argv[4], !strcmp(argv[1], "check"));
    fprintf(stderr, "usage: bench_series gen DIR | run|check DIR DATE ZONE\n");
    return 2;
}
