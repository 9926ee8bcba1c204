/* changes.c — the station's own changes (calendars/station.ics): hold a series, restart it
 * at an episode, move or cancel one partner lesson. The file is chalkwave's own iCalendar
 * (one VEVENT per change, X-CHALKWAVE-CHANGE naming the action) so a calendar app can show
 * it, but only `chalkwave change` writes it; the reader accepts exactly that shape (folded
 * or not, CRLF or LF) and refuses anything else with the line.
 * Guarantees: the text is deterministic (DTSTAMP derived from the change, changes in the
 * order they were made); the file is replaced atomically; an empty list removes it. */
#include "scheduler_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define CHANGES_MAX_BYTES (1024 * 1024)
#define CHANGES_MAX 10000

static const char *nz(const char *s) { return s ? s : ""; }

static void change_clear(cw_station_change *c)
{
    free(c->id);
    free(c->series);
    free(c->event_file);
    free(c->event_uid);
    free(c->recurrence_id);
    free(c->note);
    memset(c, 0, sizeof *c);
}

void cw_station_changes_free(cw_station_changes *c)
{
    if (!c) return;
    for (size_t i = 0; i < c->n; i++) change_clear(&c->v[i]);
    free(c->v);
    memset(c, 0, sizeof *c);
}

static const char *action_name(cw_change_action a)
{
    return a == CW_CHANGE_HOLD ? "hold" : a == CW_CHANGE_RESTART ? "restart" : a == CW_CHANGE_MOVE ? "move" : "cancel";
}

/* ---- ids --------------------------------------------------------------------------- */

static void utc_stamp(int64_t t, char out[17])
{
    if (t < 0) t = 0;
    if (t > 253402300799LL) t = 253402300799LL; /* 9999-12-31T23:59:59Z */
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t sod = t - days * 86400;
    int y, m, d;
    cw_civil_from_days(days, &y, &m, &d);
    snprintf(out, 17, "%04u%02u%02uT%02u%02u%02uZ", (unsigned)y % 10000u, (unsigned)m % 100u, (unsigned)d % 100u,
             (unsigned)(sod / 3600) % 100u, (unsigned)(sod / 60 % 60), (unsigned)(sod % 60));
}

static void date_stamp(cw_date d, char out[9])
{
    snprintf(out, 9, "%04u%02u%02u", (unsigned)d.year % 10000u, (unsigned)d.month % 100u, (unsigned)d.day % 100u);
}

/* A readable id from the change's content: "hold-maths-g5-20261207", "move-<hash>". */
static char *make_id(const cw_station_change *c)
{
    char slug[64], ds[9];
    if (c->action == CW_CHANGE_HOLD || c->action == CW_CHANGE_RESTART) {
        cw_slugify(nz(c->series), slug, 40);
        date_stamp(c->from, ds);
        return cw_asprintf("%s-%s-%s", action_name(c->action), slug, ds);
    }
    char *key = cw_asprintf("%s\n%s\n%s\n%lld", nz(c->event_file), nz(c->event_uid), nz(c->recurrence_id),
                            (long long)c->orig_start);
    if (!key) return NULL;
    uint32_t h = cw_hash32(key, strlen(key));
    free(key);
    char when[17];
    utc_stamp(c->orig_start, when);
    when[8] = 0;
    return cw_asprintf("%s-%s-%08x", action_name(c->action), when, (unsigned)h);
}

int cw_station_changes_add(cw_station_changes *c, const cw_station_change *ch)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 8;
        cw_station_change *v = realloc(c->v, cap * sizeof *v);
        if (!v) return CW_ENOMEM;
        c->v = v;
        c->cap = cap;
    }
    cw_station_change *d = &c->v[c->n];
    *d = *ch;
    d->id = ch->id ? cw_strdup(ch->id) : make_id(ch);
    d->series = cw_strdup(nz(ch->series));
    d->event_file = cw_strdup(nz(ch->event_file));
    d->event_uid = cw_strdup(nz(ch->event_uid));
    d->recurrence_id = cw_strdup(nz(ch->recurrence_id));
    d->note = cw_strdup(nz(ch->note));
    if (!d->id || !d->series || !d->event_file || !d->event_uid || !d->recurrence_id || !d->note) {
        change_clear(d);
        return CW_ENOMEM;
    }
    /* ids are written as TEXT without control characters: drop them here, so two ids
     * that differ only in those are told apart now, not merged when read back */
    {
        char *w = d->id;
        for (const char *r = d->id; *r; r++)
            if ((unsigned char)*r >= 0x20 && *r != 0x7f) *w++ = *r;
        *w = 0;
        if (!d->id[0]) {
            free(d->id);
            d->id = make_id(ch);
            if (!d->id) {
                change_clear(d);
                return CW_ENOMEM;
            }
        }
    }
    /* a second change with the same id (the same hold twice) gets a suffix */
    for (int k = 2; k < 1000; k++) {
        int dup = 0;
        for (size_t i = 0; i < c->n && !dup; i++) dup = !strcmp(c->v[i].id, d->id);
        if (!dup) break;
        char *base = d->id;
        char *tail = strrchr(base, '~');
        d->id = cw_asprintf("%.*s~%d", tail ? (int)(tail - base) : (int)strlen(base), base, k);
        free(base);
        if (!d->id) {
            change_clear(d);
            return CW_ENOMEM;
        }
    }
    c->n++;
    return 0;
}

int cw_station_changes_remove(cw_station_changes *c, const char *id)
{
    for (size_t i = 0; i < c->n; i++)
        if (!strcmp(c->v[i].id, id)) {
            change_clear(&c->v[i]);
            memmove(&c->v[i], &c->v[i + 1], (c->n - i - 1) * sizeof *c->v);
            c->n--;
            return 0;
        }
    return CW_ENOTFOUND;
}

const cw_station_change *cw_changes_hold_on(const cw_station_changes *c, const char *series, cw_date d)
{
    const cw_station_change *found = NULL;
    for (size_t i = 0; c && i < c->n; i++) {
        const cw_station_change *x = &c->v[i];
        if (x->action != CW_CHANGE_HOLD || !cw_series_eq(x->series, series)) continue;
        if (cw_date_cmp(d, x->from) < 0 || (x->until.year && cw_date_cmp(d, x->until) > 0)) continue;
        found = x;
    }
    return found;
}

/* ---- writing ----------------------------------------------------------------------- */

/* A TEXT value escaped (RFC 5545 §3.3.11), control characters dropped. */
static void put_text(cw_buf *b, const char *s)
{
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '\\' || ch == ';' || ch == ',') {
            cw_buf_append(b, "\\", 1);
            cw_buf_append(b, s, 1);
        } else if (ch == '\n') {
            cw_buf_puts(b, "\\n");
        } else if (ch >= 0x20 && ch != 0x7f) {
            cw_buf_append(b, s, 1);
        }
    }
}

/* One content line "NAME:value" folded at 75 octets (never inside a UTF-8 sequence). */
static void put_line(cw_buf *b, const char *name, const char *value, int text)
{
    cw_buf l;
    cw_buf_init(&l);
    cw_buf_puts(&l, name);
    cw_buf_append(&l, ":", 1);
    if (text) put_text(&l, value);
    else cw_buf_puts(&l, value);
    if (l.oom) b->oom = 1;
    size_t col = 0;
    for (size_t i = 0; i < l.len;) {
        size_t k = 1;
        unsigned char ch = (unsigned char)l.data[i];
        if (ch >= 0xc0) k = ch >= 0xf0 ? 4 : ch >= 0xe0 ? 3 : 2;
        if (i + k > l.len) k = l.len - i;
        if (col + k > 75) {
            cw_buf_puts(b, "\r\n ");
            col = 1;
        }
        cw_buf_append(b, l.data + i, k);
        col += k;
        i += k;
    }
    cw_buf_puts(b, "\r\n");
    cw_buf_free(&l);
}

int cw_station_changes_to_ics(const cw_station_changes *c, const char *timezone, cw_buf *out)
{
    cw_buf_puts(out, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//chalkwave//station changes//EN\r\n");
    put_line(out, "X-WR-CALNAME", "Station changes", 1);
    put_line(out, "X-WR-TIMEZONE", nz(timezone), 1);
    for (size_t i = 0; i < c->n; i++) {
        const cw_station_change *x = &c->v[i];
        char a[17], b[17], d1[9], d2[9];
        cw_buf_puts(out, "BEGIN:VEVENT\r\n");
        put_line(out, "UID", nz(x->id), 1);
        if (x->action == CW_CHANGE_HOLD || x->action == CW_CHANGE_RESTART) {
            date_stamp(x->from, d1);
            cw_buf_printf(out, "DTSTAMP:%sT000000Z\r\nDTSTART;VALUE=DATE:%s\r\n", d1, d1);
            if (x->action == CW_CHANGE_HOLD && x->until.year) {
                date_stamp(cw_date_add_days(x->until, 1), d2);
                cw_buf_printf(out, "DTEND;VALUE=DATE:%s\r\n", d2);
            }
        } else {
            utc_stamp(x->action == CW_CHANGE_MOVE ? x->start : x->orig_start, a);
            utc_stamp(x->action == CW_CHANGE_MOVE ? x->end : x->orig_start, b);
            char o[17];
            utc_stamp(x->orig_start, o);
            cw_buf_printf(out, "DTSTAMP:%s\r\nDTSTART:%s\r\n", o, a);
            if (x->action == CW_CHANGE_MOVE) cw_buf_printf(out, "DTEND:%s\r\n", b);
            else cw_buf_puts(out, "STATUS:CANCELLED\r\n");
        }
        /* the summary is for people; built whole (never cut), so it reads back the same */
        char *summary;
        if (x->action == CW_CHANGE_HOLD)
            summary = cw_asprintf("Hold %s", nz(x->series));
        else if (x->action == CW_CHANGE_RESTART)
            summary = cw_asprintf("Restart %s at episode %d", nz(x->series), x->episode);
        else
            summary = cw_asprintf("%s %s (%s)", x->action == CW_CHANGE_MOVE ? "Moved:" : "Cancelled:",
                                  nz(x->event_uid), nz(x->event_file));
        if (!summary) out->oom = 1;
        put_line(out, "SUMMARY", nz(summary), 1);
        free(summary);
        if (x->note && x->note[0]) put_line(out, "DESCRIPTION", x->note, 1);
        put_line(out, "X-CHALKWAVE-CHANGE", action_name(x->action), 0);
        if (x->action == CW_CHANGE_HOLD || x->action == CW_CHANGE_RESTART) {
            put_line(out, "X-CHALKWAVE-SERIES", x->series, 1);
            if (x->action == CW_CHANGE_RESTART) cw_buf_printf(out, "X-CHALKWAVE-EPISODE:%d\r\n", x->episode);
        } else {
            put_line(out, "X-CHALKWAVE-TARGET-FILE", x->event_file, 1);
            put_line(out, "X-CHALKWAVE-TARGET-UID", x->event_uid, 1);
            if (x->recurrence_id && x->recurrence_id[0])
                put_line(out, "X-CHALKWAVE-TARGET-RECURRENCE-ID", x->recurrence_id, 1);
            utc_stamp(x->orig_start, a);
            cw_buf_printf(out, "X-CHALKWAVE-TARGET-START:%s\r\n", a);
        }
        cw_buf_puts(out, "END:VEVENT\r\n");
    }
    cw_buf_puts(out, "END:VCALENDAR\r\n");
    return out->oom ? CW_ENOMEM : 0;
}

int cw_station_changes_save(const cw_station_changes *c, const char *station_dir, const char *timezone,
                            cw_error *err)
{
    char *path = cw_asprintf("%s/calendars/%s", station_dir, CW_STATION_CHANGES_FILE);
    if (!path) return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    int rc = 0;
    if (!c->n) {
        if (unlink(path) && errno != ENOENT)
            rc = cw_fail(err, CW_EIO, path, 0, "cannot remove the file: %s", strerror(errno));
        free(path);
        return rc;
    }
    cw_buf b;
    cw_buf_init(&b);
    rc = cw_station_changes_to_ics(c, timezone, &b);
    if (rc) rc = cw_fail(err, rc, path, 0, "out of memory");
    else rc = cw_write_file_atomic(path, b.data, b.len, err);
    cw_buf_free(&b);
    free(path);
    return rc;
}

/* ---- reading ----------------------------------------------------------------------- */

typedef struct reader {
    const char *source;
    cw_error *err;
    cw_station_change cur;
    int in_event, event_line, have_start, have_end, have_tstart, start_is_date;
    cw_date start_date, end_date;
    int64_t start_utc, end_utc;
    char *action;
} reader;

static int rfail(reader *r, int line, const char *what)
{
    return cw_fail(r->err, CW_EINVAL, r->source, line, "%s (station.ics is written by 'chalkwave change'; fix or "
                   "remove the change with 'chalkwave change remove ID')", what);
}

/* TEXT value unescaped; NULL when out of memory. */
static char *unescape(const char *v)
{
    char *o = malloc(strlen(v) + 1), *w = o;
    if (!o) return NULL;
    for (; *v; v++) {
        if (*v == '\\' && v[1]) {
            v++;
            *w++ = *v == 'n' || *v == 'N' ? '\n' : *v;
        } else {
            *w++ = *v;
        }
    }
    *w = 0;
    return o;
}

static int parse_date8(const char *v, cw_date *d)
{
    char s[11];
    if (strlen(v) != 8 || strspn(v, "0123456789") != 8) return -1;
    snprintf(s, sizeof s, "%.4s-%.2s-%.2s", v, v + 4, v + 6);
    return cw_date_parse(s, d);
}

static int parse_utc(const char *v, int64_t *t)
{
    cw_date d;
    char ds[9];
    if (strlen(v) != 16 || v[8] != 'T' || v[15] != 'Z' || strspn(v + 9, "0123456789") != 6) return -1;
    memcpy(ds, v, 8);
    ds[8] = 0;
    if (parse_date8(ds, &d)) return -1;
    int h = (v[9] - '0') * 10 + (v[10] - '0'), m = (v[11] - '0') * 10 + (v[12] - '0'), s = (v[13] - '0') * 10 + (v[14] - '0');
    if (h > 23 || m > 59 || s > 59) return -1;
    *t = cw_days_from_civil(d.year, d.month, d.day) * 86400 + h * 3600 + m * 60 + s;
    return 0;
}

static int set_owned(char **dst, const char *v)
{
    free(*dst);
    *dst = unescape(v);
    return *dst ? 0 : CW_ENOMEM;
}

/* One property of a VEVENT. */
static int prop(reader *r, int line, const char *name, const char *params, const char *v)
{
    cw_station_change *c = &r->cur;
    int is_date = params && strcasestr(params, "VALUE=DATE") && !strcasestr(params, "VALUE=DATE-TIME");
    if (!strcasecmp(name, "UID")) return set_owned(&c->id, v);
    if (!strcasecmp(name, "DESCRIPTION")) return set_owned(&c->note, v);
    if (!strcasecmp(name, "X-CHALKWAVE-CHANGE")) return set_owned(&r->action, v);
    if (!strcasecmp(name, "X-CHALKWAVE-SERIES")) return set_owned(&c->series, v);
    if (!strcasecmp(name, "X-CHALKWAVE-TARGET-FILE")) return set_owned(&c->event_file, v);
    if (!strcasecmp(name, "X-CHALKWAVE-TARGET-UID")) return set_owned(&c->event_uid, v);
    if (!strcasecmp(name, "X-CHALKWAVE-TARGET-RECURRENCE-ID")) return set_owned(&c->recurrence_id, v);
    if (!strcasecmp(name, "X-CHALKWAVE-EPISODE")) {
        char *end;
        errno = 0;
        long e = strtol(v, &end, 10);
        if (errno || end == v || *end || e < 1 || e > 1000000) return rfail(r, line, "X-CHALKWAVE-EPISODE is not an episode number");
        c->episode = (int)e;
        return 0;
    }
    if (!strcasecmp(name, "X-CHALKWAVE-TARGET-START")) {
        if (parse_utc(v, &c->orig_start)) return rfail(r, line, "X-CHALKWAVE-TARGET-START is not a UTC time (YYYYMMDDTHHMMSSZ)");
        r->have_tstart = 1;
        return 0;
    }
    if (!strcasecmp(name, "DTSTART") || !strcasecmp(name, "DTEND")) {
        int start = !strcasecmp(name, "DTSTART");
        cw_date d;
        int64_t t;
        if (is_date || strlen(v) == 8) {
            if (parse_date8(v, &d)) return rfail(r, line, "a date here must be YYYYMMDD");
            if (start) r->start_date = d, r->start_is_date = 1;
            else r->end_date = d;
        } else {
            if (parse_utc(v, &t)) return rfail(r, line, "a time here must be UTC (YYYYMMDDTHHMMSSZ)");
            if (start) r->start_utc = t, r->start_is_date = 0;
            else r->end_utc = t;
        }
        if (start) r->have_start = 1;
        else r->have_end = 1;
    }
    return 0; /* DTSTAMP, SUMMARY, STATUS and anything else: not needed */
}

/* The VEVENT just ended: check it has what its action needs, then keep it. */
static int end_event(reader *r, cw_station_changes *out)
{
    cw_station_change *c = &r->cur;
    int line = r->event_line;
    const char *a = r->action ? r->action : "";
    if (!c->id || !c->id[0]) return rfail(r, line, "a change has no UID");
    if (!strcasecmp(a, "hold") || !strcasecmp(a, "restart")) {
        c->action = !strcasecmp(a, "hold") ? CW_CHANGE_HOLD : CW_CHANGE_RESTART;
        if (!r->have_start || !r->start_is_date) return rfail(r, line, "a hold or restart needs DTSTART;VALUE=DATE");
        if (!c->series || !c->series[0]) return rfail(r, line, "a hold or restart needs X-CHALKWAVE-SERIES");
        c->from = r->start_date;
        if (c->action == CW_CHANGE_RESTART && c->episode < 1) return rfail(r, line, "a restart needs X-CHALKWAVE-EPISODE");
        if (c->action == CW_CHANGE_HOLD && r->have_end) {
            if (cw_date_cmp(r->end_date, r->start_date) <= 0) return rfail(r, line, "a hold's DTEND must be after its DTSTART");
            c->until = cw_date_add_days(r->end_date, -1);
        }
    } else if (!strcasecmp(a, "move") || !strcasecmp(a, "cancel")) {
        c->action = !strcasecmp(a, "move") ? CW_CHANGE_MOVE : CW_CHANGE_CANCEL;
        if (!c->event_file || !c->event_file[0] || !c->event_uid || !c->event_uid[0] || !r->have_tstart)
            return rfail(r, line, "a move or cancel needs X-CHALKWAVE-TARGET-FILE, -UID and -START");
        if (c->action == CW_CHANGE_MOVE) {
            if (!r->have_start || !r->have_end || r->start_is_date || r->end_utc <= r->start_utc)
                return rfail(r, line, "a move needs DTSTART and a later DTEND in UTC");
            c->start = r->start_utc;
            c->end = r->end_utc;
        }
    } else {
        return rfail(r, line, "X-CHALKWAVE-CHANGE must be hold, restart, move or cancel");
    }
    if (out->n >= CHANGES_MAX) return rfail(r, line, "more than 10000 changes");
    int rc = cw_station_changes_add(out, c);
    change_clear(c);
    return rc;
}

/* Next logical line (unfolded) into *buf; its first physical line number in *line. */
static int next_line(const char **p, const char *end, cw_buf *buf, int *lineno, int *line)
{
    buf->len = 0;
    if (*p >= end) return 0;
    *line = ++*lineno;
    for (;;) {
        const char *nl = memchr(*p, '\n', (size_t)(end - *p));
        const char *e = nl ? nl : end;
        size_t n = (size_t)(e - *p);
        if (n && (*p)[n - 1] == '\r') n--;
        cw_buf_append(buf, *p, n);
        *p = nl ? nl + 1 : end;
        if (*p < end && (**p == ' ' || **p == '\t')) {
            (*p)++;
            ++*lineno;
            continue;
        }
        break;
    }
    cw_buf_append(buf, "", 1);
    return 1;
}

int cw_station_changes_parse(cw_station_changes *out, const char *text, size_t len, const char *source,
                             cw_error *err)
{
    memset(out, 0, sizeof *out);
    reader r;
    memset(&r, 0, sizeof r);
    r.source = source;
    r.err = err;
    if (len > CHANGES_MAX_BYTES) return cw_fail(err, CW_ELIMIT, source, 0, "the file is larger than 1 MiB");
    if (memchr(text, 0, len) || !cw_utf8_valid(text, len))
        return cw_fail(err, CW_EINVAL, source, 0, "the file is not UTF-8 text (it is written by 'chalkwave change')");
    cw_buf b;
    cw_buf_init(&b);
    const char *p = text, *end = text + len;
    int lineno = 0, line = 0, rc = 0, in_cal = 0, depth = 0;
    while (!rc && next_line(&p, end, &b, &lineno, &line)) {
        char *s = b.data;
        if (!*s) continue;
        char *colon = strchr(s, ':');
        if (!colon) {
            rc = rfail(&r, line, "a line is not NAME:VALUE");
            break;
        }
        *colon = 0;
        char *params = strchr(s, ';');
        if (params) *params++ = 0;
        const char *v = colon + 1;
        if (!strcasecmp(s, "BEGIN")) {
            if (!strcasecmp(v, "VCALENDAR") && !in_cal && !depth) in_cal = 1;
            else if (!strcasecmp(v, "VEVENT") && in_cal && !r.in_event) {
                r.in_event = 1, r.event_line = line;
                r.have_start = r.have_end = r.have_tstart = r.start_is_date = 0;
                free(r.action), r.action = NULL;
            } else if (in_cal) depth++; /* another component: skipped */
            else rc = rfail(&r, line, "the file does not start with BEGIN:VCALENDAR");
        } else if (!strcasecmp(s, "END")) {
            if (depth) depth--;
            else if (!strcasecmp(v, "VEVENT") && r.in_event) {
                r.in_event = 0;
                rc = end_event(&r, out);
            } else if (!strcasecmp(v, "VCALENDAR") && in_cal && !r.in_event) in_cal = 2;
            else rc = rfail(&r, line, "END does not match its BEGIN");
        } else if (!in_cal) {
            rc = rfail(&r, line, "the file does not start with BEGIN:VCALENDAR");
        } else if (r.in_event && !depth) {
            rc = prop(&r, line, s, params, v);
            if (rc == CW_ENOMEM) rc = cw_fail(err, CW_ENOMEM, source, line, "out of memory");
        }
    }
    if (!rc && b.oom) rc = cw_fail(err, CW_ENOMEM, source, 0, "out of memory");
    if (!rc && in_cal != 2) rc = rfail(&r, lineno, "the file ends before END:VCALENDAR");
    change_clear(&r.cur);
    free(r.action);
    cw_buf_free(&b);
    if (rc) cw_station_changes_free(out);
    return rc;
}

int cw_station_changes_load(cw_station_changes *out, const char *station_dir, cw_error *err)
{
    memset(out, 0, sizeof *out);
    char *path = cw_asprintf("%s/calendars/%s", station_dir, CW_STATION_CHANGES_FILE);
    if (!path) return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    char *text = NULL;
    size_t len = 0;
    int rc = cw_read_file(path, CHANGES_MAX_BYTES, &text, &len, err);
    if (rc == CW_ENOTFOUND) {
        cw_error_clear(err);
        rc = 0;
    } else if (!rc) {
        rc = cw_station_changes_parse(out, text, len, path, err);
    }
    free(text);
    free(path);
    return rc;
}
