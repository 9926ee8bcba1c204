/* series.c — the 1-based position of an occurrence in its series (episode numbering):
 * arithmetic for countable rules, materialised and cached for the rest, and a reference
 * implementation the fast path is tested against. */
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "expand_int.h"

/* ---- series positions -------------------------------------------------------------- */

static const char *event_series_key(const cal_comp *k)
{
    return k->series && *k->series ? k->series : NULL;
}

typedef struct pos_item {
    int64_t t;
    const char *uid;
} pos_item;

static int pos_cmp(const void *a, const void *b)
{
    const pos_item *x = a, *y = b;
    if (x->t != y->t)
        return (x->t > y->t) - (x->t < y->t);
    return strcmp(x->uid, y->uid);
}

/* Counted instances of one event (by original start) with original start < horizon: what
 * expansion shows — the master's instances that no override replaces, and every override
 * (one whose RECURRENCE-ID is no instance of the rule is still shown, and airs) at its
 * RECURRENCE-ID. */
static int series_collect(const cw_calset *set, const cal_event *ev, const char *key,
                          int by_uid, int64_t horizon, pos_item **v, size_t *n, size_t *cap,
                          cal_budget *b)
{
    const cal_comp *m = ev->master;
    cal_inst_list l = {0};
    if (m && !m->skipped) {
        int64_t first = cal_time_utc(set, &m->dtstart) - 2 * 86400;
        for (size_t i = 0; i < m->n_rdates; i++) {
            int64_t t = cal_time_utc(set, &m->rdates[i].t) - 2 * 86400;
            if (t < first)
                first = t;
        }
        b->comp = m;
        int rc = cal_master_instances(set, ev, first, horizon, &l, b);
        if (rc) {
            free(l.v);
            return rc;
        }
    }
    for (size_t i = 0; i < l.n; i++) {
        const cal_inst *x = &l.v[i];
        int64_t orig = x->start;
        if (orig >= horizon)
            continue;
        if (ev->n_ovr && cal_find_override(ev, x->key))
            continue; /* counted with the overrides below */
        const cal_comp *k = ev->n_fut ? cal_future_for(ev, x->key) : NULL;
        if (!k)
            k = m; /* else a THISANDFUTURE override governs it (its series, cancellation) */
        const char *sk = by_uid ? k->uid : event_series_key(k);
        if (!sk || strcmp(sk, key) != 0)
            continue;
        if (k->cancelled || k->repeat)
            continue;
        if (*n == *cap && cal_grow(v, cap, sizeof **v, 256)) {
            free(l.v);
            return CW_ENOMEM;
        }
        (*v)[*n].t = orig;
        (*v)[*n].uid = k->uid;
        (*n)++;
    }
    free(l.v);
    {
        for (size_t j = 0; j < ev->n_ovr; j++) {
            const cal_comp *ov = ev->ovr[j];
            const char *sk = by_uid ? ov->uid : event_series_key(ov);
            /* the instant expansion gives it (recurrence_utc): a date RECURRENCE-ID when the
             * master is all-day */
            int is_date = m ? m->dtstart.kind == CT_DATE : ov->dtstart.kind == CT_DATE;
            int64_t orig = is_date ? cw_tz_wall_to_utc(set->deftz, ov->rid_key * 86400) : ov->rid_key;
            if (!sk || strcmp(sk, key) != 0 || ov->cancelled || ov->repeat || ov->skipped ||
                orig >= horizon)
                continue;
            if (*n == *cap && cal_grow(v, cap, sizeof **v, 256))
                return CW_ENOMEM;
            (*v)[*n].t = orig;
            (*v)[*n].uid = ov->uid;
            (*n)++;
        }
    }
    return 0;
}

static int pos_before(int64_t t, const char *uid, int64_t need, const char *occ_uid)
{
    return t < need || (t == need && strcmp(uid, occ_uid) < 0);
}

/* Counted instances of one event before the occurrence (original start, then UID), by
 * materialising its history: for events the arithmetic cannot count, and as the reference. */
static int slow_count(const cw_calset *set, const cal_event *ev, const char *key, int by_uid,
                      const cw_occurrence *occ, long long *out, cal_budget *b)
{
    pos_item *v = NULL;
    size_t n = 0, cap = 0;
    *out = 0;
    int rc = series_collect(set, ev, key, by_uid, occ->recurrence_utc + 1, &v, &n, &cap, b);
    for (size_t i = 0; i < n && !rc; i++)
        *out += pos_before(v[i].t, v[i].uid, occ->recurrence_utc, occ->uid);
    free(v);
    return rc;
}

static int event_relevant(const cal_event *ev, const char *key, int by_uid)
{
    if (ev->master && cal_key_matches(ev->master, key, by_uid))
        return 1;
    for (size_t x = 0; x < ev->n_ovr; x++)
        if (cal_key_matches(ev->ovr[x], key, by_uid))
            return 1;
    return 0;
}

/* (Re)build the cache of `key` in file f up to a year past `need`: the instances of the events
 * that need materialising, and the list of those counted arithmetically. *scp is the entry
 * (created when NULL). */
static int rebuild_series(const cw_calset *set, const cal_file *f, const char *key, int by_uid,
                          int64_t need, cal_series_cache **scp, cw_error *err)
{
    cal_cache *c = set->cache;
    cal_series_cache *sc = *scp;
    int64_t horizon = need + 366 * 86400;
    pos_item *v = NULL;
    size_t n = 0, cap = 0;
    const cal_event **fast = NULL;
    size_t n_fast = 0;
    for (size_t j = 0; j < f->n_events; j++) {
        const cal_event *ev = &f->events[j];
        if (!event_relevant(ev, key, by_uid))
            continue;
        if (ev->n_fut == 0 && cal_raw_eligible(set, ev->master)) {
            const cal_event **nv = realloc(fast, (n_fast + 1) * sizeof *nv);
            if (!nv)
                goto nomem;
            fast = nv;
            fast[n_fast++] = ev;
            continue;
        }
        cal_budget b = {0, NULL};
        int rc = series_collect(set, ev, key, by_uid, horizon, &v, &n, &cap, &b);
        if (rc) {
            free(v);
            free(fast);
            return cal_limit_error(err, f, b.comp, rc);
        }
    }
    if (n > 1)
        qsort(v, n, sizeof *v, pos_cmp);
    if (!sc) {
        cal_series_cache *nv = realloc(c->series, (c->n_series + 1) * sizeof *nv);
        if (!nv)
            goto nomem;
        c->series = nv;
        sc = &c->series[c->n_series];
        memset(sc, 0, sizeof *sc);
        if (!(sc->key = cw_strdup(key)))
            goto nomem;
        sc->file = f;
        c->n_series++;
        *scp = sc;
    }
    free(sc->t);
    free(sc->uid);
    free(sc->fast);
    sc->fast = fast;
    sc->n_fast = n_fast;
    sc->t = malloc((n ? n : 1) * sizeof *sc->t);
    sc->uid = malloc((n ? n : 1) * sizeof *sc->uid);
    if (!sc->t || !sc->uid) {
        free(v);
        sc->n = 0;
        sc->horizon = INT64_MIN;
        return cw_fail(err, CW_ENOMEM, f->label, 0, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        sc->t[i] = v[i].t;
        sc->uid[i] = (char *)v[i].uid;
    }
    sc->n = n;
    sc->horizon = horizon;
    free(v);
    return 0;
nomem:
    free(v);
    free(fast);
    return cw_fail(err, CW_ENOMEM, f->label, 0, "out of memory");
}

/* Position of occ among its series. `reference`: materialise every event's history (no
 * arithmetic, no cache) — the definition the fast path is tested against. */
static int series_position(const cw_calset *set, const cw_occurrence *occ, long *out, cw_error *err,
                           int reference)
{
    *out = 0;
    const cal_file *f = NULL;
    for (size_t i = 0; i < set->n_files && !f; i++)
        if (set->files[i]->label == occ->file || strcmp(set->files[i]->label, occ->file) == 0)
            f = set->files[i];
    if (!f)
        return cw_fail(err, CW_ENOTFOUND, occ->file ? occ->file : "", occ->line,
                       "the occurrence is not from this calendar set");
    int by_uid = !(occ->series && *occ->series);
    const char *key = by_uid ? occ->uid : occ->series;
    int64_t need = occ->recurrence_utc;
    if (reference) {
        long long total = 0;
        for (size_t j = 0; j < f->n_events; j++) {
            const cal_event *ev = &f->events[j];
            if (!event_relevant(ev, key, by_uid))
                continue;
            cal_budget b = {0, NULL};
            long long c;
            int rc = slow_count(set, ev, key, by_uid, occ, &c, &b);
            if (rc)
                return cal_limit_error(err, f, b.comp, rc);
            total += c;
        }
        *out = (long)total + 1;
        return 0;
    }
    cal_cache *c = set->cache;
    cal_series_cache *sc = NULL;
    for (size_t i = 0; i < c->n_series; i++)
        if (c->series[i].file == f && strcmp(c->series[i].key, key) == 0) {
            sc = &c->series[i];
            break;
        }
    if (!sc || sc->horizon <= need) {
        int rc = rebuild_series(set, f, key, by_uid, need, &sc, err);
        if (rc)
            return rc;
    }
    /* materialised events: counted instances ordered before occ */
    size_t lo = 0, hi = sc->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pos_before(sc->t[mid], sc->uid[mid], need, occ->uid))
            lo = mid + 1;
        else
            hi = mid;
    }
    long long total = (long long)lo;
    /* the others: arithmetic; an instance of another UID at the same instant counts when
     * its UID sorts first */
    for (size_t j = 0; j < sc->n_fast; j++) {
        const cal_event *ev = sc->fast[j];
        const char *uid = ev->master->uid;
        int64_t bound = need + (strcmp(uid, occ->uid) < 0 ? 1 : 0);
        long long cnt;
        int rc = cal_fast_count(set, ev, key, by_uid, bound, &cnt);
        if (rc == CW_EINVAL) { /* not countable after all: materialise */
            cal_budget b = {0, NULL};
            rc = slow_count(set, ev, key, by_uid, occ, &cnt, &b);
            if (rc)
                return cal_limit_error(err, f, b.comp, rc);
        } else if (rc)
            return cal_limit_error(err, f, ev->master, rc);
        total += cnt;
    }
    *out = (long)total + 1;
    return 0;
}

int cw_calset_series_position(const cw_calset *set, const cw_occurrence *occ, long *out,
                              cw_error *err)
{
    return series_position(set, occ, out, err, 0);
}

int cal_series_position_reference(const cw_calset *set, const cw_occurrence *occ, long *out,
                                  cw_error *err)
{
    return series_position(set, occ, out, err, 1);
}
