/* day.c — a day bundle as playout sees it: plan.json (checked against SHA256SUMS) and
 * day.ogg indexed link by link, so an output can start any item, or inside one, without
 * reading what comes before it.
 * Guarantees: a bundle is accepted only when day.ogg has exactly one link per plan item,
 * each exactly as long as its item; the open file descriptor keeps the bundle readable
 * while `build` swaps in a new one. */
#include "air_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void air_day_free(air_day *d)
{
    if (!d)
        return;
    if (d->fd >= 0)
        close(d->fd);
    cw_plan_free(d->plan);
    free(d->start_ns);
    free(d->link_pos);
    free(d->link_headers);
    free(d->chain_pos);
    free(d->dir);
    free(d->ogg_path);
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

/* Walk day.ogg's page headers: where each link starts, how many pages its Vorbis headers
 * take, and its final granule (its length). */
static int index_links(air_day *d, cw_error *err)
{
    size_t n = d->plan->n_items;
    unsigned char buf[27 + 255];
    air_page pg = {buf, 0, 0, 0, 0, 0};
    int64_t pos = 0, last_granule = 0;
    long link = -1;
    int packets = 0;
    uint32_t serial = 0;
    for (;;) {
        cw_error e = {0};
        int rc = air_page_peek(d->fd, pos, &pg, &e);
        if (rc == 1)
            break;
        if (rc)
            return cw_fail(err, CW_EINVAL, d->ogg_path, 0, "%s", e.text);
        if (pg.bos && link < 0) { /* plan.json has no channel count: the first link says it */
            unsigned char id[27 + 255 + 16];
            size_t got = 0;
            ssize_t r = pread(d->fd, id, sizeof id, (off_t)pos);
            got = r > 0 ? (size_t)r : 0;
            size_t off = 27 + (size_t)id[26];
            if (got < off + 16 || id[off] != 1 || memcmp(id + off + 1, "vorbis", 6) != 0)
                return cw_fail(err, CW_EINVAL, d->ogg_path, 0, "day.ogg does not start with a Vorbis stream (rebuild the day)");
            uint32_t rate = (uint32_t)id[off + 12] | (uint32_t)id[off + 13] << 8 | (uint32_t)id[off + 14] << 16 |
                            (uint32_t)id[off + 15] << 24;
            if (d->plan->channels <= 0)
                d->plan->channels = id[off + 11];
            if ((int)rate != d->plan->rate || d->plan->channels <= 0)
                return cw_fail(err, CW_EINVAL, d->ogg_path, 0, "day.ogg is %u Hz but plan.json says %d Hz (rebuild the day)",
                               rate, d->plan->rate);
        }
        if (pg.bos) {
            if (link >= 0 && last_granule != d->plan->items[link].length_samples)
                break;
            link++;
            if ((size_t)link >= n)
                return cw_fail(err, CW_EINVAL, d->ogg_path, 0,
                               "day.ogg has more links than plan.json has items (rebuild the day with chalkwave build)");
            d->link_pos[link] = pos;
            d->link_headers[link] = 0;
            packets = 0;
            serial = pg.serial;
            last_granule = 0;
        } else if (link < 0 || pg.serial != serial) {
            return cw_fail(err, CW_EINVAL, d->ogg_path, 0, "day.ogg is not a chain of links at byte %lld (rebuild the day)",
                           (long long)pos);
        }
        if (packets < 3) {
            for (int i = 0; i < buf[26]; i++)
                if (buf[27 + i] < 255)
                    packets++;
            d->link_headers[link]++;
        }
        if (pg.granule >= 0 && packets >= 3)
            last_granule = pg.granule;
        pos += (int64_t)pg.len;
    }
    if (link + 1 != (long)n || (link >= 0 && last_granule != d->plan->items[link].length_samples)) {
        long k = link < 0 ? 0 : link;
        return cw_fail(err, CW_EINVAL, d->ogg_path, 0,
                       "day.ogg does not match plan.json at item %ld (a link is missing or has the wrong length; "
                       "rebuild the day with chalkwave build)",
                       k + 1);
    }
    d->link_pos[n] = pos;
    return 0;
}

static int load_plan(air_day *d, const char *dir, cw_error *err)
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
    if ((rc = cw_read_file(sums_path, 1 << 20, &sums, &sums_len, err)) != 0) {
        if (rc == CW_ENOTFOUND)
            rc = cw_fail(err, CW_EINVAL, dir, 0, "the bundle has no SHA256SUMS (rebuild the day with chalkwave build)");
        goto done;
    }
    if ((rc = cw_read_file(plan_path, 64u << 20, &json, &json_len, err)) != 0)
        goto done;
    char want[65], ogg_hex[65], got[65];
    sums_lookup(sums, "plan.json", want);
    sums_lookup(sums, "day.ogg", ogg_hex);
    cw_sha256 *h = cw_sha256_new();
    if (!h) {
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        goto done;
    }
    cw_sha256_update(h, json, json_len);
    cw_sha256_final(h, got);
    if (!want[0] || !ogg_hex[0] || strcmp(want, got) != 0) {
        rc = cw_fail(err, CW_EINVAL, plan_path, 0,
                     "plan.json does not match the bundle's SHA256SUMS (rebuild the day with chalkwave build)");
        goto done;
    }
    memcpy(d->id, ogg_hex, 16);
    d->id[16] = 0;
    cw_error e = {0};
    if ((rc = cw_plan_from_json(&d->plan, json, json_len, &e)) != 0)
        rc = cw_fail(err, rc == CW_ENOMEM ? CW_ENOMEM : CW_EINVAL, plan_path, e.line, "%s", e.text);
    else if (d->plan->rate <= 0)
        rc = cw_fail(err, CW_EINVAL, plan_path, 0, "the plan has no sample rate (rebuild the day)");
done:
    free(sums);
    free(json);
    free(sums_path);
    free(plan_path);
    return rc;
}

int air_day_load(air_day **out, const char *bundle_dir, cw_error *err)
{
    *out = NULL;
    air_day *d = calloc(1, sizeof *d);
    if (!d)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    d->fd = -1;
    d->dir = cw_strdup(bundle_dir);
    d->ogg_path = cw_path_join(bundle_dir, "day.ogg");
    int rc = 0;
    if (!d->dir || !d->ogg_path) {
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        goto fail;
    }
    if ((rc = load_plan(d, bundle_dir, err)) != 0)
        goto fail;
    d->date = d->plan->date;
    d->fd = open(d->ogg_path, O_RDONLY | O_CLOEXEC);
    if (d->fd < 0 || fstat(d->fd, &d->ogg_st) != 0) {
        rc = cw_fail(err, errno == ENOENT ? CW_EINVAL : CW_EIO, d->ogg_path, 0, "cannot open day.ogg: %s (rebuild the day)",
                     strerror(errno));
        goto fail;
    }
    size_t n = d->plan->n_items;
    d->start_ns = calloc(n + 1, sizeof *d->start_ns);
    d->link_pos = calloc(n + 1, sizeof *d->link_pos);
    d->link_headers = calloc(n + 1, sizeof *d->link_headers);
    d->chain_pos = calloc(n + 1, sizeof *d->chain_pos);
    if (!d->start_ns || !d->link_pos || !d->link_headers || !d->chain_pos) {
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        goto fail;
    }
    int64_t w0 = d->plan->window_start_utc * AIR_NS;
    for (size_t i = 0; i < n; i++) {
        d->start_ns[i] = w0 + air_samples_to_ns(d->plan->items[i].offset_samples, d->plan->rate);
        d->chain_pos[i + 1] = d->chain_pos[i] + d->plan->items[i].length_samples;
    }
    d->start_ns[n] = n ? w0 + air_samples_to_ns(d->plan->items[n - 1].offset_samples + d->plan->items[n - 1].length_samples,
                                                d->plan->rate)
                       : w0;
    if ((rc = index_links(d, err)) != 0)
        goto fail;
    *out = d;
    return 0;
fail:
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
    struct stat a, b;
    char *pp = cw_path_join(d->dir, "plan.json");
    int changed = !pp || stat(pp, &a) != 0 || stat(d->ogg_path, &b) != 0 || !same_file(&a, &d->plan_st) ||
                  !same_file(&b, &d->ogg_st);
    free(pp);
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
