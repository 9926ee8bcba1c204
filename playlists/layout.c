/* layout.c — where a bundle keeps each item's audio, for readers other than the bundle
 * writer (playout): the chained Ogg file that holds it (day.ogg, or blocks/NAME.ogg in
 * blocks mode) and its own file in items/. Derived from the plan exactly as the writer
 * names them (one view, one naming rule).
 * Guarantees: pure function of the plan; no file is opened. */
#include "playlists_int.h"

#include <stdlib.h>
#include <string.h>

void cw_bundle_layout_free(cw_bundle_layout *l)
{
    if (!l)
        return;
    free(l->files);
    free(l->item_file);
    free(l->item_in);
    free(l);
}

int cw_bundle_layout_new(cw_bundle_layout **out, const cw_plan *plan, cw_error *err)
{
    *out = NULL;
    cw_pl_view *v = NULL;
    int rc = cw_pl_view_new(&v, NULL, plan, NULL, err);
    if (rc)
        return rc;
    cw_bundle_layout *l = calloc(1, sizeof *l);
    size_t nf = v->day_ogg ? 1 : v->n_blocks;
    if (l) {
        l->files = calloc(nf ? nf : 1, sizeof *l->files);
        l->item_file = calloc(v->n ? v->n : 1, sizeof *l->item_file);
        l->item_in = calloc(v->n ? v->n : 1, sizeof *l->item_in);
    }
    if (!l || !l->files || !l->item_file || !l->item_in) {
        cw_bundle_layout_free(l);
        cw_pl_view_free(v);
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    l->n_files = nf;
    l->n_items = v->n;
    if (v->day_ogg) {
        snprintf(l->files[0].rel, sizeof l->files[0].rel, "day.ogg");
        l->files[0].first_item = 0;
        l->files[0].n_items = v->n;
        l->files[0].offset = v->n ? plan->items[0].offset_samples : 0;
    } else {
        for (size_t k = 0; k < nf; k++) {
            snprintf(l->files[k].rel, sizeof l->files[k].rel, "blocks/%s.ogg", v->blocks[k].name);
            l->files[k].first_item = v->blocks[k].first;
            l->files[k].n_items = v->blocks[k].n;
            l->files[k].offset = v->blocks[k].offset;
        }
    }
    for (size_t k = 0; k < nf; k++)
        for (size_t i = l->files[k].first_item; i < l->files[k].first_item + l->files[k].n_items && i < v->n; i++)
            l->item_in[i] = k;
    for (size_t i = 0; i < v->n; i++)
        snprintf(l->item_file[i], sizeof l->item_file[i], "%s", v->items[i].file);
    cw_pl_view_free(v);
    *out = l;
    return 0;
}
