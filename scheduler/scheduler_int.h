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

/* Everything the planner core decides from. Nothing here is read from disk except the
 * ATTACH check (symlinks), which looks at st->dir/library. */
typedef struct cw_sched_input {
    const cw_station *st;       /* rate, channels, fade, policies, fillers, dir, timezone */
    cw_date date;
    int64_t window_start, window_end; /* UTC seconds */
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

/* The on-air window of a station-local date as UTC seconds [ws, we); -1 when empty. */
int cw_plan_window(const cw_station *st, const cw_tz *tz, cw_date date, int64_t *ws, int64_t *we);

/* Length of a recording in samples at `rate` (floor); 0 when unusable. */
int64_t cw_sched_rec_samples(const cw_recording *r, int rate);

#endif
