/* pages_days.c — days and their bundles: the next two weeks and every bundle in out/, a
 * day's plan and files, building and verifying a day as jobs, downloading one file (Range
 * honoured) or the whole bundle as one .tar streamed as it is sent.
 * Guarantees: only files inside STATION/out/DATE are served (a path from the address is
 * checked lexically and resolved with realpath); the .tar is POSIX ustar with a
 * Content-Length known before the first byte, built from files opened before it starts, so
 * a rebuild during a download never mixes two bundles in one archive. */
#include "calendars.h"
#include "desk_int.h"
#include "playlists.h"
#include "session.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TAR_MAX_FILES 4000

static int date_arg(desk_req *r, cw_date *d, char iso[11])
{
    if (cw_date_parse(r->args[0], d) != 0 || d->year < 1971 || d->year > 2999) {
        desk_reply_error(r, 404, "there is no such day (write it YYYY-MM-DD)");
        return -1;
    }
    cw_date_format(*d, iso);
    return 0;
}

static char *bundle_dir(cw_desk *d, const char *iso)
{
    return cw_asprintf("%s/out/%s", d->station_dir, iso);
}

static int bundle_built(cw_desk *d, const char *iso)
{
    char *p = cw_asprintf("%s/out/%s/SHA256SUMS", d->station_dir, iso);
    int ok = p && cw_path_exists(p);
    free(p);
    return ok;
}

/* ---- the list of days ------------------------------------------------------------------------ */

static int str_desc(const void *a, const void *b)
{
    return strcmp(*(char *const *)b, *(char *const *)a);
}

void desk_h_days(desk_req *r)
{
    cw_error err = {0};
    desk_view *v = r->d->view;
    if (desk_view_lock(v, &err)) {
        desk_reply_error(r, 503, err.text);
        return;
    }
    cw_date today = desk_today(desk_view_station(v));
    desk_view_unlock(v);
    cw_strlist days = {0};
    for (int i = 0; i < 14; i++) {
        char iso[11];
        cw_date_format(cw_date_add_days(today, i), iso);
        cw_strlist_push(&days, iso);
    }
    char *out = cw_path_join(r->d->station_dir, "out");
    DIR *dd = out ? opendir(out) : NULL;
    struct dirent *e;
    while (dd && (e = readdir(dd))) {
        cw_date x;
        if (strlen(e->d_name) != 10 || cw_date_parse(e->d_name, &x) != 0) continue;
        int dup = 0;
        for (size_t i = 0; i < days.n && !dup; i++) dup = !strcmp(days.v[i], e->d_name);
        if (!dup) cw_strlist_push(&days, e->d_name);
    }
    if (dd) closedir(dd);
    free(out);
    qsort(days.v, days.n, sizeof *days.v, str_desc);
    desk_page_begin(r, "Days", NAV_DAYS);
    cw_buf *b = &r->out;
    desk_html(b, "<h1>Days</h1>\n<p>Build a day to get its bundle: the whole day as one <code>day.ogg</code>, each item, "
                 "playlists for playout software, a printable guide and checksums.</p>\n"
                 "<table class=\"list\"><thead><tr><th scope=\"col\">Day</th><th scope=\"col\">Bundle</th></tr></thead><tbody>\n");
    for (size_t i = 0; i < days.n; i++) {
        cw_date x;
        char name[48];
        cw_date_parse(days.v[i], &x);
        desk_fmt_day(x, name);
        int built = bundle_built(r->d, days.v[i]);
        desk_html(b, "<tr><td><a href=\"/staff/days/%U\">%s</a></td><td>%s</td></tr>\n", days.v[i], name,
                  built ? "built" : "not built");
    }
    desk_html(b, "</tbody></table>\n");
    cw_strlist_free(&days);
    desk_page_end(r);
    desk_reply_html(r, 200);
}

/* ---- one day ------------------------------------------------------------------------------------ */

static const char *ctype_of(const char *name)
{
    static const struct {
        const char *ext, *type;
    } types[] = {{".ogg", "audio/ogg"},
                 {".html", "text/html; charset=utf-8"},
                 {".txt", "text/plain; charset=utf-8"},
                 {".json", "application/json"},
                 {".ics", "text/calendar; charset=utf-8"},
                 {".xspf", "application/xspf+xml"},
                 {".m3u8", "audio/x-mpegurl"},
                 {".m3u", "audio/x-mpegurl"},
                 {".pls", "audio/x-scpls"},
                 {".cue", "text/plain; charset=utf-8"},
                 {".csv", "text/csv; charset=utf-8"},
                 {".liq", "text/plain; charset=utf-8"}};
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
        if (!strcmp(dot, types[i].ext)) return types[i].type;
    return "text/plain; charset=utf-8";
}

void desk_h_day(desk_req *r)
{
    cw_date day;
    char iso[11];
    if (date_arg(r, &day, iso)) return;
    cw_error err = {0};
    desk_view *v = r->d->view;
    if (desk_view_lock(v, &err)) {
        desk_reply_error(r, 503, err.text);
        return;
    }
    char name[48];
    desk_fmt_day(day, name);
    desk_page_begin(r, name, NAV_DAYS);
    cw_buf *b = &r->out;
    desk_html(b, "<h1>%s</h1>\n", name);
    int built = bundle_built(r->d, iso);
    desk_html(b, "<div class=\"actions\"><form method=\"post\" action=\"/staff/days/%U/build\" class=\"inline\">", iso);
    desk_csrf_field(r);
    desk_html(b, "<button type=\"submit\">%s</button></form>\n", built ? "Build again" : "Build this day");
    if (built) {
        desk_html(b, "<form method=\"post\" action=\"/staff/days/%U/verify\" class=\"inline\">", iso);
        desk_csrf_field(r);
        desk_html(b, "<button type=\"submit\">Verify the bundle</button></form>\n"
                     "<a class=\"button\" href=\"/staff/days/%U/bundle.tar\" download>Download the bundle (.tar)</a>\n",
                  iso);
    }
    desk_html(b, "</div>\n");
    if (built) {
        desk_html(b, "<h2>The bundle</h2>\n<audio controls preload=\"none\" src=\"/staff/days/%U/files/day.ogg\"></audio>\n"
                     "<ul class=\"files\">\n",
                  iso);
        char *dir = bundle_dir(r->d, iso);
        DIR *dd = dir ? opendir(dir) : NULL;
        struct dirent *e;
        cw_strlist names = {0};
        while (dd && (e = readdir(dd)))
            if (e->d_name[0] != '.' && e->d_type == DT_REG) cw_strlist_push(&names, e->d_name);
        if (dd) closedir(dd);
        free(dir);
        cw_strlist_sort(&names);
        for (size_t i = 0; i < names.n; i++)
            desk_html(b, "<li><a href=\"/staff/days/%U/files/%U?download=1\" download>%s</a></li>\n", iso, names.v[i],
                      names.v[i]);
        cw_strlist_free(&names);
        desk_html(b, "</ul>\n");
    }
    const cw_plan *p;
    if (desk_view_plan(v, day, &p, &err)) desk_html(b, "<p class=\"problem\" role=\"alert\">%s</p>\n", err.text);
    else desk_plan_section(b, p, 0);
    desk_view_unlock(v);
    desk_page_end(r);
    desk_reply_html(r, 200);
}

void desk_h_day_file(desk_req *r)
{
    cw_date day;
    char iso[11];
    if (date_arg(r, &day, iso)) return;
    char *dir = bundle_dir(r->d, iso);
    if (!dir || !r->rest || !cw_path_is_safe_relative(r->rest) || !cw_path_resolves_inside(dir, r->rest)) {
        free(dir);
        desk_reply_error(r, 404, "there is no such file in this day's bundle");
        return;
    }
    char *abs = cw_path_join(dir, r->rest);
    const char *dl = desk_query(r, "download");
    if (abs) desk_reply_file(r, abs, ctype_of(r->rest), dl && !strcmp(dl, "1") ? cw_path_base(r->rest) : NULL);
    else desk_reply_error(r, 500, "out of memory");
    free(abs);
    free(dir);
}

/* ---- build and verify (jobs) ------------------------------------------------------------------- */

typedef struct day_job {
    cw_desk *d;
    cw_date day;
} day_job;

static void run_build(desk_job *j, void *arg)
{
    day_job *a = arg;
    cw_desk *d = a->d;
    cw_error err = {0};
    cw_plan *plan = NULL;
    cw_bundle_report rep;
    memset(&rep, 0, sizeof rep);
    char iso[11];
    cw_date_format(a->day, iso);
    desk_job_progress(j, 0.05);
    /* one session call (shared lock; the bundle is swapped in atomically) */
    int rc = cw_session_build(desk_view_session(d->view), a->day, NULL, &rep, &plan, &err);
    char msg[1024];
    json_t *res = NULL;
    if (rc == 0) {
        char len[32];
        desk_fmt_length(plan && plan->rate > 0 ? (double)rep.day_samples / plan->rate : 0, len);
        snprintf(msg, sizeof msg, "Built %s: %zu item%s, %s on air, %zu re-encoded. It is ready to download.", iso,
                 rep.items, rep.items == 1 ? "" : "s", len, rep.reencoded);
        res = json_pack("{s:b, s:s, s:I, s:I, s:I}", "built", 1, "date", iso, "items", (json_int_t)rep.items,
                        "reencoded", (json_int_t)rep.reencoded, "samples", (json_int_t)rep.day_samples);
    } else {
        snprintf(msg, sizeof msg, "The day could not be built: %.900s", err.text[0] ? err.text : cw_strerror(rc));
        res = json_pack("{s:b, s:s, s:s}", "built", 0, "date", iso, "error", msg);
    }
    cw_bundle_report_free(&rep);
    cw_plan_free(plan);
    desk_job_finish(j, rc == 0 ? JOB_DONE : JOB_FAILED, msg, res);
}

static void run_verify(desk_job *j, void *arg)
{
    day_job *a = arg;
    char iso[11];
    cw_date_format(a->day, iso);
    char *dir = bundle_dir(a->d, iso);
    cw_strlist bad = {0};
    cw_error err = {0};
    int rc = dir ? cw_bundle_verify(dir, &bad, &err) : CW_ENOMEM;
    cw_buf m;
    cw_buf_init(&m);
    if (rc == 0) {
        cw_buf_printf(&m, "The bundle of %s is intact: every file matches its checksum and every Ogg file reads.", iso);
    } else {
        cw_buf_printf(&m, "The bundle of %s has problems (build it again):", iso);
        for (size_t i = 0; i < bad.n && i < 10; i++) cw_buf_printf(&m, " %s;", bad.v[i]);
        if (!bad.n) cw_buf_printf(&m, " %s", err.text);
    }
    json_t *list = json_array();
    for (size_t i = 0; i < bad.n && list; i++) json_array_append_new(list, json_string(bad.v[i]));
    desk_job_finish(j, rc == 0 ? JOB_DONE : JOB_FAILED, m.data ? m.data : "",
                    json_pack("{s:b, s:s, s:o}", "intact", rc == 0, "date", iso, "problems", list));
    cw_buf_free(&m);
    cw_strlist_free(&bad);
    free(dir);
}

static void start_day_job(desk_req *r, const char *kind, desk_job_fn fn)
{
    cw_date day;
    char iso[11];
    if (date_arg(r, &day, iso)) return;
    day_job *a = calloc(1, sizeof *a);
    if (!a) {
        desk_reply_error(r, 503, "out of memory");
        return;
    }
    a->d = r->d;
    a->day = day;
    char title[64], owner[96];
    snprintf(title, sizeof title, "%s %s", !strcmp(kind, "build") ? "Building" : "Verifying", iso);
    snprintf(owner, sizeof owner, "staff %s", r->sess.user);
    desk_job *j = desk_job_submit(r->d, kind, owner, title, fn, a, free);
    if (!j) {
        desk_reply_error(r, 503, "the desk is stopping: try again in a moment");
        return;
    }
    if (r->api) {
        cw_buf u;
        cw_buf_init(&u);
        desk_html(&u, "/api/jobs/%U", j->id);
        desk_add_header(r, "Location", u.data ? u.data : "/");
        desk_reply_json(r, 202, json_pack("{s:s, s:s}", "job", j->id, "url", u.data ? u.data : ""));
        cw_buf_free(&u);
    } else {
        cw_buf u;
        cw_buf_init(&u);
        desk_html(&u, "/staff/jobs/%U", j->id);
        desk_reply_redirect(r, u.data ? u.data : "/staff/days");
        cw_buf_free(&u);
    }
    desk_job_put(j);
}

void desk_h_day_build(desk_req *r)
{
    start_day_job(r, "build", run_build);
}

void desk_h_api_build(desk_req *r)
{
    start_day_job(r, "build", run_build);
}

void desk_h_day_verify(desk_req *r)
{
    start_day_job(r, "verify", run_verify);
}

/* ---- the bundle as one .tar ---------------------------------------------------------------------- */

typedef struct tar_file {
    char *name; /* "DATE/items/003-0900-x.ogg" */
    int fd;
    int64_t size, mtime;
} tar_file;

typedef struct tar_stream {
    tar_file *v;
    size_t n, cap;
    size_t idx;      /* current file */
    int64_t in_file; /* bytes of the current entry (header + data + padding) already sent */
    uint64_t pos;    /* bytes sent */
    int64_t total;
} tar_stream;

static void tar_free(void *cls)
{
    tar_stream *t = cls;
    for (size_t i = 0; i < t->n; i++) {
        free(t->v[i].name);
        if (t->v[i].fd >= 0) close(t->v[i].fd);
    }
    free(t->v);
    free(t);
}

static int64_t padded(int64_t n)
{
    return (n + 511) / 512 * 512;
}

/* Collect regular files under abs (relative names prefixed with `rel`). */
static int tar_collect(tar_stream *t, const char *abs, const char *rel)
{
    DIR *dd = opendir(abs);
    if (!dd) return -1;
    cw_strlist names = {0};
    struct dirent *e;
    while ((e = readdir(dd)))
        if (e->d_name[0] != '.') cw_strlist_push(&names, e->d_name);
    closedir(dd);
    cw_strlist_sort(&names);
    int rc = 0;
    for (size_t i = 0; i < names.n && rc == 0; i++) {
        char *pa = cw_path_join(abs, names.v[i]), *pr = cw_path_join(rel, names.v[i]);
        struct stat st;
        if (!pa || !pr || lstat(pa, &st) != 0) rc = -1;
        else if (S_ISDIR(st.st_mode)) rc = tar_collect(t, pa, pr);
        else if (S_ISREG(st.st_mode)) {
            if (t->n == TAR_MAX_FILES || strlen(pr) > 250 || st.st_size >= 077777777777LL) rc = -1;
            else {
                if (t->n == t->cap) {
                    size_t cap = t->cap ? t->cap * 2 : 64;
                    tar_file *nv = realloc(t->v, cap * sizeof *nv);
                    if (!nv) rc = -1;
                    else {
                        t->v = nv;
                        t->cap = cap;
                    }
                }
                if (rc == 0) {
                    int fd = open(pa, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
                    if (fd < 0) rc = -1;
                    else {
                        t->v[t->n] = (tar_file){pr, fd, st.st_size, st.st_mtim.tv_sec};
                        pr = NULL;
                        t->total += 512 + padded(st.st_size);
                        t->n++;
                    }
                }
            }
        }
        free(pa);
        free(pr);
    }
    cw_strlist_free(&names);
    return rc;
}

/* width-1 octal digits and a NUL (ustar numeric fields). */
static void octal(char *dst, size_t width, uint64_t v)
{
    dst[width - 1] = 0;
    for (size_t i = width - 1; i-- > 0;) {
        dst[i] = (char)('0' + (v & 7));
        v >>= 3;
    }
}

static void tar_header(const tar_file *f, char h[512])
{
    memset(h, 0, 512);
    const char *name = f->name;
    size_t n = strlen(name);
    if (n > 100) { /* split into prefix / name at a '/' */
        const char *cut = name + n - 100;
        while (*cut && *cut != '/') cut++;
        memcpy(h + 345, name, (size_t)(cut - name));
        name = cut + 1;
    }
    memcpy(h, name, strlen(name) < 100 ? strlen(name) : 100);
    octal(h + 100, 8, 0644);
    octal(h + 108, 8, 0);
    octal(h + 116, 8, 0);
    octal(h + 124, 12, (uint64_t)f->size);
    octal(h + 136, 12, (uint64_t)(f->mtime > 0 && f->mtime < 077777777777LL ? f->mtime : 0));
    h[156] = '0';
    memcpy(h + 257, "ustar", 6);
    memcpy(h + 263, "00", 2);
    memcpy(h + 265, "chalkwave", 9);
    memcpy(h + 297, "chalkwave", 9);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (int i = 0; i < 512; i++) sum += (unsigned char)h[i];
    octal(h + 148, 7, sum);
    h[155] = ' ';
}

static ssize_t tar_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    tar_stream *t = cls;
    if (pos != t->pos) return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t done = 0;
    while (done < max) {
        if (t->idx == t->n) { /* two zero blocks end the archive */
            int64_t left = t->total - (int64_t)(t->pos + done);
            if (left <= 0) break;
            size_t k = (size_t)(left < (int64_t)(max - done) ? left : (int64_t)(max - done));
            memset(buf + done, 0, k);
            done += k;
            continue;
        }
        tar_file *f = &t->v[t->idx];
        int64_t entry = 512 + padded(f->size);
        if (t->in_file < 512) {
            char h[512];
            tar_header(f, h);
            size_t k = (size_t)(512 - t->in_file);
            if (k > max - done) k = max - done;
            memcpy(buf + done, h + t->in_file, k);
            done += k;
            t->in_file += (int64_t)k;
        } else if (t->in_file < 512 + f->size) {
            int64_t off = t->in_file - 512;
            size_t want = (size_t)(f->size - off < (int64_t)(max - done) ? f->size - off : (int64_t)(max - done));
            ssize_t got = pread(f->fd, buf + done, want, off);
            if (got <= 0) return MHD_CONTENT_READER_END_WITH_ERROR; /* the file shrank: never send a bad archive */
            done += (size_t)got;
            t->in_file += got;
        } else {
            size_t k = (size_t)(entry - t->in_file);
            if (k > max - done) k = max - done;
            memset(buf + done, 0, k);
            done += k;
            t->in_file += (int64_t)k;
        }
        if (t->in_file == entry) {
            close(f->fd);
            f->fd = -1;
            t->idx++;
            t->in_file = 0;
        }
    }
    t->pos += done;
    return done ? (ssize_t)done : MHD_CONTENT_READER_END_OF_STREAM;
}

void desk_h_day_tar(desk_req *r)
{
    cw_date day;
    char iso[11];
    if (date_arg(r, &day, iso)) return;
    if (!bundle_built(r->d, iso)) {
        desk_reply_error(r, 404, "this day has no bundle yet: build it first");
        return;
    }
    char *dir = bundle_dir(r->d, iso);
    tar_stream *t = calloc(1, sizeof *t);
    int lock = -1;
    cw_error err = {0};
    /* shared lock while the files are opened: a build's swap happens under its own */
    int rc = (!dir || !t) ? -1 : cw_station_lock(r->d->station_dir, 0, 30, &lock, &err);
    if (rc == 0) rc = tar_collect(t, dir, iso);
    cw_station_unlock(lock);
    free(dir);
    if (rc != 0) {
        if (t) tar_free(t);
        desk_reply_error(r, 503, "the bundle could not be read (it may be being rebuilt): try again");
        return;
    }
    t->total += 1024;
    r->custom = MHD_create_response_from_callback((uint64_t)t->total, 64 * 1024, tar_read, t, tar_free);
    if (!r->custom) {
        tar_free(t);
        desk_reply_error(r, 503, "out of memory");
        return;
    }
    r->status = 200;
    r->ctype = "application/x-tar";
    char cd[80];
    snprintf(cd, sizeof cd, "attachment; filename=\"chalkwave-%s.tar\"", iso);
    desk_add_header(r, "Content-Disposition", cd);
}
