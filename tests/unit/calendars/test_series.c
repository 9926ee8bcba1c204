/* test_series.c — series positions counted arithmetically (cw_calset_series_position's fast
 * path) against brute force, over many random calendars from a fixed seed: every rule form
 * the fast path takes (DAILY/WEEKLY/MONTHLY with INTERVAL, BYDAY with ordinals, BYMONTHDAY
 * incl. negative, BYMONTH, BYHOUR/BYMINUTE, BYSETPOS, WKST, COUNT, UNTIL in UTC/date/local
 * form) and some it does not (YEARLY, HOURLY, two RRULEs), in zones with spring-forward gaps,
 * both hemispheres, a midnight change (Sao Paulo), a skipped day (Apia 2011) and floating
 * time, with EXDATEs (UTC, zoned, date), RDATEs (on and off the rule, before DTSTART),
 * overrides (moved, cancelled, another series, repeat, of nothing), several events in one
 * series and events without a series key. Two references: the position by materialising
 * each event's whole history (cal_series_position_reference, the pre-arithmetic algorithm),
 * and a recount from plain expansion of the history. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "calendars_int.h"

/* Sanitizer builds run ~20x slower: a twelfth of the rounds there (the same seeds, a
 * prefix of the same cases). */
#if defined(__SANITIZE_ADDRESS__)
#define ROUNDS_DIV 12
#else
#define ROUNDS_DIV 1
#endif

static uint64_t rng_state;

static uint64_t rnd(void)
{
    /* splitmix64: fixed seed, the same calendars on every run and machine */
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static int pick(int n) { return (int)(rnd() % (uint64_t)n); }
static int chance(int percent) { return pick(100) < percent; }

typedef struct text {
    char *s;
    size_t n, cap;
} text;

static void add(text *t, const char *fmt, ...) CW_PRINTF(2, 3);
static void add(text *t, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int k = vsnprintf(t->s + t->n, t->cap - t->n, fmt, ap);
        va_end(ap);
        assert_true(k >= 0);
        if (t->n + (size_t)k < t->cap) {
            t->n += (size_t)k;
            return;
        }
        t->cap = (t->cap + (size_t)k) * 2 + 256;
        t->s = realloc(t->s, t->cap);
        assert_non_null(t->s);
    }
}

static int64_t utc_of_days(int64_t days) { return days * 86400; }

static const char *zones[] = {"UTC", "floating", "Europe/Paris", "America/New_York", "Australia/Sydney",
                              "Africa/Lagos", "America/Sao_Paulo", "Pacific/Apia", "Asia/Kolkata"};
#define N_ZONES (sizeof zones / sizeof zones[0])
#define DEFAULT_ZONE "Europe/London" /* floating times */

static const char *wd[] = {"MO", "TU", "WE", "TH", "FR", "SA", "SU"};

/* A local wall time as iCalendar text. */
static void fmt_wall(char *buf, size_t n, int64_t wall, int date_only)
{
    cw_civil c;
    int64_t days = wall / 86400 - (wall % 86400 < 0);
    cw_civil_from_days(days, &c.year, &c.month, &c.day);
    int64_t sod = wall - days * 86400;
    if (date_only)
        snprintf(buf, n, "%04d%02d%02d", c.year, c.month, c.day);
    else
        snprintf(buf, n, "%04d%02d%02dT%02d%02d%02d", c.year, c.month, c.day, (int)(sod / 3600),
                 (int)(sod / 60 % 60), (int)(sod % 60));
}

/* "PROP;TZID=Z:..." / "PROP:...Z" / "PROP:..." for instant `u` in zone z. */
static void add_time(text *t, const char *prop, int zi, const cw_tz *tz, int64_t u)
{
    char b[32];
    if (zi == 0) {
        fmt_wall(b, sizeof b, u, 0);
        add(t, "%s:%sZ\r\n", prop, b);
    } else if (zi == 1) {
        fmt_wall(b, sizeof b, cw_tz_utc_to_wall(tz, u), 0);
        add(t, "%s:%s\r\n", prop, b);
    } else {
        fmt_wall(b, sizeof b, cw_tz_utc_to_wall(tz, u), 0);
        add(t, "%s;TZID=%s:%s\r\n", prop, zones[zi], b);
    }
}

typedef struct event_spec {
    char uid[32];
    const char *series; /* NULL: none */
    int zi;
    int64_t dtstart_wall;
    char rrule[512];
    char rrule2[128]; /* a second RRULE or "" */
    int has_rule;
} event_spec;

static void random_rule(event_spec *e, int *fast_form)
{
    text r = {0};
    int f = pick(100);
    const char *freq = f < 38 ? "WEEKLY" : f < 62 ? "DAILY" : f < 88 ? "MONTHLY" : f < 95 ? "YEARLY" : "HOURLY";
    add(&r, "RRULE:FREQ=%s", freq);
    int hourly = !strcmp(freq, "HOURLY"), yearly = !strcmp(freq, "YEARLY"), monthly = !strcmp(freq, "MONTHLY");
    if (hourly)
        add(&r, ";INTERVAL=%d", 5 + pick(20));
    else if (chance(45))
        add(&r, ";INTERVAL=%d", 2 + pick(4));
    int nby = 0;
    if (!hourly && chance(monthly ? 55 : 50)) {
        int k = 1 + pick(3);
        add(&r, ";BYDAY=");
        for (int i = 0; i < k; i++) {
            int ord = 0;
            if (monthly && chance(60)) {
                static const int ords[] = {1, 2, 3, 4, -1, -2};
                ord = ords[pick(6)];
            }
            if (ord)
                add(&r, "%s%d%s", i ? "," : "", ord, wd[pick(7)]);
            else
                add(&r, "%s%s", i ? "," : "", wd[pick(7)]);
        }
        nby++;
    }
    if (!hourly && !yearly && chance(monthly ? 35 : 8)) {
        static const int mds[] = {1, 2, 5, 13, 15, 28, 29, 30, 31, -1, -2, -3};
        int k = 1 + pick(3);
        add(&r, ";BYMONTHDAY=");
        for (int i = 0; i < k; i++)
            add(&r, "%s%d", i ? "," : "", mds[pick(12)]);
        nby++;
    }
    if (chance(yearly ? 60 : 15)) {
        int k = 1 + pick(6);
        add(&r, ";BYMONTH=");
        for (int i = 0; i < k; i++)
            add(&r, "%s%d", i ? "," : "", 1 + pick(12));
        nby++;
    }
    if (!hourly && chance(22)) {
        /* hours around DST changes: two times an hour apart meet in a gap */
        static const int hs[] = {0, 1, 2, 3, 4, 9, 12, 23};
        int k = 1 + pick(3);
        add(&r, ";BYHOUR=");
        for (int i = 0; i < k; i++)
            add(&r, "%s%d", i ? "," : "", hs[pick(8)]);
        if (chance(40))
            add(&r, ";BYMINUTE=%d,%d", pick(2) * 30, 15);
    }
    if (nby && chance(15)) {
        static const int sp[] = {1, 2, -1, -2};
        add(&r, ";BYSETPOS=%d", sp[pick(4)]);
    }
    if (chance(20))
        add(&r, ";WKST=%s", wd[pick(7)]);
    int kind = pick(100);
    if (kind < 15) {
        add(&r, ";COUNT=%d", 1 + pick(hourly ? 300 : 400));
    } else if (kind < 40 || hourly) {
        /* UNTIL: UTC for zoned and UTC starts, local or date for floating ones */
        int64_t u = e->dtstart_wall + (int64_t)pick(6 * 365) * 86400 + pick(86400);
        if (hourly)
            u = e->dtstart_wall + (int64_t)pick(200) * 86400;
        char b[32];
        int form = e->zi == 1 ? pick(2) + 1 : pick(3) == 0 ? 2 : 0;
        fmt_wall(b, sizeof b, u, form == 2);
        add(&r, ";UNTIL=%s%s", b, form == 0 ? "Z" : "");
    }
    snprintf(e->rrule, sizeof e->rrule, "%s", r.s);
    free(r.s);
    e->rrule2[0] = 0;
    if (!hourly && chance(5))
        snprintf(e->rrule2, sizeof e->rrule2, "RRULE:FREQ=WEEKLY;BYDAY=%s;COUNT=%d", wd[pick(7)], 5 + pick(50));
    *fast_form = !hourly && !yearly && !e->rrule2[0];
}

typedef struct exc {
    int n_ex, n_rd, n_ov;
    int64_t ex[6];
    int ex_form[6];
    int64_t rd[4];
    int64_t ov[6];
    int ov_kind[6];
} exc;

static void write_event(text *t, const event_spec *e, const exc *x, const cw_tz *tz)
{
    char b[32];
    add(t, "BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20200101T000000Z\r\nSUMMARY:%s\r\n", e->uid, e->uid);
    fmt_wall(b, sizeof b, e->dtstart_wall, 0);
    if (e->zi == 0)
        add(t, "DTSTART:%sZ\r\n", b);
    else if (e->zi == 1)
        add(t, "DTSTART:%s\r\n", b);
    else
        add(t, "DTSTART;TZID=%s:%s\r\n", zones[e->zi], b);
    add(t, "DURATION:PT20M\r\n");
    if (e->has_rule) {
        add(t, "%s\r\n", e->rrule);
        if (e->rrule2[0])
            add(t, "%s\r\n", e->rrule2);
    }
    if (e->series)
        add(t, "DESCRIPTION:Series: %s\r\n", e->series);
    for (int i = 0; x && i < x->n_ex; i++) {
        if (x->ex_form[i] == 2) {
            fmt_wall(b, sizeof b, e->zi == 0 ? x->ex[i] : cw_tz_utc_to_wall(tz, x->ex[i]), 1);
            add(t, "EXDATE;VALUE=DATE:%s\r\n", b);
        } else if (x->ex_form[i] == 1 || e->zi == 0) {
            fmt_wall(b, sizeof b, x->ex[i], 0);
            add(t, "EXDATE:%sZ\r\n", b);
        } else
            add_time(t, "EXDATE", e->zi, tz, x->ex[i]);
    }
    for (int i = 0; x && i < x->n_rd; i++)
        add_time(t, "RDATE", e->zi, tz, x->rd[i]);
    add(t, "END:VEVENT\r\n");
    for (int i = 0; x && i < x->n_ov; i++) {
        add(t, "BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20200101T000000Z\r\nSUMMARY:%s changed\r\n", e->uid, e->uid);
        fmt_wall(b, sizeof b, x->ov[i], 0);
        add(t, "RECURRENCE-ID:%sZ\r\n", b);
        int k = x->ov_kind[i];
        add_time(t, "DTSTART", e->zi, tz, x->ov[i] + (k == 0 ? 7200 : k == 5 ? -86400 * 3 : 0));
        add(t, "DURATION:PT20M\r\n");
        if (k == 1)
            add(t, "STATUS:CANCELLED\r\n");
        if (k == 2)
            add(t, "DESCRIPTION:Series: other\r\n");
        else if (k == 3)
            add(t, "DESCRIPTION:Series: %s\\nRepeat: yes\r\n", e->series ? e->series : "s1");
        else if (k == 4)
            add(t, "DESCRIPTION:Series: %s\\nEpisode: 99\r\n", e->series ? e->series : "s1");
        else if (e->series)
            add(t, "DESCRIPTION:Series: %s\r\n", e->series);
        add(t, "END:VEVENT\r\n");
    }
}

static char *calendar(event_spec *ev, int n, exc *xs, cw_tz **tzs, size_t *len)
{
    text t = {0};
    add(&t, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//chalkwave test//series//EN\r\n");
    for (int i = 0; i < n; i++)
        write_event(&t, &ev[i], xs ? &xs[i] : NULL, tzs[ev[i].zi]);
    add(&t, "END:VCALENDAR\r\n");
    *len = t.n;
    return t.s;
}

/* A day before the earliest DTSTART (walls read as UTC: a day covers every offset). */
static int64_t first_guess(const event_spec *ev, int n)
{
    int64_t m = ev[0].dtstart_wall;
    for (int i = 1; i < n; i++)
        if (ev[i].dtstart_wall < m)
            m = ev[i].dtstart_wall;
    return m - 86400;
}

static cw_calset *load_cal(const char *s, size_t len)
{
    cw_calset *set = cw_calset_new(DEFAULT_ZONE);
    assert_non_null(set);
    cw_error err;
    if (cw_calset_add_data(set, s, len, "r.ics", 0, NULL, &err)) {
        cw_calset_free(set);
        return NULL;
    }
    return set;
}

/* Instances of event `uid` over its history (for picking exceptions). */
static size_t instances(const cw_calset *set, const char *uid, int64_t from, int64_t to, int64_t *out, size_t max)
{
    size_t n = 0;
    for (int64_t a = from; a < to && n < max; a += 400 * 86400) {
        cw_occurrences o;
        cw_error err;
        if (cw_calset_expand(set, a, a + 400 * 86400, 0, &o, &err))
            return n;
        for (size_t i = 0; i < o.n && n < max; i++)
            if (!strcmp(o.v[i].uid, uid) && o.v[i].start >= a)
                out[n++] = o.v[i].start;
        cw_occurrences_free(&o);
    }
    return n;
}

/* Brute force from plain expansion: counted instances of occ's series before it. */
static long expand_position(const cw_calset *set, const cw_occurrence *occ, int64_t from)
{
    long before = 0;
    const int64_t step = 300 * 86400;
    int by_uid = !occ->series[0];
    for (int64_t a = from; a < occ->recurrence_utc + 4 * 86400; a += step) {
        cw_occurrences o;
        cw_error err;
        assert_int_equal(cw_calset_expand(set, a, a + step, 1, &o, &err), 0);
        for (size_t i = 0; i < o.n; i++) {
            const cw_occurrence *x = &o.v[i];
            if (x->start < a || x->start >= a + step || x->cancelled || x->repeat || strcmp(x->file, occ->file))
                continue;
            if (by_uid ? strcmp(x->uid, occ->uid) : strcmp(x->series, occ->series))
                continue;
            before += x->recurrence_utc < occ->recurrence_utc ||
                      (x->recurrence_utc == occ->recurrence_utc && strcmp(x->uid, occ->uid) < 0);
        }
        cw_occurrences_free(&o);
    }
    return before + 1;
}

static void random_calendars(void **state)
{
    (void)state;
    /* CW_SERIES_SEED / CW_SERIES_ROUNDS explore further (the suite uses the fixed ones) */
    const char *seed = getenv("CW_SERIES_SEED"), *rounds_s = getenv("CW_SERIES_ROUNDS");
    rng_state = seed ? strtoull(seed, NULL, 10) : 20260316;
    cw_tz *tzs[N_ZONES];
    for (size_t i = 0; i < N_ZONES; i++) {
        cw_error err;
        assert_int_equal(cw_tz_open(&tzs[i], i == 1 ? DEFAULT_ZONE : zones[i], &err), 0);
    }
    long compared = 0, fast_events = 0, loaded = 0, expand_checked = 0, gap_starts = 0;
    const int rounds = rounds_s ? atoi(rounds_s) : 400 / ROUNDS_DIV;
    int64_t *inst = malloc(20000 * sizeof *inst);
    assert_non_null(inst);
    for (int round = 0; round < rounds; round++) {
        event_spec ev[4];
        exc xs[4];
        memset(xs, 0, sizeof xs);
        int n = 1 + pick(3);
        int fast[4] = {0};
        for (int i = 0; i < n; i++) {
            memset(&ev[i], 0, sizeof ev[i]);
            snprintf(ev[i].uid, sizeof ev[i].uid, "e%d-%d@t", round, i);
            ev[i].series = i == 2 && chance(50) ? NULL : chance(85) ? "s1" : "s2";
            ev[i].zi = pick((int)N_ZONES);
            /* 2009-06 .. 2012-06, hours biased to DST changes */
            int64_t day = cw_days_from_civil(2009, 6, 1) + pick(3 * 365);
            static const int hs[] = {0, 1, 2, 2, 2, 3, 8, 9, 14, 23};
            int h = hs[pick(10)];
            ev[i].dtstart_wall = day * 86400 + h * 3600 + pick(4) * 15 * 60;
            ev[i].has_rule = chance(94);
            if (ev[i].has_rule)
                random_rule(&ev[i], &fast[i]);
            gap_starts += h == 2;
        }
        /* first pass: find real instances to hang exceptions on */
        size_t len;
        char *s = calendar(ev, n, NULL, tzs, &len);
        cw_calset *set = load_cal(s, len);
        free(s);
        if (!set)
            continue;
        const int64_t hist_from = utc_of_days(cw_days_from_civil(2009, 1, 1));
        const int64_t hist_to = utc_of_days(cw_days_from_civil(2017, 1, 1));
        for (int i = 0; i < n; i++) {
            size_t k = instances(set, ev[i].uid, hist_from, hist_to, inst, 20000);
            exc *x = &xs[i];
            x->n_ex = k ? pick(5) : 0;
            for (int j = 0; j < x->n_ex; j++) {
                x->ex[j] = chance(85) ? inst[pick((int)k)] : inst[pick((int)k)] + 3600;
                x->ex_form[j] = pick(3);
            }
            x->n_rd = chance(30) ? 1 + pick(3) : 0;
            for (int j = 0; j < x->n_rd; j++)
                x->rd[j] = k && chance(30) ? inst[pick((int)k)]
                                           : utc_of_days(cw_days_from_civil(2009, 1, 1) + pick(7 * 365)) +
                                                 pick(24) * 3600;
            x->n_ov = k ? pick(5) : 0;
            for (int j = 0; j < x->n_ov; j++) {
                x->ov[j] = chance(90) ? inst[pick((int)k)] : inst[pick((int)k)] + 1800;
                x->ov_kind[j] = pick(7);
            }
            /* one RECURRENCE-ID per instance */
            for (int j = 1; j < x->n_ov; j++)
                for (int q = 0; q < j; q++)
                    if (x->ov[q] == x->ov[j])
                        x->ov[j] += 60;
        }
        cw_calset_free(set);
        s = calendar(ev, n, xs, tzs, &len);
        set = load_cal(s, len);
        if (!set) {
            free(s);
            continue;
        }
        loaded++;
        for (int i = 0; i < n; i++)
            fast_events += fast[i];
        /* occurrences to ask about: the first weeks, and random weeks up to 2016 */
        for (int w = 0; w < 6; w++) {
            int64_t from = w == 0 ? first_guess(ev, n) : utc_of_days(cw_days_from_civil(2009, 6, 1) +
                                                                               pick(7 * 365));
            cw_occurrences o;
            cw_error err;
            if (cw_calset_expand(set, from, from + 10 * 86400, 0, &o, &err))
                continue;
            for (size_t j = 0; j < o.n; j++) {
                long fast_pos = 0, ref_pos = 0;
                cw_error e1, e2;
                int r1 = cw_calset_series_position(set, &o.v[j], &fast_pos, &e1);
                int r2 = cal_series_position_reference(set, &o.v[j], &ref_pos, &e2);
                if (r2)
                    continue; /* the reference hit a bound; nothing to compare */
                if (r1 || fast_pos != ref_pos) {
                    fprintf(stderr, "round %d, %s %s: fast %ld (rc %d %s), reference %ld\n%s\n", round,
                            o.v[j].uid, o.v[j].recurrence_id, fast_pos, r1, r1 ? e1.text : "", ref_pos, s);
                    fail();
                }
                compared++;
                if (round % 8 == 0 && j % 3 == 0) {
                    long bp = expand_position(set, &o.v[j], hist_from);
                    if (bp != ref_pos) {
                        fprintf(stderr, "round %d, %s %s: expansion recount %ld, reference %ld\n%s\n", round,
                                o.v[j].uid, o.v[j].recurrence_id, bp, ref_pos, s);
                        fail();
                    }
                    expand_checked++;
                }
            }
            cw_occurrences_free(&o);
        }
        free(s);
        cw_calset_free(set);
    }
    free(inst);
    for (size_t i = 0; i < N_ZONES; i++)
        cw_tz_free(tzs[i]);
    fprintf(stderr, "series positions: %ld calendars, %ld events counted arithmetically, %ld DTSTARTs "
                    "in DST-change hours, %ld positions equal to the reference, %ld also recounted "
                    "from expansion\n",
            loaded, fast_events, gap_starts, compared, expand_checked);
    assert_true(loaded > rounds * 8 / 10);
    assert_true(fast_events > rounds);
    assert_true(compared > rounds * 10);
    assert_true(expand_checked > rounds / 8);
}

/* libical yields a day's times in BYHOUR order (23:30 before 09:30); expansion stopped at
 * the first time past the window and lost 04:30 and 09:30 (found by random_calendars). */
static void unsorted_by_hour(void **state)
{
    (void)state;
    static const char cal[] = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n"
                              "BEGIN:VEVENT\r\nUID:u@t\r\nDTSTAMP:20200101T000000Z\r\n"
                              "DTSTART:20110607T003000Z\r\nDURATION:PT20M\r\n"
                              "RRULE:FREQ=YEARLY;BYDAY=SU,TH;BYHOUR=23,9,4,9\r\nSUMMARY:u\r\n"
                              "DESCRIPTION:Series: s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    cw_calset *set = load_cal(cal, sizeof cal - 1);
    assert_non_null(set);
    cw_occurrences o;
    cw_error err;
    int64_t day = utc_of_days(cw_days_from_civil(2011, 6, 9));
    assert_int_equal(cw_calset_expand(set, day, day + 12 * 3600, 0, &o, &err), 0);
    assert_int_equal(o.n, 2);
    assert_int_equal(o.v[0].start, day + 4 * 3600 + 1800);
    assert_int_equal(o.v[1].start, day + 9 * 3600 + 1800);
    long pos;
    assert_int_equal(cw_calset_series_position(set, &o.v[1], &pos, &err), 0);
    assert_int_equal(pos, 3); /* DTSTART (a Tuesday, off the rule) is the first (§3.3.10) */
    cw_occurrences_free(&o);
    cw_calset_free(set);
}

/* chalkwave's generators against libical's iterator, wall time for wall time, over random
 * YEARLY rules of the forms the own generator takes (BYMONTH, BYMONTHDAY incl. negative,
 * times, INTERVAL, COUNT, 29 February and 31st starts, all-day) and random DAILY, WEEKLY
 * and MONTHLY ones. */
static void generators_match_libical(void **state)
{
    (void)state;
    const char *seed = getenv("CW_SERIES_SEED"); /* explore further; the suite's is fixed */
    rng_state = seed ? strtoull(seed, NULL, 10) : 5545;
    int64_t *own = malloc(2 * 400 * sizeof *own), *lib = own + 400;
    assert_non_null(own);
    long rules = 0, walls = 0, yearly = 0;
    const int rounds = 1500 / ROUNDS_DIV;
    for (int round = 0; round < rounds; round++) {
        text r = {0};
        int f = pick(100);
        int is_yearly = f < 60;
        const char *freq = is_yearly ? "YEARLY" : f < 73 ? "MONTHLY" : f < 87 ? "WEEKLY" : "DAILY";
        add(&r, "RRULE:FREQ=%s", freq);
        if (chance(30))
            add(&r, ";INTERVAL=%d", 2 + pick(4));
        int nmo = 0;
        if (chance(is_yearly ? 70 : 15)) {
            nmo = 1 + pick(5);
            add(&r, ";BYMONTH=");
            for (int i = 0; i < nmo; i++)
                add(&r, "%s%d", i ? "," : "", 1 + pick(12));
        }
        /* (not WEEKLY: RFC 5545 has no BYMONTHDAY there, libical yields nothing) */
        if (chance(is_yearly ? (nmo ? 50 : 0) : strcmp(freq, "WEEKLY") ? 20 : 0)) {
            static const int mds[] = {1, 2, 13, 28, 29, 30, 31, -1, -2, -29, -31};
            int k = 1 + pick(3);
            add(&r, ";BYMONTHDAY=");
            /* DAILY: positive days only; libical 3.0.16 misses negative ones there (DAILY;
             * BYMONTHDAY=-29 skips 3 March), chalkwave's generator does not */
            int daily = !strcmp(freq, "DAILY");
            for (int i = 0; i < k; i++)
                add(&r, "%s%d", i ? "," : "", mds[pick(daily ? 7 : 11)]);
        }
        /* distinct values: libical yields a listed value twice (chalkwave drops the copy) */
        if (!is_yearly && chance(40)) {
            int d1 = pick(7);
            add(&r, ";BYDAY=%s,%s", wd[d1], wd[(d1 + 1 + pick(6)) % 7]);
        }
        int all_day = chance(15); /* no BYHOUR/BYMINUTE then (RFC 5545 forbids them) */
        if (!all_day && chance(25)) {
            int h1 = pick(24);
            add(&r, ";BYHOUR=%d,%d", h1, (h1 + 1 + pick(23)) % 24);
        }
        if (!all_day && chance(15))
            add(&r, ";BYMINUTE=%d", pick(60));
        if (chance(15))
            add(&r, ";COUNT=%d", 1 + pick(50));
        static const int sd[][2] = {{2, 29}, {1, 31}, {3, 31}, {12, 31}, {6, 15}, {2, 28}};
        int si = pick(6), y = 2010 + pick(8);
        if (si == 0)
            y = 2012 + 4 * pick(3);
        char dt[64];
        if (all_day)
            snprintf(dt, sizeof dt, "DTSTART;VALUE=DATE:%04d%02d%02d", y, sd[si][0], sd[si][1]);
        else
            snprintf(dt, sizeof dt, "DTSTART:%04d%02d%02dT%02d%02d00", y, sd[si][0], sd[si][1], pick(24), pick(60));
        text c = {0};
        add(&c, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:g@t\r\n"
                "DTSTAMP:20200101T000000Z\r\n%s\r\n%s\r\nSUMMARY:g\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            dt, r.s);
        cw_calset *set = load_cal(c.s, c.n);
        if (set) {
            const cal_comp *m = set->files[0]->events[0].master;
            assert_non_null(m);
            assert_int_equal((int)m->n_rrules, 1);
            int a = cal_rule_walls(m, &m->rrules[0], 0, own, 400);
            int b = cal_rule_walls(m, &m->rrules[0], 1, lib, 400);
            assert_true(a >= 0 && b >= 0);
            int n = a < b ? a : b;
            int same = a == b || (n > 100 && !m->rrules[0].r.count); /* one may stop at a step bound */
            for (int i = 0; i < n && same; i++)
                same = own[i] == lib[i];
            if (!same) {
                int i = 0;
                while (i < n && own[i] == lib[i])
                    i++;
                char w1[32] = "-", w2[32] = "-";
                if (i < a)
                    fmt_wall(w1, sizeof w1, own[i], 0);
                if (i < b)
                    fmt_wall(w2, sizeof w2, lib[i], 0);
                fail_msg("%s %s: %d vs %d walls, #%d: own %s, libical %s", dt, r.s, a, b, i, w1, w2);
            }
            rules++;
            walls += n;
            yearly += is_yearly;
            cw_calset_free(set);
        }
        free(c.s);
        free(r.s);
    }
    free(own);
    fprintf(stderr, "generators: %ld rules (%ld yearly), %ld wall times equal to libical's\n", rules, yearly, walls);
    assert_true(rules > rounds * 9 / 10);
    assert_true(walls > rounds * 100);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(unsorted_by_hour),
        cmocka_unit_test(generators_match_libical),
        cmocka_unit_test(random_calendars),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    cw_cal_cleanup();
    return rc;
}
