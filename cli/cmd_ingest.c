/* cmd_ingest.c — `chalkwave ingest FILE...` and `chalkwave ingest --inbox`: teachers'
 * recordings into the library with -j N workers, progress bars on a terminal, one line per
 * refusal and a summary (or JSON for scripts).
 * Guarantees: each inbox file is processed by exactly one run, even when several
 * `ingest --inbox` run at once (a file is claimed by renaming it into
 * inbox/.processing-PID/, which only one rename can win); an original moves to accepted/ or
 * rejected/ only after its result is committed to the library (or its refusal written);
 * claims left by a killed run go back to the inbox on the next run. */
#include "audio.h"
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const CMD = "ingest";

/* ---- one job per file ---------------------------------------------------------------- */

typedef struct job {
    const char *arg;      /* as given (FILE mode) or inbox name */
    char *path;           /* where it is read from (inbox: the claimed path) */
    char *name;           /* base name, for messages */
    /* metadata (owned strings) */
    char *series, *title, *teacher, *language, *description, *valid_from, *valid_until, *date;
    int episode;
    cw_kind kind;
    cw_strlist notes;     /* sidecar warnings */
    char *meta_error;     /* sidecar/pattern problem: refuse with this */
    /* outcome */
    int state;            /* 0 waiting, 1 running, 2 done, 3 skipped (claimed elsewhere) */
    int code;
    cw_error err;
    cw_ingest_result res;
    int permille;         /* progress, written by the worker */
    int reported;
} job;

/* The command-line metadata: strongest for FILE..., defaults for --inbox. */
typedef struct meta_opts {
    const char *series, *title, *teacher, *language, *description;
    char valid_from[11], valid_until[11], date[11];
    int episode;
    cw_kind kind;
} meta_opts;

typedef struct ctx {
    cw_cli *cli;
    meta_opts mo;
    const cw_station *st;
    job *jobs;
    size_t n;
    size_t next;          /* next job index to take */
    int replace, inbox;
    char *inbox_dir, *claim_dir;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t done;
} ctx;

static void job_clear(job *j)
{
    free(j->path);
    free(j->name);
    free(j->series);
    free(j->title);
    free(j->teacher);
    free(j->language);
    free(j->description);
    free(j->valid_from);
    free(j->valid_until);
    free(j->date);
    free(j->meta_error);
    cw_strlist_free(&j->notes);
    cw_ingest_result_free(&j->res);
}

/* Fill a field only when nothing stronger set it. */
static void fill_str(char **dst, const char *v)
{
    if (!*dst && v && v[0])
        *dst = cw_strdup(v);
}

/* ---- metadata: sidecar NAME.txt, then the file name pattern ------------------------- */

static int parse_episode(const char *v, int *out)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (end == v || *end || n < 1 || n > 999)
        return -1;
    *out = (int)n;
    return 0;
}

/* Path of the sidecar for `path` ("lesson.wav" -> "lesson.txt", else "lesson.wav.txt"). */
static char *sidecar_path(const char *path)
{
    const char *base = cw_path_base(path);
    const char *dot = strrchr(base, '.');
    char *a = dot && dot != base ? cw_asprintf("%.*s.txt", (int)(dot - path), path) : NULL;
    if (a && cw_path_exists(a))
        return a;
    free(a);
    a = cw_asprintf("%s.txt", path);
    if (a && cw_path_exists(a))
        return a;
    free(a);
    return NULL;
}

/* Read the note `sc` (cw_sidecar_parse) into the unset fields of j; its warnings become
 * j->notes ("lesson.txt line 3: ..."), a value that cannot be used becomes j->meta_error. */
static int read_sidecar(job *j, const char *sc)
{
    char *text = NULL;
    size_t len = 0;
    cw_error err = {0};
    const char *base = cw_path_base(sc);
    int rc = cw_read_file(sc, CW_SIDECAR_MAX_BYTES, &text, &len, &err);
    if (rc == CW_ELIMIT) {
        j->meta_error = cw_asprintf("the note '%s' is too large (the limit is %d KB; keep only the "
                                    "'Key: value' lines)", base, CW_SIDECAR_MAX_BYTES / 1024);
        return -1;
    }
    if (rc) {
        j->meta_error = cw_asprintf("cannot read the note '%s': %s", base, err.text);
        return -1;
    }
    cw_sidecar sm;
    cw_strlist notes = {0};
    rc = cw_sidecar_parse(text, len, &sm, &notes, &err);
    free(text);
    for (size_t i = 0; i < notes.n; i++)
        cw_strlist_pushf(&j->notes, "%s%s%s", base, strncmp(notes.v[i], "line ", 5) ? ": " : " ",
                         notes.v[i]);
    cw_strlist_free(&notes);
    if (rc) {
        j->meta_error = cw_asprintf("%s%s%s", base, err.line ? " " : ": ", err.text);
        return -1;
    }
    fill_str(&j->series, sm.series);
    fill_str(&j->title, sm.title);
    fill_str(&j->teacher, sm.teacher);
    fill_str(&j->language, sm.language);
    fill_str(&j->description, sm.description);
    fill_str(&j->date, sm.date);
    fill_str(&j->valid_from, sm.valid_from);
    fill_str(&j->valid_until, sm.valid_until);
    if (!j->episode)
        j->episode = sm.episode;
    if (j->kind == CW_KIND_NONE)
        j->kind = sm.kind;
    cw_sidecar_clear(&sm);
    return 0;
}

/* Titles taken from a file name are ours to shorten (a title the user typed is refused
 * when too long): cut at a UTF-8 character boundary. Returns 1 when it cut. */
static int shorten_title(char *s, size_t max)
{
    size_t n = strlen(s);
    if (n <= max)
        return 0;
    size_t cut = max;
    for (int k = 0; k < 3 && cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80; k++)
        cut--;
    if (((unsigned char)s[cut] & 0xC0) == 0x80)
        cut = max; /* not UTF-8 there: the title check reports it */
    while (cut > 0 && s[cut - 1] == ' ')
        cut--;
    s[cut] = 0;
    return 1;
}

/* SERIES_EPISODE[_TITLE].ext, e.g. maths-5_003_fractions.wav. */
static void parse_name(job *j, const char *name)
{
    const char *dot = strrchr(name, '.');
    size_t n = dot && dot != name ? (size_t)(dot - name) : strlen(name);
    char stem[512];
    if (n >= sizeof stem)
        return;
    memcpy(stem, name, n);
    stem[n] = 0;
    char *u1 = strchr(stem, '_');
    if (!u1 || u1 == stem)
        return;
    char *u2 = strchr(u1 + 1, '_');
    char ep[8];
    size_t el = u2 ? (size_t)(u2 - u1 - 1) : strlen(u1 + 1);
    if (el == 0 || el >= sizeof ep)
        return;
    memcpy(ep, u1 + 1, el);
    ep[el] = 0;
    int e;
    if (parse_episode(ep, &e))
        return;
    *u1 = 0;
    for (char *q = stem; *q; q++)
        if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
              *q == '-' || *q == '.'))
            return;
    fill_str(&j->series, stem);
    if (!j->episode)
        j->episode = e;
    if (u2 && u2[1] && !j->title) {
        for (char *q = u2 + 1; *q; q++)
            if (*q == '_')
                *q = ' ';
        if (shorten_title(u2 + 1, CW_TITLE_MAX_BYTES))
            cw_strlist_pushf(&j->notes, "the title from the file name is longer than %d bytes; "
                             "shortened to '%s' (give --title or a note to choose another)",
                             CW_TITLE_MAX_BYTES, u2 + 1);
        fill_str(&j->title, u2 + 1);
    }
}

/* Fill unset fields of j from the options; the i-th of several files gets episode N+i. */
static void apply_options(job *j, const meta_opts *o, int i)
{
    fill_str(&j->series, o->series);
    if (!j->episode && o->episode)
        j->episode = o->episode + i;
    fill_str(&j->title, o->title);
    fill_str(&j->teacher, o->teacher);
    fill_str(&j->language, o->language);
    fill_str(&j->description, o->description);
    fill_str(&j->valid_from, o->valid_from);
    fill_str(&j->valid_until, o->valid_until);
    fill_str(&j->date, o->date);
    if (j->kind == CW_KIND_NONE)
        j->kind = o->kind;
}

/* ---- the worker ------------------------------------------------------------------------ */

static void on_progress(void *user, double f)
{
    job *j = user;
    __atomic_store_n(&j->permille, (int)(f * 1000), __ATOMIC_RELAXED);
}

/* A free name in dir for `name`: name, then "stem (2).ext", ... */
static char *free_name(const char *dir, const char *name)
{
    for (int i = 1; i < 1000; i++) {
        char *p;
        if (i == 1) {
            p = cw_asprintf("%s/%s", dir, name);
        } else {
            const char *dot = strrchr(name, '.');
            int sl = dot && dot != name ? (int)(dot - name) : (int)strlen(name);
            p = cw_asprintf("%s/%.*s (%d)%s", dir, sl, name, i, dot && dot != name ? dot : "");
        }
        if (!p || !cw_path_exists(p))
            return p;
        free(p);
    }
    return NULL;
}

/* Inbox: move the original (and its sidecar) to accepted/ or rejected/ (+ reason). */
static void settle(ctx *c, job *j)
{
    int accepted = j->code == 0;
    int retry = j->code == CW_EIO || j->code == CW_ENOMEM || j->code == CW_EINTERNAL ||
                j->code == CW_ELOCKED;
    char *orig_sc = NULL;
    {
        char *in = cw_path_join(c->inbox_dir, j->name);
        orig_sc = in ? sidecar_path(in) : NULL;
        free(in);
    }
    const char *sub = retry ? NULL : accepted ? "accepted" : "rejected";
    char *dir = sub ? cw_path_join(c->inbox_dir, sub) : cw_strdup(c->inbox_dir);
    cw_error err = {0};
    if (!dir || cw_mkdir_p(dir, &err)) {
        free(dir);
        free(orig_sc);
        return; /* the file stays claimed; the next run puts it back */
    }
    char *dst = free_name(dir, j->name);
    if (dst && !accepted && !retry) {
        /* the reason first, so a rejected file never sits without one */
        char *rp = cw_asprintf("%s.reason.txt", dst);
        char *txt = cw_asprintf("%s was not added to the library.\n\nWhy: %s\n\nWhat to do: fix "
                                "the recording or its note and put it into the inbox again.\n",
                                j->name, j->err.text[0] ? j->err.text : cw_strerror(j->code));
        if (rp && txt)
            (void)cw_write_file_atomic(rp, txt, strlen(txt), &err);
        free(rp);
        free(txt);
    }
    if (dst && rename(j->path, dst) != 0)
        cw_strlist_pushf(&j->notes, "could not move the original to %s: %s", dir, strerror(errno));
    if (dst && orig_sc) {
        char *sdst = free_name(dir, cw_path_base(orig_sc));
        if (sdst)
            (void)rename(orig_sc, sdst);
        free(sdst);
    }
    free(dst);
    free(dir);
    free(orig_sc);
}

/* Inbox recovery: a run killed after its recording reached the library but before the
 * original moved to accepted/ leaves the original claimed; the next run puts it back and
 * ingests it again, which the library refuses as a duplicate. When the library already
 * holds exactly this source as the same series and episode, the earlier run did the work:
 * file the original as accepted instead of telling the teacher it was refused. */
static void inbox_already_done(ctx *c, job *j)
{
    char sha[65];
    cw_error e = {0};
    cw_library *lib = NULL;
    if (cw_sha256_file(j->path, sha, &e) || cw_library_scan(&lib, c->st->dir, &e))
        return;
    const cw_recording *r = cw_library_find_source(lib, sha);
    if (r && j->series && !strcmp(r->series, j->series) && r->episode == j->episode) {
        j->code = 0;
        cw_error_clear(&j->err);
        snprintf(j->res.library_path, sizeof j->res.library_path, "%s", r->path);
        j->res.seconds = r->rate > 0 ? (double)r->length_samples / r->rate : 0;
        j->res.lufs_in = r->lufs_in;
        j->res.lufs_out = r->lufs_out;
        j->res.true_peak_out = r->true_peak_out;
        cw_strlist_pushf(&j->notes, "already in the library as '%s' (an earlier run stopped before filing "
                         "the original); filed as accepted", r->path);
        char *full = cw_path_join(c->st->dir, r->path);
        if (full) {
            *(char *)cw_path_base(full) = 0;
            cw_cleanup_stale_tmp(full); /* work files of the killed run */
        }
        free(full);
    }
    cw_library_free(lib);
}

static void run_job(ctx *c, job *j)
{
    if (c->inbox) {
        /* claim: only one rename of inbox/NAME can succeed */
        char *from = cw_path_join(c->inbox_dir, j->name);
        char *to = cw_path_join(c->claim_dir, j->name);
        int ok = from && to && rename(from, to) == 0;
        free(from);
        if (!ok) {
            free(to);
            j->state = 3;
            return;
        }
        j->path = to;
        char *in = cw_path_join(c->inbox_dir, j->name);
        char *sc = in ? sidecar_path(in) : NULL;
        struct stat lb;
        /* the inbox is a drop folder others write to: a symbolic link there could make us
         * read (and report) any file on the machine, so links are refused, never followed */
        if (lstat(j->path, &lb) == 0 && S_ISLNK(lb.st_mode))
            j->meta_error = cw_asprintf("'%s' is a symbolic link; refused (put the recording itself "
                                        "into the inbox, not a link to it)", j->name);
        else if (sc && lstat(sc, &lb) == 0 && S_ISLNK(lb.st_mode))
            j->meta_error = cw_asprintf("the note '%s' is a symbolic link; refused (put the note "
                                        "itself into the inbox)", cw_path_base(sc));
        else if (sc)
            read_sidecar(j, sc);
        free(sc);
        free(in);
        parse_name(j, j->name);
        apply_options(j, &c->mo, 0);
    }
    if (j->meta_error) {
        j->code = CW_EINVAL;
        cw_fail(&j->err, CW_EINVAL, "", 0, "%s", j->meta_error);
    } else {
        cw_ingest_meta m = {.series = j->series, .title = j->title, .teacher = j->teacher,
                            .language = j->language, .description = j->description,
                            .valid_from = j->valid_from, .valid_until = j->valid_until,
                            .episode = j->episode, .kind = j->kind, .date = j->date};
        /* the default title is the file name: shortened here, where a long name would
         * otherwise refuse a recording nobody gave a title */
        char dtitle[CW_TITLE_MAX_BYTES + 1];
        if (!m.title || !m.title[0]) {
            if (cw_default_title(j->name, dtitle, sizeof dtitle, CW_TITLE_MAX_BYTES))
                cw_strlist_pushf(&j->notes, "the file name is longer than %d bytes; the title is "
                                 "shortened to '%s' (give --title or a note to choose another)",
                                 CW_TITLE_MAX_BYTES, dtitle);
            m.title = dtitle;
        }
        /* an unlabelled inbox file is taken for a lesson: never put it on air as filler */
        int unlabelled = c->inbox && m.kind == CW_KIND_NONE && (!m.series || !m.series[0]);
        if (unlabelled ||
            (m.kind == CW_KIND_LESSON && (!m.series || !m.series[0] || m.episode <= 0))) {
            j->code = cw_fail(&j->err, CW_EINVAL, "", 0, "no series and episode for this "
                              "lesson: add a note %s.txt with 'Series: maths-5' and 'Episode: 3' "
                              "lines, or name the file like maths-5_003_fractions.wav", j->name);
        } else {
            j->code = cw_ingest_file(c->st, j->path, &m, c->replace, on_progress, j, &j->res,
                                     &j->err);
            if (c->inbox && j->code == CW_EEXIST)
                inbox_already_done(c, j);
        }
    }
    if (c->inbox)
        settle(c, j);
}

static void *worker(void *arg)
{
    ctx *c = arg;
    for (;;) {
        pthread_mutex_lock(&c->mu);
        if (c->next >= c->n) {
            pthread_mutex_unlock(&c->mu);
            return NULL;
        }
        job *j = &c->jobs[c->next++];
        j->state = 1;
        pthread_mutex_unlock(&c->mu);
        run_job(c, j);
        pthread_mutex_lock(&c->mu);
        if (j->state == 1)
            j->state = 2;
        c->done++;
        pthread_cond_broadcast(&c->cv);
        pthread_mutex_unlock(&c->mu);
    }
}

/* ---- output ---------------------------------------------------------------------------- */

/* Print a finished job (text mode). Caller holds no lock; output is single-threaded. */
static void print_job(const job *j)
{
    for (size_t i = 0; i < j->notes.n; i++)
        cw_cli_warnf(CMD, "%s: %s", j->name, j->notes.v[i]);
    if (j->state == 3)
        return;
    if (j->code == 0) {
        char t[32];
        cw_cli_fmt_length(j->res.seconds, t);
        printf("accepted %s -> %s (%s, %.1f LUFS, %.1f dBTP; was %.1f LUFS", j->name,
               j->res.library_path, t, j->res.lufs_out, j->res.true_peak_out, j->res.lufs_in);
        if (j->res.trimmed_lead >= 0.05 || j->res.trimmed_tail >= 0.05)
            printf(", trimmed %.1f s + %.1f s of silence", j->res.trimmed_lead,
                   j->res.trimmed_tail);
        printf(")\n");
        for (size_t i = 0; i < j->res.warnings.n; i++)
            cw_cli_warnf(CMD, "%s: %s", j->name, j->res.warnings.v[i]);
    } else {
        cw_cli_errorf(CMD, "%s: refused: %s", j->name,
                      j->err.text[0] ? j->err.text : cw_strerror(j->code));
    }
    fflush(stdout);
}

static void bar(char *out, size_t cap, int permille, int width)
{
    int full = permille * width / 1000;
    size_t o = 0;
    out[o++] = '[';
    for (int i = 0; i < width && o + 2 < cap; i++)
        out[o++] = i < full ? '#' : '.';
    out[o++] = ']';
    out[o] = 0;
}

static const char *code_name(int code)
{
    switch (code) {
    case 0: return "accepted";
    case CW_EINVAL: return "invalid";
    case CW_ELIMIT: return "too-long";
    case CW_EEXIST: return "exists";
    case CW_EUNSUPPORTED: return "unsupported";
    case CW_ENOTFOUND: return "not-found";
    default: return "error";
    }
}

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(round(v * 100.0) / 100.0) : json_null();
}

static int print_json(ctx *c, size_t acc, size_t ref)
{
    json_t *root = json_object();
    json_object_set_new(root, "accepted", json_integer((json_int_t)acc));
    json_object_set_new(root, "refused", json_integer((json_int_t)ref));
    json_t *arr = json_array();
    for (size_t i = 0; i < c->n; i++) {
        job *j = &c->jobs[i];
        if (j->state == 3)
            continue;
        json_t *o = json_object();
        json_object_set_new(o, "file", json_string(c->inbox ? j->name : j->arg));
        json_object_set_new(o, "status", json_string(j->code == 0 ? "accepted" : "refused"));
        json_object_set_new(o, "reason", json_string(code_name(j->code)));
        if (j->code == 0) {
            json_object_set_new(o, "library_path", json_string(j->res.library_path));
            json_object_set_new(o, "seconds", jnum(j->res.seconds));
            json_object_set_new(o, "lufs_in", jnum(j->res.lufs_in));
            json_object_set_new(o, "lufs_out", jnum(j->res.lufs_out));
            json_object_set_new(o, "true_peak_in", jnum(j->res.true_peak_in));
            json_object_set_new(o, "true_peak_out", jnum(j->res.true_peak_out));
            json_object_set_new(o, "lra_in", jnum(j->res.lra_in));
            json_object_set_new(o, "lra_out", jnum(j->res.lra_out));
            json_object_set_new(o, "trimmed_lead", jnum(j->res.trimmed_lead));
            json_object_set_new(o, "trimmed_tail", jnum(j->res.trimmed_tail));
            json_object_set_new(o, "clipped_percent", jnum(j->res.clipped_percent));
        } else {
            json_object_set_new(o, "error", json_string(j->err.text));
        }
        json_t *w = json_array();
        for (size_t k = 0; k < j->notes.n; k++)
            json_array_append_new(w, json_string(j->notes.v[k]));
        for (size_t k = 0; k < j->res.warnings.n; k++)
            json_array_append_new(w, json_string(j->res.warnings.v[k]));
        json_object_set_new(o, "warnings", w);
        json_array_append_new(arr, o);
    }
    json_object_set_new(root, "files", arr);
    char *s = json_dumps(root, JSON_PRESERVE_ORDER | JSON_INDENT(2) | JSON_REAL_PRECISION(8));
    json_decref(root);
    if (!s) {
        cw_cli_errorf(CMD, "out of memory");
        return CW_EXIT_ENV;
    }
    cw_buf b;
    cw_buf_init(&b);
    cw_buf_puts(&b, s);
    cw_buf_puts(&b, "\n");
    free(s);
    int rc = cw_cli_write_stdout(CMD, &b);
    cw_buf_free(&b);
    return rc;
}

/* ---- inbox ----------------------------------------------------------------------------- */

static int is_sidecar_or_reason(const char *name)
{
    size_t n = strlen(name);
    return n >= 4 && !strcasecmp(name + n - 4, ".txt");
}

/* Claims of runs that died: put their files back into the inbox. */
static void recover_claims(const char *inbox)
{
    DIR *d = opendir(inbox);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, ".processing-", 12) != 0)
            continue;
        long pid = strtol(de->d_name + 12, NULL, 10);
        if (pid == (long)getpid())
            continue; /* our own claims */
        if (pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno == ESRCH)) {
            char *cd = cw_path_join(inbox, de->d_name);
            DIR *e = cd ? opendir(cd) : NULL;
            struct dirent *f;
            while (e && (f = readdir(e)) != NULL) {
                if (f->d_name[0] == '.')
                    continue;
                char *from = cw_path_join(cd, f->d_name), *to = cw_path_join(inbox, f->d_name);
                if (from && to && !cw_path_exists(to))
                    (void)rename(from, to);
                free(from);
                free(to);
            }
            if (e)
                closedir(e);
            if (cd)
                (void)rmdir(cd);
            free(cd);
        }
    }
    closedir(d);
}

static int list_inbox(const char *inbox, cw_strlist *names)
{
    DIR *d = opendir(inbox);
    if (!d)
        return -1;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.' || is_sidecar_or_reason(de->d_name))
            continue;
        char *p = cw_path_join(inbox, de->d_name);
        struct stat sb;
        /* links are listed (and refused with a reason), other non-files are left alone */
        if (p && lstat(p, &sb) == 0 && (S_ISREG(sb.st_mode) || S_ISLNK(sb.st_mode)))
            cw_strlist_push(names, de->d_name);
        free(p);
    }
    closedir(d);
    cw_strlist_sort(names);
    return 0;
}

/* ---- the command ----------------------------------------------------------------------- */

static int nproc(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

int cmd_ingest(cw_cli *cli, int argc, char **argv)
{
    const char *series = NULL, *title = NULL, *teacher = NULL, *language = NULL, *kind = NULL,
               *format = "text", *description = NULL;
    cw_date vfrom = {0}, vuntil = {0}, date = {0};
    int episode = 0, replace = 0, jobs = 0, inbox = 0;
    const cw_opt opts[] = {
        {"series", 0, CW_OPT_STRING, &series, "KEY", "series key, e.g. maths-5 (letters, digits, - _ .)"},
        {"episode", 0, CW_OPT_INT, &episode, "N", "episode number 1..999 (several files: N, N+1, ...)"},
        {"title", 0, CW_OPT_STRING, &title, "T", "title (default: from the file name)"},
        {"teacher", 0, CW_OPT_STRING, &teacher, "NAME", "who speaks (stored as ARTIST)"},
        {"language", 0, CW_OPT_STRING, &language, "CODE", "language code (default: the station's)"},
        {"kind", 0, CW_OPT_STRING, &kind, "KIND", "lesson, newsletter or filler (default: lesson with a series, else filler)"},
        {"description", 0, CW_OPT_STRING, &description, "TEXT", "a longer description"},
        {"date", 0, CW_OPT_DATE, &date, "DATE", "DATE comment (default: the recording's own date tag, else none)"},
        {"valid-from", 0, CW_OPT_DATE, &vfrom, "DATE", "not to be aired before DATE"},
        {"valid-until", 0, CW_OPT_DATE, &vuntil, "DATE", "not to be aired after DATE"},
        {"replace", 0, CW_OPT_FLAG, &replace, NULL, "overwrite an existing series/episode"},
        {"inbox", 0, CW_OPT_FLAG, &inbox, NULL, "process every file in the station's inbox/"},
        {"jobs", 'j', CW_OPT_INT, &jobs, "N", "files processed at once (default: number of cores)"},
        {"format", 0, CW_OPT_STRING, &format, "FMT", "text or json (results on stdout)"},
        {0},
    };
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, CMD, argc, argv, &pos, &npos, &rc,
                    "chalkwave ingest [OPTIONS] FILE...\n       chalkwave ingest --inbox [OPTIONS]",
                    "Check teachers' recordings, clean them up and store them in the library as Ogg\n"
                    "Vorbis: mix to the station's channels, resample, trim silence at the ends (with\n"
                    "short fades), bring them to the station's loudness (EBU R128) under its true-peak\n"
                    "ceiling, and encode. Accepted: WAV, FLAC, MP3, Ogg Vorbis, Opus (8-192 kHz, 1-8\n"
                    "channels). Refused, with the reason: M4A/AAC, AMR, WMA (convert with e.g.\n"
                    "'ffmpeg -i voice.m4a voice.flac'), damaged or cut-short files, silence, recordings\n"
                    "shorter or longer than the station allows, invalid samples, an episode that\n"
                    "exists (unless --replace) and a file already in the library.\n"
                    "Stored as library/KIND/SERIES/NNN-title.ogg; the same file and settings always\n"
                    "give the same bytes.\n\n"
                    "Metadata for each file, strongest first: the options; a note NAME.txt next to\n"
                    "the file (or NAME.ext.txt) with lines like 'Series: maths-5', 'Episode: 3',\n"
                    "'Title: Fractions', 'Teacher: Ms Ada', 'Language: en', 'Kind: lesson',\n"
                    "'Description: ...', 'Date: 2025-01-06', 'Valid-From: DATE', 'Valid-Until: DATE';\n"
                    "then the file name SERIES_EPISODE_TITLE.ext (maths-5_003_fractions.wav ->\n"
                    "series maths-5, episode 3, title 'fractions'). With --inbox the note and the name\n"
                    "come first and the options are defaults.\n\n"
                    "--inbox: accepted originals move to inbox/accepted/, refused ones to\n"
                    "inbox/rejected/ with NAME.reason.txt saying why. Several runs may work on one\n"
                    "inbox at once: each file is taken by exactly one of them.\n"
                    "Exit 1 when any file was refused.",
                    opts))
        return rc;
    int json = 0;
    if (!strcmp(format, "json"))
        json = 1;
    else if (strcmp(format, "text") != 0)
        return cw_cli_usagef(CMD, "--format must be text or json, not '%s'", format);
    if (inbox && npos > 0)
        return cw_cli_usagef(CMD, "give either --inbox or files, not both");
    if (!inbox && npos == 0)
        return cw_cli_usagef(CMD, "give the recordings to ingest (e.g. 'chalkwave ingest --series "
                             "maths-5 --episode 3 lesson.wav') or --inbox");
    if (npos > 1 && title)
        return cw_cli_usagef(CMD, "--title names one recording; give one file with it");
    if (episode < 0 || episode > 999 || (npos > 1 && episode && episode + npos - 1 > 999))
        return cw_cli_usagef(CMD, "--episode must be 1 to 999");
    cw_kind k = CW_KIND_NONE;
    if (kind) {
        k = cw_kind_parse(kind);
        if (k != CW_KIND_LESSON && k != CW_KIND_NEWSLETTER && k != CW_KIND_FILLER)
            return cw_cli_usagef(CMD, "--kind must be lesson, newsletter or filler, not '%s'", kind);
    }
    if (jobs < 0)
        return cw_cli_usagef(CMD, "-j must be at least 1");
    /* Shared station lock: ingests run side by side (each commit takes the library lock);
     * commands that rewrite the station wait for them. */
    rc = cw_cli_lock(cli, CMD, 0);
    if (rc)
        return rc;
    const cw_station *st = cli->station;
    char vf[11] = "", vu[11] = "", dt[11] = "";
    if (vfrom.year)
        cw_date_format(vfrom, vf);
    if (vuntil.year)
        cw_date_format(vuntil, vu);
    if (date.year)
        cw_date_format(date, dt);

    ctx c = {.cli = cli, .st = st, .replace = replace, .inbox = inbox};
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv, NULL);
    cw_strlist names = {0};
    int code = CW_EXIT_OK;
    if (inbox) {
        c.inbox_dir = cw_path_join(st->dir, "inbox");
        c.claim_dir = c.inbox_dir ? cw_asprintf("%s/.processing-%ld", c.inbox_dir, (long)getpid())
                                  : NULL;
        cw_error err = {0};
        if (!c.claim_dir || cw_mkdir_p(c.claim_dir, &err)) {
            code = cw_cli_report(CMD, CW_EIO, &err);
            goto out;
        }
        recover_claims(c.inbox_dir);
        if (list_inbox(c.inbox_dir, &names)) {
            cw_cli_errorf(CMD, "cannot read '%s': %s", c.inbox_dir, strerror(errno));
            code = CW_EXIT_ENV;
            goto out;
        }
        c.n = names.n;
    } else {
        c.n = (size_t)npos;
    }
    c.jobs = calloc(c.n ? c.n : 1, sizeof *c.jobs);
    int *states = calloc(c.n ? c.n : 1, sizeof *states);
    if (!c.jobs || !states) {
        free(states);
        cw_cli_errorf(CMD, "out of memory");
        code = CW_EXIT_ENV;
        goto out;
    }
    c.mo = (meta_opts){.series = series, .title = title, .teacher = teacher,
                       .language = language, .description = description,
                       .episode = episode, .kind = k};
    snprintf(c.mo.valid_from, sizeof c.mo.valid_from, "%s", vf);
    snprintf(c.mo.valid_until, sizeof c.mo.valid_until, "%s", vu);
    snprintf(c.mo.date, sizeof c.mo.date, "%s", dt);
    for (size_t i = 0; i < c.n; i++) {
        job *j = &c.jobs[i];
        j->arg = inbox ? names.v[i] : pos[i];
        j->name = cw_strdup(cw_path_base(j->arg));
        if (inbox)
            continue; /* the note and the name are read once the file is claimed */
        j->path = cw_strdup(j->arg);
        apply_options(j, &c.mo, (int)i);
        char *sc = sidecar_path(j->arg);
        if (sc)
            read_sidecar(j, sc);
        free(sc);
        parse_name(j, j->name);
    }

    int nthreads = jobs > 0 ? jobs : nproc();
    if ((size_t)nthreads > c.n)
        nthreads = (int)(c.n ? c.n : 1);
    pthread_t *th = calloc((size_t)nthreads, sizeof *th);
    int started = 0;
    for (int i = 0; th && i < nthreads; i++)
        if (pthread_create(&th[started], NULL, worker, &c) == 0)
            started++;
    if (started == 0) {
        worker(&c); /* no threads available: do the work here */
    }
    /* report as files finish; progress bars on a terminal */
    int bars = cli->is_tty && !json && isatty(STDERR_FILENO);

    int drawn = 0;
    size_t reported = 0;
    for (;;) {
        pthread_mutex_lock(&c.mu);
        size_t done = c.done;
        if (done < c.n && started > 0) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 200 * 1000 * 1000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&c.cv, &c.mu, &ts);
            done = c.done;
        }
        size_t ns = c.n;
        for (size_t i = 0; i < ns; i++)
            states[i] = c.jobs[i].state;
        pthread_mutex_unlock(&c.mu);
        if (bars && drawn) {
            fprintf(stderr, "\033[%dA\033[J", drawn);
            drawn = 0;
        }
        if (!json)
            for (size_t i = 0; i < ns; i++)
                if ((states[i] == 2 || states[i] == 3) && !c.jobs[i].reported) {
                    c.jobs[i].reported = 1;
                    print_job(&c.jobs[i]);
                    reported++;
                }
        if (done >= c.n)
            break;
        if (bars) {
            char b[64];
            for (size_t i = 0; i < ns; i++) {
                if (states[i] != 1)
                    continue;
                int pm = __atomic_load_n(&c.jobs[i].permille, __ATOMIC_RELAXED);
                bar(b, sizeof b, pm, 30);
                fprintf(stderr, "  %-40.40s %s %3d%%\n", c.jobs[i].name, b, pm / 10);
                drawn++;
            }
            bar(b, sizeof b, (int)(done * 1000 / (c.n ? c.n : 1)), 30);
            fprintf(stderr, "  %-40s %s %zu/%zu\n", "all files", b, done, c.n);
            drawn++;
            fflush(stderr);
        }
    }
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    free(th);
    free(states);
    size_t acc = 0, ref = 0;
    int worst = CW_EXIT_OK;
    for (size_t i = 0; i < c.n; i++) {
        job *j = &c.jobs[i];
        if (j->state == 3)
            continue;
        if (j->code == 0) {
            acc++;
        } else {
            ref++;
            int e = cw_exit_code(j->code);
            if (e > worst)
                worst = e;
        }
    }
    if (json) {
        int w = print_json(&c, acc, ref);
        if (w)
            worst = w;
    } else if (c.n > 1 || inbox) {
        printf("%zu accepted, %zu refused\n", acc, ref);
        fflush(stdout);
    }
    code = worst;
out:
    for (size_t i = 0; c.jobs && i < c.n; i++)
        job_clear(&c.jobs[i]);
    free(c.jobs);
    if (c.claim_dir)
        (void)rmdir(c.claim_dir); /* empty unless a move failed: then the next run recovers */
    free(c.claim_dir);
    free(c.inbox_dir);
    cw_strlist_free(&names);
    pthread_mutex_destroy(&c.mu);
    pthread_cond_destroy(&c.cv);
    return code;
}
