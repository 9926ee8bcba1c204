/* session_library.c — the library calls of a session: ingest a recording with the station's
 * settings (the CLI's `ingest`, a desk upload, `speak`), approve or reject an upload awaiting
 * approval. Each takes the station lock shared for its own duration (ingests run side by
 * side; cw_ingest and cw_library_approve take the library's own lock to commit).
 * Guarantees: a refused, failed or cancelled call stores nothing (cw_ingest's guarantee);
 * the next call of any thread sees what the call stored. */
#include "session_int.h"

#include <stdlib.h>
#include <string.h>

/* The calendars' own rule for a series key (cw_calset_series_known), asked with the
 * snapshot's calendar set held only for the question, not for the whole ingest. The
 * suggestion is borrowed from the set, which the held snapshot keeps alive. */
typedef struct known_ctx {
    cw_session_view *view;
} known_ctx;

static int series_known(void *user, const char *key, const char **suggestion)
{
    known_ctx *k = user;
    const cw_calset *cals = cw_view_calendars_lock(k->view);
    int known = cals ? cw_calset_series_known(cals, key, suggestion) : 1;
    cw_view_calendars_unlock(k->view);
    return known;
}

int cw_session_ingest(cw_session *s, const char *src_path, const cw_ingest_opts *opts, cw_ingest_result *res,
                      cw_error *err)
{
    int fd;
    int rc = cw_ss_lock_call(s, 0, &fd, err);
    if (rc) return rc;
    cw_session_view *view = NULL;
    rc = cw_ss_current(s, &view, NULL, err);
    if (!rc) {
        known_ctx k = {view};
        cw_ingest_opts o = *opts;
        if (!o.series_known && !o.known_series) {
            o.series_known = series_known;
            o.series_known_user = &k;
        }
        rc = cw_ingest(cw_view_station(view), src_path, &o, res, err);
    }
    cw_session_view_put(view);
    cw_ss_unlock_call(fd);
    return rc;
}

int cw_session_approve(cw_session *s, const char *pending_path, int replace, char *library_path, size_t cap,
                       cw_error *err)
{
    int fd;
    int rc = cw_ss_lock_call(s, 0, &fd, err);
    if (rc) return rc;
    rc = cw_library_approve(s->dir, pending_path, replace, library_path, cap, err);
    cw_ss_unlock_call(fd);
    return rc;
}

int cw_session_reject(cw_session *s, const char *pending_path, const char *reason, cw_error *err)
{
    int fd;
    int rc = cw_ss_lock_call(s, 0, &fd, err);
    if (rc) return rc;
    rc = cw_library_reject(s->dir, pending_path, reason, err);
    cw_ss_unlock_call(fd);
    return rc;
}
