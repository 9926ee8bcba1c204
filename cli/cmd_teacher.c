/* cmd_teacher.c — `chalkwave teacher add|relink|revoke|list`: teachers of the desk and their
 * personal links (http://HOST:PORT/t/TOKEN, shown once with a QR code on a terminal).
 * Guarantees: a link is printed only when it is made (only its hash is kept); names,
 * series and languages are checked before anything is written. */
#include "cli.h"
#include "desk.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *const CMD = "teacher";

static void print_link(cw_cli *cli, const char *name, const char *token, const char *listen, int qr)
{
    char *link = cw_desk_teacher_link(cli->station, listen, token);
    if (!link) {
        cw_cli_errorf(CMD, "out of memory");
        return;
    }
    printf("link for %s (shown only now; 'chalkwave teacher relink' makes a new one):\n%s\n", name, link);
    if (qr) {
        cw_buf b;
        cw_buf_init(&b);
        if (cw_desk_qr_terminal(link, cli->is_tty, &b) == 0 && b.data) fputs(b.data, stdout);
        cw_buf_free(&b);
    }
    if (!strncmp(link, "http://127.", 11) || !strncmp(link, "http://localhost", 16))
        cw_cli_warnf(CMD, "this link works only on this computer: run 'chalkwave serve --listen 0.0.0.0:8070' and "
                          "set [desk] url (e.g. url = http://192.168.1.10:8070) so phones can reach it");
    free(link);
}

static int split_series(const char *s, cw_strlist *out)
{
    if (!s) return 0;
    char *copy = cw_strdup(s), *save = NULL;
    if (!copy) return -1;
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ') tok++;
        size_t n = strlen(tok);
        while (n && tok[n - 1] == ' ') tok[--n] = 0;
        if (n && cw_strlist_push(out, tok)) {
            free(copy);
            return -1;
        }
    }
    free(copy);
    return 0;
}

static int teacher_add(cw_cli *cli, int argc, char **argv, int relink)
{
    const char *sub = relink ? "teacher relink" : "teacher add";
    const char *series = NULL, *language = NULL, *listen = NULL;
    int qr = -1, no_qr = 0;
    const cw_opt add_opts[] = {
        {"series", 's', CW_OPT_STRING, &series, "KEY,...", "the series the teacher records (their page lists them)"},
        {"language", 0, CW_OPT_STRING, &language, "L", "the teacher's language code (default: the station's)"},
        {"listen", 0, CW_OPT_STRING, &listen, "ADDR:PORT", "the desk's address when it is not [desk] listen"},
        {"qr", 0, CW_OPT_FLAG, &qr, NULL, "print the QR code even when the output is not a terminal"},
        {"no-qr", 0, CW_OPT_FLAG, &no_qr, NULL, "print no QR code"},
        {0},
    };
    const cw_opt relink_opts[] = {add_opts[2], add_opts[3], add_opts[4], {0}};
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, sub, argc, argv, &pos, &npos, &rc,
                    relink ? "chalkwave teacher relink NAME [--listen ADDR:PORT]"
                           : "chalkwave teacher add NAME [--series KEY,...] [--language L]",
                    relink ? "Make a new personal link for a teacher (the old one stops working)."
                           : "Add a teacher and print their personal link to the desk, with a QR code on a\n"
                             "terminal: the teacher opens it on a phone to upload lessons. Only a hash of the\n"
                             "link is kept, so it is shown once ('chalkwave teacher relink' makes a new one).",
                    relink ? relink_opts : add_opts))
        return rc;
    if (npos != 1) return cw_cli_usagef(sub, "give exactly one teacher name (quote a name with spaces)");
    if ((rc = cw_cli_station(cli, sub)) != 0) return rc;
    cw_strlist sl = {0};
    if (split_series(series, &sl)) {
        cw_cli_errorf(sub, "out of memory");
        return CW_EXIT_ENV;
    }
    char token[CW_DESK_TOKEN_CHARS + 1];
    cw_error err = {0};
    int code = relink ? cw_desk_teacher_relink(cli->station->dir, pos[0], token, &err)
                      : cw_desk_teacher_add(cli->station->dir, pos[0], &sl, language, token, &err);
    cw_strlist_free(&sl);
    if (code) return cw_cli_report(sub, code, &err);
    int show_qr = !no_qr && (qr == 1 || cli->is_tty);
    print_link(cli, pos[0], token, listen, show_qr);
    return 0;
}

static int teacher_revoke(cw_cli *cli, int argc, char **argv)
{
    const char *sub = "teacher revoke";
    const cw_opt opts[] = {{0}};
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, sub, argc, argv, &pos, &npos, &rc, "chalkwave teacher revoke NAME",
                    "Stop a teacher's link from working (their uploads stay; 'relink' gives a new one).", opts))
        return rc;
    if (npos != 1) return cw_cli_usagef(sub, "give exactly one teacher name");
    if ((rc = cw_cli_station(cli, sub)) != 0) return rc;
    cw_error err = {0};
    int code = cw_desk_teacher_revoke(cli->station->dir, pos[0], &err);
    if (code) return cw_cli_report(sub, code, &err);
    printf("revoked the link of '%s'\n", pos[0]);
    return 0;
}

static int teacher_list(cw_cli *cli, int argc, char **argv)
{
    const char *sub = "teacher list";
    const char *format = "text";
    const cw_opt opts[] = {{"format", 0, CW_OPT_STRING, &format, "FMT", "text or json"}, {0}};
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, sub, argc, argv, &pos, &npos, &rc, "chalkwave teacher list [--format text|json]",
                    "List the desk's teachers: name, series, language, whether their link works.", opts))
        return rc;
    if (npos) return cw_cli_usagef(sub, "takes no arguments");
    int json = !strcmp(format, "json");
    if (!json && strcmp(format, "text")) return cw_cli_usagef(sub, "--format must be text or json, not '%s'", format);
    if ((rc = cw_cli_station(cli, sub)) != 0) return rc;
    cw_desk_teacher *v;
    size_t n;
    cw_error err = {0};
    int code = cw_desk_teacher_list(cli->station->dir, &v, &n, &err);
    if (code) return cw_cli_report(sub, code, &err);
    cw_buf b;
    cw_buf_init(&b);
    if (json) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n && arr; i++) {
            json_t *s = json_array();
            for (size_t k = 0; k < v[i].series.n && s; k++) json_array_append_new(s, json_string(v[i].series.v[k]));
            json_array_append_new(arr, json_pack("{s:s, s:o, s:s, s:s, s:b}", "name", v[i].name, "series", s,
                                                 "language", v[i].language, "created", v[i].created, "active",
                                                 !v[i].revoked));
        }
        char *s = arr ? json_dumps(arr, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
        json_decref(arr);
        if (s) {
            cw_buf_puts(&b, s);
            cw_buf_puts(&b, "\n");
        }
        free(s);
    } else if (n == 0) {
        cw_buf_puts(&b, "no teachers yet (add one with 'chalkwave teacher add NAME --series KEY')\n");
    }
    for (size_t i = 0; !json && i < n; i++) {
        cw_buf_put_oneline(&b, v[i].name);
        cw_buf_puts(&b, "\t");
        for (size_t k = 0; k < v[i].series.n; k++) {
            if (k) cw_buf_puts(&b, ",");
            cw_buf_put_oneline(&b, v[i].series.v[k]);
        }
        cw_buf_printf(&b, "\t%s\t%s\n", v[i].language[0] ? v[i].language : "-", v[i].revoked ? "revoked" : "active");
    }
    cw_desk_teachers_free(v, n);
    rc = cw_cli_write_stdout(sub, &b);
    cw_buf_free(&b);
    return rc;
}

int cmd_teacher(cw_cli *cli, int argc, char **argv)
{
    static const char usage[] = "usage: chalkwave teacher add NAME [--series KEY,...] [--language L]\n"
                                "       chalkwave teacher relink NAME\n"
                                "       chalkwave teacher revoke NAME\n"
                                "       chalkwave teacher list [--format text|json]\n\n"
                                "Teachers of the desk ('chalkwave serve') and their personal upload links.\n\n";
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        if (argc < 2)
            return cw_cli_usagef(CMD, "give a subcommand: add, relink, revoke or list (see 'chalkwave teacher --help')");
        printf("%s%s", usage, cw_cli_exit_codes_help);
        return 0;
    }
    if (!strcmp(argv[1], "add")) return teacher_add(cli, argc - 1, argv + 1, 0);
    if (!strcmp(argv[1], "relink")) return teacher_add(cli, argc - 1, argv + 1, 1);
    if (!strcmp(argv[1], "revoke")) return teacher_revoke(cli, argc - 1, argv + 1);
    if (!strcmp(argv[1], "list")) return teacher_list(cli, argc - 1, argv + 1);
    return cw_cli_usagef(CMD, "unknown subcommand '%s' (use add, relink, revoke or list)", argv[1]);
}
