/* parse.c — percent-decoding, request paths, query strings and form bodies, the streaming
 * multipart/form-data parser, and parameter validators (parse.h).
 * Guarantees: bounded work and memory per input byte; no partial results on refusal; the
 * multipart parser never holds more than one part header block and one boundary's worth
 * of body in memory, however large the file part is. */
#include "parse.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- percent-decoding ------------------------------------------------------------------ */

static int hexval(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

int desk_pct_decode(const char *s, size_t n, int form, int multiline, char **out)
{
    *out = NULL;
    char *d = malloc(n + 1);
    if (!d) return -1;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n) {
                free(d);
                return -1;
            }
            int hi = hexval((unsigned char)s[i + 1]), lo = hexval((unsigned char)s[i + 2]);
            if (hi < 0 || lo < 0) {
                free(d);
                return -1;
            }
            c = (unsigned char)(hi * 16 + lo);
            i += 2;
        } else if (c == '+' && form) {
            c = ' ';
        }
        int ctl = c < 0x20 || c == 0x7f;
        if (ctl && !(multiline && (c == '\t' || c == '\n' || c == '\r'))) {
            free(d);
            return -1;
        }
        d[o++] = (char)c;
    }
    d[o] = 0;
    if (!cw_utf8_valid(d, o)) {
        free(d);
        return -1;
    }
    *out = d;
    return 0;
}

/* ---- key=value lists ------------------------------------------------------------------- */

void desk_params_free(desk_params *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].key);
        free(p->v[i].val);
    }
    free(p->v);
    p->v = NULL;
    p->n = 0;
}

int desk_params_parse(desk_params *out, const char *s, size_t n)
{
    out->v = NULL;
    out->n = 0;
    if (n > DESK_MAX_FORM) return -1;
    if (n == 0) return 0;
    out->v = calloc(DESK_MAX_PARAMS, sizeof *out->v);
    if (!out->v) return -1;
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && s[j] != '&' && s[j] != ';') j++;
        if (j > i) {
            if (out->n == DESK_MAX_PARAMS) goto bad;
            const char *eq = memchr(s + i, '=', j - i);
            size_t klen = eq ? (size_t)(eq - (s + i)) : j - i;
            if (klen == 0 || klen > DESK_MAX_KEY * 3) goto bad;
            desk_param *p = &out->v[out->n];
            if (desk_pct_decode(s + i, klen, 1, 0, &p->key)) goto bad;
            if (strlen(p->key) == 0 || strlen(p->key) > DESK_MAX_KEY) {
                free(p->key);
                p->key = NULL;
                goto bad;
            }
            const char *vs = eq ? eq + 1 : s + j;
            if (desk_pct_decode(vs, (size_t)(s + j - vs), 1, 1, &p->val)) {
                free(p->key);
                p->key = NULL;
                goto bad;
            }
            out->n++;
        }
        i = j + 1;
    }
    return 0;
bad:
    desk_params_free(out);
    return -1;
}

const char *desk_param_get(const desk_params *p, const char *key)
{
    for (size_t i = 0; p && i < p->n; i++)
        if (!strcmp(p->v[i].key, key)) return p->v[i].val;
    return NULL;
}

/* ---- request targets ------------------------------------------------------------------- */

void desk_path_free(desk_path *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->n; i++) free(p->seg[i]);
    p->n = 0;
    desk_params_free(&p->query);
}

int desk_path_parse(desk_path *out, const char *target)
{
    memset(out, 0, sizeof *out);
    size_t len = strlen(target);
    if (len == 0 || len > DESK_MAX_URI || target[0] != '/') return -1;
    const char *q = strchr(target, '?');
    size_t plen = q ? (size_t)(q - target) : len;
    const char *frag = memchr(target, '#', len);
    if (frag) return -1; /* clients never send a fragment */
    size_t i = 1;
    while (i < plen) {
        size_t j = i;
        while (j < plen && target[j] != '/') j++;
        if (j == i) {
            if (j == plen) break; /* trailing '/' */
            goto bad;             /* "//": an empty segment */
        }
        if (out->n == DESK_MAX_SEGMENTS) goto bad;
        char *seg;
        if (desk_pct_decode(target + i, j - i, 0, 0, &seg)) goto bad;
        out->seg[out->n++] = seg;
        if (!seg[0] || !strcmp(seg, ".") || !strcmp(seg, "..") || strchr(seg, '/') || strchr(seg, '\\'))
            goto bad;
        i = j + 1;
    }
    if (q && desk_params_parse(&out->query, q + 1, len - plen - 1)) goto bad;
    return 0;
bad:
    desk_path_free(out);
    return -1;
}

/* ---- multipart/form-data ---------------------------------------------------------------- */

enum { MP_PREAMBLE, MP_AFTER_DELIM, MP_HEADERS, MP_BODY, MP_END, MP_FAILED };

#define MP_CHUNK 65536

struct desk_mp {
    desk_mp_cb cb;
    void *user;
    char delim[80]; /* "\r\n--" BOUNDARY */
    size_t dlen;
    int state;
    int parts;
    char *buf; /* unprocessed bytes: at most MP_CHUNK + DESK_MAX_PART_HEADERS */
    size_t blen, bcap;
    const char *error;
};

const char *desk_mp_error(const desk_mp *m)
{
    return m && m->error ? m->error : "the upload is not valid multipart/form-data";
}

/* The value of parameter `key` in a header like `form-data; name="x"; filename="a b"`, or
 * the boundary in a Content-Type. Copies at most cap-1 bytes (quoted strings unescaped)
 * into out. Returns 1 when found. Parameter names compare case-insensitively. */
static int header_param(const char *h, const char *key, char *out, size_t cap)
{
    size_t klen = strlen(key);
    const char *p = strchr(h, ';');
    while (p) {
        p++;
        while (*p == ' ' || *p == '\t') p++;
        if (!strncasecmp(p, key, klen)) {
            const char *v = p + klen;
            while (*v == ' ' || *v == '\t') v++;
            if (*v == '=') {
                v++;
                while (*v == ' ' || *v == '\t') v++;
                size_t o = 0;
                if (*v == '"') {
                    for (v++; *v && *v != '"'; v++) {
                        if (*v == '\\' && v[1]) v++;
                        if (o + 1 < cap) out[o++] = *v;
                    }
                } else {
                    for (; *v && *v != ';' && *v != ' ' && *v != '\t'; v++)
                        if (o + 1 < cap) out[o++] = *v;
                }
                out[o] = 0;
                return 1;
            }
        }
        /* skip to the next ';' outside quotes */
        int quoted = 0;
        for (; *p; p++) {
            if (*p == '"') quoted = !quoted;
            else if (*p == '\\' && quoted && p[1]) p++;
            else if (*p == ';' && !quoted) break;
        }
        p = *p ? p : NULL;
    }
    return 0;
}

int desk_mp_new(desk_mp **out, const char *content_type, const desk_mp_cb *cb, void *user)
{
    *out = NULL;
    if (!content_type || strncasecmp(content_type, "multipart/form-data", 19) != 0) return -1;
    char b[128];
    if (!header_param(content_type, "boundary", b, sizeof b)) return -1;
    size_t bl = strlen(b);
    if (bl == 0 || bl > 70) return -1;
    for (size_t i = 0; i < bl; i++)
        if ((unsigned char)b[i] < 0x20 || (unsigned char)b[i] >= 0x7f) return -1;
    desk_mp *m = calloc(1, sizeof *m);
    if (!m) return -1;
    m->cb = *cb;
    m->user = user;
    m->dlen = (size_t)snprintf(m->delim, sizeof m->delim, "\r\n--%s", b);
    m->bcap = MP_CHUNK + DESK_MAX_PART_HEADERS + sizeof m->delim;
    m->buf = malloc(m->bcap);
    if (!m->buf) {
        free(m);
        return -1;
    }
    /* The body starts with "--BOUNDARY" (no CRLF before the first delimiter): seed the
     * buffer with the CRLF so every delimiter looks the same. */
    memcpy(m->buf, "\r\n", 2);
    m->blen = 2;
    m->state = MP_PREAMBLE;
    *out = m;
    return 0;
}

void desk_mp_free(desk_mp *m)
{
    if (!m) return;
    free(m->buf);
    free(m);
}

static int mp_fail(desk_mp *m, const char *why)
{
    m->state = MP_FAILED;
    m->error = why;
    return -1;
}

/* Parse one part's header block (lines ending in CRLF, without the final empty line) and
 * call part_begin. */
static int mp_headers(desk_mp *m, char *h, size_t n)
{
    h[n] = 0;
    if (memchr(h, 0, n)) return mp_fail(m, "a part header holds a NUL byte");
    char name[DESK_MAX_KEY + 1] = "", fname[1024] = "", ctype[128] = "";
    int have_disp = 0, have_file = 0;
    char *line = h;
    while (line && *line) {
        char *eol = strstr(line, "\r\n");
        if (eol) *eol = 0;
        char *colon = strchr(line, ':');
        if (!colon) return mp_fail(m, "a part header line has no ':'");
        *colon = 0;
        char *v = colon + 1;
        while (*v == ' ' || *v == '\t') v++;
        if (!strcasecmp(line, "Content-Disposition")) {
            if (strncasecmp(v, "form-data", 9) != 0) return mp_fail(m, "a part is not form-data");
            have_disp = 1;
            char tmp[DESK_MAX_KEY * 2 + 1];
            if (!header_param(v, "name", tmp, sizeof tmp) || !tmp[0] || strlen(tmp) > DESK_MAX_KEY)
                return mp_fail(m, "a part has no usable field name");
            memcpy(name, tmp, strlen(tmp) + 1); /* checked: at most DESK_MAX_KEY bytes */
            have_file = header_param(v, "filename", fname, sizeof fname);
        } else if (!strcasecmp(line, "Content-Type")) {
            snprintf(ctype, sizeof ctype, "%s", v);
        }
        line = eol ? eol + 2 : NULL;
    }
    if (!have_disp) return mp_fail(m, "a part has no Content-Disposition");
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) return mp_fail(m, "a field name holds a control character");
    if (!cw_utf8_valid(name, strlen(name))) return mp_fail(m, "a field name is not UTF-8");
    /* The browser's file name is for messages only: its last component, control
     * characters dropped, cut to 255 bytes at a character boundary, valid UTF-8. */
    char shown[256] = "";
    if (have_file) {
        const char *base = fname;
        for (const char *p = fname; *p; p++)
            if (*p == '/' || *p == '\\') base = p + 1;
        size_t o = 0;
        const unsigned char *s = (const unsigned char *)base;
        size_t left = strlen(base);
        while (left) {
            size_t l = cw_utf8_seq_len(s, left);
            if (l == 0) { /* not UTF-8 (a Latin-1 name): show '?' */
                l = 1;
                if (o + 1 < sizeof shown) shown[o++] = '?';
            } else if (!(l == 1 && (*s < 0x20 || *s == 0x7f))) {
                if (o + l >= sizeof shown) break;
                memcpy(shown + o, s, l);
                o += l;
            }
            s += l;
            left -= l;
        }
        shown[o] = 0;
    }
    for (char *p = ctype; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f) *p = '?';
    if (++m->parts > DESK_MAX_PARTS) return mp_fail(m, "too many parts in one upload");
    return m->cb.part_begin ? m->cb.part_begin(m->user, name, have_file ? shown : NULL, ctype) : 0;
}

/* Process what is in the buffer; keep only what cannot be decided yet. */
static int mp_run(desk_mp *m)
{
    size_t pos = 0;
    int rc = 0;
    while (rc == 0) {
        char *p = m->buf + pos;
        size_t left = m->blen - pos;
        if (m->state == MP_PREAMBLE || m->state == MP_BODY) {
            char *hit = memmem(p, left, m->delim, m->dlen);
            size_t safe = hit ? (size_t)(hit - p) : (left >= m->dlen ? left - m->dlen + 1 : 0);
            if (m->state == MP_BODY && safe && m->cb.part_data) rc = m->cb.part_data(m->user, p, safe);
            if (rc) break;
            pos += safe;
            if (!hit) break;
            if (m->state == MP_BODY && m->cb.part_end && (rc = m->cb.part_end(m->user)) != 0) break;
            pos += m->dlen;
            m->state = MP_AFTER_DELIM;
        } else if (m->state == MP_AFTER_DELIM) {
            /* "--" ends the body; otherwise optional blanks then CRLF start a part */
            if (left >= 2 && p[0] == '-' && p[1] == '-') {
                m->state = MP_END;
                pos = m->blen;
                break;
            }
            size_t k = 0;
            while (k < left && (p[k] == ' ' || p[k] == '\t')) k++;
            if (k > 64) return mp_fail(m, "junk after a boundary");
            if (left - k < 2) break;
            if (p[k] != '\r' || p[k + 1] != '\n') return mp_fail(m, "a boundary is not followed by a line end");
            pos += k + 2;
            m->state = MP_HEADERS;
        } else if (m->state == MP_HEADERS) {
            if (left >= 2 && p[0] == '\r' && p[1] == '\n') return mp_fail(m, "a part has no Content-Disposition");
            char *end = memmem(p, left, "\r\n\r\n", 4);
            if (!end) {
                if (left > DESK_MAX_PART_HEADERS) return mp_fail(m, "a part's headers are too long");
                break;
            }
            size_t hn = (size_t)(end - p);
            if (hn > DESK_MAX_PART_HEADERS) return mp_fail(m, "a part's headers are too long");
            if ((rc = mp_headers(m, p, hn)) != 0) break;
            pos += hn + 4;
            m->state = MP_BODY;
        } else { /* END, FAILED */
            pos = m->blen;
            break;
        }
    }
    if (rc) {
        if (m->state != MP_FAILED) m->state = MP_FAILED;
        return rc;
    }
    memmove(m->buf, m->buf + pos, m->blen - pos);
    m->blen -= pos;
    return 0;
}

int desk_mp_feed(desk_mp *m, const char *data, size_t n)
{
    if (m->state == MP_FAILED) return -1;
    while (n) {
        if (m->state == MP_END) return 0; /* the epilogue is ignored */
        size_t room = m->bcap - m->blen - 1;
        size_t take = n < room ? n : room;
        if (take == 0) return mp_fail(m, "a part's headers are too long");
        memcpy(m->buf + m->blen, data, take);
        m->blen += take;
        data += take;
        n -= take;
        int rc = mp_run(m);
        if (rc) return rc;
    }
    return 0;
}

int desk_mp_finish(desk_mp *m)
{
    if (m->state == MP_END) return 0;
    if (m->state != MP_FAILED) mp_fail(m, "the upload ended early (the connection was cut, or the body is truncated)");
    return -1;
}

/* ---- headers ------------------------------------------------------------------------------ */

/* Parse "bytes=A-B", "bytes=A-" or "bytes=-N" against a size. 1: a range (off, len);
 * 0: no usable Range header (send everything); -1: unsatisfiable. */
int desk_parse_range(const char *h, int64_t size, int64_t *off, int64_t *len)
{
    if (!h || strncmp(h, "bytes=", 6) != 0 || strchr(h, ',')) return 0;
    const char *p = h + 6;
    char *end;
    errno = 0;
    if (*p == '-') {
        long long n = strtoll(p + 1, &end, 10);
        if (errno || end == p + 1 || *end || n <= 0) return 0;
        if (size == 0) return -1;
        if (n > size) n = size;
        *off = size - n;
        *len = n;
        return 1;
    }
    long long a = strtoll(p, &end, 10);
    if (errno || end == p || *end != '-' || a < 0) return 0;
    p = end + 1;
    long long b = size - 1;
    if (*p) {
        b = strtoll(p, &end, 10);
        if (errno || *end || b < a) return 0;
    }
    if (a >= size) return -1;
    if (b >= size) b = size - 1;
    *off = a;
    *len = b - a + 1;
    return 1;
}

/* The value of cookie `name` in a Cookie header, copied into out. */
int desk_cookie_value(const char *h, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *p = h; p && *p;) {
        while (*p == ' ' || *p == ';') p++;
        if (!strncmp(p, name, nl) && p[nl] == '=') {
            const char *v = p + nl + 1;
            size_t n = strcspn(v, ";");
            while (n && v[n - 1] == ' ') n--;
            if (n >= cap) return 0;
            memcpy(out, v, n);
            out[n] = 0;
            return 1;
        }
        p = strchr(p, ';');
    }
    return 0;
}

/* ---- validators ------------------------------------------------------------------------- */

int desk_valid_name(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 64 || !cw_utf8_valid(s, n)) return 0;
    if (s[0] == ' ' || s[n - 1] == ' ') return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f || strchr("/\\\"<>", *p)) return 0;
    return 1;
}

int desk_valid_series(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 100 || !cw_utf8_valid(s, n)) return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == ',') return 0;
    return 1;
}

int desk_parse_long(const char *s, long lo, long hi, long *out)
{
    if (!s || !*s || strlen(s) > 19) return -1;
    const char *p = s;
    if (*p == '-') p++;
    if (!*p) return -1;
    for (; *p; p++)
        if (!isdigit((unsigned char)*p)) return -1;
    errno = 0;
    long v = strtol(s, NULL, 10);
    if (errno || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

int desk_valid_recording_path(const char *rel)
{
    if (!rel || !cw_path_is_safe_relative(rel)) return 0;
    size_t n = strlen(rel);
    if (n < 5 || strcmp(rel + n - 4, ".ogg") != 0) return 0;
    return !strncmp(rel, "library/", 8) || !strncmp(rel, "pending/", 8);
}
