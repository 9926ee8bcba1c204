/* cmd_calendar.c — `chalkwave calendar check|expand`: validate partner .ics files and list
 * their exact occurrences in a window; the dispatch of every `calendar` subcommand (import,
 * list and remove are in cmd_calendar_station.c, subscribe and unsubscribe in
 * cmd_calendar_sub.c, update in cmd_calendar_update.c).
 * Guarantees: check prints every problem as `FILE:LINE: error|warning: what (what to do)` and
 * exits 1 when an event had to be skipped; output order is deterministic. */
#include "calendars.h"
#include "cli.h"
#include "cmd_calendar.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const CMD = "calendar";

void cal_cli_print_diags(FILE *fp, const cw_diags *d)
{
    for (size_t i = 0; i < d->n; i++) {
        const cw_diag *x = &d->v[i];
        fprintf(fp, "%s:%d: %s: %s\n", x->file, x->line,
                x->severity == CW_DIAG_ERROR ? "error" : "warning", x->text);
    }
}

int cal_cli_refuse_links(const char *cmd, const char **pos, int npos)
{
    for (int i = 0; i < npos; i++)
        if (strstr(pos[i], "://")) {
            char red[400];
            cw_sub_url_redact(pos[i], red, sizeof red);
            return cw_cli_usagef(cmd, "%s is a link, not a file (follow it with: chalkwave calendar subscribe "
                                 "URL)", red);
        }
    return 0;
}

/* The station's zone when a station folder is found (option, environment or cwd). Returns
 * an exit code when a station was asked for explicitly and cannot be loaded. */
int cal_cli_station_zone(cw_cli *cli, const char *cmd, const char **zone)
{
    *zone = NULL;
    const char *dir = cw_cli_station_dir(cli);
    char *conf = cw_path_join(dir, "station.conf");
    int have = conf && cw_path_exists(conf);
    free(conf);
    if (!have && !cli->station_opt)
        return 0;
    int rc = cw_cli_station(cli, cmd);
    if (rc)
        return rc;
    *zone = cli->station->timezone;
    return 0;
}

/* ---- check ------------------------------------------------------------------------- */

/* The station's other calendars (not `skip_name`) into set, quietly: the checked file's
 * series keys are compared with theirs. */
static void add_station_calendars(cw_calset *set, const cw_station *st, const char *skip_name)
{
    char *dir = cw_path_join(st->dir, "calendars");
    for (size_t i = 0; dir && i < st->n_calendars; i++) {
        const cw_partner_calendar *pc = &st->calendars[i];
        if (!strcmp(pc->file, skip_name))
            continue;
        char *path = cw_path_join(dir, pc->file);
        cw_cal_file_opts o = {pc->file, pc->priority, pc->holidays};
        cw_error e;
        if (path && cw_path_exists(path))
            (void)cw_calset_add_file_opts(set, path, &o, NULL, &e);
        free(path);
    }
    free(dir);
}

/* One file: its diagnostics, the series-key typos against the station's calendars, a
 * summary line. Returns its exit code. */
static int check_one(cw_cli *cli, const char *path, const char *zone, int holidays)
{
    const cw_station *st = cli->station;
    const char *base = cw_path_base(path);
    const cw_partner_calendar *pc = st ? cw_station_calendar(st, base) : NULL;
    cw_calset *set = cw_calset_new(zone);
    if (!set) {
        cw_cli_errorf("calendar check", "out of memory");
        return CW_EXIT_ENV;
    }
    cw_diags d = {0};
    cw_error err;
    cw_error_clear(&err);
    cw_cal_file_opts o = {path, pc ? pc->priority : 0, holidays || (pc && pc->holidays)};
    int rc = cw_calset_add_file_opts(set, path, &o, &d, &err), code = 0;
    if (rc == 0) {
        if (st)
            add_station_calendars(set, st, base);
        (void)cw_calset_check_series_keys(set, 0, &d);
    }
    cal_cli_print_diags(stdout, &d);
    cw_cal_file_info info;
    if (rc == 0 && d.errors == 0) {
        printf("%s: ok (%zu warning%s)\n", path, d.warnings, d.warnings == 1 ? "" : "s");
    } else if (rc == 0 && cw_calset_file_info(set, 0, &info) == 0) {
        printf("%s: %zu error%s, %zu warning%s (%zu event%s skipped, %zu used)\n", path, d.errors,
               d.errors == 1 ? "" : "s", d.warnings, d.warnings == 1 ? "" : "s", info.n_skipped,
               info.n_skipped == 1 ? "" : "s", info.n_events);
        code = CW_EXIT_REFUSED;
    } else if (d.errors) {
        printf("%s: %zu error%s, %zu warning%s (the file cannot be used)\n", path, d.errors,
               d.errors == 1 ? "" : "s", d.warnings, d.warnings == 1 ? "" : "s");
        code = CW_EXIT_REFUSED;
    } else {
        code = cw_cli_report("calendar check", rc, &err);
    }
    cw_diags_free(&d);
    cw_calset_free(set);
    return code;
}

static int cal_check(cw_cli *cli, int argc, char **argv)
{
    int holidays = 0;
    const cw_opt opts[] = {
        {"holidays", 0, CW_OPT_FLAG, &holidays, NULL,
         "check it as a public-holidays calendar (all-day events are blackouts)"},
        {0}};
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, "calendar check", argc, argv, &pos, &npos, &rc,
                    "chalkwave calendar check [--holidays] FILE...",
                    "Validate partner calendars (.ics). Every problem is printed as\n"
                    "FILE:LINE: error|warning: what (what to do). What calendar apps write is\n"
                    "read as they read it, with a warning saying what was assumed. An event that\n"
                    "cannot be placed in time is an error: it is skipped (the other events are\n"
                    "used) and check exits 1. Series keys that look like a typo of another key\n"
                    "(in the file or the station's calendars) and a calendar written for another\n"
                    "time zone than the station's are warned about.",
                    opts))
        return rc;
    if (npos < 1)
        return cw_cli_usagef("calendar check", "give at least one .ics file (see 'chalkwave calendar "
                             "check --help')");
    if ((rc = cal_cli_refuse_links("calendar check", pos, npos)) != 0)
        return rc;
    const char *zone;
    if ((rc = cal_cli_station_zone(cli, "calendar check", &zone)) != 0)
        return rc;
    int worst = 0;
    for (int i = 0; i < npos; i++) {
        int code = check_one(cli, pos[i], zone, holidays);
        if (code > worst)
            worst = code;
    }
    fflush(stdout);
    return worst;
}

/* ---- expand ------------------------------------------------------------------------ */

static void fmt_utc(int64_t t, char out[32])
{
    cw_civil c;
    cw_tz_to_local(NULL, t, &c, NULL);
    snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02dZ", c.year, c.month, c.day, c.hour,
             c.minute, c.second);
}

static void fmt_local(const cw_tz *tz, int64_t t, char out[40])
{
    cw_civil c;
    int off;
    cw_tz_to_local(tz, t, &c, &off);
    int a = off < 0 ? -off : off;
    snprintf(out, 40, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", c.year, c.month, c.day,
             c.hour, c.minute, c.second, off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
}

static void put_tsv(cw_buf *b, const cw_occurrence *o, int show_status)
{
    char s[32], e[32];
    if (o->all_day) {
        cw_date_format(o->start_date, s);
        cw_date_format(o->end_date, e);
    } else {
        fmt_utc(o->start, s);
        fmt_utc(o->end, e);
    }
    cw_buf_printf(b, "%s\t%s\t", s, e);
    cw_buf_put_oneline(b, o->uid);
    cw_buf_puts(b, "\t");
    cw_buf_put_oneline(b, o->summary);
    if (show_status)
        cw_buf_puts(b, o->cancelled ? "\tcancelled" : "\tconfirmed");
    cw_buf_puts(b, "\n");
}

static void put_text(cw_buf *b, const cw_tz *tz, const cw_occurrence *o)
{
    static const char *const wd[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    if (o->all_day) {
        char s[16], e[16];
        cw_date_format(o->start_date, s);
        cw_date_format(cw_date_add_days(o->end_date, -1), e);
        if (strcmp(s, e) == 0)
            cw_buf_printf(b, "%s %s  all day      ", s, wd[cw_weekday(o->start_date)]);
        else
            cw_buf_printf(b, "%s %s  all day to %s  ", s, wd[cw_weekday(o->start_date)], e);
    } else {
        cw_civil a, z;
        cw_tz_to_local(tz, o->start, &a, NULL);
        cw_tz_to_local(tz, o->end, &z, NULL);
        cw_date d = {a.year, a.month, a.day};
        char ds[16];
        cw_date_format(d, ds);
        cw_buf_printf(b, "%s %s  %02d:%02d-%02d:%02d%s  ", ds, wd[cw_weekday(d)], a.hour,
                      a.minute, z.hour, z.minute,
                      (z.year != a.year || z.month != a.month || z.day != a.day) ? "+" : " ");
    }
    cw_buf_put_oneline(b, o->summary[0] ? o->summary : "(no title)");
    cw_buf_printf(b, "  [%s", cw_kind_name(o->kind));
    if (o->series[0]) {
        cw_buf_puts(b, " ");
        cw_buf_put_oneline(b, o->series);
    }
    if (o->episode)
        cw_buf_printf(b, " ep %d", o->episode);
    if (o->repeat)
        cw_buf_puts(b, " repeat");
    cw_buf_puts(b, "]");
    if (o->moved)
        cw_buf_puts(b, " (moved)");
    if (o->cancelled)
        cw_buf_puts(b, " (CANCELLED)");
    cw_buf_puts(b, "\n");
}

static json_t *jstr(const char *s)
{
    return json_string(s ? s : "");
}

static json_t *occ_json(const cw_tz *tz, const cw_occurrence *o)
{
    json_t *j = json_object();
    char s[40], e[40];
    if (o->all_day) {
        cw_date_format(o->start_date, s);
        cw_date_format(o->end_date, e);
        json_object_set_new(j, "start", json_string(s));
        json_object_set_new(j, "end", json_string(e));
    } else {
        fmt_utc(o->start, s);
        fmt_utc(o->end, e);
        json_object_set_new(j, "start", json_string(s));
        json_object_set_new(j, "end", json_string(e));
    }
    fmt_local(tz, o->start, s);
    fmt_local(tz, o->end, e);
    json_object_set_new(j, "start_local", json_string(s));
    json_object_set_new(j, "end_local", json_string(e));
    json_object_set_new(j, "all_day", json_boolean(o->all_day));
    json_object_set_new(j, "uid", jstr(o->uid));
    json_object_set_new(j, "summary", jstr(o->summary));
    json_object_set_new(j, "recurrence_id", o->recurrence_id[0] ? json_string(o->recurrence_id)
                                                               : json_null());
    json_t *cats = json_array();
    if (o->categories[0]) {
        char *dup = cw_strdup(o->categories), *save = NULL;
        for (char *t = dup ? strtok_r(dup, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save))
            json_array_append_new(cats, json_string(t));
        free(dup);
    }
    json_object_set_new(j, "categories", cats);
    json_object_set_new(j, "description", jstr(o->description));
    json_object_set_new(j, "location", jstr(o->location));
    json_object_set_new(j, "kind", jstr(cw_kind_name(o->kind)));
    json_object_set_new(j, "series", o->series[0] ? json_string(o->series) : json_null());
    json_object_set_new(j, "episode", o->episode ? json_integer(o->episode) : json_null());
    json_object_set_new(j, "repeat", json_boolean(o->repeat));
    json_object_set_new(j, "teacher", o->teacher[0] ? json_string(o->teacher) : json_null());
    json_object_set_new(j, "language", o->language[0] ? json_string(o->language) : json_null());
    json_object_set_new(j, "attach", o->attach[0] ? json_string(o->attach) : json_null());
    json_object_set_new(j, "cancelled", json_boolean(o->cancelled));
    json_object_set_new(j, "moved", json_boolean(o->moved));
    json_object_set_new(j, "file", jstr(o->file));
    json_object_set_new(j, "line", json_integer(o->line));
    return j;
}

static int cal_expand(cw_cli *cli, int argc, char **argv)
{
    const char *sub = "calendar expand";
    cw_date from = {0, 0, 0}, to = {0, 0, 0};
    const char *tzopt = NULL, *format = "text";
    int include_cancelled = 0;
    const cw_opt opts[] = {
        {"from", 0, CW_OPT_DATE, &from, "DATE", "first day (YYYY-MM-DD, from 00:00 local)"},
        {"to", 0, CW_OPT_DATE, &to, "DATE", "end day (exclusive: up to 00:00 local)"},
        {"tz", 0, CW_OPT_STRING, &tzopt, "ZONE",
         "IANA zone of the window (default: the station's zone, else UTC)"},
        {"format", 0, CW_OPT_STRING, &format, "FMT", "text, tsv or json (default: text)"},
        {"include-cancelled", 0, CW_OPT_FLAG, &include_cancelled, NULL,
         "also list cancelled instances, marked"},
        {0}};
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, sub, argc, argv, &pos, &npos, &rc,
                    "chalkwave calendar expand --from DATE --to DATE [--tz ZONE] "
                    "[--format text|tsv|json] [--include-cancelled] FILE...",
                    "List every occurrence overlapping [from 00:00, to 00:00) local to ZONE,\n"
                    "sorted by start, then UID. tsv: START<TAB>END<TAB>UID<TAB>SUMMARY with UTC\n"
                    "times (2026-03-16T07:00:00Z) or dates for all-day events (end exclusive).\n"
                    "Floating times are read in the station's zone (else ZONE, else UTC).",
                    opts))
        return rc;
    if (from.year == 0 || to.year == 0)
        return cw_cli_usagef(sub, "give --from DATE and --to DATE (e.g. --from 2026-03-16 --to "
                             "2026-03-23)");
    if (cw_date_cmp(to, from) <= 0)
        return cw_cli_usagef(sub, "--to must be after --from (the window is [from, to))");
    if (strcmp(format, "text") && strcmp(format, "tsv") && strcmp(format, "json"))
        return cw_cli_usagef(sub, "--format must be text, tsv or json, not '%s'", format);
    if (npos < 1)
        return cw_cli_usagef(sub, "give at least one .ics file (see 'chalkwave calendar expand --help')");
    if ((rc = cal_cli_refuse_links(sub, pos, npos)) != 0)
        return rc;
    const char *stzone;
    if ((rc = cal_cli_station_zone(cli, sub, &stzone)) != 0)
        return rc;
    const char *wzone = tzopt ? tzopt : stzone ? stzone : "UTC";
    cw_error err;
    cw_error_clear(&err);
    cw_tz *tz = NULL;
    if ((rc = cw_tz_open(&tz, wzone, &err)) != 0)
        return cw_cli_usagef(sub, "unknown time zone '%s' for --tz (use an IANA name such as "
                             "Europe/Paris)", wzone);
    cw_calset *set = cw_calset_new(stzone ? stzone : wzone);
    if (set && !stzone)
        cw_calset_set_zone_warnings(set, 0); /* no station: no zone to warn about */
    if (!set) {
        cw_tz_free(tz);
        cw_cli_errorf(sub, "out of memory");
        return CW_EXIT_ENV;
    }
    int code = 0;
    for (int i = 0; i < npos && code == 0; i++) {
        cw_diags d;
        memset(&d, 0, sizeof d);
        rc = cw_calset_add_file(set, pos[i], cw_path_base(pos[i]), 0, &d, &err);
        cal_cli_print_diags(stderr, &d);
        size_t diag_errors = d.errors;
        cw_diags_free(&d);
        /* one line per problem: no summary after the FILE:LINE diagnostics that say it */
        if (rc)
            code = diag_errors ? cw_exit_code(rc) : cw_cli_report(sub, rc, &err);
    }
    cw_occurrences occ = {0};
    if (code == 0) {
        cw_civil a = {from.year, from.month, from.day, 0, 0, 0};
        cw_civil z = {to.year, to.month, to.day, 0, 0, 0};
        rc = cw_calset_expand(set, cw_tz_to_utc(tz, &a), cw_tz_to_utc(tz, &z),
                              include_cancelled, &occ, &err);
        if (rc)
            code = cw_cli_report(sub, rc, &err);
    }
    if (code == 0) {
        cw_buf b;
        cw_buf_init(&b);
        if (!strcmp(format, "tsv")) {
            for (size_t i = 0; i < occ.n; i++)
                put_tsv(&b, &occ.v[i], include_cancelled);
        } else if (!strcmp(format, "text")) {
            char fs[16], ts[16];
            cw_date_format(from, fs);
            cw_date_format(to, ts);
            cw_buf_printf(&b, "%zu occurrence%s from %s to %s (%s)\n", occ.n,
                          occ.n == 1 ? "" : "s", fs, ts, cw_tz_name(tz));
            for (size_t i = 0; i < occ.n; i++)
                put_text(&b, tz, &occ.v[i]);
        } else {
            json_t *arr = json_array();
            for (size_t i = 0; i < occ.n; i++)
                json_array_append_new(arr, occ_json(tz, &occ.v[i]));
            char *s = json_dumps(arr, JSON_PRESERVE_ORDER | JSON_INDENT(2));
            json_decref(arr);
            if (s) {
                cw_buf_puts(&b, s);
                cw_buf_puts(&b, "\n");
                free(s);
            } else
                b.oom = 1;
        }
        code = cw_cli_write_stdout(sub, &b);
        cw_buf_free(&b);
    }
    cw_occurrences_free(&occ);
    cw_calset_free(set);
    cw_tz_free(tz);
    return code;
}

/* ---- dispatch ---------------------------------------------------------------------- */

int cmd_calendar(cw_cli *cli, int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*fn)(cw_cli *, int, char **);
    } subs[] = {{"check", cal_check}, {"expand", cal_expand}, {"import", cal_import},
                {"list", cal_list}, {"remove", cal_remove}, {"subscribe", cal_subscribe},
                {"update", cal_update}, {"unsubscribe", cal_unsubscribe}};
    const char *usage =
        "usage: chalkwave calendar check [--holidays] FILE...\n"
        "       chalkwave calendar expand --from DATE --to DATE [--tz ZONE] "
        "[--format text|tsv|json] [--include-cancelled] FILE...\n"
        "       chalkwave calendar import FILE... [--priority N] [--holidays | --no-holidays] "
        "[--name NAME]\n"
        "       chalkwave calendar list [--format text|json]\n"
        "       chalkwave calendar remove NAME\n"
        "       chalkwave calendar subscribe URL|- [--name NAME] [--priority N] [--holidays] "
        "[--pin KEY] [--self-signed] [--timeout S]\n"
        "       chalkwave calendar update [NAME...] [--days N] [--from DATE] [--format text|json] "
        "[--timeout S] [--accept-errors]\n"
        "       chalkwave calendar unsubscribe NAME [--remove]\n\n"
        "Partner calendars (.ics from Google Calendar, Outlook, Thunderbird, Apple Calendar).\n"
        "'chalkwave calendar SUBCOMMAND --help' explains each subcommand.\n\n";
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        if (argc < 2)
            return cw_cli_usagef(CMD, "give a subcommand: check, expand, import, list, remove, subscribe, "
                                 "update or unsubscribe (see 'chalkwave calendar --help')");
        printf("%s%s", usage, cw_cli_exit_codes_help);
        return 0;
    }
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++)
        if (!strcmp(argv[1], subs[i].name)) {
            int rc = subs[i].fn(cli, argc - 1, argv + 1);
            cw_cal_cleanup();
            return rc;
        }
    const char *best = NULL;
    size_t bd = 3;
    for (size_t i = 0; i < sizeof subs / sizeof subs[0]; i++) {
        size_t dd = cw_cli_edit_distance(argv[1], subs[i].name);
        if (dd < bd)
            bd = dd, best = subs[i].name;
    }
    const char *said = strstr(argv[1], "://") ? "(a link)" : argv[1]; /* a link is never printed */
    if (best)
        cw_cli_errorf(CMD, "unknown subcommand '%s' (did you mean '%s'? see 'chalkwave calendar "
                      "--help')", said, best);
    else if (strstr(argv[1], "://"))
        cw_cli_errorf(CMD, "a link needs a subcommand first: chalkwave calendar subscribe URL");
    else
        cw_cli_errorf(CMD, "unknown subcommand '%s' (use check, expand, import, list, remove, "
                      "subscribe, update or unsubscribe)", said);
    return CW_EXIT_USAGE;
}
