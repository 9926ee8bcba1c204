/* sub_state.c — what may be shown of a subscription: its link redacted, TLS mode, the last
 * fetch and its outcome (cw_sub_state), for `calendar list` and the desk.
 * Guarantees: built from calendars/subscriptions.conf alone; no function here returns or
 * keeps the link itself, prints, or touches the network. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendars.h"

const char *cw_sub_status_name(cw_sub_status s)
{
    static const char *const names[] = {"never", "ok", "unreachable", "failed"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

char *cw_subs_path(const char *station_dir)
{
    return cw_asprintf("%s/calendars/subscriptions.conf", station_dir);
}

/* The outcome the last update wrote (cli/cmd_calendar_update.c: "ok", "unchanged", or
 * "failed: " + why, where an unreachable server's why begins "not reachable"). */
static cw_sub_status status_of(const char *result)
{
    if (!result || !*result)
        return CW_SUB_NEVER;
    if (!strncmp(result, "failed: not reachable", 21))
        return CW_SUB_UNREACHABLE;
    if (!strncmp(result, "failed", 6))
        return CW_SUB_FAILED;
    return CW_SUB_OK;
}

void cw_sub_state_of(const cw_subscription *s, cw_sub_state *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->name, sizeof out->name, "%s", s->name ? s->name : "");
    const char *url = s->url ? s->url : "";
    cw_sub_url_redact(url, out->link, sizeof out->link);
    cw_sub_url_host(url, out->host, sizeof out->host);
    cw_sub_url_hash(url, out->link_hash);
    out->tls = strncmp(url, "https://", 8) ? "none"
               : s->self_signed            ? "self-signed, pinned"
               : s->pin                    ? "verified, pinned"
                                           : "verified";
    out->status = s->checked > 0 ? status_of(s->result) : CW_SUB_NEVER;
    if (s->result) {
        snprintf(out->result, sizeof out->result, "%s", s->result);
        cw_sub_scrub(out->result, url); /* written by us without links; scrubbed all the same */
    }
    out->last_fetch = s->checked;
    out->last_good = s->good;
    out->last_change = s->changed;
}

static int cmp_state(const void *a, const void *b)
{
    return strcmp(((const cw_sub_state *)a)->name, ((const cw_sub_state *)b)->name);
}

int cw_subs_states(const char *station_dir, cw_sub_state **out, size_t *n, cw_error *err)
{
    *out = NULL;
    *n = 0;
    char *path = cw_subs_path(station_dir);
    if (!path)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    cw_subs subs;
    int rc = cw_subs_load(&subs, path, err);
    free(path);
    if (rc)
        return rc;
    if (subs.n) {
        *out = calloc(subs.n, sizeof **out);
        if (!*out) {
            cw_subs_free(&subs);
            return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        }
    }
    for (size_t i = 0; i < subs.n; i++)
        cw_sub_state_of(&subs.v[i], &(*out)[i]);
    *n = subs.n;
    if (subs.n > 1)
        qsort(*out, subs.n, sizeof **out, cmp_state);
    cw_subs_free(&subs);
    return 0;
}
