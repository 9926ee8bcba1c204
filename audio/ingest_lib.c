/* ingest_lib.c — the library side of an ingest: the source's checksum and what it
 * conflicts with in library/ and pending/ (the same recording, the same series and
 * episode), the library lock, and the work file the encoder writes before the final file
 * is renamed into place.
 * Guarantees: the same source is recognised whatever it is called, and the refusal says
 * where it is and when it was sent; the lock is an flock held only around the final
 * check-and-rename; work files are temporaries (".NAME.tmp-PID-N") removed on every path
 * and by the next run after a kill. */
#include "audio_int.h"
#include "ingest_int.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- what is stored ------------------------------------------------------------------- */

/* "2026-03-14": the day the stored file was written (its modification time), "" unknown.
 * Not in the file's bytes, so ingest stays deterministic. */
static void sent_on(const char *station_dir, const char *rel, char out[16])
{
    out[0] = 0;
    char *p = cw_path_join(station_dir, rel);
    struct stat sb;
    struct tm tm;
    if (p && stat(p, &sb) == 0 && localtime_r(&sb.st_mtime, &tm))
        strftime(out, 16, "%Y-%m-%d", &tm);
    free(p);
}

/* "'Title', series maths-5, episode 3, 4:56" */
static void describe(const cw_recording *r, char *out, size_t cap)
{
    char len[32];
    cw_audio_fmt_duration(r->rate > 0 ? (double)r->length_samples / r->rate : 0, len);
    if (r->series[0] && r->episode > 0)
        snprintf(out, cap, "'%.100s', series %s, episode %d, %s",
                 r->title[0] ? r->title : "untitled", r->series, r->episode, len);
    else
        snprintf(out, cap, "'%.100s', %s", r->title[0] ? r->title : "untitled", len);
}

static int refuse_dup(cw_audio_ingest_conflicts *q, const cw_recording *dup, int waiting,
                      cw_error *err)
{
    char what[256], when[16];
    describe(dup, what, sizeof what);
    sent_on(q->station_dir, dup->path, when);
    snprintf(q->dup_path, sizeof q->dup_path, "%s", dup->path);
    snprintf(q->dup_series, sizeof q->dup_series, "%s", dup->series);
    q->dup_episode = dup->episode;
    /* a run killed after storing it may have left its work file there: gone now */
    char *full = cw_path_join(q->station_dir, dup->path);
    if (full) {
        *(char *)cw_path_base(full) = 0;
        cw_cleanup_stale_tmp(full);
    }
    free(full);
    return cw_fail(err, CW_EEXIST, q->name, 0, "this recording is %s as '%s' (%s%s%s): "
                   "nothing to do (to store it again as the same episode, replace it)",
                   waiting ? "already waiting for approval" : "already in the library",
                   dup->path, what, when[0] ? "; sent on " : "", when);
}

static int check(cw_audio_ingest_conflicts *q, const cw_library *lib, const cw_library *pend,
                 cw_error *err)
{
    const char *series = q->series ? q->series : "";
    int ep = q->any_episode ? 0 : q->episode;
    const cw_recording *same = series[0] && ep > 0 ? cw_library_find_episode(lib, series, ep)
                                                   : NULL;
    const cw_recording *psame = series[0] && ep > 0 && pend
                                    ? cw_library_find_episode(pend, series, ep) : NULL;
    const cw_recording *dup = cw_library_find_source(lib, q->sha);
    const cw_recording *pdup = pend ? cw_library_find_source(pend, q->sha) : NULL;
    /* storing the same source again as the episode it already is: that is a replace */
    if (dup && !(q->replace && !q->pending && dup == same))
        return refuse_dup(q, dup, 0, err);
    if (pdup && !(q->replace && q->pending && pdup == psame))
        return refuse_dup(q, pdup, 1, err);
    if (q->any_episode)
        return 0;
    if (same && !q->replace)
        return cw_fail(err, CW_EEXIST, q->name, 0, "series '%s' already has episode %d ('%s', "
                       "%s); refused (give another episode, or replace it)", series, ep,
                       same->title, same->path);
    if (q->pending && psame && !q->replace)
        return cw_fail(err, CW_EEXIST, q->name, 0, "episode %d of series '%s' is already "
                       "waiting for approval ('%s', %s); refused (give another episode, or "
                       "replace it)", ep, series, psame->title, psame->path);
    const cw_recording *old = q->pending ? psame : same;
    if (old)
        snprintf(q->replace_path, sizeof q->replace_path, "%s", old->path);
    return 0;
}

int cw_audio_ingest_conflicts_check(cw_audio_ingest_conflicts *q, cw_error *err)
{
    q->replace_path[0] = 0;
    q->dup_path[0] = 0;
    cw_library *lib = NULL, *pend = NULL;
    int rc = cw_library_scan(&lib, q->station_dir, err);
    if (rc == 0 && (rc = cw_library_scan_pending(&pend, q->station_dir, err)) == 0)
        rc = check(q, lib, pend, err);
    cw_library_free(lib);
    cw_library_free(pend);
    return rc;
}

int cw_audio_ingest_precheck(cw_audio_ingest_conflicts *q, cw_error *err)
{
    int rc = cw_sha256_file(q->src, q->sha, err);
    return rc ? rc : cw_audio_ingest_conflicts_check(q, err);
}

void *cw_audio_ingest_precheck_main(void *arg)
{
    pthread_setname_np(pthread_self(), "cw-checksum");
    cw_audio_ingest_conflicts *q = arg;
    q->err.text[0] = 0;
    q->rc = cw_audio_ingest_precheck(q, &q->err);
    return NULL;
}

void cw_audio_ingest_report_dup(cw_ingest_result *res, const cw_audio_ingest_conflicts *q)
{
    snprintf(res->duplicate_of, sizeof res->duplicate_of, "%s", q->dup_path);
    snprintf(res->duplicate_series, sizeof res->duplicate_series, "%s", q->dup_series);
    res->duplicate_episode = q->dup_path[0] ? q->dup_episode : 0;
}

/* ---- the library lock --------------------------------------------------------------- */

int cw_audio_ingest_lock(const char *station_dir, int *fd, cw_error *err)
{
    *fd = -1;
    char *lib = cw_path_join(station_dir, "library");
    char *p = lib ? cw_path_join(lib, ".ingest.lock") : NULL;
    int rc = 0;
    if (!p) {
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    } else if ((rc = cw_mkdir_p(lib, err)) == 0) {
        *fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (*fd < 0)
            rc = cw_fail(err, CW_EIO, p, 0, "cannot open the library lock: %s (check the "
                         "station folder is writable)", strerror(errno));
        else
            while (flock(*fd, LOCK_EX) != 0 && errno == EINTR) {
            }
    }
    free(lib);
    free(p);
    return rc;
}

void cw_audio_ingest_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* releases the flock */
}

/* ---- the work file -------------------------------------------------------------------- */

int cw_audio_ingest_work_open(cw_audio_ingest_work *w, const char *station_dir, const char *rel,
                        cw_error *err)
{
    memset(w, 0, sizeof *w);
    w->final_abs = cw_path_join(station_dir, rel);
    char *dir = w->final_abs ? cw_strndup(w->final_abs, (size_t)(cw_path_base(w->final_abs) -
                                                                 w->final_abs))
                             : NULL;
    int rc = dir ? cw_mkdir_p(dir, err) : cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    if (rc == 0)
        cw_cleanup_stale_tmp(dir); /* work files of killed runs */
    free(dir);
    return rc;
}

int cw_audio_ingest_work_reset(cw_audio_ingest_work *w, cw_error *err)
{
    if (!w->a) {
        char *wp = cw_asprintf("%s.work", w->final_abs);
        int rc = wp ? cw_atomic_open(&w->a, wp, err) : cw_fail(err, CW_ENOMEM, "", 0,
                                                                "out of memory");
        free(wp);
        if (rc)
            return rc;
        w->fp = cw_atomic_fp(w->a);
        w->path = cw_atomic_tmp_path(w->a);
        return 0;
    }
    rewind(w->fp);
    if (ftruncate(fileno(w->fp), 0) != 0)
        return cw_fail(err, CW_EIO, "", 0, "cannot reuse the work file: %s", strerror(errno));
    return 0;
}

void cw_audio_ingest_work_close(cw_audio_ingest_work *w)
{
    cw_atomic_abort(w->a);
    free(w->final_abs);
    memset(w, 0, sizeof *w);
}

int cw_audio_ingest_copy_tail(const char *src_path, long offset, FILE *dst, cw_error *err)
{
    FILE *src = fopen(src_path, "rb");
    if (!src)
        return cw_fail(err, CW_EIO, src_path, 0, "cannot read the work file: %s", strerror(errno));
    int rc = 0;
    if (fseek(src, offset, SEEK_SET) != 0) {
        rc = cw_fail(err, CW_EIO, src_path, 0, "cannot seek the work file: %s", strerror(errno));
    } else {
        static __thread char buf[1 << 16];
        size_t n;
        while (rc == 0 && (n = fread(buf, 1, sizeof buf, src)) > 0)
            if (fwrite(buf, 1, n, dst) != n)
                rc = cw_fail(err, CW_EIO, "", 0, "cannot write the library file (disk full?)");
        if (rc == 0 && ferror(src))
            rc = cw_fail(err, CW_EIO, src_path, 0, "cannot read the work file");
    }
    fclose(src);
    return rc;
}
