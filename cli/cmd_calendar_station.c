/* cmd_calendar_station.c — the station's calendars: `chalkwave calendar import` (copy partner
 * files into calendars/, recording priority, holidays flag and source in station.conf; its
 * steps are shared with subscribe and update), `calendar list` (with each subscription's last
 * fetch) and `calendar remove`.
 * Guarantees: import changes nothing unless every file can be used (events with errors are
 * skipped and counted, never silently); files and station.conf change atomically; a re-import
 * keeps what it does not say (priority, holidays); the same calendar saved under another
 * name replaces its earlier import instead of conflicting with it. */
#include "calendars.h"
#include "cli.h"
#include "scheduler.h" /* CW_STATION_CHANGES_FILE */
#include "cmd_calendar.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* ---- import ------------------------------------------------------------------------ */

/* calendars/NAME for a file name ("basic.ics", "term 1"): NAME.ics, or NULL when it cannot be
 * a [calendars] key. */
char *cal_target_name(const char *path)
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

/* UIDs file f shares with the imported calendar NAME (both read quietly). */
static size_t shared_with(const cw_station *st, const cal_import_file *f, const char *name)
{
    char *dir = cw_path_join(st->dir, "calendars"), *full = dir ? cw_path_join(dir, name) : NULL;
    cw_calset *both = cw_calset_new(NULL);
    cw_cal_file_opts a = {f->path, 0, 0}, b = {name, 0, 0};
    cw_error err;
    size_t shared = 0;
    if (both && full && cw_path_exists(full) &&
        cw_calset_add_data_opts(both, f->data, f->len, &a, NULL, &err) == 0 &&
        cw_calset_add_file_opts(both, full, &b, NULL, &err) == 0)
        shared = cw_calset_shared_uids(both, 0, 1);
    cw_calset_free(both);
    free(full);
    free(dir);
    return shared;
}

int cal_import_validate(cw_cli *cli, const char *sub, cal_import_file *f, int holidays, cw_diags *keep)
{
    const cw_station *st = cli->station;
    cw_error err;
    cw_error_clear(&err);
    int rc;
    cw_calset *set = cw_calset_new(st->timezone);
    if (!set) {
        cw_cli_errorf(sub, "out of memory");
        return CW_EXIT_ENV;
    }
    cw_diags d = {0};
    cw_cal_file_opts o = {f->path, 0, holidays};
    rc = cw_calset_add_data_opts(set, f->data, f->len, &o, &d, &err);
    if (keep) {
        cw_diags_extend(keep, &d);
        if (rc && !d.errors) /* the file as a whole: one diagnostic saying why */
            cw_diags_add(keep, CW_DIAG_ERROR, "cal.unusable", err.source[0] ? err.source : f->path, err.line, NULL,
                         err.text);
    } else {
        cal_cli_print_diags(stderr, &d);
    }
    int code = 0;
    cw_cal_file_info info;
    if (rc) {
        /* one line per problem: the FILE:LINE diagnostics say it; err only when they don't */
        code = d.errors || keep ? cw_exit_code(rc) : cw_cli_report(sub, rc, &err);
    } else if (cw_calset_file_info(set, 0, &info) == 0) {
        f->events = info.n_events;
        f->skipped = info.n_skipped;
        if (info.n_events == 0 && info.n_skipped > 0)
            code = CW_EXIT_REFUSED; /* its FILE:LINE errors say why: one line per problem */
    }
    cw_diags_free(&d);
    cw_calset_free(set);
    return code;
}

void cal_import_find_again(const cw_station *st, cal_import_file *f)
{
    /* the same calendar under another name: most of its UIDs are an imported calendar's */
    for (size_t i = 0; i < st->n_calendars; i++) {
        size_t shared = shared_with(st, f, st->calendars[i].file);
        if (shared > 0 && shared * 2 >= f->events + f->skipped && shared > f->shared) {
            f->shared = shared;
            f->again = st->calendars[i].file;
        }
    }
}

int cal_import_choose_name(const char *sub, cal_import_file *f, const cal_import_opts *io, const char *fallback)
{
    if (io->name) {
        f->name = cal_target_name(io->name);
        if (!f->name) {
            cw_cli_errorf(sub, "--name '%s' cannot be a calendar name (use letters, digits, '-', "
                          "'_', e.g. --name county-education)", io->name);
            return CW_EXIT_USAGE;
        }
        if (f->again && strcmp(f->again, f->name) != 0)
            cw_cli_warnf(sub, "%s has %zu events of calendars/%s: the two will conflict (remove "
                         "one: chalkwave calendar remove %s)", f->path, f->shared, f->again, f->again);
        return 0;
    }
    if (f->again) {
        f->name = cw_strdup(f->again);
        printf("%s is %s again (%zu of its events have the same UIDs): it replaces calendars/%s\n",
               f->path, f->again, f->shared, f->again);
        return f->name ? 0 : CW_EXIT_ENV;
    }
    f->name = cal_target_name(fallback ? fallback : f->path);
    if (!f->name) {
        cw_cli_errorf(sub, "'%s' is not a usable calendar file name (rename it, e.g. term1.ics, or "
                      "give --name)", fallback ? fallback : f->path);
        return CW_EXIT_REFUSED;
    }
    if (!strcmp(f->name, CW_STATION_CHANGES_FILE)) {
        cw_cli_errorf(sub, "calendars/%s holds the station's own changes (chalkwave change): import %s under "
                      "another name (--name NAME)", CW_STATION_CHANGES_FILE, f->path);
        return CW_EXIT_REFUSED;
    }
    return 0;
}

int cal_import_install(cw_cli *cli, const char *sub, const char *dir, const cal_import_file *f,
                       const cal_import_opts *io, const char *source, cw_partner_calendar *out)
{
    cw_error err;
    cw_error_clear(&err);
    const cw_partner_calendar *old = cw_station_calendar(cli->station, f->name);
    cw_partner_calendar pc = {f->name, old ? old->priority : 0, 0, old ? old->holidays : 0, NULL};
    if (io->have_priority)
        pc.priority = io->priority;
    if (io->holidays || io->no_holidays)
        pc.holidays = io->holidays;
    pc.source = (char *)source;
    /* a line that says it already is not written again (an update of 50 subscriptions) */
    int same = old && old->priority == pc.priority && old->holidays == pc.holidays && old->source && source &&
               !strcmp(old->source, source);
    char *dst = cw_path_join(dir, f->name);
    int rc = dst ? cw_write_file_atomic(dst, f->data, f->len, &err) : CW_ENOMEM;
    if (rc == 0 && !same)
        rc = cw_station_put_calendar(cli->station, &pc, &err);
    free(dst);
    if (rc)
        return cw_cli_report(sub, rc, &err);
    if (out)
        *out = pc;
    return 0;
}

/* Copy file f into calendars/ and record its [calendars] line, its source the file's path. */
static int install(cw_cli *cli, const char *sub, const char *dir, const cal_import_file *f,
                   const cal_import_opts *io)
{
    char *real = realpath(f->path, NULL);
    cw_partner_calendar pc;
    int code = cal_import_install(cli, sub, dir, f, io, real ? real : f->path, &pc);
    free(real);
    if (code)
        return code;
    printf("imported '%s' as calendars/%s (priority %d%s)", f->path, f->name, pc.priority,
           pc.holidays ? ", holidays: its all-day events are blackouts" : "");
    if (f->skipped)
        printf("; %zu event%s skipped for the errors above, %zu used", f->skipped,
               f->skipped == 1 ? "" : "s", f->events);
    printf("\n");
    return 0;
}

int cal_import(cw_cli *cli, int argc, char **argv)
{
    const char *sub = "calendar import";
    cal_import_opts io = {INT_MIN, 0, 0, 0, NULL};
    const cw_opt opts[] = {
        {"priority", 0, CW_OPT_INT, &io.priority, "N",
         "a higher number wins a conflict (default: the calendar's priority, else 0)"},
        {"holidays", 0, CW_OPT_FLAG, &io.holidays, NULL,
         "a public-holidays calendar: every all-day event is a blackout"},
        {"no-holidays", 0, CW_OPT_FLAG, &io.no_holidays, NULL, "no longer a holidays calendar"},
        {"name", 0, CW_OPT_STRING, &io.name, "NAME", "import as calendars/NAME.ics (one FILE only)"},
        {0}};
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, sub, argc, argv, &pos, &npos, &rc,
                    "chalkwave calendar import FILE... [--priority N] [--holidays | --no-holidays] "
                    "[--name NAME]",
                    "Validate partner calendars and copy them into the station's calendars/\n"
                    "folder atomically, recording priority, holidays flag and source in\n"
                    "station.conf. Events with errors are skipped (and counted); if a file\n"
                    "cannot be used at all, nothing changes. Importing again keeps the\n"
                    "priority and holidays flag unless they are given. A file with the same\n"
                    "events as an imported calendar (Google always names it basic.ics)\n"
                    "replaces that calendar.",
                    opts))
        return rc;
    if (npos < 1)
        return cw_cli_usagef(sub, "give at least one .ics file (see 'chalkwave calendar import --help')");
    if ((rc = cal_cli_refuse_links(sub, pos, npos)) != 0)
        return rc;
    io.have_priority = io.priority != INT_MIN;
    if (io.have_priority && (io.priority < -1000000 || io.priority > 1000000))
        return cw_cli_usagef(sub, "--priority must be between -1000000 and 1000000");
    if (io.holidays && io.no_holidays)
        return cw_cli_usagef(sub, "give --holidays or --no-holidays, not both");
    if (io.name && npos > 1)
        return cw_cli_usagef(sub, "--name names one calendar: import the files one at a time");
    if ((rc = cw_cli_lock(cli, sub, 1)) != 0)
        return rc;
    cal_import_file *f = calloc((size_t)npos, sizeof *f);
    int code = 0, failed = 0;
    if (!f) {
        cw_cli_errorf(sub, "out of memory");
        code = CW_EXIT_ENV;
        goto done;
    }
    /* 1. validate everything first */
    for (int i = 0; i < npos; i++) {
        f[i].path = pos[i];
        cw_error err;
        cw_error_clear(&err);
        int rd = cw_read_file(f[i].path, CW_CAL_MAX_BYTES, &f[i].data, &f[i].len, &err);
        int c = rd ? cw_cli_report(sub, rd, &err) : cal_import_validate(cli, sub, &f[i], io.holidays, NULL);
        if (!c)
            cal_import_find_again(cli->station, &f[i]);
        if (!c)
            c = cal_import_choose_name(sub, &f[i], &io, NULL);
        for (int j = 0; j < i && !c && f[i].name; j++)
            if (f[j].name && strcmp(f[j].name, f[i].name) == 0) {
                cw_cli_errorf(sub, "'%s' and '%s' would both be imported as '%s' (import one of "
                              "them, or give each its own --name)", pos[j], pos[i], f[i].name);
                c = CW_EXIT_REFUSED;
            }
        if (c) {
            failed++;
            if (c > code)
                code = c;
        }
    }
    if (code) {
        if (npos > 1) /* say that the good ones were not imported either */
            cw_cli_errorf(sub, "nothing was imported: %d of %d files cannot be (fix them and "
                          "import all again)", failed, npos);
        goto done;
    }
    /* a file imported over a subscription's calendar lasts until the next update */
    char *sp = cal_subs_path(cli->station);
    cw_subs subs = {0};
    cw_error serr;
    if (sp && cw_subs_load(&subs, sp, &serr) == 0)
        for (int i = 0; i < npos; i++)
            if (cw_subs_find(&subs, f[i].name))
                cw_cli_warnf(sub, "calendars/%s follows a partner's link: the next 'calendar update' fetches it "
                             "again over this file (to keep the file: chalkwave calendar unsubscribe %.*s)",
                             f[i].name, (int)(strlen(f[i].name) - 4), f[i].name);
    cw_subs_free(&subs);
    free(sp);
    /* 2. copy and record */
    char *dir = cw_path_join(cli->station->dir, "calendars");
    cw_error err;
    cw_error_clear(&err);
    if (!dir || cw_mkdir_p(dir, &err)) {
        code = cw_cli_report(sub, dir ? CW_EIO : CW_ENOMEM, &err);
        free(dir);
        goto done;
    }
    /* temporaries of imports that were killed (calendars/.NAME.tmp-PID-N, .station.conf.tmp-*) */
    cw_cleanup_stale_tmp(dir);
    cw_cleanup_stale_tmp(cli->station->dir);
    for (int i = 0; i < npos && code == 0; i++)
        code = install(cli, sub, dir, &f[i], &io);
    free(dir);
    fflush(stdout);
done:
    for (int i = 0; f && i < npos; i++) {
        free(f[i].data);
        free(f[i].name);
    }
    free(f);
    return code;
}

/* ---- list -------------------------------------------------------------------------- */

typedef struct list_row {
    const char *name;
    const cw_partner_calendar *pc; /* NULL: in calendars/ but not in station.conf */
    const cw_subscription *sub;    /* its subscription, or NULL */
    int present;                   /* the file is in calendars/ */
    int readable;
    cw_cal_file_info info;
    char *zone; /* the zone it is written for (info.zone is borrowed from a freed set) */
} list_row;

static void fmt_day(const cw_station *st, int64_t utc, char out[16])
{
    cw_tz *tz = NULL;
    cw_error e;
    cw_civil c;
    if (cw_tz_open(&tz, st->timezone, &e))
        tz = NULL;
    cw_tz_to_local(tz, utc, &c, NULL);
    cw_tz_free(tz);
    snprintf(out, 16, "%04d-%02d-%02d", c.year, c.month, c.day);
}

/* "2026-03-05 08:00" station time. */
static void fmt_minute(const cw_station *st, int64_t utc, char out[20])
{
    cw_tz *tz = NULL;
    cw_error e;
    cw_civil c;
    if (cw_tz_open(&tz, st->timezone, &e))
        tz = NULL;
    cw_tz_to_local(tz, utc, &c, NULL);
    cw_tz_free(tz);
    snprintf(out, 20, "%04d-%02d-%02d %02d:%02d", c.year, c.month, c.day, c.hour % 100, c.minute % 100);
}

static json_t *sub_json(const cw_station *st, const cw_subscription *s)
{
    json_t *j = json_object();
    char t[20];
    cw_sub_state ss;
    cw_sub_state_of(s, &ss);
    json_object_set_new(j, "link", json_string(ss.link));
    json_object_set_new(j, "host", json_string(ss.host));
    json_object_set_new(j, "link_hash", json_string(ss.link_hash));
    json_object_set_new(j, "tls", json_string(ss.tls));
    const struct {
        const char *key;
        int64_t t;
    } times[] = {{"last_fetch", ss.last_fetch}, {"last_good", ss.last_good}, {"last_change", ss.last_change}};
    for (size_t i = 0; i < 3; i++) {
        fmt_minute(st, times[i].t, t);
        json_object_set_new(j, times[i].key, times[i].t > 0 ? json_string(t) : json_null());
    }
    json_object_set_new(j, "ok", json_boolean(ss.status == CW_SUB_OK));
    json_object_set_new(j, "status", json_string(cw_sub_status_name(ss.status)));
    json_object_set_new(j, "result", ss.result[0] ? json_string(ss.result) : json_null());
    return j;
}

/* "https://host (link h), fetched 2026-03-05 08:00: unchanged" */
static void sub_text(cw_buf *b, const cw_station *st, const cw_subscription *s)
{
    char t[20];
    cw_sub_state ss;
    cw_sub_state_of(s, &ss);
    cw_buf_puts(b, ss.link);
    if (ss.last_fetch > 0) {
        fmt_minute(st, ss.last_fetch, t);
        cw_buf_printf(b, ", fetched %s: ", t);
        cw_buf_put_oneline(b, ss.result[0] ? ss.result : "?");
        if (ss.status > CW_SUB_OK && ss.last_good > 0) {
            fmt_minute(st, ss.last_good, t);
            cw_buf_printf(b, "; the copy is of %.10s", t);
        }
    }
}

static json_t *row_json(const cw_station *st, const list_row *r)
{
    json_t *j = json_object();
    char a[16], b[16];
    json_object_set_new(j, "name", json_string(r->name));
    json_object_set_new(j, "priority", json_integer(r->pc ? r->pc->priority : 0));
    json_object_set_new(j, "holidays", json_boolean(r->pc && r->pc->holidays));
    json_object_set_new(j, "listed", json_boolean(r->pc != NULL));
    json_object_set_new(j, "present", json_boolean(r->present));
    json_object_set_new(j, "readable", json_boolean(r->readable));
    json_object_set_new(j, "events", json_integer((json_int_t)r->info.n_events));
    json_object_set_new(j, "skipped", json_integer((json_int_t)r->info.n_skipped));
    if (r->info.has_range) {
        fmt_day(st, r->info.first_start, a);
        fmt_day(st, r->info.last_end - (r->info.last_end > r->info.first_start), b);
    }
    json_object_set_new(j, "first", r->info.has_range ? json_string(a) : json_null());
    json_object_set_new(j, "last", r->info.has_range && !r->info.open_ended ? json_string(b) : json_null());
    json_object_set_new(j, "open_ended", json_boolean(r->info.open_ended));
    json_object_set_new(j, "zone", r->zone && *r->zone ? json_string(r->zone) : json_null());
    char red[400];
    if (r->sub)
        cw_sub_url_redact(r->sub->url, red, sizeof red);
    json_object_set_new(j, "source", r->sub ? json_string(red)
                                     : r->pc && r->pc->source ? json_string(r->pc->source) : json_null());
    json_object_set_new(j, "subscription", r->sub ? sub_json(st, r->sub) : json_null());
    return j;
}

static void row_text(cw_buf *b, const cw_station *st, const list_row *r)
{
    char a[16] = "-", z[16] = "-", ev[32];
    if (r->info.has_range) {
        fmt_day(st, r->info.first_start, a);
        if (r->info.open_ended)
            snprintf(z, sizeof z, "(open)");
        else
            fmt_day(st, r->info.last_end - (r->info.last_end > r->info.first_start), z);
    }
    if (!r->present)
        snprintf(ev, sizeof ev, "missing");
    else if (!r->readable)
        snprintf(ev, sizeof ev, "unreadable");
    else if (r->info.n_skipped)
        snprintf(ev, sizeof ev, "%zu+%zu skipped", r->info.n_events, r->info.n_skipped);
    else
        snprintf(ev, sizeof ev, "%zu", r->info.n_events);
    cw_buf_printf(b, "%-28s %8d  %-8s  %-16s %-10s  %-10s  ", r->name, r->pc ? r->pc->priority : 0,
                  r->pc && r->pc->holidays ? "yes" : "no", ev, a, z);
    if (r->sub)
        sub_text(b, st, r->sub);
    else
        cw_buf_put_oneline(b, r->pc && r->pc->source ? r->pc->source
                              : r->pc ? "-" : "(not in station.conf: priority 0)");
    cw_buf_puts(b, "\n");
}

/* Every calendar of the station: the [calendars] lines, then files of calendars/ not listed;
 * each with its subscription from subs. */
static int list_rows(const cw_station *st, const cw_subs *subs, list_row **out, size_t *n)
{
    char *dir = cw_path_join(st->dir, "calendars");
    cw_strlist files = {0};
    if (!dir)
        return CW_ENOMEM;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] != '.' && len > 4 && !strcmp(e->d_name + len - 4, ".ics") &&
            strcmp(e->d_name, CW_STATION_CHANGES_FILE) != 0 && /* the station's own changes */
            cw_strlist_push(&files, e->d_name))
            break;
    }
    if (d)
        closedir(d);
    cw_strlist_sort(&files);
    list_row *v = calloc(st->n_calendars + files.n + 1, sizeof *v);
    size_t k = 0;
    for (size_t i = 0; v && i < st->n_calendars; i++)
        v[k++] = (list_row){st->calendars[i].file, &st->calendars[i], NULL, 0, 0, {0}, NULL};
    for (size_t i = 0; v && i < files.n; i++) {
        size_t j = 0;
        while (j < k && strcmp(v[j].name, files.v[i]) != 0)
            j++;
        if (j == k)
            v[k++] = (list_row){files.v[i], NULL, NULL, 0, 0, {0}, NULL};
        v[j].present = 1;
    }
    for (size_t i = 0; v && i < k; i++) {
        v[i].sub = cw_subs_find(subs, v[i].name);
        if (!v[i].present)
            continue;
        if (!v[i].pc) /* the name lives in `files`: keep a copy that outlives it */
            v[i].name = cw_strdup(v[i].name);
        char *path = cw_path_join(dir, v[i].name);
        cw_calset *set = cw_calset_new(st->timezone);
        cw_cal_file_opts o = {v[i].name, v[i].pc ? v[i].pc->priority : 0, v[i].pc && v[i].pc->holidays};
        cw_error e;
        if (path && set && cw_calset_add_file_opts(set, path, &o, NULL, &e) == 0 &&
            cw_calset_file_info(set, 0, &v[i].info) == 0) {
            v[i].readable = 1;
            v[i].info.label = v[i].name;
            v[i].zone = cw_strdup(v[i].info.zone ? v[i].info.zone : "");
            v[i].info.zone = NULL; /* borrowed from the set, which goes now */
        }
        cw_calset_free(set);
        free(path);
    }
    cw_strlist_free(&files);
    free(dir);
    *out = v;
    *n = k;
    return v ? 0 : CW_ENOMEM;
}

int cal_list(cw_cli *cli, int argc, char **argv)
{
    const char *sub = "calendar list", *format = "text";
    const cw_opt opts[] = {{"format", 0, CW_OPT_STRING, &format, "FMT", "text or json (default: text)"},
                           {0}};
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, sub, argc, argv, &pos, &npos, &rc, "chalkwave calendar list [--format text|json]",
                    "The station's calendars: name, priority, holidays flag, events (and how many\n"
                    "are skipped for errors), the first and last day of their events (station\n"
                    "time; '(open)' when a rule has no end) and where each was imported from; for\n"
                    "a subscription its link's host and short hash, when it was last fetched and\n"
                    "whether that worked (the link itself is never shown).",
                    opts))
        return rc;
    if (npos)
        return cw_cli_usagef(sub, "calendar list takes no file (see 'chalkwave calendar list --help')");
    if (strcmp(format, "text") && strcmp(format, "json"))
        return cw_cli_usagef(sub, "--format must be text or json, not '%s'", format);
    if ((rc = cw_cli_lock(cli, sub, 0)) != 0)
        return rc;
    const cw_station *st = cli->station;
    list_row *v = NULL;
    size_t n = 0;
    cw_subs subs;
    cw_error err;
    cw_error_clear(&err);
    char *sp = cal_subs_path(st);
    rc = sp ? cw_subs_load(&subs, sp, &err) : CW_ENOMEM;
    free(sp);
    if (rc)
        return cw_cli_report(sub, rc, &err);
    if (list_rows(st, &subs, &v, &n)) {
        cw_subs_free(&subs);
        cw_cli_errorf(sub, "out of memory");
        return CW_EXIT_ENV;
    }
    cw_buf b;
    cw_buf_init(&b);
    if (!strcmp(format, "json")) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, row_json(st, &v[i]));
        char *s = json_dumps(arr, JSON_PRESERVE_ORDER | JSON_INDENT(2));
        json_decref(arr);
        if (s)
            cw_buf_printf(&b, "%s\n", s);
        else
            b.oom = 1;
        free(s);
    } else if (n == 0) {
        cw_buf_puts(&b, "no calendars (import one: chalkwave calendar import FILE.ics)\n");
    } else {
        cw_buf_printf(&b, "%-28s %8s  %-8s  %-16s %-10s  %-10s  %s\n", "NAME", "PRIORITY", "HOLIDAYS",
                      "EVENTS", "FIRST", "LAST", "SOURCE");
        for (size_t i = 0; i < n; i++)
            row_text(&b, st, &v[i]);
    }
    for (size_t i = 0; i < n; i++) {
        if (!v[i].pc)
            free((char *)v[i].name);
        free(v[i].zone);
    }
    free(v);
    cw_subs_free(&subs);
    int code = cw_cli_write_stdout(sub, &b);
    cw_buf_free(&b);
    return code;
}

/* ---- remove ------------------------------------------------------------------------ */

int cal_target_name_ok(const char *name)
{
    char *t = strchr(name, '/') ? NULL : cal_target_name(name);
    free(t);
    return t != NULL;
}

int cal_remove_calendar(cw_cli *cli, const char *sub, const char *name, cw_subs *subs)
{
    char *dir = cw_path_join(cli->station->dir, "calendars");
    char *path = dir ? cw_path_join(dir, name) : NULL;
    int code = 0, rc, had = 0;
    if (!path) {
        cw_cli_errorf(sub, "out of memory");
        code = CW_EXIT_ENV;
    } else {
        int listed = cw_station_calendar(cli->station, name) != NULL, present = cw_path_exists(path);
        cw_error err;
        cw_error_clear(&err);
        if (!listed && !present && !cw_subs_find(subs, name)) {
            cw_cli_errorf(sub, "no calendar '%s' in this station (see 'chalkwave calendar list')", name);
            code = CW_EXIT_REFUSED;
        } else if (cw_subs_remove(subs, name) == 0 && (had = 1) && (code = cal_subs_save(cli, sub, subs)) != 0) {
            /* said why; nothing else removed (the subscription first: a calendar left
             * without it is an imported one, never fetched again by surprise) */
        } else if (present && unlink(path) != 0) {
            /* the file first: a line without its file only warns, a file without its line
             * would still be planned */
            cw_cli_errorf(sub, "cannot remove %s: %s", path, strerror(errno));
            code = CW_EXIT_ENV;
        } else if (listed && (rc = cw_station_remove_calendar(cli->station, name, &err)) != 0) {
            code = cw_cli_report(sub, rc, &err);
        } else if (strcmp(sub, "calendar remove")) {
            /* unsubscribe --remove says it itself */
        } else if (present) {
            printf("removed calendars/%s%s%s\n", name, listed ? " and its line in station.conf" : "",
                   had ? " (and its subscription)" : "");
        } else {
            printf("removed the line of %s from station.conf (its file was already gone)\n", name);
        }
    }
    free(dir);
    free(path);
    return code;
}

int cal_remove(cw_cli *cli, int argc, char **argv)
{
    const char *sub = "calendar remove";
    const cw_opt opts[] = {{0}};
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, sub, argc, argv, &pos, &npos, &rc, "chalkwave calendar remove NAME",
                    "Remove a calendar from the station: its file in calendars/, its line in\n"
                    "station.conf and its subscription, if it has one. NAME as 'chalkwave calendar\n"
                    "list' shows it (.ics may be left out).",
                    opts))
        return rc;
    if (npos != 1)
        return cw_cli_usagef(sub, "give one calendar name (see 'chalkwave calendar list')");
    char *name = cal_target_name_ok(pos[0]) ? cal_target_name(pos[0]) : NULL;
    if (!name)
        return cw_cli_usagef(sub, "give a calendar name as 'chalkwave calendar list' shows it");
    if (!strcmp(name, CW_STATION_CHANGES_FILE)) {
        cw_cli_errorf(sub, "calendars/%s holds the station's own changes: remove them with 'chalkwave change "
                      "remove ID' (see 'chalkwave change list')", CW_STATION_CHANGES_FILE);
        free(name);
        return CW_EXIT_REFUSED;
    }
    /* the subscriptions' lock before the station's, as update takes them */
    int lock = -1;
    cw_subs subs;
    int code = cal_subs_open(cli, sub, &lock, &subs);
    if (!code)
        code = cw_cli_lock(cli, sub, 1);
    if (!code)
        code = cal_reload_station(cli, sub);
    if (!code)
        code = cal_remove_calendar(cli, sub, name, &subs);
    cw_subs_free(&subs);
    cw_station_unlock(lock);
    free(name);
    return code;
}
