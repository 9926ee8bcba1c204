/* desk_int.h — what the desk's files share: the route table, the request and its response,
 * the server object, jobs (long work off the request threads) and the station view.
 * Only desk/ and its tests include this header. Thread contract: a desk_req belongs to the
 * one MHD thread handling it (and, while it waits for a job, to nobody); cw_desk fields are
 * set before the daemon starts and read-only after, except those under its mutexes. */
#ifndef CW_DESK_INT_H
#define CW_DESK_INT_H

#include "audio.h"
#include "desk.h"
#include "html.h"
#include "parse.h"
#include "scheduler.h"
#include "store.h"

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdint.h>

/* ---- routes ------------------------------------------------------------------------------ */

typedef enum { DESK_PUBLIC = 0, DESK_TEACHER, DESK_STAFF } desk_auth;

enum {
    DESK_F_API = 1,    /* answers JSON (no login: 401 JSON, not a redirect to /login) */
    DESK_F_FORM = 2,   /* body: urlencoded form or (API) JSON, at most DESK_MAX_FORM bytes */
    DESK_F_UPLOAD = 4, /* body: multipart/form-data; file parts stream to STATION/desk/uploads */
};

typedef struct desk_req desk_req;
typedef void (*desk_handler)(desk_req *r);

/* A route: METHOD and a pattern of segments, ":name" matching one segment and a final "*"
 * the rest of the path (at least one segment). Every POST to a DESK_STAFF route needs the
 * session's CSRF token (form field "csrf" or header X-Chalkwave-CSRF): there is no flag to
 * turn that off, so a new route cannot forget it. */
typedef struct desk_route {
    const char *method;
    const char *pattern;
    desk_auth auth;
    int flags;
    desk_handler fn;
} desk_route;
extern const desk_route desk_routes[];
extern const size_t desk_n_routes;
/* The route for METHOD and the path's segments; the ":name" and "*" values in args (at most
 * 4; "*" joined with '/', allocated in *rest). NULL when none matches; *method_ok says
 * whether the path exists under another method (405 rather than 404). */
const desk_route *desk_route_match(const char *method, const desk_path *p, const char **args, size_t *nargs,
                                   char **rest, int *method_ok);

/* ---- the server ------------------------------------------------------------------------ */

typedef struct desk_view desk_view;
typedef struct desk_job desk_job;
typedef struct desk_limiter desk_limiter;

/* A staff login (kept in memory and in sessions.json, by the SHA-256 of its cookie). */
typedef struct desk_session {
    char id_hash[65];
    char user[65];
    char csrf[48];
    char epoch[17]; /* the end of the user's password hash when logged in */
    int64_t expires, last_seen;
} desk_session;

struct cw_desk {
    char *station_dir;
    char address[160];
    char listen[128]; /* as given: ADDR:PORT (teachers' links are built from it) */
    int tls;
    int trust_proxy;
    int64_t max_upload;
    int login_seconds;
    int serve_lock_fd;
    struct MHD_Daemon *mhd;
    char *cert_pem, *key_pem;
    desk_view *view;
    desk_limiter *limiter;
    /* sessions */
    pthread_mutex_t sess_mu;
    desk_session *sessions;
    size_t n_sessions, cap_sessions;
    /* teachers, reloaded when teachers.json changes */
    pthread_mutex_t teach_mu;
    desk_teacher *teachers;
    size_t n_teachers;
    desk_stamp teachers_stamp;
    /* uploads.json (the inbox) */
    pthread_mutex_t inbox_mu;
    /* jobs */
    pthread_mutex_t job_mu;
    pthread_cond_t job_cv;
    desk_job *jobs; /* all jobs, newest first */
    size_t n_jobs;
    pthread_t workers[2];
    int n_workers;
    int stopping;
    /* upload file names */
    unsigned long upload_seq;
    pthread_mutex_t seq_mu;
    char station_name[128];
    /* the request log (stderr of `serve`), may be NULL */
    void (*log)(void *user, const char *line);
    void *log_user;
};

/* ---- requests ----------------------------------------------------------------------------- */

typedef struct desk_file_part {
    char *tmp_path; /* STATION/desk/uploads/up-PID-N.part, removed when the request ends */
    int fd;
    int64_t size;
    char field[DESK_MAX_KEY + 1];
    char filename[256]; /* the browser's name, for messages only */
    char ctype[128];
} desk_file_part;

#define DESK_MAX_FILES 2
#define DESK_DRAIN_MAX (1024 * 1024) /* a refused body up to this size is read and dropped */
#define DESK_MAX_HEADERS 10

struct desk_req {
    cw_desk *d;
    struct MHD_Connection *conn;
    char *target; /* the raw request target */
    desk_path path;
    const desk_route *route;
    const char *args[4];
    size_t nargs;
    char *rest;
    char method[8];
    char client[64];
    int started, answered;
    int early; /* decided from the headers alone; answered on the next call */
    int api; /* answer in JSON */
    /* who */
    int staff;
    desk_session sess; /* a copy, when staff */
    desk_teacher *teacher; /* a private copy, when the route is a teacher's */
    /* body */
    int64_t body_bytes, body_limit;
    int64_t declared; /* Content-Length; -1 unknown (chunked), 0 no body */
    cw_buf body;
    desk_params form; /* urlencoded fields, or the plain fields of a multipart body */
    json_t *json;     /* an API route's JSON body */
    desk_mp *mp;
    desk_file_part files[DESK_MAX_FILES];
    size_t nfiles;
    desk_file_part *cur_file;
    char cur_field[DESK_MAX_KEY + 1];
    cw_buf cur_value;
    int in_part;
    int fail_status; /* decided while the body arrived: answer this (with fail_msg) */
    char fail_msg[512];
    /* the response */
    int status;
    cw_buf out;
    const char *ctype;
    char *hdr_name[DESK_MAX_HEADERS], *hdr_val[DESK_MAX_HEADERS];
    size_t nhdr;
    int file_fd;          /* send this file (range already applied), or -1 */
    int64_t file_off, file_len;
    struct MHD_Response *custom; /* a prepared response (tar stream) */
    /* waiting for a job (JSON uploads answer when their ingest ends) */
    desk_job *wait;
    int suspended;
    void (*after_wait)(desk_req *r);
    int64_t t_start_us;
    int refresh_seconds; /* > 0: the page reloads itself (progress without JavaScript) */
};

/* libmicrohttpd's callbacks (http.c), handed to the daemon (daemon.c). */
enum MHD_Result desk_on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                           const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls);
void *desk_on_uri(void *cls, const char *uri, struct MHD_Connection *c);
void desk_on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe);

/* Response helpers: each sets status, body and content type. */
void desk_add_header(desk_req *r, const char *name, const char *value);
void desk_reply_html(desk_req *r, int status); /* r->out holds the page */
void desk_reply_json(desk_req *r, int status, json_t *obj); /* steals obj */
void desk_reply_redirect(desk_req *r, const char *location);
/* An error in the form the route answers: a page, or {"error": text} for the API. */
void desk_reply_error(desk_req *r, int status, const char *text);
/* Send a file under the station (Range honoured; 416 when unsatisfiable). */
void desk_reply_file(desk_req *r, const char *abs_path, const char *ctype, const char *download_name);
/* A request header (borrowed) or NULL. */
const char *desk_header(desk_req *r, const char *name);
/* A form field (urlencoded or multipart) or NULL. */
const char *desk_field(desk_req *r, const char *name);
/* The query parameter or NULL. */
const char *desk_query(desk_req *r, const char *name);
/* The uploaded file of field `name`, or NULL. */
desk_file_part *desk_file(desk_req *r, const char *name);

/* ---- sessions and limits (auth.c) ---------------------------------------------------------- */

/* Look up the request's session cookie; fills r->sess and sets r->staff. */
void desk_auth_staff(desk_req *r);
/* Check the CSRF token of a state-changing staff request. */
int desk_auth_csrf_ok(desk_req *r);
/* Log in: on success a Set-Cookie header is added and *sess filled. */
int desk_login(desk_req *r, const char *user, const char *password, desk_session *sess, cw_error *err);
void desk_logout(desk_req *r);
int desk_sessions_load(cw_desk *d, cw_error *err);
/* The teacher of a token (a private copy in r->teacher) or NULL. */
int desk_auth_teacher(desk_req *r, const char *token);

/* Rate limiting of failed logins and token tries per client address. */
int desk_limiter_new(desk_limiter **out);
void desk_limiter_free(desk_limiter *l);
/* Seconds to wait before `client` may try again (0: go ahead). */
int desk_limiter_blocked(desk_limiter *l, const char *kind, const char *client);
void desk_limiter_fail(desk_limiter *l, const char *kind, const char *client);
void desk_limiter_success(desk_limiter *l, const char *kind, const char *client);
#define DESK_LIMIT_TRIES 10      /* failures allowed per window and address */
#define DESK_LIMIT_WINDOW 600    /* seconds */

/* ---- pages (layout in pages.c) ------------------------------------------------------------ */

typedef enum { NAV_NONE, NAV_WEEK, NAV_MISSING, NAV_LIBRARY, NAV_INBOX, NAV_CALENDARS, NAV_DAYS, NAV_TEACHERS,
               NAV_SETTINGS } desk_nav;
void desk_page_begin(desk_req *r, const char *title, desk_nav nav);
void desk_page_end(desk_req *r);
/* The hidden CSRF field of a staff form. */
void desk_csrf_field(desk_req *r);

/* ---- jobs (jobs.c) ------------------------------------------------------------------------ */

typedef enum { JOB_QUEUED, JOB_RUNNING, JOB_DONE, JOB_FAILED, JOB_CANCELLED } desk_job_state;

typedef void (*desk_job_fn)(desk_job *j, void *arg);

struct desk_job {
    char id[24];
    char kind[16];   /* "ingest", "build", "verify" */
    char owner[96];  /* "staff NAME" or "teacher NAME" */
    char title[320];
    desk_job_state state;
    double progress; /* 0..1 */
    char message[1024];
    json_t *result;  /* what the JSON API answers when the job ends */
    int64_t created, finished;
    int cancel;
    desk_job_fn fn;
    void *arg;
    void (*free_arg)(void *);
    desk_req *waiter; /* a suspended request to resume when the job ends */
    cw_desk *d;
    desk_job *next;
    int refs;
    int held; /* prepared, not yet to be run (desk_job_release) */
};

int desk_jobs_start(cw_desk *d, cw_error *err);
/* Cancel running work and join the workers (resumes every waiting request). */
void desk_jobs_stop(cw_desk *d);
/* Queue fn(arg) (arg freed with free_arg after the run). Returns a reference (release it
 * with desk_job_put) or NULL. */
desk_job *desk_job_submit(cw_desk *d, const char *kind, const char *owner, const char *title, desk_job_fn fn,
                          void *arg, void (*free_arg)(void *));
/* The same in two steps: a job with its id that no worker takes until it is released (so
 * records naming the job can be written first). */
desk_job *desk_job_prepare(cw_desk *d, const char *kind, const char *owner, const char *title, desk_job_fn fn,
                           void *arg, void (*free_arg)(void *));
void desk_job_release(desk_job *j);
desk_job *desk_job_get(cw_desk *d, const char *id); /* a reference, or NULL */
void desk_job_put(desk_job *j);
/* From the job's thread: progress, and the end of the work. */
void desk_job_progress(desk_job *j, double fraction);
void desk_job_finish(desk_job *j, desk_job_state state, const char *message, json_t *result);
/* Park r until j ends (JSON answers of uploads); 0 when parked, -1 when j already ended. */
int desk_job_wait(desk_req *r, desk_job *j);
/* A snapshot of a job for pages: copies under the lock. */
typedef struct desk_job_info {
    char id[24], kind[16], owner[96], title[320], message[1024];
    desk_job_state state;
    double progress;
    int64_t created, finished;
} desk_job_info;
int desk_job_info_get(cw_desk *d, const char *id, desk_job_info *out);
/* Up to max recent jobs, newest first. */
size_t desk_job_list(cw_desk *d, desk_job_info *out, size_t max);
const char *desk_job_state_name(desk_job_state s);

/* ---- the station, read for pages (view.c) --------------------------------------------------- */

/* The station as pages read it: settings, library index, calendars and day plans, loaded
 * once and reloaded when their files change, under the station lock (shared) per call.
 * Every function is called between desk_view_lock and desk_view_unlock; what they return is
 * borrowed until unlock. */
int desk_view_open(desk_view **out, const char *station_dir, cw_error *err);
void desk_view_free(desk_view *v);
/* Take the view for one request; refreshes what changed. Returns 0 or an error (the
 * station is unreadable or busy): the request answers it, the view is not held then. */
int desk_view_lock(desk_view *v, cw_error *err);
void desk_view_unlock(desk_view *v);
const cw_station *desk_view_station(desk_view *v);
const cw_library *desk_view_library(desk_view *v);
const cw_library *desk_view_pending(desk_view *v); /* uploads awaiting approval; NULL: none indexed */
/* The session under the view, for calls made outside a request (jobs): its calls are safe
 * from any thread (session.h). */
struct cw_session *desk_view_session(desk_view *v);
const cw_diags *desk_view_calendar_diags(desk_view *v);
/* The plan of one day (cached until an input changes). */
int desk_view_plan(desk_view *v, cw_date day, const cw_plan **out, cw_error *err);
/* Forget cached plans and rescan on the next lock (after the desk changed the station). */
void desk_view_invalidate(desk_view *v);

/* ---- the inbox: uploads and what became of them (inbox.c) ------------------------------------ */

typedef enum { UP_RECEIVED, UP_ACCEPTED, UP_PENDING, UP_REFUSED, UP_APPROVED, UP_REJECTED } desk_upload_status;
const char *desk_upload_status_name(desk_upload_status s);

typedef struct desk_upload {
    char id[24];
    char teacher[80];   /* "" for staff uploads */
    char by[80];        /* who uploaded: the teacher or the staff user */
    char file[256];     /* the browser's file name (display) */
    int64_t size;
    char received[32];
    char title[256], series[128], kind[16];
    int episode;
    desk_upload_status status;
    char reason[1024];  /* refusal or rejection, plain words */
    char recording[1024];
    double seconds;
    char airs[512];     /* when it airs, in words, once accepted */
    char notes[1024];   /* the ingest's warnings, in words (a series key no calendar uses...) */
    char replaces[1024]; /* a teacher's new take of an episode the library has: that recording */
    char job[24];
} desk_upload;

int desk_inbox_add(cw_desk *d, const desk_upload *u, cw_error *err);
int desk_inbox_update(cw_desk *d, const desk_upload *u, cw_error *err);
/* Uploads, newest first; `teacher` NULL for all. *out freed with free(). */
int desk_inbox_list(cw_desk *d, const char *teacher, desk_upload **out, size_t *n, cw_error *err);
int desk_inbox_get(cw_desk *d, const char *id, desk_upload *out, cw_error *err);
/* Uploads awaiting approval that were decided outside the desk (`chalkwave library approve`
 * or `reject`, or removed by hand) get their new status; called by desk_inbox_list. */
void desk_inbox_sync(cw_desk *d, desk_upload *v, size_t n);
/* At start: uploads a killed desk was still preparing are marked refused (upload again). */
int desk_inbox_recover(cw_desk *d, cw_error *err);
/* Let an upload awaiting approval air / refuse it with a reason the teacher sees. Update u. */
int desk_pending_approve(cw_desk *d, desk_upload *u, int replace, cw_error *err);
int desk_pending_reject(cw_desk *d, desk_upload *u, const char *reason, cw_error *err);

/* ---- handlers (one file per area) ----------------------------------------------------------- */

void desk_h_root(desk_req *r);
void desk_h_login_form(desk_req *r);
void desk_h_login(desk_req *r);
void desk_h_logout(desk_req *r);
void desk_h_api_login(desk_req *r);
void desk_h_api_logout(desk_req *r);
void desk_h_asset(desk_req *r);
void desk_h_week(desk_req *r);
void desk_h_missing(desk_req *r);
void desk_h_library(desk_req *r);
void desk_h_recording(desk_req *r);
void desk_h_audio(desk_req *r);
void desk_h_inbox(desk_req *r);
void desk_h_approve(desk_req *r);
void desk_h_reject(desk_req *r);
void desk_h_staff_upload(desk_req *r);
void desk_h_calendars(desk_req *r);
void desk_h_calendar_check(desk_req *r);
void desk_h_calendar_import(desk_req *r);
void desk_h_calendar_update(desk_req *r);
void desk_h_api_calendar_update(desk_req *r);
/* The calendars page's "Subscriptions" section, and an update job's results (pages_subs.c). */
void desk_subs_section(desk_req *r, const cw_station *st);
void desk_subs_job_section(desk_req *r, const char *id);
void desk_h_days(desk_req *r);
void desk_h_day(desk_req *r);
void desk_h_day_build(desk_req *r);
void desk_h_day_verify(desk_req *r);
void desk_h_day_file(desk_req *r);
void desk_h_day_tar(desk_req *r);
void desk_h_teachers(desk_req *r);
void desk_h_teacher_add(desk_req *r);
void desk_h_teacher_relink(desk_req *r);
void desk_h_teacher_revoke(desk_req *r);
void desk_h_settings(desk_req *r);
void desk_h_job(desk_req *r);
void desk_h_api_job(desk_req *r);
void desk_h_api_plan(desk_req *r);
void desk_h_api_missing(desk_req *r);
void desk_h_api_library(desk_req *r);
void desk_h_api_calendars(desk_req *r);
void desk_h_api_build(desk_req *r);
void desk_h_teacher_page(desk_req *r);
void desk_h_teacher_upload(desk_req *r);
void desk_h_teacher_job(desk_req *r);

/* ---- assets (assets.c, generated from desk/assets/) ----------------------------------------- */

typedef struct desk_asset {
    const char *name;  /* "desk.css" */
    const char *ctype;
    const unsigned char *data;
    size_t size;
    const char *etag;  /* "\"<sha256 prefix>\"" */
} desk_asset;
const desk_asset *desk_asset_find(const char *name);

/* ---- small shared helpers ------------------------------------------------------------------- */

json_t *desk_job_json(const desk_job_info *j);
json_t *desk_upload_json(const desk_upload *u);
json_t *desk_recording_json(const cw_recording *rec);
void desk_fmt_day(cw_date d, char out[48]);
void desk_plan_hhmm(const cw_plan *p, int64_t offset, char out[8]);
void desk_plan_section(cw_buf *b, const cw_plan *p, int with_link);
/* The slots of from..to (status bits in mask, CW_SLOTS_*; one series or all) from the
 * view's cached plans, appended to out. The view is held. */
int desk_slots_collect(desk_view *v, cw_date from, cw_date to, unsigned mask, const char *series, cw_slot_list *out,
                       cw_error *err);
/* A slot's local start: its day and "HH:MM". */
void desk_slot_local(const cw_slot_entry *e, cw_date *day, char hhmm[8]);

int64_t desk_now_us(void);
/* A day given as YYYY-MM-DD, or today (station time) when s is NULL or "". */
int desk_day_param(desk_req *r, const char *s, cw_date *out);
/* Today in the station's zone. */
cw_date desk_today(const cw_station *st);

#endif
