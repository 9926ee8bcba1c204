/* chase.c — the chase list: the lessons whose recordings have not arrived, read from the
 * plans' slots (never from warning sentences), as text, CSV or JSON, and as one
 * ready-to-send plain-text message per teacher (SMS, WhatsApp).
 * Guarantees: the same slots give the same bytes; CSV follows RFC 4180 (quoted fields, CRLF);
 * JSON is UTF-8 (invalid bytes replaced); messages are plain text without control
 * characters, one line per lesson. */
#include "scheduler_int.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *nz(const char *s) { return s ? s : ""; }

static const char *const wdays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Local civil time of an entry's start. */
static void local_of(const cw_slot_entry *e, int *y, int *m, int *d, int *hh, int *mm, int *wd)
{
    int64_t l = e->slot.start_utc + e->utc_offset;
    int64_t days = l >= 0 ? l / 86400 : -((-l + 86399) / 86400);
    int64_t sod = l - days * 86400;
    cw_civil_from_days(days, y, m, d);
    *hh = (int)(sod / 3600);
    *mm = (int)(sod / 60 % 60);
    *wd = cw_weekday((cw_date){*y, *m, *d});
}

static const char *title_of(const cw_plan_slot *s)
{
    return s->summary && s->summary[0] ? s->summary : s->series && s->series[0] ? s->series : "(no title)";
}

/* ---- text, CSV, JSON --------------------------------------------------------------- */

static void csv_field(cw_buf *b, const char *s)
{
    s = nz(s);
    if (!strpbrk(s, ",\"\r\n")) {
        cw_buf_puts(b, s);
        return;
    }
    cw_buf_append(b, "\"", 1);
    for (; *s; s++) {
        if (*s == '"') cw_buf_append(b, "\"", 1);
        cw_buf_append(b, s, 1);
    }
    cw_buf_append(b, "\"", 1);
}

/* A JSON string from bytes that should be UTF-8 (invalid bytes become U+FFFD). */
static json_t *jstr(const char *s)
{
    s = nz(s);
    json_t *j = json_string(s);
    if (j) return j;
    cw_buf b;
    cw_buf_init(&b);
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t k = cw_utf8_seq_len((const unsigned char *)s + i, n - i);
        if (k) cw_buf_append(&b, s + i, k);
        else cw_buf_puts(&b, "\xef\xbf\xbd");
        i += k ? k : 1;
    }
    cw_buf_append(&b, "", 1);
    j = b.oom ? NULL : json_string(b.data);
    cw_buf_free(&b);
    return j;
}

static int write_json(const cw_slot_list *l, cw_buf *out)
{
    json_t *a = json_array();
    if (!a) return CW_ENOMEM;
    int oom = 0;
    for (size_t i = 0; i < l->n && !oom; i++) {
        const cw_slot_entry *e = &l->v[i];
        const cw_plan_slot *s = &e->slot;
        int y, m, d, hh, mm, wd;
        local_of(e, &y, &m, &d, &hh, &mm, &wd);
        char date[11], time[6], start[32], end[32];
        snprintf(date, sizeof date, "%04d-%02d-%02d", y, m, d);
        snprintf(time, sizeof time, "%02d:%02d", hh, mm);
        cw_sched_format_time(s->start_utc, 0, 1, e->utc_offset, 0, start);
        cw_sched_format_time(s->end_utc, 0, 1, e->utc_offset, 0, end);
        json_t *o = json_object();
        oom |= !o || json_object_set_new(o, "date", json_string(date)) || json_object_set_new(o, "time", json_string(time)) ||
               json_object_set_new(o, "weekday", json_string(wdays[wd])) ||
               json_object_set_new(o, "start", json_string(start)) || json_object_set_new(o, "end", json_string(end)) ||
               json_object_set_new(o, "title", jstr(title_of(s))) || json_object_set_new(o, "series", jstr(s->series)) ||
               json_object_set_new(o, "episode", s->episode > 0 ? json_integer(s->episode) : json_null()) ||
               json_object_set_new(o, "teacher", jstr(s->teacher)) || json_object_set_new(o, "language", jstr(s->language)) ||
               json_object_set_new(o, "status", json_string(cw_slot_status_name(s->status))) ||
               json_object_set_new(o, "calendar", jstr(s->event_file)) ||
               json_object_set_new(o, "event_uid", jstr(s->event_uid)) ||
               json_object_set_new(o, "recurrence_id", s->event_recurrence_id ? jstr(s->event_recurrence_id) : json_null()) ||
               json_object_set_new(o, "reason", jstr(s->reason)) || json_array_append_new(a, o);
    }
    char *text = oom ? NULL : json_dumps(a, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(a);
    if (!text) return CW_ENOMEM;
    cw_buf_puts(out, text);
    cw_buf_puts(out, "\n");
    free(text);
    return out->oom ? CW_ENOMEM : 0;
}

int cw_chase_write(const cw_slot_list *l, cw_chase_format fmt, cw_buf *out)
{
    if (fmt == CW_CHASE_JSON) return write_json(l, out);
    if (fmt == CW_CHASE_CSV)
        cw_buf_puts(out, "date,time,weekday,title,series,episode,teacher,status,calendar,event_uid,reason\r\n");
    for (size_t i = 0; i < l->n; i++) {
        const cw_slot_entry *e = &l->v[i];
        const cw_plan_slot *s = &e->slot;
        int y, m, d, hh, mm, wd;
        local_of(e, &y, &m, &d, &hh, &mm, &wd);
        if (fmt == CW_CHASE_CSV) {
            cw_buf_printf(out, "%04d-%02d-%02d,%02d:%02d,%s,", y, m, d, hh, mm, wdays[wd]);
            csv_field(out, title_of(s));
            cw_buf_puts(out, ",");
            csv_field(out, s->series);
            cw_buf_puts(out, ",");
            if (s->episode > 0) cw_buf_printf(out, "%d", s->episode);
            cw_buf_puts(out, ",");
            csv_field(out, s->teacher);
            cw_buf_printf(out, ",%s,", cw_slot_status_name(s->status));
            csv_field(out, s->event_file);
            cw_buf_puts(out, ",");
            csv_field(out, s->event_uid);
            cw_buf_puts(out, ",");
            csv_field(out, s->reason);
            cw_buf_puts(out, "\r\n");
            continue;
        }
        cw_buf_printf(out, "%04d-%02d-%02d %s %02d:%02d  ", y, m, d, wdays[wd], hh, mm);
        cw_buf_put_oneline(out, title_of(s));
        cw_buf_puts(out, " (");
        cw_buf_put_oneline(out, nz(s->series));
        if (s->episode > 0) cw_buf_printf(out, ", episode %d", s->episode);
        cw_buf_puts(out, ")  teacher: ");
        cw_buf_put_oneline(out, s->teacher && s->teacher[0] ? s->teacher : "(not named)");
        if (s->status == CW_SLOT_PENDING) cw_buf_puts(out, "  [awaiting approval]");
        cw_buf_puts(out, "\n");
    }
    return out->oom ? CW_ENOMEM : 0;
}

/* ---- one message per teacher ------------------------------------------------------- */

static int cmp_teacher(const void *a, const void *b)
{
    const cw_slot_entry *x = *(const cw_slot_entry *const *)a, *y = *(const cw_slot_entry *const *)b;
    const char *tx = nz(x->slot.teacher), *ty = nz(y->slot.teacher);
    if (!*tx != !*ty) return *tx ? -1 : 1; /* no teacher last */
    int r = strcasecmp(tx, ty);
    if (r) return r;
    if ((r = strcmp(tx, ty)) != 0) return r;
    if (x->slot.start_utc != y->slot.start_utc) return x->slot.start_utc < y->slot.start_utc ? -1 : 1;
    return strcmp(nz(x->slot.event_uid), nz(y->slot.event_uid));
}

static void lesson_line(cw_buf *out, const cw_slot_entry *e)
{
    int y, m, d, hh, mm, wd;
    local_of(e, &y, &m, &d, &hh, &mm, &wd);
    cw_buf_printf(out, "- %s %d %s %d, %02d:%02d: ", wdays[wd], d, months[(m - 1) % 12], y, hh, mm);
    cw_buf_put_oneline(out, title_of(&e->slot));
    if (e->slot.episode > 0) cw_buf_printf(out, ", episode %d", e->slot.episode);
    if (e->slot.series && e->slot.series[0]) {
        cw_buf_puts(out, " (series ");
        cw_buf_put_oneline(out, e->slot.series);
        cw_buf_puts(out, ")");
    }
    cw_buf_puts(out, "\n");
}

int cw_chase_by_teacher(const cw_slot_list *l, const cw_station *st, cw_buf *out)
{
    const cw_slot_entry **v = malloc((l->n ? l->n : 1) * sizeof *v);
    if (!v) return CW_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i].slot.status == CW_SLOT_MISSING) v[n++] = &l->v[i]; /* awaiting approval: already sent */
    if (n > 1) qsort(v, n, sizeof *v, cmp_teacher);
    const char *station = st && st->name ? st->name : "the station";
    for (size_t i = 0; i < n;) {
        const char *t = nz(v[i]->slot.teacher);
        size_t j = i;
        while (j < n && !strcmp(nz(v[j]->slot.teacher), t)) j++;
        if (i) cw_buf_puts(out, "----------------------------------------\n");
        if (*t) {
            cw_buf_puts(out, "To: ");
            cw_buf_put_oneline(out, t);
            cw_buf_puts(out, "\nHello ");
            cw_buf_put_oneline(out, t);
            cw_buf_puts(out, ", this is ");
            cw_buf_put_oneline(out, station);
            cw_buf_printf(out, ". We have not yet received %s for %s:\n", j - i == 1 ? "the recording" : "the recordings",
                          j - i == 1 ? "this lesson" : "these lessons");
        } else {
            cw_buf_puts(out, "No teacher named (add 'Teacher: NAME' to the event's description in the calendar):\n");
        }
        for (size_t k = i; k < j; k++) lesson_line(out, v[k]);
        if (*t) {
            cw_buf_printf(out, "Please record %s and send %s to the station before %s on air. Thank you!\n",
                          j - i == 1 ? "it" : "them", j - i == 1 ? "it" : "them", j - i == 1 ? "it goes" : "they go");
            cw_buf_put_oneline(out, station);
            cw_buf_puts(out, "\n");
        }
        i = j;
    }
    free(v);
    return out->oom ? CW_ENOMEM : 0;
}
