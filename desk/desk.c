/* desk.c — the desk's life: start (accounts folder, sessions, station view, jobs, daemon)
 * and stop (daemon quiesced, jobs cancelled and joined, everything freed).
 * Guarantees: a failed start frees everything it made and releases the serve lock; stop
 * returns only when no thread of the desk runs any more. */
#include "desk_int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int desk_start_daemon(cw_desk *d, const cw_desk_opts *o, cw_error *err);
int desk_serve_lock(cw_desk *d, cw_error *err); /* one server per station; cleans uploads/ */
int desk_check_opts(cw_desk *d, const cw_desk_opts *o, cw_error *err); /* address, TLS files */
void desk_stop_daemon(cw_desk *d);

static void desk_free(cw_desk *d)
{
    if (!d) return;
    desk_view_free(d->view);
    desk_limiter_free(d->limiter);
    desk_teachers_free(d->teachers, d->n_teachers);
    while (d->jobs) {
        desk_job *j = d->jobs;
        d->jobs = j->next;
        if (j->free_arg) j->free_arg(j->arg);
        json_decref(j->result);
        free(j);
    }
    free(d->sessions);
    free(d->cert_pem);
    free(d->key_pem);
    if (d->serve_lock_fd >= 0) close(d->serve_lock_fd);
    pthread_mutex_destroy(&d->sess_mu);
    pthread_mutex_destroy(&d->teach_mu);
    pthread_mutex_destroy(&d->inbox_mu);
    pthread_mutex_destroy(&d->job_mu);
    pthread_mutex_destroy(&d->seq_mu);
    pthread_cond_destroy(&d->job_cv);
    free(d->station_dir);
    free(d);
}

int cw_desk_start(cw_desk **out, const char *station_dir, const cw_desk_opts *opts, cw_error *err)
{
    *out = NULL;
    cw_station *st = NULL;
    int rc = cw_station_load(&st, station_dir, err);
    if (rc) return rc;
    cw_desk *d = calloc(1, sizeof *d);
    if (!d) {
        cw_station_free(st);
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    d->serve_lock_fd = -1;
    pthread_mutex_init(&d->sess_mu, NULL);
    pthread_mutex_init(&d->teach_mu, NULL);
    pthread_mutex_init(&d->inbox_mu, NULL);
    pthread_mutex_init(&d->job_mu, NULL);
    pthread_mutex_init(&d->seq_mu, NULL);
    pthread_cond_init(&d->job_cv, NULL);
    d->station_dir = cw_strdup(st->dir); /* absolute */
    snprintf(d->station_name, sizeof d->station_name, "%s", st->name);
    d->max_upload = st->desk_max_upload;
    d->login_seconds = st->desk_login_hours * 3600;
    d->trust_proxy = st->desk_trust_proxy;
    if (opts) {
        d->log = opts->log;
        d->log_user = opts->log_user;
    }
    cw_desk_opts o = opts ? *opts : (cw_desk_opts){0};
    if (!o.listen) o.listen = st->desk_listen;
    snprintf(d->listen, sizeof d->listen, "%s", o.listen);
    if (!d->station_dir) rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    if (rc == 0) rc = desk_check_opts(d, &o, err); /* before anything in the station changes */
    if (rc == 0) rc = desk_store_ensure(d->station_dir, err);
    if (rc == 0) rc = desk_serve_lock(d, err);
    if (rc == 0) rc = desk_sessions_load(d, err);
    if (rc == 0) rc = desk_inbox_recover(d, err);
    if (rc == 0) rc = desk_limiter_new(&d->limiter) ? cw_fail(err, CW_ENOMEM, "", 0, "out of memory") : 0;
    if (rc == 0) rc = desk_view_open(&d->view, d->station_dir, err);
    if (rc == 0) rc = desk_jobs_start(d, err);
    if (rc == 0) rc = desk_start_daemon(d, &o, err);
    cw_station_free(st);
    if (rc) {
        desk_jobs_stop(d);
        desk_stop_daemon(d);
        desk_free(d);
        return rc;
    }
    *out = d;
    return 0;
}

const char *cw_desk_address(const cw_desk *d)
{
    return d->address;
}

void cw_desk_stop(cw_desk *d)
{
    if (!d) return;
    /* no new connections; running jobs are cancelled and parked requests resumed, then the
     * daemon closes what is left */
    if (d->mhd) MHD_quiesce_daemon(d->mhd);
    desk_jobs_stop(d);
    desk_stop_daemon(d);
    desk_free(d);
}
