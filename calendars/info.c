/* info.c — what a calendar set holds, for `calendar list`, `check` and the planner: events
 * skipped for errors, each file's events and date range, UIDs two files share (the same
 * calendar under two names), and series keys that look like typos of one another.
 * Guarantees: read-only on the set (the rule caches aside), bounded like expansion. */
#include <stdlib.h>
#include <string.h>

#include "expand_int.h"

size_t cw_calset_n_skipped(const cw_calset *set)
{
    size_t n = 0;
    for (size_t i = 0; i < set->n_files; i++)
        n += set->files[i]->n_skipped;
    return n;
}

const cw_cal_skipped *cw_calset_skipped(const cw_calset *set, size_t i)
{
    for (size_t f = 0; f < set->n_files; f++) {
        if (i < set->files[f]->n_skipped)
            return &set->files[f]->skipped[i];
        i -= set->files[f]->n_skipped;
    }
    return NULL;
}

size_t cw_calset_n_files(const cw_calset *set)
{
    return set->n_files;
}

/* The wall time of the last instance of master m's rules (its generator run from DTSTART),
 * 1 when found, 0 when a rule has no end (or more instances than the expansion budget). */
static int last_rule_wall(const cw_calset *set, const cal_comp *m, int64_t *last)
{
    int any = 0;
    for (size_t i = 0; i < m->n_rrules; i++) {
        cal_rrule *rr = &m->rrules[i];
        if (rr->r.count == 0 && !rr->has_until)
            return 0;
        cal_gen *g = cal_gen_new(m, rr, INT64_MIN);
        if (!g)
            return 0;
        int64_t w;
        while (g->steps < CAL_STEP_BUDGET && cal_gen_next(g, &w) && cal_until_ok(set, m, rr, w))
            if (!any++ || w > *last)
                *last = w;
        int finished = g->done || g->steps < CAL_STEP_BUDGET;
        cal_gen_free(g);
        if (!finished)
            return 0;
    }
    if (!any)
        *last = m->dtstart.wall;
    return 1;
}

static void widen(cw_cal_file_info *o, int64_t s, int64_t e)
{
    if (!o->has_range || s < o->first_start)
        o->first_start = s;
    if (!o->has_range || e > o->last_end)
        o->last_end = e;
    o->has_range = 1;
}

/* The span of master m's instances into o. */
static void master_range(const cw_calset *set, const cal_comp *m, cw_cal_file_info *o)
{
    int64_t s = cal_master_first_start(set, m), last = m->dtstart.wall;
    widen(o, s, s);
    if (m->n_rrules && !m->until_before_start && !last_rule_wall(set, m, &last)) {
        o->open_ended = 1;
        return;
    }
    int64_t ls = m->dtstart.kind == CT_DATE ? cw_tz_wall_to_utc(set->deftz, cw_floor_div(last, 86400) * 86400)
                                            : cal_frame_wall_to_utc(set, &m->dtstart, last);
    widen(o, s, cal_comp_end(set, m, last, ls));
    for (size_t i = 0; i < m->n_rdates; i++) {
        int64_t rs, rw;
        if (m->dtstart.kind == CT_DATE)
            continue; /* within a day of DTSTART's span rules: counted by first_start */
        cal_rdate_inst(set, m, i, &rs, &rw);
        widen(o, rs, cal_comp_end(set, m, rw, rs));
    }
}

int cw_calset_file_info(const cw_calset *set, size_t i, cw_cal_file_info *o)
{
    memset(o, 0, sizeof *o);
    if (i >= set->n_files)
        return CW_EINVAL;
    const cal_file *f = set->files[i];
    o->label = f->label;
    o->priority = f->priority;
    o->holidays = f->holidays;
    o->zone = f->zone ? f->zone : "";
    o->n_skipped = f->n_skipped;
    for (size_t j = 0; j < f->n_events; j++) {
        const cal_event *ev = &f->events[j];
        int counted = 0;
        if (ev->master && !ev->master->skipped) {
            master_range(set, ev->master, o);
            counted = 1;
        }
        for (size_t k = 0; k < ev->n_ovr; k++) {
            const cal_comp *ov = ev->ovr[k];
            if (ov->skipped)
                continue;
            int64_t s, e, sd = 0, ed = 0;
            cal_override_times(set, ov, &s, &e, &sd, &ed);
            widen(o, s, e);
            counted = 1;
        }
        o->n_events += counted;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The UIDs of file f's events (borrowed), sorted. */
static const char **uids_of(const cal_file *f, size_t *n)
{
    const char **v = malloc((f->n_events ? f->n_events : 1) * sizeof *v);
    *n = 0;
    for (size_t i = 0; v && i < f->n_events; i++) {
        const cal_event *ev = &f->events[i];
        v[(*n)++] = ev->master ? ev->master->uid : ev->ovr[0]->uid;
    }
    if (v && *n > 1)
        qsort(v, *n, sizeof *v, cmp_str);
    return v;
}

size_t cw_calset_shared_uids(const cw_calset *set, size_t a, size_t b)
{
    if (a >= set->n_files || b >= set->n_files)
        return 0;
    size_t na, nb, shared = 0;
    const char **ua = uids_of(set->files[a], &na), **ub = uids_of(set->files[b], &nb);
    for (size_t i = 0, j = 0; ua && ub && i < na && j < nb;) {
        int r = strcmp(ua[i], ub[j]);
        if (r == 0)
            shared++;
        i += r <= 0;
        j += r >= 0;
    }
    free(ua);
    free(ub);
    return shared;
}

/* ---- series keys that look like typos ------------------------------------------------ */
/* Of two close keys, the one used less is taken for the typo: a recurring event (the series a
 * partner keeps up) weighs ten one-off events. */

typedef struct key_use {
    const char *key;
    const cal_file *file; /* where it is first used */
    int line;
    size_t n;             /* components that use it */
    size_t weight;        /* how much it is used: a recurring event counts as ten single ones */
} key_use;

static int add_use(key_use **v, size_t *n, size_t *cap, const cal_comp *k, const cal_file *f)
{
    size_t w = k->n_rrules ? 10 : 1;
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*v)[i].key, k->series) == 0 && (*v)[i].file == f) {
            (*v)[i].n++;
            (*v)[i].weight += w;
            return 0;
        }
    if (*n == *cap && cal_grow(v, cap, sizeof **v, 32))
        return -1;
    (*v)[(*n)++] = (key_use){k->series, f, k->line, 1, w};
    return 0;
}

/* Optimal-string-alignment distance of a and b, or `limit` + 1 when it is larger. */
static size_t distance(const char *a, const char *b, size_t limit)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64 || (la > lb ? la - lb : lb - la) > limit)
        return limit + 1;
    size_t d[65][65];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1], best = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[la][lb];
}

/* Keys that differ only in their digits name different series (maths-g5, maths-g6). */
static int same_but_digits(const char *a, const char *b)
{
    for (;;) {
        while (*a >= '0' && *a <= '9')
            a++;
        while (*b >= '0' && *b <= '9')
            b++;
        if (*a != *b)
            return 0;
        if (!*a)
            return 1;
        a++, b++;
    }
}

static int looks_like_typo(const char *k, const char *l)
{
    if (same_but_digits(k, l))
        return 0;
    size_t limit = strlen(k) > 8 ? 2 : 1;
    return distance(k, l, limit) <= limit;
}

static int collect_keys(const cw_calset *set, key_use **v, size_t *n, size_t *cap)
{
    for (size_t i = 0; i < set->n_files; i++) {
        const cal_file *f = set->files[i];
        for (size_t j = 0; j < f->n_events; j++) {
            const cal_event *ev = &f->events[j];
            for (size_t x = 0; x <= ev->n_ovr; x++) {
                const cal_comp *k = x == 0 ? ev->master : ev->ovr[x - 1];
                if (k && !k->skipped && k->series && *k->series && add_use(v, n, cap, k, f))
                    return -1;
            }
        }
    }
    return 0;
}

int cw_calset_check_series_keys(const cw_calset *set, size_t i, cw_diags *diags)
{
    if (i >= set->n_files)
        return 0;
    key_use *v = NULL;
    size_t n = 0, cap = 0;
    int warned = 0;
    if (collect_keys(set, &v, &n, &cap)) {
        free(v);
        return CW_ENOMEM;
    }
    const cal_file *f = set->files[i];
    for (size_t a = 0; a < n; a++) {
        if (v[a].file != f)
            continue;
        const key_use *best = NULL;
        for (size_t b = 0; b < n; b++) {
            if (strcmp(v[b].key, v[a].key) == 0 || !looks_like_typo(v[a].key, v[b].key))
                continue;
            if (v[b].weight < v[a].weight || (v[b].weight == v[a].weight && strcmp(v[b].key, v[a].key) > 0))
                continue; /* the less used key is flagged; of two used alike, the later one */
            if (!best || v[b].weight > best->weight)
                best = &v[b];
        }
        if (!best)
            continue;
        if (cw_diags_addf(diags, CW_DIAG_WARNING, "cal.series-typo", f->label, v[a].line, v[a].key,
                          "series '%s' (%zu event%s) looks like a typo of '%s' (%zu event%s in %s) "
                          "(if they are the same series, write it the same way in both)",
                          v[a].key, v[a].n, v[a].n == 1 ? "" : "s", best->key, best->n,
                          best->n == 1 ? "" : "s", best->file->label)) {
            free(v);
            return CW_ENOMEM;
        }
        warned++;
    }
    free(v);
    return warned;
}

int cw_calset_series_known(const cw_calset *set, const char *key, const char **suggestion)
{
    *suggestion = NULL;
    char norm[130];
    size_t n = 0;
    while (*key == ' ' || *key == '\t')
        key++;
    for (; *key && n + 1 < sizeof norm; key++)
        norm[n++] = (char)((*key >= 'A' && *key <= 'Z') ? *key + 32 : *key);
    while (n > 0 && (norm[n - 1] == ' ' || norm[n - 1] == '\t'))
        n--;
    norm[n] = 0;
    key_use *v = NULL;
    size_t nv = 0, cap = 0;
    if (collect_keys(set, &v, &nv, &cap)) {
        free(v);
        return 0;
    }
    int known = 0;
    const key_use *best = NULL;
    for (size_t i = 0; i < nv && !known; i++) {
        if (strcmp(v[i].key, norm) == 0)
            known = 1;
        else if (looks_like_typo(norm, v[i].key) && (!best || v[i].weight > best->weight))
            best = &v[i];
    }
    if (!known && best)
        *suggestion = best->key;
    free(v);
    return known;
}
