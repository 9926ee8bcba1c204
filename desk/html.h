/* html.h — the one templating path of the desk: every page is written with desk_html(),
 * whose %s escapes, so text from calendars, recordings, file names and users can never
 * become markup. Guarantees: output is valid UTF-8 (invalid bytes become U+FFFD) with
 * & < > " ' escaped in every %s, control characters dropped; URLs built with %U/%Q are
 * percent-encoded before they are escaped. */
#ifndef CW_DESK_HTML_H
#define CW_DESK_HTML_H

#include "common.h"

#include <stdint.h>

/* Append to b following fmt. Directives (no printf; the types are fixed):
 *   %s  const char *   text, HTML-escaped (NULL prints nothing)
 *   %U  const char *   one URL path segment, percent-encoded (every byte but A-Z a-z 0-9 -._~)
 *   %P  const char *   a URL path ('/' kept, every other reserved byte percent-encoded)
 *   %Q  const char *   a query-string value, percent-encoded
 *   %d  int            %l int64_t           %z size_t
 *   %1  double         one decimal place ("-" when not finite); %2 two places
 *   %H  const char *   trusted HTML: only for fragments desk code built with desk_html
 *   %%  a '%'
 * An unknown directive is a programming error (asserted); it prints nothing in release. */
void desk_html(cw_buf *b, const char *fmt, ...);
/* Escape text for HTML (what %s does). */
void desk_html_text(cw_buf *b, const char *s);

/* A length in seconds as H:MM:SS or M:SS. */
void desk_fmt_length(double seconds, char out[32]);

#endif
