/* scheduler_int.h — internals of the scheduler: the planner core as a pure function of
 * (station settings, occurrences, series positions, library), so it can be tested with
 * in-memory data; and small time helpers shared by the plan writers.
 * Not a public interface: only scheduler sources and its unit tests use it. */
#ifndef CW_SCHEDULER_INT_H
#define CW_SCHEDULER_INT_H

#include "scheduler.h"

/* Upper bound on items in one plan: beyond it gaps are filled with one silence item. */
#define CW_PLAN_MAX_ITEMS 50000
/* Longest on-air window a plan may have (a 24 h window on a 25 h DST day, with margin). */
#define CW_PLAN_MAX_WINDOW (26 * 3600)

/* What the station did to one occurrence (station.ics), for its slot. */
typedef struct cw_sched_note {
    int station_cancelled;      /* cancelled by the station (`change cancel`) */
    int moved;                  /* moved by the station: it stands at its new time */
    int64_t moved_from;         /* its own start (UTC) when moved */
    const char *change_id;      /* the change, for the reason text ("" none) */
} cw_sched_note;

/* Everything the planner core decides from. Nothing here is read from disk except the
 * ATTACH check (symlinks), which looks at st->dir/library. */
typedef struct cw_sched_input {
    const cw_station *st;       /* rate, channels, fade, policies, fillers, dir, timezone, mode */
    cw_date date;
    int64_t window_start, window_end; /* UTC seconds: the first window's start, the last's end */
    const cw_plan_window *windows;    /* the on-air windows in order; NULL: one, [start, end) */
    size_t n_windows;
    int start_offset, end_offset;     /* UTC offsets at the window's ends */
    const cw_plan_tzchange *tz_changes; /* offset changes inside the window */
    size_t n_tz_changes;
    const cw_occurrence *occ;   /* occurrences overlapping the window, any order */
    size_t n_occ;
    /* Per occurrence: its episode number by series position (cw_calset_series_position,
     * less lessons suppressed by blackouts before it); 0 when unknown or not a series
     * lesson. May be NULL (all unknown). */
    const long *positions;
    const cw_library *lib;      /* may be NULL (empty library) */
    const cw_library *pending;  /* recordings awaiting approval, may be NULL */
    const cw_sched_note *notes; /* per occurrence, may be NULL (no station changes) */
    const cw_station_changes *changes; /* holds of series on this date, may be NULL */
} cw_sched_input;

/* Plan from the inputs above. Errors: CW_ENOMEM, CW_EINVAL (bad window or rate). */
int cw_sched_run(cw_plan **out, const cw_sched_input *in, cw_error *err) CW_WARN_UNUSED;

/* UTC offset in effect at UTC second t, from a plan's start offset and changes. */
int cw_sched_offset_at(int start_offset, const cw_plan_tzchange *ch, size_t n, int64_t t);

/* Format an instant given as UTC second + fraction in samples (frac < rate) as ISO 8601:
 * local with "+HH:MM" when utc_mode is 0, "Z" when 1; ".mmm" only when frac != 0.
 * out needs 32 bytes. */
void cw_sched_format_time(int64_t utc, int64_t frac, int rate, int offset, int utc_mode,
                          char out[32]);

/* Parse what cw_sched_format_time writes (seconds precision: fraction ignored). Returns 0 and
 * the UTC second and offset, or -1. */
int cw_sched_parse_time(const char *s, int64_t *utc, int *offset);

/* The on-air windows of a station-local date as UTC seconds, in order; returns how many
 * (0 when a window is empty in the zone, e.g. inside a DST gap). */
size_t cw_plan_windows(const cw_station *st, const cw_tz *tz, cw_date date, cw_plan_window out[CW_MAX_ON_AIR]);
/* The instants a date's slots cover, [from, to): from local midnight (or the previous day's
 * last window end, when that window runs past midnight) to the next local midnight (or this
 * day's last window end, when later). */
void cw_plan_day_span(const cw_station *st, const cw_tz *tz, cw_date date, int64_t *from, int64_t *to);
/* The hold of `series` (case-insensitive) in force on local date `d`, or NULL. */
const cw_station_change *cw_changes_hold_on(const cw_station_changes *c, const char *series, cw_date d);

/* The recording of `series` (any case) and `episode` in lib: the first by path; NULL none. */
const cw_recording *cw_sched_find_episode(const cw_library *lib, const char *series, int episode);
/* 1 when a recording may air on local date `day` (valid_from/valid_until). */
int cw_sched_valid_on(const cw_recording *r, cw_date day);

/* Episode numbers of the day's series lessons (plan_history.c): positions[i] comes in as
 * the calendar's series position of occ[i] and leaves as the episode it plays, less the
 * earlier lessons that did not use up a number (blackouts, holds, station cancels), from a
 * restart's episode when the station restarted the series, and under 'missed = hold'
 * counting only the earlier lessons that aired (records first, else the library). */
typedef struct cw_hist_in {
    const cw_calset *cals;
    const cw_tz *tz;
    const cw_station *st;
    const cw_station_changes *changes; /* may be NULL */
    const cw_library *lib;             /* may be NULL */
    const cw_air_history *history;     /* may be NULL */
    cw_date date;
    int64_t day_end;                   /* UTC: nothing at or after it is looked at */
} cw_hist_in;
int cw_sched_episodes(const cw_hist_in *in, const cw_occurrences *day, long *positions, cw_error *err);


/* Length of a recording in samples at `rate` (floor); 0 when unusable. */
int64_t cw_sched_rec_samples(const cw_recording *r, int rate);

#endif
