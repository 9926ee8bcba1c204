/* plan_core.c — the planner core: occurrences + series positions + library + settings ->
 * the day's items, gapless over the on-air window, in samples at the station rate.
 * Guarantees: pure (no clock, no randomness; reads the disk only to check that an ATTACH
 * does not leave the library through a symlink); every decision that costs airtime is a
 * warning; item offsets are contiguous from 0 to the window's length. The rules are
 * documented in README.md ("Calendar to recording") — keep both in step. */
#include "scheduler_int.h"

#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* One calendar event instance competing for airtime. */
typedef struct slot {
    const cw_occurrence *o;
    size_t idx;                /* index in the input occurrences */
    cw_kind kind;              /* LESSON, NEWSLETTER or FILLER */
    int64_t s, e;              /* samples from the window start; e >= s (after conflicts) */
    int64_t s0, e0;            /* as scheduled (clamped to the window) */
    int state;                 /* 0 candidate, 1 accepted, 2 suppressed or lost */
    int episode;               /* lessons: resolved episode (0 unknown) */
    const cw_recording *rec;   /* what plays (NULL: newsletters/fillers chosen later, or missing) */
    int missing;               /* a lesson whose recording is not there */
    int hard;                  /* a lesson with a recording: starts exactly on time */
} slot;

typedef struct pool {
    const cw_recording **v;
    int64_t *len; /* station samples */
    unsigned char *used;
    size_t n;
    int64_t min_len;
} pool;

typedef struct ctx {
    const cw_sched_input *in;
    const cw_station *st;
    cw_plan *p;
    int rate;
    int64_t W;                        /* window length in samples */
    char datestr[11];
    const cw_recording **by_series;   /* library sorted by series, episode, path */
    size_t n_by_series;
    pool fillers, news;
    size_t filler_cursor;
    const cw_recording *unavailable;
    size_t items_cap;
    int oom;
} ctx;

/* ---- small helpers ----------------------------------------------------------------- */

static int valid_on(const cw_recording *r, const char *day)
{
    /* Bounds that are not YYYY-MM-DD are ignored rather than guessed. */
    if (r->valid_from && strlen(r->valid_from) == 10 && strcmp(day, r->valid_from) < 0) return 0;
    if (r->valid_until && strlen(r->valid_until) == 10 && strcmp(day, r->valid_until) > 0) return 0;
    return 1;
}

static const char *nz(const char *s) { return s ? s : ""; }

int64_t cw_sched_rec_samples(const cw_recording *r, int rate)
{
    if (!r || r->rate <= 0 || r->length_samples <= 0 || rate <= 0) return 0;
    if (r->rate == rate) return r->length_samples;
    /* Played resampled by the bundle; lengths fit easily: 4 h at 192 kHz times 192000. */
    if (r->length_samples > INT64_MAX / rate) return 0;
    return r->length_samples * rate / r->rate;
}

static void local_str(const ctx *c, int64_t utc, int with_date, char out[32])
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
static void sample_str(const ctx *c, int64_t off, char out[32])
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

static void dur_str(int64_t samples, int rate, char out[32])
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
static void ev_desc(const cw_occurrence *o, cw_kind kind, char *out, size_t n)
{
    snprintf(out, n, "%s '%.200s' (%.200s, uid %.200s)", kind == CW_KIND_NEWSLETTER ? "newsletter slot" : cw_kind_name(kind),
             o->summary && o->summary[0] ? o->summary : "(no title)", nz(o->file), nz(o->uid));
}

static void vwarn(ctx *c, cw_plan_item *it, const char *fmt, va_list ap) CW_PRINTF(3, 0);
static void vwarn(ctx *c, cw_plan_item *it, const char *fmt, va_list ap)
{
    cw_buf b;
    cw_buf_init(&b);
    cw_buf_vprintf(&b, fmt, ap);
    if (b.oom || cw_strlist_push(&c->p->warnings, b.data ? b.data : "")) c->oom = 1;
    if (it && !c->oom && cw_strlist_push(&it->warnings, b.data ? b.data : "")) c->oom = 1;
    cw_buf_free(&b);
}

static void warn(ctx *c, cw_plan_item *it, const char *fmt, ...) CW_PRINTF(3, 4);
static void warn(ctx *c, cw_plan_item *it, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vwarn(c, it, fmt, ap);
    va_end(ap);
}

/* ---- library indexes --------------------------------------------------------------- */

static int cmp_series(const void *a, const void *b)
{
    const cw_recording *x = *(const cw_recording *const *)a, *y = *(const cw_recording *const *)b;
    int r = strcmp(nz(x->series), nz(y->series));
    if (r) return r;
    if (x->episode != y->episode) return x->episode < y->episode ? -1 : 1;
    return strcmp(nz(x->path), nz(y->path));
}

static const cw_recording *find_episode(const ctx *c, const char *series, int episode)
{
    if (!c->by_series) /* the scan's index: the first by path, as the sorted list below */
        return cw_library_find_episode(c->in->lib, series, episode);
    size_t lo = 0, hi = c->n_by_series;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const cw_recording *r = c->by_series[mid];
        int d = strcmp(nz(r->series), series);
        if (!d) d = r->episode < episode ? -1 : r->episode > episode ? 1 : 0;
        if (d < 0) lo = mid + 1;
        else hi = mid;
    }
    if (lo < c->n_by_series && !strcmp(nz(c->by_series[lo]->series), series) &&
        c->by_series[lo]->episode == episode)
        return c->by_series[lo];
    return NULL;
}

/* First recording of a series (lowest episode, then path). */
static const cw_recording *find_series(const ctx *c, const char *series)
{
    const cw_library *lib = c->in->lib;
    const cw_recording *best = NULL;
    for (size_t i = 0; lib && i < lib->n; i++) {
        const cw_recording *r = &lib->v[i];
        if (strcmp(nz(r->series), series)) continue;
        if (!best || r->episode < best->episode ||
            (r->episode == best->episode && strcmp(nz(r->path), nz(best->path)) < 0))
            best = r;
    }
    return best;
}

static int cmp_fresh(const void *a, const void *b)
{
    const cw_recording *x = *(const cw_recording *const *)a, *y = *(const cw_recording *const *)b;
    int r = strcmp(nz(y->date), nz(x->date)); /* newest DATE first; "" sorts last */
    if (r) return r;
    return strcmp(nz(x->path), nz(y->path));
}

static int cmp_path(const void *a, const void *b)
{
    const cw_recording *x = *(const cw_recording *const *)a, *y = *(const cw_recording *const *)b;
    return strcmp(nz(x->path), nz(y->path));
}

static int pool_alloc(pool *pl, size_t n)
{
    pl->v = calloc(n ? n : 1, sizeof *pl->v);
    pl->len = calloc(n ? n : 1, sizeof *pl->len);
    pl->used = calloc(n ? n : 1, 1);
    return pl->v && pl->len && pl->used ? 0 : -1;
}

static void pool_free(pool *pl)
{
    free(pl->v);
    free(pl->len);
    free(pl->used);
}

static void pool_finish(ctx *c, pool *pl)
{
    pl->min_len = INT64_MAX;
    for (size_t i = 0; i < pl->n; i++) {
        pl->len[i] = cw_sched_rec_samples(pl->v[i], c->rate);
        if (pl->len[i] > 0 && pl->len[i] < pl->min_len) pl->min_len = pl->len[i];
    }
}

static int build_indexes(ctx *c)
{
    const cw_library *lib = c->in->lib;
    size_t n = lib ? lib->n : 0;
    /* Lessons are looked up by series and episode: in the scan's index when the library
     * has one (sorting 10,000 recordings was a fifth of the planner's time), else in a
     * list sorted here. The station's filler series need the fillers sorted alike. */
    int own_index = !lib || !lib->index;
    c->by_series = own_index ? calloc(n ? n : 1, sizeof *c->by_series) : NULL;
    const cw_recording **sorted_fillers = calloc(n ? n : 1, sizeof *sorted_fillers);
    size_t n_sorted_fillers = 0;
    if ((own_index && !c->by_series) || !sorted_fillers || pool_alloc(&c->fillers, n) || pool_alloc(&c->news, n)) {
        free(sorted_fillers);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const cw_recording *r = &lib->v[i];
        if (own_index) c->by_series[c->n_by_series++] = r;
        if (r->kind == CW_KIND_FILLER) sorted_fillers[n_sorted_fillers++] = r;
        if (!valid_on(r, c->datestr) || cw_sched_rec_samples(r, c->rate) <= 0) continue;
        if (r->kind == CW_KIND_NEWSLETTER) c->news.v[c->news.n++] = r;
    }
    if (c->n_by_series > 1) qsort(c->by_series, c->n_by_series, sizeof *c->by_series, cmp_series);
    if (n_sorted_fillers > 1) qsort(sorted_fillers, n_sorted_fillers, sizeof *sorted_fillers, cmp_series);
    qsort(c->news.v, c->news.n, sizeof *c->news.v, cmp_fresh);
    pool_finish(c, &c->news);

    /* Fillers: the station's list of filler series in its order (each series by episode,
     * then path), or every filler by path when the list is empty. */
    const cw_strlist *fl = &c->st->fillers;
    if (fl->n) {
        for (size_t k = 0; k < fl->n; k++)
            for (size_t i = 0; i < n_sorted_fillers; i++) {
                const cw_recording *r = sorted_fillers[i];
                if (r->kind == CW_KIND_FILLER && !strcmp(nz(r->series), fl->v[k]) &&
                    valid_on(r, c->datestr) && cw_sched_rec_samples(r, c->rate) > 0) {
                    size_t dup = 0; /* a series listed twice is used once */
                    for (size_t j = 0; j < c->fillers.n; j++) dup |= c->fillers.v[j] == r;
                    if (!dup) c->fillers.v[c->fillers.n++] = r;
                }
            }
    } else {
        for (size_t i = 0; i < n; i++) {
            const cw_recording *r = &lib->v[i];
            if (r->kind == CW_KIND_FILLER && valid_on(r, c->datestr) && cw_sched_rec_samples(r, c->rate) > 0)
                c->fillers.v[c->fillers.n++] = r;
        }
        qsort(c->fillers.v, c->fillers.n, sizeof *c->fillers.v, cmp_path);
    }
    free(sorted_fillers);
    pool_finish(c, &c->fillers);
    /* Rotation derived from the date: consecutive days start at different fillers. */
    if (c->fillers.n) {
        int64_t days = cw_days_from_civil(c->in->date.year, c->in->date.month, c->in->date.day);
        int64_t m = days % (int64_t)c->fillers.n;
        c->filler_cursor = (size_t)(m < 0 ? m + (int64_t)c->fillers.n : m);
    }
    if (c->st->unavailable && c->st->unavailable[0]) c->unavailable = find_series(c, c->st->unavailable);
    if (c->unavailable && cw_sched_rec_samples(c->unavailable, c->rate) <= 0) c->unavailable = NULL;
    return 0;
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

static void add_silence(ctx *c, int64_t off, int64_t len, const cw_occurrence *o)
{
    add_item(c, CW_KIND_SILENCE, off, len, NULL, o);
}

/* Fill [a, b) with the fill policy: newsletters (when allowed), fillers in rotation, then
 * silence. `o` is the event the fill stands in for (NULL for plain gaps). */
static void fill(ctx *c, int64_t a, int64_t b, const cw_occurrence *o, int allow_news)
{
    int64_t pos = a;
    if (b <= a) return;
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
    if (pos < b) add_silence(c, pos, b - pos, o);
}

/* Play recording r from t, cut at `limit`. Returns the end. */
static int64_t play(ctx *c, slot *sl, const cw_recording *r, int64_t t, int64_t limit, const char *next_desc,
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
        dur_str(len - avail, c->rate, over);
        sample_str(c, limit, at);
        warn(c, it, "recording '%s' ('%s') overruns by %s: cut at %s%s%s with a %.2g s fade", r->path,
             nz(r->title), over, at, next_desc ? " for " : " at the end of the on-air window",
             next_desc ? next_desc : "", it->fade_out);
    }
    return t + it->length_samples;
}

/* ---- ATTACH ------------------------------------------------------------------------ */

static int is_url(const char *a)
{
    const char *s = a;
    if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z'))) return 0;
    while ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '+' ||
           *s == '-' || *s == '.')
        s++;
    return *s == ':';
}

static const cw_recording *attach_lookup(ctx *c, const slot *sl)
{
    const char *a = sl->o->attach;
    char d[700], when[32];
    ev_desc(sl->o, sl->kind, d, sizeof d);
    local_str(c, sl->o->start, 1, when);
    if (is_url(a)) {
        warn(c, NULL, "%s at %s: ATTACH '%.300s' is a URL; refused, nothing is fetched (put the file in the "
                      "library and name it relative to library/)", d, when, a);
        return NULL;
    }
    if (a[0] == '/') {
        warn(c, NULL, "%s at %s: ATTACH '%.300s' is an absolute path; refused (name a file relative to library/)", d,
             when, a);
        return NULL;
    }
    if (!cw_path_is_safe_relative(a)) {
        warn(c, NULL, "%s at %s: ATTACH '%.300s' is not a plain path inside the library ('..', empty or odd "
                      "parts); refused (name a file relative to library/)", d, when, a);
        return NULL;
    }
    const char *inlib = !strncmp(a, "library/", 8) ? a + 8 : a;
    char *rel = cw_asprintf("library/%s", inlib);
    char *libdir = cw_path_join(c->st->dir ? c->st->dir : ".", "library");
    if (!rel || !libdir) {
        free(rel);
        free(libdir);
        c->oom = 1;
        return NULL;
    }
    const cw_recording *r = NULL;
    const cw_library *lib = c->in->lib;
    for (size_t i = 0; lib && i < lib->n && !r; i++)
        if (!strcmp(nz(lib->v[i].path), rel)) r = &lib->v[i];
    if (!r)
        warn(c, NULL, "%s at %s: ATTACH '%.300s' is not a recording in the library (ingest it first)", d, when, a);
    else if (!cw_path_resolves_inside(libdir, inlib)) {
        warn(c, NULL, "%s at %s: ATTACH '%.300s' leaves the library through a symbolic link; refused", d, when, a);
        r = NULL;
    } else if (cw_sched_rec_samples(r, c->rate) <= 0) {
        warn(c, NULL, "%s at %s: ATTACH '%.300s' has no usable length; refused", d, when, a);
        r = NULL;
    }
    free(rel);
    free(libdir);
    return r;
}

/* ---- slots ------------------------------------------------------------------------- */

static int cmp_rank(const void *a, const void *b)
{
    const slot *x = *(const slot *const *)a, *y = *(const slot *const *)b;
    if (x->o->priority != y->o->priority) return x->o->priority > y->o->priority ? -1 : 1;
    if (x->o->start != y->o->start) return x->o->start < y->o->start ? -1 : 1;
    int r = strcmp(nz(x->o->file), nz(y->o->file));
    if (r) return r;
    r = strcmp(nz(x->o->uid), nz(y->o->uid));
    if (r) return r;
    r = strcmp(nz(x->o->recurrence_id), nz(y->o->recurrence_id));
    if (r) return r;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int cmp_start(const void *a, const void *b)
{
    const slot *x = *(const slot *const *)a, *y = *(const slot *const *)b;
    if (x->s != y->s) return x->s < y->s ? -1 : 1;
    return cmp_rank(a, b);
}

static int cmp_start0(const void *a, const void *b)
{
    const slot *x = *(const slot *const *)a, *y = *(const slot *const *)b;
    if (x->o->start != y->o->start) return x->o->start < y->o->start ? -1 : 1;
    return cmp_rank(a, b);
}

static int64_t span_end(const slot *s) { return s->e > s->s ? s->e : s->s + 1; }

/* Accepted slot whose span holds sample t, or NULL. */
static slot *covering(slot **acc, size_t nacc, int64_t t)
{
    for (size_t i = 0; i < nacc; i++)
        if (acc[i]->s <= t && t < span_end(acc[i])) return acc[i];
    return NULL;
}

static void lose_desc(const slot *w, char *out, size_t n)
{
    snprintf(out, n, "'%.200s' (%.200s, priority %d)", w->o->summary && w->o->summary[0] ? w->o->summary : "(no title)",
             nz(w->o->file), w->o->priority);
}

/* Priority, then the documented tie rule (earlier start, file name, UID): a lesson whose
 * start is taken loses its slot; a newsletter or filler slot keeps what is left of it. */
static int resolve_conflicts(ctx *c, slot **cand, size_t n, slot **acc, size_t *nacc)
{
    slot **order = malloc((n ? n : 1) * sizeof *order);
    if (!order) return -1;
    memcpy(order, cand, n * sizeof *order);
    qsort(order, n, sizeof *order, cmp_rank);
    *nacc = 0;
    for (size_t k = 0; k < n; k++) {
        slot *x = order[k];
        if (x->state == 2) continue;
        char d[700], w[500], when[32], a[32], b[32];
        int64_t s = x->s;
        slot *cov = covering(acc, *nacc, s);
        if (cov) {
            ev_desc(x->o, x->kind, d, sizeof d);
            lose_desc(cov, w, sizeof w);
            local_str(c, x->o->start, 1, when);
            if (x->kind == CW_KIND_LESSON) {
                warn(c, NULL, "conflict: %s at %s loses its slot to %s", d, when, w);
                x->state = 2;
                continue;
            }
            slot *cv;
            while ((cv = covering(acc, *nacc, s)) != NULL) s = span_end(cv);
            if (s >= x->e) {
                warn(c, NULL, "conflict: %s at %s loses its slot to %s", d, when, w);
                x->state = 2;
                continue;
            }
            sample_str(c, x->s, a);
            sample_str(c, s, b);
            warn(c, NULL, "conflict: %s loses %s-%s to %s", d, a, b, w);
        }
        int64_t e = x->e, se = x->e > s ? x->e : s + 1;
        slot *next = NULL;
        for (size_t i = 0; i < *nacc; i++)
            if (acc[i]->s > s && acc[i]->s < se && (!next || acc[i]->s < next->s)) next = acc[i];
        if (next && next->s < e) {
            ev_desc(x->o, x->kind, d, sizeof d);
            lose_desc(next, w, sizeof w);
            sample_str(c, next->s, a);
            sample_str(c, e, b);
            warn(c, NULL, "conflict: %s loses %s-%s to %s", d, a, b, w);
            e = next->s;
        }
        x->s = s;
        x->e = e;
        x->state = 1;
        acc[(*nacc)++] = x;
    }
    free(order);
    qsort(acc, *nacc, sizeof *acc, cmp_start);
    return 0;
}

/* Episode of each lesson: explicit Episode: N, else a repeat plays the episode of the
 * latest first airing of its series earlier that day (same calendar first), else the
 * series position. */
static void number_lessons(ctx *c, slot **bystart, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        slot *x = bystart[i];
        if (x->kind != CW_KIND_LESSON || !x->o->series || !x->o->series[0]) continue;
        if (x->o->episode > 0) {
            x->episode = x->o->episode;
            continue;
        }
        long pos = c->in->positions ? c->in->positions[x->idx] : 0;
        if (x->o->repeat) {
            slot *same = NULL, *any = NULL;
            for (size_t j = 0; j < i; j++) {
                slot *y = bystart[j];
                if (y->kind != CW_KIND_LESSON || y->o->repeat || y->episode <= 0 || strcmp(y->o->series, x->o->series))
                    continue;
                if (y->o->start >= x->o->start) continue;
                any = y;
                if (!strcmp(nz(y->o->file), nz(x->o->file))) same = y;
            }
            if (same || any) {
                x->episode = (same ? same : any)->episode;
                continue;
            }
            /* no first airing today: the latest episode aired before it (its position
             * counts the first airings before it, plus one) */
            pos = pos > 1 ? pos - 1 : 0;
            if (pos > 0) {
                char d[700], when[32];
                ev_desc(x->o, x->kind, d, sizeof d);
                local_str(c, x->o->start, 1, when);
                warn(c, NULL, "repeat: %s at %s has no first airing of series '%s' earlier that day; it plays the "
                              "latest episode aired before it (%ld)", d, when, x->o->series, pos);
            }
        }
        x->episode = pos > 0 && pos <= INT_MAX ? (int)pos : 0;
    }
}

static void record_missing(ctx *c, slot *x, const char *why)
{
    char d[700], when[32];
    ev_desc(x->o, x->kind, d, sizeof d);
    local_str(c, x->o->start, 1, when);
    const char *policy = c->st->missing == CW_MISSING_SILENCE ? "silence"
                         : c->st->missing == CW_MISSING_ANNOUNCEMENT && c->unavailable
                             ? "the 'lesson unavailable' announcement"
                             : "fillers";
    if (why) {
        warn(c, NULL, "%s at %s %s; playing %s instead", d, when, why, policy);
    } else {
        warn(c, NULL, "missing recording: series '%s' episode %d for %s on %s; playing %s instead "
                      "(ingest it: chalkwave ingest --series %s --episode %d FILE)",
             x->o->series, x->episode, d, when, policy, x->o->series, x->episode);
        if (cw_strlist_pushf(&c->p->missing, "%s\t%d\t%s", x->o->series, x->episode, when)) c->oom = 1;
    }
    if (c->st->missing == CW_MISSING_ANNOUNCEMENT && !c->unavailable)
        warn(c, NULL, "the 'lesson unavailable' announcement (series '%s') is not in the library; playing "
                      "fillers (ingest it with --series %s)", nz(c->st->unavailable), nz(c->st->unavailable));
    x->missing = 1;
}

static void resolve_content(ctx *c, slot *x)
{
    if (x->o->attach && x->o->attach[0]) {
        x->rec = attach_lookup(c, x);
        if (x->rec) return;
    }
    if (x->kind != CW_KIND_LESSON) return;
    if (!x->o->series || !x->o->series[0]) {
        /* after a refused ATTACH the refusal already said what is wrong with it */
        record_missing(c, x, x->o->attach && x->o->attach[0]
                                 ? "has no usable recording (its ATTACH was refused, see above)"
                                 : "names no recording (give it a series key, Series: KEY, or an ATTACH)");
        return;
    }
    if (x->episode <= 0) {
        char why[400];
        snprintf(why, sizeof why, "has no episode number for series '%.200s' (add Episode: N)", x->o->series);
        record_missing(c, x, why);
        return;
    }
    x->rec = find_episode(c, x->o->series, x->episode);
    if (x->rec && cw_sched_rec_samples(x->rec, c->rate) <= 0) x->rec = NULL;
    if (!x->rec) record_missing(c, x, NULL);
}

/* ---- the core ---------------------------------------------------------------------- */

static void plan_free_partial(cw_plan *p) { cw_plan_free(p); }

int cw_sched_run(cw_plan **out, const cw_sched_input *in, cw_error *err)
{
    *out = NULL;
    const cw_station *st = in->st;
    if (!st || st->rate < 1 || st->rate > 1000000)
        return cw_fail(err, CW_EINVAL, "", 0, "station rate is not usable (set rate in [audio])");
    int64_t wlen = in->window_end - in->window_start;
    if (wlen <= 0 || wlen > CW_PLAN_MAX_WINDOW)
        return cw_fail(err, CW_EINVAL, "", 0, "the on-air window is empty or longer than 26 hours (check on_air)");

    ctx c = {.in = in, .st = st, .rate = st->rate, .W = wlen * st->rate};
    cw_date_format(in->date, c.datestr);
    cw_plan *p = calloc(1, sizeof *p);
    slot *slots = NULL;
    slot **cand = NULL, **acc = NULL, **bystart = NULL;
    int rc = CW_ENOMEM;
    if (!p) goto oom;
    c.p = p;
    p->date = in->date;
    p->timezone = cw_strdup(nz(st->timezone));
    p->rate = st->rate;
    p->channels = st->channels;
    p->window_start_utc = in->window_start;
    p->window_end_utc = in->window_end;
    p->start_offset = in->start_offset;
    p->end_offset = in->end_offset;
    if (!p->timezone) goto oom;
    if (in->n_tz_changes) {
        p->tz_changes = malloc(in->n_tz_changes * sizeof *p->tz_changes);
        if (!p->tz_changes) goto oom;
        memcpy(p->tz_changes, in->tz_changes, in->n_tz_changes * sizeof *p->tz_changes);
        p->n_tz_changes = in->n_tz_changes;
    }
    if (build_indexes(&c)) goto oom;
    if (in->lib)
        for (size_t i = 0; i < in->lib->warnings.n; i++) warn(&c, NULL, "library: %s", in->lib->warnings.v[i]);

    /* 1. candidates and blackouts */
    size_t n = in->n_occ, ncand = 0;
    slots = calloc(n ? n : 1, sizeof *slots);
    cand = calloc(n ? n : 1, sizeof *cand);
    acc = calloc(n ? n : 1, sizeof *acc);
    bystart = calloc(n ? n : 1, sizeof *bystart);
    if (!slots || !cand || !acc || !bystart) goto oom;
    for (size_t i = 0; i < n; i++) {
        const cw_occurrence *o = &in->occ[i];
        slot *x = &slots[i];
        x->o = o;
        x->idx = i;
        x->state = 2;
        x->kind = o->kind == CW_KIND_NONE ? CW_KIND_LESSON : o->kind;
        if (o->cancelled || x->kind == CW_KIND_BLACKOUT || x->kind == CW_KIND_SILENCE) continue;
        if (o->end < in->window_start && o->start < in->window_start) continue;
        if (o->start >= in->window_end) continue;
        char d[700], when[32];
        if (o->all_day) {
            ev_desc(o, x->kind, d, sizeof d);
            warn(&c, NULL, "%s on %s is an all-day event: it has no air time and is ignored (give it a start and "
                           "end time, or make it a blackout)", d, c.datestr);
            continue;
        }
        if (o->start < in->window_start) {
            ev_desc(o, x->kind, d, sizeof d);
            local_str(&c, o->start, 1, when);
            warn(&c, NULL, "%s starts at %s, before the on-air window; not played (move it into the window)", d,
                 when);
            continue;
        }
        x->s0 = x->s = (o->start - in->window_start) * c.rate;
        int64_t e = o->end < in->window_end ? o->end : in->window_end;
        x->e0 = x->e = e > o->start ? (e - in->window_start) * c.rate : x->s;
        x->state = 0;
        cand[ncand++] = x;
    }
    /* number every lesson before anything is suppressed: repeats need the first airing */
    memcpy(bystart, cand, ncand * sizeof *bystart);
    qsort(bystart, ncand, sizeof *bystart, cmp_start0);
    number_lessons(&c, bystart, ncand);

    /* 2. blackouts suppress lessons that start in their span */
    for (size_t i = 0; i < ncand; i++) {
        slot *x = bystart[i];
        if (x->kind != CW_KIND_LESSON) continue;
        for (size_t j = 0; j < n; j++) {
            const cw_occurrence *b = &in->occ[j];
            cw_kind bk = b->kind;
            if (bk != CW_KIND_BLACKOUT || b->cancelled) continue;
            if (!(b->start <= x->o->start && x->o->start < b->end)) continue;
            char d[700], when[32];
            ev_desc(x->o, x->kind, d, sizeof d);
            local_str(&c, x->o->start, 1, when);
            if (x->episode > 0)
                warn(&c, NULL, "blackout: %s (series '%s' episode %d) at %s is suppressed by '%s' (%s); the "
                               "series resumes with this episode after it",
                     d, x->o->series, x->episode, when, b->summary && b->summary[0] ? b->summary : "(no title)",
                     nz(b->file));
            else
                warn(&c, NULL, "blackout: %s at %s is suppressed by '%s' (%s)", d, when,
                     b->summary && b->summary[0] ? b->summary : "(no title)", nz(b->file));
            x->state = 2;
            break;
        }
    }

    /* 3. conflicts */
    size_t nacc = 0;
    if (resolve_conflicts(&c, cand, ncand, acc, &nacc)) goto oom;

    /* 4. what each accepted slot plays */
    for (size_t k = 0; k < nacc; k++) {
        resolve_content(&c, acc[k]);
        acc[k]->hard = acc[k]->kind == CW_KIND_LESSON && acc[k]->rec;
    }

    /* 5. the timeline */
    int64_t t = 0;
    int had_news_slot = 0;
    for (size_t k = 0; k < nacc && !c.oom; k++) {
        slot *x = acc[k];
        int64_t limit = c.W;
        const slot *nx = NULL;
        for (size_t j = k + 1; j < nacc; j++)
            if (st->overrun == CW_OVERRUN_CUT || acc[j]->hard) {
                nx = acc[j];
                limit = nx->s;
                break;
            }
        char nd[700], d[700], when[32];
        nd[0] = 0;
        if (nx) {
            ev_desc(nx->o, nx->kind, nd, sizeof nd);
        }
        ev_desc(x->o, x->kind, d, sizeof d);
        if (t < x->s) {
            fill(&c, t, x->s, NULL, 1);
            t = x->s;
        } else if (t > x->s) {
            /* only soft slots are pushed (push mode) */
            int64_t slot_end = x->e < limit ? x->e : limit;
            local_str(&c, x->o->start, 1, when);
            if (t >= slot_end) {
                warn(&c, NULL, "overrun: %s at %s is pushed out entirely by the item before it", d, when);
                continue;
            }
            char at[32];
            sample_str(&c, t, at);
            warn(&c, NULL, "overrun: %s at %s is pushed to %s by the item before it", d, when, at);
        }
        int64_t slot_end = x->e < limit ? x->e : limit;
        if (slot_end < t) slot_end = t;
        if (x->rec) {
            t = play(&c, x, x->rec, t, limit, nx ? nd : NULL, x->o->repeat && x->kind == CW_KIND_LESSON, 0);
        } else if (x->kind == CW_KIND_LESSON) {
            /* missing: the station's fallback over the slot */
            if (st->missing == CW_MISSING_SILENCE) {
                add_silence(&c, t, slot_end - t, x->o);
                t = slot_end;
            } else {
                if (st->missing == CW_MISSING_ANNOUNCEMENT && c.unavailable)
                    t = play(&c, x, c.unavailable, t, limit, nx ? nd : NULL, 0, 1);
                if (slot_end > t) {
                    fill(&c, t, slot_end, x->o, 0);
                    t = slot_end;
                }
            }
        } else if (x->kind == CW_KIND_NEWSLETTER) {
            had_news_slot = 1;
            int64_t a = t, placed = 0;
            int items = 0;
            for (size_t i = 0; i < c.news.n && t < slot_end; i++) {
                const cw_recording *r = c.news.v[i];
                if (c.news.used[i] || c.news.len[i] > slot_end - t) continue;
                if (x->o->series && x->o->series[0] && strcmp(nz(r->series), x->o->series)) continue;
                c.news.used[i] = 1;
                add_item(&c, CW_KIND_NEWSLETTER, t, c.news.len[i], r, x->o);
                t += c.news.len[i];
                placed += c.news.len[i];
                items++;
            }
            if (slot_end - t > 0 && slot_end - a > 0) {
                char got[32], of[32];
                dur_str(placed, c.rate, got);
                dur_str(slot_end - a, c.rate, of);
                local_str(&c, x->o->start, 1, when);
                if (!items)
                    warn(&c, NULL, "%s at %s: no newsletter item fits; filled with fillers", d, when);
                else if (t < slot_end)
                    warn(&c, NULL, "%s at %s is underfull: %d item%s fill %s of %s; the rest gets fillers", d, when,
                         items, items == 1 ? "" : "s", got, of);
                fill(&c, t, slot_end, NULL, 0);
                t = slot_end;
            }
        } else {
            /* a filler slot */
            fill(&c, t, slot_end, x->o, 0);
            t = slot_end;
        }
    }
    if (t < c.W) fill(&c, t, c.W, NULL, 1);
    if (had_news_slot)
        for (size_t i = 0; i < c.news.n; i++)
            if (!c.news.used[i])
                warn(&c, NULL, "newsletter '%s' (%s) did not fit in any newsletter slot on %s", nz(c.news.v[i]->title),
                     c.news.v[i]->path, c.datestr);
    if (c.oom) goto oom;

    /* the invariant every consumer relies on */
    int64_t pos = 0;
    for (size_t i = 0; i < p->n_items; i++) {
        if (p->items[i].offset_samples != pos || p->items[i].length_samples <= 0) {
            rc = cw_fail(err, CW_EINTERNAL, "", 0, "plan items are not contiguous at item %zu (please report)", i);
            goto fail;
        }
        pos += p->items[i].length_samples;
    }
    if (pos != c.W) {
        rc = cw_fail(err, CW_EINTERNAL, "", 0, "plan does not cover the window (please report)");
        goto fail;
    }
    if (cw_plan_compute_blocks(p)) goto oom;
    free(slots);
    free(cand);
    free(acc);
    free(bystart);
    free(c.by_series);
    pool_free(&c.fillers);
    pool_free(&c.news);
    *out = p;
    return 0;

oom:
    rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory while planning %s", c.datestr);
fail:
    free(slots);
    free(cand);
    free(acc);
    free(bystart);
    free(c.by_series);
    pool_free(&c.fillers);
    pool_free(&c.news);
    plan_free_partial(p);
    return rc;
}

/* ---- shared helpers ---------------------------------------------------------------- */

int cw_sched_offset_at(int start_offset, const cw_plan_tzchange *ch, size_t n, int64_t t)
{
    int off = start_offset;
    for (size_t i = 0; i < n && ch[i].utc <= t; i++) off = ch[i].offset;
    return off;
}

int cw_plan_compute_blocks(cw_plan *p)
{
    free(p->blocks);
    p->blocks = NULL;
    p->n_blocks = 0;
    size_t cap = 0;
    for (size_t i = 0; i < p->n_items; i++) {
        const cw_plan_item *it = &p->items[i];
        cw_plan_block *b = p->n_blocks ? &p->blocks[p->n_blocks - 1] : NULL;
        if (b && b->offset_samples + b->length_samples == it->offset_samples) {
            b->n_items++;
            b->length_samples += it->length_samples;
            continue;
        }
        if (p->n_blocks == cap) {
            size_t nc = cap ? cap * 2 : 4;
            cw_plan_block *v = realloc(p->blocks, nc * sizeof *v);
            if (!v) return CW_ENOMEM;
            p->blocks = v;
            cap = nc;
        }
        p->blocks[p->n_blocks++] = (cw_plan_block){i, 1, it->offset_samples, it->length_samples};
    }
    return 0;
}

void cw_plan_free(cw_plan *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->n_items; i++) {
        cw_plan_item *it = &p->items[i];
        free(it->title);
        free(it->teacher);
        free(it->language);
        free(it->series);
        free(it->recording);
        free(it->event_file);
        free(it->event_uid);
        free(it->event_recurrence_id);
        cw_strlist_free(&it->warnings);
    }
    free(p->items);
    free(p->timezone);
    cw_strlist_free(&p->warnings);
    cw_strlist_free(&p->missing);
    free(p->tz_changes);
    free(p->blocks);
    for (size_t i = 0; i < p->n_slots; i++) {
        cw_plan_slot *sl = &p->slots[i];
        free(sl->summary);
        free(sl->series);
        free(sl->teacher);
        free(sl->language);
        free(sl->recording);
        free(sl->event_file);
        free(sl->event_uid);
        free(sl->event_recurrence_id);
        free(sl->reason);
    }
    free(p->slots);
    free(p);
}

const char *cw_slot_status_name(cw_slot_status s)
{
    static const char *const names[] = {"airs",    "missing", "pending", "cancelled", "blackout",
                                        "lost",    "off-air", "held",    "skipped"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "";
}
