/* fuzz_plan.c — libFuzzer target for the plan JSON reader (cw_plan_from_json: `verify` and
 * scripts read plan.json from bundles that travel on USB sticks) and, on every plan it
 * accepts, for the writers that turn a plan into text: the JSON writer (round trip must be
 * exact), the text rundown, every playlist writer, the block M3Us, events.csv, liquidsoap.liq,
 * the guides and the .ics export.
 * Properties: reading gives a plan or one error; to_json(from_json(to_json(p))) ==
 * to_json(p); every writer's output is valid UTF-8 without raw control characters. */
#include "playlists_int.h"
#include "scheduler.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cw_station *station;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    static const char conf[] = "[station]\nname = Fuzz <FM> & \"Co\"\ntimezone = Africa/Lagos\non_air = 06:00-22:00\n"
                               "[audio]\nrate = 8000\nchannels = 1\nquality = 0\nloudness = -23\ntrue_peak = -1\n";
    cw_error err;
    if (cw_station_parse(&station, "/nonexistent-station", "fuzz", conf, sizeof conf - 1, &err) != CW_OK) abort();
    return 0;
}

/* Text for a player or a person: UTF-8, no control characters but line ends and tabs
 * (DEL is legal raw inside JSON strings, so the JSON check allows it). */
static void check_text_as(const cw_buf *b, const char *what, int json)
{
    if (!b->len) return;
    if (!cw_utf8_valid(b->data, b->len)) {
        fprintf(stderr, "%s: invalid UTF-8 in output\n", what);
        abort();
    }
    for (size_t i = 0; i < b->len; i++) {
        unsigned char c = (unsigned char)b->data[i];
        if ((c < 0x20 && c != '\n' && c != '\r' && c != '\t') || (c == 0x7f && !json)) {
            fprintf(stderr, "%s: raw control character 0x%02x at byte %zu\n", what, c, i);
            abort();
        }
    }
}

static void check_text(const cw_buf *b, const char *what) { check_text_as(b, what, 0); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cw_plan *p = NULL;
    cw_error err;
    memset(&err, 0, sizeof err);
    if (cw_plan_from_json(&p, (const char *)data, size, &err) != CW_OK) {
        if (p || !err.text[0]) abort();
        return 0;
    }
    cw_buf j1, j2, t;
    cw_buf_init(&j1);
    cw_buf_init(&j2);
    cw_buf_init(&t);
    if (cw_plan_to_json(p, &j1) != CW_OK) abort();
    cw_plan *p2 = NULL;
    if (cw_plan_from_json(&p2, j1.data, j1.len, &err) != CW_OK) {
        fprintf(stderr, "plan written by chalkwave does not read back: %s\n", err.text);
        abort();
    }
    if (cw_plan_to_json(p2, &j2) != CW_OK) abort();
    if (j1.len != j2.len || memcmp(j1.data, j2.data, j1.len) != 0) {
        fprintf(stderr, "plan JSON round trip differs\n");
        abort();
    }
    check_text_as(&j1, "plan json", 1);
    if (cw_plan_to_text(p, &t) != CW_OK) abort();
    check_text(&t, "plan text");

    cw_pl_view *v = NULL;
    if (cw_pl_view_new(&v, station, p, "/srv/radio/out/day", &err) == CW_OK) {
        static void (*const writers[])(const cw_pl_view *, cw_buf *) = {
            cw_pl_write_m3u8,       cw_pl_write_xspf,      cw_pl_write_pls,        cw_pl_write_cue,
            cw_pl_write_liquidsoap, cw_pl_write_guide_html, cw_pl_write_guide_txt, cw_pl_write_events_csv,
            cw_pl_write_liquidsoap_script};
        static const char *names[] = {"m3u8",      "xspf",      "pls",        "cue",           "liquidsoap",
                                      "guide.html", "guide.txt", "events.csv", "liquidsoap.liq"};
        for (size_t k = 0; k < v->n_blocks; k++) {
            cw_buf w;
            cw_buf_init(&w);
            cw_pl_write_block_m3u8(v, &v->blocks[k], &w);
            check_text(&w, "block m3u8");
            cw_buf_free(&w);
        }
        for (size_t i = 0; i < sizeof writers / sizeof writers[0]; i++) {
            cw_buf w;
            cw_buf_init(&w);
            writers[i](v, &w);
            check_text(&w, names[i]);
            cw_buf_free(&w);
        }
        cw_pl_view_free(v);
    }
    char *ics = NULL;
    size_t ics_len = 0;
    cw_plan *plans[1] = {p};
    if (cw_plans_to_ics(station, plans, 1, &ics, &ics_len, &err) == CW_OK) {
        cw_buf ib = {ics, ics_len, ics_len + 1, 0};
        check_text(&ib, "schedule.ics");
        free(ics);
    }
    cw_buf_free(&j1);
    cw_buf_free(&j2);
    cw_buf_free(&t);
    cw_plan_free(p2);
    cw_plan_free(p);
    return 0;
}
