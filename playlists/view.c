/* view.c — a plan as the bundle's writers, the renderer and verify see it: display titles,
 * local times, item and block file names, the slots' titles and which items play for a
 * missing lesson.
 * Guarantees: every string is cleaned to one line of valid UTF-8; names and times depend
 * only on the plan (and the station's name), so verify derives the same names as build. */
#include "playlists_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const weekdays[7] = {"Monday", "Tuesday", "Wednesday", "Thursday",
                                        "Friday", "Saturday", "Sunday"};

static void fmt_offset(int off, char out[8])
{
    int a = off < 0 ? -off : off;
    snprintf(out, 8, "%c%02d:%02d", off < 0 ? '-' : '+', (a / 3600) % 100, (a / 60) % 60);
}

static void local_hhmm(const cw_tz *tz, int64_t utc, char out[6])
{
    cw_civil c;
    int off;
    cw_tz_to_local(tz, utc, &c, &off);
    snprintf(out, 6, "%02u:%02u", (unsigned)c.hour % 100u, (unsigned)c.minute % 60u);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static char *display_title(const cw_plan_item *pi)
{
    if (pi->title && pi->title[0]) {
        char *t = cw_pl_clean(pi->title);
        if (!t || t[0])
            return t;
        free(t);
    }
    if (pi->kind == CW_KIND_SILENCE)
        return cw_strdup("Silence");
    if (pi->series && pi->series[0]) {
        char *s = cw_pl_clean(pi->series);
        char *t = s ? (pi->episode > 0 ? cw_asprintf("%s, episode %d", s, pi->episode) : cw_strdup(s)) : NULL;
        free(s);
        return t;
    }
    if (pi->recording && pi->recording[0])
        return cw_pl_clean(cw_path_base(pi->recording));
    return cw_strdup(cw_kind_name(pi->kind)[0] ? cw_kind_name(pi->kind) : "item");
}

/* The slots' display titles, and which items play for a missing or pending slot. */
static int pl_view_slots(cw_pl_view *v)
{
    const cw_plan *p = v->plan;
    v->slot_of = calloc(v->n ? v->n : 1, sizeof *v->slot_of);
    v->slot_title = calloc(p->n_slots ? p->n_slots : 1, sizeof *v->slot_title);
    if (!v->slot_of || !v->slot_title)
        return CW_ENOMEM;
    for (size_t k = 0; k < p->n_slots; k++) {
        const cw_plan_slot *sl = &p->slots[k];
        const char *name = sl->summary && sl->summary[0] ? sl->summary
                           : sl->series && sl->series[0]  ? sl->series
                                                          : cw_kind_name(sl->kind);
        char *t = sl->episode > 0 ? cw_asprintf("%s, episode %d", name, sl->episode) : cw_strdup(name);
        v->slot_title[k] = t ? cw_pl_clean(t) : NULL;
        free(t);
        if (!v->slot_title[k])
            return CW_ENOMEM;
        if (sl->status != CW_SLOT_MISSING && sl->status != CW_SLOT_PENDING)
            continue;
        for (size_t i = sl->first_item; i < sl->first_item + sl->n_items && i < v->n; i++)
            if (!v->slot_of[i])
                v->slot_of[i] = k + 1;
    }
    return 0;
}

void cw_pl_view_free(cw_pl_view *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++) {
        free(v->items[i].title);
        free(v->items[i].teacher);
        free(v->items[i].language);
        free(v->items[i].series);
    }
    free(v->items);
    for (size_t k = 0; k < v->n_blocks; k++)
        free(v->blocks[k].titles);
    free(v->blocks);
    for (size_t k = 0; v->slot_title && k < v->plan->n_slots; k++)
        free(v->slot_title[k]);
    free(v->slot_title);
    free(v->slot_of);
    free(v->station_name);
    free(v->abs_dir);
    free(v);
}

int cw_pl_view_new(cw_pl_view **out, const cw_station *st, const cw_plan *plan, const char *abs_dir,
                   cw_error *err)
{
    *out = NULL;
    if (plan->rate <= 0)
        return cw_fail(err, CW_EINVAL, "", 0, "the plan has no sample rate");
    cw_tz *tz = NULL;
    const char *zone = plan->timezone && plan->timezone[0] ? plan->timezone
                       : st && st->timezone                 ? st->timezone
                                                            : "UTC";
    int rc = cw_tz_open(&tz, zone, err);
    if (rc)
        return rc;
    cw_pl_view *v = calloc(1, sizeof *v);
    if (!v) {
        cw_tz_free(tz);
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    v->st = st;
    v->plan = plan;
    v->station_name = cw_pl_clean(st && st->name ? st->name : "chalkwave");
    v->abs_dir = abs_dir ? cw_strdup(abs_dir) : NULL;
    cw_date_format(plan->date, v->date);
    snprintf(v->weekday, sizeof v->weekday, "%s", weekdays[cw_weekday(plan->date) % 7]);
    local_hhmm(tz, plan->window_start_utc, v->start_hhmm);
    local_hhmm(tz, plan->window_end_utc, v->end_hhmm);
    fmt_offset(plan->start_offset, v->utc_offset);
    v->n = plan->n_items;
    v->items = calloc(v->n ? v->n : 1, sizeof *v->items);
    int bad = !v->station_name || !v->items || (abs_dir && !v->abs_dir);
    int width = v->n > 999 ? (v->n > 9999 ? 5 : 4) : 3;
    for (size_t i = 0; i < v->n && !bad; i++) {
        cw_pl_item *it = &v->items[i];
        const cw_plan_item *pi = &plan->items[i];
        it->pi = pi;
        it->index = i + 1;
        it->title = display_title(pi);
        it->teacher = cw_pl_clean(pi->teacher);
        it->language = cw_pl_clean(pi->language);
        it->series = cw_pl_clean(pi->series);
        bad = !it->title || !it->teacher || !it->language || !it->series;
        it->seconds = (double)pi->length_samples / plan->rate;
        int64_t utc = floor_div(pi->start_utc_ms, 1000);
        cw_civil c;
        int off;
        cw_tz_to_local(tz, utc, &c, &off);
        char offs[8];
        fmt_offset(off, offs);
        snprintf(it->hhmm, sizeof it->hhmm, "%02u:%02u", (unsigned)c.hour % 100u, (unsigned)c.minute % 60u);
        snprintf(it->local_iso, sizeof it->local_iso, "%04u-%02u-%02uT%02u:%02u:%02u%s",
                 (unsigned)c.year % 10000u, (unsigned)c.month % 100u, (unsigned)c.day % 100u,
                 (unsigned)c.hour % 100u, (unsigned)c.minute % 60u, (unsigned)c.second % 61u, offs);
        char slug[48];
        if (pi->kind == CW_KIND_SILENCE)
            snprintf(slug, sizeof slug, "silence");
        else
            cw_slugify(it->title ? it->title : "", slug, 40);
        snprintf(it->file, sizeof it->file, "items/%0*zu-%02u%02u-%s.ogg", width, it->index,
                 (unsigned)c.hour % 100u, (unsigned)c.minute % 60u, slug);
    }
    v->day_ogg = plan->mode == CW_BUNDLE_DAY && v->n > 0;
    v->max_silence = st && st->max_silence > 0 ? st->max_silence : CW_PL_MAX_SILENCE; /* [schedule] */
    if (!bad && pl_view_slots(v) != 0)
        bad = 1;
    if (!bad && cw_pl_view_blocks(v, tz) != 0)
        bad = 1;
    cw_tz_free(tz);
    if (bad) {
        cw_pl_view_free(v);
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    *out = v;
    return 0;
}

