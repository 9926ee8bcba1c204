/* writers.c — the text files of a bundle: M3U8, XSPF, PLS, CUE, Liquidsoap annotate
 * playlist, and the programme guide (HTML and plain text; each run of two or more
 * fillers/silences is one row or line spanning the run, programmes one each).
 * Guarantees: every outside string (titles, teachers, station name) is cleaned to valid
 * one-line UTF-8 and escaped for its format (XML/HTML entities, CUE and Liquidsoap quotes,
 * no newline can start a new M3U/PLS entry); output depends only on the plan view. */
#include "playlists_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- cleaning ----------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (0 when invalid); its code point in *cp. */
static size_t utf8_seq(const unsigned char *s, size_t left, uint32_t *cp)
{
    unsigned char c = s[0];
    size_t n;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
        *cp = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
        *cp = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
        *cp = c & 0x07;
    } else {
        return 0;
    }
    if (left < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        *cp = (*cp << 6) | (s[i] & 0x3f);
    }
    if ((n == 3 && *cp < 0x800) || (n == 4 && (*cp < 0x10000 || *cp > 0x10ffff)) ||
        (*cp >= 0xd800 && *cp <= 0xdfff))
        return 0;
    return n;
}

char *cw_pl_clean(const char *s)
{
    cw_buf b;
    cw_buf_init(&b);
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t left = strlen((const char *)p);
    while (left > 0) {
        uint32_t cp = 0;
        size_t n = utf8_seq(p, left, &cp);
        if (n == 0 || cp == 0xfffe || cp == 0xffff) {
            cw_buf_puts(&b, "\xef\xbf\xbd"); /* U+FFFD: not UTF-8, or not allowed in XML */
            n = n ? n : 1;
        } else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 ||
                   cp == 0x2029) {
            cw_buf_append(&b, " ", 1); /* controls and line separators end lines somewhere */
        } else {
            cw_buf_append(&b, p, n);
        }
        p += n;
        left -= n;
    }
    cw_buf_append(&b, "", 0);
    if (b.oom) {
        cw_buf_free(&b);
        return NULL;
    }
    /* trim spaces at both ends: a title of only control characters becomes "" */
    char *start = b.data ? b.data : (char *)"";
    while (*start == ' ')
        start++;
    size_t len = strlen(start);
    while (len > 0 && start[len - 1] == ' ')
        len--;
    char *out = cw_strndup(start, len);
    cw_buf_free(&b);
    return out;
}

void cw_pl_put_display(cw_buf *b, const cw_pl_item *it)
{
    if (it->teacher[0]) {
        cw_buf_puts(b, it->teacher);
        cw_buf_puts(b, " - ");
    }
    cw_buf_puts(b, it->title);
}

/* ---- escapers ----------------------------------------------------------------------- */

/* Text is already cleaned (no control characters). */
static void put_xml(cw_buf *b, const char *s)
{
    cw_buf_put_xml(b, s);
}

/* CUE strings are in double quotes with no agreed escape: a quote becomes an apostrophe
 * and a backslash a slash (Liquidsoap's parser reads a backslash as an escape, other
 * readers do not, so no spelling of it survives both). */
static void put_cue(cw_buf *b, const char *s)
{
    for (; *s; s++)
        cw_buf_append(b, *s == '"' ? "'" : *s == '\\' ? "/" : s, 1);
}

/* Liquidsoap annotate values: double-quoted, backslash escapes for \ and ". */
static void put_liq(cw_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            cw_buf_append(b, "\\", 1);
        cw_buf_append(b, s, 1);
    }
}

static void put_duration(cw_buf *b, double seconds)
{
    long s = (long)llround(seconds);
    if (s >= 3600)
        cw_buf_printf(b, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
    else
        cw_buf_printf(b, "%ld:%02ld", s / 60, s % 60);
}

static const char *kind_label(const cw_plan_item *pi)
{
    const char *k = cw_kind_name(pi->kind);
    return k && *k ? k : "item";
}

/* ---- playlists ---------------------------------------------------------------------- */

void cw_pl_write_m3u8(const cw_pl_view *v, cw_buf *out)
{
    cw_buf_puts(out, "#EXTM3U\n");
    cw_buf_puts(out, "#PLAYLIST:");
    cw_buf_puts(out, v->station_name);
    cw_buf_printf(out, " %s\n", v->date);
    for (size_t i = 0; i < v->n; i++) {
        const cw_pl_item *it = &v->items[i];
        cw_buf_printf(out, "#EXTINF:%ld,", (long)llround(it->seconds));
        cw_pl_put_display(out, it);
        cw_buf_printf(out, "\n%s\n", it->file);
    }
}

void cw_pl_write_xspf(const cw_pl_view *v, cw_buf *out)
{
    cw_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<playlist version=\"1\" xmlns=\"http://xspf.org/ns/0/\">\n  <title>");
    put_xml(out, v->station_name);
    cw_buf_printf(out, " %s</title>\n  <date>%sT%s:00%s</date>\n  <trackList>\n", v->date, v->date,
                  v->start_hhmm, v->utc_offset);
    for (size_t i = 0; i < v->n; i++) {
        const cw_pl_item *it = &v->items[i];
        cw_buf_printf(out, "    <track>\n      <location>%s</location>\n      <title>", it->file);
        put_xml(out, it->title);
        cw_buf_puts(out, "</title>\n");
        if (it->teacher[0]) {
            cw_buf_puts(out, "      <creator>");
            put_xml(out, it->teacher);
            cw_buf_puts(out, "</creator>\n");
        }
        if (it->series[0]) {
            cw_buf_puts(out, "      <album>");
            put_xml(out, it->series);
            cw_buf_puts(out, "</album>\n");
        }
        cw_buf_printf(out,
                      "      <annotation>planned start %s (%s)</annotation>\n"
                      "      <trackNum>%zu</trackNum>\n"
                      "      <duration>%lld</duration>\n"
                      "    </track>\n",
                      it->local_iso, kind_label(it->pi), it->index,
                      (long long)(it->pi->length_samples * 1000 / v->plan->rate));
    }
    cw_buf_puts(out, "  </trackList>\n</playlist>\n");
}

void cw_pl_write_pls(const cw_pl_view *v, cw_buf *out)
{
    cw_buf_puts(out, "[playlist]\n");
    for (size_t i = 0; i < v->n; i++) {
        const cw_pl_item *it = &v->items[i];
        cw_buf_printf(out, "File%zu=%s\nTitle%zu=", it->index, it->file, it->index);
        cw_pl_put_display(out, it);
        cw_buf_printf(out, "\nLength%zu=%ld\n", it->index, (long)llround(it->seconds));
    }
    cw_buf_printf(out, "NumberOfEntries=%zu\nVersion=2\n", v->n);
}

void cw_pl_write_cue(const cw_pl_view *v, cw_buf *out)
{
    cw_buf_printf(out, "REM DATE %s\nREM COMMENT \"chalkwave day file, times from the window start %s\"\n",
                  v->date, v->start_hhmm);
    cw_buf_puts(out, "TITLE \"");
    put_cue(out, v->station_name);
    cw_buf_printf(out, " %s\"\nFILE \"day.ogg\" WAVE\n", v->date);
    for (size_t i = 0; i < v->n; i++) {
        const cw_pl_item *it = &v->items[i];
        /* CUE frames are 1/75 s; round down so a track never starts after its audio */
        int64_t frames = it->pi->offset_samples * 75 / v->plan->rate;
        cw_buf_printf(out, "  TRACK %02zu AUDIO\n    TITLE \"", it->index);
        put_cue(out, it->title);
        cw_buf_puts(out, "\"\n");
        if (it->teacher[0]) {
            cw_buf_puts(out, "    PERFORMER \"");
            put_cue(out, it->teacher);
            cw_buf_puts(out, "\"\n");
        }
        cw_buf_printf(out, "    REM PLANNED_START %s\n    INDEX 01 %02lld:%02lld:%02lld\n", it->local_iso,
                      (long long)(frames / 75 / 60), (long long)(frames / 75 % 60),
                      (long long)(frames % 75));
    }
}

void cw_pl_write_liquidsoap(const cw_pl_view *v, cw_buf *out)
{
    cw_buf_puts(out, "#EXTM3U\n");
    for (size_t i = 0; i < v->n; i++) {
        const cw_pl_item *it = &v->items[i];
        cw_buf_puts(out, "annotate:title=\"");
        put_liq(out, it->title);
        cw_buf_puts(out, "\",artist=\"");
        put_liq(out, it->teacher);
        cw_buf_printf(out, "\",planned_start=\"%s\",kind=\"%s\":", it->local_iso, kind_label(it->pi));
        if (v->abs_dir) {
            cw_buf_puts(out, v->abs_dir);
            cw_buf_puts(out, "/");
        }
        cw_buf_printf(out, "%s\n", it->file);
    }
}

/* ---- guide -------------------------------------------------------------------------- */

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

static int is_fill(const cw_plan_item *pi)
{
    return pi->kind == CW_KIND_FILLER || pi->kind == CW_KIND_SILENCE;
}

/* A reader of the guide needs the programme, not every station ID of a gap: two or more
 * fillers and silences in a row are one entry. Returns the end (exclusive) of the run
 * starting at item i, or i when item i stands alone (a programme, or a lone filler). */
static size_t fill_run_end(const cw_pl_view *v, size_t i)
{
    if (!is_fill(v->items[i].pi) || i + 1 >= v->n || !is_fill(v->items[i + 1].pi))
        return i;
    size_t j = i;
    while (j < v->n && is_fill(v->items[j].pi))
        j++;
    return j;
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

static void html_row_cell(cw_buf *out, const char *cls, const char *text)
{
    cw_buf_printf(out, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    put_xml(out, text);
    cw_buf_puts(out, "</td>");
}

void cw_pl_write_guide_html(const cw_pl_view *v, cw_buf *out)
{
    const cw_plan *p = v->plan;
    int64_t total = 0;
    for (size_t i = 0; i < v->n; i++)
        total += v->items[i].pi->length_samples;
    cw_buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                     "<title>");
    put_xml(out, v->station_name);
    cw_buf_printf(out, " - programme for %s %s</title>\n<style>\n%s</style>\n</head>\n<body>\n",
                  v->weekday, v->date, guide_css);
    cw_buf_puts(out, "<h1>");
    put_xml(out, v->station_name);
    cw_buf_printf(out,
                  "</h1>\n<p class=\"sub\">Programme for %s %s, on air %s&ndash;%s "
                  "(times in %s, UTC%s)</p>\n",
                  v->weekday, v->date, v->start_hhmm, v->end_hhmm, p->timezone ? p->timezone : "",
                  v->utc_offset);
    /* timeline: one segment per item, widths in proportion to length */
    cw_buf_puts(out, "<div class=\"bar\" role=\"img\" aria-label=\"timeline of the day\">\n");
    for (size_t i = 0; i < v->n && total > 0; i++) {
        const cw_pl_item *it = &v->items[i];
        double w = 100.0 * (double)it->pi->length_samples / (double)total;
        cw_buf_printf(out, "<span class=\"k-%s\" style=\"width:%.3f%%\" title=\"%s ", kind_label(it->pi), w,
                      it->hhmm);
        put_xml(out, it->title);
        cw_buf_puts(out, "\"></span>\n");
    }
    cw_buf_puts(out, "</div>\n<div class=\"hours\">\n");
    /* hour marks at each full local hour inside the window */
    if (total > 0) {
        int64_t start_ms = (int64_t)p->window_start_utc * 1000;
        int64_t total_ms = total * 1000 / p->rate;
        /* marks at real elapsed hours from the first full local hour, labelled with the
         * local hour (on a DST day a label repeats or is skipped, as the clock does) */
        int64_t first = ((start_ms / 1000 + p->start_offset + 3599) / 3600) * 3600 - p->start_offset;
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
    cw_buf_puts(out, "<table>\n<thead><tr><th>Time</th><th>Programme</th><th>Teacher</th>"
                     "<th>Subject</th><th>Language</th><th>Length</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < v->n; i++) {
        const cw_pl_item *it = &v->items[i];
        const cw_plan_item *pi = it->pi;
        size_t j = fill_run_end(v, i);
        if (j > i) {
            /* a run of fillers and silence: one row from its start to the next item's
             * start (or the end of the window), naming what plays in it */
            cw_buf_printf(out, "<tr class=\"r-fill\"><td class=\"time\">%s&ndash;%s</td>"
                               "<td colspan=\"4\"><strong>Between programmes</strong><br>"
                               "<span class=\"note\">",
                          it->hhmm, j < v->n ? v->items[j].hhmm : v->end_hhmm);
            put_run_titles(out, v, i, j, put_xml);
            cw_buf_printf(out, " (%zu items)</span></td><td class=\"len\">", j - i);
            put_duration(out, run_seconds(v, i, j));
            cw_buf_puts(out, "</td></tr>\n");
            i = j - 1;
            continue;
        }
        cw_buf_printf(out, "<tr class=\"r-%s\">", kind_label(pi));
        html_row_cell(out, "time", it->hhmm);
        cw_buf_puts(out, "<td><strong>");
        put_xml(out, it->title);
        cw_buf_printf(out, "</strong><br><span class=\"note\">%s", kind_label(pi));
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
        put_duration(out, it->seconds);
        cw_buf_puts(out, "</td></tr>\n");
    }
    cw_buf_printf(out, "</tbody>\n</table>\n<p class=\"note\">%zu items. Made by chalkwave from the plan for %s; "
                       "the audio is in day.ogg and items/.</p>\n</body>\n</html>\n",
                  v->n, v->date);
}

void cw_pl_write_guide_txt(const cw_pl_view *v, cw_buf *out)
{
    cw_buf_puts(out, v->station_name);
    cw_buf_printf(out, "\nProgramme for %s %s, on air %s-%s (%s, UTC%s)\n\n", v->weekday, v->date,
                  v->start_hhmm, v->end_hhmm, v->plan->timezone ? v->plan->timezone : "", v->utc_offset);
    for (size_t i = 0; i < v->n; i++) {
        const cw_pl_item *it = &v->items[i];
        const cw_plan_item *pi = it->pi;
        size_t j = fill_run_end(v, i);
        if (j > i) {
            /* An announcer (or an SMS) needs the programme, not every station ID of a gap:
             * a run of fillers and silence is one line naming what plays in it. */
            cw_buf_printf(out, "%s  Between programmes: ", it->hhmm);
            put_run_titles(out, v, i, j, cw_buf_puts);
            cw_buf_printf(out, " (%zu items, ", j - i);
            put_duration(out, run_seconds(v, i, j));
            cw_buf_puts(out, ")\n");
            i = j - 1;
            continue;
        }
        cw_buf_printf(out, "%s  ", it->hhmm);
        cw_buf_puts(out, it->title);
        if (it->teacher[0]) {
            cw_buf_puts(out, " - ");
            cw_buf_puts(out, it->teacher);
        }
        cw_buf_printf(out, " (%s", kind_label(pi));
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
        put_duration(out, it->seconds);
        cw_buf_puts(out, ")\n");
    }
}
