/* bundle.c — a day plan -> the bundle folder: day.ogg and blocks/ (bundle_audio.c), items/,
 * playlists, events.csv, liquidsoap.liq, plan.json, schedule.ics, guide, SHA256SUMS.
 * Guarantees: everything is written into a temporary folder beside the target, fsynced,
 * and swapped in with renameat2(RENAME_EXCHANGE) (plain rename when there is no previous
 * bundle); a failed or killed build leaves the previous bundle untouched and its leftovers
 * are removed by the next build. No time, PID or random value reaches the output. */
#include "playlists_int.h"

#include "calendars.h"

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

/* "HEX  path" lines compared by path (bytewise, like LC_ALL=C sort). */
static int by_path(const void *a, const void *b)
{
    return strcmp(*(char *const *)a + 66, *(char *const *)b + 66);
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

    /* the target's parent, absolute: liquidsoap.m3u needs the final absolute paths */
    char *parent_rel = cw_strdup(out_dir), *tmp = NULL, *abs_dir = NULL, *items_dir = NULL;
    char *blocks_dir = NULL, *old_tmp = NULL;
    cw_pl_view *v = NULL;
    cw_strlist S = {0}; /* "HEX  path" lines of SHA256SUMS */
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
    if ((rc = cw_pl_bundle_audio(st, v, tmp, report, &S, err)) != 0)
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
            rc = cw_pl_write_text(tmp, writers[w].name, &b, hex, err);
            if (!rc)
                rc = cw_pl_sums_add(&S, hex, writers[w].name, err);
            cw_buf_free(&b);
        }
        for (size_t k = 0; !rc && k < v->n_blocks; k++) {
            char rel[200];
            snprintf(rel, sizeof rel, "blocks/%s.m3u8", v->blocks[k].name);
            cw_buf b;
            cw_buf_init(&b);
            cw_pl_write_block_m3u8(v, &v->blocks[k], &b);
            rc = cw_pl_write_text(tmp, rel, &b, hex, err);
            if (!rc)
                rc = cw_pl_sums_add(&S, hex, rel, err);
            cw_buf_free(&b);
        }
    }
    if (!rc) {
        cw_buf b;
        cw_buf_init(&b);
        if (cw_plan_to_json(plan, &b) != 0 || b.oom)
            rc = cw_fail(err, CW_ENOMEM, "", 0, "cannot write the plan as json");
        if (!rc)
            rc = cw_pl_write_text(tmp, "plan.json", &b, hex, err);
        if (!rc)
            rc = cw_pl_sums_add(&S, hex, "plan.json", err);
        cw_buf_free(&b);
    }
    if (!rc) {
        char *ics = NULL;
        size_t ics_len = 0;
        cw_plan *const plans[1] = {(cw_plan *)plan};
        rc = cw_plans_to_ics(st, plans, 1, &ics, &ics_len, err);
        if (!rc) {
            cw_buf b = {ics, ics_len, ics_len, 0};
            rc = cw_pl_write_text(tmp, "schedule.ics", &b, hex, err);
            if (!rc)
                rc = cw_pl_sums_add(&S, hex, "schedule.ics", err);
        }
        free(ics);
    }
    if (!rc) {
        qsort(S.v, S.n, sizeof *S.v, by_path); /* as `sort -k2` */
        cw_buf b;
        cw_buf_init(&b);
        for (size_t i = 0; i < S.n; i++) {
            cw_buf_puts(&b, S.v[i]);
            cw_buf_puts(&b, "\n");
        }
        rc = cw_pl_write_text(tmp, "SHA256SUMS", &b, hex, err);
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
    if (rc && tmp)
        cw_pl_rmtree(tmp);
    cw_strlist_free(&S);
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
