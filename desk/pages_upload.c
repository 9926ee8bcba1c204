/* pages_upload.c — recordings in through the desk: the teacher's page (their upcoming
 * lessons, the episodes still missing with an upload form each, a free upload, recording in
 * the browser, their uploads and what became of them), the upload itself (teachers' and
 * staff's), and the ingest job that runs it with the station's settings.
 * Guarantees: the uploaded file is only ever a temporary under STATION/desk/uploads/ named
 * by the desk (the browser's name is shown, never used as a path) and is removed when the
 * ingest ends, accepted or not; the teacher gets the result in plain words: accepted (length,
 * when it airs) or refused with the reason and what to do. */
#include "desk_int.h"
#include "session.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define LOOKAHEAD_DAYS 28

/* ---- the fields of an upload ------------------------------------------------------------------ */

typedef struct upload_meta {
    char title[CW_TITLE_MAX_BYTES + 1];
    char series[128];
    char teacher[80];
    char language[40];
    cw_kind kind;
    int episode;
} upload_meta;

static int teaches(const desk_teacher *t, const char *series)
{
    for (size_t i = 0; i < t->t.series.n; i++)
        if (!strcasecmp(t->t.series.v[i], series)) return 1;
    return 0;
}

/* Read and check the form's fields; on a problem, answer (422) and return -1. */
static int read_meta(desk_req *r, const desk_file_part *f, upload_meta *m)
{
    memset(m, 0, sizeof *m);
    const char *title = desk_field(r, "title"), *series = desk_field(r, "series"), *ep = desk_field(r, "episode");
    const char *kind = desk_field(r, "kind"), *lang = desk_field(r, "language");
    const char *teacher = r->teacher ? r->teacher->t.name : desk_field(r, "teacher");
    if (series && *series) {
        if (!desk_valid_series(series)) {
            desk_reply_error(r, 422, "the series key is not valid (use the key your timetable gives, e.g. maths-p5)");
            return -1;
        }
        if (r->teacher && r->teacher->t.series.n && !teaches(r->teacher, series)) {
            desk_reply_error(r, 422, "this link is for other series: ask the station to add this series to your link");
            return -1;
        }
        snprintf(m->series, sizeof m->series, "%s", series);
    }
    long e = 0;
    if (ep && *ep && desk_parse_long(ep, 1, 999, &e)) {
        desk_reply_error(r, 422, "the episode must be a number from 1 to 999");
        return -1;
    }
    m->episode = (int)e;
    m->kind = kind && *kind ? cw_kind_parse(kind) : (m->series[0] ? CW_KIND_LESSON : CW_KIND_NONE);
    if (r->teacher && m->kind == CW_KIND_NONE) m->kind = CW_KIND_LESSON;
    if (m->kind == CW_KIND_NONE) m->kind = CW_KIND_FILLER;
    if (m->kind != CW_KIND_LESSON && m->kind != CW_KIND_NEWSLETTER && m->kind != CW_KIND_FILLER) {
        desk_reply_error(r, 422, "the kind must be lesson, newsletter or filler");
        return -1;
    }
    if (m->kind == CW_KIND_LESSON && (!m->series[0] || m->episode <= 0)) {
        desk_reply_error(r, 422, "a lesson needs its series and episode number: choose the lesson in your list, or "
                                 "fill in both fields");
        return -1;
    }
    if (title && *title) {
        if (strlen(title) > CW_TITLE_MAX_BYTES || strpbrk(title, "\r\n")) {
            desk_reply_error(r, 422, "the title is too long (200 characters at most, one line)");
            return -1;
        }
        snprintf(m->title, sizeof m->title, "%s", title);
    } else {
        cw_default_title(f->filename[0] ? f->filename : "recording", m->title, sizeof m->title, CW_TITLE_MAX_BYTES);
    }
    if (teacher && *teacher) {
        if (strlen(teacher) > 79 || strpbrk(teacher, "\r\n")) {
            desk_reply_error(r, 422, "the teacher's name is too long");
            return -1;
        }
        snprintf(m->teacher, sizeof m->teacher, "%s", teacher);
    }
    if (!(lang && *lang) && r->teacher) lang = r->teacher->t.language;
    if (lang && *lang) {
        if (strlen(lang) > 35 || strpbrk(lang, " ,/\\\"<>\r\n")) {
            desk_reply_error(r, 422, "the language must be a code such as en, sw or ha");
            return -1;
        }
        snprintf(m->language, sizeof m->language, "%s", lang);
    }
    return 0;
}

/* ".m4a" from the browser's name (letters and digits, at most 5), "" when it has none. The
 * decoder recognises some formats by it; nothing else of the name reaches the disk. */
static void safe_ext(const char *name, char out[8])
{
    out[0] = 0;
    const char *dot = strrchr(name, '.');
    if (!dot || strlen(dot + 1) == 0 || strlen(dot + 1) > 5) return;
    size_t o = 0;
    out[o++] = '.';
    for (const char *p = dot + 1; *p; p++) {
        if (!isalnum((unsigned char)*p)) {
            out[0] = 0;
            return;
        }
        out[o++] = (char)tolower((unsigned char)*p);
    }
    out[o] = 0;
}

/* ---- the ingest job ----------------------------------------------------------------------------- */

typedef struct ingest_job {
    cw_desk *d;
    char *path; /* the desk's temporary copy; removed when the job ends */
    upload_meta m;
    int teacher_upload; /* from a teacher's link: waits for approval when [desk] approve = yes */
    desk_upload up;
} ingest_job;

static void ingest_job_free(void *p)
{
    ingest_job *a = p;
    if (!a) return;
    if (a->path) {
        unlink(a->path);
        free(a->path);
    }
    free(a);
}

static int on_progress(void *user, double f)
{
    desk_job *j = user;
    desk_job_progress(j, f);
    return __atomic_load_n(&j->cancel, __ATOMIC_ACQUIRE); /* the desk is stopping: nothing is stored */
}

/* When the recording of series/episode airs in the next four weeks, in words; `pending`:
 * when it will, once approved (its slot is "awaiting approval" until then). */
static void airs_words(cw_desk *d, const char *series, int episode, int pending, char *out, size_t cap)
{
    out[0] = 0;
    cw_error err = {0};
    desk_view *v = d->view;
    desk_view_invalidate(v);
    if (!series || !series[0] || episode <= 0 || desk_view_lock(v, &err)) {
        snprintf(out, cap, "%s", pending ? "The station listens to it before it airs." : "");
        return;
    }
    cw_date today = desk_today(desk_view_station(v));
    cw_slot_list l = {0};
    unsigned mask = (1u << CW_SLOT_AIRS) | (1u << CW_SLOT_PENDING);
    if (desk_slots_collect(v, today, cw_date_add_days(today, LOOKAHEAD_DAYS - 1), mask, series, &l, &err) == 0) {
        for (size_t i = 0; i < l.n && !out[0]; i++) {
            if (l.v[i].slot.episode != episode) continue;
            cw_date day;
            char hhmm[8], when[48];
            desk_slot_local(&l.v[i], &day, hhmm);
            desk_fmt_day(day, when);
            if (pending) snprintf(out, cap, "Once the station approves it, it airs on %s at %s.", when, hhmm);
            else snprintf(out, cap, "It airs on %s at %s.", when, hhmm);
        }
    }
    cw_slot_list_free(&l);
    desk_view_unlock(v);
    if (!out[0])
        snprintf(out, cap, "%s", pending ? "The station listens to it before it airs; no lesson in the next four weeks "
                                           "plays it yet."
                                         : "No lesson in the next four weeks plays it yet.");
}

/* The refusal for a teacher: should the decoder name our temporary, show their file instead. */
static void replace_all(cw_buf *b, const char *text, const char *what, const char *with)
{
    size_t wl = strlen(what);
    for (const char *p = text; *p;) {
        const char *hit = wl ? strstr(p, what) : NULL;
        if (!hit) {
            cw_buf_puts(b, p);
            break;
        }
        cw_buf_append(b, p, (size_t)(hit - p));
        cw_buf_puts(b, with);
        p = hit + wl;
    }
}

static void teacher_words(const char *text, const char *tmp, const char *shown, char *out, size_t cap)
{
    cw_buf a, b, c;
    cw_buf_init(&a);
    cw_buf_init(&b);
    cw_buf_init(&c);
    /* the whole path first, then its base name, then its stem (in a suggested command) */
    replace_all(&a, text, tmp, shown);
    replace_all(&b, a.data ? a.data : text, cw_path_base(tmp), shown);
    char tstem[128], sstem[256];
    const char *tb = cw_path_base(tmp), *dot = strrchr(tb, '.'), *sdot = strrchr(shown, '.');
    snprintf(tstem, sizeof tstem, "%.*s", (int)(dot ? dot - tb : (long)strlen(tb)), tb);
    snprintf(sstem, sizeof sstem, "%.*s", (int)(sdot ? sdot - shown : (long)strlen(shown)), shown);
    replace_all(&c, b.data ? b.data : text, tstem, sstem);
    snprintf(out, cap, "%s", c.data && !c.oom ? c.data : text);
    cw_buf_free(&a);
    cw_buf_free(&b);
    cw_buf_free(&c);
}

/* The ingest's warnings for people (u->notes, one sentence after another) and for scripts
 * (`arr`: code and text); the desk's temporary never shows. */
static void notes_words(const cw_diags *dg, const char *tmp, const char *shown, char *out, size_t cap, json_t *arr)
{
    out[0] = 0;
    size_t len = 0;
    for (size_t i = 0; i < dg->n; i++) {
        if (dg->v[i].severity == CW_DIAG_INFO) continue;
        char words[1024];
        teacher_words(dg->v[i].text ? dg->v[i].text : "", tmp, shown, words, sizeof words);
        if (arr)
            json_array_append_new(arr, json_pack("{s:s, s:s}", "code", dg->v[i].code ? dg->v[i].code : "", "text", words));
        int w = snprintf(out + len, cap - len, "%s%s%s", len ? " " : "", words,
                         words[0] && words[strlen(words) - 1] != '.' ? "." : "");
        if (w < 0 || (size_t)w >= cap - len) break; /* full: the rest is in the JSON */
        len += (size_t)w;
    }
}

static void run_ingest(desk_job *j, void *arg)
{
    ingest_job *a = arg;
    cw_desk *d = a->d;
    snprintf(a->up.job, sizeof a->up.job, "%s", j->id);
    cw_error err = {0};
    cw_ingest_result res;
    memset(&res, 0, sizeof res);
    /* the session's settings and calendars (its series check, with 'did you mean'); the
     * station lock shared for the ingest, like `chalkwave ingest` */
    int approve = 1;
    cw_error refusal = {0};
    int refused = 0; /* a take of this episode already waits */
    desk_view *v = d->view;
    if (desk_view_lock(v, &err) == 0) {
        approve = desk_view_station(v)->desk_approve;
        /* a teacher's new take of an episode the library has: it waits beside it and, once
         * approved, replaces it (an earlier take still waiting is refused as usual); also
         * with approve = no, where new episodes need no approval: a teacher's link never
         * overwrites what the station already has, and the take is not lost either */
        const cw_recording *has = NULL, *waits = NULL;
        if (a->teacher_upload && a->m.series[0] && a->m.episode > 0) {
            has = cw_library_find_episode(desk_view_library(v), a->m.series, a->m.episode);
            waits = desk_view_pending(v) ? cw_library_find_episode(desk_view_pending(v), a->m.series, a->m.episode) : NULL;
        }
        if (has && !waits) snprintf(a->up.replaces, sizeof a->up.replaces, "%s", has->path);
        if (waits)
            refused = cw_fail(&refusal, CW_EEXIST, "", 0, "episode %d of %s already waits for the station's approval ('%s'): the "
                                               "station decides on it first; send this one again after that if it is "
                                               "still needed", a->m.episode, a->m.series, waits->title);
        desk_view_unlock(v);
    }
    cw_ingest_opts o = {
        .meta = {.series = a->m.series[0] ? a->m.series : NULL,
                 .title = a->m.title,
                 .teacher = a->m.teacher[0] ? a->m.teacher : NULL,
                 .language = a->m.language[0] ? a->m.language : NULL,
                 .episode = a->m.episode,
                 .kind = a->m.kind},
        .pending = a->teacher_upload && (approve || a->up.replaces[0]), /* staff's need none */
        .replace = a->up.replaces[0] != 0,       /* (pending: only ever a take still waiting) */
        .display_name = a->up.file,
        .progress = on_progress,
        .progress_user = j,
    };
    memset(&err, 0, sizeof err);
    int rc = refused ? (err = refusal, refused) : cw_session_ingest(desk_view_session(v), a->path, &o, &res, &err);
    desk_upload *u = &a->up;
    json_t *result;
    char msg[1024];
    desk_job_state state = JOB_DONE;
    if (rc == 0) {
        int pending = !strncmp(res.library_path, "pending/", 8);
        u->status = pending ? UP_PENDING : UP_ACCEPTED;
        snprintf(u->recording, sizeof u->recording, "%s", res.library_path);
        u->seconds = res.seconds;
        if (!pending) u->replaces[0] = 0;
        airs_words(d, a->m.series, a->m.episode, pending, u->airs, sizeof u->airs);
        if (u->replaces[0]) {
            char more[sizeof u->airs];
            snprintf(more, sizeof more, "Once approved it replaces the recording of episode %d the station has now. %.300s",
                     a->m.episode, u->airs);
            memcpy(u->airs, more, sizeof more);
        }
        char len[32];
        desk_fmt_length(res.seconds, len);
        snprintf(msg, sizeof msg, "Accepted: '%s', %s long, %s. %s", u->title, len,
                 pending ? "waits for the station's approval" : "is in the station's library", u->airs);
        result = json_pack("{s:b, s:b, s:o, s:s, s:s}", "accepted", 1, "pending", pending, "recording",
                           json_pack("{s:s, s:s, s:f, s:f, s:f}", "path", res.library_path, "format", res.format, "seconds",
                                     res.seconds, "lufs", res.lufs_out, "true_peak", res.true_peak_out),
                           "airs", u->airs, "upload", u->id);
        if (result && u->replaces[0]) json_object_set_new(result, "replaces", json_string(u->replaces));
    } else {
        u->replaces[0] = 0;
        u->status = UP_REFUSED;
        char words[1024];
        if (rc == CW_ECANCELLED) {
            snprintf(words, sizeof words, "the desk stopped while it was preparing this recording, so it was not "
                                          "stored: please upload it again");
            state = JOB_CANCELLED;
        } else {
            teacher_words(err.text[0] ? err.text : cw_strerror(rc), a->path, u->file, words, sizeof words);
            state = JOB_FAILED;
        }
        snprintf(u->reason, sizeof u->reason, "%s", words);
        snprintf(msg, sizeof msg, "Refused: %.1000s", words);
        result = json_pack("{s:b, s:s, s:s}", "accepted", 0, "reason", words, "upload", u->id);
    }
    json_t *warnings = json_array();
    notes_words(&res.diags, a->path, u->file, u->notes, sizeof u->notes, warnings);
    if (result && warnings) json_object_set(result, "warnings", warnings);
    json_decref(warnings);
    if (u->notes[0] && rc == 0) {
        size_t l = strlen(msg);
        snprintf(msg + l, sizeof msg - l, " Please note: %.900s", u->notes);
    }
    cw_ingest_result_free(&res);
    cw_error e2 = {0};
    if (desk_inbox_update(d, u, &e2) != 0 && d->log) d->log(d->log_user, e2.text);
    desk_view_invalidate(d->view);
    desk_job_finish(j, state, msg, result);
}

int desk_pending_approve(cw_desk *d, desk_upload *u, int replace, cw_error *err)
{
    char path[1024];
    int rc = cw_session_approve(desk_view_session(d->view), u->recording, replace, path, sizeof path, err);
    if (rc) return rc;
    u->status = UP_APPROVED;
    snprintf(u->recording, sizeof u->recording, "%s", path);
    airs_words(d, u->series, u->episode, 0, u->airs, sizeof u->airs);
    return desk_inbox_update(d, u, err);
}

int desk_pending_reject(cw_desk *d, desk_upload *u, const char *reason, cw_error *err)
{
    int rc = cw_session_reject(desk_view_session(d->view), u->recording, reason, err);
    if (rc) return rc;
    u->status = UP_REJECTED;
    snprintf(u->reason, sizeof u->reason, "%s", reason);
    u->airs[0] = 0;
    return desk_inbox_update(d, u, err);
}

/* Answer a JSON upload once its job has ended. */
static void answer_upload_json(desk_req *r)
{
    desk_job *j = r->wait;
    pthread_mutex_lock(&r->d->job_mu);
    json_t *res = j->result ? json_deep_copy(j->result) : NULL;
    desk_job_state state = j->state;
    char message[1024];
    snprintf(message, sizeof message, "%s", j->message);
    pthread_mutex_unlock(&r->d->job_mu);
    if (res) {
        desk_reply_json(r, json_is_true(json_object_get(res, "accepted")) ? 200 : 422, res);
        return;
    }
    desk_reply_json(r, 503, json_pack("{s:b, s:s}", "accepted", 0, "reason",
                                      state == JOB_CANCELLED ? "the desk stopped before the recording was stored; "
                                                               "upload it again"
                                                             : message));
}

/* Hand the uploaded file to a new ingest job; answer with where to follow it. */
static void start_ingest(desk_req *r, desk_file_part *f, const upload_meta *m, const char *by, const char *follow_base)
{
    ingest_job *a = calloc(1, sizeof *a);
    if (!a) {
        desk_reply_error(r, 503, "out of memory");
        return;
    }
    a->d = r->d;
    a->m = *m;
    a->teacher_upload = r->teacher != NULL;
    desk_upload *u = &a->up;
    desk_token_new(u->id, sizeof u->id, 9);
    snprintf(u->teacher, sizeof u->teacher, "%s", r->teacher ? r->teacher->t.name : "");
    snprintf(u->by, sizeof u->by, "%s", by);
    snprintf(u->file, sizeof u->file, "%s", f->filename[0] ? f->filename : "recording");
    u->size = f->size;
    desk_iso_time((int64_t)time(NULL), u->received);
    snprintf(u->title, sizeof u->title, "%s", m->title);
    snprintf(u->series, sizeof u->series, "%s", m->series);
    snprintf(u->kind, sizeof u->kind, "%s", cw_kind_name(m->kind));
    u->episode = m->episode;
    u->status = UP_RECEIVED;
    char ext[8];
    safe_ext(f->filename, ext);
    a->path = cw_asprintf("%s/desk/uploads/in-%s%s", r->d->station_dir, u->id, ext);
    if (!a->path || rename(f->tmp_path, a->path) != 0) {
        ingest_job_free(a);
        desk_reply_error(r, 503, "the desk could not keep the upload (the station's disk may be full)");
        return;
    }
    close(f->fd);
    f->fd = -1;
    free(f->tmp_path);
    f->tmp_path = NULL;
    char title[320];
    snprintf(title, sizeof title, "Adding '%s'", u->title);
    char owner[96];
    snprintf(owner, sizeof owner, "%s %s", r->teacher ? "teacher" : "staff", by);
    /* the record goes in first: the job updates it */
    desk_upload first = *u;
    desk_job *j = desk_job_prepare(r->d, "ingest", owner, title, run_ingest, a, ingest_job_free);
    if (!j) {
        desk_reply_error(r, 503, "the desk is stopping: upload again in a moment");
        return;
    }
    snprintf(first.job, sizeof first.job, "%s", j->id);
    cw_error err = {0};
    if (desk_inbox_add(r->d, &first, &err) != 0 && r->d->log) r->d->log(r->d->log_user, err.text);
    desk_job_release(j); /* only now: the job updates the record just written */
    if (r->api) {
        r->wait = j; /* answered when the ingest ends */
        r->after_wait = answer_upload_json;
        return;
    }
    cw_buf loc;
    cw_buf_init(&loc);
    desk_html(&loc, "%H%U", follow_base, r->teacher ? first.id : j->id);
    desk_reply_redirect(r, loc.data ? loc.data : "/");
    cw_buf_free(&loc);
    desk_job_put(j);
}

void desk_h_teacher_upload(desk_req *r)
{
    desk_file_part *f = desk_file(r, "file");
    if (!f || f->size == 0) {
        desk_reply_error(r, 400, "choose a recording to upload (the file field was empty)");
        return;
    }
    upload_meta m;
    if (read_meta(r, f, &m)) return;
    cw_buf base;
    cw_buf_init(&base);
    desk_html(&base, "/t/%U/uploads/", r->args[0]);
    start_ingest(r, f, &m, r->teacher->t.name, base.data ? base.data : "/");
    cw_buf_free(&base);
}

void desk_h_staff_upload(desk_req *r)
{
    desk_file_part *f = desk_file(r, "file");
    if (!f || f->size == 0) {
        desk_reply_error(r, 400, "choose a recording to upload (the file field was empty)");
        return;
    }
    upload_meta m;
    if (read_meta(r, f, &m)) return;
    start_ingest(r, f, &m, r->sess.user, "/staff/jobs/");
}

/* ---- the teacher's pages ------------------------------------------------------------------------ */

static const char *const upload_words[] = {"being processed", "accepted", "awaiting the station's approval",
                                           "refused", "approved: it will air", "rejected"};

void desk_h_teacher_job(desk_req *r)
{
    desk_upload u;
    cw_error err = {0};
    if (desk_inbox_get(r->d, r->args[1], &u, &err) || strcmp(u.teacher, r->teacher->t.name) != 0) {
        desk_reply_error(r, 404, "there is no such upload");
        return;
    }
    desk_job_info j;
    int have_job = desk_job_info_get(r->d, u.job, &j);
    /* the job may have ended between the two reads: its record is written before it ends */
    if (u.status == UP_RECEIVED && have_job && j.state >= JOB_DONE && desk_inbox_get(r->d, r->args[1], &u, &err)) {
        desk_reply_error(r, 404, "there is no such upload");
        return;
    }
    if (u.status == UP_RECEIVED && have_job && j.state < JOB_DONE) r->refresh_seconds = 2;
    desk_page_begin(r, u.title, NAV_NONE);
    cw_buf *b = &r->out;
    desk_html(b, "<h1>%s</h1>\n", u.title);
    if (u.status == UP_RECEIVED) {
        if (have_job && j.state < JOB_DONE)
            desk_html(b, "<p role=\"status\">Your recording arrived. The station is checking and preparing it… "
                         "<progress max=\"100\" value=\"%d\">%d%%</progress></p>\n<p class=\"hint\">This page updates "
                         "itself; you may also close it: the result will be on your page.</p>\n",
                      (int)(j.progress * 100), (int)(j.progress * 100));
        else
            desk_html(b, "<p class=\"problem\" role=\"status\">The desk stopped before your recording was stored. Please "
                         "upload it again.</p>\n");
    } else if (u.status == UP_REFUSED || u.status == UP_REJECTED) {
        desk_html(b, "<p class=\"problem\" role=\"status\">%s: %s</p>\n", u.status == UP_REFUSED ? "Refused" : "Rejected",
                  u.reason);
    } else {
        char len[32];
        desk_fmt_length(u.seconds, len);
        desk_html(b, "<p class=\"good\" role=\"status\">Accepted: '%s', %s long%s. %s</p>\n", u.title, len,
                  u.status == UP_PENDING ? ", is waiting for the station's approval" : ", is in the station's library",
                  u.airs);
    }
    if (u.notes[0]) desk_html(b, "<p class=\"warn\">Please note: %s</p>\n", u.notes);
    desk_html(b, "<p><a href=\"/t/%U\">Back to your page</a></p>\n", r->args[0]);
    desk_page_end(r);
    desk_reply_html(r, 200);
}

typedef struct slot_row {
    cw_date day;
    char time[8];
    char series[128];
    int episode;
    char title[256]; /* the lesson's title in the timetable */
    cw_slot_status status;
    char reason[512];
} slot_row;

static int row_cmp(const void *a, const void *b)
{
    const slot_row *x = a, *y = b;
    int c = cw_date_cmp(x->day, y->day);
    return c ? c : strcmp(x->time, y->time);
}

/* The teacher's lessons in the next four weeks, from the plans' slots. */
static int teacher_rows(desk_req *r, slot_row **out, size_t *n, cw_error *err)
{
    *out = NULL;
    *n = 0;
    desk_view *v = r->d->view;
    cw_date today = desk_today(desk_view_station(v));
    cw_slot_list l = {0};
    for (size_t k = 0; k < r->teacher->t.series.n; k++) {
        int rc = desk_slots_collect(v, today, cw_date_add_days(today, LOOKAHEAD_DAYS - 1), CW_SLOTS_ALL,
                                    r->teacher->t.series.v[k], &l, err);
        if (rc) {
            cw_slot_list_free(&l);
            return rc;
        }
    }
    slot_row *rows = calloc(l.n ? l.n : 1, sizeof *rows);
    if (!rows) {
        cw_slot_list_free(&l);
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    }
    for (size_t i = 0; i < l.n; i++) {
        const cw_plan_slot *s = &l.v[i].slot;
        if (s->kind != CW_KIND_LESSON) continue;
        slot_row *x = &rows[(*n)++];
        desk_slot_local(&l.v[i], &x->day, x->time);
        snprintf(x->series, sizeof x->series, "%s", s->series ? s->series : "");
        x->episode = s->episode;
        snprintf(x->title, sizeof x->title, "%s", s->summary && s->summary[0] ? s->summary : x->series);
        x->status = s->status;
        snprintf(x->reason, sizeof x->reason, "%s", s->reason ? s->reason : "");
    }
    cw_slot_list_free(&l);
    if (*n) qsort(rows, *n, sizeof *rows, row_cmp);
    *out = rows;
    return 0;
}

static void upload_form(desk_req *r, const slot_row *x, int idx)
{
    cw_buf *b = &r->out;
    desk_html(b, "<form method=\"post\" action=\"/t/%U/upload\" enctype=\"multipart/form-data\" class=\"upload\">"
                 "<input type=\"hidden\" name=\"series\" value=\"%s\"><input type=\"hidden\" name=\"episode\" value=\"%d\">"
                 "<input type=\"hidden\" name=\"kind\" value=\"lesson\">"
                 "<label for=\"t-%d\">Title</label><input id=\"t-%d\" name=\"title\" value=\"%s\">"
                 "<label for=\"f-%d\">Recording of episode %d</label><input id=\"f-%d\" name=\"file\" type=\"file\" "
                 "accept=\"audio/*,video/*\" required>"
                 "<button type=\"submit\">Upload episode %d</button></form>\n",
              r->args[0], x->series, x->episode, idx, idx, x->title, idx, x->episode, idx, x->episode);
}

void desk_h_teacher_page(desk_req *r)
{
    cw_error err = {0};
    desk_view *v = r->d->view;
    if (desk_view_lock(v, &err)) {
        desk_reply_error(r, 503, err.text);
        return;
    }
    slot_row *rows = NULL;
    size_t n = 0;
    int rc = teacher_rows(r, &rows, &n, &err);
    const cw_station *st = desk_view_station(v);
    int64_t max_mb = st->desk_max_upload >> 20;
    int approve = st->desk_approve;
    desk_view_unlock(v);
    desk_page_begin(r, r->teacher->t.name, NAV_NONE);
    cw_buf *b = &r->out;
    desk_html(b, "<h1>Hello, %s</h1>\n", r->teacher->t.name);
    if (rc) desk_html(b, "<p class=\"problem\" role=\"alert\">The timetable cannot be shown now: %s</p>\n", err.text);
    size_t missing = 0;
    for (size_t i = 0; i < n; i++) missing += rows[i].status == CW_SLOT_MISSING;
    if (r->teacher->t.series.n) {
        desk_html(b, "<section aria-labelledby=\"next\"><h2 id=\"next\">Your lessons in the next four weeks</h2>\n");
        if (n == 0) desk_html(b, "<p>No lessons of your series are on the timetable in the next four weeks.</p>\n");
        else if (missing)
            desk_html(b, "<p role=\"status\">%z recording%s still needed.</p>\n", missing, missing == 1 ? " is" : "s are");
        else desk_html(b, "<p class=\"good\" role=\"status\">Every lesson has its recording. Thank you!</p>\n");
        desk_html(b, "<ol class=\"slots\">\n");
        for (size_t i = 0; i < n; i++) {
            const slot_row *x = &rows[i];
            char day[48];
            desk_fmt_day(x->day, day);
            const char *cls = x->status == CW_SLOT_MISSING ? "missing" : x->status == CW_SLOT_AIRS ? "ready" : "other";
            desk_html(b, "<li class=\"%s\"><p><strong>%s %s</strong> · %s · %s", cls, day, x->time, x->title, x->series);
            if (x->episode > 0) desk_html(b, ", episode %d", x->episode);
            desk_html(b, " · ");
            switch (x->status) {
            case CW_SLOT_MISSING:
                desk_html(b, "<span class=\"tag warn\">recording needed</span></p>\n");
                upload_form(r, x, (int)i);
                break;
            case CW_SLOT_AIRS: desk_html(b, "<span class=\"tag\">ready</span></p>\n"); break;
            case CW_SLOT_PENDING:
                desk_html(b, "<span class=\"tag\">waiting for the station's approval</span></p>\n");
                break;
            default: /* cancelled, a holiday, held, moved out of the station's hours: said why */
                desk_html(b, "<span class=\"tag\">%s</span> %s</p>\n", cw_slot_status_name(x->status), x->reason);
            }
            desk_html(b, "</li>\n");
        }
        desk_html(b, "</ol></section>\n");
    }
    desk_html(b, "<section aria-labelledby=\"free\"><h2 id=\"free\">Upload a recording</h2>\n"
                 "<p class=\"hint\">Any recording from your phone or computer (up to %l MB): voice memos, M4A, MP3, WAV, "
                 "Ogg, WebM. %s</p>\n"
                 "<form method=\"post\" action=\"/t/%U/upload\" enctype=\"multipart/form-data\" class=\"stack upload\" "
                 "id=\"free-upload\">\n<label for=\"title\">Title</label><input id=\"title\" name=\"title\">\n"
                 "<label for=\"series\">Series</label>",
              max_mb, approve ? "The station listens to it before it airs." : "", r->args[0]);
    if (r->teacher->t.series.n) {
        desk_html(b, "<select id=\"series\" name=\"series\">");
        for (size_t i = 0; i < r->teacher->t.series.n; i++)
            desk_html(b, "<option>%s</option>", r->teacher->t.series.v[i]);
        desk_html(b, "</select>\n");
    } else {
        desk_html(b, "<input id=\"series\" name=\"series\">\n");
    }
    desk_html(b, "<label for=\"episode\">Episode</label><input id=\"episode\" name=\"episode\" inputmode=\"numeric\" "
                 "pattern=\"[0-9]*\">\n<label for=\"kind\">Kind</label><select id=\"kind\" name=\"kind\">"
                 "<option value=\"lesson\">lesson</option><option value=\"newsletter\">newsletter</option>"
                 "<option value=\"filler\">filler</option></select>\n"
                 "<label for=\"file\">Recording</label><input id=\"file\" name=\"file\" type=\"file\" accept=\"audio/*,video/*\" "
                 "required>\n<div class=\"recorder\" hidden data-for=\"file\"></div>\n"
                 "<button type=\"submit\">Upload</button>\n</form>\n</section>\n");
    free(rows);
    desk_upload *ups = NULL;
    size_t nu = 0;
    if (desk_inbox_list(r->d, r->teacher->t.name, &ups, &nu, &err) == 0 && nu) {
        desk_html(b, "<section aria-labelledby=\"mine\"><h2 id=\"mine\">Your uploads</h2><ul class=\"uploads\">\n");
        for (size_t i = 0; i < nu && i < 30; i++) {
            const desk_upload *u = &ups[i];
            desk_html(b, "<li class=\"s-%s\"><a href=\"/t/%U/uploads/%U\">%s</a> · %s · <strong>%s</strong>",
                      desk_upload_status_name(u->status), r->args[0], u->id, u->title, u->received,
                      upload_words[u->status]);
            if (u->reason[0]) desk_html(b, ": %s", u->reason);
            if (u->notes[0]) desk_html(b, " <span class=\"warn\">(please note: %s)</span>", u->notes);
            desk_html(b, "</li>\n");
        }
        desk_html(b, "</ul></section>\n");
    }
    free(ups);
    desk_page_end(r);
    desk_reply_html(r, 200);
}
