/* asrun_state.c — air's heartbeat (asrun/.air-state.json: the items being aired, the
 * outputs down, when it was last alive) and what the next start makes of it: the item a
 * killed run was playing becomes a record cut where the heartbeat stopped, and the time until
 * the restart a "chalkwave stopped" gap.
 * Guarantees: the file is replaced whole (write, rename); a missing or unreadable one is a
 * fresh start. */
#include "asrun_int.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- heartbeat state and recovery ------------------------------------------------------------- */

static json_t *state_json(const air_asrun *a, int64_t now, int clean)
{
    json_t *st = json_object();
    json_object_set_new(st, "pid", json_integer((json_int_t)getpid()));
    json_object_set_new(st, "alive_ns", json_integer((json_int_t)now));
    json_object_set_new(st, "clean", json_boolean(clean));
    json_t *items = json_array();
    for (size_t i = 0; i < a->n_e; i++) {
        const entry *e = &a->e[i];
        json_t *ej = json_object();
        char ds[11];
        cw_date_format(e->date, ds);
        json_object_set_new(ej, "date", json_string(ds));
        json_object_set_new(ej, "item", json_integer((json_int_t)e->item));
        json_object_set_new(ej, "bundle", json_string(e->id));
        json_object_set_new(ej, "planned_ns", json_integer((json_int_t)e->planned_ns));
        json_object_set_new(ej, "length_samples", json_integer((json_int_t)e->length_samples));
        json_object_set_new(ej, "rate", json_integer(e->rate));
        json_object_set(ej, "meta", e->meta);
        json_t *outs = json_array();
        for (int k = 0; k < e->n_outs; k++) {
            json_t *oj = json_object(), *parts = json_array();
            json_object_set_new(oj, "name", json_string(e->outs[k].name));
            for (int j = 0; j < e->outs[k].n; j++) {
                const part *p = &e->outs[k].parts[j];
                json_t *pj = json_object();
                json_object_set_new(pj, "start_ns", json_integer((json_int_t)p->start_ns));
                json_object_set_new(pj, "from", json_integer((json_int_t)p->from));
                json_object_set_new(pj, "samples", json_integer((json_int_t)p->samples));
                json_object_set_new(pj, "open", json_boolean(p->open));
                json_object_set_new(pj, "reason", json_string(p->reason));
                json_array_append_new(parts, pj);
            }
            json_object_set_new(oj, "parts", parts);
            json_array_append_new(outs, oj);
        }
        json_object_set_new(ej, "outs", outs);
        json_array_append_new(items, ej);
    }
    json_object_set_new(st, "items", items);
    json_t *downs = json_array();
    for (int i = 0; i < a->n_down; i++) {
        json_t *dj = json_object();
        json_object_set_new(dj, "name", json_string(a->downs[i].name));
        json_object_set_new(dj, "detail", json_string(a->downs[i].detail));
        json_object_set_new(dj, "since_ns", json_integer((json_int_t)a->downs[i].since));
        json_array_append_new(downs, dj);
    }
    json_object_set_new(st, "down", downs);
    return st;
}

/* Replace the state file (write + rename; no fsync: it matters after a kill, where the page
 * cache survives, and a second of heartbeat lost to a power cut costs nothing). */
void asr_save_state(air_asrun *a, int64_t now, int clean)
{
    json_t *st = state_json(a, now, clean);
    char *text = json_dumps(st, JSON_COMPACT);
    json_decref(st);
    char *path = cw_asprintf("%s/.air-state.json", a->dir), *tmp = cw_asprintf("%s/.air-state.json.tmp", a->dir);
    if (text && path && tmp) {
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        size_t n = strlen(text);
        if (fd >= 0) {
            int ok = write(fd, text, n) == (ssize_t)n;
            if (clean)
                ok = ok && fsync(fd) == 0;
            close(fd);
            if (ok)
                rename(tmp, path);
        }
    }
    free(text);
    free(path);
    free(tmp);
}

void air_asrun_tick(air_asrun *a, int64_t wall_ns)
{
    pthread_mutex_lock(&a->mu);
    asr_flush_entries(a, wall_ns, 0, "");
    /* the samples an open part has aired so far, as far as the clock says */
    for (size_t i = 0; i < a->n_e; i++)
        for (int k = 0; k < a->e[i].n_outs; k++)
            for (int j = 0; j < a->e[i].outs[k].n; j++) {
                part *p = &a->e[i].outs[k].parts[j];
                if (p->open && wall_ns > p->start_ns) {
                    int64_t s = air_ns_to_samples(wall_ns - p->start_ns, a->e[i].rate);
                    int64_t max = a->e[i].length_samples - p->from;
                    p->samples = s > max ? max : s;
                }
            }
    asr_save_state(a, wall_ns, 0);
    pthread_mutex_unlock(&a->mu);
}

static int64_t jint(json_t *o, const char *k)
{
    return (int64_t)json_integer_value(json_object_get(o, k));
}

static const char *jstr(json_t *o, const char *k, const char *dflt)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : dflt;
}

/* What a previous run left in the state file: its open items become records cut where its
 * heartbeat stopped; outputs it had down and the time it was not running become gaps. */
void asr_recover(air_asrun *a, int64_t now)
{
    char *path = cw_asprintf("%s/.air-state.json", a->dir);
    json_error_t je;
    json_t *st = path ? json_load_file(path, 0, &je) : NULL;
    free(path);
    if (!st)
        return;
    int clean = json_is_true(json_object_get(st, "clean"));
    int64_t alive = jint(st, "alive_ns");
    size_t i;
    json_t *ej;
    json_array_foreach(json_object_get(st, "items"), i, ej)
    {
        cw_date date;
        const char *ds = json_string_value(json_object_get(ej, "date"));
        const char *id = json_string_value(json_object_get(ej, "bundle"));
        if (!ds || !id || cw_date_parse(ds, &date) != 0 || strlen(id) != 16)
            continue;
        if (a->n_e == a->cap_e) {
            entry *v = realloc(a->e, (a->cap_e + 8) * sizeof *v);
            if (!v)
                break;
            a->e = v;
            a->cap_e += 8;
        }
        entry *e = &a->e[a->n_e];
        memset(e, 0, sizeof *e);
        e->date = date;
        e->item = (size_t)jint(ej, "item");
        memcpy(e->id, id, 17);
        e->planned_ns = jint(ej, "planned_ns");
        e->length_samples = jint(ej, "length_samples");
        e->rate = (int)jint(ej, "rate");
        json_t *meta = json_object_get(ej, "meta");
        if (e->rate <= 0 || e->length_samples <= 0 || !json_is_object(meta))
            continue;
        e->meta = json_deep_copy(meta);
        size_t k;
        json_t *oj;
        json_array_foreach(json_object_get(ej, "outs"), k, oj)
        {
            out_entry *o = asr_find_out(e, jstr(oj, "name", "?"), 1);
            size_t j;
            json_t *pj;
            json_array_foreach(json_object_get(oj, "parts"), j, pj)
            {
                if (!o || o->n >= MAX_PARTS)
                    break;
                part *p = &o->parts[o->n++];
                memset(p, 0, sizeof *p);
                p->start_ns = jint(pj, "start_ns");
                p->from = jint(pj, "from");
                p->samples = jint(pj, "samples");
                p->open = json_is_true(json_object_get(pj, "open"));
                snprintf(p->reason, sizeof p->reason, "%s", jstr(pj, "reason", ""));
            }
        }
        a->n_e++;
    }
    /* the samples the heartbeat counted are what aired: close the parts there */
    for (size_t n = 0; n < a->n_e; n++)
        for (int k = 0; k < a->e[n].n_outs; k++)
            for (int j = 0; j < a->e[n].outs[k].n; j++) {
                part *p = &a->e[n].outs[k].parts[j];
                if (p->open) {
                    p->open = 0;
                    snprintf(p->reason, sizeof p->reason, "chalkwave stopped");
                }
            }
    asr_flush_entries(a, alive, 1, "chalkwave stopped");
    json_t *dj;
    json_array_foreach(json_object_get(st, "down"), i, dj)
    {
        const char *name = json_string_value(json_object_get(dj, "name"));
        if (name)
            asr_gap_locked(a, jint(dj, "since_ns"), alive, "output down", name,
                       json_string_value(json_object_get(dj, "detail")));
    }
    if (alive > 0 && now > alive)
        asr_gap_locked(a, alive, now, "chalkwave stopped", NULL,
                   clean ? "stopped by the operator" : "chalkwave was killed or crashed (no clean stop)");
    json_decref(st);
}

