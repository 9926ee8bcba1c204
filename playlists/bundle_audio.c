/* bundle_audio.c — the bundle's audio in one pass of the renderer: day.ogg, blocks/ and
 * items/ through one sink, each file hashed as it is written (for SHA256SUMS); and the
 * hashing file writer the bundle's text files use.
 * Guarantees: every file is written through a buffer and fsynced at close, its digest taken
 * of exactly the bytes written; a page copied into another file gets that file's serial and
 * CRC; a failed render leaves its files for the caller's cleanup of the build folder. */
#include "playlists_int.h"

#include <errno.h>
#include <fcntl.h>
#include <ogg/ogg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- files that hash what they write ------------------------------------------------ */

/* A file written through a buffer, hashing every byte; the first failed write is kept and
 * reported at close. */
typedef struct hfile {
    int fd;
    cw_sha256 *h;
    int werr;
    size_t n;
    unsigned char buf[1 << 16];
} hfile;

static int hfile_open(hfile *hf, const char *path, cw_error *err)
{
    hf->n = 0;
    hf->werr = 0;
    hf->h = NULL;
    hf->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (hf->fd < 0)
        return cw_fail(err, CW_EIO, path, 0, "cannot create: %s", strerror(errno));
    if (!(hf->h = cw_sha256_new())) {
        close(hf->fd);
        hf->fd = -1;
        return cw_fail(err, CW_ENOMEM, path, 0, "out of memory");
    }
    return 0;
}

static void hfile_flush(hfile *hf)
{
    size_t done = 0;
    while (!hf->werr && done < hf->n) {
        ssize_t w = write(hf->fd, hf->buf + done, hf->n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            hf->werr = errno;
        else
            done += (size_t)w;
    }
    hf->n = 0;
}

static void hfile_write(hfile *hf, const void *data, size_t len)
{
    cw_sha256_update(hf->h, data, len);
    const unsigned char *p = data;
    while (len > 0 && !hf->werr) {
        if (hf->n == sizeof hf->buf)
            hfile_flush(hf);
        size_t k = sizeof hf->buf - hf->n < len ? sizeof hf->buf - hf->n : len;
        memcpy(hf->buf + hf->n, p, k);
        hf->n += k;
        p += k;
        len -= k;
    }
}

/* Flush, fsync and close; hex (may be NULL) gets the digest of everything written. */
static int hfile_close(hfile *hf, const char *path, char hex[65], cw_error *err)
{
    char dummy[65];
    int rc = 0;
    hfile_flush(hf);
    if (hf->werr)
        rc = cw_fail(err, CW_EIO, path, 0, "cannot write: %s (check free space)", strerror(hf->werr));
    if (!rc && fsync(hf->fd) != 0)
        rc = cw_fail(err, CW_EIO, path, 0, "cannot sync: %s", strerror(errno));
    if (close(hf->fd) != 0 && !rc)
        rc = cw_fail(err, CW_EIO, path, 0, "cannot close: %s", strerror(errno));
    hf->fd = -1;
    cw_sha256_final(hf->h, hex ? hex : dummy);
    hf->h = NULL;
    return rc;
}

int cw_pl_write_text(const char *dir, const char *name, const cw_buf *b, char hex[65], cw_error *err)
{
    if (b->oom)
        return cw_fail(err, CW_ENOMEM, name, 0, "out of memory");
    char *path = cw_path_join(dir, name);
    hfile *hf = malloc(sizeof *hf);
    int rc = path && hf ? hfile_open(hf, path, err) : cw_fail(err, CW_ENOMEM, name, 0, "out of memory");
    if (!rc) {
        hfile_write(hf, b->data, b->len);
        rc = hfile_close(hf, path, hex, err);
    }
    free(hf);
    free(path);
    return rc;
}

/* Hard link src to dst, or copy it when a link is impossible; hex = sha256 of the bytes. */
static int link_or_copy(const char *src, const char *dst, char hex[65], int *copied, cw_error *err)
{
    *copied = 0;
    if (link(src, dst) == 0)
        return cw_sha256_file(dst, hex, err);
    int lerr = errno;
    if (lerr != EXDEV && lerr != EPERM && lerr != EMLINK && lerr != ENOTSUP && lerr != EACCES)
        return cw_fail(err, CW_EIO, dst, 0, "cannot link '%s': %s", src, strerror(lerr));
    *copied = 1;
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return cw_fail(err, CW_EIO, src, 0, "cannot open: %s", strerror(errno));
    hfile *hf = malloc(sizeof *hf);
    int rc = hf ? hfile_open(hf, dst, err) : cw_fail(err, CW_ENOMEM, dst, 0, "out of memory");
    if (rc) {
        free(hf);
        close(in);
        return rc;
    }
    unsigned char buf[1 << 14];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        hfile_write(hf, buf, (size_t)n);
    if (n < 0)
        rc = cw_fail(err, CW_EIO, src, 0, "read error: %s", strerror(errno));
    close(in);
    int rc2 = hfile_close(hf, dst, hex, rc ? NULL : err);
    free(hf);
    return rc ? rc : rc2;
}

/* ---- reading a library file's format ------------------------------------------------- */

/* Rate and channels from the identification header on the first page. */
static int ogg_format(const char *path, int *rate, int *channels)
{
    unsigned char b[27 + 255 + 30];
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    size_t n = fread(b, 1, sizeof b, fp);
    fclose(fp);
    if (n < 27 || memcmp(b, "OggS", 4) != 0)
        return -1;
    size_t segs = b[26], off = 27 + segs;
    if (n < off + 16 || b[off] != 1 || memcmp(b + off + 1, "vorbis", 6) != 0)
        return -1;
    *channels = b[off + 11];
    *rate = (int)((uint32_t)b[off + 12] | (uint32_t)b[off + 13] << 8 | (uint32_t)b[off + 14] << 16 |
                  (uint32_t)b[off + 15] << 24);
    return 0;
}

/* "HEX  path" for SHA256SUMS. */
int cw_pl_sums_add(cw_strlist *sums, const char *hex, const char *path, cw_error *err)
{
    if (cw_strlist_pushf(sums, "%s  %s", hex, path) != 0)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    return 0;
}

static uint32_t seed_for(const char *what, const char *date, size_t index)
{
    char key[128];
    int n = snprintf(key, sizeof key, "chalkwave %s %s %zu", what, date, index);
    return cw_hash32(key, (size_t)n);
}

/* ---- the sink that writes day.ogg, blocks/ and items/ in one pass --------------------- */

/* Every page goes to day.ogg (day mode) and to its block's file; the pages of an item that
 * is not its library file as it is (cut, another format, silence) also go to its items/
 * file. A page copied into another file gets that file's serial (the one that file would
 * have as a stream of its own: a block file is what cw_render_plan gives from the block's
 * first item) and so its own CRC. A whole library file becomes its items/ file by a hard
 * link. */
typedef struct out_file {
    hfile f;
    char *path;       /* NULL when closed */
    const char *rel;  /* name in SHA256SUMS (borrowed) */
} out_file;

typedef struct bundle_sink {
    const cw_pl_view *v;
    const char *tmp;            /* the build folder */
    cw_bundle_report *report;
    cw_strlist *S;
    out_file day, item, block;
    int blocks_tee;             /* write block files from the pages */
    size_t block_k;             /* index of the open (or last) block file */
    uint32_t *used;             /* serials of the open block file's links */
    size_t n_used, cap_used;
    uint32_t item_serial, block_serial;
    int in_block;               /* the current link goes to the block file */
    char relbuf[2][200];        /* the rel names of the item and block files */
    unsigned char page[27 + 255 + 255 * 255];
} bundle_sink;

static int of_open(out_file *o, const char *dir, const char *rel, cw_error *err)
{
    o->path = cw_path_join(dir, rel);
    if (!o->path)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    o->rel = rel;
    int rc = hfile_open(&o->f, o->path, err);
    if (rc) {
        free(o->path);
        o->path = NULL;
    }
    return rc;
}

/* Close o when open; its digest goes to SHA256SUMS unless `failed`. */
static int of_close(out_file *o, cw_strlist *S, int failed, cw_error *err)
{
    if (!o->path)
        return 0;
    char hex[65];
    int rc = hfile_close(&o->f, o->path, hex, failed ? NULL : err);
    if (!rc && !failed)
        rc = cw_pl_sums_add(S, hex, o->rel, err);
    free(o->path);
    o->path = NULL;
    return rc;
}

/* The same page with another serial (and so its own CRC). */
static void of_write_as(bundle_sink *b, out_file *o, const unsigned char *page, size_t len, uint32_t serial)
{
    if (len < 27 || len > sizeof b->page)
        return;
    memcpy(b->page, page, len);
    for (int i = 0; i < 4; i++)
        b->page[14 + i] = (unsigned char)(serial >> (8 * i));
    long hl = 27 + b->page[26];
    ogg_page og = {b->page, hl, b->page + hl, (long)len - hl};
    ogg_page_checksum_set(&og);
    hfile_write(&o->f, b->page, len);
}

/* A library file in the station's format, played whole: the items/ file is that file. */
static int whole_item(const cw_plan *plan, const cw_plan_item *pi, const char *src)
{
    int rate = 0, ch = 0;
    return src && !pi->cut && (pi->recording_samples == 0 || pi->length_samples == pi->recording_samples) &&
           ogg_format(src, &rate, &ch) == 0 && rate == plan->rate && ch == plan->channels;
}

/* Item i's file: a hard link to its recording, or opened to take the link's pages. */
static int begin_item(bundle_sink *b, const cw_ogg_link *l, const cw_plan_item *pi, cw_error *err)
{
    const cw_pl_view *v = b->v;
    const cw_plan *plan = v->plan;
    const cw_pl_item *it = &v->items[l->spec->item_index];
    cw_bundle_report *report = b->report;
    const char *src = l->spec->path;
    if (whole_item(plan, pi, src)) {
        char hex[65];
        int copied = 0;
        char *item_path = cw_path_join(b->tmp, it->file);
        int rc = item_path ? link_or_copy(src, item_path, hex, &copied, err)
                           : cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        if (!rc)
            rc = cw_pl_sums_add(b->S, hex, it->file, err);
        if (!rc && l->reencoded) {
            report->reencoded++;
            cw_strlist_pushf(&report->notes, "item %zu re-encoded: '%s' could not be copied page by page",
                             it->index, pi->recording);
        }
        free(item_path);
        return rc;
    }
    int rate = 0, ch = 0;
    if (src && !pi->cut && ogg_format(src, &rate, &ch) == 0)
        cw_strlist_pushf(&report->notes, "item %zu re-encoded: '%s' is %d Hz, %d channel%s (station: %d Hz, %d)",
                         it->index, pi->recording, rate, ch, ch == 1 ? "" : "s", plan->rate, plan->channels);
    else if (src && pi->cut)
        cw_strlist_pushf(&report->notes, "item %zu cut to %.3f s with a %.2f s fade (re-encoded)", it->index,
                         it->seconds, pi->fade_out);
    if (src)
        report->reencoded++;
    snprintf(b->relbuf[0], sizeof b->relbuf[0], "%s", it->file);
    b->item_serial = cw_chain_serial(seed_for("item", v->date, it->index), 0, NULL, 0);
    return of_open(&b->item, b->tmp, b->relbuf[0], err);
}

/* The link of item i goes to its block's file: open it on the block's first link. */
static int begin_block_link(bundle_sink *b, size_t i, cw_error *err)
{
    const cw_pl_view *v = b->v;
    size_t k = b->block_k;
    while (k < v->n_blocks && i >= v->blocks[k].first + v->blocks[k].n)
        k++;
    if (k >= v->n_blocks)
        return cw_fail(err, CW_EINTERNAL, "", 0, "item %zu is in no block (please report)", i + 1);
    int rc = 0;
    if (!b->block.path || k != b->block_k) {
        rc = of_close(&b->block, b->S, 0, err);
        snprintf(b->relbuf[1], sizeof b->relbuf[1], "blocks/%s.ogg", v->blocks[k].name);
        if (!rc)
            rc = of_open(&b->block, b->tmp, b->relbuf[1], err);
        b->block_k = k;
        b->n_used = 0;
    }
    if (!rc && b->n_used == b->cap_used) {
        size_t cap = b->cap_used ? b->cap_used * 2 : 64;
        uint32_t *u = realloc(b->used, cap * sizeof *u);
        if (!u)
            return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        b->used = u;
        b->cap_used = cap;
    }
    if (!rc) {
        uint32_t seed = cw_pl_render_seed(v->plan, v->blocks[k].first);
        b->block_serial = cw_chain_serial(seed, (uint64_t)b->n_used, b->used, b->n_used);
        b->used[b->n_used++] = b->block_serial;
        b->in_block = 1;
    }
    return rc;
}

static int bs_link_begin(void *user, const cw_ogg_link *l, cw_error *err)
{
    bundle_sink *b = user;
    int rc = of_close(&b->item, b->S, 0, err);
    const cw_plan_item *pi = l->spec->item;
    b->in_block = 0;
    if (!rc && !pi) /* the silence between two blocks: only day.ogg has it */
        rc = of_close(&b->block, b->S, 0, err);
    if (rc || !pi)
        return rc;
    if (b->blocks_tee && (rc = begin_block_link(b, l->spec->item_index, err)) != 0)
        return rc;
    return l->part > 0 ? 0 : begin_item(b, l, pi, err);
}

static int bs_page(void *user, const unsigned char *page, size_t len, int64_t granule, cw_error *err)
{
    (void)granule;
    (void)err;
    bundle_sink *b = user;
    if (b->day.path)
        hfile_write(&b->day.f, page, len);
    if (b->in_block && b->block.path)
        of_write_as(b, &b->block, page, len, b->block_serial);
    if (b->item.path)
        of_write_as(b, &b->item, page, len, b->item_serial);
    return 0;
}

static int bs_close(void *user, int failed, cw_error *err)
{
    bundle_sink *b = user;
    int rc = of_close(&b->item, b->S, failed, failed ? NULL : err);
    int rc2 = of_close(&b->block, b->S, failed || rc, failed || rc ? NULL : err);
    int rc3 = of_close(&b->day, b->S, failed || rc || rc2, failed || rc || rc2 ? NULL : err);
    return rc ? rc : rc2 ? rc2 : rc3;
}

/* day.ogg, blocks/ and items/: one render of the whole day (day mode: gaps between
 * windows are "Off air" silence in day.ogg) or one render per block (blocks mode). A day
 * of one block has a block file with the bytes of day.ogg: a hard link. */
static int render_audio(const cw_station *st, bundle_sink *bs, const char *day_rel, cw_error *err)
{
    const cw_pl_view *v = bs->v;
    const cw_plan *plan = v->plan;
    cw_ogg_sink sink = {bs, bs_link_begin, bs_page, bs_close};
    cw_render_report rr;
    int rc = 0;
    if (v->day_ogg) {
        bs->blocks_tee = v->n_blocks > 1;
        if ((rc = of_open(&bs->day, bs->tmp, day_rel, err)) != 0)
            return rc;
        rc = cw_render_plan(st, plan, 0, 0, plan->n_items, &sink, &rr, err);
        if (!rc && v->n_blocks == 1) {
            char hex[65], rel[200];
            int copied = 0;
            snprintf(rel, sizeof rel, "blocks/%s.ogg", v->blocks[0].name);
            char *src = cw_path_join(bs->tmp, day_rel), *dst = cw_path_join(bs->tmp, rel);
            rc = src && dst ? link_or_copy(src, dst, hex, &copied, err) : cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
            if (!rc)
                rc = cw_pl_sums_add(bs->S, hex, rel, err);
            free(src);
            free(dst);
        }
        return rc;
    }
    bs->blocks_tee = 1;
    for (size_t k = 0; !rc && k < v->n_blocks; k++) {
        rc = cw_render_plan(st, plan, v->blocks[k].first, 0, v->blocks[k].first + v->blocks[k].n, &sink, &rr, err);
    }
    return rc;
}

int cw_pl_bundle_audio(const cw_station *st, const cw_pl_view *v, const char *tmp, cw_bundle_report *report,
                       cw_strlist *sums, cw_error *err)
{
    bundle_sink *bs = calloc(1, sizeof *bs);
    if (!bs)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    bs->v = v;
    bs->tmp = tmp;
    bs->report = report;
    bs->S = sums;
    int rc = render_audio(st, bs, "day.ogg", err);
    for (size_t i = 0; i < v->n; i++)
        report->day_samples += v->items[i].pi->length_samples; /* airtime: the gaps are not ours */
    bs_close(bs, 1, NULL); /* closes what an error left open; nothing after success */
    free(bs->used);
    free(bs);
    return rc;
}
