/* plan_ctx.h — the planner core's working state, shared by its three files: plan_core.c
 * (the timeline: items, fill, play, windows and blocks mode), plan_rules.c (the library
 * lookups, conflicts, episode numbers, ATTACH, what a slot plays) and plan_slots.c (the
 * slots of the day, dead air, blocks, freeing). Private to scheduler/. */
#ifndef CW_PLAN_CTX_H
#define CW_PLAN_CTX_H

#include "scheduler_int.h"

/* One calendar event instance of the day, competing for airtime or only reported. */
typedef struct cand {
    const cw_occurrence *o;
    const cw_sched_note *note;     /* station change on it, or NULL */
    size_t idx;                    /* index in the input occurrences */
    cw_kind kind;                  /* LESSON, NEWSLETTER, FILLER or BLACKOUT */
    int64_t s, e;                  /* samples from the window start; e >= s (after conflicts) */
    int64_t s0, e0;                /* as scheduled (clamped to its window) */
    int win;                       /* index of its on-air window, -1 when outside them all */
    int state;                     /* 0 candidate, 1 accepted, 2 reported only */
    cw_slot_status status;         /* what became of it (decided step by step) */
    char reason[600];              /* why it does not air as planned ("" when it does) */
    int episode;                   /* lessons: resolved episode (0 unknown) */
    const cw_recording *rec;       /* what plays (NULL: newsletters/fillers chosen later, or missing) */
    const cw_recording *pending;   /* the missing episode awaiting approval, or NULL */
    int missing;                   /* a lesson whose recording is not there */
    char missing_why[400];         /* "" for a missing episode, else why the lesson names none */
    int hard;                      /* a lesson with a recording: starts exactly on time */
    int placed;                    /* reached the timeline: first_item/n_items are its items */
    size_t first_item, n_items;
} cand;

typedef struct pool {
    const cw_recording **v;
    int64_t *len; /* station samples */
    unsigned char *used;
    size_t n;
    int64_t min_len;
} pool;

typedef struct ctx {
    const cw_sched_input *in;
    const cw_station *st;
    cw_plan *p;
    int rate;
    int blocks;                       /* blocks mode: nothing planned outside events */
    int64_t W;                        /* first window start to last window end, in samples */
    int64_t *wlo, *whi;               /* the windows as sample ranges */
    size_t nwin;
    char datestr[11];
    const cw_recording **by_series;   /* library sorted by series (any case), episode, path */
    size_t n_by_series;
    pool fillers, news;
    size_t filler_cursor;
    const cw_recording *unavailable;
    size_t items_cap;
    int oom;
} ctx;

/* plan_core.c */
void cw_pc_warn(ctx *c, cw_plan_item *it, cw_diag_severity sev, const char *code, const cw_occurrence *o,
                const char *fmt, ...) CW_PRINTF(6, 7);
void cw_pc_local_str(const ctx *c, int64_t utc, int with_date, char out[32]);
void cw_pc_sample_str(const ctx *c, int64_t off, char out[32]);
void cw_pc_dur_str(int64_t samples, int rate, char out[32]);
void cw_pc_ev_desc(const cw_occurrence *o, cw_kind kind, char *out, size_t n);
const char *cw_pc_nz(const char *s);

/* plan_rules.c */
int cw_pc_build_indexes(ctx *c);
void cw_pc_free_indexes(ctx *c);
const cw_recording *cw_pc_find_episode(const ctx *c, const cw_library *lib, const char *series, int episode);
int cw_pc_resolve_conflicts(ctx *c, cand **cands, size_t n, cand **acc, size_t *nacc);
void cw_pc_number_lessons(ctx *c, cand **bystart, size_t n);
void cw_pc_resolve_content(ctx *c, cand *x);
int cw_pc_cmp_start0(const void *a, const void *b);

/* plan_slots.c */
int cw_pc_make_slots(ctx *c, cand *cands, size_t n);
void cw_pc_dead_air(ctx *c, const cand *cands, size_t n);

#endif
