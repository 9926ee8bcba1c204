/* plan_core.c — the planner core: occurrences + series positions + library + settings ->
 * the day's items over the on-air windows, in samples at the station rate, and a slot for
 * every event instance. Day mode fills every window without gaps; blocks mode plans only
 * the partner events (fill inside an event's slot, never between events).
 * Guarantees: pure (no clock, no randomness; reads the disk only to check that an ATTACH
 * does not leave the library through a symlink); every decision that costs airtime is a
 * warning with a plan.* code; items never overlap and stay inside the windows, and in day
 * mode cover them exactly. The rules are documented in README.md ("Calendar to
 * recording") — keep both in step. */
#include "plan_ctx.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ----------------------------------------------------------------- */

const char *cw_pc_nz(const char *s) { return s ? s : ""; }
#define nz cw_pc_nz

int64_t cw_sched_rec_samples(const cw_recording *r, int rate)
{
    if (!r || r->rate <= 0 || r->length_samples <= 0 || rate <= 0) return 0;
    if (r->rate == rate) return r->length_samples;
    /* Played resampled by the bundle; lengths fit easily: 4 h at 192 kHz times 192000. */
    if (r->length_samples > INT64_MAX / rate) return 0;
    return r->length_samples * rate / r->rate;
}

void cw_pc_local_str(const ctx *c, int64_t utc, int with_date, char out[32])
{
    int off = cw_sched_offset_at(c->in->start_offset, c->in->tz_changes, c->in->n_tz_changes, utc);
    int64_t l = utc + off;
    int64_t days = l >= 0 ? l / 86400 : -((-l + 86399) / 86400);
    int64_t sod = l - days * 86400;
    int y, m, d;
    cw_civil_from_days(days, &y, &m, &d);
    if (with_date)
        snprintf(out, 32, "%04d-%02d-%02d %02d:%02d", y, m, d, (int)(sod / 3600), (int)(sod / 60 % 60));
    else
        snprintf(out, 32, "%02d:%02d", (int)(sod / 3600), (int)(sod / 60 % 60));
}

/* Local "HH:MM:SS[.mmm]" of a sample offset. */
void cw_pc_sample_str(const ctx *c, int64_t off, char out[32])
{
    char iso[32];
    int64_t sec = c->in->window_start + off / c->rate;
    int offs = cw_sched_offset_at(c->in->start_offset, c->in->tz_changes, c->in->n_tz_changes, sec);
    cw_sched_format_time(sec, off % c->rate, c->rate, offs, 0, iso);
    /* "YYYY-MM-DDTHH:MM:SS[.mmm]+HH:MM" -> the time part */
    size_t n = strlen(iso);
    size_t end = n >= 6 ? n - 6 : n;
    size_t len = end > 11 ? end - 11 : 0;
    if (len > 31) len = 31;
    memcpy(out, iso + 11, len);
    out[len] = 0;
}

void cw_pc_dur_str(int64_t samples, int rate, char out[32])
{
    int64_t ms = samples * 1000 / rate;
    int64_t s = ms / 1000;
    if (s >= 3600)
        snprintf(out, 32, "%d:%02d:%02d.%d", (int)(s / 3600), (int)(s / 60 % 60), (int)(s % 60),
                 (int)(ms % 1000 / 100));
    else
        snprintf(out, 32, "%d:%02d.%d", (int)(s / 60), (int)(s % 60), (int)(ms % 1000 / 100));
}

/* "lesson 'Fractions' (maths.ics, uid X)" */
void cw_pc_ev_desc(const cw_occurrence *o, cw_kind kind, char *out, size_t n)
{
    snprintf(out, n, "%s '%.200s' (%.200s, uid %.200s)",
             kind == CW_KIND_NEWSLETTER ? "newsletter slot" : kind == CW_KIND_FILLER ? "filler slot" : cw_kind_name(kind),
             o->summary && o->summary[0] ? o->summary : "(no title)", nz(o->file), nz(o->uid));
}

/* A warning of the plan (and of item `it` when given): the event's file, line and UID are
 * its source; without an event, the item's recording. */
void cw_pc_warn(ctx *c, cw_plan_item *it, cw_diag_severity sev, const char *code, const cw_occurrence *o,
                const char *fmt, ...)
{
    cw_buf b;
    cw_buf_init(&b);
    va_list ap;
    va_start(ap, fmt);
    cw_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    const char *file = o ? o->file : it ? it->recording : NULL;
    int line = o ? o->line : 0;
    const char *item = o ? o->uid : NULL;
    const char *text = b.data ? b.data : "";
    if (b.oom || cw_diags_add(&c->p->warnings, sev, code, file, line, item, text)) c->oom = 1;
    if (it && !c->oom && cw_diags_add(&it->warnings, sev, code, file, line, item, text)) c->oom = 1;
    cw_buf_free(&b);
}

/* ---- items ------------------------------------------------------------------------- */

static cw_plan_item *add_item(ctx *c, cw_kind kind, int64_t off, int64_t len, const cw_recording *r,
                              const cw_occurrence *o)
{
    cw_plan *p = c->p;
    if (c->oom || len <= 0) return NULL;
    if (p->n_items == c->items_cap) {
        size_t cap = c->items_cap ? c->items_cap * 2 : 16;
        cw_plan_item *v = realloc(p->items, cap * sizeof *v);
        if (!v) {
            c->oom = 1;
            return NULL;
        }
        p->items = v;
        c->items_cap = cap;
    }
    cw_plan_item *it = &p->items[p->n_items++];
    memset(it, 0, sizeof *it);
    it->offset_samples = off;
    it->length_samples = len;
    it->start_utc_ms = c->in->window_start * 1000 + off * 1000 / c->rate;
    it->kind = kind;
    const char *lang = "";
    if (r) {
        it->recording = cw_strdup(r->path);
        it->recording_samples = cw_sched_rec_samples(r, c->rate);
        it->title = cw_strdup(r->title && r->title[0] ? r->title : (o && o->summary ? o->summary : ""));
        it->teacher = cw_strdup(r->teacher && r->teacher[0] ? r->teacher : (o ? nz(o->teacher) : ""));
        it->series = cw_strdup(nz(r->series));
        it->episode = r->episode;
        lang = r->language && r->language[0] ? r->language : (o && o->language && o->language[0] ? o->language : nz(c->st->language));
    } else {
        it->title = cw_strdup(o ? nz(o->summary) : "");
        it->teacher = cw_strdup("");
        it->series = cw_strdup("");
    }
    it->language = cw_strdup(lang);
    if (o) {
        it->event_file = cw_strdup(nz(o->file));
        it->event_uid = cw_strdup(nz(o->uid));
        if (o->recurrence_id && o->recurrence_id[0]) it->event_recurrence_id = cw_strdup(o->recurrence_id);
        if (!it->event_file || !it->event_uid || (o->recurrence_id && o->recurrence_id[0] && !it->event_recurrence_id))
            c->oom = 1;
    }
    if (!it->title || !it->teacher || !it->series || !it->language || (r && !it->recording)) c->oom = 1;
    return c->oom ? NULL : it;
}

/* Fill [a, b) with the fill policy: newsletters (when allowed), fillers in rotation, then
 * silence when `silence` (else what no filler fits stays uncovered: blocks mode). `o` is
 * the event the fill stands in for (NULL for plain gaps). Returns where the fill ends. */
static int64_t fill(ctx *c, int64_t a, int64_t b, const cw_occurrence *o, int allow_news, int silence)
{
    int64_t pos = a;
    if (b <= a) return a;
    if (allow_news && c->st->newsletters_fill_gaps) {
        for (size_t i = 0; i < c->news.n && pos < b; i++) {
            if (c->news.used[i] || c->news.len[i] <= 0 || c->news.len[i] > b - pos) continue;
            if (c->p->n_items >= CW_PLAN_MAX_ITEMS) break;
            c->news.used[i] = 1;
            add_item(c, CW_KIND_NEWSLETTER, pos, c->news.len[i], c->news.v[i], o);
            pos += c->news.len[i];
        }
    }
    pool *f = &c->fillers;
    while (f->n && b - pos >= f->min_len && c->p->n_items < CW_PLAN_MAX_ITEMS && !c->oom) {
        size_t found = SIZE_MAX;
        for (size_t k = 0; k < f->n; k++) {
            size_t i = (c->filler_cursor + k) % f->n;
            if (f->len[i] <= b - pos) {
                found = i;
                break;
            }
        }
        if (found == SIZE_MAX) break;
        add_item(c, CW_KIND_FILLER, pos, f->len[found], f->v[found], o);
        pos += f->len[found];
        c->filler_cursor = (found + 1) % f->n;
    }
    if (pos < b && silence) {
        add_item(c, CW_KIND_SILENCE, pos, b - pos, NULL, o);
        pos = b;
    }
    return pos;
}

/* A gap between events: in day mode the parts of [a, b) inside the on-air windows get the
 * fill policy; in blocks mode nothing (the station's own programming). */
static void gap(ctx *c, int64_t a, int64_t b)
{
    if (c->blocks) return;
    for (size_t k = 0; k < c->nwin; k++) {
        int64_t lo = a > c->wlo[k] ? a : c->wlo[k], hi = b < c->whi[k] ? b : c->whi[k];
        if (lo < hi) fill(c, lo, hi, NULL, 1, 1);
    }
}

/* Play recording r from t, cut at `limit`. Returns the end. */
static int64_t play(ctx *c, cand *sl, const cw_recording *r, int64_t t, int64_t limit, const char *next_desc,
                    int repeat, int standin)
{
    int64_t len = cw_sched_rec_samples(r, c->rate);
    cw_kind kind = r->kind == CW_KIND_NONE || r->kind == CW_KIND_SILENCE || r->kind == CW_KIND_BLACKOUT
                       ? CW_KIND_LESSON
                       : r->kind;
    if (sl && sl->kind == CW_KIND_LESSON && !standin) kind = CW_KIND_LESSON;
    int64_t avail = limit - t;
    if (avail <= 0) return t;
    int cut = len > avail;
    cw_plan_item *it = add_item(c, kind, t, cut ? avail : len, r, sl ? sl->o : NULL);
    if (!it) return t + (cut ? avail : len);
    it->hard_start = sl && sl->hard && t == sl->s0;
    it->repeat = repeat;
    if (cut) {
        it->cut = 1;
        double fade = c->st->fade;
        double secs = (double)avail / c->rate;
        it->fade_out = fade < secs ? fade : secs;
        char over[32], at[32];
        cw_pc_dur_str(len - avail, c->rate, over);
        cw_pc_sample_str(c, limit, at);
        cw_pc_warn(c, it, CW_DIAG_WARNING, "plan.overrun-cut", sl ? sl->o : NULL,
                   "recording '%s' ('%s') overruns by %s: cut at %s%s%s with a %.2g s fade", r->path, nz(r->title),
                   over, at, next_desc ? " for " : c->blocks && sl ? " at the end of its slot" : " at the end of the on-air window",
                   next_desc ? next_desc : "", it->fade_out);
    }
    return t + it->length_samples;
}

/* ---- what a missing lesson got ------------------------------------------------------ */

/* What the items [first, end) are, in words, for the missing-recording warning and reason. */
static void fallback_words(const ctx *c, size_t first, size_t end, char *out, size_t n)
{
    int fillers = 0, news = 0, silence = 0, announce = 0;
    for (size_t i = first; i < end; i++) {
        const cw_plan_item *it = &c->p->items[i];
        if (it->kind == CW_KIND_SILENCE) silence = 1;
        else if (c->st->missing == CW_MISSING_ANNOUNCEMENT && c->unavailable && it->recording &&
                 !strcmp(it->recording, c->unavailable->path))
            announce = 1;
        else if (it->kind == CW_KIND_NEWSLETTER) news = 1;
        else fillers = 1;
    }
    const char *why_silence = c->st->missing == CW_MISSING_SILENCE ? "the station's 'missing = silence' policy"
                              : !c->fillers.n                      ? "the library has no fillers"
                                                                   : "no filler is short enough";
    if (first == end)
        snprintf(out, n, "nothing: the station's own programming airs (%s)",
                 !c->fillers.n ? "the library has no fillers" : "no filler is short enough");
    else if (!fillers && !news && !announce)
        snprintf(out, n, "silence: %s", why_silence);
    else
        snprintf(out, n, "%s%s%s%s", announce ? "the 'lesson unavailable' announcement" : "",
                 announce && (fillers || news) ? " and " : "", fillers || news ? "fillers" : "",
                 silence ? (c->blocks ? "" : ", then silence") : "");
}

static void report_missing(ctx *c, cand *x)
{
    char d[700], when[32], what[200];
    cw_pc_ev_desc(x->o, x->kind, d, sizeof d);
    cw_pc_local_str(c, x->o->start, 1, when);
    fallback_words(c, x->first_item, x->first_item + x->n_items, what, sizeof what);
    if (x->missing_why[0]) {
        cw_pc_warn(c, NULL, CW_DIAG_WARNING, "plan.no-recording-named", x->o, "%s at %s %s; instead plays %s", d,
                   when, x->missing_why, what);
        snprintf(x->reason, sizeof x->reason, "it %.380s; instead plays %.200s", x->missing_why, what);
    } else if (x->pending) {
        cw_pc_warn(c, NULL, CW_DIAG_WARNING, "plan.awaiting-approval", x->o,
                   "awaiting approval: series '%s' episode %d for %s on %s (%s); instead plays %s until it is approved "
                   "(listen to it and approve it on the desk)",
                   x->o->series, x->episode, d, when, x->pending->path, what);
        snprintf(x->reason, sizeof x->reason, "its recording (series '%.100s' episode %d) is awaiting approval; instead plays %s",
                 x->o->series, x->episode, what);
    } else {
        cw_pc_warn(c, NULL, CW_DIAG_WARNING, "plan.missing-recording", x->o,
                   "missing recording: series '%s' episode %d for %s on %s; instead plays %s "
                   "(ingest it: chalkwave ingest --series %s --episode %d FILE)",
                   x->o->series, x->episode, d, when, what, x->o->series, x->episode);
        snprintf(x->reason, sizeof x->reason, "the recording of series '%.100s' episode %d has not arrived; instead plays %s",
                 x->o->series, x->episode, what);
    }
    if (c->st->missing == CW_MISSING_ANNOUNCEMENT && !c->unavailable)
        cw_pc_warn(c, NULL, CW_DIAG_WARNING, "plan.announcement-missing", x->o,
                   "the 'lesson unavailable' announcement (series '%s') is not in the library; playing fillers "
                   "(ingest it with --series %s)", nz(c->st->unavailable), nz(c->st->unavailable));
}

/* ---- candidates ---------------------------------------------------------------------- */

/* Index of the window whose span holds UTC second t, or -1. */
static int window_of(const ctx *c, int64_t t)
{
    int64_t off = (t - c->in->window_start) * c->rate;
    for (size_t k = 0; k < c->nwin; k++)
        if (c->wlo[k] <= off && off < c->whi[k]) return (int)k;
    return -1;
}

/* Decide which occurrences compete for airtime; the others get their slot status now. */
static void make_candidate(ctx *c, cand *x)
{
    const cw_sched_input *in = c->in;
    const cw_occurrence *o = x->o;
    char d[700], when[32];
    x->state = 2;
    x->win = -1;
    if (x->kind == CW_KIND_BLACKOUT) {
        x->status = CW_SLOT_BLACKOUT;
        return;
    }
    if (o->skipped && o->skipped[0]) {
        x->status = CW_SLOT_SKIPPED;
        snprintf(x->reason, sizeof x->reason, "the partner's calendar entry could not be read: %s", o->skipped);
        cw_pc_ev_desc(o, x->kind, d, sizeof d);
        cw_pc_warn(c, NULL, CW_DIAG_WARNING, "plan.event-skipped", o,
                   "%s on %s does not air: its calendar entry could not be read (%s; ask the partner to fix it, "
                   "see 'chalkwave calendar check')", d, c->datestr, o->skipped);
        return;
    }
    if (o->cancelled) {
        x->status = CW_SLOT_CANCELLED;
        snprintf(x->reason, sizeof x->reason, "%s", x->note && x->note->station_cancelled
                                                         ? "cancelled by the station (chalkwave change cancel)"
                                                         : "cancelled in the partner's calendar (STATUS:CANCELLED)");
        return;
    }
    if (o->all_day) {
        x->status = CW_SLOT_SKIPPED;
        snprintf(x->reason, sizeof x->reason, "an all-day event has no air time");
        cw_pc_ev_desc(o, x->kind, d, sizeof d);
        cw_pc_warn(c, NULL, CW_DIAG_WARNING, "plan.all-day-event", o,
                   "%s on %s is an all-day event: it has no air time and is ignored (give it a start and "
                   "end time, or make it a blackout)", d, c->datestr);
        return;
    }
    const cw_station_change *hold = x->kind == CW_KIND_LESSON && o->series && o->series[0]
                                        ? cw_changes_hold_on(in->changes, o->series, in->date)
                                        : NULL;
    int k = window_of(c, o->start);
    if (k < 0) {
        x->status = CW_SLOT_OFF_AIR;
        cw_pc_local_str(c, o->start, 0, when);
        snprintf(x->reason, sizeof x->reason, "it starts at %s, outside the station's on-air hours", when);
        /* an event still running into a window is worth a word: it looks as if it airs */
        for (size_t w = 0; w < c->nwin; w++) {
            int64_t ws = in->window_start + c->wlo[w] / c->rate;
            if (o->start < ws && o->end > ws) {
                cw_pc_ev_desc(o, x->kind, d, sizeof d);
                cw_pc_local_str(c, o->start, 1, when);
                cw_pc_warn(c, NULL, CW_DIAG_WARNING, "plan.starts-before-window", o,
                           "%s starts at %s, before the on-air window; not played (move it into the window)", d,
                           when);
                break;
            }
        }
        return;
    }
    if (hold) {
        char until[11] = "";
        if (hold->until.year) cw_date_format(hold->until, until);
        char from[11];
        cw_date_format(hold->from, from);
        x->status = CW_SLOT_HELD;
        snprintf(x->reason, sizeof x->reason, "series '%.100s' is held by the station from %s%s%s", o->series, from,
                 until[0] ? " to " : "", until);
        cw_pc_ev_desc(o, x->kind, d, sizeof d);
        cw_pc_local_str(c, o->start, 1, when);
        cw_pc_warn(c, NULL, CW_DIAG_INFO, "plan.held", o, "station change: %s at %s does not air: %s (change %s)", d,
                   when, x->reason, nz(hold->id));
        return;
    }
    x->win = k;
    x->s0 = x->s = (o->start - in->window_start) * c->rate;
    int64_t we = c->whi[k];
    int64_t e = (o->end - in->window_start) * c->rate;
    if (e > we) e = we;
    x->e0 = x->e = e > x->s ? e : x->s;
    x->state = 0;
}

/* Blackouts suppress lessons that start in their span. */
static void blackouts(ctx *c, cand **bystart, size_t ncand)
{
    const cw_sched_input *in = c->in;
    for (size_t i = 0; i < ncand; i++) {
        cand *x = bystart[i];
        if (x->kind != CW_KIND_LESSON) continue;
        for (size_t j = 0; j < in->n_occ; j++) {
            const cw_occurrence *b = &in->occ[j];
            if (b->kind != CW_KIND_BLACKOUT || b->cancelled) continue;
            if (!(b->start <= x->o->start && x->o->start < b->end)) continue;
            char d[700], when[32];
            cw_pc_ev_desc(x->o, x->kind, d, sizeof d);
            cw_pc_local_str(c, x->o->start, 1, when);
            const char *bt = b->summary && b->summary[0] ? b->summary : "(no title)";
            if (x->episode > 0)
                cw_pc_warn(c, NULL, CW_DIAG_WARNING, "plan.blackout", x->o,
                           "blackout: %s (series '%s' episode %d) at %s is suppressed by '%s' (%s); the series "
                           "resumes with this episode after it", d, x->o->series, x->episode, when, bt, nz(b->file));
            else
                cw_pc_warn(c, NULL, CW_DIAG_WARNING, "plan.blackout", x->o,
                           "blackout: %s at %s is suppressed by '%s' (%s)", d, when, bt, nz(b->file));
            x->state = 2;
            x->status = CW_SLOT_BLACKOUT;
            snprintf(x->reason, sizeof x->reason, "suppressed by '%.200s' (%.200s)", bt, nz(b->file));
            break;
        }
    }
}

/* ---- the timeline ------------------------------------------------------------------- */

/* A newsletter slot: newsletter items of its series that fit, freshest first; the rest of
 * the slot gets fillers (then silence when `pad`). Returns the end. */
static int64_t newsletter_slot(ctx *c, cand *x, int64_t t, int64_t slot_end, int pad)
{
    int64_t a = t, placed = 0;
    int items = 0;
    for (size_t i = 0; i < c->news.n && t < slot_end; i++) {
        const cw_recording *r = c->news.v[i];
        if (c->news.used[i] || c->news.len[i] > slot_end - t) continue;
        if (x->o->series && x->o->series[0] && !cw_series_eq(r->series, x->o->series)) continue;
        c->news.used[i] = 1;
        add_item(c, CW_KIND_NEWSLETTER, t, c->news.len[i], r, x->o);
        t += c->news.len[i];
        placed += c->news.len[i];
        items++;
    }
    if (slot_end - t > 0 && slot_end - a > 0) {
        char got[32], of[32], d[700], when[32];
        cw_pc_dur_str(placed, c->rate, got);
        cw_pc_dur_str(slot_end - a, c->rate, of);
        cw_pc_ev_desc(x->o, x->kind, d, sizeof d);
        cw_pc_local_str(c, x->o->start, 1, when);
        if (!items)
            cw_pc_warn(c, NULL, CW_DIAG_WARNING, "plan.newsletter-empty", x->o,
                       "%s at %s: no newsletter item fits; filled with fillers", d, when);
        else
            cw_pc_warn(c, NULL, CW_DIAG_WARNING, "plan.newsletter-underfull", x->o,
                       "%s at %s is underfull: %d item%s fill %s of %s; the rest gets fillers", d, when, items,
                       items == 1 ? "" : "s", got, of);
        t = fill(c, t, slot_end, NULL, 0, pad);
    }
    return t;
}

/* Place one accepted slot from t (its start, or later when pushed). `run_on`: the next event
 * starts where this slot ends, so in blocks mode silence may pad the slot to keep the run of
 * events one block. Returns the end. */
static int64_t place(ctx *c, cand *x, int64_t t, int64_t limit, const char *next_desc, int run_on)
{
    const cw_station *st = c->st;
    int64_t slot_end = x->e < limit ? x->e : limit;
    if (slot_end < t) slot_end = t;
    int pad = !c->blocks || run_on;
    if (x->rec) {
        /* blocks mode: the station's programming follows the slot, so the slot's end cuts */
        int64_t lim = c->blocks && x->e < limit ? x->e : limit;
        t = play(c, x, x->rec, t, lim, lim == limit ? next_desc : NULL, x->o->repeat && x->kind == CW_KIND_LESSON, 0);
        if (c->blocks && t < slot_end) t = fill(c, t, slot_end, x->o, 0, pad);
    } else if (x->kind == CW_KIND_LESSON) {
        /* missing: the station's fallback over the slot */
        if (st->missing == CW_MISSING_SILENCE) {
            add_item(c, CW_KIND_SILENCE, t, slot_end - t, NULL, x->o);
            if (t < slot_end) t = slot_end;
        } else {
            if (st->missing == CW_MISSING_ANNOUNCEMENT && c->unavailable)
                t = play(c, x, c->unavailable, t, c->blocks ? slot_end : limit, c->blocks ? NULL : next_desc, 0, 1);
            if (slot_end > t) t = fill(c, t, slot_end, x->o, 0, pad);
        }
    } else if (x->kind == CW_KIND_NEWSLETTER) {
        t = newsletter_slot(c, x, t, slot_end, pad);
    } else {
        t = fill(c, t, slot_end, x->o, 0, pad); /* a filler slot */
    }
    return t;
}

static void timeline(ctx *c, cand **acc, size_t nacc)
{
    const cw_station *st = c->st;
    int64_t t = 0;
    int had_news_slot = 0;
    for (size_t k = 0; k < nacc && !c->oom; k++) {
        cand *x = acc[k];
        int64_t limit = c->whi[x->win];
        const cand *nx = NULL;
        for (size_t j = k + 1; j < nacc; j++)
            if (st->overrun == CW_OVERRUN_CUT || acc[j]->hard) {
                nx = acc[j];
                if (nx->s < limit) limit = nx->s;
                else nx = NULL;
                break;
            }
        char nd[700], d[700], when[32];
        nd[0] = 0;
        if (nx) cw_pc_ev_desc(nx->o, nx->kind, nd, sizeof nd);
        if (t < x->s) {
            gap(c, t, x->s);
            t = x->s;
        } else if (t > x->s) {
            /* only soft slots are pushed (push mode) */
            int64_t slot_end = x->e < limit ? x->e : limit;
            cw_pc_ev_desc(x->o, x->kind, d, sizeof d);
            cw_pc_local_str(c, x->o->start, 1, when);
            if (t >= slot_end) {
                cw_pc_warn(c, NULL, CW_DIAG_WARNING, "plan.overrun-pushed-out", x->o,
                           "overrun: %s at %s is pushed out entirely by the item before it", d, when);
                x->status = CW_SLOT_LOST;
                snprintf(x->reason, sizeof x->reason, "pushed out by the item before it (overrun = push)");
                continue;
            }
            char at[32];
            cw_pc_sample_str(c, t, at);
            cw_pc_warn(c, NULL, CW_DIAG_WARNING, "plan.overrun-pushed", x->o,
                       "overrun: %s at %s is pushed to %s by the item before it", d, when, at);
        }
        x->first_item = c->p->n_items;
        int run_on = k + 1 < nacc && acc[k + 1]->s == x->e;
        t = place(c, x, t, limit, nx ? nd : NULL, run_on);
        x->n_items = c->p->n_items - x->first_item;
        x->placed = 1;
        had_news_slot |= x->kind == CW_KIND_NEWSLETTER;
        if (x->missing) report_missing(c, x);
    }
    gap(c, t, c->W);
    if (had_news_slot)
        for (size_t i = 0; i < c->news.n; i++)
            if (!c->news.used[i])
                cw_pc_warn(c, NULL, CW_DIAG_WARNING, "plan.newsletter-unused", NULL,
                           "newsletter '%s' (%s) did not fit in any newsletter slot on %s", nz(c->news.v[i]->title),
                           c->news.v[i]->path, c->datestr);
}

/* ---- the core ---------------------------------------------------------------------- */

/* The invariant every consumer relies on: items in order, never overlapping, inside the
 * windows; in day mode covering them exactly. */
static int check_items(const ctx *c, cw_error *err)
{
    const cw_plan *p = c->p;
    size_t k = 0;
    int64_t pos = c->wlo[0];
    for (size_t i = 0; i < p->n_items; i++) {
        const cw_plan_item *it = &p->items[i];
        int ok = 1;
        while (ok && k < c->nwin && it->offset_samples >= c->whi[k]) {
            ok = c->blocks || pos == c->whi[k];
            if (++k < c->nwin) pos = c->blocks && pos > c->wlo[k] ? pos : c->wlo[k];
        }
        ok = ok && k < c->nwin && it->length_samples > 0 && it->offset_samples >= c->wlo[k] &&
             it->offset_samples + it->length_samples <= c->whi[k] &&
             (c->blocks ? it->offset_samples >= pos : it->offset_samples == pos);
        if (!ok)
            return cw_fail(err, CW_EINTERNAL, "", 0,
                           "plan items are not in order inside the on-air windows at item %zu (please report)", i);
        pos = it->offset_samples + it->length_samples;
    }
    if (!c->blocks && (k + 1 != c->nwin || pos != c->whi[k]))
        return cw_fail(err, CW_EINTERNAL, "", 0, "plan does not cover the on-air windows (please report)");
    return 0;
}

static int setup_windows(ctx *c, cw_error *err)
{
    const cw_sched_input *in = c->in;
    cw_plan *p = c->p;
    cw_plan_window one = {in->window_start, in->window_end};
    const cw_plan_window *w = in->n_windows ? in->windows : &one;
    size_t n = in->n_windows ? in->n_windows : 1;
    p->windows = malloc(n * sizeof *p->windows);
    c->wlo = malloc(n * sizeof *c->wlo);
    c->whi = malloc(n * sizeof *c->whi);
    if (!p->windows || !c->wlo || !c->whi) return CW_ENOMEM;
    for (size_t k = 0; k < n; k++) {
        if (w[k].end_utc <= w[k].start_utc || w[k].start_utc < in->window_start || w[k].end_utc > in->window_end ||
            (k && w[k].start_utc < w[k - 1].end_utc))
            return cw_fail(err, CW_EINVAL, "", 0, "the on-air windows are empty, out of order or overlap (check on_air)");
        p->windows[k] = w[k];
        c->wlo[k] = (w[k].start_utc - in->window_start) * c->rate;
        c->whi[k] = (w[k].end_utc - in->window_start) * c->rate;
    }
    p->n_windows = c->nwin = n;
    return 0;
}

static int plan_head(ctx *c, cw_error *err)
{
    const cw_sched_input *in = c->in;
    cw_plan *p = c->p;
    p->date = in->date;
    p->timezone = cw_strdup(nz(c->st->timezone));
    p->rate = c->st->rate;
    p->channels = c->st->channels;
    p->mode = c->blocks ? CW_BUNDLE_BLOCKS : CW_BUNDLE_DAY;
    p->window_start_utc = in->window_start;
    p->window_end_utc = in->window_end;
    p->start_offset = in->start_offset;
    p->end_offset = in->end_offset;
    if (!p->timezone) return CW_ENOMEM;
    if (in->n_tz_changes) {
        p->tz_changes = malloc(in->n_tz_changes * sizeof *p->tz_changes);
        if (!p->tz_changes) return CW_ENOMEM;
        memcpy(p->tz_changes, in->tz_changes, in->n_tz_changes * sizeof *p->tz_changes);
        p->n_tz_changes = in->n_tz_changes;
    }
    int rc = setup_windows(c, err);
    if (rc) return rc;
    if (cw_pc_build_indexes(c)) return CW_ENOMEM;
    if (in->lib)
        for (size_t i = 0; i < in->lib->warnings.n; i++)
            cw_pc_warn(c, NULL, CW_DIAG_WARNING, "plan.library", NULL, "library: %s", in->lib->warnings.v[i]);
    return 0;
}

int cw_sched_run(cw_plan **out, const cw_sched_input *in, cw_error *err)
{
    *out = NULL;
    const cw_station *st = in->st;
    if (!st || st->rate < 1 || st->rate > 1000000)
        return cw_fail(err, CW_EINVAL, "", 0, "station rate is not usable (set rate in [audio])");
    int64_t wlen = in->window_end - in->window_start;
    if (wlen <= 0 || wlen > CW_PLAN_MAX_WINDOW)
        return cw_fail(err, CW_EINVAL, "", 0, "the on-air window is empty or longer than 26 hours (check on_air)");

    ctx c = {.in = in, .st = st, .rate = st->rate, .W = wlen * st->rate, .blocks = st->bundle_mode == CW_BUNDLE_BLOCKS};
    cw_date_format(in->date, c.datestr);
    cw_plan *p = calloc(1, sizeof *p);
    size_t n = in->n_occ, ncand = 0, nacc = 0;
    cand *cands = calloc(n ? n : 1, sizeof *cands);
    cand **cl = calloc(n ? n : 1, sizeof *cl), **acc = calloc(n ? n : 1, sizeof *acc);
    int rc = CW_ENOMEM;
    if (!p || !cands || !cl || !acc) goto fail;
    c.p = p;
    if ((rc = plan_head(&c, err)) != 0) goto fail;

    /* 1. every occurrence: a candidate for airtime, or a slot reported as it is */
    for (size_t i = 0; i < n; i++) {
        cand *x = &cands[i];
        x->o = &in->occ[i];
        x->idx = i;
        x->note = in->notes ? &in->notes[i] : NULL;
        x->kind = x->o->kind == CW_KIND_NONE ? CW_KIND_LESSON : x->o->kind;
        if (x->kind == CW_KIND_SILENCE) {
            x->state = 3; /* not an event kind: no slot */
            continue;
        }
        make_candidate(&c, x);
        if (x->state == 0 || x->status == CW_SLOT_HELD) cl[ncand++] = x;
    }
    /* number every lesson before anything is suppressed: repeats need the first airing, and
     * a held slot says which episode waits */
    if (ncand > 1) qsort(cl, ncand, sizeof *cl, cw_pc_cmp_start0);
    cw_pc_number_lessons(&c, cl, ncand);
    size_t m = 0;
    for (size_t i = 0; i < ncand; i++)
        if (cl[i]->state == 0) cl[m++] = cl[i];
    ncand = m;
    /* 2. blackouts, 3. conflicts, 4. what each accepted slot plays, 5. the timeline */
    blackouts(&c, cl, ncand);
    rc = CW_ENOMEM;
    if (cw_pc_resolve_conflicts(&c, cl, ncand, acc, &nacc)) goto fail;
    for (size_t k = 0; k < nacc; k++) {
        cw_pc_resolve_content(&c, acc[k]);
        acc[k]->hard = acc[k]->kind == CW_KIND_LESSON && acc[k]->rec;
    }
    timeline(&c, acc, nacc);
    if (c.oom) goto fail;
    if ((rc = check_items(&c, err)) != 0) goto fail;
    cw_pc_dead_air(&c, cands, n);
    rc = CW_ENOMEM;
    if (c.oom || cw_pc_make_slots(&c, cands, n) || cw_plan_compute_blocks(p)) goto fail;
    free(cands);
    free(cl);
    free(acc);
    free(c.wlo);
    free(c.whi);
    cw_pc_free_indexes(&c);
    *out = p;
    return 0;

fail:
    if (rc == CW_ENOMEM) rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory while planning %s", c.datestr);
    free(cands);
    free(cl);
    free(acc);
    free(c.wlo);
    free(c.whi);
    cw_pc_free_indexes(&c);
    cw_plan_free(p);
    return rc;
}
