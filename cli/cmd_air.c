/* cmd_air.c — `chalkwave air`: play the station's days by the wall clock to Icecast and
 * sound-card outputs until stopped (SIGINT/SIGTERM), writing the as-run log. With
 * --build-ahead a missing bundle is built by a child `chalkwave build` (its own process, its
 * own station lock; a stop ends it).
 * Guarantees: refuses a second air on the same station (exit 3); a bad output URL is a usage
 * error (exit 2) before anything starts; exit 0 after a clean stop. */
#include "air.h"
#include "cli.h"
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

typedef struct air_cli {
    const cw_station *st;
    int quiet;
    char exe[PATH_MAX];
} air_cli;

static void log_line(void *user, int64_t wall_ns, const cw_diag *d)
{
    air_cli *c = user;
    if (c->quiet && d->severity == CW_DIAG_INFO)
        return;
    time_t t = (time_t)(wall_ns / 1000000000LL);
    struct tm tm;
    char when[32] = "";
    if (localtime_r(&t, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    fprintf(stderr, "chalkwave: air: %s %s%s\n", when,
            d->severity == CW_DIAG_ERROR ? "error: " : d->severity == CW_DIAG_WARNING ? "warning: " : "", d->text);
}

/* --build-ahead: `chalkwave --station DIR build --date DATE --quiet` as a child process. */
static int build_day(void *user, cw_date date, cw_error *err)
{
    air_cli *c = user;
    char ds[11];
    cw_date_format(date, ds);
    char *args[] = {c->exe, (char *)"--station", c->st->dir, (char *)"build", (char *)"--date", ds, (char *)"--quiet", NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    pid_t pid;
    int rc = posix_spawn(&pid, c->exe, &fa, NULL, args, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return cw_fail(err, CW_EIO, "", 0, "cannot start 'chalkwave build': %s", strerror(rc));
    int status = 0;
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR)
            return cw_fail(err, CW_EIO, "", 0, "lost the 'chalkwave build' process: %s", strerror(errno));
        if (stop_flag) {
            kill(pid, SIGTERM);
            waitpid(pid, &status, 0);
            return cw_fail(err, CW_ECANCELLED, "", 0, "the build of %s was stopped with air", ds);
        }
        struct timespec ts = {0, 200 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return cw_fail(err, CW_EIO, "", 0, "'chalkwave build --date %s' failed (exit %d; its message is above)", ds,
                       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return 0;
}

int cmd_air(cw_cli *cli, int argc, char **argv)
{
    const char *cmd = "air";
    cw_strlist urls = {0};
    int build_ahead = 0, quiet = 0;
    const char *between = NULL;
    const cw_opt opts[] = {
        {"output", 'o', CW_OPT_LIST, &urls, "URL",
         "icecast://USER:PASS@HOST:PORT/MOUNT, icy://... or alsa:DEVICE (repeat for several)"},
        {"build-ahead", 0, CW_OPT_FLAG, &build_ahead, NULL, "build today's and tomorrow's bundle when missing"},
        {"between", 0, CW_OPT_STRING, &between, "WHAT", "between windows: silence (default) or nothing"},
        {"quiet", 'q', CW_OPT_FLAG, &quiet, NULL, "print only warnings and errors"},
        {0},
    };
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, cmd, argc, argv, &pos, &npos, &rc,
                    "chalkwave air [--output URL]... [--build-ahead] [--between silence|nothing]",
                    "Play the station's days by the wall clock until stopped (Ctrl-C or SIGTERM): each\n"
                    "day's bundle (out/DATE/day.ogg) from the right sample when started mid-day, every\n"
                    "item at its planned instant. Icecast gets the bundle's Ogg pages as they are (the\n"
                    "item's title and teacher show on the mount); a sound card gets the decoded audio,\n"
                    "its clock steered to the system clock. A failed output is retried while the others\n"
                    "go on; a missing or damaged bundle plays the emergency filler ([air] emergency, else\n"
                    "the library's fillers). Everything that aired goes to asrun/DATE.jsonl. Outputs come\n"
                    "from --output, else from 'outputs' in [air] of station.conf; an empty password is\n"
                    "read from $CHALKWAVE_ICECAST_PASSWORD. One air per station.",
                    opts)) {
        cw_strlist_free(&urls);
        return rc;
    }
    if (npos > 0) {
        cw_strlist_free(&urls);
        return cw_cli_usagef(cmd, "unexpected argument '%s' (give outputs with --output URL)", pos[0]);
    }
    if (between && strcmp(between, "silence") != 0 && strcmp(between, "nothing") != 0) {
        cw_strlist_free(&urls);
        return cw_cli_usagef(cmd, "--between is silence or nothing, not '%s'", between);
    }
    if ((rc = cw_cli_setup(cli, cmd)) != 0) { /* the station (no lock: air holds its own) */
        cw_strlist_free(&urls);
        return rc;
    }
    const cw_station *st = cw_session_station(cli->session);
    const cw_strlist *src = urls.n ? &urls : &st->air_outputs;
    if (!src->n) {
        cw_strlist_free(&urls);
        return cw_cli_usagef(cmd, "no output to play to (give --output alsa:default or --output icecast://..., or set "
                                  "'outputs' in [air] of station.conf)");
    }
    cw_air_output_spec *specs = calloc(src->n, sizeof *specs);
    if (!specs) {
        cw_strlist_free(&urls);
        cw_cli_errorf(cmd, "out of memory");
        return CW_EXIT_ENV;
    }
    cw_error err = {0};
    for (size_t i = 0; i < src->n; i++) {
        if (cw_air_output_parse(&specs[i], src->v[i], &err) != 0) {
            rc = urls.n ? cw_cli_usagef(cmd, "%s", err.text) : cw_cli_report(cmd, CW_EINVAL, &err);
            free(specs);
            cw_strlist_free(&urls);
            return rc;
        }
        for (size_t k = 0; k < i; k++)
            if (!strcmp(specs[k].display, specs[i].display)) {
                rc = cw_cli_usagef(cmd, "output '%s' is given twice", specs[i].display);
                free(specs); /* after the message: it names the output from specs */
                cw_strlist_free(&urls);
                return rc;
            }
    }
    air_cli ac = {st, quiet, ""};
    ssize_t n = readlink("/proc/self/exe", ac.exe, sizeof ac.exe - 1);
    ac.exe[n > 0 ? n : 0] = 0;
    cw_air_opts o = {0};
    o.outputs = specs;
    o.n_outputs = src->n;
    o.between_nothing = between ? !strcmp(between, "nothing") : st->air_between_nothing;
    o.retry_max = st->air_retry_max;
    o.build = (build_ahead || st->air_build_ahead) && ac.exe[0] ? build_day : NULL;
    o.build_user = &ac;
    o.log = log_line;
    o.log_user = &ac;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    /* playout runs beside builds and ingests on an old laptop: ask for a better place in the
     * queue for the CPU (allowed for root or with CAP_SYS_NICE; otherwise nothing changes) */
    if (getpriority(PRIO_PROCESS, 0) > -10)
        (void)setpriority(PRIO_PROCESS, 0, -10);
    cw_air *a = NULL;
    int code = cw_air_new(&a, st, &o, &err);
    if (!code)
        code = cw_air_run(a, &stop_flag, &err);
    cw_air_free(a);
    free(specs);
    cw_strlist_free(&urls);
    if (code)
        return cw_cli_report(cmd, code, &err);
    return CW_EXIT_OK;
}
