/* cmd_serve.c — `chalkwave serve [--listen ADDR:PORT] [--cert FILE --key FILE]`: run the
 * station desk (desk.h) until SIGINT or SIGTERM, logging one line per request on stderr.
 * Guarantees: the signals are taken by this thread only (sigwait), so the desk's threads
 * never run a handler; the desk is stopped cleanly before exit (jobs cancelled, nothing
 * half-stored); exit 0 after a clean stop. */
#include "cli.h"
#include "desk.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static const char *const CMD = "serve";

static void log_line(void *user, const char *line)
{
    (void)user;
    fprintf(stderr, "chalkwave: serve: %s\n", line);
}

int cmd_serve(cw_cli *cli, int argc, char **argv)
{
    const char *listen = NULL, *cert = NULL, *key = NULL;
    int routes = 0, quiet = 0, threads = 0;
    const cw_opt opts[] = {
        {"listen", 'l', CW_OPT_STRING, &listen, "ADDR:PORT",
         "where to listen (default [desk] listen, 127.0.0.1:8070; 0.0.0.0:8070 for the whole network)"},
        {"cert", 0, CW_OPT_STRING, &cert, "FILE", "TLS certificate (PEM) for https; needs --key"},
        {"key", 0, CW_OPT_STRING, &key, "FILE", "TLS private key (PEM) for https"},
        {"threads", 0, CW_OPT_INT, &threads, "N", "request threads (default 2)"},
        {"quiet", 'q', CW_OPT_FLAG, &quiet, NULL, "no request log on stderr"},
        {"routes", 0, CW_OPT_FLAG, &routes, NULL, "print every address of the desk with who may use it, and exit"},
        {0},
    };
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, CMD, argc, argv, &pos, &npos, &rc,
                    "chalkwave serve [--listen ADDR:PORT] [--cert FILE --key FILE] [--quiet]",
                    "Run the station desk, a web app for teachers (their personal links: upload\n"
                    "lessons from a phone), staff (the week, missing recordings, library, inbox,\n"
                    "calendars, days, teachers, settings; accounts from 'chalkwave user add') and\n"
                    "scripts (the JSON API under /api/). Stops on Ctrl-C or SIGTERM. Without\n"
                    "--listen it answers only on this computer; 0.0.0.0:PORT opens it to the\n"
                    "station's network (use --cert/--key, or a reverse proxy, for https).",
                    opts))
        return rc;
    if (npos > 0) return cw_cli_usagef(CMD, "unexpected argument '%s' (give the address with --listen ADDR:PORT)", pos[0]);
    if (routes) {
        cw_buf b;
        cw_buf_init(&b);
        cw_desk_routes_text(&b);
        rc = cw_cli_write_stdout(CMD, &b);
        cw_buf_free(&b);
        return rc;
    }
    if ((cert != NULL) != (key != NULL)) return cw_cli_usagef(CMD, "give both --cert and --key for https");
    if (threads < 0 || threads > 64) return cw_cli_usagef(CMD, "--threads must be from 1 to 64");
    if ((rc = cw_cli_station(cli, CMD)) != 0) return rc;
    /* block the stop signals before any thread starts: they inherit the mask, and this
     * thread takes the signals with sigwait */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    cw_desk_opts o = {.listen = listen, .cert_path = cert, .key_path = key, .threads = threads,
                      .log = quiet ? NULL : log_line};
    cw_desk *d = NULL;
    cw_error err = {0};
    int code = cw_desk_start(&d, cli->station->dir, &o, &err);
    if (code) return cw_cli_report(CMD, code, &err);
    printf("the desk is at %s (teachers use their personal links; stop with Ctrl-C)\n", cw_desk_address(d));
    fflush(stdout);
    int sig = 0;
    while (sigwait(&stop, &sig) != 0) {
    }
    fprintf(stderr, "chalkwave: serve: %s: stopping\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    cw_desk_stop(d);
    printf("the desk has stopped\n");
    return 0;
}
