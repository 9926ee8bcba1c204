/* http.c — the desk on GNU libmicrohttpd: the daemon (thread pool on epoll, optional TLS),
 * one request's life (route, identity, body, handler, response), security headers on every
 * answer, file answers with Range, and uploads streamed to STATION/desk/uploads/.
 * Guarantees: a request is refused before its body is read when its route, identity or
 * declared size already says no; an upload never exceeds [desk] max_upload on disk (the
 * connection is cut when a body outgrows it); temporaries of a request are removed when it
 * ends, however it ends; every response carries CSP, nosniff, frame and referrer headers. */
#include "desk_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DESK_CSP                                                                                                \
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self' blob:; " \
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

int64_t desk_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- request state ------------------------------------------------------------------------ */

static void remove_files(desk_req *r)
{
    for (size_t i = 0; i < r->nfiles; i++) {
        if (r->files[i].fd >= 0) close(r->files[i].fd);
        if (r->files[i].tmp_path) {
            unlink(r->files[i].tmp_path);
            free(r->files[i].tmp_path);
        }
    }
    r->nfiles = 0;
}

static void req_free(desk_req *r)
{
    if (!r) return;
    remove_files(r);
    free(r->target);
    desk_path_free(&r->path);
    free(r->rest);
    cw_buf_free(&r->body);
    cw_buf_free(&r->cur_value);
    desk_params_free(&r->form);
    json_decref(r->json);
    desk_mp_free(r->mp);
    cw_buf_free(&r->out);
    for (size_t i = 0; i < r->nhdr; i++) {
        free(r->hdr_name[i]);
        free(r->hdr_val[i]);
    }
    if (r->file_fd >= 0) close(r->file_fd);
    if (r->custom) MHD_destroy_response(r->custom);
    if (r->teacher) desk_teachers_free(r->teacher, 1);
    if (r->wait) desk_job_put(r->wait);
    free(r);
}

/* MHD's URI log callback: the first thing seen of a request, with the raw target. */
void *desk_on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    desk_req *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->d = cls;
    r->conn = c;
    r->file_fd = -1;
    r->t_start_us = desk_now_us();
    r->target = cw_strndup(uri ? uri : "", DESK_MAX_URI + 1);
    return r;
}

static void client_address(desk_req *r)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    snprintf(r->client, sizeof r->client, "?");
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, r->client, sizeof r->client);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, r->client,
                      sizeof r->client);
    }
    if (r->d->trust_proxy) {
        /* behind a reverse proxy: the last hop it appended is the client it saw */
        const char *xff = desk_header(r, "X-Forwarded-For");
        if (xff && *xff) {
            const char *last = strrchr(xff, ',');
            last = last ? last + 1 : xff;
            while (*last == ' ') last++;
            if (strlen(last) < sizeof r->client && strspn(last, "0123456789abcdefABCDEF.:") == strlen(last))
                snprintf(r->client, sizeof r->client, "%s", last);
        }
    }
}

const char *desk_header(desk_req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *desk_field(desk_req *r, const char *name)
{
    if (r->json) {
        json_t *v = json_object_get(r->json, name);
        if (json_is_string(v)) return json_string_value(v);
        return NULL;
    }
    return desk_param_get(&r->form, name);
}

const char *desk_query(desk_req *r, const char *name)
{
    return desk_param_get(&r->path.query, name);
}

desk_file_part *desk_file(desk_req *r, const char *name)
{
    for (size_t i = 0; i < r->nfiles; i++)
        if (!strcmp(r->files[i].field, name) && r->files[i].fd >= 0) return &r->files[i];
    return NULL;
}

/* ---- responses --------------------------------------------------------------------------- */

void desk_add_header(desk_req *r, const char *name, const char *value)
{
    if (r->nhdr == DESK_MAX_HEADERS) return;
    r->hdr_name[r->nhdr] = cw_strdup(name);
    r->hdr_val[r->nhdr] = cw_strdup(value);
    if (r->hdr_name[r->nhdr] && r->hdr_val[r->nhdr]) r->nhdr++;
    else {
        free(r->hdr_name[r->nhdr]);
        free(r->hdr_val[r->nhdr]);
    }
}

void desk_reply_html(desk_req *r, int status)
{
    r->status = status;
    r->ctype = "text/html; charset=utf-8";
}

void desk_reply_json(desk_req *r, int status, json_t *obj)
{
    r->status = status;
    r->ctype = "application/json";
    r->out.len = 0;
    char *s = obj ? json_dumps(obj, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(8)) : NULL;
    json_decref(obj);
    if (!s) {
        r->status = 500;
        cw_buf_puts(&r->out, "{\"error\": \"out of memory\"}\n");
        return;
    }
    cw_buf_puts(&r->out, s);
    cw_buf_puts(&r->out, "\n");
    free(s);
}

void desk_reply_redirect(desk_req *r, const char *location)
{
    r->status = 303;
    r->ctype = "text/plain; charset=utf-8";
    r->out.len = 0;
    cw_buf_puts(&r->out, "see other\n");
    desk_add_header(r, "Location", location);
}

static const char *status_title(int status)
{
    switch (status) {
    case 400: return "Bad request";
    case 401: return "Please log in";
    case 403: return "Not allowed";
    case 404: return "Not found";
    case 405: return "Not allowed";
    case 409: return "Conflict";
    case 413: return "Too large";
    case 415: return "Unsupported upload";
    case 416: return "Range not satisfiable";
    case 422: return "Refused";
    case 429: return "Too many tries";
    case 503: return "Busy";
    default: return status >= 500 ? "Something went wrong" : "Problem";
    }
}

void desk_reply_error(desk_req *r, int status, const char *text)
{
    r->out.len = 0;
    if (r->out.data) r->out.data[0] = 0;
    if (r->api) {
        desk_reply_json(r, status, json_pack("{s:s}", "error", text ? text : status_title(status)));
        return;
    }
    desk_page_begin(r, status_title(status), NAV_NONE);
    desk_html(&r->out, "<h1>%s</h1>\n<p class=\"problem\" role=\"alert\">%s</p>\n", status_title(status),
              text ? text : "");
    if (r->staff) desk_html(&r->out, "<p><a href=\"/staff/week\">Back to the week</a></p>\n");
    desk_page_end(r);
    desk_reply_html(r, status);
}

void desk_reply_file(desk_req *r, const char *abs_path, const char *ctype, const char *download_name)
{
    int fd = open(abs_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0) close(fd);
        desk_reply_error(r, 404, "that file is not there (it may have been rebuilt or removed)");
        return;
    }
    int64_t off = 0, len = st.st_size;
    int rg = desk_parse_range(desk_header(r, "Range"), st.st_size, &off, &len);
    char v[96];
    if (rg < 0) {
        close(fd);
        snprintf(v, sizeof v, "bytes */%lld", (long long)st.st_size);
        desk_add_header(r, "Content-Range", v);
        desk_reply_error(r, 416, "the requested range is outside the file");
        return;
    }
    r->status = rg ? 206 : 200;
    r->ctype = ctype;
    r->file_fd = fd;
    r->file_off = off;
    r->file_len = len;
    desk_add_header(r, "Accept-Ranges", "bytes");
    if (rg) {
        snprintf(v, sizeof v, "bytes %lld-%lld/%lld", (long long)off, (long long)(off + len - 1),
                 (long long)st.st_size);
        desk_add_header(r, "Content-Range", v);
    }
    if (download_name) {
        char cd[300];
        snprintf(cd, sizeof cd, "attachment; filename=\"%s\"", download_name);
        desk_add_header(r, "Content-Disposition", cd);
    }
}

static void log_request(desk_req *r, int status)
{
    if (!r->d->log) return;
    /* a teacher's token is a password: never logged */
    char shown[200];
    const char *t = r->target ? r->target : "";
    if (!strncmp(t, "/t/", 3)) {
        const char *after = strchr(t + 3, '/');
        snprintf(shown, sizeof shown, "/t/…%.150s", after ? after : "");
    } else {
        snprintf(shown, sizeof shown, "%.*s", (int)strcspn(t, "?"), t);
    }
    char line[400];
    snprintf(line, sizeof line, "%s %s %s %d %lld ms%s%s", r->client, r->method, shown, status,
             (long long)((desk_now_us() - r->t_start_us) / 1000), r->staff ? " " : "", r->staff ? r->sess.user : "");
    r->d->log(r->d->log_user, line);
}

static enum MHD_Result send_response(desk_req *r)
{
    struct MHD_Response *resp;
    if (r->custom) {
        resp = r->custom;
        r->custom = NULL;
    } else if (r->file_fd >= 0) {
        resp = MHD_create_response_from_fd_at_offset64((uint64_t)r->file_len, r->file_fd, (uint64_t)r->file_off);
        if (resp) r->file_fd = -1; /* MHD closes it */
    } else {
        /* the page is handed over, not copied (MHD frees it) */
        if (r->out.data) {
            resp = MHD_create_response_from_buffer(r->out.len, r->out.data, MHD_RESPMEM_MUST_FREE);
            if (resp) cw_buf_init(&r->out);
        } else {
            resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        }
    }
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, "Content-Security-Policy", DESK_CSP);
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "X-Frame-Options", "DENY");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(resp, "Cross-Origin-Opener-Policy", "same-origin");
    MHD_add_response_header(resp, "Permissions-Policy", "microphone=(self), camera=(), geolocation=()");
    if (r->d->tls) MHD_add_response_header(resp, "Strict-Transport-Security", "max-age=31536000");
    int cache_set = 0;
    for (size_t i = 0; i < r->nhdr; i++) {
        MHD_add_response_header(resp, r->hdr_name[i], r->hdr_val[i]);
        if (!strcasecmp(r->hdr_name[i], "Cache-Control")) cache_set = 1;
    }
    if (!cache_set) MHD_add_response_header(resp, "Cache-Control", "no-store");
    if (r->ctype) MHD_add_response_header(resp, "Content-Type", r->ctype);
    int status = r->status ? r->status : 500;
    enum MHD_Result ok = MHD_queue_response(r->conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    r->answered = 1;
    log_request(r, status);
    return ok;
}

/* ---- bodies ------------------------------------------------------------------------------- */

static void body_fail(desk_req *r, int status, const char *msg)
{
    if (r->fail_status) return;
    r->fail_status = status;
    snprintf(r->fail_msg, sizeof r->fail_msg, "%s", msg);
}

static int on_part_begin(void *u, const char *name, const char *filename, const char *ctype)
{
    desk_req *r = u;
    r->in_part = 1;
    r->cur_file = NULL;
    snprintf(r->cur_field, sizeof r->cur_field, "%s", name);
    r->cur_value.len = 0;
    if (!filename) return 0;
    /* A staff form's token comes first in the form: no file is written for a request that
     * has not shown it. */
    if (r->route->auth == DESK_STAFF && !desk_auth_csrf_ok(r)) {
        body_fail(r, 403, "this form has expired or did not come from the desk (reload the page and try again)");
        return 1;
    }
    if (r->nfiles == DESK_MAX_FILES) {
        body_fail(r, 400, "too many files in one upload (send one file at a time)");
        return 1;
    }
    desk_file_part *f = &r->files[r->nfiles];
    memset(f, 0, sizeof *f);
    f->fd = -1;
    pthread_mutex_lock(&r->d->seq_mu);
    unsigned long n = ++r->d->upload_seq;
    pthread_mutex_unlock(&r->d->seq_mu);
    f->tmp_path = cw_asprintf("%s/desk/uploads/up-%ld-%lu.part", r->d->station_dir, (long)getpid(), n);
    if (f->tmp_path) f->fd = open(f->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (f->fd < 0) {
        free(f->tmp_path);
        body_fail(r, 503, "the desk cannot store the upload (the station's disk may be full or read-only)");
        return 1;
    }
    r->nfiles++;
    snprintf(f->field, sizeof f->field, "%s", name);
    snprintf(f->filename, sizeof f->filename, "%s", filename);
    snprintf(f->ctype, sizeof f->ctype, "%s", ctype);
    r->cur_file = f;
    return 0;
}

static int on_part_data(void *u, const char *data, size_t n)
{
    desk_req *r = u;
    if (r->cur_file) {
        desk_file_part *f = r->cur_file;
        if (f->size + (int64_t)n > r->d->max_upload) {
            char m[200];
            snprintf(m, sizeof m, "the file is larger than this station accepts (%lld MB at most)",
                     (long long)(r->d->max_upload >> 20));
            body_fail(r, 413, m);
            return 1;
        }
        while (n) {
            ssize_t w = write(f->fd, data, n);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
                body_fail(r, 507, "the station's disk is full: the upload could not be stored (tell the station)");
                return 1;
            }
            data += w;
            n -= (size_t)w;
            f->size += w;
        }
        return 0;
    }
    if (r->cur_value.len + n > 64 * 1024) {
        body_fail(r, 413, "a form field is too long");
        return 1;
    }
    cw_buf_append(&r->cur_value, data, n);
    return r->cur_value.oom ? (body_fail(r, 503, "out of memory"), 1) : 0;
}

static int on_part_end(void *u)
{
    desk_req *r = u;
    r->in_part = 0;
    if (r->cur_file) {
        r->cur_file = NULL;
        return 0;
    }
    if (r->form.n >= DESK_MAX_PARAMS) {
        body_fail(r, 400, "too many form fields");
        return 1;
    }
    /* multipart values are not percent-encoded: take the bytes, but only as UTF-8 text */
    const char *raw = r->cur_value.data ? r->cur_value.data : "";
    if (!cw_utf8_valid(raw, r->cur_value.len) || memchr(raw, 0, r->cur_value.len)) {
        body_fail(r, 400, "a form field is not text");
        return 1;
    }
    desk_param *nv = realloc(r->form.v, (r->form.n + 1) * sizeof *nv);
    if (!nv) {
        body_fail(r, 503, "out of memory");
        return 1;
    }
    r->form.v = nv;
    nv[r->form.n].key = cw_strdup(r->cur_field);
    nv[r->form.n].val = cw_strndup(raw, r->cur_value.len);
    if (!nv[r->form.n].key || !nv[r->form.n].val) {
        free(nv[r->form.n].key);
        free(nv[r->form.n].val);
        body_fail(r, 503, "out of memory");
        return 1;
    }
    r->form.n++;
    return 0;
}

static const desk_mp_cb mp_callbacks = {on_part_begin, on_part_data, on_part_end};

/* First look at a request with a body: refuse what cannot be right before reading it. */
static void body_begin(desk_req *r)
{
    const char *ct = desk_header(r, "Content-Type");
    long long declared = r->declared;
    if (r->route->flags & DESK_F_UPLOAD) {
        r->body_limit = r->d->max_upload + 1024 * 1024; /* the file plus the form's fields */
        if (!ct || desk_mp_new(&r->mp, ct, &mp_callbacks, r) != 0)
            body_fail(r, 415, "send the file as multipart/form-data (a form with a file field)");
    } else {
        r->body_limit = DESK_MAX_FORM;
    }
    if (declared > r->body_limit) {
        char m[200];
        snprintf(m, sizeof m, "the upload is larger than this station accepts (%lld MB at most)",
                 (long long)(r->d->max_upload >> 20));
        body_fail(r, 413, (r->route->flags & DESK_F_UPLOAD) ? m : "the request body is too large");
    }
}

static void body_feed(desk_req *r, const char *data, size_t n)
{
    r->body_bytes += (int64_t)n;
    if (r->fail_status) return; /* dropped */
    if (r->body_bytes > r->body_limit) {
        body_fail(r, 413, r->mp ? "the upload is larger than this station accepts" : "the request body is too large");
        return;
    }
    if (r->mp) {
        if (desk_mp_feed(r->mp, data, n) < 0 && !r->fail_status) body_fail(r, 400, desk_mp_error(r->mp));
        return;
    }
    cw_buf_append(&r->body, data, n);
    if (r->body.oom) body_fail(r, 503, "out of memory");
}

/* The body is complete: parse what is left to parse. */
static void body_end(desk_req *r)
{
    if (r->fail_status) return;
    if (r->mp) {
        if (desk_mp_finish(r->mp) != 0) body_fail(r, 400, desk_mp_error(r->mp));
        return;
    }
    if (!(r->route->flags & DESK_F_FORM) || r->body.len == 0) return;
    const char *ct = desk_header(r, "Content-Type");
    if (ct && !strncasecmp(ct, "application/json", 16)) {
        json_error_t je;
        r->json = json_loadb(r->body.data, r->body.len, JSON_REJECT_DUPLICATES, &je);
        if (!r->json || !json_is_object(r->json)) {
            json_decref(r->json);
            r->json = NULL;
            body_fail(r, 400, "the body is not a JSON object");
        }
        return;
    }
    if (ct && strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
        body_fail(r, 415, "send the form as application/x-www-form-urlencoded or JSON");
        return;
    }
    if (desk_params_parse(&r->form, r->body.data, r->body.len) != 0) body_fail(r, 400, "the form could not be read");
}

/* ---- dispatch ----------------------------------------------------------------------------- */

static int wants_json(desk_req *r)
{
    if (r->route && (r->route->flags & DESK_F_API)) return 1;
    const char *acc = desk_header(r, "Accept");
    return acc && strstr(acc, "application/json") && !strstr(acc, "text/html");
}

/* Route, identity and early refusals, from the request line and headers alone. Returns 1
 * when the answer is decided (r->status set). */
static int decide_early(desk_req *r, const char *method)
{
    snprintf(r->method, sizeof r->method, "%.7s", method);
    const char *cl = desk_header(r, "Content-Length");
    r->declared = desk_header(r, "Transfer-Encoding") ? -1 : 0;
    if (cl) {
        char *end;
        errno = 0;
        long long v = strtoll(cl, &end, 10);
        r->declared = (errno || *end || v < 0) ? -1 : v;
    }
    client_address(r);
    if (!r->target || desk_path_parse(&r->path, r->target) != 0) {
        r->api = r->target && !strncmp(r->target, "/api/", 5);
        desk_reply_error(r, 400, "this address is not valid");
        return 1;
    }
    int method_ok = 0;
    const char *m = !strcmp(method, "HEAD") ? "GET" : method;
    r->route = desk_route_match(m, &r->path, r->args, &r->nargs, &r->rest, &method_ok);
    r->api = r->path.n > 0 && !strcmp(r->path.seg[0], "api");
    if (!r->route) {
        if (method_ok) {
            desk_add_header(r, "Allow", "GET, HEAD, POST");
            desk_reply_error(r, 405, "this address does not take that method");
        } else {
            desk_reply_error(r, 404, "there is nothing at this address");
        }
        return 1;
    }
    r->api = wants_json(r);
    desk_auth_staff(r); /* a logged-in user is shown as such on every page */
    if (r->route->auth == DESK_STAFF) {
        if (!r->staff) {
            if (r->api) {
                desk_reply_error(r, 401, "log in first (POST /api/login)");
            } else if (!strcmp(method, "GET") || !strcmp(method, "HEAD")) {
                cw_buf loc;
                cw_buf_init(&loc);
                desk_html(&loc, "/login?next=%Q", r->target);
                desk_reply_redirect(r, loc.data ? loc.data : "/login");
                cw_buf_free(&loc);
            } else {
                desk_reply_error(r, 401, "your login has ended: log in again");
            }
            return 1;
        }
        /* the token may also come in the body (a form field): checked when it has arrived */
        if (strcmp(method, "POST") == 0 && !(r->route->flags & (DESK_F_FORM | DESK_F_UPLOAD)) &&
            !desk_auth_csrf_ok(r)) {
            desk_reply_error(r, 403, "this form has expired or did not come from the desk (reload the page and try again)");
            return 1;
        }
    }
    if (r->route->auth == DESK_TEACHER) {
        int wait = desk_limiter_blocked(r->d->limiter, "token", r->client);
        if (wait > 0) {
            char s[32];
            snprintf(s, sizeof s, "%d", wait);
            desk_add_header(r, "Retry-After", s);
            desk_reply_error(r, 429, "too many wrong links from this address: wait a few minutes and try again");
            return 1;
        }
        if (!desk_auth_teacher(r, r->args[0])) {
            desk_limiter_fail(r->d->limiter, "token", r->client);
            desk_reply_error(r, 404, "this link does not work (it may have been replaced: ask the station for your new link)");
            return 1;
        }
    }
    if (!strcmp(method, "POST")) {
        /* a token in the header must be right; without one it must come in the body, which
         * a body of the wrong kind cannot carry */
        if (r->route->auth == DESK_STAFF && desk_header(r, "X-Chalkwave-CSRF") && !desk_auth_csrf_ok(r))
            body_fail(r, 403, "this form has expired or did not come from the desk (reload the page and try again)");
        body_begin(r);
        if (r->fail_status == 415 && r->route->auth == DESK_STAFF && !desk_auth_csrf_ok(r)) {
            r->fail_status = 0;
            body_fail(r, 403, "this form has expired or did not come from the desk (reload the page and try again)");
        }
    }
    if (r->fail_status) {
        desk_reply_error(r, r->fail_status, r->fail_msg);
        return 1;
    }
    return 0;
}

static void run_handler(desk_req *r)
{
    body_end(r);
    if (!r->fail_status && r->route->auth == DESK_STAFF && !strcmp(r->method, "POST") && !desk_auth_csrf_ok(r))
        body_fail(r, 403, "this form has expired or did not come from the desk (reload the page and try again)");
    if (r->fail_status) {
        desk_reply_error(r, r->fail_status, r->fail_msg);
        return;
    }
    r->route->fn(r);
}

enum MHD_Result desk_on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    desk_req *r = *con_cls;
    if (!r) return MHD_NO;
    if (!r->started) {
        r->started = 1;
        if (strcmp(method, "GET") && strcmp(method, "HEAD") && strcmp(method, "POST")) {
            snprintf(r->method, sizeof r->method, "%.7s", method);
            client_address(r);
            desk_add_header(r, "Allow", "GET, HEAD, POST");
            desk_reply_error(r, 405, "this address does not take that method");
            return send_response(r);
        }
        if (decide_early(r, method)) {
            /* decided from the headers: a small body (a form) is read and dropped first, so
             * the client surely sees the answer and the connection stays usable; a large or
             * unknown one is answered at once (MHD then closes the connection; a client
             * that sent Expect: 100-continue never sends the body) */
            if (r->declared != 0 && (r->declared < 0 || r->declared > DESK_DRAIN_MAX)) return send_response(r);
            r->early = 1;
        }
        return MHD_YES;
    }
    if (r->early) {
        if (*upload_data_size) {
            r->body_bytes += (int64_t)*upload_data_size;
            *upload_data_size = 0;
            if (r->body_bytes <= DESK_DRAIN_MAX) return MHD_YES;
            desk_add_header(r, "Connection", "close");
        }
        return send_response(r);
    }
    if (r->answered) {
        *upload_data_size = 0; /* an answer is on its way: the rest of the body is dropped */
        return MHD_YES;
    }
    if (*upload_data_size) {
        body_feed(r, upload_data, *upload_data_size);
        *upload_data_size = 0;
        /* too large, or nowhere to put it: answer now and close, the rest is not wanted;
         * any other refusal is answered when the body has been read (dropped), unless more
         * than DESK_DRAIN_MAX of it is still to come */
        int64_t left = r->declared >= 0 ? r->declared - r->body_bytes : -1;
        if (r->fail_status == 413 || r->fail_status == 507 ||
            (r->fail_status && (left < 0 || left > DESK_DRAIN_MAX))) {
            /* libmicrohttpd takes no answer in the middle of a body: the connection is
             * closed (the client sees it cut; a declared size over the limit was answered
             * with 413 before any of the body was sent) */
            r->answered = 1;
            log_request(r, r->fail_status);
            return MHD_NO;
        }
        return MHD_YES;
    }
    if (r->suspended) { /* resumed: the job ended */
        r->suspended = 0;
        if (r->after_wait) r->after_wait(r);
        return send_response(r);
    }
    run_handler(r);
    if (r->wait && !r->answered) {
        if (desk_job_wait(r, r->wait) == 0) return MHD_YES; /* answered when the job ends */
        if (r->after_wait) r->after_wait(r);
    }
    remove_files(r); /* a handler that keeps a file has moved it away */
    return send_response(r);
}

void desk_on_completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    desk_req *r = *con_cls;
    if (r && r->started && !r->answered) {
        /* the client went away (or the server stops) before an answer: log it */
        if (r->d->log) log_request(r, 499);
    }
    req_free(r);
    *con_cls = NULL;
}

