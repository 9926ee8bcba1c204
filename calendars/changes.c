/* changes.c — what changed between two copies of a calendar: lessons, newsletter slots and
 * blackouts added, removed, cancelled, restored, moved (old and new time) or given another
 * series, episode or kind. cw_cal_compare is a pure function of two instance lists;
 * cw_cal_changes_between expands two sets and numbers episodes for it; cw_cal_change_text
 * says a change in one line in the station's zone.
 * Guarantees: instances are matched by UID + RECURRENCE-ID first (README "What changed"
 * gives the other rules); times are compared as UTC instants, so a change is exact across
 * DST; the output order depends only on the inputs; expansion is bounded like
 * cw_calset_expand. */
#include <stdlib.h>
#include <string.h>

#include "calendars.h"

#define MARGIN (62 * 86400LL)    /* expansion margin: a lesson moved out of the window is a move */
#define UID_PAIR_MAX (7 * 86400) /* rule 3: same UID, starts at most this far apart */

const char *cw_change_type_name(cw_change_type t)
{
    static const char *const names[] = {"added", "removed", "cancelled", "restored", "moved", "changed"};
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "";
}

void cw_cal_changes_free(cw_cal_changes *c)
{
    if (!c)
        return;
    free(c->v);
    cw_strlist_free(&c->strings);
    memset(c, 0, sizeof *c);
}

/* ---- the pure comparison -------------------------------------------------------------------- */

typedef struct side {
    const cw_cal_instance *v;
    size_t *idx; /* sorted views */
    int *used;
    size_t n;
} side;

static int s(const char *x) { return x && *x; }
static const char *z(const char *x) { return x ? x : ""; }

/* Rule 1's key: UID, then RECURRENCE-ID (single events: the UID alone). */
static int cmp_rid(const cw_cal_instance *a, const cw_cal_instance *b)
{
    int r = strcmp(z(a->uid), z(b->uid));
    if (r)
        return r;
    if (s(a->recurrence_id) != s(b->recurrence_id))
        return s(a->recurrence_id) - s(b->recurrence_id);
    if (s(a->recurrence_id) && a->recurrence_utc != b->recurrence_utc)
        return a->recurrence_utc < b->recurrence_utc ? -1 : 1;
    return 0;
}

static int cmp_time(const cw_cal_instance *a, const cw_cal_instance *b)
{
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return cmp_rid(a, b);
}

static int qs_rid(const void *x, const void *y, void *ctx)
{
    const cw_cal_instance *base = ctx;
    const cw_cal_instance *a = &base[*(const size_t *)x], *b = &base[*(const size_t *)y];
    int r = cmp_rid(a, b);
    return r ? r : cmp_time(a, b);
}

static int qs_episode(const void *x, const void *y, void *ctx)
{
    const cw_cal_instance *base = ctx;
    const cw_cal_instance *a = &base[*(const size_t *)x], *b = &base[*(const size_t *)y];
    if (a->kind != b->kind)
        return a->kind < b->kind ? -1 : 1;
    int r = strcmp(z(a->series), z(b->series));
    if (r)
        return r;
    if (a->episode != b->episode)
        return a->episode < b->episode ? -1 : 1;
    return cmp_time(a, b);
}

static int qs_uid_time(const void *x, const void *y, void *ctx)
{
    const cw_cal_instance *base = ctx;
    const cw_cal_instance *a = &base[*(const size_t *)x], *b = &base[*(const size_t *)y];
    int r = strcmp(z(a->uid), z(b->uid));
    return r ? r : cmp_time(a, b);
}

static void sort_side(side *sd, int (*cmp)(const void *, const void *, void *))
{
    for (size_t i = 0; i < sd->n; i++)
        sd->idx[i] = i;
    if (sd->n > 1) /* qsort_r: no shared state, so threads may compare at once */
        qsort_r(sd->idx, sd->n, sizeof *sd->idx, cmp, (void *)sd->v);
}

typedef struct pair {
    long b, a; /* index in before / after, -1 none */
    cw_change_match match;
} pair;

typedef struct pairs {
    pair *v;
    size_t n, cap;
} pairs;

static int add_pair(pairs *p, long b, long a, cw_change_match m)
{
    if (p->n == p->cap) {
        size_t nc = p->cap ? p->cap * 2 : 64;
        pair *v = realloc(p->v, nc * sizeof *v);
        if (!v)
            return -1;
        p->v = v;
        p->cap = nc;
    }
    p->v[p->n++] = (pair){b, a, m};
    return 0;
}

/* Rule 1: merge the two sides sorted by (UID, RECURRENCE-ID). */
static int match_rid(side *B, side *A, pairs *p)
{
    sort_side(B, qs_rid);
    sort_side(A, qs_rid);
    size_t i = 0, j = 0;
    while (i < B->n && j < A->n) {
        int r = cmp_rid(&B->v[B->idx[i]], &A->v[A->idx[j]]);
        if (r < 0) {
            i++;
        } else if (r > 0) {
            j++;
        } else {
            B->used[B->idx[i]] = A->used[A->idx[j]] = 1;
            if (add_pair(p, (long)B->idx[i++], (long)A->idx[j++], CW_MATCH_RID))
                return -1;
        }
    }
    return 0;
}

static int free_active(const side *sd, size_t k)
{
    return !sd->used[k] && !sd->v[k].cancelled;
}

/* Rule 2: same kind, series and episode, in time order. */
static int match_episode(side *B, side *A, pairs *p)
{
    sort_side(B, qs_episode);
    sort_side(A, qs_episode);
    size_t i = 0, j = 0;
    while (i < B->n && j < A->n) {
        size_t bi = B->idx[i], aj = A->idx[j];
        const cw_cal_instance *b = &B->v[bi], *a = &A->v[aj];
        if (!free_active(B, bi) || !s(b->series) || b->episode <= 0) {
            i++;
            continue;
        }
        if (!free_active(A, aj) || !s(a->series) || a->episode <= 0) {
            j++;
            continue;
        }
        int r = b->kind != a->kind ? (b->kind < a->kind ? -1 : 1) : strcmp(b->series, a->series);
        if (!r && b->episode != a->episode)
            r = b->episode < a->episode ? -1 : 1;
        if (r < 0) {
            i++;
        } else if (r > 0) {
            j++;
        } else {
            B->used[bi] = A->used[aj] = 1;
            if (add_pair(p, (long)bi, (long)aj, CW_MATCH_EPISODE))
                return -1;
            i++, j++;
        }
    }
    return 0;
}

/* Rule 3: same UID, in time order, starts at most UID_PAIR_MAX apart. */
static int match_uid(side *B, side *A, pairs *p)
{
    sort_side(B, qs_uid_time);
    sort_side(A, qs_uid_time);
    size_t j0 = 0;
    for (size_t i = 0; i < B->n; i++) {
        size_t bi = B->idx[i];
        if (!free_active(B, bi))
            continue;
        const cw_cal_instance *b = &B->v[bi];
        while (j0 < A->n && strcmp(z(A->v[A->idx[j0]].uid), z(b->uid)) < 0)
            j0++;
        for (size_t j = j0; j < A->n && !strcmp(z(A->v[A->idx[j]].uid), z(b->uid)); j++) {
            size_t aj = A->idx[j];
            int64_t d = A->v[aj].start - b->start;
            if (!free_active(A, aj) || d > UID_PAIR_MAX || d < -UID_PAIR_MAX)
                continue;
            B->used[bi] = A->used[aj] = 1;
            if (add_pair(p, (long)bi, (long)aj, CW_MATCH_UID))
                return -1;
            break;
        }
    }
    return 0;
}

static int overlaps(const cw_cal_instance *x, int64_t from, int64_t to)
{
    return x->end > x->start ? x->start < to && x->end > from : x->start >= from && x->start < to;
}

/* A copy of x whose strings the list owns. */
static int own(cw_cal_changes *c, cw_cal_instance *dst, const cw_cal_instance *x)
{
    *dst = *x;
    const char **fields[] = {&dst->uid, &dst->recurrence_id, &dst->summary, &dst->series};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (cw_strlist_push(&c->strings, z(*fields[i])))
            return -1;
        *fields[i] = c->strings.v[c->strings.n - 1];
    }
    return 0;
}

static unsigned differences(const cw_cal_instance *b, const cw_cal_instance *a)
{
    unsigned w = 0;
    if (b->start != a->start || (b->all_day && cw_date_cmp(b->start_date, a->start_date)))
        w |= CW_CHANGED_START;
    if (b->end != a->end || (b->all_day && cw_date_cmp(b->end_date, a->end_date)))
        w |= CW_CHANGED_END;
    if (strcmp(z(b->series), z(a->series)))
        w |= CW_CHANGED_SERIES;
    if (b->episode != a->episode)
        w |= CW_CHANGED_EPISODE;
    if (b->kind != a->kind)
        w |= CW_CHANGED_KIND;
    if (strcmp(z(b->summary), z(a->summary)))
        w |= CW_CHANGED_SUMMARY;
    return w;
}

/* The change a pair (or a lone instance) makes, appended when it touches the window. */
static int emit(cw_cal_changes *c, const cw_cal_instance *b, const cw_cal_instance *a, cw_change_match m, int64_t from,
                int64_t to)
{
    cw_cal_change ch;
    memset(&ch, 0, sizeof ch);
    ch.match = m;
    if (b && a) {
        if (b->cancelled && a->cancelled)
            return 0;
        ch.what = differences(b, a);
        if (a->cancelled)
            ch.type = CW_CHANGE_CANCELLED;
        else if (b->cancelled)
            ch.type = CW_CHANGE_RESTORED;
        else if (ch.what & (CW_CHANGED_START | CW_CHANGED_END))
            ch.type = CW_CHANGE_MOVED;
        else if (ch.what & (CW_CHANGED_SERIES | CW_CHANGED_EPISODE | CW_CHANGED_KIND))
            ch.type = CW_CHANGE_CHANGED;
        else
            return 0;
    } else if (b) {
        if (b->cancelled)
            return 0;
        ch.type = CW_CHANGE_REMOVED;
    } else {
        if (a->cancelled)
            return 0;
        ch.type = CW_CHANGE_ADDED;
    }
    if (!((b && overlaps(b, from, to)) || (a && overlaps(a, from, to))))
        return 0;
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 16;
        cw_cal_change *v = realloc(c->v, nc * sizeof *v);
        if (!v)
            return -1;
        c->v = v;
        c->cap = nc;
    }
    if ((b && own(c, &ch.before, b)) || (a && own(c, &ch.after, a)))
        return -1;
    ch.has_before = b != NULL;
    ch.has_after = a != NULL;
    c->v[c->n++] = ch;
    return 0;
}

static int64_t first_start(const cw_cal_change *c)
{
    if (c->has_before && c->has_after)
        return c->before.start < c->after.start ? c->before.start : c->after.start;
    return c->has_before ? c->before.start : c->after.start;
}

static int cmp_change(const void *x, const void *y)
{
    const cw_cal_change *a = x, *b = y;
    int64_t sa = first_start(a), sb = first_start(b);
    if (sa != sb)
        return sa < sb ? -1 : 1;
    const cw_cal_instance *ia = a->has_before ? &a->before : &a->after;
    const cw_cal_instance *ib = b->has_before ? &b->before : &b->after;
    int r = cmp_rid(ia, ib);
    if (r)
        return r;
    return (int)a->type - (int)b->type;
}

int cw_cal_compare(const cw_cal_instance *before, size_t n_before, const cw_cal_instance *after, size_t n_after,
                   int64_t from, int64_t to, cw_cal_changes *out)
{
    memset(out, 0, sizeof *out);
    side B = {before, calloc(n_before + 1, sizeof(size_t)), calloc(n_before + 1, sizeof(int)), n_before};
    side A = {after, calloc(n_after + 1, sizeof(size_t)), calloc(n_after + 1, sizeof(int)), n_after};
    pairs p = {0};
    int rc = -1;
    if (!B.idx || !B.used || !A.idx || !A.used)
        goto done;
    if (match_rid(&B, &A, &p) || match_episode(&B, &A, &p) || match_uid(&B, &A, &p))
        goto done;
    for (size_t i = 0; i < p.n; i++)
        if (emit(out, &before[p.v[i].b], &after[p.v[i].a], p.v[i].match, from, to))
            goto done;
    for (size_t i = 0; i < n_before; i++)
        if (!B.used[i] && emit(out, &before[i], NULL, CW_MATCH_RID, from, to))
            goto done;
    for (size_t i = 0; i < n_after; i++)
        if (!A.used[i] && emit(out, NULL, &after[i], CW_MATCH_RID, from, to))
            goto done;
    if (out->n > 1)
        qsort(out->v, out->n, sizeof *out->v, cmp_change);
    rc = 0;
done:
    free(B.idx);
    free(B.used);
    free(A.idx);
    free(A.used);
    free(p.v);
    if (rc)
        cw_cal_changes_free(out);
    return rc ? CW_ENOMEM : 0;
}

/* ---- from two calendar sets ------------------------------------------------------------------ */

static int reported_kind(const cw_occurrence *o)
{
    return o->kind == CW_KIND_LESSON || o->kind == CW_KIND_NONE || o->kind == CW_KIND_NEWSLETTER ||
           o->kind == CW_KIND_BLACKOUT;
}

/* The instances of `set` over [from, to), episodes numbered; *occ keeps their strings. */
static int instances(const cw_calset *set, int64_t from, int64_t to, cw_occurrences *occ, cw_cal_instance **out,
                     size_t *n, cw_error *err)
{
    *out = NULL;
    *n = 0;
    int rc = cw_calset_expand(set, from - MARGIN, to + MARGIN, 1, occ, err);
    if (rc == CW_ELIMIT) /* a busy calendar: no margin, moves out of the window show as removed */
        rc = cw_calset_expand(set, from, to, 1, occ, err);
    if (rc)
        return rc;
    cw_cal_instance *v = calloc(occ->n + 1, sizeof *v);
    if (!v)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < occ->n; i++) {
        const cw_occurrence *o = &occ->v[i];
        if (!reported_kind(o))
            continue;
        cw_cal_instance *x = &v[k++];
        *x = (cw_cal_instance){o->uid, o->recurrence_id, o->recurrence_utc, o->summary, o->series, o->episode,
                               o->kind == CW_KIND_NONE ? CW_KIND_LESSON : o->kind, o->start, o->end, o->all_day,
                               o->start_date, o->end_date, o->cancelled};
        if (x->episode <= 0 && o->series[0] && x->kind == CW_KIND_LESSON && !o->all_day && !o->cancelled &&
            !o->repeat) {
            long pos = 0;
            rc = cw_calset_series_position(set, o, &pos, err);
            if (rc) {
                free(v);
                return rc;
            }
            x->episode = pos > 0 ? pos : 0;
        }
    }
    *out = v;
    *n = k;
    return 0;
}

int cw_cal_changes_between(const cw_calset *before, const cw_calset *after, int64_t from, int64_t to,
                           cw_cal_changes *out, cw_error *err)
{
    memset(out, 0, sizeof *out);
    cw_occurrences ob = {0}, oa = {0};
    cw_cal_instance *b = NULL, *a = NULL;
    size_t nb = 0, na = 0;
    int rc = instances(before, from, to, &ob, &b, &nb, err);
    if (!rc)
        rc = instances(after, from, to, &oa, &a, &na, err);
    if (!rc && cw_cal_compare(b, nb, a, na, from, to, out))
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    free(b);
    free(a);
    cw_occurrences_free(&ob);
    cw_occurrences_free(&oa);
    return rc;
}

/* ---- one line --------------------------------------------------------------------------------- */

static const char *const WD[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const MON[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static void put_day(cw_buf *b, cw_date d)
{
    cw_buf_printf(b, "%s %d %s", WD[cw_weekday(d)], d.day, MON[(d.month - 1) % 12]);
}

static void put_clock(cw_buf *b, const cw_tz *tz, int64_t t)
{
    cw_civil c;
    cw_tz_to_local(tz, t, &c, NULL);
    cw_buf_printf(b, "%02d:%02d", c.hour, c.minute);
}

/* "Tue 10 Mar 09:00" or, with_end, "Tue 10 Mar 09:00-09:30"; all day: "Tue 10 Mar" or
 * "Mon 6 Apr to Fri 10 Apr". */
static void put_when(cw_buf *b, const cw_tz *tz, const cw_cal_instance *x, int with_end)
{
    if (x->all_day) {
        put_day(b, x->start_date);
        cw_date last = cw_date_add_days(x->end_date, -1);
        if (cw_date_cmp(last, x->start_date) > 0) {
            cw_buf_puts(b, " to ");
            put_day(b, last);
        }
        return;
    }
    cw_civil c;
    cw_tz_to_local(tz, x->start, &c, NULL);
    put_day(b, (cw_date){c.year, c.month, c.day});
    cw_buf_puts(b, " ");
    put_clock(b, tz, x->start);
    if (with_end) {
        cw_buf_puts(b, "-");
        put_clock(b, tz, x->end);
    }
}

static void put_title(cw_buf *b, const cw_cal_instance *x, int show_episode)
{
    if (x->kind == CW_KIND_BLACKOUT)
        cw_buf_puts(b, "holiday ");
    if (s(x->summary))
        cw_buf_put_oneline(b, x->summary);
    else if (s(x->series))
        cw_buf_put_oneline(b, x->series);
    else
        cw_buf_puts(b, "(no title)");
    if (x->kind == CW_KIND_NEWSLETTER)
        cw_buf_puts(b, " (newsletter)");
    if (x->episode > 0 && show_episode)
        cw_buf_printf(b, " ep %ld", x->episode);
}

static const char *kind_words(cw_kind k)
{
    return k == CW_KIND_NEWSLETTER ? "a newsletter slot" : k == CW_KIND_BLACKOUT ? "a holiday" : "a lesson";
}

/* "; now ep 13 (was ep 12)" and the like, for what else changed. */
static void put_also(cw_buf *b, const cw_cal_change *c, int first)
{
    const char *sep = first ? " is now " : "; now ";
    if (c->what & CW_CHANGED_KIND) {
        cw_buf_printf(b, "%s%s (was %s)", sep, kind_words(c->after.kind), kind_words(c->before.kind));
        sep = ", ";
    }
    if (c->what & CW_CHANGED_SERIES) {
        cw_buf_printf(b, "%sseries ", sep);
        cw_buf_put_oneline(b, s(c->after.series) ? c->after.series : "(none)");
        cw_buf_puts(b, " (was ");
        cw_buf_put_oneline(b, s(c->before.series) ? c->before.series : "none");
        cw_buf_puts(b, ")");
        sep = ", ";
    }
    if (c->what & CW_CHANGED_EPISODE) {
        if (c->after.episode > 0)
            cw_buf_printf(b, "%sep %ld", sep, c->after.episode);
        else
            cw_buf_printf(b, "%sno episode", sep);
        if (c->before.episode > 0)
            cw_buf_printf(b, " (was ep %ld)", c->before.episode);
    }
}

void cw_cal_change_text(const cw_cal_change *c, const cw_tz *tz, cw_buf *b)
{
    /* named as it was, but a restored lesson as it is now (a cancelled one has no episode) */
    const cw_cal_instance *x = c->has_before && c->type != CW_CHANGE_RESTORED ? &c->before : &c->after;
    put_title(b, x, !((c->type == CW_CHANGE_MOVED || c->type == CW_CHANGE_CHANGED) && (c->what & CW_CHANGED_EPISODE)));
    switch (c->type) {
    case CW_CHANGE_ADDED:
        cw_buf_puts(b, " added on ");
        put_when(b, tz, &c->after, 1);
        break;
    case CW_CHANGE_REMOVED:
        cw_buf_puts(b, " on ");
        put_when(b, tz, &c->before, 1);
        cw_buf_puts(b, " removed");
        break;
    case CW_CHANGE_CANCELLED:
        cw_buf_puts(b, " on ");
        put_when(b, tz, &c->before, 0);
        cw_buf_puts(b, " cancelled");
        break;
    case CW_CHANGE_RESTORED:
        cw_buf_puts(b, " on ");
        put_when(b, tz, &c->after, 0);
        cw_buf_puts(b, " no longer cancelled");
        break;
    case CW_CHANGE_MOVED: {
        int same_len = c->before.end - c->before.start == c->after.end - c->after.start;
        if (!(c->what & CW_CHANGED_START)) {
            cw_buf_puts(b, " on ");
            put_when(b, tz, &c->before, 0);
            if (c->after.all_day) {
                cw_buf_puts(b, " now lasts to ");
                put_day(b, cw_date_add_days(c->after.end_date, -1));
            } else {
                cw_buf_puts(b, " now ends at ");
                put_clock(b, tz, c->after.end);
                cw_buf_puts(b, " (was ");
                put_clock(b, tz, c->before.end);
                cw_buf_puts(b, ")");
            }
        } else {
            cw_buf_puts(b, " moved from ");
            put_when(b, tz, &c->before, !same_len);
            cw_buf_puts(b, " to ");
            put_when(b, tz, &c->after, !same_len);
        }
        put_also(b, c, 0);
        break;
    }
    case CW_CHANGE_CHANGED:
        cw_buf_puts(b, " on ");
        put_when(b, tz, &c->before, 0);
        put_also(b, c, 1);
        break;
    }
}
