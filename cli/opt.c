/* opt.c — one option table drives parsing and --help for every command (after libgit2's
 * cli/opt.c). Guarantees: unknown or malformed options are usage errors (exit 2) printed as
 * one line with a suggestion; "--" ends options so files like "-lesson.wav" work. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char cw_cli_exit_codes_help[] =
    "Exit codes: 0 success, 1 the input was refused (validation), 2 usage error,\n"
    "            3 environment or I/O failure.\n";

static const char *suggest(const cw_opt *opts, const char *name)
{
    const char *best = NULL;
    size_t bestd = 3;
    if (cw_cli_edit_distance(name, "station") < bestd) {
        best = "station";
        bestd = cw_cli_edit_distance(name, "station");
    }
    for (const cw_opt *o = opts; o && o->name; o++) {
        size_t d = cw_cli_edit_distance(name, o->name);
        if (d < bestd || (strlen(name) >= 3 && !strncmp(o->name, name, strlen(name)) && bestd > 1)) {
            best = o->name;
            bestd = d < bestd ? d : 1;
        }
    }
    return best;
}

static int set_value(cw_cli *cli, const char *cmd, const cw_opt *o, const char *v)
{
    char *end;
    switch (o->type) {
    case CW_OPT_FLAG:
        *(int *)o->value = 1;
        return 0;
    case CW_OPT_STRING:
        *(const char **)o->value = v;
        return 0;
    case CW_OPT_INT: {
        errno = 0;
        long x = strtol(v, &end, 10);
        if (errno || end == v || *end || x < -1000000000L || x > 1000000000L)
            return cw_cli_usagef(cmd, "--%s needs a whole number, not '%s' (see 'chalkwave %s --help')", o->name, v,
                                 cmd);
        *(int *)o->value = (int)x;
        return 0;
    }
    case CW_OPT_DOUBLE: {
        errno = 0;
        double x = strtod(v, &end);
        if (errno || end == v || *end || !isfinite(x))
            return cw_cli_usagef(cmd, "--%s needs a number, not '%s' (see 'chalkwave %s --help')", o->name, v, cmd);
        *(double *)o->value = x;
        return 0;
    }
    case CW_OPT_DATE: {
        if (!cw_date_parse(v, (cw_date *)o->value)) return 0;
        /* words and +N are days in the station's zone; anything else gets what to write */
        char why[300];
        if (!cw_date_parse_loose(v, cw_cli_today(cli), (cw_date *)o->value, why, sizeof why)) return 0;
        return cw_cli_usagef(cmd, "--%s %s", o->name, why);
    }
    case CW_OPT_LIST:
        if (cw_strlist_push((cw_strlist *)o->value, v)) {
            cw_cli_errorf(cmd, "out of memory");
            return CW_EXIT_ENV;
        }
        return 0;
    }
    return CW_EXIT_USAGE;
}

static const char **kept[16];
static int n_kept;

static void free_kept(void)
{
    for (int i = 0; i < n_kept; i++) free(kept[i]);
    n_kept = 0;
}

static int remember(const char **p)
{
    if (n_kept == (int)(sizeof kept / sizeof kept[0])) return 0;
    if (n_kept == 0) atexit(free_kept);
    kept[n_kept++] = p;
    return 1;
}

int cw_opt_parse(cw_cli *cli, const char *cmd, const cw_opt *opts, int argc, char **argv, const char ***pos,
                 int *npos)
{
    static const char *empty[1];
    *npos = 0;
    *pos = empty;
    const char **p = calloc((size_t)argc + 1, sizeof *p);
    if (!p) {
        cw_cli_errorf(cmd, "out of memory");
        return CW_EXIT_ENV;
    }
    /* The positional array lives until exit (freed by an atexit hook), so commands never
     * have to free it, even when they parse twice (subcommands). */
    if (!remember(p)) {
        free(p);
        cw_cli_errorf(cmd, "out of memory");
        return CW_EXIT_ENV;
    }
    /* --station first, wherever it is: "today" is a day in the station's zone */
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
        if (!strncmp(argv[i], "--station=", 10) && argv[i][10]) cli->station_opt = argv[i] + 10;
        else if (!strcmp(argv[i], "--station") && i + 1 < argc && argv[i + 1][0]) cli->station_opt = argv[++i];
    }
    int only_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_pos || a[0] != '-' || a[1] == 0) {
            p[(*npos)++] = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            only_pos = 1;
            continue;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            cli->help = 1;
            continue;
        }
        const cw_opt *o = NULL;
        const char *val = NULL;
        char name[64];
        if (a[1] == '-') {
            const char *eq = strchr(a + 2, '=');
            size_t n = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
            if (n >= sizeof name) n = sizeof name - 1;
            memcpy(name, a + 2, n);
            name[n] = 0;
            if (eq) val = eq + 1;
            if (!strcmp(name, "station")) {
                if (!val) {
                    if (i + 1 >= argc)
                        return cw_cli_usagef(cmd, "--station needs a folder (e.g. --station /srv/radio)");
                    val = argv[++i];
                }
                if (!*val)
                    return cw_cli_usagef(cmd, "--station needs a folder (e.g. --station /srv/radio)");
                cli->station_opt = val;
                continue;
            }
            for (const cw_opt *q = opts; q && q->name; q++)
                if (!strcmp(q->name, name)) o = q;
        } else {
            snprintf(name, sizeof name, "%c", a[1]);
            for (const cw_opt *q = opts; q && q->name; q++)
                if (q->short_name && q->short_name == a[1]) o = q;
            if (o && a[2]) {
                if (o->type == CW_OPT_FLAG) o = NULL; /* no bundling of flags */
                else val = a + 2;
            }
        }
        if (!o) {
            const char *s = suggest(opts, name);
            if (s)
                cw_cli_errorf(cmd, "unknown option '%s' (did you mean --%s? see 'chalkwave %s --help')", a, s, cmd);
            else
                cw_cli_errorf(cmd, "unknown option '%s' (see 'chalkwave %s --help'; put '--' before file names that start with '-')",
                              a, cmd);
            return CW_EXIT_USAGE;
        }
        if (o->type == CW_OPT_FLAG) {
            if (val)
                return cw_cli_usagef(cmd, "--%s takes no value", o->name);
        } else if (!val) {
            if (i + 1 >= argc)
                return cw_cli_usagef(cmd, "--%s needs a value (%s)", o->name, o->arg ? o->arg : "see --help");
            val = argv[++i];
        }
        int rc = set_value(cli, cmd, o, val);
        if (rc) return rc;
    }
    *pos = p;
    return 0;
}

void cw_opt_help(FILE *fp, const char *usage, const char *about, const cw_opt *opts)
{
    fprintf(fp, "usage: %s\n\n%s\n\nOptions:\n", usage, about);
    for (const cw_opt *o = opts; o && o->name; o++) {
        char left[64];
        if (o->short_name)
            snprintf(left, sizeof left, "-%c, --%s%s%s", o->short_name, o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        else
            snprintf(left, sizeof left, "    --%s%s%s", o->name, o->arg ? " " : "", o->arg ? o->arg : "");
        fprintf(fp, "  %-28s %s\n", left, o->help);
    }
    fprintf(fp, "  %-28s %s\n", "    --station DIR",
            "station folder (default: $CHALKWAVE_STATION, else the station the current folder is in)");
    fprintf(fp, "  %-28s %s\n", "-h, --help", "show this help");
    fprintf(fp, "\n%s", cw_cli_exit_codes_help);
}
