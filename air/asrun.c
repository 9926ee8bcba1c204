/* asrun.c — the as-run log: what each output actually aired, merged per item into one JSON
 * line in STATION/asrun/YYYY-MM-DD.jsonl, plus gaps (chalkwave stopped, an output down)
 * and what air did (start, stop, bundles, clock steps, outputs going down and up).
 * Guarantees: each line is written with one write(2) on an O_APPEND file and fdatasync'd;
 * nothing is ever rewritten; a line torn by a power cut is closed off before the next one.
 * A heartbeat state file (asrun/.air-state.json) lets the next start record the item a
 * killed run was playing (cut where the heartbeat stopped) and the gap that followed. */
#include "asrun_int.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- writing lines ------------------------------------------------------------------------ */

static int open_day(air_asrun *a, cw_date date)
{
    if (a->fd >= 0 && !cw_date_cmp(a->fd_date, date))
        return 0;
    if (a->fd >= 0)
        close(a->fd);
    char ds[11];
    cw_date_format(date, ds);
    char *path = cw_asprintf("%s/%s.jsonl", a->dir, ds);
    a->fd = path ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : -1;
    if (a->fd < 0) {
        air_logf(a->log, CW_DIAG_ERROR, "air.asrun-write", path, "cannot open the as-run log '%s': %s",
                 path ? path : ds, strerror(errno));
        free(path);
        return -1;
    }
    /* a line torn by a power cut: end it, so the next line stands on its own */
    off_t end = lseek(a->fd, 0, SEEK_END);
    if (end > 0) {
        char last;
        int rfd = open(path, O_RDONLY | O_CLOEXEC);
        if (rfd >= 0 && pread(rfd, &last, 1, end - 1) == 1 && last != '\n' && write(a->fd, "\n", 1) != 1)
            air_logf(a->log, CW_DIAG_ERROR, "air.asrun-write", path, "cannot write the as-run log: %s", strerror(errno));
        if (rfd >= 0)
            close(rfd);
    }
    a->fd_date = date;
    free(path);
    return 0;
}

/* Write one line to its day's file and sync it. Only the writer (or a caller without a
 * writer thread) calls this; a->fd belongs to it. */
static void write_line(air_asrun *a, const qline *q)
{
    if (open_day(a, q->date) != 0)
        return;
    ssize_t w = write(a->fd, q->text, q->len);
    if (w != (ssize_t)q->len || fdatasync(a->fd) != 0) {
        if (!a->write_failed)
            air_logf(a->log, CW_DIAG_ERROR, "air.asrun-write", a->dir,
                     "cannot write the as-run log in '%s': %s (check free space); playout goes on", a->dir, strerror(errno));
        a->write_failed = 1;
    } else {
        a->write_failed = 0;
    }
}

static void *writer_main(void *p)
{
    air_asrun *a = p;
    pthread_mutex_lock(&a->qmu);
    for (;;) {
        while (!a->qhead && !a->writer_stop)
            pthread_cond_wait(&a->qcv, &a->qmu);
        if (!a->qhead)
            break;
        qline *q = a->qhead;
        a->qhead = q->next;
        if (!a->qhead)
            a->qtail = NULL;
        pthread_mutex_unlock(&a->qmu);
        write_line(a, q);
        free(q);
        pthread_mutex_lock(&a->qmu);
    }
    pthread_mutex_unlock(&a->qmu);
    return NULL;
}

int air_asrun_start_writer(air_asrun *a)
{
    if (a->writer_on)
        return 0;
    a->writer_stop = 0;
    if (pthread_create(&a->writer, NULL, writer_main, a) != 0)
        return CW_EIO;
    a->writer_on = 1;
    return 0;
}

/* Write what is queued and stop the writer thread. */
static void stop_writer(air_asrun *a)
{
    if (!a->writer_on)
        return;
    pthread_mutex_lock(&a->qmu);
    a->writer_stop = 1;
    pthread_cond_signal(&a->qcv);
    pthread_mutex_unlock(&a->qmu);
    pthread_join(a->writer, NULL);
    a->writer_on = 0;
}

/* Append one record (consumes o): queued for the writer thread, or written now when there
 * is none (tests, recovery at start). Under the lock. */
void asr_put(air_asrun *a, int64_t when_ns, json_t *o)
{
    char *line = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    json_decref(o);
    if (!line)
        return;
    size_t n = strlen(line);
    qline *q = malloc(sizeof *q + n + 1);
    if (q) {
        q->next = NULL;
        q->date = air_local_date(a->tz, when_ns);
        q->len = n + 1;
        memcpy(q->text, line, n);
        q->text[n] = '\n';
        a->records++;
        pthread_mutex_lock(&a->qmu);
        int queued = a->writer_on && !a->writer_stop;
        if (queued) {
            if (a->qtail)
                a->qtail->next = q;
            else
                a->qhead = q;
            a->qtail = q;
            pthread_cond_signal(&a->qcv);
        }
        pthread_mutex_unlock(&a->qmu);
        if (!queued) {
            write_line(a, q);
            free(q);
        }
    }
    free(line);
}

json_t *air_time_pair(json_t *o, const cw_tz *tz, const char *key, int64_t ns)
{
    char u[32], l[40], k[64];
    air_fmt_utc(ns, u);
    air_fmt_local(tz, ns, l);
    snprintf(k, sizeof k, "%s_utc", key);
    json_object_set_new(o, k, json_string(u));
    snprintf(k, sizeof k, "%s_local", key);
    json_object_set_new(o, k, json_string(l));
    return o;
}

static json_t *record(const air_asrun *a, const char *type, int64_t ns)
{
    json_t *o = json_object();
    json_object_set_new(o, "record", json_string(type));
    if (ns)
        air_time_pair(o, a->tz, "time", ns);
    return o;
}

/* ---- items ---------------------------------------------------------------------------------- */

static json_t *str_or_null(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

json_t *air_item_meta(const cw_plan *plan, size_t i)
{
    const cw_plan_item *it = &plan->items[i];
    json_t *m = json_object();
    json_object_set_new(m, "kind", json_string(cw_kind_name(it->kind)));
    json_object_set_new(m, "title", str_or_null(it->title));
    json_object_set_new(m, "teacher", str_or_null(it->teacher));
    json_object_set_new(m, "language", str_or_null(it->language));
    json_object_set_new(m, "series", str_or_null(it->series));
    json_object_set_new(m, "episode", it->episode > 0 ? json_integer(it->episode) : json_null());
    json_object_set_new(m, "repeat", json_boolean(it->repeat));
    json_object_set_new(m, "event_uid", str_or_null(it->event_uid));
    json_object_set_new(m, "event_file", str_or_null(it->event_file));
    json_object_set_new(m, "recurrence_id", str_or_null(it->event_recurrence_id));
    json_object_set_new(m, "recording", str_or_null(it->recording));
    json_object_set_new(m, "recording_length_s", it->recording_samples > 0
                                                      ? json_real((double)it->recording_samples / plan->rate)
                                                      : json_null());
    json_object_set_new(m, "cut_in_plan", json_boolean(it->cut));
    return m;
}

air_item_ref air_ref(const air_day *d, size_t item)
{
    air_item_ref r;
    memset(&r, 0, sizeof r);
    r.day = d;
    r.item = item;
    r.date = d->date;
    memcpy(r.id, d->id, sizeof r.id);
    return r;
}

static entry *find_entry(air_asrun *a, const air_item_ref *ref, int create)
{
    for (size_t i = 0; i < a->n_e; i++) {
        entry *e = &a->e[i];
        if (e->item == ref->item && !cw_date_cmp(e->date, ref->date) && !strcmp(e->id, ref->id))
            return e;
    }
    if (!create || !ref->day)
        return NULL;
    const air_day *d = ref->day;
    if (a->n_e == a->cap_e) {
        size_t nc = a->cap_e ? a->cap_e * 2 : 8;
        entry *v = realloc(a->e, nc * sizeof *v);
        if (!v)
            return NULL;
        a->e = v;
        a->cap_e = nc;
    }
    entry *e = &a->e[a->n_e++];
    memset(e, 0, sizeof *e);
    e->date = d->date;
    e->item = ref->item;
    memcpy(e->id, d->id, sizeof e->id);
    e->planned_ns = d->start_ns[ref->item];
    e->length_samples = d->plan->items[ref->item].length_samples;
    e->rate = d->plan->rate;
    e->meta = air_item_meta(d->plan, ref->item);
    return e;
}

out_entry *asr_find_out(entry *e, const char *name, int create)
{
    for (int i = 0; i < e->n_outs; i++)
        if (!strcmp(e->outs[i].name, name))
            return &e->outs[i];
    if (!create || e->n_outs >= MAX_OUTS)
        return NULL;
    out_entry *o = &e->outs[e->n_outs];
    memset(o, 0, sizeof *o);
    o->name = cw_strdup(name);
    if (!o->name)
        return NULL;
    e->n_outs++;
    return o;
}

static void free_entry(entry *e)
{
    json_decref(e->meta);
    for (int i = 0; i < e->n_outs; i++)
        free(e->outs[i].name);
}

/* Samples of the item an output aired, parts that overlap (a re-join) counted once. */
static int64_t aired_samples(const entry *e, const out_entry *o)
{
    int64_t total = 0;
    int used[MAX_PARTS] = {0};
    int64_t upto = 0;
    for (int n = 0; n < o->n; n++) { /* parts by their start in the item */
        int best = -1;
        for (int k = 0; k < o->n; k++)
            if (!used[k] && (best < 0 || o->parts[k].from < o->parts[best].from))
                best = k;
        used[best] = 1;
        int64_t a = o->parts[best].from, b = a + o->parts[best].samples;
        if (b > e->length_samples)
            b = e->length_samples;
        if (a < upto)
            a = upto;
        if (b > a) {
            total += b - a;
            upto = b;
        }
    }
    return total;
}

static int out_complete(const entry *e, const out_entry *o)
{
    for (int k = 0; k < o->n; k++)
        if (o->parts[k].from == 0 && o->parts[k].samples >= e->length_samples)
            return 1;
    return 0;
}

/* The record of an entry whose parts are all closed. */
static json_t *item_record(const air_asrun *a, const entry *e)
{
    json_t *o = record(a, "item", 0);
    char ds[11];
    cw_date_format(e->date, ds);
    json_object_set_new(o, "date", json_string(ds));
    json_object_set_new(o, "item", json_integer((json_int_t)e->item + 1));
    json_object_set_new(o, "bundle", json_string(e->id));
    air_time_pair(o, a->tz, "planned_start", e->planned_ns);
    int64_t first = INT64_MAX, best_len = 0, min_from = INT64_MAX;
    int complete = 0;
    const out_entry *best = NULL;
    json_t *outs = json_array();
    for (int i = 0; i < e->n_outs; i++) {
        const out_entry *oe = &e->outs[i];
        json_t *parts = json_array();
        for (int k = 0; k < oe->n; k++) {
            const part *p = &oe->parts[k];
            if (p->start_ns < first)
                first = p->start_ns;
            if (p->from < min_from)
                min_from = p->from;
            json_t *pj = json_object();
            char u[32];
            air_fmt_utc(p->start_ns, u);
            json_object_set_new(pj, "start_utc", json_string(u));
            json_object_set_new(pj, "from_s", json_real((double)p->from / e->rate));
            json_object_set_new(pj, "length_s", json_real((double)p->samples / e->rate));
            json_object_set_new(pj, "ended", json_string(p->reason[0] ? p->reason : "end of item"));
            json_array_append_new(parts, pj);
        }
        int64_t len = aired_samples(e, oe);
        int c = out_complete(e, oe);
        complete |= c;
        if (!best || len > best_len) {
            best = oe;
            best_len = len;
        }
        json_t *oj = json_object();
        json_object_set_new(oj, "output", json_string(oe->name));
        char u[32];
        air_fmt_utc(oe->n ? oe->parts[0].start_ns : 0, u);
        json_object_set_new(oj, "actual_start_utc", json_string(u));
        json_object_set_new(oj, "actual_length_s", json_real((double)len / e->rate));
        json_object_set_new(oj, "complete", json_boolean(c));
        json_object_set_new(oj, "parts", parts);
        json_array_append_new(outs, oj);
    }
    air_time_pair(o, a->tz, "actual_start", first == INT64_MAX ? e->planned_ns : first);
    json_object_set_new(o, "planned_length_s", json_real((double)e->length_samples / e->rate));
    json_object_set_new(o, "actual_length_s", json_real((double)best_len / e->rate));
    json_object_set_new(o, "from_s", json_real(min_from == INT64_MAX ? 0.0 : (double)min_from / e->rate));
    json_object_set_new(o, "complete", json_boolean(complete));
    char cut[200] = "";
    if (!complete && best && best->n) {
        if (best->parts[0].from > 0)
            snprintf(cut, sizeof cut, "joined %.1f s into the item", (double)best->parts[0].from / e->rate);
        for (int k = 0; k < best->n; k++) {
            const char *r = best->parts[k].reason;
            if (!r[0] || strstr(cut, r))
                continue;
            size_t L = strlen(cut);
            snprintf(cut + L, sizeof cut - L, "%s%s", L ? "; " : "", r);
        }
        if (!cut[0])
            snprintf(cut, sizeof cut, "interrupted");
    } else if (!complete) {
        snprintf(cut, sizeof cut, "no output carried it");
    }
    json_object_set_new(o, "cut_reason", complete ? json_null() : json_string(cut));
    json_object_update(o, e->meta);
    json_object_set_new(o, "outputs", outs);
    return o;
}

/* Write and drop entries with no open part whose planned end has passed (or all, `force`,
 * closing open parts at `now` with `why`). Under the lock. */
void asr_flush_entries(air_asrun *a, int64_t now, int force, const char *why)
{
    for (size_t i = 0; i < a->n_e;) {
        entry *e = &a->e[i];
        int open = 0;
        for (int k = 0; k < e->n_outs; k++)
            for (int j = 0; j < e->outs[k].n; j++) {
                part *p = &e->outs[k].parts[j];
                if (p->open && force) {
                    int64_t s = air_ns_to_samples(now - p->start_ns, e->rate);
                    p->samples = s < 0 ? 0 : s > e->length_samples - p->from ? e->length_samples - p->from : s;
                    p->open = 0;
                    snprintf(p->reason, sizeof p->reason, "%s", why);
                }
                open |= p->open;
            }
        int64_t end = e->planned_ns + air_samples_to_ns(e->length_samples, e->rate);
        if (!open && (force || now >= end)) {
            asr_put(a, e->outs[0].n ? e->outs[0].parts[0].start_ns : e->planned_ns, item_record(a, e));
            free_entry(e);
            a->e[i] = a->e[--a->n_e];
        } else {
            i++;
        }
    }
}

void air_asrun_begin(air_asrun *a, const air_item_ref *ref, const char *output, int64_t actual_ns, int64_t from)
{
    pthread_mutex_lock(&a->mu);
    entry *e = find_entry(a, ref, 1);
    out_entry *o = e ? asr_find_out(e, output, 1) : NULL;
    if (o && o->n < MAX_PARTS) {
        part *p = &o->parts[o->n++];
        memset(p, 0, sizeof *p);
        p->start_ns = actual_ns;
        p->from = from;
        p->open = 1;
    }
    pthread_mutex_unlock(&a->mu);
}

void air_asrun_end(air_asrun *a, const air_item_ref *ref, const char *output, int64_t samples, const char *reason)
{
    pthread_mutex_lock(&a->mu);
    entry *e = find_entry(a, ref, 0);
    out_entry *o = e ? asr_find_out(e, output, 0) : NULL;
    if (o && o->n && o->parts[o->n - 1].open) {
        part *p = &o->parts[o->n - 1];
        p->open = 0;
        p->samples = samples;
        snprintf(p->reason, sizeof p->reason, "%s", reason ? reason : "");
        /* everything aired to its end on every output: write now, not at the next tick */
        int all = 1;
        for (int k = 0; k < e->n_outs && all; k++) {
            const out_entry *q = &e->outs[k];
            all = q->n && !q->parts[q->n - 1].open && !q->parts[q->n - 1].reason[0];
        }
        if (all)
            asr_flush_entries(a, e->planned_ns + air_samples_to_ns(e->length_samples, e->rate), 0, "");
    }
    pthread_mutex_unlock(&a->mu);
}

/* ---- other records ----------------------------------------------------------------------------- */

void air_asrun_event(air_asrun *a, const char *type, int64_t wall_ns, void *fields)
{
    if (!wall_ns)
        wall_ns = a->clock->wall_ns(a->clock);
    pthread_mutex_lock(&a->mu);
    json_t *o = record(a, type, wall_ns);
    if (fields) {
        json_object_update(o, (json_t *)fields);
        json_decref((json_t *)fields);
    }
    asr_put(a, wall_ns, o);
    pthread_mutex_unlock(&a->mu);
}

void asr_gap_locked(air_asrun *a, int64_t start_ns, int64_t end_ns, const char *reason, const char *output,
                       const char *detail)
{
    if (end_ns <= start_ns)
        return;
    json_t *o = record(a, "gap", 0);
    air_time_pair(o, a->tz, "start", start_ns);
    air_time_pair(o, a->tz, "end", end_ns);
    json_object_set_new(o, "length_s", json_real((double)(end_ns - start_ns) / AIR_NS));
    json_object_set_new(o, "reason", json_string(reason));
    json_object_set_new(o, "output", str_or_null(output));
    json_object_set_new(o, "detail", str_or_null(detail));
    asr_put(a, start_ns, o);
}

void air_asrun_gap(air_asrun *a, int64_t start_ns, int64_t end_ns, const char *reason, const char *output,
                   const char *detail)
{
    pthread_mutex_lock(&a->mu);
    asr_gap_locked(a, start_ns, end_ns, reason, output, detail);
    pthread_mutex_unlock(&a->mu);
}

void air_asrun_down(air_asrun *a, const char *output, int64_t wall_ns, const char *detail)
{
    pthread_mutex_lock(&a->mu);
    int known = 0;
    for (int i = 0; i < a->n_down; i++)
        known |= !strcmp(a->downs[i].name, output);
    if (!known && a->n_down < MAX_OUTS) {
        down *d = &a->downs[a->n_down];
        d->name = cw_strdup(output);
        d->detail = cw_strdup(detail ? detail : "");
        d->since = wall_ns;
        if (d->name && d->detail)
            a->n_down++;
        json_t *o = record(a, "output", wall_ns);
        json_object_set_new(o, "output", json_string(output));
        json_object_set_new(o, "event", json_string("down"));
        json_object_set_new(o, "detail", str_or_null(detail));
        asr_put(a, wall_ns, o);
    }
    pthread_mutex_unlock(&a->mu);
}

static void up_locked(air_asrun *a, int i, int64_t wall_ns, int stopping)
{
    down *d = &a->downs[i];
    if (!stopping) {
        json_t *o = record(a, "output", wall_ns);
        json_object_set_new(o, "output", json_string(d->name));
        json_object_set_new(o, "event", json_string("up"));
        json_object_set_new(o, "down_s", json_real((double)(wall_ns - d->since) / AIR_NS));
        asr_put(a, wall_ns, o);
    }
    asr_gap_locked(a, d->since, wall_ns, "output down", d->name, d->detail);
    free(d->name);
    free(d->detail);
    a->downs[i] = a->downs[--a->n_down];
}

void air_asrun_up(air_asrun *a, const char *output, int64_t wall_ns)
{
    pthread_mutex_lock(&a->mu);
    for (int i = 0; i < a->n_down; i++)
        if (!strcmp(a->downs[i].name, output)) {
            up_locked(a, i, wall_ns, 0);
            break;
        }
    pthread_mutex_unlock(&a->mu);
}

size_t air_asrun_records(air_asrun *a)
{
    pthread_mutex_lock(&a->mu);
    size_t n = a->records;
    pthread_mutex_unlock(&a->mu);
    return n;
}

int air_asrun_open(air_asrun **out, const char *station_dir, const cw_tz *tz, cw_air_clock *clock, air_log *log,
                   cw_error *err)
{
    *out = NULL;
    air_asrun *a = calloc(1, sizeof *a);
    if (!a)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    pthread_mutex_init(&a->mu, NULL);
    pthread_mutex_init(&a->qmu, NULL);
    pthread_cond_init(&a->qcv, NULL);
    a->fd = -1;
    a->tz = tz;
    a->clock = clock;
    a->log = log;
    a->dir = cw_path_join(station_dir, "asrun");
    int rc = a->dir ? cw_mkdir_p(a->dir, err) : cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    if (!rc && access(a->dir, W_OK) != 0)
        rc = cw_fail(err, CW_EIO, a->dir, 0, "cannot write the as-run folder '%s': %s", a->dir, strerror(errno));
    if (rc) {
        air_asrun_free(a);
        return rc;
    }
    int64_t now = clock->wall_ns(clock);
    pthread_mutex_lock(&a->mu);
    asr_recover(a, now);
    asr_save_state(a, now, 0);
    pthread_mutex_unlock(&a->mu);
    *out = a;
    return 0;
}

void air_asrun_close(air_asrun *a, int64_t wall_ns)
{
    pthread_mutex_lock(&a->mu);
    asr_flush_entries(a, wall_ns, 1, "chalkwave stopped");
    while (a->n_down)
        up_locked(a, a->n_down - 1, wall_ns, 1);
    asr_put(a, wall_ns, record(a, "stop", wall_ns));
    pthread_mutex_unlock(&a->mu);
    stop_writer(a); /* every line is on disk before the clean state is */
    pthread_mutex_lock(&a->mu);
    asr_save_state(a, wall_ns, 1);
    pthread_mutex_unlock(&a->mu);
}

void air_asrun_free(air_asrun *a)
{
    if (!a)
        return;
    stop_writer(a);
    for (size_t i = 0; i < a->n_e; i++)
        free_entry(&a->e[i]);
    free(a->e);
    for (int i = 0; i < a->n_down; i++) {
        free(a->downs[i].name);
        free(a->downs[i].detail);
    }
    if (a->fd >= 0)
        close(a->fd);
    pthread_mutex_destroy(&a->mu);
    pthread_mutex_destroy(&a->qmu);
    pthread_cond_destroy(&a->qcv);
    free(a->dir);
    free(a);
}
