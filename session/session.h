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

#endif
