/* group.c — a file's components grouped by UID into events (a master and its RECURRENCE-ID
 * overrides), duplicates resolved, overrides inheriting what they leave out. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "read_int.h"

static int64_t rid_key_for(const cw_calset *set, const cal_comp *master, const cal_time *rid)
{
    if (master->dtstart.kind == CT_DATE)
        return cw_floor_div(rid->wall, 86400);
    if (rid->kind == CT_DATE) {
        int64_t tod = master->dtstart.wall - cw_floor_div(master->dtstart.wall, 86400) * 86400;
        return cal_frame_wall_to_utc(set, &master->dtstart, rid->wall + tod);
    }
    if (rid->kind == CT_FLOAT)
        return cal_frame_wall_to_utc(set, &master->dtstart, rid->wall);
    return cal_time_utc(set, rid);
}

static void rid_text(cal_comp *k, int is_date, int64_t key)
{
    cw_civil cv;
    if (is_date) {
        cw_civil_from_wall(key * 86400, &cv);
        snprintf(k->rid_text, sizeof k->rid_text, "%04d%02d%02d", cv.year, cv.month, cv.day);
    } else {
        cw_civil_from_wall(key, &cv);
        snprintf(k->rid_text, sizeof k->rid_text, "%04d%02d%02dT%02d%02d%02dZ", cv.year,
                 cv.month, cv.day, cv.hour, cv.minute, cv.second);
    }
}

static int ovr_cmp(const void *a, const void *b)
{
    const cal_comp *x = *(cal_comp *const *)a, *y = *(cal_comp *const *)b;
    return (x->rid_key > y->rid_key) - (x->rid_key < y->rid_key);
}

static int uid_cmp(const void *a, const void *b)
{
    const cal_raw_comp *x = a, *y = b;
    int r = strcmp(x->k->uid, y->k->uid);
    if (r)
        return r;
    return (x->k->line > y->k->line) - (x->k->line < y->k->line);
}

static int str_eq(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static int time_eq(const cal_time *a, const cal_time *b)
{
    return a->kind == b->kind && a->wall == b->wall && a->tz == b->tz;
}

static int rule_eq(const cal_rrule *a, const cal_rrule *b)
{
    if (a->has_until != b->has_until || (a->has_until && !time_eq(&a->until, &b->until)))
        return 0;
    char *x = icalrecurrencetype_as_string_r((struct icalrecurrencetype *)&a->r);
    char *y = icalrecurrencetype_as_string_r((struct icalrecurrencetype *)&b->r);
    int eq = x && y && strcmp(x, y) == 0 && str_eq(a->r.rscale, b->r.rscale);
    icalmemory_free_buffer(x);
    icalmemory_free_buffer(y);
    return eq;
}

/* Two copies of the same event: same times, rules, dates and title. */
static int same_event(const cal_comp *a, const cal_comp *b)
{
    if (!time_eq(&a->dtstart, &b->dtstart) || a->has_dtend != b->has_dtend ||
        (a->has_dtend && !time_eq(&a->dtend, &b->dtend)) || a->has_duration != b->has_duration ||
        a->dur_days != b->dur_days || a->dur_secs != b->dur_secs || a->n_rrules != b->n_rrules ||
        a->n_rdates != b->n_rdates || a->n_exdates != b->n_exdates || a->cancelled != b->cancelled ||
        !str_eq(a->summary, b->summary))
        return 0;
    for (size_t i = 0; i < a->n_rrules; i++)
        if (!rule_eq(&a->rrules[i], &b->rrules[i]))
            return 0;
    for (size_t i = 0; i < a->n_rdates; i++)
        if (!time_eq(&a->rdates[i].t, &b->rdates[i].t))
            return 0;
    for (size_t i = 0; i < a->n_exdates; i++)
        if (a->exdates[i].key != b->exdates[i].key || a->exdates[i].is_date != b->exdates[i].is_date)
            return 0;
    return 1;
}

static int to_limbo(cal_load *c, cal_comp *k)
{
    k->placeable = 0;
    if (cal_grow_one(&c->file->limbo, &c->file->n_limbo, sizeof *c->file->limbo)) {
        cal_comp_free(k);
        c->oom = 1;
        return -1;
    }
    c->file->limbo[c->file->n_limbo++] = k;
    return 0;
}

/* A component left out: freed, unless it was skipped for errors (the file's list of skipped
 * events points at it: it goes to the limbo, freed with the file). */
static void discard(cal_load *c, cal_comp *k)
{
    if (k->skipped)
        (void)to_limbo(c, k);
    else
        cal_comp_free(k);
}

/* A later copy `nw` of a kept component `old` with the same UID (and RECURRENCE-ID): the
 * newer SEQUENCE replaces the older; an identical copy is dropped; a different event with
 * the same SEQUENCE is kept beside it (returns 1: the caller keeps both). A skipped copy
 * never replaces a readable one. Returns 0 when one of them was kept in *old. */
static int dup_resolve(cal_load *c, cal_comp **old, cal_comp *nw, int can_keep_both)
{
    cal_comp *o = *old;
    const char *what = nw->is_override ? " with RECURRENCE-ID " : "";
    const char *rid = nw->is_override ? nw->rid_text : "";
    if (nw->skipped != o->skipped) { /* the readable copy wins */
        cal_comp *bad = nw->skipped ? nw : o;
        *old = nw->skipped ? o : nw;
        return to_limbo(c, bad) ? -1 : 0;
    }
    int same = same_event(o, nw);
    if (!same && nw->sequence == o->sequence && can_keep_both)
        return 1;
    cal_comp *keep = nw->sequence >= o->sequence ? nw : o, *drop = keep == nw ? o : nw;
    if (same)
        cal_diag(c, CW_DIAG_WARNING, "cal.duplicate-uid", nw->line, "a second copy of the event "
                 "'%s'%s%s (also on line %d; the copy on line %d was used, remove the other)",
                 nw->uid, what, rid, o->line, keep->line);
    else
        cal_diag(c, CW_DIAG_WARNING, "cal.duplicate-uid", nw->line, "the event '%s'%s%s is also on "
                 "line %d with SEQUENCE %d (this copy has %d): the %s one, on line %d, was used "
                 "and the other left out (remove the stale copy)", nw->uid, what, rid, o->line,
                 o->sequence, nw->sequence, keep->sequence == drop->sequence ? "later" : "newer",
                 keep->line);
    *old = keep;
    discard(c, drop);
    return 0;
}

static int push_event(cal_load *c, cal_comp *master, cal_comp **ovr, size_t n_ovr)
{
    cal_file *f = c->file;
    if (cal_grow_one(&f->events, &f->n_events, sizeof *f->events)) {
        c->oom = 1;
        return CW_ENOMEM;
    }
    cal_event *e = &f->events[f->n_events++];
    memset(e, 0, sizeof *e);
    e->file = f;
    e->master = master;
    e->ovr = ovr;
    e->n_ovr = n_ovr;
    return 0;
}

/* The masters of one UID (rcs[i..j), no RECURRENCE-ID): duplicates resolved; events with the
 * same UID and SEQUENCE but different times are all kept, the later ones renamed "UID#LINE"
 * (a warning says so). The first kept master is returned (the overrides belong to it); the
 * others become events of their own. */
static cal_comp *group_masters(cal_load *c, cal_raw_comp *rcs, size_t i, size_t j)
{
    cal_comp *kept[64];
    size_t nk = 0;
    for (size_t x = i; x < j && !c->oom; x++) {
        if (rcs[x].has_rid)
            continue;
        cal_comp *m = rcs[x].k;
        rcs[x].k = NULL;
        int placed = 0;
        for (size_t y = 0; y < nk && !placed; y++) {
            int r = dup_resolve(c, &kept[y], m, 1);
            if (r <= 0)
                placed = 1; /* resolved (or out of memory) */
        }
        if (placed)
            continue;
        if (nk == sizeof kept / sizeof kept[0]) {
            cal_diag(c, CW_DIAG_WARNING, "cal.duplicate-uid", m->line, "more than %zu events "
                     "share the UID '%s' (this one was left out; give each event its own UID)",
                     nk, m->uid);
            discard(c, m);
            continue;
        }
        if (nk > 0) {
            char *renamed = cw_asprintf("%s#L%d", m->uid, m->line);
            if (!renamed) {
                c->oom = 1;
                cal_comp_free(m);
                break;
            }
            cal_diag(c, CW_DIAG_WARNING, "cal.duplicate-uid", m->line, "the event '%s' has the UID "
                     "of the different event on line %d (both are kept; this one is called '%s' "
                     "in plans; give each event its own UID)", m->summary ? m->summary : "",
                     kept[0]->line, renamed);
            free(m->uid);
            m->uid = renamed;
        }
        kept[nk++] = m;
    }
    for (size_t y = 1; y < nk; y++)
        if (c->oom || push_event(c, kept[y], NULL, 0))
            cal_comp_free(kept[y]);
    return nk ? kept[0] : NULL;
}

static void inherit(cal_comp *o, const cal_comp *m)
{
    cal_inherit_str(&o->summary, m->summary);
    if (!o->description) /* the text is part of the description: both, or neither */
        cal_inherit_str(&o->text, m->text);
    cal_inherit_str(&o->description, m->description);
    cal_inherit_str(&o->location, m->location);
    cal_inherit_str(&o->categories, m->categories);
    cal_inherit_str(&o->series, m->series);
    cal_inherit_str(&o->teacher, m->teacher);
    cal_inherit_str(&o->language, m->language);
    cal_inherit_str(&o->attach, m->attach);
    if (o->kind == CW_KIND_NONE)
        o->kind = m->kind;
    if (!o->episode)
        o->episode = m->episode;
    if (o->repeat < 0)
        o->repeat = m->repeat;
}

/* RANGE=THISANDFUTURE: the override's time shift in the master's frame (RFC 5545 §3.8.4.4:
 * later instances move by the same amount, in local time). */
static void future_shift(const cw_calset *set, const cal_comp *m, cal_comp *o)
{
    if (m->dtstart.kind == CT_DATE) {
        o->future_shift = o->dtstart.kind == CT_DATE ? o->dtstart.wall - o->rid_key * 86400 : 0;
        return;
    }
    int64_t rid_wall = cal_frame_utc_to_wall(set, &m->dtstart, o->rid_key);
    int64_t start = o->dtstart.kind == CT_FLOAT ? cal_frame_wall_to_utc(set, &m->dtstart, o->dtstart.wall)
                    : o->dtstart.kind == CT_DATE ? cal_frame_wall_to_utc(set, &m->dtstart, o->dtstart.wall)
                                                 : cal_time_utc(set, &o->dtstart);
    o->future_shift = cal_frame_utc_to_wall(set, &m->dtstart, start) - rid_wall;
}

/* Place override o (RECURRENCE-ID `rid`) under master m (may be NULL: an orphan). */
static void place_override(cal_load *c, cal_comp *m, cal_comp *o, const cal_time *rid)
{
    o->is_override = 1;
    if (m) {
        o->rid_key = rid_key_for(c->set, m, rid);
        rid_text(o, m->dtstart.kind == CT_DATE, o->rid_key);
        if (rid->kind == CT_FLOAT && m->dtstart.kind == CT_ZONED)
            cal_diag(c, CW_DIAG_WARNING, "cal.rid-no-tzid", o->line, "the RECURRENCE-ID of this "
                     "moved instance has no time zone (it was read in the zone of the event's "
                     "DTSTART, %s; give it the same TZID)", cal_zone_name(m->dtstart.tz));
        inherit(o, m);
        if (o->range_future && o->has_start)
            future_shift(c->set, m, o);
    } else {
        o->rid_key = rid->kind == CT_DATE ? cw_floor_div(rid->wall, 86400) : cal_time_utc(c->set, rid);
        rid_text(o, rid->kind == CT_DATE, o->rid_key);
        o->range_future = 0;
    }
}

/* The overrides of one UID: duplicates of one RECURRENCE-ID resolved, sorted by it. */
static int group_overrides(cal_load *c, cal_raw_comp *rcs, size_t i, size_t j, cal_comp *m,
                           cal_comp ***out, size_t *n_out)
{
    cal_comp **ovr = NULL;
    size_t n_ovr = 0, cap = 0;
    for (size_t x = i; x < j && !c->oom; x++) {
        if (!rcs[x].k)
            continue;
        cal_comp *o = rcs[x].k;
        rcs[x].k = NULL;
        if (o->skipped && !o->has_start) {
            o->dtstart = rcs[x].rid; /* placed at its RECURRENCE-ID */
            o->has_start = 1;
            o->placeable = 1;
        }
        place_override(c, m, o, &rcs[x].rid);
        size_t y;
        for (y = 0; y < n_ovr && ovr[y]->rid_key != o->rid_key; y++)
            ;
        if (y < n_ovr)
            dup_resolve(c, &ovr[y], o, 0);
        else if (cal_push_ptr((void ***)&ovr, &n_ovr, &cap, o)) {
            cal_comp_free(o);
            c->oom = 1;
        }
    }
    if (n_ovr > 1)
        qsort(ovr, n_ovr, sizeof *ovr, ovr_cmp);
    *out = ovr;
    *n_out = n_ovr;
    return c->oom ? CW_ENOMEM : 0;
}

/* The THISANDFUTURE overrides of event e, in RECURRENCE-ID order, and their largest shift. */
static int collect_future(cal_event *e)
{
    for (size_t y = 0; y < e->n_ovr; y++) {
        cal_comp *o = e->ovr[y];
        if (!o->range_future || o->skipped || !e->master)
            continue;
        if (cal_grow_one(&e->fut, &e->n_fut, sizeof *e->fut))
            return CW_ENOMEM;
        e->fut[e->n_fut++] = o;
        int64_t s = o->future_shift < 0 ? -o->future_shift : o->future_shift;
        if (s > e->max_shift)
            e->max_shift = s;
    }
    return 0;
}

int cal_group_events(cal_load *c, cal_raw_comp *rcs, size_t n)
{
    /* skipped components without a start cannot be grouped: listed only */
    for (size_t x = 0; x < n; x++)
        if (rcs[x].k && rcs[x].k->skipped && !rcs[x].k->has_start && !rcs[x].has_rid) {
            if (to_limbo(c, rcs[x].k))
                rcs[x].k = NULL;
            rcs[x].k = NULL;
        }
    size_t m = 0;
    for (size_t x = 0; x < n; x++)
        if (rcs[x].k)
            rcs[m++] = rcs[x];
    n = m;
    qsort(rcs, n, sizeof *rcs, uid_cmp);
    for (size_t i = 0, j; i < n && !c->oom; i = j) {
        for (j = i; j < n && strcmp(rcs[j].k->uid, rcs[i].k->uid) == 0; j++)
            ;
        cal_comp *master = group_masters(c, rcs, i, j);
        cal_comp **ovr = NULL;
        size_t n_ovr = 0;
        if (group_overrides(c, rcs, i, j, master, &ovr, &n_ovr) ||
            push_event(c, master, ovr, n_ovr)) {
            cal_comp_free(master);
            for (size_t y = 0; y < n_ovr; y++)
                cal_comp_free(ovr[y]);
            free(ovr);
            return CW_ENOMEM;
        }
        if (collect_future(&c->file->events[c->file->n_events - 1])) {
            c->oom = 1;
            return CW_ENOMEM;
        }
    }
    return c->oom ? CW_ENOMEM : 0;
}

/* RFC 5545 §3.3.10: "the DTSTART property value always counts as the first occurrence".
 * A DTSTART that is no instance of its rules (Apple's holiday feeds rely on this) is added
 * as an RDATE, and counts as the first of a single rule's COUNT; a warning says so. */
void cal_check_dtstart_on_rule(cal_load *c, cal_comp *m)
{
    if (m->n_rrules == 0 || m->until_before_start || !m->has_start)
        return;
    for (size_t i = 0; i < m->n_rdates; i++)
        if (m->rdates[i].t.kind == m->dtstart.kind && m->rdates[i].t.wall == m->dtstart.wall)
            return;
    for (size_t i = 0; i < m->n_rrules; i++) {
        int64_t first;
        if (cal_rrule_first(m, &m->rrules[i], &first) == 1 && first == m->dtstart.wall)
            return;
    }
    if (cal_grow_one(&m->rdates, &m->n_rdates, sizeof *m->rdates)) {
        c->oom = 1;
        return;
    }
    cal_rdate *rd = &m->rdates[m->n_rdates++];
    memset(rd, 0, sizeof *rd);
    rd->t = m->dtstart;
    m->dtstart_added = 1;
    int counted = m->n_rrules == 1 && m->rrules[0].r.count > 0;
    if (counted && --m->rrules[0].r.count == 0)
        m->until_before_start = 1; /* COUNT=1: DTSTART is the one occurrence */
    cw_civil cv;
    cw_civil_from_wall(m->dtstart.wall, &cv);
    cal_diag(c, CW_DIAG_WARNING, "cal.dtstart-not-on-rule", m->line,
             "DTSTART %04d-%02d-%02d %02d:%02d of '%s' is not an occurrence of its RRULE (it was "
             "scheduled as the first occurrence, as RFC 5545 says%s; move DTSTART onto the rule if "
             "that is not meant)", cv.year, cv.month, cv.day, cv.hour, cv.minute, m->uid,
             counted ? ", and counts in the RRULE's COUNT" : "");
}
