/* cmd_plan.c — `chalkwave plan`: what airs when on a day or a range (a rundown, or the plan
 * JSON), or with --missing the chase list: every lesson whose recording has not arrived,
 * with its title, teacher, date and time (text, CSV or JSON), or one ready-to-send message
 * per teacher (--by-teacher). Guarantees: reads only (shared station lock, through the
 * session); the same inputs print the same bytes; exit codes as documented in --help. */
#include "cli.h"
#include "scheduler.h"

#include <stdlib.h>
#include <string.h>

#define PLAN_MAX_DAYS 400
#define MISSING_DEFAULT_DAYS 14

static int write_plans(cw_cli *cli, const char *cmd, cw_date from, cw_date to, int json, int range, cw_buf *out)
{
    cw_plan **plans = NULL;
    size_t n = 0;
    cw_error err = {0};
    int code = cw_session_plans(cli->session, from, to, &plans, &n, &err);
    if (code) return cw_cli_report(cmd, code, &err);
    if (json && range) cw_buf_puts(out, "[\n");
    for (size_t i = 0; i < n && !code; i++) {
        if (json && !range) {
            code = cw_plan_to_json(plans[i], out); /* straight into the output: no copy */
        } else if (json) {
            cw_buf one;
            cw_buf_init(&one);
            code = cw_plan_to_json(plans[i], &one);
            if (!code) {
                if (i) cw_buf_puts(out, ",\n");
                cw_buf_append(out, one.data, one.len - 1); /* without its "\n" */
            }
            cw_buf_free(&one);
        } else {
            if (i) cw_buf_puts(out, "\n");
            code = cw_plan_to_text(plans[i], out);
        }
    }
    if (json && range) cw_buf_puts(out, n ? "\n]\n" : "]\n");
    cw_session_plans_free(plans, n);
    if (code) {
        cw_cli_errorf(cmd, "out of memory");
        return CW_EXIT_ENV;
    }
    return 0;
}

static int write_missing(cw_cli *cli, const char *cmd, cw_date from, cw_date to, cw_chase_format fmt, int by_teacher,
                         cw_buf *out)
{
    cw_slot_list l = {0};
    cw_error err = {0};
    int code = cw_session_missing(cli->session, from, to, &l, &err);
    if (code) {
        cw_slot_list_free(&l);
        return cw_cli_report(cmd, code, &err);
    }
    char a[11], b[11];
    cw_date_format(from, a);
    cw_date_format(to, b);
    if (by_teacher) code = cw_chase_by_teacher(&l, cw_session_station(cli->session), out);
    else code = cw_chase_write(&l, fmt, out);
    if (!code && fmt == CW_CHASE_TEXT) {
        size_t pending = 0;
        for (size_t i = 0; i < l.n; i++) pending += l.v[i].slot.status == CW_SLOT_PENDING;
        if (!l.n)
            cw_buf_printf(out, "no recordings missing from %s to %s\n", a, b);
        else if (!by_teacher)
            cw_buf_printf(out, "%zu recording%s missing from %s to %s%s\n", l.n, l.n == 1 ? "" : "s", a, b,
                          pending ? " (some awaiting approval: listen to them and approve them)" : "");
        else if (pending == l.n)
            cw_buf_printf(out, "every missing recording from %s to %s is awaiting approval (nothing to chase)\n", a, b);
    }
    cw_slot_list_free(&l);
    if (code) {
        cw_cli_errorf(cmd, "out of memory");
        return CW_EXIT_ENV;
    }
    return 0;
}

int cmd_plan(cw_cli *cli, int argc, char **argv)
{
    const char *cmd = "plan";
    cw_date date = {0, 0, 0}, from = {0, 0, 0}, to = {0, 0, 0};
    const char *format = "text";
    int missing = 0, by_teacher = 0;
    const cw_opt opts[] = {
        {"date", 'd', CW_OPT_DATE, &date, "DATE", "the day to plan (YYYY-MM-DD, today, tomorrow, +N; station time)"},
        {"from", 0, CW_OPT_DATE, &from, "DATE", "first day of a range"},
        {"to", 0, CW_OPT_DATE, &to, "DATE", "last day of a range, included"},
        {"format", 'f', CW_OPT_STRING, &format, "FORMAT",
         "text (a rundown) or json (the complete plan); with --missing also csv"},
        {"missing", 0, CW_OPT_FLAG, &missing, NULL,
         "the chase list: lessons whose recordings are missing (default: the next 14 days)"},
        {"by-teacher", 0, CW_OPT_FLAG, &by_teacher, NULL, "with --missing: one ready-to-send message per teacher"},
        {0},
    };
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, cmd, argc, argv, &pos, &npos, &rc,
                    "chalkwave plan --date DATE [--format text|json]\n"
                    "       chalkwave plan --from DATE --to DATE [--format text|json]\n"
                    "       chalkwave plan --missing [--date DATE | --from DATE --to DATE] [--format text|csv|json]\n"
                    "       chalkwave plan --missing --by-teacher [--from DATE --to DATE]",
                    "Show what airs when: the on-air windows of each day as ordered items (lessons at\n"
                    "their exact times, newsletters, fillers, silence; in blocks mode only the\n"
                    "partner events), the recording and calendar event of each, every calendar slot\n"
                    "of the day with what became of it (airs, missing, cancelled, held, ...), and every\n"
                    "warning with its code (cuts, conflicts, blackouts, dead air, missing recordings).\n"
                    "The plan is computed, never stored: the same calendars, library and settings give\n"
                    "the same plan. --format json prints the plan JSON (an array for a range).\n"
                    "--missing lists the lessons whose recordings have not arrived: date, time, lesson,\n"
                    "series and episode, and the teacher to ask (the calendar's Teacher:, else the\n"
                    "teacher of the series' recordings); --format csv for a spreadsheet; --by-teacher\n"
                    "writes one plain-text message per teacher to paste into SMS or WhatsApp.\n"
                    "The rules are in README.md, \"Calendar to recording\".",
                    opts))
        return rc;
    if (npos > 0)
        return cw_cli_usagef(cmd, "unexpected argument '%s' (give the day with --date DATE)", pos[0]);
    if (by_teacher) missing = 1;
    cw_chase_format fmt = CW_CHASE_TEXT;
    int json = 0;
    if (!strcmp(format, "json")) json = 1, fmt = CW_CHASE_JSON;
    else if (!strcmp(format, "csv") && missing) fmt = CW_CHASE_CSV;
    else if (!strcmp(format, "csv"))
        return cw_cli_usagef(cmd, "--format csv is for the chase list (add --missing)");
    else if (strcmp(format, "text"))
        return cw_cli_usagef(cmd, "--format '%s' is not known (use text or json%s)", format, missing ? ", or csv" : "");
    if (by_teacher && fmt != CW_CHASE_TEXT)
        return cw_cli_usagef(cmd, "--by-teacher writes plain-text messages (leave out --format)");
    int range = from.year != 0 || to.year != 0;
    if (date.year != 0 && range)
        return cw_cli_usagef(cmd, "give either --date or --from and --to, not both");
    if (!range && date.year == 0) {
        if (!missing)
            return cw_cli_usagef(cmd, "--date is required (e.g. --date 2026-03-16 or --date today), or --from and --to "
                                 "for several days");
        from = cw_cli_today(cli);
        to = cw_date_add_days(from, MISSING_DEFAULT_DAYS - 1);
        range = 1;
    } else if (range) {
        if (from.year == 0 || to.year == 0)
            return cw_cli_usagef(cmd, "--from and --to go together (e.g. --from 2026-03-16 --to 2026-03-20)");
        if (cw_date_cmp(from, to) > 0)
            return cw_cli_usagef(cmd, "--from is after --to (swap them)");
        int64_t n = cw_days_from_civil(to.year, to.month, to.day) - cw_days_from_civil(from.year, from.month, from.day);
        if (n >= PLAN_MAX_DAYS)
            return cw_cli_usagef(cmd, "the range is longer than %d days (plan it in parts)", PLAN_MAX_DAYS);
    } else {
        from = to = date;
    }
    if ((rc = cw_cli_setup(cli, cmd)) != 0) return rc;
    cw_buf out;
    cw_buf_init(&out);
    rc = missing ? write_missing(cli, cmd, from, to, fmt, by_teacher, &out)
                 : write_plans(cli, cmd, from, to, json, range, &out);
    if (!rc) rc = cw_cli_write_stdout(cmd, &out);
    cw_buf_free(&out);
    return rc;
}
