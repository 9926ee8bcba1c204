/* cmd_build.c — `chalkwave build --date DATE [--out DIR]`: plan the day and write its
 * bundle (day.ogg, items/, playlists, guide, SHA256SUMS) through the session, then say how
 * to listen. Guarantees: holds the station lock shared (ingest's exclusive writes wait),
 * the bundle appears atomically; exit codes as documented in --help. */
#include "cli.h"
#include "playlists.h"
#include "scheduler.h"

#include <stdlib.h>
#include <string.h>

int cmd_build(cw_cli *cli, int argc, char **argv)
{
    const char *cmd = "build";
    cw_date date = {0, 0, 0};
    const char *out = NULL;
    int quiet = 0;
    const cw_opt opts[] = {
        {"date", 'd', CW_OPT_DATE, &date, "DATE", "the day to build (YYYY-MM-DD, today, tomorrow, +N; station time)"},
        {"out", 'o', CW_OPT_STRING, &out, "DIR", "bundle folder (default: STATION/out/DATE)"},
        {"quiet", 'q', CW_OPT_FLAG, &quiet, NULL, "print only the bundle folder"},
        {0},
    };
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, cmd, argc, argv, &pos, &npos, &rc, "chalkwave build --date DATE [--out DIR]",
                    "Plan the day and write its bundle: day.ogg (the whole on-air window as one\n"
                    "chained Ogg Vorbis stream, every item at its planned sample), items/ (one file\n"
                    "per item), playlist.m3u8/.xspf/.pls, day.cue, liquidsoap.m3u, plan.json,\n"
                    "schedule.ics, guide.html, guide.txt and SHA256SUMS. The bundle is built beside\n"
                    "the target and swapped in atomically; rebuilding gives identical bytes.",
                    opts))
        return rc;
    if (npos > 0)
        return cw_cli_usagef(cmd, "unexpected argument '%s' (give the day with --date DATE)", pos[0]);
    if (date.year == 0)
        return cw_cli_usagef(cmd, "--date is required (e.g. --date 2026-03-16)");
    if ((rc = cw_cli_setup(cli, cmd)) != 0)
        return rc;
    cw_error err = {0};
    cw_plan *plan = NULL;
    cw_bundle_report rep;
    memset(&rep, 0, sizeof rep);
    int code = cw_session_build(cli->session, date, out, &rep, &plan, &err);
    if (code) {
        cw_bundle_report_free(&rep);
        return cw_cli_report(cmd, code, &err);
    }
    /* library warnings reach the user through the plan's warnings ("library: ...") */
    for (size_t i = 0; i < plan->warnings.n; i++)
        if (plan->warnings.v[i].severity != CW_DIAG_INFO) cw_cli_warnf(cmd, "%s", plan->warnings.v[i].text);
    if (quiet) {
        printf("%s\n", rep.dir);
    } else {
        long secs = plan->rate > 0 ? (long)(rep.day_samples / plan->rate) : 0;
        printf("built %s: %zu item%s, %ld:%02ld:%02ld on air, %zu re-encoded\n", rep.dir, rep.items,
               rep.items == 1 ? "" : "s", secs / 3600, (secs / 60) % 60, secs % 60, rep.reencoded);
        for (size_t i = 0; i < rep.notes.n; i++)
            printf("note: %s\n", rep.notes.v[i]);
        printf("listen: ffplay -nodisp '%s/day.ogg'   (or: vlc '%s/day.ogg')\n", rep.dir, rep.dir);
        printf("check:  chalkwave verify '%s'\n", rep.dir);
    }
    cw_bundle_report_free(&rep);
    cw_plan_free(plan);
    return rc;
}
