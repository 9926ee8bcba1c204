/* html.c — desk_html(), the desk's one way to write HTML (html.h).
 * Guarantees: every %s/%U/%P/%Q argument is escaped for the context it lands in; the
 * output is valid UTF-8 whatever the input bytes. */
#include "html.h"

#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

/* The bytes that need no escaping: printable ASCII but & < > " ' and DEL. */
static int plain(unsigned char c)
{
    return c >= 0x20 && c < 0x7f && c != '&' && c != '<' && c != '>' && c != '"' && c != '\'';
}

void desk_html_text(cw_buf *b, const char *s)
{
    if (!s) return;
    const unsigned char *p = (const unsigned char *)s;
    size_t left = strlen(s);
    while (left) {
        size_t run = 0; /* a run of plain bytes goes in one append */
        while (run < left && plain(p[run])) run++;
        if (run) {
            cw_buf_append(b, p, run);
            p += run;
            left -= run;
            continue;
        }
        unsigned char c = *p;
        size_t l = cw_utf8_seq_len(p, left);
        if (l == 0) {
            cw_buf_puts(b, "\xef\xbf\xbd"); /* U+FFFD for a byte that is not UTF-8 */
            l = 1;
        } else if (l == 1) {
            switch (c) {
            case '&': cw_buf_puts(b, "&amp;"); break;
            case '<': cw_buf_puts(b, "&lt;"); break;
            case '>': cw_buf_puts(b, "&gt;"); break;
            case '"': cw_buf_puts(b, "&quot;"); break;
            case '\'': cw_buf_puts(b, "&#39;"); break;
            case '\n': case '\t': cw_buf_append(b, p, 1); break;
            default: break; /* other control characters are dropped */
            }
        } else {
            cw_buf_append(b, p, l);
        }
        p += l;
        left -= l;
    }
}

/* Percent-encode s; `keep` lists the reserved bytes that stay as they are. The result has
 * only URL-safe ASCII, so escaping it for HTML changes nothing but '&' (never produced). */
static void url_encode(cw_buf *b, const char *s, const char *keep)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p) || (keep && *p && strchr(keep, *p))) {
            cw_buf_append(b, p, 1);
        } else {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            cw_buf_append(b, e, 3);
        }
    }
}

static void num(cw_buf *b, double v, int places)
{
    if (!isfinite(v)) cw_buf_puts(b, "-");
    else cw_buf_printf(b, "%.*f", places, v);
}

void desk_html(cw_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *p = fmt;
    while (*p) {
        const char *pct = strchr(p, '%');
        if (!pct) {
            cw_buf_puts(b, p);
            break;
        }
        cw_buf_append(b, p, (size_t)(pct - p));
        switch (pct[1]) {
        case 's': desk_html_text(b, va_arg(ap, const char *)); break;
        case 'U': url_encode(b, va_arg(ap, const char *), NULL); break;
        case 'P': url_encode(b, va_arg(ap, const char *), "/"); break;
        case 'Q': url_encode(b, va_arg(ap, const char *), NULL); break;
        case 'd': cw_buf_printf(b, "%d", va_arg(ap, int)); break;
        case 'l': cw_buf_printf(b, "%lld", (long long)va_arg(ap, int64_t)); break;
        case 'z': cw_buf_printf(b, "%zu", va_arg(ap, size_t)); break;
        case '1': num(b, va_arg(ap, double), 1); break;
        case '2': num(b, va_arg(ap, double), 2); break;
        case 'H': cw_buf_puts(b, va_arg(ap, const char *)); break;
        case '%': cw_buf_puts(b, "%"); break;
        default:
            assert(!"desk_html: unknown directive");
            if (!pct[1]) {
                va_end(ap);
                return;
            }
        }
        p = pct + 2;
    }
    va_end(ap);
}

void desk_fmt_length(double s, char out[32])
{
    if (!isfinite(s) || s < 0) s = 0;
    long t = (long)(s + 0.5);
    if (t >= 3600)
        snprintf(out, 32, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(out, 32, "%ld:%02ld", t / 60, t % 60);
}
