/* plan_rules.c — the planner's rules about events, apart from the timeline: the library
 * lookups (series keys compared without regard to case), conflicts by priority and the tie
 * rule, episode numbers and repeats, ATTACH, and what each accepted slot plays.
 * Guarantees: pure (reads the disk only to check that an ATTACH does not leave the library
 * through a symlink); every loss is a warning with a plan.* code and the slot's reason. */
#include "plan_ctx.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int cw_series_eq(const char *a, const char *b) { return !strcasecmp(a ? a : "", b ? b : ""); }

static const char *nz(const char *s) { return s ? s : ""; }

static int valid_on(const cw_recording *r, const char *day)
{
    /* Bounds that are not YYYY-MM-DD are ignored rather than guessed. */
    if (r->valid_from && strlen(r->valid_from) == 10 && strcmp(day, r->valid_from) < 0) return 0;
    if (r->valid_until && strlen(r->valid_until) == 10 && strcmp(day, r->valid_until) > 0) return 0;
    return 1;
}

int cw_sched_valid_on(const cw_recording *r, cw_date day)
{
    char ds[11];
    cw_date_format(day, ds);
    return valid_on(r, ds);
}

/* ---- library indexes --------------------------------------------------------------- */

static int cmp_series(const void *a, const void *b)
{
    const cw_recording *x = *(const cw_recording *const *)a, *y = *(const cw_recording *const *)b;
    int r = strcasecmp(nz(x->series), nz(y->series));
    if (r) return r;
    if (x->episode != y->episode) return x->episode < y->episode ? -1 : 1;
    return strcmp(nz(x->path), nz(y->path));
}

/* Linear search by series (any case) and episode: the first by path. */
static const cw_recording *scan_episode(const cw_library *lib, const char *series, int episode)
{
    const cw_recording *best = NULL;
    for (size_t i = 0; lib && i < lib->n; i++) {
        const cw_recording *r = &lib->v[i];
        if (r->episode != episode || strcasecmp(nz(r->series), series)) continue;
        if (!best || strcmp(nz(r->path), nz(best->path)) < 0) best = r;
    }
    return best;
}

const cw_recording *cw_sched_find_episode(const cw_library *lib, const char *series, int episode)
{
    if (!lib || !series) return NULL;
    /* the scan's index is exact about case: try the key as written, then lower-case (what
     * ingest stores), then every key in any case */
    const cw_recording *r = cw_library_find_episode(lib, series, episode);
    if (r) return r;
    char low[256];
    size_t n = strlen(series);
    if (n < sizeof low) {
        for (size_t i = 0; i <= n; i++) low[i] = (char)(series[i] >= 'A' && series[i] <= 'Z' ? series[i] + 32 : series[i]);
        if (strcmp(low, series) && (r = cw_library_find_episode(lib, low, episode)) != NULL) return r;
    }
    return scan_episode(lib, series, episode);
}

const cw_recording *cw_pc_find_episode(const ctx *c, const cw_library *lib, const char *series, int episode)
{
    if (!lib) return NULL;
    if (lib != c->in->lib || !c->by_series) return cw_sched_find_episode(lib, series, episode);
    size_t lo = 0, hi = c->n_by_series;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const cw_recording *r = c->by_series[mid];
        int d = strcasecmp(nz(r->series), series);
        if (!d) d = r->episode < episode ? -1 : r->episode > episode ? 1 : 0;
        if (d < 0) lo = mid + 1;
        else hi = mid;
    }
    if (lo < c->n_by_series && !strcasecmp(nz(c->by_series[lo]->series), series) &&
        c->by_series[lo]->episode == episode)
        return c->by_series[lo];
    return NULL;
}

/* First recording of a series (lowest episode, then path). */
static const cw_recording *find_series(const ctx *c, const char *series)
{
    const cw_library *lib = c->in->lib;
    const cw_recording *best = NULL;
    for (size_t i = 0; lib && i < lib->n; i++) {
        const cw_recording *r = &lib->v[i];
        if (strcasecmp(nz(r->series), series)) continue;
        if (!best || r->episode < best->episode ||
            (r->episode == best->episode && strcmp(nz(r->path), nz(best->path)) < 0))
            best = r;
    }
    return best;
}

static int cmp_fresh(const void *a, const void *b)
{
    const cw_recording *x = *(const cw_recording *const *)a, *y = *(const cw_recording *const *)b;
    int r = strcmp(nz(y->date), nz(x->date)); /* newest DATE first; "" sorts last */
    if (r) return r;
    return strcmp(nz(x->path), nz(y->path));
}

static int cmp_path(const void *a, const void *b)
{
    const cw_recording *x = *(const cw_recording *const *)a, *y = *(const cw_recording *const *)b;
    return strcmp(nz(x->path), nz(y->path));
}

static int pool_alloc(pool *pl, size_t n)
{
    pl->v = calloc(n ? n : 1, sizeof *pl->v);
    pl->len = calloc(n ? n : 1, sizeof *pl->len);
    pl->used = calloc(n ? n : 1, 1);
    return pl->v && pl->len && pl->used ? 0 : -1;
}

static void pool_free(pool *pl)
{
    free(pl->v);
    free(pl->len);
    free(pl->used);
}

static void pool_finish(ctx *c, pool *pl)
{
    pl->min_len = INT64_MAX;
    for (size_t i = 0; i < pl->n; i++) {
        pl->len[i] = cw_sched_rec_samples(pl->v[i], c->rate);
        if (pl->len[i] > 0 && pl->len[i] < pl->min_len) pl->min_len = pl->len[i];
    }
}

void cw_pc_free_indexes(ctx *c)
{
    free(c->by_series);
    c->by_series = NULL;
    pool_free(&c->fillers);
    pool_free(&c->news);
}

/* The station's filler rotation: its list of filler series in its order (each series by
 * episode, then path), or every filler by path when the list is empty. */
static void build_fillers(ctx *c, const cw_recording **sorted, size_t n_sorted)
{
    const cw_library *lib = c->in->lib;
    const cw_strlist *fl = &c->st->fillers;
    if (fl->n) {
        for (size_t k = 0; k < fl->n; k++)
            for (size_t i = 0; i < n_sorted; i++) {
                const cw_recording *r = sorted[i];
                if (!strcasecmp(nz(r->series), fl->v[k]) && valid_on(r, c->datestr) &&
                    cw_sched_rec_samples(r, c->rate) > 0) {
                    size_t dup = 0; /* a series listed twice is used once */
                    for (size_t j = 0; j < c->fillers.n; j++) dup |= c->fillers.v[j] == r;
                    if (!dup) c->fillers.v[c->fillers.n++] = r;
                }
            }
    } else {
        for (size_t i = 0; lib && i < lib->n; i++) {
            const cw_recording *r = &lib->v[i];
            if (r->kind == CW_KIND_FILLER && valid_on(r, c->datestr) && cw_sched_rec_samples(r, c->rate) > 0)
                c->fillers.v[c->fillers.n++] = r;
        }
        qsort(c->fillers.v, c->fillers.n, sizeof *c->fillers.v, cmp_path);
    }
    pool_finish(c, &c->fillers);
    /* Rotation derived from the date: consecutive days start at different fillers. */
    if (c->fillers.n) {
        int64_t days = cw_days_from_civil(c->in->date.year, c->in->date.month, c->in->date.day);
        int64_t m = days % (int64_t)c->fillers.n;
        c->filler_cursor = (size_t)(m < 0 ? m + (int64_t)c->fillers.n : m);
    }
}

int cw_pc_build_indexes(ctx *c)
{
    const cw_library *lib = c->in->lib;
    size_t n = lib ? lib->n : 0;
    /* Lessons are looked up by series and episode: in the scan's index when the library
     * has one (sorting 10,000 recordings was a fifth of the planner's time), else in a
     * list sorted here. The station's filler series need the fillers sorted alike. */
    int own_index = !lib || !lib->index;
    c->by_series = own_index ? calloc(n ? n : 1, sizeof *c->by_series) : NULL;
    const cw_recording **sorted_fillers = calloc(n ? n : 1, sizeof *sorted_fillers);
    size_t n_sorted_fillers = 0;
    if ((own_index && !c->by_series) || !sorted_fillers || pool_alloc(&c->fillers, n) || pool_alloc(&c->news, n)) {
        free(sorted_fillers);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const cw_recording *r = &lib->v[i];
        if (own_index) c->by_series[c->n_by_series++] = r;
        if (r->kind == CW_KIND_FILLER) sorted_fillers[n_sorted_fillers++] = r;
        if (!valid_on(r, c->datestr) || cw_sched_rec_samples(r, c->rate) <= 0) continue;
        if (r->kind == CW_KIND_NEWSLETTER) c->news.v[c->news.n++] = r;
    }
    if (c->n_by_series > 1) qsort(c->by_series, c->n_by_series, sizeof *c->by_series, cmp_series);
    if (n_sorted_fillers > 1) qsort(sorted_fillers, n_sorted_fillers, sizeof *sorted_fillers, cmp_series);
    if (c->news.n > 1) qsort(c->news.v, c->news.n, sizeof *c->news.v, cmp_fresh);
    pool_finish(c, &c->news);
    build_fillers(c, sorted_fillers, n_sorted_fillers);
    free(sorted_fillers);
    if (c->st->unavailable && c->st->unavailable[0]) c->unavailable = find_series(c, c->st->unavailable);
    if (c->unavailable && cw_sched_rec_samples(c->unavailable, c->rate) <= 0) c->unavailable = NULL;
    return 0;
}

/* ---- ATTACH ------------------------------------------------------------------------ */

static int is_url(const char *a)
{
    const char *s = a;
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))) return 0;
    while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '+' ||
           *s == '-' || *s == '.')
        s++;
    return *s == ':';
}

static const cw_recording *attach_lookup(ctx *c, const cand *sl)
{
    const char *a = sl->o->attach;
    char d[700], when[32];
    cw_pc_ev_desc(sl->o, sl->kind, d, sizeof d);
    cw_pc_local_str(c, sl->o->start, 1, when);
    if (is_url(a)) {
        cw_pc_warn(c, NULL, CW_DIAG_WARNING, "plan.attach-url", sl->o,
                   "%s at %s: ATTACH '%.300s' is a URL; refused, nothing is fetched (put the file in the "
                   "library and name it relative to library/)", d, when, a);
        return NULL;
    }
    if (a[0] == '/') {
        cw_pc_warn(c, NULL, CW_DIAG_WARNING, "plan.attach-absolute", sl->o,
                   "%s at %s: ATTACH '%.300s' is an absolute path; refused (name a file relative to library/)", d,
                   when, a);
        return NULL;
    }
    if (!cw_path_is_safe_relative(a)) {
        cw_pc_warn(c, NULL, CW_DIAG_WARNING, "plan.attach-unsafe", sl->o,
                   "%s at %s: ATTACH '%.300s' is not a plain path inside the library ('..', empty or odd "
                   "parts); refused (name a file relative to library/)", d, when, a);
        return NULL;
    }
    const char *inlib = !strncmp(a, "library/", 8) ? a + 8 : a;
    char *rel = cw_asprintf("library/%s", inlib);
    char *libdir = cw_path_join(c->st->dir ? c->st->dir : ".", "library");
    if (!rel || !libdir) {
        free(rel);
        free(libdir);
        c->oom = 1;
        return NULL;
    }
    const cw_recording *r = cw_library_find_path(c->in->lib, rel);
    if (!r)
        cw_pc_warn(c, NULL, CW_DIAG_WARNING, "plan.attach-not-in-library", sl->o,
                   "%s at %s: ATTACH '%.300s' is not a recording in the library (ingest it first)", d, when, a);
    else if (!cw_path_resolves_inside(libdir, inlib)) {
        cw_pc_warn(c, NULL, CW_DIAG_WARNING, "plan.attach-symlink", sl->o,
                   "%s at %s: ATTACH '%.300s' leaves the library through a symbolic link; refused", d, when, a);
        r = NULL;
    } else if (cw_sched_rec_samples(r, c->rate) <= 0) {
        cw_pc_warn(c, NULL, CW_DIAG_WARNING, "plan.attach-unusable", sl->o,
                   "%s at %s: ATTACH '%.300s' has no usable length; refused", d, when, a);
        r = NULL;
    }
    free(rel);
    free(libdir);
    return r;
}

/* ---- conflicts --------------------------------------------------------------------- */

static int cmp_rank(const void *a, const void *b)
{
    const cand *x = *(const cand *const *)a, *y = *(const cand *const *)b;
    if (x->o->priority != y->o->priority) return x->o->priority > y->o->priority ? -1 : 1;
    if (x->o->start != y->o->start) return x->o->start < y->o->start ? -1 : 1;
    int r = strcmp(nz(x->o->file), nz(y->o->file));
    if (r) return r;
    r = strcmp(nz(x->o->uid), nz(y->o->uid));
    if (r) return r;
    r = strcmp(nz(x->o->recurrence_id), nz(y->o->recurrence_id));
    if (r) return r;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int cmp_start(const void *a, const void *b)
{
    const cand *x = *(const cand *const *)a, *y = *(const cand *const *)b;
    if (x->s != y->s) return x->s < y->s ? -1 : 1;
    return cmp_rank(a, b);
}

int cw_pc_cmp_start0(const void *a, const void *b)
{
    const cand *x = *(const cand *const *)a, *y = *(const cand *const *)b;
    if (x->o->start != y->o->start) return x->o->start < y->o->start ? -1 : 1;
    return cmp_rank(a, b);
}

static int64_t span_end(const cand *s) { return s->e > s->s ? s->e : s->s + 1; }

/* Accepted slot whose span holds sample t, or NULL. */
static cand *covering(cand **acc, size_t nacc, int64_t t)
{
    for (size_t i = 0; i < nacc; i++)
        if (acc[i]->s <= t && t < span_end(acc[i])) return acc[i];
    return NULL;
}

static void lose_desc(const cand *w, char *out, size_t n)
{
    snprintf(out, n, "'%.200s' (%.200s, priority %d)", w->o->summary && w->o->summary[0] ? w->o->summary : "(no title)",
             nz(w->o->file), w->o->priority);
}

static void lose(ctx *c, cand *x, const cand *winner)
{
    char d[700], w[500], when[32];
    cw_pc_ev_desc(x->o, x->kind, d, sizeof d);
    lose_desc(winner, w, sizeof w);
    cw_pc_local_str(c, x->o->start, 1, when);
    cw_pc_warn(c, NULL, CW_DIAG_WARNING, "plan.conflict-lost", x->o, "conflict: %s at %s loses its slot to %s", d,
               when, w);
    snprintf(x->reason, sizeof x->reason, "lost its slot to %s", w);
    x->status = CW_SLOT_LOST;
    x->state = 2;
}

/* Priority, then the documented tie rule (earlier start, file name, UID): a lesson whose
 * start is taken loses its slot; a newsletter or filler slot keeps what is left of it. */
int cw_pc_resolve_conflicts(ctx *c, cand **cands, size_t n, cand **acc, size_t *nacc)
{
    cand **order = malloc((n ? n : 1) * sizeof *order);
    if (!order) return -1;
    memcpy(order, cands, n * sizeof *order);
    if (n > 1) qsort(order, n, sizeof *order, cmp_rank);
    *nacc = 0;
    for (size_t k = 0; k < n; k++) {
        cand *x = order[k];
        if (x->state == 2) continue;
        char d[700], w[500], a[32], b[32];
        int64_t s = x->s;
        cand *cov = covering(acc, *nacc, s);
        if (cov) {
            if (x->kind == CW_KIND_LESSON) {
                lose(c, x, cov);
                continue;
            }
            cand *cv;
            while ((cv = covering(acc, *nacc, s)) != NULL) s = span_end(cv);
            if (s >= x->e) {
                lose(c, x, cov);
                continue;
            }
            cw_pc_ev_desc(x->o, x->kind, d, sizeof d);
            lose_desc(cov, w, sizeof w);
            cw_pc_sample_str(c, x->s, a);
            cw_pc_sample_str(c, s, b);
            cw_pc_warn(c, NULL, CW_DIAG_WARNING, "plan.conflict-shortened", x->o, "conflict: %s loses %s-%s to %s", d,
                       a, b, w);
        }
        int64_t e = x->e, se = x->e > s ? x->e : s + 1;
        cand *next = NULL;
        for (size_t i = 0; i < *nacc; i++)
            if (acc[i]->s > s && acc[i]->s < se && (!next || acc[i]->s < next->s)) next = acc[i];
        if (next && next->s < e) {
            cw_pc_ev_desc(x->o, x->kind, d, sizeof d);
            lose_desc(next, w, sizeof w);
            cw_pc_sample_str(c, next->s, a);
            cw_pc_sample_str(c, e, b);
            cw_pc_warn(c, NULL, CW_DIAG_WARNING, "plan.conflict-shortened", x->o, "conflict: %s loses %s-%s to %s", d,
                       a, b, w);
            e = next->s;
        }
        x->s = s;
        x->e = e;
        x->state = 1;
        acc[(*nacc)++] = x;
    }
    free(order);
    if (*nacc > 1) qsort(acc, *nacc, sizeof *acc, cmp_start);
    return 0;
}

/* ---- episodes ---------------------------------------------------------------------- */

/* Episode of each lesson: explicit Episode: N, else a repeat plays the episode of the
 * latest first airing of its series earlier that day (same calendar first), else the
 * series position (as corrected by the day's planner: blackouts, holds, restarts, missed
 * episodes under 'missed = hold'). */
void cw_pc_number_lessons(ctx *c, cand **bystart, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cand *x = bystart[i];
        if (x->kind != CW_KIND_LESSON || !x->o->series || !x->o->series[0]) continue;
        if (x->o->episode > 0) {
            x->episode = x->o->episode;
            continue;
        }
        long pos = c->in->positions ? c->in->positions[x->idx] : 0;
        if (x->o->repeat) {
            cand *same = NULL, *any = NULL;
            for (size_t j = 0; j < i; j++) {
                cand *y = bystart[j];
                if (y->kind != CW_KIND_LESSON || y->o->repeat || y->episode <= 0 ||
                    !cw_series_eq(y->o->series, x->o->series))
                    continue;
                if (y->o->start >= x->o->start) continue;
                any = y;
                if (!strcmp(nz(y->o->file), nz(x->o->file))) same = y;
            }
            if (same || any) {
                x->episode = (same ? same : any)->episode;
                continue;
            }
            /* no first airing today: the latest episode aired before it (its position
             * counts the first airings before it, plus one) */
            pos = pos > 1 ? pos - 1 : 0;
            if (pos > 0) {
                char d[700], when[32];
                cw_pc_ev_desc(x->o, x->kind, d, sizeof d);
                cw_pc_local_str(c, x->o->start, 1, when);
                cw_pc_warn(c, NULL, CW_DIAG_WARNING, "plan.repeat-without-first", x->o,
                           "repeat: %s at %s has no first airing of series '%s' earlier that day; it plays the "
                           "latest episode aired before it (%ld)", d, when, x->o->series, pos);
            }
        }
        x->episode = pos > 0 && pos <= INT_MAX ? (int)pos : 0;
    }
}

/* ---- what a slot plays -------------------------------------------------------------- */

static void set_missing(ctx *c, cand *x, const char *why)
{
    x->missing = 1;
    snprintf(x->missing_why, sizeof x->missing_why, "%s", why ? why : "");
    if (!why && c->in->pending) {
        const cw_recording *r = cw_pc_find_episode(c, c->in->pending, x->o->series, x->episode);
        if (r && cw_sched_rec_samples(r, c->rate) > 0) x->pending = r;
    }
}

void cw_pc_resolve_content(ctx *c, cand *x)
{
    if (x->o->attach && x->o->attach[0]) {
        x->rec = attach_lookup(c, x);
        if (x->rec) return;
    }
    if (x->kind != CW_KIND_LESSON) return;
    if (!x->o->series || !x->o->series[0]) {
        /* after a refused ATTACH the refusal already said what is wrong with it */
        set_missing(c, x, x->o->attach && x->o->attach[0]
                              ? "has no usable recording (its ATTACH was refused, see above)"
                              : "names no recording (give it a series key, Series: KEY, or an ATTACH)");
        return;
    }
    if (x->episode <= 0) {
        char why[400];
        snprintf(why, sizeof why, "has no episode number for series '%.200s' (add Episode: N)", x->o->series);
        set_missing(c, x, why);
        return;
    }
    x->rec = cw_pc_find_episode(c, c->in->lib, x->o->series, x->episode);
    if (x->rec && cw_sched_rec_samples(x->rec, c->rate) <= 0) x->rec = NULL;
    if (!x->rec) set_missing(c, x, NULL);
}
