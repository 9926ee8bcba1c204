/* cmd_report.c — `chalkwave report --from DATE --to DATE [--calendar FILE.ics] [--format
 * html|csv|json] [--out FILE]`: proof of broadcast for partners, from the as-run logs (what
 * aired) and the plans of those days (what was planned, and why a lesson did not air).
 * Guarantees: holds the station lock shared; stdout, or FILE written atomically; a range
 * over 400 days or --from after --to is a usage error. */
#include "air.h"
#include "cli.h"
#include "scheduler.h"
#include "session.h"

#include <stdlib.h>
#include <string.h>

/* The range's plans, made by the session under one lock and one refresh; the report takes
 * each day's plan over. */
typedef struct planner {
    cw_plan **plans;
    size_t n;
    cw_date from;
} planner;

static int plan_day(void *user, cw_date date, cw_plan **out, cw_error *err)
{
    planner *p = user;
    int64_t k = cw_days_from_civil(date.year, date.month, date.day) - cw_days_from_civil(p->from.year, p->from.month, p->from.day);
    if (k < 0 || (size_t)k >= p->n || !p->plans[k])
        return cw_fail(err, CW_EINTERNAL, "", 0, "no plan for that day (please report)");
    *out = p->plans[k];
    p->plans[k] = NULL;
    return 0;
}

int cmd_report(cw_cli *cli, int argc, char **argv)
{
    const char *cmd = "report";
    cw_date from = {0, 0, 0}, to = {0, 0, 0};
    const char *calendar = NULL, *format = "html", *out = NULL;
    const cw_opt opts[] = {
        {"from", 'f', CW_OPT_DATE, &from, "DATE", "first day (YYYY-MM-DD, station time)"},
        {"to", 't', CW_OPT_DATE, &to, "DATE", "last day, included"},
        {"calendar", 'c', CW_OPT_STRING, &calendar, "FILE.ics", "only this partner's calendar (a file in calendars/)"},
        {"format", 0, CW_OPT_STRING, &format, "FORMAT", "html (default: one A4 page per week), csv or json"},
        {"out", 'o', CW_OPT_STRING, &out, "FILE", "write here (atomically) instead of stdout"},
        {0},
    };
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, cmd, argc, argv, &pos, &npos, &rc,
                    "chalkwave report --from DATE --to DATE [--calendar FILE.ics] [--format html|csv|json] [--out FILE]",
                    "Proof of broadcast: every lesson and newsletter a partner calendar planned in the\n"
                    "range and whether it aired (when, how long, complete or cut short and why) or\n"
                    "why not (recording missing, holiday, lost a conflict, station off air, chalkwave\n"
                    "stopped, an output down), with totals per series. What aired comes only from the\n"
                    "as-run logs (asrun/DATE.jsonl, written by 'chalkwave air' or imported with\n"
                    "'chalkwave asrun import'); the plans say what was planned. HTML prints on one A4\n"
                    "page per calendar and week; CSV opens in any spreadsheet.",
                    opts))
        return rc;
    if (npos > 0)
        return cw_cli_usagef(cmd, "unexpected argument '%s' (name the calendar with --calendar)", pos[0]);
    if (from.year == 0 || to.year == 0)
        return cw_cli_usagef(cmd, "--from and --to are required (e.g. --from 2026-03-16 --to 2026-03-22)");
    if (cw_date_cmp(from, to) > 0)
        return cw_cli_usagef(cmd, "--from is after --to (swap them)");
    int64_t ndays = cw_days_from_civil(to.year, to.month, to.day) - cw_days_from_civil(from.year, from.month, from.day) + 1;
    if (ndays > 400)
        return cw_cli_usagef(cmd, "the range has %lld days, at most 400 go in one report (split it)", (long long)ndays);
    cw_report_format fmt;
    if (!strcmp(format, "html"))
        fmt = CW_REPORT_HTML;
    else if (!strcmp(format, "csv"))
        fmt = CW_REPORT_CSV;
    else if (!strcmp(format, "json"))
        fmt = CW_REPORT_JSON;
    else
        return cw_cli_usagef(cmd, "--format is html, csv or json, not '%s'", format);
    if ((rc = cw_cli_setup(cli, cmd)) != 0)
        return rc;
    const cw_station *st = cw_session_station(cli->session);
    if (calendar) {
        const char *base = cw_path_base(calendar);
        char *path = cw_asprintf("%s/calendars/%s", st->dir, base);
        int known = path && cw_path_exists(path);
        free(path);
        if (!known) {
            cw_cli_errorf(cmd, "'%s' is not one of the station's calendars (give a file name in %s/calendars/)", calendar,
                          st->dir);
            return CW_EXIT_REFUSED;
        }
    }
    cw_error err = {0};
    planner pl = {NULL, 0, from};
    cw_diags diags = {0};
    cw_report *r = NULL;
    cw_buf b;
    cw_buf_init(&b);
    int code = cw_session_plans(cli->session, from, to, &pl.plans, &pl.n, &err);
    if (!code) {
        cw_report_opts o = {from, to, calendar, plan_day, &pl};
        code = cw_report_build(&r, st, &o, &diags, &err);
        cw_cli_print_diags(cmd, &diags);
    }
    if (!code && cw_report_write(r, fmt, &b) != 0)
        code = cw_fail(&err, CW_ENOMEM, "", 0, "out of memory");
    if (!code) {
        if (out && strcmp(out, "-") != 0)
            code = cw_write_file_atomic(out, b.data ? b.data : "", b.len, &err);
        else
            rc = cw_cli_write_stdout(cmd, &b);
    }
    if (code)
        rc = cw_cli_report(cmd, code, &err);
    cw_buf_free(&b);
    cw_report_free(r);
    cw_diags_free(&diags);
    cw_session_plans_free(pl.plans, pl.n);
    return rc;
}
