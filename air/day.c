/* day.c — a day bundle as playout sees it: plan.json (checked against SHA256SUMS) and its
 * audio files (day.ogg, or blocks/ in blocks mode) indexed link by link, so an output can
 * start any item, or inside one, without reading what comes before it.
 * Guarantees: a bundle is accepted only when every plan item is a link of its file exactly
 * as long as the item, where the plan puts it; the open file descriptors keep the bundle
 * readable while `build` swaps in a new one. */
#include "air_int.h"
#include "playlists.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void air_day_free(air_day *d)
{
    if (!d)
        return;
    for (size_t k = 0; k < d->n_files; k++) {
        if (d->files[k].fd >= 0)
            close(d->files[k].fd);
        free(d->files[k].path);
    }
    free(d->files);
    if (d->item_path && d->plan)
        for (size_t i = 0; i < d->plan->n_items; i++)
            free(d->item_path[i]);
    free(d->item_path);
    cw_plan_free(d->plan);
    free(d->start_ns);
    free(d->file);
    free(d->link_pos);
    free(d->link_end);
    free(d->link_headers);
    free(d->chain_pos);
    free(d->dir);
    free(d);
}

/* The digest SHA256SUMS gives for `name`, or "" when none. */
static void sums_lookup(const char *sums, const char *name, char hex[65])
{
    hex[0] = 0;
    size_t nl = strlen(name);
    for (const char *p = sums; p && *p;) {
        const char *eol = strchr(p, '\n');
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len == 66 + nl && p[64] == ' ' && p[65] == ' ' && !memcmp(p + 66, name, nl)) {
            memcpy(hex, p, 64);
            hex[64] = 0;
            for (int i = 0; i < 64; i++)
                if (hex[i] >= 'A' && hex[i] <= 'F')
                    hex[i] = (char)(hex[i] - 'A' + 'a');
            return;
        }
        p = eol ? eol + 1 : NULL;
    }
}

/* The rate and channels in the identification header of the link at pos. */
static int id_header(int fd, int64_t pos, int *rate, int *channels)
{
    unsigned char id[27 + 255 + 16];
    ssize_t r = pread(fd, id, sizeof id, (off_t)pos);
    size_t got = r > 0 ? (size_t)r : 0;
    if (got < 27)
        return -1;
    size_t off = 27 + (size_t)id[26];
    if (got < off + 16 || id[off] != 1 || memcmp(id + off + 1, "vorbis", 6) != 0)
        return -1;
    *channels = id[off + 11];
    *rate = (int)((uint32_t)id[off + 12] | (uint32_t)id[off + 13] << 8 | (uint32_t)id[off + 14] << 16 |
                  (uint32_t)id[off + 15] << 24);
    return 0;
}

/* Walk one file's page headers: where each link starts, how many pages its Vorbis headers
 * take, how long it is; the items the layout puts in this file must be links at their
 * places. */
static int index_file(air_day *d, size_t k, const cw_bundle_file *bf, cw_error *err)
{
    air_file *f = &d->files[k];
    unsigned char buf[27 + 255];
    air_page pg = {buf, 0, 0, 0, 0, 0};
    int64_t pos = 0, stream = 0, link_start = 0, last_granule = 0, link_pos = 0;
    int packets = 0, headers = 0, in_link = 0;
    uint32_t serial = 0;
    size_t next = bf->first_item, end_item = bf->first_item + bf->n_items;
    const cw_plan *p = d->plan;
    for (;;) {
        cw_error e = {0};
        int rc = air_page_peek(f->fd, pos, &pg, &e);
        if (rc < 0)
            return cw_fail(err, CW_EINVAL, f->path, 0, "%s", e.text);
        if (rc == 1 || pg.bos) { /* the link before ends here */
            if (in_link) {
                int64_t at = bf->offset + link_start;
                if (next < end_item && p->items[next].offset_samples == at) {
                    if (last_granule != p->items[next].length_samples)
                        return cw_fail(err, CW_EINVAL, f->path, 0,
                                       "item %zu is %lld samples long in the audio but %lld in plan.json (rebuild "
                                       "the day with chalkwave build)",
                                       next + 1, (long long)last_granule, (long long)p->items[next].length_samples);
                    d->file[next] = k;
                    d->link_pos[next] = link_pos;
                    d->link_end[next] = pos;
                    d->link_headers[next] = headers;
                    d->chain_pos[next] = link_start;
                    next++;
                }
                stream = link_start + last_granule;
            }
            if (rc == 1)
                break;
            int rate = 0, ch = 0;
            if (id_header(f->fd, pos, &rate, &ch) != 0 || rate != p->rate)
                return cw_fail(err, CW_EINVAL, f->path, 0, "a link at byte %lld is not Vorbis at the plan's %d Hz (rebuild the day)",
                               (long long)pos, p->rate);
            if (p->channels <= 0) /* plan.json has no channel count: the audio says it */
                d->plan->channels = ch;
            in_link = 1;
            link_pos = pos;
            link_start = stream;
            packets = headers = 0;
            last_granule = 0;
            serial = pg.serial;
        } else if (!in_link || pg.serial != serial) {
            return cw_fail(err, CW_EINVAL, f->path, 0, "not a chain of Ogg links at byte %lld (rebuild the day)",
                           (long long)pos);
        }
        if (packets < 3) {
            for (int i = 0; i < buf[26]; i++)
                if (buf[27 + i] < 255)
                    packets++;
            headers++;
        }
        if (pg.granule >= 0 && packets >= 3)
            last_granule = pg.granule;
        pos += (int64_t)pg.len;
    }
    if (next != end_item)
        return cw_fail(err, CW_EINVAL, f->path, 0,
                       "item %zu is not where plan.json puts it (a link is missing or has the wrong length; rebuild "
                       "the day with chalkwave build)",
                       next + 1);
    return 0;
}

static int load_plan(air_day *d, const char *dir, char **sums_out, cw_error *err)
{
    char *sums_path = cw_path_join(dir, "SHA256SUMS"), *plan_path = cw_path_join(dir, "plan.json");
    char *sums = NULL, *json = NULL;
    size_t sums_len = 0, json_len = 0;
    int rc = 0;
    if (!sums_path || !plan_path) {
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        goto done;
    }
    if (stat(plan_path, &d->plan_st) != 0) {
        rc = errno == ENOENT ? cw_fail(err, CW_ENOTFOUND, dir, 0, "no bundle in '%s'", dir)
                             : cw_fail(err, CW_EIO, plan_path, 0, "cannot read: %s", strerror(errno));
        goto done;
    }
    if ((rc = cw_read_file(sums_path, 4u << 20, &sums, &sums_len, err)) != 0) {
        if (rc == CW_ENOTFOUND)
            rc = cw_fail(err, CW_EINVAL, dir, 0, "the bundle has no SHA256SUMS (rebuild the day with chalkwave build)");
        goto done;
    }
    if ((rc = cw_read_file(plan_path, 64u << 20, &json, &json_len, err)) != 0)
        goto done;
    char want[65], got[65];
    sums_lookup(sums, "plan.json", want);
    cw_sha256 *h = cw_sha256_new();
    if (!h) {
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        goto done;
    }
    cw_sha256_update(h, json, json_len);
    cw_sha256_final(h, got);
    if (!want[0] || strcmp(want, got) != 0) {
        rc = cw_fail(err, CW_EINVAL, plan_path, 0,
                     "plan.json does not match the bundle's SHA256SUMS (rebuild the day with chalkwave build)");
        goto done;
    }
    memcpy(d->id, got, 16);
    d->id[16] = 0;
    cw_error e = {0};
    if ((rc = cw_plan_from_json(&d->plan, json, json_len, &e)) != 0)
        rc = cw_fail(err, rc == CW_ENOMEM ? CW_ENOMEM : CW_EINVAL, plan_path, e.line, "%s", e.text);
    else if (d->plan->rate <= 0)
        rc = cw_fail(err, CW_EINVAL, plan_path, 0, "the plan has no sample rate (rebuild the day)");
done:
    if (!rc) {
        *sums_out = sums;
        sums = NULL;
    }
    free(sums);
    free(json);
    free(sums_path);
    free(plan_path);
    return rc;
}

static int alloc_items(air_day *d, size_t n)
{
    d->start_ns = calloc(n + 1, sizeof *d->start_ns);
    d->file = calloc(n + 1, sizeof *d->file);
    d->link_pos = calloc(n + 1, sizeof *d->link_pos);
    d->link_end = calloc(n + 1, sizeof *d->link_end);
    d->link_headers = calloc(n + 1, sizeof *d->link_headers);
    d->chain_pos = calloc(n + 1, sizeof *d->chain_pos);
    d->item_path = calloc(n + 1, sizeof *d->item_path);
    return d->start_ns && d->file && d->link_pos && d->link_end && d->link_headers && d->chain_pos && d->item_path;
}

int air_day_load(air_day **out, const char *bundle_dir, cw_error *err)
{
    *out = NULL;
    air_day *d = calloc(1, sizeof *d);
    cw_bundle_layout *lay = NULL;
    char *sums = NULL;
    if (!d)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    d->dir = cw_strdup(bundle_dir);
    int rc = d->dir ? load_plan(d, bundle_dir, &sums, err) : cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    if (rc)
        goto fail;
    d->date = d->plan->date;
    size_t n = d->plan->n_items;
    if (!alloc_items(d, n)) {
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        goto fail;
    }
    int64_t w0 = d->plan->window_start_utc * AIR_NS;
    for (size_t i = 0; i < n; i++) {
        d->start_ns[i] = w0 + air_samples_to_ns(d->plan->items[i].offset_samples, d->plan->rate);
        if (i && d->plan->items[i].offset_samples < d->plan->items[i - 1].offset_samples + d->plan->items[i - 1].length_samples) {
            rc = cw_fail(err, CW_EINVAL, d->dir, 0, "plan.json has overlapping items (rebuild the day)");
            goto fail;
        }
    }
    d->start_ns[n] = n ? w0 + air_samples_to_ns(d->plan->items[n - 1].offset_samples + d->plan->items[n - 1].length_samples,
                                                d->plan->rate)
                       : w0;
    if ((rc = cw_bundle_layout_new(&lay, d->plan, err)) != 0)
        goto fail;
    d->files = calloc(lay->n_files ? lay->n_files : 1, sizeof *d->files);
    if (!d->files) {
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        goto fail;
    }
    for (size_t k = 0; k < lay->n_files; k++) {
        air_file *f = &d->files[k];
        d->n_files++;
        f->fd = -1;
        f->path = cw_path_join(bundle_dir, lay->files[k].rel);
        char hex[65];
        sums_lookup(sums, lay->files[k].rel, hex);
        if (!f->path) {
            rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
            goto fail;
        }
        if (!hex[0]) {
            rc = cw_fail(err, CW_EINVAL, f->path, 0, "'%s' is not in the bundle's SHA256SUMS (rebuild the day)",
                         lay->files[k].rel);
            goto fail;
        }
        f->fd = open(f->path, O_RDONLY | O_CLOEXEC);
        if (f->fd < 0 || fstat(f->fd, &f->st) != 0) {
            rc = cw_fail(err, CW_EINVAL, f->path, 0, "cannot open %s: %s (rebuild the day)", lay->files[k].rel,
                         strerror(errno));
            goto fail;
        }
        if ((rc = index_file(d, k, &lay->files[k], err)) != 0)
            goto fail;
    }
    for (size_t i = 0; i < n; i++)
        if (!(d->item_path[i] = cw_path_join(bundle_dir, lay->item_file[i]))) {
            rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
            goto fail;
        }
    if (d->plan->channels <= 0)
        d->plan->channels = 1;
    cw_bundle_layout_free(lay);
    free(sums);
    *out = d;
    return 0;
fail:
    cw_bundle_layout_free(lay);
    free(sums);
    air_day_free(d);
    return rc;
}

static int same_file(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

int air_day_changed(const air_day *d)
{
    struct stat a;
    char *pp = cw_path_join(d->dir, "plan.json");
    int changed = !pp || stat(pp, &a) != 0 || !same_file(&a, &d->plan_st);
    free(pp);
    for (size_t k = 0; k < d->n_files && !changed; k++)
        changed = stat(d->files[k].path, &a) != 0 || !same_file(&a, &d->files[k].st);
    return changed;
}

long air_day_item_at(const air_day *d, int64_t wall_ns)
{
    size_t n = d->plan->n_items;
    if (!n || wall_ns < d->start_ns[0] || wall_ns >= d->start_ns[n])
        return -1;
    size_t lo = 0, hi = n; /* last item with start <= wall */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (d->start_ns[mid] <= wall_ns)
            lo = mid;
        else
            hi = mid;
    }
    const cw_plan_item *it = &d->plan->items[lo];
    int64_t end = d->plan->window_start_utc * AIR_NS + air_samples_to_ns(it->offset_samples + it->length_samples, d->plan->rate);
    return wall_ns < end ? (long)lo : -1;
}
