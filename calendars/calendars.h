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
cw_calset *cw_calset_new(const char *default_tz /* floating times; NULL = UTC */);
void cw_calset_free(cw_calset *set);

/* Parse and validate one file and add it to the set. Every problem goes to `diags`
 * (may be NULL). Returns CW_EINVAL when the file has errors (then it is not added),
 * CW_ELIMIT for size/nesting bounds, CW_EIO when unreadable. `priority` is the
 * station's priority for this partner calendar; `label` the name shown in plans
 * (usually the file's base name). */
int cw_calset_add_file(cw_calset *set, const char *path, const char *label, int priority,
                       cw_diags *diags, cw_error *err);
/* Same, from memory (tests, fuzzing). */
int cw_calset_add_data(cw_calset *set, const char *data, size_t len, const char *label,
                       int priority, cw_diags *diags, cw_error *err);

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
    const char *series;        /* series key or "" */
    int episode;               /* explicit Episode: N on this instance, 0 when none */
    int repeat;                /* a repeat broadcast of a lesson already aired */
    const char *attach;        /* ATTACH value as written, "" when none */
    const char *teacher, *language; /* from X-CHALKWAVE-* or DESCRIPTION lines, "" */
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

/* Release libical's global caches (call once at exit). */
void cw_cal_cleanup(void);

#endif
