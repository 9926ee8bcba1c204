/* store.h — the desk's files under STATION/desk/ (0700): users.json, teachers.json,
 * sessions.json and uploads.json (0600), the uploads/ folder for uploads in flight, and
 * the locks that keep the CLI and a running server from overwriting each other's changes.
 * Guarantees: every file is replaced atomically (temporary + rename + fsync) and re-read
 * under the store lock before a change, so concurrent `chalkwave teacher add` and desk
 * requests never lose an update; a file that is not what the desk wrote is an error that
 * names it, never silently reset. */
#ifndef CW_DESK_STORE_H
#define CW_DESK_STORE_H

#include "common.h"
#include "desk.h"

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

/* STATION/desk/NAME (NAME "" for the folder). Caller frees. */
char *desk_store_path(const char *station_dir, const char *name);
/* Create STATION/desk/ (0700) and uploads/ when missing; tighten a looser existing mode. */
int desk_store_ensure(const char *station_dir, cw_error *err);
/* The exclusive store lock (STATION/desk/.lock), held across a read-modify-write. */
int desk_store_lock(const char *station_dir, int *fd, cw_error *err);
void desk_store_unlock(int fd);
/* Read STATION/desk/NAME as a JSON object whose `key` is an array; a missing file gives an
 * empty one. *out is the object (caller decrefs). */
int desk_store_load(const char *station_dir, const char *name, const char *key, json_t **out,
                    cw_error *err);
/* Write obj to STATION/desk/NAME atomically, mode 0600. */
int desk_store_save(const char *station_dir, const char *name, json_t *obj, cw_error *err);
/* Identity of a file for change detection: (inode, size, mtime ns); all zero when absent. */
typedef struct desk_stamp {
    uint64_t ino, size;
    int64_t mtime_ns;
} desk_stamp;
desk_stamp desk_stamp_of(const char *path);
int desk_stamp_eq(desk_stamp a, desk_stamp b);

/* "YYYY-MM-DDTHH:MM:SSZ" of a UNIX time. */
void desk_iso_time(int64_t t, char out[32]);

/* ---- secrets ----------------------------------------------------------------------------- */

/* Hex SHA-256 of a token (what the files keep instead of the token). */
void desk_token_hash(const char *token, char hex[65]);
/* A new random token: `bytes` random bytes as base64url without padding. */
void desk_token_new(char *out, size_t cap, size_t bytes);
/* Constant-time comparison of two NUL-terminated strings of the same expected length. */
int desk_secret_eq(const char *a, const char *b);

/* ---- staff users (accounts.c) ------------------------------------------------------------- */

/* Check a login. Returns 0 when name and password match; CW_EINVAL otherwise (the same
 * time either way: a missing name still costs one hash). CW_EIO when the file is bad. */
int desk_user_verify(const char *station_dir, const char *name, const char *password, cw_error *err);
/* 1 when the user exists (the server checks this on every request of a login). Also
 * returns the password hash's first 16 bytes in `epoch` (a new password ends old logins). */
int desk_user_exists(const char *station_dir, const char *name, char epoch[17]);

/* ---- teachers (accounts.c) ----------------------------------------------------------------- */

/* A teacher as the server keeps it: the public record plus the token hash. */
typedef struct desk_teacher {
    cw_desk_teacher t;
    char token_hash[65];
} desk_teacher;
int desk_teachers_load(const char *station_dir, desk_teacher **out, size_t *n, cw_error *err);
void desk_teachers_free(desk_teacher *v, size_t n);
/* The active (not revoked) teacher whose token is `token`, or NULL. Constant time per
 * teacher. Borrowed from v. */
const desk_teacher *desk_teacher_by_token(const desk_teacher *v, size_t n, const char *token);

#endif
