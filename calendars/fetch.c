/* fetch.c — fetching subscribed calendars' links with libcurl: several at a time (curl's
 * multi interface), conditional GET (If-None-Match / If-Modified-Since), bounded in time,
 * redirects and size, TLS verified against the system's CA store, with pinned public keys
 * and an explicit self-signed mode; the server's key for pinning (OpenSSL).
 * Guarantees: the body never grows past the bound (refused as it arrives); every outcome is
 * a status plus one line that names hosts but never a link (libcurl's own error text is
 * scrubbed: it can hold the URL); nothing is printed (libcurl's verbose output stays off). */
#define CURL_DISABLE_TYPECHECK /* the calls below go through pointers (see cu) */
#include <curl/curl.h>
#include <dlfcn.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "calendars.h"

#define DEFAULT_TIMEOUT 60L
#define CONNECT_TIMEOUT 20L
#define MAX_REDIRS 5L
#define HEADER_MAX 1024

typedef struct xfer {
    CURL *h;
    struct curl_slist *hdrs;
    const cw_fetch_req *req;
    cw_fetch_res *res;
    cw_buf body;
    size_t max;
    int too_large;
    char etag[HEADER_MAX], lm[HEADER_MAX], ctype[HEADER_MAX];
    char errbuf[CURL_ERROR_SIZE];
    char host[256];
} xfer;

/* libcurl is opened (dlopen) the first time a link is fetched, not linked: with its own
 * dependencies (Kerberos, LDAP, SSH, RTMP, ...) it made every chalkwave process, `air` among
 * them, 6 MB larger; only `calendar subscribe/update` and the desk's update need it. */
static struct {
    CURLcode (*global_init)(long);
    CURL *(*easy_init)(void);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    void (*easy_cleanup)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
    CURLM *(*multi_init)(void);
    CURLMcode (*multi_setopt)(CURLM *, CURLMoption, ...);
    CURLMcode (*multi_add_handle)(CURLM *, CURL *);
    CURLMcode (*multi_remove_handle)(CURLM *, CURL *);
    CURLMcode (*multi_perform)(CURLM *, int *);
    CURLMcode (*multi_poll)(CURLM *, struct curl_waitfd[], unsigned int, int, int *);
    CURLMsg *(*multi_info_read)(CURLM *, int *);
    CURLMcode (*multi_cleanup)(CURLM *);
    const char *(*multi_strerror)(CURLMcode);
} cu;
#undef curl_easy_setopt /* curl.h's own wrappers of these */
#undef curl_easy_getinfo
#undef curl_multi_setopt
#define curl_global_init cu.global_init
#define curl_easy_init cu.easy_init
#define curl_easy_setopt cu.easy_setopt
#define curl_easy_getinfo cu.easy_getinfo
#define curl_easy_cleanup cu.easy_cleanup
#define curl_easy_strerror cu.easy_strerror
#define curl_slist_append cu.slist_append
#define curl_slist_free_all cu.slist_free_all
#define curl_multi_init cu.multi_init
#define curl_multi_setopt cu.multi_setopt
#define curl_multi_add_handle cu.multi_add_handle
#define curl_multi_remove_handle cu.multi_remove_handle
#define curl_multi_perform cu.multi_perform
#define curl_multi_poll cu.multi_poll
#define curl_multi_info_read cu.multi_info_read
#define curl_multi_cleanup cu.multi_cleanup
#define curl_multi_strerror cu.multi_strerror

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static char curl_init_error[400]; /* "" once libcurl is loaded and initialised */

static void curl_init(void)
{
    void *h = dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(curl_init_error, sizeof curl_init_error, "libcurl cannot be loaded (%.200s): install "
                 "Debian's libcurl4 (scripts/setup.sh does)", e ? e : "libcurl.so.4");
        return;
    }
    static const char *const names[] = {
        "curl_global_init", "curl_easy_init", "curl_easy_setopt", "curl_easy_getinfo", "curl_easy_cleanup",
        "curl_easy_strerror", "curl_slist_append", "curl_slist_free_all", "curl_multi_init",
        "curl_multi_setopt", "curl_multi_add_handle", "curl_multi_remove_handle", "curl_multi_perform",
        "curl_multi_poll", "curl_multi_info_read", "curl_multi_cleanup", "curl_multi_strerror"};
    void **slots[] = {(void **)&cu.global_init, (void **)&cu.easy_init, (void **)&cu.easy_setopt,
                      (void **)&cu.easy_getinfo, (void **)&cu.easy_cleanup, (void **)&cu.easy_strerror,
                      (void **)&cu.slist_append, (void **)&cu.slist_free_all, (void **)&cu.multi_init,
                      (void **)&cu.multi_setopt, (void **)&cu.multi_add_handle, (void **)&cu.multi_remove_handle,
                      (void **)&cu.multi_perform, (void **)&cu.multi_poll, (void **)&cu.multi_info_read,
                      (void **)&cu.multi_cleanup, (void **)&cu.multi_strerror};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!(*slots[i] = dlsym(h, names[i]))) {
            snprintf(curl_init_error, sizeof curl_init_error, "the installed libcurl has no %s (libcurl "
                     "7.66 or newer is needed)", names[i]);
            return;
        }
    CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (rc != CURLE_OK)
        snprintf(curl_init_error, sizeof curl_init_error, "libcurl cannot start: %s", curl_easy_strerror(rc));
}

/* ---- callbacks ------------------------------------------------------------------------------ */

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
    xfer *x = user;
    size_t n = size * nmemb;
    if (x->body.len + n > x->max) {
        x->too_large = 1;
        return 0; /* aborts the transfer: the bound holds while the body streams in */
    }
    cw_buf_append(&x->body, data, n);
    return x->body.oom ? 0 : n;
}

/* Keep a header's value if it is one line of printable text. */
static void keep_header(char *dst, const char *v, size_t n)
{
    while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    while (n && (*v == ' ' || *v == '\t'))
        v++, n--;
    dst[0] = 0;
    if (n >= HEADER_MAX)
        return;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
            return;
    memcpy(dst, v, n);
    dst[n] = 0;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *user)
{
    xfer *x = user;
    size_t n = size * nmemb;
    if (n >= 5 && !strncmp(data, "HTTP/", 5)) { /* a new answer (after a redirect): forget the last */
        x->etag[0] = x->lm[0] = x->ctype[0] = 0;
        return n;
    }
    static const struct {
        const char *name;
        size_t off;
    } keys[] = {{"etag:", offsetof(xfer, etag)},
                {"last-modified:", offsetof(xfer, lm)},
                {"content-type:", offsetof(xfer, ctype)}};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        size_t kl = strlen(keys[i].name);
        if (n > kl && !strncasecmp(data, keys[i].name, kl))
            keep_header((char *)x + keys[i].off, data + kl, n - kl);
    }
    return n;
}

/* ---- set up one transfer ---------------------------------------------------------------- */

static int add_header(xfer *x, const char *name, const char *value)
{
    char *h = cw_asprintf("%s: %s", name, value);
    struct curl_slist *l = h ? curl_slist_append(x->hdrs, h) : NULL;
    free(h);
    if (!l)
        return -1;
    x->hdrs = l;
    return 0;
}

static int xfer_setup(xfer *x)
{
    const cw_fetch_req *r = x->req;
    CURL *h = x->h = curl_easy_init();
    if (!h)
        return -1;
    cw_sub_url_host(r->url, x->host, sizeof x->host);
    long timeout = r->timeout > 0 ? r->timeout : DEFAULT_TIMEOUT;
    int https = !strncasecmp(r->url, "https://", 8);
    if ((r->etag && add_header(x, "If-None-Match", r->etag)) ||
        (r->last_modified && add_header(x, "If-Modified-Since", r->last_modified)) ||
        add_header(x, "Accept", "text/calendar, */*;q=0.5"))
        return -1;
    CURLcode c = CURLE_OK;
#define SET(opt, val)                                                                                                \
    if (c == CURLE_OK)                                                                                               \
    c = curl_easy_setopt(h, opt, val)
    SET(CURLOPT_URL, r->url);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    /* a redirect never leaves https for http: the link's secret would travel in clear */
    SET(CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 1L);
    SET(CURLOPT_MAXREDIRS, MAX_REDIRS);
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_TIMEOUT_MS, timeout * 1000L);
    SET(CURLOPT_CONNECTTIMEOUT_MS, (timeout < CONNECT_TIMEOUT ? timeout : CONNECT_TIMEOUT) * 1000L);
    SET(CURLOPT_ACCEPT_ENCODING, "");
    SET(CURLOPT_USERAGENT, "chalkwave/" CW_VERSION " (calendar subscription)");
    SET(CURLOPT_HTTPHEADER, x->hdrs);
    SET(CURLOPT_WRITEFUNCTION, on_body);
    SET(CURLOPT_WRITEDATA, x);
    SET(CURLOPT_HEADERFUNCTION, on_header);
    SET(CURLOPT_HEADERDATA, x);
    SET(CURLOPT_ERRORBUFFER, x->errbuf);
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)x->max);
    SET(CURLOPT_SSL_VERIFYPEER, r->self_signed ? 0L : 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (r->pin)
        SET(CURLOPT_PINNEDPUBLICKEY, r->pin);
    if (r->want_pin)
        SET(CURLOPT_CERTINFO, 1L);
    SET(CURLOPT_PRIVATE, x);
#undef SET
    return c == CURLE_OK ? 0 : -1;
}

/* ---- outcomes ------------------------------------------------------------------------------ */

static const char *http_reason(long code)
{
    switch (code) {
    case 400: return "refused the request (400)";
    case 401: return "asks for a password (401: the link may have expired; ask the partner for a new one)";
    case 403: return "refused the link (403: the secret address may have been reset; ask the partner for the new one)";
    case 404: return "has no calendar at this link (404: moved or deleted; ask the partner for the new link)";
    case 410: return "says the calendar is gone (410: ask the partner for the new link)";
    case 429: return "asks to be asked less often (429: update less often)";
    default: break;
    }
    return code >= 500 ? "had an error" : "answered with an error";
}

static void say(xfer *x, cw_fetch_status st, const char *fmt, ...) CW_PRINTF(3, 4);
static void say(xfer *x, cw_fetch_status st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    x->res->status = st;
    vsnprintf(x->res->text, sizeof x->res->text, fmt, ap);
    va_end(ap);
    cw_sub_scrub(x->res->text, x->req->url);
}

/* Where the transfer ended, when a redirect took it to another host: " (redirected to H)". */
static void redirected(xfer *x, char *out, size_t n)
{
    char *eff = NULL, host[256];
    out[0] = 0;
    if (curl_easy_getinfo(x->h, CURLINFO_EFFECTIVE_URL, &eff) == CURLE_OK && eff) {
        cw_sub_url_host(eff, host, sizeof host);
        if (host[0] && strcmp(host, x->host))
            snprintf(out, n, " (redirected to %s)", host);
    }
}

static void server_pin(xfer *x)
{
    struct curl_certinfo *ci = NULL;
    if (curl_easy_getinfo(x->h, CURLINFO_CERTINFO, &ci) != CURLE_OK || !ci || ci->num_of_certs < 1)
        return;
    for (struct curl_slist *l = ci->certinfo[0]; l; l = l->next) {
        if (strncmp(l->data, "Cert:", 5))
            continue;
        BIO *b = BIO_new_mem_buf(l->data + 5, -1);
        X509 *cert = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
        unsigned char *der = NULL;
        int dl = cert ? i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der) : -1;
        if (dl > 0) {
            unsigned char md[EVP_MAX_MD_SIZE];
            unsigned int ml = 0;
            unsigned char b64[EVP_MAX_MD_SIZE * 2];
            if (EVP_Digest(der, (size_t)dl, md, &ml, EVP_sha256(), NULL)) {
                EVP_EncodeBlock(b64, md, (int)ml);
                x->res->server_pin = cw_asprintf("sha256//%s", (char *)b64);
            }
        }
        OPENSSL_free(der);
        X509_free(cert);
        BIO_free(b);
        return;
    }
}

/* The proxy libcurl takes for this link from the environment (http_proxy for http://;
 * https_proxy or HTTPS_PROXY for https://; else all_proxy or ALL_PROXY), as host[:port]
 * without its user name, and the variable's name; NULL when none or when no_proxy may exempt
 * the host (for messages only: which machine could not be reached). */
static const char *env_proxy(const xfer *x, char *out, size_t n)
{
    out[0] = 0;
    int https = !strncasecmp(x->req->url, "https://", 8);
    const char *names[] = {https ? "https_proxy" : "http_proxy", https ? "HTTPS_PROXY" : NULL, "all_proxy",
                           "ALL_PROXY"};
    const char *p = NULL, *var = NULL;
    for (size_t i = 0; i < 4 && !(p && *p); i++)
        p = names[i] ? getenv(var = names[i]) : NULL;
    if (!p || !*p)
        return NULL;
    const char *np = getenv("no_proxy");
    if (!np || !*np)
        np = getenv("NO_PROXY");
    char host[256];
    snprintf(host, sizeof host, "%s", x->host);
    char *colon = strrchr(host, ':');
    if (colon && !strchr(host, ']'))
        *colon = 0;
    for (const char *e = np ? np : ""; *e;) {
        size_t len = strcspn(e, ", ");
        const char *t = *e == '.' ? e + 1 : e;
        size_t tl = len - (size_t)(t - e), hl = strlen(host);
        if ((len == 1 && *e == '*') || memchr(e, '/', len) || /* "*" or a CIDR range: may be exempt */
            (tl && hl >= tl && !strncasecmp(host + hl - tl, t, tl) && (hl == tl || host[hl - tl - 1] == '.')))
            return NULL;
        e += len;
        e += strspn(e, ", ");
    }
    char url[600];
    snprintf(url, sizeof url, "%s%s", strstr(p, "://") ? "" : "http://", p);
    cw_sub_url_host(url, out, n);
    return *out ? var : NULL;
}

static void finish(xfer *x, CURLcode c)
{
    cw_fetch_res *r = x->res;
    long code = 0;
    curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &code);
    r->http_code = code;
    if (x->req->want_pin)
        server_pin(x);
    char redir[300], detail[CURL_ERROR_SIZE + 8] = "";
    redirected(x, redir, sizeof redir);
    if (x->errbuf[0]) {
        size_t n = strlen(x->errbuf);
        while (n && (x->errbuf[n - 1] == '\n' || x->errbuf[n - 1] == '.'))
            x->errbuf[--n] = 0;
        snprintf(detail, sizeof detail, ": %s", x->errbuf);
    }
    const char *h = x->host;
    char proxy[256];
    const char *pvar;
    if (c == CURLE_OK) {
        if (code == 304) {
            r->status = CW_FETCH_NOT_MODIFIED;
        } else if (code >= 200 && code < 300) {
            r->status = CW_FETCH_OK;
            r->len = x->body.len;
            r->body = x->body.data ? x->body.data : cw_strdup("");
            x->body.data = NULL;
            if (!r->body)
                say(x, CW_FETCH_FAILED, "out of memory");
        } else {
            say(x, CW_FETCH_HTTP_ERROR, "the server %s%s %s", h, redir, http_reason(code));
            if (code >= 500 || (code != 400 && code != 401 && code != 403 && code != 404 && code != 410 && code != 429))
                snprintf(r->text + strlen(r->text), sizeof r->text - strlen(r->text), " (%ld; try again later)", code);
        }
    } else if (x->too_large || c == CURLE_FILESIZE_EXCEEDED) {
        say(x, CW_FETCH_TOO_LARGE, "the calendar at %s%s is larger than %zu MiB (ask the partner to publish less "
            "history)", h, redir, x->max >> 20);
    } else if ((c == CURLE_COULDNT_RESOLVE_PROXY || c == CURLE_COULDNT_CONNECT) &&
               (pvar = env_proxy(x, proxy, sizeof proxy)) != NULL) {
        say(x, CW_FETCH_UNREACHABLE, "cannot %s the proxy %s (%s in the environment) to reach %s",
            c == CURLE_COULDNT_CONNECT ? "connect to" : "find", proxy, pvar, h);
    } else if (c == CURLE_COULDNT_RESOLVE_HOST || c == CURLE_COULDNT_RESOLVE_PROXY) {
        say(x, CW_FETCH_UNREACHABLE, "cannot find the server %s (no network, or a wrong name)", h);
    } else if (c == CURLE_COULDNT_CONNECT) {
        say(x, CW_FETCH_UNREACHABLE, "cannot connect to %s%s (no network, or the server is down)", h, redir);
    } else if (c == CURLE_OPERATION_TIMEDOUT) {
        say(x, CW_FETCH_UNREACHABLE, "no answer from %s%s within %ld s", h, redir,
            x->req->timeout > 0 ? x->req->timeout : DEFAULT_TIMEOUT);
    } else if (c == CURLE_PARTIAL_FILE || c == CURLE_RECV_ERROR || c == CURLE_SEND_ERROR || c == CURLE_GOT_NOTHING ||
               c == CURLE_HTTP2 || c == CURLE_HTTP2_STREAM || c == CURLE_BAD_CONTENT_ENCODING) {
        say(x, CW_FETCH_UNREACHABLE, "the connection to %s%s broke before the whole calendar arrived%s", h, redir,
            detail);
    } else if (c == CURLE_SSL_CONNECT_ERROR) {
        say(x, CW_FETCH_UNREACHABLE, "the secure connection to %s%s failed%s", h, redir, detail);
    } else if (c == CURLE_SSL_PINNEDPUBKEYNOTMATCH) {
        say(x, CW_FETCH_UNTRUSTED, "%s%s showed another key than the pinned one (its certificate changed, or "
            "someone is in between: check with the partner, then subscribe again with the new --pin)", h, redir);
    } else if (c == CURLE_PEER_FAILED_VERIFICATION && (strstr(x->errbuf, "host name") || strstr(x->errbuf, "subject name"))) {
        say(x, CW_FETCH_UNTRUSTED, "the certificate of %s%s is for another name%s (use the name the partner's "
            "certificate is made for)", h, redir, detail);
    } else if (c == CURLE_PEER_FAILED_VERIFICATION || c == CURLE_SSL_CACERT_BADFILE || c == CURLE_SSL_CERTPROBLEM ||
               c == CURLE_SSL_ISSUER_ERROR) {
        say(x, CW_FETCH_UNTRUSTED, "the certificate of %s%s is not trusted%s (a self-signed partner server: "
            "subscribe with --self-signed, or --pin its key)", h, redir, detail);
    } else if (c == CURLE_TOO_MANY_REDIRECTS) {
        say(x, CW_FETCH_FAILED, "%s redirects more than %ld times (ask the partner for the calendar's own link)", h,
            MAX_REDIRS);
    } else if (c == CURLE_UNSUPPORTED_PROTOCOL) {
        say(x, CW_FETCH_FAILED, "%s redirects to an address that is not %s (refused: the link could travel "
            "unencrypted)", h, !strncasecmp(x->req->url, "https://", 8) ? "https" : "http or https");
    } else {
        say(x, CW_FETCH_FAILED, "fetching from %s%s failed: %s%s", h, redir, curl_easy_strerror(c), detail);
    }
    if (r->status != CW_FETCH_OK && r->status != CW_FETCH_NOT_MODIFIED)
        return;
    r->etag = x->etag[0] ? cw_strdup(x->etag) : NULL;
    r->last_modified = x->lm[0] ? cw_strdup(x->lm) : NULL;
    r->content_type = x->ctype[0] ? cw_strdup(x->ctype) : NULL;
}

/* ---- the run ------------------------------------------------------------------------------- */

static void xfer_free(xfer *x)
{
    curl_easy_cleanup(x->h);
    curl_slist_free_all(x->hdrs);
    cw_buf_free(&x->body);
}

int cw_fetch_run(const cw_fetch_req *req, cw_fetch_res *res, size_t n, size_t parallel, cw_error *err)
{
    return cw_fetch_run_until(req, res, n, parallel, NULL, NULL, err);
}

int cw_fetch_run_until(const cw_fetch_req *req, cw_fetch_res *res, size_t n, size_t parallel,
                       int (*stop)(void *), void *stop_user, cw_error *err)
{
    for (size_t i = 0; i < n; i++)
        memset(&res[i], 0, sizeof res[i]);
    if (!n)
        return 0;
    pthread_once(&curl_once, curl_init);
    if (curl_init_error[0])
        return cw_fail(err, CW_EINTERNAL, "", 0, "%s", curl_init_error);
    xfer *x = calloc(n, sizeof *x);
    CURLM *m = curl_multi_init();
    int rc = 0;
    if (!x || !m) {
        rc = cw_fail(err, CW_ENOMEM, "", 0, "out of memory");
        goto done;
    }
    curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, (long)(parallel ? parallel : 8));
    curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, 4L);
    for (size_t i = 0; i < n; i++) {
        x[i].req = &req[i];
        x[i].res = &res[i];
        x[i].max = req[i].max_bytes ? req[i].max_bytes : CW_CAL_MAX_BYTES;
        cw_buf_init(&x[i].body);
        if (xfer_setup(&x[i]) || curl_multi_add_handle(m, x[i].h) != CURLM_OK) {
            rc = cw_fail(err, CW_ENOMEM, "", 0, "cannot set up the transfer of %s (out of memory?)", x[i].host);
            goto done;
        }
    }
    int running = 1;
    while (running) {
        CURLMcode mc = curl_multi_perform(m, &running);
        if (mc == CURLM_OK && running)
            mc = curl_multi_poll(m, NULL, 0, 1000, NULL);
        if (mc != CURLM_OK) {
            rc = cw_fail(err, CW_EINTERNAL, "", 0, "libcurl failed: %s", curl_multi_strerror(mc));
            goto done;
        }
        if (running && stop && stop(stop_user)) {
            rc = cw_fail(err, CW_ECANCELLED, "", 0, "the fetch was stopped before it ended");
            goto done;
        }
        CURLMsg *msg;
        int left;
        while ((msg = curl_multi_info_read(m, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE)
                continue;
            xfer *t = NULL;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
            if (t)
                finish(t, msg->data.result);
        }
    }
done:
    for (size_t i = 0; x && i < n; i++) {
        if (m && x[i].h)
            curl_multi_remove_handle(m, x[i].h);
        xfer_free(&x[i]);
    }
    curl_multi_cleanup(m);
    free(x);
    if (rc)
        for (size_t i = 0; i < n; i++)
            cw_fetch_res_free(&res[i]);
    return rc;
}

void cw_fetch_res_free(cw_fetch_res *r)
{
    if (!r)
        return;
    free(r->body);
    free(r->etag);
    free(r->last_modified);
    free(r->content_type);
    free(r->server_pin);
    memset(r, 0, sizeof *r);
}

/* ---- pins ----------------------------------------------------------------------------------- */

int cw_fetch_pin_valid(const char *s)
{
    if (!s || !*s)
        return 0;
    for (const char *p = s; *p;) {
        if (strncmp(p, "sha256//", 8))
            return 0;
        p += 8;
        size_t n = strcspn(p, ";");
        /* base64 of 32 bytes: 43 characters and '=' */
        if (n != 44 || p[43] != '=' ||
            strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") != 43)
            return 0;
        p += n;
        if (*p == ';' && !*++p)
            return 0;
    }
    return 1;
}

int cw_fetch_pin_from_pem(const char *path, char **out, cw_error *err)
{
    *out = NULL;
    char *data;
    size_t len;
    int rc = cw_read_file(path, 1 << 20, &data, &len, err);
    if (rc)
        return rc;
    BIO *b = BIO_new_mem_buf(data, (int)len);
    X509 *cert = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    EVP_PKEY *key = NULL;
    unsigned char *der = NULL;
    int dl = -1;
    if (cert) {
        dl = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
    } else if (b && BIO_reset(b) == 1 && (key = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL)) != NULL) {
        dl = i2d_PUBKEY(key, &der);
    }
    if (dl > 0) {
        unsigned char md[EVP_MAX_MD_SIZE], b64[EVP_MAX_MD_SIZE * 2];
        unsigned int ml = 0;
        if (EVP_Digest(der, (size_t)dl, md, &ml, EVP_sha256(), NULL)) {
            EVP_EncodeBlock(b64, md, (int)ml);
            *out = cw_asprintf("sha256//%s", (char *)b64);
        }
        if (!*out)
            rc = cw_fail(err, CW_ENOMEM, path, 0, "out of memory");
    } else {
        rc = cw_fail(err, CW_EINVAL, path, 0, "'%s' holds no PEM certificate or public key (give the partner "
                     "server's certificate, or --pin sha256//BASE64)", path);
    }
    OPENSSL_free(der);
    EVP_PKEY_free(key);
    X509_free(cert);
    BIO_free(b);
    free(data);
    return rc;
}
