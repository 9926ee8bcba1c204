/* guide.c — the programme guide of a bundle (guide.html, guide.txt) for announcers,
 * teachers and parents: one row per programme; a lesson whose recording has not arrived is
 * its own row saying so and what plays instead; each run of two or more fillers and
 * silences between programmes is one row; silence longer than the station's limit is a
 * dead-air row and a warning at the top; lessons that do not air today (cancelled,
 * holiday, lost a conflict, held, ...) are listed after the table, with why.
 * Guarantees: every outside string is cleaned and escaped (HTML entities); output depends
 * only on the plan view; the same plan gives the same bytes. */
#include "playlists_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char guide_css[] =
    "body{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;color:#111;"
    "background:#fff;margin:0 auto;max-width:52rem;padding:1rem;line-height:1.4}\n"
    "h1{font-size:1.5rem;margin:0}\n"
    "p.sub{margin:.2rem 0 1rem;color:#444}\n"
    ".bar{position:relative;display:flex;height:1.6rem;border:1px solid #888;margin:0}\n"
    ".bar span{display:block;height:100%;min-width:1px}\n"
    ".hours{position:relative;height:1.2rem;font-size:.75rem;color:#444;margin:0 0 .6rem}\n"
    ".hours span{position:absolute;top:0;transform:translateX(-50%)}\n"
    ".k-lesson{background:#3c6fb0}.k-newsletter{background:#d39a1e}"
    ".k-filler{background:#8fb35a}.k-silence{background:#ddd}\n"
    ".legend span{display:inline-block;width:.8rem;height:.8rem;margin:0 .3rem 0 .8rem;"
    "vertical-align:middle}\n"
    "table{width:100%;border-collapse:collapse;margin-top:1rem}\n"
    "th,td{text-align:left;padding:.35rem .4rem;border-bottom:1px solid #ccc;vertical-align:top}\n"
    "td.time{white-space:nowrap;font-variant-numeric:tabular-nums;font-weight:bold}\n"
    "td.len{white-space:nowrap;font-variant-numeric:tabular-nums}\n"
    ".note{color:#555;font-size:.85rem}\n"
    "tr.r-fill td{color:#444}\n"
    "@media (max-width:36rem){table,tbody,tr,td{display:block}thead{display:none}"
    "tr{border-bottom:1px solid #bbb;padding:.4rem 0}td{border:0;padding:.05rem 0}}\n"
    "@media print{@page{size:A4;margin:14mm}body{max-width:none;padding:0;font-size:10pt}"
    "tr{break-inside:avoid}.bar span,.legend span{-webkit-print-color-adjust:exact;"
    "print-color-adjust:exact}}\n";

/* Added to the style only when a guide has such rows (older guides stay byte-identical). */
static const char guide_css_more[] =
    ".k-off{background:repeating-linear-gradient(45deg,#fff 0 3px,#ccc 3px 5px)}\n"
    "p.warn,tr.r-dead td,tr.r-missing td{background:#fdecea}\n"
    "p.warn{border-left:.3rem solid #b3261e;padding:.4rem .6rem}\n"
    "tr.r-missing strong,tr.r-dead strong{color:#b3261e}\n";

/* ---- rows ---------------------------------------------------------------------------- */

typedef enum row_kind {
    ROW_ITEM,    /* one item */
    ROW_FILL,    /* two or more fillers and silences between programmes */
    ROW_DEAD,    /* a run of silence longer than the station's limit */
    ROW_MISSING  /* what plays for a lesson or newsletter whose recording has not arrived */
} row_kind;

typedef struct row {
    row_kind kind;
    size_t i, j;      /* items [i, j) (j == i: a missing slot with no item of its own) */
    size_t slot;      /* ROW_MISSING: index in plan->slots */
} row;

static int is_fill(const cw_plan_item *pi)
{
    return pi->kind == CW_KIND_FILLER || pi->kind == CW_KIND_SILENCE;
}

static int64_t item_end(const cw_plan_item *pi)
{
    return pi->offset_samples + pi->length_samples;
}

/* End of the run of silence items starting at i (contiguous in samples). */
static size_t silence_run_end(const cw_pl_view *v, size_t i)
{
    size_t j = i;
    while (j < v->n && v->items[j].pi->kind == CW_KIND_SILENCE &&
           (j == i || v->items[j].pi->offset_samples == item_end(v->items[j - 1].pi)))
        j++;
    return j;
}

static int64_t run_samples(const cw_pl_view *v, size_t i, size_t j)
{
    int64_t s = 0;
    for (size_t k = i; k < j; k++)
        s += v->items[k].pi->length_samples;
    return s;
}

/* A run of silence from i longer than the limit: its end, else i. */
static size_t dead_air_end(const cw_pl_view *v, size_t i)
{
    if (v->items[i].pi->kind != CW_KIND_SILENCE)
        return i;
    size_t j = silence_run_end(v, i);
    return (double)run_samples(v, i, j) > v->max_silence * v->plan->rate ? j : i;
}

/* The fillers and silences from i that make one "between programmes" row: never across a
 * gap between blocks, a missing slot's items or a dead-air run. */
static size_t fill_run_end(const cw_pl_view *v, size_t i)
{
    size_t j = i;
    while (j < v->n && is_fill(v->items[j].pi) && !v->slot_of[j] && dead_air_end(v, j) == j &&
           (j == i || v->items[j].pi->offset_samples == item_end(v->items[j - 1].pi)))
        j++;
    return j - i >= 2 ? j : i;
}

/* Missing slots that have no item of their own come before the first item at or after
 * their start. */
static void push_slot_rows(const cw_pl_view *v, int64_t before_ms, size_t at, int *done, row *rows, size_t *n)
{
    const cw_plan *p = v->plan;
    for (size_t k = 0; k < p->n_slots; k++) {
        const cw_plan_slot *sl = &p->slots[k];
        if (done[k] || sl->n_items || (sl->status != CW_SLOT_MISSING && sl->status != CW_SLOT_PENDING))
            continue;
        if (sl->start_utc * 1000 >= before_ms)
            continue;
        done[k] = 1;
        rows[(*n)++] = (row){ROW_MISSING, at, at, k};
    }
}

static row *guide_rows(const cw_pl_view *v, size_t *n_rows)
{
    const cw_plan *p = v->plan;
    row *rows = calloc(v->n + p->n_slots + 1, sizeof *rows);
    int *done = calloc(p->n_slots + 1, sizeof *done);
    size_t n = 0;
    if (!rows || !done) {
        free(rows);
        free(done);
        return NULL;
    }
    for (size_t i = 0; i < v->n;) {
        push_slot_rows(v, v->items[i].pi->start_utc_ms, i, done, rows, &n);
        size_t j;
        if (v->slot_of[i]) {
            size_t k = v->slot_of[i] - 1;
            for (j = i; j < v->n && v->slot_of[j] == k + 1; j++)
                ;
            done[k] = 1;
            rows[n++] = (row){ROW_MISSING, i, j, k};
        } else if ((j = dead_air_end(v, i)) > i) {
            rows[n++] = (row){ROW_DEAD, i, j, 0};
        } else if ((j = fill_run_end(v, i)) > i) {
            rows[n++] = (row){ROW_FILL, i, j, 0};
        } else {
            j = i + 1;
            rows[n++] = (row){ROW_ITEM, i, j, 0};
        }
        i = j;
    }
    push_slot_rows(v, INT64_MAX, v->n, done, rows, &n);
    free(done);
    *n_rows = n;
    return rows;
}

/* The distinct titles of items [i, j), in order of first appearance, ", " between them,
 * each written with put (which escapes for the format). */
static void put_run_titles(cw_buf *out, const cw_pl_view *v, size_t i, size_t j,
                           void (*put)(cw_buf *, const char *))
{
    int any = 0;
    for (size_t k = i; k < j; k++) {
        int seen = 0;
        for (size_t m = i; m < k && !seen; m++)
            seen = strcmp(v->items[m].title, v->items[k].title) == 0;
        if (seen)
            continue;
        if (any)
            cw_buf_puts(out, ", ");
        put(out, v->items[k].title);
        any = 1;
    }
}

static double run_seconds(const cw_pl_view *v, size_t i, size_t j)
{
    double secs = 0;
    for (size_t k = i; k < j; k++)
        secs += v->items[k].seconds;
    return secs;
}

/* "07:31" of the row's end: the next item's start, or the end of the window. */
static const char *row_end_hhmm(const cw_pl_view *v, size_t j)
{
    return j < v->n ? v->items[j].hhmm : v->end_hhmm;
}

/* Local HH:MM of a UTC instant (slots without items of their own). */
static void slot_hhmm(const cw_pl_view *v, int64_t utc, char out[6])
{
    const cw_plan *p = v->plan;
    int off = p->start_offset;
    for (size_t c = 0; c < p->n_tz_changes; c++)
        if (p->tz_changes[c].utc <= utc)
            off = p->tz_changes[c].offset;
    int64_t local = utc + off;
    int64_t sod = ((local % 86400) + 86400) % 86400;
    snprintf(out, 6, "%02u:%02u", (unsigned)(sod / 3600) % 100u, (unsigned)(sod / 60 % 60));
}

static int any_row(const row *rows, size_t n, row_kind k)
{
    for (size_t r = 0; r < n; r++)
        if (rows[r].kind == k)
            return 1;
    return 0;
}

/* Slots that do not air and have no row: cancelled, holiday, conflict, held, off air. */
static int not_airing(const cw_plan_slot *sl)
{
    return sl->status != CW_SLOT_AIRS && sl->status != CW_SLOT_MISSING && sl->status != CW_SLOT_PENDING;
}

static const char *status_text(cw_slot_status s)
{
    switch (s) {
    case CW_SLOT_CANCELLED: return "cancelled";
    case CW_SLOT_BLACKOUT: return "holiday";
    case CW_SLOT_LOST: return "lost a conflict";
    case CW_SLOT_OFF_AIR: return "outside the on-air hours";
    case CW_SLOT_HELD: return "series held by the station";
    case CW_SLOT_SKIPPED: return "the calendar entry could not be read";
    default: return "not on air";
    }
}

/* ---- HTML ---------------------------------------------------------------------------- */

static void put_xml(cw_buf *b, const char *s)
{
    cw_buf_put_xml(b, s);
}

static void html_row_cell(cw_buf *out, const char *cls, const char *text)
{
    cw_buf_printf(out, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    put_xml(out, text);
    cw_buf_puts(out, "</td>");
}

/* The day at a glance: one segment per item (and per gap between blocks), hour marks. */
static void html_timeline(const cw_pl_view *v, cw_buf *out)
{
    const cw_plan *p = v->plan;
    int64_t total = v->n ? item_end(v->items[v->n - 1].pi) - v->items[0].pi->offset_samples : 0;
    cw_buf_puts(out, "<div class=\"bar\" role=\"img\" aria-label=\"timeline of the day\">\n");
    for (size_t i = 0; i < v->n && total > 0; i++) {
        const cw_pl_item *it = &v->items[i];
        if (i > 0 && it->pi->offset_samples > item_end(v->items[i - 1].pi)) {
            double g = 100.0 * (double)(it->pi->offset_samples - item_end(v->items[i - 1].pi)) / (double)total;
            cw_buf_printf(out, "<span class=\"k-off\" style=\"width:%.3f%%\" title=\"not chalkwave's\"></span>\n", g);
        }
        double w = 100.0 * (double)it->pi->length_samples / (double)total;
        cw_buf_printf(out, "<span class=\"k-%s\" style=\"width:%.3f%%\" title=\"%s ", cw_pl_kind_label(it->pi), w,
                      it->hhmm);
        put_xml(out, it->title);
        cw_buf_puts(out, "\"></span>\n");
    }
    cw_buf_puts(out, "</div>\n<div class=\"hours\">\n");
    if (total > 0) {
        /* marks at real elapsed hours from the first full local hour, labelled with the
         * local hour (on a DST day a label repeats or is skipped, as the clock does) */
        int64_t start_ms = v->items[0].pi->start_utc_ms;
        int64_t total_ms = total * 1000 / p->rate;
        int64_t start_s = start_ms / 1000;
        int64_t first = ((start_s + p->start_offset + 3599) / 3600) * 3600 - p->start_offset;
        for (int64_t t = first * 1000; t <= start_ms + total_ms; t += 3600000) {
            double pos = 100.0 * (double)(t - start_ms) / (double)total_ms;
            int off = p->start_offset;
            for (size_t c = 0; c < p->n_tz_changes; c++)
                if (p->tz_changes[c].utc * 1000 <= t)
                    off = p->tz_changes[c].offset;
            int64_t local = t / 1000 + off;
            int hour = (int)(((local % 86400) + 86400) % 86400 / 3600);
            cw_buf_printf(out, "<span style=\"left:%.3f%%\">%02d</span>\n", pos, hour);
        }
    }
    cw_buf_puts(out, "</div>\n<p class=\"legend note\">"
                     "<span class=\"k-lesson\"></span>lesson<span class=\"k-newsletter\"></span>newsletter"
                     "<span class=\"k-filler\"></span>filler<span class=\"k-silence\"></span>silence</p>\n");
}

static void html_item_row(const cw_pl_view *v, cw_buf *out, size_t i)
{
    const cw_pl_item *it = &v->items[i];
    const cw_plan_item *pi = it->pi;
    cw_buf_printf(out, "<tr class=\"r-%s\">", cw_pl_kind_label(pi));
    html_row_cell(out, "time", it->hhmm);
    cw_buf_puts(out, "<td><strong>");
    put_xml(out, it->title);
    cw_buf_printf(out, "</strong><br><span class=\"note\">%s", cw_pl_kind_label(pi));
    if (pi->episode > 0)
        cw_buf_printf(out, ", episode %d", pi->episode);
    if (pi->repeat)
        cw_buf_puts(out, ", repeat");
    if (pi->cut)
        cw_buf_puts(out, ", shortened to fit");
    cw_buf_puts(out, "</span></td>");
    html_row_cell(out, NULL, it->teacher);
    html_row_cell(out, NULL, it->series);
    html_row_cell(out, NULL, it->language);
    cw_buf_puts(out, "<td class=\"len\">");
    cw_pl_put_duration(out, it->seconds);
    cw_buf_puts(out, "</td></tr>\n");
}

static void html_missing_row(const cw_pl_view *v, cw_buf *out, const row *r)
{
    const cw_plan_slot *sl = &v->plan->slots[r->slot];
    char hhmm[6];
    if (r->j > r->i)
        snprintf(hhmm, sizeof hhmm, "%s", v->items[r->i].hhmm);
    else
        slot_hhmm(v, sl->start_utc, hhmm);
    cw_buf_puts(out, "<tr class=\"r-missing\">");
    html_row_cell(out, "time", hhmm);
    cw_buf_puts(out, "<td><strong>");
    put_xml(out, v->slot_title[r->slot]);
    cw_buf_printf(out, "</strong><br><span class=\"note\">%s: the recording %s", cw_kind_name(sl->kind),
                  sl->status == CW_SLOT_PENDING ? "awaits approval" : "has not arrived");
    if (r->j > r->i) {
        cw_buf_puts(out, "; instead: ");
        put_run_titles(out, v, r->i, r->j, put_xml);
    }
    cw_buf_puts(out, "</span></td>");
    char *t = cw_pl_clean(sl->teacher), *s = cw_pl_clean(sl->series), *l = cw_pl_clean(sl->language);
    html_row_cell(out, NULL, t ? t : "");
    html_row_cell(out, NULL, s ? s : "");
    html_row_cell(out, NULL, l ? l : "");
    free(t);
    free(s);
    free(l);
    cw_buf_puts(out, "<td class=\"len\">");
    cw_pl_put_duration(out, r->j > r->i ? run_seconds(v, r->i, r->j) : (double)(sl->end_utc - sl->start_utc));
    cw_buf_puts(out, "</td></tr>\n");
}

static void html_dead_air_warning(const cw_pl_view *v, cw_buf *out, const row *rows, size_t n)
{
    for (size_t r = 0; r < n; r++) {
        if (rows[r].kind != ROW_DEAD)
            continue;
        cw_buf_printf(out, "<p class=\"warn\"><strong>Dead air</strong> %s&ndash;%s: ", v->items[rows[r].i].hhmm,
                      row_end_hhmm(v, rows[r].j));
        cw_pl_put_duration(out, run_seconds(v, rows[r].i, rows[r].j));
        cw_buf_printf(out, " of silence (the station's limit is %g s; ingest fillers such as station IDs, "
                           "or send the missing recordings)</p>\n",
                      v->max_silence);
    }
}

static void html_not_airing(const cw_pl_view *v, cw_buf *out)
{
    const cw_plan *p = v->plan;
    int any = 0;
    for (size_t k = 0; k < p->n_slots; k++) {
        const cw_plan_slot *sl = &p->slots[k];
        if (!not_airing(sl) || sl->kind == CW_KIND_BLACKOUT)
            continue;
        if (!any)
            cw_buf_puts(out, "<h2>Not broadcast today</h2>\n<ul>\n");
        any = 1;
        char hhmm[6];
        slot_hhmm(v, sl->start_utc, hhmm);
        cw_buf_printf(out, "<li><strong>%s</strong> ", hhmm);
        put_xml(out, v->slot_title[k]);
        cw_buf_printf(out, " &mdash; %s", status_text(sl->status));
        if (sl->reason && sl->reason[0]) {
            char *why = cw_pl_clean(sl->reason);
            cw_buf_puts(out, ": ");
            put_xml(out, why ? why : "");
            free(why);
        }
        cw_buf_puts(out, "</li>\n");
    }
    if (any)
        cw_buf_puts(out, "</ul>\n");
}

void cw_pl_write_guide_html(const cw_pl_view *v, cw_buf *out)
{
    const cw_plan *p = v->plan;
    size_t n_rows = 0;
    row *rows = guide_rows(v, &n_rows);
    if (!rows) {
        out->oom = 1;
        return;
    }
    int gaps = v->n_blocks > 1, more = gaps || any_row(rows, n_rows, ROW_DEAD) || any_row(rows, n_rows, ROW_MISSING);
    cw_buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                     "<title>");
    put_xml(out, v->station_name);
    cw_buf_printf(out, " - programme for %s %s</title>\n<style>\n%s%s</style>\n</head>\n<body>\n", v->weekday,
                  v->date, guide_css, more ? guide_css_more : "");
    cw_buf_puts(out, "<h1>");
    put_xml(out, v->station_name);
    cw_buf_printf(out,
                  "</h1>\n<p class=\"sub\">Programme for %s %s, on air %s&ndash;%s "
                  "(times in %s, UTC%s)</p>\n",
                  v->weekday, v->date, v->start_hhmm, v->end_hhmm, p->timezone ? p->timezone : "",
                  v->utc_offset);
    html_dead_air_warning(v, out, rows, n_rows);
    html_timeline(v, out);
    cw_buf_puts(out, "<table>\n<thead><tr><th>Time</th><th>Programme</th><th>Teacher</th>"
                     "<th>Subject</th><th>Language</th><th>Length</th></tr></thead>\n<tbody>\n");
    for (size_t r = 0; r < n_rows; r++) {
        const row *w = &rows[r];
        if (w->kind == ROW_ITEM) {
            html_item_row(v, out, w->i);
        } else if (w->kind == ROW_MISSING) {
            html_missing_row(v, out, w);
        } else {
            /* fillers and silence: one row from its start to the next item's start (or
             * the end of the window), naming what plays in it */
            int dead = w->kind == ROW_DEAD;
            cw_buf_printf(out, "<tr class=\"r-%s\"><td class=\"time\">%s&ndash;%s</td>"
                               "<td colspan=\"4\"><strong>%s</strong><br>"
                               "<span class=\"note\">",
                          dead ? "dead" : "fill", v->items[w->i].hhmm, row_end_hhmm(v, w->j),
                          dead ? "Dead air" : "Between programmes");
            put_run_titles(out, v, w->i, w->j, put_xml);
            cw_buf_printf(out, " (%zu item%s)</span></td><td class=\"len\">", w->j - w->i, w->j - w->i == 1 ? "" : "s");
            cw_pl_put_duration(out, run_seconds(v, w->i, w->j));
            cw_buf_puts(out, "</td></tr>\n");
        }
    }
    cw_buf_puts(out, "</tbody>\n</table>\n");
    html_not_airing(v, out);
    cw_buf_printf(out, "<p class=\"note\">%zu items. Made by chalkwave from the plan for %s; the audio is in %s.</p>\n"
                       "</body>\n</html>\n",
                  v->n, v->date, v->day_ogg || !v->n ? "day.ogg and items/" : "blocks/ (one file per block) and items/");
    free(rows);
}

/* ---- plain text ---------------------------------------------------------------------- */

static void txt_item_row(const cw_pl_view *v, cw_buf *out, size_t i)
{
    const cw_pl_item *it = &v->items[i];
    const cw_plan_item *pi = it->pi;
    cw_buf_printf(out, "%s  ", it->hhmm);
    cw_buf_puts(out, it->title);
    if (it->teacher[0]) {
        cw_buf_puts(out, " - ");
        cw_buf_puts(out, it->teacher);
    }
    cw_buf_printf(out, " (%s", cw_pl_kind_label(pi));
    if (it->series[0]) {
        cw_buf_puts(out, ", ");
        cw_buf_puts(out, it->series);
    }
    if (pi->episode > 0)
        cw_buf_printf(out, " ep %d", pi->episode);
    if (it->language[0]) {
        cw_buf_puts(out, ", ");
        cw_buf_puts(out, it->language);
    }
    if (pi->repeat)
        cw_buf_puts(out, ", repeat");
    if (pi->cut)
        cw_buf_puts(out, ", shortened");
    cw_buf_puts(out, ", ");
    cw_pl_put_duration(out, it->seconds);
    cw_buf_puts(out, ")\n");
}

void cw_pl_write_guide_txt(const cw_pl_view *v, cw_buf *out)
{
    const cw_plan *p = v->plan;
    size_t n_rows = 0;
    row *rows = guide_rows(v, &n_rows);
    if (!rows) {
        out->oom = 1;
        return;
    }
    cw_buf_puts(out, v->station_name);
    cw_buf_printf(out, "\nProgramme for %s %s, on air %s-%s (%s, UTC%s)\n\n", v->weekday, v->date,
                  v->start_hhmm, v->end_hhmm, p->timezone ? p->timezone : "", v->utc_offset);
    for (size_t r = 0; r < n_rows; r++) {
        const row *w = &rows[r];
        if (w->kind != ROW_DEAD)
            continue;
        cw_buf_printf(out, "WARNING: dead air %s-%s: ", v->items[w->i].hhmm, row_end_hhmm(v, w->j));
        cw_pl_put_duration(out, run_seconds(v, w->i, w->j));
        cw_buf_printf(out, " of silence (the station's limit is %g s)\n", v->max_silence);
        if (r + 1 == n_rows || rows[r + 1].kind != ROW_DEAD)
            cw_buf_puts(out, "\n");
    }
    for (size_t r = 0; r < n_rows; r++) {
        const row *w = &rows[r];
        if (w->kind == ROW_ITEM) {
            txt_item_row(v, out, w->i);
        } else if (w->kind == ROW_MISSING) {
            const cw_plan_slot *sl = &p->slots[w->slot];
            char hhmm[6];
            if (w->j > w->i)
                snprintf(hhmm, sizeof hhmm, "%s", v->items[w->i].hhmm);
            else
                slot_hhmm(v, sl->start_utc, hhmm);
            cw_buf_printf(out, "%s  ", hhmm);
            cw_buf_puts(out, v->slot_title[w->slot]);
            cw_buf_printf(out, " (%s) - MISSING: the recording %s", cw_kind_name(sl->kind),
                          sl->status == CW_SLOT_PENDING ? "awaits approval" : "has not arrived");
            if (w->j > w->i) {
                cw_buf_puts(out, "; instead: ");
                put_run_titles(out, v, w->i, w->j, cw_buf_puts);
            }
            cw_buf_puts(out, "\n");
        } else {
            /* An announcer (or an SMS) needs the programme, not every station ID of a gap:
             * a run of fillers and silence is one line naming what plays in it. */
            cw_buf_printf(out, "%s  %s: ", v->items[w->i].hhmm, w->kind == ROW_DEAD ? "DEAD AIR" : "Between programmes");
            put_run_titles(out, v, w->i, w->j, cw_buf_puts);
            cw_buf_printf(out, " (%zu item%s, ", w->j - w->i, w->j - w->i == 1 ? "" : "s");
            cw_pl_put_duration(out, run_seconds(v, w->i, w->j));
            cw_buf_puts(out, ")\n");
        }
    }
    int any = 0;
    for (size_t k = 0; k < p->n_slots; k++) {
        const cw_plan_slot *sl = &p->slots[k];
        if (!not_airing(sl) || sl->kind == CW_KIND_BLACKOUT)
            continue;
        if (!any)
            cw_buf_puts(out, "\nNot broadcast today:\n");
        any = 1;
        char hhmm[6];
        slot_hhmm(v, sl->start_utc, hhmm);
        cw_buf_printf(out, "%s  ", hhmm);
        cw_buf_puts(out, v->slot_title[k]);
        cw_buf_printf(out, " - %s", status_text(sl->status));
        if (sl->reason && sl->reason[0]) {
            char *why = cw_pl_clean(sl->reason);
            cw_buf_puts(out, ": ");
            cw_buf_puts(out, why ? why : "");
            free(why);
        }
        cw_buf_puts(out, "\n");
    }
    free(rows);
}
