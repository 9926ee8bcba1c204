/* report_out.c — the proof-of-broadcast report written as HTML (one A4 page per calendar
 * and week, then the totals; printable from any browser), CSV (RFC 4180, for
 * spreadsheets) or JSON.
 * Guarantees: deterministic for the same report; HTML is well-formed (xmllint) with every
 * text escaped; CSV fields are quoted where they must be. */
#include "air_int.h"
#include "report_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *const result_name[] = {"aired", "aired, cut short", "not aired"};
static const char *const result_key[] = {"aired", "cut", "not-aired"};
static const char *const wd[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static void local(const cw_report *r, int64_t ns, char out[40])
{
    air_fmt_local(r->tz, ns, out);
    /* "2026-03-16T09:00:00.000+01:00" -> "2026-03-16T09:00:00+01:00" */
    memmove(out + 19, out + 23, strlen(out + 23) + 1);
}

static void hhmm(const cw_report *r, int64_t ns, char out[8])
{
    char l[40];
    air_fmt_local(r->tz, ns, l);
    snprintf(out, 8, "%.5s", l + 11);
}

static void mmss(double s, char out[32])
{
    long t = s > 0 && s < 1e7 ? (long)(s + 0.5) : 0;
    if (t >= 3600)
        snprintf(out, 32, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(out, 32, "%ld:%02ld", t / 60, t % 60);
}

/* ---- JSON ----------------------------------------------------------------------------- */

static int write_json(const cw_report *r, cw_buf *out)
{
    json_t *o = json_object(), *rows = json_array(), *tots = json_array(), *files = json_array();
    char a[11], b[11];
    cw_date_format(r->from, a);
    cw_date_format(r->to, b);
    json_object_set_new(o, "station", json_string(r->station));
    json_object_set_new(o, "timezone", json_string(r->zone));
    json_object_set_new(o, "from", json_string(a));
    json_object_set_new(o, "to", json_string(b));
    json_object_set_new(o, "calendar", r->calendar ? json_string(r->calendar) : json_null());
    for (size_t i = 0; i < r->files.n; i++)
        json_array_append_new(files, json_string(r->files.v[i]));
    json_object_set_new(o, "asrun_logs", files);
    for (size_t i = 0; i < r->n; i++) {
        const rep_row *w = &r->rows[i];
        json_t *j = json_object();
        char d[11], t[40];
        cw_date_format(w->date, d);
        json_object_set_new(j, "date", json_string(d));
        local(r, w->start * AIR_NS, t);
        json_object_set_new(j, "planned_start", json_string(t));
        local(r, w->end * AIR_NS, t);
        json_object_set_new(j, "planned_end", json_string(t));
        json_object_set_new(j, "calendar", json_string(w->calendar));
        json_object_set_new(j, "event_uid", json_string(w->uid));
        json_object_set_new(j, "recurrence_id", w->rid[0] ? json_string(w->rid) : json_null());
        json_object_set_new(j, "kind", json_string(cw_kind_name(w->kind)));
        json_object_set_new(j, "title", json_string(w->title));
        json_object_set_new(j, "series", w->series[0] ? json_string(w->series) : json_null());
        json_object_set_new(j, "episode", w->episode ? json_integer(w->episode) : json_null());
        json_object_set_new(j, "teacher", w->teacher[0] ? json_string(w->teacher) : json_null());
        json_object_set_new(j, "result", json_string(result_key[w->state]));
        if (w->state != REP_NOT_AIRED) {
            local(r, w->aired_ns, t);
            json_object_set_new(j, "aired_start", json_string(t));
            json_object_set_new(j, "aired_length_s", json_real(w->aired_s));
        } else {
            json_object_set_new(j, "aired_start", json_null());
            json_object_set_new(j, "aired_length_s", json_null());
        }
        json_object_set_new(j, "planned_length_s", json_real(w->planned_s));
        json_object_set_new(j, "reason", w->reason[0] ? json_string(w->reason) : json_null());
        json_object_set_new(j, "outputs", w->outputs ? json_string(w->outputs) : json_null());
        json_array_append_new(rows, j);
    }
    json_object_set_new(o, "lessons", rows);
    for (size_t i = 0; i < r->n_totals; i++) {
        const rep_total *t = &r->totals[i];
        json_t *j = json_object();
        json_object_set_new(j, "series", json_string(t->series));
        json_object_set_new(j, "planned", json_integer((json_int_t)t->planned));
        json_object_set_new(j, "aired", json_integer((json_int_t)t->aired));
        json_object_set_new(j, "cut", json_integer((json_int_t)t->cut));
        json_object_set_new(j, "not_aired", json_integer((json_int_t)t->not_aired));
        json_object_set_new(j, "holiday_or_cancelled", json_integer((json_int_t)t->excused));
        json_object_set_new(j, "planned_minutes", json_real(t->planned_s / 60));
        json_object_set_new(j, "aired_minutes", json_real(t->aired_s / 60));
        json_array_append_new(tots, j);
    }
    json_object_set_new(o, "totals", tots);
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    json_decref(o);
    if (!s)
        return CW_ENOMEM;
    cw_buf_puts(out, s);
    cw_buf_puts(out, "\n");
    free(s);
    return out->oom ? CW_ENOMEM : 0;
}

/* ---- CSV ------------------------------------------------------------------------------------ */

static void csv(cw_buf *b, const char *s, int last)
{
    if (strpbrk(s, ",\"\r\n")) {
        cw_buf_puts(b, "\"");
        for (; *s; s++)
            cw_buf_append(b, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
        cw_buf_puts(b, "\"");
    } else {
        cw_buf_puts(b, s);
    }
    cw_buf_puts(b, last ? "\r\n" : ",");
}

static int write_csv(const cw_report *r, cw_buf *out)
{
    cw_buf_puts(out, "date,weekday,planned_start,planned_end,calendar,series,episode,title,teacher,kind,result,"
                     "aired_start,aired_length_s,planned_length_s,reason,outputs,event_uid\r\n");
    for (size_t i = 0; i < r->n; i++) {
        const rep_row *w = &r->rows[i];
        char d[11], a[40], b[40], ep[16] = "", al[32] = "", pl[32], at[40] = "";
        cw_date_format(w->date, d);
        local(r, w->start * AIR_NS, a);
        local(r, w->end * AIR_NS, b);
        if (w->episode)
            snprintf(ep, sizeof ep, "%d", w->episode);
        if (w->state != REP_NOT_AIRED) {
            local(r, w->aired_ns, at);
            snprintf(al, sizeof al, "%.3f", w->aired_s);
        }
        snprintf(pl, sizeof pl, "%.3f", w->planned_s);
        csv(out, d, 0);
        csv(out, wd[cw_weekday(w->date) % 7], 0);
        csv(out, a, 0);
        csv(out, b, 0);
        csv(out, w->calendar, 0);
        csv(out, w->series, 0);
        csv(out, ep, 0);
        csv(out, w->title, 0);
        csv(out, w->teacher, 0);
        csv(out, cw_kind_name(w->kind), 0);
        csv(out, result_name[w->state], 0);
        csv(out, at, 0);
        csv(out, al, 0);
        csv(out, pl, 0);
        csv(out, w->reason, 0);
        csv(out, w->outputs ? w->outputs : "", 0);
        csv(out, w->uid, 1);
    }
    return out->oom ? CW_ENOMEM : 0;
}

/* ---- HTML ----------------------------------------------------------------------------------- */

static const char css[] =
    "@page{size:A4;margin:12mm}\n"
    "body{font-family:\"DejaVu Sans\",Arial,Helvetica,sans-serif;font-size:8.5pt;color:#000;margin:0}\n"
    "div.page{break-after:page;page-break-after:always}\n"
    "div.last{break-after:auto;page-break-after:auto}\n"
    "h1{font-size:13pt;margin:0 0 1mm}\n"
    "h2{font-size:10pt;margin:3mm 0 1mm}\n"
    "p.sub{margin:0 0 2mm;color:#333}\n"
    "table{width:100%;border-collapse:collapse;page-break-inside:auto}\n"
    "tr{page-break-inside:avoid}\n"
    "th,td{text-align:left;vertical-align:top;padding:1.2pt 3pt;border-bottom:.5pt solid #999}\n"
    "th{border-bottom:1pt solid #000}\n"
    "td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
    "td.t{white-space:nowrap;font-variant-numeric:tabular-nums}\n"
    "tr.aired td.res{font-weight:bold}\n"
    "tr.cut td.res{font-weight:bold;color:#7a4a00}\n"
    "tr.not-aired td.res{font-weight:bold;color:#a00}\n"
    "p.foot{margin-top:2mm;color:#555;font-size:7pt}\n"
    "@media screen{body{max-width:60rem;margin:1rem auto;padding:0 1rem}div.page{border-bottom:2px solid #ccc;"
    "padding-bottom:1rem;margin-bottom:1rem}}\n";

static void x(cw_buf *b, const char *s)
{
    cw_buf_put_xml(b, s);
}

static void day_label(cw_date d, char out[24])
{
    snprintf(out, 24, "%s %d %s", wd[cw_weekday(d) % 7], d.day, mon[(d.month + 11) % 12]);
}

static void totals_table(const cw_report *r, cw_buf *out, size_t a, size_t z, int whole)
{
    /* per series over rows [a, z) (whole: the report's totals) */
    cw_buf_puts(out, "<table class=\"totals\"><thead><tr><th>Series</th><th>Planned</th><th>Aired in full</th>"
                     "<th>Cut short</th><th>Not aired</th><th>Holiday or cancelled</th><th>Minutes planned</th>"
                     "<th>Minutes aired</th></tr></thead><tbody>\n");
    for (size_t k = 0; k < r->n_totals; k++) {
        const rep_total *t = &r->totals[k];
        rep_total s;
        memset(&s, 0, sizeof s);
        if (whole) {
            s = *t;
        } else {
            for (size_t i = a; i < z; i++) {
                const rep_row *w = &r->rows[i];
                if (strcmp(w->series, t->series) != 0)
                    continue;
                s.planned++;
                s.planned_s += w->planned_s;
                s.aired_s += w->state == REP_NOT_AIRED ? 0 : w->aired_s;
                if (w->state == REP_AIRED)
                    s.aired++;
                else if (w->state == REP_CUT)
                    s.cut++;
                else if (w->why == CW_SLOT_BLACKOUT || w->why == CW_SLOT_CANCELLED)
                    s.excused++;
                else
                    s.not_aired++;
            }
            if (!s.planned)
                continue;
        }
        cw_buf_puts(out, "<tr><td>");
        x(out, t->series[0] ? t->series : "(no series)");
        cw_buf_printf(out, "</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td><td class=\"n\">%zu</td>"
                           "<td class=\"n\">%zu</td><td class=\"n\">%zu</td><td class=\"n\">%.0f</td>"
                           "<td class=\"n\">%.0f</td></tr>\n",
                      s.planned, s.aired, s.cut, s.not_aired, s.excused, s.planned_s / 60, s.aired_s / 60);
    }
    cw_buf_puts(out, "</tbody></table>\n");
}

static void row_html(const cw_report *r, cw_buf *out, const rep_row *w)
{
    char day[24], a[8], b[8], al[32];
    day_label(w->date, day);
    hhmm(r, w->start * AIR_NS, a);
    hhmm(r, w->end * AIR_NS, b);
    cw_buf_printf(out, "<tr class=\"%s\"><td class=\"t\">%s</td><td class=\"t\">%s&#8211;%s</td><td>", result_key[w->state],
                  day, a, b);
    x(out, w->title[0] ? w->title : "(untitled)");
    if (w->teacher[0]) {
        cw_buf_puts(out, "<br/>");
        x(out, w->teacher);
    }
    cw_buf_puts(out, "</td><td>");
    x(out, w->series);
    if (w->episode)
        cw_buf_printf(out, " #%d", w->episode);
    cw_buf_puts(out, "</td>");
    if (w->state != REP_NOT_AIRED) {
        char at[8];
        hhmm(r, w->aired_ns, at);
        mmss(w->aired_s, al);
        cw_buf_printf(out, "<td class=\"t\">%s</td><td class=\"n\">%s</td>", at, al);
    } else {
        cw_buf_puts(out, "<td class=\"t\">&#8212;</td><td class=\"n\">&#8212;</td>");
    }
    cw_buf_printf(out, "<td class=\"res\">%s</td><td>", result_name[w->state]);
    x(out, w->reason);
    cw_buf_puts(out, "</td></tr>\n");
}

static int write_html(const cw_report *r, cw_buf *out)
{
    char from[11], to[11];
    cw_date_format(r->from, from);
    cw_date_format(r->to, to);
    cw_buf_puts(out, "<!DOCTYPE html>\n<html lang=\"en\" xmlns=\"http://www.w3.org/1999/xhtml\"><head><meta charset=\"utf-8\"/>\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n<title>Proof of broadcast: ");
    x(out, r->station);
    cw_buf_printf(out, ", %s to %s</title>\n<style>\n%s</style></head><body>\n", from, to, css);
    int64_t d0 = cw_days_from_civil(r->from.year, r->from.month, r->from.day);
    int64_t d1 = cw_days_from_civil(r->to.year, r->to.month, r->to.day);
    int64_t w0 = d0 - cw_weekday(r->from); /* the Monday of the first week */
    size_t i = 0;
    while (i < r->n) { /* one calendar at a time (rows are sorted by calendar, then time) */
        size_t j = i;
        while (j < r->n && !strcmp(r->rows[j].calendar, r->rows[i].calendar))
            j++;
        for (int64_t wk = w0; wk <= d1; wk += 7) {
            size_t a = i, z;
            while (a < j && cw_days_from_civil(r->rows[a].date.year, r->rows[a].date.month, r->rows[a].date.day) < wk)
                a++;
            z = a;
            while (z < j && cw_days_from_civil(r->rows[z].date.year, r->rows[z].date.month, r->rows[z].date.day) < wk + 7)
                z++;
            if (a == z)
                continue;
            int y1, m1, dd1, y2, m2, dd2;
            int64_t s = wk < d0 ? d0 : wk, e = wk + 6 > d1 ? d1 : wk + 6;
            cw_civil_from_days(s, &y1, &m1, &dd1);
            cw_civil_from_days(e, &y2, &m2, &dd2);
            cw_buf_puts(out, "<div class=\"page week\">\n<h1>Proof of broadcast: ");
            x(out, r->station);
            cw_buf_puts(out, "</h1>\n<p class=\"sub\">Calendar <b>");
            x(out, r->rows[i].calendar[0] ? r->rows[i].calendar : "(none)");
            cw_buf_printf(out, "</b> &#183; %d %s to %d %s %d &#183; times in ", dd1, mon[(m1 + 11) % 12], dd2,
                          mon[(m2 + 11) % 12], y2);
            x(out, r->zone);
            cw_buf_puts(out, "</p>\n<table><thead><tr><th>Day</th><th>Planned</th><th>Lesson</th><th>Series</th>"
                             "<th>Aired at</th><th>Length</th><th>Result</th><th>Why</th></tr></thead><tbody>\n");
            for (size_t k = a; k < z; k++)
                row_html(r, out, &r->rows[k]);
            cw_buf_puts(out, "</tbody></table>\n<h2>This week</h2>\n");
            totals_table(r, out, a, z, 0);
            cw_buf_puts(out, "<p class=\"foot\">Built from the as-run logs of the station (what aired) and its plans "
                             "(what was planned and why a lesson did not air). chalkwave " CW_VERSION ".</p>\n</div>\n");
        }
        i = j;
    }
    cw_buf_puts(out, "<div class=\"page last\">\n<h1>Proof of broadcast: ");
    x(out, r->station);
    cw_buf_printf(out, "</h1>\n<p class=\"sub\">Totals %s to %s", from, to);
    if (r->calendar) {
        cw_buf_puts(out, " &#183; calendar ");
        x(out, r->calendar);
    }
    cw_buf_printf(out, " &#183; %zu planned lesson%s</p>\n", r->n, r->n == 1 ? "" : "s");
    totals_table(r, out, 0, r->n, 1);
    cw_buf_puts(out, "<p class=\"foot\">As-run logs read: ");
    for (size_t k = 0; k < r->files.n; k++) {
        x(out, r->files.v[k]);
        cw_buf_puts(out, k + 1 < r->files.n ? ", " : "");
    }
    if (!r->files.n)
        cw_buf_puts(out, "none");
    cw_buf_puts(out, ".</p>\n</div>\n</body></html>\n");
    return out->oom ? CW_ENOMEM : 0;
}

int cw_report_write(const cw_report *r, cw_report_format fmt, cw_buf *out)
{
    switch (fmt) {
    case CW_REPORT_JSON: return write_json(r, out);
    case CW_REPORT_CSV: return write_csv(r, out);
    default: return write_html(r, out);
    }
}
