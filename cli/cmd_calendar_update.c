/* cmd_calendar_update.c — `chalkwave calendar update [NAME...]`: fetch every subscription
 * (or those named) again, keep the last good copy when the new one is unusable, and say what
 * changed in the next days: lessons, newsletter slots and holidays added, removed, cancelled or
 * moved, and which built bundles are stale. The work is one library call (cw_calendar_update,
 * session/sub_update.c, shared with the desk); this file parses options and prints.
 * Guarantees: problems on stderr (one line each), the report on stdout; links never appear in
 * the output (host and short hash only); exit 3 only when nothing could be fetched. */
#include "cli.h"
#include "cmd_calendar.h"
#include "session.h"

#include <stdlib.h>
#include <string.h>

typedef struct upd_opts {
    int days, timeout, accept_errors;
    cw_date from;
    const char *format;
} upd_opts;

/* Problems on stderr (one line each), the report on stdout; the exit code. */
static int report(const char *sub, const cw_subup *u, const upd_opts *o)
{
    for (size_t i = 0; i < u->n; i++) {
        const cw_subup_result *r = &u->v[i];
        if (r->changes_error[0])
            cw_cli_warnf(sub, "%s: what changed cannot be said: %s", r->name, r->changes_error);
        if (r->outcome > CW_SUBUP_UPDATED)
            cw_cli_errorf(sub, "%s: %s; %s", r->name, r->why, r->kept);
    }
    int rc = cw_subup_status(u), code = rc == CW_EIO ? CW_EXIT_ENV : rc ? CW_EXIT_REFUSED : 0;
    if (u->stale_unknown)
        cw_cli_warnf(sub, "out of memory: stale bundles are not listed");
    cw_buf b;
    cw_buf_init(&b);
    if (!strcmp(o->format, "json"))
        (void)cw_subup_json(u, &b);
    else
        (void)cw_subup_text(u, &b);
    int wc = cw_cli_write_stdout(sub, &b);
    cw_buf_free(&b);
    return wc ? wc : code;
}

int cal_update(cw_cli *cli, int argc, char **argv)
{
    const char *sub = "calendar update";
    upd_opts o = {14, 60, 0, {0, 0, 0}, "text"};
    const cw_opt opts[] = {
        {"days", 0, CW_OPT_INT, &o.days, "N", "say what changed in the next N days (default 14)"},
        {"from", 0, CW_OPT_DATE, &o.from, "DATE", "the first of those days (default: today, station time)"},
        {"format", 0, CW_OPT_STRING, &o.format, "FMT", "text or json (default: text)"},
        {"timeout", 0, CW_OPT_INT, &o.timeout, "S", "give up on a link after S seconds (default 60)"},
        {"accept-errors", 0, CW_OPT_FLAG, &o.accept_errors, NULL,
         "take a new copy even when some of its events cannot be read (they are skipped)"},
        {0}};
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, sub, argc, argv, &pos, &npos, &rc,
                    "chalkwave calendar update [NAME...] [--days N] [--from DATE] [--format text|json] "
                    "[--timeout S] [--accept-errors]",
                    "Fetch subscribed calendars again (all, or those named). An unchanged calendar\n"
                    "costs one small request (If-None-Match / If-Modified-Since). A new copy that is\n"
                    "empty, a web page (a sign-in page), refused by import's checks or with events\n"
                    "that cannot be read never replaces the last good copy: update says why and\n"
                    "keeps it. Then it says what changed in the next days (added, removed, moved,\n"
                    "cancelled lessons, newsletter slots and holidays, other episodes) and which\n"
                    "built bundles are stale. Safe to run from cron while other commands run.\n"
                    "Exit 3 only when nothing could be fetched (offline); 1 when a new copy was\n"
                    "refused or a server answered with an error.",
                    opts))
        return rc;
    if (o.days < 1 || o.days > 366)
        return cw_cli_usagef(sub, "--days must be between 1 and 366");
    if (o.timeout < 1 || o.timeout > 3600)
        return cw_cli_usagef(sub, "--timeout must be between 1 and 3600 seconds");
    if (strcmp(o.format, "text") && strcmp(o.format, "json"))
        return cw_cli_usagef(sub, "--format must be text or json, not '%s'", o.format);
    int code = cw_cli_station(cli, sub);
    if (code)
        return code;
    cw_subup_opts uo = {pos, (size_t)npos, o.days, o.from, o.timeout, o.accept_errors, 600, NULL, NULL};
    cw_subup u;
    cw_error err;
    cw_error_clear(&err);
    int urc = cw_calendar_update(cli->station->dir, &uo, &u, &err);
    if (urc)
        code = cw_cli_report(sub, urc, &err);
    else if (u.n == 0)
        printf("no subscriptions (follow a partner's published calendar: chalkwave calendar subscribe URL)\n");
    else
        code = report(sub, &u, &o);
    cw_subup_free(&u);
    return code;
}
