/* session.h — a station opened once, for the CLI, the desk and playout: its settings, its
 * partner calendars, its own changes (calendars/station.ics) and its library, loaded once
 * and reloaded when their files change, and the calls each command or web handler is made
 * of (plan a day, the chase list, build a day, record a station change).
 * Guarantees: every call sees the station as it is on disk when the call starts (files are
 * compared by device, inode, size and modification time, nanoseconds; see walk_seconds for
 * a library file rewritten in place by another program); the station lock is
 * taken per call — shared to read, exclusive to write — and never held between calls unless
 * the caller asks (cw_session_lock); library code: nothing is printed.
 *
 * Thread contract (DESIGN.md "Session"):
 *  - Every cw_session_* call may be made from several threads at once on one session,
 *    except cw_session_lock/unlock (the owner's) and the borrowed accessors
 *    cw_session_station/calendars/library/changes/diags, whose results are valid only until
 *    the next call on the session: single-threaded callers (the CLI) use those; threads use
 *    views.
 *  - A view (cw_session_view_get) is an immutable snapshot with a reference count: its
 *    station, library, pending library, changes and diagnostics are plain data, safe to read
 *    from any number of threads until cw_session_view_put. Its calendar set is not (libical
 *    and the set's caches are written while expanding, even through a const pointer): take
 *    it with cw_view_calendars_lock and give it back with cw_view_calendars_unlock; the
 *    session's own calls do the same.
 *  - Results of calls (cw_plan, cw_slot_list, bundle reports) are owned by the caller.
 *  - libical (under the calendars) keeps its error state per thread and locks its zone
 *    cache; the first cw_session_open initialises it once per process (its built-in zone
 *    table, whose first load can race: libical #1029), so open a session before starting
 *    threads that use calendars without one. */
#ifndef CW_SESSION_H
#define CW_SESSION_H

#include "audio.h"
#include "calendars.h"
#include "common.h"
#include "playlists.h"
#include "scheduler.h"
#include "station.h"

typedef struct cw_session cw_session;
typedef struct cw_session_view cw_session_view;

typedef struct cw_session_opts {
    int lock_wait;       /* seconds a call waits for the station lock (0: try once) */
    double walk_seconds; /* how often the whole library is walked file by file (0: every
                            5 s). Between walks a call looks only at the library's folders:
                            a recording added, removed, renamed or replaced (as chalkwave
                            writes) shows at once; one rewritten in place by another program
                            within this many seconds. Negative: every call walks. */
} cw_session_opts;

/* Open the station in `dir`: station.conf is read now (so a wrong folder or a bad setting is
 * reported here, with the same words as cw_station_load); calendars and library on the first
 * call that needs them. opts NULL: calls wait up to 600 s for the lock. */
int cw_session_open(cw_session **out, const char *dir, const cw_session_opts *opts, cw_error *err) CW_WARN_UNUSED;
/* Frees the session (and releases a lock it holds). Views still held stay valid. */
void cw_session_free(cw_session *s);
/* The station folder (absolute). */
const char *cw_session_dir(const cw_session *s);

/* Hold the station lock from now until cw_session_unlock (or free): the CLI's command-table
 * flags LOCK_SHARED and LOCK_EXCL. While held, calls do not take it again, and a call that
 * writes needs it exclusive (else CW_EINTERNAL). Waits up to opts.lock_wait seconds, then
 * CW_ELOCKED. */
int cw_session_lock(cw_session *s, int exclusive, cw_error *err) CW_WARN_UNUSED;
void cw_session_unlock(cw_session *s);

/* What a refresh reloaded (bits of *changed). */
enum {
    CW_SESSION_STATION = 1,   /* station.conf */
    CW_SESSION_CALENDARS = 2, /* calendars/ *.ics (partner calendars) */
    CW_SESSION_CHANGES = 4,   /* calendars/station.ics */
    CW_SESSION_LIBRARY = 8,   /* library/ */
    CW_SESSION_PENDING = 16   /* pending/ (recordings awaiting approval) */
};
/* Reload whatever changed on disk since the last load (under a shared lock). The first call
 * loads everything. changed may be NULL. Errors name the file (a calendar that no longer
 * loads, a station.conf edited wrong); the session keeps its previous state then. */
int cw_session_refresh(cw_session *s, unsigned *changed, cw_error *err) CW_WARN_UNUSED;

/* ---- views: snapshots for threads ------------------------------------------------------ */

/* Refresh, then hand out the current snapshot (a new reference). */
int cw_session_view_get(cw_session *s, cw_session_view **out, cw_error *err) CW_WARN_UNUSED;
void cw_session_view_put(cw_session_view *v); /* NULL is fine */
const cw_station *cw_view_station(const cw_session_view *v);
const cw_library *cw_view_library(const cw_session_view *v);
const cw_library *cw_view_pending(const cw_session_view *v); /* uploads awaiting approval (pending/) */
const cw_station_changes *cw_view_changes(const cw_session_view *v);
/* Warnings found loading the calendars (cal.* codes), for pages and `check`-like output. */
const cw_diags *cw_view_diags(const cw_session_view *v);
/* The calendar set, for one thread at a time (see the contract above). */
const cw_calset *cw_view_calendars_lock(cw_session_view *v);
void cw_view_calendars_unlock(cw_session_view *v);

/* ---- borrowed accessors (single-threaded callers) ---------------------------------- */

/* The current snapshot's parts, valid until the next call on s; NULL before the first load
 * (the station is there from cw_session_open on). */
const cw_station *cw_session_station(cw_session *s);
const cw_calset *cw_session_calendars(cw_session *s);
const cw_library *cw_session_library(cw_session *s);
const cw_station_changes *cw_session_changes(cw_session *s);
const cw_diags *cw_session_diags(cw_session *s);
/* What the last attempt to load the calendars reported: after a refresh that failed on a
 * calendar, its errors (FILE:LINE each), which the current snapshot does not have. */
const cw_diags *cw_session_load_diags(cw_session *s);

/* ---- calls ----------------------------------------------------------------------------- */

/* Plan one station-local day (shared lock). With 'missed = hold' the planner asks what aired
 * before: the records are the day bundles' plans (out/DATE/plan.json); asrun/ will take over
 * (issue #16). */
int cw_session_plan(cw_session *s, cw_date date, cw_plan **out, cw_error *err) CW_WARN_UNUSED;
/* Plan from..to (at most 400 days), under one lock and one refresh. *out has *n plans. */
int cw_session_plans(cw_session *s, cw_date from, cw_date to, cw_plan ***out, size_t *n,
                     cw_error *err) CW_WARN_UNUSED;
void cw_session_plans_free(cw_plan **plans, size_t n);
/* The slots from..to whose status is in `status_mask` (bits 1u << cw_slot_status; 
 * CW_SLOTS_ALL), of one series (any case) or all (NULL), appended to *out. */
int cw_session_slots(cw_session *s, cw_date from, cw_date to, unsigned status_mask, const char *series,
                     cw_slot_list *out, cw_error *err) CW_WARN_UNUSED;
/* The chase list: slots whose recording has not arrived or awaits approval. */
int cw_session_missing(cw_session *s, cw_date from, cw_date to, cw_slot_list *out, cw_error *err) CW_WARN_UNUSED;
/* Plan the day and write its bundle to out_dir (NULL: STATION/out/YYYY-MM-DD), shared lock
 * (ingests wait; other readers and builds go on). The plan is handed back in *plan_out when
 * not NULL. */
int cw_session_build(cw_session *s, cw_date date, const char *out_dir, cw_bundle_report *report,
                     cw_plan **plan_out, cw_error *err) CW_WARN_UNUSED;

/* Record a station change in calendars/station.ics (exclusive lock). *id_out (may be NULL)
 * gets the change's id, malloc'd. A MOVE or CANCEL names its instance by calendar label, UID,
 * RECURRENCE-ID and own start: cw_session_find_slot finds them from a date and a time. */
int cw_session_change_add(cw_session *s, const cw_station_change *c, char **id_out, cw_error *err) CW_WARN_UNUSED;
/* Remove a change by id (exclusive lock); CW_ENOTFOUND names the ids there are. */
int cw_session_change_remove(cw_session *s, const char *id, cw_error *err) CW_WARN_UNUSED;
/* The lesson or newsletter slot of `date` starting at local `minutes` after midnight (of the
 * series, when series is not NULL): a copy in *out (cw_slot_list of one). CW_ENOTFOUND when
 * none; CW_EINVAL naming the series there are when several start then. */
int cw_session_find_slot(cw_session *s, cw_date date, int minutes, const char *series, cw_slot_list *out,
                         cw_error *err) CW_WARN_UNUSED;

/* ---- the library ---------------------------------------------------------------------- */

/* Ingest one file with the station's current settings (cw_ingest; shared lock: ingests run
 * side by side). When opts gives no series check, the session's calendars give it (the
 * calendar set is held only for that question). A desk upload sets opts->pending and
 * opts->display_name; a non-zero return of opts->progress cancels (CW_ECANCELLED, nothing
 * stored). The next call on the session sees what was stored. */
int cw_session_ingest(cw_session *s, const char *src_path, const cw_ingest_opts *opts, cw_ingest_result *res,
                      cw_error *err) CW_WARN_UNUSED;
/* An upload awaiting approval (a "pending/..." path of cw_view_pending) goes into the library
 * (cw_library_approve: *library_path gets its new path, may be NULL) or is rejected with a
 * reason the teacher will read (cw_library_reject). */
int cw_session_approve(cw_session *s, const char *pending_path, int replace, char *library_path, size_t cap,
                       cw_error *err) CW_WARN_UNUSED;
int cw_session_reject(cw_session *s, const char *pending_path, const char *reason, cw_error *err) CW_WARN_UNUSED;

/* ---- subscribed calendars: `calendar update` (sub_update.c, sub_report.c) --------------------- */

/* What became of one subscription in an update. */
typedef enum cw_subup_outcome {
    CW_SUBUP_UNCHANGED = 0, /* 304, the same bytes, or only new DTSTAMPs */
    CW_SUBUP_UPDATED,       /* a new copy stored */
    CW_SUBUP_UNREACHABLE,   /* no network, no answer, cut short (the copy kept) */
    CW_SUBUP_REFUSED,       /* an answer that is no usable calendar (the copy kept) */
    CW_SUBUP_FAILED         /* an HTTP error, an untrusted certificate, too many redirects, too large */
} cw_subup_outcome;
const char *cw_subup_outcome_name(cw_subup_outcome o); /* "unchanged", ... (JSON values) */

typedef struct cw_subup_opts {
    const char *const *names; /* NAME or NAME.ics of the subscriptions to update; none: all */
    size_t n_names;
    int days;          /* what changed in the next `days` days (1..366) */
    cw_date from;      /* the first of them; year 0: today, station time */
    int timeout;       /* seconds per link (1..3600) */
    int accept_errors; /* take a new copy even when some of its events cannot be read */
    int lock_wait;     /* seconds to wait for the subscriptions' lock and the station lock */
    /* non-zero: stop (asked at least once a second while fetching, and before storing):
     * CW_ECANCELLED, nothing stored or recorded. NULL: never */
    int (*cancelled)(void *user);
    void *cancel_user;
} cw_subup_opts;

typedef struct cw_subup_result {
    char *name;               /* NAME.ics */
    char source[400];         /* the link as shown (cw_sub_url_redact): never the link */
    cw_subup_outcome outcome;
    int restamped;            /* UNCHANGED: the new copy differed only in its DTSTAMP lines */
    char why[1200];           /* outcome > UPDATED: why, one line, no link */
    int64_t good;             /* UTC: the copy in use was last known good then (0: never) */
    char kept[200];           /* "keeping the copy of 2026-03-02" (for outcome > UPDATED) */
    size_t events, skipped;   /* UPDATED: events of the new copy, and those skipped for errors */
    cw_cal_changes changes;   /* UPDATED: what changed in the window */
    char changes_error[1024]; /* "" or why what changed cannot be said */
} cw_subup_result;

typedef struct cw_subup_stale {
    cw_date date;      /* out/DATE/ was built before changes to that day */
    cw_strlist cals;   /* the calendars whose changes touch it */
} cw_subup_stale;

typedef struct cw_subup {
    cw_date from;
    int days;
    char *timezone;           /* the station's zone: times in texts and JSON */
    cw_subup_result *v;       /* in the order of subscriptions.conf, or as named */
    size_t n;
    cw_subup_stale *stale;
    size_t n_stale;
    int stale_unknown;        /* stale bundles could not be listed (out of memory) */
} cw_subup;

/* Fetch the subscriptions of the station in station_dir again (all, or o->names) and keep
 * the last good copy of each when the new one is empty, a web page, refused by import's
 * checks or has errors the stored one has not; store the new copies (calendars/NAME.ics and
 * their [calendars] lines, atomically, under the exclusive station lock held only while
 * storing; the network is used under calendars/.chalkwave.lock alone), record each outcome in
 * subscriptions.conf, and say what changed in the window and which built bundles are stale.
 * A name that is no subscription: CW_EUSAGE before anything is fetched. Other errors (a lock,
 * the disk) as their calls; outcomes of single calendars are results, not errors. Free *out
 * with cw_subup_free (also after an error). Nothing is printed. */
int cw_calendar_update(const char *station_dir, const cw_subup_opts *o, cw_subup *out, cw_error *err) CW_WARN_UNUSED;
void cw_subup_free(cw_subup *u);
/* 0 when every calendar was fetched and usable; CW_EINVAL when a new copy was refused or a
 * server answered with an error; CW_EIO when nothing could be fetched (offline). */
int cw_subup_status(const cw_subup *u);
/* The report as `calendar update` prints it: text (changes, stale bundles), or the JSON of
 * --format json (with its newline). Appended to b; 0 or CW_ENOMEM. */
int cw_subup_text(const cw_subup *u, cw_buf *b);
int cw_subup_json(const cw_subup *u, cw_buf *b);
/* Why a fetched body is no calendar (empty, a web page: a sign-in page), or NULL (what
 * `calendar subscribe` and update refuse before reading it as a calendar). */
const char *cw_sub_body_problem(const cw_fetch_res *r);
/* One change as a line ("Maths P5 ep 12 moved from ..."), in the update's zone. */
int cw_subup_change_text(const cw_subup *u, const cw_cal_change *c, cw_buf *b);

#endif
