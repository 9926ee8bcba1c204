/* render.c — a plan's items -> chained Ogg Vorbis links through a cw_ogg_sink: the one
 * render loop behind day.ogg, blocks/ files, items/ and playout (air/).
 * Guarantees: every item is one link of exactly its planned samples (an item joined inside
 * its recording is a short re-encoded head with a fade-in, then the recording's own
 * packets: two links); a gap between two items (between blocks) is a silence link whose
 * spec has no item; serials depend only on the plan's date and the first item rendered, so
 * rendering from the same item gives the same bytes; the sink is closed once, also on
 * failure (failed = 1). */
#include "playlists_int.h"

#include <stdlib.h>
#include <string.h>

uint32_t cw_pl_render_seed(const cw_plan *plan, size_t first_item)
{
    char date[11], key[128];
    cw_date_format(plan->date, date);
    int n = snprintf(key, sizeof key, "chalkwave day %s %zu", date, first_item);
    return cw_hash32(key, (size_t)n);
}

int cw_pl_link_meta(cw_pl_meta *s, const cw_pl_view *v, const cw_pl_item *it)
{
    memset(s, 0, sizeof *s);
    s->m.title = it->title;
    s->m.artist = it->teacher[0] ? it->teacher : NULL;
    s->m.album = it->series[0] ? it->series : NULL;
    s->m.genre = cw_kind_name(it->pi->kind);
    s->m.language = it->language[0] ? it->language : NULL;
    s->m.tracknumber = (int)it->index;
    int rc = cw_strlist_pushf(&s->extra, "PLANNED_START=%s", it->local_iso);
    if (!rc)
        rc = cw_strlist_pushf(&s->extra, "ORGANIZATION=%s", v->station_name);
    s->m.extra = &s->extra;
    return rc;
}

/* The items to render must follow each other without overlapping, each with a length and
 * (but silence) a safe recording path no longer than the recording. */
static int check_items(const cw_plan *p, size_t first, int64_t from, size_t to, cw_error *err)
{
    if (p->rate <= 0 || p->channels <= 0)
        return cw_fail(err, CW_EINVAL, "", 0, "the plan has no audio format");
    if (first >= to || to > p->n_items)
        return cw_fail(err, CW_EINVAL, "", 0, "no items to render (items %zu to %zu of %zu)", first + 1, to,
                       p->n_items);
    if (from < 0 || from >= p->items[first].length_samples)
        return cw_fail(err, CW_EINVAL, "", 0, "cannot start %lld samples into item %zu (it has %lld)",
                       (long long)from, first + 1, (long long)p->items[first].length_samples);
    for (size_t i = first; i < to; i++) {
        const cw_plan_item *pi = &p->items[i];
        if (i > first && pi->offset_samples < p->items[i - 1].offset_samples + p->items[i - 1].length_samples)
            return cw_fail(err, CW_EINTERNAL, "", 0,
                           "plan item %zu starts at sample %lld, before the previous item ends at %lld "
                           "(please report)",
                           i + 1, (long long)pi->offset_samples,
                           (long long)(p->items[i - 1].offset_samples + p->items[i - 1].length_samples));
        if (pi->length_samples <= 0)
            return cw_fail(err, CW_EINTERNAL, "", 0, "plan item %zu has no length (please report)", i + 1);
        if (pi->kind != CW_KIND_SILENCE) {
            if (!pi->recording || !cw_path_is_safe_relative(pi->recording))
                return cw_fail(err, CW_EINVAL, "", 0, "plan item %zu has no usable recording path", i + 1);
            if (pi->recording_samples > 0 && pi->length_samples > pi->recording_samples)
                return cw_fail(err, CW_EINVAL, pi->recording, 0,
                               "plan item %zu is longer than its recording (rescan the library)", i + 1);
        }
    }
    return 0;
}

/* The silence between two blocks (day.ogg): a link with no item. */
static int add_gap(cw_chain *c, const cw_pl_view *v, int64_t samples, size_t before, cw_error *err)
{
    cw_link_meta m = {.title = "Off air", .genre = "silence"};
    cw_strlist extra = {0};
    int rc = cw_strlist_pushf(&extra, "ORGANIZATION=%s", v->station_name);
    if (rc) {
        cw_strlist_free(&extra);
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    m.extra = &extra;
    cw_link_spec sp = {.samples = samples, .meta = &m, .item = NULL, .item_index = before};
    rc = cw_chain_add(c, &sp, NULL, err);
    cw_strlist_free(&extra);
    return rc;
}

/* One item as a link (or two, when joined inside its recording). */
static int add_item(cw_chain *c, const cw_station *st, const cw_pl_view *v, size_t i, int64_t from,
                    int *reencoded, cw_error *err)
{
    const cw_pl_item *it = &v->items[i];
    const cw_plan_item *pi = it->pi;
    const char *root = st && st->dir ? st->dir : ".";
    cw_pl_meta lm;
    if (cw_pl_link_meta(&lm, v, it) != 0) {
        cw_strlist_free(&lm.extra);
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    char *src = pi->kind == CW_KIND_SILENCE ? NULL : cw_path_join(root, pi->recording);
    int rc = 0;
    if (pi->kind != CW_KIND_SILENCE && !src)
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    else if (src && !cw_path_resolves_inside(root, pi->recording))
        rc = cw_fail(err, CW_ENOTFOUND, src, 0, "recording of item %zu is missing (rescan the library and plan again)",
                     it->index);
    if (!rc) {
        cw_link_spec sp = {
            .path = src,
            .from = from,
            .samples = pi->length_samples - from,
            .fade_in = from > 0 ? (st ? st->fade : 0.5) : 0,
            .fade_out = pi->cut ? pi->fade_out : 0,
            .meta = &lm.m,
            .item = pi,
            .item_index = i,
        };
        rc = cw_chain_add(c, &sp, reencoded, err);
    }
    cw_strlist_free(&lm.extra);
    free(src);
    return rc;
}

int cw_render_plan(const cw_station *st, const cw_plan *plan, size_t first_item, int64_t from_sample,
                   size_t to_item, const cw_ogg_sink *sink, cw_render_report *report, cw_error *err)
{
    cw_render_report local;
    if (!report)
        report = &local;
    memset(report, 0, sizeof *report);
    int rc = check_items(plan, first_item, from_sample, to_item, err);
    cw_pl_view *v = NULL;
    cw_chain *c = NULL;
    if (!rc)
        rc = cw_pl_view_new(&v, st, plan, NULL, err);
    if (!rc) {
        cw_chain_format fmt = {plan->rate, plan->channels, st ? st->quality : 3.0};
        rc = cw_chain_open(&c, sink, &fmt, cw_pl_render_seed(plan, first_item), err);
    }
    /* stream position of items[i]'s first sample: offset - base */
    int64_t base = rc ? 0 : plan->items[first_item].offset_samples + from_sample;
    for (size_t i = first_item; !rc && i < to_item; i++) {
        const cw_plan_item *pi = &plan->items[i];
        int64_t from = i == first_item ? from_sample : 0;
        int64_t gap = pi->offset_samples + from - base - cw_chain_samples(c);
        if (gap > 0)
            rc = add_gap(c, v, gap, i, err);
        int re = 0;
        if (!rc)
            rc = add_item(c, st, v, i, from, &re, err);
        if (!rc && cw_chain_samples(c) != pi->offset_samples + pi->length_samples - base)
            rc = cw_fail(err, CW_EINTERNAL, "", 0, "item %zu would end at sample %lld, planned %lld (please report)",
                         i + 1, (long long)cw_chain_samples(c),
                         (long long)(pi->offset_samples + pi->length_samples - base));
        report->reencoded += (size_t)re;
    }
    report->samples = cw_chain_samples(c);
    report->links = cw_chain_links(c);
    int rc2 = cw_chain_close(c, rc ? NULL : err);
    if (!rc)
        rc = rc2;
    if (sink->close) {
        int rc3 = sink->close(sink->user, rc != 0, rc ? NULL : err);
        if (!rc)
            rc = rc3;
    }
    cw_pl_view_free(v);
    return rc;
}
