/* scheduler.h — the day plan: calendar occurrences + the library + station settings ->
 * an ordered list of items in blocks (gapless runs) over the on-air windows, exact to the
 * sample, and a slot for every partner event instance of the day saying what became of it.
 * Guarantees: the plan is computed, never stored: the same inputs give the same plan
 * (byte-identical JSON); every decision that costs airtime is a warning (cw_diag with a
 * stable plan.* code), never only a sentence. */
#ifndef CW_SCHEDULER_H
#define CW_SCHEDULER_H

#include "audio.h"
#include "calendars.h"
#include "common.h"
#include "station.h"

typedef struct cw_plan_item {
    int64_t offset_samples; /* from the window start, at the station rate */
    int64_t length_samples;
    int64_t start_utc_ms;   /* derived: window start + offset / rate, in ms */
    cw_kind kind;           /* LESSON, NEWSLETTER, FILLER or SILENCE */
    int hard_start;         /* begins exactly at a scheduled time */
    int repeat;             /* a repeat broadcast of a lesson */
    int cut;                /* shorter than its recording: cut at a hard start */
    double fade_out;        /* seconds of fade at the cut (0 when not cut) */
    char *title, *teacher, *language, *series; /* "" when none */
    int episode;            /* 0 when none */
    char *recording;        /* path relative to the station; NULL for silence */
    int64_t recording_samples; /* full length of the recording (0 for silence) */
    char *event_file, *event_uid, *event_recurrence_id; /* NULL for fill */
    cw_diags warnings;      /* the plan's warnings about this item (copies) */
} cw_plan_item;

/* A change of the station zone's UTC offset inside the window (a DST change): from UTC
 * second `utc` on, local time is UTC + `offset` seconds. */
typedef struct cw_plan_tzchange {
    int64_t utc;
    int offset;
} cw_plan_tzchange;

/* A block: a run of items that play back to back (gapless, contiguous in samples). A plan
 * has one block per stretch of airtime chalkwave fills: one per on-air window in day mode,
 * one per run of contiguous partner events in blocks mode (README "Bundle modes"). Between
 * blocks the station's own programming (or nothing) airs: no item covers a gap. */
typedef struct cw_plan_block {
    size_t first_item, n_items;   /* items[first_item .. first_item + n_items) */
    int64_t offset_samples;       /* of its first item, from the plan's window start */
    int64_t length_samples;       /* sum of its items' lengths */
} cw_plan_block;

/* A partner event instance in the plan's day and what became of it: the timetable (export,
 * guide), the chase list (plan --missing, the desk), proof of broadcast (report) and the
 * change report of subscriptions all read slots, never the warning sentences. Every lesson,
 * newsletter, filler-slot and blackout instance of the day is a slot, cancelled ones and
 * those outside the on-air windows included. "The day" is the station-local date, from the
 * previous day's last window end when that window runs past midnight, to midnight or this
 * day's last window end: every instant belongs to exactly one day's plan. Slots moved by
 * the station appear on the day they move to. */
typedef enum cw_slot_status {
    CW_SLOT_AIRS = 0,   /* its recording (or a fill, for a newsletter slot) plays */
    CW_SLOT_MISSING,    /* its recording has not arrived: the station's fallback plays */
    CW_SLOT_PENDING,    /* its recording is awaiting approval (desk): the fallback plays */
    CW_SLOT_CANCELLED,  /* STATUS:CANCELLED by the partner, or cancelled by the station */
    CW_SLOT_BLACKOUT,   /* inside a holiday / blackout */
    CW_SLOT_LOST,       /* lost a conflict with a higher-priority event */
    CW_SLOT_OFF_AIR,    /* outside the station's on-air windows */
    CW_SLOT_HELD,       /* its series is held by the station */
    CW_SLOT_SKIPPED     /* the partner's event could not be read (calendar error) */
} cw_slot_status;
const char *cw_slot_status_name(cw_slot_status s); /* "airs", "missing", ... (JSON values) */

typedef struct cw_plan_slot {
    cw_kind kind;                 /* LESSON, NEWSLETTER, FILLER or BLACKOUT */
    cw_slot_status status;
    int64_t start_utc, end_utc;   /* seconds, the event's own times */
    char *summary;                /* the event's SUMMARY ("" none) */
    char *series, *teacher, *language; /* "" when none */
    int episode;                  /* the episode this slot is for (0 none) */
    char *recording;              /* what plays for it, NULL when nothing of its own */
    char *event_file, *event_uid, *event_recurrence_id; /* recurrence id NULL for single events */
    size_t first_item, n_items;   /* plan items that play for it (n_items 0 when none) */
    char *reason;                 /* why it does not air as planned, one sentence; "" when it airs */
    int station_change;           /* moved, held, restarted or cancelled by the station */
} cw_plan_slot;

/* One on-air window of the day, UTC seconds [start_utc, end_utc). */
typedef struct cw_plan_window {
    int64_t start_utc, end_utc;
} cw_plan_window;

typedef struct cw_plan {
    cw_date date;
    char *timezone;
    int rate, channels;
    cw_bundle_mode mode;                      /* day: windows filled; blocks: events only */
    int64_t window_start_utc, window_end_utc; /* seconds: the first window's start, the last one's end */
    int start_offset, end_offset;             /* UTC offsets (s) at those two instants */
    cw_plan_window *windows;                  /* the on-air windows, in order (at least one) */
    size_t n_windows;
    cw_plan_item *items;  /* in time order, never overlapping, each inside one window; in day */
    size_t n_items;       /* mode they cover every window exactly, in blocks mode the events */
    cw_diags warnings;    /* every warning of the plan, codes plan.* (README "Plan warnings") */
    cw_plan_tzchange *tz_changes; /* offset changes inside the window, by time; the offset */
    size_t n_tz_changes;          /* before the first one is start_offset */
    cw_plan_block *blocks;        /* derived from the items (cw_plan_compute_blocks), by time */
    size_t n_blocks;
    cw_plan_slot *slots;          /* partner event instances of the day, by start then UID */
    size_t n_slots;
} cw_plan;

/* ---- station changes (calendars/station.ics) -------------------------------------- */

/* What the station changed without the partner's calendar (README "Station changes"):
 * written by `chalkwave change`, kept in calendars/station.ics, applied above every
 * partner calendar. Dates are station-local; instants UTC seconds. */
typedef enum cw_change_action {
    CW_CHANGE_HOLD = 1, /* series: its lessons from `from` (to `until`, included) do not air
                           and do not use up episodes: the series resumes where it stopped */
    CW_CHANGE_RESTART,  /* series: from `from` its lessons count again from `episode` */
    CW_CHANGE_MOVE,     /* one instance: airs at [start, end) instead of its own time */
    CW_CHANGE_CANCEL    /* one instance: does not air and does not use up an episode */
} cw_change_action;

typedef struct cw_station_change {
    cw_change_action action;
    char *id;                     /* the change's UID in station.ics (stable, for `change remove`) */
    char *series;                 /* HOLD, RESTART: the series key (compared case-insensitively) */
    cw_date from, until;          /* HOLD: from..until (until.year 0: open); RESTART: from */
    int episode;                  /* RESTART */
    char *event_file, *event_uid; /* MOVE, CANCEL: the partner instance (calendar label, UID) */
    char *recurrence_id;          /* its RECURRENCE-ID as cw_occurrence has it ("" single events) */
    int64_t orig_start;           /* its own start (UTC), to find it */
    int64_t start, end;           /* MOVE: the new times (UTC) */
    char *note;                   /* why, as the station wrote it ("" none) */
} cw_station_change;

typedef struct cw_station_changes {
    cw_station_change *v;
    size_t n, cap;
} cw_station_changes;
void cw_station_changes_free(cw_station_changes *c);

/* Read STATION/calendars/station.ics (no file: an empty list). Refuses a file chalkwave
 * did not write in the documented shape with err naming the file and line. */
int cw_station_changes_load(cw_station_changes *out, const char *station_dir, cw_error *err) CW_WARN_UNUSED;
/* The same from text (tests, fuzzing); `source` names it in errors. */
int cw_station_changes_parse(cw_station_changes *out, const char *text, size_t len, const char *source,
                             cw_error *err) CW_WARN_UNUSED;
/* The list as station.ics text (deterministic: DTSTAMP derived from the changes). */
int cw_station_changes_to_ics(const cw_station_changes *c, const char *timezone, cw_buf *out);
/* Write the list to STATION/calendars/station.ics atomically (the caller holds the station
 * lock exclusively). An empty list removes the file. */
int cw_station_changes_save(const cw_station_changes *c, const char *station_dir, const char *timezone,
                            cw_error *err) CW_WARN_UNUSED;
/* Append a copy of `ch` (its id is made from its content when NULL). */
int cw_station_changes_add(cw_station_changes *c, const cw_station_change *ch);
/* Remove the change with this id; CW_ENOTFOUND when none. */
int cw_station_changes_remove(cw_station_changes *c, const char *id);
/* The file name of the station's own calendar inside calendars/ ("station.ics"). */
#define CW_STATION_CHANGES_FILE "station.ics"

/* ---- what aired before: the evidence of 'missed = hold' --------------------------- */

/* What became of an earlier lesson instance. The planner asks about instances before the
 * day it plans; a source answers from records: today the day bundles' plans (out/DATE/
 * plan.json, what was sent to air), once playout exists the as-run log (asrun/DATE.jsonl).
 * UNKNOWN (no record of that day) makes the planner judge by the library as it is now. */
typedef enum cw_aired { CW_AIRED_UNKNOWN = 0, CW_AIRED_YES, CW_AIRED_NO } cw_aired;
typedef struct cw_air_history {
    /* `inst` is the instance (file, uid, recurrence_id, start); `day` its plan's date.
     * On YES, *episode is the episode that aired (0 when the record does not say). */
    cw_aired (*aired)(void *user, const cw_occurrence *inst, cw_date day, int *episode);
    void *user;
} cw_air_history;

/* ---- planning ---------------------------------------------------------------------- */

/* Everything a day is planned from. Only st is required. */
typedef struct cw_plan_inputs {
    const cw_station *st;
    const cw_calset *cals;             /* the partner calendars (with their priorities) */
    const cw_library *lib;             /* the library (approved recordings) */
    const cw_library *pending;         /* recordings awaiting approval (desk), or NULL */
    const cw_station_changes *changes; /* calendars/station.ics, or NULL */
    const cw_air_history *history;     /* for missed = hold, or NULL (judge by the library) */
} cw_plan_inputs;

/* Plan one station-local day. Reads the calendars (through cals) and nothing else; the
 * history source may read records. Errors: CW_EINVAL (bad window), CW_ELIMIT (calendar
 * bounds), CW_ENOMEM. */
int cw_plan_day_with(cw_plan **out, const cw_plan_inputs *in, cw_date date, cw_error *err) CW_WARN_UNUSED;
/* cw_plan_day_with with only the calendars and the library. */
int cw_plan_day(cw_plan **out, const cw_station *st, const cw_calset *cals,
                const cw_library *lib, cw_date date, cw_error *err) CW_WARN_UNUSED;
void cw_plan_free(cw_plan *p);

/* The public JSON (README "Plan JSON"); deterministic, UTF-8, ends with "\n". */
int cw_plan_to_json(const cw_plan *p, cw_buf *out);
/* A readable rundown for the station. */
int cw_plan_to_text(const cw_plan *p, cw_buf *out);
/* Read plan JSON back (verify, tests, fuzzing). */
int cw_plan_from_json(cw_plan **out, const char *json, size_t len, cw_error *err);

/* Load every partner calendar of the station (calendars/ *.ics with their priorities and
 * holidays flags) into a new set. An event with errors is skipped, every other one used:
 * its errors go to `diags` (severity error, `cal.*` codes) and cw_calset_expand_skipped
 * places it on the days it would have aired (CW_SLOT_SKIPPED). Also in `diags`: the
 * `cal.zone-differs` warning of a calendar written for another zone, and one `cal.warnings`
 * line per file counting its other warnings. A file that is not a calendar at all is
 * refused with err naming it. */
int cw_station_calendars(cw_calset **out, const cw_station *st, cw_diags *diags,
                         cw_error *err) CW_WARN_UNUSED;

/* (Re)derive p->blocks from the items: a new block starts wherever an item does not begin
 * where the previous one ended. Called by the planner and by cw_plan_from_json. Returns 0
 * or CW_ENOMEM. */
int cw_plan_compute_blocks(cw_plan *p);
/* Local time of a sample offset in the plan, for printing. */
void cw_plan_local_time(const cw_plan *p, int64_t offset_samples, char out[32]); /* ISO 8601 with offset */
/* Local time of a UTC second in the plan's zone (its offsets), ISO 8601 with offset. */
void cw_plan_local_utc(const cw_plan *p, int64_t utc, char out[32]);
/* The station's UTC offset at UTC second t, from the plan's offsets. */
int cw_plan_offset_at(const cw_plan *p, int64_t utc);

/* Series keys are compared without regard to ASCII case (the calendar and ingest lower-case
 * them; older files and hand-written notes may not): 1 when a and b name the same series. */
int cw_series_eq(const char *a, const char *b);

/* ---- slots across days: the chase list -------------------------------------------- */

/* A slot copied out of its day's plan (items indices refer to that plan). */
typedef struct cw_slot_entry {
    cw_plan_slot slot;   /* owned copies of the strings */
    cw_date date;        /* the plan's date */
    int utc_offset;      /* the station's UTC offset at the slot's start */
} cw_slot_entry;
typedef struct cw_slot_list {
    cw_slot_entry *v;
    size_t n, cap;
} cw_slot_list;
/* Copy the slots of p whose status bit (1u << status) is in `status_mask` (and, when series
 * is not NULL, of that series, case-insensitively) onto the list. 0 or CW_ENOMEM. */
int cw_slot_list_add_plan(cw_slot_list *l, const cw_plan *p, unsigned status_mask, const char *series);
/* Copy slot i of p onto the list. 0 or CW_ENOMEM. */
int cw_slot_list_add_slot(cw_slot_list *l, const cw_plan *p, size_t i);
void cw_slot_list_free(cw_slot_list *l);
#define CW_SLOTS_MISSING ((1u << CW_SLOT_MISSING) | (1u << CW_SLOT_PENDING))
#define CW_SLOTS_ALL 0xffffffffu

/* The chase list of missing recordings (plan --missing, the desk) in one of three formats:
 * text (one line per slot: date, time, lesson title, series and episode, teacher), csv
 * (RFC 4180, a header row) or json (an array of objects). Teachers come from the slots (the
 * calendar's Teacher:, else the library's recordings of the series). */
typedef enum { CW_CHASE_TEXT = 0, CW_CHASE_CSV, CW_CHASE_JSON } cw_chase_format;
int cw_chase_write(const cw_slot_list *l, cw_chase_format fmt, cw_buf *out);
/* One ready-to-send plain-text message per teacher (SMS, WhatsApp): a greeting, each
 * missing lesson on its own line (day, date, time, title, episode), what to do, the
 * station's name; messages separated by a line of dashes. Slots without a teacher are
 * listed last under "no teacher named". */
int cw_chase_by_teacher(const cw_slot_list *l, const cw_station *st, cw_buf *out);

#endif
