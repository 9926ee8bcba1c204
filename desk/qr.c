/* qr.c — teachers' links as QR codes (libqrencode): half-block text for a terminal and SVG
 * for the desk's pages.
 * Guarantees: error correction level M, 8-bit mode (any URL), a 4-module quiet zone. */
#include "desk.h"

#include <qrencode.h>
#include <string.h>

#define QUIET 4

static QRcode *encode(const char *text)
{
    if (!text || !*text || strlen(text) > 1000) return NULL;
    return QRcode_encodeString8bit(text, 0, QR_ECLEVEL_M);
}

/* Dark module at (x, y) of the code with its quiet zone around it. */
static int dark(const QRcode *q, int x, int y)
{
    x -= QUIET;
    y -= QUIET;
    if (x < 0 || y < 0 || x >= q->width || y >= q->width) return 0;
    return q->data[y * q->width + x] & 1;
}

int cw_desk_qr_terminal(const char *text, int ansi, cw_buf *out)
{
    QRcode *q = encode(text);
    if (!q) return CW_EINVAL;
    int w = q->width + 2 * QUIET;
    /* Each character cell shows two rows: upper half block = the top module, the lower half
     * its background. In ANSI mode the foreground is black (dark) and the background white,
     * so the code reads the same on dark and light terminals. Without ANSI, the light
     * modules are drawn (a dark terminal background makes the dark ones). */
    static const char *const cell[4] = {" ", "\xe2\x96\x80", "\xe2\x96\x84", "\xe2\x96\x88"};
    for (int y = 0; y < w; y += 2) {
        if (ansi) cw_buf_puts(out, "\x1b[30;47m");
        for (int x = 0; x < w; x++) {
            int top = dark(q, x, y), bottom = y + 1 < w ? dark(q, x, y + 1) : 0;
            int idx;
            if (ansi) idx = (top ? 1 : 0) | (bottom ? 2 : 0);        /* draw dark */
            else idx = (!top ? 1 : 0) | (y + 1 < w && !bottom ? 2 : 0); /* draw light */
            cw_buf_puts(out, cell[idx]);
        }
        if (ansi) cw_buf_puts(out, "\x1b[0m");
        cw_buf_puts(out, "\n");
    }
    QRcode_free(q);
    return out->oom ? CW_ENOMEM : 0;
}

int cw_desk_qr_svg(const char *text, cw_buf *out)
{
    QRcode *q = encode(text);
    if (!q) return CW_EINVAL;
    int w = q->width + 2 * QUIET;
    cw_buf_printf(out,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
                  "shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"QR code of the link\">"
                  "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/><path fill=\"#000\" d=\"",
                  w, w, w * 6, w * 6, w, w);
    for (int y = 0; y < q->width; y++)
        for (int x = 0; x < q->width; x++)
            if (q->data[y * q->width + x] & 1) cw_buf_printf(out, "M%d %dh1v1h-1z", x + QUIET, y + QUIET);
    cw_buf_puts(out, "\"/></svg>");
    QRcode_free(q);
    return out->oom ? CW_ENOMEM : 0;
}
