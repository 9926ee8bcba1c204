/* cmd_asrun.c — `chalkwave asrun import LOG...`: turn the log of examples/liquidsoap/air.liq
 * (a station playing its bundles with Liquidsoap) into the station's as-run log, so
 * `chalkwave report` proves what aired either way.
 * Guarantees: importing a log twice adds nothing; lines that match no plan item are warnings
 * (exit 0 when something was imported or was there already); a log without any
 * chalkwave-asrun line is refused (exit 1). */
#include "air.h"
#include "cli.h"
#include "session.h"

#include <string.h>

int cmd_asrun(cw_cli *cli, int argc, char **argv)
{
    const char *cmd = "asrun";
    int quiet = 0;
    const cw_opt opts[] = {
        {"quiet", 'q', CW_OPT_FLAG, &quiet, NULL, "print only warnings and errors"},
        {0},
    };
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, cmd, argc, argv, &pos, &npos, &rc, "chalkwave asrun import LOG...",
                    "Read the log Liquidsoap wrote while playing the station's bundles with\n"
                    "examples/liquidsoap/air.liq (its \"chalkwave-asrun\" lines: when each track began\n"
                    "and which bundle item it was) and add what aired to asrun/DATE.jsonl, as\n"
                    "'chalkwave air' does; times when Liquidsoap was not running become gaps.\n"
                    "Importing the same log again adds nothing.",
                    opts))
        return rc;
    if (npos < 1 || strcmp(pos[0], "import") != 0)
        return cw_cli_usagef(cmd, "say what to do: 'chalkwave asrun import LOG...'");
    if (npos < 2)
        return cw_cli_usagef(cmd, "give the Liquidsoap log to import (e.g. 'chalkwave asrun import /var/log/liquidsoap/air.log')");
    if ((rc = cw_cli_setup(cli, cmd)) != 0)
        return rc;
    const cw_station *st = cw_session_station(cli->session);
    int exit = CW_EXIT_OK;
    for (int i = 1; i < npos; i++) {
        cw_error err = {0};
        cw_diags diags = {0};
        size_t added = 0, skipped = 0;
        int code = cw_asrun_import_liquidsoap(st, pos[i], &added, &skipped, &diags, &err);
        cw_cli_print_diags(cmd, &diags);
        cw_diags_free(&diags);
        if (code) {
            int e = cw_cli_report(cmd, code, &err);
            if (e > exit)
                exit = e;
            continue;
        }
        if (!quiet)
            printf("%s: %zu item%s added to the as-run log, %zu already there\n", pos[i], added, added == 1 ? "" : "s",
                   skipped);
    }
    return exit;
}
