/* clock.c — the system clock for playout (CLOCK_REALTIME for the plan's wall time,
 * CLOCK_MONOTONIC for pacing), exact sample <-> nanosecond arithmetic, ISO 8601 time
 * stamps for the as-run log, back-off and clock-step detection shared by the outputs.
 * Guarantees: conversions never overflow for any plan length; a wall-clock step is seen
 * as a jump of wall - mono (slewing moves both clocks alike). */
#include "air_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t ts_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * AIR_NS + ts.tv_nsec;
}

static int64_t sys_wall(cw_air_clock *c)
{
    (void)c;
    return ts_ns(CLOCK_REALTIME);
}

static int64_t sys_mono(cw_air_clock *c)
{
    (void)c;
    return ts_ns(CLOCK_MONOTONIC);
}

static void sys_sleep(cw_air_clock *c, int64_t mono_ns)
{
    (void)c;
    struct timespec ts = {(time_t)(mono_ns / AIR_NS), (long)(mono_ns % AIR_NS)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        break; /* a signal: return so the caller sees its stop flag */
}

cw_air_clock *cw_air_clock_system(void)
{
    static cw_air_clock sys = {sys_wall, sys_mono, sys_sleep};
    return &sys;
}

air_now air_now_read(cw_air_clock *c)
{
    air_now n;
    n.mono = c->mono_ns(c);
    n.wall = c->wall_ns(c);
    return n;
}

int64_t air_samples_to_ns(int64_t samples, int rate)
{
    if (rate <= 0)
        return 0;
    int64_t s = samples / rate, r = samples % rate;
    if (r < 0) {
        r += rate;
        s--;
    }
    return s * AIR_NS + r * AIR_NS / rate;
}

int64_t air_ns_to_samples(int64_t ns, int rate)
{
    int64_t s = ns / AIR_NS, r = ns % AIR_NS;
    if (r < 0) {
        r += AIR_NS;
        s--;
    }
    return s * rate + r * rate / AIR_NS;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

void air_fmt_utc(int64_t wall_ns, char out[32])
{
    int64_t ms = floor_div(wall_ns, 1000000);
    int64_t sec = floor_div(ms, 1000);
    int64_t days = floor_div(sec, 86400);
    int64_t sod = sec - days * 86400;
    int y, m, d;
    cw_civil_from_days(days, &y, &m, &d);
    snprintf(out, 32, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", (unsigned)y % 10000u, (unsigned)m % 100u, (unsigned)d % 100u,
             (unsigned)(sod / 3600) % 100u, (unsigned)(sod / 60 % 60), (unsigned)(sod % 60), (unsigned)(ms - sec * 1000) % 1000u);
}

void air_fmt_local(const cw_tz *tz, int64_t wall_ns, char out[40])
{
    int64_t ms = floor_div(wall_ns, 1000000);
    int64_t sec = floor_div(ms, 1000);
    cw_civil c;
    int off = 0;
    cw_tz_to_local(tz, sec, &c, &off);
    int a = off < 0 ? -off : off;
    snprintf(out, 40, "%04u-%02u-%02uT%02u:%02u:%02u.%03u%c%02u:%02u", (unsigned)c.year % 10000u,
             (unsigned)c.month % 100u, (unsigned)c.day % 100u, (unsigned)c.hour % 100u, (unsigned)c.minute % 100u,
             (unsigned)c.second % 100u, (unsigned)(ms - sec * 1000) % 1000u, off < 0 ? '-' : '+',
             (unsigned)(a / 3600) % 100u, (unsigned)(a / 60) % 60u);
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int air_parse_time(const char *s, int64_t *wall_ns)
{
    int y, mo, d, h, mi, se;
    if (!s || strlen(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' ||
        s[16] != ':')
        return -1;
    if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) || digits(s + 11, 2, &h) ||
        digits(s + 14, 2, &mi) || digits(s + 17, 2, &se))
        return -1;
    if (y < 1900 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60)
        return -1; /* nanoseconds since 1970 in 64 bits reach 1677..2262 */
    const char *p = s + 19;
    int64_t frac_ns = 0;
    if (*p == '.') {
        p++;
        int64_t scale = 100000000;
        if (*p < '0' || *p > '9')
            return -1;
        while (*p >= '0' && *p <= '9') {
            frac_ns += (*p - '0') * scale;
            scale /= 10;
            p++;
        }
    }
    int off = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (strlen(p) < 6 || p[3] != ':' || digits(p + 1, 2, &oh) || digits(p + 4, 2, &om) || oh > 23 || om > 59)
            return -1;
        off = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p)
        return -1;
    int64_t days = cw_days_from_civil(y, mo, d);
    int64_t sec = days * 86400 + h * 3600 + mi * 60 + se - off;
    *wall_ns = sec * AIR_NS + frac_ns;
    return 0;
}

cw_date air_local_date(const cw_tz *tz, int64_t wall_ns)
{
    cw_civil c;
    int off;
    cw_tz_to_local(tz, floor_div(wall_ns, AIR_NS), &c, &off);
    cw_date d = {c.year, c.month, c.day};
    return d;
}

int64_t air_out_clock_step(air_out *o, const air_now *now)
{
    int64_t off = now->wall - now->mono;
    if (!o->have_offset) {
        o->have_offset = 1;
        o->wall_minus_mono = off;
        return 0;
    }
    int64_t step = off - o->wall_minus_mono;
    o->wall_minus_mono = off;
    return (step > 5000000 || step < -5000000) ? step : 0;
}

int64_t air_backoff_ns(int failures, int retry_max)
{
    int64_t s = 1;
    for (int i = 1; i < failures && s < retry_max; i++)
        s *= 2;
    if (s > retry_max)
        s = retry_max > 0 ? retry_max : 1;
    return s * AIR_NS;
}

void air_logf(air_log *l, cw_diag_severity sev, const char *code, const char *item, const char *fmt, ...)
{
    if (!l || !l->fn)
        return;
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    cw_diag d = {sev, (char *)code, NULL, (char *)item, text, 0};
    pthread_mutex_lock(&l->mu);
    l->fn(l->user, l->clock ? l->clock->wall_ns(l->clock) : 0, &d);
    pthread_mutex_unlock(&l->mu);
}
