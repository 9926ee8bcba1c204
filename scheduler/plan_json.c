/* plan_json.c — the plan's public JSON (README "The plan JSON") and the time formats it
 * uses. Guarantees: deterministic (fixed key order, fixed number format), UTF-8 (invalid
 * bytes in titles become U+FFFD), ends with "\n", and byte for byte what jansson's dump of
 * the same tree gives (test_json checks). The reader is plan_json_read.c. */
#include "scheduler_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ---- times ------------------------------------------------------------------------- */

static char *put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

/* By hand, not snprintf: three times per item, it was a tenth of the JSON's cost. */
void cw_sched_format_time(int64_t utc, int64_t frac, int rate, int offset, int utc_mode, char out[32])
{
    int64_t l = utc + (utc_mode ? 0 : offset);
    int64_t days = l >= 0 ? l / 86400 : -((-l + 86399) / 86400);
    int64_t sod = l - days * 86400;
    int y, m, d;
    cw_civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) y = y < 0 ? 0 : 9999; /* never reached by valid plans */
    char *p = out;
    p = put2(p, (unsigned)y / 100 % 100);
    p = put2(p, (unsigned)y % 100);
    *p++ = '-';
    p = put2(p, (unsigned)m % 100u);
    *p++ = '-';
    p = put2(p, (unsigned)d % 100u);
    *p++ = 'T';
    p = put2(p, (unsigned)(sod / 3600) % 100u);
    *p++ = ':';
    p = put2(p, (unsigned)(sod / 60 % 60));
    *p++ = ':';
    p = put2(p, (unsigned)(sod % 60));
    if (frac > 0 && rate > 0) {
        unsigned ms = (unsigned)(frac * 1000 / rate % 1000);
        *p++ = '.';
        *p++ = (char)('0' + ms / 100);
        p = put2(p, ms % 100);
    }
    if (utc_mode) {
        *p++ = 'Z';
    } else {
        int a = offset < 0 ? -offset : offset;
        if (a > 99 * 3600) a = 99 * 3600;
        *p++ = offset < 0 ? '-' : '+';
        p = put2(p, (unsigned)(a / 3600) % 100u);
        *p++ = ':';
        p = put2(p, (unsigned)(a / 60 % 60));
    }
    *p = 0;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

int cw_sched_parse_time(const char *s, int64_t *utc, int *offset)
{
    int y, mo, d, h, mi, se;
    if (!s || strlen(s) < 20) return -1;
    if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' || digits(s + 8, 2, &d) ||
        s[10] != 'T' || digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) || s[16] != ':' ||
        digits(s + 17, 2, &se))
        return -1;
    char ds[11];
    memcpy(ds, s, 10);
    ds[10] = 0;
    cw_date dt;
    if (cw_date_parse(ds, &dt) || h > 23 || mi > 59 || se > 59) return -1;
    const char *p = s + 19;
    if (*p == '.') {
        p++;
        int nd = 0;
        while (*p >= '0' && *p <= '9' && nd < 9) p++, nd++;
        if (!nd) return -1;
    }
    int off = 0;
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 18 || om > 59) return -1;
        off = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p) return -1;
    *utc = cw_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
    *offset = off;
    return 0;
}

void cw_plan_local_time(const cw_plan *p, int64_t offset_samples, char out[32])
{
    if (offset_samples < 0) offset_samples = 0;
    int rate = p->rate > 0 ? p->rate : 1;
    int64_t sec = p->window_start_utc + offset_samples / rate;
    int off = cw_sched_offset_at(p->start_offset, p->tz_changes, p->n_tz_changes, sec);
    cw_sched_format_time(sec, offset_samples % rate, rate, off, 0, out);
}

static void utc_time(const cw_plan *p, int64_t offset_samples, char out[32])
{
    int rate = p->rate > 0 ? p->rate : 1;
    cw_sched_format_time(p->window_start_utc + offset_samples / rate, offset_samples % rate, rate, 0, 1, out);
}

/* ---- writing ----------------------------------------------------------------------- */

/* The JSON is written directly, byte for byte what jansson's json_dumps(JSON_INDENT(2) |
 * JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6)) gave for the same tree (building the tree
 * and dumping it was most of the plan command's JSON time); test_json reads each plan back
 * with jansson, dumps it again and compares the bytes. */

/* A JSON string (with quotes) from bytes that should be UTF-8: invalid bytes become U+FFFD;
 * escapes as jansson writes them (\\ \" \b \f \n \r \t, other control characters \u00XX). */
static void put_escaped(cw_buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    const char *run = s;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        if (s + i > run) cw_buf_append(b, run, (size_t)(s + i - run));
        char e[6] = {'\\', 0, 0, 0, 0, 0};
        size_t k = 2;
        switch (c) {
        case '"': e[1] = '"'; break;
        case '\\': e[1] = '\\'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        default:
            e[1] = 'u', e[2] = '0', e[3] = '0', e[4] = hex[c >> 4], e[5] = hex[c & 15];
            k = 6;
        }
        cw_buf_append(b, e, k);
        run = s + i + 1;
    }
    if (s + n > run) cw_buf_append(b, run, (size_t)(s + n - run));
}

static void put_str(cw_buf *b, const char *s)
{
    if (!s) s = "";
    size_t n = strlen(s);
    cw_buf_append(b, "\"", 1);
    if (cw_utf8_valid(s, n)) {
        put_escaped(b, s, n);
    } else {
        cw_buf fixed;
        cw_buf_init(&fixed);
        for (size_t i = 0; i < n;) {
            size_t k = 1;
            unsigned char c = (unsigned char)s[i];
            if (c >= 0xc0) k = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
            if (c >= 0x80 && (i + k > n || !cw_utf8_valid(s + i, k) || c < 0xc0)) {
                cw_buf_puts(&fixed, "\xef\xbf\xbd");
                i++;
                continue;
            }
            cw_buf_append(&fixed, s + i, k);
            i += k;
        }
        if (fixed.oom) b->oom = 1;
        else put_escaped(b, fixed.data ? fixed.data : "", fixed.len);
        cw_buf_free(&fixed);
    }
    cw_buf_append(b, "\"", 1);
}

static void put_str_or_null(cw_buf *b, const char *s)
{
    if (s) put_str(b, s);
    else cw_buf_puts(b, "null");
}

static void put_int(cw_buf *b, int64_t v)
{
    char t[24], *p = t + sizeof t;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *--p = '-';
    cw_buf_append(b, p, (size_t)(t + sizeof t - p));
}

/* A real as jansson writes it with precision 6: "%.6g", ".0" when that looks like an
 * integer, the exponent without '+' and leading zeros. -1 for NaN and infinities, which
 * JSON cannot hold. */
static int put_real(cw_buf *b, double v)
{
    if (v != v || v > 1e308 || v < -1e308) return -1;
    char t[48];
    int n = snprintf(t, sizeof t - 2, "%.6g", v);
    if (n < 0 || (size_t)n >= sizeof t - 2) return -1;
    for (char *c = t; *c; c++)
        if (*c == ',') *c = '.'; /* a locale's decimal comma */
    char *e = strchr(t, 'e');
    if (!strchr(t, '.') && !e) {
        memcpy(t + n, ".0", 3);
    } else if (e) {
        char *q = e + 1, *w = e + 1;
        if (*q == '+') q++;
        else if (*q == '-') *w++ = *q++;
        while (*q == '0' && q[1]) q++;
        memmove(w, q, strlen(q) + 1);
    }
    cw_buf_puts(b, t);
    return 0;
}

static const char spaces[] = "                ";

/* Diagnostics as an array of objects at `indent` spaces (members two further in). */
static void put_diags(cw_buf *b, const cw_diags *d, int indent)
{
    if (!d->n) {
        cw_buf_puts(b, "[]");
        return;
    }
    cw_buf_append(b, "[", 1);
    for (size_t i = 0; i < d->n; i++) {
        const cw_diag *g = &d->v[i];
        cw_buf_append(b, i ? ",\n" : "\n", i ? 2 : 1);
        cw_buf_append(b, spaces, (size_t)indent + 2);
        cw_buf_puts(b, "{\n");
        int in = indent + 4;
#define MEMBER(name)                                                                                               \
    do {                                                                                                           \
        cw_buf_append(b, spaces, (size_t)in);                                                                      \
        cw_buf_puts(b, "\"" name "\": ");                                                                          \
    } while (0)
        MEMBER("code");
        put_str_or_null(b, g->code);
        cw_buf_puts(b, ",\n");
        MEMBER("severity");
        put_str(b, cw_diag_severity_name(g->severity));
        cw_buf_puts(b, ",\n");
        MEMBER("text");
        put_str(b, g->text);
        cw_buf_puts(b, ",\n");
        MEMBER("file");
        put_str_or_null(b, g->file);
        cw_buf_puts(b, ",\n");
        MEMBER("line");
        if (g->line > 0) put_int(b, g->line);
        else cw_buf_puts(b, "null");
        cw_buf_puts(b, ",\n");
        MEMBER("item");
        put_str_or_null(b, g->item);
#undef MEMBER
        cw_buf_append(b, "\n", 1);
        cw_buf_append(b, spaces, (size_t)indent + 2);
        cw_buf_append(b, "}", 1);
    }
    cw_buf_append(b, "\n", 1);
    cw_buf_append(b, spaces, (size_t)indent);
    cw_buf_append(b, "]", 1);
}

void cw_plan_local_utc(const cw_plan *p, int64_t utc, char out[32])
{
    cw_sched_format_time(utc, 0, 1, cw_plan_offset_at(p, utc), 0, out);
}

#define PUTS(lit) cw_buf_append(out, lit, sizeof lit - 1)

static void put_windows(const cw_plan *p, cw_buf *out)
{
    char t[32];
    PUTS(",\n  \"windows\": [");
    cw_plan_window one = {p->window_start_utc, p->window_end_utc};
    const cw_plan_window *w = p->n_windows ? p->windows : &one;
    for (size_t k = 0; k < (p->n_windows ? p->n_windows : 1); k++) {
        cw_buf_puts(out, k ? ",\n    {\n      \"start\": \"" : "\n    {\n      \"start\": \"");
        cw_plan_local_utc(p, w[k].start_utc, t);
        cw_buf_puts(out, t);
        PUTS("\",\n      \"end\": \"");
        cw_plan_local_utc(p, w[k].end_utc, t);
        cw_buf_puts(out, t);
        PUTS("\"\n    }");
    }
    PUTS("\n  ]");
}

static void put_blocks(const cw_plan *p, cw_buf *out)
{
    char t[32];
    PUTS(",\n  \"blocks\": ");
    if (!p->n_blocks) {
        PUTS("[]");
        return;
    }
    PUTS("[");
    for (size_t k = 0; k < p->n_blocks; k++) {
        const cw_plan_block *bl = &p->blocks[k];
        cw_buf_puts(out, k ? ",\n    {\n      \"start\": \"" : "\n    {\n      \"start\": \"");
        cw_plan_local_time(p, bl->offset_samples, t);
        cw_buf_puts(out, t);
        PUTS("\",\n      \"end\": \"");
        cw_plan_local_time(p, bl->offset_samples + bl->length_samples, t);
        cw_buf_puts(out, t);
        PUTS("\",\n      \"offset_samples\": ");
        put_int(out, bl->offset_samples);
        PUTS(",\n      \"length_samples\": ");
        put_int(out, bl->length_samples);
        PUTS(",\n      \"first_item\": ");
        put_int(out, (int64_t)bl->first_item);
        PUTS(",\n      \"n_items\": ");
        put_int(out, (int64_t)bl->n_items);
        PUTS("\n    }");
    }
    PUTS("\n  ]");
}

static void put_slots(const cw_plan *p, cw_buf *out)
{
    char t[32];
    PUTS(",\n  \"slots\": ");
    if (!p->n_slots) {
        PUTS("[]");
        return;
    }
    PUTS("[");
    for (size_t k = 0; k < p->n_slots; k++) {
        const cw_plan_slot *s = &p->slots[k];
        cw_buf_puts(out, k ? ",\n    {\n      \"start\": \"" : "\n    {\n      \"start\": \"");
        cw_plan_local_utc(p, s->start_utc, t);
        cw_buf_puts(out, t);
        PUTS("\",\n      \"end\": \"");
        cw_plan_local_utc(p, s->end_utc, t);
        cw_buf_puts(out, t);
        PUTS("\",\n      \"kind\": ");
        put_str(out, cw_kind_name(s->kind));
        PUTS(",\n      \"status\": ");
        put_str(out, cw_slot_status_name(s->status));
        PUTS(",\n      \"summary\": ");
        put_str(out, s->summary);
        PUTS(",\n      \"series\": ");
        put_str(out, s->series);
        PUTS(",\n      \"episode\": ");
        if (s->episode > 0) put_int(out, s->episode);
        else PUTS("null");
        PUTS(",\n      \"teacher\": ");
        put_str(out, s->teacher);
        PUTS(",\n      \"language\": ");
        put_str(out, s->language);
        PUTS(",\n      \"recording\": ");
        put_str_or_null(out, s->recording);
        PUTS(",\n      \"event_file\": ");
        put_str(out, s->event_file);
        PUTS(",\n      \"event_uid\": ");
        put_str(out, s->event_uid);
        PUTS(",\n      \"recurrence_id\": ");
        put_str_or_null(out, s->event_recurrence_id);
        PUTS(",\n      \"first_item\": ");
        if (s->n_items) put_int(out, (int64_t)s->first_item);
        else PUTS("null");
        PUTS(",\n      \"n_items\": ");
        put_int(out, (int64_t)s->n_items);
        PUTS(",\n      \"reason\": ");
        put_str(out, s->reason);
        PUTS(",\n      \"station_change\": ");
        cw_buf_puts(out, s->station_change ? "true" : "false");
        PUTS("\n    }");
    }
    PUTS("\n  ]");
}

int cw_plan_to_json(const cw_plan *p, cw_buf *out)
{
    char ds[11], t[32];
    cw_date_format(p->date, ds);
    PUTS("{\n  \"date\": ");
    put_str(out, ds);
    PUTS(",\n  \"timezone\": ");
    put_str(out, p->timezone);
    PUTS(",\n  \"rate\": ");
    put_int(out, p->rate);
    PUTS(",\n  \"mode\": ");
    put_str(out, p->mode == CW_BUNDLE_BLOCKS ? "blocks" : "day");
    PUTS(",\n  \"window\": {\n    \"start\": \"");
    cw_plan_local_utc(p, p->window_start_utc, t);
    cw_buf_puts(out, t);
    PUTS("\",\n    \"end\": \"");
    cw_plan_local_time(p, (p->window_end_utc - p->window_start_utc) * (int64_t)p->rate, t);
    cw_buf_puts(out, t);
    PUTS("\"\n  }");
    put_windows(p, out);
    PUTS(",\n  \"items\": ");
    if (p->n_items) PUTS("[");
    else PUTS("[]");
    int bad = 0;
    for (size_t i = 0; i < p->n_items; i++) {
        const cw_plan_item *it = &p->items[i];
        if (i) PUTS(",");
        PUTS("\n    {\n      \"start\": \"");
        cw_plan_local_time(p, it->offset_samples, t);
        cw_buf_puts(out, t);
        PUTS("\",\n      \"end\": \"");
        cw_plan_local_time(p, it->offset_samples + it->length_samples, t);
        cw_buf_puts(out, t);
        PUTS("\",\n      \"start_utc\": \"");
        utc_time(p, it->offset_samples, t);
        cw_buf_puts(out, t);
        PUTS("\",\n      \"offset_samples\": ");
        put_int(out, it->offset_samples);
        PUTS(",\n      \"length_samples\": ");
        put_int(out, it->length_samples);
        PUTS(",\n      \"kind\": ");
        put_str(out, cw_kind_name(it->kind));
        PUTS(",\n      \"title\": ");
        put_str(out, it->title);
        PUTS(",\n      \"teacher\": ");
        put_str(out, it->teacher);
        PUTS(",\n      \"language\": ");
        put_str(out, it->language);
        PUTS(",\n      \"series\": ");
        put_str(out, it->series);
        PUTS(",\n      \"episode\": ");
        if (it->episode > 0) put_int(out, it->episode);
        else PUTS("null");
        PUTS(",\n      \"recording\": ");
        put_str_or_null(out, it->recording);
        PUTS(",\n      \"event_uid\": ");
        put_str_or_null(out, it->event_uid);
        PUTS(",\n      \"event_file\": ");
        put_str_or_null(out, it->event_file);
        PUTS(",\n      \"recurrence_id\": ");
        put_str_or_null(out, it->event_recurrence_id);
        PUTS(",\n      \"repeat\": ");
        cw_buf_puts(out, it->repeat ? "true" : "false");
        PUTS(",\n      \"cut\": ");
        cw_buf_puts(out, it->cut ? "true" : "false");
        PUTS(",\n      \"fade_out\": ");
        bad |= put_real(out, it->cut ? it->fade_out : 0.0);
        PUTS(",\n      \"warnings\": ");
        put_diags(out, &it->warnings, 6);
        PUTS("\n    }");
    }
    if (p->n_items) PUTS("\n  ]");
    put_blocks(p, out);
    put_slots(p, out);
    PUTS(",\n  \"warnings\": ");
    put_diags(out, &p->warnings, 2);
    PUTS("\n}\n");
    if (bad) return CW_EINVAL;
    return out->oom ? CW_ENOMEM : 0;
}

#undef PUTS

