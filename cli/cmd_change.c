/* cmd_change.c — `chalkwave change`: what the station changes without the partner's
 * calendar, kept in calendars/station.ics above every partner calendar: hold a series
 * (and release it), restart it at an episode, move or cancel one lesson, list and remove
 * changes. Guarantees: writes under the exclusive station lock, station.ics replaced
 * atomically; a lesson is named by its date and local time (and series when several start
 * then); exit codes as documented in --help. */
#include "calendars.h"
#include "cli.h"
#include "scheduler.h"

#include <stdlib.h>
#include <string.h>

static const char *nz(const char *s) { return s ? s : ""; }

/* "HH:MM" -> minutes, or -1. */
static int parse_hm(const char *s)
{
    if (!s || strlen(s) != 5 || s[2] != ':' || strspn(s, "0123456789:") != 5) return -1;
    int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
    return h < 24 && m < 60 ? h * 60 + m : -1;
}

static int parse_day(cw_cli *cli, const char *cmd, const char *s, cw_date *out)
{
    char why[300];
    if (!cw_date_parse_loose(s, cw_cli_today(cli), out, why, sizeof why)) return 0;
    return cw_cli_usagef(cmd, "%s", why);
}

static void say_plan(cw_date d)
{
    char ds[11];
    cw_date_format(d, ds);
    printf("see: chalkwave plan --date %s\n", ds);
}

static int add_change(cw_cli *cli, const char *cmd, const cw_station_change *c, char **id)
{
    cw_error err = {0};
    int rc = cw_session_change_add(cli->session, c, id, &err);
    return rc ? cw_cli_report(cmd, rc, &err) : 0;
}

/* ---- list ---------------------------------------------------------------------------- */

static void describe(cw_cli *cli, const cw_station_change *x, cw_buf *b)
{
    char a[11], u[11];
    cw_date_format(x->from, a);
    switch (x->action) {
    case CW_CHANGE_HOLD:
        if (x->until.year) cw_date_format(x->until, u);
        cw_buf_printf(b, "hold series '%s' from %s %s%s", x->series, a, x->until.year ? "to " : "until released",
                      x->until.year ? u : "");
        break;
    case CW_CHANGE_RESTART:
        cw_buf_printf(b, "restart series '%s' at episode %d from %s", x->series, x->episode, a);
        break;
    default: {
        cw_tz *tz = NULL;
        cw_error err;
        char o[32] = "", n[32] = "";
        if (!cw_tz_open(&tz, cw_session_station(cli->session)->timezone, &err)) {
            cw_civil c;
            int off;
            cw_tz_to_local(tz, x->orig_start, &c, &off);
            snprintf(o, sizeof o, "%04d-%02d-%02d %02d:%02d", c.year, c.month, c.day, c.hour, c.minute);
            cw_tz_to_local(tz, x->start, &c, &off);
            snprintf(n, sizeof n, "%04d-%02d-%02d %02d:%02d", c.year, c.month, c.day, c.hour, c.minute);
        }
        cw_tz_free(tz);
        if (x->action == CW_CHANGE_MOVE)
            cw_buf_printf(b, "move the lesson of %s (%s, uid %s) to %s", o, x->event_file, x->event_uid, n);
        else
            cw_buf_printf(b, "cancel the lesson of %s (%s, uid %s)", o, x->event_file, x->event_uid);
    }
    }
    if (x->note && x->note[0]) {
        cw_buf_puts(b, " - ");
        cw_buf_put_oneline(b, x->note);
    }
}

static int change_list(cw_cli *cli, const char *cmd)
{
    const cw_station_changes *ch = cw_session_changes(cli->session);
    cw_buf b;
    cw_buf_init(&b);
    if (!ch || !ch->n) cw_buf_puts(&b, "no station changes (calendars/station.ics has none)\n");
    for (size_t i = 0; ch && i < ch->n; i++) {
        cw_buf_printf(&b, "%-36s ", ch->v[i].id);
        describe(cli, &ch->v[i], &b);
        cw_buf_puts(&b, "\n");
    }
    int rc = cw_cli_write_stdout(cmd, &b);
    cw_buf_free(&b);
    return rc;
}

/* ---- hold, release, restart ------------------------------------------------------------- */

static int change_hold(cw_cli *cli, int argc, char **argv, int release)
{
    const char *cmd = release ? "change release" : "change hold";
    cw_date from = {0, 0, 0}, until = {0, 0, 0};
    const char *note = NULL;
    const cw_opt hold_opts[] = {
        {"from", 0, CW_OPT_DATE, &from, "DATE", "first day held (default: today)"},
        {"until", 0, CW_OPT_DATE, &until, "DATE", "last day held (default: until released)"},
        {"note", 0, CW_OPT_STRING, &note, "TEXT", "why (kept in station.ics and shown by 'change list')"},
        {0},
    };
    const cw_opt release_opts[] = {
        {"from", 0, CW_OPT_DATE, &from, "DATE", "first day the series airs again (default: today)"},
        {0},
    };
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, cmd, argc, argv, &pos, &npos, &rc,
                    release ? "chalkwave change release SERIES [--from DATE]"
                            : "chalkwave change hold SERIES [--from DATE] [--until DATE] [--note TEXT]",
                    release ? "End a hold: the series airs again from --from (default today), with the episode\n"
                              "that was due when it was held."
                            : "Hold a series: its lessons from --from (default today) to --until (default: until\n"
                              "'change release') do not air and do not use up episodes, so the series resumes\n"
                              "where it stopped. The slots show as held (a station change) in the plan.",
                    release ? release_opts : hold_opts))
        return rc;
    if (npos != 1) return cw_cli_usagef(cmd, "give the series key (e.g. 'chalkwave %s maths-g5')", cmd);
    if (!from.year) from = cw_cli_today(cli);
    if (until.year && cw_date_cmp(until, from) < 0) return cw_cli_usagef(cmd, "--until is before --from (swap them)");
    if ((rc = cw_cli_setup(cli, cmd)) != 0) return rc;
    char fs[11];
    cw_date_format(from, fs);
    if (!release) {
        cw_station_change c = {.action = CW_CHANGE_HOLD, .series = (char *)pos[0], .from = from, .until = until,
                               .note = (char *)note};
        char *id = NULL;
        if ((rc = add_change(cli, cmd, &c, &id)) != 0) return rc;
        char us[11] = "";
        if (until.year) cw_date_format(until, us);
        printf("held series '%s' from %s %s%s (change %s)\n", pos[0], fs, until.year ? "to " : "until released",
               us, id);
        free(id);
        say_plan(from);
        return 0;
    }
    /* release: every hold of the series in force on or after --from ends the day before */
    const cw_station_changes *ch = cw_session_changes(cli->session);
    size_t n = 0;
    for (size_t i = ch ? ch->n : 0; i-- > 0;) {
        const cw_station_change *x = &ch->v[i];
        if (x->action != CW_CHANGE_HOLD || !cw_series_eq(x->series, pos[0]) ||
            (x->until.year && cw_date_cmp(x->until, from) < 0))
            continue;
        /* x is borrowed until the next session call: keep copies */
        cw_station_change keep = *x;
        keep.id = NULL;
        keep.until = cw_date_add_days(from, -1);
        keep.series = cw_strdup(x->series);
        keep.note = cw_strdup(x->note);
        keep.event_file = keep.event_uid = keep.recurrence_id = NULL; /* a hold names no instance */
        int shorten = cw_date_cmp(x->from, from) < 0;
        char *id = cw_strdup(x->id);
        cw_error err = {0};
        rc = id && keep.series && keep.note ? cw_session_change_remove(cli->session, id, &err)
                                            : cw_fail(&err, CW_ENOMEM, "", 0, "out of memory");
        if (!rc && shorten) rc = cw_session_change_add(cli->session, &keep, NULL, &err);
        free(id);
        free(keep.series);
        free(keep.note);
        if (rc) return cw_cli_report(cmd, rc, &err);
        ch = cw_session_changes(cli->session);
        i = ch ? ch->n : 0; /* the list changed: look again */
        n++;
    }
    if (!n) {
        cw_cli_errorf(cmd, "series '%s' is not held on or after %s (see 'chalkwave change list')", pos[0], fs);
        return CW_EXIT_REFUSED;
    }
    printf("released series '%s': it airs again from %s\n", pos[0], fs);
    say_plan(from);
    return 0;
}

static int change_restart(cw_cli *cli, int argc, char **argv)
{
    const char *cmd = "change restart";
    cw_date from = {0, 0, 0};
    int episode = 0;
    const char *note = NULL;
    const cw_opt opts[] = {
        {"episode", 'e', CW_OPT_INT, &episode, "N", "the episode the series plays on --from"},
        {"from", 0, CW_OPT_DATE, &from, "DATE", "the day it restarts (default: today)"},
        {"note", 0, CW_OPT_STRING, &note, "TEXT", "why"},
        {0},
    };
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, cmd, argc, argv, &pos, &npos, &rc, "chalkwave change restart SERIES --episode N [--from DATE]",
                    "Restart a series: its first lesson on or after --from plays episode N, the next N+1,\n"
                    "and so on (blackouts, holds and cancels still do not use up episodes). For a series\n"
                    "that started before the station joined, or one to repeat from the beginning.",
                    opts))
        return rc;
    if (npos != 1) return cw_cli_usagef(cmd, "give the series key (e.g. 'chalkwave change restart maths-g5 --episode 1')");
    if (episode < 1 || episode > 1000000) return cw_cli_usagef(cmd, "--episode N is required (1 or more)");
    if (!from.year) from = cw_cli_today(cli);
    if ((rc = cw_cli_setup(cli, cmd)) != 0) return rc;
    cw_station_change c = {.action = CW_CHANGE_RESTART, .series = (char *)pos[0], .from = from, .episode = episode,
                           .note = (char *)note};
    char *id = NULL;
    if ((rc = add_change(cli, cmd, &c, &id)) != 0) return rc;
    char fs[11];
    cw_date_format(from, fs);
    printf("series '%s' restarts at episode %d on %s (change %s)\n", pos[0], episode, fs, id);
    free(id);
    say_plan(from);
    return 0;
}

/* ---- move, cancel --------------------------------------------------------------------- */

static int change_slot(cw_cli *cli, int argc, char **argv, int move)
{
    const char *cmd = move ? "change move" : "change cancel";
    const char *series = NULL, *to_time = NULL, *note = NULL;
    cw_date to_date = {0, 0, 0};
    const cw_opt move_opts[] = {
        {"to", 0, CW_OPT_STRING, &to_time, "HH:MM", "the new start (local time)"},
        {"to-date", 0, CW_OPT_DATE, &to_date, "DATE", "the new day (default: the same day)"},
        {"series", 's', CW_OPT_STRING, &series, "KEY", "the lesson's series, when several start at that time"},
        {"note", 0, CW_OPT_STRING, &note, "TEXT", "why"},
        {0},
    };
    const cw_opt cancel_opts[] = {
        {"series", 's', CW_OPT_STRING, &series, "KEY", "the lesson's series, when several start at that time"},
        {"note", 0, CW_OPT_STRING, &note, "TEXT", "why"},
        {0},
    };
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, cmd, argc, argv, &pos, &npos, &rc,
                    move ? "chalkwave change move DATE HH:MM --to HH:MM [--to-date DATE] [--series KEY]"
                         : "chalkwave change cancel DATE HH:MM [--series KEY] [--note TEXT]",
                    move ? "Move one lesson (the one starting at DATE HH:MM, local time) to another time or\n"
                           "day. It keeps its episode and its length, and wins any conflict at its new time."
                         : "Cancel one lesson (the one starting at DATE HH:MM, local time). It does not use up\n"
                           "its episode: the series' next lesson plays it.",
                    move ? move_opts : cancel_opts))
        return rc;
    if (npos != 2)
        return cw_cli_usagef(cmd, "give the lesson's date and start time (e.g. 'chalkwave %s 2026-12-10 10:00%s')", cmd,
                             move ? " --to 14:00" : "");
    cw_date d;
    if ((rc = parse_day(cli, cmd, pos[0], &d)) != 0) return rc;
    int at = parse_hm(pos[1]);
    if (at < 0) return cw_cli_usagef(cmd, "'%s' is not a time (write HH:MM, e.g. 10:00)", pos[1]);
    int new_at = -1;
    if (move) {
        if (!to_time) return cw_cli_usagef(cmd, "--to HH:MM is required (the new start)");
        if ((new_at = parse_hm(to_time)) < 0) return cw_cli_usagef(cmd, "--to '%s' is not a time (write HH:MM)", to_time);
        if (!to_date.year) to_date = d;
    }
    if ((rc = cw_cli_setup(cli, cmd)) != 0) return rc;
    cw_slot_list l = {0};
    cw_error err = {0};
    int code = cw_session_find_slot(cli->session, d, at, series, &l, &err);
    if (code) {
        cw_slot_list_free(&l);
        return cw_cli_report(cmd, code, &err);
    }
    const cw_plan_slot *s = &l.v[0].slot;
    cw_station_change c = {.action = move ? CW_CHANGE_MOVE : CW_CHANGE_CANCEL, .event_file = s->event_file,
                           .event_uid = s->event_uid, .recurrence_id = (char *)nz(s->event_recurrence_id),
                           .orig_start = s->start_utc, .note = (char *)note};
    char when[32];
    if (move) {
        cw_tz *tz = NULL;
        if ((code = cw_tz_open(&tz, cw_session_station(cli->session)->timezone, &err)) != 0) {
            cw_slot_list_free(&l);
            return cw_cli_report(cmd, code, &err);
        }
        cw_civil cv = {to_date.year, to_date.month, to_date.day, new_at / 60, new_at % 60, 0};
        c.start = cw_tz_to_utc(tz, &cv);
        c.end = c.start + (s->end_utc > s->start_utc ? s->end_utc - s->start_utc : 60);
        cw_tz_free(tz);
        snprintf(when, sizeof when, "%04d-%02d-%02d %02d:%02d", to_date.year, to_date.month, to_date.day, new_at / 60,
                 new_at % 60);
    }
    char *id = NULL;
    rc = add_change(cli, cmd, &c, &id);
    if (!rc) {
        printf("%s '%s' (series %s%s%.0d) of %s %s%s%s (change %s)\n", move ? "moved" : "cancelled", s->summary,
               s->series[0] ? s->series : "none", s->episode > 0 ? ", episode " : "", s->episode > 0 ? s->episode : 0,
               pos[0], pos[1], move ? " to " : "", move ? when : "", id);
        say_plan(move ? to_date : d);
    }
    free(id);
    cw_slot_list_free(&l);
    return rc;
}

static int change_remove(cw_cli *cli, int argc, char **argv)
{
    const char *cmd = "change remove";
    static const cw_opt opts[] = {{0}};
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, cmd, argc, argv, &pos, &npos, &rc, "chalkwave change remove ID...",
                    "Remove station changes by id (see 'chalkwave change list'): the partner's calendar\n"
                    "applies again.",
                    opts))
        return rc;
    if (npos < 1) return cw_cli_usagef(cmd, "give the id of a change (see 'chalkwave change list')");
    if ((rc = cw_cli_setup(cli, cmd)) != 0) return rc;
    for (int i = 0; i < npos; i++) {
        cw_error err = {0};
        int code = cw_session_change_remove(cli->session, pos[i], &err);
        if (code) return cw_cli_report(cmd, code == CW_ENOTFOUND ? CW_EINVAL : code, &err);
        printf("removed %s\n", pos[i]);
    }
    return 0;
}

int cmd_change(cw_cli *cli, int argc, char **argv)
{
    static const char usage[] =
        "usage: chalkwave change list\n"
        "       chalkwave change hold SERIES [--from DATE] [--until DATE] [--note TEXT]\n"
        "       chalkwave change release SERIES [--from DATE]\n"
        "       chalkwave change restart SERIES --episode N [--from DATE]\n"
        "       chalkwave change move DATE HH:MM --to HH:MM [--to-date DATE] [--series KEY]\n"
        "       chalkwave change cancel DATE HH:MM [--series KEY]\n"
        "       chalkwave change remove ID...\n\n"
        "The station's own changes, without the partner's calendar: kept in calendars/station.ics\n"
        "(above every partner calendar) and shown in the plan as station changes. What a missed\n"
        "episode does is the [schedule] setting 'missed' (skip or hold).\n\n";
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        FILE *fp = argc < 2 ? stderr : stdout;
        fprintf(fp, "%s%s", usage, cw_cli_exit_codes_help);
        return argc < 2 ? CW_EXIT_USAGE : 0;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "list")) {
        static const cw_opt opts[] = {{0}};
        const char **pos;
        int npos, rc;
        if (cw_cli_opts(cli, "change list", argc - 1, argv + 1, &pos, &npos, &rc, "chalkwave change list",
                        "List the station's changes: id, what, when.", opts))
            return rc;
        if (npos) return cw_cli_usagef("change list", "unexpected argument '%s'", pos[0]);
        cli->flags = CW_CMD_NEED_STATION | CW_CMD_LOCK_SHARED; /* a reader */
        if ((rc = cw_cli_setup(cli, "change list")) != 0) return rc;
        return change_list(cli, "change list");
    }
    if (!strcmp(sub, "hold")) return change_hold(cli, argc - 1, argv + 1, 0);
    if (!strcmp(sub, "release")) return change_hold(cli, argc - 1, argv + 1, 1);
    if (!strcmp(sub, "restart")) return change_restart(cli, argc - 1, argv + 1);
    if (!strcmp(sub, "move")) return change_slot(cli, argc - 1, argv + 1, 1);
    if (!strcmp(sub, "cancel")) return change_slot(cli, argc - 1, argv + 1, 0);
    if (!strcmp(sub, "remove")) return change_remove(cli, argc - 1, argv + 1);
    static const char *const subs[] = {"list", "hold", "release", "restart", "move", "cancel", "remove"};
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (cw_cli_edit_distance(sub, subs[i]) <= 2)
            return cw_cli_usagef("change", "'%s' is not a subcommand (did you mean '%s'? see 'chalkwave change --help')",
                                 sub, subs[i]);
    return cw_cli_usagef("change", "'%s' is not a subcommand (use list, hold, release, restart, move, cancel or remove)",
                         sub);
}
