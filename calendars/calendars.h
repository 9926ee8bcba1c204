/* calendars.h — partner iCalendar files in, exact occurrences out; the station's own
 * schedule out as .ics. Built on libical for parsing and serialising, with chalkwave's own
 * recurrence, time-zone and override logic where libical 3.0.16 is wrong (see README).
 * Guarantees: expansion is bounded by the window asked for (skip-ahead, step budget,
 * occurrence cap); times are exact to RFC 5545 §3.3.5 in gaps and overlaps. */
#ifndef CW_CALENDARS_H
#define CW_CALENDARS_H

#include "common.h"

/* ---- time zones -------------------------------------------------------------------- */

/* Local wall-clock time. */
typedef struct cw_civil {
    int year, month, day, hour, minute, second;
} cw_civil;

typedef struct cw_tz cw_tz;
/* Open an IANA zone from the system zoneinfo ("UTC" works). CW_ENOTFOUND when unknown. */
int cw_tz_open(cw_tz **out, const char *name, cw_error *err) CW_WARN_UNUSED;
void cw_tz_free(cw_tz *tz);
const char *cw_tz_name(const cw_tz *tz);
/* Offset east of UTC in seconds at instant `utc`. */
int cw_tz_offset_at(const cw_tz *tz, int64_t utc);
void cw_tz_to_local(const cw_tz *tz, int64_t utc, cw_civil *out, int *offset_out);
/* Local -> UTC, RFC 5545 §3.3.5: a time in a spring-forward gap is shifted forward by the
 * gap's length; an ambiguous fall-back time is the first (earlier) occurrence. */
int64_t cw_tz_to_utc(const cw_tz *tz, const cw_civil *local);

/* Diagnostics: cw_diag / cw_diags live in common.h (one type for every module). */

/* ---- loaded calendars -------------------------------------------------------------- */

/* Not safe for concurrent use, even through a const pointer: expansion writes the set's
 * caches (interned ids, series positions, recurrence caches). Threads share a set only under
 * a lock (the session layer's views hand it out behind a mutex). */
typedef struct cw_calset cw_calset;
/* A new empty set. `default_tz` is the station's zone: floating times and all-day midnights
 * are read in it, and a file written for another zone gets a `cal.zone-differs` warning.
 * NULL: UTC, and no such warning (no station). */
cw_calset *cw_calset_new(const char *default_tz);
void cw_calset_free(cw_calset *set);
/* Whether files written for another zone than the set's default are warned about
 * (`cal.zone-differs`); on when cw_calset_new was given a zone. */
void cw_calset_set_zone_warnings(cw_calset *set, int on);

/* How one calendar file is used by the station. */
typedef struct cw_cal_file_opts {
    const char *label; /* the name shown in plans and diagnostics (NULL: the path) */
    int priority;      /* a higher number wins a conflict (default 0) */
    int holidays;      /* a public-holidays calendar: every all-day event is a blackout */
} cw_cal_file_opts;

/* Read one file and add it to the set. What calendar apps write is read as Google, Apple,
 * Outlook and Thunderbird read it, with a warning naming the line and what was assumed
 * (README "Exactness and limits"). An event that cannot be placed in time (no start, an end
 * before its start, an unknown zone, a rule that cannot be read) is skipped: each of its
 * errors is a diagnostic of severity error whose text begins "event 'SUMMARY' (UID U)
 * skipped: ", it is listed by cw_calset_skipped and placed by cw_calset_expand_skipped, and
 * every other event is used. Every problem goes to `diags` (may be NULL), in line order, with
 * a stable `cal.*` code.
 * Returns 0 when the file was added (check diags->errors and cw_calset_n_skipped for skipped
 * events); CW_EINVAL when the file as a whole is unusable (not iCalendar, malformed
 * structure: nothing added), CW_ELIMIT for the size and nesting bounds, CW_EIO when
 * unreadable, CW_ENOMEM. `opts` may be NULL (label = path, priority 0). */
int cw_calset_add_file_opts(cw_calset *set, const char *path, const cw_cal_file_opts *opts,
                            cw_diags *diags, cw_error *err);
/* Same, from memory (tests, fuzzing); opts->label names it (NULL: ""). */
int cw_calset_add_data_opts(cw_calset *set, const char *data, size_t len,
                            const cw_cal_file_opts *opts, cw_diags *diags, cw_error *err);
/* The two above with a label and a priority only. */
int cw_calset_add_file(cw_calset *set, const char *path, const char *label, int priority,
                       cw_diags *diags, cw_error *err);
int cw_calset_add_data(cw_calset *set, const char *data, size_t len, const char *label,
                       int priority, cw_diags *diags, cw_error *err);

/* ---- events skipped for errors ------------------------------------------------------ */

/* One event the set could not use. Strings are borrowed from the set. The planner turns the
 * occurrences cw_calset_expand_skipped gives into CW_SLOT_SKIPPED slots, so a partner sees a
 * broken event on the days it would have aired; one that cannot be placed (no readable start)
 * is reported once, from this list. */
typedef struct cw_cal_skipped {
    const char *file;    /* calendar label */
    int line;            /* its BEGIN:VEVENT */
    const char *uid;     /* "" when it has none */
    const char *summary; /* "" when it has none */
    const char *code;    /* its first error's code, e.g. "cal.dtend-before-dtstart" */
    const char *reason;  /* its first error's text: what is wrong (what to do) */
    int placeable;       /* its start was read: cw_calset_expand_skipped places it */
} cw_cal_skipped;
/* How many events were skipped in all files of the set, and the i-th (file order). */
size_t cw_calset_n_skipped(const cw_calset *set);
const cw_cal_skipped *cw_calset_skipped(const cw_calset *set, size_t i);

/* ---- what is in the set --------------------------------------------------------------- */

/* One file of the set, for `calendar list`. */
typedef struct cw_cal_file_info {
    const char *label;
    int priority, holidays;
    size_t n_events;     /* events read (a UID with its moved instances is one event) */
    size_t n_skipped;    /* events skipped for errors */
    int has_range;       /* first_start/last_end are set (some event could be placed) */
    int64_t first_start; /* UTC: the earliest start of any event */
    int64_t last_end;    /* UTC: the latest end, when not open_ended */
    int open_ended;      /* some rule has neither COUNT nor UNTIL (or more than the bounds) */
    const char *zone;    /* the zone it is written for (X-WR-TIMEZONE or its TZIDs), or "" */
} cw_cal_file_info;
size_t cw_calset_n_files(const cw_calset *set);
/* Fills *out for file i (0 <= i < cw_calset_n_files); CW_EINVAL when out of range. */
int cw_calset_file_info(const cw_calset *set, size_t i, cw_cal_file_info *out);
/* Events of files a and b with the same UID: the same calendar saved under two names
 * (Google's download is always basic.ics) shares most of its UIDs with its earlier import. */
size_t cw_calset_shared_uids(const cw_calset *set, size_t a, size_t b);
/* Warnings (`cal.series-typo`) about the series keys of file i that look like a typo of a key
 * used more often anywhere in the set ("math-g5" beside "maths-g5"; keys that differ only in
 * digits, like maths-g5 and maths-g6, are different series). Returns how many, or CW_ENOMEM. */
int cw_calset_check_series_keys(const cw_calset *set, size_t i, cw_diags *diags);
/* Is `key` (compared trimmed and in lower case, as calendars are read) the series key of some
 * event of the set? 1, or 0 with *suggestion set to the key it looks like a typo of (borrowed
 * from the set; NULL when none) — for "no calendar uses MATHS-G6: did you mean maths-g5?". */
int cw_calset_series_known(const cw_calset *set, const char *key, const char **suggestion);

/* One occurrence. All strings are borrowed from the set and live as long as it does. */
typedef struct cw_occurrence {
    const char *file;          /* label of the calendar */
    int priority;
    int line;                  /* line of the VEVENT (override if any) in the file */
    const char *uid;
    const char *summary;       /* "" when none */
    const char *description;   /* "" when none */
    const char *categories;    /* comma-separated, "" when none */
    const char *location;      /* "" when none */
    int64_t start, end;        /* UTC seconds, [start, end) */
    int all_day;               /* DATE-valued: start/end are local midnights */
    cw_date start_date, end_date; /* for all-day events: local dates, end exclusive */
    const char *recurrence_id; /* "20260316T090000Z" or "20260316"; "" for single events */
    int64_t recurrence_utc;    /* the original start this instance stands for */
    int cancelled;             /* STATUS:CANCELLED (shown only with include_cancelled) */
    int moved;                 /* a RECURRENCE-ID override changed its start */
    /* meaning for the station (README "Calendar meaning") */
    cw_kind kind;              /* lesson unless the partner said otherwise */
    const char *series;        /* series key, trimmed and lower-case, or "" */
    int episode;               /* explicit Episode: N on this instance, 0 when none */
    int repeat;                /* a repeat broadcast of a lesson already aired */
    const char *attach;        /* ATTACH value as written, "" when none */
    const char *teacher, *language; /* from X-CHALKWAVE-* or DESCRIPTION lines, "" */
    const char *text;          /* DESCRIPTION from a "Text:" line on: what a newsletter slot
                                  without a recording speaks (chalkwave speak), "" when none */
    const char *skipped;       /* cw_calset_expand_skipped only: why the event was skipped
                                  (its first error's text); "" otherwise */
} cw_occurrence;

typedef struct cw_occurrences {
    cw_occurrence *v;
    size_t n, cap;
} cw_occurrences;
void cw_occurrences_free(cw_occurrences *o);

/* Hard bounds (README "Limits"). */
#define CW_CAL_MAX_BYTES (8 * 1024 * 1024)
#define CW_CAL_MAX_DEPTH 16
#define CW_CAL_MAX_OCCURRENCES 100000 /* per expansion window */

/* Every occurrence overlapping [from, to) (UTC seconds), sorted by start, then UID,
 * then file. Cancelled ones only when include_cancelled. CW_ELIMIT with err naming the
 * event when a bound is hit. */
int cw_calset_expand(const cw_calset *set, int64_t from, int64_t to, int include_cancelled,
                     cw_occurrences *out, cw_error *err);

/* The occurrences events skipped for errors would have had in [from, to) (UTC): as far as
 * their start and rule could be read (a rule that could not be read: the start only; an end
 * that could not: zero length, a day for all-day events), with `skipped` set to the reason.
 * A skipped moved instance is placed at its own start when it could be read, else at its
 * RECURRENCE-ID. Sorted and bounded as cw_calset_expand; cancelled ones are left out. */
int cw_calset_expand_skipped(const cw_calset *set, int64_t from, int64_t to, cw_occurrences *out,
                             cw_error *err);

/* Which VEVENTs a filtered expansion keeps: called with each component of the set (a master,
 * or a RECURRENCE-ID override) described as an occurrence without times (file, priority,
 * line, uid, kind, series, episode, repeat, cancelled, all_day, ...; start, end and
 * recurrence_utc are 0, recurrence_id ""). Nonzero keeps the component's occurrences. */
typedef int (*cw_comp_filter)(const cw_occurrence *comp, void *ctx);

/* cw_calset_expand restricted to the components `keep` accepts: exactly the occurrences
 * cw_calset_expand gives whose own component (the master for its instances, the override
 * for the instance it replaces) is kept, in the same order. A master that is not kept is not
 * expanded at all (the cost is that of the kept events). Same bounds and errors. */
int cw_calset_expand_where(const cw_calset *set, int64_t from, int64_t to, int include_cancelled,
                           cw_comp_filter keep, void *ctx, cw_occurrences *out, cw_error *err);

/* The earliest UTC instant at which an occurrence of a kept component can start (a master's
 * DTSTART or earliest RDATE, an override's DTSTART): 0 and *out, or CW_ENOTFOUND when no
 * component is kept. */
int cw_calset_first_start(const cw_calset *set, cw_comp_filter keep, void *ctx, int64_t *out);

/* The 1-based position of `occ` in its series: occurrences of events with the same series
 * key in the same calendar file, counted from the first, skipping cancelled, EXDATE'd and
 * repeat instances; a moved instance keeps its original position (by RECURRENCE-ID), and an
 * override whose RECURRENCE-ID is no instance of its rule (expansion still shows it) counts
 * at its RECURRENCE-ID. For the scheduler's episode numbering. Cost: DAILY/WEEKLY/MONTHLY
 * rules are counted arithmetically (independent of the length of the history); other
 * events are expanded from their start once per set and cached. Bounded like expansion. */
int cw_calset_series_position(const cw_calset *set, const cw_occurrence *occ, long *out,
                              cw_error *err);

/* ---- export ------------------------------------------------------------------------ */

/* One broadcast in the station's schedule. */
typedef struct cw_export_event {
    const char *uid;         /* stable across re-exports */
    int64_t start, end;      /* UTC seconds */
    const char *summary;
    const char *description;
    const char *categories;  /* comma-separated or NULL */
    const char *series;      /* or NULL */
    int episode;             /* 0 none */
    const char *teacher, *language; /* or NULL */
} cw_export_event;

/* RFC 5545 text: VCALENDAR with one VTIMEZONE (bare IANA TZID `zone_id`, "UTC" when NULL or empty), VEVENTs in
 * local time, DTSTAMP = `dtstamp` (UTC seconds; callers pass a value derived from their
 * inputs so the output is deterministic), lines folded at 75 octets, CRLF, UTF-8.
 * `*out` is malloc'd; caller frees. */
int cw_cal_export(const cw_export_event *events, size_t n, const char *zone_id,
                  const char *calname, int64_t dtstamp, char **out, size_t *out_len,
                  cw_error *err);

/* ---- subscriptions: calendars followed by their published link ---------------------- */

/* One subscription, as calendars/subscriptions.conf keeps it (README "Calendar
 * subscriptions"). The URL often carries a secret (Google's "secret address"): it is kept
 * in that file only (mode 0600) and shown as cw_sub_url_redact gives it, never in full. */
typedef struct cw_subscription {
    char *name;          /* NAME.ics in calendars/ (a [calendars] key of station.conf) */
    char *url;           /* the http:// or https:// link (webcal:// is kept as https://) */
    int self_signed;     /* TLS: a certificate no known authority signed is accepted: pinned */
    char *pin;           /* "sha256//BASE64[;sha256//BASE64...]": keys the server must show, or NULL */
    char *etag;          /* validators of the stored copy for a conditional GET, or NULL */
    char *last_modified;
    char *sha256;        /* of the stored copy as fetched (64 hex digits), or NULL: a copy changed
                            since (by hand, by an import) is fetched whole again */
    int64_t checked;     /* UTC seconds of the last attempt, 0 never */
    char *result;        /* its outcome, one line: "ok", "unchanged", "failed: ...", or NULL */
    int64_t good;        /* UTC: when the stored copy was last known to be the partner's calendar */
    int64_t changed;     /* UTC: when the stored copy last changed */
    int line;            /* the [NAME] line in the file, 0 when not read from one */
} cw_subscription;

typedef struct cw_subs {
    cw_subscription *v;
    size_t n, cap;
} cw_subs;

/* Bounds of subscriptions.conf (doc/limits.md). */
#define CW_SUBS_MAX 1000
#define CW_SUBS_MAX_BYTES (1024 * 1024)
#define CW_SUB_URL_MAX 4096

/* Read subscriptions.conf text: `[NAME.ics]` sections with `key = value` lines (url, tls,
 * pin, etag, last_modified, sha256, checked, result, good, changed), '#' or ';' comment lines. The
 * value is the rest of the line (no inline comments: an ETag may hold any character).
 * CW_EINVAL with err naming `source` and the line for anything else (an unknown key, a
 * section twice, a section without url, a bad time), CW_ELIMIT past the bounds. *out is
 * empty on error. */
int cw_subs_parse(cw_subs *out, const char *source, const char *text, size_t len, cw_error *err);
/* The file at path; a missing file is no subscriptions (0). */
int cw_subs_load(cw_subs *out, const char *path, cw_error *err);
/* The text cw_subs_parse reads back to the same subscriptions (header comment, sorted by
 * name). Values that could break a line are left out (an ETag with a control character). */
int cw_subs_format(const cw_subs *subs, cw_buf *out);
/* Write path atomically with mode 0600 (it holds the links). */
int cw_subs_save(const cw_subs *subs, const char *path, cw_error *err);
void cw_subs_free(cw_subs *subs);
/* The subscription of calendar NAME (borrowed; NULL when none). */
cw_subscription *cw_subs_find(const cw_subs *subs, const char *name);
/* Add a copy of *sub, or replace the subscription with its name. 0 or CW_ENOMEM. */
int cw_subs_put(cw_subs *subs, const cw_subscription *sub);
/* Remove NAME's subscription: 0, or CW_ENOTFOUND. */
int cw_subs_remove(cw_subs *subs, const char *name);
void cw_subscription_clear(cw_subscription *sub); /* frees its strings, zeroes it */

/* A link as given -> the link fetched: webcal:// and webcals:// read as https://, http(s)
 * kept; the scheme in lower case. CW_EINVAL (err says what to give) for another scheme, no
 * host, blanks or control characters, or more than CW_SUB_URL_MAX bytes. *out is malloc'd. */
int cw_sub_url_normalise(const char *in, char **out, cw_error *err);
/* What may be shown of a link: scheme, host and port, and the first 8 hex digits of the
 * SHA-256 of the whole link: "https://calendar.google.com (link 1a2b3c4d)". Never the path,
 * query or user name, where secrets live. */
void cw_sub_url_redact(const char *url, char *out, size_t n);
/* The host (and port) of a link, "" when none. */
void cw_sub_url_host(const char *url, char *out, size_t n);
/* The short hash of a link: 8 hex digits. */
void cw_sub_url_hash(const char *url, char out[9]);
/* Replace in text (NUL-terminated, edited in place) everything that could give a link away:
 * the link and its path/query wherever they appear, and any other "scheme://..." run (a
 * redirect's target) by its redacted form. For libraries' error texts. */
void cw_sub_scrub(char *text, const char *url);
/* What may be shown of a subscription (the desk's calendars page, `calendar list`): never
 * the link, only its redacted form. Built from subscriptions.conf alone (no network, no
 * lock: the file is replaced atomically); plain data, safe to hand to any thread. */
typedef enum cw_sub_status {
    CW_SUB_NEVER = 0,       /* no fetch recorded (an entry written by hand; subscribe records one) */
    CW_SUB_OK,              /* the last update fetched a new copy or found it unchanged */
    CW_SUB_UNREACHABLE,     /* the last update could not reach the server (offline) */
    CW_SUB_FAILED           /* the last update was refused or kept out (result says why) */
} cw_sub_status;
const char *cw_sub_status_name(cw_sub_status s); /* "never", "ok", "unreachable", "failed" */

typedef struct cw_sub_state {
    char name[256];        /* NAME.ics in calendars/ */
    char link[400];        /* cw_sub_url_redact: "https://host (link 1a2b3c4d)" */
    char host[256];        /* host[:port] */
    char link_hash[9];     /* 8 hex digits */
    const char *tls;       /* "none", "verified", "verified, pinned", "self-signed, pinned" */
    cw_sub_status status;
    char result[512];      /* the last update's one line ("unchanged", "failed: not reachable
                              (...)"), "" when none; hosts only, never a link */
    int64_t last_fetch;    /* UTC seconds of the last attempt, 0 never */
    int64_t last_good;     /* UTC: when the stored copy was last known to be the partner's */
    int64_t last_change;   /* UTC: when the stored copy last changed */
} cw_sub_state;

/* The shown state of one subscription. */
void cw_sub_state_of(const cw_subscription *s, cw_sub_state *out);
/* The states of every subscription of the station in station_dir (calendars/
 * subscriptions.conf; none when the file is missing), sorted by name. *out is malloc'd
 * (free()), NULL when n is 0. Errors as cw_subs_load (the line named, never a link). */
int cw_subs_states(const char *station_dir, cw_sub_state **out, size_t *n, cw_error *err);
/* calendars/subscriptions.conf of the station in station_dir, malloc'd (NULL: out of memory). */
char *cw_subs_path(const char *station_dir);

/* The calendar's own name (X-WR-CALNAME, unfolded and unescaped, control characters as
 * blanks) from iCalendar bytes; "" when it has none. */
void cw_cal_data_name(const char *data, size_t len, char *out, size_t n);

/* ---- fetching links (libcurl) ------------------------------------------------------------ */

typedef struct cw_fetch_req {
    const char *url;           /* http:// or https:// (cw_sub_url_normalise) */
    const char *etag;          /* If-None-Match, or NULL */
    const char *last_modified; /* If-Modified-Since, or NULL */
    int self_signed;           /* accept a certificate no known authority signed */
    const char *pin;           /* sha256// keys the server must show (CURLOPT_PINNEDPUBLICKEY), or NULL */
    int want_pin;              /* give the key the server showed in res->server_pin */
    long timeout;              /* seconds for the whole transfer; 0: 60 */
    size_t max_bytes;          /* 0: CW_CAL_MAX_BYTES; the body is refused beyond, as it arrives */
} cw_fetch_req;

typedef enum cw_fetch_status {
    CW_FETCH_OK = 0,       /* a 2xx answer: body */
    CW_FETCH_NOT_MODIFIED, /* 304: the stored copy is current */
    CW_FETCH_UNREACHABLE,  /* no network, no such host, refused, no answer in time, cut short */
    CW_FETCH_HTTP_ERROR,   /* the server answered with an error status (http_code) */
    CW_FETCH_UNTRUSTED,    /* TLS: the certificate is not trusted or the key is not the pinned one */
    CW_FETCH_TOO_LARGE,    /* the body is over max_bytes */
    CW_FETCH_FAILED        /* anything else (too many redirects, a redirect to another scheme) */
} cw_fetch_status;

typedef struct cw_fetch_res {
    cw_fetch_status status;
    long http_code;            /* of the last answer, 0 when none */
    char *body;                /* CW_FETCH_OK: the body (NUL-terminated), else NULL */
    size_t len;
    char *etag, *last_modified, *content_type; /* of the last answer, or NULL */
    char *server_pin;          /* want_pin: "sha256//BASE64" of the server's key, or NULL */
    char text[512];            /* when not OK/NOT_MODIFIED: what went wrong, one line, hosts
                                  named, never a link ("cannot connect to example.org ...") */
} cw_fetch_res;

/* Fetch n links, at most `parallel` at a time (0: 8), TLS verified against the system's CA
 * store unless self_signed, with the pinned keys checked, at most 5 redirects (never from
 * https to http), compressed answers accepted. Each outcome is in res[i] (zeroed first).
 * Returns 0, or CW_ENOMEM / CW_EINTERNAL when libcurl cannot be set up (err). */
int cw_fetch_run(const cw_fetch_req *req, cw_fetch_res *res, size_t n, size_t parallel, cw_error *err);
/* The same, abandoned when stop(stop_user) returns non-zero (asked at least once a second):
 * then CW_ECANCELLED (err) and no outcome. stop NULL: never. */
int cw_fetch_run_until(const cw_fetch_req *req, cw_fetch_res *res, size_t n, size_t parallel,
                       int (*stop)(void *), void *stop_user, cw_error *err);
void cw_fetch_res_free(cw_fetch_res *res);
/* "sha256//BASE64" of the public key in a PEM certificate or public-key file (for --pin
 * FILE). CW_EINVAL (err) when the file holds neither. *out is malloc'd. */
int cw_fetch_pin_from_pem(const char *path, char **out, cw_error *err);
/* Whether s is a list of "sha256//BASE64" pins separated by ';'. */
int cw_fetch_pin_valid(const char *s);

/* ---- what changed between two copies of a calendar --------------------------------------- */

/* One instance as the change report compares it. Strings are borrowed (from the caller, or
 * owned by a cw_cal_changes when in one). */
typedef struct cw_cal_instance {
    const char *uid;
    const char *recurrence_id; /* "" for a single event */
    int64_t recurrence_utc;    /* the original start it stands for (its start for single events) */
    const char *summary;       /* "" when none */
    const char *series;        /* "" when none */
    long episode;              /* Episode: N, else its position in its series; 0 none */
    cw_kind kind;              /* lesson, newsletter or blackout */
    int64_t start, end;        /* UTC seconds */
    int all_day;
    cw_date start_date, end_date; /* all-day: local dates, end exclusive */
    int cancelled;
} cw_cal_instance;

typedef enum cw_change_type {
    CW_CHANGE_ADDED = 0,   /* only in the new copy */
    CW_CHANGE_REMOVED,     /* only in the old copy */
    CW_CHANGE_CANCELLED,   /* STATUS:CANCELLED in the new copy only */
    CW_CHANGE_RESTORED,    /* cancelled in the old copy only */
    CW_CHANGE_MOVED,       /* another start or end (maybe also another series or episode) */
    CW_CHANGE_CHANGED      /* same times; another series, episode or kind */
} cw_change_type;
const char *cw_change_type_name(cw_change_type t); /* "added", ... (JSON values) */

/* How a moved instance was recognised. */
typedef enum cw_change_match {
    CW_MATCH_RID = 0,   /* same UID and RECURRENCE-ID */
    CW_MATCH_EPISODE,   /* same series and episode (the partner made a new event of it) */
    CW_MATCH_UID        /* same UID, nearest in time (the series was moved: new RECURRENCE-IDs) */
} cw_change_match;

/* Bits of cw_cal_change.what */
#define CW_CHANGED_START 1u
#define CW_CHANGED_END 2u
#define CW_CHANGED_SERIES 4u
#define CW_CHANGED_EPISODE 8u
#define CW_CHANGED_KIND 16u
#define CW_CHANGED_SUMMARY 32u

typedef struct cw_cal_change {
    cw_change_type type;
    unsigned what;              /* CW_CHANGED_* for MOVED and CHANGED */
    cw_change_match match;
    int has_before, has_after;
    cw_cal_instance before, after; /* strings owned by the list */
} cw_cal_change;

typedef struct cw_cal_changes {
    cw_cal_change *v;
    size_t n, cap;
    cw_strlist strings; /* owns the instances' strings */
} cw_cal_changes;
void cw_cal_changes_free(cw_cal_changes *c);

/* The changes between two expansions of a calendar, as a pure function: `before` and `after`
 * are its instances in the old and the new copy (any order; cancelled ones included), and
 * only changes whose old or new instance overlaps [from, to) are kept. Matching: (1) UID +
 * RECURRENCE-ID; then, among what is left (not cancelled), (2) same kind, series and episode
 * (episode > 0); (3) same UID, in time order, starts at most 7 days apart. Matched pairs that
 * differ in start or end are MOVED, in series, episode or kind CHANGED (a new SUMMARY alone is
 * no change); a match that becomes cancelled is CANCELLED, the reverse RESTORED; the rest is
 * ADDED or REMOVED (cancelled instances without a partner are no change: they do not air).
 * Sorted by the earlier of the two starts, then UID, then RECURRENCE-ID. 0 or CW_ENOMEM. */
int cw_cal_compare(const cw_cal_instance *before, size_t n_before, const cw_cal_instance *after,
                   size_t n_after, int64_t from, int64_t to, cw_cal_changes *out);

/* The changes between calendar file 0 of set `before` and file 0 of set `after` (the old and
 * the new copy, read with the same options) over [from, to): lessons, newsletter slots and
 * blackouts, expanded with a margin of 62 days on each side so a lesson moved out of the
 * window is MOVED, not REMOVED; episodes are Episode: N, else the position in the series
 * (cw_calset_series_position). Errors of expansion (CW_ELIMIT) as cw_calset_expand. */
int cw_cal_changes_between(const cw_calset *before, const cw_calset *after, int64_t from, int64_t to,
                           cw_cal_changes *out, cw_error *err);
/* One line for a change, times in zone tz: "Maths P5 ep 12 moved from Tue 10 Mar 09:00 to
 * Wed 11 Mar 10:00". Appended to out (no newline). */
void cw_cal_change_text(const cw_cal_change *c, const cw_tz *tz, cw_buf *out);

/* Release libical's global caches (call once at exit). */
void cw_cal_cleanup(void);

#endif
