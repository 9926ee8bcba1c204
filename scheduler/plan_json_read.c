/* plan_json_read.c — cw_plan_from_json: the plan JSON read back (verify, the day bundles'
 * records of what aired, tests, fuzzing). Guarantees: accepts exactly the shape
 * cw_plan_to_json writes (and plans written before windows, blocks, slots and coded
 * warnings existed), refuses anything else with a one-line reason whatever the bytes (it is
 * fuzzed): items in order inside the windows (covering them in day mode), paths safe,
 * blocks matching the items, slots naming items of the plan. */
#include "scheduler_int.h"

#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define PLAN_JSON_MAX_BYTES (64 * 1024 * 1024)

/* ---- reading ----------------------------------------------------------------------- */

static int jfail(cw_error *err, const char *fmt, ...) CW_PRINTF(2, 3);
static int jfail(cw_error *err, const char *fmt, ...)
{
    char text[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    return cw_fail(err, CW_EINVAL, "", 0, "plan JSON: %s", text);
}

/* A string field (or null when nullable) copied into *out; "" stays "". */
static int get_str(json_t *o, const char *k, int nullable, char **out, size_t idx, cw_error *err)
{
    json_t *v = json_object_get(o, k);
    *out = NULL;
    if (!v) return jfail(err, "'%s' is missing in item %zu (plans are written by chalkwave plan)", k, idx);
    if (json_is_null(v) && nullable) return 0;
    if (!json_is_string(v)) return jfail(err, "'%s' in item %zu must be a string", k, idx);
    if (json_string_length(v) > 4096 || strlen(json_string_value(v)) != json_string_length(v))
        return jfail(err, "'%s' in item %zu is too long or holds a NUL byte", k, idx);
    *out = cw_strdup(json_string_value(v));
    return *out ? 0 : cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
}

/* A string member, NULL when absent or null. */
static int opt_str(json_t *o, const char *k, char **out, const char *what, cw_error *err)
{
    json_t *v = json_object_get(o, k);
    *out = NULL;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_string(v) || json_string_length(v) > 4096 || strlen(json_string_value(v)) != json_string_length(v))
        return jfail(err, "'%s' of %s must be a string without NUL bytes", k, what);
    *out = cw_strdup(json_string_value(v));
    return *out ? 0 : CW_ENOMEM;
}

/* Warnings: objects {code, severity, text, file, line, item} (or, in plans written before
 * diagnostics had codes, plain strings). */
static int get_diags(json_t *a, cw_diags *d, const char *what, size_t idx, cw_error *err)
{
    if (!json_is_array(a)) return jfail(err, "'%s' in item %zu must be an array", what, idx);
    if (json_array_size(a) > 100000) return jfail(err, "'%s' in item %zu is too long", what, idx);
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *w = json_array_get(a, i);
        if (json_is_string(w)) {
            if (strlen(json_string_value(w)) != json_string_length(w))
                return jfail(err, "'%s' in item %zu must hold strings without NUL bytes", what, idx);
            if (cw_diags_add(d, CW_DIAG_WARNING, NULL, NULL, 0, NULL, json_string_value(w))) return CW_ENOMEM;
            continue;
        }
        if (!json_is_object(w)) return jfail(err, "'%s' in item %zu must hold warning objects", what, idx);
        char *code = NULL, *text = NULL, *file = NULL, *item = NULL;
        json_t *sev = json_object_get(w, "severity"), *line = json_object_get(w, "line");
        cw_diag_severity sv = CW_DIAG_WARNING;
        int rc = 0;
        if (!json_is_string(sev) || (strcmp(json_string_value(sev), "warning") && strcmp(json_string_value(sev), "info") &&
                                     strcmp(json_string_value(sev), "error")))
            rc = jfail(err, "'severity' of a warning in item %zu must be info, warning or error", idx);
        else
            sv = !strcmp(json_string_value(sev), "info") ? CW_DIAG_INFO
                 : !strcmp(json_string_value(sev), "error") ? CW_DIAG_ERROR : CW_DIAG_WARNING;
        if (!rc && !(json_is_null(line) || (json_is_integer(line) && json_integer_value(line) > 0 &&
                                            json_integer_value(line) <= INT_MAX)))
            rc = jfail(err, "'line' of a warning in item %zu must be a positive integer or null", idx);
        if (!rc) rc = opt_str(w, "code", &code, "a warning", err);
        if (!rc) rc = opt_str(w, "text", &text, "a warning", err);
        if (!rc && !text) rc = jfail(err, "a warning in item %zu has no 'text'", idx);
        if (!rc) rc = opt_str(w, "file", &file, "a warning", err);
        if (!rc) rc = opt_str(w, "item", &item, "a warning", err);
        if (!rc && code && !*code) rc = jfail(err, "'code' of a warning in item %zu must not be empty", idx);
        if (!rc && cw_diags_add(d, sv, code, file, json_is_integer(line) ? (int)json_integer_value(line) : 0, item, text))
            rc = CW_ENOMEM;
        free(code), free(text), free(file), free(item);
        if (rc) return rc;
    }
    return 0;
}

static int push_change(cw_plan *p, size_t *cap, int64_t utc, int offset)
{
    if (p->n_tz_changes && p->tz_changes[p->n_tz_changes - 1].utc >= utc) return 0; /* times only move on */
    if (p->n_tz_changes == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        cw_plan_tzchange *v = realloc(p->tz_changes, nc * sizeof *v);
        if (!v) return -1;
        p->tz_changes = v;
        *cap = nc;
    }
    p->tz_changes[p->n_tz_changes].utc = utc;
    p->tz_changes[p->n_tz_changes].offset = offset;
    p->n_tz_changes++;
    return 0;
}

/* A local time member that must name UTC second `want` (when want_set) or any time. */
static int get_time(json_t *o, const char *k, int64_t *utc, int *off)
{
    json_t *v = json_object_get(o, k);
    return json_is_string(v) && !cw_sched_parse_time(json_string_value(v), utc, off) ? 0 : -1;
}

/* "windows" (or, in plans written before several windows, the one "window"). */
static int read_windows(cw_plan *p, json_t *root, cw_error *err)
{
    json_t *ws = json_object_get(root, "windows");
    size_t n = ws ? json_array_size(ws) : 1;
    if (ws && (!json_is_array(ws) || n < 1 || n > CW_MAX_ON_AIR))
        return jfail(err, "'windows' must be an array of 1 to %d windows", CW_MAX_ON_AIR);
    if (!(p->windows = calloc(n, sizeof *p->windows))) return CW_ENOMEM;
    p->n_windows = n;
    for (size_t k = 0; k < n; k++) {
        int o1, o2;
        cw_plan_window *w = &p->windows[k];
        if (!ws) {
            w->start_utc = p->window_start_utc, w->end_utc = p->window_end_utc;
        } else if (!json_is_object(json_array_get(ws, k)) || get_time(json_array_get(ws, k), "start", &w->start_utc, &o1) ||
                   get_time(json_array_get(ws, k), "end", &w->end_utc, &o2)) {
            return jfail(err, "window %zu must have 'start' and 'end' times (ISO 8601 with offset)", k);
        }
        if (w->end_utc <= w->start_utc || (k && w->start_utc < p->windows[k - 1].end_utc) ||
            w->start_utc < p->window_start_utc || w->end_utc > p->window_end_utc)
            return jfail(err, "the windows must be in order, not empty, not overlapping and inside 'window'");
    }
    if (p->windows[0].start_utc != p->window_start_utc || p->windows[n - 1].end_utc != p->window_end_utc)
        return jfail(err, "'window' must run from the first window's start to the last one's end");
    return 0;
}

/* Items: in order, never overlapping, each inside one window; in day mode covering them. */
static int read_item_place(cw_plan *p, cw_plan_item *it, json_t *o, size_t i, size_t *k, int64_t *pos, cw_error *err)
{
    int64_t W = (p->window_end_utc - p->window_start_utc) * p->rate;
    json_t *off = json_object_get(o, "offset_samples"), *len = json_object_get(o, "length_samples");
    if (!json_is_integer(off) || json_integer_value(off) < *pos || json_integer_value(off) >= W)
        return jfail(err, "'offset_samples' of item %zu must not go back before the item before ends", i);
    if (!json_is_integer(len) || json_integer_value(len) <= 0 || json_integer_value(len) > W - json_integer_value(off))
        return jfail(err, "'length_samples' of item %zu must be positive and stay in the window", i);
    it->offset_samples = json_integer_value(off);
    it->length_samples = json_integer_value(len);
    int blocks = p->mode == CW_BUNDLE_BLOCKS;
    for (;;) {
        int64_t lo = (p->windows[*k].start_utc - p->window_start_utc) * p->rate;
        int64_t hi = (p->windows[*k].end_utc - p->window_start_utc) * p->rate;
        if (*pos < lo) *pos = lo;
        if (it->offset_samples < hi) {
            if (it->offset_samples < lo || it->offset_samples + it->length_samples > hi)
                return jfail(err, "item %zu must lie inside one on-air window", i);
            if (!blocks && it->offset_samples != *pos)
                return jfail(err, "'offset_samples' of item %zu must continue where the item before ends", i);
            break;
        }
        if (!blocks && *pos != hi) return jfail(err, "the items must cover every on-air window");
        if (++*k >= p->n_windows) return jfail(err, "item %zu lies outside the on-air windows", i);
    }
    *pos = it->offset_samples + it->length_samples;
    it->start_utc_ms = p->window_start_utc * 1000 + it->offset_samples * 1000 / p->rate;
    return 0;
}

static int read_item(cw_plan *p, cw_plan_item *it, json_t *o, size_t i, int *cur_off, size_t *tzcap, cw_error *err)
{
    json_t *v = json_object_get(o, "kind");
    it->kind = json_is_string(v) ? cw_kind_parse(json_string_value(v)) : CW_KIND_NONE;
    if (it->kind != CW_KIND_LESSON && it->kind != CW_KIND_NEWSLETTER && it->kind != CW_KIND_FILLER &&
        it->kind != CW_KIND_SILENCE)
        return jfail(err, "'kind' of item %zu must be lesson, newsletter, filler or silence", i);
    int64_t t_utc, e_utc, u_utc;
    int t_off, e_off, u_off;
    if (get_time(o, "start", &t_utc, &t_off) || t_utc != p->window_start_utc + it->offset_samples / p->rate)
        return jfail(err, "'start' of item %zu must be its local time (matching offset_samples)", i);
    if (t_off != *cur_off) {
        if (push_change(p, tzcap, t_utc, t_off)) return CW_ENOMEM;
        *cur_off = t_off;
    }
    if (get_time(o, "end", &e_utc, &e_off) ||
        e_utc != p->window_start_utc + (it->offset_samples + it->length_samples) / p->rate)
        return jfail(err, "'end' of item %zu must be its local end time (matching the samples)", i);
    if (get_time(o, "start_utc", &u_utc, &u_off) || u_off != 0 || u_utc != t_utc)
        return jfail(err, "'start_utc' of item %zu must be its UTC start", i);
    int rc;
    if ((rc = get_str(o, "title", 0, &it->title, i, err)) || (rc = get_str(o, "teacher", 0, &it->teacher, i, err)) ||
        (rc = get_str(o, "language", 0, &it->language, i, err)) || (rc = get_str(o, "series", 0, &it->series, i, err)) ||
        (rc = get_str(o, "recording", 1, &it->recording, i, err)) ||
        (rc = get_str(o, "event_uid", 1, &it->event_uid, i, err)) ||
        (rc = get_str(o, "event_file", 1, &it->event_file, i, err)) ||
        (rc = get_str(o, "recurrence_id", 1, &it->event_recurrence_id, i, err)))
        return rc;
    if ((it->kind == CW_KIND_SILENCE) != (it->recording == NULL))
        return jfail(err, "'recording' of item %zu must be null exactly for silence", i);
    if (it->recording && (!cw_path_is_safe_relative(it->recording) || strncmp(it->recording, "library/", 8)))
        return jfail(err, "'recording' of item %zu must be a path inside library/", i);
    v = json_object_get(o, "episode");
    if (json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) <= INT_MAX)
        it->episode = (int)json_integer_value(v);
    else if (!json_is_null(v))
        return jfail(err, "'episode' of item %zu must be a positive integer or null", i);
    v = json_object_get(o, "repeat");
    if (!json_is_boolean(v)) return jfail(err, "'repeat' of item %zu must be true or false", i);
    it->repeat = json_is_true(v);
    v = json_object_get(o, "cut");
    if (!json_is_boolean(v)) return jfail(err, "'cut' of item %zu must be true or false", i);
    it->cut = json_is_true(v);
    v = json_object_get(o, "fade_out");
    if (!json_is_number(v) || !(json_number_value(v) >= 0 && json_number_value(v) <= 60))
        return jfail(err, "'fade_out' of item %zu must be seconds from 0 to 60", i);
    it->fade_out = json_number_value(v);
    if ((rc = get_diags(json_object_get(o, "warnings"), &it->warnings, "warnings", i, err))) return rc;
    it->recording_samples = it->recording ? it->length_samples : 0;
    it->hard_start = it->kind == CW_KIND_LESSON && it->event_uid != NULL;
    return 0;
}

static int read_slot(cw_plan *p, cw_plan_slot *s, json_t *o, size_t i, cw_error *err)
{
    char what[40];
    snprintf(what, sizeof what, "slot %zu", i);
    if (!json_is_object(o)) return jfail(err, "%s must be an object", what);
    int off;
    if (get_time(o, "start", &s->start_utc, &off) || get_time(o, "end", &s->end_utc, &off) || s->end_utc < s->start_utc)
        return jfail(err, "'start' and 'end' of %s must be times, the end not before the start", what);
    json_t *v = json_object_get(o, "kind");
    s->kind = json_is_string(v) ? cw_kind_parse(json_string_value(v)) : CW_KIND_NONE;
    if (s->kind != CW_KIND_LESSON && s->kind != CW_KIND_NEWSLETTER && s->kind != CW_KIND_FILLER && s->kind != CW_KIND_BLACKOUT)
        return jfail(err, "'kind' of %s must be lesson, newsletter, filler or blackout", what);
    v = json_object_get(o, "status");
    int st = -1;
    for (int k = 0; json_is_string(v) && k <= CW_SLOT_SKIPPED && st < 0; k++)
        if (!strcmp(json_string_value(v), cw_slot_status_name((cw_slot_status)k))) st = k;
    if (st < 0) return jfail(err, "'status' of %s is not a slot status", what);
    s->status = (cw_slot_status)st;
    int rc;
    if ((rc = get_str(o, "summary", 0, &s->summary, i, err)) || (rc = get_str(o, "series", 0, &s->series, i, err)) ||
        (rc = get_str(o, "teacher", 0, &s->teacher, i, err)) || (rc = get_str(o, "language", 0, &s->language, i, err)) ||
        (rc = get_str(o, "recording", 1, &s->recording, i, err)) ||
        (rc = get_str(o, "event_file", 0, &s->event_file, i, err)) ||
        (rc = get_str(o, "event_uid", 0, &s->event_uid, i, err)) ||
        (rc = get_str(o, "recurrence_id", 1, &s->event_recurrence_id, i, err)) ||
        (rc = get_str(o, "reason", 0, &s->reason, i, err)))
        return rc;
    if (s->recording && (!cw_path_is_safe_relative(s->recording) || strncmp(s->recording, "library/", 8)))
        return jfail(err, "'recording' of %s must be a path inside library/", what);
    v = json_object_get(o, "episode");
    if (json_is_integer(v) && json_integer_value(v) > 0 && json_integer_value(v) <= INT_MAX)
        s->episode = (int)json_integer_value(v);
    else if (!json_is_null(v))
        return jfail(err, "'episode' of %s must be a positive integer or null", what);
    json_t *fi = json_object_get(o, "first_item"), *ni = json_object_get(o, "n_items");
    if (!json_is_integer(ni) || json_integer_value(ni) < 0 || (size_t)json_integer_value(ni) > p->n_items ||
        (json_integer_value(ni) == 0 ? !json_is_null(fi)
                                     : !json_is_integer(fi) || json_integer_value(fi) < 0 ||
                                           (size_t)json_integer_value(fi) > p->n_items - (size_t)json_integer_value(ni)))
        return jfail(err, "'first_item' and 'n_items' of %s must name items of the plan", what);
    s->n_items = (size_t)json_integer_value(ni);
    s->first_item = s->n_items ? (size_t)json_integer_value(fi) : 0;
    v = json_object_get(o, "station_change");
    if (!json_is_boolean(v)) return jfail(err, "'station_change' of %s must be true or false", what);
    s->station_change = json_is_true(v);
    return 0;
}

/* "blocks" must be what the items give (they are derived, written for readers). */
static int check_blocks(const cw_plan *p, json_t *a, cw_error *err)
{
    if (!a) return 0; /* plans written before blocks */
    if (!json_is_array(a) || json_array_size(a) != p->n_blocks)
        return jfail(err, "'blocks' must list the runs of contiguous items");
    for (size_t k = 0; k < p->n_blocks; k++) {
        json_t *b = json_array_get(a, k);
        const cw_plan_block *x = &p->blocks[k];
        if (!json_is_object(b) || json_integer_value(json_object_get(b, "offset_samples")) != x->offset_samples ||
            json_integer_value(json_object_get(b, "length_samples")) != x->length_samples ||
            json_integer_value(json_object_get(b, "first_item")) != (json_int_t)x->first_item ||
            json_integer_value(json_object_get(b, "n_items")) != (json_int_t)x->n_items)
            return jfail(err, "block %zu does not match the items", k);
    }
    return 0;
}

static int read_plan(cw_plan *p, json_t *root, cw_error *err)
{
    if (!json_is_object(root)) return jfail(err, "the top level must be an object");
    json_t *v = json_object_get(root, "date");
    if (!json_is_string(v) || cw_date_parse(json_string_value(v), &p->date))
        return jfail(err, "'date' must be YYYY-MM-DD");
    v = json_object_get(root, "timezone");
    if (!json_is_string(v) || json_string_length(v) > 200 || strlen(json_string_value(v)) != json_string_length(v) ||
        !json_string_length(v) || strspn(json_string_value(v), "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                                           "0123456789/_+-") != json_string_length(v))
        return jfail(err, "'timezone' must be a zone name"); /* IANA names only: it is printed as is */
    if (!(p->timezone = cw_strdup(json_string_value(v)))) return CW_ENOMEM;
    v = json_object_get(root, "rate");
    if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 1000000)
        return jfail(err, "'rate' must be an integer sample rate");
    p->rate = (int)json_integer_value(v);
    v = json_object_get(root, "mode");
    if (v && (!json_is_string(v) || (strcmp(json_string_value(v), "day") && strcmp(json_string_value(v), "blocks"))))
        return jfail(err, "'mode' must be day or blocks");
    p->mode = v && !strcmp(json_string_value(v), "blocks") ? CW_BUNDLE_BLOCKS : CW_BUNDLE_DAY;
    json_t *w = json_object_get(root, "window");
    if (!json_is_object(w) || get_time(w, "start", &p->window_start_utc, &p->start_offset) ||
        get_time(w, "end", &p->window_end_utc, &p->end_offset))
        return jfail(err, "'window' must have 'start' and 'end' times (ISO 8601 with offset)");
    int64_t wsec = p->window_end_utc - p->window_start_utc;
    if (wsec <= 0 || wsec > CW_PLAN_MAX_WINDOW)
        return jfail(err, "the window must be longer than 0 and at most 26 hours");
    int rc = read_windows(p, root, err);
    if (rc) return rc;
    json_t *items = json_object_get(root, "items");
    if (!json_is_array(items)) return jfail(err, "'items' must be an array");
    size_t n = json_array_size(items);
    if ((n == 0 && p->mode == CW_BUNDLE_DAY) || n > CW_PLAN_MAX_ITEMS * 2)
        return jfail(err, "'items' must hold 1 to 100000 items (0 in blocks mode)");
    if (!(p->items = calloc(n ? n : 1, sizeof *p->items))) return CW_ENOMEM;
    int64_t pos = 0;
    int cur_off = p->start_offset;
    size_t tzcap = 0, k = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *o = json_array_get(items, i);
        if (!json_is_object(o)) return jfail(err, "item %zu must be an object", i);
        p->n_items = i + 1;
        if ((rc = read_item_place(p, &p->items[i], o, i, &k, &pos, err)) ||
            (rc = read_item(p, &p->items[i], o, i, &cur_off, &tzcap, err)))
            return rc;
    }
    if (p->mode == CW_BUNDLE_DAY &&
        (k + 1 != p->n_windows || pos != (p->window_end_utc - p->window_start_utc) * (int64_t)p->rate))
        return jfail(err, "the items must cover the whole window");
    if (p->end_offset != cur_off && push_change(p, &tzcap, p->window_end_utc, p->end_offset)) return CW_ENOMEM;
    if (cw_plan_compute_blocks(p)) return CW_ENOMEM;
    if ((rc = check_blocks(p, json_object_get(root, "blocks"), err))) return rc;
    json_t *slots = json_object_get(root, "slots");
    if (slots) {
        if (!json_is_array(slots) || json_array_size(slots) > 100000) return jfail(err, "'slots' must be an array");
        size_t ns = json_array_size(slots);
        if (!(p->slots = calloc(ns ? ns : 1, sizeof *p->slots))) return CW_ENOMEM;
        for (size_t i = 0; i < ns; i++) {
            p->n_slots = i + 1;
            if ((rc = read_slot(p, &p->slots[i], json_array_get(slots, i), i, err))) return rc;
        }
    }
    return get_diags(json_object_get(root, "warnings"), &p->warnings, "warnings", 0, err);
}

int cw_plan_from_json(cw_plan **out, const char *json, size_t len, cw_error *err)
{
    *out = NULL;
    if (!json || len > PLAN_JSON_MAX_BYTES)
        return cw_fail(err, CW_ELIMIT, "", 0, "plan JSON is larger than 64 MB; refused");
    json_error_t je;
    json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return cw_fail(err, CW_EINVAL, "", je.line > 0 ? je.line : 0, "plan JSON does not parse: %s", je.text);
    cw_plan *p = calloc(1, sizeof *p);
    if (!p) {
        json_decref(root);
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    int rc = read_plan(p, root, err);
    json_decref(root);
    if (rc) {
        if (rc == CW_ENOMEM) cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        cw_plan_free(p);
        return rc;
    }
    *out = p;
    return 0;
}

