/* subscriptions.c — calendars/subscriptions.conf (the links of subscribed calendars, their
 * validators and the last fetch) and the helpers that keep a link secret: normalising,
 * redacting (scheme, host and a short hash), scrubbing library error texts.
 * Guarantees: the parser is total (any bytes give subscriptions or one error naming the line;
 * fuzz_subs); what cw_subs_format writes, cw_subs_parse reads back to the same values; the
 * file is written atomically with mode 0600; no function here prints or keeps a link
 * anywhere but in the structures it is given. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "calendars.h"
#include "station.h"

#define LINE_MAX_BYTES 8192

/* ---- the structures ---------------------------------------------------------------------- */

void cw_subscription_clear(cw_subscription *s)
{
    if (!s)
        return;
    free(s->name);
    free(s->url);
    free(s->pin);
    free(s->etag);
    free(s->last_modified);
    free(s->sha256);
    free(s->result);
    memset(s, 0, sizeof *s);
}

void cw_subs_free(cw_subs *subs)
{
    if (!subs)
        return;
    for (size_t i = 0; i < subs->n; i++)
        cw_subscription_clear(&subs->v[i]);
    free(subs->v);
    memset(subs, 0, sizeof *subs);
}

cw_subscription *cw_subs_find(const cw_subs *subs, const char *name)
{
    for (size_t i = 0; subs && name && i < subs->n; i++)
        if (!strcmp(subs->v[i].name, name))
            return &subs->v[i];
    return NULL;
}

static int dup_opt(char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return 0;
    *dst = cw_strdup(src);
    return *dst ? 0 : -1;
}

static int sub_copy(cw_subscription *dst, const cw_subscription *src)
{
    memset(dst, 0, sizeof *dst);
    dst->self_signed = src->self_signed;
    dst->checked = src->checked;
    dst->good = src->good;
    dst->changed = src->changed;
    dst->line = src->line;
    if (dup_opt(&dst->name, src->name) || dup_opt(&dst->url, src->url) || dup_opt(&dst->pin, src->pin) ||
        dup_opt(&dst->etag, src->etag) || dup_opt(&dst->last_modified, src->last_modified) ||
        dup_opt(&dst->sha256, src->sha256) ||
        dup_opt(&dst->result, src->result)) {
        cw_subscription_clear(dst);
        return CW_ENOMEM;
    }
    return 0;
}

int cw_subs_put(cw_subs *subs, const cw_subscription *sub)
{
    cw_subscription copy;
    if (sub_copy(&copy, sub))
        return CW_ENOMEM;
    cw_subscription *old = cw_subs_find(subs, sub->name);
    if (old) {
        cw_subscription_clear(old);
        *old = copy;
        return 0;
    }
    if (subs->n == subs->cap) {
        size_t nc = subs->cap ? subs->cap * 2 : 8;
        cw_subscription *v = realloc(subs->v, nc * sizeof *v);
        if (!v) {
            cw_subscription_clear(&copy);
            return CW_ENOMEM;
        }
        subs->v = v;
        subs->cap = nc;
    }
    subs->v[subs->n++] = copy;
    return 0;
}

int cw_subs_remove(cw_subs *subs, const char *name)
{
    cw_subscription *s = cw_subs_find(subs, name);
    if (!s)
        return CW_ENOTFOUND;
    size_t i = (size_t)(s - subs->v);
    cw_subscription_clear(s);
    memmove(&subs->v[i], &subs->v[i + 1], (subs->n - i - 1) * sizeof *s);
    subs->n--;
    return 0;
}

/* ---- times: 2026-03-02T08:00:00Z ---------------------------------------------------------- */

static void fmt_time(int64_t t, char out[24])
{
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t sec = t - days * 86400;
    int y, m, d;
    cw_civil_from_days(days, &y, &m, &d);
    snprintf(out, 24, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(sec / 3600), (int)(sec / 60 % 60),
             (int)(sec % 60));
}

static int parse_time(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, se;
    char z;
    int n = 0;
    if (strlen(s) != 20 || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%c%n", &y, &mo, &d, &h, &mi, &se, &z, &n) != 7 || n != 20 ||
        z != 'Z')
        return -1;
    for (int i = 0; i < 19; i++)
        if (i != 4 && i != 7 && i != 10 && i != 13 && i != 16 && !isdigit((unsigned char)s[i]))
            return -1;
    char ds[11];
    memcpy(ds, s, 10);
    ds[10] = 0;
    cw_date date;
    if (cw_date_parse(ds, &date) || y < 1970 || h > 23 || mi > 59 || se > 59)
        return -1;
    *out = cw_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
    return 0;
}

/* ---- parsing -------------------------------------------------------------------------------- */

typedef struct parse_ctx {
    cw_subs *subs;
    const char *source;
    cw_error *err;
    int line;
    cw_subscription *cur;
} parse_ctx;

static int pfail(parse_ctx *c, const char *fmt, ...) CW_PRINTF(2, 3);
static int pfail(parse_ctx *c, const char *fmt, ...)
{
    char text[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    cw_sub_scrub(text, NULL); /* a line may hold a link: never quoted whole */
    return cw_fail(c->err, CW_EINVAL, c->source, c->line, "%s (fix or delete the line; 'chalkwave calendar "
                   "subscribe' writes this file)", text);
}

/* A value that is safe to keep: no control characters, valid UTF-8. */
static int value_ok(const char *v)
{
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return 0;
    return cw_utf8_valid(v, strlen(v));
}

static int set_str(parse_ctx *c, char **dst, const char *key, const char *v)
{
    if (*dst)
        return pfail(c, "'%s' is given twice in this section", key);
    if (!(*dst = cw_strdup(v)))
        return cw_fail(c->err, CW_ENOMEM, c->source, c->line, "out of memory");
    return 0;
}

static int set_time(parse_ctx *c, int64_t *dst, const char *key, const char *v)
{
    if (parse_time(v, dst))
        return pfail(c, "'%s' must be a UTC time like 2026-03-02T08:00:00Z", key);
    return 0;
}

static int handle_key(parse_ctx *c, const char *key, const char *v)
{
    cw_subscription *s = c->cur;
    if (!strcmp(key, "url")) {
        char *norm = NULL;
        cw_error e;
        if (cw_sub_url_normalise(v, &norm, &e))
            return pfail(c, "%.600s", e.text);
        if (s->url) {
            free(norm);
            return pfail(c, "'%s' is given twice in this section", key);
        }
        s->url = norm;
        return 0;
    }
    if (!strcmp(key, "tls")) {
        if (strcmp(v, "verify") && strcmp(v, "self-signed"))
            return pfail(c, "'tls' must be verify or self-signed, not '%s'", v);
        s->self_signed = !strcmp(v, "self-signed");
        return 0;
    }
    if (!strcmp(key, "pin")) {
        if (!cw_fetch_pin_valid(v))
            return pfail(c, "'pin' must be sha256//BASE64 keys separated by ';', not '%s'", v);
        return set_str(c, &s->pin, key, v);
    }
    if (!strcmp(key, "etag"))
        return set_str(c, &s->etag, key, v);
    if (!strcmp(key, "last_modified"))
        return set_str(c, &s->last_modified, key, v);
    if (!strcmp(key, "sha256")) {
        if (strlen(v) != 64 || strspn(v, "0123456789abcdef") != 64)
            return pfail(c, "'sha256' must be 64 lower-case hex digits, not '%.80s'", v);
        return set_str(c, &s->sha256, key, v);
    }
    if (!strcmp(key, "result"))
        return set_str(c, &s->result, key, v);
    if (!strcmp(key, "checked"))
        return set_time(c, &s->checked, key, v);
    if (!strcmp(key, "good"))
        return set_time(c, &s->good, key, v);
    if (!strcmp(key, "changed"))
        return set_time(c, &s->changed, key, v);
    return pfail(c, "unknown key '%s' (keys: url, tls, pin, etag, last_modified, sha256, checked, result, good, "
                 "changed)",
                 key);
}

static int end_section(parse_ctx *c)
{
    if (c->cur && !c->cur->url) {
        int line = c->line;
        c->line = c->cur->line;
        int rc = pfail(c, "[%s] has no url", c->cur->name);
        c->line = line;
        return rc;
    }
    if (c->cur && c->cur->self_signed && !c->cur->pin) {
        c->line = c->cur->line;
        return pfail(c, "[%s] says tls = self-signed without a pin (the server's key must be pinned)", c->cur->name);
    }
    return 0;
}

static int start_section(parse_ctx *c, const char *name)
{
    int rc = end_section(c);
    if (rc)
        return rc;
    if (!cw_station_calendar_name_valid(name) || strlen(name) < 5 || strcasecmp(name + strlen(name) - 4, ".ics"))
        return pfail(c, "'[%s]' is not a calendar name (NAME.ics)", name);
    if (cw_subs_find(c->subs, name))
        return pfail(c, "[%s] is there twice (keep one section per calendar)", name);
    if (c->subs->n >= CW_SUBS_MAX)
        return cw_fail(c->err, CW_ELIMIT, c->source, c->line, "more than %d subscriptions (unsubscribe some)",
                       CW_SUBS_MAX);
    cw_subscription s = {0};
    s.name = (char *)name;
    s.line = c->line;
    if (cw_subs_put(c->subs, &s))
        return cw_fail(c->err, CW_ENOMEM, c->source, c->line, "out of memory");
    c->cur = &c->subs->v[c->subs->n - 1];
    return 0;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
        s[--n] = 0;
    return s;
}

static int parse_line(parse_ctx *c, char *line)
{
    char *p = trim(line);
    if (!*p || *p == '#' || *p == ';')
        return 0;
    if (!value_ok(p))
        return pfail(c, "%s", "the line holds a control character or is not UTF-8");
    if (*p == '[') {
        size_t n = strlen(p);
        if (n < 3 || p[n - 1] != ']')
            return pfail(c, "'%s' is not a [NAME.ics] section", p);
        p[n - 1] = 0;
        return start_section(c, trim(p + 1));
    }
    char *eq = strchr(p, '=');
    if (!eq)
        return pfail(c, "'%s' is not 'key = value'", p);
    *eq = 0;
    char *key = trim(p), *v = trim(eq + 1);
    if (!c->cur)
        return pfail(c, "'%s' comes before any [NAME.ics] section", key);
    if (!*v)
        return 0; /* an empty value is no value */
    return handle_key(c, key, v);
}

int cw_subs_parse(cw_subs *out, const char *source, const char *text, size_t len, cw_error *err)
{
    memset(out, 0, sizeof *out);
    if (len > CW_SUBS_MAX_BYTES)
        return cw_fail(err, CW_ELIMIT, source, 0, "larger than %d bytes (this is not a subscriptions file)",
                       CW_SUBS_MAX_BYTES);
    parse_ctx c = {out, source, err, 0, NULL};
    char *buf = malloc(LINE_MAX_BYTES + 1);
    if (!buf)
        return cw_fail(err, CW_ENOMEM, source, 0, "out of memory");
    int rc = 0;
    size_t pos = 0;
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3))
        pos = 3;
    while (pos < len && !rc) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
        c.line++;
        if (n > LINE_MAX_BYTES) {
            rc = cw_fail(err, CW_ELIMIT, source, c.line, "line %d is longer than %d bytes", c.line, LINE_MAX_BYTES);
            break;
        }
        if (memchr(text + pos, 0, n)) {
            rc = pfail(&c, "%s", "the line holds a NUL byte");
            break;
        }
        memcpy(buf, text + pos, n);
        buf[n] = 0;
        rc = parse_line(&c, buf);
        pos += n + (nl ? 1 : 0);
    }
    if (!rc)
        rc = end_section(&c);
    free(buf);
    if (rc)
        cw_subs_free(out);
    return rc;
}

int cw_subs_load(cw_subs *out, const char *path, cw_error *err)
{
    memset(out, 0, sizeof *out);
    if (!cw_path_exists(path))
        return 0;
    char *text;
    size_t len;
    int rc = cw_read_file(path, CW_SUBS_MAX_BYTES, &text, &len, err);
    if (rc)
        return rc;
    rc = cw_subs_parse(out, path, text, len, err);
    free(text);
    return rc;
}

/* ---- writing ---------------------------------------------------------------------------- */

static int cmp_sub(const void *a, const void *b)
{
    return strcmp((*(const cw_subscription *const *)a)->name, (*(const cw_subscription *const *)b)->name);
}

static void put_kv(cw_buf *b, const char *key, const char *v)
{
    char *t;
    if (!v || !*v || !value_ok(v))
        return;
    /* what the parser trims would not come back */
    if (v[0] == ' ' || v[0] == '\t' || v[strlen(v) - 1] == ' ' || v[strlen(v) - 1] == '\t') {
        if (!(t = cw_strdup(v))) {
            b->oom = 1;
            return;
        }
        cw_buf_printf(b, "%s = %s\n", key, trim(t));
        free(t);
        return;
    }
    cw_buf_printf(b, "%s = %s\n", key, v);
}

static void put_time(cw_buf *b, const char *key, int64_t t)
{
    char s[24];
    if (t <= 0)
        return;
    fmt_time(t, s);
    cw_buf_printf(b, "%s = %s\n", key, s);
}

int cw_subs_format(const cw_subs *subs, cw_buf *out)
{
    cw_buf_puts(out, "# calendars/subscriptions.conf: the calendars this station follows by their link,\n"
                     "# written by 'chalkwave calendar subscribe', 'update' and 'unsubscribe'.\n"
                     "# The links may carry a secret (a calendar's private address): keep this file\n"
                     "# private (mode 0600) and out of copies you share.\n");
    const cw_subscription **v = malloc((subs->n ? subs->n : 1) * sizeof *v);
    if (!v)
        return CW_ENOMEM;
    for (size_t i = 0; i < subs->n; i++)
        v[i] = &subs->v[i];
    qsort(v, subs->n, sizeof *v, cmp_sub);
    for (size_t i = 0; i < subs->n; i++) {
        const cw_subscription *s = v[i];
        cw_buf_printf(out, "\n[%s]\n", s->name);
        put_kv(out, "url", s->url);
        cw_buf_printf(out, "tls = %s\n", s->self_signed ? "self-signed" : "verify");
        put_kv(out, "pin", s->pin);
        put_kv(out, "etag", s->etag);
        put_kv(out, "last_modified", s->last_modified);
        put_kv(out, "sha256", s->sha256);
        put_time(out, "checked", s->checked);
        put_kv(out, "result", s->result);
        put_time(out, "good", s->good);
        put_time(out, "changed", s->changed);
    }
    free(v);
    return out->oom ? CW_ENOMEM : 0;
}

int cw_subs_save(const cw_subs *subs, const char *path, cw_error *err)
{
    cw_buf b;
    cw_buf_init(&b);
    int rc = cw_subs_format(subs, &b);
    if (rc) {
        cw_buf_free(&b);
        return cw_fail(err, CW_ENOMEM, path, 0, "out of memory");
    }
    rc = cw_write_file_atomic_mode(path, b.data, b.len, 0600, err);
    cw_buf_free(&b);
    return rc;
}

/* ---- links ---------------------------------------------------------------------------------- */

int cw_sub_url_normalise(const char *in, char **out, cw_error *err)
{
    *out = NULL;
    static const struct {
        const char *given, *as;
    } schemes[] = {{"https://", "https://"}, {"http://", "http://"}, {"webcal://", "https://"}, {"webcals://", "https://"}};
    size_t len = strlen(in);
    if (len > CW_SUB_URL_MAX)
        return cw_fail(err, CW_EINVAL, "", 0, "the link is longer than %d bytes", CW_SUB_URL_MAX);
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)in[i] <= 0x20 || in[i] == 0x7f)
            return cw_fail(err, CW_EINVAL, "", 0, "the link holds a blank or a control character (copy it again, "
                           "in one piece)");
    if (!cw_utf8_valid(in, len))
        return cw_fail(err, CW_EINVAL, "", 0, "the link is not valid UTF-8 (copy it again)");
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        size_t sl = strlen(schemes[i].given);
        if (len > sl && !strncasecmp(in, schemes[i].given, sl)) {
            char host[300];
            cw_sub_url_host(in, host, sizeof host);
            if (!host[0] || host[0] == ':')
                return cw_fail(err, CW_EINVAL, "", 0, "the link has no server name (give the whole link, e.g. "
                               "https://calendar.example.org/calendar.ics)");
            *out = cw_asprintf("%s%s", schemes[i].as, in + sl);
            return *out ? 0 : cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        }
    }
    return cw_fail(err, CW_EINVAL, "", 0, "not an https://, http:// or webcal:// link (give the calendar's "
                   "published address, e.g. the 'secret address in iCal format')");
}

/* The authority of a link: [start, end) after "://", and where the host begins (after any
 * user name). */
static int authority(const char *url, const char **host, const char **end)
{
    const char *p = strstr(url, "://");
    if (!p)
        return -1;
    p += 3;
    const char *e = p + strcspn(p, "/?#\\");
    const char *at = NULL;
    for (const char *q = p; q < e; q++)
        if (*q == '@')
            at = q;
    *host = at ? at + 1 : p;
    *end = e;
    return 0;
}

void cw_sub_url_host(const char *url, char *out, size_t n)
{
    const char *h, *e;
    out[0] = 0;
    if (!n || authority(url, &h, &e))
        return;
    size_t len = (size_t)(e - h);
    if (len >= n)
        len = n - 1;
    for (size_t i = 0; i < len; i++) /* hosts are shown: nothing that could fool a terminal */
        out[i] = (h[i] < 0x20 || h[i] == 0x7f) ? '?' : (char)tolower((unsigned char)h[i]);
    out[len] = 0;
}

void cw_sub_url_hash(const char *url, char out[9])
{
    char hex[65];
    cw_sha256 *h = cw_sha256_new();
    if (!h) {
        snprintf(out, 9, "????????");
        return;
    }
    cw_sha256_update(h, url, strlen(url));
    cw_sha256_final(h, hex);
    memcpy(out, hex, 8);
    out[8] = 0;
}

void cw_sub_url_redact(const char *url, char *out, size_t n)
{
    char host[256], hash[9], scheme[16] = "";
    const char *p = strstr(url, "://");
    if (p && p - url < (ptrdiff_t)sizeof scheme) {
        for (size_t i = 0; i < (size_t)(p - url); i++)
            scheme[i] = (char)tolower((unsigned char)url[i]);
        scheme[p - url] = 0;
        if (strspn(scheme, "abcdefghijklmnopqrstuvwxyz0123456789+-.") != strlen(scheme))
            scheme[0] = 0;
    }
    cw_sub_url_host(url, host, sizeof host);
    cw_sub_url_hash(url, hash);
    if (scheme[0] && host[0])
        snprintf(out, n, "%s://%s (link %s)", scheme, host, hash);
    else
        snprintf(out, n, "(link %s)", hash);
}

/* Replace every occurrence of needle (len nl >= 4) in text by repl. */
static void replace_all(char *text, const char *needle, size_t nl, const char *repl)
{
    size_t rl = strlen(repl), cap = strlen(text) + 1;
    char *p = text;
    while (nl >= 4 && (p = strstr(p, needle)) != NULL) {
        if (rl <= nl) {
            memcpy(p, repl, rl);
            memmove(p + rl, p + nl, strlen(p + nl) + 1);
            p += rl;
        } else {
            /* longer replacement: shorten to fit what is there (never grow the text) */
            memcpy(p, repl, nl);
            p += nl;
        }
    }
    (void)cap;
}

void cw_sub_scrub(char *text, const char *url)
{
    char red[400];
    if (url && *url) {
        cw_sub_url_redact(url, red, sizeof red);
        replace_all(text, url, strlen(url), red);
        const char *h, *e;
        if (!authority(url, &h, &e) && *e) {
            replace_all(text, e, strlen(e), "/...");
            /* a path segment or query value alone can be the secret (Google's private-TOKEN):
             * those that look like one (12 bytes or more, with a digit) */
            for (const char *seg = e; *seg;) {
                while (*seg && strchr("/?#&=;\\", *seg))
                    seg++;
                size_t sl = strcspn(seg, "/?#&=;\\");
                if (sl >= 12 && strcspn(seg, "0123456789") < sl) {
                    char *piece = cw_strndup(seg, sl);
                    if (piece)
                        replace_all(text, piece, sl, "...");
                    free(piece);
                }
                seg += sl;
            }
        }
    }
    /* any other link (a redirect's target): scheme://host only */
    for (char *p = strstr(text, "://"); p; p = strstr(p + 3, "://")) {
        char *q = p + 3;
        q += strcspn(q, "/?#\\ \t'\"<>)");
        if (*q && !strchr(" \t'\"<>)", *q)) {
            size_t rest = strcspn(q, " \t'\"<>)");
            memmove(q, q + rest, strlen(q + rest) + 1);
        }
    }
}

/* ---- the calendar's own name ------------------------------------------------------------ */

void cw_cal_data_name(const char *data, size_t len, char *out, size_t n)
{
    out[0] = 0;
    if (!n)
        return;
    static const char key[] = "X-WR-CALNAME";
    const size_t kl = sizeof key - 1;
    for (size_t i = 0; i + kl < len; i++) {
        if ((i && data[i - 1] != '\n') || strncasecmp(data + i, key, kl) || (data[i + kl] != ':' && data[i + kl] != ';'))
            continue;
        /* value after the first ':' outside quotes */
        size_t j = i + kl;
        int quoted = 0;
        while (j < len && data[j] != '\n' && (quoted || data[j] != ':'))
            quoted ^= data[j++] == '"';
        if (j >= len || data[j] != ':')
            return;
        j++;
        size_t o = 0;
        while (j < len && o + 1 < n) {
            char ch = data[j];
            if (ch == '\r' || ch == '\n') {
                size_t k = j + (ch == '\r' && j + 1 < len && data[j + 1] == '\n' ? 2 : 1);
                if (k < len && (data[k] == ' ' || data[k] == '\t')) { /* folded */
                    j = k + 1;
                    continue;
                }
                break;
            }
            if (ch == '\\' && j + 1 < len) {
                char e = data[j + 1];
                ch = (e == 'n' || e == 'N') ? ' ' : e;
                j++;
            }
            out[o++] = ((unsigned char)ch < 0x20 || ch == 0x7f) ? ' ' : ch;
            j++;
        }
        /* a sequence cut at the end of `out` is dropped; other bad bytes drop the name */
        for (int k = 0; k < 3 && o && !cw_utf8_valid(out, o); k++)
            o--;
        out[o] = 0;
        if (!cw_utf8_valid(out, o))
            out[0] = 0;
        char *t = trim(out);
        memmove(out, t, strlen(t) + 1);
        return;
    }
}
