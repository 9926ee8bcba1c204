/* fuzz_desk.c — the request parsing the desk does itself (desk/parse.c): request targets
 * with their query strings, urlencoded forms, multipart bodies fed in pieces of every size,
 * JSON bodies as the API reads them, Range and Cookie headers.
 * Input: byte 0 picks the parser, byte 1 the piece size; for multipart the first line is the
 * Content-Type header. Guarantees checked: no crash, no leak, no read out of bounds; decoded
 * text is valid UTF-8; a refusal leaves nothing behind. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

static char *cstr(const uint8_t *d, size_t n)
{
    char *s = malloc(n + 1);
    if (!s) return NULL;
    memcpy(s, d, n);
    s[n] = 0;
    return s;
}

static void check_utf8(const char *s)
{
    if (s && !cw_utf8_valid(s, strlen(s))) abort();
}

static int on_begin(void *u, const char *name, const char *filename, const char *ct)
{
    check_utf8(name);
    check_utf8(filename);
    (void)ct;
    (*(size_t *)u)++;
    return 0;
}

static int on_data(void *u, const char *data, size_t n)
{
    (void)u;
    volatile char sink = 0;
    for (size_t i = 0; i < n; i++) sink ^= data[i]; /* every byte handed over is readable */
    (void)sink;
    return 0;
}

static int on_end(void *u)
{
    (void)u;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    uint8_t mode = data[0] % 6;
    size_t piece = data[1] ? data[1] : 1;
    data += 2;
    size -= 2;
    char *s = cstr(data, size);
    if (!s) return 0;
    switch (mode) {
    case 0: { /* a request target */
        desk_path p;
        if (desk_path_parse(&p, s) == 0) {
            for (size_t i = 0; i < p.n; i++) {
                check_utf8(p.seg[i]);
                if (!strcmp(p.seg[i], "..") || strchr(p.seg[i], '/')) abort();
            }
            for (size_t i = 0; i < p.query.n; i++) check_utf8(p.query.v[i].val);
            desk_path_free(&p);
        } else if (p.n != 0 || p.query.n != 0) {
            abort();
        }
        break;
    }
    case 1: { /* a urlencoded form */
        desk_params p;
        if (desk_params_parse(&p, (const char *)data, size) == 0) {
            for (size_t i = 0; i < p.n; i++) {
                check_utf8(p.v[i].key);
                check_utf8(p.v[i].val);
                if (desk_param_get(&p, p.v[i].key) == NULL) abort();
            }
            desk_params_free(&p);
        }
        break;
    }
    case 2: { /* multipart: first line is the Content-Type */
        char *nl = memchr(s, '\n', size);
        if (!nl) break;
        *nl = 0;
        const char *body = nl + 1;
        size_t blen = size - (size_t)(body - s);
        desk_mp_cb cb = {on_begin, on_data, on_end};
        size_t parts = 0;
        desk_mp *m;
        if (desk_mp_new(&m, s, &cb, &parts) != 0) break;
        int rc = 0;
        for (size_t i = 0; i < blen && rc == 0; i += piece) rc = desk_mp_feed(m, body + i, blen - i < piece ? blen - i : piece);
        if (rc == 0) desk_mp_finish(m);
        if (parts > DESK_MAX_PARTS + 1) abort();
        desk_mp_free(m);
        break;
    }
    case 3: { /* a JSON body as POST /api/login reads it */
        json_error_t je;
        json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
        if (j && json_is_object(j)) {
            const char *u = json_string_value(json_object_get(j, "user"));
            if (u) (void)desk_valid_name(u);
        }
        json_decref(j);
        break;
    }
    case 4: { /* a Range header against a size taken from the input */
        int64_t off, len, fsize = (int64_t)piece * 1000;
        int rc = desk_parse_range(s, fsize, &off, &len);
        if (rc == 1 && (off < 0 || len <= 0 || off + len > fsize)) abort();
        break;
    }
    default: { /* a Cookie header, then the validators on the same text */
        char v[64];
        if (desk_cookie_value(s, "cw_session", v, sizeof v) && strlen(v) >= sizeof v) abort();
        long x;
        (void)desk_parse_long(s, -1000000, 1000000, &x);
        (void)desk_valid_series(s);
        (void)desk_valid_recording_path(s);
        break;
    }
    }
    free(s);
    return 0;
}
