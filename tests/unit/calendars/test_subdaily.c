/* test_subdaily.c — HOURLY, MINUTELY and SECONDLY rules (chalkwave's own generator) against a
 * brute-force reference written from RFC 5545 alone: every period start is tested against
 * the BYxxx filters, every second of a period against the BYMINUTE/BYSECOND expansion, then
 * BYSETPOS on the sorted set, DTSTART and COUNT. 800 random rules with BYSETPOS, near the
 * DTSTART and (80 with COUNT, where the generator counts ahead arithmetically) a year later;
 * plus the hostile FREQ=MINUTELY;BYSETPOS=-2;BYDAY=MO rule that used to step every minute. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "calendars.h"

typedef struct rule {
    int freq; /* 0 HOURLY, 1 MINUTELY, 2 SECONDLY */
    int interval;
    int hours[4], n_hours;
    int mins[4], n_mins;
    int secs[4], n_secs;
    int days[3], n_days;  /* 0 = Monday */
    int mdays[2], n_mdays; /* may be negative */
    int setpos[3], n_setpos;
    long count;
    int64_t dtstart; /* UTC */
} rule;

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

static int in(const int *v, int n, int x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x)
            return 1;
    return 0;
}

static int64_t days_from_civil(int y, int m, int d)
{
    return cw_days_from_civil(y, m, d);
}

static int month_len(int y, int m)
{
    return (int)(days_from_civil(m == 12 ? y + 1 : y, m == 12 ? 1 : m + 1, 1) - days_from_civil(y, m, 1));
}

/* Does the period starting at t pass the rule's limiting parts? */
static int period_ok(const rule *r, int64_t t)
{
    int64_t day = t / 86400;
    int y, m, d;
    cw_civil_from_days(day, &y, &m, &d);
    int wd = (int)((day + 3) % 7); /* 1970-01-01 was a Thursday: Monday = 0 */
    if (r->n_days && !in(r->days, r->n_days, wd))
        return 0;
    if (r->n_mdays) {
        int ok = 0, ml = month_len(y, m);
        for (int i = 0; i < r->n_mdays; i++)
            if (r->mdays[i] == d || (r->mdays[i] < 0 && ml + r->mdays[i] + 1 == d))
                ok = 1;
        if (!ok)
            return 0;
    }
    int sod = (int)(t % 86400);
    if (r->n_hours && !in(r->hours, r->n_hours, sod / 3600))
        return 0;
    if (r->freq >= 1 && r->n_mins && !in(r->mins, r->n_mins, sod / 60 % 60))
        return 0;
    if (r->freq == 2 && r->n_secs && !in(r->secs, r->n_secs, sod % 60))
        return 0;
    return 1;
}

/* Every start in [from, to), from DTSTART on (brute force). DTSTART always counts as the
 * first occurrence (RFC 5545 §3.3.10), also in COUNT, when the rule does not give it. */
static size_t reference(const rule *r, int64_t from, int64_t to, int64_t *out, size_t max)
{
    int64_t unit = r->freq == 0 ? 3600 : r->freq == 1 ? 60 : 1;
    int64_t base = r->dtstart / unit * unit, step = unit * r->interval;
    int dmin = (int)(r->dtstart / 60 % 60), dsec = (int)(r->dtstart % 60);
    long emitted = 0;
    size_t n = 0;
    /* the set of a period: every second of it that the BYMINUTE/BYSECOND expansion (or
     * DTSTART's minute and second) allows, in order; then BYSETPOS on it. Which seconds
     * those are depends on the second's place in the period, not on the period. */
    int set[3600], ns = 0, picked[3600], np = 0;
    for (int off = 0; off < unit; off++) {
        int mi = off / 60, s = off % 60;
        if (r->freq == 0 && !(r->n_mins ? in(r->mins, r->n_mins, mi) : mi == dmin))
            continue;
        if (r->freq <= 1 && !(r->n_secs ? in(r->secs, r->n_secs, s) : s == dsec))
            continue;
        set[ns++] = off;
    }
    for (int i = 0; i < ns; i++) {
        int pick = !r->n_setpos;
        for (int j = 0; j < r->n_setpos; j++)
            if (r->setpos[j] > 0 ? r->setpos[j] - 1 == i : ns + r->setpos[j] == i)
                pick = 1;
        if (pick)
            picked[np++] = set[i];
    }
    int first = 1;
    for (int64_t p = base; p < to; p += step) {
        if (!period_ok(r, p))
            continue;
        for (int i = 0; i < np; i++) {
            int64_t t = p + picked[i];
            if (t < r->dtstart)
                continue;
            if (first && t != r->dtstart) {
                emitted++;
                if (r->dtstart >= from && r->dtstart < to)
                    out[n++] = r->dtstart;
            }
            first = 0;
            if (r->count && emitted >= r->count)
                return n;
            emitted++;
            if (t >= from && t < to) {
                assert_true(n < max);
                out[n++] = t;
            }
        }
    }
    if (first && r->dtstart >= from && r->dtstart < to)
        out[n++] = r->dtstart;
    return n;
}

static void put_list(char *buf, size_t cap, const char *key, const int *v, int n)
{
    if (!n)
        return;
    size_t o = strlen(buf);
    o += (size_t)snprintf(buf + o, cap - o, ";%s=", key);
    for (int i = 0; i < n; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%d", i ? "," : "", v[i]);
}

static void rule_text(const rule *r, char *buf, size_t cap)
{
    static const char *const freq[] = {"HOURLY", "MINUTELY", "SECONDLY"};
    static const char *const wd[] = {"MO", "TU", "WE", "TH", "FR", "SA", "SU"};
    snprintf(buf, cap, "FREQ=%s;INTERVAL=%d", freq[r->freq], r->interval);
    if (r->count)
        snprintf(buf + strlen(buf), cap - strlen(buf), ";COUNT=%ld", r->count);
    put_list(buf, cap, "BYHOUR", r->hours, r->n_hours);
    put_list(buf, cap, "BYMINUTE", r->mins, r->n_mins);
    put_list(buf, cap, "BYSECOND", r->secs, r->n_secs);
    put_list(buf, cap, "BYMONTHDAY", r->mdays, r->n_mdays);
    if (r->n_days) {
        size_t o = strlen(buf);
        o += (size_t)snprintf(buf + o, cap - o, ";BYDAY=");
        for (int i = 0; i < r->n_days; i++)
            o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? "," : "", wd[r->days[i]]);
    }
    put_list(buf, cap, "BYSETPOS", r->setpos, r->n_setpos);
}

/* chalkwave's starts in [from, to) for the rule; -1 when expansion refused it (a bound). */
static long expand(const rule *r, int64_t from, int64_t to, int64_t *out, size_t max, char *rtext)
{
    char ics[1024];
    int y, m, d;
    cw_civil_from_days(r->dtstart / 86400, &y, &m, &d);
    int sod = (int)(r->dtstart % 86400);
    snprintf(ics, sizeof ics,
             "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:r@t\r\n"
             "DTSTAMP:20260101T000000Z\r\nDTSTART:%04d%02d%02dT%02d%02d%02dZ\r\nDURATION:PT1S\r\n"
             "RRULE:%s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
             y, m, d, sod / 3600, sod / 60 % 60, sod % 60, rtext);
    cw_calset *set = cw_calset_new("UTC");
    assert_non_null(set);
    cw_error err;
    memset(&err, 0, sizeof err);
    if (cw_calset_add_data(set, ics, strlen(ics), "r.ics", 0, NULL, &err) != 0)
        fail_msg("rule %s refused: %s", rtext, err.text);
    cw_occurrences occ = {0};
    int rc = cw_calset_expand(set, from, to, 0, &occ, &err);
    long n = -1;
    if (rc == 0) {
        assert_true(occ.n <= max);
        for (size_t i = 0; i < occ.n; i++)
            out[i] = occ.v[i].start;
        n = (long)occ.n;
    } else {
        assert_int_equal(rc, CW_ELIMIT);
    }
    cw_occurrences_free(&occ);
    cw_calset_free(set);
    return n;
}

static void random_rule(rule *r, int far)
{
    memset(r, 0, sizeof *r);
    r->freq = far ? (int)rnd(2) : (int)rnd(3);
    r->interval = 1 + (int)rnd(r->freq == 2 ? 7 : 3);
    if (!far) {
        if (rnd(3) == 0)
            for (int i = 0, k = 1 + (int)rnd(3); i < k; i++)
                r->hours[r->n_hours++] = (int)rnd(24);
        if (rnd(3) == 0)
            r->days[r->n_days++] = (int)rnd(7);
        if (rnd(6) == 0)
            r->mdays[r->n_mdays++] = rnd(2) ? 1 + (int)rnd(28) : -1 - (int)rnd(3);
        if (r->freq == 2 && rnd(2))
            for (int i = 0, k = 1 + (int)rnd(4); i < k; i++)
                r->secs[r->n_secs++] = (int)rnd(60);
    }
    if (r->freq == 0 && rnd(2))
        for (int i = 0, k = 1 + (int)rnd(4); i < k; i++)
            r->mins[r->n_mins++] = (int)rnd(60);
    if (r->freq == 2 && !far && rnd(3) == 0)
        for (int i = 0, k = 1 + (int)rnd(4); i < k; i++)
            r->mins[r->n_mins++] = (int)rnd(60);
    if (r->freq <= 1 && rnd(3))
        for (int i = 0, k = 1 + (int)rnd(4); i < k; i++)
            r->secs[r->n_secs++] = (int)rnd(60); /* duplicates on purpose */
    static const int sps[] = {1, 2, 3, -1, -2, -3, 5, -4};
    for (int i = 0, k = 1 + (int)rnd(2); i < k; i++)
        r->setpos[r->n_setpos++] = sps[rnd(8)];
    if (far || rnd(2))
        r->count = 1 + (long)rnd(far ? 800000 : 500);
    int64_t day = far ? days_from_civil(2025, 3, 1) + rnd(300) : days_from_civil(2026, 3, 1) + rnd(60);
    r->dtstart = day * 86400 + rnd(86400);
}

static void subdaily_rules_match_reference(void **state)
{
    (void)state;
    enum { MAX = 20000 };
    int64_t *want = malloc(MAX * sizeof *want), *got = malloc(MAX * sizeof *got);
    assert_non_null(want);
    assert_non_null(got);
    int compared = 0, far_compared = 0;
    for (int t = 0; t < 800; t++) {
        rule r;
        int far = t % 10 == 9;
        random_rule(&r, far);
        char rt[512];
        rule_text(&r, rt, sizeof rt);
        int64_t from, to;
        if (far) {
            /* years after DTSTART: the count before the window is arithmetic */
            from = days_from_civil(2026, 3, 16) * 86400 + rnd(86400);
            to = from + (r.freq == 0 ? 4 * 86400 : 6 * 3600);
        } else {
            from = r.dtstart - rnd(3600);
            to = from + (r.freq == 2 ? 2 * 3600 : r.freq == 1 ? 86400 : 9 * 86400);
        }
        size_t nw = reference(&r, from, to, want, MAX);
        long ng = expand(&r, from, to, got, MAX, rt);
        if (ng < 0) {
            /* a bound is acceptable only where the rule needs stepping (COUNT with period
             * filters) and never for the far rules, which have none */
            assert_false(far);
            continue;
        }
        if ((size_t)ng != nw)
            fail_msg("%s from DTSTART %lld, window [%lld, %lld): %ld instances, reference %zu", rt,
                     (long long)r.dtstart, (long long)from, (long long)to, ng, nw);
        for (size_t i = 0; i < nw; i++)
            if (got[i] != want[i])
                fail_msg("%s: instance %zu at %lld, reference %lld", rt, i, (long long)got[i],
                         (long long)want[i]);
        compared++;
        far_compared += far;
    }
    print_message("%d rules compared (%d of them with COUNT, a year after DTSTART)\n", compared, far_compared);
    assert_true(compared >= 700);
    assert_int_equal(far_compared, 80);
    free(want);
    free(got);
}

/* BYSETPOS that picks nothing from any period: no instance, found without stepping (this
 * took 0.4 s of stepping every Monday minute up to the step budget). */
static void setpos_beyond_the_set_is_empty_at_once(void **state)
{
    (void)state;
    static const char ics[] =
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:c@x\r\n"
        "DTSTAMP:20260101T000000Z\r\nDTSTART:19900101T000000Z\r\n"
        "RRULE:FREQ=MINUTELY;COUNT=2000000000;BYSETPOS=-2;BYDAY=MO\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    cw_calset *set = cw_calset_new("UTC");
    cw_error err;
    assert_int_equal(cw_calset_add_data(set, ics, strlen(ics), "c.ics", 0, NULL, &err), 0);
    cw_occurrences occ = {0};
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (int i = 0; i < 50; i++) {
        assert_int_equal(cw_calset_expand(set, days_from_civil(2026, 3, 1) * 86400,
                                          days_from_civil(2026, 4, 1) * 86400, 0, &occ, &err), 0);
        assert_int_equal(occ.n, 0);
        cw_occurrences_free(&occ);
    }
    clock_gettime(CLOCK_MONOTONIC, &b);
    print_message("50 expansions of the empty MINUTELY;BYSETPOS=-2 rule: %.1f ms\n",
                  (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6);
    /* with a set of two per minute, -2 is the first second: one instance per Monday minute */
    static const char ics2[] =
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:d@x\r\n"
        "DTSTAMP:20260101T000000Z\r\nDTSTART:19900101T000000Z\r\n"
        "RRULE:FREQ=MINUTELY;COUNT=2000000000;BYSECOND=10,40;BYSETPOS=-2\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
    cw_calset *set2 = cw_calset_new("UTC");
    assert_int_equal(cw_calset_add_data(set2, ics2, strlen(ics2), "d.ics", 0, NULL, &err), 0);
    int64_t from = days_from_civil(2026, 3, 16) * 86400 + 7 * 3600;
    assert_int_equal(cw_calset_expand(set2, from, from + 3600, 0, &occ, &err), 0);
    assert_int_equal(occ.n, 60);
    for (size_t i = 0; i < occ.n; i++)
        assert_int_equal(occ.v[i].start, from + (int64_t)i * 60 + 10);
    cw_occurrences_free(&occ);
    cw_calset_free(set2);
    cw_calset_free(set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(subdaily_rules_match_reference),
        cmocka_unit_test(setpos_beyond_the_set_is_empty_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
