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

/* Keep the better of two components for the same UID/RECURRENCE-ID; frees the other. */
static cal_comp *dup_pick(cal_load *c, cal_comp *old, cal_comp *nw)
{
    cal_diag(c, CW_DIAG_WARNING, nw->line,
         "duplicate UID '%s'%s%s (also on line %d); the one with the higher SEQUENCE is used "
         "(remove the stale copy)", nw->uid, nw->is_override ? " with RECURRENCE-ID " : "",
         nw->is_override ? nw->rid_text : "", old->line);
    if (nw->sequence >= old->sequence) {
        cal_comp_free(old);
        return nw;
    }
    cal_comp_free(nw);
    return old;
}

int cal_group_events(cal_load *c, cal_raw_comp *rcs, size_t n)
{
    qsort(rcs, n, sizeof *rcs, uid_cmp);
    cal_file *f = c->file;
    size_t i = 0;
    while (i < n) {
        size_t j = i;
        while (j < n && strcmp(rcs[j].k->uid, rcs[i].k->uid) == 0)
            j++;
        cal_comp *master = NULL;
        for (size_t x = i; x < j; x++) {
            if (rcs[x].has_rid)
                continue;
            master = master ? dup_pick(c, master, rcs[x].k) : rcs[x].k;
            rcs[x].k = NULL;
        }
        cal_comp **ovr = NULL;
        size_t n_ovr = 0, cap_ovr = 0;
        for (size_t x = i; x < j; x++) {
            if (!rcs[x].k)
                continue;
            cal_comp *o = rcs[x].k;
            rcs[x].k = NULL;
            o->is_override = 1;
            if (master) {
                o->rid_key = rid_key_for(c->set, master, &rcs[x].rid);
                rid_text(o, master->dtstart.kind == CT_DATE, o->rid_key);
            } else {
                o->rid_key = rcs[x].rid.kind == CT_DATE ? cw_floor_div(rcs[x].rid.wall, 86400)
                                                       : cal_time_utc(c->set, &rcs[x].rid);
                rid_text(o, rcs[x].rid.kind == CT_DATE, o->rid_key);
            }
            /* inherit unstated cal_meaning and text from the master */
            if (master) {
                cal_inherit_str(&o->summary, master->summary);
                cal_inherit_str(&o->description, master->description);
                cal_inherit_str(&o->location, master->location);
                cal_inherit_str(&o->categories, master->categories);
                cal_inherit_str(&o->series, master->series);
                cal_inherit_str(&o->teacher, master->teacher);
                cal_inherit_str(&o->language, master->language);
                cal_inherit_str(&o->attach, master->attach);
                if (o->kind == CW_KIND_NONE)
                    o->kind = master->kind;
                if (!o->episode)
                    o->episode = master->episode;
                if (o->repeat < 0)
                    o->repeat = master->repeat;
            }
            size_t y;
            for (y = 0; y < n_ovr; y++)
                if (ovr[y]->rid_key == o->rid_key)
                    break;
            if (y < n_ovr) {
                ovr[y] = dup_pick(c, ovr[y], o);
                continue;
            }
            if (cal_push_ptr((void ***)&ovr, &n_ovr, &cap_ovr, o)) {
                cal_comp_free(o);
                c->oom = 1;
            }
        }
        if (n_ovr > 1)
            qsort(ovr, n_ovr, sizeof *ovr, ovr_cmp);
        cal_event *ne = realloc(f->events, (f->n_events + 1) * sizeof *ne);
        if (!ne) {
            cal_comp_free(master);
            for (size_t y = 0; y < n_ovr; y++)
                cal_comp_free(ovr[y]);
            free(ovr);
            c->oom = 1;
            return CW_ENOMEM;
        }
        f->events = ne;
        cal_event *e = &f->events[f->n_events++];
        e->file = f;
        e->master = master;
        e->ovr = ovr;
        e->n_ovr = n_ovr;
        i = j;
    }
    return 0;
}

void cal_check_dtstart_on_rule(cal_load *c, cal_comp *m)
{
    if (m->n_rrules == 0 || m->until_before_start)
        return;
    for (size_t i = 0; i < m->n_rdates; i++)
        if (m->rdates[i].t.kind == m->dtstart.kind && m->rdates[i].t.wall == m->dtstart.wall)
            return;
    int any = 0;
    for (size_t i = 0; i < m->n_rrules; i++) {
        int64_t first;
        int r = cal_rrule_first(m, &m->rrules[i], &first);
        if (r == 1 && first == m->dtstart.wall)
            return;
        if (r == 1)
            any = 1;
    }
    cw_civil cv;
    cw_civil_from_wall(m->dtstart.wall, &cv);
    cal_diag(c, CW_DIAG_WARNING, m->line,
         "DTSTART %04d-%02d-%02d %02d:%02d of '%s' is not an occurrence of its RRULE (it is "
         "not scheduled%s; move DTSTART onto the rule or add it as an RDATE)", cv.year,
         cv.month, cv.day, cv.hour, cv.minute, m->uid,
         any ? "" : " and the rule yields nothing");
}
