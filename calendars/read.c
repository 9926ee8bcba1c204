/* read.c — reading partner .ics files into a cw_calset: the steps of text.c, rawcheck.c,
 * event.c and group.c in order, and the set itself.
 * Guarantees: whatever the bytes, the result is either a fully validated file in the set or
 * CW_EINVAL/CW_ELIMIT with diagnostics; nothing is printed; libical memory is freed. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "read_int.h"

void cal_diag(cal_load *c, cw_diag_severity sev, int line, const char *fmt, ...)
{
    if (sev == CW_DIAG_ERROR)
        c->errors++;
    else
        c->warnings++;
    if (!c->diags)
        return;
    va_list ap;
    va_start(ap, fmt);
    char buf[1024];
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (cw_diags_add(c->diags, sev, NULL, c->source, line, NULL, buf))
        c->oom = 1;
}

static void file_free(cal_file *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n_events; i++) {
        cal_comp_free(f->events[i].master);
        for (size_t j = 0; j < f->events[i].n_ovr; j++)
            cal_comp_free(f->events[i].ovr[j]);
        free(f->events[i].ovr);
    }
    free(f->events);
    free(f->label);
    free(f);
}

cw_calset *cw_calset_new(const char *default_tz)
{
    cw_cal_lib_init();
    cw_calset *set = calloc(1, sizeof *set);
    if (!set)
        return NULL;
    cw_error e;
    if (cw_tz_open(&set->deftz, default_tz ? default_tz : "UTC", &e) || cal_cache_new(set)) {
        cw_tz_free(set->deftz);
        free(set);
        return NULL;
    }
    return set;
}

void cw_calset_free(cw_calset *set)
{
    if (!set)
        return;
    cal_cache_free(set);
    for (size_t i = 0; i < set->n_files; i++)
        file_free(set->files[i]);
    free(set->files);
    for (size_t i = 0; i < set->n_zones; i++)
        cw_tz_free(set->zones[i]);
    free(set->zones);
    cw_tz_free(set->deftz);
    free(set);
}

int cal_set_adopt_zone(cw_calset *set, cw_tz *tz)
{
    cw_tz **nv = realloc(set->zones, (set->n_zones + 1) * sizeof *nv);
    if (!nv)
        return -1;
    set->zones = nv;
    set->zones[set->n_zones++] = tz;
    return 0;
}

const cw_tz *cal_set_system_zone(cw_calset *set, const char *name)
{
    /* System zones are adopted with a leading NUL-free marker: their name is the IANA
     * name; embedded zones are found through the file's own table first. */
    for (size_t i = 0; i < set->n_zones; i++)
        if (set->zones[i]->name[0] == '@' && strcmp(set->zones[i]->name + 1, name) == 0)
            return set->zones[i];
    if (strcasecmp(name, "UTC") == 0 || strcasecmp(name, "Etc/UTC") == 0 ||
        strcasecmp(name, "GMT") == 0)
        name = "UTC";
    cw_tz *tz;
    cw_error e;
    if (cw_tz_open(&tz, name, &e))
        return NULL;
    char *nn = cw_asprintf("@%s", name);
    if (!nn || cal_set_adopt_zone(set, tz)) {
        free(nn);
        cw_tz_free(tz);
        return NULL;
    }
    free(tz->name);
    tz->name = nn;
    return tz;
}

static void ctx_free(cal_load *c)
{
    free(c->text);
    free(c->line_off);
    free(c->ev_begin);
    free(c->ev_end);
    for (size_t i = 0; i < c->n_zones; i++)
        free(c->ztzid[i]);
    free(c->ztzid);
    free(c->zone);
    file_free(c->file);
}

static void collect_vevents(icalcomponent *root, icalcomponent ***out, size_t *n, size_t *cap,
                            icalcomponent ***cals, size_t *nc, size_t *capc, int *oom)
{
    icalcomponent_kind k = icalcomponent_isa(root);
    if (k == ICAL_VCALENDAR_COMPONENT) {
        if (cal_push_ptr((void ***)cals, nc, capc, root))
            *oom = 1;
        icalcompiter ci = icalcomponent_begin_component(root, ICAL_VEVENT_COMPONENT);
        for (icalcomponent *e; (e = icalcompiter_deref(&ci)) != NULL; icalcompiter_next(&ci))
            if (cal_push_ptr((void ***)out, n, cap, e))
                *oom = 1;
        return;
    }
    if (k == ICAL_XROOT_COMPONENT) {
        icalcompiter ci = icalcomponent_begin_component(root, ICAL_VCALENDAR_COMPONENT);
        for (icalcomponent *e; (e = icalcompiter_deref(&ci)) != NULL; icalcompiter_next(&ci))
            collect_vevents(e, out, n, cap, cals, nc, capc, oom);
    }
}

int cw_calset_add_data(cw_calset *set, const char *data, size_t len, const char *label,
                       int priority, cw_diags *diags, cw_error *err)
{
    cw_cal_lib_init();
    cal_load c;
    memset(&c, 0, sizeof c);
    c.set = set;
    c.source = label ? label : "";
    c.diags = diags;
    size_t first_diag = diags ? diags->n : 0;
    int rc = 0;
    icalcomponent *root = NULL;
    icalcomponent **evs = NULL, **cals = NULL;
    size_t n_evs = 0, cap_evs = 0, n_cals = 0, cap_cals = 0;
    cal_raw_comp *rcs = NULL;
    size_t n_rcs = 0;

    if (len > CW_CAL_MAX_BYTES) {
        cal_diag(&c, CW_DIAG_ERROR, 0, "the file is larger than %d MiB (split the calendar or "
             "export a shorter range)", CW_CAL_MAX_BYTES / (1024 * 1024));
        rc = cw_fail(err, CW_ELIMIT, c.source, 0, "the file is larger than %d MiB (split the "
                     "calendar or export a shorter range)", CW_CAL_MAX_BYTES / (1024 * 1024));
        goto done;
    }
    if ((rc = cal_normalise(&c, data ? data : "", data ? len : 0)) != 0)
        goto refused;
    if ((rc = cal_scan_structure(&c)) != 0)
        goto refused;
    c.file = calloc(1, sizeof *c.file);
    if (!c.file || !(c.file->label = cw_strdup(c.source))) {
        rc = CW_ENOMEM;
        goto refused;
    }
    c.file->priority = priority;
    root = icalparser_parse_string(c.text);
    if (!root) {
        cal_diag(&c, CW_DIAG_ERROR, 1, "libical cannot parse the file (export the calendar "
             "again)");
        rc = CW_EINVAL;
        goto refused;
    }
    int oom = 0;
    collect_vevents(root, &evs, &n_evs, &cap_evs, &cals, &n_cals, &cap_cals, &oom);
    if (oom) {
        rc = CW_ENOMEM;
        goto refused;
    }
    for (size_t i = 0; i < n_cals; i++)
        if ((rc = cal_load_zones(&c, cals[i])) != 0)
            goto refused;
    if (n_evs != c.n_ev) {
        /* The structural scan and libical disagree (odd folding): lines are approximate. */
        cal_diag(&c, CW_DIAG_WARNING, 1, "the file's structure is unusual (line numbers of "
             "events may be approximate)");
    }
    rcs = calloc(n_evs ? n_evs : 1, sizeof *rcs);
    if (!rcs) {
        rc = CW_ENOMEM;
        goto refused;
    }
    for (size_t i = 0; i < n_evs; i++) {
        int a = i < c.n_ev ? c.ev_begin[i] : 1;
        int b = i < c.n_ev ? c.ev_end[i] : (int)c.n_lines + 1;
        cal_raw_comp rcx;
        memset(&rcx, 0, sizeof rcx);
        cal_comp *k = cal_read_event(&c, evs[i], a, b, &rcx);
        if (c.oom) {
            cal_comp_free(k);
            rc = CW_ENOMEM;
            goto refused;
        }
        if (!k)
            continue;
        rcx.k = k;
        rcs[n_rcs++] = rcx;
    }
    /* VCALENDAR-level errors (outside events) */
    for (size_t i = 0; i < n_cals; i++) {
        int fatal = 0;
        cal_lic_errors(&c, cals[i], 0, (int)c.n_lines + 1, &fatal);
    }
    icalcomponent_free(root);
    root = NULL;
    if (c.errors) {
        for (size_t i = 0; i < n_rcs; i++)
            cal_comp_free(rcs[i].k);
        n_rcs = 0;
        rc = CW_EINVAL;
        goto refused;
    }
    if ((rc = cal_group_events(&c, rcs, n_rcs)) != 0)
        goto refused;
    for (size_t i = 0; i < c.file->n_events; i++) {
        cal_event *e = &c.file->events[i];
        if (e->master) {
            cal_finish_meaning(e->master);
            cal_check_dtstart_on_rule(&c, e->master);
        }
        for (size_t j = 0; j < e->n_ovr; j++)
            cal_finish_meaning(e->ovr[j]);
    }
    for (size_t i = 0; i < c.file->n_events; i++) {
        cal_event *e = &c.file->events[i];
        if (e->master && !e->master->uid[0])
            c.oom = 1;
    }
    if (c.oom) {
        rc = CW_ENOMEM;
        goto refused;
    }
    cal_file **nf = realloc(set->files, (set->n_files + 1) * sizeof *nf);
    if (!nf) {
        rc = CW_ENOMEM;
        goto refused;
    }
    set->files = nf;
    set->files[set->n_files++] = c.file;
    c.file = NULL;
    rc = 0;
    goto done;

refused:
    if (rc == CW_ENOMEM || c.oom)
        rc = cw_fail(err, CW_ENOMEM, c.source, 0, "out of memory reading the calendar");
    else if (rc == CW_ELIMIT)
        rc = cw_fail(err, CW_ELIMIT, c.source, 0, "the calendar exceeds a size or nesting "
                     "limit (see the diagnostics)");
    else
        rc = cw_fail(err, CW_EINVAL, c.source, 0, "the calendar has %zu error%s (run "
                     "'chalkwave calendar check' and fix them)", c.errors,
                     c.errors == 1 ? "" : "s");
done:
    if (diags && diags->n > first_diag + 1) {
        /* in line order (stable: insertion sort of this file's diagnostics) */
        for (size_t i = first_diag + 1; i < diags->n; i++) {
            cw_diag x = diags->v[i];
            size_t j = i;
            while (j > first_diag && diags->v[j - 1].line > x.line) {
                diags->v[j] = diags->v[j - 1];
                j--;
            }
            diags->v[j] = x;
        }
    }
    if (root)
        icalcomponent_free(root);
    free(evs);
    free(cals);
    if (rcs) {
        for (size_t i = 0; i < n_rcs; i++)
            cal_comp_free(rcs[i].k);
        free(rcs);
    }
    ctx_free(&c);
    return rc;
}

int cw_calset_add_file(cw_calset *set, const char *path, const char *label, int priority,
                       cw_diags *diags, cw_error *err)
{
    char *data = NULL;
    size_t len = 0;
    cw_error e;
    cw_error_clear(&e);
    int rc = cw_read_file(path, CW_CAL_MAX_BYTES, &data, &len, &e);
    if (rc) {
        if (rc == CW_ELIMIT || strstr(e.text, "large") || strstr(e.text, "big")) {
            cal_load c;
            memset(&c, 0, sizeof c);
            c.source = path;
            c.diags = diags;
            cal_diag(&c, CW_DIAG_ERROR, 0, "the file is larger than %d MiB (split the calendar "
                 "or export a shorter range)", CW_CAL_MAX_BYTES / (1024 * 1024));
            return cw_fail(err, CW_ELIMIT, path, 0, "the file is larger than %d MiB (split "
                           "the calendar or export a shorter range)",
                           CW_CAL_MAX_BYTES / (1024 * 1024));
        }
        if (err)
            *err = e;
        return rc;
    }
    rc = cw_calset_add_data(set, data, len, label ? label : path, priority, diags, err);
    free(data);
    return rc;
}
