/* fuzz_subs.c — libFuzzer target for calendars/subscriptions.conf (cw_subs_parse) and the
 * other text of outside origin the subscriptions read or rewrite: any bytes give either
 * subscriptions or one error naming the source and a line, never a crash, leak or hang.
 * Also checks the promises: what cw_subs_format writes is read back to the same values; a
 * parse error never quotes a link whole; cw_sub_scrub never grows the text and leaves no
 * path of a link; cw_cal_data_name gives valid UTF-8 without control characters;
 * cw_sub_url_redact never shows more than scheme, host and hash; cw_sub_state_of (the desk's
 * view) holds no path of the link. */
#include "calendars.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void same(const char *a, const char *b)
{
    if ((a == NULL) != (b == NULL) || (a && strcmp(a, b)))
        abort();
}

static void round_trip(const cw_subs *s)
{
    cw_buf b;
    cw_buf_init(&b);
    if (cw_subs_format(s, &b))
        abort();
    cw_subs r;
    cw_error err;
    if (cw_subs_parse(&r, "again", b.data ? b.data : "", b.len, &err) || r.n != s->n)
        abort();
    for (size_t i = 0; i < s->n; i++) {
        const cw_subscription *x = &s->v[i], *y = cw_subs_find(&r, x->name);
        if (!y || x->self_signed != y->self_signed || x->checked != y->checked || x->good != y->good ||
            x->changed != y->changed)
            abort();
        same(x->url, y->url);
        same(x->pin, y->pin);
        same(x->etag, y->etag);
        same(x->last_modified, y->last_modified);
        same(x->sha256, y->sha256);
        same(x->result, y->result);
    }
    cw_subs_free(&r);
    cw_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    cw_subs s;
    cw_error err;
    memset(&err, 0, sizeof err);
    int rc = cw_subs_parse(&s, "subscriptions.conf", text, size, &err);
    if (rc) {
        if (s.n || !err.text[0] || strcmp(err.source, "subscriptions.conf") || err.line < 0)
            abort();
        /* a link in the message ends at its host */
        for (const char *p = strstr(err.text, "://"); p; p = strstr(p + 3, "://")) {
            const char *q = p + 3 + strcspn(p + 3, "/?#\\ \t'\"<>)");
            if (*q && strchr("/?#\\", *q))
                abort();
        }
    } else {
        for (size_t i = 0; i < s.n; i++)
            if (!s.v[i].url || strncmp(s.v[i].url, "http", 4) || (s.v[i].self_signed && !s.v[i].pin))
                abort();
        round_trip(&s);
        for (size_t i = 0; i < s.n; i++) { /* what the desk shows: no path of the link, ever */
            cw_sub_state st;
            cw_sub_state_of(&s.v[i], &st);
            const char *p = strstr(s.v[i].url, "://"), *path = p ? p + 3 + strcspn(p + 3, "/?#") : NULL;
            if (!cw_utf8_valid(st.result, strlen(st.result)) || (strstr(st.link, "://") && strchr(strstr(st.link, "://") + 3, '/')) ||
                (path && strlen(path) > 8 && (strstr(st.result, path) || strstr(st.link, path) || strstr(st.host, path))))
                abort();
        }
        cw_subs_free(&s);
    }
    /* the same bytes as a calendar's name, a link, and a library's error text */
    char name[64];
    cw_cal_data_name(text, size, name, sizeof name);
    if (!cw_utf8_valid(name, strlen(name)))
        abort();
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p < 0x20)
            abort();
    char *z = malloc(size + 1);
    if (!z)
        return 0;
    memcpy(z, data, size);
    z[size] = 0;
    char red[400];
    cw_sub_url_redact(z, red, sizeof red);
    const char *slash = strstr(red, "://");
    if (slash && strchr(slash + 3, '/'))
        abort(); /* no path */
    size_t before = strlen(z);
    char *url = NULL;
    cw_sub_url_normalise(z, &url, &err);
    cw_sub_scrub(z, url ? url : "https://example.org/private-0123456789abcdef/basic.ics");
    if (strlen(z) > before)
        abort();
    if (url) { /* the link is gone from the text, unless it is no more than what may be shown */
        char shown[400];
        cw_sub_url_redact(url, shown, sizeof shown);
        if (strncmp(shown, url, strlen(url)) && strstr(z, url))
            abort();
    }
    free(url);
    free(z);
    return 0;
}
