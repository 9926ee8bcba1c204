/* pending.c — uploads awaiting approval (STATION/pending/, laid out like the library): a
 * station answers for what it broadcasts, so staff approve an upload (it moves into
 * library/) or reject it with a reason (it moves to pending/rejected/, the reason beside
 * it, where the teacher's page can show it).
 * Guarantees: both are renames under the library lock (the same lock every ingest commits
 * under), so a recording is never half moved nor seen twice; only files inside pending/
 * are touched (paths are checked lexically and resolved without leaving the station); a
 * rejected upload never sits without its reason (written first). */
#include "audio_int.h"
#include "ingest_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REASON_MAX 4000

/* pending_path must name a recording in pending/ (not in pending/rejected/). */
static int check_pending(const char *station_dir, const char *rel, cw_recording *r,
                         cw_error *err)
{
    if (!cw_path_is_safe_relative(rel) || strncmp(rel, "pending/", 8) != 0 ||
        strncmp(rel, "pending/rejected/", 17) == 0)
        return cw_fail(err, CW_EINVAL, rel, 0, "not an upload awaiting approval (give a path "
                       "under pending/, as 'chalkwave library --pending' lists them)");
    if (!cw_path_resolves_inside(station_dir, rel))
        return cw_fail(err, CW_ENOTFOUND, rel, 0, "no such upload awaiting approval (list them "
                       "with 'chalkwave library --pending')");
    char *abs = cw_path_join(station_dir, rel);
    int rc = abs ? cw_recording_read(r, abs, err) : cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    free(abs);
    return rc;
}

/* Rename station_dir/from to station_dir/to, making to's folder; fsync both folders. */
static int move(const char *station_dir, const char *from, const char *to, cw_error *err)
{
    char *a = cw_path_join(station_dir, from), *b = cw_path_join(station_dir, to);
    char *dir = b ? cw_strndup(b, (size_t)(cw_path_base(b) - b)) : NULL;
    char *adir = a ? cw_strndup(a, (size_t)(cw_path_base(a) - a)) : NULL;
    int rc = !a || !b || !dir || !adir ? cw_fail(err, CW_ENOMEM, "", 0, "out of memory")
                                       : cw_mkdir_p(dir, err);
    if (rc == 0 && rename(a, b) != 0)
        rc = cw_fail(err, CW_EIO, from, 0, "cannot move it to %s: %s", to, strerror(errno));
    if (rc == 0) {
        cw_fsync_dir(dir);
        cw_fsync_dir(adir);
    }
    free(a);
    free(b);
    free(dir);
    free(adir);
    return rc;
}

static int approve_locked(const char *station_dir, const char *rel, const cw_recording *r,
                          int replace, char *out, size_t cap, cw_error *err)
{
    cw_library *lib = NULL;
    int rc = cw_library_scan(&lib, station_dir, err);
    if (rc)
        return rc;
    const cw_recording *dup = cw_library_find_source(lib, r->source_sha256);
    const cw_recording *same = r->series[0] && r->episode > 0
                                   ? cw_library_find_episode(lib, r->series, r->episode) : NULL;
    char target[1100], old[1100] = "";
    snprintf(target, sizeof target, "library/%s", rel + 8);
    if (dup && !(replace && dup == same))
        rc = cw_fail(err, CW_EEXIST, rel, 0, "this recording is already in the library as "
                     "'%s' (reject the upload, or approve it with replace)", dup->path);
    else if (same && !replace)
        rc = cw_fail(err, CW_EEXIST, rel, 0, "series '%s' already has episode %d in the "
                     "library ('%s', %s); approve it with replace to put this one in its place",
                     r->series, r->episode, same->title, same->path);
    else if (same)
        snprintf(old, sizeof old, "%s", same->path);
    char *tabs = rc ? NULL : cw_path_join(station_dir, target);
    if (rc == 0 && (!tabs || (cw_path_exists(tabs) && strcmp(old, target) != 0)))
        rc = tabs ? cw_fail(err, CW_EEXIST, rel, 0, "'%s' exists in the library already "
                            "(give the upload another title, or reject it)", target)
                  : cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    free(tabs);
    if (rc == 0)
        rc = move(station_dir, rel, target, err);
    if (rc == 0 && old[0] && strcmp(old, target) != 0) {
        char *o = cw_path_join(station_dir, old);
        if (o)
            (void)unlink(o); /* the episode it replaces */
        free(o);
    }
    if (rc == 0 && out)
        snprintf(out, cap, "%s", target);
    cw_library_free(lib);
    return rc;
}

int cw_library_approve(const char *station_dir, const char *pending_path, int replace,
                       char *library_path, size_t cap, cw_error *err)
{
    cw_recording r;
    memset(&r, 0, sizeof r);
    int fd = -1;
    int rc = cw_audio_ingest_lock(station_dir, &fd, err);
    if (rc == 0)
        rc = check_pending(station_dir, pending_path, &r, err);
    if (rc == 0)
        rc = approve_locked(station_dir, pending_path, &r, replace, library_path, cap, err);
    cw_audio_ingest_unlock(fd);
    cw_recording_clear(&r);
    return rc;
}

/* A free name for rel under pending/rejected/ (an upload rejected twice keeps both). */
static char *rejected_name(const char *station_dir, const char *rel)
{
    for (int i = 1; i < 1000; i++) {
        const char *tail = rel + 8, *dot = strrchr(tail, '.');
        if (!dot || strchr(dot, '/'))
            dot = tail + strlen(tail);
        char *t = i == 1 ? cw_asprintf("pending/rejected/%s", tail)
                         : cw_asprintf("pending/rejected/%.*s (%d)%s", (int)(dot - tail), tail,
                                       i, dot);
        char *abs = t ? cw_path_join(station_dir, t) : NULL;
        int taken = abs && cw_path_exists(abs);
        free(abs);
        if (!t || !taken)
            return t;
        free(t);
    }
    return NULL;
}

int cw_library_reject(const char *station_dir, const char *pending_path, const char *reason,
                      cw_error *err)
{
    if (!reason || !reason[0])
        return cw_fail(err, CW_EINVAL, pending_path, 0, "give the reason (the teacher sees it)");
    size_t n = strlen(reason);
    if (n > REASON_MAX || !cw_utf8_valid(reason, n))
        return cw_fail(err, CW_EINVAL, pending_path, 0, "the reason must be UTF-8 text of at "
                       "most %d bytes", REASON_MAX);
    cw_recording r;
    memset(&r, 0, sizeof r);
    int fd = -1;
    char *target = NULL, *rp = NULL;
    int rc = cw_audio_ingest_lock(station_dir, &fd, err);
    if (rc == 0)
        rc = check_pending(station_dir, pending_path, &r, err);
    if (rc == 0 && !(target = rejected_name(station_dir, pending_path)))
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    char *dir = NULL;
    if (rc == 0) {
        /* the reason first, so a rejected upload never sits without one */
        rp = cw_asprintf("%s/%s.reason.txt", station_dir, target);
        dir = rp ? cw_strndup(rp, (size_t)(cw_path_base(rp) - rp)) : NULL;
        rc = !rp || !dir ? cw_fail(err, CW_ENOMEM, "", 0, "out of memory") : cw_mkdir_p(dir, err);
        if (rc == 0)
            rc = cw_write_file_atomic(rp, reason, n, err);
    }
    if (rc == 0)
        rc = move(station_dir, pending_path, target, err);
    if (rc && rp)
        (void)unlink(rp);
    cw_audio_ingest_unlock(fd);
    cw_recording_clear(&r);
    free(dir);
    free(rp);
    free(target);
    return rc;
}

int cw_library_rejection(const char *station_dir, const char *rejected_path, char **reason,
                         cw_error *err)
{
    *reason = NULL;
    if (!cw_path_is_safe_relative(rejected_path) ||
        strncmp(rejected_path, "pending/rejected/", 17) != 0)
        return cw_fail(err, CW_EINVAL, rejected_path, 0, "not a rejected upload (give a path "
                       "under pending/rejected/)");
    char *p = cw_asprintf("%s/%s.reason.txt", station_dir, rejected_path);
    size_t len = 0;
    int rc = p ? cw_read_file(p, REASON_MAX + 1, reason, &len, err)
               : cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    free(p);
    return rc;
}
