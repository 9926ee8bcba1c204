/* expand.c — exact occurrences of loaded calendars in a window: masters' instances with their
 * overrides, cancellations and filters applied, sorted by start, then UID, then file.
 * Guarantees: work is bounded by skip-ahead to the window, a step budget per event and an
 * occurrence cap; hitting a bound is CW_ELIMIT naming the event. */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "expand_int.h"

/* ---- arrays ------------------------------------------------------------------------ */

int cal_grow(void *arr, size_t *cap, size_t size, size_t first)
{
    void *v; /* the caller's T *, read and written as bytes (no T ** / void ** aliasing) */
    memcpy(&v, arr, sizeof v);
    size_t nc = *cap ? *cap * 2 : first;
    void *nv = realloc(v, nc * size);
    if (!nv)
        return -1;
    memcpy(arr, &nv, sizeof nv);
    *cap = nc;
    return 0;
}

int cal_grow_one(void *arr, const size_t *n, size_t size)
{
    void *v;
    memcpy(&v, arr, sizeof v);
    void *nv = realloc(v, (*n + 1) * size);
    if (!nv)
        return -1;
    memcpy(arr, &nv, sizeof nv);
    return 0;
}

const char *cal_zone_name(const cw_tz *tz)
{
    const char *n = cw_tz_name(tz);
    return n[0] == '@' ? n + 1 : n;
}

/* ---- frames ------------------------------------------------------------------------ */

/* The zone a frame that is not UTC reads wall times in: its own, or the station's. */
static const cw_tz *frame_zone(const cw_calset *set, const cal_time *frame)
{
    return frame->kind == CT_ZONED ? frame->tz : set->deftz;
}

int64_t cal_frame_wall_to_utc(const cw_calset *set, const cal_time *frame, int64_t wall)
{
    return frame->kind == CT_UTC ? wall : cw_tz_wall_to_utc(frame_zone(set, frame), wall);
}

int64_t cal_frame_utc_to_wall(const cw_calset *set, const cal_time *frame, int64_t utc)
{
    return frame->kind == CT_UTC ? utc : cw_tz_utc_to_wall(frame_zone(set, frame), utc);
}

int64_t cal_time_utc(const cw_calset *set, const cal_time *t)
{
    return cal_frame_wall_to_utc(set, t, t->wall);
}

/* ---- expansion --------------------------------------------------------------------- */

static int occ_push(cw_occurrences *o, const cw_occurrence *x)
{
    if (o->n == o->cap && cal_grow(&o->v, &o->cap, sizeof *o->v, 64))
        return -1;
    o->v[o->n++] = *x;
    return 0;
}

void cw_occurrences_free(cw_occurrences *o)
{
    if (!o)
        return;
    free(o->v);
    memset(o, 0, sizeof *o);
}

static void fill_occ(const cw_calset *set, const cal_file *f, const cal_comp *k,
                     cw_occurrence *o)
{
    memset(o, 0, sizeof *o);
    o->file = f->label;
    o->priority = f->priority;
    o->line = k->line;
    o->uid = k->uid;
    o->summary = k->summary;
    o->description = k->description;
    o->categories = k->categories;
    o->location = k->location;
    o->cancelled = k->cancelled;
    o->kind = k->kind;
    o->series = k->series;
    o->episode = k->episode;
    o->repeat = k->repeat;
    o->attach = k->attach;
    o->teacher = k->teacher;
    o->language = k->language;
    o->text = k->text;
    o->recurrence_id = "";
    o->skipped = "";
    (void)set;
}

static void set_dates(const cw_calset *set, cw_occurrence *o, int64_t start_day, int64_t end_day)
{
    o->all_day = 1;
    cw_civil_from_days(start_day, &o->start_date.year, &o->start_date.month,
                       &o->start_date.day);
    cw_civil_from_days(end_day, &o->end_date.year, &o->end_date.month, &o->end_date.day);
    o->start = cw_tz_wall_to_utc(set->deftz, start_day * 86400);
    o->end = cw_tz_wall_to_utc(set->deftz, end_day * 86400);
}

static int overlaps(int64_t s, int64_t e, int64_t from, int64_t to)
{
    if (s >= to)
        return 0;
    return e > from || (s == e && s >= from);
}

int cal_limit_error(cw_error *err, const cal_file *f, const cal_comp *k, int rc)
{
    if (rc == CW_ENOMEM)
        return cw_fail(err, CW_ENOMEM, f->label, k ? k->line : 0, "out of memory expanding "
                       "the calendar");
    return cw_fail(err, CW_ELIMIT, f->label, k ? k->line : 0,
                   "event '%s' needs more than the expansion bounds allow (%ld steps, %d "
                   "occurrences per window; simplify its RRULE or ask for a shorter range)",
                   k ? k->uid : "?", CAL_STEP_BUDGET, CW_CAL_MAX_OCCURRENCES);
}

/* What an expansion gives: the occurrences that air (cancelled ones when asked, filtered), or
 * only those that events skipped for errors would have had. */
typedef struct exp_mode {
    cw_comp_filter keep;  /* NULL keeps all */
    void *ctx;
    int include_cancelled;
    int skipped;
} exp_mode;

static int comp_kept(const cw_calset *set, const cal_file *f, const cal_comp *k, const exp_mode *md)
{
    if (!md->keep)
        return 1;
    cw_occurrence d;
    fill_occ(set, f, k, &d);
    d.all_day = k->dtstart.kind == CT_DATE;
    return md->keep(&d, md->ctx) != 0;
}

/* The THISANDFUTURE override that governs the master's instance `key` (the latest before it),
 * or NULL. */
const cal_comp *cal_future_for(const cal_event *ev, int64_t key)
{
    size_t lo = 0, hi = ev->n_fut;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ev->fut[mid]->rid_key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo ? ev->fut[lo - 1] : NULL;
}

/* Days an all-day component lasts (from DTEND or DURATION, else one). */
static int64_t comp_days(const cal_comp *k)
{
    if (k->has_dtend)
        return cw_floor_div(k->dtend.wall, 86400) - cw_floor_div(k->dtstart.wall, 86400);
    if (k->has_duration)
        return k->dur_days + k->dur_secs / 86400;
    return 1;
}

/* One instance x of the master, as governed by `eff` (the master, or a THISANDFUTURE
 * override: its time shift and its length and text), into o. */
static void master_occ(const cw_calset *set, const cal_event *ev, const cal_comp *eff,
                       const cal_inst *x, cw_occurrence *o)
{
    const cal_comp *m = ev->master;
    fill_occ(set, ev->file, eff, o);
    o->recurrence_utc = x->start;
    if (m->dtstart.kind == CT_DATE) {
        int64_t day = x->key + (eff != m ? cw_floor_div(eff->future_shift, 86400) : 0);
        int64_t ed = x->period ? cw_floor_div(cw_tz_utc_to_wall(set->deftz, x->end), 86400)
                               : day + comp_days(eff);
        set_dates(set, o, day, ed);
        return;
    }
    if (eff == m) {
        o->start = x->start;
        o->end = x->end;
        return;
    }
    int64_t wall = x->wall + eff->future_shift;
    o->start = cal_frame_wall_to_utc(set, &m->dtstart, wall);
    o->end = eff->dtstart.kind == CT_DATE ? o->start : cal_comp_end(set, eff, wall, o->start);
    o->moved = o->start != x->start;
}

static int push_checked(cw_occurrences *out, const cw_occurrence *o)
{
    if (occ_push(out, o))
        return CW_ENOMEM;
    return out->n > CW_CAL_MAX_OCCURRENCES ? CW_ELIMIT : 0;
}

/* The master's instances in [from, to) that no single override replaces. */
static int expand_master(const cw_calset *set, const cal_event *ev, int64_t from, int64_t to,
                         cw_occurrences *out, cal_budget *b, const exp_mode *md)
{
    const cal_comp *m = ev->master;
    int single = m->n_rrules == 0 && m->n_rdates == 0;
    int64_t span = cal_max_span(set, m);
    for (size_t i = 0; i < m->n_rdates; i++)
        if (m->rdates[i].is_period) {
            int64_t ps = m->rdates[i].has_dur
                             ? (int64_t)m->rdates[i].dur_days * 86400 + m->rdates[i].dur_secs
                             : m->rdates[i].end.wall - m->rdates[i].t.wall;
            if (ps + 86400 > span)
                span = ps + 86400;
        }
    for (size_t i = 0; i < ev->n_fut; i++)
        if (cal_max_span(set, ev->fut[i]) > span)
            span = cal_max_span(set, ev->fut[i]);
    cal_inst_list l = {0};
    b->comp = m;
    int rc = cal_master_instances(set, ev, from - span - ev->max_shift, to + ev->max_shift, &l, b);
    for (size_t i = 0; i < l.n && rc == 0; i++) {
        const cal_inst *x = &l.v[i];
        if (ev->n_ovr && cal_find_override(ev, x->key))
            continue;
        const cal_comp *eff = ev->n_fut ? cal_future_for(ev, x->key) : NULL;
        if (!eff)
            eff = m;
        if ((eff->cancelled && !md->include_cancelled) || (eff != m && !comp_kept(set, ev->file, eff, md)))
            continue;
        cw_occurrence o;
        master_occ(set, ev, eff, x, &o);
        if (!overlaps(o.start, o.end, from, to))
            continue;
        if (!single && !(o.recurrence_id = cal_rid_intern(set, x->key, m->dtstart.kind == CT_DATE)))
            rc = CW_ENOMEM;
        if (md->skipped)
            o.skipped = m->skip_text ? m->skip_text : "";
        if (rc == 0)
            rc = push_checked(out, &o);
    }
    free(l.v);
    return rc;
}

/* The event's overrides in [from, to): the ones that air, or (skipped mode) the skipped ones. */
static int expand_overrides(const cw_calset *set, const cal_event *ev, int64_t from, int64_t to,
                            cw_occurrences *out, cal_budget *b, const exp_mode *md)
{
    for (size_t j = 0; j < ev->n_ovr; j++) {
        const cal_comp *ov = ev->ovr[j];
        b->comp = ov;
        if (ov->skipped != md->skipped || (ov->cancelled && !md->include_cancelled))
            continue;
        int64_t s, e, sday = 0, eday = 0;
        cal_override_times(set, ov, &s, &e, &sday, &eday);
        if (!overlaps(s, e, from, to) || !comp_kept(set, ev->file, ov, md))
            continue;
        int is_date_master = ev->master ? ev->master->dtstart.kind == CT_DATE : ov->dtstart.kind == CT_DATE;
        int64_t orig = is_date_master ? cw_tz_wall_to_utc(set->deftz, ov->rid_key * 86400) : ov->rid_key;
        cw_occurrence o;
        fill_occ(set, ev->file, ov, &o);
        if (ov->dtstart.kind == CT_DATE)
            set_dates(set, &o, sday, eday);
        else {
            o.start = s;
            o.end = e;
        }
        o.recurrence_utc = orig;
        o.recurrence_id = cal_rid_intern(set, ov->rid_key, is_date_master);
        if (!o.recurrence_id)
            return CW_ENOMEM;
        o.moved = s != orig;
        if (md->skipped)
            o.skipped = ov->skip_text ? ov->skip_text : "";
        int rc = push_checked(out, &o);
        if (rc)
            return rc;
    }
    return 0;
}

static int expand_event(const cw_calset *set, const cal_event *ev, int64_t from, int64_t to,
                        cw_occurrences *out, cal_budget *b, const exp_mode *md)
{
    const cal_comp *m = ev->master;
    int want = m && m->skipped == md->skipped && (!m->skipped || m->placeable);
    if (want && !comp_kept(set, ev->file, m, md)) {
        want = 0; /* its instances are not wanted, unless a THISANDFUTURE override is */
        for (size_t i = 0; i < ev->n_fut && !want; i++)
            want = comp_kept(set, ev->file, ev->fut[i], md);
    }
    /* a filtered expansion (the scheduler's history walk asks for many short ranges) skips
     * the generator of a master that has no instance yet: none starts before its earliest
     * DTSTART/RDATE (a day of margin for DST folds) */
    if (want && md->keep && cal_master_first_start(set, m) - 2 * 86400 - ev->max_shift >= to)
        want = 0;
    int rc = want ? expand_master(set, ev, from, to, out, b, md) : 0;
    return rc ? rc : expand_overrides(set, ev, from, to, out, b, md);
}

static int occ_cmp(const void *a, const void *b)
{
    const cw_occurrence *x = a, *y = b;
    if (x->start != y->start)
        return (x->start > y->start) - (x->start < y->start);
    int r = strcmp(x->uid, y->uid);
    if (r)
        return r;
    r = strcmp(x->file, y->file);
    if (r)
        return r;
    return (x->recurrence_utc > y->recurrence_utc) - (x->recurrence_utc < y->recurrence_utc);
}

/* Rank of every event by (UID, file label), equal pairs equal ranks: sorting occurrences by
 * (start, rank, original start) is occ_cmp's order without a string comparison. Computed
 * once for the files loaded so far. */
typedef struct rank_ref {
    const char *uid, *file;
    cal_event *ev;
} rank_ref;

static int rank_ref_cmp(const void *a, const void *b)
{
    const rank_ref *x = a, *y = b;
    int r = strcmp(x->uid, y->uid);
    return r ? r : strcmp(x->file, y->file);
}

static int rank_events(const cw_calset *set)
{
    cal_cache *c = set->cache;
    if (c->ranked_files == set->n_files)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < set->n_files; i++)
        n += set->files[i]->n_events;
    rank_ref *v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return -1;
    n = 0;
    for (size_t i = 0; i < set->n_files; i++)
        for (size_t j = 0; j < set->files[i]->n_events; j++) {
            cal_event *ev = &set->files[i]->events[j];
            const cal_comp *k = ev->master ? ev->master : ev->ovr[0];
            v[n++] = (rank_ref){k->uid, set->files[i]->label, ev};
        }
    qsort(v, n, sizeof *v, rank_ref_cmp);
    uint32_t r = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && rank_ref_cmp(&v[i - 1], &v[i]) != 0)
            r++;
        v[i].ev->rank = r;
    }
    free(v);
    c->ranked_files = set->n_files;
    return 0;
}

typedef struct occ_key {
    int64_t start, rec;
    uint32_t rank;
    uint32_t idx;
} occ_key;

static int occ_key_less(const occ_key *x, const occ_key *y)
{
    if (x->start != y->start)
        return x->start < y->start;
    if (x->rank != y->rank)
        return x->rank < y->rank;
    return x->rec < y->rec;
}

/* Stable merge sort of occurrence keys (qsort's generic copies were most of a year's
 * expansion); tmp holds n keys. Input comes in long sorted runs (one per event). */
static void occ_key_sort(occ_key *v, size_t n, occ_key *tmp)
{
    const size_t run = 16;
    for (size_t a = 0; a < n; a += run) { /* insertion sort of small blocks */
        size_t b = a + run < n ? a + run : n;
        for (size_t i = a + 1; i < b; i++) {
            occ_key k = v[i];
            size_t j = i;
            while (j > a && occ_key_less(&k, &v[j - 1])) {
                v[j] = v[j - 1];
                j--;
            }
            v[j] = k;
        }
    }
    occ_key *src = v, *dst = tmp;
    for (size_t w = run; w < n; w *= 2) {
        for (size_t a = 0; a < n; a += 2 * w) {
            size_t m = a + w < n ? a + w : n, b = a + 2 * w < n ? a + 2 * w : n;
            size_t i = a, j = m, k = a;
            if (m == b || !occ_key_less(&src[m], &src[m - 1])) { /* already in order */
                memcpy(dst + a, src + a, (b - a) * sizeof *src);
                continue;
            }
            while (i < m && j < b)
                dst[k++] = occ_key_less(&src[j], &src[i]) ? src[j++] : src[i++];
            while (i < m)
                dst[k++] = src[i++];
            while (j < b)
                dst[k++] = src[j++];
        }
        occ_key *t = src;
        src = dst;
        dst = t;
    }
    if (src != v)
        memcpy(v, src, n * sizeof *v);
}

static int expand_set(const cw_calset *set, int64_t from, int64_t to, const exp_mode *md,
                      cw_occurrences *out, cw_error *err);

int cw_calset_expand(const cw_calset *set, int64_t from, int64_t to, int include_cancelled,
                     cw_occurrences *out, cw_error *err)
{
    exp_mode md = {NULL, NULL, include_cancelled, 0};
    return expand_set(set, from, to, &md, out, err);
}

int cw_calset_expand_where(const cw_calset *set, int64_t from, int64_t to, int include_cancelled,
                           cw_comp_filter keep, void *ctx, cw_occurrences *out, cw_error *err)
{
    exp_mode md = {keep, ctx, include_cancelled, 0};
    return expand_set(set, from, to, &md, out, err);
}

int cw_calset_expand_skipped(const cw_calset *set, int64_t from, int64_t to, cw_occurrences *out,
                             cw_error *err)
{
    exp_mode md = {NULL, NULL, 0, 1};
    return expand_set(set, from, to, &md, out, err);
}

int cw_calset_first_start(const cw_calset *set, cw_comp_filter keep, void *ctx, int64_t *out)
{
    exp_mode md = {keep, ctx, 0, 0};
    int found = 0;
    int64_t first = 0;
    for (size_t i = 0; i < set->n_files; i++) {
        const cal_file *f = set->files[i];
        for (size_t j = 0; j < f->n_events; j++) {
            const cal_event *ev = &f->events[j];
            const cal_comp *m = ev->master;
            if (m && !m->skipped && comp_kept(set, f, m, &md)) {
                int64_t t = cal_master_first_start(set, m);
                if (!found || t < first)
                    first = t;
                found = 1;
            }
            for (size_t x = 0; x < ev->n_ovr; x++) {
                const cal_comp *ov = ev->ovr[x];
                if (ov->skipped || !comp_kept(set, f, ov, &md))
                    continue;
                int64_t s, e, sday = 0, eday = 0;
                cal_override_times(set, ov, &s, &e, &sday, &eday);
                if (!found || s < first)
                    first = s;
                found = 1;
            }
        }
    }
    if (found)
        *out = first;
    return found ? 0 : CW_ENOTFOUND;
}

static int expand_set(const cw_calset *set, int64_t from, int64_t to, const exp_mode *md,
                      cw_occurrences *out, cw_error *err)
{
    memset(out, 0, sizeof *out);
    if (to <= from)
        return 0;
    int ranked = rank_events(set) == 0;
    uint32_t *rank = NULL; /* per occurrence, parallel to out->v */
    size_t cap_rank = 0;
    for (size_t i = 0; i < set->n_files; i++) {
        const cal_file *f = set->files[i];
        for (size_t j = 0; j < f->n_events; j++) {
            cal_budget b = {0, NULL};
            size_t before = out->n;
            int rc = expand_event(set, &f->events[j], from, to, out, &b, md);
            if (!rc && ranked && out->n > cap_rank) {
                size_t nc = out->cap > cap_rank * 2 ? out->cap : cap_rank * 2 + 64;
                uint32_t *nv = realloc(rank, nc * sizeof *nv);
                if (nv) {
                    rank = nv;
                    cap_rank = nc;
                } else
                    ranked = 0;
            }
            if (rc) {
                free(rank);
                cw_occurrences_free(out);
                return cal_limit_error(err, f, b.comp, rc);
            }
            for (size_t x = before; ranked && x < out->n; x++)
                rank[x] = f->events[j].rank;
        }
    }
    occ_key *keys = ranked && out->n > 1 ? malloc(2 * out->n * sizeof *keys) : NULL;
    cw_occurrence *sorted = keys ? malloc(out->n * sizeof *sorted) : NULL;
    if (sorted) {
        for (size_t i = 0; i < out->n; i++)
            keys[i] = (occ_key){out->v[i].start, out->v[i].recurrence_utc, rank[i], (uint32_t)i};
        occ_key_sort(keys, out->n, keys + out->n);
        for (size_t i = 0; i < out->n; i++)
            sorted[i] = out->v[keys[i].idx];
        free(out->v);
        out->v = sorted;
        out->cap = out->n;
    } else if (out->n > 1) {
        qsort(out->v, out->n, sizeof *out->v, occ_cmp);
    }
    free(keys);
    free(rank);
    return 0;
}
