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

void cal_diag(cal_load *c, cw_diag_severity sev, const char *code, int line, const char *fmt, ...)
{
    if (sev == CW_DIAG_ERROR)
        c->errors++;
    else
        c->warnings++;
    va_list ap;
    va_start(ap, fmt);
    char buf[1024];
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cal_comp *k = c->cur;
    if (sev == CW_DIAG_ERROR && k) {
        /* an error inside an event skips that event (and only it) */
        k->skipped = 1;
        if (!k->skip_code && (!(k->skip_code = cw_strdup(code)) || !(k->skip_text = cw_strdup(buf))))
            c->oom = 1;
    }
    if (!c->diags)
        return;
    char *text = NULL;
    if (sev == CW_DIAG_ERROR && k)
        text = cw_asprintf("event '%.80s' (UID %.120s) skipped: %s",
                           k->summary && *k->summary ? k->summary : "(no title)", k->uid, buf);
    if (cw_diags_add(c->diags, sev, code, c->source, line, c->item, text ? text : buf))
        c->oom = 1;
    free(text);
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
    for (size_t i = 0; i < f->n_events; i++)
        free(f->events[i].fut);
    free(f->events);
    for (size_t i = 0; i < f->n_limbo; i++)
        cal_comp_free(f->limbo[i]);
    free(f->limbo);
    for (size_t i = 0; i < f->n_skipped; i++) {
        cw_cal_skipped *x = &f->skipped[i];
        free((char *)x->uid);
        free((char *)x->summary);
        free((char *)x->code);
        free((char *)x->reason);
    }
    free(f->skipped);
    free(f->zone);
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
    set->station_zone = default_tz != NULL;
    return set;
}

void cw_calset_set_zone_warnings(cw_calset *set, int on)
{
    set->station_zone = on;
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
    free(c->drop);
    for (size_t i = 0; c->repl && i <= c->n_lines; i++)
        free(c->repl[i]);
    free(c->repl);
    free(c->lic);
    free(c->x_wr_tz);
    for (size_t i = 0; i < c->n_resolved; i++)
        free(c->resolved[i].tzid);
    free(c->resolved);
    file_free(c->file);
}

/* The VEVENTs of every VCALENDAR under root (an XROOT holds several), in file order. */
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

/* The file as a whole: bytes, structure, repairs, libical's parse. Returns 0 with *root, or
 * an error code (diagnostics given): the file is refused. */
static int parse_file(cal_load *c, const char *data, size_t len, icalcomponent **root)
{
    int rc;
    if (len > CW_CAL_MAX_BYTES) {
        cal_diag(c, CW_DIAG_ERROR, "cal.too-large", 0, "the file is larger than %d MiB (split the "
                 "calendar or export a shorter range)", CW_CAL_MAX_BYTES / (1024 * 1024));
        return CW_ELIMIT;
    }
    if ((rc = cal_normalise(c, data ? data : "", data ? len : 0)) != 0 ||
        (rc = cal_scan_structure(c)) != 0 || (rc = cal_repair(c)) != 0)
        return rc;
    *root = icalparser_parse_string(c->lic);
    if (!*root) {
        cal_diag(c, CW_DIAG_ERROR, "cal.unparseable", 1, "libical cannot parse the file (export "
                 "the calendar again)");
        return CW_EINVAL;
    }
    return 0;
}

/* Every VEVENT read (skipped ones too) into rcs[]. */
static int read_events(cal_load *c, icalcomponent **evs, size_t n_evs, cal_raw_comp *rcs,
                       size_t *n_rcs)
{
    if (n_evs != c->n_ev)
        cal_diag(c, CW_DIAG_WARNING, "cal.unusual-structure", 1, "the file's structure is unusual "
                 "(line numbers of events may be approximate)");
    for (size_t i = 0; i < n_evs; i++) {
        int a = i < c->n_ev ? c->ev_begin[i] : 1;
        int b = i < c->n_ev ? c->ev_end[i] : (int)c->n_lines + 1;
        cal_raw_comp rcx;
        memset(&rcx, 0, sizeof rcx);
        cal_comp *k = cal_read_event(c, evs[i], a, b, &rcx);
        if (!k)
            return CW_ENOMEM;
        rcx.k = k;
        rcs[(*n_rcs)++] = rcx;
    }
    return 0;
}

/* The list of skipped events (file order), before grouping takes the components. */
static int list_skipped(cal_load *c, const cal_raw_comp *rcs, size_t n, cal_comp ***comps)
{
    cal_file *f = c->file;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += rcs[i].k->skipped;
    if (!k)
        return 0;
    f->skipped = calloc(k, sizeof *f->skipped);
    *comps = calloc(k, sizeof **comps);
    if (!f->skipped || !*comps)
        return CW_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const cal_comp *x = rcs[i].k;
        if (!x->skipped)
            continue;
        cw_cal_skipped *s = &f->skipped[f->n_skipped];
        (*comps)[f->n_skipped++] = rcs[i].k;
        s->file = f->label;
        s->line = x->line;
        s->uid = cw_strdup(x->uid);
        s->summary = cw_strdup(x->summary ? x->summary : "");
        s->code = cw_strdup(x->skip_code ? x->skip_code : "cal.error");
        s->reason = cw_strdup(x->skip_text ? x->skip_text : "");
        if (!s->uid || !s->summary || !s->code || !s->reason)
            return CW_ENOMEM;
    }
    return 0;
}


/* All-day events nobody said the meaning of: read as lessons, which play nothing. One warning
 * (for the first of them, with how many) that says exactly how to mark them. */
static void warn_allday(cal_load *c, const cal_comp *first, size_t n)
{
    if (!n)
        return;
    char file[600];
    cw_shell_word(c->source, file, sizeof file);
    const char *what = first->summary && *first->summary ? first->summary : first->uid;
    if (n == 1)
        cal_diag(c, CW_DIAG_WARNING, "cal.allday-unmarked", first->line,
                 "the all-day event '%s' is read as a lesson, which plays nothing (if it is a "
                 "holiday, add the line 'Kind: holiday' to its description, or import the whole "
                 "calendar as holidays: chalkwave calendar import %s --holidays)", what, file);
    else
        cal_diag(c, CW_DIAG_WARNING, "cal.allday-unmarked", first->line,
                 "%zu all-day events, from '%s' here on, are read as lessons, which play nothing "
                 "(if they are holidays, add the line 'Kind: holiday' to their descriptions, or "
                 "import the whole calendar as holidays: chalkwave calendar import %s --holidays)",
                 n, what, file);
}

/* After grouping: meaning defaults, DTSTART as first occurrence, the all-day warning. */
static void finish_file(cal_load *c, const cw_cal_file_opts *o)
{
    cal_file *f = c->file;
    int holidays = o && o->holidays;
    const cal_comp *first = NULL;
    size_t unmarked = 0;
    for (size_t i = 0; i < f->n_events; i++) {
        cal_event *e = &f->events[i];
        for (size_t j = 0; j <= e->n_ovr; j++) {
            cal_comp *k = j == 0 ? e->master : e->ovr[j - 1];
            if (!k)
                continue;
            cal_finish_meaning(k, holidays);
            if (k->has_start && k->dtstart.kind == CT_DATE && !k->kind_stated && !k->skipped &&
                !holidays && !k->cancelled && (j == 0 || !e->master)) {
                if (!first || k->line < first->line)
                    first = k;
                unmarked++;
            }
        }
        if (e->master)
            cal_check_dtstart_on_rule(c, e->master);
    }
    warn_allday(c, first, unmarked);
}

int cw_calset_add_data_opts(cw_calset *set, const char *data, size_t len,
                            const cw_cal_file_opts *o, cw_diags *diags, cw_error *err)
{
    cw_cal_lib_init();
    cal_load c;
    memset(&c, 0, sizeof c);
    c.set = set;
    c.source = o && o->label ? o->label : "";
    c.diags = diags;
    size_t first_diag = diags ? diags->n : 0;
    icalcomponent *root = NULL, **evs = NULL, **cals = NULL;
    size_t n_evs = 0, cap_evs = 0, n_cals = 0, cap_cals = 0, n_rcs = 0;
    cal_raw_comp *rcs = NULL;
    cal_comp **skipped = NULL;
    int rc = parse_file(&c, data, len, &root), oom = 0;
    if (rc)
        goto refused;
    c.file = calloc(1, sizeof *c.file);
    if (!c.file || !(c.file->label = cw_strdup(c.source)))
        goto nomem;
    c.file->priority = o ? o->priority : 0;
    c.file->holidays = o ? o->holidays : 0;
    collect_vevents(root, &evs, &n_evs, &cap_evs, &cals, &n_cals, &cap_cals, &oom);
    if (oom || !(rcs = calloc(n_evs ? n_evs : 1, sizeof *rcs)))
        goto nomem;
    for (size_t i = 0; i < n_cals; i++)
        if ((rc = cal_load_zones(&c, cals[i])) != 0)
            goto refused;
    if (read_events(&c, evs, n_evs, rcs, &n_rcs))
        goto nomem;
    for (size_t i = 0; i < n_cals; i++) /* calendar-level complaints: warnings */
        cal_lic_errors(&c, cals[i], 0, (int)c.n_lines + 1, 0);
    icalcomponent_free(root);
    root = NULL;
    if (list_skipped(&c, rcs, n_rcs, &skipped) || cal_group_events(&c, rcs, n_rcs))
        goto nomem;
    n_rcs = 0; /* grouping took them */
    finish_file(&c, o);
    for (size_t i = 0; i < c.file->n_skipped; i++)
        c.file->skipped[i].placeable = skipped[i]->placeable;
    cal_file_zone(&c);
    if (c.oom || cal_grow_one(&set->files, &set->n_files, sizeof *set->files))
        goto nomem;
    set->files[set->n_files++] = c.file;
    c.file = NULL;
    rc = 0;
    goto done;
nomem:
    rc = CW_ENOMEM;
refused:
    if (rc == CW_ENOMEM || c.oom)
        rc = cw_fail(err, CW_ENOMEM, c.source, 0, "out of memory reading the calendar");
    else if (rc == CW_ELIMIT)
        rc = cw_fail(err, CW_ELIMIT, c.source, 0, "the calendar exceeds a size or nesting "
                     "limit (see the diagnostics)");
    else
        rc = cw_fail(err, CW_EINVAL, c.source, 0, "the file cannot be read as a calendar (run "
                     "'chalkwave calendar check' and fix what it says)");
done:
    if (diags)
        cal_sort_diags(diags, first_diag);
    if (root)
        icalcomponent_free(root);
    free(evs);
    free(cals);
    for (size_t i = 0; i < n_rcs; i++)
        cal_comp_free(rcs[i].k);
    free(rcs);
    free(skipped);
    ctx_free(&c);
    return rc;
}

int cw_calset_add_data(cw_calset *set, const char *data, size_t len, const char *label,
                       int priority, cw_diags *diags, cw_error *err)
{
    cw_cal_file_opts o = {label, priority, 0};
    return cw_calset_add_data_opts(set, data, len, &o, diags, err);
}

int cw_calset_add_file_opts(cw_calset *set, const char *path, const cw_cal_file_opts *opts,
                            cw_diags *diags, cw_error *err)
{
    char *data = NULL;
    size_t len = 0;
    cw_error e;
    cw_error_clear(&e);
    cw_cal_file_opts o = {path, 0, 0};
    if (opts) {
        o = *opts;
        if (!o.label)
            o.label = path;
    }
    int rc = cw_read_file(path, CW_CAL_MAX_BYTES, &data, &len, &e);
    if (rc) {
        if (rc == CW_ELIMIT || strstr(e.text, "large") || strstr(e.text, "big")) {
            if (diags)
                cw_diags_addf(diags, CW_DIAG_ERROR, "cal.too-large", o.label, 0, NULL,
                              "the file is larger than %d MiB (split the calendar or export a "
                              "shorter range)", CW_CAL_MAX_BYTES / (1024 * 1024));
            return cw_fail(err, CW_ELIMIT, path, 0, "the file is larger than %d MiB (split "
                           "the calendar or export a shorter range)",
                           CW_CAL_MAX_BYTES / (1024 * 1024));
        }
        if (err)
            *err = e;
        return rc;
    }
    rc = cw_calset_add_data_opts(set, data, len, &o, diags, err);
    free(data);
    return rc;
}

int cw_calset_add_file(cw_calset *set, const char *path, const char *label, int priority,
                       cw_diags *diags, cw_error *err)
{
    cw_cal_file_opts o = {label ? label : path, priority, 0};
    return cw_calset_add_file_opts(set, path, &o, diags, err);
}

/* Diagnostics of one file (from index `first`) in line order (stable). */
void cal_sort_diags(cw_diags *d, size_t first)
{
    for (size_t i = first + 1; i < d->n; i++) {
        cw_diag x = d->v[i];
        size_t j = i;
        while (j > first && d->v[j - 1].line > x.line) {
            d->v[j] = d->v[j - 1];
            j--;
        }
        d->v[j] = x;
    }
}
