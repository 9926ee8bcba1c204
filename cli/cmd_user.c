/* cmd_user.c — `chalkwave user add|passwd|remove|list`: the desk's staff accounts.
 * Passwords come from the terminal (not echoed, asked twice) or, with --password-stdin, as
 * one line on standard input; they are hashed with libsodium's crypto_pwhash (desk.h).
 * Guarantees: a password never appears on the command line or in a file; a mistyped
 * repetition changes nothing. */
#include "cli.h"
#include "desk.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static const char *const CMD = "user";

/* One line from fp into buf (without the line end). 0, or -1 at EOF / too long. */
static int read_line(FILE *fp, char *buf, size_t cap)
{
    if (!fgets(buf, (int)cap, fp)) return -1;
    size_t n = strlen(buf);
    if (n == cap - 1 && buf[n - 1] != '\n') return -1;
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = 0;
    return 0;
}

/* Ask on the terminal with echo off. */
static int ask(FILE *tty, const char *prompt, char *buf, size_t cap)
{
    struct termios old, quiet;
    int fd = fileno(tty);
    int have = tcgetattr(fd, &old) == 0;
    if (have) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        quiet.c_lflag |= ECHONL;
        tcsetattr(fd, TCSANOW, &quiet);
    }
    fputs(prompt, tty);
    fflush(tty);
    int rc = read_line(tty, buf, cap);
    if (have) tcsetattr(fd, TCSANOW, &old);
    return rc;
}

static int get_password(const char *sub, const char *name, int from_stdin, char *pw, size_t cap)
{
    if (from_stdin) {
        if (read_line(stdin, pw, cap) != 0) {
            cw_cli_errorf(sub, "no password on standard input (give one line, at most %d bytes)", CW_DESK_PASSWORD_MAX);
            return CW_EXIT_REFUSED;
        }
        return 0;
    }
    FILE *tty = fopen("/dev/tty", "r+");
    if (!tty) return cw_cli_usagef(sub, "no terminal to ask for the password (use --password-stdin)");
    char again[CW_DESK_PASSWORD_MAX + 2];
    char prompt[200];
    snprintf(prompt, sizeof prompt, "password for %s: ", name);
    int rc = ask(tty, prompt, pw, cap) || ask(tty, "the same password again: ", again, sizeof again);
    fclose(tty);
    if (rc) {
        cw_cli_errorf(sub, "no password given");
        return CW_EXIT_REFUSED;
    }
    if (strcmp(pw, again) != 0) {
        memset(again, 0, sizeof again);
        cw_cli_errorf(sub, "the two passwords differ (nothing changed; try again)");
        return CW_EXIT_REFUSED;
    }
    memset(again, 0, sizeof again);
    return 0;
}

static int user_set(cw_cli *cli, int argc, char **argv, int add)
{
    const char *sub = add ? "user add" : "user passwd";
    int from_stdin = 0;
    const cw_opt opts[] = {
        {"password-stdin", 0, CW_OPT_FLAG, &from_stdin, NULL, "read the password as one line from standard input"},
        {0},
    };
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, sub, argc, argv, &pos, &npos, &rc,
                    add ? "chalkwave user add NAME [--password-stdin]" : "chalkwave user passwd NAME [--password-stdin]",
                    add ? "Create a staff account for the desk ('chalkwave serve'). The password (at least\n"
                          "8 characters) is asked twice on the terminal, or read from standard input."
                        : "Give a staff account a new password; the user's logins end.",
                    opts))
        return rc;
    if (npos != 1) return cw_cli_usagef(sub, "give exactly one user name (e.g. 'chalkwave %s amina')", sub + 5);
    if (!cw_desk_name_valid(pos[0])) {
        cw_cli_errorf(sub, "'%s' cannot be a user name (use 1-64 characters, no control characters and none of "
                           "/ \\ \" < >)", pos[0]);
        return CW_EXIT_REFUSED;
    }
    if ((rc = cw_cli_station(cli, sub)) != 0) return rc;
    char pw[CW_DESK_PASSWORD_MAX + 2];
    if ((rc = get_password(sub, pos[0], from_stdin, pw, sizeof pw)) != 0) return rc;
    cw_error err = {0};
    int code = add ? cw_desk_user_add(cli->station->dir, pos[0], pw, &err)
                   : cw_desk_user_passwd(cli->station->dir, pos[0], pw, &err);
    memset(pw, 0, sizeof pw);
    if (code) return cw_cli_report(sub, code, &err);
    printf(add ? "added user '%s': log in at the desk ('chalkwave serve')\n" : "new password for '%s'\n", pos[0]);
    return 0;
}

static int user_remove(cw_cli *cli, int argc, char **argv)
{
    const char *sub = "user remove";
    const cw_opt opts[] = {{0}};
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, sub, argc, argv, &pos, &npos, &rc, "chalkwave user remove NAME",
                    "Remove a staff account; its logins end at once.", opts))
        return rc;
    if (npos != 1) return cw_cli_usagef(sub, "give exactly one user name");
    if ((rc = cw_cli_station(cli, sub)) != 0) return rc;
    cw_error err = {0};
    int code = cw_desk_user_remove(cli->station->dir, pos[0], &err);
    if (code) return cw_cli_report(sub, code, &err);
    printf("removed user '%s'\n", pos[0]);
    return 0;
}

static int user_list(cw_cli *cli, int argc, char **argv)
{
    const char *sub = "user list";
    const cw_opt opts[] = {{0}};
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, sub, argc, argv, &pos, &npos, &rc, "chalkwave user list", "List the desk's staff accounts.",
                    opts))
        return rc;
    if (npos) return cw_cli_usagef(sub, "takes no arguments");
    if ((rc = cw_cli_station(cli, sub)) != 0) return rc;
    cw_desk_user *v;
    size_t n;
    cw_error err = {0};
    int code = cw_desk_user_list(cli->station->dir, &v, &n, &err);
    if (code) return cw_cli_report(sub, code, &err);
    cw_buf b;
    cw_buf_init(&b);
    if (n == 0) cw_buf_puts(&b, "no users yet (add one with 'chalkwave user add NAME')\n");
    for (size_t i = 0; i < n; i++) {
        cw_buf_put_oneline(&b, v[i].name);
        cw_buf_printf(&b, "\tsince %s\n", v[i].created);
    }
    cw_desk_users_free(v, n);
    rc = cw_cli_write_stdout(sub, &b);
    cw_buf_free(&b);
    return rc;
}

int cmd_user(cw_cli *cli, int argc, char **argv)
{
    static const char usage[] = "usage: chalkwave user add NAME [--password-stdin]\n"
                                "       chalkwave user passwd NAME [--password-stdin]\n"
                                "       chalkwave user remove NAME\n"
                                "       chalkwave user list\n\n"
                                "Staff accounts of the desk ('chalkwave serve'), kept in STATION/desk/users.json\n"
                                "(passwords hashed with libsodium's crypto_pwhash).\n\n";
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        if (argc < 2) return cw_cli_usagef(CMD, "give a subcommand: add, passwd, remove or list (see 'chalkwave user --help')");
        printf("%s%s", usage, cw_cli_exit_codes_help);
        return 0;
    }
    if (!strcmp(argv[1], "add")) return user_set(cli, argc - 1, argv + 1, 1);
    if (!strcmp(argv[1], "passwd")) return user_set(cli, argc - 1, argv + 1, 0);
    if (!strcmp(argv[1], "remove")) return user_remove(cli, argc - 1, argv + 1);
    if (!strcmp(argv[1], "list")) return user_list(cli, argc - 1, argv + 1);
    return cw_cli_usagef(CMD, "unknown subcommand '%s' (use add, passwd, remove or list)", argv[1]);
}
