/* cmd_calendar.h — what the two files of `chalkwave calendar` share (cli-internal). */
#ifndef CW_CMD_CALENDAR_H
#define CW_CMD_CALENDAR_H

#include <stdio.h>

#include "calendars.h"
#include "cli.h"

/* Each diagnostic as `FILE:LINE: error|warning: TEXT` (the format of `calendar check`). */
void cal_cli_print_diags(FILE *fp, const cw_diags *d);
/* The station's zone when a station folder is found (option, environment or cwd); NULL
 * when there is none. Returns an exit code when one was asked for and cannot be loaded. */
int cal_cli_station_zone(cw_cli *cli, const char *cmd, const char **zone);
/* A link given where a file goes ("calendar import https://..."): a usage error that shows
 * the link redacted (it may carry a secret) and says to subscribe. 0 when none is a link. */
int cal_cli_refuse_links(const char *cmd, const char **pos, int npos);

/* ---- the import path, shared by `calendar import` and `calendar subscribe`/`update` ---- */

/* One calendar on its way into calendars/. */
typedef struct cal_import_file {
    const char *path;  /* what messages call it: the file as given, or a redacted link */
    char *data;        /* its bytes (owned) */
    size_t len;
    char *name;        /* calendars/NAME it goes to (owned) */
    const char *again; /* the imported calendar it is the same as (borrowed), or NULL */
    size_t shared, events, skipped;
} cal_import_file;

typedef struct cal_import_opts {
    int priority, have_priority, holidays, no_holidays;
    const char *name;
} cal_import_opts;

/* NAME.ics for a file name or --name ("basic.ics", "term 1"), or NULL when it cannot be a
 * [calendars] key. Caller frees. */
char *cal_target_name(const char *path);
/* Check f->data as `calendar import` does (every diagnostic on stderr as FILE:LINE, or into
 * `keep` when it is not NULL, printing nothing); fills f->events and f->skipped. Returns 0
 * when it can be used (events with errors are skipped), else the exit code of its refusal. */
int cal_import_validate(cw_cli *cli, const char *sub, cal_import_file *f, int holidays, cw_diags *keep);
/* f->again: an imported calendar that shares most of its UIDs (the same calendar). */
void cal_import_find_again(const cw_station *st, cal_import_file *f);
/* f->name: --name, else the calendar it is again, else `fallback` (NULL: f->path's name).
 * Prints and returns an exit code when none can be used. */
int cal_import_choose_name(const char *sub, cal_import_file *f, const cal_import_opts *io, const char *fallback);
/* Write f into dir/f->name atomically and record its [calendars] line (priority and holidays
 * from io, else kept), with `source` as its 'from'. The entry written in *out (may be NULL;
 * its strings are borrowed). Prints and returns an exit code on failure. */
int cal_import_install(cw_cli *cli, const char *sub, const char *dir, const cal_import_file *f,
                       const cal_import_opts *io, const char *source, cw_partner_calendar *out);

/* 1 when NAME can name a calendar of the station as given to a command (no '/': a link or
 * a path is not a name). */
int cal_target_name_ok(const char *name);
/* Remove calendars/NAME (a file name), its [calendars] line and its subscription in subs (if
 * it has one: subs is saved first); prints what it did or why not. The subscriptions' lock and
 * then the station lock are held. Returns an exit code. */
int cal_remove_calendar(cw_cli *cli, const char *sub, const char *name, cw_subs *subs);

/* ---- subscriptions (cmd_calendar_sub.c, cmd_calendar_update.c) ------------------------------ */

/* DIR/calendars/subscriptions.conf (caller frees). */
char *cal_subs_path(const cw_station *st);
/* Load the station, take the subscriptions' own lock (calendars/.chalkwave.lock: one
 * subscribe/update/unsubscribe at a time; the station lock stays free) and read the file.
 * Prints and returns an exit code on failure (nothing held then). */
int cal_subs_open(cw_cli *cli, const char *sub, int *lock_fd, cw_subs *subs);
/* Write the subscriptions file (0600). Prints and returns an exit code on failure. */
int cal_subs_save(cw_cli *cli, const char *sub, const cw_subs *subs);
/* Load station.conf again (after taking the station lock: another command may have changed
 * it meanwhile). Prints and returns an exit code on failure. */
int cal_reload_station(cw_cli *cli, const char *sub);
/* Why a fetched body is no calendar (empty, a web page), or NULL. */
const char *cal_body_problem(const cw_fetch_res *r);
/* 64 hex digits of the SHA-256 of data (malloc'd), or NULL when out of memory. */
char *cal_sha256_hex(const char *data, size_t len);
/* The [calendars] line's source for a subscription: "subscription https://host (link h)". */
void cal_subs_source(const char *url, char *out, size_t n);

int cal_subscribe(cw_cli *cli, int argc, char **argv);
int cal_unsubscribe(cw_cli *cli, int argc, char **argv);
int cal_update(cw_cli *cli, int argc, char **argv);

int cal_import(cw_cli *cli, int argc, char **argv);
int cal_list(cw_cli *cli, int argc, char **argv);
int cal_remove(cw_cli *cli, int argc, char **argv);

#endif
