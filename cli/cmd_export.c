/* cmd_export.c — `chalkwave export --from DATE --to DATE [--out FILE]`: plan every day of
 * the range (through the session) and write the station's broadcast schedule as iCalendar.
 * Guarantees: stdout, or FILE written atomically; the same inputs give the same bytes. */
#include "cli.h"
#include "playlists.h"
#include "scheduler.h"

#include <stdlib.h>
#include <string.h>

#define EXPORT_MAX_DAYS 400

int cmd_export(cw_cli *cli, int argc, char **argv)
{
    const char *cmd = "export";
    cw_date from = {0, 0, 0}, to = {0, 0, 0};
    const char *out = NULL;
    const cw_opt opts[] = {
        {"from", 'f', CW_OPT_DATE, &from, "DATE", "first day (YYYY-MM-DD, station time)"},
        {"to", 't', CW_OPT_DATE, &to, "DATE", "last day, included"},
        {"out", 'o', CW_OPT_STRING, &out, "FILE", "write here (atomically) instead of stdout"},
        {0},
    };
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, cmd, argc, argv, &pos, &npos, &rc, "chalkwave export --from DATE --to DATE [--out FILE]",
                    "Plan every day from --from to --to and write what airs (lessons and\n"
                    "newsletters) as an iCalendar file for schools and parents. Event UIDs stay\n"
                    "the same across re-exports.",
                    opts))
        return rc;
    if (npos > 0)
        return cw_cli_usagef(cmd, "unexpected argument '%s'", pos[0]);
    if (from.year == 0 || to.year == 0)
        return cw_cli_usagef(cmd, "--from and --to are required (e.g. --from 2026-03-16 --to 2026-03-20)");
    if (cw_date_cmp(from, to) > 0)
        return cw_cli_usagef(cmd, "--from is after --to (swap them)");
    int64_t ndays = cw_days_from_civil(to.year, to.month, to.day) -
                    cw_days_from_civil(from.year, from.month, from.day) + 1;
    if (ndays > EXPORT_MAX_DAYS) {
        /* a range the user typed: a usage error (exit 2), as for `plan --from/--to` */
        return cw_cli_usagef(cmd, "the range has %lld days, at most %d are exported at once (split it)",
                             (long long)ndays, EXPORT_MAX_DAYS);
    }
    if ((rc = cw_cli_setup(cli, cmd)) != 0)
        return rc;
    cw_error err = {0};
    cw_plan **plans = NULL;
    size_t n = 0;
    char *ics = NULL;
    size_t ics_len = 0;
    int code = cw_session_plans(cli->session, from, to, &plans, &n, &err);
    if (!code) code = cw_plans_to_ics(cw_session_station(cli->session), plans, n, &ics, &ics_len, &err);
    if (code) {
        rc = cw_cli_report(cmd, code, &err);
    } else if (out && strcmp(out, "-") != 0) {
        if ((code = cw_write_file_atomic(out, ics, ics_len, &err)) != 0)
            rc = cw_cli_report(cmd, code, &err);
        else
            fprintf(stderr, "chalkwave: export: wrote %s (%lld day%s)\n", out, (long long)ndays, ndays == 1 ? "" : "s");
    } else {
        cw_buf b = {ics, ics_len, ics_len, 0};
        rc = cw_cli_write_stdout(cmd, &b);
    }
    free(ics);
    cw_session_plans_free(plans, n);
    return rc;
}
