/* main.c — the `chalkwave` command: a git-style command table whose flags ask for the
 * shared setup (open the station as a session, hold the station lock), finding the station
 * around the current folder, and one-line error reporting. Only cli/ prints; only cli/
 * joins the modules. Guarantees: every run ends with a documented exit code (0, 1, 2, 3). */
#include "calendars.h"
#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct cw_cmd {
    const char *name;
    cw_cmd_fn fn;
    const char *summary;
    unsigned flags; /* CW_CMD_*: the setup cw_cli_setup does for it */
} cw_cmd;

#define TTS_HELPER_ARG "__speech-helper" /* not a command: see main */
#define READS (CW_CMD_NEED_STATION | CW_CMD_LOCK_SHARED)
#define WRITES (CW_CMD_NEED_STATION | CW_CMD_LOCK_EXCL)

static const cw_cmd commands[] = {
    {"init", cmd_init, "create a station folder with commented default settings", 0},
    {"calendar", cmd_calendar, "check, expand, import or subscribe to partner calendars (.ics)", 0},
    {"ingest", cmd_ingest, "check, clean up and store teachers' recordings in the library", 0},
    {"speak", cmd_speak, "speak a text (eSpeak NG) and store the speech in the library", 0},
    {"library", cmd_library, "list the recordings in the library", 0},
    {"plan", cmd_plan, "show what airs when on a day (or a range); --missing: who to chase", READS},
    {"build", cmd_build, "write a day's playout bundle (day.ogg, items, playlists, guide)", READS},
    {"verify", cmd_verify, "check a bundle's checksums and Ogg files", 0},
    {"export", cmd_export, "write the station's broadcast schedule as iCalendar (.ics)", READS},
    {"change", cmd_change, "the station's own changes: hold or restart a series, move or cancel a lesson", WRITES},
    {"serve", cmd_serve, "run the desk: a web app for teachers, staff and scripts", 0},
    {"user", cmd_user, "add, remove or list the desk's staff accounts", 0},
    {"teacher", cmd_teacher, "add teachers and print their personal upload links", 0},
    {"air", cmd_air, "play the days by the clock to Icecast and sound cards, with an as-run log", CW_CMD_NEED_STATION},
    {"report", cmd_report, "proof of broadcast: what aired of a partner's lessons, and why not", READS},
    {"asrun", cmd_asrun, "import another player's as-run log (Liquidsoap)", READS},
    {NULL, NULL, NULL, 0},
};

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: chalkwave [--station DIR] COMMAND [OPTIONS] [ARGS]\n"
            "       chalkwave help COMMAND | --help | --version\n\n"
            "chalkwave puts school lessons on community radio: partner calendars and\n"
            "teachers' recordings in, a day of radio out.\n\nCommands:\n");
    for (const cw_cmd *c = commands; c->name; c++) fprintf(fp, "  %-10s %s\n", c->name, c->summary);
    fprintf(fp,
            "\nThe calendar command has subcommands: check FILE..., expand --from DATE --to DATE FILE...,\n"
            "import FILE... [--priority N], list, remove NAME, subscribe URL, update [NAME...],\n"
            "unsubscribe NAME; change has list, hold, release, restart, move, cancel, remove.\n"
            "Every command takes --station DIR (default: $CHALKWAVE_STATION, else the station the current\n"
            "folder is in) and --help. DATE is YYYY-MM-DD in the station's time zone, or today,\n"
            "tomorrow, yesterday, +N, -N. '--' ends the options.\n\n%s"
            "\nSee chalkwave(1) and README.md for the station folder and its settings.\n",
            cw_cli_exit_codes_help);
}

/* Edit distance counting a swap of two neighbours as one edit (optimal string alignment),
 * so the common typo "--fromat" is closer to "--format" than to "--from". */
size_t cw_cli_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64 || lb > 64) return 99;
    size_t pprev[65], prev[65], cur[65];
    for (size_t j = 0; j <= lb; j++) prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && pprev[j - 2] + 1 < cur[j])
                cur[j] = pprev[j - 2] + 1;
        }
        memcpy(pprev, prev, sizeof(size_t) * (lb + 1));
        memcpy(prev, cur, sizeof(size_t) * (lb + 1));
    }
    return prev[lb];
}

static const cw_cmd *find_cmd(const char *name)
{
    for (const cw_cmd *c = commands; c->name; c++)
        if (!strcmp(c->name, name)) return c;
    return NULL;
}

static int unknown_cmd(const char *name)
{
    const cw_cmd *best = NULL;
    size_t bd = 3;
    for (const cw_cmd *c = commands; c->name; c++) {
        size_t d = cw_cli_edit_distance(name, c->name);
        if (d < bd) {
            bd = d;
            best = c;
        }
    }
    if (best)
        fprintf(stderr, "chalkwave: '%s' is not a command (did you mean '%s'? see 'chalkwave --help')\n", name,
                best->name);
    else
        fprintf(stderr, "chalkwave: '%s' is not a command (see 'chalkwave --help')\n", name);
    return CW_EXIT_USAGE;
}

/* Output that cannot be written (a full disk, /dev/full, a closed pipe) is a failure (exit 3),
 * never a silent success. */
static int flushed(int rc, const char *what)
{
    if (fflush(stdout) != 0 && rc == 0) {
        fprintf(stderr, "chalkwave: %s: cannot write the output\n", what);
        rc = CW_EXIT_ENV;
    }
    return rc;
}

static int unknown_global_option(const char *a)
{
    static const char *const globals[] = {"--help", "--version", "--station"};
    const char *best = NULL;
    size_t bd = 3;
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(a, "="), a);
    for (size_t k = 0; k < sizeof globals / sizeof globals[0]; k++) {
        size_t d = cw_cli_edit_distance(name, globals[k]);
        if (d < bd) {
            bd = d;
            best = globals[k];
        }
    }
    if (best)
        fprintf(stderr, "chalkwave: unknown option '%s' (did you mean %s? see 'chalkwave --help')\n", a, best);
    else
        fprintf(stderr, "chalkwave: unknown option '%s' (options of a command go after it, e.g. 'chalkwave plan --date DATE'; see 'chalkwave --help')\n",
                a);
    return CW_EXIT_USAGE;
}

/* ---- shared helpers for commands ---------------------------------------------------- */

/* `chalkwave: CMD: PREFIXTEXT` on stderr, the text cut at 2047 bytes. */
static void say(const char *cmd, const char *prefix, const char *fmt, va_list ap) CW_PRINTF(3, 0);
static void say(const char *cmd, const char *prefix, const char *fmt, va_list ap)
{
    char text[2048];
    vsnprintf(text, sizeof text, fmt, ap);
    fprintf(stderr, "chalkwave: %s: %s%s\n", cmd, prefix, text);
}

void cw_cli_errorf(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(cmd, "", fmt, ap);
    va_end(ap);
}

int cw_cli_usagef(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(cmd, "", fmt, ap);
    va_end(ap);
    return CW_EXIT_USAGE;
}

void cw_cli_warnf(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    say(cmd, "warning: ", fmt, ap);
    va_end(ap);
}

int cw_cli_report(const char *cmd, int code, const cw_error *err)
{
    if (err && err->text[0]) {
        if (err->source[0] && err->line > 0)
            fprintf(stderr, "chalkwave: %s: %s:%d: %s\n", cmd, err->source, err->line, err->text);
        else if (err->source[0] && !strstr(err->text, err->source))
            fprintf(stderr, "chalkwave: %s: %s: %s\n", cmd, err->source, err->text);
        else
            fprintf(stderr, "chalkwave: %s: %s\n", cmd, err->text);
    } else {
        fprintf(stderr, "chalkwave: %s: %s\n", cmd, cw_strerror(code));
    }
    return cw_exit_code(code);
}

void cw_cli_print_diags(const char *cmd, const cw_diags *d)
{
    for (size_t i = 0; d && i < d->n; i++) {
        const cw_diag *g = &d->v[i];
        const char *sev = g->severity == CW_DIAG_ERROR ? "" : "warning: ";
        if (g->line > 0)
            fprintf(stderr, "chalkwave: %s: %s%s:%d: %s\n", cmd, sev, g->file ? g->file : "", g->line, g->text);
        else
            fprintf(stderr, "chalkwave: %s: %s%s: %s\n", cmd, sev, g->file ? g->file : "", g->text);
    }
}

void cw_cli_fmt_length(double s, char out[32])
{
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, 32, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(out, 32, "%ld:%02ld", t / 60, t % 60);
}

int cw_cli_write_stdout(const char *cmd, const cw_buf *b)
{
    if (b->oom) {
        cw_cli_errorf(cmd, "out of memory");
        return CW_EXIT_ENV;
    }
    if (b->len && fwrite(b->data, 1, b->len, stdout) != b->len) {
        cw_cli_errorf(cmd, "cannot write the output");
        return CW_EXIT_ENV;
    }
    if (fflush(stdout) != 0) {
        cw_cli_errorf(cmd, "cannot write the output");
        return CW_EXIT_ENV;
    }
    return CW_EXIT_OK;
}

const char *cw_cli_station_dir(cw_cli *cli)
{
    if (cli->station_opt && *cli->station_opt) return cli->station_opt;
    const char *env = getenv("CHALKWAVE_STATION");
    if (env && *env) return env;
    if (!cli->looked_for_station) {
        cli->looked_for_station = 1;
        cli->found_station = cw_station_discover(".");
    }
    return cli->found_station ? cli->found_station : ".";
}

cw_date cw_cli_today(cw_cli *cli)
{
    time_t now = time(NULL);
    cw_date d = {1970, 1, 1};
    cw_station *st = NULL;
    cw_error err = {0};
    cw_tz *tz = NULL;
    if (!cw_station_load(&st, cw_cli_station_dir(cli), &err) && !cw_tz_open(&tz, st->timezone, &err)) {
        cw_civil c;
        int off;
        cw_tz_to_local(tz, (int64_t)now, &c, &off);
        d = (cw_date){c.year, c.month, c.day};
    } else {
        struct tm tm;
        if (localtime_r(&now, &tm)) d = (cw_date){tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
    }
    cw_tz_free(tz);
    cw_station_free(st);
    return d;
}

int cw_cli_setup(cw_cli *cli, const char *cmd)
{
    if (!(cli->flags & CW_CMD_NEED_STATION) || cli->session) return 0;
    cw_error err = {0};
    int rc = cw_session_open(&cli->session, cw_cli_station_dir(cli), NULL, &err);
    if (rc) return cw_cli_report(cmd, rc, &err);
    if (cli->flags & (CW_CMD_LOCK_SHARED | CW_CMD_LOCK_EXCL)) {
        /* Waits up to 10 minutes: a long ingest holds the lock; a second run queues behind it. */
        rc = cw_session_lock(cli->session, (cli->flags & CW_CMD_LOCK_EXCL) != 0, &err);
        if (rc) return cw_cli_report(cmd, rc, &err);
    }
    rc = cw_session_refresh(cli->session, NULL, &err);
    cw_cli_print_diags(cmd, rc ? cw_session_load_diags(cli->session) : cw_session_diags(cli->session));
    if (rc) return cw_cli_report(cmd, rc, &err);
    return 0;
}

int cw_cli_station(cw_cli *cli, const char *cmd)
{
    if (cli->station) return 0;
    cw_error err = {0};
    int rc = cw_station_load(&cli->station, cw_cli_station_dir(cli), &err);
    if (rc) return cw_cli_report(cmd, rc, &err);
    return 0;
}

int cw_cli_lock(cw_cli *cli, const char *cmd, int exclusive)
{
    if (cli->lock_fd >= 0) return 0;
    int rc = cw_cli_station(cli, cmd);
    if (rc) return rc;
    cw_error err = {0};
    /* Waits up to 10 minutes: a long ingest holds the lock; a second run queues behind it. */
    rc = cw_station_lock(cli->station->dir, exclusive, 600, &cli->lock_fd, &err);
    if (rc) return cw_cli_report(cmd, rc, &err);
    return 0;
}

int cw_cli_opts(cw_cli *cli, const char *cmd, int argc, char **argv, const char ***pos, int *npos, int *rc,
                const char *usage, const char *about, const cw_opt *opts)
{
    *rc = cw_opt_parse(cli, cmd, opts, argc, argv, pos, npos);
    if (*rc) return 1;
    if (cli->help) {
        cw_opt_help(stdout, usage, about, opts);
        return 1;
    }
    return 0;
}

/* ---- main -------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    /* speech renders in a new run of this program (audio/espeak.c), never a fork of it: the
     * desk, air and ingest run threads */
    if (argc == 2 && !strcmp(argv[1], TTS_HELPER_ARG)) {
        if (isatty(STDIN_FILENO)) {
            fprintf(stderr, "chalkwave: %s is chalkwave's own speech helper, not a command (see 'chalkwave speak')\n",
                    TTS_HELPER_ARG);
            return CW_EXIT_USAGE;
        }
        return cw_tts_helper_main();
    }
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        cw_tts_use_helper(exe, TTS_HELPER_ARG);
    }
    cw_cli cli = {.lock_fd = -1, .is_tty = isatty(STDOUT_FILENO)};
    int i = 1;
    /* global options before the command */
    while (i < argc && argv[i][0] == '-') {
        const char *a = argv[i];
        if (!strcmp(a, "--version")) {
            printf("chalkwave %s\n", CW_VERSION);
            return flushed(0, "--version");
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return flushed(0, "--help");
        }
        if (!strcmp(a, "--")) { /* ends the global options: the command follows */
            i++;
            break;
        }
        if (!strcmp(a, "--station") || !strncmp(a, "--station=", 10)) {
            const char *dir = a[9] == '=' ? a + 10 : i + 1 < argc ? argv[++i] : "";
            if (!dir[0]) {
                fprintf(stderr, "chalkwave: --station needs a folder (e.g. --station /srv/radio)\n");
                return CW_EXIT_USAGE;
            }
            cli.station_opt = dir;
            i++;
            continue;
        }
        return unknown_global_option(a);
    }
    if (i >= argc) {
        usage(stderr);
        return CW_EXIT_USAGE;
    }
    const char *name = argv[i];
    char *help_argv[3];
    if (!strcmp(name, "help")) {
        if (i + 1 >= argc) {
            usage(stdout);
            return flushed(0, "help");
        }
        const cw_cmd *c = find_cmd(argv[i + 1]);
        if (!c) return unknown_cmd(argv[i + 1]);
        help_argv[0] = argv[i + 1];
        help_argv[1] = (char *)"--help";
        help_argv[2] = NULL;
        return flushed(c->fn(&cli, 2, help_argv), "help");
    }
    const cw_cmd *c = find_cmd(name);
    if (!c) return unknown_cmd(name);
    cli.flags = c->flags;
    int rc = flushed(c->fn(&cli, argc - i, argv + i), name);
    cw_session_free(cli.session);
    cw_station_unlock(cli.lock_fd);
    cw_station_free(cli.station);
    free(cli.found_station);
    cw_cal_cleanup();
    return rc;
}
