/* common.h — the small shared layer of chalkwave: error codes and messages, growable
 * buffers, string lists, atomic file writes, hashing, paths, dates and the station lock.
 * Guarantees: library code never prints or exits; every failure is a negative CW_E* code
 * plus a cw_error that says which file, which line, what is wrong and what to do. */
#ifndef CW_COMMON_H
#define CW_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#if defined(__GNUC__)
#define CW_WARN_UNUSED __attribute__((warn_unused_result))
#define CW_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define CW_WARN_UNUSED
#define CW_PRINTF(a, b)
#endif

/* ---- errors ------------------------------------------------------------------------ */

/* Return codes. 0 is success. Each maps to one CLI exit code (cw_exit_code). */
enum {
    CW_OK = 0,
    CW_EINVAL = -1,       /* the input was refused (validation)            -> exit 1 */
    CW_ELIMIT = -2,       /* the input exceeds a documented bound          -> exit 1 */
    CW_EEXIST = -3,       /* already there (episode, source checksum)      -> exit 1 */
    CW_EUNSUPPORTED = -4, /* a format or feature chalkwave refuses         -> exit 1 */
    CW_EUSAGE = -5,       /* wrong command line                            -> exit 2 */
    CW_EIO = -6,          /* file system / environment failure             -> exit 3 */
    CW_ENOMEM = -7,       /* out of memory                                 -> exit 3 */
    CW_ENOTFOUND = -8,    /* a named thing does not exist                  -> exit 3 */
    CW_ELOCKED = -9,      /* another chalkwave holds the station lock      -> exit 3 */
    CW_EINTERNAL = -10,   /* a bug: please report                          -> exit 3 */
    CW_ECANCELLED = -11   /* the caller cancelled (progress callback, signal) -> exit 3 */
};

/* CLI exit codes, documented in --help, the man page and the README. */
enum { CW_EXIT_OK = 0, CW_EXIT_REFUSED = 1, CW_EXIT_USAGE = 2, CW_EXIT_ENV = 3 };

/* The human detail of a failure. `source` is the file (or "" when none), `line` the line
 * in it (0 when none), `text` one lower-case sentence: what is wrong (what to do). */
typedef struct cw_error {
    char source[1024];
    int line;
    char text[1024];
} cw_error;

const char *cw_strerror(int code);
int cw_exit_code(int code);
/* Fill *err (if non-NULL) and return `code`, so callers can `return cw_fail(...)`. */
int cw_fail(cw_error *err, int code, const char *source, int line, const char *fmt, ...)
    CW_PRINTF(5, 6);
void cw_error_clear(cw_error *err);

/* ---- memory and strings ------------------------------------------------------------ */

/* Allocation helpers that abort on OOM are NOT used: these return NULL like malloc. */
char *cw_strdup(const char *s);              /* NULL -> NULL */
char *cw_strndup(const char *s, size_t n);
char *cw_asprintf(const char *fmt, ...) CW_PRINTF(1, 2);

/* Growable byte buffer, always NUL-terminated when len > 0 or after any append. */
typedef struct cw_buf {
    char *data;
    size_t len, cap;
    int oom; /* sticky: an append failed; check once at the end */
} cw_buf;
void cw_buf_init(cw_buf *b);
void cw_buf_free(cw_buf *b);
void cw_buf_append(cw_buf *b, const void *data, size_t n);
void cw_buf_puts(cw_buf *b, const char *s);
void cw_buf_printf(cw_buf *b, const char *fmt, ...) CW_PRINTF(2, 3);
void cw_buf_vprintf(cw_buf *b, const char *fmt, va_list ap) CW_PRINTF(2, 0);
/* Escapers for the writers (playlists, guide, export): they never pass raw control chars. */
void cw_buf_put_xml(cw_buf *b, const char *s);   /* & < > " ' and control chars */
void cw_buf_put_oneline(cw_buf *b, const char *s); /* control chars -> space */
/* s as one POSIX shell word, so a command suggested in a message works when pasted: as it is
 * when it holds only characters no shell treats specially, else in single quotes (a quote
 * inside written '\''). Truncated to fit out[n]. */
void cw_shell_word(const char *s, char *out, size_t n);

/* A list of owned strings. */
typedef struct cw_strlist {
    char **v;
    size_t n, cap;
} cw_strlist;
int cw_strlist_push(cw_strlist *l, const char *s); /* copies s */
int cw_strlist_pushf(cw_strlist *l, const char *fmt, ...) CW_PRINTF(2, 3);
void cw_strlist_free(cw_strlist *l);
void cw_strlist_sort(cw_strlist *l);

/* True when s is valid UTF-8 (no overlongs, no surrogates). */
int cw_utf8_valid(const char *s, size_t n);
/* Length (1..4) of the well-formed UTF-8 sequence at s (n bytes available), or 0 when it
 * is not one (bad lead or continuation byte, overlong, surrogate, over U+10FFFF, cut). */
size_t cw_utf8_seq_len(const unsigned char *s, size_t n);
/* Lower-case ASCII slug of s, at most maxlen bytes, [a-z0-9-], never empty ("item"). */
void cw_slugify(const char *s, char *out, size_t maxlen);

/* ---- diagnostics: one type for every warning and error a module reports ----------- */

/* A problem found in an input (a calendar line, a plan slot, a recording), as data so the
 * CLI, the web desk and JSON outputs never parse English sentences.
 *   code   a short stable identifier, lower-case with dots and dashes, e.g.
 *          "cal.dtend-before-dtstart", "plan.missing-recording", "plan.dead-air"; NULL or
 *          "" when the producer has none yet. Codes are part of the JSON interface.
 *   file   the input it concerns (a calendar label or path, a recording path), may be NULL
 *   line   the line in `file` (0 when none)
 *   item   what inside the input: an event UID, a series key, a plan item index; may be NULL
 *   text   one lower-case sentence: what is wrong (what to do) */
typedef enum { CW_DIAG_INFO = 0, CW_DIAG_WARNING = 1, CW_DIAG_ERROR = 2 } cw_diag_severity;
typedef struct cw_diag {
    cw_diag_severity severity;
    char *code, *file, *item, *text; /* owned; code, file, item may be NULL */
    int line;
} cw_diag;
typedef struct cw_diags {
    cw_diag *v;
    size_t n, cap;
    size_t errors, warnings; /* counts by severity (infos are not counted) */
    int oom;                 /* sticky: an add failed for lack of memory */
} cw_diags;
/* Append one diagnostic (copies every string). Returns 0, or CW_ENOMEM (then d->oom is set). */
int cw_diags_add(cw_diags *d, cw_diag_severity sev, const char *code, const char *file, int line,
                 const char *item, const char *text);
int cw_diags_addf(cw_diags *d, cw_diag_severity sev, const char *code, const char *file, int line,
                  const char *item, const char *fmt, ...) CW_PRINTF(7, 8);
/* Append copies of every entry of src. */
int cw_diags_extend(cw_diags *d, const cw_diags *src);
void cw_diags_free(cw_diags *d); /* frees the entries and zeroes *d; NULL is fine */
const char *cw_diag_severity_name(cw_diag_severity s); /* "info", "warning", "error" */

/* ---- kinds ------------------------------------------------------------------------- */

typedef enum cw_kind {
    CW_KIND_NONE = 0,
    CW_KIND_LESSON,
    CW_KIND_NEWSLETTER,
    CW_KIND_FILLER,
    CW_KIND_BLACKOUT, /* holidays: suppress lessons in their span (calendar only) */
    CW_KIND_SILENCE   /* plan only: nothing plays */
} cw_kind;
const char *cw_kind_name(cw_kind k); /* "lesson", ... ; "" for NONE */
cw_kind cw_kind_parse(const char *s); /* case-insensitive; CW_KIND_NONE when unknown */

/* ---- dates ------------------------------------------------------------------------- */

typedef struct cw_date {
    int year, month, day;
} cw_date;
/* Parses exactly YYYY-MM-DD with a real calendar day. */
int cw_date_parse(const char *s, cw_date *out);
void cw_date_format(cw_date d, char out[11]);
int64_t cw_days_from_civil(int y, int m, int d); /* days since 1970-01-01 */
void cw_civil_from_days(int64_t z, int *y, int *m, int *d);
cw_date cw_date_add_days(cw_date d, int n);
int cw_date_cmp(cw_date a, cw_date b);
int cw_weekday(cw_date d); /* 0 = Monday ... 6 = Sunday */
/* A date as people type it: YYYY-MM-DD, "today", "tomorrow", "yesterday", "+N" or "-N" days
 * from `today` (N up to 3660). Returns 0 and *out, or CW_EINVAL with `why` (at most whylen
 * bytes): what to write instead, for the shapes people use — "07/12/2026" gives
 * "07/12/2026: write it as 2026-12-07 (YYYY-MM-DD; for July 12 write 2026-07-12)",
 * "2026-02-30" gives "2026-02-30 is not a date (February 2026 has 28 days)". */
int cw_date_parse_loose(const char *s, cw_date today, cw_date *out, char *why, size_t whylen);

/* ---- files ------------------------------------------------------------------------- */

/* Atomic output: writes go to "DIR/.NAME.tmp-PID-N", commit fsyncs the file, renames it
 * over DIR/NAME and fsyncs DIR. abort (or free without commit) removes the temporary.
 * A file that is replaced keeps its permission bits (a station.conf made private stays so). */
typedef struct cw_atomic cw_atomic;
int cw_atomic_open(cw_atomic **out, const char *path, cw_error *err) CW_WARN_UNUSED;
/* The same with exactly `mode` (e.g. 0600 for a file that holds secrets), from the moment the
 * temporary is created. */
int cw_atomic_open_mode(cw_atomic **out, const char *path, unsigned mode, cw_error *err) CW_WARN_UNUSED;
FILE *cw_atomic_fp(cw_atomic *a);
const char *cw_atomic_tmp_path(const cw_atomic *a);
int cw_atomic_commit(cw_atomic *a, cw_error *err); /* frees a, success or not */
void cw_atomic_abort(cw_atomic *a);                /* frees a; NULL is fine */
int cw_write_file_atomic(const char *path, const void *data, size_t n, cw_error *err);
int cw_write_file_atomic_mode(const char *path, const void *data, size_t n, unsigned mode, cw_error *err);
/* Remove temporaries left by killed runs ("." NAME ".tmp-PID-...") whose PID is gone. */
void cw_cleanup_stale_tmp(const char *dir);
int cw_fsync_dir(const char *dir);

/* Reads a whole regular file (refuses devices, FIFOs, directories, > max bytes). */
int cw_read_file(const char *path, size_t max, char **out, size_t *len, cw_error *err);
int cw_mkdir_p(const char *path, cw_error *err);
int cw_path_exists(const char *path);
int cw_is_dir(const char *path);
/* "a" + "/" + "b"; caller frees. */
char *cw_path_join(const char *a, const char *b);
const char *cw_path_base(const char *p);
/* A relative path that stays inside its root lexically: not absolute, no "..", no empty
 * segment, no control chars, each segment <= 255 bytes, total <= 1024. */
int cw_path_is_safe_relative(const char *rel);
/* rel is safe and, resolved with realpath, stays under root (no symlink escape) and names
 * a regular file. */
int cw_path_resolves_inside(const char *root, const char *rel);

/* ---- hashing (OpenSSL libcrypto) --------------------------------------------------- */

typedef struct cw_sha256 cw_sha256;
cw_sha256 *cw_sha256_new(void);
void cw_sha256_update(cw_sha256 *h, const void *data, size_t n);
void cw_sha256_final(cw_sha256 *h, char hex[65]); /* frees h */
int cw_sha256_file(const char *path, char hex[65], cw_error *err);
/* 32-bit value derived from bytes: used for deterministic Ogg serial numbers. */
uint32_t cw_hash32(const void *data, size_t n);

/* ---- station lock (flock) ---------------------------------------------------------- */

/* Exclusive for writers of library/calendars/out, shared for readers. Blocks up to
 * `wait_seconds` (0 = try once) then fails with CW_ELOCKED. *out_fd is closed by unlock. */
int cw_station_lock(const char *station_dir, int exclusive, int wait_seconds, int *out_fd,
                    cw_error *err);
void cw_station_unlock(int fd);

#endif
