/* dates_loose.c — dates as people type them on a command line or in a form: YYYY-MM-DD,
 * today/tomorrow/yesterday, +N/-N days, and a specific answer for the shapes that are not
 * accepted (day/month orders, compact and slashed forms, days that do not exist).
 * Guarantees: only YYYY-MM-DD and the words are accepted (never a guess at an ambiguous
 * order); every refusal says what to write instead. */
#include "common.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const month_names[] = {"January", "February", "March",     "April",   "May",      "June",
                                          "July",    "August",   "September", "October", "November", "December"};

static int leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int month_len(int y, int m)
{
    static const int len[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : len[m - 1];
}

/* Up to three runs of digits separated by one of "/.-" or spaces: their values and lengths. */
static int split3(const char *s, long v[3], int len[3], char *sep)
{
    int n = 0;
    *sep = 0;
    while (*s && n < 3) {
        if (!isdigit((unsigned char)*s)) return 0;
        const char *a = s;
        long x = 0;
        while (isdigit((unsigned char)*s)) {
            if (s - a >= 8) return 0;
            x = x * 10 + (*s++ - '0');
        }
        v[n] = x;
        len[n++] = (int)(s - a);
        if (!*s) break;
        if (!strchr("/.- ", *s) || (*sep && *sep != *s)) return 0;
        *sep = *s++;
    }
    return *s ? 0 : n;
}

/* "Y-M-D is not a date (...)" for a YYYY-MM-DD-shaped value, or "" when it is one. */
static int check_ymd(long y, long m, long d, const char *shown, char *why, size_t n)
{
    if (y < 1900 || y > 2999) {
        snprintf(why, n, "%s is not a date chalkwave plans (years go from 1900 to 2999)", shown);
        return -1;
    }
    if (m < 1 || m > 12) {
        snprintf(why, n, "%s is not a date (months go from 01 to 12)", shown);
        return -1;
    }
    if (d < 1 || d > month_len((int)y, (int)m)) {
        snprintf(why, n, "%s is not a date (%s %ld has %d days)", shown, month_names[m - 1], y, month_len((int)y, (int)m));
        return -1;
    }
    return 0;
}

static void iso(long y, long m, long d, char out[16])
{
    snprintf(out, 16, "%04ld-%02ld-%02ld", y % 10000, m % 100, d % 100);
}

/* The answer for a shape that is not YYYY-MM-DD. */
static void suggest(const char *s, char *why, size_t n)
{
    long v[3];
    int len[3];
    char sep, a[16], b[16];
    int k = split3(s, v, len, &sep);
    for (int i = 0; i < k && k > 1; i++)
        if (len[i] > 4) k = 0; /* only a compact date has a long run */
    if (k == 1 && len[0] == 8 && strlen(s) == 8) { /* 20261207 */
        long y = v[0] / 10000, m = v[0] / 100 % 100, d = v[0] % 100;
        iso(y, m, d, a);
        if (check_ymd(y, m, d, a, why, n)) return;
        snprintf(why, n, "%s: write it as %s (YYYY-MM-DD)", s, a);
        return;
    }
    if (k != 3) {
        snprintf(why, n, "'%s' is not a date (write YYYY-MM-DD, e.g. 2026-12-07, or today, tomorrow, +3)", s);
        return;
    }
    if (len[0] == 4) { /* 2026/12/07, 2026-12-7 */
        iso(v[0], v[1], v[2], a);
        if (check_ymd(v[0], v[1], v[2], a, why, n)) return;
        snprintf(why, n, "%s: write it as %s (YYYY-MM-DD)", s, a);
        return;
    }
    long y = v[2];
    if (len[2] == 2) y += 2000;
    else if (len[2] != 4) {
        snprintf(why, n, "'%s' is not a date (write YYYY-MM-DD, e.g. 2026-12-07)", s);
        return;
    }
    long p = v[0], q = v[1]; /* day/month (most of the world) or month/day (the US) */
    int dm_ok = q >= 1 && q <= 12 && p >= 1 && p <= month_len((int)y, (int)q);
    int md_ok = p >= 1 && p <= 12 && q >= 1 && q <= month_len((int)y, (int)p);
    iso(y, q, p, a);
    iso(y, p, q, b);
    if (dm_ok && md_ok && p != q)
        snprintf(why, n, "%s: write it as %s (YYYY-MM-DD; for %s %ld write %s)", s, a, month_names[p - 1], q, b);
    else if (dm_ok)
        snprintf(why, n, "%s: write it as %s (YYYY-MM-DD)", s, a);
    else if (md_ok)
        snprintf(why, n, "%s: write it as %s (YYYY-MM-DD)", s, b);
    else
        snprintf(why, n, "'%s' is not a date (write YYYY-MM-DD, e.g. 2026-12-07)", s);
}

int cw_date_parse_loose(const char *s, cw_date today, cw_date *out, char *why, size_t whylen)
{
    if (!s) s = "";
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) n--;
    char buf[64];
    if (n >= sizeof buf) {
        snprintf(why, whylen, "the date is too long (write YYYY-MM-DD, e.g. 2026-12-07)");
        return CW_EINVAL;
    }
    memcpy(buf, s, n);
    buf[n] = 0;
    if (!strcasecmp(buf, "today")) return *out = today, 0;
    if (!strcasecmp(buf, "tomorrow")) return *out = cw_date_add_days(today, 1), 0;
    if (!strcasecmp(buf, "yesterday")) return *out = cw_date_add_days(today, -1), 0;
    if ((buf[0] == '+' || buf[0] == '-') && n > 1 && strspn(buf + 1, "0123456789") == n - 1) {
        long k = n - 1 <= 4 ? strtol(buf + 1, NULL, 10) : 99999;
        if (k > 3660) {
            snprintf(why, whylen, "%s days is too far (at most 3660 days from today)", buf);
            return CW_EINVAL;
        }
        *out = cw_date_add_days(today, (int)(buf[0] == '-' ? -k : k));
        return 0;
    }
    if (!cw_date_parse(buf, out)) return 0;
    if (n == 10 && buf[4] == '-' && buf[7] == '-' && strspn(buf, "0123456789-") == 10) {
        if (check_ymd(atol(buf), atol(buf + 5), atol(buf + 8), buf, why, whylen)) return CW_EINVAL;
    }
    suggest(buf, why, whylen);
    return CW_EINVAL;
}
