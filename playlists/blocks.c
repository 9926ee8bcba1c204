/* blocks.c — the bundle's blocks (README "Bundle modes"): runs of items that play back to
 * back, each with its own chained Ogg in blocks/, an M3U of its items, a row of events.csv
 * (the event list automation programs are given) and a line of liquidsoap.liq (a script
 * that plays each block at its instant over the station's own stream).
 * Guarantees: block names are unique in a bundle and sort by time within a day; every
 * outside string is cleaned and escaped for its format (RFC 4180 quoting, Liquidsoap string
 * escapes, no newline inside an M3U entry); times in events.csv are local with the UTC
 * instants beside them, so a DST night's repeated hour is never ambiguous. */
#include "playlists_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static void fmt_local(const cw_tz *tz, int64_t utc, char hms[9], char hhmm[5])
{
    cw_civil c;
    int off;
    cw_tz_to_local(tz, utc, &c, &off);
    snprintf(hms, 9, "%02u:%02u:%02u", (unsigned)c.hour % 100u, (unsigned)c.minute % 60u, (unsigned)c.second % 61u);
    if (hhmm)
        snprintf(hhmm, 5, "%02u%02u", (unsigned)c.hour % 100u, (unsigned)c.minute % 60u);
}

static void fmt_utc(int64_t utc, char out[21])
{
    int64_t days = floor_div(utc, 86400), sod = utc - days * 86400;
    int y, m, d;
    cw_civil_from_days(days, &y, &m, &d);
    snprintf(out, 21, "%04u-%02u-%02uT%02u:%02u:%02uZ", (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)d % 100u, (unsigned)(sod / 3600) % 100u, (unsigned)(sod / 60 % 60), (unsigned)(sod % 60));
}

static int is_programme(const cw_plan_item *pi)
{
    return pi->kind == CW_KIND_LESSON || pi->kind == CW_KIND_NEWSLETTER;
}

/* "Maths P5, episode 2 (Mrs A); School news" */
static char *block_titles(const cw_pl_view *v, const cw_pl_block *b)
{
    cw_buf t;
    cw_buf_init(&t);
    int any = 0;
    for (size_t i = b->first; i < b->first + b->n; i++) {
        const cw_pl_item *it = &v->items[i];
        if (!is_programme(it->pi))
            continue;
        if (any)
            cw_buf_puts(&t, "; ");
        cw_buf_puts(&t, it->title);
        if (it->teacher[0])
            cw_buf_printf(&t, " (%s)", it->teacher);
        any = 1;
    }
    if (!any)
        cw_buf_puts(&t, "Fill");
    cw_buf_append(&t, "", 0);
    if (t.oom) {
        cw_buf_free(&t);
        return NULL;
    }
    return t.data;
}

int cw_pl_view_blocks(cw_pl_view *v, const cw_tz *tz)
{
    const cw_plan *p = v->plan;
    size_t nb = 0;
    for (size_t i = 0; i < v->n; i++)
        nb += i == 0 || p->items[i].offset_samples != p->items[i - 1].offset_samples + p->items[i - 1].length_samples;
    v->blocks = calloc(nb ? nb : 1, sizeof *v->blocks);
    if (!v->blocks)
        return CW_ENOMEM;
    for (size_t i = 0; i < v->n; i++) {
        const cw_plan_item *pi = &p->items[i];
        if (i > 0 && pi->offset_samples == p->items[i - 1].offset_samples + p->items[i - 1].length_samples) {
            cw_pl_block *b = &v->blocks[v->n_blocks - 1];
            b->n++;
            b->length += pi->length_samples;
            continue;
        }
        cw_pl_block *b = &v->blocks[v->n_blocks++];
        b->first = i;
        b->n = 1;
        b->offset = pi->offset_samples;
        b->length = pi->length_samples;
    }
    for (size_t k = 0; k < v->n_blocks; k++) {
        cw_pl_block *b = &v->blocks[k];
        b->start_ms = p->items[b->first].start_utc_ms;
        b->end_ms = b->start_ms + b->length * 1000 / p->rate;
        int64_t s0 = floor_div(b->start_ms, 1000), s1 = floor_div(b->end_ms + 500, 1000);
        char hhmm[5];
        fmt_local(tz, s0, b->start_hms, hhmm);
        fmt_local(tz, s1, b->end_hms, NULL);
        fmt_utc(s0, b->start_utc);
        fmt_utc(s1, b->end_utc);
        const char *first = "fill";
        for (size_t i = b->first; i < b->first + b->n; i++)
            if (is_programme(v->items[i].pi)) {
                first = v->items[i].title;
                break;
            }
        char slug[48];
        cw_slugify(first, slug, 40);
        snprintf(b->name, sizeof b->name, "%s-%s", hhmm, slug[0] ? slug : "block");
        /* unique: a later block of the same minute and title gets -2, -3, ... */
        char base[80];
        snprintf(base, sizeof base, "%s", b->name);
        for (unsigned n = 2; n < 10000; n++) {
            int taken = 0;
            for (size_t j = 0; j < k && !taken; j++)
                taken = !strcmp(v->blocks[j].name, b->name);
            if (!taken)
                break;
            snprintf(b->name, sizeof b->name, "%.70s-%u", base, n);
        }
        if (!(b->titles = block_titles(v, b)))
            return CW_ENOMEM;
    }
    return 0;
}

/* ---- events.csv ------------------------------------------------------------------------ */

/* RFC 4180: a field with a comma, a quote or a line break is quoted, quotes doubled. The
 * text is cleaned already (no line breaks); quote every text field anyway. */
static void put_csv(cw_buf *b, const char *s)
{
    cw_buf_puts(b, "\"");
    for (; *s; s++)
        cw_buf_append(b, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
    cw_buf_puts(b, "\"");
}

void cw_pl_write_events_csv(const cw_pl_view *v, cw_buf *out)
{
    /* UTF-8 with a byte order mark and CRLF line ends: what Excel and the Windows
     * automation programs' importers expect of a CSV file (RFC 4180 says CRLF too) */
    cw_buf_puts(out, "\xef\xbb\xbf");
    cw_buf_puts(out, "date,start,end,duration,playlist,file,titles,start_utc,end_utc\r\n");
    for (size_t k = 0; k < v->n_blocks; k++) {
        const cw_pl_block *b = &v->blocks[k];
        cw_buf_printf(out, "%s,%s,%s,%.3f,blocks/%s.m3u8,blocks/%s.ogg,", v->date, b->start_hms, b->end_hms,
                      (double)b->length / v->plan->rate, b->name, b->name);
        put_csv(out, b->titles);
        cw_buf_printf(out, ",%s,%s\r\n", b->start_utc, b->end_utc);
    }
}

/* ---- blocks/NAME.m3u8 ------------------------------------------------------------------ */

void cw_pl_write_block_m3u8(const cw_pl_view *v, const cw_pl_block *b, cw_buf *out)
{
    cw_buf_puts(out, "#EXTM3U\n#PLAYLIST:");
    cw_buf_puts(out, v->station_name);
    cw_buf_printf(out, " %s %.5s-%.5s\n", v->date, b->start_hms, b->end_hms);
    for (size_t i = b->first; i < b->first + b->n; i++) {
        const cw_pl_item *it = &v->items[i];
        cw_buf_printf(out, "#EXTINF:%ld,", (long)llround(it->seconds));
        cw_pl_put_display(out, it);
        cw_buf_printf(out, "\n../%s\n", it->file);
    }
}

/* ---- liquidsoap.liq -------------------------------------------------------------------- */

/* A Liquidsoap string expression with the text of s: quotes and backslashes escaped,
 * control characters as octal escapes, and "#{" (which would interpolate code even after an
 * escape) split as "...#" ^ "{...". */
static void put_liq_string(cw_buf *b, const char *s)
{
    cw_buf_puts(b, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            cw_buf_append(b, "\\", 1);
            cw_buf_append(b, s, 1);
        } else if (c < 0x20 || c == 0x7f) {
            cw_buf_printf(b, "\\%03o", c);
        } else if (c == '#' && s[1] == '{') {
            cw_buf_puts(b, "#\" ^ \"");
        } else {
            cw_buf_append(b, s, 1);
        }
    }
    cw_buf_puts(b, "\"");
}

void cw_pl_write_liquidsoap_script(const cw_pl_view *v, cw_buf *out)
{
    char fn[32];
    snprintf(fn, sizeof fn, "chalkwave_%.4s_%.2s_%.2s", v->date, v->date + 5, v->date + 8);
    cw_buf_puts(out, "# liquidsoap.liq - chalkwave's blocks for ");
    cw_buf_puts(out, v->station_name);
    cw_buf_printf(out, ", %s %s (Liquidsoap 2.1 or later).\n", v->weekday, v->date);
    cw_buf_puts(out, "# Include it in the station's script and wrap the station's own source:\n"
                     "#   %include \"");
    for (const char *c = v->abs_dir ? v->abs_dir : "."; *c; c++)
        cw_buf_append(out, (unsigned char)*c < 0x20 ? "?" : c, 1); /* a comment line stays one line */
    cw_buf_printf(out,
                  "/liquidsoap.liq\"\n"
                  "#   radio = %s(radio)\n"
                  "# Each block plays from its start at its instant (within Liquidsoap's 40 ms frame), then\n"
                  "# the station's source again. A block whose start has passed when the script starts is\n"
                  "# not played (it would air late; `chalkwave air` joins late). Several days nest:\n"
                  "#   radio = chalkwave_2027_01_14(chalkwave_2027_01_13(radio))\n",
                  fn);
    cw_buf_printf(out, "def %s(station) =\n", fn);
    cw_buf_puts(out, "  def block(t0, uri, name) =\n"
                     "    r = request.create(uri)\n"
                     "    if not request.resolve(r) then\n"
                     "      log.severe(label=\"chalkwave\", \"#{name}: cannot read #{uri} (copy the bundle again)\")\n"
                     "    end\n"
                     "    s = request.once(r)\n"
                     "    started = ref(false)\n"
                     "    s.on_track(fun (_) -> begin\n"
                     "      started := true\n"
                     "      log.important(label=\"chalkwave\", \"#{name} starts\")\n"
                     "    end)\n"
                     "    if time() > t0 + 1. then\n"
                     "      log.important(label=\"chalkwave\", \"#{name}: its start has passed, not played\")\n"
                     "    end\n"
                     "    ((fun () -> !started or (time() >= t0 and time() < t0 + 1.)), (s:source))\n"
                     "  end\n");
    cw_buf_printf(out, "  switch(id=\"chalkwave-%s\", track_sensitive=false, [\n", v->date);
    for (size_t k = 0; k < v->n_blocks; k++) {
        const cw_pl_block *b = &v->blocks[k];
        /* the start as a Unix time to the millisecond: no zone, no DST ambiguity */
        cw_buf_printf(out, "    block(%lld.%03lld, ", (long long)floor_div(b->start_ms, 1000),
                      (long long)(b->start_ms - floor_div(b->start_ms, 1000) * 1000));
        cw_buf *uri = out;
        cw_buf path;
        cw_buf_init(&path);
        if (v->abs_dir) {
            cw_buf_puts(&path, v->abs_dir);
            cw_buf_puts(&path, "/");
        }
        cw_buf_printf(&path, "blocks/%s.ogg", b->name);
        cw_buf_append(&path, "", 0);
        put_liq_string(uri, path.data ? path.data : "");
        cw_buf_free(&path);
        cw_buf_puts(out, ", ");
        cw_buf *name = out;
        cw_buf label;
        cw_buf_init(&label);
        cw_buf_printf(&label, "%.5s ", b->start_hms);
        cw_buf_puts(&label, b->titles);
        cw_buf_append(&label, "", 0);
        put_liq_string(name, label.data ? label.data : "");
        cw_buf_free(&label);
        cw_buf_puts(out, "),\n");
    }
    cw_buf_puts(out, "    ({true}, (station:source))\n  ])\nend\n");
}
