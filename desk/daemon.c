/* daemon.c — the desk's libmicrohttpd daemon: the listening address, TLS files, the serve
 * lock (one desk per station) and the start and stop of the thread pool.
 * Guarantees: the address and the TLS files are checked before anything in the station
 * changes; uploads a killed desk left behind are removed under the serve lock, never while
 * another desk runs. */
#include "desk_int.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- the daemon ----------------------------------------------------------------------------- */

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    cw_desk *d = cls;
    if (!d->log) return;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\n")] = 0;
    char msg[560];
    snprintf(msg, sizeof msg, "http: %s", line);
    d->log(d->log_user, msg);
}

/* "ADDR:PORT", "[V6]:PORT" -> a socket address. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len, int *v6)
{
    char host[128];
    const char *colon = strrchr(s, ':');
    if (!colon || (size_t)(colon - s) >= sizeof host) return -1;
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = 0;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535) return -1;
    memset(ss, 0, sizeof *ss);
    if (host[0] == '[') {
        size_t hl = strlen(host);
        if (hl < 3 || host[hl - 1] != ']') return -1;
        host[hl - 1] = 0;
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1) return -1;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        *len = sizeof *a;
        *v6 = 1;
        return 0;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    if (!strcmp(host, "localhost")) snprintf(host, sizeof host, "127.0.0.1");
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1) return -1;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    *len = sizeof *a;
    *v6 = 0;
    return 0;
}

static int read_pem(const char *path, char **out, cw_error *err)
{
    size_t len;
    int rc = cw_read_file(path, 1024 * 1024, out, &len, err);
    if (rc == 0 && !strstr(*out, "-----BEGIN")) {
        free(*out);
        *out = NULL;
        rc = cw_fail(err, CW_EINVAL, path, 0, "'%s' is not a PEM file (give the certificate and key as PEM)", path);
    }
    return rc;
}

/* Remove what a killed server left: uploads in flight are never resumed. */
static void clean_uploads(const char *station_dir)
{
    char *dir = desk_store_path(station_dir, "uploads");
    if (!dir) return;
    cw_strlist names = {0};
    DIR *dd = opendir(dir);
    struct dirent *e;
    while (dd && (e = readdir(dd)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) cw_strlist_push(&names, e->d_name);
    if (dd) closedir(dd);
    for (size_t i = 0; i < names.n; i++) {
        char *p = cw_path_join(dir, names.v[i]);
        if (p) unlink(p);
        free(p);
    }
    cw_strlist_free(&names);
    free(dir);
}

int desk_serve_lock(cw_desk *d, cw_error *err)
{
    char *p = desk_store_path(d->station_dir, "serve.lock");
    if (!p) return cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
    int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    int rc = 0;
    if (fd < 0) rc = cw_fail(err, CW_EIO, p, 0, "cannot open '%s': %s", p, strerror(errno));
    else if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        fd = -1;
        rc = cw_fail(err, CW_ELOCKED, p, 0,
                     "another 'chalkwave serve' is running on this station (stop it first, or use that one)");
    }
    free(p);
    d->serve_lock_fd = fd;
    if (rc == 0) clean_uploads(d->station_dir);
    return rc;
}

int desk_check_opts(cw_desk *d, const cw_desk_opts *o, cw_error *err);
int desk_check_opts(cw_desk *d, const cw_desk_opts *o, cw_error *err)
{
    struct sockaddr_storage ss;
    socklen_t sl;
    int v6, rc;
    if (!o->listen || parse_listen(o->listen, &ss, &sl, &v6) != 0)
        return cw_fail(err, CW_EUSAGE, "", 0, "'%s' is not ADDR:PORT (e.g. 127.0.0.1:8070 or 0.0.0.0:8070)",
                       o->listen ? o->listen : "");
    if ((o->cert_path != NULL) != (o->key_path != NULL))
        return cw_fail(err, CW_EUSAGE, "", 0, "give both --cert and --key for HTTPS");
    if (o->cert_path) {
        if ((rc = read_pem(o->cert_path, &d->cert_pem, err)) != 0) return rc;
        if ((rc = read_pem(o->key_path, &d->key_pem, err)) != 0) return rc;
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
            return cw_fail(err, CW_EUNSUPPORTED, "", 0, "this libmicrohttpd has no TLS support (install Debian's libmicrohttpd12)");
        d->tls = 1;
    }
    return 0;
}

int desk_start_daemon(cw_desk *d, const cw_desk_opts *o, cw_error *err);
int desk_start_daemon(cw_desk *d, const cw_desk_opts *o, cw_error *err)
{
    const char *listen = o->listen;
    struct sockaddr_storage ss;
    socklen_t sl;
    int v6;
    parse_listen(listen, &ss, &sl, &v6); /* checked by desk_check_opts */
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    if (v6) flags |= MHD_USE_IPv6;
    if (d->tls) flags |= MHD_USE_TLS;
    int threads = o->threads > 0 ? o->threads : 2;
    struct MHD_OptionItem tls_opts[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, d->cert_pem},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, d->key_pem},
        {MHD_OPTION_END, 0, NULL},
    };
    d->mhd = MHD_start_daemon(flags, 0, NULL, NULL, desk_on_request, d,
                              MHD_OPTION_EXTERNAL_LOGGER, mhd_log, d,
                              MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                              MHD_OPTION_URI_LOG_CALLBACK, desk_on_uri, d,
                              MHD_OPTION_NOTIFY_COMPLETED, desk_on_completed, d,
                              MHD_OPTION_THREAD_POOL_SIZE, (unsigned)threads,
                              MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
                              MHD_OPTION_CONNECTION_LIMIT, (unsigned)1000,
                              MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
                              MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
                              MHD_OPTION_ARRAY, d->tls ? tls_opts : tls_opts + 2,
                              MHD_OPTION_END);
    if (!d->mhd)
        return cw_fail(err, CW_EIO, "", 0,
                       "cannot listen on %s (is the port in use, or the address not this machine's? try another with --listen)",
                       listen);
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(d->mhd, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = di ? di->port : 0;
    char host[128];
    snprintf(host, sizeof host, "%.*s", (int)(strrchr(listen, ':') - listen), listen);
    snprintf(d->address, sizeof d->address, "%s://%s:%u", d->tls ? "https" : "http", host, port);
    return 0;
}

void desk_stop_daemon(cw_desk *d);
void desk_stop_daemon(cw_desk *d)
{
    if (d->mhd) {
        MHD_stop_daemon(d->mhd);
        d->mhd = NULL;
    }
}
