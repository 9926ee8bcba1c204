/* plan_slots.c — what the planner reports beside the items: a slot for every event instance
 * of the day (what became of it and why), dead air (silence longer than max_silence), the
 * blocks derived from the items, the slot lists of the chase list, and freeing a plan.
 * Guarantees: slots come in a fixed order (start, UID, file, RECURRENCE-ID); every string
 * of a slot is owned by the plan; a slot never points at an item outside the plan. */
#include "plan_ctx.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define nz cw_pc_nz

/* ---- slots ------------------------------------------------------------------------- */

/* The teacher to name for a lesson whose calendar names none: the teacher of the latest
 * episode of its series in the library that names one. */
static const char *series_teacher(const cw_library *lib, const char *series)
{
    const cw_recording *best = NULL;
    for (size_t i = 0; lib && series && series[0] && i < lib->n; i++) {
        const cw_recording *r = &lib->v[i];
        if (!r->teacher || !r->teacher[0] || strcasecmp(nz(r->series), series)) continue;
        if (!best || r->episode > best->episode) best = r;
    }
    return best ? best->teacher : "";
}

static int cmp_slot(const void *a, const void *b)
{
    const cand *x = *(const cand *const *)a, *y = *(const cand *const *)b;
    if (x->o->start != y->o->start) return x->o->start < y->o->start ? -1 : 1;
    int r = strcmp(nz(x->o->uid), nz(y->o->uid));
    if (r) return r;
    if ((r = strcmp(nz(x->o->file), nz(y->o->file))) != 0) return r;
    if ((r = strcmp(nz(x->o->recurrence_id), nz(y->o->recurrence_id))) != 0) return r;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int fill_slot(ctx *c, cw_plan_slot *s, const cand *x)
{
    const cw_occurrence *o = x->o;
    s->kind = x->kind;
    s->status = x->status;
    if (x->state == 1 && x->placed && x->missing) s->status = x->pending ? CW_SLOT_PENDING : CW_SLOT_MISSING;
    s->start_utc = o->start;
    s->end_utc = o->end;
    s->episode = x->kind == CW_KIND_LESSON ? x->episode : 0;
    const char *teacher = nz(o->teacher);
    if (!teacher[0] && x->rec && x->rec->teacher) teacher = x->rec->teacher;
    if (!teacher[0] && x->kind == CW_KIND_LESSON) teacher = series_teacher(c->in->lib, o->series);
    const char *lang = nz(o->language);
    if (!lang[0] && x->rec && x->rec->language) lang = x->rec->language;
    char reason[800];
    snprintf(reason, sizeof reason, "%s", x->reason);
    if (x->note && x->note->moved) {
        char from[32];
        cw_pc_local_str(c, x->note->moved_from, 1, from);
        snprintf(reason, sizeof reason, "moved by the station from %s%s%s", from, x->reason[0] ? "; " : "", x->reason);
    }
    s->station_change = (x->note && (x->note->moved || x->note->station_cancelled)) || x->status == CW_SLOT_HELD;
    s->summary = cw_strdup(nz(o->summary));
    s->series = cw_strdup(nz(o->series));
    s->teacher = cw_strdup(teacher);
    s->language = cw_strdup(lang);
    s->recording = x->rec && x->status == CW_SLOT_AIRS ? cw_strdup(x->rec->path) : NULL;
    s->event_file = cw_strdup(nz(o->file));
    s->event_uid = cw_strdup(nz(o->uid));
    s->event_recurrence_id = o->recurrence_id && o->recurrence_id[0] ? cw_strdup(o->recurrence_id) : NULL;
    s->reason = cw_strdup(reason);
    if (x->placed && s->status != CW_SLOT_LOST) {
        s->first_item = x->first_item;
        s->n_items = x->n_items;
    }
    return s->summary && s->series && s->teacher && s->language && (!x->rec || s->status != CW_SLOT_AIRS || s->recording) &&
                   s->event_file && s->event_uid && (!(o->recurrence_id && o->recurrence_id[0]) || s->event_recurrence_id) &&
                   s->reason
               ? 0
               : -1;
}

int cw_pc_make_slots(ctx *c, cand *cands, size_t n)
{
    cand **v = malloc((n ? n : 1) * sizeof *v);
    if (!v) return -1;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (cands[i].state != 3) v[m++] = &cands[i];
    if (m > 1) qsort(v, m, sizeof *v, cmp_slot);
    c->p->slots = calloc(m ? m : 1, sizeof *c->p->slots);
    if (!c->p->slots) {
        free(v);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < m && !rc; i++) {
        c->p->n_slots = i + 1;
        rc = fill_slot(c, &c->p->slots[i], v[i]);
    }
    free(v);
    return rc;
}

/* ---- dead air ---------------------------------------------------------------------- */

/* Silence longer than max_silence, run by run (adjacent silence items are one run). */
void cw_pc_dead_air(ctx *c, const cand *cands, size_t n)
{
    cw_plan *p = c->p;
    double limit = c->st->max_silence > 0 ? c->st->max_silence : 10.0; /* 0: a hand-made station */
    int64_t max = (int64_t)(limit * c->rate);
    for (size_t i = 0; i < p->n_items;) {
        if (p->items[i].kind != CW_KIND_SILENCE) {
            i++;
            continue;
        }
        size_t j = i + 1;
        int64_t end = p->items[i].offset_samples + p->items[i].length_samples;
        while (j < p->n_items && p->items[j].kind == CW_KIND_SILENCE && p->items[j].offset_samples == end)
            end += p->items[j++].length_samples;
        int64_t len = end - p->items[i].offset_samples;
        if (len > max) {
            const cand *owner = NULL;
            for (size_t k = 0; k < n && !owner; k++)
                if (cands[k].placed && cands[k].first_item <= i && i < cands[k].first_item + cands[k].n_items)
                    owner = &cands[k];
            char d[32], a[32], b[32], why[300], ev[700];
            cw_pc_dur_str(len, c->rate, d);
            cw_pc_sample_str(c, p->items[i].offset_samples, a);
            cw_pc_sample_str(c, end, b);
            if (owner && owner->missing && c->st->missing == CW_MISSING_SILENCE) {
                cw_pc_ev_desc(owner->o, owner->kind, ev, sizeof ev);
                snprintf(why, sizeof why, "the station's 'missing = silence' policy for the missing %.200s", ev);
            } else if (!c->fillers.n) {
                snprintf(why, sizeof why, "the library has no fillers: ingest station IDs or music with 'chalkwave "
                                          "ingest --kind filler FILE'%s",
                         c->blocks ? "" : ", or plan only the partner events with [bundle] mode = blocks");
            } else {
                char sh[32];
                cw_pc_dur_str(c->fillers.min_len, c->rate, sh);
                snprintf(why, sizeof why, "no filler is short enough: the shortest is %s (ingest shorter ones, such "
                                          "as station IDs)", sh);
            }
            cw_pc_warn(c, &p->items[i], CW_DIAG_WARNING, "plan.dead-air", owner ? owner->o : NULL,
                       "dead air: %s of silence from %s to %s (%s)", d, a, b, why);
        }
        i = j;
    }
}

/* ---- shared helpers ---------------------------------------------------------------- */

int cw_sched_offset_at(int start_offset, const cw_plan_tzchange *ch, size_t n, int64_t t)
{
    int off = start_offset;
    for (size_t i = 0; i < n && ch[i].utc <= t; i++) off = ch[i].offset;
    return off;
}

int cw_plan_offset_at(const cw_plan *p, int64_t utc)
{
    return cw_sched_offset_at(p->start_offset, p->tz_changes, p->n_tz_changes, utc);
}

int cw_plan_compute_blocks(cw_plan *p)
{
    free(p->blocks);
    p->blocks = NULL;
    p->n_blocks = 0;
    size_t cap = 0;
    for (size_t i = 0; i < p->n_items; i++) {
        const cw_plan_item *it = &p->items[i];
        cw_plan_block *b = p->n_blocks ? &p->blocks[p->n_blocks - 1] : NULL;
        if (b && b->offset_samples + b->length_samples == it->offset_samples) {
            b->n_items++;
            b->length_samples += it->length_samples;
            continue;
        }
        if (p->n_blocks == cap) {
            size_t nc = cap ? cap * 2 : 4;
            cw_plan_block *v = realloc(p->blocks, nc * sizeof *v);
            if (!v) return CW_ENOMEM;
            p->blocks = v;
            cap = nc;
        }
        p->blocks[p->n_blocks++] = (cw_plan_block){i, 1, it->offset_samples, it->length_samples};
    }
    return 0;
}

static void slot_clear(cw_plan_slot *sl)
{
    free(sl->summary);
    free(sl->series);
    free(sl->teacher);
    free(sl->language);
    free(sl->recording);
    free(sl->event_file);
    free(sl->event_uid);
    free(sl->event_recurrence_id);
    free(sl->reason);
}

void cw_plan_free(cw_plan *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->n_items; i++) {
        cw_plan_item *it = &p->items[i];
        free(it->title);
        free(it->teacher);
        free(it->language);
        free(it->series);
        free(it->recording);
        free(it->event_file);
        free(it->event_uid);
        free(it->event_recurrence_id);
        cw_diags_free(&it->warnings);
    }
    free(p->items);
    free(p->timezone);
    cw_diags_free(&p->warnings);
    free(p->tz_changes);
    free(p->windows);
    free(p->blocks);
    for (size_t i = 0; i < p->n_slots; i++) slot_clear(&p->slots[i]);
    free(p->slots);
    free(p);
}

const char *cw_slot_status_name(cw_slot_status s)
{
    static const char *const names[] = {"airs",    "missing", "pending", "cancelled", "blackout",
                                        "lost",    "off-air", "held",    "skipped"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "";
}

/* ---- slot lists ----------------------------------------------------------------------- */

int cw_slot_list_add_slot(cw_slot_list *l, const cw_plan *p, size_t i)
{
    const cw_plan_slot *s = &p->slots[i];
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        cw_slot_entry *v = realloc(l->v, cap * sizeof *v);
        if (!v) return CW_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    cw_slot_entry *e = &l->v[l->n];
    memset(e, 0, sizeof *e);
    e->slot = *s;
    cw_plan_slot *d = &e->slot;
    d->summary = cw_strdup(s->summary);
    d->series = cw_strdup(s->series);
    d->teacher = cw_strdup(s->teacher);
    d->language = cw_strdup(s->language);
    d->recording = cw_strdup(s->recording);
    d->event_file = cw_strdup(s->event_file);
    d->event_uid = cw_strdup(s->event_uid);
    d->event_recurrence_id = cw_strdup(s->event_recurrence_id);
    d->reason = cw_strdup(s->reason);
    e->date = p->date;
    e->utc_offset = cw_plan_offset_at(p, s->start_utc);
    l->n++;
    if ((s->summary && !d->summary) || (s->series && !d->series) || (s->teacher && !d->teacher) ||
        (s->language && !d->language) || (s->recording && !d->recording) || (s->event_file && !d->event_file) ||
        (s->event_uid && !d->event_uid) || (s->event_recurrence_id && !d->event_recurrence_id) ||
        (s->reason && !d->reason))
        return CW_ENOMEM;
    return 0;
}

int cw_slot_list_add_plan(cw_slot_list *l, const cw_plan *p, unsigned status_mask, const char *series)
{
    for (size_t i = 0; i < p->n_slots; i++) {
        const cw_plan_slot *s = &p->slots[i];
        if (!((status_mask >> s->status) & 1u) || (series && !cw_series_eq(series, s->series))) continue;
        if (cw_slot_list_add_slot(l, p, i)) return CW_ENOMEM;
    }
    return 0;
}

void cw_slot_list_free(cw_slot_list *l)
{
    if (!l) return;
    for (size_t i = 0; i < l->n; i++) slot_clear(&l->v[i].slot);
    free(l->v);
    memset(l, 0, sizeof *l);
}
