/* cli.h — what every `chalkwave` command shares: the option table that drives both parsing
 * and --help, the command context, and the one-line reporting helpers.
 * Guarantees: every problem is printed as one line `chalkwave: CMD: what (what to do)` on
 * stderr and every command returns one of the documented exit codes. */
#ifndef CW_CLI_H
#define CW_CLI_H

#include "common.h"
#include "session.h"
#include "station.h"

/* ---- options ----------------------------------------------------------------------- */

typedef enum { CW_OPT_FLAG, CW_OPT_STRING, CW_OPT_INT, CW_OPT_DATE, CW_OPT_DOUBLE, CW_OPT_LIST } cw_opt_type;

typedef struct cw_opt {
    const char *name;   /* long name without "--", e.g. "from" */
    char short_name;    /* 0 for none */
    cw_opt_type type;
    void *value;        /* int* (FLAG: set to 1; INT), const char ** (STRING), cw_date* (DATE), double*,
                         * cw_strlist* (LIST: every occurrence is added; the caller frees it) */
    const char *arg;    /* placeholder shown in help, e.g. "DATE" */
    const char *help;   /* one line */
} cw_opt;

/* Parse argv (argv[0] is the command name). Options may appear anywhere; "--" ends them;
 * "--name=value" and "--name value" both work; a lone "-" is a positional. Positionals are
 * collected into *pos (borrowed argv pointers). "--help"/"-h" sets *help. Every command
 * implicitly accepts --station DIR (stored in ctx). On a usage error prints one line with a
 * suggestion ("did you mean --from?") and returns CW_EXIT_USAGE; 0 otherwise. */
struct cw_cli;
int cw_opt_parse(struct cw_cli *cli, const char *cmd, const cw_opt *opts, int argc, char **argv,
                 const char ***pos, int *npos);
void cw_opt_help(FILE *fp, const char *usage, const char *about, const cw_opt *opts);

/* ---- context ----------------------------------------------------------------------- */

/* Setup a command asks for in the command table (git's RUN_SETUP): done by cw_cli_setup. */
enum {
    CW_CMD_NEED_STATION = 1, /* open the station as a session (cli->session) */
    CW_CMD_LOCK_SHARED = 2,  /* and hold the station lock shared for the command (readers) */
    CW_CMD_LOCK_EXCL = 4     /* or exclusive (writers) */
};

typedef struct cw_cli {
    const char *station_opt; /* --station DIR as given (NULL: env, the station around cwd, cwd) */
    char *found_station;     /* the station the current folder is inside, once looked for */
    int looked_for_station;
    cw_station *station;     /* loaded by cw_cli_station() (commands not on the session yet) */
    cw_session *session;     /* opened by cw_cli_setup() for NEED_STATION commands */
    unsigned flags;          /* the command's CW_CMD_* flags (a command may narrow them) */
    int lock_fd;             /* -1 when not locked */
    int is_tty;              /* stdout is a terminal */
    int help;                /* --help was given */
} cw_cli;

/* The station folder: --station, else $CHALKWAVE_STATION, else the station the current
 * folder is inside (its nearest parent with a station.conf, as git finds its repository),
 * else ".". */
const char *cw_cli_station_dir(cw_cli *cli);
/* Today in the station's zone (the machine's when no station is found), for DATE options. */
cw_date cw_cli_today(cw_cli *cli);
/* The setup cli->flags ask for, after the command checked its arguments: open the session,
 * take the station lock for the rest of the command, load what changed, print the
 * calendars' warnings. Prints the error and returns its exit code on failure, else 0. */
int cw_cli_setup(cw_cli *cli, const char *cmd);

/* Load the station (once). Prints the error and returns its exit code on failure. */
int cw_cli_station(cw_cli *cli, const char *cmd);
/* Take the station lock (exclusive for writers). Prints and returns exit code on failure. */
int cw_cli_lock(cw_cli *cli, const char *cmd, int exclusive);
/* Parse argv with opts (cw_opt_parse) and answer --help (usage, about and the options on
 * stdout). Returns 1 when the command is done, its exit code in *rc (0 after --help, the
 * usage error's code otherwise); 0 to go on, the positionals in *pos and *npos. */
int cw_cli_opts(cw_cli *cli, const char *cmd, int argc, char **argv, const char ***pos, int *npos, int *rc,
                const char *usage, const char *about, const cw_opt *opts);

/* Print `chalkwave: CMD: [SOURCE:LINE: ]TEXT` for err and return cw_exit_code(code). */
int cw_cli_report(const char *cmd, int code, const cw_error *err);
/* Print `chalkwave: CMD: ...` (printf-style) to stderr. */
void cw_cli_errorf(const char *cmd, const char *fmt, ...) CW_PRINTF(2, 3);
/* Print `chalkwave: CMD: ...` (printf-style) to stderr and return CW_EXIT_USAGE: for a
 * command line that cannot be run as given. */
int cw_cli_usagef(const char *cmd, const char *fmt, ...) CW_PRINTF(2, 3);
/* Print `chalkwave: CMD: warning: ...` to stderr. */
void cw_cli_warnf(const char *cmd, const char *fmt, ...) CW_PRINTF(2, 3);
/* Print each calendar diagnostic as `chalkwave: CMD: [warning: ]FILE[:LINE]: TEXT` to stderr
 * (d may be NULL). */
struct cw_diags;
void cw_cli_print_diags(const char *cmd, const struct cw_diags *d);
/* A length in seconds as H:MM:SS, or M:SS under an hour (rounded to the second). */
void cw_cli_fmt_length(double s, char out[32]);
/* Edit distance between a and b, a swap of two neighbours counting as one edit (optimal string
 * alignment); 99 when either is longer than 64 bytes. For "did you mean" suggestions. */
size_t cw_cli_edit_distance(const char *a, const char *b);
/* Write buffer to stdout; returns exit code (3 on a write error such as a closed pipe). */
int cw_cli_write_stdout(const char *cmd, const cw_buf *b);

/* ---- commands ---------------------------------------------------------------------- */

/* Each command is `int cmd_NAME(cw_cli *cli, int argc, char **argv)`, returns an exit code,
 * and handles its own --help (print usage+options+exit codes to stdout, return 0). */
typedef int (*cw_cmd_fn)(cw_cli *cli, int argc, char **argv);

int cmd_init(cw_cli *cli, int argc, char **argv);
int cmd_calendar(cw_cli *cli, int argc, char **argv); /* check | expand | import */
int cmd_ingest(cw_cli *cli, int argc, char **argv);
int cmd_speak(cw_cli *cli, int argc, char **argv);
int cmd_library(cw_cli *cli, int argc, char **argv);
int cmd_plan(cw_cli *cli, int argc, char **argv);
int cmd_build(cw_cli *cli, int argc, char **argv);
int cmd_verify(cw_cli *cli, int argc, char **argv);
int cmd_export(cw_cli *cli, int argc, char **argv);
int cmd_change(cw_cli *cli, int argc, char **argv); /* list | hold | release | restart | move | cancel | remove */
int cmd_serve(cw_cli *cli, int argc, char **argv);   /* the web desk */
int cmd_user(cw_cli *cli, int argc, char **argv);    /* add | passwd | remove | list */
int cmd_teacher(cw_cli *cli, int argc, char **argv); /* add | relink | revoke | list */
int cmd_air(cw_cli *cli, int argc, char **argv);    /* air/ */
int cmd_report(cw_cli *cli, int argc, char **argv); /* air/ */
int cmd_asrun(cw_cli *cli, int argc, char **argv);  /* air/: import */

/* The exit-code paragraph every --help ends with. */
extern const char cw_cli_exit_codes_help[];

#endif
