/* test_json.c — the plan JSON: exact public fields, byte-identical output for the same
 * inputs, a lossless round trip through cw_plan_from_json, and refusal of hostile or
 * inconsistent input (mutations of a valid plan, truncations, junk bytes) without crashing;
 * the hand-written JSON is byte for byte what jansson's dump of the same tree gives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>

#include "sched_fixture.h"

static cw_plan *sample_plan(cw_station *st)
{
    static fx_lib l;
    memset(&l, 0, sizeof l);
    cw_recording *r = fx_rec(&l, CW_KIND_LESSON, "library/lesson/m/001-x.ogg", "m", 1, 2000.25);
    r->title = (char *)"Fractions \xc3\xa9t\xc3\xa9 \"quoted\"";
    fx_rec(&l, CW_KIND_LESSON, "library/lesson/bad/001-x.ogg", "bad", 1, 60)->title = (char *)"bad \xff utf8";
    fx_rec(&l, CW_KIND_FILLER, "library/filler/ids/000-id.ogg", "ids", 0, 1700.3); /* few items */
    static fx_occ o;
    memset(&o, 0, sizeof o);
    cw_occurrence *e = fx_ev(&o, "a.ics", 0, "m1", CW_KIND_LESSON, AT(9, 0), AT(9, 30), "m", 1);
    e->recurrence_id = "20260316T090000Z";
    fx_ev(&o, "a.ics", 0, "b1", CW_KIND_LESSON, AT(10, 0), AT(10, 30), "bad", 1);
    fx_ev(&o, "a.ics", 0, "gone", CW_KIND_LESSON, AT(11, 0), AT(11, 30), "m", 9);
    cw_plan *p = NULL;
    assert_int_equal(fx_plan(&p, st, &o, &l, D16, WS, WE), 0);
    return p;
}

static char *to_json(const cw_plan *p)
{
    cw_buf b;
    cw_buf_init(&b);
    assert_int_equal(cw_plan_to_json(p, &b), 0);
    return b.data;
}

static void test_fields_and_determinism(void **state)
{
    (void)state;
    cw_station *st = fx_station();
    cw_plan *p = sample_plan(st), *q = sample_plan(st);
    char *a = to_json(p), *b = to_json(q);
    assert_string_equal(a, b); /* same inputs, same bytes */
    assert_true(a[strlen(a) - 1] == '\n');
    json_error_t je;
    json_t *root = json_loads(a, 0, &je);
    assert_non_null(root);
    static const char *top[] = {"date", "timezone", "rate", "mode", "window", "windows", "items", "blocks", "slots", "warnings"};
    assert_int_equal(json_object_size(root), 10);
    {
        const char *k;
        json_t *v;
        size_t n = 0;
        json_object_foreach(root, k, v) assert_string_equal(k, top[n++]); /* fixed order */
    }
    assert_string_equal(json_string_value(json_object_get(root, "mode")), "day");
    assert_int_equal(json_array_size(json_object_get(root, "windows")), 1);
    assert_int_equal(json_array_size(json_object_get(root, "blocks")), 1);
    /* three lessons: two air, the third (episode 9) is missing */
    json_t *slots = json_object_get(root, "slots");
    assert_int_equal(json_array_size(slots), 3);
    static const char *slot_keys[] = {"start", "end", "kind", "status", "summary", "series", "episode", "teacher",
                                      "language", "recording", "event_file", "event_uid", "recurrence_id",
                                      "first_item", "n_items", "reason", "station_change"};
    for (size_t i = 0; i < json_array_size(slots); i++) {
        const char *k;
        json_t *v;
        size_t n = 0;
        json_object_foreach(json_array_get(slots, i), k, v) assert_string_equal(k, slot_keys[n++]);
        assert_int_equal(n, sizeof slot_keys / sizeof slot_keys[0]);
    }
    json_t *gone = json_array_get(slots, 2);
    assert_string_equal(json_string_value(json_object_get(gone, "event_uid")), "gone");
    assert_string_equal(json_string_value(json_object_get(gone, "status")), "missing");
    assert_int_equal(json_integer_value(json_object_get(gone, "episode")), 9);
    assert_true(json_is_null(json_object_get(gone, "recording")));
    assert_non_null(strstr(json_string_value(json_object_get(gone, "reason")), "episode 9 has not arrived"));
    json_t *airs = json_array_get(slots, 0);
    assert_string_equal(json_string_value(json_object_get(airs, "status")), "airs");
    assert_string_equal(json_string_value(json_object_get(airs, "recording")), "library/lesson/m/001-x.ogg");
    assert_string_equal(json_string_value(json_object_get(airs, "recurrence_id")), "20260316T090000Z");
    assert_int_equal(json_integer_value(json_object_get(airs, "n_items")), 1);
    /* warnings are objects with a code */
    json_t *ws = json_object_get(root, "warnings");
    int saw_missing = 0;
    for (size_t i = 0; i < json_array_size(ws); i++) {
        json_t *w = json_array_get(ws, i);
        assert_int_equal(json_object_size(w), 6);
        if (!strcmp(json_string_value(json_object_get(w, "code")), "plan.missing-recording")) {
            saw_missing = 1;
            assert_string_equal(json_string_value(json_object_get(w, "severity")), "warning");
            assert_string_equal(json_string_value(json_object_get(w, "file")), "a.ics");
            assert_string_equal(json_string_value(json_object_get(w, "item")), "gone");
        }
    }
    assert_true(saw_missing);
    assert_string_equal(json_string_value(json_object_get(root, "date")), "2026-03-16");
    assert_string_equal(json_string_value(json_object_get(json_object_get(root, "window"), "start")),
                        "2026-03-16T06:00:00+00:00");
    static const char *keys[] = {"start", "end", "start_utc", "offset_samples", "length_samples", "kind",
                                 "title", "teacher", "language", "series", "episode", "recording",
                                 "event_uid", "event_file", "recurrence_id", "repeat", "cut", "fade_out",
                                 "warnings"};
    json_t *items = json_object_get(root, "items");
    int found = 0;
    for (size_t i = 0; i < json_array_size(items); i++) {
        json_t *it = json_array_get(items, i);
        assert_int_equal(json_object_size(it), sizeof keys / sizeof keys[0]);
        const char *k;
        json_t *v;
        size_t n = 0;
        json_object_foreach(it, k, v) assert_string_equal(k, keys[n++]); /* fixed order */
        if (json_integer_value(json_object_get(it, "offset_samples")) == OFF(9, 0)) {
            found = 1;
            assert_string_equal(json_string_value(json_object_get(it, "title")), "Fractions \xc3\xa9t\xc3\xa9 \"quoted\"");
            assert_string_equal(json_string_value(json_object_get(it, "recurrence_id")), "20260316T090000Z");
            assert_string_equal(json_string_value(json_object_get(it, "start")), "2026-03-16T09:00:00+00:00");
            /* 2000.25 s: the end is not whole */
            assert_string_equal(json_string_value(json_object_get(it, "end")), "2026-03-16T09:33:20.250+00:00");
            assert_int_equal(json_integer_value(json_object_get(it, "episode")), 1);
        }
        if (json_is_null(json_object_get(it, "recording")))
            assert_string_equal(json_string_value(json_object_get(it, "kind")), "silence");
    }
    assert_true(found);
    assert_non_null(strstr(a, "bad \xef\xbf\xbd utf8")); /* invalid UTF-8 replaced */
    assert_non_null(strstr(a, "\"episode\": null"));
    json_decref(root);
    free(a);
    free(b);
    cw_plan_free(p);
    cw_plan_free(q);
    fx_station_free(st);
}

static void test_round_trip(void **state)
{
    (void)state;
    cw_station *st = fx_station();
    cw_plan *p = sample_plan(st);
    char *a = to_json(p);
    cw_plan *r = NULL;
    cw_error err = {0};
    assert_int_equal(cw_plan_from_json(&r, a, strlen(a), &err), 0);
    assert_int_equal(r->n_items, p->n_items);
    for (size_t i = 0; i < p->n_items; i++) {
        assert_int_equal(r->items[i].offset_samples, p->items[i].offset_samples);
        assert_int_equal(r->items[i].length_samples, p->items[i].length_samples);
        assert_int_equal(r->items[i].kind, p->items[i].kind);
        assert_int_equal(r->items[i].start_utc_ms, p->items[i].start_utc_ms);
    }
    char *b = to_json(r);
    assert_string_equal(a, b);
    free(a);
    free(b);
    cw_plan_free(p);
    cw_plan_free(r);

    /* a DST plan round-trips its offsets too */
    static const char *dst =
        "{\"date\":\"2026-10-25\",\"timezone\":\"Europe/Paris\",\"rate\":8000,"
        "\"window\":{\"start\":\"2026-10-25T01:00:00+02:00\",\"end\":\"2026-10-25T04:00:00+01:00\"},"
        "\"items\":[{\"start\":\"2026-10-25T01:00:00+02:00\",\"end\":\"2026-10-25T02:00:00+01:00\","
        "\"start_utc\":\"2026-10-24T23:00:00Z\",\"offset_samples\":0,\"length_samples\":57600000,"
        "\"kind\":\"silence\",\"title\":\"\",\"teacher\":\"\",\"language\":\"\",\"series\":\"\",\"episode\":null,"
        "\"recording\":null,\"event_uid\":null,\"event_file\":null,\"recurrence_id\":null,\"repeat\":false,"
        "\"cut\":false,\"fade_out\":0.0,\"warnings\":[]},"
        "{\"start\":\"2026-10-25T02:00:00+01:00\",\"end\":\"2026-10-25T04:00:00+01:00\","
        "\"start_utc\":\"2026-10-25T01:00:00Z\",\"offset_samples\":57600000,\"length_samples\":57600000,"
        "\"kind\":\"filler\",\"title\":\"x\",\"teacher\":\"\",\"language\":\"\",\"series\":\"\",\"episode\":null,"
        "\"recording\":\"library/filler/a.ogg\",\"event_uid\":null,\"event_file\":null,\"recurrence_id\":null,"
        "\"repeat\":false,\"cut\":false,\"fade_out\":0.0,\"warnings\":[]}],\"warnings\":[\"w\"]}";
    assert_int_equal(cw_plan_from_json(&r, dst, strlen(dst), &err), 0);
    assert_int_equal(r->start_offset, 7200);
    assert_int_equal(r->end_offset, 3600);
    a = to_json(r);
    assert_non_null(strstr(a, "\"start\": \"2026-10-25T02:00:00+01:00\""));
    cw_plan *r2 = NULL;
    assert_int_equal(cw_plan_from_json(&r2, a, strlen(a), &err), 0);
    b = to_json(r2);
    assert_string_equal(a, b);
    free(a);
    free(b);
    cw_plan_free(r);
    cw_plan_free(r2);
    fx_station_free(st);
}

/* ---- the same bytes as jansson ------------------------------------------------------------
 * cw_plan_to_json writes the JSON by hand; it must give what jansson's json_dumps gave for
 * the tree the writer used to build (and what scripts may have pinned). The reference below
 * builds that tree, with times formatted by snprintf as they were. */

static void ref_time(int64_t utc, int64_t frac, int rate, int offset, int utc_mode, char out[40])
{
    int64_t l = utc + (utc_mode ? 0 : offset);
    int64_t days = l >= 0 ? l / 86400 : -((-l + 86399) / 86400);
    int64_t sod = l - days * 86400;
    int y, m, d;
    cw_civil_from_days(days, &y, &m, &d);
    char fr[5] = "";
    if (frac > 0 && rate > 0) snprintf(fr, sizeof fr, ".%03u", (unsigned)(frac * 1000 / rate % 1000));
    char zone[8] = "Z";
    if (!utc_mode) {
        int a = offset < 0 ? -offset : offset;
        snprintf(zone, sizeof zone, "%c%02u:%02u", offset < 0 ? '-' : '+', (unsigned)(a / 3600) % 100u,
                 (unsigned)(a / 60 % 60));
    }
    snprintf(out, 40, "%04u-%02u-%02uT%02u:%02u:%02u%s%s", (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)d % 100u, (unsigned)(sod / 3600) % 100u, (unsigned)(sod / 60 % 60), (unsigned)(sod % 60), fr,
             zone);
}

static json_t *ref_local(const cw_plan *p, int64_t off)
{
    char t[40];
    int64_t sec = p->window_start_utc + off / p->rate;
    ref_time(sec, off % p->rate, p->rate, cw_sched_offset_at(p->start_offset, p->tz_changes, p->n_tz_changes, sec),
             0, t);
    return json_string(t);
}

static json_t *ref_str_or_null(const char *s) { return s ? json_string(s) : json_null(); }

static json_t *ref_list(const cw_diags *l)
{
    json_t *a = json_array();
    for (size_t i = 0; i < l->n; i++) {
        const cw_diag *g = &l->v[i];
        json_t *o = json_object();
        json_object_set_new(o, "code", ref_str_or_null(g->code));
        json_object_set_new(o, "severity", json_string(cw_diag_severity_name(g->severity)));
        json_object_set_new(o, "text", json_string(g->text));
        json_object_set_new(o, "file", ref_str_or_null(g->file));
        json_object_set_new(o, "line", g->line > 0 ? json_integer(g->line) : json_null());
        json_object_set_new(o, "item", ref_str_or_null(g->item));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *ref_utc_local(const cw_plan *p, int64_t utc)
{
    char t[40];
    ref_time(utc, 0, 1, cw_sched_offset_at(p->start_offset, p->tz_changes, p->n_tz_changes, utc), 0, t);
    return json_string(t);
}

static char *reference_json(const cw_plan *p)
{
    json_t *root = json_object(), *win = json_object(), *items = json_array();
    char ds[11], t[40];
    cw_date_format(p->date, ds);
    json_object_set_new(root, "date", json_string(ds));
    json_object_set_new(root, "timezone", json_string(p->timezone));
    json_object_set_new(root, "rate", json_integer(p->rate));
    json_object_set_new(root, "mode", json_string(p->mode == CW_BUNDLE_BLOCKS ? "blocks" : "day"));
    json_object_set_new(win, "start", ref_local(p, 0));
    json_object_set_new(win, "end", ref_local(p, (p->window_end_utc - p->window_start_utc) * p->rate));
    json_object_set_new(root, "window", win);
    json_t *wins = json_array();
    for (size_t k = 0; k < p->n_windows; k++) {
        json_t *w = json_object();
        json_object_set_new(w, "start", ref_utc_local(p, p->windows[k].start_utc));
        json_object_set_new(w, "end", ref_utc_local(p, p->windows[k].end_utc));
        json_array_append_new(wins, w);
    }
    json_object_set_new(root, "windows", wins);
    for (size_t i = 0; i < p->n_items; i++) {
        const cw_plan_item *it = &p->items[i];
        json_t *o = json_object();
        json_object_set_new(o, "start", ref_local(p, it->offset_samples));
        json_object_set_new(o, "end", ref_local(p, it->offset_samples + it->length_samples));
        ref_time(p->window_start_utc + it->offset_samples / p->rate, it->offset_samples % p->rate, p->rate, 0, 1, t);
        json_object_set_new(o, "start_utc", json_string(t));
        json_object_set_new(o, "offset_samples", json_integer(it->offset_samples));
        json_object_set_new(o, "length_samples", json_integer(it->length_samples));
        json_object_set_new(o, "kind", json_string(cw_kind_name(it->kind)));
        json_object_set_new(o, "title", json_string(it->title));
        json_object_set_new(o, "teacher", json_string(it->teacher));
        json_object_set_new(o, "language", json_string(it->language));
        json_object_set_new(o, "series", json_string(it->series));
        json_object_set_new(o, "episode", it->episode > 0 ? json_integer(it->episode) : json_null());
        json_object_set_new(o, "recording", ref_str_or_null(it->recording));
        json_object_set_new(o, "event_uid", ref_str_or_null(it->event_uid));
        json_object_set_new(o, "event_file", ref_str_or_null(it->event_file));
        json_object_set_new(o, "recurrence_id", ref_str_or_null(it->event_recurrence_id));
        json_object_set_new(o, "repeat", json_boolean(it->repeat));
        json_object_set_new(o, "cut", json_boolean(it->cut));
        json_object_set_new(o, "fade_out", json_real(it->cut ? it->fade_out : 0.0));
        json_object_set_new(o, "warnings", ref_list(&it->warnings));
        json_array_append_new(items, o);
    }
    json_object_set_new(root, "items", items);
    json_t *blocks = json_array();
    for (size_t k = 0; k < p->n_blocks; k++) {
        const cw_plan_block *bl = &p->blocks[k];
        json_t *o = json_object();
        json_object_set_new(o, "start", ref_local(p, bl->offset_samples));
        json_object_set_new(o, "end", ref_local(p, bl->offset_samples + bl->length_samples));
        json_object_set_new(o, "offset_samples", json_integer(bl->offset_samples));
        json_object_set_new(o, "length_samples", json_integer(bl->length_samples));
        json_object_set_new(o, "first_item", json_integer((json_int_t)bl->first_item));
        json_object_set_new(o, "n_items", json_integer((json_int_t)bl->n_items));
        json_array_append_new(blocks, o);
    }
    json_object_set_new(root, "blocks", blocks);
    json_t *slots = json_array();
    for (size_t k = 0; k < p->n_slots; k++) {
        const cw_plan_slot *sl = &p->slots[k];
        json_t *o = json_object();
        json_object_set_new(o, "start", ref_utc_local(p, sl->start_utc));
        json_object_set_new(o, "end", ref_utc_local(p, sl->end_utc));
        json_object_set_new(o, "kind", json_string(cw_kind_name(sl->kind)));
        json_object_set_new(o, "status", json_string(cw_slot_status_name(sl->status)));
        json_object_set_new(o, "summary", json_string(sl->summary));
        json_object_set_new(o, "series", json_string(sl->series));
        json_object_set_new(o, "episode", sl->episode > 0 ? json_integer(sl->episode) : json_null());
        json_object_set_new(o, "teacher", json_string(sl->teacher));
        json_object_set_new(o, "language", json_string(sl->language));
        json_object_set_new(o, "recording", ref_str_or_null(sl->recording));
        json_object_set_new(o, "event_file", json_string(sl->event_file));
        json_object_set_new(o, "event_uid", json_string(sl->event_uid));
        json_object_set_new(o, "recurrence_id", ref_str_or_null(sl->event_recurrence_id));
        json_object_set_new(o, "first_item", sl->n_items ? json_integer((json_int_t)sl->first_item) : json_null());
        json_object_set_new(o, "n_items", json_integer((json_int_t)sl->n_items));
        json_object_set_new(o, "reason", json_string(sl->reason));
        json_object_set_new(o, "station_change", json_boolean(sl->station_change));
        json_array_append_new(slots, o);
    }
    json_object_set_new(root, "slots", slots);
    json_object_set_new(root, "warnings", ref_list(&p->warnings));
    char *s = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6));
    json_decref(root);
    assert_non_null(s);
    size_t n = strlen(s);
    char *r = malloc(n + 2);
    memcpy(r, s, n);
    memcpy(r + n, "\n", 2);
    free(s);
    return r;
}

static uint64_t rng = 88172645463325252ull;
static unsigned rnd(unsigned n)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17; /* xorshift64 */
    return (unsigned)(rng % n);
}

/* A valid UTF-8 string of hostile pieces: every control character, quotes, backslashes,
 * slashes, DEL, 2-, 3- and 4-byte characters, U+2028. */
static char *rnd_str(void)
{
    static const char *pieces[] = {"a", "Z", " ", "/", "\\", "\"", "\x7f", "\xc3\xa9", "\xe2\x82\xac",
                                   "\xf0\x9f\x98\x80", "\xe2\x80\xa8", "{}[],:", "null", "0.5"};
    cw_buf b;
    cw_buf_init(&b);
    unsigned n = rnd(12);
    for (unsigned i = 0; i < n; i++) {
        if (rnd(4) == 0) {
            char c = (char)(1 + rnd(31));
            cw_buf_append(&b, &c, 1);
        } else {
            cw_buf_puts(&b, pieces[rnd(sizeof pieces / sizeof pieces[0])]);
        }
    }
    cw_buf_append(&b, "", 0);
    char *s = b.data ? b.data : strdup("");
    return s;
}

static void rnd_diag(cw_diags *d)
{
    char *code = rnd(3) ? rnd_str() : NULL, *text = rnd_str(), *file = rnd(2) ? rnd_str() : NULL,
         *item = rnd(2) ? rnd_str() : NULL;
    cw_diags_add(d, (cw_diag_severity)rnd(3), code, file, rnd(2) ? (int)rnd(100000) : 0, item, text);
    free(code), free(text), free(file), free(item);
}

static void test_same_bytes_as_jansson(void **state)
{
    (void)state;
    static const double fades[] = {0.5, 0.25, 1e-05, 123456789.0, 1.0 / 3, 2.0, 0.1, 3e20, 0.0};
    static const char *zones[] = {"UTC", "Africa/Lagos", "America/St_Johns"};
    static const int offsets[] = {0, 3600, -12600, 19800, -36000};
    static const int rates[] = {8000, 44100, 48000};
    size_t bytes = 0;
    for (int round = 0; round < 300; round++) {
        cw_plan *p = calloc(1, sizeof *p);
        p->date = (cw_date){2020 + (int)rnd(10), 1 + (int)rnd(12), 1 + (int)rnd(28)};
        p->timezone = strdup(zones[rnd(3)]);
        p->rate = rates[rnd(3)];
        p->window_start_utc = 1577836800 + (int64_t)rnd(400000000);
        p->start_offset = offsets[rnd(5)];
        p->end_offset = p->start_offset;
        if (rnd(3) == 0) { /* an offset change inside the window */
            p->tz_changes = malloc(sizeof *p->tz_changes);
            p->tz_changes[0] = (cw_plan_tzchange){p->window_start_utc + 7200, offsets[rnd(5)]};
            p->n_tz_changes = 1;
            p->end_offset = p->tz_changes[0].offset;
        }
        p->n_items = rnd(4) == 0 ? 0 : 1 + rnd(25);
        p->items = calloc(p->n_items ? p->n_items : 1, sizeof *p->items);
        int64_t off = 0;
        for (size_t i = 0; i < p->n_items; i++) {
            cw_plan_item *it = &p->items[i];
            it->offset_samples = off;
            it->length_samples = 1 + (int64_t)rnd(3) * (int64_t)rnd(40000000) + (rnd(2) ? 0 : rnd((unsigned)p->rate));
            off += it->length_samples;
            it->kind = (cw_kind[]){CW_KIND_LESSON, CW_KIND_NEWSLETTER, CW_KIND_FILLER, CW_KIND_SILENCE}[rnd(4)];
            it->title = rnd_str();
            it->teacher = rnd_str();
            it->language = rnd_str();
            it->series = rnd_str();
            it->episode = rnd(3) ? (int)rnd(100000) : -1;
            it->recording = rnd(4) ? rnd_str() : NULL;
            it->event_uid = rnd(3) ? rnd_str() : NULL;
            it->event_file = rnd(3) ? rnd_str() : NULL;
            it->event_recurrence_id = rnd(3) ? rnd_str() : NULL;
            it->repeat = (int)rnd(2);
            it->cut = (int)rnd(2);
            it->fade_out = fades[rnd(sizeof fades / sizeof fades[0])];
            for (unsigned w = rnd(4); w > 0; w--) rnd_diag(&it->warnings);
        }
        p->window_end_utc = p->window_start_utc + off / p->rate + 1;
        for (unsigned w = rnd(4); w > 0; w--) rnd_diag(&p->warnings);
        p->mode = rnd(2) ? CW_BUNDLE_BLOCKS : CW_BUNDLE_DAY;
        p->n_windows = 1 + rnd(3);
        p->windows = calloc(p->n_windows, sizeof *p->windows);
        for (size_t k = 0; k < p->n_windows; k++)
            p->windows[k] = (cw_plan_window){p->window_start_utc + (int64_t)k * 100, p->window_start_utc + (int64_t)k * 100 + 50};
        assert_int_equal(cw_plan_compute_blocks(p), 0);
        p->n_slots = rnd(4);
        p->slots = calloc(p->n_slots ? p->n_slots : 1, sizeof *p->slots);
        for (size_t k = 0; k < p->n_slots; k++) {
            cw_plan_slot *sl = &p->slots[k];
            sl->kind = (cw_kind[]){CW_KIND_LESSON, CW_KIND_NEWSLETTER, CW_KIND_FILLER, CW_KIND_BLACKOUT}[rnd(4)];
            sl->status = (cw_slot_status)rnd(9);
            sl->start_utc = p->window_start_utc - 3600 + (int64_t)rnd(86400);
            sl->end_utc = sl->start_utc + (int64_t)rnd(7200);
            sl->summary = rnd_str(), sl->series = rnd_str(), sl->teacher = rnd_str(), sl->language = rnd_str();
            sl->recording = rnd(2) ? rnd_str() : NULL;
            sl->event_file = rnd_str(), sl->event_uid = rnd_str();
            sl->event_recurrence_id = rnd(2) ? rnd_str() : NULL;
            sl->episode = rnd(2) ? (int)rnd(50) : 0;
            sl->n_items = p->n_items ? rnd((unsigned)p->n_items) : 0;
            sl->first_item = sl->n_items ? rnd((unsigned)(p->n_items - sl->n_items + 1)) : 0;
            sl->reason = rnd_str();
            sl->station_change = (int)rnd(2);
        }
        char *a = to_json(p), *r = reference_json(p);
        if (strcmp(a, r)) {
            size_t k = 0;
            while (a[k] == r[k]) k++;
            fail_msg("round %d: differs at byte %zu: ours '%.40s', jansson's '%.40s'", round, k, a + (k > 20 ? k - 20 : 0),
                     r + (k > 20 ? k - 20 : 0));
        }
        bytes += strlen(a);
        free(a);
        free(r);
        cw_plan_free(p);
    }
    assert_true(bytes > 300000);
}

/* Replace the first occurrence of `from` in s by `to`. */
static char *mutate(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);
    if (!at) return NULL;
    cw_buf b;
    cw_buf_init(&b);
    cw_buf_append(&b, s, (size_t)(at - s));
    cw_buf_puts(&b, to);
    cw_buf_puts(&b, at + strlen(from));
    return b.data;
}

static void test_hostile_input(void **state)
{
    (void)state;
    cw_station *st = fx_station();
    cw_plan *p = sample_plan(st);
    char *a = to_json(p);
    cw_plan_free(p);
    static const char *cases[][2] = {
        {"\"rate\": 44100", "\"rate\": 0"},
        {"\"rate\": 44100", "\"rate\": \"44100\""},
        {"\"offset_samples\": 0", "\"offset_samples\": 1"},
        {"\"length_samples\": ", "\"length_samples\": -"},
        {"\"kind\": \"silence\"", "\"kind\": \"blackout\""},
        {"\"recording\": \"library/", "\"recording\": \"/etc/"},
        {"\"recording\": \"library/lesson", "\"recording\": \"library/../lesson"},
        {"\"recording\": null", "\"recording\": \"library/x.ogg\""},
        {"\"date\": \"2026-03-16\"", "\"date\": \"2026-02-30\""},
        {"\"window\": {", "\"window\": {\"start\": 5, \"x\": {"},
        {"\"start\": \"2026-03-16T09:00:00+00:00\"", "\"start\": \"2026-03-16T09:00:01+00:00\""},
        {"+00:00\"\n  }", "+25:00\"\n  }"},
        {"\"episode\": 1", "\"episode\": 1e99"},
        {"\"fade_out\": 0.0", "\"fade_out\": -1"},
        {"\"repeat\": false", "\"repeat\": 0"},
        {"\"items\": [", "\"items\": [1, "},
        {"\"warnings\": []", "\"warnings\": [1]"},
        {"\"title\": \"", "\"title\": \"\\u0000"},
        {"\"date\"", "\"date\": 1, \"date\""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *m = mutate(a, cases[i][0], cases[i][1]);
        if (!m) fail_msg("case %zu: pattern '%s' not in the sample", i, cases[i][0]);
        cw_plan *r = NULL;
        cw_error err = {0};
        int rc = cw_plan_from_json(&r, m, strlen(m), &err);
        if (rc == 0) fail_msg("case %zu ('%s') was accepted", i, cases[i][1]);
        assert_null(r);
        assert_true(err.text[0] != 0);
        free(m);
    }
    /* every truncation and a sprinkle of junk bytes: refused, never a crash */
    size_t n = strlen(a);
    for (size_t cut = 0; cut < n; cut += n / 300 + 1) {
        cw_plan *r = NULL;
        cw_error err = {0};
        assert_int_not_equal(cw_plan_from_json(&r, a, cut, &err), 0);
        assert_null(r);
    }
    uint32_t x = 12345;
    for (int k = 0; k < 300; k++) {
        char *m = strdup(a);
        for (int j = 0; j < 3; j++) {
            x = x * 1103515245u + 12345u;
            m[(x >> 8) % n] = (char)(x >> 20);
        }
        cw_plan *r = NULL;
        cw_error err = {0};
        if (cw_plan_from_json(&r, m, n, &err) == 0) cw_plan_free(r);
        free(m);
    }
    free(a);
    fx_station_free(st);
}

static void test_text_rundown(void **state)
{
    (void)state;
    cw_station *st = fx_station();
    cw_plan *p = sample_plan(st);
    cw_buf b;
    cw_buf_init(&b);
    assert_int_equal(cw_plan_to_text(p, &b), 0);
    assert_non_null(strstr(b.data, "Plan for 2026-03-16 (UTC)"));
    assert_non_null(strstr(b.data, "09:00:00      0:33:20  lesson      Fractions"));
    assert_non_null(strstr(b.data, "[m #1] - Ms Ada (en)"));
    assert_non_null(strstr(b.data, "missing recording: series 'm' episode 9"));
    cw_buf_free(&b);
    cw_plan_free(p);
    fx_station_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fields_and_determinism),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_same_bytes_as_jansson),
        cmocka_unit_test(test_hostile_input),
        cmocka_unit_test(test_text_rundown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
