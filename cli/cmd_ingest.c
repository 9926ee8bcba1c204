/* cmd_ingest.c — `chalkwave ingest FILE...` and `chalkwave ingest --inbox`: teachers'
 * recordings into the library with -j N workers, progress bars on a terminal, one line per
 * refusal and a summary (or JSON for scripts). The work is the library's: metadata from
 * options, notes and file names (cw_meta_*), the inbox (cw_inbox_*) and the ingest itself
 * (cw_ingest); this file reads arguments, runs workers and prints.
 * Guarantees: each inbox file is processed by exactly one run, even when several
 * `ingest --inbox` run at once; an original moves to accepted/ or rejected/ only after its
 * result is committed to the library (or its refusal written); claims left by a killed run
 * go back to the inbox on the next run. */
#include "audio.h"
#include "calendars.h"
#include "cli.h"
#include "scheduler.h"
#include "speak.h"

#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static const char *const CMD = "ingest";

/* ---- one job per file ---------------------------------------------------------------- */

typedef struct job {
    const char *arg;      /* as given (FILE mode) or inbox name */
    char *path;           /* where it is read from (inbox: the claimed path) */
    char *name;           /* base name, for messages */
    cw_meta meta;         /* gathered metadata */
    cw_diags notes;       /* warnings about notes and names */
    int meta_rc;          /* a note that cannot be used: refuse with meta_err */
    cw_error meta_err;
    int already;          /* inbox: the same recording was stored before (filed as accepted) */
    int waiting;          /* inbox: a note whose recording has not come (left there) */
    int spoken;           /* inbox: a text, spoken */
    char voice[112];      /* ... by this voice */
    size_t words;
    /* outcome */
    int state;            /* 0 waiting, 1 running, 2 done, 3 skipped (claimed elsewhere) */
    int code;
    cw_error err;
    cw_ingest_result res;
    int permille;         /* progress, written by the worker */
    int reported;
} job;

typedef struct ctx {
    cw_cli *cli;
    cw_ingest_meta mo;    /* the command-line metadata */
    const cw_station *st;
    cw_calset *calendars; /* for the keys' check, or NULL */
    job *jobs;
    size_t n;
    size_t n_pool;        /* jobs 0..n_pool-1 go to the workers; the rest (texts to
                           * speak) run on the main thread once the workers are joined */
    size_t next;          /* next job index to take */
    int replace, inbox, pending;
    cw_inbox *ib;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t done;
} ctx;

static void job_clear(job *j)
{
    free(j->path);
    free(j->name);
    cw_meta_clear(&j->meta);
    cw_diags_free(&j->notes);
    cw_ingest_result_free(&j->res);
}

/* ---- the worker ------------------------------------------------------------------------ */

/* Is the key used by a calendar of the station? The calendars' own rule. The workers ask
 * one at a time: a calendar set may fill its caches when asked. */
static pthread_mutex_t keys_mu = PTHREAD_MUTEX_INITIALIZER;
static int series_known(void *user, const char *key, const char **suggestion)
{
    pthread_mutex_lock(&keys_mu);
    int known = cw_calset_series_known(user, key, suggestion);
    pthread_mutex_unlock(&keys_mu);
    return known;
}

static int on_progress(void *user, double f)
{
    job *j = user;
    __atomic_store_n(&j->permille, (int)(f * 1000), __ATOMIC_RELAXED);
    return 0;
}

/* Metadata for a file given by name: the options, its note, its name (the inbox's files
 * gather theirs in cw_inbox_process). */
static void gather(ctx *c, job *j, const char *note, int i)
{
    if (cw_meta_fill(&j->meta, &c->mo, i))
        j->meta_rc = cw_fail(&j->meta_err, CW_ENOMEM, "", 0, "out of memory");
    if (note && !j->meta_rc)
        j->meta_rc = cw_meta_read_note(&j->meta, note, &j->notes, &j->meta_err);
    cw_meta_from_name(&j->meta, j->name, &j->notes);
}

static void run_job(ctx *c, job *j)
{
    if (c->inbox) {
        /* the library's one path for an inbox file (audio/inbox_run.c); texts are spoken */
        cw_inbox_opts o = {.defaults = c->mo, .replace = c->replace, .pending = c->pending,
                           .series_known = c->calendars ? series_known : NULL,
                           .series_known_user = c->calendars, .progress = on_progress,
                           .progress_user = j, .speak = cw_speak_inbox_text};
        cw_inbox_result r;
        j->code = cw_inbox_process(c->ib, c->st, j->name, &o, &r);
        j->err = r.err;
        j->res = r.ingest;
        memset(&r.ingest, 0, sizeof r.ingest);
        cw_diags_extend(&j->notes, &r.notes);
        j->already = r.status == CW_INBOX_ALREADY;
        j->waiting = r.status == CW_INBOX_WAITING;
        j->spoken = r.spoken;
        snprintf(j->voice, sizeof j->voice, "%s", r.voice);
        j->words = r.words;
        if (r.status == CW_INBOX_TAKEN || j->waiting)
            j->state = 3;
        cw_inbox_result_free(&r);
        return;
    }
    if (j->meta_rc) {
        j->code = j->meta_rc;
        j->err = j->meta_err;
        return;
    }
    cw_ingest_opts o = {.meta = cw_meta_view(&j->meta), .replace = c->replace || j->meta.replace == 1,
                        .pending = c->pending, .display_name = j->name,
                        .series_known = c->calendars ? series_known : NULL,
                        .series_known_user = c->calendars, .progress = on_progress,
                        .progress_user = j};
    j->code = cw_ingest(c->st, j->path, &o, &j->res, &j->err);
}

static void *worker(void *arg)
{
    ctx *c = arg;
    for (;;) {
        pthread_mutex_lock(&c->mu);
        if (c->next >= c->n_pool) {
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
        cw_cli_warnf(CMD, "%s: %s", j->name, j->notes.v[i].text);
    if (j->state == 3 || j->already)
        return;
    if (j->code == 0) {
        char t[32];
        cw_cli_fmt_length(j->res.seconds, t);
        if (j->spoken)
            printf("spoken %s -> %s (%s, voice %s, %zu words; %.1f LUFS, %.1f dBTP)\n", j->name,
                   j->res.library_path, t, j->voice, j->words, j->res.lufs_out,
                   j->res.true_peak_out);
        else
            printf("accepted %s -> %s (%s, %.1f LUFS, %.1f dBTP; was %.1f LUFS", j->name,
                   j->res.library_path, t, j->res.lufs_out, j->res.true_peak_out, j->res.lufs_in);
        if (!j->spoken && (j->res.trimmed_lead >= 0.05 || j->res.trimmed_tail >= 0.05))
            printf(", trimmed %.1f s + %.1f s of silence", j->res.trimmed_lead,
                   j->res.trimmed_tail);
        if (!j->spoken)
            printf(")\n");
        for (size_t i = 0; i < j->res.diags.n; i++)
            cw_cli_warnf(CMD, "%s: %s", j->name, j->res.diags.v[i].text);
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
        if (j->state == 3 && !j->waiting)
            continue;
        json_t *o = json_object();
        json_object_set_new(o, "file", json_string(c->inbox ? j->name : j->arg));
        int ok = j->code == 0 || j->already;
        json_object_set_new(o, "status", json_string(j->waiting ? "waiting" : ok ? "accepted"
                                                                               : "refused"));
        json_object_set_new(o, "reason", json_string(j->waiting ? "note-waiting"
                                                     : j->already ? "already-stored"
                                                                  : code_name(j->code)));
        if (j->spoken) {
            json_object_set_new(o, "spoken", json_true());
            json_object_set_new(o, "voice", json_string(j->voice));
            json_object_set_new(o, "words", json_integer((json_int_t)j->words));
        }
        if (j->already) {
            json_object_set_new(o, "library_path", json_string(j->res.duplicate_of));
        } else if (j->waiting) {
            /* left in the inbox: no result */
        } else if (j->code == 0) {
            json_object_set_new(o, "format", json_string(j->res.format));
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
        if (j->code && j->res.duplicate_of[0])
            json_object_set_new(o, "duplicate_of", json_string(j->res.duplicate_of));
        /* warnings as text, and as data (code, severity) for scripts and the desk */
        json_t *w = json_array(), *dg = json_array();
        const cw_diags *lists[2] = {&j->notes, &j->res.diags};
        for (int l = 0; l < 2; l++)
            for (size_t k = 0; k < lists[l]->n; k++) {
                const cw_diag *d = &lists[l]->v[k];
                json_array_append_new(w, json_string(d->text));
                json_t *x = json_object();
                json_object_set_new(x, "severity", json_string(cw_diag_severity_name(d->severity)));
                json_object_set_new(x, "code", json_string(d->code ? d->code : ""));
                json_object_set_new(x, "text", json_string(d->text));
                json_array_append_new(dg, x);
            }
        json_object_set_new(o, "warnings", w);
        json_object_set_new(o, "diagnostics", dg);
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

/* The station's calendars, for that check; NULL when there are none or one does not load
 * (plan and check report that; here it only means no check of the keys). */
static cw_calset *calendars_for_keys(const cw_station *st)
{
    cw_calset *set = NULL;
    cw_diags diags = {0};
    cw_error err = {0};
    if (st->n_calendars == 0 || cw_station_calendars(&set, st, &diags, &err) != 0) {
        cw_calset_free(set);
        set = NULL;
    }
    cw_diags_free(&diags);
    return set;
}

/* ---- the command ----------------------------------------------------------------------- */

static int nproc(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

/* text broken into lines of at most width bytes at spaces, each line indented */
static char *wrap(const char *text, size_t width, const char *indent)
{
    cw_buf b;
    cw_buf_init(&b);
    size_t col = 0, il = strlen(indent);
    const char *p = text;
    while (*p) {
        const char *sp = strchr(p, ' ');
        size_t wl = sp ? (size_t)(sp - p) : strlen(p);
        if (col == 0) {
            cw_buf_puts(&b, indent);
            col = il;
        } else if (col + 1 + wl > width) {
            cw_buf_puts(&b, "\n");
            cw_buf_puts(&b, indent);
            col = il;
        } else {
            cw_buf_puts(&b, " ");
            col++;
        }
        cw_buf_append(&b, p, wl);
        col += wl;
        p += wl;
        while (*p == ' ')
            p++;
    }
    if (b.oom) {
        cw_buf_free(&b);
        return NULL;
    }
    return b.data ? b.data : cw_strdup("");
}

int cmd_ingest(cw_cli *cli, int argc, char **argv)
{
    const char *series = NULL, *title = NULL, *teacher = NULL, *language = NULL, *kind = NULL,
               *format = "text", *description = NULL;
    cw_date vfrom = {0}, vuntil = {0}, date = {0};
    int episode = 0, replace = 0, jobs = 0, inbox = 0, pending = 0;
    const cw_opt opts[] = {
        {"series", 0, CW_OPT_STRING, &series, "KEY", "series key, e.g. maths-5 (letters, digits, - _ .)"},
        {"episode", 0, CW_OPT_INT, &episode, "N", "episode number 1..999 (several files: N, N+1, ...)"},
        {"title", 0, CW_OPT_STRING, &title, "T", "title (default: the file's title tag, else its name)"},
        {"teacher", 0, CW_OPT_STRING, &teacher, "NAME", "who speaks (stored as ARTIST; default: the file's artist tag)"},
        {"language", 0, CW_OPT_STRING, &language, "CODE", "language code (default: the station's)"},
        {"kind", 0, CW_OPT_STRING, &kind, "KIND", "lesson, newsletter or filler (default: lesson with a series, else filler)"},
        {"description", 0, CW_OPT_STRING, &description, "TEXT", "a longer description"},
        {"date", 0, CW_OPT_DATE, &date, "DATE", "DATE comment (default: the recording's own date tag, else none)"},
        {"valid-from", 0, CW_OPT_DATE, &vfrom, "DATE", "not to be aired before DATE"},
        {"valid-until", 0, CW_OPT_DATE, &vuntil, "DATE", "not to be aired after DATE"},
        {"replace", 0, CW_OPT_FLAG, &replace, NULL, "overwrite an existing series/episode"},
        {"pending", 0, CW_OPT_FLAG, &pending, NULL, "file under pending/, awaiting approval ('chalkwave library approve')"},
        {"inbox", 0, CW_OPT_FLAG, &inbox, NULL, "process every file in the station's inbox/"},
        {"jobs", 'j', CW_OPT_INT, &jobs, "N", "files processed at once (default: number of cores)"},
        {"format", 0, CW_OPT_STRING, &format, "FMT", "text or json (results on stdout)"},
        {0},
    };
    const char **pos;
    int npos, rc;
    /* what is read comes from the decoder registry */
    char *formats = wrap(cw_audio_formats(), 78, "  ");
    char *help = !formats ? NULL : cw_asprintf(
        "Check teachers' recordings, clean them up and store them in the library as Ogg\n"
        "Vorbis: mix to the station's channels, resample, trim silence at the ends (with\n"
        "short fades), bring them to the station's loudness (EBU R128) under its true-peak\n"
        "ceiling, and encode. Read (8-192 kHz, 1-8 channels; of a video only its sound):\n"
        "%s.\n"
        "Refused, with the reason: documents, pictures and other files that hold no sound;\n"
        "damaged, unfinished or cut-short files; silence; recordings shorter or longer\n"
        "than the station allows; invalid samples; an episode that exists (unless\n"
        "--replace or a note's 'Replace: yes'); a recording already in the library,\n"
        "whatever its name.\n"
        "Stored as library/KIND/SERIES/NNN-title.ogg (pending/... with --pending); the same\n"
        "file and settings always give the same bytes.\n\n"
        "Metadata for each file, strongest first: the options; a note NAME.txt next to\n"
        "the file (or NAME.ext.txt) with lines like 'Series: maths-5', 'Episode: 3',\n"
        "'Title: Fractions', 'Teacher: Ms Ada', 'Language: en', 'Kind: lesson',\n"
        "'Description: ...', 'Date: 2025-01-06', 'Valid-From: DATE', 'Valid-Until: DATE',\n"
        "'Replace: yes'; then the file name SERIES_EPISODE_TITLE.ext\n"
        "(maths-5_003_fractions.wav -> series maths-5, episode 3, title 'fractions'); then\n"
        "the file's own tags (title, artist, recording date). With --inbox the note and the\n"
        "name come first and the options are defaults. Series keys are trimmed and\n"
        "lower-cased; a key no calendar uses is warned about.\n\n"
        "--inbox: accepted originals move to inbox/accepted/, refused ones to\n"
        "inbox/rejected/ with NAME.reason.txt saying why. Texts (.txt, .md) that are no\n"
        "recording's note are spoken as 'chalkwave speak' does when they start with a\n"
        "header ('Kind: newsletter', 'Title: ...', 'Language: ...', then a blank line) or\n"
        "have a note (NAME.txt beside NAME.md, NAME.txt.txt); a .txt of 'Key: value'\n"
        "lines only waits in the inbox for its recording; other texts are refused.\n"
        "Several runs may work on one inbox at once: each file is taken by exactly one\n"
        "of them.\n"
        "Exit 1 when any file was refused.",
        formats);
    free(formats);
    int ok = help && cw_cli_opts(cli, CMD, argc, argv, &pos, &npos, &rc,
                                 "chalkwave ingest [OPTIONS] FILE...\n       chalkwave ingest "
                                 "--inbox [OPTIONS]", help, opts) == 0;
    free(help);
    if (!ok)
        return help ? rc : CW_EXIT_ENV;
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

    ctx c = {.cli = cli, .st = st, .replace = replace, .inbox = inbox, .pending = pending};
    pthread_mutex_init(&c.mu, NULL);
    pthread_cond_init(&c.cv, NULL);
    cw_strlist names = {0};
    c.calendars = calendars_for_keys(st);
    int code = CW_EXIT_OK;
    if (inbox) {
        cw_error err = {0};
        int r = cw_inbox_open(&c.ib, st->dir, &err);
        if (r == 0)
            r = cw_inbox_list(c.ib, &names, &err);
        cw_strlist_sort(&names);
        /* texts are spoken after the recordings, by this thread alone (speech renders in a
         * helper process of its own, see main.c; one synthesis at a time keeps the machine
         * free for the recordings' workers and the order of the report stable) */
        cw_strlist texts = {0};
        if (r == 0)
            r = cw_inbox_list_texts(c.ib, &texts, &err); /* spoken: cw_speak_inbox_text */
        cw_strlist_sort(&texts);
        c.n_pool = names.n;
        for (size_t i = 0; r == 0 && i < texts.n; i++)
            if (cw_strlist_push(&names, texts.v[i]))
                r = cw_fail(&err, CW_ENOMEM, "", 0, "out of memory");
        cw_strlist_free(&texts);
        if (r) {
            code = cw_cli_report(CMD, r, &err);
            goto out;
        }
        c.n = names.n;
    } else {
        c.n = (size_t)npos;
        c.n_pool = c.n;
    }
    c.jobs = calloc(c.n ? c.n : 1, sizeof *c.jobs);
    int *states = calloc(c.n ? c.n : 1, sizeof *states);
    if (!c.jobs || !states) {
        free(states);
        cw_cli_errorf(CMD, "out of memory");
        code = CW_EXIT_ENV;
        goto out;
    }
    c.mo = (cw_ingest_meta){.series = series, .title = title, .teacher = teacher,
                            .language = language, .description = description,
                            .valid_from = vf[0] ? vf : NULL, .valid_until = vu[0] ? vu : NULL,
                            .date = dt[0] ? dt : NULL, .episode = episode, .kind = k};
    for (size_t i = 0; i < c.n; i++) {
        job *j = &c.jobs[i];
        j->arg = inbox ? names.v[i] : pos[i];
        j->name = cw_strdup(cw_path_base(j->arg));
        if (inbox)
            continue; /* the note and the name are read once the file is claimed */
        j->path = cw_strdup(j->arg);
        char *note = cw_meta_note_path(j->arg);
        gather(&c, j, note, (int)i);
        free(note);
    }

    int nthreads = jobs > 0 ? jobs : nproc();
    if ((size_t)nthreads > c.n_pool)
        nthreads = (int)(c.n_pool ? c.n_pool : 1);
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
        if (done < c.n_pool && started > 0) {
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
        if (done >= c.n_pool)
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
            bar(b, sizeof b, (int)(done * 1000 / (c.n_pool ? c.n_pool : 1)), 30);
            fprintf(stderr, "  %-40s %s %zu/%zu\n", "all files", b, done, c.n_pool);
            drawn++;
            fflush(stderr);
        }
    }
    for (int i = 0; i < started; i++)
        pthread_join(th[i], NULL);
    free(th);
    /* the texts, one after the other on this thread (no other thread is running now) */
    for (size_t i = c.n_pool; i < c.n; i++) {
        job *j = &c.jobs[i];
        j->state = 1;
        run_job(&c, j);
        if (j->state == 1)
            j->state = 2;
        c.done++;
        if (!json && !j->reported && (j->state == 2 || j->state == 3)) {
            j->reported = 1;
            print_job(j);
        }
    }
    free(states);
    size_t acc = 0, ref = 0;
    int worst = CW_EXIT_OK;
    for (size_t i = 0; i < c.n; i++) {
        job *j = &c.jobs[i];
        if (j->state == 3)
            continue;
        if (j->code == 0 || j->already) {
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
        size_t waiting = 0;
        for (size_t i = 0; i < c.n; i++)
            waiting += (size_t)c.jobs[i].waiting;
        if (waiting)
            printf("%zu accepted, %zu refused, %zu note%s waiting for %s recording\n", acc, ref,
                   waiting, waiting == 1 ? "" : "s", waiting == 1 ? "its" : "their");
        else
            printf("%zu accepted, %zu refused\n", acc, ref);
        fflush(stdout);
    }
    code = worst;
out:
    for (size_t i = 0; c.jobs && i < c.n; i++)
        job_clear(&c.jobs[i]);
    free(c.jobs);
    cw_inbox_close(c.ib);
    cw_strlist_free(&names);
    cw_calset_free(c.calendars);
    pthread_mutex_destroy(&c.mu);
    pthread_cond_destroy(&c.cv);
    return code;
}
