/* fuzz_chain.c — libFuzzer target for the chain writer's Ogg reader: the input plays the
 * part of a library file (which a volunteer may have replaced or damaged) and is appended
 * to a day file with cw_chain_add_file, whole (page copy) and cut (re-encode with a fade),
 * and with cw_chain_add from a third of the way in (a join: re-encoded head, copied rest).
 * Property: whatever the input, each add either fails with one error or succeeds, and the
 * finished day file always passes cw_ogg_check with one link per successful add and
 * exactly the samples asked for — a damaged recording can never corrupt a day file. */
#include "audio.h"
#include "fuzz_util.h"

#include <stdio.h>
#include <string.h>

#define MAX_SAMPLES (8000 * 20) /* keep re-encodes fast: 20 s at 8 kHz */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char src[64];
    int sfd = fuzz_memfile(data, size, src);
    if (sfd < 0) return 0;
    cw_recording rec;
    cw_error err;
    memset(&err, 0, sizeof err);
    int64_t len = 0;
    if (cw_recording_read(&rec, src, &err) == CW_OK) {
        len = rec.length_samples;
        if (rec.rate != 8000 && rec.rate > 0) len = len * 8000 / rec.rate; /* asked in station samples */
        cw_recording_clear(&rec);
    }
    if (len <= 0 || len > MAX_SAMPLES) len = 800; /* still try: the writer must check */

    int ofd = memfd_create("cw-fuzz-day", MFD_CLOEXEC);
    FILE *out = ofd >= 0 ? fdopen(ofd, "w+b") : NULL;
    if (!out) {
        if (ofd >= 0) close(ofd);
        close(sfd);
        return 0;
    }
    cw_chain_format fmt = {8000, 1, 0};
    cw_chain *c = NULL;
    cw_ogg_sink sink;
    cw_ogg_sink_stdio(&sink, out);
    if (cw_chain_open(&c, &sink, &fmt, 42, &err) != CW_OK) abort();
    cw_link_meta meta = {.title = "fuzz <&> \"title\"\n", .artist = "a\x01b", .tracknumber = 1};
    int links = 0;
    int64_t want = 0;
    if (cw_chain_add_silence(c, 100, &meta, &err) != CW_OK) abort();
    links++;
    want += 100;
    int reenc = 0;
    memset(&err, 0, sizeof err);
    if (cw_chain_add_file(c, src, len, 0.01, &meta, &reenc, &err) == CW_OK) {
        links++;
        want += len;
    } else if (!err.text[0]) {
        abort();
    }
    if (len > 2) {
        memset(&err, 0, sizeof err);
        if (cw_chain_add_file(c, src, len / 2, 0.01, &meta, &reenc, &err) == CW_OK) {
            links++;
            want += len / 2;
        } else if (!err.text[0]) {
            abort();
        }
    }
    if (len > 3) {
        /* joined a third of the way in (playout starting late): one or two links */
        memset(&err, 0, sizeof err);
        size_t before = cw_chain_links(c);
        cw_link_spec sp = {.path = src, .from = len / 3, .samples = len - len / 3, .fade_in = 0.01, .meta = &meta};
        if (cw_chain_add(c, &sp, &reenc, &err) == CW_OK) {
            links += (int)(cw_chain_links(c) - before);
            want += len - len / 3;
        } else if (!err.text[0]) {
            abort();
        }
    }
    int closed = cw_chain_close(c, &err);
    fflush(out);
    if (closed == CW_OK) {
        char day[64];
        snprintf(day, sizeof day, "/proc/self/fd/%d", ofd);
        int got_links = 0;
        int64_t got_samples = 0;
        cw_error e2;
        memset(&e2, 0, sizeof e2);
        /* a failed add may have marked the chain failed; only a clean chain is checked */
        if (cw_ogg_check(day, &got_links, &got_samples, &e2) != CW_OK || got_links != links ||
            got_samples != want) {
            /* the chain said OK, so the file must be right */
            abort();
        }
    }
    fclose(out);
    close(sfd);
    return 0;
}
