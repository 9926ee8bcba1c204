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

/* ---- the sink that writes day.ogg and items/ in one pass ----------------------------- */

/* Every page goes to day.ogg; the pages of an item that is not its library file as it is
 * (cut, another format, silence) also go to its items/ file, with the serial that file
 * would get as a one-link stream of its own. A whole library file becomes its items/ file
 * by a hard link. */
typedef struct bundle_sink {
    const cw_station *st;
    const cw_pl_view *v;
    const char *tmp;            /* the build folder */
    cw_bundle_report *report;
    sums *S;
    hfile day;
    char *day_path;
    int day_open;
    hfile item;                 /* the current items/ file, when one is being written */
    char *item_path;
    size_t item_index;
    uint32_t item_serial;
    int item_open;
    unsigned char page[27 + 255 + 255 * 255];
} bundle_sink;

static int finish_item(bundle_sink *b, cw_error *err)
{
    if (!b->item_open)
        return 0;
    b->item_open = 0;
    char hex[65];
    int rc = hfile_close(&b->item, b->item_path, hex, err);
    if (!rc)
        rc = sums_add(b->S, hex, b->v->items[b->item_index].file, err);
    free(b->item_path);
    b->item_path = NULL;
    return rc;
}

/* A library file in the station's format, played whole: the items/ file is that file. */
static int whole_item(const cw_plan *plan, const cw_plan_item *pi, const char *src)
{
    int rate = 0, ch = 0;
    return src && !pi->cut && (pi->recording_samples == 0 || pi->length_samples == pi->recording_samples) &&
           ogg_format(src, &rate, &ch) == 0 && rate == plan->rate && ch == plan->channels;
}

static int bs_link_begin(void *user, const cw_ogg_link *l, cw_error *err)
{
    bundle_sink *b = user;
    int rc = finish_item(b, err);
    const cw_plan_item *pi = l->spec->item;
    if (rc || !pi || l->part > 0)
        return rc;
    const cw_pl_view *v = b->v;
    const cw_plan *plan = v->plan;
    const cw_pl_item *it = &v->items[l->spec->item_index];
    cw_bundle_report *report = b->report;
    char *item_path = cw_path_join(b->tmp, it->file);
    if (!item_path)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    const char *src = l->spec->path;
    if (whole_item(plan, pi, src)) {
        char hex[65];
        int copied = 0;
        rc = link_or_copy(src, item_path, hex, &copied, err);
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
    if ((rc = hfile_open(&b->item, item_path, err)) != 0) {
        free(item_path);
        return rc;
    }
    b->item_open = 1;
    b->item_path = item_path;
    b->item_index = l->spec->item_index;
    b->item_serial = cw_chain_serial(seed_for("item", v->date, it->index), 0, NULL, 0);
    return 0;
}

static int bs_page(void *user, const unsigned char *page, size_t len, int64_t granule, cw_error *err)
{
    (void)granule;
    (void)err;
    bundle_sink *b = user;
    if (b->day_open)
        hfile_write(&b->day, page, len);
    if (b->item_open && len >= 27 && len <= sizeof b->page) {
        /* the same page with the item file's serial (and so its own CRC) */
        memcpy(b->page, page, len);
        uint32_t s = b->item_serial;
        for (int i = 0; i < 4; i++)
            b->page[14 + i] = (unsigned char)(s >> (8 * i));
        long hl = 27 + b->page[26];
        ogg_page og = {b->page, hl, b->page + hl, (long)len - hl};
        ogg_page_checksum_set(&og);
        hfile_write(&b->item, b->page, len);
    }
    return 0;
}

static int bs_close(void *user, int failed, cw_error *err)
{
    bundle_sink *b = user;
    int rc = finish_item(b, failed ? NULL : err);
    if (b->day_open) {
        char hex[65];
        b->day_open = 0;
        int rc2 = hfile_close(&b->day, b->day_path, hex, failed || rc ? NULL : err);
        if (!rc)
            rc = rc2;
        if (!rc && !failed)
            rc = sums_add(b->S, hex, "day.ogg", err);
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
    char *day_path = NULL, *old_tmp = NULL;
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
    day_path = tmp ? cw_path_join(tmp, "day.ogg") : NULL;
    if (!abs_dir || !tmp || !items_dir || !day_path || !old_tmp) {
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        goto done;
    }
    if ((rc = target_replaceable(abs_dir, out_dir, err)) != 0)
        goto done;
    cleanup_stale(parent, base);
    cw_pl_rmtree(tmp);
    if (mkdir(tmp, 0755) != 0 || mkdir(items_dir, 0755) != 0) {
        rc = cw_fail(err, CW_EIO, tmp, 0, "cannot create the build folder: %s", strerror(errno));
        goto done;
    }
    if ((rc = cw_pl_view_new(&v, st, plan, abs_dir, err)) != 0)
        goto done;
    snprintf(report->dir, sizeof report->dir, "%s", abs_dir);
    report->items = v->n;

    /* day.ogg and items/, in one pass of the renderer */
    bs = calloc(1, sizeof *bs);
    if (!bs) {
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        goto done;
    }
    bs->st = st;
    bs->v = v;
    bs->tmp = tmp;
    bs->report = report;
    bs->S = &S;
    bs->day_path = day_path;
    if ((rc = hfile_open(&bs->day, day_path, err)) != 0)
        goto done;
    bs->day_open = 1;
    if (plan->n_items > 0) {
        cw_ogg_sink sink = {bs, bs_link_begin, bs_page, bs_close};
        cw_render_report rr;
        rc = cw_render_plan(st, plan, 0, 0, plan->n_items, &sink, &rr, err);
        report->day_samples = rr.samples;
    }
    if (rc)
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
            {"guide.txt", cw_pl_write_guide_txt},
        };
        for (size_t w = 0; !rc && w < sizeof writers / sizeof writers[0]; w++) {
            cw_buf b;
            cw_buf_init(&b);
            writers[w].fn(v, &b);
            rc = write_text(tmp, writers[w].name, &b, hex, err);
            if (!rc)
                rc = sums_add(&S, hex, writers[w].name, err);
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
        if (bs->day_open || bs->item_open)
            bs_close(bs, 1, NULL);
        free(bs->item_path);
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
    free(day_path);
    if (report == &local_report)
        cw_bundle_report_free(report);
    return rc;
}
