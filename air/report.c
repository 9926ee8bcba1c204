/* report.c — proof of broadcast: every partner lesson (and newsletter) instance the plans
 * hold for a range of days, matched with what the as-run logs say aired: when, how long,
 * complete or cut and why; or why it did not air (from the plan's slot: recording missing,
 * holiday, lost a conflict, off air, ...; from the as-run's gaps: chalkwave stopped, an
 * output down). Totals per series.
 * Guarantees: "aired" comes only from as-run item records (never from the plan); a lesson
 * the plan says airs but that no as-run record shows is reported as not aired, with the
 * gap that explains it or "no as-run record". Bounded by the range asked for. */
#include "air_int.h"
#include "report_int.h"

#include <dirent.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

void cw_report_free(cw_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        rep_row *w = &r->rows[i];
        free(w->calendar);
        free(w->uid);
        free(w->rid);
        free(w->series);
        free(w->title);
        free(w->teacher);
        free(w->reason);
        free(w->outputs);
    }
    free(r->rows);
    for (size_t i = 0; i < r->n_totals; i++)
        free(r->totals[i].series);
    free(r->totals);
    free(r->station);
    free(r->zone);
    free(r->calendar);
    cw_strlist_free(&r->files);
    cw_tz_free(r->tz);
    free(r);
}

/* ---- as-run records ------------------------------------------------------------------- */

typedef struct ar_item {
    char *uid;
    int64_t planned_ns, actual_ns;
    double length_s, planned_s;
    int complete, cut_in_plan;
    cw_kind kind;
    char *cut_reason, *outputs;
    double recording_s, from_s;
    int used;
} ar_item;

typedef struct ar_gap {
    int64_t start, end;
    char *reason, *output;
} ar_gap;

typedef struct asrun_set {
    ar_item *it;
    size_t n, cap;
    ar_gap *gap;
    size_t n_gap, cap_gap;
    cw_date *days; /* days that have an as-run file */
    size_t n_days;
} asrun_set;

static void asrun_set_free(asrun_set *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->it[i].uid);
        free(s->it[i].cut_reason);
        free(s->it[i].outputs);
    }
    free(s->it);
    for (size_t i = 0; i < s->n_gap; i++) {
        free(s->gap[i].reason);
        free(s->gap[i].output);
    }
    free(s->gap);
    free(s->days);
}

static const char *jstr(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static int64_t jtime(json_t *o, const char *k)
{
    int64_t t = 0;
    if (air_parse_time(jstr(o, k), &t) != 0)
        return INT64_MIN;
    return t;
}

static void add_record(asrun_set *s, json_t *o)
{
    const char *type = jstr(o, "record");
    if (!strcmp(type, "item")) {
        if (s->n == s->cap) {
            size_t nc = s->cap ? s->cap * 2 : 256;
            ar_item *v = realloc(s->it, nc * sizeof *v);
            if (!v)
                return;
            s->it = v;
            s->cap = nc;
        }
        ar_item *a = &s->it[s->n];
        memset(a, 0, sizeof *a);
        a->planned_ns = jtime(o, "planned_start_utc");
        a->actual_ns = jtime(o, "actual_start_utc");
        if (a->planned_ns == INT64_MIN || a->actual_ns == INT64_MIN)
            return;
        a->uid = cw_strdup(jstr(o, "event_uid"));
        a->kind = cw_kind_parse(jstr(o, "kind"));
        a->length_s = json_number_value(json_object_get(o, "actual_length_s"));
        a->planned_s = json_number_value(json_object_get(o, "planned_length_s"));
        a->recording_s = json_number_value(json_object_get(o, "recording_length_s"));
        a->from_s = json_number_value(json_object_get(o, "from_s"));
        a->complete = json_is_true(json_object_get(o, "complete"));
        a->cut_in_plan = json_is_true(json_object_get(o, "cut_in_plan"));
        a->cut_reason = cw_strdup(jstr(o, "cut_reason"));
        cw_buf b;
        cw_buf_init(&b);
        size_t i;
        json_t *out;
        json_array_foreach(json_object_get(o, "outputs"), i, out)
        {
            const char *name = json_is_string(out) ? json_string_value(out) : jstr(out, "output");
            cw_buf_printf(&b, "%s%s", i ? " " : "", name);
        }
        a->outputs = cw_strdup(b.data ? b.data : "");
        cw_buf_free(&b);
        if (a->uid && a->cut_reason && a->outputs)
            s->n++;
    } else if (!strcmp(type, "gap")) {
        if (s->n_gap == s->cap_gap) {
            size_t nc = s->cap_gap ? s->cap_gap * 2 : 32;
            ar_gap *v = realloc(s->gap, nc * sizeof *v);
            if (!v)
                return;
            s->gap = v;
            s->cap_gap = nc;
        }
        ar_gap *g = &s->gap[s->n_gap];
        g->start = jtime(o, "start_utc");
        g->end = jtime(o, "end_utc");
        if (g->start == INT64_MIN || g->end == INT64_MIN)
            return;
        g->reason = cw_strdup(jstr(o, "reason"));
        g->output = cw_strdup(jstr(o, "output"));
        if (g->reason && g->output)
            s->n_gap++;
    }
}

/* asrun/DATE.jsonl for every day of [from - 1, to + 1]; unreadable lines are warnings. */
static int read_asrun(asrun_set *s, cw_report *r, const cw_station *st, cw_date from, cw_date to, cw_diags *diags,
                      cw_error *err)
{
    int64_t n_days = cw_days_from_civil(to.year, to.month, to.day) - cw_days_from_civil(from.year, from.month, from.day) + 3;
    s->days = calloc((size_t)n_days, sizeof *s->days);
    if (!s->days)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    for (int64_t k = 0; k < n_days; k++) {
        cw_date d = cw_date_add_days(from, (int)k - 1);
        char ds[11];
        cw_date_format(d, ds);
        char *path = cw_asprintf("%s/asrun/%s.jsonl", st->dir, ds);
        if (!path)
            return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        FILE *fp = fopen(path, "r");
        if (!fp) {
            free(path);
            continue;
        }
        s->days[s->n_days++] = d;
        cw_strlist_pushf(&r->files, "asrun/%s.jsonl", ds);
        char *line = NULL;
        size_t cap = 0;
        ssize_t got;
        int ln = 0;
        while ((got = getline(&line, &cap, fp)) > 0) {
            ln++;
            if (got == 1 && line[0] == '\n')
                continue;
            json_error_t je;
            json_t *o = json_loadb(line, (size_t)got, 0, &je);
            if (!json_is_object(o)) {
                cw_diags_addf(diags, CW_DIAG_WARNING, "report.asrun-line", path, ln, NULL,
                              "this as-run line cannot be read (%s); it is left out (a line cut by a power failure?)",
                              je.text);
                json_decref(o);
                continue;
            }
            add_record(s, o);
            json_decref(o);
        }
        free(line);
        fclose(fp);
        free(path);
    }
    return 0;
}

static int by_uid(const void *x, const void *y)
{
    const ar_item *a = x, *b = y;
    int c = strcmp(a->uid, b->uid);
    if (c)
        return c;
    return a->planned_ns < b->planned_ns ? -1 : a->planned_ns > b->planned_ns;
}

/* The first record of uid (A->it sorted by uid), or A->n. */
static size_t first_of(const asrun_set *A, const char *uid)
{
    size_t lo = 0, hi = A->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(A->it[mid].uid, uid) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int has_day(const asrun_set *s, cw_date d)
{
    for (size_t i = 0; i < s->n_days; i++)
        if (!cw_date_cmp(s->days[i], d))
            return 1;
    return 0;
}

/* ---- matching a slot ---------------------------------------------------------------------- */

static const char *status_reason(cw_slot_status st)
{
    switch (st) {
    case CW_SLOT_MISSING: return "the recording had not arrived";
    case CW_SLOT_PENDING: return "the recording was awaiting approval";
    case CW_SLOT_CANCELLED: return "cancelled";
    case CW_SLOT_BLACKOUT: return "holiday";
    case CW_SLOT_LOST: return "lost a conflict with another programme";
    case CW_SLOT_OFF_AIR: return "the station was off air";
    case CW_SLOT_HELD: return "the series was held by the station";
    case CW_SLOT_SKIPPED: return "the calendar event could not be read";
    default: return "";
    }
}

/* "09:12", or "09:12:07" when the instant is not on a whole minute. */
static void fmt_hm(const cw_tz *tz, int64_t ns, char out[16])
{
    char l[40];
    air_fmt_local(tz, ns, l);
    snprintf(out, 16, "%.*s", memcmp(l + 16, ":00", 3) ? 8 : 5, l + 11);
}

/* Fill w's outcome from the as-run records of its event and the plan's slot. */
static void outcome(cw_report *r, rep_row *w, const cw_plan_slot *sl, asrun_set *A)
{
    int64_t a = sl->start_utc * AIR_NS, b = sl->end_utc * AIR_NS;
    ar_item *best = NULL;
    double aired = 0;
    const char *uid = sl->event_uid ? sl->event_uid : "";
    for (size_t i = first_of(A, uid); i < A->n && !strcmp(A->it[i].uid, uid); i++) {
        ar_item *it = &A->it[i];
        if (it->used || it->kind != sl->kind)
            continue;
        if (it->planned_ns < a || it->planned_ns >= (b > a ? b : a + AIR_NS))
            continue;
        it->used = 1;
        aired += it->length_s;
        if (!best || it->length_s > best->length_s || (it->complete && !best->complete))
            best = it;
    }
    char buf[400];
    if (best) {
        int64_t first = INT64_MAX;
        for (size_t i = first_of(A, uid); i < A->n && !strcmp(A->it[i].uid, uid); i++)
            if (A->it[i].used == 1 && A->it[i].actual_ns < first) {
                first = A->it[i].actual_ns;
            }
        w->aired_ns = first;
        w->aired_s = aired < best->planned_s || best->planned_s <= 0 ? aired : best->planned_s;
        w->planned_s = best->planned_s;
        w->outputs = cw_strdup(best->outputs);
        cw_buf why;
        cw_buf_init(&why);
        if (best->complete && !best->cut_in_plan) {
            w->state = REP_AIRED;
        } else if (best->complete) {
            w->state = REP_CUT;
            char a1[32], a2[32];
            snprintf(a1, sizeof a1, "%.0f", best->length_s);
            snprintf(a2, sizeof a2, "%.0f", best->recording_s);
            cw_buf_printf(&why, "cut at the next programme (overrun): %s s of a %s s recording", a1, a2);
        } else {
            /* what the as-run log says happened in the lesson's time: its gaps, the reasons its
             * records were cut, where it resumed (a kill and a restart: two records) */
            w->state = REP_CUT;
            cw_strlist gaps_said = {0};
            for (size_t g = 0; g < A->n_gap; g++) {
                const ar_gap *gp = &A->gap[g];
                if (gp->end <= a || gp->start >= (b > a ? b : a + AIR_NS))
                    continue;
                char s1[16], s2[16];
                fmt_hm(r->tz, gp->start, s1);
                fmt_hm(r->tz, gp->end, s2);
                cw_buf_printf(&why, "%s%s %s-%s", why.len ? "; " : "", gp->reason, s1, s2);
                cw_strlist_push(&gaps_said, gp->reason);
            }
            int first_rec = 1;
            for (size_t i = first_of(A, uid); i < A->n && !strcmp(A->it[i].uid, uid); i++) {
                ar_item *it = &A->it[i];
                if (it->used != 1)
                    continue;
                char t[32];
                long fs = (long)(it->from_s + 0.5);
                snprintf(t, sizeof t, "%ld:%02ld", fs / 60, fs % 60);
                if (it->from_s > 0.05)
                    cw_buf_printf(&why, "%s%s %s into the lesson", why.len ? "; " : "", first_rec ? "started" : "resumed", t);
                first_rec = 0;
                const char *rsn = it->cut_reason;
                if (!rsn[0] || !strncmp(rsn, "joined ", 7) || (why.data && strstr(why.data, rsn)))
                    continue;
                int said = 0;
                for (size_t k = 0; k < gaps_said.n; k++)
                    said |= !strcmp(gaps_said.v[k], rsn);
                if (!said)
                    cw_buf_printf(&why, "%s%s", why.len ? "; " : "", rsn);
            }
            cw_strlist_free(&gaps_said);
            if (!why.len)
                cw_buf_puts(&why, "interrupted");
        }
        for (size_t i = first_of(A, uid); i < A->n && !strcmp(A->it[i].uid, uid); i++)
            if (A->it[i].used == 1)
                A->it[i].used = 2; /* counted for this slot */
        w->reason = cw_strdup(why.data ? why.data : "");
        cw_buf_free(&why);
        return;
    }
    w->state = REP_NOT_AIRED;
    w->planned_s = (double)(sl->end_utc - sl->start_utc);
    if (sl->status != CW_SLOT_AIRS) {
        const char *why = sl->reason && sl->reason[0] ? sl->reason : status_reason(sl->status);
        snprintf(buf, sizeof buf, "%s", why);
        w->reason = cw_strdup(buf);
        w->why = sl->status;
        return;
    }
    /* the plan had it on air: what does the as-run say about that time? */
    for (size_t g = 0; g < A->n_gap; g++) {
        const ar_gap *gp = &A->gap[g];
        if (gp->end <= a || gp->start >= (b > a ? b : a + AIR_NS))
            continue;
        char s1[16], s2[16];
        fmt_hm(r->tz, gp->start, s1);
        fmt_hm(r->tz, gp->end, s2);
        if (!strcmp(gp->reason, "output down"))
            snprintf(buf, sizeof buf, "output down (%s, %s-%s)", gp->output[0] ? gp->output : "?", s1, s2);
        else
            snprintf(buf, sizeof buf, "%s (%s-%s)", gp->reason, s1, s2);
        w->reason = cw_strdup(buf);
        return;
    }
    cw_date d = air_local_date(r->tz, a);
    w->reason = cw_strdup(has_day(A, d) ? "no as-run record for it (not played by chalkwave air)"
                                        : "no as-run log for this day (was chalkwave air running, or its log imported?)");
}

/* ---- totals --------------------------------------------------------------------------------- */

static int by_time(const void *x, const void *y)
{
    const rep_row *a = x, *b = y;
    int c = strcmp(a->calendar, b->calendar);
    if (c)
        return c;
    if (a->start != b->start)
        return a->start < b->start ? -1 : 1;
    return strcmp(a->uid, b->uid);
}

static int totals(cw_report *r)
{
    for (size_t i = 0; i < r->n; i++) {
        const rep_row *w = &r->rows[i];
        rep_total *t = NULL;
        for (size_t k = 0; k < r->n_totals && !t; k++)
            if (!strcmp(r->totals[k].series, w->series))
                t = &r->totals[k];
        if (!t) {
            rep_total *v = realloc(r->totals, (r->n_totals + 1) * sizeof *v);
            if (!v)
                return CW_ENOMEM;
            r->totals = v;
            t = &r->totals[r->n_totals++];
            memset(t, 0, sizeof *t);
            t->series = cw_strdup(w->series);
            if (!t->series)
                return CW_ENOMEM;
        }
        t->planned++;
        t->planned_s += w->planned_s;
        t->aired_s += w->state == REP_NOT_AIRED ? 0 : w->aired_s;
        if (w->state == REP_AIRED)
            t->aired++;
        else if (w->state == REP_CUT)
            t->cut++;
        else if (w->why == CW_SLOT_BLACKOUT || w->why == CW_SLOT_CANCELLED)
            t->excused++;
        else
            t->not_aired++;
    }
    return 0;
}

/* ---- building -------------------------------------------------------------------------------- */

static int add_slot(cw_report *r, const cw_plan *p, const cw_plan_slot *sl, asrun_set *A)
{
    if (sl->kind != CW_KIND_LESSON && sl->kind != CW_KIND_NEWSLETTER)
        return 0;
    const char *cal = sl->event_file ? sl->event_file : "";
    if (r->calendar && strcmp(cal, r->calendar) != 0)
        return 0;
    if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 64;
        rep_row *v = realloc(r->rows, nc * sizeof *v);
        if (!v)
            return CW_ENOMEM;
        r->rows = v;
        r->cap = nc;
    }
    rep_row *w = &r->rows[r->n];
    memset(w, 0, sizeof *w);
    w->date = p->date;
    w->start = sl->start_utc;
    w->end = sl->end_utc;
    w->kind = sl->kind;
    w->episode = sl->episode;
    w->calendar = cw_strdup(cal);
    w->uid = cw_strdup(sl->event_uid ? sl->event_uid : "");
    w->rid = cw_strdup(sl->event_recurrence_id ? sl->event_recurrence_id : "");
    w->series = cw_strdup(sl->series ? sl->series : "");
    w->title = cw_strdup(sl->summary ? sl->summary : "");
    w->teacher = cw_strdup(sl->teacher ? sl->teacher : "");
    w->why = -1;
    if (!w->calendar || !w->uid || !w->rid || !w->series || !w->title || !w->teacher)
        return CW_ENOMEM;
    r->n++;
    outcome(r, w, sl, A);
    if (!w->reason || (w->state != REP_NOT_AIRED && !w->outputs))
        return CW_ENOMEM;
    return 0;
}

int cw_report_build(cw_report **out, const cw_station *st, const cw_report_opts *opts, cw_diags *diags, cw_error *err)
{
    *out = NULL;
    if (cw_date_cmp(opts->from, opts->to) > 0)
        return cw_fail(err, CW_EUSAGE, "", 0, "--from is after --to");
    int64_t days = cw_days_from_civil(opts->to.year, opts->to.month, opts->to.day) -
                   cw_days_from_civil(opts->from.year, opts->from.month, opts->from.day) + 1;
    if (days > 400)
        return cw_fail(err, CW_ELIMIT, "", 0, "a report covers at most 400 days (split the range)");
    cw_report *r = calloc(1, sizeof *r);
    if (!r)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    r->from = opts->from;
    r->to = opts->to;
    r->station = cw_strdup(st->name ? st->name : "chalkwave");
    r->zone = cw_strdup(st->timezone ? st->timezone : "UTC");
    r->calendar = opts->calendar ? cw_strdup(cw_path_base(opts->calendar)) : NULL;
    asrun_set A;
    memset(&A, 0, sizeof A);
    int rc = !r->station || !r->zone || (opts->calendar && !r->calendar) ? cw_fail(err, CW_ENOMEM, "", 0, "out of memory")
                                                                          : cw_tz_open(&r->tz, r->zone, err);
    if (!rc)
        rc = read_asrun(&A, r, st, opts->from, opts->to, diags, err);
    if (!rc && A.n)
        qsort(A.it, A.n, sizeof *A.it, by_uid);
    for (int64_t k = 0; !rc && k < days; k++) {
        cw_date d = cw_date_add_days(opts->from, (int)k);
        cw_plan *p = NULL;
        rc = opts->plan(opts->plan_user, d, &p, err);
        for (size_t i = 0; !rc && p && i < p->n_slots; i++)
            rc = add_slot(r, p, &p->slots[i], &A);
        if (rc == CW_ENOMEM)
            cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        cw_plan_free(p);
    }
    if (!rc) {
        qsort(r->rows, r->n, sizeof *r->rows, by_time);
        if (totals(r) != 0)
            rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    asrun_set_free(&A);
    if (rc) {
        cw_report_free(r);
        return rc;
    }
    *out = r;
    return 0;
}
