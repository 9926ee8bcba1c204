/* shout.c — the Icecast transport on libshout (Debian libshout3): a non-blocking source
 * connection (HTTP PUT/SOURCE, or ICY) for Ogg, so a slow or dead server never holds up
 * pacing; and parsing of output URLs.
 * Guarantees: the password never reaches a log line or the as-run (display names drop it);
 * libshout prints nothing. */
#include "air_int.h"

#include <shout/shout.h>
#include <stdlib.h>
#include <string.h>

typedef struct shout_tr {
    shout_t *s;
    cw_air_output_spec spec;
    char name[200];
    int rate, channels;
    int pending; /* shout_open said BUSY: poll shout_get_connected */
} shout_tr;

static void fail_text(shout_tr *t, cw_error *err, const char *what)
{
    cw_fail(err, CW_EIO, "", 0, "%s %s:%d%s: %s", what, t->spec.host, t->spec.port, t->spec.mount,
            t->s ? shout_get_error(t->s) : "out of memory");
}

static int tr_open(void *tp, cw_error *err)
{
    shout_tr *t = tp;
    if (!t->s) {
        t->s = shout_new();
        if (!t->s) {
            fail_text(t, err, "cannot connect to");
            return -1;
        }
        char num[16];
        int bad = shout_set_host(t->s, t->spec.host) != SHOUTERR_SUCCESS ||
                  shout_set_port(t->s, (unsigned short)t->spec.port) != SHOUTERR_SUCCESS ||
                  shout_set_user(t->s, t->spec.user) != SHOUTERR_SUCCESS ||
                  shout_set_password(t->s, t->spec.password) != SHOUTERR_SUCCESS ||
                  shout_set_mount(t->s, t->spec.mount) != SHOUTERR_SUCCESS ||
                  shout_set_protocol(t->s, t->spec.icy ? SHOUT_PROTOCOL_ICY : SHOUT_PROTOCOL_HTTP) != SHOUTERR_SUCCESS ||
                  shout_set_content_format(t->s, SHOUT_FORMAT_OGG, SHOUT_USAGE_AUDIO, NULL) != SHOUTERR_SUCCESS ||
                  shout_set_meta(t->s, SHOUT_META_NAME, t->name) != SHOUTERR_SUCCESS ||
                  shout_set_agent(t->s, "chalkwave/" CW_VERSION) != SHOUTERR_SUCCESS ||
                  shout_set_nonblocking(t->s, 1) != SHOUTERR_SUCCESS;
        snprintf(num, sizeof num, "%d", t->rate);
        bad = bad || shout_set_audio_info(t->s, SHOUT_AI_SAMPLERATE, num) != SHOUTERR_SUCCESS;
        snprintf(num, sizeof num, "%d", t->channels);
        bad = bad || shout_set_audio_info(t->s, SHOUT_AI_CHANNELS, num) != SHOUTERR_SUCCESS;
        if (bad) {
            fail_text(t, err, "cannot set up the connection to");
            shout_free(t->s);
            t->s = NULL;
            return -1;
        }
        int rc = shout_open(t->s);
        if (rc == SHOUTERR_SUCCESS || rc == SHOUTERR_CONNECTED)
            return 0;
        if (rc == SHOUTERR_BUSY) {
            t->pending = 1;
            return 1;
        }
        fail_text(t, err, "cannot connect to");
        return -1;
    }
    int rc = shout_get_connected(t->s);
    if (rc == SHOUTERR_CONNECTED) {
        t->pending = 0;
        return 0;
    }
    if (rc == SHOUTERR_BUSY)
        return 1;
    fail_text(t, err, rc == SHOUTERR_NOLOGIN ? "the server refused the login (check user, password and mount) at"
                                             : "cannot connect to");
    return -1;
}

static int tr_send(void *tp, const unsigned char *data, size_t len, cw_error *err)
{
    shout_tr *t = tp;
    if (!t->s)
        return cw_fail(err, CW_EIO, "", 0, "not connected");
    int rc = shout_send(t->s, data, len);
    if (rc == SHOUTERR_SUCCESS || rc == SHOUTERR_BUSY)
        return 0;
    if (rc == SHOUTERR_SOCKET || rc == SHOUTERR_UNCONNECTED)
        cw_fail(err, CW_EIO, "", 0, "the connection to %s:%d%s broke (the server stopped or the network is down)",
                t->spec.host, t->spec.port, t->spec.mount);
    else
        fail_text(t, err, "lost the connection to");
    return -1;
}

static long tr_queued(void *tp)
{
    shout_tr *t = tp;
    if (!t->s)
        return 0;
    ssize_t q = shout_queuelen(t->s);
    return q > 0 ? (long)q : 0;
}

static void tr_close(void *tp)
{
    shout_tr *t = tp;
    if (t->s) {
        shout_close(t->s);
        shout_free(t->s);
    }
    t->s = NULL;
    t->pending = 0;
}

static void tr_free(void *tp)
{
    tr_close(tp);
    free(tp);
}

const air_shout_ops air_shout_libshout_ops = {tr_open, tr_send, tr_queued, tr_close, tr_free};

int air_shout_libshout(void **out, const cw_air_output_spec *spec, const cw_station *st, cw_error *err)
{
    *out = NULL;
    shout_tr *t = calloc(1, sizeof *t);
    if (!t)
        return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    t->spec = *spec;
    snprintf(t->name, sizeof t->name, "%s", st->name ? st->name : "chalkwave");
    t->rate = st->rate;
    t->channels = st->channels;
    *out = t;
    return 0;
}

/* ---- output URLs ------------------------------------------------------------------------ */

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* %XX escapes (RFC 3986) of a URL's user or password. */
static int pct_decode(const char *s, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int h = hexval(s[i + 1]), l = hexval(s[i + 2]);
            if (h < 0 || l < 0 || (h == 0 && l == 0))
                return -1;
            c = h * 16 + l;
            i += 2;
        }
        if (k + 1 >= cap)
            return -1;
        out[k++] = (char)c;
    }
    out[k] = 0;
    return 0;
}

int cw_air_output_parse(cw_air_output_spec *o, const char *url, cw_error *err)
{
    memset(o, 0, sizeof *o);
    if (!strncmp(url, "alsa:", 5)) {
        const char *dev = url + 5;
        if (!*dev || strlen(dev) >= sizeof o->device)
            return cw_fail(err, CW_EUSAGE, "", 0, "'%s' names no sound card (write alsa:default or alsa:plughw:0,0)", url);
        o->type = CW_AIR_OUT_ALSA;
        snprintf(o->device, sizeof o->device, "%s", dev);
        snprintf(o->display, sizeof o->display, "alsa:%s", dev);
        return 0;
    }
    const char *rest;
    if (!strncmp(url, "icecast://", 10))
        rest = url + 10;
    else if (!strncmp(url, "icy://", 6)) {
        rest = url + 6;
        o->icy = 1;
    } else {
        return cw_fail(err, CW_EUSAGE, "", 0,
                       "'%s' is not an output (write icecast://USER:PASS@HOST:PORT/MOUNT or alsa:DEVICE)", url);
    }
    o->type = CW_AIR_OUT_ICECAST;
    const char *slash = strchr(rest, '/');
    const char *at = memchr(rest, '@', slash ? (size_t)(slash - rest) : strlen(rest));
    if (!slash || !slash[1])
        return cw_fail(err, CW_EUSAGE, "", 0, "'%s' names no mount point (add one, e.g. .../radio.ogg)", url);
    snprintf(o->user, sizeof o->user, "source");
    if (at) {
        const char *colon = memchr(rest, ':', (size_t)(at - rest));
        size_t ul = colon ? (size_t)(colon - rest) : (size_t)(at - rest);
        if (ul && pct_decode(rest, ul, o->user, sizeof o->user) != 0)
            return cw_fail(err, CW_EUSAGE, "", 0, "the user name in '%s' cannot be read", url);
        if (colon && pct_decode(colon + 1, (size_t)(at - colon - 1), o->password, sizeof o->password) != 0)
            return cw_fail(err, CW_EUSAGE, "", 0, "the password in the output URL cannot be read");
        rest = at + 1;
    }
    if (!o->password[0]) {
        const char *env = getenv("CHALKWAVE_ICECAST_PASSWORD");
        if (env)
            snprintf(o->password, sizeof o->password, "%s", env);
    }
    size_t hl = (size_t)(slash - rest);
    const char *colon = memchr(rest, ':', hl);
    if (rest[0] == '[') { /* [IPv6]:port */
        const char *close = memchr(rest, ']', hl);
        if (!close)
            return cw_fail(err, CW_EUSAGE, "", 0, "the host in '%s' cannot be read", url);
        colon = close + 1 < slash && close[1] == ':' ? close + 1 : NULL;
        snprintf(o->host, sizeof o->host, "%.*s", (int)(close - rest - 1), rest + 1);
    } else {
        size_t n = colon ? (size_t)(colon - rest) : hl;
        if (!n || n >= sizeof o->host)
            return cw_fail(err, CW_EUSAGE, "", 0, "'%s' names no host (write icecast://HOST:PORT/MOUNT)", url);
        snprintf(o->host, sizeof o->host, "%.*s", (int)n, rest);
    }
    o->port = 8000;
    if (colon) {
        char *end;
        long p = strtol(colon + 1, &end, 10);
        if (end != slash || p < 1 || p > 65535)
            return cw_fail(err, CW_EUSAGE, "", 0, "the port in '%s' is not a number from 1 to 65535", url);
        o->port = (int)p;
    }
    if (strlen(slash) >= sizeof o->mount)
        return cw_fail(err, CW_EUSAGE, "", 0, "the mount point in '%s' is too long", url);
    snprintf(o->mount, sizeof o->mount, "%s", slash);
    for (const char *p = o->mount; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == '?' || *p == '#')
            return cw_fail(err, CW_EUSAGE, "", 0, "the mount point '%s' has a space or '?' in it (use a plain name such as /radio.ogg)",
                           o->mount);
    snprintf(o->display, sizeof o->display, "%s://%s%s%s%s:%d%s", o->icy ? "icy" : "icecast",
             strchr(o->host, ':') ? "[" : "", o->host, strchr(o->host, ':') ? "]" : "", "", o->port, o->mount);
    return 0;
}
