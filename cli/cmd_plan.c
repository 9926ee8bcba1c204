/* cmd_plan.c — `chalkwave plan --date DATE | --from DATE --to DATE [--format text|json]
 * [--missing]`: what airs when, computed from the partner calendars, the library and the
 * station's settings; or the list of recordings the station still needs (its to-do list).
 * Guarantees: reads only (shared station lock); the same inputs print the same bytes;
 * exit codes as documented in --help. */
#include "calendars.h"
#include "cli.h"
#include "scheduler.h"
#include "speak.h"

#include <stdlib.h>
#include <string.h>

#define PLAN_MAX_DAYS 400

/* One missing recording: "series\tepisode\tYYYY-MM-DD HH:MM" -> text or JSON. */
static void missing_line(cw_buf *b, const char *entry, int json, int first)
{
    char series[256] = "", when[64] = "";
    long episode = 0;
    const char *t1 = strchr(entry, '\t'), *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
    if (!t1 || !t2) return;
    snprintf(series, sizeof series, "%.*s", (int)(t1 - entry), entry);
    episode = strtol(t1 + 1, NULL, 10);
    snprintf(when, sizeof when, "%s", t2 + 1);
    if (json) {
        /* series keys come from calendars: escape what JSON needs */
        cw_buf_printf(b, "%s  {\"date\": \"%.10s\", \"time\": \"%s\", \"series\": \"", first ? "" : ",\n", when,
                      strlen(when) > 11 ? when + 11 : "");
        for (const unsigned char *s = (const unsigned char *)series; *s; s++) {
            if (*s == '"' || *s == '\\') cw_buf_printf(b, "\\%c", *s);
            else if (*s < 0x20) cw_buf_printf(b, "\\u%04x", *s);
            else cw_buf_append(b, s, 1);
        }
        cw_buf_printf(b, "\", \"episode\": %ld}", episode);
    } else {
        cw_buf_printf(b, "%s  ", when);
        cw_buf_put_oneline(b, series);
        cw_buf_printf(b, "  episode %ld\n", episode);
    }
}

int cmd_plan(cw_cli *cli, int argc, char **argv)
{
    const char *cmd = "plan";
    cw_date date = {0, 0, 0}, from = {0, 0, 0}, to = {0, 0, 0};
    const char *format = "text";
    int missing = 0;
    const cw_opt opts[] = {
        {"date", 'd', CW_OPT_DATE, &date, "DATE", "the day to plan (YYYY-MM-DD, station time)"},
        {"from", 0, CW_OPT_DATE, &from, "DATE", "first day of a range"},
        {"to", 0, CW_OPT_DATE, &to, "DATE", "last day of a range, included"},
        {"format", 'f', CW_OPT_STRING, &format, "FORMAT", "text (a rundown) or json (the complete plan)"},
        {"missing", 0, CW_OPT_FLAG, &missing, NULL, "list only the recordings missing for the day(s)"},
        {0},
    };
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, cmd, argc, argv, &pos, &npos, &rc,
                    "chalkwave plan --date DATE [--format text|json] [--missing]\n"
                    "       chalkwave plan --from DATE --to DATE [--format text|json] [--missing]",
                    "Show what airs when: the on-air window of each day as an ordered list of items\n"
                    "without gaps (lessons at their exact times, newsletters, fillers, silence), the\n"
                    "recording, the calendar event it serves and every warning (cuts, conflicts,\n"
                    "blackouts, missing recordings). The plan is computed, never stored: the same\n"
                    "calendars, library and settings always give the same plan. --format json prints\n"
                    "the plan JSON (an array of plans for a range). --missing lists the recordings the\n"
                    "calendars ask for that are not in the library yet: the station's to-do list.\n"
                    "The rules are in README.md, \"Calendar to recording\".",
                    opts))
        return rc;
    if (npos > 0)
        return cw_cli_usagef(cmd, "unexpected argument '%s' (give the day with --date DATE)", pos[0]);
    int json = 0;
    if (!strcmp(format, "json")) json = 1;
    else if (strcmp(format, "text"))
        return cw_cli_usagef(cmd, "--format '%s' is not known (use text or json)", format);
    int range = from.year != 0 || to.year != 0;
    if (date.year != 0 && range)
        return cw_cli_usagef(cmd, "give either --date or --from and --to, not both");
    if (!range && date.year == 0)
        return cw_cli_usagef(cmd, "--date is required (e.g. --date 2026-03-16), or --from and --to for several days");
    if (range) {
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
    if ((rc = cw_cli_lock(cli, cmd, 0)) != 0) return rc;
    const cw_station *st = cli->station;
    cw_error err = {0};
    cw_library *lib = NULL;
    cw_calset *cals = NULL;
    cw_diags diags = {0};
    cw_buf out;
    cw_buf_init(&out);
    int code = 0;
    if ((code = cw_library_scan(&lib, st->dir, &err)) != 0) goto fail;
    code = cw_station_calendars(&cals, st, &diags, &err);
    cw_cli_print_diags(cmd, &diags);
    if (code) goto fail;

    size_t days = 0, nmissing = 0;
    if (json && (range || missing)) cw_buf_puts(&out, "[\n");
    for (cw_date d = from; cw_date_cmp(d, to) <= 0; d = cw_date_add_days(d, 1), days++) {
        cw_plan *plan = NULL;
        if ((code = cw_plan_day(&plan, st, cals, lib, d, &err)) != 0) goto fail;
        if (missing) {
            for (size_t i = 0; i < plan->missing.n; i++, nmissing++)
                missing_line(&out, plan->missing.v[i], json, nmissing == 0);
        } else if (json && !range) {
            code = cw_plan_to_json(plan, &out); /* straight into the output: no copy */
        } else if (json) {
            cw_buf one;
            cw_buf_init(&one);
            code = cw_plan_to_json(plan, &one);
            if (!code) {
                if (days) cw_buf_puts(&out, ",\n");
                cw_buf_append(&out, one.data, one.len - 1); /* without its "\n" */
            }
            cw_buf_free(&one);
        } else {
            if (days) cw_buf_puts(&out, "\n");
            code = cw_plan_to_text(plan, &out);
            /* newsletter events whose text is (or will be) spoken */
            cw_speak_day_report srep;
            cw_diags sd = {0};
            if (!code && cw_speak_day_events(st, cals, d, 1, &srep, &sd, &err) == 0)
                for (size_t i = 0; i < sd.n; i++)
                    cw_buf_printf(&out, "  synthesised: %s\n", sd.v[i].text);
            cw_diags_free(&sd);
        }
        cw_plan_free(plan);
        if (code) {
            cw_fail(&err, code, "", 0, "out of memory");
            goto fail;
        }
    }
    if (json && (range || missing)) cw_buf_puts(&out, (missing && nmissing) || (!missing && days) ? "\n]\n" : "]\n");
    if (missing && !json) {
        char a[11], b[11];
        cw_date_format(from, a);
        cw_date_format(to, b);
        if (!nmissing) cw_buf_printf(&out, "no recordings missing from %s to %s\n", a, b);
        else cw_buf_printf(&out, "%zu recording%s missing from %s to %s\n", nmissing, nmissing == 1 ? "" : "s", a, b);
    }
    rc = cw_cli_write_stdout(cmd, &out);
    goto done;
fail:
    rc = cw_cli_report(cmd, code, &err);
done:
    cw_buf_free(&out);
    cw_calset_free(cals);
    cw_diags_free(&diags);
    cw_library_free(lib);
    return rc;
}
