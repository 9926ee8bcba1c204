/* plan_day.c — cw_plan_day: the station's on-air windows for a date (station zone,
 * DST-aware), every calendar occurrence of the day (cancelled ones too: they are slots), the
 * station's own changes applied (moved and cancelled instances), each series lesson's
 * episode (plan_history.c), then the planner core. Also loads the station's partner
 * calendars. Guarantees: nothing is stored between runs; the same calendars, library,
 * changes, records and settings give the same plan for any date, in any order of planning. */
#include "scheduler_int.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static int is_series_lesson(const cw_occurrence *o)
{
    return (o->kind == CW_KIND_LESSON || o->kind == CW_KIND_NONE) && o->series && o->series[0] && !o->all_day &&
           !(o->skipped && o->skipped[0]);
}

/* Offset changes inside [ws, we]: probe every 30 minutes, bisect to the second. */
static int find_tz_changes(const cw_tz *tz, int64_t ws, int64_t we, cw_plan_tzchange *out, size_t max, size_t *n)
{
    *n = 0;
    int prev = cw_tz_offset_at(tz, ws);
    int64_t lo = ws;
    for (int64_t t = ws + 1800;; t += 1800) {
        int64_t tt = t < we ? t : we;
        int o = cw_tz_offset_at(tz, tt);
        if (o != prev) {
            int64_t a = lo, b = tt; /* offset(a) == prev, offset(b) != prev */
            while (b - a > 1) {
                int64_t m = a + (b - a) / 2;
                if (cw_tz_offset_at(tz, m) == prev) a = m;
                else b = m;
            }
            if (*n < max) out[(*n)++] = (cw_plan_tzchange){b, cw_tz_offset_at(tz, b)};
            prev = cw_tz_offset_at(tz, b);
            if (prev != o) { /* two changes in one probe step: look again from b */
                lo = b;
                t = b - 1800 + 1;
                continue;
            }
        }
        lo = tt;
        if (tt >= we) break;
    }
    return 0;
}

/* The UTC instant of local time `minutes` after midnight of d (24:00 and more run into the
 * next days). */
static int64_t local_at(const cw_tz *tz, cw_date d, int minutes)
{
    cw_date dd = cw_date_add_days(d, minutes / (24 * 60));
    minutes %= 24 * 60;
    cw_civil c = {dd.year, dd.month, dd.day, minutes / 60, minutes % 60, 0};
    return cw_tz_to_utc(tz, &c);
}

size_t cw_plan_windows(const cw_station *st, const cw_tz *tz, cw_date date, cw_plan_window out[CW_MAX_ON_AIR])
{
    cw_on_air w[CW_MAX_ON_AIR];
    size_t n = cw_station_windows(st, w);
    for (size_t k = 0; k < n; k++) {
        int end = w[k].end <= w[k].start ? w[k].end + 24 * 60 : w[k].end;
        out[k].start_utc = local_at(tz, date, w[k].start);
        out[k].end_utc = local_at(tz, date, end);
        if (out[k].end_utc <= out[k].start_utc || (k && out[k].start_utc < out[k - 1].end_utc)) return 0;
    }
    return n;
}

void cw_plan_day_span(const cw_station *st, const cw_tz *tz, cw_date date, int64_t *from, int64_t *to)
{
    cw_plan_window w[CW_MAX_ON_AIR], pw[CW_MAX_ON_AIR];
    *from = local_at(tz, date, 0);
    *to = local_at(tz, date, 24 * 60);
    size_t n = cw_plan_windows(st, tz, date, w);
    if (n && w[n - 1].end_utc > *to) *to = w[n - 1].end_utc;
    size_t pn = cw_plan_windows(st, tz, cw_date_add_days(date, -1), pw);
    if (pn && pw[pn - 1].end_utc > *from) *from = pw[pn - 1].end_utc;
    if (n && w[0].start_utc < *from) *from = w[0].start_utc; /* a DST gap at midnight */
}

/* ---- station changes on the day's occurrences -------------------------------------- */

static int same_instance(const cw_station_change *x, const cw_occurrence *o)
{
    return !strcmp(x->event_uid, o->uid ? o->uid : "") && !strcmp(x->event_file, o->file ? o->file : "") &&
           !strcmp(x->recurrence_id, o->recurrence_id ? o->recurrence_id : "");
}

typedef struct day_occ {
    cw_occurrences occ;     /* the day's occurrences (borrowed strings) */
    cw_sched_note *notes;   /* one per occurrence */
    cw_occurrences *extra;  /* expansions the moved-in instances came from (kept alive) */
    size_t n_extra;
} day_occ;

static void day_occ_free(day_occ *d)
{
    cw_occurrences_free(&d->occ);
    free(d->notes);
    for (size_t i = 0; i < d->n_extra; i++) cw_occurrences_free(&d->extra[i]);
    free(d->extra);
}

static int push_occ(day_occ *d, const cw_occurrence *o, cw_sched_note note)
{
    if (d->occ.n == d->occ.cap) {
        size_t nc = d->occ.cap ? d->occ.cap * 2 : 16;
        cw_occurrence *v = realloc(d->occ.v, nc * sizeof *v);
        cw_sched_note *nv = realloc(d->notes, nc * sizeof *nv);
        if (v) d->occ.v = v;
        if (nv) d->notes = nv;
        if (!v || !nv) return -1;
        d->occ.cap = nc;
    }
    d->notes[d->occ.n] = note;
    d->occ.v[d->occ.n++] = *o;
    return 0;
}

/* Instances the station moved or cancelled: a cancelled one is marked, a moved one leaves
 * its own day and joins the day of its new time (found by its own start, above every
 * partner calendar). */
static int apply_changes(const cw_calset *cals, const cw_station_changes *ch, int64_t from, int64_t to,
                         cw_occurrences *raw, day_occ *d, cw_error *err)
{
    for (size_t i = 0; i < raw->n; i++) {
        cw_occurrence *o = &raw->v[i];
        cw_sched_note note = {0, 0, 0, ""};
        int gone = 0;
        for (size_t k = 0; ch && k < ch->n; k++) {
            const cw_station_change *x = &ch->v[k];
            if ((x->action != CW_CHANGE_CANCEL && x->action != CW_CHANGE_MOVE) || !same_instance(x, o)) continue;
            if (x->action == CW_CHANGE_MOVE) gone = 1;
            else if (!o->cancelled) o->cancelled = 1, note.station_cancelled = 1, note.change_id = x->id;
        }
        if (!gone && push_occ(d, o, note)) return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    for (size_t k = 0; ch && k < ch->n; k++) {
        const cw_station_change *x = &ch->v[k];
        if (x->action != CW_CHANGE_MOVE || x->start < from || x->start >= to || !cals) continue;
        cw_occurrences *ex = realloc(d->extra, (d->n_extra + 1) * sizeof *ex);
        if (!ex) return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        d->extra = ex;
        cw_occurrences *found = &d->extra[d->n_extra++];
        memset(found, 0, sizeof *found);
        /* the partner may have moved it too: its instance is known by RECURRENCE-ID */
        int rc = cw_calset_expand(cals, x->orig_start - 2 * 86400, x->orig_start + 2 * 86400, 1, found, err);
        if (rc) return rc;
        for (size_t i = 0; i < found->n; i++) {
            if (!same_instance(x, &found->v[i])) continue;
            cw_occurrence o = found->v[i];
            cw_sched_note note = {0, 1, o.start, x->id};
            o.end = x->end;
            o.start = x->start;
            o.priority = INT_MAX;
            if (push_occ(d, &o, note)) return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
            break;
        }
    }
    return 0;
}

int cw_plan_day_with(cw_plan **out, const cw_plan_inputs *pi, cw_date date, cw_error *err)
{
    *out = NULL;
    const cw_station *st = pi->st;
    const cw_calset *cals = pi->cals;
    cw_tz *tz = NULL;
    cw_occurrences raw = {0}, skipped = {0};
    day_occ d;
    memset(&d, 0, sizeof d);
    long *positions = NULL;
    int rc = cw_tz_open(&tz, st->timezone, err);
    if (rc) return rc;
    char ds[11];
    cw_date_format(date, ds);
    cw_plan_window win[CW_MAX_ON_AIR];
    size_t nwin = cw_plan_windows(st, tz, date, win);
    if (!nwin || win[nwin - 1].end_utc - win[0].start_utc > CW_PLAN_MAX_WINDOW) {
        rc = cw_fail(err, CW_EINVAL, st->conf_path ? st->conf_path : "", 0,
                     "the on-air window of %s is empty in zone '%s' (check on_air)", ds, st->timezone);
        goto done;
    }
    int64_t ws = win[0].start_utc, we = win[nwin - 1].end_utc, span_from, span_to;
    cw_plan_day_span(st, tz, date, &span_from, &span_to);
    cw_plan_tzchange ch[8];
    size_t nch = 0;
    find_tz_changes(tz, ws, we, ch, 8, &nch);
    if (cals) {
        rc = cw_calset_expand(cals, span_from, span_to, 1, &raw, err);
        if (rc) goto done;
        /* events skipped for calendar errors: a slot on each day they would have aired */
        rc = cw_calset_expand_skipped(cals, span_from, span_to, &skipped, err);
        if (rc) goto done;
        for (size_t i = 0; i < skipped.n; i++)
            if (skipped.v[i].kind != CW_KIND_BLACKOUT && push_occ(&d, &skipped.v[i], (cw_sched_note){0, 0, 0, ""})) {
                rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
                goto done;
            }
    }
    /* occurrences that only overlap the day's start belong to the day before */
    size_t m = 0;
    for (size_t i = 0; i < raw.n; i++)
        if (raw.v[i].start >= span_from || raw.v[i].kind == CW_KIND_BLACKOUT) raw.v[m++] = raw.v[i];
    raw.n = m;
    if ((rc = apply_changes(cals, pi->changes, span_from, span_to, &raw, &d, err)) != 0) goto done;
    positions = calloc(d.occ.n ? d.occ.n : 1, sizeof *positions);
    if (!positions) {
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < d.occ.n; i++) {
        const cw_occurrence *o = &d.occ.v[i];
        if (!is_series_lesson(o) || o->episode > 0 || o->cancelled || (o->skipped && o->skipped[0])) continue;
        rc = cw_calset_series_position(cals, o, &positions[i], err);
        if (rc) goto done;
        if (positions[i] < 0) positions[i] = 0;
    }
    cw_hist_in hi = {cals, tz, st, pi->changes, pi->lib, pi->history, date, span_to};
    if ((rc = cw_sched_episodes(&hi, &d.occ, positions, err)) != 0) goto done;
    cw_sched_input in = {
        .st = st,
        .date = date,
        .window_start = ws,
        .window_end = we,
        .windows = win,
        .n_windows = nwin,
        .start_offset = cw_tz_offset_at(tz, ws),
        .end_offset = cw_tz_offset_at(tz, we),
        .tz_changes = ch,
        .n_tz_changes = nch,
        .occ = d.occ.v,
        .n_occ = d.occ.n,
        .positions = positions,
        .lib = pi->lib,
        .pending = pi->pending,
        .notes = d.notes,
        .changes = pi->changes,
    };
    rc = cw_sched_run(out, &in, err);
done:
    free(positions);
    day_occ_free(&d);
    free(raw.v);
    cw_occurrences_free(&skipped);
    cw_tz_free(tz);
    return rc;
}

int cw_plan_day(cw_plan **out, const cw_station *st, const cw_calset *cals, const cw_library *lib, cw_date date,
                cw_error *err)
{
    cw_plan_inputs in = {st, cals, lib, NULL, NULL, NULL};
    return cw_plan_day_with(out, &in, date, err);
}

/* ---- the station's calendars ------------------------------------------------------- */

static int cmp_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void diag_warn(cw_diags *d, const char *file, int line, const char *text)
{
    (void)cw_diags_add(d, CW_DIAG_WARNING, NULL, file, line, NULL, text);
}


/* What a plan says about one calendar file (README "Partner calendars"): every error (an event
 * skipped: the plan also shows it on the days it would have aired) and the zone warning
 * (cal.zone-differs) as they are; the other warnings, said once by `calendar check`, as one
 * line that counts them. */
static int keep_calendar_diags(cw_diags *diags, const cw_diags *mine, const char *name, const char *path,
                               cw_error *err)
{
    size_t other = 0;
    int rc = 0;
    for (size_t i = 0; i < mine->n && !rc; i++) {
        const cw_diag *g = &mine->v[i];
        if (g->severity == CW_DIAG_ERROR || (g->code && !strcmp(g->code, "cal.zone-differs")))
            rc = diags ? cw_diags_add(diags, g->severity, g->code, g->file, g->line, g->item, g->text) : 0;
        else if (g->severity == CW_DIAG_WARNING)
            other++;
    }
    if (!rc && other && diags)
        rc = cw_diags_addf(diags, CW_DIAG_WARNING, "cal.warnings", name, 0, NULL,
                           "%zu warning%s about how the calendar was read (see them with: chalkwave "
                           "calendar check %s)", other, other == 1 ? "" : "s", path);
    return rc ? cw_fail(err, CW_ENOMEM, "", 0, "out of memory") : 0;
}

int cw_station_calendars(cw_calset **out, const cw_station *st, cw_diags *diags, cw_error *err)
{
    *out = NULL;
    char *dir = cw_path_join(st->dir, "calendars");
    if (!dir) return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    cw_strlist names = {0};
    int rc = 0;
    DIR *d = opendir(dir);
    if (!d) {
        rc = cw_fail(err, CW_EIO, dir, 0, "cannot open the calendars folder (is this a station? see 'chalkwave init')");
        free(dir);
        return rc;
    }
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] == '.' || n < 5 || strcmp(e->d_name + n - 4, ".ics")) continue;
        if (!strcmp(e->d_name, CW_STATION_CHANGES_FILE)) continue; /* the station's own changes */
        if (cw_strlist_push(&names, e->d_name)) {
            rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
            break;
        }
    }
    closedir(d);
    if (!rc && names.n > 1) qsort(names.v, names.n, sizeof *names.v, cmp_name); /* qsort(NULL, 0) is UB */
    cw_calset *set = rc ? NULL : cw_calset_new(st->timezone);
    if (!rc && !set) rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    for (size_t i = 0; i < names.n && !rc; i++) {
        char *path = cw_path_join(dir, names.v[i]);
        if (!path) {
            rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
            break;
        }
        const cw_partner_calendar *pc = cw_station_calendar(st, names.v[i]);
        cw_cal_file_opts o = {names.v[i], pc ? pc->priority : 0, pc ? pc->holidays : 0};
        cw_diags mine = {0};
        rc = cw_calset_add_file_opts(set, path, &o, &mine, err);
        if (rc && !err->source[0]) snprintf(err->source, sizeof err->source, "%s", path);
        if (!rc) {
            char word[1400];
            cw_shell_word(path, word, sizeof word);
            rc = keep_calendar_diags(diags, &mine, names.v[i], word, err);
        }
        else if (diags) cw_diags_extend(diags, &mine);
        cw_diags_free(&mine);
        free(path);
    }
    /* a calendar listed in station.conf but not in calendars/ plans nothing: say so */
    for (size_t k = 0; k < st->n_calendars && !rc; k++) {
        int found = 0;
        for (size_t i = 0; i < names.n && !found; i++) found = !strcmp(names.v[i], st->calendars[k].file);
        if (!found) {
            char text[1400];
            snprintf(text, sizeof text, "calendar '%.600s' is listed in [calendars] but not in %.600s (import it "
                                        "with 'chalkwave calendar import')",
                     st->calendars[k].file, dir);
            diag_warn(diags, st->conf_path ? st->conf_path : "station.conf", st->calendars[k].line, text);
        }
    }
    cw_strlist_free(&names);
    free(dir);
    if (rc) {
        cw_calset_free(set);
        return rc;
    }
    *out = set;
    return 0;
}
