/* inbox.c — uploads and what became of them (uploads.json): received, accepted, awaiting
 * approval, refused with the reason, approved, rejected with the reason. The inbox page,
 * the teachers' pages and the JSON API read it.
 * Guarantees: each change is a read-modify-write under the store lock; the newest 2,000
 * entries are kept. */
#include "desk_int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KEEP 2000

static const char *const status_names[] = {"received", "accepted", "pending", "refused", "approved", "rejected"};

const char *desk_upload_status_name(desk_upload_status s)
{
    return (unsigned)s < sizeof status_names / sizeof status_names[0] ? status_names[s] : "?";
}

static const char *jstr(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));
    return s ? s : "";
}

static json_t *to_json(const desk_upload *u)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:f, s:s}", "id", u->id,
                          "teacher", u->teacher, "by", u->by, "file", u->file, "size", (json_int_t)u->size, "received",
                          u->received, "title", u->title, "series", u->series, "kind", u->kind, "episode", u->episode,
                          "status", desk_upload_status_name(u->status), "reason", u->reason, "recording",
                          u->recording, "seconds", u->seconds, "job", u->job);
    if (o) json_object_set_new(o, "airs", json_string(u->airs));
    if (o && u->notes[0]) json_object_set_new(o, "notes", json_string(u->notes));
    if (o && u->replaces[0]) json_object_set_new(o, "replaces", json_string(u->replaces));
    return o;
}

static void from_json(json_t *o, desk_upload *u)
{
    memset(u, 0, sizeof *u);
    snprintf(u->id, sizeof u->id, "%s", jstr(o, "id"));
    snprintf(u->teacher, sizeof u->teacher, "%s", jstr(o, "teacher"));
    snprintf(u->by, sizeof u->by, "%s", jstr(o, "by"));
    snprintf(u->file, sizeof u->file, "%s", jstr(o, "file"));
    u->size = json_integer_value(json_object_get(o, "size"));
    snprintf(u->received, sizeof u->received, "%s", jstr(o, "received"));
    snprintf(u->title, sizeof u->title, "%s", jstr(o, "title"));
    snprintf(u->series, sizeof u->series, "%s", jstr(o, "series"));
    snprintf(u->kind, sizeof u->kind, "%s", jstr(o, "kind"));
    u->episode = (int)json_integer_value(json_object_get(o, "episode"));
    const char *st = jstr(o, "status");
    for (size_t i = 0; i < sizeof status_names / sizeof status_names[0]; i++)
        if (!strcmp(st, status_names[i])) u->status = (desk_upload_status)i;
    snprintf(u->reason, sizeof u->reason, "%s", jstr(o, "reason"));
    snprintf(u->recording, sizeof u->recording, "%s", jstr(o, "recording"));
    u->seconds = json_number_value(json_object_get(o, "seconds"));
    snprintf(u->job, sizeof u->job, "%s", jstr(o, "job"));
    snprintf(u->airs, sizeof u->airs, "%s", jstr(o, "airs"));
    snprintf(u->notes, sizeof u->notes, "%s", jstr(o, "notes"));
    snprintf(u->replaces, sizeof u->replaces, "%s", jstr(o, "replaces"));
}

/* add us[0] (replace = 0), or replace the entries with the ids of us[0..n) (replace = 1), in
 * one read-modify-write of uploads.json (a batch: the sync of many approvals made in the
 * terminal costs one write, not one each). */
static int change(cw_desk *d, const desk_upload *const *us, size_t n, int replace, cw_error *err)
{
    pthread_mutex_lock(&d->inbox_mu);
    int fd;
    int rc = desk_store_lock(d->station_dir, &fd, err);
    json_t *doc = NULL;
    if (rc == 0 && (rc = desk_store_load(d->station_dir, "uploads.json", "uploads", &doc, err)) == 0) {
        json_t *arr = json_object_get(doc, "uploads");
        for (size_t k = 0; rc == 0 && k < (replace ? n : 1); k++) {
            const desk_upload *u = us[k];
            json_t *o = to_json(u);
            if (!o) {
                rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
            } else if (replace) {
                size_t i;
                json_t *v;
                int found = 0;
                json_array_foreach(arr, i, v) if (!strcmp(jstr(v, "id"), u->id)) {
                    json_array_set(arr, i, o);
                    found = 1;
                    break;
                }
                json_decref(o);
                /* one entry asked for must be there; in a batch, one dropped meanwhile (only the
                 * newest 2,000 are kept) is skipped */
                if (!found && n == 1) rc = cw_fail(err, CW_ENOTFOUND, "", 0, "no upload '%s' in the inbox", u->id);
            } else {
                json_array_insert_new(arr, 0, o);
                while (json_array_size(arr) > KEEP) json_array_remove(arr, json_array_size(arr) - 1);
            }
        }
        if (rc == 0) rc = desk_store_save(d->station_dir, "uploads.json", doc, err);
    }
    json_decref(doc);
    desk_store_unlock(fd);
    pthread_mutex_unlock(&d->inbox_mu);
    return rc;
}

int desk_inbox_add(cw_desk *d, const desk_upload *u, cw_error *err)
{
    return change(d, &u, 1, 0, err);
}

int desk_inbox_update(cw_desk *d, const desk_upload *u, cw_error *err)
{
    return change(d, &u, 1, 1, err);
}

int desk_inbox_list(cw_desk *d, const char *teacher, desk_upload **out, size_t *n, cw_error *err)
{
    *out = NULL;
    *n = 0;
    json_t *doc;
    pthread_mutex_lock(&d->inbox_mu);
    int rc = desk_store_load(d->station_dir, "uploads.json", "uploads", &doc, err);
    pthread_mutex_unlock(&d->inbox_mu);
    if (rc) return rc;
    json_t *arr = json_object_get(doc, "uploads");
    desk_upload *v = calloc(json_array_size(arr) + 1, sizeof *v);
    if (!v) {
        json_decref(doc);
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    size_t i, k = 0;
    json_t *o;
    json_array_foreach(arr, i, o) {
        if (teacher && strcmp(jstr(o, "teacher"), teacher) != 0) continue;
        from_json(o, &v[k++]);
    }
    json_decref(doc);
    desk_inbox_sync(d, v, k);
    *out = v;
    *n = k;
    return 0;
}

static int exists(const char *dir, const char *rel)
{
    char *p = cw_path_join(dir, rel);
    int ok = p && access(p, F_OK) == 0;
    free(p);
    return ok;
}

/* Where `chalkwave library reject` put pending/REST: pending/rejected/REST, or "REST (N).ogg"
 * when that name was taken by an earlier rejection (the highest N is the latest). */
static char *latest_rejected(const char *dir, const char *rest)
{
    char *best = cw_asprintf("pending/rejected/%s", rest);
    if (!best || !exists(dir, best)) return best;
    const char *dot = strrchr(rest, '.');
    if (!dot || strchr(dot, '/')) dot = rest + strlen(rest);
    for (int i = 2; i < 1000; i++) {
        char *t = cw_asprintf("pending/rejected/%.*s (%d)%s", (int)(dot - rest), rest, i, dot);
        if (!t || !exists(dir, t)) {
            free(t);
            break;
        }
        free(best);
        best = t;
    }
    return best;
}

/* One upload still pending in the inbox whose file left pending/: where did it go? */
static int sync_one(cw_desk *d, desk_upload *u)
{
    if (u->status != UP_PENDING || strncmp(u->recording, "pending/", 8) != 0 || exists(d->station_dir, u->recording))
        return 0;
    const char *rest = u->recording + 8;
    char *lib = cw_asprintf("library/%s", rest), *rej = latest_rejected(d->station_dir, rest);
    int changed = 1;
    if (lib && exists(d->station_dir, lib)) {
        u->status = UP_APPROVED;
        snprintf(u->recording, sizeof u->recording, "%s", lib);
        snprintf(u->airs, sizeof u->airs, "The station approved it: it airs in its lesson's slot.");
    } else if (rej && exists(d->station_dir, rej)) {
        char *why = NULL;
        cw_error e = {0};
        u->status = UP_REJECTED;
        snprintf(u->reason, sizeof u->reason, "%s",
                 cw_library_rejection(d->station_dir, rej, &why, &e) == 0 && why && *why ? why
                                                                                         : "the station did not approve it");
        free(why);
        snprintf(u->recording, sizeof u->recording, "%s", rej);
        u->airs[0] = 0;
    } else if (lib && rej) {
        u->status = UP_REJECTED;
        snprintf(u->reason, sizeof u->reason, "the station removed this recording before approving it: ask the "
                                              "station, or upload it again");
        u->recording[0] = 0;
        u->airs[0] = 0;
    } else {
        changed = 0; /* out of memory: look again next time */
    }
    free(lib);
    free(rej);
    return changed;
}

void desk_inbox_sync(cw_desk *d, desk_upload *v, size_t n)
{
    const desk_upload **changed = calloc(n + 1, sizeof *changed);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (sync_one(d, &v[i])) {
            if (changed) changed[m++] = &v[i];
        }
    cw_error e = {0};
    if (m && change(d, changed, m, 1, &e) != 0 && d->log) d->log(d->log_user, e.text);
    free(changed);
}

int desk_inbox_get(cw_desk *d, const char *id, desk_upload *out, cw_error *err)
{
    desk_upload *v;
    size_t n;
    int rc = desk_inbox_list(d, NULL, &v, &n, err);
    if (rc) return rc;
    rc = CW_ENOTFOUND;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].id, id)) {
            *out = v[i];
            rc = 0;
            break;
        }
    free(v);
    if (rc) cw_fail(err, rc, "", 0, "there is no upload '%s' in the inbox", id);
    return rc;
}

int desk_inbox_recover(cw_desk *d, cw_error *err)
{
    /* Uploads still "received" belonged to a desk that was killed mid-ingest: the ingest
     * stored nothing (it is atomic), so say so and ask for the file again. */
    pthread_mutex_lock(&d->inbox_mu);
    int fd;
    int rc = desk_store_lock(d->station_dir, &fd, err);
    json_t *doc = NULL;
    if (rc == 0 && (rc = desk_store_load(d->station_dir, "uploads.json", "uploads", &doc, err)) == 0) {
        size_t i, fixed = 0;
        json_t *v;
        json_array_foreach(json_object_get(doc, "uploads"), i, v) {
            if (strcmp(jstr(v, "status"), "received") != 0) continue;
            json_object_set_new(v, "status", json_string("refused"));
            json_object_set_new(v, "reason", json_string("the desk stopped while it was preparing this recording, so "
                                                         "it was not stored: please upload it again"));
            fixed++;
        }
        if (fixed) rc = desk_store_save(d->station_dir, "uploads.json", doc, err);
    }
    json_decref(doc);
    desk_store_unlock(fd);
    pthread_mutex_unlock(&d->inbox_mu);
    return rc;
}
