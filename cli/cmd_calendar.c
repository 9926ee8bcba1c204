/* cmd_calendar.c — `chalkwave calendar check|expand|import`: validate partner .ics files,
 * list their exact occurrences in a window, and copy valid ones into the station.
 * Guarantees: check prints every problem as `FILE:LINE: error|warning: what (what to do)`;
 * import changes nothing unless every file is valid; output order is deterministic. */
#include "calendars.h"
#include "cli.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const CMD = "calendar";

static void print_diags(FILE *fp, const cw_diags *d)
{
    for (size_t i = 0; i < d->n; i++) {
        const cw_diag *x = &d->v[i];
        fprintf(fp, "%s:%d: %s: %s\n", x->file, x->line,
                x->severity == CW_DIAG_ERROR ? "error" : "warning", x->text);
    }
}

/* The station's zone when a station folder is found (option, environment or cwd). Returns
 * an exit code when a station was asked for explicitly and cannot be loaded. */
static int station_zone(cw_cli *cli, const char *cmd, const char **zone)
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

static int cal_check(cw_cli *cli, int argc, char **argv)
{
    static const cw_opt opts[] = {{0}};
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, "calendar check", argc, argv, &pos, &npos, &rc, "chalkwave calendar check FILE...",
                    "Validate partner calendars (.ics). Every problem is printed as\n"
                    "FILE:LINE: error|warning: what (what to do). A file with errors cannot be\n"
                    "imported; warnings are repaired or reported and the file is still used.",
                    opts))
        return rc;
    if (npos < 1)
        return cw_cli_usagef("calendar check", "give at least one .ics file (see 'chalkwave calendar "
                             "check --help')");
    const char *zone;
    if ((rc = station_zone(cli, "calendar check", &zone)) != 0)
        return rc;
    int worst = 0;
    for (int i = 0; i < npos; i++) {
        cw_calset *set = cw_calset_new(zone);
        if (!set) {
            cw_cli_errorf("calendar check", "out of memory");
            return CW_EXIT_ENV;
        }
        cw_diags d;
        memset(&d, 0, sizeof d);
        cw_error err;
        cw_error_clear(&err);
        rc = cw_calset_add_file(set, pos[i], cw_path_base(pos[i]), 0, &d, &err);
        print_diags(stdout, &d);
        if (rc == 0) {
            printf("%s: ok (%zu warning%s)\n", pos[i], d.warnings, d.warnings == 1 ? "" : "s");
        } else if (d.errors) {
            printf("%s: %zu error%s, %zu warning%s\n", pos[i], d.errors,
                   d.errors == 1 ? "" : "s", d.warnings, d.warnings == 1 ? "" : "s");
            if (worst < CW_EXIT_REFUSED)
                worst = CW_EXIT_REFUSED;
        } else {
            int code = cw_cli_report("calendar check", rc, &err);
            if (code > worst)
                worst = code;
        }
        cw_diags_free(&d);
        cw_calset_free(set);
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
    const char *stzone;
    if ((rc = station_zone(cli, sub, &stzone)) != 0)
        return rc;
    const char *wzone = tzopt ? tzopt : stzone ? stzone : "UTC";
    cw_error err;
    cw_error_clear(&err);
    cw_tz *tz = NULL;
    if ((rc = cw_tz_open(&tz, wzone, &err)) != 0)
        return cw_cli_usagef(sub, "unknown time zone '%s' for --tz (use an IANA name such as "
                             "Europe/Paris)", wzone);
    cw_calset *set = cw_calset_new(stzone ? stzone : wzone);
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
        print_diags(stderr, &d);
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

/* ---- import ------------------------------------------------------------------------ */

static char *target_name(const char *path)
{
    const char *base = cw_path_base(path);
    size_t n = strlen(base);
    if (n == 0 || base[0] == '.' || !cw_path_is_safe_relative(base) || strchr(base, '/'))
        return NULL;
    char *name = (n > 4 && strcasecmp(base + n - 4, ".ics") == 0)
                     ? cw_asprintf("%.*s.ics", (int)(n - 4), base)
                     : cw_asprintf("%s.ics", base);
    /* the name must also be writable as a [calendars] key in station.conf */
    if (name && !cw_station_calendar_name_valid(name)) {
        free(name);
        return NULL;
    }
    return name;
}

static int cal_import(cw_cli *cli, int argc, char **argv)
{
    const char *sub = "calendar import";
    int priority = 0;
    const cw_opt opts[] = {
        {"priority", 0, CW_OPT_INT, &priority, "N",
         "priority of these calendars: a higher number wins a conflict (default 0)"},
        {0}};
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, sub, argc, argv, &pos, &npos, &rc, "chalkwave calendar import FILE... [--priority N]",
                    "Validate partner calendars and copy them into the station's calendars/\n"
                    "folder atomically, recording their priority in station.conf. If any file has\n"
                    "errors, nothing changes. Importing a file of the same name again replaces it.",
                    opts))
        return rc;
    if (npos < 1)
        return cw_cli_usagef(sub, "give at least one .ics file (see 'chalkwave calendar import --help')");
    if (priority < -1000000 || priority > 1000000)
        return cw_cli_usagef(sub, "--priority must be between -1000000 and 1000000");
    if ((rc = cw_cli_lock(cli, sub, 1)) != 0)
        return rc;
    const cw_station *st = cli->station;
    char **data = calloc((size_t)npos, sizeof *data);
    size_t *len = calloc((size_t)npos, sizeof *len);
    char **names = calloc((size_t)npos, sizeof *names);
    int code = 0;
    if (!data || !len || !names) {
        cw_cli_errorf(sub, "out of memory");
        code = CW_EXIT_ENV;
        goto done;
    }
    /* 1. validate everything first */
    int failed = 0; /* files with a problem */
    for (int i = 0; i < npos; i++) {
        names[i] = target_name(pos[i]);
        if (!names[i]) {
            cw_cli_errorf(sub, "'%s' is not a usable calendar file name (rename it, e.g. "
                          "term1.ics)", pos[i]);
            code = CW_EXIT_REFUSED;
            failed++;
            continue;
        }
        int dup = 0;
        for (int j = 0; j < i && !dup; j++)
            if (names[j] && strcmp(names[j], names[i]) == 0) {
                cw_cli_errorf(sub, "'%s' and '%s' would both be imported as '%s' (rename one)",
                              pos[j], pos[i], names[i]);
                code = CW_EXIT_REFUSED;
                dup = 1;
            }
        cw_error err;
        cw_error_clear(&err);
        rc = cw_read_file(pos[i], CW_CAL_MAX_BYTES, &data[i], &len[i], &err);
        if (rc) {
            int c2 = cw_cli_report(sub, rc, &err);
            if (c2 > code)
                code = c2;
            failed++;
            continue;
        }
        cw_calset *set = cw_calset_new(st->timezone);
        if (!set) {
            cw_cli_errorf(sub, "out of memory");
            code = CW_EXIT_ENV;
            goto done;
        }
        cw_diags d;
        memset(&d, 0, sizeof d);
        rc = cw_calset_add_data(set, data[i], len[i], pos[i], priority, &d, &err);
        print_diags(stderr, &d);
        size_t diag_errors = d.errors;
        cw_diags_free(&d);
        cw_calset_free(set);
        if (rc) {
            /* one line per problem: the FILE:LINE diagnostics above already say it; the
             * summary in err ("the calendar has N errors") is printed only when they don't */
            int c2 = diag_errors ? cw_exit_code(rc) : cw_cli_report(sub, rc, &err);
            if (c2 > code)
                code = c2;
        }
        if (rc || dup)
            failed++;
    }
    if (code) {
        /* with several files, say that the good ones were not imported either */
        if (npos > 1)
            cw_cli_errorf(sub, "nothing was imported: %d of %d files %s errors (fix them and "
                          "import all again)", failed, npos, failed == 1 ? "has" : "have");
        goto done;
    }
    /* 2. copy and record */
    char *dir = cw_path_join(st->dir, "calendars");
    cw_error err;
    cw_error_clear(&err);
    if (!dir || cw_mkdir_p(dir, &err)) {
        code = cw_cli_report(sub, dir ? CW_EIO : CW_ENOMEM, &err);
        free(dir);
        goto done;
    }
    /* temporaries of imports that were killed (calendars/.NAME.tmp-PID-N, .station.conf.tmp-*) */
    cw_cleanup_stale_tmp(dir);
    cw_cleanup_stale_tmp(st->dir);
    for (int i = 0; i < npos && code == 0; i++) {
        char *dst = cw_path_join(dir, names[i]);
        if (!dst) {
            cw_cli_errorf(sub, "out of memory");
            code = CW_EXIT_ENV;
            break;
        }
        rc = cw_write_file_atomic(dst, data[i], len[i], &err);
        if (rc == 0)
            rc = cw_station_set_calendar(cli->station, names[i], priority, &err);
        if (rc)
            code = cw_cli_report(sub, rc, &err);
        else
            printf("imported '%s' as calendars/%s (priority %d)\n", pos[i], names[i], priority);
        free(dst);
    }
    free(dir);
    fflush(stdout);
done:
    for (int i = 0; i < npos; i++) {
        if (data)
            free(data[i]);
        if (names)
            free(names[i]);
    }
    free(data);
    free(len);
    free(names);
    return code;
}

/* ---- dispatch ---------------------------------------------------------------------- */

int cmd_calendar(cw_cli *cli, int argc, char **argv)
{
    const char *usage =
        "usage: chalkwave calendar check FILE...\n"
        "       chalkwave calendar expand --from DATE --to DATE [--tz ZONE] "
        "[--format text|tsv|json] [--include-cancelled] FILE...\n"
        "       chalkwave calendar import FILE... [--priority N]\n\n"
        "Partner calendars (.ics from Google Calendar, Outlook, Thunderbird, Apple Calendar).\n"
        "'chalkwave calendar SUBCOMMAND --help' explains each subcommand.\n\n";
    int rc = 0;
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
        !strcmp(argv[1], "help")) {
        if (argc < 2)
            return cw_cli_usagef(CMD, "give a subcommand: check, expand or import (see 'chalkwave "
                                 "calendar --help')");
        printf("%s%s", usage, cw_cli_exit_codes_help);
        return 0;
    }
    if (!strcmp(argv[1], "check"))
        rc = cal_check(cli, argc - 1, argv + 1);
    else if (!strcmp(argv[1], "expand"))
        rc = cal_expand(cli, argc - 1, argv + 1);
    else if (!strcmp(argv[1], "import"))
        rc = cal_import(cli, argc - 1, argv + 1);
    else {
        const char *s = argv[1][0] == 'c' ? "check" : argv[1][0] == 'e' ? "expand"
                        : argv[1][0] == 'i' ? "import" : NULL;
        if (s)
            cw_cli_errorf(CMD, "unknown subcommand '%s' (did you mean '%s'? see 'chalkwave "
                          "calendar --help')", argv[1], s);
        else
            cw_cli_errorf(CMD, "unknown subcommand '%s' (use check, expand or import)", argv[1]);
        return CW_EXIT_USAGE;
    }
    cw_cal_cleanup();
    return rc;
}
