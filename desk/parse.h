/* parse.h — the request parsing the desk does itself: percent-decoding, request paths and
 * query strings, application/x-www-form-urlencoded bodies, a streaming multipart/form-data
 * parser, and validators for every parameter type. Pure functions over bytes (no sockets,
 * no files), so they are unit-tested and fuzzed (tests/fuzz/fuzz_desk.c) directly.
 * Guarantees: every input is bounded (lengths, counts); a refusal never leaves partial
 * output; decoded text is valid UTF-8 without control characters (except TAB/LF/CR in
 * form values, which may hold a multi-line description); nothing here allocates more than
 * its bound says, whatever the input. */
#ifndef CW_DESK_PARSE_H
#define CW_DESK_PARSE_H

#include "common.h"

#include <stddef.h>
#include <stdint.h>

#define DESK_MAX_URI 4096          /* request target, bytes */
#define DESK_MAX_SEGMENTS 12       /* path segments */
#define DESK_MAX_PARAMS 64         /* key=value pairs in a query string or form */
#define DESK_MAX_KEY 64            /* bytes of a parameter name */
#define DESK_MAX_FORM (256 * 1024) /* bytes of a urlencoded or JSON body */
#define DESK_MAX_PARTS 32          /* parts of a multipart body */
#define DESK_MAX_PART_HEADERS 8192 /* bytes of one part's header block */

/* Percent-decode n bytes of s into a new string (*out, caller frees). `form`: '+' is a
 * space (query strings and form bodies); otherwise '+' stays (path segments). `multiline`
 * allows TAB, LF and CR. Returns 0, or -1 for a bad %XX, a NUL, another control character,
 * or bytes that are not UTF-8 (then *out is NULL). */
int desk_pct_decode(const char *s, size_t n, int form, int multiline, char **out);

typedef struct desk_param {
    char *key, *val;
} desk_param;
typedef struct desk_params {
    desk_param *v;
    size_t n;
} desk_params;
/* Parse "a=1&b=x+y" (either ';' or '&' separates pairs; a key without '=' has the value "").
 * Refuses (-1) more than DESK_MAX_PARAMS pairs, keys over DESK_MAX_KEY bytes, over
 * DESK_MAX_FORM bytes, and anything desk_pct_decode refuses; *out is then empty. Values may
 * span lines (TAB/LF/CR kept). */
int desk_params_parse(desk_params *out, const char *s, size_t n);
/* The first value of key, or NULL. Borrowed from p. */
const char *desk_param_get(const desk_params *p, const char *key);
void desk_params_free(desk_params *p);

/* A request target "/a/b%20c?x=1" split into decoded path segments and query parameters.
 * Refuses (-1): no leading '/', over DESK_MAX_URI bytes or DESK_MAX_SEGMENTS segments, a
 * segment that decodes to "", ".", ".." or holds '/', '\\' or a control character, and a
 * bad query string. A trailing '/' is ignored; "/" has no segments. */
typedef struct desk_path {
    char *seg[DESK_MAX_SEGMENTS];
    size_t n;
    desk_params query;
} desk_path;
int desk_path_parse(desk_path *out, const char *target);
void desk_path_free(desk_path *p);

/* ---- multipart/form-data (RFC 7578), streamed ------------------------------------- */

/* Callbacks; a non-zero return stops the parser and desk_mp_feed returns it. `filename` is
 * NULL for a plain field; otherwise the browser's name for the file (for display only,
 * never a path: it is cut to 255 bytes, made valid UTF-8, control characters removed, and
 * only the part after the last '/' or '\\' kept). content_type is "" when not given. */
typedef struct desk_mp_cb {
    int (*part_begin)(void *user, const char *name, const char *filename, const char *content_type);
    int (*part_data)(void *user, const char *data, size_t n);
    int (*part_end)(void *user);
} desk_mp_cb;

typedef struct desk_mp desk_mp;
/* From the request's Content-Type header. Returns 0, or -1 when it is not
 * multipart/form-data with a usable boundary (1..70 characters). */
int desk_mp_new(desk_mp **out, const char *content_type, const desk_mp_cb *cb, void *user);
/* Feed the next n bytes of the body (any split). Returns 0, a callback's non-zero value, or
 * -1 for a malformed body (desk_mp_error says what). */
int desk_mp_feed(desk_mp *m, const char *data, size_t n);
/* The body ended: returns 0 when the closing boundary was seen, else -1. */
int desk_mp_finish(desk_mp *m);
const char *desk_mp_error(const desk_mp *m);
void desk_mp_free(desk_mp *m); /* NULL is fine */

/* ---- headers ---------------------------------------------------------------------------- */

/* A Range header ("bytes=A-B", "bytes=A-", "bytes=-N"; one range only) against a file of
 * `size` bytes: 1 and (*off, *len) for a range; 0 when there is no usable header (send it
 * all); -1 when the range is outside the file (416). */
int desk_parse_range(const char *h, int64_t size, int64_t *off, int64_t *len);
/* The value of cookie `name` in a Cookie header, copied into out (cap bytes): 1 when found. */
int desk_cookie_value(const char *h, const char *name, char *out, size_t cap);

/* ---- parameter validators ----------------------------------------------------------- */

/* A user or teacher name: 1..64 bytes of UTF-8, no control characters, none of / \ " < >
 * and no blank at either end. */
int desk_valid_name(const char *s);
/* A series key as the calendars write it: 1..100 bytes, no control characters, no ','. */
int desk_valid_series(const char *s);
/* A whole number in lo..hi written in plain decimal; 0 on success, -1 otherwise. */
int desk_parse_long(const char *s, long lo, long hi, long *out);
/* A recording's path as the library names it: "library/..." or "pending/...", safe (no
 * "..", no empty segment), ending in ".ogg". */
int desk_valid_recording_path(const char *rel);

#endif
