/* bundle.c — a day plan -> the bundle folder: day.ogg (one link per item, each starting at
 * its planned sample offset), items/, playlists, plan.json, schedule.ics, guide, SHA256SUMS.
 * Guarantees: everything is written into a temporary folder beside the target, fsynced,
 * and swapped in with renameat2(RENAME_EXCHANGE) (plain rename when there is no previous
 * bundle); a failed or killed build leaves the previous bundle untouched and its leftovers
 * are removed by the next build. No time, PID or random value reaches the output. */
#include "playlists_int.h"

#include "calendars.h"

#include <ogg/ogg.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

void cw_bundle_report_free(cw_bundle_report *r)
{
    if (!r)
        return;
    cw_strlist_free(&r->notes);
}

/* ---- the view ----------------------------------------------------------------------- */

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
    v->max_silence = CW_PL_MAX_SILENCE;
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

static int write_text(const char *dir, const char *name, const cw_buf *b, char hex[65], cw_error *err)
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

/* ---- directories -------------------------------------------------------------------- */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)ftw;
    return (flag == FTW_DP ? rmdir(path) : unlink(path)) == 0 || errno == ENOENT ? 0 : -1;
}

int cw_pl_rmtree(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return errno == ENOENT ? 0 : -1;
    return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Remove ".BASE.tmp-PID" folders beside the target whose PID no longer runs. */
/* The swap below replaces whatever is at the target and deletes it: only ever do that to
 * a previous bundle (a folder holding SHA256SUMS) or an empty folder, never to a user's
 * file, symlink or unrelated folder (`--out ~/Documents` must not empty it). */
static int target_replaceable(const char *abs_dir, const char *given, cw_error *err)
{
    struct stat sb;
    if (lstat(abs_dir, &sb) != 0)
        return errno == ENOENT ? 0 : cw_fail(err, CW_EIO, given, 0, "cannot check '%s': %s", given, strerror(errno));
    if (!S_ISDIR(sb.st_mode))
        return cw_fail(err, CW_EEXIST, given, 0,
                       "'%s' exists and is not a bundle folder (give a new folder, e.g. out/2026-03-16)", given);
    DIR *d = opendir(abs_dir);
    if (!d)
        return cw_fail(err, CW_EIO, given, 0, "cannot read '%s': %s", given, strerror(errno));
    int entries = 0, sums = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        entries++;
        if (!strcmp(e->d_name, "SHA256SUMS"))
            sums = 1;
    }
    closedir(d);
    if (entries && !sums)
        return cw_fail(err, CW_EEXIST, given, 0,
                       "'%s' is a folder that holds something other than a bundle, and building would "
                       "replace it (give a new or empty folder)", given);
    return 0;
}

static void cleanup_stale(const char *parent, const char *base)
{
    DIR *d = opendir(parent);
    if (!d)
        return;
    char prefix[300];
    snprintf(prefix, sizeof prefix, ".%s.tmp-", base);
    size_t pl = strlen(prefix);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strncmp(e->d_name, prefix, pl) != 0)
            continue;
        char *end;
        long pid = strtol(e->d_name + pl, &end, 10);
        if (*end || pid <= 0 || pid > INT_MAX)
            continue;
        if (pid != (long)getpid() && (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
            continue; /* still running: another build of this day */
        char *p = cw_path_join(parent, e->d_name);
        if (p)
            cw_pl_rmtree(p);
        free(p);
    }
    closedir(d);
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

/* ---- the build ---------------------------------------------------------------------- */

typedef struct sums {
    cw_strlist lines; /* "HEX  path" */
} sums;

/* "HEX  path" lines compared by path (bytewise, like LC_ALL=C sort). */
static int by_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a + 66, *(char *const *)b + 66);
}

static int sums_add(sums *s, const char *hex, const char *path, cw_error *err)
{
    if (cw_strlist_pushf(&s->lines, "%s  %s", hex, path) != 0)
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
    sums *S;
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
static int of_close(out_file *o, sums *S, int failed, cw_error *err)
{
    if (!o->path)
        return 0;
    char hex[65];
    int rc = hfile_close(&o->f, o->path, hex, failed ? NULL : err);
    if (!rc && !failed)
        rc = sums_add(S, hex, o->rel, err);
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
            rc = sums_add(b->S, hex, it->file, err);
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
        bs->report->day_samples = rr.samples;
        if (!rc && v->n_blocks == 1) {
            char hex[65], rel[200];
            int copied = 0;
            snprintf(rel, sizeof rel, "blocks/%s.ogg", v->blocks[0].name);
            char *src = cw_path_join(bs->tmp, day_rel), *dst = cw_path_join(bs->tmp, rel);
            rc = src && dst ? link_or_copy(src, dst, hex, &copied, err) : cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
            if (!rc)
                rc = sums_add(bs->S, hex, rel, err);
            free(src);
            free(dst);
        }
        return rc;
    }
    bs->blocks_tee = 1;
    for (size_t k = 0; !rc && k < v->n_blocks; k++) {
        rc = cw_render_plan(st, plan, v->blocks[k].first, 0, v->blocks[k].first + v->blocks[k].n, &sink, &rr, err);
        bs->report->day_samples += rr.samples;
    }
    return rc;
}

static int fsync_path_dir(const char *dir, cw_error *err)
{
    if (cw_fsync_dir(dir) != 0)
        return cw_fail(err, CW_EIO, dir, 0, "cannot sync the folder: %s", strerror(errno));
    return 0;
}

int cw_bundle_build(const cw_station *st, const cw_plan *plan, const char *out_dir,
                    cw_bundle_report *report, cw_error *err)
{
    cw_bundle_report local_report;
    if (!report)
        report = &local_report;
    memset(report, 0, sizeof *report);
    if (plan->rate <= 0 || plan->channels <= 0)
        return cw_fail(err, CW_EINVAL, "", 0, "the plan has no audio format");
    int rc = 0;
    char hex[65];
    bundle_sink *bs = NULL;

    /* the target's parent, absolute: liquidsoap.m3u needs the final absolute paths */
    char *parent_rel = cw_strdup(out_dir), *tmp = NULL, *abs_dir = NULL, *items_dir = NULL;
    char *blocks_dir = NULL, *old_tmp = NULL;
    cw_pl_view *v = NULL;
    sums S = {{0}};
    char parent[PATH_MAX];
    if (!parent_rel) {
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        goto done;
    }
    size_t L = strlen(parent_rel);
    while (L > 1 && parent_rel[L - 1] == '/')
        parent_rel[--L] = 0;
    const char *base = cw_path_base(parent_rel);
    if (!base[0] || !strcmp(base, ".") || !strcmp(base, "..") || strlen(base) > 200) {
        rc = cw_fail(err, CW_EINVAL, out_dir, 0, "not a usable bundle folder name (give a folder like out/2026-03-16)");
        goto done;
    }
    {
        char *slash = strrchr(parent_rel, '/');
        char *pdir = slash ? (slash == parent_rel ? cw_strdup("/") : cw_strndup(parent_rel, (size_t)(slash - parent_rel)))
                           : cw_strdup(".");
        if (!pdir) {
            rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
            goto done;
        }
        if ((rc = cw_mkdir_p(pdir, err)) != 0 || !realpath(pdir, parent)) {
            if (!rc)
                rc = cw_fail(err, CW_EIO, pdir, 0, "cannot resolve the folder: %s", strerror(errno));
            free(pdir);
            goto done;
        }
        free(pdir);
    }
    abs_dir = cw_asprintf("%s%s%s", parent, strcmp(parent, "/") ? "/" : "", base);
    tmp = cw_asprintf("%s/.%s.tmp-%ld", parent, base, (long)getpid());
    old_tmp = cw_asprintf("%s/.%s.old-%ld", parent, base, (long)getpid());
    items_dir = tmp ? cw_path_join(tmp, "items") : NULL;
    blocks_dir = tmp ? cw_path_join(tmp, "blocks") : NULL;
    if (!abs_dir || !tmp || !items_dir || !blocks_dir || !old_tmp) {
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        goto done;
    }
    if ((rc = target_replaceable(abs_dir, out_dir, err)) != 0)
        goto done;
    cleanup_stale(parent, base);
    cw_pl_rmtree(tmp);
    if (mkdir(tmp, 0755) != 0 || mkdir(items_dir, 0755) != 0 || mkdir(blocks_dir, 0755) != 0) {
        rc = cw_fail(err, CW_EIO, tmp, 0, "cannot create the build folder: %s", strerror(errno));
        goto done;
    }
    if ((rc = cw_pl_view_new(&v, st, plan, abs_dir, err)) != 0)
        goto done;
    snprintf(report->dir, sizeof report->dir, "%s", abs_dir);
    report->items = v->n;

    /* day.ogg, blocks/ and items/ */
    bs = calloc(1, sizeof *bs);
    if (!bs) {
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        goto done;
    }
    bs->v = v;
    bs->tmp = tmp;
    bs->report = report;
    bs->S = &S;
    if ((rc = render_audio(st, bs, "day.ogg", err)) != 0)
        goto done;

    /* text files */
    {
        static const struct {
            const char *name;
            void (*fn)(const cw_pl_view *, cw_buf *);
        } writers[] = {
            {"playlist.m3u8", cw_pl_write_m3u8},    {"playlist.xspf", cw_pl_write_xspf},
            {"playlist.pls", cw_pl_write_pls},      {"day.cue", cw_pl_write_cue},
            {"liquidsoap.m3u", cw_pl_write_liquidsoap}, {"guide.html", cw_pl_write_guide_html},
            {"guide.txt", cw_pl_write_guide_txt},   {"events.csv", cw_pl_write_events_csv},
            {"liquidsoap.liq", cw_pl_write_liquidsoap_script},
        };
        for (size_t w = 0; !rc && w < sizeof writers / sizeof writers[0]; w++) {
            if (!v->day_ogg && writers[w].fn == cw_pl_write_cue)
                continue; /* day.cue indexes day.ogg */
            cw_buf b;
            cw_buf_init(&b);
            writers[w].fn(v, &b);
            rc = write_text(tmp, writers[w].name, &b, hex, err);
            if (!rc)
                rc = sums_add(&S, hex, writers[w].name, err);
            cw_buf_free(&b);
        }
        for (size_t k = 0; !rc && k < v->n_blocks; k++) {
            char rel[200];
            snprintf(rel, sizeof rel, "blocks/%s.m3u8", v->blocks[k].name);
            cw_buf b;
            cw_buf_init(&b);
            cw_pl_write_block_m3u8(v, &v->blocks[k], &b);
            rc = write_text(tmp, rel, &b, hex, err);
            if (!rc)
                rc = sums_add(&S, hex, rel, err);
            cw_buf_free(&b);
        }
    }
    if (!rc) {
        cw_buf b;
        cw_buf_init(&b);
        if (cw_plan_to_json(plan, &b) != 0 || b.oom)
            rc = cw_fail(err, CW_ENOMEM, "", 0, "cannot write the plan as json");
        if (!rc)
            rc = write_text(tmp, "plan.json", &b, hex, err);
        if (!rc)
            rc = sums_add(&S, hex, "plan.json", err);
        cw_buf_free(&b);
    }
    if (!rc) {
        char *ics = NULL;
        size_t ics_len = 0;
        cw_plan *const plans[1] = {(cw_plan *)plan};
        rc = cw_plans_to_ics(st, plans, 1, &ics, &ics_len, err);
        if (!rc) {
            cw_buf b = {ics, ics_len, ics_len, 0};
            rc = write_text(tmp, "schedule.ics", &b, hex, err);
            if (!rc)
                rc = sums_add(&S, hex, "schedule.ics", err);
        }
        free(ics);
    }
    if (!rc) {
        qsort(S.lines.v, S.lines.n, sizeof *S.lines.v, by_path); /* as `sort -k2` */
        cw_buf b;
        cw_buf_init(&b);
        for (size_t i = 0; i < S.lines.n; i++) {
            cw_buf_puts(&b, S.lines.v[i]);
            cw_buf_puts(&b, "\n");
        }
        rc = write_text(tmp, "SHA256SUMS", &b, hex, err);
        cw_buf_free(&b);
    }
    if (!rc)
        rc = fsync_path_dir(items_dir, err);
    if (!rc)
        rc = fsync_path_dir(blocks_dir, err);
    if (!rc)
        rc = fsync_path_dir(tmp, err);
    if (rc)
        goto done;

    /* swap into place */
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, abs_dir, RENAME_NOREPLACE) == 0) {
        /* there was no previous bundle */
    } else if (errno == EEXIST || errno == ENOTEMPTY) {
        if (renameat2(AT_FDCWD, tmp, AT_FDCWD, abs_dir, RENAME_EXCHANGE) == 0) {
            /* tmp now holds the previous bundle */
            cw_pl_rmtree(tmp);
        } else if (errno == EINVAL || errno == ENOSYS) {
            /* a file system without exchange: move the old one aside first (a short window
             * where the target is missing, never a half-written one) */
            if (rename(abs_dir, old_tmp) != 0 || rename(tmp, abs_dir) != 0) {
                rc = cw_fail(err, CW_EIO, abs_dir, 0, "cannot move the bundle into place: %s", strerror(errno));
                goto done;
            }
            cw_pl_rmtree(old_tmp);
        } else {
            rc = cw_fail(err, CW_EIO, abs_dir, 0, "cannot swap the bundle into place: %s", strerror(errno));
            goto done;
        }
    } else if (errno == EINVAL || errno == ENOSYS) {
        if (rename(tmp, abs_dir) != 0) {
            rc = cw_fail(err, CW_EIO, abs_dir, 0, "cannot move the bundle into place: %s", strerror(errno));
            goto done;
        }
    } else {
        rc = cw_fail(err, CW_EIO, abs_dir, 0, "cannot move the bundle into place: %s", strerror(errno));
        goto done;
    }
    rc = fsync_path_dir(parent, err);

done:
    if (bs) {
        bs_close(bs, 1, NULL);
        free(bs->used);
        free(bs);
    }
    if (rc && tmp)
        cw_pl_rmtree(tmp);
    cw_strlist_free(&S.lines);
    cw_pl_view_free(v);
    free(parent_rel);
    free(tmp);
    free(old_tmp);
    free(abs_dir);
    free(items_dir);
    free(blocks_dir);
    if (report == &local_report)
        cw_bundle_report_free(report);
    return rc;
}
