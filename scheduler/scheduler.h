/* scheduler.h — the day plan: calendar occurrences + the library + station settings ->
 * an ordered, gapless list of items over the on-air window, exact to the sample.
 * Guarantees: the plan is computed, never stored: the same inputs give the same plan
 * (byte-identical JSON); every decision that costs airtime is reported as a warning. */
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
    cw_strlist warnings;
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
 * newsletter and blackout instance overlapping the day is a slot, cancelled ones included. */
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
    cw_kind kind;                 /* LESSON, NEWSLETTER or BLACKOUT */
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

typedef struct cw_plan {
    cw_date date;
    char *timezone;
    int rate, channels;
    cw_bundle_mode mode;                      /* day: windows filled; blocks: events only */
    int64_t window_start_utc, window_end_utc; /* seconds */
    int start_offset, end_offset;             /* UTC offsets (s) at the window's ends */
    cw_plan_item *items;
    size_t n_items;
    cw_strlist warnings;
    cw_strlist missing; /* "series\tepisode\tYYYY-MM-DD HH:MM" of missing recordings */
    cw_plan_tzchange *tz_changes; /* offset changes inside the window, by time; the offset */
    size_t n_tz_changes;          /* before the first one is start_offset */
    cw_plan_block *blocks;        /* derived from the items (cw_plan_compute_blocks), by time */
    size_t n_blocks;
    cw_plan_slot *slots;          /* partner event instances of the day, by start then UID */
    size_t n_slots;
} cw_plan;

/* Plan one station-local day. `cals` holds the station's partner calendars (with their
 * priorities); `lib` the scanned library. */
int cw_plan_day(cw_plan **out, const cw_station *st, const cw_calset *cals,
                const cw_library *lib, cw_date date, cw_error *err) CW_WARN_UNUSED;
void cw_plan_free(cw_plan *p);

/* The public JSON (README "Plan JSON"); deterministic, UTF-8, ends with "\n". */
int cw_plan_to_json(const cw_plan *p, cw_buf *out);
/* A readable rundown for the station. */
int cw_plan_to_text(const cw_plan *p, cw_buf *out);
/* Read plan JSON back (verify, tests, fuzzing). */
int cw_plan_from_json(cw_plan **out, const char *json, size_t len, cw_error *err);

/* Load every partner calendar of the station (calendars/ *.ics with their priorities)
 * into a new set. Files with errors are refused with err naming the file. */
int cw_station_calendars(cw_calset **out, const cw_station *st, cw_diags *diags,
                         cw_error *err) CW_WARN_UNUSED;

/* (Re)derive p->blocks from the items: a new block starts wherever an item does not begin
 * where the previous one ended. Called by the planner and by cw_plan_from_json. Returns 0
 * or CW_ENOMEM. */
int cw_plan_compute_blocks(cw_plan *p);
/* Local time of a sample offset in the plan, for printing. */
void cw_plan_local_time(const cw_plan *p, int64_t offset_samples, char out[32]); /* ISO 8601 with offset */

#endif
