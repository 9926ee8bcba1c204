/* sched_fixture.h — in-memory stations, occurrences and libraries for the planner tests.
 * Everything is built from literals; nothing here reads the disk. */
#ifndef SCHED_FIXTURE_H
#define SCHED_FIXTURE_H

#include "scheduler_int.h"

#include <stdlib.h>
#include <string.h>

#define RATE 44100
#define MIN (60LL)
#define HOUR (3600LL)
/* 2026-03-16 00:00:00 UTC (a Monday) */
#define DAY0 1773619200LL

static inline cw_station *fx_station(void)
{
    cw_station *st = calloc(1, sizeof *st);
    st->dir = strdup("/nonexistent-station");
    st->name = strdup("Test FM");
    st->timezone = strdup("UTC");
    st->language = strdup("en");
    st->on_air_start = 6 * 60;
    st->on_air_end = 22 * 60;
    st->rate = RATE;
    st->channels = 1;
    st->fade = 0.5;
    st->missing = CW_MISSING_FILLER;
    st->overrun = CW_OVERRUN_CUT;
    st->unavailable = strdup("unavailable");
    return st;
}

static inline void fx_station_free(cw_station *st)
{
    free(st->dir);
    free(st->name);
    free(st->timezone);
    free(st->language);
    free(st->unavailable);
    cw_strlist_free(&st->fillers);
    free(st);
}

/* A library of literal recordings (strings are not freed). */
typedef struct fx_lib {
    cw_library lib;
    cw_recording v[64];
} fx_lib;

static inline cw_recording *fx_rec(fx_lib *l, cw_kind kind, const char *path, const char *series, int ep,
                                   double seconds)
{
    cw_recording *r = &l->v[l->lib.n++];
    memset(r, 0, sizeof *r);
    r->path = (char *)path;
    r->kind = kind;
    r->series = (char *)series;
    r->episode = ep;
    r->title = (char *)path; /* distinct, easy to check */
    r->teacher = (char *)"Ms Ada";
    r->language = (char *)"en";
    r->description = (char *)"";
    r->date = (char *)"2026-03-01";
    r->valid_from = (char *)"";
    r->valid_until = (char *)"";
    r->source_sha256 = (char *)"";
    r->rate = RATE;
    r->channels = 1;
    r->length_samples = (int64_t)(seconds * RATE);
    l->lib.v = l->v;
    return r;
}

/* Occurrences (strings are literals). */
typedef struct fx_occ {
    cw_occurrence v[64];
    long pos[64];
    size_t n;
} fx_occ;

static inline cw_occurrence *fx_ev(fx_occ *o, const char *file, int prio, const char *uid, cw_kind kind,
                                   int64_t start, int64_t end, const char *series, long position)
{
    cw_occurrence *e = &o->v[o->n];
    memset(e, 0, sizeof *e);
    e->file = file;
    e->priority = prio;
    e->uid = uid;
    e->summary = uid;
    e->description = "";
    e->categories = "";
    e->location = "";
    e->start = start;
    e->end = end;
    e->recurrence_id = "";
    e->kind = kind;
    e->series = series ? series : "";
    e->attach = "";
    e->teacher = "";
    e->language = "";
    o->pos[o->n] = position;
    o->n++;
    return e;
}

/* Run the core for 2026-03-16 06:00-22:00 UTC. */
static inline int fx_plan(cw_plan **out, const cw_station *st, const fx_occ *o, const fx_lib *l, cw_date date,
                          int64_t ws, int64_t we)
{
    cw_sched_input in = {
        .st = st,
        .date = date,
        .window_start = ws,
        .window_end = we,
        .occ = o ? o->v : NULL,
        .n_occ = o ? o->n : 0,
        .positions = o ? o->pos : NULL,
        .lib = l ? &l->lib : NULL,
    };
    cw_error err = {0};
    return cw_sched_run(out, &in, &err);
}

#define D16 ((cw_date){2026, 3, 16})
#define WS (DAY0 + 6 * HOUR)
#define WE (DAY0 + 22 * HOUR)
#define AT(h, m) (DAY0 + (h) * HOUR + (m) * MIN)
/* samples from the window start (06:00) */
#define OFF(h, m) (((h) * HOUR + (m) * MIN - 6 * HOUR) * RATE)

/* Index of the item starting at sample offset off, or -1. */
static inline long fx_item_at(const cw_plan *p, int64_t off)
{
    for (size_t i = 0; i < p->n_items; i++)
        if (p->items[i].offset_samples == off) return (long)i;
    return -1;
}

static inline int fx_has_warning(const cw_diags *w, const char *needle)
{
    for (size_t i = 0; i < w->n; i++)
        if (strstr(w->v[i].text, needle)) return 1;
    return 0;
}

/* How many warnings carry `code`. */
static inline size_t fx_count_code(const cw_diags *w, const char *code)
{
    size_t n = 0;
    for (size_t i = 0; i < w->n; i++)
        if (w->v[i].code && !strcmp(w->v[i].code, code)) n++;
    return n;
}

/* The slot of event `uid`, or NULL. */
static inline const cw_plan_slot *fx_slot(const cw_plan *p, const char *uid)
{
    for (size_t i = 0; i < p->n_slots; i++)
        if (!strcmp(p->slots[i].event_uid, uid)) return &p->slots[i];
    return NULL;
}

#endif
