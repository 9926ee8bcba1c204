/* cmd_calendar_sub.c — calendar subscriptions: `chalkwave calendar subscribe` (fetch a
 * partner's published link, check it as `import` does and store it as calendars/NAME.ics)
 * and `calendar unsubscribe`, plus what `update` and `list` share: the subscriptions file
 * and its lock, what a fetched body is, the day of a copy.
 * Guarantees: a link is never printed, logged or written anywhere but
 * calendars/subscriptions.conf (mode 0600): messages name its scheme, host and a short hash;
 * nothing is stored unless the fetched calendar passes import's checks; the network is used
 * without holding the station lock, which is taken only to store. */
#include "calendars.h"
#include "cli.h"
#include "cmd_calendar.h"
#include "session.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

/* ---- shared with update and list ------------------------------------------------------------ */

char *cal_subs_path(const cw_station *st)
{
    return cw_subs_path(st->dir);
}

int cal_subs_open(cw_cli *cli, const char *sub, int *lock_fd, cw_subs *subs)
{
    *lock_fd = -1;
    memset(subs, 0, sizeof *subs);
    int rc = cw_cli_station(cli, sub);
    if (rc)
        return rc;
    cw_error err;
    cw_error_clear(&err);
    char *dir = cw_path_join(cli->station->dir, "calendars"), *path = cal_subs_path(cli->station);
    if (!dir || !path) {
        free(dir);
        free(path);
        cw_cli_errorf(sub, "out of memory");
        return CW_EXIT_ENV;
    }
    int code = 0;
    /* one subscribe/update/unsubscribe at a time (calendars/.chalkwave.lock); the station's
     * own lock stays free while the network is used */
    if ((rc = cw_mkdir_p(dir, &err)) != 0 || (rc = cw_station_lock(dir, 1, 600, lock_fd, &err)) != 0) {
        if (rc == CW_ELOCKED)
            cw_cli_errorf(sub, "another 'calendar subscribe' or 'update' has been running for 10 minutes "
                          "(wait for it to finish, then run this again)");
        else
            cw_cli_report(sub, rc, &err);
        code = cw_exit_code(rc);
    } else if ((rc = cw_subs_load(subs, path, &err)) != 0) {
        code = cw_cli_report(sub, rc, &err);
    }
    if (code && *lock_fd >= 0) {
        cw_station_unlock(*lock_fd);
        *lock_fd = -1;
    }
    free(dir);
    free(path);
    return code;
}

int cal_subs_save(cw_cli *cli, const char *sub, const cw_subs *subs)
{
    char *path = cal_subs_path(cli->station);
    cw_error err;
    cw_error_clear(&err);
    int rc = path ? cw_subs_save(subs, path, &err) : cw_fail(&err, CW_ENOMEM, "", 0, "out of memory");
    free(path);
    return rc ? cw_cli_report(sub, rc, &err) : 0;
}

int cal_reload_station(cw_cli *cli, const char *sub)
{
    cw_station *fresh = NULL;
    cw_error err;
    cw_error_clear(&err);
    int rc = cw_station_load(&fresh, cli->station->dir, &err);
    if (rc)
        return cw_cli_report(sub, rc, &err);
    cw_station_free(cli->station);
    cli->station = fresh;
    return 0;
}

const char *cal_body_problem(const cw_fetch_res *r)
{
    return cw_sub_body_problem(r);
}

char *cal_sha256_hex(const char *data, size_t len)
{
    char hex[65];
    cw_sha256 *h = cw_sha256_new();
    if (!h)
        return NULL;
    cw_sha256_update(h, data, len);
    cw_sha256_final(h, hex);
    return cw_strdup(hex);
}

void cal_subs_source(const char *url, char *out, size_t n)
{
    char red[400];
    cw_sub_url_redact(url, red, sizeof red);
    snprintf(out, n, "subscription %s", red);
}

/* ---- subscribe ------------------------------------------------------------------------------- */

typedef struct sub_opts {
    cal_import_opts io;
    const char *pin;
    int self_signed, timeout;
} sub_opts;

/* The link: the argument, or one line of standard input for "-" (keeps it out of the shell's
 * history and of `ps`). */
static int read_link(const char *sub, const char *arg, char **url)
{
    char *raw = NULL;
    if (strcmp(arg, "-")) {
        raw = cw_strdup(arg);
    } else {
        char line[CW_SUB_URL_MAX + 8];
        if (!fgets(line, sizeof line, stdin))
            return cw_cli_usagef(sub, "no link on standard input (paste it, then press Enter)");
        line[strcspn(line, "\r\n")] = 0;
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        size_t n = strlen(p);
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            p[--n] = 0;
        raw = cw_strdup(p);
    }
    if (!raw) {
        cw_cli_errorf(sub, "out of memory");
        return CW_EXIT_ENV;
    }
    cw_error err;
    cw_error_clear(&err);
    int rc = cw_sub_url_normalise(raw, url, &err);
    free(raw);
    return rc ? cw_cli_usagef(sub, "%s", err.text) : 0;
}

/* The pin option: sha256//... as given, or the key of a PEM file. */
static int read_pin(const char *sub, const char *opt, char **pin)
{
    *pin = NULL;
    if (!opt)
        return 0;
    if (cw_fetch_pin_valid(opt)) {
        *pin = cw_strdup(opt);
        return *pin ? 0 : CW_EXIT_ENV;
    }
    if (!cw_path_exists(opt))
        return cw_cli_usagef(sub, "--pin needs sha256//BASE64 (a public key's SHA-256, as curl's --pinnedpubkey) "
                             "or a PEM file of the server's certificate or key");
    cw_error err;
    cw_error_clear(&err);
    int rc = cw_fetch_pin_from_pem(opt, pin, &err);
    return rc ? cw_cli_report(sub, rc, &err) : 0;
}

/* The name a subscription gets without --name: the calendar's own (X-WR-CALNAME), else its host. */
static void default_name(const cal_import_file *f, const char *url, char *out, size_t n)
{
    char calname[300], host[256];
    cw_cal_data_name(f->data, f->len, calname, sizeof calname);
    if (!calname[0]) {
        cw_sub_url_host(url, host, sizeof host);
        host[strcspn(host, ":")] = 0;
        snprintf(calname, sizeof calname, "%s", host);
    }
    char slug[64];
    cw_slugify(calname, slug, 48);
    snprintf(out, n, "%s.ics", slug);
}

/* Fetch the link once, with the TLS options; prints why on failure. */
static int first_fetch(const char *sub, const char *url, const sub_opts *so, const char *pin, cw_fetch_res *res)
{
    cw_fetch_req req = {0};
    req.url = url;
    req.self_signed = so->self_signed;
    req.pin = pin;
    req.want_pin = so->self_signed && !pin;
    req.timeout = so->timeout;
    cw_error err;
    cw_error_clear(&err);
    int rc = cw_fetch_run(&req, res, 1, 1, &err);
    if (rc)
        return cw_cli_report(sub, rc, &err);
    char red[400];
    cw_sub_url_redact(url, red, sizeof red);
    if (res->status != CW_FETCH_OK) {
        cw_cli_errorf(sub, "%s: %s (nothing was stored)", red, res->text);
        return res->status == CW_FETCH_UNREACHABLE ? CW_EXIT_ENV : CW_EXIT_REFUSED;
    }
    const char *bad = cal_body_problem(res);
    if (bad) {
        cw_cli_errorf(sub, "%s: %s (nothing was stored)", red, bad);
        return CW_EXIT_REFUSED;
    }
    return 0;
}

/* Where the subscription goes; refuses a name that belongs to another calendar unless --name
 * says so. */
static int subscribe_name(cw_cli *cli, const char *sub, cal_import_file *f, const sub_opts *so, const char *url,
                          const cw_subs *subs)
{
    char fallback[80];
    default_name(f, url, fallback, sizeof fallback);
    if (!so->io.name)
        cal_import_find_again(cli->station, f);
    int code = cal_import_choose_name(sub, f, &so->io, fallback);
    if (code)
        return code;
    const cw_subscription *other = cw_subs_find(subs, f->name);
    char *path = cw_asprintf("%s/calendars/%s", cli->station->dir, f->name);
    int taken = path && cw_path_exists(path) && !f->again;
    free(path);
    if (!so->io.name && other && f->again) {
        cw_cli_errorf(sub, "calendars/%s has the same events and follows another link (if the partner gave you a new "
                      "link for it: --name %.*s; else give this one its own --name)", f->name,
                      (int)(strlen(f->name) - 4), f->name);
        return CW_EXIT_REFUSED;
    }
    if (!so->io.name && (taken || other)) {
        cw_cli_errorf(sub, "calendars/%s is %s already (give this one its own name: --name NAME)", f->name,
                      other ? "another subscription" : "another calendar");
        return CW_EXIT_REFUSED;
    }
    return 0;
}

/* Store the calendar and its subscription (station lock held). */
static int subscribe_store(cw_cli *cli, const char *sub, cal_import_file *f, const sub_opts *so, const char *url,
                           const char *pin, const cw_fetch_res *res, cw_subs *subs)
{
    char *dir = cw_path_join(cli->station->dir, "calendars");
    char source[500];
    cal_subs_source(url, source, sizeof source);
    cw_partner_calendar pc;
    int code = dir ? cal_import_install(cli, sub, dir, f, &so->io, source, &pc) : CW_EXIT_ENV;
    free(dir);
    if (code)
        return code;
    const cw_subscription *old = cw_subs_find(subs, f->name);
    if (old && strcmp(old->url, url)) {
        char was[400];
        cw_sub_url_redact(old->url, was, sizeof was);
        printf("calendars/%s follows the new link now (it followed %s)\n", f->name, was);
    }
    int64_t now = (int64_t)time(NULL);
    cw_subscription s = {0};
    s.name = f->name;
    s.url = (char *)url;
    s.self_signed = so->self_signed;
    s.pin = (char *)pin;
    s.etag = res->etag;
    s.last_modified = res->last_modified;
    s.sha256 = cal_sha256_hex(f->data, f->len);
    s.checked = s.good = s.changed = now;
    s.result = "ok";
    int put = s.sha256 ? cw_subs_put(subs, &s) : CW_ENOMEM;
    free(s.sha256);
    if (put) {
        cw_cli_errorf(sub, "out of memory");
        return CW_EXIT_ENV;
    }
    if ((code = cal_subs_save(cli, sub, subs)) != 0)
        return code;
    char red[400];
    cw_sub_url_redact(url, red, sizeof red);
    printf("subscribed to %s as calendars/%s (priority %d%s, %zu event%s", red, f->name, pc.priority,
           pc.holidays ? ", holidays" : "", f->events, f->events == 1 ? "" : "s");
    if (f->skipped)
        printf("; %zu skipped for the errors above", f->skipped);
    printf(")\nfetch it again with: chalkwave calendar update %.*s\n", (int)(strlen(f->name) - 4), f->name);
    return 0;
}

static int subscribe_checked(cw_cli *cli, const char *sub, const char *url, const sub_opts *so, cw_subs *subs)
{
    char red[400];
    cw_sub_url_redact(url, red, sizeof red);
    for (size_t i = 0; i < subs->n; i++)
        if (!strcmp(subs->v[i].url, url)) {
            cw_cli_errorf(sub, "%s is subscribed already as calendars/%s (fetch it again: chalkwave calendar "
                          "update %.*s)", red, subs->v[i].name, (int)(strlen(subs->v[i].name) - 4), subs->v[i].name);
            return CW_EXIT_REFUSED;
        }
    char *pin = NULL;
    int code = read_pin(sub, so->pin, &pin);
    cw_fetch_res res;
    memset(&res, 0, sizeof res);
    cal_import_file f = {0};
    f.path = red;
    if (!code)
        code = first_fetch(sub, url, so, pin, &res);
    if (!code && so->self_signed && !pin) {
        if (!res.server_pin) {
            cw_cli_errorf(sub, "%s: the server's key could not be read to pin it (give it: --pin FILE.pem)", red);
            code = CW_EXIT_REFUSED;
        } else {
            pin = cw_strdup(res.server_pin);
            cw_cli_warnf(sub, "%s: the certificate is not signed by an authority this machine knows: its key %s "
                         "is trusted from now on (pinned: a changed certificate is refused)", red, res.server_pin);
        }
    }
    if (!code) {
        f.data = res.body;
        f.len = res.len;
        res.body = NULL;
        code = cal_import_validate(cli, sub, &f, so->io.holidays, NULL);
        if (code)
            cw_cli_errorf(sub, "%s cannot be used (see above): nothing was stored", red);
    }
    if (!code && f.events == 0 && f.skipped == 0)
        cw_cli_warnf(sub, "%s has no events yet", red);
    if (!code)
        code = subscribe_name(cli, sub, &f, so, url, subs);
    if (!code)
        code = cw_cli_lock(cli, sub, 1);
    if (!code)
        code = cal_reload_station(cli, sub); /* as it is now, under the lock */
    if (!code)
        code = subscribe_store(cli, sub, &f, so, url, pin, &res, subs);
    free(f.data);
    free(f.name);
    free(pin);
    cw_fetch_res_free(&res);
    return code;
}

int cal_subscribe(cw_cli *cli, int argc, char **argv)
{
    const char *sub = "calendar subscribe";
    sub_opts so = {{INT_MIN, 0, 0, 0, NULL}, NULL, 0, 60};
    const cw_opt opts[] = {
        {"name", 0, CW_OPT_STRING, &so.io.name, "NAME", "store it as calendars/NAME.ics (default: the calendar's own name)"},
        {"priority", 0, CW_OPT_INT, &so.io.priority, "N", "a higher number wins a conflict (default 0)"},
        {"holidays", 0, CW_OPT_FLAG, &so.io.holidays, NULL, "a public-holidays calendar: every all-day event is a blackout"},
        {"pin", 0, CW_OPT_STRING, &so.pin, "KEY",
         "the server must show this public key: sha256//BASE64, or a PEM file of its certificate or key"},
        {"self-signed", 0, CW_OPT_FLAG, &so.self_signed, NULL,
         "accept a certificate no known authority signed (a partner's own server); its key is pinned"},
        {"timeout", 0, CW_OPT_INT, &so.timeout, "S", "give up after S seconds (default 60)"},
        {0}};
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, sub, argc, argv, &pos, &npos, &rc,
                    "chalkwave calendar subscribe URL|- [--name NAME] [--priority N] [--holidays] [--pin KEY] "
                    "[--self-signed] [--timeout S]",
                    "Follow a partner's published calendar: an https://, http:// or webcal:// link\n"
                    "(Google's 'secret address in iCal format', Outlook's ICS link, a Nextcloud\n"
                    "export). It is fetched now, checked as 'calendar import' checks a file and\n"
                    "stored as calendars/NAME.ics; 'chalkwave calendar update' fetches it again.\n"
                    "The link is kept in calendars/subscriptions.conf (readable by you only) and\n"
                    "shown nowhere else: messages name its host and a short hash. Give '-' to\n"
                    "read the link from standard input (keeps it out of the shell's history).\n"
                    "TLS is verified against this machine's certificate authorities unless\n"
                    "--self-signed; a subscription with the same --name as an earlier one takes\n"
                    "over its calendar (a partner who reset the secret address).",
                    opts))
        return rc;
    if (npos != 1)
        return cw_cli_usagef(sub, "give one link (see 'chalkwave calendar subscribe --help')");
    so.io.have_priority = so.io.priority != INT_MIN;
    if (so.io.have_priority && (so.io.priority < -1000000 || so.io.priority > 1000000))
        return cw_cli_usagef(sub, "--priority must be between -1000000 and 1000000");
    if (so.timeout < 1 || so.timeout > 3600)
        return cw_cli_usagef(sub, "--timeout must be between 1 and 3600 seconds");
    char *url = NULL;
    if ((rc = read_link(sub, pos[0], &url)) != 0)
        return rc;
    if (strncmp(url, "https://", 8) && (so.pin || so.self_signed)) {
        free(url);
        return cw_cli_usagef(sub, "--pin and --self-signed are for https:// links");
    }
    if (so.io.name && !cal_target_name_ok(so.io.name)) {
        free(url);
        return cw_cli_usagef(sub, "--name must be a calendar name (letters, digits, '-', '_'; e.g. --name county)");
    }
    int lock = -1;
    cw_subs subs;
    int code = cal_subs_open(cli, sub, &lock, &subs);
    if (!code) {
        if (!strncmp(url, "http://", 7))
            cw_cli_warnf(sub, "an http:// link is not encrypted: the link and the calendar can be read on the way "
                         "(use https:// if the partner offers it)");
        code = subscribe_checked(cli, sub, url, &so, &subs);
    }
    cw_subs_free(&subs);
    cw_station_unlock(lock);
    free(url);
    return code;
}

/* ---- unsubscribe ------------------------------------------------------------------------------- */

int cal_unsubscribe(cw_cli *cli, int argc, char **argv)
{
    const char *sub = "calendar unsubscribe";
    int remove = 0;
    const cw_opt opts[] = {{"remove", 0, CW_OPT_FLAG, &remove, NULL, "also remove the calendar (as calendar remove)"}, {0}};
    const char **pos;
    int npos, rc;
    if (cw_cli_opts(cli, sub, argc, argv, &pos, &npos, &rc, "chalkwave calendar unsubscribe NAME [--remove]",
                    "Stop following a calendar's link. The last copy stays in calendars/ as an\n"
                    "imported calendar, so its lessons keep airing (nothing is lost by accident);\n"
                    "--remove takes it out of the station as well.",
                    opts))
        return rc;
    if (npos != 1)
        return cw_cli_usagef(sub, "give one calendar name (see 'chalkwave calendar list')");
    char *name = cal_target_name_ok(pos[0]) ? cal_target_name(pos[0]) : NULL;
    if (!name)
        return cw_cli_usagef(sub, "give a calendar name as 'chalkwave calendar list' shows it");
    int lock = -1;
    cw_subs subs;
    int code = cal_subs_open(cli, sub, &lock, &subs);
    cw_subscription *s = code ? NULL : cw_subs_find(&subs, name);
    if (!code && !s) {
        cw_cli_errorf(sub, "calendars/%s is no subscription (see 'chalkwave calendar list')", name);
        code = CW_EXIT_REFUSED;
    }
    char red[400] = "", source[500];
    if (s) {
        cw_sub_url_redact(s->url, red, sizeof red);
        snprintf(source, sizeof source, "former subscription %s", red);
    }
    if (!code)
        code = cw_cli_lock(cli, sub, 1);
    if (!code)
        code = cal_reload_station(cli, sub);
    if (!code && remove) {
        code = cal_remove_calendar(cli, sub, name, &subs); /* saves subs without the subscription */
    } else if (!code) {
        const cw_partner_calendar *pc = cw_station_calendar(cli->station, name);
        if (pc) {
            cw_partner_calendar c = *pc;
            c.source = source;
            cw_error err;
            cw_error_clear(&err);
            if ((rc = cw_station_put_calendar(cli->station, &c, &err)) != 0)
                code = cw_cli_report(sub, rc, &err);
        }
    }
    if (!code && !remove && cw_subs_remove(&subs, name) == 0)
        code = cal_subs_save(cli, sub, &subs);
    if (!code && remove)
        printf("unsubscribed from %s and removed calendars/%s\n", red, name);
    else if (!code)
        printf("unsubscribed from %s: calendars/%s stays as its last copy (remove it with: chalkwave calendar "
               "remove %.*s)\n", red, name, (int)(strlen(name) - 4), name);
    cw_subs_free(&subs);
    cw_station_unlock(lock);
    free(name);
    return code;
}
