/* writers.c — the text files of a bundle: M3U8, XSPF, PLS, CUE, Liquidsoap annotate
 * playlist (the programme guide is guide.c's).
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

void cw_pl_put_duration(cw_buf *b, double seconds)
{
    long s = (long)llround(seconds);
    if (s >= 3600)
        cw_buf_printf(b, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
    else
        cw_buf_printf(b, "%ld:%02ld", s / 60, s % 60);
}

const char *cw_pl_kind_label(const cw_plan_item *pi)
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
                      it->local_iso, cw_pl_kind_label(it->pi), it->index,
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
        cw_buf_printf(out, "\",planned_start=\"%s\",kind=\"%s\":", it->local_iso, cw_pl_kind_label(it->pi));
        if (v->abs_dir) {
            cw_buf_puts(out, v->abs_dir);
            cw_buf_puts(out, "/");
        }
        cw_buf_printf(out, "%s\n", it->file);
    }
}
