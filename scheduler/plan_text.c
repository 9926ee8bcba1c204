/* plan_text.c — the plan as a rundown for the station's staff: the windows, the items block
 * by block (runs of plain fillers as one line), every slot of the day with what became of
 * it, and the warnings with their codes. Guarantees: one line per thing, control characters
 * never reach the terminal, the same plan gives the same bytes. */
#include "scheduler_int.h"

#include <stdlib.h>
#include <string.h>

static void hms(const cw_plan *p, int64_t off, char out[32])
{
    char t[32];
    cw_plan_local_time(p, off, t);
    /* "YYYY-MM-DDTHH:MM:SS[.mmm]+HH:MM" -> "HH:MM:SS[.mmm]" */
    size_t n = strlen(t), end = n > 6 ? n - 6 : n, k = 0;
    for (size_t i = 11; i < end && k < 31; i++) out[k++] = t[i];
    out[k] = 0;
}

/* "HH:MM" of a UTC second in the plan's zone. */
static void hm_utc(const cw_plan *p, int64_t utc, char out[8])
{
    char t[32];
    cw_plan_local_utc(p, utc, t);
    snprintf(out, 8, "%.5s", t + 11);
}

static void dur(int64_t samples, int rate, char out[32])
{
    int64_t s = (samples + rate / 2) / rate;
    snprintf(out, 32, "%d:%02d:%02d", (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60));
}

static void put_diag_line(cw_buf *out, const char *indent, const cw_diag *g)
{
    cw_buf_puts(out, indent);
    if (g->severity == CW_DIAG_INFO) cw_buf_puts(out, "note: ");
    cw_buf_put_oneline(out, g->text);
    if (g->code) {
        cw_buf_puts(out, " [");
        cw_buf_put_oneline(out, g->code);
        cw_buf_puts(out, "]");
    }
    cw_buf_puts(out, "\n");
}

static void item_line(const cw_plan *p, const cw_plan_item *it, cw_buf *out)
{
    char a[32], d[32];
    hms(p, it->offset_samples, a);
    dur(it->length_samples, p->rate, d);
    cw_buf_printf(out, "%-13s %-8s %-11s ", a, d, cw_kind_name(it->kind));
    if (it->kind == CW_KIND_SILENCE) {
        cw_buf_puts(out, "(silence)");
    } else {
        cw_buf_put_oneline(out, it->title && it->title[0] ? it->title : "(untitled)");
        if (it->series && it->series[0]) {
            cw_buf_puts(out, " [");
            cw_buf_put_oneline(out, it->series);
            if (it->episode > 0) cw_buf_printf(out, " #%d", it->episode);
            cw_buf_puts(out, "]");
        }
        if (it->teacher && it->teacher[0]) {
            cw_buf_puts(out, " - ");
            cw_buf_put_oneline(out, it->teacher);
        }
        if (it->language && it->language[0]) {
            cw_buf_puts(out, " (");
            cw_buf_put_oneline(out, it->language);
            cw_buf_puts(out, ")");
        }
    }
    if (it->repeat) cw_buf_puts(out, " REPEAT");
    if (it->cut) cw_buf_printf(out, " CUT (fade %.2g s)", it->fade_out);
    cw_buf_puts(out, "\n");
    if (it->recording) {
        cw_buf_puts(out, "                                   ");
        cw_buf_put_oneline(out, it->recording);
        cw_buf_puts(out, "\n");
    }
    for (size_t k = 0; k < it->warnings.n; k++) put_diag_line(out, "                                   ! ", &it->warnings.v[k]);
}

/* A run of three or more plain gap fillers reads as one line; returns how many it took. */
static size_t filler_run(const cw_plan *p, size_t i, size_t end, cw_buf *out)
{
    size_t run = 0;
    int64_t run_len = 0;
    while (i + run < end && p->items[i + run].kind == CW_KIND_FILLER && !p->items[i + run].event_uid &&
           !p->items[i + run].warnings.n)
        run_len += p->items[i + run].length_samples, run++;
    if (run < 3) return 0;
    char a[32], d[32];
    hms(p, p->items[i].offset_samples, a);
    dur(run_len, p->rate, d);
    cw_buf_printf(out, "%-13s %-8s %-11s %zu fillers in rotation: ", a, d, "filler", run);
    size_t shown = 0;
    for (size_t k = i; k < i + run && shown < 3; k++) {
        int dup = 0;
        for (size_t j = i; j < k && !dup; j++) dup = !strcmp(p->items[j].recording, p->items[k].recording);
        if (dup) continue;
        cw_buf_puts(out, shown ? ", " : "");
        cw_buf_put_oneline(out, p->items[k].title && p->items[k].title[0] ? p->items[k].title : p->items[k].recording);
        shown++;
    }
    cw_buf_puts(out, "\n");
    return run;
}

static void slots_section(const cw_plan *p, cw_buf *out)
{
    if (!p->n_slots) return;
    cw_buf_printf(out, "%zu calendar slot%s:\n", p->n_slots, p->n_slots == 1 ? "" : "s");
    for (size_t i = 0; i < p->n_slots; i++) {
        const cw_plan_slot *s = &p->slots[i];
        char a[8], b[8];
        hm_utc(p, s->start_utc, a);
        hm_utc(p, s->end_utc, b);
        cw_buf_printf(out, "  %s-%s %-10s %-9s ", a, b, cw_kind_name(s->kind), cw_slot_status_name(s->status));
        cw_buf_put_oneline(out, s->summary && s->summary[0] ? s->summary : "(no title)");
        if (s->series && s->series[0]) {
            cw_buf_puts(out, " [");
            cw_buf_put_oneline(out, s->series);
            if (s->episode > 0) cw_buf_printf(out, " #%d", s->episode);
            cw_buf_puts(out, "]");
        }
        if (s->teacher && s->teacher[0]) {
            cw_buf_puts(out, " - ");
            cw_buf_put_oneline(out, s->teacher);
        }
        if (s->station_change) cw_buf_puts(out, " STATION CHANGE");
        cw_buf_puts(out, "\n");
        if (s->reason && s->reason[0]) {
            cw_buf_puts(out, "                                 ");
            cw_buf_put_oneline(out, s->reason);
            cw_buf_puts(out, "\n");
        }
    }
}

int cw_plan_to_text(const cw_plan *p, cw_buf *out)
{
    char ds[11], a[32], b[32], d[32];
    cw_date_format(p->date, ds);
    int64_t W = (p->window_end_utc - p->window_start_utc) * (int64_t)p->rate, on_air = 0;
    for (size_t k = 0; k < p->n_windows; k++) on_air += (p->windows[k].end_utc - p->windows[k].start_utc) * (int64_t)p->rate;
    if (!p->n_windows) on_air = W;
    cw_plan_local_time(p, 0, a);
    cw_plan_local_time(p, W, b);
    dur(on_air, p->rate, d);
    cw_buf_printf(out, "Plan for %s (%s): on air %s to %s (%s), %d Hz, %zu items", ds, p->timezone, a, b, d, p->rate,
                  p->n_items);
    if (p->mode == CW_BUNDLE_BLOCKS) cw_buf_printf(out, ", blocks mode: %zu block%s", p->n_blocks, p->n_blocks == 1 ? "" : "s");
    cw_buf_puts(out, "\n");
    if (p->n_windows > 1) {
        cw_buf_puts(out, "on-air windows:");
        for (size_t k = 0; k < p->n_windows; k++) {
            char x[8], y[8];
            hm_utc(p, p->windows[k].start_utc, x);
            hm_utc(p, p->windows[k].end_utc, y);
            cw_buf_printf(out, "%s %s-%s", k ? "," : "", x, y);
        }
        cw_buf_puts(out, "\n");
    }
    cw_buf_puts(out, "start         length   kind        what\n");
    for (size_t k = 0; k < p->n_blocks; k++) {
        const cw_plan_block *bl = &p->blocks[k];
        if (p->n_blocks > 1) {
            hms(p, bl->offset_samples, a);
            hms(p, bl->offset_samples + bl->length_samples, b);
            dur(bl->length_samples, p->rate, d);
            cw_buf_printf(out, "-- block %zu: %s to %s (%s) --\n", k + 1, a, b, d);
        }
        size_t end = bl->first_item + bl->n_items;
        for (size_t i = bl->first_item; i < end; i++) {
            size_t run = filler_run(p, i, end, out);
            if (run) i += run - 1;
            else item_line(p, &p->items[i], out);
        }
    }
    if (!p->n_items) cw_buf_puts(out, "(nothing planned: no partner event in the on-air windows)\n");
    slots_section(p, out);
    size_t nw = p->warnings.warnings + p->warnings.errors;
    if (p->warnings.n) {
        cw_buf_printf(out, "%zu warning%s", nw, nw == 1 ? "" : "s");
        if (p->warnings.n > nw) cw_buf_printf(out, ", %zu note%s", p->warnings.n - nw, p->warnings.n - nw == 1 ? "" : "s");
        cw_buf_puts(out, ":\n");
        for (size_t k = 0; k < p->warnings.n; k++) put_diag_line(out, "  - ", &p->warnings.v[k]);
    } else {
        cw_buf_puts(out, "no warnings\n");
    }
    return out->oom ? CW_ENOMEM : 0;
}
