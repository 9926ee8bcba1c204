/* plan_json.c — the plan's public JSON (written and read back) and the station's readable
 * rundown. Guarantees: the JSON is deterministic (fixed key order, fixed number format),
 * UTF-8 (invalid bytes in titles become U+FFFD) and ends with "\n"; the reader accepts
 * exactly that shape and refuses anything else with a one-line reason, whatever the bytes
 * (it is fuzzed): items must be contiguous and cover the window, paths must be safe. */
#include "scheduler_int.h"

#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define PLAN_JSON_MAX_BYTES (64 * 1024 * 1024)

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

/* An array of strings at `indent` spaces (its elements two further in). */
static void put_strlist(cw_buf *b, const cw_strlist *l, int indent)
{
    static const char sp[] = "                ";
    if (!l->n) {
        cw_buf_puts(b, "[]");
        return;
    }
    cw_buf_append(b, "[", 1);
    for (size_t i = 0; i < l->n; i++) {
        cw_buf_append(b, i ? ",\n" : "\n", i ? 2 : 1);
        cw_buf_append(b, sp, (size_t)indent + 2);
        put_str(b, l->v[i]);
    }
    cw_buf_append(b, "\n", 1);
    cw_buf_append(b, sp, (size_t)indent);
    cw_buf_append(b, "]", 1);
}

#define PUTS(lit) cw_buf_append(out, lit, sizeof lit - 1)

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
    int64_t wlen = (p->window_end_utc - p->window_start_utc) * (int64_t)p->rate;
    PUTS(",\n  \"window\": {\n    \"start\": \"");
    cw_plan_local_time(p, 0, t);
    cw_buf_puts(out, t);
    PUTS("\",\n    \"end\": \"");
    cw_plan_local_time(p, wlen, t);
    cw_buf_puts(out, t);
    PUTS("\"\n  },\n  \"items\": ");
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
        put_strlist(out, &it->warnings, 6);
        PUTS("\n    }");
    }
    if (p->n_items) PUTS("\n  ]");
    PUTS(",\n  \"warnings\": ");
    put_strlist(out, &p->warnings, 2);
    PUTS("\n}\n");
    if (bad) return CW_EINVAL;
    return out->oom ? CW_ENOMEM : 0;
}

#undef PUTS

/* ---- reading ----------------------------------------------------------------------- */

static int jfail(cw_error *err, const char *fmt, ...) CW_PRINTF(2, 3);
static int jfail(cw_error *err, const char *fmt, ...)
{
    char text[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return cw_fail(err, CW_EINVAL, "", 0, "plan JSON: %s", text);
}

/* A string field (or null when nullable) copied into *out; "" stays "". */
static int get_str(json_t *o, const char *k, int nullable, char **out, size_t idx, cw_error *err)
{
    json_t *v = json_object_get(o, k);
    *out = NULL;
    if (!v) return jfail(err, "'%s' is missing in item %zu (plans are written by chalkwave plan)", k, idx);
    if (json_is_null(v) && nullable) return 0;
    if (!json_is_string(v)) return jfail(err, "'%s' in item %zu must be a string", k, idx);
    if (json_string_length(v) > 4096 || strlen(json_string_value(v)) != json_string_length(v))
        return jfail(err, "'%s' in item %zu is too long or holds a NUL byte", k, idx);
    *out = cw_strdup(json_string_value(v));
    return *out ? 0 : cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
}

static int get_strlist(json_t *a, cw_strlist *l, const char *what, size_t idx, cw_error *err)
{
    if (!json_is_array(a)) return jfail(err, "'%s' in item %zu must be an array of strings", what, idx);
    if (json_array_size(a) > 100000) return jfail(err, "'%s' in item %zu is too long", what, idx);
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *s = json_array_get(a, i);
        if (!json_is_string(s) || strlen(json_string_value(s)) != json_string_length(s))
            return jfail(err, "'%s' in item %zu must hold strings", what, idx);
        if (cw_strlist_push(l, json_string_value(s))) return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    return 0;
}

static int push_change(cw_plan *p, size_t *cap, int64_t utc, int offset)
{
    if (p->n_tz_changes == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        cw_plan_tzchange *v = realloc(p->tz_changes, nc * sizeof *v);
        if (!v) return -1;
        p->tz_changes = v;
        *cap = nc;
    }
    p->tz_changes[p->n_tz_changes].utc = utc;
    p->tz_changes[p->n_tz_changes].offset = offset;
    p->n_tz_changes++;
    return 0;
}

static int read_plan(cw_plan *p, json_t *root, cw_error *err)
{
    if (!json_is_object(root)) return jfail(err, "the top level must be an object");
    json_t *v = json_object_get(root, "date");
    if (!json_is_string(v) || cw_date_parse(json_string_value(v), &p->date))
        return jfail(err, "'date' must be YYYY-MM-DD");
    v = json_object_get(root, "timezone");
    if (!json_is_string(v) || json_string_length(v) > 200 || strlen(json_string_value(v)) != json_string_length(v) ||
        !json_string_length(v) || strspn(json_string_value(v), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                           "0123456789/_+-") != json_string_length(v))
        return jfail(err, "'timezone' must be a zone name"); /* IANA names only: it is printed as is */
    if (!(p->timezone = cw_strdup(json_string_value(v)))) return CW_ENOMEM;
    v = json_object_get(root, "rate");
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 1000000)
        return jfail(err, "'rate' must be an integer sample rate");
    p->rate = (int)json_integer_value(v);
    json_t *w = json_object_get(root, "window");
    json_t *ws = json_object_get(w, "start"), *we = json_object_get(w, "end");
    if (!json_is_object(w) || !json_is_string(ws) || !json_is_string(we) ||
        cw_sched_parse_time(json_string_value(ws), &p->window_start_utc, &p->start_offset) ||
        cw_sched_parse_time(json_string_value(we), &p->window_end_utc, &p->end_offset))
        return jfail(err, "'window' must have 'start' and 'end' times (ISO 8601 with offset)");
    int64_t wsec = p->window_end_utc - p->window_start_utc;
    if (wsec <= 0 || wsec > CW_PLAN_MAX_WINDOW)
        return jfail(err, "the window must be longer than 0 and at most 26 hours");
    int64_t W = wsec * p->rate;
    json_t *items = json_object_get(root, "items");
    if (!json_is_array(items)) return jfail(err, "'items' must be an array");
    size_t n = json_array_size(items);
    /* no items: a blocks-mode day without a partner event (nothing of chalkwave's airs) */
    if (n > CW_PLAN_MAX_ITEMS * 2) return jfail(err, "'items' must hold at most 100000 items");
    if (!(p->items = calloc(n ? n : 1, sizeof *p->items))) return CW_ENOMEM;
    int64_t pos = 0;
    int cur_off = p->start_offset;
    size_t tzcap = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(items, i);
        if (!json_is_object(o)) return jfail(err, "item %zu must be an object", i);
        cw_plan_item *it = &p->items[i];
        p->n_items = i + 1;
        json_t *off = json_object_get(o, "offset_samples"), *len = json_object_get(o, "length_samples");
        /* items play in order without overlapping; a gap is the time between two blocks
         * (doc/DESIGN.md, "The plan": nothing covers it) */
        if (!json_is_integer(off) || json_integer_value(off) < pos || json_integer_value(off) >= W)
            return jfail(err, "'offset_samples' of item %zu must not start before the item before ends", i);
        pos = json_integer_value(off);
        if (!json_is_integer(len) || json_integer_value(len) <= 0 || json_integer_value(len) > W - pos)
            return jfail(err, "'length_samples' of item %zu must be positive and stay in the window", i);
        it->offset_samples = pos;
        it->length_samples = json_integer_value(len);
        pos += it->length_samples;
        it->start_utc_ms = p->window_start_utc * 1000 + it->offset_samples * 1000 / p->rate;
        v = json_object_get(o, "kind");
        it->kind = json_is_string(v) ? cw_kind_parse(json_string_value(v)) : CW_KIND_NONE;
        if (it->kind != CW_KIND_LESSON && it->kind != CW_KIND_NEWSLETTER && it->kind != CW_KIND_FILLER &&
            it->kind != CW_KIND_SILENCE)
            return jfail(err, "'kind' of item %zu must be lesson, newsletter, filler or silence", i);
        int64_t t_utc;
        int t_off;
        v = json_object_get(o, "start");
        if (!json_is_string(v) || cw_sched_parse_time(json_string_value(v), &t_utc, &t_off) ||
            t_utc != p->window_start_utc + it->offset_samples / p->rate)
            return jfail(err, "'start' of item %zu must be its local time (matching offset_samples)", i);
        if (t_off != cur_off) {
            if (push_change(p, &tzcap, t_utc, t_off)) return CW_ENOMEM;
            cur_off = t_off;
        }
        int64_t e_utc;
        int e_off;
        v = json_object_get(o, "end");
        if (!json_is_string(v) || cw_sched_parse_time(json_string_value(v), &e_utc, &e_off) ||
            e_utc != p->window_start_utc + pos / p->rate)
            return jfail(err, "'end' of item %zu must be its local end time (matching the samples)", i);
        v = json_object_get(o, "start_utc");
        if (!json_is_string(v) || cw_sched_parse_time(json_string_value(v), &e_utc, &e_off) || e_off != 0 ||
            e_utc != t_utc)
            return jfail(err, "'start_utc' of item %zu must be its UTC start", i);
        int rc;
        if ((rc = get_str(o, "title", 0, &it->title, i, err)) || (rc = get_str(o, "teacher", 0, &it->teacher, i, err)) ||
            (rc = get_str(o, "language", 0, &it->language, i, err)) ||
            (rc = get_str(o, "series", 0, &it->series, i, err)) ||
            (rc = get_str(o, "recording", 1, &it->recording, i, err)) ||
            (rc = get_str(o, "event_uid", 1, &it->event_uid, i, err)) ||
            (rc = get_str(o, "event_file", 1, &it->event_file, i, err)) ||
            (rc = get_str(o, "recurrence_id", 1, &it->event_recurrence_id, i, err)))
            return rc;
        if ((it->kind == CW_KIND_SILENCE) != (it->recording == NULL))
            return jfail(err, "'recording' of item %zu must be null exactly for silence", i);
        if (it->recording && (!cw_path_is_safe_relative(it->recording) || strncmp(it->recording, "library/", 8)))
            return jfail(err, "'recording' of item %zu must be a path inside library/", i);
        v = json_object_get(o, "episode");
        if (json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) <= INT_MAX)
            it->episode = (int)json_integer_value(v);
        else if (!json_is_null(v))
            return jfail(err, "'episode' of item %zu must be a positive integer or null", i);
        v = json_object_get(o, "repeat");
        if (!json_is_boolean(v)) return jfail(err, "'repeat' of item %zu must be true or false", i);
        it->repeat = json_is_true(v);
        v = json_object_get(o, "cut");
        if (!json_is_boolean(v)) return jfail(err, "'cut' of item %zu must be true or false", i);
        it->cut = json_is_true(v);
        v = json_object_get(o, "fade_out");
        if (!json_is_number(v) || !(json_number_value(v) >= 0 && json_number_value(v) <= 60))
            return jfail(err, "'fade_out' of item %zu must be seconds from 0 to 60", i);
        it->fade_out = json_number_value(v);
        if ((rc = get_strlist(json_object_get(o, "warnings"), &it->warnings, "warnings", i, err))) return rc;
        it->recording_samples = it->recording ? it->length_samples : 0;
        it->hard_start = it->kind == CW_KIND_LESSON && it->event_uid != NULL;
    }
    if (p->end_offset != cur_off && push_change(p, &tzcap, p->window_end_utc, p->end_offset)) return CW_ENOMEM;
    return get_strlist(json_object_get(root, "warnings"), &p->warnings, "warnings", 0, err);
}

int cw_plan_from_json(cw_plan **out, const char *json, size_t len, cw_error *err)
{
    *out = NULL;
    if (!json || len > PLAN_JSON_MAX_BYTES)
        return cw_fail(err, CW_ELIMIT, "", 0, "plan JSON is larger than 64 MB; refused");
    json_error_t je;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return cw_fail(err, CW_EINVAL, "", je.line > 0 ? je.line : 0, "plan JSON does not parse: %s", je.text);
    cw_plan *p = calloc(1, sizeof *p);
    if (!p) {
        json_decref(root);
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    int rc = read_plan(p, root, err);
    json_decref(root);
    if (rc) {
        if (rc == CW_ENOMEM) cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        cw_plan_free(p);
        return rc;
    }
    if (cw_plan_compute_blocks(p)) {
        cw_plan_free(p);
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    *out = p;
    return 0;
}

/* ---- text rundown ------------------------------------------------------------------ */

static void hms(const cw_plan *p, int64_t off, char out[32])
{
    char t[32];
    cw_plan_local_time(p, off, t);
    /* "YYYY-MM-DDTHH:MM:SS[.mmm]+HH:MM" -> "HH:MM:SS[.mmm]" */
    size_t n = strlen(t), end = n > 6 ? n - 6 : n, k = 0;
    for (size_t i = 11; i < end && k < 31; i++) out[k++] = t[i];
    out[k] = 0;
}

static void dur(int64_t samples, int rate, char out[32])
{
    int64_t s = (samples + rate / 2) / rate;
    snprintf(out, 32, "%d:%02d:%02d", (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
}

int cw_plan_to_text(const cw_plan *p, cw_buf *out)
{
    char ds[11], a[32], b[32], d[32];
    cw_date_format(p->date, ds);
    int64_t W = (p->window_end_utc - p->window_start_utc) * (int64_t)p->rate;
    cw_plan_local_time(p, 0, a);
    cw_plan_local_time(p, W, b);
    dur(W, p->rate, d);
    cw_buf_printf(out, "Plan for %s (%s): on air %s to %s (%s), %d Hz, %zu items\n", ds, p->timezone, a, b, d,
                  p->rate, p->n_items);
    cw_buf_puts(out, "start         length   kind        what\n");
    for (size_t i = 0; i < p->n_items; i++) {
        const cw_plan_item *it = &p->items[i];
        /* a run of plain gap fillers reads as one line */
        size_t run = 0;
        int64_t run_len = 0;
        while (i + run < p->n_items && p->items[i + run].kind == CW_KIND_FILLER && !p->items[i + run].event_uid &&
               !p->items[i + run].warnings.n)
            run_len += p->items[i + run].length_samples, run++;
        if (run >= 3) {
            hms(p, it->offset_samples, a);
            dur(run_len, p->rate, d);
            cw_buf_printf(out, "%-13s %-8s %-11s %zu fillers in rotation: ", a, d, "filler", run);
            size_t shown = 0;
            for (size_t k = i; k < i + run && shown < 3; k++) {
                int dup = 0;
                for (size_t j = i; j < k && !dup; j++) dup = !strcmp(p->items[j].recording, p->items[k].recording);
                if (dup) continue;
                cw_buf_puts(out, shown ? ", " : "");
                cw_buf_put_oneline(out, p->items[k].title && p->items[k].title[0] ? p->items[k].title
                                                                                  : p->items[k].recording);
                shown++;
            }
            cw_buf_puts(out, "\n");
            i += run - 1;
            continue;
        }
        hms(p, it->offset_samples, a);
        dur(it->length_samples, p->rate, d);
        cw_buf_printf(out, "%-13s %-8s %-11s ", a, d, cw_kind_name(it->kind));
        if (it->kind == CW_KIND_SILENCE) {
            cw_buf_puts(out, "(silence)");
        } else {
            cw_buf_put_oneline(out, it->title && it->title[0] ? it->title : "(untitled)");
            if (it->series && it->series[0]) {
                cw_buf_puts(out, " [");
                cw_buf_put_oneline(out, it->series);
                if (it->episode > 0) cw_buf_printf(out, " #%d", it->episode);
                cw_buf_puts(out, "]");
            }
            if (it->teacher && it->teacher[0]) {
                cw_buf_puts(out, " - ");
                cw_buf_put_oneline(out, it->teacher);
            }
            if (it->language && it->language[0]) {
                cw_buf_puts(out, " (");
                cw_buf_put_oneline(out, it->language);
                cw_buf_puts(out, ")");
            }
        }
        if (it->repeat) cw_buf_puts(out, " REPEAT");
        if (it->cut) cw_buf_printf(out, " CUT (fade %.2g s)", it->fade_out);
        cw_buf_puts(out, "\n");
        if (it->recording) {
            cw_buf_puts(out, "                                   ");
            cw_buf_put_oneline(out, it->recording);
            cw_buf_puts(out, "\n");
        }
        for (size_t k = 0; k < it->warnings.n; k++) {
            cw_buf_puts(out, "                                   ! ");
            cw_buf_put_oneline(out, it->warnings.v[k]);
            cw_buf_puts(out, "\n");
        }
    }
    if (p->warnings.n) {
        cw_buf_printf(out, "%zu warning%s:\n", p->warnings.n, p->warnings.n == 1 ? "" : "s");
        for (size_t k = 0; k < p->warnings.n; k++) {
            cw_buf_puts(out, "  - ");
            cw_buf_put_oneline(out, p->warnings.v[k]);
            cw_buf_puts(out, "\n");
        }
    } else {
        cw_buf_puts(out, "no warnings\n");
    }
    return out->oom ? CW_ENOMEM : 0;
}
