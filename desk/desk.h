/* desk.h — the station desk: `chalkwave serve`, a web app for teachers (upload lessons from
 * a phone through a personal link), staff (the week, missing recordings, library, inbox,
 * calendars, days, teachers, settings) and scripts (a JSON API), on GNU libmicrohttpd; and
 * the desk's accounts: staff users (passwords hashed with libsodium's crypto_pwhash) and
 * teachers (128-bit link tokens stored only as SHA-256 hashes), kept in STATION/desk/.
 * Guarantees: library code, never prints or exits; every staff route needs a login and
 * every state-changing staff request a CSRF token; uploads stream to disk under the station
 * with the size limit enforced while they arrive; nothing outside the station is served or
 * written; files under STATION/desk/ are 0600 in a 0700 folder and replaced atomically. */
#ifndef CW_DESK_H
#define CW_DESK_H

#include "common.h"
#include "station.h"

#include <stdint.h>

/* ---- the server ---------------------------------------------------------------------- */

typedef struct cw_desk cw_desk;

typedef struct cw_desk_opts {
    const char *listen;    /* "ADDR:PORT" (IPv4 or [IPv6]); NULL: [desk] listen. Port 0 picks one. */
    const char *cert_path; /* PEM certificate and key for HTTPS; both or neither */
    const char *key_path;
    int threads;           /* request threads (0: 2) */
    /* One line per request and per problem the desk meets (the request log of `serve`);
     * NULL for none. Called from the desk's threads, never with a teacher's token in it. */
    void (*log)(void *user, const char *line);
    void *log_user;
} cw_desk_opts;

/* Open the desk on the station in `station_dir` and start listening. Takes the desk's
 * serve lock (one server per station: CW_ELOCKED otherwise), removes what a killed server
 * left in STATION/desk/uploads/. On error *out is NULL and err says what to do. */
int cw_desk_start(cw_desk **out, const char *station_dir, const cw_desk_opts *opts,
                  cw_error *err) CW_WARN_UNUSED;
/* The address it listens on, e.g. "http://127.0.0.1:8070" (borrowed, lives as long as d). */
const char *cw_desk_address(const cw_desk *d);
/* Stop: no new connections, running jobs cancelled (nothing half-stored), requests in
 * flight answered or closed, threads joined. Then free. NULL is fine. */
void cw_desk_stop(cw_desk *d);

/* One line per route: "METHOD PATTERN AUTH" with AUTH public, teacher or staff (and
 * "csrf" after it where a state-changing staff request needs a token), for `serve
 * --routes` and the tests that walk the table. Appends to out. */
void cw_desk_routes_text(cw_buf *out);

/* 1 when `name` can be a user's or a teacher's name: 1..64 bytes of UTF-8, no control
 * characters, none of / \\ " < >, no blank at either end. */
int cw_desk_name_valid(const char *name);

/* ---- staff users ----------------------------------------------------------------------- */

#define CW_DESK_PASSWORD_MIN 8
#define CW_DESK_PASSWORD_MAX 1024

typedef struct cw_desk_user {
    char *name;
    char *created; /* ISO 8601 UTC */
} cw_desk_user;

/* Add a staff user (CW_EEXIST when the name is taken) / set a new password / remove one
 * (CW_ENOTFOUND when absent). Names: 1..64 characters, no control characters, none of
 * / \ " < >. Passwords: CW_DESK_PASSWORD_MIN..MAX bytes. Removing a user or changing the
 * password ends the user's logins. */
int cw_desk_user_add(const char *station_dir, const char *name, const char *password, cw_error *err);
int cw_desk_user_passwd(const char *station_dir, const char *name, const char *password, cw_error *err);
int cw_desk_user_remove(const char *station_dir, const char *name, cw_error *err);
/* All users by name; *out freed with cw_desk_users_free. */
int cw_desk_user_list(const char *station_dir, cw_desk_user **out, size_t *n, cw_error *err);
void cw_desk_users_free(cw_desk_user *v, size_t n);

/* ---- teachers -------------------------------------------------------------------------- */

#define CW_DESK_TOKEN_CHARS 22 /* 128 random bits, base64url without padding */

typedef struct cw_desk_teacher {
    char *name;
    cw_strlist series; /* series keys the teacher records (may be empty: free uploads only) */
    char *language;    /* "" for the station's */
    char *created;     /* ISO 8601 UTC */
    int revoked;       /* the link no longer works */
} cw_desk_teacher;

/* Create a teacher with a new link token (written to token, NUL-terminated; shown once,
 * stored only as its hash). CW_EEXIST when the name is taken. */
int cw_desk_teacher_add(const char *station_dir, const char *name, const cw_strlist *series,
                        const char *language, char token[CW_DESK_TOKEN_CHARS + 1], cw_error *err);
/* A new token for a teacher (the old link stops working; a revoked teacher is active again). */
int cw_desk_teacher_relink(const char *station_dir, const char *name,
                           char token[CW_DESK_TOKEN_CHARS + 1], cw_error *err);
/* The link stops working (the teacher and their uploads stay). */
int cw_desk_teacher_revoke(const char *station_dir, const char *name, cw_error *err);
int cw_desk_teacher_list(const char *station_dir, cw_desk_teacher **out, size_t *n, cw_error *err);
void cw_desk_teachers_free(cw_desk_teacher *v, size_t n);

/* The personal link "BASE/t/TOKEN": BASE is [desk] url, else http://LISTEN (with listen
 * the station's [desk] listen, or listen_override when given). Caller frees. */
char *cw_desk_teacher_link(const cw_station *st, const char *listen_override, const char *token);

/* ---- QR codes (libqrencode) ---------------------------------------------------------- */

/* `text` as a QR code for a terminal: two rows of modules per line in UTF-8 half blocks,
 * dark modules black on white (ANSI colours, so it reads on dark and light terminals),
 * with a 4-module quiet zone. `ansi` 0 gives plain half blocks with the light modules drawn
 * (for dark terminals without colour). Returns 0 or CW_EINVAL/CW_ENOMEM. */
int cw_desk_qr_terminal(const char *text, int ansi, cw_buf *out);
/* `text` as an SVG image (one path, a 4-module quiet zone), for the desk's pages. */
int cw_desk_qr_svg(const char *text, cw_buf *out);

#endif
